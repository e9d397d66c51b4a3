"""Benchmark: textprint on Spark in local mode: signatures and dedup at 10k, 100k and 1M documents.

Protocol:

- Documents (read from ../shared/corpora, never copied into the repository; the generated
  Parquet files go to a cache directory under the system's temporary directory):

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

    python benchmarks/bench_spark.py            # 10k, 100k, 1M; writes docs/benchmarks/spark.md
    python benchmarks/bench_spark.py --quick    # 1,000 and 5,000 documents, prints only
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: N812
import textprint as tp

THRESHOLD, N_HASHES, K = 0.8, 128, 5
MIN_LEN, MAX_LEN = 300, 3000
SIZES, SIZES_QUICK = (10_000, 100_000, 1_000_000), (5_000, 10_000)
AGREEMENT_MAX = 10_000
CORES = 2
DUP_RATE, DUP_MAX_EDIT, DUP_LOOKBACK = 0.05, 0.01, 20_000
GEN_MIN_EDIT, GEN_MAX_EDIT = 0.03, 0.08
ROWS_PER_FILE = 5_000
ROW_GROUP = 500
GOAL_PER_CORE = 1_000.0
#: text-dedup README: 42 M rows in < 40 minutes on 160 cores (10 x c2d-standard-16 workers)
REFERENCE_PER_CORE = 42e6 / (40 * 60) / 160
GENERATOR_VERSION = 1


# ---------------------------------------------------------------------------------------------
# Documents


def _length(rng: random.Random) -> int:
    return round(math.exp(rng.uniform(math.log(MIN_LEN), math.log(MAX_LEN))))


def corpus_text() -> str:
    poetry = "\n".join(str(r["text"]) for r in C.iter_docs("zh-chinese-poetry"))
    novels = "\n".join(str(r["text"]) for r in C.iter_docs("zh-classic-novels"))
    return poetry + "\n" + novels


def real_docs(text: str) -> list[str]:
    """Consecutive documents of 300-3,000 characters (each corpus character once)."""
    rng = random.Random(0)
    docs: list[str] = []
    pos = 0
    while pos < len(text):
        n = _length(rng)
        docs.append(text[pos : pos + n])
        pos += n
    return docs


def _codepoints(s: str) -> np.ndarray:
    return np.frombuffer(s.encode("utf-32-le"), dtype="<u4")


class Stream:
    """The document stream, made a batch at a time (vectorized: one decode per batch).

    Fresh positions take the real documents in order, then generated windows; each position
    after the first is, with probability DUP_RATE, an edited copy of one of the previous
    DUP_LOOKBACK fresh documents instead.
    """

    def __init__(self, text: str, real: list[str]) -> None:
        self.corpus = _codepoints(text)
        # edit characters come from the corpus, so with its frequencies
        self.pool = self.corpus[self.corpus != ord("\n")]
        self.real = real
        self.rng = np.random.default_rng(1)
        self.i_real = 0
        self.recent: list[str] = []
        self.counts = {"real": 0, "window": 0, "copy": 0, "chars": 0}

    def _edit(self, cp: np.ndarray, lengths: np.ndarray, rates: np.ndarray) -> list[str]:
        """Documents concatenated in `cp`: substitute, insert or delete each character with
        its document's rate (one third each); return the edited documents."""
        rng, pool = self.rng, self.pool
        n = len(lengths)
        doc = np.repeat(np.arange(n), lengths)
        pos = np.flatnonzero(rng.random(len(cp)) < rates[doc])
        ops = rng.integers(0, 3, len(pos))
        out = cp.copy()
        sub = pos[ops == 0]
        out[sub] = pool[rng.integers(0, len(pool), len(sub))]
        keep = np.ones(len(cp), dtype=bool)
        keep[pos[ops == 2]] = False
        ins = pos[ops == 1]
        out = np.insert(out, ins, pool[rng.integers(0, len(pool), len(ins))])
        keep = np.insert(keep, ins, True)
        doc = np.insert(doc, ins, doc[ins])
        out, doc = out[keep], doc[keep]
        bounds = np.concatenate([[0], np.cumsum(np.bincount(doc, minlength=n))]).tolist()
        s = out.astype("<u4").tobytes().decode("utf-32-le")
        return [s[a:b] for a, b in itertools.pairwise(bounds)]

    def batch(self, n: int) -> list[str]:
        rng = self.rng
        is_copy = rng.random(n) < DUP_RATE
        if not self.recent:
            is_copy[0] = False
        docs: list[str] = [""] * n
        fresh = np.flatnonzero(~is_copy)
        n_real = min(len(fresh), len(self.real) - self.i_real)
        for k, i in enumerate(fresh[:n_real].tolist()):
            docs[i] = self.real[self.i_real + k]
        self.i_real += n_real
        gen = fresh[n_real:]
        if len(gen):
            u = rng.uniform(math.log(MIN_LEN), math.log(MAX_LEN), len(gen))
            lengths = np.minimum(np.rint(np.exp(u)).astype(np.int64), len(self.corpus))
            starts = rng.integers(0, len(self.corpus) - lengths + 1)
            offsets = np.cumsum(lengths) - lengths
            idx = np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()))
            rates = rng.uniform(GEN_MIN_EDIT, GEN_MAX_EDIT, len(gen))
            for i, d in zip(gen.tolist(), self._edit(self.corpus[idx], lengths, rates)):
                docs[i] = d
        copies = np.flatnonzero(is_copy)
        if len(copies):
            sources = self.recent + [docs[i] for i in fresh.tolist()]
            avail = len(self.recent) + np.searchsorted(fresh, copies)
            pick = rng.integers(np.maximum(0, avail - DUP_LOOKBACK), avail)
            chosen = [sources[j] for j in pick.tolist()]
            lengths = np.array([len(d) for d in chosen], dtype=np.int64)
            rates = rng.uniform(0.0, DUP_MAX_EDIT, len(copies))
            edited = self._edit(_codepoints("".join(chosen)), lengths, rates)
            for i, d in zip(copies.tolist(), edited):
                docs[i] = d
        self.recent += [docs[i] for i in fresh.tolist()]
        del self.recent[: max(0, len(self.recent) - DUP_LOOKBACK)]
        self.counts["real"] += n_real
        self.counts["window"] += len(gen)
        self.counts["copy"] += len(copies)
        self.counts["chars"] += sum(len(d) for d in docs)
        return docs


