"""A seeded copy-with-edits generator for Chinese, Japanese and English (benchmark helper).

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

Everything random comes from a ``random.Random`` that the caller seeds.
"""

from __future__ import annotations

import itertools
import math
import random
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

import textprint as tp

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
#: Probability that a copy case gets no evasion at all, and of each evasion otherwise.
P_VERBATIM = 0.15
P_EVASION = 0.35

COPY_MIN, COPY_MAX = 200, 1500
HOST_MAX = 1200
#: Shortest shuffled piece, in characters (about 60 CJK characters, or 15 English words).
MIN_PIECE = {"zh": 60, "ja": 60, "en": 90}
UNRELATED_MIN, UNRELATED_MAX = 300, 3900
#: Unrelated text shares no run of this many characters (zh, ja) or words (en) with any work.
RUN_CHARS, RUN_WORDS = 12, 8

HOST = -1
NONE = -1

ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")
LOOKALIKE = dict(zip("aeopcAEOPC", "аеорсАЕОРС"))
PUNCT_MAP: dict[str, dict[str, tuple[str, ...]]] = {
    "zh": {
        "，": (",", "、", " ", ""),
        "。": (".", "．", "！", ""),
        "、": (",", "，"),
        "：": (":", "，"),
        "；": (";", "，"),
        "！": ("!", "。"),
        "？": ("?",),
        "“": ('"', "「"),
        "”": ('"', "」"),
        "‘": ("'", "『"),
        "’": ("'", "』"),
        "《": ("<", "〈"),
        "》": (">", "〉"),
        "（": ("(",),
        "）": (")",),
    },
    "ja": {
        "、": ("，", ",", ""),
        "。": ("．", ".", ""),
        "「": ("『", "“", '"'),
        "」": ("』", "”", '"'),
        "『": ("「",),
        "』": ("」",),
        "！": ("!",),
        "？": ("?",),
        "（": ("(",),
        "）": (")",),
        "…": ("...", "・・・"),
        "―": ("-", "ー"),
    },
    "en": {
        ",": (";", " ,", ""),
        ".": (";", "!", " .", ""),
        ";": (",", "."),
        ":": (" -", ","),
        "'": ("’",),
        '"': ("“", "”", "''"),
        "-": ("–", "—", " "),
        "!": (".",),
        "?": (".",),
        "(": ("[",),
        ")": ("]",),
    },
}


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


FORMAT_TRANSFORMS: dict[str, Callable[[Tagged, random.Random, str], Tagged]] = {
    "traditional": t_traditional,
    "fullwidth": t_fullwidth,
    "punctuation": t_punctuation,
    "lookalike": t_lookalike,
    "case": t_case,
    "rewrap": t_rewrap,
    "zerowidth": t_zerowidth,  # last: it goes between the characters the others made
}


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


# ---------------------------------------------------------------------------------------------
# Unrelatedness check: no run of 12 characters (8 words) shared with any work


_BASE = np.uint64(0x100000001B3)


def _run_hashes(ids: np.ndarray, n: int) -> np.ndarray:
    """Polynomial hash (mod 2**64) of every window of `n` consecutive ids."""
    if len(ids) < n:
        return np.zeros(0, dtype=np.uint64)
    x = ids.astype(np.uint64) + np.uint64(1)
    m = len(x) - n + 1
    h = np.zeros(m, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(n):
            h = h * _BASE + x[j : j + m]
    return h


class RunGuard:
    """Hashes of every run of 12 characters (zh, ja) or 8 words (en) of the works.

    Texts are compared in textprint's matching view (``tp.normalize``: NFKC, case folding,
    Traditional to Simplified, kana folding...), with whitespace removed for CJK, so that a run
    hidden by formatting still counts as shared.
    """

    def __init__(self, works: Sequence[str], lang: str) -> None:
        self.lang = lang
        self._word_ids: dict[str, int] = {}
        parts = [self.run_hashes(w) for w in works]
        self.hashes = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.uint64)

    def run_hashes(self, text: str) -> np.ndarray:
        """Hashes of every run of `text` (uint64, one per window, in text order)."""
        norm = tp.normalize(text).text
        if self.lang == "en":
            words = re.findall(r"\w+", norm)
            ids = np.array(
                [self._word_ids.setdefault(w, len(self._word_ids)) for w in words],
                dtype=np.uint64,
            )
            return _run_hashes(ids, RUN_WORDS)
        norm = re.sub(r"\s+", "", norm)
        cps = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32)
        return _run_hashes(cps, RUN_CHARS)

    def shared_runs(self, text: str) -> int:
        """How many runs of `text` also occur in some work."""
        h = self.run_hashes(text)
        if len(h) == 0 or len(self.hashes) == 0:
            return 0
        pos = np.searchsorted(self.hashes, h)
        pos = np.minimum(pos, len(self.hashes) - 1)
        return int((self.hashes[pos] == h).sum())


