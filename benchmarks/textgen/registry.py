"""Works and articles of the registry benchmark (text generator).

Works are 1,000-5,000 characters (lengths uniform). REAL works come first: each source joined
into one stream per book or collection and cut into consecutive works (Chinese: the
zh-classic-novels chapters, the zh-chinese-poetry poems grouped by collection, the
zh-cmrc2018-wiki passages; Japanese: aozora-pd-ja, one edition per title; English:
en-gutenberg, one edition per title). GENERATED works follow, beyond what exists:

``markov`` (default)
    Text sampled from the real works' own statistics: an order-2 character model (zh, ja) or
    an order-1 word model (en).
``windows``
    Windows of the real works with `EDIT_RATE` of their characters substituted:
    near-duplicates of the real works, a worst case for posting lists and ranking.

Batch ``b`` (works ``b * BATCH`` on) is generated from ``numpy.random.default_rng([SEED, b])``
alone, so any batch can be made again on its own (a child process rebuilds the same works).

Articles are 2,000 characters of HELD-OUT text (never registered: every 23rd novel chapter in
Chinese, the Aozora titles whose hash falls in the held-out tenth in Japanese, four Gutenberg
books in English). A copying article holds a passage of 300-1,000 characters of one registered
work, verbatim, at a random position; an unrelated article is held-out text alone.

Long works (`long_works`): the Aozora works whole (up to 175,000 characters) against the same
works cut into 5,000-character pieces, and the four classic novels whole (600,000-850,000
characters) against their chapters; articles copy passages of them into Wikipedia text.
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmarks.harness import iter_docs

from .works import aozora_groups

SEED = 0
WORK_MIN, WORK_MAX = 1000, 5000
ARTICLE_CHARS = 2000
PASSAGE_MIN, PASSAGE_MAX = 300, 1000
BATCH = 1000
EDIT_RATE = 0.02
#: Steps of each Markov chain: a batch samples many short chains at once and joins them into
#: works (an order-2 model has no memory beyond two characters, so the joins do not show).
CHAIN_STEPS = 500
#: Characters of a long work's pieces.
PIECE_CHARS = 5000
EN_HELDOUT = ("The Art of War", "The Importance of Being Earnest", "A Doll's House", "Second")


# ---------------------------------------------------------------------------------------------
# Real works and held-out text


@dataclass
class Language:
    """The real works of one language, its held-out text and its generator's training data."""

    lang: str
    real: list[tuple[str, str]]
    heldout: str
    sources: dict[str, int] = field(default_factory=dict)  # real works per source


def _stream_cut(stream: str, rng: random.Random, prefix: str, out: list[tuple[str, str]]) -> int:
    """Cut `stream` into consecutive works of WORK_MIN..WORK_MAX characters (the rest is
    dropped), appended to `out`; returns how many."""
    pos, n0 = 0, len(out)
    while True:
        n = rng.randint(WORK_MIN, WORK_MAX)
        piece = stream[pos : pos + n].strip()
        if len(piece) < WORK_MIN:
            return len(out) - n0
        out.append((f"{prefix}-{len(out):06d}", piece))
        pos += n


def zh_language() -> Language:
    rng = random.Random(SEED)
    real: list[tuple[str, str]] = []
    heldout: list[str] = []
    books: dict[str, list[str]] = {}
    for i, rec in enumerate(iter_docs("zh-classic-novels")):
        if i % 23 == 0:
            heldout.append(str(rec["text"]))
        else:
            books.setdefault(str(rec["book"]), []).append(str(rec["text"]))
    colls: dict[str, list[str]] = {}
    for rec in iter_docs("zh-chinese-poetry"):
        colls.setdefault(str(rec["collection"]).split("/")[0], []).append(str(rec["text"]))
    passages = [str(rec["text"]) for rec in iter_docs("zh-cmrc2018-wiki")]
    sources = {
        "zh-classic-novels (chapters cut)": sum(
            _stream_cut("\n".join(c), rng, "zh-novel", real) for c in books.values()
        ),
        "zh-chinese-poetry (poems grouped)": sum(
            _stream_cut("\n".join(p), rng, "zh-poems", real) for p in colls.values()
        ),
        "zh-cmrc2018-wiki (passages grouped)": _stream_cut(
            "\n".join(passages), rng, "zh-cmrc", real
        ),
    }
    return Language("zh", real, "\n".join(heldout), sources)


