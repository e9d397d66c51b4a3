"""pytest collection for ``nox -s docs``: the shell examples of the pages, run and compared.

Every page with a ``console-setup`` comment is one test: its ``console`` blocks run in order
and must print what the page shows (see docs/_scripts/console.py). A page of the tutorial or
the how-tos that shows a command's output without opting in fails too, so no shown output can
go stale unnoticed.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "_scripts"))

import console  # noqa: E402

#: Folders whose shown command output must be produced by running it.
CHECKED = ("tutorial", "howto")
_OUTPUT_SHOWN = re.compile(r"^```console\n\$ [^\n]*\n(?!\$|```)", re.M)


class ConsoleItem(pytest.Item):
    def __init__(self, *, page: console.Page | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.page = page

    def runtest(self) -> None:
        if self.page is None:
            raise AssertionError(
                f"{self.path} shows command output but has no console-setup comment: "
                "add one (docs/_scripts/console.py) so the output is checked"
            )
        bad = console.run(self.page)
        if bad:
            raise AssertionError(console.describe(self.page, bad))

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"console examples of {self.path.name}"


class ConsoleFile(pytest.File):
    def collect(self) -> Iterator[ConsoleItem]:
        page = console.parse(self.path)
        text = self.path.read_text(encoding="utf-8")
        shows_output = bool(_OUTPUT_SHOWN.search(text))
        in_checked = self.path.parent.name in CHECKED
        if page is not None or (shows_output and in_checked):
            yield ConsoleItem.from_parent(self, name="console", page=page)


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> ConsoleFile | None:
    if file_path.suffix == ".md" and "_build" not in file_path.parts:
        result: ConsoleFile = ConsoleFile.from_parent(parent, path=file_path)
        return result
    return None
