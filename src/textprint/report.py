"""Evidence reports: a checked text and the works it copies, side by side, as JSON or HTML.

The last stage of the pipeline. A reviewer deciding a takedown reads the HTML file: one
self-contained page (inline styles, no script, a Content-Security-Policy that allows no
network request) with the query and each matched work side by side, passages highlighted and
linked to each other, containment both ways, the settings, and SHA-256 digests of both texts.
The JSON form carries the same content, with every offset in code points and in UTF-16 code
units (for JavaScript and Java consumers).

Both forms are UTF-8 text. A lone surrogate (which a Python ``str`` can hold but UTF-8 cannot)
is written as U+FFFD, one for one, as :func:`textprint.normalize` folds it: every offset and
length still points at the same place. The SHA-256 digests are those of the texts as given
(their UTF-8 encoding with surrogates passed through), the same as the registry records.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ._report_pages import CSP, NOTEBOOK_STYLE, STYLE, index_html
from ._results import Result
from ._serialize import hit_json, passages_json
from ._validation import check_text, iterates, utf8_safe
from .errors import InvalidInputError
from .matching import Comparison, Passage
from .registry import Hit, PassageDetail, Registry

__all__ = ["REPORT_FORMAT", "Evidence", "evidence", "index_html"]

REPORT_FORMAT = "textprint-evidence"
REPORT_VERSION = 1


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class _Utf16:
    """Code-point offsets to UTF-16 code-unit offsets of one text."""

    def __init__(self, text: str) -> None:
        self._astral = [i for i, c in enumerate(text) if ord(c) > 0xFFFF]

    def __call__(self, offset: int) -> int:
        import bisect

        return offset + bisect.bisect_left(self._astral, offset)


@dataclass(frozen=True, slots=True)
class _Match:
    work_id: str | int
    metadata: Any
    text: str
    containment: float
    source_containment: float
    jaccard: float
    passages: tuple[Passage, ...]
    copied_chars: int | None = None  # a Registry measure: None for a comparison
    details: tuple[PassageDetail, ...] = ()  # the Hit's evidence (none for a comparison)
    evalue: float | None = None
    attributed: bool | None = None
    unattributed_chars: int | None = None
    unattributed_share: float | None = None


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Evidence(Result):
    """The evidence that a query copies one or more works.

    Build it with :func:`evidence`; render it with :meth:`to_html`, :meth:`to_json` or
    :meth:`to_dict`. In a notebook it shows as the report does, passages highlighted.
    """

    query: str
    matches: tuple[_Match, ...]
    settings: Mapping[str, Any] = field(default_factory=dict)
    created_at: str = ""
    query_id: str | int | None = None
    query_metadata: Any = None

    def _repr_html_(self) -> str:
        body = _body_html(self, "textprint evidence", heading="h3")
        return f"<style>{NOTEBOOK_STYLE}</style>{body}"

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON data (offsets in code points and UTF-16 units).

        Each match is the JSON form of its hit (as the command line writes it), with the work's
        text and digest under ``source`` and every passage offset also in UTF-16 units. Texts
        are as given, lone surrogates included; :meth:`to_json` writes those as U+FFFD.
        """
        q16 = _Utf16(self.query)
        matches = []
        for m in self.matches:
            s16 = _Utf16(m.text)
            match = hit_json(m)
            match["source"] = {
                "sha256": _sha256(m.text),
                "length": len(m.text),
                "length_utf16": s16(len(m.text)),
                "text": m.text,
            }
            match["passages"] = [
                {
                    **pj,
                    "query_start_utf16": q16(p.query_start),
                    "query_end_utf16": q16(p.query_end),
                    "source_start_utf16": s16(p.source_start),
                    "source_end_utf16": s16(p.source_end),
                }
                for p, pj in zip(m.passages, passages_json(m))
            ]
            matches.append(match)
        return {
            "format": REPORT_FORMAT,
            "version": REPORT_VERSION,
            "created_at": self.created_at,
            "settings": dict(self.settings),
            "query": {
                "id": self.query_id,
                "metadata": self.query_metadata,
                "sha256": _sha256(self.query),
                "length": len(self.query),
                "length_utf16": q16(len(self.query)),
                "text": self.query,
            },
            "matches": matches,
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """The report as a JSON string (lone surrogates written as U+FFFD, one for one)."""
        # a lone surrogate can only occur inside a JSON string: replacing it keeps the JSON
        # valid, and a lone surrogate is one UTF-16 unit as U+FFFD is, so offsets stay true
        return utf8_safe(json.dumps(self.to_dict(), ensure_ascii=False, indent=indent))

    def to_html(self, *, title: str = "textprint evidence report", index: str | None = None) -> str:
        """One self-contained HTML page (no script, no network; lone surrogates as U+FFFD).

        `index`, if given, is the relative URL of a batch's index page, linked at the top.
        """
        parts = [
            "<!DOCTYPE html>",
            '<html lang="und"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<link rel="icon" href="data:,">',  # no favicon request either
            f"<title>{html.escape(title)}</title>",
            f"<style>{STYLE}</style></head><body>",
        ]
        if index is not None:
            parts.append(f'<p class="back"><a href="{html.escape(index)}">← all posts</a></p>')
        parts.append(_body_html(self, title, heading="h1"))
        parts.append("</body></html>")
        return utf8_safe("\n".join(parts))


def _body_html(ev: Evidence, title: str, *, heading: str) -> str:
    """The report's content: the page's body, or a notebook's output cell."""
    parts = [f'<div class="textprint-report"><{heading}>{html.escape(title)}</{heading}>']
    parts.append('<section class="summary"><table>')
    if ev.query_id is not None:
        parts.append(
            f"<tr><th>checked text</th><td><code>{html.escape(str(ev.query_id))}</code></td></tr>"
        )
    if ev.query_metadata is not None:
        parts.append(f"<tr><th>its metadata</th><td>{_metadata_html(ev.query_metadata)}</td></tr>")
    parts += [
        f"<tr><th>length</th><td>{len(ev.query)} characters, SHA-256 "
        f"<code>{_sha256(ev.query)}</code></td></tr>",
        f"<tr><th>matched works</th><td>{len(ev.matches)}</td></tr>",
        f"<tr><th>created</th><td>{html.escape(ev.created_at)}</td></tr>",
        "</table></section>",
    ]
    if not ev.matches:
        parts.append('<p class="none">No registered work is copied.</p>')
    for i, m in enumerate(ev.matches):
        parts.append(_match_html(i, ev.query, m))
    parts.append('<section class="settings"><h2>Settings</h2><table>')
    for key, raw in sorted(ev.settings.items(), key=lambda kv: str(kv[0])):
        value = html.escape(str(raw))
        parts.append(f"<tr><th>{html.escape(str(key))}</th><td><code>{value}</code></td></tr>")
    parts.append("</table></section></div>")
    return utf8_safe("\n".join(parts))


def _metadata_html(metadata: Any) -> str:
    """Metadata as a readable table: one row per field, nested values as compact JSON."""
    if not isinstance(metadata, Mapping):
        return f"<code>{html.escape(_compact(metadata))}</code>"
    rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>"
        f"{html.escape(v if isinstance(v, str) else _compact(v))}</td></tr>"
        for k, v in metadata.items()
    )
    return f'<table class="metadata">{rows}</table>'


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _highlight(
    text: str, spans: list[tuple[int, int, int]], side: str, other: str, m: int, kinds: list[str]
) -> str:
    """Escape `text`, wrapping each span (start, end, passage index) in a linked <mark> of the
    passage's class (`kinds`: how the post presents it)."""
    out: list[str] = []
    pos = 0
    for start, end, idx in sorted(spans):
        start = max(start, pos)
        if end <= start:
            continue
        out.append(html.escape(text[pos:start]))
        mark_id = f"m{m}-{side}{idx}"
        target = f"m{m}-{other}{idx}"
        out.append(
            f'<a class="passage" id="{mark_id}" href="#{target}" data-passage="{idx}">'
            f'<mark class="{kinds[idx]}">{html.escape(text[start:end])}</mark></a>'
        )
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


