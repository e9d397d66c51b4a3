"""Tests of textprint.dedup, candidate_pairs and connected_components.

Oracles: a brute force over all pairs (estimated Jaccard from the full signatures at or above
the threshold, then a plain Python union-find), the same restricted to the pairs that share a
band, and a Python bucket-by-bucket rendering of the documented candidate rule.
"""

from __future__ import annotations

import dataclasses
import functools
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import textprint as tp
from helpers import edit, fixture_chunks
from reference_hashing import EMPTY, MASK64, R, fmix64
from textprint.deduplication import ALL_PAIRS_MAX, MAX_BUCKET, DedupStats
from textprint.deduplication import _candidate_pairs as candidate_pairs
from textprint.deduplication import _connected_components as connected_components
from textprint.lsh import optimal_bands

FIXTURES = Path(__file__).parent / "fixtures"


# ---------------------------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------------------------


def union_find(n: int, edges: list[tuple[int, int]]) -> list[int]:
    """Label every node with the smallest node of its component."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for u, v in edges:
        ru, rv = find(u), find(v)
        if ru != rv:
            parent[max(ru, rv)] = min(ru, rv)
    return [find(i) for i in range(n)]  # roots are the smallest members by construction


def rows_of(values: np.ndarray) -> list[list[int]]:
    return [[int(v) for v in row] for row in np.asarray(values)]


def is_valid(row: list[int]) -> bool:
    return not all(v == EMPTY for v in row)


def estimate(a: list[int], b: list[int]) -> float:
    return sum(x == y and x != EMPTY for x, y in zip(a, b)) / len(a)


def band_key(row: list[int], band: int, rows: int) -> int:
    acc = 0
    for t in range(rows):
        acc = (acc * R + row[band * rows + t]) & MASK64
    return fmix64((acc + rows) & MASK64)


def similar_pairs(values: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    rows = rows_of(values)
    return [
        (i, j)
        for i in range(len(rows))
        for j in range(i + 1, len(rows))
        if is_valid(rows[i]) and is_valid(rows[j]) and estimate(rows[i], rows[j]) >= threshold
    ]


def brute_force_dedup(values: np.ndarray, threshold: float) -> list[int]:
    """All pairs with estimated Jaccard >= threshold, then connected components."""
    return union_find(len(values), similar_pairs(values, threshold))


def sharing_a_band(values: np.ndarray, bands: int, rows: int) -> set[tuple[int, int]]:
    """Every pair of valid rows with an equal band key: the LSH candidates."""
    rs = rows_of(values)
    keys = [[band_key(r, b, rows) for b in range(bands)] if is_valid(r) else None for r in rs]
    out = set()
    for i in range(len(rs)):
        for j in range(i + 1, len(rs)):
            ki, kj = keys[i], keys[j]
            if ki is not None and kj is not None and any(x == y for x, y in zip(ki, kj)):
                out.add((i, j))
    return out


def candidate_pairs_reference(
    values: np.ndarray, bands: int, rows: int, max_bucket: int
) -> tuple[list[tuple[int, int]], int]:
    """The documented rule: per band, documents with equal keys form a bucket; a bucket larger
    than max_bucket is skipped and counted; a bucket of at most ALL_PAIRS_MAX members pairs
    every two members; a larger one pairs every member with the bucket's smallest member.
    Too-short rows are in no bucket."""
    rs = rows_of(values)
    pairs: set[tuple[int, int]] = set()
    skipped = 0
    if sum(map(is_valid, rs)) < 2:
        return [], 0
    for b in range(bands):
        buckets: dict[int, list[int]] = {}
        for i, r in enumerate(rs):
            if is_valid(r):
                buckets.setdefault(band_key(r, b, rows), []).append(i)
        for members in buckets.values():
            if len(members) > max_bucket:
                skipped += 1
                continue
            if len(members) <= ALL_PAIRS_MAX:
                pairs.update((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
            else:
                pairs.update((members[0], m) for m in members[1:])
    return sorted(pairs), skipped


def assert_smallest_member_labels(labels: np.ndarray) -> None:
    lab = labels.tolist()
    for i, label in enumerate(lab):
        assert label <= i
        assert lab[label] == label  # the label is a member of its own cluster
    firsts: dict[int, int] = {}
    for i, label in enumerate(lab):
        firsts.setdefault(label, i)
    assert all(first == label for label, first in firsts.items())


def partition(labels: Any) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for i, label in enumerate(list(labels)):
        groups.setdefault(int(label), set()).add(i)
    return {frozenset(g) for g in groups.values()}


# ---------------------------------------------------------------------------------------------
# Documents from fixtures: clear near-duplicates and unrelated texts
# ---------------------------------------------------------------------------------------------


@functools.cache
def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@functools.cache
def fixture_documents(seed: str = "dedup") -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Chunks of the fixtures and long poems, plus copies with one changed character,
    shuffled (so a cluster's smallest index is not always its original). Returns the
    documents and the chunk each comes from."""
    rng = random.Random(seed)
    # ja_aozora_old.txt is another edition of ja_aozora.txt: similar, not clearly a duplicate
    chunks = fixture_chunks(
        FIXTURES, size=400, size_en=1500, min_poem=150, skip=["ja_aozora_old.txt"]
    )
    items = []
    for c, chunk in enumerate(chunks):
        items.append((chunk, c))
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            items.append((edit(chunk, rng, 1), c))
    rng.shuffle(items)
    return tuple(t for t, _ in items), tuple(c for _, c in items)


