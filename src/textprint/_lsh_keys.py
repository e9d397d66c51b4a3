"""What an LSH index accepts: keys and signature rows, checked once here (private).

:class:`textprint.LSHIndex` stores rows under keys (a str or an int each, unique); these
functions turn what a caller passes into the index's lists and arrays, or raise naming the rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ._kernels import EMPTY
from ._typing import BoolArray, UInt64Array
from .errors import DuplicateWorkError, InvalidInputError, InvalidParameterError
from .minhash import SignatureParams, Signatures

__all__ = ["as_keys", "as_signatures", "check_keys", "duplicate", "empty_rows"]


def as_signatures(
    signatures: Any, n_hashes: int | None
) -> tuple[UInt64Array, SignatureParams | None]:
    """`signatures` as rows of shape (n, n_hashes), dtype uint64, and their parameters (None
    for a bare array); `n_hashes` None accepts any length."""
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


def as_keys(keys: Any) -> list[str | int]:
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


def duplicate(keys: list[str | int]) -> str | int | None:
    """A key that appears twice in `keys`, or None."""
    if len(set(keys)) == len(keys):
        return None
    seen: set[str | int] = set()
    return next(k for k in keys if k in seen or seen.add(k))  # type: ignore[func-returns-value]


def check_keys(keys: Any, n: int) -> list[str | int]:
    """`keys` as a list (see `as_keys`): one per signature of `n`, each once."""
    out = as_keys(keys)
    if len(out) != n:
        raise InvalidParameterError(f"got {len(out)} keys for {n} signatures")
    dup = duplicate(out)
    if dup is not None:
        raise DuplicateWorkError(
            f"key {dup!r} appears twice in this call; keys must be unique", key=dup
        )
    return out


def empty_rows(values: UInt64Array) -> tuple[BoolArray, BoolArray]:
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
