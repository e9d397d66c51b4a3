"""Benchmark: Spark ``check`` (broadcast and join paths) against the local ``Registry.check``.

Protocol:

- Registry: an in-memory ``tp.Registry()`` (default settings) holding the first ``--works``
  (default 2,000) REAL documents of bench_spark.py's stream (300-3,000 characters cut from
  zh-chinese-poetry and zh-classic-novels, read from ../shared/corpora; never copied).
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

Run:

    python benchmarks/bench_spark_check.py               # 10k posts
    python benchmarks/bench_spark_check.py --quick       # 2k posts, prints only
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: N812
import bench_spark as B  # noqa: N812
import textprint as tp

SIZES = (10_000,)
SIZES_QUICK = (2_000,)
LOCAL_N = 2_000


def run(args: argparse.Namespace) -> tuple[str, str]:
    import pyarrow.parquet as pq

    from textprint.integrations import spark as tps

    rep = C.Report()
    sizes = SIZES_QUICK if args.quick else tuple(args.sizes or SIZES)
    cache = args.cache_dir or Path(tempfile.gettempdir()) / "textprint-bench-spark"
    data = cache / "docs"
    counts = B.write_dataset(max(max(sizes), LOCAL_N, args.works), data, rep)
    first = pq.read_table(B.files_for(data, B.ROWS_PER_FILE)[0]).column("text").to_pylist()
    n_real = counts[0]["real"] if counts else 0
    assert args.works <= min(n_real, len(first)), "--works must be at most the real documents"
    reg = tp.Registry()
    t0 = time.process_time()
    reg.register_many((f"w{i}", t) for i, t in enumerate(first[: args.works]))
    rep(f"registry: {len(reg):,} works registered in {time.process_time() - t0:.1f} CPU s")
    hashes, rows, works, _ = reg.export_index()
    index_bytes = hashes.nbytes + rows.nbytes + sum(len(w[3]) for w in works.values())
    rep(f"evidence index: {len(hashes):,} postings, {index_bytes / 1e6:.1f} MB with the texts")

    sample = first[:LOCAL_N]
    local_cpu, local_hits = C.cpu_time(lambda: reg.check_many(sample), repeat=1)
    n_local_hits = sum(len(h) for h in local_hits)
    rep(
        f"local Registry.check_many: {LOCAL_N:,} posts in {local_cpu:.1f} CPU s "
        f"({LOCAL_N / local_cpu:,.0f} posts/s on one core), {n_local_hits:,} hits"
    )

    spark = B.start_spark(cache)
    stages = B.Stages(spark)
    load0 = os.getloadavg()
    rep(
        f"Spark {spark.version}, local[{B.CORES}], load average at start "
        f"{load0[0]:.1f} / {load0[1]:.1f} / {load0[2]:.1f} on {os.cpu_count()} CPUs"
    )
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

    steps: list[B.Step] = []
    local_rates: dict[int, float] = {}
    for n in sizes:
        posts = [
            t
            for f in B.files_for(data, n)
            for t in pq.read_table(f, columns=["text"]).column("text").to_pylist()
        ][:n]
        cpu, hits = C.cpu_time(lambda posts=posts: reg.check_many(posts), repeat=1)
        local_rates[n] = n / cpu
        rep(
            f"local Registry.check_many: {n:,} posts in {cpu:.1f} CPU s ({n / cpu:,.0f} posts/s "
            f"on one core), {sum(len(h) for h in hits):,} hits"
        )
        df = spark.read.parquet(*B.files_for(data, n))
        if n % B.ROWS_PER_FILE:
            df = df.limit(n)  # a shuffle; whole files otherwise
        for name, nbytes in (("check (broadcast)", tps.BROADCAST_BYTES), ("check (join)", 0)):

            def step(df: Any = df, nbytes: int = nbytes) -> None:
                tps.check(df, reg, broadcast_bytes=nbytes).write.format("noop").mode(
                    "overwrite"
                ).save()

            s, _ = B.timed(spark, stages, n, name, step, None)
            steps.append(s)
            rep(B._step_line(s))
            spark.catalog.clearCache()
    load1 = os.getloadavg()
    rep(f"load average at the end {load1[0]:.1f} / {load1[1]:.1f} / {load1[2]:.1f}")
    spark.stop()

    rows_out = []
    for s in steps:
        local_rate = local_rates[s.n]
        cpu_rate = s.n / s.cpu if s.cpu else float("nan")
        rows_out.append(
            [
                f"{s.n:,}",
                s.name,
                f"{s.wall:.1f}",
                f"{s.cpu:.0f}" if s.cpu else "n/a",
                f"{s.n / (s.wall * B.CORES):,.0f}",
                f"{cpu_rate:,.0f}",
                f"{cpu_rate / local_rate:.2f}x",
                B.fmt_mb(s.shuffle_write),
                f"{s.stages} / {s.tasks}",
            ]
        )
    body = "\n".join(
        [
            "## Protocol",
            "",
            _protocol(),
            "",
            "## Registry",
            "",
            f"{len(reg):,} works; evidence index {len(hashes):,} postings, "
            f"{index_bytes / 1e6:.1f} MB with the compressed texts (what the broadcast path "
            "ships to every executor).",
            "",
            "## Throughput",
            "",
            C.table(
                [
                    "posts",
                    "step",
                    "wall s",
                    "CPU s",
                    "posts/s/core (wall)",
                    "posts/s/core (CPU)",
                    "vs local check (CPU)",
                    "shuffle write MB",
                    "stages / tasks",
                ],
                rows_out,
                align="rlrrrrrrr",
            ),
            "",
            "Local `Registry.check_many` on one core, same posts, in this process: "
            + ", ".join(f"{r:,.0f} posts per CPU second at {n:,}" for n, r in local_rates.items())
            + ". posts/s/core (wall) = posts / (wall "
            f"seconds x {B.CORES} cores); (CPU) = posts / CPU seconds of the driver, the JVM and "
            "the Python workers.",
            "",
            f"Load average (1 / 5 / 15 min) at the start: {load0[0]:.1f} / {load0[1]:.1f} / "
            f"{load0[2]:.1f}; at the end: {load1[0]:.1f} / {load1[1]:.1f} / {load1[2]:.1f} "
            f"({os.cpu_count()} CPUs).",
            "",
            "## Agreement with the local API",
            "",
            *[f"- {a}" for a in agreement],
        ]
    )
    return rep.text, body


def _protocol() -> str:
    doc = __doc__ or ""
    return doc[doc.index("Protocol:") : doc.index("Run:")].strip()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    C.add_common_args(parser)
    parser.add_argument("--sizes", type=int, nargs="+", default=None, help="post counts")
    parser.add_argument("--works", type=int, default=2_000, help="registered works")
    parser.add_argument("--cache-dir", type=Path, default=None, help="as in bench_spark.py")
    args = parser.parse_args(argv)
    C.require_corpora("zh-chinese-poetry", "zh-classic-novels")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        print('SKIPPED: pyspark is not installed (pip install "textprint[spark]")')
        raise SystemExit(0) from None
    if args.out is None and not args.quick and not args.sizes:
        args.out = C.DOCS / "spark_check.md"
    t0 = time.perf_counter()
    output, body = run(args)
    if args.out is not None:
        C.write_markdown(
            args.out,
            title="Benchmark: Spark check (broadcast and join) against Registry.check",
            command="python benchmarks/bench_spark_check.py" + (" --quick" if args.quick else ""),
            info=C.machine_info(),
            body=body,
            output=output,
            runtime=time.perf_counter() - t0,
        )
        print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
