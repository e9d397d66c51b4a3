"""Quotation and attribution (registry/_quotes.py), alone and through a check."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import textprint as tp
from textprint.registry import _evidence as evidence
from textprint.registry import _quotes as quotes


def quoted_parts(text: str) -> list[str]:
    return sorted(text[a:b] for a, b in quotes.quotation_spans(text))


# ---------------------------------------------------------------------------------------------
# Quotation marks

PAIRS = [(o, c[0]) for o, c in quotes.PAIRS.items()] + [("〝", "〟"), ("„", "”"), ("‚", "’")]
SYMMETRIC = ['"', "＂", "'", "＇"]


@pytest.mark.parametrize(("open_", "close"), PAIRS, ids=[o + c for o, c in PAIRS])
def test_every_pair_of_marks_quotes(open_: str, close: str) -> None:
    text = f"他说：{open_}天下大势，分久必合{close}，然后走了。"
    assert quoted_parts(text) == [f"{open_}天下大势，分久必合{close}"]


@pytest.mark.parametrize("mark", SYMMETRIC)
def test_every_straight_mark_quotes_in_pairs(mark: str) -> None:
    text = f"He said {mark}the whole world is a stage{mark} and left."
    assert quoted_parts(text) == [f"{mark}the whole world is a stage{mark}"]


@pytest.mark.parametrize("mark", ["《", "〈", "【", "("])
def test_title_marks_and_brackets_are_no_quotations(mark: str) -> None:
    close = {"《": "》", "〈": "〉", "【": "】", "(": ")"}[mark]
    assert quotes.quotation_spans(f"见{mark}三国演义{close}一书") == []


def test_block_quotes_are_lines_starting_with_a_mark() -> None:
    text = "intro line\n> quoted line one\n  > indented quote\n>> deeper\n＞ full-width\nafter"
    assert quoted_parts(text) == sorted(
        ["> quoted line one", "  > indented quote", ">> deeper", ">> deeper", "＞ full-width"]
    )


def test_quotations_nest() -> None:
    text = "「外面『里面』外面」 and “outer ‘inner’ outer”"
    assert quoted_parts(text) == sorted(
        ["「外面『里面』外面」", "『里面』", "“outer ‘inner’ outer”", "‘inner’"]
    )
    spans = quotes.quotation_spans(text)
    inner = text.index("里面")
    assert quotes.depth_share(spans, text, inner, inner + 2, 2) == 1.0
    assert quotes.depth_share(spans, text, 1, 3, 2) == 0.0


def test_an_unbalanced_opening_mark_quotes_to_the_end_of_its_line() -> None:
    text = "前言「没有关上的引号到行尾\n下一行不算"
    assert quoted_parts(text) == ["「没有关上的引号到行尾"]
    # a closing mark with nothing to close quotes nothing
    assert quotes.quotation_spans("没有开头的引号」到这里") == []


def test_a_closing_mark_closes_what_is_left_open_inside() -> None:
    text = "「外『没关上」后面"
    assert quoted_parts(text) == ["「外『没关上」", "『没关上"]


def test_marks_pair_inside_a_paragraph_only() -> None:
    text = "“first paragraph opens\n\nsecond paragraph closes”"
    # the opening mark is unbalanced in its paragraph: it quotes to the end of its line
    assert quoted_parts(text) == ["“first paragraph opens"]
    # a quotation may span lines of one paragraph (a poem)
    assert quoted_parts("「床前明月光，\n疑是地上霜。」") == ["「床前明月光，\n疑是地上霜。」"]


def test_a_quotation_of_several_paragraphs_reopens_each_one() -> None:
    text = "Intro: “one line\n\n“two lines\nhere\n\n“three” and after"
    assert quoted_parts(text) == ["“one line\n\n“two lines\nhere\n\n“three”"]
    # without the reopening mark, the quotation ends with its line
    assert quoted_parts("“one\n\ntwo” x") == ["“one"]


def test_apostrophes_are_no_marks() -> None:
    text = "Don't say 'it isn't so', the dogs' bones aren't l'homme's."
    assert quoted_parts(text) == ["'it isn't so'"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab \n“”「」『』\"'>", max_size=60))
def test_spans_lie_inside_the_text(text: str) -> None:
    for a, b in quotes.quotation_spans(text):
        assert 0 <= a < b <= len(text)
        assert text[a] in "“「『\"'>" or text[:a].endswith("\n") or a == 0 or text[a] in " "


def test_quoted_share_ignores_white_space() -> None:
    text = "「天下 大势」 合"
    spans = quotes.quotation_spans(text)
    assert quotes.quoted_share(spans, text, 0, len(text)) == pytest.approx(6 / 7)
    assert quotes.quoted_share(spans, text, 1, 6) == 1.0


# ---------------------------------------------------------------------------------------------
# Attribution


def attributed(text: str, passage: str, titles: list[str], authors: list[str]) -> bool:
    a = text.index(passage)
    return quotes.attributions(text, [(a, a + len(passage))], titles, authors)[0]


COPY = "话说天下大势，分久必合，合久必分。"


@pytest.mark.parametrize(
    "post",
    [
        f"转载自《三国演义》：{COPY}",
        f"{COPY}——罗贯中",
        f"{COPY}（出自罗贯中《三国演义》）",
        f"引自三国演义：{COPY}",
        f"{COPY}\n作者：罗贯中",
        f"「三国演义」里说：{COPY}",
        f"{COPY} source: 三国演义",
        f"轉載自《三國演義》：{COPY}",  # Traditional forms of the title
        f"{COPY}——ＲＯＭＡＮＣＥ",  # full-width and upper case
    ],
)
def test_attribution_near_the_passage_counts(post: str) -> None:
    assert attributed(post, COPY, ["三国演义", "Romance"], ["罗贯中"])


def test_attribution_far_from_the_passage_does_not_count() -> None:
    far = "。" + "今天天气很好，" * 30  # 211 characters of other text
    assert not attributed(f"《三国演义》{far}{COPY}", COPY, ["三国演义"], ["罗贯中"])
    assert not attributed(f"{COPY}{far}——罗贯中", COPY, ["三国演义"], ["罗贯中"])
    # the same attribution within NEAR_CHARS counts
    near = "今天天气很好，" * 5
    assert attributed(f"{COPY}{near}——罗贯中", COPY, ["三国演义"], ["罗贯中"])


def test_names_inside_the_passage_do_not_count() -> None:
    # the copied text mentioning its own title is not the post naming it
    post = "xx" + "三国演义说话说天下大势，分久必合" + "yy"
    assert not attributed(post, "三国演义说话说天下大势，分久必合", ["三国演义"], [])


def test_a_short_name_needs_marks_or_a_cue() -> None:
    copy = "我翻开历史一查，这历史没有年代，歪歪斜斜的每叶上都写着仁义道德几个字。"
    assert attributed(f"出自《药》：{copy}", copy, ["药"], [])
    assert attributed(f"{copy}——药", copy, ["药"], [])
    assert not attributed(f"这药很苦。{copy}", copy, ["药"], [])
    # a two-character author counts bare
    assert attributed(f"鲁迅写过：{copy}", copy, ["狂人日记"], ["鲁迅"])


def test_a_latin_name_must_be_a_whole_word() -> None:
    copy = "It was the best of times, it was the worst of times, it was the age of wisdom"
    assert attributed(f"{copy} - Charles Dickens", copy, [], ["Charles Dickens"])
    assert attributed(f"{copy} (by Poe)", copy, [], ["Poe"])
    assert not attributed(f"{copy}. Poetry is here.", copy, [], ["Poe"])
    assert not attributed(f"{copy} announce", copy, [], ["Ann"])


@pytest.mark.parametrize(
    "metadata",
    [None, {}, {"year": 1522}, {"title": ""}, {"title": 5, "author": None}, ["三国演义"], "三国"],
    ids=["none", "empty", "other-keys", "empty-title", "not-strings", "a-list", "a-string"],
)
def test_metadata_without_title_or_author_never_attributes(metadata: Any) -> None:
    titles, authors = quotes.names_of(metadata)
    assert not attributed(f"《三国演义》罗贯中：{COPY}", COPY, list(titles), list(authors))


def test_lists_of_titles_and_authors() -> None:
    titles, authors = quotes.names_of(
        {"title": ["三國志演義", "三国演义"], "author": ["罗贯中", "x"]}
    )
    assert titles == ("三國志演義", "三国演义")
    assert authors == ("罗贯中", "x")
    assert attributed(f"{COPY}——《三国演义》", COPY, list(titles), list(authors))


# ---------------------------------------------------------------------------------------------
# Through a check

WORK = (
    "话说天下大势，分久必合，合久必分。周末七国分争，并入于秦。及秦灭之后，楚、汉分争，又并入于汉。"
    "汉朝自高祖斩白蛇而起义，一统天下，后来光武中兴，传至献帝，遂分为三国。推其致乱之由，"
    "殆始于桓、灵二帝。桓帝禁锢善类，崇信宦官。及桓帝崩，灵帝即位，大将军窦武、太傅陈蕃共相辅佐。"
    "时有宦官曹节等弄权，窦武、陈蕃谋诛之，机事不密，反为所害，中涓自此愈横。"
)
PIECE = WORK[:120]
HOST = "今天我读了一本很有意思的书，想和大家分享一下其中的一段。"
META = {"title": "三国演义", "author": "罗贯中"}


def check(post: str, **options: Any) -> list[tp.Hit]:
    with tp.Registry() as reg:
        reg.register("sanguo", WORK, metadata=META)
        return reg.check(post, min_chars=50, **options)


@pytest.mark.parametrize(
    ("post", "quoted", "attributed"),
    [
        (f"{HOST}“{PIECE}”——罗贯中《三国演义》", True, True),
        (f"{HOST}“{PIECE}”{HOST}", True, False),
        (f"以下转载自《三国演义》：\n{PIECE}\n{HOST}", False, True),
        (f"{HOST}\n{PIECE}\n{HOST}", False, False),
        (f"{HOST}\n> {PIECE[:60]}\n> {PIECE[60:]}\n{HOST}", True, False),
    ],
    ids=["quoted-attributed", "quoted", "attributed", "neither", "block-quote"],
)
def test_a_check_marks_quotation_and_attribution(post: str, quoted: bool, attributed: bool) -> None:
    (hit,) = check(post)
    assert [d.quoted for d in hit.details] == [quoted] * len(hit.passages)
    assert hit.attributed is attributed
    free = 0 if quoted or attributed else hit.copied_chars
    assert hit.unattributed_chars == free
    assert hit.unattributed_share == (pytest.approx(hit.containment) if free else 0.0)
    only = check(post, unattributed_only=True)
    assert [h.work_id for h in only] == ([] if quoted or attributed else ["sanguo"])


def test_marks_copied_inside_a_passage_do_not_quote_it() -> None:
    # a novel's narrative with dialogue: its marks come with the copy
    speech = "“天下大势，分久必合，合久必分，此乃天道也。”"
    work = "曹操大笑曰：" + speech + "众皆拜服，" + WORK
    narrative = work[:150]
    with tp.Registry() as reg:
        reg.register("w", work)
        (bare,) = reg.check(HOST + narrative + HOST, min_chars=20)
        (quoted,) = reg.check(HOST + "「" + narrative + "」" + HOST, min_chars=20)
        # a copy starting inside the dialogue: its closing mark is the work's
        (inside,) = reg.check(HOST + "“" + work[8:150] + "”" + HOST, min_chars=20)
        # a line of dialogue copied whole with its marks stands in quotation marks
        (line,) = reg.check(HOST + "，" + speech + "，" + HOST, min_chars=20)
    assert [d.quoted for d in bare.details] == [False]
    assert [d.quoted for d in quoted.details] == [True]
    assert [d.quoted for d in inside.details] == [True]
    assert [d.quoted for d in line.details] == [True]


def test_unattributed_only_keeps_a_hit_whose_free_part_passes() -> None:
    # one passage quoted and attributed, another copied bare far from the attribution
    far = "我们继续聊聊别的事情吧，今天的天气真的很不错。" * 6
    post = f"“{WORK[:100]}”——罗贯中{far}{WORK[110:]}"
    with tp.Registry() as reg:
        reg.register("sanguo", WORK, metadata={"title": "三国演义"})
        (hit,) = reg.check(post, min_chars=50)
        only = reg.check(post, min_chars=50, unattributed_only=True)
        strict = reg.check(post, min_chars=100, unattributed_only=True)
    assert [d.quoted for d in hit.details] == [True, False]
    assert hit.attributed is False  # the title is not named near either passage
    assert hit.unattributed_chars == hit.details[1].chars
    assert [h.work_id for h in only] == ["sanguo"]
    assert strict == []


def test_unattributed_only_is_validated() -> None:
    with tp.Registry() as reg, pytest.raises(tp.InvalidParameterError, match="unattributed_only"):
        reg.check("文本", unattributed_only=1)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Pieces of one copy: a washing cuts a copy into passages, the work's marks fall between them

A, B = WORK[:40], WORK[44:90]


def _pieces(before: str, gap: str, after: str) -> tuple[str, list[tp.Passage]]:
    text = f"{HOST}{before}{A}{gap}{B}{after}{HOST}"
    a = len(HOST) + len(before)
    b = a + len(A) + len(gap)
    return text, [tp.Passage(a, a + len(A), 0, 40), tp.Passage(b, b + len(B), 44, 90)]


def test_marks_between_the_pieces_of_a_copy_are_the_works() -> None:
    # the work's dialogue mark, written straight and left open by the washing, between pieces
    text, (pa, pb) = _pieces("", '的"说', "")
    tokens = np.arange(len(text), dtype=np.int64)  # one token per character (Chinese)
    copy = evidence.copies_of([pa, pb], tokens)
    assert copy == [(pa.query_start, pb.query_end, 0)] * 2
    # alone, the open mark would quote the second piece to the end of its line
    assert quotes.is_quoted(text, pb.query_start, pb.query_end)
    assert not quotes.is_quoted(text, pb.query_start, pb.query_end, copy=copy[1][:2])
    # the text's own quotation around the whole copy still quotes every piece
    text, (pa, pb) = _pieces("“", '的"说', "”")
    copy = evidence.copies_of([pa, pb], tokens)
    assert all(
        quotes.is_quoted(text, p.query_start, p.query_end, copy=c[:2])
        for p, c in zip((pa, pb), copy)
    )


def test_text_of_the_posts_own_between_passages_keeps_them_apart() -> None:
    comment = "”我觉得这一段写得真好，大家怎么看呢？再看下一段：“"
    text, (pa, pb) = _pieces("“", comment, "”")
    tokens = np.arange(len(text), dtype=np.int64)
    assert evidence.copies_of([pa, pb], tokens) == [
        (pa.query_start, pa.query_end, 0),
        (pb.query_start, pb.query_end, 44),
    ]
    # the work going backwards, or skipping more than PIECE_GAP, keeps them apart too
    back = tp.Passage(pb.query_start, pb.query_end, 10, 56)
    far = tp.Passage(pb.query_start, pb.query_end, 40 + evidence.PIECE_GAP + 1, 200)
    for other in (back, far):
        assert len(set(evidence.copies_of([pa, other], tokens))) == 2


# ---------------------------------------------------------------------------------------------
# The views attribution reads: normalized in one batch or one at a time, alike

VIEW_TEXT = st.text(
    st.sampled_from(list("學而時習之カタカナひらがなＡＢab 1\n\u200b\u0301丶·《》「」—")),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(VIEW_TEXT, min_size=1, max_size=6), st.booleans())
def test_views_in_a_batch_equal_each_normalized_alone(texts: list[str], compiled: bool) -> None:
    with pytest.MonkeyPatch.context() as m:
        if not compiled:  # the batch path, as without numba
            m.setattr(quotes._plain, "compiled", lambda: None)
        got = quotes._matching_many(texts)
    assert got == [quotes._one_form(tp.normalize(t).text) for t in texts]
    view = quotes.NameView("".join(texts) + "。" * 10)
    spans = [(i, i + 3) for i in range(0, len(view.text) - 3, 5)]
    view.prepare(spans, 7)
    fresh = quotes.NameView(view.text)
    assert [view.around(a, b, 7) for a, b in spans] == [fresh.around(a, b, 7) for a, b in spans]
