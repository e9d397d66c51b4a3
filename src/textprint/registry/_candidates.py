"""Candidates: the works a checked text shares fingerprints with, and whether each can pass.

1. **Shared postings.** The text's fingerprint keys are looked up in every live segment.
2. **Common phrases.** A key held by at least ``limit`` clusters of near-duplicate works
   (``max(COMMON_MIN, COMMON_SHARE * clusters)``) is a common phrase, not evidence; its postings
   are dropped and its spans in the text are remembered (a passage made mostly of them is not
   reported).
3. **Regions.** Each remaining posting pairs a fingerprint of the text with one of the work.
   Around each pair lies a rectangle: the pair's spans widened by ``margin`` tokens in both
   texts. Rectangles of one work that overlap, or come closer than ``window + 3 k`` tokens in
   both texts, join into regions (so two fingerprints of one copy up to about 75 tokens apart
   make one region, while chance pairs, scattered over the work, stay apart). Verification
   aligns each region of the text with its region of the work and looks nowhere else.
4. **The bound.** A work can pass the evidence rule only if its regions hold enough: at least
   ``min_chars`` characters of the text (200 CJK characters or 40 words by default), or at
   least ``min_containment`` of the work's token characters. Verification can find no passage
   outside the regions, so a work whose regions hold less cannot pass and is not verified. See
   docs/explanation/registry.md ("Candidates that can pass").

The margin makes region verification find what aligning whole texts finds: inside a copy, each
window of ``window`` shingles selects a fingerprint of both texts, so fingerprints of a copy are
at most ``window`` tokens apart, an edit moves them by at most ``2 k`` more, and a passage ends at
most about ``window + k`` tokens past its last fingerprint (further identical text would hold
another one) plus the ``3 k`` a chained edit may add. Regions keep ``window + 3 k`` tokens on
each side.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .._typing import BoolArray, Int64Array, UInt64Array
from . import _postings, _significance
from ._segments import CommonKeys, Found

#: A key held by at least max(COMMON_MIN, COMMON_SHARE * clusters) clusters is common.
COMMON_MIN = 50
COMMON_SHARE = 0.001
#: Works verified per checked text at most, most shared fingerprints first (at least top_k).
MAX_CANDIDATES = 50
#: Pairs per shared key and work at most (a phrase a text repeats many times).
MAX_PAIRS_PER_KEY = 8


def common_limit(n_clusters: int) -> int:
    return max(COMMON_MIN, math.ceil(COMMON_SHARE * n_clusters))


def margin_tokens(window: int, k: int) -> int:
    """Tokens a region keeps around its outermost fingerprints (see the module docstring)."""
    return window + 3 * k


def join_tokens(window: int, k: int) -> int:
    """Regions this many tokens apart or closer in both texts are one region: alignment chains
    runs of seeds across gaps of up to ``3 k`` tokens (its default `gap`), and between two
    fingerprints of a heavily edited copy it can find a passage that neither region's margin
    reaches (measured on the washing suite: ``window + 3 k`` joins them)."""
    return window + 3 * k


@dataclass(frozen=True, slots=True, eq=False)
class Region:
    """One region of a candidate: half-open character ranges of the text and of the work."""

    q_start: int
    q_end: int
    w_start: int
    w_end: int


@dataclass(frozen=True, slots=True, eq=False)
class Candidate:
    """A work that can pass, with its regions and what the text shares with it."""

    rowid: int
    regions: tuple[Region, ...]
    n_shared: int  # distinct fingerprint keys shared
    pairs: tuple[Int64Array, Int64Array, Int64Array, Int64Array]  # q_start, q_end, w_start, w_len
    shared_keys: UInt64Array  # the distinct posting keys shared
    chance: EValues = field(default_factory=lambda: EValues.known([math.inf]))
    index: int = 0  # this work's place in `chance`

    @property
    def evalue(self) -> float:
        """Expected works sharing evidence this strong by chance (computed on first use)."""
        return self.chance[self.index]


class EValues:
    """The E-values of the works sharing a seed with one text, computed when one is first
    asked for: a check asks only for those of the works that pass verification, so a text
    none of whose candidates pass (an unrelated text sharing a few phrases) costs none."""

    __slots__ = ("_compute", "_values")

    def __init__(self, compute: Callable[[], np.ndarray]) -> None:
        self._compute: Callable[[], np.ndarray] | None = compute
        self._values: list[float] = []

    @classmethod
    def known(cls, values: Sequence[float]) -> EValues:
        """E-values already computed (a stage that received them, as Spark's verification)."""
        out = cls(lambda: np.zeros(0))
        out._compute = None
        out._values = [float(v) for v in values]
        return out

    def __getitem__(self, i: int) -> float:
        if self._compute is not None:
            self._values = self._compute().tolist()
            self._compute = None
        return self._values[i]


@dataclass(frozen=True, slots=True, eq=False)
class Lookup:
    """What the index says of one checked text."""

    keys: UInt64Array  # the text's fingerprint keys, in text order
    common: BoolArray  # per fingerprint of the text: its key is a common phrase
    found: Found  # evidence postings (common keys dropped); qi indexes `unique`
    unique: UInt64Array  # sorted distinct keys of the text


#: Finds the postings of sorted unique keys (`Index.lookup` of the fingerprint family, or the
#: arrays an engine such as Spark received).
Lookup_ = Callable[[UInt64Array], Found]


def find(
    lookup: Lookup_,
    fp_hashes: UInt64Array,
    limit: int,
    *,
    common: UInt64Array | None = None,
    cache: CommonKeys | None = None,
) -> Lookup:
    """Look the fingerprints up, sort out the common phrases.

    `common`: the sorted common keys when they are known already (then `lookup` returns no
    postings of them); otherwise a key is common when its postings hold at least `limit`
    clusters. `cache`: common keys an earlier lookup of the same index found (not looked up
    again), and where the common keys this one finds are added.
    """
    keys = _postings.key_of(fp_hashes)
    unique, inv = np.unique(keys, return_inverse=True)
    if common is not None:
        common_u = np.isin(unique, common)
        return Lookup(keys=keys, common=common_u[inv], found=lookup(unique), unique=unique)
    known = (
        np.zeros(len(unique), dtype=bool) if cache is None else np.isin(unique, cache.known(limit))
    )
    if known.any():
        asked = np.flatnonzero(~known)
        found = lookup(unique[asked])
        found = found._replace(qi=asked[found.qi])
    else:
        found = lookup(unique)
    common_u = known.copy()
    if len(found.qi):
        counts = np.bincount(found.qi, minlength=len(unique))
        heavy = counts >= limit
        if heavy.any():
            sel = heavy[found.qi]
            n_clusters = distinct_per_group(found.qi[sel], found.cluster[sel], len(unique))
            new_common = n_clusters >= limit
            if new_common.any():
                keep = ~new_common[found.qi]
                found = Found(*(getattr(found, f)[keep] for f in Found._fields))
                if cache is not None:
                    cache.add(unique[new_common], limit)
                common_u |= new_common
    return Lookup(keys=keys, common=common_u[inv], found=found, unique=unique)


def distinct_per_group(group: Int64Array, value: Int64Array, n: int) -> Int64Array:
    """For each group 0..n-1, how many distinct values it holds."""
    if not len(group):
        return np.zeros(n, np.int64)
    order = np.lexsort((value, group))
    g, v = group[order], value[order]
    new = np.ones(len(g), dtype=bool)
    new[1:] = (g[1:] != g[:-1]) | (v[1:] != v[:-1])
    out: Int64Array = np.bincount(g[new], minlength=n).astype(np.int64)
    return out


def common_spans(common: BoolArray, starts: Int64Array, ends: Int64Array) -> list[tuple[int, int]]:
    """Original spans of a text's common-phrase fingerprints, merged and sorted."""
    spans = sorted(zip(starts[common].tolist(), ends[common].tolist()))
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _pairs(
    look: Lookup, fp_starts: Int64Array, fp_ends: Int64Array
) -> tuple[Int64Array, Int64Array, Int64Array, Int64Array, Int64Array, Int64Array, Int64Array]:
    """(rowid, q_start, q_end, w_start, w_len, key, work stats) of every pair of a text
    fingerprint with a posting of the same key (at most MAX_PAIRS_PER_KEY occurrences of a key
    on either side)."""
    found = look.found
    key_idx = np.searchsorted(look.unique, look.keys)  # per text fingerprint: its unique key
    order = np.argsort(key_idx, kind="stable")
    occ_lo = np.searchsorted(key_idx[order], np.arange(len(look.unique)), side="left")
    occ_hi = np.searchsorted(key_idx[order], np.arange(len(look.unique)), side="right")
    n_occ = np.minimum(occ_hi - occ_lo, MAX_PAIRS_PER_KEY)
    # postings of one (key, work) beyond MAX_PAIRS_PER_KEY are dropped
    post_order = np.lexsort((found.start, found.rowid, found.qi))
    qi, rowid = found.qi[post_order], found.rowid[post_order]
    start, length = found.start[post_order], found.length[post_order]
    wstats = found.stats[post_order]
    brk = np.ones(len(qi), dtype=bool)
    brk[1:] = (qi[1:] != qi[:-1]) | (rowid[1:] != rowid[:-1])
    group_start = np.maximum.accumulate(np.where(brk, np.arange(len(qi)), 0))
    keep = (np.arange(len(qi)) - group_start) < MAX_PAIRS_PER_KEY
    qi, rowid, start, length, wstats = (
        qi[keep],
        rowid[keep],
        start[keep],
        length[keep],
        wstats[keep],
    )
    reps = n_occ[qi]
    p = np.repeat(np.arange(len(qi), dtype=np.int64), reps)
    first = np.cumsum(reps) - reps
    j = np.arange(int(reps.sum()), dtype=np.int64) - np.repeat(first, reps)
    q_fp = order[occ_lo[qi[p]] + j]
    return (
        rowid[p],
        fp_starts[q_fp],
        fp_ends[q_fp],
        start[p],
        np.where(length[p] >= 0, length[p], 0),
        qi[p],
        wstats[p],
    )


def _components(
    group: Int64Array, lo: Int64Array, hi: Int64Array, join: Int64Array | int = 0
) -> Int64Array:
    """Component ids of intervals ``[lo, hi)`` sorted by (group, lo): within a group, an
    interval joins the previous component when it starts less than `join` past the running
    end."""
    n = len(lo)
    if n == 0:
        return np.zeros(0, np.int64)
    # running maximum of hi, restarted at each group (groups are sorted: offset them apart)
    span = int(max(hi.max(), lo.max())) + 2
    base = (group - group.min()) * span
    run = np.maximum.accumulate(hi + base)
    gap = np.broadcast_to(np.asarray(join, dtype=np.int64), (n,))
    new = np.ones(n, dtype=bool)
    new[1:] = (group[1:] != group[:-1]) | (lo[1:] + base[1:] - gap[1:] >= run[:-1])
    out: Int64Array = np.cumsum(new) - 1
    return out


def candidates(
    look: Lookup,
    fp_starts: Int64Array,
    fp_ends: Int64Array,
    *,
    q_len: int,
    q_token_starts: Int64Array,
    q_chars_per_token: float,
    margin: int,
    join: int,
    cjk: bool,
    min_chars: int | None,
    min_words: int,
    min_chars_cjk: int,
    min_containment: float,
    limit: int,
    segment_gap: int,
    chance_model: str,
    sizes: _significance.RegistrySizes,
) -> list[Candidate]:
    """The works that can pass the evidence rule, with their regions and E-values, best first.

    At most `limit` works are returned, most shared keys first (ties by row). The E-values
    (`_significance`) are those of every work sharing a fingerprint, computed when one is
    first asked for (`EValues`).
    """
    rowid, qa, qb, wa, wl, key, pstats = _pairs(look, fp_starts, fp_ends)
    if not len(rowid):
        return []
    works, first, n_pairs = np.unique(rowid, return_index=True, return_counts=True)
    stats = pstats[first]  # per work: n_chars, n_tokens, token_chars
    w_idx = np.searchsorted(works, rowid)

    seeds = (w_idx, qa, wa, key)  # of every work (the pairs are narrowed below)

    def e_values() -> np.ndarray:
        """The chance of each work's evidence, from the seeds of every work."""
        c, rarity = _levels(look, *seeds, stats, q_token_starts, sizes, segment_gap)
        model = _significance.MODELS[chance_model]
        expected = _significance.expected_sharing(len(look.unique), sizes, model)
        return _significance.evalues(c, rarity, expected, model)

    def passable(q_chars: np.ndarray, q_tokens: np.ndarray, src_upper: np.ndarray) -> BoolArray:
        """The bound: enough of the text, or of the work, within reach."""
        if min_chars is not None:
            enough = q_chars >= min_chars
        elif cjk:
            enough = q_chars >= min_chars_cjk
        else:
            enough = q_tokens >= min_words
        out: BoolArray = enough | (src_upper >= min_containment)
        return out

    w_cpt = np.maximum(1.0, stats[:, 0] / np.maximum(stats[:, 1], 1))
    m_q = math.ceil(margin * max(1.0, q_chars_per_token))
    m_w = np.ceil(margin * w_cpt).astype(np.int64)[w_idx]
    # rectangles less than `join` tokens apart in both texts are one region: alignment chains
    # runs of seeds across such gaps, so one region must hold both sides of one
    j_q = math.ceil(join * max(1.0, q_chars_per_token))
    j_w = np.ceil(join * w_cpt).astype(np.int64)[w_idx]
    # rectangles, clamped to the texts
    ra = np.maximum(qa - m_q, 0)
    rb = np.minimum(qb + m_q, q_len)
    sa = np.maximum(wa - m_w, 0)
    sb = np.minimum(wa + wl + m_w, stats[w_idx, 0])
    # a work holding one pair (most works: a phrase shared by chance) has one rectangle for
    # its bound; only the others, and those it lets pass, go on to be joined into regions
    alone = n_pairs[w_idx] == 1
    keep = ~alone
    keep[alone] = passable(
        rb[alone] - ra[alone],
        np.searchsorted(q_token_starts, rb[alone]) - np.searchsorted(q_token_starts, ra[alone]),
        np.maximum(sb[alone] - sa[alone], 0) / np.maximum(stats[w_idx[alone], 2], 1),
    )
    if not keep.any():
        return []
    w_idx, qa, qb, wa, wl, key, ra, rb, sa, sb, j_w = (
        x[keep] for x in (w_idx, qa, qb, wa, wl, key, ra, rb, sa, sb, j_w)
    )
    # query-side components per work, then work-side components inside them
    o1 = np.lexsort((ra, w_idx))
    c1 = _components(w_idx[o1], ra[o1], rb[o1], j_q)
    comp1 = np.empty_like(c1)
    comp1[o1] = c1
    o2 = np.lexsort((sa, comp1))
    c2 = _components(comp1[o2], sa[o2], sb[o2], j_w[o2])
    comp2 = np.empty_like(c2)
    comp2[o2] = c2
    # extents of every region (comp2) and of every text-side component (comp1)
    n2 = int(comp2.max()) + 1
    reg_qa = np.full(n2, np.iinfo(np.int64).max, np.int64)
    reg_qb = np.zeros(n2, np.int64)
    reg_sa = np.full(n2, np.iinfo(np.int64).max, np.int64)
    reg_sb = np.zeros(n2, np.int64)
    np.minimum.at(reg_qa, comp2, ra)
    np.maximum.at(reg_qb, comp2, rb)
    np.minimum.at(reg_sa, comp2, sa)
    np.maximum.at(reg_sb, comp2, sb)
    reg_work = np.zeros(n2, np.int64)
    reg_work[comp2] = w_idx
    n1 = int(comp1.max()) + 1
    c1_a = np.full(n1, np.iinfo(np.int64).max, np.int64)
    c1_b = np.zeros(n1, np.int64)
    np.minimum.at(c1_a, comp1, ra)
    np.maximum.at(c1_b, comp1, rb)
    c1_work = np.zeros(n1, np.int64)
    c1_work[comp1] = w_idx
    # the bound: the text's characters (or tokens) in the text-side components, and the
    # work's characters in the union of its regions
    q_chars = np.bincount(c1_work, weights=c1_b - c1_a, minlength=len(works))
    q_tokens = np.bincount(
        c1_work,
        weights=np.searchsorted(q_token_starts, c1_b) - np.searchsorted(q_token_starts, c1_a),
        minlength=len(works),
    )
    w_cover = _union_lengths(reg_work, reg_sa, reg_sb, len(works))
    src_upper = w_cover / np.maximum(stats[:, 2], 1)
    can = passable(q_chars, q_tokens, src_upper)
    if not can.any():
        return []
    chance = EValues(e_values)
    # rank: distinct shared keys, most first, ties by row
    n_shared = distinct_per_group(w_idx, key, len(works))
    ranked = [int(i) for i in np.lexsort((works, -n_shared)) if can[i]][:limit]
    out: list[Candidate] = []
    reg_order = np.lexsort((reg_qa, reg_work))
    bounds = np.searchsorted(reg_work[reg_order], np.arange(len(works) + 1))
    pair_order = np.lexsort((qa, w_idx))
    pbounds = np.searchsorted(w_idx[pair_order], np.arange(len(works) + 1))
    for i in ranked:
        regs = reg_order[bounds[i] : bounds[i + 1]]
        sel = pair_order[pbounds[i] : pbounds[i + 1]]
        out.append(
            Candidate(
                rowid=int(works[i]),
                regions=tuple(
                    Region(int(reg_qa[r]), int(reg_qb[r]), int(reg_sa[r]), int(reg_sb[r]))
                    for r in regs
                ),
                n_shared=int(n_shared[i]),
                pairs=(qa[sel], qb[sel], wa[sel], wl[sel]),
                shared_keys=np.unique(look.unique[key[sel]]),
                chance=chance,
                index=i,
            )
        )
    return out


def _levels(
    look: Lookup,
    w_idx: Int64Array,
    qa: Int64Array,
    wa: Int64Array,
    key: Int64Array,
    stats: Int64Array,
    q_token_starts: Int64Array,
    sizes: _significance.RegistrySizes,
    segment_gap: int,
) -> tuple[Int64Array, np.ndarray]:
    """`_significance.work_levels` of the works `w_idx` indexes, from the pairs."""
    found = look.found
    return _significance.work_levels(
        w_idx,
        np.searchsorted(q_token_starts, qa, side="left"),
        wa,
        key,
        distinct_per_group(found.qi, found.rowid, len(look.unique)),
        stats[:, 0],
        stats[:, 1],
        sizes,
        gap=segment_gap,
    )


def levels(
    look: Lookup,
    fp_starts: Int64Array,
    fp_ends: Int64Array,
    *,
    q_token_starts: Int64Array,
    sizes: _significance.RegistrySizes,
    segment_gap: int,
) -> tuple[Int64Array, Int64Array, np.ndarray]:
    """Every work sharing an evidence fingerprint with a text (row ids, sorted) and its
    evidence (`_significance.work_levels`: ``c`` and the rarity), as `candidates` computes
    them (for calibration: a check keeps its candidates' E-values only)."""
    rowid, qa, _, wa, _, key, pstats = _pairs(look, fp_starts, fp_ends)
    works, first = np.unique(rowid, return_index=True)
    w_idx = np.searchsorted(works, rowid)
    c, rarity = _levels(look, w_idx, qa, wa, key, pstats[first], q_token_starts, sizes, segment_gap)
    return works, c, rarity


def _union_lengths(group: Int64Array, lo: Int64Array, hi: Int64Array, n: int) -> np.ndarray:
    """Per group: the length of the union of its intervals."""
    if not len(lo):
        return np.zeros(n)
    o = np.lexsort((lo, group))
    g, a, b = group[o], lo[o], hi[o]
    comp = _components(g, a, b)
    n_c = int(comp.max()) + 1
    ca = np.full(n_c, np.iinfo(np.int64).max, np.int64)
    cb = np.zeros(n_c, np.int64)
    np.minimum.at(ca, comp, a)
    np.maximum.at(cb, comp, b)
    cg = np.zeros(n_c, np.int64)
    cg[comp] = g
    out: np.ndarray = np.bincount(cg, weights=np.maximum(cb - ca, 0), minlength=n)
    return out
