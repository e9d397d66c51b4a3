"""Checks of texts longer than CHECK_SEGMENT_CHARS, in overlapping segments.

Each segment is prepared, looked up and verified as a whole text is (common-phrase passages left
out), but with no evidence rule of its own: every candidate among the MAX_CANDIDATES sharing the
most fingerprints is aligned. Per work, the passages of all segments are shifted to offsets in
the text and merged (`merge_passages`); the measures are then those of the whole text and the
evidence rule is applied to them:

* ``copied_chars``: visible characters of the text inside the merged passages.
* ``containment``: characters of the text's tokens inside passages over those of all its tokens,
  each token counted once, by the segment whose own stretch (from its start to the next
  segment's start) it starts in.
* ``source_containment``: the work's tokens inside passages of any segment over all its tokens.
* ``jaccard``: the work's shingles found in the segments' shingles over the union of those and
  the text's shingles (counted per segment, in its own stretch).
* The text is CJK when the segments found CJK hold at least half of its tokens.

Without stored texts, passages are chained from shared fingerprints per segment; copied
characters, containment and source containment follow that path's definitions over the merged
passages and the shared fingerprints of all segments; Jaccard is estimated from the MinHash
signature of the whole text.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .._text_runs import natural_cut
from .._typing import Int64Array, UInt64Array
from ..matching import Passage
from ._evidence import AlignedStats, counted_as_spans, passage_facts
from ._results import Evidence, Hit, enough, visible_chars
from ._verify import (
    align_candidates,
    chain_gap,
    covered_chars,
    fingerprint_passages,
    fingerprint_source_containment,
    merge_passages,
)

if TYPE_CHECKING:
    from ._check import Options
    from ._registry import Registry

#: Consecutive segments share at least this many characters (at most 1.5 times as many): a
#: copy crossing a cut is seen whole by one segment, or as two pieces that both hold the whole
#: shared stretch, far above the evidence one passage needs (16 CJK tokens, 10 words), and
#: that overlap each other, so they merge back into one passage.
CHECK_OVERLAP_CHARS = 1 << 13


def segments(text: str, size: int, overlap: int) -> list[tuple[int, int]]:
    """Overlapping segments ``(start, end)`` covering `text`, each at most `size` characters.

    A segment ends at a natural cut (`natural_cut`) among its last ``size // 16``
    characters; the next one starts at a natural cut between ``1.5 * overlap`` and `overlap`
    characters before that end. So consecutive segments share at least `overlap` characters,
    and a stretch of text is in at most two segments (``overlap <= size / 4``). A copy crossing
    a cut is therefore inside one segment, or both segments hold a piece of it that contains
    the whole shared stretch.
    """
    n = len(text)
    overlap = max(1, min(overlap, size // 4))
    reach = max(1, size // 16)
    out: list[tuple[int, int]] = []
    a = 0
    while n - a > size:
        b = natural_cut(text, a + size - reach, a + size)
        out.append((a, b))
        a = natural_cut(text, b - overlap - overlap // 2, b - overlap)
    out.append((a, n))
    return out


def _shifted(p: Passage, offset: int) -> Passage:
    return Passage(p.query_start + offset, p.query_end + offset, p.source_start, p.source_end)


def _union(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Half-open ranges merged where they overlap or touch, sorted."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


@dataclass(slots=True, eq=False)
class _QueryTally:
    """Whole-text totals, each token counted by the segment owning it."""

    n_tokens: int = 0
    n_cjk_tokens: int = 0
    length: int = 0  # characters of the text's tokens
    n_shingles: int = 0  # distinct shingles, counted per segment


@dataclass(slots=True, eq=False)
class _WorkTally:
    """What the segments of one checked text found of one work."""

    passages: list[Passage] = field(default_factory=list)
    covered_tokens: int = 0  # text tokens inside passages
    covered_length: int = 0  # and their characters
    w_starts: list[Int64Array] = field(default_factory=list)  # work tokens in passages
    w_lens: list[Int64Array] = field(default_factory=list)
    shared: list[UInt64Array] = field(default_factory=list)  # work shingles found in the text
    shared_keys: set[int] = field(default_factory=set)  # without texts: keys shared
    raw: list[tuple[Passage, AlignedStats]] = field(default_factory=list)  # as aligned
    evalue: float = math.inf  # the smallest of its segments'

    def add_covered(
        self, starts: Int64Array, ends: Int64Array, owned: np.ndarray, ranges: list[tuple[int, int]]
    ) -> None:
        """Count the owned tokens of one segment lying inside `ranges` (disjoint, sorted,
        segment offsets)."""
        if not ranges or not len(starts):
            return
        lo = np.array([r[0] for r in ranges], dtype=np.int64)
        hi = np.array([r[1] for r in ranges], dtype=np.int64)
        at = np.searchsorted(lo, starts, side="right") - 1
        inside = owned & (at >= 0) & (ends <= hi[np.maximum(at, 0)])
        self.covered_tokens += int(np.count_nonzero(inside))
        self.covered_length += int((ends - starts)[inside].sum())


def check_long(reg: Registry, text: str, opts: Options) -> list[Hit]:
    """:meth:`Registry.check` of one text longer than CHECK_SEGMENT_CHARS."""
    from ._registry import CHECK_SEGMENT_CHARS

    db = reg._db
    bounds = segments(text, CHECK_SEGMENT_CHARS, CHECK_OVERLAP_CHARS)
    query = _QueryTally()
    found: dict[int, _WorkTally] = {}
    previous: dict[int, list[Passage]] = {}
    all_opts = type(opts)(0, 0.0, opts.top_k)  # no evidence rule per segment
    # the tokens each segment owns, in offsets of the text (for the passages' facts)
    tok_starts: list[Int64Array] = []
    tok_ends: list[Int64Array] = []
    for i, (a, b) in enumerate(bounds):
        own_end = (bounds[i + 1][0] if i + 1 < len(bounds) else len(text)) - a
        seg = text[a:b]
        (q,), _ = reg._prepare([seg], align=True, sign=False)
        p = q.prepared
        assert p is not None
        owned = p.tok_starts < own_end
        n_owned = int(np.count_nonzero(owned))
        query.n_tokens += n_owned
        query.n_cjk_tokens += n_owned if p.cjk else 0
        query.length += int((p.tok_ends - p.tok_starts)[owned].sum())
        tok_starts.append(p.tok_starts[owned] + a)
        tok_ends.append(p.tok_ends[owned] + a)
        if len(p.shingles):
            first = np.maximum(p.shingle_last - (reg.k - 1), 0)
            seg_shingles = np.unique(p.shingles[owned[first]])
            query.n_shingles += len(seg_shingles)
        cands, boilerplate = reg._find_candidates(q, all_opts)
        stats = db.stats(c.rowid for c in cands)
        cands = [c for c in cands if c.rowid in stats]
        for c in cands:
            tally = found.setdefault(c.rowid, _WorkTally())
            tally.evalue = min(tally.evalue, c.evalue)
        current: dict[int, list[Passage]] = {}
        if reg.store_text:
            for al in align_candidates(
                q,
                cands,
                reg._texts(stats),
                k=reg.k,
                seed=reg.seed,
                tokenizer=reg.tokenizer,
                window=reg.window,
                boilerplate=boilerplate,
            ):
                tally = found.setdefault(al.rowid, _WorkTally())
                tally.w_starts.append(al.w_starts)
                tally.w_lens.append(al.w_lens)
                tally.shared.append(np.intersect1d(q.shingles, al.w_shingles(), assume_unique=True))
                # stats now: the segment's prepared text is not kept
                tally.raw.extend((_shifted(x, a), al_.stats()) for x, al_ in al.raw)
                current[al.rowid] = [_shifted(x, a) for x in al.passages]
        else:
            gap = chain_gap(p, reg.window, reg.k)
            for c in cands:
                passages = fingerprint_passages(*c.pairs, gap)
                if not passages:
                    continue
                tally = found.setdefault(c.rowid, _WorkTally())
                tally.shared_keys.update(c.shared_keys.tolist())
                current[c.rowid] = [_shifted(x, a) for x in passages]
        # the text tokens this segment owns that lie in a passage of this work, found here or
        # by the previous segment (the only one reaching into this stretch)
        for r in current.keys() | previous.keys():
            ranges = _union(
                (x.query_start - a, x.query_end - a)
                for x in previous.get(r, []) + current.get(r, [])
            )
            found[r].add_covered(p.tok_starts, p.tok_ends, owned, ranges)
            found[r].passages.extend(current.get(r, []))
        previous = current
    cjk = query.n_tokens > 0 and 2 * query.n_cjk_tokens >= query.n_tokens
    stats = db.stats(found)
    evidence: list[Evidence] = []
    all_starts, all_ends = np.concatenate(tok_starts), np.concatenate(tok_ends)
    texts = reg._texts(stats) if reg.store_text else None
    qsig: Any = None
    if not reg.store_text and found:
        qsig = reg._hasher.signatures([text]).values[0]
    for rowid, tally in found.items():
        st = stats.get(rowid)
        if st is None:
            continue
        passages = merge_passages(tally.passages)
        if reg.store_text:
            copied = visible_chars(text, passages)
            containment = tally.covered_length / query.length if query.length else 0.0
            w_cov = covered_chars(
                np.concatenate(tally.w_starts) if tally.w_starts else np.zeros(0, np.int64),
                np.concatenate(tally.w_lens) if tally.w_lens else np.zeros(0, np.int64),
            )
            src = min(1.0, w_cov / st.token_chars) if st.token_chars else 0.0
            inter = len(np.unique(np.concatenate(tally.shared))) if tally.shared else 0
            union = query.n_shingles + st.n_shingles - inter
            jac = inter / union if union > 0 else 0.0
            if not enough(
                cjk, tally.covered_tokens, copied, src, opts.min_chars, opts.min_containment
            ):
                continue
        else:
            copied = sum(x.query_end - x.query_start for x in passages)
            containment = min(1.0, copied / (query.length or 1.0))
            src = fingerprint_source_containment(
                passages, st.n_chars, len(tally.shared_keys), st.n_fp
            )
            # without tokens of the work, five query characters count as a word
            if not enough(cjk, copied // 5, copied, src, opts.min_chars, opts.min_containment):
                continue
            with db.lock:
                w = db.signatures(db.conn, [rowid])[rowid]
            w32 = np.frombuffer(w, dtype="<u4")
            q32 = (qsig & np.uint64(0xFFFFFFFF)).astype(np.uint32)
            jac = float((w32 == q32).mean()) if len(w32) == len(q32) else 0.0
        facts = passage_facts(
            text,
            all_starts,
            all_ends,
            passages,
            tally.raw if texts is not None else None,
            None if texts is None else functools.partial(texts.around, rowid),
            lambda x: visible_chars(text, [x]),
        )
        if texts is None:
            facts = counted_as_spans(facts, passages)
        evidence.append(
            Evidence(
                rowid,
                passages,
                containment,
                src,
                jac,
                copied,
                facts=facts,
                # a Bonferroni bound over the segments, each checked as a text of its own
                evalue=min(math.inf, tally.evalue * len(bounds)),
                cjk=cjk,
                q_token_chars=query.length,
            )
        )
    return reg._hits([evidence], opts, [text])[0]
