"""Evasions: the formatting and editing a reposter applies to copied text (text generator).

Text is `Tagged`: every character carries the copied piece it belongs to (or ``HOST``) and its
offset in the source, and every transform maps tagged characters to tagged characters, so that
the ground truth of a copy survives every evasion (see `benchmarks.textgen.copies`). The
evasions and their parameters are listed in `benchmarks.textgen`'s docstring.

Everything random comes from a ``random.Random`` that the caller seeds.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

EVASIONS: dict[str, tuple[str, ...]] = {
    "zh": ("traditional", "fullwidth", "zerowidth", "punctuation", "case", "edits", "shuffle"),
    "ja": ("fullwidth", "zerowidth", "punctuation", "case", "edits", "shuffle"),
    "en": (
        "fullwidth",
        "zerowidth",
        "lookalike",
        "punctuation",
        "rewrap",
        "case",
        "edits",
        "shuffle",
    ),
}
HOST = -1
NONE = -1

ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")
LOOKALIKE = dict(zip("aeopcAEOPC", "аеорсАЕОРС"))
# per language, each mark and what a washer may write in its place (several marks a row)
PUNCT_MAP: dict[str, dict[str, tuple[str, ...]]] = {
    "zh": {
        "，": (",", "、", " ", ""), "。": (".", "．", "！", ""), "、": (",", "，"),
        "：": (":", "，"), "；": (";", "，"), "！": ("!", "。"), "？": ("?",), "“": ('"', "「"),
        "”": ('"', "」"), "‘": ("'", "『"), "’": ("'", "』"), "《": ("<", "〈"), "》": (">", "〉"),
        "（": ("(",), "）": (")",),
    },
    "ja": {
        "、": ("，", ",", ""), "。": ("．", ".", ""), "「": ("『", "“", '"'),
        "」": ("』", "”", '"'), "『": ("「",), "』": ("」",), "！": ("!",), "？": ("?",),
        "（": ("(",), "）": (")",), "…": ("...", "・・・"), "―": ("-", "ー"),
    },
    "en": {
        ",": (";", " ,", ""), ".": (";", "!", " .", ""), ";": (",", "."), ":": (" -", ","),
        "'": ("’",), '"': ("“", "”", "''"), "-": ("–", "—", " "), "!": (".",), "?": (".",),
        "(": ("[",), ")": ("]",),
    },
}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Tagged text: every character carries (piece, source offset)


@dataclass
class Tagged:
    """Characters with, for each, the copied piece it belongs to (HOST = -1) and its offset in
    the work (NONE = -1 for host text and for characters that edits put in)."""

    chars: list[str] = field(default_factory=list)
    piece: list[int] = field(default_factory=list)
    src: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, text: str, piece: int, start: int | None) -> Tagged:
        n = len(text)
        return cls(
            list(text),
            [piece] * n,
            list(range(start, start + n)) if start is not None else [NONE] * n,
        )

    def extend(self, other: Tagged) -> None:
        self.chars += other.chars
        self.piece += other.piece
        self.src += other.src

    def append(self, ch: str, piece: int, src: int = NONE) -> None:
        self.chars.append(ch)
        self.piece.append(piece)
        self.src.append(src)

    def text(self) -> str:
        return "".join(self.chars)

    def __len__(self) -> int:
        return len(self.chars)


def map_chars(t: Tagged, f: Callable[[str], str]) -> Tagged:
    """Replace each character by ``f(ch)`` (zero, one or more characters) keeping its tags."""
    out = Tagged()
    for c, p, s in zip(t.chars, t.piece, t.src):
        r = f(c)
        if len(r) == 1:
            out.append(r, p, s)
        else:
            for ch in r:
                out.append(ch, p, NONE if len(r) > 1 else s)
    return out


#: a transform of tagged text: (text, random stream, language) -> the transformed text
Transform = Callable[[Tagged, random.Random, str], Tagged]


def by_name(prefix: str, *transforms: Transform) -> dict[str, Transform]:
    """`transforms` in the order given, each under its function's name less `prefix`
    (``t_case`` -> ``"case"``): the names the suites and their pages use."""
    return {f.__name__.removeprefix(prefix): f for f in transforms}


# ---------------------------------------------------------------------------------------------
# Transforms


def is_word_char(c: str) -> bool:
    return c.isalnum() or c == "'"


def fullwidth_char(c: str) -> str:
    o = ord(c)
    if 0x21 <= o <= 0x7E:
        return chr(o + 0xFEE0)
    if c == " ":
        return "\u3000"
    return c


_HALF_KATA: dict[str, str] = {}


def _half_katakana() -> dict[str, str]:
    if not _HALF_KATA:
        for cp in range(0xFF61, 0xFFA0):
            c = chr(cp)
            _HALF_KATA.setdefault(unicodedata.normalize("NFKC", c), c)
        for cp in range(0x30A1, 0x30FB):
            k = chr(cp)
            if k in _HALF_KATA:
                continue
            d = unicodedata.normalize("NFD", k)
            if len(d) == 2 and d[0] in _HALF_KATA and d[1] in ("\u3099", "\u309a"):
                _HALF_KATA[k] = _HALF_KATA[d[0]] + ("ﾞ" if d[1] == "\u3099" else "ﾟ")
    return _HALF_KATA


def t_fullwidth(t: Tagged, rng: random.Random, lang: str) -> Tagged:
    hk = _half_katakana() if lang == "ja" else {}
    return map_chars(t, lambda c: hk.get(c, fullwidth_char(c)))


def t_traditional(t: Tagged, rng: random.Random, lang: str) -> Tagged:
    import opencc

    conv = opencc.OpenCC("s2t")
    text = t.text()
    out = conv.convert(text)
    if len(out) == len(text):
        return Tagged(list(out), list(t.piece), list(t.src))
    return map_chars(t, conv.convert)  # pragma: no cover - s2t keeps lengths in practice


def t_zerowidth(t: Tagged, rng: random.Random, lang: str) -> Tagged:
    rate = rng.uniform(0.02, 0.10)
    out = Tagged()
    n = len(t)
    for i in range(n):
        out.append(t.chars[i], t.piece[i], t.src[i])
        if i + 1 < n and rng.random() < rate:
            p = t.piece[i] if t.piece[i] == t.piece[i + 1] else HOST
            out.append(rng.choice(ZERO_WIDTH), p)
    return out


def t_lookalike(t: Tagged, rng: random.Random, lang: str) -> Tagged:
    rate = rng.uniform(0.3, 1.0)
    return map_chars(t, lambda c: LOOKALIKE[c] if c in LOOKALIKE and rng.random() < rate else c)


def t_punctuation(t: Tagged, rng: random.Random, lang: str) -> Tagged:
    table = PUNCT_MAP[lang]
    rate = rng.uniform(0.5, 1.0)

    def f(c: str) -> str:
        if c in table and rng.random() < rate:
            return rng.choice(table[c])
        return c

    return map_chars(t, f)


def t_case(t: Tagged, rng: random.Random, lang: str) -> Tagged:
    mode = rng.choice(("upper", "lower", "title", "sentences"))
    if mode == "upper":
        return map_chars(t, str.upper)
    if mode == "lower":
        return map_chars(t, str.lower)
    out = Tagged()
    start_of_word = True
    upper_sentence = rng.random() < 0.5
    for c, p, s in zip(t.chars, t.piece, t.src):
        if mode == "title":
            r = c.upper() if start_of_word else c.lower()
        else:
            r = c.upper() if upper_sentence else c
            if c in ".!?。！？":
                upper_sentence = rng.random() < 0.5
        start_of_word = not is_word_char(c)
        for ch in r:
            out.append(ch, p, s if len(r) == 1 else NONE)
    return out


def t_rewrap(t: Tagged, rng: random.Random, lang: str) -> Tagged:
    """Re-wrap at a random width, hyphenating half of the words that cross the margin."""
    width = rng.randint(40, 80)
    p_hyphen = 0.5
    flat = map_chars(t, lambda c: " " if c in "\n\r\t" else c)
    out = Tagged()
    col = 0
    i, n = 0, len(flat)
    while i < n:
        if flat.chars[i] == " ":
            out.append(" ", flat.piece[i], flat.src[i])
            col += 1
            i += 1
            continue
        j = i
        while j < n and flat.chars[j] != " ":
            j += 1
        wlen = j - i
        if col + wlen > width and col > 0:
            room = width - col - 1
            if wlen >= 6 and room >= 2 and wlen - room >= 2 and rng.random() < p_hyphen:
                for k in range(i, i + room):
                    out.append(flat.chars[k], flat.piece[k], flat.src[k])
                tag = flat.piece[i] if flat.piece[i] == flat.piece[i + room] else HOST
                out.append("-", tag)
                out.append("\n", tag)
                i += room
                wlen -= room
                col = 0
            elif out.chars and out.chars[-1] == " ":
                out.chars[-1] = "\n"
                col = 0
        for k in range(i, i + wlen):
            out.append(flat.chars[k], flat.piece[k], flat.src[k])
        col += wlen
        i += wlen
    return out


# zerowidth last: it goes between the characters the others made
FORMAT_TRANSFORMS = by_name(
    "t_", t_traditional, t_fullwidth, t_punctuation, t_lookalike, t_case, t_rewrap, t_zerowidth
)


def edit_chars(t: Tagged, rng: random.Random, rate: float, vocab: Sequence[str]) -> Tagged:
    """Substitute, insert or delete `rate` of the characters that are letters (CJK)."""
    out = Tagged()
    for c, p, s in zip(t.chars, t.piece, t.src):
        if c.isalnum() and rng.random() < rate:
            op = rng.randrange(3)
            if op == 0:  # substitute
                out.append(rng.choice(vocab), p)
            elif op == 1:  # insert after
                out.append(c, p, s)
                out.append(rng.choice(vocab), p)
            # op == 2: delete
        else:
            out.append(c, p, s)
    return out


def edit_words(t: Tagged, rng: random.Random, rate: float, vocab: Sequence[str]) -> Tagged:
    """Substitute, insert or delete `rate` of the words (English)."""
    out = Tagged()
    i, n = 0, len(t)
    while i < n:
        if not is_word_char(t.chars[i]):
            out.append(t.chars[i], t.piece[i], t.src[i])
            i += 1
            continue
        j = i
        while j < n and is_word_char(t.chars[j]):
            j += 1
        p = t.piece[i]
        if rng.random() < rate:
            op = rng.randrange(3)
            if op == 0:
                for ch in rng.choice(vocab):
                    out.append(ch, p)
            elif op == 1:
                for k in range(i, j):
                    out.append(t.chars[k], t.piece[k], t.src[k])
                out.append(" ", p)
                for ch in rng.choice(vocab):
                    out.append(ch, p)
            elif j < n and t.chars[j] == " ":
                j += 1  # delete the word and the space after it
        else:
            for k in range(i, j):
                out.append(t.chars[k], t.piece[k], t.src[k])
        i = j
    return out
