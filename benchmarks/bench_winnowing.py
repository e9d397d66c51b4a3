"""Benchmark: winnowing fingerprints, textprint against copydetect.

Protocol:

- Corpora: ``poetry-cut``, the ``text`` of every
  zh-chinese-poetry poem joined with newlines and cut into documents of 300-3,000 characters
  (lengths log-uniform, ``random.Random(0)``; the same documents as bench_minhash.py);
  ``novels``, the 461 chapters of zh-classic-novels.
- Peer: copydetect's ``copydetect.utils.get_document_fingerprints(doc, k, window_size,
  boilerplate=None)``, which takes a string, hashes every character k-gram with Python's
  ``hash()`` and runs robust winnowing; k=5, window_size=10, one call per document. It is fed
  the documents as plain text, prepared with ``unicodedata.normalize("NFKC", text).lower()``
  outside the timed region (as the MinHash peers are); copydetect's code filter
  (``filter_code``, a pygments lexer) is for source code and is not used.
- textprint, timed from the RAW text (normalization, tokenization, hashing included):
  ``tp.fingerprints(docs, k=5, window=10)``.
- CPU time (``time.process_time``), best of 3, both in this one process.
- Checks: density (fingerprints per shingle, 2 / (window + 1) expected for random hashes);
  textprint's ``winnow`` selects the same positions as copydetect's ``_winnow`` on copydetect's
  own hashes; ``tp.fingerprint`` equals ``tp.fingerprints`` on a sample; and fingerprints in
  fresh processes with different ``PYTHONHASHSEED``: copydetect's change (salted ``hash()``),
  textprint's must not.

    python -m benchmarks.bench_winnowing            # full run, writes docs/benchmarks/winnowing.md
    python -m benchmarks.bench_winnowing --quick    # a small slice in seconds, prints only
"""

from __future__ import annotations

import argparse
import random
import sys
import unicodedata
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as a file

import textprint as tp
from benchmarks import harness as H  # noqa: N812
from benchmarks.textgen import slices

K, WINDOW = 5, 10
SEED = 0
HASHSEEDS = ("1", "2", "1")
SPEEDUP_HEADERS = ["corpus", "over copydetect", "user time only", "over its hashing alone"]
DENSITY_HEADERS = ["corpus", "tool", "shingles", "fingerprints", "density", "2/(w+1)"]


def peer_view(docs: Sequence[str]) -> list[str]:
    return [unicodedata.normalize("NFKC", d).lower() for d in docs]


def copydetect_impl() -> str:
    """Which winnowing copydetect runs: its optional C extension or the Python fallback."""
    from copydetect import utils

    mod = getattr(utils._winnow, "__module__", "?")
    return "Python fallback (copydetect.pywinnow)" if "pywinnow" in mod else f"C extension ({mod})"


def run_copydetect(norm: Sequence[str]) -> list[Any]:
    from copydetect.utils import get_document_fingerprints

    return [get_document_fingerprints(d, K, WINDOW) for d in norm]


def run_copydetect_hash_only(norm: Sequence[str]) -> list[Any]:
    from copydetect.utils import hashed_kgrams

    return [hashed_kgrams(d, K) for d in norm]


# --------------------------------------------------------------------------------------------
# Checks


