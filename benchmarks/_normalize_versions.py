"""normalize's speed at another git revision against this working tree, in one run (helper).

Run ``python -m benchmarks._normalize_versions [REV] [--chars N] [--rounds R]`` from the
repository root: ``git archive REV src/textprint`` is unpacked into a temporary folder, and
per-document ``normalize`` over the corpus slices of ``bench_normalize.py``'s table 1 is timed
in child processes, one for REV and one for the working tree, alternating round by round (so a
change in the machine's load hits both alike); each figure is the best CPU time of its rounds.
The default REV, 02c3c81, is the last revision before the separator rule (normalization 3):
issue 18 asks normalization within 10% of its speed. The working tree runs twice: as
installed (with numba, plain texts take the compiled single-text path; its one-time
compilation is not timed) and with ``TEXTPRINT_COMPILE=0`` (the numpy path alone, where the
separator rule's cost shows).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

if __package__ in (None, ""):  # run as a file: python benchmarks/_normalize_versions.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import harness as H  # noqa: N812

#: (corpus, characters taken from its start; None: all of it), as bench_normalize's table 1
SLICES: list[tuple[str, int | None]] = [
    ("zh-classic-novels", 1_000_000),
    ("zh-cmrc2018-wiki", 300_000),
    ("zh-chinese-poetry", 300_000),
    ("aozora-pd-ja", 300_000),
    ("ja-jglue", 300_000),
    ("en-gutenberg", 300_000),
]

# The child: imports textprint from the folder given first on its command line, then times
# one normalize call per document of every slice once and prints CPU seconds as JSON.
_CHILD = """
import json, sys, time, gc
sys.path.insert(0, sys.argv[1])
sys.path.insert(1, sys.argv[2])
import textprint
from benchmarks import harness as H
assert textprint.__file__.startswith(sys.argv[1]), textprint.__file__
slices = json.loads(sys.argv[3])
textprint.normalize("warm-up 學而時習之 カタカナ")
try:  # the compiled single-text path (issue 14) compiles once per process: not timed
    from textprint._plain import compiled
    compiled(wait=True)
except ImportError:
    pass
out = {}
for name, n_chars in slices:
    texts = [t for _, t in H.load_texts(name, max_docs=20_000)]
    if n_chars is not None:
        texts = H.take_chars(texts, n_chars)
    gc.collect()
    t0 = time.process_time()
    for t in texts:
        textprint.normalize(t)
    out[name] = [time.process_time() - t0, len(texts), sum(len(t) for t in texts)]
print(json.dumps(out))
"""


def _unpack(rev: str, into: Path) -> Path:
    blob = subprocess.run(
        ["git", "archive", rev, "src/textprint"], cwd=H.REPO, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(blob)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("rev", nargs="?", default="02c3c81")
    parser.add_argument("--chars", type=int, default=None, help="characters per slice (cap)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    slices = [
        (name, n if args.chars is None or n is None else min(n, args.chars))
        for name, n in SLICES
        if H.CORPORA.joinpath(H.CORPUS_FILES[name][0]).is_file()
    ]
    if not slices:
        print(f"no corpus found under {H.CORPORA}: nothing to measure")
        return 0
    best: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}, "numpy": {}}
    with tempfile.TemporaryDirectory() as tmp:
        before = str(_unpack(args.rev, Path(tmp)))
        after = str(H.REPO / "src")
        # after: as installed (the compiled single-text path on when numba is there); numpy:
        # the same tree with it off, the batch path alone
        runs = {"before": (before, "1"), "after": (after, "1"), "numpy": (after, "0")}
        for _ in range(args.rounds):
            for which, (src, compile_on) in runs.items():
                out = subprocess.run(
                    [sys.executable, "-c", _CHILD, src, str(H.REPO), json.dumps(slices)],
                    check=True,
                    capture_output=True,
                    text=True,
                    env={**os.environ, "TEXTPRINT_COMPILE": compile_on},
                ).stdout
                for name, (secs, n_docs, n_chars) in json.loads(out).items():
                    old = best[which].get(name)
                    if old is None or secs < old[0]:
                        best[which][name] = [secs, n_docs, n_chars]
    rows = []
    for name, _ in slices:
        b, a, p = best["before"][name], best["after"][name], best["numpy"][name]
        rows.append(
            [
                name,
                f"{a[1]:,}",
                f"{a[2] // max(a[1], 1):,}",
                H.fmt_rate(H.rate(b[2], b[0])),
                H.fmt_rate(H.rate(a[2], a[0])),
                f"{b[0] / a[0]:.2f}x",
                H.fmt_rate(H.rate(p[2], p[0])),
                f"{b[0] / p[0]:.2f}x",
            ]
        )
    print(
        f"normalize, one call per document: git {args.rev} (before) vs this tree (after; "
        "numpy path: TEXTPRINT_COMPILE=0)"
    )
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"best CPU time of {args.rounds} alternating rounds; load average at the end {load}")
    print(
        H.table(
            [
                "corpus slice",
                "docs",
                "chars/doc",
                "before chars/s",
                "after chars/s",
                "speed",
                "numpy path chars/s",
                "speed",
            ],
            rows,
            align="lrrrrrrr",
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
