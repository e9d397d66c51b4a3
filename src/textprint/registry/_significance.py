"""Significance: the E-value of a hit, from the registry's own statistics.

The E-value of a work's evidence is the expected number of registered works that would share
evidence at least as strong with a text of this length by chance: the idea BLAST reports
(Karlin and Altschul 1990, ``E = K m n exp(-lambda S)``: a rate, the two lengths, and the chance
of a score). It is computed from what the lookup of the checked text already returned and a
summary of the registry's work sizes, so it costs a few array operations per check and no scan
of the index:

* **Seeds.** Every pair of a fingerprint of the text and a posting of the same key is a seed
  (common phrases are no seeds: the candidate stage drops them). A work holding a seed *shares
  a seed*.
* **Segments.** A work's seeds that lie on one diagonal (the work offset minus the text offset,
  in tokens, within ``DIAGONAL_TOKENS / 2``) and follow each other within ``window + 2 k`` tokens
  of the text form a segment: what a stretch of shared text leaves. The work's evidence is its
  strongest segment: ``c`` distinct keys, the rarest of them held by ``d`` works.
* **How many works share a seed by chance.** ``Lambda = kappa * n * T``: the text's distinct
  fingerprint keys ``n``, the tokens of all registered works ``T``, and a rate ``kappa`` per
  kind of text (`model_of`; the K of BLAST).
* **How a chance seed grows.** The strongest segment of a work sharing a seed by chance holds
  at least ``c`` keys with probability ``g(c)``: ``g(1) = 1`` and, for ``c >= 2``::

      g(c) = a * ((1 - w) * rho ** (c - 2) + w * sigma ** (c - 2))

  most chance segments stop quickly (``rho``); a share ``w`` of them, the stock phrases and
  set expressions two unrelated texts both write, goes on growing by ``sigma`` per key.
  ``w = 0`` is one geometric tail.
* **Rarity within a level.** Among works whose strongest segments hold the same number of
  keys, rarer keys are stronger evidence, and at equal rarity a smaller work is (a chance
  seed falls in a work in proportion to its size). ``F`` is the share of the works sharing a
  seed with the text whose rarest key is held by fewer works, plus the tied works' share times
  the registry's size-biased distribution of work sizes at this work's size (`RegistrySizes`).
  ``F`` ranks a single key; the rarest of a segment's ``c`` keys ranks as the least of ``c``
  draws, so the chance of a rarity at least this strong at level ``c`` is
  ``F_c = 1 - (1 - F) ** c`` (uniform between 0 and 1 under chance, as a p-value is).
* **The E-value**::

      E = Lambda * (g(c + 1) + (g(c) - g(c + 1)) * F_c)

  the works expected at a higher level, plus those expected at this level and at least this
  rare. No E-value exceeds ``Lambda``; a single shared fingerprint is never significant (``E``
  is of the order of ``Lambda``); for a copied passage of ``L`` tokens, ``c`` is about
  ``2 (L - k + 1) / (window + 1)`` and ``E`` falls geometrically with ``L``.

``kappa`` and ``a`` (counts: the works sharing a seed per key and token, the share of them
with two keys or more) and ``rho``, ``w``, ``sigma`` (`MODELS`) are measured on unrelated
texts of the corpora for Chinese, Japanese and texts of words, and the E-values they give are
checked against the chance matches observed on other texts (benchmarks/bench_evidence.py
``--fit``, benchmarks/evidence_calibration.py, docs/benchmarks/evidence.md). A text longer
than a check segment (`_long`) combines its segments' E-values by a Bonferroni bound (the
smallest times the number of segments).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from .._typing import Int64Array

Float64Array = npt.NDArray[np.float64]


class ChanceModel(NamedTuple):
    """The constants of the chance model of one kind of text (see the module docstring)."""

    kappa: float  # works sharing a seed by chance, per key of the text and token registered
    a: float  # probability that a chance seed grows into a segment of two keys
    rho: float  # the factor of each further key, for most such segments
    w: float = 0.0  # the share of two-key segments that go on growing by sigma (stock phrases)
    sigma: float = 0.0  # the factor of each further key for those


#: The chance models per kind of text (`model_of`), measured by benchmarks/bench_evidence.py
#: (``--fit``) on unrelated texts of the corpora (docs/benchmarks/evidence.md).
MODELS: dict[str, ChanceModel] = {
    "zh": ChanceModel(kappa=1.54e-8, a=0.0463, rho=0.251),
    "ja": ChanceModel(kappa=4.41e-7, a=0.0169, rho=0.00501, w=0.178, sigma=0.112),
    "words": ChanceModel(kappa=1.91e-8, a=0.0111, rho=0.0631, w=0.316, sigma=0.0668),
}


def model_of(cjk: bool, ja: bool) -> str:
    """The chance model of a text: ``"ja"`` for Japanese (kana decide, as for normalization),
    ``"zh"`` for other texts of CJK character tokens, ``"words"`` for word tokens."""
    if not cjk:
        return "words"
    return "ja" if ja else "zh"


#: Width, in tokens, of the diagonal band a segment's seeds share (two staggered bandings are
#: used, so that two seeds closer than half of it always share a band).
DIAGONAL_TOKENS = 8


def segment_gap(window: int, k: int) -> int:
    """Tokens of the text at most between two seeds of one segment: inside a copy, winnowing
    selects a fingerprint in every window of `window` shingles, and an edit moves it by at most
    ``2 k`` tokens (as for the regions of `_candidates`)."""
    return window + 2 * k


def _segments(
    w_idx: Int64Array, band: Int64Array, q_token: Int64Array, key: Int64Array, gap: int
) -> tuple[Int64Array, Int64Array, Int64Array]:
    """Segments of one banding: per seed its segment, and per segment its work and its
    distinct keys."""
    order = np.lexsort((q_token, band, w_idx))
    w, b, q = w_idx[order], band[order], q_token[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (w[1:] != w[:-1]) | (b[1:] != b[:-1]) | (q[1:] - q[:-1] > gap)
    seg_sorted = np.cumsum(new) - 1
    seg = np.empty_like(seg_sorted)
    seg[order] = seg_sorted
    n_seg = int(seg_sorted[-1]) + 1
    seg_work = w[new]
    # distinct keys per segment
    o2 = np.lexsort((key, seg))
    s2, k2 = seg[o2], key[o2]
    first = np.ones(len(o2), dtype=bool)
    first[1:] = (s2[1:] != s2[:-1]) | (k2[1:] != k2[:-1])
    n_keys = np.bincount(s2[first], minlength=n_seg).astype(np.int64)
    return seg, seg_work, n_keys


def strongest_segments(
    w_idx: Int64Array,
    q_token: Int64Array,
    w_token: Float64Array,
    key: Int64Array,
    df: Int64Array,
    n_works: int,
    gap: int,
) -> tuple[Int64Array, Int64Array]:
    """Per work ``0..n_works-1``: the distinct keys of its strongest segment and the fewest
    works holding one of them (most keys first, then the rarest).

    Seeds: `w_idx` (the work), `q_token` (the text token the fingerprint starts at), `w_token`
    (where it starts in the work, in tokens), `key` (index into `df`: works holding each key).
    """
    c = np.zeros(n_works, np.int64)
    d = np.full(n_works, np.iinfo(np.int64).max, np.int64)
    if not len(w_idx):
        return c, d
    seed_df = df[key]
    # a work holding one seed (most of them: a phrase shared by chance) has one segment of
    # one key; only the others are cut into segments
    alone = np.bincount(w_idx, minlength=n_works)[w_idx] == 1
    c[w_idx[alone]] = 1
    d[w_idx[alone]] = seed_df[alone]
    rest = ~alone
    if not rest.any():
        return c, d
    w_idx, q_token, w_token, key, seed_df = (
        w_idx[rest],
        q_token[rest],
        w_token[rest],
        key[rest],
        seed_df[rest],
    )
    diagonal = w_token - q_token
    for offset in (0.0, 0.5):
        band = np.floor(diagonal / DIAGONAL_TOKENS + offset).astype(np.int64)
        seg, seg_work, n_keys = _segments(w_idx, band, q_token, key, gap)
        seg_df = np.full(len(seg_work), np.iinfo(np.int64).max, np.int64)
        np.minimum.at(seg_df, seg, seed_df)
        # per work, the segment with most keys, then the rarest key: a lexicographic maximum
        best = np.lexsort((seg_df, -n_keys, seg_work))
        bw = seg_work[best]
        first = np.ones(len(best), dtype=bool)
        first[1:] = bw[1:] != bw[:-1]
        sel = best[first]
        w = seg_work[sel]
        better = (n_keys[sel] > c[w]) | ((n_keys[sel] == c[w]) & (seg_df[sel] < d[w]))
        c[w[better]] = n_keys[sel][better]
        d[w[better]] = seg_df[sel][better]
    return c, d


def _log_g(c: Int64Array, model: ChanceModel) -> Float64Array:
    """ln g(c): 0 for c <= 1; from c = 2, ln a + ln((1 - w) rho ** (c - 2) + w sigma ** (c - 2))."""
    n = (np.maximum(c, 2) - 2).astype(np.float64)
    tail = n * math.log(model.rho)
    if model.w > 0:
        tail = np.logaddexp(
            math.log1p(-model.w) + tail, math.log(model.w) + n * math.log(model.sigma)
        )
    out: Float64Array = np.where(c <= 1, 0.0, math.log(model.a) + tail).astype(np.float64)
    return out


def evalues(
    c: Int64Array, rarity: Float64Array, expected: float | Float64Array, model: ChanceModel
) -> Float64Array:
    """``E = Lambda (g(c + 1) + (g(c) - g(c + 1)) F_c)`` per work (the module docstring), with
    ``Lambda = expected`` (`expected_sharing`: one for all, or one per work) and
    ``F_c = 1 - (1 - F) ** c`` of ``F = rarity``; computed in logarithms, so that a long
    copy's E-value underflows to 0.0 gracefully."""
    c = np.maximum(c, 1)
    log_gc = _log_g(c, model)
    step = np.exp(_log_g(c + 1, model) - log_gc)  # g(c + 1) / g(c)
    # the rarest of c keys: the least of c ranks (-expm1 keeps c F for a tiny F)
    with np.errstate(divide="ignore"):
        rarity_c = -np.expm1(c * np.log1p(-np.clip(rarity, 0.0, 1.0)))
    inner = step + (1.0 - step) * rarity_c
    with np.errstate(divide="ignore"):
        log_lambda = (
            math.log(max(expected, 1e-300))
            if isinstance(expected, float)
            else np.log(np.maximum(expected, 1e-300))
        )
        out: Float64Array = np.exp(log_gc + np.log(inner) + log_lambda)
    return out


