"""Shingle hashing: k-token shingles to seeded, platform-independent 64-bit hashes.

Stage 3 of the pipeline. No Python call per shingle: a whole batch of documents is hashed with
a handful of numpy passes.

The hash ("tp64", version 1)
----------------------------
A shingle is its ``k`` normalized tokens joined by one space (tokens never contain whitespace,
so this is unambiguous): ``"学 而 时 习 之"``. :func:`~textprint.shingles` returns it UTF-8
encoded. The hash reads the shingle as code points ``u[0..n)`` (bytes given by a user are decoded
as UTF-8 with ``surrogateescape``, so any bytes have a defined, injective reading) and, for a
seed::

    key  = splitmix64(seed)                              # one 64-bit key per seed
    v    = key * R**n + sum(u[j] * R**(n - 1 - j))       # Horner with initial value key
    hash = fmix64(v)                                     # MurmurHash3's 64-bit finalizer

with ``R = 0x9E3779B97F4A7C15`` (odd, so invertible modulo 2**64). All arithmetic is modulo
2**64: the wrap-around of uint64 multiplication and addition is intended, on every platform.
The batch path never builds the shingle strings. Over the virtual stream
``tok0 " " tok1 " " ...`` of a document, appending a separator and a token of ``L`` code points
to a Horner state ``v`` is one affine step ``v -> v * R**(L + 1) + A`` with
``A = SP * R**L + T`` and ``T = sum(u[j] * R**(L - 1 - j))`` the token's own polynomial; a shingle
of ``k`` tokens is ``k`` such steps from ``v0 = (key - SP) * R**-1`` (the first step then gives
``key * R**L + T``). For small ``k`` the steps run over the flat token arrays of the whole batch
(CJK tokens are one code point, so every multiplier is ``R**2``); for large ``k`` and for a text
shorter than ``k`` tokens, prefix sums give any range of tokens in a fixed number of passes:
with ``off[t] = sum(L + 1)`` over the tokens before ``t`` and
``S[t] = sum(A[s] * R**-off[s + 1] for s < t)``, the state after tokens ``[a, e)`` is
``R**off[e] * (R**-off[a] * v0 + S[e] - S[a])``. Powers of R come from fixed tables of 2**16
entries per 16-bit digit of the exponent, so memory does not grow with the input.
Polynomial hashing modulo 2**64 can be forced to collide by crafted inputs of thousands
of units (Thue-Morse strings); shingles are short and the finalizer mixes the result, which is
enough for similarity estimation, not for adversarial settings. The slow reference in
``tests/reference.py`` computes the same with Python ints, unit by unit.

A text with fewer than ``k`` tokens (but at least one) has exactly one shingle: all its tokens.
A text with no token has none.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ._kernels import codepoints
from ._params import HASH_SCHEME, HashParams
from ._shingles import R, fmix64, poly_ranges, splitmix64
from ._tokens import tokenize_batch
from ._typing import UInt64Array
from ._validation import check_param, check_text
from .errors import InvalidInputError
from .tokenization import Tokenizer

#: ``R``, the multiplier of the hash's polynomial (the docstring's arithmetic), is exported so
#: that the arithmetic can be checked by hand (docs/explanation/winnowing.md does).
__all__ = ["HASH_SCHEME", "HashParams", "R", "fmix64", "hash_bytes", "shingles", "splitmix64"]


def hash_bytes(items: Iterable[bytes], *, seed: int = 0) -> UInt64Array:
    """Hash ready-made shingles (bytes) exactly as the text path hashes its own.

    Parameters
    ----------
    items : iterable of bytes
        Shingles, e.g. from :func:`~textprint.shingles` or your own shingling.
    seed : int, default 0

    Returns
    -------
    ndarray of shape (n_items,), dtype=uint64
    """
    seed = check_param("seed", seed)
    if isinstance(items, (bytes, bytearray, str)):
        raise InvalidInputError(
            "items must be an iterable of bytes shingles, not a bare "
            f"{type(items).__name__}; wrap one shingle in a list"
        )
    chunks = list(items)
    for i, c in enumerate(chunks):
        if not isinstance(c, (bytes, bytearray, memoryview)):
            raise InvalidInputError(f"shingle {i} must be bytes, got {type(c).__name__}")
    if not chunks:
        return np.zeros(0, dtype=np.uint64)
    # each shingle is decoded on its own: a shingle that ends inside a character must not be
    # read differently because of its neighbour
    decoded = [bytes(c).decode("utf-8", "surrogateescape") for c in chunks]
    lens = np.fromiter((len(c) for c in decoded), dtype=np.int64, count=len(decoded))
    e = np.cumsum(lens)
    return poly_ranges(codepoints("".join(decoded)), e - lens, e, seed)


def shingles(text: str, *, k: int = 5, tokenizer: str | Tokenizer = "auto") -> list[bytes]:
    """The exact shingles (bytes) that fingerprints and signatures hash.

    Parameters
    ----------
    text : str
    k : int, default 5
        Tokens per shingle, 1 to 2**32 (a text with fewer tokens has one shingle of all of
        them, so a larger k would change nothing).
    tokenizer : str or Tokenizer, default "auto"

    Returns
    -------
    list of bytes
        UTF-8 of ``k`` normalized tokens joined by one space; one shingle of all tokens when the
        text has fewer than ``k``; empty when it has none.

    Examples
    --------
    >>> import textprint as tp
    >>> [s.decode() for s in tp.shingles("學而時習之，不亦說乎", k=5)]
    ['学 而 时 习 之', '而 时 习 之 不', '时 习 之 不 亦', '习 之 不 亦 说', '之 不 亦 说 乎']
    >>> [s.decode() for s in tp.shingles("The quick brown fox", k=3)]
    ['the quick brown', 'quick brown fox']
    """
    check_text(text)
    k = check_param("k", k)
    toks = tokenize_batch([text], tokenizer).doc_tokens(0).tokens
    if not toks:
        return []
    if len(toks) < k:
        return [" ".join(toks).encode("utf-8")]
    return [" ".join(toks[i : i + k]).encode("utf-8") for i in range(len(toks) - k + 1)]
