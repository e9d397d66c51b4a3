"""Evidence reports: JSON offsets (code points and UTF-16) and the HTML page in a real browser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import textprint as tp
from _browser import dump_dom, needs_chromium, serving
from _report_page import ReportPage

# Astral CJK (Extension B) characters inside and around the copied text: their offsets differ
# between code points and UTF-16 units.
WORK = (
    "𠀀话说天下大势，分久必合，合久必分。𠀁𠀂周末七国分争，并入于秦。及秦灭之后，楚、汉分争，"
    "又并入于汉。汉朝自高祖斩白蛇而起义，一统天下，后来光武中兴，传至献帝，遂分为三国。"
)
POST = (
    "𡃁转载自网络：天下大勢，分久必合，合久必分。𠀁𠀂周末七國分爭，併入於秦。及秦滅之後，楚、漢分爭，"
    "又併入於漢。漢朝自高祖斬白蛇而起義，一統天下。<script>alert(1)</script> 完"
)


def _evidence() -> tp.Evidence:
    reg = tp.Registry()
    reg.register("sanguo", WORK, {"title": "三国演义 <第一回>", "note": '"quoted" & more'})
    hits = reg.check(POST)
    assert [h.work_id for h in hits] == ["sanguo"]
    return tp.evidence(POST, hits, registry=reg)


def _utf16_slice(text: str, a: int, b: int) -> str:
    raw = text.encode("utf-16-le")
    return raw[2 * a : 2 * b].decode("utf-16-le")


def test_json_offsets_in_code_points_and_utf16() -> None:
    data = json.loads(_evidence().to_json())
    assert data["format"] == "textprint-evidence"
    q = data["query"]
    assert q["text"] == POST
    assert q["length"] == len(POST)
    assert q["length_utf16"] == len(POST.encode("utf-16-le")) // 2
    (match,) = data["matches"]
    assert match["source"]["text"] == WORK
    assert match["passages"]
    for p in match["passages"]:
        assert (
            _utf16_slice(POST, p["query_start_utf16"], p["query_end_utf16"])
            == POST[p["query_start"] : p["query_end"]]
        )
        assert (
            _utf16_slice(WORK, p["source_start_utf16"], p["source_end_utf16"])
            == WORK[p["source_start"] : p["source_end"]]
        )
    # the astral characters really shift the UTF-16 offsets
    assert any(p["query_start_utf16"] != p["query_start"] for p in match["passages"])


def test_evidence_needs_texts() -> None:
    c = tp.compare(POST, WORK)
    with pytest.raises(tp.InvalidInputError, match="source="):
        tp.evidence(POST, c)
    reg = tp.Registry()
    reg.register("w", WORK)
    hits = reg.check(POST)
    with pytest.raises(tp.InvalidInputError, match="registry= or sources="):
        tp.evidence(POST, hits)
    ev = tp.evidence(POST, hits, sources={"w": WORK})
    assert ev.to_dict()["matches"][0]["work_id"] == "w"


def test_lone_surrogates_are_written_as_replacement_characters() -> None:
    """The page and the JSON are UTF-8: each lone surrogate becomes U+FFFD, offsets unchanged."""
    work = "\udc80" + WORK
    post = "\ud800" + POST
    reg = tp.Registry()
    reg.register("w\ud800", work, {"title": "\udfff"})
    hits = reg.check(post)
    assert [h.work_id for h in hits] == ["w\ud800"]
    ev = tp.evidence(post, hits, registry=reg, settings={"note": "\ud800"})
    assert ev.to_dict()["query"]["text"] == post  # Python data keeps the text as given
    page = ev.to_html()
    page.encode("utf-8")
    assert "\ufffd" in page
    raw = ev.to_json()
    data = json.loads(raw.encode("utf-8"))
    assert data["query"]["text"] == "\ufffd" + POST
    assert data["query"]["length"] == len(post)
    assert data["query"]["length_utf16"] == len(post.encode("utf-16-le", "surrogatepass")) // 2
    (match,) = data["matches"]
    assert match["work_id"] == "w\ufffd"
    assert match["metadata"] == {"title": "\ufffd"}
    assert match["source"]["text"] == "\ufffd" + WORK
    assert data["settings"] == {"note": "\ufffd"}
    # the digests are those of the texts as given (and as the registry records them)
    assert match["source"]["sha256"] == reg.get("w\ud800").sha256
    for p, hit in zip(match["passages"], hits[0].passages):
        assert (p["query_start"], p["query_end"]) == (hit.query_start, hit.query_end)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"matches": None}, "matches must be a list of Hits"),
        ({"matches": "hits"}, "matches must be a list of Hits"),
        ({"settings": [("k", 5)]}, "settings must be a mapping"),
        ({"settings": {"k": object()}}, "settings must hold JSON data"),
        ({"settings": {"k": float("nan")}}, "settings must hold JSON data"),
        ({"sources": ["text"]}, "sources must be a mapping"),
        ({"registry": "works.db"}, "registry must be a Registry"),
    ],
)
def test_evidence_argument_errors(kwargs: dict[str, Any], match: str) -> None:
    reg = tp.Registry()
    reg.register("w", WORK)
    args: dict[str, Any] = {"matches": reg.check(POST), "registry": reg, **kwargs}
    with pytest.raises(tp.InvalidInputError, match=match):
        tp.evidence(POST, **args)


def test_evidence_hit_needs_a_list_and_text_sources() -> None:
    reg = tp.Registry()
    reg.register("w", WORK)
    (hit,) = reg.check(POST)
    with pytest.raises(tp.InvalidInputError, match=r"wrap one Hit in a list: \[hit\]"):
        tp.evidence(POST, hit, registry=reg)  # type: ignore[arg-type]
    with pytest.raises(tp.InvalidInputError, match=r"sources\['w'\] must be a str"):
        tp.evidence(POST, [hit], sources={"w": b"bytes"})  # type: ignore[dict-item]
    # settings with keys of mixed types render in both forms
    ev = tp.evidence(POST, [hit], registry=reg, settings={1: "one", "k": 5})  # type: ignore[dict-item]
    assert "<th>1</th>" in ev.to_html()
    assert json.loads(ev.to_json())["settings"] == {"1": "one", "k": 5}


def test_html_escapes_everything_and_has_a_strict_csp() -> None:
    page = _evidence().to_html()
    assert "<script>" not in page  # the post's text is escaped
    assert "&lt;script&gt;" in page
    assert "default-src 'none'" in page
    for attr in ("src=", "http://", "https://", "url("):
        assert attr not in page.replace('href="#', "")


@needs_chromium
def test_report_in_a_real_browser(tmp_path: Path) -> None:
    ev = _evidence()
    page = tmp_path / "report.html"
    page.write_text(ev.to_html(), encoding="utf-8")
    dom = ReportPage()
    dom.feed(dump_dom(page.as_uri(), tmp_path))
    data = ev.to_dict()
    (match,) = data["matches"]
    # the two texts are shown whole, as the browser reads them
    assert dom.pres == [POST, WORK]
    # every highlighted span is exactly the original slice, in both texts
    for i, p in enumerate(match["passages"]):
        assert dom.anchors[f"m0-q{i}"] == POST[p["query_start"] : p["query_end"]]
        assert dom.anchors[f"m0-s{i}"] == WORK[p["source_start"] : p["source_end"]]
    # every link between the two sides resolves
    assert dom.links
    assert all(target in dom.ids for target in dom.links)


@needs_chromium
def test_no_request_leaves_the_page(tmp_path: Path) -> None:
    html = _evidence().to_html()
    # plant what a hostile work could try if escaping ever failed: the CSP must stop it
    planted = html.replace(
        "</body>",
        '<img src="/leak.png"><link rel="stylesheet" href="/leak.css"></body>',
    )
    (tmp_path / "report.html").write_text(planted, encoding="utf-8")

    with serving(tmp_path) as (base, requests):
        dump_dom(f"{base}/report.html", tmp_path)
    assert requests == ["/report.html"]
