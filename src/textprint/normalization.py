"""Normalization: the matching view of a text, with a map back to the original characters.

Stage 1 of the pipeline (normalize -> tokenize -> hash -> winnow | minhash -> ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._tables import (
    CLASS_BREAK,
    CLASS_HAN,
    CLASS_HANGUL,
    CLASS_KANA,
    CLASS_NEWLINE,
    CLASS_SPACE,
    CLASS_WORD,
    N_CLASSES,
    Tables,
    get_tables,
)
from ._typing import BoolArray, Int64Array, UInt8Array, UInt32Array
from ._validation import check_text

__all__ = ["NORMALIZATION_VERSION", "Normalized", "normalization_identity", "normalize"]

#: Version of the normalization rules (tables have their own version, recorded beside it).
NORMALIZATION_VERSION = "1"

# Run languages (per normalized character).
LANG_NONE, LANG_ZH, LANG_JA, LANG_KO = 0, 1, 2, 3
LANG_NAMES = ("other", "zh", "ja", "ko")
# A run is Japanese when kana are at least this share of its Han + kana characters. Japanese
# prose has far more (30-60%); Chinese text quoting one kana (the "の" of advertising) has less.
KANA_SHARE = 0.1
# Characters that end a run for language detection (after NFKC: ！？｡ are already ! ? 。).
RUN_BREAKS = np.array([0x0A, 0x21, 0x3F, 0x3002], dtype=np.uint32)
HYPHENS = np.array([0x2D, 0x2010], dtype=np.uint32)


def normalization_identity() -> str:
    """Identity of the normalization rules and tables, recorded in every result."""
    return f"normalize-{NORMALIZATION_VERSION}+{get_tables().identity}"


@dataclass(frozen=True, slots=True, eq=False)
class Normalized:
    """The matching view of a text.

    Attributes
    ----------
    text : str
        Fully folded text: NFKC, case folding, invisible characters removed, Traditional ->
        Simplified on Chinese runs, katakana -> hiragana, small kana and old kanji forms folded
        on Japanese runs, look-alike letters folded, line-break hyphenation joined, whitespace
        unified. Punctuation and whitespace stay.
    starts, ends : ndarray of shape (len(text),), dtype=int64
        Normalized character ``i`` came from ``original[starts[i]:ends[i]]``. Characters expanded
        from one original character share its span; removed characters belong to no span; spans
        are non-decreasing.
    identity : str
        Normalization rules and table versions that produced this view.
    """

    text: str
    starts: Int64Array
    ends: Int64Array
    identity: str

    def __len__(self) -> int:
        return len(self.text)

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalized range ``[start, end)`` back to a range of the original text.

        Examples
        --------
        >>> import textprint as tp
        >>> n = tp.normalize("ＡＢＣ\u200b漢字")
        >>> n.text
        'abc汉字'
        >>> n.source_span(3, 5)
        (4, 6)
        """
        if not 0 <= start < end <= len(self.text):
            from .errors import InvalidParameterError

            raise InvalidParameterError(
                f"range [{start}, {end}) must satisfy 0 <= start < end <= {len(self.text)}"
            )
        return int(self.starts[start]), int(self.ends[end - 1])


