"""Benchmark: textprint.normalize (numpy fast path) against the exact pure-Python reference.

Corpora (read from ../shared/corpora, never copied): all 461 chapters of zh-classic-novels for
the headline figure; slices of zh-cmrc2018-wiki, zh-chinese-poetry (Traditional Tang poems),
aozora-pd-ja, ja-jglue and en-gutenberg, plus an NFD-decomposed Aozora slice that sends every
voiced kana through the exact cluster path (the worst case for the fast path).

For each corpus: characters per CPU second of ``normalize`` (one call per document) and of the
reference ``normalize_reference`` from ``tests/reference.py``, their ratio (floor 5x, goal 10x),
the share of input characters that ``normalize_batch`` handed to the exact cluster path, and a
check that both give the same text and the same spans on every timed document. Then batch
(``normalize_batch`` over many documents) against one ``normalize`` call per document.

    python benchmarks/bench_normalize.py            # full run, writes docs/benchmarks/normalize.md
    python benchmarks/bench_normalize.py --quick    # a small slice in seconds, prints only
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common
import textprint
from textprint.normalization import normalize_batch

FLOOR, GOAL = 5.0, 10.0
CHUNK_DOCS = 32  # documents per normalize_batch call in the "chunked batch" row


# --------------------------------------------------------------------------------------------
# The reference implementation (written in tests/reference.py by the test suite's authors)


def load_reference() -> Callable[[str], Any] | None:
    common.sys_path_tests()
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


def run(args: argparse.Namespace, info: dict[str, str]) -> tuple[str, str]:
    out = common.Report()
    md: list[str] = []
    common.require_corpora("zh-classic-novels", "aozora-pd-ja", "en-gutenberg")
    load_start = os.getloadavg()[0]
    out(
        f"bench_normalize: {info['date']}, {info['nproc']} CPUs ({info['cpu']}), "
        f"Python {info['python']}, numpy {info['numpy']}, textprint {info['textprint']}"
    )
    ref_fn = load_reference()
    if ref_fn is None:
        out("normalize_reference not found in tests/reference.py: reference rows are skipped.")

    textprint.normalize("warm-up 學而時習之")  # load the tables once, outside the timings
    if ref_fn is not None:
        ref_fn("warm-up 學而時習之")

    slice_chars = 30_000 if args.quick else 300_000
    novels_all = [t for _, t in common.load_texts("zh-classic-novels")]
    novels = common.take_chars(novels_all, 150_000) if args.quick else novels_all
    aozora = [t for _, t in common.load_texts("aozora-pd-ja")]
    gutenberg = [t for _, t in common.load_texts("en-gutenberg")]
    sets: list[tuple[str, list[str], str]] = [
        ("zh-classic-novels" + (" (slice)" if args.quick else " (all)"), novels, "zh"),
    ]
    if common.CORPORA.joinpath(common.CORPUS_FILES["zh-cmrc2018-wiki"][0]).is_file():
        sets.append(
            (
                "zh-cmrc2018-wiki (slice)",
                common.take_chars(
                    [t for _, t in common.load_texts("zh-cmrc2018-wiki")], slice_chars
                ),
                "zh",
            )
        )
    if common.CORPORA.joinpath(common.CORPUS_FILES["zh-chinese-poetry"][0]).is_file():
        poems = [t for _, t in common.load_texts("zh-chinese-poetry", max_docs=20_000)]
        sets.append(
            ("zh-chinese-poetry (slice, short docs)", common.take_chars(poems, slice_chars), "zh")
        )
    sets.append(("aozora-pd-ja (slice)", common.take_chars(aozora, slice_chars), "ja"))
    if common.CORPORA.joinpath(common.CORPUS_FILES["ja-jglue"][0]).is_file():
        sets.append(
            (
                "ja-jglue (slice)",
                common.take_chars([t for _, t in common.load_texts("ja-jglue")], slice_chars),
                "ja",
            )
        )
    sets.append(("en-gutenberg (slice)", common.take_chars(gutenberg, slice_chars), "en"))
    nfd = [unicodedata.normalize("NFD", t) for t in common.take_chars(aozora, slice_chars // 3)]
    sets.append(("aozora-pd-ja NFD (slice, synthetic)", nfd, "ja"))

    # ---- 1. fast vs reference, per corpus ------------------------------------------------
    out("")
    out("## 1. normalize (one call per document) vs normalize_reference")
    rows = []
    mismatch_notes: list[str] = []
    headline: dict[str, float] = {}
    speeds: list[tuple[float, float]] = []
    fast_secs: dict[str, float] = {}  # corpus -> the timing of table 1 (reused in table 3)
    for name, texts, lang in sets:
        n = sum(len(t) for t in texts)
        t_fast, fast_res = common.cpu_time(
            lambda texts=texts: [textprint.normalize(t) for t in texts]
        )
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
                t_more, _ = common.cpu_time(
                    lambda texts=texts: [ref_fn(t) for t in texts], repeat=2
                )
                t_ref = min(t_ref, t_more)
                ref_runs = 3
            r_rate = common.rate(n, t_ref)
            ratio = common.rate(n, t_fast) / r_rate
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
                common.fmt_rate(common.rate(n, t_fast)),
                common.fmt_rate(r_rate) if ref_fn else "-",
                f"{ratio:.1f}x" if ref_fn else "-",
                f"{ref_runs}" if ref_fn else "-",
                f"{ne / n:.4%}" if n else "-",
                f"{ne:,}",
                mism,
                f"{idem}/{min(len(fast_res), 200)}",
            ]
        )
        speeds.append((common.rate(n, t_fast), r_rate if ref_fn else 0.0))
        if not headline:
            headline = {
                "fast": common.rate(n, t_fast),
                "ref": r_rate,
                "ratio": ratio,
                "share": ne / n,
            }
    tab1 = common.table(
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
    out(tab1)
    if mismatch_notes:
        out("")
        out("First mismatches (up to 3 per corpus):")
        for m in mismatch_notes:
            out("  " + m)
    out("")
    out(
        "ratio = fast chars/s / reference chars/s (floor 5x, goal 10x). exact share = input "
        "characters that normalize_batch sent to the exact cluster path / all input characters. "
        "mismatched docs: documents whose text or spans differ from the reference. not "
        "idempotent: normalize(normalize(t).text).text != normalize(t).text (first 200 docs)."
    )

    # ---- 2. exact share on whole corpora ---------------------------------------------------
    out("")
    out("## 2. Share of characters on the exact cluster path, whole corpora")
    rows2 = []
    whole = [
        ("zh-classic-novels", novels_all),
        ("aozora-pd-ja", aozora),
        ("en-gutenberg", gutenberg),
    ]
    for extra in ("zh-cmrc2018-wiki", "ja-jglue"):
        if common.CORPORA.joinpath(common.CORPUS_FILES[extra][0]).is_file():
            whole.append((extra, [t for _, t in common.load_texts(extra)]))
    if args.quick:
        whole = [(n, common.take_chars(ts, 100_000)) for n, ts in whole]
    for name, texts in whole:
        ne, n = exact_share(texts)
        rows2.append([name, f"{len(texts)}", f"{n:,}", f"{ne:,}", f"{ne / n:.5%}"])
    tab2 = common.table(["corpus", "docs", "chars", "exact chars", "exact share"], rows2)
    out(tab2)

    # ---- 3. batch vs per document ------------------------------------------------------------
    out("")
    out("## 3. normalize_batch vs one normalize call per document")
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
        t_docb, _ = common.cpu_time(lambda texts=texts: [normalize_batch([t]) for t in texts])
        t_chunk, _ = common.cpu_time(
            lambda texts=texts: [
                normalize_batch(texts[i : i + CHUNK_DOCS]) for i in range(0, len(texts), CHUNK_DOCS)
            ]
        )
        t_all, _ = common.cpu_time(lambda texts=texts: normalize_batch(texts))
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
                    common.fmt_rate(common.rate(n, secs)),
                    f"{t_doc / secs:.2f}x",
                ]
            )
            label = ""
    tab3 = common.table(
        ["corpus", "how", "calls", "chars/s", "speed vs per-document normalize"],
        rows3,
        align="llrrr",
    )
    out(tab3)
    short = "床前明月光，疑是地上霜。"
    t_short, _ = common.cpu_time(lambda: [textprint.normalize(short) for _ in range(2000)])
    t_ref_short = float("nan")
    if ref_fn is not None:
        t_ref_short, _ = common.cpu_time(lambda: [ref_fn(short) for _ in range(2000)])
    us_call, us_ref_call = t_short / 2000 * 1e6, t_ref_short / 2000 * 1e6
    overhead = (
        f"Cost of one call on a 12-character line: normalize {us_call:.0f} us, "
        f'normalize_reference {us_ref_call:.0f} us. The "normalize(t) per document" rows are '
        "the timings of table 1."
    )
    out(overhead)
    load_end = os.getloadavg()[0]
    out(f"load average: {load_start:.1f} at the start, {load_end:.1f} at the end")
    out(
        "normalize also builds the str and the read-only span arrays; normalize_batch returns "
        "flat arrays only."
    )

    # ---- plot -------------------------------------------------------------------------------
    png = None
    if args.out is not None:
        plt = common.plt()
        fig, ax = plt.subplots(figsize=(9, 4.2))
        labels = [r[0].split(" (")[0] for r in rows]
        fast_v = [fv for fv, _ in speeds]
        ref_v = [rv for _, rv in speeds]
        x = np.arange(len(rows))
        ax.bar(x - 0.2, fast_v, 0.4, label="textprint.normalize (fast)")
        if ref_fn:
            ax.bar(x + 0.2, ref_v, 0.4, label="normalize_reference")
            for xi, fv, rv in zip(x, fast_v, ref_v):
                ax.text(xi, max(fv, rv) * 1.15, f"{fv / rv:.1f}x", ha="center", fontsize=8)
        ax.set_xticks(x, labels, rotation=20, ha="right", fontsize=8)
        ax.set_yscale("log")
        ax.set_ylabel("characters / CPU second (log)")
        ax.set_title("normalize: fast path vs exact reference")
        ax.legend()
        fig.tight_layout()
        png = args.out.parent / "normalize_speed.png"
        fig.savefig(png, dpi=110)
        plt.close(fig)

    # ---- markdown body ---------------------------------------------------------------------
    md.append(f"## Headline: {sets[0][0]}\n")
    if ref_fn is not None:
        verdict = (
            "meets the goal"
            if headline["ratio"] >= GOAL
            else "meets the floor, not the goal"
            if headline["ratio"] >= FLOOR
            else "BELOW the 5x floor"
        )
        md.append(
            f"- `textprint.normalize`: **{common.fmt_rate(headline['fast'])}chars/s**; "
            f"`normalize_reference`: **{common.fmt_rate(headline['ref'])}chars/s**; "
            f"ratio **{headline['ratio']:.1f}x** ({verdict}; floor {FLOOR:.0f}x, goal "
            f"{GOAL:.0f}x)."
        )
    else:
        md.append(
            f"- `textprint.normalize`: **{common.fmt_rate(headline['fast'])}chars/s**; the "
            "reference (`tests/reference.py`) was not available for this run."
        )
    md.append(
        f"- Share of characters on the exact cluster path: {headline['share']:.4%} "
        "(table 2 for the other corpora)."
    )
    if ref_fn is not None:
        below = [r for r in rows if r[6] != "-" and float(r[6][:-1]) < FLOOR]
        if below:
            why = []
            for r in below:
                n_docs, n_chars = int(r[2]), int(r[3].replace(",", ""))
                share = float(r[8].rstrip("%"))
                if share >= 1.0:
                    why.append(f"{r[0]} ({r[6]}): {r[8]} of its characters take the exact path")
                else:
                    why.append(
                        f"{r[0]} ({r[6]}): {n_chars // n_docs:,} characters per document, "
                        f"against a fixed cost of about {us_call:.0f} us per `normalize` call "
                        f"(section 3)"
                    )
            md.append(
                "- Below the 5x floor: "
                + "; ".join(why)
                + ". Short texts should go through the batch path (`normalize_batch`, or "
                "`MinHasher.signatures` and `fingerprints`, which batch for you): section 3."
            )
        bad = sum(int(r[10].split("/")[0]) for r in rows if r[10] != "-")
        md.append(
            f"- Agreement with the reference: {bad} mismatched documents over all "
            f"{sum(int(r[2]) for r in rows):,} documents timed (text and spans)."
        )
    md.append("")
    md.append(
        f"The machine has 2 cores shared with other jobs (load average {load_start:.1f} when "
        f"this run started, {load_end:.1f} when it ended): CPU time leaves out the time spent "
        "waiting, but not the slowdown of shared caches, so small differences are noise.\n"
    )
    md.append("## 1. Fast path vs reference, per corpus\n")
    md.append(tab1 + "\n")
    if mismatch_notes:
        md.append("First mismatches:\n")
        md.extend(f"- {m}" for m in mismatch_notes)
        md.append("")
    md.append("## 2. Exact cluster path share, whole corpora\n")
    md.append(tab2 + "\n")
    md.append("## 3. Batch vs per-document\n")
    md.append(tab3 + "\n")
    md.append(overhead + "\n")
    if png is not None:
        md.append(f"![normalize speed]({png.name})\n")
    return out.text, "\n".join(md)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.add_common_args(parser)
    args = parser.parse_args(argv)
    if args.out is None and not args.quick:
        args.out = common.DOCS / "normalize.md"
    t0 = time.perf_counter()
    info = common.machine_info()
    output, body = run(args, info)
    if args.out is not None:
        end = common.machine_info()
        if end["textprint"] != info["textprint"]:
            body += (
                f"\n**textprint changed during this run**: it started with {info['textprint']} "
                f"and ended with {end['textprint']}.\n"
            )
        common.write_markdown(
            args.out,
            title="Benchmark: normalization (fast path vs reference)",
            command="python benchmarks/bench_normalize.py" + (" --quick" if args.quick else ""),
            info=info,
            body=body,
            output=output,
            runtime=time.perf_counter() - t0,
        )
        print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
