"""Benchmark: the Registry at 10k and 100k works (check latency, registration, disk, memory).

Protocol (from the issue):

- Works, 1,000-5,000 characters each (lengths uniform, seeded), read from ../shared/corpora and
  never copied. Chinese: REAL text first -- the zh-classic-novels chapters, the
  zh-chinese-poetry poems (consecutive poems of one collection grouped) and the
  zh-cmrc2018-wiki passages (grouped), each source joined into one stream per book or
  collection and cut into consecutive works -- then GENERATED works beyond what exists. The
  default generator ("markov") samples text from the corpus's own statistics: an order-2
  character model (zh, ja) or order-1 word model (en) fitted on the real works, seeded per
  batch. The "windows" generator (``--generator windows``) takes windows of the real works
  with 2% random character substitutions instead: near-duplicates of the real works, a worst
  case for posting lists and for ranking. Every table says how many works are real and how
  many generated. Japanese (aozora-pd-ja) and English (en-gutenberg, one edition per title)
  get the same treatment at 10k works.
- Articles checked: 2,000 characters each, half of them COPYING (a passage of 300-1,000
  characters of one registered work, half of the targets real and half generated, inserted
  verbatim at a random position of held-out text) and half UNRELATED (a window of held-out
  text). Held out, never registered: every 23rd novel chapter (zh), the Aozora titles whose
  hash puts them in the hold-out tenth (ja, all editions of a title together), and four
  Gutenberg books (en). Correct: a copying article returns its work first; an unrelated one
  returns ``[]``. A hit on an unrelated article is checked against the work's text: when its
  passages really are in the work (difflib ratio >= 0.8 after normalization), the held-out
  text genuinely shares them (a quoted poem, a formula) and it is counted apart from false
  positives.
- Latency: ``reg.check(article)`` timed with ``time.perf_counter`` (wall: a request path), one
  untimed warm-up check first, >= 200 checks per configuration; p50, p90, p99, max. The CPU
  time of each check is kept too: this machine is shared, and wall minus CPU is time spent
  waiting for a processor. Registries: in memory (``tp.Registry()``) and SQLite
  (``tp.Registry(tmp/'works.db')``, reopened before checking: SQLite's own cache is cold, the
  OS page cache is warm).
- Registration: ``register_many(batch, batch_size=1000)`` once per batch of 1,000 pre-built
  works (the generator's time is not counted), CPU time (``time.process_time``); works/s and
  chars/s overall and per batch as the registry grows.
- Disk: file size / n (after close, WAL checkpointed), with and without ``store_text=False``;
  ``dbstat`` per table and index. Index size = the size of the ``store_text=False`` file,
  against the works' own UTF-8 text (goal: smaller).
- Memory: growth of the resident set (``VmRSS``) over building the in-memory registry, per
  work, beside the in-memory database's own page count.
- 100k works: registering them takes longer than the default run allows, so the default run
  extrapolates 100k from the per-batch throughput at 10k and measures check latency at 100k
  only from a registry built earlier with ``--large build`` (kept OUTSIDE the repository, in
  ``--cache-dir``; its build record and its articles are stored beside it). ``--large build``
  builds it (SQLite, store_text=True, SQLite's default page cache as a Registry has it: about
  30 minutes here) and measures everything at 100k. ``--large-cache-mib N`` raises the page
  cache to N MiB on the registry's private connection for all but the last batches
  (``--large-default-batches``, plus one instrumented batch), which then give the throughput at
  100k: a shortcut that was needed before registration wrote its batches in hash order (the
  file is the same either way).
- Registration at 100k by the textprint measured (the large registry may have been built by
  an earlier one): the generator's next 1,000 works registered into a copy of the file with
  SQLite's default page cache, timed; then 1,000 more with the SQL statements timed and under
  cProfile.
- Memory at 100k: the SQLite file loaded into a ``tp.Registry()`` of a fresh process with
  sqlite3's backup API (growth of the resident set), then the same checks in memory.
- cProfile: the slowest part of ``check`` (checks on the largest SQLite registry) and of
  ``register_many`` (one batch of 1,000 into the 10k SQLite registry); top functions.

There is no peer: no library we compare against keeps a persistent passage index of this kind
(datasketch's LSH answers Jaccard queries on whole documents, not "which work does this
article copy 300 characters of").

    python benchmarks/bench_registry.py                # writes docs/benchmarks/registry.md
    python benchmarks/bench_registry.py --large build  # also builds the 100k registry (slow)
    python benchmarks/bench_registry.py --quick        # 1,000 works, 40 checks, prints only
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import difflib
import gc
import hashlib
import io
import json
import math
import os
import pstats
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: N812
import textprint as tp

MAX_CANDIDATES = 50

SEED = 0
WORK_MIN, WORK_MAX = 1000, 5000
ARTICLE_CHARS = 2000
PASSAGE_MIN, PASSAGE_MAX = 300, 1000
BATCH = 1000
EDIT_RATE = 0.02
N_SMALL, N_LARGE = 10_000, 100_000
N_CHECKS = 200
N_PROFILE_CHECKS = 50
LARGE_CACHE_MIB = 0
LARGE_DEFAULT_BATCHES = 3
KB, MB = 1024, 1024 * 1024


# --------------------------------------------------------------------------------------------
# Which textprint is measured


def machine_info() -> dict[str, str]:
    """C.machine_info(), with the textprint actually imported when it is not this checkout's.

    The run may import a copy of ``src/`` (``PYTHONPATH=<copy>/src``), so that edits to the
    working tree during a long run do not reach it. When the files of that copy are exactly
    those of ``src/`` in one of the last 50 commits (git blob hashes), the copy is that commit.
    """
    info = C.machine_info()
    root = Path(tp.__file__).resolve().parents[1]  # the src/ folder textprint came from
    if root == (C.REPO / "src").resolve():
        return info
    git = ["git", "-C", str(C.REPO)]

    def out(*cmd: str) -> str:
        return subprocess.run([*git, *cmd], capture_output=True, text=True, check=True).stdout

    match = None
    try:
        files = sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        names = [f"src/{p.relative_to(root).as_posix()}" for p in files]
        got = dict(zip(names, out("hash-object", "--no-filters", *map(str, files)).split()))
        for rev in out("rev-list", "--max-count=50", "HEAD").split():  # newest first
            tree = out("ls-tree", "-r", rev, "src").splitlines()
            if {ln.split("\t", 1)[1]: ln.split()[2] for ln in tree} == got:
                match = rev[:7]  # keep going: the oldest commit of this src/ made it
            elif match:
                break
    except (OSError, subprocess.CalledProcessError, IndexError):
        pass
    where = (
        f"git {match}: a copy of src/ identical to that commit"
        if match
        else f"imported from {root}, not this checkout's src/ nor a recent commit's"
    )
    info["textprint"] = f"{tp.__version__} ({where})"
    return info


# --------------------------------------------------------------------------------------------
# Real works and held-out text


def _stream_cut(stream: str, rng: random.Random, prefix: str, out: list[tuple[str, str]]) -> None:
    """Cut `stream` into consecutive works of WORK_MIN..WORK_MAX characters (rest dropped)."""
    pos = 0
    while True:
        n = rng.randint(WORK_MIN, WORK_MAX)
        piece = stream[pos : pos + n].strip()
        if len(piece) < WORK_MIN:
            return
        out.append((f"{prefix}-{len(out):06d}", piece))
        pos += n


@dataclass
class Language:
    """The real works of one language, its held-out text and its generator's training data."""

    lang: str
    real: list[tuple[str, str]]
    heldout: str
    sources: dict[str, int] = field(default_factory=dict)  # real works per source


def zh_language() -> Language:
    rng = random.Random(SEED)
    real: list[tuple[str, str]] = []
    heldout: list[str] = []
    sources: dict[str, int] = {}
    books: dict[str, list[str]] = {}
    for i, rec in enumerate(C.iter_docs("zh-classic-novels")):
        if i % 23 == 0:
            heldout.append(str(rec["text"]))
        else:
            books.setdefault(str(rec["book"]), []).append(str(rec["text"]))
    n0 = len(real)
    for chapters in books.values():
        _stream_cut("\n".join(chapters), rng, "zh-novel", real)
    sources["zh-classic-novels (chapters cut)"] = len(real) - n0
    n0 = len(real)
    colls: dict[str, list[str]] = {}
    for rec in C.iter_docs("zh-chinese-poetry"):
        colls.setdefault(str(rec["collection"]).split("/")[0], []).append(str(rec["text"]))
    for poems in colls.values():
        _stream_cut("\n".join(poems), rng, "zh-poems", real)
    sources["zh-chinese-poetry (poems grouped)"] = len(real) - n0
    n0 = len(real)
    passages = [str(rec["text"]) for rec in C.iter_docs("zh-cmrc2018-wiki")]
    _stream_cut("\n".join(passages), rng, "zh-cmrc", real)
    sources["zh-cmrc2018-wiki (passages grouped)"] = len(real) - n0
    return Language("zh", real, "\n".join(heldout), sources)


def ja_language() -> Language:
    rng = random.Random(SEED)
    real: list[tuple[str, str]] = []
    heldout: list[str] = []
    seen: set[str] = set()
    keep: list[str] = []
    for rec in C.iter_docs("aozora-pd-ja"):
        title = str(rec["title"])
        if int(hashlib.sha256(title.encode()).hexdigest(), 16) % 10 == 0:
            heldout.append(str(rec["text"]))  # every edition of a held-out title
        elif title not in seen:  # one edition per title: no near-duplicate works
            seen.add(title)
            keep.append(str(rec["text"]))
    _stream_cut("\n".join(keep), rng, "ja-aozora", real)
    return Language(
        "ja", real, "\n".join(heldout), {"aozora-pd-ja (one edition per title)": len(real)}
    )


EN_HELDOUT = ("The Art of War", "The Importance of Being Earnest", "A Doll's House", "Second")


def en_language() -> Language:
    rng = random.Random(SEED)
    real: list[tuple[str, str]] = []
    heldout: list[str] = []
    seen: set[str] = set()
    for rec in C.iter_docs("en-gutenberg"):
        title = str(rec["title"])
        key = "grimm" if "grimm" in title.lower() else title.lower()[:20]
        if title.startswith(EN_HELDOUT):
            heldout.append(str(rec["text"]))
        elif key not in seen:  # one edition per title (three Grimm collections count as one)
            seen.add(key)
            _stream_cut(str(rec["text"]), rng, "en-gutenberg", real)
    return Language(
        "en", real, "\n".join(heldout), {"en-gutenberg (one edition per title)": len(real)}
    )


