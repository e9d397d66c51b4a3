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

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from ._kernels import EMPTY, agreements, batches, gather_ranges
from ._params import HashParams
from ._plain import compiled, sign
from ._results import SizedResult
from ._schemes import (
    MAX_PROBES,
    NO_KEYS,
    classic,
    classic_keys,
    datasketch_from_sha,
    oph_bins,
    oph_key,
    sha32,
    shingle_bytes,
)

# (under the names the tests of the compiled loops and bench_minhash.py import them by)
from ._schemes import densify as _densify
from ._schemes import oph as _oph
from ._shingles import ShingleBatch, hash_shingles, shingle_batch
from ._text_runs import kana_decides_ja
from ._tokens import TokenBatch, piece_cuts, tokenize_batch
from ._typing import BoolArray, Int64Array, UInt32Array, UInt64Array
from ._validation import SCHEMES, check_param, iter_texts, iterates
from .errors import InvalidInputError, InvalidParameterError, TooShortError
from .hashing import hash_bytes
from .tokenization import Tokenizer, resolve_tokenizer, tokenizer_identity

__all__ = ["EMPTY", "SCHEMES", "MinHasher", "SignatureParams", "Signatures", "jaccard"]


#: Characters processed at once by `signatures`: bounds memory and keeps the temporaries small
#: enough to be reused by the allocator (larger chunks re-fault them, smaller ones pay numpy's
#: per-call overhead; docs/benchmarks/minhash.md times the sizes, memory.md sizes them).
CHUNK_CHARS = 1 << 16


@dataclass(frozen=True, slots=True, kw_only=True)
class SignatureParams(HashParams, what="these signatures"):
    """Everything that produced a signature: the shingle hash's settings, the signature's
    length and its scheme (``check_compatible`` compares two)."""

    n_hashes: int
    scheme: str


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Signatures(SizedResult, size="values"):
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

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if copy is False and dtype is not None and np.dtype(dtype) != self.values.dtype:
            raise ValueError("converting signatures to another dtype needs a copy")
        if copy or (dtype is not None and np.dtype(dtype) != self.values.dtype):
            return np.array(self.values, dtype=dtype, copy=True)
        return self.values


def _stream_shingles(
    cps: UInt32Array, starts: Int64Array, ends: Int64Array, k: int, seed: int, identity: str
) -> ShingleBatch:
    """Shingle hashes of one stream of tokens ``cps[starts[i]:ends[i]]`` (one document)."""
    n_tok = len(starts)
    nowhere = np.broadcast_to(np.int64(0), (n_tok,))  # original spans: not needed to hash
    tokens = TokenBatch(
        cps=cps,
        tok_start=starts,
        tok_end=ends,
        bounds=np.array([0, n_tok], dtype=np.int64),
        lang=("",),
        identity=identity,
        starts=nowhere,
        ends=nowhere,
    )
    return hash_shingles(tokens, k=k, seed=seed)


