"""A slow, independent reader of registry files (format 2), and an oracle of their index.

Not a test module. It reads the file with plain SQL and pure Python integers, following the
format as docs/explanation/registry.md describes it, without importing the registry's own code,
so that the tests can hold the registry's packed index against it:

* posting keys are the top 48 bits of 64-bit hashes; a family of ``n`` records has ``2**B``
  buckets, a directory of ``2**B + 1`` little-endian offsets (4 bytes, or 8 when they do not
  fit), and records of ``words`` little-endian 64-bit words whose fields sit at the positions the
  segment's layout JSON gives (``[name, bits, word, lo]``); the first field is the key below
  the bucket bits; starts are stored ``>> shift``;
* a segment stores its works' row ids and clusters (int64) and their n_chars, n_tokens and
  token_chars (int64, three per work); records name works by their index in that list; the
  records themselves are in rows of ``segment_pages`` keyed ``segment << 32 | family << 28 |
  page`` (family 0 for fingerprints, 1 for band keys);
* band keys are ``fmix64(band_key + (band + 1) * 0x9E3779B97F4A7C15)`` of the signature's
  band keys (lsh.band_keys), so bands never share keys.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import struct
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import zstandard

from reference_hashing import fmix64

SLOT_BITS = 20
SLOTS = {"works": 0, "clusters": 1, "stats": 4, "dir.fp": 2, "dir.band": 3}
FAMILY_NUMBER = {"fp": 0, "band": 1}
BAND_MIX = 0x9E3779B97F4A7C15
MASK64 = (1 << 64) - 1
TEXT_BLOCK_SHIFT = 24


@dataclass
class Segment:
    id: int
    works: list[int]
    clusters: list[int]
    stats: list[tuple[int, int, int]]
    # family -> list of (key48, rowid, start, length or None)
    postings: dict[str, list[tuple[int, int, int, int | None]]] = field(default_factory=dict)


def _ints(raw: bytes, width: int) -> list[int]:
    fmt = {4: "I", 8: "Q"}[width]
    return list(struct.unpack(f"<{len(raw) // width}{fmt}", raw))


def _blob(conn: sqlite3.Connection, seg: int, slot: int) -> bytes | None:
    row = conn.execute(
        "SELECT data FROM segment_blobs WHERE id = ?", ((seg << SLOT_BITS) | slot,)
    ).fetchone()
    return None if row is None else bytes(row[0])


def read_segments(conn: sqlite3.Connection) -> list[Segment]:
    """Every segment of the file, its postings decoded record by record."""
    out = []
    for seg, n_works, n_records, layouts_json in conn.execute(
        "SELECT id, n_works, n_records, layouts FROM segments ORDER BY id"
    ).fetchall():
        works = _ints(_blob(conn, seg, SLOTS["works"]) or b"", 8)
        clusters = _ints(_blob(conn, seg, SLOTS["clusters"]) or b"", 8)
        flat = _ints(_blob(conn, seg, SLOTS["stats"]) or b"", 8)
        stats = [tuple(flat[i : i + 3]) for i in range(0, len(flat), 3)]
        assert len(works) == len(clusters) == len(stats) == n_works
        s = Segment(seg, works, clusters, stats)  # type: ignore[arg-type]
        total = 0
        for family, lay in json.loads(layouts_json).items():
            n, b, words, shift = lay["n"], lay["bucket_bits"], lay["words"], lay["shift"]
            fields = {f[0]: (f[1], f[2], f[3]) for f in lay["fields"]}
            raw_dir = _blob(conn, seg, SLOTS[f"dir.{family}"]) or b""
            width = len(raw_dir) // ((1 << b) + 1)
            offsets = _ints(raw_dir, width)
            assert offsets[0] == 0, "the directory does not start at 0"
            assert offsets[-1] == n, "the directory does not cover the records"
            assert all(x <= y for x, y in itertools.pairwise(offsets))
            base = (seg << 32) | (FAMILY_NUMBER[family] << 28)
            data = b"".join(
                bytes(d)
                for (d,) in conn.execute(
                    "SELECT data FROM segment_pages WHERE id >= ? AND id < ? ORDER BY id",
                    (base, base + (1 << 28)),
                )
            )
            assert len(data) == n * 8 * words, f"segment {seg} {family}: {len(data)} bytes"
            values = _ints(data, 8)
            key_bits = 48 - b
            posts = []
            bucket = 0
            for i in range(n):
                while offsets[bucket + 1] <= i:
                    bucket += 1
                rec = values[i * words : (i + 1) * words]

                def get(name: str, rec: list[int] = rec, fields: dict[str, Any] = fields) -> int:
                    bits, word, lo = fields[name]
                    return int((rec[word] >> lo) & ((1 << bits) - 1)) if bits else 0

                key = (bucket << key_bits) | get("key")
                work = get("work")
                start = (get("start") << shift) if "start" in fields else 0
                length = get("length") if "length" in fields else None
                posts.append((key, works[work], start, length))
            assert posts == sorted(posts, key=lambda p: (p[0], p[1], p[2])), "records unsorted"
            s.postings[family] = posts
            total += n
        assert total == n_records
        out.append(s)
    return out


def read_text(conn: sqlite3.Connection, rowid: int) -> str:
    rows = conn.execute(
        "SELECT data FROM texts WHERE id >= ? AND id < ? ORDER BY id",
        (rowid << TEXT_BLOCK_SHIFT, (rowid + 1) << TEXT_BLOCK_SHIFT),
    ).fetchall()
    out = []
    for (data,) in rows:
        raw = zstandard.ZstdDecompressor().decompress(bytes(data)[1:])
        enc = {b"8": "utf-8", b"6": "utf-16-le"}[bytes(data)[:1]]
        out.append(raw.decode(enc, "surrogatepass"))
    return "".join(out)


def mixed_band_keys(sig: list[int], bands: int, rows: int) -> list[int]:
    """The band postings' keys of a (64-bit) signature."""
    r = 0x9E3779B97F4A7C15  # hashing.R: the multiplier of the band-key polynomial
    out = []
    for b in range(bands):
        acc = 0
        for t in range(rows):
            acc = (acc * r + sig[b * rows + t]) & MASK64
        key = fmix64((acc + rows) & MASK64)
        out.append(fmix64((key + (b + 1) * BAND_MIX) & MASK64) >> 16)
    return out


def index_report(conn: sqlite3.Connection) -> dict[str, Any]:
    """Everything a consistency check compares, read independently of the registry's code."""
    manifest = dict(conn.execute("SELECT key, value FROM manifest").fetchall())
    works = {
        int(r[0]): r
        for r in conn.execute(
            "SELECT rowid, work_id, cluster, n_chars, n_tokens, token_chars, n_shingles, n_fp, "
            "flags, signature FROM works"
        ).fetchall()
    }
    removed = dict(conn.execute("SELECT work, segment FROM removed").fetchall())
    clusters = dict(conn.execute("SELECT cluster, n FROM clusters").fetchall())
    return {
        "manifest": manifest,
        "works": works,
        "removed": removed,
        "clusters": clusters,
        "segments": read_segments(conn),
        "cluster_counts": Counter(int(r[2]) for r in works.values()),
        "counts": dict(conn.execute("SELECT name, n FROM counts").fetchall()),
    }
