"""Washing cases (洗稿): washed copies of works in host text, and unrelated washed posts.

The washings themselves, and what a platform meets, are described in `washings`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .copies import CopyGenerator, Work
from .evasions import FORMAT_TRANSFORMS, HOST, Tagged
from .washings import (
    COPY_MIN,
    POST_WASHINGS,
    Homophones,
    is_cjk,
    w_clauses,
    w_emoji,
    w_heavy_edits,
    w_homophone,
    w_mixed_script,
    w_pinyin,
    w_sentences,
    w_synonyms,
)

__all__ = ["WashCase", "WashGenerator", "check_wash_case"]


@dataclass(frozen=True)
class WashCase:
    """A washed post and its truth, as half-open character ranges.

    `query_truth`: the characters of the post that are copied (inserted filler, separators
    between two copied pieces and host text are not); `source_truth`: the characters of the
    work that were copied (each copied piece's range less its dropped sentences).
    """

    query: str
    work_id: str | None
    query_truth: tuple[tuple[int, int], ...]
    source_truth: tuple[tuple[int, int], ...]
    washings: tuple[str, ...]
    evasions: tuple[str, ...]
    whole_work: bool = False

    @property
    def label(self) -> str:
        return " + ".join(self.washings + self.evasions) or "verbatim"


def _ranges(mask: np.ndarray) -> tuple[tuple[int, int], ...]:
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    return tuple((int(a), int(b)) for a, b in zip(starts, ends))


class WashGenerator(CopyGenerator):
    """Washing cases and unrelated washed posts for one language (see the module docstring)."""

    def __init__(
        self,
        works: Sequence[Work],
        hosts: Sequence[tuple[str, str]],
        lang: str,
        **kwargs: object,
    ) -> None:
        super().__init__(works, hosts, lang, **kwargs)  # type: ignore[arg-type]
        self._homophones: Homophones | None = None
        self._words: list[str] | None = None

    @property
    def homophones(self) -> Homophones:
        if self._homophones is None:
            self._homophones = Homophones([w.text for w in self.works])
        return self._homophones

    @property
    def words(self) -> list[str]:
        if self._words is None:
            import jieba

            seen: set[str] = set()
            for w in self.works[:300]:
                seen.update(
                    x
                    for x in jieba.lcut(w.text[:3000], HMM=False)
                    if len(x) == 2 and all(is_cjk(c) for c in x)
                )
            self._words = sorted(seen)
        return self._words

    def wash_text(
        self, t: Tagged, rng: random.Random, washings: Sequence[str], dropped: list[tuple[int, int]]
    ) -> Tagged:
        """The washings of the copied text, in a fixed order."""
        lang = self.lang
        if "sentences" in washings:
            t = w_sentences(t, rng, lang, dropped)
        if "clauses" in washings:
            t = w_clauses(t, rng, lang)
        if "synonyms" in washings:
            t = w_synonyms(t, rng, self.words)
        if "homophone" in washings:
            t = w_homophone(t, rng, self.homophones)
        if "pinyin" in washings:
            t = w_pinyin(t, rng)
        if "emoji" in washings:
            t = w_emoji(t, rng, lang)
        if "heavy_edits" in washings:
            t = w_heavy_edits(t, rng, lang, self.vocab)
        if "mixed_script" in washings:
            t = w_mixed_script(t, rng)
        return t

    def wash_post(
        self, q: Tagged, rng: random.Random, washings: Sequence[str], evasions: Sequence[str]
    ) -> Tagged:
        """copygen's formatting evasions, then the washings of the whole post, then zero-width
        characters (between the characters all the others made)."""
        for name, fn in FORMAT_TRANSFORMS.items():
            if name in evasions and name != "zerowidth":
                q = fn(q, rng, self.lang)
        for name, fn in POST_WASHINGS.items():
            if name in washings:
                q = fn(q, rng, self.lang)
        if "zerowidth" in evasions:
            q = FORMAT_TRANSFORMS["zerowidth"](q, rng, self.lang)
        return q

    def wash_case(
        self,
        rng: random.Random,
        washings: Sequence[str],
        evasions: Sequence[str] = (),
        work_index: int | None = None,
    ) -> WashCase:
        """A copy of part of a work (or all of a short work), washed, in host text."""
        w = self.works[rng.randrange(len(self.works)) if work_index is None else work_index]
        whole, ranges = self.copied_ranges(rng, w, evasions, COPY_MIN)
        rate = rng.uniform(0.01, 0.05) if "edits" in evasions else 0.0
        dropped: list[tuple[int, int]] = []
        body = Tagged()
        for pid, (x, y) in enumerate(ranges):
            part = self.wash_text(Tagged.of(w.text[x:y], pid, x), rng, washings, dropped)
            body.extend(self.edited(part, rng, rate))
        q = self.in_host(rng, body, w.base_id)
        q = self.wash_post(q, rng, washings, evasions)
        q_mask = np.array(q.piece) != HOST
        s_mask = np.zeros(len(w.text), dtype=bool)
        for x, y in ranges:
            s_mask[x:y] = True
        for x, y in dropped:
            s_mask[x:y] = False
        return WashCase(
            q.text(),
            w.work_id,
            _ranges(q_mask),
            _ranges(s_mask),
            tuple(washings),
            tuple(evasions),
            whole,
        )

    def unrelated_wash(
        self, rng: random.Random, washings: Sequence[str], evasions: Sequence[str] = ()
    ) -> WashCase:
        """Unregistered text under the same washings and evasions, sharing no run with any
        work (checked again after washing: a homophone or a dropped sentence can make one)."""
        for _ in range(50):
            text = self.host_text(rng, rng.randint(300, 3900), None)
            if len(text) < 150:
                continue
            t = self.wash_text(Tagged.of(text, HOST, None), rng, washings, [])
            ev = [e for e in evasions if e in FORMAT_TRANSFORMS]
            if "edits" in evasions:
                t = self.edited(t, rng, rng.uniform(0.01, 0.05))
            query = self.wash_post(t, rng, washings, ev).text()
            if self.guard.shared_runs(query) == 0:
                return WashCase(query, None, (), (), tuple(washings), tuple(evasions))
            self.n_host_rejected += 1
        raise RuntimeError("no unrelated text found after 50 draws: is the host pool too small?")


def check_wash_case(case: WashCase, works: dict[str, str]) -> None:
    """Sanity checks of a washing case's truth."""
    if case.work_id is None:
        return
    n_src = len(works[case.work_id])
    if not case.query_truth or not case.source_truth:
        raise AssertionError(f"no truth: {case.label}")
    for a, b in case.query_truth:
        if not 0 <= a < b <= len(case.query):
            raise AssertionError(f"bad query range {(a, b)}")
    for a, b in case.source_truth:
        if not 0 <= a < b <= n_src:
            raise AssertionError(f"bad source range {(a, b)}")
