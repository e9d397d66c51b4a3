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
    CORPORA,
    CORPUS_FILES,
    DOCS,
    REPO,
    cpu_time,
    fmt_rate,
    iter_docs,
    load_texts,
    machine_info,
    package_version,
    plt,
    rate,
    require_corpora,
    table,
    take_chars,
)
from benchmarks.harness import Log as Report
from benchmarks.harness.machine import machine_line
from benchmarks.harness.page import duration

__all__ = [
    "CORPORA",
    "CORPUS_FILES",
    "DOCS",
    "REPO",
    "Report",
    "add_common_args",
    "cpu_time",
    "fmt_rate",
    "iter_docs",
    "load_texts",
    "machine_info",
    "package_version",
    "plt",
    "rate",
    "require_corpora",
    "sys_path_tests",
    "table",
    "take_chars",
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


def sys_path_tests() -> Path:
    """Put ``<repo>/tests`` on sys.path (for the reference implementations) and return it."""
    tests = REPO / "tests"
    if str(tests) not in sys.path:
        sys.path.insert(0, str(tests))
    return tests