def same_selection(norm: Sequence[str], log: H.Log) -> list[str]:
    """textprint's winnow on copydetect's hashes vs copydetect's own _winnow.

    copydetect also reports the minima of the ``window - 1`` partial windows at the start of a
    document (position 0 is always selected); textprint, like the paper, only full windows. So
    the selections are compared exactly and also modulo those leading prefix minima.
    """
    from copydetect.utils import _winnow, hashed_kgrams

    from textprint.winnowing import winnow

    exact = modulo_prefix = 0
    for d in norm:
        h = hashed_kgrams(d, K).astype(np.int64)
        ours = winnow((h.view(np.uint64) ^ np.uint64(1 << 63)), WINDOW)  # order-preserving
        theirs = np.unique(_winnow(h, WINDOW))
        exact += bool(np.array_equal(ours, theirs))
        head = h[: WINDOW - 1].tolist()
        prefix_minima = {i for i in range(len(head)) if all(head[i] < x for x in head[:i])}
        modulo_prefix += set(ours.tolist()) ^ set(theirs.tolist()) <= prefix_minima
    n = len(norm)
    log(
        f"textprint.winnowing.winnow vs copydetect _winnow on copydetect's hashes (k={K}, "
        f"window={WINDOW}), {n} documents: identical selections on {exact}/{n}; identical "
        f"apart from copydetect's extra picks in the leading partial windows on "
        f"{modulo_prefix}/{n}"
    )
    if modulo_prefix != n:
        return [
            f"winnow selects different positions than copydetect on {n - modulo_prefix}/{n} "
            "documents of the same hashes, beyond the leading partial windows"
        ]
    return []


def digests(docs: list[str]) -> dict[str, Any]:
    """Fingerprints of `docs` by copydetect and textprint, as digests (run in a fresh process
    with a chosen PYTHONHASHSEED)."""
    import hashlib
    import json

    from copydetect.utils import get_document_fingerprints

    cd = [sorted(int(h) for h in get_document_fingerprints(d, K, WINDOW)[0]) for d in docs]
    tph = [f.hashes.tolist() for f in tp.fingerprints(docs, k=K, window=WINDOW)]
    return {
        "copydetect": hashlib.sha256(json.dumps(cd).encode()).hexdigest()[:16],
        "textprint": hashlib.sha256(json.dumps(tph).encode()).hexdigest()[:16],
        "cd_first": cd[0][:3],
        "tp_first": tph[0][:3],
        "cd_sets": [list(map(str, s)) for s in cd],
    }


def hashseed_check(docs: Sequence[str], log: H.Log) -> tuple[str, list[str]]:
    """Fingerprint the same documents in fresh processes with different PYTHONHASHSEED."""
    runs = [
        H.run_child("benchmarks.bench_winnowing:digests", list(docs), env={"PYTHONHASHSEED": s})
        for s in HASHSEEDS
    ]
    rows = []
    for seed, r in zip(HASHSEEDS, runs):
        rows.append([seed, r["copydetect"], str(r["cd_first"]), r["textprint"], str(r["tp_first"])])
    tab = H.table(
        [
            "PYTHONHASHSEED",
            "copydetect digest",
            "copydetect first hashes (doc 0)",
            "textprint digest",
            "textprint first hashes (doc 0)",
        ],
        rows,
        align="rlllll",
    )
    a, b = runs[0]["cd_sets"], runs[1]["cd_sets"]
    shared = [len(set(x) & set(y)) / max(len(set(x) | set(y)), 1) for x, y in zip(a, b)]
    log(f"fingerprints of {len(docs)} documents in fresh processes (sha256 of all hashes):")
    log(tab)
    log(
        f"copydetect, PYTHONHASHSEED 1 vs 2: mean Jaccard of the fingerprint sets "
        f"{float(np.mean(shared)):.3f}"
    )
    problems = []
    tp_same = len({r["textprint"] for r in runs}) == 1
    cd_changes = runs[0]["copydetect"] != runs[1]["copydetect"]
    cd_repeat = runs[0]["copydetect"] == runs[2]["copydetect"]
    log(
        f"textprint identical across hash seeds: {tp_same}; copydetect differs between "
        f"seeds 1 and 2: {cd_changes}; copydetect identical for seed 1 twice: {cd_repeat}"
    )
    if not tp_same:
        problems.append("textprint fingerprints change with PYTHONHASHSEED")
    return (
        tab + f"\n\nMean Jaccard of copydetect's fingerprint sets, seed 1 vs 2: "
        f"{float(np.mean(shared)):.3f}.",
        problems,
    )


# --------------------------------------------------------------------------------------------


