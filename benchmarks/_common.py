"""The old helper module of the benchmark scripts, kept for the two not yet on the harness.

bench_registry.py and bench_spark_check.py (the Registry's benchmarks, being rebuilt with it)
still ``import _common as C``; every helper here is the harness's (`benchmarks.harness`), under
its old name. New scripts use the harness directly.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if str(Path(__file__).resolve().parents[1]) not in sys.path:  # run as benchmarks/bench_x.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import (
    DOCS,
    REPO,
    cpu_time,
    fmt_rate,
    iter_docs,
    machine_info,
    plt,
    rate,
    require_corpora,
    table,
)
from benchmarks.harness import Log as Report
from benchmarks.harness.machine import machine_line
from benchmarks.harness.page import duration

__all__ = [
    "DOCS",
    "REPO",
    "Report",
    "add_common_args",
    "cpu_time",
    "fmt_rate",
    "iter_docs",
    "machine_info",
    "plt",
    "rate",
    "require_corpora",
    "table",
    "write_markdown",
]


def add_common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="a small slice, printed only")
    parser.add_argument("--out", type=Path, default=None, help="the page to write")


def write_markdown(
    path: Path,
    *,
    title: str,
    command: str,
    info: dict[str, str],
    body: str,
    output: str,
    runtime: float,
) -> None:
    """A page in the old order (body first), without the old header's internal notes."""
    text = "\n".join(
        [
            f"# {title}",
            "",
            machine_line(info),
            "",
            body.strip(),
            "",
            f"Reproduce every figure on this page with `{command}` (this run took "
            f"{duration(runtime)}).",
            "",
            "<details><summary>Full output of the run</summary>",
            "",
            "```text",
            output.rstrip(),
            "```",
            "",
            "</details>",
            "",
        ]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