#: How a passage is presented by the post: its mark's class and what the legend calls it.
_PRESENTED = {
    "free": "copied without quotation or attribution",
    "quoted": "quoted",
    "attributed": "attributed (the post names the work)",
    "quoted attributed": "quoted and attributed",
    "plain": "copied",
}


def _presented(match: _Match) -> list[str]:
    """Per passage, the class of its mark: ``plain`` for a comparison (nothing is known)."""
    if len(match.details) != len(match.passages):
        return ["plain"] * len(match.passages)
    out = []
    for d in match.details:
        attributed = bool(match.attributed)
        if d.quoted and attributed:
            out.append("quoted attributed")
        elif d.quoted:
            out.append("quoted")
        elif attributed:
            out.append("attributed")
        else:
            out.append("free")
    return out


def _detail_cells(d: PassageDetail | None) -> str:
    if d is None:
        return "<td></td><td></td>"
    how = d.kind if d.similarity is None or d.kind != "edited" else f"edited ({d.similarity:.0%})"
    evasions = ", ".join(d.evasions) or "none"
    return f"<td>{html.escape(how)}</td><td>{html.escape(evasions)}</td>"


def _evidence_rows(match: _Match) -> str:
    """The Hit's evidence measures (none for a comparison)."""
    if match.evalue is None:
        return ""
    free = match.unattributed_chars if match.unattributed_chars is not None else 0
    share = match.unattributed_share if match.unattributed_share is not None else 0.0
    return (
        f"<tr><th>E-value (works expected to match this strongly by chance)</th>"
        f'<td class="evalue">{match.evalue:.1e}</td></tr>'
        f"<tr><th>the post names the work</th>"
        f"<td>{'yes' if match.attributed else 'no'}</td></tr>"
        f"<tr><th>copied without quotation or attribution</th>"
        f'<td class="unattributed">{free} characters ({share:.1%} of the checked text)</td></tr>'
    )


