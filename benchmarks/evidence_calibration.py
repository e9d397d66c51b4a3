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
number of (post, work) pairs with ``E <= t``, per post, should be the mean over the posts of
``min(t, Lambda)``: no E-value exceeds ``Lambda``, the works the model expects to share a seed
with the post at all, so a post with ``Lambda < t`` expects all of its ``Lambda`` there. A
threshold is measured when it expects at least `MIN_EVENTS` matches over the posts and is at
most the posts' median ``Lambda`` (beyond, most posts have no works left to count, and the
comparison measures ``kappa`` alone).

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
from typing import Any, NamedTuple

import numpy as np

import textprint as tp
from benchmarks import harness as H  # noqa: N812
from benchmarks.textgen import drop_overlapping
from textprint.registry import _candidates, _postings, _significance

#: Posts per language (--quick: a tenth): at least MIN_EVENTS / 0.001, so that E <= 0.001
#: expects 15-20 chance matches in every language (posts are cheap; registering is not).
N_POSTS = {"zh": 20000, "ja": 15000, "en": 15000}
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

    def lambdas(self, models: dict[str, _significance.ChanceModel] | None = None) -> np.ndarray:
        """Per post, Lambda: the works expected to share a seed with it by chance (the largest
        E-value it can give), under `models` (default: the shipped ones)."""
        models = {**_significance.MODELS, **(models or {})}
        kappa = np.array([models[m].kappa for m in self.model])
        out: np.ndarray = kappa * np.array(self.n_keys, np.float64) * self.total_tokens
        return out

    def evalues(self, models: dict[str, _significance.ChanceModel] | None = None) -> np.ndarray:
        """The E-values of every (post, work sharing a seed) pair, under `models` (default:
        the shipped ones): all posts of one model in one call."""
        if not self.n_posts:
            return np.zeros(0)
        models = {**_significance.MODELS, **(models or {})}
        sizes = [len(c) for c in self.c]
        c = np.concatenate(self.c)
        rarity = np.concatenate(self.rarity)
        lam = np.repeat(self.lambdas(models), sizes)
        which = np.repeat(np.array(self.model), sizes)
        out = np.empty(len(c))
        for m in sorted(set(self.model)):
            sel = which == m
            out[sel] = _significance.evalues(c[sel], rarity[sel], lam[sel], models[m])
        return out


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


class PostLookup(NamedTuple):
    """A text prepared as a check prepares it, and the lookup of its fingerprints."""

    query: Any
    prepared: Any
    look: _candidates.Lookup


def lookup(reg: tp.Registry, text: str) -> PostLookup:
    """Prepare `text` and look its fingerprints up, as a check does (inside a snapshot of the
    registry's database)."""
    (q,), _ = reg._prepare([text], align=True, sign=False)
    assert q.prepared is not None
    look = _candidates.find(
        lambda keys: reg._index.lookup(_postings.FP, keys), q.fp_hashes, reg._limit()
    )
    return PostLookup(q, q.prepared, look)


def post_levels(
    pl: PostLookup, sizes: _significance.RegistrySizes, gap: int
) -> tuple[np.ndarray, np.ndarray]:
    """The evidence (``c``, rarity) of every work sharing a seed with the looked-up text."""
    _, c, rarity = _candidates.levels(
        pl.look,
        pl.query.fp_starts,
        pl.query.fp_ends,
        q_token_starts=pl.prepared.tok_starts,
        sizes=sizes,
        segment_gap=gap,
    )
    return c, rarity


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
            post_look = lookup(reg, post)
            c, rarity = post_levels(post_look, sizes, gap)
            q = post_look.query
            out.model.append(_significance.model_of(post_look.prepared.cjk, q.doc_ja))
            out.n_keys.append(len(post_look.look.unique))
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


class Point(NamedTuple):
    """One threshold of a calibration curve."""

    t: float
    observed: float  # chance matches with E <= t, per post
    matches: int  # their number
    posts: int
    expected: float  # per post: the mean of min(t, Lambda)


def curve(e: np.ndarray, lambdas: np.ndarray) -> list[Point]:
    """The calibration curve of the E-values `e` of posts with these Lambdas."""
    n = len(lambdas)
    return [
        Point(
            t,
            float((e <= t).sum()) / n,
            int((e <= t).sum()),
            n,
            float(np.minimum(t, lambdas).mean()),
        )
        for t in THRESHOLDS
    ]


