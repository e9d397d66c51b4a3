"""Benchmark: one text per call (latency), textprint against rensa, datasketch, copydetect.

Protocol:

- Texts: windows of 50, 100, 300, 1,000 and 2,000 characters at random places
  (``random.Random(0)``) of the zh-chinese-poetry poems joined with newlines (the corpus of the
  signature pages); 300 texts per length (60 with ``--quick``).
- One call per text, the texts of one length in a loop, CPU time (``time.process_time``) of the
  loop divided by the texts, best of 5 rounds, the tools interleaved round by round:

  - textprint: ``tp.normalize(text)``; ``tp.fingerprint(text)`` (k=5, window=10);
    ``mh.signature(text)`` with ``mh = tp.MinHasher(n_hashes=128)`` (one-permutation
    hashing, character 5-grams of the normalized text): normalization, tokenization and
    hashing are inside the timed call;
  - rensa: ``RMinHash(num_perm=128, seed=0)``, ``update`` with the character 5-grams of the
    NFKC + lower-cased text, ``digest()``;
  - datasketch: ``MinHash(num_perm=128)``, ``update_batch`` with the UTF-8 5-grams of the same
    view, ``digest()``;
  - copydetect: ``get_document_fingerprints(text, 5, 10)`` on the same view.

  The peers' NFKC + lower-cased view is computed outside the timed region (they have no
  normalization of their own); textprint's calls normalize inside it.
- A loop of single calls over 3,000 documents of 300-3,000 characters (as on the LSH page: the
  log-uniform cut of the poems, 2,157 documents, then windows of zh-classic-novels chapters
  with 0-4% of their characters edited): ``tp.fingerprint`` per document against copydetect's
  ``get_document_fingerprints`` per document, and the batch ``tp.fingerprints``.
- LSH: ``LSHIndex.for_threshold(0.8, n_hashes=128)``, ``add`` + ``query_many`` of the 3,000
  documents' signatures against datasketch's ``MinHashLSH`` (same banding, the same values in
  ``LeanMinHash`` objects,
  ``insertion_session`` + one ``query`` each); and ``LSHIndex.query`` of one signature in an
  index of 1,000,000 signatures (random rows plus near-copies of the queries; 100,000 with
  ``--quick``), median of 200 queries, one query per call.

    python -m benchmarks.bench_single            # docs/benchmarks/single.md
    python -m benchmarks.bench_single --quick    # a small slice, printed only
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as a file

import textprint as tp
from benchmarks import harness as H  # noqa: N812
from benchmarks.textgen import slices

LENGTHS = (50, 100, 300, 1000, 2000)
K, WINDOW, N_HASHES = 5, 10, 128
TOOLS = (
    "textprint normalize",
    "textprint fingerprint",
    "textprint signature",
    "rensa",
    "datasketch",
    "copydetect",
)


def peer_view(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def windows(src: str, length: int, n: int, rng: random.Random) -> list[str]:
    return [src[s : s + length] for s in (rng.randrange(0, len(src) - length) for _ in range(n))]


def rensa_one(text: str) -> Any:
    from rensa import RMinHash

    m = RMinHash(num_perm=N_HASHES, seed=0)
    m.update([text[i : i + K] for i in range(len(text) - K + 1)])
    return m.digest()


def datasketch_one(text: str) -> Any:
    from datasketch import MinHash

    m = MinHash(num_perm=N_HASHES)
    m.update_batch([text[i : i + K].encode("utf-8") for i in range(len(text) - K + 1)])
    return m.digest()


def copydetect_one(text: str) -> Any:
    from copydetect.utils import get_document_fingerprints

    return get_document_fingerprints(text, K, WINDOW)


def per_text(texts: Sequence[str], fn: Callable[[str], Any]) -> Callable[[], list[Any]]:
    return lambda: [fn(t) for t in texts]


def single_calls(args: argparse.Namespace, log: H.Log, src: str) -> dict[str, dict[str, float]]:
    """Microseconds per call, per length and tool."""
    rng = random.Random(0)
    n = 60 if args.quick else 300
    mh = tp.MinHasher(n_hashes=N_HASHES)
    out: dict[str, dict[str, float]] = {}
    for length in LENGTHS:
        texts = windows(src, length, n, rng)
        views = [peer_view(t) for t in texts]
        calls = {
            "textprint normalize": per_text(texts, tp.normalize),
            "textprint fingerprint": per_text(texts, tp.fingerprint),
            "textprint signature": per_text(texts, mh.signature),
            "rensa": per_text(views, rensa_one),
            "datasketch": per_text(views, datasketch_one),
            "copydetect": per_text(views, copydetect_one),
        }
        for fn in calls.values():  # warm-up: tables, caches
            fn()
        t = H.interleaved(calls, 5)
        out[str(length)] = {name: t.best[name] / n * 1e6 for name in TOOLS}
        log(
            f"{length:>5} chars: "
            + ", ".join(f"{name} {out[str(length)][name]:.1f} us" for name in TOOLS)
        )
    return out


def fingerprint_loop(log: H.Log, docs: Sequence[str]) -> dict[str, float]:
    views = [peer_view(d) for d in docs]
    calls = {
        "textprint fingerprint per document": per_text(docs, tp.fingerprint),
        "textprint fingerprints (batch)": lambda: tp.fingerprints(docs),
        "copydetect per document": per_text(views, copydetect_one),
    }
    t = H.interleaved(calls, 3)
    chars = sum(len(d) for d in docs)
    log(
        f"fingerprint loop over {len(docs)} documents ({chars:,} chars): "
        + ", ".join(f"{k} {v:.3f} s" for k, v in t.best.items())
    )
    return dict(t.best)


def lsh_build_query(log: H.Log, docs: Sequence[str]) -> dict[str, float]:
    from datasketch import LeanMinHash, MinHashLSH

    sigs = tp.MinHasher(n_hashes=N_HASHES).signatures(docs)
    probe = tp.LSHIndex.for_threshold(0.8, n_hashes=N_HASHES)
    bands, rows = probe.bands, probe.rows
    ds_sigs = [LeanMinHash(seed=0, hashvalues=row, scheme="affine64") for row in sigs.values]

    def textprint_run() -> int:
        index = tp.LSHIndex.for_threshold(0.8, n_hashes=N_HASHES)
        index.add(range(len(docs)), sigs)
        return sum(len(m) for m in index.query_many(sigs))

    def datasketch_run() -> int:
        lsh = MinHashLSH(threshold=0.8, num_perm=N_HASHES, params=(bands, rows))
        with lsh.insertion_session() as session:
            for i, m in enumerate(ds_sigs):
                session.insert(i, m, check_duplication=False)
        return sum(len(lsh.query(m)) for m in ds_sigs)

    t = H.interleaved({"textprint": textprint_run, "datasketch": datasketch_run}, 3)
    log(
        f"LSH build + query of {len(docs)} signatures ({bands} bands x {rows} rows): "
        + ", ".join(f"{k} {v:.3f} s" for k, v in t.best.items())
    )
    return dict(t.best)


def lsh_single_query(log: H.Log, n_index: int) -> dict[str, float]:
    """Median microseconds of one ``query`` in an index of `n_index` signatures."""
    rng = np.random.default_rng(0)
    n_queries = 200
    values = rng.integers(0, 2**63, size=(n_index, N_HASHES), dtype=np.uint64)
    queries = values[:n_queries].copy()
    # each query has near-copies in the index (a quarter of its values changed)
    for j in range(n_queries):
        near = values[n_queries + 3 * j : n_queries + 3 * j + 3]
        near[:] = queries[j]
        change = rng.random(near.shape) < 0.25
        near[change] = rng.integers(0, 2**63, size=int(change.sum()), dtype=np.uint64)
    index = tp.LSHIndex.for_threshold(0.8, n_hashes=N_HASHES)
    t0 = time.process_time()
    index.add(range(n_index), values)
    build = time.process_time() - t0
    del values
    index.query(queries[0])  # (sorts the band keys once)
    times = []
    found = 0
    for q in queries:
        t0 = time.perf_counter()
        found += len(index.query(q))
        times.append(time.perf_counter() - t0)
    median = float(np.median(times)) * 1e6
    log(
        f"LSHIndex.query in an index of {n_index:,}: median {median:.1f} us "
        f"(wall clock, {n_queries} queries, {found} matches); add took {build:.1f} s"
    )
    return {"n_index": n_index, "median_us": median, "p90_us": float(np.quantile(times, 0.9)) * 1e6}


def measure(args: argparse.Namespace, log: H.Log) -> dict[str, Any]:
    from textprint._plain import compiled

    H.require_corpora("zh-chinese-poetry", "zh-classic-novels")
    src = slices.joined("zh-chinese-poetry")
    # the compiled single-text path compiles in the background on first use: wait for it
    numba = "numba " + H.package_version("numba") if compiled(wait=True) else "off (no numba)"
    log(
        f"peers: rensa {H.package_version('rensa')}, datasketch "
        f"{H.package_version('datasketch')}, copydetect {H.package_version('copydetect')}; "
        f"textprint's compiled single-text path: {numba}"
    )
    single = single_calls(args, log, src)
    n_docs = 300 if args.quick else 3000
    docs = slices.cut_log_uniform(src, seed=0)[:n_docs]
    if len(docs) < n_docs:  # (as bench_lsh.py: edited windows of the novels for the rest)
        chapters = [t for _, t in H.load_texts("zh-classic-novels")]
        docs += slices.edited_windows(chapters, n_docs - len(docs), max_edit_rate=0.04)
    loop = fingerprint_loop(log, docs)
    lsh = lsh_build_query(log, docs)
    query = lsh_single_query(log, 100_000 if args.quick else 1_000_000)
    load = " ".join(f"{x:.1f}" for x in __import__("os").getloadavg())
    log(f"load average at the end: {load}")
    return {
        "single": single,
        "loop": loop,
        "lsh": lsh,
        "query": query,
        "n_docs": len(docs),
        "load": load,
        "compiled": numba,
        "versions": {p: H.package_version(p) for p in ("rensa", "datasketch", "copydetect")},
    }


def render(res: dict[str, Any]) -> H.Page:
    s = res["single"]
    sig = "textprint signature"
    rows: list[list[object]] = []
    for length in map(str, LENGTHS):
        r = s[length]
        rows.append(
            [
                length,
                f"{r['rensa'] / r[sig]:.2f}x",
                f"{r['datasketch'] / r[sig]:.2f}x",
                f"{r['copydetect'] / r['textprint fingerprint']:.2f}x",
                *(f"{r[name]:.1f}" for name in TOOLS),
            ]
        )
    loop, lsh, q = res["loop"], res["lsh"], res["query"]
    per_doc = loop["textprint fingerprint per document"]
    r100, r300 = s["100"], s["300"]
    summary = [
        f"`MinHasher.signature` of one text: **{r100['rensa'] / r100[sig]:.2f}x** rensa's speed "
        f"at 100 characters ({r100[sig]:.0f} us against {r100['rensa']:.0f} us), "
        f"**{r300['rensa'] / r300[sig]:.2f}x** at 300 characters.",
        f"`fingerprint` of one 100-character text: **{r100['textprint fingerprint']:.0f} us**; "
        f"`normalize` of one 50-character text: "
        f"**{s['50']['textprint normalize']:.0f} us**.",
        f"A loop of single `fingerprint` calls over {res['n_docs']:,} documents of 300-3,000 "
        f"characters: **{loop['copydetect per document'] / per_doc:.1f}x** copydetect's speed "
        f"(the batch `fingerprints`: "
        f"{loop['copydetect per document'] / loop['textprint fingerprints (batch)']:.1f}x).",
        f"`LSHIndex` build + `query_many` over {res['n_docs']:,} signatures: "
        f"**{lsh['datasketch'] / lsh['textprint']:.1f}x** datasketch's speed; one `query` in "
        f"an index of {q['n_index']:,}: **{q['median_us']:.0f} us** (median).",
    ]
    table = H.Table(
        headers=[
            "chars",
            "signature over rensa",
            "signature over datasketch",
            "fingerprint over copydetect",
            *(f"{name} (us)" for name in TOOLS),
        ],
        rows=rows,
        # (no table title: a ### heading right under the page's # fails the docs build)
        note=(
            "Microseconds per call, one text per call. "
            "Ratios are the peer's time divided by textprint's (above 1: textprint is faster). "
            "textprint's calls include normalization (NFKC and every fold), the peers' do not. "
            f"textprint's compiled single-text path: {res['compiled']}."
        ),
    )
    return H.Page(
        title="Benchmark: one text per call (textprint vs rensa, datasketch and copydetect)",
        command="python -m benchmarks.bench_single",
        summary=summary,
        tables=[table],
        protocol=(__doc__ or "").split("Protocol:", 1)[1].split("    python -m")[0],
        sections=[
            (
                "Load",
                f"Load average when the run ended: {res['load']} (2 cores). The ratios come "
                "from calls timed in one process, interleaved round by round, so a change in "
                "load hits every tool alike; the microseconds move with the load.",
            )
        ],
    )


def plots(res: dict[str, Any], folder: Path) -> list[H.Plot]:
    plt = H.plt()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    xs = list(LENGTHS)
    for name in TOOLS:
        ax.plot(xs, [res["single"][str(x)][name] for x in xs], marker="o", label=name)
    plot = H.one_panel(
        fig,
        ax,
        folder,
        "single_cost.png",
        "Microseconds per call against text length, per tool",
        title="Cost of one call against text length",
        xlabel="characters per text",
        ylabel="microseconds per call (CPU)",
        log="xy",
    )
    return [plot]


if __name__ == "__main__":
    H.main("single", __doc__, measure, render, plots)
