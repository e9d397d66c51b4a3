"""Tests of textprint.lsh: banding parameters, band keys, the LSH index and its file format.

Oracles: datasketch's own ``_optimal_param`` for the banding, a pure-Python band key (Python
ints, ``tests/reference_hashing.py``'s fmix64), and a brute-force scan over every indexed
signature restricted to the pairs that share a band (what LSH promises: no false negative
among candidates, every estimate exact over the full signature).
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import pickle
import random
import struct
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from datasketch.lsh import _optimal_param
from hypothesis import given, settings
from hypothesis import strategies as st

import textprint as tp
from helpers import edit, fixture_chunks
from reference_hashing import EMPTY, MASK64, R, fmix64
from textprint import _plain
from textprint._index_file import FORMAT_VERSION
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


@functools.cache
def fixture_documents() -> tuple[list[str], list[int]]:
    """Chunks of every fixture and poem, each followed by 0-3 lightly edited copies.

    Returns the documents and, per document, the index of the chunk it comes from.
    """
    rng = random.Random("lsh-docs")
    chunks = fixture_chunks(FIXTURES, size=300, size_en=1200, min_poem=60)
    docs, origin = [], []
    for c, chunk in enumerate(chunks):
        docs.append(chunk)
        origin.append(c)
        for _ in range(rng.randint(0, 3)):
            docs.append(edit(chunk, rng, rng.randint(1, 2)))
            origin.append(c)
    return docs, origin


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


# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------


def small_values(n: int, n_hashes: int = 16, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 1 << 62, (n, n_hashes), dtype=np.uint64)


def test_str_and_int_keys() -> None:
    values = small_values(5)
    index = LSHIndex(0.5, n_hashes=16)
    keys: list[Any] = ["a", 1, "1", -5, "作品"]
    index.add(keys, values)
    index.add([np.int64(2**40)], small_values(1, seed=1))  # numpy ints become int
    stored = index.keys()
    assert stored == [*keys, 2**40]
    assert all(type(k) is int for k in stored if not isinstance(k, str))
    for key, row in zip(keys, values):
        assert key in index
        top = index.query(row)[0]
        assert top == Match(key, 1.0)
        assert type(top.key) is type(key)
    assert 2**40 in index


@pytest.mark.parametrize("keys", [["a", "a"], [1, 1], ["x", "y", "x"]])
def test_duplicate_keys_within_a_call_raise(keys: list[Any]) -> None:
    index = LSHIndex(0.5, n_hashes=16)
    with pytest.raises(tp.InvalidParameterError, match="twice"):
        index.add(keys, small_values(len(keys)))
    assert len(index) == 0
    assert index.keys() == []


@pytest.mark.parametrize("dup", ["a", 3])
def test_duplicate_keys_across_calls_raise_and_change_nothing(dup: Any) -> None:
    index = LSHIndex(0.5, n_hashes=16)
    index.add(["a", 3], small_values(2))
    with pytest.raises(tp.InvalidParameterError, match="already"):
        index.add(["new", dup], small_values(2, seed=1))
    assert index.keys() == ["a", 3]
    assert "new" not in index
    assert index.query(small_values(2, seed=1)[0], threshold=0) == []


@pytest.mark.parametrize("bare", ["abc", "a", b"abc"])
def test_bare_str_keys_raise_invalid_input(bare: Any) -> None:
    index = LSHIndex(0.5, n_hashes=16)
    with pytest.raises(tp.InvalidInputError, match="bare"):
        index.add(bare, small_values(len(bare)))
    index.add(["a"], small_values(1))
    with pytest.raises(tp.InvalidInputError):
        index.remove(bare)
    assert "a" in index


@pytest.mark.parametrize("bad", [[1.5], [None], [True], [("a",)], [b"x"]])
def test_keys_of_other_types_raise_invalid_input(bad: list[Any]) -> None:
    with pytest.raises(tp.InvalidInputError):
        LSHIndex(0.5, n_hashes=16).add(bad, small_values(1))


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (np.array("x"), tp.InvalidInputError),  # a 0-d array is not a sequence
        (np.array(3), tp.InvalidInputError),
        (np.zeros((2, 4), dtype=np.uint64), tp.InvalidParameterError),  # one key per row
        (np.array([["a"], ["b"]]), tp.InvalidParameterError),
    ],
)
def test_keys_that_are_not_one_dimensional_raise(bad: Any, error: type[Exception]) -> None:
    index = LSHIndex(0.5, n_hashes=16)
    with pytest.raises(error, match="keys must be"):
        index.add(bad, small_values(2))
    index.add(["a", 1], small_values(2))
    with pytest.raises(error, match="keys must be"):
        index.remove(bad)
    assert index.keys() == ["a", 1]


@pytest.mark.parametrize("bad", [[[1]], [None], [1.5], [("a",)], ["a", {}], [True]])
def test_removing_keys_of_other_types_raises_invalid_input(bad: list[Any]) -> None:
    index = LSHIndex(0.5, n_hashes=16)
    index.add(["a", 1], small_values(2))
    with pytest.raises(tp.InvalidInputError, match="must be a str or an int") as err:
        index.remove(bad)
    assert isinstance(err.value, TypeError)
    assert index.keys() == ["a", 1]
    index.remove(np.array([1]))  # type: ignore[arg-type]  # numpy integers are int keys
    assert index.keys() == ["a"]


def test_key_count_must_match_signatures() -> None:
    with pytest.raises(tp.InvalidParameterError):
        LSHIndex(0.5, n_hashes=16).add(["a", "b"], small_values(3))


def test_remove_then_query_no_longer_returns_it() -> None:
    values = small_values(4)
    index = LSHIndex(0.5, n_hashes=16)
    index.add(["a", "b", 3, 4], values)
    index.remove(["b", 3])
    assert index.query(values[1], threshold=0) == []
    assert index.query(values[2], threshold=0) == []
    assert index.query(values[0]) == [Match("a", 1.0)]
    assert "b" not in index
    assert index.keys() == ["a", 4]
    index.add(["b"], values[1][None, :])  # a removed key may be added again
    assert index.query(values[1]) == [Match("b", 1.0)]


@pytest.mark.parametrize("missing", [["zz"], [99], ["a", "zz"], ["1"]])
def test_removing_unknown_key_raises_and_removes_nothing(missing: list[Any]) -> None:
    index = LSHIndex(0.5, n_hashes=16)
    index.add(["a", 1], small_values(2))
    with pytest.raises(tp.UnknownWorkError) as info:
        index.remove(missing)
    assert isinstance(info.value, KeyError)
    assert index.keys() == ["a", 1]
    index.remove(["a"])
    with pytest.raises(tp.UnknownWorkError):
        index.remove(["a"])  # already removed


def test_key_errors_name_the_key_as_the_registry_does() -> None:
    """LSHIndex and Registry raise the same classes for a key given twice or missing, each
    carrying the key (.key, and .work_id for the Registry's name of it)."""
    index = LSHIndex(0.5, n_hashes=16)
    index.add(["a", 3], small_values(2))
    calls: tuple[tuple[Callable[[], None], str | int], ...] = (
        (lambda: index.add([3], small_values(1)), 3),
        (lambda: index.add(["b", "b"], small_values(2)), "b"),
        (lambda: index.remove(["a", "a"]), "a"),
    )
    for call, key in calls:
        with pytest.raises(tp.DuplicateWorkError) as dup:
            call()
        # (the attributes first: mypy cannot type the intersection the isinstance checks make)
        assert (dup.value.key, dup.value.work_id) == (key, key)
        assert isinstance(dup.value, tp.InvalidParameterError)
        assert isinstance(dup.value, KeyError)
    with pytest.raises(tp.UnknownWorkError) as missing:
        index.remove(["zz"])
    assert (missing.value.key, missing.value.work_id) == ("zz", "zz")
    reg = tp.Registry(n_hashes=16)
    reg.register(7, "天下大势，分久必合，合久必分。周末七国分争，并入于秦。")
    with pytest.raises(tp.DuplicateWorkError) as dup:
        reg.register(7, "另一个文本，另一个文本，另一个文本。")
    assert dup.value.work_id == 7
    with pytest.raises(tp.UnknownWorkError) as missing:
        reg.get("nope")
    assert missing.value.key == "nope"


def test_remove_with_a_repeated_key_raises_before_changing_anything() -> None:
    index = LSHIndex(0.5, n_hashes=16)
    index.add(["x", "y"], small_values(2))
    with pytest.raises(tp.InvalidParameterError):
        index.remove(["x", "x"])
    assert index.keys() == ["x", "y"]


# ---------------------------------------------------------------------------------------------
# Too-short rows, incompatible signatures, shapes
# ---------------------------------------------------------------------------------------------


def test_invalid_rows_never_match_anything() -> None:
    mh = tp.MinHasher(64)
    texts = ["", "天下大势，分久必合，合久必分。", " \n\t", "to be or not to be", "。，"]
    sigs = mh.signatures(texts)
    assert sigs.valid.tolist() == [False, True, False, True, False]
    index = LSHIndex(0.5, n_hashes=64)
    index.add(["e1", "zh", "e2", "en", "e3"], sigs)
    assert len(index) == 5
    assert "e1" in index
    for i, valid in enumerate(sigs.valid.tolist()):
        got = [m.key for m in index.query(sigs.values[i], threshold=0)]
        if valid:
            assert got == [["e1", "zh", "e2", "en", "e3"][i]]
        else:
            assert got == []  # not even the other invalid rows, nor itself
    many = index.query_many(sigs, threshold=0)
    assert [len(x) for x in many] == [0, 1, 0, 1, 0]


def test_signatures_with_other_params_raise_incompatible() -> None:
    texts = [fixture("zh_novel.txt"), fixture("en_gutenberg.txt")]
    base = tp.MinHasher(64, k=5, seed=0).signatures(texts)
    index = LSHIndex(0.5, n_hashes=64)
    index.add(["zh", "en"], base)
    for other in (
        tp.MinHasher(64, k=7),
        tp.MinHasher(64, seed=1),
        tp.MinHasher(64, scheme="classic"),
    ):
        sigs = other.signatures(texts)
        with pytest.raises(tp.IncompatibleError):
            index.add(["zh2", "en2"], sigs)
        with pytest.raises(tp.IncompatibleError):
            index.query_many(sigs)
    assert index.keys() == ["zh", "en"]
    assert issubclass(tp.IncompatibleError, ValueError)
    # the same settings are fine
    index.add(["zh3"], tp.MinHasher(64, k=5, seed=0).signatures(texts[:1]))
    assert [m.key for m in index.query_many(base)[0]] == ["zh", "zh3"]


def test_raw_arrays_then_signatures_adopt_params() -> None:
    texts = [fixture("ja_aozora.txt")]
    sigs = tp.MinHasher(32).signatures(texts)
    index = LSHIndex(0.5, n_hashes=32)
    index.add(["raw"], np.array(sigs.values))
    assert index.params is None
    index.add(["sig"], sigs)
    assert index.params == sigs.params
    with pytest.raises(tp.IncompatibleError):
        index.add(["k7"], tp.MinHasher(32, k=7).signatures(texts))


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((2, 8), dtype=np.uint64),  # wrong n_hashes
        np.zeros((2, 16), dtype=np.int64),  # wrong dtype
        np.zeros((2, 16), dtype=np.float64),
        np.zeros((2, 2, 16), dtype=np.uint64),
    ],
)
def test_bad_signature_shapes_raise_invalid_parameter(bad: np.ndarray) -> None:
    index = LSHIndex(0.5, n_hashes=16)
    with pytest.raises(tp.InvalidParameterError):
        index.add(["a", "b"], bad)
    with pytest.raises(tp.InvalidParameterError):
        index.query_many(bad)
    with pytest.raises(tp.InvalidParameterError):
        index.query(np.zeros((1, 16), dtype=np.uint64))  # query takes one signature


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_bad_query_threshold_raises(bad: float) -> None:
    index = LSHIndex(0.5, n_hashes=16)
    with pytest.raises(tp.InvalidParameterError):
        index.query(small_values(1)[0], threshold=bad)