def ja_language() -> Language:
    heldout: list[str] = []
    seen: set[str] = set()
    keep: list[str] = []
    for rec in iter_docs("aozora-pd-ja"):
        title = str(rec["title"])
        if int(hashlib.sha256(title.encode()).hexdigest(), 16) % 10 == 0:
            heldout.append(str(rec["text"]))  # every edition of a held-out title
        elif title not in seen:  # one edition per title: no near-duplicate works
            seen.add(title)
            keep.append(str(rec["text"]))
    real: list[tuple[str, str]] = []
    n = _stream_cut("\n".join(keep), random.Random(SEED), "ja-aozora", real)
    return Language("ja", real, "\n".join(heldout), {"aozora-pd-ja (one edition per title)": n})


def en_language() -> Language:
    rng = random.Random(SEED)
    real: list[tuple[str, str]] = []
    heldout: list[str] = []
    seen: set[str] = set()
    for rec in iter_docs("en-gutenberg"):
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
CORPORA: dict[str, tuple[str, ...]] = {
    "zh": ("zh-classic-novels", "zh-chinese-poetry", "zh-cmrc2018-wiki"),
    "ja": ("aozora-pd-ja",),
    "en": ("en-gutenberg",),
}


# ---------------------------------------------------------------------------------------------
# Generated works


class Markov:
    """A token model fitted on the real works, sampled for a whole batch of works at once.

    Tokens are characters (zh, ja; order 2: the next character given the previous two) or
    whitespace-separated words (en; order 1). The training stream is circular, so every
    context (state) has a successor. A state's successors are stored most frequent first with
    their cumulative probabilities; each successor names the state it leads to.

    Sampling is vectorized across chains: a batch runs a few thousand chains of
    `CHAIN_STEPS` steps side by side (one step draws the next token of every chain with a few
    numpy gathers), then joins them and cuts the works. A draw starts from a guide table
    (Chen and Asau's indexed search: one entry per successor, pointing at the first successor
    whose cumulative probability passes the entry's lower edge), so it needs one or two
    comparisons on average; the rare longer ones continue on the few chains that need it.
    """

    def __init__(self, texts: Sequence[str], *, words: bool) -> None:
        self.words = words
        self.avg_len = 1.0
        if words:
            toks = np.array(" ".join(texts).split(), dtype=object)
            self.vocab, ids = np.unique(toks, return_inverse=True)
            self.avg_len = float(np.mean([len(t) for t in toks[:200_000]])) + 1.0
        else:
            cps = np.frombuffer("\n".join(texts).encode("utf-32-le"), dtype=np.uint32)
            self.vocab, ids = np.unique(cps, return_inverse=True)
        ids = ids.astype(np.int64)
        v = len(self.vocab)
        key = np.roll(ids, 1) if words else np.roll(ids, 2) * v + np.roll(ids, 1)
        pair, counts = np.unique(key * v + ids, return_counts=True)
        pk, pn = pair // v, pair % v
        ctx = np.unique(pk)
        ci = np.searchsorted(ctx, pk)
        order = np.lexsort((-counts, ci))  # by state, most frequent successor first
        pk, pn, counts, ci = pk[order], pn[order], counts[order], ci[order]
        first = np.flatnonzero(np.diff(ci, prepend=-1))
        last = np.append(first[1:], len(pk)) - 1
        csum = np.cumsum(counts)
        total = np.add.reduceat(counts, first)
        before = csum[first] - counts[first]
        self.cum = (csum - before[ci]) / total[ci]  # exactly 1.0 at each state's last entry
        self.next = pn
        self.first = first
        self.n_succ = (last - first + 1).astype(np.float64)
        self.nstate = np.searchsorted(ctx, pn if words else (pk % v) * v + pn)
        self.start_states = np.searchsorted(ctx, key)  # the state at each training position
        # guide table: entry e of state s (lower edge e / n_succ) -> first successor past it
        edges = ci + (np.arange(len(pk)) - first[ci]) / self.n_succ[ci]
        guide = np.searchsorted(ci + self.cum, edges, side="right")
        self.guide = np.minimum(guide, last[ci])

    def generate(self, lengths: Sequence[int], rng: np.random.Generator) -> list[str]:
        """Works of `lengths` characters (words: at most, cut at a space)."""
        total = int(sum(lengths))
        n_tokens = math.ceil(total / self.avg_len * (1.2 if self.words else 1.0)) + 1
        chains = math.ceil(n_tokens / CHAIN_STEPS)
        state = self.start_states[rng.integers(0, len(self.start_states), chains)]
        u = rng.random((CHAIN_STEPS, chains))
        out = np.empty((CHAIN_STEPS, chains), dtype=np.int64)
        for t in range(CHAIN_STEPS):
            ut = u[t]
            j = self.guide[self.first[state] + (ut * self.n_succ[state]).astype(np.int64)]
            j += ut >= self.cum[j]
            go = np.flatnonzero(ut >= self.cum[j])
            while len(go):
                j[go] += 1
                go = go[ut[go] >= self.cum[j[go]]]
            out[t] = self.next[j]
            state = self.nstate[j]
        stream = out.T.ravel()
        if not self.words:
            text = self.vocab[stream[:total]].astype(np.uint32).tobytes().decode("utf-32-le")
            ends = np.cumsum(lengths).tolist()
            return [text[e - n : e] for e, n in zip(ends, lengths)]
        text = " ".join(self.vocab[stream].tolist())
        works: list[str] = []
        pos = 0
        for n in lengths:
            end = text.rfind(" ", pos, pos + n + 1)
            end = pos + n if end <= pos else end
            works.append(text[pos:end])
            pos = end + 1
        return works


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