class NormalizedBatch:
    """Flat arrays for a batch of texts (private currency between stages).

    ``folded`` is the matching view and ``classes`` its character classes (with sentence
    breaks marked); ``bounds[d]:bounds[d + 1]`` is document ``d``. ``analysis`` is what a
    morphological analyzer sees: the same characters before kana and look-alike folds
    (Traditional -> Simplified and kyujitai -> shinjitai already applied on their runs); every
    fold after composition is one character for one character, so both views have the same
    length. ``starts``/``ends`` (offsets local to each document) and ``analysis`` are computed
    on first use: the signature path never needs them.
    """

    __slots__ = (
        "_analysis",
        "_base",
        "_doc_start",
        "_ends",
        "_src_end",
        "_src_start",
        "_starts",
        "bounds",
        "classes",
        "doc_lang",
        "folded",
        "lang",
    )

    def __init__(
        self,
        *,
        folded: UInt32Array,
        base: UInt32Array,
        classes: UInt8Array,
        lang: UInt8Array,
        bounds: Int64Array,
        doc_lang: tuple[str, ...],
        src_start: Int64Array | None,
        src_end: Int64Array | None,
        doc_start: Int64Array,
    ) -> None:
        self.folded = folded
        self.classes = classes
        self.lang = lang
        self.bounds = bounds
        self.doc_lang = doc_lang
        self._base = base
        self._src_start = src_start  # global original index of each char (None: identity)
        self._src_end = src_end
        self._doc_start = doc_start  # original offset of each document in the joined input
        self._analysis: UInt32Array | None = None
        self._starts: Int64Array | None = None
        self._ends: Int64Array | None = None

    def text(self, doc: int) -> str:
        a, b = int(self.bounds[doc]), int(self.bounds[doc + 1])
        return _to_str(self.folded[a:b])

    @property
    def analysis(self) -> UInt32Array:
        if self._analysis is None:
            tables = get_tables()
            base = self._base
            out = np.where(self.lang == LANG_ZH, tables.t2s[base], base)
            self._analysis = np.where(self.lang == LANG_JA, tables.jp[base], out).astype(np.uint32)
        return self._analysis

    def _offset(self, idx: Int64Array) -> Int64Array:
        """Original offset of the document each normalized position belongs to."""
        doc = np.searchsorted(self.bounds, idx, side="right") - 1
        out: Int64Array = self._doc_start[doc]
        return out

    def span_start(self, idx: Int64Array) -> Int64Array:
        """Original (document-local) start of the normalized characters at `idx`."""
        g = idx if self._src_start is None else self._src_start[idx]
        out: Int64Array = (g - self._offset(idx)).astype(np.int64)
        return out

    def span_end(self, idx: Int64Array) -> Int64Array:
        """Original (document-local) end of the normalized characters at `idx`."""
        g = idx + 1 if self._src_end is None else self._src_end[idx]
        out: Int64Array = (g - self._offset(idx)).astype(np.int64)
        return out

    @property
    def starts(self) -> Int64Array:
        if self._starts is None:
            self._starts = self.span_start(np.arange(len(self.folded), dtype=np.int64))
        return self._starts

    @property
    def ends(self) -> Int64Array:
        if self._ends is None:
            self._ends = self.span_end(np.arange(len(self.folded), dtype=np.int64))
        return self._ends


def _to_str(cps: UInt32Array) -> str:
    return np.ascontiguousarray(cps, dtype="<u4").tobytes().decode("utf-32-le")


def _to_cps(text: str) -> UInt32Array:
    # surrogatepass: lone surrogates come through as their code unit; the table maps them to
    # U+FFFD one for one, so offsets are kept.
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.uint32)


def compose(seq: Sequence[int], tables: Tables) -> list[int]:
    """Canonical ordering then canonical composition of a decomposed sequence (UAX #15).

    The exact path for the clusters a per-code-point table cannot express (a base followed by
    combining marks, decomposed kana with a separate voicing mark, conjoining Hangul jamo).
    """
    ccc, pairs = tables.ccc, tables.pairs
    out = list(seq)
    i = 0
    while i < len(out):  # stable sort of each run of non-starters by combining class
        if ccc.get(out[i], 0) == 0:
            i += 1
            continue
        j = i
        while j < len(out) and ccc.get(out[j], 0) != 0:
            j += 1
        out[i:j] = sorted(out[i:j], key=lambda c: ccc.get(c, 0))
        i = j
    if not out:
        return out
    res = [out[0]]
    starter = 0 if ccc.get(out[0], 0) == 0 else -1
    last_ccc = -1 if starter == 0 else 256  # -1: nothing between the starter and this char
    for c in out[1:]:
        cc = ccc.get(c, 0)
        if starter >= 0 and last_ccc < cc:
            s = res[starter]
            comp: int | None
            if 0x1100 <= s <= 0x1112 and 0x1161 <= c <= 0x1175:  # Hangul L + V
                comp = 0xAC00 + ((s - 0x1100) * 21 + (c - 0x1161)) * 28
            elif 0xAC00 <= s <= 0xD7A3 and (s - 0xAC00) % 28 == 0 and 0x11A8 <= c <= 0x11C2:
                comp = s + (c - 0x11A7)  # Hangul LV + T
            else:
                comp = pairs.get((s, c))
            if comp is not None:
                res[starter] = comp
                continue
        if cc == 0:
            starter = len(res)
            last_ccc = -1
        else:
            last_ccc = cc
        res.append(c)
    return res


def _first_mask(bounds: Int64Array, n: int) -> BoolArray:
    """``mask[i]`` is True when position i starts a document (length n + 1)."""
    mask = np.zeros(n + 1, dtype=bool)
    mask[bounds] = True
    return mask


