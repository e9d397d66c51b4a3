"""The corpora the benchmarks read (never copied into the repository).

They live in ``../shared/corpora`` beside the repository, or wherever ``$TEXTPRINT_CORPORA``
points; docs/benchmarks/corpora.md says where each comes from and how to get it. When one is
missing, `require_corpora` prints one line and exits with status 0, so that running every
benchmark on a machine without them skips cleanly instead of failing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CORPORA = Path(os.environ.get("TEXTPRINT_CORPORA", REPO.parent / "shared" / "corpora")).resolve()

#: corpus name -> (relative path of its JSON-lines file, language)
CORPUS_FILES: dict[str, tuple[str, str]] = {
    "zh-classic-novels": ("zh-classic-novels/chapters.jsonl", "zh"),
    "zh-cmrc2018-wiki": ("zh-cmrc2018-wiki/contexts.jsonl", "zh"),
    "zh-chinese-poetry": ("zh-chinese-poetry/poems.jsonl", "zh"),
    "aozora-pd-ja": ("aozora-pd-ja/works.jsonl", "ja"),
    "ja-jglue": ("ja-jglue/jsquad_articles.jsonl", "ja"),
    "en-gutenberg": ("en-gutenberg/books.jsonl", "en"),
}


def require_corpora(*names: str, folders: Sequence[str] = ()) -> None:
    """Exit cleanly (status 0, one line) unless the corpora `names` (and `folders`) are here."""
    missing = [n for n in names if not (CORPORA / CORPUS_FILES[n][0]).is_file()]
    missing += [f for f in folders if not (CORPORA / f).is_dir()]
    if not CORPORA.is_dir() or missing:
        what = str(CORPORA) if not CORPORA.is_dir() else ", ".join(missing)
        print(
            f"SKIPPED: corpus not found ({what}); see docs/benchmarks/corpora.md for where to get "
            "it, and set TEXTPRINT_CORPORA to the folder holding the corpora."
        )
        raise SystemExit(0)


def corpora_note(*names: str) -> str:
    """The sentence a page says its corpora in (their names, linked to the corpora page)."""
    listed = ", ".join(f"`{n}`" for n in names)
    return f"Corpora: {listed} (public texts; [where to get them](corpora.md))."


def iter_docs(name: str) -> Iterator[dict[str, Any]]:
    """Yield the JSON records of corpus `name` in file order."""
    path = CORPORA / CORPUS_FILES[name][0]
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def load_texts(name: str, *, max_docs: int | None = None) -> list[tuple[str, str]]:
    """Return ``[(id, text), ...]`` of corpus `name` (the first `max_docs` records)."""
    out: list[tuple[str, str]] = []
    for rec in iter_docs(name):
        out.append((str(rec.get("id", len(out))), str(rec["text"])))
        if max_docs is not None and len(out) >= max_docs:
            break
    return out


def take_chars(texts: Sequence[str], n_chars: int) -> list[str]:
    """A deterministic slice of about `n_chars` characters spread over the whole corpus.

    Documents are taken at an even stride (so that every book or author is represented), and the
    last one is cut to make the total exact. Long documents are cut to at most a quarter of the
    budget so that one novel does not make the whole slice.
    """
    if n_chars >= sum(len(t) for t in texts):
        return list(texts)
    cap = max(n_chars // 4, 1)
    avg = sum(min(len(t), cap) for t in texts) / max(len(texts), 1)
    n_take = max(1, min(len(texts), round(n_chars / max(avg, 1.0))))
    stride = len(texts) / n_take
    picked = [texts[int(i * stride)][:cap] for i in range(n_take)]
    out: list[str] = []
    total = 0
    for t in picked:
        if total >= n_chars:
            break
        t = t[: n_chars - total]
        out.append(t)
        total += len(t)
    i = 0
    while total < n_chars and i < len(texts):  # top up from documents not yet used
        t = texts[i][cap : cap + n_chars - total]
        if t:
            out.append(t)
            total += len(t)
        i += 1
    return out
