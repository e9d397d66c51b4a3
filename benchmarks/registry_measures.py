"""How bench_registry measures: registrations, checks in fresh processes, the peer, sizes.

- `build`: a registry file built one ``register_many`` batch at a time, CPU and wall time of
  each batch (making the works is not timed);
- `checks_child`: a registry file opened in a fresh process (open time, resident memory after
  opening and after 50 checks), every article checked once with its CPU and wall time,
  `check_many` over the same articles, the answers scored;
- `peer_child`: the pipeline a datasketch user builds for the same question (passages of the
  works in a MinHashLSH, re-ranked by exact shingle containment), built and checked in a fresh
  process so that its memory is its own;
- `file_sizes`: a registry file's bytes per table (SQLite's ``dbstat``), live and free pages.
"""

from __future__ import annotations

import difflib
import gc
import math
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import textprint as tp
from benchmarks.harness import fmt_rate, status_kb
from benchmarks.textgen import registry as R  # noqa: N812
from textprint import _plain

MIB = 1 << 20
#: Checks after which the resident memory is read again (what checks touch).
N_MEMORY_CHECKS = 50
#: Checks whose candidates are counted (an untimed pass).
N_CANDIDATE_CHECKS = 50
#: The datasketch pipeline: passages of PEER_CHUNK shingles (each work's shingles cut in a
#: row; the last passage ends at the work's end), article windows of PEER_CHUNK shingles every
#: PEER_QUERY_STRIDE, MinHashLSH at PEER_THRESHOLD, a hit from PEER_MIN_SHARED shared shingles.
PEER_CHUNK, PEER_QUERY_STRIDE = 128, 16
PEER_THRESHOLD, PEER_PERM, PEER_SEED = 0.7, 128, 1
PEER_MIN_SHARED = 150


