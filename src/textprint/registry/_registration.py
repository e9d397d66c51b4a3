"""Registration: a batch of works prepared once, its clusters of editions, its rows and its
posting segment in one transaction; removals; merges of segments.

A work joins the cluster of the most similar registered work whose MinHash signature agrees
with its own in at least EDITION_THRESHOLD (0.5) of its positions, looked up through the band
keys of the signatures (the band postings of the segments, and the works of the same batch);
otherwise it starts a cluster of its own. Clusters are what the common-phrase rule counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._kernels import agreements
from .._typing import UInt64Array
from ..errors import DuplicateWorkError, TooShortError
from ..hashing import fmix64
from ..lsh import band_keys
from ..minhash import EMPTY
from . import _postings
from ._prepare import Text
from ._rows import compress_blocks, decompress_text, metadata_json, now, sha256
from ._segments import FamilyData, merge_plan, merge_segments, write_segment
from ._store import FLAG_CJK, FLAG_DOC_JA, NewWork

if TYPE_CHECKING:
    from ._registry import Registry

#: Near-duplicate works (editions) are grouped when their estimated Jaccard reaches this.
EDITION_THRESHOLD = 0.5
#: Band keys of different bands never meet: each is mixed with its band's number.
BAND_MIX = np.uint64(0x9E3779B97F4A7C15)
#: A batch's rows as registration carries them: the item, its prepared text, its signature.
Row = tuple[tuple[Any, str, Any], Text, UInt64Array]


def commit_batch(
    reg: Registry,
    batch: list[tuple[str | int, str, Any]],
    replace: bool,
    too_short: str,
    on_commit: Any,
) -> list[str | int]:
    """Register one batch in one transaction; the ids committed (works too short to be found
    are left out with ``too_short="skip"``)."""
    db = reg._db
    with db.snapshot():
        reg._refresh()
    reg._require_fresh()
    ids = [str(w) for w, _, _ in batch]
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dup = next(i for i in ids if i in seen or seen.add(i))  # type: ignore[func-returns-value]
        raise DuplicateWorkError(
            f"work_id {dup!r} appears twice in one batch", work_id=batch[ids.index(dup)][0]
        )
    texts = [t for _, t, _ in batch]
    prepared, sigs = reg._prepare(texts, align=False, sign=True)
    keep = []
    for item, p in zip(batch, prepared):
        # fewer than k tokens: a single short shingle, which no text of k tokens or more
        # can share
        if p.n_tokens >= reg.k or too_short == "accept":
            keep.append(True)
            continue
        if too_short == "raise":
            raise TooShortError(
                f"work_id {item[0]!r} is too short to ever be found: after normalization it "
                f"has fewer than k={reg.k} tokens, so no text can share a fingerprint with "
                f"it (text {item[1][:40]!r}); "
                "pass too_short='skip' to leave such works out or 'accept' to register them "
                "anyway",
                work_id=item[0],
            )
        keep.append(False)
    rows = [(item, p, s) for item, p, s, ok in zip(batch, prepared, sigs, keep) if ok]
    if rows:
        registered_at = now()
        with db.write() as conn:
            reg._index.refresh()
            reg._insert_works(conn, rows, registered_at, replace)
        reg._changed()
    committed = [item[0] for item, _, _ in rows]
    # acknowledged as soon as it is durable; a merge the batch calls for comes after
    if on_commit is not None:
        on_commit(committed)
    if rows:
        maybe_merge(reg)
    return committed


def insert_works(
    reg: Registry,
    conn: Any,
    rows: list[tuple[tuple[str | int, str, Any], Text, UInt64Array]],
    registered_at: str,
    replace: bool,
    *,
    rowids: Sequence[int] | None = None,
) -> None:
    """Insert works (and their segment) inside the caller's transaction. With `rowids`
    (a rebuild), the works' rows exist: they are updated in place."""
    db = reg._db
    if rowids is None:
        existing = db.rowids_of(conn, [item[0] for item, _, _ in rows])
        for (item, _, _), rowid in zip(rows, existing):
            if rowid is None:
                continue
            if not replace:
                raise DuplicateWorkError(
                    f"work_id {item[0]!r} is already registered; pass replace=True to replace it",
                    work_id=item[0],
                )
            delete(reg, conn, rowid)
    sigs = np.array([s for _, _, s in rows], dtype=np.uint64).reshape(len(rows), -1)
    clusters = clusters_for(reg, conn, sigs)
    new_rowids = list(rowids) if rowids is not None else db.next_rowids(conn, len(rows))
    cluster_ids: list[int] = []
    records: list[NewWork] = []
    pending: dict[int, list[int]] = {}  # band key -> positions in this batch
    keys = band_keys_of(reg, sigs)
    for i, ((work_id, text, metadata), p, sig) in enumerate(rows):
        cluster = clusters[i]
        if keys is not None and bool((sig != EMPTY).any()):
            near = {j for key in keys[i].tolist() for j in pending.get(key, ())}
            best = best_edition(sig, [(new_rowids[j], cluster_ids[j], sigs[j]) for j in near])
            if best is not None and (
                cluster is None
                or best[0] > cluster[0]
                or (best[0] == cluster[0] and best[1] < cluster[1])
            ):
                cluster = best
            for key in keys[i].tolist():
                pending.setdefault(key, []).append(i)
        flags = (FLAG_CJK if p.cjk else 0) | (FLAG_DOC_JA if p.doc_ja else 0)
        records.append(
            NewWork(
                work_id=work_id,
                metadata_json=metadata_json(metadata),
                registered_at=registered_at,
                sha256=sha256(text),
                n_chars=len(text),
                n_tokens=p.n_tokens,
                token_chars=p.token_chars,
                n_shingles=p.n_shingles,
                n_fp=len(p.fp_hashes),
                flags=flags,
                cluster=0 if cluster is None else cluster[1],
                signature=np.ascontiguousarray(sig & np.uint64(0xFFFFFFFF), "<u4").tobytes(),
            )
        )
        cluster_ids.append(records[-1].cluster or new_rowids[i])
    if rowids is None:
        db.insert_works(conn, records, new_rowids)
        if reg.store_text:
            db.write_texts(conn, new_rowids, [compress_blocks(t) for (_, t, _), _, _ in rows])
    else:
        db.update_works(conn, records, new_rowids)
    stats = [(len(t), p.n_tokens, p.token_chars) for (_, t, _), p, _ in rows]
    write_batch_segment(reg, conn, rows, new_rowids, cluster_ids, stats, keys, sigs)


