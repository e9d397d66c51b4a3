"""Robust winnowing of many hash sequences at once (private kernel of :mod:`textprint.winnowing`).

Schleimer, Wilkerson, Aiken 2003, section 4: in each window of ``window`` consecutive hashes
the minimum is selected; a tie keeps the previous window's choice while it is still in the
window, else the rightmost minimum. `winnow_batch` evaluates every window with numpy; only
sequences whose windows hold a tied minimum go through the sequential `_robust_ties`.
"""

from __future__ import annotations

import numpy as np

from ._kernels import gather_ranges, group_of, owners
from ._typing import BoolArray, Int64Array, UInt64Array

__all__ = ["winnow_batch"]


def _window_minima(h: UInt64Array, window: int) -> tuple[Int64Array, BoolArray]:
    """For every window of `window` consecutive values: the offset of its rightmost minimum,
    and whether the minimum occurs more than once. `window` contiguous passes of numpy
    comparisons (an argmin over a strided window view is several times slower)."""
    m = len(h) - window + 1
    minv = _sliding(h, window, np.minimum)
    pos = np.zeros(m, dtype=np.int64)
    # int32: a window of 128 or more equal minima overflowed an int8 count, which then read
    # as "not tied" and skipped the robust tie-breaking
    count = np.zeros(m, dtype=np.int32)
    for j in range(window):
        eq = h[j : j + m] == minv
        pos[eq] = j  # ascending j: the last write is the rightmost minimum
        count += eq
    return pos, count > 1


def _sliding(h: UInt64Array, window: int, op: np.ufunc) -> UInt64Array:
    """``op`` (minimum or maximum) over every run of `window` consecutive values: doubling
    spans (1, 2, 4, ...), then two overlapping spans, about log2(window) + 1 passes."""
    cur = h
    span = 1
    while 2 * span <= window:
        cur = op(cur[:-span], cur[span:])
        span *= 2
    if span == window:
        return cur if cur is not h else h.copy()
    m = len(h) - window + 1
    out: UInt64Array = op(cur[:m], cur[window - span : window - span + m])
    return out


def _winnow_exact(hashes: UInt64Array, bounds: Int64Array, window: int) -> Int64Array:
    """Robust winnowing, window by window (every window's rightmost minimum, then the
    sequential tie-breaking of `_robust_ties` where a minimum is tied)."""
    h = hashes
    lengths = np.diff(bounds)
    doc_end = np.repeat(bounds[1:], lengths)
    right, tied_all = _window_minima(h, window)
    m = len(right)
    start = np.flatnonzero(np.arange(m) + window <= doc_end[:m])
    pick = start + right[start]
    tied = tied_all[start]
    if tied.any():
        pick = _robust_ties(h, start, pick, tied)
    out: Int64Array = pick.astype(np.int64)
    return out


