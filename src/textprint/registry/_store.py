"""Storage of a registry: one SQLite file (or an in-memory database) and its rows.

The store knows rows and bytes: the manifest, the works and their statistics, the texts in
compressed blocks, the posting segments' rows and blobs, the removed works whose postings still
wait in a segment, and the cluster counts. It opens, checks and creates the file, runs
transactions and maps SQLite's errors to textprint's. It knows nothing of fingerprints,
candidates or evidence.

Durability: WAL with ``synchronous=FULL``; every change is one transaction. Readers run each
check in one read transaction, so they see one consistent snapshot (works, segments and removed
works together) and see new works at their next check.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..errors import (
    FormatError,
    InvalidInputError,
    InvalidParameterError,
    RegistryBusyError,
    StorageError,
)
from ._rows import db_str, id_param

FORMAT = "textprint-registry"
FORMAT_VERSION = 2
#: Layout version of every table of format 2 (a newer one is refused).
TABLE_VERSIONS = {
    "manifest": 1,
    "works": 2,
    "texts": 1,
    "segments": 1,
    "segment_blobs": 1,
    "segment_pages": 1,
    "removed": 1,
    "clusters": 1,
    "counts": 1,
}
SQLITE_MAGIC = b"SQLite format 3\x00"
#: Pages SQLite caches per connection (KiB, as ``cache_size`` takes it when negative): enough
#: for the directories' neighbourhood and the works rows a check touches.
CACHE_KIB = 65536

SCHEMA = """
CREATE TABLE manifest (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE works (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    work_id TEXT NOT NULL UNIQUE,
    id_is_int INTEGER NOT NULL,
    metadata TEXT,
    registered_at TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    n_chars INTEGER NOT NULL,
    n_tokens INTEGER NOT NULL,
    token_chars INTEGER NOT NULL,
    n_shingles INTEGER NOT NULL,
    n_fp INTEGER NOT NULL,
    flags INTEGER NOT NULL,
    cluster INTEGER NOT NULL,
    signature BLOB NOT NULL
);
CREATE TABLE texts (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE segments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    n_works INTEGER NOT NULL,
    n_records INTEGER NOT NULL,
    layouts TEXT NOT NULL
);
CREATE TABLE segment_blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE segment_pages (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE removed (
    work INTEGER PRIMARY KEY,
    segment INTEGER NOT NULL,
    n_records INTEGER NOT NULL
);
CREATE TABLE clusters (cluster INTEGER PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE counts (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
INSERT INTO counts(name, n) VALUES ('works', 0), ('clusters', 0);
"""

#: Ids of stored text blocks are ``work << TEXT_BLOCK_SHIFT | block``.
TEXT_BLOCK_SHIFT = 24
#: Blob ids of a segment: ``segment << SEGMENT_SLOT_BITS | slot``.
SEGMENT_SLOT_BITS = 20


class WorkStats(NamedTuple):
    """What verification needs to know of a work without reading its text."""

    rowid: int
    n_chars: int
    n_tokens: int
    token_chars: int  # characters of its tokens (the denominator of source containment)
    n_shingles: int  # distinct shingles (for Jaccard)
    n_fp: int
    flags: int  # FLAG_CJK | FLAG_DOC_JA
    cluster: int


class WorkIdentity(NamedTuple):
    """How a work is reported: its id (as stored) and metadata (JSON as stored)."""

    rowid: int
    work_id: str | bytes
    id_is_int: int
    metadata: str | bytes | None


class NewWork(NamedTuple):
    """A row of the works table to insert."""

    work_id: str | int
    metadata_json: str | bytes | None
    registered_at: str
    sha256: str
    n_chars: int
    n_tokens: int
    token_chars: int
    n_shingles: int
    n_fp: int
    flags: int
    cluster: int  # 0: a new cluster of its own (the row id)
    signature: bytes


FLAG_CJK = 1
FLAG_DOC_JA = 2


def check_path(path: object) -> Path | None:
    """`path` as a Path (None: in memory); a clear error for what no file can be."""
    if path is None:
        return None
    raw: object = path
    if isinstance(path, os.PathLike):
        try:
            raw = os.fspath(path)
        except TypeError:
            raw = None
    if not isinstance(raw, str):
        hint = " (decode it first: os.fsdecode(path))" if isinstance(raw, bytes) else ""
        raise InvalidInputError(
            f"path must be a str or a pathlib.Path (or None for an in-memory registry), got "
            f"{type(path).__name__}{hint}"
        )
    if "\x00" in raw:
        raise InvalidParameterError(f"path={raw!r} contains a NUL character: no file has it")
    try:
        os.fsencode(raw)
    except UnicodeEncodeError as exc:
        raise InvalidParameterError(
            f"path={raw!r} cannot be encoded as a file name ({exc.reason}); give a path "
            "without lone surrogates"
        ) from exc
    return Path(raw)


class Store:
    """The registry's database connection, its transactions and its rows."""

    def __init__(self, path: Path | None, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self.lock = threading.RLock()
        self._conn: sqlite3.Connection | None = self._connect()
        self._in_read = 0

    # -- opening --------------------------------------------------------------------------------

    @property
    def where(self) -> str:
        return "in-memory registry" if self.path is None else repr(str(self.path))

    def _connect(self) -> sqlite3.Connection:
        if self.path is None:
            conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA page_size=4096")
            return conn
        p = self.path
        if p.exists():
            if p.is_dir():
                raise StorageError(f"registry path {str(p)!r} is a directory, not a file")
            try:
                with open(p, "rb") as f:
                    head = f.read(16)
            except OSError as exc:
                raise StorageError(f"cannot read registry {str(p)!r}: {exc}") from exc
            if head and head != SQLITE_MAGIC:
                raise FormatError(
                    f"{str(p)!r} is not a textprint registry (not an SQLite database; "
                    f"expected format {FORMAT} version {FORMAT_VERSION})"
                )
        try:
            conn = sqlite3.connect(
                str(p), timeout=self.timeout, isolation_level=None, check_same_thread=False
            )
            # Look before touching: switching the journal mode rewrites the header, which a
            # foreign database must not suffer. Only a new file or a textprint registry is set
            # to WAL with full sync.
            names = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if names and "manifest" not in names:
                conn.close()
                raise FormatError(
                    f"{str(p)!r} is an SQLite database but not a textprint registry "
                    f"(no manifest table; expected format {FORMAT} version {FORMAT_VERSION})"
                )
            if not names:  # a new file: pages of 4 KiB, which PAGE_BYTES of the segments fills
                conn.execute("PRAGMA page_size=4096")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            # reads of the posting blobs go through memory-mapped pages (SQLite caps this at
            # its compile-time maximum, 2 GiB in common builds) and a larger page cache
            conn.execute(f"PRAGMA mmap_size={1 << 40}")
            conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        except sqlite3.DatabaseError as exc:
            raise self.db_error(exc) from exc
        except OSError as exc:  # pragma: no cover - sqlite reports most as OperationalError
            raise StorageError(f"cannot open registry {str(p)!r}: {exc}") from exc
        return conn

    def db_error(self, exc: sqlite3.Error) -> Exception:
        """The textprint error for an SQLite error."""
        msg = str(exc)
        if "no such table" in msg or "no such column" in msg:
            return FormatError(
                f"registry {self.where} is damaged or not a textprint registry ({msg}); restore "
                "it from a backup"
            )
        if "locked" in msg or "busy" in msg:
            return RegistryBusyError(
                f"registry {self.where} is busy: another writer held it for more than "
                f"{self.timeout:g} s; retry later or raise timeout="
            )
        if isinstance(exc, sqlite3.DatabaseError) and (
            "not a database" in msg or "malformed" in msg or "corrupt" in msg
        ):
            return FormatError(
                f"registry {self.where} is corrupt or not a textprint registry: {msg}"
            )
        return StorageError(f"registry {self.where}: {msg}")

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StorageError("the registry is closed: open it again with tp.Registry(path)")
        return self._conn

    @property
    def closed(self) -> bool:
        return self._conn is None

    def close(self) -> None:
        with self.lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def tables(self) -> set[str]:
        rows = self.read("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {str(r[0]) for r in rows}

    def create_schema(self, manifest: dict[str, str]) -> None:
        """Create every table and write the manifest (inside a write transaction; the file's
        page size, 4 KiB, is set before its first table, as `PAGE_BYTES` of the segments
        expects)."""
        for stmt in SCHEMA.strip().split(";"):
            if stmt.strip():
                self.conn.execute(stmt)
        self.conn.executemany(
            "INSERT INTO manifest(key, value) VALUES (?, ?)", sorted(manifest.items())
        )

    def read_manifest(self) -> dict[str, str]:
        rows = self.read("SELECT key, value FROM manifest")
        return {str(k): str(v) for k, v in rows}

    # -- transactions ---------------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT); rolled back on any error."""
        with self.lock:
            conn = self.conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self.db_error(exc) from exc
            try:
                yield conn
            except sqlite3.Error as exc:
                conn.execute("ROLLBACK")
                raise self.db_error(exc) from exc
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                conn.execute("ROLLBACK")
                raise self.db_error(exc) from exc

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction: every read inside sees the same committed state."""
        with self.lock:
            if self._in_read or self.conn.in_transaction:
                self._in_read += 1
                try:
                    yield
                finally:
                    self._in_read -= 1
                return
            try:
                self.conn.execute("BEGIN")
            except sqlite3.Error as exc:
                raise self.db_error(exc) from exc
            self._in_read = 1
            try:
                yield
            finally:
                self._in_read = 0
                # a read transaction cannot fail to end
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("COMMIT")

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.lock:
            try:
                return self.conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise self.db_error(exc) from exc

    def data_version(self) -> int:
        return int(self.read("PRAGMA data_version")[0][0])

    # -- works ----------------------------------------------------------------------------------

    def rowids_of(
        self, conn: sqlite3.Connection, work_ids: Sequence[str | int]
    ) -> list[int | None]:
        out: list[int | None] = []
        for w in work_ids:
            row = conn.execute(
                "SELECT rowid FROM works WHERE work_id = ?", (id_param(w),)
            ).fetchone()
            out.append(None if row is None else int(row[0]))
        return out

    @staticmethod
    def next_rowids(conn: sqlite3.Connection, n: int) -> list[int]:
        """The row ids the next `n` works get (AUTOINCREMENT: never one used before)."""
        row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'works'").fetchone()
        top = int(row[0]) if row else 0
        return list(range(top + 1, top + 1 + n))

    def insert_works(
        self, conn: sqlite3.Connection, works: Sequence[NewWork], rowids: Sequence[int]
    ) -> None:
        """Insert works with the row ids `next_rowids` gave (a cluster of 0: its own)."""
        conn.executemany(
            "INSERT INTO works(rowid, work_id, id_is_int, metadata, registered_at, sha256, "
            "n_chars, n_tokens, token_chars, n_shingles, n_fp, flags, cluster, signature) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r,
                    id_param(w.work_id),
                    int(isinstance(w.work_id, int)),
                    w.metadata_json,
                    w.registered_at,
                    w.sha256,
                    w.n_chars,
                    w.n_tokens,
                    w.token_chars,
                    w.n_shingles,
                    w.n_fp,
                    w.flags,
                    w.cluster or r,
                    w.signature,
                )
                for r, w in zip(rowids, works)
            ],
        )
        conn.execute("UPDATE counts SET n = n + ? WHERE name = 'works'", (len(works),))
        self.join_clusters(conn, [w.cluster or r for r, w in zip(rowids, works)])

    def update_works(
        self, conn: sqlite3.Connection, works: Sequence[NewWork], rowids: Sequence[int]
    ) -> None:
        """Rewrite works' statistics, signatures and clusters (a rebuild); ids, metadata,
        registration times and texts stay."""
        conn.executemany(
            "UPDATE works SET n_tokens = ?, token_chars = ?, n_shingles = ?, n_fp = ?, "
            "flags = ?, cluster = ?, signature = ? WHERE rowid = ?",
            [
                (
                    w.n_tokens,
                    w.token_chars,
                    w.n_shingles,
                    w.n_fp,
                    w.flags,
                    w.cluster or r,
                    w.signature,
                    r,
                )
                for r, w in zip(rowids, works)
            ],
        )
        self.join_clusters(conn, [w.cluster or r for r, w in zip(rowids, works)])

    @staticmethod
    def join_clusters(conn: sqlite3.Connection, clusters: Sequence[int]) -> None:
        """One more work in each of `clusters` (repeats count), and the number of clusters."""
        counts: dict[int, int] = {}
        for c in clusters:
            counts[c] = counts.get(c, 0) + 1
        if not counts:
            return
        keys = sorted(counts)
        known: set[int] = set()
        for lo in range(0, len(keys), 500):
            chunk = keys[lo : lo + 500]
            marks = ",".join("?" * len(chunk))
            known.update(
                int(r[0])
                for r in conn.execute(
                    f"SELECT cluster FROM clusters WHERE cluster IN ({marks})", chunk
                )
            )
        conn.executemany(
            "INSERT INTO clusters(cluster, n) VALUES (?, ?) "
            "ON CONFLICT(cluster) DO UPDATE SET n = n + excluded.n",
            [(c, counts[c]) for c in keys],
        )
        new = len(keys) - len(known)
        if new:
            conn.execute("UPDATE counts SET n = n + ? WHERE name = 'clusters'", (new,))

    @staticmethod
    def leave_cluster(conn: sqlite3.Connection, cluster: int) -> None:
        conn.execute("UPDATE clusters SET n = n - 1 WHERE cluster = ?", (cluster,))
        if conn.execute("DELETE FROM clusters WHERE cluster = ? AND n <= 0", (cluster,)).rowcount:
            conn.execute("UPDATE counts SET n = n - 1 WHERE name = 'clusters'")

    def delete_work(self, conn: sqlite3.Connection, rowid: int) -> int:
        """Delete a work's row and text; return its cluster."""
        (cluster,) = conn.execute("SELECT cluster FROM works WHERE rowid = ?", (rowid,)).fetchone()
        conn.execute("DELETE FROM works WHERE rowid = ?", (rowid,))
        conn.execute(
            "DELETE FROM texts WHERE id >= ? AND id < ?",
            (rowid << TEXT_BLOCK_SHIFT, (rowid + 1) << TEXT_BLOCK_SHIFT),
        )
        conn.execute("UPDATE counts SET n = n - 1 WHERE name = 'works'")
        self.leave_cluster(conn, int(cluster))
        return int(cluster)

    def n_works(self) -> int:
        return int(self.read("SELECT n FROM counts WHERE name = 'works'")[0][0])

    def n_clusters(self) -> int:
        return int(self.read("SELECT n FROM counts WHERE name = 'clusters'")[0][0])

    def stats(self, rowids: Iterable[int]) -> dict[int, WorkStats]:
        ids = sorted(set(rowids))
        if not ids:
            return {}
        out: dict[int, WorkStats] = {}
        for lo in range(0, len(ids), 500):
            chunk = ids[lo : lo + 500]
            marks = ",".join("?" * len(chunk))
            for r in self.read(
                "SELECT rowid, n_chars, n_tokens, token_chars, n_shingles, n_fp, flags, cluster "
                f"FROM works WHERE rowid IN ({marks})",
                chunk,
            ):
                out[int(r[0])] = WorkStats(*(int(x) for x in r))
        return out

    def identities(self, rowids: Iterable[int]) -> dict[int, WorkIdentity]:
        ids = sorted(set(rowids))
        out: dict[int, WorkIdentity] = {}
        for lo in range(0, len(ids), 500):
            chunk = ids[lo : lo + 500]
            marks = ",".join("?" * len(chunk))
            for r in self.read(
                f"SELECT rowid, work_id, id_is_int, metadata FROM works WHERE rowid IN ({marks})",
                chunk,
            ):
                out[int(r[0])] = WorkIdentity(int(r[0]), r[1], int(r[2]), r[3])
        return out

    def signatures(self, conn: sqlite3.Connection, rowids: Sequence[int]) -> dict[int, bytes]:
        out: dict[int, bytes] = {}
        ids = sorted(set(rowids))
        for lo in range(0, len(ids), 500):
            chunk = ids[lo : lo + 500]
            marks = ",".join("?" * len(chunk))
            for r, sig in conn.execute(
                f"SELECT rowid, signature FROM works WHERE rowid IN ({marks})", chunk
            ):
                out[int(r)] = bytes(sig)
        return out

    # -- texts ----------------------------------------------------------------------------------

    def write_texts(
        self, conn: sqlite3.Connection, rowids: Sequence[int], blocks: Sequence[list[bytes]]
    ) -> None:
        """Store each work's compressed text blocks."""
        conn.executemany(
            "INSERT INTO texts(id, data) VALUES (?, ?)",
            [
                ((r << TEXT_BLOCK_SHIFT) + i, b)
                for r, bs in zip(rowids, blocks)
                for i, b in enumerate(bs)
            ],
        )

    def text_blocks(self, wanted: Mapping[int, Sequence[int]]) -> dict[tuple[int, int], bytes]:
        """The stored blocks ``{(rowid, block): data}`` of the blocks `wanted` per work."""
        keys = sorted(
            (r << TEXT_BLOCK_SHIFT) | b for r, blocks in wanted.items() for b in set(blocks)
        )
        out: dict[tuple[int, int], bytes] = {}
        mask = (1 << TEXT_BLOCK_SHIFT) - 1
        for lo in range(0, len(keys), 500):
            chunk = keys[lo : lo + 500]
            marks = ",".join("?" * len(chunk))
            for key, data in self.read(f"SELECT id, data FROM texts WHERE id IN ({marks})", chunk):
                out[(int(key) >> TEXT_BLOCK_SHIFT, int(key) & mask)] = bytes(data)
        return out

    def all_text_blocks(self, conn: sqlite3.Connection, rowid: int) -> list[bytes]:
        rows = conn.execute(
            "SELECT data FROM texts WHERE id >= ? AND id < ? ORDER BY id",
            (rowid << TEXT_BLOCK_SHIFT, (rowid + 1) << TEXT_BLOCK_SHIFT),
        ).fetchall()
        return [bytes(r[0]) for r in rows]

    # -- segments -------------------------------------------------------------------------------

    def segments(self) -> list[tuple[int, int, int, str]]:
        """Every live segment: (id, n_works, n_records, layouts JSON), oldest first."""
        return [
            (int(a), int(b), int(c), str(d))
            for a, b, c, d in self.read(
                "SELECT id, n_works, n_records, layouts FROM segments ORDER BY id"
            )
        ]

    def removed(self) -> list[tuple[int, int, int]]:
        """Removed works whose postings are still in a segment: (work, segment, n_records)."""
        return [
            (int(a), int(b), int(c))
            for a, b, c in self.read("SELECT work, segment, n_records FROM removed")
        ]

    def blob_id(self, segment: int, slot: int) -> int:
        return (segment << SEGMENT_SLOT_BITS) | slot

    def read_blob(self, segment: int, slot: int) -> bytes:
        rows = self.read(
            "SELECT data FROM segment_blobs WHERE id = ?", (self.blob_id(segment, slot),)
        )
        if not rows:
            raise FormatError(
                f"registry {self.where} is damaged: segment {segment} lacks its part {slot}; "
                "restore it from a backup or rebuild it"
            )
        return bytes(rows[0][0])


def metadata_param(raw: str | None) -> str | bytes | None:
    return None if raw is None else db_str(raw)


def blob_of(array: np.ndarray, dtype: str) -> bytes:
    return np.ascontiguousarray(array, dtype=dtype).tobytes()