def write_batch_segment(
    reg: Registry,
    conn: Any,
    rows: list[tuple[tuple[str | int, str, Any], Text, UInt64Array]],
    rowids: list[int],
    clusters: list[int],
    stats: list[tuple[int, int, int]],
    keys: UInt64Array | None,
    sigs: UInt64Array,
) -> None:
    order = np.argsort(np.array(rowids, dtype=np.int64), kind="stable")
    works = np.array(rowids, dtype=np.int64)[order]
    local = np.empty(len(order), dtype=np.int64)
    local[order] = np.arange(len(order))
    fp_keys, fp_work, fp_start, fp_len = [], [], [], []
    for i, (_, p, _) in enumerate(rows):
        fp_keys.append(_postings.key_of(p.fp_hashes))
        fp_work.append(np.full(len(p.fp_hashes), local[i], dtype=np.int64))
        fp_start.append(p.fp_starts)
        fp_len.append(p.fp_ends - p.fp_starts)
    families = {
        _postings.FP: FamilyData(
            keys=np.concatenate(fp_keys) if fp_keys else np.zeros(0, np.uint64),
            work=np.concatenate(fp_work) if fp_work else np.zeros(0, np.int64),
            start=np.concatenate(fp_start) if fp_start else np.zeros(0, np.int64),
            length=(np.concatenate(fp_len) if fp_len else np.zeros(0, np.int64))
            if not reg.store_text
            else None,
        )
    }
    if keys is not None:
        valid = ~(sigs == EMPTY).all(axis=1)
        families[_postings.BAND] = FamilyData(
            keys=_postings.key_of(keys[valid].ravel()),
            work=np.repeat(local[valid], keys.shape[1]),
        )
    write_segment(
        reg._db,
        conn,
        works,
        np.array(clusters, dtype=np.int64)[order],
        np.array(stats, dtype=np.int64).reshape(-1, 3)[order],
        families,
        coarse=reg.store_text,
        batch_order=True,
    )


def mix_band_keys(keys: UInt64Array) -> UInt64Array:
    """Band keys of shape (n, bands), each mixed with its band's number (1, 2, ...), so that
    keys of different bands never meet in one posting family."""
    n_bands = keys.shape[1]
    mixed: UInt64Array = fmix64(
        keys + np.arange(1, n_bands + 1, dtype=np.uint64)[None, :] * BAND_MIX
    )
    return mixed


def band_keys_of(reg: Registry, sigs: UInt64Array) -> UInt64Array | None:
    """Per signature, its mixed band keys, shape (n, bands)."""
    if not len(sigs):
        return None
    return mix_band_keys(band_keys(sigs, reg._bands, reg._rows))


