"""Tests of textprint.Registry: huge texts, checked in segments with the same hits as whole.

A text longer than a segment is checked in overlapping segments cut at natural points; the
hits are those of the whole text (the segment size is made small here, so that a fixture-sized
text is huge).
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

import textprint as tp
import textprint.registry._long
import textprint.registry._registry
import textprint.registry._verify
from _registry_texts import EN, JA, JA2, ZH, ZH2
from helpers import TOLERANCE, deviation, ids

# ------------------------------------------------------------- huge texts: checked in segments
#: Segment settings that make a text of some 30,000 characters "huge" (about nine segments).
SEGMENT, OVERLAP = 4000, 400


def han_host(n_chars: int, seed: int = 0) -> str:
    """`n_chars` of random Han prose in lines ending with 。, sharing nothing with the works."""
    rng = random.Random(seed)
    lines: list[str] = []
    size = 0
    while size < n_chars:
        line = "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(rng.randint(20, 60)))
        lines.append(line + "。\n")
        size += len(lines[-1])
    return "".join(lines)[:n_chars]


def segments(text: str) -> list[tuple[int, int]]:
    return textprint.registry._long.segments(text, SEGMENT, OVERLAP)


def straddling(host: str, copy: str, cut: int) -> tuple[str, int]:
    """`copy` inserted in `host` so that it holds the whole stretch shared by segments `cut`
    and `cut + 1` (neither sees it whole), about centred on it; the text and the copy's start."""
    for x in range(0, len(host), 25):
        text = host[:x] + copy + host[x:]
        bounds = segments(text)
        if cut + 1 >= len(bounds):
            break
        shared_start, shared_end = bounds[cut + 1][0], bounds[cut][1]
        left, right = shared_start - x, x + len(copy) - shared_end
        if left > 0 and right > 0 and left <= right:
            return text, x
    raise AssertionError("no position straddles the cut")


@pytest.fixture
def small_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textprint.registry._registry, "CHECK_SEGMENT_CHARS", SEGMENT)
    monkeypatch.setattr(textprint.registry._long, "CHECK_OVERLAP_CHARS", OVERLAP)


def huge_post() -> tuple[str, dict[str, tuple[int, int, int, int]]]:
    """About 30,000 characters copying all of ZH across the cut between segments 2 and 3 (so
    that each segment sees only a piece of it) and 500 characters of JA inside segment 6; the
    true passages by work id."""
    text, x = straddling(han_host(28_000), ZH, 2)
    ja_copy = JA[300:800]
    y = (segments(text)[6][0] + segments(text)[6][1]) // 2
    y = text.index("\n", y) + 1
    text = text[:y] + ja_copy + text[y:]
    return text, {"zh": (x, x + len(ZH), 0, len(ZH)), "ja": (y, y + len(ja_copy), 300, 800)}


def assert_same_hits(got: list[tp.Hit], want: list[tp.Hit]) -> None:
    """The hits of a segmented check are those of the whole text. (Without stored texts, the
    passages chained from fingerprints may overlap a little in the query; a segmented check
    merges them.)"""
    assert ids(got) == ids(want)
    for g, w in zip(got, want):
        merged = textprint.registry._verify.merge_passages(list(w.passages))
        assert len(g.passages) == len(merged), (g.passages, w.passages)
        for p, q in zip(g.passages, merged):
            assert deviation(p, tuple(q)) <= TOLERANCE, (p, q)
        assert g.copied_chars == pytest.approx(w.copied_chars, abs=2 * TOLERANCE)
        assert g.containment == pytest.approx(w.containment, rel=0.02)
        assert g.source_containment == pytest.approx(w.source_containment, abs=0.02)
        assert g.jaccard == pytest.approx(w.jaccard, rel=0.1, abs=1e-4)


