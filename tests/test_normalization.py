"""Tests of textprint.normalization: the fast path against the reference, properties, goldens.

The oracle is ``tests/reference.py`` (pure Python, one character at a time). Outside goldens:
Python's ``unicodedata`` (NFKC + case folding, when it is Unicode 14.0.0 like our tables),
OpenCC 1.4.2's own converter (Traditional -> Simplified, kyujitai -> shinjitai), and known NFKC
outputs.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import textprint as tp
from helpers import break_at, insert_all, require_pinned_opencc
from reference import normalize_reference
from textprint._normbatch import normalize_batch
from textprint._tables import (
    CLASS_HAN,
    CLASS_KANA,
    OPENCC_VERSION,
    TABLES_VERSION,
    UNICODE_VERSION,
    get_tables,
)
from textprint.errors import InvalidInputError, InvalidParameterError, TextprintError

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


# --------------------------------------------------------------------------------------------
# The fast path against the reference.


@given(mixed_text)
def test_matches_reference(text: str) -> None:
    assert as_tuple(tp.normalize(text)) == normalize_reference(text)


@given(st.text())
def test_matches_reference_on_any_unicode(text: str) -> None:
    assert as_tuple(tp.normalize(text)) == normalize_reference(text)


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.txt")))
def test_matches_reference_on_fixtures(name: str) -> None:
    text = fixture(name)
    assert as_tuple(tp.normalize(text)) == normalize_reference(text)


def test_matches_reference_on_poems() -> None:
    for text in TANG + SONG:
        assert as_tuple(tp.normalize(text)) == normalize_reference(text)


@given(st.lists(mixed_text, max_size=6))
def test_batch_matches_one_at_a_time(texts: list[str]) -> None:
    batch, _ = normalize_batch(texts)
    for d, text in enumerate(texts):
        a, b = int(batch.bounds[d]), int(batch.bounds[d + 1])
        expected_text, expected_starts, expected_ends = normalize_reference(text)
        assert batch.text(d) == expected_text
        assert batch.starts[a:b].tolist() == expected_starts
        assert batch.ends[a:b].tolist() == expected_ends


@given(st.lists(mixed_text, max_size=6))
def test_every_span_at_once_is_each_span_mapped_back(texts: list[str]) -> None:
    """``starts``/``ends`` (every position mapped at once) equal the spans of each position
    looked up alone (`span_start`/`span_end`, the binary searches the later stages use)."""
    batch, _ = normalize_batch(texts)
    idx = np.arange(len(batch.folded), dtype=np.int64)
    assert batch.starts.tolist() == batch.span_start(idx).tolist()
    assert batch.ends.tolist() == batch.span_end(idx).tolist()


@pytest.mark.parametrize("bad", [b"bytes", None, 42, ["list"], 3.5, bytearray(b"x")])
def test_non_str_raises_invalid_input_like_the_reference(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="text must be a str") as fast:
        tp.normalize(bad)  # type: ignore[arg-type]
    assert isinstance(fast.value, TypeError)
    assert isinstance(fast.value, TextprintError)
    with pytest.raises(InvalidInputError):
        normalize_reference(bad)  # type: ignore[arg-type]


def test_bytes_message_says_how_to_decode() -> None:
    with pytest.raises(InvalidInputError, match=r"decode"):
        tp.normalize("漢字".encode())  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# NFKC_Casefold against Python's unicodedata (an outside implementation of the same standard).


def nfkc_casefold(s: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", s).casefold())


@needs_unicode_14
def test_every_character_folds_like_unicodedata() -> None:
    """The per-character table is NFKC + full case folding, for every assigned plane."""
    lengths, single = TABLES.fold_len.tolist(), TABLES.fold_single.tolist()
    offsets, pool = TABLES.fold_offset.tolist(), TABLES.fold_pool.tolist()
    # Planes 4-13 are unassigned and 15-16 private use (NFKC leaves both alone): sample them.
    cps = [*range(0x40000), *range(0xE0000, 0xF0000), *range(0xF0000, 0x110000, 997)]
    bad = []
    for cp in cps:
        c = chr(cp)
        if 0xD800 <= cp <= 0xDFFF or c in REMOVED or c.isspace():
            continue
        n = lengths[cp]
        ours = chr(single[cp]) if n == 1 else "".join(map(chr, pool[offsets[cp] : offsets[cp] + n]))
        if ours != nfkc_casefold(c):
            bad.append((hex(cp), c, ours, nfkc_casefold(c)))
    assert bad == []


NFKC_PIECE = st.one_of(
    st.characters(exclude_categories=["Cs", "Cc"]),
    st.sampled_from(["e\u0301", "\u0301", "\u0323", "\u0302", "\u1100", "\u1161", "\u11a8"]),
    chars(0x300, 0x36F) | chars(0x1100, 0x11FF) | chars(0xAC00, 0xD7A3),
    chars(0x41, 0x7A) | chars(0xC0, 0x24F) | chars(0xFF01, 0xFF5E) | chars(0x1F00, 0x1FFF),
    st.sampled_from(LATIN_EXTRA + COMPAT),
)


@needs_unicode_14
@given(st.lists(NFKC_PIECE, max_size=30).map("".join))
def test_folds_strings_like_unicodedata(text: str) -> None:
    """Composition across characters (clusters) agrees with NFKC of the whole string."""
    assume(not any(c in REMOVED or c.isspace() for c in text))
    expected = nfkc_casefold(text)
    # a folded letter may hide inside a precomposed one: "ἀ" + U+0323 reorders into "α" + marks,
    # and the look-alike fold makes that "a"; look at the decomposed form too
    seen = expected + unicodedata.normalize("NFD", expected)
    assume(not any(c in FOLD_KEYS or c.isspace() or c in REMOVED for c in seen))
    assert tp.normalize(text).text == expected


# --------------------------------------------------------------------------------------------
# Properties (STYLE.md "Tests"; API.md "Text").


@given(any_text)
def test_idempotent(text: str) -> None:
    n = tp.normalize(text)
    assert tp.normalize(n.text).text == n.text


SMALL_KANA = [
    *"ぁぃぅぇぉっゃゅょゎゕゖ",
    *"ァィゥェォッャュョヮヵヶ",
    *"ㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ",  # Katakana Phonetic Extensions (Ainu)
    *"ｧｨｩｪｫｯｬｭｮ",  # half-width
]
VOICING = ["\u3099", "\u309a", "\uff9e", "\uff9f", "\u309b", "\u309c"]


@given(st.lists(st.sampled_from(SMALL_KANA + VOICING + list("かカうウはハ說 ")), max_size=12))
def test_small_kana_and_voicing_marks_are_idempotent(pieces: list[str]) -> None:
    text = "".join(pieces)
    n = tp.normalize(text)
    assert tp.normalize(n.text).text == n.text
    assert n.text == unicodedata.normalize("NFC", n.text)
    assert as_tuple(n) == normalize_reference(text)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("ㇰ\u3099", "ぐ"),  # small katakana ku (Katakana Phonetic Extensions, Ainu)
        ("ゕ\u3099", "が"),
        ("ㇳ\u3099", "ど"),
        ("ゖ\u3099", "げ"),
        ("ぅ\u3099", "ゔ"),
        ("ｩﾞ", "ゔ"),  # half-width small u + half-width voicing mark
        ("ㇵ\u309a", "ぱ"),
        ("\u0430\u0301", "\u00e1"),  # Cyrillic a + acute: the look-alike fold composes too
    ],
)
def test_a_base_that_folds_composes_with_its_mark(text: str, folded: str) -> None:
    """A base with no composite for a mark composes as its kana or look-alike fold does: the
    composed character spans both original characters and is one token."""
    n = tp.normalize(text)
    assert as_tuple(n) == (folded, [0], [2])
    assert normalize_reference(text) == (folded, [0], [2])
    assert tp.normalize(n.text).text == n.text
    assert tp.tokenize(text).tokens == (folded,)
    assert tp.normalize("前" + text + "後").source_span(1, 2) == (1, 3)


@given(any_text)
def test_spans_slice_the_original(text: str) -> None:
    n = tp.normalize(text)
    starts, ends = n.starts, n.ends
    assert starts.dtype == np.int64
    assert ends.dtype == np.int64
    assert len(starts) == len(ends) == len(n.text) == len(n)
    assert ((starts >= 0) & (starts < ends) & (ends <= len(text))).all()
    assert (np.diff(starts) >= 0).all()
    assert (np.diff(ends) >= 0).all()
    # Spans are the original clusters: two of them are equal or disjoint.
    distinct = sorted(set(zip(starts.tolist(), ends.tolist())))
    assert all(e1 <= s2 for (_, e1), (s2, _) in itertools.pairwise(distinct))


@given(any_text)
def test_spans_point_back_to_text_that_normalizes_the_same(text: str) -> None:
    n = tp.normalize(text)
    spans = list(zip(n.starts.tolist(), n.ends.tolist()))
    # The original clusters, concatenated, normalize to the whole view.
    clusters = "".join(text[s:e] for s, e in dict.fromkeys(spans))
    assert tp.normalize(clusters).text == n.text
    # Each cluster alone gives its characters; only the script fold of Han characters depends
    # on the rest of the run, so where there is no Han, the characters are exactly the same.
    groups: dict[tuple[int, int], str] = {}
    for span, ch in zip(spans, n.text):
        groups[span] = groups.get(span, "") + ch
    # (Edge spaces aside: an expansion such as "¨" -> " \u0308" loses its space to a run of
    # white space before it.)
    for (s, e), folded in groups.items():
        alone = tp.normalize(text[s:e]).text.strip(" \n")
        assert len(alone) == len(folded.strip(" \n"))
        if not any(TABLES.classes[ord(c)] == CLASS_HAN for c in folded):
            assert alone == folded.strip(" \n")


@given(any_text, st.data())
def test_source_span_maps_a_range_back(text: str, data: st.DataObject) -> None:
    n = tp.normalize(text)
    assume(len(n) > 0)
    a = data.draw(st.integers(0, len(n) - 1))
    b = data.draw(st.integers(a + 1, len(n)))
    assert n.source_span(a, b) == (int(n.starts[a]), int(n.ends[b - 1]))


@pytest.mark.parametrize(("start", "end"), [(0, 0), (-1, 2), (2, 1), (0, 99)])
def test_source_span_rejects_a_bad_range(start: int, end: int) -> None:
    with pytest.raises(InvalidParameterError, match=r"must satisfy 0 <= start < end <= 3"):
        tp.normalize("abc").source_span(start, end)


# --------------------------------------------------------------------------------------------
# Equalities: the evasions normalization undoes.

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


@given(
    st.lists(
        chars(0xFF01, 0xFF5E) | st.sampled_from([*FULL_KATAKANA, "\u3000", "。", "、"]),
        max_size=40,
    ).map("".join)
)
def test_full_width_equals_half_width(full: str) -> None:
    half = to_half_width(full)
    assert tp.normalize(full).text == tp.normalize(half).text


@pytest.mark.parametrize(
    ("full", "half"),
    [
        ("ＡＢＣ　ｄｅｆ！", "ABC def!"),
        ("ガギグゲゴパピプペポ", "ｶﾞｷﾞｸﾞｹﾞｺﾞﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ"),
        ("１２３％", "123%"),
    ],
)
def test_full_width_golden(full: str, half: str) -> None:
    assert tp.normalize(full).text == tp.normalize(half).text


@pytest.fixture(scope="module")
def s2t(opencc_convert: Callable[[str, str], str]) -> Callable[[str], str]:
    return lambda text: opencc_convert("s2t", text)


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


@pytest.mark.parametrize("name", ["zh_novel.txt", "zh_novel_2.txt"])
def test_traditional_equals_simplified_on_novels(
    name: str, s2t: Callable[[str], str], opencc_convert: Callable[[str, str], str]
) -> None:
    simplified = fixture(name)
    traditional = s2t(simplified)
    assert sum(a != b for a, b in zip(simplified, traditional)) > 300  # really converted
    assert_folds_alike(simplified, traditional, opencc_convert)


def test_one_phrase_level_variant_is_known() -> None:
    # The one place in the fixtures where OpenCC's s2t goes beyond characters (see above).
    assert tp.normalize("轿夫").text == "轿夫"
    assert tp.normalize("轎伕").text == "轿伕"


def test_traditional_equals_simplified_on_song_ci(s2t: Callable[[str], str]) -> None:
    for simplified in SONG:
        assert tp.normalize(s2t(simplified)).text == tp.normalize(simplified).text


def test_tang_poems_fold_like_opencc_t2s(opencc_convert: Callable[[str, str], str]) -> None:
    for traditional in TANG:
        simplified = opencc_convert("t2s", traditional)
        assert simplified != traditional
        assert tp.normalize(traditional).text == tp.normalize(simplified).text


def test_t2s_table_agrees_with_opencc(opencc_convert: Callable[[str, str], str]) -> None:
    """Each single-character fold is OpenCC 1.4.2's own conversion of that character.

    Ours may also come from OpenCC's Taiwan or Hong Kong variant conversion (tw2s, hk2s: the
    generator merges their variant maps), and follows chains to the end (A -> B -> C), so that
    the fold is idempotent.
    """
    keys = np.flatnonzero(TABLES.t2s != CP).tolist()
    assert len(keys) > 3000
    column = "\n".join(map(chr, keys))  # one character per line: no phrase can apply

    def to_the_end(config: str) -> list[str]:
        out = column
        for _ in range(3):
            out = opencc_convert(config, out)
        return out.split("\n")

    candidates = [to_the_end(c) for c in ("t2s", "tw2s", "hk2s")]
    bad = [
        (chr(k), chr(TABLES.t2s[k]), [c[i] for c in candidates])
        for i, k in enumerate(keys)
        if chr(TABLES.t2s[k]) not in {c[i] for c in candidates}
    ]
    assert bad == []
    # Where OpenCC's plain t2s changes a character, it mostly agrees with us outright.
    plain = opencc_convert("t2s", column).split("\n")
    assert sum(chr(TABLES.t2s[k]) == plain[i] for i, k in enumerate(keys)) >= len(keys) - 20


def test_opencc_t2s_conversions_we_leave_out_are_extension_forms(
    opencc_convert: Callable[[str, str], str],
) -> None:
    """Characters OpenCC's t2s changes and we do not: only TSCharactersExt's rare forms.

    OpenCC applies TSCharactersExt only where "tofu" (characters fonts seldom have) is allowed;
    its command line tool does not, the library binding does. Our table follows the default, so
    the only conversions we leave out produce characters of the supplementary planes.
    """
    han = [
        cp
        for cp in [*range(0x3400, 0x4DC0), *range(0x4E00, 0xA000), *range(0x20000, 0x2A6E0)]
        if TABLES.fold_len[cp] == 1 and TABLES.fold_single[cp] == cp and TABLES.t2s[cp] == cp
    ]
    converted = opencc_convert("t2s", "\n".join(map(chr, han))).split("\n")
    assert len(converted) == len(han)
    left_out = [(chr(cp), c) for cp, c in zip(han, converted) if c != chr(cp)]
    assert all(ord(c[0]) >= 0x20000 for _, c in left_out), left_out


def test_jp_table_agrees_with_opencc_t2jp(opencc_convert: Callable[[str, str], str]) -> None:
    keys = np.flatnonzero(TABLES.jp != CP).tolist()
    assert len(keys) > 300
    converted = opencc_convert("t2jp", "\n".join(map(chr, keys))).split("\n")
    assert [chr(TABLES.jp[k]) for k in keys] == converted


def test_kyujitai_equals_shinjitai_on_japanese_runs() -> None:
    assert tp.normalize("舊字體の學校へ行く").text == tp.normalize("旧字体の学校へ行く").text
    assert tp.normalize("遙かに遥か").text == "遥かに遥か"  # OpenCC t2jp: 遙 -> 遥, not back
    # Japanese runs keep Japanese forms; Chinese runs get simplified ones.
    assert tp.normalize("說明する").text == "説明する"
    assert tp.normalize("說明書").text == "说明书"


def test_han_only_run_takes_the_document_language() -> None:
    ja_doc = "これは日本語の文章です。\n學校\n"
    zh_doc = "這是中文的文章。\n學校\n"
    assert tp.normalize(ja_doc).text.split("\n")[1] == "学校"  # kyujitai -> shinjitai
    assert tp.normalize(zh_doc).text.split("\n")[1] == "学校"  # t2s
    assert tp.normalize("これは日本語です。\n說明\n").text.split("\n")[1] == "説明"
    assert tp.normalize("这是中文。\n說明\n").text.split("\n")[1] == "说明"


@pytest.mark.parametrize(
    ("n_kana", "n_han", "expected"),
    [(1, 9, "説"), (1, 10, "说"), (3, 27, "説"), (3, 28, "说"), (0, 5, "说")],
)
def test_japanese_run_threshold_is_ten_percent_of_han_and_kana(
    n_kana: int, n_han: int, expected: str
) -> None:
    # the kana stand between Han (a long run with kana only at its edges is never Japanese)
    text = "說" + "か" * n_kana + "說" * (n_han - 1)
    folded = tp.normalize(text).text
    assert folded == expected + "か" * n_kana + expected * (n_han - 1)
    assert normalize_reference(text)[0] == folded


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("說明する", "説明する"),  # short: a word and its verb
        ("か" + "說" * 7, "か" + "説" * 7),
        ("か" + "說" * 8, "か" + "说" * 8),  # 8 Han, kana only before them
        ("說" * 8 + "か", "说" * 8 + "か"),  # ... or only after them
        ("說" * 4 + "か" + "說" * 4, "説" * 4 + "か" + "説" * 4),  # kana inside
        ("日本語の文章です。\n" + "說" * 7, "日本語の文章です。\n" + "説" * 7),  # a heading
        ("日本語の文章です。\n" + "說" * 8, "日本語の文章です。\n" + "说" * 8),  # a quotation
    ],
)
def test_long_run_without_kana_between_its_han_is_chinese(text: str, expected: str) -> None:
    assert tp.normalize(text).text == expected
    assert normalize_reference(text)[0] == expected


KANA = [chr(c) for c in [*range(0x3041, 0x3097), *range(0x30A1, 0x30FB)]]
TRADITIONAL_COPIES = [
    "牀前看月光，疑是地上霜。\n舉頭望山月，低頭思故鄉。",
    "春眠不覺曉，處處聞啼鳥。\n夜來風雨聲，花落知多少。",
    "白日依山盡，黃河入海流。\n欲窮千里目，更上一層樓。",
    "學而時習之，不亦說乎？有朋自遠方來，不亦樂乎？",
]
GLUES = ["{}{}", "{} {}", "{}。{}", "{}\n{}"]


@given(
    st.sampled_from(TRADITIONAL_COPIES),
    st.text(st.sampled_from(KANA), min_size=1, max_size=8),
    st.sampled_from(GLUES),
    st.booleans(),
)
def test_kana_glued_to_a_traditional_copy_keep_its_chinese_fold(
    copy: str, kana: str, glue: str, before: bool
) -> None:
    """A few kana before or after a copied Traditional Chinese text (a sentence of its own or
    glued to the copy's first or last sentence) do not make the copy fold the Japanese way."""
    post = glue.format(kana, copy) if before else glue.format(copy, kana)
    folded = tp.normalize(post).text
    assert tp.normalize(copy).text in folded
    assert normalize_reference(post)[0] == folded


@given(mixed_text, st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(INVISIBLES))))
def test_zero_width_characters_anywhere_change_nothing(
    text: str, inserts: list[tuple[int, str]]
) -> None:
    assert tp.normalize(insert_all(text, inserts)).text == tp.normalize(text).text


