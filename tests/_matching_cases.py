"""Copies with a known truth for the matching tests (tests/test_matching.py,
tests/test_matching_results.py): a slice of one fixture inserted into an unrelated fixture of
the same language."""

from __future__ import annotations

import functools
from pathlib import Path

import textprint as tp

FIXTURES = Path(__file__).parent / "fixtures"
#: source (copied from) and host (copied into) per language: unrelated works.
LANGS = {
    "zh": ("zh_novel.txt", "zh_novel_2.txt"),
    "ja": ("ja_aozora.txt", "ja_aozora_2.txt"),
    "en": ("en_gutenberg.txt", "en_gutenberg_2.txt"),
}
#: Shortest copy used per language: comfortably above the 16-character / 10-word minimum.
MIN_COPY = {"zh": 40, "ja": 40, "en": 120}
TOLERANCE = 5


@functools.cache
def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def source_and_host(lang: str) -> tuple[str, str]:
    src, host = LANGS[lang]
    return fixture(src), fixture(host)


def insert(host: str, at: int, piece: str) -> str:
    return host[:at] + piece + host[at:]


def deviation(p: tp.Passage, truth: tuple[int, int, int, int]) -> int:
    return max(abs(x - y) for x, y in zip(p, truth))
