"""Corpus deduplication: cluster near-duplicate texts with MinHash LSH and union-find.

Part of the index stage. Texts are signed once per distinct text: a text identical to an
earlier one (recognised by a key of its bytes, :mod:`textprint._exact`) takes that text's
signature without being signed again. Every band of every signature is sorted once; documents
sharing a band key
form a bucket; members of a small bucket are paired with each other, members of a large one
with the bucket's first (smallest) member; pairs are verified with the full signatures
(estimated Jaccard >= threshold); connected components of the verified pairs are the clusters,
labelled by their smallest member index.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from ._banding import band_keys_by_band, optimal_bands
from ._exact import FirstCopies
from ._kernels import EMPTY, agreements, owners, ranks
from ._typing import Int64Array, UInt64Array
from ._validation import check_param, iter_texts
from .errors import InvalidParameterError
from .minhash import MinHasher, Signatures
from .tokenization import Tokenizer

__all__ = ["ALL_PAIRS_MAX", "MAX_BUCKET", "DedupStats", "dedup"]

logger = logging.getLogger("textprint")

#: Buckets with more members than this are skipped (and counted): a band key shared by
#: thousands of documents is boilerplate, and pairing inside it costs more than it finds.
#: The Spark integration applies the same rule so both give the same clusters.
MAX_BUCKET = 10_000
#: Buckets with at most this many members pair all their members; larger ones pair each
#: member with the bucket's smallest member (the Spark integration applies the same rule).
ALL_PAIRS_MAX = 64


@dataclass(frozen=True, slots=True)
class DedupStats:
    """What a dedup run did: candidate pairs, verified pairs, skipped oversize buckets, and
    the texts identical to an earlier one, which took its signature instead of being signed
    again (``n_exact_copies``; 0 when signatures are given)."""

    n_documents: int
    n_candidate_pairs: int
    n_verified_pairs: int
    n_skipped_buckets: int
    n_clusters: int
    n_exact_copies: int = 0


def _candidate_pairs(
    values: UInt64Array, bands: int, rows: int, *, max_bucket: int = MAX_BUCKET
) -> tuple[Int64Array, Int64Array, int]:
    """Pairs (bucket's first member, member) over all bands, unique; and skipped buckets.

    Rows that are all ``2**64 - 1`` (too-short texts) never pair.
    """
    n = len(values)
    valid = np.flatnonzero(~(values == EMPTY).all(axis=1))
    if len(valid) < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 0
    keys = band_keys_by_band(values[valid], bands, rows)  # (bands, n): one band contiguous
    us: list[Int64Array] = []
    vs: list[Int64Array] = []
    skipped = 0
    for b in range(bands):
        order = np.argsort(keys[b], kind="stable")
        k = keys[b][order]
        new = np.ones(len(k), dtype=bool)
        new[1:] = k[1:] != k[:-1]
        gid = np.cumsum(new) - 1
        starts = np.flatnonzero(new)
        size = np.diff(np.append(starts, len(k)))
        big = size > max_bucket
        skipped += int(big.sum())
        # Small buckets pair every two members (a member's duplicate is found even when the
        # bucket's head is unrelated); larger ones pair each member with the head only.
        star = (size[gid] > ALL_PAIRS_MAX) & ~big[gid] & ~new
        us.append(valid[order[starts[gid[star]]]])
        vs.append(valid[order[star]])
        small = np.flatnonzero((size > 1) & (size <= ALL_PAIRS_MAX) & ~big)
        if len(small):
            sz = size[small]
            # for a bucket of m members, pairs (i, j) with i < j: m*(m-1)/2 of them
            n_pairs = sz * (sz - 1) // 2
            bucket = owners(n_pairs)
            local = ranks(n_pairs)
            i, j = _pair_index(local, sz[bucket])
            base = starts[small][bucket]
            us.append(valid[order[base + i]])
            vs.append(valid[order[base + j]])
    u = np.concatenate(us)
    v = np.concatenate(vs)
    if len(u) == 0:
        return u, v, skipped
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    pair = np.unique(lo * n + hi)
    return pair // n, pair % n, skipped


def _pair_index(local: Int64Array, m: Int64Array) -> tuple[Int64Array, Int64Array]:
    """The `local`-th pair (i, j), i < j, of m items in row-major order (0,1), (0,2), ..."""
    # row i starts at offset i*m - i*(i+1)/2; invert with the quadratic formula, then fix up
    mf = m.astype(np.float64)
    i = np.floor(((2 * mf - 1) - np.sqrt((2 * mf - 1) ** 2 - 8 * local)) / 2).astype(np.int64)
    row_start = i * m - i * (i + 1) // 2
    over = local < row_start
    i[over] -= 1
    row_start = i * m - i * (i + 1) // 2
    nxt = (i + 1) * m - (i + 1) * (i + 2) // 2
    under = local >= nxt
    i[under] += 1
    row_start = i * m - i * (i + 1) // 2
    j = i + 1 + (local - row_start)
    return i, j


def _connected_components(n: int, u: Int64Array, v: Int64Array) -> Int64Array:
    """Label each of `n` nodes with the smallest node of its component (vectorized union-find
    by min-label propagation with pointer jumping)."""
    labels = np.arange(n, dtype=np.int64)
    if len(u) == 0:
        return labels
    while True:
        lu, lv = labels[u], labels[v]
        m = np.minimum(lu, lv)
        before = labels.copy()
        np.minimum.at(labels, u, m)
        np.minimum.at(labels, v, m)
        np.minimum.at(labels, lu, m)
        np.minimum.at(labels, lv, m)
        while True:  # pointer jumping: every node points at its label's label
            nxt = labels[labels]
            if np.array_equal(nxt, labels):
                break
            labels = nxt
        if np.array_equal(labels, before):
            return labels


if TYPE_CHECKING:  # the options of `dedup`, spelled once for its two overloads
    from typing_extensions import TypedDict, Unpack

    class _Options(TypedDict, total=False):
        n_hashes: int
        k: int
        tokenizer: str | Tokenizer
        seed: int
        verify: bool
        max_bucket: int


@overload
def dedup(
    texts_or_signatures: Iterable[str] | Signatures | Any,
    threshold: float = ...,
    *,
    return_stats: Literal[False] = ...,
    **options: Unpack[_Options],
) -> Int64Array: ...


@overload
def dedup(
    texts_or_signatures: Iterable[str] | Signatures | Any,
    threshold: float = ...,
    *,
    return_stats: Literal[True],
    **options: Unpack[_Options],
) -> tuple[Int64Array, DedupStats]: ...


def dedup(
    texts_or_signatures: Iterable[str] | Signatures | Any,
    threshold: float = 0.8,
    *,
    n_hashes: int = 128,
    k: int = 5,
    tokenizer: str | Tokenizer = "auto",
    seed: int = 0,
    verify: bool = True,
    max_bucket: int = MAX_BUCKET,
    return_stats: bool = False,
) -> Int64Array | tuple[Int64Array, DedupStats]:
    """Cluster near-duplicates; label each document with the smallest index of its cluster.

    Parameters
    ----------
    texts_or_signatures : iterable of str, Signatures, or ndarray of shape (n, n_hashes)
        Texts (signed here with ``MinHasher(n_hashes, k=k, tokenizer=tokenizer, seed=seed)``,
        each distinct text once) or ready signatures.
    threshold : float, default 0.8
        Estimated Jaccard similarity at or above which two documents are duplicates.
    n_hashes, k, tokenizer, seed
        MinHash settings when texts are given.
    verify : bool, default True
        Keep only candidate pairs whose full-signature estimate reaches the threshold; with
        False every LSH candidate pair links (faster, more false merges).
    max_bucket : int, default 10000
        Buckets larger than this are skipped (counted in the stats and logged).
    return_stats : bool, default False
        Also return a :class:`~textprint.deduplication.DedupStats`.

    Returns
    -------
    labels : ndarray of shape (n,), dtype=int64
        ``labels[i]`` is the smallest index of document ``i``'s cluster (``i`` itself when it
        has no duplicate). Too-short texts are never duplicates.

    Examples
    --------
    >>> import textprint as tp
    >>> tp.dedup(["天下大势，分久必合，合久必分。周末七国分争，并入于秦。",
    ...           "To be, or not to be, that is the question.",
    ...           "天下大勢，分久必合，合久必分。周末七國分爭，併入於秦！"]).tolist()
    [0, 1, 0]
    """
    threshold = check_param("threshold", threshold)
    max_bucket = check_param("max_bucket", max_bucket)
    copies = None
    if isinstance(texts_or_signatures, Signatures):
        values = texts_or_signatures.values
    elif isinstance(texts_or_signatures, np.ndarray):
        if texts_or_signatures.dtype != np.uint64 or texts_or_signatures.ndim != 2:
            raise InvalidParameterError(
                "signatures must be uint64 of shape (n, n_hashes), got "
                f"{texts_or_signatures.dtype} {texts_or_signatures.shape}"
            )
        values = texts_or_signatures
    else:
        mh = MinHasher(n_hashes, k=k, tokenizer=tokenizer, seed=seed)
        copies = FirstCopies(iter_texts(texts_or_signatures))
        values = mh.signatures(copies).values
        # every text takes its first copy's signature: the same rows as signing them all
        values = values[np.searchsorted(copies.unique, copies.first)]
    n = len(values)
    bands, rows = optimal_bands(threshold, n_hashes=values.shape[1])
    u, v, skipped = _candidate_pairs(values, bands, rows, max_bucket=max_bucket)
    n_candidates = len(u)
    if verify and len(u):
        keep = np.zeros(len(u), dtype=bool)
        step = max(1, (1 << 22) // values.shape[1])
        for lo in range(0, len(u), step):
            a, b = values[u[lo : lo + step]], values[v[lo : lo + step]]
            keep[lo : lo + step] = agreements(a, b) / values.shape[1] >= threshold - 1e-12
        u, v = u[keep], v[keep]
    if skipped:
        logger.info("dedup skipped %d buckets larger than max_bucket=%d", skipped, max_bucket)
    labels = _connected_components(n, u, v)
    if not return_stats:
        return labels
    stats = DedupStats(
        n_documents=n,
        n_candidate_pairs=n_candidates,
        n_verified_pairs=len(u),
        n_skipped_buckets=skipped,
        n_clusters=len(np.unique(labels)),
        n_exact_copies=0 if copies is None else n - len(copies.unique),
    )
    return labels, stats
