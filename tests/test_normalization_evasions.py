"""Normalization undoes the evasions: full and half width, Traditional and Simplified, old and
new kanji forms, kana, invisible characters, look-alikes, hyphenation and line breaks all
normalize (and fingerprint) alike. The oracle besides the fast path: ``tests/reference.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import textprint as tp
from _normalization_cases import (
    CP,
    EN,
    FULL_KATAKANA,
    INVISIBLES,
    SONG,
    TABLES,
    TANG,
    assert_folds_alike,
    chars,
    fixture,
    mixed_text,
    to_half_width,
)
from helpers import break_at, insert_all
from reference import normalize_reference
from textprint._tables import CLASS_HAN, CLASS_KANA

# --------------------------------------------------------------------------------------------
# Equalities: the evasions normalization undoes.


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
