"""A streamed ``textprint check`` of many posts through the command line: posts/s and memory.

Protocol (one command: ``python benchmarks/bench_cli_stream.py``; ``--posts 100000`` is the
default, ``--works 3000``, ``--seed 0``):

1. Works: ``--works`` pieces of 1,000-3,000 characters of real text, a third each from the
   classical Chinese novels, Aozora Bunko and Project Gutenberg (docs/benchmarks/corpora.md),
   registered with ``textprint register``.
2. Posts: ``--posts`` JSON lines, gzip-compressed, generated with a seeded RNG: 5% copy 250-600
   characters of a registered work inside unrelated text, 95% are unrelated text only (150-700
   characters of Chinese and Japanese Wikipedia passages, and of the Gutenberg books whose
   pieces are not registered), zh/ja/en in equal shares.
3. ``textprint check works.db posts.jsonl.gz -o hits.jsonl`` runs in a child process, on the
   first tenth of the posts and then on all of them: wall time, posts/s, and the child's peak
   resident memory (``ru_maxrss``). Streaming holds one batch at a time, so the peak must not
   grow with the number of posts.
4. Sanity: the planted copies found (recall) and posts with a hit that copy nothing.

Timings are wall-clock of a child process: run it on a quiet machine for published figures.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: python benchmarks/bench_cli_stream.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import iter_docs, require_corpora

LANGS = {
    "zh": ("zh-classic-novels", "zh-cmrc2018-wiki"),
    "ja": ("aozora-pd-ja", "ja-jglue"),
    "en": ("en-gutenberg", "en-gutenberg"),
}
COPY_SHARE = 0.05


#: Gutenberg books 0-19 (editions come in pairs: 0-9) give the works, 20-38 the unrelated text.
EN_SPLIT = 20


def _pieces(
    name: str, lo: int, hi: int, rng: random.Random, limit: int, docs: range | None = None
) -> list[str]:
    """Up to `limit` pieces of `lo`-`hi` characters, cut from the documents of `name` (only
    those numbered in `docs`, if given)."""
    out: list[str] = []
    for i, doc in enumerate(iter_docs(name)):
        if docs is not None and i not in docs:
            continue
        text = str(doc["text"])
        pos = 0
        while pos + lo <= len(text) and len(out) < limit:
            n = rng.randint(lo, hi)
            out.append(text[pos : pos + n])
            pos += n + rng.randint(0, 2000)
        if len(out) >= limit:
            break
    return out


def build(n_works: int, n_posts: int, seed: int, folder: Path) -> dict[str, Any]:
    """Write works.jsonl and posts.jsonl.gz into `folder`; return what was planted."""
    rng = random.Random(seed)
    works: dict[str, list[tuple[str, str]]] = {}
    filler: dict[str, list[str]] = {}
    per_lang = n_works // len(LANGS)
    for lang, (source, other) in LANGS.items():
        same = source == other
        pieces = _pieces(source, 1000, 3000, rng, per_lang, range(EN_SPLIT) if same else None)
        rng.shuffle(pieces)
        works[lang] = [(f"{lang}-{i:05d}", t) for i, t in enumerate(pieces)]
        filler[lang] = _pieces(other, 150, 700, rng, 4000, range(EN_SPLIT, 999) if same else None)
    with open(folder / "works.jsonl", "w", encoding="utf-8") as f:
        for rows in works.values():
            for wid, text in rows:
                f.write(json.dumps({"id": wid, "text": text}, ensure_ascii=False) + "\n")
    planted: set[str] = set()
    langs = list(LANGS)
    with gzip.open(folder / "posts.jsonl.gz", "wt", encoding="utf-8", compresslevel=1) as f:
        for i in range(n_posts):
            lang = langs[i % len(langs)]
            text = rng.choice(filler[lang])
            if rng.random() < COPY_SHARE:
                wid, work = rng.choice(works[lang])
                n = rng.randint(250, 600)
                start = rng.randint(0, max(0, len(work) - n))
                cut = rng.randint(0, len(text))
                text = text[:cut] + work[start : start + n] + text[cut:]
                planted.add(f"p{i:07d}")
            f.write(json.dumps({"id": f"p{i:07d}", "text": text}, ensure_ascii=False) + "\n")
    return {"works": sum(len(v) for v in works.values()), "planted": planted}


def run_child(args: list[str]) -> tuple[float, int, int]:
    """Run ``python -m textprint ARGS``; return (wall seconds, peak RSS in MiB, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "textprint", *args])
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss // 1024, proc.returncode


def head_posts(src: Path, dst: Path, n: int) -> None:
    with gzip.open(src, "rt", encoding="utf-8") as f, gzip.open(dst, "wt", encoding="utf-8") as g:
        for i, line in enumerate(f):
            if i >= n:
                break
            g.write(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=3000)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", default=None, help="folder to keep the generated files in")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    opts = parser.parse_args()
    require_corpora(*{name for pair in LANGS.values() for name in pair})
    folder = Path(opts.keep or tempfile.mkdtemp(prefix="tp-stream-"))
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    made = build(opts.works, opts.posts, opts.seed, folder)
    took = time.perf_counter() - t0
    print(f"generated {made['works']} works and {opts.posts} posts in {took:.0f} s")
    db = folder / "works.db"
    wall, rss, code = run_child(["register", str(db), str(folder / "works.jsonl"), "-q"])
    print(f"register: {made['works']} works in {wall:.0f} s, peak {rss} MiB (exit {code})")
    figures: dict[str, Any] = {"works": made["works"], "seed": opts.seed, "runs": []}
    sizes = sorted({max(1, opts.posts // 10), opts.posts})
    for n in sizes:
        posts = folder / "posts.jsonl.gz"
        if n != opts.posts:
            posts = folder / f"posts-{n}.jsonl.gz"
            head_posts(folder / "posts.jsonl.gz", posts, n)
        out = folder / f"hits-{n}.jsonl"
        wall, rss, code = run_child(["check", str(db), str(posts), "-o", str(out), "-q"])
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        planted = {p for p in made["planted"] if int(p[1:]) < n}
        found = {r["id"] for r in rows if r["hits"]}
        run = {
            "posts": n,
            "seconds": round(wall, 1),
            "posts_per_s": round(n / wall, 1),
            "peak_rss_mib": rss,
            "exit": code,
            "planted": len(planted),
            "recall": round(len(planted & found) / max(1, len(planted)), 4),
            "hits_without_copy": len(found - planted),
        }
        figures["runs"].append(run)
        print(
            f"check {n:>7} posts: {wall:7.0f} s, {n / wall:6.1f} posts/s, peak {rss} MiB; "
            f"planted copies found {run['recall']:.2%}, posts with a hit but no planted copy "
            f"{run['hits_without_copy']}"
        )
    if opts.json:
        Path(opts.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"files in {folder}")


if __name__ == "__main__":
    main()
