"""The Registry: register protected works once, check incoming texts against them.

Stage 7 of the pipeline (index -> match -> report). A registry is one SQLite file (or an
in-memory database) holding the works (their texts compressed in blocks), an inverted index of
their winnowed fingerprints and of the MinHash band keys that group near-duplicate works
(editions, re-registrations) in immutable posting segments, and a manifest of every setting and
version that produced the index.

Retrieval is driven by containment, not Jaccard: a post that copies 200 characters of a long
work shares only a few percent of its shingles, but every copied run of ``window + k - 1``
tokens shares a winnowed fingerprint. Works sharing fingerprints with the query are
candidates; those whose shared fingerprints leave room for a hit are verified by aligning the
query with them around the shared fingerprints, and reported as one :class:`Hit` per copied
work.

Fingerprints that occur in many works that are not near-duplicates of each other
(boilerplate, idioms, licence footers: at least ``max(50, 0.1%)`` of the clusters of
near-duplicate works) do not count as evidence.

The package has one module per stage: `_store` (the file and its rows), `_postings` and
`_segments` (the index), `_prepare` (one pass over a text), `_candidates` (lookups, common
phrases, the bound), `_significance` (E-values), `_verify` (alignment and measures),
`_evidence` and `_quotes` (how each passage was copied, quotation, attribution), `_long`
(huge texts), `_results` (`Hit`, `PassageDetail`, `Work`, the evidence rule), `_upgrade`
(format 1 files) and `_registry` (the facade).
"""

from __future__ import annotations

from ._registry import Registry
from ._results import Hit, PassageDetail, Work
from ._store import FORMAT, FORMAT_VERSION

__all__ = ["FORMAT", "FORMAT_VERSION", "Hit", "PassageDetail", "Registry", "Work"]
