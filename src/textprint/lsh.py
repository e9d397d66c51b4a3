"""Locality-sensitive hashing over MinHash signatures: an index and corpus dedup.

Stage 5 of the pipeline. Signatures are cut into ``bands`` bands of ``rows`` rows; two
signatures become candidates when any band is equal, which happens with probability
``1 - (1 - J**rows)**bands`` for Jaccard similarity ``J`` (Indyk and Motwani 1998; Leskovec,
Rajaraman, Ullman, Mining of Massive Datasets, ch. 3). Candidates are then scored with the full
signature, so results carry an estimated Jaccard and are at or above the threshold.

Candidate generation sorts each band's keys once and looks queries up with binary search
(``numpy.searchsorted``): no Python dict per band. Each sorted entry packs a band key's high
bits with its row number, so one ``numpy.sort`` (not ``argsort``) orders a band; candidates
found on the truncated key are kept only where the full 64-bit band keys are equal, so the
packing never changes a result. Estimates are computed for all candidate pairs at once.
"""

from __future__ import annotations

import functools
import io
import itertools
import json
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ._typing import BoolArray, Int64Array, UInt64Array
from ._validation import check_int, check_probability
from .errors import (
    FormatError,
    InvalidInputError,
    InvalidParameterError,
    StorageError,
    UnknownWorkError,
)
from .hashing import R, fmix64
from .minhash import EMPTY, SignatureParams, Signatures

__all__ = ["LSHIndex", "Match", "optimal_bands"]

#: Largest signature length whose banding is derived (the quadrature grows with it).
MAX_BANDING_HASHES = 1024
FORMAT = "textprint-lsh"
FORMAT_VERSION = 1
#: Bytes of signature rows gathered at once when estimating candidate pairs.
_ESTIMATE_BLOCK_BYTES = 1 << 18


class Match(NamedTuple):
    """One query result: the key of an indexed signature and its estimated Jaccard similarity."""

    key: str | int
    estimated_jaccard: float


@functools.lru_cache(maxsize=64)
def _gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    # constant nodes and weights: computing them (an eigenvalue problem) costs more than the
    # quadrature itself
    x, w = np.polynomial.legendre.leggauss(n)
    x.flags.writeable = False
    w.flags.writeable = False
    return x, w


