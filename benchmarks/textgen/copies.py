"""Copy cases and unrelated cases built from real works (text generator).

A copy case takes 200-1,500 characters of one work (or the whole work when it is shorter),
optionally cuts them into 2-4 pieces and reorders them, applies edits, embeds the result between
two stretches of unrelated host text (0-1,200 characters each, from documents other than the
work's), and then applies formatting evasions to the whole query. An unrelated case is host text
alone, with the same formatting evasions, checked to share no run of 12 characters (Chinese,
Japanese) or 8 words (English) with any work.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

import textprint as tp

from .evasions import EVASIONS, FORMAT_TRANSFORMS, HOST, Tagged, edit_chars, edit_words

#: Probability that a copy case gets no evasion at all, and of each evasion otherwise.
P_VERBATIM = 0.15
P_EVASION = 0.35

COPY_MIN, COPY_MAX = 200, 1500
HOST_MAX = 1200
#: Shortest shuffled piece, in characters (about 60 CJK characters, or 15 English words).
MIN_PIECE = {"zh": 60, "ja": 60, "en": 90}
UNRELATED_MIN, UNRELATED_MAX = 300, 3900
#: Unrelated text shares no run of this many characters (zh, ja) or words (en) with any work.
RUN_CHARS, RUN_WORDS = 12, 8

# ---------------------------------------------------------------------------------------------
# ---------------------------------------------------------------------------------------------
# Unrelatedness check: no run of 12 characters (8 words) shared with any work


_BASE = np.uint64(0x100000001B3)


def _run_hashes(ids: np.ndarray, n: int) -> np.ndarray:
    """Polynomial hash (mod 2**64) of every window of `n` consecutive ids."""
    if len(ids) < n:
        return np.zeros(0, dtype=np.uint64)
    x = ids.astype(np.uint64) + np.uint64(1)
    m = len(x) - n + 1
    h = np.zeros(m, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(n):
            h = h * _BASE + x[j : j + m]
    return h


class RunGuard:
    """Hashes of every run of 12 characters (zh, ja) or 8 words (en) of the works.

    Texts are compared in textprint's matching view (``tp.normalize``: NFKC, case folding,
    Traditional to Simplified, kana folding...), with whitespace removed for CJK, so that a run
    hidden by formatting still counts as shared.
    """

    def __init__(self, works: Sequence[str], lang: str) -> None:
        self.lang = lang
        self._word_ids: dict[str, int] = {}
        parts = [self.run_hashes(w) for w in works]
        self.hashes = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.uint64)

    def run_hashes(self, text: str) -> np.ndarray:
        """Hashes of every run of `text` (uint64, one per window, in text order)."""
        norm = tp.normalize(text).text
        if self.lang == "en":
            words = re.findall(r"\w+", norm)
            ids = np.array(
                [self._word_ids.setdefault(w, len(self._word_ids)) for w in words],
                dtype=np.uint64,
            )
            return _run_hashes(ids, RUN_WORDS)
        norm = re.sub(r"\s+", "", norm)
        cps = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32)
        return _run_hashes(cps, RUN_CHARS)

    def shared_runs(self, text: str) -> int:
        """How many runs of `text` also occur in some work."""
        h = self.run_hashes(text)
        if len(h) == 0 or len(self.hashes) == 0:
            return 0
        pos = np.searchsorted(self.hashes, h)
        pos = np.minimum(pos, len(self.hashes) - 1)
        return int((self.hashes[pos] == h).sum())


# ---------------------------------------------------------------------------------------------
# Cases


@dataclass(frozen=True)
class Work:
    """A registered work: its id, the document it was cut from, and its text."""

    work_id: str
    base_id: str
    text: str


@dataclass(frozen=True)
class Piece:
    """Ground truth of one copied piece, half-open offsets in the final query and the work."""

    query_start: int
    query_end: int
    source_start: int
    source_end: int


@dataclass(frozen=True)
class Case:
    """A query and its truth: the work copied (None for unrelated text) and the pieces."""

    query: str
    work_id: str | None
    pieces: tuple[Piece, ...]
    evasions: tuple[str, ...]
    whole_work: bool = False
    edit_rate: float = 0.0


class CopyGenerator:
    """Makes copy cases and unrelated cases for one language.

    Parameters
    ----------
    works : sequence of Work
        The registered works copies are taken from.
    hosts : sequence of (base_id, text)
        Unregistered text of the same language; host text for a copy never comes from the
        copied work's own document (``base_id``).
    lang : {"zh", "ja", "en"}
    guard : RunGuard, optional
        Built from `works` when not given; host stretches and unrelated queries sharing a run
        with any work are drawn again.
    """

    def __init__(
        self,
        works: Sequence[Work],
        hosts: Sequence[tuple[str, str]],
        lang: str,
        *,
        guard: RunGuard | None = None,
    ) -> None:
        if lang not in EVASIONS:
            raise ValueError(f"lang={lang!r} must be one of {sorted(EVASIONS)}")
        self.works = list(works)
        self.hosts = [(b, t) for b, t in hosts if len(t) >= 50]
        self.lang = lang
        self.guard = guard if guard is not None else RunGuard([w.text for w in works], lang)
        self._host_weights = [len(t) for _, t in self.hosts]
        if lang == "en":
            words: set[str] = set()
            for w in self.works[:200]:
                words.update(re.findall(r"[A-Za-z]+", w.text))
            self.vocab = sorted(words)
        else:
            chars: set[str] = set()
            for w in self.works[:200]:
                chars.update(c for c in w.text if c.isalnum() and ord(c) > 0x2E80)
            self.vocab = sorted(chars)
        self.n_host_rejected = 0

    # -- host text -------------------------------------------------------------------------

    def _span(self, text: str, start: int, length: int) -> tuple[int, int]:
        """[start, start + length) moved to word boundaries in English."""
        end = min(len(text), start + length)
        if self.lang == "en":
            while 0 < start < len(text) and not text[start - 1].isspace():
                start += 1
            while 0 < end < len(text) and not text[end].isspace():
                end -= 1
        return start, max(start, end)

    def host_text(self, rng: random.Random, length: int, exclude: str | None) -> str:
        """`length` characters of unregistered text sharing no run with any work."""
        if length <= 0:
            return ""
        for _ in range(50):
            base, text = rng.choices(self.hosts, weights=self._host_weights)[0]
            if base == exclude:
                continue
            start = rng.randrange(max(1, len(text) - length + 1))
            a, b = self._span(text, start, length)
            piece = text[a:b].strip()
            if piece and self.guard.shared_runs(piece) == 0:
                return piece
            self.n_host_rejected += 1
        return ""

    # -- copies ----------------------------------------------------------------------------

    def _draw_evasions(self, rng: random.Random) -> tuple[str, ...]:
        if rng.random() < P_VERBATIM:
            return ()
        names = EVASIONS[self.lang]
        while True:
            chosen = tuple(e for e in names if rng.random() < P_EVASION)
            if chosen:
                return chosen

    def _cut_points(self, rng: random.Random, text: str, a: int, b: int, n: int) -> list[int]:
        """n - 1 cut points inside [a, b), at spaces in English.

        Every piece keeps at least ``MIN_PIECE`` characters (and 1/8 of the copy): a shorter
        piece is below what a copy detector is asked to report (textprint's passages need 16
        CJK characters or 10 words). Fewer pieces are made when the copy is too short.
        """
        length = b - a
        floor = max(MIN_PIECE[self.lang], length // 8)
        n = min(n, length // floor)
        if n < 2:
            return []
        for _ in range(100):
            cuts = sorted(rng.randrange(a + 1, b) for _ in range(n - 1))
            if self.lang == "en":
                cuts = [self._span(text, c, 0)[0] for c in cuts]
            bounds = [a, *cuts, b]
            if all(y - x >= floor for x, y in itertools.pairwise(bounds)):
                return cuts
        return []

    def copied_ranges(
        self, rng: random.Random, w: Work, evasions: Sequence[str], shortest: int = COPY_MIN
    ) -> tuple[bool, list[tuple[int, int]]]:
        """What a copy of `w` takes: whether it is the whole work, and its ranges of the work in
        query order (2-4 pieces put in another order under ``shuffle``). The copy is
        `shortest`-`COPY_MAX` characters long, log-uniform, or the whole of a shorter work."""
        length = round(math.exp(rng.uniform(math.log(shortest), math.log(COPY_MAX))))
        whole = length >= len(w.text)
        if whole:
            a, b = 0, len(w.text)
        else:
            a, b = self._span(w.text, rng.randrange(len(w.text) - length + 1), length)
        # pieces, in source order, then shuffled
        ranges = [(a, b)]
        if "shuffle" in evasions:
            cuts = self._cut_points(rng, w.text, a, b, rng.randint(2, 4))
            if cuts:
                bounds = [a, *cuts, b]
                ranges = list(itertools.pairwise(bounds))
                order = list(range(len(ranges)))
                while order == sorted(order):
                    rng.shuffle(order)
                ranges = [ranges[i] for i in order]
        return whole, ranges

    def edited(self, t: Tagged, rng: random.Random, rate: float) -> Tagged:
        """`t` with `rate` of its characters (words in English) substituted, inserted or
        deleted (nothing when `rate` is 0)."""
        if not rate:
            return t
        if self.lang == "en":
            return edit_words(t, rng, rate, self.vocab)
        return edit_chars(t, rng, rate, self.vocab)

    def in_host(self, rng: random.Random, body: Tagged, base_id: str) -> Tagged:
        """`body` between two stretches of host text (0-`HOST_MAX` characters each, from
        documents other than `base_id`'s)."""
        sep = " " if self.lang == "en" else ""
        left = self.host_text(rng, rng.randint(0, HOST_MAX), base_id)
        right = self.host_text(rng, rng.randint(0, HOST_MAX), base_id)
        q = Tagged()
        if left:
            q.extend(Tagged.of(left + rng.choice((sep, "\n")), HOST, None))
        q.extend(body)
        if right:
            q.extend(Tagged.of(rng.choice((sep, "\n")) + right, HOST, None))
        return q

    def copy_case(self, rng: random.Random, work_index: int | None = None) -> Case:
        """A copy of part of a work (or all of a short work), with evasions, in host text."""
        w = self.works[rng.randrange(len(self.works)) if work_index is None else work_index]
        evasions = self._draw_evasions(rng)
        whole, ranges = self.copied_ranges(rng, w, evasions)
        rate = rng.uniform(0.01, 0.05) if "edits" in evasions else 0.0
        body = Tagged()
        for pid, (x, y) in enumerate(ranges):
            body.extend(self.edited(Tagged.of(w.text[x:y], pid, x), rng, rate))
        q = self.in_host(rng, body, w.base_id)
        for name, fn in FORMAT_TRANSFORMS.items():
            if name in evasions:
                q = fn(q, rng, self.lang)
        pieces = []
        piece_arr = np.array(q.piece)
        for pid, (x, y) in enumerate(ranges):
            at = np.flatnonzero(piece_arr == pid)
            pieces.append(Piece(int(at[0]), int(at[-1]) + 1, x, y))
        pieces.sort(key=lambda p: p.query_start)
        return Case(q.text(), w.work_id, tuple(pieces), evasions, whole, rate)

    def unrelated_case(self, rng: random.Random) -> Case:
        """Unregistered text with formatting evasions, sharing no run with any work.

        The check is made again after the evasions: deleting punctuation or a round trip
        through Traditional characters can make a new run.
        """
        evasions = tuple(
            e for e in EVASIONS[self.lang] if e in FORMAT_TRANSFORMS and rng.random() < P_EVASION
        )
        length = rng.randint(UNRELATED_MIN, UNRELATED_MAX)
        for _ in range(50):
            text = self.host_text(rng, length, None)
            if len(text) < UNRELATED_MIN // 2:
                continue
            q = Tagged.of(text, HOST, None)
            for name, fn in FORMAT_TRANSFORMS.items():
                if name in evasions:
                    q = fn(q, rng, self.lang)
            query = q.text()
            if self.guard.shared_runs(query) == 0:
                return Case(query, None, (), evasions)
            self.n_host_rejected += 1
        raise RuntimeError("no unrelated text found after 50 draws: is the host pool too small?")


def check_case(case: Case, works: dict[str, str], lang: str) -> None:
    """Sanity checks of a copy case's truth (used by bench_copies.py on every case)."""
    if case.work_id is None:
        return
    src = works[case.work_id]
    for p in case.pieces:
        if not (0 <= p.query_start < p.query_end <= len(case.query)):
            raise AssertionError(f"bad query span {p}")
        if not (0 <= p.source_start < p.source_end <= len(src)):
            raise AssertionError(f"bad source span {p}")
    if not case.evasions:  # verbatim: the pieces are exact copies
        for p in case.pieces:
            if case.query[p.query_start : p.query_end] != src[p.source_start : p.source_end]:
                raise AssertionError(f"verbatim piece differs: {p}")


def drop_overlapping(texts: Sequence[str], lang: str, *, max_shared: float = 0.05) -> list[bool]:
    """Which texts to keep: in order, a text sharing more than `max_shared` of its runs (12
    characters, 8 words) with earlier texts is dropped. Two editions, two translations, or a
    collection holding a story would otherwise make "the true work" ambiguous. Apply it to the
    whole documents before cutting works out of them."""
    guard = RunGuard([], lang)
    hs = [np.unique(guard.run_hashes(t)) for t in texts]
    if not hs:
        return []
    owner = np.repeat(np.arange(len(hs)), [len(h) for h in hs])
    allh = np.concatenate(hs)
    order = np.lexsort((owner, allh))
    sh, so = allh[order], owner[order]
    first = np.ones(len(sh), dtype=bool)
    first[1:] = sh[1:] != sh[:-1]
    first_owner = so[first][np.cumsum(first) - 1]
    earlier = np.bincount(so, weights=(first_owner < so), minlength=len(hs))
    total = np.maximum(np.bincount(so, minlength=len(hs)), 1)
    return [bool(e / t <= max_shared) for e, t in zip(earlier, total)]
