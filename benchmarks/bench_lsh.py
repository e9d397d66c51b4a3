"""Benchmark: MinHash LSH build and query, textprint against datasketch and rensa.

Protocol:

- Documents: the ``text`` of every
  zh-chinese-poetry poem joined with newlines and cut into documents of 300-3,000 characters
  (lengths log-uniform, ``random.Random(0)``; the same cut as bench_minhash.py and
  bench_winnowing.py). The poetry gives about 2,150 documents; the rest of the 20,000 are
  GENERATED: windows of the same length distribution at random places in zh-classic-novels
  chapters, with 0-4% of their characters substituted, inserted or deleted
  (``random.Random(1)``). Overlapping windows make real near-duplicate pairs.
- Signatures are computed BEFORE the timed region (their cost is reported separately):

  - textprint: ``tp.MinHasher(n_hashes=128).signatures(docs)`` (one-permutation hashing, k=5
    character shingles of the normalized text).
  - datasketch: ``MinHash(num_perm=128, hashvalues=row)`` objects holding the SAME values as
    textprint's signatures, so both LSH indexes see identical input and their candidate sets
    must be identical (checked). datasketch's own signature speed (``MinHash.bulk`` on
    character 5-grams of NFKC + lower-cased text) is measured on a sample.
  - rensa: ``RMinHash.from_token_sets`` of the character 5-grams of NFKC + lower-cased text
    (rensa has no way to take ready-made values), seed 0.

- Timed (CPU time, ``time.process_time``, best of 3; every thread of this process counts):

  - textprint: ``idx = tp.LSHIndex.for_threshold(0.8, n_hashes=128)`` (its banding
    derivation is cached per arguments after the first call; the first call is timed apart),
    ``idx.add(range(n), sigs)``, ``idx.query_many(sigs)`` (its matches are verified: estimated
    Jaccard >= 0.8);
  - datasketch: ``MinHashLSH(threshold=0.8, num_perm=128, params=(b, r))`` (the banding it
    derives, passed in so that its derivation is timed apart), ``insertion_session`` inserts,
    one ``query`` per document (candidates, not verified);
  - rensa: ``RMinHashLSH(threshold=0.8, num_perm=128, num_bands=16)``, ``insert_many``,
    ``query_all`` (candidates, not verified). rensa takes ``num_bands`` as given (16: rows of 8,
    a lower effective threshold than the 9 x 13 banding textprint and datasketch derive; rensa
    refuses 9 bands, as 128 is not a multiple of 9), so a second rensa row uses 8 bands x 16.

- Agreement: textprint's candidates (``query_many(threshold=0)``) against datasketch's on the
  same signatures (must be equal); textprint's verified matches against datasketch's
  candidates and rensa's; the exact Jaccard (``tp.compare(a, b).jaccard``) of a sample of the
  pairs on which they differ.
- ``tp.dedup`` on the same signatures (best of 3) and from the texts (once), with its clusters
  checked against the verified query pairs; and on a corpus where half the documents are exact
  copies of others, from the texts (each distinct text signed once) against signing every copy.

    python -m benchmarks.bench_lsh            # 20,000 documents, writes docs/benchmarks/lsh.md
    python -m benchmarks.bench_lsh --quick    # 3,000 documents, prints only
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as a file

import textprint as tp
from benchmarks import harness as H  # noqa: N812
from benchmarks.textgen import slices
from textprint import _banding

THRESHOLD, N_HASHES, K = 0.8, 128, 5
N_DOCS, N_DOCS_QUICK = 20_000, 3_000
RENSA_BANDS = 16
#: rensa needs num_perm % num_bands == 0: 9 bands (textprint's and datasketch's) is refused
RENSA_BANDS_ALT = 8
MAX_EDIT_RATE = 0.04
DS_SAMPLE = 1000
SIG_HEADERS = ["signatures of all documents", "CPU s", "docs/s"]
LSH_HEADERS = ["LSH", "speed-up of textprint", "CPU s", "docs/s", "results (incl. self)"]
PAIR_HEADERS = ["pair sets (unordered, no self)", "pairs", "overlap with textprint verified"]
EXACT_HEADERS = ["pairs found by", "pairs", "sampled", "mean J", "median J", "J >= 0.8", "J >= 0.7"]


# ---------------------------------------------------------------------------------------------
# Documents and the timed calls


def peer_grams(d: str) -> list[str]:
    """What rensa and datasketch get: character 5-grams of NFKC + lower-cased text."""
    v = unicodedata.normalize("NFKC", d).lower()
    return [v[i : i + K] for i in range(len(v) - K + 1)]


# ---------------------------------------------------------------------------------------------
# The timed calls


def run_textprint(sigs: tp.Signatures) -> list[list[tp.Match]]:
    idx = tp.LSHIndex.for_threshold(THRESHOLD, n_hashes=N_HASHES)
    idx.add(list(range(len(sigs))), sigs)
    return idx.query_many(sigs)


def uncached_for_threshold() -> tp.LSHIndex:
    """`for_threshold` as on a first call: the banding derivation is cached per arguments."""
    _banding._optimal_bands.cache_clear()
    _banding._gauss_legendre.cache_clear()
    return tp.LSHIndex.for_threshold(THRESHOLD, n_hashes=N_HASHES)


def run_datasketch(mhs: Sequence[Any], params: tuple[int, int] | None = None) -> list[list[int]]:
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=N_HASHES, params=params)
    with lsh.insertion_session() as session:
        for i, m in enumerate(mhs):
            session.insert(i, m, check_duplication=False)
    return [lsh.query(m) for m in mhs]


def run_rensa(rmhs: Sequence[Any], bands: int) -> list[list[int]]:
    from rensa import RMinHashLSH

    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=N_HASHES, num_bands=bands)
    lsh.insert_many(rmhs)
    out: list[list[int]] = lsh.query_all(rmhs)
    return out


# ---------------------------------------------------------------------------------------------


def pairs_of(results: Sequence[Sequence[int]]) -> set[tuple[int, int]]:
    """Unordered pairs (i < j) from per-query key lists, self matches dropped."""
    out: set[tuple[int, int]] = set()
    for i, keys in enumerate(results):
        for j in keys:
            j = int(j)
            if j != i:
                out.add((min(i, j), max(i, j)))
    return out


def overlap(a: set[Any], b: set[Any]) -> str:
    u = len(a | b)
    return f"{len(a & b)}/{u} ({len(a & b) / u:.4f})" if u else "0/0"


def measure(args: argparse.Namespace, log: H.Log) -> dict[str, Any]:
    import datasketch
    import rensa
    from datasketch import LeanMinHash, MinHash

    H.require_corpora("zh-chinese-poetry", "zh-classic-novels")
    n_docs = N_DOCS_QUICK if args.quick else N_DOCS
    t0 = time.process_time()
    docs = slices.cut_log_uniform(slices.joined("zh-chinese-poetry"))
    n_poetry = min(len(docs), n_docs)
    docs = docs[:n_poetry]
    n_gen = n_docs - n_poetry
    chapters = [str(r["text"]) for r in H.iter_docs("zh-classic-novels")]
    docs += slices.edited_windows(chapters, n_gen, max_edit_rate=MAX_EDIT_RATE)
    lens = np.array([len(d) for d in docs])
    log(
        f"{len(docs)} documents: {n_poetry} cut from zh-chinese-poetry (all of it) and {n_gen} "
        f"GENERATED (zh-classic-novels windows with 0-{MAX_EDIT_RATE:.0%} random character "
        f"edits), {lens.sum() / 1e6:.1f} M characters, median {int(np.median(lens))} "
        f"({time.process_time() - t0:.1f} s to make)"
    )
    log(
        f"datasketch {H.package_version('datasketch')}, rensa {H.package_version('rensa')}, "
        f"textprint {tp.__version__}"
    )
    del datasketch, rensa

    # -- signatures (not in the LSH timing) ------------------------------------------------
    mh = tp.MinHasher(n_hashes=N_HASHES, k=K)
    mh.signatures(docs[:50])  # warm up the tables
    t_sig_tp, sigs = H.cpu_time(lambda: mh.signatures(docs), repeat=1)
    t0 = time.process_time()
    # LeanMinHash: no permutations to draw; the scheme is only a label datasketch checks for
    # consistency across one index (the values are textprint's 64-bit OPH values)
    mhs = [LeanMinHash(seed=0, hashvalues=row, scheme="affine64") for row in sigs.values]
    t_ds_obj = time.process_time() - t0
    sample = docs[:: max(1, len(docs) // DS_SAMPLE)][:DS_SAMPLE]
    t0 = time.process_time()
    grams_sample = [[g.encode("utf-8") for g in peer_grams(d)] for d in sample]
    t_prep_sample = time.process_time() - t0
    t_sig_ds, _ = H.cpu_time(
        lambda: MinHash.bulk(grams_sample, num_perm=N_HASHES, seed=0), repeat=1
    )
    from rensa import RMinHash

    t0 = time.process_time()
    peer_input = [peer_grams(d) for d in docs]
    t_prep = time.process_time() - t0
    t_sig_rensa, rmhs = H.cpu_time(
        lambda: RMinHash.from_token_sets(peer_input, N_HASHES, 0), repeat=1
    )
    peer_input = []  # free the memory
    scale = len(docs) / len(sample)
    log("")
    log("## Signatures (not part of the LSH timing)")
    log("")
    sig_rows = [
        [
            "textprint MinHasher.signatures (from raw text)",
            f"{t_sig_tp:.2f}",
            H.fmt_rate(len(docs) / t_sig_tp),
        ],
        [
            f"datasketch MinHash.bulk (measured on {len(sample)} docs, scaled)",
            f"{t_sig_ds * scale:.2f}",
            H.fmt_rate(len(sample) / t_sig_ds),
        ],
        [
            "rensa RMinHash.from_token_sets",
            f"{t_sig_rensa:.2f}",
            H.fmt_rate(len(docs) / t_sig_rensa),
        ],
        [
            "(peers' input: NFKC + lower + 5-grams)",
            f"{t_prep:.2f}",
            H.fmt_rate(len(docs) / t_prep),
        ],
        [
            "(datasketch MinHash objects from textprint's values)",
            f"{t_ds_obj:.2f}",
            H.fmt_rate(len(docs) / t_ds_obj),
        ],
    ]
    log(H.table(SIG_HEADERS, sig_rows))
    del t_prep_sample

    # -- LSH build + query -----------------------------------------------------------------
    idx0 = tp.LSHIndex.for_threshold(THRESHOLD, n_hashes=N_HASHES)
    from datasketch import MinHashLSH

    ds0 = MinHashLSH(threshold=THRESHOLD, num_perm=N_HASHES)
    ds_params = (ds0.b, ds0.r)
    log("")
    log(
        f"banding: textprint {idx0.bands} x {idx0.rows}, datasketch {ds0.b} x {ds0.r}, "
        f"rensa {RENSA_BANDS} x {N_HASHES // RENSA_BANDS} "
        f"(and {RENSA_BANDS_ALT} x {N_HASHES // RENSA_BANDS_ALT})"
    )
    t_ctor_tp, _ = H.cpu_time(uncached_for_threshold)
    t_ctor_ds, _ = H.cpu_time(lambda: MinHashLSH(threshold=THRESHOLD, num_perm=N_HASHES))
    run_textprint(sigs)  # warm-up
    t_tp, res_tp = H.cpu_time(lambda: run_textprint(sigs))
    t_ds, res_ds = H.cpu_time(lambda: run_datasketch(mhs, ds_params))
    t_rn, res_rn = H.cpu_time(lambda: run_rensa(rmhs, RENSA_BANDS))
    t_rn9, res_rn9 = H.cpu_time(lambda: run_rensa(rmhs, RENSA_BANDS_ALT))
    r_ds, r_rn = t_ds / t_tp, t_rn / t_tp
    log("")
    log(f"## LSH build + query of all {len(docs)} documents (CPU s, best of 3)")
    log("")
    n_tp = sum(len(r) for r in res_tp)
    rows = [
        [
            "textprint LSHIndex add + query_many (verified)",
            "1.0",
            f"{t_tp:.3f}",
            H.fmt_rate(len(docs) / t_tp),
            n_tp,
        ],
        [
            "datasketch MinHashLSH insert + query",
            f"{r_ds:.1f}",
            f"{t_ds:.3f}",
            H.fmt_rate(len(docs) / t_ds),
            sum(len(r) for r in res_ds),
        ],
        [
            f"rensa RMinHashLSH insert_many + query_all ({RENSA_BANDS} bands)",
            f"{r_rn:.1f}",
            f"{t_rn:.3f}",
            H.fmt_rate(len(docs) / t_rn),
            sum(len(r) for r in res_rn),
        ],
        [
            f"rensa RMinHashLSH insert_many + query_all ({RENSA_BANDS_ALT} bands)",
            f"{t_rn9 / t_tp:.1f}",
            f"{t_rn9:.3f}",
            H.fmt_rate(len(docs) / t_rn9),
            sum(len(r) for r in res_rn9),
        ],
    ]
    log(H.table(LSH_HEADERS, rows))
    log("")
    banding = (
        f"banding derivation, measured apart: textprint for_threshold {1000 * t_ctor_tp:.2f} ms "
        f"on a first call (then cached per arguments, so about 0 in the timed runs above), "
        f"datasketch MinHashLSH(threshold=...) {1000 * t_ctor_ds:.2f} ms (the timed datasketch "
        f"runs pass the banding as params=, skipping it)"
    )
    log(banding)
    # -- agreement -------------------------------------------------------------------------
    idx = tp.LSHIndex.for_threshold(THRESHOLD, n_hashes=N_HASHES)
    idx.add(list(range(len(docs))), sigs)
    cand_tp = idx.query_many(sigs, threshold=0.0)
    same = sum({int(m.key) for m in a} == {int(k) for k in b} for a, b in zip(cand_tp, res_ds))
    p_tp = pairs_of([[int(m.key) for m in r] for r in res_tp])
    p_tp_cand = pairs_of([[int(m.key) for m in r] for r in cand_tp])
    p_ds = pairs_of(res_ds)
    p_ds_ver = {(i, j) for i, j in p_ds if mhs[i].jaccard(mhs[j]) >= THRESHOLD - 1e-12}
    p_rn = pairs_of(res_rn)
    p_rn9 = pairs_of(res_rn9)
    log("")
    log("## Agreement")
    log("")
    log(
        f"textprint candidates (query_many threshold=0) equal to datasketch's on the same "
        f"signatures: {same}/{len(docs)} documents"
    )
    pair_rows = [
        ["textprint query_many (verified, est. J >= 0.8)", len(p_tp), overlap(p_tp, p_tp)],
        ["textprint candidates (threshold=0)", len(p_tp_cand), overlap(p_tp, p_tp_cand)],
        ["datasketch candidates", len(p_ds), overlap(p_tp, p_ds)],
        [
            "datasketch candidates with est. J >= 0.8",
            len(p_ds_ver),
            overlap(p_tp, p_ds_ver),
        ],
        ["rensa candidates (16 bands, own signatures)", len(p_rn), overlap(p_tp, p_rn)],
        [
            f"rensa candidates ({RENSA_BANDS_ALT} bands, own signatures)",
            len(p_rn9),
            overlap(p_tp, p_rn9),
        ],
    ]
    log(H.table(PAIR_HEADERS, pair_rows))
    # exact Jaccard where textprint and rensa disagree
    rng = random.Random(2)
    only_rn = sorted(p_rn9 - p_tp)
    only_tp = sorted(p_tp - p_rn9)
    both = sorted(p_tp & p_rn9)
    exact_rows = []
    for name, ps in (
        ("both", both),
        ("textprint only", only_tp),
        (f"rensa ({RENSA_BANDS_ALT} bands) only", only_rn),
    ):
        pick = rng.sample(ps, min(150, len(ps)))
        ex = [tp.compare(docs[i], docs[j]).jaccard for i, j in pick]
        if ex:
            ex_a = np.array(ex)
            exact_rows.append(
                [
                    name,
                    len(ps),
                    len(pick),
                    f"{ex_a.mean():.3f}",
                    f"{np.median(ex_a):.3f}",
                    f"{(ex_a >= THRESHOLD).mean():.3f}",
                    f"{(ex_a >= THRESHOLD - 0.1).mean():.3f}",
                ]
            )
    log("")
    log("Exact Jaccard (tp.compare(a, b).jaccard, textprint's shingles) of sampled pairs:")
    log(H.table(EXACT_HEADERS, exact_rows))

    # -- dedup -----------------------------------------------------------------------------
    t_dd, (labels, stats) = H.cpu_time(
        lambda: tp.dedup(sigs, threshold=THRESHOLD, return_stats=True)
    )
    t_dd_text, labels_text = H.cpu_time(lambda: tp.dedup(docs, threshold=THRESHOLD), repeat=1)
    split = sum(labels[i] != labels[j] for i, j in p_tp)
    log("")
    log("## Dedup")
    log("")
    dedup_rows = [
        ["from signatures (best of 3)", f"{t_dd:.3f}", H.fmt_rate(len(docs) / t_dd)],
        [
            "from texts (signatures included, once)",
            f"{t_dd_text:.2f}",
            H.fmt_rate(len(docs) / t_dd_text),
        ],
    ]
    log(H.table(["tp.dedup", "CPU s", "docs/s"], dedup_rows))
    log("")
    dedup_note = (
        f"{stats.n_clusters} clusters ({len(docs) - stats.n_clusters} documents merged into "
        f"another's cluster), {stats.n_candidate_pairs} candidate pairs, "
        f"{stats.n_verified_pairs} verified, {stats.n_skipped_buckets} oversize buckets skipped; "
        f"labels from texts equal labels from signatures: "
        f"{bool(np.array_equal(labels, labels_text))}; verified query_many pairs whose "
        f"documents dedup put in different clusters: {split}/{len(p_tp)}"
    )
    log(dedup_note)
    if split:
        for i, j in [(i, j) for i, j in sorted(p_tp) if labels[i] != labels[j]][:3]:
            est = float(tp.jaccard(sigs.values[i], sigs.values[j]))
            log(f"- docs {i} and {j}: estimated J {est:.3f}, labels {labels[i]} / {labels[j]}")

    copies = exact_copies(docs, log)
    return {
        "n_docs": len(docs),
        "n_poetry": n_poetry,
        "n_gen": n_gen,
        "signatures": sig_rows,
        "lsh": rows,
        "times": {
            "textprint": t_tp,
            "datasketch": t_ds,
            f"rensa ({RENSA_BANDS} bands)": t_rn,
            f"rensa ({RENSA_BANDS_ALT} bands)": t_rn9,
        },
        "banding": banding,
        "same_candidates": same,
        "pairs": pair_rows,
        "exact": exact_rows,
        "dedup": dedup_rows,
        "dedup_note": dedup_note,
        "copies": copies,
    }


def exact_copies(docs: list[str], log: H.Log) -> dict[str, Any]:
    """dedup of a corpus where half the documents are exact copies of others: from the texts
    (each distinct text signed once, xxhash keys) against signing every document."""
    rng = random.Random(3)
    corpus = docs + [rng.choice(docs) for _ in range(len(docs))]
    rng.shuffle(corpus)
    mh = tp.MinHasher(n_hashes=N_HASHES, k=K)
    t = H.interleaved(
        {
            "dedup(texts)": lambda: tp.dedup(corpus, threshold=THRESHOLD),
            "dedup(signatures(texts))": lambda: tp.dedup(
                mh.signatures(corpus), threshold=THRESHOLD
            ),
        },
        3,
    )
    same = bool(np.array_equal(t.results["dedup(texts)"], t.results["dedup(signatures(texts))"]))
    log(
        f"exact copies: {len(corpus)} documents, half of them copies; dedup(texts) "
        f"{t.best['dedup(texts)']:.2f} s, dedup(signatures(texts)) "
        f"{t.best['dedup(signatures(texts))']:.2f} s; same labels: {same}"
    )
    return {"n": len(corpus), "best": t.best, "same": same}


def render(res: dict[str, Any]) -> H.Page:
    times = res["times"]
    t_tp = times["textprint"]
    c = res["copies"]
    n = res["n_docs"]
    return H.Page(
        title="Benchmark: MinHash LSH (textprint, datasketch, rensa)",
        command="python -m benchmarks.bench_lsh",
        summary=[
            f"LSH build and query of {n:,} documents (signatures given): textprint's speed-up is "
            f"**{times['datasketch'] / t_tp:.1f}x** over datasketch's MinHashLSH and "
            f"**{times[f'rensa ({RENSA_BANDS} bands)'] / t_tp:.1f}x** over rensa's RMinHashLSH "
            f"({t_tp:.3f} CPU s); textprint's candidates equal datasketch's on the same "
            f"signatures for {res['same_candidates']:,}/{n:,} documents.",
            f"`tp.dedup` of {c['n']:,} texts half of which are exact copies: "
            f"{c['best']['dedup(signatures(texts))'] / c['best']['dedup(texts)']:.2f}x faster "
            "from the texts (each distinct text signed once) than signing every copy, same "
            "clusters" + ("" if c["same"] else " (**labels differ**)") + ".",
        ],
        tables=[
            H.Table(LSH_HEADERS, res["lsh"], title="LSH build + query (CPU s, best of 3)"),
            H.Table(
                ["tp.dedup", "CPU s", "docs/s"],
                res["dedup"],
                title="Dedup",
                note=res["dedup_note"],
            ),
            H.Table(
                ["tp.dedup with exact copies", "CPU s"],
                [[k, f"{v:.2f}"] for k, v in c["best"].items()],
                title=f"Dedup of {c['n']:,} documents, half of them exact copies",
            ),
        ],
        protocol=__doc__.split("Protocol:", 1)[1].split("    python -m", 1)[0]
        + "\n"
        + H.corpora_note("zh-chinese-poetry", "zh-classic-novels")
        + "\n\n"
        + res["banding"],
        sections=[
            (
                "Agreement",
                H.table(PAIR_HEADERS, res["pairs"])
                + "\n\nExact Jaccard (`tp.compare(a, b).jaccard`) of sampled pairs:\n\n"
                + H.table(EXACT_HEADERS, res["exact"]),
            ),
            ("Signatures (not part of the LSH timing)", H.table(SIG_HEADERS, res["signatures"])),
        ],
    )


def plots(res: dict[str, Any], folder: Path) -> list[H.Plot]:
    times = res["times"]
    plt = H.plt()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    names = list(times)
    ax.barh(names, [times[k] for k in names])
    ax.set_xscale("log")
    ax.set_xlabel(f"CPU seconds, LSH build + query of {res['n_docs']} documents (log scale)")
    for i, k in enumerate(names):
        ax.text(times[k], i, f" {times[k]:.3f} s", va="center", fontsize=8)
    ax.invert_yaxis()
    H.save_figure(fig, folder / "lsh_times.png")
    return [H.Plot("lsh_times.png", "LSH build + query CPU time (log scale)")]


if __name__ == "__main__":
    H.main("lsh", __doc__, measure, render, plots)
