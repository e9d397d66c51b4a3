"""The LSH index's compiled loop (private): one query's candidates and their agreements.

For :mod:`textprint.lsh`, without the numpy calls that cost a one-row query more than its
work; compiled with the single-text loops (:mod:`textprint._plain`), runnable as plain Python.
The arithmetic is `textprint._banding`'s band key and `textprint._kernels.agreements`'s count,
both written down there; tests/test_lsh.py holds this loop (compiled and in Python) equal to
the index's numpy path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._plain_loops import fmix64

__all__ = ["LOOPS"]

_U64 = np.uint64


def _lsh_query(
    queries: Any,
    powers: Any,
    rows: int,
    packed: Any,
    row_bits: int,
    bkeys: Any,
    values: Any,
    empty: Any,
    lowest: float,
) -> tuple[Any, Any, Any]:
    """Per query (a row of `queries`), its matches in the index: the rows sharing a full band
    key with it whose agreement count over ``n_hashes`` is at least `lowest`, best first
    (count descending, then row ascending). Returns the bounds of each query's matches
    (``n_queries + 1``), their rows and their counts.

    `packed` is the index's sorted band entries (``(bands, n)``, each a band key's bits above
    `row_bits` over its row number), `bkeys` the full band keys per row (``(bands, n_rows)``),
    `values` the rows' signatures, `powers` ``R**(rows - 1 - t)``. A query whose values are
    all `empty` (a too-short text) matches nothing.
    """
    bands = packed.shape[0]
    n = packed.shape[1]
    n_queries = queries.shape[0]
    n_hashes = queries.shape[1]
    low = (_U64(1) << _U64(row_bits)) - _U64(1)
    high = ~low
    qk = np.empty(bands, dtype=np.uint64)
    base = np.zeros(bands, dtype=np.int64)
    needles = np.empty(bands, dtype=np.uint64)
    cap = 2 * n_queries + 16
    found = np.empty(cap, dtype=np.int64)
    counts = np.empty(cap, dtype=np.int64)
    bounds = np.zeros(n_queries + 1, dtype=np.int64)
    m = 0
    for q in range(n_queries):
        query = queries[q]
        first = m
        valid = False
        for h in range(n_hashes):
            if query[h] != empty:
                valid = True
                break
        if not valid or n == 0:
            bounds[q + 1] = m
            continue
        for b in range(bands):
            acc = _U64(0)
            for t in range(rows):
                acc = acc + query[b * rows + t] * powers[t]
            qk[b] = fmix64(acc + _U64(rows))
            base[b] = 0
        # the first entry of each band not below the key's high bits: the bands' binary searches
        # side by side (independent, so their memory reads overlap), without branches
        for b in range(bands):
            needles[b] = qk[b] & high
        size = n
        while size > 1:
            half = size >> 1
            for b in range(bands):
                base[b] += half * (packed[b, base[b] + half] < needles[b])
            size -= half
        for b in range(bands):
            key = qk[b]
            needle = key & high
            i = base[b] + (packed[b, base[b]] < needle)
            while i < n and (packed[b, i] & high) == needle:
                r = np.int64(packed[b, i] & low)
                i += 1
                # the packing truncated the keys: the row is a candidate if its full key is
                # equal, and new if no earlier band's key is (that band found it)
                if bkeys[b, r] != key:
                    continue
                again = False
                for e in range(b):
                    if bkeys[e, r] == qk[e]:
                        again = True
                        break
                if again:
                    continue
                row = values[r]
                c = 0
                for h in range(n_hashes):  # (without branches: the compiler vectorizes it)
                    c += (query[h] == row[h]) & (query[h] != empty)
                if c / n_hashes >= lowest:
                    if m == cap:
                        cap *= 2
                        grown = np.empty(cap, dtype=np.int64)
                        grown[:m] = found[:m]
                        found = grown
                        grown = np.empty(cap, dtype=np.int64)
                        grown[:m] = counts[:m]
                        counts = grown
                    found[m] = r
                    counts[m] = c
                    m += 1
        if m - first > 8:
            order = np.argsort((n_hashes - counts[first:m]) * bkeys.shape[1] + found[first:m])
            found[first:m] = found[first:m][order]
            counts[first:m] = counts[first:m][order]
        else:  # a few matches (nearly always): an insertion sort, no allocation
            for j in range(first + 1, m):
                r = found[j]
                c = counts[j]
                k = j
                while k > first and (
                    counts[k - 1] < c or (counts[k - 1] == c and found[k - 1] > r)
                ):
                    found[k] = found[k - 1]
                    counts[k] = counts[k - 1]
                    k -= 1
                found[k] = r
                counts[k] = c
        bounds[q + 1] = m
    return bounds, found[:m], counts[:m]


#: The loops of this module, for :mod:`textprint._plain` to compile.
LOOPS: tuple[Callable[..., Any], ...] = (_lsh_query,)