def test_zero_width_in_the_middle_of_a_cluster() -> None:
    assert tp.normalize("e\u200b\u0301").text == "é"
    assert tp.normalize("ｶ\ufeffﾞ").text == "が"
    assert tp.normalize("\u1100\u200d\u1161").text == "가"
    assert tp.normalize("exam-\u200b\nple").text == "example"


@pytest.mark.parametrize(
    ("lookalike", "latin"),
    [
        ("раураl", "paypal"),  # Cyrillic р а у
        ("ЕХАМРLЕ", "example"),  # Cyrillic capitals
        ("Αpple", "apple"),  # Greek capital alpha
        ("ΡΟΚΕ", "poke"),  # Greek capitals
        ("gοοgle", "google"),  # Greek omicron
        ("ɡооɡlе", "google"),  # Latin script g, Cyrillic о е
    ],
)
def test_lookalike_letters_fold_to_latin(lookalike: str, latin: str) -> None:
    assert tp.normalize(lookalike).text == tp.normalize(latin).text == latin


@pytest.mark.parametrize(
    ("broken", "joined"),
    [
        ("exam-\nple", "example"),
        ("exam-\r\nple", "example"),
        ("exam\u2010\nple", "example"),
        ("exam\u2011\nple", "example"),  # non-breaking hyphen: NFKC makes it U+2010
        ("exam- \n  ple", "example"),
        ("Exam-\n\tPLE", "example"),
    ],
)
def test_hyphenated_line_break_is_joined(broken: str, joined: str) -> None:
    n = tp.normalize(broken)
    assert n.text == joined
    assert n.starts.tolist()[:4] == [0, 1, 2, 3]
    assert n.ends[-1] == len(broken)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("well-known", "well-known"),  # no line break
        ("exam -\nple", "exam -\nple"),  # the hyphen does not follow a letter
        ("exam-\n-ple", "exam-\n-ple"),  # no letter after the break
        ("漢-\n字", "汉-\n字"),  # not a letter
        ("exam-  ple", "exam- ple"),  # spaces only
    ],
)
def test_other_hyphens_stay(text: str, expected: str) -> None:
    assert tp.normalize(text).text == expected