def ms_stats(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p90, p99 and max of `seconds`, in milliseconds."""
    x = np.asarray(seconds, dtype=float) * 1e3
    if not len(x):
        return {"p50": float("nan"), "p90": float("nan"), "p99": float("nan"), "max": float("nan")}
    p50, p90, p99 = np.percentile(x, [50, 90, 99])
    return {"p50": float(p50), "p90": float(p90), "p99": float(p99), "max": float(x.max())}


# ---------------------------------------------------------------------------------------------
# Registration


def build(
    path: Path, ws: R.WorkSet, log: Callable[..., None], name: str, **options: Any
) -> dict[str, Any]:
    """Register every work of `ws` into a new file, one ``register_many`` per batch."""
    reg = tp.Registry(path, **options)
    rows: list[list[float]] = []
    cpu = wall = 0.0
    n_batches = math.ceil(ws.n / R.BATCH)
    for b, items in enumerate(ws.batches()):
        c0, w0 = time.process_time(), time.perf_counter()
        reg.register_many(items, batch_size=R.BATCH)
        dc, dw = time.process_time() - c0, time.perf_counter() - w0
        cpu, wall = cpu + dc, wall + dw
        rows.append([b * R.BATCH + len(items), dc, dw, len(items)])
        if (b + 1) % max(1, n_batches // 10) == 0 or b == n_batches - 1:
            log(
                f"  {name}: {rows[-1][0]:,.0f} works, {cpu:.0f} s CPU, {wall:.0f} s wall "
                f"({fmt_rate(rows[-1][0] / cpu)} works/s CPU); last batch "
                f"{len(items) / dc:,.0f} works/s CPU; generating the works {ws.gen_seconds:.0f} s"
            )
    reg.close()
    return {"batches": rows, "cpu": cpu, "wall": wall, "gen_seconds": ws.gen_seconds}


# ---------------------------------------------------------------------------------------------
# Scoring


def shared_chars(query: str, work: str | None, hit: tp.Hit) -> int:
    """Query characters of `hit`'s passages that really are in the work (-1: text unknown).

    A passage counts when its two sides, normalized, agree to difflib ratio >= 0.8: the
    held-out text then genuinely shares it with a registered work (a poem quoted in a novel,
    a scene the novelist wrote twice with a few words changed), and reporting it is right.
    Windows of 20-300 characters of two unrelated works score 0.07 (median) and at most 0.19
    over 200 random pairs; the edited repeats of Water Margin score 0.876-0.98 per passage.
    """
    if work is None:
        return -1
    n = 0
    for p in hit.passages:
        q = tp.normalize(query[p.query_start : p.query_end]).text
        w = tp.normalize(work[p.source_start : p.source_end]).text
        if difflib.SequenceMatcher(None, q, w, autojunk=False).ratio() >= 0.8:
            n += p.query_end - p.query_start
    return n


def score(
    articles: Sequence[tuple[str, str | None]],
    hits: Sequence[Sequence[tp.Hit]],
    work_text: Callable[[str], str | None],
    same: Callable[[str], str] = str,
) -> dict[str, Any]:
    """Correct: a copying article returns its work first (`same` maps a hit's work id to the
    id articles name, e.g. a piece to its novel); an unrelated one returns ``[]``. A hit on an
    unrelated article whose passages really are in the work is genuinely shared text."""
    out: dict[str, Any] = {"right_first": 0, "n_copy": 0, "empty": 0, "n_unrelated": 0}
    out |= {"shared": 0, "false_hits": 0, "extra_hits": 0}
    wrong: list[str] = []
    for i, ((text, target), got) in enumerate(zip(articles, hits)):
        ids = [same(str(h.work_id)) for h in got]
        if target is None:
            out["n_unrelated"] += 1
            if not got:
                out["empty"] += 1
                continue
            real = shared_chars(text, work_text(str(got[0].work_id)), got[0])
            if real >= 0.8 * got[0].copied_chars:
                out["shared"] += 1
                verdict = f"genuinely shared text ({real} characters verified)"
            else:
                out["false_hits"] += 1
                verdict = f"FALSE POSITIVE ({real} of {got[0].copied_chars} characters verified)"
            wrong.append(f"unrelated #{i}: {ids[:3]}: {verdict}")
            continue
        out["n_copy"] += 1
        out["extra_hits"] += len(set(ids)) > 1
        if ids[:1] == [target]:
            out["right_first"] += 1
        else:
            rank = ids.index(target) + 1 if target in ids else None
            wrong.append(f"copy #{i} of {target}: rank {rank}, got {ids[:3]}")
    out["wrong"] = wrong
    return out


def answers(hits: Sequence[Sequence[tp.Hit]]) -> list[list[list[Any]]]:
    """Each article's hits as ``[work_id, copied_chars]`` (to compare two runs)."""
    return [[[str(h.work_id), h.copied_chars] for h in got] for got in hits]


# ---------------------------------------------------------------------------------------------
# A registry file in a fresh process


def checks_child(job: dict[str, Any]) -> dict[str, Any]:
    """Open ``job["path"]``, check every article of ``job["articles"]`` ([text, target]) once,
    then all of them with `check_many`; times, memory, answers and their score.

    Resident memory is read after a warm-up of textprint's own tables (a fingerprint of the
    first article, before the file is opened), after opening, and after the untimed warm-up
    check and N_MEMORY_CHECKS timed ones.
    """
    articles = [(str(t), None if w is None else str(w)) for t, w in job["articles"]]
    texts = [t for t, _ in articles]
    tp.fingerprint(texts[0])  # textprint's tables, not the registry's memory
    # the optional compiled loops (numba) compile once per process on a thread of their
    # own: wait, so that compiling is not timed as part of the first checks
    _plain.compiled(wait=True)
    gc.collect()
    rss_base = status_kb("VmRSS")
    w0, c0 = time.perf_counter(), time.process_time()
    reg = tp.Registry(job["path"])
    open_wall, open_cpu = time.perf_counter() - w0, time.process_time() - c0
    rss_open = status_kb("VmRSS")
    w0 = time.perf_counter()
    reg.check(texts[0])  # warm-up, untimed
    first_wall = time.perf_counter() - w0
    cpu: list[float] = []
    wall: list[float] = []
    hits: list[list[tp.Hit]] = []
    rss_checks = -1
    for i, text in enumerate(texts):
        c0, w0 = time.process_time(), time.perf_counter()
        got = reg.check(text)
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
        hits.append(got)
        if i + 1 == N_MEMORY_CHECKS:
            rss_checks = status_kb("VmRSS")
    if rss_checks < 0:
        rss_checks = status_kb("VmRSS")
    c0, w0 = time.process_time(), time.perf_counter()
    many = reg.check_many(texts)
    many_cpu, many_wall = time.process_time() - c0, time.perf_counter() - w0
    candidates = count_candidates(reg, texts[:N_CANDIDATE_CHECKS])

    def work_text(wid: str) -> str | None:
        return reg.get(wid).text

    same: Callable[[str], str] = str
    if job.get("piece_of"):
        piece_of = dict(job["piece_of"])
        same = lambda wid: piece_of.get(wid, wid)  # noqa: E731
    scored = score(articles, hits, work_text, same)
    reg.close()
    return {
        "open_wall": open_wall,
        "open_cpu": open_cpu,
        "rss_base": rss_base * 1024,
        "rss_open": rss_open * 1024,
        "rss_checks": rss_checks * 1024,
        "n_memory_checks": min(N_MEMORY_CHECKS, len(texts)),
        "peak_rss": status_kb("VmHWM") * 1024,
        "first_wall": first_wall,
        "cpu": cpu,
        "wall": wall,
        "copying": [w is not None for _, w in articles],
        "many_cpu": many_cpu,
        "many_wall": many_wall,
        "many_same": answers(many) == answers(hits),
        "candidates": candidates,
        "answers": answers(hits),
        "score": scored,
    }


def count_candidates(reg: tp.Registry, texts: Sequence[str]) -> list[int]:
    """Works verified per check, for a diagnosis of where a check's time goes.

    DIAGNOSTIC ONLY: it wraps the registry's private ``_find_candidates`` seam (the one the
    tests patch to count calls) on this instance, and reads nothing else private.
    """
    counts: list[int] = []
    seam = reg._find_candidates

    def counting(q: Any, opts: Any) -> Any:
        found = seam(q, opts)
        counts.append(len(found[0]))
        return found

    reg._find_candidates = counting  # type: ignore[method-assign]
    try:
        for text in texts:
            reg.check(text)
    finally:
        del reg._find_candidates
    return counts


def check_line(c: dict[str, Any]) -> str:
    s, sc = ms_stats(c["cpu"]), c["score"]
    return (
        f"check CPU p50 {s['p50']:.1f} ms, p99 {s['p99']:.1f} ms; check_many "
        f"{len(c['cpu']) / c['many_cpu']:,.0f} articles/s; right first {sc['right_first']}/"
        f"{sc['n_copy']}, unrelated [] {sc['empty']}/{sc['n_unrelated']} (shared "
        f"{sc['shared']}, false {sc['false_hits']}); open {c['open_wall'] * 1e3:.0f} ms, RSS "
        f"{c['rss_open'] / MIB:.0f} -> {c['rss_checks'] / MIB:.0f} MiB"
    )


# ---------------------------------------------------------------------------------------------
# Sizes


def file_sizes(path: Path) -> dict[str, Any]:
    """File, WAL and free-page bytes, and live bytes per table (its indexes counted with it;
    ``dbstat`` counts the pages in use)."""
    wal = path.with_name(path.name + "-wal")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        page = int(conn.execute("PRAGMA page_size").fetchone()[0])
        free = int(conn.execute("PRAGMA freelist_count").fetchone()[0]) * page
        owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_schema").fetchall())
        tables: Counter[str] = Counter()
        for name, size in conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
            tables[str(owner.get(name, name))] += int(size)
    finally:
        conn.close()
    return {
        "file": path.stat().st_size,
        "wal": wal.stat().st_size if wal.exists() else 0,
        "free": free,
        "tables": dict(tables),
    }


# ---------------------------------------------------------------------------------------------
# The datasketch pipeline


def _starts(n: int, size: int, stride: int) -> list[int]:
    """Window starts every `stride` over `n` items, the last window ending at the end."""
    if n <= size:
        return [0]
    starts = list(range(0, n - size + 1, stride))
    return starts if starts[-1] == n - size else [*starts, n - size]


def peer_child(job: dict[str, Any]) -> dict[str, Any]:
    """Build the datasketch pipeline over the first ``job["n"]`` works of ``job["lang"]`` (the
    same works the registry holds, made again from their seeds) and check the articles."""
    from datasketch import MinHash, MinHashLSH

    lang = R.LANGUAGES[job["lang"]]()
    ws = R.WorkSet(lang, int(job["n"]), job["generator"], job.get("max_real"))
    articles = [(str(t), None if w is None else str(w)) for t, w in job["articles"]]
    tp.shingles(articles[0][0])  # textprint's tables, not the pipeline's memory
    lsh = MinHashLSH(threshold=PEER_THRESHOLD, num_perm=PEER_PERM)
    texts: dict[str, str] = {}
    owner: list[str] = []  # passage key -> work id
    gc.collect()
    rss0 = status_kb("VmRSS")
    cpu = wall = 0.0
    batches: list[list[float]] = []
    for items in ws.batches():
        c0, w0 = time.process_time(), time.perf_counter()
        chunks: list[list[bytes]] = []
        for wid, text in items:
            sh = tp.shingles(text)
            for s in _starts(len(sh), PEER_CHUNK, PEER_CHUNK):
                chunks.append(sh[s : s + PEER_CHUNK])
                owner.append(wid)
            texts[wid] = text
        sigs = MinHash.bulk(chunks, num_perm=PEER_PERM, seed=PEER_SEED)
        with lsh.insertion_session() as session:
            for key, m in enumerate(sigs, len(owner) - len(chunks)):
                session.insert(key, m, check_duplication=False)
        dc, dw = time.process_time() - c0, time.perf_counter() - w0
        cpu, wall = cpu + dc, wall + dw
        batches.append([len(texts), dc, dw])
    del chunks, sigs
    gc.collect()
    rss_built = status_kb("VmRSS")

    def check(text: str) -> list[tuple[str, int]]:
        sh = tp.shingles(text)
        wins = [sh[s : s + PEER_CHUNK] for s in _starts(len(sh), PEER_CHUNK, PEER_QUERY_STRIDE)]
        sigs = MinHash.bulk(wins, num_perm=PEER_PERM, seed=PEER_SEED)
        cands = {owner[key] for m in sigs for key in lsh.query(m)}
        mine = set(sh)
        shared = [(w, len(mine.intersection(tp.shingles(texts[w])))) for w in cands]
        return sorted((h for h in shared if h[1] >= PEER_MIN_SHARED), key=lambda h: (-h[1], h[0]))

    check(articles[0][0])  # warm-up
    times: list[float] = []
    got: list[list[tuple[str, int]]] = []
    for text, _ in articles:
        c0 = time.process_time()
        got.append(check(text))
        times.append(time.process_time() - c0)
    right = sum(bool(g) and g[0][0] == w for (_, w), g in zip(articles, got) if w is not None)
    false_hits = sum(bool(g) for (_, w), g in zip(articles, got) if w is None)
    return {
        "n": ws.n,
        "n_chunks": len(owner),
        "bands": [lsh.b, lsh.r],
        "cpu": cpu,
        "wall": wall,
        "batches": batches,
        "gen_seconds": ws.gen_seconds,
        "rss_growth": (rss_built - rss0) * 1024,
        "check_cpu": times,
        "right_first": right,
        "n_copy": sum(w is not None for _, w in articles),
        "false_hits": false_hits,
        "n_unrelated": sum(w is None for _, w in articles),
        "answers": [[list(h) for h in g] for g in got],
    }
