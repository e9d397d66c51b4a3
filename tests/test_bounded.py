"""Bounded cost: memory peaks and work counters on huge and pathological inputs, never clocks.

Memory is measured with ``tracemalloc``, which sees Python objects and numpy's array buffers
(numpy reports its allocations to it); SQLite's own page cache and the analyzers' C++
allocations are not seen. Work is measured with counters wrapped around private stages
(``_winnow._robust_ties``, ``_alignment._seeds``, ``registry._candidates.candidates``) or taken from
public statistics (``dedup(..., return_stats=True)``): numbers of Python-level iterations,
candidate pairs and outputs, which are the same on every machine.

Two kinds of bound:

* **Absolute, per character.** Every stage keeps a handful of arrays per character of the text
  (code points, classes, original spans, token bounds, shingle hashes; ``int64``/``uint64``
  mostly), so a peak of about 20 (normalize) to 34 (fingerprint) times the
  text's UTF-32 size was measured, the same at 1 and 5 million characters. The tests assert
  ``peak < 40 x UTF-32 size`` (160 bytes per character): above what the pipeline needs today,
  low enough to catch a stage that starts keeping one more copy per token, or grows faster than
  the text. It is *not* the bound API.md promises ("huge texts are processed in chunks"): but
  for MinHasher signatures, which cut a long text into pieces
  (test_one_text_longer_than_the_chunk_is_chunked), one text is processed whole however long
  it is.
* **Bounded.** ``Registry.check`` cuts a text longer than ``registry._registry.CHECK_SEGMENT_CHARS``
  (about a million characters) into overlapping segments and checks them one by one, so its
  peak does not grow with the text: the peak for 20 (and 50) MB is within 1.2 x the peak for
  5 MB, and under ``CHECK_BYTES_PER_SEGMENT_CHAR`` bytes per character of one segment.
* **Linear.** For pathological inputs (one character a million times, punctuation only, one
  giant line, a million zero-width characters, a million combining marks on one base, ...)
  ``peak(2n) <= 2.5 * peak(n)``, and the work counters grow at most linearly.

The 50 MB variant of the absolute bound, the 20 and 50 MB segment bound and the 250k
pathological inputs are marked ``slow`` (``nox -s slow`` runs them); the default check runs the
rest: 5 MB texts, 15k pathological inputs and every work counter. With
``TEXTPRINT_BOUNDED_FIGURES=path`` each measured peak is appended to ``path`` as one JSON line
(``benchmarks/run_fuzz.py`` and docs/reliability.md use them).
"""

from __future__ import annotations

import functools
import gc
import json
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import textprint as tp
import textprint._winnow
import textprint.matching
import textprint.minhash
import textprint.registry._candidates
from textprint import _plain
from textprint._alignment import MAX_OCCURRENCES
from textprint._normbatch import normalize_batch
from textprint.registry._candidates import MAX_CANDIDATES
from textprint.registry._registry import CHECK_SEGMENT_CHARS


@pytest.fixture(autouse=True, scope="module")
def _compiled_loops_ready() -> None:
    """The optional compiled loops (numba) compile once per process on a thread of their own,
    started by the first single-text call of the session; their allocations must not land in
    a peak these tests measure (a fresh environment has no compile cache: about 20 s)."""
    _plain.compiled(wait=True)


# The default check runs a fast slice: 5 MB texts, pathological inputs of 15k characters, every
# counter; the 20 and 50 MB texts and the 250k pathological inputs (about 15 minutes on a loaded
# 2-core machine) are marked slow and run by `nox -s slow`.

MB = 1_000_000
FIXTURES = Path(__file__).parent / "fixtures"
WORK = (FIXTURES / "zh_novel.txt").read_text(encoding="utf-8")[:2000]
#: Peak memory allowed per character of text, in bytes (40 x the UTF-32 size; see above).
BYTES_PER_CHAR = 160
#: Allowed growth of a peak when the input doubles.
LINEAR = 2.5
#: Registry.check's peak allowed per character of one segment, in bytes (about 150 measured).
CHECK_BYTES_PER_SEGMENT_CHAR = 200


