"""Works and host texts per language, from the corpora (text generator).

The copy suites draw their works (what a registry protects) and host texts (what copies are
embedded in, and unrelated queries made of) from real text: Chinese novels and Wikipedia
paragraphs, Japanese Aozora works and JGLUE articles, English Gutenberg books. Documents that
share more than 5% of their runs with an earlier one are dropped, so that no work is a copy of
another.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from benchmarks.harness import Log, iter_docs

from .copies import Work, drop_overlapping

ZH_CMRC_WORKS = 540
EN_WINDOWS_PER_BOOK = 20
#: keep one of these en-gutenberg Grimm collections (overlapping translations)
GRIMM_DROP = {"11027", "19068"}


def _cut(rng: random.Random, text: str) -> tuple[int, int]:
    """A random window of 1,000-5,000 characters (the whole text when it is shorter)."""
    length = rng.randint(1000, 5000)
    if len(text) <= length:
        return 0, len(text)
    start = rng.randrange(len(text) - length + 1)
    return start, start + length


def distinct(docs: list[tuple[str, str]], lang: str, log: Log) -> list[tuple[str, str]]:
    """Documents (id, text) sharing at most 5% of their runs with earlier ones (copygen)."""
    keep = drop_overlapping([t for _, t in docs], lang)
    dropped = [d[0] for d, k in zip(docs, keep) if not k]
    if dropped:
        log(f"dropped {len(dropped)} {lang} documents overlapping earlier ones: {dropped[:12]}")
    return [d for d, k in zip(docs, keep) if k]


def load_zh(rng: random.Random, log: Log) -> tuple[list[Work], list[tuple[str, str]]]:
    novels = [(f"novel:{r['id']}", str(r["text"])) for r in iter_docs("zh-classic-novels")]
    cmrc = [(f"cmrc:{r['id']}", str(r["text"])) for r in iter_docs("zh-cmrc2018-wiki")]
    rng.shuffle(cmrc)
    docs = distinct(novels + cmrc, "zh", log)
    works: list[Work] = []
    hosts: list[tuple[str, str]] = []
    n_cmrc = 0
    for base, text in docs:
        if base.startswith("novel:"):
            a, b = _cut(rng, text)
            works.append(Work(base, base, text[a:b]))
            hosts += [(base, text[:a]), (base, text[b:])]
        elif n_cmrc < ZH_CMRC_WORKS:
            n_cmrc += 1
            works.append(Work(base, base, text))
        else:
            hosts.append((base, text))
    return works, hosts


def aozora_groups() -> dict[tuple[str, str], list[dict[str, Any]]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for rec in iter_docs("aozora-pd-ja"):
        groups[(str(rec["person_id"]), str(rec["title"]))].append(rec)
    return groups


def load_ja(rng: random.Random, log: Log) -> tuple[list[Work], list[tuple[str, str]]]:
    # one edition per (author, title); the other editions are neither works nor hosts
    docs = [(f"aozora:{g[0]['id']}", str(g[0]["text"])) for g in aozora_groups().values()]
    docs += [
        (f"jglue:{r['id']}", str(r["text"]))
        for r in iter_docs("ja-jglue")
        if len(str(r["text"])) >= 100
    ]
    works: list[Work] = []
    hosts: list[tuple[str, str]] = []
    for base, text in distinct(docs, "ja", log):
        a, b = _cut(rng, text)
        works.append(Work(base, base, text[a:b]))
        hosts += [(base, text[:a]), (base, text[b:])]
    return works, hosts


def load_en(rng: random.Random, log: Log) -> tuple[list[Work], list[tuple[str, str]]]:
    books: list[tuple[str, str]] = []
    seen: set[str] = set()
    for rec in iter_docs("en-gutenberg"):
        ebook = str(rec["ebook"])
        if ebook not in seen and ebook not in GRIMM_DROP:
            seen.add(ebook)
            books.append((f"gutenberg:{rec['id']}", str(rec["text"])))
    works: list[Work] = []
    hosts: list[tuple[str, str]] = []
    for base, text in distinct(books, "en", log):
        n_seg = max(1, min(EN_WINDOWS_PER_BOOK, len(text) // 8000))
        seg = len(text) // n_seg
        for s in range(n_seg):
            part = text[s * seg : (s + 1) * seg]
            a, b = _cut(rng, part)
            while a > 0 and not part[a - 1].isspace():
                a += 1
            while b < len(part) and not part[b].isspace():
                b -= 1
            works.append(Work(f"{base}:{s}", base, part[a:b]))
            hosts += [(base, part[:a]), (base, part[b:])]
    return works, hosts


LOADERS: dict[str, Callable[[random.Random, Log], tuple[list[Work], list[tuple[str, str]]]]] = {
    "zh": load_zh,
    "ja": load_ja,
    "en": load_en,
}
CORPORA_OF = {
    "zh": ("zh-classic-novels", "zh-cmrc2018-wiki"),
    "ja": ("aozora-pd-ja", "ja-jglue"),
    "en": ("en-gutenberg",),
}


def corpora_for(langs: Iterable[str]) -> list[str]:
    """The corpora the works and hosts of `langs` come from, language by language."""
    return [name for lang in langs for name in CORPORA_OF[lang]]


def load_language(
    lang: str, seed: int, log: Log, *, sample: int | None = None
) -> tuple[random.Random, list[Work], list[tuple[str, str]]]:
    """The works and hosts of `lang`, and the random stream that drew them (seeded from `seed`
    and the language; the caller draws its cases from it next). With `sample`, that many works
    drawn with `seed` (a quick run)."""
    rng = random.Random(seed * 1000 + list(LOADERS).index(lang))
    works, hosts = LOADERS[lang](rng, log)
    if sample is not None:
        works = random.Random(seed).sample(works, sample)
    return rng, works, hosts
