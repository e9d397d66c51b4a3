"""Locality-sensitive hashing over MinHash signatures: the index.

Stage 5 of the pipeline. Signatures are cut into ``bands`` bands of ``rows`` rows; two
signatures become candidates when any band is equal, which happens with probability
``1 - (1 - J**rows)**bands`` for Jaccard similarity ``J`` (Indyk and Motwani 1998; Leskovec,
Rajaraman, Ullman, Mining of Massive Datasets, ch. 3). Candidates are then scored with the full
signature, so results carry an estimated Jaccard and are at or above the threshold. Corpus
dedup with the same banding is :mod:`textprint.deduplication`.

Candidate generation sorts each band's keys once and looks queries up with binary search
(``numpy.searchsorted``): no Python dict per band. Each sorted entry packs a band key's high
bits with its row number, so one ``numpy.sort`` (not ``argsort``) orders a band; candidates
found on the truncated key are kept only where the full 64-bit band keys are equal, so the
packing never changes a result. Estimates are computed for all candidate pairs at once. One
query (:meth:`LSHIndex.query`) takes a compiled loop when numba is installed (the ``fast``
extra; the loop is in :mod:`textprint._lsh_loop`, handed out by :mod:`textprint._plain`), the
same searches on scalars otherwise.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ._banding import band_keys, band_keys_by_band, optimal_bands, powers_of_r
from ._index_file import read_index, write_index
from ._kernels import EMPTY, agreements, gather_ranges
from ._lsh_keys import as_keys, as_signatures, check_keys, duplicate, empty_rows
from ._plain import compiled, ready
from ._shingles import MASK64
from ._sorted_bands import SortedBands, Starts, pack, sort_bands
from ._typing import BoolArray, Int64Array, UInt64Array
from ._validation import check_param
from .errors import (
    DuplicateWorkError,
    FormatError,
    InvalidParameterError,
    UnknownWorkError,
)
from .minhash import SignatureParams

__all__ = ["LSHIndex", "Match", "band_keys", "optimal_bands"]

#: Bytes of signature rows gathered at once when estimating candidate pairs.
_ESTIMATE_BLOCK_BYTES = 1 << 18


class Match(NamedTuple):
    """One query result: the key of an indexed signature and its estimated Jaccard similarity."""

    key: str | int
    estimated_jaccard: float


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
        self.threshold = check_param("threshold", threshold)
        self.n_hashes = check_param("n_hashes", n_hashes)
        if (bands is None) != (rows is None):
            raise InvalidParameterError("give both bands and rows, or neither")
        if bands is None or rows is None:
            bands, rows = optimal_bands(self.threshold, n_hashes=self.n_hashes)
        self.bands = check_param("bands", bands)
        self.rows = check_param("rows", rows)
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
        self._sorted: SortedBands | None = None

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

        The banding is that of :func:`~textprint.lsh.optimal_bands` (datasketch's objective):
        of every ``(bands, rows)`` with ``bands * rows <= n_hashes``, the one minimizing the
        weighted sum of the chance that a pair below the threshold becomes a candidate and the
        chance that a pair above it does not, both integrated over the Jaccard similarity.

        Parameters
        ----------
        threshold : float
        n_hashes : int, default 128
        false_positive_weight, false_negative_weight : float, default 0.5
            Weights of the two errors; raise the second to miss fewer near-duplicates at the
            cost of more candidates to verify.

        Returns
        -------
        LSHIndex

        Examples
        --------
        >>> import textprint as tp
        >>> index = tp.LSHIndex.for_threshold(0.8, n_hashes=128)
        >>> index.bands, index.rows
        (9, 13)
        >>> fewer_misses = tp.LSHIndex.for_threshold(0.8, false_negative_weight=0.9,
        ...                                          false_positive_weight=0.1)
        >>> fewer_misses.bands, fewer_misses.rows
        (14, 9)
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
        DuplicateWorkError
            If a key appears twice in `keys` or is already in the index (``.key`` names it;
            an InvalidParameterError and a KeyError); nothing is added then.
        """
        values, params = as_signatures(signatures, self.n_hashes)
        key_list = check_keys(keys, len(values))
        if not self._row_of.keys().isdisjoint(key_list):
            k = next(k for k in key_list if k in self._row_of)
            raise DuplicateWorkError(
                f"key {k!r} is already in the index; remove it first to replace it", key=k
            )
        self._adopt(params)
        start = len(self._keys)
        self._keys.extend(key_list)
        self._row_of.update(zip(key_list, range(start, start + len(key_list))))  # C-level
        valid, has_empty = empty_rows(values)
        self._values = np.concatenate([self._values, values])
        self._bkeys = np.concatenate(
            [self._bkeys, band_keys_by_band(values, self.bands, self.rows)], axis=1
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
        DuplicateWorkError
            If a key appears twice (``.key`` names it).
        UnknownWorkError
            If a key is not in the index (a KeyError; ``.key`` names it); nothing is removed
            then.
        """
        key_list = as_keys(keys)
        dup = duplicate(key_list)
        if dup is not None:
            raise DuplicateWorkError(
                f"key {dup!r} appears twice in the keys to remove; keys must be unique", key=dup
            )
        for k in key_list:
            if k not in self._row_of:
                raise UnknownWorkError(f"key {k!r} is not in the index", key=k)
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
        self._bkeys = np.ascontiguousarray(self._bkeys[:, keep])  # (C order: the compiled loops')
        self._valid = self._valid[keep]
        self._has_empty = self._has_empty[keep]
        self._alive = np.ones(len(keep), dtype=bool)
        self._sorted = None

    def _index(self) -> SortedBands:
        if self._sorted is None:
            usable = np.flatnonzero(self._alive & self._valid)
            self._sorted = sort_bands(self._bkeys, usable, len(self._keys))
        return self._sorted

    def _starts(self, values: UInt64Array, valid: BoolArray) -> Starts | None:
        """Where each valid query's band keys start in the index's sorted bands (None when
        the index or the valid queries are empty)."""
        idx = self._index()
        n = idx.packed.shape[1]
        queries = np.flatnonzero(valid)
        if n == 0 or len(queries) == 0:
            return None
        n_values = len(values)
        qk = band_keys_by_band(values, self.bands, self.rows)
        # Queries packed and sorted like the index, so that the binary searches below walk the
        # index in order instead of jumping about in it (sorting them costs less than the
        # branch mispredictions of searching in their own order). Both sides are compared on
        # the key bits above `bits`, the wider of the two packings: runs of equal truncated
        # keys in the index stay contiguous, and the needle is the sorted query entry with its
        # id cleared.
        bits = max(idx.row_bits, (n_values - 1).bit_length())
        q_sorted = pack(qk[:, queries], queries, bits)
        q_sorted.sort(axis=1)
        id_mask = np.uint64((1 << bits) - 1)
        high = ~id_mask
        last = np.int64(n - 1)
        # band by band (arrays of one band stay small and in cache), the matches found in key
        # order are written back in query order
        at = np.full((self.bands, n_values), -1, dtype=np.int64)
        for b in range(self.bands):
            packed_b = idx.packed[b]
            needle = q_sorted[b] & high
            lo = np.searchsorted(packed_b, needle, side="left")
            # `needle` has its low bits clear, so a match at `lo` means lo < n
            found = (packed_b[np.minimum(lo, last)] & high) == needle
            at[b, (q_sorted[b][found] & id_mask).astype(np.int64)] = lo[found]
        return Starts(qk=qk, at=at, bits=bits)

    def _candidates(self, values: UInt64Array, valid: BoolArray) -> tuple[Int64Array, Int64Array]:
        """Unique (query, row) pairs sharing at least one band key, sorted by query then row."""
        empty = np.zeros(0, dtype=np.int64)
        starts = self._starts(values, valid)
        if starts is None:
            return empty, empty
        idx = self._index()
        qk, bits = starts.qk, starts.bits
        id_mask = np.uint64((1 << bits) - 1)
        high = ~id_mask
        low = np.uint64((1 << idx.row_bits) - 1)
        last = np.int64(idx.packed.shape[1] - 1)
        n_rows = len(self._keys)
        # Each band's matches are in query order, so that its pairs come out sorted by (query,
        # row) and the final stable sort only merges `bands` sorted runs.
        pairs: list[Int64Array] = []
        for b in range(self.bands):
            packed_b = idx.packed[b]
            q = np.flatnonzero(starts.at[b] >= 0)
            if len(q) == 0:
                continue
            lo = starts.at[b][q]
            needle = qk[b][q] & high
            # runs of more than one equal truncated key (near duplicates share band keys) are
            # rare: find their ends by binary search, the others end where they start
            longer = np.flatnonzero((packed_b[np.minimum(lo + 1, last)] & high) == needle)
            longer = longer[lo[longer] < last]
            if len(longer):
                cnt = np.ones(len(lo), dtype=np.int64)
                cnt[longer] = (
                    np.searchsorted(packed_b, needle[longer] | id_mask, side="right") - lo[longer]
                )
                lo = gather_ranges(lo, lo + cnt)[0]
                q = np.repeat(q, cnt)
            r = (packed_b[lo] & low).astype(np.int64)
            # the packing truncated the keys: keep the pairs whose full keys are equal
            same = self._bkeys[b][r] == qk[b][q]
            pairs.append(q[same] * n_rows + r[same])
        if not pairs:
            return empty, empty
        pair = np.concatenate(pairs)
        # sorted runs, one per band (a run of equal truncated keys lists its rows in order
        # unless the queries' ids are the wider packing, and such runs are short): a stable
        # sort merges them in about one pass
        pair.sort(kind="stable")
        keep = np.ones(len(pair), dtype=bool)
        np.not_equal(pair[1:], pair[:-1], out=keep[1:])
        pair = pair[keep]
        return pair // n_rows, pair % n_rows

    def _candidates_one(self, values: UInt64Array) -> tuple[Int64Array, Int64Array]:
        """`_candidates` of one valid query (``values`` of shape (1, n_hashes)): the same
        pairs, found with scalar binary searches band by band instead of the batch's
        vectorised passes (one query would pay for their temporaries, not use them)."""
        idx = self._index()
        n = idx.packed.shape[1]
        empty = np.zeros(0, dtype=np.int64)
        if n == 0:
            return empty, empty
        # one query: the id bits are the index's (see _candidates)
        low = (1 << idx.row_bits) - 1
        high = MASK64 ^ low
        qk = band_keys_by_band(values, self.bands, self.rows)[:, 0].tolist()
        rows: set[int] = set()
        packed, bkeys = idx.packed, self._bkeys
        for b, key in enumerate(qk):
            packed_b = packed[b]
            needle = key & high
            # (numpy scalars: a Python int would make searchsorted convert the whole band)
            lo = int(packed_b.searchsorted(np.uint64(needle), side="left"))
            if lo == n:
                continue
            at = int(packed_b[lo])
            if at & high != needle:
                continue
            if lo + 1 == n or int(packed_b[lo + 1]) & high != needle:
                # one entry (nearly always): the packing truncated the keys, so confirm the
                # row on its full key
                if int(bkeys[b, at & low]) == key:
                    rows.add(at & low)
                continue
            hi = int(packed_b.searchsorted(np.uint64(needle | low), side="right"))
            found = (packed_b[lo:hi] & np.uint64(low)).astype(np.int64)
            rows.update(found[bkeys[b][found] == np.uint64(key)].tolist())
        if not rows:
            return empty, empty
        r = np.array(sorted(rows), dtype=np.int64)
        return np.zeros(len(r), dtype=np.int64), r

    def _estimate(self, values: UInt64Array, q: Int64Array, r: Int64Array) -> Int64Array:
        """Number of positions where query ``q`` and row ``r`` agree on a non-EMPTY value."""
        n_equal = np.empty(len(q), dtype=np.int64)
        # in blocks, so that the gathered rows stay in cache and memory stays bounded; an EMPTY
        # slot (no token hashed there) is no evidence, and only rows holding one check for it
        block = max(1, _ESTIMATE_BLOCK_BYTES // (8 * self.n_hashes))
        for s in range(0, len(q), block):
            rows = r[s : s + block]
            n_equal[s : s + block] = agreements(
                values[q[s : s + block]], self._values[rows], b_empty=self._has_empty[rows]
            )
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
        values, params = as_signatures(signatures, self.n_hashes)
        if params is not None and self.params is not None:
            self.params.check_compatible(params, "the index and the query")
        thr = self.threshold if threshold is None else check_param("query_threshold", threshold)
        if top_k is not None:
            top_k = check_param("top_k", top_k)
        n_queries = len(values)
        valid = empty_rows(values)[0]
        if n_queries == 1 and valid[0]:  # one query (`query`): the scalar path
            return [self._query_one(values, thr, top_k)]
        funcs = ready()  # (compiled for a single-text call or a query; never for a batch)
        if funcs is None:
            q, r = self._candidates(values, valid)
            if len(q) == 0:
                return [[] for _ in range(n_queries)]
            n_equal = self._estimate(values, q, r)
            est = n_equal / self.n_hashes
            keep = np.flatnonzero(est >= thr - 1e-12)
            q, r, n_equal, est = q[keep], r[keep], n_equal[keep], est[keep]
            # pairs come sorted by (query, row); a stable sort on (query, -estimate) keeps the
            # row (insertion) order among equal estimates
            order = np.argsort(q * (self.n_hashes + 1) + (self.n_hashes - n_equal), kind="stable")
            r, est = r[order], est[order]
            bounds = np.zeros(n_queries + 1, dtype=np.int64)
            np.cumsum(np.bincount(q, minlength=n_queries), out=bounds[1:])
        else:
            # the same matches, estimates and order from one compiled pass (tests/test_lsh.py
            # holds the two paths equal)
            bounds, r, n_equal = self._compiled_query(funcs, values, thr)
            est = n_equal / self.n_hashes
        starts = bounds[:-1]
        # top_k can exceed int64 (a valid Python int): no query has more matches than pairs
        cap = None if top_k is None else min(top_k, len(r))
        ends = bounds[1:] if cap is None else np.minimum(bounds[1:], starts + cap)
        # the Match objects are made by C-level calls, not one Python call each
        keys = map(self._keys.__getitem__, r.tolist())
        matches = list(map(tuple.__new__, itertools.repeat(Match), zip(keys, est.tolist())))
        return [matches[a:b] for a, b in zip(starts.tolist(), ends.tolist())]

    def _compiled_query(
        self, funcs: dict[str, Callable[..., Any]], values: UInt64Array, thr: float
    ) -> tuple[Int64Array, Int64Array, Int64Array]:
        """Bounds per query, rows and agreement counts of the matches, best first, from the
        compiled loop `_lsh_query` (:mod:`textprint._lsh_loop`, handed out by
        :mod:`textprint._plain`)."""
        idx = self._index()
        out: tuple[Int64Array, Int64Array, Int64Array] = funcs["_lsh_query"](
            np.ascontiguousarray(values),
            powers_of_r(self.rows),
            self.rows,
            idx.packed,
            idx.row_bits,
            self._bkeys,
            self._values,
            EMPTY,
            thr - 1e-12,
        )
        return out

    def _query_one(self, values: UInt64Array, thr: float, top_k: int | None) -> list[Match]:
        """`query_many`'s matches of one valid query (``values`` of shape (1, n_hashes)), without
        the batch's grouping passes: the same estimates, filter and order."""
        funcs = compiled()  # (numba: compiled in the background on a first call, as a text's)
        if funcs is None:
            r = self._candidates_one(values)[1]
            # (without `b_empty`, every row is tested for EMPTY: _estimate's counts, in one pass)
            n_equal = agreements(values, self._values[r]) if len(r) else r
            # a few candidates: Python lists cost less than numpy calls. ``count / n_hashes``
            # is query_many's estimate bit for bit (both are IEEE divisions of exact integers)
            n_hashes, lowest = self.n_hashes, thr - 1e-12
            found = [
                (count, row)
                for count, row in zip(n_equal.tolist(), r.tolist())
                if count / n_hashes >= lowest
            ]
            # best first; among equal estimates, rows (insertion order) ascending as they come
            found.sort(key=_minus_count)
        else:
            _, r, n_equal = self._compiled_query(funcs, values, thr)
            found = list(zip(n_equal.tolist(), r.tolist()))
        if top_k is not None:
            found = found[:top_k]
        keys, n_hashes = self._keys, self.n_hashes
        return [tuple.__new__(Match, (keys[row], count / n_hashes)) for count, row in found]

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
        """Write the index to one file (a zip of plain arrays and a JSON header; no pickle).

        The file is replaced atomically: a reader sees the old index or the new one.

        Raises
        ------
        StorageError
            If the file cannot be written.
        """
        # Read-only: saving from several threads at once must not race on the arrays.
        keep = np.flatnonzero(self._alive)
        settings = {
            "threshold": self.threshold,
            "n_hashes": self.n_hashes,
            "bands": self.bands,
            "rows": self.rows,
            "params": None if self.params is None else dataclasses.asdict(self.params),
        }
        keys = [self._keys[i] for i in keep.tolist()]
        write_index(path, settings, keys, self._values[keep])

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
        header, keys, values = read_index(path)
        try:
            index = cls(
                header["threshold"],
                n_hashes=header["n_hashes"],
                bands=header["bands"],
                rows=header["rows"],
            )
            params = header.get("params")
            if params is not None:
                index.params = SignatureParams(**params)
            if keys:
                index.add(keys, values)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            if isinstance(exc, FormatError):
                raise
            raise FormatError(f"{str(path)!r} is corrupt: {exc}") from exc
        return index


def _minus_count(found: tuple[int, int]) -> int:
    return -found[0]
