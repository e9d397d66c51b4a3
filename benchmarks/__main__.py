"""Regenerate every benchmark page: ``python -m benchmarks`` (from the repository root).

Each page's script runs in its own process, one after the other (never two at once: they time
CPU seconds on a machine that should be quiet), and writes its page and plots into
docs/benchmarks/ and its raw results into benchmarks/results/. ``--quick --out DIR`` runs
every script on a small slice into DIR instead (a check that everything still runs, in
minutes); ``--only minhash,lsh`` runs some; ``--list`` prints the pages and how long a full
run of each took on the 2-core machine the published pages come from.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

#: page -> (script module, minutes a full run took on a 2-core machine, extra arguments)
PAGES: dict[str, tuple[str, int, tuple[str, ...]]] = {
    "normalize": ("benchmarks.bench_normalize", 2, ()),
    "tokenizers": ("benchmarks.bench_tokenizers", 11, ()),
    "winnowing": ("benchmarks.bench_winnowing", 6, ()),
    "minhash": ("benchmarks.bench_minhash", 3, ()),
    "memory": ("benchmarks.bench_memory", 1, ()),
    "lsh": ("benchmarks.bench_lsh", 2, ()),
    "quality (PAN13)": ("benchmarks.bench_pan13", 1, ()),
    "quality (Clough)": ("benchmarks.bench_clough", 1, ()),
    "quality (copies)": ("benchmarks.bench_copies", 3, ()),
    "quality (washing)": ("benchmarks.bench_washing", 10, ()),
    "registry": ("benchmarks.bench_registry", 25, ()),
    "spark": ("benchmarks.bench_spark", 26, ()),
    "spark_check": ("benchmarks.bench_spark_check", 15, ()),
    "single": ("benchmarks.bench_single", 5, ()),
    "evidence": ("benchmarks.bench_evidence", 4, ()),
}
REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small slice of each")
    parser.add_argument("--out", type=Path, default=None, help="write the pages here instead")
    parser.add_argument("--only", default="", help="comma-separated pages (see --list)")
    parser.add_argument("--list", action="store_true", help="print the pages and exit")
    args = parser.parse_args(argv)
    if args.list:
        for page, (module, minutes, _) in PAGES.items():
            print(f"{page:18} python -m {module:32} about {minutes} min")
        print(f"{'all':18} {'':42} about {sum(m for _, m, _ in PAGES.values())} min")
        return 0
    wanted = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = [p for p in wanted if p not in PAGES and not any(k.startswith(p) for k in PAGES)]
    if unknown:
        parser.error(f"unknown page(s): {', '.join(unknown)}; see --list")
    failed = []
    for page, (module, _, extra) in PAGES.items():
        if wanted and not any(page == p or page.startswith(p) for p in wanted):
            continue
        command = [sys.executable, "-m", module, *extra]
        if args.quick:
            command.append("--quick")
        if args.out is not None:
            command += ["--out", str(args.out)]
        start = time.perf_counter()
        print(f"== {page}: {' '.join(command[1:])}", flush=True)
        code = subprocess.run(command, cwd=REPO, check=False).returncode
        print(f"== {page}: exit {code} after {time.perf_counter() - start:.0f} s", flush=True)
        if code:
            failed.append(page)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
