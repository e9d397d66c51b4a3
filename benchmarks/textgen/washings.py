"""Article washing (洗稿): the evasions reposters use against a platform's copy check.

Text generator beside :mod:`benchmarks.textgen` (copies with evasions), whose works, host
text, tags and formatting evasions it reuses; this module holds the washings, `washcases` the
cases made with them. A *washing case* copies 300-1,500 characters of a work (or a whole
shorter work) into unrelated host text, like a copy case, and applies one to three *washings*
(below), each alone or combined with the evasions of :mod:`benchmarks.textgen`
(``traditional``, ``fullwidth``, ``zerowidth``, ``punctuation``, ``case``, ``edits``,
``shuffle``). An *unrelated washed post* is host text alone under the same transformations.

What a platform meets, and where this suite takes it from: the issue's list (decorative
separators, 谐音 homophones, sentence-level washing, heavier edits), and the techniques
described in reposters' and "降重" (similarity-lowering) guides and in the spinning
literature (Shahid et al. 2017, *Accurate detection of automatically spun content*; Wahle et
al. 2022, *Identifying machine-paraphrased plagiarism*): word-for-word synonym replacement
(同义词替换), reordering clauses (语序调整), one character per line (竖排), marks or control
characters inserted between the characters of a word (加横线), emoji and pinyin written for
words, and characters mixed from Traditional and Simplified forms (火星文). Rewriting by a
language model or a translator (回译) is out of reach of a fingerprint and not in the suite.

Washings (each drawn with the rates given):

``sep_ascii``
    A space, ``·``, ``/``, ``|``, ``~``, ``*``, ``_`` or ``-`` after every 1-3 characters
    (every character, every second, every third, or a random 1-3), over the whole post.
``sep_symbol``
    The same with an emoji, ``★``, ``❤`` or a full-width comma ``，``.
``sep_han``
    The same with a Han-looking mark: ``丶``, ``丨``, ``〆`` or ``ヽ`` (and, in a fifth of the
    cases, a space on each side of it).
``homophone`` (zh)
    5-15% of the Han characters of the copy replaced by another character with the same
    pinyin and tone (pypinyin's reading; the replacement is drawn from the works' own
    characters, weighted by frequency).
``sentences``
    Sentence-level washing of the copy: 8-20% of the sentences dropped, 10-30% of the
    neighbouring pairs swapped, a filler phrase (其实，据了解，值得一提的是，... / 実は、... /
    "Actually, ...") put before 15-40% of the sentences. Filler counts as not copied; the
    characters of a dropped sentence are not part of the work's truth.
``heavy_edits``
    6-12% of the characters (zh, ja) or words (en) substituted, inserted or deleted.
``synonyms`` (zh)
    10-20% of the two-character words (jieba) replaced by another two-character word of the
    works: what a synonym table does to the characters, without its meaning.
``clauses``
    Within sentences, 30-60% of the pairs of neighbouring clauses (cut at commas) swapped.
``pinyin`` (zh)
    3-8% of the Han characters written as their pinyin (``da`` for 大).
``emoji``
    2-6% of the characters (zh, ja) or words (en) replaced by an emoji.
``mixed_script`` (zh)
    30-70% of the characters turned to their Traditional form one by one (OpenCC ``s2t``).
``vertical``
    One character per line (a line break after every character but punctuation), as text set
    vertically; over the whole post.

Everything random comes from a ``random.Random`` that the caller seeds.
"""

from __future__ import annotations

import functools
import random
from collections import Counter
from collections.abc import Callable, Sequence

from .evasions import HOST, NONE, Tagged, by_name, edit_chars, edit_words, is_word_char, map_chars