# ---------------------------------------------------------------------------------------------
# dedup against the brute force
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("threshold", "n_hashes"), [(0.8, 128), (0.5, 128), (0.7, 64)])
def test_dedup_equals_brute_force_on_fixture_documents(threshold: float, n_hashes: int) -> None:
    docs, origin = fixture_documents()
    sigs = tp.MinHasher(n_hashes).signatures(docs)
    labels = tp.dedup(docs, threshold, n_hashes=n_hashes)
    assert isinstance(labels, np.ndarray)
    assert labels.dtype == np.int64
    assert labels.shape == (len(docs),)
    expected = brute_force_dedup(sigs.values, threshold)
    assert labels.tolist() == expected
    # why equality is expected here: every similar pair is an LSH candidate (clear duplicates)
    bands, rows = optimal_bands(threshold, n_hashes=n_hashes)
    assert set(similar_pairs(sigs.values, threshold)) <= sharing_a_band(sigs.values, bands, rows)
    # the set is what it claims: the clusters are the edited copies of each chunk
    assert partition(expected) == partition(origin)
    assert len(set(origin)) < len(docs)  # there are duplicates to find
    assert_smallest_member_labels(labels)


def test_dedup_partition_does_not_depend_on_order() -> None:
    docs, _ = fixture_documents()
    order = list(range(len(docs)))
    random.Random(5).shuffle(order)
    labels = tp.dedup(docs).tolist()
    shuffled = tp.dedup([docs[i] for i in order]).tolist()
    assert partition(labels) == {frozenset(order[i] for i in g) for g in partition(shuffled)}


@pytest.mark.parametrize("seed", range(3))
def test_dedup_on_small_sets_equals_brute_force(seed: int) -> None:
    rng = random.Random(f"small-{seed}")
    base = [
        fixture("zh_novel.txt")[:500],
        fixture("ja_aozora.txt")[200:700],
        fixture("en_gutenberg.txt")[:2000],
        fixture("zh_novel_2.txt")[100:600],
    ]
    docs = []
    for text in base:
        docs.append(text)
        docs += [edit(text, rng, 1) for _ in range(rng.randint(0, 2))]
    rng.shuffle(docs)
    sigs = tp.MinHasher(128).signatures(docs)
    assert tp.dedup(docs).tolist() == brute_force_dedup(sigs.values, 0.8)


