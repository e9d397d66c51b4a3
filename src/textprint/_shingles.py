"""The shingle hash's kernel and the shingle batch (private).

The arithmetic is written down once, in the docstring of :mod:`textprint.hashing`; this module
computes it for a whole batch with a handful of numpy passes (no Python call per shingle), and
keeps the per-shingle layout (`ShingleBatch`) that winnowing, minhash and matching read.
``tests/reference_hashing.py`` computes the same with Python ints, unit by unit.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._kernels import gather_ranges, group_of, owners, ranks
from ._params import HashParams
from ._tokens import TokenBatch, tokenize_batch
from ._typing import Int64Array, UInt32Array, UInt64Array
from ._validation import check_param
from .tokenization import Tokenizer

__all__ = [
    "MASK64",
    "R_INV",
    "SEPARATOR",
    "R",
    "ShingleBatch",
    "bin_minima",
    "fmix64",
    "hash_shingles",
    "poly_ranges",
    "shingle_batch",
    "shingle_layout",
    "splitmix64",
]

MASK64 = (1 << 64) - 1
#: The multiplier of the shingle hash's polynomial (the golden-ratio constant of 64 bits).
R = 0x9E3779B97F4A7C15
R_INV = pow(R, -1, 1 << 64)
SEPARATOR = 0x20
_C1 = np.uint64(0xFF51AFD7ED558CCD)
_C2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)


def splitmix64(x: int) -> int:
    """SplitMix64 of a Python int (mod 2**64): turns a small seed into a well-mixed key."""
    z = (x + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def fmix64(x: UInt64Array) -> UInt64Array:
    """MurmurHash3's 64-bit finalizer, element-wise (a bijection; wraps modulo 2**64)."""
    return _fmix64_inplace(np.array(x, dtype=np.uint64, copy=True))


def _fmix64_inplace(x: UInt64Array) -> UInt64Array:
    """`fmix64` overwriting `x` (one temporary of the same size, no other allocation)."""
    t = x >> _S33
    x ^= t
    x *= _C1
    np.right_shift(x, _S33, out=t)
    x ^= t
    x *= _C2
    np.right_shift(x, _S33, out=t)
    x ^= t
    return x


#: Longest power tables kept between calls (entries per table; 2 tables of 8 bytes each). Longer
#: requests are computed for the call and dropped, so the cache never grows with the input.
_POWERS_CAP = 1 << 16
_LEVEL_BITS = 16
_LEVEL_MASK = (1 << _LEVEL_BITS) - 1


def _power_table(base: int, n: int) -> UInt64Array:
    """``base**j`` modulo 2**64 for ``j < n`` (one multiply.accumulate pass)."""
    p = np.full(n, base, dtype=np.uint64)
    p[0] = 1
    out: UInt64Array = np.multiply.accumulate(p)
    return out


