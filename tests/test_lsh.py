"""Tests of textprint.lsh: banding parameters, band keys and queries (the index as a store,
its keys and its file format: ``tests/test_lsh_index.py``).

Oracles: datasketch's own ``_optimal_param`` for the banding, a pure-Python band key (Python
ints, ``tests/reference_hashing.py``'s fmix64), and a brute-force scan over every indexed
signature restricted to the pairs that share a band (what LSH promises: no false negative
among candidates, every estimate exact over the full signature).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from datasketch.lsh import _optimal_param
from hypothesis import given, settings
from hypothesis import strategies as st

import textprint as tp
from _lsh_cases import fixture_documents
from reference_hashing import EMPTY, MASK64, R, fmix64
from textprint import _plain
from textprint.lsh import LSHIndex, Match, band_keys, optimal_bands

FIXTURES = Path(__file__).parent / "fixtures"
THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 20)]
U64 = np.uint64


# ---------------------------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------------------------


def band_keys_reference(row: list[int], bands: int, rows: int) -> list[int]:
    """key = fmix64(Horner over the band's values with R, plus rows), all mod 2**64."""
    keys = []
    for b in range(bands):
        acc = 0
        for t in range(rows):
            acc = (acc * R + int(row[b * rows + t])) & MASK64
        keys.append(fmix64((acc + rows) & MASK64))
    return keys


def estimate(a: list[int], b: list[int]) -> float:
    return sum(x == y and x != EMPTY for x, y in zip(a, b)) / len(a)


def query_reference(
    indexed: list[tuple[Any, list[int]]],
    query: list[int],
    bands: int,
    rows: int,
    threshold: float,
    top_k: int | None = None,
) -> list[tuple[Any, float]]:
    """Brute force over every indexed signature, restricted to those sharing a band."""
    if all(v == EMPTY for v in query):
        return []
    qk = band_keys_reference(query, bands, rows)
    found = []
    for pos, (key, row) in enumerate(indexed):
        if all(v == EMPTY for v in row):
            continue
        if not any(x == y for x, y in zip(qk, band_keys_reference(row, bands, rows))):
            continue
        est = estimate(query, row)
        if est >= threshold - 1e-12:  # the index's documented rounding tolerance
            found.append((pos, key, est))
    found.sort(key=lambda t: (-t[2], t[0]))
    out = [(key, est) for _, key, est in found]
    return out if top_k is None else out[:top_k]


def as_pairs(matches: list[Match]) -> list[tuple[Any, float]]:
    for m in matches:
        assert isinstance(m, Match)
        assert type(m.estimated_jaccard) is float
    return [(m.key, m.estimated_jaccard) for m in matches]


@functools.cache
def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def rows_of(values: np.ndarray) -> list[list[int]]:
    return [[int(v) for v in row] for row in np.asarray(values)]


#: How `LSHIndex.query` and `query_many` find candidates: the numpy path, the compiled loops
#: of :mod:`textprint._plain` (numba; skipped without it), or the same loops run as Python.
QUERY_LOOPS = pytest.mark.parametrize("loops", ["numpy", "compiled", "python"])


@contextlib.contextmanager
def query_loops(loops: str) -> Iterator[None]:
    """`LSHIndex.query` and `query_many` on the path `loops` (see `QUERY_LOOPS`)."""
    compiled = _plain.compiled(wait=True)
    if loops == "compiled":
        if compiled is None:
            pytest.skip("numba is not installed: the compiled loops are off")
        yield
        return
    _plain._KERNELS.funcs = None if loops == "numpy" else _plain.python_loops()
    try:
        with np.errstate(over="ignore"):  # numpy scalars warn where the compiled loops wrap
            yield
    finally:
        _plain._KERNELS.funcs = compiled


# ---------------------------------------------------------------------------------------------
# optimal_bands against datasketch
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_hashes", [16, 32, 64, 128, 256])
def test_optimal_bands_equals_datasketch(n_hashes: int) -> None:
    for threshold in THRESHOLDS:
        expected = _optimal_param(threshold, n_hashes, 0.5, 0.5)
        assert optimal_bands(threshold, n_hashes=n_hashes) == expected, threshold


@pytest.mark.parametrize("weights", [(0.2, 0.8), (0.8, 0.2), (0.05, 0.95), (0.3, 0.7), (1.0, 1.0)])
@pytest.mark.parametrize("n_hashes", [32, 64])
def test_optimal_bands_with_weights_equals_datasketch(
    weights: tuple[float, float], n_hashes: int
) -> None:
    fp, fn = weights
    for threshold in (0.1, 0.3, 0.5, 0.7, 0.8, 0.9):
        expected = _optimal_param(threshold, n_hashes, fp, fn)
        got = optimal_bands(
            threshold, n_hashes=n_hashes, false_positive_weight=fp, false_negative_weight=fn
        )
        assert got == expected, threshold


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.8, 0.95])
def test_for_threshold_uses_optimal_bands(threshold: float) -> None:
    index = LSHIndex.for_threshold(
        threshold, n_hashes=64, false_positive_weight=0.3, false_negative_weight=0.7
    )
    assert (index.bands, index.rows) == optimal_bands(
        threshold, n_hashes=64, false_positive_weight=0.3, false_negative_weight=0.7
    )
    assert index.threshold == threshold
    default = LSHIndex(threshold, n_hashes=64)
    assert (default.bands, default.rows) == optimal_bands(threshold, n_hashes=64)
    assert default.bands * default.rows <= 64


