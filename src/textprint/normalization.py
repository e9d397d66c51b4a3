"""Normalization: the matching view of a text, with a map back to the original characters.

Stage 1 of the pipeline (normalize -> tokenize -> hash -> winnow | minhash -> ...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ._display import short_repr
from ._separators import find_separators
from ._tables import (
    CLASS_BREAK,
    CLASS_HAN,
    CLASS_HANGUL,
    CLASS_KANA,
    CLASS_NEWLINE,
    CLASS_SPACE,
    CLASS_WORD,
    N_CLASSES,
    SPECIAL,
    Tables,
    get_fast_tables,
    get_tables,
)
from ._typing import BoolArray, Int64Array, UInt8Array, UInt32Array
from ._validation import check_text

#: Original spans (global offsets into a batch's joined input) of normalized positions.
SpanFn = Callable[[Int64Array], tuple[Int64Array, Int64Array]]
#: A normalization path without the separator rule: texts -> (batch, characters on the exact
#: cluster path).
Fold = Callable[[Sequence[str]], tuple["NormalizedBatch", int]]

__all__ = ["NORMALIZATION_VERSION", "Normalized", "normalization_identity", "normalize"]

#: Version of the normalization rules (tables have their own version, recorded beside it).
NORMALIZATION_VERSION = "3"

# Run languages (per normalized character).
LANG_NONE, LANG_ZH, LANG_JA, LANG_KO = 0, 1, 2, 3
LANG_NAMES = ("other", "zh", "ja", "ko")
# A run is Japanese when kana are at least this share of its Han + kana characters. Japanese
# prose has far more (30-60%); Chinese text quoting one kana (the "の" of advertising) has less.
# The same share over a whole document decides its Han-only runs (minhash's long-text path
# counts it piece by piece: keep that rule a function of the document's Han and kana counts).
KANA_SHARE = 0.1
# A run with at least this many Han and no kana between them (Han only, or kana only before or
# after its Han) is never Japanese: Japanese sentences without kana inside are headings, names,
# dates or a verb after one word ("說明する"), shorter than this; a longer one is a Chinese
# sentence, a quotation or a copy, whatever kana are glued to it or stand elsewhere in the
# document. (Measured on 586 Aozora works and 118 Japanese Wikipedia articles: of their Han
# whose Japanese and Chinese folds differ, 0.1% change fold, nearly all in kanbun, sutras and
# dated bylines; 97-99% of 300 Tang poems with 1-8 kana glued before or after keep their fold.)
LONG_HAN_RUN = 8
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

    def __repr__(self) -> str:
        return short_repr(self)


class NormalizedBatch:
    """Flat arrays for a batch of texts (private currency between stages).

    ``folded`` is the matching view and ``classes`` its character classes (with sentence
    breaks marked); ``bounds[d]:bounds[d + 1]`` is document ``d``. ``analysis`` is what a
    morphological analyzer sees: the same characters before kana and look-alike folds
    (Traditional -> Simplified and kyujitai -> shinjitai already applied on their runs); every
    fold after composition is one character for one character, so both views have the same
    length. ``starts``/``ends`` (offsets local to each document), ``analysis``, ``lang`` (run
    language of each character) and ``doc_lang`` are computed on first use: the signature
    path never needs them. When the fast path made the batch, ``analysis`` and ``lang`` come
    from normalizing the texts again on the exact path (only analyzers need them).
    """

    __slots__ = (
        "_analysis",
        "_base",
        "_doc_lang",
        "_doc_start",
        "_ends",
        "_lang",
        "_span_fn",
        "_src_end",
        "_src_start",
        "_starts",
        "_texts",
        "bounds",
        "classes",
        "folded",
    )

    def __init__(
        self,
        *,
        folded: UInt32Array,
        classes: UInt8Array,
        bounds: Int64Array,
        doc_start: Int64Array,
        base: UInt32Array | None = None,
        lang: UInt8Array | None = None,
        doc_lang: tuple[str, ...] | None = None,
        src_start: Int64Array | None = None,
        src_end: Int64Array | None = None,
        span_fn: SpanFn | None = None,
        texts: Sequence[str] | None = None,
    ) -> None:
        self.folded = folded
        self.classes = classes
        self.bounds = bounds
        self._doc_lang = doc_lang
        self._lang = lang
        self._base = base
        self._src_start = src_start  # global original index of each char (None: identity)
        self._src_end = src_end
        self._span_fn = span_fn  # global spans of given positions (instead of the arrays)
        self._doc_start = doc_start  # original offset of each document in the joined input
        self._texts = texts  # for the views only the exact path computes (lang, base)
        self._analysis: UInt32Array | None = None
        self._starts: Int64Array | None = None
        self._ends: Int64Array | None = None

    def text(self, doc: int) -> str:
        a, b = int(self.bounds[doc]), int(self.bounds[doc + 1])
        return _to_str(self.folded[a:b])

    def _exact_views(self) -> None:
        assert self._texts is not None
        full = _normalize_exact(self._texts)[0]
        self._lang, self._base = full.lang, full._base

    @property
    def lang(self) -> UInt8Array:
        if self._lang is None:
            self._exact_views()
        assert self._lang is not None
        return self._lang

    @property
    def doc_lang(self) -> tuple[str, ...]:
        if self._doc_lang is None:
            self._doc_lang = _doc_languages(self.classes, self.bounds)[1]
        return self._doc_lang

    @property
    def analysis(self) -> UInt32Array:
        if self._analysis is None:
            tables = get_tables()
            lang = self.lang
            base = self._base
            assert base is not None
            out = np.where(lang == LANG_ZH, tables.t2s[base], base)
            self._analysis = np.where(lang == LANG_JA, tables.jp[base], out).astype(np.uint32)
        return self._analysis

    def global_spans(self, idx: Int64Array) -> tuple[Int64Array, Int64Array]:
        """Original spans of the normalized characters at `idx`, as offsets into the joined
        input of the batch."""
        if self._span_fn is not None:
            return self._span_fn(idx)
        g_start = idx if self._src_start is None else self._src_start[idx]
        g_end = idx + 1 if self._src_end is None else self._src_end[idx]
        return g_start, g_end

    def _offset(self, idx: Int64Array) -> Int64Array:
        """Original offset of the document each normalized position belongs to."""
        doc = np.searchsorted(self.bounds, idx, side="right") - 1
        out: Int64Array = self._doc_start[doc]
        return out

    def spans(
        self, first: Int64Array, last: Int64Array, doc: Int64Array | None = None
    ) -> tuple[Int64Array, Int64Array]:
        """Original (document-local) start of the characters at `first` and end of those at
        `last`; `doc` (optional) is the document of each pair."""
        start, _ = self.global_spans(first)
        _, end = self.global_spans(last)
        offset = self._offset(first) if doc is None else self._doc_start[doc]
        return (start - offset).astype(np.int64), (end - offset).astype(np.int64)

    def span_start(self, idx: Int64Array) -> Int64Array:
        """Original (document-local) start of the normalized characters at `idx`."""
        start, _ = self.global_spans(idx)
        out: Int64Array = (start - self._offset(idx)).astype(np.int64)
        return out

    def span_end(self, idx: Int64Array) -> Int64Array:
        """Original (document-local) end of the normalized characters at `idx`."""
        _, end = self.global_spans(idx)
        out: Int64Array = (end - self._offset(idx)).astype(np.int64)
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

    One rule beyond UAX #15: a starter with no primary composite for a mark composes as its
    kana and look-alike fold (``Tables.common``, applied after this stage) would, so
    small "ㇰ" + U+3099 -> "ぐ" and Cyrillic "а" + U+0301 -> "á". Otherwise the fold would
    leave a pair that composes when the result is normalized again ("く" + U+3099): the
    normalization would not be idempotent, and the mark would be a token of its own.
    """
    ccc, pairs, common = tables.ccc, tables.pairs, tables.common
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
                if comp is None:
                    folded = int(common[s])
                    comp = None if folded == s else pairs.get((folded, c))
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
        # (a CR ending one document and an LF starting the next are not a pair)
        flen[crlf[~_first_mask(bounds, len(cps))[crlf + 1]]] = 0
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


