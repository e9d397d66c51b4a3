"""Tokenization of a batch into flat arrays (private): the currency of the hashing stage.

A `TokenBatch` holds every token of a batch as a range of code points of the normalized text,
with its span in the original text computed on first use. Character tokens (``"char"``) come
from the character classes in a few numpy passes; word tokens come from the analyzers
(:mod:`textprint._analyzers`) run over the analyzers' view of the normalized text; a user
tokenizer is called text by text. `piece_cuts` tells where a long text may be cut so that its
pieces, tokenized alone with the whole text's language decision, give the whole text's tokens
(the contract is :func:`textprint._text_runs.safe_cuts`'s).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._kernels import codepoints, text_of
from ._normbatch import NormalizedBatch, normalize_batch, normalize_exact
from ._tables import CLASS_HAN, CLASS_HANGUL, CLASS_KANA, CLASS_NEWLINE, CLASS_SPACE, CLASS_WORD
from ._text_runs import piece_bounds
from ._typing import BoolArray, Int64Array, UInt32Array
from .errors import InvalidParameterError
from .tokenization import Tokenizer, Tokens, resolve_tokenizer, tokenizer_identity

__all__ = ["TokenBatch", "piece_cuts", "tokenize_batch"]

#: Tokenizers whose tokens never cross a sentence end (。!?): a long text may be cut after one.
#: The others (MeCab, Sudachi) segment whole lines, so a long text is cut only at line breaks.
_SENTENCE_TOKENIZERS = ("char", "jieba")


class TokenBatch:
    """Flat token arrays for a batch (the currency between tokenization and hashing).

    Token ``i`` is the code points ``cps[tok_start[i]:tok_end[i]]``; its original span is
    ``starts[i]:ends[i]`` (local to its document); document ``d`` owns tokens
    ``bounds[d]:bounds[d + 1]``. Spans are computed on first use when the batch comes from
    normalization (the signature path never needs them).
    """

    __slots__ = (
        "_ends",
        "_lang",
        "_norm",
        "_starts",
        "bounds",
        "cps",
        "identity",
        "tok_end",
        "tok_start",
        "unit_tokens",
    )

    def __init__(
        self,
        *,
        cps: UInt32Array,
        tok_start: Int64Array,
        tok_end: Int64Array,
        bounds: Int64Array,
        lang: tuple[str, ...] | None,
        identity: str,
        starts: Int64Array | None = None,
        ends: Int64Array | None = None,
        norm: NormalizedBatch | None = None,
        unit_tokens: bool = False,
    ) -> None:
        if (starts is None or ends is None) and norm is None:
            raise ValueError("TokenBatch needs starts and ends, or the NormalizedBatch")
        if lang is None and norm is None:
            raise ValueError("TokenBatch needs lang, or the NormalizedBatch")
        self.cps = cps
        self.tok_start = tok_start
        self.tok_end = tok_end
        self.bounds = bounds
        self._lang = lang  # None: the normalized batch's, computed on first use
        self.identity = identity
        self._starts = starts
        self._ends = ends
        self._norm = norm
        # True when every token is known to be one code point long (a hint: False means
        # "not known", and the hashing computes token lengths itself)
        self.unit_tokens = unit_tokens

    @property
    def lang(self) -> tuple[str, ...]:
        if self._lang is None:
            assert self._norm is not None
            self._lang = self._norm.doc_lang
        return self._lang

    @property
    def starts(self) -> Int64Array:
        if self._starts is None:
            assert self._norm is not None
            self._starts = self._norm.span_start(self.tok_start)
        return self._starts

    @property
    def ends(self) -> Int64Array:
        if self._ends is None:
            assert self._norm is not None
            self._ends = self._norm.span_end(self.tok_end - 1)
        return self._ends

    def spans(
        self, first: Int64Array, last: Int64Array, doc: Int64Array
    ) -> tuple[Int64Array, Int64Array]:
        """Original start of the tokens at `first` and end of those at `last`, pairs in the
        documents `doc` (without computing every token's span)."""
        if self._starts is not None or self._norm is None:
            return self.starts[first], self.ends[last]
        return self._norm.spans(self.tok_start[first], self.tok_end[last] - 1, doc)

    def span_start(self, idx: Int64Array) -> Int64Array:
        """Original starts of the tokens at `idx` (without computing every token's)."""
        if self._starts is not None or self._norm is None:
            return self.starts[idx]
        return self._norm.span_start(self.tok_start[idx])

    def span_end(self, idx: Int64Array) -> Int64Array:
        """Original ends of the tokens at `idx`."""
        if self._ends is not None or self._norm is None:
            return self.ends[idx]
        return self._norm.span_end(self.tok_end[idx] - 1)

    def han_kana(self) -> tuple[Int64Array, Int64Array]:
        """Per document, its Han and kana characters in the matching view (the counts the
        Han-only decision of `textprint._text_runs` is made of). Not for a user tokenizer's
        batch (which has no normalized view)."""
        assert self._norm is not None, "a user tokenizer's batch has no normalized view"
        return self._norm.han_kana()

    @property
    def n_docs(self) -> int:
        return len(self.bounds) - 1

    def doc_tokens(self, doc: int) -> Tokens:
        a, b = int(self.bounds[doc]), int(self.bounds[doc + 1])
        # decode only this document's stretch of code points (not the whole batch)
        lo = int(self.tok_start[a]) if b > a else 0
        hi = int(self.tok_end[b - 1]) if b > a else 0
        text = text_of(self.cps[lo:hi])
        toks = tuple(
            text[s - lo : e - lo]
            for s, e in zip(self.tok_start[a:b].tolist(), self.tok_end[a:b].tolist())
        )
        starts = self.starts[a:b].copy()
        ends = self.ends[a:b].copy()
        starts.flags.writeable = False
        ends.flags.writeable = False
        return Tokens(toks, starts, ends, self.lang[doc], self.identity)


def _runs(mask: BoolArray, bounds: Int64Array) -> tuple[BoolArray, BoolArray]:
    """Start and end marks of the maximal runs of `mask` inside each document."""
    n = len(mask)
    first = np.zeros(n + 1, dtype=bool)
    first[bounds] = True
    cont = np.zeros(n, dtype=bool)  # continues the run of the previous character
    cont[1:] = mask[1:] & mask[:-1] & ~first[1:n]
    more = np.zeros(n, dtype=bool)  # the next character continues this run
    more[:-1] = cont[1:]
    return mask & ~cont, mask & ~more


def _char_tokens(
    batch: NormalizedBatch, *, han_as_chars: bool = True
) -> tuple[Int64Array, Int64Array]:
    """Runs of word characters are one token; each CJK character is a token."""
    start, end, _ = _char_token_spans(batch, han_as_chars=han_as_chars)
    return start, end


def _char_token_spans(
    batch: NormalizedBatch, *, han_as_chars: bool = True
) -> tuple[Int64Array, Int64Array, bool]:
    """`_char_tokens`, and whether every token is known to be one character long."""
    cls = batch.classes
    cjk = (cls == CLASS_KANA) | (cls == CLASS_HANGUL)
    if han_as_chars:
        cjk |= cls == CLASS_HAN
    word = cls == CLASS_WORD
    if not word.any():  # no letter or digit: every token is one CJK character
        start = np.flatnonzero(cjk)
        return start, start + 1, True
    w_start, w_end = _runs(word, batch.bounds)
    # a token starts at a CJK character or a word's first character, and ends likewise; both
    # marks are in text order, so no sort is needed
    start = np.flatnonzero(cjk | w_start)
    end = np.flatnonzero(cjk | w_end) + 1
    return start.astype(np.int64), end.astype(np.int64), False


def _han_runs(batch: NormalizedBatch) -> tuple[Int64Array, Int64Array]:
    start, end = _runs(batch.classes == CLASS_HAN, batch.bounds)
    return np.flatnonzero(start).astype(np.int64), np.flatnonzero(end).astype(np.int64) + 1


def _analyzer_tokens(batch: NormalizedBatch, name: str) -> tuple[Int64Array, Int64Array]:
    from ._analyzers import get_analyzer

    analyzer = get_analyzer(name)
    starts: list[int] = []
    ends: list[int] = []
    if name == "jieba":
        # Only Han runs go to jieba; kana, Hangul and Latin words are tokenized as by "char".
        o_start, o_end = _char_tokens(batch, han_as_chars=False)
        r_start, r_end = _han_runs(batch)
        for a, b in zip(r_start.tolist(), r_end.tolist()):
            for s, e in analyzer.segment(text_of(batch.analysis[a:b])):
                starts.append(a + s)
                ends.append(a + e)
        start = np.concatenate([o_start, np.array(starts, dtype=np.int64)])
        end = np.concatenate([o_end, np.array(ends, dtype=np.int64)])
        order = np.argsort(start, kind="stable")
        return start[order], end[order]
    token_class = np.isin(batch.classes, [CLASS_WORD, CLASS_HAN, CLASS_KANA, CLASS_HANGUL])
    space = np.isin(batch.classes, [CLASS_SPACE, CLASS_NEWLINE])
    for d in range(len(batch.bounds) - 1):
        a, b = int(batch.bounds[d]), int(batch.bounds[d + 1])
        for s, e in analyzer.segment(text_of(batch.analysis[a:b])):
            s, e = a + s, a + e
            if not token_class[s:e].any():
                continue
            # An analyzer may glue white space to a word: NFKC turns "¯" into " \u0304" and
            # Sudachi returns the two as one word. Tokens never carry white space at their ends.
            while space[s]:
                s += 1
            while space[e - 1]:
                e -= 1
            # Sudachi keeps some names as one word with an inner space ("Sherlock Holmes"):
            # tokens are joined by one space in shingles, so a token must not hold one; split
            # it where the space is, as the same name wrapped onto two lines is split.
            inner = np.flatnonzero(space[s:e])
            if len(inner):
                piece = s
                for p in [*(inner + s).tolist(), e]:
                    if p > piece and token_class[piece:p].any():
                        starts.append(piece)
                        ends.append(p)
                    piece = p + 1
                continue
            starts.append(s)
            ends.append(e)
    return np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64)


