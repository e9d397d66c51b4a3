"""Upgrade of a format-1 registry file (textprint 0.1) to format 2, in place.

Format 1 kept every fingerprint as a row of an indexed SQLite table (``fp``), document
frequencies in ``df``, band keys in ``bands`` and each text as one zlib stream. Format 2 keeps
postings in packed segments and texts in zstandard blocks (see docs/explanation/registry.md).

With stored texts, the upgrade converts the rows in one transaction (works keep their row ids,
ids, metadata, registration times and texts), marking the manifest as needing a rebuild, then
rebuilds the index as :meth:`Registry.rebuild` does (a second transaction). A process killed
between the two leaves a format-2 file whose checks ask for ``rebuild``: nothing is lost.
Without stored texts, fingerprints and band keys are carried over as they are, in one
transaction, and the manifest keeps the versions the file was built with.
"""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, StorageError
from . import _postings
from ._registration import mix_band_keys
from ._rows import compress_blocks
from ._segments import FamilyData, write_segment
from ._store import FORMAT, FORMAT_VERSION, Store

_V1_TABLES = ("works", "fp", "bands", "df", "manifest")
#: Works carried over per segment (without stored texts).
_BATCH = 1000
#: What the manifest says of the pipeline until the rebuild that ends an upgrade: stale, so
#: checks and registrations ask for a rebuild.
NEEDS_REBUILD = "format-1 file upgraded: the index needs a rebuild"


def upgrade_file(path: Path | None) -> bool:
    from ._registry import Registry

    if path is None:
        raise StorageError("an in-memory registry has no file to upgrade")
    if not path.exists():
        raise StorageError(f"registry {str(path)!r} does not exist")
    store = Store(path, 10.0)
    try:
        tables = store.tables()
        if "manifest" not in tables:
            raise FormatError(f"{str(path)!r} is not a textprint registry (no manifest table)")
        manifest = store.read_manifest()
        if manifest.get("format") != FORMAT:
            raise FormatError(f"{str(path)!r} is not a textprint registry")
        version = manifest.get("format_version")
        converted = version == "1" and set(_V1_TABLES) <= tables
        if converted:
            with store.write() as conn:
                _convert(store, conn, manifest)
        elif version != str(FORMAT_VERSION):
            raise FormatError(
                f"{str(path)!r} has registry format version {version!r}; this textprint "
                f"upgrades version 1 to {FORMAT_VERSION}"
            )
        store_text = store.read_manifest().get("store_text") == "True"
        needs = store.read_manifest().get("normalization") == NEEDS_REBUILD
    finally:
        store.close()
    if store_text and needs:
        with Registry(path) as reg:
            reg.rebuild()
    return converted


def _convert(store: Store, conn: sqlite3.Connection, old: dict[str, str]) -> None:
    from ._manifest import PIPELINE_KEYS, settings_manifest

    for t in ("works", "manifest"):
        conn.execute(f"ALTER TABLE {t} RENAME TO v1_{t}")
    for idx in ("works_cluster", "fp_hash", "fp_work", "bands_key", "bands_work"):
        conn.execute(f"DROP INDEX IF EXISTS {idx}")
    store_text = old.get("store_text") == "True"
    settings = {
        "k": int(old["k"]),
        "window": int(old["window"]),
        "n_hashes": int(old["n_hashes"]),
        "tokenizer": old["tokenizer"],
        "seed": int(old["seed"]),
        "scheme": old["scheme"],
    }
    manifest = settings_manifest(settings, store_text)
    if store_text:
        manifest["normalization"] = NEEDS_REBUILD
    else:
        # the fingerprints are carried over: the versions that made them stay recorded
        for key in PIPELINE_KEYS:
            manifest[key] = old.get(key, "")
    store.create_schema(manifest)
    rowids = [int(r[0]) for r in conn.execute("SELECT rowid FROM v1_works ORDER BY rowid")]
    for lo in range(0, len(rowids), _BATCH):
        chunk = rowids[lo : lo + _BATCH]
        rows = _copy_rows(conn, chunk)
        for row in rows:
            _insert(store, conn, row)
            if store_text:
                text = zlib.decompress(row[10]).decode("utf-8", "surrogatepass")
                store.write_texts(conn, [int(row[0])], [compress_blocks(text)])
        if not store_text:
            _carry_over(store, conn, rows)
    for t in ("v1_works", "v1_manifest", "fp", "bands", "df"):
        conn.execute(f"DROP TABLE {t}")


