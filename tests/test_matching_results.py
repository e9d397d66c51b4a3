"""compare's measures and its result: the exact Jaccard against a brute force over
``tp.shingles``, structural invariants on any valid text (never an exception), errors, and
the Comparison record."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import textprint as tp
from _matching_cases import TOLERANCE, deviation, fixture, insert, source_and_host
from reference_hashing import text_strategy


def brute_force_jaccard(a: str, b: str, k: int) -> float:
    sa, sb = set(tp.shingles(a, k=k)), set(tp.shingles(b, k=k))
    union = sa | sb
    return len(sa & sb) / len(union) if union else 0.0


# ---------------------------------------------------------------------------------------------
# Jaccard: exact, against a brute force over tp.shingles
# ---------------------------------------------------------------------------------------------


@settings(deadline=None, derandomize=True, max_examples=60)
@given(a=text_strategy(50), b=text_strategy(50), k=st.integers(1, 7), mix=st.integers(0, 2))
def test_jaccard_equals_brute_force(a: str, b: str, k: int, mix: int) -> None:
    if mix == 1:
        b = b + a + b  # share everything of a
    elif mix == 2:
        b = a[: len(a) // 2] + b
    c = tp.compare(a, b, k=k)
    assert c.jaccard == pytest.approx(brute_force_jaccard(a, b, k), abs=1e-12)
    assert c.jaccard == pytest.approx(tp.compare(b, a, k=k).jaccard, abs=1e-12)


@pytest.mark.parametrize(
    ("a", "b", "k"),
    [
        ("zh_novel.txt", "zh_novel_2.txt", 5),
        ("zh_novel.txt", "zh_novel_2.txt", 1),
        ("ja_aozora.txt", "ja_aozora_old.txt", 5),
        ("ja_aozora.txt", "ja_aozora_old.txt", 3),
        ("en_gutenberg.txt", "en_gutenberg_2.txt", 2),
        ("en_gutenberg.txt", "en_gutenberg_2.txt", 5),
    ],
)
def test_jaccard_equals_brute_force_on_fixtures(a: str, b: str, k: int) -> None:
    ta, tb = fixture(a), fixture(b)
    assert tp.compare(ta, tb, k=k).jaccard == pytest.approx(
        brute_force_jaccard(ta, tb, k), abs=1e-12
    )


def test_jaccard_of_a_partial_copy(opencc_convert: Callable[[str, str], str]) -> None:
    src, host = source_and_host("zh")
    query = insert(host, 500, opencc_convert("s2t", src[:700]))
    assert tp.compare(query, src).jaccard == pytest.approx(
        brute_force_jaccard(query, src, 5), abs=1e-12
    )


# ---------------------------------------------------------------------------------------------
# Never raising on valid text, structural invariants
# ---------------------------------------------------------------------------------------------


@settings(deadline=None, derandomize=True, max_examples=60)
@given(
    a=text_strategy(60),
    b=text_strategy(60),
    k=st.integers(1, 6),
    min_tokens=st.none() | st.integers(1, 20),
    gap=st.none() | st.integers(0, 20),
    share=st.booleans(),
)
def test_any_text_never_raises_and_passages_are_well_formed(
    a: str, b: str, k: int, min_tokens: int | None, gap: int | None, share: bool
) -> None:
    if share:
        b = b + a + b
    c = tp.compare(a, b, k=k, min_tokens=min_tokens, gap=gap)
    end = 0
    for p in c.passages:
        assert isinstance(p, tp.Passage)
        assert end <= p.query_start < p.query_end <= len(a)  # ordered, disjoint in the query
        assert 0 <= p.source_start < p.source_end <= len(b)
        end = p.query_end
    assert 0.0 <= c.containment <= 1.0
    assert 0.0 <= c.source_containment <= 1.0
    assert 0.0 <= c.jaccard <= 1.0
    assert (c.containment > 0.0) == bool(c.passages)
    assert (c.source_containment > 0.0) == bool(c.passages)
    assert c.params.k == k
    assert c.params.gap == (3 * k if gap is None else gap)
    assert c.params.min_tokens == min_tokens


def test_min_tokens_lets_a_short_copy_through() -> None:
    src, host = source_and_host("zh")
    piece = src[300:312]  # 12 characters: below the default of 16
    query = insert(host, 400, piece)
    assert tp.compare(query, src).passages == ()
    c = tp.compare(query, src, min_tokens=8)
    assert len(c.passages) == 1
    assert deviation(c.passages[0], (400, 412, 300, 312)) <= TOLERANCE


# ---------------------------------------------------------------------------------------------
# Errors and results
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [None, b"bytes", 42, 1.5, ["a list"], np.array(["x"])])
@pytest.mark.parametrize("side", ["query", "source"])
def test_non_str_input_raises_invalid_input(bad: object, side: str) -> None:
    args = [bad, "text"] if side == "query" else ["text", bad]
    with pytest.raises(tp.InvalidInputError, match=side):
        tp.compare(*args)  # type: ignore[arg-type]
    assert issubclass(tp.InvalidInputError, TypeError)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("k", 0),
        ("k", -1),
        ("k", 1.5),
        ("k", True),
        ("k", "5"),
        ("k", None),
        ("min_tokens", 0),
        ("min_tokens", -2),
        ("min_tokens", 2.0),
        ("min_tokens", False),
        ("gap", -1),
        ("gap", 1.5),
        ("gap", "3"),
        ("seed", -1),
        ("seed", 1 << 64),
    ],
)
def test_bad_parameters_raise_invalid_parameter(name: str, value: object) -> None:
    with pytest.raises(tp.InvalidParameterError, match=name):
        tp.compare("天下大势，分久必合", "天下大势，分久必合", **{name: value})  # type: ignore[arg-type]
    assert issubclass(tp.InvalidParameterError, ValueError)


def test_results_are_frozen() -> None:
    src, host = source_and_host("zh")
    c = tp.compare(insert(host, 100, src[:300]), src)
    assert isinstance(c, tp.Comparison)
    assert isinstance(c.passages, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.containment = 0.5  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.passages = ()  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        c.extra = 1  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        c.passages[0].query_start = 0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.params.k = 7  # type: ignore[misc]
