"""The three MinHash schemes' kernels: one-permutation hashing with densification, classic,
datasketch's ``affine32`` (private; :mod:`textprint.minhash` documents their arithmetic).

The schemes (`oph`, `classic`, `datasketch_from_sha`) take the flat shingle hashes of a batch
with its document bounds (``bounds[i]:bounds[i+1]`` are document ``i``'s) and return the rows
of the signatures, ``EMPTY`` in every position of a document with no shingle; the rest are
their parts (bins, densification, keys, the datasketch scheme's inputs).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from typing import cast

import numpy as np

from ._kernels import EMPTY, owners, text_of
from ._shingles import MASK64, ShingleBatch, bin_minima, fmix64, shingle_layout, splitmix64
from ._typing import BoolArray, Int64Array, UInt64Array

__all__ = [
    "MAX_PROBES",
    "NO_KEYS",
    "classic",
    "classic_keys",
    "datasketch_from_sha",
    "densify",
    "oph",
    "oph_bins",
    "oph_key",
    "sha32",
    "shingle_bytes",
]

_MAX_VALUE = np.uint64(MASK64 - 1)
_OPH_SALT = 0x6F7068
_S32 = np.uint64(32)
# Densification gives up on random probing after this many probes and takes the next non-empty
# bin to the right instead (for 128 bins and one non-empty bin, probability ~1e-14 per bin).
MAX_PROBES = 4096
#: Densification evaluates at most this many (bin, probe) pairs at once (a few MB).
_PROBE_BUDGET = 1 << 17


def oph_bins(sh_hashes: UInt64Array, bounds: Int64Array, n: int) -> UInt64Array:
    """The bins of one-permutation hashing before densification (``EMPTY`` where empty).

    Bin minima merge with ``np.minimum``: the bins of a text are the minimum of the bins of
    pieces whose shingles, together, are the text's (how a long text is signed in pieces).
    """
    return bin_minima(sh_hashes, bounds, n)


def oph(sh_hashes: UInt64Array, bounds: Int64Array, n: int, seed: int) -> UInt64Array:
    sig = oph_bins(sh_hashes, bounds, n)
    densify(sig, np.diff(bounds) > 0, n, seed)
    return sig


def densify(sig: UInt64Array, valid: BoolArray, n: int, seed: int) -> None:
    """Optimal densification (Shrivastava 2017), in place, for the valid rows.

    Empty bin ``j`` of a row takes the value of the first non-empty bin among the probes
    ``t = 1, 2, ...`` (only empty bins are written and only non-empty ones read, so the
    order of the writes does not matter). The first ``_TABLE_PROBES`` probes of every bin
    come from a table made once per ``(n, seed)`` (`_probe_table`): a text of a few dozen
    shingles resolves nearly every empty bin there, with a handful of numpy calls. The
    probes after those are evaluated in blocks so that rows with very few shingles (many
    empty bins, long probe sequences) cost a few numpy calls, not hundreds.

    Cost: every empty bin takes part in at most one block of each size (8, 32, 128, 512, then
    1024 up to ``MAX_PROBES``), so the elements scanned grow linearly with the empty bins;
    the (bins x probes) matrices are evaluated in slices of at most ``_PROBE_BUDGET``
    elements, so memory stays bounded however many bins are empty (a one-shingle text with
    65536 bins once built 2 GB matrices). The fallback finds the next non-empty bin of every
    remaining bin with one binary search over the non-empty bins of their rows.
    """
    if not sig.flags.c_contiguous:  # (the flat views below must be views)
        work = np.ascontiguousarray(sig)
        densify(work, valid, n, seed)
        sig[...] = work
        return
    empty = sig == EMPTY
    empty[~valid] = False
    flat_empty = np.flatnonzero(empty)  # row * n + bin, row by row
    if len(flat_empty) == 0:
        return
    filled = ~empty
    filled[~valid] = False
    flat_filled = filled.reshape(-1)
    flat_sig = sig.reshape(-1)  # a view: sig is C-contiguous (made here, or a row of it)
    row_base = flat_empty - flat_empty % n
    t0 = 1
    block = _TABLE_PROBES
    pending = np.arange(len(flat_empty))
    table = _probe_table(n, seed)
    if table is not None:
        # the first probes: their bins looked up, the first non-empty one taken
        at = table[flat_empty - row_base] + row_base[:, None]
        hit = flat_filled[at]
        first = hit.argmax(axis=1)
        pick = at[np.arange(len(at)), first]
        found = flat_filled[pick]
        if found.all():
            flat_sig[flat_empty] = flat_sig[pick]
            return
        flat_sig[flat_empty[found]] = flat_sig[pick[found]]
        pending = np.flatnonzero(~found)
        t0 += _TABLE_PROBES
        block *= 4
    rows, cols = np.divmod(flat_empty, n)
    key = oph_key(seed)
    nn = np.uint64(n)
    while len(pending) and t0 <= MAX_PROBES:
        ts = np.arange(t0, min(t0 + block, MAX_PROBES + 1), dtype=np.uint64)
        step = max(1, _PROBE_BUDGET // len(ts))
        missed: list[np.ndarray] = []
        for lo in range(0, len(pending), step):
            part = pending[lo : lo + step]
            r, c = rows[part], cols[part]
            probe = fmix64(key ^ ((c.astype(np.uint64)[:, None] << _S32) | ts[None, :]))
            cand = (((probe >> _S32) * nn) >> _S32).astype(np.int64)
            del probe
            hit = filled[r[:, None], cand]
            found = hit.any(axis=1)
            first = np.argmax(hit, axis=1)
            ok = np.flatnonzero(found)
            sig[r[ok], c[ok]] = sig[r[ok], cand[ok, first[ok]]]
            missed.append(part[~found])
        pending = np.concatenate(missed)
        t0 += len(ts)
        block = min(block * 4, 1024)
    if len(pending) == 0:
        return
    # After MAX_PROBES probes (rows with a handful of shingles and thousands of bins), the
    # empty bin takes the next non-empty bin to its right, circularly: deterministic, and part
    # of the format. The non-empty bins of the rows concerned, as sorted flat positions, answer
    # every such bin with one binary search (not a scan of its row per bin).
    r, c = rows[pending], cols[pending]
    fr, local = np.unique(r, return_inverse=True)
    nz = np.flatnonzero(filled[fr])  # row i of fr, bin j -> i * n + j, sorted
    at = np.searchsorted(nz, local * n + c, side="right")
    nxt = nz[np.minimum(at, len(nz) - 1)]
    # none to the right in the row: wrap around to the row's first non-empty bin
    wrap = (at >= len(nz)) | (nxt >= (local + 1) * n)
    nxt[wrap] = nz[np.searchsorted(nz, local[wrap] * n, side="left")]
    sig[r, c] = sig[fr[nxt // n], nxt % n]


#: Probes per bin kept in `_probe_table`: with half the bins empty, a bin misses all of
#: them with probability 2**-32, so a short text's densification ends at the table.
_TABLE_PROBES = 32
#: Bins up to which `_probe_table` is kept (32 probes of int32: 512 kB at 4096 bins).
_TABLE_MAX_BINS = 4096


@functools.lru_cache(maxsize=16)
def _probe_table(n: int, seed: int) -> np.ndarray | None:
    """The bins of the first ``_TABLE_PROBES`` densification probes of every bin.

    Shape ``(n, _TABLE_PROBES)``, dtype int32, read-only; None above ``_TABLE_MAX_BINS``
    bins. Probe ``t`` of bin ``j`` is ``bin(fmix64(key ^ (j << 32 | t)))``, as
    :mod:`textprint.minhash` documents it.
    """
    if n > _TABLE_MAX_BINS or _TABLE_PROBES > MAX_PROBES:
        return None
    key = oph_key(seed)
    ts = np.arange(1, _TABLE_PROBES + 1, dtype=np.uint64)
    bins = np.arange(n, dtype=np.uint64)
    probe = fmix64(key ^ ((bins[:, None] << _S32) | ts[None, :]))
    table: np.ndarray = (((probe >> _S32) * np.uint64(n)) >> _S32).astype(np.int32)
    table.flags.writeable = False
    return table


@functools.lru_cache(maxsize=64)
def oph_key(seed: int) -> np.uint64:
    """Densification's key ``splitmix64(seed ^ 0x6F7068)`` (see :mod:`textprint.minhash`)."""
    key: np.uint64 = np.uint64(splitmix64(seed ^ _OPH_SALT))
    return key