def _compose_stage(
    cps: UInt32Array, bounds: Int64Array, tables: Tables
) -> tuple[UInt32Array, Int64Array | None, Int64Array | None, Int64Array, int]:
    """NFKC_Casefold with invisible removal.

    Returns the characters, their global original spans (None: one for one, the identity),
    the new document bounds, and the number of input characters the exact (cluster) path
    handled.
    """
    flen = tables.fold_len[cps]
    # CR LF is one line break (so "exam-\r\nple" joins like "exam-\nple" and a blank line
    # stays distinguishable): the CR of a CR LF pair is removed
    crlf = np.flatnonzero((cps[:-1] == 0x0D) & (cps[1:] == 0x0A))
    if len(crlf):
        flen[crlf] = 0
    flagged_all = tables.cluster[cps]
    irregular = flen != 1
    if not flagged_all.any():
        if not irregular.any():
            return tables.fold_single[cps], None, None, bounds, 0  # the common case
        # Removals and expansions without clusters: one repeat does both (a removed character
        # repeats 0 times, an expansion as many times as its mapping is long), then the
        # expansions' characters are written in from the pool.
        out_len = flen.astype(np.int64)
        chars = np.repeat(tables.fold_single[cps], out_len)
        src = np.repeat(np.arange(len(cps), dtype=np.int64), out_len)
        first_out = np.cumsum(out_len) - out_len
        out_bounds = np.append(first_out, len(chars))[bounds].astype(np.int64)
        ex = np.flatnonzero(flen > 1)
        if len(ex):
            ln = out_len[ex]
            owner = np.repeat(ex, ln)
            ramp = np.arange(int(ln.sum()), dtype=np.int64) - np.repeat(np.cumsum(ln) - ln, ln)
            chars[first_out[owner] + ramp] = tables.fold_pool[tables.fold_offset[cps[owner]] + ramp]
        return chars, src, src + 1, out_bounds, 0
    kept = np.flatnonzero(flen)
    kc = cps[kept]
    new_bounds = np.searchsorted(kept, bounds, side="left").astype(np.int64)
    out_len = flen[kept].astype(np.int64)
    span_end = kept + 1
    flagged = flagged_all[kept]
    clusters: list[tuple[int, list[int]]] = []
    n_exact = 0
    if flagged.any():
        # A flagged character joins the cluster of the kept character before it (same document).
        attach = flagged.copy()
        attach &= ~_first_mask(new_bounds, len(kc))[: len(kc)]
        first = np.flatnonzero(~attach)
        sizes = np.diff(np.append(first, len(kc)))
        for c in np.flatnonzero(sizes > 1):
            a, size = int(first[c]), int(sizes[c])
            seq: list[int] = []
            for cp in kc[a : a + size].tolist():
                seq.extend(tables.decomposition.get(cp, (cp,)))
            composed = compose(seq, tables)
            clusters.append((a, composed))
            out_len[a] = len(composed)
            out_len[a + 1 : a + size] = 0
            span_end[a] = kept[a + size - 1] + 1
            n_exact += size
    if not clusters and bool((out_len == 1).all()):
        return tables.fold_single[kc], kept.astype(np.int64), span_end, new_bounds, 0
    total = int(out_len.sum())
    src = np.repeat(np.arange(len(kc)), out_len)
    first_out = np.cumsum(out_len) - out_len
    ramp = np.arange(total) - first_out[src]
    scp = kc[src]
    chars = np.where(
        tables.fold_len[scp] == 1,
        tables.fold_single[scp],
        tables.fold_pool[np.minimum(tables.fold_offset[scp] + ramp, len(tables.fold_pool) - 1)],
    ).astype(np.uint32)
    for a, composed in clusters:
        o = int(first_out[a])
        chars[o : o + len(composed)] = composed
    out_bounds = np.concatenate([[0], np.cumsum(out_len)])[new_bounds].astype(np.int64)
    return chars, kept[src].astype(np.int64), span_end[src], out_bounds, n_exact


