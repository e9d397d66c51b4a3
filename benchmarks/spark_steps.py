"""Running and metering Spark steps (a part of bench_spark, also used by bench_spark_check).

A step (`timed`) runs one Spark action with a wall-clock cap, CPU seconds sampled for this
process and all its descendants (the JVM, the Python workers) from /proc (`CpuMeter`), and the
shuffle bytes of the stages it ran read from Spark's status store (`Stages`).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORES = 2


def require_spark() -> Any:
    """textprint's Spark integration (``textprint.integrations.spark``); without pyspark, one
    line and exit status 0, so that running every benchmark skips cleanly."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        print('SKIPPED: pyspark is not installed (pip install "textprint[spark]")')
        raise SystemExit(0) from None
    from textprint.integrations import spark

    return spark


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


def step_line(s: Step) -> str:
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
