"""The ``textprint`` command line: a thin layer over the public API.

Exit codes follow grep: 0 copies found (or success), 1 none found, 2 error. User errors are
printed as one line, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib import resources

from . import __version__
from .errors import TextprintError
from .normalization import normalize
from .tokenization import tokenize

__all__ = ["main"]

# Evasions a reposter uses; the demo applies them to the shipped sample works.
_ZWSP = "\u200b"


def _evade(text: str, lang: str) -> str:
    """Disguise a text the cheap ways: full-width letters, zero-width spaces, re-wrapped lines."""
    if lang == "en":
        swapped = text.replace("a", "\u0430").replace("o", "\u043e")  # Cyrillic look-alikes
        return swapped.upper()[:1] + swapped[1:]
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    return _ZWSP.join(wide[i : i + 7] for i in range(0, len(wide), 7))


def _samples() -> list[dict[str, str]]:
    path = resources.files("textprint") / "_samples" / "works.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _demo(args: argparse.Namespace) -> int:
    out = sys.stdout
    for work in _samples():
        lang = work["work_id"].split("-", 1)[0]
        original = work["text"][:60]
        disguised = _evade(original, lang)
        a, b = normalize(original), normalize(disguised)
        toks = tokenize(disguised)
        out.write(f"== {work['work_id']} ({work['author']}, {work['title']})\n")
        out.write(f"   disguised : {disguised[:50]!r}\n")
        out.write(f"   normalized: {b.text[:40]!r}\n")
        out.write(f"   same view as the original: {a.text == b.text}\n")
        first = toks.tokens[:8]
        spans = [disguised[s:e] for s, e in zip(toks.starts[:8].tolist(), toks.ends[:8].tolist())]
        out.write(f"   tokens ({toks.lang}): {list(first)}\n")
        out.write(f"   from the original characters: {spans}\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="textprint", description="Find copied text in Chinese, Japanese and English."
    )
    parser.add_argument("--version", action="version", version=f"textprint {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="show textprint on the shipped sample works")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except TextprintError as exc:
        print(f"textprint: error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
