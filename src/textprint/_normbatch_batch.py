"""The normalized batch (private): flat arrays, their way back to the original text, and the
exact path that computes every view.

`NormalizedBatch` is the currency between normalization and the later stages. Its spans map
back through the span functions of the paths that made it (`FastSpans` for the fast path's
sparse edits, `merge` for documents spliced in from another batch); the views only the exact
path computes (`lang`, `analysis`) are filled on first use by normalizing the texts again on
it (`fold_exact`). The entry points and the separator rule are in :mod:`textprint._normbatch`,
the fast path in :mod:`textprint._fastfold`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import numpy as np

from ._folding import collapse_whitespace, compose_stage
from ._kernels import codepoints, text_of
from ._tables import CLASS_HAN, CLASS_KANA, CLASS_NEWLINE, CLASS_SPACE, get_tables
from ._text_runs import LANG_JA, LANG_ZH, doc_languages, run_languages
from ._typing import BoolArray, Int64Array, UInt8Array, UInt32Array

__all__ = ["FastSpans", "Fold", "NormalizedBatch", "SpanFn", "fold_exact", "merge"]

#: Original spans (global offsets into a batch's joined input) of normalized positions.
SpanFn = Callable[[Int64Array], tuple[Int64Array, Int64Array]]
#: A normalization path without the separator rule: (texts, Han-only decisions) -> (batch,
#: characters on the exact cluster path).
Fold = Callable[[Sequence[str], "BoolArray | None"], tuple["NormalizedBatch", int]]
_View = TypeVar("_View")


class _OnFirstUse(Generic[_View]):
    """A view of a `NormalizedBatch` computed on first use: kept in the slot named as the view
    with a leading underscore, which `fill` sets (one fill may set several: one pass gives
    `starts` and `ends`; the exact path gives `lang` and the base of `analysis`)."""

    def __init__(self, fill: Callable[[NormalizedBatch], None]) -> None:
        self._fill = fill
        self._slot = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = "_" + name

    def __get__(self, batch: NormalizedBatch, owner: type | None = None) -> _View:
        if getattr(batch, self._slot) is None:
            self._fill(batch)
        value: _View = getattr(batch, self._slot)
        return value


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
    ``han_only_ja`` (None, or one flag per document) is the Han-only decision the batch was
    normalized with instead of each document's own (see :mod:`textprint._text_runs`).
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
        "han_only_ja",
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
        han_only_ja: BoolArray | None = None,
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
        self.han_only_ja = han_only_ja

    def text(self, doc: int) -> str:
        a, b = int(self.bounds[doc]), int(self.bounds[doc + 1])
        return text_of(self.folded[a:b])

    def han_kana(self) -> tuple[Int64Array, Int64Array]:
        """Per document, its Han and kana characters in the matching view (the counts the
        Han-only decision is made of)."""
        docs = np.repeat(np.arange(len(self.bounds) - 1, dtype=np.int64), np.diff(self.bounds))
        n_docs = len(self.bounds) - 1
        han = np.bincount(docs[self.classes == CLASS_HAN], minlength=n_docs)
        kana = np.bincount(docs[self.classes == CLASS_KANA], minlength=n_docs)
        return han.astype(np.int64), kana.astype(np.int64)

    def _exact_views(self) -> None:
        assert self._texts is not None
        # the texts are those the batch is the normalization of (separators already removed)
        full = fold_exact(self._texts, self.han_only_ja)[0]
        self._lang, self._base = full.lang, full._base

    def _fill_doc_lang(self) -> None:
        self._doc_lang = doc_languages(self.classes, self.bounds, self.han_only_ja)[1]

    def _fill_analysis(self) -> None:
        tables = get_tables()
        lang = self.lang
        base = self._base
        assert base is not None
        out = np.where(lang == LANG_ZH, tables.t2s[base], base)
        self._analysis = np.where(lang == LANG_JA, tables.jp[base], out).astype(np.uint32)

    lang = _OnFirstUse["UInt8Array"](_exact_views)
    doc_lang = _OnFirstUse["tuple[str, ...]"](_fill_doc_lang)
    analysis = _OnFirstUse["UInt32Array"](_fill_analysis)

    def global_spans(self, idx: Int64Array) -> tuple[Int64Array, Int64Array]:
        """Original spans of the normalized characters at `idx`, as offsets into the joined
        input of the batch."""
        if self._span_fn is not None:
            return self._span_fn(idx)
        g_start = idx if self._src_start is None else self._src_start[idx]
        g_end = idx + 1 if self._src_end is None else self._src_end[idx]
        return g_start, g_end

    def _offset(self, idx: Int64Array) -> Int64Array | np.int64:
        """Original offset of the document each normalized position belongs to (one
        number for a batch of one document: every ``normalize`` call)."""
        if len(self.bounds) == 2:
            first: np.int64 = self._doc_start[0]
            return first
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

    def _all_spans(self) -> None:
        """`starts` and `ends` of every character, from one `global_spans` call (each of
        them alone would map every position back once)."""
        if isinstance(self._span_fn, FastSpans):
            start = self._span_fn.every()
            end = start + 1
        else:
            start, end = self.global_spans(np.arange(len(self.folded), dtype=np.int64))
        if len(self.bounds) == 2 and self._doc_start[0] == 0:
            # one document (every normalize call): its spans are the global ones, in arrays
            # of their own (no path returns a view of its own arrays)
            self._starts = start.astype(np.int64, copy=False)
            self._ends = end.astype(np.int64, copy=False)
            return
        offset = np.repeat(self._doc_start[:-1], np.diff(self.bounds))
        self._starts = (start - offset).astype(np.int64, copy=False)
        self._ends = (end - offset).astype(np.int64, copy=False)

    starts = _OnFirstUse["Int64Array"](_all_spans)
    ends = _OnFirstUse["Int64Array"](_all_spans)


def fold_exact(texts: Sequence[str], han_only_ja: BoolArray | None) -> tuple[NormalizedBatch, int]:
    """The exact path: every rule but the separators', every view computed."""
    tables = get_tables()
    n_docs = len(texts)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n_docs)
    doc_start = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(lengths, out=doc_start[1:])
    cps = codepoints("".join(texts))
    chars, starts, ends, bounds, n_exact = compose_stage(cps, doc_start, tables)
    cls = tables.match_class[chars]
    ws = np.flatnonzero((cls == CLASS_SPACE) | (cls == CLASS_NEWLINE))
    if len(ws):
        chars, cls, bounds, keep = collapse_whitespace(chars, cls, bounds, ws)
        if keep is not None:
            if starts is None or ends is None:
                starts = np.flatnonzero(keep).astype(np.int64)
                ends = starts + 1
            else:
                starts, ends = starts[keep], ends[keep]
    lang, doc_lang = run_languages(cls, bounds, han_only_ja)
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
        han_only_ja=han_only_ja,
    )
    return batch, n_exact


