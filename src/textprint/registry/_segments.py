"""Posting segments: writing, reading, merging (the registry's index, after Lucene and Passim).

A segment holds the postings of a set of works and never changes once written. Each
registration batch writes one segment in the same transaction as its works, so a work and its
postings become durable (and visible to readers) together. Removing a work deletes its row and
records it in ``removed``; its postings stay in their segment, ignored by every lookup, until a
merge drops them. Small segments are merged into larger ones (`merge_policy`), in one
transaction each, so a killed merge leaves the segments as they were.

Stored per segment (``segment_blobs``, id ``segment << 20 | slot``): the works' row ids
(int64, ascending) and their clusters (int64), and per family a directory and the records in
pages of ``PAGE_BYTES`` (rows of ``segment_pages``).

A reader keeps a `SegmentView` per live segment: a small segment's records are loaded whole and
searched in memory; a large one keeps only its directory in memory and reads the buckets a
lookup needs through incremental blob I/O (`sqlite3.Connection.blobopen`).
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .._typing import Int64Array, UInt64Array
from ..errors import FormatError
from . import _postings
from ._store import Store

SLOT_WORKS = 0
SLOT_CLUSTERS = 1
SLOT_STATS = 4  # per work: n_chars, n_tokens, token_chars (int64 each)
SLOT_DIRECTORY = {_postings.FP: 2, _postings.BAND: 3}
#: Families' numbers in the ids of their pages.
FAMILY_NUMBER = {_postings.FP: 0, _postings.BAND: 1}
#: Bytes of records per stored page: one row of ``segment_pages`` filling one 4 KiB page of
#: the file (SQLite keeps a row of up to 4,061 bytes whole in its leaf page), so reading the
#: records of a bucket reads one or two pages by their key. (A few large blobs read by
#: incremental I/O measured 20 times slower on a first read per check: SQLite walks a blob's
#: page chain to reach an offset.)
PAGE_BYTES = 4048
#: A family of at most this many bytes of records is loaded whole by a reader.
IN_MEMORY_BYTES = 1 << 25
#: Merge policy: segments are grouped in tiers of sizes growing by MERGE_FACTOR from
#: TIER_RECORDS; when a tier holds MERGE_FACTOR segments they are merged into one.
MERGE_FACTOR = 4
TIER_RECORDS = 1 << 16
#: A streaming merge handles about this many records of the key space at a time.
MERGE_CHUNK_RECORDS = 1 << 21


class FamilyData(NamedTuple):
    """Postings of one family, sorted by key then work then start (unsorted is accepted by
    `write_segment`, which sorts)."""

    keys: UInt64Array
    work: Int64Array  # index into the segment's works
    start: Int64Array | None = None
    length: Int64Array | None = None


class Found(NamedTuple):
    """Postings found for a lookup: for each, the query key's index and the posting."""

    qi: Int64Array
    rowid: Int64Array
    cluster: Int64Array
    start: Int64Array
    length: Int64Array  # -1 where the family keeps no lengths
    stats: Int64Array  # shape (n, 3): the work's n_chars, n_tokens, token_chars


def _columns(data: FamilyData) -> dict[str, Int64Array]:
    cols = {"work": data.work}
    if data.start is not None:
        cols["start"] = data.start
    if data.length is not None:
        cols["length"] = data.length
    return cols


def _plan(
    family: str, n: int, n_works: int, extras: dict[str, int], coarse: bool
) -> _postings.Layout:
    if family == _postings.FP:
        return _postings.plan(
            n,
            n_works,
            max_start=extras.get("max_start", 0),
            max_length=extras.get("max_length") if not coarse else None,
            coarse=coarse,
        )
    return _postings.plan(n, n_works)


