"""Cost of the separator rule in tp.normalize, same process, rule on and off (helper).

Run ``python -m benchmarks._separator_cost [MIN_MARKS]``: per-document ``tp.normalize`` over
each corpus slice of ``bench_normalize.py``'s table 1, timed with the rule and with the rule
replaced by a search that finds nothing (what normalization cost before it), interleaved, best
of 5.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a file: python benchmarks/_separator_cost.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import textprint as tp
import textprint._normbatch as N  # noqa: N812
from benchmarks import harness as C  # noqa: N812
from textprint._separators import find_separators


def _none(chars: np.ndarray, classes: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


def main() -> None:
    min_marks = int(sys.argv[1]) if len(sys.argv) > 1 else None
    rule = (
        find_separators
        if min_marks is None
        else functools.partial(find_separators, min_marks=min_marks)
    )
    rows = []
    for name, n_chars in (
        ("zh-classic-novels", None),
        ("zh-cmrc2018-wiki", 300_000),
        ("aozora-pd-ja", 300_000),
    ):
        C.require_corpora(name)
        texts = [t for _, t in C.load_texts(name)]
        if n_chars is not None:
            texts = C.take_chars(texts, n_chars)
        total = sum(len(t) for t in texts)

        def run(texts: list[str] = texts) -> None:
            for t in texts:
                tp.normalize(t)

        best = {"off": float("inf"), "on": float("inf")}
        for _ in range(5):
            for key, fn in (("off", _none), ("on", rule)):
                setattr(N, "find_separators", fn)  # noqa: B010 (the stage's own name)
                t, _ = C.cpu_time(run, repeat=1)
                best[key] = min(best[key], t)
        setattr(N, "find_separators", find_separators)  # noqa: B010
        rows.append(
            [
                name,
                len(texts),
                C.fmt_rate(total / best["off"]),
                C.fmt_rate(total / best["on"]),
                f"{best['on'] / best['off'] - 1:+.1%}",
            ]
        )
    print(C.table(["corpus", "docs", "rule off chars/s", "rule on chars/s", "cost"], rows))


if __name__ == "__main__":
    main()
