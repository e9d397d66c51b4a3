"""Fetch and prepare the public corpora that textprint's benchmarks read.

Each corpus is built from the public repository it comes from, at the commit the published
benchmark figures were measured on, and checked against the SHA-256 of the copy those figures
were measured on. Only the standard library is needed. docs/benchmarks/corpora.md describes
each corpus, its licence and what to do offline.

Usage::

    python scripts/get_corpora.py                       # every corpus this script can build
    python scripts/get_corpora.py zh-classic-novels en-gutenberg
    python scripts/get_corpora.py --list                # names, sources and licences
    python scripts/get_corpora.py aozora-pd-ja --source aozora-pd-ja=~/src/aozorabunko_text

By default the files are downloaded from raw.githubusercontent.com and written to
``../shared/corpora`` beside the repository, where the benchmarks look for them (``--dest``
changes it). ``--source NAME=PATH`` reads a corpus's files from a local copy of its source
repository instead of the network: a git clone that has the pinned commit (read with
``git show``, whatever is checked out) or an unpacked archive of that commit.

PAN 2013 (``pan13-ta-noobf``) is not built here: it is licensed for research use only and is
obtained from its publishers (see the docs page).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_DEST = HERE.parent.parent / "shared" / "corpora"


# --------------------------------------------------------------------------------------------
# Where files come from


class Source:
    """Files of one repository at one commit."""

    def read(self, path: str) -> bytes:
        raise NotImplementedError


class GitHubRaw(Source):
    """Download from raw.githubusercontent.com (retried: a long run meets transient errors)."""

    def __init__(self, repo: str, commit: str) -> None:
        self.base = f"https://raw.githubusercontent.com/{repo}/{commit}/"

    def read(self, path: str) -> bytes:
        url = self.base + urllib.parse.quote(path)
        for attempt in range(4):
            try:
                with urllib.request.urlopen(url, timeout=60) as response:
                    data: bytes = response.read()
                    return data
            except OSError as exc:  # URLError and HTTPError are OSErrors
                if attempt == 3 or getattr(exc, "code", None) == 404:
                    raise SystemExit(f"cannot download {url}: {exc}") from exc
                time.sleep(2**attempt)
        raise AssertionError("unreachable")


class GitClone(Source):
    """A local clone (or bare mirror) that holds the commit: ``git show COMMIT:PATH``."""

    def __init__(self, root: Path, commit: str) -> None:
        self.root, self.commit = root, commit

    def read(self, path: str) -> bytes:
        done = subprocess.run(
            ["git", "-C", str(self.root), "show", f"{self.commit}:{path}"],
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(
                f"{self.root}: cannot read {path} at commit {self.commit} "
                f"({done.stderr.decode(errors='replace').strip()}); fetch that commit first"
            )
        return done.stdout


class LocalTree(Source):
    """An unpacked archive (or a checkout) of the commit."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, path: str) -> bytes:
        try:
            return (self.root / path).read_bytes()
        except OSError as exc:
            raise SystemExit(f"{self.root}: cannot read {path}: {exc}") from exc


def local_source(root: Path, commit: str) -> Source:
    """A git clone is read at `commit`; any other folder as it is."""
    is_git = (root / ".git").exists() or ((root / "HEAD").is_file() and (root / "objects").is_dir())
    return GitClone(root, commit) if is_git else LocalTree(root)


# --------------------------------------------------------------------------------------------
# The corpora


@dataclass(frozen=True)
class Corpus:
    name: str
    repo: str
    commit: str
    licence: str
    what: str
    build: Callable[[Source], dict[str, bytes]]  # relative output path -> content
    sha256: str  # tree digest of the copy the published figures were measured on


def manifest(corpus: str) -> list[str]:
    """The source paths a corpus keeps, in order: ``corpora/CORPUS.paths`` beside this script
    (one a line; ``#`` starts a comment line)."""
    text = (HERE / "corpora" / f"{corpus}.paths").read_text(encoding="utf-8")
    return [p for p in text.splitlines() if p and not p.startswith("#")]


