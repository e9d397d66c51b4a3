"""Tests of the registry's format 2: packed posting segments, merges, compaction, the candidate
bound, works that can never be found, and the upgrade of format-1 files.

The index is held against :mod:`reference_registry`, a pure-Python reader of the file written
from the format's description, and against the registry's exhaustive path (every work that
shares a fingerprint verified, no bound, no cap).
"""

from __future__ import annotations

import functools
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import textprint as tp
import textprint.registry._candidates as candidates_module
import textprint.registry._verify as verify_module
from _registry_worker import assert_index_consistent, raw
from helpers import ids
from reference_registry import read_segments
from textprint.registry import _postings

FIXTURES = Path(__file__).parent / "fixtures"
V1 = FIXTURES / "registry_v1"


@functools.cache
def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


ZH, ZH2 = fixture("zh_novel.txt"), fixture("zh_novel_2.txt")
JA, JA2 = fixture("ja_aozora.txt"), fixture("ja_aozora_2.txt")
EN, EN2 = fixture("en_gutenberg.txt"), fixture("en_gutenberg_2.txt")


# -- packed postings ---------------------------------------------------------------------------


@st.composite
def postings(draw: Any) -> tuple[np.ndarray, dict[str, np.ndarray], int, bool]:
    n = draw(st.integers(0, 400))
    n_works = draw(st.integers(1, 70))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    # few distinct keys (repeats) or many; small or huge starts
    n_keys = draw(st.sampled_from([1, 3, 50, 10**6]))
    keys = rng.integers(0, n_keys, n).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    keys = _postings.key_of(keys)
    max_start = draw(st.sampled_from([0, 5, 5000, 2**31 - 1, 2**40]))
    cols = {
        "work": rng.integers(0, n_works, n),
        "start": rng.integers(0, max_start + 1, n),
    }
    coarse = draw(st.booleans())
    if not coarse:
        cols["length"] = rng.integers(0, draw(st.sampled_from([1, 8, 70_000])), n)
    return keys, cols, n_works, coarse


@settings(max_examples=150, deadline=None)
@given(postings())
def test_records_round_trip_and_sort_like_the_postings(data: Any) -> None:
    keys, cols, n_works, coarse = data
    order = _postings.sort_postings(keys, cols)
    keys = keys[order]
    cols = {c: v[order] for c, v in cols.items()}
    layout = _postings.plan(
        len(keys),
        n_works,
        max_start=int(cols["start"].max(initial=0)),
        max_length=int(cols["length"].max(initial=0)) if "length" in cols else None,
        coarse=coarse,
    )
    records = _postings.encode(layout, keys, cols)
    assert records.shape == (len(keys), layout.words)
    offsets = _postings.directory(layout, keys)
    buckets = np.repeat(np.arange(layout.n_buckets, dtype=np.uint64), np.diff(offsets))
    assert _postings.keys_of_records(layout, records, buckets).tolist() == keys.tolist()
    assert _postings.decode(layout, records, "work").tolist() == cols["work"].tolist()
    coarse_start = (cols["start"] >> layout.shift) << layout.shift
    assert _postings.decode(layout, records, "start").tolist() == coarse_start.tolist()
    if "length" in cols:
        assert layout.shift == 0
        assert _postings.decode(layout, records, "length").tolist() == cols["length"].tolist()
    # inside a bucket, sorting the packed words (lexicographically) sorts the postings
    for b in range(layout.n_buckets):
        rows = [tuple(r) for r in records[offsets[b] : offsets[b + 1]].tolist()]
        assert rows == sorted(rows)
    # a layout survives its JSON
    assert _postings.Layout.from_json(json.loads(json.dumps(layout.to_json()))) == layout


