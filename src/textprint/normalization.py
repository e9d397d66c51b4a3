"""Normalization: the matching view of a text, with a map back to the original characters.

Stage 1 of the pipeline (normalize -> tokenize -> hash -> winnow | minhash -> ...). The folds
and their order are documented on :func:`normalize`; the batch machinery behind it lives in
the private modules :mod:`textprint._normbatch` (the fast and the exact path),
:mod:`textprint._folding` (composition, white space) and :mod:`textprint._text_runs` (the
language rule and where a text may be cut).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from types import ModuleType

from ._kernels import text_of
from ._normbatch import normalize_batch
from ._results import SizedResult
from ._tables import get_tables
from ._typing import Int64Array
from ._validation import check_text
from .errors import InvalidParameterError

__all__ = ["NORMALIZATION_VERSION", "Normalized", "normalization_identity", "normalize"]

#: Version of the normalization rules (tables have their own version, recorded beside it).
NORMALIZATION_VERSION = "3"
#: Longest text for the compiled single-text path (:mod:`textprint._plain`); longer texts
#: take the batch path, which is as fast per character from there on.
_PLAIN_MAX = 1 << 16


@functools.cache
def _plain() -> ModuleType:
    """textprint._plain, imported on first use (it imports the later stages' rules)."""
    from . import _plain

    return _plain


@functools.cache
def normalization_identity() -> str:
    """Identity of the normalization rules and tables, recorded in every result."""
    return f"normalize-{NORMALIZATION_VERSION}+{get_tables().identity}"


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Normalized(SizedResult, size="text"):
    """The matching view of a text.

    Attributes
    ----------
    text : str
        Fully folded text: NFKC, case folding, invisible characters removed, Traditional ->
        Simplified on Chinese runs, katakana -> hiragana, small kana and old kanji forms folded
        on Japanese runs, look-alike letters folded, line-break hyphenation joined, whitespace
        unified. Punctuation and whitespace stay.
    starts, ends : ndarray of shape (len(text),), dtype=int64
        Normalized character ``i`` came from ``original[starts[i]:ends[i]]``. Characters expanded
        from one original character share its span; removed characters belong to no span; spans
        are non-decreasing.
    identity : str
        Normalization rules and table versions that produced this view.
    """

    text: str
    starts: Int64Array
    ends: Int64Array
    identity: str

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalized range ``[start, end)`` back to a range of the original text.

        Examples
        --------
        >>> import textprint as tp
        >>> n = tp.normalize("ＡＢＣ\u200b漢字")
        >>> n.text
        'abc汉字'
        >>> n.source_span(3, 5)
        (4, 6)
        """
        if not 0 <= start < end <= len(self.text):
            raise InvalidParameterError(
                f"range [{start}, {end}) must satisfy 0 <= start < end <= {len(self.text)}"
            )
        return int(self.starts[start]), int(self.ends[end - 1])


def normalize(text: str) -> Normalized:
    """Return the matching view of `text`, with spans back to the original characters.

    Parameters
    ----------
    text : str
        Any string. Lone surrogates become U+FFFD one for one; the empty string gives an empty
        result.

    Returns
    -------
    Normalized
        ``.text`` (the folded view), ``.starts`` and ``.ends`` (ndarray of shape (len(.text),),
        dtype=int64: original span of each normalized character), ``.identity``.

    Raises
    ------
    InvalidInputError
        If `text` is not a ``str``.

    Notes
    -----
    The folds, in order: NFKC with full case folding (Unicode 14.0.0 tables shipped in the
    package; clusters of a base and combining marks take an exact composition path, where a
    base with no composite for a mark composes as its kana or look-alike fold does, so small
    "ㇰ" + U+3099 is "ぐ"), removal of invisible characters (default ignorables and control
    characters), whitespace unified and collapsed, whitespace between two CJK characters
    removed, hyphenated line breaks joined; then, per run of text between sentence ends,
    Traditional -> Simplified on Chinese runs and kyujitai -> shinjitai on Japanese runs
    (OpenCC 1.4.2 character data; a run's language comes from its kana share, see
    docs/explanation/normalization.md), and everywhere katakana -> hiragana, small kana ->
    large kana and look-alike letters -> Latin. Last, decorative separators go: a token
    character repeated after every one to three characters, in a chain of at least five within
    a sentence ("天丶下丶大丶势丶分丶久"; the rule and its limits are in
    ``textprint._separators``); their original characters are removed and the rest is
    normalized again. The result is idempotent: normalizing it again changes nothing.

    Examples
    --------
    >>> import textprint as tp
    >>> tp.normalize("Ｈｅｌｌｏ，\u200b世界！").text
    'hello,世界!'
    >>> tp.normalize("學而時習之").text
    '学而时习之'
    >>> tp.normalize("カタカナとひらがな").text
    'かたかなとひらがな'
    >>> n = tp.normalize("㈱")
    >>> n.text, n.starts.tolist(), n.ends.tolist()
    ('(株)', [0, 0, 0], [1, 1, 1])
    """
    check_text(text)
    plain = _plain()
    funcs = plain.compiled() if len(text) <= _PLAIN_MAX else None
    found = None if funcs is None else plain.fold(text, funcs)
    if found is not None:  # the compiled single-text path: each span is one character
        folded, starts = found
        ends = starts + 1
        starts.flags.writeable = False
        ends.flags.writeable = False
        return Normalized(
            text=text_of(folded), starts=starts, ends=ends, identity=normalization_identity()
        )
    batch, _ = normalize_batch([text])
    starts = batch.starts
    ends = batch.ends
    starts.flags.writeable = False
    ends.flags.writeable = False
    return Normalized(
        text=batch.text(0), starts=starts, ends=ends, identity=normalization_identity()
    )
