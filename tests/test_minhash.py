"""MinHash: the oph/classic/datasketch kernels against the pure-Python references, text path
against bytes path, batches and chunks, too-short rows, parameters, errors and golden vectors.

The Jaccard estimate and its quality: ``tests/test_minhash_estimates.py``; long texts signed in
pieces: ``tests/test_minhash_long.py``."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import textprint as tp
from textprint import _schemes as schemes
from textprint.errors import (
    IncompatibleError,
    InvalidInputError,
    InvalidParameterError,
    TooShortError,
)
from textprint.hashing import HASH_SCHEME, fmix64, hash_bytes
from textprint.minhash import EMPTY, SCHEMES, SignatureParams, Signatures

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

import reference_hashing as ref  # noqa: E402

u64 = st.integers(min_value=0, max_value=ref.MASK64)
# values that land in few bins (ties, heavy densification), at the edges, or anywhere
hash_value = st.one_of(
    u64,
    st.integers(0, (1 << 32) - 1),  # all in bin 0
    st.sampled_from([0, 1, 1 << 32, 1 << 63, ref.MASK64 - 1, ref.MASK64]),
)
n_hashes = st.sampled_from([1, 2, 3, 7, 16, 100, 128, 257])
mh_seeds = st.one_of(st.sampled_from(ref.SEEDS), u64)
MASK32 = ref.MASK32
ds_seeds = st.one_of(st.sampled_from([0, 1, 2, 12345, MASK32]), st.integers(0, MASK32))


def _bounds(docs: list[list[int]]) -> np.ndarray:
    b = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(d) for d in docs], out=b[1:])
    return b


def _flat(docs: list[list[int]]) -> np.ndarray:
    return np.array([x for d in docs for x in d], dtype=np.uint64)


def _seed_for(scheme: str, seed: int) -> int:
    return seed & MASK32 if scheme == "datasketch" else seed


def unfmix64(y: int) -> int:
    """The inverse of fmix64 (each step is invertible modulo 2**64)."""
    y ^= y >> 33
    y = (y * pow(0xC4CEB9FE1A85EC53, -1, 1 << 64)) & ref.MASK64
    y ^= y >> 33
    y = (y * pow(0xFF51AFD7ED558CCD, -1, 1 << 64)) & ref.MASK64
    y ^= y >> 33
    return y


# ------------------------------------------------------------------------------ kernels


@settings(deadline=None, derandomize=True, max_examples=80)
@given(
    st.lists(st.lists(hash_value, max_size=30), min_size=1, max_size=4),
    st.sampled_from([1, 2, 3, 7, 16, 100, 128]),
    mh_seeds,
)
def test_oph_kernel_equals_reference(docs: list[list[int]], n: int, seed: int) -> None:
    _assert_rows(schemes.oph(_flat(docs), _bounds(docs), n, seed), docs, n, seed, ref.oph_reference)


def _assert_rows(sig: np.ndarray, docs: list[list[int]], n: int, seed: int, reference: Any) -> None:
    """`sig` holds one row per document, each the reference kernel's signature of it."""
    assert sig.dtype == np.uint64
    assert sig.shape == (len(docs), n)
    for d, hashes in enumerate(docs):
        assert sig[d].tolist() == reference(hashes, n, seed), d


@settings(deadline=None, derandomize=True, max_examples=120)
@given(st.lists(st.lists(hash_value, max_size=30), min_size=1, max_size=4), n_hashes, mh_seeds)
def test_classic_kernel_equals_reference(docs: list[list[int]], n: int, seed: int) -> None:
    sig = schemes.classic(_flat(docs), _bounds(docs), n, seed)
    _assert_rows(sig, docs, n, seed, ref.classic_reference)


@settings(deadline=None, derandomize=True, max_examples=100)
@given(
    st.lists(st.lists(st.binary(max_size=12), max_size=20), min_size=1, max_size=4),
    n_hashes,
    ds_seeds,
)
def test_datasketch_kernel_equals_reference(docs: list[list[bytes]], n: int, seed: int) -> None:
    sha = schemes.sha32([x for d in docs for x in d])
    bounds = _bounds(docs)  # type: ignore[arg-type]
    sig = schemes.datasketch_from_sha(sha, bounds, n, seed)
    assert sig.dtype == np.uint64
    for d, items in enumerate(docs):
        assert sig[d].tolist() == ref.datasketch_reference(items, n, seed), d


