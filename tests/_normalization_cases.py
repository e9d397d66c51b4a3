"""Texts and hypothesis strategies for the tests of the text layer (tests/test_normalization.py,
tests/test_normalization_evasions.py, tests/test_tokenization.py): fixtures, the shipped
tables' folds, mixed-script text with everything an evader or a messy file puts into it, and
the width and script variants the folds must undo."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import strategies as st

import textprint as tp
from textprint._tables import UNICODE_VERSION, get_tables

TABLES = get_tables()
FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]
CP = np.arange(len(TABLES.t2s), dtype=np.uint32)
T2S_KEYS = [chr(c) for c in np.flatnonzero(TABLES.t2s != CP).tolist()]
JP_KEYS = [chr(c) for c in np.flatnonzero(TABLES.jp != CP).tolist()]
FOLD_KEYS = frozenset(
    chr(c)
    for name in ("t2s", "jp", "common")
    for c in np.flatnonzero(getattr(TABLES, name) != CP).tolist()
)
REMOVED = frozenset(chr(c) for c, d in TABLES.decomposition.items() if not d)
UNICODE_IS_PINNED = unicodedata.unidata_version == UNICODE_VERSION
needs_unicode_14 = pytest.mark.skipif(
    not UNICODE_IS_PINNED,
    reason=f"unicodedata is {unicodedata.unidata_version}, the tables are {UNICODE_VERSION}",
)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def poems() -> list[dict[str, str]]:
    lines = fixture("zh_poems.jsonl").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


ZH, ZH_2, JA, JA_OLD, EN = (
    fixture("zh_novel.txt"),
    fixture("zh_novel_2.txt"),
    fixture("ja_aozora.txt"),
    fixture("ja_aozora_old.txt"),
    fixture("en_gutenberg.txt"),
)
TANG = [p["text"] for p in poems()[:20]]  # Traditional characters (ATTRIBUTION.md)
SONG = [p["text"] for p in poems()[20:]]  # Simplified characters


def as_tuple(n: tp.Normalized) -> tuple[str, list[int], list[int]]:
    return n.text, n.starts.tolist(), n.ends.tolist()


# --------------------------------------------------------------------------------------------
# Strategies: mixed scripts, with everything an evader or a messy file puts into text.


def chars(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.integers(lo, hi).map(chr)


INVISIBLES = [
    "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\u2061", "\u2064", "\ufeff",
    "\u00ad", "\u034f", "\u061c", "\u180e", "\u115f", "\u1160", "\u3164", "\uffa0",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
    "\ufe0f", "\U000e0001", "\U000e0041", "\U000e007f", "\U000e0100",
]  # fmt: skip
WHITESPACE = [
    " ", "  ", "\t", "\n", "\r\n", "\r", "\n\n", "\u3000", "\u00a0", "\u2028", "\u2029",
    "\x85", "\u200a", "\u205f", "\x0b", "\x0c", " \n ",
]  # fmt: skip
HYPHENATION = ["-", "-\n", "-\r\n", "- \n", "\u2010\n", "\u2011\n", "-\n  ", "\u00ad\n", "\u2010"]
PUNCTUATION = [*list("。、，！？!?,.;:「」『』（）()…—・ー〜"), "．", "｡", "､", "。\n"]
KANA_EXTRA = [
    "\u3099", "\u309a", "\u309b", "\u309c", "\uff9e", "\uff9f", "ｶﾞ", "か\u3099", "ハ\u309a",
    "ヽ", "ヾ", "ゝ\u3099", "ぁぃぅぇぉっゃゅょゎ", "ㇰㇱㇲ", "ヵヶ",
]  # fmt: skip
LATIN_EXTRA = [
    "e\u0301", "a\u0323\u0302", "o\u0308\u0304", "ﬁ", "ﬀ", "ß", "ẞ", "İ", "ı", "ǅ", "ŉ",
    "Å", "Ω", "K", "ſ\u0323\u0307", "ᾼ", "\u0345", "Ａ\u0301", "Straße", "café",
]  # fmt: skip
LOOKALIKES = list("аеорсхуіјԁһѕԝАВЕНКМОРСТХαβεηικμορτχΑΒΕΗΙΚΜΟΡΤΧ⺅⺉⻌○◯ㄧɑɡ")
COMPAT = [*list("㈱㍿①⑴½™Ⅻ℃㌔㍻㋿ﷺ…‥︰︙ｰ"), "⑴", "🄀"]
SNIPPETS = [
    ZH[:40], ZH_2[100:140], JA[:40], JA_OLD[:40], EN[:60], TANG[0], SONG[0][:30],
    "学而时习之，不亦说乎？", "學而時習之，不亦說乎？", "東京タワーに行きました。", "한국어 텍스트",
]  # fmt: skip

PIECE = st.one_of(
    chars(0x4E00, 0x9FFF),  # Han
    st.sampled_from(T2S_KEYS + JP_KEYS),  # Traditional and kyujitai forms
    chars(0x20000, 0x2A6DF),  # CJK Ext B (astral)
    chars(0xF900, 0xFAFF) | chars(0x2F800, 0x2FA1D),  # compatibility ideographs
    chars(0x2E80, 0x2EF3) | chars(0x2F00, 0x2FD5),  # radicals
    chars(0x3041, 0x30FF),  # kana
    chars(0xFF61, 0xFF9F),  # half-width katakana
    st.sampled_from(KANA_EXTRA),
    chars(0xAC00, 0xD7A3),  # Hangul syllables
    chars(0x1100, 0x11FF) | chars(0x3130, 0x318F) | chars(0xFFA0, 0xFFDC),  # jamo
    chars(0x41, 0x5A) | chars(0x61, 0x7A) | chars(0x30, 0x39),
    chars(0xC0, 0x24F) | chars(0x300, 0x36F) | chars(0x1DC0, 0x1DFF),  # Latin, combining
    chars(0x370, 0x3FF) | chars(0x400, 0x4FF) | chars(0x1F00, 0x1FFF),  # Greek, Cyrillic
    chars(0x1D400, 0x1D7FF) | chars(0xFB00, 0xFB4F),  # math letters, presentation forms
    chars(0xFF01, 0xFF5E),  # full-width forms
    chars(0x2460, 0x24FF) | chars(0x3200, 0x33FF),  # enclosed and squared
    st.sampled_from(LATIN_EXTRA + LOOKALIKES + COMPAT),
    st.sampled_from(INVISIBLES) | chars(0xE0000, 0xE007F) | chars(0xFE00, 0xFE0F),
    chars(0x0, 0x1F) | chars(0x7F, 0x9F),  # controls
    chars(0xD800, 0xDFFF),  # lone surrogates
    st.sampled_from(WHITESPACE + HYPHENATION + PUNCTUATION),
    st.sampled_from(SNIPPETS),
    st.text(
        st.sampled_from(T2S_KEYS[:300] + list("的一是了我不人在他有")), min_size=5, max_size=25
    ),
    st.characters(),
)
mixed_text = st.lists(PIECE, max_size=40).map("".join)
any_text = st.one_of(mixed_text, st.text(), st.text(st.characters(codec="utf-8")))


# the full- and half-width forms, and Traditional vs Simplified, as the tests of
# normalization and tokenization compare them

HALF_KATAKANA = {
    unicodedata.normalize("NFKC", chr(c)): chr(c)
    for c in range(0xFF61, 0xFFA0)
    if len(unicodedata.normalize("NFKC", chr(c))) == 1
}
HALF_KATAKANA |= {"\u3099": "\uff9e", "\u309a": "\uff9f"}
FULL_KATAKANA = sorted(
    c
    for c in map(chr, range(0x30A1, 0x30FB))
    if all(d in HALF_KATAKANA for d in unicodedata.normalize("NFD", c))
)


def to_half_width(text: str) -> str:
    out = []
    for c in text:
        if "\uff01" <= c <= "\uff5e":
            out.append(chr(ord(c) - 0xFEE0))
        elif c == "\u3000":
            out.append(" ")
        else:
            out.extend(HALF_KATAKANA.get(d, d) for d in unicodedata.normalize("NFD", c))
    return "".join(out)


def assert_folds_alike(
    simplified: str, traditional: str, opencc_convert: Callable[[str, str], str]
) -> None:
    """Normalizing both gives the same text, except where only a phrase can tell.

    OpenCC's s2t works by phrases, and a phrase may pick a variant that no character fold takes
    back (轿夫 -> 轎伕, and 伕 alone stays 伕 in OpenCC's own t2s too). Those positions are found
    with OpenCC's t2s on one character per line; they must be rare.
    """
    assert len(traditional) == len(simplified)
    assert traditional != simplified
    one_per_line = "\n".join(" " if c == "\n" else c for c in traditional)
    per_char = opencc_convert("t2s", one_per_line).split("\n")
    phrase_only = {i for i, (s, c) in enumerate(zip(simplified, per_char)) if s != c}
    assert len(phrase_only) <= max(1, len(simplified) // 200)
    n_s, n_t = tp.normalize(simplified), tp.normalize(traditional)
    assert len(n_s.text) == len(n_t.text)
    differ = {int(n_s.starts[i]) for i, (a, b) in enumerate(zip(n_s.text, n_t.text)) if a != b}
    assert differ <= phrase_only
