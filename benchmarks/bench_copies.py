"""Benchmark: finding edited copies of registered works in Chinese, Japanese and English.

Protocol: works and hosts per language from the corpora (`benchmarks.textgen.works`); queries
from `benchmarks.textgen` (seeded): copies of 200-1,500 characters (or a whole shorter work)
between 0-1,200 characters of host text on each side, under random combinations of evasions,
with the truth of every copied piece, and unrelated queries sharing no run of 12 characters
(8 words in English) with any work. Retrieval without a Registry: ``tp.fingerprints`` of every
work in an inverted index built here, candidates ranked by shared fingerprints,
``tp.compare(query, work)`` on the top 10; a candidate with a passage is a hit. Measures per
language and per evasion: true work ranked first, false-hit rate on unrelated queries, passage
character F1. Also: each edition of the Aozora works in two editions against the other.

    python -m benchmarks.bench_copies            # 300 copies + 300 unrelated per language
    python -m benchmarks.bench_copies --quick    # 40 + 40 per language against 150 works
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as a file

import textprint as tp
from benchmarks import harness as H  # noqa: N812
from benchmarks.quality import char_f1, log_cases, snippet, write_quality_page
from benchmarks.textgen import EVASIONS, Case, CopyGenerator, RunGuard, Work, check_case
from benchmarks.textgen.works import aozora_groups, corpora_for, load_language

SEED = 0
TOP_CANDIDATES = 10
N_CASES, N_CASES_QUICK = 300, 40
N_WORKS_QUICK = 150
LANGS = ("zh", "ja", "en")
EV_HEADERS = ["copies with", "n", "ranked first", "found", "char P", "char R", "char F1"]
SUMMARY_HEADERS = [
    "lang",
    "ranked first",
    "false hits",
    "ranked first (rule)",
    "false hits (rule)",
    "char F1",
    "char P",
    "char R",
    "works",
    "copies",
    "unrelated",
    "query CPU s",
]


# ---------------------------------------------------------------------------------------------
# Registry-like retrieval


@dataclass
class Hit:
    work_id: str
    covered: int
    comparison: tp.Comparison
    reportable: bool = True


#: The Registry's documented default: about 200 copied CJK characters or about 40 words, or
#: most of a work shorter than that (applied to this script's hits beside "any passage").
RULE_CJK_CHARS, RULE_WORDS = 200, 40


def reportable(query: str, work: str, c: tp.Comparison, covered: int) -> bool:
    """Would the Registry's default rule report this comparison?"""
    cjk = sum(1 for ch in work[:2000] if ord(ch) >= 0x2E80) > len(work[:2000]) / 4
    if cjk:
        if covered >= RULE_CJK_CHARS:
            return True
        short = len(work) < RULE_CJK_CHARS
    else:
        words = sum(len(re.findall(r"\w+", query[p.query_start : p.query_end])) for p in c.passages)
        if words >= RULE_WORDS:
            return True
        short = len(re.findall(r"\w+", work)) < RULE_WORDS
    return short and c.source_containment >= 0.5


@dataclass
class Searcher:
    works: list[Work]
    index: dict[int, list[int]] = field(default_factory=dict)
    cpu_index: float = 0.0
    cpu_query: float = 0.0
    n_compares: int = 0

    def build(self) -> None:
        t0 = time.process_time()
        fps = tp.fingerprints([w.text for w in self.works])
        for wi, fp in enumerate(fps):
            for h in set(fp.hashes.tolist()):
                self.index.setdefault(h, []).append(wi)
        self.cpu_index = time.process_time() - t0

    def search(self, query: str) -> tuple[list[Hit], list[str]]:
        """Hits best first, and the candidate work ids compared."""
        t0 = time.process_time()
        fq = tp.fingerprint(query)
        counts: Counter[int] = Counter()
        for h in set(fq.hashes.tolist()):
            for wi in self.index.get(h, ()):
                counts[wi] += 1
        cands = sorted(counts.items(), key=lambda x: (-x[1], self.works[x[0]].work_id))
        cands = cands[:TOP_CANDIDATES]
        hits: list[Hit] = []
        for wi, _ in cands:
            c = tp.compare(query, self.works[wi].text)
            self.n_compares += 1
            if c.passages:
                w = self.works[wi]
                cov = covered_chars(c.passages, len(query))
                hits.append(Hit(w.work_id, cov, c, reportable(query, w.text, c, cov)))
        hits.sort(key=lambda h: (-h.covered, h.work_id))
        self.cpu_query += time.process_time() - t0
        return hits, [self.works[wi].work_id for wi, _ in cands]


