"""MinHash's Jaccard estimate: ``tp.jaccard`` on arrays and Signatures, refusing signatures made
with other parameters, and its accuracy against the exact Jaccard of mutated texts."""

from __future__ import annotations

import dataclasses
import random
import sys
from pathlib import Path

import numpy as np
import pytest

import textprint as tp
from textprint.errors import IncompatibleError, InvalidParameterError
from textprint.minhash import SCHEMES

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

import reference_hashing as ref  # noqa: E402

# ------------------------------------------------------------------------------ jaccard


def test_jaccard_values_and_types() -> None:
    a = np.array([1, 2, 3, 4], dtype=np.uint64)
    b = np.array([1, 2, 0, 5], dtype=np.uint64)
    j = tp.jaccard(a, b)
    assert isinstance(j, float)
    assert j == 0.5
    two = tp.jaccard(np.stack([a, a]), np.stack([b, a]))
    assert isinstance(two, np.ndarray)
    assert two.dtype == np.float64
    assert two.tolist() == [0.5, 1.0]
    # a reserved value in one position is never a match, valid elsewhere
    e = np.array([ref.MASK64, 2, 3, 4], dtype=np.uint64)
    assert tp.jaccard(e, e) == 0.75


def test_jaccard_accepts_signatures() -> None:
    mh = tp.MinHasher(n_hashes=64)
    s1 = mh.signatures(["天下大势，分久必合，合久必分", "to be or not to be"])
    s2 = mh.signatures(["天下大勢，分久必合，合久必分", "to be or not to be, that is"])
    est = tp.jaccard(s1, s2)
    assert isinstance(est, np.ndarray)
    assert est[0] == 1.0
    assert 0.0 <= est[1] < 1.0
    assert np.asarray(tp.jaccard(s1, np.asarray(s2))).tolist() == est.tolist()


def test_jaccard_of_signatures_from_other_tokenizers() -> None:
    a = tp.MinHasher(n_hashes=16).signatures(["天下大势，分久必合"])
    other = dataclasses.replace(a.params, tokenizer="jieba-0.42.1")
    b = dataclasses.replace(a, params=other)
    with pytest.raises(IncompatibleError, match=r"tokenizer=.* vs 'jieba-0\.42\.1'"):
        tp.jaccard(a, b)
    with pytest.raises(IncompatibleError, match="hash='tp64-1' vs 'tp64-2'"):
        tp.jaccard(a, dataclasses.replace(a, params=dataclasses.replace(a.params, hash="tp64-2")))


def test_jaccard_shape_and_dtype_errors() -> None:
    a = np.zeros(16, dtype=np.uint64)
    with pytest.raises(InvalidParameterError, match=r"\(16,\) and \(32,\)") as err:
        tp.jaccard(a, np.zeros(32, dtype=np.uint64))
    assert isinstance(err.value, ValueError)
    with pytest.raises(InvalidParameterError, match="same shape"):
        tp.jaccard(np.zeros((2, 16), dtype=np.uint64), np.zeros((3, 16), dtype=np.uint64))
    with pytest.raises(InvalidParameterError, match="sig_b must have dtype uint64, got int64"):
        tp.jaccard(a, np.zeros(16, dtype=np.int64))
    with pytest.raises(InvalidParameterError, match="sig_a must have dtype uint64"):
        tp.jaccard([1, 2], a[:2])
    with pytest.raises(InvalidParameterError, match="shape"):
        tp.jaccard(np.zeros((1, 1, 4), dtype=np.uint64), np.zeros((1, 1, 4), dtype=np.uint64))
    with pytest.raises(InvalidParameterError, match="shape"):
        tp.jaccard(np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint64))


@pytest.mark.parametrize(
    ("other", "needles"),
    [
        ({"seed": 1}, ["seed=0 vs 1"]),
        ({"n_hashes": 64}, ["n_hashes=32 vs 64"]),
        ({"scheme": "classic"}, ["scheme='oph' vs 'classic'"]),
        ({"k": 4, "seed": 2}, ["k=5 vs 4", "seed=0 vs 2"]),
    ],
)
def test_jaccard_of_incompatible_signatures(other: dict[str, object], needles: list[str]) -> None:
    base = {"n_hashes": 32, "k": 5, "seed": 0, "scheme": "oph"}
    a = tp.MinHasher(**base).signatures(["天下大势，分久必合"])  # type: ignore[arg-type]
    b = tp.MinHasher(**{**base, **other}).signatures(["天下大势，分久必合"])  # type: ignore[arg-type]
    with pytest.raises(IncompatibleError) as err:
        tp.jaccard(a, b)
    assert isinstance(err.value, ValueError)
    for needle in needles:
        assert needle in str(err.value)
    with pytest.raises(IncompatibleError):
        a.params.check_compatible(b.params)


