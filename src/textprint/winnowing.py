"""Winnowing: a subset of shingle hashes that guarantees shared runs are detected.

Stage 4a of the pipeline (Schleimer, Wilkerson, Aiken 2003).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ._display import short_repr
from ._typing import BoolArray, Int64Array, UInt64Array
from ._validation import check_int, check_text, check_texts
from .hashing import HASH_SCHEME, MAX_K, ShingleBatch, check_same_params, shingle_batch
from .tokenization import Tokenizer

__all__ = [
    "Fingerprint",
    "FingerprintParams",
    "fingerprint",
    "fingerprints",
    "winnow",
    "winnow_batch",
]


#: Characters per batch of `fingerprints` (measured in benchmarks/bench_winnowing.py: the time
#: per character is lowest near 64 K; from 128 K the temporaries outgrow the allocator's reuse
#: and page faults add a third to the time).
_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class FingerprintParams:
    """Everything that produced a fingerprint."""

    k: int
    window: int
    seed: int
    tokenizer: str
    hash: str = HASH_SCHEME

    def check_compatible(self, other: object, what: str = "these fingerprints") -> None:
        """Raise IncompatibleError naming every setting that differs."""
        check_same_params(self, other, what)


@dataclass(frozen=True, slots=True, eq=False)
class Fingerprint:
    """The winnowed fingerprint of a text.

    Attributes
    ----------
    hashes : ndarray of shape (n,), dtype=uint64
        Selected shingle hashes, in text order.
    starts, ends : ndarray of shape (n,), dtype=int64
        Original-text span of each selected shingle.
    positions : ndarray of shape (n,), dtype=int64
        Index of each selected shingle among all the text's shingles.
    n_shingles : int
        Number of shingles the text has.
    params : FingerprintParams
    """

    hashes: UInt64Array
    starts: Int64Array
    ends: Int64Array
    positions: Int64Array
    n_shingles: int
    params: FingerprintParams

    def __len__(self) -> int:
        return len(self.hashes)

    def __repr__(self) -> str:
        return short_repr(self)


def winnow(hashes: UInt64Array, window: int) -> Int64Array:
    """Positions selected by robust winnowing.

    In each window of `window` consecutive hashes select the minimum; break ties by keeping the
    position the previous window selected if it is still in the window, else take the rightmost
    minimum. Each position is reported once, in increasing order. A sequence shorter than the
    window is one window.

    Parameters
    ----------
    hashes : ndarray of shape (n,), dtype=uint64
    window : int

    Returns
    -------
    ndarray of shape (n_selected,), dtype=int64

    Notes
    -----
    Schleimer, Wilkerson, Aiken, "Winnowing: local algorithms for document fingerprinting",
    SIGMOD 2003, section 4 ("robust winnowing"). The guarantee: any run of at least
    ``window`` hashes shared by two sequences makes them share a selected hash. Windows are
    evaluated all at once with numpy; only windows whose minimum is tied (repeated shingles)
    take the sequential tie-breaking path.

    Examples
    --------
    The worked example of the paper (hashes of the 5-grams of "adorunrunrunadorunrun", window 4):

    >>> import numpy as np
    >>> from textprint.winnowing import winnow
    >>> h = np.array([77, 74, 42, 17, 98, 50, 17, 98, 8, 88, 67, 39, 77, 74, 42, 17, 98],
    ...              dtype=np.uint64)
    >>> h[winnow(h, 4)].tolist()
    [17, 17, 8, 39, 17]
    """
    window = check_int(window, "window", low=1)
    h = np.asarray(hashes, dtype=np.uint64)
    return winnow_batch(h, np.array([0, len(h)], dtype=np.int64), window)


def _window_minima(h: UInt64Array, window: int) -> tuple[Int64Array, BoolArray]:
    """For every window of `window` consecutive values: the offset of its rightmost minimum,
    and whether the minimum occurs more than once. `window` contiguous passes of numpy
    comparisons (an argmin over a strided window view is several times slower)."""
    m = len(h) - window + 1
    minv = _sliding(h, window, np.minimum)
    pos = np.zeros(m, dtype=np.int64)
    count = np.zeros(m, dtype=np.int8)
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


def _gather_ranges(lo: Int64Array, hi: Int64Array) -> tuple[Int64Array, Int64Array]:
    """Indices of the concatenated ranges ``[lo, hi)`` and the new bounds of each range."""
    ln = hi - lo
    new_bounds = np.zeros(len(ln) + 1, dtype=np.int64)
    np.cumsum(ln, out=new_bounds[1:])
    idx = np.repeat(lo - new_bounds[:-1], ln) + np.arange(int(new_bounds[-1]), dtype=np.int64)
    return idx, new_bounds


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
        idx, _ = _gather_ranges(bounds[:-1][short], bounds[1:][short])
        selected[idx] = False
    cand = np.flatnonzero(selected)
    if len(cand) < 2:
        return cand
    tie = np.flatnonzero((np.diff(cand) < window) & (h[cand[1:]] == h[cand[:-1]]))
    if len(tie) == 0:
        return cand
    tied_docs = np.unique(
        np.searchsorted(bounds, np.concatenate([cand[tie], cand[tie + 1]]), side="right") - 1
    )
    lo, hi = bounds[:-1][tied_docs], bounds[1:][tied_docs]
    idx, sub_bounds = _gather_ranges(lo, hi)
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
        ln = lengths[short]
        seg = np.cumsum(ln) - ln  # segment starts in the gathered array
        member = np.repeat(np.arange(len(short)), ln)
        idx = np.repeat(bounds[:-1][short], ln) + (np.arange(int(ln.sum())) - np.repeat(seg, ln))
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


def _build(sh: ShingleBatch, window: int) -> list[Fingerprint]:
    params = FingerprintParams(
        k=sh.params.k, window=window, seed=sh.params.seed, tokenizer=sh.params.tokenizer
    )
    selected = winnow_batch(sh.hashes, sh.bounds, window)
    cut = np.searchsorted(selected, sh.bounds).tolist()
    doc = np.repeat(np.arange(len(cut) - 1, dtype=np.int64), np.diff(np.asarray(cut)))
    first, last = sh.first_last(selected, doc)
    # the arrays of the whole batch, read-only: each document's are views of them
    all_hashes = sh.hashes[selected]
    all_starts, all_ends = sh.tokens.spans(first, last, doc)
    all_positions = selected - sh.bounds[:-1][doc]
    for arr in (all_hashes, all_starts, all_ends, all_positions):
        arr.flags.writeable = False
    n_shingles = np.diff(sh.bounds).tolist()
    return [
        Fingerprint(
            hashes=all_hashes[i:j],
            starts=all_starts[i:j],
            ends=all_ends[i:j],
            positions=all_positions[i:j],
            n_shingles=n_sh,
            params=params,
        )
        for i, j, n_sh in zip(cut[:-1], cut[1:], n_shingles)
    ]


def fingerprint(
    text: str,
    *,
    k: int = 5,
    window: int = 10,
    tokenizer: str | Tokenizer = "auto",
    seed: int = 0,
) -> Fingerprint:
    """Winnowing fingerprint of a text.

    Parameters
    ----------
    text : str
    k : int, default 5
        Tokens per shingle, 1 to 2**32 (a text with fewer tokens has one shingle of all of
        them, so a larger k would change nothing).
    window : int, default 10
        Winnowing window, in shingles. Any run of ``window + k - 1`` tokens shared with another
        text yields a shared fingerprint hash.
    tokenizer : str or Tokenizer, default "auto"
    seed : int, default 0

    Returns
    -------
    Fingerprint
        ``.hashes`` (uint64), ``.starts``/``.ends`` (int64, original-text spans), ``.params``.
        An empty text gives an empty Fingerprint.

    Raises
    ------
    InvalidParameterError
        If `k`, `window` or `seed` is not an int in its range.

    Notes
    -----
    Robust winnowing (Schleimer, Wilkerson, Aiken 2003) over the shingle hashes of
    :mod:`textprint.hashing`.

    Examples
    --------
    >>> import textprint as tp
    >>> a = tp.fingerprint("天下大势，分久必合，合久必分。周末七国分争，并入于秦。")
    >>> b = tp.fingerprint("話說天下大勢，分久必合，合久必分：周末七國分爭，併入於秦")
    >>> bool(set(a.hashes.tolist()) & set(b.hashes.tolist()))
    True
    >>> len(tp.fingerprint(""))
    0
    """
    check_text(text)
    return fingerprints([text], k=k, window=window, tokenizer=tokenizer, seed=seed)[0]


def fingerprints(
    texts: Iterable[str],
    *,
    k: int = 5,
    window: int = 10,
    tokenizer: str | Tokenizer = "auto",
    seed: int = 0,
) -> list[Fingerprint]:
    """Winnowing fingerprints of many texts (the batch path; same results as `fingerprint`).

    Parameters
    ----------
    texts : iterable of str
    k, window, tokenizer, seed
        As in :func:`fingerprint`.

    Returns
    -------
    list of Fingerprint
    """
    docs = check_texts(texts)
    k = check_int(k, "k", low=1, high=MAX_K)
    window = check_int(window, "window", low=1)
    seed = check_int(seed, "seed", low=0, high=(1 << 64) - 1)
    out: list[Fingerprint] = []
    # bounded memory, and temporaries small enough to stay in cache and be reused by the
    # allocator (larger batches page-fault fresh memory on every call): see _CHUNK
    i = 0
    while i < len(docs):
        j, size = i, 0
        while j < len(docs) and (j == i or size + len(docs[j]) <= _CHUNK):
            size += len(docs[j])
            j += 1
        sh = shingle_batch(docs[i:j], k=k, seed=seed, tokenizer=tokenizer)
        out.extend(_build(sh, window))
        i = j
    return out
