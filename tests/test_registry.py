"""Tests of textprint.Registry: the API, retrieval on real text, common-phrase suppression,
persistence and the SQLite file format.

Copies are made by inserting a slice of a registered fixture (the work) into an unrelated
fixture of the same language (the host), so the true passage is known in both texts. API.md
promises: one Hit per copied work, sorted by copied query characters; passages within 5
characters of the truth on a verbatim copy; about 200 CJK characters or 40 words reported by
default, or most of a short work; nothing for unrelated text. Fingerprints found in many
unrelated works (at least ``max(50, 0.1%)`` of the clusters of near-duplicate works) are not
evidence; editions of one work form one cluster and are never "common" because of each other.

Crash safety and concurrency are in ``test_registry_durability.py``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import pathlib
import pickle
import random
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import textprint as tp
import textprint.registry
import textprint.registry._candidates
import textprint.registry._long
import textprint.registry._registry
import textprint.registry._verify
from _registry_worker import assert_index_consistent, integrity, raw, work_text
from textprint.registry._candidates import MAX_CANDIDATES

FIXTURES = Path(__file__).parent / "fixtures"
TOLERANCE = 5
ZWSP = "\u200b"
#: A licence footer of about 60 characters that many unrelated works end with.
FOOTER_ZH = (
    "本作品采用知识共享署名-相同方式共享4.0国际许可协议进行许可。"
    "转载请注明作者与出处，并以相同方式共享，商业用途请另行联系。"
)
FOOTER_EN = "Licensed under CC BY-SA 4.0: credit the author, share alike."
#: A long licence footer (about 40 words: reported by default wherever it counts as evidence).
FOOTER_EN_LONG = (
    "This work is licensed under a Creative Commons Attribution-ShareAlike 4.0 "
    "International License. To view a copy of this license, visit the Creative Commons "
    "website or send a letter to Creative Commons, PO Box 1866, Mountain View, CA 94042."
)


@functools.cache
def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@functools.cache
def poems() -> list[dict[str, str]]:
    lines = (FIXTURES / "zh_poems.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def tang_poems() -> list[dict[str, str]]:
    return [p for p in poems() if p["id"].startswith("全唐诗")]


def song_ci() -> list[dict[str, str]]:
    return [p for p in poems() if p["id"].startswith("宋词")]


ZH, ZH2 = fixture("zh_novel.txt"), fixture("zh_novel_2.txt")
JA, JA2, JA_OLD = fixture("ja_aozora.txt"), fixture("ja_aozora_2.txt"), fixture("ja_aozora_old.txt")
EN, EN2 = fixture("en_gutenberg.txt"), fixture("en_gutenberg_2.txt")


def word_span(text: str, first: int, n_words: int) -> tuple[int, int]:
    """Character span of words ``first .. first+n_words-1`` of `text` (split on whitespace)."""
    words = list(re.finditer(r"\S+", text))
    return words[first].start(), words[first + n_words - 1].end()


def cut_at_space(text: str, n: int) -> str:
    """The first about `n` characters of `text`, ending at a whitespace."""
    return text[: text.rindex(" ", 0, n)]


def fullwidth(text: str) -> str:
    """ASCII to full-width forms (and the space to the ideographic space)."""
    return "".join(
        chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in text
    )


def deviation(p: tp.Passage, truth: tuple[int, int, int, int]) -> int:
    return max(abs(x - y) for x, y in zip(p, truth))


def ids(hits: list[tp.Hit]) -> list[str | int]:
    return [h.work_id for h in hits]


@pytest.fixture
def registry_path(tmp_path: Path) -> Path:
    return tmp_path / "works.db"


@pytest.fixture(scope="module")
def fixture_registry() -> Iterator[tp.Registry]:
    """An in-memory registry of the three long fixtures and five poems (read-only use)."""
    reg = tp.Registry()
    reg.register("zh", ZH, {"title": "红楼梦 第三回"})
    reg.register("ja", JA, {"title": "羅生門"})
    reg.register("en", EN, {"title": "A Scandal in Bohemia"})
    for p in tang_poems()[:5] + song_ci()[:5]:
        reg.register(p["id"], p["text"], {"title": p["title"], "author": p["author"]})
    yield reg
    reg.close()


# -- API ------------------------------------------------------------------------------------


def test_register_get_round_trip(registry_path: Path) -> None:
    before = datetime.now(timezone.utc)
    with tp.Registry(registry_path) as reg:
        reg.register("zh", ZH, {"title": "红楼梦", "chapter": 3, "tags": ["小说", None]})
        reg.register(42, EN)
        after = datetime.now(timezone.utc)
        w = reg.get("zh")
        assert isinstance(w, tp.Work)
        assert w.work_id == "zh"
        assert w.text == ZH
        assert w.metadata == {"title": "红楼梦", "chapter": 3, "tags": ["小说", None]}
        assert w.sha256 == hashlib.sha256(ZH.encode("utf-8")).hexdigest()
        assert w.registered_at.tzinfo is not None
        assert w.registered_at.utcoffset() == timedelta(0)
        assert before <= w.registered_at <= after
        w42 = reg.get(42)
        assert w42.work_id == 42
        assert isinstance(w42.work_id, int)
        assert w42.metadata is None
        assert w42.text == EN
        assert w42.sha256 == hashlib.sha256(EN.encode("utf-8")).hexdigest()
    # the same after reopening the file
    with tp.Registry(registry_path) as reg:
        assert reg.get("zh").text == ZH
        assert reg.get("zh").registered_at == w.registered_at
        assert reg.get(42).work_id == 42


def test_len_in_iter_and_remove() -> None:
    reg = tp.Registry()
    assert len(reg) == 0
    assert list(reg) == []
    order: list[str | int] = ["b", 3, "a", 1, "c"]
    for i, wid in enumerate(order):
        reg.register(wid, ZH[i * 200 : i * 200 + 200])
    assert len(reg) == 5
    assert list(reg) == order  # registration order, ids with their type
    assert "a" in reg
    assert 3 in reg
    assert "zzz" not in reg
    assert 99 not in reg
    for odd in (None, 1.5, b"a", ("a",), True):
        assert odd not in reg
    reg.remove("a")
    assert "a" not in reg
    assert len(reg) == 4
    assert list(reg) == ["b", 3, 1, "c"]
    with pytest.raises(tp.UnknownWorkError, match="'a'") as info:
        reg.remove("a")
    assert isinstance(info.value, KeyError)
    with pytest.raises(tp.UnknownWorkError):
        reg.get("a")
    with pytest.raises(KeyError):
        reg.get(12345)


def test_removed_work_is_no_longer_found() -> None:
    reg = tp.Registry()
    reg.register("zh", ZH)
    post = ZH2[:100] + ZH[300:600] + ZH2[100:200]
    assert ids(reg.check(post)) == ["zh"]
    reg.remove("zh")
    assert reg.check(post) == []


def test_register_many_with_and_without_metadata_returns_committed_ids() -> None:
    reg = tp.Registry()
    batches: list[list[str | int]] = []
    items: list[tuple[Any, ...]] = [
        ("p0", poems()[0]["text"]),
        (1, poems()[1]["text"], {"title": poems()[1]["title"]}),
        ("p2", poems()[2]["text"], None),
        (3, poems()[3]["text"], ["list", "metadata"]),
        ("p4", poems()[4]["text"]),
    ]
    done = reg.register_many(iter(items), batch_size=2, on_commit=batches.append)
    assert done == ["p0", 1, "p2", 3, "p4"]
    assert batches == [["p0", 1], ["p2", 3], ["p4"]]
    assert reg.get("p0").metadata is None
    assert reg.get(1).metadata == {"title": poems()[1]["title"]}
    assert reg.get(3).metadata == ["list", "metadata"]
    assert [reg.get(w).text for w in done] == [p["text"] for p in poems()[:5]]
    assert reg.register_many([]) == []


def test_register_many_failure_keeps_earlier_batches_only() -> None:
    reg = tp.Registry()
    reg.register("dup", "已经登记的作品。" * 5)
    acked: list[list[str | int]] = []
    items = [("a", ZH[:300]), ("b", ZH[300:600]), ("c", ZH[600:900]), ("dup", ZH[900:1200])]
    with pytest.raises(tp.DuplicateWorkError, match="dup"):
        reg.register_many(items, batch_size=2, on_commit=acked.append)
    assert acked == [["a", "b"]]
    assert list(reg) == ["dup", "a", "b"]  # the failed batch ("c", "dup") is rolled back whole
    assert reg.get("dup").text == "已经登记的作品。" * 5


def test_duplicate_ids_in_one_batch_raise() -> None:
    reg = tp.Registry()
    with pytest.raises(tp.DuplicateWorkError):
        reg.register_many([("x", "第一个文本。"), ("x", "第二个文本。")])
    assert len(reg) == 0


def test_duplicate_work_id_raises_unless_replace() -> None:
    reg = tp.Registry()
    reg.register("w", ZH[:500], {"v": 1})
    with pytest.raises(tp.DuplicateWorkError, match="replace=True") as info:
        reg.register("w", ZH[500:1000])
    assert isinstance(info.value, KeyError)
    assert reg.get("w").text == ZH[:500]
    reg.register("w", ZH[500:1000], {"v": 2}, replace=True)
    assert len(reg) == 1
    assert reg.get("w").text == ZH[500:1000]
    assert reg.get("w").metadata == {"v": 2}
    # the old text is no longer indexed, the new one is
    assert reg.check(ZH2[:50] + ZH[100:400] + ZH2[50:100]) == []
    assert ids(reg.check(ZH2[:50] + ZH[600:900] + ZH2[50:100])) == ["w"]
    reg.register_many([("w", ZH[:500])], replace=True)
    assert reg.get("w").text == ZH[:500]


@pytest.mark.parametrize(
    ("item", "error"),
    [
        ((None, "text"), tp.InvalidInputError),
        ((1.5, "text"), tp.InvalidInputError),
        ((True, "text"), tp.InvalidInputError),
        (("id", b"bytes"), tp.InvalidInputError),
        (("id", None), tp.InvalidInputError),
        (("id", "text", {"not": {1, 2}}), tp.InvalidInputError),
        (("id", "text", {"nan": float("nan")}), tp.InvalidInputError),
        (("id",), tp.InvalidInputError),
        ("a bare string", tp.InvalidInputError),
    ],
)
def test_bad_items_are_refused(item: Any, error: type[Exception]) -> None:
    reg = tp.Registry()
    with pytest.raises(error):
        reg.register_many([item])
    assert len(reg) == 0


def test_bad_arguments_are_refused() -> None:
    reg = tp.Registry()
    with pytest.raises(tp.InvalidInputError):
        reg.check(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(tp.InvalidInputError):
        reg.check_many("a bare str")
    with pytest.raises(tp.InvalidParameterError):
        reg.check("文本", top_k=0)
    with pytest.raises(tp.InvalidParameterError):
        reg.check("文本", min_chars=-1)
    with pytest.raises(tp.InvalidParameterError):
        reg.check("文本", min_containment=1.5)
    with pytest.raises(tp.InvalidParameterError):
        reg.register_many([("a", "文本")], batch_size=0)
    with pytest.raises(tp.InvalidParameterError):
        tp.Registry(k=0)
    with pytest.raises(tp.InvalidParameterError):
        tp.Registry(scheme="nope")


def test_empty_and_odd_texts_never_raise() -> None:
    reg = tp.Registry()
    reg.register("empty", "", too_short="accept")
    reg.register("surrogate", "孤立\ud800代理", too_short="accept")
    reg.register("pair", "两个\ud800\udc00孤立的代理项", too_short="accept")
    assert reg.get("pair").text == "两个\ud800\udc00孤立的代理项"  # not one astral character
    assert reg.get("empty").text == ""
    assert reg.get("surrogate").text == "孤立\ud800代理"
    assert reg.check("") == []
    assert reg.check_many([]) == []
    assert reg.check_many(["", "   ", "\ud800"]) == [[], [], []]
    assert len(reg) == 3


def test_ids_and_metadata_with_lone_surrogates_are_stored_losslessly(
    registry_path: Path,
) -> None:
    """A str that UTF-8 cannot encode is stored as a BLOB and read back as the same str."""
    pair = "\ud83d\ude00"  # two lone surrogates that would form a pair: not the emoji
    works = [
        ("a\ud800", ZH[:300]),
        (pair, ZH[300:600]),
        ("\U0001f600", ZH[600:900]),
        (7, ZH2[:300]),
    ]
    meta = {"title": "\udc80", pair: [pair, "\ud800x"]}
    with tp.Registry(registry_path) as reg:
        for work_id, text in works:
            reg.register(work_id, text, meta)
        reg.register("a\ud800", ZH[:300], meta, replace=True)
        with pytest.raises(tp.DuplicateWorkError):
            reg.register(pair, ZH[300:600])
    with tp.Registry(registry_path) as reg:
        assert list(reg) == [pair, "\U0001f600", 7, "a\ud800"]
        for work_id, text in works:
            assert work_id in reg
            got = reg.get(work_id)
            assert got.work_id == work_id
            assert got.text == text
            assert got.metadata == meta
        assert "\udc80" not in reg
        assert "a\udc80" not in reg
        hits = reg.check("转载：" + ZH[320:580] + "。完")
        assert ids(hits) == [pair]
        assert hits[0].metadata == meta
        reg.rebuild(k=4)  # ids and metadata survive a rebuild
        assert ids(reg.check("转载：" + ZH[320:580] + "。完")) == [pair]
        assert reg.get(pair).metadata == meta
        reg.remove(pair)
        assert pair not in reg
        assert "\U0001f600" in reg
        assert_index_consistent(registry_path)
    with raw(registry_path) as conn:
        # only the strings UTF-8 cannot hold are BLOBs
        kinds = dict(conn.execute("SELECT work_id, typeof(work_id) FROM works").fetchall())
        assert sorted(kinds.values()) == ["blob", "text", "text"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"path": 5}, tp.InvalidInputError, "path must be a str"),
        ({"path": b"works.db"}, tp.InvalidInputError, "os.fsdecode"),
        ({"path": "a\x00.db"}, tp.InvalidParameterError, "NUL"),
        ({"path": "a\ud800.db"}, tp.InvalidParameterError, "cannot be encoded"),
        ({"timeout": "x"}, tp.InvalidParameterError, "timeout='x' must be a number"),
        ({"timeout": -1}, tp.InvalidParameterError, "timeout=-1.0"),
        ({"timeout": float("nan")}, tp.InvalidParameterError, "timeout=nan"),
        (
            {"n_hashes": 1025},
            tp.InvalidParameterError,
            r"n_hashes=1025 must be an int in \[1, 1024\]",
        ),
        ({"scheme": "nope"}, tp.InvalidParameterError, "scheme='nope' must be one of"),
        ({"k": 0}, tp.InvalidParameterError, "k=0"),
    ],
)
def test_bad_constructor_arguments_leave_no_file(
    kwargs: dict[str, Any],
    error: type[Exception],
    match: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error, match=match):
        tp.Registry(**{"path": "works.db", **kwargs})
    assert list(tmp_path.iterdir()) == []


def test_bad_settings_for_an_existing_file_are_parameter_errors(registry_path: Path) -> None:
    with tp.Registry(registry_path) as reg:
        reg.register("zh", ZH[:300])
    with pytest.raises(tp.InvalidParameterError, match="n_hashes=4096"):
        tp.Registry(registry_path, n_hashes=4096)
    with tp.Registry(registry_path, timeout=0) as reg:
        assert ids(reg.check("转载：" + ZH[:300])) == ["zh"]


def test_register_many_needs_an_iterable_of_items() -> None:
    reg = tp.Registry()
    for items in (None, 5, "ab"):
        with pytest.raises(tp.InvalidInputError, match="items"):
            reg.register_many(items)  # type: ignore[arg-type]
    assert reg.register_many(iter([("a", "一段足够长的文本")])) == ["a"]


def test_check_many_equals_check(fixture_registry: tp.Registry) -> None:
    posts = [
        ZH2[:200] + ZH[300:550] + ZH2[200:400],
        JA2[:300] + JA[400:650],
        ZH2,
        "",
    ]
    many = fixture_registry.check_many(posts)
    assert len(many) == len(posts)
    for post, hits in zip(posts, many):
        one = fixture_registry.check(post)
        assert [(h.work_id, h.passages, h.copied_chars) for h in hits] == [
            (h.work_id, h.passages, h.copied_chars) for h in one
        ]


def test_ties_are_sorted_by_work_id() -> None:
    reg = tp.Registry()
    for wid in ["b", "c", "a"]:
        reg.register(wid, ZH[:500])
    assert ids(reg.check(ZH[:500])) == ["a", "b", "c"]


def test_ties_between_int_ids_are_sorted_numerically() -> None:
    reg = tp.Registry()
    for wid in [10, 9, 100]:
        reg.register(wid, ZH[:500])
    assert ids(reg.check(ZH[:500])) == [9, 10, 100]


def test_hit_fields(fixture_registry: tp.Registry) -> None:
    copy = ZH[300:550]
    post = ZH2[:200] + copy + ZH2[200:400]
    (hit,) = fixture_registry.check(post)
    assert isinstance(hit, tp.Hit)
    assert hit.work_id == "zh"
    assert hit.metadata == {"title": "红楼梦 第三回"}
    assert 0.0 < hit.containment <= 1.0
    assert 0.0 < hit.source_containment < 0.5  # 250 of 1,538 characters of the work
    assert 0.0 < hit.jaccard < hit.containment
    assert hit.copied_chars == sum(p.query_end - p.query_start for p in hit.passages)
    # containment is about the query's share: the copy is over a third of the post
    assert hit.containment == pytest.approx(len(copy) / len(post), abs=0.15)
    c = tp.compare(post, ZH)
    assert hit.passages == c.passages
    assert hit.containment == pytest.approx(c.containment)
    assert hit.source_containment == pytest.approx(c.source_containment)
    assert hit.jaccard == pytest.approx(c.jaccard)


def test_operations_after_close_raise_storage_error(registry_path: Path) -> None:
    reg = tp.Registry(registry_path)
    reg.register("a", ZH[:300])
    reg.close()
    reg.close()  # idempotent
    calls: list[Callable[[], object]] = [
        lambda: reg.register("b", ZH[300:600]),
        lambda: reg.register_many([("b", ZH[300:600])]),
        lambda: reg.check(ZH[:300]),
        lambda: reg.check_many([ZH[:300]]),
        lambda: reg.get("a"),
        lambda: reg.remove("a"),
        lambda: len(reg),
        lambda: "a" in reg,
        lambda: list(reg),
        lambda: reg.rebuild(),
    ]
    for call in calls:
        with pytest.raises(tp.StorageError, match="closed"):
            call()


def test_context_manager_closes(registry_path: Path) -> None:
    with tp.Registry(registry_path) as reg:
        assert isinstance(reg, tp.Registry)
        reg.register("a", ZH[:300])
    with pytest.raises(tp.StorageError):
        reg.check(ZH[:300])
    with pytest.raises(tp.StorageError):
        len(reg)
    with tp.Registry(registry_path) as again:
        assert list(again) == ["a"]


def test_unopenable_paths_raise_storage_error(tmp_path: Path) -> None:
    with pytest.raises(tp.StorageError):
        tp.Registry(tmp_path)  # a directory
    with pytest.raises(tp.StorageError):
        tp.Registry(tmp_path / "missing-dir" / "works.db")


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


# -- persistence and settings -----------------------------------------------------------------


SETTINGS: dict[str, Any] = {"k": 6, "window": 8, "n_hashes": 64, "seed": 3, "scheme": "classic"}


def test_reopening_adopts_the_manifest(registry_path: Path) -> None:
    with tp.Registry(registry_path, **SETTINGS) as reg:
        reg.register("zh", ZH)
        created = reg.manifest
    with tp.Registry(registry_path) as reg:
        m = reg.manifest
        assert m == created
        for name, value in SETTINGS.items():
            assert m[name] == str(value)
        assert m["format_version"] == "2"
        assert m["textprint_version"] == tp.__version__
        assert {"manifest", "works", "texts", "segments", "segment_blobs", "removed"} <= {
            key.split(".", 1)[1] for key in m if key.startswith("table_version.")
        }
        assert m["tokenizer_identity"].startswith(tp.tokenize("文本").tokenizer.split("+")[0])
        assert m["tokenizer_identity"] != "auto"
        assert m["normalization"]
        assert m["store_text"] == "True"
        for key in ("tables_version", "unicode_version", "opencc_version"):
            assert m[key]
        hits = reg.check(ZH2[:200] + ZH[300:600] + ZH2[200:300])
        assert ids(hits) == ["zh"]
        assert deviation(hits[0].passages[0], (200, 500, 300, 600)) <= TOLERANCE
    # explicitly passing the same settings is fine
    with tp.Registry(registry_path, **SETTINGS) as reg:
        assert len(reg) == 1


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("k", 5),
        ("window", 10),
        ("n_hashes", 128),
        ("seed", 0),
        ("scheme", "oph"),
        ("tokenizer", "jieba"),
        ("store_text", False),
    ],
)
def test_conflicting_settings_raise_naming_the_setting(
    registry_path: Path, name: str, value: Any
) -> None:
    tp.Registry(registry_path, **SETTINGS).close()
    with pytest.raises(tp.IncompatibleError, match=name) as info:
        tp.Registry(registry_path, **{name: value})
    assert isinstance(info.value, ValueError)
    msg = str(info.value)
    assert f"{name}={value!r}" in msg or f"{name}={value}" in msg
    if name in SETTINGS:
        assert f"{name}={SETTINGS[name]}" in msg  # and what the file has


def test_texts_are_stored_compressed(registry_path: Path) -> None:
    with tp.Registry(registry_path) as reg:
        reg.register("zh", ZH)
        reg.register("en", EN)
    with raw(registry_path) as conn:
        rowids = dict(conn.execute("SELECT work_id, rowid FROM works").fetchall())
        blobs = {
            wid: b"".join(
                bytes(d)
                for (d,) in conn.execute(
                    "SELECT data FROM texts WHERE id >= ? AND id < ? ORDER BY id",
                    (r << 24, (r + 1) << 24),
                )
            )
            for wid, r in rowids.items()
        }
    for wid, text in (("zh", ZH), ("en", EN)):
        plain = text.encode("utf-8")
        assert blobs[wid] != plain
        assert plain[:60] not in blobs[wid]
        assert text[:20].encode("utf-16-le") not in blobs[wid]
        assert len(blobs[wid]) < len(plain)


def test_store_text_false(registry_path: Path) -> None:
    with tp.Registry(registry_path, store_text=False) as reg:
        reg.register("zh", ZH, {"t": 1})
        reg.register("en", EN)
        reg.register("poem", tang_poems()[0]["text"])
        w = reg.get("zh")
        assert w.text is None
        assert w.metadata == {"t": 1}
        assert w.sha256 == hashlib.sha256(ZH.encode("utf-8")).hexdigest()
        with pytest.raises(tp.StorageError):
            reg.rebuild(k=7)
    with raw(registry_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM texts").fetchone() == (0,)
    with tp.Registry(registry_path) as reg:
        assert reg.manifest["store_text"] == "False"
        post = ZH2[:300] + ZH[600:850] + ZH2[300:600]
        hits = reg.check(post)  # 250 characters: coarse passages lose a few at each edge
        assert ids(hits) == ["zh"]
        # coarser passages, but inside the copy give or take a shingle window
        slack = 2 * int(reg.manifest["k"]) * int(reg.manifest["window"])
        assert hits[0].passages
        for p in hits[0].passages:
            assert 300 - slack <= p.query_start < p.query_end <= 550 + slack
            assert 600 - slack <= p.source_start < p.source_end <= 850 + slack
        assert 0.3 <= hits[0].copied_chars / 250 <= 1.3
        assert 0.0 <= hits[0].jaccard <= 1.0
        assert reg.check(ZH2) == []
        assert reg.check(EN2) == []
        a, b = word_span(EN, 300, 60)
        assert ids(reg.check(cut_at_space(EN2, 600) + " " + EN[a:b] + " " + EN2[900:1300])) == [
            "en"
        ]
        poem = tang_poems()[3]["text"]  # 將進酒, 215 characters
        reg.register("long-poem", poem)
        assert ids(reg.check("分享：" + poem + "（完）")) == ["long-poem"]
    with pytest.raises(tp.IncompatibleError, match="store_text"):
        tp.Registry(registry_path, store_text=True)


def test_store_text_false_does_not_chain_scattered_fragments() -> None:
    # seven 14-character fragments of the work, 60 characters apart in both texts: 98 copied
    # characters, below the 200 a hit needs. Chained across the gaps they would look like one
    # passage of 400 characters; with stored texts the alignment reports what is copied.
    frags = [ZH[600 + 60 * i : 614 + 60 * i] for i in range(7)]
    filler = [ZH2[300 + 46 * i : 346 + 46 * i] for i in range(7)]
    post = ZH2[:300] + "".join(f + g for f, g in zip(frags, filler)) + ZH2[700:900]
    for store_text in (True, False):
        with tp.Registry(store_text=store_text) as reg:
            reg.register("zh", ZH)
            assert reg.check(post) == [], f"store_text={store_text}"
            # a real copy of 250 characters is still one hit
            assert ids(reg.check(ZH2[:300] + ZH[600:850] + ZH2[300:600])) == ["zh"]


@pytest.mark.parametrize("index", [0, 2], ids=["jingyesi", "dengguanquelou"])
def test_store_text_false_finds_a_whole_copied_short_poem(index: int) -> None:
    reg = tp.Registry(store_text=False)
    poem = tang_poems()[index]
    reg.register(poem["id"], poem["text"])
    assert ids(reg.check("分享：" + poem["text"] + "（完）")) == [poem["id"]]


def test_rebuild_with_other_settings(registry_path: Path) -> None:
    with tp.Registry(registry_path) as reg:
        reg.register_many([("zh", ZH, {"m": 1}), (7, JA), ("en", EN)])
        before = {w: reg.get(w) for w in reg}
        reg.rebuild(k=7)
        assert reg.manifest["k"] == "7"
        assert list(reg) == ["zh", 7, "en"]
        for wid, w in before.items():
            after = reg.get(wid)
            assert (after.text, after.metadata, after.registered_at, after.sha256) == (
                w.text,
                w.metadata,
                w.registered_at,
                w.sha256,
            )
        post = ZH2[:200] + ZH[300:600] + ZH2[200:300]
        assert ids(reg.check(post)) == ["zh"]
    assert_index_consistent(registry_path)
    with tp.Registry(registry_path) as reg:
        assert reg.manifest["k"] == "7"
        assert ids(reg.check(post)) == ["zh"]
        assert ids(reg.check(JA2[:200] + JA[300:600])) == [7]
    with pytest.raises(tp.IncompatibleError, match="k=5"):
        tp.Registry(registry_path, k=5)


def test_rebuild_with_bad_settings_changes_nothing(registry_path: Path) -> None:
    with tp.Registry(registry_path) as reg:
        reg.register_many([("zh", ZH), ("ja", JA)])
        manifest = reg.manifest
        for bad in ({"k": 0}, {"window": -1}, {"scheme": "nope"}, {"tokenizer": "nope"}):
            with pytest.raises(tp.InvalidParameterError):
                reg.rebuild(**bad)
            assert reg.manifest == manifest
        assert list(reg) == ["zh", "ja"]
        assert ids(reg.check(ZH2[:200] + ZH[300:600])) == ["zh"]
    assert_index_consistent(registry_path)


def test_tokenizer_objects_are_refused() -> None:
    class Whitespace:
        identity = "whitespace-1"

        def tokenize(self, text: str) -> tp.Tokens:
            return tp.tokenize(text, tokenizer="char")

    with pytest.raises(tp.InvalidParameterError, match="tokenizer"):
        tp.Registry(tokenizer=Whitespace())  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["tokenizer_identity", "normalization", "hash"])
def test_stale_manifest_requires_rebuild(registry_path: Path, key: str) -> None:
    with tp.Registry(registry_path) as reg:
        reg.register("zh", ZH)
        current = reg.manifest[key]
    with raw(registry_path) as conn:
        conn.execute(
            "UPDATE manifest SET value = ? WHERE key = ?",
            ("char-0+normalize-0+tables-0(an older pipeline)", key),
        )
    post = ZH2[:200] + ZH[300:600] + ZH2[200:300]
    with tp.Registry(registry_path) as reg:
        with pytest.raises(tp.IncompatibleError, match="rebuild"):
            reg.check(post)
        with pytest.raises(tp.IncompatibleError, match="rebuild"):
            reg.register("other", ZH2)
        assert reg.get("zh").text == ZH  # reading works
        reg.rebuild()
        assert reg.manifest[key] == current
        assert ids(reg.check(post)) == ["zh"]
    with tp.Registry(registry_path) as reg:
        assert ids(reg.check(post)) == ["zh"]


def test_rebuild_by_another_connection_is_not_silently_ignored(registry_path: Path) -> None:
    old = tp.Registry(registry_path)
    old.register("zh", ZH[:800])
    with tp.Registry(registry_path) as other:
        other.rebuild(k=7)
    post = ZH2[:100] + ZH[100:400] + ZH2[100:200]
    try:
        found = ids(old.check(post))
    except tp.IncompatibleError:
        found = ["zh"]  # refusing is fine; silently finding nothing is not
    assert found == ["zh"]
    with contextlib.suppress(tp.IncompatibleError):  # refusing is fine here too
        old.register("zh-2", ZH[800:])
    old.close()
    with tp.Registry(registry_path) as reg:
        if "zh-2" in reg:
            assert ids(reg.check(ZH2[:100] + ZH[900:1200] + ZH2[100:200])) == ["zh-2"]
    assert_index_consistent(registry_path)


def test_rebuild_keeps_works_registered_concurrently(registry_path: Path) -> None:
    reg = tp.Registry(registry_path)
    reg.register("first", ZH[:500])
    original = reg._insert_works
    attempts: list[str] = []
    # While rebuild re-inserts the works it read, another writer tries to register: it must
    # wait (the rebuild reads and rewrites in one write transaction), so nothing it commits can
    # fall between the read and the rewrite. (Patches a private method: no public hook.)

    def insert_then_race(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        with tp.Registry(registry_path, timeout=0.2) as other:
            try:
                other.register("late", ZH[500:1000])
                attempts.append("committed during the rebuild")
            except tp.RegistryBusyError:
                attempts.append("waited")
        return out

    reg._insert_works = insert_then_race  # type: ignore[method-assign]
    reg.rebuild(k=7)
    reg.close()
    assert attempts == ["waited"]
    with tp.Registry(registry_path) as again:
        again.register("late", ZH[500:1000])
        assert set(again) == {"first", "late"}
        assert again.k == 7


# -- the file format --------------------------------------------------------------------------


class _Boom:
    """Unpickling this creates a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (pathlib.Path.touch, (self.marker,))


