"""An LSH index's bands sorted for binary search, each key packed with its row (private).

One ``numpy.sort`` (not ``argsort``) orders a band because each entry packs the band key's
high bits with its row number; candidates found on the truncated key are confirmed on the full
64-bit keys by the caller (:mod:`textprint.lsh`), so the packing never changes a result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._typing import Int64Array, UInt64Array

__all__ = ["SortedBands", "Starts", "pack", "sort_bands"]


@dataclass(slots=True)
class SortedBands:
    """Per band, the usable rows' band keys, sorted, each packed with its row number.

    ``packed[b, i] = (key & ~low) | row``: the key's high bits above the row number's
    ``row_bits`` bits. Equal truncated keys are a superset of equal keys; callers confirm
    candidates on the full keys.
    """

    packed: UInt64Array  # (bands, n_usable), each band sorted
    row_bits: int


class Starts(NamedTuple):
    """Where a batch of queries' band keys start in the index's sorted bands."""

    qk: UInt64Array  # (bands, n_queries): the queries' band keys
    at: Int64Array  # (bands, n_queries): position in the band of the first entry equal to the
    # query's key on the bits above `bits`, or -1 (and for invalid queries)
    bits: int  # the low bits the comparison ignores (row or query numbers)


def pack(keys: UInt64Array, rows: Int64Array, row_bits: int) -> UInt64Array:
    """``(keys & ~low) | rows`` with ``low`` the lowest `row_bits` bits: shape (bands, n)."""
    out: UInt64Array = keys & ~np.uint64((1 << row_bits) - 1)
    out |= rows.astype(np.uint64)
    return out


def sort_bands(bkeys: UInt64Array, usable: Int64Array, n_rows: int) -> SortedBands:
    """The bands of `bkeys` (shape (bands, n_rows)) sorted, keeping only the rows `usable`."""
    row_bits = max(1, (n_rows - 1).bit_length())
    keys = bkeys if len(usable) == n_rows else bkeys[:, usable]
    packed = pack(keys, usable, row_bits)
    packed.sort(axis=1)
    return SortedBands(packed=packed, row_bits=row_bits)
