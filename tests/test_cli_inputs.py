"""Command-line input and output that never ends in a traceback (issue 17, problems 2-4, 6).

Every error is exit status 2 and one line on stderr; every output is written whole or not at
all; the output's format follows --format or the file's extension.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from _records import write_jsonl
from textprint.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
ZH = (FIXTURES / "zh_novel.txt").read_text(encoding="utf-8")
JA = (FIXTURES / "ja_aozora.txt").read_text(encoding="utf-8")
EN = (FIXTURES / "en_gutenberg.txt").read_text(encoding="utf-8")
WORKS = [("zh-1", ZH[:1200]), ("ja-1", JA[:1200]), ("en-1", EN[:3000])]
POSTS = [("copy-zh", "转载：" + ZH[100:500]), ("none", "今天天气很好，我们去公园散步吧。" * 3)]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "works.db"
    assert main(["register", str(path), str(write_jsonl(tmp_path / "w.jsonl", WORKS)), "-q"]) == 0
    return path


def one_line_error(capsys: pytest.CaptureFixture[str], *fragments: str) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("textprint: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err
    return err


def test_csv_fields_of_any_size(db: Path, tmp_path: Path) -> None:
    """Problem 2: a CSV field over 131,072 characters (a 175k-character work) was a
    ``_csv.Error: field larger than field limit`` traceback."""
    big = (ZH * 40)[:175_000]
    path = tmp_path / "big.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "text"])
        w.writerow(["novel", big])
        w.writerow(["copy", "转载：" + ZH[100:500]])
    out = tmp_path / "hits.jsonl"
    assert main(["check", str(db), str(path), "-o", str(out), "-q"]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["novel", "copy"]
    assert rows[0]["hits"][0]["work_id"] == "zh-1"
    # the process-wide csv limit is restored after reading
    assert csv.field_size_limit() == 131072


def test_a_byte_order_mark_is_not_part_of_the_first_field(db: Path, tmp_path: Path) -> None:
    """Problem 3: a CSV saved by Excel starts with a BOM; its ``id`` column was read as
    ``\\ufeffid`` and every id silently became 0, 1, ..."""
    path = tmp_path / "excel.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(["id", "text"])
        w.writerows(POSTS)
    jsonl = tmp_path / "bom.jsonl"
    jsonl.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": "j1", "text": POSTS[0][1]}).encode())
    out = tmp_path / "hits.jsonl"
    assert main(["check", str(db), str(path), str(jsonl), "-o", str(out), "-q"]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["copy-zh", "none", "j1"]
    assert rows[0]["metadata"] is None  # no stray "\ufeffid" column


@pytest.mark.parametrize("command", ["register", "check", "dedup"])
def test_a_named_field_that_is_missing_is_an_error(
    command: str, db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Problem 3: ids silently became 0, 1, ... when the given --id-field was missing."""
    path = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    args = {
        "register": ["register", str(tmp_path / "new.db")],
        "check": ["check", str(db)],
        "dedup": ["dedup", "-o", str(tmp_path / "c.jsonl")],
    }[command]
    capsys.readouterr()
    assert main([*args, str(path), "--id-field", "post_id"]) == 2
    one_line_error(capsys, "no 'post_id' field", "fields: id, text", "--id-field")
    csv_path = tmp_path / "posts.csv"
    csv_path.write_text("key,body\nk1,text\n", encoding="utf-8")
    assert main([*args, str(csv_path), "--id-field", "key"]) == 2
    one_line_error(capsys, "no 'text' field", "fields: key, body", "--text-field")
    assert not (tmp_path / "new.db").exists()
    assert not (tmp_path / "c.jsonl").exists()


