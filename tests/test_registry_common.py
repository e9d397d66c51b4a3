"""Tests of textprint.Registry: common-phrase suppression and editions of one work.

Fingerprints found in many unrelated works (at least ``max(50, 0.1%)`` of the clusters of
near-duplicate works) are not evidence; editions of one work form one cluster and are never
"common" because of each other. The exact limits are in test_registry_boundaries.py.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import textprint as tp
import textprint.registry._candidates
from _registry_texts import EN, EN2, FOOTER_EN, FOOTER_EN_LONG, FOOTER_ZH, JA, JA2, JA_OLD, ZH, ZH2
from _registry_worker import assert_index_consistent
from helpers import TOLERANCE, deviation, ids
from textprint.registry._candidates import MAX_CANDIDATES

# -- common phrases and editions -------------------------------------------------------------


def footer_bodies(n: int) -> list[str]:
    """`n` distinct bodies: disjoint windows of the fixtures (not of JA, used for editions)."""
    bodies: list[str] = []
    for text, size in ((ZH, 150), (ZH2, 150), (JA2, 150), (EN, 300), (EN2, 300)):
        bodies += [text[i : i + size] for i in range(0, len(text) - size + 1, size)]
    assert len(bodies) >= n
    return bodies[:n]


def register_footer_works(reg: tp.Registry, n: int, footer: str, start: int = 0) -> list[str]:
    items = [(f"footer-{i:03d}", body + "\n" + footer) for i, body in enumerate(footer_bodies(n))]
    reg.register_many(items[start:])
    return [w for w, _ in items]


@pytest.mark.parametrize("footer", [FOOTER_ZH, FOOTER_EN], ids=["zh", "en"])
def test_licence_footer_in_many_works_is_not_evidence(registry_path: Path, footer: str) -> None:
    reg = tp.Registry(registry_path)
    register_footer_works(reg, 10, footer)
    # in a few works the footer is ordinary evidence: found when asked for short copies
    control = reg.check(footer, min_chars=20)
    assert len(control) == 10
    register_footer_works(reg, 64, footer, start=10)
    assert len(reg) == 64
    assert reg.check(footer) == []
    assert reg.check(footer, min_chars=20) == []
    assert reg.check(footer, min_chars=1, min_containment=0.0) == []
    # a copy of one work with its footer finds that work only
    body = footer_bodies(64)[37]
    hits = reg.check("转载：\n" + body + "\n" + footer)
    assert ids(hits) == ["footer-037"]
    reg.close()
    assert_index_consistent(registry_path)


def test_long_licence_footer_after_a_copied_work_is_not_evidence() -> None:
    reg = tp.Registry()
    register_footer_works(reg, 64, FOOTER_EN_LONG)
    assert reg.check(FOOTER_EN_LONG) == []  # the footer alone: nothing
    body = footer_bodies(64)[37]
    # the copied work, with the footer it ends with: that work only, not every work with it
    assert ids(reg.check("转载：\n" + body + "\n" + FOOTER_EN_LONG)) == ["footer-037"]


EDITION = JA[:900]


def edition_texts(kind: str, n: int) -> list[str]:
    if kind == "identical":
        return [EDITION] * n
    # near-identical editions: a header and one inserted note differ
    return [
        f"【第{i + 1}版】\n" + EDITION[:300] + f"（校訂{i + 1}）" + EDITION[300:] for i in range(n)
    ]


@pytest.mark.parametrize("kind", ["identical", "near-identical"])
def test_work_in_sixty_editions_stays_findable(registry_path: Path, kind: str) -> None:
    reg = tp.Registry(registry_path)
    register_footer_works(reg, 64, FOOTER_ZH)
    texts = edition_texts(kind, 60)
    reg.register_many([(f"ed-{i:02d}", t) for i, t in enumerate(texts)], batch_size=16)
    copy = EDITION[450:700]
    post = JA2[:300] + copy + JA2[300:500]
    hits = reg.check(post)
    assert hits, "a work registered in 60 editions must stay findable"
    assert all(str(h.work_id).startswith("ed-") for h in hits)
    # at most MAX_CANDIDATES works are verified per text, unless top_k asks for more
    assert len(hits) == MAX_CANDIDATES
    assert sorted(ids(reg.check(post, top_k=60))) == [f"ed-{i:02d}" for i in range(60)]
    for h in hits:
        at = texts[int(str(h.work_id)[3:])].index(copy)
        assert deviation(h.passages[0], (300, 550, at, at + len(copy))) <= TOLERANCE
    # the footer is still common
    assert reg.check(FOOTER_ZH, min_chars=20) == []
    # re-registering every edition keeps it findable
    reg.register_many([(f"ed-{i:02d}", t) for i, t in enumerate(texts)], batch_size=7, replace=True)
    assert len(reg) == 124
    assert reg.check(post)
    # and so does re-registering some one by one
    for i in range(0, 60, 12):
        reg.register(f"ed-{i:02d}", texts[i], {"pass": 2}, replace=True)
    hits = reg.check(post)
    assert hits
    assert all(str(h.work_id).startswith("ed-") for h in hits)
    reg.close()
    assert_index_consistent(registry_path)


def test_removing_editions_keeps_the_rest_findable(registry_path: Path) -> None:
    reg = tp.Registry(registry_path)
    reg.register_many([(f"ed-{i:02d}", EDITION) for i in range(60)])
    post = JA2[:300] + EDITION[450:700] + JA2[300:500]
    for i in range(0, 59, 2):  # the cluster's first member goes first
        reg.remove(f"ed-{i:02d}")
    assert reg.check(post)
    for i in range(1, 59, 2):
        reg.remove(f"ed-{i:02d}")
    assert ids(reg.check(post)) == ["ed-59"]
    reg.close()
    assert_index_consistent(registry_path)


#: Texts for random registration sequences: two works, each in three editions (one cluster
#: each), and an unrelated third work.
_POOL = [
    *edition_texts("near-identical", 3),
    *[f"{i}. " + JA2[:400] + "。" * i + JA2[400:700] for i in range(3)],
    JA_OLD[:500],
]
_OPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("register"),
            st.lists(
                st.tuples(st.integers(0, 5), st.integers(0, len(_POOL) - 1)),
                min_size=1,
                max_size=5,
                unique_by=lambda t: t[0],
            ),
        ),
        st.tuples(st.just("remove"), st.integers(0, 5)),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=25, deadline=None)
@given(_OPS)
def test_index_stays_consistent_over_any_registration_sequence(ops: list[Any]) -> None:
    # batches with several editions of one work, re-registrations (replace) and removals: df
    # must always count each fingerprint once per cluster (the plain-SQL reference)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "works.db"
        with tp.Registry(path, n_hashes=32) as reg:
            for op, arg in ops:
                if op == "register":
                    reg.register_many([(f"w{i}", _POOL[t]) for i, t in arg], replace=True)
                elif f"w{arg}" in reg:
                    reg.remove(f"w{arg}")
        assert_index_consistent(path)


def test_common_limit_follows_the_registrys_own_registrations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the share at 1% (the default 0.1% needs 50,000 clusters to pass the minimum of 50)
    monkeypatch.setattr(textprint.registry._candidates, "COMMON_SHARE", 0.01)
    reg = tp.Registry()
    register_footer_works(reg, 55, FOOTER_ZH)
    # 55 of 55 clusters hold the footer: common (limit max(50, 1%) = 50)
    assert reg.check(FOOTER_ZH, min_chars=20) == []
    # 6,000 more works (each its own cluster): the limit becomes ceil(1% of 6,055) = 61 > 55,
    # so the footer is no longer common. Empty texts are cheap distinct works.
    fillers = [(f"filler-{i}", "") for i in range(6000)]
    reg.register_many(fillers, batch_size=6000, too_short="accept")
    fresh = tp.Registry()
    register_footer_works(fresh, 55, FOOTER_ZH)
    fresh.register_many(fillers, batch_size=6000, too_short="accept")
    expected = ids(fresh.check(FOOTER_ZH, min_chars=20))
    assert len(expected) >= 10  # premise: in 55 of 6,055 works the footer is evidence
    assert ids(reg.check(FOOTER_ZH, min_chars=20)) == expected
