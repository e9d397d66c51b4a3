"""Alignment of two prepared texts: seeds, chains, passages (private).

The algorithm :mod:`textprint.matching` documents (seed, chain, refine, evidence), on texts
prepared once (`prepare_batch`): `compare` aligns two of them, and the Registry aligns a query
with the works it verifies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._kernels import gather_ranges, owners
from ._shingles import ShingleBatch, hash_shingles
from ._tables import CLASS_WORD, get_tables
from ._tokens import TokenBatch, tokenize_batch
from ._typing import BoolArray, Int64Array, UInt64Array
from .matching import Passage
from .tokenization import Tokenizer

__all__ = [
    "MAX_OCCURRENCES",
    "MIN_TOKENS_CJK",
    "MIN_TOKENS_WORDS",
    "REFINE_CHARS",
    "Prepared",
    "align",
    "cjk_docs",
    "coverage",
    "min_seeds",
    "needed_tokens",
    "prepare_batch",
    "to_passages",
]

#: Seeds whose hash occurs more often than this in both texts are ignored.
MAX_OCCURRENCES = 32
#: Default minimum passage length in tokens, for CJK character tokens and for words.
MIN_TOKENS_CJK = 16
MIN_TOKENS_WORDS = 10


@dataclass(frozen=True, slots=True, eq=False)
class Prepared:
    """A text ready for alignment: tokens, shingle and token hashes, token lengths."""

    text: str
    shingles: UInt64Array  # hash of every shingle, in order
    shingle_last: Int64Array  # last token of every shingle
    unigrams: UInt64Array  # hash of every token
    tok_starts: Int64Array  # original span of every token
    tok_ends: Int64Array
    cjk: bool  # tokens are mostly single CJK characters

    @property
    def n_tokens(self) -> int:
        return len(self.unigrams)


def prepare_batch(
    texts: Sequence[str], *, k: int, seed: int, tokenizer: str | Tokenizer
) -> list[Prepared]:
    """Tokenize and hash texts for alignment (the batch path)."""
    tokens = tokenize_batch(texts, tokenizer)
    sh = hash_shingles(tokens, k=k, seed=seed)
    uni = hash_shingles(tokens, k=1, seed=seed)
    cjk = cjk_docs(tokens).tolist()
    return [_prepared(tokens, sh, uni, d, texts[d], cjk[d]) for d in range(len(texts))]


def cjk_docs(tokens: TokenBatch) -> BoolArray:
    """Per document of `tokens`: whether at least half of its tokens are single characters
    that are not letters or digits of a word (CJK text tokenized by character); False for a
    document without tokens."""
    lens = tokens.tok_end - tokens.tok_start
    single = (lens == 1) & (get_tables().classes[tokens.cps[tokens.tok_start]] != CLASS_WORD)
    n = np.diff(tokens.bounds)
    doc = np.repeat(np.arange(len(n), dtype=np.int64), n)
    n_single = np.bincount(doc[single], minlength=len(n))
    out: BoolArray = (n > 0) & (2 * n_single >= n)
    return out


def _prepared(
    tokens: TokenBatch, sh: ShingleBatch, uni: ShingleBatch, d: int, text: str, cjk: bool
) -> Prepared:
    ta, tb = int(tokens.bounds[d]), int(tokens.bounds[d + 1])
    sa, sb = int(sh.bounds[d]), int(sh.bounds[d + 1])
    first = sh.token[sa:sb] - ta
    last = np.minimum(first + sh.params.k - 1, tb - ta - 1)
    return Prepared(
        text=text,
        shingles=sh.hashes[sa:sb],
        shingle_last=last,
        unigrams=uni.hashes[ta:tb],
        tok_starts=tokens.starts[ta:tb],
        tok_ends=tokens.ends[ta:tb],
        cjk=cjk,
    )


def _seeds(q: UInt64Array, s: UInt64Array) -> tuple[Int64Array, Int64Array]:
    """All pairs (i, j) with q[i] == s[j], skipping hashes too frequent in either text."""
    if len(q) == 0 or len(s) == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z
    s_order = np.argsort(s, kind="stable")
    s_sorted = s[s_order]
    lo = np.searchsorted(s_sorted, q, side="left")
    hi = np.searchsorted(s_sorted, q, side="right")
    cnt = hi - lo
    _, q_inv, q_cnt = np.unique(q, return_inverse=True, return_counts=True)
    # a hash is a seed unless it is frequent in BOTH texts: its pairs then number at most
    # MAX_OCCURRENCES x (its occurrences in both), so all pairs stay linear in the texts, and a
    # copy pasted once into a text that repeats part of it (or the reverse) keeps its seeds
    cnt = np.where(np.minimum(cnt, q_cnt[q_inv]) <= MAX_OCCURRENCES, cnt, 0)
    i = owners(cnt)
    j = s_order[gather_ranges(lo, lo + cnt)[0]]
    return i, j.astype(np.int64)


def _runs(i: Int64Array, j: Int64Array, k: int) -> list[tuple[int, int, int, int, int]]:
    """Runs of seeds on one diagonal: (q_first, q_last, s_first, s_last, n_seeds)."""
    if len(i) == 0:
        return []
    d = j - i
    order = np.lexsort((i, d))
    i, j, d = i[order], j[order], d[order]
    brk = np.ones(len(i), dtype=bool)
    brk[1:] = (d[1:] != d[:-1]) | (i[1:] - i[:-1] > k + 1)
    starts = np.flatnonzero(brk)
    ends = np.append(starts[1:], len(i)) - 1
    counts = ends - starts + 1
    return list(
        zip(
            i[starts].tolist(),
            i[ends].tolist(),
            j[starts].tolist(),
            j[ends].tolist(),
            counts.tolist(),
        )
    )


def _chains(runs: list[tuple[int, int, int, int, int]], gap: int) -> list[list[int]]:
    """Greedy chaining of runs in query order: [q_first, q_last, s_first, s_last, n_seeds]."""
    runs = sorted(runs)
    chains: list[list[int]] = []
    active: list[int] = []  # chains that may still grow
    for qs, qe, ss, se, n in runs:
        best, best_cost = -1, None
        still: list[int] = []
        for c in active:
            ch = chains[c]
            if qs - ch[1] > gap:
                continue  # too far behind: closed for good
            still.append(c)
            dq, ds = qs - ch[1], ss - ch[3]
            # a run continues a chain only if it starts after the chain's last seed in BOTH
            # texts: a phrase repeated nearby (in the host or inside the source) must not
            # stretch the passage backwards
            if dq < 1 or ds < 1 or ds > gap:
                continue
            cost = abs(dq - ds) + max(dq, ds, 0)
            if best_cost is None or cost < best_cost:
                best, best_cost = c, cost
        active = still
        if best >= 0:
            ch = chains[best]
            ch[1] = max(ch[1], qe)
            ch[3] = max(ch[3], se)
            ch[4] += n
        else:
            chains.append([qs, qe, ss, se, n])
            active.append(len(chains) - 1)
    return chains


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def needed_tokens(cjk: bool, q_tokens: int, s_tokens: int, min_tokens: int | None) -> int:
    """The fewest tokens a passage between texts of `q_tokens` and `s_tokens` tokens holds
    (`min_tokens`, by default MIN_TOKENS_CJK when either text is `cjk`, else
    MIN_TOKENS_WORDS); a whole short text copied counts even below it."""
    need = min_tokens
    if need is None:
        need = MIN_TOKENS_CJK if cjk else MIN_TOKENS_WORDS
    return max(1, min(need, q_tokens, s_tokens))


def min_seeds(need: int, k: int) -> int:
    """The fewest seeds (pairs of equal shingles) a passage of at least `need` tokens holds
    under `align`'s evidence rule: two texts with fewer seeds in all have no passage."""
    return min(-(-need // 2), max(1, need - k + 1))


def align(
    q: Prepared, s: Prepared, *, k: int, gap: int, min_tokens: int | None
) -> tuple[list[tuple[int, int, int, int]], float, float, float]:
    """Token-level passages (inclusive token ranges) and the three measures."""
    i, j = _seeds(q.shingles, s.shingles)
    chains = _chains(_runs(i, j, k), gap)
    need = needed_tokens(q.cjk or s.cjk, q.n_tokens, s.n_tokens, min_tokens)
    cands: list[tuple[int, int, int, int, int]] = []
    for qs, qe, ss, se, n in chains:
        q0, q1 = qs, int(q.shingle_last[qe])
        s0, s1 = ss, int(s.shingle_last[se])
        length = min(q1 - q0, s1 - s0) + 1
        # Evidence: seeds on at least half of the tokens needed, or every shingle of the span a
        # seed (a verbatim copy): a span of `length` tokens has only max(1, length - k + 1)
        # shingles, fewer than half its tokens below 2k - 2 tokens (a whole short text).
        # (`min_seeds` is the least this asks of a passage.)
        if length >= need and (n * 2 >= min(length, need) or n >= max(1, length - k + 1)):
            cands.append((n, q0, q1, s0, s1))
    # strongest passages first; drop one whose query range is mostly inside a kept one
    cands.sort(key=lambda c: (-c[0], c[1]))
    kept: list[list[int]] = []
    for _, q0, q1, s0, s1 in cands:
        if any(
            _overlap(q0, q1 + 1, a[0], a[1] + 1) * 2 > min(q1 - q0, a[1] - a[0]) + 1 for a in kept
        ):
            continue
        kept.append([q0, q1, s0, s1])
    kept.sort()
    # a kept passage may still overlap its predecessor a little in the query (a phrase the
    # source repeats): trim it so that no query character is claimed twice
    trimmed: list[list[int]] = []
    for p in kept:
        if trimmed and p[0] <= trimmed[-1][1]:
            shift = trimmed[-1][1] + 1 - p[0]
            p = [p[0] + shift, p[1], min(p[2] + shift, p[3]), p[3]]
            if p[0] > p[1]:
                continue
        trimmed.append(p)
    kept = trimmed
    # grow each passage while neighbouring tokens are equal, without crossing its neighbours
    qu, su = q.unigrams, s.unigrams
    for idx, p in enumerate(kept):
        q_floor = kept[idx - 1][1] + 1 if idx else 0
        while p[0] > q_floor and p[2] > 0 and qu[p[0] - 1] == su[p[2] - 1]:
            p[0] -= 1
            p[2] -= 1
        q_ceil = kept[idx + 1][0] - 1 if idx + 1 < len(kept) else q.n_tokens - 1
        while p[1] < q_ceil and p[3] < s.n_tokens - 1 and qu[p[1] + 1] == su[p[3] + 1]:
            p[1] += 1
            p[3] += 1
    containment = coverage(q, [(p[0], p[1]) for p in kept])
    source_containment = coverage(s, [(p[2], p[3]) for p in kept])
    # Two passages may meet inside one original query character that normalizes to several
    # tokens (㍻ -> 平成: one passage ends at 平, the next starts at 成); in original offsets
    # both would claim it. It stays with the first passage: the next starts at its first query
    # token from a later character (its source range, which did match, is kept), or is dropped
    # if none is left. The measures above already count the character once.
    passages: list[tuple[int, int, int, int]] = []
    for q0, q1, s0, s1 in kept:
        if passages:
            claimed = int(q.tok_ends[passages[-1][1]])
            while q0 <= q1 and int(q.tok_starts[q0]) < claimed:
                q0 += 1
            if q0 > q1:
                continue
        passages.append((q0, q1, s0, s1))
    uq, us = np.unique(q.shingles), np.unique(s.shingles)
    union = len(uq) + len(us)
    inter = len(np.intersect1d(uq, us, assume_unique=True))
    jac = inter / (union - inter) if union - inter else 0.0
    return passages, containment, source_containment, jac


def coverage(doc: Prepared, ranges: list[tuple[int, int]]) -> float:
    """Share of `doc`'s token characters inside the inclusive token ranges `ranges`."""
    if doc.n_tokens == 0:
        return 0.0
    lens = doc.tok_ends - doc.tok_starts
    covered = np.zeros(doc.n_tokens, dtype=bool)
    for a, b in ranges:
        covered[a : b + 1] = True
    return float(lens[covered].sum() / lens.sum())


#: Character-level refinement looks at most this far beyond a passage's token boundary.
REFINE_CHARS = 32


def _same(a: str, b: str) -> bool:
    return a == b or a.casefold() == b.casefold()


def to_passages(
    q: Prepared, s: Prepared, token_passages: list[tuple[int, int, int, int]]
) -> tuple[Passage, ...]:
    """Token ranges to original-text offsets, refined character by character.

    A copy that starts or ends inside a word leaves a partial token at each edge; characters
    equal in both original texts (up to case) just outside the token boundary are taken in,
    without reaching the neighbouring passage.
    """
    out: list[Passage] = []
    qt, st = q.text, s.text
    for idx, (q0, q1, s0, s1) in enumerate(token_passages):
        qa, qb = int(q.tok_starts[q0]), int(q.tok_ends[q1])
        sa, sb = int(s.tok_starts[s0]), int(s.tok_ends[s1])
        q_floor = out[-1].query_end if out else 0
        q_ceil = (
            int(q.tok_starts[token_passages[idx + 1][0]])
            if idx + 1 < len(token_passages)
            else len(qt)
        )
        steps = 0
        while qa > q_floor and sa > 0 and steps < REFINE_CHARS and _same(qt[qa - 1], st[sa - 1]):
            qa, sa, steps = qa - 1, sa - 1, steps + 1
        steps = 0
        while qb < q_ceil and sb < len(st) and steps < REFINE_CHARS and _same(qt[qb], st[sb]):
            qb, sb, steps = qb + 1, sb + 1, steps + 1
        out.append(Passage(qa, qb, sa, sb))
    return tuple(out)