def test_empty_index_returns_nothing() -> None:
    index = LSHIndex(0.5, n_hashes=16)
    assert index.query(small_values(1)[0], threshold=0) == []
    assert index.query_many(small_values(3), threshold=0) == [[], [], []]


# ---------------------------------------------------------------------------------------------
# save / load
# ---------------------------------------------------------------------------------------------


def built_index() -> tuple[LSHIndex, np.ndarray, list[Any]]:
    docs, _ = fixture_documents()
    sigs = tp.MinHasher(64, seed=3).signatures([*docs[:60], ""])
    keys: list[Any] = [f"文書{i}" if i % 2 else i - 30 for i in range(60)]
    keys += ["12"]  # a str that looks like an int stays a str (and 12 is also a key)
    index = LSHIndex.for_threshold(0.7, n_hashes=64)
    index.add(keys, sigs)
    index.remove([keys[5], keys[6]])
    return index, np.asarray(sigs), keys


def test_save_load_round_trip(tmp_path: Path) -> None:
    index, values, _ = built_index()
    path = tmp_path / "index.tpl"
    index.save(path)
    loaded = LSHIndex.load(str(path))
    loaded_keys, keys = loaded.keys(), index.keys()
    assert loaded_keys == keys
    assert [type(k) for k in loaded_keys] == [type(k) for k in keys]
    assert (loaded.threshold, loaded.n_hashes, loaded.bands, loaded.rows) == (
        index.threshold,
        index.n_hashes,
        index.bands,
        index.rows,
    )
    assert loaded.params == index.params
    assert loaded.query_many(values) == index.query_many(values)
    assert loaded.query_many(values, threshold=0) == index.query_many(values, threshold=0)
    assert loaded.query(values[-1], threshold=0) == []  # the too-short row stays inert
    with pytest.raises(tp.IncompatibleError):  # the params were saved
        loaded.add(["x"], tp.MinHasher(64, seed=4).signatures(["some text here"]))