def _winnow_windows(h: UInt64Array, bounds: Int64Array, window: int) -> Int64Array:
    """Picks of the sequences at least `window` long (the others must be masked by the caller).

    Without tied minima, robust winnowing selects exactly the positions that are the minimum
    of some window inside their sequence: ``h[p] == max(min(window) for windows holding p)``.
    Both sliding extrema take a few passes. A window with a tied minimum holds two such
    positions with equal hashes and no position of another value between them that is
    selected (it would have to be a smaller minimum of a window inside the two), so equal
    hashes at consecutive selected positions less than `window` apart find every tie; the
    sequences with one go through `_winnow_exact`.
    """
    n = len(h)
    m = n - window + 1
    minv = _sliding(h, window, np.minimum)
    # windows that cross into the next sequence count for nothing
    cut = (bounds[1:-1, None] - np.arange(1, window, dtype=np.int64)).ravel()
    minv[cut[(cut >= 0) & (cut < m)]] = 0
    padded = np.zeros(n + window - 1, dtype=np.uint64)
    padded[window - 1 : window - 1 + m] = minv
    best = _sliding(padded, window, np.maximum)
    lengths = np.diff(bounds)
    selected = h <= best
    short = np.flatnonzero((lengths > 0) & (lengths < window))
    if len(short):
        idx, _ = gather_ranges(bounds[:-1][short], bounds[1:][short])
        selected[idx] = False
    cand = np.flatnonzero(selected)
    if len(cand) < 2:
        return cand
    tie = np.flatnonzero((np.diff(cand) < window) & (h[cand[1:]] == h[cand[:-1]]))
    if len(tie) == 0:
        return cand
    tied_docs = np.unique(group_of(np.concatenate([cand[tie], cand[tie + 1]]), bounds))
    lo, hi = bounds[:-1][tied_docs], bounds[1:][tied_docs]
    idx, sub_bounds = gather_ranges(lo, hi)
    exact = idx[_winnow_exact(h[idx], sub_bounds, window)]
    in_tied = np.zeros(n + 1, dtype=np.int8)
    np.add.at(in_tied, lo, 1)
    np.add.at(in_tied, hi, -1)
    keep = np.cumsum(in_tied[:-1])[cand] == 0
    return np.concatenate([cand[keep], exact])


def winnow_batch(hashes: UInt64Array, bounds: Int64Array, window: int) -> Int64Array:
    """Robust winnowing of many sequences at once: ``hashes[bounds[d]:bounds[d + 1]]`` is
    sequence ``d``; returns the selected global positions, sorted (each sequence's positions
    are ``bounds[d] <= p < bounds[d + 1]``)."""
    h = hashes
    n = len(h)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    lengths = np.diff(bounds)
    picks: list[Int64Array] = []
    if n >= window:
        picks.append(_winnow_windows(h, bounds, window))
    short = np.flatnonzero((lengths > 0) & (lengths < window))
    if len(short):
        # a sequence shorter than the window is one window: its rightmost minimum
        idx, seg_bounds = gather_ranges(bounds[:-1][short], bounds[1:][short])
        seg = seg_bounds[:-1]  # segment starts in the gathered array
        member = owners(lengths[short])
        mins = np.minimum.reduceat(h[idx], seg)
        hit = np.where(h[idx] == mins[member], idx, -1)
        picks.append(np.maximum.reduceat(hit, seg).astype(np.int64))
    if not picks:
        return np.zeros(0, dtype=np.int64)
    if len(picks) == 1 and len(short) == 0:
        out = picks[0]
        if len(out) < 2 or bool((out[1:] > out[:-1]).all()):
            return out.astype(np.int64, copy=False)
    # window picks are non-decreasing within a document; a stable sort of nearly sorted
    # integers is linear, then repeated picks are dropped
    out = np.sort(np.concatenate(picks), kind="stable")
    keep = np.ones(len(out), dtype=bool)
    keep[1:] = out[1:] != out[:-1]
    result: Int64Array = out[keep].astype(np.int64)
    return result


def _robust_ties(
    h: UInt64Array, start: Int64Array, pick: Int64Array, tied: BoolArray
) -> Int64Array:
    """Sequential tie-breaking, visiting only the windows whose minimum occurs more than once:
    keep the previous window's choice while it is still inside this window and minimal. An
    untied window's choice is its unique minimum, so only tied windows can change."""
    out: Int64Array = pick.astype(np.int64)
    idx = np.flatnonzero(tied)
    idx = idx[idx > 0]
    if len(idx) == 0:
        return out
    starts = start[idx].tolist()
    own = h[pick[idx]].tolist()
    out_l = out.tolist() if len(idx) * 8 > len(out) else None  # many ties: work on a list
    for n, i in enumerate(idx.tolist()):
        prev = out_l[i - 1] if out_l is not None else int(out[i - 1])
        if prev >= starts[n] and int(h[prev]) == own[n]:
            if out_l is not None:
                out_l[i] = prev
            else:
                out[i] = prev
    return np.asarray(out_l, dtype=np.int64) if out_l is not None else out