def jsonl(records: Iterator[dict[str, Any]] | list[dict[str, Any]]) -> bytes:
    """One JSON object per line, as the benchmarks read them."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def tree_digest(files: dict[str, bytes]) -> str:
    """SHA-256 over the sorted ``sha256  path`` lines of a corpus's files (SOURCE.txt aside)."""
    lines = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {path}\n"
        for path, data in sorted(files.items())
        if path != "SOURCE.txt"
    )
    return hashlib.sha256(lines.encode()).hexdigest()


# zh-classic-novels ---------------------------------------------------------------------------

NOVELS = [  # file, id prefix, author
    ("三国演义.txt", "sanguo", "罗贯中"),
    ("水浒传.txt", "shuihu", "施耐庵"),
    ("红楼梦.txt", "honglou", "曹雪芹"),
    ("西游记.txt", "xiyou", "吴承恩"),
]
CHAPTER_HEADING = re.compile(r"^(第[〇零一二三四五六七八九十百千0-9]+回|楔子)")
# the scraping site's navigation and notices, and links; a line that merely contains 首页
# ("the first page") is text
WEB_BOILERPLATE = re.compile(r"^首页\||原创书库|^本站长期招收|https?://|www\.")
MIN_CHAPTER_CHARS = 200  # shorter "chapters" are duplicated headings


def split_chapters(text: str) -> list[tuple[str, str]]:
    """``(heading, body)`` per chapter; body lines stripped, blank and boilerplate lines dropped."""
    chapters: list[tuple[str, list[str]]] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if CHAPTER_HEADING.match(stripped):
            chapters.append((stripped, []))
        elif chapters and stripped and not WEB_BOILERPLATE.search(stripped):
            chapters[-1][1].append(stripped)
    return [(heading, "\n".join(body)) for heading, body in chapters]


def build_novels(source: Source) -> dict[str, bytes]:
    records = []
    for file, prefix, author in NOVELS:
        book = file.removesuffix(".txt")
        for i, (heading, body) in enumerate(split_chapters(source.read(file).decode("utf-8"))):
            if len(body) >= MIN_CHAPTER_CHARS:
                records.append(
                    {
                        "id": f"{prefix}-{i:03d}",
                        "book": book,
                        "author": author,
                        "chapter": heading,
                        "source_path": file,
                        "n_chars": len(body),
                        "text": body,
                    }
                )
    return {"chapters.jsonl": jsonl(records)}


# zh-cmrc2018-wiki ----------------------------------------------------------------------------


def build_cmrc(source: Source) -> dict[str, bytes]:
    records = []
    for split in ("dev", "trial"):
        data = json.loads(source.read(f"squad-style-data/cmrc2018_{split}.json"))
        for article in data["data"]:
            for paragraph in article["paragraphs"]:
                records.append(
                    {
                        "id": f"cmrc-{split}-{paragraph['id']}",
                        "split": split,
                        "title": article["title"],
                        "text": paragraph["context"],
                    }
                )
    return {"contexts.jsonl": jsonl(records), "LICENCE.txt": source.read("LICENCE")}


# zh-chinese-poetry ---------------------------------------------------------------------------

POETRY_FILES = manifest("zh-chinese-poetry")
BODY_KEYS = ("paragraphs", "para", "content")


def poems(node: Any) -> Iterator[dict[str, str]]:
    """Every poem in one of the repository's JSON layouts: title, author, lines joined by \\n.

    A poem is an object with its lines under ``paragraphs``, ``para`` or ``content`` (a list of
    strings, or one string); a ``content`` that holds objects is a volume of poems.
    """
    if isinstance(node, list):
        for item in node:
            yield from poems(item)
        return
    if not isinstance(node, dict):
        return
    for key in BODY_KEYS:
        value = node.get(key)
        if isinstance(value, str):
            body = value
            break
        if isinstance(value, list) and value and all(isinstance(s, str) for s in value):
            body = "\n".join(value)
            break
        if isinstance(value, list):
            yield from poems(value)
            return
    else:
        return
    title = node.get("title") or node.get("chapter") or node.get("rhythmic") or ""
    yield {"title": title, "author": node.get("author") or "", "text": body}


def build_poetry(source: Source) -> dict[str, bytes]:
    records: list[dict[str, Any]] = []
    for collection in POETRY_FILES:
        for poem in poems(json.loads(source.read(collection))):
            if poem["text"].strip():
                records.append(
                    {"id": f"{collection}#{len(records)}", "collection": collection, **poem}
                )
    return {"poems.jsonl": jsonl(records), "LICENSE": source.read("LICENSE")}