def covered_chars(passages: Sequence[tp.Passage], n: int) -> int:
    mask = np.zeros(n, dtype=bool)
    for p in passages:
        mask[p.query_start : p.query_end] = True
    return int(mask.sum())


# ---------------------------------------------------------------------------------------------
# Scoring


@dataclass
class Score:
    """Per copy case: retrieval outcome and character counts for F1."""

    case: Case
    top1: bool
    found: bool
    in_candidates: bool
    tp_chars: int
    pred_chars: int
    truth_chars: int
    extra_hits: int
    hits: list[Hit]
    top1_rule: bool = False


def score_copy(case: Case, hits: list[Hit], cands: list[str], works: dict[str, str]) -> Score:
    assert case.work_id is not None
    q_truth = np.zeros(len(case.query), dtype=bool)
    s_truth = np.zeros(len(works[case.work_id]), dtype=bool)
    for p in case.pieces:
        q_truth[p.query_start : p.query_end] = True
        s_truth[p.source_start : p.source_end] = True
    tp_chars = pred = 0
    found = False
    for h in hits:
        qm = np.zeros(len(case.query), dtype=bool)
        sm = np.zeros(len(works[h.work_id]), dtype=bool)
        for hit_p in h.comparison.passages:
            qm[hit_p.query_start : hit_p.query_end] = True
            sm[hit_p.source_start : hit_p.source_end] = True
        pred += int(qm.sum() + sm.sum())
        if h.work_id == case.work_id:
            found = True
            tp_chars += int((qm & q_truth).sum() + (sm & s_truth).sum())
    return Score(
        case=case,
        top1=bool(hits) and hits[0].work_id == case.work_id,
        found=found,
        in_candidates=case.work_id in cands,
        tp_chars=tp_chars,
        pred_chars=pred,
        truth_chars=int(q_truth.sum() + s_truth.sum()),
        extra_hits=sum(h.work_id != case.work_id for h in hits),
        hits=hits,
        top1_rule=any(h.reportable for h in hits)
        and next(h for h in hits if h.reportable).work_id == case.work_id,
    )


# ---------------------------------------------------------------------------------------------
# Editions


OLD_MARKERS = (
    "ゐ",
    "ゑ",
    "つた",
    "つて",
    "やう",
    "當",
    "來",
    "國",
    "學",
    "會",
    "爲",
    "體",
    "聲",
    "氣",
)


def old_score(text: str) -> float:
    """Old-orthography markers per 1,000 characters (historical kana, old kanji forms)."""
    return 1000 * sum(text.count(m) for m in OLD_MARKERS) / max(len(text), 1)


#: Two texts under one (author, title) whose lengths differ by more than this ratio are not
#: two editions of one work (Aozora has, e.g., two different works titled 仙人 by 芥川龍之介).
EDITION_LENGTH_RATIO = 0.8


