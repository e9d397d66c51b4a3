"""The one JSON form of a hit and of a passage, and JSON lines that UTF-8 can hold.

Every output that writes hits (the command line's JSONL, CSV and Parquet, the evidence
reports, the batch report's index) builds them here, so a field added to :class:`Hit` is
added to every output at once. The form::

    {"work_id": ..., "metadata": ..., "containment": ..., "source_containment": ...,
     "jaccard": ..., "copied_chars": ...,
     "passages": [{"query_start": ..., "query_end": ..., "source_start": ..., "source_end": ...}]}

Offsets are code points of the original texts, as everywhere in textprint.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from ._validation import LONE_SURROGATE
from .matching import Passage

__all__ = ["HIT_FIELDS", "HitLike", "hit_json", "json_line", "passage_json"]

#: The fields of a hit's JSON form, in order.
HIT_FIELDS = (
    "work_id",
    "metadata",
    "containment",
    "source_containment",
    "jaccard",
    "copied_chars",
    "passages",
)


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


def passage_json(p: Passage) -> dict[str, int]:
    """A passage as ``{"query_start", "query_end", "source_start", "source_end"}``."""
    return {
        "query_start": int(p.query_start),
        "query_end": int(p.query_end),
        "source_start": int(p.source_start),
        "source_end": int(p.source_end),
    }


def hit_json(hit: HitLike) -> dict[str, Any]:
    """The JSON form of one hit (plain data: json.dumps takes it as it is)."""
    return {
        "work_id": hit.work_id,
        "metadata": hit.metadata,
        "containment": float(hit.containment),
        "source_containment": float(hit.source_containment),
        "jaccard": float(hit.jaccard),
        "copied_chars": None if hit.copied_chars is None else int(hit.copied_chars),
        "passages": [passage_json(p) for p in hit.passages],
    }


def json_line(obj: Any) -> str:
    """`obj` as one line of JSON that UTF-8 can hold, lone surrogates as ``\\udXXX`` escapes.

    A raw lone surrogate can only occur inside a JSON string, where its escape means the same
    (``json.loads`` gives it back; a JSON input cannot hold a raw one, so ids read from one are
    written back as they were read).
    """
    raw = json.dumps(obj, ensure_ascii=False)
    return LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", raw)