# ---------------------------------------------------------------------------------------------
# Inputs: texts, Signatures, raw arrays; too-short texts
# ---------------------------------------------------------------------------------------------


def test_accepts_texts_signatures_and_raw_arrays() -> None:
    docs, _ = fixture_documents()
    docs = docs[:60]
    mh = tp.MinHasher(64, k=4, seed=9)
    sigs = mh.signatures(docs)
    from_texts = tp.dedup(docs, 0.7, n_hashes=64, k=4, seed=9)
    assert tp.dedup(sigs, 0.7).tolist() == from_texts.tolist()
    assert tp.dedup(np.asarray(sigs), 0.7).tolist() == from_texts.tolist()
    assert tp.dedup(np.array(sigs.values), 0.7).tolist() == from_texts.tolist()
    assert tp.dedup(iter(docs), 0.7, n_hashes=64, k=4, seed=9).tolist() == from_texts.tolist()
    assert tp.dedup(tuple(docs), 0.7, n_hashes=64, k=4, seed=9).tolist() == from_texts.tolist()
    assert from_texts.tolist() == brute_force_dedup(sigs.values, 0.7)


def test_too_short_texts_are_singletons() -> None:
    text = fixture("zh_novel.txt")[:400]
    docs = ["", text, " ", "", "。，！", edit(text, random.Random(1), 1), "\u200b", "\n\n"]
    labels, stats = tp.dedup(docs, return_stats=True)
    assert labels.tolist() == [0, 1, 2, 3, 4, 1, 6, 7]
    assert stats.n_clusters == 7
    sigs = tp.MinHasher().signatures(docs)
    assert tp.dedup(sigs).tolist() == labels.tolist()
    # all-too-short and single-document inputs
    assert tp.dedup(["", "", " "]).tolist() == [0, 1, 2]
    assert tp.dedup([text]).tolist() == [0]
    assert tp.dedup([text, text]).tolist() == [0, 0]


def test_empty_input() -> None:
    labels, stats = tp.dedup([], return_stats=True)
    assert labels.dtype == np.int64
    assert labels.shape == (0,)
    assert stats == DedupStats(0, 0, 0, 0, 0)
    assert tp.dedup(np.zeros((0, 128), dtype=np.uint64)).shape == (0,)


@pytest.mark.parametrize("bad", [0, -0.5, 1.5, float("nan"), "0.8", None])
def test_bad_threshold_raises(bad: object) -> None:
    with pytest.raises(tp.InvalidParameterError, match="threshold"):
        tp.dedup(["a b c"], bad)  # type: ignore[call-overload]


@pytest.mark.parametrize("bad", [1, 0, -3, 2.5])
def test_bad_max_bucket_raises(bad: object) -> None:
    with pytest.raises(tp.InvalidParameterError, match="max_bucket"):
        tp.dedup(["a b c"], max_bucket=bad)  # type: ignore[call-overload]


@pytest.mark.parametrize("bad", ["a bare string", b"bytes", [1, 2], ["ok", None], 42])
def test_bad_texts_raise_invalid_input(bad: object) -> None:
    with pytest.raises(tp.InvalidInputError):
        tp.dedup(bad)


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((3, 16), dtype=np.int64),
        np.zeros((3, 16), dtype=np.float64),
        np.zeros(16, dtype=np.uint64),
        np.zeros((2, 3, 16), dtype=np.uint64),
    ],
)
def test_bad_signature_array_raises_invalid_parameter(bad: np.ndarray) -> None:
    with pytest.raises(tp.InvalidParameterError):
        tp.dedup(bad)


# ---------------------------------------------------------------------------------------------
# connected_components against union-find
# ---------------------------------------------------------------------------------------------