def editions(log: H.Log, quick: bool) -> dict[str, Any]:
    groups = [g for g in aozora_groups().values() if len(g) > 1]
    if quick:
        groups = groups[:8]
    rows = []
    other_rows = []
    n_pairs = n_found = n_found_dir = n_cont = 0
    conts: list[float] = []
    failures = []
    cpu = 0.0
    for g in groups:
        for a, b in combinations(g, 2):
            ta, tb = str(a["text"]), str(b["text"])
            if old_score(ta) < old_score(tb):
                a, b, ta, tb = b, a, tb, ta  # a: the older-looking edition
            t0 = time.process_time()
            ab = tp.compare(ta, tb)
            ba = tp.compare(tb, ta)
            cpu += time.process_time() - t0
            big_ab = max((p.query_end - p.query_start for p in ab.passages), default=0) / len(ta)
            big_ba = max((p.query_end - p.query_start for p in ba.passages), default=0) / len(tb)
            ok_ab, ok_ba = big_ab >= 0.5, big_ba >= 0.5
            row: list[object] = [
                f"{a['title']} ({a['author']})",
                f"{a['work_id']}/{b['work_id']}",
                f"{len(ta)}/{len(tb)}",
                f"{old_score(ta):.0f}/{old_score(tb):.0f}",
                ab.containment,
                ba.containment,
                f"{len(ab.passages)}/{len(ba.passages)}",
                big_ab,
                big_ba,
                "yes" if ok_ab and ok_ba else "NO",
            ]
            if min(len(ta), len(tb)) < EDITION_LENGTH_RATIO * max(len(ta), len(tb)):
                other_rows.append(row)
                continue
            rows.append(row)
            n_pairs += 1
            n_found_dir += ok_ab + ok_ba
            n_found += ok_ab and ok_ba
            n_cont += min(ab.containment, ba.containment) >= 0.9
            conts += [ab.containment, ba.containment]
            if not (ok_ab and ok_ba):
                failures.append((a, b, ab, ba))
    headers = [
        "work",
        "ids",
        "chars",
        "old/new",
        "cont old->new",
        "cont new->old",
        "passages",
        "largest old->new",
        "largest new->old",
        "found",
    ]
    log("")
    log("## Aozora works in two or three editions: each edition against the other")
    log("")
    log(
        "old/new = old-orthography markers per 1,000 characters (the first edition of each pair "
        "is the older-looking one); cont = containment; largest = share of the query covered "
        "by the largest single passage; found = largest >= 0.5 in both directions"
    )
    log("")
    log(H.table(headers, rows, align="lllrrrrrrl"))
    log("")
    log(
        f"{n_found}/{n_pairs} edition pairs found with one passage covering most of the text "
        f"in both directions ({n_found_dir}/{2 * n_pairs} directions); {n_cont}/{n_pairs} with "
        f"containment >= 0.9 in both directions; containment mean {np.mean(conts):.3f}, "
        f"min {np.min(conts):.3f}; {cpu:.1f} s CPU"
    )
    if other_rows:
        log("")
        log(
            f"Same author and title but lengths differing by more than "
            f"{1 - EDITION_LENGTH_RATIO:.0%}: not two editions of one text (not scored):"
        )
        log(H.table(headers, other_rows, align="lllrrrrrrl"))
    log("")
    log("Where the passages of some unfound pairs break (old edition, then new):")
    for a, b, ab, _ba in failures[:5]:
        ta, tb = str(a["text"]), str(b["text"])
        ps = ab.passages
        log(f"- {a['title']} {a['work_id']} vs {b['work_id']}: {len(ps)} passages")
        for p, q in list(itertools.pairwise(ps))[:2]:
            log(f"    {ta[p.query_end - 12 : q.query_start + 12]!r}")
            log(f"    {tb[p.source_end - 12 : q.source_start + 12]!r}")
    return {
        "headers": headers,
        "rows": rows,
        "pairs": n_pairs,
        "found": n_found,
        "found_dirs": n_found_dir,
        "found_cont": n_cont,
        "cont_mean": float(np.mean(conts)),
        "cont_min": float(np.min(conts)),
        "not_editions": len(other_rows),
    }


# ---------------------------------------------------------------------------------------------


