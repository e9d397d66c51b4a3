"""Benchmark: textprint on Spark in local mode: signatures and dedup at 10k, 100k and 1M documents.

Protocol:

- Documents (the generated Parquet files go to a cache directory under the system's
  temporary directory, never into the repository):

  - REAL: the ``text`` of every zh-chinese-poetry poem joined with newlines, then the 461
    zh-classic-novels chapters joined with newlines, cut into consecutive documents of
    300-3,000 characters (lengths log-uniform, ``random.Random(0)``; the cut of
    bench_minhash.py and bench_lsh.py). About 4,650 documents, each corpus character once.
  - GENERATED beyond them: windows of the same length distribution at random places in the
    same text, with 3-8% of their characters substituted, inserted or deleted (characters
    drawn from the corpus itself, so with its frequencies; ``numpy.random.default_rng(1)``).
    The edit rate keeps two overlapping windows below the 0.8 threshold in most cases: the
    corpus is only 5.5 M characters, and 1 M windows cover every character about 200 times.
  - NEAR-DUPLICATES: every document after the first is, with probability 5%, a copy of one of
    the previous 20,000 documents with 0-1% of its characters edited (so dedup has work).

  The set of size n is the first n documents of one stream (real documents first), so the
  10k set is inside the 100k set, which is inside the 1M set. The output says how many
  documents of each kind every size holds.
- Spark 4 in local mode, ``local[2]`` (one JVM; 2 executor cores, Python workers started by
  Spark), driver memory 6 GB, Arrow batches of 10,000 rows, adaptive query execution on
  (the default). The documents are read from Parquet files of 5,000 rows.
- Timed, one run per size (wall clock, ``time.perf_counter``), after an untimed warm-up
  (signatures and dedup of 2,000 documents) that starts the Python workers, loads textprint
  and lets the JVM compile the plans once:

  - ``signatures``: ``tps.signatures(df).write.format("noop")`` (every signature computed,
    nothing collected);
  - ``dedup``: ``tps.dedup(df, threshold=0.8, return_stats=True)`` and the result written to
    the ``noop`` sink: signatures, banding, candidate pairs, verification, connected
    components (large-star/small-star) and the final join, all included.

  CPU seconds are those of this process and all its descendants (the JVM and the Python
  workers), sampled from /proc every 0.25 s during each step (a process that exits keeps the
  time it used): other jobs on the machine inflate them much less than wall time. Documents
  per second per core are given both ways: docs / (wall seconds x 2 cores) and docs / CPU
  seconds.
- Shuffle bytes: the written and read shuffle bytes of every stage the step ran, from
  Spark's status store (``spark._jsc.sc().statusStore().stageList(...)``, the data behind
  the web UI; it is kept with the UI disabled).
- Agreement: at 10,000 documents (or the largest size under it with --quick), the clusters
  and the candidate/verified/skipped counts of ``tps.dedup`` are compared with
  ``tp.dedup`` on the same texts in the same process (ids = row positions; they must be
  equal).
- 1M documents: each step has a time cap (``--cap`` seconds, default 3,600). A step that
  hits it is cancelled (``SparkContext.cancelAllJobs``) and reported as capped, with an
  extrapolation from the largest completed size, marked as such.
- Reference: text-dedup's Spark MinHash script (born from BigCode's deduplication of The
  Stack) deduplicated "42 million rows in less than 40 minutes" on 160 cores, about 110
  documents per second per core (its README). Its documents are source files, not these
  Chinese texts: the comparison is of orders of magnitude, not a same-input race.

    python -m benchmarks.bench_spark            # 10k, 100k, 1M; writes docs/benchmarks/spark.md
    python -m benchmarks.bench_spark --quick    # 1,000 and 5,000 documents, prints only
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as a file

import textprint as tp
from benchmarks import harness as H  # noqa: N812
from benchmarks.spark_steps import (
    CORES,
    Stages,
    Step,
    fmt_mb,
    require_spark,
    start_spark,
    step_line,
    timed,
)
from benchmarks.textgen.slices import cut_log_uniform, joined
from benchmarks.textgen.stream import Stream

THRESHOLD, N_HASHES, K = 0.8, 128, 5
SIZES, SIZES_QUICK = (10_000, 100_000, 1_000_000), (5_000, 10_000)
AGREEMENT_MAX = 10_000
ROWS_PER_FILE = 5_000
ROW_GROUP = 500
#: text-dedup README: 42 M rows in < 40 minutes on 160 cores (10 x c2d-standard-16 workers)
REFERENCE_PER_CORE = 42e6 / (40 * 60) / 160
GENERATOR_VERSION = 1


# ---------------------------------------------------------------------------------------------
# Documents


def write_dataset(n_max: int, folder: Path, rep: H.Log) -> list[dict[str, int]]:
    """Write the first `n_max` documents as Parquet files of ROWS_PER_FILE rows (id, text);
    return the cumulative counts of each kind after every file. Reused when present."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    meta_path = folder / "meta.json"
    key = {"version": GENERATOR_VERSION, "files": [ROWS_PER_FILE, ROW_GROUP]}
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        # a longer stream holds this one as its prefix
        if meta.get("key") == key and meta.get("n", 0) >= n_max:
            rep(f"documents: reusing {folder} (generated earlier, same generator)")
            return list(meta["counts"])
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("part-*.parquet"):
        old.unlink()
    t0 = time.perf_counter()
    text = joined("zh-chinese-poetry", "zh-classic-novels")
    stream = Stream(text, cut_log_uniform(text, seed=0))
    counts: list[dict[str, int]] = []
    for part, lo in enumerate(range(0, n_max, ROWS_PER_FILE)):
        hi = min(n_max, lo + ROWS_PER_FILE)
        docs = stream.batch(hi - lo)
        table = pa.table(
            {"id": pa.array(np.arange(lo, hi, dtype=np.int64)), "text": pa.array(docs)}
        )
        # small row groups, so Spark can split the files into partitions of ~16 MB
        pq.write_table(
            table,
            folder / f"part-{part:05d}.parquet",
            compression="zstd",
            row_group_size=ROW_GROUP,
        )
        counts.append(dict(stream.counts))
    meta_path.write_text(json.dumps({"key": key, "n": n_max, "counts": counts}))
    rep(f"documents: generated {n_max:,} in {time.perf_counter() - t0:.0f} s into {folder}")
    return counts


