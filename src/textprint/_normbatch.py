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

This module holds the two entry points and the separator stage; the batch itself and the
exact path are in :mod:`textprint._normbatch_batch`, the fast path in
:mod:`textprint._fastfold`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._fastfold import fold_fast
from ._kernels import group_of
from ._normbatch_batch import Fold, NormalizedBatch, SpanFn, fold_exact, merge
from ._separators import find_separators
from ._tables import CLASS_HAN, CLASS_KANA
from ._text_runs import kana_decides_ja, safe_cuts
from ._typing import BoolArray, Int64Array, UInt8Array, UInt32Array

__all__ = ["NormalizedBatch", "SpanFn", "normalize_batch", "normalize_exact"]


def normalize_exact(
    texts: Sequence[str], han_only_ja: BoolArray | None = None
) -> tuple[NormalizedBatch, int]:
    """Normalize a batch on the exact path: every rule, every view computed.

    `han_only_ja` (optional, one flag per text) gives each text's Han-only decision instead of
    its own kana share (a piece of a longer text takes the whole text's decision). Returns the
    batch and the number of input characters handled by the exact cluster path.
    """
    return _without_separators(texts, fold_exact, han_only_ja)


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
    return _without_separators(texts, fold_fast, han_only_ja)


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
        # `merge` of every document: `sub` with its spans mapped once, here, rather than
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

    return merge(batch, docs, sub, sub_spans, final), n_exact


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