LANGUAGES: dict[str, Callable[[], Language]] = {
    "zh": zh_language,
    "ja": ja_language,
    "en": en_language,
}


# --------------------------------------------------------------------------------------------
# Generated works


class Markov:
    """A token model fitted on the real works, sampled for many works at once.

    Tokens are characters (zh, ja; order 2: the next character given the previous two) or
    whitespace-separated words (en; order 1). The training stream is circular, so every
    context (state) has a successor. A state's successors are stored most frequent first with
    their cumulative probabilities, and each successor names the state it leads to, so a step
    is a few gathers over all the works of a batch: scan the first successors (where nearly
    every draw ends), then a binary search for the rare draws that go further.
    """

    def __init__(self, texts: Sequence[str], *, words: bool) -> None:
        self.words = words
        self.order = 1 if words else 2
        if words:
            toks = np.array(" ".join(texts).split(), dtype=object)
            self.vocab, ids = np.unique(toks, return_inverse=True)
            self.avg_len = float(np.mean([len(t) for t in toks[:200_000]])) + 1.0
        else:
            cps = np.frombuffer("\n".join(texts).encode("utf-32-le"), dtype=np.uint32)
            self.vocab, ids = np.unique(cps, return_inverse=True)
            self.avg_len = 1.0
        ids = ids.astype(np.int64)
        v = self.v = len(self.vocab)
        key = np.roll(ids, 1) if self.order == 1 else np.roll(ids, 2) * v + np.roll(ids, 1)
        pair, counts = np.unique(key * v + ids, return_counts=True)
        pk, pn = pair // v, pair % v
        ctx = np.unique(pk)
        ci = np.searchsorted(ctx, pk)
        order = np.lexsort((-counts, ci))  # by state, most frequent successor first
        pk, pn, counts, ci = pk[order], pn[order], counts[order], ci[order]
        first = np.flatnonzero(np.diff(ci, prepend=-1))
        csum = np.cumsum(counts)
        total = np.add.reduceat(counts, first)
        before = csum[first] - counts[first]
        self.cum = (csum - before[ci]) / total[ci]  # exactly 1.0 at each state's last entry
        self.skey = ci + self.cum  # increasing: the binary search of the rare long draws
        self.next = pn
        self.first = first
        self.last = np.append(first[1:], len(pk)) - 1
        self.nstate = np.searchsorted(ctx, pn if self.order == 1 else (pk % v) * v + pn)
        self.start_states = np.searchsorted(ctx, key)  # the state at each training position

    def generate(self, lengths: Sequence[int], rng: np.random.Generator) -> list[str]:
        n = len(lengths)
        steps = math.ceil(max(lengths) / self.avg_len * (1.3 if self.words else 1.0))
        state = self.start_states[rng.integers(0, len(self.start_states), n)]
        out = np.empty((n, steps), dtype=np.int64)
        for t in range(steps):
            u = rng.random(n)
            j = self.first[state]
            for _ in range(12):
                more = u >= self.cum[j]
                if not more.any():
                    break
                j = j + more
            else:
                more = u >= self.cum[j]
                if more.any():
                    far = np.searchsorted(self.skey, state[more] + u[more], side="right")
                    j[more] = np.minimum(far, self.last[state[more]])
            out[:, t] = self.next[j]
            state = self.nstate[j]
        texts: list[str] = []
        for row, length in zip(out, lengths):
            if self.words:
                s = " ".join(self.vocab[row].tolist())[:length]
                s = s[: s.rfind(" ")] if " " in s else s
            else:
                s = self.vocab[row[:length]].astype(np.uint32).tobytes().decode("utf-32-le")
            texts.append(s)
        return texts


class Windows:
    """Windows of the real works with EDIT_RATE of their characters substituted."""

    def __init__(self, texts: Sequence[str], *, words: bool) -> None:
        self.pool = np.frombuffer("\n".join(texts).encode("utf-32-le"), dtype=np.uint32)

    def generate(self, lengths: Sequence[int], rng: np.random.Generator) -> list[str]:
        texts: list[str] = []
        for length in lengths:
            start = int(rng.integers(0, len(self.pool) - length))
            w = self.pool[start : start + length].copy()
            pos = np.flatnonzero(rng.random(length) < EDIT_RATE)
            w[pos] = self.pool[rng.integers(0, len(self.pool), len(pos))]
            texts.append(w.tobytes().decode("utf-32-le"))
        return texts


GENERATORS = {"markov": Markov, "windows": Windows}


class WorkSet:
    """The first `n` works of a language: the real ones, then generated ones, by batch.

    Batch b is generated from ``np.random.default_rng([SEED, b])`` alone, so that any batch can
    be rebuilt on its own; texts of the `wanted` work ids are kept as they pass.
    """

    def __init__(
        self, language: Language, n: int, generator: str, max_real: int | None = None
    ) -> None:
        self.language = language
        self.n = n
        self.generator_name = generator
        self.n_real = min(n, len(language.real), max_real or n)
        self.n_generated = n - self.n_real
        self._gen: Any = None
        if self.n_generated:
            self._gen = GENERATORS[generator](
                [t for _, t in language.real], words=language.lang == "en"
            )
        self.wanted: set[str] = set()
        self.kept: dict[str, str] = {}
        self._stored: list[list[tuple[str, str]]] | None = None
        self.n_chars = 0
        self.utf8_bytes = 0

    def work_id(self, i: int) -> str:
        if i < self.n_real:
            return self.language.real[i][0]
        return f"{self.language.lang}-gen-{self.generator_name}-{i:07d}"

    def generated_batch(self, b: int) -> list[tuple[str, str]]:
        """Generated batch `b` (works ``b * BATCH`` on), as :meth:`batches` would make it, also
        beyond `n` (new works for a registry that already holds the first `n`)."""
        rng = np.random.default_rng([SEED, b])
        lengths = rng.integers(WORK_MIN, WORK_MAX + 1, BATCH).tolist()
        return [
            (self.work_id(b * BATCH + j), t) for j, t in enumerate(self._gen.generate(lengths, rng))
        ]

    def batches(self, batch: int = BATCH) -> Iterator[list[tuple[str, str]]]:
        """The works, `batch` at a time (from memory after :meth:`materialize`)."""
        if self._stored is not None:
            yield from self._stored
            return
        self.n_chars = self.utf8_bytes = 0
        for b, lo in enumerate(range(0, self.n, batch)):
            hi = min(self.n, lo + batch)
            items = [self.language.real[i] for i in range(lo, min(hi, self.n_real))]
            g_lo = max(lo, self.n_real)
            if hi > g_lo:
                rng = np.random.default_rng([SEED, b])
                lengths = rng.integers(WORK_MIN, WORK_MAX + 1, hi - g_lo).tolist()
                texts = self._gen.generate(lengths, rng)
                items += [(self.work_id(g_lo + j), t) for j, t in enumerate(texts)]
            for wid, text in items:
                self.n_chars += len(text)
                self.utf8_bytes += len(text.encode("utf-8"))
                if wid in self.wanted:
                    self.kept[wid] = text
            yield items

    def texts(self) -> dict[str, str]:
        """Every work's text by id (after :meth:`materialize`)."""
        return {w: t for batch in self._stored or [] for w, t in batch}

    def materialize(self) -> float:
        """Build every work once and keep them (for several registries); CPU seconds taken."""
        t0 = time.process_time()
        self._stored = list(self.batches())
        return time.process_time() - t0

    def describe(self) -> str:
        src = ", ".join(f"{v:,} from {k}" for k, v in self.language.sources.items())
        if self.n_real < len(self.language.real):
            src = f"the first {self.n_real:,} of {len(self.language.real):,} real works ({src})"
        else:
            src = f"{self.n_real:,} real ({src})"
        gen = (
            f" + {self.n_generated:,} generated ({self.generator_name}: "
            + ("order-1 word model" if self.language.lang == "en" else "order-2 character model")
            * (self.generator_name == "markov")
            + f"windows of the real works, {EDIT_RATE:.0%} characters substituted"
            * (self.generator_name == "windows")
            + ")"
            if self.n_generated
            else ""
        )
        return f"{self.n:,} {self.language.lang} works: {src}{gen}"


# --------------------------------------------------------------------------------------------
# Articles


@dataclass
class Article:
    text: str
    target: str | None  # work id copied, None for an unrelated article
    real_target: bool = False