def _match_html(m: int, query: str, match: _Match) -> str:
    q_spans = [(p.query_start, p.query_end, i) for i, p in enumerate(match.passages)]
    s_spans = [(p.source_start, p.source_end, i) for i, p in enumerate(match.passages)]
    meta = "" if match.metadata is None else _metadata_html(match.metadata)
    kinds = _presented(match)
    details: list[PassageDetail | None] = (
        list(match.details)
        if len(match.details) == len(match.passages)
        else [None] * len(match.passages)
    )
    rows = "".join(
        f'<tr class="{kinds[i]}"><td>{i + 1}</td><td>{p.query_start}–{p.query_end}</td>'
        f"<td>{p.source_start}–{p.source_end}</td><td>{p.query_end - p.query_start}</td>"
        f"<td>{html.escape(_PRESENTED[kinds[i]])}</td>{_detail_cells(details[i])}</tr>"
        for i, p in enumerate(match.passages)
    )
    legend = "".join(
        f'<span class="key"><mark class="{k}">&nbsp;&nbsp;</mark> {html.escape(v)}</span>'
        for k, v in _PRESENTED.items()
        if k in kinds
    )
    return (
        f'<section class="match" id="match{m}">'
        f"<h2>Work <code>{html.escape(str(match.work_id))}</code></h2>"
        f'<div class="meta">{meta}</div>'
        '<table class="measures">'
        f"<tr><th>share of the checked text copied from this work</th>"
        f"<td>{match.containment:.1%}</td></tr>"
        f"<tr><th>share of this work found in the checked text</th>"
        f"<td>{match.source_containment:.1%}</td></tr>"
        f"<tr><th>Jaccard similarity</th><td>{match.jaccard:.3f}</td></tr>"
        f"{_evidence_rows(match)}"
        f"<tr><th>SHA-256 of the work</th><td><code>{_sha256(match.text)}</code></td></tr>"
        "</table>"
        '<table class="passages"><tr><th>#</th><th>checked text</th><th>work</th>'
        "<th>characters</th><th>presented as</th><th>copied</th><th>evasions seen</th></tr>"
        f"{rows}</table>"
        f'<p class="legend">{legend}</p>'
        '<div class="sides">'
        f'<div class="side query"><h3>Checked text</h3><pre>'
        f"{_highlight(query, q_spans, 'q', 's', m, kinds)}</pre></div>"
        f'<div class="side source"><h3>Work {html.escape(str(match.work_id))}</h3><pre>'
        f"{_highlight(match.text, s_spans, 's', 'q', m, kinds)}</pre></div>"
        "</div></section>"
    )