@pytest.mark.parametrize("bad", [0, 0.0, -0.1, 1.01, float("nan"), "0.5", None, True])
def test_bad_threshold_raises(bad: object) -> None:
    with pytest.raises(tp.InvalidParameterError, match="threshold"):
        optimal_bands(bad)  # type: ignore[arg-type]
    with pytest.raises(tp.InvalidParameterError, match="threshold"):
        LSHIndex(bad)  # type: ignore[arg-type]
    with pytest.raises(tp.InvalidParameterError, match="threshold"):
        LSHIndex.for_threshold(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_hashes": 0},
        {"n_hashes": 1.5},
        {"bands": 4},
        {"rows": 4},
        {"bands": 0, "rows": 4},
        {"bands": 4, "rows": 0},
        {"bands": 9, "rows": 15},  # 135 > 128
        {"n_hashes": 16, "bands": 5, "rows": 4},
    ],
)
def test_bad_banding_raises(kwargs: dict[str, Any]) -> None:
    with pytest.raises(tp.InvalidParameterError):
        LSHIndex(0.5, **kwargs)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0, "0.5", None])
def test_bad_weights_raise_invalid_parameter(bad: object) -> None:
    with pytest.raises(tp.InvalidParameterError, match="weight"):
        optimal_bands(0.5, false_positive_weight=bad)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# band_keys against the pure-Python reference
# ---------------------------------------------------------------------------------------------


@settings(deadline=None, derandomize=True, max_examples=80)
@given(
    bands=st.integers(1, 8),
    rows=st.integers(1, 8),
    extra=st.integers(0, 5),
    n=st.integers(0, 5),
    seed=st.integers(0, 2**32 - 1),
    special=st.floats(0.0, 0.5),
)
def test_band_keys_match_reference(
    bands: int, rows: int, extra: int, n: int, seed: int, special: float
) -> None:
    width = bands * rows + extra  # values beyond bands*rows are not banded
    rng = np.random.default_rng(seed)
    values = rng.integers(0, MASK64, (n, width), dtype=np.uint64, endpoint=True)
    edge = rng.random((n, width)) < special  # values at the edges of the range
    values[edge] = rng.choice(np.array([0, 1, MASK64 - 1, MASK64], dtype=np.uint64), edge.sum())
    got = band_keys(values, bands, rows)
    assert got.dtype == np.uint64
    assert got.shape == (n, bands)
    assert got.tolist() == [band_keys_reference(r, bands, rows) for r in rows_of(values)]


