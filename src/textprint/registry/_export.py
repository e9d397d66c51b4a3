"""The registry's interface to engines that check elsewhere (the Spark integration).

`Registry.export_index` writes down what a check reads: every fingerprint posting that is
evidence (common phrases left out, exactly as a check at this moment leaves them out), the
common keys themselves, and every work's identity, statistics and stored text blocks. The
functions here run the registry's own stages over them, whole (`check_prepared`, for a broadcast
index) or in two steps around a join (`candidates_from_postings`, then `verify_joined`), so an
engine reports the hits :meth:`Registry.check` reports. An engine imports nothing else of the
registry's internals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .._typing import Int64Array, UInt64Array
from ..errors import StorageError
from . import _candidates, _postings, _significance
from ._candidates import Candidate, EValues, Region
from ._check import Options, candidates_of
from ._prepare import Text, prepare
from ._results import MIN_CONTAINMENT, Hit, hits_of
from ._segments import Found, concat_found
from ._store import WorkIdentity, WorkStats
from ._verify import WorkTexts, verify_texts

if TYPE_CHECKING:
    from ._registry import Registry


@dataclass(frozen=True, slots=True, eq=False)
class ExportedWork:
    """What a check needs of one work: how to report it, its statistics, its stored text."""

    identity: WorkIdentity
    stats: WorkStats
    blocks: tuple[bytes, ...]


@dataclass(frozen=True, slots=True, eq=False)
class IndexExport:
    """A registry's evidence index, as arrays sorted by posting key.

    Attributes
    ----------
    settings : dict
        k, window, seed and tokenizer of the registry, and ``sizes``: the summary of its work
        sizes the E-values need (`_significance.RegistrySizes`).
    keys : ndarray of shape (n,), dtype=uint64
        Posting keys (48-bit) of the evidence postings, sorted; common keys left out.
    rowid, cluster, start : ndarray of shape (n,), dtype=int64
        The work (its row), its cluster, and where the fingerprint starts in it.
    stats : ndarray of shape (n, 3), dtype=int64
        The work's n_chars, n_tokens and token_chars.
    common : ndarray of shape (m,), dtype=uint64
        The common keys (sorted).
    works : dict of int to ExportedWork
    """

    settings: dict[str, Any]
    keys: UInt64Array
    rowid: Int64Array
    cluster: Int64Array
    start: Int64Array
    stats: Int64Array
    common: UInt64Array
    works: dict[int, ExportedWork]

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays and the compressed texts (what a broadcast ships)."""
        arrays = (self.keys, self.rowid, self.cluster, self.start, self.stats, self.common)
        texts = sum(len(b) for w in self.works.values() for b in w.blocks)
        return sum(a.nbytes for a in arrays) + texts


def found_of(
    query: UInt64Array,
    keys: UInt64Array,
    rowid: Int64Array,
    cluster: Int64Array,
    start: Int64Array,
    stats: Int64Array,
) -> Found:
    """The postings among (`keys`, ...) sorted by key whose key is in `query` (sorted)."""
    a = np.searchsorted(keys, query, side="left")
    b = np.searchsorted(keys, query, side="right")
    idx = _postings.ragged(a, b)
    qi = np.repeat(np.arange(len(query), dtype=np.int64), b - a)
    return Found(
        qi, rowid[idx], cluster[idx], start[idx], np.full(len(idx), -1, np.int64), stats[idx]
    )


def lookup_in(export: IndexExport) -> Callable[[UInt64Array], Found]:
    def lookup(query: UInt64Array) -> Found:
        return found_of(
            query, export.keys, export.rowid, export.cluster, export.start, export.stats
        )

    return lookup


def block_reader(
    works: Mapping[int, ExportedWork],
) -> Callable[[Mapping[int, Sequence[int]]], dict[tuple[int, int], bytes]]:
    def read(wanted: Mapping[int, Sequence[int]]) -> dict[tuple[int, int], bytes]:
        out = {}
        for r, blocks in wanted.items():
            stored = works[r].blocks
            for b in blocks:
                if b < len(stored):
                    out[(r, b)] = stored[b]
        return out

    return read