class _Powers:
    """Thread-safe tables of R**j and R**-j modulo 2**64, cached up to ``_POWERS_CAP`` entries.

    Both tables are published together as one tuple, so a reader never sees a new table of
    one kind with an old, shorter table of the other. ``get(n)`` beyond the cap computes tables
    for that call only (nothing retained grows with the input). ``levels(i)`` are the tables of
    ``R**(j << 16 i)`` for ``j < 2**16``: any power is a product of at most 4 lookups (`_pow`).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        one = np.ones(1, dtype=np.uint64)
        self.tables: tuple[UInt64Array, UInt64Array] = (one, one)
        self._levels: dict[int, tuple[UInt64Array, UInt64Array]] = {}

    def get(self, n: int) -> tuple[UInt64Array, UInt64Array]:
        tables = self.tables  # one read: a consistent pair
        if len(tables[0]) > n:
            return tables
        if n >= _POWERS_CAP:
            with self._lock:  # grow the cached prefix to the cap, then answer for this call
                if len(self.tables[0]) < _POWERS_CAP:
                    self.tables = (_power_table(R, _POWERS_CAP), _power_table(R_INV, _POWERS_CAP))
            return _power_table(R, n + 1), _power_table(R_INV, n + 1)
        with self._lock:
            if len(self.tables[0]) <= n:
                size = min(max(n + 1, 2 * len(self.tables[0]), 1024), _POWERS_CAP)
                self.tables = (_power_table(R, size), _power_table(R_INV, size))
            return self.tables

    def level(self, i: int) -> tuple[UInt64Array, UInt64Array]:
        """Tables of ``R**(j << 16 i)`` and ``R**-(j << 16 i)`` for ``j < 2**16``."""
        tables = self._levels.get(i)
        if tables is None:
            with self._lock:
                tables = self._levels.get(i)
                if tables is None:
                    step = pow(R, 1 << (_LEVEL_BITS * i), 1 << 64)
                    step_inv = pow(R_INV, 1 << (_LEVEL_BITS * i), 1 << 64)
                    size = 1 << _LEVEL_BITS
                    tables = (_power_table(step, size), _power_table(step_inv, size))
                    self._levels[i] = tables
        return tables


_POWERS = _Powers()


def _pow(e: Int64Array, *, inverse: bool = False) -> UInt64Array:
    """``R**e`` (or ``R**-e``) modulo 2**64, element-wise, for ``0 <= e < 2**63``.

    The exponent is read 16 bits at a time, each digit looked up in a fixed table of 2**16
    powers (`_Powers.level`): memory is bounded whatever the exponents.
    """
    side = 1 if inverse else 0
    if len(e) == 0:
        return np.zeros(0, dtype=np.uint64)
    top = int(e.max())
    out: UInt64Array = _POWERS.level(0)[side].take(e & _LEVEL_MASK)
    i = 1
    while top >> (_LEVEL_BITS * i):
        digit = (e >> (_LEVEL_BITS * i)) & _LEVEL_MASK
        out *= _POWERS.level(i)[side].take(digit)
        i += 1
    return out


def poly_ranges(units: UInt32Array, a: Int64Array, e: Int64Array, seed: int) -> UInt64Array:
    """Seeded hash of the unit ranges ``units[a:e]`` (see the module docstring).

    With ``Q[p] = sum(u[j] * R**-j for j < p)``, the range's polynomial is
    ``R**(e - 1) * (Q[e] - Q[a])``; powers come from `_pow` (bounded tables).
    """
    n_units = len(units)
    q = np.zeros(n_units + 1, dtype=np.uint64)
    np.cumsum(
        units.astype(np.uint64) * _pow(np.arange(n_units, dtype=np.int64), inverse=True), out=q[1:]
    )
    key = np.uint64(splitmix64(seed))
    body = _pow(np.maximum(e - 1, 0)) * (q[e] - q[a])
    return fmix64(key * _pow(e - a) + body)


@dataclass(slots=True, eq=False)
class ShingleBatch:
    """Shingle hashes of a batch (the currency between hashing and the later stages).

    Shingle ``i`` hashes to ``hashes[i]``, starts at token ``token[i]`` of the batch's token
    arrays and ends at token ``last[i]``, spans ``starts[i]:ends[i]`` of its document's
    original text (computed on first use); document ``d`` owns shingles
    ``bounds[d]:bounds[d + 1]``. ``token`` and ``last`` are computed on first use too (the
    signature path never needs them).
    """

    hashes: UInt64Array
    bounds: Int64Array
    tokens: TokenBatch
    params: HashParams
    _token: Int64Array | None = None
    _last: Int64Array | None = None

    def _layout(self) -> tuple[Int64Array, Int64Array]:
        if self._token is None or self._last is None:
            self._token, self._last, _ = shingle_layout(self.tokens, self.params.k)
        return self._token, self._last

    @property
    def token(self) -> Int64Array:
        return self._layout()[0]

    @property
    def last(self) -> Int64Array:
        return self._layout()[1]

    @property
    def starts(self) -> Int64Array:
        return self.tokens.span_start(self.token)

    @property
    def ends(self) -> Int64Array:
        return self.tokens.span_end(self.last)

    def first_last(
        self, idx: Int64Array, doc: Int64Array | None = None
    ) -> tuple[Int64Array, Int64Array]:
        """First and last token of the shingles at `idx` only (no whole-batch layout); `doc`
        (optional) is the document of each."""
        if self._token is not None and self._last is not None:
            return self._token[idx], self._last[idx]
        t_bounds = self.tokens.bounds
        n_tok = np.diff(t_bounds)
        k_eff = _shingle_counts(n_tok, self.params.k)[0]
        if doc is None:
            doc = group_of(idx, self.bounds)
        first = t_bounds[doc] + (idx - self.bounds[doc])
        last = np.minimum(first + (k_eff - 1), t_bounds[doc + 1] - 1)
        return first, last

    def span_start(self, idx: Int64Array) -> Int64Array:
        """Original starts of the shingles at `idx` only."""
        return self.tokens.span_start(self.first_last(idx)[0])

    def span_end(self, idx: Int64Array) -> Int64Array:
        """Original ends of the shingles at `idx` only."""
        return self.tokens.span_end(self.first_last(idx)[1])


def _shingle_counts(n_tok: Int64Array, k: int) -> tuple[int, Int64Array, Int64Array]:
    """Effective k, shingles per document and their bounds.

    A document with fewer than ``k`` tokens (but at least one) has one shingle of all its
    tokens; so every ``k`` above the longest document's token count gives the same shingles as
    that count, which keeps the arithmetic inside int64 whatever ``k`` is.
    """
    k_eff = max(1, min(k, int(n_tok.max()) if len(n_tok) else 1))
    n_sh = np.where(n_tok >= k_eff, n_tok - (k_eff - 1), np.minimum(n_tok, 1))
    bounds = np.zeros(len(n_tok) + 1, dtype=np.int64)
    np.cumsum(n_sh, out=bounds[1:])
    return k_eff, n_sh, bounds


def shingle_layout(tokens: TokenBatch, k: int) -> tuple[Int64Array, Int64Array, Int64Array]:
    """First token, last token (inclusive) and per-document bounds of every shingle."""
    n_tok = np.diff(tokens.bounds)
    k_eff, n_sh, bounds = _shingle_counts(n_tok, k)
    first = np.repeat(tokens.bounds[:-1], n_sh) + ranks(n_sh)
    doc = owners(n_sh)
    last = np.minimum(first + (k_eff - 1), tokens.bounds[1:][doc] - 1)
    return first, last, bounds


def _token_values(tokens: TokenBatch) -> tuple[UInt64Array, Int64Array | None]:
    """Per token ``t`` of ``L`` units: ``A = SP * R**L + T`` with ``T = sum(u[j] * R**(L-1-j))``,
    and the lengths ``L`` (None when every token is one unit long, the CJK case).

    Appending a separator and token ``t`` to a Horner state ``v`` gives
    ``(v * R + SP) * R**L + T = v * R**(L + 1) + A``: a shingle is ``k`` such affine steps.
    """
    cps, ts = tokens.cps, tokens.tok_start
    n = len(ts)
    out = np.empty(n, dtype=np.uint64)
    if n == 0:
        return out, None
    sep_r = np.uint64((SEPARATOR * R) & MASK64)
    lens = None if tokens.unit_tokens else tokens.tok_end - ts
    odd = np.zeros(0, dtype=np.int64) if lens is None else np.flatnonzero(lens != 1)
    if len(odd) == 0:  # every token one unit long: A = u + SP * R
        np.add(cps.take(ts), sep_r, out=out, dtype=np.uint64)
        return out, None
    assert lens is not None
    # one-unit tokens as above, then the others (words; CJK text has few): T by Horner's
    # powers over their units
    safe = np.minimum(ts, max(len(cps) - 1, 0))
    np.add(
        cps.take(safe) if len(cps) else np.zeros(n, dtype=np.uint32),
        sep_r,
        out=out,
        dtype=np.uint64,
    )
    ln = lens[odd]
    units = ln.sum()
    owner = owners(ln)
    first = np.cumsum(ln) - ln
    rank = ranks(ln)
    cp = cps[ts[odd][owner] + rank].astype(np.uint64)
    body = np.zeros(len(odd), dtype=np.uint64)
    if int(units):
        contrib = cp * _pow(ln[owner] - 1 - rank)
        nonempty = np.flatnonzero(ln > 0)
        body[nonempty] = np.add.reduceat(contrib, first[nonempty])
    out[odd] = body + np.uint64(SEPARATOR) * _pow(ln)
    return out, lens


# Shingles of at most this many tokens are hashed by k direct Horner steps over the flat token
# arrays (2k - 1 passes); longer ones by prefix sums (a fixed number of passes).
_DIRECT_MAX_K = 12


def _windows_direct(a_val: UInt64Array, lens: Int64Array | None, k: int, key2: int) -> UInt64Array:
    """Horner states of every run of ``k`` consecutive tokens of the flat arrays."""
    m = len(a_val) - k + 1
    r2 = np.uint64((R * R) & MASK64)
    if lens is None:  # every multiplier is R**2
        v: UInt64Array = a_val[:m] + np.uint64((key2 * R * R) & MASK64)
        for j in range(1, k):
            v *= r2
            v += a_val[j : j + m]
        return v
    mul = np.full(len(a_val), r2, dtype=np.uint64)
    odd = np.flatnonzero(lens != 1)
    mul[odd] = _pow(lens[odd] + 1)
    v = mul[:m] * np.uint64(key2)
    v += a_val[:m]
    for j in range(1, k):  # v = v * R**(L + 1) + A, token after token
        v *= mul[j : j + m]
        v += a_val[j : j + m]
    return v


def _ranges_prefix(
    a_val: UInt64Array, lens: Int64Array | None, a: Int64Array, e: Int64Array, key2: int
) -> UInt64Array:
    """Horner states of the token ranges ``[a, e)`` of the flat arrays, by prefix sums.

    With ``off[t]`` the unit offset of token ``t`` in the virtual stream (``sum(L + 1)`` over
    the tokens before it) and ``S[t] = sum(A[s] * R**-off[s + 1] for s < t)``, the state after
    the range is ``R**off[e] * (R**-off[a] * key2 + S[e] - S[a])``.
    """
    n = len(a_val)
    off = np.zeros(n + 1, dtype=np.int64)
    if lens is None:
        off[1:] = np.arange(2, 2 * n + 1, 2, dtype=np.int64)
    else:
        np.cumsum(lens + 1, out=off[1:])
    s = np.zeros(n + 1, dtype=np.uint64)
    np.cumsum(a_val * _pow(off[1:], inverse=True), out=s[1:])
    v: UInt64Array = _pow(off[a], inverse=True) * np.uint64(key2)
    v += s[e]
    v -= s[a]
    v *= _pow(off[e])
    return v


def hash_shingles(tokens: TokenBatch, *, k: int, seed: int) -> ShingleBatch:
    """Hash every k-token shingle of a token batch (the batch path)."""
    k = check_param("k", k)
    n_tok = np.diff(tokens.bounds)
    k_eff, n_sh, bounds = _shingle_counts(n_tok, k)
    params = HashParams(k=k, seed=seed, tokenizer=tokens.identity)
    total = int(bounds[-1])
    if total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return ShingleBatch(np.zeros(0, dtype=np.uint64), bounds, tokens, params, empty, empty)
    a_val, lens = _token_values(tokens)
    # Horner's initial value: the first step maps it to key * R**L + T (see _token_values)
    key2 = ((splitmix64(seed) - SEPARATOR) * R_INV) & MASK64
    doc_lo = tokens.bounds[:-1]
    long_docs = n_tok >= k_eff
    short = np.flatnonzero((n_tok > 0) & ~long_docs)
    n_long = total - len(short)
    hashes = np.empty(0, dtype=np.uint64)
    if n_long:
        if k_eff <= _DIRECT_MAX_K:
            v = _windows_direct(a_val, lens, k_eff, key2)
            if n_long != len(v):
                # drop the windows that cross into the next document: the last k - 1 starts
                # of every document (all of a short document's)
                ok = np.ones(len(v), dtype=bool)
                nonempty = n_tok > 0
                ends, los = tokens.bounds[1:][nonempty], doc_lo[nonempty]
                cut = ends[:, None] - np.arange(1, k_eff, dtype=np.int64)
                cut = cut[(cut >= los[:, None]) & (cut < len(v))]
                ok[cut] = False
                v = v[ok]
        else:
            ld = np.flatnonzero(long_docs)
            lo, _ = gather_ranges(doc_lo[ld], doc_lo[ld] + n_sh[ld])
            v = _ranges_prefix(a_val, lens, lo, lo + k_eff, key2)
        hashes = v
    if len(short):
        if n_long:
            hashes = np.empty(total, dtype=np.uint64)
            place = np.ones(total, dtype=bool)
            place[bounds[short]] = False
            hashes[place] = v
        else:
            hashes = np.empty(total, dtype=np.uint64)
        idx, start = gather_ranges(doc_lo[short], doc_lo[short] + n_tok[short])
        start = start[:-1]
        sub_m = None if lens is None else lens[idx]
        hashes[bounds[short]] = _ranges_prefix(a_val[idx], sub_m, start, start + n_tok[short], key2)
    return ShingleBatch(
        hashes=_fmix64_inplace(hashes),
        bounds=bounds,
        tokens=tokens,
        params=params,
    )


def bin_minima(hashes: UInt64Array, bounds: Int64Array, n_bins: int) -> UInt64Array:
    """One-permutation hashing's bins before densification (the kernel of minhash's "oph").

    Shingle hash ``h`` of document ``d`` goes to bin ``((h >> 32) * n_bins) >> 32`` of row
    ``d``; each bin keeps its minimum ``min(h, 2**64 - 2)`` and an empty bin holds
    ``2**64 - 1``. Returns shape ``(n_docs, n_bins)``. In-place arithmetic, one index array.
    """
    n_docs = len(bounds) - 1
    flat = np.full(n_docs * n_bins, np.uint64(MASK64), dtype=np.uint64)
    if len(hashes):
        idx = hashes >> np.uint64(32)
        idx *= np.uint64(n_bins)
        idx >>= np.uint64(32)
        where = idx.view(np.int64)
        where += owners(np.diff(bounds)) * n_bins
        np.minimum.at(flat, where, np.minimum(hashes, np.uint64(MASK64 - 1)))
    out: UInt64Array = flat.reshape(n_docs, n_bins)
    return out


def shingle_batch(
    texts: Sequence[str], *, k: int, seed: int, tokenizer: str | Tokenizer
) -> ShingleBatch:
    """Tokenize and hash a batch of texts."""
    return hash_shingles(tokenize_batch(texts, tokenizer), k=k, seed=seed)
