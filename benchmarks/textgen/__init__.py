"""The benchmarks' text generators, in one place: copies with evasions, works, slices.

A *work* is a real text (a registered work in a registry-like benchmark). A *copy case* takes
200-1,500 characters of one work (or the whole work when it is shorter), optionally cuts them
into 2-4 pieces and reorders them, applies edits, embeds the result between two stretches of
unrelated *host* text (0-1,200 characters each, from documents other than the work's), and then
applies formatting evasions to the whole query. An *unrelated case* is host text alone, with the
same formatting evasions, checked to share no run of 12 characters (Chinese, Japanese) or 8
words (English) with ANY work.

Ground truth survives every edit: each character of the query being built carries a tag (which
copied piece it belongs to, or host), and every transform maps tagged characters to tagged
characters. A piece's truth is ``(query_start, query_end)`` = the first and last query character
tagged with it (offsets in the final query string, i.e. ORIGINAL query offsets), and
``(source_start, source_end)`` = the range of the work it was copied from.

Evasions (each drawn independently; a share of the cases is kept verbatim):

``traditional`` (zh)
    OpenCC ``s2t`` over the whole query.
``fullwidth``
    ASCII letters, digits and symbols to their full-width forms (U+FF01-U+FF5E, space to U+3000);
    in Japanese also katakana to half-width katakana (a voiced kana becomes two characters).
``zerowidth``
    Zero-width and invisible characters (U+200B, U+200C, U+200D, U+2060, U+FEFF, U+00AD) inserted
    at 2-10% of the positions.
``lookalike`` (en)
    Latin a, e, o, p, c (and capitals) to the Cyrillic look-alikes, 30-100% of them.
``punctuation``
    Punctuation replaced by other marks or deleted (e.g. ``，`` to ``,``, ``。`` to ``.``, ``,`` to
    ``;``), 50-100% of it.
``rewrap`` (en)
    Lines re-wrapped at 40-80 columns; half of the words crossing the margin are hyphenated
    (``exam-\\nple``).
``case``
    Upper, lower or title case, or upper-cased sentences (Latin letters only).
``edits``
    1-5% of the copied characters (zh, ja) or words (en) substituted, inserted or deleted.
``shuffle``
    The copied text cut into 2-4 pieces (each at least 60 CJK characters or 90 English
    characters, fewer pieces when the copy is too short), which are put in another order.

Modules: `evasions` (tagged text and the transforms above), `copies` (copy and unrelated
cases, the run guard), `works` (works and hosts per language from the corpora), `slices`
(corpus slices of chosen lengths and lightly edited windows, for the speed benchmarks).

Everything random comes from a ``random.Random`` that the caller seeds.
"""

from __future__ import annotations

from .copies import Case, CopyGenerator, Piece, RunGuard, Work, check_case, drop_overlapping
from .evasions import EVASIONS, HOST, LOOKALIKE, ZERO_WIDTH, Tagged

__all__ = [
    "EVASIONS",
    "HOST",
    "LOOKALIKE",
    "ZERO_WIDTH",
    "Case",
    "CopyGenerator",
    "Piece",
    "RunGuard",
    "Tagged",
    "Work",
    "check_case",
    "drop_overlapping",
]