def write_dataset(n_max: int, folder: Path, rep: C.Report) -> list[dict[str, int]]:
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
    text = corpus_text()
    stream = Stream(text, real_docs(text))
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


def counts_at(counts: list[dict[str, int]], n: int) -> dict[str, int]:
    if n % ROWS_PER_FILE == 0:
        return counts[n // ROWS_PER_FILE - 1]
    raise ValueError(f"n={n} must be a multiple of {ROWS_PER_FILE}")


def files_for(folder: Path, n: int) -> list[str]:
    return [str(folder / f"part-{p:05d}.parquet") for p in range(math.ceil(n / ROWS_PER_FILE))]


# ---------------------------------------------------------------------------------------------
# Measuring


def _tree_cpu_ticks() -> dict[int, int] | None:
    """utime + stime (clock ticks) of this process and of every descendant, from /proc."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return None
    parent: dict[int, int] = {}
    cpu: dict[int, int] = {}
    for p in proc.iterdir():
        if not p.name.isdigit():
            continue
        try:
            data = (p / "stat").read_text()
        except OSError:
            continue
        rest = data[data.rindex(")") + 2 :].split()
        parent[int(p.name)] = int(rest[1])
        cpu[int(p.name)] = int(rest[11]) + int(rest[12])
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    out: dict[int, int] = {}
    stack = [os.getpid()]
    while stack:
        pid = stack.pop()
        out[pid] = cpu.get(pid, 0)
        stack.extend(children.get(pid, []))
    return out


class CpuMeter:
    """CPU seconds used by this process and its descendants (the JVM, the Python workers)
    between start() and stop(), by sampling /proc every `interval` seconds.

    Each process counts with its own utime + stime, from its value at start() (0 for a
    process started later) to the last value seen: Python workers that exit (Spark retires
    idle ones) keep what they used, up to one interval before their exit. The children's
    cutime/cstime are not used: a worker whose parent dies is reparented out of the tree, so
    its time would be lost, or counted twice when its parent reaps it."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.available = _tree_cpu_ticks() is not None
        self._first: dict[int, int] = {}
        self._last: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        now = _tree_cpu_ticks() or {}
        for pid, ticks in now.items():
            self._first.setdefault(pid, 0)
            self._last[pid] = max(ticks, self._last.get(pid, 0))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def start(self) -> None:
        self._first = dict(_tree_cpu_ticks() or {})
        self._last = dict(self._first)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> float | None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if not self.available:
            return None
        self._sample()
        ticks = sum(self._last[p] - self._first.get(p, 0) for p in self._last)
        return ticks / os.sysconf("SC_CLK_TCK")


class Stages:
    """Shuffle bytes of the stages run since the last mark, from Spark's status store."""

    def __init__(self, spark: Any) -> None:
        sc = spark.sparkContext
        self._gw = sc._gateway
        self._store = sc._jsc.sc().statusStore()
        self._seen: set[tuple[int, int]] = set()
        self.available = True
        try:
            self._seen = set(self._all())
        except Exception as exc:  # an internal API: report its absence, do not fail
            self.available = False
            self.error = f"{type(exc).__name__}: {str(exc)[:200]}"

    def _list(self) -> Any:
        gw = self._gw
        return self._store.stageList(
            None, False, False, gw.new_array(gw.jvm.double, 0), gw.jvm.java.util.ArrayList()
        )

    def _all(self) -> dict[tuple[int, int], tuple[int, int, int]]:
        out = {}
        it = self._list().iterator()
        while it.hasNext():
            s = it.next()
            out[(s.stageId(), s.attemptId())] = (
                int(s.shuffleWriteBytes()),
                int(s.shuffleReadBytes()),
                int(s.numTasks()),
            )
        return out

    def since_mark(self) -> tuple[int, int, int, int]:
        """(shuffle write bytes, shuffle read bytes, stages, tasks) of the new stages."""
        if not self.available:
            return (-1, -1, 0, 0)
        now = self._all()
        new = {k: v for k, v in now.items() if k not in self._seen}
        self._seen = set(now)
        return (
            sum(v[0] for v in new.values()),
            sum(v[1] for v in new.values()),
            len(new),
            sum(v[2] for v in new.values()),
        )


@dataclass
class Step:
    n: int
    name: str
    wall: float
    cpu: float | None
    shuffle_write: int
    shuffle_read: int
    stages: int
    tasks: int
    capped: bool = False
    note: str = ""


def timed(
    spark: Any, stages: Stages, n: int, name: str, fn: Callable[[], Any], cap: float | None
) -> tuple[Step, Any]:
    """Run `fn` with a wall-clock cap: once reached, Spark's jobs are cancelled (every second,
    as `fn` may start new ones) until `fn` gives up."""
    sc = spark.sparkContext
    fired = threading.Event()
    done = threading.Event()

    def guard() -> None:
        if cap is None or done.wait(cap):
            return
        fired.set()
        while not done.is_set():
            sc.cancelAllJobs()
            done.wait(1.0)

    watcher = threading.Thread(target=guard, daemon=True)
    stages.since_mark()
    meter = CpuMeter()
    meter.start()
    t0 = time.perf_counter()
    result = None
    watcher.start()
    try:
        result = fn()
    except Exception:
        if not fired.is_set():
            raise
    finally:
        done.set()
        watcher.join()
    wall = time.perf_counter() - t0
    cpu = meter.stop()
    sw, sr, n_stages, n_tasks = stages.since_mark()
    return Step(n, name, wall, cpu, sw, sr, n_stages, n_tasks, capped=fired.is_set()), result


# ---------------------------------------------------------------------------------------------


def start_spark(tmp: Path) -> Any:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(f"local[{CORES}]")
        .appName("textprint-bench-spark")
        .config("spark.driver.memory", "6g")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.ui.retainedStages", "100000")
        .config("spark.ui.retainedJobs", "100000")
        .config("spark.sql.shuffle.partitions", "16")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "10000")
        .config("spark.sql.files.maxPartitionBytes", str(16 << 20))
        .config("spark.local.dir", str(tmp / "spark-local"))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(str(tmp / "checkpoints"))
    return spark


