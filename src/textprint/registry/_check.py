"""One check of one prepared text, from its lookup to its evidence: the stages a Registry and an
engine that checks elsewhere (the Spark integration) run alike."""

from __future__ import annotations

from typing import NamedTuple

from . import _candidates, _significance
from ._prepare import Text
from ._results import MIN_CHARS_CJK, MIN_WORDS


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