@settings(deadline=None, derandomize=True, max_examples=150)
@given(
    n=st.integers(0, 80),
    data=st.data(),
)
def test_connected_components_equals_union_find(n: int, data: st.DataObject) -> None:
    node = st.integers(0, max(n - 1, 0))
    edges = data.draw(st.lists(st.tuples(node, node), max_size=3 * n if n else 0), label="edges")
    u = np.array([e[0] for e in edges], dtype=np.int64)
    v = np.array([e[1] for e in edges], dtype=np.int64)
    labels = connected_components(n, u, v)
    assert labels.dtype == np.int64
    assert labels.tolist() == union_find(n, edges)


@pytest.mark.parametrize("n", [1000, 5000])
def test_connected_components_long_chains(n: int) -> None:
    # a path given in reverse and shuffled order: the worst case for label propagation
    rng = np.random.default_rng(n)
    perm = rng.permutation(n)
    u, v = perm[:-1].astype(np.int64), perm[1:].astype(np.int64)
    order = rng.permutation(n - 1)
    assert connected_components(n, u[order], v[order]).tolist() == [0] * n
    # two interleaved paths (evens and odds)
    u2 = np.arange(0, n - 2, dtype=np.int64)
    labels = connected_components(n, u2[::-1], u2[::-1] + 2)
    assert labels.tolist() == [i % 2 for i in range(n)]


# ---------------------------------------------------------------------------------------------
# candidate_pairs, stats, buckets, verification on raw signatures
# ---------------------------------------------------------------------------------------------


@st.composite
def signature_sets(draw: st.DrawFn) -> np.ndarray:
    """Noisy copies of a few prototypes over small alphabets (so bands collide), some too short."""
    n_hashes = draw(st.sampled_from([8, 16, 32]))
    n = draw(st.integers(0, 25))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_proto = draw(st.integers(1, 4))
    alphabet = draw(st.sampled_from([2, 4, 1 << 40]))
    protos = rng.integers(0, alphabet, (n_proto, n_hashes), dtype=np.uint64)
    values = protos[rng.integers(0, n_proto, n)]
    flip = rng.random((n, n_hashes)) < draw(st.sampled_from([0.0, 0.1, 0.3, 0.6]))
    values[flip] = rng.integers(0, alphabet, int(flip.sum()), dtype=np.uint64)
    values[rng.random(n) < draw(st.sampled_from([0.0, 0.2]))] = EMPTY
    return values


@settings(deadline=None, derandomize=True, max_examples=150)
@given(
    values=signature_sets(),
    threshold=st.sampled_from([0.3, 0.5, 0.8, 0.9]),
    max_bucket=st.sampled_from([2, 3, 5, MAX_BUCKET]),
)
def test_candidate_pairs_and_stats_match_reference(
    values: np.ndarray, threshold: float, max_bucket: int
) -> None:
    n_hashes = values.shape[1]
    bands, rows = optimal_bands(threshold, n_hashes=n_hashes)
    u, v, skipped = candidate_pairs(values, bands, rows, max_bucket=max_bucket)
    expected, expected_skipped = candidate_pairs_reference(values, bands, rows, max_bucket)
    assert list(zip(u.tolist(), v.tolist())) == expected
    assert skipped == expected_skipped

    rs = rows_of(values)
    verified = [(a, b) for a, b in expected if estimate(rs[a], rs[b]) >= threshold - 1e-12]
    labels, stats = tp.dedup(values, threshold, max_bucket=max_bucket, return_stats=True)
    assert labels.tolist() == union_find(len(values), verified)
    assert stats == DedupStats(
        n_documents=len(values),
        n_candidate_pairs=len(expected),
        n_verified_pairs=len(verified),
        n_skipped_buckets=expected_skipped,
        n_clusters=len(set(labels.tolist())),
    )
    assert_smallest_member_labels(labels)

    # verify=False: every candidate pair links
    loose, loose_stats = tp.dedup(
        values, threshold, max_bucket=max_bucket, verify=False, return_stats=True
    )
    assert loose.tolist() == union_find(len(values), expected)
    assert loose_stats.n_verified_pairs == loose_stats.n_candidate_pairs == len(expected)
    if max_bucket == MAX_BUCKET:
        # star pairs connect each bucket: the same clusters as linking every pair in a band
        band_pairs = sharing_a_band(values, bands, rows)
        assert loose.tolist() == union_find(len(values), sorted(band_pairs))
        # verified clusters never merge documents that brute force keeps apart
        strict = brute_force_dedup(values, threshold - 1e-12)
        for group in partition(labels):
            assert len({strict[i] for i in group}) == 1