@settings(max_examples=100, deadline=None)
@given(postings(), st.data())
def test_lookups_in_memory_and_by_directory_agree_with_brute_force(data: Any, draw: Any) -> None:
    keys, cols, n_works, _ = data
    order = _postings.sort_postings(keys, cols)
    keys = keys[order]
    cols = {c: v[order] for c, v in cols.items()}
    layout = _postings.plan(len(keys), n_works, max_start=int(cols["start"].max(initial=0)))
    records = _postings.encode(layout, keys, cols)
    offsets = _postings.directory(layout, keys)
    present = keys.tolist()
    query = draw.draw(
        st.lists(st.one_of(st.sampled_from(present or [0]), st.integers(0, 2**48 - 1)), max_size=30)
    )
    query = np.unique(np.array(query, dtype=np.uint64))
    want = sorted(
        (qi, i) for qi, q in enumerate(query.tolist()) for i, k in enumerate(present) if k == q
    )
    for kwargs in (
        {"keys": keys, "records": records},
        {"records": records, "offsets": offsets},
        {"offsets": offsets, "read": lambda lo, hi: records[_postings.ragged(lo, hi)]},
    ):
        qi, found = _postings.lookup(layout, query, **kwargs)
        got = sorted(zip(qi.tolist(), [tuple(r) for r in found.tolist()]))
        assert got == sorted((q, tuple(records[i].tolist())) for q, i in want)


# -- segments, merges, compaction --------------------------------------------------------------


def test_segments_merge_by_tier_and_compaction_keeps_the_index(tmp_path: Path) -> None:
    path = tmp_path / "works.db"
    with tp.Registry(path) as reg:
        for i in range(0, 1200, 60):  # 20 batches of 3 works: merged as the tiers fill
            reg.register_many([(f"z{i + j}", ZH[i + 20 * j : i + 20 * j + 300]) for j in range(3)])
        with raw(path) as conn:
            n_segments = conn.execute("SELECT COUNT(*) FROM segments").fetchone()[0]
        assert 1 < n_segments < 20
        reg.remove("z60")
        reg.register("z120", JA[:400], replace=True)
        post = ZH2[:100] + ZH[300:600] + ZH2[100:200]
        before = reg.check(post)
        assert before
        assert_index_consistent(path)
        reg.compact()
        with raw(path) as conn:
            assert conn.execute("SELECT COUNT(*) FROM segments").fetchone()[0] == 1
            assert conn.execute("SELECT COUNT(*) FROM removed").fetchone()[0] == 0
        assert_index_consistent(path)
        after = reg.check(post)
        assert [(h.work_id, h.passages, h.copied_chars) for h in after] == [
            (h.work_id, h.passages, h.copied_chars) for h in before
        ]
        assert "z60" not in reg
        assert ids(reg.check("转载：" + JA[:400])) == ["z120"]


def test_removed_works_stay_out_of_every_check_until_and_after_a_merge(tmp_path: Path) -> None:
    path = tmp_path / "works.db"
    with tp.Registry(path) as reg:
        reg.register_many([(f"w{i}", ZH[100 * i : 100 * i + 500]) for i in range(10)])
        reg.remove("w3")
        post = "转载：" + ZH[300:800]
        assert "w3" not in ids(reg.check(post))
        with raw(path) as conn:
            (seg,) = conn.execute("SELECT segment FROM removed").fetchone()
            assert seg in {s.id for s in read_segments(conn)}
        reg.compact()
        assert "w3" not in ids(reg.check(post))
        assert {"w2", "w4"} <= set(ids(reg.check(post)))


def test_reader_adopts_a_merge_made_by_another_connection(tmp_path: Path) -> None:
    path = tmp_path / "works.db"
    writer, reader = tp.Registry(path), tp.Registry(path)
    writer.register_many([(f"w{i}", ZH[100 * i : 100 * i + 400]) for i in range(8)], batch_size=1)
    post = "转载：" + ZH[200:600]
    before = ids(reader.check(post))
    writer.compact()
    writer.register("late", ZH2[:500])
    assert ids(reader.check(post)) == before
    assert ids(reader.check("转载：" + ZH2[:500])) == ["late"]
    writer.close()
    reader.close()


