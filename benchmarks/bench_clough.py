"""Benchmark: graded copy detection on the Clough & Stevenson corpus of plagiarised short answers.

Protocol:

- Corpus: ``clough-stevenson``, 95 short answers (200-300 words) to five questions, each
  labelled ``cut`` (copy-paste from the question's Wikipedia source), ``light`` (light
  revision), ``heavy`` (heavy revision) or ``non`` (written independently), per
  ``file_information.csv``. 17 files are cp1252: every file is decoded as UTF-8 and, failing
  that, as cp1252.
- Score: ``tp.compare(answer, orig_task).containment`` (share of the answer inside copied
  passages) with default settings and with ``min_tokens=5`` (any shared run of 5 words, the
  setting for short answers); ``.jaccard`` (exact Jaccard of the two shingle sets) beside it.
- Measures, computed here by hand: AUC of each class (cut, light, heavy) against ``non`` and of
  all three together (Mann-Whitney: the probability that a random copied answer scores above a
  random independent one, ties counting one half); Spearman's rank correlation of the score
  with the ordinal label cut > light > heavy > non (average ranks for ties); the score per class.

    python -m benchmarks.bench_clough            # full run: its part of docs/benchmarks/quality.md
    python -m benchmarks.bench_clough --quick    # the same (95 pairs take seconds), printed only
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as a file

import textprint as tp
from benchmarks import harness as H  # noqa: N812
from benchmarks.quality import auc, write_quality_page

CLOUGH = H.CORPORA / "clough-stevenson"
CLASSES = ("cut", "light", "heavy", "non")
COPIED = ("cut", "light", "heavy")
ORDINAL = {"cut": 3, "light": 2, "heavy": 1, "non": 0}
SHORT_MIN_TOKENS = 5
SCORES = {
    "containment": "containment",
    "short": f"containment, min_tokens={SHORT_MIN_TOKENS}",
    "jaccard": "Jaccard",
}


def read_text(path: Path) -> tuple[str, str]:
    """The file's text and the encoding that decoded it (UTF-8, else cp1252)."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252"), "cp1252"


