"""Export textprint signatures to datasketch, so users keep LSH Forest, LSH Ensemble and Redis.

Only signatures made with ``scheme="datasketch"`` carry values datasketch can compare with its
own MinHash objects; for the other schemes the export is still valid among themselves (all
objects exported from the same MinHasher settings), but datasketch's 32-bit value width does
not hold 64-bit values, so they are refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import IncompatibleError, InvalidParameterError, MissingDependencyError
from ..minhash import EMPTY, Signatures

__all__ = ["to_lean_minhash", "to_lean_minhashes"]


def _datasketch() -> Any:
    try:
        import datasketch
    except ImportError as exc:  # pragma: no cover - datasketch is a base dependency
        raise MissingDependencyError(
            "datasketch interop needs datasketch: pip install datasketch"
        ) from exc
    return datasketch


def to_lean_minhash(signature: Any, *, seed: int) -> Any:
    """Wrap one ``scheme="datasketch"`` signature as a ``datasketch.LeanMinHash``.

    Parameters
    ----------
    signature : ndarray of shape (n_hashes,), dtype=uint64
        From ``MinHasher(scheme="datasketch", seed=seed).signature(...)``.
    seed : int
        The MinHasher's seed (datasketch records it and refuses to compare other seeds).

    Returns
    -------
    datasketch.LeanMinHash

    Examples
    --------
    >>> import textprint as tp
    >>> from textprint.integrations.datasketch import to_lean_minhash
    >>> mh = tp.MinHasher(scheme="datasketch", seed=1)
    >>> lean = to_lean_minhash(mh.signature("天下大势，分久必合，合久必分"), seed=1)
    >>> type(lean).__name__, len(lean)
    ('LeanMinHash', 128)
    """
    ds = _datasketch()
    sig = np.asarray(signature)
    if sig.dtype != np.uint64 or sig.ndim != 1:
        raise InvalidParameterError(
            f"signature must be a uint64 array of shape (n_hashes,), got {sig.dtype} {sig.shape}"
        )
    if (sig == EMPTY).all():
        raise InvalidParameterError("signature is a too-short (empty) signature; it has no values")
    if (sig > np.uint64(0xFFFFFFFF)).any():
        raise IncompatibleError(
            "signature has values above 2**32: it was not made with scheme='datasketch'; "
            "use tp.MinHasher(scheme='datasketch') to interoperate with datasketch"
        )
    return ds.LeanMinHash(seed=seed, hashvalues=sig.astype(np.uint32), scheme="affine32")


def to_lean_minhashes(signatures: Signatures) -> list[Any]:
    """Wrap every valid row of `signatures` (``scheme="datasketch"``) as a LeanMinHash.

    Rows with ``valid=False`` (too-short texts) become ``None``.
    """
    if signatures.params.scheme != "datasketch":
        raise IncompatibleError(
            f"signatures were made with scheme={signatures.params.scheme!r}; datasketch "
            "interop needs scheme='datasketch'",
            differences={"scheme": (signatures.params.scheme, "datasketch")},
        )
    seed = signatures.params.seed
    return [
        to_lean_minhash(row, seed=seed) if ok else None
        for row, ok in zip(signatures.values, signatures.valid.tolist())
    ]