def expected_sharing(n_keys: int, sizes: RegistrySizes, model: ChanceModel) -> float:
    """Lambda: the works expected to share a seed by chance with a text of `n_keys` distinct
    fingerprint keys."""
    return model.kappa * n_keys * sizes.total_tokens


#: Work sizes (tokens) are summarized in bins growing by a factor SIZE_STEP from 1 token.
SIZE_STEP = 2**0.25
_N_BINS = 96  # up to 2**24 tokens


class RegistrySizes(NamedTuple):
    """The registry's works, as far as chance sees them: their tokens in all and the tokens
    of the works in each size bin (bin ``i`` holds sizes in ``[SIZE_STEP**i,
    SIZE_STEP**(i+1))``)."""

    total_tokens: int
    mass: tuple[float, ...]

    @classmethod
    def of(cls, tokens: Int64Array) -> RegistrySizes:
        """The summary of works of these sizes."""
        t = np.maximum(np.asarray(tokens, np.int64), 1)
        b = _bin_of(t)
        mass = np.bincount(b, weights=t.astype(np.float64), minlength=_N_BINS)
        return cls(int(t.sum()), tuple(float(x) for x in mass))

    @classmethod
    def combine(cls, parts: Iterable[RegistrySizes]) -> RegistrySizes:
        total = 0
        mass = np.zeros(_N_BINS)
        for p in parts:
            total += p.total_tokens
            mass += np.asarray(p.mass)
        return cls(total, tuple(float(x) for x in mass))

    def cdf(self, tokens: Int64Array) -> Float64Array:
        """The size-biased distribution at these sizes: the share of the registry's tokens in
        works at most this large (interpolated inside a bin, in log size)."""
        t = np.maximum(np.asarray(tokens, np.float64), 1.0)
        mass, below, total = _cumulative(self.mass)
        if total <= 0:
            return np.ones(len(t))
        b = _bin_of(t)
        frac = np.clip(np.log(t) / math.log(SIZE_STEP) - b, 0.0, 1.0)
        out: Float64Array = (below[b] + mass[b] * frac) / total
        return out


