"""Matching: the copied passages between two texts, with offsets in both original texts.

Stage 6 of the pipeline. Seed, chain, refine:

1. **Seeds.** Shingles whose hashes are equal in both texts. (The registry finds candidate works
   through winnowed fingerprints; once two texts are paired, every shingle is used: it is
   cheap for two documents and gives exact boundaries.) Hashes that occur more than
   ``MAX_OCCURRENCES`` times in both texts (boilerplate, repeated refrains) are not seeds, so
   the seed pairs stay linear in the texts' lengths.
2. **Chains.** Seeds on one diagonal (``source_shingle - query_shingle`` constant) with gaps of
   at most ``k + 1`` shingles form runs; runs follow each other into one passage when the gap
   between them is at most ``gap`` tokens in both texts, which tolerates the holes that
   substitutions, insertions and deletions leave.
3. **Refinement.** A passage spans from the first token of its first seed to the last token of
   its last seed, then grows token by token while the neighbouring tokens are equal in both
   texts; token spans map back to original-text offsets. A verbatim copy's passage therefore
   ends within a token (and any punctuation around it) of the truth.
4. **Evidence.** A passage needs ``min_tokens`` tokens (default 16 CJK characters or 10 words)
   and seeds covering at least half of them; stock phrases shorter than that give no passage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ._display import comparison_html
from ._params import HashParams
from ._results import Result
from ._validation import check_param, check_text
from .tokenization import Tokenizer, tokenizer_identity

__all__ = ["CompareParams", "Comparison", "Passage", "compare"]


class Passage(NamedTuple):
    """A copied passage: half-open code-point offsets in the original query and source."""

    query_start: int
    query_end: int
    source_start: int
    source_end: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CompareParams(HashParams, what="these comparisons"):
    """Everything that produced a comparison: the shingle hash's settings and what makes a
    passage (``check_compatible`` compares two)."""

    min_tokens: int | None
    gap: int


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Comparison(Result):
    """How much of two texts is shared, and where.

    Attributes
    ----------
    passages : tuple of Passage
        Copied passages, ordered by query offset; original-text offsets in both texts.
    containment : float
        Characters of the query inside passages / characters of the query inside tokens.
    source_containment : float
        The same for the source.
    jaccard : float
        Exact Jaccard similarity of the two shingle sets.
    params : CompareParams
    """

    passages: tuple[Passage, ...]
    containment: float
    source_containment: float
    jaccard: float
    params: CompareParams

    def _repr_html_(self) -> str:
        return comparison_html(self)


def compare(
    query: str,
    source: str,
    *,
    k: int = 5,
    tokenizer: str | Tokenizer = "auto",
    seed: int = 0,
    min_tokens: int | None = None,
    gap: int | None = None,
) -> Comparison:
    """Compare a query text with a source text: containment, Jaccard and copied passages.

    Parameters
    ----------
    query, source : str
    k : int, default 5
        Tokens per shingle.
    tokenizer : str or Tokenizer, default "auto"
    seed : int, default 0
    min_tokens : int, optional
        Minimum passage length in tokens; default 16 for CJK text (characters), 10 for words,
        or the whole text when it is shorter.
    gap : int, optional
        Largest hole, in tokens, an edit may leave inside one passage; default ``3 * k``.

    Returns
    -------
    Comparison
        ``.passages`` (original-text offsets in both texts), ``.containment``,
        ``.source_containment``, ``.jaccard``, ``.params``.

    Raises
    ------
    InvalidInputError
        If a text is not a ``str``.
    InvalidParameterError
        If `k`, `min_tokens` or `gap` is out of range.

    Examples
    --------
    >>> import textprint as tp
    >>> work = ("话说天下大势，分久必合，合久必分。周末七国分争，并入于秦。"
    ...         "及秦灭之后，楚、汉分争，又并入于汉。")
    >>> post = ("转载：天下大勢，分久必合，合久必分：周末七國分爭，併入於秦。"
    ...         "及秦滅之後，楚漢分爭。完")
    >>> c = tp.compare(post, work)
    >>> c.passages
    (Passage(query_start=3, query_end=40, source_start=2, source_end=40),)
    >>> post[3:40]
    '天下大勢，分久必合，合久必分：周末七國分爭，併入於秦。及秦滅之後，楚漢分爭'
    >>> round(c.containment, 2), round(c.source_containment, 2)
    (0.91, 0.82)
    """
    from ._alignment import align, prepare_batch, to_passages  # (they build the types above)

    check_text(query, "query")
    check_text(source, "source")
    k = check_param("k", k)
    seed = check_param("seed", seed)
    if min_tokens is not None:
        min_tokens = check_param("min_tokens", min_tokens)
    gap = 3 * k if gap is None else check_param("gap", gap)
    params = CompareParams(
        k=k, seed=seed, tokenizer=tokenizer_identity(tokenizer), min_tokens=min_tokens, gap=gap
    )
    q, s = prepare_batch([query, source], k=k, seed=seed, tokenizer=tokenizer)
    token_passages, cont, src_cont, jac = align(q, s, k=k, gap=gap, min_tokens=min_tokens)
    return Comparison(
        passages=to_passages(q, s, token_passages),
        containment=cont,
        source_containment=src_cont,
        jaccard=jac,
        params=params,
    )