def test_save_load_keys_with_lone_surrogates(tmp_path: Path) -> None:
    # add accepts any str, so save must write any str: lone surrogates (either half, and a
    # high-low pair kept as two code points) round-trip exactly, distinct from the character
    # the pair stands for
    keys: list[Any] = ["\ud800", "a\udfffb", "\ud83d\ude00", "\U0001f600", "作品", "", 7, -3]
    index = LSHIndex(0.5, n_hashes=16)
    index.add(keys, small_values(len(keys)))
    path = tmp_path / "index.tpl"
    index.save(path)
    loaded = LSHIndex.load(path)
    loaded_keys = loaded.keys()
    assert loaded_keys == keys
    assert [type(k) for k in loaded_keys] == [type(k) for k in keys]
    assert "\ud83d\ude00" in loaded
    assert loaded.query(small_values(len(keys))[2]) == [Match("\ud83d\ude00", 1.0)]


def test_save_load_empty_index(tmp_path: Path) -> None:
    path = tmp_path / "empty.tpl"
    LSHIndex(0.9, n_hashes=32).save(path)
    loaded = LSHIndex.load(path)
    assert len(loaded) == 0
    assert (loaded.threshold, loaded.n_hashes) == (0.9, 32)


def write_zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)


def saved_index(tmp_path: Path, name: str = "good.tpl") -> Path:
    path = tmp_path / name
    built_index()[0].save(path)
    return path


