"""Benchmark: MinHash signatures, textprint against datasketch and rensa.

Protocol (from the issue, followed exactly):

- Corpora (read from ../shared/corpora, never copied): ``poetry-cut``, the ``text`` of every
  zh-chinese-poetry poem joined with newlines and cut into documents of 300-3,000 characters
  (lengths log-uniform, ``random.Random(0)``); ``novels``, the 461 chapters of zh-classic-novels;
  ``novels>=3000``, the chapters of at least 3,000 characters (for the one-document path).
- Peers, 128 permutations, each timed INCLUDING its own Python shingling of character 5-grams
  ``[d[i:i+5] for i in range(len(d)-4)]`` of text that was ``unicodedata.normalize("NFKC",
  text).lower()``-ed beforehand (that normalization is NOT timed):
  datasketch ``MinHash.bulk(list_of_shingle_lists, num_perm=128)`` (shingles encoded to UTF-8
  bytes inside the timed region); rensa ``RMinHash(num_perm=128, seed=0)``, ``update(shingles)``
  and ``digest()`` per document.
- textprint, timed from the RAW text (its own normalization, tokenization and shingling
  included): ``tp.MinHasher(n_hashes=128).signatures(docs)`` (batch) and
  ``[mh.signature(d) for d in docs]`` (one-document path).
- CPU time (``time.process_time``), best of 3, everything in this one process.
- Floors: batch >= 25x datasketch and >= 3x rensa (goals 50x and 5x); one-document path on
  documents >= 3,000 characters >= 1x rensa (goal).
- Checks: ``tp.MinHasher(scheme="datasketch", k=5, seed=1)`` equals datasketch
  ``MinHash(num_perm=128, seed=1).update_batch(tp.shingles(text))`` on a sample; batch and
  one-document paths of textprint agree on every timed document; estimated vs exact Jaccard of
  textprint, rensa and datasketch on pairs of overlapping windows (each tool against the exact
  Jaccard of its OWN shingle sets).

    python benchmarks/bench_minhash.py            # full run, writes docs/benchmarks/minhash.md
    python benchmarks/bench_minhash.py --quick    # a small slice in seconds, prints only
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import random
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: N812
import textprint as tp

N_HASHES = 128
K = 5
MIN_LEN, MAX_LEN = 300, 3000
SEED = 0
FLOOR_DS, GOAL_DS = 25.0, 50.0
FLOOR_RENSA, GOAL_RENSA = 3.0, 5.0
GOAL_SINGLE_RENSA = 1.0
#: ``--chunk-chars``: passed to ``signatures`` when given (None: the library's default)
CHUNK_ARG: int | None = None


def sign(mh: Any, docs: Sequence[str]) -> Any:
    """``mh.signatures(docs)``, with ``chunk_chars`` only when ``--chunk-chars`` was given."""
    return mh.signatures(docs) if CHUNK_ARG is None else mh.signatures(docs, chunk_chars=CHUNK_ARG)


# --------------------------------------------------------------------------------------------
# Corpora


def poetry_joined() -> str:
    return "\n".join(str(r["text"]) for r in C.iter_docs("zh-chinese-poetry"))


def cut_log_uniform(
    text: str, *, seed: int = SEED, lo: int = MIN_LEN, hi: int = MAX_LEN
) -> list[str]:
    """Consecutive documents of log-uniform lengths in [lo, hi] (the last one may be shorter)."""
    rng = random.Random(seed)
    docs: list[str] = []
    pos = 0
    while pos < len(text):
        n = round(math.exp(rng.uniform(math.log(lo), math.log(hi))))
        docs.append(text[pos : pos + n])
        pos += n
    return docs


def peer_view(docs: Sequence[str]) -> list[str]:
    """What the peers get: NFKC + lower-case text (prepared outside the timed region)."""
    return [unicodedata.normalize("NFKC", d).lower() for d in docs]


def grams(d: str) -> list[str]:
    return [d[i : i + K] for i in range(len(d) - K + 1)]


def interleaved(
    calls: dict[str, Callable[[], Any]],
    repeat: int,
    sys_share: dict[str, float] | None = None,
    user_best: dict[str, float] | None = None,
) -> tuple[dict[str, float], dict[str, float], dict[str, Any]]:
    """Best CPU time of each call, the rounds interleaved (tool A, B, C, A, B, C, ...) so that a
    change in the machine's load hits every tool alike. Returns best seconds, spread (slowest /
    best - 1) and the last results; fills `sys_share` with the kernel's share of the best run
    (page faults of large temporary arrays are counted as system time) and `user_best` with the
    best user-mode time alone."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in calls}
    results: dict[str, Any] = {}
    for _ in range(repeat):
        for name, fn in calls.items():
            gc.collect()
            s0 = os.times().system
            t0 = time.process_time()
            results[name] = fn()
            dt = time.process_time() - t0
            times[name].append((dt, os.times().system - s0))
    best = {n: min(t)[0] for n, t in times.items()}
    spread = {n: max(t)[0] / min(t)[0] - 1 if min(t)[0] > 0 else 0.0 for n, t in times.items()}
    if sys_share is not None:
        for n, t in times.items():
            dt, ds = min(t)
            sys_share[n] = ds / dt if dt > 0 else 0.0
    if user_best is not None:
        for n, t in times.items():
            user_best[n] = min(dt - ds for dt, ds in t)
    return best, spread, results