# ------------------------------------------------------------------------------ quality

MAE_SOURCES = (
    "zh_novel",
    "zh_novel_2",
    "ja_aozora",
    "ja_aozora_2",
    "en_gutenberg",
    "en_gutenberg_2",
)


def _mutate(units: list[str], vocab: list[str], rate: float, rng: random.Random) -> list[str]:
    out: list[str] = []
    for u in units:
        r = rng.random()
        if r < rate / 3:
            out.append(rng.choice(vocab))  # replace
        elif r < 2 * rate / 3:
            pass  # delete
        elif r < rate:
            out.extend([u, rng.choice(vocab)])  # insert
        else:
            out.append(u)
    return out


def _mutated_pairs(n_pairs: int, seed: int = 2024) -> list[tuple[str, str, float]]:
    """Pairs (fixture cut, mutated copy, exact Jaccard of their 5-shingle sets) with Jaccard
    spread over [0.3, 1.0]: the mutation rate cycles through bands (a mutation breaks about k
    shingles, so J ~ s / (2 - s) with s = (1 - rate)**5); pairs outside [0.3, 1] are dropped."""
    rng = random.Random(seed)
    texts = {name: ref.fixture(name) for name in MAE_SOURCES}
    rates = [(0.002, 0.012), (0.012, 0.04), (0.04, 0.08), (0.08, 0.14)]
    pairs: list[tuple[str, str, float]] = []
    attempt = 0
    while len(pairs) < n_pairs:
        low, high = rates[attempt % len(rates)]
        attempt += 1
        name = rng.choice(MAE_SOURCES)
        if name.startswith("en"):
            units = texts[name].split()
            size, sep = rng.randint(60, 140), " "
        else:
            units = [c for c in texts[name] if not c.isspace()]
            size, sep = rng.randint(120, 300), ""
        start = rng.randrange(len(units) - size)
        base = units[start : start + size]
        # one pair in 25 is an exact copy
        rate = 0.0 if attempt % 25 == 1 else rng.uniform(low, high)
        mutated = _mutate(base, units, rate, rng)
        a, b = sep.join(base), sep.join(mutated)
        sa, sb = set(tp.shingles(a)), set(tp.shingles(b))
        j = len(sa & sb) / len(sa | sb)
        if 0.3 <= j <= 1.0:
            pairs.append((a, b, j))
    return pairs


@pytest.fixture(scope="module")
def mutated_pairs() -> list[tuple[str, str, float]]:
    return _mutated_pairs(240)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_jaccard_estimate_quality(scheme: str, mutated_pairs: list[tuple[str, str, float]]) -> None:
    exact = np.array([j for _, _, j in mutated_pairs])
    assert len(exact) >= 200
    assert exact.min() < 0.35
    assert exact.max() == 1.0
    assert exact.min() >= 0.3
    mh = tp.MinHasher(n_hashes=128, seed=0, scheme=scheme)
    sa = mh.signatures([a for a, _, _ in mutated_pairs])
    sb = mh.signatures([b for _, b, _ in mutated_pairs])
    est = tp.jaccard(sa, sb)
    err = np.asarray(est) - exact
    mae = float(np.abs(err).mean())
    edited = exact < 1.0
    mae_edited = float(np.abs(err[edited]).mean())
    bias = float(err.mean())
    msg = (
        f"scheme={scheme}: MAE={mae:.4f} (edited pairs only: {mae_edited:.4f}), "
        f"bias={bias:+.4f}, max error={np.abs(err).max():.3f} over {len(exact)} pairs "
        f"({int(edited.sum())} edited) with exact Jaccard in [{exact.min():.2f}, {exact.max():.2f}]"
    )
    assert mae <= 0.04, msg
    assert mae_edited <= 0.04, msg
    assert abs(bias) <= 0.02, msg