def run_language(lang: str, args: argparse.Namespace, log: H.Log) -> dict[str, Any]:
    t0 = time.process_time()
    rng, works, hosts = load_language(lang, SEED, log, sample=N_WORKS_QUICK if args.quick else None)
    n_cases = N_CASES_QUICK if args.quick else N_CASES
    gen = CopyGenerator(works, hosts, lang, guard=RunGuard([w.text for w in works], lang))
    work_text = {w.work_id: w.text for w in works}
    copies = [gen.copy_case(rng) for _ in range(n_cases)]
    unrelated = [gen.unrelated_case(rng) for _ in range(n_cases)]
    for c in copies:
        check_case(c, work_text, lang)
    cpu_gen = time.process_time() - t0
    lengths = [len(w.text) for w in works]
    log("")
    log(f"## {lang}: {len(works)} works, {len(copies)} copies, {len(unrelated)} unrelated queries")
    log(
        f"works: {sum(lengths) / 1e6:.2f} M characters, median {int(np.median(lengths))}, "
        f"{sum(n < 1000 for n in lengths)} short works (< 1,000 characters, kept whole); "
        f"host pool {sum(len(t) for _, t in hosts) / 1e6:.2f} M characters; host stretches "
        f"redrawn because they shared a run with a work: {gen.n_host_rejected}; "
        f"generation and checks {cpu_gen:.1f} s CPU"
    )
    searcher = Searcher(works)
    searcher.build()
    scores = [score_copy(c, *searcher.search(c.query), work_text) for c in copies]
    false_hits: list[tuple[Case, list[Hit]]] = []
    n_cand_unrel = 0
    for c in unrelated:
        hits, cands = searcher.search(c.query)
        n_cand_unrel += len(cands)
        if hits:
            false_hits.append((c, hits))
    n_queries = len(copies) + len(unrelated)
    p, r, f1 = char_f1(scores)
    result = {
        "lang": lang,
        "works": len(works),
        "copies": len(copies),
        "unrelated": len(unrelated),
        "top1": float(np.mean([s.top1 for s in scores])),
        "in_candidates": float(np.mean([s.in_candidates for s in scores])),
        "found": float(np.mean([s.found for s in scores])),
        "false_rate": len(false_hits) / len(unrelated),
        "false_hits": len(false_hits),
        "false_rule": sum(any(h.reportable for h in hits) for _, hits in false_hits)
        / len(unrelated),
        "top1_rule": float(np.mean([s.top1_rule for s in scores])),
        "extra_hits": float(np.mean([s.extra_hits for s in scores])),
        "f1": f1,
        "precision": p,
        "recall": r,
        "cpu_query": searcher.cpu_query,
        "cpu_index": searcher.cpu_index,
        "evasions": (rows := evasion_rows(lang, scores)),
    }
    log(
        f"index: {searcher.cpu_index:.1f} s CPU (tp.fingerprints of the works + dict); "
        f"queries: {searcher.cpu_query:.1f} s CPU for {n_queries} queries, "
        f"{searcher.n_compares} compare() calls ({1000 * searcher.cpu_query / n_queries:.0f} "
        f"ms per query); candidates per unrelated query {n_cand_unrel / len(unrelated):.1f}"
    )
    log(H.table(EV_HEADERS, rows))
    failures(log, scores, false_hits, work_text)
    return result


def evasion_rows(lang: str, scores: list[Score]) -> list[list[object]]:
    """Per evasion (and a few other groups of copies): retrieval and passage figures."""
    groups: dict[str, list[Score]] = {"verbatim": [s for s in scores if not s.case.evasions]}
    for e in EVASIONS[lang]:
        groups[e] = [s for s in scores if e in s.case.evasions]
    groups["only one evasion"] = [s for s in scores if len(s.case.evasions) == 1]
    groups["3 or more evasions"] = [s for s in scores if len(s.case.evasions) >= 3]
    groups["whole short work"] = [s for s in scores if s.case.whole_work]
    groups["edits >= 4%"] = [s for s in scores if s.case.edit_rate >= 0.04]
    rows: list[list[object]] = []
    for name, ss in groups.items():
        if ss:
            gp, gr, gf = char_f1(ss)
            top1 = float(np.mean([s.top1 for s in ss]))
            rows.append([name, len(ss), top1, float(np.mean([s.found for s in ss])), gp, gr, gf])
    return rows