def test_oph_densification_fallback_equals_reference() -> None:
    # one shingle, 700 bins: a few empty bins find no filled bin in 4096 random probes and take
    # the fallback (the next filled bin to the right, cyclically)
    h = [12345678901234567]
    sig = schemes.oph(np.array(h, dtype=np.uint64), np.array([0, 1]), 700, 5)
    fallbacks: list[int] = []
    assert sig[0].tolist() == ref.oph_reference(h, 700, 5, fallbacks)
    assert len(fallbacks) == 3
    assert set(sig[0].tolist()) == set(h)


def test_large_documents_equal_reference() -> None:
    # more shingle x hash values than one processing step (2**23) of the classic kernel
    rng = np.random.default_rng(5)
    docs = [rng.integers(0, ref.MASK64, size=s, dtype=np.uint64).tolist() for s in (0, 40_000, 3)]
    bounds, flat, n = _bounds(docs), _flat(docs), 300
    classic = schemes.classic(flat, bounds, n, 3)
    keys = np.array([ref.splitmix64(3 + 1 + i) for i in range(n)], dtype=np.uint64)
    permuted = fmix64(np.array(docs[1], dtype=np.uint64)[:, None] ^ keys[None, :])
    assert classic[1].tolist() == permuted.min(axis=0).tolist()
    assert (classic[0] == EMPTY).all()
    assert classic[2].tolist() == ref.classic_reference(docs[2], n, 3)
    oph = schemes.oph(flat, bounds, n, 3)
    for d, hashes in enumerate(docs):
        assert oph[d].tolist() == ref.oph_reference(hashes, n, 3)


def test_valid_values_never_take_the_reserved_value() -> None:
    seed = 17
    # classic: a shingle hash whose first permuted value is exactly 2**64 - 1
    h = unfmix64(ref.MASK64) ^ ref.splitmix64(seed + 1)
    assert ref.fmix64(h ^ ref.splitmix64(seed + 1)) == ref.MASK64
    classic = schemes.classic(np.array([h], dtype=np.uint64), np.array([0, 1]), 4, seed)
    assert classic[0, 0] == ref.MAX_VALUE
    assert (classic != EMPTY).all()
    # oph: a shingle hash of 2**64 - 1 itself
    oph = schemes.oph(np.array([ref.MASK64], dtype=np.uint64), np.array([0, 1]), 8, seed)
    assert (oph == ref.MAX_VALUE).all()
    assert oph[0].tolist() == ref.oph_reference([ref.MASK64], 8, seed)


# ------------------------------------------------------------------------------ public paths


@settings(deadline=None, derandomize=True, max_examples=60)
@given(
    st.lists(st.binary(max_size=20), min_size=1, max_size=25),
    st.sampled_from(SCHEMES),
    st.sampled_from([1, 5, 16, 100]),
    mh_seeds,
)
def test_signature_of_shingles_equals_reference(
    items: list[bytes], scheme: str, n: int, seed: int
) -> None:
    seed = _seed_for(scheme, seed)
    sig = tp.MinHasher(n_hashes=n, seed=seed, scheme=scheme).signature(items)
    assert sig.dtype == np.uint64
    assert sig.shape == (n,)
    hashes = [ref.tp64(x, seed) for x in items]
    want = {
        "oph": lambda: ref.oph_reference(hashes, n, seed),
        "classic": lambda: ref.classic_reference(hashes, n, seed),
        "datasketch": lambda: ref.datasketch_reference(items, n, seed),
    }[scheme]()
    assert sig.tolist() == want
    assert (sig != EMPTY).all()


@settings(deadline=None, derandomize=True, max_examples=60)
@given(
    ref.text_strategy(40),
    st.sampled_from(SCHEMES),
    st.sampled_from([1, 7, 16, 100]),
    st.integers(1, 6),
    mh_seeds,
)
def test_text_path_equals_bytes_path(text: str, scheme: str, n: int, k: int, seed: int) -> None:
    mh = tp.MinHasher(n_hashes=n, k=k, seed=_seed_for(scheme, seed), scheme=scheme)
    shingles = tp.shingles(text, k=k)
    if not shingles:
        with pytest.raises(TooShortError):
            mh.signature(text)
        return
    sig = mh.signature(text)
    assert sig.tolist() == mh.signature(shingles).tolist()
    assert sig.tolist() == mh.signature(iter(shingles)).tolist()
    assert (sig != EMPTY).all()


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("name", ["zh_novel", "ja_aozora", "en_gutenberg"])
def test_text_path_equals_reference_on_fixtures(scheme: str, name: str) -> None:
    text = ref.fixture(name)
    mh = tp.MinHasher(n_hashes=100, seed=4, scheme=scheme)
    shingles = tp.shingles(text, k=5)
    hashes = hash_bytes(shingles, seed=4).tolist()
    want = {
        "oph": lambda: ref.oph_reference(hashes, 100, 4),
        "classic": lambda: ref.classic_reference(hashes, 100, 4),
        "datasketch": lambda: ref.datasketch_reference(shingles, 100, 4),
    }[scheme]()
    assert mh.signature(text).tolist() == want
    assert mh.signature(shingles).tolist() == want


