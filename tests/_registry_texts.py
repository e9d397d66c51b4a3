"""The texts the registry test modules share (tests/test_registry_*.py).

Copies are made by inserting a slice of a registered fixture (the work) into an unrelated
fixture of the same language (the host), so the true passage is known in both texts.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
ZWSP = "\u200b"
#: A licence footer of about 60 characters that many unrelated works end with.
FOOTER_ZH = (
    "本作品采用知识共享署名-相同方式共享4.0国际许可协议进行许可。"
    "转载请注明作者与出处，并以相同方式共享，商业用途请另行联系。"
)
FOOTER_EN = "Licensed under CC BY-SA 4.0: credit the author, share alike."
#: A long licence footer (about 40 words: reported by default wherever it counts as evidence).
FOOTER_EN_LONG = (
    "This work is licensed under a Creative Commons Attribution-ShareAlike 4.0 "
    "International License. To view a copy of this license, visit the Creative Commons "
    "website or send a letter to Creative Commons, PO Box 1866, Mountain View, CA 94042."
)


@functools.cache
def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@functools.cache
def poems() -> list[dict[str, str]]:
    lines = (FIXTURES / "zh_poems.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def tang_poems() -> list[dict[str, str]]:
    return [p for p in poems() if p["id"].startswith("全唐诗")]


def song_ci() -> list[dict[str, str]]:
    return [p for p in poems() if p["id"].startswith("宋词")]


ZH, ZH2 = fixture("zh_novel.txt"), fixture("zh_novel_2.txt")
JA, JA2, JA_OLD = fixture("ja_aozora.txt"), fixture("ja_aozora_2.txt"), fixture("ja_aozora_old.txt")
EN, EN2 = fixture("en_gutenberg.txt"), fixture("en_gutenberg_2.txt")