class Setup(NamedTuple):
    """What a Spark benchmark starts from (`setup`)."""

    tps: Any  # textprint.integrations.spark
    cache: Path  # Spark's scratch folder, and the documents' below it
    data: Path
    counts: list[dict[str, int]]  # write_dataset's


def setup(args: argparse.Namespace, rep: H.Log, n_max: int) -> Setup:
    """Check the corpora and pyspark, then write (or reuse) the first `n_max` documents.

    bench_spark_check starts here too: both read the same Parquet files from the same cache.
    """
    H.require_corpora("zh-chinese-poetry", "zh-classic-novels")
    tps = require_spark()
    cache = args.cache_dir or Path(tempfile.gettempdir()) / "textprint-bench-spark"
    return Setup(tps, cache, cache / "docs", write_dataset(n_max, cache / "docs", rep))


def counts_at(counts: list[dict[str, int]], n: int) -> dict[str, int]:
    if n % ROWS_PER_FILE == 0:
        return counts[n // ROWS_PER_FILE - 1]
    raise ValueError(f"n={n} must be a multiple of {ROWS_PER_FILE}")


def files_for(folder: Path, n: int) -> list[str]:
    return [str(folder / f"part-{p:05d}.parquet") for p in range(math.ceil(n / ROWS_PER_FILE))]


# ---------------------------------------------------------------------------------------------
# Measuring


def measure(args: argparse.Namespace, rep: H.Log) -> dict[str, Any]:
    sizes = SIZES_QUICK if args.quick else tuple(args.sizes or SIZES)
    tps, cache, data, counts = setup(args, rep, max(sizes))
    spark = start_spark(cache)
    stages = Stages(spark)
    if not stages.available:
        rep(f"shuffle bytes: NOT AVAILABLE from the status store ({stages.error})")
    load0 = os.getloadavg()
    rep(
        f"Spark {spark.version}, local[{CORES}], load average at start "
        f"{load0[0]:.1f} / {load0[1]:.1f} / {load0[2]:.1f} (1 / 5 / 15 min) on "
        f"{os.cpu_count()} CPUs"
    )
    # warm-up (untimed): start the Python workers, import textprint, let the JVM compile the
    # query plans' code once
    warm = spark.read.parquet(*files_for(data, ROWS_PER_FILE)).limit(2000).repartition(CORES)
    tps.signatures(warm).write.format("noop").mode("overwrite").save()
    tps.dedup(warm, threshold=THRESHOLD).write.format("noop").mode("overwrite").save()
    spark.catalog.clearCache()
    stages.since_mark()

    steps: list[Step] = []
    info_rows: list[list[object]] = []
    agreement: list[str] = []
    dedup_stats: dict[int, dict[str, int]] = {}
    for n in sizes:
        files = files_for(data, n)
        kinds = counts_at(counts, n)
        df = spark.read.parquet(*files)
        n_chars = kinds["chars"]
        info_rows.append(
            [
                f"{n:,}",
                f"{kinds['real']:,}",
                f"{kinds['window']:,}",
                f"{kinds['copy']:,}",
                f"{n_chars:,}",
                f"{n_chars / n:,.0f}",
                df.rdd.getNumPartitions(),
            ]
        )
        cap = args.cap if n >= 1_000_000 else None

        def run_signatures(df: Any = df) -> None:
            tps.signatures(df).write.format("noop").mode("overwrite").save()

        step, _ = timed(spark, stages, n, "signatures", run_signatures, cap)
        steps.append(step)
        rep(step_line(step))
        spark.catalog.clearCache()
        if step.capped and n >= 1_000_000:
            steps.append(Step(n, "dedup", math.nan, None, -1, -1, 0, 0, True, "not run"))
            rep(f"{n:>9,} dedup      not run: signatures alone hit the cap")
            continue

        def run_dedup(df: Any = df) -> Any:
            result, stats = tps.dedup(df, threshold=THRESHOLD, return_stats=True)
            result.write.format("noop").mode("overwrite").save()
            return result, stats

        step, out = timed(spark, stages, n, "dedup", run_dedup, cap)
        steps.append(step)
        rep(step_line(step))
        if out is not None:
            result, stats = out
            dedup_stats[n] = {
                "n_candidate_pairs": stats.n_candidate_pairs,
                "n_verified_pairs": stats.n_verified_pairs,
                "n_skipped_buckets": stats.n_skipped_buckets,
                "iterations": stats.iterations,
            }
            rep(
                f"{'':>9} dedup stats: {stats.n_candidate_pairs:,} candidate pairs, "
                f"{stats.n_verified_pairs:,} verified, {stats.n_skipped_buckets} skipped "
                f"buckets, {stats.iterations} component iterations"
            )
            if n == max(s for s in sizes if s <= AGREEMENT_MAX):
                agreement.append(check_agreement(spark, result, files, n, stats, rep))
        spark.catalog.clearCache()
    load1 = os.getloadavg()
    rep(f"load average at the end {load1[0]:.1f} / {load1[1]:.1f} / {load1[2]:.1f}")
    spark.stop()
    return {
        "steps": [dataclasses.asdict(st) for st in steps],
        "info_rows": info_rows,
        "agreement": agreement,
        "dedup_stats": {str(n): v for n, v in dedup_stats.items()},
        "shuffle_ok": stages.available,
        "spark": spark.version,
    }


def check_agreement(
    spark: Any, result: Any, files: list[str], n: int, stats: Any, rep: H.Log
) -> str:
    import pyarrow.parquet as pq

    texts: list[str] = []
    for f in files:
        texts += pq.read_table(f, columns=["text"])["text"].to_pylist()
    got = dict(result.collect())
    t0 = time.process_time()
    labels, local = tp.dedup(texts, THRESHOLD, n_hashes=N_HASHES, k=K, return_stats=True)
    t_local = time.process_time() - t0
    same_labels = [got[i] for i in range(n)] == labels.tolist()
    same_counts = (stats.n_candidate_pairs, stats.n_verified_pairs, stats.n_skipped_buckets) == (
        local.n_candidate_pairs,
        local.n_verified_pairs,
        local.n_skipped_buckets,
    )
    in_dup = int((np.bincount(labels, minlength=n)[labels] > 1).sum())
    line = (
        f"agreement at {n:,} documents with local tp.dedup: clusters "
        f"{'IDENTICAL' if same_labels else 'DIFFERENT'}, counts "
        f"{'identical' if same_counts else 'DIFFERENT'} ({local.n_clusters:,} clusters, "
        f"{in_dup:,} documents in a cluster of 2 or more; local tp.dedup took "
        f"{t_local:.1f} CPU s, {n / t_local:,.0f} docs/s on one core)"
    )
    rep(line)
    return line


def tables(
    steps: Sequence[Step],
    info_rows: list[list[object]],
    agreement: list[str],
    dedup_stats: dict[int, dict[str, int]],
    shuffle_ok: bool,
) -> str:
    rows = []
    done = {(s.n, s.name): s for s in steps if not s.capped}
    largest = {
        name: max((n for n, nm in done if nm == name), default=None)
        for name in ("signatures", "dedup")
    }
    for s in steps:
        if s.capped:
            n_base = largest[s.name]
            base = done.get((n_base, s.name)) if n_base is not None else None
            extra = (
                f"extrapolated {base.wall * s.n / base.n:,.0f} s wall (linear from {base.n:,})"
                if base
                else ""
            )
            rows.append(
                [
                    f"{s.n:,}",
                    s.name,
                    f"capped at {s.wall:,.0f}" if s.wall == s.wall else "-",
                    "-",
                    "-",
                    "-",
                    "-",
                    "-",
                    extra or s.note,
                ]
            )
            continue
        cpu_rate = f"{s.n / s.cpu:,.0f}" if s.cpu else "n/a"
        rows.append(
            [
                f"{s.n:,}",
                s.name,
                f"{s.wall:,.1f}",
                f"{s.cpu:,.0f}" if s.cpu is not None else "n/a",
                f"{s.n / s.wall / CORES:,.0f}",
                cpu_rate,
                fmt_mb(s.shuffle_write),
                fmt_mb(s.shuffle_read),
                f"{s.stages} / {s.tasks}",
            ]
        )
    out = ["### Documents", ""]
    out.append(
        H.table(
            [
                "docs",
                "real",
                "generated windows",
                "near-duplicate copies",
                "chars",
                "chars/doc",
                "input partitions",
            ],
            info_rows,
        )
    )
    out += ["", "### Scaling", ""]
    out.append(
        H.table(
            [
                "docs",
                "step",
                "wall s",
                "CPU s",
                "docs/s/core (wall)",
                "docs/s/core (CPU)",
                "shuffle write MB",
                "shuffle read MB",
                "stages / tasks",
            ],
            rows,
        )
    )
    out += [
        "",
        f"docs/s/core (wall) = docs / (wall seconds x {CORES} cores); docs/s/core (CPU) = docs /"
        " CPU seconds of the driver, the JVM and the Python workers. `dedup` includes its own"
        " signatures. For comparison, text-dedup's published Spark run (BigCode) works out at"
        f" about {REFERENCE_PER_CORE:,.0f} docs/s/core (42 M rows, 40 minutes, 160 cores; other"
        " documents and hardware).",
    ]
    if not shuffle_ok:
        out += ["", "Shuffle bytes could not be read from Spark's status store on this run."]
    out += ["", "### Per core, at the largest size", ""]
    per_core_rows = []
    for name in ("signatures", "dedup"):
        n = largest[name]
        if n is None:
            per_core_rows.append([name, "-", "-", "-", "not measured"])
            continue
        st = done[(n, name)]
        per_core = st.n / st.cpu if st.cpu else st.n / st.wall / CORES
        wall_core = st.n / st.wall / CORES
        per_core_rows.append(
            [
                name,
                f"{n:,}",
                f"{per_core:,.0f}",
                f"{wall_core:,.0f}",
                f"{per_core / REFERENCE_PER_CORE:,.1f}x / {wall_core / REFERENCE_PER_CORE:,.1f}x",
            ]
        )
    out.append(
        H.table(
            [
                "step",
                "at docs",
                "docs/s/core (CPU)",
                "docs/s/core (wall)",
                f"vs text-dedup ~{REFERENCE_PER_CORE:,.0f} (CPU / wall)",
            ],
            per_core_rows,
        )
    )
    dedup_steps = [s for s in steps if s.name == "dedup" and not s.capped and s.shuffle_write >= 0]
    if dedup_steps:
        big = max(dedup_steps, key=lambda s: s.n)
        out += [
            "",
            f"Shuffle of dedup at {big.n:,} documents: {big.shuffle_write / big.n / 1e3:.2f} kB"
            " written per document. Small sizes are dominated by fixed costs: a dedup run is"
            " about 100 Spark stages (counts, the verification join, the component rounds and"
            " their checkpoints), each a few hundred milliseconds of scheduling whatever the"
            " data.",
        ]
    if dedup_stats:
        out += ["", "### Dedup work", ""]
        out.append(
            H.table(
                [
                    "docs",
                    "candidate pairs",
                    "verified pairs",
                    "skipped buckets",
                    "component iterations",
                ],
                [
                    [
                        f"{n:,}",
                        f"{s['n_candidate_pairs']:,}",
                        f"{s['n_verified_pairs']:,}",
                        s["n_skipped_buckets"],
                        s["iterations"],
                    ]
                    for n, s in sorted(dedup_stats.items())
                ],
            )
        )
    out += ["", "### Agreement with the local API", ""]
    out += [f"- {a}" for a in agreement] or ["- not measured on this run"]
    return "\n".join(out)


def render(res: dict[str, Any]) -> H.Page:
    steps = [Step(**d) for d in res["steps"]]
    stats = {int(n): v for n, v in res["dedup_stats"].items()}
    done = [st for st in steps if not st.capped]
    summary = []
    for name in ("signatures", "dedup"):
        runs = [st for st in done if st.name == name]
        if runs:
            st = max(runs, key=lambda x: x.n)
            per_core = st.n / st.cpu if st.cpu else st.n / st.wall / CORES
            summary.append(
                f"`tps.{name}` on Spark {res['spark']} in local mode ({CORES} cores): "
                f"**{per_core:,.0f} documents a second per core** (CPU) at {st.n:,} documents, "
                f"{st.n / st.wall / CORES:,.0f} by wall clock."
            )
    summary.append(
        "Clusters and counts equal to the local `tp.dedup`: "
        + ("; ".join(res["agreement"]) if res["agreement"] else "not measured on this run")
        + "."
    )
    doc = __doc__ or ""
    protocol = doc[doc.index("Protocol:") + len("Protocol:") : doc.index("    python -m")]
    return H.Page(
        title="Benchmark: Spark (local mode): signatures and dedup at scale",
        command="python -m benchmarks.bench_spark",
        summary=summary,
        lead=tables(steps, res["info_rows"], res["agreement"], stats, res["shuffle_ok"]),
        protocol=protocol + "\n" + H.corpora_note("zh-chinese-poetry", "zh-classic-novels"),
    )


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cap",
        type=float,
        default=3600.0,
        help="wall-clock cap in seconds of each step at 1M documents (default 3600)",
    )
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=None, help="document counts (default 10k 100k 1M)"
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="where the generated Parquet files and Spark's scratch go (default: a folder in "
        "the system's temporary directory; never inside the repository)",
    )


if __name__ == "__main__":
    H.main("spark", __doc__, measure, render, add_args=add_args)