@settings(deadline=None, derandomize=True, max_examples=40)
@given(
    st.lists(ref.text_strategy(30), max_size=7),
    st.sampled_from(SCHEMES),
    st.sampled_from([1, 16, 100]),
    st.integers(1, 5),
    st.integers(1, 40),
)
def test_signatures_rows_equal_signature(
    texts: list[str], scheme: str, n: int, k: int, chunk: int
) -> None:
    mh = tp.MinHasher(n_hashes=n, k=k, seed=3, scheme=scheme)
    sigs = mh.signatures(texts)
    assert isinstance(sigs, Signatures)
    assert sigs.values.dtype == np.uint64
    assert sigs.values.shape == (len(texts), n)
    assert sigs.valid.dtype == np.bool_
    assert sigs.valid.shape == (len(texts),)
    assert len(sigs) == len(texts)
    for i, text in enumerate(texts):
        has_shingles = bool(tp.shingles(text, k=k))
        assert bool(sigs.valid[i]) == has_shingles
        if has_shingles:
            assert sigs.values[i].tolist() == mh.signature(text).tolist()
            assert (sigs.values[i] != EMPTY).all()
        else:
            assert (sigs.values[i] == EMPTY).all()
    chunked = mh.signatures(texts, chunk_chars=chunk)
    assert chunked.values.tolist() == sigs.values.tolist()
    assert chunked.valid.tolist() == sigs.valid.tolist()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_signatures_of_fixtures_chunked_and_not(scheme: str) -> None:
    texts = [ref.fixture(n) for n in ("zh_novel", "ja_aozora", "en_gutenberg")]
    texts = [t[i : i + 300] for t in texts for i in range(0, 1200, 300)] + ["", "。"]
    mh = tp.MinHasher(n_hashes=64, seed=8, scheme=scheme)
    whole = mh.signatures(texts)
    for chunk in (1, 299, 1000):
        part = mh.signatures(texts, chunk_chars=chunk)
        assert np.array_equal(part.values, whole.values)
        assert np.array_equal(part.valid, whole.valid)
    assert whole.valid.tolist() == [True] * 12 + [False, False]
    assert mh.signatures([]).values.shape == (0, 64)
    assert mh.signatures(iter(texts[:2])).values.tolist() == whole.values[:2].tolist()


# ------------------------------------------------------------------------------ too short


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("data", ["", "，。！ \n\u200b", [], ()])
def test_signature_too_short(scheme: str, data: object) -> None:
    mh = tp.MinHasher(n_hashes=16, scheme=scheme)
    with pytest.raises(TooShortError) as err:
        mh.signature(data)  # type: ignore[arg-type]
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_invalid_rows_never_collide(scheme: str) -> None:
    mh = tp.MinHasher(n_hashes=32, scheme=scheme)
    sigs = mh.signatures(["", "。", "天下大势，分久必合"])
    assert sigs.valid.tolist() == [False, False, True]
    assert (sigs.values[:2] == np.uint64(ref.MASK64)).all()
    assert tp.jaccard(sigs.values[0], sigs.values[1]) == 0.0
    assert tp.jaccard(sigs.values[0], sigs.values[0]) == 0.0
    assert tp.jaccard(sigs.values[0], sigs.values[2]) == 0.0
    assert tp.jaccard(sigs.values[2], sigs.values[2]) == 1.0
    assert np.asarray(tp.jaccard(sigs.values, sigs.values)).tolist() == [0.0, 0.0, 1.0]


