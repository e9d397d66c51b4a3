"""MinHash signatures: fixed-size sketches whose agreement estimates Jaccard similarity.

Stage 4b of the pipeline (Broder 1997). Three schemes:

``"oph"`` (default)
    One-permutation hashing (Li, Owen, Zhang 2012) with optimal densification (Shrivastava
    2017). Each shingle hash ``h`` (see :mod:`textprint.hashing`) goes to bin
    ``((h >> 32) * n_hashes) >> 32`` and each bin keeps its minimum ``h``. An empty bin ``j``
    borrows the value of the first non-empty bin among ``c_t = bin(fmix64(key ^ (j << 32 | t)))``
    for ``t = 1, 2, ..., 4096`` (``key = splitmix64(seed ^ 0x6F7068)``), or, if none of those
    is non-empty, of the next non-empty bin to its right (circularly). One hash per shingle
    instead of ``n_hashes``.
``"classic"``
    ``n_hashes`` independent hash functions ``h_i(x) = fmix64(h(x) ^ key_i)`` with
    ``key_i = splitmix64(seed + 1 + i)``: each is a bijection of 64-bit values, so no collisions
    are added; arithmetic wraps modulo 2**64 by design and nothing can overflow.
``"datasketch"``
    datasketch 2.x's default ``affine32`` scheme, reimplemented: ``sha1`` of the shingle bytes
    (first 4 bytes, little endian), MurmurHash3's 32-bit finalizer, then
    ``a_i * h + b_i mod 2**32`` with ``a_i, b_i`` drawn by ``numpy.random.RandomState(seed)``
    exactly as datasketch draws them. Values equal ``datasketch.MinHash(num_perm=n_hashes,
    seed=seed).update_batch(shingles)``, returned as uint64. It pays one ``sha1`` call per
    shingle: use it to interoperate, not for speed.

Values equal to ``2**64 - 1`` are reserved: they mark a too-short document (no shingle), whose row
has ``valid=False``; such rows never collide with anything, each other included.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from ._typing import BoolArray, Int64Array, UInt64Array
from ._validation import check_choice, check_int, check_texts
from .errors import InvalidInputError, InvalidParameterError, TooShortError
from .hashing import (
    HASH_SCHEME,
    MASK64,
    ShingleBatch,
    _shingle_layout,
    check_same_params,
    fmix64,
    hash_bytes,
    shingle_batch,
    splitmix64,
)
from .normalization import _to_str
from .tokenization import Tokenizer, resolve_tokenizer, tokenizer_identity

__all__ = ["EMPTY", "SCHEMES", "MinHasher", "SignatureParams", "Signatures", "jaccard"]

SCHEMES = ("oph", "classic", "datasketch")
#: The reserved value of a too-short document's signature.
EMPTY = np.uint64(MASK64)
_MAX_VALUE = np.uint64(MASK64 - 1)
_OPH_SALT = 0x6F7068
_S32 = np.uint64(32)
# Chunk of characters processed at once by `signatures`: bounds memory, and keeps the
# temporary arrays small enough (a few MB) for the allocator to reuse them; with 4 M
# characters every temporary was a fresh mmap and page faults cost a third of the CPU time.
CHUNK_CHARS = 1 << 20
# Densification gives up on random probing after this many probes and takes the next non-empty
# bin to the right instead (for 128 bins and one non-empty bin, probability ~1e-14 per bin).
_MAX_PROBES = 4096


@dataclass(frozen=True, slots=True)
class SignatureParams:
    """Everything that produced a signature."""

    n_hashes: int
    k: int
    seed: int
    scheme: str
    tokenizer: str
    hash: str = HASH_SCHEME

    def check_compatible(self, other: object, what: str = "these signatures") -> None:
        """Raise IncompatibleError naming every setting that differs."""
        check_same_params(self, other, what)


@dataclass(frozen=True, slots=True, eq=False)
class Signatures:
    """MinHash signatures of a batch of texts.

    Attributes
    ----------
    values : ndarray of shape (n_texts, n_hashes), dtype=uint64
    valid : ndarray of shape (n_texts,), dtype=bool
        False for a text with no shingle (too short); its row is all ``2**64 - 1`` and never
        collides.
    params : SignatureParams
    """

    values: UInt64Array
    valid: BoolArray
    params: SignatureParams

    def __len__(self) -> int:
        return len(self.values)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if copy is False and dtype is not None and np.dtype(dtype) != self.values.dtype:
            raise ValueError("converting signatures to another dtype needs a copy")
        if copy or (dtype is not None and np.dtype(dtype) != self.values.dtype):
            return np.array(self.values, dtype=dtype, copy=True)
        return self.values


def _oph(sh_hashes: UInt64Array, bounds: Int64Array, n: int, seed: int) -> UInt64Array:
    n_docs = len(bounds) - 1
    counts = np.diff(bounds)
    doc = np.repeat(np.arange(n_docs, dtype=np.int64), counts)
    nn = np.uint64(n)
    b = (((sh_hashes >> _S32) * nn) >> _S32).astype(np.int64)
    flat = np.full(n_docs * n, EMPTY, dtype=np.uint64)
    np.minimum.at(flat, doc * n + b, np.minimum(sh_hashes, _MAX_VALUE))
    sig: UInt64Array = flat.reshape(n_docs, n)
    _densify(sig, counts > 0, n, seed)
    return sig


def _densify(sig: UInt64Array, valid: BoolArray, n: int, seed: int) -> None:
    """Optimal densification (Shrivastava 2017), in place, for the valid rows.

    Empty bin ``j`` of a row takes the original value of the first non-empty bin among the
    probes ``t = 1, 2, ...``; probes are evaluated in blocks so that rows with very few
    shingles (many empty bins, long probe sequences) cost a few numpy calls, not hundreds.
    """
    empty = sig == EMPTY
    empty[~valid] = False
    rows, cols = np.nonzero(empty)
    if len(rows) == 0:
        return
    filled = ~empty
    filled[~valid] = False
    original = sig.copy()
    key = np.uint64(splitmix64(seed ^ _OPH_SALT))
    nn = np.uint64(n)
    pending = np.arange(len(rows))
    t0 = 1
    block = 8
    while len(pending) and t0 <= _MAX_PROBES:
        ts = np.arange(t0, min(t0 + block, _MAX_PROBES + 1), dtype=np.uint64)
        r, c = rows[pending], cols[pending]
        probe = fmix64(key ^ ((c.astype(np.uint64)[:, None] << _S32) | ts[None, :]))
        cand = (((probe >> _S32) * nn) >> _S32).astype(np.int64)
        hit = filled[r[:, None], cand]
        found = hit.any(axis=1)
        first = np.argmax(hit, axis=1)
        ok = np.flatnonzero(found)
        sig[r[ok], c[ok]] = original[r[ok], cand[ok, first[ok]]]
        pending = pending[~found]
        t0 += len(ts)
        block = min(block * 4, 1024)
    # After _MAX_PROBES probes (rows with a handful of shingles and thousands of bins), the
    # empty bin takes the next non-empty bin to its right, circularly: deterministic, and part
    # of the format.
    for i in pending.tolist():
        row, col = int(rows[i]), int(cols[i])
        nz = np.flatnonzero(filled[row])
        after = nz[nz > col]
        sig[row, col] = original[row, int(after[0] if len(after) else nz[0])]


def _classic(sh_hashes: UInt64Array, bounds: Int64Array, n: int, seed: int) -> UInt64Array:
    n_docs = len(bounds) - 1
    keys = np.array([splitmix64(seed + 1 + i) for i in range(n)], dtype=np.uint64)
    sig = np.full((n_docs, n), EMPTY, dtype=np.uint64)
    counts = np.diff(bounds)
    nonempty = np.flatnonzero(counts > 0)
    if len(nonempty) == 0:
        return sig
    # rows of at most ~8 M values at a time
    step = max(1, (1 << 23) // n)
    doc = np.repeat(np.arange(n_docs, dtype=np.int64), counts)
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


def _datasketch_from_sha(sha32: np.ndarray, bounds: Int64Array, n: int, seed: int) -> UInt64Array:
    a, b = _datasketch_perms(n, seed)
    n_docs = len(bounds) - 1
    sig = np.full((n_docs, n), EMPTY, dtype=np.uint64)
    counts = np.diff(bounds)
    if len(sha32) == 0:
        return sig
    hv = _fmix32(sha32.astype(np.uint32))
    doc = np.repeat(np.arange(n_docs, dtype=np.int64), counts)
    step = max(1, (1 << 23) // n)
    for lo in range(0, len(hv), step):
        hi = min(lo + step, len(hv))
        vals = hv[lo:hi, None] * a[None, :] + b[None, :]
        d = doc[lo:hi]
        starts = np.flatnonzero(np.r_[True, d[1:] != d[:-1]])
        mins = np.minimum.reduceat(vals, starts, axis=0).astype(np.uint64)
        sig[d[starts]] = np.minimum(sig[d[starts]], mins)
    return sig


def _sha32(items: Iterable[bytes]) -> np.ndarray:
    return np.fromiter(
        (int.from_bytes(hashlib.sha1(x).digest()[:4], "little") for x in items), dtype=np.uint32
    )


def _shingle_bytes(sh: ShingleBatch) -> list[bytes]:
    """The shingle bytes of a batch, in order (one Python string per shingle)."""
    tokens = sh.tokens
    first, last, _ = _shingle_layout(tokens, sh.params.k)
    text = _to_str(tokens.cps)
    words = [text[s:e] for s, e in zip(tokens.tok_start.tolist(), tokens.tok_end.tolist())]
    return [
        " ".join(words[a : b + 1]).encode("utf-8") for a, b in zip(first.tolist(), last.tolist())
    ]


class MinHasher:
    """Computes MinHash signatures of texts or of ready-made shingles.

    Parameters
    ----------
    n_hashes : int, default 128
        Signature length.
    k : int, default 5
        Tokens per shingle.
    tokenizer : str or Tokenizer, default "auto"
    seed : int, default 0
    scheme : {"oph", "classic", "datasketch"}, default "oph"
        See :mod:`textprint.minhash`.

    Notes
    -----
    The fraction of equal positions in two signatures estimates the Jaccard similarity of the
    two shingle sets (Broder 1997); its standard error is about ``sqrt(J (1 - J) / n_hashes)``.

    Examples
    --------
    >>> import textprint as tp
    >>> mh = tp.MinHasher(n_hashes=128, seed=0)
    >>> a = mh.signature("天下大势，分久必合，合久必分。周末七国分争，并入于秦。")
    >>> b = mh.signature("天下大勢，分久必合，合久必分。周末七國分爭，併入於秦。")
    >>> a.dtype, a.shape, tp.jaccard(a, b)
    (dtype('uint64'), (128,), 1.0)
    >>> sigs = mh.signatures(["to be or not to be, that is the question", "", "刀"])
    >>> sigs.valid.tolist()
    [True, False, True]
    """

    def __init__(
        self,
        n_hashes: int = 128,
        *,
        k: int = 5,
        tokenizer: str | Tokenizer = "auto",
        seed: int = 0,
        scheme: str = "oph",
    ) -> None:
        self.n_hashes = check_int(n_hashes, "n_hashes", low=1, high=1 << 16)
        self.k = check_int(k, "k", low=1)
        self.seed = check_int(seed, "seed", low=0, high=MASK64)
        self.scheme: str = check_choice(scheme, "scheme", SCHEMES)
        if scheme == "datasketch" and self.seed >= 1 << 32:
            raise InvalidParameterError(
                f"seed={seed} must be an int in [0, 4294967295] with scheme='datasketch' "
                "(numpy.random.RandomState's seed range, as in datasketch)"
            )
        self.tokenizer = resolve_tokenizer(tokenizer)
        self.params = SignatureParams(
            n_hashes=self.n_hashes,
            k=self.k,
            seed=self.seed,
            scheme=self.scheme,
            tokenizer=tokenizer_identity(self.tokenizer),
        )

    def __repr__(self) -> str:
        p = self.params
        return (
            f"MinHasher(n_hashes={p.n_hashes}, k={p.k}, tokenizer={p.tokenizer!r}, "
            f"seed={p.seed}, scheme={p.scheme!r})"
        )

    def _from_hashes(self, hashes: UInt64Array, bounds: Int64Array) -> UInt64Array:
        if self.scheme == "oph":
            return _oph(hashes, bounds, self.n_hashes, self.seed)
        return _classic(hashes, bounds, self.n_hashes, self.seed)

    def _batch(self, texts: list[str]) -> UInt64Array:
        sh = shingle_batch(texts, k=self.k, seed=self.seed, tokenizer=self.tokenizer)
        if self.scheme == "datasketch":
            return _datasketch_from_sha(
                _sha32(_shingle_bytes(sh)), sh.bounds, self.n_hashes, self.seed
            )
        return self._from_hashes(sh.hashes, sh.bounds)

    def signatures(self, texts: Iterable[str], *, chunk_chars: int = CHUNK_CHARS) -> Signatures:
        """Signatures of many texts: the fast batch path.

        Parameters
        ----------
        texts : iterable of str
        chunk_chars : int, default 1048576
            Texts are processed in chunks of about this many characters, which bounds memory.

        Returns
        -------
        Signatures
            ``.values`` of shape (n_texts, n_hashes), dtype=uint64; ``.valid`` (False: no
            shingle); ``.params``.
        """
        docs = check_texts(texts)
        chunk_chars = check_int(chunk_chars, "chunk_chars", low=1)
        parts: list[UInt64Array] = []
        i = 0
        while i < len(docs):
            j, size = i, 0
            while j < len(docs) and (j == i or size + len(docs[j]) <= chunk_chars):
                size += len(docs[j])
                j += 1
            parts.append(self._batch(docs[i:j]))
            i = j
        values = np.concatenate(parts) if parts else np.zeros((0, self.n_hashes), dtype=np.uint64)
        valid = ~(values == EMPTY).all(axis=1) if len(values) else np.zeros(0, dtype=bool)
        values.flags.writeable = False
        valid.flags.writeable = False
        return Signatures(values=values, valid=valid, params=self.params)

    def signature(self, data: str | Iterable[bytes]) -> UInt64Array:
        """Signature of one text, or of an iterable of ready-made bytes shingles.

        Parameters
        ----------
        data : str or iterable of bytes
            A text (normalized, tokenized and shingled here), or shingles hashed as given
            (``mh.signature(text) == mh.signature(tp.shingles(text, k=mh.k))``).

        Returns
        -------
        ndarray of shape (n_hashes,), dtype=uint64

        Raises
        ------
        TooShortError
            If there is no shingle (an empty text, or an empty iterable).
        InvalidInputError
            If `data` is bytes (pass a list of shingles) or an item is not bytes.
        """
        if isinstance(data, str):
            sig: UInt64Array = self._batch([data])[0]
            if sig[0] == EMPTY:
                raise TooShortError(
                    f"the text has no token, so no shingle (k={self.k}): nothing to sign; "
                    "use signatures() to get a valid=False row instead"
                )
            return sig
        if isinstance(data, (bytes, bytearray)):
            raise InvalidInputError(
                "data must be a str or an iterable of bytes shingles, not bare bytes; "
                "wrap one shingle in a list"
            )
        if not isinstance(data, Iterable):
            raise InvalidInputError(
                f"data must be a str or an iterable of bytes, got {type(data).__name__}"
            )
        items = list(data)
        if not items:
            raise TooShortError("no shingle given: nothing to sign")
        bounds = np.array([0, len(items)], dtype=np.int64)
        if self.scheme == "datasketch":
            for i, x in enumerate(items):
                if not isinstance(x, (bytes, bytearray, memoryview)):
                    raise InvalidInputError(f"shingle {i} must be bytes, got {type(x).__name__}")
            sig = _datasketch_from_sha(_sha32(items), bounds, self.n_hashes, self.seed)[0]
            return sig
        sig = self._from_hashes(hash_bytes(items, seed=self.seed), bounds)[0]
        return sig


def jaccard(sig_a: Any, sig_b: Any) -> float | np.ndarray:
    """Estimate the Jaccard similarity of two signatures (the fraction of equal positions).

    Parameters
    ----------
    sig_a, sig_b : ndarray of shape (n_hashes,) or (n, n_hashes), dtype=uint64, or Signatures
        Two signatures from the same MinHasher settings; 2-D inputs are compared row by row.
        Signatures objects have their parameters checked.

    Returns
    -------
    float, or ndarray of shape (n,), dtype=float64
        A too-short (all ``2**64 - 1``) signature has similarity 0 with everything.

    Raises
    ------
    InvalidParameterError
        If the shapes differ or the dtype is not an unsigned 64-bit integer.
    IncompatibleError
        If two Signatures were made with different parameters.
    """
    if isinstance(sig_a, Signatures) and isinstance(sig_b, Signatures):
        sig_a.params.check_compatible(sig_b.params)
    a = np.asarray(sig_a)
    b = np.asarray(sig_b)
    for name, x in (("sig_a", a), ("sig_b", b)):
        if x.dtype != np.uint64:
            raise InvalidParameterError(f"{name} must have dtype uint64, got {x.dtype}")
        if x.ndim not in (1, 2) or x.shape[-1] == 0:
            raise InvalidParameterError(
                f"{name} must have shape (n_hashes,) or (n, n_hashes), got {x.shape}"
            )
    if a.shape != b.shape:
        raise InvalidParameterError(
            f"signatures must have the same shape, got {a.shape} and {b.shape} "
            "(made with different n_hashes?)"
        )
    equal = (a == b) & (a != EMPTY)
    est = equal.mean(axis=-1)
    if a.ndim == 1:
        return float(est)
    return np.asarray(est, dtype=np.float64)
