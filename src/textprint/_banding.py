"""Banding: the bands and rows a threshold calls for, and the key of every band (private).

Signatures are cut into ``bands`` bands of ``rows`` rows; two signatures become candidates when
any band is equal, which happens with probability ``1 - (1 - J**rows)**bands`` for Jaccard
similarity ``J`` (Indyk and Motwani 1998; Leskovec, Rajaraman, Ullman, Mining of Massive
Datasets, ch. 3). :func:`textprint.lsh.optimal_bands` chooses them from a threshold; the index,
dedup, the Registry and the Spark integration all key bands with `band_keys`.
"""

from __future__ import annotations

import functools

import numpy as np

from ._shingles import R, fmix64
from ._typing import UInt64Array
from ._validation import check_param
from .errors import InvalidParameterError

__all__ = ["band_keys", "band_keys_by_band", "optimal_bands", "powers_of_r"]


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
    threshold = check_param("threshold", threshold)
    n_hashes = check_param("banded_n_hashes", n_hashes)
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
    """64-bit key of each band of each signature.

    Parameters
    ----------
    values : ndarray of shape (n, n_hashes), dtype=uint64
        Signatures (``bands * rows <= n_hashes``); band ``b`` is
        ``values[:, b * rows:(b + 1) * rows]``.
    bands, rows : int

    Returns
    -------
    ndarray of shape (n, bands), dtype=uint64
        ``key = fmix64(sum(v[t] * R**(rows - 1 - t)) + rows)`` over the band's values, modulo
        2**64 (``R`` and ``fmix64`` as in :mod:`textprint.hashing`). Two signatures are LSH
        candidates when one of their band keys is equal.
    """
    return _band_keys(values, bands, rows, "nbr,r->nb")


def band_keys_by_band(values: UInt64Array, bands: int, rows: int) -> UInt64Array:
    """`band_keys` transposed, C-contiguous: shape (bands, n)."""
    return _band_keys(values, bands, rows, "nbr,r->bn")


def _band_keys(values: UInt64Array, bands: int, rows: int, subscripts: str) -> UInt64Array:
    v = values[:, : bands * rows].reshape(len(values), bands, rows)
    # one contraction with the powers of R (Horner's rule unrolled): unsigned arithmetic wraps
    # modulo 2**64, and einsum's sum-of-products loop is several times faster than `rows`
    # passes of multiply-add over (n, bands) temporaries
    acc: UInt64Array = np.ascontiguousarray(np.einsum(subscripts, v, powers_of_r(rows)))
    acc += np.uint64(rows)
    return fmix64(acc)


@functools.lru_cache(maxsize=64)
def powers_of_r(rows: int) -> UInt64Array:
    """``R**(rows - 1 - t) mod 2**64`` for t in range(rows), read-only."""
    out = np.array([pow(R, rows - 1 - t, 1 << 64) for t in range(rows)], dtype=np.uint64)
    out.flags.writeable = False
    return out