def test_band_keys_golden_small() -> None:
    # one band of one row: fmix64(v + 1); of two rows: fmix64(v0 * R + v1 + 2)
    v = np.array([[5, 7]], dtype=np.uint64)
    assert band_keys(v, 2, 1).tolist() == [[fmix64(6), fmix64(8)]]
    assert band_keys(v, 1, 2).tolist() == [[fmix64((5 * R + 7 + 2) & MASK64)]]


# ---------------------------------------------------------------------------------------------
# Queries against the brute-force scan
# ---------------------------------------------------------------------------------------------


@st.composite
def signature_sets(draw: st.DrawFn) -> tuple[np.ndarray, list[Any], float]:
    """Signatures made as noisy copies of a few prototypes (so bands collide), some too short."""
    n_hashes = draw(st.sampled_from([8, 16, 32, 64]))
    n = draw(st.integers(1, 30))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_proto = draw(st.integers(1, 4))
    noise = draw(st.sampled_from([0.0, 0.05, 0.15, 0.3, 0.6]))
    alphabet = draw(st.sampled_from([3, 1 << 20, 1 << 62]))  # tiny alphabets: chance equalities
    protos = rng.integers(0, alphabet, (n_proto, n_hashes), dtype=np.uint64)
    values = protos[rng.integers(0, n_proto, n)]
    flip = rng.random((n, n_hashes)) < noise
    values[flip] = rng.integers(0, alphabet, int(flip.sum()), dtype=np.uint64)
    # EMPTY slots inside valid rows (equal EMPTY slots are no evidence) and all-EMPTY rows
    values[rng.random((n, n_hashes)) < draw(st.sampled_from([0.0, 0.0, 0.1]))] = EMPTY
    invalid = rng.random(n) < draw(st.sampled_from([0.0, 0.2]))
    values[invalid] = EMPTY
    keys: list[Any] = [f"doc-{i}" if i % 3 else i * 7 - 20 for i in range(n)]
    threshold = draw(st.sampled_from([0.2, 0.5, 0.7, 0.8, 0.9, 1.0]))
    return values, keys, threshold


@QUERY_LOOPS
@settings(deadline=None, derandomize=True, max_examples=120)
@given(sets=signature_sets(), n_queries=st.integers(1, 6), seed=st.integers(0, 1000))
def test_query_equals_brute_force_over_candidates(
    loops: str, sets: tuple[np.ndarray, list[Any], float], n_queries: int, seed: int
) -> None:
    with query_loops(loops):
        query_equals_brute_force_over_candidates(sets, n_queries, seed)


def query_equals_brute_force_over_candidates(
    sets: tuple[np.ndarray, list[Any], float], n_queries: int, seed: int
) -> None:
    values, keys, threshold = sets
    n_hashes = values.shape[1]
    index = LSHIndex(threshold, n_hashes=n_hashes)
    # add in two calls, to exercise appending
    half = len(keys) // 2
    index.add(keys[:half], values[:half])
    index.add(keys[half:], values[half:])
    rng = np.random.default_rng(seed)
    queries = values[rng.integers(0, len(values), n_queries)].copy()
    flip = rng.random(queries.shape) < 0.1
    queries[flip] = rng.integers(0, 3, int(flip.sum()), dtype=np.uint64)
    indexed = list(zip(keys, rows_of(values)))
    b, r = index.bands, index.rows
    many = index.query_many(queries)
    all_candidates = index.query_many(queries, threshold=0)
    top2 = index.query_many(queries, top_k=2)
    for qi, q in enumerate(rows_of(queries)):
        assert as_pairs(many[qi]) == query_reference(indexed, q, b, r, threshold)
        assert as_pairs(index.query(queries[qi])) == as_pairs(many[qi])
        assert as_pairs(index.query(queries[qi], threshold=0)) == as_pairs(all_candidates[qi])
        assert as_pairs(index.query(queries[qi], top_k=2)) == as_pairs(top2[qi])
        assert as_pairs(all_candidates[qi]) == query_reference(indexed, q, b, r, 0.0)
        assert as_pairs(top2[qi]) == query_reference(indexed, q, b, r, threshold, top_k=2)
        for m in many[qi]:
            assert m.estimated_jaccard >= threshold - 1e-12


