"""The tables of bench_registry's page: the goals, each size's figures, the peer, long works.

Everything here reads the results bench_registry saved (``benchmarks/results/registry.json``
and the ``registry_<size>.json`` runs merged into it); nothing measures.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from benchmarks import harness as H  # noqa: N812
from benchmarks.registry_measures import MIB, N_MEMORY_CHECKS, ms_stats

PEER = "datasketch pipeline"
#: issue 13's table: measure, required, target (at 1M works unless it says otherwise)
GOALS = [
    ("check CPU, 2,000-char article", "p50 <= 20 ms, p99 <= 100 ms", "p50 <= 5 ms, p99 <= 25 ms"),
    ("check CPU at 100k works", "-", "p50 <= 3 ms"),
    ("check_many throughput", ">= 100 articles/s/core", ">= 300 articles/s/core"),
    ("registration, durable batches", ">= 500 works/s/core", ">= 2,000, 1M in <= 15 min"),
    ("index size (no stored texts)", "<= 1.0x the UTF-8 text", "<= 0.5x; whole file <= 1.0x"),
    ("open a file", "<= 5 s", "<= 1 s, memory as checks touch it"),
    ("check against long works", "p50 within 2x of pieces", "independent of work length"),
    ("what a check finds", "unchanged", "unchanged"),
]

Q = ("p50", "p90", "p99", "max")
REG_HEADERS = ["works", "real", "CPU s", "wall s", "works/s/core", "works/s (wall)",
               "first batch works/s", "last batch works/s", "making the works s",
               "compact() s"]  # fmt: skip
LAT_HEADERS = ["works", "file", *(f"CPU {q} ms" for q in Q), *(f"wall {q} ms" for q in Q)]
FOUND_HEADERS = ["works", "file", "check_many articles/s/core", "copying: right first",
                 "unrelated: []", "unrelated: genuinely shared", "false positives",
                 "copying with > 1 hit", "works verified per check"]  # fmt: skip
SIZE_HEADERS = ["works", "file", "file per work", "index / text", "live pages / text",
                "file / text", "free pages", "stored text per work",
                "UTF-8 text per work"]  # fmt: skip
MEM_HEADERS = ["works", "file", "open ms", "RSS of the process, MiB", "+ after opening",
               f"+ after {N_MEMORY_CHECKS} checks", "first check ms (wall)"]  # fmt: skip
PEER_HEADERS = ["works", "tool", f"check speed-up over the {PEER}", "registration speed-up",
                "memory, datasketch / textprint", "works/s/core", "check CPU p50 ms", "p99 ms",
                "right first", "unrelated with a hit", "memory"]  # fmt: skip
LONG_HEADERS = ["works, tokenizer", "registered", "works", "register chars/s/core",
                "check CPU p50 ms", "p99 ms", "right first", "unrelated: []",
                "p50 whole / pieces", "same work first"]  # fmt: skip
LANG_HEADERS = ["works", "check CPU p50 ms", "p99 ms", "right first", "unrelated: []",
                "genuinely shared", "false positives"]  # fmt: skip


def scales(res: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    return sorted((int(n), s) for n, s in res["scales"].items())


def tag(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k"


def fmt_bytes(x: float) -> str:
    return f"{x / MIB:,.1f} MiB" if x >= MIB else f"{x / 1024:,.1f} KiB"


def fmt(x: float) -> str:
    """Three significant figures, without exponents."""
    return "-" if x != x else f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def index_bytes(sizes: dict[str, Any]) -> int:
    return sum(v for k, v in sizes["tables"].items() if k != "texts")


def p50(c: dict[str, Any]) -> float:
    return ms_stats(c["cpu"])["p50"]


def per_core(c: dict[str, Any]) -> float:
    return len(c["cpu"]) / float(c["many_cpu"])


def costs(n: int, s: dict[str, Any]) -> dict[str, float]:
    """The figures whose growth the page follows (on the compacted file)."""
    c, st = s["compacted"], s["sizes_compact"]
    return {
        "check CPU p50 ms": p50(c),
        "check CPU p99 ms": ms_stats(c["cpu"])["p99"],
        "check_many articles/s/core": per_core(c),
        "registration works/s/core": n / s["build"]["cpu"],
        "build wall s": s["build"]["wall"],
        "file bytes/work": st["file"] / n,
        "index / text": index_bytes(st) / s["utf8"],
        "open s": c["open_wall"],
        "RSS after open MiB": (c["rss_open"] - c["rss_base"]) / MIB,
        f"RSS after {N_MEMORY_CHECKS} checks MiB": (c["rss_checks"] - c["rss_base"]) / MIB,
    }


def growth(res: dict[str, Any]) -> tuple[list[str], list[list[object]], dict[str, float]]:
    """Each cost at each size, the fitted exponent (cost ~ works^e) and the 10M projection."""
    sc = scales(res)
    table = [costs(n, s) for n, s in sc]
    ns = [n for n, _ in sc]
    rows: list[list[object]] = []
    exps: dict[str, float] = {}
    for key in table[0]:
        ys = [t[key] for t in table]
        e = (
            float(np.polyfit(np.log(ns), np.log(ys), 1)[0])
            if len(ns) > 1 and min(ys) > 0
            else math.nan
        )
        exps[key] = e
        rows.append([key, *map(fmt, ys), fmt(round(e, 2)), fmt(ys[-1] * (1e7 / ns[-1]) ** e)])
    headers = ["cost", *(f"{tag(n)} works" for n in ns), "exponent", "10M (projected)"]
    return headers, rows, exps


def status(required: bool | None, target: bool | None) -> str:
    if target:
        return "meets the target"
    if required:
        return "meets the requirement"
    return "see the tables" if required is None else "below the requirement"


def goals_rows(res: dict[str, Any]) -> list[list[object]]:
    sc = scales(res)
    n, s = sc[-1]
    c = costs(n, s)
    at = f" ({tag(n)})"
    s100 = dict(sc).get(100_000)
    built = ms_stats(s["built"]["cpu"])
    ratios = {k: p50(v["whole"]) / p50(v["pieces"]) for k, v in res["long"].items()}
    whole_file = s["sizes_compact"]["file"] / s["utf8"]
    rss = c[f"RSS after {N_MEMORY_CHECKS} checks MiB"]
    sco = s["compacted"]["score"]
    p50s, p99s = c["check CPU p50 ms"], c["check CPU p99 ms"]
    rate, reg = c["check_many articles/s/core"], c["registration works/s/core"]
    ok100 = p50(s100["compacted"]) <= 3 if s100 else None
    measured: list[tuple[str, bool | None, bool | None]] = [
        (f"p50 {p50s:.1f} ms, p99 {p99s:.1f} ms{at}; as built {built['p50']:.1f} / "
         f"{built['p99']:.1f}", p50s <= 20 and p99s <= 100, p50s <= 5 and p99s <= 25),
        (f"p50 {p50(s100['compacted']):.1f} ms" if s100 else "not measured", None, ok100),
        (f"{rate:,.0f} articles/s{at}", rate >= 100, rate >= 300),
        (f"{reg:,.0f} works/s/core, build {s['build']['wall'] / 60:.1f} min wall{at}",
         reg >= 500, reg >= 2000 and n >= 1_000_000 and s["build"]["wall"] <= 900),
        (f"index {c['index / text']:.2f}x, whole file {whole_file:.2f}x{at}",
         c["index / text"] <= 1.0, c["index / text"] <= 0.5 and whole_file <= 1.0),
        (f"{c['open s'] * 1e3:.0f} ms; {c['RSS after open MiB']:.0f} MiB after opening, "
         f"{rss:.0f} MiB after {N_MEMORY_CHECKS} checks{at}", c["open s"] <= 5, c["open s"] <= 1),
        ("p50 whole / pieces: " + (", ".join(f"{k} {x:.2f}x" for k, x in ratios.items())
                                   or "not measured"),
         all(x <= 2 for x in ratios.values()) if ratios else None, None),
        (f"right work first {sco['right_first']}/{sco['n_copy']}, false positives "
         f"{sco['false_hits']}/{sco['n_unrelated']}{at}", None, None),
    ]  # fmt: skip
    return [[*g, m, status(r, t)] for g, (m, r, t) in zip(GOALS, measured)]


def scale_tables(res: dict[str, Any]) -> list[H.Table]:
    sc = scales(res)
    reg: list[list[object]] = []
    lat: list[list[object]] = []
    found: list[list[object]] = []
    size: list[list[object]] = []
    mem: list[list[object]] = []
    for n, s in sc:
        b, utf8 = s["build"], s["utf8"]
        rates = [r[3] / r[1] for r in b["batches"]]
        reg.append([
            f"{n:,}", f"{s['n_real']:,}", fmt(b["cpu"]), fmt(b["wall"]), fmt(n / b["cpu"]),
            fmt(n / b["wall"]), fmt(rates[0]), fmt(rates[-1]), fmt(b["gen_seconds"]),
            fmt(s["compact"][1]),
        ])  # fmt: skip
        for label, c in (("as built", s["built"]), ("after compact()", s["compacted"])):
            cpu, wall, sco = ms_stats(c["cpu"]), ms_stats(c["wall"]), c["score"]
            lat.append([f"{n:,}", label, *(fmt(cpu[q]) for q in Q), *(fmt(wall[q]) for q in Q)])
            found.append([
                f"{n:,}", label, fmt(per_core(c)), f"{sco['right_first']}/{sco['n_copy']}",
                f"{sco['empty']}/{sco['n_unrelated']}", sco["shared"], sco["false_hits"],
                sco["extra_hits"], fmt(float(np.mean(c["candidates"]))),
            ])  # fmt: skip
            mem.append([
                f"{n:,}", label, fmt(c["open_wall"] * 1e3), fmt(c["rss_base"] / MIB),
                fmt((c["rss_open"] - c["rss_base"]) / MIB),
                fmt((c["rss_checks"] - c["rss_base"]) / MIB), fmt(c["first_wall"] * 1e3),
            ])  # fmt: skip
        states = [("as built", s["sizes"]), ("after compact()", s["sizes_compact"])]
        if "notext" in s:
            states.append(("store_text=False", s["notext"]["sizes"]))
        for label, st in states:
            live = sum(st["tables"].values())
            texts = st["tables"].get("texts", 0)
            size.append([
                f"{n:,}", label, fmt_bytes(st["file"] / n), f"{index_bytes(st) / utf8:.2f}",
                f"{live / utf8:.2f}", f"{st['file'] / utf8:.2f}", fmt_bytes(st["free"]),
                fmt_bytes(texts / n), fmt_bytes(utf8 / n),
            ])  # fmt: skip
    return [
        H.Table(
            REG_HEADERS,
            reg,
            title="Registration (register_many, batches of 1,000 into one SQLite file)",
            note="works/s = CPU seconds (`time.process_time`) unless marked wall; making the "
            "works (fitting the generator included) is not counted in them; compact(): wall.",
        ),
        H.Table(
            LAT_HEADERS,
            lat,
            title="Check latency (2,000-character articles, a fresh process per file)",
            align="ll",
        ),
        H.Table(
            FOUND_HEADERS,
            found,
            title="What the checks found, and check_many",
            align="ll",
            note="check_many: articles per CPU second of one call over all of them. Works "
            f"verified per check: candidates that reached verification, over the first "
            f"{N_MEMORY_CHECKS} articles in an untimed pass (a diagnostic). The answers after "
            "compact() equal those as built: "
            + ", ".join(f"{tag(n)} {'yes' if s['same_answers'] else 'NO'}" for n, s in sc)
            + "; check_many's equal check's: "
            + ", ".join(f"{tag(n)} {'yes' if s['compacted']['many_same'] else 'NO'}" for n, s in sc)
            + ".",
        ),
        H.Table(
            SIZE_HEADERS,
            size,
            title="Size",
            align="ll",
            note="index = live bytes of every table but `texts` (SQLite's dbstat); text = the "
            "works' UTF-8 bytes; the store_text=False file cross-checks the index figure.",
        ),
        H.Table(
            MEM_HEADERS,
            mem,
            title="Open time and memory (a fresh process)",
            align="ll",
            note="RSS of the process after importing textprint and fingerprinting one article "
            "(its own tables), then its growth after opening the file and after the checks.",
        ),
    ]


def peer_table(res: dict[str, Any]) -> tuple[H.Table, list[str]]:
    rows: list[list[object]] = []
    notes: list[str] = []
    for n, s in scales(res):
        p = s.get("peer") or {"skipped": "not run"}
        if "skipped" in p:
            notes.append(f"{tag(n)}: {p['skipped']}")
            continue
        c, sco = s["compacted"], s["compacted"]["score"]
        mine = {"reg": n / s["build"]["cpu"], "p50": p50(c), "mem": c["rss_checks"] - c["rss_base"]}
        peer = {"reg": n / p["cpu"], "p50": ms_stats(p["check_cpu"])["p50"], "mem": p["rss_growth"]}
        rows += [[
            f"{n:,}", "textprint Registry", f"{peer['p50'] / mine['p50']:.1f}x",
            f"{mine['reg'] / peer['reg']:.1f}x", f"{peer['mem'] / max(mine['mem'], 1):.1f}x",
            fmt(mine["reg"]), fmt(mine["p50"]), fmt(ms_stats(c["cpu"])["p99"]),
            f"{sco['right_first']}/{sco['n_copy']}",
            f"{sco['n_unrelated'] - sco['empty']}/{sco['n_unrelated']}",
            f"{fmt_bytes(mine['mem'])} (file {fmt_bytes(s['sizes_compact']['file'])})",
        ], [
            f"{n:,}", PEER, "1.0x", "1.0x", "1.0x", fmt(peer["reg"]), fmt(peer["p50"]),
            fmt(ms_stats(p["check_cpu"])["p99"]), f"{p['right_first']}/{p['n_copy']}",
            f"{p['false_hits']}/{p['n_unrelated']}", fmt_bytes(peer["mem"]),
        ]]  # fmt: skip
    note = (
        "Registration: textprint writes durable batches to a SQLite file, the pipeline "
        "holds everything in memory. Memory: textprint = growth of a fresh process's resident "
        f"set after opening the file and {N_MEMORY_CHECKS} checks; the pipeline = growth over "
        "building it (passages, LSH tables and the texts it re-ranks with)."
    )
    return H.Table(PEER_HEADERS, rows, title=f"Against the {PEER}", align="ll", note=note), notes


def long_table(res: dict[str, Any]) -> H.Table:
    rows: list[list[object]] = []
    for name, v in res["long"].items():
        for k in ("whole", "pieces"):
            c, sco = v[k], v[k]["score"]
            whole = k == "whole"
            rows.append([
                name if whole else "", k, c["describe"], fmt(c["n_chars"] / c["register_cpu"]),
                fmt(p50(c)), fmt(ms_stats(c["cpu"])["p99"]),
                f"{sco['right_first']}/{sco['n_copy']}", f"{sco['empty']}/{sco['n_unrelated']}",
                f"{p50(v['whole']) / p50(v['pieces']):.2f}x" if whole else "",
                f"{v['agree']}/{v['n']}" if whole else "",
            ])  # fmt: skip
    title = "Long works: registered whole, and in pieces"
    return H.Table(LONG_HEADERS, rows, title=title, align="lll")


def lang_table(res: dict[str, Any]) -> H.Table:
    rows: list[list[object]] = []
    for v in res["langs"].values():
        c, sco = v["checks"], v["checks"]["score"]
        rows.append([
            v["describe"], fmt(p50(c)), fmt(ms_stats(c["cpu"])["p99"]),
            f"{sco['right_first']}/{sco['n_copy']}", f"{sco['empty']}/{sco['n_unrelated']}",
            sco["shared"], sco["false_hits"],
        ])  # fmt: skip
    return H.Table(LANG_HEADERS, rows, title="Japanese and English", align="l")