def traced_peak(fn: Callable[[], Any]) -> tuple[int, Any]:
    """Peak traced memory (bytes) while `fn` runs, above what was allocated before it."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = fn()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    return peak, result


def record(**figures: Any) -> None:
    """Append one measurement to $TEXTPRINT_BOUNDED_FIGURES (JSON lines), if set."""
    path = os.environ.get("TEXTPRINT_BOUNDED_FIGURES")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(figures, ensure_ascii=False) + "\n")


@functools.cache
def big_text(n_bytes: int, seed: int = 0) -> str:
    """About `n_bytes` of UTF-8 prose that never repeats: runs of Han (55 %), kana (10 %), Latin
    words (25 %) and punctuation, line breaks, with WORK copied in at three places."""
    rng = np.random.default_rng(seed)
    n_chars = int(n_bytes / 2.3)
    n_runs = n_chars // 8 + 1
    kind = rng.choice(4, size=n_runs, p=[0.55, 0.10, 0.25, 0.10])
    length = np.where(kind == 3, 1, rng.integers(2, 15, size=n_runs))
    kinds = np.repeat(kind, length)[:n_chars]
    cps = np.empty(len(kinds), dtype=np.uint32)
    for k, (lo, hi) in enumerate([(0x4E00, 0x9FA5), (0x3041, 0x3093), (0x61, 0x7A)]):
        where = np.flatnonzero(kinds == k)
        cps[where] = rng.integers(lo, hi + 1, size=len(where), dtype=np.uint32)
    where = np.flatnonzero(kinds == 3)
    cps[where] = rng.choice(
        np.array([0x20, 0x20, 0x3001, 0x3002, 0xFF0C, 0x0A], np.uint32), len(where)
    )
    words = np.flatnonzero(kinds == 2)
    cps[words[rng.random(len(words)) < 0.2]] = 0x20  # spaces between Latin words
    text = cps.astype("<u4").tobytes().decode("utf-32-le")
    third = len(text) // 3
    return text[:third] + WORK + text[third : 2 * third] + WORK + text[2 * third :] + WORK


@pytest.fixture(scope="module")
def registry() -> Iterator[tp.Registry]:
    with tp.Registry() as reg:
        reg.register("work", WORK)
        reg.register("other", (FIXTURES / "zh_novel_2.txt").read_text(encoding="utf-8"))
        yield reg


STAGES: dict[str, Callable[[tp.Registry, str], Any]] = {
    "normalize": lambda reg, text: tp.normalize(text),
    "fingerprint": lambda reg, text: tp.fingerprint(text),
    "MinHasher.signature": lambda reg, text: tp.MinHasher().signature(text),
    "compare": lambda reg, text: tp.compare(text, WORK),
    "Registry.check": lambda reg, text: reg.check(text),
}


# ----------------------------------------------------------------- absolute, per character


@pytest.mark.parametrize(
    "n_bytes",
    [pytest.param(5 * MB, id="5MB"), pytest.param(50 * MB, id="50MB", marks=pytest.mark.slow)],
)
@pytest.mark.parametrize("stage", ["fingerprint", "compare", "Registry.check"])
def test_huge_text_peak_memory(stage: str, n_bytes: int, registry: tp.Registry) -> None:
    text = big_text(n_bytes)
    peak, result = traced_peak(lambda: STAGES[stage](registry, text))
    utf32 = 4 * len(text)
    record(
        test="huge_text",
        stage=stage,
        utf8_bytes=len(text.encode("utf-8")),
        chars=len(text),
        peak_bytes=peak,
        peak_per_utf32=round(peak / utf32, 1),
    )
    assert peak < BYTES_PER_CHAR * len(text), (
        f"{stage} on {len(text):,} characters peaked at {peak / MB:.0f} MB "
        f"= {peak / utf32:.1f} x the UTF-32 size (bound: {BYTES_PER_CHAR // 4} x)"
    )
    if stage == "Registry.check":  # the three copies of the work are found
        assert [h.work_id for h in result][:1] == ["work"]
    if stage == "compare":
        assert len(result.passages) >= 3


@pytest.mark.parametrize("stage", list(STAGES))
def test_peak_memory_grows_linearly_with_the_text(stage: str, registry: tp.Registry) -> None:
    small, large = big_text(MB // 2), big_text(MB)
    STAGES[stage](registry, large)  # warm the caches (power tables, dictionaries)
    p1, _ = traced_peak(lambda: STAGES[stage](registry, small))
    p2, _ = traced_peak(lambda: STAGES[stage](registry, large))
    record(test="linear_text", stage=stage, chars=[len(small), len(large)], peak_bytes=[p1, p2])
    assert p2 <= LINEAR * p1, f"{stage}: peak {p1:,} -> {p2:,} bytes when the text doubled"


def test_many_texts_are_processed_in_chunks() -> None:
    """The batch path bounds memory by its chunk, not by the number of texts."""
    mh = tp.MinHasher()
    texts = [big_text(100_000, seed=s) for s in range(8)]
    mh.signatures(texts, chunk_chars=100_000)
    p1, a = traced_peak(lambda: mh.signatures(texts[:4], chunk_chars=100_000))
    p2, b = traced_peak(lambda: mh.signatures(texts, chunk_chars=100_000))
    record(
        test="chunked_batch",
        chars=[sum(map(len, texts[:4])), sum(map(len, texts))],
        peak_bytes=[p1, p2],
    )
    assert a.values.tolist() == b.values[:4].tolist()
    assert p2 <= 1.5 * p1, f"peak {p1:,} -> {p2:,} bytes for twice as many texts"


@pytest.mark.parametrize(
    "n_bytes",
    [
        pytest.param(20 * MB, id="20MB", marks=pytest.mark.slow),
        pytest.param(50 * MB, id="50MB", marks=pytest.mark.slow),
    ],
)
def test_registry_check_memory_is_bounded_by_the_segment(
    n_bytes: int, registry: tp.Registry
) -> None:
    small, text = big_text(5 * MB), big_text(n_bytes)
    assert len(small) > CHECK_SEGMENT_CHARS  # both are checked in segments
    p_small, _ = traced_peak(lambda: registry.check(small))
    peak, hits = traced_peak(lambda: registry.check(text))
    record(
        test="check_bounded",
        chars=[len(small), len(text)],
        segment_chars=CHECK_SEGMENT_CHARS,
        peak_bytes=[p_small, peak],
    )
    assert peak <= 1.2 * p_small, (
        f"Registry.check peaked at {p_small / MB:.0f} MB for {len(small):,} characters and "
        f"{peak / MB:.0f} MB for {len(text):,}: it grows with the text"
    )
    assert peak < CHECK_BYTES_PER_SEGMENT_CHAR * CHECK_SEGMENT_CHARS, (
        f"Registry.check peaked at {peak / MB:.0f} MB = {peak / CHECK_SEGMENT_CHARS:.0f} "
        f"bytes per character of a segment (bound: {CHECK_BYTES_PER_SEGMENT_CHAR})"
    )
    (hit,) = [h for h in hits if h.work_id == "work"]  # the three copies of the work
    assert len(hit.passages) == 3


# ------------------------------------------------------------------------ pathological

N = 1_000_000


def _giant_line(n: int) -> str:
    """No line break and no sentence end: one run for language detection, one for analyzers."""
    text = big_text(3 * n)[:n]
    return text.replace("\n", " ").replace("。", "、")


PATHOLOGICAL: dict[str, Callable[[int], str]] = {
    "one Han character": lambda n: "漢" * n,
    "one letter": lambda n: "a" * n,
    "one short word": lambda n: "ab " * (n // 3),
    "punctuation only": lambda n: ("。，！？、…—「」!?,.;:-" * (n // 15 + 1))[:n],
    "one giant line": _giant_line,
    "zero-width only": lambda n: "\u200b" * n,
    "zero-width between characters": lambda n: "漢\u200b" * (n // 2),
    "combining marks on one base": lambda n: "a" + "\u0301" * (n - 1),
    "voicing marks on one kana": lambda n: "か" + "\u3099" * (n - 1),
    "conjoining jamo": lambda n: "\u1100\u1161" * (n // 2),
    "lone surrogates": lambda n: "\ud800" * n,
    "tag characters": lambda n: "\U000e0041" * n,
    "white space only": lambda n: " \n\u3000\t" * (n // 4),
}


@pytest.mark.parametrize(
    "n",
    [pytest.param(N // 64, id="15k"), pytest.param(N // 4, id="250k", marks=pytest.mark.slow)],
)
@pytest.mark.parametrize("stage", ["normalize", "fingerprint", "compare"])
@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_pathological_input_memory_is_linear(name: str, stage: str, n: int) -> None:
    """peak(n) <= 2.5 peak(n / 2). (tracemalloc slows the Python-level cluster path some 20
    times, so the default sizes are small; ``-m slow`` runs 125k -> 250k characters.)"""
    make = PATHOLOGICAL[name]
    small, large = make(n // 2), make(n)
    stages: dict[str, Callable[[str], Any]] = {
        "normalize": tp.normalize,
        "fingerprint": tp.fingerprint,
        "compare": lambda t: tp.compare(t, t),
    }
    run = stages[stage]
    run(large)  # warm the caches
    p1, _ = traced_peak(lambda: run(small))
    p2, _ = traced_peak(lambda: run(large))
    record(
        test="linear_pathological",
        input=name,
        stage=stage,
        chars=[len(small), len(large)],
        peak_bytes=[p1, p2],
    )
    assert p2 <= LINEAR * p1, f"{name}, {stage}: peak {p1:,} -> {p2:,} bytes when n doubled"


class Counter:
    """Wraps a function and adds up a measure of each call's arguments or result."""

    def __init__(self, fn: Callable[..., Any], measure: Callable[[tuple[Any, ...], Any], int]):
        self.fn, self.measure, self.total, self.calls = fn, measure, 0, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        result = self.fn(*args, **kwargs)
        self.total += self.measure(args, result)
        self.calls += 1
        return result