@QUERY_LOOPS
@settings(deadline=None, derandomize=True, max_examples=40)
@given(sets=signature_sets(), data=st.data())
def test_query_after_removals_equals_brute_force(
    loops: str, sets: tuple[np.ndarray, list[Any], float], data: st.DataObject
) -> None:
    with query_loops(loops):
        query_after_removals_equals_brute_force(sets, data)


def query_after_removals_equals_brute_force(
    sets: tuple[np.ndarray, list[Any], float], data: st.DataObject
) -> None:
    values, keys, threshold = sets
    index = LSHIndex(threshold, n_hashes=values.shape[1])
    index.add(keys, values)
    gone = data.draw(st.sets(st.sampled_from(range(len(keys)))), label="removed")
    index.remove([keys[i] for i in sorted(gone)])
    kept = [i for i in range(len(keys)) if i not in gone]
    assert index.keys() == [keys[i] for i in kept]
    assert len(index) == len(kept)
    indexed = [(keys[i], [int(v) for v in values[i]]) for i in kept]
    for q in rows_of(values):
        expected = query_reference(indexed, q, index.bands, index.rows, 0.0)
        assert as_pairs(index.query(np.array(q, dtype=np.uint64), threshold=0)) == expected


@QUERY_LOOPS
def test_query_after_compaction_equals_brute_force(loops: str) -> None:
    with query_loops(loops):
        query_after_compaction_equals_brute_force()


def query_after_compaction_equals_brute_force() -> None:
    # more than 1024 rows with most removed: the index compacts itself
    rng = np.random.default_rng(7)
    protos = rng.integers(0, 1 << 62, (40, 32), dtype=np.uint64)
    values = protos[rng.integers(0, 40, 1500)]
    flip = rng.random(values.shape) < 0.1
    values[flip] = rng.integers(0, 1 << 62, int(flip.sum()), dtype=np.uint64)
    keys: list[Any] = [i if i % 2 else f"k{i}" for i in range(1500)]
    index = LSHIndex(0.7, n_hashes=32)
    index.add(keys, values)
    gone = set(rng.choice(1500, 1000, replace=False).tolist())
    index.remove([keys[i] for i in sorted(gone)])
    assert len(index) == 500
    kept = [i for i in range(1500) if i not in gone]
    indexed = [(keys[i], [int(v) for v in values[i]]) for i in kept]
    for qi in range(0, 1500, 50):
        q = [int(v) for v in values[qi]]
        assert as_pairs(index.query(values[qi])) == query_reference(
            indexed, q, index.bands, index.rows, 0.7
        )
    # a removed key can be added again
    index.add([keys[min(gone)]], values[min(gone)][None, :])
    assert keys[min(gone)] in index


def fmix64_inverse(y: int) -> int:
    """The x with fmix64(x) == y (each step of the finalizer is a bijection)."""
    y ^= y >> 33
    y = (y * pow(0xC4CEB9FE1A85EC53, -1, 1 << 64)) & MASK64
    y ^= y >> 33
    y = (y * pow(0xFF51AFD7ED558CCD, -1, 1 << 64)) & MASK64
    y ^= y >> 33
    return y


def test_fmix64_inverse() -> None:
    for x in (0, 1, 12345, MASK64, 0xDEADBEEF << 20):
        assert fmix64_inverse(fmix64(x)) == x


