"""Benchmark: textprint.normalize (numpy fast path) against the exact pure-Python reference.

Corpora: all 461 chapters of zh-classic-novels for the headline figure; slices of
zh-cmrc2018-wiki, zh-chinese-poetry (Traditional Tang poems), aozora-pd-ja, ja-jglue and
en-gutenberg, plus an NFD-decomposed Aozora slice that sends every voiced kana through the exact
cluster path (the worst case for the fast path).

For each corpus: characters per CPU second of ``normalize`` (one call per document) and of the
reference ``normalize_reference`` from ``tests/reference.py``, their ratio, the share of input
characters that the batch path handed to the exact cluster path, and a check that both give the
same text and the same spans on every timed document. Then the batch path (``normalize_batch``
over many documents) against one ``normalize`` call per document. With numba installed (the
``fast`` extra), plain texts take the compiled single-text path and every text the compiled
first tests of the separator rule (``textprint._plain``); the run waits for their compilation.

    python -m benchmarks.bench_normalize            # full run: docs/benchmarks/normalize.md
    python -m benchmarks.bench_normalize --quick    # a small slice in seconds, printed only
"""

from __future__ import annotations

import argparse
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as a file

import textprint
from benchmarks import harness as H  # noqa: N812
from textprint import _plain
from textprint._normbatch import normalize_batch

CHUNK_DOCS = 32  # documents per normalize_batch call in the "chunked batch" row
TABLE1 = [
    "corpus",
    "ratio",
    "lang",
    "docs",
    "chars",
    "fast chars/s",
    "ref chars/s",
    "ref runs",
    "exact share",
    "exact chars",
    "mismatched docs",
    "not idempotent",
]


def load_reference() -> Callable[[str], Any] | None:
    """tests/reference.py's normalize_reference (the oracle of the test suite), if present."""
    sys.path.insert(0, str(H.REPO / "tests"))
    try:
        import reference  # type: ignore[import-not-found]
    except ImportError:
        return None
    return getattr(reference, "normalize_reference", None)


def ref_view(r: Any) -> tuple[str, list[int] | None, list[int] | None]:
    """(text, starts, ends) of whatever the reference returns (object, tuple or str)."""
    if isinstance(r, str):
        return r, None, None
    if hasattr(r, "text"):
        s, e = getattr(r, "starts", None), getattr(r, "ends", None)
        return (
            r.text,
            None if s is None else [int(x) for x in s],
            None if e is None else [int(x) for x in e],
        )
    if isinstance(r, tuple):
        text = r[0]
        s = [int(x) for x in r[1]] if len(r) > 1 else None
        e = [int(x) for x in r[2]] if len(r) > 2 else None
        return text, s, e
    raise TypeError(f"normalize_reference returned {type(r).__name__}")


def first_difference(
    original: str, fast: textprint.Normalized, ref: tuple[str, list[int] | None, list[int] | None]
) -> str | None:
    """None when equal, else a one-line description of the first difference."""
    rtext, rs, re_ = ref
    if fast.text != rtext:
        i = next(
            (j for j, (a, b) in enumerate(zip(fast.text, rtext)) if a != b),
            min(len(fast.text), len(rtext)),
        )
        src = int(fast.starts[i]) if i < len(fast.starts) else len(original)
        return (
            f"text differs at {i} (len {len(fast.text)} vs {len(rtext)}): "
            f"fast {fast.text[max(0, i - 8) : i + 8]!r} ref {rtext[max(0, i - 8) : i + 8]!r} "
            f"original {original[max(0, src - 8) : src + 8]!r}"
        )
    for name, mine, theirs in (("starts", fast.starts, rs), ("ends", fast.ends, re_)):
        if theirs is None:
            continue
        m = mine.tolist()
        if m != theirs:
            i = next(
                (j for j, (a, b) in enumerate(zip(m, theirs)) if a != b), min(len(m), len(theirs))
            )
            return (
                f"{name} differ at {i}: fast {m[max(0, i - 2) : i + 3]} ref "
                f"{theirs[max(0, i - 2) : i + 3]} near {fast.text[max(0, i - 4) : i + 4]!r}"
            )
    return None


