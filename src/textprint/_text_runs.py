"""Runs of text: the language rule, where a text may be cut, and the sentence cutter (private).

The text layer's interface for everything that handles a text in pieces (minhash signing a long
text piece by piece, the tokenizers' back ends that take bounded inputs, the Registry checking
or verifying regions of long texts). One definition of what ends a sentence serves all of them:
a character whose NFKC_Casefold is one of ``! ? 。`` (so also ``！ ？ ｡ ﹗``). Together with the
line breaks, sentence ends cut a text into *runs*, and the normalization's language rule looks
inside a run only, plus one document-wide input:

- `run_languages`: the language of each run (Chinese, Japanese or Korean folds), from its own
  Han, kana and Hangul and from the document's Han-only decision (`kana_decides_ja` over the
  document's Han and kana counts, or a decision given by the caller for a piece).
- `safe_cuts`: positions where a text may be cut without changing anything normalization or
  tokenization produce (see its contract), and `piece_bounds`, pieces of a bounded size cut
  there.
- `natural_cut`: the best place to cut within a range when nothing needs to be exact (segments
  of a long text, inputs of a bounded size): after a line break, else a sentence end, else
  white space.
"""

from __future__ import annotations

from typing import Any, Final, overload

import numpy as np

from ._kernels import codepoints, first_mask, group_of
from ._tables import (
    CLASS_BREAK,
    CLASS_HAN,
    CLASS_HANGUL,
    CLASS_KANA,
    CLASS_NEWLINE,
    CLASS_SPACE,
    CLASS_WORD,
    N_CLASSES,
    get_tables,
)
from ._typing import BoolArray, Int64Array, UInt8Array

__all__ = [
    "HYPHENS",
    "KANA_SHARE",
    "LANG_JA",
    "LANG_KO",
    "LANG_ZH",
    "LONG_HAN_RUN",
    "doc_languages",
    "kana_decides_ja",
    "natural_cut",
    "natural_cuts",
    "piece_bounds",
    "run_languages",
    "safe_cuts",
]

#: Run languages (per normalized character; 0 for a run without Han).
LANG_ZH, LANG_JA, LANG_KO = 1, 2, 3
#: A run is Japanese when kana are at least this share of its Han + kana characters. Japanese
#: prose has far more (30-60%); Chinese text quoting one kana (the "の" of advertising) has less.
#: The same share over a whole document decides its Han-only runs (`kana_decides_ja`).
KANA_SHARE: Final = 0.1
#: A run with at least this many Han and no kana between them (Han only, or kana only before or
#: after its Han) is never Japanese: Japanese sentences without kana inside are headings,
#: names, dates or a verb after one word ("說明する"), shorter than this; a longer one is a
#: Chinese sentence, a quotation or a copy, whatever kana are glued to it or stand elsewhere in
#: the document. (The measurement on Aozora, Wikipedia and Tang poems is in
#: docs/explanation/normalization.md.)
LONG_HAN_RUN: Final = 8
#: Hyphens that join a word broken over a line ("exam-\nple" -> "example").
HYPHENS: Final = np.array([0x2D, 0x2010], dtype=np.uint32)
_LF, _CR = 0x0A, 0x0D


@overload
def kana_decides_ja(n_han: int, n_kana: int) -> bool: ...
@overload
def kana_decides_ja(n_han: Int64Array, n_kana: Int64Array) -> BoolArray: ...
def kana_decides_ja(n_han: Any, n_kana: Any) -> Any:
    """The document rule: Han-only runs are Japanese when kana reach `KANA_SHARE` of the
    document's Han + kana (element-wise on arrays; a run's own kana decide it the same way)."""
    return (n_kana > 0) & (n_kana >= KANA_SHARE * (n_han + n_kana))


