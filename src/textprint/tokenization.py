"""Tokenization: CJK-aware tokens of the matching view, with spans in the original text.

Stage 2 of the pipeline. Punctuation and whitespace are never tokens. The batch machinery
(flat token arrays for many texts) lives in the private module :mod:`textprint._tokens`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ._results import SizedResult
from ._typing import Int64Array
from ._validation import check_text
from .errors import InvalidParameterError
from .normalization import normalization_identity

__all__ = [
    "TOKENIZERS",
    "Tokenizer",
    "Tokens",
    "resolve_tokenizer",
    "tokenize",
    "tokenizer_identity",
]

#: Names accepted by ``tokenizer=``.
TOKENIZERS = ("auto", "char", "jieba", "mecab", "sudachi")
#: What "auto" resolves to: character tokens beat word tokens on edited copies and cost a
#: fraction of the time (measured by benchmarks/bench_tokenizers.py, docs/benchmarks/
#: tokenizers.md). Frozen: changing it changes fingerprints and is a format change.
AUTO_TOKENIZER = "char"
#: Version of the character tokenizer's rules, part of its identity.
CHAR_VERSION = "1"


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Tokens(SizedResult, size="tokens"):
    """Tokens of a text.

    Attributes
    ----------
    tokens : tuple of str
        Normalized token strings (never punctuation or whitespace).
    starts, ends : ndarray of shape (n_tokens,), dtype=int64
        Span of each token in the ORIGINAL text: ``text[starts[i]:ends[i]]`` is its surface form.
    lang : str
        The document's dominant language: "zh", "ja", "ko" or "other".
    tokenizer : str
        The resolved tokenizer identity (name, version, dictionary digest), never "auto".
    """

    tokens: tuple[str, ...]
    starts: Int64Array
    ends: Int64Array
    lang: str
    tokenizer: str


@runtime_checkable
class Tokenizer(Protocol):
    """A user tokenizer: an identity string and a ``tokenize(text) -> Tokens`` method."""

    identity: str

    def tokenize(self, text: str) -> Tokens: ...


def resolve_tokenizer(tokenizer: str | Tokenizer) -> str | Tokenizer:
    """Return the concrete tokenizer name (or the user object) for `tokenizer`."""
    if isinstance(tokenizer, str):
        if tokenizer not in TOKENIZERS:
            raise InvalidParameterError(
                f"tokenizer={tokenizer!r} must be one of {', '.join(map(repr, TOKENIZERS))} "
                "or an object with the Tokenizer protocol (identity, tokenize)"
            )
        return AUTO_TOKENIZER if tokenizer == "auto" else tokenizer
    if not isinstance(tokenizer, Tokenizer) or not isinstance(
        getattr(tokenizer, "identity", None), str
    ):
        raise InvalidParameterError(
            f"tokenizer={tokenizer!r} must be a name or an object with the Tokenizer protocol "
            "(an `identity: str` attribute and a `tokenize(text) -> Tokens` method)"
        )
    return tokenizer


#: Version of the rules that turn MeCab's and Sudachi's words into tokens (2: a word with an
#: inner space is split there). Part of their identity, so registries notice a change.
WORDS_VERSION = 2


def tokenizer_identity(tokenizer: str | Tokenizer) -> str:
    """Identity of a tokenizer, including the normalization it runs on.

    What ``Tokens.tokenizer`` and every result's parameters record: the name, the versions and
    a digest of the dictionary (for the analyzers), and the normalization identity.

    Examples
    --------
    >>> from textprint.tokenization import tokenizer_identity
    >>> tokenizer_identity("auto").startswith("char-1+normalize-3+tables-1")
    True
    """
    tok = resolve_tokenizer(tokenizer)
    if not isinstance(tok, str):
        return f"user:{tok.identity}"
    if tok == "char":
        return f"char-{CHAR_VERSION}+{normalization_identity()}"
    from ._analyzers import get_analyzer

    identity = get_analyzer(tok).identity
    if tok != "jieba":  # MeCab and Sudachi words go through _analyzer_tokens' rules
        identity += f"+words-{WORDS_VERSION}"
    return f"{identity}+{normalization_identity()}"


def tokenize(text: str, tokenizer: str | Tokenizer = "auto") -> Tokens:
    """Cut `text` into normalized tokens with spans in the original text.

    Parameters
    ----------
    text : str
        Any string (the empty string gives no tokens).
    tokenizer : {"auto", "char", "jieba", "mecab", "sudachi"} or Tokenizer, default "auto"
        "char": each CJK character is a token, runs of letters and digits elsewhere are words.
        "jieba": Chinese words (only Han runs go to jieba, HMM off). "mecab" (fugashi +
        unidic-lite) and "sudachi" (mode B): Japanese words, extra ``textprint[ja]``.
        "auto" is the measured default ("char"). A user object with the `Tokenizer` protocol is
        called as is.

    Returns
    -------
    Tokens
        ``.tokens``, ``.starts``/``.ends`` (ndarray of shape (n_tokens,), dtype=int64, spans in
        the original text), ``.lang``, ``.tokenizer`` (resolved identity).

    Raises
    ------
    InvalidInputError
        If `text` is not a ``str``.
    InvalidParameterError
        If `tokenizer` is not a known name or a Tokenizer.
    MissingDependencyError
        If the analyzer's package is not installed (the message names the pip extra).

    Examples
    --------
    >>> import textprint as tp
    >>> t = tp.tokenize("學而時習之，不亦說乎？ Hello, World!")
    >>> t.tokens
    ('学', '而', '时', '习', '之', '不', '亦', '说', '乎', 'hello', 'world')
    >>> t.lang, t.starts[:3].tolist(), t.ends[-1].item()
    ('zh', [0, 1, 2], 24)
    >>> tp.tokenize("我来到北京清华大学", tokenizer="jieba").tokens
    ('我', '来到', '北京', '清华大学')
    """
    from ._tokens import tokenize_batch  # (the batch machinery builds on the classes above)

    check_text(text)
    return tokenize_batch([text], tokenizer).doc_tokens(0)