def tokenize_batch(
    texts: Sequence[str],
    tokenizer: str | Tokenizer = "auto",
    *,
    han_only_ja: BoolArray | None = None,
) -> TokenBatch:
    """Tokenize a batch of texts into flat arrays (the fast path of :func:`tokenize`).

    `han_only_ja` (one flag per text) gives the texts' Han-only language decision instead of
    their own (a piece of a long text takes the whole text's; see `piece_cuts`).
    """
    tok = resolve_tokenizer(tokenizer)
    identity = tokenizer_identity(tok)
    if not isinstance(tok, str):
        return _user_batch(texts, tok, identity)
    # analyzers read the `analysis` view, which only the exact path computes as it goes
    normalizer = normalize_batch if tok == "char" else normalize_exact
    batch, _ = normalizer(texts, han_only_ja)
    unit = False
    if tok == "char":
        t_start, t_end, unit = _char_token_spans(batch)
    else:
        t_start, t_end = _analyzer_tokens(batch, tok)
    # tokens never cross documents: document d owns the tokens starting in its character range
    bounds = np.searchsorted(t_start, batch.bounds, side="left").astype(np.int64)
    return TokenBatch(
        cps=batch.folded,
        tok_start=t_start,
        tok_end=t_end,
        norm=batch,
        bounds=bounds,
        lang=None,
        identity=identity,
        unit_tokens=unit,
    )