def doc_languages(
    cls: UInt8Array, bounds: Int64Array, han_only_ja: BoolArray | None = None
) -> tuple[BoolArray, tuple[str, ...]]:
    """Per document: whether its Han-only runs are Japanese, and its language name.

    `han_only_ja` (optional, one flag per document) gives the first decision instead of the
    document's own kana share: the decision of the whole text a piece was cut from.
    """
    n_docs = len(bounds) - 1
    doc = np.repeat(np.arange(n_docs, dtype=np.int64), np.diff(bounds))
    # one histogram of classes per document
    hist = np.bincount(doc * N_CLASSES + cls, minlength=n_docs * N_CLASSES).reshape(
        n_docs, N_CLASSES
    )
    d_han, d_kana = hist[:, CLASS_HAN], hist[:, CLASS_KANA]
    d_hangul, d_word = hist[:, CLASS_HANGUL], hist[:, CLASS_WORD]
    doc_ja = np.asarray(
        kana_decides_ja(d_han, d_kana) if han_only_ja is None else han_only_ja, dtype=bool
    )
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
    return doc_ja, tuple(names)


def run_languages(
    cls: UInt8Array, bounds: Int64Array, han_only_ja: BoolArray | None = None
) -> tuple[UInt8Array | None, tuple[str, ...]]:
    """Per-character run language (None when no run has Han) and per-document language.

    Runs end after a line break and after a sentence end ("!", "?" and "。" in the matching
    view, `cls` marking them ``CLASS_BREAK``). A run is:

    - Japanese when its kana are at least `KANA_SHARE` (10%) of its Han + kana, or when it has
      Han, no kana and no Hangul and its document's Han-only runs are Japanese
      (`kana_decides_ja`, or `han_only_ja`: a headline in kanji is Japanese in a Japanese
      document), unless it has `LONG_HAN_RUN` (8) or more Han and no kana between its first and
      last Han: such a run is Chinese (a copied Traditional sentence with a few kana glued before
      or after it, or in a document made Japanese by a few kana elsewhere, keeps its Chinese
      fold);
    - else Korean when its Hangul outnumber its Han;
    - else Chinese when it has Han.

    Every rule looks inside one run or at the document's decision only: a piece cut between
    runs (`safe_cuts`) and given the whole text's decision gets the languages it has in the
    whole text.
    """
    n = len(cls)
    doc_ja, names = doc_languages(cls, bounds, han_only_ja)
    lang: UInt8Array | None = None
    if n and bool((cls == CLASS_HAN).any()):
        new = first_mask(bounds, n)[:n]
        new[0] = True
        new[1:] |= (cls[:-1] == CLASS_BREAK) | (cls[:-1] == CLASS_NEWLINE)
        rid = np.cumsum(new) - 1
        n_runs = int(rid[-1]) + 1
        r_hist = np.bincount(rid * N_CLASSES + cls, minlength=n_runs * N_CLASSES).reshape(
            n_runs, N_CLASSES
        )
        r_han, r_kana = r_hist[:, CLASS_HAN], r_hist[:, CLASS_KANA]
        r_hangul = r_hist[:, CLASS_HANGUL]
        r_doc = group_of(np.flatnonzero(new), bounds)
        is_ja = kana_decides_ja(r_han, r_kana)
        # Han-only runs take the document's decision: a headline in kanji is Japanese in a
        # Japanese document.
        is_ja |= (r_kana == 0) & (r_han > 0) & doc_ja[r_doc] & (r_hangul == 0)
        long = is_ja & (r_han >= LONG_HAN_RUN)
        if long.any():
            is_ja &= ~long | _kana_between_han(cls, rid, long)
        is_ko = ~is_ja & (r_hangul > r_han)
        is_zh = ~is_ja & ~is_ko & (r_han > 0)
        r_lang = np.zeros(n_runs, dtype=np.uint8)
        r_lang[is_zh] = LANG_ZH
        r_lang[is_ja] = LANG_JA
        r_lang[is_ko] = LANG_KO
        lang = r_lang[rid]
    return lang, names


