"""The look of the evidence pages and the index of a batch of them (private).

:mod:`textprint.report` writes one page per checked text; :func:`index_html` (re-exported there)
writes the page that lists them. Both pages share the style and the Content-Security-Policy,
which allows no network request.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Iterable, Mapping
from typing import IO, Any

from ._validation import utf8_safe

__all__ = ["CSP", "NOTEBOOK_STYLE", "STYLE", "index_html"]

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'"
)
STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1d1d1f;background:#fff}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.2rem .5rem;
text-align:left;vertical-align:top}th{background:#f4f4f6;font-weight:600}
.sides{display:flex;gap:1rem}.side{flex:1;min-width:0}
pre{white-space:pre-wrap;word-break:break-word;font-family:inherit;line-height:1.6;
border:1px solid #ddd;padding:.75rem;background:#fafafa;max-height:70vh;overflow:auto}
mark{background:#ffe08a;padding:0 1px}a.passage{color:inherit;text-decoration:none}
mark.free{background:#ffb3a7}mark.quoted{background:#b9d7ff}mark.attributed{background:#c8ecc1}
mark.quoted.attributed{background:#b9d7ff;box-shadow:inset 0 -3px 0 #4caf50}
.legend .key{margin-right:1rem;white-space:nowrap}.evalue,.unattributed{font-weight:600}
a.passage:target mark{background:#ff9f43;outline:2px solid #d35400}
code{font-size:.85em;word-break:break-all}.none{font-style:italic}
table.metadata{margin:0}table.metadata th{background:none;font-weight:500}
"""
# the same look inside a notebook's output cell, scoped to the report
NOTEBOOK_STYLE = (
    ".textprint-report .sides{display:flex;gap:1rem}.textprint-report .side{flex:1;min-width:0}"
    ".textprint-report pre{white-space:pre-wrap;word-break:break-word;max-height:24rem;"
    "overflow:auto;border:1px solid #ddd;padding:.5rem}"
    ".textprint-report mark{background:#ffe08a;padding:0 1px}"
    ".textprint-report mark.free{background:#ffb3a7}"
    ".textprint-report mark.quoted{background:#b9d7ff}"
    ".textprint-report mark.attributed{background:#c8ecc1}"
    ".textprint-report a.passage{color:inherit;text-decoration:none}"
)


# The index's only script: it sorts the table by the column named in the URL's fragment
# (#sort=share-desc), so the header's links sort without a request, and a sorted view can be
# linked. The Content-Security-Policy allows this one script by its digest, nothing else.
_SORT_SCRIPT = """
(function () {
  var body = document.getElementById("posts").tBodies[0];
  function sort() {
    var m = /^#sort=(\\w+)-(asc|desc)$/.exec(location.hash);
    if (!m) return;
    var key = m[1], dir = m[2] === "asc" ? 1 : -1;
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.dataset[key], y = b.dataset[key], nx = parseFloat(x), ny = parseFloat(y);
      var r = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return r * dir || a.dataset.order - b.dataset.order;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  window.addEventListener("hashchange", sort);
  sort();
})();
"""
_SORT_DIGEST = base64.b64encode(hashlib.sha256(_SORT_SCRIPT.encode()).digest()).decode()
_INDEX_CSP = CSP.replace(
    "default-src 'none';", f"default-src 'none'; script-src 'sha256-{_SORT_DIGEST}';"
)
#: The index's columns: (data key, header); each header links to both sort orders.
_INDEX_COLUMNS = (
    ("order", "#"),
    ("id", "text"),
    ("hits", "result"),
    ("work", "top work"),
    ("share", "copied from it"),
    ("chars", "copied characters"),
    ("free", "without quotation or attribution"),
)