# ---------------------------------------------------------------------------------------------
# Cases


@dataclass(frozen=True)
class Work:
    """A registered work: its id, the document it was cut from, and its text."""

    work_id: str
    base_id: str
    text: str


@dataclass(frozen=True)
class Piece:
    """Ground truth of one copied piece, half-open offsets in the final query and the work."""

    query_start: int
    query_end: int
    source_start: int
    source_end: int


@dataclass(frozen=True)
class Case:
    """A query and its truth: the work copied (None for unrelated text) and the pieces."""

    query: str
    work_id: str | None
    pieces: tuple[Piece, ...]
    evasions: tuple[str, ...]
    whole_work: bool = False
    edit_rate: float = 0.0


class CopyGenerator:
    """Makes copy cases and unrelated cases for one language.

    Parameters
    ----------
    works : sequence of Work
        The registered works copies are taken from.
    hosts : sequence of (base_id, text)
        Unregistered text of the same language; host text for a copy never comes from the
        copied work's own document (``base_id``).
    lang : {"zh", "ja", "en"}
    guard : RunGuard, optional
        Built from `works` when not given; host stretches and unrelated queries sharing a run
        with any work are drawn again.
    """

    def __init__(
        self,
        works: Sequence[Work],
        hosts: Sequence[tuple[str, str]],
        lang: str,
        *,
        guard: RunGuard | None = None,
    ) -> None:
        if lang not in EVASIONS:
            raise ValueError(f"lang={lang!r} must be one of {sorted(EVASIONS)}")
        self.works = list(works)
        self.hosts = [(b, t) for b, t in hosts if len(t) >= 50]
        self.lang = lang
        self.guard = guard if guard is not None else RunGuard([w.text for w in works], lang)
        self._host_weights = [len(t) for _, t in self.hosts]
        if lang == "en":
            words: set[str] = set()
            for w in self.works[:200]:
                words.update(re.findall(r"[A-Za-z]+", w.text))
            self.vocab = sorted(words)
        else:
            chars: set[str] = set()
            for w in self.works[:200]:
                chars.update(c for c in w.text if c.isalnum() and ord(c) > 0x2E80)
            self.vocab = sorted(chars)
        self.n_host_rejected = 0

    # -- host text -------------------------------------------------------------------------

    def _span(self, text: str, start: int, length: int) -> tuple[int, int]:
        """[start, start + length) moved to word boundaries in English."""
        end = min(len(text), start + length)
        if self.lang == "en":
            while 0 < start < len(text) and not text[start - 1].isspace():
                start += 1
            while 0 < end < len(text) and not text[end].isspace():
                end -= 1
        return start, max(start, end)

    def host_text(self, rng: random.Random, length: int, exclude: str | None) -> str:
        """`length` characters of unregistered text sharing no run with any work."""
        if length <= 0:
            return ""
        for _ in range(50):
            base, text = rng.choices(self.hosts, weights=self._host_weights)[0]
            if base == exclude:
                continue
            start = rng.randrange(max(1, len(text) - length + 1))
            a, b = self._span(text, start, length)
            piece = text[a:b].strip()
            if piece and self.guard.shared_runs(piece) == 0:
                return piece
            self.n_host_rejected += 1
        return ""

    # -- copies ----------------------------------------------------------------------------

    def _draw_evasions(self, rng: random.Random) -> tuple[str, ...]:
        if rng.random() < P_VERBATIM:
            return ()
        names = EVASIONS[self.lang]
        while True:
            chosen = tuple(e for e in names if rng.random() < P_EVASION)
            if chosen:
                return chosen

    def _cut_points(self, rng: random.Random, text: str, a: int, b: int, n: int) -> list[int]:
        """n - 1 cut points inside [a, b), at spaces in English.

        Every piece keeps at least ``MIN_PIECE`` characters (and 1/8 of the copy): a shorter
        piece is below what a copy detector is asked to report (textprint's passages need 16
        CJK characters or 10 words). Fewer pieces are made when the copy is too short.
        """
        length = b - a
        floor = max(MIN_PIECE[self.lang], length // 8)
        n = min(n, length // floor)
        if n < 2:
            return []
        for _ in range(100):
            cuts = sorted(rng.randrange(a + 1, b) for _ in range(n - 1))
            if self.lang == "en":
                cuts = [self._span(text, c, 0)[0] for c in cuts]
            bounds = [a, *cuts, b]
            if all(y - x >= floor for x, y in itertools.pairwise(bounds)):
                return cuts
        return []

    def copy_case(self, rng: random.Random, work_index: int | None = None) -> Case:
        """A copy of part of a work (or all of a short work), with evasions, in host text."""
        w = self.works[rng.randrange(len(self.works)) if work_index is None else work_index]
        evasions = self._draw_evasions(rng)
        length = round(math.exp(rng.uniform(math.log(COPY_MIN), math.log(COPY_MAX))))
        whole = length >= len(w.text)
        if whole:
            a, b = 0, len(w.text)
        else:
            a, b = self._span(w.text, rng.randrange(len(w.text) - length + 1), length)
        # pieces, in source order, then shuffled
        ranges = [(a, b)]
        if "shuffle" in evasions:
            cuts = self._cut_points(rng, w.text, a, b, rng.randint(2, 4))
            if cuts:
                bounds = [a, *cuts, b]
                ranges = list(itertools.pairwise(bounds))
                order = list(range(len(ranges)))
                while order == sorted(order):
                    rng.shuffle(order)
                ranges = [ranges[i] for i in order]
        rate = rng.uniform(0.01, 0.05) if "edits" in evasions else 0.0
        body = Tagged()
        for pid, (x, y) in enumerate(ranges):
            part = Tagged.of(w.text[x:y], pid, x)
            if rate:
                if self.lang == "en":
                    part = edit_words(part, rng, rate, self.vocab)
                else:
                    part = edit_chars(part, rng, rate, self.vocab)
            body.extend(part)
        sep = " " if self.lang == "en" else ""
        left = self.host_text(rng, rng.randint(0, HOST_MAX), w.base_id)
        right = self.host_text(rng, rng.randint(0, HOST_MAX), w.base_id)
        q = Tagged()
        if left:
            q.extend(Tagged.of(left + rng.choice((sep, "\n")), HOST, None))
        q.extend(body)
        if right:
            q.extend(Tagged.of(rng.choice((sep, "\n")) + right, HOST, None))
        for name, fn in FORMAT_TRANSFORMS.items():
            if name in evasions:
                q = fn(q, rng, self.lang)
        pieces = []
        piece_arr = np.array(q.piece)
        for pid, (x, y) in enumerate(ranges):
            at = np.flatnonzero(piece_arr == pid)
            pieces.append(Piece(int(at[0]), int(at[-1]) + 1, x, y))
        pieces.sort(key=lambda p: p.query_start)
        return Case(q.text(), w.work_id, tuple(pieces), evasions, whole, rate)

    def unrelated_case(self, rng: random.Random) -> Case:
        """Unregistered text with formatting evasions, sharing no run with any work.

        The check is made again after the evasions: deleting punctuation or a round trip
        through Traditional characters can make a new run.
        """
        evasions = tuple(
            e for e in EVASIONS[self.lang] if e in FORMAT_TRANSFORMS and rng.random() < P_EVASION
        )
        length = rng.randint(UNRELATED_MIN, UNRELATED_MAX)
        for _ in range(50):
            text = self.host_text(rng, length, None)
            if len(text) < UNRELATED_MIN // 2:
                continue
            q = Tagged.of(text, HOST, None)
            for name, fn in FORMAT_TRANSFORMS.items():
                if name in evasions:
                    q = fn(q, rng, self.lang)
            query = q.text()
            if self.guard.shared_runs(query) == 0:
                return Case(query, None, (), evasions)
            self.n_host_rejected += 1
        raise RuntimeError("no unrelated text found after 50 draws: is the host pool too small?")


def check_case(case: Case, works: dict[str, str], lang: str) -> None:
    """Sanity checks of a copy case's truth (used by bench_copies.py on every case)."""
    if case.work_id is None:
        return
    src = works[case.work_id]
    for p in case.pieces:
        if not (0 <= p.query_start < p.query_end <= len(case.query)):
            raise AssertionError(f"bad query span {p}")
        if not (0 <= p.source_start < p.source_end <= len(src)):
            raise AssertionError(f"bad source span {p}")
    if not case.evasions:  # verbatim: the pieces are exact copies
        for p in case.pieces:
            if case.query[p.query_start : p.query_end] != src[p.source_start : p.source_end]:
                raise AssertionError(f"verbatim piece differs: {p}")


def drop_overlapping(texts: Sequence[str], lang: str, *, max_shared: float = 0.05) -> list[bool]:
    """Which texts to keep: in order, a text sharing more than `max_shared` of its runs (12
    characters, 8 words) with earlier texts is dropped. Two editions, two translations, or a
    collection holding a story would otherwise make "the true work" ambiguous. Apply it to the
    whole documents before cutting works out of them."""
    guard = RunGuard([], lang)
    hs = [np.unique(guard.run_hashes(t)) for t in texts]
    if not hs:
        return []
    owner = np.repeat(np.arange(len(hs)), [len(h) for h in hs])
    allh = np.concatenate(hs)
    order = np.lexsort((owner, allh))
    sh, so = allh[order], owner[order]
    first = np.ones(len(sh), dtype=bool)
    first[1:] = sh[1:] != sh[:-1]
    first_owner = so[first][np.cumsum(first) - 1]
    earlier = np.bincount(so, weights=(first_owner < so), minlength=len(hs))
    total = np.maximum(np.bincount(so, minlength=len(hs)), 1)
    return [bool(e / t <= max_shared) for e, t in zip(earlier, total)]