def _kana_between_han(cls: UInt8Array, rid: Int64Array, runs: BoolArray) -> BoolArray:
    """Per run: whether a kana stands between two Han of the run (only `runs` are looked at)."""
    in_runs = runs[rid]
    han = np.flatnonzero((cls == CLASS_HAN) & in_runs)
    h_run = rid[han]  # non-decreasing: each run's Han are contiguous here
    change = h_run[1:] != h_run[:-1]
    opens = np.concatenate([[True], change])
    closes = np.concatenate([change, [True]])
    first = np.full(len(runs), len(cls), dtype=np.int64)  # first Han of each run
    last = np.full(len(runs), -1, dtype=np.int64)  # last Han of each run
    first[h_run[opens]] = han[opens]
    last[h_run[closes]] = han[closes]
    kana = np.flatnonzero((cls == CLASS_KANA) & in_runs)
    k_run = rid[kana]
    inside = (kana > first[k_run]) & (kana < last[k_run])
    out = np.zeros(len(runs), dtype=bool)
    out[k_run[inside]] = True
    return out


# --------------------------------------------------------------------------------------------
# Where to cut


def safe_cuts(text: str, lo: int, hi: int, *, lines_only: bool) -> Int64Array:
    """Positions ``p`` in ``[lo, hi)`` where `text` may be cut before ``text[p]`` without
    changing any character of the normalized text or any token.

    ``text[p]`` must be one character that folds to one visible character and starts a new
    cluster (no mark or joiner that composes with what precedes it). Before it, either

    * a line break ``X "\\n"`` (or ``X "\\r\\n"``), with ``X`` folding to one character that
      is neither white space, Han, kana nor a hyphen: normalization keeps that line break
      whatever follows (it drops one between two CJK characters, joins ``exam-\\nple``), it
      ends a run, and MeCab and Sudachi segment each line alone; or
    * (`lines_only` False) a sentence end (``! ? 。`` after folding), which ends a run and is no
      token; character tokens and jieba's Han runs never cross it.

    White space touches neither side, so the white-space rules (collapsing, dropping between
    CJK characters, joining hyphenated lines) see the same neighbours in a piece as in the
    whole text. A chain of decorative separators (:mod:`textprint._separators`) never crosses
    a line break or a sentence end, so the separators found in a piece are those of the whole
    text inside it.

    The contract: let ``a < b`` be two cuts (or 0 and ``len(text)``), ``piece = text[a:b]`` and
    ``D`` the whole text's Han-only decision (`kana_decides_ja` of its normalized Han and kana
    counts, which are the sums of the pieces' counts). Then

    1. normalizing ``piece`` with ``han_only_ja=[D]`` gives exactly the whole text's normalized
       characters whose original spans lie in ``[a, b)``, in order, spans shifted by ``-a``
       (no normalized character spans a cut; the matching view and the analyzers' view alike);
    2. tokenizing it (``"char"`` or ``"jieba"``; with `lines_only`, any built-in tokenizer)
       gives exactly the whole text's tokens whose spans lie in ``[a, b)``, shifted by ``-a``;
    3. so the whole text's shingles are the pieces' shingles plus, at each cut, the shingles
       whose ``k`` tokens straddle it.

    Not covered: the document's language name (``Tokens.lang``) of a piece, and user
    tokenizers (a text given to one is never cut).
    """
    lo, hi = max(lo, 3), min(hi, len(text))
    if lo >= hi:
        return np.zeros(0, dtype=np.int64)
    tables = get_tables()
    c = codepoints(text[lo - 3 : hi])  # c[i] is text[lo - 3 + i]
    single = (tables.fold_len[c] == 1) & ~tables.cluster[c]
    folded = tables.fold_single[c]
    cls = tables.match_class[folded]
    visible = single & (cls != CLASS_SPACE) & (cls != CLASS_NEWLINE)
    hyphen = (folded == HYPHENS[0]) | (folded == HYPHENS[1])
    x = visible & (cls != CLASS_HAN) & (cls != CLASS_KANA) & ~hyphen
    # entry j is position lo + j: text[p] at c[j + 3], the characters before at c[j + 2], ...
    line = (c[2:-1] == _LF) & (x[1:-2] | ((c[1:-2] == _CR) & x[:-3]))
    if not lines_only:
        line |= single[2:-1] & (cls[2:-1] == CLASS_BREAK)
    out: Int64Array = np.flatnonzero(visible[3:] & line) + lo
    return out


