"""Sphinx helpers for the textprint documentation: method summaries and build guards.

- ``.. class-summary:: Registry`` puts a table of a class's public methods, each linked to its
  entry and with the first line of its docstring, at the top of a reference page. The list comes
  from the class itself, in definition order, so a new method appears without editing the page;
  with ``nitpicky = True`` a method the page does not document is a broken link, so a build with
  ``-W`` fails.
- A Markdown table that did not parse (an unescaped ``|`` in a cell, a missing separator row)
  is rendered as a paragraph of pipes, ``<p>| a | b |``. Every HTML page written is searched for
  that, and each occurrence is a warning, so a build with ``-W`` fails.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.ext.autosummary import Autosummary, get_import_prefixes_from_env, import_by_name
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: the start of a Markdown table row left as text: a paragraph that opens with a pipe
TABLE_AS_TEXT = re.compile(r"<p>\s*\|")


def public_methods(cls: type) -> list[str]:
    """Names of the public methods, class methods, static methods and properties `cls` defines.

    In definition order; inherited members and dataclass or NamedTuple fields are left out.
    """
    kinds = (staticmethod, classmethod, property)
    return [
        name
        for name, value in vars(cls).items()
        if not name.startswith("_") and (inspect.isfunction(value) or isinstance(value, kinds))
    ]


class ClassSummary(Autosummary):
    """``.. class-summary:: Name``: a linked table of the public methods of class ``Name``."""

    required_arguments = 1
    has_content = False
    option_spec = {}  # noqa: RUF012 (docutils reads it from the class)

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        prefixes = get_import_prefixes_from_env(self.env)
        real_name, obj, _parent, _modname = import_by_name(name, prefixes)
        if not inspect.isclass(obj):
            raise self.error(f"class-summary: {real_name} is not a class")
        methods = public_methods(obj)
        if not methods:
            raise self.error(f"class-summary: {real_name} has no public method to summarise")
        self.options["signatures"] = "long"
        items = self.get_items([f"~{name}.{method}" for method in methods])
        # Summaries are parsed as if inside the class, so ":meth:`save`" in one resolves as it
        # does in the class's own entry.
        context = self.env.ref_context
        before = context.get("py:class")
        context["py:class"] = real_name.rpartition(".")[2]
        try:
            table = self.get_table(items)
        finally:
            if before is None:
                context.pop("py:class", None)
            else:
                context["py:class"] = before
        rubric = nodes.rubric("", "", nodes.Text("Methods of "), nodes.literal(name, name))
        return [rubric, *table]


def find_tables_as_text(outdir: Path) -> list[tuple[str, str]]:
    """``(page, line)`` for every HTML page under `outdir` with a table rendered as text."""
    found = []
    for page in sorted(outdir.rglob("*.html")):
        for line in page.read_text(encoding="utf-8").splitlines():
            if TABLE_AS_TEXT.search(line):
                found.append((page.relative_to(outdir).as_posix(), line.strip()))
    return found


def _check_tables(app: Sphinx, exception: BaseException | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for page, line in find_tables_as_text(Path(app.outdir)):
        logger.warning(
            "%s: a Markdown table is rendered as text (escape a | inside a cell as \\|, and give "
            "the table a separator row): %.120s",
            page,
            line,
        )


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("class-summary", ClassSummary)
    app.connect("build-finished", _check_tables)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