def _integrals(threshold: float, n_hashes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False-positive and false-negative areas for every (bands, rows) with bands*rows <= n."""
    pairs = [(b, r) for b in range(1, n_hashes + 1) for r in range(1, n_hashes // b + 1)]
    bands = np.array([p[0] for p in pairs], dtype=np.float64)
    rows = np.array([p[1] for p in pairs], dtype=np.float64)
    # The integrands are polynomials of degree bands*rows <= n_hashes, which Gauss-Legendre
    # quadrature with n_hashes // 2 + 1 nodes integrates exactly (up to rounding).
    x, w = _gauss_legendre(n_hashes // 2 + 2)

    def area(lo: float, hi: float, false_negative: bool) -> np.ndarray:
        s = (hi - lo) / 2 * x + (hi + lo) / 2
        p_collide = 1 - (1 - s[None, :] ** rows[:, None]) ** bands[:, None]
        f = 1 - p_collide if false_negative else p_collide
        out: np.ndarray = (f * w[None, :]).sum(axis=1) * (hi - lo) / 2
        return out

    fp = area(0.0, threshold, False)
    fn = area(threshold, 1.0, True)
    return np.array(pairs, dtype=np.int64), fp, fn


def optimal_bands(
    threshold: float,
    *,
    n_hashes: int = 128,
    false_positive_weight: float = 0.5,
    false_negative_weight: float = 0.5,
) -> tuple[int, int]:
    """Bands and rows minimizing the weighted false-positive and false-negative areas.

    The same objective as datasketch's ``MinHashLSH`` (integrals of the collision probability
    below and of the miss probability above the threshold), computed without scipy.

    Returns
    -------
    (bands, rows) : tuple of int
    """
    threshold = check_probability(threshold, "threshold", open_low=True)
    n_hashes = check_int(n_hashes, "n_hashes", low=1, high=MAX_BANDING_HASHES)
    for name, w in (
        ("false_positive_weight", false_positive_weight),
        ("false_negative_weight", false_negative_weight),
    ):
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not 0 <= w < float("inf"):
            raise InvalidParameterError(f"{name}={w!r} must be a finite float >= 0")
    if false_positive_weight + false_negative_weight <= 0:
        raise InvalidParameterError("false_positive_weight and false_negative_weight are both 0")
    return _optimal_bands(
        float(threshold), n_hashes, float(false_positive_weight), float(false_negative_weight)
    )


@functools.lru_cache(maxsize=256)
def _optimal_bands(
    threshold: float, n_hashes: int, false_positive_weight: float, false_negative_weight: float
) -> tuple[int, int]:
    """`optimal_bands` on validated arguments; a pure function, so its results are cached."""
    pairs, fp, fn = _integrals(threshold, n_hashes)
    error = fp * false_positive_weight + fn * false_negative_weight
    # datasketch keeps the first strict minimum in (bands, rows) order; so do we, with a
    # tolerance for quadrature rounding
    best = int(np.flatnonzero(error <= error.min() + 1e-12)[0])
    return int(pairs[best][0]), int(pairs[best][1])


def band_keys(values: UInt64Array, bands: int, rows: int) -> UInt64Array:
    """64-bit key of each band of each signature: shape (n, bands).

    ``key = fmix64(sum(v[t] * R**(rows - 1 - t)) + rows)`` over the band's values, modulo 2**64.
    """
    return _band_keys(values, bands, rows, "nbr,r->nb")


def _band_keys_by_band(values: UInt64Array, bands: int, rows: int) -> UInt64Array:
    """`band_keys` transposed, C-contiguous: shape (bands, n)."""
    return _band_keys(values, bands, rows, "nbr,r->bn")


def _band_keys(values: UInt64Array, bands: int, rows: int, subscripts: str) -> UInt64Array:
    v = values[:, : bands * rows].reshape(len(values), bands, rows)
    # one contraction with the powers of R (Horner's rule unrolled): unsigned arithmetic wraps
    # modulo 2**64, and einsum's sum-of-products loop is several times faster than `rows`
    # passes of multiply-add over (n, bands) temporaries
    acc: UInt64Array = np.ascontiguousarray(np.einsum(subscripts, v, _powers_of_r(rows)))
    acc += np.uint64(rows)
    return fmix64(acc)


@functools.lru_cache(maxsize=64)
def _powers_of_r(rows: int) -> UInt64Array:
    """``R**(rows - 1 - t) mod 2**64`` for t in range(rows), read-only."""
    out = np.array([pow(R, rows - 1 - t, 1 << 64) for t in range(rows)], dtype=np.uint64)
    out.flags.writeable = False
    return out


def _as_signatures(
    signatures: Any, n_hashes: int | None
) -> tuple[UInt64Array, SignatureParams | None]:
    params = signatures.params if isinstance(signatures, Signatures) else None
    values = np.asarray(signatures)
    if values.ndim == 1:
        values = values[None, :]
    if values.dtype != np.uint64 or values.ndim != 2:
        raise InvalidParameterError(
            f"signatures must be uint64 of shape (n, n_hashes), got {values.dtype} {values.shape}"
        )
    if n_hashes is not None and values.shape[1] != n_hashes:
        raise InvalidParameterError(
            f"signatures have {values.shape[1]} hashes, the index was built for n_hashes={n_hashes}"
        )
    return values, params


def _key_list(keys: Any) -> list[str | int]:
    """`keys` as a list of str and int (numpy integers become int); other types are refused."""
    if isinstance(keys, (str, bytes)):
        raise InvalidInputError(
            f"keys must be a sequence of str or int, not a bare {type(keys).__name__}; "
            "wrap a single key in a list"
        )
    if isinstance(keys, np.ndarray) and keys.ndim != 1:
        if keys.ndim == 0:
            raise InvalidInputError(
                "keys must be a sequence of str or int, got a 0-d array; wrap a single key in "
                "a list"
            )
        raise InvalidParameterError(
            f"keys must be one-dimensional (one key per signature), got an array of shape "
            f"{keys.shape}"
        )
    if not isinstance(keys, Iterable):
        raise InvalidInputError(f"keys must be a sequence of str or int, got {type(keys).__name__}")
    if isinstance(keys, np.ndarray) and keys.dtype.kind in "iu":
        out: list[str | int] = keys.tolist()  # integer keys from numpy: no per-key checks
        return out
    if isinstance(keys, range):
        return list(keys)
    out = list(keys)
    if set(map(type, out)) <= {int, str}:  # the common case, checked without a Python loop
        return out
    for k in out:
        if isinstance(k, bool) or not isinstance(k, (str, int, np.integer)):
            raise InvalidInputError(f"key {k!r} must be a str or an int, got {type(k).__name__}")
    return [int(k) if isinstance(k, np.integer) else k for k in out]


def _duplicate(keys: list[str | int]) -> str | int | None:
    """A key that appears twice in `keys`, or None."""
    if len(set(keys)) == len(keys):
        return None
    seen: set[str | int] = set()
    return next(k for k in keys if k in seen or seen.add(k))  # type: ignore[func-returns-value]


def _check_keys(keys: Any, n: int) -> list[str | int]:
    out = _key_list(keys)
    if len(out) != n:
        raise InvalidParameterError(f"got {len(out)} keys for {n} signatures")
    dup = _duplicate(out)
    if dup is not None:
        raise InvalidParameterError(f"key {dup!r} appears twice in this call; keys must be unique")
    return out


@dataclass(slots=True)
class _Sorted:
    """Per band, the usable rows' band keys, sorted, each packed with its row number.

    ``packed[b, i] = (key & ~low) | row``: the key's high bits above the row number's
    ``row_bits`` bits. Equal truncated keys are a superset of equal keys; callers confirm
    candidates on the full keys.
    """

    packed: UInt64Array  # (bands, n_usable), each band sorted
    row_bits: int


class LSHIndex:
    """A MinHash LSH index: add keyed signatures, query by signature.

    Parameters
    ----------
    threshold : float, default 0.8
        Jaccard similarity at or above which a signature is a match.
    n_hashes : int, default 128
    bands, rows : int, optional
        Explicit banding; by default derived from the threshold (see :meth:`for_threshold`).

    Examples
    --------
    >>> import textprint as tp
    >>> mh = tp.MinHasher(n_hashes=128)
    >>> texts = ["天下大势，分久必合，合久必分。周末七国分争，并入于秦。",
    ...          "天下大勢，分久必合，合久必分。周末七國分爭，併入於秦！",
    ...          "To be, or not to be, that is the question."]
    >>> index = tp.LSHIndex.for_threshold(0.8, n_hashes=128)
    >>> index.add(["a", "b", "c"], mh.signatures(texts))
    >>> [m.key for m in index.query(mh.signature(texts[0]))]
    ['a', 'b']
    """

    def __init__(
        self,
        threshold: float = 0.8,
        *,
        n_hashes: int = 128,
        bands: int | None = None,
        rows: int | None = None,
    ) -> None:
        self.threshold = check_probability(threshold, "threshold", open_low=True)
        self.n_hashes = check_int(n_hashes, "n_hashes", low=1, high=1 << 16)
        if (bands is None) != (rows is None):
            raise InvalidParameterError("give both bands and rows, or neither")
        if bands is None or rows is None:
            bands, rows = optimal_bands(self.threshold, n_hashes=self.n_hashes)
        self.bands = check_int(bands, "bands", low=1)
        self.rows = check_int(rows, "rows", low=1)
        if self.bands * self.rows > self.n_hashes:
            raise InvalidParameterError(
                f"bands*rows={self.bands * self.rows} must be <= n_hashes={self.n_hashes}"
            )
        self.params: SignatureParams | None = None
        self._keys: list[str | int] = []
        self._row_of: dict[str | int, int] = {}
        self._values = np.zeros((0, self.n_hashes), dtype=np.uint64)
        self._bkeys = np.zeros((self.bands, 0), dtype=np.uint64)  # (bands, n): band by band
        self._alive = np.zeros(0, dtype=bool)
        self._valid = np.zeros(0, dtype=bool)
        self._has_empty = np.zeros(0, dtype=bool)  # rows holding at least one EMPTY value
        self._sorted: _Sorted | None = None

    @classmethod
    def for_threshold(
        cls,
        threshold: float,
        *,
        n_hashes: int = 128,
        false_positive_weight: float = 0.5,
        false_negative_weight: float = 0.5,
    ) -> LSHIndex:
        """An index whose bands and rows minimize weighted false positives and negatives.

        Parameters
        ----------
        threshold : float
        n_hashes : int, default 128
        false_positive_weight, false_negative_weight : float, default 0.5

        Returns
        -------
        LSHIndex
        """
        bands, rows = optimal_bands(
            threshold,
            n_hashes=n_hashes,
            false_positive_weight=false_positive_weight,
            false_negative_weight=false_negative_weight,
        )
        return cls(threshold, n_hashes=n_hashes, bands=bands, rows=rows)

    def __repr__(self) -> str:
        return (
            f"LSHIndex(threshold={self.threshold}, n_hashes={self.n_hashes}, "
            f"bands={self.bands}, rows={self.rows}, size={len(self)})"
        )

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, key: object) -> bool:
        return key in self._row_of

    def keys(self) -> list[str | int]:
        """The indexed keys, in insertion order."""
        return [k for k, alive in zip(self._keys, self._alive.tolist()) if alive]

    def _adopt(self, params: SignatureParams | None) -> None:
        if params is None:
            return
        if self.params is None:
            self.params = params
        else:
            self.params.check_compatible(params, "the index and these signatures")

    def add(self, keys: Sequence[str | int], signatures: Any) -> None:
        """Add signatures under unique keys.

        Parameters
        ----------
        keys : sequence of str or int
            One per signature; a bare ``str`` is refused; a key already present raises.
        signatures : Signatures or ndarray of shape (n, n_hashes), dtype=uint64
            Rows with ``valid=False`` (too-short texts) are stored but never match.

        Raises
        ------
        InvalidInputError, InvalidParameterError, IncompatibleError
        """
        values, params = _as_signatures(signatures, self.n_hashes)
        key_list = _check_keys(keys, len(values))
        if not self._row_of.keys().isdisjoint(key_list):
            k = next(k for k in key_list if k in self._row_of)
            raise InvalidParameterError(
                f"key {k!r} is already in the index; remove it first to replace it"
            )
        self._adopt(params)
        start = len(self._keys)
        self._keys.extend(key_list)
        self._row_of.update(zip(key_list, range(start, start + len(key_list))))  # C-level
        valid, has_empty = _empty_rows(values)
        self._values = np.concatenate([self._values, values])
        self._bkeys = np.concatenate(
            [self._bkeys, _band_keys_by_band(values, self.bands, self.rows)], axis=1
        )
        self._alive = np.concatenate([self._alive, np.ones(len(values), dtype=bool)])
        self._valid = np.concatenate([self._valid, valid])
        self._has_empty = np.concatenate([self._has_empty, has_empty])
        self._sorted = None

    def remove(self, keys: Sequence[str | int]) -> None:
        """Remove keys.

        Parameters
        ----------
        keys : sequence of str or int
            A bare ``str`` is refused, as in :meth:`add`.

        Raises
        ------
        InvalidInputError
            If `keys` is not a sequence of str or int.
        InvalidParameterError
            If a key appears twice.
        UnknownWorkError
            If a key is not in the index (a KeyError); nothing is removed then.
        """
        key_list = _key_list(keys)
        dup = _duplicate(key_list)
        if dup is not None:
            raise InvalidParameterError(
                f"key {dup!r} appears twice in the keys to remove; keys must be unique"
            )
        for k in key_list:
            if k not in self._row_of:
                raise UnknownWorkError(f"key {k!r} is not in the index")
        for k in key_list:
            self._alive[self._row_of.pop(k)] = False
        self._sorted = None
        if len(self._alive) > 1024 and self._alive.sum() < len(self._alive) // 2:
            self._compact()

    def _compact(self) -> None:
        keep = np.flatnonzero(self._alive)
        self._keys = [self._keys[i] for i in keep.tolist()]
        self._row_of = {k: i for i, k in enumerate(self._keys)}
        self._values = self._values[keep]
        self._bkeys = self._bkeys[:, keep]
        self._valid = self._valid[keep]
        self._has_empty = self._has_empty[keep]
        self._alive = np.ones(len(keep), dtype=bool)
        self._sorted = None

    def _index(self) -> _Sorted:
        if self._sorted is None:
            usable = np.flatnonzero(self._alive & self._valid)
            row_bits = max(1, (len(self._keys) - 1).bit_length())
            keys = self._bkeys if len(usable) == len(self._keys) else self._bkeys[:, usable]
            packed = _pack(keys, usable, row_bits)
            packed.sort(axis=1)
            self._sorted = _Sorted(packed=packed, row_bits=row_bits)
        return self._sorted

    def _candidates(self, values: UInt64Array, valid: BoolArray) -> tuple[Int64Array, Int64Array]:
        """Unique (query, row) pairs sharing at least one band key, sorted by query then row."""
        idx = self._index()
        empty = np.zeros(0, dtype=np.int64)
        n = idx.packed.shape[1]
        queries = np.flatnonzero(valid)
        if n == 0 or len(queries) == 0:
            return empty, empty
        qk = _band_keys_by_band(values, self.bands, self.rows)
        # Queries packed and sorted like the index, so that the binary searches below walk the
        # index in order instead of jumping about in it. Both sides are compared on the key
        # bits above `bits`, the wider of the two packings: runs of equal truncated keys in the
        # index stay contiguous, and the needle is the sorted query entry with its id cleared.
        bits = max(idx.row_bits, (len(values) - 1).bit_length())
        q_sorted = _pack(qk[:, queries], queries, bits)
        q_sorted.sort(axis=1)
        id_mask = np.uint64((1 << bits) - 1)
        high = ~id_mask
        low = np.uint64((1 << idx.row_bits) - 1)
        last = np.int64(n - 1)
        qs: list[Int64Array] = []
        rs: list[Int64Array] = []
        for b in range(self.bands):
            packed_b = idx.packed[b]
            needle = q_sorted[b] & high
            lo = np.searchsorted(packed_b, needle, side="left")
            # `needle` has its low bits clear, so a match at `lo` means lo < n
            hit = np.flatnonzero((packed_b[np.minimum(lo, last)] & high) == needle)
            if len(hit) == 0:
                continue
            q = (q_sorted[b][hit] & id_mask).astype(np.int64)
            lo, needle = lo[hit], needle[hit]
            # runs of more than one equal truncated key are rare: find their ends by binary
            # search, the others end where they start
            longer = np.flatnonzero((packed_b[np.minimum(lo + 1, last)] & high) == needle)
            longer = longer[lo[longer] < last]
            if len(longer):
                cnt = np.ones(len(lo), dtype=np.int64)
                cnt[longer] = (
                    np.searchsorted(packed_b, needle[longer] | id_mask, side="right") - lo[longer]
                )
                first = np.cumsum(cnt) - cnt
                lo = np.repeat(lo - first, cnt) + np.arange(int(cnt.sum()))
                q = np.repeat(q, cnt)
            r = (packed_b[lo] & low).astype(np.int64)
            # the packing truncated the keys: keep the pairs whose full keys are equal
            same = self._bkeys[b][r] == qk[b][q]
            qs.append(q[same])
            rs.append(r[same])
        if not qs:
            return empty, empty
        n_rows = len(self._keys)
        pair = np.concatenate(qs) * n_rows + np.concatenate(rs)
        pair.sort()
        keep = np.ones(len(pair), dtype=bool)
        np.not_equal(pair[1:], pair[:-1], out=keep[1:])
        pair = pair[keep]
        return pair // n_rows, pair % n_rows

    def _estimate(self, values: UInt64Array, q: Int64Array, r: Int64Array) -> Int64Array:
        """Number of positions where query ``q`` and row ``r`` agree on a non-EMPTY value."""
        n_equal = np.empty(len(q), dtype=np.int64)
        # in blocks, so that the gathered rows stay in cache and memory stays bounded
        block = max(1, _ESTIMATE_BLOCK_BYTES // (8 * self.n_hashes))
        for s in range(0, len(q), block):
            equal = values[q[s : s + block]] == self._values[r[s : s + block]]
            n_equal[s : s + block] = np.count_nonzero(equal, axis=1)
        # an EMPTY slot (no token hashed there) equals EMPTY but is no evidence: recount the
        # few pairs whose indexed row holds one
        fix = np.flatnonzero(self._has_empty[r])
        if len(fix):
            a = values[q[fix]]
            n_equal[fix] = np.count_nonzero((a == self._values[r[fix]]) & (a != EMPTY), axis=1)
        return n_equal

    def query_many(
        self, signatures: Any, *, threshold: float | None = None, top_k: int | None = None
    ) -> list[list[Match]]:
        """Query many signatures at once (the fast batch path).

        Parameters
        ----------
        signatures : Signatures or ndarray of shape (n, n_hashes), dtype=uint64
        threshold : float, optional
            Minimum estimated Jaccard of a returned match; default the index's threshold.
            ``threshold=0`` returns every LSH candidate with its estimate.
        top_k : int, optional
            Keep at most this many matches per query.

        Returns
        -------
        list of list of Match
            Per query, ``(key, estimated_jaccard)`` best first (ties by insertion order).
        """
        values, params = _as_signatures(signatures, self.n_hashes)
        if params is not None and self.params is not None:
            self.params.check_compatible(params, "the index and the query")
        thr = self.threshold if threshold is None else check_probability(threshold, "threshold")
        if top_k is not None:
            top_k = check_int(top_k, "top_k", low=1)
        n_queries = len(values)
        q, r = self._candidates(values, _empty_rows(values)[0])
        if len(q) == 0:
            return [[] for _ in range(n_queries)]
        n_equal = self._estimate(values, q, r)
        est = n_equal / self.n_hashes
        keep = np.flatnonzero(est >= thr - 1e-12)
        q, r, n_equal, est = q[keep], r[keep], n_equal[keep], est[keep]
        # pairs come sorted by (query, row); a stable sort on (query, -estimate) keeps the row
        # (insertion) order among equal estimates
        order = np.argsort(q * (self.n_hashes + 1) + (self.n_hashes - n_equal), kind="stable")
        r, est = r[order], est[order]
        bounds = np.zeros(n_queries + 1, dtype=np.int64)
        np.cumsum(np.bincount(q, minlength=n_queries), out=bounds[1:])
        starts = bounds[:-1]
        # top_k can exceed int64 (a valid Python int): no query has more matches than pairs
        cap = None if top_k is None else min(top_k, len(r))
        ends = bounds[1:] if cap is None else np.minimum(bounds[1:], starts + cap)
        # the Match objects are made by C-level calls, not one Python call each
        keys = map(self._keys.__getitem__, r.tolist())
        matches = list(map(tuple.__new__, itertools.repeat(Match), zip(keys, est.tolist())))
        return [matches[a:b] for a, b in zip(starts.tolist(), ends.tolist())]

    def query(
        self, signature: Any, *, threshold: float | None = None, top_k: int | None = None
    ) -> list[Match]:
        """Keys whose signatures match `signature`, best first.

        Parameters
        ----------
        signature : ndarray of shape (n_hashes,), dtype=uint64
        threshold, top_k
            As in :meth:`query_many`.

        Returns
        -------
        list of Match
            ``(key, estimated_jaccard)`` NamedTuples, estimated_jaccard >= threshold.
        """
        values = np.asarray(signature)
        if values.ndim != 1:
            raise InvalidParameterError(
                "signature must be one MinHash signature, an array of shape (n_hashes,) from "
                f"MinHasher.signature(text), got {type(signature).__name__} of shape "
                f"{values.shape}; for a batch of signatures use query_many"
            )
        return self.query_many(values[None, :], threshold=threshold, top_k=top_k)[0]

    # -- persistence ------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write the index to one file (a zip of plain arrays and a JSON header; no pickle)."""
        self._compact()
        str_keys = [isinstance(k, str) for k in self._keys]
        header = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "threshold": self.threshold,
            "n_hashes": self.n_hashes,
            "bands": self.bands,
            "rows": self.rows,
            "params": None if self.params is None else _params_dict(self.params),
        }
        # surrogatepass: a str key may hold a lone surrogate (add accepts any str); its bytes
        # are the generalized UTF-8 of the code unit, read back exactly by `load`
        encoded = [str(k).encode("utf-8", "surrogatepass") for k in self._keys]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        arrays = {
            "values": self._values,
            "key_blob": np.frombuffer(b"".join(encoded), dtype=np.uint8),
            "key_offsets": offsets,
            "key_is_str": np.array(str_keys, dtype=bool),
        }
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        try:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("header.json", json.dumps(header, sort_keys=True))
                for name, arr in arrays.items():
                    buf = io.BytesIO()
                    np.save(buf, np.ascontiguousarray(arr), allow_pickle=False)
                    z.writestr(f"{name}.npy", buf.getvalue())
            tmp.replace(path)
        except OSError as exc:
            raise StorageError(f"cannot write the index to {str(path)!r}: {exc}") from exc

    @classmethod
    def load(cls, path: str | Path) -> LSHIndex:
        """Read an index written by :meth:`save`.

        Raises
        ------
        FormatError
            If the file is not a textprint LSH index, is corrupt, or has a newer format version.
        StorageError
            If the file cannot be read.
        """
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise StorageError(f"cannot read {str(path)!r}: {exc}") from exc
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as z:
                header = json.loads(z.read("header.json"))
                arrays = {
                    n: np.load(io.BytesIO(z.read(f"{n}.npy")), allow_pickle=False)
                    for n in ("values", "key_blob", "key_offsets", "key_is_str")
                }
        except (
            zipfile.BadZipFile,
            zlib.error,
            KeyError,
            ValueError,
            OSError,
            EOFError,
            NotImplementedError,
            RuntimeError,
        ) as exc:
            raise FormatError(
                f"{str(path)!r} is not a textprint LSH index (format {FORMAT} version "
                f"{FORMAT_VERSION}) or is corrupt: {exc}"
            ) from exc
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise FormatError(f"{str(path)!r} is not a textprint LSH index")
        version = header.get("version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise FormatError(
                f"{str(path)!r} has LSH index format version {version!r}; this textprint "
                f"reads versions up to {FORMAT_VERSION}: upgrade textprint"
            )
        try:
            index = cls(
                header["threshold"],
                n_hashes=header["n_hashes"],
                bands=header["bands"],
                rows=header["rows"],
            )
            blob = arrays["key_blob"].tobytes()
            off = arrays["key_offsets"].tolist()
            n_keys = len(arrays["key_is_str"])
            if (
                len(off) != n_keys + 1
                or off[0] != 0
                or off[-1] != len(blob)
                or bool((np.diff(np.asarray(off, dtype=np.int64)) < 0).any())
            ):
                raise FormatError(f"{str(path)!r} is corrupt: key offsets do not fit the keys")
            keys: list[str | int] = []
            for i, is_str in enumerate(arrays["key_is_str"].tolist()):
                s = blob[off[i] : off[i + 1]].decode("utf-8", "surrogatepass")
                keys.append(s if is_str else int(s))
            values = arrays["values"]
            if values.dtype != np.uint64 or values.ndim != 2 or len(values) != len(keys):
                raise FormatError(f"{str(path)!r} is corrupt: signature array does not fit")
            params = header.get("params")
            if params is not None:
                index.params = SignatureParams(**params)
            if keys:
                index.add(keys, values)
        except (KeyError, TypeError, ValueError, IndexError, UnicodeDecodeError) as exc:
            if isinstance(exc, FormatError):
                raise
            raise FormatError(f"{str(path)!r} is corrupt: {exc}") from exc
        return index


