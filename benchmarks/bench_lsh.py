"""Benchmark: MinHash LSH build and query, textprint against datasketch and rensa.

Protocol:

- Documents (read from ../shared/corpora, never copied): the ``text`` of every
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

  Floors: >= 15x datasketch (goal 25x), >= 1x rensa (goal 2x).
- Agreement: textprint's candidates (``query_many(threshold=0)``) against datasketch's on the
  same signatures (must be equal); textprint's verified matches against datasketch's
  candidates and rensa's; the exact Jaccard (``tp.compare(a, b).jaccard``) of a sample of the
  pairs on which they differ.
- ``tp.dedup`` on the same signatures (best of 3) and from the texts (once), with its clusters
  checked against the verified query pairs.

    python benchmarks/bench_lsh.py            # 20,000 documents, writes docs/benchmarks/lsh.md
    python benchmarks/bench_lsh.py --quick    # 3,000 documents, prints only
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: N812
import textprint as tp
import textprint.lsh as tp_lsh

THRESHOLD, N_HASHES, K = 0.8, 128, 5
MIN_LEN, MAX_LEN = 300, 3000
N_DOCS, N_DOCS_QUICK = 20_000, 3_000
RENSA_BANDS = 16
#: rensa needs num_perm % num_bands == 0: 9 bands (textprint's and datasketch's) is refused
RENSA_BANDS_ALT = 8
FLOOR_DS, GOAL_DS = 15.0, 25.0
FLOOR_RENSA, GOAL_RENSA = 1.0, 2.0
MAX_EDIT_RATE = 0.04
DS_SAMPLE = 1000


# ---------------------------------------------------------------------------------------------
# Documents


def _length(rng: random.Random) -> int:
    return round(math.exp(rng.uniform(math.log(MIN_LEN), math.log(MAX_LEN))))


def poetry_docs() -> list[str]:
    """The poetry-cut corpus (as in bench_minhash.py and bench_winnowing.py)."""
    text = "\n".join(str(r["text"]) for r in C.iter_docs("zh-chinese-poetry"))
    rng = random.Random(0)
    docs: list[str] = []
    pos = 0
    while pos < len(text):
        n = _length(rng)
        docs.append(text[pos : pos + n])
        pos += n
    return docs


def edited_windows(n: int) -> list[str]:
    """`n` generated documents: novel windows with 0-4% random character edits."""
    rng = random.Random(1)
    chapters = [str(r["text"]) for r in C.iter_docs("zh-classic-novels")]
    weights = [len(c) for c in chapters]
    vocab = sorted({ch for c in chapters[:40] for ch in c if ch.isalnum()})
    out: list[str] = []
    for _ in range(n):
        text = rng.choices(chapters, weights=weights)[0]
        length = min(_length(rng), len(text))
        start = rng.randrange(len(text) - length + 1)
        w = text[start : start + length]
        m = int(len(w) * rng.uniform(0, MAX_EDIT_RATE))
        if m:
            parts: list[str] = []
            last = 0
            for p in sorted(rng.sample(range(len(w)), m)):
                parts.append(w[last:p])
                op = rng.randrange(3)
                if op == 0:  # substitute
                    parts.append(rng.choice(vocab))
                    last = p + 1
                elif op == 1:  # insert
                    parts.append(rng.choice(vocab))
                    last = p
                else:  # delete
                    last = p + 1
            parts.append(w[last:])
            w = "".join(parts)
        out.append(w)
    return out


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
    tp_lsh._optimal_bands.cache_clear()
    tp_lsh._gauss_legendre.cache_clear()
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


def run(args: argparse.Namespace) -> tuple[str, str]:
    import datasketch
    import rensa
    from datasketch import LeanMinHash, MinHash

    rep = C.Report()
    n_docs = N_DOCS_QUICK if args.quick else N_DOCS
    t0 = time.process_time()
    docs = poetry_docs()
    n_poetry = min(len(docs), n_docs)
    docs = docs[:n_poetry]
    n_gen = n_docs - n_poetry
    docs += edited_windows(n_gen)
    lens = np.array([len(d) for d in docs])
    rep(
        f"{len(docs)} documents: {n_poetry} cut from zh-chinese-poetry (all of it) and {n_gen} "
        f"GENERATED (zh-classic-novels windows with 0-{MAX_EDIT_RATE:.0%} random character "
        f"edits), {lens.sum() / 1e6:.1f} M characters, median {int(np.median(lens))} "
        f"({time.process_time() - t0:.1f} s to make)"
    )
    rep(
        f"datasketch {C.package_version('datasketch')}, rensa {C.package_version('rensa')}, "
        f"textprint {tp.__version__}"
    )
    del datasketch, rensa

    # -- signatures (not in the LSH timing) ------------------------------------------------
    mh = tp.MinHasher(n_hashes=N_HASHES, k=K)
    mh.signatures(docs[:50])  # warm up the tables
    t_sig_tp, sigs = C.cpu_time(lambda: mh.signatures(docs), repeat=1)
    t0 = time.process_time()
    # LeanMinHash: no permutations to draw; the scheme is only a label datasketch checks for
    # consistency across one index (the values are textprint's 64-bit OPH values)
    mhs = [LeanMinHash(seed=0, hashvalues=row, scheme="affine64") for row in sigs.values]
    t_ds_obj = time.process_time() - t0
    sample = docs[:: max(1, len(docs) // DS_SAMPLE)][:DS_SAMPLE]
    t0 = time.process_time()
    grams_sample = [[g.encode("utf-8") for g in peer_grams(d)] for d in sample]
    t_prep_sample = time.process_time() - t0
    t_sig_ds, _ = C.cpu_time(
        lambda: MinHash.bulk(grams_sample, num_perm=N_HASHES, seed=0), repeat=1
    )
    from rensa import RMinHash

    t0 = time.process_time()
    peer_input = [peer_grams(d) for d in docs]
    t_prep = time.process_time() - t0
    t_sig_rensa, rmhs = C.cpu_time(
        lambda: RMinHash.from_token_sets(peer_input, N_HASHES, 0), repeat=1
    )
    peer_input = []  # free the memory
    scale = len(docs) / len(sample)
    rep("")
    rep("## Signatures (not part of the LSH timing)")
    rep("")
    rep(
        C.table(
            ["signatures of all documents", "CPU s", "docs/s"],
            [
                [
                    "textprint MinHasher.signatures (from raw text)",
                    f"{t_sig_tp:.2f}",
                    C.fmt_rate(len(docs) / t_sig_tp),
                ],
                [
                    f"datasketch MinHash.bulk (measured on {len(sample)} docs, scaled)",
                    f"{t_sig_ds * scale:.2f}",
                    C.fmt_rate(len(sample) / t_sig_ds),
                ],
                [
                    "rensa RMinHash.from_token_sets",
                    f"{t_sig_rensa:.2f}",
                    C.fmt_rate(len(docs) / t_sig_rensa),
                ],
                [
                    "(peers' input: NFKC + lower + 5-grams)",
                    f"{t_prep:.2f}",
                    C.fmt_rate(len(docs) / t_prep),
                ],
                [
                    "(datasketch MinHash objects from textprint's values)",
                    f"{t_ds_obj:.2f}",
                    C.fmt_rate(len(docs) / t_ds_obj),
                ],
            ],
        )
    )
    del t_prep_sample

    # -- LSH build + query -----------------------------------------------------------------
    idx0 = tp.LSHIndex.for_threshold(THRESHOLD, n_hashes=N_HASHES)
    from datasketch import MinHashLSH

    ds0 = MinHashLSH(threshold=THRESHOLD, num_perm=N_HASHES)
    ds_params = (ds0.b, ds0.r)
    rep("")
    rep(
        f"banding: textprint {idx0.bands} x {idx0.rows}, datasketch {ds0.b} x {ds0.r}, "
        f"rensa {RENSA_BANDS} x {N_HASHES // RENSA_BANDS} "
        f"(and {RENSA_BANDS_ALT} x {N_HASHES // RENSA_BANDS_ALT})"
    )
    t_ctor_tp, _ = C.cpu_time(uncached_for_threshold)
    t_ctor_ds, _ = C.cpu_time(lambda: MinHashLSH(threshold=THRESHOLD, num_perm=N_HASHES))
    run_textprint(sigs)  # warm-up
    t_tp, res_tp = C.cpu_time(lambda: run_textprint(sigs))
    t_ds, res_ds = C.cpu_time(lambda: run_datasketch(mhs, ds_params))
    t_rn, res_rn = C.cpu_time(lambda: run_rensa(rmhs, RENSA_BANDS))
    t_rn9, res_rn9 = C.cpu_time(lambda: run_rensa(rmhs, RENSA_BANDS_ALT))
    r_ds, r_rn = t_ds / t_tp, t_rn / t_tp
    rep("")
    rep(f"## LSH build + query of all {len(docs)} documents (CPU s, best of 3)")
    rep("")
    n_tp = sum(len(r) for r in res_tp)
    rows = [
        [
            "textprint LSHIndex add + query_many (verified)",
            f"{t_tp:.3f}",
            "1.0",
            C.fmt_rate(len(docs) / t_tp),
            n_tp,
        ],
        [
            "datasketch MinHashLSH insert + query",
            f"{t_ds:.3f}",
            f"{r_ds:.1f}",
            C.fmt_rate(len(docs) / t_ds),
            sum(len(r) for r in res_ds),
        ],
        [
            f"rensa RMinHashLSH insert_many + query_all ({RENSA_BANDS} bands)",
            f"{t_rn:.3f}",
            f"{r_rn:.1f}",
            C.fmt_rate(len(docs) / t_rn),
            sum(len(r) for r in res_rn),
        ],
        [
            f"rensa RMinHashLSH insert_many + query_all ({RENSA_BANDS_ALT} bands)",
            f"{t_rn9:.3f}",
            f"{t_rn9 / t_tp:.1f}",
            C.fmt_rate(len(docs) / t_rn9),
            sum(len(r) for r in res_rn9),
        ],
    ]
    rep(C.table(["LSH", "CPU s", "x textprint", "docs/s", "results (incl. self)"], rows))
    rep("")
    rep(
        f"banding derivation, measured apart: textprint for_threshold {1000 * t_ctor_tp:.2f} ms "
        f"on a first call (then cached per arguments, so about 0 in the timed runs above), "
        f"datasketch MinHashLSH(threshold=...) {1000 * t_ctor_ds:.2f} ms (the timed datasketch "
        f"runs pass the banding as params=, skipping it)"
    )
    verdict = [
        [
            "vs datasketch",
            f"{r_ds:.2f}x",
            f">= {FLOOR_DS:.0f}x",
            f"{GOAL_DS:.0f}x",
            "met" if r_ds >= GOAL_DS else ("floor only" if r_ds >= FLOOR_DS else "MISSED"),
        ],
        [
            "vs rensa (16 bands)",
            f"{r_rn:.2f}x",
            f">= {FLOOR_RENSA:.0f}x",
            f"{GOAL_RENSA:.0f}x",
            "met" if r_rn >= GOAL_RENSA else ("floor only" if r_rn >= FLOOR_RENSA else "MISSED"),
        ],
    ]
    rep("")
    rep(C.table(["textprint speed-up", "measured", "floor", "goal", "verdict"], verdict))

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
    rep("")
    rep("## Agreement")
    rep("")
    rep(
        f"textprint candidates (query_many threshold=0) equal to datasketch's on the same "
        f"signatures: {same}/{len(docs)} documents"
    )
    rep(
        C.table(
            ["pair sets (unordered, no self)", "pairs", "overlap with textprint verified"],
            [
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
            ],
        )
    )
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
    rep("")
    rep("Exact Jaccard (tp.compare(a, b).jaccard, textprint's shingles) of sampled pairs:")
    rep(
        C.table(
            ["pairs found by", "pairs", "sampled", "mean J", "median J", "J >= 0.8", "J >= 0.7"],
            exact_rows,
        )
    )

    # -- dedup -----------------------------------------------------------------------------
    t_dd, (labels, stats) = C.cpu_time(
        lambda: tp.dedup(sigs, threshold=THRESHOLD, return_stats=True)
    )
    t_dd_text, labels_text = C.cpu_time(lambda: tp.dedup(docs, threshold=THRESHOLD), repeat=1)
    split = sum(labels[i] != labels[j] for i, j in p_tp)
    rep("")
    rep("## Dedup")
    rep("")
    rep(
        C.table(
            ["tp.dedup", "CPU s", "docs/s"],
            [
                ["from signatures (best of 3)", f"{t_dd:.3f}", C.fmt_rate(len(docs) / t_dd)],
                [
                    "from texts (signatures included, once)",
                    f"{t_dd_text:.2f}",
                    C.fmt_rate(len(docs) / t_dd_text),
                ],
            ],
        )
    )
    rep("")
    rep(
        f"{stats.n_clusters} clusters ({len(docs) - stats.n_clusters} documents merged into "
        f"another's cluster), {stats.n_candidate_pairs} candidate pairs, "
        f"{stats.n_verified_pairs} verified, {stats.n_skipped_buckets} oversize buckets skipped; "
        f"labels from texts equal labels from signatures: "
        f"{bool(np.array_equal(labels, labels_text))}"
    )
    rep(
        f"verified query_many pairs whose documents dedup put in different clusters: "
        f"{split}/{len(p_tp)}"
    )
    if split:
        ex = [(i, j) for i, j in sorted(p_tp) if labels[i] != labels[j]][:3]
        for i, j in ex:
            est = float(tp.jaccard(sigs.values[i], sigs.values[j]))
            rep(f"- docs {i} and {j}: estimated J {est:.3f}, labels {labels[i]} / {labels[j]}")

    figure = ""
    if args.out is not None:
        figure = plot(
            {
                "textprint": t_tp,
                "datasketch": t_ds,
                f"rensa ({RENSA_BANDS} bands)": t_rn,
                f"rensa ({RENSA_BANDS_ALT} bands)": t_rn9,
            },
            len(docs),
            args.out.parent,
        )
    body = [
        f"Documents: {len(docs)} ({n_poetry} cut from zh-chinese-poetry, {n_gen} generated from "
        "zh-classic-novels windows with random edits; see the script's docstring). CPU time of "
        "LSH build + query of every document, best of 3, signatures precomputed.",
        "",
        C.table(["LSH", "CPU s", "x textprint", "docs/s", "results (incl. self)"], rows),
        "",
        C.table(["textprint speed-up", "measured", "floor", "goal", "verdict"], verdict),
        "",
        f"Agreement: textprint's candidates equal datasketch's on the same signatures for "
        f"{same}/{len(docs)} documents. `tp.dedup` from signatures: {t_dd:.3f} s "
        f"({stats.n_clusters} clusters).",
    ]
    if figure:
        body += ["", f"![LSH build + query CPU time]({figure})"]
    return rep.text, "\n".join(body)


def plot(times: dict[str, float], n: int, folder: Path) -> str:
    plt = C.plt()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    names = list(times)
    ax.barh(names, [times[k] for k in names])
    ax.set_xscale("log")
    ax.set_xlabel(f"CPU seconds, LSH build + query of {n} documents (log scale)")
    for i, k in enumerate(names):
        ax.text(times[k], i, f" {times[k]:.3f} s", va="center", fontsize=8)
    ax.invert_yaxis()
    fig.tight_layout()
    name = "lsh_times.png"
    folder.mkdir(parents=True, exist_ok=True)
    fig.savefig(folder / name, dpi=110)
    plt.close(fig)
    return name


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    C.add_common_args(parser)
    args = parser.parse_args(argv)
    C.require_corpora("zh-chinese-poetry", "zh-classic-novels")
    if args.out is None and not args.quick:
        args.out = C.DOCS / "lsh.md"
    t0 = time.perf_counter()
    output, body = run(args)
    if args.out is not None:
        C.write_markdown(
            args.out,
            title="Benchmark: MinHash LSH (textprint, datasketch, rensa)",
            command="python benchmarks/bench_lsh.py" + (" --quick" if args.quick else ""),
            info=C.machine_info(),
            body=body,
            output=output,
            runtime=time.perf_counter() - t0,
        )
        print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