# -- works that can never be found -------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "，。！？", "天下大", "\u200b\u200b\u200b"])
def test_a_work_that_can_never_be_found_is_refused_by_default(text: str) -> None:
    reg = tp.Registry()
    with pytest.raises(tp.TooShortError, match="too short to ever be found") as info:
        reg.register("short", text)
    assert isinstance(info.value, ValueError)
    assert "'short'" in str(info.value)
    assert "too_short=" in str(info.value)
    assert "short" not in reg


def test_too_short_skip_and_accept() -> None:
    reg = tp.Registry()
    done = reg.register_many(
        [("a", "天下大势，分久必合，合久必分。"), ("b", "。"), ("c", "合久必分。")],
        too_short="skip",
    )
    assert done == ["a"]
    assert list(reg) == ["a"]
    reg.register("b", "。", too_short="accept")
    assert list(reg) == ["a", "b"]
    assert reg.get("b").text == "。"
    with pytest.raises(tp.TooShortError):
        reg.register_many([("d", "天下大势，分久必合。"), ("e", "")])
    assert "d" not in reg  # the batch is not committed
    with pytest.raises(tp.InvalidParameterError, match="too_short"):
        reg.register("f", "天下大势，分久必合。", too_short="maybe")


def test_a_work_of_k_tokens_is_accepted_and_found_whole() -> None:
    reg = tp.Registry()
    reg.register("five", "天下大势分")  # k = 5 characters: one shingle, one fingerprint
    assert ids(reg.check("他说：天下大势分。")) == ["five"]


# -- the candidate bound -----------------------------------------------------------------------


@st.composite
def copy_cases(draw: Any) -> tuple[list[tuple[str, str]], str]:
    """Works cut from the fixtures and a post copying pieces of some of them, with edits."""
    sources = [ZH, ZH2, JA, JA2, EN, EN2]
    works = []
    for i in range(draw(st.integers(2, 6))):
        src = draw(st.sampled_from(sources))
        a = draw(st.integers(0, len(src) - 200))
        works.append((f"w{i}", src[a : a + draw(st.integers(40, 1200))]))
    if draw(st.booleans()):  # a work longer than a stored block: verified by regions only
        works.append(("long", "\n".join(draw(st.permutations(sources)))))
    pieces = []
    for _ in range(draw(st.integers(1, 4))):
        _, work = draw(st.sampled_from(works))
        a = draw(st.integers(0, max(0, len(work) - 20)))
        piece = list(work[a : a + draw(st.integers(10, 600))])
        for _ in range(draw(st.integers(0, 6))):  # a few edits
            if piece:
                piece[draw(st.integers(0, len(piece) - 1))] = draw(st.sampled_from("的了X。 "))
        filler = draw(st.sampled_from(sources))
        b = draw(st.integers(0, len(filler) - 300))
        pieces.append(filler[b : b + draw(st.integers(0, 300))] + "".join(piece))
    return works, "".join(pieces)


def hits_of(reg: tp.Registry, text: str, **kwargs: Any) -> list[Any]:
    return [
        (h.work_id, h.passages, h.copied_chars, h.containment) for h in reg.check(text, **kwargs)
    ]


@settings(max_examples=60, deadline=None)
@given(copy_cases(), st.sampled_from([None, 30, 120]))
def test_the_bound_loses_no_hit_of_the_exhaustive_path(
    case: tuple[list[tuple[str, str]], str], min_chars: int | None
) -> None:
    """A check keeps only the works whose regions can hold the evidence (the bound),
    verifies at most MAX_CANDIDATES and aligns only the regions sharing enough seeds to hold a
    passage; verifying every work that shares a fingerprint, with no bound and no cap, and
    aligning every region, finds exactly the same hits."""
    works, post = case
    reg = tp.Registry()
    reg.register_many(works, too_short="accept")
    bounded = hits_of(reg, post, min_chars=min_chars)
    real = candidates_module.candidates

    def exhaustive(*args: Any, **kwargs: Any) -> Any:
        kwargs.update(min_chars=0, min_containment=0.0, limit=10**9)
        return real(*args, **kwargs)

    def hopeless(q: Any, piece_idx: np.ndarray, *args: Any) -> np.ndarray:
        return np.zeros(len(piece_idx), dtype=bool)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(candidates_module, "candidates", exhaustive)
        mp.setattr(verify_module, "_hopeless", hopeless)
        everything = hits_of(reg, post, min_chars=min_chars)
    assert bounded == everything