def is_measured(p: Point, top: float) -> bool:
    """Whether a threshold is measured: at least MIN_EVENTS matches expected over the posts,
    and at most `top` (the posts' median Lambda)."""
    return p.expected * p.posts >= MIN_EVENTS and p.t <= top


def worst_factor(points: Sequence[Point], top: float) -> float:
    """The largest factor between observed and expected over the measured thresholds."""
    worst = 1.0
    for p in points:
        if is_measured(p, top):
            ratio = p.observed / p.expected
            worst = max(worst, ratio, 1 / ratio) if ratio > 0 else math.inf
    return worst


def agreement(points: Sequence[Point], top: float) -> tuple[float, float]:
    """The widest run of measured thresholds over which observed and expected agree within a
    factor of 2 (nan, nan when none does)."""
    best = (math.nan, math.nan)
    start = None
    for p in points:
        if not is_measured(p, top):
            continue
        if p.observed > 0 and 0.5 <= p.observed / p.expected <= 2.0:
            start = p.t if start is None else start
            if math.isnan(best[0]) or p.t / start > best[1] / best[0]:
                best = (start, p.t)
        else:
            start = None
    return best


def kappa_of(lv: Levels) -> float:
    """Works sharing a seed per key of the post and token registered: `kappa`."""
    works = sum(len(c) for c in lv.c)
    return works / (sum(lv.n_keys) * lv.total_tokens)


#: The grid `fit` searches: the factor of each further key of most chance segments (rho), the
#: share of segments that grow more slowly (w; 0: one geometric tail), and their factor (sigma).
FIT_RHO = tuple(10.0**e for e in np.linspace(-3.0, -0.3, 28))
FIT_W = (0.0, *(10.0**e for e in np.linspace(-3.0, -0.5, 11)))
FIT_SIGMA = tuple(10.0**e for e in np.linspace(-2.0, -0.05, 27))


#: Fits within this factor of the best worst factor are as good (`fit`).
FIT_SLACK = 1.05
#: The segment size (keys) at which `fit` compares tails: a copy of ~100 characters.
TAIL_KEYS = 20


def fit(lv: Levels, model: str) -> tuple[_significance.ChanceModel, float]:
    """The constants of `model` on `lv` (the posts of one language), and the worst factor
    between observed and expected chance matches over the measured thresholds they give.

    ``kappa``: the works sharing a seed per key of the post and token registered; ``a``: the
    share of them whose strongest segment holds two keys or more (``g(2)``). Both are counts.
    ``(rho, w, sigma)``: a point of the grid (FIT_RHO x FIT_W x FIT_SIGMA, ``sigma > rho``)
    with a worst factor within FIT_SLACK of the smallest: of those, the one with the lightest
    tail (the smallest ``g(TAIL_KEYS)``). No chance segment of that many keys is observed, so
    the data do not decide the tail, and a heavier one than they ask for would only inflate
    the E-values of true copies. Only the works of two keys or more depend on these, so the
    works of one key are counted once.
    """
    kappa = kappa_of(lv)
    c = np.concatenate(lv.c)
    a = float((c >= 2).mean())
    base = _significance.ChanceModel(kappa, a, 0.1)
    lam = lv.lambdas({model: base})
    top = float(np.median(lam))
    e = lv.evalues({model: base})
    one = c <= 1
    fixed = [int((e[one] <= t).sum()) for t in THRESHOLDS]
    post = np.repeat(np.arange(lv.n_posts), [len(x) for x in lv.c])[~one]
    lam_more = lam[post]
    c_more = c[~one]
    rarity_more = np.concatenate(lv.rarity)[~one]
    expected = [float(np.minimum(t, lam).mean()) for t in THRESHOLDS]
    found: list[tuple[float, float, _significance.ChanceModel]] = []
    for w in FIT_W:
        for rho in FIT_RHO:
            for sigma in FIT_SIGMA if w > 0 else (0.0,):
                if w > 0 and sigma <= rho:
                    continue
                m = _significance.ChanceModel(kappa, a, rho, w, sigma)
                e_more = _significance.evalues(c_more, rarity_more, lam_more, m)
                points = [
                    Point(t, (f + int((e_more <= t).sum())) / lv.n_posts, 0, lv.n_posts, x)
                    for t, f, x in zip(THRESHOLDS, fixed, expected)
                ]
                tail = float(_significance._log_g(np.array([TAIL_KEYS]), m)[0])
                found.append((worst_factor(points, top), tail, m))
    least = min(f[0] for f in found)
    worst, _, m = min((f for f in found if f[0] <= least * FIT_SLACK), key=lambda f: f[1])
    return m, worst