def write_segment(
    store: Store,
    conn: sqlite3.Connection,
    works: Int64Array,
    clusters: Int64Array,
    stats: Int64Array,
    families: dict[str, FamilyData],
    *,
    coarse: bool,
    batch_order: bool = False,
) -> int:
    """Write a new segment of `works` (row ids, ascending) inside the caller's transaction;
    return its id. `batch_order`: the postings are ordered by work, then start (as a batch's
    are), so a stable sort by key orders them fully."""
    meta: dict[str, Any] = {}
    layouts: dict[str, _postings.Layout] = {}
    encoded: dict[str, tuple[UInt64Array, Int64Array]] = {}
    n_records = 0
    for family, data in families.items():
        # a batch's postings come by work, each work's in text order: a stable sort by key
        # alone orders them by (key, work, start); otherwise the full sort
        cols_in = _columns(data)
        if batch_order and "length" not in cols_in:
            order = np.argsort(data.keys, kind="stable")
        else:
            order = _postings.sort_postings(data.keys, cols_in)
        keys = data.keys[order]
        cols = {c: v[order] for c, v in _columns(data).items()}
        extras = {}
        if family == _postings.FP:
            extras["max_start"] = int(cols["start"].max()) if len(keys) else 0
            if "length" in cols:
                extras["max_length"] = int(cols["length"].max()) if len(keys) else 0
        layout = _plan(family, len(keys), len(works), extras, coarse)
        layouts[family] = layout
        meta[family] = {**layout.to_json(), **extras}
        encoded[family] = (_postings.encode(layout, keys, cols), _postings.directory(layout, keys))
        n_records += len(keys)
    cur = conn.execute(
        "INSERT INTO segments(n_works, n_records, layouts) VALUES (?, ?, ?)",
        (len(works), n_records, json.dumps(meta, sort_keys=True)),
    )
    seg = int(cur.lastrowid or 0)
    blobs = [
        (store.blob_id(seg, SLOT_WORKS), np.ascontiguousarray(works, "<i8").tobytes()),
        (store.blob_id(seg, SLOT_CLUSTERS), np.ascontiguousarray(clusters, "<i8").tobytes()),
        (store.blob_id(seg, SLOT_STATS), np.ascontiguousarray(stats, "<i8").tobytes()),
    ]
    for family, (records, offsets) in encoded.items():
        blobs.append(
            (store.blob_id(seg, SLOT_DIRECTORY[family]), _postings.directory_bytes(offsets))
        )
        write_pages(conn, seg, family, records, 0)
    conn.executemany("INSERT INTO segment_blobs(id, data) VALUES (?, ?)", blobs)
    return seg


def page_id(seg: int, family: str, page: int) -> int:
    """The key of a page of records in ``segment_pages``."""
    return (seg << 32) | (FAMILY_NUMBER[family] << 28) | page


