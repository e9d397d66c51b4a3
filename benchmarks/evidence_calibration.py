"""E-value calibration on unrelated texts (the protocol of `bench_evidence`, part 2).

For each language, the documents of its corpora are split at random into two halves, keeping
editions and parts of one work together: works are registered from one half, posts are cut
from the other, so a post copies nothing (what it shares with a work is there by chance:
names, stock phrases, quotations both happen to make).

- zh: zh-classic-novels chapters and zh-cmrc2018-wiki passages (works: windows of 1,000-4,000
  characters, or the whole passage), and zh-chinese-poetry poems (works: single poems);
  posts: windows of 300-3,000 characters of the other half (poems: several in a row).
- ja: aozora-pd-ja (editions of one work together) and ja-jglue articles.
- en: en-gutenberg books (grouped by ebook).

Every work sharing a fingerprint with a post gets the E-value a check gives its candidates
(`_candidates.levels`, `_significance.evalues`). Calibration: for each threshold ``t``, the
number of (post, work) pairs with ``E <= t``, per post, should be ``t``.

``bench_evidence --fit`` measures the constants of the chance models on the *fit* split (another
seed: other works and posts) and prints them; the page reports the shipped constants on the
*test* split.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import textprint as tp
from benchmarks import harness as H  # noqa: N812
from benchmarks.textgen import drop_overlapping
from textprint.registry import _candidates, _postings, _significance

#: Posts per language (--quick: a tenth). Chance matches are rare in Chinese and rarer in
#: English: the smallest E-values measured need many posts.
N_POSTS = {"zh": 15000, "ja": 3000, "en": 8000}
#: Works registered per language at most (--quick: a tenth).
MAX_WORKS = 6000
#: Post lengths (characters), drawn log-uniformly: English posts are longer (a 2,000-word
#: article), which gives them chance matches enough to measure.
POST_LENGTHS = {"zh": (300, 3000), "ja": (300, 3000), "en": (1000, 8000)}
WORK_MIN, WORK_MAX = 1000, 4000
#: Poems registered as works (zh).
N_POEMS = 3000
#: Thresholds t of the calibration table (decades and half-decades).
THRESHOLDS = tuple(10.0**e for e in np.arange(-3.0, 2.01, 0.5))
#: A threshold is measured when it expects at least this many chance matches over the posts.
MIN_EVENTS = 10


@dataclass
class Levels:
    """Per post: the evidence of the works sharing a seed with it (`_candidates.levels`), and
    what its expected chance sharing depends on (its distinct keys, the registry's sizes)."""

    model: list[str] = field(default_factory=list)
    n_keys: list[int] = field(default_factory=list)
    c: list[np.ndarray] = field(default_factory=list)
    rarity: list[np.ndarray] = field(default_factory=list)
    total_tokens: int = 0

    @property
    def n_posts(self) -> int:
        return len(self.model)

    def evalues(self, models: dict[str, _significance.ChanceModel] | None = None) -> np.ndarray:
        """The E-values of every (post, work sharing a seed) pair, under `models` (default:
        the shipped ones)."""
        models = {**_significance.MODELS, **(models or {})}
        out = [
            _significance.evalues(c, r, models[m].kappa * n * self.total_tokens, models[m])
            for m, n, c, r in zip(self.model, self.n_keys, self.c, self.rarity)
        ]
        return np.concatenate(out) if out else np.zeros(0)


def _windows(rng: random.Random, text: str, lo: int, hi: int) -> list[str]:
    """Consecutive windows of `lo`-`hi` characters covering `text` (a shorter text whole)."""
    out = []
    a = 0
    while a < len(text):
        n = rng.randint(lo, hi)
        out.append(text[a : a + n])
        a += n
    return [w for w in out if len(w) >= lo // 2] or [text]


def _distinct(groups: dict[str, list[str]], lang: str) -> dict[str, list[str]]:
    """`groups` without the documents sharing more than 5 % of their runs with an earlier one
    (`copygen.drop_overlapping`): a poem in two anthologies, two translations of one tale
    would be copies, not chance."""
    keys = sorted(groups)
    flat = [(k, t) for k in keys for t in groups[k]]
    keep = drop_overlapping([t for _, t in flat], lang)
    out: dict[str, list[str]] = defaultdict(list)
    for (k, t), ok in zip(flat, keep):
        if ok:
            out[k].append(t)
    return out


def _halves(rng: random.Random, groups: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    keys = sorted(groups)
    rng.shuffle(keys)
    half = len(keys) // 2
    a = [t for k in keys[:half] for t in groups[k]]
    b = [t for k in keys[half:] for t in groups[k]]
    return a, b


def _post(rng: random.Random, docs: Sequence[str], lo: int, hi: int) -> str:
    length = round(math.exp(rng.uniform(math.log(lo), math.log(hi))))
    for _ in range(20):
        d = docs[rng.randrange(len(docs))]
        if len(d) >= lo // 2:
            start = rng.randrange(max(1, len(d) - length + 1))
            return d[start : start + length]
    return docs[0][:length]


def material(lang: str, seed: int, quick: bool) -> tuple[list[str], list[str]]:
    """(works, posts) of one language for one split seed."""
    rng = random.Random(seed * 7 + {"zh": 0, "ja": 1, "en": 2}[lang])
    n_posts = N_POSTS[lang] // (10 if quick else 1)
    max_works = MAX_WORKS // (10 if quick else 1)
    works: list[str] = []
    post_docs: list[str] = []
    if lang == "zh":
        groups: dict[str, list[str]] = defaultdict(list)
        for r in H.iter_docs("zh-classic-novels"):
            groups[str(r["id"])].append(str(r["text"]))
        for r in H.iter_docs("zh-cmrc2018-wiki"):
            groups[str(r["id"])].append(str(r["text"]))
        poems = [str(r["text"]) for r in H.iter_docs("zh-chinese-poetry")]
        rng.shuffle(poems)
        n = N_POEMS // (10 if quick else 1)
        for i, poem in enumerate(poems[: n + 4000]):
            groups[f"poem:{i:05d}"].append(poem)
        groups = _distinct(groups, lang)
        poems = [groups.pop(k)[0] for k in sorted(groups) if k.startswith("poem:")]
        w_docs, post_docs = _halves(rng, groups)
        for d in w_docs:
            works += _windows(rng, d, WORK_MIN, WORK_MAX)
        works += poems[:n]
        # posts of poems: several poems of the other half in a row
        rest = poems[n:]
        post_docs += ["\n".join(rest[i : i + 12]) for i in range(0, min(len(rest), 4000), 12)]
    elif lang == "ja":
        groups = defaultdict(list)
        for r in H.iter_docs("aozora-pd-ja"):
            groups[f"{r['person_id']}:{r['title']}"].append(str(r["text"]))
        for r in H.iter_docs("ja-jglue"):
            groups[str(r["id"])].append(str(r["text"]))
        w_docs, post_docs = _halves(rng, _distinct(groups, lang))
        for d in w_docs:
            works += _windows(rng, d, WORK_MIN, WORK_MAX)
    else:
        groups = defaultdict(list)
        for r in H.iter_docs("en-gutenberg"):
            groups[str(r["ebook"])].append(str(r["text"]))
        w_docs, post_docs = _halves(rng, _distinct(groups, lang))
        for d in w_docs:
            works += _windows(rng, d, WORK_MIN, WORK_MAX)
    if len(works) > max_works:
        works = rng.sample(works, max_works)
    posts = [_post(rng, post_docs, *POST_LENGTHS[lang]) for _ in range(n_posts)]
    return works, posts


def levels(works: Sequence[str], posts: Sequence[str]) -> tuple[Levels, dict[str, Any]]:
    """Register `works`, then the evidence level of every work sharing a fingerprint with each
    post (as a check computes them for its candidates); posts with a hit under the default rule
    are left out (``info["copying"]``)."""
    reg = tp.Registry()
    reg.register_many([(i, t) for i, t in enumerate(works)], too_short="skip")
    reg.check("")  # adopts the index
    gap = _significance.segment_gap(reg.window, reg.k)
    sizes = reg._work_sizes()
    out = Levels(total_tokens=sizes.total_tokens)
    # a post the default rule finds a copy in (a poem a novel quotes) is left out: what it
    # shares is not chance
    copying = [bool(h) for h in reg.check_many(posts)]
    with reg._db.snapshot():
        for post, skip in zip(posts, copying):
            if skip:
                continue
            (q,), _ = reg._prepare([post], align=True, sign=False)
            p = q.prepared
            assert p is not None
            look = _candidates.find(
                lambda keys: reg._index.lookup(_postings.FP, keys), q.fp_hashes, reg._limit()
            )
            _, c, rarity = _candidates.levels(
                look,
                q.fp_starts,
                q.fp_ends,
                q_token_starts=p.tok_starts,
                sizes=sizes,
                segment_gap=gap,
            )
            out.model.append(_significance.model_of(p.cjk, q.doc_ja))
            out.n_keys.append(len(look.unique))
            out.c.append(c)
            out.rarity.append(rarity)
    info = {
        "works": len(works),
        "work_chars": sum(len(w) for w in works),
        "posts": len(posts),
        "post_chars": sum(len(p) for p in posts),
        "copying": sum(copying),
    }
    reg.close()
    return out, info


def observed(e: np.ndarray, n_posts: int) -> list[tuple[float, float, int]]:
    """(t, chance matches with E <= t per post, their number) for each threshold."""
    return [(t, float((e <= t).sum()) / n_posts, int((e <= t).sum())) for t in THRESHOLDS]


def measured(n_posts: int) -> list[float]:
    """The thresholds measured: expecting at least MIN_EVENTS matches over the posts."""
    return [t for t in THRESHOLDS if t * n_posts >= MIN_EVENTS]


def worst_factor(
    lv: Levels, models: dict[str, _significance.ChanceModel] | None, t_max: float
) -> float:
    """The largest factor between observed and expected over the measured thresholds up to
    `t_max`."""
    e = lv.evalues(models)
    worst = 1.0
    for t, per_post, _ in observed(e, lv.n_posts):
        if t > t_max or t * lv.n_posts < MIN_EVENTS:
            continue
        ratio = per_post / t
        worst = max(worst, ratio, 1 / ratio) if ratio > 0 else math.inf
    return worst


def expected_per_post(lv: Levels, model: str) -> float:
    """Works sharing a seed, per post per key of the post and token registered: `kappa`."""
    works = sum(len(c) for c in lv.c)
    return works / (sum(lv.n_keys) * lv.total_tokens)


def fit(lv: Levels, model: str) -> tuple[_significance.ChanceModel, float]:
    """The constants of `model` on `lv` (the posts of one language): ``kappa`` from the works
    sharing a seed per key and token, then ``(a, rho)`` minimizing the worst factor between
    observed and expected chance matches, up to a third of the mean expected sharing (beyond,
    posts run out of works to count); and that factor."""
    kappa = expected_per_post(lv, model)
    t_max = kappa * float(np.mean(lv.n_keys)) * lv.total_tokens / 3
    best = (_significance.MODELS[model], math.inf)
    for a in 10.0 ** np.linspace(-2.5, -0.7, 37):
        for rho in 10.0 ** np.linspace(-2.5, -0.3, 45):
            m = _significance.ChanceModel(kappa, float(a), float(rho))
            w = worst_factor(lv, {model: m}, t_max)
            if w < best[1]:
                best = (m, w)
    return best