# --------------------------------------------------------------------------------------------
# The timed calls


def run_datasketch(norm: Sequence[str]) -> list[Any]:
    from datasketch import MinHash

    return MinHash.bulk(
        [[d[i : i + 5].encode("utf-8") for i in range(len(d) - 4)] for d in norm],
        num_perm=N_HASHES,
    )


def run_rensa(norm: Sequence[str]) -> list[Any]:
    from rensa import RMinHash

    out = []
    for d in norm:
        m = RMinHash(num_perm=N_HASHES, seed=0)
        m.update([d[i : i + 5] for i in range(len(d) - 4)])
        out.append(m.digest())
    return out


def run_rensa_objects(norm: Sequence[str]) -> list[Any]:
    """As run_rensa, keeping the objects (for the Jaccard check; not timed)."""
    from rensa import RMinHash

    out = []
    for d in norm:
        m = RMinHash(num_perm=N_HASHES, seed=0)
        m.update(grams(d))
        out.append(m)
    return out


# --------------------------------------------------------------------------------------------
# Checks


def check_datasketch_scheme(docs: Sequence[str], n_sample: int, report: C.Report) -> list[str]:
    """scheme="datasketch" against datasketch itself, on textprint's own shingles."""
    from datasketch import MinHash

    rng = random.Random(1)
    sample = rng.sample(list(docs), min(n_sample, len(docs)))
    mh = tp.MinHasher(n_hashes=N_HASHES, scheme="datasketch", k=K, seed=1)
    batch = mh.signatures(sample).values
    ok_text = ok_bytes = ok_batch = 0
    problems: list[str] = []
    for i, d in enumerate(sample):
        sh = tp.shingles(d, k=K)
        m = MinHash(num_perm=N_HASHES, seed=1)
        m.update_batch(sh)
        ref = np.asarray(m.hashvalues, dtype=np.uint64)
        ok_text += bool(np.array_equal(mh.signature(d), ref))
        ok_bytes += bool(np.array_equal(mh.signature(sh), ref))
        ok_batch += bool(np.array_equal(batch[i], ref))
    n = len(sample)
    report(
        f"scheme='datasketch' (k={K}, seed=1) vs datasketch MinHash(num_perm={N_HASHES}, seed=1)"
        f".update_batch(tp.shingles(text)) on {n} sampled documents: "
        f"signature(text) equal {ok_text}/{n}, signature(shingles) equal {ok_bytes}/{n}, "
        f"signatures([...]) rows equal {ok_batch}/{n}"
    )
    for what, ok in (
        ("signature(text)", ok_text),
        ("signature(shingles)", ok_bytes),
        ("signatures()", ok_batch),
    ):
        if ok != n:
            problems.append(f"scheme='datasketch' {what} differs from datasketch on {n - ok}/{n}")
    return problems