# aozora-pd-ja --------------------------------------------------------------------------------

AOZORA_AUTHORS = {  # person id -> (name, year of death)
    "000035": ("太宰治", 1948),
    "000042": ("寺田寅彦", 1935),
    "000064": ("樋口一葉", 1896),
    "000074": ("梶井基次郎", 1932),
    "000081": ("宮沢賢治", 1933),
    "000082": ("岡本綺堂", 1939),
    "000119": ("中島敦", 1942),
    "000121": ("新美南吉", 1943),
    "000129": ("森鴎外", 1922),
    "000148": ("夏目漱石", 1916),
    "000879": ("芥川龍之介", 1927),
}
AOZORA_PATH = re.compile(r"^cards/(\d+)/files/(\d+)_")
RUBY = re.compile(r"《[^》]*》")  # 下駄《げた》 -> 下駄
EDITORIAL_NOTE = re.compile(r"［＃[^］]*］")


def clean_aozora(raw: bytes) -> tuple[list[str], str]:
    """``(header lines, body)`` of an Aozora Bunko text file.

    The header is the lines before the first blank line; the notation legend between two
    ``-----`` lines and the colophon from ``底本：`` on are cut; ruby, its ``｜`` markers and
    ``［＃…］`` editorial notes are deleted; runs of blank lines become one.
    """
    lines = raw.decode("cp932", errors="replace").replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines) and lines[i].strip():
        i += 1
    header = [line.strip() for line in lines[:i]]
    j = i
    while j < len(lines) and not lines[j].strip():
        j += 1
    if j < len(lines) and lines[j].startswith("-----"):
        k = j + 1
        while k < len(lines) and not lines[k].startswith("-----"):
            k += 1
        i = k + 1
    body: list[str] = []
    for line in lines[i:]:
        if line.startswith("底本："):
            break
        body.append(line)
    text = EDITORIAL_NOTE.sub("", RUBY.sub("", "\n".join(body)).replace("｜", ""))
    return header, re.sub(r"\n{3,}", "\n\n", text).strip()


def build_aozora(source: Source) -> dict[str, bytes]:
    records = []
    for path in manifest("aozora-pd-ja"):
        match = AOZORA_PATH.match(path)
        if match is None:
            raise SystemExit(f"aozora-pd-ja.paths: not an Aozora card path: {path}")
        person_id, work_id = match.groups()
        author, death = AOZORA_AUTHORS[person_id]
        header, text = clean_aozora(source.read(path))
        records.append(
            {
                "id": f"aozora-{person_id}-{work_id}",
                "person_id": person_id,
                "work_id": work_id,
                "author": author,
                "author_death": death,
                "title": " ".join(header[:-1]) if len(header) > 1 else header[0],
                "header": " / ".join(header),
                "source_path": path,
                "n_chars": len(text),
                "text": text,
            }
        )
    return {"works.jsonl": jsonl(records)}


# ja-jglue ------------------------------------------------------------------------------------

JGLUE_COPIES = {
    "LICENSE": "LICENSE",
    "README.JGLUE.md": "README.md",
    **{
        f"datasets/{d}/{s}-v1.3.json": f"datasets/{d}/{s}-v1.3.json"
        for d, splits in (
            ("jsquad-v1.3", ("valid", "test")),
            ("jsts-v1.3", ("train", "valid", "test")),
        )
        for s in splits
    },
}
JSQUAD_TITLE = re.compile(r"^.*? \[SEP\] ")  # each JSQuAD context starts "title [SEP] "


def build_jglue(source: Source) -> dict[str, bytes]:
    files = {out: source.read(path) for out, path in JGLUE_COPIES.items()}
    records: list[dict[str, Any]] = []
    for split in ("valid", "test"):
        data = json.loads(files[f"datasets/jsquad-v1.3/{split}-v1.3.json"])
        for article in data["data"]:
            paragraphs = [
                JSQUAD_TITLE.sub("", p["context"], count=1) for p in article["paragraphs"]
            ]
            records.append(
                {
                    "id": f"jsquad-{split}-{len(records)}",
                    "split": split,
                    "title": article["title"],
                    "n_paragraphs": len(paragraphs),
                    "text": "\n".join(paragraphs),
                }
            )
    files["jsquad_articles.jsonl"] = jsonl(records)
    return files


