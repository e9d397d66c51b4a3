"""What a registry returns: `Work` and `Hit`, the evidence rule, and the one place a Hit is
built."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from .._display import hit_html, short_repr
from .._tables import get_tables
from ..matching import Passage
from ._rows import id_from_db, metadata_from_db
from ._store import WorkIdentity

#: Default evidence for a hit: copied query characters (CJK) or words (other scripts).
MIN_CHARS_CJK = 200
MIN_WORDS = 40
MIN_CONTAINMENT = 0.5


@dataclass(frozen=True, slots=True, eq=False)
class Work:
    """A registered work.

    Attributes
    ----------
    work_id : str or int
    text : str or None
        The registered text (None when the registry was created with ``store_text=False``).
    metadata : Any
        The JSON value given at registration (None by default).
    registered_at : datetime
        When it was registered (UTC).
    sha256 : str
        SHA-256 of the text's UTF-8 encoding (surrogates escaped), for provenance.
    """

    work_id: str | int
    text: str | None
    metadata: Any
    registered_at: datetime
    sha256: str

    def __repr__(self) -> str:
        return short_repr(self)


@dataclass(frozen=True, slots=True, eq=False)
class Hit:
    """One registered work a checked text copies.

    Attributes
    ----------
    work_id : str or int
    metadata : Any
    containment : float
        Share of the QUERY copied from this work (as in :class:`textprint.Comparison`).
    source_containment : float
        Share of the WORK found in the query.
    jaccard : float
        Jaccard similarity of the two shingle sets: exact for a work of up to 8,192
        characters (stored texts); for a longer work, the shingles the two texts share are
        counted in the regions verified around the shared fingerprints; without stored
        texts, estimated from MinHash signatures.
    passages : tuple of Passage
        Copied passages, original-text offsets in the query and the work.
    copied_chars : int
        Characters of the query inside passages, invisible characters (zero-width spaces and
        the like) not counted; what hits are sorted by and what ``min_chars`` is compared with.
    """

    work_id: str | int
    metadata: Any
    containment: float
    source_containment: float
    jaccard: float
    passages: tuple[Passage, ...]
    copied_chars: int

    def __repr__(self) -> str:
        return short_repr(self)

    def _repr_html_(self) -> str:
        return hit_html(self)


@dataclass(frozen=True, slots=True, eq=False)
class Evidence:
    """What verification found of one work (the measures of a Hit, before its identity)."""

    rowid: int
    passages: tuple[Passage, ...]
    containment: float
    source_containment: float
    jaccard: float
    copied_chars: int


def enough(
    cjk: bool,
    words: int,
    copied_chars: int,
    source_containment: float,
    min_chars: int | None,
    min_containment: float,
) -> bool:
    """The evidence rule of a hit: most of the work found, or `min_chars` copied characters
    (default: MIN_CHARS_CJK for CJK text, MIN_WORDS query tokens for other scripts)."""
    if source_containment >= min_containment:
        return True
    if min_chars is not None:
        return copied_chars >= min_chars
    if cjk:
        return copied_chars >= MIN_CHARS_CJK
    return words >= MIN_WORDS


def visible_chars(text: str, passages: Sequence[Passage]) -> int:
    """Characters of `text` inside the passages that normalization keeps: invisible
    characters (zero-width spaces, bidi controls, variation selectors...) do not count, so
    sprinkling them into a copy cannot inflate the evidence."""
    fold_len = get_tables().fold_len
    total = 0
    for p in passages:
        cps = np.frombuffer(
            text[p.query_start : p.query_end].encode("utf-32-le", "surrogatepass"), dtype="<u4"
        )
        total += int(np.count_nonzero(fold_len[np.minimum(cps, 0x10FFFF)]))
    return total


def build_hit(found: Evidence, who: WorkIdentity) -> Hit:
    """The Hit of a verified work: the one place a Hit is built."""
    return Hit(
        work_id=id_from_db(who.work_id, who.id_is_int),
        metadata=metadata_from_db(who.metadata),
        containment=min(1.0, found.containment),
        source_containment=min(1.0, found.source_containment),
        jaccard=found.jaccard,
        passages=found.passages,
        copied_chars=found.copied_chars,
    )


def hit_order(h: Hit) -> tuple[int, int, int, str]:
    """Most copied characters first; ties by work_id (integers numerically, before strings)."""
    wid = h.work_id
    if isinstance(wid, int):
        return (-h.copied_chars, 0, wid, "")
    return (-h.copied_chars, 1, 0, wid)


def ranked(hits: list[Hit], top_k: int | None) -> list[Hit]:
    hits.sort(key=hit_order)
    return hits[:top_k] if top_k else hits
