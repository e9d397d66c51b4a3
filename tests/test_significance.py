"""The E-value of a hit (registry/_significance.py): the fast kernel against a slow reference,
its properties, and what a check reports."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import textprint as tp
from textprint.registry import _significance as significance

# ---------------------------------------------------------------------------------------------
# A slow reference: the module docstring's definitions, one seed at a time, in Python numbers


def reference_cdf(sizes: list[int], n: int) -> float:
    """The size-biased distribution of work sizes, binned as RegistrySizes bins them."""

    def bin_of(t: float) -> int:
        return min(max(math.floor(math.log(max(t, 1)) / math.log(significance.SIZE_STEP)), 0), 95)

    total = sum(max(t, 1) for t in sizes)
    b = bin_of(n)
    below = sum(max(t, 1) for t in sizes if bin_of(max(t, 1)) < b)
    inside = sum(max(t, 1) for t in sizes if bin_of(max(t, 1)) == b)
    frac = min(max(math.log(max(n, 1)) / math.log(significance.SIZE_STEP) - b, 0.0), 1.0)
    return (below + inside * frac) / total


def reference_levels(
    seeds: list[tuple[int, int, float, int]],
    df: list[int],
    w_tokens: list[int],
    registry: list[int],
    gap: int,
) -> tuple[list[int], list[float]]:
    """(c, rarity) per work from seeds (work, text token, work token, key)."""
    n_works = len(w_tokens)
    best: list[tuple[int, int]] = [(0, 2**63 - 1)] * n_works  # (c, d), compared as (c, -d)
    for offset in (0.0, 0.5):
        bands: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
        for w, q, wt, key in seeds:
            band = math.floor((wt - q) / significance.DIAGONAL_TOKENS + offset)
            bands[(w, band)].append((q, key))
        for (w, _), members in bands.items():
            members.sort()
            segment: list[tuple[int, int]] = []
            for q, key in [*members, (None, None)]:  # type: ignore[list-item]
                if segment and (q is None or q - segment[-1][0] > gap):
                    keys = {k for _, k in segment}
                    c, d = len(keys), min(df[k] for k in keys)
                    if (c, -d) > (best[w][0], -best[w][1]):
                        best[w] = (c, d)
                    segment = []
                if q is not None:
                    segment.append((q, key))
    rarity = []
    for w in range(n_works):
        less = sum(1 for v in best if v[1] < best[w][1])
        tied = sum(1 for v in best if v[1] == best[w][1])
        rarity.append((less + tied * reference_cdf(registry, w_tokens[w])) / n_works)
    return [b[0] for b in best], rarity


def reference_evalue(
    c: int, rarity: float, expected: float, model: significance.ChanceModel
) -> float:
    def g(x: int) -> float:
        if x <= 1:
            return 1.0
        return model.a * ((1 - model.w) * model.rho ** (x - 2) + model.w * model.sigma ** (x - 2))

    rarity_c = 1.0 - (1.0 - rarity) ** c  # the rarest of c keys
    return expected * (g(c + 1) + (g(c) - g(c + 1)) * rarity_c)


#: The shipped models and one of a single geometric tail (w = 0).
TEST_MODELS = [*significance.MODELS.values(), significance.ChanceModel(1e-8, 0.05, 0.3)]


@st.composite
def seed_sets(
    draw: st.DrawFn,
) -> tuple[list[tuple[int, int, float, int]], list[int], list[int], list[int]]:
    n_works = draw(st.integers(1, 6))
    n_keys = draw(st.integers(1, 12))
    df = draw(st.lists(st.integers(1, 9), min_size=n_keys, max_size=n_keys))
    w_tokens = draw(st.lists(st.integers(5, 400), min_size=n_works, max_size=n_works))
    registry = draw(st.lists(st.integers(0, 5000), min_size=1, max_size=30))
    seeds = draw(
        st.lists(
            st.tuples(
                st.integers(0, n_works - 1),
                st.integers(0, 120),
                st.integers(0, 400).map(float),
                st.integers(0, n_keys - 1),
            ),
            min_size=1,
            max_size=40,
        )
    )
    used = sorted({s[0] for s in seeds})
    # every work given holds a seed (works come from the seeds in a check)
    remap = {w: i for i, w in enumerate(used)}
    seeds = [(remap[w], q, wt, k) for w, q, wt, k in seeds]
    return seeds, df, [w_tokens[w] for w in used], registry + [w_tokens[w] for w in used]


@settings(max_examples=200, deadline=None)
@given(seed_sets(), st.integers(1, 30), st.integers(1, 5000))
def test_levels_and_evalues_equal_the_reference(
    data: tuple[list[tuple[int, int, float, int]], list[int], list[int], list[int]],
    gap: int,
    n_keys: int,
) -> None:
    seeds, df, w_tokens, registry = data
    w_idx = np.array([s[0] for s in seeds], np.int64)
    q = np.array([s[1] for s in seeds], np.int64)
    w_token = np.array([s[2] for s in seeds], np.float64)
    key = np.array([s[3] for s in seeds], np.int64)
    sizes = significance.RegistrySizes.of(np.array(registry, np.int64))
    # work characters = tokens: one character per token, so work offsets are token offsets
    c, rarity = significance.work_levels(
        w_idx,
        q,
        w_token.astype(np.int64),
        key,
        np.array(df, np.int64),
        np.array(w_tokens, np.int64),
        np.array(w_tokens, np.int64),
        sizes,
        gap=gap,
    )
    want_c, want_rarity = reference_levels(seeds, df, w_tokens, registry, gap)
    assert c.tolist() == want_c
    assert rarity.tolist() == pytest.approx(want_rarity, rel=1e-9, abs=1e-12)
    for model in TEST_MODELS:
        expected = significance.expected_sharing(n_keys, sizes, model)
        assert expected == pytest.approx(model.kappa * n_keys * sum(max(t, 1) for t in registry))
        e = significance.evalues(c, rarity, expected, model)
        want = [reference_evalue(ci, r, expected, model) for ci, r in zip(want_c, want_rarity)]
        assert e.tolist() == pytest.approx(want, rel=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 10**7), min_size=1, max_size=50), st.lists(st.integers(0, 10**7)))
def test_the_size_distribution_is_a_distribution(registry: list[int], at: list[int]) -> None:
    sizes = significance.RegistrySizes.of(np.array(registry, np.int64))
    assert sizes.total_tokens == sum(max(t, 1) for t in registry)
    halves = [
        significance.RegistrySizes.of(np.array(registry[: len(registry) // 2], np.int64)),
        significance.RegistrySizes.of(np.array(registry[len(registry) // 2 :], np.int64)),
    ]
    assert significance.RegistrySizes.combine(halves).total_tokens == sizes.total_tokens
    assert significance.RegistrySizes.combine(halves).mass == pytest.approx(sizes.mass)
    cdf = sizes.cdf(np.array(sorted(at), np.int64))
    assert ((cdf >= 0) & (cdf <= 1)).all()
    assert (np.diff(cdf) >= -1e-12).all()
    assert sizes.cdf(np.array([2**30], np.int64))[0] == pytest.approx(1.0)
    for n in at[:5]:
        assert sizes.cdf(np.array([n], np.int64))[0] == pytest.approx(reference_cdf(registry, n))


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 200), st.floats(0.01, 1000), st.sampled_from(sorted(significance.MODELS)))
def test_stronger_evidence_has_a_smaller_evalue(c: int, expected: float, name: str) -> None:
    """More keys in a segment beat any rarity; within a level a rarer work beats a commoner
    one; the weakest evidence (one seed, the commonest) expects every work sharing a seed."""
    model = significance.MODELS[name]
    cs = np.full(3, c, np.int64)
    e = significance.evalues(cs, np.array([0.0, 0.5, 1.0]), expected, model)
    assert 0 <= e[0] <= e[1] <= e[2]
    stronger = significance.evalues(np.array([c + 1], np.int64), np.array([1.0]), expected, model)
    assert stronger[0] <= e[0] * (1 + 1e-12)
    weakest = significance.evalues(np.array([1], np.int64), np.array([1.0]), expected, model)
    assert weakest[0] == pytest.approx(expected)


@pytest.mark.parametrize("model", TEST_MODELS)
@pytest.mark.parametrize("c", [1, 2, 3, 8])
def test_within_a_level_the_evalue_is_uniform_under_chance(
    model: significance.ChanceModel, c: int
) -> None:
    """Under chance, the rarest key of a segment of c keys ranks as the least of c uniform
    draws; the E-values of such works spread evenly between the level's bounds, so that a
    share q of them lies below ``Lambda (g(c + 1) + (g(c) - g(c + 1)) q)``."""
    rng = np.random.default_rng(15)
    rarity = rng.random((20000, c)).min(axis=1)
    e = significance.evalues(np.full(len(rarity), c, np.int64), rarity, 3.0, model)
    top = significance.evalues(np.array([c], np.int64), np.array([1.0]), 3.0, model)[0]
    bottom = significance.evalues(np.array([c], np.int64), np.array([0.0]), 3.0, model)[0]
    for q in (0.1, 0.5, 0.9):
        share = float((e <= bottom + (top - bottom) * q).mean())
        assert share == pytest.approx(q, abs=0.015)


def test_a_long_copy_underflows_to_zero_not_to_an_error() -> None:
    e = significance.evalues(
        np.array([5000], np.int64), np.array([1.0]), 10.0, significance.MODELS["zh"]
    )
    assert e.tolist() == [0.0]


def test_the_model_follows_the_text() -> None:
    assert significance.model_of(cjk=False, ja=False) == "words"
    assert significance.model_of(cjk=True, ja=False) == "zh"
    assert significance.model_of(cjk=True, ja=True) == "ja"


# ---------------------------------------------------------------------------------------------
# Through a check

WORK = (
    "话说天下大势，分久必合，合久必分。周末七国分争，并入于秦。及秦灭之后，楚、汉分争，又并入于汉。"
    "汉朝自高祖斩白蛇而起义，一统天下，后来光武中兴，传至献帝，遂分为三国。推其致乱之由，"
    "殆始于桓、灵二帝。桓帝禁锢善类，崇信宦官。及桓帝崩，灵帝即位，大将军窦武、太傅陈蕃共相辅佐。"
)
OTHER = (
    "今天天气很好，我们一起去公园散步，看见很多人在湖边钓鱼，孩子们在草地上放风筝，"
    "老人们坐在长椅上聊天，小狗在树下追着自己的尾巴跑来跑去，一片热闹的景象。"
)


def test_a_check_reports_the_evalue_of_the_candidate() -> None:
    with tp.Registry() as reg:
        reg.register("w", WORK)
        reg.register("o", OTHER)
        long_copy = reg.check("开头几个字。" + WORK[:150] + "结尾。")
        short_copy = reg.check(WORK[:40], min_chars=0, min_containment=0.0)
    (h,) = long_copy
    assert h.evalue is not None
    assert h.evalue < 1e-12
    (s,) = short_copy
    assert s.evalue is not None
    assert h.evalue < s.evalue < 1e-3
