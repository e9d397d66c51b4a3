"""Benchmark: the Registry at 10k, 100k and 1M works, beside the pipeline a datasketch user builds.

Protocol:

- Works: Chinese, 1,000-5,000 characters (lengths uniform). Real text first (zh-classic-novels
  chapters, zh-chinese-poetry poems grouped by collection, zh-cmrc2018-wiki passages, each
  source joined and cut into consecutive works), then generated text: an order-2 character
  model fitted on the real works, sampled for a whole batch of works at once (seeded per
  batch; `benchmarks.textgen.registry`). The output says how many works are real.
- Registration: one SQLite file per size, ``register_many(batch)`` of 1,000 works made
  before the call (making them is not timed, but measured and printed): CPU seconds
  (``time.process_time``) and wall seconds of each batch as the registry grows; the full
  build's time.
- Articles: 2,000 characters of held-out text (never registered; every 23rd novel chapter),
  half copying 300-1,000 characters of one registered work (half of those works real, half
  generated) at a random position, half unrelated. Correct: a copying article returns its
  work first, an unrelated one ``[]``; a hit on an unrelated article whose passages really are
  in the work (difflib ratio >= 0.8 after normalization) is counted as genuinely shared text,
  apart from false positives.
- Checks: the file opened by a fresh process (open time and resident memory after opening and
  after 50 checks), one untimed warm-up check, then every article once, CPU and wall time of
  each ``check``; then ``check_many`` of all of them (articles per CPU second). Once on the
  file as built, once after ``reg.compact()``, each time in a newly opened Registry. The works
  a check verifies are counted in an untimed pass (a diagnostic that wraps the registry's
  private candidate step).
- Size: file bytes per work; the index against the text = the live bytes of every table but
  the stored texts (SQLite's ``dbstat``) over the works' UTF-8 bytes, cross-checked by a
  ``store_text=False`` build at the smallest size; the whole file (live pages, and with free
  pages) against the text, before and after ``compact``.
- The peer, in the same run, on the same works and articles: the pipeline a datasketch user
  builds to ask which work an article copies a passage of. Each work's shingles
  (``tp.shingles``: the same shingles) are cut end to end into passages of 128, each passage
  gets a datasketch ``MinHash`` (``MinHash.bulk``, 128 permutations) in a ``MinHashLSH`` at
  threshold 0.7 (datasketch derives 14 bands of 9 rows). An article is cut into windows of 128
  shingles every 16: a copy of 300 characters holds a whole passage, and the window nearest to
  it has Jaccard >= 0.88 with it. The candidates are re-ranked by exact shingle containment of
  the article in each candidate work (shingled again from the texts the pipeline keeps in
  memory); a hit needs 150 shared shingles. Built and checked in a fresh process (memory =
  growth of its resident set); skipped where its memory, projected from the smaller size,
  would exceed ``--peer-max-gib``.
- Long works: the Aozora works (one edition per author and title) whole, up to 173,000
  characters, against the same works cut into 5,000-character pieces (tokenizers ``char`` and
  ``mecab``); the four classic novels whole (600,000-850,000 characters) against their
  chapters (``jieba``). One ``register_many`` and ``compact()`` per file. Articles: half copy
  a passage of a work chosen in proportion to its length (300-1,000 characters, into ja-jglue
  or zh-cmrc2018-wiki text), half are that text alone. Same checks; a piece's hit counts as
  its work's.
- Japanese and English: 10k works (Aozora, Gutenberg, then generated), checks only.
- Growth: each cost against the number of works on log-log axes; the 10M figures are a
  projection along the exponent fitted to the measured sizes, not a measurement.

    python -m benchmarks.bench_registry                   # 10k, 100k: docs/benchmarks/registry.md
    python -m benchmarks.bench_registry --scale 1000000   # 1M (nox -s bench_registry_1m), merged in
    python -m benchmarks.bench_registry --quick           # 1,000 works, 40 checks, printed only
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as a file

import textprint as tp
from benchmarks import harness as H  # noqa: N812
from benchmarks import registry_tables as T  # noqa: N812
from benchmarks.harness.run import DOCS, RESULTS, write_page
from benchmarks.registry_measures import (
    MIB,
    build,
    check_line,
    file_sizes,
    ms_stats,
)
from benchmarks.textgen import registry as R  # noqa: N812

NAME = "registry"
SIZES, QUICK_SIZE = (10_000, 100_000), 1_000
N_CHECKS, N_CHECKS_QUICK = 200, 40
N_LONG, N_LONG_QUICK = 100, 20
LANG_SIZE = 10_000
PEER_MAX_GIB = 16.0
#: The pipeline's memory per work where no smaller size was measured in the same run (as
#: measured at 10k works: 1,043 MiB)
PEER_BYTES_PER_WORK = 107 * 1024
LONG_CASES = (("aozora", "char"), ("aozora", "mecab"), ("novels", "jieba"))


def mark(res: dict[str, Any], log: H.Log, when: str) -> None:
    """Note the load average and the wall time since the start (the parts' durations)."""
    load, elapsed = os.getloadavg(), time.perf_counter() - res["start"]
    res["loads"].append([when, *load, elapsed])
    log(
        f"load average (1 / 5 / 15 min) {when}: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}; "
        f"{elapsed / 60:.1f} min since the start"
    )


def checked(path: Path, articles: Sequence[R.Article], **extra: Any) -> dict[str, Any]:
    job = {"path": str(path), "articles": [[a.text, a.target] for a in articles], **extra}
    out: dict[str, Any] = H.run_child("benchmarks.registry_measures:checks_child", job)
    return out


def measure_scale(
    n: int, zh: R.Language, args: argparse.Namespace, log: H.Log, tmp: Path, res: dict[str, Any]
) -> dict[str, Any]:
    ws = R.WorkSet(zh, n, args.generator, args.max_real)
    log(f"\n## {ws.describe()}")
    targets = R.choose_targets(ws, args.checks // 2, R.SEED + 1)
    ws.wanted = set(targets)
    path = tmp / f"zh-{n}.db"
    out: dict[str, Any] = {"describe": ws.describe(), "n_real": ws.n_real}
    out["build"] = build(path, ws, log, f"zh {n:,}")
    out["n_chars"], out["utf8"] = ws.n_chars, ws.utf8_bytes
    articles = R.make_articles(
        ws.kept, targets, args.checks - len(targets), zh.heldout, "zh", R.SEED + 2
    )
    out["sizes"] = file_sizes(path)
    mark(res, log, f"before the checks at {n:,}")
    out["built"] = checked(path, articles)
    log("  as built: " + check_line(out["built"]))
    reg = tp.Registry(path)
    c0, w0 = time.process_time(), time.perf_counter()
    reg.compact()
    out["compact"] = [time.process_time() - c0, time.perf_counter() - w0]
    reg.close()
    out["sizes_compact"] = file_sizes(path)
    out["compacted"] = checked(path, articles)
    log(f"  compact(): {out['compact'][0]:.1f} s CPU, {out['compact'][1]:.1f} s wall")
    log("  compacted: " + check_line(out["compacted"]))
    out["same_answers"] = out["built"]["answers"] == out["compacted"]["answers"]
    log(f"  answers after compact() equal those as built: {out['same_answers']}")
    if args.keep is not None:  # the file and its articles, to check again with another textprint
        kept = args.keep / path.name
        path.replace(kept)
        arts = [[a.text, a.target] for a in articles]
        kept.with_suffix(".articles.json").write_text(json.dumps(arts), encoding="utf-8")
        log(f"  kept the file and its articles in {args.keep}")
    else:
        path.unlink()
    if n == min(args.sizes) and not args.scale:  # the index figure, cross-checked
        ws_nt = R.WorkSet(zh, n, args.generator, args.max_real)
        nt = tmp / f"zh-{n}-notext.db"
        out["notext"] = build(nt, ws_nt, log, f"zh {n:,} store_text=False", store_text=False)
        out["notext"]["sizes"] = file_sizes(nt)
        nt.unlink()
    out["peer"] = run_peer(n, articles, args, log, res)
    return out


def run_peer(
    n: int, articles: Sequence[R.Article], args: argparse.Namespace, log: H.Log, res: dict[str, Any]
) -> dict[str, Any]:
    per_work = res.get("peer_bytes_per_work")
    how = "measured at a smaller size in this run" if per_work else "measured at 10k earlier"
    per_work = per_work or PEER_BYTES_PER_WORK
    if per_work * n > args.peer_max_gib * 1024 * MIB:
        note = (
            f"skipped: it would hold about {per_work * n / 1024 / MIB:.0f} GiB in memory "
            f"({per_work / 1024:.0f} KiB per work, {how}), more than --peer-max-gib "
            f"{args.peer_max_gib:g}"
        )
        log(f"  {T.PEER}: {note}")
        return {"skipped": note}
    job = {
        "lang": "zh",
        "n": n,
        "generator": args.generator,
        "max_real": args.max_real,
        "articles": [[a.text, a.target] for a in articles],
    }
    try:
        peer: dict[str, Any] = H.run_child("benchmarks.registry_measures:peer_child", job)
    except RuntimeError as exc:  # e.g. killed for memory: the rest of the run stands
        log(f"  {T.PEER}: FAILED: {str(exc)[-300:]}")
        return {"skipped": f"failed ({str(exc).splitlines()[-1][:200]})"}
    res["peer_bytes_per_work"] = peer["rss_growth"] / n
    s = ms_stats(peer["check_cpu"])
    log(
        f"  {T.PEER}: {peer['n_chunks']:,} passages, {n / peer['cpu']:,.0f} works/s CPU, "
        f"{peer['rss_growth'] / MIB:,.0f} MiB; check CPU p50 {s['p50']:.1f} ms, p99 "
        f"{s['p99']:.1f} ms; right first {peer['right_first']}/{peer['n_copy']}, "
        f"unrelated with a hit {peer['false_hits']}/{peer['n_unrelated']}"
    )
    return peer


def measure_lang(
    lang: str, n: int, args: argparse.Namespace, log: H.Log, tmp: Path
) -> dict[str, Any]:
    language = R.LANGUAGES[lang]()
    ws = R.WorkSet(language, n, "markov", args.max_real)
    log(f"\n## {ws.describe()}")
    targets = R.choose_targets(ws, args.checks // 2, R.SEED + 3)
    ws.wanted = set(targets)
    path = tmp / f"{lang}-{n}.db"
    out: dict[str, Any] = {
        "describe": ws.describe(),
        "build": build(path, ws, log, f"{lang} {n:,}"),
    }
    articles = R.make_articles(
        ws.kept, targets, args.checks - len(targets), language.heldout, lang, R.SEED + 4
    )
    out["checks"] = checked(path, articles)
    log("  " + check_line(out["checks"]))
    path.unlink()
    return out


def measure_long(
    name: str, tokenizer: str, args: argparse.Namespace, log: H.Log, tmp: Path
) -> dict[str, Any]:
    lw = R.long_works(name)
    if args.quick:  # every 6th Aozora work, the first novel; and their pieces
        keep = {w for w, _ in lw.whole[:: 6 if name == "aozora" else 4]}
        lw.whole = [x for x in lw.whole if x[0] in keep]
        lw.pieces = [x for x in lw.pieces if lw.piece_of[x[0]] in keep]
    articles = R.long_articles(lw, args.n_long, R.SEED + 5)
    out: dict[str, Any] = {"lang": lw.lang, "tokenizer": tokenizer}
    log(f"\n## long works: {name}, tokenizer {tokenizer}")
    for variant, works in (("whole", lw.whole), ("pieces", lw.pieces)):
        path = tmp / f"long-{name}-{variant}.db"
        with tp.Registry(path, tokenizer=tokenizer) as reg:
            c0 = time.process_time()
            reg.register_many(works)
            cpu = time.process_time() - c0
            reg.compact()
        extra = {"piece_of": lw.piece_of} if variant == "pieces" else {}
        c = checked(path, articles, **extra)
        c["describe"] = R.describe_lengths(works)
        c["register_cpu"], c["n_chars"] = cpu, sum(len(t) for _, t in works)
        out[variant] = c
        log(f"  {variant} ({c['describe']}): registered {c['n_chars'] / cpu:,.0f} chars/s CPU")
        log("    " + check_line(c))
        path.unlink()
    firsts = [
        [lw.piece_of.get(str(a[0][0]), str(a[0][0])) if a else None for a in out[v]["answers"]]
        for v in ("whole", "pieces")
    ]
    out["agree"] = sum(x == y for x, y in zip(*firsts))
    out["n"] = len(articles)
    log(f"  same work first, whole and pieces: {out['agree']}/{out['n']}")
    return out


def measure(args: argparse.Namespace, log: H.Log) -> dict[str, Any]:
    H.require_corpora(*{c for cs in R.CORPORA.values() for c in cs}, "ja-jglue")
    if args.quick:
        args.sizes, args.checks, args.n_long = [QUICK_SIZE], N_CHECKS_QUICK, N_LONG_QUICK
        args.max_real = QUICK_SIZE // 2  # half real, half generated: both paths run
    else:
        args.sizes = [args.scale] if args.scale else sorted(args.sizes)
        args.checks, args.n_long, args.max_real = N_CHECKS, N_LONG, None
    res: dict[str, Any] = {"sizes": args.sizes, "scales": {}, "langs": {}, "long": {}, "loads": []}
    res["start"] = time.perf_counter()
    res["params"] = {"checks": args.checks, "generator": args.generator}
    mark(res, log, "at the start")
    zh = R.zh_language()
    log(f"zh: {len(zh.real):,} real works, held-out text {len(zh.heldout):,} characters")
    with tempfile.TemporaryDirectory(prefix="textprint-bench-registry-", dir=args.tmp_dir) as d:
        tmp = Path(d)
        for n in args.sizes:
            res["scales"][str(n)] = measure_scale(n, zh, args, log, tmp, res)
            mark(res, log, f"after {n:,} works")
        if not args.scale:
            lang_n = QUICK_SIZE if args.quick else LANG_SIZE
            for lang in ("ja", "en"):
                res["langs"][lang] = measure_lang(lang, lang_n, args, log, tmp)
                mark(res, log, f"after {lang}")
            for name, tokenizer in LONG_CASES:
                res["long"][f"{name} {tokenizer}"] = measure_long(name, tokenizer, args, log, tmp)
                mark(res, log, f"after the long works ({name} {tokenizer})")
    mark(res, log, "at the end")
    del res["start"]
    return res


def render(res: dict[str, Any]) -> H.Page:
    sc = T.scales(res)
    n, s = sc[-1]
    c = T.costs(n, s)
    g_headers, g_rows, _ = T.growth(res)
    peers, skipped = T.peer_table(res)
    summary = [
        f"At {n:,} Chinese works: `check` of a 2,000-character article takes "
        f"**{c['check CPU p50 ms']:.1f} ms** of CPU at the median, {c['check CPU p99 ms']:.1f} "
        f"ms at p99; `check_many` {c['check_many articles/s/core']:,.0f} articles/s per core; "
        f"registration {c['registration works/s/core']:,.0f} works/s per core; the index is "
        f"{c['index / text']:.2f}x the works' text; the file opens in {c['open s'] * 1e3:.0f} ms."
    ]
    for pn, ps in sc:
        if "check_cpu" in (ps.get("peer") or {}):
            ratio = ms_stats(ps["peer"]["check_cpu"])["p50"] / T.p50(ps["compacted"])
            summary.append(
                f"At {pn:,} works textprint's check is **{ratio:.1f}x** faster (CPU p50) than "
                f"the {T.PEER} (MinHashLSH of passages, re-ranked), which holds "
                f"{T.fmt_bytes(ps['peer']['rss_growth'])} in memory."
            )
    peak = max(x[1] for x in res["loads"])
    summary.append(
        f"The machine's load average (1 min) reached {peak:.1f} during the run "
        f"({res['_run']['info']['nproc']} CPUs; see Load): CPU times are the figures to read."
    )
    tables = [
        H.Table(
            ["measure", "required", "target", "measured", "status"],
            T.goals_rows(res),
            title=f"Where the Registry stands ({n:,} works)",
            align="lllll",
            note="Required and target figures are for 1,000,000 works, one core per check; "
            "a smaller registry is held to the same figures.",
        ),
        *T.scale_tables(res),
        peers,
    ]
    if res["long"]:
        tables.append(T.long_table(res))
    if res["langs"]:
        tables.append(T.lang_table(res))
    tables.append(
        H.Table(
            g_headers,
            g_rows,
            title="Growth",
            align="l",
            note="exponent: slope of log(cost) against log(works) over the measured sizes; "
            "10M (projected): the largest measured value carried along that slope, a "
            "projection on paper, not a measurement.",
        )
    )
    loads = "; ".join(f"{w}: {a:.1f} / {b:.1f} / {z:.1f}" for w, a, b, z, *_ in res["loads"])
    wrong = [
        f"{T.tag(n)} {label}: {w}"
        for n, s in sc
        for label in ("built", "compacted")
        for w in s[label]["score"]["wrong"]
    ]
    sections = [
        (
            "Works",
            "\n".join(f"- {x['describe']}" for x in [*dict(sc).values(), *res["langs"].values()]),
        ),
        (
            "Load",
            f"Load average (1 / 5 / 15 min) during the run: {loads}. A load above the number "
            "of CPUs means other jobs shared them: wall times stretch, CPU times much less."
            + "".join(f" {m}" for m in res.get("merged", [])),
        ),
        ("Answers that were not right", "\n".join(f"- {w}" for w in wrong) or "none"),
    ]
    if skipped:
        sections.append((f"Where the {T.PEER} did not run", "\n".join(f"- {x}" for x in skipped)))
    protocol = (__doc__ or "").split("Protocol:", 1)[1].split("    python -m", 1)[0]
    corpora = H.corpora_note(*R.CORPORA["zh"], "aozora-pd-ja", "ja-jglue", "en-gutenberg")
    return H.Page(
        title="Benchmark: the Registry at scale (check, registration, size, memory)",
        command="python -m benchmarks.bench_registry",
        summary=summary,
        tables=tables,
        protocol=f"{protocol}\n{corpora} The 1M-work figures: `python -m "
        "benchmarks.bench_registry --scale 1000000` (`nox -s bench_registry_1m`).",
        sections=sections,
    )


def plots(res: dict[str, Any], folder: Path) -> list[H.Plot]:
    plt = H.plt()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for n, s in T.scales(res):
        rows = np.array(s["build"]["batches"])
        color = f"C{len(ax.get_lines()) // 2}"  # CPU and wall of one build in one colour
        for col, how, ls in ((1, "CPU", "-"), (2, "wall", "--")):
            rate = rows[:, 3] / rows[:, col]
            w = max(1, len(rows) // 50)  # a running mean: merges make single batches jump
            smooth = np.convolve(rate, np.ones(w) / w, mode="valid")
            label = f"{T.tag(n)} build, {how}" + (f" (mean of {w} batches)" if w > 1 else "")
            marker = "o" if len(rows) < 20 else None
            ax.plot(rows[w - 1 :, 0], smooth, ls=ls, marker=marker, color=color, label=label)
    ax.set_ylim(bottom=0)
    out = [
        H.one_panel(
            fig,
            ax,
            folder,
            "registry_throughput.png",
            "registration throughput along the build",
            title="register_many throughput as the registry grows",
            xlabel="works registered (log scale)",
            ylabel="works/s of each batch of 1,000",
            log="x",
            grid=True,
        )
    ]
    sc = T.scales(res)
    if len(sc) < 2:
        return out
    ns = [n for n, _ in sc]
    table = [T.costs(n, s) for n, s in sc]
    exps = T.growth(res)[2]
    fig, ax = plt.subplots(figsize=(8, 5))
    for key in table[0]:
        ys = [t[key] / table[0][key] for t in table]
        (line,) = ax.plot(ns, ys, marker="o", label=f"{key} (exponent {exps[key]:.2f})")
        ax.plot(
            [ns[-1], 1e7],
            [ys[-1], ys[-1] * (1e7 / ns[-1]) ** exps[key]],
            ls=":",
            color=line.get_color(),
        )
    growth_plot = H.one_panel(
        fig,
        ax,
        folder,
        "registry_growth.png",
        "growth of each cost (dotted: projection)",
        title="How each cost grows with the registry",
        xlabel="works (log scale; dotted: projected to 10M)",
        ylabel=f"cost relative to {T.tag(ns[0])} works (log scale)",
        log="xy",
        grid=True,
        legend_size=7,
    )
    return [*out, growth_plot]


def merged(json_dir: Path) -> dict[str, Any]:
    """The default run's results, with the scales of every ``registry_<size>.json`` run."""
    paths = [json_dir / f"{NAME}.json", *sorted(json_dir.glob(f"{NAME}_*.json"))]
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in paths if p.is_file()]
    if not runs:
        raise SystemExit(f"no {NAME}*.json in {json_dir}: run the benchmark first")
    base: dict[str, Any] = runs[0]
    for more in runs[1:]:
        base["scales"].update(more["scales"])
        run = more["_run"]
        loads = "; ".join(f"{w}: {a:.1f}" for w, a, *_ in more["loads"])
        base.setdefault("merged", []).append(
            f"The {', '.join(f'{int(k):,}' for k in more['scales'])}-work figures come from a "
            f"separate run ({run['info']['date']}, {run['runtime'] / 60:.0f} min; load {loads})."
        )
        for k, sc in more["scales"].items():
            if "rechecked" in sc:
                again = sc["rechecked"]
                base["merged"].append(
                    f"The checks of the compacted {int(k):,}-work file were measured again on "
                    f"{again['date']} (load {again['load']:.1f}) with the textprint of this "
                    "page (`--recheck`, the file read once into the page cache first: warm); its "
                    "build, sizes and as-built checks are those of the run."
                )
    return base


def write(json_dir: Path, page_dir: Path) -> None:
    write_page(NAME, merged(json_dir), render, plots, page_dir)


def recheck(keep: Path, json_dir: Path) -> None:
    """Measure the checks of the files `--keep` kept again, with this textprint, in place of
    their "compacted" figures (a 1M build takes an hour; its checks take minutes)."""
    for db in sorted(keep.glob("zh-*.db")):
        n = int(db.stem.split("-")[1])
        saved = json_dir / f"{NAME}_{T.tag(n).lower()}.json"
        res = json.loads(saved.read_text(encoding="utf-8"))
        arts = json.loads(db.with_suffix(".articles.json").read_text(encoding="utf-8"))
        with db.open("rb") as f:  # warm: the file read once into the OS page cache
            while f.read(1 << 24):
                pass
        load = os.getloadavg()[0]
        scale = res["scales"][str(n)]
        scale["compacted"] = checked(db, [R.Article(text, target) for text, target in arts])
        scale["same_answers"] = scale["built"]["answers"] == scale["compacted"]["answers"]
        scale["rechecked"] = {"date": time.strftime("%Y-%m-%d %H:%M"), "load": load}
        saved.write_text(json.dumps(res), encoding="utf-8")
        print(f"{n:,} works, checked again: " + check_line(scale["compacted"]))


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="works")
    parser.add_argument(
        "--scale",
        type=int,
        default=0,
        help="one size alone, Chinese only (registry_<size>.json, merged into the page)",
    )
    parser.add_argument("--generator", choices=sorted(R.GENERATORS), default="markov")
    parser.add_argument("--peer-max-gib", type=float, default=PEER_MAX_GIB)
    parser.add_argument("--tmp-dir", type=Path, default=None, help="where the registry files go")
    parser.add_argument(
        "--keep", type=Path, default=None, help="move the Chinese files and articles here"
    )
    parser.add_argument(
        "--recheck",
        type=Path,
        default=None,
        help="check the files --keep kept in DIR again with this textprint, and write the page",
    )


def main(argv: Sequence[str] | None = None) -> None:
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--scale", type=int, default=0)
    pre.add_argument("--recheck", type=Path, default=None)
    known = pre.parse_known_args(argv)[0]
    if known.recheck is not None:  # the kept files' checks again, then the page
        recheck(known.recheck, RESULTS)
        write(RESULTS, DOCS)
        return
    scale = known.scale
    name = f"{NAME}_{T.tag(scale).lower()}" if scale else NAME
    H.main(name, __doc__, measure, render, plots, add_args=add_args, write=write, argv=argv)


if __name__ == "__main__":
    main()
