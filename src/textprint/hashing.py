"""Shingle hashing: k-token shingles to seeded, platform-independent 64-bit hashes.

Stage 3 of the pipeline. No Python call per shingle: a whole batch of documents is hashed with
a handful of numpy passes.

The hash ("tp64", version 1)
----------------------------
A shingle is its ``k`` normalized tokens joined by one space (tokens never contain whitespace,
so this is unambiguous): ``"学 而 时 习 之"``. :func:`shingles` returns it UTF-8 encoded. The
hash reads the shingle as code points ``u[0..n)`` (bytes given by a user are decoded as UTF-8
with ``surrogateescape``, so any bytes have a defined, injective reading) and, for a seed::

    key  = splitmix64(seed)                              # one 64-bit key per seed
    v    = key * R**n + sum(u[j] * R**(n - 1 - j))       # Horner with initial value key
    hash = fmix64(v)                                     # MurmurHash3's 64-bit finalizer

with ``R = 0x9E3779B97F4A7C15`` (odd, so invertible modulo 2**64). All arithmetic is modulo
2**64: the wrap-around of uint64 multiplication and addition is intended, on every platform.
The batch path never builds the shingle strings: over the virtual stream
``tok0 " " tok1 " " ...`` of a document it keeps ``Q[p] = sum(u[j] * R**-j for j < p)`` at
token boundaries only, and ``sum(u[j] * R**(e - 1 - j) for a <= j < e) = R**(e - 1) * (Q[e] -
Q[a])``. Polynomial hashing modulo 2**64 can be forced to collide by crafted inputs of thousands
of units (Thue-Morse strings); shingles are short and the finalizer mixes the result, which is
enough for similarity estimation, not for adversarial settings. The slow reference in
``tests/reference.py`` computes the same with Python ints, unit by unit.

A text with fewer than ``k`` tokens (but at least one) has exactly one shingle: all its tokens.
A text with no token has none.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, is_dataclass

import numpy as np

from ._typing import Int64Array, UInt32Array, UInt64Array
from ._validation import check_int, check_text
from .errors import IncompatibleError, InvalidInputError
from .tokenization import TokenBatch, Tokenizer, tokenize_batch

__all__ = [
    "HASH_SCHEME",
    "HashParams",
    "ShingleBatch",
    "fmix64",
    "hash_bytes",
    "hash_shingles",
    "shingles",
    "splitmix64",
]

#: Name and version of the shingle hash, recorded in every result.
HASH_SCHEME = "tp64-1"
MASK64 = (1 << 64) - 1
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
    x = x ^ (x >> _S33)
    x = x * _C1
    x = x ^ (x >> _S33)
    x = x * _C2
    out: UInt64Array = x ^ (x >> _S33)
    return out


@dataclass(frozen=True, slots=True)
class HashParams:
    """Everything that determines a shingle hash: compared before results are combined."""

    k: int
    seed: int
    tokenizer: str
    hash: str = HASH_SCHEME

    def check_compatible(self, other: object, what: str = "these results") -> None:
        """Raise IncompatibleError naming every setting that differs."""
        check_same_params(self, other, what)


def check_same_params(a: object, b: object, what: str) -> None:
    """Raise IncompatibleError if two params dataclasses differ, naming the differences."""
    if type(a) is not type(b) or not is_dataclass(a) or isinstance(a, type):
        raise IncompatibleError(
            f"{what} were made with different kinds of parameters: "
            f"{type(a).__name__} vs {type(b).__name__}"
        )
    da, db = asdict(a), asdict(b)  # type: ignore[call-overload]
    diffs = [f"{name}={da[name]!r} vs {db[name]!r}" for name in da if da[name] != db[name]]
    if diffs:
        raise IncompatibleError(f"{what} were made with different settings: " + "; ".join(diffs))


class _Powers:
    """Thread-safe, growing tables of R**j and R**-j modulo 2**64.

    Both tables are published together as one tuple, so a reader never sees a new table of
    one kind with an old, shorter table of the other.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        one = np.ones(1, dtype=np.uint64)
        self.tables: tuple[UInt64Array, UInt64Array] = (one, one)

    def get(self, n: int) -> tuple[UInt64Array, UInt64Array]:
        tables = self.tables  # one read: a consistent pair
        if len(tables[0]) > n:
            return tables
        with self._lock:
            if len(self.tables[0]) <= n:
                size = max(n + 1, 2 * len(self.tables[0]), 1024)
                p = np.full(size, R, dtype=np.uint64)
                p[0] = 1
                q = np.full(size, R_INV, dtype=np.uint64)
                q[0] = 1
                self.tables = (np.multiply.accumulate(p), np.multiply.accumulate(q))
            return self.tables