def average_ranks(x: Sequence[float]) -> np.ndarray:
    """Ranks 1..n, ties sharing the average of their ranks."""
    a = np.asarray(x, dtype=np.float64)
    order = np.argsort(a, kind="stable")
    ranks = np.empty(len(a), dtype=np.float64)
    sorted_a = a[order]
    i = 0
    while i < len(a):
        j = i
        while j + 1 < len(a) and sorted_a[j + 1] == sorted_a[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Pearson correlation of average ranks."""
    rx, ry = average_ranks(x), average_ranks(y)
    rx -= rx.mean()
    ry -= ry.mean()
    return float((rx * ry).sum() / np.sqrt((rx * rx).sum() * (ry * ry).sum()))


def longest_common_run(a: str, b: str) -> tuple[int, str]:
    """Longest run of words (lower-cased ``\\w+``) shared by two texts, and the run itself.

    A diagnostic independent of textprint: it tells a miss of the detector from an answer
    that shares no long run with the source the corpus provides.
    """
    wa = re.findall(r"\w+", a.lower())
    wb = re.findall(r"\w+", b.lower())
    best, end = 0, 0
    prev = [0] * (len(wb) + 1)
    for i in range(1, len(wa) + 1):
        cur = [0] * (len(wb) + 1)
        for j in range(1, len(wb) + 1):
            if wa[i - 1] == wb[j - 1]:
                cur[j] = prev[j - 1] + 1
                if cur[j] > best:
                    best, end = cur[j], i
        prev = cur
    return best, " ".join(wa[end - best : end])


def measure(args: argparse.Namespace, log: H.Log) -> dict[str, Any]:
    if not (CLOUGH / "file_information.csv").is_file():
        H.require_corpora(folders=["clough-stevenson"])
    rows = list(csv.DictReader((CLOUGH / "file_information.csv").open(encoding="utf-8")))
    origs: dict[str, str] = {}
    texts: dict[str, str] = {}
    answers: list[dict[str, Any]] = []
    n_cp1252 = 0
    for r in rows:
        text, enc = read_text(CLOUGH / r["File"])
        n_cp1252 += enc == "cp1252"
        if r["Category"] == "orig":
            origs[r["Task"]] = text
        else:
            texts[r["File"]] = text
            answers.append({"file": r["File"], "task": r["Task"], "cls": r["Category"]})
    log(
        f"Clough & Stevenson: {len(answers)} answers, {len(origs)} sources "
        f"({n_cp1252} files decoded as cp1252)"
    )
    tp.compare("warm up the tables", "warm up the tables")
    cpu = 0.0
    for a in answers:
        text, source = texts[a["file"]], origs[a["task"]]
        t0 = time.process_time()
        c = tp.compare(text, source)
        cpu += time.process_time() - t0
        short = tp.compare(text, source, min_tokens=SHORT_MIN_TOKENS)
        n_run, run_words = longest_common_run(text, source)
        a.update(
            containment=c.containment,
            jaccard=c.jaccard,
            short=short.containment,
            passages=[list(p) for p in c.passages],
            run=n_run,
            run_words=run_words,
        )
    results = {"answers": answers, "cpu": cpu, "n_cp1252": n_cp1252}
    log(H.table(*auc_table(answers)))
    log(f"runtime: {cpu:.2f} s CPU for {len(answers)} compare() calls")
    overlap(log, answers, texts)
    return results


def auc_table(answers: list[dict[str, Any]]) -> tuple[list[str], list[list[object]]]:
    """AUC of each copied class against `non`, of all copied, and Spearman, per score; and for
    default containment without the answers no text detector can find (they share no run of
    4 words with the source the corpus gives: copied from other parts of the article)."""
    unfindable = [a for a in answers if a["cls"] in ("cut", "light") and a["run"] < 4]
    rows: list[list[object]] = []
    variants = [(key, label, answers) for key, label in SCORES.items()]
    if unfindable:
        kept = [a for a in answers if a not in unfindable]
        label = "containment, excl. " + ", ".join(a["file"] for a in unfindable)
        variants.append(("containment", label, kept))
    for key, label, group in variants:
        non = [a[key] for a in group if a["cls"] == "non"]
        row: list[object] = [label]
        row += [auc([a[key] for a in group if a["cls"] == cls], non) for cls in COPIED]
        row.append(auc([a[key] for a in group if a["cls"] != "non"], non))
        row.append(spearman([a[key] for a in group], [ORDINAL[a["cls"]] for a in group]))
        rows.append(row)
    return ["score", "AUC cut", "AUC light", "AUC heavy", "AUC all copied", "Spearman"], rows


def overlap(log: H.Log, answers: list[dict[str, Any]], texts: dict[str, str]) -> None:
    """Print where the classes overlap: the best `non` answers, the weakest copied ones."""
    non_sorted = sorted((a for a in answers if a["cls"] == "non"), key=lambda a: -a["containment"])
    max_non = non_sorted[0]["containment"]
    log("")
    log("Highest-scoring independent (`non`) answers:")
    for a in non_sorted[:3]:
        show_answer(log, a, texts[a["file"]])
    low = sorted(
        (a for a in answers if a["cls"] != "non" and a["containment"] <= max_non),
        key=lambda a: (a["containment"], -ORDINAL[a["cls"]]),
    )
    log("")
    log(f"Copied answers scoring at or below the best `non` answer ({max_non:.3f}):")
    log(f"({len(low)} answers; the cut and light ones first)")
    for a in low[:8]:
        show_answer(log, a, texts[a["file"]])
    if not low:
        log("(none)")


def show_answer(log: H.Log, a: dict[str, Any], text: str) -> None:
    n_run, run_words = a["run"], a["run_words"]
    log(
        f"- {a['file']} ({a['cls']}, task {a['task']}): containment {a['containment']:.3f}, "
        f"Jaccard {a['jaccard']:.3f}, {len(a['passages'])} passages; longest word run shared "
        f"with the source: {n_run} words" + (f" ({run_words[:80]!r})" if n_run else "")
    )
    for q0, q1, _, _ in a["passages"][:2]:
        log(f"    passage ({q1 - q0} chars): {text[q0:q1].replace(chr(10), ' ')[:150]}")
    if not a["passages"]:
        log(f"    text: {text[:150].replace(chr(10), ' ')}")


def render(results: dict[str, Any]) -> H.Page:
    answers = results["answers"]
    headers, rows = auc_table(answers)
    by = {row[0]: row for row in rows}
    c, s = by[SCORES["containment"]], by[SCORES["short"]]
    n_cut = sum(a["cls"] == "cut" for a in answers)
    n_lost = sum(a["cls"] == "cut" and a["run"] < 4 for a in answers)
    ceiling = (n_cut - n_lost + 0.5 * n_lost) / n_cut
    per_class = []
    for cls in CLASSES:
        cs = [a["containment"] for a in answers if a["cls"] == cls]
        js = [a["jaccard"] for a in answers if a["cls"] == cls]
        per_class.append(
            [cls, len(cs), np.mean(cs), np.median(cs), min(cs), max(cs), np.mean(js), np.median(js)]
        )
    n_non = sum(a["cls"] == "non" for a in answers)
    return H.Page(
        title="Clough & Stevenson short answers",
        command="python -m benchmarks.bench_clough",
        summary=[
            f"Clough & Stevenson, graded copies of short English answers: AUC against "
            f"independent answers cut {c[1]:.3f}, light {c[2]:.3f}, heavy {c[3]:.3f} "
            f"(default containment), cut {s[1]:.3f}, light {s[2]:.3f}, heavy {s[3]:.3f} with "
            f"`min_tokens={SHORT_MIN_TOKENS}`; {n_lost} of the {n_cut} cut answers share no "
            f"run of 4 words with the given source, which caps cut at {ceiling:.3f}."
        ],
        tables=[
            H.Table(
                headers,
                rows,
                title="Clough & Stevenson: AUC against `non` (Mann-Whitney), Spearman",
            ),
            H.Table(
                [
                    "class",
                    "n",
                    "containment mean",
                    "median",
                    "min",
                    "max",
                    "Jaccard mean",
                    "median",
                ],
                per_class,
                title="Clough & Stevenson: score per class",
            ),
        ],
        protocol=f"""
{H.corpora_note("clough-stevenson")} {len(answers)} answers against their task's source, score
`tp.compare(answer, source).containment` with default settings (passages of at least 10 words)
and with `min_tokens={SHORT_MIN_TOKENS}` (any shared run of 5 words, the setting for short
answers), Jaccard for comparison. AUC by Mann-Whitney against the {n_non} `non` answers, ties
counting one half; Spearman against cut > light > heavy > non. {n_lost} of the {n_cut} cut
answers share no run of 4 words with the source the corpus gives (copied from other parts of
the article): no score of copied text can rank them above independent answers, which caps the
AUC of cut at {ceiling:.3f} when they tie with them; without them cut scores 1.000.
{results["cpu"]:.2f} s CPU for the `compare` calls.
""",
    )


def plots(results: dict[str, Any], folder: Path) -> list[H.Plot]:
    answers = results["answers"]
    plt = H.plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=False)
    rng = np.random.default_rng(0)
    for ax, m in zip(axes, ("containment", "jaccard")):
        for i, cls in enumerate(CLASSES):
            ys = [a[m] for a in answers if a["cls"] == cls]
            ax.scatter(i + rng.uniform(-0.15, 0.15, len(ys)), ys, s=14, alpha=0.7)
        ax.set_xticks(range(len(CLASSES)), CLASSES)
        ax.set_ylabel(m)
        ax.set_ylim(-0.03, 1.03)
    fig.suptitle("Clough-Stevenson: tp.compare(answer, source) per class")
    H.save_figure(fig, folder / "quality_clough.png")
    return [H.Plot("quality_clough.png", "Clough-Stevenson scores per class")]


if __name__ == "__main__":
    H.main("clough", __doc__, measure, render, plots, write=write_quality_page)
