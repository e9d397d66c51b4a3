"""Crash safety and concurrency of textprint.Registry.

API.md: a work is durable once ``register`` returns (WAL with full sync); ``register_many``
acknowledges each batch as it commits; readers see new works at their next ``check``, also
from other processes; a second writer waits, then raises ``RegistryBusyError``.

Child processes run ``tests/_registry_worker.py`` with ``sys.executable``. They are killed with
SIGKILL at seeded moments: after a seeded number of acknowledged batches, so the kill lands
wherever the child happens to be (fingerprinting, inside a transaction, in ``on_commit``).
Nothing here measures time: waits are bounded (``TIMEOUT``) only so a hung child fails the test
instead of hanging it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import textprint as tp
from _registry_worker import PROBE_BASE, assert_index_consistent, integrity, raw, work_text

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="SIGKILL and select() on pipes are POSIX"
)

WORKER = Path(__file__).parent / "_registry_worker.py"
#: Generous bound on any single wait for a child (it imports numpy; CI machines are slow).
TIMEOUT = 120.0
#: Work ids of kill round r are r * STRIDE + 0, 1, 2, ...
STRIDE = 100_000


class Child:
    """A worker process whose stdout lines arrive on a queue (read by a thread)."""

    def __init__(self, *args: object) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER), *map(str, args)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr: list[str] = []
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines), daemon=True),
            threading.Thread(target=self._collect, args=(self.proc.stderr,), daemon=True),
        ]
        for t in self._threads:
            t.start()

    @staticmethod
    def _pump(stream: Any, out: queue.Queue[str | None]) -> None:
        for line in stream:
            out.put(line.rstrip("\n"))
        out.put(None)  # end of output

    def _collect(self, stream: Any) -> None:
        for line in stream:
            self.stderr.append(line)

    def next_line(self) -> str | None:
        """The next line of output, None at its end; fails the test after TIMEOUT."""
        try:
            return self.lines.get(timeout=TIMEOUT)
        except queue.Empty:
            self.kill()
            pytest.fail(f"no output from the child within {TIMEOUT} s; stderr: {self.err()}")

    def expect(self, prefix: str) -> str:
        line = self.next_line()
        if line is None or not line.startswith(prefix):
            self.wait()
            pytest.fail(f"expected {prefix!r} from the child, got {line!r}; stderr: {self.err()}")
        return line

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def rest(self) -> list[str]:
        """Every remaining line, once the process has ended."""
        out = []
        while (line := self.next_line()) is not None:
            out.append(line)
        return out

    def kill(self) -> None:
        """SIGKILL the child (by its pid) if it still runs, and reap it."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=TIMEOUT)

    def wait(self) -> int:
        """Close its stdin, wait for it to exit; its return code."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        return self.proc.wait(timeout=TIMEOUT)

    def close(self) -> None:
        """Kill if needed, then close the pipes once the reader threads are done."""
        self.kill()
        for t in self._threads:
            t.join(timeout=TIMEOUT)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None and not stream.closed:
                with contextlib.suppress(BrokenPipeError):  # stdin of a dead child
                    stream.close()

    def err(self) -> str:
        return "".join(self.stderr)[-3000:]


@pytest.fixture
def children() -> Iterator[list[Child]]:
    """Children started by a test; any still running at its end are killed (by their pid)."""
    started: list[Child] = []
    yield started
    for child in started:
        child.close()


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_ack(line: str) -> list[int]:
    assert line.startswith("ack "), line
    return [int(w) for w in line.split()[1:]]


# -- SIGKILL ------------------------------------------------------------------------------------


@dataclass
class KillPlan:
    """What a kill run does: rounds, batch sizes and how much to let each child acknowledge."""

    rounds: int
    seed: int
    batch_sizes: tuple[int, int]
    acked_per_round: tuple[int, int]
    verify_every: int = 1


@dataclass
class KillRun:
    """What a kill run saw, per round: the ids acknowledged to the parent before the kill, and
    the ids found in the registry after it (a superset: a batch may commit and the child die
    before its acknowledgement is written)."""

    acked: dict[int, set[int]]
    present: dict[int, set[int]]
    kills: int = 0
    integrity_checks: int = 0
    index_checks: int = 0

    def figures(self, name: str, plan: KillPlan) -> dict[str, Any]:
        acked = set().union(*self.acked.values())
        present = set().union(*self.present.values())
        return {
            "test": name,
            "seed": plan.seed,
            "kills": self.kills,
            "works_acknowledged": len(acked),
            "works_present": len(present),
            "works_lost": len(acked - present),
            "committed_not_yet_acknowledged": len(present - acked),
            "integrity_checks_ok": self.integrity_checks,
            "index_consistency_checks_ok": self.index_checks,
        }


def report(figures: dict[str, Any]) -> None:
    """Append figures to the JSON-lines file ``TEXTPRINT_CRASH_FIGURES`` names, if any
    (docs/reliability.md quotes them)."""
    target = os.environ.get("TEXTPRINT_CRASH_FIGURES")
    if target:
        with open(target, "a", encoding="utf-8") as f:
            f.write(json.dumps(figures) + "\n")


def run_kills(path: Path, plan: KillPlan, children: list[Child]) -> KillRun:
    """Start a registering child per round, SIGKILL it after a seeded number of acknowledged
    works, and check the file after every kill. Returns what each round acknowledged and left.

    The next round's child is started (and imports textprint) while the current one runs; it
    opens the registry only when told to, after the check.
    """
    rng = random.Random(plan.seed)
    rounds = [
        (r * STRIDE, rng.randint(*plan.batch_sizes), rng.randint(*plan.acked_per_round))
        for r in range(plan.rounds)
    ]
    tp.Registry(path).close()

    def spawn(r: int) -> Child:
        start, batch_size, _ = rounds[r]
        child = Child("register", path, start, STRIDE, batch_size, "--wait")
        children.append(child)
        return child

    run = KillRun(acked={}, present={})
    nxt: Child | None = spawn(0)
    for r, (start, batch_size, target) in enumerate(rounds):
        assert nxt is not None
        child = nxt
        child.expect("waiting")
        nxt = spawn(r + 1) if r + 1 < len(rounds) else None
        child.send("go")
        acked: list[int] = []
        while len(acked) < target:
            line = child.next_line()
            if line is None or not line.startswith("ack "):
                child.wait()
                pytest.fail(f"round {r}: child said {line!r}; stderr: {child.err()}")
            acked += parse_ack(line)
        child.kill()
        assert child.proc.returncode == -signal.SIGKILL
        run.kills += 1
        # lines the child wrote before it died are acknowledgements too
        acked += [w for line in child.rest() if line.startswith("ack ") for w in parse_ack(line)]
        run.acked[r] = set(acked)
        run.present[r] = check_after_kill(path, r, start, batch_size, acked, plan)
        run.integrity_checks += 1
        run.index_checks += r % plan.verify_every == 0
    return run


def check_after_kill(
    path: Path, r: int, start: int, batch_size: int, acked: list[int], plan: KillPlan
) -> set[int]:
    assert integrity(path) == "ok", f"round {r}: integrity_check failed"
    with tp.Registry(path) as reg:
        present = {w for w in reg if isinstance(w, int) and start <= w < start + STRIDE}
        missing = sorted(set(acked) - present)
        assert not missing, f"round {r}: acknowledged works lost: {missing[:10]}"
        # batches are atomic: the round's works are whole batches, registered in order
        assert present == set(range(start, start + len(present))), f"round {r}: holes"
        assert len(present) % batch_size == 0, f"round {r}: a partial batch was committed"
        for w in [*sorted(present)[:: max(1, len(present) // 5)], max(present)]:
            work = reg.get(w)
            assert work.text == work_text(w)
            assert work.sha256 == sha256(work_text(w))
        last = max(present)
        assert [h.work_id for h in reg.check("转载：" + work_text(last))] == [last]
    if r % plan.verify_every == 0:
        assert_index_consistent(path)
    return present


def test_sigkill_while_registering_loses_no_acknowledged_work(
    tmp_path: Path, children: list[Child]
) -> None:
    path = tmp_path / "works.db"
    plan = KillPlan(rounds=10, seed=20240611, batch_sizes=(1, 8), acked_per_round=(1, 12))
    run = run_kills(path, plan, children)
    present = run.present
    assert len(present) == 10
    assert run.kills == 10
    with raw(path) as conn:  # WAL, as API.md promises
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with tp.Registry(path) as reg:
        assert len(reg) == sum(len(p) for p in present.values())
    assert_index_consistent(path)
    report(run.figures("sigkill-ci", plan))


@pytest.mark.slow
def test_sigkill_many_times_over_ten_thousand_works(tmp_path: Path, children: list[Child]) -> None:
    path = tmp_path / "works.db"
    plan = KillPlan(
        rounds=100, seed=7, batch_sizes=(5, 40), acked_per_round=(100, 140), verify_every=10
    )
    run = run_kills(path, plan, children)
    present = run.present
    total = sum(len(p) for p in present.values())
    assert run.kills == 100
    assert total >= 10_000
    with tp.Registry(path) as reg:
        assert len(reg) == total
        for r, ids in present.items():
            last = max(ids)
            assert [h.work_id for h in reg.check(work_text(last))] == [last], r
    assert integrity(path) == "ok"
    assert_index_consistent(path)
    report(run.figures("sigkill-full", plan))


def test_sigkill_during_rebuild_leaves_the_registry_as_it_was_or_rebuilt(
    tmp_path: Path, children: list[Child]
) -> None:
    path = tmp_path / "works.db"
    with tp.Registry(path) as reg:
        reg.register_many((i, work_text(i)) for i in range(300))
    child = Child("rebuild", path, 7)
    children.append(child)
    child.expect("start")
    child.kill()
    assert integrity(path) == "ok"
    with tp.Registry(path) as reg:
        assert reg.manifest["k"] in {"5", "7"}
        assert list(reg) == list(range(300))
        for w in (0, 150, 299):
            assert [h.work_id for h in reg.check("转载：" + work_text(w))] == [w]
    assert_index_consistent(path)


def compaction_base(path: Path, n: int) -> list[int]:
    """A registry of `n` works of 600 characters in batches of 25 (many segments), every 97th
    removed; the works it holds."""
    with tp.Registry(path) as reg:
        reg.register_many(((i, work_text(i, 600)) for i in range(n)), batch_size=25)
        for i in range(0, n, 97):
            reg.remove(i)
    return [i for i in range(n) if i % 97]


def run_compaction_kills(tmp_path: Path, children: list[Child], n_kills: int, seed: int) -> int:
    """Kill a compacting child `n_kills` times at seeded moments; after each kill the registry
    holds every work, finds them, and is consistent. Returns how many kills landed before the
    compaction's end."""
    import shutil
    import time

    base = tmp_path / "base.db"
    held = compaction_base(base, 2000)
    probe = tmp_path / "probe.db"
    shutil.copy(base, probe)
    t0 = time.perf_counter()
    with tp.Registry(probe) as reg:
        reg.compact()
    duration = time.perf_counter() - t0
    rng = random.Random(seed)
    interrupted = 0
    for r in range(n_kills):
        path = tmp_path / f"round-{r}.db"
        shutil.copy(base, path)
        child = Child("compact", path)
        children.append(child)
        child.expect("start")
        time.sleep(rng.uniform(0.0, 1.5 * duration))
        child.kill()
        finished = "done" in child.rest()
        interrupted += not finished
        assert integrity(path) == "ok", f"round {r}: integrity_check failed"
        with raw(path) as conn:
            n_segments = conn.execute("SELECT COUNT(*) FROM segments").fetchone()[0]
        if not finished:
            assert n_segments >= 1
        with tp.Registry(path) as reg:
            assert list(reg) == held, f"round {r}: works lost or added"
            for w in held[:: len(held) // 7]:
                assert [h.work_id for h in reg.check("转载：" + work_text(w, 600))] == [w], r
        if r % 5 == 0:
            assert_index_consistent(path)
        path.unlink()
    return interrupted


def test_sigkill_during_compaction_loses_nothing(tmp_path: Path, children: list[Child]) -> None:
    interrupted = run_compaction_kills(tmp_path, children, n_kills=5, seed=11)
    report({"test": "sigkill-compaction-ci", "kills": 5, "interrupted": interrupted, "lost": 0})


@pytest.mark.slow
def test_sigkill_during_compaction_many_times(tmp_path: Path, children: list[Child]) -> None:
    interrupted = run_compaction_kills(tmp_path, children, n_kills=100, seed=12)
    assert interrupted >= 50  # most kills land inside the compaction
    report({"test": "sigkill-compaction-full", "kills": 100, "interrupted": interrupted, "lost": 0})


# -- other processes --------------------------------------------------------------------------


def test_reader_process_sees_each_acknowledged_batch_at_its_next_check(
    tmp_path: Path, children: list[Child]
) -> None:
    path = tmp_path / "works.db"
    with tp.Registry(path) as reg:
        reg.register(PROBE_BASE, work_text(PROBE_BASE))
    reader = Child("reader", path)
    children.append(reader)
    reader.expect("ready")
    writer = Child("register", path, 1, 240, 8)
    children.append(writer)
    n_probes = 0
    while (line := writer.next_line()) is not None and line != "done":
        batch = parse_ack(line)
        # the batch is committed: the reader's next check must find it
        for wid in (batch[0], batch[-1]):
            reader.send(f"probe {wid}")
            assert reader.expect("probe").split() == ["probe", str(wid), "1", "1"]
            n_probes += 1
    assert line == "done", writer.err()
    assert writer.wait() == 0, writer.err()
    reader.send("quit")
    n_checks = int(reader.expect("stats").split()[1])
    assert reader.wait() == 0, reader.err()
    assert n_probes == 2 * 30
    assert n_checks > n_probes
    for child in (reader, writer):
        assert "locked" not in child.err()
        assert "Error" not in child.err()
    with tp.Registry(path) as reg:
        assert len(reg) == 241
    assert_index_consistent(path)
    report(
        {
            "test": "reader-process",
            "batches": n_probes // 2,
            "probes_found": n_probes,
            "reader_checks": n_checks,
        }
    )


def test_two_writer_processes_both_commit(tmp_path: Path, children: list[Child]) -> None:
    path = tmp_path / "works.db"
    tp.Registry(path).close()
    a = Child("register", path, 0, 150, 5)
    b = Child("register", path, 1000, 150, 7)
    children += [a, b]
    acked: list[int] = []
    for child in (a, b):
        lines = child.rest()
        assert lines[-1] == "done", child.err()
        acked += [w for line in lines[:-1] for w in parse_ack(line)]
        assert child.wait() == 0, child.err()
    assert len(acked) == 300
    with tp.Registry(path) as reg:
        assert set(reg) == set(acked)
    assert_index_consistent(path)


@pytest.fixture
def held_write_lock(tmp_path: Path) -> Iterator[Path]:
    """A registry file whose write lock a plain sqlite3 connection holds (BEGIN IMMEDIATE)."""
    path = tmp_path / "works.db"
    with tp.Registry(path) as reg:
        reg.register("a", work_text(1))
    holder = sqlite3.connect(str(path), isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield path
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_second_writer_raises_registry_busy_error(held_write_lock: Path) -> None:
    path = held_write_lock
    reg = tp.Registry(path, timeout=0.2)  # opening is not writing: it does not wait
    with pytest.raises(tp.RegistryBusyError, match="busy") as info:
        reg.register("b", work_text(2))
    assert isinstance(info.value, tp.StorageError)
    assert isinstance(info.value, OSError)
    acked: list[list[Any]] = []
    with pytest.raises(tp.RegistryBusyError):
        reg.register_many([("b", work_text(2)), ("c", work_text(3))], on_commit=acked.append)
    assert acked == []
    with pytest.raises(tp.RegistryBusyError):
        reg.remove("a")
    # readers are not blocked by the writer
    assert [h.work_id for h in reg.check("转载：" + work_text(1))] == ["a"]
    assert list(reg) == ["a"]
    assert reg.get("a").text == work_text(1)
    with tp.Registry(path, timeout=0.2) as other:
        assert "a" in other
    reg.close()


def test_busy_registry_recovers_when_the_other_writer_finishes(tmp_path: Path) -> None:
    path = tmp_path / "works.db"
    with tp.Registry(path) as reg:
        reg.register("a", work_text(1))
    reg = tp.Registry(path, timeout=0.2)
    holder = sqlite3.connect(str(path), isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(tp.RegistryBusyError):
        reg.register("b", work_text(2))
    holder.execute("ROLLBACK")
    holder.close()
    reg.register("b", work_text(2))
    assert list(reg) == ["a", "b"]
    reg.close()
    assert_index_consistent(path)


def test_second_writer_process_raises_registry_busy_error(
    held_write_lock: Path, children: list[Child]
) -> None:
    child = Child("register", held_write_lock, 10, 5, 5, "--timeout", 0.2)
    children.append(child)
    assert child.expect("error") == "error RegistryBusyError"
    assert child.wait() == 3
    assert "database is locked" not in child.err()  # wrapped, not a raw sqlite3 error


# -- threads ------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["memory", "file"])
def test_threads_check_while_one_thread_registers(tmp_path: Path, where: str) -> None:
    reg = tp.Registry(None if where == "memory" else tmp_path / "works.db")
    base = [(i, work_text(i)) for i in range(1, 6)]
    reg.register_many(base)
    posts = [f"转载{i}：" + text[20:140] + "（完）" for i, text in base] + [work_text(999)]

    def summary(hits_per_post: list[list[tp.Hit]]) -> list[list[tuple[Any, ...]]]:
        return [[(h.work_id, h.passages, h.copied_chars) for h in hits] for hits in hits_per_post]

    expected = summary(reg.check_many(posts))
    assert [[h[0] for h in hits] for hits in expected] == [[1], [2], [3], [4], [5], []]
    new = [(f"new-{i}", work_text(1000 + i)) for i in range(30)]
    errors: list[BaseException] = []
    done = threading.Event()
    start = threading.Barrier(5, timeout=TIMEOUT)
    n_checks = [0] * 4
    seen_new: list[set[str]] = [set() for _ in range(4)]

    def checker(t: int) -> None:
        try:
            start.wait()
            i = 0
            while not done.is_set() or i < 5:
                if i % 2:
                    got = summary([reg.check(p) for p in posts])
                else:
                    got = summary(reg.check_many(posts))
                assert got == expected
                # a new work is either absent or found whole, never half-registered
                wid, text = new[(i * 7 + t) % len(new)]
                hits = reg.check(text)
                if wid in reg or hits:
                    assert [h.work_id for h in hits] in ([wid], []), hits
                    seen_new[t].update(str(h.work_id) for h in hits)
                i += 1
            n_checks[t] = i
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    def writer() -> None:
        try:
            start.wait()
            for lo in range(0, len(new), 3):
                reg.register_many(new[lo : lo + 3])
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    threads = [threading.Thread(target=checker, args=(t,)) for t in range(4)]
    threads.append(threading.Thread(target=writer))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=TIMEOUT)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert min(n_checks) >= 5
    report(
        {
            "test": f"threads-{where}",
            "checker_threads": 4,
            "check_rounds_per_thread": n_checks,
            "works_registered_meanwhile": len(new),
        }
    )
    assert len(reg) == len(base) + len(new)
    for wid, text in new:
        assert [h.work_id for h in reg.check("转载：" + text)] == [wid]
    reg.close()
    if where == "file":
        assert_index_consistent(tmp_path / "works.db")