GENERATORS: dict[str, Callable[..., Markov | Windows]] = {"markov": Markov, "windows": Windows}


class WorkSet:
    """The first `n` works of a language: the real ones (at most `max_real`), then generated
    ones, a batch at a time. Texts of the `wanted` work ids are kept as they pass;
    `gen_seconds` is the CPU time spent making works (fitting the model included)."""

    def __init__(
        self, language: Language, n: int, generator: str = "markov", max_real: int | None = None
    ) -> None:
        self.language = language
        self.n = n
        self.generator = generator
        self.n_real = min(n, len(language.real), n if max_real is None else max_real)
        self.n_generated = n - self.n_real
        self.gen_seconds = 0.0
        self._gen: Markov | Windows | None = None
        if self.n_generated:
            t0 = time.process_time()
            self._gen = GENERATORS[generator](
                [t for _, t in language.real], words=language.lang == "en"
            )
            self.gen_seconds = time.process_time() - t0
        self.wanted: set[str] = set()
        self.kept: dict[str, str] = {}
        self.n_chars = 0
        self.utf8_bytes = 0

    def work_id(self, i: int) -> str:
        if i < self.n_real:
            return self.language.real[i][0]
        return f"{self.language.lang}-gen-{self.generator}-{i:07d}"

    def batch(self, b: int) -> list[tuple[str, str]]:
        """Works ``b * BATCH`` to ``(b + 1) * BATCH - 1`` (fewer in the last batch)."""
        lo, hi = b * BATCH, min(self.n, (b + 1) * BATCH)
        items = [self.language.real[i] for i in range(lo, min(hi, self.n_real))]
        g_lo = max(lo, self.n_real)
        if hi > g_lo and self._gen is not None:
            t0 = time.process_time()
            rng = np.random.default_rng([SEED, b])
            lengths = rng.integers(WORK_MIN, WORK_MAX + 1, hi - g_lo).tolist()
            texts = self._gen.generate(lengths, rng)
            items += [(self.work_id(g_lo + j), t) for j, t in enumerate(texts)]
            self.gen_seconds += time.process_time() - t0
        return items

    def batches(self) -> Iterator[list[tuple[str, str]]]:
        """Every batch in order, counting characters and keeping the wanted texts."""
        self.n_chars = self.utf8_bytes = 0
        for b in range(math.ceil(self.n / BATCH)):
            items = self.batch(b)
            for wid, text in items:
                self.n_chars += len(text)
                self.utf8_bytes += len(text.encode("utf-8"))
                if wid in self.wanted:
                    self.kept[wid] = text
            yield items

    def describe(self) -> str:
        src = ", ".join(f"{v:,} from {k}" for k, v in self.language.sources.items())
        if self.n_real < len(self.language.real):
            src = f"the first {self.n_real:,} of {len(self.language.real):,} real works ({src})"
        else:
            src = f"{self.n_real:,} real ({src})"
        if not self.n_generated:
            return f"{self.n:,} {self.language.lang} works: {src}"
        how = (
            ("order-1 word model" if self.language.lang == "en" else "order-2 character model")
            if self.generator == "markov"
            else f"windows of the real works, {EDIT_RATE:.0%} characters substituted"
        )
        return (
            f"{self.n:,} {self.language.lang} works: {src} + {self.n_generated:,} generated "
            f"({self.generator}: {how})"
        )


# ---------------------------------------------------------------------------------------------
# Articles


@dataclass
class Article:
    text: str
    target: str | None  # the work copied, None for an unrelated article
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
    """Move `i` to the next space for English (words are not glued to the inserted passage)."""
    if lang != "en":
        return i
    j = text.find(" ", i)
    return i if j < 0 else j