def failures(
    log: H.Log,
    scores: list[Score],
    false_hits: list[tuple[Case, list[Hit]]],
    work_text: dict[str, str],
) -> None:
    misses = [s for s in scores if not s.top1]
    low = sorted((s for s in scores if s.top1), key=lambda s: s.tp_chars / max(s.truth_chars, 1))
    title = f"Copies whose true work is not ranked first: {len(misses)}"
    log_cases(log, title, misses[:5], lambda s: show_copy(log, s, work_text))
    title = "Ranked first but with the lowest character recall:"
    log_cases(log, title, low[:3], lambda s: show_copy(log, s, work_text))
    log("")
    log(f"Unrelated queries with a false hit: {len(false_hits)}")
    for c, hits in false_hits[:5]:
        h = hits[0]
        log(f"- {len(hits)} hits; first {h.work_id}: passages {h.comparison.passages[:3]}")
        pz = h.comparison.passages[0]
        log(f"  query: {snippet(c.query, pz.query_start, pz.query_end, 30, 90)}")
        log(f"  work:  {snippet(work_text[h.work_id], pz.source_start, pz.source_end, 30, 90)}")


def show_copy(log: H.Log, s: Score, works: dict[str, str]) -> None:
    c = s.case
    assert c.work_id is not None
    log(
        f"- true {c.work_id}, evasions {list(c.evasions) or 'none'}"
        + (f" (edit rate {c.edit_rate:.3f})" if c.edit_rate else "")
        + f", pieces {[tuple(p.__dict__.values()) for p in c.pieces]}"
    )
    log(
        f"  hits: {[(h.work_id, h.covered) for h in s.hits[:4]]}; "
        f"chars found {s.tp_chars}/{s.truth_chars}"
    )
    for h in s.hits:
        if h.work_id == c.work_id:
            log(f"  passages on the true work: {list(h.comparison.passages)[:4]}")
    p = c.pieces[0]
    log(f"  query piece 0: {snippet(c.query, p.query_start, p.query_end, 30, 90)}")
    log(f"  work piece 0:  {snippet(works[c.work_id], p.source_start, p.source_end, 30, 90)}")


def measure(args: argparse.Namespace, log: H.Log) -> dict[str, Any]:
    H.require_corpora(*corpora_for(args.langs))
    tp.compare("warm up 天下大势 てすと", "warm up 天下大势 てすと")
    languages = [run_language(lang, args, log) for lang in args.langs]
    ed = editions(log, args.quick) if "ja" in args.langs else None
    log("")
    log(H.table(SUMMARY_HEADERS, summary_rows(languages)))
    return {"languages": languages, "editions": ed}


def summary_rows(languages: list[dict[str, Any]]) -> list[list[object]]:
    return [
        [
            r["lang"],
            r["top1"],
            r["false_rate"],
            r["top1_rule"],
            r["false_rule"],
            r["f1"],
            r["precision"],
            r["recall"],
            r["works"],
            r["copies"],
            r["unrelated"],
            f"{r['cpu_query']:.0f}",
        ]
        for r in languages
    ]