def piece_bounds(text: str, max_chars: int, *, lines_only: bool) -> list[int]:
    """Cuts ``[0, c1, ..., len(text)]``: pieces of at most `max_chars` characters, each cut at
    the last safe position (`safe_cuts`) within reach; longer only where a stretch has no safe
    position at all (one giant line), which then stays whole."""
    n = len(text)
    cuts = [0]
    a = 0
    while n - a > max_chars:
        found = safe_cuts(text, a + 1, a + max_chars + 1, lines_only=lines_only)
        lo = a + max_chars + 1
        while len(found) == 0 and lo < n:  # none within reach: the first one after it
            found = safe_cuts(text, lo, lo + max_chars, lines_only=lines_only)[:1]
            lo += max_chars
        if len(found) == 0:
            break
        a = int(found[-1])
        cuts.append(a)
    cuts.append(n)
    return cuts


def natural_cut(text: str, lo: int, hi: int) -> int:
    """The best cut ``c`` with ``lo < c <= hi`` when the pieces need not be exact.

    Just after the last line break in ``text[lo:hi]``, else after its last sentence end (a
    character folding to ``! ? 。``), else after its last white space, else the last position
    that does not part a character from a mark composing with it; `hi` when there is none.
    Callers that need every piece at least half as long as allowed pass the second half of the
    range as ``[lo, hi)``. `natural_cuts` finds many at once.

    >>> natural_cut("第一句。第二句，还没完", 0, 10)
    4
    """
    lo, hi = max(lo, 0), min(hi, len(text))
    if hi <= lo:
        return hi
    # only the range and the character after it matter (the end of the text ends `piece`
    # exactly when it ends the text): a cut in a huge text costs its range, not the text
    piece = text[lo : hi + 1]
    zero = np.zeros(1, np.int64)
    return lo + int(natural_cuts([piece], zero, zero, zero + (hi - lo))[0])


def natural_cuts(texts: list[str], which: Int64Array, lo: Int64Array, hi: Int64Array) -> Int64Array:
    """`natural_cut` of ``texts[which[i]]`` in ``[lo[i], hi[i])``, for every ``i`` at once.

    >>> lo, hi = np.array([0, 0]), np.array([7, 3])
    >>> natural_cuts(["第一句。第二句", "a b"], np.array([0, 1]), lo, hi).tolist()
    [4, 2]
    """
    tables = get_tables()
    lens = np.array([len(t) for t in texts], dtype=np.int64)
    base = np.cumsum(lens) - lens  # where each text starts in the joined text
    c = codepoints("".join(texts))
    n = len(c)
    size = lens[which]
    lo, hi = np.maximum(lo, 0), np.minimum(hi, size)
    out: Int64Array = hi.astype(np.int64)
    todo = hi > lo
    # in the joined text (an empty range anywhere in its text: it is not looked at)
    a = base[which] + np.clip(lo, 0, size)
    b = np.maximum(base[which] + np.clip(hi, 0, size), a)
    end = base[which] + size
    cls = tables.match_class[tables.fold_single[c]]
    single = tables.fold_len[c] == 1
    for mark in (cls == CLASS_NEWLINE, single & (cls == CLASS_BREAK), cls == CLASS_SPACE):
        last = _last_before(mark, b)  # the last marked position before b, or -1
        found = todo & (last >= a)
        out[found] = last[found] + 1 - base[which][found]
        todo &= ~found
    # else the last position a + 1 .. b that starts no cluster continuation (or ends the text)
    ok = np.ones(n + 1, dtype=bool)
    ok[:n] = ~tables.cluster[c]
    ok[end] = True
    last = _last_before(ok, np.minimum(b + 1, n + 1))
    found = todo & (last > a)
    out[found] = last[found] - base[which][found]
    return out


def _last_before(mark: BoolArray, at: Int64Array) -> Int64Array:
    """For each ``at[i]``: the last marked position before it, or -1."""
    running = np.full(len(mark) + 1, -1, dtype=np.int64)
    marked = np.where(mark, np.arange(len(mark), dtype=np.int64), -1)
    np.maximum.accumulate(marked, out=running[1:])
    out: Int64Array = running[at]
    return out