def overlapping_pairs(text: str, n_pairs: int, seed: int) -> list[tuple[str, str]]:
    """Pairs of windows of `text` whose overlap (hence Jaccard) spans the whole range."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(n_pairs):
        length = rng.randint(1000, MAX_LEN)
        shift = int(length * rng.random() ** 2)  # more pairs at high similarity
        start = rng.randrange(0, len(text) - length - shift)
        pairs.append((text[start : start + length], text[start + shift : start + shift + length]))
    return pairs


def exact_jaccard(a: set[Any], b: set[Any]) -> float:
    u = len(a | b)
    return len(a & b) / u if u else 0.0


def jaccard_check(texts: dict[str, str], n_pairs: int, report: C.Report) -> tuple[str, Any]:
    """Estimated vs exact Jaccard for the three tools; returns a table and the points."""
    from datasketch import MinHash

    mh = tp.MinHasher(n_hashes=N_HASHES)
    rows = []
    points: dict[str, tuple[list[float], list[float]]] = {}
    for cname, text in texts.items():
        pairs = overlapping_pairs(text, n_pairs, seed=2)
        a_docs = [a for a, _ in pairs]
        b_docs = [b for _, b in pairs]
        # textprint: its own shingles (normalized tokens), its own signatures
        sa, sb = mh.signatures(a_docs), mh.signatures(b_docs)
        est_tp = np.asarray(tp.jaccard(sa, sb), dtype=float)
        ex_tp = np.array(
            [exact_jaccard(set(tp.shingles(a, k=K)), set(tp.shingles(b, k=K))) for a, b in pairs]
        )
        # peers: character 5-grams of NFKC + lower text
        na, nb = peer_view(a_docs), peer_view(b_docs)
        ex_peer = np.array([exact_jaccard(set(grams(a)), set(grams(b))) for a, b in zip(na, nb)])
        ra, rb = run_rensa_objects(na), run_rensa_objects(nb)
        est_rensa = np.array([x.jaccard(y) for x, y in zip(ra, rb)])
        da = MinHash.bulk([[g.encode() for g in grams(d)] for d in na], num_perm=N_HASHES)
        db = MinHash.bulk([[g.encode() for g in grams(d)] for d in nb], num_perm=N_HASHES)
        est_ds = np.array([x.jaccard(y) for x, y in zip(da, db)])
        for tool, est, ex in (
            ("textprint (oph)", est_tp, ex_tp),
            ("rensa", est_rensa, ex_peer),
            ("datasketch", est_ds, ex_peer),
        ):
            err = est - ex
            sigma = np.sqrt(ex * (1 - ex) / N_HASHES)
            within = float(np.mean(np.abs(err) <= 3 * sigma + 1e-12))
            rows.append(
                [
                    cname,
                    tool,
                    len(pairs),
                    f"{float(np.mean(ex)):.3f}",
                    f"{float(np.mean(err)):+.4f}",
                    f"{float(np.sqrt(np.mean(err**2))):.4f}",
                    f"{float(np.sqrt(np.mean(sigma**2))):.4f}",
                    f"{float(np.max(np.abs(err))):.3f}",
                    f"{100 * within:.0f}%",
                ]
            )
            xs, ys = points.setdefault(tool, ([], []))
            xs.extend(ex.tolist())
            ys.extend(est.tolist())
    headers = [
        "corpus",
        "tool",
        "pairs",
        "mean exact J",
        "bias",
        "RMSE",
        "expected RMSE",
        "max |err|",
        "within 3 sigma",
    ]
    tab = C.table(headers, rows, align="ll" + "r" * 7)
    report(tab)
    return tab, points


# --------------------------------------------------------------------------------------------
# Main run


def throughput_rows(
    cname: str,
    n_docs: int,
    n_chars: int,
    res: dict[str, float],
    spread: dict[str, float],
    sys_share: dict[str, float],
) -> list[list[object]]:
    rows: list[list[object]] = []
    for tool, secs in res.items():
        vs_ds = res["datasketch"] / secs if "datasketch" in res else float("nan")
        vs_rensa = res["rensa"] / secs if "rensa" in res else float("nan")
        rows.append(
            [
                cname,
                tool,
                n_docs,
                f"{n_chars:,}",
                f"{secs:.3f}",
                f"{100 * spread[tool]:.0f}%",
                f"{100 * sys_share[tool]:.0f}%",
                C.fmt_rate(C.rate(n_docs, secs)),
                C.fmt_rate(C.rate(n_chars, secs)),
                f"{vs_ds:.2f}x" if vs_ds == vs_ds else "-",
                f"{vs_rensa:.2f}x" if vs_rensa == vs_rensa else "-",
            ]
        )
    return rows


def chunked(docs: Sequence[str], chunk_chars: int) -> list[list[str]]:
    """The chunks `MinHasher.signatures` cuts (same rule: add documents while they fit)."""
    out: list[list[str]] = []
    i = 0
    while i < len(docs):
        j, size = i, 0
        while j < len(docs) and (j == i or size + len(docs[j]) <= chunk_chars):
            size += len(docs[j])
            j += 1
        out.append(list(docs[i:j]))
        i = j
    return out


def stage_breakdown(docs: Sequence[str], repeat: int) -> list[tuple[str, float]]:
    """Where textprint's batch time goes (private stage functions; informative only).

    Each stage runs over the same chunks as ``signatures`` (``minhash.CHUNK_CHARS``), timed
    interleaved with the whole ``signatures`` call, best of `repeat`.
    """
    from textprint.hashing import hash_shingles
    from textprint.minhash import CHUNK_CHARS, _oph
    from textprint.normalization import normalize_batch
    from textprint.tokenization import tokenize_batch

    chunks = chunked(docs, CHUNK_ARG or CHUNK_CHARS)
    docs = list(docs)
    mh = tp.MinHasher(n_hashes=N_HASHES)
    tbs = [tokenize_batch(c, "auto") for c in chunks]
    shs = [hash_shingles(tb, k=K, seed=0) for tb in tbs]
    best, _, _ = interleaved(
        {
            "MinHasher.signatures (whole call)": lambda: sign(mh, docs),
            "  normalize_batch": lambda: [normalize_batch(c) for c in chunks],
            "  tokenize_batch (includes normalize_batch)": lambda: [
                tokenize_batch(c, "auto") for c in chunks
            ],
            "  hash_shingles": lambda: [hash_shingles(tb, k=K, seed=0) for tb in tbs],
            "  one-permutation MinHash (_oph)": lambda: [
                _oph(sh.hashes, sh.bounds, N_HASHES, 0) for sh in shs
            ],
        },
        repeat,
    )
    return [
        (f"{name} [{len(chunks)} chunk(s)]" if i == 0 else name, t)
        for i, (name, t) in enumerate(best.items())
    ]


_KERNEL_CHILD = r"""
import json, resource, sys
import textprint as tp
docs = json.load(sys.stdin)
kw = {"chunk_chars": int(sys.argv[1])} if len(sys.argv) > 1 else {}
mh = tp.MinHasher(n_hashes=128)
mh.signatures(docs[:2])
out = []
for _ in range(5):
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    mh.signatures(docs, **kw)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    out.append([r1.ru_utime - r0.ru_utime, r1.ru_stime - r0.ru_stime, r1.ru_minflt - r0.ru_minflt])
print(json.dumps(out))
"""


def kernel_time(docs: Sequence[str], report: C.Report) -> str:
    """User and system time of the batch path, with glibc's defaults and with glibc told to keep
    freed memory (so that large temporaries do not come back as fresh, faulting pages)."""
    import json
    import subprocess

    settings = {
        "glibc defaults": {},
        "MALLOC_MMAP_THRESHOLD_=2e9, MALLOC_TRIM_THRESHOLD_=4e9": {
            "MALLOC_MMAP_THRESHOLD_": "2000000000",
            "MALLOC_TRIM_THRESHOLD_": "4000000000",
        },
    }
    rows = []
    medians: list[tuple[float, float, int]] = []  # (user, system, faults) medians per setting
    for name, extra in settings.items():
        env = dict(os.environ, **extra)
        runs = json.loads(
            subprocess.run(
                [sys.executable, "-c", _KERNEL_CHILD]
                + ([] if CHUNK_ARG is None else [str(CHUNK_ARG)]),
                input=json.dumps(list(docs)),
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        user = sorted(r[0] for r in runs)
        system = sorted(r[1] for r in runs)
        faults = sorted(r[2] for r in runs)
        medians.append((user[2], system[2], faults[2]))
        rows.append(
            [
                name,
                f"{user[0]:.3f} / {user[2]:.3f}",
                f"{system[0]:.3f} / {system[2]:.3f} / {system[-1]:.3f}",
                f"{faults[2]:,}",
            ]
        )
    tab = C.table(
        ["allocator", "user s (min / median)", "system s (min / median / max)", "minor faults"],
        rows,
        align="lrrr",
    )
    report(
        f"kernel time of MinHasher.signatures on novels ({len(docs)} documents), 5 calls in a "
        "fresh process per allocator setting:"
    )
    report(tab)
    (u0, s0, f0), (u1, s1, f1) = medians
    verdict = (
        "so the temporaries are reused: page faults are not a cost of this path at this chunk size"
        if s0 <= 0.05 * u0
        else "so page faults on fresh temporaries are a visible part of this path's time"
    )
    sentence = (
        f"\n\nIn this run, with glibc's defaults, the median call took {u0:.3f} s of user time "
        f"and {s0:.3f} s of system time ({100 * s0 / max(u0, 1e-9):.0f}% of user; "
        f"{f0:,} minor faults), "
        f"{verdict}; keeping freed memory gave {u1:.3f} s user and {s1:.3f} s system "
        f"({f1:,} minor faults)."
    )
    report(sentence.strip())
    return tab + sentence


#: 1-minute load average when the run started and when the timings ended (for the page)
LOAD = [0.0, 0.0]


def run(args: argparse.Namespace) -> tuple[str, str]:
    C.require_corpora("zh-chinese-poetry", "zh-classic-novels")
    report = C.Report()
    repeat = 3
    problems: list[str] = []

    poetry = poetry_joined()
    poetry_docs = cut_log_uniform(poetry)
    novels = [t for _, t in C.load_texts("zh-classic-novels")]
    if args.quick:
        poetry_docs = poetry_docs[:150]
        novels = novels[::20]
    long_docs = [t for t in novels if len(t) >= MAX_LEN]
    corpora = {"poetry-cut": poetry_docs, "novels": novels}

    import datasketch
    import rensa  # noqa: F401

    report(
        f"textprint {tp.__version__}, datasketch {C.package_version('datasketch')}, "
        f"rensa {C.package_version('rensa')}, numpy {np.__version__}; "
        f"n_hashes={N_HASHES}, k={K}; CPU seconds, best of {repeat}"
    )
    for name, docs in corpora.items():
        lens = [len(d) for d in docs]
        report(
            f"corpus {name}: {len(docs)} documents, {sum(lens):,} characters "
            f"(min {min(lens)}, median {sorted(lens)[len(lens) // 2]}, max {max(lens)})"
        )
    report(
        f"corpus novels>={MAX_LEN}: {len(long_docs)} chapters, "
        f"{sum(map(len, long_docs)):,} characters"
    )
    report()

    mh = tp.MinHasher(n_hashes=N_HASHES)
    mh.signatures(["热身：装载表格。", "warm up"])  # load the normalization tables once
    _ = datasketch.MinHash(num_perm=N_HASHES)

    rows: list[list[object]] = []
    summary: dict[str, dict[str, float]] = {}
    spreads: dict[str, dict[str, float]] = {}
    user: dict[str, dict[str, float]] = {}
    for cname, docs in corpora.items():
        n_chars = sum(map(len, docs))
        t0 = time.process_time()
        norm = peer_view(docs)
        t_norm = time.process_time() - t0
        sys_share: dict[str, float] = {}
        user[cname] = {}
        res, spread, out = interleaved(
            {
                "datasketch": lambda norm=norm: run_datasketch(norm),
                "rensa": lambda norm=norm: run_rensa(norm),
                "textprint batch": lambda docs=docs: sign(mh, docs),
                "textprint signature()": lambda docs=docs: [mh.signature(d) for d in docs],
            },
            repeat,
            sys_share,
            user[cname],
        )
        ds_out, rensa_out = out["datasketch"], out["rensa"]
        batch, single = out["textprint batch"], out["textprint signature()"]
        spreads[cname] = spread
        summary[cname] = res
        rows += throughput_rows(cname, len(docs), n_chars, res, spread, sys_share)
        assert len(ds_out) == len(rensa_out) == len(batch) == len(single) == len(docs)
        same = sum(bool(np.array_equal(batch.values[i], s)) for i, s in enumerate(single))
        report(
            f"{cname}: peers' NFKC+lower preparation (not timed for them) took "
            f"{t_norm:.3f} s; textprint batch and signature() rows equal on "
            f"{same}/{len(docs)} documents; {int(batch.valid.sum())} valid rows"
        )
        if same != len(docs):
            problems.append(
                f"{cname}: batch and one-document signatures differ on {len(docs) - same} documents"
            )
    # the one-document path on long documents only
    cname = f"novels>={MAX_LEN}"
    n_chars = sum(map(len, long_docs))
    norm = peer_view(long_docs)
    sys_share = {}
    user[cname] = {}
    res, spreads[cname], _ = interleaved(
        {
            "rensa": lambda: run_rensa(norm),
            "textprint signature()": lambda: [mh.signature(d) for d in long_docs],
        },
        repeat,
        sys_share,
        user[cname],
    )
    summary[cname] = res
    rows += throughput_rows(cname, len(long_docs), n_chars, res, spreads[cname], sys_share)
    report()
    headers = [
        "corpus",
        "tool",
        "docs",
        "chars",
        "seconds",
        "spread",
        "sys",
        "docs/s",
        "chars/s",
        "vs datasketch",
        "vs rensa",
    ]
    tput = C.table(headers, rows, align="ll" + "r" * 9)
    report(tput)
    report()

    # verdicts
    vrows = []
    for cname in corpora:
        r = summary[cname]
        b = r["textprint batch"]
        for what, ref, floor, goal in (
            ("batch vs datasketch", "datasketch", FLOOR_DS, GOAL_DS),
            ("batch vs rensa", "rensa", FLOOR_RENSA, GOAL_RENSA),
        ):
            ratio = r[ref] / b
            u = user[cname][ref] / user[cname]["textprint batch"]
            verdict = (
                "goal met" if ratio >= goal else "floor met" if ratio >= floor else "BELOW FLOOR"
            )
            vrows.append(
                [cname, what, f"{ratio:.2f}x", f"{u:.2f}x", f"{floor:g}x", f"{goal:g}x", verdict]
            )
            if ratio < floor:
                problems.append(f"{cname}: {what} is {ratio:.2f}x, below the {floor:g}x floor")
    r = summary[f"novels>={MAX_LEN}"]
    ratio = r["rensa"] / r["textprint signature()"]
    ul = user[f"novels>={MAX_LEN}"]
    u = ul["rensa"] / ul["textprint signature()"]
    verdict = "goal met" if ratio >= GOAL_SINGLE_RENSA else "BELOW GOAL"
    vrows.append(
        [
            f"novels>={MAX_LEN}",
            "signature() vs rensa",
            f"{ratio:.2f}x",
            f"{u:.2f}x",
            "-",
            f"{GOAL_SINGLE_RENSA:g}x",
            verdict,
        ]
    )
    if ratio < GOAL_SINGLE_RENSA:
        problems.append(
            f"novels>={MAX_LEN}: signature() vs rensa is {ratio:.2f}x, "
            f"below the {GOAL_SINGLE_RENSA:g}x goal"
        )
    verdicts = C.table(
        ["corpus", "ratio", "measured", "user time only", "floor", "goal", "verdict"],
        vrows,
        align="ll" + "r" * 4 + "l",
    )
    report(verdicts)
    noisy = sorted(
        f"{c} / {t} ({100 * x:.0f}%)" for c, sp in spreads.items() for t, x in sp.items() if x > 0.3
    )
    if noisy:
        report(
            "NOTE: the slowest of 3 rounds was more than 30% slower than the best for "
            + ", ".join(noisy)
            + ": the machine was busy; re-run on a quiet machine for stable figures."
        )
    report()

    # where the time goes
    report(
        "textprint batch, time by stage (private stage functions, interleaved, best of 5; "
        "share = stage / whole call):"
    )
    brows = []
    for cname, docs in corpora.items():
        stages = stage_breakdown(docs, 5)
        total = stages[0][1]
        for stage, t in stages:
            brows.append([cname, stage, f"{t:.3f}", f"{100 * t / total:.0f}%"])
    breakdown = C.table(["corpus", "stage", "seconds", "share"], brows, align="ll" + "rr")
    report(breakdown)
    report()

    kernel = kernel_time(novels, report)
    report()

    # agreement and sanity
    problems += check_datasketch_scheme(poetry_docs + novels, 20 if args.quick else 100, report)
    report()
    report(
        "estimated vs exact Jaccard, pairs of overlapping windows (each tool against the "
        "exact Jaccard of its own shingle sets; expected RMSE = sqrt(mean J(1-J)/128)):"
    )
    jac_tab, points = jaccard_check(
        {"poetry": poetry, "novels": "\n".join(novels)}, 40 if args.quick else 150, report
    )
    report()
    report("problems: " + ("; ".join(problems) if problems else "none"))

    plots = ""
    if args.out is not None:
        plots = make_plots(args.out.parent, summary, points)
    noise = (
        "Rounds more than 30% slower than the best (the machine was busy): "
        + ", ".join(noisy)
        + "."
        if noisy
        else ""
    )
    LOAD[1] = os.getloadavg()[0]
    body = page_body(
        tput + "\n\n" + noise,
        verdicts,
        breakdown + KERNEL_NOTE + kernel,
        jac_tab,
        problems,
        plots,
        summary,
    )
    return report.text, body


def make_plots(folder: Path, summary: dict[str, dict[str, float]], points: dict[str, Any]) -> str:
    plt = C.plt()
    folder.mkdir(parents=True, exist_ok=True)
    # throughput
    fig, ax = plt.subplots(figsize=(8, 4))
    cnames = list(summary)
    tools = ["datasketch", "rensa", "textprint batch", "textprint signature()"]
    width = 0.2
    for j, tool in enumerate(tools):
        xs, ys = [], []
        for i, cname in enumerate(cnames):
            if tool in summary[cname]:
                xs.append(i + (j - 1.5) * width)
                ys.append(summary[cname][tool])
        ax.bar(xs, ys, width, label=tool)
    ax.set_xticks(range(len(cnames)), cnames)
    ax.set_ylabel("CPU seconds (lower is better)")
    ax.set_title(f"MinHash, {N_HASHES} hashes, char 5-grams")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "minhash_time.png", dpi=100)
    plt.close(fig)
    # Jaccard
    fig, axes = plt.subplots(1, len(points), figsize=(4 * len(points), 4), sharey=True)
    for ax, (tool, (xs, ys)) in zip(np.atleast_1d(axes), points.items()):
        ax.plot([0, 1], [0, 1], color="grey", lw=1)
        ax.scatter(xs, ys, s=6)
        ax.set_title(tool)
        ax.set_xlabel("exact Jaccard")
    np.atleast_1d(axes)[0].set_ylabel("estimated Jaccard")
    fig.tight_layout()
    fig.savefig(folder / "minhash_jaccard.png", dpi=100)
    plt.close(fig)
    return (
        "\n![CPU seconds per corpus](minhash_time.png)\n\n"
        "![Estimated vs exact Jaccard](minhash_jaccard.png)\n"
    )


KERNEL_NOTE = """

