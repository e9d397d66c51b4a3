"""The checks and diagnostics of the MinHash benchmark (a part of bench_minhash).

- `check_datasketch_scheme`: ``scheme="datasketch"`` against datasketch itself;
- `jaccard_check`: estimated against exact Jaccard for textprint, rensa and datasketch;
- `kernel_time`: the batch path's user and system time in a fresh process, with glibc's
  defaults and with glibc told to keep freed memory.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np

import textprint as tp
from benchmarks import harness as H  # noqa: N812

N_HASHES, K, MAX_LEN = 128, 5, 3000
JACCARD_HEADERS = [
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


def peer_view(docs: Sequence[str]) -> list[str]:
    """What the peers get: NFKC + lower-case text (prepared outside the timed region)."""
    import unicodedata

    return [unicodedata.normalize("NFKC", d).lower() for d in docs]


def grams(d: str) -> list[str]:
    return [d[i : i + K] for i in range(len(d) - K + 1)]


def run_rensa_objects(norm: Sequence[str]) -> list[Any]:
    """rensa's MinHash objects of character 5-grams (for the Jaccard check; not timed)."""
    from rensa import RMinHash

    out = []
    for d in norm:
        m = RMinHash(num_perm=N_HASHES, seed=0)
        m.update(grams(d))
        out.append(m)
    return out


def check_datasketch_scheme(docs: Sequence[str], n_sample: int, log: H.Log) -> list[str]:
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
    log(
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


def jaccard_check(
    texts: dict[str, str], n_pairs: int, log: H.Log
) -> tuple[list[list[object]], dict[str, tuple[list[float], list[float]]]]:
    """Estimated vs exact Jaccard for the three tools; returns the table rows and the points
    (exact, estimated) per tool."""
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
    log(H.table(JACCARD_HEADERS, rows, align="ll" + "r" * 7))
    return rows, points


def kernel_child(payload: dict[str, Any]) -> list[list[float]]:
    """In a fresh process: user and system seconds and minor faults of 5 signatures() calls."""
    import resource

    docs, chunk = payload["docs"], payload["chunk"]
    kw = {} if chunk is None else {"chunk_chars": chunk}
    mh = tp.MinHasher(n_hashes=N_HASHES)
    mh.signatures(docs[:2])
    out = []
    for _ in range(5):
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        mh.signatures(docs, **kw)
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        out.append(
            [r1.ru_utime - r0.ru_utime, r1.ru_stime - r0.ru_stime, r1.ru_minflt - r0.ru_minflt]
        )
    return out


def kernel_time(docs: Sequence[str], log: H.Log, chunk: int | None) -> str:
    """User and system time of the batch path, with glibc's defaults and with glibc told to keep
    freed memory (so that large temporaries do not come back as fresh, faulting pages)."""

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
        env = dict(extra)
        runs = H.run_child(
            "benchmarks.minhash_checks:kernel_child", {"docs": list(docs), "chunk": chunk}, env=env
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
    tab = H.table(
        ["allocator", "user s (min / median)", "system s (min / median / max)", "minor faults"],
        rows,
        align="lrrr",
    )
    log(
        f"kernel time of MinHasher.signatures on novels ({len(docs)} documents), 5 calls in a "
        "fresh process per allocator setting:"
    )
    log(tab)
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
    log(sentence.strip())
    return tab + sentence