def test_records_without_the_default_id_are_numbered(db: Path, tmp_path: Path) -> None:
    """Without --id-field, records lacking ``id`` keep their documented position ids."""
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"text": POSTS[0][1], "source": "x"}) + "\n", encoding="utf-8")
    out = tmp_path / "h.jsonl"
    assert main(["check", str(db), str(path), "-o", str(out), "-q"]) == 0
    (row,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert (row["id"], row["metadata"]) == (0, {"source": "x"})


@pytest.mark.parametrize(
    ("suffix", "fmt"), [("csv", "csv"), ("jsonl", "jsonl"), ("parquet", "parquet")]
)
def test_dedup_writes_the_format_its_extension_names(suffix: str, fmt: str, tmp_path: Path) -> None:
    """Problem 4: ``textprint dedup ... -o clusters.csv`` wrote JSON Lines into the .csv."""
    texts = [("a", ZH[:800]), ("b", ZH[:800].replace("。", "，", 2)), ("c", EN[:800])]
    path = write_jsonl(tmp_path / "docs.jsonl", texts)
    out = tmp_path / f"clusters.{suffix}"
    assert main(["dedup", str(path), "-o", str(out), "-q"]) == 0
    expected = [
        {"id": "a", "cluster": "a"},
        {"id": "b", "cluster": "a"},
        {"id": "c", "cluster": "c"},
    ]
    if fmt == "csv":
        with open(out, newline="", encoding="utf-8") as f:
            assert list(csv.DictReader(f)) == expected
    elif fmt == "jsonl":
        assert [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()] == expected
    else:
        pq = pytest.importorskip("pyarrow.parquet")
        assert pq.read_table(out).to_pylist() == expected


def test_check_writes_csv_and_parquet(db: Path, tmp_path: Path) -> None:
    """The extension picks the format of check's results too; every text has a row."""
    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    out = tmp_path / "hits.csv"
    assert main(["check", str(db), str(posts), "-o", str(out), "-q"]) == 0
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["id"], r["work_id"]) for r in rows] == [("copy-zh", "zh-1"), ("none", "")]
    passages = json.loads(rows[0]["passages"])
    p = passages[0]
    assert POSTS[0][1][p["query_start"] : p["query_end"]] == ZH[p["source_start"] : p["source_end"]]
    pq = pytest.importorskip("pyarrow.parquet")
    outp = tmp_path / "hits.parquet"
    assert main(["check", str(db), str(posts), "-o", str(outp), "-q"]) == 0
    table = pq.read_table(outp).to_pylist()
    assert [r["id"] for r in table] == ["copy-zh", "none"]
    assert table[0]["hits"][0]["work_id"] == "zh-1"
    assert table[0]["hits"][0]["passages"][0] == p
    assert table[1]["hits"] == []