def check_prepared(
    q: Text,
    lookup: Callable[[UInt64Array], Found],
    common: UInt64Array,
    works: Mapping[int, ExportedWork],
    settings: Mapping[str, Any],
    opts: Options,
) -> list[Hit]:
    """The hits of one prepared text against exported postings and works: the registry's
    lookup, candidates and verification stages. `works` must hold at least the works the
    candidates name (an engine that joins them in sends those only)."""
    look = _candidates.find(lookup, q.fp_hashes, 0, common=common)
    k, window = int(settings["k"]), int(settings["window"])
    cands, boilerplate = candidates_of(
        q, look, window=window, k=k, opts=opts, sizes=settings["sizes"]
    )
    return verify_candidates(q, cands, boilerplate, works, settings, opts)


def verify_candidates(
    q: Text,
    cands: Sequence[_candidates.Candidate],
    boilerplate: list[tuple[int, int]],
    works: Mapping[int, ExportedWork],
    settings: Mapping[str, Any],
    opts: Options,
) -> list[Hit]:
    cands = [c for c in cands if c.rowid in works]
    stats = {c.rowid: works[c.rowid].stats for c in cands}
    evidence = verify_texts(
        q,
        cands,
        WorkTexts(block_reader(works), stats),
        k=int(settings["k"]),
        seed=int(settings["seed"]),
        tokenizer=str(settings["tokenizer"]),
        window=int(settings["window"]),
        boilerplate=boilerplate,
        min_chars=opts.min_chars,
        min_containment=opts.min_containment,
    )
    assert q.prepared is not None
    return hits_of(
        evidence,
        {r: w.identity for r, w in works.items()},
        q.prepared.text,
        min_chars=opts.min_chars,
        min_containment=opts.min_containment,
        top_k=opts.top_k,
        unattributed_only=opts.unattributed_only,
    )


def prepare_texts(texts: list[str], settings: Mapping[str, Any]) -> list[Text]:
    """Texts prepared for a check under a registry's settings."""
    prepared, _ = prepare(
        texts,
        k=int(settings["k"]),
        window=int(settings["window"]),
        seed=int(settings["seed"]),
        tokenizer=str(settings["tokenizer"]),
        align=True,
    )
    return prepared


def posting_keys(q: Text) -> list[int]:
    """The distinct posting keys of a prepared text (as ints, each below 2**48)."""
    out: list[int] = np.unique(_postings.key_of(q.fp_hashes)).astype(np.int64).tolist()
    return out


#: Fields of one posting an engine joins to a text, in this order.
POSTING_FIELDS = ("key", "work", "cluster", "start", "n_chars", "n_tokens", "token_chars")


def posting_columns(export: IndexExport) -> dict[str, Int64Array]:
    """The evidence postings as int64 columns named POSTING_FIELDS."""
    return {
        "key": export.keys.astype(np.int64),
        "work": export.rowid,
        "cluster": export.cluster,
        "start": export.start,
        "n_chars": export.stats[:, 0],
        "n_tokens": export.stats[:, 1],
        "token_chars": export.stats[:, 2],
    }


def candidates_from_postings(
    q: Text,
    postings: Sequence[Mapping[str, int]],
    common: UInt64Array,
    settings: Mapping[str, Any],
    opts: Options,
) -> list[tuple[int, list[list[int]], float]]:
    """The candidates of one prepared text from the postings joined to it (dicts with
    POSTING_FIELDS): (work row, regions as [q_start, q_end, w_start, w_end], E-value), best
    first."""
    rows = sorted(postings, key=lambda x: (x["key"], x["work"], x["start"]))
    cols = {f: np.array([x[f] for x in rows], dtype=np.int64) for f in POSTING_FIELDS}
    stats = np.stack([cols["n_chars"], cols["n_tokens"], cols["token_chars"]], axis=1)
    keys = cols["key"].astype(np.uint64)

    def lookup(query: UInt64Array) -> Found:
        return found_of(query, keys, cols["work"], cols["cluster"], cols["start"], stats)

    look = _candidates.find(lookup, q.fp_hashes, 0, common=common)
    k, window = int(settings["k"]), int(settings["window"])
    cands, _ = candidates_of(q, look, window=window, k=k, opts=opts, sizes=settings["sizes"])
    return [
        (c.rowid, [[r.q_start, r.q_end, r.w_start, r.w_end] for r in c.regions], c.evalue)
        for c in cands
    ]


