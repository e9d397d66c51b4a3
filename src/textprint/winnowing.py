"""Winnowing: a subset of shingle hashes that guarantees shared runs are detected.

Stage 4a of the pipeline (Schleimer, Wilkerson, Aiken 2003).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ._typing import BoolArray, Int64Array, UInt64Array
from ._validation import check_int, check_text, check_texts
from .hashing import HASH_SCHEME, ShingleBatch, check_same_params, shingle_batch
from .tokenization import Tokenizer

__all__ = [
    "Fingerprint",
    "FingerprintParams",
    "fingerprint",
    "fingerprints",
    "winnow",
    "winnow_batch",
]


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
    minv = h[:m].copy()
    for j in range(1, window):
        np.minimum(minv, h[j : j + m], out=minv)
    pos = np.zeros(m, dtype=np.int64)
    count = np.zeros(m, dtype=np.int8)
    for j in range(window):
        eq = h[j : j + m] == minv
        pos[eq] = j  # ascending j: the last write is the rightmost minimum
        count += eq
    return pos, count > 1


def winnow_batch(hashes: UInt64Array, bounds: Int64Array, window: int) -> Int64Array:
    """Robust winnowing of many sequences at once: ``hashes[bounds[d]:bounds[d + 1]]`` is
    sequence ``d``; returns the selected global positions, sorted (each sequence's positions
    are ``bounds[d] <= p < bounds[d + 1]``)."""
    h = hashes
    n = len(h)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    lengths = np.diff(bounds)
    doc_end = np.repeat(bounds[1:], lengths)
    picks: list[Int64Array] = []
    if n >= window:
        # Every window of the flat array at once; windows that cross a document boundary are
        # dropped afterwards.
        right, tied_all = _window_minima(h, window)
        m = len(right)
        start = np.flatnonzero(np.arange(m) + window <= doc_end[:m])
        pick = start + right[start]
        tied = tied_all[start]
        if tied.any():
            pick = _robust_ties(h, start, pick, tied)
        picks.append(pick.astype(np.int64))
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
    result = []
    selected = winnow_batch(sh.hashes, sh.bounds, window)
    cut = np.searchsorted(selected, sh.bounds)
    all_starts = sh.span_start(selected)
    all_ends = sh.span_end(selected)
    for d in range(len(sh.bounds) - 1):
        a = int(sh.bounds[d])
        i, j = int(cut[d]), int(cut[d + 1])
        sel = selected[i:j]
        hashes, starts, ends, positions = sh.hashes[sel], all_starts[i:j], all_ends[i:j], sel - a
        for arr in (hashes, starts, ends, positions):
            arr.flags.writeable = False
        result.append(
            Fingerprint(
                hashes=hashes,
                starts=starts,
                ends=ends,
                positions=positions,
                n_shingles=int(sh.bounds[d + 1]) - a,
                params=params,
            )
        )
    return result


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
        Tokens per shingle.
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
    k = check_int(k, "k", low=1)
    window = check_int(window, "window", low=1)
    seed = check_int(seed, "seed", low=0, high=(1 << 64) - 1)
    out: list[Fingerprint] = []
    # bounded memory, and temporaries small enough for the allocator to reuse (see
    # minhash.CHUNK_CHARS): batches of about 1 M characters
    i = 0
    while i < len(docs):
        j, size = i, 0
        while j < len(docs) and (j == i or size + len(docs[j]) <= 1 << 20):
            size += len(docs[j])
            j += 1
        sh = shingle_batch(docs[i:j], k=k, seed=seed, tokenizer=tokenizer)
        out.extend(_build(sh, window))
        i = j
    return out
