"""Small numpy kernels every stage uses (private): ragged layouts and the signature agreement.

Ragged data (documents of a batch, tokens of a document, the members of a bucket) is laid out
flat, group after group; a group is a range ``[lo, hi)`` of a flat array or a length. Three
idioms turn such layouts into index arrays without a Python loop, written once here:

- `owners`: the group of each element;
- `ranks`: the position of each element inside its group;
- `gather_ranges`: the flat indices of several ranges, laid end to end.

Batch stages (`fingerprints`, `MinHasher.signatures`) work through documents in `batches` of
at most a chunk of characters, so that memory stays bounded and numpy's temporaries stay small.

The MinHash agreement of two signatures (the fraction of positions where they hold the same
value, ``EMPTY`` never counting) is the Jaccard estimate of Broder 1997; `agreements` is the
one place it is computed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Final

import numpy as np

from ._typing import BoolArray, Int64Array, UInt32Array, UInt64Array

__all__ = [
    "EMPTY",
    "agreements",
    "batches",
    "codepoints",
    "first_mask",
    "gather_ranges",
    "group_of",
    "owners",
    "ranks",
    "text_of",
]

#: The reserved value of a too-short document's signature (every position of a text with no
#: shingle): it never counts as agreement, so such rows never collide, not even with each other.
EMPTY: Final = np.uint64((1 << 64) - 1)


def owners(lengths: Int64Array) -> Int64Array:
    """The group of each element, for groups of `lengths` elements laid end to end.

    >>> owners(np.array([2, 0, 3])).tolist()
    [0, 0, 2, 2, 2]
    """
    out: Int64Array = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    return out


def ranks(lengths: Int64Array) -> Int64Array:
    """The position of each element inside its group (groups of `lengths`, end to end).

    >>> ranks(np.array([2, 0, 3])).tolist()
    [0, 1, 0, 1, 2]
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    first = np.cumsum(lengths) - lengths
    out: Int64Array = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(first, lengths)
    return out


def gather_ranges(lo: Int64Array, hi: Int64Array) -> tuple[Int64Array, Int64Array]:
    """Flat indices of the ranges ``[lo[i], hi[i])`` laid end to end, and their bounds.

    Range ``i`` is ``idx[bounds[i]:bounds[i + 1]]``.

    >>> idx, bounds = gather_ranges(np.array([5, 0]), np.array([7, 3]))
    >>> idx.tolist(), bounds.tolist()
    ([5, 6, 0, 1, 2], [0, 2, 5])
    """
    ln = np.asarray(hi, dtype=np.int64) - lo
    bounds = np.zeros(len(ln) + 1, dtype=np.int64)
    np.cumsum(ln, out=bounds[1:])
    idx: Int64Array = np.repeat(lo - bounds[:-1], ln) + np.arange(int(bounds[-1]), dtype=np.int64)
    return idx, bounds


def agreements(a: UInt64Array, b: UInt64Array, *, b_empty: BoolArray | None = None) -> Int64Array:
    """Per row (last axis), the positions where `a` and `b` hold the same value, ``EMPTY``
    (no shingle there) not counting.

    `b_empty` (optional, one flag per row of `b`) says which rows of `b` may hold ``EMPTY``:
    the others are compared in one pass, and only the flagged rows check for ``EMPTY``. Divided
    by the signature length, the count estimates the Jaccard similarity of the two shingle sets
    (Broder 1997); ``count / n`` is bit for bit ``mean`` of the agreeing positions.

    >>> a = np.array([[1, 2, EMPTY]], dtype=np.uint64)
    >>> agreements(a, np.array([[1, 5, EMPTY]], dtype=np.uint64)).tolist()
    [1]
    """
    if b_empty is None:
        out: Int64Array = np.count_nonzero((a == b) & (a != EMPTY), axis=-1)
        return out
    out = np.count_nonzero(a == b, axis=-1)
    fix = np.flatnonzero(b_empty)
    if len(fix):
        out[fix] = np.count_nonzero((a[fix] == b[fix]) & (a[fix] != EMPTY), axis=-1)
    return out


def batches(texts: Iterable[str], chunk_chars: int) -> Iterator[list[str]]:
    """Consecutive runs of `texts`, in order, of at most `chunk_chars` characters in all; a text
    longer than that forms a run of its own. Reads `texts` lazily."""
    group: list[str] = []
    size = 0
    for text in texts:
        if group and size + len(text) > chunk_chars:
            yield group
            group, size = [], 0
        group.append(text)
        size += len(text)
    if group:
        yield group


def first_mask(bounds: Int64Array, n: int) -> BoolArray:
    """``mask[i]`` is True when position ``i`` starts a group (length ``n + 1``; the last
    entry marks the end of the layout)."""
    mask = np.zeros(n + 1, dtype=bool)
    mask[bounds] = True
    return mask


def group_of(pos: Int64Array, bounds: Int64Array) -> Int64Array:
    """The group each position in `pos` falls in (`bounds` of the groups)."""
    out: Int64Array = np.searchsorted(bounds, pos, side="right") - 1
    return out


def codepoints(text: str) -> UInt32Array:
    """The code points of `text` (a lone surrogate comes through as its code unit)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.uint32)


def text_of(cps: UInt32Array) -> str:
    """The string of the code points `cps` (the inverse of `codepoints`)."""
    return np.ascontiguousarray(cps, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
