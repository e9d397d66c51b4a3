"""Documents cut from the corpora for the speed benchmarks (text generator).

The speed benchmarks time the same kinds of documents: the corpora joined and cut into
consecutive documents of 300-3,000 characters, lengths log-uniform (``poetry-cut`` when cut
from zh-chinese-poetry); windows of those lengths drawn at random, as a stream of a chosen
size; windows with 0-4% of their characters substituted, inserted or deleted. Everything random
comes from a seeded ``random.Random``, so every run cuts the same documents.
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Iterator

from benchmarks.harness import iter_docs, load_texts

MIN_LEN, MAX_LEN = 300, 3000


def joined(*corpora: str) -> str:
    """The texts of `corpora`, in file order, joined with newlines."""
    return "\n".join(str(r["text"]) for name in corpora for r in iter_docs(name))


def log_uniform_length(rng: random.Random, lo: int = MIN_LEN, hi: int = MAX_LEN) -> int:
    """A length in [lo, hi], log-uniform."""
    return round(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def cut_log_uniform(text: str, *, seed: int = 0, lo: int = MIN_LEN, hi: int = MAX_LEN) -> list[str]:
    """Consecutive documents of log-uniform lengths in [lo, hi] (the last one may be shorter):
    every character of `text` in exactly one document."""
    rng = random.Random(seed)
    docs: list[str] = []
    pos = 0
    while pos < len(text):
        n = log_uniform_length(rng, lo, hi)
        docs.append(text[pos : pos + n])
        pos += n
    return docs


def speed_corpora(*, quick: bool, seed: int = 0) -> dict[str, list[str]]:
    """The two corpora of the signature speed pages: ``poetry-cut`` (zh-chinese-poetry joined
    and cut log-uniform with `seed`) and ``novels`` (the chapters of zh-classic-novels); with
    `quick`, the first 150 cut documents and every 20th chapter."""
    poetry = cut_log_uniform(joined("zh-chinese-poetry"), seed=seed)
    novels = [t for _, t in load_texts("zh-classic-novels")]
    if quick:
        poetry, novels = poetry[:150], novels[::20]
    return {"poetry-cut": poetry, "novels": novels}


def describe(corpora: dict[str, list[str]]) -> str:
    """One line per corpus of `corpora` (name -> documents): count, characters, length spread."""
    lines = []
    for name, docs in corpora.items():
        lens = sorted(map(len, docs)) or [0]
        lines.append(
            f"corpus {name}: {len(docs)} documents, {sum(lens):,} characters "
            f"(min {lens[0]}, median {lens[len(lens) // 2]}, max {lens[-1]})"
        )
    return "\n".join(lines)


def windows(src: str, n_bytes: int, stats: dict[str, int], seed: int = 0) -> Iterator[str]:
    """Yield windows of `src` (log-uniform lengths, uniform starts) until `n_bytes` bytes of
    UTF-8 have been produced; counts documents, characters, UTF-8 bytes and the bytes the
    documents take as Python strings into `stats`."""
    rng = random.Random(seed)
    while stats["utf8_bytes"] < n_bytes:
        n = log_uniform_length(rng)
        start = rng.randrange(0, len(src) - n)
        doc = src[start : start + n]
        stats["docs"] += 1
        stats["chars"] += len(doc)
        stats["utf8_bytes"] += len(doc.encode("utf-8"))
        stats["str_bytes"] += sys.getsizeof(doc)
        yield doc


def edited_windows(
    chapters: list[str], n: int, *, max_edit_rate: float = 0.04, seed: int = 1
) -> list[str]:
    """`n` windows of `chapters` (chosen in proportion to their length) with 0 to
    `max_edit_rate` of their characters substituted, inserted or deleted (one third each),
    the new characters drawn from the first 40 chapters' letters and Han."""
    rng = random.Random(seed)
    weights = [len(c) for c in chapters]
    vocab = sorted({ch for c in chapters[:40] for ch in c if ch.isalnum()})
    out: list[str] = []
    for _ in range(n):
        text = rng.choices(chapters, weights=weights)[0]
        length = min(log_uniform_length(rng), len(text))
        start = rng.randrange(len(text) - length + 1)
        w = text[start : start + length]
        m = int(len(w) * rng.uniform(0, max_edit_rate))
        if m:
            parts: list[str] = []
            last = 0
            for p in sorted(rng.sample(range(len(w)), m)):
                parts.append(w[last:p])
                op = rng.randrange(3)
                if op == 0:  # substitute
                    parts.append(rng.choice(vocab))
                    last = p + 1
                elif op == 1:  # insert
                    parts.append(rng.choice(vocab))
                    last = p
                else:  # delete
                    last = p + 1
            parts.append(w[last:])
            w = "".join(parts)
        out.append(w)
    return out