def saved_members(tmp_path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(saved_index(tmp_path)) as z:
        return {name: z.read(name) for name in z.namelist()}


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=True)
    return buf.getvalue()


def test_load_garbage_raises_format_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.tpl"
    for data in (b"", b"not an index at all", bytes(range(256)) * 10, b"PK\x03\x04garbage"):
        path.write_bytes(data)
        with pytest.raises(tp.FormatError):
            LSHIndex.load(path)


def test_load_truncated_file_raises_format_error(tmp_path: Path) -> None:
    raw = saved_index(tmp_path).read_bytes()
    bad = tmp_path / "truncated.tpl"
    for cut in (1, 10, len(raw) // 3, len(raw) // 2, len(raw) - 30, len(raw) - 1):
        bad.write_bytes(raw[:cut])
        with pytest.raises(tp.FormatError):
            LSHIndex.load(bad)


def test_load_zip_without_header_raises_format_error(tmp_path: Path) -> None:
    members = saved_members(tmp_path)
    del members["header.json"]
    path = tmp_path / "noheader.tpl"
    write_zip(path, members)
    with pytest.raises(tp.FormatError):
        LSHIndex.load(path)
    write_zip(path, {"readme.txt": b"hello"})
    with pytest.raises(tp.FormatError):
        LSHIndex.load(path)


@pytest.mark.parametrize(
    "change",
    [
        {"version": FORMAT_VERSION + 1},
        {"version": 99},
        {"format": "something-else"},
        {"format": None},
        {"version": "1"},
        {"n_hashes": 32},  # does not fit the stored signatures
        {"threshold": 1.5},
        {"bands": 1000},
        {"params": {"unknown": 1}},
    ],
)
def test_load_bad_header_raises_format_error(tmp_path: Path, change: dict[str, Any]) -> None:
    members = saved_members(tmp_path)
    header = json.loads(members["header.json"])
    header.update(change)
    members["header.json"] = json.dumps(header).encode()
    path = tmp_path / "bad.tpl"
    write_zip(path, members)
    with pytest.raises(tp.FormatError) as info:
        LSHIndex.load(path)
    if "version" in change and isinstance(change["version"], int):
        assert "upgrade" in str(info.value)
        assert (info.value.found, info.value.supported) == (change["version"], FORMAT_VERSION)
    elif "version" in change:  # a version that is not one: what this textprint reads only
        assert (info.value.found, info.value.supported) == (None, FORMAT_VERSION)
    else:
        assert (info.value.found, info.value.supported) == (None, None)


def test_concurrent_saves_to_one_path_both_succeed(tmp_path: Path) -> None:
    """Each save writes its own temporary file (a fixed name made two concurrent saves
    collide): both succeed, the file is one of the two, and no temporary file is left."""
    index, _, _ = built_index()
    other = LSHIndex.for_threshold(0.7, n_hashes=64)
    path = tmp_path / "shared.tpl"
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def save(ix: LSHIndex) -> None:
        barrier.wait()
        try:
            for _ in range(5):
                ix.save(path)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(ix,)) for ix in [index, other] * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(LSHIndex.load(path)) in (len(index), 0)
    assert [p.name for p in tmp_path.iterdir()] == ["shared.tpl"]


