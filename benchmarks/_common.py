"""Shared helpers for the benchmark scripts (not part of the package, not a test).

Corpora are read from ``<repo>/../shared/corpora`` and never copied into the repository. When that
folder is missing, :func:`require_corpora` prints one line saying so and exits with status 0, so
that ``nox -s bench`` on a fresh machine skips cleanly instead of failing.

Timing is CPU time (``time.process_time``: every thread of this process, no sleeping, no other
process), best of `repeat` runs, after one untimed warm-up call made by the caller where a
dictionary or table has to load first.
"""

from __future__ import annotations

import datetime as _dt
import gc
import io
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[1]
CORPORA = (REPO.parent / "shared" / "corpora").resolve()
DOCS = REPO / "docs" / "benchmarks"

#: corpus name -> (relative path of its JSON-lines file, language)
CORPUS_FILES: dict[str, tuple[str, str]] = {
    "zh-classic-novels": ("zh-classic-novels/chapters.jsonl", "zh"),
    "zh-cmrc2018-wiki": ("zh-cmrc2018-wiki/contexts.jsonl", "zh"),
    "zh-chinese-poetry": ("zh-chinese-poetry/poems.jsonl", "zh"),
    "aozora-pd-ja": ("aozora-pd-ja/works.jsonl", "ja"),
    "ja-jglue": ("ja-jglue/jsquad_articles.jsonl", "ja"),
    "en-gutenberg": ("en-gutenberg/books.jsonl", "en"),
}


# --------------------------------------------------------------------------------------------
# Corpora


def require_corpora(*names: str) -> None:
    """Exit cleanly (status 0, one line on stdout) if a needed corpus file is absent."""
    missing = [n for n in names if not (CORPORA / CORPUS_FILES[n][0]).is_file()]
    if not CORPORA.is_dir() or missing:
        what = str(CORPORA) if not CORPORA.is_dir() else ", ".join(missing)
        print(
            f"SKIPPED: corpus not found ({what}); this benchmark reads ../shared/corpora "
            "beside the repository (see its README.md)."
        )
        raise SystemExit(0)


def iter_docs(name: str) -> Iterator[dict[str, Any]]:
    """Yield the JSON records of corpus `name` in file order."""
    path = CORPORA / CORPUS_FILES[name][0]
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def load_texts(name: str, *, max_docs: int | None = None) -> list[tuple[str, str]]:
    """Return ``[(id, text), ...]`` of corpus `name` (the first `max_docs` records)."""
    out: list[tuple[str, str]] = []
    for rec in iter_docs(name):
        out.append((str(rec.get("id", len(out))), str(rec["text"])))
        if max_docs is not None and len(out) >= max_docs:
            break
    return out


