"""Helpers several test files share (one place for each; not tests themselves).

With ``--import-mode=importlib`` the test files import this module by name, as they import the
reference implementations (conftest.py puts tests/ on ``sys.path``).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import random
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

import textprint as tp
from textprint._tables import OPENCC_VERSION

__all__ = [
    "HAN",
    "TOLERANCE",
    "break_at",
    "cut_at_space",
    "deviation",
    "edit",
    "fixture_chunks",
    "fullwidth",
    "han",
    "ids",
    "insert_all",
    "require_pinned_opencc",
    "run_python",
    "tokenizer_available",
    "word_span",
]

#: Common Han characters, the replacements `edit` draws from.
HAN = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学"


def edit(text: str, rng: random.Random, n_edits: int) -> str:
    """Replace `n_edits` letters or Han characters by others of the same kind."""
    chars = list(text)
    positions = [i for i, ch in enumerate(chars) if ch.isalpha()]
    for i in rng.sample(positions, n_edits):
        if chars[i].isascii():
            chars[i] = rng.choice([c for c in "abcdefghijklmnopqrstuvwxyz" if c != chars[i]])
        else:
            chars[i] = rng.choice([c for c in HAN if c != chars[i]])
    return "".join(chars)


def insert_all(text: str, inserts: Iterable[tuple[int, str]]) -> str:
    """`text` with each ``(at, s)`` inserted in turn, at ``at`` modulo the length so far + 1."""
    for at, s in inserts:
        at %= len(text) + 1
        text = text[:at] + s + text[at:]
    return text


def break_at(text: str, cuts: Iterable[int], breaks: Iterable[str]) -> str:
    """`text` with ``breaks[i]`` inserted at ``cuts[i]`` (increasing; the shorter list wins)."""
    pieces, last = [], 0
    for cut, br in zip(cuts, breaks):
        pieces += [text[last:cut], br]
        last = cut
    return "".join([*pieces, text[last:]])


def fixture_chunks(
    fixtures: Path, *, size: int, size_en: int, min_poem: int, skip: Iterable[str] = ()
) -> list[str]:
    """Consecutive chunks of every .txt fixture (`size_en` characters for English, `size` for
    the others; `skip` names files to leave out), then the poems of at least `min_poem`."""
    chunks = []
    for name in sorted(p.name for p in fixtures.glob("*.txt")):
        if name in skip:
            continue
        text = (fixtures / name).read_text(encoding="utf-8")
        n = size_en if name.startswith("en") else size
        chunks += [text[i : i + n] for i in range(0, len(text) - n // 2, n)]
    for line in (fixtures / "zh_poems.jsonl").read_text(encoding="utf-8").splitlines():
        poem = json.loads(line)["text"]
        if len(poem) >= min_poem:
            chunks.append(poem)
    return chunks


def tokenizer_available(name: str) -> bool:
    """Whether a tokenizer can run here (a word tokenizer's packages are installed)."""
    try:
        tp.tokenize("测试", tokenizer=name)
    except tp.MissingDependencyError:
        return False
    return True


def run_python(code: str, *args: str, hash_seed: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter with ``PYTHONHASHSEED=hash_seed`` (output captured)."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env={**os.environ, "PYTHONHASHSEED": hash_seed},
        capture_output=True,
        text=True,
        check=False,
    )


def require_pinned_opencc() -> None:
    """Skip unless the opencc distribution the tables pin (OPENCC_VERSION) is installed."""
    try:
        version = importlib.metadata.version("opencc")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("opencc is not installed")
    if version != OPENCC_VERSION:
        pytest.skip(f"opencc {version} is installed; the tables pin {OPENCC_VERSION}")


#: How far (in characters) a passage found in a verbatim copy may be from the truth.
TOLERANCE = 5


def word_span(text: str, first: int, n_words: int) -> tuple[int, int]:
    """Character span of words ``first .. first+n_words-1`` of `text` (split on whitespace)."""
    words = list(re.finditer(r"\S+", text))
    return words[first].start(), words[first + n_words - 1].end()


def cut_at_space(text: str, n: int) -> str:
    """The first about `n` characters of `text`, ending at a whitespace."""
    return text[: text.rindex(" ", 0, n)]


def fullwidth(text: str) -> str:
    """ASCII to full-width forms (and the space to the ideographic space)."""
    return "".join(
        chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in text
    )


def deviation(p: tp.Passage, truth: tuple[int, int, int, int]) -> int:
    """The largest distance between the passage's four offsets and the true ones."""
    return max(abs(x - y) for x, y in zip(p, truth))


def ids(hits: list[tp.Hit]) -> list[str | int]:
    """The work ids of `hits`, in order."""
    return [h.work_id for h in hits]


def han(start: int, stop: int) -> str:
    """Han characters ``start:stop`` of the zh fixture (no punctuation: one token each)."""
    text = (Path(__file__).parent / "fixtures" / "zh_novel.txt").read_text(encoding="utf-8")
    return "".join([c for c in text if "\u4e00" <= c <= "\u9fff"][start:stop])
