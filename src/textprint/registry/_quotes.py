"""Quotation and attribution: how a text marks what it copies as someone else's.

**Quotations.** A stretch of text is quoted when it lies between quotation marks or in a block
quote:

* pairs ``“”`` ``‘’`` ``「」`` ``『』`` ``«»`` ``‹›`` ``〝〞`` (or ``〝〟``) ``„“`` ``‚‘``
  ``﹁﹂`` ``﹃﹄`` ``｢｣``, and the straight marks ``"`` ``＂`` ``'`` ``＇`` used in pairs (a
  ``'`` between two letters or digits is an apostrophe, not a mark);
* lines starting with ``>`` or ``＞`` (a block quote, as e-mail and Markdown write it; ``>>``
  is a quote inside a quote).

Marks pair up innermost first, so quotations nest (``「他说『……』」``). A closing mark closes
the innermost open mark it can close; marks left open inside it are closed there. A quotation
goes on into the next paragraph (after a blank line) when that paragraph starts with the same
opening mark, as quotations of several paragraphs are written (“... ¶ “... ¶ “...”); an
opening mark left open otherwise (an unbalanced quotation) quotes up to the end of its line. A
closing mark with nothing to close is ignored. ``《》`` and ``〈〉`` mark titles, not
quotations.

**Attribution.** A text names a work when it writes the work's title or its author (the work's
metadata keys ``title`` and ``author``, each a string or a list of strings), compared in the
matching view (`textprint.normalize`: full-width, Traditional, case and the other folds do not
hide a name), with the Traditional, Simplified, old and new forms of a Han character made one
whatever the language of its run (a name alone is a Chinese run, in a Japanese sentence it is
not). An author of at least 2 CJK characters (4 letters elsewhere) or a title of at least 4
CJK characters (2 words elsewhere) counts wherever it stands (`MIN_BARE`); a shorter one
counts when it is enclosed in title or quotation marks (``《药》``, ``「title」``) or follows a
cue (``——``, ``出自``, ``引自``, ``转载自``, ``作者``, ``source:``, ``by`` ...; `CUES`).
Attribution counts only near the copied text: within ``NEAR_CHARS`` characters (of the
matching view) before a passage or after it, outside it.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _plain
from .._normbatch import normalize_batch
from .._tables import get_tables
from .._typing import BoolArray, UInt32Array
from ..normalization import normalize

#: Opening mark -> the marks that close it.
PAIRS: dict[str, str] = {
    "“": "”",
    "‘": "’",
    "「": "」",
    "『": "』",
    "«": "»",
    "‹": "›",
    "〝": "〞〟",
    "„": "“”",
    "‚": "‘’",
    "﹁": "﹂",
    "﹃": "﹄",
    "｢": "｣",
}
#: Marks that open and close alike.
SYMMETRIC = "\"＂'＇"
#: Opening mark -> the marks that close it (a symmetric mark closes itself).
_CLOSERS = {**{o: frozenset(c) for o, c in PAIRS.items()}, **{m: frozenset(m) for m in SYMMETRIC}}
_APOSTROPHES = "'＇"
_MARKS = re.compile("[" + re.escape("".join(PAIRS) + "".join(PAIRS.values()) + SYMMETRIC) + "]")
_PARAGRAPH = re.compile(r"\n[ \t\u3000\r]*\n")
_BLOCK = re.compile(r"(?m)^[ \t\u3000]*(?:[>＞][ \t\u3000]*)+")

#: Share of a passage's (non-space) characters that must lie inside quotations.
QUOTED_SHARE = 0.9
#: Attribution counts within this many characters before or after a passage.
NEAR_CHARS = 100
#: A name this long counts wherever it stands near a passage: an author of at least 2 CJK
#: characters or 4 other letters, a title of at least 4 CJK characters or 2 words (titles are
#: often words of the text: 梅雨, 药, Rain); shorter ones need marks or a cue.
MIN_BARE = {"author": (2, 4, 1), "title": (4, 8, 2)}  # CJK characters, letters, words
#: Cues an attribution starts with (compared in the matching view: case-folded, simplified).
CUES = (
    "——",
    "—",
    "--",
    "-",
    "~",
    "出自",
    "引自",
    "摘自",
    "选自",
    "节选自",
    "转载自",
    "转自",
    "转载",
    "来源",
    "来自",
    "原文",
    "原载",
    "作者",
    "文/",
    "著",
    "出典",
    "引用元",
    "著者",
    "作",
    "source",
    "from",
    "via",
    "by",
    "credit",
    "author",
    "quoted from",
    "excerpt from",
    "written by",
)
#: How many spaces, colons or marks may stand between a cue and the name.
CUE_REACH = 3
_BETWEEN = " :,、(《「『“\"'[【"
_LONGEST_CUE = max(len(c) for c in CUES)
_OPEN_TITLE = "《〈「『“‘\"'«‹(（[【*_"
_CLOSE_TITLE = "》〉」』”’\"'»›)）]】*_"


def _is_word(c: str) -> bool:
    return c.isalnum()


def quotation_spans(text: str, ignore: tuple[int, int] = (0, 0)) -> list[tuple[int, int]]:
    """Half-open spans of `text` inside quotations (marks included), one per quotation or
    block-quote level: a character inside two nested quotations is in two spans.

    Quotation marks inside ``text[ignore[0]:ignore[1]]`` are not read, and its paragraph
    breaks end no quotation (a copied passage: the marks and paragraphs it carries are the
    work's, not the text's).
    """
    spans: list[tuple[int, int]] = []
    n = len(text)

    def line_end(pos: int) -> int:
        e = text.find("\n", pos)
        return n if e < 0 else e

    marks = [
        (m.start(), m.group())
        for m in _MARKS.finditer(text)
        if not ignore[0] <= m.start() < ignore[1]
    ]
    if marks:
        breaks = [m.span() for m in _PARAGRAPH.finditer(text)]
        para_starts = [0] + [b for _, b in breaks]
        stack: list[tuple[str, int]] = []  # open marks: (mark, position)
        i = 0
        for p, para_start in enumerate(para_starts):
            para_end = breaks[p][0] if p < len(breaks) else n
            j = bisect.bisect_left(marks, (para_end, ""), lo=i)
            here = marks[i:j]
            i = j
            if not here and not stack:
                continue
            body = text[para_start:para_end]
            first = para_start + len(body) - len(body.lstrip())
            if ignore[0] <= first < ignore[1]:
                pass  # inside the copied passage: its own paragraphs end no quotation
            elif stack and here and here[0][0] == first and here[0][1] == stack[-1][0]:
                here = here[1:]  # the quotation goes on: the paragraph reopens it
            elif stack:
                spans.extend((pos, line_end(pos)) for _, pos in stack)
                stack = []
            for pos, ch in here:
                if ch in _APOSTROPHES:
                    before = text[pos - 1] if pos > 0 else " "
                    after = text[pos + 1] if pos + 1 < n else " "
                    if _is_word(before) and _is_word(after):
                        continue  # an apostrophe: don't, l'homme
                at = len(stack) - 1
                while at >= 0 and ch not in _CLOSERS[stack[at][0]]:
                    at -= 1
                if at >= 0:
                    spans.extend((o, pos) for _, o in stack[at + 1 :])  # left open inside
                    spans.append((stack[at][1], pos + 1))
                    del stack[at:]
                elif ch in _CLOSERS:
                    if ch in _APOSTROPHES and (pos + 1 >= n or text[pos + 1].isspace()):
                        continue  # a closing apostrophe (the dogs' bones) opens nothing
                    stack.append((ch, pos))
        spans.extend((pos, line_end(pos)) for _, pos in stack)
    if ">" in text or "＞" in text:
        for m in _BLOCK.finditer(text):
            level = m.group().count(">") + m.group().count("＞")
            spans.extend([(m.start(), line_end(m.start()))] * level)
    return spans


def quoted_share(spans: Sequence[tuple[int, int]], text: str, start: int, end: int) -> float:
    """Share of the non-space characters of ``text[start:end]`` inside at least one span."""
    return depth_share(spans, text, start, end, 1)


def depth_share(
    spans: Sequence[tuple[int, int]], text: str, start: int, end: int, depth: int
) -> float:
    """Share of the non-space characters of ``text[start:end]`` inside at least `depth`
    spans."""
    if end <= start or (not spans and depth > 0):  # no quotation: nothing inside one
        return 0.0
    diff = np.zeros(end - start + 1, np.int64)
    for a, b in spans:
        a, b = max(a, start), min(b, end)
        if a < b:
            diff[a - start] += 1
            diff[b - start] -= 1
    level = np.cumsum(diff[:-1])
    cps = np.frombuffer(text[start:end].encode("utf-32-le", "surrogatepass"), dtype="<u4")
    visible = ~_spaces()[np.minimum(cps, 0x10FFFF)]
    n = int(visible.sum())
    return float(((level >= depth) & visible).sum() / n) if n else 0.0


@functools.cache
def _spaces() -> BoolArray:
    """Per code point: white space (``str.isspace``)."""
    out = np.zeros(0x110000, dtype=bool)
    out[[c for c in range(0x3100) if chr(c).isspace()]] = True
    return out


def is_quoted(
    text: str,
    start: int,
    end: int,
    work: str | None = None,
    w_start: int = 0,
    w_end: int = 0,
    *,
    copy: tuple[int, int] | None = None,
    w_copy_start: int | None = None,
) -> bool:
    """Whether `text` quotes its passage ``[start, end)``: at least QUOTED_SHARE of it stands
    inside quotations or block quotes. Marks strictly inside the copy are copied with it
    (a novel's dialogue) and do not count; marks at its edges do. The copy is the passage,
    or `copy`: the span of the passages of one copy that a washing cut into pieces (the
    work's marks between the pieces are no quotation of the text's).

    `work`: the work's characters around its passage ``work[w_start:w_end]`` (None when the
    registry keeps no texts), the copy starting at `w_copy_start` (default `w_start`). A
    passage the work itself quotes (a line of dialogue opened before the copy: its marks may
    stand just outside the copy of a washed text) is quoted by the text only one level deeper.
    """
    c_start, c_end = (start, end) if copy is None else copy
    spans = quotation_spans(text, (c_start + 1, c_end - 1))
    if quoted_share(spans, text, start, end) < QUOTED_SHARE:
        return False
    if work is None:
        return True
    opened_before = w_start if w_copy_start is None else w_copy_start
    own = [sp for sp in quotation_spans(work) if sp[0] < opened_before]
    if quoted_share(own, work, w_start, w_end) < QUOTED_SHARE:
        return True
    return depth_share(spans, text, start, end, 2) >= QUOTED_SHARE


# -- attribution ----------------------------------------------------------------------------------


def names_of(metadata: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The titles and authors a work's metadata gives (keys ``title`` and ``author``, each a
    string or a list of strings; anything else is no name)."""
    if not isinstance(metadata, dict):
        return (), ()

    def strings(value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)):
            return ()
        return tuple(v for v in value if isinstance(v, str) and v.strip())

    return strings(metadata.get("title")), strings(metadata.get("author"))