@functools.lru_cache(maxsize=16)
def _cumulative(mass: tuple[float, ...]) -> tuple[Float64Array, Float64Array, float]:
    """The mass per bin as an array, the mass below each bin edge, and the total: made once
    per registry state, not once per check."""
    m = np.asarray(mass)
    below: Float64Array = np.concatenate([[0.0], np.cumsum(m)])
    return m, below, float(m.sum())


def _bin_of(tokens: npt.NDArray[np.generic]) -> Int64Array:
    out: Int64Array = np.clip(
        np.floor(np.log(np.asarray(tokens, np.float64)) / math.log(SIZE_STEP)), 0, _N_BINS - 1
    ).astype(np.int64)
    return out


def work_levels(
    w_idx: Int64Array,
    q_token: Int64Array,
    w_start: Int64Array,
    key: Int64Array,
    df: Int64Array,
    w_chars: Int64Array,
    w_tokens: Int64Array,
    sizes: RegistrySizes,
    *,
    gap: int,
) -> tuple[Int64Array, Float64Array]:
    """The evidence of every work sharing a seed: the keys of its strongest segment ``c`` and
    its rarity ``F`` (the arguments of `evalues`)."""
    n_works = len(w_chars)
    if n_works == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    per_token = np.maximum(1.0, w_chars / np.maximum(w_tokens, 1))
    w_token = w_start / per_token[w_idx]
    c, d = strongest_segments(w_idx, q_token, w_token, key, df, n_works, gap)
    ds = np.sort(d)
    less = np.searchsorted(ds, d, side="left")
    tied = np.searchsorted(ds, d, side="right") - less
    return c, (less + tied * sizes.cdf(w_tokens)) / n_works
