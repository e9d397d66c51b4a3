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

``compact PATH``
    Open the registry, write ``start``, run ``compact()``, write ``done``.

The work texts are deterministic, distinct, and share no run of characters long enough to be
evidence of copying: each is random Han characters from its own seeded generator.
"""

from __future__ import annotations

import argparse
import contextlib
import json
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
    """The index agrees with the works, read independently of the registry's code.

    With :mod:`reference_registry` (plain SQL, pure Python): every registered work's postings
    are in exactly one segment and are its fingerprints (recomputed from its stored text with
    the public API, or as many as its ``n_fp`` without texts), its band postings are the band
    keys of its MinHash signature, removed works are only in the segment named for them, the
    per-work statistics and cluster counts agree, and every cluster decision follows the
    documented rule: a work starts a cluster of its own only if no earlier registered work
    shares a band key with it at an estimated Jaccard of at least 0.5 (EDITION_THRESHOLD), and a
    work that joins a cluster reaches 0.5 with an earlier member of it (when one is left).
    """
    import numpy as np

    import textprint as tp
    from reference_registry import index_report, mixed_band_keys, read_text

    with raw(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rep = index_report(conn)
        texts = (
            {r: read_text(conn, r) for r in rep["works"]}
            if rep["manifest"]["store_text"] == "True"
            else None
        )
    m = rep["manifest"]
    works, removed = rep["works"], rep["removed"]
    k, window, seed = int(m["k"]), int(m["window"]), int(m["seed"])
    n_hashes, tokenizer = int(m["n_hashes"]), m["tokenizer"]
    # where each work's postings are
    holder: dict[int, int] = {}
    for s in rep["segments"]:
        for r in s.works:
            assert r not in holder, f"work {r} is in segments {holder[r]} and {s.id}"
            holder[r] = s.id
    for r in works:
        assert r in holder, f"registered work {r} is in no segment"
    for r, seg in removed.items():
        assert r not in works, f"removed work {r} is still registered"
        assert holder.get(r) == seg, f"removed work {r} is not in segment {seg}"
    for r in holder:
        assert r in works or r in removed, f"segment work {r} is neither registered nor removed"
    # postings and statistics of every registered work
    fp: dict[int, list[tuple[int, int]]] = {r: [] for r in works}
    bands: dict[int, list[int]] = {r: [] for r in works}
    shift: dict[int, int] = {}
    for s in rep["segments"]:
        for r, c, st in zip(s.works, s.clusters, s.stats):
            if r in works:
                row = works[r]
                assert c == row[2], f"work {r}: cluster {c} in its segment, {row[2]} in works"
                assert tuple(st) == (row[3], row[4], row[5]), f"work {r}: statistics differ"
        for key, r, start, _ in s.postings.get("fp", []):
            if r in works:
                fp[r].append((key, start))
        for key, r, _, _ in s.postings.get("band", []):
            if r in works:
                bands[r].append(key)
        lay = json.loads(raw_layouts(path, s.id))["fp"]
        for r in s.works:
            shift[r] = int(lay["shift"])
    assert dict(rep["clusters"]) == dict(rep["cluster_counts"]), "cluster counts disagree"
    assert rep["counts"] == {"works": len(works), "clusters": len(rep["clusters"])}
    hasher = tp.MinHasher(n_hashes, k=k, tokenizer=tokenizer, seed=seed, scheme=m["scheme"])
    bands_n, rows_n = tp.lsh.optimal_bands(0.5, n_hashes=n_hashes)
    sigs: dict[int, list[int]] = {}
    for r, row in works.items():
        assert len(fp[r]) == row[7], f"work {r}: {len(fp[r])} fingerprint postings, n_fp {row[7]}"
        if texts is None:
            continue
        text = texts[r]
        assert row[3] == len(text)
        f = tp.fingerprint(text, k=k, window=window, tokenizer=tokenizer, seed=seed)
        sh = shift[r]
        want = sorted((int(h) >> 16, (int(a) >> sh) << sh) for h, a in zip(f.hashes, f.starts))
        assert sorted(fp[r]) == want, f"work {r}: postings are not its fingerprints"
        sig = hasher.signatures([text])
        values = [int(v) for v in sig.values[0]]
        sigs[r] = values
        stored = np.frombuffer(row[9], dtype="<u4").tolist()
        assert stored == [v & 0xFFFFFFFF for v in values], f"work {r}: stored signature"
        want_bands = mixed_band_keys(values, bands_n, rows_n) if bool(sig.valid[0]) else []
        assert sorted(bands[r]) == sorted(want_bands), f"work {r}: band postings"
    if texts is None:
        return
    # the cluster decisions, from the signatures and the documented threshold
    order = sorted(works)
    first_missing = next(e for e in range(1, len(works) + 2) if e not in works)  # a row id
    holders: dict[int, list[int]] = {}  # band key -> the works before this one holding it
    for r in order:
        if not bands[r]:
            assert works[r][2] == r, f"work {r} without a signature joined a cluster"
            continue
        earlier = sorted({e for b in set(bands[r]) for e in holders.get(b, ())})
        for b in set(bands[r]):
            holders.setdefault(b, []).append(r)

        def est(a: int, b: int) -> float:
            return sum(x == y for x, y in zip(sigs[a], sigs[b])) / n_hashes

        if works[r][2] == r:
            near = [e for e in earlier if est(e, r) >= 0.5]
            assert not near, f"work {r} started a cluster though {near} are editions of it"
        elif first_missing >= r:
            # (no earlier work was removed: the one it matched is still there)
            members = [e for e in earlier if works[e][2] == works[r][2]]
            assert members, f"work {r} joined cluster {works[r][2]}, which has no earlier work"
            assert max(est(e, r) for e in members) >= 0.5, f"work {r} joined a far cluster"


def raw_layouts(path: Path | str, seg: int) -> str:
    with raw(path) as conn:
        return str(conn.execute("SELECT layouts FROM segments WHERE id = ?", (seg,)).fetchone()[0])


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


def _compact(args: argparse.Namespace) -> int:
    import textprint as tp

    with tp.Registry(args.path) as reg:
        _say("start")
        reg.compact()
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
    p = sub.add_parser("compact")
    p.add_argument("path")
    p.set_defaults(run=_compact)
    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