_POWERS = _Powers()


def _poly_ranges(units: UInt32Array, a: Int64Array, e: Int64Array, seed: int) -> UInt64Array:
    """Seeded hash of the unit ranges ``units[a:e]`` (see the module docstring)."""
    n_units = len(units)
    pos, neg = _POWERS.get(n_units + 1)
    q = np.zeros(n_units + 1, dtype=np.uint64)
    np.cumsum(units.astype(np.uint64) * neg[:n_units], out=q[1:])
    key = np.array([splitmix64(seed)], dtype=np.uint64)
    body = pos[np.maximum(e - 1, 0)] * (q[e] - q[a])
    return fmix64(key * pos[e - a] + body)


class ShingleBatch:
    """Shingle hashes of a batch (private currency between stages).

    Shingle ``i`` hashes to ``hashes[i]``, starts at token ``token[i]`` of the batch's token
    arrays and ends at token ``last[i]``, spans ``starts[i]:ends[i]`` of its document's
    original text (computed on first use); document ``d`` owns shingles
    ``bounds[d]:bounds[d + 1]``.
    """

    __slots__ = ("bounds", "hashes", "last", "params", "token", "tokens")

    def __init__(
        self,
        hashes: UInt64Array,
        token: Int64Array,
        last: Int64Array,
        bounds: Int64Array,
        tokens: TokenBatch,
        params: HashParams,
    ) -> None:
        self.hashes = hashes
        self.token = token
        self.last = last
        self.bounds = bounds
        self.tokens = tokens
        self.params = params

    @property
    def starts(self) -> Int64Array:
        return self.tokens.span_start(self.token)

    @property
    def ends(self) -> Int64Array:
        return self.tokens.span_end(self.last)

    def span_start(self, idx: Int64Array) -> Int64Array:
        """Original starts of the shingles at `idx` only."""
        return self.tokens.span_start(self.token[idx])

    def span_end(self, idx: Int64Array) -> Int64Array:
        """Original ends of the shingles at `idx` only."""
        return self.tokens.span_end(self.last[idx])


def _shingle_layout(tokens: TokenBatch, k: int) -> tuple[Int64Array, Int64Array, Int64Array]:
    """First token, last token (inclusive) and per-document bounds of every shingle."""
    n_tok = np.diff(tokens.bounds)
    n_sh = np.where(n_tok >= k, n_tok - k + 1, np.minimum(n_tok, 1))
    bounds = np.zeros(len(n_tok) + 1, dtype=np.int64)
    np.cumsum(n_sh, out=bounds[1:])
    doc = np.repeat(np.arange(len(n_tok), dtype=np.int64), n_sh)
    first = tokens.bounds[:-1][doc] + (
        np.arange(int(bounds[-1]), dtype=np.int64) - bounds[:-1][doc]
    )
    last = np.minimum(first + k - 1, tokens.bounds[1:][doc] - 1)
    return first, last, bounds