# --------------------------------------------------------------------------------------------


def exact_share(texts: Sequence[str], *, chunk_chars: int = 2_000_000) -> tuple[int, int]:
    """(characters sent to the exact cluster path, total characters), in bounded batches."""
    n_exact = total = 0
    batch: list[str] = []
    size = 0
    for t in [*texts, None]:
        if t is not None:
            batch.append(t)
            size += len(t)
        if batch and (t is None or size >= chunk_chars):
            _, ne = normalize_batch(batch)
            n_exact += ne
            total += size
            batch, size = [], 0
    return n_exact, total


def measure(args: argparse.Namespace, log: H.Log) -> dict[str, Any]:
    H.require_corpora("zh-classic-novels", "aozora-pd-ja", "en-gutenberg")
    ref_fn = load_reference()
    if ref_fn is None:
        log("normalize_reference not found in tests/reference.py: reference rows are skipped.")
    textprint.normalize("warm-up 學而時習之")  # load the tables once, outside the timings
    # the compiled loops (numba, the fast extra) are compiled once per process in the
    # background; wait for them so that no timing depends on when they arrive
    _plain.compiled(wait=True)
    if ref_fn is not None:
        ref_fn("warm-up 學而時習之")
    slice_chars = 30_000 if args.quick else 300_000
    novels_all = [t for _, t in H.load_texts("zh-classic-novels")]
    novels = H.take_chars(novels_all, 150_000) if args.quick else novels_all
    aozora = [t for _, t in H.load_texts("aozora-pd-ja")]
    gutenberg = [t for _, t in H.load_texts("en-gutenberg")]
    sets: list[tuple[str, list[str], str]] = [
        ("zh-classic-novels" + (" (slice)" if args.quick else " (all)"), novels, "zh"),
    ]
    if H.CORPORA.joinpath(H.CORPUS_FILES["zh-cmrc2018-wiki"][0]).is_file():
        sets.append(
            (
                "zh-cmrc2018-wiki (slice)",
                H.take_chars([t for _, t in H.load_texts("zh-cmrc2018-wiki")], slice_chars),
                "zh",
            )
        )
    if H.CORPORA.joinpath(H.CORPUS_FILES["zh-chinese-poetry"][0]).is_file():
        poems = [t for _, t in H.load_texts("zh-chinese-poetry", max_docs=20_000)]
        sets.append(
            ("zh-chinese-poetry (slice, short docs)", H.take_chars(poems, slice_chars), "zh")
        )
    sets.append(("aozora-pd-ja (slice)", H.take_chars(aozora, slice_chars), "ja"))
    if H.CORPORA.joinpath(H.CORPUS_FILES["ja-jglue"][0]).is_file():
        sets.append(
            (
                "ja-jglue (slice)",
                H.take_chars([t for _, t in H.load_texts("ja-jglue")], slice_chars),
                "ja",
            )
        )
    sets.append(("en-gutenberg (slice)", H.take_chars(gutenberg, slice_chars), "en"))
    nfd = [unicodedata.normalize("NFD", t) for t in H.take_chars(aozora, slice_chars // 3)]
    sets.append(("aozora-pd-ja NFD (slice, synthetic)", nfd, "ja"))

    # ---- 1. fast vs reference, per corpus ------------------------------------------------
    log("")
    log("## 1. normalize (one call per document) vs normalize_reference")
    rows = []
    mismatch_notes: list[str] = []
    headline: dict[str, float] = {}
    speeds: list[tuple[float, float]] = []
    fast_secs: dict[str, float] = {}  # corpus -> the timing of table 1 (reused in table 3)
    for name, texts, lang in sets:
        n = sum(len(t) for t in texts)
        t_fast, fast_res = H.cpu_time(H.each(textprint.normalize, texts))
        fast_secs[name] = t_fast
        ne, _ = exact_share(texts)
        r_rate = ratio = float("nan")
        mism = "-"
        ref_runs = 0
        if ref_fn is not None:
            t0 = time.process_time()
            ref_res = [ref_view(ref_fn(t)) for t in texts]
            t_ref = time.process_time() - t0
            ref_runs = 1
            if t_ref < 20.0:  # cheap enough: best of 3 like the fast path
                t_more, _ = H.cpu_time(H.each(ref_fn, texts), repeat=2)
                t_ref = min(t_ref, t_more)
                ref_runs = 3
            r_rate = H.rate(n, t_ref)
            ratio = H.rate(n, t_fast) / r_rate
            bad = 0
            for doc, (orig, f, r) in enumerate(zip(texts, fast_res, ref_res)):
                d = first_difference(orig, f, r)
                if d is not None:
                    bad += 1
                    if sum(1 for m in mismatch_notes if m.startswith(name)) < 3:
                        mismatch_notes.append(f"{name} doc {doc}: {d}")
            mism = f"{bad}/{len(texts)}"
        idem = sum(
            textprint.normalize(f.text).text != f.text for f in fast_res[: min(len(fast_res), 200)]
        )
        rows.append(
            [
                name,
                lang,
                f"{len(texts)}",
                f"{n:,}",
                H.fmt_rate(H.rate(n, t_fast)),
                H.fmt_rate(r_rate) if ref_fn else "-",
                f"{ratio:.1f}x" if ref_fn else "-",
                f"{ref_runs}" if ref_fn else "-",
                f"{ne / n:.4%}" if n else "-",
                f"{ne:,}",
                mism,
                f"{idem}/{min(len(fast_res), 200)}",
            ]
        )
        speeds.append((H.rate(n, t_fast), r_rate if ref_fn else 0.0))
        if not headline:
            headline = {
                "fast": H.rate(n, t_fast),
                "ref": r_rate,
                "ratio": ratio,
                "share": ne / n,
            }
    tab1 = H.table(
        [
            "corpus",
            "lang",
            "docs",
            "chars",
            "fast chars/s",
            "ref chars/s",
            "ratio",
            "ref runs",
            "exact share",
            "exact chars",
            "mismatched docs",
            "not idempotent",
        ],
        rows,
        align="llrrrrrrrrrr",
    )
    log(tab1)
    if mismatch_notes:
        log("")
        log("First mismatches (up to 3 per corpus):")
        for m in mismatch_notes:
            log("  " + m)
    log("")
    log(
        "ratio = fast chars/s / reference chars/s. exact share = input "
        "characters that normalize_batch sent to the exact cluster path / all input characters. "
        "mismatched docs: documents whose text or spans differ from the reference. not "
        "idempotent: normalize(normalize(t).text).text != normalize(t).text (first 200 docs)."
    )

    # ---- 2. exact share on whole corpora ---------------------------------------------------
    log("")
    log("## 2. Share of characters on the exact cluster path, whole corpora")
    rows2 = []
    whole = [
        ("zh-classic-novels", novels_all),
        ("aozora-pd-ja", aozora),
        ("en-gutenberg", gutenberg),
    ]
    for extra in ("zh-cmrc2018-wiki", "ja-jglue"):
        if H.CORPORA.joinpath(H.CORPUS_FILES[extra][0]).is_file():
            whole.append((extra, [t for _, t in H.load_texts(extra)]))
    if args.quick:
        whole = [(n, H.take_chars(ts, 100_000)) for n, ts in whole]
    for name, texts in whole:
        ne, n = exact_share(texts)
        rows2.append([name, f"{len(texts)}", f"{n:,}", f"{ne:,}", f"{ne / n:.5%}"])
    tab2 = H.table(["corpus", "docs", "chars", "exact chars", "exact share"], rows2)
    log(tab2)

    # ---- 3. batch vs per document ------------------------------------------------------------
    log("")
    log("## 3. normalize_batch vs one normalize call per document")
    rows3 = []
    batch_sets = [
        (name, texts)
        for name, texts, _ in sets
        if name.startswith(("zh-classic-novels", "zh-chinese-poetry", "zh-cmrc2018-wiki"))
    ]
    for full_name, texts in batch_sets:
        name = full_name.split(" (")[0]
        n = sum(len(t) for t in texts)
        t_doc = fast_secs[full_name]  # the same measurement as table 1
        t_docb, _ = H.cpu_time(H.each(lambda t: normalize_batch([t]), texts))
        chunks = [texts[i : i + CHUNK_DOCS] for i in range(0, len(texts), CHUNK_DOCS)]
        t_chunk, _ = H.cpu_time(H.each(normalize_batch, chunks))
        t_all, _ = H.cpu_time(partial(normalize_batch, texts))
        label = f"{name} ({len(texts)} docs, {n // len(texts):,} chars/doc)"
        for how, calls, secs in (
            ("normalize(t) per document", len(texts), t_doc),
            ("normalize_batch([t]) per document", len(texts), t_docb),
            (
                f"normalize_batch, {CHUNK_DOCS} documents per call",
                -(-len(texts) // CHUNK_DOCS),
                t_chunk,
            ),
            ("normalize_batch, all documents in one call", 1, t_all),
        ):
            rows3.append(
                [
                    label,
                    how,
                    f"{calls}",
                    H.fmt_rate(H.rate(n, secs)),
                    f"{t_doc / secs:.2f}x",
                ]
            )
            label = ""
    tab3 = H.table(
        ["corpus", "how", "calls", "chars/s", "speed vs per-document normalize"],
        rows3,
        align="llrrr",
    )
    log(tab3)
    short = "床前明月光，疑是地上霜。"
    t_short, _ = H.cpu_time(lambda: [textprint.normalize(short) for _ in range(2000)])
    t_ref_short = float("nan")
    if ref_fn is not None:
        t_ref_short, _ = H.cpu_time(lambda: [ref_fn(short) for _ in range(2000)])
    us_call, us_ref_call = t_short / 2000 * 1e6, t_ref_short / 2000 * 1e6
    overhead = (
        f"Cost of one call on a 12-character line: normalize {us_call:.0f} us, "
        f'normalize_reference {us_ref_call:.0f} us. The "normalize(t) per document" rows are '
        "the timings of table 1."
    )
    log(overhead)
    log(
        "normalize also builds the str and the read-only span arrays; normalize_batch returns "
        "flat arrays only."
    )
    return {
        "sets": [name for name, _, _ in sets],
        "rows": rows,
        "mismatches": mismatch_notes,
        "exact": rows2,
        "batch": rows3,
        "speeds": speeds,
        "headline": headline,
        "us_call": us_call,
        "us_ref_call": us_ref_call,
        "reference": ref_fn is not None,
    }


def render(results: dict[str, Any]) -> H.Page:
    head = results["headline"]
    rows = results["rows"]
    summary = [
        f"`textprint.normalize` on {results['sets'][0]}: **{H.fmt_rate(head['fast'])} "
        "characters a second**"
        + (
            f", **{head['ratio']:.1f}x** the exact pure-Python reference "
            f"({H.fmt_rate(head['ref'])} characters a second), same text and spans on every "
            "timed document"
            if results["reference"]
            else ""
        )
        + f"; {head['share']:.4%} of its characters take the exact cluster path."
    ]
    slow = [r for r in rows if r[6] != "-" and float(r[6][:-1]) < 5]
    if slow:
        why = []
        for r in slow:
            n_docs, n_chars = int(r[2]), int(r[3].replace(",", ""))
            if float(r[8].rstrip("%")) >= 1.0:
                why.append(f"{r[0]}: {r[6]} ({r[8]} of its characters take the exact path)")
            else:
                why.append(
                    f"{r[0]}: {r[6]} ({n_chars // n_docs:,} characters per document, against a "
                    f"fixed cost of about {results['us_call']:.0f} us per call)"
                )
        summary.append(
            "Slower cases: " + "; ".join(why) + ". Short texts belong on the batch path "
            "(`fingerprints`, `MinHasher.signatures`)."
        )
    table1 = [[r[0], r[6], *r[1:6], *r[7:]] for r in rows]
    notes = "; ".join(results["mismatches"])
    return H.Page(
        title="Benchmark: normalization (fast path vs reference)",
        command="python -m benchmarks.bench_normalize",
        summary=summary,
        tables=[
            H.Table(
                TABLE1,
                table1,
                title="Fast path vs reference, per corpus",
                align="lr" + "l" + "r" * 9,
                note="ratio = fast characters a second / reference characters a second; exact "
                "share = input characters the batch path sent to the exact cluster path; "
                "mismatched docs: text or spans differ from the reference; not idempotent: "
                "normalize(normalize(t).text).text != normalize(t).text (first 200 docs)."
                + (f" First mismatches: {notes}." if notes else ""),
            ),
            H.Table(
                ["corpus", "docs", "chars", "exact chars", "exact share"],
                results["exact"],
                title="Exact cluster path share, whole corpora",
            ),
            H.Table(
                ["corpus", "how", "calls", "chars/s", "speed vs per-document normalize"],
                results["batch"],
                title="Batch vs per-document",
                align="llrrr",
                note=f"One call on a 12-character line costs normalize {results['us_call']:.0f} "
                f"us, normalize_reference {results['us_ref_call']:.0f} us; the per-document "
                "rows are the timings of the first table.",
            ),
        ],
        protocol=f"""
{H.corpora_note(*H.CORPUS_FILES)}
All 461 chapters of zh-classic-novels, and slices of the others spread over each corpus; the
NFD slice decomposes an Aozora slice so that every voiced kana takes the exact cluster path.
`textprint.normalize` is called once per document and `normalize_reference`
(`tests/reference.py`, the test suite's pure-Python oracle) likewise; CPU time, best of 3 (the
reference once when it takes over 20 s). Every timed document is compared for text and spans.
`normalize` also builds the str and the read-only span arrays; `normalize_batch` (the batch
path behind `fingerprints` and `signatures`) returns flat arrays only.
""",
    )


def plots(results: dict[str, Any], folder: Path) -> list[H.Plot]:
    plt = H.plt()
    fig, ax = plt.subplots(figsize=(9, 4.2))
    labels = [r[0].split(" (")[0] for r in results["rows"]]
    fast_v = [fv for fv, _ in results["speeds"]]
    ref_v = [rv for _, rv in results["speeds"]]
    x = np.arange(len(labels))
    ax.bar(x - 0.2, fast_v, 0.4, label="textprint.normalize (fast)")
    if results["reference"]:
        ax.bar(x + 0.2, ref_v, 0.4, label="normalize_reference")
        for xi, fv, rv in zip(x, fast_v, ref_v):
            ax.text(xi, max(fv, rv) * 1.15, f"{fv / rv:.1f}x", ha="center", fontsize=8)
    ax.set_xticks(x, labels, rotation=20, ha="right", fontsize=8)
    plot = H.one_panel(
        fig,
        ax,
        folder,
        "normalize_speed.png",
        "normalize speed per corpus (log scale)",
        title="normalize: fast path vs exact reference",
        ylabel="characters / CPU second (log)",
        log="y",
        legend_size=None,
    )
    return [plot]


if __name__ == "__main__":
    H.main("normalize", __doc__, measure, render, plots)