class FastSpans:
    """Spans of the fast path's characters, from its sparse edits: each output character
    comes from one original character (an expansion's characters share theirs).

    Called with positions, it maps each back (binary searches over the edits); `every`
    maps all positions at once, in one pass (what `NormalizedBatch.starts` needs).
    """

    __slots__ = ("_expanded", "_keep", "_n", "_removed_adj", "_shifts")

    def __init__(
        self, n: int, expanded: tuple[Int64Array, Int64Array] | None, keep: BoolArray | None
    ) -> None:
        self._n = n
        self._expanded = expanded
        self._keep = keep
        self._removed_adj: Int64Array | None = None
        self._shifts: tuple[Int64Array, Int64Array] | None = None

    def __call__(self, idx: Int64Array) -> tuple[Int64Array, Int64Array]:
        q = idx
        if self._keep is not None:  # back over the white space that was removed
            if self._removed_adj is None:
                removed = (~self._keep).nonzero()[0]
                self._removed_adj = removed - np.arange(len(removed), dtype=np.int64)
            q = q + np.searchsorted(self._removed_adj, q, side="right")
        if self._expanded is not None:  # back over removals and expansions
            pos, ln = self._expanded
            if self._shifts is None:
                grown = np.zeros(len(pos) + 1, dtype=np.int64)  # characters added before each
                np.cumsum(ln - 1, out=grown[1:])
                self._shifts = (grown, pos + grown[:-1])
            grown, out_start = self._shifts
            j = np.searchsorted(out_start, q, side="right") - 1
            jj = np.maximum(j, 0)
            inside = (j >= 0) & (q < out_start[jj] + ln[jj])
            q = np.where(inside, pos[jj], q - np.where(j >= 0, grown[jj + 1], 0))
        q = q.astype(np.int64)
        return q, q + 1

    def every(self) -> Int64Array:
        """The original position of every output character, in order (each spans one)."""
        if self._expanded is None:
            src = np.arange(self._n, dtype=np.int64)
        else:
            pos, ln = self._expanded
            count = np.ones(self._n, dtype=np.int64)  # output characters of each input one
            count[pos] = ln
            src = np.repeat(np.arange(self._n, dtype=np.int64), count)
        out: Int64Array = src if self._keep is None else src[self._keep]
        return out


def merge(
    into: NormalizedBatch,
    docs: Int64Array,
    sub: NormalizedBatch,
    sub_spans: SpanFn,
    texts: Sequence[str],
) -> NormalizedBatch:
    """`into` with its documents `docs` (sorted) replaced by the documents of `sub`, in order.

    `sub_spans` gives the original spans of `sub`'s characters as offsets into `into`'s
    joined input; `texts` are the texts the result is the exact normalization of (for the
    views computed on first use); the Han-only decisions are `into`'s.
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
        han_only_ja=into.han_only_ja,
    )