def index_html(rows: Iterable[Mapping[str, Any]], out: IO[str], *, title: str) -> None:
    """Write the index page of a batch of reports: one row per checked text, sortable.

    ``textprint check --format html -o FOLDER/`` writes it as ``index.html``.

    Parameters
    ----------
    rows : iterable of mapping
        One per checked text, in order: ``{"id", "metadata", "hits"}`` as
        ``textprint check --format jsonl`` writes them (the hits in their JSON form, as in
        :meth:`textprint.Evidence.to_dict`'s ``matches``), and ``"href"``, the relative URL of the
        text's own page, when it has one. Read one at a time: a batch of any size is indexed
        in bounded memory.
    out : text file
        Where the page is written (UTF-8).
    title : str
        The page's title and heading.

    Notes
    -----
    The page lists what was found in each text, its top work (with the work's ``title`` metadata, if
    any), the share of the text copied from it, the copied characters and the share copied
    without quotation or attribution. The header's arrows
    sort the table by a column through the URL's fragment (``#sort=share-desc``): the page's
    only script, allowed by its digest in the Content-Security-Policy, which allows no request.

    Examples
    --------
    >>> import io
    >>> import textprint as tp
    >>> reg = tp.Registry()
    >>> reg.register("poem", "床前明月光，疑是地上霜。举头望明月，低头思故乡。")
    >>> post = "床前明月光，疑是地上霜。举头望明月，低头思故乡。"
    >>> hits = tp.evidence(post, reg.check(post), registry=reg).to_dict()["matches"]
    >>> rows = [{"id": "post-1", "metadata": None, "hits": hits, "href": "post-1.html"},
    ...         {"id": "post-2", "metadata": None, "hits": []}]
    >>> page = io.StringIO()
    >>> tp.report.index_html(rows, page, title="two posts")
    >>> 'data-id="post-1" data-hits="1" data-work="poem"' in page.getvalue()
    True
    >>> "2 texts checked, 1 copies a registered work" in page.getvalue()
    True
    """
    out.write(
        "<!DOCTYPE html>\n"
        '<html lang="und"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_INDEX_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}{_INDEX_STYLE}</style></head>"
        f"<body>\n<h1>{html.escape(title)}</h1>\n"
        '<table id="posts"><thead><tr>'
    )
    for key, header in _INDEX_COLUMNS:
        out.write(
            f'<th>{header} <a class="sort" href="#sort={key}-asc" title="ascending">▲</a>'
            f'<a class="sort" href="#sort={key}-desc" title="descending">▼</a></th>'
        )
    out.write("</tr></thead><tbody>\n")
    n = found = 0
    for n, row in enumerate(rows, 1):
        hits = row.get("hits") or []
        found += bool(hits)
        top = hits[0] if hits else None
        rid = html.escape(utf8_safe(str(row["id"])))
        name = f'<a href="{html.escape(row["href"])}">{rid}</a>' if row.get("href") else rid
        work = "" if top is None else utf8_safe(str(top["work_id"]))
        title_ = ""
        if top is not None and isinstance(top.get("metadata"), Mapping):
            title_ = utf8_safe(str(top["metadata"].get("title", "")))
        share = 0.0 if top is None else float(top["containment"])
        chars = 0 if top is None else int(top.get("copied_chars") or 0)
        free = None if top is None else top.get("unattributed_share")
        verdict = (
            f"copies {len(hits)} work{'' if len(hits) == 1 else 's'}" if hits else "no copy found"
        )
        out.write(
            f'<tr class="{"copy" if hits else "none"}" data-order="{n}" '
            f'data-id="{rid}" data-hits="{len(hits)}" data-work="{html.escape(work)}" '
            f'data-share="{share:.6f}" data-chars="{chars}" '
            f'data-free="{0.0 if free is None else float(free):.6f}">'
            f"<td>{n}</td><td>{name}</td><td>{verdict}</td>"
            f"<td><code>{html.escape(work)}</code> {html.escape(title_)}</td>"
            f"<td>{'' if top is None else f'{share:.0%}'}</td>"
            f"<td>{'' if top is None else chars}</td>"
            f"<td>{'' if free is None else f'{float(free):.0%}'}</td></tr>\n"
        )
    out.write(
        f'</tbody></table>\n<p class="totals">{n} text{"" if n == 1 else "s"} checked, {found} '
        f"cop{'ies' if found == 1 else 'y'} a registered work.</p>\n"
        f"<script>{_SORT_SCRIPT}</script>\n</body></html>\n"
    )


_INDEX_STYLE = (
    "a.sort{text-decoration:none;font-size:.7em;margin-left:.15em;color:#666}"
    "tr.copy td:nth-child(3){color:#b3261e;font-weight:600}tr.none{color:#666}"
)