def test_common_phrases_are_not_read_again_until_the_index_changes(tmp_path: Path) -> None:
    """A key found common is remembered for the snapshot: the next check does not look it up,
    and finds the same; a registration forgets it (the limit and the counts change)."""
    phrase = "天下大势，分久必合，合久必分。"
    works = [
        (f"w{i}", ZH[i * 20 : i * 20 + 40] + phrase + ZH2[i * 20 : i * 20 + 40]) for i in range(60)
    ]
    path = tmp_path / "r.db"
    reg = tp.Registry(path)
    reg.register_many(works)
    post = "开头的话。" + works[7][1] + ZH[1300:1500]
    asked: list[np.ndarray] = []
    look = reg._index.lookup

    def spying(name: str, query: np.ndarray, **kw: Any) -> Any:
        asked.append(query.copy())
        return look(name, query, **kw)

    reg._index.lookup = spying  # type: ignore[method-assign]
    first = hits_of(reg, post)
    common = reg._index.common.known(reg._limit())
    assert len(common) > 0  # the phrase's keys
    assert np.isin(common, asked[0]).all()
    second = hits_of(reg, post)
    assert second == first
    assert not np.isin(common, asked[-1]).any()  # not looked up again
    assert second == hits_of(tp.Registry(path), post)  # a fresh reader finds the same
    reg.register("extra", ZH2[:300])
    asked.clear()
    hits_of(reg, post)
    assert np.isin(common, asked[0]).all()  # after the change, looked up again


def test_stored_blocks_are_read_once_until_the_registry_changes(tmp_path: Path) -> None:
    """A check keeps the text blocks it decompressed for the next check of the same snapshot;
    a registration (here: the work replaced by another text) forgets them."""
    novel = "\n".join([ZH, ZH2, JA, JA2, EN, EN2])  # longer than one stored block
    path = tmp_path / "r.db"
    reg = tp.Registry(path)
    reg.register("novel", novel)
    post = "开头的话。" + ZH2[200:700] + "结尾的话。"
    read: list[list[int]] = []
    store = reg._db
    real = store.text_blocks

    def counting(wanted: Any) -> Any:
        read.append(sorted((r, b) for r, bs in wanted.items() for b in bs))
        return real(wanted)

    store.text_blocks = counting  # type: ignore[method-assign]
    first = hits_of(reg, post)
    assert first
    assert read
    n = len(read)
    assert hits_of(reg, post) == first
    assert len(read) == n  # nothing read again
    assert first == hits_of(tp.Registry(path), post)
    reg.register("other", EN2[:500])  # any change: the kept blocks are forgotten
    assert hits_of(reg, post) == first
    assert len(read) > n
    n = len(read)
    moved = "\n".join([EN, JA, ZH2, EN2])  # the copied text elsewhere in the work
    reg.register("novel", moved, replace=True)
    again = reg.check(post)
    assert len(read) > n  # read again
    passage = again[0].passages[0]  # offsets into the new text, not the cached one
    assert (
        moved[passage.source_start : passage.source_end]
        == post[passage.query_start : passage.query_end]
    )
    assert passage.source_start != first[0][1][0].source_start