WASHINGS: dict[str, tuple[str, ...]] = {
    "zh": (
        "sep_ascii",
        "sep_symbol",
        "sep_han",
        "homophone",
        "sentences",
        "heavy_edits",
        "synonyms",
        "clauses",
        "pinyin",
        "emoji",
        "mixed_script",
        "vertical",
    ),
    "ja": ("sep_ascii", "sep_symbol", "sep_han", "sentences", "heavy_edits", "clauses", "emoji"),
    "en": ("sentences", "heavy_edits", "clauses", "emoji"),
}
#: The evasions of copygen's copy suites that washings are combined with.
EVASIONS: dict[str, tuple[str, ...]] = {
    "zh": ("traditional", "fullwidth", "zerowidth", "punctuation", "case", "edits", "shuffle"),
    "ja": ("fullwidth", "zerowidth", "punctuation", "case", "edits", "shuffle"),
    "en": ("fullwidth", "zerowidth", "lookalike", "punctuation", "rewrap", "case", "edits"),
}
#: Washings applied to the whole post (the others wash the copied text).
FORMAT_WASHINGS = ("sep_ascii", "sep_symbol", "sep_han", "vertical")

COPY_MIN = 300
SEP_ASCII = (" ", "·", "/", "|", "~", "*", "_", "-")
SEP_SYMBOL = ("😀", "🔥", "👍", "🌸", "★", "❤", "，")
SEP_HAN = ("丶", "丨", "〆", "ヽ")
EMOJI = ("😂", "🔥", "👍", "🌸", "💯", "🙏", "😀", "❤️", "✨", "🎉")
FILLERS: dict[str, tuple[str, ...]] = {
    "zh": (
        "其实，",
        "据了解，",
        "值得一提的是，",
        "众所周知，",
        "说实话，",
        "不得不说，",
        "小编认为，",
        "总而言之，",
        "简单来说，",
        "换句话说，",
        "有网友表示，",
        "事实上，",
        "与此同时，",
        "毫无疑问，",
        "大家都知道，",
        "据悉，",
    ),
    "ja": (
        "実は、",
        "ちなみに、",
        "言うまでもなく、",
        "要するに、",
        "ご存じの通り、",
        "正直に言うと、",
        "いずれにせよ、",
        "一方で、",
    ),
    "en": (
        "Actually, ",
        "As we all know, ",
        "It is worth noting that ",
        "In fact, ",
        "To be honest, ",
        "Interestingly, ",
        "In other words, ",
        "Needless to say, ",
    ),
}
SENTENCE_END = {"zh": "。！？", "ja": "。！？", "en": ".!?"}
CLAUSE_END = {"zh": "，；", "ja": "、", "en": ",;"}
PUNCT_CHARS = set("，。、；：！？“”‘’《》（）「」『』…—,.;:!?\"'()[]-")


# ---------------------------------------------------------------------------------------------
# Tagged helpers


def _segments(t: Tagged, ends: str) -> list[Tagged]:
    """`t` cut after each character in `ends` (the last segment may have no end)."""
    out: list[Tagged] = []
    cur = Tagged()
    for c, p, s in zip(t.chars, t.piece, t.src):
        cur.append(c, p, s)
        if c in ends:
            out.append(cur)
            cur = Tagged()
    if len(cur):
        out.append(cur)
    return out


def _join(parts: Sequence[Tagged]) -> Tagged:
    out = Tagged()
    for p in parts:
        out.extend(p)
    return out


def is_cjk(c: str) -> bool:
    return ord(c) >= 0x2E80 and c.isalnum()


# ---------------------------------------------------------------------------------------------
# Washings of the copied text (each returns the washed text; `dropped` collects the source
# ranges of dropped sentences)


def _swap_pairs(items: list[Tagged], rng: random.Random, p: float, end: int) -> None:
    """Swap neighbours among ``items[:end]`` in place, left to right: each pair with
    probability `p`, and an item swapped once is not swapped again."""
    i = 0
    while i + 1 < end:
        if rng.random() < p:
            items[i], items[i + 1] = items[i + 1], items[i]
            i += 2
        else:
            i += 1