def _token_prefix(tokens: TokenBatch) -> tuple[UInt64Array, Int64Array, Int64Array]:
    """Prefix sums of the virtual stream ``tok0 SP tok1 SP ...`` at token starts.

    Returns ``q`` (``q[i]`` = sum of ``u[j] * R**-j`` over the units before token ``i``; one more
    entry at the end), the unit offset ``o`` of every token and its length ``n`` in code points.
    """
    lens = tokens.tok_end - tokens.tok_start
    n_tok = len(lens)
    offset = np.zeros(n_tok + 1, dtype=np.int64)
    np.cumsum(lens + 1, out=offset[1:])
    # Exponents restart at every document (a shingle never crosses one), which keeps the power
    # tables as long as the longest document rather than the whole batch.
    per_doc = np.diff(tokens.bounds)
    offset[:-1] -= np.repeat(offset[tokens.bounds[:-1]], per_doc)
    offset[-1] = 0
    longest = int((offset[:-1] + lens).max()) + 2 if n_tok else 1
    _, neg = _POWERS.get(longest)
    # the first code point of every token, then the others of the longer tokens only (CJK
    # text is mostly one-character tokens)
    starts = offset[:-1]
    body = tokens.cps[tokens.tok_start].astype(np.uint64) * neg[starts]
    multi = np.flatnonzero(lens > 1)
    if len(multi):
        extra = lens[multi] - 1
        owner = np.repeat(np.arange(len(multi), dtype=np.int64), extra)
        first = np.cumsum(extra) - extra
        rank = 1 + np.arange(len(owner), dtype=np.int64) - first[owner]
        cp = tokens.cps[tokens.tok_start[multi][owner] + rank].astype(np.uint64)
        contrib = cp * neg[starts[multi][owner] + rank]
        body[multi] += np.add.reduceat(contrib, first)
    sep = np.uint64(SEPARATOR) * neg[offset[:-1] + lens]
    q = np.zeros(n_tok + 1, dtype=np.uint64)
    np.cumsum(body + sep, out=q[1:])
    return q, offset[:-1], lens


def hash_shingles(tokens: TokenBatch, *, k: int, seed: int) -> ShingleBatch:
    """Hash every k-token shingle of a token batch (private fast path)."""
    first, last, bounds = _shingle_layout(tokens, k)
    params = HashParams(k=k, seed=seed, tokenizer=tokens.identity)
    if len(first) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return ShingleBatch(np.zeros(0, dtype=np.uint64), empty, empty, bounds, tokens, params)
    q, offset, lens = _token_prefix(tokens)
    pos, neg = _POWERS.get(int((offset + lens).max()) + 1)
    a = offset[first]
    e = offset[last] + lens[last]  # unit position of the separator after the last token
    # sum over the shingle's units, without that trailing separator
    s = q[last + 1] - q[first] - np.uint64(SEPARATOR) * neg[e]
    key = np.array([splitmix64(seed)], dtype=np.uint64)
    hashes = fmix64(key * pos[e - a] + pos[e - 1] * s)
    return ShingleBatch(
        hashes=hashes, token=first, last=last, bounds=bounds, tokens=tokens, params=params
    )


def hash_bytes(items: Iterable[bytes], *, seed: int = 0) -> UInt64Array:
    """Hash ready-made shingles (bytes) exactly as the text path hashes its own.

    Parameters
    ----------
    items : iterable of bytes
        Shingles, e.g. from :func:`shingles` or your own shingling.
    seed : int, default 0

    Returns
    -------
    ndarray of shape (n_items,), dtype=uint64
    """
    seed = check_int(seed, "seed", low=0, high=MASK64)
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
    units = np.frombuffer(
        "".join(decoded).encode("utf-32-le", "surrogatepass"), dtype="<u4"
    ).astype(np.uint32)
    e = np.cumsum(lens)
    return _poly_ranges(units, e - lens, e, seed)


def shingles(text: str, *, k: int = 5, tokenizer: str | Tokenizer = "auto") -> list[bytes]:
    """The exact shingles (bytes) that fingerprints and signatures hash.

    Parameters
    ----------
    text : str
    k : int, default 5
        Tokens per shingle.
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
    k = check_int(k, "k", low=1)
    toks = tokenize_batch([text], tokenizer).doc_tokens(0).tokens
    if not toks:
        return []
    if len(toks) < k:
        return [" ".join(toks).encode("utf-8")]
    return [" ".join(toks[i : i + k]).encode("utf-8") for i in range(len(toks) - k + 1)]


def shingle_batch(
    texts: Sequence[str], *, k: int, seed: int, tokenizer: str | Tokenizer
) -> ShingleBatch:
    """Tokenize and hash a batch of texts (private)."""
    return hash_shingles(tokenize_batch(texts, tokenizer), k=k, seed=seed)