@st.composite
def near_colliding_sets(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Index rows and queries whose band keys share their high bits and differ in low bits.

    With rows=1 a band key is ``fmix64(v + 1)``, so a value is chosen for the key it makes.
    The index sorts band keys packed with a row number in their low bits, and matches queries
    on the remaining high bits before comparing full keys: these sets put many distinct keys
    into one truncated key, on both sides, with more queries than rows and fewer.
    """
    n = draw(st.integers(1, 70), label="rows")
    n_queries = draw(st.integers(1, 140), label="queries")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    low_bits = draw(st.integers(0, 10))
    highs = [int(h) << 16 for h in rng.integers(0, 1 << 48, draw(st.integers(1, 3)))]

    def make(m: int) -> np.ndarray:
        keys = [
            [
                highs[int(rng.integers(len(highs)))] | int(rng.integers(1 << low_bits))
                for _ in range(4)
            ]
            for _ in range(m)
        ]
        banded = [[(fmix64_inverse(k) - 1) & MASK64 for k in row] for row in keys]
        extra = rng.integers(0, 3, (m, 2)).tolist()  # two unbanded values: varied estimates
        return np.array([b + e for b, e in zip(banded, extra)], dtype=np.uint64)

    return make(n), make(n_queries)


@QUERY_LOOPS
@settings(deadline=None, derandomize=True, max_examples=40)
@given(sets=near_colliding_sets(), threshold=st.sampled_from([0.0, 0.5, 0.8]))
def test_query_many_with_near_colliding_band_keys_equals_brute_force(
    loops: str, sets: tuple[np.ndarray, np.ndarray], threshold: float
) -> None:
    with query_loops(loops):
        query_many_with_near_colliding_band_keys_equals_brute_force(sets, threshold)


def query_many_with_near_colliding_band_keys_equals_brute_force(
    sets: tuple[np.ndarray, np.ndarray], threshold: float
) -> None:
    values, queries = sets
    keys: list[Any] = [i if i % 2 else f"k{i}" for i in range(len(values))]
    index = LSHIndex(0.8, n_hashes=6, bands=4, rows=1)
    index.add(keys, values)
    indexed = list(zip(keys, rows_of(values)))
    got = index.query_many(queries, threshold=threshold)
    for qi, q in enumerate(rows_of(queries)):
        assert as_pairs(got[qi]) == query_reference(indexed, q, 4, 1, threshold)
        assert as_pairs(index.query(queries[qi], threshold=threshold)) == as_pairs(got[qi])
    # the self-join: every row finds itself first or tied for first
    for i, matches in enumerate(index.query_many(values, threshold=threshold)):
        assert as_pairs(matches) == query_reference(indexed, rows_of(values)[i], 4, 1, threshold)


def numpy_query_reference(
    values: np.ndarray,
    keys: list[Any],
    alive: np.ndarray,
    query: np.ndarray,
    bands: int,
    rows: int,
    threshold: float,
) -> list[tuple[Any, float]]:
    """The brute-force scan of `query_reference`, vectorized over rows (for larger sets)."""
    if bool((query == EMPTY).all()):
        return []
    valid = ~(values == EMPTY).all(axis=1)
    shared = (band_keys(values, bands, rows) == band_keys(query[None, :], bands, rows)).any(axis=1)
    cand = np.flatnonzero(alive & valid & shared)
    est = ((values[cand] == query) & (query != EMPTY)).sum(axis=1) / values.shape[1]
    found = sorted(
        (-e, int(i)) for i, e in zip(cand.tolist(), est.tolist()) if e >= threshold - 1e-12
    )
    return [(keys[i], -e) for e, i in found]


@pytest.mark.parametrize("loops", ["numpy", "compiled"])  # (as Python: minutes)
def test_query_many_equals_brute_force_at_scale(loops: str) -> None:
    with query_loops(loops):
        query_many_equals_brute_force_at_scale()


def query_many_equals_brute_force_at_scale() -> None:
    # thousands of rows: row numbers take 11-12 bits of the packed band keys; near duplicates
    # share several bands; some rows removed, some all EMPTY, some slots EMPTY
    rng = np.random.default_rng(11)
    n, n_hashes = 2000, 32
    protos = rng.integers(0, 1 << 62, (250, n_hashes), dtype=np.uint64)
    values = protos[rng.integers(0, 250, n)]
    flip = rng.random(values.shape) < 0.08
    values[flip] = rng.integers(0, 1 << 62, int(flip.sum()), dtype=np.uint64)
    values[rng.random(values.shape) < 0.01] = EMPTY
    values[rng.random(n) < 0.01] = EMPTY
    keys: list[Any] = [f"d{i}" if i % 2 else i for i in range(n)]
    index = LSHIndex(0.6, n_hashes=n_hashes)
    index.add(keys[:700], values[:700])
    index.add(keys[700:], values[700:])
    index.remove(keys[::9])
    alive = np.ones(n, dtype=bool)
    alive[::9] = False
    edited = values[rng.integers(0, n, 600)].copy()
    flip = rng.random(edited.shape) < 0.1
    edited[flip] = rng.integers(0, 1 << 62, int(flip.sum()), dtype=np.uint64)
    queries = np.concatenate([values, edited])
    for threshold in (0.0, 0.6):
        got = index.query_many(queries, threshold=threshold)
        top = index.query_many(queries, threshold=threshold, top_k=3)
        assert len(got) == len(queries)
        for qi in range(len(queries)):
            expected = numpy_query_reference(
                values, keys, alive, queries[qi], index.bands, index.rows, threshold
            )
            assert as_pairs(got[qi]) == expected
            assert as_pairs(top[qi]) == expected[:3]


def test_optimal_bands_cached_results_and_validation() -> None:
    # the derivation is cached per validated arguments; validation still runs on every call
    first = optimal_bands(0.55, n_hashes=96)
    assert optimal_bands(0.55, n_hashes=96) == first
    assert optimal_bands(0.55, n_hashes=96, false_positive_weight=0.5) == first
    with pytest.raises(tp.InvalidParameterError, match="threshold"):
        optimal_bands(1.5)
    assert optimal_bands(0.55, n_hashes=96) == _optimal_param(0.55, 96, 0.5, 0.5)


def test_identical_signature_is_found_with_estimate_one() -> None:
    mh = tp.MinHasher(128)
    texts = [fixture("zh_novel.txt"), fixture("ja_aozora.txt"), fixture("en_gutenberg.txt")]
    index = LSHIndex.for_threshold(0.8)
    index.add(["zh", "ja", "en"], mh.signatures(texts))
    for key, text in zip(["zh", "ja", "en"], texts):
        assert index.query(mh.signature(text)) == [Match(key, 1.0)]


# ---------------------------------------------------------------------------------------------
# Recall on fixture-derived near-duplicates
# ---------------------------------------------------------------------------------------------


def exact_jaccard(a: str, b: str) -> float:
    sa, sb = set(tp.shingles(a)), set(tp.shingles(b))
    return len(sa & sb) / len(sa | sb)


def test_recall_of_near_duplicates_on_fixture_documents() -> None:
    docs, origin = fixture_documents()
    mh = tp.MinHasher(128)
    sigs = mh.signatures(docs)
    assert sigs.valid.all()
    index = LSHIndex.for_threshold(0.8)
    index.add(list(range(len(docs))), sigs)
    results = index.query_many(sigs)
    shingle_sets = [set(tp.shingles(d)) for d in docs]
    wanted = found = 0
    for i in range(len(docs)):
        got = {m.key for m in results[i]}
        assert i in got
        for j in range(len(docs)):
            if j == i or origin[j] != origin[i]:
                continue
            inter = len(shingle_sets[i] & shingle_sets[j])
            if inter / (len(shingle_sets[i]) + len(shingle_sets[j]) - inter) >= 0.9:
                wanted += 1
                found += j in got
        # nothing unrelated is ever returned
        assert all(origin[int(k)] == origin[i] for k in got)
    assert wanted >= 50
    assert found / wanted >= 0.98, (found, wanted)
