"""Evidence reports at their edges: markup before, between, inside and after the passages, and
UTF-16 offsets on and next to astral characters.

The passages are placed exactly where the edges are by building the Hits by hand (a Hit is a
public result type), so every boundary below is hit on purpose, not by chance. Oracles:
Python's own UTF-16 encoder for the offsets, and an HTML parser that must read back each
side's text exactly as given (escaping undone) with each passage's text inside its <mark>.
Each docstring names the mutation it kills.
"""

from __future__ import annotations

import hashlib
import json

import pytest

import textprint as tp
from _report_page import ReportPage

ASTRAL = "𠀀𠀁𠀂"  # CJK Extension B: one code point, two UTF-16 units each


def utf16(text: str, offset: int) -> int:
    """UTF-16 code units before code point `offset` (the oracle)."""
    return len(text[:offset].encode("utf-16-le", "surrogatepass")) // 2


def hit(passages: list[tuple[int, int, int, int]], work_id: str = "w") -> tp.Hit:
    ps = tuple(tp.Passage(*p) for p in passages)
    return tp.Hit(
        work_id=work_id,
        metadata=None,
        containment=0.5,
        source_containment=0.5,
        jaccard=0.25,
        passages=ps,
        copied_chars=sum(p.query_end - p.query_start for p in ps),
    )


MARKUP = '<b class="x">&amp;</b>\'"'


@pytest.mark.parametrize(
    "where", ["before the first passage", "between passages", "inside a passage", "after the last"]
)
def test_html_reads_back_the_exact_texts_with_markup_anywhere(where: str) -> None:
    """Markup in the query and the work, before the first passage, between two passages,
    inside one and after the last, is escaped: an HTML parser reads back both texts exactly,
    and each <mark> holds exactly its passage's text.

    Kills: the escaping of the text before the first passage dropped (test_report.py only has
    markup after the last), of the text between passages or inside a mark dropped, and the
    slices around a mark off by one.
    """
    a, b = "天下大势分久必合", "周末七国分争并入于秦"
    parts = {
        "before the first passage": (MARKUP + a + "，" + b, 0),
        "between passages": (a + MARKUP + b, 1),
        "inside a passage": (a[:4] + MARKUP + a[4:] + "，" + b, 2),
        "after the last": (a + "，" + b + MARKUP, 3),
    }
    query, _ = parts[where]
    work = "前言" + MARKUP + query + "完" + MARKUP
    qa = query.index(a[:4])
    qa_end = query.index(a[4:]) + len(a[4:])
    qb = query.index(b)
    off = work.index(query)
    passages = [
        (qa, qa_end, qa + off, qa_end + off),
        (qb, qb + len(b), qb + off, qb + len(b) + off),
    ]
    ev = tp.evidence(query, [hit(passages)], sources={"w": work})
    page = ev.to_html()
    assert "<b " not in page
    assert '<b class="x">' not in page
    dom = ReportPage()
    dom.feed(page)
    assert dom.pres == [query, work]
    assert dom.pre_marks[0] == [query[p[0] : p[1]] for p in passages]
    assert dom.pre_marks[1] == [work[p[2] : p[3]] for p in passages]


def test_overlapping_source_passages_are_marked_once() -> None:
    """Two passages whose work ranges overlap mark the overlap once: the work side reads back
    exactly, no character doubled or lost.

    Kills: the clamp ``start = max(start, pos)`` dropped (the overlap written twice) and the
    empty-span skip ``end <= start`` turned into ``<`` (an empty <mark> written).
    """
    work = "<i>" + "天下大势分久必合合久必分周末七国分争" + "</i>"
    query = "甲" + work[3:11] + "乙" + work[7:15] + "丙" + work[9:11] + "丁"
    passages = [
        (1, 9, 3, 11),
        (10, 18, 7, 15),  # overlaps the first on the work side
        (19, 21, 9, 11),  # inside both: nothing left to mark
    ]
    dom = ReportPage()
    dom.feed(tp.evidence(query, [hit(passages)], sources={"w": work}).to_html())
    assert dom.pres == [query, work]
    assert dom.pre_marks[1] == [work[3:11], work[11:15]]
    assert "" not in dom.pre_marks[0] + dom.pre_marks[1]


def astral_texts() -> tuple[str, str, list[tuple[int, int, int, int]]]:
    """A query and a work whose passages start and end on, just before and just after astral
    characters, and run up to both texts' ends."""
    query = ASTRAL[0] + "天下" + ASTRAL[1] + "大势分" + ASTRAL[2] + ASTRAL[0] + "久必合"
    work = "序" + ASTRAL[1] + query  # the query at offset 2, after an astral character
    bounds = [
        (0, 3),  # starts ON an astral character, ends just before one
        (3, 4),  # exactly one astral character
        (4, 7),  # starts just after one, ends just before one
        (8, 12),  # starts on the second of two astral characters, runs to the end
    ]
    passages = [(a, b, a + 2, b + 2) for a, b in bounds]
    return query, work, passages


def test_utf16_offsets_on_and_next_to_astral_characters() -> None:
    """Every UTF-16 offset of the JSON report equals Python's UTF-16 count, for passage bounds
    on an astral character, just before and after one, between two, at 0 and at the end.

    Kills: the UTF-16 offset counting the astral characters up to and including the offset
    (``bisect_right`` for ``bisect_left``), and the lengths in UTF-16 units off by one.
    """
    query, work, passages = astral_texts()
    data = json.loads(tp.evidence(query, [hit(passages)], sources={"w": work}).to_json())
    assert data["query"]["length_utf16"] == utf16(query, len(query)) == len(query) + 4
    (match,) = data["matches"]
    assert match["source"]["length_utf16"] == utf16(work, len(work))
    for got, (qa, qb, sa, sb) in zip(match["passages"], passages):
        assert (got["query_start"], got["query_end"]) == (qa, qb)
        assert got["query_start_utf16"] == utf16(query, qa)
        assert got["query_end_utf16"] == utf16(query, qb)
        assert got["source_start_utf16"] == utf16(work, sa)
        assert got["source_end_utf16"] == utf16(work, sb)
        # the UTF-16 offsets slice the same characters as the code-point offsets
        units = query.encode("utf-16-le")
        a16, b16 = got["query_start_utf16"], got["query_end_utf16"]
        assert units[2 * a16 : 2 * b16].decode("utf-16-le") == query[qa:qb]