@pytest.mark.parametrize(
    ("text", "spacing"),
    [
        pytest.param("漢" * N, 10, id="one Han character x 1M"),
        pytest.param("ab " * (N // 3), 10, id="one word x 333k"),
        pytest.param("天下大势分久必合" * (N // 8), 8, id="8-character cycle x 125k"),
        pytest.param("漢\u200b" * (N // 2), 10, id="zero-width between characters"),
        pytest.param("\u1100" * N, 10, id="one jamo x 1M"),
    ],
)
def test_winnowing_ties_are_linear(
    text: str, spacing: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Repeated shingles tie every window; the sequential tie path visits each tied window
    once, and robust winnowing keeps one hash while it stays in view (one fingerprint per
    window, or per period when the text repeats faster than the window)."""
    ties = Counter(textprint._winnow._robust_ties, lambda args, _: int(np.count_nonzero(args[3])))
    monkeypatch.setattr(textprint._winnow, "_robust_ties", ties)
    fp = tp.fingerprint(text, k=5, window=10)
    record(
        test="ties",
        chars=len(text),
        n_shingles=fp.n_shingles,
        tied_windows=ties.total,
        fingerprints=len(fp),
    )
    assert ties.calls == 1
    assert ties.total <= fp.n_shingles - 10 + 1  # at most one Python iteration per window
    assert len(fp) <= fp.n_shingles // spacing + 1


def _block_text(n_distinct: int, repeats: int) -> str:
    """`n_distinct` different Han characters, the block repeated `repeats` times."""
    rng = np.random.default_rng(1)
    block = rng.permutation(np.arange(0x4E00, 0x4E00 + n_distinct, dtype=np.uint32))
    return block.astype("<u4").tobytes().decode("utf-32-le") * repeats


@pytest.mark.parametrize(
    ("n_distinct", "repeats"),
    [
        pytest.param((1, 1), (N // 2, N), id="one character x 1M (every seed too frequent)"),
        pytest.param((2000, 4000), (MAX_OCCURRENCES,) * 2, id="block x 32 (seeds at the limit)"),
    ],
)
def test_compare_seeds_are_bounded(
    n_distinct: tuple[int, int], repeats: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seed pairs are at most MAX_OCCURRENCES per query shingle, and grow linearly."""
    seeds = Counter(textprint._alignment._seeds, lambda _, r: len(r[0]))
    monkeypatch.setattr(textprint._alignment, "_seeds", seeds)
    totals = []
    for d, r in zip(n_distinct, repeats):
        text = _block_text(d, r)
        seeds.total = 0
        c = tp.compare(text, text)
        n_shingles = len(text) - 5 + 1
        assert seeds.total <= MAX_OCCURRENCES * n_shingles
        totals.append(seeds.total)
        record(test="seeds", chars=len(text), seed_pairs=seeds.total, passages=len(c.passages))
    assert totals[1] <= LINEAR * max(totals[0], 1)


@pytest.mark.parametrize("n", [1000, 2000])
def test_dedup_of_identical_texts_has_linear_candidates(n: int) -> None:
    """n copies of one text fall into one bucket per band: n - 1 candidate pairs, not n^2/2."""
    text = "天下大势，分久必合，合久必分。周末七国分争，并入于秦。"
    labels, stats = tp.dedup([text] * n, threshold=0.8, return_stats=True)
    record(test="dedup_identical", n=n, candidate_pairs=stats.n_candidate_pairs)
    assert labels.tolist() == [0] * n
    assert stats.n_candidate_pairs == n - 1
    assert stats.n_clusters == 1


def test_registry_check_verifies_a_bounded_number_of_candidates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A post copying passages of more works than MAX_CANDIDATES: at most MAX_CANDIDATES are
    verified with the (costly) alignment, whatever the number of works it touches."""
    ranked = Counter(textprint.registry._candidates.candidates, lambda _, r: len(r))
    monkeypatch.setattr(textprint.registry._candidates, "candidates", ranked)
    rng = np.random.default_rng(2)

    def han(n: int) -> str:
        cps = rng.integers(0x4E00, 0x9FA5, size=n, dtype=np.uint32)
        return cps.astype("<u4").tobytes().decode("utf-32-le")

    n_works = MAX_CANDIDATES + 10
    with tp.Registry() as reg:
        passages = []
        for i in range(n_works):
            passages.append(han(250))
            reg.register_many([(i, passages[-1] + "。" + han(250))])
        hits = reg.check("。".join(passages))
    record(test="registry_candidates", works=n_works, verified=ranked.total, hits=len(hits))
    assert ranked.total == MAX_CANDIDATES
    assert len(hits) == MAX_CANDIDATES


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a" + "\u0301" * (N - 1), id="combining marks x 1M"),
        pytest.param("か" + "\u3099" * (N - 1), id="voicing marks x 1M"),
        pytest.param("\u1100\u1161" * (N // 8), id="conjoining jamo x 125k pairs"),
        pytest.param("e\u0301" * (N // 8), id="base + mark x 125k pairs"),
    ],
)
def test_exact_composition_path_is_linear(text: str) -> None:
    """The exact (per-cluster, Python) path handles each input character at most once."""
    batch, n_exact = normalize_batch([text])
    record(test="exact_path", chars=len(text), exact_chars=n_exact, out_chars=len(batch.folded))
    assert n_exact <= len(text)
    assert len(batch.folded) <= len(text)


# ------------------------------------------------------------------- known bugs (strict xfail)


def test_one_text_longer_than_the_chunk_is_chunked() -> None:
    mh = tp.MinHasher()
    chunk = 50_000
    long_text = big_text(2 * MB)
    mh.signatures([long_text], chunk_chars=chunk)
    p_chunk, _ = traced_peak(lambda: mh.signatures([long_text[:chunk]], chunk_chars=chunk))
    p_long, _ = traced_peak(lambda: mh.signatures([long_text], chunk_chars=chunk))
    record(test="single_text_chunking", chars=[chunk, len(long_text)], peak_bytes=[p_chunk, p_long])
    assert p_long <= 4 * p_chunk, f"{p_chunk:,} bytes for one chunk, {p_long:,} for the text"


_RETAINED = """
import gc, sys, tracemalloc
import textprint as tp

tp.fingerprint("warm up")
tracemalloc.start()
text = "天下大势分久必合合久必分周末七国分争并入于秦" * 100_000
before = tracemalloc.get_traced_memory()[0]
fp = tp.fingerprint(text)
del fp
gc.collect()
print(tracemalloc.get_traced_memory()[0] - before)
"""


def test_memory_is_released_after_a_huge_text() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _RETAINED], capture_output=True, text=True, check=True
    )
    retained = int(out.stdout.strip())
    record(test="retained_after_huge_text", chars=2_200_000, retained_bytes=retained)
    assert retained < 16 * MB, f"{retained / MB:.0f} MB stay allocated"


def test_densification_memory_is_bounded() -> None:
    mh = tp.MinHasher(4096)
    mh.signature("warm up")
    peak, _ = traced_peak(lambda: mh.signature("abc"))
    record(test="densify_memory", n_hashes=4096, peak_bytes=peak)
    assert peak < 16 * MB + 1024 * 4096, f"{peak / MB:.0f} MB for one signature of 4096 values"


class _CountingNumpy:
    """numpy, with np.flatnonzero counting the elements it scans (seen by one module only)."""

    def __init__(self) -> None:
        self.scanned = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(np, name)

    def flatnonzero(self, a: Any) -> Any:
        self.scanned += int(np.size(a))
        return np.flatnonzero(a)


def test_densification_work_is_linear(monkeypatch: pytest.MonkeyPatch) -> None:
    counting = _CountingNumpy()
    monkeypatch.setattr(textprint.minhash, "np", counting)
    scanned = []
    for n in (2048, 4096):
        counting.scanned = 0
        tp.MinHasher(n).signature("abc")
        scanned.append(counting.scanned)
    record(test="densify_work", n_hashes=[2048, 4096], scanned=scanned)
    assert scanned[1] <= LINEAR * max(scanned[0], 1), f"elements scanned: {scanned}"