def _params_dict(p: SignatureParams) -> dict[str, Any]:
    return {
        "n_hashes": p.n_hashes,
        "k": p.k,
        "seed": p.seed,
        "scheme": p.scheme,
        "tokenizer": p.tokenizer,
        "hash": p.hash,
    }


def _empty_rows(values: UInt64Array) -> tuple[BoolArray, BoolArray]:
    """Per row: valid (not all EMPTY, i.e. not a too-short text) and holding any EMPTY value.

    EMPTY is the largest uint64, so one maximum over the whole array (no temporary) settles
    the common case of no EMPTY anywhere.
    """
    n = len(values)
    if n == 0 or values.max() != EMPTY:
        return np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
    has_empty: BoolArray = values.max(axis=1) == EMPTY
    valid = np.ones(n, dtype=bool)
    rows = np.flatnonzero(has_empty)
    valid[rows] = values[rows].min(axis=1) != EMPTY
    return valid, has_empty


def _pack(keys: UInt64Array, rows: Int64Array, row_bits: int) -> UInt64Array:
    """``(keys & ~low) | rows`` with ``low`` the lowest `row_bits` bits: shape (bands, n)."""
    out: UInt64Array = keys & ~np.uint64((1 << row_bits) - 1)
    out |= rows.astype(np.uint64)
    return out