@given(
    st.sampled_from(
        [EN.split("\n\n")[0], "The quick brown fox jumps over the lazy dog again and again"]
    ),
    st.data(),
)
def test_rehyphenated_english_is_the_same(paragraph: str, data: st.DataObject) -> None:
    """Hyphenating a word at a line break anywhere inside it changes nothing."""
    words = paragraph.split()
    i = data.draw(st.integers(0, len(words) - 1))
    word = words[i]
    assume(len(word) >= 2 and word[0].isalpha() and word[1].isalpha())
    cut = data.draw(st.integers(1, len(word) - 1))
    assume(word[cut - 1].isalpha() and word[cut].isalpha())
    broken = [*words[:i], word[:cut] + "-\n" + word[cut:], *words[i + 1 :]]
    assert tp.normalize(" ".join(broken)).text == tp.normalize(" ".join(words)).text


def cjk_gaps(text: str) -> list[int]:
    """Positions between two Han/kana characters (where a re-wrap leaves no trace)."""
    cls = [int(TABLES.classes[ord(c)]) for c in text]
    cjk = [c in (CLASS_HAN, CLASS_KANA) for c in cls]
    return [i for i in range(1, len(text)) if cjk[i - 1] and cjk[i]]


@pytest.mark.parametrize("name", ["zh_novel.txt", "ja_aozora.txt", "ja_aozora_old.txt"])
@settings(max_examples=50)
@given(data=st.data())
def test_rewrapped_cjk_lines_are_the_same(name: str, data: st.DataObject) -> None:
    text = fixture(name)[:400]
    gaps = cjk_gaps(text)
    cuts = sorted(data.draw(st.sets(st.sampled_from(gaps), max_size=12)))
    breaks = data.draw(
        st.lists(st.sampled_from(["\n", "\r\n", " ", "\u3000", "\n　", " \n "]), min_size=12)
    )
    assert tp.normalize(break_at(text, cuts, breaks)).text == tp.normalize(text).text


