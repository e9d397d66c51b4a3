"""scheme="datasketch" against datasketch itself, and the LeanMinHash export."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import textprint as tp
from textprint.errors import IncompatibleError, InvalidParameterError
from textprint.integrations.datasketch import to_lean_minhash, to_lean_minhashes

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

import reference_hashing as ref  # noqa: E402

datasketch = pytest.importorskip("datasketch")

N_HASHES = [1, 16, 100, 128, 256]
SEEDS = [0, 1, 42, 123456789, ref.MASK32]


def _ds_minhash(shingles: list[bytes], n: int, seed: int) -> object:
    m = datasketch.MinHash(num_perm=n, seed=seed)
    m.update_batch(shingles)
    return m


def _ds_values(shingles: list[bytes], n: int, seed: int) -> list[int]:
    m = _ds_minhash(shingles, n, seed)
    assert m.hashvalues.dtype == np.uint32  # type: ignore[attr-defined]
    return m.hashvalues.tolist()  # type: ignore[attr-defined,no-any-return]


def test_datasketch_defaults_are_affine32() -> None:
    m = datasketch.MinHash(num_perm=4, seed=1)
    assert m.scheme == "affine32"
    a, b = ref.datasketch_perms_reference(4, 1)
    assert m.permutations[0].tolist() == a
    assert m.permutations[1].tolist() == b


@settings(deadline=None, derandomize=True, max_examples=80)
@given(
    st.lists(st.binary(max_size=24), min_size=1, max_size=30),
    st.sampled_from(N_HASHES),
    st.one_of(st.sampled_from(SEEDS), st.integers(0, ref.MASK32)),
)
def test_shingle_signature_equals_datasketch(items: list[bytes], n: int, seed: int) -> None:
    sig = tp.MinHasher(n_hashes=n, seed=seed, scheme="datasketch").signature(items)
    assert sig.dtype == np.uint64
    want = _ds_values(items, n, seed)
    assert sig.tolist() == want
    assert sig.tolist() == ref.datasketch_reference(items, n, seed)


@settings(deadline=None, derandomize=True, max_examples=40)
@given(ref.text_strategy(50), st.sampled_from(N_HASHES), st.sampled_from(SEEDS), st.integers(1, 6))
def test_text_signature_equals_datasketch(text: str, n: int, seed: int, k: int) -> None:
    shingles = tp.shingles(text, k=k)
    if not shingles:
        return
    sig = tp.MinHasher(n_hashes=n, k=k, seed=seed, scheme="datasketch").signature(text)
    assert sig.tolist() == _ds_values(shingles, n, seed)


@pytest.mark.parametrize("seed", [0, 7, ref.MASK32])
@pytest.mark.parametrize("n", [100, 128])
def test_fixture_signatures_equal_datasketch(n: int, seed: int) -> None:
    names = ["zh_novel", "zh_novel_2", "ja_aozora", "ja_aozora_old", "en_gutenberg"]
    texts = [ref.fixture(name) for name in names] + ["", "天"]
    mh = tp.MinHasher(n_hashes=n, seed=seed, scheme="datasketch")
    sigs = mh.signatures(texts)
    assert sigs.valid.tolist() == [True] * 5 + [False, True]
    for text, row, ok in zip(texts, sigs.values, sigs.valid):
        if ok:
            want = _ds_values(tp.shingles(text, k=5), n, seed)
            assert row.tolist() == want
            assert mh.signature(text).tolist() == want


def test_lean_minhash_is_accepted_by_datasketch() -> None:
    text = ref.fixture("zh_novel")[:500]
    shingles = tp.shingles(text, k=5)
    mh = tp.MinHasher(n_hashes=128, seed=3, scheme="datasketch")
    lean = to_lean_minhash(mh.signature(text), seed=3)
    assert isinstance(lean, datasketch.LeanMinHash)
    assert len(lean) == 128
    assert lean.seed == 3
    assert lean.scheme == "affine32"
    m = _ds_minhash(shingles, 128, 3)
    assert lean.jaccard(m) == 1.0
    assert m.jaccard(lean) == 1.0  # type: ignore[attr-defined]
    assert lean == datasketch.LeanMinHash(m)
    # round trip through datasketch's own serialization
    buf = bytearray(lean.bytesize())
    lean.serialize(buf)
    assert datasketch.LeanMinHash.deserialize(buf) == lean
    # a near copy estimates close to the truth
    other = text[:450] + "再添几句不相干的话，看看估计值如何。"
    lean2 = to_lean_minhash(mh.signature(other), seed=3)
    assert 0.5 < lean.jaccard(lean2) < 1.0


def test_lean_minhashes_in_datasketch_lsh() -> None:
    texts = [ref.fixture(n)[:600] for n in ("zh_novel", "zh_novel_2", "ja_aozora", "en_gutenberg")]
    texts.append("")  # too short: exported as None
    mh = tp.MinHasher(n_hashes=128, seed=1, scheme="datasketch")
    sigs = mh.signatures(texts)
    leans = to_lean_minhashes(sigs)
    assert len(leans) == len(texts)
    assert leans[-1] is None
    lsh = datasketch.MinHashLSH(threshold=0.5, num_perm=128)
    for i, lean in enumerate(leans):
        if lean is not None:
            lsh.insert(f"doc{i}", lean)
    # query with a datasketch MinHash of a lightly edited copy of document 1
    edited = texts[1].replace("刘备", "刘玄德", 1)
    query = _ds_minhash(tp.shingles(edited, k=5), 128, 1)
    assert lsh.query(query) == ["doc1"]
    assert sorted(lsh.query(leans[2])) == ["doc2"]


@pytest.mark.parametrize("scheme", ["oph", "classic"])
def test_other_schemes_are_refused(scheme: str) -> None:
    mh = tp.MinHasher(n_hashes=64, seed=0, scheme=scheme)
    sigs = mh.signatures(["天下大势，分久必合，合久必分"])
    with pytest.raises(IncompatibleError, match=f"scheme={scheme!r}") as err:
        to_lean_minhashes(sigs)
    assert isinstance(err.value, ValueError)
    with pytest.raises(IncompatibleError, match="datasketch"):
        to_lean_minhash(sigs.values[0], seed=0)


def test_to_lean_minhash_bad_input() -> None:
    with pytest.raises(InvalidParameterError, match="uint64"):
        to_lean_minhash(np.zeros(8, dtype=np.uint32), seed=0)
    with pytest.raises(InvalidParameterError, match="shape"):
        to_lean_minhash(np.zeros((2, 8), dtype=np.uint64), seed=0)
    empty = tp.MinHasher(n_hashes=8, scheme="datasketch").signatures([""]).values[0]
    with pytest.raises(InvalidParameterError, match="too-short"):
        to_lean_minhash(empty, seed=0)


def test_datasketch_scheme_seed_range() -> None:
    with pytest.raises(InvalidParameterError, match=f"seed={1 << 32}"):
        tp.MinHasher(seed=1 << 32, scheme="datasketch")
    # datasketch itself cannot draw permutations from such a seed
    with pytest.raises(ValueError, match=r"[Ss]eed"):
        datasketch.MinHash(num_perm=4, seed=1 << 32)
