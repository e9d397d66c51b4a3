"""Run the shell examples of the docs and compare what they print with what the page shows.

A page opts in with a setup comment (invisible on the rendered page)::

    <!-- console-setup
    run: tutorial/registry.md      (run that page's Python examples first, as doctests)
    copy: folder                   (copy the files of the folder that variable names)
    python: <one line of Python, run in the scratch folder with the examples' names>
    -->

Then every ``console`` block of the page runs, in order, in one scratch folder: each line
starting with ``$ `` is a command (bash, with the installed ``textprint`` on PATH, an
80-column terminal, standard error merged into standard output), and the lines after it up to
the next command are what it must print. ``...`` matches anything, as in doctests.

``nox -s docs`` runs every opted-in page (docs/conftest.py collects them); a difference fails
the build. ``python docs/_scripts/console.py --update PAGE.md`` rewrites the page's outputs with
what the commands print now (then read the diff).
"""

from __future__ import annotations

import argparse
import doctest
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[1]
_SETUP = re.compile(r"<!-- console-setup\n(.*?)-->", re.S)
_BLOCK = re.compile(r"^```console\n(.*?)^```$", re.S | re.M)
_CHECKER = doctest.OutputChecker()
_FLAGS = doctest.ELLIPSIS


@dataclass
class Command:
    line: int  # 1-based line of the command in the page
    command: str
    expected: str
    got: str = ""


@dataclass
class Page:
    path: Path
    setup: list[tuple[str, str]]
    commands: list[Command] = field(default_factory=list)


def parse(path: Path) -> Page | None:
    """The page's setup and console commands, or None when it does not opt in."""
    text = path.read_text(encoding="utf-8")
    m = _SETUP.search(text)
    if m is None:
        return None
    setup = []
    for raw in m.group(1).splitlines():
        key, _, value = raw.strip().partition(":")
        if key:
            setup.append((key.strip(), value.strip()))
    page = Page(path, setup)
    for block in _BLOCK.finditer(text):
        first_line = text.count("\n", 0, block.start(1)) + 1
        current: Command | None = None
        for i, raw in enumerate(block.group(1).splitlines()):
            if raw.startswith("$ "):
                current = Command(first_line + i, raw[2:], "")
                page.commands.append(current)
            elif current is not None:
                current.expected += raw + "\n"
    return page


def _run_examples(page: str, cwd: Path) -> dict[str, Any]:
    """Run a page's Python examples (its doctests) in `cwd`; return their names."""
    source = (DOCS / page).read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(source, {"__name__": "__docs__"}, page, page, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = runner.run(test, clear_globs=False)
    finally:
        os.chdir(old)
    if result.failed:
        raise RuntimeError(f"{page}: {result.failed} examples failed; run its doctests")
    return test.globs


def prepare(page: Page, cwd: Path) -> None:
    """Run the page's setup in the scratch folder `cwd`."""
    names: dict[str, Any] = {}
    for key, value in page.setup:
        if key == "run":
            names.update(_run_examples(value, cwd))
        elif key == "copy":
            src = Path(names[value])
            for item in sorted(src.iterdir()):
                if item.is_file():
                    shutil.copy2(item, cwd / item.name)
        elif key == "python":
            old = Path.cwd()
            os.chdir(cwd)
            try:
                exec(value, names)
            finally:
                os.chdir(old)
        else:
            raise ValueError(f"{page.path}: unknown console-setup entry {key!r}")


def environment() -> dict[str, str]:
    """The commands' environment: this Python's textprint first on PATH, 80 columns."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(COLUMNS="80", LINES="24", PYTHONIOENCODING="utf-8", LC_ALL="C.UTF-8")
    env.pop("TERM", None)
    return env


def run(page: Page) -> list[Command]:
    """Run every command of `page`; return the commands whose output differs."""
    with tempfile.TemporaryDirectory(prefix="tp-console-") as tmp:
        cwd = Path(tmp)
        prepare(page, cwd)
        env = environment()
        for cmd in page.commands:
            proc = subprocess.run(
                ["bash", "-c", cmd.command],
                cwd=cwd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=600,
            )
            cmd.got = proc.stdout
    return [c for c in page.commands if not _CHECKER.check_output(c.expected, c.got, _FLAGS)]


def describe(page: Page, bad: list[Command]) -> str:
    parts = []
    for c in bad:
        parts.append(
            f"{page.path}:{c.line}: $ {c.command}\n--- the page shows\n{c.expected}"
            f"--- the command printed\n{c.got}"
        )
    return "\n".join(parts)


def update(page: Page) -> None:
    """Rewrite the outputs of the page's commands with what they print now."""
    run(page)
    lines = page.path.read_text(encoding="utf-8").split("\n")
    for cmd in reversed(page.commands):
        start = cmd.line  # index of the line after the command
        end = start + len(cmd.expected.splitlines())
        keep_ellipsis = "..." in cmd.expected and _CHECKER.check_output(
            cmd.expected, cmd.got, _FLAGS
        )
        if not keep_ellipsis:
            lines[start:end] = cmd.got.splitlines()
    page.path.write_text("\n".join(lines), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="+", type=Path)
    parser.add_argument("--update", action="store_true", help="rewrite the pages' outputs")
    args = parser.parse_args()
    status = 0
    for path in args.pages:
        page = parse(path.resolve())
        if page is None:
            print(f"{path}: no console-setup comment; nothing to run")
            continue
        if args.update:
            update(page)
            print(f"{path}: {len(page.commands)} commands run, outputs rewritten")
            continue
        bad = run(page)
        if bad:
            print(describe(page, bad))
            status = 1
        else:
            print(f"{path}: {len(page.commands)} commands print what the page shows")
    return status


if __name__ == "__main__":
    sys.exit(main())
