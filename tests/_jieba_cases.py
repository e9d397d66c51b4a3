"""What the word-segmenter tests share (test_analyzers.py, test_jieba_cache.py): jieba's README
example, a tiny jieba dictionary and a poisoned cache, and small helpers.

Their fixtures (``jieba_python``, ``tiny_dict``, ``planted_tmp_cache``, ``private_cache_env``)
are in conftest.py.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

README_SENTENCE = "我来到北京清华大学"
README_WORDS = ["我", "来到", "北京", "清华大学"]

# A tiny jieba dictionary: building its prefix dictionary takes microseconds, not seconds, so the
# cache tests can rebuild freely. Its words give README_SENTENCE the README's segmentation.
TINY_DICT = "我 1000 r\n来到 500 v\n来 100 v\n到 100 v\n北京 800 ns\n清华 200 nt\n大学 400 n\n"
TINY_DICT += "清华大学 300 nt\n"

# If jieba ever loaded this, README_SENTENCE would come back as a single word.
POISON = (
    {**{README_SENTENCE[: i + 1]: 0 for i in range(len(README_SENTENCE))}, README_SENTENCE: 10**9},
    10**9,
)

#: The packages each Japanese analyzer needs (the ``ja`` extra).
_JA_REQUIRED = {
    "mecab": ("fugashi", "unidic_lite"),
    "sudachi": ("sudachipy", "sudachidict_core"),
}


def need_japanese(name: str) -> None:
    """Skip unless the packages of the analyzer `name` are installed."""
    for module in _JA_REQUIRED.get(name, ()):
        pytest.importorskip(module)


def segmented(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """The words `spans` cut out of `text`."""
    return [text[s:e] for s, e in spans]


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cache_copied_in(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cache directory holding a copy of the module's real jieba cache (so a new
    analyzer builds in a fraction of a second), set as TEXTPRINT_CACHE_DIR."""
    directory = tmp_path / "textprint"
    directory.mkdir(mode=0o700)
    for path in (source, source.with_suffix(".sha256")):
        shutil.copy2(path, directory / path.name)
    monkeypatch.setenv("TEXTPRINT_CACHE_DIR", str(directory))
    return directory