def make_articles(
    works: dict[str, str],
    targets: Sequence[str],
    n_unrelated: int,
    heldout: str,
    lang: str,
    seed: int,
    *,
    real: Callable[[str], bool] = lambda wid: "-gen-" not in wid,
) -> list[Article]:
    """Copying articles (a passage of each target work inside held-out text) and unrelated
    ones (held-out text alone), ARTICLE_CHARS each, shuffled."""
    rng = random.Random(seed)
    articles: list[Article] = []
    for wid in targets:
        work = works[wid]
        n = min(rng.randint(PASSAGE_MIN, PASSAGE_MAX), len(work))
        a = snap(work, rng.randint(0, len(work) - n), lang)
        passage = work[a : a + n]
        s = snap(heldout, rng.randint(0, len(heldout) - 3 * ARTICLE_CHARS), lang)
        filler = heldout[s : s + ARTICLE_CHARS - len(passage)]
        cut = snap(filler, rng.randint(0, len(filler)), lang)
        articles.append(Article(filler[:cut] + passage + filler[cut:], wid, real(wid)))
    for _ in range(n_unrelated):
        s = rng.randint(0, len(heldout) - ARTICLE_CHARS)
        articles.append(Article(heldout[s : s + ARTICLE_CHARS], None))
    rng.shuffle(articles)
    return articles


# ---------------------------------------------------------------------------------------------
# Long works


@dataclass
class LongWorks:
    """Works registered whole, the same text in pieces (piece id -> whole id) and held-out
    text for the articles."""

    name: str
    lang: str
    whole: list[tuple[str, str]]
    pieces: list[tuple[str, str]]
    piece_of: dict[str, str]
    heldout: str


def _cut_pieces(whole: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """PIECE_CHARS pieces of each work; a last piece shorter than half of that joins the one
    before it (a 3-character tail would be a work too short to find)."""
    out: list[tuple[str, str]] = []
    for wid, text in whole:
        cuts = list(range(0, len(text), PIECE_CHARS))
        if len(cuts) > 1 and len(text) - cuts[-1] < PIECE_CHARS // 2:
            cuts.pop()
        for j, (a, b) in enumerate(zip(cuts, [*cuts[1:], len(text)])):
            out.append((f"{wid}#{j}", text[a:b]))
    return out


def long_works(name: str) -> LongWorks:
    """``aozora``: every Aozora title once (the first edition of each author and title),
    whole and in PIECE_CHARS pieces, articles in ja-jglue text; ``novels``: the four classic
    novels whole and by chapter, articles in zh-cmrc2018-wiki text."""
    if name == "aozora":
        whole = [(f"aozora:{g[0]['id']}", str(g[0]["text"])) for g in aozora_groups().values()]
        pieces = _cut_pieces(whole)
        heldout = "\n".join(str(r["text"]) for r in iter_docs("ja-jglue"))
        lang = "ja"
    else:
        books: dict[str, list[tuple[str, str]]] = {}
        for rec in iter_docs("zh-classic-novels"):
            book = str(rec["book"])
            books.setdefault(book, []).append((f"{book}#{rec['chapter']}", str(rec["text"])))
        whole = [(b, "\n".join(t for _, t in ch)) for b, ch in books.items()]
        pieces = [p for ch in books.values() for p in ch]
        heldout = "\n".join(str(r["text"]) for r in iter_docs("zh-cmrc2018-wiki"))
        lang = "zh"
    piece_of = {pid: pid.split("#", 1)[0] for pid, _ in pieces}
    return LongWorks(name, lang, whole, pieces, piece_of, heldout)


def long_articles(lw: LongWorks, n: int, seed: int) -> list[Article]:
    """`n` articles, half copying a passage of a whole work chosen in proportion to its length
    (a passage drawn uniformly from all the text), half unrelated."""
    rng = random.Random(seed)
    weights = [len(t) for _, t in lw.whole]
    targets = [w for w, _ in rng.choices(lw.whole, weights=weights, k=n // 2)]
    return make_articles(
        dict(lw.whole), targets, n - n // 2, lw.heldout, lw.lang, seed, real=lambda w: True
    )


def describe_lengths(items: Sequence[tuple[str, Any]]) -> str:
    lens = sorted(len(t) for _, t in items) or [0]
    return (
        f"{len(lens):,} works, {sum(lens):,} characters (median {lens[len(lens) // 2]:,}, "
        f"max {lens[-1]:,})"
    )
