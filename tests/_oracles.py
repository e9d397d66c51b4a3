"""Independent oracles for the Registry's index: clusters of editions, document frequencies and
the common-phrase limit, computed from the works' texts and the documented rules alone.

Nothing here reads what the Registry stored: the clusters come from the works' MinHash
signatures and the documented edition rule, the document frequencies from the works'
fingerprints and those clusters. A consistency check that compares the index with these
(rather than with the cluster column the code under test wrote) can see a wrong clustering
decision. The rules, as the Registry documents them:

* **Editions.** When a work is registered it joins the cluster of the registered work most
  similar to it, if that similarity (the MinHash estimate: the share of signature positions
  where both signatures hold the same value, EMPTY positions never counting) is at least
  ``EDITION_THRESHOLD`` (0.5) and the two signatures agree on at least one whole LSH band
  (``optimal_bands(0.5, n_hashes)``: band ``b`` is positions ``[b * rows, (b + 1) * rows)``).
  Ties go to the cluster started first. Otherwise it starts a new cluster. A too-short work
  (every position EMPTY) is a cluster of its own that nobody joins. Clusters are never merged
  or split afterwards: removing a work leaves the others where they are, and a replaced work
  is removed, then registered again (last). ``rebuild()`` registers every work again, in
  registration order.
* **Document frequency.** A fingerprint hash counts once per cluster holding it.
* **Common phrases.** A hash is common when its document frequency reaches
  ``max(50, ceil(0.1% of the clusters))``.

Band equality is tested on the signature values themselves, not on band keys, so the oracle
does not share the index's hashing. The Registry's lead wires these into the index
consistency check (tests/_registry_worker.py); tests/test_registry_boundaries.py uses them
through the public API.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

import textprint as tp
from textprint.lsh import optimal_bands

EDITION_THRESHOLD = 0.5
COMMON_MIN = 50
COMMON_SHARE = 0.001
EMPTY = np.uint64(2**64 - 1)

#: One step of a registry's history: ("register", work_id, text) or ("remove", work_id, None).
Event = tuple[Literal["register", "remove"], str | int, str | None]


@dataclass(frozen=True)
class Settings:
    """The settings the index was built with (as in a registry's manifest)."""

    k: int = 5
    window: int = 10
    n_hashes: int = 128
    tokenizer: str = "auto"
    seed: int = 0
    scheme: str = "oph"

    @classmethod
    def of(cls, manifest: dict[str, str]) -> Settings:
        return cls(
            k=int(manifest["k"]),
            window=int(manifest["window"]),
            n_hashes=int(manifest["n_hashes"]),
            tokenizer=manifest["tokenizer"],
            seed=int(manifest["seed"]),
            scheme=manifest["scheme"],
        )


def estimate(a: np.ndarray, b: np.ndarray) -> float:
    """The share of positions where both signatures hold the same non-EMPTY value."""
    return float(np.count_nonzero((a == b) & (a != EMPTY))) / len(a)


def share_a_band(a: np.ndarray, b: np.ndarray, bands: int, rows: int) -> bool:
    equal = a[: bands * rows] == b[: bands * rows]
    return bool(equal.reshape(bands, rows).all(axis=1).any())


@dataclass
class Clusters:
    """Works present and their cluster labels (label = order in which the cluster started)."""

    label: dict[str | int, int] = field(default_factory=dict)
    signature: dict[str | int, np.ndarray] = field(default_factory=dict)
    text: dict[str | int, str] = field(default_factory=dict)

    def partition(self) -> set[frozenset[str | int]]:
        """The clusters as sets of work ids (labels do not matter, membership does)."""
        groups: dict[int, set[str | int]] = {}
        for work_id, label in self.label.items():
            groups.setdefault(label, set()).add(work_id)
        return {frozenset(g) for g in groups.values()}

    @property
    def n_clusters(self) -> int:
        return len(set(self.label.values()))


def edition_clusters(events: Iterable[Event], settings: Settings | None = None) -> Clusters:
    """Replay a registry's history under the documented edition rule.

    `events` in the order they were committed; a ``register`` of a work id already present
    is a replacement (remove, then register).
    """
    s = settings or Settings()
    hasher = tp.MinHasher(s.n_hashes, k=s.k, tokenizer=s.tokenizer, seed=s.seed, scheme=s.scheme)
    bands, rows = optimal_bands(EDITION_THRESHOLD, n_hashes=s.n_hashes)
    out = Clusters()
    started = 0
    for op, work_id, text in events:
        if work_id in out.label:
            del out.label[work_id], out.signature[work_id], out.text[work_id]
        if op == "remove":
            continue
        assert text is not None
        sig = hasher.signatures([text]).values[0]  # all EMPTY when the text is too short
        best: tuple[float, int] | None = None
        if not bool((sig == EMPTY).all()):
            for other, other_sig in out.signature.items():
                if bool((other_sig == EMPTY).all()):
                    continue
                if not share_a_band(sig, other_sig, bands, rows):
                    continue
                est = estimate(sig, other_sig)
                label = out.label[other]
                if est >= EDITION_THRESHOLD and (
                    best is None or est > best[0] or (est == best[0] and label < best[1])
                ):
                    best = (est, label)
        if best is None:
            out.label[work_id] = started
            started += 1
        else:
            out.label[work_id] = best[1]
        out.signature[work_id] = sig
        out.text[work_id] = text
    return out


def document_frequencies(clusters: Clusters, settings: Settings | None = None) -> dict[int, int]:
    """Fingerprint hash (as SQLite stores it: signed 64-bit) -> clusters holding it."""
    s = settings or Settings()
    ids = list(clusters.text)
    fps = tp.fingerprints(
        [clusters.text[w] for w in ids], k=s.k, window=s.window, tokenizer=s.tokenizer, seed=s.seed
    )
    holders: dict[int, set[int]] = {}
    for work_id, fp in zip(ids, fps):
        for h in set(np.asarray(fp.hashes, dtype=np.uint64).view(np.int64).tolist()):
            holders.setdefault(h, set()).add(clusters.label[work_id])
    return {h: len(c) for h, c in holders.items()}


def common_limit(n_clusters: int) -> int:
    return max(COMMON_MIN, math.ceil(COMMON_SHARE * n_clusters))


def common_hashes(clusters: Clusters, settings: Settings | None = None) -> set[int]:
    """The (signed) fingerprint hashes that are common phrases, not evidence."""
    limit = common_limit(clusters.n_clusters)
    return {h for h, n in document_frequencies(clusters, settings).items() if n >= limit}


def events_of(items: Sequence[tuple[str | int, str]]) -> list[Event]:
    """``register_many(items)`` as events."""
    return [("register", w, t) for w, t in items]
