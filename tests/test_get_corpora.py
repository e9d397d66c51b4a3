"""scripts/get_corpora.py: the rules that turn each public source into the benchmarks' corpora.

The real sources are not downloaded here (no network in tests). Each rule is checked on small
inputs written in the sources' own layouts; that the rules rebuild the benchmarks' copies
byte for byte was checked against the pinned commits (the script prints it on every run).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "get_corpora.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("get_corpora", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["get_corpora"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


gc = _load()


class _Files(gc.Source):  # type: ignore[misc, name-defined]
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def read(self, path: str) -> bytes:
        return self.files[path]


def test_chapters_split_at_headings_without_the_sites_boilerplate() -> None:
    text = (
        "《三国演义》罗贯中\r\n\r\n第一回 宴桃园\r\n\r\n    滚滚长江东逝水，\r\n\t\t\r\n"
        "    只见这首页上画着一幅画\r\n    首页|原创书库|现代\r\n    本站长期招收作品更新管理员\r\n"
        "    见 http://example.com\r\n楔子　张天师\r\n    话说\r\n"
    )
    assert gc.split_chapters(text) == [
        ("第一回 宴桃园", "滚滚长江东逝水，\n只见这首页上画着一幅画"),
        ("楔子　张天师", "话说"),
    ]


def test_short_chapters_are_skipped_but_keep_their_number() -> None:
    long_body = "天" * 200
    novel = f"第一回 甲\n{long_body}\n第二回 乙\n短\n第三回 丙\n{long_body}\n".encode()
    files = dict.fromkeys((f for f, _, _ in gc.NOVELS), novel)
    records = [
        json.loads(line)
        for line in gc.build_novels(_Files(files))["chapters.jsonl"].decode().splitlines()
    ]
    sanguo = [r for r in records if r["book"] == "三国演义"]
    assert [r["id"] for r in sanguo] == ["sanguo-000", "sanguo-002"]
    assert sanguo[0] == {
        "id": "sanguo-000",
        "book": "三国演义",
        "author": "罗贯中",
        "chapter": "第一回 甲",
        "source_path": "三国演义.txt",
        "n_chars": 200,
        "text": long_body,
    }


def test_aozora_text_loses_header_legend_ruby_notes_and_colophon() -> None:
    raw = (
        "東京だより\r\n太宰治 \r\n\r\n"
        "-------------------------------------------------------\r\n"
        "【テキスト中に現れる記号について】\r\n《》：ルビ\r\n"
        "-------------------------------------------------------\r\n\r\n"
        "　東京は、下駄《げた》の｜鼻緒《はなお》［＃「緒」に傍点］が赤い。\r\n\r\n\r\n\r\n"
        "　二段落。\r\n\r\n底本：「太宰治全集6」\r\n入力：某\r\n"
    ).encode("cp932")
    header, text = gc.clean_aozora(raw)
    assert header == ["東京だより", "太宰治"]
    assert text == "東京は、下駄の鼻緒が赤い。\n\n\u3000二段落。"


def test_aozora_records_take_title_and_author_from_the_card() -> None:
    path = "cards/000035/files/1109_ruby_20131/1109_ruby_20131.txt"
    raw = "春の枯葉\n―――一幕三場\n太宰治\n\n本文。\n".encode("cp932")
    manifest = gc.HERE / "corpora" / "aozora-pd-ja.paths"
    paths = [p for p in manifest.read_text(encoding="utf-8").splitlines() if not p.startswith("#")]
    assert len(paths) == 586
    assert all(gc.AOZORA_PATH.match(p).group(1) in gc.AOZORA_AUTHORS for p in paths)
    files = dict.fromkeys(paths, raw)
    records = gc.build_aozora(_Files(files))["works.jsonl"].decode().splitlines()
    first = json.loads(records[0])
    assert first["source_path"] == path
    assert (first["id"], first["author"], first["author_death"]) == (
        "aozora-000035-1109",
        "太宰治",
        1948,
    )
    assert first["title"] == "春の枯葉 ―――一幕三場"
    assert first["header"] == "春の枯葉 / ―――一幕三場 / 太宰治"
    assert (first["text"], first["n_chars"]) == ("本文。", 3)


def test_gutenberg_text_is_what_lies_between_start_and_end() -> None:
    raw = (
        "\ufeffThe Project Gutenberg EBook of X\r\n\r\nTitle: Anna Karenina \r\n\r\n"
        "Author: Leo Tolstoy\r\n\r\nRelease Date: July 01, 1998 [EBook #1399]\r\n\r\n"
        "*** START OF THIS PROJECT GUTENBERG EBOOK ANNA KARENINA ***\r\n\r\n"
        "Happy families are all alike.\r\n\r\n"
        "            *** END OF THE PROJECT GUTENBERG EBOOK ANNA KARENINA ***\r\nlicence\r\n"
    ).encode()
    fields, text = gc.strip_gutenberg(raw)
    assert fields == {"title": "Anna Karenina", "author": "Leo Tolstoy", "ebook": "1399"}
    assert text == "Happy families are all alike."
    with pytest.raises(SystemExit, match="Project Gutenberg"):
        gc.strip_gutenberg(b"no markers here")


def test_poems_in_every_layout_of_the_repository() -> None:
    data = [
        {
            "rhythmic": "应天长",
            "title": "应天长·一钩",
            "author": "李璟",
            "paragraphs": ["一", "二"],
        },
        {"rhythmic": "导引", "author": "和岘", "paragraphs": ["三"]},
        {"title": "长相思", "para": ["四"], "author": "纳兰性德"},
        {"content": "五", "comment": ["评"]},
        {"chapter": "大學", "paragraphs": ["六"]},
        {
            "title": "古文觀止",
            "content": [
                {
                    "title": "卷一",
                    "content": [{"chapter": "鄭伯", "author": "左丘明", "paragraphs": ["七"]}],
                }
            ],
        },
        {"title": "空", "paragraphs": []},
    ]
    assert list(gc.poems(data)) == [
        {"title": "应天长·一钩", "author": "李璟", "text": "一\n二"},
        {"title": "导引", "author": "和岘", "text": "三"},
        {"title": "长相思", "author": "纳兰性德", "text": "四"},
        {"title": "", "author": "", "text": "五"},
        {"title": "大學", "author": "", "text": "六"},
        {"title": "鄭伯", "author": "左丘明", "text": "七"},
    ]


def test_poem_ids_count_only_the_poems_kept() -> None:
    empty = json.dumps([{"title": "a", "paragraphs": ["  "]}, {"title": "b", "paragraphs": ["字"]}])
    files = dict.fromkeys(gc.POETRY_FILES, empty.encode())
    files["LICENSE"] = b"MIT"
    built = gc.build_poetry(_Files(files))
    ids = [json.loads(line)["id"] for line in built["poems.jsonl"].decode().splitlines()]
    assert ids[:2] == [f"{gc.POETRY_FILES[0]}#0", f"{gc.POETRY_FILES[1]}#1"]
    assert len(ids) == len(gc.POETRY_FILES)
    assert built["LICENSE"] == b"MIT"


def test_a_git_clone_is_read_at_the_pinned_commit(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(tmp_path), *args], capture_output=True, check=True)
        return done.stdout.decode().strip()

    git("init", "-q")
    (tmp_path / "a.txt").write_text("pinned", encoding="utf-8")
    git("add", "a.txt")
    git("-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-qm", "pinned")
    pinned = git("rev-parse", "HEAD")
    (tmp_path / "a.txt").write_text("later", encoding="utf-8")
    source = gc.local_source(tmp_path, pinned)
    assert isinstance(source, gc.GitClone)
    assert source.read("a.txt") == b"pinned"
    with pytest.raises(SystemExit, match="fetch that commit"):
        gc.local_source(tmp_path, "0" * 40).read("a.txt")
    folder = gc.local_source(tmp_path / "..", pinned)
    assert isinstance(folder, gc.LocalTree)


def test_main_writes_the_corpus_and_says_whether_it_is_the_measured_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "src" / "data"
    data.mkdir(parents=True)
    (data / "file_information.csv").write_text(
        "File,Task,Category\nx.txt,a,cut\n", encoding="utf-8"
    )
    (data / "test_info.csv").write_text("File\n", encoding="utf-8")
    (data / "x.txt").write_text("answer", encoding="utf-8")
    dest = tmp_path / "out"
    code = gc.main(
        ["clough-stevenson", "--dest", str(dest), "--source", f"clough-stevenson={data.parent}"]
    )
    assert code == 0
    out = dest / "clough-stevenson"
    assert sorted(p.name for p in out.iterdir()) == [
        "SOURCE.txt",
        "file_information.csv",
        "test_info.csv",
        "x.txt",
    ]
    assert (out / "x.txt").read_text(encoding="utf-8") == "answer"
    assert "Licence:" in (out / "SOURCE.txt").read_text(encoding="utf-8")
    # three made-up files are not the corpus the figures were measured on
    assert "DIFFERENT from the copy" in capsys.readouterr().out


def test_tree_digest_ignores_source_txt_and_sees_any_other_change() -> None:
    files = {"a.jsonl": b"1\n", "b/c.json": b"{}"}
    digest = gc.tree_digest(files)
    assert gc.tree_digest({**files, "SOURCE.txt": b"notes"}) == digest
    assert gc.tree_digest({**files, "a.jsonl": b"2\n"}) != digest
    assert gc.tree_digest({"a.jsonl": b"1\n"}) != digest


def test_unknown_names_and_malformed_sources_are_refused() -> None:
    with pytest.raises(SystemExit):
        gc.main(["no-such-corpus"])
    with pytest.raises(SystemExit):
        gc.main(["--source", "no-equals-sign"])
