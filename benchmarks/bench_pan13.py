"""Benchmark: passage detection on PAN 2013 text alignment (no obfuscation), PAN's measures.

Protocol:

- Corpus (read from ../shared/corpora, never copied): ``pan13-ta-noobf``, the 500 labelled
  pairs of ``pairs_02_no_obfuscation`` (suspicious document, source document) and their cases
  from ``truth_realigned.jsonl`` (offsets re-found in this ASCII-only copy of the corpus, see its
  SOURCE.txt). Only realigned cases with ``coverage >= 0.9`` are scored; a pair holding a case
  below that is dropped whole (a correct detection of an unscored case would otherwise count
  as a false positive). Files are read with ``newline=""`` so offsets are those of the files.
- Detector: ``tp.compare(susp_text, src_text)`` with DEFAULT settings; every passage is a
  detection ``(this_offset, this_length, source_offset, source_length)``.
- Measures exactly as Potthast, Stein, Barron-Cedeno, Rosso, "An Evaluation Framework for
  Plagiarism Detection" (COLING 2010): cases and detections are sets of character references in
  BOTH documents; ``r`` detects ``s`` when they overlap in the suspicious AND the source
  document (as in PAN's ``perfmeasures.py``);

  - macro recall ``= 1/|S| sum_s |union_{r detects s} (s & r)| / |s|``,
  - macro precision ``= 1/|R| sum_r |union_{s detected by r} (s & r)| / |r|``,
  - granularity ``= 1/|S_R| sum_{s in S_R} |{r : r detects s}|`` over the detected cases S_R,
  - plagdet ``= F1 / log2(1 + granularity)``.

  Micro precision and recall (character counts pooled over all documents), the boundary error
  of detected cases (absolute offset difference at both ends in both documents, using the span
  of the detections of the case), and the CPU time of the ``compare`` calls are also reported.
  Goal: plagdet >= 0.95.

    python benchmarks/bench_pan13.py            # full run, writes docs/benchmarks/quality.md
    python benchmarks/bench_pan13.py --quick    # 60 pairs, prints only

The full run writes the PAN section of ``docs/benchmarks/quality.md``; bench_clough.py and
bench_copies.py write theirs (each script replaces only its own section).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: N812
import textprint as tp

PAN = C.CORPORA / "pan13-ta-noobf"
MIN_COVERAGE = 0.9
GOAL = 0.95
QUICK_PAIRS = 60


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


def _union_overlap(target: tuple[int, int], ranges: list[tuple[int, int]]) -> int:
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
            got = _union_overlap((s.t0, s.t1), [(r.t0, r.t1) for r in d]) + _union_overlap(
                (s.s0, s.s1), [(r.s0, r.s1) for r in d]
            )
            rec_sum += got / s.size
    prec_sum = 0.0
    for r in dets:
        c = [s for s in cases_by_pair[(r.susp, r.src)] if detects(r, s)]
        if c and r.size:
            got = _union_overlap((r.t0, r.t1), [(s.t0, s.t1) for s in c]) + _union_overlap(
                (r.s0, r.s1), [(s.s0, s.s1) for s in c]
            )
            prec_sum += got / r.size
    rec = rec_sum / len(cases) if cases else 1.0
    prec = prec_sum / len(dets) if dets else (1.0 if not cases else 0.0)
    gran = gran_sum / detected if detected else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    plagdet = f1 / math.log2(1 + gran)

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
        "plagdet": plagdet,
        "micro_precision": micro_p,
        "micro_recall": micro_r,
        "micro_f1": micro_f1,
        "plagdet_micro": micro_f1 / math.log2(1 + gran),
        "cases": float(len(cases)),
        "detections": float(len(dets)),
        "detected_cases": float(detected),
    }


def load_pairs(limit: int | None) -> tuple[list[tuple[str, str]], list[Span], int, int]:
    """Labelled pairs, their scored cases, and how many pairs/cases were dropped."""
    pairs = [
        tuple(line.split())
        for line in (PAN / "pairs_02_no_obfuscation").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    truth: dict[tuple[str, str], list[dict[str, object]]] = defaultdict(list)
    with (PAN / "truth_realigned.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                truth[(rec["suspicious"], rec["source"])].append(rec)
    kept: list[tuple[str, str]] = []
    cases: list[Span] = []
    dropped_pairs = dropped_cases = 0
    for p in pairs:
        susp, src = p[0], p[1]
        recs = truth.get((susp, src), [])
        if any(float(r["coverage"]) < MIN_COVERAGE for r in recs):  # type: ignore[arg-type]
            dropped_pairs += 1
            dropped_cases += len(recs)
            continue
        kept.append((susp, src))
        for r in recs:
            t0, s0 = int(r["this_offset"]), int(r["source_offset"])  # type: ignore[call-overload]
            t1 = t0 + int(r["this_length"])  # type: ignore[call-overload]
            s1 = s0 + int(r["source_length"])  # type: ignore[call-overload]
            cases.append(Span(susp, src, t0, t1, s0, s1))
    if limit is not None:
        kept = kept[:limit]
        keep = set(kept)
        cases = [c for c in cases if (c.susp, c.src) in keep]
    return kept, cases, dropped_pairs, dropped_cases


def read(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as f:
        return f.read()


def snippet(text: str, a: int, b: int, ctx: int = 40) -> str:
    """text[a:b] in context, shortened in the middle, on one line."""
    mid = text[a:b]
    if len(mid) > 120:
        mid = mid[:55] + " [...] " + mid[-55:]
    s = f"{text[max(0, a - ctx) : a]}[[{mid}]]{text[b : b + ctx]}"
    return s.replace("\n", "\\n")


def run(args: argparse.Namespace) -> tuple[str, str]:
    rep = C.Report()
    pairs, cases, dropped_pairs, dropped_cases = load_pairs(QUICK_PAIRS if args.quick else None)
    rep(f"PAN13 text alignment, no obfuscation: {len(pairs)} pairs, {len(cases)} cases scored")
    rep(
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
        q, s = docs["S:" + susp], docs["R:" + src]
        t0 = time.process_time()
        c = tp.compare(q, s)
        cpu += time.process_time() - t0
        n_chars += len(q) + len(s)
        for p in c.passages:
            dets.append(Span(susp, src, p.query_start, p.query_end, p.source_start, p.source_end))
    m = pan_measures(cases, dets)

    rep("")
    rep("## Passage detection, PAN measures (Potthast et al. 2010)")
    rep("")
    rows = [
        ["plagdet", m["plagdet"], f">= {GOAL}", "yes" if m["plagdet"] >= GOAL else "NO"],
        ["precision (macro)", m["precision"], "", ""],
        ["recall (macro)", m["recall"], "", ""],
        ["F1 (macro)", m["f1"], "", ""],
        ["granularity", m["granularity"], "", ""],
        ["precision (micro)", m["micro_precision"], "", ""],
        ["recall (micro)", m["micro_recall"], "", ""],
        ["F1 (micro)", m["micro_f1"], "", ""],
        ["plagdet (micro F1)", m["plagdet_micro"], "", ""],
    ]
    rep(C.table(["measure", "value", "goal", "met"], rows, align="lrrl"))
    rep("")
    rep(
        f"cases {int(m['cases'])}, detected {int(m['detected_cases'])}, "
        f"detections {int(m['detections'])}"
    )

    # boundary errors of detected cases
    det_by_pair: dict[tuple[str, str], list[Span]] = defaultdict(list)
    for r in dets:
        det_by_pair[(r.susp, r.src)].append(r)
    errors: list[tuple[int, int, int, int]] = []
    per_case: list[tuple[Span, list[Span], float]] = []
    for s in cases:
        d = [r for r in det_by_pair[(s.susp, s.src)] if detects(r, s)]
        got = 0
        if d:
            got = _union_overlap((s.t0, s.t1), [(r.t0, r.t1) for r in d]) + _union_overlap(
                (s.s0, s.s1), [(r.s0, r.s1) for r in d]
            )
            errors.append(
                (
                    abs(min(r.t0 for r in d) - s.t0),
                    abs(max(r.t1 for r in d) - s.t1),
                    abs(min(r.s0 for r in d) - s.s0),
                    abs(max(r.s1 for r in d) - s.s1),
                )
            )
        per_case.append((s, d, got / s.size))
    err = np.array(errors, dtype=np.float64).reshape(-1, 4)
    rep("")
    rep("## Boundary error of detected cases (characters, |detected - truth|)")
    rep("")
    names = ["suspicious start", "suspicious end", "source start", "source end"]
    brows = []
    for i, name in enumerate(names):
        col = err[:, i]
        brows.append(
            [
                name,
                f"{col.mean():.2f}",
                f"{np.median(col):.0f}",
                f"{np.percentile(col, 95):.0f}",
                f"{(col <= 5).mean():.3f}",
            ]
        )
    allc = err.ravel()
    brows.append(
        [
            "all four ends",
            f"{allc.mean():.2f}",
            f"{np.median(allc):.0f}",
            f"{np.percentile(allc, 95):.0f}",
            f"{(allc <= 5).mean():.3f}",
        ]
    )
    rep(C.table(["boundary", "mean", "median", "p95", "share <= 5"], brows))
    rep("")
    rep(
        f"runtime: {cpu:.2f} s CPU for {len(pairs)} compare() calls "
        f"({C.fmt_rate(n_chars / cpu)} chars/s, {1000 * cpu / len(pairs):.1f} ms per pair)"
    )

    # failure cases
    rep("")
    rep("## Failure cases")
    missed = sorted(per_case, key=lambda x: x[2])
    rep("")
    rep("Lowest-recall cases (truth span in [[...]]; detections overlapping it):")
    for s, d, r in missed[:5]:
        if r >= 0.9:
            break
        text = docs["S:" + s.susp]
        rep(
            f"- {s.susp} / {s.src} case susp[{s.t0}:{s.t1}] src[{s.s0}:{s.s1}] recall {r:.2f}; "
            f"detections {[(x.t0, x.t1, x.s0, x.s1) for x in d]}"
        )
        rep(f"  susp: {snippet(text, s.t0, s.t1)}")
    case_by_pair: dict[tuple[str, str], list[Span]] = defaultdict(list)
    for s in cases:
        case_by_pair[(s.susp, s.src)].append(s)
    fps = []
    for r in dets:
        c = [s for s in case_by_pair[(r.susp, r.src)] if detects(r, s)]
        if not c:
            fps.append(r)
    rep("")
    rep(f"Detections overlapping no case: {len(fps)} of {len(dets)}; the first few:")
    for r in fps[:6]:
        q, s = docs["S:" + r.susp], docs["R:" + r.src]
        rep(f"- {r.susp} [{r.t0}:{r.t1}] ({r.t1 - r.t0} chars) / {r.src} [{r.s0}:{r.s1}]")
        rep(f"  susp: {snippet(q, r.t0, r.t1)}")
        rep(f"  src:  {snippet(s, r.s0, r.s1)}")
    worst = sorted(
        ((max(e), s) for e, (s, d, _) in zip(errors, [x for x in per_case if x[1]])),
        key=lambda x: -x[0],
    )
    rep("")
    rep("Largest boundary errors (truth in [[...]] in the suspicious document):")
    for e, s in worst[:4]:
        d = [r for r in det_by_pair[(s.susp, s.src)] if detects(r, s)]
        rep(
            f"- error {e} chars: {s.susp} truth susp[{s.t0}:{s.t1}] src[{s.s0}:{s.s1}]; "
            f"detected {[(x.t0, x.t1, x.s0, x.s1) for x in d]}"
        )
        text = docs["S:" + s.susp]
        rep(f"  susp start: {snippet(text, s.t0, s.t0 + 30, 60)}")
        rep(f"  susp end:   {snippet(text, s.t1 - 30, s.t1, 60)}")

    figure = ""
    if args.out is not None:
        figure = plot(err, [x[2] for x in per_case], args.out.parent)
    body = summary_body(m, err, cpu, len(pairs), len(cases), figure)
    return rep.text, body


def summary_body(
    m: dict[str, float], err: np.ndarray, cpu: float, n_pairs: int, n_cases: int, figure: str
) -> str:
    met = "met" if m["plagdet"] >= GOAL else "**missed**"
    lines = [
        f"Corpus: `pan13-ta-noobf`, {n_pairs} labelled pairs, {n_cases} cases (realigned "
        f"offsets, coverage >= {MIN_COVERAGE}). Detector: `tp.compare(susp, src)` with default "
        "settings. Measures: Potthast et al. 2010 (characters in both documents).",
        "",
        C.table(
            ["plagdet", "precision", "recall", "granularity", "micro P", "micro R"],
            [
                [
                    m["plagdet"],
                    m["precision"],
                    m["recall"],
                    m["granularity"],
                    m["micro_precision"],
                    m["micro_recall"],
                ]
            ],
        ),
        "",
        f"Goal plagdet >= {GOAL}: {met}. Mean boundary error of detected cases "
        f"{err.mean():.2f} characters over the four ends (median {np.median(err):.0f}); "
        f"{cpu:.1f} s CPU for {n_pairs} pairs.",
    ]
    if figure:
        lines += ["", f"![PAN13 boundary errors and per-case recall]({figure})"]
    return "\n".join(lines)


#: Sections of docs/benchmarks/quality.md, in page order, and the script that writes each.
QUALITY_SECTIONS = {
    "pan13": "bench_pan13.py",
    "clough": "bench_clough.py",
    "copies": "bench_copies.py",
    "washing": "bench_washing.py",
}


def write_quality_section(
    path: Path,
    key: str,
    *,
    title: str,
    command: str,
    body: str,
    output: str,
    runtime: float,
) -> None:
    """Replace one script's section of the shared quality page, keeping the others.

    Each section carries its own date, machine, command and raw output, so that the three quality
    scripts can be re-run independently.
    """
    info = C.machine_info()
    sections: dict[str, str] = {}
    if path.is_file():
        old = path.read_text(encoding="utf-8")
        for k in QUALITY_SECTIONS:
            hit = re.search(rf"<!-- begin {k} -->\n(.*?)<!-- end {k} -->\n", old, flags=re.DOTALL)
            if hit:
                sections[k] = hit.group(1)
    sections[key] = "\n".join(
        [
            f"## {title}",
            "",
            f"- Reproduce: `{command}` (from the repository root, dev environment active; "
            "corpora read from `../shared/corpora`).",
            f"- Date: {info['date']}; wall time of the run: {runtime:.0f} s.",
            f"- Machine: {info['nproc']} CPUs ({info['cpu']}), {info['platform']}.",
            f"- Python {info['python']}, numpy {info['numpy']}, textprint {info['textprint']}.",
            "",
            body.rstrip(),
            "",
            "### Full output",
            "",
            "```text",
            output.rstrip(),
            "```",
            "",
        ]
    )
    head = [
        "# Benchmark: detection quality",
        "",
        "Generated by the benchmark scripts; do not edit by hand (re-run them instead). Each "
        "section is written by one script ("
        + ", ".join(f"`benchmarks/{v}`" for v in QUALITY_SECTIONS.values())
        + ") and replaced only when that script runs again.",
        "",
    ]
    parts = list(head)
    for k in QUALITY_SECTIONS:
        if k in sections:
            parts += [f"<!-- begin {k} -->", sections[k].rstrip("\n"), f"<!-- end {k} -->", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")


def plot(err: np.ndarray, recalls: list[float], folder: Path) -> str:
    plt = C.plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    names = ["susp start", "susp end", "src start", "src end"]
    bins = np.arange(0, 31)
    for i, name in enumerate(names):
        axes[0].hist(np.minimum(err[:, i], 30), bins=bins, histtype="step", label=name)
    axes[0].set_xlabel("boundary error (characters; 30 = 30 or more)")
    axes[0].set_ylabel("detected cases")
    axes[0].set_yscale("log")
    axes[0].legend(fontsize=8)
    axes[1].hist(recalls, bins=np.linspace(0, 1, 21))
    axes[1].set_xlabel("character recall per case")
    axes[1].set_ylabel("cases")
    axes[1].set_yscale("log")
    fig.suptitle("PAN13 no-obfuscation: tp.compare with default settings")
    fig.tight_layout()
    name = "quality_pan13.png"
    folder.mkdir(parents=True, exist_ok=True)
    fig.savefig(folder / name, dpi=110)
    plt.close(fig)
    return name


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    C.add_common_args(parser)
    args = parser.parse_args(argv)
    if not (PAN / "truth_realigned.jsonl").is_file():
        print(f"SKIPPED: corpus not found ({PAN})")
        return
    if args.out is None and not args.quick:
        args.out = C.DOCS / "quality.md"
    t0 = time.perf_counter()
    output, body = run(args)
    if args.out is not None:
        write_quality_section(
            args.out,
            "pan13",
            title="PAN 2013 text alignment (English, no obfuscation)",
            body=body,
            output=output,
            command="python benchmarks/bench_pan13.py" + (" --quick" if args.quick else ""),
            runtime=time.perf_counter() - t0,
        )
        print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
