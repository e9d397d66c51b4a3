"""What a registry returns: `Work`, `Hit` and `PassageDetail`, the evidence rule, and the one
place a Hit is built."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from .._display import hit_html, short_repr
from .._tables import get_tables
from ..matching import Passage
from . import _quotes
from ._evidence import PassageFacts, unattributed
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
class PassageDetail:
    """How one passage of a :class:`Hit` was copied, and how the checked text presents it.

    ``hit.details[i]`` describes ``hit.passages[i]``.

    Attributes
    ----------
    kind : {"identical", "edited", "unknown"}
        ``"identical"``: the passage's tokens are the work's, in the matching view (every
        difference of the original characters is one normalization folds: width, case,
        Traditional forms, invisible characters...); ``"edited"``: tokens were substituted,
        inserted or deleted; ``"unknown"``: the registry keeps no texts to align.
    similarity : float or None
        Share of the aligned characters (of the tokens of both sides) that are equal: 1.0 when
        identical. None when the registry keeps no texts.
    evasions : tuple of str
        What the text's original characters over the passage show that the work's do not,
        among ``"fullwidth"``, ``"invisible"``, ``"lookalike"``, ``"separators"``,
        ``"traditional"`` (see docs/explanation/evidence.md).
    quoted : bool
        The passage stands inside quotation marks or a block quote of the checked text (at
        least 90 % of it; marks copied inside the passage, a novel's dialogue, do not count).
    attributed : bool
        The checked text names the work (its metadata's ``title`` or ``author``) within 100
        characters before or after the passage.
    chars : int
        Visible characters of the checked text inside the passage.
    """

    kind: str
    similarity: float | None
    evasions: tuple[str, ...]
    quoted: bool
    attributed: bool
    chars: int


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
    details : tuple of PassageDetail
        One per passage, in the same order: identical or edited, similarity, evasions seen,
        quoted, attributed.
    evalue : float or None
        The expected number of registered works that would share evidence at least this
        strong with a text of this length by chance (as BLAST's E-value): below 0.01 a hit is
        very unlikely to be chance; 0.0 when too small for a float. None for a Hit not made
        by a check.
    attributed : bool
        The checked text names the work (its ``title`` or ``author`` metadata) near one of
        the passages.
    unattributed_chars : int or None
        Visible characters of the passages that are neither quoted nor attributed (0 when the
        hit is attributed): what ``unattributed_only=True`` compares with ``min_chars``.
    unattributed_share : float or None
        Share of the QUERY copied from this work outside quotations and without attribution
        (counted as `containment` is, so at most `containment`).
    """

    work_id: str | int
    metadata: Any
    containment: float
    source_containment: float
    jaccard: float
    passages: tuple[Passage, ...]
    copied_chars: int
    details: tuple[PassageDetail, ...] = ()
    evalue: float | None = None
    attributed: bool = False
    unattributed_chars: int | None = None
    unattributed_share: float | None = None

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
    facts: tuple[PassageFacts, ...] = ()
    evalue: float = math.inf
    cjk: bool = False
    q_token_chars: int = 0  # characters of the query's tokens (the containment denominator)


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


def build_hit(found: Evidence, who: WorkIdentity, text: str | _quotes.NameView) -> Hit:
    """The Hit of a verified work in checked text `text`: the one place a Hit is built.

    Attribution is decided here, where the work's metadata is known (`_quotes.attributions`;
    a `_quotes.NameView` of the text serves every Hit of it).
    """
    metadata = metadata_from_db(who.metadata)
    titles, authors = _quotes.names_of(metadata)
    near = _quotes.attributions(
        text, [(p.query_start, p.query_end) for p in found.passages], titles, authors
    )
    attributed = any(near)
    _, _, free_token_chars = unattributed(found.facts, attributed)
    free_chars = _free_chars(found, attributed)
    return Hit(
        work_id=id_from_db(who.work_id, who.id_is_int),
        metadata=metadata,
        containment=min(1.0, found.containment),
        source_containment=min(1.0, found.source_containment),
        jaccard=found.jaccard,
        passages=found.passages,
        copied_chars=found.copied_chars,
        details=tuple(
            PassageDetail(f.kind, f.similarity, f.evasions, f.quoted, a, f.chars)
            for f, a in zip(found.facts, near)
        ),
        evalue=found.evalue,
        attributed=attributed,
        unattributed_chars=free_chars,
        unattributed_share=(
            min(found.containment, free_token_chars / found.q_token_chars)
            if found.q_token_chars
            else 0.0
        ),
    )


def _free_chars(found: Evidence, attributed: bool) -> int:
    """Unattributed visible characters (at most the Hit's copied characters: merged
    passages of a long text may count a character twice)."""
    chars, _, _ = unattributed(found.facts, attributed)
    return min(chars, found.copied_chars)


def unattributed_enough(
    found: Evidence, hit: Hit, min_chars: int | None, min_containment: float
) -> bool:
    """The evidence rule applied to the passages neither quoted nor attributed: their visible
    characters (or, in other scripts, tokens) against `min_chars`, or the share of the work
    they cover against `min_containment` (estimated as the Hit's source containment times
    their share of its copied characters)."""
    chars, tokens, _ = unattributed(found.facts, hit.attributed)
    share = hit.source_containment * chars / hit.copied_chars if hit.copied_chars else 0.0
    return enough(found.cjk, tokens, chars, share, min_chars, min_containment)


def hits_of(
    found: Sequence[Evidence],
    who: Mapping[int, WorkIdentity],
    text: str,
    *,
    min_chars: int | None,
    min_containment: float,
    top_k: int | None,
    unattributed_only: bool,
) -> list[Hit]:
    """The Hits of one checked text, best first: every verified work still registered (`who`),
    with ``unattributed_only`` only those whose unattributed passages pass the evidence rule
    on their own."""
    hits = []
    view = _quotes.NameView(text)
    for e in found:
        if e.rowid not in who:
            continue
        h = build_hit(e, who[e.rowid], view)
        if unattributed_only and not unattributed_enough(e, h, min_chars, min_containment):
            continue
        hits.append(h)
    return ranked(hits, top_k)


def hit_order(h: Hit) -> tuple[int, int, int, str]:
    """Most copied characters first; ties by work_id (integers numerically, before strings)."""
    wid = h.work_id
    if isinstance(wid, int):
        return (-h.copied_chars, 0, wid, "")
    return (-h.copied_chars, 1, 0, wid)


def ranked(hits: list[Hit], top_k: int | None) -> list[Hit]:
    hits.sort(key=hit_order)
    return hits[:top_k] if top_k else hits