@pytest.mark.parametrize("store_text", [True, False], ids=["texts", "fingerprints"])
def test_a_huge_text_is_checked_in_segments_with_the_same_hits(
    store_text: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    text, truth = huge_post()
    assert len(segments(text)) >= 8
    with tp.Registry(store_text=store_text) as reg:
        reg.register("zh", ZH)
        reg.register("ja", JA)
        reg.register("en", EN)
        whole = reg.check(text)  # shorter than the real segment size: one piece
        monkeypatch.setattr(textprint.registry._registry, "CHECK_SEGMENT_CHARS", SEGMENT)
        monkeypatch.setattr(textprint.registry._long, "CHECK_OVERLAP_CHARS", OVERLAP)
        calls: list[int] = []
        candidates = reg._find_candidates

        def counting(query: Any, *args: Any) -> Any:
            calls.append(len(query.prepared.text))
            return candidates(query, *args)

        monkeypatch.setattr(reg, "_find_candidates", counting)
        segmented = reg.check(text)
    assert len(calls) == len(segments(text))
    assert max(calls) <= SEGMENT
    assert ids(whole) == ["zh", "ja"]
    assert_same_hits(segmented, whole)
    for h in segmented:
        if store_text:
            (p,) = h.passages
            assert deviation(p, truth[str(h.work_id)]) <= TOLERANCE, (h.work_id, p)
        else:  # boundaries of fingerprints: coarser, and a copy may be chained in pieces
            span = (h.passages[0].query_start, h.passages[-1].query_end)
            start, end, _, _ = truth[str(h.work_id)]
            assert abs(span[0] - start) <= 60, (h.work_id, span)
            assert abs(span[1] - end) <= 60, (h.work_id, span)


@pytest.mark.usefixtures("small_segments")
def test_a_copy_split_over_two_segments_is_judged_whole() -> None:
    # 1,450 characters copied; each segment sees under 1,200 of them: judged piece by piece,
    # with min_chars=1200 the copy would be lost.
    copy = ZH[:1450]
    text, x = straddling(han_host(12_000), copy, 1)
    (_, end), (start, _) = segments(text)[1:3]
    assert end - x < 1200
    assert x + len(copy) - start < 1200
    with tp.Registry() as reg:
        reg.register("zh", ZH)
        (hit,) = reg.check(text, min_chars=1200, min_containment=0.99)
        assert reg.check(text, min_chars=1500, min_containment=0.99) == []
    (p,) = hit.passages
    assert deviation(p, (x, x + len(copy), 0, len(copy))) <= TOLERANCE
    assert hit.copied_chars == pytest.approx(len(copy), abs=2 * TOLERANCE)
    assert hit.source_containment == pytest.approx(len(copy) / len(ZH), abs=0.02)


@pytest.mark.usefixtures("small_segments")
@pytest.mark.parametrize("store_text", [True, False], ids=["texts", "fingerprints"])
def test_an_unrelated_huge_text_has_no_hit(store_text: bool) -> None:
    with tp.Registry(store_text=store_text) as reg:
        reg.register("zh", ZH)
        reg.register("ja", JA)
        assert reg.check(han_host(30_000, seed=1)) == []
        assert reg.check(ZH2 * 20) == []


@pytest.mark.usefixtures("small_segments")
def test_check_many_mixes_huge_and_short_texts() -> None:
    huge, _ = huge_post()
    texts = [ZH2[:200] + ZH[300:600], huge, "今天天气很好。", JA2[:100] + JA[200:700]]
    with tp.Registry() as reg:
        reg.register("zh", ZH)
        reg.register("ja", JA)
        batch = reg.check_many(texts)
        one_by_one = [reg.check(t) for t in texts]
    assert [ids(h) for h in batch] == [["zh"], ["zh", "ja"], [], ["ja"]]
    for got, want in zip(batch, one_by_one):
        assert_same_hits(got, want)


def test_segments_overlap_and_cut_at_natural_points() -> None:
    text = han_host(50_000)
    bounds = segments(text)
    assert bounds[0][0] == 0
    assert bounds[-1][1] == len(text)
    for (a, b), (c, d) in itertools.pairwise(bounds):
        assert b - a <= SEGMENT
        assert OVERLAP <= b - c <= OVERLAP * 3 // 2
        assert a < c < b < d
        assert text[b - 1] == text[c - 1] == "\n"  # after a line break
    # no line break: after a sentence end, else a space, else a hard cut
    for sep in ("。", " ", ""):
        flat = han_host(20_000).replace("。\n", sep)
        bounds = segments(flat)
        assert bounds[-1][1] == len(flat)
        for (a, b), (c, _) in itertools.pairwise(bounds):
            assert b - a <= SEGMENT
            assert b - c >= OVERLAP
            if sep:
                assert flat[b - 1] == flat[c - 1] == sep
    assert segments("x" * SEGMENT) == [(0, SEGMENT)]


def test_merged_passages_claim_each_query_character_once() -> None:
    merge = textprint.registry._verify.merge_passages
    piece_a, piece_b = tp.Passage(100, 900, 0, 800), tp.Passage(500, 1700, 400, 1600)
    assert merge([piece_b, piece_a, piece_a]) == (tp.Passage(100, 1700, 0, 1600),)
    # touching in the query (as one segment reported them): two passages
    again, next_ = tp.Passage(900, 1700, 0, 800), tp.Passage(900, 1000, 800, 900)
    assert merge([piece_a, again]) == (piece_a, again)
    assert merge([piece_a, next_]) == (piece_a, next_)
    # overlapping in the query, but the query repeats the same source range: trimmed
    assert merge([piece_a, tp.Passage(850, 1700, 0, 850)]) == (
        piece_a,
        tp.Passage(900, 1700, 50, 850),
    )
    # overlapping in the query with another source range: trimmed, not doubled
    other = tp.Passage(800, 1000, 5000, 5200)
    assert merge([piece_a, other]) == (piece_a, tp.Passage(900, 1000, 5100, 5200))