def _copy_rows(conn: sqlite3.Connection, chunk: list[int]) -> list[tuple[Any, ...]]:
    marks = ",".join("?" * len(chunk))
    return conn.execute(
        "SELECT rowid, work_id, id_is_int, metadata, registered_at, sha256, n_chars, n_fp, "
        f"cluster, signature, text FROM v1_works WHERE rowid IN ({marks}) ORDER BY rowid",
        chunk,
    ).fetchall()


def _insert(store: Store, conn: sqlite3.Connection, row: tuple[Any, ...]) -> None:
    """A format-1 works row in format 2: the statistics a check needs without texts (n_chars,
    n_fp) come along; the others are filled in by the rebuild (with texts) or not needed."""
    rowid, work_id, id_is_int, metadata, at, sha, n_chars, n_fp, cluster, sig = row[:10]
    sig32 = np.frombuffer(sig, dtype="<u8") & np.uint64(0xFFFFFFFF)
    conn.execute(
        "INSERT INTO works(rowid, work_id, id_is_int, metadata, registered_at, sha256, n_chars, "
        "n_tokens, token_chars, n_shingles, n_fp, flags, cluster, signature) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?, 0, ?, ?)",
        (
            rowid,
            work_id,
            id_is_int,
            metadata,
            at,
            sha,
            n_chars,
            n_fp,
            cluster,
            np.ascontiguousarray(sig32, "<u4").tobytes(),
        ),
    )
    conn.execute("UPDATE counts SET n = n + 1 WHERE name = 'works'")
    store.join_clusters(conn, [int(cluster)])


def _carry_over(store: Store, conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    """Works without stored texts: their fingerprints and band keys carried over as they are,
    one segment per chunk of works."""
    chunk = [int(r[0]) for r in rows]
    local = {r: i for i, r in enumerate(chunk)}
    marks = ",".join("?" * len(chunk))
    fp = np.array(
        conn.execute(
            f"SELECT hash, work, start, end FROM fp WHERE work IN ({marks})", chunk
        ).fetchall(),
        dtype=np.int64,
    ).reshape(-1, 4)
    bands = np.array(
        conn.execute(
            f"SELECT band, key, work FROM bands WHERE work IN ({marks}) ORDER BY work, band", chunk
        ).fetchall(),
        dtype=np.int64,
    ).reshape(-1, 3)
    # the band keys of each work, in band order, mixed as a registration mixes them
    n_bands = int(bands[:, 0].max()) + 1 if len(bands) else 0
    per_work = bands[:, 1].view(np.uint64).reshape(-1, n_bands) if n_bands else None
    band_work = bands[:: max(1, n_bands), 2] if n_bands else np.zeros(0, np.int64)
    mixed = mix_band_keys(per_work).ravel() if per_work is not None else np.zeros(0, np.uint64)
    families = {
        _postings.FP: FamilyData(
            keys=_postings.key_of(fp[:, 0].view(np.uint64)),
            work=np.array([local[int(w)] for w in fp[:, 1]], dtype=np.int64),
            start=fp[:, 2],
            length=fp[:, 3] - fp[:, 2],
        ),
        _postings.BAND: FamilyData(
            keys=_postings.key_of(mixed),
            work=np.repeat(np.array([local[int(w)] for w in band_work], dtype=np.int64), n_bands),
        ),
    }
    write_segment(
        store,
        conn,
        np.array(chunk, dtype=np.int64),
        np.array([int(r[8]) for r in rows], dtype=np.int64),
        np.array([(int(r[6]), 0, 0) for r in rows], dtype=np.int64).reshape(-1, 3),
        families,
        coarse=False,
    )