# --------------------------------------------------------------------------------------------
# Golden outputs: known NFKC / case folding / kana folds, and the spans they keep.

GOLDEN = [
    # (input, text, starts, ends)
    ("㈱", "(株)", [0, 0, 0], [1, 1, 1]),  # one character expands; its span is shared
    ("ｶﾞ", "が", [0], [2]),  # half-width kana + voicing mark: one cluster
    ("カ\u3099", "が", [0], [2]),  # decomposed voicing mark
    ("ﬁ", "fi", [0, 0], [1, 1]),
    ("Straße", "strasse", [0, 1, 2, 3, 4, 4, 5], [1, 2, 3, 4, 5, 5, 6]),
    ("e\u0301", "é", [0], [2]),
    ("\u1100\u1161\u11a8", "각", [0], [3]),  # conjoining jamo compose
    ("①½™", "11⁄2tm", [0, 1, 1, 1, 2, 2], [1, 2, 2, 2, 3, 3]),
    ("Ⅻ ℌ …", "xii h ...", [0, 0, 0, 1, 2, 3, 4, 4, 4], [1, 1, 1, 2, 3, 4, 5, 5, 5]),
    ("㍻㋿", "平成令和", [0, 0, 1, 1], [1, 1, 2, 2]),
    ("㌔", "きろ", [0, 0], [1, 1]),  # squared katakana -> katakana -> hiragana
    ("\u1e9b\u0323", "ṩ", [0], [2]),  # UAX #15's own example
    ("Å Ω K", "å ω k", [0, 1, 2, 3, 4], [1, 2, 3, 4, 5]),  # singletons: Angstrom, Ohm, Kelvin
    ("ｷﾞｬｯﾄ", "ぎやつと", [0, 2, 3, 4], [2, 3, 4, 5]),  # small kana folded to large
    ("İ", "i̇", [0, 0], [1, 1]),  # full case folding
    ("ΣΑΣ", "σaσ", [0, 1, 2], [1, 2, 3]),  # Greek alpha looks like Latin a
    ("a\u200bb\u00adc\ufe0fd", "abcd", [0, 2, 4, 6], [1, 3, 5, 7]),  # invisibles removed
    ("a \t\u3000 b", "a b", [0, 1, 5], [1, 2, 6]),
    ("a \r\n b", "a\nb", [0, 3, 5], [1, 4, 6]),  # the LF of CR LF stands for the run
    ("漢 \n字", "汉字", [0, 3], [1, 4]),  # CJK re-wrap
    ("ア イ", "あい", [0, 2], [1, 3]),
    ("學而時習之", "学而时习之", [0, 1, 2, 3, 4], [1, 2, 3, 4, 5]),
    ("\U00020000\U0002a6d6", "\U00020000\U0002a6d6", [0, 1], [1, 2]),  # Ext B, astral
    ("\ud800a\udfff", "\ufffda\ufffd", [0, 1, 2], [1, 2, 3]),  # lone surrogates, one for one
    ("a\x00b\x07c\x1bd\x7f", "abcd", [0, 2, 4, 6], [1, 3, 5, 7]),  # controls removed
    ("", "", [], []),
]


