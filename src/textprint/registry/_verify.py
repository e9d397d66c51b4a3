"""Verification: the passages a checked text copies from each candidate, and their measures.

With stored texts, each region of the checked text is aligned (`textprint.matching.align`) with
the work's region, cut at natural boundaries so that it normalizes and tokenizes as it does
inside the whole text. Only the blocks holding those regions are read and decompressed, so the
cost of a check does not grow with the length of the works it meets. A work that passes and is
short (at most ``WHOLE_CHARS`` characters: one stored block) is then aligned again with its
whole text, so its hit has the measures of aligning the whole work (exact Jaccard).

Without stored texts, passages are chained from the shared fingerprints themselves
(`fingerprint_passages`).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .._alignment import Prepared, align, min_seeds, needed_tokens, to_passages
from .._kernels import gather_ranges, owners
from .._text_runs import natural_cuts
from .._typing import BoolArray, Int64Array, UInt64Array
from ..matching import Passage
from ._candidates import Candidate, Region
from ._evidence import (
    AlignedStats,
    Alignment,
    PassageFacts,
    counted_as_spans,
    passage_facts,
)
from ._prepare import Text, prepare, token_slice
from ._results import Evidence, enough, visible_chars
from ._rows import TEXT_BLOCK_CHARS, decompress_block
from ._store import FLAG_DOC_JA, WorkStats

#: A work of at most this many characters is verified whole (exact Jaccard and alignment).
WHOLE_CHARS = TEXT_BLOCK_CHARS
#: How far a region may grow to reach a natural cut (line break, sentence end, space).
CUT_REACH = 64


@dataclass(frozen=True, slots=True, eq=False)
class _Piece:
    """A stretch of a work prepared for alignment: ``text[start:end]`` of work `rowid`."""

    rowid: int
    start: int
    end: int


def _widen_pieces(
    pieces: list[_Piece], regions: list[tuple[int, Region]], texts: WorkTexts
) -> None:
    """Each region's piece (its stretch of the work with CUT_REACH characters around it) cut
    down to the region grown to natural cuts within those characters: to the work's start or
    end when the region reaches it, else just after a line break, sentence end or space
    (`natural_cuts`), so that the piece normalizes as it does inside the whole work."""
    if not regions:
        return
    at = [i for i, _ in regions]
    around = [texts.slice(pieces[i].rowid, pieces[i].start, pieces[i].end) for i in at]
    lo = np.array([pieces[i].start for i in at], dtype=np.int64)
    hi = np.array([pieces[i].end for i in at], dtype=np.int64)
    n_chars = np.array([texts.stats[pieces[i].rowid].n_chars for i in at], dtype=np.int64)
    a = np.array([r.w_start for _, r in regions], dtype=np.int64) - lo
    b = np.array([r.w_end for _, r in regions], dtype=np.int64) - lo
    n = hi - lo
    which = np.arange(len(at), dtype=np.int64)
    left = natural_cuts(around, which, np.maximum(0, a - CUT_REACH), a)
    left = np.where((lo == 0) & (a <= CUT_REACH), 0, left)
    right = natural_cuts(around, which, b, np.minimum(n, b + CUT_REACH))
    right = np.where((hi == n_chars) & (n - b <= CUT_REACH), n, right)
    start = lo + np.where(a > 0, left, a)
    end = lo + np.where(b < n, right, b)
    for i, s, e in zip(at, start.tolist(), end.tolist()):
        pieces[i] = _Piece(pieces[i].rowid, s, e)


#: Reads stored text blocks: ``{rowid: [block, ...]}`` -> ``{(rowid, block): data}``.
BlockReader = Callable[[Mapping[int, Sequence[int]]], dict[tuple[int, int], bytes]]


class BlockCache:
    """Decompressed text blocks kept from one check to the next, the most recently used first,
    up to MAX_CHARS characters. A long work that shares chance fingerprints with every post
    (a novel registered whole) is read and decompressed once, not at every check. A block
    never changes under its key (row ids are never reused: a replaced work gets a new one), so
    a check of any snapshot may take it; the owner still forgets them all (`clear`) whenever
    the registry changes, so that the cache holds only what current checks read."""

    #: Characters kept at most (about 32 MiB of CJK text).
    MAX_CHARS = 1 << 24

    def __init__(self) -> None:
        self._blocks: OrderedDict[tuple[int, int], str] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._blocks.clear()
            self._chars = 0

    def get(self, key: tuple[int, int]) -> str | None:
        with self._lock:
            text = self._blocks.get(key)
            if text is not None:
                self._blocks.move_to_end(key)
            return text

    def put(self, key: tuple[int, int], text: str) -> None:
        with self._lock:
            if key in self._blocks:
                return
            self._blocks[key] = text
            self._chars += len(text)
            while self._chars > self.MAX_CHARS and self._blocks:
                _, old = self._blocks.popitem(last=False)
                self._chars -= len(old)


class WorkTexts:
    """The stored texts a verification reads, block by block (each block decompressed once,
    or taken from a `BlockCache`), and the works' statistics."""

    def __init__(
        self, read: BlockReader, stats: dict[int, WorkStats], cache: BlockCache | None = None
    ) -> None:
        self.read = read
        self.stats = stats
        self.cache = cache
        self.blocks: dict[tuple[int, int], str] = {}

    def load(self, wanted: dict[int, list[tuple[int, int]]]) -> None:
        need: dict[int, list[int]] = {}
        for rowid, spans in wanted.items():
            for a, b in spans:
                for blk in range(a // TEXT_BLOCK_CHARS, max(a, b - 1) // TEXT_BLOCK_CHARS + 1):
                    key = (rowid, blk)
                    if key in self.blocks:
                        continue
                    cached = None if self.cache is None else self.cache.get(key)
                    if cached is not None:
                        self.blocks[key] = cached
                    else:
                        need.setdefault(rowid, []).append(blk)
        if need:
            for key, data in self.read(need).items():
                self.blocks[key] = decompress_block(data)
                if self.cache is not None:
                    self.cache.put(key, self.blocks[key])

    def around(self, rowid: int, a: int, b: int) -> str:
        """``text[a:b]`` of work `rowid` (clamped to the work), reading blocks not yet read."""
        b = min(b, self.stats[rowid].n_chars)
        if b <= a:
            return ""
        self.load({rowid: [(a, b)]})
        return self.slice(rowid, a, b)

    def slice(self, rowid: int, a: int, b: int) -> str:
        first, last = a // TEXT_BLOCK_CHARS, max(a, b - 1) // TEXT_BLOCK_CHARS
        text = "".join(self.blocks.get((rowid, i), "") for i in range(first, last + 1))
        off = first * TEXT_BLOCK_CHARS
        return text[a - off : b - off]


@dataclass(eq=False)
class Aligned:
    """What aligning a text's regions with one work found (before any evidence rule)."""

    rowid: int
    passages: list[Passage]
    covered_q: np.ndarray  # bool per token of the text: inside a passage
    w_starts: Int64Array  # original starts and lengths of the work's tokens in passages
    w_lens: Int64Array
    seen: list[Text]  # what was prepared of the work: the whole work, or its regions
    whole: bool
    raw: list[tuple[Passage, Alignment]]  # each passage as aligned

    def w_shingles(self) -> UInt64Array:
        """Distinct shingles of the work seen (the whole work's, or its regions')."""
        if len(self.seen) == 1:
            return self.seen[0].shingles
        out: UInt64Array = np.unique(np.concatenate([t.shingle_hashes for t in self.seen]))
        return out


def align_candidates(
    query: Text,
    cands: Sequence[Candidate],
    texts: WorkTexts,
    *,
    k: int,
    seed: int,
    tokenizer: str,
    window: int,
    boilerplate: list[tuple[int, int]],
    whole_up_to: int = WHOLE_CHARS,
) -> list[Aligned]:
    """Align the regions of the text with the stored texts of `cands`: with the whole work
    when it has at most `whole_up_to` characters, else with the work's regions."""
    q = query.prepared
    assert q is not None
    if not cands:
        return []
    # the stretches of works to prepare: a short work whole, a long one by regions
    wanted: dict[int, list[tuple[int, int]]] = {}
    for c in cands:
        n = texts.stats[c.rowid].n_chars
        if n <= whole_up_to:
            wanted[c.rowid] = [(0, n)]
        else:
            wanted[c.rowid] = [
                (max(0, r.w_start - CUT_REACH), min(n, r.w_end + CUT_REACH)) for r in c.regions
            ]
    texts.load(wanted)
    pieces: list[_Piece] = []
    piece_of: dict[tuple[int, int], int] = {}
    regions: list[tuple[int, Region]] = []  # (piece, region) of the works verified by regions
    for c in cands:
        n = texts.stats[c.rowid].n_chars
        if n <= whole_up_to:
            piece_of[(c.rowid, -1)] = len(pieces)
            pieces.append(_Piece(c.rowid, 0, n))
            continue
        for i, r in enumerate(c.regions):
            piece_of[(c.rowid, i)] = len(pieces)
            regions.append((len(pieces), r))
            lo, hi = max(0, r.w_start - CUT_REACH), min(n, r.w_end + CUT_REACH)
            pieces.append(_Piece(c.rowid, lo, hi))
    _widen_pieces(pieces, regions, texts)
    piece_texts = [texts.slice(p.rowid, p.start, p.end) for p in pieces]
    # a piece normalizes as it does inside its whole work: with the work's decision on
    # Han-only runs (Japanese when the work's kana reach KANA_SHARE)
    han_only_ja = np.array(
        [bool(texts.stats[p.rowid].flags & FLAG_DOC_JA) for p in pieces], dtype=bool
    )
    prepared, _ = prepare(
        piece_texts,
        k=k,
        window=window,
        seed=seed,
        tokenizer=tokenizer,
        align=True,
        han_only_ja=han_only_ja,
    )
    # each region's tokens of the text, and whether it can hold a passage at all
    at = [
        (piece_of[(c.rowid, i if texts.stats[c.rowid].n_chars > whole_up_to else -1)], r)
        for c in cands
        for i, r in enumerate(c.regions)
    ]
    piece_idx = np.array([i for i, _ in at], dtype=np.int64)
    ta = np.searchsorted(q.tok_starts, np.array([r.q_start for _, r in at], dtype=np.int64))
    tb = np.searchsorted(
        q.tok_ends, np.array([r.q_end for _, r in at], dtype=np.int64), side="right"
    )
    hopeless = _hopeless(q, piece_idx, ta, tb, [t.prepared for t in prepared], k)
    spans = iter(zip(ta.tolist(), tb.tolist(), hopeless.tolist()))
    out: list[Aligned] = []
    for c in cands:
        whole = texts.stats[c.rowid].n_chars <= whole_up_to
        found: list[Passage] = []
        raw: list[tuple[Passage, Alignment]] = []
        covered_q = np.zeros(q.n_tokens, dtype=bool)
        covered_w: list[tuple[Int64Array, Int64Array]] = []
        w_shingles: list[Text] = []
        for i in range(len(c.regions)):
            pi = piece_of[(c.rowid, -1 if whole else i)]
            piece = pieces[pi]
            s = prepared[pi].prepared
            assert s is not None
            if not whole:
                w_shingles.append(prepared[pi])
            ta, tb, skip = next(spans)
            if skip or tb <= ta:
                continue
            qs = token_slice(q, ta, tb)
            tok, _, _, _ = align(qs, s, k=k, gap=3 * k, min_tokens=None)
            if not tok:
                continue
            passages = to_passages(qs, s, tok)
            if boilerplate:
                keep = [not _mostly_common(p, boilerplate) for p in passages]
                tok = [t for t, ok in zip(tok, keep) if ok]
                passages = tuple(p for p, ok in zip(passages, keep) if ok)
            for (q0, q1, s0, s1), p in zip(tok, passages):
                covered_q[ta + q0 : ta + q1 + 1] = True
                covered_w.append(
                    (
                        s.tok_starts[s0 : s1 + 1] + piece.start,
                        s.tok_ends[s0 : s1 + 1] - s.tok_starts[s0 : s1 + 1],
                    )
                )
                found.append(
                    Passage(
                        p.query_start,
                        p.query_end,
                        p.source_start + piece.start,
                        p.source_end + piece.start,
                    )
                )
                raw.append((found[-1], Alignment(qs, s, q0, q1, s0, s1)))
        if not found:
            continue
        seen = [prepared[piece_of[c.rowid, -1]]] if whole else w_shingles
        out.append(
            Aligned(
                rowid=c.rowid,
                passages=found,
                covered_q=covered_q,
                w_starts=np.concatenate([a for a, _ in covered_w]),
                w_lens=np.concatenate([b for _, b in covered_w]),
                seen=seen,
                whole=whole,
                raw=raw,
            )
        )
    return out


def _hopeless(
    q: Prepared,
    piece_idx: Int64Array,
    ta: Int64Array,
    tb: Int64Array,
    pieces: Sequence[Prepared | None],
    k: int,
) -> BoolArray:
    """Per region (the text's tokens ``[ta, tb)`` against the prepared piece `piece_idx`):
    True when aligning them can find no passage, because they share fewer seeds than any
    passage holds (`min_seeds`). Counted for all regions at once, as pairs of equal shingle
    hashes (an upper bound of the seeds `align` uses, which also skips hashes frequent in both
    texts): most regions of a long work are a fingerprint shared by chance, with no passage
    around it."""
    n = len(piece_idx)
    out = np.zeros(n, dtype=bool)
    if not n or not len(q.shingles):
        return out
    prep = [pieces[i] for i in piece_idx.tolist()]
    assert all(p is not None for p in prep)
    s_hashes = [p.shingles for p in prep if p is not None]
    s_len = np.array([len(h) for h in s_hashes], dtype=np.int64)
    owner = np.repeat(np.arange(n, dtype=np.int64), s_len)
    hashes = np.concatenate(s_hashes) if s_len.sum() else np.zeros(0, np.uint64)
    # the text's shingles, sorted; shingle i lies in [ta, tb) when i >= ta and its last < tb
    order = np.argsort(q.shingles, kind="stable")
    sorted_q = q.shingles[order]
    run_end = np.searchsorted(sorted_q, sorted_q, side="right")  # end of each equal run
    lo = np.minimum(np.searchsorted(sorted_q, hashes), len(sorted_q) - 1)
    hit = sorted_q[lo] == hashes
    lo, owner = lo[hit], owner[hit]
    hi = run_end[lo]
    idx, _ = gather_ranges(lo, hi)
    first = order[idx]
    r = owner[owners(hi - lo)]
    inside = (first >= ta[r]) & (q.shingle_last[first] < tb[r])
    seeds = np.bincount(r[inside], minlength=n)
    for t, p in enumerate(prep):
        assert p is not None
        need = needed_tokens(q.cjk or p.cjk, int(tb[t] - ta[t]), p.n_tokens, None)
        out[t] = seeds[t] < min_seeds(need, k)
    return out


def covered_chars(starts: Int64Array, lens: Int64Array) -> int:
    """Characters of distinct tokens (by start) among those given."""
    if not len(starts):
        return 0
    _, first = np.unique(starts, return_index=True)
    return int(lens[first].sum())


def jaccard_of(q_shingles: UInt64Array, seen: UInt64Array, n_work_shingles: int) -> float:
    inter = len(np.intersect1d(q_shingles, seen, assume_unique=True))
    union = len(q_shingles) + n_work_shingles - inter
    return inter / union if union > 0 else 0.0


def facts_of(
    q: Prepared,
    passages: tuple[Passage, ...],
    raw: list[tuple[Passage, Alignment]] | None,
    texts: WorkTexts | None,
    rowid: int,
) -> tuple[PassageFacts, ...]:
    """The per-passage facts of one work's merged passages (`_evidence`)."""
    stats: list[tuple[Passage, AlignedStats]] | None = (
        None if raw is None else [(p, a.stats()) for p, a in raw]
    )
    return passage_facts(
        q.text,
        q.tok_starts,
        q.tok_ends,
        passages,
        stats,
        None if texts is None else (lambda a, b: texts.around(rowid, a, b)),
        lambda p: visible_chars(q.text, [p]),
    )


def evidence_of(
    query: Text,
    a: Aligned,
    stats: WorkStats,
    *,
    min_chars: int | None,
    min_containment: float,
    texts: WorkTexts | None = None,
    candidate: Candidate | None = None,
    with_facts: bool = True,
) -> Evidence | None:
    """The measures of one aligned work, if they pass the evidence rule, with the facts of
    its passages (read from `texts`, the stored texts; none without `with_facts`: evidence
    that is aligned again before it becomes a Hit) and the `candidate`'s E-value (asked for
    only when the work passes: `_candidates.EValues`)."""
    q = query.prepared
    assert q is not None
    passages = merge_passages(a.passages)
    q_lens = q.tok_ends - q.tok_starts
    q_total = int(q_lens.sum())
    containment = float(q_lens[a.covered_q].sum() / q_total) if q_total else 0.0
    w_cov = covered_chars(a.w_starts, a.w_lens)
    src_cont = min(1.0, w_cov / stats.token_chars) if stats.token_chars else 0.0
    copied = visible_chars(q.text, passages)
    words = int(np.count_nonzero(a.covered_q))
    if not enough(q.cjk, words, copied, src_cont, min_chars, min_containment):
        return None
    jac = jaccard_of(query.shingles, a.w_shingles(), stats.n_shingles)
    facts = facts_of(q, passages, a.raw, texts, a.rowid) if with_facts else ()
    return Evidence(
        a.rowid,
        passages,
        containment,
        src_cont,
        jac,
        copied,
        facts=facts,
        evalue=math.inf if candidate is None else candidate.evalue,
        cjk=q.cjk,
        q_token_chars=q_total,
    )


def verify_texts(
    query: Text,
    cands: Sequence[Candidate],
    texts: WorkTexts,
    *,
    k: int,
    seed: int,
    tokenizer: str,
    window: int,
    boilerplate: list[tuple[int, int]],
    min_chars: int | None,
    min_containment: float,
) -> list[Evidence]:
    """The Evidence of the candidates that pass, verified with the stored texts.

    Regions first (cheap); a short work that passes (at most WHOLE_CHARS characters) is aligned
    again with its whole text, so that its measures are those of the whole work. The facts of
    the passages are read once, from the alignment that makes the Hit.
    """

    by_row = {c.rowid: c for c in cands}

    def passing(cs: Sequence[Candidate], whole_up_to: int) -> list[Evidence]:
        aligned = align_candidates(
            query,
            cs,
            texts,
            k=k,
            seed=seed,
            tokenizer=tokenizer,
            window=window,
            boilerplate=boilerplate,
            whole_up_to=whole_up_to,
        )
        out = []
        for a in aligned:
            e = evidence_of(
                query,
                a,
                texts.stats[a.rowid],
                min_chars=min_chars,
                min_containment=min_containment,
                texts=texts,
                candidate=by_row[a.rowid],
                with_facts=whole_up_to > 0 or texts.stats[a.rowid].n_chars > WHOLE_CHARS,
            )
            if e is not None:
                out.append(e)
        return out

    first = passing(cands, 0)
    short = {e.rowid for e in first if texts.stats[e.rowid].n_chars <= WHOLE_CHARS}
    if not short:
        return first
    again = {e.rowid: e for e in passing([c for c in cands if c.rowid in short], WHOLE_CHARS)}
    return [
        again[e.rowid] if e.rowid in short else e
        for e in first
        if e.rowid not in short or e.rowid in again
    ]


def _mostly_common(p: Passage, common: list[tuple[int, int]]) -> bool:
    """At least half of the passage's query characters lie in common-phrase spans."""
    covered = sum(max(0, min(b, p.query_end) - max(a, p.query_start)) for a, b in common)
    return covered * 2 >= p.query_end - p.query_start


#: Passages of one work from two regions (or two segments of a long text) merge when their
#: offsets agree this closely.
MERGE_SLACK = 64


def merge_passages(passages: list[Passage]) -> tuple[Passage, ...]:
    """One work's passages (from several regions or segments), merged.

    Passages that overlap in the query are one passage when their source ranges are
    consistent: they overlap or touch too, and the later one starts in the source about as far
    after the earlier one as it does in the query (within MERGE_SLACK characters or an eighth
    of the distance: a near copy drifts), as two pieces of one copy seen by two regions, or
    one passage seen twice, do. Otherwise (the query repeats a phrase the work holds twice) the
    later one is trimmed so that no query character is claimed twice, as align does. Passages
    that only touch stay apart.
    """
    out: list[Passage] = []
    for p in sorted(set(passages)):
        if out and p.query_start < out[-1].query_end:
            last = out[-1]
            dq, ds = p.query_start - last.query_start, p.source_start - last.source_start
            if (
                p.source_start <= last.source_end
                and p.source_end >= last.source_start
                and ds >= 0
                and abs(dq - ds) <= max(MERGE_SLACK, dq // 8)
            ):
                out[-1] = Passage(
                    last.query_start,
                    max(last.query_end, p.query_end),
                    min(last.source_start, p.source_start),
                    max(last.source_end, p.source_end),
                )
                continue
            if p.query_end <= last.query_end:
                continue
            shift = last.query_end - p.query_start
            p = Passage(
                last.query_end, p.query_end, min(p.source_start + shift, p.source_end), p.source_end
            )
        out.append(p)
    return tuple(out)


# -- without stored texts ------------------------------------------------------------------------


def chain_gap(q: Prepared, window: int, k: int) -> int:
    """The largest distance, in characters, between two shared fingerprints of one passage
    chained without texts.

    Inside a copy, winnowing selects the same fingerprint in every window of `window`
    shingles of both texts, so consecutive shared fingerprints are at most `window` tokens
    apart; an edited token breaks the `k` shingles over it and can move the selection of the
    windows around them, so about ``window + 2 * k`` tokens. Twice that, in the query's
    characters per token (1 for Chinese characters, about 6 for English words), leaves room for
    a few edits, and keeps scattered fingerprints that unrelated texts share by chance (a few
    common phrases hundreds of characters apart) from chaining into one long false passage.
    """
    n = len(q.tok_starts)
    per_token = (int(q.tok_ends[-1]) - int(q.tok_starts[0])) / n if n else 1.0
    return max(1, math.ceil(2 * (window + 2 * k) * max(1.0, per_token)))


def fingerprint_passages(
    q_start: Int64Array, q_end: Int64Array, w_start: Int64Array, w_len: Int64Array, gap: int
) -> tuple[Passage, ...]:
    """Passages chained from the fingerprint pairs a text shares with one work, without
    stored texts: a chain needs two fingerprints, unless the text shares only one."""
    pairs = sorted(
        zip(q_start.tolist(), q_end.tolist(), w_start.tolist(), (w_start + w_len).tolist())
    )
    chains: list[list[int]] = []
    for qa, qb, wa, wb in pairs:
        c = chains[-1] if chains else None
        if c is not None and qa - c[1] <= gap and -gap <= wa - c[3] <= gap and wa >= c[2]:
            c[1], c[3] = max(c[1], qb), max(c[3], wb)
            c[4] += 1
        else:
            chains.append([qa, qb, wa, wb, 1])
    return tuple(Passage(c[0], c[1], c[2], c[3]) for c in chains if c[4] >= 2 or len(pairs) == 1)


def fingerprint_source_containment(
    passages: Sequence[Passage], n_chars: int, n_shared: int, n_fp: int
) -> float:
    """Source containment without stored texts: the span of the shared fingerprints in the
    work, or for a short work (a poem with one or two fingerprints) the share of its
    fingerprints found, whichever is larger."""
    span = sum(p.source_end - p.source_start for p in passages) / max(1, n_chars)
    return min(1.0, max(span, n_shared / max(1, n_fp)))


def verify_fingerprints(
    query: Text,
    cands: Sequence[Candidate],
    stats: dict[int, WorkStats],
    q_signature: UInt64Array,
    w_signatures: dict[int, bytes],
    *,
    window: int,
    k: int,
    min_chars: int | None,
    min_containment: float,
) -> list[Evidence]:
    """Verification without stored texts: passages chained from shared fingerprints.

    Boundaries are those of the winnowed shingles (coarser than with texts); Jaccard is
    estimated from the MinHash signatures (compared on their low 32 bits, as stored).
    """
    q = query.prepared
    assert q is not None
    gap = chain_gap(q, window, k)
    q_total = int((q.tok_ends - q.tok_starts).sum())
    total = float(q_total) or 1.0
    q32 = (q_signature & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    out: list[Evidence] = []
    for c in cands:
        passages = fingerprint_passages(*c.pairs, gap)
        if not passages:
            continue
        copied = sum(p.query_end - p.query_start for p in passages)
        st = stats[c.rowid]
        src_cont = fingerprint_source_containment(passages, st.n_chars, c.n_shared, st.n_fp)
        # without tokens of the work, five query characters count as a word
        if not enough(q.cjk, copied // 5, copied, src_cont, min_chars, min_containment):
            continue
        w32 = np.frombuffer(w_signatures[c.rowid], dtype="<u4")
        jac = float((w32 == q32).mean()) if len(w32) == len(q32) else 0.0
        out.append(
            Evidence(
                c.rowid,
                passages,
                min(1.0, copied / total),
                src_cont,
                jac,
                copied,
                facts=fingerprint_facts(q, passages),
                evalue=c.evalue,
                cjk=q.cjk,
                q_token_chars=q_total,
            )
        )
    return out


def fingerprint_facts(q: Prepared, passages: tuple[Passage, ...]) -> tuple[PassageFacts, ...]:
    """Facts of passages chained from fingerprints (no text of the work: kind "unknown"; as
    the evidence rule of this path does, five characters count as a word)."""
    return counted_as_spans(facts_of(q, passages, None, None, 0), passages)