def evidence(
    query: str,
    matches: Sequence[Hit] | Comparison,
    *,
    registry: Registry | None = None,
    sources: Mapping[str | int, str] | None = None,
    source: str | None = None,
    settings: Mapping[str, Any] | None = None,
    query_id: str | int | None = None,
    query_metadata: Any = None,
) -> Evidence:
    """Collect the evidence that `query` copies the matched works.

    Parameters
    ----------
    query : str
        The checked text.
    matches : list of Hit, or Comparison
        Hits from :meth:`Registry.check`, or one :class:`Comparison` from :func:`compare`.
    registry : Registry, optional
        Where the hits' works are read from (their texts and the manifest).
    sources : mapping of work_id to str, optional
        The works' texts, when not read from a registry.
    source : str, optional
        The compared text, for a Comparison.
    settings : mapping, optional
        Settings recorded in the report (default: the registry's manifest or the
        comparison's parameters).
    query_id : str or int, optional
        The checked text's id (a post id), shown in the report.
    query_metadata : JSON value, optional
        The checked text's metadata (author, URL, ...), shown in the report as a table.

    Returns
    -------
    Evidence

    Raises
    ------
    InvalidInputError
        If `query`, `source` or a text in `sources` is not a str, `matches` is neither a
        Comparison nor an iterable of Hits, `registry` is not a Registry, `sources` or
        `settings` is not a mapping, `settings` is not JSON data, or a work's text is missing.

    Examples
    --------
    >>> import textprint as tp
    >>> work = "话说天下大势，分久必合，合久必分。周末七国分争，并入于秦。"
    >>> post = "转：天下大勢，分久必合，合久必分。周末七國分爭，併入於秦。"
    >>> ev = tp.evidence(post, tp.compare(post, work), source=work)
    >>> d = ev.to_dict()
    >>> p = d["matches"][0]["passages"][0]
    >>> post[p["query_start"]:p["query_end"]]
    '天下大勢，分久必合，合久必分。周末七國分爭，併入於秦。'
    >>> "Content-Security-Policy" in ev.to_html()
    True
    """
    check_text(query, "query")
    if settings is not None:
        _check_settings(settings)
    if registry is not None and not isinstance(registry, Registry):
        raise InvalidInputError(f"registry must be a Registry, got {type(registry).__name__}")
    if sources is not None and not isinstance(sources, Mapping):
        raise InvalidInputError(
            f"sources must be a mapping of work_id to text, got {type(sources).__name__}"
        )
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if isinstance(matches, Comparison):
        if source is None:
            raise InvalidInputError("a Comparison needs the compared text: pass source=")
        check_text(source, "source")
        c = matches
        params = {
            "k": c.params.k,
            "seed": c.params.seed,
            "tokenizer": c.params.tokenizer,
            "hash": c.params.hash,
        }
        match = _Match(
            "source", None, source, c.containment, c.source_containment, c.jaccard, c.passages
        )
        items = (match,) if c.passages else ()
        return Evidence(query, items, dict(settings or params), created, query_id, query_metadata)
    if isinstance(matches, (str, bytes, Hit)) or not iterates(matches):
        raise InvalidInputError(
            "matches must be a list of Hits (from Registry.check) or a Comparison (from "
            f"compare), got {type(matches).__name__}"
            + ("; wrap one Hit in a list: [hit]" if isinstance(matches, Hit) else "")
        )
    found: list[_Match] = []
    for hit in matches:
        if not isinstance(hit, Hit):
            raise InvalidInputError(
                f"matches must be Hits or a Comparison, got {type(hit).__name__}"
            )
        if sources is not None and hit.work_id in sources:
            text = check_text(sources[hit.work_id], f"sources[{hit.work_id!r}]")
        elif registry is not None:
            stored = registry.get(hit.work_id).text
            if stored is None:
                raise InvalidInputError(
                    f"the registry does not store the text of {hit.work_id!r} (store_text=False): "
                    "pass sources={work_id: text}"
                )
            text = stored
        else:
            raise InvalidInputError(f"no text for work {hit.work_id!r}: pass registry= or sources=")
        found.append(
            _Match(
                hit.work_id,
                hit.metadata,
                text,
                hit.containment,
                hit.source_containment,
                hit.jaccard,
                hit.passages,
                hit.copied_chars,
                hit.details,
                hit.evalue,
                hit.attributed,
                hit.unattributed_chars,
                hit.unattributed_share,
            )
        )
    if settings is None and registry is not None:
        settings = registry.manifest
    return Evidence(query, tuple(found), dict(settings or {}), created, query_id, query_metadata)


def _check_settings(settings: object) -> None:
    """`settings` must be a mapping that JSON can hold: the report is written as JSON."""
    if not isinstance(settings, Mapping):
        raise InvalidInputError(
            f"settings must be a mapping (a dict of names to JSON values), got "
            f"{type(settings).__name__}"
        )
    try:
        json.dumps(dict(settings), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"settings must hold JSON data (str, numbers, bool, None, lists, dicts): {exc}"
        ) from exc