def test_verify_false_links_every_candidate_pair() -> None:
    # two signatures equal in band 0 only: a candidate pair, far below the threshold
    _, rows = optimal_bands(0.8, n_hashes=128)
    rng = np.random.default_rng(3)
    values = rng.integers(0, 1 << 62, (3, 128), dtype=np.uint64)
    values[1, :rows] = values[0, :rows]
    assert tp.jaccard(values[0], values[1]) < 0.2
    labels, stats = tp.dedup(values, 0.8, return_stats=True)
    assert labels.tolist() == [0, 1, 2]
    assert (stats.n_candidate_pairs, stats.n_verified_pairs) == (1, 0)
    labels, stats = tp.dedup(values, 0.8, verify=False, return_stats=True)
    assert labels.tolist() == [0, 0, 2]
    assert (stats.n_candidate_pairs, stats.n_verified_pairs) == (1, 1)


def test_oversize_buckets_are_skipped_and_counted() -> None:
    text = fixture("ja_aozora.txt")[:500]
    docs = [text, text, fixture("en_gutenberg.txt")[:800], text]
    bands, _ = optimal_bands(0.8, n_hashes=128)
    labels, stats = tp.dedup(docs, max_bucket=2, return_stats=True)
    assert labels.tolist() == [0, 1, 2, 3]  # the three identical docs share every bucket
    assert stats.n_skipped_buckets == bands
    assert stats.n_candidate_pairs == 0
    labels, stats = tp.dedup(docs, max_bucket=3, return_stats=True)
    assert labels.tolist() == [0, 0, 2, 0]
    assert stats.n_skipped_buckets == 0
    assert stats.n_candidate_pairs == 3  # a small bucket pairs all: (0, 1), (0, 3), (1, 3)
    assert tp.dedup(docs[:2], max_bucket=2).tolist() == [0, 0]


def test_oversize_buckets_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    text = fixture("zh_novel.txt")[:300]
    with caplog.at_level("INFO", logger="textprint"):
        tp.dedup([text] * 3, max_bucket=2)
    assert "max_bucket=2" in caplog.text


def test_stats_on_fixture_documents() -> None:
    docs, origin = fixture_documents()
    labels, stats = tp.dedup(docs, return_stats=True)
    assert isinstance(stats, DedupStats)
    assert stats.n_documents == len(docs)
    assert stats.n_clusters == len(set(origin)) == len(set(labels.tolist()))
    assert stats.n_verified_pairs <= stats.n_candidate_pairs
    assert stats.n_verified_pairs >= len(docs) - stats.n_clusters  # enough to connect them
    assert stats.n_skipped_buckets == 0
    assert tp.dedup(docs).tolist() == labels.tolist()


# ---------------------------------------------------------------------------------------------
# Exact copies: signed once, the same clusters as signing every text
# ---------------------------------------------------------------------------------------------


def corpus_with_copies(seed: int = 3) -> list[str]:
    """Fixture documents with 120 exact copies of earlier ones (some too short to sign) and
    more identical texts than ALL_PAIRS_MAX, inserted at random places."""
    docs, _ = fixture_documents()
    rng = random.Random(seed)
    corpus = list(docs[:80]) + [docs[0]] * (ALL_PAIRS_MAX + 5)
    for _ in range(120):
        corpus.insert(rng.randrange(len(corpus) + 1), rng.choice([*corpus, "", "。"]))
    return corpus


