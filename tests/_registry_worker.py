"""Helpers for the registry tests, and the child process of the durability tests.

Not a test module. The tests import :func:`work_text`, :func:`integrity` and
:func:`assert_index_consistent` from here; ``test_registry_durability.py`` runs this file as a
child process with ``sys.executable tests/_registry_worker.py MODE PATH ...``:

``register PATH START COUNT BATCH_SIZE [--timeout S] [--wait]``
    Register works ``START .. START+COUNT-1`` (texts from :func:`work_text`) with
    ``register_many(batch_size=BATCH_SIZE)``. From ``on_commit``, write one line per committed
    batch, ``ack ID ID ...``, and flush it: a line on stdout means the batch is acknowledged
    (durable). Write ``done`` at the end, or ``error NAME`` (the exception's class name) and exit
    3 when a textprint error stops it. With ``--wait``, import textprint, write ``waiting`` and
    wait for a line on stdin before opening the registry (the parent hides the import time).

``reader PATH``
    Open the registry, write ``ready``, then check texts in a loop (a copy of work
    ``PROBE_BASE`` must always be found) while polling stdin for commands:
    ``probe ID`` -> the next check looks for ``work_text(ID)`` and writes
    ``probe ID FOUND CONTAINED`` (1/0 each); ``quit`` -> write ``stats N_CHECKS`` and exit 0.
    The loop is bounded (``MAX_LOOPS``); an exception goes to stderr and exits 1.

``rebuild PATH K``
    Open the registry, write ``start``, run ``rebuild(k=K)``, write ``done``.

The work texts are deterministic, distinct, and share no run of characters long enough to be
evidence of copying: each is random Han characters from its own seeded generator.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import selectors
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

#: Work id of the reader's background checks; the parent registers it before starting it.
PROBE_BASE = 0
#: The reader gives up after this many loop iterations (the parent waits with a timeout too).
MAX_LOOPS = 200_000


def work_text(i: int, n_chars: int = 150) -> str:
    """A distinct text of `n_chars` random Han characters (plus full stops) for work `i`."""
    rng = random.Random(f"textprint-registry-work-{i}")
    parts = []
    for j in range(n_chars):
        parts.append(chr(rng.randint(0x4E00, 0x9FA5)))
        if j % 25 == 24:
            parts.append("。")
    return "".join(parts)


@contextlib.contextmanager
def raw(path: Path | str) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection to a registry file (autocommit), closed on exit."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def integrity(path: Path | str) -> str:
    """``PRAGMA integrity_check`` of the file ('ok' when sound)."""
    with raw(path) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def assert_index_consistent(path: Path | str) -> None:
    """The index tables agree with the works table (read with plain SQL).

    Every posting and band key belongs to a registered work, ``n_fp`` counts the work's
    postings, and ``df`` counts, per fingerprint, the clusters of near-duplicate works that
    hold it (a fingerprint counts once per cluster).
    """
    with raw(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for table in ("fp", "bands"):
            orphans = conn.execute(
                f"SELECT COUNT(*) FROM {table} WHERE work NOT IN (SELECT rowid FROM works)"
            ).fetchone()[0]
            assert orphans == 0, f"{orphans} rows of {table} belong to no work"
        bad_n_fp = conn.execute(
            "SELECT COUNT(*) FROM works AS w WHERE w.n_fp != "
            "(SELECT COUNT(*) FROM fp WHERE fp.work = w.rowid)"
        ).fetchone()[0]
        assert bad_n_fp == 0, f"{bad_n_fp} works have a wrong n_fp"
        expected = dict(
            conn.execute(
                "SELECT fp.hash, COUNT(DISTINCT w.cluster) FROM fp JOIN works AS w "
                "ON w.rowid = fp.work GROUP BY fp.hash"
            ).fetchall()
        )
        actual = dict(conn.execute("SELECT hash, n FROM df").fetchall())
        wrong = {h for h in expected.keys() | actual.keys() if expected.get(h) != actual.get(h)}
        assert not wrong, f"df disagrees with the postings for {len(wrong)} fingerprints"


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _register(args: argparse.Namespace) -> int:
    import textprint as tp

    if args.wait:
        _say("waiting")
        if not sys.stdin.readline():
            return 0

    def ack(ids: list[str | int]) -> None:
        _say("ack " + " ".join(str(i) for i in ids))

    try:
        with tp.Registry(args.path, timeout=args.timeout) as reg:
            items = ((i, work_text(i)) for i in range(args.start, args.start + args.count))
            reg.register_many(items, batch_size=args.batch_size, on_commit=ack)
    except tp.TextprintError as exc:
        _say(f"error {type(exc).__name__}")
        sys.stderr.write(f"{type(exc).__name__}: {exc}\n")
        return 3
    _say("done")
    return 0


def _reader(args: argparse.Namespace) -> int:
    import textprint as tp

    sel = selectors.DefaultSelector()
    sel.register(sys.stdin, selectors.EVENT_READ)
    n_checks = 0
    with tp.Registry(args.path) as reg:
        base = work_text(PROBE_BASE)
        _say("ready")
        for _ in range(MAX_LOOPS):
            hits = reg.check(base)
            n_checks += 1
            if [h.work_id for h in hits] != [PROBE_BASE]:
                raise AssertionError(f"background check found {[h.work_id for h in hits]}")
            if not sel.select(timeout=0):
                continue
            line = sys.stdin.readline()
            if not line or line.strip() == "quit":
                _say(f"stats {n_checks}")
                return 0
            cmd, arg = line.split()
            if cmd != "probe":
                raise AssertionError(f"unknown command {line!r}")
            wid = int(arg)
            found = any(h.work_id == wid for h in reg.check(work_text(wid)))
            n_checks += 1
            _say(f"probe {wid} {int(found)} {int(wid in reg)}")
    raise AssertionError(f"reader: no quit command after {MAX_LOOPS} loops")


def _rebuild(args: argparse.Namespace) -> int:
    import textprint as tp

    with tp.Registry(args.path) as reg:
        _say("start")
        reg.rebuild(k=args.k)
    _say("done")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("register")
    p.add_argument("path")
    p.add_argument("start", type=int)
    p.add_argument("count", type=int)
    p.add_argument("batch_size", type=int)
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--wait", action="store_true")
    p.set_defaults(run=_register)
    p = sub.add_parser("reader")
    p.add_argument("path")
    p.set_defaults(run=_reader)
    p = sub.add_parser("rebuild")
    p.add_argument("path")
    p.add_argument("k", type=int)
    p.set_defaults(run=_rebuild)
    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