def _whitespace_stage(
    chars: UInt32Array,
    cls: UInt8Array,
    starts: Int64Array | None,
    ends: Int64Array | None,
    bounds: Int64Array,
) -> tuple[UInt32Array, UInt8Array, Int64Array | None, Int64Array | None, Int64Array]:
    """Collapse whitespace runs, drop them between CJK characters, join hyphenated lines.

    `cls` are the classes of the matching view (``Tables.match_class``): the look-alike fold
    changes some classes (the radical "⺅" and the circle "○" are symbols, the ideographs they
    fold to are Han), and the rules must see the folded classes or normalizing the result
    again would drop a space it kept ("漢 ⺅" -> "汉 亻" -> "汉亻").
    """
    ws = (cls == CLASS_SPACE) | (cls == CLASS_NEWLINE)
    if not ws.any():
        return chars, cls, starts, ends, bounds
    n = len(chars)
    first_mask = _first_mask(bounds, n)
    cont = np.zeros(n, dtype=bool)  # whitespace continuing a run
    cont[1:] = ws[1:] & ws[:-1] & ~first_mask[1:n]
    run_first = np.flatnonzero(ws & ~cont)
    more = np.zeros(n, dtype=bool)
    more[:-1] = cont[1:]
    run_end = np.flatnonzero(ws & ~more) + 1
    newline = cls == CLASS_NEWLINE
    nl = np.concatenate([[0], np.cumsum(newline)])
    n_nl = nl[run_end] - nl[run_first]
    has_nl = n_nl > 0
    prev = run_first - 1
    prev_ok = ~first_mask[run_first]  # the run does not start its document
    nxt = run_end
    next_ok = ~first_mask[nxt] & (nxt < n)  # the run does not end its document
    prev_c = np.where(prev_ok, cls[np.maximum(prev, 0)], 0)
    next_c = np.where(next_ok, cls[np.minimum(nxt, n - 1)], 0)
    cjk_prev = (prev_c == CLASS_HAN) | (prev_c == CLASS_KANA)
    cjk_next = (next_c == CLASS_HAN) | (next_c == CLASS_KANA)
    # CJK text has no spaces between words: whitespace between two CJK characters is a re-wrap
    # or a spacing evasion, not a boundary.
    drop = prev_ok & next_ok & cjk_prev & cjk_next
    # "exam-\nple" -> "example": a hyphen between a letter and a line break, a letter after it.
    pp = prev - 1
    # one line break only: a blank line between "Nora-" and "Nora" is a paragraph break
    hyph = (n_nl == 1) & prev_ok & next_ok & (next_c == CLASS_WORD) & (pp >= 0)
    hyph[hyph] &= np.isin(chars[prev[hyph]], HYPHENS)
    hyph[hyph] &= ~first_mask[prev[hyph]] & (cls[pp[hyph]] == CLASS_WORD)
    # One character stands for each run: its first line break if it has one, else its first
    # space. (Keeping the first character of " \n " as "\n" gave "\n" the span of " ", which
    # normalizes to " ": the offset map must point back to text that normalizes to the same.)
    rep = run_first.copy()
    nl_pos = np.flatnonzero(newline)
    rep[has_nl] = nl_pos[np.searchsorted(nl_pos, run_first[has_nl])]
    keep = ~ws
    keep[rep] = True
    out = chars.copy()
    out[rep] = np.where(has_nl, 0x0A, 0x20)
    out_cls = cls.copy()
    out_cls[rep] = np.where(has_nl, CLASS_NEWLINE, CLASS_SPACE)
    keep[rep[drop | hyph]] = False
    keep[prev[hyph]] = False
    if starts is None or ends is None:
        starts = np.arange(n, dtype=np.int64)
        ends = starts + 1
    kept_before = np.concatenate([[0], np.cumsum(keep)])
    return out[keep], out_cls[keep], starts[keep], ends[keep], kept_before[bounds].astype(np.int64)


def _language_stage(
    cls: UInt8Array, bounds: Int64Array
) -> tuple[UInt8Array | None, tuple[str, ...]]:
    """Per-character run language (None when no run has Han) and per-document language."""
    n = len(cls)
    n_docs = len(bounds) - 1
    per_doc = np.diff(bounds)
    doc = np.repeat(np.arange(n_docs, dtype=np.int64), per_doc)
    # one histogram of classes per document
    hist = np.bincount(doc * N_CLASSES + cls, minlength=n_docs * N_CLASSES).reshape(
        n_docs, N_CLASSES
    )
    d_han, d_kana = hist[:, CLASS_HAN], hist[:, CLASS_KANA]
    d_hangul, d_word = hist[:, CLASS_HANGUL], hist[:, CLASS_WORD]
    doc_ja = (d_kana > 0) & (d_kana >= KANA_SHARE * (d_han + d_kana))
    lang: UInt8Array | None = None
    if n and int(d_han.sum()):
        first_mask = _first_mask(bounds, n)
        brk = (cls == CLASS_BREAK) | (cls == CLASS_NEWLINE)
        new = first_mask[:n].copy()
        new[0] = True
        new[1:] |= brk[:-1]
        rid = np.cumsum(new) - 1
        n_runs = int(rid[-1]) + 1
        r_hist = np.bincount(rid * N_CLASSES + cls, minlength=n_runs * N_CLASSES).reshape(
            n_runs, N_CLASSES
        )
        r_han, r_kana = r_hist[:, CLASS_HAN], r_hist[:, CLASS_KANA]
        r_hangul = r_hist[:, CLASS_HANGUL]
        r_doc = doc[np.flatnonzero(new)]
        is_ja = (r_kana > 0) & (r_kana >= KANA_SHARE * (r_han + r_kana))
        # Han-only runs take the document's context: a headline in kanji is Japanese in a
        # Japanese document.
        is_ja |= (r_kana == 0) & (r_han > 0) & doc_ja[r_doc] & (r_hangul == 0)
        is_ko = ~is_ja & (r_hangul > r_han)
        is_zh = ~is_ja & ~is_ko & (r_han > 0)
        r_lang = np.zeros(n_runs, dtype=np.uint8)
        r_lang[is_zh] = LANG_ZH
        r_lang[is_ja] = LANG_JA
        r_lang[is_ko] = LANG_KO
        lang = r_lang[rid]
    names = []
    for han, kana, hangul, word, ja in zip(
        d_han.tolist(), d_kana.tolist(), d_hangul.tolist(), d_word.tolist(), doc_ja.tolist()
    ):
        cjk = han + kana + hangul
        # A CJK character carries about as much text as a short Latin word (3 letters).
        if cjk == 0 or 3 * cjk < word:
            names.append("other")
        elif ja and kana >= hangul:
            names.append("ja")
        elif hangul > han + kana:
            names.append("ko")
        else:
            names.append("zh")
    return lang, tuple(names)