def w_sentences(t: Tagged, rng: random.Random, lang: str, dropped: list[tuple[int, int]]) -> Tagged:
    sents = _segments(t, SENTENCE_END[lang])
    p_drop = rng.uniform(0.08, 0.20)
    p_swap = rng.uniform(0.10, 0.30)
    p_fill = rng.uniform(0.15, 0.40)
    kept: list[Tagged] = []
    for s in sents:
        # never drop a sentence that is most of the copy
        if len(sents) > 2 and rng.random() < p_drop:
            src = [x for x in s.src if x != NONE]
            if src:
                dropped.append((min(src), max(src) + 1))
            continue
        kept.append(s)
    _swap_pairs(kept, rng, p_swap, len(kept))
    out = Tagged()
    for s in kept:
        if rng.random() < p_fill:
            out.extend(Tagged.of(rng.choice(FILLERS[lang]), HOST, None))
        out.extend(s)
    return out


def w_clauses(t: Tagged, rng: random.Random, lang: str) -> Tagged:
    p = rng.uniform(0.3, 0.6)
    out: list[Tagged] = []
    for sent in _segments(t, SENTENCE_END[lang]):
        cl = _segments(sent, CLAUSE_END[lang])
        # the last clause keeps the sentence end: swap among the ones before it
        _swap_pairs(cl, rng, p, len(cl) - 1)
        out.extend(cl)
    return _join(out)


def w_heavy_edits(t: Tagged, rng: random.Random, lang: str, vocab: Sequence[str]) -> Tagged:
    rate = rng.uniform(0.06, 0.12)
    if lang == "en":
        return edit_words(t, rng, rate, vocab)
    return edit_chars(t, rng, rate, vocab)


@functools.cache
def _pinyin_of(c: str) -> str:
    from pypinyin import Style, pinyin

    return str(pinyin(c, style=Style.TONE3, heteronym=False)[0][0])


@functools.cache
def _toneless(c: str) -> str:
    from pypinyin import lazy_pinyin

    return str(lazy_pinyin(c)[0])


class Homophones:
    """Characters grouped by reading (pypinyin, with tone), weighted by their frequency."""

    def __init__(self, texts: Sequence[str]) -> None:
        counts: Counter[str] = Counter()
        for t in texts:
            counts.update(c for c in t if "\u4e00" <= c <= "\u9fff")
        by_reading: dict[str, list[tuple[str, int]]] = {}
        for c, n in counts.items():
            if n >= 3:  # common characters only: a reposter writes what a reader can read
                by_reading.setdefault(_pinyin_of(c), []).append((c, n))
        self.groups = {k: v for k, v in by_reading.items() if len(v) > 1}

    def replace(self, c: str, rng: random.Random) -> str | None:
        if not "\u4e00" <= c <= "\u9fff":
            return None
        group = self.groups.get(_pinyin_of(c))
        if not group:
            return None
        others = [(x, n) for x, n in group if x != c]
        return rng.choices([x for x, _ in others], weights=[n for _, n in others])[0]


def w_homophone(t: Tagged, rng: random.Random, homophones: Homophones) -> Tagged:
    rate = rng.uniform(0.05, 0.15)
    out = Tagged()
    for c, p, s in zip(t.chars, t.piece, t.src):
        r = homophones.replace(c, rng) if rng.random() < rate else None
        if r is None:
            out.append(c, p, s)
        else:
            out.append(r, p)  # written by the reposter: in the copy, not from the work
    return out


def w_pinyin(t: Tagged, rng: random.Random) -> Tagged:
    rate = rng.uniform(0.03, 0.08)
    out = Tagged()
    for c, p, s in zip(t.chars, t.piece, t.src):
        if "\u4e00" <= c <= "\u9fff" and rng.random() < rate:
            for ch in _toneless(c):
                out.append(ch, p)
        else:
            out.append(c, p, s)
    return out


