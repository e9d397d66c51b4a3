"""Locality-sensitive hashing over MinHash signatures: an index and corpus dedup.

Stage 5 of the pipeline. Signatures are cut into ``bands`` bands of ``rows`` rows; two
signatures become candidates when any band is equal, which happens with probability
``1 - (1 - J**rows)**bands`` for Jaccard similarity ``J`` (Indyk and Motwani 1998; Leskovec,
Rajaraman, Ullman, Mining of Massive Datasets, ch. 3). Candidates are then scored with the full
signature, so results carry an estimated Jaccard and are at or above the threshold.

Candidate generation sorts each band's keys once and looks queries up with binary search
(``numpy.searchsorted``): no Python dict per band.
"""

from __future__ import annotations

import io
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
_R = np.uint64(R)


class Match(NamedTuple):
    """One query result: the key of an indexed signature and its estimated Jaccard similarity."""

    key: str | int
    estimated_jaccard: float


def _gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(n)


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
    v = values[:, : bands * rows].reshape(len(values), bands, rows)
    acc = np.zeros((len(values), bands), dtype=np.uint64)
    for t in range(rows):
        acc = acc * _R + v[:, :, t]
    return fmix64(acc + np.uint64(rows))


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
    keys: UInt64Array  # (bands, n) sorted per band
    rows: Int64Array  # (bands, n) row of each sorted key


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
        self._bkeys = np.zeros((0, self.bands), dtype=np.uint64)
        self._alive = np.zeros(0, dtype=bool)
        self._valid = np.zeros(0, dtype=bool)
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
        for k in key_list:
            if k in self._row_of:
                raise InvalidParameterError(
                    f"key {k!r} is already in the index; remove it first to replace it"
                )
        self._adopt(params)
        start = len(self._keys)
        self._keys.extend(key_list)
        for i, k in enumerate(key_list):
            self._row_of[k] = start + i
        self._values = np.concatenate([self._values, values])
        self._bkeys = np.concatenate([self._bkeys, band_keys(values, self.bands, self.rows)])
        self._alive = np.concatenate([self._alive, np.ones(len(values), dtype=bool)])
        self._valid = np.concatenate([self._valid, _valid_rows(values)])
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
        self._bkeys = self._bkeys[keep]
        self._valid = self._valid[keep]
        self._alive = np.ones(len(keep), dtype=bool)
        self._sorted = None

    def _index(self) -> _Sorted:
        if self._sorted is None:
            usable = np.flatnonzero(self._alive & self._valid)
            bk = self._bkeys[usable].T  # (bands, n)
            order = np.argsort(bk, axis=1, kind="stable")
            self._sorted = _Sorted(
                keys=np.take_along_axis(bk, order, axis=1), rows=usable[order].astype(np.int64)
            )
        return self._sorted

    def _candidates(self, values: UInt64Array) -> tuple[Int64Array, Int64Array]:
        """Unique (query, row) candidate pairs sharing at least one band key."""
        idx = self._index()
        qk = band_keys(values, self.bands, self.rows)
        q_valid = ~(values == EMPTY).all(axis=1)
        qs: list[Int64Array] = []
        rs: list[Int64Array] = []
        n = idx.keys.shape[1]
        if n == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        for b in range(self.bands):
            keys_b = idx.keys[b]
            lo = np.searchsorted(keys_b, qk[:, b], side="left")
            # most query keys match nothing: look for the end of the run only where they match
            hit = np.flatnonzero(q_valid & (keys_b[np.minimum(lo, n - 1)] == qk[:, b]) & (lo < n))
            cnt = np.zeros(len(values), dtype=np.int64)
            cnt[hit] = np.searchsorted(keys_b, qk[hit, b], side="right") - lo[hit]
            total = int(cnt.sum())
            if total == 0:
                continue
            q = np.repeat(np.arange(len(values), dtype=np.int64), cnt)
            first = np.cumsum(cnt) - cnt
            pos = np.repeat(lo, cnt) + (np.arange(total) - np.repeat(first, cnt))
            qs.append(q)
            rs.append(idx.rows[b][pos])
        if not qs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        q_all = np.concatenate(qs)
        r_all = np.concatenate(rs)
        pair = np.sort(q_all * len(self._keys) + r_all)
        keep = np.ones(len(pair), dtype=bool)
        keep[1:] = pair[1:] != pair[:-1]
        pair = pair[keep]
        return pair // len(self._keys), pair % len(self._keys)

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
        q, r = self._candidates(values)
        out: list[list[Match]] = [[] for _ in range(len(values))]
        if len(q) == 0:
            return out
        est = ((values[q] == self._values[r]) & (values[q] != EMPTY)).mean(axis=1)
        keep = est >= thr - 1e-12
        q, r, est = q[keep], r[keep], est[keep]
        order = np.lexsort((r, -est, q))
        for qi, ri, e in zip(q[order].tolist(), r[order].tolist(), est[order].tolist()):
            lst = out[qi]
            if top_k is None or len(lst) < top_k:
                lst.append(Match(self._keys[ri], float(e)))
        return out

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
                f"signature must have shape (n_hashes,), got {values.shape}; use query_many"
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


def _valid_rows(values: UInt64Array) -> BoolArray:
    out: BoolArray = ~(values == EMPTY).all(axis=1)
    return out