def stage_breakdown(docs: Sequence[str], repeat: int) -> tuple[list[tuple[str, float]], str]:
    """Where tp.fingerprints spends its time (private stage functions; diagnostic only).

    The stages run over the same batches as ``fingerprints`` (``textprint.winnowing._CHUNK``
    characters). Only documents with a tied window minimum reach the sequential tie-breaking
    loop; it is measured by running ``winnow_batch`` once more with ``_robust_ties`` replaced
    by a no-op (restored after).
    """
    from textprint import _winnow as wn
    from textprint._kernels import batches
    from textprint._shingles import shingle_batch
    from textprint.winnowing import _CHUNK

    docs = list(docs)
    chunks = list(batches(docs, _CHUNK))
    shs = [shingle_batch(c, k=K, seed=0, tokenizer="auto") for c in chunks]
    seen: list[tuple[int, int]] = []
    original = wn._robust_ties

    def no_ties(h: Any, start: Any, pick: Any, tied: Any) -> Any:
        seen.append((int(tied.sum()), len(tied)))
        return pick

    def winnow_without_ties() -> Any:
        seen.clear()
        wn._robust_ties = no_ties
        try:
            return [wn.winnow_batch(sh.hashes, sh.bounds, WINDOW) for sh in shs]
        finally:
            wn._robust_ties = original

    best, _, _ = H.interleaved(
        {
            "all": lambda: tp.fingerprints(docs, k=K, window=WINDOW),
            "shingle": lambda: [shingle_batch(c, k=K, seed=0, tokenizer="auto") for c in chunks],
            "winnow": lambda: [wn.winnow_batch(sh.hashes, sh.bounds, WINDOW) for sh in shs],
            "vec": winnow_without_ties,
        },
        repeat,
    )
    t_all, t_sh, t_win, t_vec = best["all"], best["shingle"], best["winnow"], best["vec"]
    n_tied = sum(t for t, _ in seen)
    n_windows = sum(int(np.maximum(np.diff(sh.bounds) - WINDOW + 1, 0).sum()) for sh in shs)
    stages = [
        (f"fingerprints (whole call) [{len(chunks)} batch(es)]", t_all),
        ("  shingle_batch (normalize, tokenize, hash)", t_sh),
        ("  winnow_batch", t_win),
        ("    of which the numpy part (run with _robust_ties skipped)", t_vec),
        ("    of which _robust_ties (sequential tie-breaking)", t_win - t_vec),
        ("  the rest (Fingerprint objects, one per document)", t_all - t_sh - t_win),
    ]
    note = (
        f"{n_tied:,} of {n_windows:,} windows have a tied minimum "
        f"({100 * n_tied / max(n_windows, 1):.3f}%); _robust_ties "
        + ("ran" if seen else "did not run")
    )
    return stages, note