System (kernel) time of the batch path. `process_time` counts it: page faults on memory that
`signatures` allocates for its per-chunk temporaries (the [memory benchmark](memory.md) measures
their size per chunk character). glibc serves large blocks with `mmap` and returns them on `free`,
so temporaries above its threshold are faulted in again on every chunk; smaller ones are reused.
Below, the same call in a fresh process, 5 times, with glibc's defaults and with glibc told to keep
freed memory (environment variables only; nothing in textprint changed).

"""


def chunk_note() -> str:
    return "" if CHUNK_ARG is None else f", chunk_chars={CHUNK_ARG}"


def chunk_sentence() -> str:
    from textprint.minhash import CHUNK_CHARS

    if CHUNK_ARG is None:
        return (
            f" `signatures` runs with its default `chunk_chars` ({CHUNK_CHARS:,} characters in "
            "this version)."
        )
    return (
        f" `chunk_chars={CHUNK_ARG}` was passed explicitly (`--chunk-chars`); the library's "
        f"default in this run was {CHUNK_CHARS:,}."
    )


def page_body(
    tput: str,
    verdicts: str,
    breakdown: str,
    jac: str,
    problems: list[str],
    plots: str,
    summary: dict[str, dict[str, float]],
) -> str:
    return f"""
## Protocol