def _is_voicing_mark(chars: UInt32Array) -> BoolArray:
    """The combining kana voicing marks U+3099 and U+309A (the only non-starters of class
    kana or Han)."""
    out: BoolArray = (chars == 0x3099) | (chars == 0x309A)
    return out


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
    # or a spacing evasion, not a boundary. Not before a voicing mark (U+3099/U+309A, the
    # kana-class combining marks; "゛" is NFKC " " + U+3099): without the space the mark would
    # compose with the kana before it when the result is normalized again.
    cjk_next &= ~_is_voicing_mark(chars[np.minimum(nxt, n - 1)])
    drop = prev_ok & next_ok & cjk_prev & cjk_next
    # "exam-\nple" -> "example": a hyphen between a letter and a line break, a letter after it.
    pp = prev - 1
    # one line break only: a blank line between "Nora-" and "Nora" is a paragraph break
    hyph = (n_nl == 1) & prev_ok & next_ok & (next_c == CLASS_WORD) & (pp >= 0)
    if hyph.any():  # (np.isin costs more than the whole stage on a short text)
        before = chars[prev[hyph]]
        hyph[hyph] &= (before == HYPHENS[0]) | (before == HYPHENS[1])
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


def _doc_languages(cls: UInt8Array, bounds: Int64Array) -> tuple[BoolArray, tuple[str, ...]]:
    """Per document: whether its kana share makes Han-only runs Japanese, and its language."""
    n_docs = len(bounds) - 1
    doc = np.repeat(np.arange(n_docs, dtype=np.int64), np.diff(bounds))
    # one histogram of classes per document
    hist = np.bincount(doc * N_CLASSES + cls, minlength=n_docs * N_CLASSES).reshape(
        n_docs, N_CLASSES
    )
    d_han, d_kana = hist[:, CLASS_HAN], hist[:, CLASS_KANA]
    d_hangul, d_word = hist[:, CLASS_HANGUL], hist[:, CLASS_WORD]
    doc_ja = (d_kana > 0) & (d_kana >= KANA_SHARE * (d_han + d_kana))
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


