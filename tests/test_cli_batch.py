"""``textprint check`` on batches: reports per post, streamed results, resuming (issue 17,
problems 1, 6 and 7), and the batch report in headless Chromium."""

from __future__ import annotations

import json
import re
import shlex
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

import textprint as tp
from _browser import dump_dom, needs_chromium, serving
from _records import write_jsonl
from textprint.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
ZH = (FIXTURES / "zh_novel.txt").read_text(encoding="utf-8")
JA = (FIXTURES / "ja_aozora.txt").read_text(encoding="utf-8")
EN = (FIXTURES / "en_gutenberg.txt").read_text(encoding="utf-8")
WORKS = [
    {"id": "zh-1", "title": "三国 <第一回>", "author": "罗贯中", "text": ZH[:1200]},
    {"id": "ja-1", "title": "吾輩は猫である", "author": "夏目漱石", "text": JA[:1200]},
    {"id": "en-1", "title": "A Tale", "author": "Dickens", "text": EN[:3000]},
]
POSTS = [
    {"id": "copy-zh", "author": "someone", "url": "https://example.invalid/1",
     "text": "转载：" + ZH[100:500]},
    {"id": "copy-en", "author": "other", "text": "Quoted: " + EN[500:1400]},
    {"id": "none", "text": "今天天气很好，我们去公园散步吧。" * 3},
    {"id": "copy-ja", "text": "引用です。" + JA[200:600]},
]  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "works.db"
    assert main(["register", str(path), str(write_jsonl(tmp_path / "w.jsonl", WORKS)), "-q"]) == 0
    return path


def test_readme_commands_run_as_written_with_several_posts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Problem 1: the README's ``check ... --format html -o report.html`` exited 2 with more
    than one post. Every ``textprint`` line of the README's command-line block runs here, as
    written, on several posts, and gives the exit status its comment states."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("The command line does the same from files")[1].split("```text")[1]
    lines = [x for x in block.split("```")[0].splitlines() if x.startswith("textprint ")]
    assert len(lines) >= 3
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "works.jsonl", WORKS)
    write_jsonl(tmp_path / "posts.jsonl", POSTS)
    docs = [{"id": f"d{i}", "text": ZH[:800].replace("。", "，", i % 3)} for i in range(4)]
    write_jsonl(tmp_path / "corpus.jsonl", docs)
    for line in lines:
        command, _, comment = line.partition("#")
        status = int(re.search(r"\d", comment).group()) if "exit" in comment else 0  # type: ignore[union-attr]
        argv = shlex.split(command)[1:]
        assert main(argv) == status, (line, capsys.readouterr().err)
    capsys.readouterr()
    index = (tmp_path / "report.html").read_text(encoding="utf-8")
    for post in POSTS:
        assert f'data-id="{post["id"]}"' in index
    assert sorted(p.name for p in (tmp_path / "report").glob("*.html")) == [
        "copy-en.html",
        "copy-ja.html",
        "copy-zh.html",
    ]