@pytest.mark.parametrize(("text", "folded", "starts", "ends"), GOLDEN)
def test_golden(text: str, folded: str, starts: list[int], ends: list[int]) -> None:
    assert as_tuple(tp.normalize(text)) == (folded, starts, ends)
    assert normalize_reference(text) == (folded, starts, ends)


@needs_unicode_14
@pytest.mark.parametrize("text", ["①½™", "Ⅻ ℌ …", "\u1e9b\u0323", "Straße", "ﬁ", "İ"])
def test_golden_nfkc_agrees_with_unicodedata(text: str) -> None:
    assert tp.normalize(text).text == nfkc_casefold(text)


# --------------------------------------------------------------------------------------------
# Bad and extreme input: defined results, never an exception.


@pytest.mark.parametrize(
    "text",
    ["", "\x00", "\x00" * 100, "\ud800", "\udfff\ud800", "\u200b" * 50, "\u0301", "\u3099\u3099",
     "\u11a8", " ", "\n\n\n", "-\n", "\U000e0001", "\ufeff"],
)  # fmt: skip
def test_degenerate_text_gives_a_defined_result(text: str) -> None:
    n = tp.normalize(text)
    assert as_tuple(n) == normalize_reference(text)
    assert len(n.starts) == len(n.text)


def test_empty_text() -> None:
    n = tp.normalize("")
    assert n.text == ""
    assert n.starts.dtype == n.ends.dtype == np.int64
    assert n.starts.shape == n.ends.shape == (0,)