def test_html_marks_astral_passages_whole() -> None:
    """The page marks passages bounded by astral characters with exactly their characters.

    Kills: a passage's mark cut inside a surrogate pair or shifted by the astral characters
    before it.
    """
    query, work, passages = astral_texts()
    dom = ReportPage()
    dom.feed(tp.evidence(query, [hit(passages)], sources={"w": work}).to_html())
    assert dom.pres == [query, work]
    assert dom.pre_marks[0] == [query[p[0] : p[1]] for p in passages]
    assert dom.pre_marks[1] == [work[p[2] : p[3]] for p in passages]


@pytest.mark.parametrize("before", ["\uffff", "\U00010000", "\ud800", "\U0010ffff"])
def test_utf16_offsets_after_the_last_bmp_and_the_first_astral_code_point(before: str) -> None:
    """U+FFFF (the last BMP code point) and a lone surrogate are one UTF-16 unit; U+10000 (the
    first astral code point) and U+10FFFF are two.

    Kills: the astral test ``ord(c) > 0xFFFF`` turned into ``>=`` or moved off 0xFFFF.
    """
    query = before * 3 + "天下大势分久必合"
    data = tp.evidence(query, [hit([(3, 7, 0, 4)])], sources={"w": "天下大势"}).to_dict()
    (p,) = data["matches"][0]["passages"]
    units = 1 if ord(before) <= 0xFFFF else 2
    assert p["query_start_utf16"] == 3 * units
    assert p["query_end_utf16"] == 3 * units + 4
    assert data["query"]["length_utf16"] == 3 * units + 8


def test_json_report_has_exactly_the_documented_fields() -> None:
    """The JSON report's fields, names and values, for a hand-made hit: a consumer reads these
    names (format, version, created_at, settings, query and matches with their measures,
    source and passages in code points and UTF-16 units, the Hit's evidence fields).

    Kills: any field renamed or dropped from ``to_dict`` (the other tests read offsets only).
    """
    query, work, passages = astral_texts()
    ev = tp.evidence(
        query,
        [hit(passages[:1])],
        sources={"w": work},
        settings={"k": 5, "note": "x"},
        query_id="post-7",
        query_metadata={"board": "b"},
    )
    d = ev.to_dict()
    created = d.pop("created_at")
    assert isinstance(created, str)
    assert created.endswith("+00:00")
    assert d == {
        "format": "textprint-evidence",
        "version": 1,
        "settings": {"k": 5, "note": "x"},
        "query": {
            "id": "post-7",
            "metadata": {"board": "b"},
            "sha256": hashlib.sha256(query.encode("utf-8")).hexdigest(),
            "length": len(query),
            "length_utf16": utf16(query, len(query)),
            "text": query,
        },
        "matches": [
            {
                "work_id": "w",
                "metadata": None,
                "containment": 0.5,
                "source_containment": 0.5,
                "jaccard": 0.25,
                "copied_chars": 3,
                # a hand-made Hit: no Registry evidence, nothing named
                "evalue": None,
                "attributed": False,
                "unattributed_chars": None,
                "unattributed_share": None,
                "source": {
                    "sha256": hashlib.sha256(work.encode("utf-8")).hexdigest(),
                    "length": len(work),
                    "length_utf16": utf16(work, len(work)),
                    "text": work,
                },
                "passages": [
                    {
                        "query_start": 0,
                        "query_end": 3,
                        "source_start": 2,
                        "source_end": 5,
                        "query_start_utf16": 0,
                        "query_end_utf16": 4,
                        "source_start_utf16": 3,
                        "source_end_utf16": 7,
                    }
                ],
            }
        ],
    }
    assert json.loads(ev.to_json()) == {**d, "created_at": created}


def test_to_json_indent_and_the_default_title() -> None:
    """``to_json(indent=2)`` indents as json does, non-ASCII text stays as it is, and the
    page's default title is "textprint evidence report".

    Kills: the indent argument dropped, and the default title changed.
    """
    query, work, passages = astral_texts()
    ev = tp.evidence(query, [hit(passages)], sources={"w": work})
    assert ev.to_json(indent=2) == json.dumps(ev.to_dict(), ensure_ascii=False, indent=2)
    assert "\n  " in ev.to_json(indent=2)
    assert "\n" not in ev.to_json()
    page = ev.to_html()
    assert "<title>textprint evidence report</title>" in page
    assert "<h1>textprint evidence report</h1>" in page
    assert "<title>Case 7 &amp; more</title>" in ev.to_html(title="Case 7 & more")


@pytest.mark.parametrize(("settings", "name"), [([1, 2], "list"), ("k=5", "str"), (5, "int")])
def test_settings_that_are_not_a_mapping_name_their_type(settings: object, name: str) -> None:
    """Kills: the type named in the message of a settings argument that is not a mapping."""
    query, work, passages = astral_texts()
    with pytest.raises(tp.InvalidInputError, match=rf"settings must be a mapping .*got {name}$"):
        tp.evidence(query, [hit(passages)], sources={"w": work}, settings=settings)  # type: ignore[arg-type]