- **Corpora** (read from `../shared/corpora`, never copied): `poetry-cut` is the `text` of every
  zh-chinese-poetry poem joined with newlines and cut into consecutive documents of 300-3,000
  characters, lengths log-uniform (`random.Random(0)`); `novels` is the 461 chapters of
  zh-classic-novels; `novels>=3000` is the chapters of at least 3,000 characters.
- **Peers** (128 permutations), each timed *including* its own Python shingling of character
  5-grams `[d[i:i+5] for i in range(len(d)-4)]` of text prepared beforehand with
  `unicodedata.normalize("NFKC", text).lower()` (that preparation is *not* timed for them):
  datasketch {C.package_version("datasketch")} `MinHash.bulk(list_of_shingle_lists,
  num_perm=128)` (shingles encoded to UTF-8 inside the timed region); rensa
  {C.package_version("rensa")} `RMinHash(num_perm=128, seed=0)`, `update(shingles)`, `digest()`
  per document.
- **textprint**, timed from the *raw* text, its own normalization (NFKC, case folding,
  Traditional to Simplified), tokenization and shingling included:
  `tp.MinHasher(n_hashes=128).signatures(docs{chunk_note()})` (batch) and
  `[mh.signature(d) for d in docs]`.{chunk_sentence()}
  Its shingles are 5 *tokens* (characters for Chinese) with punctuation and whitespace dropped,
  so it hashes somewhat fewer shingles than the peers' raw 5-grams; chars/s counts input
  characters for every tool.