# en-gutenberg --------------------------------------------------------------------------------

PG_START = re.compile(r"^\*\*\*\s*START OF.*$", re.M)
PG_END = re.compile(r"^[ \t]*\*\*\*\s*END OF.*$", re.M)
PG_EBOOK = re.compile(r"\[e(?:book|text) #(\d+)\]", re.I)


def strip_gutenberg(raw: bytes) -> tuple[dict[str, str], str]:
    """``(header fields, text)``: the text between the START and END lines, without the licence."""
    text = raw.decode("utf-8").lstrip("\ufeff").replace("\r\n", "\n")
    start = PG_START.search(text)
    end = PG_END.search(text, start.end()) if start else None
    if start is None or end is None:
        raise SystemExit("not a Project Gutenberg text: no START OF / END OF lines")
    head = text[: start.start()]
    fields = {}
    for name in ("Title", "Author"):
        match = re.search(rf"^{name}:\s*(.*?)\s*$", head, re.M)
        fields[name.lower()] = match.group(1) if match else ""
    ebook = PG_EBOOK.search(head)
    fields["ebook"] = ebook.group(1) if ebook else ""
    return fields, text[start.end() : end.start()].strip()


def build_gutenberg(source: Source) -> dict[str, bytes]:
    records = []
    for i, path in enumerate(manifest("en-gutenberg")):
        fields, text = strip_gutenberg(source.read(path))
        records.append(
            {
                "id": f"pg-{i:03d}",
                "path": path,
                "title": fields["title"],
                "author": fields["author"],
                "ebook": fields["ebook"],
                "n_chars": len(text),
                "text": text,
            }
        )
    return {"books.jsonl": jsonl(records)}


# clough-stevenson ----------------------------------------------------------------------------


def build_clough(source: Source) -> dict[str, bytes]:
    index = source.read("data/file_information.csv")
    names = [row["File"] for row in csv.DictReader(io.StringIO(index.decode("utf-8")))]
    files = {name: source.read(f"data/{name}") for name in names}
    files["file_information.csv"] = index
    files["test_info.csv"] = source.read("data/test_info.csv")
    return files


CORPORA = {
    c.name: c
    for c in (
        Corpus(
            "zh-classic-novels",
            "tennessine/corpus",
            "c5ce96aca36c6a3cb4da5f0ff7d2d5fa30c32aea",
            "public domain (14th-18th century novels; the repository states no licence)",
            "the four classical Chinese novels, 461 chapters",
            build_novels,
            "03b2904592d8f4cafea5577a6e7d70c6221f944f7d92215d21a07f5863aa6cb2",
        ),
        Corpus(
            "zh-cmrc2018-wiki",
            "ymcui/cmrc2018",
            "c0eb1b6ba219847457e6af3180da722bbeb656af",
            "CC BY-SA 4.0",
            "1,104 Chinese Wikipedia passages of CMRC 2018",
            build_cmrc,
            "17f7cf065c93f0de02af2d5ca6f41ba09992d785e9da73c2706448e620210189",
        ),
        Corpus(
            "zh-chinese-poetry",
            "chinese-poetry/chinese-poetry",
            "99ebbef7e1345c0985c44b9fd96a3f9e776f117b",
            "MIT (the compilation); the texts are classical and public domain",
            "28,005 classical poems, lyrics and essays",
            build_poetry,
            "",  # the benchmarks' copy holds poems.jsonl only; compared file by file below
        ),
        Corpus(
            "aozora-pd-ja",
            "aozorahack/aozorabunko_text",
            "0984f7dc18a2270bdfd2ff99bf14fd1b3ebb4f65",
            "public domain in Japan (authors died 1896-1948); Aozora Bunko's terms allow free use",
            "586 Japanese literary works from Aozora Bunko",
            build_aozora,
            "6f64024915ef68955b32112df0365ef2af83f22318c8ce69e3875b16b26a265c",
        ),
        Corpus(
            "ja-jglue",
            "yahoojapan/JGLUE",
            "6f071c09316baae89c3d083a90985b4b1cb9968c",
            "CC BY-SA 4.0",
            "118 Japanese Wikipedia articles (JSQuAD) and the JSTS sentence pairs",
            build_jglue,
            "e6f82197ce250b5538fd919908c66cb64a42d27c9162091152f38fad7de70ee8",
        ),
        Corpus(
            "en-gutenberg",
            "RU-ECE/ECE451-Parallel",
            "c58dca3a6abedd8041057571c247e9a393cc3b4d",
            "public domain in the USA (Project Gutenberg texts, licence header and footer removed)",
            "39 English books from Project Gutenberg",
            build_gutenberg,
            "f26172a6261065005f5e33ca05350d9e0d65550c9982148aa8601ac041e8080b",
        ),
        Corpus(
            "clough-stevenson",
            "gauravansal/Plagiarism-Detection",
            "522343489d1c61be6b3d594b9b1e79b412794a5f",
            "freely available for research (University of Sheffield); source texts from "
            "Wikipedia, CC BY-SA",
            "Clough & Stevenson's corpus of plagiarised short answers: 5 sources, 95 answers",
            build_clough,
            "5231deac4249123ecdc43d09f5412b8d9c787c40146ced9ee471672b820aee5e",
        ),
    )
}
# zh-chinese-poetry: the benchmarks' copy has no LICENSE file; its poems.jsonl is compared alone
FILE_SHA256 = {
    ("zh-chinese-poetry", "poems.jsonl"): (
        "8d7063f8f69374d05229d46d727589e76e60379112ecfbc250c7cb71cee58649"
    ),
}


