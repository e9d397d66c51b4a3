"""The one JSON form of a hit and of a passage, and JSON lines that UTF-8 can hold.

Every output that writes hits (the command line's JSONL, CSV and Parquet, the evidence
reports, the batch report's index) builds them here, so a field added to :class:`Hit` is
added to every output at once. The form::

    {"work_id": ..., "metadata": ..., "containment": ..., "source_containment": ...,
     "jaccard": ..., "copied_chars": ..., "evalue": ..., "attributed": ...,
     "unattributed_chars": ..., "unattributed_share": ...,
     "passages": [{"query_start": ..., "query_end": ..., "source_start": ..., "source_end": ...,
                   "kind": ..., "similarity": ..., "evasions": [...], "quoted": ...,
                   "attributed": ..., "chars": ...}]}

Offsets are code points of the original texts, as everywhere in textprint. A comparison's match
(no Registry measures) has None for the Hit's evidence fields and passages without details.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from ._validation import LONE_SURROGATE
from .matching import Passage
from .registry import PassageDetail

__all__ = [
    "DETAIL_KEYS",
    "HIT_FIELDS",
    "PASSAGE_KEYS",
    "HitLike",
    "hit_json",
    "json_line",
    "passage_json",
    "passages_json",
]

#: The fields of a hit's JSON form, in order.
HIT_FIELDS = (
    "work_id",
    "metadata",
    "containment",
    "source_containment",
    "jaccard",
    "copied_chars",
    "evalue",
    "attributed",
    "unattributed_chars",
    "unattributed_share",
    "passages",
)

#: The keys of a passage's JSON form, and those its detail adds.
PASSAGE_KEYS = ("query_start", "query_end", "source_start", "source_end")
DETAIL_KEYS = ("kind", "similarity", "evasions", "quoted", "attributed", "chars")


class HitLike(Protocol):
    """What the JSON form reads: a :class:`Hit`, or a report's match of a comparison."""

    @property
    def work_id(self) -> str | int: ...
    @property
    def metadata(self) -> Any: ...
    @property
    def containment(self) -> float: ...
    @property
    def source_containment(self) -> float: ...
    @property
    def jaccard(self) -> float: ...
    @property
    def copied_chars(self) -> int | None: ...
    @property
    def passages(self) -> Sequence[Passage]: ...


def passage_json(p: Passage, detail: PassageDetail | None = None) -> dict[str, Any]:
    """A passage as ``{"query_start", "query_end", "source_start", "source_end"}``, and its
    `detail`'s fields (kind, similarity, evasions, quoted, attributed, chars) when given."""
    out: dict[str, Any] = {k: int(getattr(p, k)) for k in PASSAGE_KEYS}
    if detail is not None:
        out.update(
            kind=detail.kind,
            similarity=detail.similarity,
            evasions=list(detail.evasions),
            quoted=detail.quoted,
            attributed=detail.attributed,
            chars=int(detail.chars),
        )
    return out


def passages_json(hit: HitLike) -> list[dict[str, Any]]:
    """The passages of a hit with their details (a comparison's match has none)."""
    details: Sequence[PassageDetail] = getattr(hit, "details", ())
    if len(details) != len(hit.passages):
        return [passage_json(p) for p in hit.passages]
    return [passage_json(p, d) for p, d in zip(hit.passages, details)]


def hit_json(hit: HitLike) -> dict[str, Any]:
    """The JSON form of one hit (plain data: json.dumps takes it as it is)."""
    evalue = getattr(hit, "evalue", None)
    unattributed_share = getattr(hit, "unattributed_share", None)
    unattributed_chars = getattr(hit, "unattributed_chars", None)
    return {
        "work_id": hit.work_id,
        "metadata": hit.metadata,
        "containment": float(hit.containment),
        "source_containment": float(hit.source_containment),
        "jaccard": float(hit.jaccard),
        "copied_chars": None if hit.copied_chars is None else int(hit.copied_chars),
        "evalue": None if evalue is None else float(evalue),
        "attributed": getattr(hit, "attributed", None),
        "unattributed_chars": None if unattributed_chars is None else int(unattributed_chars),
        "unattributed_share": None if unattributed_share is None else float(unattributed_share),
        "passages": passages_json(hit),
    }


def json_line(obj: Any) -> str:
    """`obj` as one line of JSON that UTF-8 can hold, lone surrogates as ``\\udXXX`` escapes.

    A raw lone surrogate can only occur inside a JSON string, where its escape means the same
    (``json.loads`` gives it back; a JSON input cannot hold a raw one, so ids read from one are
    written back as they were read).
    """
    raw = json.dumps(obj, ensure_ascii=False)
    return LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", raw)