def measure(args: argparse.Namespace, log: H.Log) -> dict[str, Any]:
    H.require_corpora("zh-chinese-poetry", "zh-classic-novels")
    repeat = 3
    problems: list[str] = []
    corpora = slices.speed_corpora(quick=args.quick, seed=SEED)
    impl = copydetect_impl()
    log(
        f"textprint {tp.__version__}, copydetect {H.package_version('copydetect')} "
        f"(winnowing: {impl}), numpy {np.__version__}; k={K}, window={WINDOW}; "
        f"CPU seconds, best of {repeat}"
    )
    log(slices.describe(corpora))
    log()
    tp.fingerprints(["热身：装载表格。"], k=K, window=WINDOW)  # load tables once

    rows: list[list[object]] = []
    timings: dict[str, H.Timings] = {}
    density_rows = []
    for cname, docs in corpora.items():
        n_chars = sum(map(len, docs))
        norm = peer_view(docs)
        t = timings[cname] = H.interleaved(
            {
                "copydetect": partial(run_copydetect, norm),
                "copydetect hashed_kgrams only": partial(run_copydetect_hash_only, norm),
                "textprint fingerprints": partial(tp.fingerprints, docs, k=K, window=WINDOW),
            },
            repeat,
        )
        cd, fps = t.results["copydetect"], t.results["textprint fingerprints"]
        rows += H.throughput_rows(cname, len(docs), n_chars, t, ["copydetect"])
        # density: copydetect's hash_dict keeps every selected position
        cd_sel = sum(sum(len(v) for v in hd.values()) for _, hd in cd)
        cd_sh = sum(max(len(d) - K + 1, 0) for d in norm)
        tp_sel = sum(len(f) for f in fps)
        tp_sh = sum(f.n_shingles for f in fps)
        for tool, sel, sh in (("copydetect", cd_sel, cd_sh), ("textprint", tp_sel, tp_sh)):
            density_rows.append(
                [cname, tool, f"{sh:,}", f"{sel:,}", f"{sel / sh:.4f}", f"{2 / (WINDOW + 1):.4f}"]
            )
        # single vs batch
        rng = random.Random(3)
        idx = rng.sample(range(len(docs)), min(50, len(docs)))
        same = sum(
            bool(
                np.array_equal(tp.fingerprint(docs[i], k=K, window=WINDOW).hashes, fps[i].hashes)
                and np.array_equal(
                    tp.fingerprint(docs[i], k=K, window=WINDOW).starts, fps[i].starts
                )
            )
            for i in idx
        )
        log(
            f"{cname}: tp.fingerprint equals tp.fingerprints on {same}/{len(idx)} sampled "
            "documents (hashes and starts)"
        )
        if same != len(idx):
            problems.append(
                f"{cname}: fingerprint and fingerprints differ on "
                f"{len(idx) - same}/{len(idx)} documents"
            )
        problems += same_selection(norm[: min(len(norm), 200)], log)
    log()
    log(H.table(H.throughput_headers(["copydetect"]), rows))
    log()
    vrows = []
    for cname, t in timings.items():
        u = t.user
        vrows.append(
            [
                cname,
                f"{t.ratio('copydetect', 'textprint fingerprints'):.2f}x",
                f"{u['copydetect'] / u['textprint fingerprints']:.2f}x",
                f"{t.ratio('copydetect hashed_kgrams only', 'textprint fingerprints'):.2f}x",
            ]
        )
    log(H.table(SPEEDUP_HEADERS, vrows))
    noise = H.noise_note(timings)
    if noise:
        log("NOTE: " + noise)
    log()
    log(
        "textprint fingerprints, time by stage (private stage functions, interleaved, best of "
        "5; share = stage / whole call):"
    )
    brows = []
    notes = []
    for cname, docs in corpora.items():
        stages, note = stage_breakdown(docs, 5)
        total = stages[0][1]
        for stage, secs in stages:
            shown = f"{secs:.3f}" if secs >= 0 else "~0 (noise)"
            brows.append([cname, stage, shown, f"{100 * max(secs, 0.0) / total:.0f}%"])
        notes.append(f"{cname}: {note}")
        log(f"{cname}: {note}")
    log(H.table(["corpus", "stage", "seconds", "share"], brows, align="ll" + "rr"))
    log()
    log(H.table(DENSITY_HEADERS, density_rows, align="ll" + "r" * 4))
    log()
    seed_docs = corpora["poetry-cut"][:5] + corpora["novels"][:1]
    seed_tab, seed_problems = hashseed_check(seed_docs, log)
    problems += seed_problems
    log()
    log("problems: " + ("; ".join(problems) if problems else "none"))

    return {
        "impl": impl,
        "summary": {c: t.best for c, t in timings.items()},
        "chars": {c: sum(map(len, d)) for c, d in corpora.items()},
        "throughput": rows,
        "speedups": vrows,
        "noise": noise,
        "breakdown": brows,
        "notes": notes,
        "density": density_rows,
        "seed_table": seed_tab,
        "problems": problems,
    }