def test_html_to_stdout_needs_one_post(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Problem 1: without -o, --format html wrote the first post's report and silently
    dropped the rest (exit 0). Now it refuses before checking anything."""
    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    capsys.readouterr()
    assert main(["check", str(db), str(posts), "--format", "html"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "give -o FOLDER/" in captured.err
    one = write_jsonl(tmp_path / "one.jsonl", POSTS[:1])
    assert main(["check", str(db), str(one), "--format", "html", "-q"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("<!DOCTYPE html>")
    assert "copy-zh" in page


class _Page(HTMLParser):
    """Links, element ids, table rows (with their data- attributes) of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.rows: list[dict[str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag == "tr" and "data-id" in a:
            self.rows.append(a)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> _Page:
    p = _Page()
    p.feed(page)
    return p


def test_batch_report_one_page_per_post_and_an_index(db: Path, tmp_path: Path) -> None:
    """Problems 1 and 7: a page per post with hits, named by its id, showing the id and the
    metadata as a table, and an index of every post with verdict, top work and share."""
    out = tmp_path / "reports"
    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    assert main(["check", str(db), str(posts), "--format", "html", "-o", f"{out}/", "-q"]) == 0
    index = parse((out / "index.html").read_text(encoding="utf-8"))
    assert [r["data-id"] for r in index.rows] == [p["id"] for p in POSTS]
    assert [int(r["data-hits"]) for r in index.rows] == [1, 1, 0, 1]
    assert [r["data-work"] for r in index.rows] == ["zh-1", "en-1", "", "ja-1"]
    assert all(0.5 < float(r["data-share"]) <= 1 for r in index.rows if r["data-work"])
    pages = [link for link in index.links if not link.startswith("#")]
    assert pages == ["copy-zh.html", "copy-en.html", "copy-ja.html"]
    text = "".join(index.text)
    assert "no copy found" in text
    assert "三国 <第一回>" in text  # the top work's title, escaped in the page
    page = (out / "copy-zh.html").read_text(encoding="utf-8")
    # the post's id and its metadata, as a table of fields, not raw JSON
    assert "<code>copy-zh</code>" in page
    assert "<th>url</th><td>https://example.invalid/1</td>" in page
    assert "<th>author</th><td>someone</td>" in page
    assert '{"author"' not in page
    assert "<th>title</th><td>三国 &lt;第一回&gt;</td>" in page  # the work's metadata too
    assert 'href="index.html"' in page
    listing = [json.loads(x) for x in (out / "index.jsonl").read_text("utf-8").splitlines()]
    assert [r["page"] for r in listing] == ["copy-zh.html", "copy-en.html", None, "copy-ja.html"]


def test_page_names_are_safe_and_never_shared(db: Path, tmp_path: Path) -> None:
    """Ids become file names: unsafe characters replaced, collisions (also by case, and with
    the index) resolved, long ids cut, the same id twice kept apart."""
    text = POSTS[0]["text"]
    ids = ["a/b", "a_b", "A_B", "index", "CON", "../../etc", "长" * 200, "dup", "dup", 7]
    posts = write_jsonl(tmp_path / "p.jsonl", [{"id": i, "text": text} for i in ids])
    out = tmp_path / "r"
    assert main(["check", str(db), str(posts), "--format", "html", "-o", f"{out}/", "-q"]) == 0
    listing = [json.loads(x) for x in (out / "index.jsonl").read_text("utf-8").splitlines()]
    names = [r["page"] for r in listing]
    assert len({n.casefold() for n in names}) == len(ids)
    assert "index.html" not in names
    assert names[1] == "a_b.html"
    assert names[-1] == "7.html"
    for name in names:
        assert "/" not in name
        assert not name.startswith(".")
        assert len(name.encode()) < 200
        assert (out / name).is_file()
    assert sorted(p.name for p in out.iterdir()) == sorted([*names, "index.html", "index.jsonl"])


def test_results_are_written_as_posts_are_checked(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Problem 6: check wrote nothing until every post was checked. With --batch-size 1,
    each batch's results are in the output before the next batch is checked."""
    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    out = tmp_path / "hits.jsonl"
    partial = tmp_path / ".hits.jsonl.partial"
    seen: list[int] = []
    check_many = tp.Registry.check_many

    def spy(self: tp.Registry, texts: list[str], **kw: Any) -> list[list[tp.Hit]]:
        seen.append(len(partial.read_text("utf-8").splitlines()) if partial.exists() else -1)
        return check_many(self, texts, **kw)

    monkeypatch.setattr(tp.Registry, "check_many", spy)
    assert main(["check", str(db), str(posts), "-o", str(out), "--batch-size", "1", "-q"]) == 0
    assert seen == [0, 1, 2, 3]
    assert not partial.exists()
    assert len(out.read_text("utf-8").splitlines()) == 4


@pytest.mark.parametrize("suffix", ["jsonl", "csv", "parquet", "html-folder"])
def test_an_interrupted_check_resumes_with_skip_existing(
    suffix: str,
    db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Problem 6: an interrupted run resumes with --skip-existing, checking only the rest."""
    if suffix == "parquet":
        pytest.importorskip("pyarrow")
    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    out = f"{tmp_path / 'out'}/" if suffix == "html-folder" else str(tmp_path / f"out.{suffix}")
    fmt = ["--format", "html"] if suffix == "html-folder" else []
    args = ["check", str(db), str(posts), "-o", out, "--batch-size", "1", "-q", *fmt]
    checked: list[str] = []
    check_many = tp.Registry.check_many

    def interrupted(self: tp.Registry, texts: list[str], **kw: Any) -> list[list[tp.Hit]]:
        if len(checked) == 2:
            raise KeyboardInterrupt
        checked.extend(texts)
        return check_many(self, texts, **kw)

    monkeypatch.setattr(tp.Registry, "check_many", interrupted)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "interrupted (2 results so far are kept" in err
    assert "--skip-existing" in err
    assert not Path(out).is_file()
    checked.clear()
    monkeypatch.setattr(tp.Registry, "check_many", check_many)
    counted: list[str] = []

    def counting(self: tp.Registry, texts: list[str], **kw: Any) -> list[list[tp.Hit]]:
        counted.extend(texts)
        return check_many(self, texts, **kw)

    monkeypatch.setattr(tp.Registry, "check_many", counting)
    assert main([*args, "--skip-existing"]) == 0
    assert counted == [p["text"] for p in POSTS[2:]]
    ids = _result_ids(out, suffix)
    assert ids == [p["id"] for p in POSTS]


def _result_ids(out: str, suffix: str) -> list[str]:
    if suffix == "jsonl":
        return [json.loads(x)["id"] for x in Path(out).read_text("utf-8").splitlines()]
    if suffix == "csv":
        import csv

        with open(out, newline="", encoding="utf-8") as f:
            return [r["id"] for r in csv.DictReader(f)]
    if suffix == "parquet":
        import pyarrow.parquet as pq

        return [r["id"] for r in pq.read_table(out).to_pylist()]
    return [r["data-id"] for r in parse(Path(out, "index.html").read_text("utf-8")).rows]


def test_min_containment_option(db: Path, tmp_path: Path) -> None:
    """Problem 6: there was no --min-containment."""
    short = (FIXTURES / "zh_novel_2.txt").read_text(encoding="utf-8")[:150]
    works = write_jsonl(tmp_path / "short.jsonl", [{"id": "short", "text": short}])
    assert main(["register", str(db), str(works), "-q"]) == 0
    post = write_jsonl(tmp_path / "p.jsonl", [{"id": "p", "text": "我最喜欢：" + short[:100]}])
    out = tmp_path / "h.jsonl"
    assert main(["check", str(db), str(post), "-o", str(out), "-q"]) == 0
    (row,) = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert [h["work_id"] for h in row["hits"]] == ["short"]  # 100 characters, 2/3 of it
    assert 0.5 <= row["hits"][0]["source_containment"] < 0.9
    args = ["check", str(db), str(post), "-o", str(out), "-q", "--min-containment", "0.9"]
    assert main(args) == 1
    assert json.loads(out.read_text("utf-8"))["hits"] == []


def test_text_output_streams_to_stdout(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    assert main(["check", str(db), str(posts), "--top-k", "1"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith("copy-zh: copies zh-1 (")
    assert "characters in 1 passage)" in lines[0]
    assert "none: no copy found" in lines
    assert "checked 4 texts, 3 copy a registered work" in captured.err


# -- the batch report in a real browser -------------------------------------------------------


@pytest.fixture
def batch(db: Path, tmp_path: Path) -> Path:
    ids = [p["id"] for p in POSTS] + ["長い/题名 #1", "长い/题名 #1"]
    rows = [
        *POSTS,
        {"id": ids[4], "text": POSTS[1]["text"]},
        {"id": ids[5], "text": POSTS[3]["text"]},
    ]
    posts = write_jsonl(tmp_path / "posts.jsonl", rows)
    out = tmp_path / "batch"
    assert main(["check", str(db), str(posts), "--format", "html", "-o", f"{out}/", "-q"]) == 0
    return out


@needs_chromium
def test_batch_index_links_resolve_and_sort_in_a_browser(batch: Path, tmp_path: Path) -> None:
    index = parse(dump_dom((batch / "index.html").as_uri(), tmp_path))
    pages = [link for link in index.links if not link.startswith("#")]
    assert len(pages) == 5
    for link in pages:
        target = batch / unquote(link)
        assert target.is_file(), link
        page = parse(dump_dom(target.as_uri(), tmp_path))
        assert "index.html" in page.links  # and back
        assert any(x.startswith("m0-q") for x in page.ids)  # highlighted passages
    # the header's links sort the table (the page's only script, allowed by its digest)
    assert "#sort=share-desc" in index.links
    url = (batch / "index.html").as_uri()
    by_share = parse(dump_dom(url + "#sort=share-desc", tmp_path)).rows
    shares = [float(r["data-share"]) for r in by_share]
    assert shares == sorted(shares, reverse=True)
    assert shares != [float(r["data-share"]) for r in index.rows]
    by_id = [r["data-id"] for r in parse(dump_dom(url + "#sort=id-asc", tmp_path)).rows]
    latin = [i for i in by_id if i.isascii()]
    assert latin == sorted(latin)
    assert sorted(by_id) == sorted(r["data-id"] for r in index.rows)


@needs_chromium
def test_no_request_leaves_the_batch_pages(batch: Path, tmp_path: Path) -> None:
    index = batch / "index.html"
    planted = index.read_text("utf-8").replace(
        "</body>", '<img src="/leak.png"><link rel="stylesheet" href="/leak.css"></body>'
    )
    index.write_text(planted, encoding="utf-8")

    with serving(batch) as (base, requests):
        dump_dom(f"{base}/index.html#sort=chars-desc", tmp_path)
        dump_dom(f"{base}/copy-zh.html", tmp_path)
    assert requests == ["/index.html", "/copy-zh.html"]