def _folded(names: Sequence[str]) -> list[str]:
    return [f for f in (_matching_name(n) for n in names) if f]


@functools.lru_cache(maxsize=4096)
def _matching_name(name: str) -> str:
    """A name in the view it is compared in (names come back check after check)."""
    return _matching(name).strip()


def _matching(text: str) -> str:
    """The matching view of `text`, with every Han character folded to one form of its
    Traditional, Simplified, old and new forms whatever its run's language: a name alone
    (中島敦, 芥川龍之介: Han-only, so Chinese runs) and in a Japanese sentence fold alike."""
    return _matching_many([text])[0]


def _matching_many(texts: Sequence[str]) -> list[str]:
    """`_matching` of each text: ``textprint.normalize(text).text``, folded to one Han form.

    When normalization's compiled single-text path is ready (numba installed: a few
    microseconds for a plain window), each text is normalized alone; otherwise all of them in
    one batch (`normalize_batch`, what ``normalize`` runs: each text on its own, without the
    offsets), which costs about what one short text's normalization does.
    """
    if len(texts) == 1 or _plain.compiled() is not None:
        return [_one_form(normalize(t).text) for t in texts]
    batch, _ = normalize_batch(texts)
    return [_one_form(batch.text(i)) for i in range(len(texts))]


def _one_form(folded: str) -> str:
    if not folded:
        return folded
    cps = np.frombuffer(folded.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    out: str = (
        _han_forms()[np.minimum(cps, 0x10FFFF)]
        .astype("<u4")
        .tobytes()
        .decode("utf-32-le", "surrogatepass")
    )
    return out


class NameView:
    """A checked text as names are looked up in: the matching view (`_matching`) of the text
    around its passages, made once per passage and shared by every Hit of the text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._around: dict[tuple[int, int, int], tuple[str, str]] = {}

    def around(self, start: int, end: int, reach: int) -> tuple[str, str]:
        """`reach` characters of the view before original offset `start` and after `end`
        (read from three times as many original characters: a washed text loses its
        separators and invisible characters to the view)."""
        self.prepare([(start, end)], reach)
        return self._around[(start, end, reach)]

    def prepare(self, spans: Sequence[tuple[int, int]], reach: int) -> None:
        """Make the views `around` returns for these spans, all in one normalization batch
        (one call costs about as much as a short text's normalization)."""
        keys = dict.fromkeys((a, b, reach) for a, b in spans)
        todo = [key for key in keys if key not in self._around]
        if not todo:
            return
        raw = 3 * reach
        pieces = []
        for start, end, _ in todo:
            pieces += [self.text[max(0, start - raw) : start], self.text[end : end + raw]]
        views = _matching_many(pieces)
        for i, key in enumerate(todo):
            self._around[key] = (views[2 * i][-reach:], views[2 * i + 1][:reach])


@functools.cache
def _han_forms() -> UInt32Array:
    """One code point per class of characters the Traditional -> Simplified and kyujitai ->
    shinjitai folds join (龍, 龙 and 竜 are one class), built once from the tables."""
    t = get_tables()
    parent = np.arange(len(t.t2s), dtype=np.uint32)

    def root(c: int) -> int:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = int(parent[c])
        return c

    for table in (t.t2s, t.jp):
        for c in np.flatnonzero(table != np.arange(len(table), dtype=np.uint32)).tolist():
            a, b = root(c), root(int(table[c]))
            if a != b:
                parent[max(a, b)] = min(a, b)
    moved = np.flatnonzero(parent != np.arange(len(parent), dtype=np.uint32))
    for c in moved.tolist():
        parent[c] = root(c)
    return parent


def _long_enough(name: str, role: str) -> bool:
    cjk_min, letters_min, words_min = MIN_BARE[role]
    cjk = sum(1 for c in name if ord(c) >= 0x2E80)
    if cjk:
        return cjk >= cjk_min
    letters = sum(1 for c in name if c.isalnum())
    return letters >= letters_min and len(name.split()) >= words_min


def _counts(window: str, at: int, name: str, role: str) -> bool:
    """Whether the mention of `name` at `at` in `window` (matching view) is an attribution."""
    end = at + len(name)
    before = window[at - 1] if at > 0 else ""
    after = window[end] if end < len(window) else ""
    # a Latin name inside a longer word is no mention ("ann" in "announce")
    if name[:1].isascii() and _is_word(name[:1]) and before and _is_word(before):
        return False
    if name[-1:].isascii() and _is_word(name[-1:]) and after and _is_word(after):
        return False
    if _long_enough(name, role):
        return True
    if before and before in _OPEN_TITLE and after and after in _CLOSE_TITLE:
        return True
    lead = window[max(0, at - _LONGEST_CUE - CUE_REACH) : at]
    trimmed = lead.rstrip(_BETWEEN)
    if len(lead) - len(trimmed) > CUE_REACH:
        return False
    return any(lead.endswith(cue) or trimmed.endswith(cue) for cue in _cues())


@functools.cache
def _cues() -> tuple[str, ...]:
    """CUES in the view names are compared in (`_matching`)."""
    return tuple(_matching(c) for c in CUES)


def attributions(
    text: str | NameView,
    passages: Sequence[tuple[int, int]],
    titles: Sequence[str],
    authors: Sequence[str],
) -> list[bool]:
    """Per passage ``(start, end)`` of `text`: whether the title or an author of the work is
    named within NEAR_CHARS characters before or after it (outside it).

    Distances are counted in the matching view, so the invisible characters and separators
    of a washed copy do not push its attribution away. Pass a `NameView` of the text to look
    up the names of several works in one view.
    """
    names = [(n, "title") for n in _folded(titles)] + [(n, "author") for n in _folded(authors)]
    if not names:
        return [False] * len(passages)
    view = text if isinstance(text, NameView) else NameView(text)
    margin = max(len(n) for n, _ in names) + _LONGEST_CUE + CUE_REACH
    view.prepare(passages, NEAR_CHARS + margin)
    out = []
    for start, end in passages:
        before, after = view.around(start, end, NEAR_CHARS + margin)
        found = False
        for window, is_before in ((before, True), (after, False)):
            for name, role in names:
                at = window.find(name)
                while at >= 0 and not found:
                    gap = len(window) - (at + len(name)) if is_before else at
                    found = gap <= NEAR_CHARS and _counts(window, at, name, role)
                    at = window.find(name, at + 1)
                if found:
                    break
            if found:
                break
        out.append(found)
    return out