def _last_tokens(
    cps: UInt32Array, starts: Int64Array, ends: Int64Array, m: int
) -> tuple[UInt32Array, Int64Array]:
    """The code points and lengths of the last `m` tokens (the carry into the next piece)."""
    if m <= 0:
        return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.int64)
    s, e = starts[-m:], ends[-m:]
    idx, _ = gather_ranges(s, e)
    return cps[idx], (e - s).astype(np.int64)


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
        self.n_hashes = check_param("n_hashes", n_hashes)
        self.k = check_param("k", k)
        self.seed = check_param("seed", seed)
        self.scheme: str = check_param("scheme", scheme)
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

    def _plain_signature(self, text: str) -> UInt64Array | None:
        """The signature of a plain text by the compiled single-text path
        (:mod:`textprint._plain`), or None where the batch path answers (no numba, another
        tokenizer or scheme, a text that is not plain or has no token)."""
        if (
            self.scheme == "datasketch"
            or not isinstance(self.tokenizer, str)
            or self.tokenizer != "char"
            or len(text) > CHUNK_CHARS
        ):
            return None
        funcs = compiled()
        if funcs is None:
            return None
        return sign(
            text,
            funcs,
            k=self.k,
            seed=self.seed,
            key=oph_key(self.seed),
            max_probes=MAX_PROBES,
            keys=NO_KEYS if self.scheme == "oph" else classic_keys(self.n_hashes, self.seed),
            n_hashes=self.n_hashes,
        )

    def _from_hashes(self, hashes: UInt64Array, bounds: Int64Array) -> UInt64Array:
        if self.scheme == "oph":
            return _oph(hashes, bounds, self.n_hashes, self.seed)
        return classic(hashes, bounds, self.n_hashes, self.seed)

    def _batch(self, texts: list[str]) -> UInt64Array:
        sh = shingle_batch(texts, k=self.k, seed=self.seed, tokenizer=self.tokenizer)
        if self.scheme == "datasketch":
            return datasketch_from_sha(
                sha32(shingle_bytes(sh)), sh.bounds, self.n_hashes, self.seed
            )
        return self._from_hashes(sh.hashes, sh.bounds)

    def _minima(self, sh: ShingleBatch) -> UInt64Array:
        """Per-document minima before densification: they merge with ``np.minimum``."""
        if self.scheme == "datasketch":
            return datasketch_from_sha(
                sha32(shingle_bytes(sh)), sh.bounds, self.n_hashes, self.seed
            )
        if self.scheme == "oph":
            return oph_bins(sh.hashes, sh.bounds, self.n_hashes)
        return classic(sh.hashes, sh.bounds, self.n_hashes, self.seed)

    def _long(self, text: str, chunk_chars: int) -> UInt64Array:
        """Signature (shape (1, n_hashes)) of one text longer than `chunk_chars`, in pieces.

        The text is cut where the text layer guarantees that a piece tokenizes as it does in
        the whole text (`textprint._tokens.piece_cuts`), each piece is tokenized alone, and
        the last ``k - 1`` tokens of a piece are carried into the shingles of the next: the
        shingles, hence the minima, are exactly those of the whole text. The one
        document-wide input of normalization, the Han-only language decision, is made from the
        pieces' Han and kana counts; when a piece's own decision differs, the pieces are
        tokenized again with the whole text's.
        """
        cuts = piece_cuts(text, chunk_chars, self.tokenizer)
        if len(cuts) <= 2:  # no safe cut, or a user tokenizer: signed whole
            return self._batch([text])
        minima, counts = self._pieces(text, cuts, None)
        doc_ja = kana_decides_ja(sum(h for h, _ in counts), sum(k for _, k in counts))
        if any(h and kana_decides_ja(h, k) != doc_ja for h, k in counts):
            minima, _ = self._pieces(text, cuts, doc_ja)
        if self.scheme == "oph":
            _densify(minima, ~(minima == EMPTY).all(axis=1), self.n_hashes, self.seed)
        return minima

    def _pieces(
        self, text: str, cuts: list[int], han_only_ja: bool | None
    ) -> tuple[UInt64Array, list[tuple[int, int]]]:
        """Minima of the pieces ``text[cuts[i]:cuts[i + 1]]`` and their boundary shingles,
        each piece normalized with the Han-only decision `han_only_ja` (None: its own), and
        the (Han, kana) counts of each piece."""
        k = self.k
        decision = None if han_only_ja is None else np.array([han_only_ja])
        minima = np.full((1, self.n_hashes), EMPTY, dtype=np.uint64)
        counts: list[tuple[int, int]] = []
        carry_cps = np.zeros(0, dtype=np.uint32)
        carry_len = np.zeros(0, dtype=np.int64)
        identity = ""
        emitted = False
        for a, b in pairwise(cuts):
            tb = tokenize_batch([text[a:b]], self.tokenizer, han_only_ja=decision)
            han, kana = tb.han_kana()
            counts.append((int(han[0]), int(kana[0])))
            identity = tb.identity
            # the stream: the carried tokens, then this piece's
            c_end = np.cumsum(carry_len)
            shift = len(carry_cps)
            stream = np.concatenate([carry_cps, tb.cps])
            starts = np.concatenate([c_end - carry_len, tb.tok_start + shift])
            ends = np.concatenate([c_end, tb.tok_end + shift])
            n_tok = len(starts)
            if n_tok >= k:  # every k-token window of the stream is new (the carry has < k)
                sh = _stream_shingles(stream, starts, ends, k, self.seed, identity)
                minima = np.minimum(minima, self._minima(sh))
                emitted = True
            carry_cps, carry_len = _last_tokens(stream, starts, ends, min(k - 1, n_tok))
        if not emitted and len(carry_len):  # fewer than k tokens in all: one short shingle
            c_end = np.cumsum(carry_len)
            sh = _stream_shingles(carry_cps, c_end - carry_len, c_end, k, self.seed, identity)
            minima = np.minimum(minima, self._minima(sh))
        return minima, counts

    def signatures(self, texts: Iterable[str], *, chunk_chars: int = CHUNK_CHARS) -> Signatures:
        """Signatures of many texts: the fast batch path.

        Parameters
        ----------
        texts : iterable of str
            Read once, chunk by chunk: a generator is never held in memory as a whole.
        chunk_chars : int, default 65536
            Texts are processed in chunks of about this many characters, which bounds memory.
            A text longer than that is cut into pieces of about this size, signed piece by
            piece with the same result.

        Returns
        -------
        Signatures
            ``.values`` of shape (n_texts, n_hashes), dtype=uint64; ``.valid`` (False: no
            shingle); ``.params``.

        Raises
        ------
        InvalidInputError
            If `texts` is a bare str or bytes, is not iterable, or yields a non-str (raised
            when the iteration reaches it).
        InvalidParameterError
            If `chunk_chars` is not an int >= 1.
        """
        docs = iter_texts(texts)
        chunk_chars = check_param("chunk_chars", chunk_chars)
        parts: list[UInt64Array] = []
        for batch in batches(docs, chunk_chars):
            # a text longer than a chunk is a batch of its own, signed in pieces
            long = len(batch[0]) > chunk_chars
            parts.append(self._long(batch[0], chunk_chars) if long else self._batch(batch))
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
            plain = self._plain_signature(data)
            if plain is not None:
                return plain
            long = len(data) > CHUNK_CHARS
            sig: UInt64Array = (self._long(data, CHUNK_CHARS) if long else self._batch([data]))[0]
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
        if not iterates(data):
            what = "a 0-d array" if isinstance(data, np.ndarray) else type(data).__name__
            raise InvalidInputError(f"data must be a str or an iterable of bytes, got {what}")
        items = list(data)
        if not items:
            raise TooShortError("no shingle given: nothing to sign")
        bounds = np.array([0, len(items)], dtype=np.int64)
        if self.scheme == "datasketch":
            for i, x in enumerate(items):
                if not isinstance(x, (bytes, bytearray, memoryview)):
                    raise InvalidInputError(f"shingle {i} must be bytes, got {type(x).__name__}")
            sig = datasketch_from_sha(sha32(items), bounds, self.n_hashes, self.seed)[0]
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
        If the shapes differ, the dtype is not an unsigned 64-bit integer, or an input is not an
        array at all (ragged nested lists).
    IncompatibleError
        If two Signatures were made with different parameters.
    """
    if isinstance(sig_a, Signatures) and isinstance(sig_b, Signatures):
        sig_a.params.check_compatible(sig_b.params)
    a = _signature_array(sig_a, "sig_a")
    b = _signature_array(sig_b, "sig_b")
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
    est = agreements(a, b) / a.shape[-1]
    if a.ndim == 1:
        return float(est)
    return np.asarray(est, dtype=np.float64)


def _signature_array(sig: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(sig)
    except (ValueError, TypeError) as exc:  # ragged nested sequences, objects numpy refuses
        raise InvalidParameterError(
            f"{name} must be an array of shape (n_hashes,) or (n, n_hashes), dtype=uint64; "
            f"numpy cannot make one of it ({exc})"
        ) from exc