- CPU time (`time.process_time`), best of 3, all tools in the same process. The machine has
  2 cores and other jobs were running on it (load average {LOAD[0]:.1f} when this run started,
  {LOAD[1]:.1f} when it ended): see the "spread" and "sys" columns before trusting a small
  difference.

## Throughput

Seconds are the best of 3 rounds, the tools interleaved round by round; "spread" is slowest /
best - 1 over the 3 rounds (a large spread means the machine's load changed during the run);
"sys" is the share of the best run spent in the kernel (mostly page faults on freshly
allocated memory), which `process_time` counts.
Ratios are speed-ups (peer seconds / tool seconds; above 1x means the tool is faster).

{tput}

## Floors and goals

"measured" is the protocol's figure (CPU time, user + system); "user time only" leaves out the
kernel time (mostly page faults on freshly allocated memory). The verdict uses "measured".

{verdicts}

## Where textprint's batch time goes

{breakdown}

## Agreement and sanity checks

See the full output below for `scheme="datasketch"` against datasketch and for the batch vs
one-document rows. Estimated vs exact Jaccard on pairs of overlapping windows (each tool against
the exact Jaccard of its *own* shingle sets; "expected RMSE" is `sqrt(mean J(1-J)/128)`, the
standard error of classic MinHash):

{jac}

Problems found: {"; ".join(problems) if problems else "none"}.
{plots}"""


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    C.add_common_args(parser)
    parser.add_argument(
        "--chunk-chars",
        type=int,
        default=None,
        help="pass chunk_chars to MinHasher.signatures (default: the library's default)",
    )
    args = parser.parse_args(argv)
    global CHUNK_ARG
    CHUNK_ARG = args.chunk_chars
    if args.out is None and not args.quick:
        args.out = C.DOCS / "minhash.md"
    t0 = time.perf_counter()
    info = C.machine_info()
    LOAD[0] = os.getloadavg()[0]
    output, body = run(args)
    if args.out is not None:
        end = C.machine_info()
        if end["textprint"] != info["textprint"]:
            body += (
                f"\n**textprint changed during this run**: it started with {info['textprint']} "
                f"and ended with {end['textprint']}.\n"
            )
        C.write_markdown(
            args.out,
            title="Benchmark: MinHash signatures (textprint vs datasketch and rensa)",
            command="python benchmarks/bench_minhash.py"
            + (" --quick" if args.quick else "")
            + ("" if CHUNK_ARG is None else f" --chunk-chars {CHUNK_ARG}"),
            info=info,
            body=body,
            output=output,
            runtime=time.perf_counter() - t0,
        )
        print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