#: No keys: one-permutation hashing for `textprint._plain.sign` (read-only, as the classic
#: scheme's keys are: one argument type for the compiled loop).
NO_KEYS = np.zeros(0, dtype=np.uint64)
NO_KEYS.flags.writeable = False


@functools.lru_cache(maxsize=16)
def classic_keys(n: int, seed: int) -> UInt64Array:
    """The classic scheme's keys ``splitmix64(seed + 1 + i)``, read-only."""
    keys = np.array([splitmix64(seed + 1 + i) for i in range(n)], dtype=np.uint64)
    keys.flags.writeable = False
    return keys


def classic(sh_hashes: UInt64Array, bounds: Int64Array, n: int, seed: int) -> UInt64Array:
    n_docs = len(bounds) - 1
    keys = classic_keys(n, seed)
    sig = np.full((n_docs, n), EMPTY, dtype=np.uint64)
    counts = np.diff(bounds)
    nonempty = np.flatnonzero(counts > 0)
    if len(nonempty) == 0:
        return sig
    # rows of at most ~8 M values at a time
    step = max(1, (1 << 23) // n)
    doc = owners(counts)
    for lo in range(0, len(sh_hashes), step):
        hi = min(lo + step, len(sh_hashes))
        vals = np.minimum(fmix64(sh_hashes[lo:hi, None] ^ keys[None, :]), _MAX_VALUE)
        d = doc[lo:hi]
        starts = np.flatnonzero(np.r_[True, d[1:] != d[:-1]])
        mins = np.minimum.reduceat(vals, starts, axis=0)
        sig[d[starts]] = np.minimum(sig[d[starts]], mins)
    return sig


def _datasketch_perms(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    # The exact draws of datasketch 2.x MinHash._init_permutations for scheme "affine32".
    # RandomState's stream is frozen by numpy's compatibility policy.
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, n, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, n, dtype=np.uint32)
    return a, b


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return cast(np.ndarray, h ^ (h >> np.uint32(16)))


def datasketch_from_sha(sha32: np.ndarray, bounds: Int64Array, n: int, seed: int) -> UInt64Array:
    a, b = _datasketch_perms(n, seed)
    n_docs = len(bounds) - 1
    sig = np.full((n_docs, n), EMPTY, dtype=np.uint64)
    counts = np.diff(bounds)
    if len(sha32) == 0:
        return sig
    hv = _fmix32(sha32.astype(np.uint32))
    doc = owners(counts)
    step = max(1, (1 << 23) // n)
    for lo in range(0, len(hv), step):
        hi = min(lo + step, len(hv))
        vals = hv[lo:hi, None] * a[None, :] + b[None, :]
        d = doc[lo:hi]
        starts = np.flatnonzero(np.r_[True, d[1:] != d[:-1]])
        mins = np.minimum.reduceat(vals, starts, axis=0).astype(np.uint64)
        sig[d[starts]] = np.minimum(sig[d[starts]], mins)
    return sig


def sha32(items: Iterable[bytes]) -> np.ndarray:
    return np.fromiter(
        (int.from_bytes(hashlib.sha1(x).digest()[:4], "little") for x in items), dtype=np.uint32
    )


def shingle_bytes(sh: ShingleBatch) -> list[bytes]:
    """The shingle bytes of a batch, in order (one Python string per shingle)."""
    tokens = sh.tokens
    first, last, _ = shingle_layout(tokens, sh.params.k)
    text = text_of(tokens.cps)
    words = [text[s:e] for s, e in zip(tokens.tok_start.tolist(), tokens.tok_end.tolist())]
    return [
        " ".join(words[a : b + 1]).encode("utf-8") for a, b in zip(first.tolist(), last.tolist())
    ]