def w_synonyms(t: Tagged, rng: random.Random, words: Sequence[str]) -> Tagged:
    import jieba

    rate = rng.uniform(0.10, 0.20)
    out = Tagged()
    i = 0
    for w in jieba.lcut(t.text(), HMM=False):
        n = len(w)
        if n == 2 and all(is_cjk(c) for c in w) and rng.random() < rate:
            p = t.piece[i]
            for ch in rng.choice(words):
                out.append(ch, p)
        else:
            for k in range(i, i + n):
                out.append(t.chars[k], t.piece[k], t.src[k])
        i += n
    return out


def w_emoji(t: Tagged, rng: random.Random, lang: str) -> Tagged:
    rate = rng.uniform(0.02, 0.06)
    if lang != "en":
        return map_chars(t, lambda c: rng.choice(EMOJI) if is_cjk(c) and rng.random() < rate else c)
    out = Tagged()
    i, n = 0, len(t)
    while i < n:
        j = i
        while j < n and is_word_char(t.chars[j]):
            j += 1
        if j > i and rng.random() < rate:
            for ch in rng.choice(EMOJI):
                out.append(ch, t.piece[i])
        else:
            for k in range(i, max(j, i + 1)):
                out.append(t.chars[k], t.piece[k], t.src[k])
        i = max(j, i + 1)
    return out


@functools.cache
def _s2t() -> Callable[[str], str]:
    import opencc

    conv = opencc.OpenCC("s2t")
    return functools.cache(conv.convert)


def w_mixed_script(t: Tagged, rng: random.Random) -> Tagged:
    rate = rng.uniform(0.3, 0.7)
    conv = _s2t()

    def f(c: str) -> str:
        if is_cjk(c) and rng.random() < rate:
            r = conv(c)
            return r if len(r) == 1 else c
        return c

    return map_chars(t, f)


# ---------------------------------------------------------------------------------------------
# Washings of the whole post


def _separate(t: Tagged, rng: random.Random, marks: Sequence[str], spaced: bool) -> Tagged:
    """A mark after every 1, 2 or 3 characters (fixed for the post, or random 1-3)."""
    mark = rng.choice(marks)
    mode = rng.choice((1, 2, 3, 0))  # 0: random 1-3 each time
    if spaced:
        mark = " " + mark + " "
    out = Tagged()
    n = len(t)
    gap = mode or rng.randint(1, 3)
    since = 0
    for i in range(n):
        c = t.chars[i]
        out.append(c, t.piece[i], t.src[i])
        if c.isspace():
            continue
        since += 1
        if since >= gap and i + 1 < n and not t.chars[i + 1].isspace():
            tag = t.piece[i] if t.piece[i] == t.piece[i + 1] else HOST
            for ch in mark:
                out.append(ch, tag)
            since = 0
            gap = mode or rng.randint(1, 3)
    return out


def w_sep_ascii(t: Tagged, rng: random.Random, lang: str) -> Tagged:
    return _separate(t, rng, SEP_ASCII, False)


def w_sep_symbol(t: Tagged, rng: random.Random, lang: str) -> Tagged:
    return _separate(t, rng, SEP_SYMBOL, False)


def w_sep_han(t: Tagged, rng: random.Random, lang: str) -> Tagged:
    return _separate(t, rng, SEP_HAN, rng.random() < 0.2)


def w_vertical(t: Tagged, rng: random.Random, lang: str) -> Tagged:
    out = Tagged()
    n = len(t)
    for i in range(n):
        c = t.chars[i]
        if c == "\n":
            continue
        out.append(c, t.piece[i], t.src[i])
        if i + 1 < n and t.chars[i + 1] not in PUNCT_CHARS and not c.isspace():
            tag = t.piece[i] if t.piece[i] == t.piece[i + 1] else HOST
            out.append("\n", tag)
    return out


POST_WASHINGS = by_name("w_", w_sep_ascii, w_sep_symbol, w_sep_han, w_vertical)