def normalize_batch(texts: Sequence[str]) -> tuple[NormalizedBatch, int]:
    """Normalize a batch of texts into flat arrays (private fast path).

    Returns the batch and the number of input characters handled by the exact cluster path.
    """
    tables = get_tables()
    n_docs = len(texts)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n_docs)
    doc_start = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(lengths, out=doc_start[1:])
    cps = _to_cps("".join(texts))
    chars, starts, ends, bounds, n_exact = _compose_stage(cps, doc_start, tables)
    cls = tables.match_class[chars]
    chars, cls, starts, ends, bounds = _whitespace_stage(chars, cls, starts, ends, bounds)
    lang, doc_lang = _language_stage(cls, bounds)
    if lang is None:
        lang = np.zeros(len(chars), dtype=np.uint8)
        folded = tables.common[chars]
    else:
        script = np.where(lang == LANG_ZH, tables.t2s[chars], chars)
        if bool((lang == LANG_JA).any()):
            script = np.where(lang == LANG_JA, tables.jp[chars], script)
        folded = tables.common[script]
    batch = NormalizedBatch(
        folded=folded.astype(np.uint32, copy=False),
        base=chars,
        classes=cls,
        lang=lang,
        bounds=bounds,
        doc_lang=doc_lang,
        src_start=starts,
        src_end=ends,
        doc_start=doc_start,
    )
    return batch, n_exact


def normalize(text: str) -> Normalized:
    """Return the matching view of `text`, with spans back to the original characters.

    Parameters
    ----------
    text : str
        Any string. Lone surrogates become U+FFFD one for one; the empty string gives an empty
        result.

    Returns
    -------
    Normalized
        ``.text`` (the folded view), ``.starts`` and ``.ends`` (ndarray of shape (len(.text),),
        dtype=int64: original span of each normalized character), ``.identity``.

    Raises
    ------
    InvalidInputError
        If `text` is not a ``str``.

    Notes
    -----
    The folds, in order: NFKC with full case folding (Unicode 14.0.0 tables shipped in the
    package; clusters of a base and combining marks take an exact composition path), removal
    of invisible characters (default ignorables and control characters), whitespace unified and
    collapsed, whitespace between two CJK characters removed, hyphenated line breaks joined;
    then, per run of text between sentence ends, Traditional -> Simplified on Chinese runs and
    kyujitai -> shinjitai on Japanese runs (OpenCC 1.4.2 character data), and everywhere
    katakana -> hiragana, small kana -> large kana and look-alike letters -> Latin.

    Examples
    --------
    >>> import textprint as tp
    >>> tp.normalize("Ｈｅｌｌｏ，\u200b世界！").text
    'hello,世界!'
    >>> tp.normalize("學而時習之").text
    '学而时习之'
    >>> tp.normalize("カタカナとひらがな").text
    'かたかなとひらがな'
    >>> n = tp.normalize("㈱")
    >>> n.text, n.starts.tolist(), n.ends.tolist()
    ('(株)', [0, 0, 0], [1, 1, 1])
    """
    check_text(text)
    batch, _ = normalize_batch([text])
    starts = batch.starts
    ends = batch.ends
    starts.flags.writeable = False
    ends.flags.writeable = False
    return Normalized(
        text=_to_str(batch.folded), starts=starts, ends=ends, identity=normalization_identity()
    )
