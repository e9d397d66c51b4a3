"""Short reprs and notebook views of the result types.

A result may hold a novel and arrays of a million offsets; its repr shows what identifies it
(ids, lengths, the first characters of a text, array shapes and dtypes, scalar measures) in
one line of a few hundred characters at most. Each result class hooks in with a one-line
``__repr__`` (and ``_repr_html_``) in its body; the rules live here.
"""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["comparison_html", "hit_html", "short_repr", "short_value"]

#: Characters of a text shown in a repr.
TEXT_CHARS = 24
#: Characters of one field's repr at most (a long one is cut, with its length kept).
FIELD_CHARS = 80
#: Passages listed in a repr.
PASSAGES_SHOWN = 2


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def short_value(value: Any) -> str:
    """One field's value, short: a text's first characters and length, an array's shape."""
    if isinstance(value, str):
        if len(value) <= TEXT_CHARS:
            return repr(value)
        return f"{value[:TEXT_CHARS]!r}… ({len(value)} chars)"
    if isinstance(value, np.ndarray):
        shape = "×".join(str(n) for n in value.shape) or "scalar"
        return f"{value.dtype}[{shape}]"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, tuple) and value and all(_is_passage(p) for p in value):
        shown = ", ".join(_passage(p) for p in value[:PASSAGES_SHOWN])
        more = f", … {len(value) - PASSAGES_SHOWN} more" if len(value) > PASSAGES_SHOWN else ""
        return f"({len(value)}: {shown}{more})"
    if isinstance(value, (tuple, list)) and len(value) > 8:
        return f"{type(value).__name__} of {len(value)}"
    return _cut(repr(value), FIELD_CHARS)


def _is_passage(p: Any) -> bool:
    return hasattr(p, "query_start") and hasattr(p, "source_end")


def _passage(p: Any) -> str:
    return f"[{p.query_start}:{p.query_end}]→[{p.source_start}:{p.source_end}]"


def short_repr(obj: Any) -> str:
    """``Name(field=value, ...)`` with every value made short by :func:`short_value`."""
    fields = ", ".join(
        f"{f.name}={short_value(getattr(obj, f.name))}" for f in dataclasses.fields(obj) if f.repr
    )
    return f"{type(obj).__name__}({fields})"


# -- notebook views -------------------------------------------------------------------------

_STYLE = (
    "<style>.textprint-result table{border-collapse:collapse}"
    ".textprint-result th,.textprint-result td{border:1px solid #ccc;padding:.15rem .4rem;"
    "text-align:left}.textprint-result th{background:#f4f4f6}</style>"
)


def _measures(title: str, rows: Sequence[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<p><b>{title}</b></p><table>{body}</table>"


def _passages(passages: Sequence[Any], query: str, source: str) -> str:
    rows = "".join(
        f"<tr><td>{i + 1}</td><td>{p.query_start}–{p.query_end}</td>"
        f"<td>{p.source_start}–{p.source_end}</td><td>{p.query_end - p.query_start}</td></tr>"
        for i, p in enumerate(passages)
    )
    return (
        f"<table><tr><th>#</th><th>{query} characters</th><th>{source} characters</th>"
        f"<th>length</th></tr>{rows}</table>"
    )


def _metadata(metadata: Any) -> str:
    if isinstance(metadata, Mapping):
        return "<br>".join(
            f"{html.escape(_cut(str(k), FIELD_CHARS))}: "
            f"{html.escape(_cut(v if isinstance(v, str) else _json(v), FIELD_CHARS))}"
            for k, v in metadata.items()
        )
    return html.escape(_cut(_json(metadata), FIELD_CHARS))


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def hit_html(hit: Any) -> str:
    """A hit as a table of its measures and passages (a hit holds offsets, not texts: pass
    it to :func:`textprint.evidence` to see the passages highlighted in both texts)."""
    rows = [
        ("work", f"<code>{html.escape(str(hit.work_id))}</code>"),
        ("metadata", _metadata(hit.metadata)),
        ("share of the query copied", f"{hit.containment:.1%}"),
        ("share of the work found", f"{hit.source_containment:.1%}"),
        ("Jaccard", f"{hit.jaccard:.3f}"),
        ("copied characters", str(hit.copied_chars)),
    ]
    if hit.evalue is not None:
        rows.append(("E-value", f"{hit.evalue:.1e}"))
    if hit.unattributed_chars is not None:
        rows.append(("names the work", "yes" if hit.attributed else "no"))
        rows.append(("copied without quotation or attribution", str(hit.unattributed_chars)))
    return (
        f'{_STYLE}<div class="textprint-result">{_measures("Hit", rows)}'
        f"{_passages(hit.passages, 'query', 'work')}"
        "<p><i>tp.evidence(query, [hit], registry=reg) shows the passages highlighted.</i></p>"
        "</div>"
    )


def comparison_html(c: Any) -> str:
    """A comparison as a table of its measures and passages."""
    rows = [
        ("share of the query copied", f"{c.containment:.1%}"),
        ("share of the source found", f"{c.source_containment:.1%}"),
        ("Jaccard", f"{c.jaccard:.3f}"),
        ("passages", str(len(c.passages))),
    ]
    return (
        f'{_STYLE}<div class="textprint-result">{_measures("Comparison", rows)}'
        f"{_passages(c.passages, 'query', 'source')}"
        "<p><i>tp.evidence(query, comparison, source=source) shows the passages "
        "highlighted.</i></p></div>"
    )