def test_pickle_file_is_refused_and_never_unpickled(tmp_path: Path) -> None:
    # the payload works: unpickling it creates its marker
    probe = tmp_path / "probe-marker"
    pickle.loads(pickle.dumps(_Boom(probe)))
    assert probe.exists()
    marker = tmp_path / "marker"
    for name in ("works.db", "works.pkl"):
        path = tmp_path / name
        path.write_bytes(pickle.dumps(_Boom(marker)))
        with pytest.raises(tp.FormatError):
            tp.Registry(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    "content",
    [
        b"garbage, not a database at all" * 20,
        b"\x00\x01\x02",
        b"SQLite format 3\x00" + bytes(range(256)) * 8,
    ],
    ids=["text", "short", "sqlite-magic-then-garbage"],
)
def test_garbage_file_raises_format_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "works.db"
    path.write_bytes(content)
    with pytest.raises(tp.FormatError) as info:
        tp.Registry(path)
    assert isinstance(info.value, ValueError)
    assert path.read_bytes() == content


def make_registry_file(path: Path) -> None:
    with tp.Registry(path) as reg:
        reg.register_many(
            [("zh", ZH), ("ja", JA), ("en", EN)] + [(p["id"], p["text"]) for p in poems()]
        )
        reg.register_many([(f"w{i}", ZH2[i : i + 400]) for i in range(0, 1100, 10)])


