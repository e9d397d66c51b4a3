"""The evidence of a Hit wherever it goes: the JSON form, the HTML report (in a real browser),
the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import textprint as tp
from _browser import dump_dom, needs_chromium
from _report_page import ReportPage
from textprint._serialize import HIT_FIELDS, hit_json
from textprint.cli import main

WORK = (
    "话说天下大势，分久必合，合久必分。周末七国分争，并入于秦。及秦灭之后，楚、汉分争，又并入于汉。"
    "汉朝自高祖斩白蛇而起义，一统天下，后来光武中兴，传至献帝，遂分为三国。推其致乱之由，"
    "殆始于桓、灵二帝。桓帝禁锢善类，崇信宦官。及桓帝崩，灵帝即位，大将军窦武、太傅陈蕃共相辅佐。"
    "时有宦官曹节等弄权，窦武、陈蕃谋诛之，机事不密，反为所害，中涓自此愈横。"
)
FAR = "我们聊聊别的事情吧，今天的天气真的很不错，适合出去走走。" * 5
#: one passage quoted, another copied bare, and the work never named
POST = f"有人写道：“{WORK[:70]}”{FAR}{tp.normalize(WORK[100:]).text}"


def _traditional(text: str) -> str:
    import opencc

    return str(opencc.OpenCC("s2t").convert(text))


BARE = "轉載：" + _traditional(WORK[100:])


@pytest.fixture
def reg() -> tp.Registry:
    r = tp.Registry()
    r.register("sanguo", WORK, {"title": "三国演义", "author": "罗贯中"})
    return r


def test_the_json_form_carries_the_evidence(reg: tp.Registry) -> None:
    (hit,) = reg.check(POST, min_chars=50)
    data = hit_json(hit)
    assert list(data) == list(HIT_FIELDS)
    assert data["evalue"] == hit.evalue
    assert data["attributed"] is False
    assert data["unattributed_chars"] == hit.details[1].chars
    assert [p["quoted"] for p in data["passages"]] == [True, False]
    assert [p["kind"] for p in data["passages"]] == ["identical", "identical"]
    assert all(
        set(p) >= {"similarity", "evasions", "attributed", "chars"} for p in data["passages"]
    )
    json.dumps(data)  # plain data
    # a comparison's match knows none of it
    c = tp.evidence(POST, tp.compare(POST, WORK), source=WORK).to_dict()["matches"][0]
    assert (c["evalue"], c["attributed"], c["unattributed_chars"]) == (None, None, None)
    assert "kind" not in c["passages"][0]


@needs_chromium
def test_the_report_shows_quoted_and_unattributed_passages_apart(
    reg: tp.Registry, tmp_path: Path
) -> None:
    hits = reg.check(POST, min_chars=50) + reg.check(BARE, min_chars=50)
    report = tp.evidence(POST, hits[:1], registry=reg)
    page = tmp_path / "report.html"
    page.write_text(report.to_html(), encoding="utf-8")
    dom = ReportPage()
    dom.feed(dump_dom(page.as_uri(), tmp_path))
    # the quoted passage and the unattributed one are marked apart, in both texts
    assert dom.mark_classes == {
        "m0-q0": "quoted",
        "m0-s0": "quoted",
        "m0-q1": "free",
        "m0-s1": "free",
    }
    assert sorted(dom.legend) == ["free", "quoted"]
    assert float(dom.cells["evalue"]) == pytest.approx(hits[0].evalue, rel=0.1)
    html = report.to_html()
    assert "identical" in html
    assert "copied without quotation or attribution" in html
    # an attributed repost: its passage is marked attributed, and its evasion is listed
    bare = tp.evidence(BARE, hits[1:], registry=reg).to_html()
    assert re.search(r'<mark class="free">', bare)
    assert "traditional" in bare


def test_the_command_line_reports_the_evidence_and_unattributed_only(
    reg: tp.Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "works.db"
    works = tmp_path / "works.jsonl"
    works.write_text(
        # a record's other fields are the work's metadata: its title and author
        json.dumps({"id": "sanguo", "text": WORK, "title": "三国演义", "author": "罗贯中"}) + "\n",
        encoding="utf-8",
    )
    assert main(["register", str(db), str(works), "-q"]) == 0
    quoted = f"以下引自《三国演义》：“{WORK}”"
    posts = tmp_path / "posts.jsonl"
    rows = [{"id": "bare", "text": BARE + BARE[:30]}, {"id": "quoted", "text": quoted}]
    posts.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    out = tmp_path / "all.jsonl"
    assert main(["check", str(db), str(posts), "-o", str(out), "--min-chars", "50", "-q"]) == 0
    found = {r["id"]: r["hits"] for r in map(json.loads, out.read_text("utf-8").splitlines())}
    assert found["quoted"][0]["attributed"] is True
    assert found["bare"][0]["unattributed_chars"] > 0
    only = tmp_path / "only.jsonl"
    args = ["check", str(db), str(posts), "-o", str(only), "--min-chars", "50", "-q"]
    assert main([*args, "--unattributed-only"]) == 0
    got = {r["id"]: r["hits"] for r in map(json.loads, only.read_text("utf-8").splitlines())}
    assert [h["work_id"] for h in got["bare"]] == ["sanguo"]
    assert got["quoted"] == []
    # the text output says it too
    capsys.readouterr()
    assert main(["check", str(db), str(posts), "--min-chars", "50", "-q"]) == 0
    text = capsys.readouterr().out
    assert re.search(r"E-value \d\.\de-\d+; \d+ characters without quotation or attribution", text)
    assert "the text names the work" in text
    assert "(identical, traditional)" in text