def render(res: dict[str, Any]) -> H.Page:
    s = res["summary"]
    ratios = {c: r["copydetect"] / r["textprint fingerprints"] for c, r in s.items()}
    return H.Page(
        title="Benchmark: winnowing fingerprints (textprint vs copydetect)",
        command="python -m benchmarks.bench_winnowing",
        summary=[
            f"`tp.fingerprints` (k={K}, window={WINDOW}) from raw text is "
            + " and ".join(f"**{v:.1f}x** as fast as copydetect on {c}" for c, v in ratios.items())
            + f" (copydetect's winnowing here: {res['impl']}); textprint's fingerprints are "
            "the same in fresh processes with any PYTHONHASHSEED, copydetect's are not."
        ],
        tables=[
            H.throughput_table(
                ["copydetect"], res["throughput"], res["noise"], "page faults on fresh arrays"
            ),
            H.Table(
                SPEEDUP_HEADERS,
                res["speedups"],
                title="textprint's speed-up",
                note="user time only leaves out kernel time; over its hashing alone compares "
                "with copydetect's hashed_kgrams step only, a bound on what it could reach "
                "with a compiled winnowing step.",
            ),
        ],
        protocol=f"""
{H.corpora_note("zh-chinese-poetry", "zh-classic-novels")} `poetry-cut`: the `text` of every
zh-chinese-poetry poem joined with newlines and cut into consecutive documents of 300-3,000
characters, lengths log-uniform (`random.Random(0)`; the documents of the MinHash benchmark);
`novels`: the 461 chapters of zh-classic-novels.

- **Peer**: copydetect {H.package_version("copydetect")}
  `copydetect.utils.get_document_fingerprints(doc, 5, 10)`, one call per document: it hashes
  every character 5-gram with Python's `hash()` and runs robust winnowing with window 10
  (winnowing implementation in this environment: {res["impl"]}; the PyPI wheel ships no
  compiled `winnow` module). It is fed the documents prepared with
  `unicodedata.normalize("NFKC", text).lower()` outside the timed region.
- **textprint**, timed from the raw text (normalization, tokenization, hashing included):
  `tp.fingerprints(docs, k=5, window=10)`. Its shingles are 5 tokens (characters for Chinese)
  with punctuation and whitespace dropped, so it has fewer shingles than copydetect's raw
  5-grams; chars/s counts input characters for both.
- CPU time (`time.process_time`), best of 3, both in the same process.
""",
        sections=[
            (
                "Where textprint's time goes",
                H.table(["corpus", "stage", "seconds", "share"], res["breakdown"], align="llrr")
                + "\n\n"
                + "\n".join("- " + n for n in res["notes"]),
            ),
            (
                "Density",
                "Fingerprints per shingle; robust winnowing of random hashes selects about "
                "`2 / (window + 1)`.\n\n"
                + H.table(DENSITY_HEADERS, res["density"], align="ll" + "r" * 4),
            ),
            (
                "Stability across processes",
                "The same documents fingerprinted in fresh interpreters with different "
                "`PYTHONHASHSEED` values (the last run repeats seed 1). copydetect hashes with "
                "Python's salted `hash()` of `str`; textprint's hash is seeded explicitly.\n\n"
                + res["seed_table"]
                + f"\n\nProblems found: {'; '.join(res['problems']) or 'none'}.",
            ),
        ],
    )


def plots(res: dict[str, Any], folder: Path) -> list[H.Plot]:
    s = res["summary"]
    cnames = list(s)
    tools = list(next(iter(s.values())))
    plt = H.plt()
    fig, ax = plt.subplots(figsize=(7, 4))
    for j, tool in enumerate(tools):
        ax.bar(
            [i + (j - 1) * 0.27 for i in range(len(cnames))],
            [H.rate(res["chars"][c], s[c][tool]) / 1e6 for c in cnames],
            0.27,
            label=tool,
        )
    ax.set_xticks(range(len(cnames)), cnames)
    plot = H.one_panel(
        fig,
        ax,
        folder,
        "winnowing_throughput.png",
        "Throughput (log scale)",
        title=f"Winnowing fingerprints, k={K}, window={WINDOW}",
        ylabel="million characters per CPU second (log)",
        log="y",
    )
    return [plot]


if __name__ == "__main__":
    H.main("winnowing", __doc__, measure, render, plots)