def test_a_failed_save_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = saved_index(tmp_path)
    before = path.read_bytes()

    def full_disk(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", full_disk)
    with pytest.raises(tp.StorageError, match="No space left"):
        built_index()[0].save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


@pytest.mark.parametrize("header", [b"[1, 2]", b"{not json", b"\xff\xfe", b"null"])
def test_load_header_that_is_not_an_object_raises_format_error(
    tmp_path: Path, header: bytes
) -> None:
    members = saved_members(tmp_path)
    members["header.json"] = header
    path = tmp_path / "bad.tpl"
    write_zip(path, members)
    with pytest.raises(tp.FormatError):
        LSHIndex.load(path)


class _Marker:
    """Unpickling this creates the marker file: proof that a pickle was executed."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return (open, (str(self.path), "w"))


def test_load_pickle_raises_format_error_without_executing_it(tmp_path: Path) -> None:
    # the payload really would run: unpickling a twin creates its marker
    twin = tmp_path / "twin-marker"
    pickle.loads(pickle.dumps(_Marker(twin))).close()
    assert twin.exists()

    marker = tmp_path / "marker"
    path = tmp_path / "index.pkl"
    path.write_bytes(pickle.dumps({"index": _Marker(marker)}))
    with pytest.raises(tp.FormatError):
        LSHIndex.load(path)
    # a pickle hidden inside a well-formed archive, as an object array and as a member
    members = saved_members(tmp_path)
    members["values.npy"] = npy(np.array([_Marker(marker)], dtype=object))
    write_zip(path, members)
    with pytest.raises(tp.FormatError):
        LSHIndex.load(path)
    members["key_blob.npy"] = pickle.dumps(_Marker(marker))
    write_zip(path, members)
    with pytest.raises(tp.FormatError):
        LSHIndex.load(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("name", "array"),
    [
        ("values", np.zeros((3, 64), dtype=np.int64)),
        ("values", np.zeros(64, dtype=np.uint64)),
        ("values", np.zeros((2, 64), dtype=np.uint64)),  # fewer rows than keys
        ("key_is_str", np.ones(3, dtype=bool)),
        ("key_offsets", np.array([0.5, 1.5])),
    ],
)
def test_load_arrays_that_do_not_fit_raise_format_error(
    tmp_path: Path, name: str, array: np.ndarray
) -> None:
    members = saved_members(tmp_path)
    members[f"{name}.npy"] = npy(array)
    path = tmp_path / "bad.tpl"
    write_zip(path, members)
    with pytest.raises(tp.FormatError):
        LSHIndex.load(path)


def test_load_short_key_offsets_raises_format_error(tmp_path: Path) -> None:
    members = saved_members(tmp_path)
    offsets = np.load(io.BytesIO(members["key_offsets.npy"]))
    members["key_offsets.npy"] = npy(offsets[:-5])
    path = tmp_path / "bad.tpl"
    write_zip(path, members)
    with pytest.raises(tp.FormatError):
        LSHIndex.load(path)


def test_load_corrupt_compressed_member_raises_format_error(tmp_path: Path) -> None:
    path = saved_index(tmp_path, "index.tpl")
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("values.npy")
    assert info.compress_type == zipfile.ZIP_DEFLATED
    name_len, extra_len = struct.unpack(
        "<HH", raw[info.header_offset + 26 : info.header_offset + 30]
    )
    start = info.header_offset + 30 + name_len + extra_len
    raw[start : start + info.compress_size] = b"\xff" * info.compress_size
    path.write_bytes(bytes(raw))
    with pytest.raises(tp.FormatError):
        LSHIndex.load(path)


def test_unreadable_path_raises_storage_error(tmp_path: Path) -> None:
    with pytest.raises(tp.StorageError):
        LSHIndex.load(tmp_path / "does-not-exist.tpl")
    with pytest.raises(tp.StorageError):
        LSHIndex.load(tmp_path)  # a directory
    with pytest.raises(tp.StorageError) as info:
        LSHIndex(0.5, n_hashes=16).save(tmp_path / "no" / "such" / "dir" / "index.tpl")
    assert isinstance(info.value, OSError)
