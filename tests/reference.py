"""A slow, obviously correct reference of :func:`textprint.normalize` (the oracle of its kernel).

Pure Python, one character at a time, written from the documented rules and not from the numpy
code. It reads the same frozen tables (``textprint._tables.get_tables()``; every fact it takes
from the package is spelled ``_tables.NAME`` where it is used), but only as plain lookups: the
per-character decomposed NFKC_Casefold mapping, canonical combining classes and primary
composites (the dicts of the exact path), and the dense per-code-point arrays turned into dicts
or single-character lookups. The numpy path's precomputed per-character compositions
(``fold_single``/``fold_pool``) are not used: every character is decomposed and recomposed here.

The rules, in order (API.md, "Text"):

1. Each character maps to its decomposed NFKC_Casefold form; invisible characters (default
   ignorables, controls) map to nothing, white space to " " or "\\n", lone surrogates to U+FFFD.
2. Clusters: a kept character plus the kept characters after it that are flagged ``cluster``
   (their mapping starts with a combining mark or a composition secondary, such as U+3099 or a
   Hangul vowel jamo). A cluster is reordered and composed canonically (UAX #15), where a
   starter with no primary composite for a mark composes as its step-5 kana and look-alike fold
   does (small "ㇰ" + U+3099 -> "ぐ": the fold must not leave a pair that composes when the
   result is normalized again); every character of the result has the cluster's span, from its
   first to its last kept character.
3. White space: a run of white space becomes one "\\n" (if it holds a line break; the span of
   its first line break) or one " " (the span of its first space); the run is dropped between
   two Han/kana characters (unless the second is a combining voicing mark, U+3099 or U+309A,
   which would compose with the first); "letter hyphen <run with one line break> letter" loses
   the hyphen and the run. Classes are those the characters will have in the matching view
   (after the look-alike fold), so that normalizing again sees the same classes.
4. Languages: runs end after "\\n", "!", "?", "。" and at the end of the text. A run is
   Japanese if its kana are at least 10% of its Han + kana (and there is kana), or if it has
   Han, no kana and no Hangul and the document is Japanese by the same share; but never when
   it has 8 or more Han and no kana between its first and last Han. Else Korean if Hangul
   outnumbers Han; else Chinese if it has Han.
5. Traditional -> Simplified on Chinese runs, kyujitai -> shinjitai on Japanese runs, then the
   kana and look-alike folds everywhere.
6. Separators (`separators_reference`): the original characters of the marks repeated between
   characters are removed and what is left is normalized again (until there is none).

``benchmarks/bench_normalize.py`` imports :func:`normalize_reference` as the project's exact
reference path: keep its signature.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from textprint import _tables
from textprint.errors import InvalidInputError

__all__ = [
    "canonical_compose",
    "canonical_order",
    "char_tokens_reference",
    "document_language_reference",
    "normalize_reference",
    "separators_reference",
]

RUN_BREAKS = frozenset("\n!?。")
HYPHENS = frozenset("-\u2010")
# Hangul syllable arithmetic, Unicode chapter 3.12.
S_BASE, L_BASE, V_BASE, T_BASE = 0xAC00, 0x1100, 0x1161, 0x11A7
L_COUNT, V_COUNT, T_COUNT = 19, 21, 28
S_COUNT = L_COUNT * V_COUNT * T_COUNT


@dataclass(frozen=True)
class _Lookups:
    decomposition: dict[int, tuple[int, ...]]
    ccc: dict[int, int]
    pairs: dict[tuple[int, int], int]
    cluster: frozenset[int]
    classes: np.ndarray  # read one code point at a time, as int
    t2s: dict[int, int]
    jp: dict[int, int]
    common: dict[int, int]

    def char_class(self, cp: int) -> int:
        return int(self.classes[cp])


def _changed(dense: np.ndarray) -> dict[int, int]:
    """The entries of a dense code point map that are not the identity, as a dict."""
    keys = np.flatnonzero(dense != np.arange(len(dense), dtype=dense.dtype))
    return {int(k): int(dense[k]) for k in keys}


@functools.lru_cache(maxsize=1)
def _lookups() -> _Lookups:
    t = _tables.get_tables()
    return _Lookups(
        decomposition=t.decomposition,
        ccc=t.ccc,
        pairs=t.pairs,
        cluster=frozenset(int(c) for c in np.flatnonzero(t.cluster)),
        classes=t.classes,
        t2s=_changed(t.t2s),
        jp=_changed(t.jp),
        common=_changed(t.common),
    )


def canonical_order(seq: list[int], ccc: dict[int, int]) -> list[int]:
    """The Canonical Ordering Algorithm: swap adjacent non-starters until none is out of order."""
    out = list(seq)
    changed = True
    while changed:
        changed = False
        for i in range(len(out) - 1):
            a, b = ccc.get(out[i], 0), ccc.get(out[i + 1], 0)
            if a > b > 0:
                out[i], out[i + 1] = out[i + 1], out[i]
                changed = True
    return out


def _primary_composite(first: int, second: int, pairs: dict[tuple[int, int], int]) -> int | None:
    l_index, v_index = first - L_BASE, second - V_BASE
    if 0 <= l_index < L_COUNT and 0 <= v_index < V_COUNT:
        return S_BASE + (l_index * V_COUNT + v_index) * T_COUNT
    s_index, t_index = first - S_BASE, second - T_BASE
    if 0 <= s_index < S_COUNT and s_index % T_COUNT == 0 and 0 < t_index < T_COUNT:
        return first + t_index
    return pairs.get((first, second))


def canonical_compose(
    seq: list[int],
    ccc: dict[int, int],
    pairs: dict[tuple[int, int], int],
    fold: dict[int, int] | None = None,
) -> list[int]:
    """The Canonical Composition Algorithm (UAX #15, D117), as written there.

    Each character C is combined with the last starter L before it when C is not blocked from L
    (no character between them has combining class 0 or one >= C's) and <L, C> has a primary
    composite. With `fold`, an L without one is tried as ``fold[L]`` too (textprint's rule).
    """
    out: list[int] = []
    for c in seq:
        cc = ccc.get(c, 0)
        last = next((j for j in range(len(out) - 1, -1, -1) if ccc.get(out[j], 0) == 0), None)
        if last is not None:
            between = out[last + 1 :]
            blocked = any(ccc.get(b, 0) == 0 or ccc.get(b, 0) >= cc for b in between)
            if not blocked:
                composite = _primary_composite(out[last], c, pairs)
                if composite is None and fold is not None and out[last] in fold:
                    composite = _primary_composite(fold[out[last]], c, pairs)
                if composite is not None:
                    out[last] = composite
                    continue
        out.append(c)
    return out


def normalize_reference(text: str) -> tuple[str, list[int], list[int]]:
    """Return the folded text and the original span ``[starts[i], ends[i])`` of each character.

    Raises InvalidInputError (a TypeError) for a non-str, like ``textprint.normalize``.
    """
    if not isinstance(text, str):
        raise InvalidInputError(f"text must be a str, got {type(text).__name__}")
    folded, starts, ends, classes = _fold_reference(text)
    found = separators_reference(folded, classes)
    if not found:
        return folded, starts, ends
    # 6. Separators: their original characters go, and what is left is normalized again.
    gone = {i for k in found for i in range(starts[k], ends[k])}
    kept = [i for i in range(len(text)) if i not in gone]
    folded, starts, ends = normalize_reference("".join(text[i] for i in kept))
    return folded, [kept[a] for a in starts], [kept[b - 1] + 1 for b in ends]


def separators_reference(folded: str, classes: list[int]) -> list[int]:
    """Positions of the separator marks of a matching view (rule 6), one link at a time.

    A link joins an occurrence of a token character (the mark: Han, kana, Hangul, or a word
    character) to its nearest occurrence before it when 1-3 characters stand between them,
    none white space or a run break; for a word-character mark they are no word characters
    and hold a Han, kana or Hangul character; and the characters before the two occurrences
    differ, and those after them (where they exist). Chains of at least 5 linked marks are
    separators.
    """
    n = len(folded)
    cjk = (_tables.CLASS_HAN, _tables.CLASS_KANA, _tables.CLASS_HANGUL)
    prev: dict[int, int] = {}  # mark position -> linked position before it
    for i, mark in enumerate(folded):
        if classes[i] not in (_tables.CLASS_WORD, *cjk):
            continue
        p = folded.rfind(mark, 0, i)
        if p < 0 or not 2 <= i - p <= 4:
            continue
        gap = range(p + 1, i)
        if any(
            classes[k] in (_tables.CLASS_SPACE, _tables.CLASS_NEWLINE) or folded[k] in RUN_BREAKS
            for k in gap
        ):
            continue
        if classes[i] == _tables.CLASS_WORD and (
            any(classes[k] == _tables.CLASS_WORD for k in gap)
            or not any(classes[k] in cjk for k in gap)
        ):
            continue
        if p >= 1 and folded[p - 1] == folded[i - 1]:
            continue
        if i + 1 < n and folded[i + 1] == folded[p + 1]:
            continue
        prev[i] = p
    out: set[int] = set()
    for i in prev:
        if i in prev.values():
            continue  # not the last mark of its chain
        chain = [i]
        while chain[-1] in prev:
            chain.append(prev[chain[-1]])
        if len(chain) >= 5:
            out.update(chain)
    return sorted(out)


def _fold_reference(text: str) -> tuple[str, list[int], list[int], list[int]]:
    """Rules 1-5: the folded text, its spans and its classes (of the matching view)."""
    lk = _lookups()

    # 1-2. Map every character; group kept characters into clusters; compose each cluster.
    clusters: list[list[tuple[int, tuple[int, ...]]]] = []
    for i, ch in enumerate(text):
        cp = ord(ch)
        mapped = lk.decomposition.get(cp, (cp,))
        if ch == "\r" and text[i + 1 : i + 2] == "\n":
            mapped = ()  # CR LF is one line break: the CR goes
        if not mapped:
            continue  # removed: belongs to no span
        if clusters and cp in lk.cluster:
            clusters[-1].append((i, mapped))
        else:
            clusters.append([(i, mapped)])
    chars: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    for cluster in clusters:
        decomposed = [c for _, mapped in cluster for c in mapped]
        composed = canonical_compose(
            canonical_order(decomposed, lk.ccc), lk.ccc, lk.pairs, fold=lk.common
        )
        for c in composed:
            chars.append(c)
            starts.append(cluster[0][0])
            ends.append(cluster[-1][0] + 1)

    # 3. White space. Classes are those of the matching view (after the look-alike fold).
    view_class = [lk.char_class(lk.common.get(c, c)) for c in chars]

    def cls(k: int) -> int:
        return view_class[k]

    def is_space(k: int) -> bool:
        return cls(k) in (_tables.CLASS_SPACE, _tables.CLASS_NEWLINE)

    def is_cjk(k: int) -> bool:
        return cls(k) in (_tables.CLASS_HAN, _tables.CLASS_KANA)

    n = len(chars)
    drop: set[int] = set()
    replace: dict[int, int] = {}
    i = 0
    while i < n:
        if not is_space(i):
            i += 1
            continue
        j = i
        while j < n and is_space(j):
            j += 1
        run = range(i, j)  # chars[i:j] is a maximal run of white space
        breaks = [k for k in run if cls(k) == _tables.CLASS_NEWLINE]
        keep = breaks[0] if breaks else i
        drop.update(k for k in run if k != keep)
        replace[keep] = ord("\n") if breaks else ord(" ")
        # (not before a combining voicing mark: it would compose with the kana before it)
        if i > 0 and j < n and is_cjk(i - 1) and is_cjk(j) and chars[j] not in (0x3099, 0x309A):
            drop.add(keep)
        elif (
            len(breaks) == 1  # a line break, not a paragraph break (a blank line)
            and i >= 2
            and j < n
            and chr(chars[i - 1]) in HYPHENS
            and cls(i - 2) == _tables.CLASS_WORD
            and cls(j) == _tables.CLASS_WORD
        ):
            drop.update((keep, i - 1))
        i = j
    kept = [k for k in range(n) if k not in drop]
    chars = [replace.get(k, chars[k]) for k in kept]
    classes = [view_class[k] for k in kept]
    starts = [starts[k] for k in kept]
    ends = [ends[k] for k in kept]

    # 4. Language of each run.
    runs: list[list[int]] = [[]]
    for k, c in enumerate(chars):
        runs[-1].append(k)
        if chr(c) in RUN_BREAKS:
            runs.append([])

    def counts(members: list[int]) -> tuple[int, int, int]:
        found = [classes[k] for k in members]
        return (
            found.count(_tables.CLASS_HAN),
            found.count(_tables.CLASS_KANA),
            found.count(_tables.CLASS_HANGUL),
        )

    def japanese_share(han: int, kana: int) -> bool:
        return kana > 0 and 10 * kana >= han + kana

    doc_han, doc_kana, _ = counts(list(range(len(chars))))
    doc_ja = japanese_share(doc_han, doc_kana)
    out: list[str] = []

    def kana_between_han(members: list[int]) -> bool:
        han_at = [k for k in members if classes[k] == _tables.CLASS_HAN]
        if not han_at:
            return False
        return any(classes[k] == _tables.CLASS_KANA for k in range(han_at[0] + 1, han_at[-1]))

    for members in runs:
        han, kana, hangul = counts(members)
        long_without_kana_inside = han >= 8 and not kana_between_han(members)
        if not long_without_kana_inside and (
            japanese_share(han, kana) or (kana == 0 and han > 0 and hangul == 0 and doc_ja)
        ):
            script_fold = lk.jp
        elif hangul > han:
            script_fold = {}
        elif han > 0:
            script_fold = lk.t2s
        else:
            script_fold = {}
        # 5. Folds.
        for k in members:
            c = script_fold.get(chars[k], chars[k])
            out.append(chr(lk.common.get(c, c)))
    return "".join(out), starts, ends, classes


def char_tokens_reference(text: str) -> tuple[list[str], list[int], list[int]]:
    """The "char" tokenizer from the rules: each Han, kana or Hangul character of the matching
    view is a token, and so is each run of word characters (letters, marks, digits); nothing
    else (punctuation, symbols, white space) is. Spans: from the first character's start to
    the last character's end, in the original text.
    """
    folded, starts, ends = normalize_reference(text)
    lk = _lookups()
    tokens: list[str] = []
    t_starts: list[int] = []
    t_ends: list[int] = []
    in_word = False
    for k, ch in enumerate(folded):
        c = lk.char_class(ord(ch))
        if c == _tables.CLASS_WORD and in_word:
            tokens[-1] += ch
            t_ends[-1] = ends[k]
        elif c in (_tables.CLASS_WORD, _tables.CLASS_HAN, _tables.CLASS_KANA, _tables.CLASS_HANGUL):
            tokens.append(ch)
            t_starts.append(starts[k])
            t_ends.append(ends[k])
        in_word = c == _tables.CLASS_WORD
    return tokens, t_starts, t_ends


def document_language_reference(text: str) -> str:
    """The document's dominant language, from the classes of its matching view.

    "other" without Han, kana or Hangul, or when letters outnumber three per CJK character (a
    CJK character carries about as much as a short word); "ja" when kana are at least 10% of
    Han + kana and at least as many as Hangul; "ko" when Hangul outnumber Han + kana; else "zh".
    """
    folded, _, _ = normalize_reference(text)
    lk = _lookups()
    found = [lk.char_class(ord(ch)) for ch in folded]
    han, kana = found.count(_tables.CLASS_HAN), found.count(_tables.CLASS_KANA)
    hangul, word = found.count(_tables.CLASS_HANGUL), found.count(_tables.CLASS_WORD)
    cjk = han + kana + hangul
    if cjk == 0 or 3 * cjk < word:
        return "other"
    if kana > 0 and 10 * kana >= han + kana and kana >= hangul:
        return "ja"
    if hangul > han + kana:
        return "ko"
    return "zh"
