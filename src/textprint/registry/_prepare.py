"""Texts prepared once: one normalization, tokenization and shingling per text per check.

A registration needs each work's winnowed fingerprints, its MinHash signature and a few counts;
a check needs the query's fingerprints and its alignment view (`Prepared`); verification needs
the alignment view of regions of works. All of them come from one pass over the text: tokens,
then the shingle hashes (reused by winnowing, MinHash and alignment), then the token hashes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._alignment import Prepared, cjk_docs
from .._shingles import ShingleBatch, hash_shingles
from .._tables import CLASS_HAN, CLASS_KANA
from .._text_runs import KANA_SHARE
from .._tokens import TokenBatch, tokenize_batch
from .._typing import BoolArray, Int64Array, UInt64Array
from .._winnow import winnow_batch

#: Texts are prepared in groups of about this many characters (a longer text alone): the
#: temporaries of one group stay small (about 150 bytes a character at their peak).
GROUP_CHARS = 1 << 16


@dataclass(slots=True, eq=False)
class Text:
    """One prepared text.

    ``fp_*`` are its winnowed fingerprints (64-bit hashes, original spans); ``prepared`` its
    alignment view (None when not asked for); the counts are those a registry stores.
    """

    fp_hashes: UInt64Array
    fp_starts: Int64Array
    fp_ends: Int64Array
    prepared: Prepared | None
    shingle_hashes: UInt64Array  # every shingle's hash, in order
    n_tokens: int
    token_chars: int
    cjk: bool
    doc_ja: bool
    _distinct: UInt64Array | None = None

    @property
    def shingles(self) -> UInt64Array:
        """Distinct shingle hashes, sorted (computed when first asked for)."""
        if self._distinct is None:
            self._distinct = np.unique(self.shingle_hashes)
        return self._distinct

    @property
    def n_shingles(self) -> int:
        """How many distinct shingles the text holds (computed when first asked for: the
        pieces of works a check aligns never need it)."""
        if self._distinct is not None:
            return len(self._distinct)
        # a sort: cheaper than a unique for a few thousand values
        if len(self.shingle_hashes) < 2:
            return len(self.shingle_hashes)
        ordered = np.sort(self.shingle_hashes)
        return 1 + int(np.count_nonzero(ordered[1:] != ordered[:-1]))


def groups(lengths: Sequence[int], limit: int = GROUP_CHARS) -> list[tuple[int, int]]:
    """Consecutive index ranges of texts holding about `limit` characters each."""
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(lengths):
        j, size = i, 0
        while j < len(lengths) and (j == i or size + lengths[j] <= limit):
            size += lengths[j]
            j += 1
        out.append((i, j))
        i = j
    return out


def prepare(
    texts: Sequence[str],
    *,
    k: int,
    window: int,
    seed: int,
    tokenizer: str,
    align: bool,
    minima: object = None,
    han_only_ja: BoolArray | None = None,
) -> tuple[list[Text], list[UInt64Array]]:
    """Prepare `texts` (in groups of about GROUP_CHARS characters).

    `align`: also build the alignment view. `minima`: a callable taking a ShingleBatch and
    returning its signatures (shape (n_docs, n_hashes)); their rows are returned too.
    `han_only_ja`: per text, the language decision of its Han-only runs (pieces of works take
    their whole work's); by default each text's own.
    """
    out: list[Text] = []
    sigs: list[UInt64Array] = []
    for a, b in groups([len(t) for t in texts]):
        group = list(texts[a:b])
        flags = None if han_only_ja is None else han_only_ja[a:b]
        tokens = tokenize_batch(group, tokenizer, han_only_ja=flags)
        sh = hash_shingles(tokens, k=k, seed=seed)
        uni = hash_shingles(tokens, k=1, seed=seed) if align else None
        out.extend(_texts(group, tokens, sh, uni, window))
        if minima is not None:
            sigs.extend(minima(sh))  # type: ignore[operator]
    return out, sigs


def _doc_ja(tokens: TokenBatch) -> list[bool]:
    """Per document: whether its kana share makes its Han-only runs Japanese (normalization's
    document rule), from its normalized characters."""
    norm = tokens._norm
    n_docs = tokens.n_docs
    if norm is None:
        return [False] * n_docs
    doc = np.repeat(np.arange(n_docs, dtype=np.int64), np.diff(norm.bounds))
    han = np.bincount(doc[norm.classes == CLASS_HAN], minlength=n_docs)
    kana = np.bincount(doc[norm.classes == CLASS_KANA], minlength=n_docs)
    return [bool(k_ > 0 and k_ >= KANA_SHARE * (h + k_)) for h, k_ in zip(han, kana)]


def _texts(
    texts: list[str],
    tokens: TokenBatch,
    sh: ShingleBatch,
    uni: ShingleBatch | None,
    window: int,
) -> list[Text]:
    selected = winnow_batch(sh.hashes, sh.bounds, window)
    cut = np.searchsorted(selected, sh.bounds).tolist()
    doc = np.repeat(np.arange(len(cut) - 1, dtype=np.int64), np.diff(np.asarray(cut)))
    first, last = sh.first_last(selected, doc)
    fp_starts, fp_ends = tokens.spans(first, last, doc)
    fp_hashes = sh.hashes[selected]
    doc_ja = _doc_ja(tokens)
    cjk_of = cjk_docs(tokens).tolist()
    n_tok = np.diff(tokens.bounds)
    tok_doc = np.repeat(np.arange(len(texts), dtype=np.int64), n_tok)
    lens = tokens.ends - tokens.starts
    token_chars = np.bincount(tok_doc, weights=lens, minlength=len(texts)).astype(np.int64)
    out: list[Text] = []
    for d, text in enumerate(texts):
        ta, tb = int(tokens.bounds[d]), int(tokens.bounds[d + 1])
        sa, sb = int(sh.bounds[d]), int(sh.bounds[d + 1])
        i, j = cut[d], cut[d + 1]
        starts, ends = tokens.starts[ta:tb], tokens.ends[ta:tb]
        cjk = cjk_of[d]
        prepared = None
        if uni is not None:
            f = sh.token[sa:sb] - ta
            prepared = Prepared(
                text=text,
                shingles=sh.hashes[sa:sb],
                shingle_last=np.minimum(f + sh.params.k - 1, tb - ta - 1),
                unigrams=uni.hashes[ta:tb],
                tok_starts=starts,
                tok_ends=ends,
                cjk=cjk,
            )
        out.append(
            Text(
                fp_hashes=fp_hashes[i:j],
                fp_starts=fp_starts[i:j],
                fp_ends=fp_ends[i:j],
                prepared=prepared,
                shingle_hashes=sh.hashes[sa:sb],
                n_tokens=tb - ta,
                token_chars=int(token_chars[d]),
                cjk=cjk,
                doc_ja=doc_ja[d],
            )
        )
    return out


def shifted(p: Prepared, offset: int, text: str) -> Prepared:
    """`p` (of a piece of `text` starting at `offset`) with offsets into `text`."""
    return Prepared(
        text=text,
        shingles=p.shingles,
        shingle_last=p.shingle_last,
        unigrams=p.unigrams,
        tok_starts=p.tok_starts + offset,
        tok_ends=p.tok_ends + offset,
        cjk=p.cjk,
    )


def token_slice(p: Prepared, a: int, b: int) -> Prepared:
    """The tokens ``[a, b)`` of `p` and the shingles lying wholly inside them."""
    first = np.arange(len(p.shingles), dtype=np.int64) if len(p.shingles) else np.zeros(0, np.int64)
    # shingle i starts at token i (every token starts one, but a text shorter than k has one)
    inside = (first >= a) & (p.shingle_last < b)
    idx = np.flatnonzero(inside)
    return Prepared(
        text=p.text,
        shingles=p.shingles[idx],
        shingle_last=p.shingle_last[idx] - a,
        unigrams=p.unigrams[a:b],
        tok_starts=p.tok_starts[a:b],
        tok_ends=p.tok_ends[a:b],
        cjk=p.cjk,
    )


def doc_ja_of(fold_han: int, fold_kana: int) -> bool:
    return fold_kana > 0 and fold_kana >= KANA_SHARE * (fold_han + fold_kana)


def unique_shingles(p: Prepared) -> UInt64Array:
    out: UInt64Array = np.unique(p.shingles)
    return out
