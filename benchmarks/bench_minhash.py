"""Benchmark: MinHash signatures, textprint against datasketch and rensa.

Protocol:

- Corpora: ``poetry-cut``, the ``text`` of every
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
- Checks: ``tp.MinHasher(scheme="datasketch", k=5, seed=1)`` equals datasketch
  ``MinHash(num_perm=128, seed=1).update_batch(tp.shingles(text))`` on a sample; batch and
  one-document paths of textprint agree on every timed document; estimated vs exact Jaccard of
  textprint, rensa and datasketch on pairs of overlapping windows (each tool against the exact
  Jaccard of its OWN shingle sets).

    python -m benchmarks.bench_minhash            # full run, writes docs/benchmarks/minhash.md
    python -m benchmarks.bench_minhash --quick    # a small slice in seconds, prints only
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as a file

import textprint as tp
from benchmarks import harness as H  # noqa: N812
from benchmarks.minhash_checks import (
    JACCARD_HEADERS,
    check_datasketch_scheme,
    jaccard_check,
    kernel_time,
    peer_view,
)
from benchmarks.textgen import slices

N_HASHES = 128
K = 5
MAX_LEN = 3000
SEED = 0
#: ``--chunk-chars``: passed to ``signatures`` when given (None: the library's default)
CHUNK_ARG: int | None = None
PEERS = ("datasketch", "rensa")
SPEEDUP_HEADERS = ["corpus", "textprint", "speed-up", "user time only"]


def sign(mh: Any, docs: Sequence[str]) -> Any:
    """``mh.signatures(docs)``, with ``chunk_chars`` only when ``--chunk-chars`` was given."""
    return mh.signatures(docs) if CHUNK_ARG is None else mh.signatures(docs, chunk_chars=CHUNK_ARG)


# --------------------------------------------------------------------------------------------
# The timed calls


def run_datasketch(norm: Sequence[str]) -> list[Any]:
    from datasketch import MinHash

    out: list[Any] = MinHash.bulk(
        [[d[i : i + 5].encode("utf-8") for i in range(len(d) - 4)] for d in norm],
        num_perm=N_HASHES,
    )
    return out


def run_rensa(norm: Sequence[str]) -> list[Any]:
    from rensa import RMinHash

    out = []
    for d in norm:
        m = RMinHash(num_perm=N_HASHES, seed=0)
        m.update([d[i : i + 5] for i in range(len(d) - 4)])
        out.append(m.digest())
    return out


def stage_breakdown(docs: Sequence[str], repeat: int) -> list[tuple[str, float]]:
    """Where textprint's batch time goes (private stage functions; informative only).

    Each stage runs over the same chunks as ``signatures`` (``minhash.CHUNK_CHARS``), timed
    interleaved with the whole ``signatures`` call, best of `repeat`.
    """
    from textprint._kernels import batches
    from textprint._normbatch import normalize_batch
    from textprint._shingles import hash_shingles
    from textprint._tokens import tokenize_batch
    from textprint.minhash import CHUNK_CHARS, _oph

    chunks = list(batches(docs, CHUNK_ARG or CHUNK_CHARS))
    docs = list(docs)
    mh = tp.MinHasher(n_hashes=N_HASHES)
    tbs = [tokenize_batch(c, "auto") for c in chunks]
    shs = [hash_shingles(tb, k=K, seed=0) for tb in tbs]
    best, _, _ = H.interleaved(
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


def measure(args: argparse.Namespace, log: H.Log) -> dict[str, Any]:
    H.require_corpora("zh-chinese-poetry", "zh-classic-novels")
    global CHUNK_ARG
    CHUNK_ARG = args.chunk_chars
    repeat = 3
    problems: list[str] = []

    corpora = slices.speed_corpora(quick=args.quick, seed=SEED)
    poetry_docs, novels = corpora["poetry-cut"], corpora["novels"]
    long_docs = [t for t in novels if len(t) >= MAX_LEN]

    import datasketch
    import rensa  # noqa: F401

    log(
        f"textprint {tp.__version__}, datasketch {H.package_version('datasketch')}, "
        f"rensa {H.package_version('rensa')}, numpy {np.__version__}; "
        f"n_hashes={N_HASHES}, k={K}; CPU seconds, best of {repeat}"
    )
    log(slices.describe({**corpora, f"novels>={MAX_LEN}": long_docs}))
    log()

    mh = tp.MinHasher(n_hashes=N_HASHES)
    mh.signatures(["热身：装载表格。", "warm up"])  # load the normalization tables once
    _ = datasketch.MinHash(num_perm=N_HASHES)

    rows: list[list[object]] = []
    timings: dict[str, H.Timings] = {}
    for cname, docs in corpora.items():
        n_chars = sum(map(len, docs))
        t0 = time.process_time()
        norm = peer_view(docs)
        t_norm = time.process_time() - t0
        t = timings[cname] = H.interleaved(
            {
                "datasketch": partial(run_datasketch, norm),
                "rensa": partial(run_rensa, norm),
                "textprint batch": partial(sign, mh, docs),
                "textprint signature()": H.each(mh.signature, docs),
            },
            repeat,
        )
        ds_out, rensa_out = t.results["datasketch"], t.results["rensa"]
        batch, single = t.results["textprint batch"], t.results["textprint signature()"]
        rows += H.throughput_rows(cname, len(docs), n_chars, t, PEERS)
        assert len(ds_out) == len(rensa_out) == len(batch) == len(single) == len(docs)
        same = sum(bool(np.array_equal(batch.values[i], s)) for i, s in enumerate(single))
        log(
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
    norm = peer_view(long_docs)
    timings[cname] = H.interleaved(
        {
            "rensa": lambda: run_rensa(norm),
            "textprint signature()": lambda: [mh.signature(d) for d in long_docs],
        },
        repeat,
    )
    rows += H.throughput_rows(
        cname, len(long_docs), sum(map(len, long_docs)), timings[cname], PEERS
    )
    log()
    log(H.table(H.throughput_headers(PEERS), rows))
    log()
    summary = {c: t.best for c, t in timings.items()}
    user = {c: t.user for c, t in timings.items()}

    # speed-ups: the protocol's figure (user + system) and user time only
    vrows = []
    for cname in corpora:
        r, u = summary[cname], user[cname]
        for peer in ("datasketch", "rensa"):
            vrows.append(
                [
                    cname,
                    f"batch over {peer}",
                    f"{r[peer] / r['textprint batch']:.2f}x",
                    f"{u[peer] / u['textprint batch']:.2f}x",
                ]
            )
    long_name = f"novels>={MAX_LEN}"
    r, u = summary[long_name], user[long_name]
    vrows.append(
        [
            long_name,
            "signature() over rensa",
            f"{r['rensa'] / r['textprint signature()']:.2f}x",
            f"{u['rensa'] / u['textprint signature()']:.2f}x",
        ]
    )
    log(H.table(SPEEDUP_HEADERS, vrows, align="llrr"))
    noise = H.noise_note(timings)
    if noise:
        log("NOTE: " + noise)
    log()

    # where the time goes
    log(
        "textprint batch, time by stage (private stage functions, interleaved, best of 5; "
        "share = stage / whole call):"
    )
    brows = []
    for cname, docs in corpora.items():
        stages = stage_breakdown(docs, 5)
        total = stages[0][1]
        for stage, secs in stages:
            brows.append([cname, stage, f"{secs:.3f}", f"{100 * secs / total:.0f}%"])
    breakdown = H.table(["corpus", "stage", "seconds", "share"], brows, align="ll" + "rr")
    log(breakdown)
    log()

    kernel = kernel_time(novels, log, CHUNK_ARG)
    log()

    # agreement and sanity
    problems += check_datasketch_scheme(poetry_docs + novels, 20 if args.quick else 100, log)
    log()
    log(
        "estimated vs exact Jaccard, pairs of overlapping windows (each tool against the "
        "exact Jaccard of its own shingle sets; expected RMSE = sqrt(mean J(1-J)/128)):"
    )
    jac_rows, points = jaccard_check(
        {"poetry": "".join(poetry_docs), "novels": "\n".join(novels)},
        40 if args.quick else 150,
        log,
    )
    log()
    log("problems: " + ("; ".join(problems) if problems else "none"))

    chunks = chunk_sweep(novels, log)
    return {
        "summary": summary,
        "throughput": rows,
        "speedups": vrows,
        "noise": noise,
        "breakdown": brows,
        "kernel": kernel,
        "jaccard": jac_rows,
        "points": points,
        "chunks": chunks,
        "chunk_arg": CHUNK_ARG,
        "problems": problems,
        "versions": {p: H.package_version(p) for p in ("datasketch", "rensa")},
    }


def chunk_sweep(novels: list[str], log: H.Log) -> list[list[object]]:
    """signatures() on the novels at several chunk_chars (the library's default among them):
    the figures behind the default."""
    from textprint.minhash import CHUNK_CHARS

    mh = tp.MinHasher(n_hashes=N_HASHES)
    sizes = sorted({1 << 14, CHUNK_CHARS, 1 << 18, 1 << 20})
    t = H.interleaved({f"{c:,}": partial(mh.signatures, novels, chunk_chars=c) for c in sizes}, 3)
    n = sum(map(len, novels))
    rows: list[list[object]] = [
        [
            f"{c:,}" + (" (default)" if c == CHUNK_CHARS else ""),
            f"{1e9 * t.best[f'{c:,}'] / n:.0f}",
            f"{100 * t.system_share[f'{c:,}']:.0f}%",
        ]
        for c in sizes
    ]
    log(H.table(["chunk_chars", "ns per character", "sys"], rows))
    return rows


def render(res: dict[str, Any]) -> H.Page:
    s = res["summary"]
    long_name = f"novels>={MAX_LEN}"
    batch = {c: r for c, r in s.items() if "textprint batch" in r}
    chunk = res["chunk_arg"]
    return H.Page(
        title="Benchmark: MinHash signatures (textprint vs datasketch and rensa)",
        command="python -m benchmarks.bench_minhash"
        + ("" if chunk is None else f" --chunk-chars {chunk}"),
        summary=[
            f"`MinHasher.signatures` ({N_HASHES} hashes, from raw text) runs "
            + "; ".join(
                f"**{r['datasketch'] / r['textprint batch']:.1f}x** datasketch's speed and "
                f"**{r['rensa'] / r['textprint batch']:.1f}x** rensa's on {c}"
                for c, r in batch.items()
            )
            + f"; the one-document `signature()` runs "
            f"{s[long_name]['rensa'] / s[long_name]['textprint signature()']:.1f}x rensa's on "
            f"chapters of {MAX_LEN:,}+ characters.",
            "Jaccard estimates against the exact Jaccard of textprint's own shingles: RMSE "
            + ", ".join(
                f"{r[5]} on {r[0]} (classic MinHash's standard error: {r[6]})"
                for r in res["jaccard"]
                if str(r[1]).startswith("textprint")
            )
            + ". Problems found: "
            + ("; ".join(res["problems"]) or "none (`scheme='datasketch'` equals datasketch)")
            + ".",
        ],
        tables=[
            H.throughput_table(PEERS, res["throughput"], res["noise"]),
            H.Table(SPEEDUP_HEADERS, res["speedups"], title="textprint's speed-up", align="llrr"),
            H.Table(
                JACCARD_HEADERS,
                res["jaccard"],
                title="Estimated vs exact Jaccard",
                align="ll" + "r" * 7,
                note="Pairs of overlapping windows; each tool against the exact Jaccard of its "
                "own shingle sets; expected RMSE is sqrt(mean J(1-J)/128), the standard error "
                "of classic MinHash.",
            ),
        ],
        protocol=f"""
{H.corpora_note("zh-chinese-poetry", "zh-classic-novels")}

- **Corpora**: `poetry-cut` is the `text` of every zh-chinese-poetry poem joined with newlines
  and cut into consecutive documents of 300-3,000 characters, lengths log-uniform
  (`random.Random(0)`); `novels` is the 461 chapters of zh-classic-novels; `novels>=3000` is
  the chapters of at least 3,000 characters.
- **Peers** (128 permutations), each timed including its own Python shingling of character
  5-grams of text prepared beforehand with `unicodedata.normalize("NFKC", text).lower()` (that
  preparation is not timed for them): datasketch {res["versions"]["datasketch"]}
  `MinHash.bulk(list_of_shingle_lists, num_perm=128)`; rensa {res["versions"]["rensa"]}
  `RMinHash(num_perm=128, seed=0)`, `update(shingles)`, `digest()` per document.
- **textprint**, timed from the raw text, its own normalization, tokenization and shingling
  included: `tp.MinHasher(n_hashes=128).signatures(docs)` (batch) and
  `[mh.signature(d) for d in docs]`. Its shingles are 5 tokens (characters for Chinese) with
  punctuation and whitespace dropped, so it hashes somewhat fewer shingles than the peers' raw
  5-grams; chars/s counts input characters for every tool.
- CPU time (`time.process_time`), best of 3, all tools in the same process.
""",
        sections=[
            (
                "Where textprint's batch time goes",
                H.table(["corpus", "stage", "seconds", "share"], res["breakdown"], align="llrr")
                + "\n\n"
                + res["kernel"],
            ),
            (
                "Chunk size",
                "`signatures` processes about `chunk_chars` characters at a time (a long text is "
                "cut into pieces of that size): time per character on the novels, best of 3.\n\n"
                + H.table(["chunk_chars", "ns per character", "sys"], res["chunks"]),
            ),
        ],
    )


def plots(res: dict[str, Any], folder: Path) -> list[H.Plot]:
    s = res["summary"]
    groups = [c for c in s if "textprint batch" in s[c]]
    H.speedup_bars(
        folder / "minhash_time.png",
        groups,
        {
            "over datasketch": [s[c]["datasketch"] / s[c]["textprint batch"] for c in groups],
            "over rensa": [s[c]["rensa"] / s[c]["textprint batch"] for c in groups],
        },
        title=f"MinHash signatures, {N_HASHES} hashes: textprint's speed-up (batch path)",
        reference="the peer",
        log=True,
    )
    points = res["points"]
    plt = H.plt()
    fig, axes = plt.subplots(1, len(points), figsize=(4 * len(points), 4), sharey=True)
    for ax, (tool, (xs, ys)) in zip(np.atleast_1d(axes), points.items()):
        ax.plot([0, 1], [0, 1], color="grey", lw=1)
        ax.scatter(xs, ys, s=6)
        ax.set_title(tool)
        ax.set_xlabel("exact Jaccard")
    np.atleast_1d(axes)[0].set_ylabel("estimated Jaccard")
    H.save_figure(fig, folder / "minhash_jaccard.png")
    return [
        H.Plot("minhash_time.png", "textprint's speed-up over each peer (log scale)"),
        H.Plot("minhash_jaccard.png", "Estimated vs exact Jaccard"),
    ]


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--chunk-chars",
        type=int,
        default=None,
        help="pass chunk_chars to MinHasher.signatures (default: the library's default)",
    )


if __name__ == "__main__":
    H.main("minhash", __doc__, measure, render, plots, add_args=add_args)