def render(results: dict[str, Any]) -> H.Page:
    langs = results["languages"]
    ed = results["editions"]
    summary = [
        "Edited copies embedded in unrelated text, registry-like retrieval: true work ranked "
        "first "
        + ", ".join(f"{r['lang']} {r['top1']:.3f}" for r in langs)
        + "; false hits on unrelated queries "
        + ", ".join(f"{r['lang']} {r['false_rate']:.3f}" for r in langs)
        + "; passage character F1 "
        + ", ".join(f"{r['lang']} {r['f1']:.3f}" for r in langs)
        + "."
    ]
    tables = [H.Table(SUMMARY_HEADERS, summary_rows(langs), title="Copies with evasions")]
    tables += [
        H.Table(EV_HEADERS, r["evasions"], title=f"Copies with evasions, per evasion ({r['lang']})")
        for r in langs
    ]
    sections = []
    if ed is not None:
        sections.append(
            (
                "Aozora works in two or three editions",
                f"{ed['found']}/{ed['pairs']} pairs of editions find each other with one passage "
                f"covering most (>= 50%) of the text in both directions ({ed['found_dirs']}/"
                f"{2 * ed['pairs']} directions); {ed['found_cont']}/{ed['pairs']} with containment "
                f">= 0.9 both ways; containment mean {ed['cont_mean']:.3f}, min "
                f"{ed['cont_min']:.3f}. {ed['not_editions']} more same-title pairs differ in "
                "length by over 20% and are different texts (not scored). The pairs are listed "
                "under the raw data.",
            )
        )
    page = H.Page(
        title="Copies with evasions",
        command="python -m benchmarks.bench_copies",
        summary=summary,
        tables=tables,
        protocol=PROTOCOL + "\n\n" + H.corpora_note(*corpora_for(r["lang"] for r in langs)),
        sections=sections,
    )
    if ed is not None:
        page.raw.append(
            H.Raw(
                "Aozora editions, each against the other",
                H.table(ed["headers"], ed["rows"], align="lllrrrrrrl"),
                markdown=True,
            )
        )
    return page


PROTOCOL = """
Works and hosts per language (`benchmarks.textgen.works`): Chinese novels (a 1,000-5,000
character window of each chapter) and 540 Wikipedia paragraphs, one edition of each Aozora work
and JGLUE articles, windows of Gutenberg books; documents sharing more than 5% of their runs
with an earlier one are dropped. Queries (`benchmarks.textgen`, seed 0): a copy of 200-1,500
characters (or a whole shorter work), sometimes cut into pieces and reordered, with edits and
formatting evasions, embedded in unrelated host text; as many unrelated queries, checked to
share no run of 12 characters (8 words) with any work. Retrieval: `tp.fingerprints` of the
works in an inverted index built by the script, `tp.compare` on the 10 works sharing most
fingerprints, hits ranked by covered query characters. A hit is any candidate with a passage;
the *(rule)* columns count only hits the Registry's default would report (about 200 CJK
characters or 40 words covered, or most of a shorter work). Character precision, recall and F1
count the characters of the passages against the truth, in the query and in the work.
"""


def plots(results: dict[str, Any], folder: Path) -> list[H.Plot]:
    langs = results["languages"]
    plt = H.plt()
    fig, axes = plt.subplots(1, len(langs), figsize=(5 * len(langs), 4.2), sharey=True)
    for ax, r in zip(np.atleast_1d(axes), langs):
        rows = r["evasions"]
        x = np.arange(len(rows))
        ax.bar(x - 0.2, [row[2] for row in rows], 0.4, label="true work ranked first")
        ax.bar(x + 0.2, [row[6] for row in rows], 0.4, label="passage char F1")
        ax.set_xticks(x, [row[0] for row in rows], rotation=60, ha="right", fontsize=8)
        ax.set_title(r["lang"])
        ax.set_ylim(0.5, 1.0)
    np.atleast_1d(axes)[0].legend(fontsize=8, loc="lower left")
    fig.suptitle("Edited copies: retrieval and passages per evasion")
    H.save_figure(fig, folder / "quality_copies.png")
    return [H.Plot("quality_copies.png", "Edited copies per evasion")]


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--langs", nargs="+", default=list(LANGS), choices=LANGS)


if __name__ == "__main__":
    H.main("copies", __doc__, measure, render, plots, add_args=add_args, write=write_quality_page)
