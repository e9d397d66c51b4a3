"""Upgrade of a format-1 registry file (textprint 0.1) to format 2, in place.

Format 1 kept every fingerprint as a row of an indexed SQLite table (``fp``), document
frequencies in ``df``, band keys in ``bands`` and each text as one zlib stream. Format 2 keeps
postings in packed segments and texts in zstandard blocks (see docs/explanation/registry.md).

The upgrade runs in one transaction: the format-1 tables are renamed out of the way, the
format-2 tables are created and filled, then the old tables are dropped. Works keep their row
ids, ids, metadata, registration times and clusters. With stored texts every work is
re-fingerprinted under the file's settings and this textprint's pipeline (as a rebuild would);
without, its fingerprints and band keys are carried over as they are, and the manifest keeps the
versions the file was built with.
"""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, StorageError
from ..hashing import fmix64
from ..minhash import EMPTY
from . import _postings
from ._rows import compress_blocks
from ._segments import FamilyData, write_segment
from ._store import FLAG_CJK, FLAG_DOC_JA, FORMAT, FORMAT_VERSION, Store

_V1_TABLES = ("works", "fp", "bands", "df", "manifest")
#: Works upgraded per transaction step (one segment each).
_BATCH = 1000


def upgrade_file(path: Path | None) -> None:
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
        if version == str(FORMAT_VERSION):
            return
        if version != "1" or not set(_V1_TABLES) <= tables:
            raise FormatError(
                f"{str(path)!r} has registry format version {version!r}; this textprint "
                f"upgrades version 1 to {FORMAT_VERSION}"
            )
        with store.write() as conn:
            _upgrade(store, conn, manifest)
    finally:
        store.close()


def _upgrade(store: Store, conn: sqlite3.Connection, old: dict[str, str]) -> None:
    from ._registry import settings_manifest

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
    if not store_text:
        # the fingerprints are carried over: the versions that made them stay recorded
        for key in (
            "normalization",
            "tables_version",
            "unicode_version",
            "opencc_version",
            "tokenizer_identity",
            "hash",
        ):
            manifest[key] = old.get(key, "")
    store.create_schema(manifest)
    rowids = [int(r[0]) for r in conn.execute("SELECT rowid FROM v1_works ORDER BY rowid")]
    if store_text:
        _refingerprint(store, conn, rowids, settings)
    else:
        _carry_over(store, conn, rowids, settings)
    for t in ("v1_works", "v1_manifest", "fp", "bands", "df"):
        conn.execute(f"DROP TABLE {t}")


def _copy_rows(conn: sqlite3.Connection, chunk: list[int]) -> list[tuple[Any, ...]]:
    marks = ",".join("?" * len(chunk))
    return conn.execute(
        "SELECT rowid, work_id, id_is_int, metadata, registered_at, sha256, n_chars, n_fp, "
        f"cluster, signature, text FROM v1_works WHERE rowid IN ({marks}) ORDER BY rowid",
        chunk,
    ).fetchall()


def _insert(
    conn: sqlite3.Connection,
    row: tuple[Any, ...],
    *,
    n_tokens: int,
    token_chars: int,
    n_shingles: int,
    n_fp: int,
    flags: int,
    signature: bytes,
) -> None:
    rowid, work_id, id_is_int, metadata, at, sha, n_chars, _, cluster = row[:9]
    conn.execute(
        "INSERT INTO works(rowid, work_id, id_is_int, metadata, registered_at, sha256, n_chars, "
        "n_tokens, token_chars, n_shingles, n_fp, flags, cluster, signature) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            rowid,
            work_id,
            id_is_int,
            metadata,
            at,
            sha,
            n_chars,
            n_tokens,
            token_chars,
            n_shingles,
            n_fp,
            flags,
            cluster,
            signature,
        ),
    )
    conn.execute("UPDATE counts SET n = n + 1 WHERE name = 'works'")
    Store.join_cluster(conn, int(cluster))


def _sig32(raw: bytes) -> bytes:
    sig = np.frombuffer(raw, dtype="<u8")
    return np.ascontiguousarray(sig & np.uint64(0xFFFFFFFF), "<u4").tobytes()


