"""A check: for each prepared text, its lookup, its candidates, their verification and its
hits. `candidates_of` and the verification functions are the stages a Registry and an engine
that checks elsewhere (the Spark integration) run alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from .._typing import UInt64Array
from . import _candidates, _postings, _significance
from ._prepare import Text
from ._results import MIN_CHARS_CJK, MIN_WORDS, Evidence, Hit, hits_of
from ._verify import verify_fingerprints, verify_texts

if TYPE_CHECKING:
    from ._registry import Registry


class Options(NamedTuple):
    """The evidence options of one check call (validated)."""

    min_chars: int | None
    min_containment: float
    top_k: int | None
    unattributed_only: bool = False


def candidates_of(
    q: Text,
    look: _candidates.Lookup,
    *,
    window: int,
    k: int,
    opts: Options,
    sizes: _significance.RegistrySizes,
) -> tuple[list[_candidates.Candidate], list[tuple[int, int]]]:
    """The candidates of one prepared text (its index lookup done) and the spans of its
    common phrases; `sizes`: the registry's work sizes (for the E-values)."""
    boilerplate = _candidates.common_spans(look.common, q.fp_starts, q.fp_ends)
    p = q.prepared
    assert p is not None
    n = p.n_tokens
    per_token = (int(p.tok_ends[-1]) - int(p.tok_starts[0])) / n if n else 1.0
    cands = _candidates.candidates(
        look,
        q.fp_starts,
        q.fp_ends,
        q_len=len(p.text),
        q_token_starts=p.tok_starts,
        q_chars_per_token=per_token,
        margin=_candidates.margin_tokens(window, k),
        join=_candidates.join_tokens(window, k),
        cjk=p.cjk,
        min_chars=opts.min_chars,
        min_words=MIN_WORDS,
        min_chars_cjk=MIN_CHARS_CJK,
        min_containment=opts.min_containment,
        limit=max(_candidates.MAX_CANDIDATES, opts.top_k or 0),
        segment_gap=_significance.segment_gap(window, k),
        chance_model=_significance.model_of(p.cjk, q.doc_ja),
        sizes=sizes,
    )
    return cands, boilerplate


def find_candidates(
    reg: Registry, q: Text, opts: Options
) -> tuple[list[_candidates.Candidate], list[tuple[int, int]]]:
    """The candidates of one prepared text in a registry, and the spans of its common
    phrases."""
    look = _candidates.find(
        lambda keys: reg._index.lookup(_postings.FP, keys),
        q.fp_hashes,
        reg._limit(),
        cache=reg._index.common,
    )
    return candidates_of(q, look, window=reg.window, k=reg.k, opts=opts, sizes=reg._work_sizes())


def check_batch(reg: Registry, docs: list[str], opts: Options) -> list[list[Hit]]:
    """Check texts as one batch: one preparation pass, then per text its candidates,
    their verification, and the hits."""
    prepared, sigs = reg._prepare(docs, align=True, sign=not reg.store_text)
    found: list[list[Evidence]] = []
    for d, q in enumerate(prepared):
        cands, boilerplate = reg._find_candidates(q, opts)
        found.append(verify(reg, q, cands, boilerplate, sigs[d] if sigs else None, opts))
    return hits(reg, found, opts, docs)


def verify(
    reg: Registry,
    q: Text,
    cands: list[_candidates.Candidate],
    boilerplate: list[tuple[int, int]],
    q_signature: UInt64Array | None,
    opts: Options,
) -> list[Evidence]:
    if not cands:
        return []
    db = reg._db
    stats = db.stats(c.rowid for c in cands)
    cands = [c for c in cands if c.rowid in stats]  # removed meanwhile: not in the snapshot
    if not reg.store_text:
        assert q_signature is not None
        with db.lock:
            sigs = db.signatures(db.conn, [c.rowid for c in cands])
        return verify_fingerprints(
            q,
            cands,
            stats,
            q_signature,
            sigs,
            window=reg.window,
            k=reg.k,
            min_chars=opts.min_chars,
            min_containment=opts.min_containment,
        )
    return verify_texts(
        q,
        cands,
        reg._texts(stats),
        k=reg.k,
        seed=reg.seed,
        tokenizer=reg.tokenizer,
        window=reg.window,
        boilerplate=boilerplate,
        min_chars=opts.min_chars,
        min_containment=opts.min_containment,
    )


def hits(
    reg: Registry, found: list[list[Evidence]], opts: Options, texts: Sequence[str]
) -> list[list[Hit]]:
    """The Hits of checked `texts` from their verified evidence (`hits_of`)."""
    who = reg._db.identities(e.rowid for ev in found for e in ev)
    return [
        hits_of(
            ev,
            who,
            text,
            min_chars=opts.min_chars,
            min_containment=opts.min_containment,
            top_k=opts.top_k,
            unattributed_only=opts.unattributed_only,
        )
        for ev, text in zip(found, texts)
    ]