def test_the_block_cache_keeps_the_most_recent_blocks_within_its_size() -> None:
    cache = verify_module.BlockCache()
    cache.MAX_CHARS = 10
    cache.put((1, 0), "abcd")
    cache.put((1, 1), "efgh")
    assert cache.get((1, 0)) == "abcd"  # now the most recent
    cache.put((2, 0), "ijkl")  # 12 characters: the least recent goes
    assert cache.get((1, 1)) is None
    assert cache.get((1, 0)) == "abcd"
    assert cache.get((2, 0)) == "ijkl"
    cache.clear()
    assert cache.get((1, 0)) is None


def test_an_unrelated_text_verifies_no_candidate() -> None:
    """Works sharing only scattered chance fingerprints with a text cannot pass: the bound
    keeps them out, so nothing is aligned."""
    reg = tp.Registry()
    reg.register_many([(f"z{i}", ZH[i : i + 600]) for i in range(0, 900, 300)])
    look = candidates_module.find
    seen: list[int] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        out = look(*args, **kwargs)
        seen.append(len(np.unique(out.found.rowid)))
        return out

    called: list[int] = []
    real = candidates_module.candidates

    def recording(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        called.append(len(out))
        return out

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(candidates_module, "find", counting)
        mp.setattr(candidates_module, "candidates", recording)
        assert reg.check(ZH2[:1500]) == []
    assert called == [0]


# -- upgrade of format-1 files ------------------------------------------------------------------


def v1_record(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((V1 / "works.json").read_text(encoding="ascii"))
    return data[name]  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", ["text", "notext"])
def test_a_format_1_file_is_refused_with_how_to_upgrade(tmp_path: Path, name: str) -> None:
    path = tmp_path / "works.db"
    shutil.copy(V1 / f"{name}.db", path)
    with pytest.raises(tp.FormatError, match="format 1") as info:
        tp.Registry(path)
    assert "textprint rebuild" in str(info.value)
    assert "upgrade" in str(info.value)
    with raw(path) as conn:  # untouched
        assert (
            conn.execute("SELECT value FROM manifest WHERE key = 'format_version'").fetchone()[0]
            == "1"
        )


@pytest.mark.parametrize("name", ["text", "notext"])
def test_upgrade_keeps_every_work_and_its_metadata(tmp_path: Path, name: str) -> None:
    path = tmp_path / "works.db"
    shutil.copy(V1 / f"{name}.db", path)
    record = v1_record(name)
    assert tp.Registry.upgrade(path) is True
    assert tp.Registry.upgrade(path) is False  # a file in format 2 is left alone
    with tp.Registry(path) as reg:
        m = reg.manifest
        assert m["format_version"] == "2"
        for key in ("k", "window", "n_hashes", "tokenizer", "seed", "scheme", "store_text"):
            assert m[key] == record["manifest"][key]
        assert list(reg) == [w["work_id"] for w in record["works"]]
        for w in record["works"]:
            got = reg.get(w["work_id"])
            assert got.metadata == w["metadata"]
            assert got.sha256 == w["sha256"]
            assert got.registered_at.isoformat() == w["registered_at"]
            if name == "text":
                assert got.text is not None
                assert tp.normalize(got.text).text  # the text is back, decompressed
            else:
                assert got.text is None
        assert "gone" not in reg
        current = tp.Registry().manifest
        fresh = all(m[key] == current[key] for key in ("normalization", "tokenizer_identity"))
        post = "转载：" + fixture("zh_novel.txt")[100:700]
        if name == "text" or fresh:
            assert ids(reg.check(post)) == ["zh-1"]
            assert ids(reg.check("分享：" + fixture("ja_aozora.txt")))[0] in {"ja", "ja-old"}
        else:
            with pytest.raises(tp.IncompatibleError, match="rebuild"):
                reg.check(post)
    if name == "text":
        with tp.Registry(path) as reg:
            reg.register("new", ZH2[1000:1600])
            assert ids(reg.check("转载：" + ZH2[1000:1600])) == ["new"]
        assert_index_consistent(path)


def test_upgrade_texts_match_what_format_1_stored(tmp_path: Path) -> None:
    path = tmp_path / "works.db"
    shutil.copy(V1 / "text.db", path)
    import zlib

    with sqlite3.connect(path) as conn:
        old = {
            wid: zlib.decompress(blob).decode("utf-8", "surrogatepass")
            for wid, blob in conn.execute("SELECT work_id, text FROM works").fetchall()
            if isinstance(wid, str) and "\ud800" not in wid
        }
    tp.Registry.upgrade(path)
    with tp.Registry(path) as reg:
        for wid, text in old.items():
            key: str | int = int(wid) if wid.isdigit() else wid
            assert reg.get(key).text == text


def test_upgrade_refuses_what_it_cannot_upgrade(tmp_path: Path) -> None:
    with pytest.raises(tp.StorageError):
        tp.Registry.upgrade(tmp_path / "missing.db")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(tp.FormatError):
        tp.Registry.upgrade(other)


# -- damaged files --------------------------------------------------------------------------------


def _damaged_registry(tmp_path: Path) -> Path:
    path = tmp_path / "works.db"
    with tp.Registry(path) as reg:
        reg.register_many([(f"w{i}", ZH[100 * i : 100 * i + 500]) for i in range(8)])
    return path


BLOB = (
    "UPDATE segment_blobs SET data = {data} WHERE id = (SELECT min(id) FROM segment_blobs {where})"
)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE segments SET layouts = 'not json'",
        'UPDATE segments SET layouts = \'{"fp": {"n": 1}}\'',
        "UPDATE segments SET layouts = '[1, 2]'",
        "UPDATE segments SET n_works = n_works + 1",
        BLOB.format(data="x'00'", where="WHERE id % 1048576 = 0"),  # works list
        BLOB.format(data="x'0000000000'", where="WHERE id % 1048576 = 4"),  # statistics
        BLOB.format(data="x'ffffffff'", where="WHERE id % 1048576 = 2"),  # fp directory
        BLOB.format(data="zeroblob(24)", where="WHERE id % 1048576 = 2"),  # offsets all 0
        "UPDATE segment_pages SET data = substr(data, 1, 44)",  # pages cut
        "DELETE FROM segment_pages",  # pages gone
        "UPDATE texts SET data = x'38ffff00'",  # text blocks
    ],
    ids=[
        "layouts-garbage",
        "layouts-incomplete",
        "layouts-not-an-object",
        "works-count",
        "works-list",
        "statistics",
        "directory-garbage",
        "directory-offsets",
        "pages-cut",
        "pages-missing",
        "text-blocks",
    ],
)
def test_damaged_index_raises_format_error(tmp_path: Path, sql: str) -> None:
    path = _damaged_registry(tmp_path)
    with raw(path) as conn:
        conn.execute(sql)
    with pytest.raises(tp.FormatError, match=r"damaged|corrupt") as info, tp.Registry(path) as reg:
        reg.check("转载：" + ZH[200:600])
    assert "restore" in str(info.value)


def test_cli_rebuild_upgrades_a_format_1_file_and_compact_merges(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from textprint.cli import main

    path = tmp_path / "works.db"
    shutil.copy(V1 / "text.db", path)
    assert main(["rebuild", str(path)]) == 0
    out = capsys.readouterr().out
    assert "upgraded" in out
    assert "format 2" in out
    with tp.Registry(path) as reg:
        assert reg.manifest["format_version"] == "2"
        n = len(reg)
        reg.register_many(
            [(f"new-{i}", ZH2[100 * i : 100 * i + 400]) for i in range(5)], batch_size=1
        )
    assert main(["rebuild", str(path)]) == 0  # a format-2 file: a plain rebuild
    assert "upgraded" not in capsys.readouterr().out
    assert main(["compact", str(path)]) == 0
    assert f"{n + 5} works in one posting segment" in capsys.readouterr().out
    with raw(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM segments").fetchone()[0] == 1
    assert_index_consistent(path)
