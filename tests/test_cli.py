"""The textprint command line: every subcommand, input formats, outputs, exit codes, errors."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import textprint as tp
from textprint.cli import main

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


ZH = fixture("zh_novel.txt")
JA = fixture("ja_aozora.txt")
EN = fixture("en_gutenberg.txt")
WORKS = [("zh-1", ZH[:1200]), ("ja-1", JA[:1200]), ("en-1", EN[:3000])]
POSTS = [
    ("copy-zh", "转载：" + ZH[100:500]),
    ("copy-en", "Quoted: " + EN[500:1400]),
    ("none", fixture("zh_novel_2.txt")[:300]),
]


def write_jsonl(path: Path, rows: list[tuple[str, str]], extra: bool = False) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for i, t in rows:
            rec = {"id": i, "text": t}
            if extra:
                rec["source"] = "fixture"
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    works = write_jsonl(tmp_path / "works.jsonl", WORKS, extra=True)
    path = tmp_path / "works.db"
    assert main(["register", str(path), str(works), "--quiet"]) == 0
    return path


def test_register_then_check_text_output(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    assert main(["check", str(db), str(posts)]) == 0
    out = capsys.readouterr().out
    assert "copy-zh: copies zh-1" in out
    assert "copy-en: copies en-1" in out
    assert "none: no copy found" in out
    with tp.Registry(db) as reg:
        assert sorted(reg) == ["en-1", "ja-1", "zh-1"]
        assert reg.get("zh-1").metadata == {"source": "fixture"}


def test_exit_code_1_when_nothing_is_copied(db: Path, tmp_path: Path) -> None:
    posts = write_jsonl(tmp_path / "posts.jsonl", [POSTS[2]])
    assert main(["check", str(db), str(posts)]) == 1


def test_check_jsonl_output_to_file(db: Path, tmp_path: Path) -> None:
    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    out = tmp_path / "hits.jsonl"
    assert main(["check", str(db), str(posts), "--format", "jsonl", "-o", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["copy-zh", "copy-en", "none"]
    zh_hit = rows[0]["hits"][0]
    assert zh_hit["work_id"] == "zh-1"
    p = zh_hit["passages"][0]
    assert (
        POSTS[0][1][p["query_start"] : p["query_end"]]
        == WORKS[0][1][p["source_start"] : p["source_end"]]
    )
    assert rows[2]["hits"] == []


def test_check_html_report(db: Path, tmp_path: Path) -> None:
    posts = write_jsonl(tmp_path / "one.jsonl", [POSTS[0]])
    out = tmp_path / "report.html"
    assert main(["check", str(db), str(posts), "--format", "html", "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in page
    assert "zh-1" in page


def test_csv_tsv_parquet_and_folder_inputs(db: Path, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    import pyarrow as pa
    import pyarrow.parquet as pq

    with open(tmp_path / "posts.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["key", "body"])
        w.writerow(["c1", POSTS[0][1]])
    with open(tmp_path / "posts.tsv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter="\t")
        w.writerow(["key", "body"])
        w.writerow(["t1", POSTS[1][1].replace("\t", " ")])
    pq.write_table(
        pa.Table.from_pylist([{"key": "p1", "body": POSTS[0][1]}]), tmp_path / "posts.parquet"
    )
    folder = tmp_path / "texts"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "f1.txt").write_text(POSTS[1][1], encoding="utf-8")
    out = tmp_path / "hits.jsonl"
    args = ["check", str(db), str(tmp_path / "posts.csv"), str(tmp_path / "posts.tsv")]
    args += [str(tmp_path / "posts.parquet"), str(folder), "--id-field", "key"]
    args += ["--text-field", "body", "--format", "jsonl", "-o", str(out)]
    assert main(args) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["c1", "t1", "p1", "sub/f1"]
    assert [r["hits"][0]["work_id"] for r in rows] == ["zh-1", "en-1", "zh-1", "en-1"]


def test_bad_record_in_a_large_input_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [(f"w{i}", f"{EN[i * 10 : i * 10 + 400]}") for i in range(300)]
    path = write_jsonl(tmp_path / "big.jsonl", rows)
    with open(path, "a", encoding="utf-8") as f:
        f.write('{"id": "bad", "text": 42}\n')
    db = tmp_path / "new.db"
    assert main(["register", str(db), str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "big.jsonl:301" in err
    assert "Traceback" not in err
    assert not db.exists()  # validated before anything was written
    out = tmp_path / "dups.jsonl"
    assert main(["dedup", str(path), "-o", str(out)]) == 2
    assert not out.exists()


def test_invalid_json_and_unknown_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "text": "ok"}\n{not json\n', encoding="utf-8")
    assert main(["dedup", str(bad), "-o", str(tmp_path / "o.jsonl")]) == 2
    assert "bad.jsonl:2: not valid JSON" in capsys.readouterr().err
    other = tmp_path / "x.xml"
    other.write_text("<x/>", encoding="utf-8")
    assert main(["dedup", str(other), "-o", str(tmp_path / "o.jsonl")]) == 2
    assert "unknown input type" in capsys.readouterr().err
    assert main(["dedup", str(tmp_path / "missing.jsonl"), "-o", "o.jsonl"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_register_refuses_taken_ids_and_resumes(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    works = write_jsonl(tmp_path / "more.jsonl", [WORKS[0], ("new-1", EN[4000:5000])])
    assert main(["register", str(db), str(works)]) == 2
    assert "already registered" in capsys.readouterr().err
    with tp.Registry(db) as reg:
        assert "new-1" not in reg  # refused before anything was written
    assert main(["register", str(db), str(works), "--skip-existing"]) == 0
    assert "committed" in capsys.readouterr().err  # progress line for resuming
    with tp.Registry(db) as reg:
        assert "new-1" in reg
        assert len(reg) == 4
    dup = write_jsonl(tmp_path / "dup.jsonl", [("a", "x"), ("a", "y")])
    assert main(["register", str(db), str(dup)]) == 2


def test_dedup_jsonl_and_parquet(tmp_path: Path) -> None:
    texts = [("a", ZH[:800]), ("b", ZH[:800].replace("。", "，", 2)), ("c", EN[:800])]
    path = write_jsonl(tmp_path / "docs.jsonl", texts)
    out = tmp_path / "clusters.jsonl"
    assert main(["dedup", str(path), "-o", str(out), "--threshold", "0.7", "-q"]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows == [
        {"id": "a", "cluster": "a"},
        {"id": "b", "cluster": "a"},
        {"id": "c", "cluster": "c"},
    ]
    pq = pytest.importorskip("pyarrow.parquet")
    outp = tmp_path / "clusters.parquet"
    assert main(["dedup", str(path), "-o", str(outp), "-q"]) == 0
    assert pq.read_table(outp).to_pylist()[1] == {"id": "b", "cluster": "a"}
    single = write_jsonl(tmp_path / "single.jsonl", [texts[2]])
    assert main(["dedup", str(single), "-o", str(out), "-q"]) == 1


def test_ids_and_metadata_with_lone_surrogates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """JSON inputs can hold lone surrogates; every output is still UTF-8 (JSONL keeps them
    as escapes, so ids match the input's; text and HTML show U+FFFD)."""
    works = tmp_path / "works.jsonl"
    works.write_text(
        json.dumps({"id": "w\ud800", "text": ZH[:600], "note": "\udc80"}) + "\n", encoding="utf-8"
    )
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        json.dumps({"id": "p\ud800", "text": "\ud800转载：" + ZH[100:500]}) + "\n",
        encoding="utf-8",
    )
    db = tmp_path / "works.db"
    assert main(["register", str(db), str(works), "-q"]) == 0
    out = tmp_path / "hits.jsonl"
    assert main(["check", str(db), str(posts), "--format", "jsonl", "-o", str(out)]) == 0
    (row,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert row["id"] == "p\ud800"
    assert row["hits"][0]["work_id"] == "w\ud800"
    assert row["hits"][0]["metadata"] == {"note": "\udc80"}
    text_out = tmp_path / "hits.txt"
    assert main(["check", str(db), str(posts), "-o", str(text_out)]) == 0
    assert text_out.read_text(encoding="utf-8").startswith("p\ufffd: copies w\ufffd (")
    page = tmp_path / "report.html"
    assert main(["check", str(db), str(posts), "--format", "html", "-o", str(page)]) == 0
    assert "w\ufffd" in page.read_text(encoding="utf-8")
    clusters = tmp_path / "clusters.jsonl"
    assert main(["dedup", str(posts), str(posts), "-o", str(clusters), "-q"]) == 0
    rows = [json.loads(line) for line in clusters.read_text(encoding="utf-8").splitlines()]
    assert rows == [{"id": "p\ud800", "cluster": "p\ud800"}] * 2
    capsys.readouterr()


def test_compare_with_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    a.write_text("前言。" + JA[200:600], encoding="utf-8")
    b.write_text(JA, encoding="utf-8")
    html = tmp_path / "c.html"
    assert main(["compare", str(a), str(b), "--html", str(html)]) == 0
    out = capsys.readouterr().out
    assert "Jaccard" in out
    assert f"{a}[3:403]" in out
    assert html.exists()
    c = tmp_path / "c.txt"
    c.write_text(EN[:500], encoding="utf-8")
    assert main(["compare", str(c), str(b)]) == 1
    c.write_bytes(b"\xff\xfe bad utf-8 \xc3")
    assert main(["compare", str(c), str(b)]) == 2


def test_info_and_rebuild(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["info", str(db)]) == 0
    out = capsys.readouterr().out
    assert "works: 3" in out
    assert "format: textprint-registry" in out
    assert "k: 5" in out
    assert main(["rebuild", str(db)]) == 0
    assert "rebuilt 3 works" in capsys.readouterr().out
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()


def test_rebuild_changes_settings(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with tp.Registry(db) as reg:
        work_id = next(iter(reg))
        text = reg.get(work_id).text
        before = [h.work_id for h in reg.check(text)]
    assert before == [work_id]
    capsys.readouterr()
    assert main(["rebuild", str(db), "--k", "7", "--window", "12", "--batch-size", "2"]) == 0
    out = capsys.readouterr().out
    assert "rebuilt 3 works" in out
    assert "k: 5 -> 7" in out
    assert "window: 10 -> 12" in out
    with tp.Registry(db) as reg:
        assert (reg.k, reg.window) == (7, 12)
        assert [h.work_id for h in reg.check(text)] == before
    # a bad setting is an error naming it, and the registry is left as it was
    assert main(["rebuild", str(db), "--k", "0"]) == 2
    assert "k" in capsys.readouterr().err
    with tp.Registry(db) as reg:
        assert (reg.k, reg.window) == (7, 12)


def test_missing_and_foreign_registries(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(tmp_path / "nope.db")]) == 2
    assert "does not exist" in capsys.readouterr().err
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 10)
    posts = write_jsonl(tmp_path / "p.jsonl", POSTS[:1])
    assert main(["check", str(junk), str(posts)]) == 2
    err = capsys.readouterr().err
    assert "not a textprint registry" in err
    assert "Traceback" not in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["check"]) == 2
    assert main(["--version"]) == 0
    assert tp.__version__ in capsys.readouterr().out


def test_demo_runs_and_finds_the_copies(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert out.count("copies ") == 5  # four posts copy five works; the unrelated one none
    assert "no registered work is copied" in out


def test_console_script_and_module_entry_points(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    out = subprocess.run(
        [sys.executable, "-m", "textprint", "--version"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert out.stdout.strip() == f"textprint {tp.__version__}"
    # progress bars stay silent when stderr is not a terminal
    works = write_jsonl(tmp_path / "w.jsonl", WORKS[:1])
    run = subprocess.run(
        [sys.executable, "-m", "textprint", "register", str(tmp_path / "r.db"), str(works)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert run.returncode == 0
    assert "\r" not in run.stderr
    assert "committed 1/1" in run.stderr