def _language_stage(
    cls: UInt8Array, bounds: Int64Array
) -> tuple[UInt8Array | None, tuple[str, ...]]:
    """Per-character run language (None when no run has Han) and per-document language.

    Runs end after a line break and after "!", "?" and "。". A run is:

    - Japanese when its kana are at least `KANA_SHARE` (10%) of its Han + kana, or when it has
      Han, no kana and no Hangul and its document's kana reach that share (a headline in kanji
      is Japanese in a Japanese document), unless it has `LONG_HAN_RUN` (8) or more Han and no
      kana between its first and last Han: such a run is Chinese (a copied Traditional sentence
      with a few kana glued before or after it, or in a document made Japanese by a few kana
      elsewhere, keeps its Chinese fold);
    - else Korean when its Hangul outnumber its Han;
    - else Chinese when it has Han.

    Every rule looks inside one run or at the document's Han and kana counts only (the
    long-text signature path cuts texts between runs and counts those per piece).
    """
    n = len(cls)
    doc_ja, names = _doc_languages(cls, bounds)
    lang: UInt8Array | None = None
    if n and bool((cls == CLASS_HAN).any()):
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
        r_doc = np.searchsorted(bounds, np.flatnonzero(new), side="right") - 1
        is_ja = (r_kana > 0) & (r_kana >= KANA_SHARE * (r_han + r_kana))
        # Han-only runs take the document's context: a headline in kanji is Japanese in a
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