# ------------------------------------------------------------------------------ parameters


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"n_hashes": 0}, "n_hashes=0"),
        ({"n_hashes": -5}, "n_hashes=-5"),
        ({"n_hashes": 65537}, "n_hashes=65537"),
        ({"n_hashes": 1.5}, "n_hashes=1.5"),
        ({"n_hashes": True}, "n_hashes=True"),
        ({"n_hashes": "128"}, "n_hashes='128'"),
        ({"k": 0}, "k=0"),
        ({"k": None}, "k=None"),
        ({"seed": -1}, "seed=-1"),
        ({"seed": 1 << 64}, f"seed={1 << 64}"),
        ({"seed": 0.0}, "seed=0.0"),
        ({"seed": 1 << 32, "scheme": "datasketch"}, f"seed={1 << 32}"),
        ({"scheme": "minhash"}, "scheme='minhash'"),
        ({"scheme": None}, "scheme=None"),
        ({"scheme": "OPH"}, "scheme='OPH'"),
        ({"tokenizer": "nope"}, "tokenizer='nope'"),
    ],
)
def test_minhasher_bad_parameters(kwargs: dict[str, object], needle: str) -> None:
    with pytest.raises(InvalidParameterError) as err:
        tp.MinHasher(**kwargs)  # type: ignore[arg-type]
    assert isinstance(err.value, ValueError)
    assert needle in str(err.value)


def test_minhasher_accepts_boundary_parameters() -> None:
    assert tp.MinHasher(n_hashes=1).n_hashes == 1
    assert tp.MinHasher(n_hashes=np.int64(64)).n_hashes == 64
    assert tp.MinHasher(seed=ref.MASK64).seed == ref.MASK64
    assert tp.MinHasher(seed=MASK32, scheme="datasketch").seed == MASK32
    with pytest.raises(InvalidParameterError, match="chunk_chars=0"):
        tp.MinHasher().signatures(["a"], chunk_chars=0)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"abc", "bare bytes"),
        (bytearray(b"abc"), "bare bytes"),
        (3, "got int"),
        (None, "got NoneType"),
        (["abc"], "shingle 0 must be bytes, got str"),
        ([b"a", 1], "shingle 1 must be bytes, got int"),
    ],
)
def test_signature_bad_input(scheme: str, data: object, needle: str) -> None:
    mh = tp.MinHasher(n_hashes=8, scheme=scheme)
    with pytest.raises(InvalidInputError, match=needle) as err:
        mh.signature(data)  # type: ignore[arg-type]
    assert isinstance(err.value, TypeError)


@pytest.mark.parametrize(
    ("texts", "needle"),
    [("abc", "bare str"), (b"abc", "bare bytes"), (["a", b"b"], r"texts\[1\]"), (7, "got int")],
)
def test_signatures_bad_input(texts: object, needle: str) -> None:
    with pytest.raises(InvalidInputError, match=needle):
        tp.MinHasher(n_hashes=8).signatures(texts)  # type: ignore[arg-type]


def test_signature_params_and_repr() -> None:
    mh = tp.MinHasher(n_hashes=64, k=4, seed=9, scheme="classic")
    p = mh.params
    assert isinstance(p, SignatureParams)
    assert (p.n_hashes, p.k, p.seed, p.scheme, p.hash) == (64, 4, 9, "classic", HASH_SCHEME)
    assert p.tokenizer == tp.tokenize("天").tokenizer
    assert mh.signatures(["天下大势"]).params == p
    assert repr(mh).startswith("MinHasher(n_hashes=64, k=4, tokenizer=")
    assert "scheme='classic'" in repr(mh)
    p.check_compatible(tp.MinHasher(n_hashes=64, k=4, seed=9, scheme="classic").params)
    with pytest.raises(IncompatibleError, match="n_hashes=64 vs 128"):
        p.check_compatible(tp.MinHasher(k=4, seed=9, scheme="classic").params)
    with pytest.raises(IncompatibleError, match="SignatureParams vs FingerprintParams"):
        p.check_compatible(tp.fingerprint("天下").params)


def test_signatures_are_frozen_and_read_only() -> None:
    sigs = tp.MinHasher(n_hashes=16).signatures(["天下大势，分久必合", ""])
    with pytest.raises(dataclasses.FrozenInstanceError):
        sigs.values = np.zeros((2, 16), dtype=np.uint64)  # type: ignore[misc]
    for arr in (sigs.values, sigs.valid):
        assert not arr.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 0
    assert np.asarray(sigs) is sigs.values
    assert np.asarray(sigs, dtype=np.float64).dtype == np.float64