def choose_targets(ws: WorkSet, n_copy: int, seed: int) -> list[str]:
    """`n_copy` work ids, half real and half generated when both exist."""
    rng = random.Random(seed)
    n_gen = min(ws.n_generated, n_copy // 2)
    n_real = min(ws.n_real, n_copy - n_gen)
    ids = [ws.work_id(i) for i in rng.sample(range(ws.n_real), n_real)]
    ids += [ws.work_id(i) for i in rng.sample(range(ws.n_real, ws.n), n_gen)]
    rng.shuffle(ids)
    return ids


def snap(text: str, i: int, lang: str) -> int:
    """Move i to the next space for English (words are not glued to the inserted passage)."""
    if lang != "en":
        return i
    j = text.find(" ", i)
    return i if j < 0 else j


def make_articles(
    ws: WorkSet, targets: Sequence[str], n_unrelated: int, seed: int
) -> list[Article]:
    rng = random.Random(seed)
    lang, pool = ws.language.lang, ws.language.heldout
    articles: list[Article] = []
    for wid in targets:
        work = ws.kept[wid]
        n = min(rng.randint(PASSAGE_MIN, PASSAGE_MAX), len(work))
        a = snap(work, rng.randint(0, len(work) - n), lang)
        passage = work[a : a + n]
        s = snap(pool, rng.randint(0, len(pool) - 3 * ARTICLE_CHARS), lang)
        filler = pool[s : s + ARTICLE_CHARS - len(passage)]
        cut = snap(filler, rng.randint(0, len(filler)), lang)
        articles.append(
            Article(filler[:cut] + passage + filler[cut:], wid, wid.split("-")[1] != "gen")
        )
    for _ in range(n_unrelated):
        s = rng.randint(0, len(pool) - ARTICLE_CHARS)
        articles.append(Article(pool[s : s + ARTICLE_CHARS], None))
    rng.shuffle(articles)
    return articles


# --------------------------------------------------------------------------------------------
# Measurements


def status_bytes(name: str) -> int:
    """A field of /proc/self/status (VmRSS, VmHWM), bytes."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024
    return -1


def rss() -> int:
    """Resident set size of this process, bytes."""
    return status_bytes("VmRSS")


@dataclass
class Build:
    name: str
    n: int
    n_real: int
    n_chars: int
    utf8_bytes: int
    cpu: float
    wall: float
    batches: list[tuple[int, float, float, int]]  # (works after the batch, cpu s, wall s, rss)
    sys_cpu: float = 0.0  # the system-time part of cpu (SQLite's reads and writes)
    rss_growth: int = 0
    peak_growth: int = 0  # VmHWM over the baseline (in-memory builds, in a fresh process)
    db_bytes: int = 0  # file size, or page_count * page_size in memory
    wal_bytes: int = 0
    objects: dict[str, int] = field(default_factory=dict)  # dbstat
    text_blob_bytes: int = 0
    sql: list[tuple[str, int, float]] = field(default_factory=list)  # last batch, by statement
    profile: str = ""  # cProfile of the last batch
    instrumented_cpu: float = 0.0  # CPU s of the last batch under the instruments
    instrumented_sys: float = 0.0  # of which system time
    fast_cache_kib: int = 0  # SQLite page cache raised to this before the tail (0: never)
    tail_from: int = 0  # works registered before SQLite's default page cache was restored
    tail: list[float] = field(default_factory=list)  # [works, CPU s, system s, wall s] after it


class TimedConnection:
    """Stands in for a registry's sqlite3 connection and times each statement (benchmark only).

    Statements run to completion inside ``execute``/``executemany`` except SELECTs, whose
    remaining rows are fetched later (not timed; the registry's SELECTs while registering are
    small).
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.times: dict[str, list[float]] = {}  # statement -> [calls, CPU s]

    def _add(self, sql: str, dt: float, n: int = 1) -> None:
        key = " ".join(sql.split())
        key = key if len(key) <= 90 else key[:87] + "..."
        t = self.times.setdefault(key, [0, 0.0])
        t[0] += n
        t[1] += dt

    def execute(self, sql: str, *params: Any) -> sqlite3.Cursor:
        t0 = time.process_time()
        cur = self._conn.execute(sql, *params)
        self._add(sql, time.process_time() - t0)
        return cur

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        rows = list(rows)
        t0 = time.process_time()
        cur = self._conn.executemany(sql, rows)
        self._add(sql, time.process_time() - t0, len(rows))
        return cur

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def build(
    reg: tp.Registry,
    ws: Any,
    name: str,
    report: C.Report,
    instrument_last: bool = False,
    fast_cache_kib: int = 0,
    default_tail: int = 0,
) -> Build:
    """Register every work of `ws` (a WorkSet or StoredWorks), one register_many call per batch.

    Only the calls are timed (not building the works). With `instrument_last`, the last batch
    runs under cProfile (CPU clock) with its SQL statements timed; that batch's time, slowed by
    the instruments, is replaced by the median of the (up to three) batches before it.

    With `fast_cache_kib`, SQLite's page cache (on the registry's private connection) is raised
    to that many KiB for every batch but the last `default_tail`, which run with SQLite's
    default cache again, as a Registry has it: a shortcut to a large registry (the file is the
    same: the cache changes how often pages go through the kernel, not what is written), with
    the default throughput measured on the tail only.
    """
    gc.collect()
    rss0 = rss()
    cpu = wall = sys_cpu = 0.0
    done = 0
    rows: list[tuple[int, float, float, int]] = []
    n_batches = math.ceil(ws.n / BATCH)
    prof = cProfile.Profile(time.process_time)
    timed: TimedConnection | None = None
    sys_batches: list[float] = []
    instrumented = (0.0, 0.0)
    conn = reg._conn  # private connection: benchmark only
    assert conn is not None
    default_cache = int(conn.execute("PRAGMA cache_size").fetchone()[0])
    if fast_cache_kib and default_tail >= n_batches:
        fast_cache_kib = 0
    if fast_cache_kib:
        conn.execute(f"PRAGMA cache_size = {-int(fast_cache_kib)}")
        report(
            f"    {name}: SQLite page cache {fast_cache_kib // 1024:,} MiB until the last "
            f"{default_tail} batches (default {default_cache} there)"
        )
    tail_from = 0
    tail = [0.0, 0.0, 0.0, 0.0]
    for b, items in enumerate(ws.batches()):
        if fast_cache_kib and b == n_batches - default_tail:
            conn.execute(f"PRAGMA cache_size = {default_cache}")
            tail_from = done
            report(f"    {name}: {done:,} works; SQLite's default page cache from here on")
        last = b == n_batches - 1 and instrument_last
        if last:
            timed = TimedConnection(reg._conn)  # type: ignore[arg-type]
            reg._conn = timed  # type: ignore[assignment]
            prof.enable()
        s0, c0, w0 = os.times().system, time.process_time(), time.perf_counter()
        reg.register_many(items, batch_size=BATCH)
        c1, w1, s1 = time.process_time(), time.perf_counter(), os.times().system
        if last:
            prof.disable()
            assert timed is not None
            reg._conn = timed._conn
        dc, dw, ds = c1 - c0, w1 - w0, s1 - s0
        if last:
            instrumented = (dc, ds)
        if last and rows:
            # the instruments slow this batch down: count it as the median of the last three
            # uninstrumented batches (its own profile and SQL times are reported apart)
            prev = rows[-3:]
            dc = float(np.median([r[1] for r in prev]))
            dw = float(np.median([r[2] for r in prev]))
            ds = float(np.median(sys_batches[-len(prev) :]))
        cpu += dc
        wall += dw
        sys_cpu += ds
        if fast_cache_kib and b >= n_batches - default_tail:
            tail = [t + d for t, d in zip(tail, (len(items), dc, ds, dw))]
        sys_batches.append(ds)
        done += len(items)
        rows.append((done, dc, dw, rss()))
        if b % 10 == 9 or b == n_batches - 1:
            report(
                f"    {name}: {done:,} works, {cpu:.0f} s CPU ({sys_cpu:.0f} s system), "
                f"{wall:.0f} s wall; last batch {BATCH / dc:.0f} works/s CPU"
                + " (instrumented: the median of the batches before it)"
                * last
            )
    gc.collect()
    out = Build(name, ws.n, ws.n_real, ws.n_chars, ws.utf8_bytes, cpu, wall, rows, sys_cpu)
    out.rss_growth = rss() - rss0
    out.fast_cache_kib, out.tail_from = fast_cache_kib, tail_from
    out.tail = tail if fast_cache_kib else []
    if timed is not None:
        out.instrumented_cpu, out.instrumented_sys = instrumented
        out.profile = profile_text(prof)
        out.sql = sorted(
            ((k, int(v[0]), float(v[1])) for k, v in timed.times.items()), key=lambda r: -r[2]
        )
    return out


def dbstat(conn: sqlite3.Connection) -> dict[str, int]:
    try:
        rows = conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
    except sqlite3.Error:
        return {}
    return {str(n): int(s) for n, s in rows}


def file_sizes(path: Path, b: Build) -> None:
    """Fill in the file's size, its dbstat breakdown and the stored (compressed) text bytes."""
    b.db_bytes = path.stat().st_size
    wal = path.with_name(path.name + "-wal")
    b.wal_bytes = wal.stat().st_size if wal.exists() else 0
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        b.objects = dbstat(conn)
        b.text_blob_bytes = int(
            conn.execute("SELECT COALESCE(SUM(length(text)), 0) FROM works").fetchone()[0]
        )
    finally:
        conn.close()


def memory_sizes(reg: tp.Registry, b: Build) -> None:
    # private connection, benchmark only: an in-memory database has no file to stat
    conn = reg._conn
    assert conn is not None
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    b.db_bytes = int(pages) * int(size)
    b.objects = dbstat(conn)
    b.text_blob_bytes = int(
        conn.execute("SELECT COALESCE(SUM(length(text)), 0) FROM works").fetchone()[0]
    )


@dataclass
class Checks:
    name: str
    n_works: int
    wall: np.ndarray  # seconds per check, article order
    cpu: np.ndarray
    copying: np.ndarray  # bool per check
    first_wall: float  # the untimed warm-up check (first after opening)
    correct_copy: int
    n_copy: int
    correct_unrelated: int
    n_unrelated: int
    extra_hits: int  # copying articles with more than one hit
    wrong: list[str]
    results: list[list[tuple[str, int]]]
    unrelated_shared: int = 0  # unrelated articles whose hit is genuinely shared text


def shared_chars(query: str, work: str | None, hit: tp.Hit) -> int:
    """Query characters of `hit`'s passages that really are in the work (-1: text unknown).

    A passage counts when its two sides, normalized, agree to difflib ratio >= 0.8: the
    held-out text then genuinely shares it with a registered work (Wikipedia templates, a poem
    quoted in a novel, a scene the novelist wrote twice with a few words changed, as Water
    Margin's audiences at court), and reporting it is right. Windows of 20-300 characters of
    two unrelated works score 0.07 (median) and at most 0.19 over 200 random pairs; the edited
    repeats of Water Margin score 0.876-0.98 per passage.
    """
    if work is None:
        return -1
    n = 0
    for p in hit.passages:
        q = tp.normalize(query[p.query_start : p.query_end]).text
        w = tp.normalize(work[p.source_start : p.source_end]).text
        if difflib.SequenceMatcher(None, q, w, autojunk=False).ratio() >= 0.8:
            n += p.query_end - p.query_start
    return n


def run_checks(
    reg: tp.Registry,
    articles: Sequence[Article],
    name: str,
    n_works: int,
    texts: dict[str, str] | None = None,
) -> Checks:
    """Time reg.check on every article and score the answers.

    `texts` gives the works' texts when the registry does not store them (store_text=False).
    """

    def work_text(wid: str) -> str | None:
        if texts is not None:
            return texts.get(wid)
        return reg.get(wid).text

    w0 = time.perf_counter()
    reg.check(articles[0].text)  # warm-up: tables, caches, the cluster count
    first = time.perf_counter() - w0
    wall: list[float] = []
    cpu: list[float] = []
    results: list[list[tuple[str, int]]] = []
    ok_copy = ok_unrel = shared = extra = 0
    wrong: list[str] = []
    for i, a in enumerate(articles):
        c0, w0 = time.process_time(), time.perf_counter()
        hits = reg.check(a.text)
        w1, c1 = time.perf_counter(), time.process_time()
        wall.append(w1 - w0)
        cpu.append(c1 - c0)
        got = [(str(h.work_id), h.copied_chars) for h in hits]
        results.append(got)
        if a.target is None:
            if not hits:
                ok_unrel += 1
                continue
            real = shared_chars(a.text, work_text(got[0][0]), hits[0])
            if real >= 0.8 * hits[0].copied_chars:
                shared += 1
                verdict = f"genuinely shared text ({real} characters verified)"
            else:
                verdict = f"FALSE POSITIVE ({real} of {hits[0].copied_chars} characters verified)"
            wrong.append(f"unrelated #{i}: {got[:3]}: {verdict}")
        else:
            ids = [g[0] for g in got]
            if ids[:1] == [a.target]:
                ok_copy += 1
            else:
                rank = ids.index(a.target) + 1 if a.target in ids else None
                real = shared_chars(a.text, work_text(ids[0]), hits[0]) if hits else 0
                wrong.append(
                    f"copy #{i} of {a.target}: rank {rank}, got {got[:3]} (first hit: {real} "
                    f"of {got[0][1] if got else 0} characters verified)"
                )
            extra += len(hits) > 1
    copying = np.array([a.target is not None for a in articles])
    return Checks(
        name,
        n_works,
        np.array(wall),
        np.array(cpu),
        copying,
        first,
        ok_copy,
        int(copying.sum()),
        ok_unrel,
        int((~copying).sum()),
        extra,
        wrong,
        results,
        shared,
    )


def profile_text(prof: cProfile.Profile, n: int = 12) -> str:
    """Top functions by own CPU time, then textprint's and sqlite3's by cumulative time."""

    def lines(order: str, limit: int, keep: Callable[[str], bool]) -> list[str]:
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats(order).print_stats()
        rows = [ln for ln in out.getvalue().splitlines() if ln.strip()]
        head = [ln for ln in rows if ln.lstrip().startswith("ncalls")][:1]
        body = [
            ln
            for ln in rows
            if ln[:10].strip().replace("/", "").isdigit()
            and "function calls" not in ln
            and keep(ln)
        ]
        return head + body[:limit]

    st = pstats.Stats(prof)
    total = f"{st.total_calls:,} function calls in {st.total_tt:.2f} s CPU"  # type: ignore[attr-defined]
    own = lines("tottime", n, lambda ln: True)
    cum = lines("cumtime", n, lambda ln: "textprint" in ln or "sqlite3" in ln)
    text = "\n".join([total, "", "by own time:", *own, "", "by cumulative time:", *cum])
    package_root = str(Path(tp.__file__).resolve().parents[1]) + "/"  # .../src/
    text = text.replace(package_root, "").replace(str(C.REPO) + "/", "")
    return text.replace(sys.prefix + "/", "")


def calls_of(prof: cProfile.Profile, func: str, file_part: str) -> int:
    """How many times `func` (defined in a file whose path contains `file_part`) was called."""
    st = pstats.Stats(prof)
    return sum(
        v[1]
        for k, v in st.stats.items()  # type: ignore[attr-defined]
        if k[2] == func and file_part in k[0]
    )


def profile_checks(reg: tp.Registry, articles: Sequence[Article]) -> tuple[str, float]:
    """cProfile (CPU timer) over N_PROFILE_CHECKS checks; also verified candidates per check."""
    arts = articles[:N_PROFILE_CHECKS]
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    for a in arts:
        reg.check(a.text)
    prof.disable()
    return profile_text(prof), calls_of(prof, "align", "matching") / max(len(arts), 1)


def pct(x: np.ndarray, q: float) -> float:
    return float(np.percentile(x, q)) if len(x) else float("nan")


def ms(x: float) -> str:
    return f"{x * 1e3:.0f}" if x >= 0.0995 else f"{x * 1e3:.1f}"


def latency_rows(c: Checks) -> list[list[object]]:
    rows: list[list[object]] = []
    for label, mask in (
        ("all", np.ones_like(c.copying)),
        ("copying", c.copying),
        ("unrelated", ~c.copying),
    ):
        w, u = c.wall[mask], c.cpu[mask]
        rows.append(
            [
                c.name if label == "all" else "",
                label,
                len(w),
                ms(pct(w, 50)),
                ms(pct(w, 90)),
                ms(pct(w, 99)),
                ms(float(w.max())),
                ms(pct(u, 50)),
                ms(pct(u, 99)),
                ms(float(u.max())),
            ]
        )
    return rows


def fmt_bytes(x: float) -> str:
    if x >= MB:
        return f"{x / MB:,.1f} MiB"
    if x >= KB:
        return f"{x / KB:,.1f} KiB"
    return f"{x:,.0f} B"


# --------------------------------------------------------------------------------------------
# In-memory registries, measured in a fresh process
#
# The parent has fitted generators and built works, so its heap has freed-but-resident memory
# that SQLite would reuse: the resident set would hardly grow. A fresh process loads the works
# (and warms textprint's tables) first, then measures the growth over building the registry.


class StoredWorks:
    """Works read back from a JSON-lines file of ``[work_id, text]`` (in the child process)."""

    def __init__(self, path: Path, n_real: int) -> None:
        with path.open(encoding="utf-8") as f:
            self.items = [(str(w), str(t)) for w, t in map(json.loads, f)]
        self.n = len(self.items)
        self.n_real = n_real
        self.n_chars = sum(len(t) for _, t in self.items)
        self.utf8_bytes = sum(len(t.encode("utf-8")) for _, t in self.items)

    def batches(self) -> Iterator[list[tuple[str, str]]]:
        for lo in range(0, self.n, BATCH):
            yield self.items[lo : lo + BATCH]


def write_works(ws: WorkSet, path: Path) -> None:
    with path.open("w", encoding="utf-8") as f:
        for batch in ws.batches():
            for wid, text in batch:
                f.write(json.dumps([wid, text], ensure_ascii=False) + "\n")


def checks_to_json(c: Checks) -> dict[str, Any]:
    d = dict(c.__dict__)
    for k in ("wall", "cpu", "copying"):
        d[k] = d[k].tolist()
    return d


def checks_from_json(d: dict[str, Any]) -> Checks:
    d = dict(d)
    d["wall"], d["cpu"] = np.array(d["wall"]), np.array(d["cpu"])
    d["copying"] = np.array(d["copying"], dtype=bool)
    d["results"] = [[(w, n) for w, n in r] for r in d["results"]]
    return Checks(**d)


def in_child(job: dict[str, Any], tmpdir: Path) -> dict[str, Any]:
    """Run `job` in a fresh interpreter (``--child``); its result as a dict."""
    job_path, out_path = tmpdir / "job.json", tmpdir / "result.json"
    job["out"] = str(out_path)
    job_path.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
    subprocess.run([sys.executable, __file__, "--child", str(job_path)], check=True)
    result: dict[str, Any] = json.loads(out_path.read_text(encoding="utf-8"))
    job_path.unlink()
    out_path.unlink()
    return result


def child_main(job_path: Path) -> None:
    job = json.loads(job_path.read_text(encoding="utf-8"))
    report = C.Report()
    articles = [Article(**a) for a in job["articles"]]
    works = StoredWorks(Path(job["works"]), job["n_real"]) if job["kind"] == "build" else None
    warm = tp.Registry()  # load every lazily built table before the baseline
    warm.register("warm-up", articles[0].text)
    warm.check(articles[1].text)
    warm.close()
    del warm
    reg = tp.Registry()
    gc.collect()
    r0 = rss()
    with contextlib.suppress(OSError):  # reset VmHWM, so that the peak is this measurement's
        Path("/proc/self/clear_refs").write_text("5")
    if works is not None:
        b = build(reg, works, job["name"], report)
        memory_sizes(reg, b)
    else:
        src = sqlite3.connect(f"file:{job['db']}?mode=ro", uri=True)
        assert reg._conn is not None  # private connection: benchmark only
        src.backup(reg._conn)
        src.close()
        b = Build(job["name"], job["n"], 0, 0, 0, 0.0, 0.0, [])
        memory_sizes(reg, b)
    gc.collect()
    b.rss_growth = rss() - r0
    b.peak_growth = status_bytes("VmHWM") - r0
    report(f"    {job['name']}: RSS +{fmt_bytes(b.rss_growth)}, peak +{fmt_bytes(b.peak_growth)}")
    c = run_checks(reg, articles, job["name"], job["n"])
    result = {"build": b.__dict__, "checks": checks_to_json(c)}
    Path(job["out"]).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


# --------------------------------------------------------------------------------------------
# The run


@dataclass
class Results:
    builds: list[Build] = field(default_factory=list)
    checks: list[Checks] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    profiles: list[tuple[str, str]] = field(default_factory=list)  # (what, pstats text)
    candidates: list[tuple[str, float]] = field(default_factory=list)  # verified per check
    large: Build | None = None
    large_note: str = ""
    cache_whatif: str = ""
    loads: list[tuple[str, tuple[float, float, float]]] = field(default_factory=list)
    extend: list[float] = field(default_factory=list)  # [works, CPU s, system s, wall s]
    extend_note: str = ""


def large_paths(args: argparse.Namespace) -> tuple[Path, Path]:
    key = f"zh-{args.generator}-{args.n_large}"
    return args.cache_dir / f"{key}.db", args.cache_dir / f"{key}.json"


def build_large(args: argparse.Namespace, zh: Language, res: Results, report: C.Report) -> None:
    """Build the large SQLite registry in --cache-dir; keep its record and articles beside it."""
    path, meta = large_paths(args)
    path.parent.mkdir(parents=True, exist_ok=True)
    for p in (meta, path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        p.unlink(missing_ok=True)
    ws = WorkSet(zh, args.n_large, args.generator)
    targets = choose_targets(ws, args.checks // 2, SEED + 7)
    ws.wanted = set(targets)
    report(f"\n## {ws.describe()}\n  building it (--large build) into {path}")
    reg = tp.Registry(path)
    b = build(
        reg,
        ws,
        f"zh {args.n_large // 1000}k SQLite",
        report,
        instrument_last=True,
        fast_cache_kib=args.large_cache_mib * 1024,
        default_tail=args.large_default_batches + 1,
    )
    reg.close()
    file_sizes(path, b)
    articles = make_articles(ws, targets, args.checks - len(targets), SEED + 8)
    info = machine_info()
    record = {
        "describe": ws.describe(),
        "build": b.__dict__,
        "articles": [a.__dict__ for a in articles],
        "textprint": info["textprint"],
        "date": info["date"],
        "register_profile": b.profile,
    }
    meta.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


def same_fingerprints(reg: tp.Registry, path: Path, n: int = 30) -> tuple[int, int]:
    """Of `n` works sampled from the file, how many have the fingerprints (hash, start, end)
    and the signature that this textprint computes from their stored texts."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        total = int(conn.execute("SELECT MAX(rowid) FROM works").fetchone()[0])
        same = 0
        for r in random.Random(SEED).sample(range(1, total + 1), n):
            blob, sig = conn.execute(
                "SELECT text, signature FROM works WHERE rowid = ?", (r,)
            ).fetchone()
            text = zlib.decompress(blob).decode("utf-8", "surrogatepass")
            fp = tp.fingerprint(text, k=reg.k, window=reg.window, tokenizer=reg.tokenizer)
            mine = sorted(
                zip(fp.hashes.astype(np.int64).tolist(), fp.starts.tolist(), fp.ends.tolist())
            )
            stored = sorted(
                conn.execute("SELECT hash, start, end FROM fp WHERE work = ?", (r,)).fetchall()
            )
            signature = tp.MinHasher(
                reg.n_hashes, k=reg.k, tokenizer=reg.tokenizer, seed=reg.seed, scheme=reg.scheme
            ).signature(text)
            same += mine == stored and bytes(sig) == signature.astype("<u8").tobytes()
    finally:
        conn.close()
    return same, n


def extend_large(
    args: argparse.Namespace, zh: Language, res: Results, report: C.Report, path: Path
) -> None:
    """Registration at the large size, by the textprint measured here: works n+1 to n+1,000
    (the generator's next batch) registered into a copy of the large registry with SQLite's
    default page cache, timed; then works n+1,001 to n+2,000 with every SQL statement timed
    and under cProfile (the SQL and profile tables)."""
    ws = WorkSet(zh, args.n_large, args.generator)
    b0 = args.n_large // BATCH
    with tempfile.TemporaryDirectory(prefix="textprint-bench-extend-", dir=path.parent) as tmp:
        copy = Path(tmp) / path.name
        shutil.copyfile(path, copy)
        reg = tp.Registry(copy)
        items = ws.generated_batch(b0)
        gc.collect()
        t0, w0 = os.times(), time.perf_counter()
        reg.register_many(items, batch_size=BATCH)
        t1, w1 = os.times(), time.perf_counter()
        cpu = t1.user + t1.system - t0.user - t0.system
        res.extend = [float(len(items)), cpu, t1.system - t0.system, w1 - w0]
        report(
            f"  register_many of works {args.n_large + 1:,}-{args.n_large + len(items):,} into "
            f"a copy: {cpu:.1f} s CPU ({t1.system - t0.system:.1f} s system), {w1 - w0:.1f} s "
            f"wall: {len(items) / cpu:.1f} works/s CPU"
        )
        items = ws.generated_batch(b0 + 1)
        timed = TimedConnection(reg._conn)  # type: ignore[arg-type]
        reg._conn = timed  # type: ignore[assignment]
        prof = cProfile.Profile(time.process_time)
        c0, s0 = time.process_time(), os.times().system
        prof.enable()
        reg.register_many(items, batch_size=BATCH)
        prof.disable()
        c1, s1 = time.process_time(), os.times().system
        reg._conn = timed._conn
        reg.close()
    lb = res.large
    assert lb is not None
    lb.instrumented_cpu, lb.instrumented_sys = c1 - c0, s1 - s0
    lb.sql = sorted(
        ((k, int(v[0]), float(v[1])) for k, v in timed.times.items()), key=lambda r: -r[2]
    )
    lb.profile = profile_text(prof)
    res.profiles = [
        (w, t)
        if not w.startswith("register_many, the last batch of 1,000 into the zh 100k")
        else (
            f"register_many of works {args.n_large + BATCH + 1:,}-{args.n_large + 2 * BATCH:,} "
            f"into a copy of the {args.n_large // 1000}k SQLite registry",
            lb.profile,
        )
        for w, t in res.profiles
    ]


def check_large(
    args: argparse.Namespace, zh: Language, res: Results, report: C.Report, built: bool
) -> None:
    """Checks against the large registry of --cache-dir, from SQLite and loaded into memory;
    registration into a copy of it (unless it was built in this run)."""
    path, meta = large_paths(args)
    if not (path.is_file() and meta.is_file()):
        res.large_note = (
            f"not measured: no {args.n_large:,}-work registry in {args.cache_dir} "
            "(build it once with --large build)"
        )
        report(f"\n{res.large_note}")
        return
    rec = json.loads(meta.read_text(encoding="utf-8"))
    res.large = Build(**rec["build"])
    res.large.batches = [tuple(r) for r in res.large.batches]  # type: ignore[misc]
    res.large_note = (
        "built in this run"
        if built
        else f"built earlier ({rec['date']}, textprint {rec['textprint']}) with "
        "--large build and reused from --cache-dir"
    )
    res.descriptions.append(f"{rec['describe']} ({res.large_note})")
    res.profiles.append(
        (
            f"register_many, the last batch of 1,000 into the "
            f"{args.n_large // 1000}k SQLite registry",
            rec["register_profile"],
        )
    )
    report(f"\n## {rec['describe']}: {res.large_note}")
    arts = [Article(**a) for a in rec["articles"]]
    name = f"zh {args.n_large // 1000}k"
    try:
        reg = tp.Registry(path)
    except tp.TextprintError as exc:
        res.problems.append(f"cannot open the cached {args.n_large:,}-work registry: {exc}")
        return
    if not built:
        same = same_fingerprints(reg, path)
        res.large_note += (
            f"; the fingerprints of {same[1]} works sampled from it, recomputed by the "
            f"textprint measured here, are {'identical' if same[0] == same[1] else 'NOT identical'}"
            f" ({same[0]} of {same[1]}), so the file is the one this textprint would build"
        )
        report(f"  {res.large_note}")
        res.descriptions[-1] = f"{rec['describe']} ({res.large_note})"
        if same[0] != same[1]:
            res.problems.append(f"the cached registry's fingerprints differ ({same[0]}/{same[1]})")
    try:
        res.checks.append(run_checks(reg, arts, f"{name} SQLite", args.n_large))
        text, cands = profile_checks(reg, arts)
        res.profiles.append(
            (f"check, {name} SQLite ({min(N_PROFILE_CHECKS, len(arts))} checks)", text)
        )
        res.candidates.append((f"{name} SQLite", cands))
    except tp.IncompatibleError as exc:
        res.problems.append(
            f"the cached {args.n_large:,}-work registry is stale ({exc}); "
            "rebuild it with --large build"
        )
        return
    finally:
        reg.close()
    if not built:
        extend_large(args, zh, res, report, path)
    if args.large_memory:
        # The same database in memory: in a fresh process, sqlite3's backup API copies the file
        # into the connection of a new tp.Registry() (a private attribute; benchmark only).
        with tempfile.TemporaryDirectory(prefix="textprint-bench-registry-") as tmp:
            got = in_child(
                {
                    "kind": "load",
                    "name": f"{name} memory (loaded)",
                    "db": str(path),
                    "n": args.n_large,
                    "articles": [a.__dict__ for a in arts],
                },
                Path(tmp),
            )
        res.large.rss_growth = got["build"]["rss_growth"]
        res.large.peak_growth = got["build"]["peak_growth"]
        c = checks_from_json(got["checks"])
        res.checks.append(c)
        if c.results != res.checks[-2].results:
            res.problems.append(f"{name}: in-memory and SQLite results differ")


def run_small_zh(
    args: argparse.Namespace, zh: Language, res: Results, report: C.Report, tmpdir: Path
) -> None:
    n = args.n_small
    ws = WorkSet(zh, n, args.generator, args.max_real)
    res.descriptions.append(ws.describe())
    report(f"\n## {ws.describe()}")
    targets = choose_targets(ws, args.checks // 2, SEED + 1)
    ws.wanted = set(targets)
    report(f"  works built in {ws.materialize():.1f} s CPU (not counted below)")
    articles = make_articles(ws, targets, args.checks - len(targets), SEED + 2)
    tag = f"zh {n // 1000}k"

    report("  in memory: tp.Registry(), in a fresh process")
    works_path = tmpdir / "works.jsonl"
    write_works(ws, works_path)
    got = in_child(
        {
            "kind": "build",
            "name": f"{tag} memory",
            "works": str(works_path),
            "n_real": ws.n_real,
            "n": n,
            "articles": [a.__dict__ for a in articles],
        },
        tmpdir,
    )
    works_path.unlink()
    b = Build(**got["build"])
    b.batches = [(int(x), float(y), float(z), int(r)) for x, y, z, r in b.batches]
    res.builds.append(b)
    c_mem = checks_from_json(got["checks"])
    res.checks.append(c_mem)

    report("  SQLite: tp.Registry(tmp/'works.db')")
    path = tmpdir / "works.db"
    reg = tp.Registry(path)
    b = build(reg, ws, f"{tag} SQLite", report, instrument_last=True)
    reg.close()
    res.profiles.append(
        (f"register_many, the last batch of 1,000 into the {tag} SQLite registry", b.profile)
    )
    file_sizes(path, b)
    res.builds.append(b)
    reg = tp.Registry(path)
    c_file = run_checks(reg, articles, f"{tag} SQLite", n)
    res.checks.append(c_file)
    if c_file.results != c_mem.results:
        diff = sum(x != y for x, y in zip(c_file.results, c_mem.results))
        res.problems.append(f"{tag}: in-memory and SQLite registries disagree on {diff} articles")
    text, cands = profile_checks(reg, articles)
    res.profiles.append(
        (f"check, {tag} SQLite ({min(N_PROFILE_CHECKS, len(articles))} checks)", text)
    )
    res.candidates.append((f"{tag} SQLite", cands))
    reg.close()

    cache_whatif(ws, res, report, tmpdir)

    report("  SQLite, store_text=False")
    path_nt = tmpdir / "works-notext.db"
    reg = tp.Registry(path_nt, store_text=False)
    b = build(reg, ws, f"{tag} SQLite store_text=False", report)
    reg.close()
    file_sizes(path_nt, b)
    res.builds.append(b)
    reg = tp.Registry(path_nt)
    res.checks.append(
        run_checks(reg, articles, f"{tag} SQLite store_text=False", n, texts=ws.texts())
    )
    reg.close()


def cache_whatif(ws: WorkSet, res: Results, report: C.Report, tmpdir: Path) -> None:
    """register_many into SQLite with the default page cache and with a 256 MiB one.

    A diagnostic for the system time of the file builds: the Registry leaves SQLite's
    ``cache_size`` at its default (2 MB); here it is raised on the registry's private
    connection, which only src/ could do for real.
    """
    if ws.n < 2 * BATCH:
        res.cache_whatif = "not measured (fewer than two batches of works)"
        return
    rows = []
    for label, pragma in (("default (2 MB)", None), ("cache_size = 256 MiB", -256 * 1024)):
        path = tmpdir / "works-cache.db"
        reg = tp.Registry(path)
        if pragma is not None:
            assert reg._conn is not None
            reg._conn.execute(f"PRAGMA cache_size = {pragma}")
        batches = ws.batches()
        reg.register_many(next(batches), batch_size=BATCH)  # the first 1,000, not timed
        t0, c0 = os.times(), time.process_time()
        reg.register_many(next(batches), batch_size=BATCH)
        c1, t1 = time.process_time(), os.times()
        reg.close()
        for p in tmpdir.glob("works-cache.db*"):
            p.unlink()
        rows.append(
            [
                label,
                f"{c1 - c0:.1f}",
                f"{t1.user - t0.user:.1f}",
                f"{t1.system - t0.system:.1f}",
                f"{BATCH / (c1 - c0):,.0f}",
            ]
        )
    res.cache_whatif = C.table(
        ["SQLite page cache", "CPU s", "user s", "system s", "works/s"], rows
    )
    report("  register_many of works 1,001-2,000 into SQLite, by page cache size:\n")
    report(res.cache_whatif)


def run_small_other(
    args: argparse.Namespace, lang_name: str, res: Results, report: C.Report, tmpdir: Path
) -> None:
    n = args.n_small
    lang = LANGUAGES[lang_name]()
    ws = WorkSet(lang, n, "markov", args.max_real)
    res.descriptions.append(ws.describe())
    report(f"\n## {ws.describe()}; held-out text {len(lang.heldout):,} characters")
    targets = choose_targets(ws, args.checks // 2, SEED + 3)
    ws.wanted = set(targets)
    tag = f"{lang_name} {n // 1000}k"
    path = tmpdir / f"works-{lang_name}.db"
    reg = tp.Registry(path)
    b = build(reg, ws, f"{tag} SQLite", report)
    reg.close()
    file_sizes(path, b)
    res.builds.append(b)
    articles = make_articles(ws, targets, args.checks - len(targets), SEED + 4)
    reg = tp.Registry(path)
    res.checks.append(run_checks(reg, articles, f"{tag} SQLite", n))
    text, cands = profile_checks(reg, articles)
    res.profiles.append(
        (f"check, {tag} SQLite ({min(N_PROFILE_CHECKS, len(articles))} checks)", text)
    )
    res.candidates.append((f"{tag} SQLite", cands))
    reg.close()


def load_mark(res: Results, report: C.Report, when: str) -> None:
    load = os.getloadavg()
    res.loads.append((when, load))
    report(f"load average (1 / 5 / 15 min) {when}: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")


#: Wall seconds of the earlier parts of a resumed run (added to the page's run time).
RUNTIME_BEFORE = 0.0


def save_state(state: dict[str, Any], t0: float) -> None:
    """Keep the results so far in TP_BENCH_DUMP (a development aid: resume, re-render)."""
    path = os.environ.get("TP_BENCH_DUMP")
    if not path:
        return
    import pickle

    state = dict(state, elapsed=RUNTIME_BEFORE + time.perf_counter() - t0)
    with open(path + ".tmp", "wb") as f:
        pickle.dump(state, f)
    os.replace(path + ".tmp", path)


def load_state(path: str) -> dict[str, Any]:
    """A state this script saved with :func:`save_state` (never a file from elsewhere)."""
    import pickle

    with open(path, "rb") as f:
        state: dict[str, Any] = pickle.load(f)
    return state


def run(args: argparse.Namespace) -> tuple[str, str]:
    """Every measurement, stage by stage, then the page.

    Development aids: with TP_BENCH_DUMP=file the results are saved after every stage (zh,
    each other language, the large registry); TP_BENCH_RESUME=file continues a run that was
    interrupted from the stages it saved (the page's run time adds the earlier parts), and
    TP_BENCH_LOAD=file renders a finished run's page again without measuring.
    """
    global RUNTIME_BEFORE
    t0 = time.perf_counter()
    report = C.Report()
    for var in ("TP_BENCH_LOAD", "TP_BENCH_RESUME"):
        if os.environ.get(var) and Path(os.environ[var]).is_file():
            state = load_state(os.environ[var])
            RUNTIME_BEFORE = float(state["elapsed"])
            report._buf.write(state["text"])
            if var == "TP_BENCH_LOAD":
                return render(args, report, state["info"], state["res"])
            report(f"\n(resumed after stages {', '.join(state['done'])})")
            break
    else:
        info = machine_info()
        report(
            f"# Registry benchmark ({info['date']}; {info['nproc']} CPUs, {info['cpu']}; "
            f"textprint {info['textprint']})"
        )
        state = {"done": [], "res": Results(), "info": info}
        load_mark(state["res"], report, "at the start")
    res, info, done = state["res"], state["info"], state["done"]
    t_read = time.process_time()
    zh = zh_language()
    report(
        f"zh: {len(zh.real):,} real works ({zh.sources}); held-out text "
        f"{len(zh.heldout):,} characters; read in {time.process_time() - t_read:.1f} s CPU"
    )
    stages = ["zh", *args.langs] + (["large"] if args.large != "skip" else [])
    for stage in stages:
        if stage in done:
            continue
        with tempfile.TemporaryDirectory(prefix="textprint-bench-registry-") as tmp:
            if stage == "zh":
                run_small_zh(args, zh, res, report, Path(tmp))
            elif stage != "large":
                run_small_other(args, stage, res, report, Path(tmp))
        if stage == "large":
            if args.large == "build":
                load_mark(res, report, "before building the large registry")
                build_large(args, zh, res, report)
            load_mark(res, report, "before the checks at the large registry")
            check_large(args, zh, res, report, built=args.large == "build")
        done.append(stage)
        if stage == stages[-1]:
            load_mark(res, report, "at the end")
        save_state({**state, "text": report.text}, t0)
    return render(args, report, info, res)


def large_only(args: argparse.Namespace) -> None:
    report = C.Report()
    res = Results()
    args.checks = N_CHECKS
    zh = zh_language()
    if args.large == "build":
        build_large(args, zh, res, report)
    check_large(args, zh, res, report, built=args.large == "build")
    if res.large is not None:
        b = res.large
        report(
            f"\n{b.name}: {b.n:,} works, {b.cpu:,.0f} s CPU ({b.sys_cpu:,.0f} s system), "
            f"{C.fmt_rate(C.rate(b.n, b.cpu))} works/s; {fmt_bytes(b.db_bytes)}"
        )
    for c in res.checks:
        report(
            "\n"
            + C.table(
                [
                    "registry",
                    "articles",
                    "checks",
                    "p50",
                    "p90",
                    "p99",
                    "max",
                    "CPU p50",
                    "CPU p99",
                    "CPU max",
                ],
                latency_rows(c),
            )
        )
        report(
            f"right work first {c.correct_copy}/{c.n_copy}, unrelated [] "
            f"{c.correct_unrelated}/{c.n_unrelated}; " + "; ".join(c.wrong[:10])
        )
    for what, text in res.profiles:
        report(f"\n## cProfile: {what}\n\n{text}")


# --------------------------------------------------------------------------------------------
# Tables, plots, page


def render(
    args: argparse.Namespace, report: C.Report, info: dict[str, str], res: Results
) -> tuple[str, str]:
    builds = res.builds + ([res.large] if res.large is not None else [])
    problems = list(res.problems)
    lat = C.table(
        [
            "registry",
            "articles",
            "checks",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms",
            "CPU p50 ms",
            "CPU p99 ms",
            "CPU max ms",
        ],
        [r for c in res.checks for r in latency_rows(c)],
        align="ll",
    )
    report("\n## Check latency (wall, time.perf_counter; 2,000-character articles)\n")
    report(lat)
    cand = dict(res.candidates)
    first = C.table(
        ["registry", "first check after opening, ms", "works verified per check"],
        [
            [c.name, ms(c.first_wall), f"{cand[c.name]:.1f}" if c.name in cand else "-"]
            for c in res.checks
        ],
    )
    report("\n" + first)

    corr_rows = []
    for c in res.checks:
        corr_rows.append(
            [
                c.name,
                f"{c.correct_copy}/{c.n_copy}",
                f"{c.correct_unrelated}/{c.n_unrelated}",
                c.unrelated_shared,
                c.n_unrelated - c.correct_unrelated - c.unrelated_shared,
                c.extra_hits,
            ]
        )
        problems += [f"{c.name}: {w}" for w in c.wrong]
    corr = C.table(
        [
            "registry",
            "copying: right work first",
            "unrelated: []",
            "unrelated: hit on genuinely shared text",
            "unrelated: false positive",
            "copying with > 1 hit",
        ],
        corr_rows,
    )
    report("\n## Correctness\n")
    report(corr)

    regt = C.table(
        [
            "registry",
            "works",
            "real",
            "chars/work",
            "CPU s",
            "of which system",
            "wall s",
            "works/s",
            "chars/s",
            "first batch works/s",
            "last batch works/s",
        ],
        [row for b in builds for row in registration_rows(b)] + extend_rows(res),
    )
    report("\n## Registration (register_many, batch_size=1000; CPU time)\n")
    report(regt)
    extra = extrapolate(args, res)
    report("\n" + extra)
    b_file = next(b for b in res.builds if b.name.endswith("SQLite") and b.name.startswith("zh"))
    b_mem = next(b for b in res.builds if b.name.endswith("memory"))
    sys_share, sys_share_mem = b_file.sys_cpu / b_file.cpu, b_mem.sys_cpu / b_mem.cpu
    n_small_tag = b_file.name.removesuffix(" SQLite")

    sizes = C.table(
        [
            "registry",
            "works",
            "database",
            "per work",
            "UTF-8 text per work",
            "database / text",
            "stored text (zlib) per work",
            "RSS growth per work",
            "peak RSS growth per work",
            "RSS growth per work after the first batch",
        ],
        [
            [
                b.name,
                f"{b.n:,}",
                fmt_bytes(b.db_bytes),
                fmt_bytes(b.db_bytes / b.n),
                fmt_bytes(b.utf8_bytes / b.n),
                f"{b.db_bytes / b.utf8_bytes:.2f}",
                fmt_bytes(b.text_blob_bytes / b.n),
                fmt_bytes(b.rss_growth / b.n) if b.peak_growth else "-",
                fmt_bytes(b.peak_growth / b.n) if b.peak_growth else "-",
                fmt_bytes(marginal_rss(b))
                if b.name.endswith("memory") and len(b.batches) > 1
                else "-",
            ]
            for b in builds
        ],
    )
    report("\n## Disk and memory per registered work\n")
    report(sizes)

    b_nt = next(b for b in res.builds if "False" in b.name)
    idx_ratio = b_nt.db_bytes / b_nt.utf8_bytes
    objs = sorted({k for b in builds for k in b.objects})
    objt = C.table(
        ["object (dbstat), bytes per work"] + [b.name for b in builds],
        [[o] + [fmt_bytes(b.objects.get(o, 0) / b.n) for b in builds] for o in objs]
        + [["total"] + [fmt_bytes(sum(b.objects.values()) / b.n) for b in builds]],
    )
    index_line = (
        f"Index alone (the store_text=False file, {b_nt.name.split()[0]} {b_nt.n:,} works): "
        f"{fmt_bytes(b_nt.db_bytes)}, {fmt_bytes(b_nt.db_bytes / b_nt.n)} per work, against "
        f"{fmt_bytes(b_nt.utf8_bytes)} of UTF-8 text ({fmt_bytes(b_nt.utf8_bytes / b_nt.n)} per "
        f"work): index / text = **{idx_ratio:.2f}**; goal (< 1) "
        + ("met." if idx_ratio < 1 else "NOT met.")
    )
    report("\n## Index size vs text\n")
    report(index_line)
    report("\n" + objt)
    if idx_ratio >= 1:
        problems.append(f"the index is {idx_ratio:.1f}x the works' UTF-8 text (goal: smaller)")

    prof_md = []
    for what, text in res.profiles:
        report(f"\n## cProfile: {what}\n")
        report(text)
        prof_md.append(f"{what}:\n\n```text\n{text}\n```\n")
    sql_md = []
    for b in builds:
        if not b.sql:
            continue
        t = sql_table(b)
        report(f"\n## SQL statements of the last batch of {b.name} (CPU time)\n")
        report(t)
        sql_md.append(f"{b.name}:\n\n{t}\n")

    report("\n## Problems\n")
    report("\n".join(f"- {p}" for p in problems) if problems else "none")
    plots = ""
    if args.out is not None:
        plots = make_plots(args, res.checks, builds)
    loads = "; ".join(f"{w}: {a:.1f} / {b:.1f} / {c:.1f}" for w, (a, b, c) in res.loads)
    load_end = res.loads[-1][1][0] if res.loads else os.getloadavg()[0]

    body = f"""## Headline

{headline(res, idx_ratio, b_nt)}

Load average (1 / 5 / 15 min) on {info["nproc"]} CPUs, {loads}. A load above
{info["nproc"]} means other jobs shared the cores: that stretches wall times, CPU seconds much
less.

## Works

{chr(10).join("- " + d for d in res.descriptions)}

Generated works are the corpus's own statistics re-sampled (see the script's docstring); real
and generated works have the same length distribution (uniform 1,000-5,000 characters).
Articles: {args.checks} per registry, half copying (300-1,000 characters of one registered
work, verbatim, inside held-out text; half of the targets real, half generated) and half
unrelated (held-out text); 2,000 characters each.

## Check latency

Unlike the header's default, latencies are single wall-clock measurements, not best of 3.
Wall time (`time.perf_counter`) per `check`, after one untimed warm-up check; the CPU columns
are `time.process_time` of the same calls. This machine is shared ({info["nproc"]} CPUs, load
average {load_end:.1f} at the end of the run): wall minus CPU is mostly time spent waiting for a
processor, so the CPU columns are the better guide to what a quiet machine would see.

{lat}

{first}

"Works verified per check" counts `matching.align` calls in a profiled pass of
{min(N_PROFILE_CHECKS, args.checks)} checks (candidates are capped at {MAX_CANDIDATES} per check).

## Correctness

{corr}

## Registration

{regt}

{large_build_note(res)}{extra}

{sys_share:.0%} of the CPU time of the {n_small_tag} SQLite build is system time (against
{sys_share_mem:.0%} in memory): the Registry leaves SQLite's page cache at its default 2 MB, so
B-tree pages go back and forth through the kernel. The same
second batch of 1,000 works with the cache raised to 256 MiB (on the registry's private
connection; a diagnostic only src/ can act on):

{res.cache_whatif}

## Disk and memory

{sizes}

"RSS growth" is the change of the resident set (`VmRSS`) of a fresh process over building the
registry in memory (after the works were loaded and textprint's tables warmed up), "peak" the
change of `VmHWM`; for the large registry, over loading its file into a `tp.Registry()` with
sqlite3's backup API. "database" of an in-memory registry is its page count times the page
size.

## Index size vs text

{index_line}

{objt}

## SQL statements while registering

The last batch of 1,000 works of each instrumented SQLite build, with every statement the
Registry sends timed on its connection (CPU time of `execute`/`executemany`; the rows of a
SELECT are fetched outside the timer). That batch ran under cProfile too, so the registration
tables above count it as the median of the batches before it.

{chr(10).join(sql_md) if sql_md else "not measured in this run"}

## Profiles (cProfile with a CPU-time clock)

{chr(10).join(prof_md)}
## Problems

{chr(10).join("- " + p for p in problems) if problems else "none"}
{plots}"""
    return report.text, body


def extend_rows(res: Results) -> list[list[object]]:
    """The row of the batch registered into a copy of the large registry, if measured."""
    lb = res.large
    if lb is None or not res.extend:
        return []
    n, cpu, sys_cpu, wall = res.extend
    return [
        [
            f"{lb.name}: works {lb.n + 1:,}-{lb.n + int(n):,} into a copy of it "
            "(this textprint, SQLite's default page cache)",
            f"{int(n):,}",
            "",
            "",
            f"{cpu:,.0f}",
            f"{sys_cpu / cpu:.0%}" if cpu else "-",
            f"{wall:,.0f}",
            C.fmt_rate(C.rate(n, cpu)),
            C.fmt_rate(C.rate(n * lb.n_chars / lb.n, cpu)),
            "",
            "",
        ]
    ]


def large_build_note(res: Results) -> str:
    lb = res.large
    if lb is not None and res.extend:
        n = int(res.extend[0])
        how = (
            "That build (its row above) ran an earlier textprint, whose registration was "
            f"slower, with SQLite's page cache raised to {lb.fast_cache_kib // 1024:,} MiB on "
            "the registry's private connection for most of it to make it affordable."
            if lb.fast_cache_kib
            else "That build (its row above) ran with SQLite's default page cache throughout, "
            "as a `tp.Registry` has it, one `register_many` call per batch of 1,000."
        )
        return (
            f"The {lb.n:,}-work registry was {res.large_note}. {how} The throughput at this "
            "size is also measured by the textprint of this run: works "
            f"{lb.n + 1:,}-{lb.n + n:,} (the generator's next batch) registered with "
            "`register_many` into a copy of the file, with SQLite's default page cache as a "
            '`tp.Registry` has it (the row "into a copy of it", the headline\'s figure); '
            f"the next {n:,}, with every SQL statement timed and under cProfile, give the SQL "
            "and profile tables below.\n\n"
        )
    if lb is None or not lb.tail:
        return ""
    n = int(lb.tail[0])
    return (
        f"The {lb.n:,}-work registry was built with SQLite's page cache raised to "
        f"{lb.fast_cache_kib // 1024:,} MiB on the registry's private connection for its first "
        f"{lb.tail_from:,} works, then registered works {lb.tail_from + 1:,}-{lb.tail_from + n:,} "
        "with SQLite's default cache, as a `tp.Registry` has it; only those last batches give "
        "the registration throughput at this size (the headline's figure). The cache changes "
        "how often B-tree pages go through the kernel, not what is written: the file checked "
        "below is the one a default build makes. A default build of the whole registry takes "
        "hours on a shared 2-CPU machine (the time per batch grows with the index: the "
        "extrapolation below); what is cut is the default-cache timing of the earlier batches, "
        "not the scale.\n\n"
    )


def registration_rows(b: Build) -> list[list[object]]:
    """The build's row; a build with a raised page cache also gets a row for its tail."""
    name = b.name
    if b.fast_cache_kib:
        name += f" (page cache {b.fast_cache_kib // 1024:,} MiB up to {b.tail_from:,} works)"
    rows: list[list[object]] = [
        [
            name,
            f"{b.n:,}",
            f"{b.n_real:,}",
            f"{b.n_chars / b.n:,.0f}" if b.n_chars else "-",
            f"{b.cpu:,.0f}",
            f"{b.sys_cpu / b.cpu:.0%}" if b.cpu else "-",
            f"{b.wall:,.0f}",
            C.fmt_rate(C.rate(b.n, b.cpu)),
            C.fmt_rate(C.rate(b.n_chars, b.cpu)),
            f"{BATCH / b.batches[0][1]:,.0f}",
            f"{BATCH / b.batches[-1][1]:,.0f}",
        ]
    ]
    if b.tail:
        n, cpu, sys_cpu, wall = b.tail
        rows.append(
            [
                f"{b.name}, works {b.tail_from + 1:,}-{b.tail_from + int(n):,} "
                "(SQLite's default page cache)",
                f"{int(n):,}",
                "",
                "",
                f"{cpu:,.0f}",
                f"{sys_cpu / cpu:.0%}" if cpu else "-",
                f"{wall:,.0f}",
                C.fmt_rate(C.rate(n, cpu)),
                C.fmt_rate(C.rate(n * b.n_chars / b.n, cpu)),
                "",
                "",
            ]
        )
    return rows


def register_rate(b: Build, extend: Sequence[float] = ()) -> tuple[float, float]:
    """works/s (CPU, wall) at SQLite's default page cache: the batch registered into a copy
    of the large registry when measured, else the tail when the rest had a larger cache."""
    if extend:
        n, cpu, _, wall = extend
        return C.rate(n, cpu), C.rate(n, wall)
    if b.tail:
        n, cpu, _, wall = b.tail
        return C.rate(n, cpu), C.rate(n, wall)
    return C.rate(b.n, b.cpu), C.rate(b.n, b.wall)


def sql_table(b: Build) -> str:
    total = b.instrumented_cpu
    rows = [
        [stmt, f"{n:,}", f"{t:.2f}", f"{t / total:.0%}" if total else "-"]
        for stmt, n, t in b.sql
        if t >= 0.005 or n >= 100
    ]
    rows.append(
        [
            "(whole batch under the instruments)",
            "",
            f"{total:.2f}",
            f"{b.instrumented_sys:.2f} s system",
        ]
    )
    return C.table(["statement", "rows or calls", "CPU s", "share of the batch"], rows, align="l")


def marginal_rss(b: Build) -> float:
    """Resident-set growth per work from the end of the first batch to the end of the build."""
    (n0, *_, r0), (n1, *_, r1) = b.batches[0], b.batches[-1]
    return (r1 - r0) / max(n1 - n0, 1)


def extrapolate(args: argparse.Namespace, res: Results) -> str:
    """CPU time to register n_large works, from the per-batch times of the small SQLite build."""
    b = next(b for b in res.builds if b.name.endswith("SQLite") and b.name.startswith("zh"))
    x = np.array([r[0] for r in b.batches], dtype=float)
    y = np.array([r[1] for r in b.batches], dtype=float)
    if len(x) > 2:
        slope, icept = np.polyfit(x[1:], y[1:], 1)
    else:
        slope, icept = 0.0, float(y.mean())
    xs = np.arange(1, math.ceil(args.n_large / BATCH) + 1) * BATCH
    est_lin = float(np.sum(np.maximum(icept + slope * xs, 0.0)))
    last = y[-3:]
    est_flat = float(last.mean()) * len(xs)
    text = (
        f"Extrapolated CPU time to register {args.n_large:,} works into SQLite, from the "
        f"{b.n:,}-work build: {est_flat / 60:,.0f} min at the rate of its last batches "
        f"({BATCH * len(last) / last.sum():,.0f} works/s); {est_lin / 60:,.0f} min if the time "
        f"per batch keeps growing as it did (linear fit of the CPU time of a batch of "
        f"{BATCH:,}: {icept:.1f} s + {slope * 1e3:.3f} s for every 1,000 works already "
        "registered)."
    )
    lb = res.large
    if lb is not None and res.extend:
        n, cpu, _, _ = res.extend
        text += (
            f" Measured: a batch of {int(n):,} registered into a copy of the {lb.n:,}-work "
            f"registry by this textprint took {cpu:.1f} s CPU (the linear fit predicts "
            f"{icept + slope * (lb.n + n / 2):.1f} s)."
        )
        if not lb.fast_cache_kib:
            text += (
                f" The whole {lb.n:,}-work build, with SQLite's default page cache: "
                f"{lb.cpu / 60:,.0f} min CPU, {lb.wall / 60:,.0f} min wall; its last batch of "
                f"{BATCH:,} took {lb.batches[-1][1]:.1f} s CPU."
            )
    elif lb is not None and lb.tail:
        n, cpu, _, _ = lb.tail
        mid = lb.tail_from + n / 2
        text += (
            f" Measured ({res.large_note}): with SQLite's default page cache, a batch of "
            f"{BATCH:,} at {lb.tail_from:,}-{lb.tail_from + int(n):,} works took "
            f"{cpu / (n / BATCH):.1f} s CPU (the linear fit predicts "
            f"{icept + slope * mid:.1f} s); the whole build, with the page cache raised to "
            f"{lb.fast_cache_kib // 1024:,} MiB before that, took {lb.cpu / 60:,.0f} min CPU, "
            f"{lb.wall / 60:,.0f} min wall."
        )
    elif lb is not None:
        text += (
            f" Measured ({res.large_note}): {lb.cpu / 60:,.0f} min CPU, "
            f"{lb.wall / 60:,.0f} min wall."
        )
    return text


def headline(res: Results, idx_ratio: float, b_nt: Build) -> str:
    builds = {b.name: b for b in res.builds + ([res.large] if res.large is not None else [])}
    rows = []
    for c in res.checks:
        loaded = c.name.endswith("(loaded)")
        b = builds.get(c.name.replace(" memory (loaded)", " SQLite"))
        ext = res.extend if b is not None and b is res.large else []
        memory = "memory" in c.name
        rows.append(
            [
                c.name,
                f"{c.n_works:,}",
                ms(pct(c.wall, 50)),
                ms(pct(c.wall, 99)),
                ms(pct(c.cpu, 50)),
                ms(pct(c.cpu, 99)),
                f"{c.correct_copy}/{c.n_copy}, {c.correct_unrelated}/{c.n_unrelated}",
                "(loaded)"
                if loaded or b is None
                else " ".join(
                    [
                        f"{C.fmt_rate(register_rate(b, ext)[0])} "
                        f"({C.fmt_rate(register_rate(b, ext)[1])})",
                        f"[works {b.n + 1:,}-{b.n + int(ext[0]):,}]"
                        if ext
                        else f"[works {b.tail_from + 1:,}-{b.n:,}]" * bool(b.tail),
                    ]
                ).strip(),
                "-" if b is None or memory else fmt_bytes(b.db_bytes / b.n),
                "-"
                if b is None or memory
                else fmt_bytes(max(b.db_bytes - b.text_blob_bytes, 0) / b.n),
                fmt_bytes(b.rss_growth / b.n) if b is not None and memory else "-",
            ]
        )
    table = C.table(
        [
            "registry",
            "works",
            "check p50 ms",
            "p99 ms",
            "CPU p50 ms",
            "CPU p99 ms",
            "right first, unrelated []",
            "register works/s CPU (wall)",
            "disk per work",
            "of which not text",
            "memory per work",
        ],
        rows,
    )
    note = (
        f"Index alone (`store_text=False`, {b_nt.name.split()[0]} {b_nt.n:,} works) / the works' "
        f"UTF-8 text = **{idx_ratio:.2f}** (goal < 1: "
        + ("met" if idx_ratio < 1 else "NOT met")
        + f"); {fmt_bytes(b_nt.db_bytes / b_nt.n)} of index per work against "
        f"{fmt_bytes(b_nt.utf8_bytes / b_nt.n)} of text."
    )
    return table + "\n\n" + note


def make_plots(args: argparse.Namespace, checks: list[Checks], builds: list[Build]) -> str:
    plt = C.plt()
    out = args.out.parent
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for c in checks:
        w = np.sort(c.wall) * 1e3
        ax.plot(w, np.arange(1, len(w) + 1) / len(w), label=f"{c.name} (wall)")
    ax.set_xscale("log")
    ax.set_xlabel("check latency, ms (log scale)")
    ax.set_ylabel("share of checks")
    ax.set_title("Registry.check of a 2,000-character article")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "registry_latency.png", dpi=110)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for b in builds:
        x = [r[0] for r in b.batches]
        y = [BATCH / r[1] for r in b.batches]
        label = b.name
        if b.fast_cache_kib:
            label += f" (page cache {b.fast_cache_kib // 1024:,} MiB to {b.tail_from:,} works)"
        ax.plot(x, y, label=label, marker="." if len(x) < 30 else None)
    ax.set_xscale("log")
    ax.set_xlabel("works registered")
    ax.set_ylabel("works/s (CPU) of each batch of 1,000")
    ax.set_title("register_many throughput as the registry grows")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "registry_throughput.png", dpi=110)
    plt.close(fig)
    return (
        "\n![check latency](registry_latency.png)\n\n"
        "![registration throughput](registry_throughput.png)\n"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    C.add_common_args(parser)
    parser.add_argument(
        "--large",
        choices=("auto", "build", "skip"),
        default="auto",
        help="auto (default): check the --n-large registry if one built earlier with "
        "--large build is in --cache-dir; build: build it now (slow); skip",
    )
    parser.add_argument("--n-large", type=int, default=N_LARGE)
    parser.add_argument(
        "--large-memory",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also check the large registry loaded into memory",
    )
    parser.add_argument(
        "--large-cache-mib",
        type=int,
        default=LARGE_CACHE_MIB,
        help="with --large build: SQLite page cache (MiB) while building the large registry, "
        "except its last batches (default 0: SQLite's default throughout, ~30 min at 100k)",
    )
    parser.add_argument(
        "--large-default-batches",
        type=int,
        default=LARGE_DEFAULT_BATCHES,
        help="with --large build: batches at the end registered with SQLite's default page "
        "cache, whose throughput is reported (plus one instrumented batch)",
    )
    parser.add_argument("--generator", choices=sorted(GENERATORS), default="markov")
    parser.add_argument(
        "--large-only",
        action="store_true",
        help="only build (with --large build) or check the large registry; prints, writes no page",
    )
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "textprint-bench",
        help="where the large registry is kept (outside the repository)",
    )
    args = parser.parse_args(argv)
    if args.child is not None:
        child_main(args.child)
        return
    if args.large_only:
        large_only(args)
        return
    args.n_small, args.checks, args.langs, args.max_real = N_SMALL, N_CHECKS, ["ja", "en"], None
    if args.quick:  # half real, half generated, so that both paths run
        args.n_small, args.checks, args.max_real = 1000, 40, 500
        args.large = "skip" if args.large == "auto" else args.large
    if args.out is None and not args.quick:
        args.out = C.DOCS / "registry.md"
    C.require_corpora(
        "zh-classic-novels", "zh-chinese-poetry", "zh-cmrc2018-wiki", "aozora-pd-ja", "en-gutenberg"
    )
    t0 = time.perf_counter()
    output, body = run(args)
    if args.out is not None:
        cmd = "python benchmarks/bench_registry.py"
        cmd += " --quick" * args.quick + " --large build" * (args.large == "build")
        if args.n_large != N_LARGE:
            cmd += f" --n-large {args.n_large}"
        if args.generator != "markov":
            cmd += f" --generator {args.generator}"
        if args.large == "build" and args.large_cache_mib != LARGE_CACHE_MIB:
            cmd += f" --large-cache-mib {args.large_cache_mib}"
        if args.large == "build" and args.large_default_batches != LARGE_DEFAULT_BATCHES:
            cmd += f" --large-default-batches {args.large_default_batches}"
        C.write_markdown(
            args.out,
            title="Benchmark: the Registry (check latency, registration, disk, memory)",
            command=cmd,
            info=machine_info(),
            body=body,
            output=output,
            runtime=time.perf_counter() - t0 + RUNTIME_BEFORE,
        )
        print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
