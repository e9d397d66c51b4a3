"""Tests of the separator rule (textprint._separators, normalization rule 6).

The oracle is ``separators_reference`` in ``tests/reference.py`` (one link at a time, read from
the rule's description), through ``normalize_reference``. Properties: the rule is idempotent,
its spans point back to the original characters, a copy with a mark after every 1-3
characters normalizes, tokenizes and fingerprints like the plain copy, and text that only
looks like it (a repeated phrase, a list of numbers, Latin words) is left alone.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import textprint as tp
from reference import normalize_reference
from textprint import _normbatch, _separators
from textprint._normbatch import normalize_batch, normalize_exact
from textprint._separators import MIN_MARKS, find_separators

MARKS = ["丶", "丨", "〆", "ヽ", "x", "7", "乂", "的"]
#: Characters of plain text: common Han (Simplified and Traditional), kana, punctuation.
HAN = list("天下大势分久必合周末七国争并入于秦及灭之后楚汉又朝自高祖斩白蛇而起义一统學習說國")
KANA = list("あいうえおかきくけこさしすせそたちつてとカタナ")
FILLER = ["，", "、", "：", "“", "”", " ", "\n", "。", "！", "？", "a", "b", "1", "2", "😀"]


def marked(draw: st.DrawFn, chars: list[str], mark: str) -> list[str]:
    """`chars` with `mark` put after every 1-3 of them (none after the last)."""
    out: list[str] = []
    i = 0
    while i < len(chars):
        g = draw(st.integers(1, 3))
        out += chars[i : i + g]
        i += g
        if i < len(chars):
            out.append(mark)
    return out


@st.composite
def washed(draw: st.DrawFn) -> str:
    """Text with marks put after every 1-3 characters in places (and plain text between)."""
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        body = draw(st.lists(st.sampled_from(HAN + KANA + FILLER), min_size=0, max_size=30))
        if draw(st.booleans()):
            mark = draw(st.sampled_from(MARKS))
            spaced = draw(st.booleans())
            body = marked(draw, body, f" {mark} " if spaced else mark)
        parts.append("".join(body))
    return "".join(parts)


any_washed = st.one_of(washed(), st.text(st.sampled_from(MARKS + HAN[:6] + FILLER[:8])))


def as_tuple(n: tp.Normalized) -> tuple[str, list[int], list[int]]:
    return n.text, n.starts.tolist(), n.ends.tolist()


@given(any_washed)
def test_matches_reference(text: str) -> None:
    assert as_tuple(tp.normalize(text)) == normalize_reference(text)


@given(st.lists(any_washed, max_size=5))
def test_batch_and_exact_path_match_one_at_a_time(texts: list[str]) -> None:
    for path in (normalize_batch, normalize_exact):
        batch, _ = path(texts)
        for d, text in enumerate(texts):
            a, b = int(batch.bounds[d]), int(batch.bounds[d + 1])
            one = tp.normalize(text)
            assert batch.text(d) == one.text
            assert batch.starts[a:b].tolist() == one.starts.tolist()
            assert batch.ends[a:b].tolist() == one.ends.tolist()
            # the views computed on first use have the view's length
            assert len(batch.analysis) == len(batch.folded) == len(batch.lang)


@given(any_washed)
def test_idempotent(text: str) -> None:
    once = tp.normalize(text).text
    assert tp.normalize(once).text == once


@given(any_washed)
def test_spans_point_back_to_the_original_characters(text: str) -> None:
    n = tp.normalize(text)
    starts, ends = n.starts, n.ends
    assert ((starts >= 0) & (starts < ends) & (ends <= len(text))).all()
    assert (np.diff(starts) >= 0).all()
    assert (np.diff(ends) >= 0).all()
    spans = list(dict.fromkeys(zip(starts.tolist(), ends.tolist())))
    assert all(e1 <= s2 for (_, e1), (s2, _) in itertools.pairwise(spans))
    # the clusters the view came from (the separators belong to none) normalize to the view
    assert tp.normalize("".join(text[s:e] for s, e in spans)).text == n.text


@st.composite
def copy_and_washed_copy(draw: st.DrawFn) -> tuple[str, str]:
    """Sentences of distinct characters, and the same with one mark after every 1-3 of them
    (a chain of at least MIN_MARKS marks in each sentence)."""
    mark = draw(st.sampled_from(MARKS))
    # (no two characters that fold alike: a mark between two equal characters is no link)
    pool = [c for c in HAN[:-4] + KANA[:-3] if c != mark]
    plain: list[str] = []
    washed_: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        sentence = draw(st.lists(st.sampled_from(pool), min_size=16, max_size=30, unique=True))
        plain.append("".join(sentence) + "。")
        washed_.append("".join(marked(draw, sentence, mark)) + "。")
    return "".join(plain), "".join(washed_)


@given(copy_and_washed_copy())
def test_a_washed_copy_fingerprints_like_the_plain_copy(pair: tuple[str, str]) -> None:
    plain, washed_text = pair
    assert tp.normalize(washed_text).text == tp.normalize(plain).text
    assert tp.tokenize(washed_text).tokens == tp.tokenize(plain).tokens
    fa, fb = tp.fingerprint(washed_text), tp.fingerprint(plain)
    assert fa.hashes.tolist() == fb.hashes.tolist()
    # and the passage found maps back onto the washed text, separators inside it
    c = tp.compare(washed_text, plain)
    assert c.containment == pytest.approx(1.0)


@given(copy_and_washed_copy())
def test_the_exact_path_removes_them_too(pair: tuple[str, str]) -> None:
    plain, washed_text = pair
    a, _ = normalize_exact([washed_text])
    b, _ = normalize_exact([plain])
    assert a.text(0) == b.text(0)


def test_jieba_tokens_of_a_washed_copy_are_those_of_the_copy() -> None:
    plain = "话说天下大势，分久必合，合久必分。周末七国分争，并入于秦。"
    washed_text = "话说丶天下丶大势，丶分久丶必合，丶合久丶必分。周丶末七丶国分丶争，丶并入丶于秦。"
    assert tp.tokenize(washed_text, "jieba").tokens == tp.tokenize(plain, "jieba").tokens


def test_a_long_washed_text_signs_alike_in_pieces() -> None:
    sentence = "话说丶天下丶大势丶分久丶必合丶合久丶必分。周丶末七丶国分丶争并丶入于丶秦。\n"
    text = sentence * 400
    mh = tp.MinHasher()
    whole = mh.signatures([text], chunk_chars=len(text) + 1).values
    pieces = mh.signatures([text], chunk_chars=1000).values
    assert whole.tolist() == pieces.tolist()
    assert whole.tolist() == mh.signatures([text.replace("丶", "")]).values.tolist()


@pytest.mark.parametrize(
    "text",
    [
        "一个一个一个一个一个一个",  # a repeated phrase
        "哈丶哈丶哈丶哈丶哈丶哈",  # the characters around the mark repeat
        "丶是一个汉字部首，丨也是；丶丨都是笔画。",  # the marks as words
        "1,1,1,1,1,1,1",  # numbers
        "a banana, an ananas and a papaya",  # Latin text
        "天丶下丶大丶势。丶分丶久",  # a sentence end between the marks
        "天丶下丶大, 丶势丶分丶久",  # white space between two marks
        "x天xx下x大x势x分",  # a mark repeated next to itself
    ],
)
def test_text_that_only_looks_separated_is_kept(text: str) -> None:
    n = tp.normalize(text)
    assert n.text == normalize_reference(text)[0]
    marks = set("丶丨x1")
    kept = sum(ch in marks for ch in n.text)
    assert kept == sum(ch in marks for ch in text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("天丶下丶大丶势丶分丶久", "天下大势分久"),
        ("话说丨天下丨大势，丨分久丨必合丨合久", "话说天下大势,分久必合合久"),
        ("天 丶 下 丶 大 丶 势 丶 分 丶 久", "天下大势分久"),
        ("天x下x大x势x分x久", "天下大势分久"),
        ("天下ヽ大势ヽ分久ヽ必合ヽ合久ヽ", "天下大势分久必合合久"),
        ("學ヽ而ヽ時ヽ習ヽ之ヽ說", "学而时习之说"),  # the kana mark does not make the run Japanese
    ],
)
def test_separators_are_removed(text: str, expected: str) -> None:
    n = tp.normalize(text)
    assert n.text == expected
    assert n.source_span(0, len(n)) == (0, len(text.rstrip("ヽ")))


def test_chains_need_min_marks() -> None:
    short = "天丶下丶大丶势丶分"  # four marks
    assert MIN_MARKS == 5
    assert tp.normalize(short).text == short
    assert tp.normalize(short + "丶久").text == "天下大势分久"


#: What may end a line or a sentence: most of them give a safe cut (`safe_cuts`) after them.
ENDS = ["。", "！", "？", "，\n", "a\n", "\n", "。\n", "-\n", " \n", "，\r\n"]


@st.composite
def lines_some_washed(draw: st.DrawFn) -> str:
    """Lines and sentences, some of them washed (a chain of marks), between safe cuts and
    places that are none."""
    out: list[str] = []
    for _ in range(draw(st.integers(1, 6))):
        out.append(
            draw(washed())
            if draw(st.booleans())
            else draw(st.text(st.sampled_from(HAN + KANA), max_size=12))
        )
        out.append(draw(st.sampled_from(ENDS)))
    return "".join(out)


def _whole_refold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Normalize a text with separators again whole (no stretch between safe cuts)."""
    monkeypatch.setattr(
        _normbatch, "_safe_cut", lambda text, at, *, before: 0 if before else len(text)
    )


