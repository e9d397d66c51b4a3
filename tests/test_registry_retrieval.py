"""Tests of textprint.Registry: retrieval on real text: partial, whole, washed and unrelated copies.

API.md promises: one Hit per copied work, sorted by copied query characters; passages within 5
characters of the truth on a verbatim copy; about 200 CJK characters or 40 words reported by
default, or most of a short work; nothing for unrelated text. The copies are slices of a
registered fixture inserted into another of the same language (tests/_registry_texts.py).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import textprint as tp
from _registry_texts import EN, EN2, JA, JA2, JA_OLD, ZH, ZH2, ZWSP, song_ci, tang_poems
from helpers import TOLERANCE, cut_at_space, deviation, fullwidth, ids, word_span

# -- retrieval ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "work_id", "work", "host", "span"),
    [
        ("zh", "zh", ZH, ZH2, (600, 850)),
        ("zh-short", "zh", ZH, ZH2, (1100, 1320)),
        ("ja", "ja", JA, JA2, (500, 760)),
        ("en", "en", EN, EN2, word_span(EN, 300, 45)),
    ],
)
def test_partial_copy_is_found_with_exact_passages(
    fixture_registry: tp.Registry,
    lang: str,
    work_id: str,
    work: str,
    host: str,
    span: tuple[int, int],
) -> None:
    a, b = span
    copy = work[a:b]
    if lang == "en":
        pre, post_ = cut_at_space(host, 600) + " ", " " + host[1000:1500]
    else:
        pre, post_ = host[:300], host[300:600]
    post = pre + copy + post_
    hits = fixture_registry.check(post)
    assert ids(hits) == [work_id]
    (p,) = hits[0].passages
    truth = (len(pre), len(pre) + len(copy), a, b)
    assert deviation(p, truth) <= TOLERANCE, (p, truth)
    assert hits[0].copied_chars == pytest.approx(len(copy), abs=2 * TOLERANCE)


def test_post_copying_several_works_lists_each_sorted_by_copied_chars(
    fixture_registry: tp.Registry,
) -> None:
    zh_copy, ja_copy = ZH[100:600], JA[200:550]
    ea, eb = word_span(EN, 500, 45)
    en_copy = EN[ea:eb]
    parts = [ZH2[:100], zh_copy, "\n", JA2[:100], ja_copy, "\n", cut_at_space(EN2, 300) + " "]
    parts += [en_copy, " " + EN2[2000:2200]]
    post = "".join(parts)
    starts = {
        "zh": post.index(zh_copy),
        "ja": post.index(ja_copy),
        "en": post.index(en_copy),
    }
    copies = {"zh": zh_copy, "ja": ja_copy, "en": en_copy}
    sources = {"zh": (100, 600), "ja": (200, 550), "en": (ea, eb)}
    assert len(zh_copy) > len(ja_copy) > len(en_copy)
    hits = fixture_registry.check(post)
    assert ids(hits) == ["zh", "ja", "en"]
    assert [h.copied_chars for h in hits] == sorted((h.copied_chars for h in hits), reverse=True)
    for h in hits:
        wid = str(h.work_id)
        (p,) = h.passages
        truth = (starts[wid], starts[wid] + len(copies[wid]), *sources[wid])
        assert deviation(p, truth) <= TOLERANCE, (wid, p, truth)
    assert ids(fixture_registry.check(post, top_k=1)) == ["zh"]
    assert ids(fixture_registry.check(post, top_k=2)) == ["zh", "ja"]
    assert ids(fixture_registry.check(post, top_k=10)) == ["zh", "ja", "en"]


def test_post_copying_twenty_five_works_lists_all_of_them() -> None:
    reg = tp.Registry()
    works = [(f"en-{i:02d}", EN[i * 250 : i * 250 + 250]) for i in range(25)]
    reg.register_many(works)
    post = "\n\n".join(text for _, text in works)
    assert sorted(ids(reg.check(post, top_k=100))) == [w for w, _ in works]


def test_work_inside_a_text_five_times_longer_is_found() -> None:
    reg = tp.Registry()
    work = JA[:400]
    reg.register("rashomon-opening", work)
    post = JA2[:800] + work + ZH2[:800]
    assert len(post) >= 5 * len(work)
    (hit,) = reg.check(post)
    assert hit.work_id == "rashomon-opening"
    assert hit.source_containment >= 0.95
    assert hit.containment == pytest.approx(0.2, abs=0.1)
    (p,) = hit.passages
    assert deviation(p, (800, 1200, 0, 400)) <= TOLERANCE


@pytest.mark.parametrize("index", [0, 2, 4])
def test_whole_short_poem_copied_is_found(fixture_registry: tp.Registry, index: int) -> None:
    poem = tang_poems()[index]
    text = poem["text"]
    assert len(text) < 100  # far below the default 200 characters: the short-work rule
    post = "今天读到一首好诗，分享给大家：\n" + text + "\n真是千古名句，百读不厌。"
    hits = fixture_registry.check(post)
    assert ids(hits) == [poem["id"]]
    assert hits[0].source_containment >= 0.9
    assert hits[0].metadata == {"title": poem["title"], "author": poem["author"]}
    (p,) = hits[0].passages
    start = post.index(text)
    assert deviation(p, (start, start + len(text), 0, len(text))) <= TOLERANCE


def test_whole_song_ci_copied_in_traditional_is_found(
    fixture_registry: tp.Registry, opencc_convert: Callable[[str, str], str]
) -> None:
    ci = song_ci()[1]
    post = "轉載：" + opencc_convert("s2t", ci["text"]) + "（完）"
    assert ids(fixture_registry.check(post)) == [ci["id"]]


def test_other_tang_poems_are_not_reported(fixture_registry: tp.Registry) -> None:
    others = tang_poems()[5:]
    assert len(others) == 15
    results = fixture_registry.check_many([p["text"] for p in others])
    assert results == [[] for _ in others]
    # even all of them in one post, and without the default minimum
    assert fixture_registry.check("\n".join(p["text"] for p in others), min_chars=30) == []


@pytest.mark.parametrize("text", [ZH2, JA2, EN2], ids=["zh", "ja", "en"])
def test_unrelated_text_of_the_same_genre_gives_nothing(
    fixture_registry: tp.Registry, text: str
) -> None:
    assert fixture_registry.check(text) == []
    assert fixture_registry.check(text, min_chars=50) == []


def test_old_orthography_edition_is_found(fixture_registry: tp.Registry) -> None:
    hits = fixture_registry.check(JA_OLD[:600])
    assert ids(hits) == ["ja"]
    assert hits[0].containment >= 0.8


def test_traditional_copy_is_found(
    fixture_registry: tp.Registry, opencc_convert: Callable[[str, str], str]
) -> None:
    copy = opencc_convert("s2t", ZH[600:850])
    assert copy != ZH[600:850]
    post = opencc_convert("s2t", ZH2[:300]) + copy + opencc_convert("s2t", ZH2[300:500])
    hits = fixture_registry.check(post)
    assert ids(hits) == ["zh"]
    (p,) = hits[0].passages
    assert deviation(p, (300, 300 + len(copy), 600, 850)) <= TOLERANCE


def test_fullwidth_copy_is_found(fixture_registry: tp.Registry) -> None:
    a, b = word_span(EN, 300, 45)
    copy = fullwidth(EN[a:b])
    pre = cut_at_space(EN2, 600) + " "
    post = pre + copy + " " + EN2[1000:1400]
    hits = fixture_registry.check(post)
    assert ids(hits) == ["en"]
    (p,) = hits[0].passages
    assert deviation(p, (len(pre), len(pre) + len(copy), a, b)) <= TOLERANCE


@pytest.mark.parametrize(("work_id", "work", "host"), [("zh", ZH, ZH2), ("ja", JA, JA2)])
def test_zero_width_copy_is_found(
    fixture_registry: tp.Registry, work_id: str, work: str, host: str
) -> None:
    copy = ZWSP.join(work[600:850])
    post = host[:300] + copy + host[300:500]
    hits = fixture_registry.check(post)
    assert ids(hits) == [work_id]
    (p,) = hits[0].passages
    assert deviation(p, (300, 300 + len(copy), 600, 850)) <= TOLERANCE


def test_default_minimum_and_min_chars(fixture_registry: tp.Registry) -> None:
    post = ZH2[:300] + ZH[700:800] + ZH2[300:500]  # 100 characters of a 1,538-character work
    assert fixture_registry.check(post) == []
    hits = fixture_registry.check(post, min_chars=50)
    assert ids(hits) == ["zh"]
    (p,) = hits[0].passages
    assert deviation(p, (300, 400, 700, 800)) <= TOLERANCE
    # 40 words of English are reported by default, 15 are not
    a, b = word_span(EN, 100, 15)
    pre = cut_at_space(EN2, 500) + " "
    assert fixture_registry.check(pre + EN[a:b] + " " + EN2[900:1200]) == []
    assert ids(fixture_registry.check(pre + EN[a:b] + " " + EN2[900:1200], min_chars=50)) == ["en"]


def test_min_containment_controls_the_short_work_rule(fixture_registry: tp.Registry) -> None:
    ci = max(song_ci()[:5], key=lambda p: len(p["text"]))
    part = ci["text"][: len(ci["text"]) * 7 // 10]
    assert len(part) < 200
    post = "分享：" + part
    (hit,) = fixture_registry.check(post)
    assert hit.work_id == ci["id"]
    assert 0.5 <= hit.source_containment < 0.9
    assert fixture_registry.check(post, min_containment=0.9) == []
    assert ids(fixture_registry.check(post, min_containment=0.9, min_chars=50)) == [ci["id"]]
