"""What the quality benchmarks share: PAN's measures, ranking measures, and their one page.

docs/benchmarks/quality.md has one part per quality benchmark (`PARTS`: PAN13, Clough &
Stevenson, the copy suites, article washing). Each script saves its results
(benchmarks/results/<part>.json); the page is written from every part's saved results, so
re-running one script rewrites its part and keeps the others as they were measured.
"""

from __future__ import annotations

import importlib
import json
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np

from benchmarks.harness import Page, Raw
from benchmarks.harness.page import duration
from benchmarks.harness.run import build_page

T = TypeVar("T")

#: The parts of the quality page, in page order: script module and section title.
PARTS = {
    "pan13": ("benchmarks.bench_pan13", "PAN 2013 text alignment (English, no obfuscation)"),
    "clough": ("benchmarks.bench_clough", "Clough & Stevenson: graded copies of short answers"),
    "copies": ("benchmarks.bench_copies", "Copies with evasions in Chinese, Japanese, English"),
    "washing": ("benchmarks.bench_washing", "Article washing (洗稿) checked through a Registry"),
}


def write_quality_page(json_dir: Path, folder: Path) -> None:
    """Write quality.md from every part's saved results found in `json_dir`."""
    parts: list[tuple[Page, dict[str, str], float]] = []
    for key, (module, title) in PARTS.items():
        path = json_dir / f"{key}.json"
        if not path.is_file():
            continue
        results = json.loads(path.read_text(encoding="utf-8"))
        mod = importlib.import_module(module)
        page = build_page(results, mod.render, getattr(mod, "plots", None), folder)
        page.title = title
        parts.append((page, results["_run"]["info"], results["_run"]["runtime"]))
    if not parts:
        return
    merged = Page(
        title="Benchmark: detection quality",
        command="python -m benchmarks.bench_<part> (pan13, clough, copies, washing)",
        summary=[line for page, _, _ in parts for line in page.summary],
    )
    protocol = []
    for page, _, runtime in parts:
        for t in page.tables:
            t.title = t.title or page.title
        merged.tables += page.tables
        merged.plots += page.plots
        protocol += [
            f"### {page.title}",
            "",
            page.protocol.strip(),
            "",
            f"Reproduce with `{page.command}` (this run took {duration(runtime)}).",
            "",
        ]
        merged.sections += [(f"{page.title}: {h}", body) for h, body in page.sections]
        merged.raw += [Raw(f"{page.title}: {r.summary}", r.text, r.markdown) for r in page.raw]
    merged.protocol = "\n".join(protocol)
    info = parts[-1][1]  # the machine of the most recent part
    text = merged.markdown(info).replace(
        f"Reproduce every figure on this page with `{merged.command}`.\n\n", ""
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "quality.md").write_text(text, encoding="utf-8")
    print(f"wrote {folder / 'quality.md'}")


# --------------------------------------------------------------------------------------------
# PAN's measures (Potthast, Stein, Barron-Cedeno, Rosso, COLING 2010)


@dataclass(frozen=True)
class Span:
    """One case or detection: a pair, and half-open ranges in the suspicious and source docs."""

    susp: str
    src: str
    t0: int
    t1: int
    s0: int
    s1: int

    @property
    def size(self) -> int:
        return (self.t1 - self.t0) + (self.s1 - self.s0)


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def detects(r: Span, s: Span) -> bool:
    """PAN: r detects s iff same pair and they overlap in both documents."""
    return (
        r.susp == s.susp
        and r.src == s.src
        and _overlap(r.t0, r.t1, s.t0, s.t1) > 0
        and _overlap(r.s0, r.s1, s.s0, s.s1) > 0
    )


def union_overlap(target: tuple[int, int], ranges: list[tuple[int, int]]) -> int:
    """|target & union(ranges)| in characters."""
    a, b = target
    if b <= a or not ranges:
        return 0
    mask = np.zeros(b - a, dtype=bool)
    for x, y in ranges:
        lo, hi = max(x, a), min(y, b)
        if hi > lo:
            mask[lo - a : hi - a] = True
    return int(mask.sum())


def covered(s: Span, dets: list[Span]) -> int:
    """Characters of case `s` (both documents) inside the detections `dets`."""
    return union_overlap((s.t0, s.t1), [(r.t0, r.t1) for r in dets]) + union_overlap(
        (s.s0, s.s1), [(r.s0, r.s1) for r in dets]
    )


