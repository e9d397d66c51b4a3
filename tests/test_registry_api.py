"""Tests of textprint.Registry: its API: registering, reading and removing works, hits.

Shared texts: tests/_registry_texts.py; the fixtures ``registry_path`` and ``fixture_registry``:
conftest.py. Crash safety and concurrency are in test_registry_durability.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import textprint as tp
from _registry_texts import EN, JA, JA2, ZH, ZH2, poems
from _registry_worker import assert_index_consistent, raw
from helpers import ids

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