def _user_batch(texts: Sequence[str], tok: Tokenizer, identity: str) -> TokenBatch:
    parts: list[str] = []
    starts: list[Int64Array] = []
    ends: list[Int64Array] = []
    counts: list[int] = []
    langs: list[str] = []
    for text in texts:
        t = tok.tokenize(text)
        if not isinstance(t, Tokens):
            raise InvalidParameterError(
                f"tokenizer {tok.identity!r} returned {type(t).__name__}, expected Tokens"
            )
        parts.extend(t.tokens)
        starts.append(np.asarray(t.starts, dtype=np.int64))
        ends.append(np.asarray(t.ends, dtype=np.int64))
        counts.append(len(t.tokens))
        langs.append(t.lang)
    lengths = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
    tok_end = np.cumsum(lengths)
    bounds = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(counts, out=bounds[1:])
    return TokenBatch(
        cps=codepoints("".join(parts)),
        tok_start=tok_end - lengths,
        tok_end=tok_end,
        starts=np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64),
        ends=np.concatenate(ends) if ends else np.zeros(0, dtype=np.int64),
        bounds=bounds,
        lang=tuple(langs),
        identity=identity,
    )


def piece_cuts(text: str, max_chars: int, tokenizer: str | Tokenizer) -> list[int]:
    """Cuts ``[0, c1, ..., len(text)]`` of a long text into pieces of about `max_chars`
    characters that `tokenizer` tokenizes as it tokenizes the whole text (given the whole
    text's Han-only decision): after sentence ends for ``"char"`` and ``"jieba"``, at line
    breaks only for the analyzers that segment whole lines. A text for a user tokenizer is
    never cut (``[0, len(text)]``)."""
    tok = resolve_tokenizer(tokenizer)
    if not isinstance(tok, str):
        return [0, len(text)]
    return piece_bounds(text, max_chars, lines_only=tok not in _SENTENCE_TOKENIZERS)
