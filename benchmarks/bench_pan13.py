"""Benchmark: passage detection on PAN 2013 text alignment (no obfuscation), PAN's measures.

Protocol:

- Corpus: ``pan13-ta-noobf``, the 500 labelled pairs of ``pairs_02_no_obfuscation`` (suspicious
  document, source document) and their cases from ``truth_realigned.jsonl`` (offsets re-found in
  this ASCII-only copy of the corpus, see its SOURCE.txt). Only realigned cases with
  ``coverage >= 0.9`` are scored; a pair holding a case below that is dropped whole (a correct
  detection of an unscored case would otherwise count as a false positive). Files are read with
  ``newline=""`` so offsets are those of the files.
- Detector: ``tp.compare(susp_text, src_text)`` with default settings; every passage is a
  detection ``(this_offset, this_length, source_offset, source_length)``.
- Measures exactly as Potthast, Stein, Barron-Cedeno, Rosso, "An Evaluation Framework for
  Plagiarism Detection" (COLING 2010), see :mod:`benchmarks.quality`; micro precision and recall
  (characters pooled over all documents), the boundary error of detected cases (absolute offset
  difference at both ends in both documents, using the span of the detections of the case), and
  the CPU time of the ``compare`` calls.

    python -m benchmarks.bench_pan13            # full run: its part of docs/benchmarks/quality.md
    python -m benchmarks.bench_pan13 --quick    # 60 pairs, prints only
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as a file

import textprint as tp
from benchmarks import harness as H  # noqa: N812
from benchmarks.quality import Span, covered, detects, pan_measures, snippet, write_quality_page

PAN = H.CORPORA / "pan13-ta-noobf"
MIN_COVERAGE = 0.9
QUICK_PAIRS = 60
ENDS = ["suspicious start", "suspicious end", "source start", "source end"]


def load_pairs(limit: int | None) -> tuple[list[tuple[str, str]], list[Span], int, int]:
    """Labelled pairs, their scored cases, and how many pairs/cases were dropped."""
    pairs = [
        (line.split()[0], line.split()[1])
        for line in (PAN / "pairs_02_no_obfuscation").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    truth: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    with (PAN / "truth_realigned.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                truth[(rec["suspicious"], rec["source"])].append(rec)
    kept: list[tuple[str, str]] = []
    cases: list[Span] = []
    dropped_pairs = dropped_cases = 0
    for susp, src in pairs:
        recs = truth.get((susp, src), [])
        if any(float(r["coverage"]) < MIN_COVERAGE for r in recs):
            dropped_pairs += 1
            dropped_cases += len(recs)
            continue
        kept.append((susp, src))
        for r in recs:
            t0, s0 = int(r["this_offset"]), int(r["source_offset"])
            cases.append(
                Span(susp, src, t0, t0 + int(r["this_length"]), s0, s0 + int(r["source_length"]))
            )
    if limit is not None:
        kept = kept[:limit]
        keep = set(kept)
        cases = [c for c in cases if (c.susp, c.src) in keep]
    return kept, cases, dropped_pairs, dropped_cases


def read(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as f:
        return f.read()


def measure(args: argparse.Namespace, log: H.Log) -> dict[str, Any]:
    if not (PAN / "truth_realigned.jsonl").is_file():
        H.require_corpora(folders=["pan13-ta-noobf"])
    pairs, cases, dropped_pairs, dropped_cases = load_pairs(QUICK_PAIRS if args.quick else None)
    log(f"PAN13 text alignment, no obfuscation: {len(pairs)} pairs, {len(cases)} cases scored")
    log(
        f"(dropped {dropped_pairs} pairs holding {dropped_cases} cases because one of their "
        f"cases has realignment coverage < {MIN_COVERAGE})"
    )
    docs: dict[str, str] = {}
    for susp, src in pairs:
        docs.setdefault("S:" + susp, read(PAN / "susp" / susp))
        docs.setdefault("R:" + src, read(PAN / "src" / src))
    tp.compare("warm up the tables", "warm up the tables")
    dets: list[Span] = []
    cpu = 0.0
    n_chars = 0
    for susp, src in pairs:
        query, source = docs["S:" + susp], docs["R:" + src]
        t0 = time.process_time()
        c = tp.compare(query, source)
        cpu += time.process_time() - t0
        n_chars += len(query) + len(source)
        dets += [Span(susp, src, *p) for p in c.passages]
    m = pan_measures(cases, dets)
    log(
        f"plagdet {m['plagdet']:.3f}, precision {m['precision']:.3f}, recall {m['recall']:.3f}, "
        f"granularity {m['granularity']:.3f}; cases {int(m['cases'])}, detected "
        f"{int(m['detected_cases'])}, detections {int(m['detections'])}"
    )
    det_by_pair: dict[tuple[str, str], list[Span]] = defaultdict(list)
    for r in dets:
        det_by_pair[(r.susp, r.src)].append(r)
    errors: list[list[int]] = []
    recalls: list[float] = []
    per_case: list[tuple[Span, list[Span], float]] = []
    for s in cases:
        d = [r for r in det_by_pair[(s.susp, s.src)] if detects(r, s)]
        if d:
            errors.append(
                [
                    abs(min(r.t0 for r in d) - s.t0),
                    abs(max(r.t1 for r in d) - s.t1),
                    abs(min(r.s0 for r in d) - s.s0),
                    abs(max(r.s1 for r in d) - s.s1),
                ]
            )
        recalls.append(covered(s, d) / s.size if d else 0.0)
        per_case.append((s, d, recalls[-1]))
    log(
        f"runtime: {cpu:.2f} s CPU for {len(pairs)} compare() calls "
        f"({H.fmt_rate(n_chars / cpu)} chars/s, {1000 * cpu / len(pairs):.1f} ms per pair)"
    )
    failures(log, per_case, dets, cases, docs, errors)
    return {
        "n_pairs": len(pairs),
        "n_cases": len(cases),
        "dropped": [dropped_pairs, dropped_cases],
        "measures": m,
        "errors": errors,
        "recalls": recalls,
        "cpu": cpu,
        "n_chars": n_chars,
    }


def failures(
    log: H.Log,
    per_case: list[tuple[Span, list[Span], float]],
    dets: list[Span],
    cases: list[Span],
    docs: dict[str, str],
    errors: list[list[int]],
) -> None:
    """Print the worst cases: lowest recall, detections of no case, largest boundary errors."""
    log("")
    log("Lowest-recall cases (truth span in [[...]]; detections overlapping it):")
    for s, d, recall in sorted(per_case, key=lambda x: x[2])[:5]:
        if recall >= 0.9:
            break
        log(
            f"- {s.susp} / {s.src} case susp[{s.t0}:{s.t1}] src[{s.s0}:{s.s1}] "
            f"recall {recall:.2f}; detections {[(x.t0, x.t1, x.s0, x.s1) for x in d]}"
        )
        log(f"  susp: {snippet(docs['S:' + s.susp], s.t0, s.t1)}")
    fps = [r for r in dets if not any(detects(r, s) for s in cases if s.susp == r.susp)]
    log("")
    log(f"Detections overlapping no case: {len(fps)} of {len(dets)}; the first few:")
    for r in fps[:6]:
        log(f"- {r.susp} [{r.t0}:{r.t1}] ({r.t1 - r.t0} chars) / {r.src} [{r.s0}:{r.s1}]")
        log(f"  susp: {snippet(docs['S:' + r.susp], r.t0, r.t1)}")
        log(f"  src:  {snippet(docs['R:' + r.src], r.s0, r.s1)}")
    detected = [(s, d) for s, d, _ in per_case if d]
    worst = sorted(zip(errors, detected), key=lambda x: -max(x[0]))
    log("")
    log("Largest boundary errors (truth in [[...]] in the suspicious document):")
    for e, (s, d) in worst[:4]:
        log(
            f"- error {max(e)} chars: {s.susp} truth susp[{s.t0}:{s.t1}] src[{s.s0}:{s.s1}]; "
            f"detected {[(x.t0, x.t1, x.s0, x.s1) for x in d]}"
        )
        text = docs["S:" + s.susp]
        log(f"  susp start: {snippet(text, s.t0, s.t0 + 30, 60)}")
        log(f"  susp end:   {snippet(text, s.t1 - 30, s.t1, 60)}")


def render(results: dict[str, Any]) -> H.Page:
    m = results["measures"]
    err = np.array(results["errors"], dtype=np.float64).reshape(-1, 4)
    ends = err.ravel()
    boundary: list[list[object]] = [
        [
            name,
            f"{col.mean():.2f}",
            f"{np.median(col):.0f}",
            f"{np.percentile(col, 95):.0f}",
            f"{(col <= 5).mean():.3f}",
        ]
        for name, col in [*zip(ENDS, err.T), ("all four ends", ends)]
    ]
    n_pairs, cpu = results["n_pairs"], results["cpu"]
    return H.Page(
        title="PAN 2013 text alignment",
        command="python -m benchmarks.bench_pan13",
        summary=[
            f"PAN13 text alignment, no obfuscation (English): plagdet **{m['plagdet']:.3f}** "
            f"(precision {m['precision']:.3f}, recall {m['recall']:.3f}, granularity "
            f"{m['granularity']:.3f}) on {results['n_cases']} cases in {n_pairs} pairs; "
            f"median boundary error {np.median(ends):.0f} characters; "
            f"{1000 * cpu / n_pairs:.1f} ms CPU per pair."
        ],
        tables=[
            H.Table(
                ["measure", "plagdet", "precision", "recall", "F1", "granularity"],
                [
                    ["macro", m["plagdet"], m["precision"], m["recall"], m["f1"], m["granularity"]],
                    [
                        "micro",
                        m["plagdet_micro"],
                        m["micro_precision"],
                        m["micro_recall"],
                        m["micro_f1"],
                        m["granularity"],
                    ],
                ],
                title="PAN13: passage detection (Potthast et al. 2010)",
                note=f"Cases {int(m['cases'])}, detected {int(m['detected_cases'])}, "
                f"detections {int(m['detections'])}.",
            ),
            H.Table(
                ["boundary", "mean", "median", "p95", "share <= 5"],
                boundary,
                title="PAN13: boundary error of detected cases (characters, |detected - truth|)",
            ),
        ],
        protocol=f"""
{H.corpora_note("pan13-ta-noobf")} The {n_pairs} labelled pairs of `pairs_02_no_obfuscation`
with their realigned cases (`truth_realigned.jsonl`); only cases with coverage >=
{MIN_COVERAGE} are scored, and a pair holding a case below that is dropped whole
({results["dropped"][0]} pairs, {results["dropped"][1]} cases). Detector: `tp.compare(susp, src)`
with default settings; every passage is a detection. Measures: Potthast, Stein, Barron-Cedeno,
Rosso, "An Evaluation Framework for Plagiarism Detection" (COLING 2010), characters in both
documents; micro measures pool characters over all documents. {cpu:.1f} s CPU for the
{n_pairs} `compare` calls ({H.fmt_rate(results["n_chars"] / cpu)} characters a second).
""",
    )


def plots(results: dict[str, Any], folder: Path) -> list[H.Plot]:
    err = np.array(results["errors"], dtype=np.float64).reshape(-1, 4)
    plt = H.plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for i, name in enumerate(ENDS):
        axes[0].hist(np.minimum(err[:, i], 30), bins=np.arange(0, 31), histtype="step", label=name)
    axes[0].set_xlabel("boundary error (characters; 30 = 30 or more)")
    axes[0].set_ylabel("detected cases")
    axes[0].set_yscale("log")
    axes[0].legend(fontsize=8)
    axes[1].hist(results["recalls"], bins=np.linspace(0, 1, 21))
    axes[1].set_xlabel("character recall per case")
    axes[1].set_ylabel("cases")
    axes[1].set_yscale("log")
    fig.suptitle("PAN13 no-obfuscation: tp.compare with default settings")
    H.save_figure(fig, folder / "quality_pan13.png")
    return [H.Plot("quality_pan13.png", "PAN13 boundary errors and per-case recall")]


if __name__ == "__main__":
    H.main("pan13", __doc__, measure, render, plots, write=write_quality_page)