@pytest.mark.parametrize("reach", [2, 256])
@given(text=lines_some_washed())
def test_only_the_stretch_around_the_separators_is_normalized_again(reach: int, text: str) -> None:
    """Normalizing again between the safe cuts around the separators gives what normalizing
    the text again whole gives (and the reference). With a short reach, separators a few
    characters apart make stretches of their own."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_normbatch, "_CUT_REACH", reach)
        got = tp.normalize(text)
    assert as_tuple(got) == normalize_reference(text)
    with pytest.MonkeyPatch.context() as mp:
        _whole_refold(mp)
        assert as_tuple(tp.normalize(text)) == as_tuple(got)


@given(
    st.lists(lines_some_washed(), min_size=1, max_size=3),
    st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_stretches_with_given_decisions_and_views(texts: list[str], ja: list[bool]) -> None:
    decisions = np.array(ja[: len(texts)], dtype=bool)
    for path in (normalize_batch, normalize_exact):
        for han_only_ja in (None, decisions):
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(_normbatch, "_CUT_REACH", 2)  # (stretches of their own)
                got, _ = path(texts, han_only_ja)
            with pytest.MonkeyPatch.context() as mp:
                _whole_refold(mp)
                whole, _ = path(texts, han_only_ja)
                assert got.folded.tolist() == whole.folded.tolist()
                assert got.starts.tolist() == whole.starts.tolist()
                assert got.ends.tolist() == whole.ends.tolist()
                assert got.lang.tolist() == whole.lang.tolist()
                assert got.analysis.tolist() == whole.analysis.tolist()
            # and the views are those of the texts without their separators
            final = texts if got._texts is None else list(got._texts)  # (None: as given)
            plain, _ = normalize_exact(final, han_only_ja)
            assert got.folded.tolist() == plain.folded.tolist()
            assert got.lang.tolist() == plain.lang.tolist()
            assert got.analysis.tolist() == plain.analysis.tolist()


def test_separators_far_apart_make_stretches_of_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    line = "國語，\n"
    text = line + "天丶下丶大丶势丶分丶久。" + line * 3 + "周丨末丨七丨国丨分丨争。" + line * 3
    stretches: list[list[tuple[int, int]]] = []
    real = _normbatch._stretches

    def spy(*args: Any) -> list[tuple[int, int]]:
        stretches.append(real(*args))
        return stretches[-1]

    monkeypatch.setattr(_normbatch, "_stretches", spy)
    monkeypatch.setattr(_normbatch, "_CUT_REACH", 8)
    n = tp.normalize(text)
    assert [len(s) for s in stretches] == [2]
    assert as_tuple(n) == normalize_reference(text)
    assert n.text == "国语,\n天下大势分久。" + "国语,\n" * 3 + "周末七国分争。" + "国语,\n" * 3


def test_a_stretch_whose_separators_decided_the_language_is_normalized_whole() -> None:
    """Kana marks that make a Han text's kana share Japanese: once they go, the text is
    Chinese, and its other lines fold as Chinese too."""
    washed_line = "學ヽ而ヽ時ヽ習ヽ之ヽ說ヽ乎。\n"
    text = "國語，\n" + washed_line + "學習，\n"
    n = tp.normalize(text)
    assert n.text == "国语,\n学而时习之说乎。\n学习,\n"
    assert as_tuple(n) == normalize_reference(text)


@given(st.lists(st.one_of(lines_some_washed(), any_washed), min_size=1, max_size=3))
def test_the_quick_test_on_mark_repeats_alone_changes_nothing(texts: list[str]) -> None:
    """The quick test looks at the repeats of a mark's class only (`_mark_repeats`): the
    same separators as when it looks at every repeat, for every chain length."""
    batch, _ = normalize_batch(texts)
    args = (batch.folded, batch.classes, batch.bounds)
    for min_marks in (3, 4, MIN_MARKS, 6):
        found = find_separators(*args, min_marks=min_marks)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(_separators, "_mark_repeats", lambda cand, classes: cand)
            every = find_separators(*args, min_marks=min_marks)
        assert found.tolist() == every.tolist()


def test_find_separators_on_an_empty_batch() -> None:
    empty = np.zeros(0, dtype=np.uint32)
    out = find_separators(empty, np.zeros(0, dtype=np.uint8), np.zeros(1, dtype=np.int64))
    assert out.dtype == np.int64
    assert len(out) == 0


def test_a_registry_finds_a_washed_copy() -> None:
    work = (
        "话说天下大势，分久必合，合久必分。周末七国分争，并入于秦。及秦灭之后，楚、汉分争，"
        "又并入于汉。汉朝自高祖斩白蛇而起义，一统天下，后来光武中兴，传至献帝，遂分为三国。"
        "推其致乱之由，殆始于桓、灵二帝。桓帝禁锢善类，崇信宦官。及桓帝崩，灵帝即位，"
        "大将军窦武、太傅陈蕃共相辅佐。时有宦官曹节等弄权，窦武、陈蕃谋诛之，机事不密，"
        "反为所害，中涓自此愈横。"
    )
    washed_text = "转载丨" + "丨".join(work[i : i + 2] for i in range(0, len(work), 2))
    with tp.Registry() as reg:
        reg.register("sanguo-1", work)
        hits = reg.check(washed_text)
    assert [h.work_id for h in hits] == ["sanguo-1"]
    assert hits[0].source_containment > 0.95
