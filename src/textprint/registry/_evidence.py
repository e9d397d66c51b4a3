"""What a reviewer reads of each copied passage: how it was copied, whether it is quoted, and
whether the text names the work.

Computed at verification from what alignment already knows, for the passages of works that
pass the evidence rule only:

* **Kind and similarity.** Alignment pairs a token range of the text with one of the work.
  Tokens of either side covered by a shingle that also occurs on the other side are *equal*
  (an edited token breaks the ``k`` shingles over it, so exactly the edited tokens are left
  uncovered); the similarity is the share of the two sides' token characters that are equal. A
  passage is ``"identical"`` when its token sequences are equal in the matching view (every
  difference between the original characters is one normalization folds away), else
  ``"edited"``. Without stored texts nothing is aligned: ``"unknown"``.
* **Evasions.** What the original characters of the text show over the passage that the work's
  do not: `EVASIONS`, counted per class of character (see `evasions_seen`).
* **Quotation** (`_quotes`): at least 90 % of the passage inside quotation marks or a block
  quote of the text (marks copied inside the passage do not count; a passage the work itself
  quotes needs one level more).
* **Attribution** (`_quotes`, applied when the Hit is built, from the work's metadata): the
  title or an author named near a passage. A Hit is attributed when one of its passages is;
  its *unattributed* characters are those of passages neither quoted nor attributed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from .._alignment import Prepared
from .._separators import find_separators
from .._tables import CLASS_HAN, CLASS_HANGUL, CLASS_KANA, CLASS_NEWLINE, CLASS_WORD, get_tables
from .._typing import BoolArray, Int64Array, UInt8Array, UInt32Array
from ..matching import Passage
from . import _quotes

#: Evasions a passage can show, in the order they are reported.
EVASIONS = ("fullwidth", "invisible", "lookalike", "separators", "traditional")
KINDS = ("identical", "edited", "unknown")
#: Traditional and Simplified forms differ (either way) when their counts over the passage
#: differ by at least this share of its Han characters (and by 2).
TRADITIONAL_SHARE = 0.05
#: Full-width letters and digits the text must hold beyond the work's (a single one may be an
#: edit, a stray character of the text's own).
MIN_WIDTH = 2
#: Non-token marks (symbols, punctuation, spaces) put between the characters of a copy: the
#: text holds at least this many more of them per token than the work.
MARKS_PER_TOKEN = 0.2


class AlignedStats(NamedTuple):
    """What one alignment of a token range of the text with one of the work found."""

    identical: bool
    equal_q: int  # characters of the text's tokens covered by a shingle of the work
    total_q: int
    equal_s: int
    total_s: int


class PassageFacts(NamedTuple):
    """What verification found of one passage (a Hit adds the attribution)."""

    kind: str
    similarity: float | None
    evasions: tuple[str, ...]
    quoted: bool
    chars: int  # visible characters of the text inside it
    tokens: int  # tokens of the text inside it
    token_chars: int  # characters of those tokens (the containment numerator)


def _covered(p: Prepared, a: int, b: int, other: np.ndarray) -> BoolArray:
    """Tokens ``a..b`` (inclusive) of `p` covered by a shingle lying inside them whose hash is
    in `other`."""
    n = b - a + 1
    first = np.arange(len(p.shingles), dtype=np.int64)
    inside = (first >= a) & (p.shingle_last <= b)
    hit = inside & np.isin(p.shingles, other)
    # +1 where a covering shingle starts, -1 after it ends (bincount: no ufunc.at scatter)
    diff = np.bincount(first[hit] - a, minlength=n + 1) - np.bincount(
        p.shingle_last[hit] - a + 1, minlength=n + 1
    )
    out: BoolArray = np.cumsum(diff[:-1]) > 0
    return out


def aligned_stats(q: Prepared, s: Prepared, q0: int, q1: int, s0: int, s1: int) -> AlignedStats:
    """The stats of one aligned passage (inclusive token ranges of `q` and `s`)."""
    ql = (q.tok_ends - q.tok_starts)[q0 : q1 + 1]
    sl = (s.tok_ends - s.tok_starts)[s0 : s1 + 1]
    identical = bool(
        q1 - q0 == s1 - s0 and np.array_equal(q.unigrams[q0 : q1 + 1], s.unigrams[s0 : s1 + 1])
    )
    if identical:
        return AlignedStats(True, int(ql.sum()), int(ql.sum()), int(sl.sum()), int(sl.sum()))
    q_inside = (np.arange(len(q.shingles)) >= q0) & (q.shingle_last <= q1)
    s_inside = (np.arange(len(s.shingles)) >= s0) & (s.shingle_last <= s1)
    cq = _covered(q, q0, q1, s.shingles[s_inside])
    cs = _covered(s, s0, s1, q.shingles[q_inside])
    return AlignedStats(False, int(ql[cq].sum()), int(ql.sum()), int(sl[cs].sum()), int(sl.sum()))


class Alignment(NamedTuple):
    """One alignment of tokens ``q0..q1`` of the text (`q`) with tokens ``s0..s1`` of the
    work (`s`), inclusive; its `AlignedStats` are computed only for the passages of works
    that pass the evidence rule (`stats`)."""

    q: Prepared
    s: Prepared
    q0: int
    q1: int
    s0: int
    s1: int

    def stats(self) -> AlignedStats:
        return aligned_stats(self.q, self.s, self.q0, self.q1, self.s0, self.s1)


def combine(stats: Sequence[AlignedStats]) -> tuple[str, float | None]:
    """Kind and similarity of a passage made of these alignments."""
    if not stats:
        return "unknown", None
    total = sum(s.total_q + s.total_s for s in stats)
    equal = sum(s.equal_q + s.equal_s for s in stats)
    identical = all(s.identical for s in stats)
    similarity = 1.0 if identical else (equal / total if total else 0.0)
    return ("identical" if identical else "edited"), similarity


def _codepoints(text: str) -> UInt32Array:
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    out: UInt32Array = np.minimum(cps, 0x10FFFF).astype(np.uint32)
    return out


_TOKEN_CLASSES = np.zeros(256, dtype=bool)
_TOKEN_CLASSES[[CLASS_WORD, CLASS_HAN, CLASS_KANA, CLASS_HANGUL]] = True
# Bits of `_kinds`: what a character is, as the evasions count it.
_WIDE, _INVISIBLE, _LOOKALIKE, _TRADITIONAL, _HAN, _TOKEN, _OTHER = (1 << i for i in range(7))
#: Per value of `_kinds` (0-255), its seven bits: counts of the bits are bincount @ _BITS.
_BITS = (np.arange(256)[:, None] >> np.arange(7)) & 1


@functools.cache
def _kinds() -> UInt8Array:
    """Per code point, the bits above: a full-width letter or digit or a half-width katakana
    (``_WIDE``), removed by normalization (``_INVISIBLE``), a letter folded to a Latin
    look-alike, a Han character with a Simplified or new form of its own, Han, a token
    character, any other character but a line break. Built once from the tables."""
    t = get_tables()
    cps = np.arange(0x110000, dtype=np.uint32)
    folded = t.fold_single
    invisible = t.fold_len == 0
    cls = t.match_class[folded]
    han = cls == CLASS_HAN
    token = _TOKEN_CLASSES[cls] & ~invisible
    wide = np.zeros(0x110000, dtype=bool)
    wide[0xFF10:0xFF1A] = True  # full-width digits
    wide[0xFF21:0xFF3B] = True  # full-width Latin capitals
    wide[0xFF41:0xFF5B] = True  # full-width Latin small letters
    # half-width katakana and Hangul letters; not the half-width CJK punctuation ｡｢｣､･
    # (U+FF61-U+FF65): a Japanese text (or a width fold of one) writes them, and a mark is
    # no letter a reviewer would read as hidden
    wide[0xFF66:0xFFDD] = True
    out = np.zeros(0x110000, dtype=np.uint8)
    out[wide] |= _WIDE
    out[invisible] |= _INVISIBLE
    out[(t.classes[folded] == CLASS_WORD) & (t.common[folded] != folded)] |= _LOOKALIKE
    out[han & ((t.t2s[folded] != folded) | (t.jp[folded] != folded))] |= _TRADITIONAL
    out[han] |= _HAN
    out[token] |= _TOKEN
    out[~token & ~invisible & (cls != CLASS_NEWLINE)] |= _OTHER
    del cps
    return out


class _Counts(NamedTuple):
    width: int
    invisible: int
    lookalike: int
    traditional: int
    han: int
    token_marks: int  # separators found by the separator rule
    other_marks: int  # characters that are no token, no line break, not invisible
    tokens: int


def _counts(post: str, work: str) -> tuple[_Counts, _Counts]:
    """The counts of both sides of a passage, in one pass over their characters joined."""
    cps = _codepoints(post + work)
    n_post = len(post)  # code points: surrogates stay one each (surrogatepass)
    kinds = _kinds()[cps]
    side = np.zeros(len(cps), dtype=np.int64)
    side[n_post:] = 256
    bits = (np.bincount(kinds + side, minlength=512).reshape(2, 256) @ _BITS).tolist()
    t = get_tables()
    kept = (kinds & _INVISIBLE) == 0
    folded = t.fold_single[cps[kept]]
    n_kept = int(np.count_nonzero(kept[:n_post]))
    seps = find_separators(
        folded, t.match_class[folded], np.array([0, n_kept, len(folded)], np.int64)
    )
    post_seps = int(np.count_nonzero(seps < n_kept))
    out = []
    for (wide, invisible, lookalike, traditional, han, token, other), n_seps in zip(
        bits, (post_seps, len(seps) - post_seps)
    ):
        out.append(_Counts(wide, invisible, lookalike, traditional, han, n_seps, other, token))
    return out[0], out[1]


def evasions_seen(post: str, work: str) -> tuple[str, ...]:
    """The evasions the text's original characters show over a passage (`post`) that the
    work's (`work`) do not.

    Counted per class of character, so that what the work itself holds (full-width letters of
    a Japanese work, a Traditional work) is no evasion: ``fullwidth`` (at least `MIN_WIDTH`
    more full-width letters and digits, or half-width katakana), ``invisible`` (more
    characters normalization removes: zero-width spaces, joiners, soft hyphens, bidi
    controls), ``lookalike`` (more letters
    folded to a Latin look-alike), ``traditional`` (Traditional and Simplified or old and new
    kanji forms: counts that differ either way), ``separators`` (marks repeated between the
    characters: the separator rule's, or more non-token marks than `MARKS_PER_TOKEN` per token).
    """
    p, w = _counts(post, work)
    seen = []
    if p.width - w.width >= MIN_WIDTH:
        seen.append("fullwidth")
    if p.invisible > w.invisible:
        seen.append("invisible")
    if p.lookalike > w.lookalike:
        seen.append("lookalike")
    if p.token_marks > w.token_marks or (
        p.other_marks - w.other_marks >= max(2.0, MARKS_PER_TOKEN * p.tokens)
    ):
        seen.append("separators")
    if abs(p.traditional - w.traditional) >= max(2.0, TRADITIONAL_SHARE * max(p.han, w.han)):
        seen.append("traditional")
    return tuple(seen)


def raw_for(
    merged: Sequence[Passage], raw: Sequence[tuple[Passage, AlignedStats]]
) -> list[list[AlignedStats]]:
    """The alignments inside each merged passage (a raw passage belongs to the merged one its
    query start falls in)."""
    starts = np.array([m.query_start for m in merged], dtype=np.int64)
    out: list[list[AlignedStats]] = [[] for _ in merged]
    for p, st in raw:
        i = int(np.searchsorted(starts, p.query_start, side="right")) - 1
        if i >= 0 and p.query_start < merged[i].query_end:
            out[i].append(st)
    return out


#: Characters of the work read around a passage to see its own quotation marks.
WORK_CONTEXT = 256
#: Consecutive passages are pieces of one copy (cut apart by a washing: separators, invisible
#: characters, a few edits) when the work goes on within PIECE_GAP characters after the one and
#: the text between them holds no more tokens than the work skipped (plus PIECE_GAP_SLACK):
#: the quotation marks between them are the work's. Text of the post's own between two
#: passages (a comment, an attribution) holds more and keeps them apart.
PIECE_GAP = 64
PIECE_GAP_SLACK = 8


def copies_of(passages: Sequence[Passage], tok_starts: Int64Array) -> list[tuple[int, int, int]]:
    """Per passage (in text order), the copy it is a piece of: ``(start, end)`` in the text and
    the copy's start in the work (`tok_starts`: the starts of the text's tokens)."""
    out: list[tuple[int, int, int]] = []
    group: list[Passage] = []
    for p in passages:
        if group:
            prev = group[-1]
            w_gap = p.source_start - prev.source_end
            tokens = int(np.searchsorted(tok_starts, p.query_start)) - int(
                np.searchsorted(tok_starts, prev.query_end)
            )
            if not (
                0 <= w_gap <= PIECE_GAP
                and p.query_start >= prev.query_end
                and tokens <= w_gap + PIECE_GAP_SLACK
            ):
                out.extend(
                    (group[0].query_start, group[-1].query_end, group[0].source_start)
                    for _ in group
                )
                group = []
        group.append(p)
    out.extend((group[0].query_start, group[-1].query_end, group[0].source_start) for _ in group)
    return out


def passage_facts(
    text: str,
    tok_starts: Int64Array,
    tok_ends: Int64Array,
    passages: Sequence[Passage],
    raw: Sequence[tuple[Passage, AlignedStats]] | None,
    work_slice: Callable[[int, int], str] | None,
    visible: Callable[[Passage], int],
) -> tuple[PassageFacts, ...]:
    """The facts of each passage of one work in checked text `text` (whose tokens span
    `tok_starts`, `tok_ends`).

    `raw`: the aligned pieces and their stats (None without stored texts); `work_slice(a, b)`:
    the work's characters ``[a, b)`` (None without stored texts).
    """
    per = raw_for(passages, raw) if raw is not None else [[] for _ in passages]
    lens = tok_ends - tok_starts
    out = []
    for p, stats, (c_start, c_end, w_copy) in zip(passages, per, copies_of(passages, tok_starts)):
        ta = int(np.searchsorted(tok_starts, p.query_start, side="left"))
        tb = int(np.searchsorted(tok_ends, p.query_end, side="right"))
        kind, similarity = combine(stats)
        if work_slice is not None:
            lo = max(0, p.source_start - WORK_CONTEXT)
            around = work_slice(lo, p.source_end + WORK_CONTEXT)
            w_start, w_end = p.source_start - lo, min(p.source_end - lo, len(around))
            seen = evasions_seen(text[p.query_start : p.query_end], around[w_start:w_end])
            quoted = _quotes.is_quoted(
                text,
                p.query_start,
                p.query_end,
                around,
                w_start,
                w_end,
                copy=(c_start, c_end),
                w_copy_start=w_copy - lo,
            )
        else:
            seen = ()
            quoted = _quotes.is_quoted(text, p.query_start, p.query_end, copy=(c_start, c_end))
        out.append(
            PassageFacts(
                kind=kind,
                similarity=similarity,
                evasions=seen,
                quoted=quoted,
                chars=visible(p),
                tokens=max(0, tb - ta),
                token_chars=int(lens[ta:tb].sum()),
            )
        )
    return tuple(out)


def counted_as_spans(
    facts: Sequence[PassageFacts], passages: Sequence[Passage]
) -> tuple[PassageFacts, ...]:
    """Facts counted as the evidence rule counts without stored texts: a passage's characters
    are its span, and five of them make a word."""
    return tuple(
        f._replace(chars=p.query_end - p.query_start, tokens=(p.query_end - p.query_start) // 5)
        for f, p in zip(facts, passages)
    )


def unattributed(facts: Sequence[PassageFacts], attributed: bool) -> tuple[int, int, int]:
    """Visible characters, tokens and token characters of the passages neither quoted nor
    attributed (all of them zero when the Hit is attributed)."""
    if attributed:
        return 0, 0, 0
    free = [f for f in facts if not f.quoted]
    return (
        sum(f.chars for f in free),
        sum(f.tokens for f in free),
        sum(f.token_chars for f in free),
    )


__all__ = [
    "EVASIONS",
    "KINDS",
    "AlignedStats",
    "Alignment",
    "PassageFacts",
    "aligned_stats",
    "counted_as_spans",
    "evasions_seen",
    "passage_facts",
    "unattributed",
]
