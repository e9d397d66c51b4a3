"""The layout every benchmark page shares, written from a script's results alone.

From the top: a short result box (what was measured, the ratio against each peer, the machine),
the main tables (the peers' ratio columns right beside the tool names), the plots, then the
protocol and the other sections, and last the raw output and dumps folded away in ``<details>``
so that they never push the results down. Table cells escape ``|``. A page never says where the
corpora sit on the machine that ran it (it names them and links to the corpora page) nor
anything about how the project is developed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .machine import machine_line


def duration(seconds: float) -> str:
    """12 s, 4 min, 1.5 h."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def escape(cell: object) -> str:
    """A table cell: floats to 3 decimals (NaN as "-"), ``|`` escaped, line breaks as spaces."""
    text = str(cell)
    if isinstance(cell, float):
        text = "-" if cell != cell else f"{cell:.3f}"
    return text.replace("|", "\\|").replace("\n", " ")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, align: str = "") -> str:
    """A pipe table that reads well in a terminal and renders in Markdown.

    `align` has one letter per column, ``l`` or ``r`` (default: first column left, rest right).
    """
    cells = [[escape(h) for h in headers]] + [[escape(c) for c in r] for r in rows]
    n = len(headers)
    align = (align or "l" + "r" * (n - 1)).ljust(n, "r")
    widths = [max(len(row[i]) for row in cells) for i in range(n)]

    def line(row: list[str]) -> str:
        parts = [
            row[i].ljust(widths[i]) if align[i] == "l" else row[i].rjust(widths[i])
            for i in range(n)
        ]
        return "| " + " | ".join(parts) + " |"

    rule = "|" + "|".join(
        ("-" * (w + 1) + ":") if a == "r" else ("-" * (w + 2)) for w, a in zip(widths, align)
    )
    return "\n".join([line(cells[0]), rule + "|"] + [line(r) for r in cells[1:]])


@dataclass
class Table:
    """A results table: the tool (or case) column first, then the ratios against the peers,
    then the measurements."""

    headers: list[str]
    rows: list[list[object]]
    title: str = ""
    note: str = ""
    align: str = ""

    def markdown(self) -> str:
        parts = [f"### {self.title}"] if self.title else []
        parts.append(table(self.headers, self.rows, align=self.align))
        if self.note:
            parts.append(self.note)
        return "\n\n".join(parts)


@dataclass
class Plot:
    file: str  # beside the page
    caption: str


@dataclass
class Raw:
    """A raw dump (full output, profile, per-case table), folded away at the page's end."""

    summary: str
    text: str
    markdown: bool = False  # text is Markdown (tables) rather than preformatted output


@dataclass
class Page:
    title: str
    command: str  # how to reproduce every figure on the page
    summary: list[str]  # the result box: what was measured, the ratio against each peer
    tables: list[Table] = field(default_factory=list)
    plots: list[Plot] = field(default_factory=list)
    protocol: str = ""
    lead: str = ""  # Markdown right after the tables (results too rich for `Table`)
    sections: list[tuple[str, str]] = field(default_factory=list)  # (heading, Markdown)
    raw: list[Raw] = field(default_factory=list)

    def markdown(self, info: dict[str, str], runtime: float | None = None) -> str:
        out = [f"# {self.title}", ""]
        out += [":::{admonition} Result", ":class: tip", ""]
        out += [f"- {line}" for line in self.summary]
        out += ["", machine_line(info), ":::", ""]
        if self.tables or self.lead:  # the tables' "###" titles need an H2 above them
            out += ["## Results", ""]
        for t in self.tables:
            out += [t.markdown(), ""]
        if self.lead:
            out += [self.lead.strip(), ""]
        for p in self.plots:
            out += [f"![{p.caption}]({p.file})", ""]
        took = "" if runtime is None else f" (this run took {duration(runtime)})"
        out += ["## Protocol", "", self.protocol.strip(), ""]
        out += [f"Reproduce every figure on this page with `{self.command}`{took}.", ""]
        for heading, body in self.sections:
            out += [f"## {heading}", "", body.strip(), ""]
        if self.raw:
            out += ["## Raw data", ""]
            for r in self.raw:
                out += [f"<details><summary>{r.summary}</summary>", ""]
                out += [r.text.rstrip()] if r.markdown else ["```text", r.text.rstrip(), "```"]
                out += ["", "</details>", ""]
        return "\n".join(out).rstrip() + "\n"
