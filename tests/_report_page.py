"""One reader of an evidence report's HTML for the report tests: what a reviewer sees in it."""

from __future__ import annotations

from html.parser import HTMLParser


class ReportPage(HTMLParser):
    """Feed it a page (``to_html()``, or the DOM a browser built); then read:

    ``pres``
        the text of each ``<pre>`` (the checked text, then each work);
    ``pre_marks``
        per ``<pre>``, the text of each ``<mark>`` in it, in order;
    ``anchors``, ``mark_classes``
        per passage anchor (``<a class="passage" id=...>``), its text and its mark's class;
    ``links``, ``ids``
        the ids the passage anchors link to, and every element id of the page;
    ``legend``
        the classes of the marks outside passages (the legend's);
    ``cells``
        the text of each ``<td>`` by its class.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pres: list[str] = []
        self.pre_marks: list[list[str]] = []
        self.anchors: dict[str, str] = {}
        self.mark_classes: dict[str, str] = {}
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.legend: list[str] = []
        self.cells: dict[str, str] = {}
        self._anchor: str | None = None
        self._cell: str | None = None
        self._in_pre = self._in_mark = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("class") == "passage":
            self._anchor = a["id"]
            self.anchors[self._anchor] = ""
            self.links.append(a["href"].removeprefix("#"))
        elif tag == "pre":
            self._in_pre = True
            self.pres.append("")
            self.pre_marks.append([])
        elif tag == "mark":
            self._in_mark = True
            if self._in_pre:
                self.pre_marks[-1].append("")
            if self._anchor is not None:
                self.mark_classes[self._anchor] = a.get("class", "")
            else:
                self.legend.append(a.get("class", ""))
        elif tag == "td":
            self._cell = a.get("class", "")
            self.cells.setdefault(self._cell, "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._anchor = None
        elif tag == "pre":
            self._in_pre = False
        elif tag == "mark":
            self._in_mark = False
        elif tag == "td":
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._anchor is not None:
            self.anchors[self._anchor] += data
        if self._in_pre:
            self.pres[-1] += data
            if self._in_mark:
                self.pre_marks[-1][-1] += data
        if self._cell is not None:
            self.cells[self._cell] += data