def _refingerprint(
    store: Store, conn: sqlite3.Connection, rowids: list[int], settings: dict[str, Any]
) -> None:
    """Works with stored texts: re-fingerprinted as a registration would, clusters kept."""
    from ..lsh import band_keys, optimal_bands
    from ..minhash import MinHasher
    from ._prepare import prepare
    from ._registry import _BAND_MIX, EDITION_THRESHOLD

    hasher = MinHasher(
        settings["n_hashes"],
        k=settings["k"],
        tokenizer=settings["tokenizer"],
        seed=settings["seed"],
        scheme=settings["scheme"],
    )
    bands, rows_per_band = optimal_bands(EDITION_THRESHOLD, n_hashes=settings["n_hashes"])

    def minima(sh: Any) -> Any:
        if settings["scheme"] == "datasketch":
            return hasher._minima(sh)
        return hasher._from_hashes(sh.hashes, sh.bounds)

    for lo in range(0, len(rowids), _BATCH):
        chunk = rowids[lo : lo + _BATCH]
        rows = _copy_rows(conn, chunk)
        texts = [zlib.decompress(r[10]).decode("utf-8", "surrogatepass") for r in rows]
        prepared, sigs = prepare(
            texts,
            k=settings["k"],
            window=settings["window"],
            seed=settings["seed"],
            tokenizer=settings["tokenizer"],
            align=False,
            minima=minima,
        )
        fk, fw, fs = [], [], []
        bk, bw = [], []
        stats = []
        for i, (row, text, p, sig) in enumerate(zip(rows, texts, prepared, sigs)):
            flags = (FLAG_CJK if p.cjk else 0) | (FLAG_DOC_JA if p.doc_ja else 0)
            _insert(
                conn,
                row,
                n_tokens=p.n_tokens,
                token_chars=p.token_chars,
                n_shingles=len(p.shingles),
                n_fp=len(p.fp_hashes),
                flags=flags,
                signature=np.ascontiguousarray(sig & np.uint64(0xFFFFFFFF), "<u4").tobytes(),
            )
            store.write_text_blocks(conn, int(row[0]), compress_blocks(text))
            fk.append(_postings.key_of(p.fp_hashes))
            fw.append(np.full(len(p.fp_hashes), i, np.int64))
            fs.append(p.fp_starts)
            stats.append((len(text), p.n_tokens, p.token_chars))
            if not bool((sig == EMPTY).all()):
                keys = band_keys(np.asarray(sig, np.uint64)[None, :], bands, rows_per_band)[0]
                mixed = fmix64(keys + np.arange(1, bands + 1, dtype=np.uint64) * _BAND_MIX)
                bk.append(_postings.key_of(mixed))
                bw.append(np.full(bands, i, np.int64))
        _segment(store, conn, rows, stats, fk, fw, fs, None, bk, bw, coarse=True)


def _carry_over(
    store: Store, conn: sqlite3.Connection, rowids: list[int], settings: dict[str, Any]
) -> None:
    """Works without stored texts: fingerprints and band keys carried over as they are."""
    from ._registry import _BAND_MIX

    for lo in range(0, len(rowids), _BATCH):
        chunk = rowids[lo : lo + _BATCH]
        rows = _copy_rows(conn, chunk)
        local = {int(r[0]): i for i, r in enumerate(rows)}
        marks = ",".join("?" * len(chunk))
        fp = np.array(
            conn.execute(
                f"SELECT hash, work, start, end FROM fp WHERE work IN ({marks})", chunk
            ).fetchall(),
            dtype=np.int64,
        ).reshape(-1, 4)
        bands = np.array(
            conn.execute(
                f"SELECT band, key, work FROM bands WHERE work IN ({marks})", chunk
            ).fetchall(),
            dtype=np.int64,
        ).reshape(-1, 3)
        for row in rows:
            _insert(
                conn,
                row,
                n_tokens=0,
                token_chars=0,
                n_shingles=0,
                n_fp=int(row[7]),
                flags=0,
                signature=_sig32(row[9]),
            )
        works_idx = np.array([local[int(w)] for w in fp[:, 1]], dtype=np.int64)
        mixed = fmix64(
            bands[:, 1].view(np.uint64) + (bands[:, 0].astype(np.uint64) + np.uint64(1)) * _BAND_MIX
        )
        band_idx = np.array([local[int(w)] for w in bands[:, 2]], dtype=np.int64)
        stats = [(int(r[6]), 0, 0) for r in rows]
        _segment(
            store,
            conn,
            rows,
            stats,
            [_postings.key_of(fp[:, 0].view(np.uint64))],
            [works_idx],
            [fp[:, 2]],
            [fp[:, 3] - fp[:, 2]],
            [_postings.key_of(mixed)],
            [band_idx],
            coarse=False,
        )


def _segment(
    store: Store,
    conn: sqlite3.Connection,
    rows: list[tuple[Any, ...]],
    stats: list[tuple[int, int, int]],
    fk: list[Any],
    fw: list[Any],
    fs: list[Any],
    fl: list[Any] | None,
    bk: list[Any],
    bw: list[Any],
    *,
    coarse: bool,
) -> None:
    def cat(parts: list[Any], dtype: Any) -> Any:
        return np.concatenate(parts) if parts else np.zeros(0, dtype)

    families = {
        _postings.FP: FamilyData(
            keys=cat(fk, np.uint64),
            work=cat(fw, np.int64),
            start=cat(fs, np.int64),
            length=cat(fl, np.int64) if fl is not None else None,
        ),
        _postings.BAND: FamilyData(keys=cat(bk, np.uint64), work=cat(bw, np.int64)),
    }
    write_segment(
        store,
        conn,
        np.array([int(r[0]) for r in rows], dtype=np.int64),
        np.array([int(r[8]) for r in rows], dtype=np.int64),
        np.array(stats, dtype=np.int64).reshape(-1, 3),
        families,
        coarse=coarse,
    )
