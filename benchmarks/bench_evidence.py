"""Benchmark: evidence a platform can act on (passage kinds, quotation, attribution, E-values).

Protocol:

1. **Marks.** Works and host text as in ``bench_copies.py`` (zh: zh-classic-novels chapters
   cut to 1,000-5,000 characters and zh-cmrc2018-wiki passages; ja: aozora-pd-ja and ja-jglue;
   en: en-gutenberg windows), registered in one ``tp.Registry()`` with their corpus metadata
   (``title``, and ``author`` where the corpus gives one: cmrc and JGLUE give none; 5 % of the
   works get metadata without either). Posts from :mod:`quotegen` (seeded): a copy of 200-1,200
   characters quoted and attributed, quoted only, attributed only, or neither, under the
   evasions listed there, and two controls (the work named far from the copy; another work
   named next to it). Each post is checked with default settings. Measures, on the true
   work's Hit: precision and recall of ``quoted`` (per passage) and ``attributed`` (per Hit,
   the controls counting as not attributed), and of what ``unattributed_only=True`` reports;
   passage-kind accuracy (*edited* when the edits changed a letter of the copy) and the
   evasions seen against those that changed the copy. Goal: >= 0.95 for every mark.
2. **E-value calibration** (:mod:`evidence_calibration`): works from one half of the
   documents, unrelated posts from the other half; every work sharing a fingerprint with a post
   gets its E-value; the number of chance matches with ``E <= t`` per post should be ``t``
   (within a factor of 2 across three orders of magnitude). The constants were fitted with
   ``--fit`` on split 1; the page reports split 2 (other works, other posts).
3. **Cost.** The share of a check's time spent on the evidence of this issue: a 2,000-character
   article copying 600 characters of one of 3,000 registered works, timed whole and stage by
   stage (E-values; passage facts; attribution), in one process.

    python benchmarks/bench_evidence.py             # writes docs/benchmarks/evidence.md
    python benchmarks/bench_evidence.py --quick     # a small slice, prints only
    python benchmarks/bench_evidence.py --fit       # fits the E-value constants on split 1
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: N812
import evidence_calibration as EC  # noqa: N812
import textprint as tp
from bench_copies import CORPORA_OF, LOADERS
from copygen import CopyGenerator, RunGuard
from quotegen import CONTROLS, PRESENTATIONS, REPORTED, MarkCase, MarksGenerator, MarkWork
from textprint.registry import _significance

SEED = 15
LANGS = ("zh", "ja", "en")
GOAL = 0.95
#: cases per presentation and per control (and with --quick)
N_CASES, N_CONTROLS = 100, 50
N_CASES_QUICK, N_CONTROLS_QUICK = 12, 6
N_WORKS_QUICK = 300
#: the calibration split the page reports (the constants were fitted on split FIT_SPLIT)
TEST_SPLIT, FIT_SPLIT = 2, 1
NO_NAMES = 0.05


# ---------------------------------------------------------------------------------------------
# Works with their metadata


def corpus_names() -> dict[str, dict[str, Any]]:
    """Document id (as bench_copies names them) -> the title and author its corpus gives."""
    names: dict[str, dict[str, Any]] = {}
    for r in C.iter_docs("zh-classic-novels"):
        names[f"novel:{r['id']}"] = {"title": r["book"], "author": r["author"]}
    for r in C.iter_docs("zh-cmrc2018-wiki"):
        names[f"cmrc:{r['id']}"] = {"title": r["title"]}
    for r in C.iter_docs("aozora-pd-ja"):
        names[f"aozora:{r['id']}"] = {"title": r["title"], "author": r["author"]}
    for r in C.iter_docs("ja-jglue"):
        names[f"jglue:{r['id']}"] = {"title": r["title"]}
    for r in C.iter_docs("en-gutenberg"):
        names[f"gutenberg:{r['id']}"] = {"title": r["title"], "author": r["author"]}
    return names


def mark_works(
    lang: str, rng: random.Random, quick: bool, rep: C.Report
) -> tuple[list[MarkWork], CopyGenerator]:
    works, hosts = LOADERS[lang](rng, rep)
    if quick:
        works = random.Random(SEED).sample(works, N_WORKS_QUICK)
    names = corpus_names()
    out = []
    for w in works:
        meta = dict(names.get(w.base_id, {}))
        if rng.random() < NO_NAMES:
            meta = {"source": "a collection without names"}
        out.append(MarkWork(w.work_id, w.base_id, w.text, meta))
    gen = CopyGenerator(works, hosts, lang, guard=RunGuard([w.text for w in works], lang))
    return out, gen


# ---------------------------------------------------------------------------------------------
# Part 1: marks


class Tally:
    """Counts of predicted against true for one binary mark."""

    def __init__(self) -> None:
        self.tp = self.fp = self.fn = self.tn = 0

    def add(self, predicted: bool, truth: bool) -> None:
        if predicted and truth:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif truth:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else math.nan

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else math.nan

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn


def run_marks(lang: str, args: argparse.Namespace, rep: C.Report) -> dict[str, Any]:
    rng = random.Random(SEED * 100 + LANGS.index(lang))
    t0 = time.process_time()
    works, hosts = mark_works(lang, rng, args.quick, rep)
    reg = tp.Registry()
    reg.register_many([(w.work_id, w.text, w.metadata) for w in works], too_short="skip")
    gen = MarksGenerator(works, hosts, lang)
    n, n_ctl = (N_CASES_QUICK, N_CONTROLS_QUICK) if args.quick else (N_CASES, N_CONTROLS)
    cases = [gen.case(rng, p) for p in PRESENTATIONS for _ in range(n)]
    cases += [gen.case(rng, p) for p in CONTROLS for _ in range(n_ctl)]
    cpu_gen = time.process_time() - t0
    t1 = time.process_time()
    all_hits = reg.check_many([c.post for c in cases])
    only_hits = reg.check_many([c.post for c in cases], unattributed_only=True)
    cpu_check = time.process_time() - t1
    quoted, attributed, unattributed = Tally(), Tally(), Tally()
    kinds: Counter[tuple[str, str]] = Counter()
    evasions = {name: Tally() for name in sorted(set(REPORTED.values()))}
    by_form: dict[str, Tally] = defaultdict(Tally)
    by_attribution: dict[str, Tally] = defaultdict(Tally)
    found = 0
    evalues: list[float] = []
    misses: list[tuple[str, MarkCase, Any]] = []
    for case, hits, only in zip(cases, all_hits, only_hits):
        hit = next((h for h in hits if h.work_id == case.work_id), None)
        truth_free = not case.quoted and not case.attributed
        unattributed.add(any(h.work_id == case.work_id for h in only), truth_free)
        if hit is None:
            misses.append(("not found", case, None))
            continue
        found += 1
        evalues.append(hit.evalue if hit.evalue is not None else math.nan)
        attributed.add(hit.attributed, case.attributed)
        if hit.attributed != case.attributed:
            misses.append(("attributed", case, hit))
        if case.attribution:
            by_attribution[case.attribution].add(hit.attributed, case.attributed)
        for d in hit.details:
            quoted.add(d.quoted, case.quoted)
            if case.quote_form:
                by_form[case.quote_form].add(d.quoted, case.quoted)
        if any(d.quoted != case.quoted for d in hit.details):
            misses.append(("quoted", case, hit))
        # how the copy was made, per Hit: its passages together
        edited = any(d.kind == "edited" for d in hit.details)
        kinds[("edited" if case.edited else "identical", "edited" if edited else "identical")] += 1
        seen = {e for d in hit.details for e in d.evasions}
        for name, tally in evasions.items():
            tally.add(name in seen, name in case.evasions)
    n_kind = sum(kinds.values())
    kind_acc = sum(v for (t, p), v in kinds.items() if t == p) / n_kind if n_kind else math.nan
    rep("")
    rep(f"## Marks, {lang}: {len(works)} works, {len(cases)} posts")
    rep("")
    rep(
        f"generation {cpu_gen:.0f} s CPU; checks {cpu_check:.0f} s CPU "
        f"({1000 * cpu_check / (2 * len(cases)):.0f} ms per check); true work found in "
        f"{found}/{len(cases)} posts"
    )
    rows = [
        ["quoted (per passage)", quoted.n, quoted.precision, quoted.recall],
        ["attributed (per Hit)", attributed.n, attributed.precision, attributed.recall],
        [
            "reported by unattributed_only",
            unattributed.n,
            unattributed.precision,
            unattributed.recall,
        ],
    ]
    rows += [[f"evasion {k} (per Hit)", t.n, t.precision, t.recall] for k, t in evasions.items()]
    rep("")
    rep(C.table(["mark", "n", "precision", "recall"], rows))
    rep("")
    rep(
        f"kind accuracy (per Hit: edited when a passage is): {kind_acc:.3f} over {n_kind} "
        "hits; (truth, predicted): "
        + ", ".join(f"{t}->{p} {v}" for (t, p), v in sorted(kinds.items()))
    )
    rep("")
    rep(
        C.table(
            ["quotation form", "passages", "recall"],
            [[k, t.n, t.recall] for k, t in sorted(by_form.items())],
        )
    )
    rep("")
    rep(
        C.table(
            ["attribution form", "hits", "precision", "recall"],
            [[repr(k), t.n, t.precision, t.recall] for k, t in sorted(by_attribution.items())],
        )
    )
    finite = np.array([e for e in evalues if not math.isnan(e)])
    if len(finite):
        rep("")
        rep(
            "E-values of the true hits: median "
            f"{np.median(finite):.1e}, largest {finite.max():.1e}; "
            f"{int((finite <= 1e-10).sum())}/{len(finite)} at most 1e-10"
        )
    for what, case, hit in misses[: args.show]:
        a, b = case.copy_start, case.copy_end
        rep(
            f"- miss ({what}): {case.presentation}, form {case.quote_form or '-'}, "
            f"attribution {case.attribution or '-'}; post ...{case.post[max(0, a - 40) : a]!r} "
            f"[copy] {case.post[b : b + 60]!r}..."
        )
        if hit is not None:
            rep(f"  hit: attributed={hit.attributed}, details={hit.details}")
    reg.close()
    return {
        "lang": lang,
        "works": len(works),
        "posts": len(cases),
        "found": found,
        "quoted": quoted,
        "attributed": attributed,
        "unattributed": unattributed,
        "evasions": evasions,
        "kind_acc": kind_acc,
    }


# ---------------------------------------------------------------------------------------------
# Part 2: calibration


def run_calibration(args: argparse.Namespace, rep: C.Report, split: int) -> dict[str, EC.Levels]:
    out = {}
    for lang in args.langs:
        t0 = time.process_time()
        works, posts = EC.material(lang, split, args.quick)
        lv, info = EC.levels(works, posts)
        out[lang] = lv
        rep(
            f"- {lang}: {info['works']} works ({info['work_chars'] / 1e6:.1f} M characters), "
            f"{info['posts']} posts ({info['post_chars'] / 1e6:.1f} M characters); "
            f"{info['copying']} posts left out (a copy found by the default rule); "
            f"{time.process_time() - t0:.0f} s CPU"
        )
    return out


def calibration_table(by_lang: dict[str, EC.Levels]) -> tuple[str, dict[str, list[Any]]]:
    """The table of observed chance matches per post against t, per language and pooled."""
    curves: dict[str, list[Any]] = {}
    pooled_e, pooled_n = [], 0
    for lang, lv in by_lang.items():
        e = lv.evalues()
        curves[lang] = [(t, pp, n, lv.n_posts) for t, pp, n in EC.observed(e, lv.n_posts)]
        pooled_e.append(e)
        pooled_n += lv.n_posts
    if len(by_lang) > 1:
        e = np.concatenate(pooled_e)
        curves["pooled"] = [(t, pp, n, pooled_n) for t, pp, n in EC.observed(e, pooled_n)]
    headers = ["E-value t", *[f"{k}: observed per post (n)" for k in curves]]
    rows = []
    for i, t in enumerate(EC.THRESHOLDS):
        row: list[object] = [f"{t:.3g}"]
        for pts in curves.values():
            _, pp, n, posts = pts[i]
            mark = "" if t * posts >= EC.MIN_EVENTS else " (few)"
            row.append(f"{pp:.3g} ({n}){mark}")
        rows.append(row)
    return C.table(headers, rows), curves


def agreement(
    curves: dict[str, list[Any]], lam: dict[str, float]
) -> dict[str, tuple[float, float]]:
    """Per curve: the widest range of thresholds, among those measured (expecting at least
    MIN_EVENTS matches and at most a third of the mean expected sharing), over which observed
    and expected agree within a factor of 2."""
    out = {}
    for name, pts in curves.items():
        best = (math.nan, math.nan)
        run_start = None
        for t, pp, _, posts in pts:
            ok = t * posts >= EC.MIN_EVENTS and t <= lam.get(name, math.inf) / 3
            within = ok and pp > 0 and 0.5 <= pp / t <= 2.0
            if within:
                run_start = t if run_start is None else run_start
                if math.isnan(best[0]) or t / run_start > best[1] / best[0]:
                    best = (run_start, t)
            elif ok:
                run_start = None
        out[name] = best
    return out


def plot_calibration(curves: dict[str, list[Any]], folder: Path) -> str:
    plt = C.plt()
    fig, ax = plt.subplots(figsize=(6.2, 5.2))
    ts = np.array(EC.THRESHOLDS)
    ax.plot(ts, ts, color="black", lw=1, label="observed = E")
    ax.fill_between(ts, ts / 2, ts * 2, color="gray", alpha=0.2, label="within a factor of 2")
    for name, pts in curves.items():
        x = [t for t, pp, n, posts in pts if t * posts >= EC.MIN_EVENTS and pp > 0]
        y = [pp for t, pp, n, posts in pts if t * posts >= EC.MIN_EVENTS and pp > 0]
        ax.plot(x, y, marker="o", ms=4, label=name, ls="--" if name == "pooled" else "-")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("E-value threshold t")
    ax.set_ylabel("chance matches with E <= t, per post")
    ax.set_title("E-value calibration on unrelated posts (held-out split)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    folder.mkdir(parents=True, exist_ok=True)
    name = "evidence_calibration.png"
    fig.savefig(folder / name, dpi=110)
    plt.close(fig)
    return name


# ---------------------------------------------------------------------------------------------
# Part 3: cost


def run_cost(rep: C.Report) -> list[list[object]]:
    """Time a check and its evidence stages on a 2,000-character article."""
    from textprint.registry import _candidates, _evidence, _postings, _quotes

    rng = random.Random(SEED)
    works, _ = LOADERS["zh"](rng, C.Report())
    works = works[:3000]
    reg = tp.Registry()
    reg.register_many(
        [(w.work_id, w.text, {"title": w.base_id, "author": "x"}) for w in works],
        too_short="skip",
    )
    host = "".join(w.text for w in works[-3:])[:1400]
    src = works[7].text
    article = host[:700] + src[500:1100] + host[700:1400]
    unrelated = host[:2000]
    reg.check(article)

    def best(fn: Callable[[], Any], n: int = 30) -> float:
        return min(C.cpu_time(fn, repeat=1)[0] for _ in range(n))

    t_hit = best(lambda: reg.check(article))
    t_none = best(lambda: reg.check(unrelated))
    (q,), _ = reg._prepare([article], align=True, sign=False)
    p = q.prepared
    assert p is not None
    sizes = reg._work_sizes()
    with reg._db.snapshot():
        look = _candidates.find(
            lambda keys: reg._index.lookup(_postings.FP, keys), q.fp_hashes, reg._limit()
        )
    gap = _significance.segment_gap(reg.window, reg.k)
    t_levels = best(
        lambda: _candidates.levels(
            look,
            q.fp_starts,
            q.fp_ends,
            q_token_starts=p.tok_starts,
            sizes=sizes,
            segment_gap=gap,
        )
    )
    (hit,) = reg.check(article)
    t_quotes = best(lambda: _quotes.quotation_spans(article))
    t_attr = best(
        lambda: _quotes.attributions(
            article,
            [(x.query_start, x.query_end) for x in hit.passages],
            [works[7].base_id],
            ["x"],
        )
    )
    work = works[7].text

    def facts() -> Any:
        return _evidence.passage_facts(
            article,
            p.tok_starts,
            p.tok_ends,
            hit.passages,
            None,
            lambda a, b: work[max(0, a) : b],
            lambda x: x.query_end - x.query_start,
            [],
        )

    t_facts = best(facts)
    rows: list[list[object]] = [
        ["check, copying article (1 hit)", f"{1000 * t_hit:.2f} ms", ""],
        ["check, unrelated article", f"{1000 * t_none:.2f} ms", ""],
        [
            "E-values of all works sharing a fingerprint",
            f"{1e6 * t_levels:.0f} us",
            f"{t_levels / t_hit:.1%}",
        ],
        ["quotation spans of the article", f"{1e6 * t_quotes:.0f} us", f"{t_quotes / t_hit:.1%}"],
        [
            "passage facts (evasions, quotation vs the work)",
            f"{1e6 * t_facts:.0f} us",
            f"{t_facts / t_hit:.1%}",
        ],
        [
            "attribution (metadata names near the passages)",
            f"{1e6 * t_attr:.0f} us",
            f"{t_attr / t_hit:.1%}",
        ],
    ]
    rep("")
    rep(C.table(["step", "CPU time (best of 30)", "share of the check"], rows))
    reg.close()
    return rows


# ---------------------------------------------------------------------------------------------


def fit(args: argparse.Namespace) -> None:
    rep = C.Report()
    rep(f"Fitting the chance models on split {FIT_SPLIT}:")
    by_lang = run_calibration(args, rep, FIT_SPLIT)
    model_of = {"zh": "zh", "ja": "ja", "en": "words"}
    for lang, lv in by_lang.items():
        m, worst = EC.fit(lv, model_of[lang])
        rep(
            f"  {model_of[lang]!r}: ChanceModel(kappa={m.kappa:.3g}, a={m.a:.3g}, "
            f"rho={m.rho:.3g})  worst factor {worst:.2f}"
        )


def run(args: argparse.Namespace) -> tuple[str, str]:
    rep = C.Report()
    tp.compare("warm up 天下大势 てすと", "warm up 天下大势 てすと")
    marks = [run_marks(lang, args, rep) for lang in args.langs]
    rep("")
    rep(f"## E-value calibration (split {TEST_SPLIT})")
    rep("")
    by_lang = run_calibration(args, rep, TEST_SPLIT)
    table, curves = calibration_table(by_lang)
    rep("")
    rep(table)
    model_of = {"zh": "zh", "ja": "ja", "en": "words"}
    lam = {
        lang: _significance.MODELS[model_of[lang]].kappa
        * float(np.mean(lv.n_keys))
        * lv.total_tokens
        for lang, lv in by_lang.items()
    }
    lam["pooled"] = max(lam.values())
    ranges = agreement(curves, lam)
    rep("")
    for name, (lo, hi) in ranges.items():
        span = math.log10(hi / lo) if not math.isnan(lo) else 0.0
        rep(
            f"{name}: observed within a factor of 2 of E from {lo:.3g} to {hi:.3g} "
            f"({span:.1f} orders of magnitude); mean expected sharing {lam.get(name, 0):.2f}"
        )
    image = plot_calibration(curves, C.DOCS) if not args.quick else ""
    rep("")
    rep("## Cost")
    cost = run_cost(rep)
    summary = [
        [
            m["lang"],
            m["posts"],
            m["found"],
            m["quoted"].precision,
            m["quoted"].recall,
            m["attributed"].precision,
            m["attributed"].recall,
            m["unattributed"].precision,
            m["unattributed"].recall,
            m["kind_acc"],
        ]
        for m in marks
    ]
    headers = [
        "lang",
        "posts",
        "found",
        "quoted P",
        "quoted R",
        "attributed P",
        "attributed R",
        "unattributed_only P",
        "unattributed_only R",
        "kind accuracy",
    ]
    body = [
        "Posts from `benchmarks/quotegen.py` (seed "
        f"{SEED}): a copy of 200-1,200 characters of a registered work, quoted and "
        "attributed, quoted only, attributed only or neither (equal shares), under the usual "
        "evasions, plus controls naming the work far from the copy or naming another work; "
        "checked with `Registry.check` at default settings. Every mark is meant to reach "
        f"precision and recall of {GOAL}.",
        "",
        C.table(headers, summary),
        "",
        "Evasions seen (per Hit: on any of its passages), against those that changed the copy:",
        "",
        C.table(
            ["lang", *[f"{k} P / R" for k in marks[0]["evasions"]]],
            [
                [
                    m["lang"],
                    *[f"{t.precision:.2f} / {t.recall:.2f}" for t in m["evasions"].values()],
                ]
                for m in marks
            ],
        ),
        "",
        "## E-value calibration",
        "",
        "Works from one half of each language's documents, posts (300-3,000 characters; "
        "English 1,000-8,000) from the other half, so that whatever a post shares with a work "
        "is chance. Every work sharing a fingerprint with a post gets the E-value a check "
        "would give it. A calibrated E-value expects `t` chance matches per post at "
        f"`E <= t`. Split {TEST_SPLIT} (the constants were fitted on split {FIT_SPLIT}, other "
        "works and posts). *(few)*: fewer than "
        f"{EC.MIN_EVENTS} matches expected at that threshold (noisy).",
        "",
        table,
        "",
        *[
            f"- {name}: within a factor of 2 from {lo:.3g} to {hi:.3g}"
            + (f" ({math.log10(hi / lo):.1f} orders of magnitude)" if not math.isnan(lo) else "")
            for name, (lo, hi) in ranges.items()
        ],
        "",
        f"![calibration]({image})" if image else "",
        "",
        "## Cost of the evidence in a check",
        "",
        C.table(["step", "CPU time (best of 30)", "share of the check"], cost),
    ]
    return rep.text, "\n".join(body)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    C.add_common_args(parser)
    parser.add_argument("--langs", nargs="+", default=list(LANGS), choices=LANGS)
    parser.add_argument("--show", type=int, default=6, help="misses shown per language")
    parser.add_argument("--fit", action="store_true", help="fit the E-value constants")
    args = parser.parse_args(argv)
    C.require_corpora(*[n for lang in args.langs for n in CORPORA_OF[lang]], "zh-chinese-poetry")
    if args.fit:
        fit(args)
        return
    if args.out is None and not args.quick and list(args.langs) == list(LANGS):
        args.out = C.DOCS / "evidence.md"
    t0 = time.perf_counter()
    output, body = run(args)
    if args.out is not None:
        C.write_markdown(
            args.out,
            title="Evidence: passage kinds, quotation, attribution and E-values",
            command="python benchmarks/bench_evidence.py" + (" --quick" if args.quick else ""),
            info=C.machine_info(),
            body=body,
            output=output,
            runtime=time.perf_counter() - t0,
        )
        print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