def verify_joined(
    q: Text,
    candidates: Sequence[tuple[int, Sequence[Sequence[int]], float]],
    works: Mapping[int, ExportedWork],
    common: UInt64Array,
    settings: Mapping[str, Any],
    opts: Options,
) -> list[Hit]:
    """The hits of one prepared text from its candidates (as `candidates_from_postings` gave
    them, best first) and the works joined to them."""
    z = np.zeros(0, np.int64)
    look = _candidates.find(
        lambda _: Found(z, z, z, z, z, np.zeros((0, 3), np.int64)), q.fp_hashes, 0, common=common
    )
    boilerplate = _candidates.common_spans(look.common, q.fp_starts, q.fp_ends)
    chance = EValues.known([evalue for _, _, evalue in candidates])
    cands = [
        Candidate(
            rowid=int(r),
            regions=tuple(Region(*(int(x) for x in reg)) for reg in regions),
            n_shared=0,
            pairs=(z, z, z, z),
            shared_keys=np.zeros(0, np.uint64),
            chance=chance,
            index=i,
        )
        for i, (r, regions, _) in enumerate(candidates)
    ]
    return verify_candidates(q, cands, boilerplate, works, settings, opts)


__all__ = [
    "MIN_CONTAINMENT",
    "POSTING_FIELDS",
    "ExportedWork",
    "IndexExport",
    "Options",
    "WorkIdentity",
    "WorkStats",
    "candidates_from_postings",
    "check_prepared",
    "lookup_in",
    "posting_columns",
    "posting_keys",
    "prepare_texts",
    "verify_joined",
]


def export_index(reg: Registry) -> IndexExport:
    """:meth:`Registry.export_index`."""
    if not reg.store_text:
        raise StorageError("exporting for remote checks needs the works' texts (store_text)")
    db = reg._db
    with db.snapshot():
        reg._refresh()
        reg._require_fresh()
        limit = reg._limit()
        parts = [
            got
            for view in reg._index.views.values()
            if (got := view.all_postings(db, _postings.FP)) is not None
        ]
        if parts:
            keys = np.concatenate([k for k, _ in parts])
            found = concat_found([f for _, f in parts])
        else:
            keys = np.zeros(0, np.uint64)
            found = concat_found([])
        alive = ~np.isin(found.rowid, reg._index.removed)
        order = np.lexsort((found.start[alive], found.rowid[alive], keys[alive]))
        keys = keys[alive][order]
        found = Found(*(getattr(found, f)[alive][order] for f in Found._fields))
        unique, inv = np.unique(keys, return_inverse=True)
        n_clusters = _candidates.distinct_per_group(inv, found.cluster, len(unique))
        common_u = n_clusters >= limit
        keep = ~common_u[inv]
        rows = db.read(
            "SELECT rowid, work_id, id_is_int, metadata, n_chars, n_tokens, token_chars, "
            "n_shingles, n_fp, flags, cluster FROM works"
        )
        works = {}
        with db.lock:
            for r in rows:
                rowid = int(r[0])
                works[rowid] = ExportedWork(
                    identity=WorkIdentity(rowid, r[1], int(r[2]), r[3]),
                    stats=WorkStats(rowid, *(int(x) for x in r[4:11])),
                    blocks=tuple(db.all_text_blocks(db.conn, rowid)),
                )
    return IndexExport(
        settings={
            "k": reg.k,
            "window": reg.window,
            "seed": reg.seed,
            "tokenizer": reg.tokenizer,
            "sizes": _significance.RegistrySizes.of(
                np.array([w.stats.n_tokens for w in works.values()], np.int64)
            ),
        },
        keys=keys[keep],
        rowid=found.rowid[keep],
        cluster=found.cluster[keep],
        start=found.start[keep],
        stats=found.stats[keep],
        common=unique[common_u],
        works=works,
    )


# -- maintenance ----------------------------------------------------------------------------
