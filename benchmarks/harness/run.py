"""One command line for every benchmark script: measure, save the raw results, write the page.

``python -m benchmarks.bench_x``            full run: results/x.json, docs/benchmarks/x.md
``python -m benchmarks.bench_x --quick``    a small slice in seconds, printed only
``python -m benchmarks.bench_x --out DIR``  the page, its plots and its JSON in DIR instead
``python -m benchmarks.bench_x --render``   the page again from the saved JSON (no measuring)

A script ends with ``H.main("x", __doc__, measure, render, plots)``: its page name, its
docstring (the first line describes the command), ``measure(args, log) -> dict`` (JSON-able raw
results; everything it prints through `log` is kept as the run's output), ``render(results) ->
Page`` (the page, from the results alone) and optionally ``plots(results, folder) -> list[Plot]``.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .corpora import REPO
from .machine import machine_info
from .page import Page, Plot, Raw

DOCS = REPO / "docs" / "benchmarks"
RESULTS = REPO / "benchmarks" / "results"


class Log:
    """Print as we go, and keep every printed line (the run's output, folded on the page)."""

    def __init__(self) -> None:
        self._buf = io.StringIO()

    def __call__(self, *parts: object) -> None:
        text = " ".join(str(p) for p in parts)
        print(text, flush=True)
        self._buf.write(text + "\n")

    @property
    def text(self) -> str:
        return self._buf.getvalue()


Measure = Callable[[argparse.Namespace, Log], dict[str, Any]]
Render = Callable[[dict[str, Any]], Page]
Plots = Callable[[dict[str, Any], Path], list[Plot]]
#: Writes a page from the results just saved in the JSON folder (first argument) into the page
#: folder (second): for a page several scripts share (the quality page).
Write = Callable[[Path, Path], None]


def main(
    name: str,
    doc: str | None,
    measure: Measure,
    render: Render,
    plots: Plots | None = None,
    *,
    add_args: Callable[[argparse.ArgumentParser], None] | None = None,
    write: Write | None = None,
    argv: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Run the benchmark `name` (its page is ``<name>.md``); returns the results.

    `doc` is the script's docstring: its first line describes the command.
    """
    summary = (doc or name).strip().splitlines()[0].removeprefix("Benchmark: ")
    parser = argparse.ArgumentParser(description=summary)
    parser.add_argument("--quick", action="store_true", help="a small slice in seconds")
    parser.add_argument(
        "--out", type=Path, default=None, help="write the page, plots and JSON here"
    )
    parser.add_argument(
        "--render", action="store_true", help="write the page again from the saved results"
    )
    if add_args is not None:
        add_args(parser)
    args = parser.parse_args(argv)
    json_dir = RESULTS if args.out is None else args.out
    results: dict[str, Any]
    if args.render:
        results = json.loads((json_dir / f"{name}.json").read_text(encoding="utf-8"))
    else:
        log = Log()
        start = time.perf_counter()
        info = machine_info()
        results = measure(args, log)
        results["_run"] = {
            "info": info,
            "runtime": time.perf_counter() - start,
            "output": log.text,
            "quick": bool(args.quick),
        }
        if args.out is None and args.quick:
            return results  # a quick look: printed only
        json_dir.mkdir(parents=True, exist_ok=True)
        (json_dir / f"{name}.json").write_text(
            json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8"
        )
    if write is not None:
        write(json_dir, args.out or DOCS)
    else:
        write_page(name, results, render, plots, args.out or DOCS)
    return results


def build_page(results: dict[str, Any], render: Render, plots: Plots | None, folder: Path) -> Page:
    """The page of `results` (plots drawn into `folder`, the run's output folded at the end)."""
    page = render(results)
    if plots is not None:
        page.plots += plots(results, folder)
    page.raw.append(Raw("Full output of the run", results["_run"]["output"]))
    return page


def write_page(
    name: str, results: dict[str, Any], render: Render, plots: Plots | None, folder: Path
) -> Path:
    """Render `results` into ``folder/<name>.md`` (and its plots beside it)."""
    run = results["_run"]
    page = build_page(results, render, plots, folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.md"
    path.write_text(page.markdown(run["info"], run["runtime"]), encoding="utf-8")
    print(f"wrote {path}")
    return path
