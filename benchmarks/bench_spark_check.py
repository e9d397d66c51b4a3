"""Benchmark: Spark ``check`` (broadcast and join paths) against the local ``Registry.check``.

Protocol:

- Registry: an in-memory ``tp.Registry()`` (default settings) holding the first ``--works``
  (default 2,000) REAL documents of bench_spark.py's stream (300-3,000 characters cut from
  zh-chinese-poetry and zh-classic-novels; never copied into the repository).
- Posts: the first n documents of the same stream (bench_spark.py's cached Parquet files):
  the registered works themselves, then the rest of the real documents (not registered),
  then generated windows of the same corpus with 3-8% of their characters edited, which
  copy registered works where they overlap them, and near-duplicate copies. So a good share
  of the posts are real partial copies with passages to verify, as on a platform that
  receives reposts.
- Steps, each on the same n posts, written to Spark's ``noop`` sink (every hit computed,
  nothing collected):

  - ``check (broadcast)``: ``tps.check(df, reg)`` with the default ``broadcast_bytes``;
  - ``check (join)``: ``tps.check(df, reg, broadcast_bytes=0)``: postings and the works'
    texts joined with the posts instead of broadcast.

  Wall time, CPU seconds of the driver, JVM and Python workers (sampled from /proc, as in
  bench_spark.py), shuffle bytes from Spark's status store; local mode ``local[2]``.
- Local reference: ``reg.check_many`` on the same n posts in this process (CPU time, one
  core). Agreement: the number of hits of both Spark paths equals the local count on the
  first 2,000 posts (the registered works themselves: every one a hit).

    python -m benchmarks.bench_spark_check            # 10k posts: docs/benchmarks/spark_check.md
    python -m benchmarks.bench_spark_check --quick    # 2k posts, printed only
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as a file

import textprint as tp
from benchmarks import harness as H  # noqa: N812
from benchmarks import spark_steps as S  # noqa: N812
from benchmarks.bench_spark import ROWS_PER_FILE, files_for, setup

SIZES = (10_000,)
SIZES_QUICK = (2_000,)
LOCAL_N = 2_000
HEADERS = ["posts", "step", "wall s", "CPU s", "posts/s/core (wall)", "posts/s/core (CPU)",
           "vs local check (CPU)", "shuffle write MB", "stages / tasks"]  # fmt: skip


def measure(args: argparse.Namespace, rep: H.Log) -> dict[str, Any]:
    sizes = SIZES_QUICK if args.quick else tuple(args.sizes or SIZES)
    tps, cache, data, counts = setup(args, rep, max(max(sizes), LOCAL_N, args.works))
    import pyarrow.parquet as pq

    first = pq.read_table(files_for(data, ROWS_PER_FILE)[0]).column("text").to_pylist()
    n_real = counts[0]["real"] if counts else 0
    if args.works > min(n_real, len(first)):
        raise SystemExit(f"--works {args.works} is more than the {n_real} real documents")
    reg = tp.Registry()
    t0 = time.process_time()
    reg.register_many((f"w{i}", t) for i, t in enumerate(first[: args.works]))
    rep(f"registry: {len(reg):,} works registered in {time.process_time() - t0:.1f} CPU s")
    index = reg.export_index()
    n_postings, index_bytes = len(index.keys), index.nbytes
    rep(f"evidence index: {n_postings:,} postings, {index_bytes / 1e6:.1f} MB with the texts")

    sample = first[:LOCAL_N]
    local_cpu, local_hits = H.cpu_time(lambda: reg.check_many(sample), repeat=1)
    n_local_hits = sum(len(h) for h in local_hits)
    rep(
        f"local Registry.check_many: {LOCAL_N:,} posts in {local_cpu:.1f} CPU s "
        f"({LOCAL_N / local_cpu:,.0f} posts/s on one core), {n_local_hits:,} hits"
    )

    spark = S.start_spark(cache)
    stages = S.Stages(spark)
    loads = [os.getloadavg()]
    rep(f"Spark {spark.version}, local[{S.CORES}], {os.cpu_count()} CPUs")
    sample_df = spark.createDataFrame(list(enumerate(sample)), "id bigint, text string")
    agreement = []
    for name, nbytes in (("broadcast", tps.BROADCAST_BYTES), ("join", 0)):
        n_hits = tps.check(sample_df, reg, broadcast_bytes=nbytes).count()
        agreement.append(
            f"{name}: {n_hits:,} hits on the first {LOCAL_N:,} posts, local "
            f"{n_local_hits:,}: {'EQUAL' if n_hits == n_local_hits else 'DIFFERENT'}"
        )
        rep("agreement " + agreement[-1])
    spark.catalog.clearCache()
    stages.since_mark()

    steps: list[S.Step] = []
    local_rates: dict[str, float] = {}
    for n in sizes:
        posts = [
            t
            for f in files_for(data, n)
            for t in pq.read_table(f, columns=["text"]).column("text").to_pylist()
        ][:n]
        cpu, hits = H.cpu_time(partial(reg.check_many, posts), repeat=1)
        local_rates[str(n)] = n / cpu
        rep(
            f"local Registry.check_many: {n:,} posts in {cpu:.1f} CPU s ({n / cpu:,.0f} posts/s "
            f"on one core), {sum(len(h) for h in hits):,} hits"
        )
        df = spark.read.parquet(*files_for(data, n))
        if n % ROWS_PER_FILE:
            df = df.limit(n)  # a shuffle; whole files otherwise
        for name, nbytes in (("check (broadcast)", tps.BROADCAST_BYTES), ("check (join)", 0)):

            def step(df: Any = df, nbytes: int = nbytes) -> None:
                out = tps.check(df, reg, broadcast_bytes=nbytes)
                out.write.format("noop").mode("overwrite").save()

            s, _ = S.timed(spark, stages, n, name, step, None)
            steps.append(s)
            rep(S.step_line(s))
            spark.catalog.clearCache()
    loads.append(os.getloadavg())
    spark.stop()
    return {
        "works": len(reg),
        "n_postings": n_postings,
        "index_bytes": index_bytes,
        "steps": [dataclasses.asdict(s) for s in steps],
        "local_rates": local_rates,
        "agreement": agreement,
        "loads": [list(x) for x in loads],
    }


def render(res: dict[str, Any]) -> H.Page:
    steps = [S.Step(**d) for d in res["steps"]]
    rates = {int(n): r for n, r in res["local_rates"].items()}
    rows: list[list[object]] = []
    for s in steps:
        cpu_rate = s.n / s.cpu if s.cpu else float("nan")
        rows.append([
            f"{s.n:,}", s.name, f"{s.wall:.1f}", f"{s.cpu:.0f}" if s.cpu else "n/a",
            f"{s.n / (s.wall * S.CORES):,.0f}", f"{cpu_rate:,.0f}", f"{cpu_rate / rates[s.n]:.2f}x",
            S.fmt_mb(s.shuffle_write), f"{s.stages} / {s.tasks}",
        ])  # fmt: skip
    best = max(steps, key=lambda s: (s.n, s.n / s.cpu if s.cpu else 0.0))
    start, end = res["loads"]
    return H.Page(
        title="Benchmark: Spark check (broadcast and join) against Registry.check",
        command="python -m benchmarks.bench_spark_check",
        summary=[
            f"`tps.check` of {best.n:,} posts against {res['works']:,} works in local mode "
            f"({S.CORES} cores): {best.name} runs at **{best.n / best.cpu:,.0f} posts per CPU "
            f"second**, {best.n / best.cpu / rates[best.n]:.2f}x the local `check_many`."
            if best.cpu
            else f"`tps.check` of {best.n:,} posts: CPU time not available.",
            "Hits equal to the local API: " + "; ".join(res["agreement"]) + ".",
        ],
        tables=[
            H.Table(
                HEADERS,
                rows,
                title="Throughput",
                align="rlrrrrrrr",
                note="Local `Registry.check_many` on one core, same posts, in this process: "
                + ", ".join(f"{r:,.0f} posts per CPU second at {n:,}" for n, r in rates.items())
                + f". posts/s/core (wall) = posts / (wall seconds x {S.CORES} cores); (CPU) = "
                "posts / CPU seconds of the driver, the JVM and the Python workers.",
            )
        ],
        protocol=(__doc__ or "").split("Protocol:", 1)[1].split("    python -m", 1)[0]
        + "\n"
        + H.corpora_note("zh-chinese-poetry", "zh-classic-novels"),
        sections=[
            (
                "Registry",
                f"{res['works']:,} works; evidence index {res['n_postings']:,} postings, "
                f"{res['index_bytes'] / 1e6:.1f} MB with the compressed texts (what the "
                "broadcast path ships to every executor).",
            ),
            (
                "Load",
                f"Load average (1 / 5 / 15 min) at the start: {start[0]:.1f} / {start[1]:.1f} / "
                f"{start[2]:.1f}; at the end: {end[0]:.1f} / {end[1]:.1f} / {end[2]:.1f}.",
            ),
        ],
    )


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", type=int, nargs="+", default=None, help="post counts")
    parser.add_argument("--works", type=int, default=2_000, help="registered works")
    parser.add_argument("--cache-dir", type=Path, default=None, help="as in bench_spark.py")


if __name__ == "__main__":
    H.main("spark_check", __doc__, measure, render, add_args=add_args)