def verdict(corpus: Corpus, files: dict[str, bytes]) -> str:
    """Whether `files` equal the copy the published figures were measured on."""
    if corpus.sha256:
        same = tree_digest(files) == corpus.sha256
    else:
        same = all(
            hashlib.sha256(files[path]).hexdigest() == digest
            for (name, path), digest in FILE_SHA256.items()
            if name == corpus.name
        )
    if same:
        return "identical to the copy the published figures were measured on"
    return "DIFFERENT from the copy the published figures were measured on (figures may differ)"


def source_txt(corpus: Corpus, how: str) -> bytes:
    return (
        f"Corpus: {corpus.name}: {corpus.what}.\n"
        f"Source: https://github.com/{corpus.repo} at commit {corpus.commit}\n"
        f"Licence: {corpus.licence}\n"
        f"Prepared by textprint's scripts/get_corpora.py from {how}; see\n"
        "docs/benchmarks/corpora.md for what was kept and how.\n"
    ).encode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="corpora to build (default: all)")
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST, help="default: %(default)s")
    parser.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="read NAME's files from a local clone or unpacked archive instead of the network",
    )
    parser.add_argument("--list", action="store_true", help="list the corpora and exit")
    args = parser.parse_args(argv)

    if args.list:
        for c in CORPORA.values():
            print(f"{c.name}: {c.what}\n  https://github.com/{c.repo} @ {c.commit[:12]}")
            print(f"  licence: {c.licence}")
        print("pan13-ta-noobf: research use only, not built here (docs/benchmarks/corpora.md)")
        return 0
    unknown = [n for n in args.names if n not in CORPORA]
    if unknown:
        parser.error(f"unknown corpus {', '.join(unknown)}; --list shows the names")
    local: dict[str, Path] = {}
    for item in args.source:
        name, sep, path = item.partition("=")
        if not sep or name not in CORPORA:
            parser.error(f"--source {item!r}: expected NAME=PATH with NAME one of --list")
        local[name] = Path(path).expanduser()

    for name in args.names or list(CORPORA):
        corpus = CORPORA[name]
        if name in local:
            source, how = local_source(local[name], corpus.commit), str(local[name])
        else:
            source, how = GitHubRaw(corpus.repo, corpus.commit), "raw.githubusercontent.com"
        print(f"{name}: reading {corpus.repo} @ {corpus.commit[:12]} from {how}", flush=True)
        files = corpus.build(source)
        out = args.dest / name
        for path, data in files.items():
            (out / path).parent.mkdir(parents=True, exist_ok=True)
            (out / path).write_bytes(data)
        (out / "SOURCE.txt").write_bytes(source_txt(corpus, how))
        print(f"{name}: {len(files)} files in {out}: {verdict(corpus, files)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