def per_page(layout: _postings.Layout) -> int:
    return max(1, PAGE_BYTES // layout.record_bytes)


def write_pages(
    conn: sqlite3.Connection, seg: int, family: str, records: UInt64Array, first_page: int
) -> int:
    """Write `records` (a whole number of pages but for a last one) as pages from
    `first_page` on; the number of pages written."""
    if not len(records):
        return 0
    per = max(1, PAGE_BYTES // (8 * records.shape[1]))
    raw = np.ascontiguousarray(records, dtype="<u8")
    rows = [
        (page_id(seg, family, first_page + i), raw[lo : lo + per].tobytes())
        for i, lo in enumerate(range(0, len(raw), per))
    ]
    conn.executemany("INSERT INTO segment_pages(id, data) VALUES (?, ?)", rows)
    return len(rows)


def delete_segment(store: Store, conn: sqlite3.Connection, seg: int) -> None:
    conn.execute("DELETE FROM segments WHERE id = ?", (seg,))
    conn.execute(
        "DELETE FROM segment_blobs WHERE id >= ? AND id < ?",
        (store.blob_id(seg, 0), store.blob_id(seg + 1, 0)),
    )
    conn.execute("DELETE FROM segment_pages WHERE id >= ? AND id < ?", (seg << 32, (seg + 1) << 32))
    conn.execute("DELETE FROM removed WHERE segment = ?", (seg,))


@dataclass(eq=False)
class _Family:
    layout: _postings.Layout
    extras: dict[str, int]
    offsets: Int64Array | None = None
    keys: UInt64Array | None = None
    records: UInt64Array | None = None

    @property
    def in_memory(self) -> bool:
        return self.keys is not None and self.records is not None


@dataclass(eq=False)
class SegmentView:
    """A reader's view of one live segment (immutable, so cached while the segment lives)."""

    id: int
    n_works: int
    n_records: int
    families: dict[str, _Family]
    works: Int64Array | None = None
    clusters: Int64Array | None = None
    stats: Int64Array | None = None

    @classmethod
    def from_row(cls, seg: int, n_works: int, n_records: int, layouts_json: str) -> SegmentView:
        raw = json.loads(layouts_json)
        families = {
            name: _Family(
                _postings.Layout.from_json(value),
                {k: int(v) for k, v in value.items() if k in ("max_start", "max_length")},
            )
            for name, value in raw.items()
        }
        return cls(seg, n_works, n_records, families)

    def load_works(self, store: Store) -> None:
        if self.works is not None:
            return
        try:
            works = np.frombuffer(store.read_blob(self.id, SLOT_WORKS), dtype="<i8")
            clusters = np.frombuffer(store.read_blob(self.id, SLOT_CLUSTERS), dtype="<i8")
            stats = np.frombuffer(store.read_blob(self.id, SLOT_STATS), dtype="<i8").reshape(-1, 3)
        except ValueError as exc:
            raise damaged(store, f"segment {self.id} has a damaged works list ({exc})") from exc
        if not (len(works) == len(clusters) == len(stats) == self.n_works):
            raise damaged(store, f"segment {self.id} has a damaged works list")
        self.works = works.astype(np.int64)
        self.clusters = clusters.astype(np.int64)
        self.stats = stats.astype(np.int64)

    def family(
        self, store: Store, name: str, *, whole: bool = False, records: bool = False
    ) -> _Family | None:
        """The family `name` ready for lookups: searched in memory when small or `whole`;
        with its records in memory but searched through its directory when `records` (a
        writer's band lookups); else read bucket by bucket from the file."""
        fam = self.families.get(name)
        if fam is None:
            return None
        lay = fam.layout
        if fam.offsets is None:
            try:
                offsets = _postings.directory_from_bytes(
                    store.read_blob(self.id, SLOT_DIRECTORY[name]), lay.n_buckets
                )
            except ValueError as exc:
                raise damaged(store, f"segment {self.id}: {exc}") from exc
            if (
                int(offsets[0]) != 0
                or int(offsets[-1]) != lay.n
                or bool((np.diff(offsets) < 0).any())
            ):
                raise damaged(store, f"segment {self.id} has a damaged {name} directory")
            fam.offsets = offsets
        small = lay.n * lay.record_bytes <= IN_MEMORY_BYTES
        if fam.records is None and (whole or records or small):
            fam.records = self._read(store, name, 0, lay.n)
        if fam.keys is None and fam.records is not None and (whole or small):
            buckets = np.repeat(np.arange(lay.n_buckets, dtype=np.uint64), np.diff(fam.offsets))
            fam.keys = _postings.keys_of_records(lay, fam.records, buckets)
        return fam

    def _read(self, store: Store, name: str, lo: int, hi: int) -> UInt64Array:
        """Records ``[lo, hi)`` of family `name`, read from its pages."""
        lay = self.families[name].layout
        if hi <= lo:
            return np.zeros((0, lay.words), dtype=np.uint64)
        per = per_page(lay)
        p0, p1 = lo // per, (hi - 1) // per
        rows = store.read(
            "SELECT id, data FROM segment_pages WHERE id >= ? AND id <= ? ORDER BY id",
            (page_id(self.id, name, p0), page_id(self.id, name, p1)),
        )
        if len(rows) != p1 - p0 + 1:
            raise damaged(store, f"segment {self.id} lacks pages of its {name} postings")
        raw = b"".join(bytes(r[1]) for r in rows)
        start = (lo - p0 * per) * lay.record_bytes
        raw = raw[start : start + (hi - lo) * lay.record_bytes]
        if len(raw) != (hi - lo) * lay.record_bytes:
            raise damaged(store, f"segment {self.id} has a damaged {name} page")
        out: UInt64Array = np.frombuffer(raw, dtype="<u8").reshape(-1, lay.words)
        return out

    def _read_ranges(self, store: Store, name: str, lo: Int64Array, hi: Int64Array) -> UInt64Array:
        """Records of the ranges ``[lo[i], hi[i])`` (ascending, non-empty), concatenated: the
        pages they touch read in one query by their keys."""
        lay = self.families[name].layout
        per = per_page(lay)
        width = per * lay.record_bytes
        p0, p1 = lo // per, (hi - 1) // per
        pages = _postings.ragged(p0, p1 + 1)  # ascending, a page shared by two ranges twice
        if len(pages) > 1:
            pages = pages[np.concatenate(([True], pages[1:] != pages[:-1]))]
        base = page_id(self.id, name, 0)
        rows = store.read(
            "SELECT id, data FROM segment_pages WHERE id IN (SELECT value FROM json_each(?))"
            " ORDER BY id",
            (json.dumps((pages + base).tolist()),),
        )
        if len(rows) != len(pages):
            raise damaged(store, f"segment {self.id} lacks pages of its {name} postings")
        # every page is whole but the family's last one, whose records end the family
        last = (lay.n - 1) // per
        sizes = [len(r[1]) for r in rows]
        want = (lay.n - last * per) * lay.record_bytes if int(pages[-1]) == last else width
        if any(x != width for x in sizes[:-1]) or sizes[-1] != want:
            raise damaged(store, f"segment {self.id} has a damaged {name} page")
        table = np.frombuffer(b"".join([r[1] for r in rows]), dtype="<u8").reshape(-1, lay.words)
        # a range's pages are consecutive in `pages`, so its records are contiguous in `table`
        first = np.searchsorted(pages, p0) * per + (lo - p0 * per)
        out: UInt64Array = table[_postings.ragged(first, first + (hi - lo))]
        return out

    def lookup(
        self, store: Store, name: str, query: UInt64Array, *, records: bool = False
    ) -> Found | None:
        """Postings of family `name` whose key is in `query` (sorted unique posting keys)."""
        fam = self.family(store, name, records=records)
        if fam is None or not len(query):
            return None
        self.load_works(store)
        assert self.works is not None
        assert self.clusters is not None
        assert self.stats is not None
        lay = fam.layout
        if fam.in_memory:
            qi, recs = _postings.lookup(lay, query, keys=fam.keys, records=fam.records)
        elif fam.records is not None:
            qi, recs = _postings.lookup(lay, query, records=fam.records, offsets=fam.offsets)
        else:
            qi, recs = _postings.lookup(
                lay,
                query,
                offsets=fam.offsets,
                read=lambda a, b: self._read_ranges(store, name, a, b),
            )
        if not len(qi):
            return None
        work = _postings.decode(lay, recs, "work")
        if len(work) and int(work.max()) >= self.n_works:
            raise damaged(store, f"segment {self.id} has a posting of an unknown work")
        start = (
            _postings.decode(lay, recs, "start")
            if lay.field("start")
            else np.zeros(len(qi), np.int64)
        )
        length = (
            _postings.decode(lay, recs, "length")
            if lay.field("length")
            else np.full(len(qi), -1, np.int64)
        )
        return Found(qi, self.works[work], self.clusters[work], start, length, self.stats[work])

    def all_postings(self, store: Store, name: str) -> tuple[UInt64Array, Found] | None:
        """Every posting of family `name` with its key (for merges and exports)."""
        fam = self.family(store, name, whole=True)
        if fam is None:
            return None
        self.load_works(store)
        assert fam.keys is not None
        assert fam.records is not None
        assert self.works is not None
        assert self.clusters is not None
        assert self.stats is not None
        lay = fam.layout
        work = _postings.decode(lay, fam.records, "work")
        start = _postings.decode(lay, fam.records, "start") if lay.field("start") else None
        length = _postings.decode(lay, fam.records, "length") if lay.field("length") else None
        n = len(work)
        return fam.keys, Found(
            np.zeros(n, np.int64),
            self.works[work],
            self.clusters[work],
            start if start is not None else np.zeros(n, np.int64),
            length if length is not None else np.full(n, -1, np.int64),
            self.stats[work],
        )


def damaged(store: Store, what: str) -> FormatError:
    """The error of a registry whose index is damaged."""
    return FormatError(
        f"registry {store.where} is damaged: {what}; restore it from a backup, or rebuild it "
        "(`textprint rebuild`, which needs the stored texts)"
    )


def concat_found(parts: Sequence[Found]) -> Found:
    if not parts:
        z = np.zeros(0, np.int64)
        return Found(z, z, z, z, z, np.zeros((0, 3), np.int64))
    return Found(*(np.concatenate([getattr(p, f) for p in parts]) for f in Found._fields))


class CommonKeys:
    """The keys one snapshot of an index has shown to be common phrases at one `limit`, so
    that later lookups need not read their postings again (common phrases recur: a check at
    a million works meets about 21,000 postings of them, most of what it reads). The owner
    forgets them (`clear`) whenever the index changes; a key is added only after its postings
    were counted, so a lookup finds exactly what it finds without them."""

    __slots__ = ("keys", "limit")

    #: Keys kept at most (a few per common phrase met; far more than a registry has).
    MAX_KEYS = 1 << 20

    def __init__(self) -> None:
        self.keys: UInt64Array = np.zeros(0, np.uint64)  # sorted
        self.limit = -1

    def clear(self) -> None:
        self.keys, self.limit = np.zeros(0, np.uint64), -1

    def known(self, limit: int) -> UInt64Array:
        return self.keys if limit == self.limit else self.keys[:0]

    def add(self, keys: UInt64Array, limit: int) -> None:
        if limit != self.limit:
            self.clear()
            self.limit = limit
        if len(keys) and len(self.keys) < self.MAX_KEYS:
            self.keys = np.union1d(self.keys, keys)


class Index:
    """A reader's view of every live segment and of the removed works, refreshed when the
    database changes (`refresh`)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.views: dict[int, SegmentView] = {}
        self.removed = np.zeros(0, dtype=np.int64)  # sorted row ids
        self.removed_rows: list[tuple[int, int, int]] = []
        #: common keys found in this snapshot (`_candidates.find`); forgotten at each refresh
        self.common = CommonKeys()

    def refresh(self) -> None:
        """Adopt the current segment list and removed works (inside the caller's snapshot)."""
        self.common.clear()
        rows = self.store.segments()
        live = {r[0] for r in rows}
        for seg in list(self.views):
            if seg not in live:
                del self.views[seg]
        for seg, n_works, n_records, layouts in rows:
            if seg not in self.views:
                try:
                    self.views[seg] = SegmentView.from_row(seg, n_works, n_records, layouts)
                except (ValueError, KeyError, TypeError, AttributeError) as exc:
                    raise damaged(
                        self.store, f"segment {seg} has a damaged layout ({exc})"
                    ) from exc
        self.removed_rows = self.store.removed()
        self.removed = np.array(sorted(r[0] for r in self.removed_rows), dtype=np.int64)

    def lookup(self, name: str, query: UInt64Array, *, records: bool = False) -> Found:
        """Postings of live works whose key is in `query` (sorted unique posting keys);
        `records`: keep large families' records in memory (a writer's band lookups)."""
        found = [
            f
            for view in self.views.values()
            if (f := view.lookup(self.store, name, query, records=records)) is not None
        ]
        out = concat_found(found)
        if len(self.removed) and len(out.qi):
            alive = ~np.isin(out.rowid, self.removed)
            out = Found(*(getattr(out, f)[alive] for f in Found._fields))
        return out

    def segment_of(self, rowid: int) -> int | None:
        for seg, view in self.views.items():
            view.load_works(self.store)
            assert view.works is not None
            i = int(np.searchsorted(view.works, rowid))
            if i < len(view.works) and int(view.works[i]) == rowid:
                return seg
        return None


def tier(n_records: int) -> int:
    return max(0, int(math.log(max(1, n_records) / TIER_RECORDS, MERGE_FACTOR)))


def merge_plan(segments: Sequence[tuple[int, int]]) -> list[int] | None:
    """The segments to merge next (ids, oldest first), or None.

    `segments` are (id, records) of the live segments, oldest first. The oldest tier holding
    MERGE_FACTOR segments or more is merged whole (tiered merging: every posting is rewritten
    about log(N / TIER_RECORDS) / log(MERGE_FACTOR) times).
    """
    by_tier: dict[int, list[int]] = {}
    for seg, n in segments:
        by_tier.setdefault(tier(n), []).append(seg)
    for t in sorted(by_tier):
        if len(by_tier[t]) >= MERGE_FACTOR:
            return by_tier[t]
    return None


def merge_segments(
    store: Store, conn: sqlite3.Connection, index: Index, seg_ids: Sequence[int], *, coarse: bool
) -> int:
    """Merge the segments `seg_ids` into one, dropping removed works; inside the caller's
    transaction. Returns the new segment's id.

    The key space is merged in stretches of about MERGE_CHUNK_RECORDS records, so memory stays
    bounded whatever the segments' size.
    """
    views = [index.views[s] for s in seg_ids]
    removed = index.removed
    works_parts, cluster_parts, stat_parts, remaps = [], [], [], []
    base = 0
    for v in views:
        v.load_works(store)
        assert v.works is not None
        assert v.clusters is not None
        keep = ~np.isin(v.works, removed)
        remap = np.full(len(v.works), -1, dtype=np.int64)
        remap[keep] = base + np.arange(int(keep.sum()), dtype=np.int64)
        base += int(keep.sum())
        assert v.stats is not None
        works_parts.append(v.works[keep])
        cluster_parts.append(v.clusters[keep])
        stat_parts.append(v.stats[keep])
        remaps.append(remap)
    works = np.concatenate(works_parts) if works_parts else np.zeros(0, np.int64)
    clusters = np.concatenate(cluster_parts) if cluster_parts else np.zeros(0, np.int64)
    stats = np.concatenate(stat_parts) if stat_parts else np.zeros((0, 3), np.int64)
    order = np.argsort(works, kind="stable")
    works, clusters, stats = works[order], clusters[order], stats[order]
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    remaps = [np.where(r >= 0, inverse[np.maximum(r, 0)], -1) for r in remaps]

    meta: dict[str, Any] = {}
    blobs: list[tuple[int, bytes]] = []
    n_total = 0
    # the row first, for its id (AUTOINCREMENT: never an id a reader may still cache); its
    # counts and layouts are written last, in the same transaction
    seg = int(
        conn.execute(
            "INSERT INTO segments(n_works, n_records, layouts) VALUES (0, 0, '{}')"
        ).lastrowid
        or 0
    )
    families = sorted({name for v in views for name in v.families})
    for name in families:
        extras = {"max_start": 0}
        has_length = False
        n_upper = 0
        for v in views:
            fam = v.families.get(name)
            if fam is None:
                continue
            n_upper += fam.layout.n
            extras["max_start"] = max(extras["max_start"], fam.extras.get("max_start", 0))
            if "max_length" in fam.extras:
                has_length = True
                extras["max_length"] = max(extras.get("max_length", 0), fam.extras["max_length"])
        if name != _postings.FP:
            extras = {}
        layout = _plan(name, n_upper, len(works), extras, coarse)
        counts = np.zeros(layout.n_buckets, dtype=np.int64)
        per = per_page(layout)
        pending: list[UInt64Array] = []
        n_pending = 0
        n_out = 0
        page = 0
        n_chunks = max(1, 1 << max(0, math.ceil(math.log2(max(1, n_upper) / MERGE_CHUNK_RECORDS))))
        span = (1 << _postings.KEY_BITS) // n_chunks
        for c in range(n_chunks):
            lo_key, hi_key = (
                c * span,
                (c + 1) * span if c + 1 < n_chunks else 1 << _postings.KEY_BITS,
            )
            keys_l, cols_l = [], []
            for v, remap in zip(views, remaps):
                got = _range(store, v, name, lo_key, hi_key)
                if got is None:
                    continue
                k, work, start, length = got
                new = remap[work]
                ok = new >= 0
                keys_l.append(k[ok])
                col = {"work": new[ok]}
                if start is not None and name == _postings.FP:
                    col["start"] = start[ok]
                if has_length and length is not None:
                    col["length"] = length[ok]
                cols_l.append(col)
            if not keys_l:
                continue
            keys = np.concatenate(keys_l)
            cols = {f: np.concatenate([c_[f] for c_ in cols_l]) for f in cols_l[0]}
            order = _postings.sort_postings(keys, cols)
            keys = keys[order]
            cols = {f: v_[order] for f, v_ in cols.items()}
            np.add.at(counts, (keys >> np.uint64(layout.key_bits)).astype(np.int64), 1)
            pending.append(_postings.encode(layout, keys, cols))
            n_pending += len(keys)
            n_out += len(keys)
            if n_pending >= per:
                buf = np.concatenate(pending)
                whole = (len(buf) // per) * per
                page += write_pages(conn, seg, name, buf[:whole], page)
                pending, n_pending = [buf[whole:]], len(buf) - whole
        if n_pending:
            page += write_pages(conn, seg, name, np.concatenate(pending), page)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        blobs.append((store.blob_id(seg, SLOT_DIRECTORY[name]), _postings.directory_bytes(offsets)))
        layout = _postings.Layout(
            n=n_out,
            bucket_bits=layout.bucket_bits,
            words=layout.words,
            fields=layout.fields,
            shift=layout.shift,
        )
        meta[name] = {**layout.to_json(), **extras}
        n_total += n_out
        _flush(conn, blobs)
    blobs.append((store.blob_id(seg, SLOT_WORKS), np.ascontiguousarray(works, "<i8").tobytes()))
    blobs.append(
        (store.blob_id(seg, SLOT_CLUSTERS), np.ascontiguousarray(clusters, "<i8").tobytes())
    )
    blobs.append((store.blob_id(seg, SLOT_STATS), np.ascontiguousarray(stats, "<i8").tobytes()))
    _flush(conn, blobs)
    conn.execute(
        "UPDATE segments SET n_works = ?, n_records = ?, layouts = ? WHERE id = ?",
        (len(works), n_total, json.dumps(meta, sort_keys=True), seg),
    )
    for s in seg_ids:
        delete_segment(store, conn, s)
    return seg


def _flush(conn: sqlite3.Connection, blobs: list[tuple[int, bytes]]) -> None:
    if blobs:
        conn.executemany("INSERT INTO segment_blobs(id, data) VALUES (?, ?)", blobs)
        blobs.clear()


def _range(
    store: Store, view: SegmentView, name: str, lo_key: int, hi_key: int
) -> tuple[UInt64Array, Int64Array, Int64Array | None, Int64Array | None] | None:
    """Keys and fields of the postings of family `name` with keys in ``[lo_key, hi_key)``."""
    fam = view.family(store, name)
    if fam is None or fam.layout.n == 0:
        return None
    lay = fam.layout
    if fam.keys is not None and fam.records is not None:
        a = int(np.searchsorted(fam.keys, np.uint64(lo_key)))
        b = (
            int(np.searchsorted(fam.keys, np.uint64(hi_key)))
            if hi_key < 1 << _postings.KEY_BITS
            else lay.n
        )
        keys, recs = fam.keys[a:b], fam.records[a:b]
    else:
        assert fam.offsets is not None
        b0 = lo_key >> lay.key_bits
        b1 = min(lay.n_buckets, -(-hi_key >> lay.key_bits))
        a, b = int(fam.offsets[b0]), int(fam.offsets[b1])
        recs = fam.records[a:b] if fam.records is not None else view._read(store, name, a, b)
        buckets = np.repeat(np.arange(b0, b1, dtype=np.uint64), np.diff(fam.offsets[b0 : b1 + 1]))
        keys = _postings.keys_of_records(lay, recs, buckets)
        inside = (keys >= np.uint64(lo_key)) & (keys < np.uint64(hi_key))
        keys, recs = keys[inside], recs[inside]
    if not len(keys):
        return None
    work = _postings.decode(lay, recs, "work")
    start = _postings.decode(lay, recs, "start") if lay.field("start") else None
    length = _postings.decode(lay, recs, "length") if lay.field("length") else None
    return keys, work, start, length