def test_truncated_file_raises_format_error(tmp_path: Path) -> None:
    good = tmp_path / "good.db"
    make_registry_file(good)
    assert not Path(str(good) + "-wal").exists() or Path(str(good) + "-wal").stat().st_size == 0
    bad = tmp_path / "truncated.db"
    shutil.copyfile(good, bad)
    with open(bad, "r+b") as f:
        f.truncate(bad.stat().st_size // 2)
    # not necessarily at opening: at the latest when the works and the index are read
    with pytest.raises(tp.FormatError):
        read_everything(bad)


def read_everything(path: Path) -> None:
    with tp.Registry(path) as reg:
        len(reg)
        for wid in list(reg):
            reg.get(wid)
        reg.check(ZH2[:100] + ZH[200:600])
        reg.check_many([ZH2[i : i + 400] for i in range(0, 1100, 50)])


def foreign_database(path: Path) -> None:
    conn = sqlite3.connect(str(path))
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes(body) VALUES ('someone else''s data')")
    conn.commit()
    conn.close()


def test_another_sqlite_database_raises_format_error(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    foreign_database(path)
    with pytest.raises(tp.FormatError, match="not a textprint registry"):
        tp.Registry(path)
    with raw(path) as conn:
        assert conn.execute("SELECT body FROM notes").fetchall() == [("someone else's data",)]


def test_another_sqlite_database_is_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    foreign_database(path)
    before = path.read_bytes()
    with pytest.raises(tp.FormatError):
        tp.Registry(path)
    assert path.read_bytes() == before
    with raw(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_sqlite_database_with_an_unrelated_manifest_table(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(str(path))
    conn.execute("CREATE TABLE manifest (name TEXT, owner TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(tp.FormatError):
        tp.Registry(path)


def tampered(path: Path, sql: str) -> Path:
    """A registry of the zh work at `path`, then `sql` run on its database behind its back."""
    with tp.Registry(path) as reg:
        reg.register("zh", ZH)
    with raw(path) as conn:
        conn.execute(sql)
    return path


def test_newer_format_version_raises_format_error(registry_path: Path) -> None:
    tampered(registry_path, "UPDATE manifest SET value = '3' WHERE key = 'format_version'")
    with pytest.raises(tp.FormatError, match="version 3") as info:
        tp.Registry(registry_path)
    assert "upgrade" in str(info.value)


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM manifest WHERE key = 'k'",
        "UPDATE manifest SET value = 'five' WHERE key = 'k'",
        "UPDATE manifest SET value = '0' WHERE key = 'k'",
    ],
    ids=["missing-k", "k-not-int", "k-zero"],
)
def test_corrupt_manifest_raises_format_error(registry_path: Path, sql: str) -> None:
    with pytest.raises(tp.FormatError):
        tp.Registry(tampered(registry_path, sql))


def test_registry_missing_a_table_raises_format_error(registry_path: Path) -> None:
    with pytest.raises(tp.FormatError):
        use_registry(tampered(registry_path, "DROP TABLE segments"))


def use_registry(path: Path) -> None:
    with tp.Registry(path) as reg:
        try:
            reg.check(ZH[:300])
        finally:
            reg.register("other", ZH2)


def test_concurrent_creation_of_one_registry(
    registry_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Deterministic interleaving: the moment this registry begins its first write
    # transaction, another connection creates the registry (and registers a work).
    connect = sqlite3.connect
    raced: list[bool] = []

    def racing_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)

        def trace(sql: str) -> None:
            if sql == "BEGIN IMMEDIATE" and not raced:
                raced.append(True)
                with tp.Registry(registry_path) as other:
                    other.register("other", work_text(1))

        conn.set_trace_callback(trace)
        return conn

    monkeypatch.setattr(sqlite3, "connect", racing_connect)
    reg = tp.Registry(registry_path)
    assert raced
    assert list(reg) == ["other"]
    reg.close()


def test_wrong_format_name_raises_format_error(registry_path: Path) -> None:
    tp.Registry(registry_path).close()
    with raw(registry_path) as conn:
        conn.execute("UPDATE manifest SET value = 'someone-elses-format' WHERE key = 'format'")
    with pytest.raises(tp.FormatError):
        tp.Registry(registry_path)


def test_integrity_after_operations(registry_path: Path) -> None:
    with tp.Registry(registry_path) as reg:
        reg.register_many([(f"z{i}", ZH[i : i + 300]) for i in range(0, 1200, 100)])
        reg.register_many([(p["id"], p["text"]) for p in poems()], batch_size=7)
        reg.register("z300", JA[:500], replace=True)
        reg.remove("z500")
        reg.remove(poems()[3]["id"])
        reg.register("ja-old", JA_OLD)
        reg.register("ja", JA)  # an edition of ja-old: same cluster
        reg.remove("ja-old")
        reg.check_many([ZH, JA, EN])
    assert integrity(registry_path) == "ok"
    assert_index_consistent(registry_path)
    with tp.Registry(registry_path) as reg:
        reg.rebuild(window=12)
    assert integrity(registry_path) == "ok"
    assert_index_consistent(registry_path)


# -- SQL: indexes and parameters ----------------------------------------------------------------


@pytest.fixture
def traced_sql(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SQL statement the registry executes (with its parameters expanded)."""
    statements: list[str] = []
    connect = sqlite3.connect

    def traced_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(sqlite3, "connect", traced_connect)
    return statements


def query_plan(path: Path, sql: str) -> list[str]:
    with raw(path) as conn:
        return [str(row[3]) for row in conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()]


#: Tables that grow with the registry: no statement may read them whole.
BIG_TABLES = ("works", "texts", "segment_blobs", "segment_pages", "clusters")


def full_scans(plan: list[str]) -> list[str]:
    """Plan steps that read the whole of a big table."""
    return [
        step
        for step in plan
        if re.match(rf"SCAN ({'|'.join(BIG_TABLES)})\b", step) and "VIRTUAL TABLE" not in step
    ]


def test_no_statement_scans_a_big_table(registry_path: Path, traced_sql: list[str]) -> None:
    """Every statement of register, replace, remove, merge and check finds rows of the works,
    texts, posting blobs and clusters through a key or an index (the segment list and the
    removed works are small: merges keep them so)."""
    with tp.Registry(registry_path) as reg:
        reg.register_many([(f"z{i}", ZH[i : i + 400]) for i in range(0, 1100, 50)], batch_size=5)
        reg.register("z0", ZH[:300], replace=True)
        reg.remove("z50")
        reg.compact()
        reg.check_many([ZH2[:100] + ZH[100:500], JA])
        reg.get("z100")
        assert len(reg) == 21
        assert "z100" in reg
    with tp.Registry(registry_path.with_name("no-text.db"), store_text=False) as reg:
        reg.register_many([(f"z{i}", ZH[i : i + 400]) for i in range(0, 1100, 50)])
        reg.check(ZH2[:100] + ZH[100:500])
    statements = {
        s
        for s in traced_sql
        if re.search(rf"\b({'|'.join(BIG_TABLES)})\b", s)
        and s.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE"))
    }
    assert any("segment_blobs" in s for s in statements)
    assert any("FROM texts" in s for s in statements)
    for sql in sorted(statements):
        plan = query_plan(registry_path, sql)
        assert full_scans(plan) == [], (sql[:200], plan)


def test_sql_takes_parameters_only(registry_path: Path) -> None:
    nasty_id = "Robert'); DROP TABLE works; --"
    nasty_meta = {
        "title": "'; DROP TABLE works; --",
        "quote": "He said \"hi\" and 'bye'",
        "backslash": "\\'; --",
        "json": '{"a": 1}',
    }
    with tp.Registry(registry_path) as reg:
        reg.register(nasty_id, ZH, nasty_meta)
        reg.register("'", JA, "'; DROP TABLE manifest; --")
        assert nasty_id in reg
        assert reg.get(nasty_id).metadata == nasty_meta
        assert reg.get("'").metadata == "'; DROP TABLE manifest; --"
        assert list(reg) == [nasty_id, "'"]
        (hit,) = reg.check(ZH2[:200] + ZH[300:600])
        assert hit.work_id == nasty_id
        assert hit.metadata == nasty_meta
        reg.remove("'")
        assert list(reg) == [nasty_id]
    with raw(registry_path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"works", "manifest", "texts", "segments", "segment_blobs"} <= tables
    assert_index_consistent(registry_path)


def test_zero_width_characters_do_not_inflate_the_evidence() -> None:
    # 120 characters copied from a long work: below the default 200. Sprinkling zero-width
    # spaces between them doubles the raw length of the passage, not the evidence.
    reg = tp.Registry()
    reg.register("zh", ZH)
    plain = ZH[300:420]
    sprinkled = "\u200b".join(plain)
    assert reg.check("转载：" + plain) == []
    assert reg.check("转载：" + sprinkled) == []
    (hit,) = reg.check("转载：" + sprinkled, min_chars=100)
    assert hit.copied_chars <= len(plain)


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