def take_chars(texts: Sequence[str], n_chars: int) -> list[str]:
    """A deterministic slice of about `n_chars` characters spread over the whole corpus.

    Documents are taken at an even stride (so that every book or author is represented), and the
    last one is cut to make the total exact. Long documents are cut to at most a quarter of the
    budget so that one novel does not make the whole slice.
    """
    if n_chars >= sum(len(t) for t in texts):
        return list(texts)
    cap = max(n_chars // 4, 1)
    avg = sum(min(len(t), cap) for t in texts) / max(len(texts), 1)
    n_take = max(1, min(len(texts), round(n_chars / max(avg, 1.0))))
    stride = len(texts) / n_take
    picked = [texts[int(i * stride)][:cap] for i in range(n_take)]
    out: list[str] = []
    total = 0
    for t in picked:
        if total >= n_chars:
            break
        t = t[: n_chars - total]
        out.append(t)
        total += len(t)
    i = 0
    while total < n_chars and i < len(texts):  # top up from documents not yet used
        t = texts[i][cap : cap + n_chars - total]
        if t:
            out.append(t)
            total += len(t)
        i += 1
    return out


# --------------------------------------------------------------------------------------------
# Timing


def cpu_time(fn: Callable[[], T], *, repeat: int = 3) -> tuple[float, T]:
    """Best CPU time (seconds, ``time.process_time``) of `repeat` calls, and the last result."""
    best = float("inf")
    result: T
    for _ in range(max(repeat, 1)):
        gc.collect()
        t0 = time.process_time()
        result = fn()
        dt = time.process_time() - t0
        best = min(best, dt)
    return best, result


def rate(n: float, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def fmt_rate(x: float) -> str:
    """12_345_678 -> '12.35 M'; 123_456 -> '123.5 k'."""
    if x != x or x == float("inf"):
        return "inf"
    if x >= 1e6:
        return f"{x / 1e6:.2f} M"
    if x >= 1e3:
        return f"{x / 1e3:.1f} k"
    return f"{x:.0f}"


# --------------------------------------------------------------------------------------------
# Machine and output


def machine_info() -> dict[str, str]:
    """Date, machine and versions, for the header of every result file."""
    import numpy as np

    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        rev = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if dirty:
            rev += " + uncommitted changes in src/"
    except (OSError, subprocess.CalledProcessError):
        rev = "unknown"
    import textprint

    return {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu or "unknown",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "textprint": f"{textprint.__version__} (git {rev})",
    }


def package_version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, align: str = "") -> str:
    """A pipe table that reads well in a terminal and renders in Markdown.

    `align` has one letter per column, ``l`` or ``r`` (default: first column left, rest right).
    """
    cells = [[str(h) for h in headers]] + [[_cell(c) for c in r] for r in rows]
    n = len(headers)
    align = (align or "l" + "r" * (n - 1)).ljust(n, "r")
    widths = [max(len(row[i]) for row in cells) for i in range(n)]

    def line(row: list[str]) -> str:
        parts = [
            row[i].ljust(widths[i]) if align[i] == "l" else row[i].rjust(widths[i])
            for i in range(n)
        ]
        return "| " + " | ".join(parts) + " |"

    rule = (
        "|"
        + "|".join(
            ("-" * (w + 1) + ":") if a == "r" else ("-" * (w + 2)) for w, a in zip(widths, align)
        )
        + "|"
    )
    return "\n".join([line(cells[0]), rule] + [line(r) for r in cells[1:]])


def _cell(c: object) -> str:
    if isinstance(c, float):
        if c != c:
            return "-"
        return f"{c:.3f}"
    return str(c)


class Report:
    """Print as we go, and keep every printed line for the result file."""

    def __init__(self) -> None:
        self._buf = io.StringIO()

    def __call__(self, *parts: object) -> None:
        text = " ".join(str(p) for p in parts)
        print(text, flush=True)
        self._buf.write(text + "\n")

    @property
    def text(self) -> str:
        return self._buf.getvalue()


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
    """Write a result file: header (date, machine, command), `body`, then the raw output."""
    head = [
        f"# {title}",
        "",
        "Generated by the benchmark script; do not edit by hand (re-run it instead).",
        "",
        f"- Reproduce: `{command}` (from the repository root, with the dev environment active;"
        " the corpora are read from `../shared/corpora`).",
        f"- Date: {info['date']}; wall time of the run: {runtime:.0f} s.",
        f"- Machine: {info['nproc']} CPUs ({info['cpu']}), {info['platform']}.",
        f"- Python {info['python']}, numpy {info['numpy']}, textprint {info['textprint']}.",
        "- Times are CPU seconds (`time.process_time`), best of 3 unless a table says otherwise.",
        "",
    ]
    text = (
        "\n".join(head) + "\n" + body.rstrip() + "\n\n## Full output\n\n```text\n" + output.rstrip()
    )
    text += "\n```\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def plt() -> Any:
    """matplotlib.pyplot with the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    return pyplot


def add_common_args(parser: Any) -> None:
    parser.add_argument(
        "--quick",
        action="store_true",
        help="run a small slice in seconds (prints only; writes no result file unless --out)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="result file to write (default: docs/benchmarks/<name>.md on a full run)",
    )


def sys_path_tests() -> Path:
    """Put ``<repo>/tests`` on sys.path (for the reference implementations) and return it."""
    tests = REPO / "tests"
    if str(tests) not in sys.path:
        sys.path.insert(0, str(tests))
    return tests
