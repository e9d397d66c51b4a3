"""A stream of documents with near-duplicates, for the scale benchmarks (text generator).

Fresh positions take the real documents in order (the corpora cut by
`benchmarks.textgen.slices.cut_log_uniform`), then generated windows of the same length
distribution with 3-8% of their characters edited; each position after the first is, with
probability 5%, an edited copy (0-1%) of one of the previous 20,000 fresh documents. Edit
characters come from the corpus itself, so with its frequencies. Everything random comes from
``numpy.random.default_rng(1)``; the set of size n is the first n documents of one stream.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from .slices import MAX_LEN, MIN_LEN

DUP_RATE, DUP_MAX_EDIT, DUP_LOOKBACK = 0.05, 0.01, 20_000
GEN_MIN_EDIT, GEN_MAX_EDIT = 0.03, 0.08


def _codepoints(s: str) -> np.ndarray:
    return np.frombuffer(s.encode("utf-32-le"), dtype="<u4")


class Stream:
    """The document stream, made a batch at a time (vectorized: one decode per batch).

    Fresh positions take the real documents in order, then generated windows; each position
    after the first is, with probability DUP_RATE, an edited copy of one of the previous
    DUP_LOOKBACK fresh documents instead.
    """

    def __init__(self, text: str, real: list[str]) -> None:
        self.corpus = _codepoints(text)
        # edit characters come from the corpus, so with its frequencies
        self.pool = self.corpus[self.corpus != ord("\n")]
        self.real = real
        self.rng = np.random.default_rng(1)
        self.i_real = 0
        self.recent: list[str] = []
        self.counts = {"real": 0, "window": 0, "copy": 0, "chars": 0}

    def _edit(self, cp: np.ndarray, lengths: np.ndarray, rates: np.ndarray) -> list[str]:
        """Documents concatenated in `cp`: substitute, insert or delete each character with
        its document's rate (one third each); return the edited documents."""
        rng, pool = self.rng, self.pool
        n = len(lengths)
        doc = np.repeat(np.arange(n), lengths)
        pos = np.flatnonzero(rng.random(len(cp)) < rates[doc])
        ops = rng.integers(0, 3, len(pos))
        out = cp.copy()
        sub = pos[ops == 0]
        out[sub] = pool[rng.integers(0, len(pool), len(sub))]
        keep = np.ones(len(cp), dtype=bool)
        keep[pos[ops == 2]] = False
        ins = pos[ops == 1]
        out = np.insert(out, ins, pool[rng.integers(0, len(pool), len(ins))])
        keep = np.insert(keep, ins, True)
        doc = np.insert(doc, ins, doc[ins])
        out, doc = out[keep], doc[keep]
        bounds = np.concatenate([[0], np.cumsum(np.bincount(doc, minlength=n))]).tolist()
        s = out.astype("<u4").tobytes().decode("utf-32-le")
        return [s[a:b] for a, b in itertools.pairwise(bounds)]

    def batch(self, n: int) -> list[str]:
        rng = self.rng
        is_copy = rng.random(n) < DUP_RATE
        if not self.recent:
            is_copy[0] = False
        docs: list[str] = [""] * n
        fresh = np.flatnonzero(~is_copy)
        n_real = min(len(fresh), len(self.real) - self.i_real)
        for k, i in enumerate(fresh[:n_real].tolist()):
            docs[i] = self.real[self.i_real + k]
        self.i_real += n_real
        gen = fresh[n_real:]
        if len(gen):
            u = rng.uniform(math.log(MIN_LEN), math.log(MAX_LEN), len(gen))
            lengths = np.minimum(np.rint(np.exp(u)).astype(np.int64), len(self.corpus))
            starts = rng.integers(0, len(self.corpus) - lengths + 1)
            offsets = np.cumsum(lengths) - lengths
            idx = np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()))
            rates = rng.uniform(GEN_MIN_EDIT, GEN_MAX_EDIT, len(gen))
            for i, d in zip(gen.tolist(), self._edit(self.corpus[idx], lengths, rates)):
                docs[i] = d
        copies = np.flatnonzero(is_copy)
        if len(copies):
            sources = self.recent + [docs[i] for i in fresh.tolist()]
            avail = len(self.recent) + np.searchsorted(fresh, copies)
            pick = rng.integers(np.maximum(0, avail - DUP_LOOKBACK), avail)
            chosen = [sources[j] for j in pick.tolist()]
            lengths = np.array([len(d) for d in chosen], dtype=np.int64)
            rates = rng.uniform(0.0, DUP_MAX_EDIT, len(copies))
            edited = self._edit(_codepoints("".join(chosen)), lengths, rates)
            for i, d in zip(copies.tolist(), edited):
                docs[i] = d
        self.recent += [docs[i] for i in fresh.tolist()]
        del self.recent[: max(0, len(self.recent) - DUP_LOOKBACK)]
        self.counts["real"] += n_real
        self.counts["window"] += len(gen)
        self.counts["copy"] += len(copies)
        self.counts["chars"] += sum(len(d) for d in docs)
        return docs
