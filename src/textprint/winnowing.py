"""Winnowing: a subset of shingle hashes that guarantees shared runs are detected.

Stage 4a of the pipeline (Schleimer, Wilkerson, Aiken 2003). The batch kernel (many hash
sequences at once) is :mod:`textprint._winnow`.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from ._kernels import batches, owners
from ._params import HashParams
from ._plain import compiled
from ._plain import fingerprint as plain_fingerprint
from ._results import SizedResult
from ._shingles import ShingleBatch, shingle_batch
from ._typing import Int64Array, UInt64Array
from ._validation import check_param, check_text, check_texts
from ._winnow import winnow_batch
from .tokenization import Tokenizer, resolve_tokenizer, tokenizer_identity

__all__ = ["Fingerprint", "FingerprintParams", "fingerprint", "fingerprints", "winnow"]


#: Characters per batch of `fingerprints`: the time per character is lowest near 64 K; from
#: 128 K the temporaries outgrow the allocator's reuse and page faults add to the time
#: (benchmarks/bench_winnowing.py measures it: docs/benchmarks/winnowing.md).
_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True, kw_only=True)
class FingerprintParams(HashParams, what="these fingerprints"):
    """Everything that produced a fingerprint: the shingle hash's settings and the window
    (``check_compatible`` compares two)."""

    window: int


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Fingerprint(SizedResult, size="hashes"):
    """The winnowed fingerprint of a text.

    Attributes
    ----------
    hashes : ndarray of shape (n,), dtype=uint64
        Selected shingle hashes, in text order.
    starts, ends : ndarray of shape (n,), dtype=int64
        Original-text span of each selected shingle.
    positions : ndarray of shape (n,), dtype=int64
        Index of each selected shingle among all the text's shingles.
    n_shingles : int
        Number of shingles the text has.
    params : FingerprintParams
    """

    hashes: UInt64Array
    starts: Int64Array
    ends: Int64Array
    positions: Int64Array
    n_shingles: int
    params: FingerprintParams


def winnow(hashes: UInt64Array, window: int) -> Int64Array:
    """Positions selected by robust winnowing.

    In each window of `window` consecutive hashes select the minimum; break ties by keeping the
    position the previous window selected if it is still in the window, else take the rightmost
    minimum. Each position is reported once, in increasing order. A sequence shorter than the
    window is one window.

    Parameters
    ----------
    hashes : ndarray of shape (n,), dtype=uint64
    window : int

    Returns
    -------
    ndarray of shape (n_selected,), dtype=int64

    Notes
    -----
    Schleimer, Wilkerson, Aiken, "Winnowing: local algorithms for document fingerprinting",
    SIGMOD 2003, section 4 ("robust winnowing"). The guarantee: any run of at least
    ``window`` hashes shared by two sequences makes them share a selected hash. Windows are
    evaluated all at once with numpy; only windows whose minimum is tied (repeated shingles)
    take the sequential tie-breaking path.

    Examples
    --------
    The worked example of the paper (hashes of the 5-grams of "adorunrunrunadorunrun", window 4):

    >>> import numpy as np
    >>> from textprint.winnowing import winnow
    >>> h = np.array([77, 74, 42, 17, 98, 50, 17, 98, 8, 88, 67, 39, 77, 74, 42, 17, 98],
    ...              dtype=np.uint64)
    >>> h[winnow(h, 4)].tolist()
    [17, 17, 8, 39, 17]
    """
    window = check_param("window", window)
    h = np.asarray(hashes, dtype=np.uint64)
    return winnow_batch(h, np.array([0, len(h)], dtype=np.int64), window)


def _build(sh: ShingleBatch, window: int) -> list[Fingerprint]:
    params = FingerprintParams(
        k=sh.params.k, window=window, seed=sh.params.seed, tokenizer=sh.params.tokenizer
    )
    selected = winnow_batch(sh.hashes, sh.bounds, window)
    cut = np.searchsorted(selected, sh.bounds).tolist()
    doc = owners(np.diff(np.asarray(cut)))
    first, last = sh.first_last(selected, doc)
    # the arrays of the whole batch, read-only: each document's are views of them
    all_hashes = sh.hashes[selected]
    all_starts, all_ends = sh.tokens.spans(first, last, doc)
    all_positions = selected - sh.bounds[:-1][doc]
    for arr in (all_hashes, all_starts, all_ends, all_positions):
        arr.flags.writeable = False
    n_shingles = np.diff(sh.bounds).tolist()
    return [
        Fingerprint(
            hashes=all_hashes[i:j],
            starts=all_starts[i:j],
            ends=all_ends[i:j],
            positions=all_positions[i:j],
            n_shingles=n_sh,
            params=params,
        )
        for i, j, n_sh in zip(cut[:-1], cut[1:], n_shingles)
    ]


def fingerprint(
    text: str,
    *,
    k: int = 5,
    window: int = 10,
    tokenizer: str | Tokenizer = "auto",
    seed: int = 0,
) -> Fingerprint:
    """Winnowing fingerprint of a text.

    Parameters
    ----------
    text : str
    k : int, default 5
        Tokens per shingle (see :func:`textprint.shingles`).
    window : int, default 10
        Winnowing window, in shingles. Any run of ``window + k - 1`` tokens shared with another
        text yields a shared fingerprint hash.
    tokenizer : str or Tokenizer, default "auto"
    seed : int, default 0

    Returns
    -------
    Fingerprint
        ``.hashes`` (uint64), ``.starts``/``.ends`` (int64, original-text spans), ``.params``.
        An empty text gives an empty Fingerprint.

    Raises
    ------
    InvalidParameterError
        If `k`, `window` or `seed` is not an int in its range.

    Notes
    -----
    Robust winnowing (Schleimer, Wilkerson, Aiken 2003) over the shingle hashes of
    :mod:`textprint.hashing`.

    Examples
    --------
    >>> import textprint as tp
    >>> a = tp.fingerprint("天下大势，分久必合，合久必分。周末七国分争，并入于秦。")
    >>> b = tp.fingerprint("話說天下大勢，分久必合，合久必分：周末七國分爭，併入於秦")
    >>> bool(set(a.hashes.tolist()) & set(b.hashes.tolist()))
    True
    >>> len(tp.fingerprint(""))
    0
    """
    check_text(text)
    plain = _plain_fingerprint(text, k, window, tokenizer, seed)
    if plain is not None:
        return plain
    return fingerprints([text], k=k, window=window, tokenizer=tokenizer, seed=seed)[0]


def _plain_fingerprint(
    text: str, k: int, window: int, tokenizer: str | Tokenizer, seed: int
) -> Fingerprint | None:
    """The fingerprint of a plain text by the compiled single-text path
    (:mod:`textprint._plain`), or None where the batch path answers (no numba, a tokenizer
    other than ``"char"``, a text that is not plain, no token, a text longer than a chunk)."""
    if len(text) > _CHUNK or not isinstance(tokenizer, str):
        return None
    funcs = compiled()
    if funcs is None:
        return None
    # the types are part of the key: ``True`` and ``5.0`` are refused where ``1`` and ``5``
    # are not
    key = cast(Hashable, (type(k), k, type(window), window, type(seed), seed, tokenizer))
    try:
        params = _checked_params(key)
    except TypeError:  # an unhashable argument (or a refused one): checked uncached
        params = _checked_params.__wrapped__(key)
    if params.tokenizer != tokenizer_identity("char"):
        return None
    k, window, seed = params.k, params.window, params.seed
    found = plain_fingerprint(text, funcs, k=k, seed=seed, window=window)
    if found is None:
        return None
    n_sh, hashes, starts, ends, selected = found
    for arr in (hashes, starts, ends, selected):
        arr.flags.writeable = False
    return Fingerprint(
        hashes=hashes,
        starts=starts,
        ends=ends,
        positions=selected,
        n_shingles=n_sh,
        params=params,
    )


@functools.lru_cache(maxsize=64)
def _checked_params(key: Hashable) -> FingerprintParams:
    """`fingerprints`' checks of its arguments and their parameter record, made once per
    distinct ``(type(k), k, type(window), window, type(seed), seed, tokenizer)``."""
    _, k, _, window, _, seed, tokenizer = cast("tuple[Any, ...]", key)
    k = check_param("k", k)
    window = check_param("window", window)
    seed = check_param("seed", seed)
    identity = tokenizer_identity(resolve_tokenizer(tokenizer))
    return FingerprintParams(k=k, window=window, seed=seed, tokenizer=identity)


def fingerprints(
    texts: Iterable[str],
    *,
    k: int = 5,
    window: int = 10,
    tokenizer: str | Tokenizer = "auto",
    seed: int = 0,
) -> list[Fingerprint]:
    """Winnowing fingerprints of many texts (the batch path; same results as `fingerprint`).

    Parameters
    ----------
    texts : iterable of str
    k, window, tokenizer, seed
        As in :func:`fingerprint`.

    Returns
    -------
    list of Fingerprint
    """
    docs = check_texts(texts)
    k = check_param("k", k)
    window = check_param("window", window)
    seed = check_param("seed", seed)
    out: list[Fingerprint] = []
    # bounded memory, and temporaries small enough to stay in cache and be reused by the
    # allocator (larger batches page-fault fresh memory on every call): see _CHUNK
    for batch in batches(docs, _CHUNK):
        out.extend(_build(shingle_batch(batch, k=k, seed=seed, tokenizer=tokenizer), window))
    return out
