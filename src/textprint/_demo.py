"""``textprint demo``: the shipped sample works, and posts that copy them under disguise."""

from __future__ import annotations

import argparse
import json
import sys
from importlib import resources

import numpy as np

from .registry import Registry

__all__ = ["run_demo"]


def _samples() -> list[dict[str, str]]:
    path = resources.files("textprint") / "_samples" / "works.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _to_traditional(text: str) -> str:
    """Simplified -> Traditional for the demo, by inverting the shipped T->S table."""
    from ._tables import get_tables

    t2s = get_tables().t2s
    changed = np.flatnonzero(t2s != np.arange(len(t2s), dtype=np.uint32))
    back: dict[int, int] = {}
    for trad in changed.tolist():
        back.setdefault(int(t2s[trad]), trad)
    return text.translate(back)


def _disguise(text: str, lang: str) -> str:
    """The cheap evasions: Traditional characters, full-width forms, zero-width spaces,
    look-alike letters, re-wrapped and hyphenated lines, changed case."""
    if lang == "en":
        text = text.replace("a", "\u0430").replace("o", "\u043e")  # Cyrillic look-alikes
        words = text.split()
        lines, line = [], ""
        for w in words:  # re-wrap at 50 columns, hyphenating long words
            if len(line) + len(w) > 50 and len(w) > 7:
                lines.append(f"{line} {w[:4]}-")
                line = w[4:]
            elif len(line) + len(w) > 50:
                lines.append(line)
                line = w
            else:
                line = f"{line} {w}".strip()
        lines.append(line)
        return "\n".join(lines).upper()
    if lang == "zh":
        text = _to_traditional(text)
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    return "\u200b".join(wide[i : i + 9] for i in range(0, len(wide), 9))


def _demo_posts(works: list[dict[str, str]]) -> list[tuple[str, str]]:
    by_id = {w["work_id"]: w["text"] for w in works}
    xiyou = by_id["zh-xiyouji-ch01-opening"]
    poem = by_id["zh-chunjiang-huayueye"]
    rashomon = by_id["ja-rashomon-opening"]
    pride = by_id["en-pride-and-prejudice-opening"]
    alice = by_id["en-alice-opening"]
    return [
        (
            "a Chinese forum post quoting Journey to the West in Traditional, full-width "
            "characters with zero-width spaces",
            "今天读到一段很有意思的开头，分享给大家：\n"
            + _disguise(xiyou[120:420], "zh")
            + "\n你们觉得怎么样？",
        ),
        ("a whole Tang poem reposted in Simplified characters", _to_simplified(poem)),
        (
            "a Japanese blog post pasting the opening of Rashomon with zero-width spaces",
            "週末に読んだ本の一節です。\n"
            + _disguise(rashomon[:330], "ja")
            + "\nいかがでしょうか。",
        ),
        (
            "an English post mixing Pride and Prejudice (look-alike letters, capitals, "
            "re-wrapped lines) with a piece of Alice",
            "Found this in an old notebook:\n"
            + _disguise(pride[:400], "en")
            + "\n\nand later on the same page:\n"
            + alice[:260],
        ),
        (
            "an unrelated post",
            "The weather was lovely today, so we walked along the river and talked about "
            "our plans for the summer holidays and the garden.",
        ),
    ]


def _to_simplified(text: str) -> str:
    """Traditional -> Simplified character by character, with the shipped table."""
    from ._tables import get_tables

    t2s = get_tables().t2s
    return "".join(chr(int(t2s[ord(c)])) for c in text)


def _excerpt(text: str, start: int, end: int, width: int = 34) -> str:
    piece = text[start:end].replace("\n", " ").replace("\u200b", "")
    return piece if len(piece) <= width else piece[: width // 2] + " … " + piece[-width // 2 :]


def run_demo(args: argparse.Namespace) -> int:
    """Register the sample works (in memory or in ``args.db``) and check the demo posts."""
    out = sys.stdout
    works = _samples()
    titles = {w["work_id"]: f"{w['title']} ({w['author']})" for w in works}
    with Registry(args.db) as reg:
        for w in works:
            if w["work_id"] not in reg:
                reg.register(w["work_id"], w["text"], {"title": w["title"], "author": w["author"]})
        out.write(f"Registered {len(reg)} works ({'in memory' if args.db is None else args.db}).\n")
        found = 0
        for label, post in _demo_posts(works):
            hits = reg.check(post)
            out.write(f"\n== Checking {label} ({len(post)} characters)\n")
            if not hits:
                out.write("   no registered work is copied\n")
            for hit in hits:
                found += 1
                work = reg.get(hit.work_id).text or ""
                out.write(
                    f"   copies {hit.work_id}: {titles.get(str(hit.work_id), '')}\n"
                    f"     {hit.containment:.0%} of the post comes from the work; "
                    f"{hit.source_containment:.0%} of the work is in the post\n"
                )
                for p in hit.passages:
                    q_text = _excerpt(post, p.query_start, p.query_end)
                    w_text = _excerpt(work, p.source_start, p.source_end)
                    out.write(
                        f"     post[{p.query_start}:{p.query_end}] {q_text!r}\n"
                        f"       = work[{p.source_start}:{p.source_end}] {w_text!r}\n"
                    )
    return 0 if found else 1