def test_numpy_copy_of_signatures_is_a_copy() -> None:
    # numpy's __array__ protocol: copy=True (the default of np.array) must return a new array;
    # np.asarray (copy=None) may share. Returning the frozen `values` itself breaks
    # `a = np.array(sigs); a[...] = ...` and aliases the result with the Signatures.
    sigs = tp.MinHasher(n_hashes=8).signatures(["天下大势，分久必合", "合久必分"])
    before = sigs.values.tolist()
    for arr in (np.array(sigs), np.array(sigs, copy=True)):
        assert arr.dtype == np.uint64
        assert arr.tolist() == sigs.values.tolist()
        assert not np.shares_memory(arr, sigs.values)
        arr[0, 0] = 0  # a copy is writable
    assert sigs.values.tolist() == before
    assert np.asarray(sigs) is sigs.values


def test_seed_and_scheme_change_signatures() -> None:
    text = ref.fixture("zh_novel")[:400]
    sigs = {
        (scheme, seed): tp.MinHasher(n_hashes=64, seed=seed, scheme=scheme).signature(text)
        for scheme in SCHEMES
        for seed in (0, 1)
    }
    values = [tuple(v.tolist()) for v in sigs.values()]
    assert len(set(values)) == len(values)


# ------------------------------------------------------------------------------ golden


def test_signature_golden_vectors() -> None:
    cut = ref.fixture("zh_novel")[:300]
    actual = {"fixture": "zh_novel.txt[:300]", "n_hashes": 128, "k": 5}
    for scheme in SCHEMES:
        for seed in (0, 1):
            sig = tp.MinHasher(n_hashes=128, seed=seed, scheme=scheme).signature(cut)
            actual[f"{scheme}/seed={seed}"] = sig[:16].tolist()
    expected = ref.golden("signatures.json", actual)
    assert actual == expected
    # the datasketch values are datasketch's own
    datasketch = pytest.importorskip("datasketch")
    for seed in (0, 1):
        m = datasketch.MinHash(num_perm=128, seed=seed)
        m.update_batch(tp.shingles(cut, k=5))
        assert actual[f"datasketch/seed={seed}"] == m.hashvalues[:16].tolist()


# ------------------------------------------------------------------------------ densification


def test_densification_in_slices_and_on_many_rows_equals_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Slicing the (bins x probes) matrices changes nothing; rows with one shingle and 700
    # bins need the fallback in several bins each, which now runs for all rows at once.
    rng = np.random.default_rng(11)
    sizes = (1, 3, 0, 1, 9, 1)
    docs = [rng.integers(0, ref.MASK64, size=s, dtype=np.uint64).tolist() for s in sizes]
    fallbacks: list[int] = []
    want = {
        (n, seed): [ref.oph_reference(h, n, seed, fallbacks) for h in docs]
        for n, seed in ((700, 5), (64, 2))
    }
    assert len(fallbacks) > 3
    for budget in (1, 7, 1 << 17):
        monkeypatch.setattr(schemes, "_PROBE_BUDGET", budget)
        for (n, seed), rows in want.items():
            assert schemes.oph(_flat(docs), _bounds(docs), n, seed).tolist() == rows, budget


# ------------------------------------------------------------------------------ input errors


def test_signature_of_a_zero_dimensional_array_is_an_input_error() -> None:
    with pytest.raises(InvalidInputError, match="0-d array"):
        tp.MinHasher(4).signature(np.array("x"))
    # a 1-d array of bytes shingles is an iterable of shingles
    sig = tp.MinHasher(4).signature(np.array([b"a b", b"c d"], dtype=object))
    assert sig.tolist() == tp.MinHasher(4).signature([b"a b", b"c d"]).tolist()


@pytest.mark.parametrize(
    "bad",
    [[[1], [1, 2]], [np.zeros(2, dtype=np.uint64), np.zeros(3, dtype=np.uint64)]],
)
def test_jaccard_of_ragged_input_is_a_parameter_error(bad: list[Any]) -> None:
    sig = tp.MinHasher(4).signature("天下大势，分久必合")
    for a, b in ((bad, bad), (bad, sig), (sig, bad)):
        with pytest.raises(InvalidParameterError, match=r"sig_[ab] must be an array") as err:
            tp.jaccard(a, b)
        assert isinstance(err.value, ValueError)
