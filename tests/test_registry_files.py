"""Tests of textprint.Registry: its SQLite file (foreign, damaged, concurrently created) and SQL.

Anything that is not a registry file of a known format raises FormatError and is left as it
was (a pickle is never unpickled); every statement the registry runs uses an index and takes
its values as parameters, and every connection to the file runs with ``synchronous=FULL`` in
WAL mode. The format-2 layout is in test_registry_format.py.
"""

from __future__ import annotations

import pathlib
import pickle
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import textprint as tp
from _registry_texts import EN, JA, JA_OLD, ZH, ZH2, poems
from _registry_worker import assert_index_consistent, integrity, raw, work_text

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


# -- durability: synchronous=FULL -----------------------------------------------------------


@pytest.fixture
def lax_sqlite(monkeypatch: pytest.MonkeyPatch) -> list[sqlite3.Connection]:
    """Every connection sqlite3.connect makes, opened as a build whose default is
    ``synchronous=OFF`` would open it (this build's default for WAL is already FULL)."""
    made: list[sqlite3.Connection] = []
    real = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real(*args, **kwargs)
        conn.execute("PRAGMA synchronous=OFF")
        made.append(conn)
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect)
    return made


def _open(conns: list[sqlite3.Connection]) -> list[sqlite3.Connection]:
    out = []
    for conn in conns:
        try:
            conn.execute("SELECT 1")
        except sqlite3.ProgrammingError:  # closed
            continue
        out.append(conn)
    return out


def test_every_registry_connection_runs_with_full_sync_in_wal_mode(
    tmp_path: Path, lax_sqlite: list[sqlite3.Connection]
) -> None:
    """A work is durable once register returns (API.md: WAL with full sync), even where
    SQLite's default would be ``synchronous=OFF``: the Registry sets FULL itself on every
    connection it opens to the file, and WAL.

    Observable hook: sqlite3.connect is wrapped so that each new connection starts with
    ``synchronous=OFF`` (as on a build with that default); after opening, registering and
    reopening, each connection the Registry holds open must report FULL (2) or EXTRA (3).
    ``PRAGMA synchronous`` is per connection, so a second connection could not see it.

    Kills: the ``PRAGMA synchronous=FULL`` statement dropped (or set to NORMAL), and the
    ``PRAGMA journal_mode=WAL`` statement dropped.
    """
    path = tmp_path / "works.db"
    for _ in range(2):  # create, then reopen
        with tp.Registry(path) as reg:
            reg.register(f"zh-{len(reg)}", ZH[:400])
            live = _open(lax_sqlite)
            assert live, "the Registry opened no connection through sqlite3.connect"
            for conn in live:
                assert conn.execute("PRAGMA synchronous").fetchone()[0] in (2, 3)
                assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert reg.check(ZH[:400])
