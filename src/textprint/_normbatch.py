"""Normalization of a batch into flat arrays (private): the currency of the later stages.

Two paths give the same result. The exact path (`normalize_exact`) runs every stage on every
character: composition (:mod:`textprint._folding`), white space, run languages
(:mod:`textprint._text_runs`), then the script folds. The fast path (`normalize_batch`) folds
most characters with one lookup (``FastTables``) and sends only what needs more to the exact
stages: removals and expansions are spliced in sparsely, white-space runs that may change are
collapsed alone, and documents with a cluster or with kana or Hangul whose runs are not all
Chinese are normalized on the exact path and spliced back. Both end with the separator rule
(:mod:`textprint._separators`, `_without_separators`). tests/reference.py is the slow,
obviously correct oracle of both.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._folding import collapse_whitespace, compose_stage
from ._kernels import codepoints, first_mask, gather_ranges, group_of, ranks, text_of
from ._separators import find_separators
from ._tables import (
    CLASS_HAN,
    CLASS_HANGUL,
    CLASS_KANA,
    CLASS_NEWLINE,
    CLASS_SPACE,
    N_CLASSES,
    SPECIAL,
    Tables,
    class_set,
    get_fast_tables,
    get_tables,
)
from ._text_runs import (
    HYPHENS,
    LANG_JA,
    LANG_KO,
    LANG_ZH,
    doc_languages,
    kana_decides_ja,
    run_languages,
    safe_cuts,
)
from ._typing import BoolArray, Int64Array, UInt8Array, UInt32Array

__all__ = ["NormalizedBatch", "SpanFn", "normalize_batch", "normalize_exact"]

#: Original spans (global offsets into a batch's joined input) of normalized positions.
SpanFn = Callable[[Int64Array], tuple[Int64Array, Int64Array]]
#: A normalization path without the separator rule: (texts, Han-only decisions) -> (batch,
#: characters on the exact cluster path).
Fold = Callable[[Sequence[str], "BoolArray | None"], tuple["NormalizedBatch", int]]


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
        full = _fold_exact(self._texts, self.han_only_ja)[0]
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
            self._doc_lang = doc_languages(self.classes, self.bounds, self.han_only_ja)[1]
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
        if isinstance(self._span_fn, _FastSpans):
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

    @property
    def starts(self) -> Int64Array:
        if self._starts is None:
            self._all_spans()
        assert self._starts is not None
        return self._starts

    @property
    def ends(self) -> Int64Array:
        if self._ends is None:
            self._all_spans()
        assert self._ends is not None
        return self._ends


def normalize_exact(
    texts: Sequence[str], han_only_ja: BoolArray | None = None
) -> tuple[NormalizedBatch, int]:
    """Normalize a batch on the exact path: every rule, every view computed.

    `han_only_ja` (optional, one flag per text) gives each text's Han-only decision instead of
    its own kana share (a piece of a longer text takes the whole text's decision). Returns the
    batch and the number of input characters handled by the exact cluster path.
    """
    return _without_separators(texts, _fold_exact, han_only_ja)


def normalize_batch(
    texts: Sequence[str], han_only_ja: BoolArray | None = None
) -> tuple[NormalizedBatch, int]:
    """Normalize a batch of texts into flat arrays (the fast path).

    Documents with a character the one-lookup fast path cannot handle (a combining mark or
    conjoining jamo, kana or Hangul, whose runs need the language rules) are normalized on the
    exact path and spliced in; removals, expansions and white space are handled sparsely;
    then the separator rule. `han_only_ja` is as in `normalize_exact`. Returns the batch and
    the number of input characters handled by the exact cluster path.
    """
    return _without_separators(texts, _fold_fast, han_only_ja)


def _without_separators(
    texts: Sequence[str], fold: Fold, han_only_ja: BoolArray | None
) -> tuple[NormalizedBatch, int]:
    """`fold` (the fast or the exact path), then the separator rule (`_separators`).

    The original characters of the separators found in the matching view are removed from
    the texts, which are normalized again, until no separator is found: the result is the
    normalization of the texts without them (so normalizing it again changes nothing), with
    spans into the texts as given; the separators belong to no span, like invisible
    characters. Texts without separators (nearly all) cost one search of their view; a text
    with some is normalized again only between the safe cuts around them (`_refold`).
    """
    batch, n_exact = fold(texts, han_only_ja)
    funcs = _compiled()
    if funcs is not None and not funcs["_chains_possible"](batch.folded, batch.classes):
        return batch, n_exact  # (the rule's first tests, compiled: nearly every text)
    found = find_separators(batch.folded, batch.classes, batch.bounds)
    if len(found) == 0:
        return batch, n_exact
    docs = np.unique(group_of(found, batch.bounds))
    decisions = None if han_only_ja is None else han_only_ja[docs]
    current = [texts[d] for d in docs.tolist()]
    # original position (in its own text) of each character of `current`
    origin = [np.arange(len(t), dtype=np.int64) for t in current]
    sub, owner_of = batch, docs
    while len(found):
        sub, n_more = _refold(sub, owner_of, found, current, origin, fold, decisions)
        n_exact += n_more
        owner_of = np.arange(len(current), dtype=np.int64)
        found = find_separators(sub.folded, sub.classes, sub.bounds)
    # offsets into the joined `current` -> offsets into the joined `texts`
    to_global = np.concatenate(
        [o + batch._doc_start[d] for o, d in zip(origin, docs.tolist())] + [np.zeros(1, np.int64)]
    )

    final = list(texts)
    for j, d in enumerate(docs.tolist()):
        final[d] = current[j]
    if len(docs) == len(texts):  # (every normalize call that gets here: one text)
        # `_merge` of every document: `sub` with its spans mapped once, here, rather than
        # through two more layers each time a span is asked for
        start, end = sub.global_spans(np.arange(len(sub.folded), dtype=np.int64))
        eager = batch._lang is not None and sub._lang is not None
        whole = NormalizedBatch(
            folded=sub.folded,
            classes=sub.classes,
            bounds=sub.bounds,
            doc_start=batch._doc_start,
            base=sub._base if eager else None,
            lang=sub._lang if eager else None,
            src_start=to_global[start],
            src_end=to_global[end - 1] + 1,
            texts=final,
            han_only_ja=batch.han_only_ja,
        )
        return whole, n_exact

    def sub_spans(idx: Int64Array) -> tuple[Int64Array, Int64Array]:
        start, end = sub.global_spans(idx)
        return to_global[start], to_global[end - 1] + 1

    return _merge(batch, docs, sub, sub_spans, final), n_exact


#: Characters around a stretch that `_refold` first looks through for a safe cut (doubled
#: while it finds none).
_CUT_REACH = 256


def _refold(
    sub: NormalizedBatch,
    owner_of: Int64Array,
    found: Int64Array,
    current: list[str],
    origin: list[Int64Array],
    fold: Fold,
    decisions: BoolArray | None,
) -> tuple[NormalizedBatch, int]:
    """One round of `_without_separators`: the separators `found` in `sub` (where text ``j``
    of `current` is document ``owner_of[j]``) are removed from `current` (and `origin`), in
    place; returns the normalization of the new `current` and the exact path's characters.

    Only the stretches between the last safe cut (`safe_cuts`) before a group of separators
    and the first one after it are normalized again (`_stretches`): the cuts stay safe (a cut
    is read from the four characters up to it, none of them removed), so by `safe_cuts`'
    contract the text normalizes to what it did outside the stretches, and to each stretch's
    own normalization (with the text's Han-only decision) inside it. When removing the
    separators changes the decision (their kana or Han counted in it), the text is normalized
    again whole.
    """
    starts, ends = sub.spans(found, found)
    owner = np.searchsorted(owner_of, group_of(found, sub.bounds))
    n_exact = 0
    f_parts: list[UInt32Array] = []
    c_parts: list[UInt8Array] = []
    s_parts: list[Int64Array] = []
    e_parts: list[Int64Array] = []
    l_parts: list[UInt8Array] | None = [] if sub._lang is not None else None
    b_parts: list[UInt32Array] | None = [] if sub._base is not None else None
    lengths = np.zeros(len(current), dtype=np.int64)
    for j in range(len(current)):
        lo_j, hi_j = int(sub.bounds[owner_of[j]]), int(sub.bounds[owner_of[j] + 1])
        at = owner == j
        text = current[j]
        if not at.any():  # (a later round: this text is done)
            piece = _doc_arrays(sub, lo_j, hi_j, 0, hi_j - lo_j, 0)
        else:
            gone = np.zeros(len(text) + 1, dtype=np.int64)
            np.add.at(gone, starts[at], 1)
            np.add.at(gone, ends[at], -1)
            keep = np.cumsum(gone[:-1]) == 0
            cuts = np.flatnonzero(np.diff(np.concatenate([[False], keep, [False]])))
            new_text = "".join(text[a:b] for a, b in zip(cuts[::2], cuts[1::2]))
            origin[j] = origin[j][keep]
            current[j] = new_text
            gone_before = np.zeros(len(text) + 1, dtype=np.int64)
            np.cumsum(~keep, out=gone_before[1:])
            stretches = _stretches(text, starts[at], ends[at])
            piece, n_more = _refold_stretches(
                sub, lo_j, hi_j, new_text, stretches, gone_before, fold, decisions, j
            )
            n_exact += n_more
        f_parts.append(piece[0])
        c_parts.append(piece[1])
        s_parts.append(piece[2])
        e_parts.append(piece[3])
        if l_parts is not None and b_parts is not None and piece[4] is not None:
            l_parts.append(piece[4][0])
            b_parts.append(piece[4][1])
        else:
            l_parts = b_parts = None
        lengths[j] = len(current[j])
    bounds = np.zeros(len(current) + 1, dtype=np.int64)
    np.cumsum([len(f) for f in f_parts], out=bounds[1:])
    doc_start = np.zeros(len(current) + 1, dtype=np.int64)
    np.cumsum(lengths, out=doc_start[1:])
    shift = np.repeat(doc_start[:-1], np.diff(bounds))
    out = NormalizedBatch(
        folded=np.concatenate(f_parts).astype(np.uint32, copy=False),
        classes=np.concatenate(c_parts).astype(np.uint8, copy=False),
        bounds=bounds,
        doc_start=doc_start,
        base=np.concatenate(b_parts).astype(np.uint32, copy=False) if b_parts else None,
        lang=np.concatenate(l_parts).astype(np.uint8, copy=False) if l_parts else None,
        src_start=np.concatenate(s_parts) + shift,
        src_end=np.concatenate(e_parts) + shift,
        texts=list(current),
        han_only_ja=decisions,
    )
    return out, n_exact


#: A document's stretch of a batch: folded, classes, doc-local starts and ends, and the
#: (lang, base) views when the batch has them.
_DocArrays = tuple[
    UInt32Array, UInt8Array, Int64Array, Int64Array, "tuple[UInt8Array, UInt32Array] | None"
]


def _doc_arrays(batch: NormalizedBatch, lo: int, hi: int, a: int, b: int, shift: int) -> _DocArrays:
    """Positions ``lo + a .. lo + b`` of `batch` (document positions ``lo .. hi``), with
    doc-local spans moved by `shift`."""
    idx = np.arange(lo + a, lo + b, dtype=np.int64)
    start, end = batch.spans(idx, idx) if len(idx) else (idx, idx)
    views = None
    if batch._lang is not None and batch._base is not None:
        views = (batch._lang[lo + a : lo + b], batch._base[lo + a : lo + b])
    return (
        batch.folded[lo + a : lo + b],
        batch.classes[lo + a : lo + b],
        start + shift,
        end + shift,
        views,
    )


def _safe_cut(text: str, at: int, *, before: bool) -> int:
    """The last safe cut of `text` before position `at` (or 0), or the first at or after it
    (or ``len(text)``)."""
    reach = _CUT_REACH
    while True:
        lo, hi = (max(at - reach, 0), at) if before else (at, min(at + reach, len(text)))
        if hi <= lo:
            return 0 if before else len(text)
        cuts = safe_cuts(text, lo, hi, lines_only=False)
        if len(cuts):
            return int(cuts[-1] if before else cuts[0])
        if (before and lo == 0) or (not before and hi == len(text)):
            return 0 if before else len(text)
        reach *= 2


def _stretches(text: str, starts: Int64Array, ends: Int64Array) -> list[tuple[int, int]]:
    """The stretches ``[a, b)`` of `text` to normalize again for the separators at the
    original spans `starts`/`ends` (sorted): separators less than ``_CUT_REACH`` apart form
    a group, each group reaches from the last safe cut before it to the first one at least
    three characters after it (the four characters a cut is read from are then kept), and
    stretches that overlap are joined."""
    out: list[tuple[int, int]] = []
    split = (starts[1:] - ends[:-1] > _CUT_REACH).nonzero()[0] + 1
    for first, last in zip(
        np.concatenate([[0], split]).tolist(), (np.append(split, len(starts)) - 1).tolist()
    ):
        a = _safe_cut(text, int(starts[first]), before=True)
        b = _safe_cut(text, int(ends[last]) + 3, before=False)
        if out and a < out[-1][1]:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _refold_stretches(
    sub: NormalizedBatch,
    lo: int,
    hi: int,
    new_text: str,
    stretches: list[tuple[int, int]],
    gone_before: Int64Array,
    fold: Fold,
    decisions: BoolArray | None,
    j: int,
) -> tuple[_DocArrays, int]:
    """The normalization of `new_text`: document ``lo .. hi`` of `sub` (normalized from the
    old text) with characters removed inside the `stretches` of the old text, where
    ``gone_before[x]`` characters were removed before old position ``x``."""
    decision = None if decisions is None else decisions[j : j + 1]
    if stretches == [(0, len(gone_before) - 1)]:
        whole, n_exact = fold([new_text], decision)
        return _doc_arrays(whole, 0, len(whole.folded), 0, len(whole.folded), 0), n_exact
    doc_starts = sub.span_start(np.arange(lo, hi, dtype=np.int64))
    # positions of the document before each stretch starts and before each ends
    k_a = np.searchsorted(doc_starts, [a for a, _ in stretches]).tolist()
    k_b = np.searchsorted(doc_starts, [b for _, b in stretches]).tolist()
    new_ab = [(a - int(gone_before[a]), b - int(gone_before[b])) for a, b in stretches]
    han, kana = _han_kana(sub.classes[lo:hi])
    old_ja = kana_decides_ja(han, kana)
    mid_decision = decision if decision is not None else np.array([old_ja])
    mids, n_exact = fold(
        [new_text[a:b] for a, b in new_ab], np.repeat(mid_decision, len(stretches))
    )
    if decision is None:
        for (ka, kb), m in zip(zip(k_a, k_b), range(len(stretches))):
            old_han, old_kana = _han_kana(sub.classes[lo + ka : lo + kb])
            m_lo, m_hi = int(mids.bounds[m]), int(mids.bounds[m + 1])
            new_han, new_kana = _han_kana(mids.classes[m_lo:m_hi])
            han, kana = han - old_han + new_han, kana - old_kana + new_kana
        if kana_decides_ja(han, kana) != old_ja:
            whole, n_more = fold([new_text], None)
            return _doc_arrays(whole, 0, len(whole.folded), 0, len(whole.folded), 0), n_more
    parts: list[_DocArrays] = []
    k_prev, shift = 0, 0
    for m, ((a, _), ka, kb) in enumerate(zip(new_ab, k_a, k_b)):
        parts.append(_doc_arrays(sub, lo, hi, k_prev, ka, shift))  # (kept as it was)
        m_lo, m_hi = int(mids.bounds[m]), int(mids.bounds[m + 1])
        parts.append(_doc_arrays(mids, m_lo, m_hi, 0, m_hi - m_lo, a))
        k_prev, shift = kb, -int(gone_before[stretches[m][1]])
    parts.append(_doc_arrays(sub, lo, hi, k_prev, hi - lo, shift))
    views = None
    if all(p[4] is not None for p in parts):
        views = (
            np.concatenate([p[4][0] for p in parts if p[4] is not None]),
            np.concatenate([p[4][1] for p in parts if p[4] is not None]),
        )
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
        np.concatenate([p[3] for p in parts]),
        views,
    ), n_exact


def _han_kana(classes: UInt8Array) -> tuple[int, int]:
    """Han and kana characters among `classes` (the counts of the Han-only decision)."""
    return int(np.count_nonzero(classes == CLASS_HAN)), int(np.count_nonzero(classes == CLASS_KANA))


def _compiled() -> dict[str, Callable[..., Any]] | None:
    """The compiled loops of :mod:`textprint._plain` once a single-text call has had them
    compiled (else None; the batch path never starts compiling)."""
    return _plain_ready()()


@functools.cache
def _plain_ready() -> Callable[[], dict[str, Callable[..., Any]] | None]:
    """`textprint._plain.ready`, imported on first use (that module imports the later
    stages' rules)."""
    from ._plain import ready

    return ready


def _fold_exact(texts: Sequence[str], han_only_ja: BoolArray | None) -> tuple[NormalizedBatch, int]:
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


_HAN_KANA = class_set(CLASS_HAN, CLASS_KANA)
#: The one form white space keeps when nothing else changes it (by class).
_WHITE_CHAR = np.zeros(N_CLASSES, dtype=np.uint32)
_WHITE_CHAR[[CLASS_SPACE, CLASS_NEWLINE]] = (0x20, 0x0A)


def _whitespace_fast(
    folded: UInt32Array, cls: UInt8Array, bounds: Int64Array
) -> tuple[UInt32Array, UInt8Array, Int64Array, BoolArray | None]:
    """The white-space rules on the fast path.

    Most white space is one space or line break between two characters that are not both
    CJK, already in its final form: nothing to do. A few passes over the white-space
    positions alone find the runs that may change (other space characters, longer runs, CJK
    on both sides, a hyphen before a line break); `collapse_whitespace` applies the rules to
    those only (each run is decided by itself and its two neighbours). Returns the
    characters, classes, bounds and the mask of kept positions (None: all kept).
    """
    ws = cls == CLASS_SPACE  # (comparisons: a table's take costs more over a whole text)
    ws |= cls == CLASS_NEWLINE
    ws = ws.nonzero()[0]
    if len(ws) == 0:
        return folded, cls, bounds, None
    ws_cls = cls.take(ws)
    odd = folded.take(ws) != _WHITE_CHAR.take(ws_cls)  # another space or line-break character
    run = ws[1:] - ws[:-1] == 1  # two white-space characters in a row: both
    odd[1:] |= run
    odd[:-1] |= run
    # between two Han or kana; a hyphen before a line break ("clip": at either end of the
    # batch, the neighbour read is the white space itself, which is neither)
    before = ws - 1
    odd |= _HAN_KANA.take(cls.take(before, mode="clip")) & _HAN_KANA.take(
        cls.take(ws + 1, mode="clip")
    )
    prev = folded.take(before, mode="clip")
    odd |= ((prev == HYPHENS[0]) | (prev == HYPHENS[1])) & (ws_cls == CLASS_NEWLINE)
    if not odd.any():
        return folded, cls, bounds, None
    return collapse_whitespace(folded, cls, bounds, ws[odd])


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
        ramp = ranks(ln[ex])
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


def _other_language_docs(
    cls: UInt8Array, bounds: Int64Array, docs: Int64Array, han_only_ja: BoolArray | None
) -> Int64Array:
    """The documents among `docs` where a Han character is on a Japanese or Korean run (the
    fast path folds every Han character as Chinese)."""
    idx, sub_bounds = gather_ranges(bounds[docs], bounds[docs + 1])
    sub = cls[idx]
    lang, _ = run_languages(sub, sub_bounds, None if han_only_ja is None else han_only_ja[docs])
    if lang is None:
        return np.zeros(0, dtype=np.int64)
    bad = np.flatnonzero(((lang == LANG_JA) | (lang == LANG_KO)) & (sub == CLASS_HAN))
    out: Int64Array = docs[np.unique(group_of(bad, sub_bounds))]
    return out


def _fold_fast(texts: Sequence[str], han_only_ja: BoolArray | None) -> tuple[NormalizedBatch, int]:
    """The fast path, but for separators (see `normalize_batch`)."""
    n_docs = len(texts)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n_docs)
    doc_start = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(lengths, out=doc_start[1:])
    n = int(doc_start[-1])
    if n == 0:
        return _fold_exact(texts, han_only_ja)
    ft = get_fast_tables()
    cps = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype="<u4")
    idx = cps.astype(np.intp)
    code = ft.code.take(idx)
    folded = ft.zh_fold.take(idx)
    del idx
    bounds = doc_start
    exact_docs: list[Int64Array] = []
    special = (code >= SPECIAL).nonzero()[0]  # (not flatnonzero: a fixed cost per call)
    expanded: tuple[Int64Array, Int64Array] | None = None
    if len(special):
        tables = get_tables()
        code &= SPECIAL - 1
        sc = cps[special]
        flen = tables.fold_len[sc]
        # CR LF is one line break: the CR of a CR LF pair (in one document) is removed
        nxt = special + 1
        crlf = (sc == 0x0D) & (nxt < n)
        if crlf.any():  # (the mask of document starts is as long as the batch)
            crlf[crlf] &= (cps[nxt[crlf]] == 0x0A) & ~first_mask(doc_start, n)[nxt[crlf]]
            flen[crlf] = 0
        clustered = tables.cluster[sc]
        if clustered.any():
            exact_docs.append(group_of(special[clustered], doc_start))
        change = (flen != 1) & ~clustered
        if change.any():
            edits = special[change]
            folded, code, bounds = _expand_sparse(
                folded, code, doc_start, edits, flen[change], cps, tables
            )
            expanded = (edits, flen[change].astype(np.int64))
    cls = code
    folded, cls, out_bounds, keep = _whitespace_fast(folded, cls, bounds)
    # kana and Hangul (or a Japanese decision given for Han-only runs): a document whose runs
    # are not all Chinese goes to the exact path
    kh = ((cls == CLASS_KANA) | (cls == CLASS_HANGUL)).nonzero()[0]
    if len(kh):
        kh = group_of(kh, out_bounds)
    if han_only_ja is not None:
        kh = np.concatenate([kh, np.flatnonzero(han_only_ja)])
    if len(kh):
        exact_docs.append(_other_language_docs(cls, out_bounds, np.unique(kh), han_only_ja))
    exact = np.unique(np.concatenate(exact_docs)) if exact_docs else np.zeros(0, dtype=np.int64)
    if len(exact) and int(lengths[exact].sum()) > _EXACT_SHARE * n:
        return _fold_exact(texts, han_only_ja)
    if len(exact) == 0:
        return (
            NormalizedBatch(
                folded=folded,
                classes=cls,
                bounds=out_bounds,
                doc_start=doc_start,
                span_fn=_fast_spans(n, expanded, keep),
                texts=texts,
                han_only_ja=han_only_ja,
            ),
            0,
        )
    spans = _fast_spans(n, expanded, keep)
    return _splice(texts, exact, folded, cls, out_bounds, doc_start, spans, han_only_ja)


def _fast_spans(
    n: int, expanded: tuple[Int64Array, Int64Array] | None, keep: BoolArray | None
) -> _FastSpans | None:
    """The spans of the fast path's `n` input characters after its sparse edits (None: every
    span is its own character)."""
    if expanded is None and keep is None:
        return None
    return _FastSpans(n, expanded, keep)


class _FastSpans:
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


def _splice(
    texts: Sequence[str],
    exact: Int64Array,
    folded: UInt32Array,
    cls: UInt8Array,
    bounds: Int64Array,
    doc_start: Int64Array,
    fast_spans: SpanFn | None,
    han_only_ja: BoolArray | None,
) -> tuple[NormalizedBatch, int]:
    """Replace the documents `exact` (sorted) of a fast-path batch by their exact-path result."""
    sub_decision = None if han_only_ja is None else han_only_ja[exact]
    sub, n_exact = _fold_exact([texts[i] for i in exact.tolist()], sub_decision)
    fast = NormalizedBatch(
        folded=folded,
        classes=cls,
        bounds=bounds,
        doc_start=doc_start,
        span_fn=fast_spans,
        han_only_ja=han_only_ja,
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