def test_lone_surrogates_become_replacement_characters_one_for_one() -> None:
    text = "前\ud83d後\ude00"  # halves of a surrogate pair, each alone
    n = tp.normalize(text)
    assert n.text == "前\ufffd后\ufffd"
    assert n.starts.tolist() == [0, 1, 2, 3]


def test_five_megabytes() -> None:
    """A 5 MB text: the same result as its pieces (no time limit: correctness only)."""
    piece = JA  # starts with a letter and ends with a line break: copies join cleanly
    copies = 5_000_000 // len(piece.encode()) + 1
    big = piece * copies
    assert len(big.encode()) >= 5_000_000
    n, one = tp.normalize(big), tp.normalize(piece)
    assert len(n.text) == len(one.text) * copies
    assert n.text == one.text * copies
    shift = np.repeat(np.arange(copies, dtype=np.int64) * len(piece), len(one.text))
    assert np.array_equal(n.starts, np.tile(one.starts, copies) + shift)
    assert np.array_equal(n.ends, np.tile(one.ends, copies) + shift)


# --------------------------------------------------------------------------------------------
# The shipped tables.


def test_identity_names_the_pinned_versions() -> None:
    assert TABLES.identity.startswith(
        f"tables-{TABLES_VERSION}(unicode-{UNICODE_VERSION},opencc-{OPENCC_VERSION},sha256:"
    )
    assert tp.normalize("x").identity.endswith(TABLES.identity)


def test_tables_load_without_pickle() -> None:
    path = REPO / "src" / "textprint" / "_data" / f"tables-{TABLES_VERSION}.npz"
    with np.load(path, allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)


@pytest.mark.slow  # regenerates every table from unicodedata and OpenCC: ~15-25 s
@needs_unicode_14
def test_generator_reproduces_the_shipped_tables() -> None:
    require_pinned_opencc()
    script = REPO / "scripts" / "generate_tables.py"
    run = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "tables match" in run.stdout


def test_hyphen_before_a_blank_line_is_not_joined() -> None:
    # a blank line is a paragraph break: "Nora-" ends one paragraph, "Nora" starts the next
    assert tp.normalize("dear Nora-\n\nNora").text == "dear nora-\nnora"
    assert tp.normalize("dear Nora-\r\n\r\nNora").text == "dear nora-\nnora"
    assert tp.normalize("exam-\r\nple").text == "example"