def _fold_exact(texts: Sequence[str]) -> tuple[NormalizedBatch, int]:
    """Normalize a batch on the exact path: every rule but the separators', every view
    computed.

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


def _whitespace_fast(
    folded: UInt32Array, cls: UInt8Array, bounds: Int64Array
) -> tuple[UInt32Array, UInt8Array, Int64Array, BoolArray | None]:
    """`_whitespace_stage` for the fast path.

    Most white space is one space or line break between two characters that are not both
    CJK, already in its final form: nothing to do. A few byte-wide passes find the runs that
    may change (longer runs, other space characters, CJK on both sides, a hyphen before a line
    break); `_whitespace_sparse` applies the rules to those only (each run is decided by
    itself and its two neighbours). Returns the characters, classes, bounds and the mask of
    kept positions (None: all kept).
    """
    space = cls == CLASS_SPACE
    newline = cls == CLASS_NEWLINE
    ws = space | newline
    if not ws.any():
        return folded, cls, bounds, None
    odd = space & (folded != 0x20)
    odd |= newline & (folded != 0x0A)
    run = ws[1:] & ws[:-1]
    odd[1:] |= run
    odd[:-1] |= run
    cjk = (cls == CLASS_HAN) | (cls == CLASS_KANA)
    mid = ws[1:-1] & cjk[:-2]
    mid &= cjk[2:]
    odd[1:-1] |= mid
    hyphen = (folded == 0x2D) | (folded == 0x2010)
    hyphen[1:] = hyphen[:-1] & newline[1:]
    hyphen[0] = False
    odd |= hyphen
    if not odd.any():
        return folded, cls, bounds, None
    return _whitespace_sparse(folded, cls, bounds, np.flatnonzero(odd))


def _whitespace_sparse(
    folded: UInt32Array, cls: UInt8Array, bounds: Int64Array, ws: Int64Array
) -> tuple[UInt32Array, UInt8Array, Int64Array, BoolArray | None]:
    """`_whitespace_stage` on the white-space runs at `ws` (whole runs, sorted), in place.

    The same rules (see there), on the folded characters: the fold after NFKC_Casefold maps
    nothing else to a hyphen and leaves white space and hyphens as they are.
    """
    n = len(folded)
    first_mask = _first_mask(bounds, n)
    is_nl = cls[ws] == CLASS_NEWLINE
    cont = np.zeros(len(ws), dtype=bool)  # continues the run of the previous white space
    cont[1:] = (ws[1:] == ws[:-1] + 1) & ~first_mask[ws[1:]]
    rf = np.flatnonzero(~cont)  # runs, as indices into ws
    rl = np.append(rf[1:] - 1, len(ws) - 1)
    run_first = ws[rf]
    run_end = ws[rl] + 1
    nl_count = np.zeros(len(ws) + 1, dtype=np.int64)
    np.cumsum(is_nl, out=nl_count[1:])
    n_nl = nl_count[rl + 1] - nl_count[rf]
    has_nl = n_nl > 0
    prev = run_first - 1
    prev_ok = ~first_mask[run_first]
    nxt = run_end
    next_ok = ~first_mask[nxt] & (nxt < n)
    prev_c = np.where(prev_ok, cls[np.maximum(prev, 0)], 0)
    next_c = np.where(next_ok, cls[np.minimum(nxt, n - 1)], 0)
    cjk_prev = (prev_c == CLASS_HAN) | (prev_c == CLASS_KANA)
    cjk_next = (next_c == CLASS_HAN) | (next_c == CLASS_KANA)
    cjk_next &= ~_is_voicing_mark(folded[np.minimum(nxt, n - 1)])
    drop = prev_ok & next_ok & cjk_prev & cjk_next
    pp = prev - 1
    hyph = (n_nl == 1) & prev_ok & next_ok & (next_c == CLASS_WORD) & (pp >= 0)
    if hyph.any():
        before = folded[prev[hyph]]
        hyph[hyph] &= (before == HYPHENS[0]) | (before == HYPHENS[1])
        hyph[hyph] &= ~first_mask[prev[hyph]] & (cls[pp[hyph]] == CLASS_WORD)
    rep = run_first.copy()
    if has_nl.any():
        nl_idx = np.flatnonzero(is_nl)
        rep[has_nl] = ws[nl_idx[np.searchsorted(nl_idx, rf[has_nl])]]
    gone = rep[drop | hyph]
    removed = len(ws) - len(rf) + len(gone) + int(np.count_nonzero(hyph))
    new_c = np.where(has_nl, 0x0A, 0x20).astype(np.uint32)
    if not removed:
        folded[rep] = new_c
        cls[rep] = np.where(has_nl, CLASS_NEWLINE, CLASS_SPACE)
        return folded, cls, bounds, None
    keep = np.ones(n, dtype=bool)
    keep[ws] = False
    keep[rep] = True
    keep[gone] = False
    keep[prev[hyph]] = False
    folded[rep] = new_c
    cls[rep] = np.where(has_nl, CLASS_NEWLINE, CLASS_SPACE)
    kept_before = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(keep, out=kept_before[1:])
    return folded[keep], cls[keep], kept_before[bounds], keep


def _expand_sparse(
    folded: UInt32Array,
    cls: UInt8Array,
    bounds: Int64Array,
    pos: Int64Array,
    flen: UInt8Array,
    cps: UInt32Array,
    tables: Tables,
) -> tuple[UInt32Array, UInt8Array, Int64Array]:
    """Apply the removals (``flen == 0``) and expansions (``flen > 1``) at `pos` (sorted).

    Returns the characters, classes and bounds (`_fast_spans` maps back).
    """
    ft = get_fast_tables()
    n = len(folded)
    ln = flen.astype(np.int64)
    ex = np.flatnonzero(ln > 1)
    pool_at = tables.fold_offset[cps[pos]]
    if len(pos) <= _FEW:
        # a few: concatenate the stretches between them and their replacements
        f_parts: list[UInt32Array] = []
        c_parts: list[UInt8Array] = []
        a = 0
        for p, length, off in zip(pos.tolist(), ln.tolist(), pool_at.tolist()):
            f_parts.append(folded[a:p])
            c_parts.append(cls[a:p])
            if length:
                piece = tables.fold_pool[off : off + length]
                f_parts.append(ft.zh[piece])
                c_parts.append(tables.match_class[piece])
            a = p + 1
        f_parts.append(folded[a:])
        c_parts.append(cls[a:])
        out_f = np.concatenate(f_parts)
        out_c = np.concatenate(c_parts)
    else:
        keep = np.ones(n, dtype=bool)
        keep[pos] = False
        at = pos - np.arange(len(pos), dtype=np.int64)  # position among the kept characters
        ins_at = np.repeat(at[ex], ln[ex])
        ramp = np.arange(len(ins_at), dtype=np.int64) - np.repeat(
            np.cumsum(ln[ex]) - ln[ex], ln[ex]
        )
        pool = tables.fold_pool[np.repeat(pool_at[ex], ln[ex]) + ramp]
        out_f = np.insert(folded[keep], ins_at, ft.zh[pool])
        out_c = np.insert(cls[keep], ins_at, tables.match_class[pool])
    grown = np.zeros(len(pos) + 1, dtype=np.int64)  # characters added before each position
    np.cumsum(ln - 1, out=grown[1:])
    out_bounds = bounds + grown[np.searchsorted(pos, bounds, side="left")]
    return out_f, out_c, out_bounds


# Removals and expansions in a batch up to which they are spliced in one by one.
_FEW = 64
# A batch whose documents needing the exact path hold more than this share of its characters
# is normalized on the exact path whole.
_EXACT_SHARE = 0.5


def _other_language_docs(cls: UInt8Array, bounds: Int64Array, docs: Int64Array) -> Int64Array:
    """The documents among `docs` where a Han character is on a Japanese or Korean run (the
    fast path folds every Han character as Chinese)."""
    lo, hi = bounds[docs], bounds[docs + 1]
    ln = hi - lo
    sub_bounds = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum(ln, out=sub_bounds[1:])
    idx = np.repeat(lo - sub_bounds[:-1], ln) + np.arange(int(sub_bounds[-1]), dtype=np.int64)
    sub = cls[idx]
    lang, _ = _language_stage(sub, sub_bounds)
    if lang is None:
        return np.zeros(0, dtype=np.int64)
    bad = np.flatnonzero(((lang == LANG_JA) | (lang == LANG_KO)) & (sub == CLASS_HAN))
    out: Int64Array = docs[np.unique(_doc_of(bad, sub_bounds))]
    return out


def _doc_of(pos: Int64Array, bounds: Int64Array) -> Int64Array:
    out: Int64Array = np.searchsorted(bounds, pos, side="right") - 1
    return out


def _fold_fast(texts: Sequence[str]) -> tuple[NormalizedBatch, int]:
    """Normalize a batch of texts into flat arrays (the fast path, but for separators).

    Documents with a character the one-lookup fast path cannot handle (a combining mark or
    conjoining jamo, kana or Hangul, whose runs need the language rules) are normalized on the
    exact path and spliced in; removals, expansions and white space are handled sparsely.
    Returns the batch and the number of input characters handled by the exact cluster path.
    """
    n_docs = len(texts)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n_docs)
    doc_start = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(lengths, out=doc_start[1:])
    n = int(doc_start[-1])
    if n == 0:
        return _fold_exact(texts)
    ft = get_fast_tables()
    cps = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype="<u4")
    idx = cps.astype(np.intp)
    code = ft.code.take(idx)
    folded = ft.zh_fold.take(idx)
    del idx
    bounds = doc_start
    exact_docs: list[Int64Array] = []
    special = np.flatnonzero(code >= SPECIAL)
    expanded: tuple[Int64Array, Int64Array] | None = None
    if len(special):
        tables = get_tables()
        code &= SPECIAL - 1
        sc = cps[special]
        flen = tables.fold_len[sc]
        # CR LF is one line break: the CR of a CR LF pair (in one document) is removed
        nxt = special + 1
        crlf = (sc == 0x0D) & (nxt < n)
        crlf[crlf] &= (cps[nxt[crlf]] == 0x0A) & ~_first_mask(doc_start, n)[nxt[crlf]]
        flen[crlf] = 0
        clustered = tables.cluster[sc]
        if clustered.any():
            exact_docs.append(_doc_of(special[clustered], doc_start))
        change = (flen != 1) & ~clustered
        if change.any():
            edits = special[change]
            folded, code, bounds = _expand_sparse(
                folded, code, doc_start, edits, flen[change], cps, tables
            )
            expanded = (edits, flen[change].astype(np.int64))
    cls = code
    folded, cls, out_bounds, keep = _whitespace_fast(folded, cls, bounds)
    # kana and Hangul: a document whose runs are not all Chinese goes to the exact path
    kh = np.flatnonzero((cls == CLASS_KANA) | (cls == CLASS_HANGUL))
    if len(kh):
        exact_docs.append(_other_language_docs(cls, out_bounds, np.unique(_doc_of(kh, out_bounds))))
    exact = np.unique(np.concatenate(exact_docs)) if exact_docs else np.zeros(0, dtype=np.int64)
    if len(exact) and int(lengths[exact].sum()) > _EXACT_SHARE * n:
        return _fold_exact(texts)
    if len(exact) == 0:
        return (
            NormalizedBatch(
                folded=folded,
                classes=cls,
                bounds=out_bounds,
                doc_start=doc_start,
                span_fn=_fast_spans(expanded, keep),
                texts=texts,
            ),
            0,
        )
    return _splice(texts, exact, folded, cls, out_bounds, doc_start, _fast_spans(expanded, keep))


def _fast_spans(
    expanded: tuple[Int64Array, Int64Array] | None, keep: BoolArray | None
) -> SpanFn | None:
    """Spans of the fast path's characters, from its sparse edits: each output character
    comes from one original character (an expansion's characters share theirs)."""
    if expanded is None and keep is None:
        return None
    removed_adj = None
    if keep is not None:
        removed = np.flatnonzero(~keep)
        removed_adj = removed - np.arange(len(removed), dtype=np.int64)
    if expanded is not None:
        pos, ln = expanded
        grown = np.zeros(len(pos) + 1, dtype=np.int64)  # characters added before each edit
        np.cumsum(ln - 1, out=grown[1:])
        out_start = pos + grown[:-1]

    def spans(idx: Int64Array) -> tuple[Int64Array, Int64Array]:
        q = idx
        if removed_adj is not None:  # back over the white space that was removed
            q = q + np.searchsorted(removed_adj, q, side="right")
        if expanded is not None:  # back over removals and expansions
            j = np.searchsorted(out_start, q, side="right") - 1
            jj = np.maximum(j, 0)
            inside = (j >= 0) & (q < out_start[jj] + ln[jj])
            q = np.where(inside, pos[jj], q - np.where(j >= 0, grown[jj + 1], 0))
        q = q.astype(np.int64)
        return q, q + 1

    return spans


def _splice(
    texts: Sequence[str],
    exact: Int64Array,
    folded: UInt32Array,
    cls: UInt8Array,
    bounds: Int64Array,
    doc_start: Int64Array,
    fast_spans: SpanFn | None,
) -> tuple[NormalizedBatch, int]:
    """Replace the documents `exact` (sorted) of a fast-path batch by their exact-path result."""
    sub, n_exact = _fold_exact([texts[i] for i in exact.tolist()])
    fast = NormalizedBatch(
        folded=folded, classes=cls, bounds=bounds, doc_start=doc_start, span_fn=fast_spans
    )
    # the exact batch's original offsets, moved to where its documents are in this one
    sub_shift = doc_start[exact] - sub._doc_start[:-1]

    def sub_spans(idx: Int64Array) -> tuple[Int64Array, Int64Array]:
        start, end = sub.global_spans(idx)
        shift = sub_shift[np.searchsorted(sub.bounds, idx, side="right") - 1]
        return start + shift, end + shift

    return _merge(fast, exact, sub, sub_spans, texts), n_exact


def _merge(
    into: NormalizedBatch,
    docs: Int64Array,
    sub: NormalizedBatch,
    sub_spans: SpanFn,
    texts: Sequence[str],
) -> NormalizedBatch:
    """`into` with its documents `docs` (sorted) replaced by the documents of `sub`, in order.

    `sub_spans` gives the original spans of `sub`'s characters as offsets into `into`'s
    joined input; `texts` are the texts the result is the exact normalization of (for the
    views computed on first use).
    """
    bounds = into.bounds
    # pieces in document order: (source, start, end) with source 0 = into, 1 = sub
    pieces: list[tuple[int, int, int]] = []
    lengths = np.diff(bounds)
    prev = 0
    for j, d in enumerate(docs.tolist()):
        if d > prev:
            pieces.append((0, int(bounds[prev]), int(bounds[d])))
        pieces.append((1, int(sub.bounds[j]), int(sub.bounds[j + 1])))
        lengths[d] = int(sub.bounds[j + 1] - sub.bounds[j])
        prev = d + 1
    if prev < len(bounds) - 1:
        pieces.append((0, int(bounds[prev]), int(bounds[-1])))
    new_bounds = np.zeros(len(bounds), dtype=np.int64)
    np.cumsum(lengths, out=new_bounds[1:])
    p_kind = np.array([k for k, _, _ in pieces], dtype=np.int64)
    p_from = np.array([a for _, a, _ in pieces], dtype=np.int64)
    p_out = np.zeros(len(pieces) + 1, dtype=np.int64)
    np.cumsum([b - a for _, a, b in pieces], out=p_out[1:])

    def join(first: np.ndarray, second: np.ndarray) -> np.ndarray:
        arrays = (first, second)
        return np.concatenate([arrays[k][a:b] for k, a, b in pieces])

    def spans(idx: Int64Array) -> tuple[Int64Array, Int64Array]:
        piece = np.searchsorted(p_out, idx, side="right") - 1
        local = idx - p_out[piece] + p_from[piece]
        is_into = p_kind[piece] == 0
        start = np.empty(len(idx), dtype=np.int64)
        end = np.empty(len(idx), dtype=np.int64)
        f = np.flatnonzero(is_into)
        if len(f):
            start[f], end[f] = into.global_spans(local[f])
        e = np.flatnonzero(~is_into)
        if len(e):
            start[e], end[e] = sub_spans(local[e])
        return start, end

    eager = into._lang is not None and sub._lang is not None
    return NormalizedBatch(
        folded=join(into.folded, sub.folded),
        classes=join(into.classes, sub.classes),
        bounds=new_bounds,
        doc_start=into._doc_start,
        base=join(into._base, sub._base) if eager else None,  # type: ignore[arg-type]
        lang=join(into._lang, sub._lang) if eager else None,  # type: ignore[arg-type]
        span_fn=spans,
        texts=texts,
    )


def _without_separators(texts: Sequence[str], fold: Fold) -> tuple[NormalizedBatch, int]:
    """`fold` (the fast or the exact path), then the separator rule (`_separators`).

    The original characters of the separators found in the matching view are removed from
    the texts, which are normalized again, until no separator is found: the result is the
    normalization of the texts without them (so normalizing it again changes nothing), with
    spans into the texts as given; the separators belong to no span, like invisible
    characters. Texts without separators (nearly all) cost one search of their view.
    """
    batch, n_exact = fold(texts)
    found = find_separators(batch.folded, batch.classes, batch.bounds)
    if len(found) == 0:
        return batch, n_exact
    docs = np.unique(_doc_of(found, batch.bounds))
    current = [texts[d] for d in docs.tolist()]
    # original position (in its own text) of each character of `current`
    origin = [np.arange(len(t), dtype=np.int64) for t in current]
    sub, owner_of = batch, docs
    while len(found):
        starts, ends = sub.spans(found, found)
        owner = np.searchsorted(owner_of, _doc_of(found, sub.bounds))
        for j in np.unique(owner).tolist():
            text = current[j]
            at = owner == j
            gone = np.zeros(len(text) + 1, dtype=np.int64)
            np.add.at(gone, starts[at], 1)
            np.add.at(gone, ends[at], -1)
            keep = np.cumsum(gone[:-1]) == 0
            cuts = np.flatnonzero(np.diff(np.concatenate([[False], keep, [False]])))
            current[j] = "".join(text[a:b] for a, b in zip(cuts[::2], cuts[1::2]))
            origin[j] = origin[j][keep]
        sub, n_more = fold(current)
        n_exact += n_more
        owner_of = np.arange(len(current), dtype=np.int64)
        found = find_separators(sub.folded, sub.classes, sub.bounds)
    # offsets into the joined `current` -> offsets into the joined `texts`
    to_global = np.concatenate(
        [o + batch._doc_start[d] for o, d in zip(origin, docs.tolist())] + [np.zeros(1, np.int64)]
    )

    def sub_spans(idx: Int64Array) -> tuple[Int64Array, Int64Array]:
        start, end = sub.global_spans(idx)
        return to_global[start], to_global[end - 1] + 1

    final = list(texts)
    for j, d in enumerate(docs.tolist()):
        final[d] = current[j]
    return _merge(batch, docs, sub, sub_spans, final), n_exact


def normalize_batch(texts: Sequence[str]) -> tuple[NormalizedBatch, int]:
    """Normalize a batch of texts into flat arrays (private fast path).

    Documents with a character the one-lookup fast path cannot handle (a combining mark or
    conjoining jamo, kana or Hangul, whose runs need the language rules) are normalized on the
    exact path and spliced in; removals, expansions and white space are handled sparsely;
    then the separator rule. Returns the batch and the number of input characters handled by
    the exact cluster path.
    """
    return _without_separators(texts, _fold_fast)


def _normalize_exact(texts: Sequence[str]) -> tuple[NormalizedBatch, int]:
    """Normalize a batch on the exact path: every rule, every view computed.

    Returns the batch and the number of input characters handled by the exact cluster path.
    """
    return _without_separators(texts, _fold_exact)


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
    package; clusters of a base and combining marks take an exact composition path, where a
    base with no composite for a mark composes as its kana or look-alike fold does, so small
    "ㇰ" + U+3099 is "ぐ"), removal of invisible characters (default ignorables and control
    characters), whitespace unified and collapsed, whitespace between two CJK characters
    removed, hyphenated line breaks joined; then, per run of text between sentence ends,
    Traditional -> Simplified on Chinese runs and kyujitai -> shinjitai on Japanese runs
    (OpenCC 1.4.2 character data; a run's language comes from its kana share, see
    `_language_stage`), and everywhere katakana -> hiragana, small kana -> large kana and
    look-alike letters -> Latin. Last, decorative separators go: a token character repeated
    after every one to three characters, in a chain of at least five within a sentence
    ("天丶下丶大丶势丶分丶久"; the rule and its limits are in ``textprint._separators``);
    their original characters are removed and the rest is normalized again. The result is
    idempotent: normalizing it again changes nothing.

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
