"""Tests of textprint.Registry: persistence and settings: the manifest, stored texts, rebuilds.

A registry file keeps the settings it was made with (its manifest); a reopened file adopts
them, conflicting settings are refused, and ``rebuild`` changes them for every work.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import Any

import pytest

import textprint as tp
from _registry_texts import EN, EN2, JA, JA2, ZH, ZH2, tang_poems
from _registry_worker import assert_index_consistent, raw
from helpers import TOLERANCE, cut_at_space, deviation, ids, word_span

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