def pan_measures(cases: list[Span], dets: list[Span]) -> dict[str, float]:
    """Macro and micro precision/recall, granularity and plagdet (Potthast et al. 2010)."""
    by_pair: dict[tuple[str, str], list[Span]] = defaultdict(list)
    for r in dets:
        by_pair[(r.susp, r.src)].append(r)
    cases_by_pair: dict[tuple[str, str], list[Span]] = defaultdict(list)
    for s in cases:
        cases_by_pair[(s.susp, s.src)].append(s)
    rec_sum, detected, gran_sum = 0.0, 0, 0
    for s in cases:
        d = [r for r in by_pair[(s.susp, s.src)] if detects(r, s)]
        if d:
            detected += 1
            gran_sum += len(d)
            rec_sum += covered(s, d) / s.size
    prec_sum = 0.0
    for r in dets:
        c = [s for s in cases_by_pair[(r.susp, r.src)] if detects(r, s)]
        if c and r.size:
            prec_sum += covered(r, c) / r.size
    rec = rec_sum / len(cases) if cases else 1.0
    prec = prec_sum / len(dets) if dets else (1.0 if not cases else 0.0)
    gran = gran_sum / detected if detected else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    # micro: characters keyed by (document, offset), pooled over all documents
    case_chars: dict[str, set[int]] = defaultdict(set)
    det_chars: dict[str, set[int]] = defaultdict(set)
    hit_chars: dict[str, set[int]] = defaultdict(set)
    for s in cases:
        case_chars["S:" + s.susp].update(range(s.t0, s.t1))
        case_chars["R:" + s.src].update(range(s.s0, s.s1))
    for r in dets:
        det_chars["S:" + r.susp].update(range(r.t0, r.t1))
        det_chars["R:" + r.src].update(range(r.s0, r.s1))
        for s in cases_by_pair[(r.susp, r.src)]:
            if detects(r, s):
                hit_chars["S:" + s.susp].update(range(max(r.t0, s.t0), min(r.t1, s.t1)))
                hit_chars["R:" + s.src].update(range(max(r.s0, s.s0), min(r.s1, s.s1)))
    n_case = sum(len(v) for v in case_chars.values())
    n_det = sum(len(v) for v in det_chars.values())
    n_hit = sum(len(v) for v in hit_chars.values())
    micro_r = n_hit / n_case if n_case else 1.0
    micro_p = n_hit / n_det if n_det else 0.0
    micro_f1 = 2 * micro_p * micro_r / (micro_p + micro_r) if micro_p + micro_r else 0.0
    return {
        "precision": prec,
        "recall": rec,
        "f1": f1,
        "granularity": gran,
        "plagdet": f1 / math.log2(1 + gran),
        "micro_precision": micro_p,
        "micro_recall": micro_r,
        "micro_f1": micro_f1,
        "plagdet_micro": micro_f1 / math.log2(1 + gran),
        "cases": float(len(cases)),
        "detections": float(len(dets)),
        "detected_cases": float(detected),
    }


# --------------------------------------------------------------------------------------------
# Ranking measures


def auc(pos: Sequence[float], neg: Sequence[float]) -> float:
    """Mann-Whitney AUC: P(pos > neg) + P(pos == neg) / 2, over all pairs."""
    p = np.asarray(pos, dtype=np.float64)
    n = np.sort(np.asarray(neg, dtype=np.float64))
    if not len(p) or not len(n):
        return float("nan")
    less = np.searchsorted(n, p, side="left")
    leq = np.searchsorted(n, p, side="right")
    return float((less.sum() + 0.5 * (leq - less).sum()) / (len(p) * len(n)))


class CharCounts(Protocol):
    """A scored query: characters found that are copied, found in all, and copied."""

    tp_chars: int
    pred_chars: int
    truth_chars: int


def char_f1(scores: Sequence[CharCounts]) -> tuple[float, float, float]:
    """Character precision, recall and F1 of the passages found, over all `scores` (micro)."""
    tpc = sum(s.tp_chars for s in scores)
    pred = sum(s.pred_chars for s in scores)
    truth = sum(s.truth_chars for s in scores)
    p = tpc / pred if pred else 0.0
    r = tpc / truth if truth else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def log_cases(
    log: Callable[[str], None], title: str, cases: Sequence[T], show: Callable[[T], None]
) -> None:
    """A blank line, `title`, then each of `cases` as `show` logs it (the worst cases of a run)."""
    log("")
    log(title)
    for case in cases:
        show(case)


def snippet(text: str, a: int, b: int, ctx: int = 40, cap: int = 110) -> str:
    """text[a:b] in [[...]], with `ctx` characters of context, its middle cut beyond `cap`."""
    mid = text[a:b]
    if len(mid) > cap:
        mid = mid[: cap // 2] + " [...] " + mid[-cap // 2 :]
    s = f"{text[max(0, a - ctx) : a]}[[{mid}]]{text[b : b + ctx]}"
    return s.replace("\n", "\\n")