@pytest.mark.parametrize("max_bucket", [MAX_BUCKET, ALL_PAIRS_MAX])
def test_exact_copies_are_signed_once_with_the_same_clusters(
    monkeypatch: pytest.MonkeyPatch, max_bucket: int
) -> None:
    corpus = corpus_with_copies()
    signed: list[str] = []
    batch = tp.MinHasher._batch

    def spy(self: tp.MinHasher, texts: list[str]) -> np.ndarray:
        signed.extend(texts)
        return batch(self, texts)

    monkeypatch.setattr(tp.MinHasher, "_batch", spy)
    labels, stats = tp.dedup(corpus, max_bucket=max_bucket, return_stats=True)
    monkeypatch.undo()
    assert sorted(signed) == sorted(set(corpus))  # each distinct text signed once
    assert stats.n_exact_copies == len(corpus) - len(set(corpus)) > 100
    # the signature path has no shortcut: every text signed, the same labels and counts
    sigs = tp.MinHasher().signatures(corpus)
    want, want_stats = tp.dedup(sigs, max_bucket=max_bucket, return_stats=True)
    assert labels.tolist() == want.tolist()
    assert dataclasses.replace(stats, n_exact_copies=0) == want_stats
    if max_bucket == MAX_BUCKET:
        assert labels.tolist() == brute_force_dedup(sigs.values, 0.8)


def test_first_copies_stream_keys_not_texts() -> None:
    from textprint._exact import FirstCopies, text_key

    texts = ["天下\ud800", "天下\ud800", "天下", "a", "天下"]
    copies = FirstCopies(iter(texts))
    assert list(copies) == ["天下\ud800", "天下", "a"]
    assert copies.first.tolist() == [0, 0, 2, 3, 2]
    assert copies.unique.tolist() == [0, 2, 3]
    assert text_key("ＡＢＣ") != text_key("abc")  # keys are of the bytes, not the matching view
    assert text_key("x") == text_key("x")
    assert 0 <= text_key("x") < 1 << 128


# ---------------------------------------------------------------------------------------------
# Known bug: verification only checks pairs with the bucket's first member
# ---------------------------------------------------------------------------------------------


def head_blocks_pair() -> np.ndarray:
    """B (1) and C (2) are near-duplicates (estimated Jaccard 0.94) that share band 0 and no
    other band; A (0) shares band 0 with both but is otherwise unrelated."""
    bands, rows = optimal_bands(0.8, n_hashes=128)
    rng = np.random.default_rng(0)
    b = rng.integers(0, 1 << 62, 128, dtype=np.uint64)
    c = b.copy()
    for band in range(1, bands):
        c[band * rows] ^= np.uint64(1)  # one difference in every other band
    a = rng.integers(0, 1 << 62, 128, dtype=np.uint64)
    a[:rows] = b[:rows]
    return np.stack([a, b, c])


def test_near_duplicates_behind_an_unrelated_bucket_head_are_linked() -> None:
    values = head_blocks_pair()
    assert tp.jaccard(values[1], values[2]) >= 0.9
    assert tp.jaccard(values[0], values[1]) < 0.2
    bands, rows = optimal_bands(0.8, n_hashes=128)
    assert sharing_a_band(values, bands, rows) == {(0, 1), (0, 2), (1, 2)}
    # the index finds the pair ...
    index = tp.LSHIndex(0.8)
    index.add(["a", "b", "c"], values)
    assert [m.key for m in index.query(values[2])] == ["c", "b"]
    # ... and so must dedup (in any order)
    assert tp.dedup(values[[1, 2, 0]]).tolist() == [0, 0, 2]
    assert tp.dedup(values).tolist() == [0, 1, 1]