def clusters_for(reg: Registry, conn: Any, sigs: UInt64Array) -> list[tuple[float, int] | None]:
    """For each signature, (estimate, cluster) of the most similar registered edition
    (estimate >= EDITION_THRESHOLD; ties by the smaller cluster), or None."""
    out: list[tuple[float, int] | None] = [None] * len(sigs)
    keys = band_keys_of(reg, sigs)
    if keys is None:
        return out
    valid = ~(sigs == EMPTY).all(axis=1)
    flat = _postings.key_of(keys[valid].ravel())
    if not len(flat):
        return out
    unique = np.unique(flat)
    found = reg._index.lookup(_postings.BAND, unique, records=True)
    if not len(found.qi):
        return out
    owner = np.flatnonzero(valid).repeat(keys.shape[1])
    # the signatures of the works sharing a band with each new work
    per_key: dict[int, list[int]] = {}
    for qi, r in zip(found.qi.tolist(), range(len(found.qi))):
        per_key.setdefault(qi, []).append(r)
    sig_rows = reg._db.signatures(conn, np.unique(found.rowid).tolist())
    at = np.searchsorted(unique, flat)
    near: dict[int, set[int]] = {}
    for i, u in zip(owner.tolist(), at.tolist()):
        for r in per_key.get(u, ()):
            near.setdefault(i, set()).add(r)
    for i, rs in near.items():
        cands = [
            (int(found.rowid[r]), int(found.cluster[r]), sig_rows[int(found.rowid[r])])
            for r in rs
            if int(found.rowid[r]) in sig_rows
        ]
        out[i] = best_edition(sigs[i], cands)
    return out


def best_edition(
    sig: UInt64Array, cands: Sequence[tuple[int, int, Any]]
) -> tuple[float, int] | None:
    """(estimate, cluster) of the best candidate at or above EDITION_THRESHOLD; a
    candidate's signature is its stored bytes (low 32 bits) or a full uint64 row."""
    best: tuple[float, int] | None = None
    # the stored signatures keep their low 32 bits: compare those (EMPTY positions of the new
    # signature do not count)
    mine = np.where(sig == EMPTY, EMPTY, sig & np.uint64(0xFFFFFFFF))
    for _, cluster, other in cands:
        if isinstance(other, (bytes, bytearray)):
            o32 = np.frombuffer(other, dtype="<u4").astype(np.uint64)
        else:
            o32 = np.asarray(other, dtype=np.uint64) & np.uint64(0xFFFFFFFF)
        if len(o32) != len(mine):
            continue
        est = int(agreements(mine, o32)) / len(mine)
        if est >= EDITION_THRESHOLD and (best is None or (est, -cluster) > (best[0], -best[1])):
            best = (est, int(cluster))
    return best


def delete(reg: Registry, conn: Any, rowid: int) -> None:
    """Remove a work inside the caller's transaction: its row and text go, its postings
    are ignored until a merge drops them."""
    seg = reg._index.segment_of(rowid)
    db = reg._db
    if seg is not None:
        conn.execute(
            "INSERT OR REPLACE INTO removed(work, segment, n_records) VALUES (?, ?, 0)",
            (rowid, seg),
        )
    db.delete_work(conn, rowid)
    # the index view of this transaction must see the removal too (a replace in one batch)
    reg._index.removed = np.union1d(reg._index.removed, [rowid])


def maybe_merge(reg: Registry) -> None:
    """Merge segments as the merge policy asks, one transaction per merge."""
    db = reg._db
    while True:
        with db.write() as conn:
            reg._index.refresh()
            segs = [(s, v.n_records) for s, v in sorted(reg._index.views.items())]
            plan = merge_plan(segs)
            if plan is None:
                return
            merge_segments(db, conn, reg._index, plan, coarse=reg.store_text)
        reg._changed()


def rebuild(reg: Registry, manifest: dict[str, str], batch_size: int) -> None:
    """:meth:`Registry.rebuild` with the new settings' manifest: every stored text prepared and
    inserted again (rows updated in place, clusters decided anew), in one transaction."""
    old = reg._manifest
    db = reg._db
    with db.write() as conn:
        # read inside the write transaction: a work another connection commits meanwhile
        # is either read here or waits for the rebuild
        rowids = [int(r[0]) for r in conn.execute("SELECT rowid FROM works ORDER BY rowid")]
        conn.execute("DELETE FROM segments")
        conn.execute("DELETE FROM segment_blobs")
        conn.execute("DELETE FROM segment_pages")
        conn.execute("DELETE FROM removed")
        conn.execute("DELETE FROM clusters")
        conn.execute("UPDATE counts SET n = 0 WHERE name = 'clusters'")
        conn.execute("DELETE FROM manifest")
        conn.executemany("INSERT INTO manifest(key, value) VALUES (?, ?)", sorted(manifest.items()))
        try:
            reg._configure(manifest)
            reg._index.refresh()
            for lo in range(0, len(rowids), batch_size):
                chunk = rowids[lo : lo + batch_size]
                texts = [decompress_text(db.all_text_blocks(conn, r)) for r in chunk]
                prepared, sigs = reg._prepare(texts, align=False, sign=True)
                rows: list[Row] = [((0, t, None), p, s) for t, p, s in zip(texts, prepared, sigs)]
                reg._insert_works(conn, rows, "", False, rowids=chunk)
                reg._index.refresh()
        except BaseException:
            reg._configure(old)
            raise
    reg._changed()
    maybe_merge(reg)
