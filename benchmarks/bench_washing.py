"""Benchmark: article washing (洗稿), checked through a Registry with default settings.

Protocol:

- Works and host text as in ``bench_copies.py`` (:mod:`benchmarks.textgen.works`; zh: the
  zh-classic-novels chapters cut to 1,000-5,000 characters and 540 whole zh-cmrc2018-wiki
  passages; ja: Aozora and JGLUE; en: Gutenberg windows), registered in one in-memory
  ``tp.Registry()`` with default settings, as a platform would use it.
- Posts from :mod:`benchmarks.textgen.washcases` (seeded): a copy of 300-1,500 characters of
  a work (or a whole shorter work) inside 0-1,200 characters of unrelated host text on each
  side, under

  - each washing of the language alone (`SIZES`: posts per washing);
  - combinations: two or three items drawn from the washings and the evasions of the copy
    suites (Traditional, full-width, zero-width, punctuation, case, 1-5% edits, shuffled
    pieces), at least one of them a washing;

  and unrelated washed posts (host text sharing no run of 12 characters, 8 words in English,
  with any work, under the same washings and combinations).
- Each post is checked with ``Registry.check`` (default ``min_chars``, ``min_containment``).
  Measures: *recall* = the true work is the first hit; *false hits* = unrelated posts with
  any hit; *passage F1* = character F1 of the hits' passages against the truth, over the
  characters of the post and of the work (micro; passages on a wrong work are false
  positives; inserted filler and dropped sentences count as not copied).

``python -m benchmarks.bench_washing`` measures zh, ja and en and writes its part of
docs/benchmarks/quality.md; ``--quick --langs zh`` is a small slice, printed only.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a file: python benchmarks/bench_washing.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import textprint as tp
from benchmarks import harness as H  # noqa: N812
from benchmarks.quality import char_f1, log_cases, snippet, write_quality_page
from benchmarks.textgen import RunGuard
from benchmarks.textgen.washcases import WashCase, WashGenerator, check_wash_case
from benchmarks.textgen.washings import EVASIONS, WASHINGS
from benchmarks.textgen.works import corpora_for, load_language

SEED = 18
LANGS = ("zh", "ja", "en")
#: posts per washing alone, combinations, unrelated posts per washing and of combinations
SIZES = {
    "zh": (100, 400, 40, 200),
    "ja": (50, 150, 20, 80),
    "en": (50, 100, 20, 60),
}
QUICK_SIZES = (10, 30, 5, 20)
N_WORKS_QUICK = 200
GROUP_HEADERS = [
    "posts with",
    "copies",
    "recall (first)",
    "found",
    "char P",
    "char R",
    "char F1",
    "unrelated",
    "false hits",
]


@dataclass
class Outcome:
    """One checked post: retrieval, character counts for F1, and the hits."""

    case: WashCase
    top1: bool
    found: bool
    tp_chars: int
    pred_chars: int
    truth_chars: int
    hits: list[tp.Hit]


def _mask(n: int, ranges: Sequence[tuple[int, int]]) -> np.ndarray:
    m = np.zeros(n, dtype=bool)
    for a, b in ranges:
        m[a:b] = True
    return m


def score(case: WashCase, hits: list[tp.Hit], works: dict[str, str]) -> Outcome:
    if case.work_id is None:
        return Outcome(case, False, False, 0, 0, 0, hits)
    q_truth = _mask(len(case.query), case.query_truth)
    s_truth = _mask(len(works[case.work_id]), case.source_truth)
    tpc = pred = 0
    found = False
    for h in hits:
        wid = str(h.work_id)
        qm = _mask(len(case.query), [(p.query_start, p.query_end) for p in h.passages])
        sm = _mask(len(works[wid]), [(p.source_start, p.source_end) for p in h.passages])
        pred += int(qm.sum() + sm.sum())
        if wid == case.work_id:
            found = True
            tpc += int((qm & q_truth).sum() + (sm & s_truth).sum())
    return Outcome(
        case,
        bool(hits) and str(hits[0].work_id) == case.work_id,
        found,
        tpc,
        pred,
        int(q_truth.sum() + s_truth.sum()),
        hits,
    )


def specs(lang: str, rng: random.Random, sizes: tuple[int, int, int, int]) -> list[Any]:
    """(kind, washings, evasions) of every post, in a fixed order."""
    n_single, n_combo, n_unrel_single, n_unrel_combo = sizes
    washings, evasions = WASHINGS[lang], EVASIONS[lang]
    items = washings + evasions
    out: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = []
    for w in washings:
        out += [("copy", (w,), ())] * n_single
        out += [("unrelated", (w,), ())] * n_unrel_single

    def combo() -> tuple[tuple[str, ...], tuple[str, ...]]:
        while True:
            chosen = rng.sample(items, rng.choice((2, 3)))
            if any(c in washings for c in chosen) and not (
                sum(c.startswith("sep_") or c == "vertical" for c in chosen) > 1
            ):
                ws = tuple(c for c in washings if c in chosen)
                ev = tuple(c for c in evasions if c in chosen)
                return ws, ev

    for _ in range(n_combo):
        out.append(("copy", *combo()))
    for _ in range(n_unrel_combo):
        out.append(("unrelated", *combo()))
    return out


def run_language(lang: str, args: argparse.Namespace, log: H.Log) -> dict[str, Any]:
    t0 = time.process_time()
    rng, works, hosts = load_language(lang, SEED, log, sample=N_WORKS_QUICK if args.quick else None)
    guard = RunGuard([w.text for w in works], lang)
    gen = WashGenerator(works, hosts, lang, guard=guard)
    work_text = {w.work_id: w.text for w in works}
    sizes = QUICK_SIZES if args.quick else SIZES[lang]
    cases: list[WashCase] = []
    for kind, ws, ev in specs(lang, rng, sizes):
        if kind == "copy":
            c = gen.wash_case(rng, ws, ev)
            check_wash_case(c, work_text)
        else:
            c = gen.unrelated_wash(rng, ws, ev)
        cases.append(c)
    cpu_gen = time.process_time() - t0
    t0 = time.process_time()
    reg = tp.Registry()
    reg.register_many((w.work_id, w.text) for w in works)
    cpu_reg = time.process_time() - t0
    t0 = time.process_time()
    outs = [score(c, reg.check(c.query), work_text) for c in cases]
    cpu_check = time.process_time() - t0
    copies = [o for o in outs if o.case.work_id is not None]
    unrelated = [o for o in outs if o.case.work_id is None]
    log("")
    log(
        f"## {lang}: {len(works)} works, {len(copies)} washed copies, "
        f"{len(unrelated)} unrelated washed posts"
    )
    log("")
    log(
        f"generation {cpu_gen:.0f} s CPU; registration {cpu_reg:.0f} s CPU; checks "
        f"{cpu_check:.0f} s CPU ({1000 * cpu_check / len(outs):.0f} ms per post); host "
        f"stretches redrawn because they shared a run with a work: {gen.n_host_rejected}"
    )
    groups: dict[str, tuple[list[Outcome], list[Outcome]]] = {}

    def add(name: str, pred: Any) -> None:
        groups[name] = (
            [o for o in copies if pred(o.case)],
            [o for o in unrelated if pred(o.case)],
        )

    for w in WASHINGS[lang]:
        add(w, lambda c, w=w: c.washings == (w,) and not c.evasions)
    add("two washings/evasions", lambda c: len(c.washings) + len(c.evasions) == 2)
    add("three washings/evasions", lambda c: len(c.washings) + len(c.evasions) == 3)
    add("with a copy-suite evasion", lambda c: bool(c.evasions))
    for w in WASHINGS[lang]:
        add(f"{w}, in any post", lambda c, w=w: w in c.washings)
    add("whole short work", lambda c: c.whole_work)
    add("sentences with a whole short work", lambda c: c.whole_work and "sentences" in c.washings)
    add("overall", lambda c: True)
    rows: list[list[object]] = []
    summary: dict[str, Any] = {
        "lang": lang,
        "works": len(works),
        "groups": {},
        "cpu": {"generation": cpu_gen, "registration": cpu_reg, "checks": cpu_check},
    }
    for name, (cs, us) in groups.items():
        if not cs and not us:
            continue
        p, r, f1 = char_f1(cs)
        recall = float(np.mean([o.top1 for o in cs])) if cs else float("nan")
        found = float(np.mean([o.found for o in cs])) if cs else float("nan")
        false = float(np.mean([bool(o.hits) for o in us])) if us else float("nan")
        rows.append([name, len(cs), recall, found, p, r, f1, len(us), false])
        summary["groups"][name] = {
            "copies": len(cs),
            "recall": recall,
            "found": found,
            "precision": p,
            "char_recall": r,
            "f1": f1,
            "unrelated": len(us),
            "false_hits": false,
        }
    log("")
    log(H.table(GROUP_HEADERS, rows))
    summary["rows"] = rows
    misses = [o for o in copies if not o.top1]
    low = sorted((o for o in copies if o.top1), key=lambda o: o.tp_chars / max(o.truth_chars, 1))
    title = f"Washed copies whose true work is not the first hit: {len(misses)}"
    log_cases(log, title, misses[: args.show], lambda o: show(log, o, work_text))
    log_cases(
        log, "First hit right, lowest character recall:", low[:3], lambda o: show(log, o, work_text)
    )
    false_hits = [o for o in unrelated if o.hits]
    log("")
    log(f"Unrelated washed posts with a hit: {len(false_hits)}")
    for o in false_hits[: args.show]:
        h = o.hits[0]
        p0 = h.passages[0]
        log(f"- {o.case.label}: {len(o.hits)} hits; first {h.work_id}, passages {h.passages[:2]}")
        log(f"  post: {snippet(o.case.query, p0.query_start, p0.query_end)}")
        log(f"  work: {snippet(work_text[str(h.work_id)], p0.source_start, p0.source_end)}")
    return summary


def show(log: H.Log, o: Outcome, works: dict[str, str]) -> None:
    c = o.case
    assert c.work_id is not None
    qn = sum(b - a for a, b in c.query_truth)
    log(
        f"- {c.label}: true {c.work_id} ({len(works[c.work_id])} chars, copied {qn}"
        f"{', whole' if c.whole_work else ''}); hits "
        f"{[(h.work_id, h.copied_chars) for h in o.hits[:3]]}; chars found "
        f"{o.tp_chars}/{o.truth_chars}"
    )
    a, b = c.query_truth[0]
    log(f"  post: {snippet(c.query, a, min(b, a + 60))}")


def measure(args: argparse.Namespace, log: H.Log) -> dict[str, Any]:
    H.require_corpora(*corpora_for(args.langs))
    tp.compare("warm up 天下大势 てすと", "warm up 天下大势 てすと")
    return {"languages": [run_language(lang, args, log) for lang in args.langs]}


def render(results: dict[str, Any]) -> H.Page:
    langs = results["languages"]
    overall = {r["lang"]: r["groups"]["overall"] for r in langs}
    summary = [
        "Washed copies in unrelated text, checked with a default `tp.Registry`: true work "
        "first "
        + ", ".join(f"{k} {v['recall']:.3f}" for k, v in overall.items())
        + "; false hits on unrelated washed posts "
        + ", ".join(f"{k} {v['false_hits']:.3f}" for k, v in overall.items())
        + "; passage character F1 "
        + ", ".join(f"{k} {v['f1']:.3f}" for k, v in overall.items())
        + "."
    ]
    tables = [
        H.Table(
            GROUP_HEADERS,
            r["rows"],
            title=f"Per washing ({r['lang']}, {r['works']} works)",
            align="l" + "r" * 8,
        )
        for r in langs
    ]
    return H.Page(
        title="Article washing (洗稿)",
        command="python -m benchmarks.bench_washing",
        summary=summary,
        tables=tables,
        protocol=PROTOCOL + "\n\n" + H.corpora_note(*corpora_for(r["lang"] for r in langs)),
    )


PROTOCOL = f"""
Works and host text as in the copy suites (`benchmarks.textgen.works`), registered in one
in-memory `tp.Registry()` with default settings, as a platform would use it. Posts
(`benchmarks.textgen.washcases`, seed {SEED}): a copy of 300-1,500 characters (or a whole
shorter work) in unrelated host text, under one washing, or two or three items among the
washings and the copy suites' evasions (*with a copy-suite evasion*: Traditional, full-width,
zero-width, punctuation, case, 1-5% edits, shuffled pieces); unrelated washed posts share no run
of 12 characters (8 words in English) with any work. Each post is checked with
`Registry.check(post)` at default settings. *recall (first)*: the true work is the first hit;
*found*: it is among the hits; *char F1*: passage characters in the post and the work against
the truth (inserted filler and dropped sentences count as not copied); *false hits*: unrelated
washed posts with any hit.
"""


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--langs", nargs="+", default=list(LANGS), choices=LANGS)
    parser.add_argument("--show", type=int, default=8, help="failures shown per language")


if __name__ == "__main__":
    H.main("washing", __doc__, measure, render, add_args=add_args, write=write_quality_page)