def test_gzip_and_zstd_inputs(db: Path, tmp_path: Path) -> None:
    """Problem 6: no gzip input."""
    zstandard = pytest.importorskip("zstandard")
    lines = "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in POSTS).encode()
    (tmp_path / "p.jsonl.gz").write_bytes(gzip.compress(lines))
    (tmp_path / "p.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(lines))
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt.gz").write_bytes(gzip.compress(POSTS[0][1].encode()))
    out = tmp_path / "h.jsonl"
    args = [str(tmp_path / "p.jsonl.gz"), str(tmp_path / "p.jsonl.zst"), str(folder)]
    assert main(["check", str(db), *args, "-o", str(out), "-q"]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["copy-zh", "none", "copy-zh", "none", "a"]
    assert [bool(r["hits"]) for r in rows] == [True, False, True, False, True]


def test_encoding_option(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Problem 6: no input encoding option (Chinese exports are often GB18030)."""
    path = tmp_path / "gb.csv"
    with open(path, "w", newline="", encoding="gb18030") as f:
        csv.writer(f).writerows([["id", "text"], ["g1", POSTS[0][1]]])
    out = tmp_path / "h.jsonl"
    assert main(["check", str(db), str(path), "-o", str(out), "-q"]) == 2
    one_line_error(capsys, "cannot be decoded as utf-8", "--encoding")
    assert not out.exists()
    assert main(["check", str(db), str(path), "-o", str(out), "-q", "--encoding", "gb18030"]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["hits"][0]["work_id"] == "zh-1"
    assert main(["check", str(db), str(path), "--encoding", "klingon"]) == 2
    one_line_error(capsys, "unknown encoding 'klingon'")


def test_on_error_skip_lists_what_it_left_out(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Problem 6: no way to skip an unreadable file in a folder."""
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "good.txt").write_text(POSTS[0][1], encoding="utf-8")
    (folder / "bad.txt").write_bytes(b"\xff\xfe\xfa not utf-8")
    posts = tmp_path / "p.jsonl"
    posts.write_text('{"id": "ok", "text": "x"}\n{broken\n{"id": "n", "text": 5}\n', "utf-8")
    out = tmp_path / "h.jsonl"
    args = ["check", str(db), str(folder), str(posts), "-o", str(out), "-q"]
    assert main(args) == 2
    one_line_error(capsys, "bad.txt: cannot be decoded as utf-8")
    assert main([*args, "--on-error", "skip"]) == 0
    err = capsys.readouterr().err
    assert "skipped 3 unreadable inputs" in err
    assert "bad.txt" in err
    assert "p.jsonl:2: not valid JSON, column 2" in err
    assert "p.jsonl:3: field 'text' must be a string, got int" in err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["good", "ok"]


def test_invalid_json_message_is_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Problem 10: the message of a raw control character was cut off ("... at")."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "text": "tab\there"}\n', encoding="utf-8")
    assert main(["dedup", str(bad), "-o", str(tmp_path / "o.jsonl")]) == 2
    err = one_line_error(capsys, "bad.jsonl:1: not valid JSON, column 23")
    assert err.rstrip().endswith("Invalid control character")


# -- outputs: folder, unwritable, full disk, extensions, for every subcommand ----------------


def _commands(db: Path, posts: Path, text: Path) -> dict[str, Callable[[str], list[str]]]:
    """Each subcommand that writes a file, with its output path put in."""
    return {
        "check": lambda out: ["check", str(db), str(posts), "-o", out, "-q"],
        "check-html": lambda out: ["check", str(db), str(posts), "--format", "html", "-o", out],
        "dedup": lambda out: ["dedup", str(posts), "-o", out, "-q"],
        "compare": lambda out: ["compare", str(text), str(text), "--html", out],
    }


@pytest.fixture
def inputs(db: Path, tmp_path: Path) -> dict[str, Callable[[str], list[str]]]:
    posts = write_jsonl(tmp_path / "posts.jsonl", [POSTS[0]])
    text = tmp_path / "a.txt"
    text.write_text(POSTS[0][1], encoding="utf-8")
    return _commands(db, posts, text)


@pytest.mark.parametrize("command", ["check", "dedup", "compare"])
def test_output_that_is_a_folder(
    command: str,
    inputs: dict[str, Callable[[str], list[str]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Problem 2: ``-o`` naming an existing directory ended in IsADirectoryError."""
    folder = tmp_path / "existing"
    folder.mkdir()
    capsys.readouterr()
    assert main(inputs[command](str(folder))) == 2
    one_line_error(capsys, "folder")
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("command", ["check", "check-html", "dedup", "compare"])
@pytest.mark.parametrize("where", [("no", "such", "dir", "r.html"), ("plain-file", "r.html")])
def test_output_that_cannot_be_written(
    command: str,
    where: tuple[str, ...],
    inputs: dict[str, Callable[[str], list[str]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Problem 3 of the build: an unwritable -o (under a missing folder, or under a file) is
    one line, and leaves nothing behind."""
    (tmp_path / "plain-file").write_text("x", encoding="utf-8")
    capsys.readouterr()
    out = tmp_path.joinpath(*where)
    out_s = str(out.with_suffix(".jsonl")) if command in ("check", "dedup") else str(out)
    assert main(inputs[command](out_s)) == 2
    one_line_error(capsys, "cannot write")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize(
    ("command", "out", "fragment"),
    [
        ("check", "hits.csv --format jsonl", "ends in .csv but --format is jsonl"),
        ("check", "report.html --format text", "ends in .html but --format is text"),
        ("dedup", "clusters.html", "writes .jsonl"),
        ("dedup", "clusters.parquet --format csv", "ends in .parquet but --format is csv"),
    ],
)
def test_extension_that_disagrees_with_format(
    command: str,
    out: str,
    fragment: str,
    inputs: dict[str, Callable[[str], list[str]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    name, *rest = out.split()
    args = inputs[command](str(tmp_path / name)) + rest
    capsys.readouterr()
    assert main(args) == 2
    one_line_error(capsys, fragment)
    assert not (tmp_path / name).exists()


FULL_DISK = 256 * 1024  # bytes a file may grow to in the child process


def _run_with_full_disk(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the command line where no file may grow past FULL_DISK bytes: writes beyond it
    fail with EFBIG, as writes to a full disk fail with ENOSPC."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (FULL_DISK, FULL_DISK))

    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "textprint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        preexec_fn=limit,
        timeout=600,
    )


@pytest.mark.parametrize(("command", "name"), [("check", "hits.jsonl"), ("dedup", "c.csv")])
def test_output_on_a_full_disk(db: Path, tmp_path: Path, command: str, name: str) -> None:
    """Problem 3 of the build: a full disk is one line, and leaves no partial file."""
    rows = [(f"p{i:05d}-" + "x" * 200, POSTS[0][1]) for i in range(800)]  # > FULL_DISK out
    posts = write_jsonl(tmp_path / "many.jsonl", rows)
    args = {
        "check": ["check", str(db), str(posts), "-o", name, "-q"],
        "dedup": ["dedup", str(posts), "-o", name, "-q"],
    }[command]
    run = _run_with_full_disk(args, tmp_path)
    assert run.returncode == 2, run.stderr
    assert run.stderr.count("\n") == 1, run.stderr
    assert run.stderr.startswith(f"textprint: error: cannot write {name}"), run.stderr
    assert "Traceback" not in run.stderr
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(["many.jsonl", "w.jsonl", "works.db"])


def test_every_subcommand_reports_bad_inputs_in_one_line(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Problem 3 of the build: every subcommand, every bad input: exit 2, one line."""
    missing = str(tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n', encoding="utf-8")
    cases = [
        ["register", str(tmp_path / "r.db"), missing],
        ["register", str(tmp_path / "r.db"), str(bad)],
        ["check", str(db), missing],
        ["check", str(db), str(bad)],
        ["check", str(tmp_path / "nope.db"), str(bad)],
        ["dedup", str(bad), "-o", str(tmp_path / "c.jsonl")],
        ["compare", missing, missing],
        ["info", str(tmp_path / "nope.db")],
        ["rebuild", str(tmp_path / "nope.db")],
        ["demo", "--db", str(tmp_path / "plain") + "/x/y.db"],
    ]
    (tmp_path / "plain").write_text("", encoding="utf-8")
    capsys.readouterr()
    for args in cases:
        assert main(args) == 2, args
        one_line_error(capsys)
    assert not (tmp_path / "r.db").exists()
