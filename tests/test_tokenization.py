"""Tests of textprint.tokenization: spans, token classes, languages, tokenizers, goldens.

The "char" tokenizer is checked against ``tests/reference.py``; the word tokenizers against
outside outputs (jieba's README, MeCab's classic example, Sudachi's README) and golden files
``tests/golden/tokens_*.json``, which pin everything else. Regenerate them only on purpose::

    TEXTPRINT_REGEN_GOLDEN=1 python -m pytest tests/test_tokenization.py -k golden
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import textprint as tp
from _normalization_cases import (
    EN,
    INVISIBLES,
    JA,
    JA_OLD,
    SONG,
    TANG,
    ZH,
    ZH_2,
    any_text,
    assert_folds_alike,
    fixture,
    mixed_text,
    to_half_width,
)
from helpers import break_at, insert_all, tokenizer_available
from reference import char_tokens_reference, document_language_reference
from textprint._tables import CLASS_HAN, CLASS_HANGUL, CLASS_KANA, CLASS_WORD, get_tables
from textprint._tokens import tokenize_batch
from textprint.errors import (
    InvalidInputError,
    InvalidParameterError,
    MissingDependencyError,
    TextprintError,
)
from textprint.tokenization import TOKENIZERS

TABLES = get_tables()
GOLDEN_DIR = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("TEXTPRINT_REGEN_GOLDEN") == "1"
WORD_TOKENIZERS = ("jieba", "mecab", "sudachi")
TOKEN_CLASSES = (CLASS_WORD, CLASS_HAN, CLASS_KANA, CLASS_HANGUL)
JA_2 = fixture("ja_aozora_2.txt")


def needs(name: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        name != "char" and not tokenizer_available(name), reason=f"{name} is not installed"
    )


def as_tuple(t: tp.Tokens) -> tuple[list[str], list[int], list[int]]:
    return list(t.tokens), t.starts.tolist(), t.ends.tolist()


def check_well_formed(text: str, t: tp.Tokens) -> None:
    """What every tokenizer guarantees: spans in the original, tokens that are not
    punctuation or white space, a resolved identity."""
    assert isinstance(t.tokens, tuple)
    assert t.starts.dtype == t.ends.dtype == np.int64
    assert len(t.tokens) == len(t.starts) == len(t.ends) == len(t)
    assert ((t.starts >= 0) & (t.starts < t.ends) & (t.ends <= len(text))).all()
    assert (np.diff(t.starts) >= 0).all()
    assert (np.diff(t.ends) >= 0).all()
    for token in t.tokens:
        assert token
        assert token.strip() == token
        assert any(TABLES.classes[ord(c)] in TOKEN_CLASSES for c in token), token
    assert t.lang in ("zh", "ja", "ko", "other")
    assert "auto" not in t.tokenizer


# --------------------------------------------------------------------------------------------
# The char tokenizer against the reference; spans; token classes.


@given(any_text)
def test_char_tokens_match_reference(text: str) -> None:
    t = tp.tokenize(text, tokenizer="char")
    assert as_tuple(t) == char_tokens_reference(text)
    check_well_formed(text, t)


@pytest.mark.parametrize(
    "name", ["zh_novel.txt", "ja_aozora.txt", "ja_aozora_old.txt", "en_gutenberg.txt"]
)
def test_char_tokens_match_reference_on_fixtures(name: str) -> None:
    text = fixture(name)
    t = tp.tokenize(text, tokenizer="char")
    assert as_tuple(t) == char_tokens_reference(text)
    check_well_formed(text, t)


@given(any_text)
def test_char_token_surface_normalizes_to_the_token(text: str) -> None:
    """``text[start:end]`` normalizes to the token, wherever that is context free: the span is
    the token's alone (no expansion such as ㈱ -> "(株)" shares it), and it is not Han, whose
    Traditional/kyujitai fold depends on the language of the run."""
    t = tp.tokenize(text, tokenizer="char")
    n = tp.normalize(text)
    chars_in = np.searchsorted(n.starts, t.ends) - np.searchsorted(n.starts, t.starts)
    for token, s, e, k in zip(t.tokens, t.starts.tolist(), t.ends.tolist(), chars_in.tolist()):
        if k != len(token) or any(TABLES.classes[ord(c)] == CLASS_HAN for c in token):
            continue
        # (a character whose expansion begins with a space, as NFKC's "¸" -> " ̧", keeps the
        # space alone but loses it next to another space: whitespace is context)
        assert tp.normalize(text[s:e]).text.strip() == token


@pytest.mark.parametrize(
    ("text", "tokens", "starts", "ends"),
    [
        ("学而时习之", ["学", "而", "时", "习", "之"], [0, 1, 2, 3, 4], [1, 2, 3, 4, 5]),
        ("學而時習之，不亦說乎？", list("学而时习之不亦说乎"), [0, 1, 2, 3, 4, 6, 7, 8, 9],
         [1, 2, 3, 4, 5, 7, 8, 9, 10]),
        ("ある日の暮方の事である。", list("ある日の暮方の事である"), list(range(11)),
         list(range(1, 12))),
        ("カタカナ、ｶﾀｶﾅ", list("かたかなかたかな"), [0, 1, 2, 3, 5, 6, 7, 8],
         [1, 2, 3, 4, 6, 7, 8, 9]),
        ("To Sherlock Holmes she is _the_ woman.", ["to", "sherlock", "holmes", "she", "is",
         "the", "woman"], [0, 3, 12, 19, 23, 27, 32], [2, 11, 18, 22, 25, 30, 37]),
        ("Hello, 世界! 東京タワー 2024年", ["hello", "世", "界", "東", "京", "た", "わ", "ー",
         "2024", "年"], [0, 7, 8, 11, 12, 13, 14, 15, 17, 21], [5, 8, 9, 12, 13, 14, 15, 16,
         21, 22]),
        ("한국어 텍스트", ["한", "국", "어", "텍", "스", "트"], [0, 1, 2, 4, 5, 6],
         [1, 2, 3, 5, 6, 7]),
        ("ｗｏｒｌｄ　ｗｉｄｅ", ["world", "wide"], [0, 6], [5, 10]),
        ("exam-\nple co\u200bop", ["example", "coop"], [0, 10], [9, 15]),
        ("㍻", ["平", "成"], [0, 0], [1, 1]),
        ("。、！？…「」 \n\t", [], [], []),
        ("", [], [], []),
    ],
)  # fmt: skip
def test_char_tokens(text: str, tokens: list[str], starts: list[int], ends: list[int]) -> None:
    t = tp.tokenize(text, tokenizer="char")
    assert as_tuple(t) == (tokens, starts, ends)
    assert as_tuple(tp.tokenize(text)) == (tokens, starts, ends)  # "auto" is "char"


def test_auto_resolves_to_a_named_identity() -> None:
    t = tp.tokenize("漢字", tokenizer="auto")
    assert t.tokenizer == tp.tokenize("漢字", tokenizer="char").tokenizer
    assert t.tokenizer.startswith("char-")
    assert tp.normalize("x").identity in t.tokenizer


@pytest.mark.parametrize("name", WORD_TOKENIZERS)
@settings(max_examples=60)
@given(text=any_text)
def test_word_tokenizers_never_raise_and_are_well_formed(name: str, text: str) -> None:
    if not tokenizer_available(name):
        pytest.skip(f"{name} is not installed")
    check_well_formed(text, tp.tokenize(text, tokenizer=name))


@pytest.mark.parametrize("name", ["char", *WORD_TOKENIZERS])
@pytest.mark.parametrize(
    "text", [ZH[:300], JA[:300], EN[:500], "Hello, 世界！東京タワーは333m。한국어 Ｔｅｘｔ"]
)
def test_fixture_tokens_are_well_formed(name: str, text: str) -> None:
    if not tokenizer_available(name):
        pytest.skip(f"{name} is not installed")
    check_well_formed(text, tp.tokenize(text, tokenizer=name))


@given(st.lists(mixed_text, max_size=5))
def test_batch_matches_one_at_a_time(texts: list[str]) -> None:
    batch = tokenize_batch(texts, "char")
    assert batch.n_docs == len(texts)
    for d, text in enumerate(texts):
        one, alone = batch.doc_tokens(d), tp.tokenize(text, tokenizer="char")
        assert as_tuple(one) == as_tuple(alone)
        assert one.lang == alone.lang


# --------------------------------------------------------------------------------------------
# Languages.


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (ZH, "zh"),
        (ZH_2, "zh"),
        (TANG[0], "zh"),  # Traditional
        (SONG[0], "zh"),
        ("國家公務員", "zh"),  # Han only: nothing says Japanese
        (JA, "ja"),
        (JA_OLD, "ja"),
        (JA_2, "ja"),
        ("国家公務員になりたい", "ja"),
        ("ｶﾀｶﾅ", "ja"),  # half-width katakana
        ("한국어 텍스트입니다", "ko"),
        ("\u1112\u1161\u11ab\u1100\u1173\u11af", "ko"),  # conjoining jamo: 한글
        (EN, "other"),
        ("The word 漢字 inside an English sentence", "other"),
        ("", "other"),
        ("12345 !!!", "other"),
        ("\u200b\u200b", "other"),
    ],
)
def test_document_language(text: str, lang: str) -> None:
    assert tp.tokenize(text).lang == lang
    assert document_language_reference(text) == lang


@given(mixed_text)
def test_document_language_matches_reference(text: str) -> None:
    assert tp.tokenize(text).lang == document_language_reference(text)


# --------------------------------------------------------------------------------------------
# Evasions give the same char tokens.


@given(
    st.lists(
        st.integers(0xFF01, 0xFF5E).map(chr)
        | st.sampled_from([*list("アイウエオガギグパピプャュョッ"), "\u3000", "。", "漢字"]),
        max_size=40,
    ).map("".join)
)
def test_full_width_and_half_width_give_the_same_tokens(full: str) -> None:
    assert tp.tokenize(full).tokens == tp.tokenize(to_half_width(full)).tokens


@given(mixed_text, st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(INVISIBLES))))
def test_zero_width_characters_give_the_same_tokens(
    text: str, inserts: list[tuple[int, str]]
) -> None:
    assert tp.tokenize(insert_all(text, inserts)).tokens == tp.tokenize(text).tokens


@pytest.mark.parametrize("name", ["zh_novel.txt", "zh_novel_2.txt"])
def test_traditional_gives_the_same_tokens(
    name: str, opencc_convert: Callable[[str, str], str]
) -> None:
    simplified = fixture(name)
    traditional = opencc_convert("s2t", simplified)
    assert_folds_alike(simplified, traditional, opencc_convert)  # positions that may differ
    a, b = tp.tokenize(simplified), tp.tokenize(traditional)
    assert a.starts.tolist() == b.starts.tolist()
    differ = [i for i, (x, y) in enumerate(zip(a.tokens, b.tokens)) if x != y]
    assert len(differ) <= 1  # 轿夫 -> 轎伕, a phrase-level variant (test_normalization)


def test_traditional_poems_give_the_same_tokens(opencc_convert: Callable[[str, str], str]) -> None:
    for traditional in TANG:
        simplified = opencc_convert("t2s", traditional)
        assert tp.tokenize(traditional).tokens == tp.tokenize(simplified).tokens


@pytest.mark.parametrize("name", ["zh_novel.txt", "ja_aozora.txt"])
@settings(max_examples=50)
@given(data=st.data())
def test_rewrapped_lines_give_the_same_tokens(name: str, data: st.DataObject) -> None:
    """A line break or spaces anywhere that is not inside a word leave the tokens alone."""
    text = fixture(name)[:500]
    word = [TABLES.classes[ord(c)] == CLASS_WORD for c in text]
    gaps = [i for i in range(1, len(text)) if not (word[i - 1] or word[i])]
    cuts = sorted(data.draw(st.sets(st.sampled_from(gaps), max_size=15)))
    breaks = data.draw(
        st.lists(st.sampled_from(["\n", "\r\n", " ", "\u3000", " \n "]), min_size=15)
    )
    assert tp.tokenize(break_at(text, cuts, breaks)).tokens == tp.tokenize(text).tokens


# --------------------------------------------------------------------------------------------
# Word tokenizers: outside outputs.


@needs("jieba")
def test_jieba_readme_example() -> None:
    # jieba's README, 精确模式 ("accurate mode"): 我/ 来到/ 北京/ 清华大学 (the same with HMM off)
    t = tp.tokenize("我来到北京清华大学", tokenizer="jieba")
    assert as_tuple(t) == (["我", "来到", "北京", "清华大学"], [0, 1, 3, 5], [1, 3, 5, 9])
    assert t.lang == "zh"
    assert t.tokenizer.startswith("jieba-0.42.1+")


@needs("jieba")
def test_jieba_hmm_is_off() -> None:
    # The README's HMM example finds the new word 杭研 only with HMM on.
    tokens = tp.tokenize("他来到了网易杭研大厦", tokenizer="jieba").tokens
    assert tokens == ("他", "来到", "了", "网易", "杭", "研", "大厦")


@needs("jieba")
def test_jieba_on_traditional_sees_simplified() -> None:
    a = tp.tokenize("我来到北京清华大学", tokenizer="jieba")
    b = tp.tokenize("我來到北京清華大學", tokenizer="jieba")
    assert as_tuple(a) == as_tuple(b)


@needs("mecab")
def test_mecab_classic_example() -> None:
    t = tp.tokenize("すもももももももものうち", tokenizer="mecab")
    assert t.tokens == ("すもも", "も", "もも", "も", "もも", "の", "うち")
    assert t.lang == "ja"


@needs("sudachi")
def test_sudachi_readme_example_in_mode_b() -> None:
    # Sudachi's README: 国家公務員 is 国家/公務/員 (A), 国家/公務員 (B), 国家公務員 (C).
    t = tp.tokenize("国家公務員になりたい", tokenizer="sudachi")
    assert t.tokens[:2] == ("国家", "公務員")


# --------------------------------------------------------------------------------------------
# Tokenizer choice: names, the protocol, missing packages.


class WhitespaceTokenizer:
    """A user tokenizer: white-space separated words, as they are."""

    identity = "whitespace-1"

    def tokenize(self, text: str) -> tp.Tokens:
        spans = [m.span() for m in re.finditer(r"\S+", text)]
        return tp.Tokens(
            tokens=tuple(text[s:e] for s, e in spans),
            starts=np.array([s for s, _ in spans], dtype=np.int64),
            ends=np.array([e for _, e in spans], dtype=np.int64),
            lang="other",
            tokenizer=self.identity,
        )


def test_user_tokenizer_protocol() -> None:
    user = WhitespaceTokenizer()
    assert isinstance(user, tp.Tokenizer)
    t = tp.tokenize("Hello  big world", tokenizer=user)
    assert as_tuple(t) == (["Hello", "big", "world"], [0, 7, 11], [5, 10, 16])
    assert t.tokenizer == "user:whitespace-1"
    assert not t.starts.flags.writeable


class NoIdentity:
    def tokenize(self, text: str) -> tp.Tokens:
        raise AssertionError("never called")


class BadIdentity(WhitespaceTokenizer):
    identity = 7  # type: ignore[assignment]


class ReturnsAList(WhitespaceTokenizer):
    def tokenize(self, text: str) -> Any:
        return text.split()


@pytest.mark.parametrize(
    "tokenizer",
    ["Jieba", "", "auto ", "mecab-unidic", "word", None, 5, NoIdentity(), BadIdentity(), b"char"],
)
def test_bad_tokenizer_raises_invalid_parameter(tokenizer: Any) -> None:
    with pytest.raises(InvalidParameterError, match=r"tokenizer=.* must be") as info:
        tp.tokenize("漢字", tokenizer=tokenizer)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, TextprintError)


def test_bad_tokenizer_message_lists_the_names() -> None:
    with pytest.raises(InvalidParameterError) as info:
        tp.tokenize("漢字", tokenizer="Jieba")
    assert all(repr(name) in str(info.value) for name in TOKENIZERS)


def test_user_tokenizer_must_return_tokens() -> None:
    with pytest.raises(InvalidParameterError, match="returned list, expected Tokens"):
        tp.tokenize("a b", tokenizer=ReturnsAList())


@pytest.mark.parametrize("bad", [b"bytes", None, 42, ["list"]])
def test_non_str_text_raises_invalid_input(bad: Any) -> None:
    with pytest.raises(InvalidInputError, match="text must be a str") as info:
        tp.tokenize(bad)
    assert isinstance(info.value, TypeError)


def test_missing_japanese_analyzer_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    analyzers = pytest.importorskip("textprint._analyzers")
    if not isinstance(getattr(analyzers, "_REGISTRY", None), dict):
        pytest.skip("textprint._analyzers keeps no _REGISTRY to reset")
    monkeypatch.setattr(analyzers, "_REGISTRY", {})  # forget analyzers made earlier
    monkeypatch.setitem(sys.modules, "fugashi", None)  # `import fugashi` now raises ImportError
    with pytest.raises(MissingDependencyError, match=r'pip install "textprint\[ja\]"') as info:
        tp.tokenize("東京タワー", tokenizer="mecab")
    assert isinstance(info.value, ImportError)


# --------------------------------------------------------------------------------------------
# Golden files: short fixture cuts, tokens and spans per tokenizer.

GOLDEN_CASES: dict[str, list[tuple[str, str]]] = {
    "zh": [
        ("zh_novel", ZH[:120]),
        ("zh_novel_2", ZH_2[:120]),
        ("tang_traditional", TANG[0]),
        ("song_simplified", SONG[0][:80]),
        ("jieba_readme", "我来到北京清华大学"),  # outside: jieba's README
    ],
    "ja": [
        ("ja_aozora", JA[:120]),
        ("ja_aozora_old", JA_OLD[:120]),
        ("ja_aozora_2", JA_2[:120]),
        ("mecab_sumomo", "すもももももももものうち"),  # outside: MeCab's classic example
        ("sudachi_readme", "国家公務員になりたい"),  # outside: Sudachi's README (mode B)
    ],
    "mixed": [
        ("en_gutenberg", EN[:200]),
        ("mixed_scripts", "Hello, 世界！東京タワーは333m。한국어 Ｔｅｘｔ ｶﾞｷﾞ ﬁne ㈱"),
        ("evasions", "學\u200b而時習之，ＡＢＣ ра\u0443раl exam-\nple"),
    ],
}
GOLDEN_TOKENIZERS = {
    "zh": ("char", "jieba"),
    "ja": ("char", "mecab", "sudachi"),
    "mixed": ("char", "jieba", "mecab", "sudachi"),
}


def golden_path(kind: str) -> Path:
    return GOLDEN_DIR / f"tokens_{kind}.json"


def golden_result(text: str, tokenizer: str) -> dict[str, Any]:
    t = tp.tokenize(text, tokenizer=tokenizer)
    return {
        "identity": t.tokenizer,
        "lang": t.lang,
        "tokens": list(t.tokens),
        "starts": t.starts.tolist(),
        "ends": t.ends.tolist(),
    }


def regenerate_golden() -> None:
    """Write tests/golden/tokens_*.json from the current code (run on purpose only)."""
    GOLDEN_DIR.mkdir(exist_ok=True)
    for kind, cases in GOLDEN_CASES.items():
        doc: dict[str, Any] = {
            "about": (
                "Golden tokens of short fixture cuts (tests/fixtures, see ATTRIBUTION.md). "
                "Written by tests/test_tokenization.py::regenerate_golden with "
                "TEXTPRINT_REGEN_GOLDEN=1; review the diff before committing."
            ),
            "cases": [],
        }
        for name, text in cases:
            results = {
                tok: golden_result(text, tok)
                for tok in GOLDEN_TOKENIZERS[kind]
                if tok == "char" or tokenizer_available(tok)
            }
            doc["cases"].append({"name": name, "text": text, "results": results})
        golden_path(kind).write_text(
            json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )


@pytest.mark.skipif(not REGENERATE, reason="set TEXTPRINT_REGEN_GOLDEN=1 to rewrite golden files")
def test_regenerate_golden() -> None:
    regenerate_golden()


GOLDEN_PARAMS = [
    pytest.param(kind, name, tok, id=f"{kind}-{name}-{tok}")
    for kind, cases in GOLDEN_CASES.items()
    for name, _ in cases
    for tok in GOLDEN_TOKENIZERS[kind]
]


@pytest.mark.parametrize(("kind", "name", "tokenizer"), GOLDEN_PARAMS)
def test_golden(kind: str, name: str, tokenizer: str) -> None:
    if tokenizer != "char" and not tokenizer_available(tokenizer):
        pytest.skip(f"{tokenizer} is not installed")
    path = golden_path(kind)
    assert path.is_file(), f"{path} is missing: run with TEXTPRINT_REGEN_GOLDEN=1"
    cases = {c["name"]: c for c in json.loads(path.read_text(encoding="utf-8"))["cases"]}
    case = cases[name]
    text = dict(GOLDEN_CASES[kind])[name]
    assert case["text"] == text, "the fixture cut changed: regenerate the golden files"
    if tokenizer not in case["results"]:
        pytest.skip(f"{path.name} has no {tokenizer} result (not installed when written)")
    expected = case["results"][tokenizer]
    got = golden_result(text, tokenizer)
    compared = ("lang", "tokens", "starts", "ends")
    assert {k: got[k] for k in compared} == {k: expected[k] for k in compared}, (
        f"written with {expected['identity']}, now {got['identity']}"
    )


def test_golden_outside_values() -> None:
    """The golden files hold the outside outputs, so a regeneration cannot silently lose them."""
    if not GOLDEN_DIR.is_dir():
        pytest.skip("no golden files yet")
    zh = {c["name"]: c for c in json.loads(golden_path("zh").read_text("utf-8"))["cases"]}
    assert zh["jieba_readme"]["results"]["jieba"]["tokens"] == ["我", "来到", "北京", "清华大学"]
    ja = {c["name"]: c for c in json.loads(golden_path("ja").read_text("utf-8"))["cases"]}
    if "mecab" in ja["mecab_sumomo"]["results"]:
        sumomo = ["すもも", "も", "もも", "も", "もも", "の", "うち"]
        assert ja["mecab_sumomo"]["results"]["mecab"]["tokens"] == sumomo
    if "sudachi" in ja["sudachi_readme"]["results"]:
        assert ja["sudachi_readme"]["results"]["sudachi"]["tokens"][:2] == ["国家", "公務員"]