def fmt_mb(b: int) -> str:
    return "n/a" if b < 0 else f"{b / 1e6:,.1f}"


def run(args: argparse.Namespace) -> tuple[str, str]:
    from textprint.integrations import spark as tps

    rep = C.Report()
    sizes = SIZES_QUICK if args.quick else tuple(args.sizes or SIZES)
    cache = args.cache_dir or Path(tempfile.gettempdir()) / "textprint-bench-spark"
    data = cache / "docs"
    counts = write_dataset(max(sizes), data, rep)
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
    dedup_stats: dict[int, Any] = {}
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
        rep(_step_line(step))
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
        rep(_step_line(step))
        if out is not None:
            result, stats = out
            dedup_stats[n] = stats
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
    body = render(steps, info_rows, agreement, dedup_stats, load0, load1, stages.available)
    return rep.text, body


def check_agreement(
    spark: Any, result: Any, files: list[str], n: int, stats: Any, rep: C.Report
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


def _step_line(s: Step) -> str:
    if s.capped:
        return f"{s.n:>9,} {s.name:<10} CAPPED after {s.wall:,.0f} s (cancelled)"
    cpu = f"{s.cpu:,.0f}" if s.cpu is not None else "n/a"
    return (
        f"{s.n:>9,} {s.name:<10} wall {s.wall:8.1f} s  CPU {cpu:>7} s  "
        f"{s.n / s.wall / CORES:8,.0f} docs/s/core (wall)  "
        + (f"{s.n / s.cpu:8,.0f} docs/s/core (CPU)  " if s.cpu else "")
        + f"shuffle write {fmt_mb(s.shuffle_write)} MB read {fmt_mb(s.shuffle_read)} MB  "
        f"{s.stages} stages {s.tasks} tasks"
    )


def render(
    steps: Sequence[Step],
    info_rows: list[list[object]],
    agreement: list[str],
    dedup_stats: dict[int, Any],
    load0: tuple[float, float, float],
    load1: tuple[float, float, float],
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
            base = done.get((largest[s.name], s.name)) if largest[s.name] else None
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
    out = ["## Protocol", "", _protocol(), "", "## Documents", ""]
    out.append(
        C.table(
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
    out += ["", "## Scaling", ""]
    out.append(
        C.table(
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
        " signatures. Goal: at least"
        f" {GOAL_PER_CORE:,.0f} docs/s/core; text-dedup's published Spark run (BigCode) works"
        f" out at about {REFERENCE_PER_CORE:,.0f} docs/s/core (42 M rows, 40 minutes, 160"
        " cores; other documents and hardware).",
        "",
        f"Load average (1 / 5 / 15 min) at the start: {load0[0]:.1f} / {load0[1]:.1f} /"
        f" {load0[2]:.1f}; at the end: {load1[0]:.1f} / {load1[1]:.1f} / {load1[2]:.1f}"
        f" ({os.cpu_count()} CPUs). A load above 2 means other jobs shared the cores, which"
        " stretches wall time, CPU seconds much less.",
    ]
    if not shuffle_ok:
        out += ["", "Shuffle bytes could not be read from Spark's status store on this run."]
    out += ["", "## Against the goal", ""]
    verdict_rows = []
    for name in ("signatures", "dedup"):
        n = largest[name]
        if n is None:
            verdict_rows.append([name, "-", "-", "-", "not measured", "-"])
            continue
        st = done[(n, name)]
        per_core = st.n / st.cpu if st.cpu else st.n / st.wall / CORES
        wall_core = st.n / st.wall / CORES
        verdict_rows.append(
            [
                name,
                f"{n:,}",
                f"{per_core:,.0f}",
                f"{wall_core:,.0f}",
                "meets"
                if min(per_core, wall_core) >= GOAL_PER_CORE
                else ("meets on CPU time only" if per_core >= GOAL_PER_CORE else "BELOW"),
                f"{per_core / REFERENCE_PER_CORE:,.1f}x / {wall_core / REFERENCE_PER_CORE:,.1f}x",
            ]
        )
    out.append(
        C.table(
            [
                "step",
                "at docs",
                "docs/s/core (CPU)",
                "docs/s/core (wall)",
                f"goal {GOAL_PER_CORE:,.0f}",
                f"vs text-dedup ~{REFERENCE_PER_CORE:,.0f} (CPU / wall)",
            ],
            verdict_rows,
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
        out += ["", "## Dedup work", ""]
        out.append(
            C.table(
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
                        f"{s.n_candidate_pairs:,}",
                        f"{s.n_verified_pairs:,}",
                        s.n_skipped_buckets,
                        s.iterations,
                    ]
                    for n, s in sorted(dedup_stats.items())
                ],
            )
        )
    out += ["", "## Agreement with the local API", ""]
    out += [f"- {a}" for a in agreement] or ["- not measured on this run"]
    return "\n".join(out)


def _protocol() -> str:
    doc = __doc__ or ""
    start = doc.index("Protocol:")
    end = doc.index("    python benchmarks/bench_spark.py")
    return doc[start:end].strip()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    C.add_common_args(parser)
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
    args = parser.parse_args(argv)
    C.require_corpora("zh-chinese-poetry", "zh-classic-novels")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        print('SKIPPED: pyspark is not installed (pip install "textprint[spark]")')
        raise SystemExit(0) from None
    if args.out is None and not args.quick and not args.sizes:
        args.out = C.DOCS / "spark.md"
    t0 = time.perf_counter()
    output, body = run(args)
    if args.out is not None:
        C.write_markdown(
            args.out,
            title="Benchmark: Spark (local mode): signatures and dedup at scale",
            command="python benchmarks/bench_spark.py" + (" --quick" if args.quick else ""),
            info=C.machine_info(),
            body=body,
            output=output,
            runtime=time.perf_counter() - t0,
        )
        print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
