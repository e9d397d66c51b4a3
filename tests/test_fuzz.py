"""Fuzz tests: every public function on generated mixed-script text and on junk arguments.

API.md, "Errors": a valid ``str`` never raises (lone surrogates become U+FFFD one for one,
huge texts are processed in chunks, empty texts give empty results); argument errors raise the
documented classes, which also inherit the builtin a caller would catch. These properties feed
text built from every awkward corner of Unicode this library meets (Han including the astral
extensions B-G, kana including half-width forms and the combining voicing marks U+3099/U+309A,
Hangul syllables and conjoining jamo, full-width forms, combining sequences, lone surrogates,
invisible and bidi controls, variation selectors, tag characters, C0/C1 controls including NUL,
real fixture text with evasions, repetitions, and a few texts of some 100,000 characters) to
``normalize``, ``tokenize`` (every tokenizer installed), ``shingles``, ``fingerprint(s)``,
``MinHasher.signature(s)``, ``jaccard``, ``compare``, ``dedup``, ``LSHIndex``, ``Registry`` and
``evidence``, and check that outputs have the documented types, dtypes and shapes and that
every offset slices the input.

Example counts follow the hypothesis profile (tests/conftest.py): ``ci`` (the default,
derandomized: the same inputs on every run) runs a few thousand inputs in total, in the default
check (only ``test_long_text`` is marked ``slow``); ``HYPOTHESIS_PROFILE=fuzz`` runs
``TEXTPRINT_FUZZ_FACTOR`` (default 45) times as many, about 100,000 inputs
(``benchmarks/run_fuzz.py`` runs this file with that profile and prints the figures). With
``TEXTPRINT_FUZZ_COUNTS=path`` the number of inputs given to each public function is written to
``path`` (JSON) when the module ends.

Inputs that hit a bug already reported are recognised by ``KNOWN_BUG_*`` predicates and
skipped here; each of those bugs has a regression test at the end of this file marked
``xfail(strict=True)``. When a fix lands the regression test passes, strict xfail turns that
into a failure, and whoever removes the mark also removes the predicate. (None is open now.)
One documented limitation is skipped the same way: ``LANGUAGE_FLIP_LIMIT``.
"""

from __future__ import annotations

import collections
import json
import math
import os
import re
import unicodedata
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import textprint as tp
from helpers import tokenizer_available
from textprint import errors
from textprint.errors import InvalidInputError, InvalidParameterError, TooShortError
from textprint.hashing import hash_bytes
from textprint.minhash import EMPTY

# The CI slice and the full fuzz are the same properties at two sizes. Each property states
# its CI example count with `budget(n)`: under the default `ci` profile (tests/conftest.py:
# derandomized, so the same inputs on every run and machine) the default check runs exactly
# that, about 2,600 inputs in about a minute; under HYPOTHESIS_PROFILE=fuzz (`nox -s fuzz`,
# benchmarks/run_fuzz.py) each runs FUZZ_FACTOR times as many. Only the texts of 100,000+
# characters (test_long_text) are marked `slow`: they stay out of the default check.

FIXTURES = Path(__file__).parent / "fixtures"
FUZZ = os.environ.get("HYPOTHESIS_PROFILE", "ci") == "fuzz"
#: How many times more examples the fuzz profile runs than CI (45: about 100,000 inputs in
#: total). benchmarks/run_fuzz.py --factor sets it through the environment.
FUZZ_FACTOR = int(os.environ.get("TEXTPRINT_FUZZ_FACTOR", "45"))
SURROGATE = re.compile("[\ud800-\udfff]")
LANGS = {"zh", "ja", "ko", "other"}


def budget(ci: int, *, fuzz: int | None = None, **kwargs: Any) -> settings:
    """Settings with `ci` examples under the ci profile and FUZZ_FACTOR times as many under fuzz.

    Everything else (derandomize, deadline, database) comes from the loaded profile.
    """
    n = (fuzz if fuzz is not None else ci * FUZZ_FACTOR) if FUZZ else ci
    return settings(max_examples=n, **kwargs)


# --------------------------------------------------------------------------------- counting

COUNTS: collections.Counter[str] = collections.Counter()


def fuzzed(name: str, n: int = 1) -> None:
    """Count one input given to the public function `name`."""
    COUNTS[name] += n


@pytest.fixture(scope="module", autouse=True)
def _write_counts() -> Iterator[None]:
    yield
    path = os.environ.get("TEXTPRINT_FUZZ_COUNTS")
    if path:
        p = Path(path)
        old = json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}
        for name, n in COUNTS.items():
            old[name] = old.get(name, 0) + n
        p.write_text(json.dumps(old, indent=1, sort_keys=True) + "\n", encoding="utf-8")


# ------------------------------------------------------------------------------- strategies


def _chars(*ranges: tuple[int, int]) -> st.SearchStrategy[str]:
    return st.one_of([st.integers(a, b) for a, b in ranges]).map(chr)


#: Single characters of each kind of trouble, by code point range.
CHARS: dict[str, st.SearchStrategy[str]] = {
    "ascii": _chars((0x20, 0x7E)),
    "latin": _chars((0xC0, 0x24F), (0x1E00, 0x1EFF)),
    "lookalike": _chars((0x370, 0x3FF), (0x400, 0x4FF), (0x1D400, 0x1D7FF)),
    "han": _chars((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0xF900, 0xFAFF), (0x2E80, 0x2FDF)),
    "han_astral": _chars(
        (0x20000, 0x2A6DF),  # extension B
        (0x2A700, 0x2B73F),  # C
        (0x2B740, 0x2B81F),  # D
        (0x2B820, 0x2CEAF),  # E
        (0x2CEB0, 0x2EBEF),  # F
        (0x30000, 0x3134F),  # G
        (0x2F800, 0x2FA1F),  # compatibility ideographs supplement
    ),
    "kana": _chars((0x3041, 0x309F), (0x30A0, 0x30FF), (0x31F0, 0x31FF), (0x3099, 0x309A)),
    "halfwidth_kana": _chars((0xFF65, 0xFF9F), (0x3099, 0x309A)),
    "hangul": _chars((0xAC00, 0xD7A3), (0x3130, 0x318F), (0xFFA0, 0xFFDC)),
    "jamo": _chars((0x1100, 0x11FF), (0xA960, 0xA97F), (0xD7B0, 0xD7FF)),
    "fullwidth": _chars((0xFF01, 0xFF5E), (0xFFE0, 0xFFEE), (0x3000, 0x3000)),
    "compat": _chars((0x3200, 0x33FF), (0xFB00, 0xFB4F), (0x2460, 0x24FF), (0x2150, 0x218F)),
    "combining": _chars((0x300, 0x36F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF)),
    "surrogate": _chars((0xD800, 0xDFFF)),
    "invisible": _chars(
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x2064),
        (0x2066, 0x206F),
        (0xFEFF, 0xFEFF),
        (0xAD, 0xAD),
        (0x34F, 0x34F),
        (0x180B, 0x180F),
        (0x115F, 0x1160),
        (0x3164, 0x3164),
    ),
    "selector": _chars((0xFE00, 0xFE0F), (0xE0100, 0xE01EF)),
    "tag": _chars((0xE0000, 0xE007F)),
    "control": _chars((0x0, 0x1F), (0x7F, 0x9F)),
    "space": st.sampled_from(
        [
            *" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2007\u200a\u2028\u2029\u202f",
            "\u205f",
            "\u3000",
        ]
    ),
    "punct": _chars(
        (0x21, 0x2F), (0x3A, 0x40), (0x2010, 0x2027), (0x3000, 0x303F), (0xFE30, 0xFE4F)
    ),
    "other": _chars(
        (0x590, 0x6FF),  # Hebrew, Arabic
        (0xE00, 0xE7F),  # Thai
        (0x900, 0x97F),  # Devanagari
        (0xE000, 0xF8FF),  # private use
        (0xFFF0, 0xFFFF),  # specials, noncharacters
        (0x1F300, 0x1FAFF),  # emoji
        (0x10FFF0, 0x10FFFF),
    ),
}
ANY_CHAR = st.one_of(list(CHARS.values()))
#: Sequences known to exercise special paths of normalization.
SPECIAL = [
    "exam-\nple",
    "exam-\r\n  ple",
    "\r\n",
    "㈱",
    "ﬁ",
    "ｶﾞｷﾞ",
    "か\u3099",
    "\u3099か",
    "\u1100\u1161\u11a8",
    "\u1100\u1100\u1161\u1161",
    "e\u0301\u0327",
    "\u0301",
    "\u00ad\n",
    "學\u200b而",
    "ＡＢＣ",
    "раураl",
    "🇯🇵",
    "👨\u200d👩\u200d👧",
    "\U000e0067\U000e0062\U000e007f",
    "漢\ufe00\U000e0100",
    "\ud83d\ude00",  # a surrogate pair as two lone surrogates
    "\udfff\ud800",
    "\x00",
    "。",
    "…",
]


def _fixture_texts() -> list[str]:
    texts = []
    for name in ("zh_novel.txt", "ja_aozora.txt", "ja_aozora_old.txt", "en_gutenberg.txt"):
        texts.append((FIXTURES / name).read_text(encoding="utf-8"))
    for line in (FIXTURES / "zh_poems.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            texts.append(json.loads(line)["text"])
    return texts


REAL = _fixture_texts()


@st.composite
def fixture_cuts(draw: st.DrawFn, min_size: int = 0, max_size: int = 400) -> str:
    """A slice of a real text (tests/fixtures)."""
    text = draw(st.sampled_from(REAL))
    size = draw(st.integers(min(min_size, len(text)), min(max_size, len(text))))
    start = draw(st.integers(0, len(text) - size))
    return text[start : start + size]


@st.composite
def evasions(draw: st.DrawFn) -> str:
    """A real text with invisible characters, marks or selectors slipped between characters."""
    cut = draw(fixture_cuts(max_size=120))
    glue = draw(
        st.sampled_from(["invisible", "selector", "tag", "combining", "surrogate", "space"])
    )
    every = draw(st.integers(1, 5))
    out = []
    for i, c in enumerate(cut):
        out.append(c)
        if i % every == 0:
            out.append(draw(CHARS[glue]))
    return "".join(out)


PIECE = st.one_of(
    st.sampled_from(list(CHARS)).flatmap(lambda c: st.text(CHARS[c], min_size=1, max_size=12)),
    st.text(ANY_CHAR, max_size=12),
    fixture_cuts(max_size=200),
    evasions(),
    st.sampled_from(SPECIAL),
    st.text(max_size=8),  # hypothesis' own unicode text
)
REPEATED = st.tuples(PIECE, st.integers(2, 60)).map(lambda t: t[0] * t[1])
#: Mixed-script text of up to a few hundred characters.
TEXT = st.lists(st.one_of(PIECE, PIECE, PIECE, REPEATED), max_size=10).map("".join)


def long_text(seed: int, n: int) -> str:
    """`n` characters: real text, runs of every kind, repetitions, all from one seed.

    (The strategy draws the seed and the length, not the text, so a failure's report stays
    short.)
    """
    rng = np.random.default_rng(seed)
    ranges = {
        "han": [(0x4E00, 0x9FFF)],
        "han_astral": [(0x20000, 0x2A6DF), (0x30000, 0x3134F)],
        "kana": [(0x3041, 0x30FF), (0xFF65, 0xFF9F), (0x3099, 0x309A)],
        "hangul": [(0xAC00, 0xD7A3), (0x1100, 0x11FF)],
        "combining": [(0x300, 0x36F)],
        "surrogate": [(0xD800, 0xDFFF)],
        "invisible": [(0x200B, 0x200F), (0xE0000, 0xE007F), (0xFE00, 0xFE0F)],
        "control": [(0x0, 0x1F)],
        "punct": [(0x3000, 0x303F), (0x21, 0x2F)],
    }
    names = list(ranges)
    parts: list[str] = []
    size = 0
    while size < n:
        kind = rng.integers(0, 4)
        if kind <= 1:  # real text
            text = REAL[int(rng.integers(0, len(REAL)))]
            a = int(rng.integers(0, len(text)))
            part = text[a : a + int(rng.integers(1, 3000))]
        elif kind == 2:  # a run of one kind
            a, b = ranges[names[int(rng.integers(0, len(names)))]][0]
            cps = rng.integers(a, b + 1, size=int(rng.integers(1, 200)), dtype=np.uint32)
            part = cps.astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")
        else:  # a repetition
            part = SPECIAL[int(rng.integers(0, len(SPECIAL)))] * int(rng.integers(1, 2000))
        parts.append(part)
        size += len(part)
    return "".join(parts)[:n]


# --------------------------------------------------------------------------------- helpers


WORD_TOKENIZERS = [
    pytest.param(
        name,
        marks=pytest.mark.skipif(not tokenizer_available(name), reason=f"{name} is not installed"),
    )
    for name in ("jieba", "mecab", "sudachi")
]
INSTALLED = ["char"] + [n for n in ("jieba", "mecab", "sudachi") if tokenizer_available(n)]


def assert_spans(starts: Any, ends: Any, n: int, length: int) -> None:
    """int64 arrays of shape (n,), each span non-empty and inside a text of `length`."""
    for a in (starts, ends):
        assert isinstance(a, np.ndarray)
        assert a.dtype == np.int64
        assert a.shape == (n,)
    if n:
        assert int(starts.min()) >= 0
        assert int(ends.max()) <= length
        assert bool((starts < ends).all())


def assert_readonly(*arrays: np.ndarray) -> None:
    for a in arrays:
        assert not a.flags.writeable


def has_surrogates(*texts: str) -> bool:
    return any(SURROGATE.search(t) for t in texts)


def check_tokens(text: str, t: tp.Tokens, name: str) -> None:
    assert isinstance(t, tp.Tokens)
    assert isinstance(t.tokens, tuple)
    assert_spans(t.starts, t.ends, len(t.tokens), len(text))
    assert bool((np.diff(t.starts) >= 0).all()), "tokens are not in text order"
    for tok in t.tokens:
        assert isinstance(tok, str)
        assert tok
        assert not any(c.isspace() for c in tok), f"token {tok!r} carries white space"
        assert not SURROGATE.search(tok)
    assert t.lang in LANGS
    assert isinstance(t.tokenizer, str)
    assert t.tokenizer.startswith("char-" if name in ("auto", "char") else f"{name}-")


# ------------------------------------------------------------------------ text properties


@budget(300)
@given(TEXT)
def test_normalize(text: str) -> None:
    fuzzed("normalize")
    n = tp.normalize(text)
    assert isinstance(n, tp.Normalized)
    assert isinstance(n.text, str)
    assert_spans(n.starts, n.ends, len(n.text), len(text))
    assert_readonly(n.starts, n.ends)
    # spans are non-decreasing (API.md)
    assert bool((np.diff(n.starts) >= 0).all())
    assert bool((np.diff(n.ends) >= 0).all())
    # lone surrogates become U+FFFD one for one: same view, same offsets
    assert not SURROGATE.search(n.text)
    n.text.encode("utf-8")
    if has_surrogates(text):
        m = tp.normalize(SURROGATE.sub("\ufffd", text))
        assert m.text == n.text
        assert m.starts.tolist() == n.starts.tolist()
        assert m.ends.tolist() == n.ends.tolist()
    # idempotent (STYLE.md, "Properties worth stating")
    assert tp.normalize(n.text).text == n.text
    if n.text:
        a, b = n.source_span(0, len(n.text))
        assert 0 <= a < b <= len(text)


@budget(200)
@given(TEXT, st.sampled_from(["auto", "char"]))
def test_tokenize_char(text: str, name: str) -> None:
    fuzzed("tokenize[char]")
    check_tokens(text, tp.tokenize(text, tokenizer=name), name)


@pytest.mark.parametrize("name", WORD_TOKENIZERS)
@budget(60)
@given(text=TEXT)
def test_tokenize_word(name: str, text: str) -> None:
    fuzzed(f"tokenize[{name}]")
    check_tokens(text, tp.tokenize(text, tokenizer=name), name)


@budget(150)
@given(TEXT, st.integers(1, 8), st.sampled_from(INSTALLED))
def test_shingles(text: str, k: int, name: str) -> None:
    fuzzed("shingles")
    sh = tp.shingles(text, k=k, tokenizer=name)
    toks = tp.tokenize(text, tokenizer=name).tokens
    assert isinstance(sh, list)
    expected = max(0, len(toks) - k + 1) if len(toks) >= k else min(len(toks), 1)
    assert len(sh) == expected
    for i, s in enumerate(sh):
        assert isinstance(s, bytes)
        assert s == " ".join(toks[i : i + k]).encode("utf-8")


@budget(200)
@given(
    TEXT,
    st.integers(1, 8),
    st.integers(1, 12),
    st.integers(0, 2**64 - 1),
    st.sampled_from(INSTALLED),
)
def test_fingerprint(text: str, k: int, window: int, seed: int, name: str) -> None:
    fuzzed("fingerprint")
    fp = tp.fingerprint(text, k=k, window=window, seed=seed, tokenizer=name)
    assert isinstance(fp, tp.Fingerprint)
    n = len(fp.hashes)
    assert fp.hashes.dtype == np.uint64
    assert fp.hashes.shape == (n,)
    assert_spans(fp.starts, fp.ends, n, len(text))
    assert fp.positions.dtype == np.int64
    assert_readonly(fp.hashes, fp.starts, fp.ends, fp.positions)
    t = tp.tokenize(text, tokenizer=name)
    sh = tp.shingles(text, k=k, tokenizer=name)
    assert fp.n_shingles == len(sh)
    assert (fp.params.k, fp.params.window, fp.params.seed) == (k, window, seed)
    assert fp.params.tokenizer == t.tokenizer
    if fp.n_shingles == 0:
        assert n == 0
        return
    pos = fp.positions
    assert bool((np.diff(pos) > 0).all())
    assert int(pos[0]) >= 0
    assert int(pos[-1]) < fp.n_shingles
    # every `window` consecutive shingles yield a fingerprint (Schleimer et al. 2003)
    gaps = np.diff(np.concatenate([[-1], pos, [fp.n_shingles]]))
    assert int(gaps.max()) <= window, "a window of shingles has no fingerprint"
    # the text path hashes what the bytes path hashes; spans are the shingles' token spans
    assert fp.hashes.tolist() == hash_bytes([sh[i] for i in pos.tolist()], seed=seed).tolist()
    last = np.minimum(pos + k - 1, len(t.tokens) - 1)
    assert fp.starts.tolist() == t.starts[pos].tolist()
    assert fp.ends.tolist() == t.ends[last].tolist()


@budget(60)
@given(st.lists(TEXT, max_size=6), st.integers(1, 6), st.integers(1, 8))
def test_fingerprints_batch(texts: list[str], k: int, window: int) -> None:
    fuzzed("fingerprints")
    batch = tp.fingerprints(texts, k=k, window=window)
    assert isinstance(batch, list)
    assert len(batch) == len(texts)
    for text, fp in zip(texts, batch):
        one = tp.fingerprint(text, k=k, window=window)
        assert fp.hashes.tolist() == one.hashes.tolist()
        assert fp.starts.tolist() == one.starts.tolist()
        assert fp.ends.tolist() == one.ends.tolist()
        assert fp.n_shingles == one.n_shingles


@st.composite
def hashers(draw: st.DrawFn) -> tp.MinHasher:
    scheme = draw(st.sampled_from(["oph", "classic", "datasketch"]))
    seed = draw(st.integers(0, 2**32 - 1 if scheme == "datasketch" else 2**64 - 1))
    return tp.MinHasher(
        draw(st.integers(1, 64)),
        k=draw(st.integers(1, 7)),
        seed=seed,
        scheme=scheme,
        tokenizer=draw(st.sampled_from(INSTALLED)),
    )


@budget(200)
@given(TEXT, hashers())
def test_signature(text: str, mh: tp.MinHasher) -> None:
    fuzzed("MinHasher.signature")
    has_tokens = bool(tp.tokenize(text, tokenizer=mh.tokenizer).tokens)
    try:
        sig = mh.signature(text)
    except TooShortError:
        assert not has_tokens, "TooShortError for a text that has tokens"
        return
    assert has_tokens, "a signature for a text without tokens"
    assert isinstance(sig, np.ndarray)
    assert sig.dtype == np.uint64
    assert sig.shape == (mh.n_hashes,)
    assert not bool((sig == EMPTY).any())
    # mh.signature(text) == mh.signature(tp.shingles(text)) (API.md)
    again = mh.signature(tp.shingles(text, k=mh.k, tokenizer=mh.tokenizer))
    assert sig.tolist() == again.tolist()
    assert tp.jaccard(sig, sig) == 1.0


@budget(60)
@given(st.lists(TEXT, max_size=6), hashers(), st.integers(1, 300))
def test_signatures_batch(texts: list[str], mh: tp.MinHasher, chunk_chars: int) -> None:
    fuzzed("MinHasher.signatures")
    sigs = mh.signatures(texts, chunk_chars=chunk_chars)
    assert isinstance(sigs, tp.Signatures)
    assert sigs.values.dtype == np.uint64
    assert sigs.values.shape == (len(texts), mh.n_hashes)
    assert sigs.valid.dtype == np.bool_
    assert sigs.valid.shape == (len(texts),)
    assert np.asarray(sigs) is sigs.values
    assert sigs.params == mh.params
    # chunking changes nothing
    assert sigs.values.tolist() == mh.signatures(texts).values.tolist()
    for text, row, ok in zip(texts, sigs.values, sigs.valid.tolist()):
        assert ok == bool(tp.tokenize(text, tokenizer=mh.tokenizer).tokens)
        if ok:
            assert row.tolist() == mh.signature(text).tolist()
        else:
            assert bool((row == EMPTY).all())


@budget(100)
@given(TEXT, TEXT, st.integers(1, 64))
def test_jaccard(a: str, b: str, n_hashes: int) -> None:
    fuzzed("jaccard")
    sigs = tp.MinHasher(n_hashes, k=2).signatures([a, b])
    j = tp.jaccard(sigs.values[0], sigs.values[1])
    assert isinstance(j, float)
    assert 0.0 <= j <= 1.0
    assert j == tp.jaccard(sigs.values[1], sigs.values[0])
    rows = tp.jaccard(sigs.values, sigs.values[::-1])
    assert isinstance(rows, np.ndarray)
    assert rows.dtype == np.float64
    assert rows.shape == (2,)
    assert rows.tolist() == [j, j]
    for row, ok in zip(sigs.values, sigs.valid.tolist()):
        assert tp.jaccard(row, row) == (1.0 if ok else 0.0)


@st.composite
def query_source(draw: st.DrawFn) -> tuple[str, str]:
    """A source and a query that, half of the time, copies a slice of it inside noise."""
    source = draw(st.one_of(TEXT, fixture_cuts(min_size=50, max_size=800)))
    if draw(st.booleans()) and source:
        a = draw(st.integers(0, len(source) - 1))
        b = draw(st.integers(a + 1, len(source)))
        return draw(TEXT) + source[a:b] + draw(TEXT), source
    return draw(TEXT), source


def check_passages(passages: Any, query: str, source: str) -> None:
    assert isinstance(passages, tuple)
    prev_end = 0
    for p in passages:
        assert isinstance(p, tp.Passage)
        assert all(type(x) is int for x in p)
        assert 0 <= p.query_start < p.query_end <= len(query)
        assert 0 <= p.source_start < p.source_end <= len(source)
        assert p.query_start >= prev_end, "passages overlap or are out of query order"
        prev_end = p.query_end


@budget(150)
@given(query_source(), st.integers(1, 6), st.sampled_from(INSTALLED))
def test_compare(pair: tuple[str, str], k: int, name: str) -> None:
    fuzzed("compare")
    query, source = pair
    c = tp.compare(query, source, k=k, tokenizer=name)
    assert isinstance(c, tp.Comparison)
    check_passages(c.passages, query, source)
    for x in (c.containment, c.source_containment, c.jaccard):
        assert isinstance(x, float)
        assert 0.0 <= x <= 1.0
    if not c.passages:
        assert c.containment == 0.0
        assert c.source_containment == 0.0
    # a text compared with itself has Jaccard 1 (when it has any shingle)
    same = tp.compare(source, source, k=k, tokenizer=name)
    assert same.jaccard == (1.0 if tp.shingles(source, k=k, tokenizer=name) else 0.0)
    check_passages(same.passages, source, source)


@budget(30)
@given(st.lists(TEXT, min_size=1, max_size=5), st.lists(st.integers(0, 9), max_size=8))
def test_dedup(texts: list[str], copies: list[int]) -> None:
    fuzzed("dedup")
    # append exact copies of some texts: they must share a label when they have a shingle
    corpus = texts + [texts[i % len(texts)] for i in copies]
    labels = tp.dedup(corpus, threshold=0.8, n_hashes=16)
    assert isinstance(labels, np.ndarray)
    assert labels.dtype == np.int64
    assert labels.shape == (len(corpus),)
    idx = np.arange(len(corpus))
    assert bool((labels <= idx).all())
    assert bool((labels[labels] == labels).all()), "a label is not its cluster's smallest member"
    sigs = tp.MinHasher(16).signatures(corpus)
    for i, text in enumerate(corpus):
        if not sigs.valid[i]:
            assert labels[i] == i, "a too-short text was clustered"
        else:
            first = corpus.index(text)
            assert labels[i] == labels[first], "exact copies were not clustered"
    assert tp.dedup(sigs, threshold=0.8).tolist() == labels.tolist()


@budget(60)
@given(
    st.lists(TEXT, min_size=1, max_size=6),
    st.floats(0.05, 1.0),
    st.integers(4, 48),
    st.booleans(),
)
def test_lsh_index(texts: list[str], threshold: float, n_hashes: int, int_keys: bool) -> None:
    fuzzed("LSHIndex.add")
    mh = tp.MinHasher(n_hashes, k=2)
    sigs = mh.signatures(texts)
    keys: list[str | int] = (
        list(range(len(texts))) if int_keys else [f"{t[:8]}#{i}" for i, t in enumerate(texts)]
    )
    index = tp.LSHIndex.for_threshold(threshold, n_hashes=n_hashes)
    index.add(keys, sigs)
    assert len(index) == len(texts)
    many = index.query_many(sigs)
    assert len(many) == len(texts)
    for key, row, ok, matches in zip(keys, sigs.values, sigs.valid.tolist(), many):
        fuzzed("LSHIndex.query")
        got = index.query(row)
        assert got == matches
        assert all(isinstance(m, tp.Match) for m in got)
        est = [m.estimated_jaccard for m in got]
        assert est == sorted(est, reverse=True)
        assert all(threshold - 1e-9 <= e <= 1.0 for e in est)
        if ok:
            assert tp.Match(key, 1.0) in got, "a signature does not find itself"
        else:
            assert got == [], "a too-short signature matched"


def LANGUAGE_FLIP_LIMIT(work: str, post: str) -> bool:  # noqa: N802
    """The noise changed how the copy is folded: the document's language, or the language of
    the copy's first or last sentence. A documented limitation, not an open bug
    (docs/explanation/normalization.md, step 5): sentences of 8+ Han without kana inside keep
    their fold whatever surrounds them (test_kana_next_to_a_traditional_copy_does_not_hide_it),
    shorter Han-only ones follow the document, which enough added kana makes Japanese.
    """
    inner = tp.normalize(work).text[2:-2]
    return tp.tokenize(work).lang != tp.tokenize(post).lang or inner not in tp.normalize(post).text


@st.composite
def copied_into_noise(draw: st.DrawFn) -> tuple[str, str]:
    """A work (a real text of 300+ characters) and a post that copies it inside fuzz noise."""
    work = draw(fixture_cuts(min_size=300, max_size=1500))
    return work, draw(TEXT) + work + draw(TEXT)


WORK_IDS = st.one_of(st.integers(-(2**63), 2**63 - 1), TEXT)
METADATA = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)


@budget(20)
@given(
    st.lists(st.tuples(WORK_IDS, TEXT, METADATA), max_size=3, unique_by=lambda t: str(t[0])),
    copied_into_noise(),
    TEXT,
)
def test_registry(works: list[tuple[Any, str, Any]], copy: tuple[str, str], other: str) -> None:
    work, post = copy
    with tp.Registry(n_hashes=32) as reg:
        ids = []
        for work_id, text, meta in works:
            fuzzed("Registry.register")
            reg.register(work_id, text, meta, too_short="accept")
            ids.append(work_id)
            got = reg.get(work_id)
            assert got.text == text
            assert got.metadata == meta
        fuzzed("Registry.register")
        reg.register("the-work", work, replace=True)
        assert len(reg) == len(set(map(str, ids)) | {"the-work"})
        texts = {**{w: t for w, t, _ in works}, "the-work": work}
        for query in (post, other, *[t for _, t, _ in works]):
            fuzzed("Registry.check")
            hits = reg.check(query)
            assert isinstance(hits, list)
            copied = [h.copied_chars for h in hits]
            assert copied == sorted(copied, reverse=True)
            for h in hits:
                assert isinstance(h, tp.Hit)
                assert h.work_id in texts
                check_passages(h.passages, query, texts[h.work_id])
                for x in (h.containment, h.source_containment, h.jaccard):
                    assert 0.0 <= x <= 1.0
            if query is post and not LANGUAGE_FLIP_LIMIT(work, post):
                # copied text inside noise is found
                assert "the-work" in [h.work_id for h in hits], "a verbatim copy was missed"
        assert [len(h) for h in reg.check_many([post, other])] == [
            len(reg.check(post)),
            len(reg.check(other)),
        ]


@budget(60)
@given(query_source())
def test_evidence(pair: tuple[str, str]) -> None:
    fuzzed("evidence")
    query, source = pair
    c = tp.compare(query, source)
    ev = tp.evidence(query, c, source=source)
    assert isinstance(ev, tp.Evidence)
    page = ev.to_html()
    assert isinstance(page, str)
    assert page.startswith("<!DOCTYPE html>")
    raw = ev.to_json()
    assert isinstance(raw, str)
    d = json.loads(raw)
    assert d["query"]["length"] == len(query)
    assert len(d["matches"]) == (1 if c.passages else 0)
    for m in d["matches"]:
        for p, want in zip(m["passages"], c.passages):
            assert (p["query_start"], p["query_end"], p["source_start"], p["source_end"]) == want
            # UTF-16 offsets count a code point above U+FFFF as two units
            for side, text in (("query", query), ("source", source)):
                for end in ("start", "end"):
                    cp = p[f"{side}_{end}"]
                    units = len(text[:cp].encode("utf-16-le", "surrogatepass")) // 2
                    assert p[f"{side}_{end}_utf16"] == units
    # lone surrogates are written as U+FFFD, one for one: the page and the JSON are UTF-8
    page.encode("utf-8")
    raw.encode("utf-8")


@pytest.mark.slow  # huge texts: minutes, not seconds (nox -s slow, nox -s fuzz)
@budget(2, fuzz=20, suppress_health_check=list(HealthCheck))
@given(st.integers(0, 2**32 - 1), st.integers(100_000, 400_000), st.sampled_from(INSTALLED))
def test_long_text(seed: int, size: int, name: str) -> None:
    """A few texts of 100,000-400,000 characters through every stage (one tokenizer each)."""
    fuzzed("long_text")
    text = long_text(seed, size)
    n = tp.normalize(text)
    assert_spans(n.starts, n.ends, len(n.text), len(text))
    t = tp.tokenize(text, tokenizer=name)
    check_tokens(text, t, name)
    fp = tp.fingerprint(text)
    assert_spans(fp.starts, fp.ends, len(fp.hashes), len(text))
    sig = tp.MinHasher(64).signatures([text, text[::7]])
    assert sig.values.shape == (2, 64)
    cut = text[len(text) // 3 : len(text) // 3 + 20_000]
    c = tp.compare(cut, text)
    check_passages(c.passages, cut, text)
    with tp.Registry() as reg:
        reg.register("long", text)
        for h in reg.check(cut):
            check_passages(h.passages, cut, text)
    ev = tp.evidence(cut, c, source=text)
    json.loads(ev.to_json())


# --------------------------------------------------------------------- argument errors

#: The builtin each documented error class also inherits (API.md, "Errors").
BUILTIN = {
    InvalidParameterError: ValueError,
    InvalidInputError: TypeError,
    TooShortError: ValueError,
    errors.IncompatibleError: ValueError,
    errors.FormatError: ValueError,
    errors.DuplicateWorkError: KeyError,
    errors.UnknownWorkError: KeyError,
    errors.StorageError: OSError,
    errors.MissingDependencyError: ImportError,
}

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.integers(-3, 300),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.binary(max_size=4),
    st.lists(st.one_of(st.integers(-3, 3), st.text(max_size=2), st.none()), max_size=3),
    st.tuples(st.integers(0, 3), st.text(max_size=2)),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.complex_numbers(allow_nan=False, max_magnitude=4),
    st.just(Fraction(1, 2)),
    st.just(object()),
    st.just(bytearray(b"ab")),
    st.just(memoryview(b"ab")),
    st.just(Path(".")),
    st.sampled_from(
        [
            np.int64(3),
            np.uint64(2**63),
            np.float64(0.5),
            np.float32(float("nan")),
            np.zeros(3),
            np.zeros(4, dtype=np.uint64),
            np.zeros((2, 4), dtype=np.uint64),
            np.zeros((0, 4), dtype=np.uint64),
            np.zeros((2, 0), dtype=np.uint64),
            np.zeros((1, 1, 4), dtype=np.uint64),
            np.array("x"),
            np.array([1, 2], dtype=object),
        ]
    ),
)

T = "天下大势，分久必合，合久必分。周末七国分争，并入于秦。To be, or not to be."


class Env:
    """Objects the argument-error calls act on (built once, lazily)."""

    _built: Env | None = None

    def __init__(self) -> None:
        self.mh = tp.MinHasher(4)
        self.sigs = self.mh.signatures([T, "x y z w v"])
        self.sig = self.sigs.values[0]
        self.cmp = tp.compare(T, T)
        self.index = tp.LSHIndex(0.5, n_hashes=4)
        self.index.add(["a", "b"], self.sigs)
        self.reg = tp.Registry(n_hashes=4)
        self.reg.register("w", T)
        self.hits = self.reg.check(T)

    @classmethod
    def get(cls) -> Env:
        if cls._built is None:
            cls._built = cls()
        return cls._built


def _int_in(j: Any, lo: int, hi: int) -> bool:
    return isinstance(j, (int, np.integer)) and not isinstance(j, bool) and lo <= int(j) <= hi


# Known bugs (each has a strict-xfail regression test below); inputs that hit them are skipped.
def _valid_but_costly_n_hashes(j: Any) -> bool:
    # valid values above a few hundred are correct but slow (see test_bounded.py)
    return _int_in(j, 257, 2**16)


#: name -> (call with the junk value, predicate of junk values to skip)
CALLS: dict[str, tuple[Callable[[Env, Any], Any], Callable[[Any], bool] | None]] = {
    "normalize(text)": (lambda e, j: tp.normalize(j), None),
    "tokenize(text)": (lambda e, j: tp.tokenize(j), None),
    "tokenize(tokenizer)": (lambda e, j: tp.tokenize(T, tokenizer=j), None),
    "shingles(text)": (lambda e, j: tp.shingles(j), None),
    "shingles(k)": (lambda e, j: tp.shingles(T, k=j), None),
    "shingles(tokenizer)": (lambda e, j: tp.shingles(T, tokenizer=j), None),
    "fingerprint(text)": (lambda e, j: tp.fingerprint(j), None),
    "fingerprint(k)": (lambda e, j: tp.fingerprint(T, k=j), None),
    "fingerprint(window)": (lambda e, j: tp.fingerprint(T, window=j), None),
    "fingerprint(seed)": (lambda e, j: tp.fingerprint(T, seed=j), None),
    "fingerprint(tokenizer)": (lambda e, j: tp.fingerprint(T, tokenizer=j), None),
    "fingerprints(texts)": (lambda e, j: tp.fingerprints(j), None),
    "fingerprints([text, junk])": (lambda e, j: tp.fingerprints([T, j]), None),
    "MinHasher(n_hashes)": (lambda e, j: tp.MinHasher(j), None),
    "MinHasher(k)": (lambda e, j: tp.MinHasher(4, k=j).signature(T), None),
    "MinHasher(seed)": (lambda e, j: tp.MinHasher(4, seed=j).signature(T), None),
    "MinHasher(scheme)": (lambda e, j: tp.MinHasher(4, scheme=j), None),
    "MinHasher(tokenizer)": (lambda e, j: tp.MinHasher(4, tokenizer=j), None),
    "signature(data)": (lambda e, j: e.mh.signature(j), None),
    "signature([junk])": (lambda e, j: e.mh.signature([j]), None),
    "signatures(texts)": (lambda e, j: e.mh.signatures(j), None),
    "signatures(chunk_chars)": (lambda e, j: e.mh.signatures([T], chunk_chars=j), None),
    "jaccard(a)": (lambda e, j: tp.jaccard(j, e.sig), None),
    "jaccard(b)": (lambda e, j: tp.jaccard(e.sig, j), None),
    "compare(query)": (lambda e, j: tp.compare(j, T), None),
    "compare(source)": (lambda e, j: tp.compare(T, j), None),
    "compare(k)": (lambda e, j: tp.compare(T, T, k=j), None),
    "compare(seed)": (lambda e, j: tp.compare(T, T, seed=j), None),
    "compare(min_tokens)": (lambda e, j: tp.compare(T, T, min_tokens=j), None),
    "compare(gap)": (lambda e, j: tp.compare(T, T, gap=j), None),
    "dedup(texts)": (lambda e, j: tp.dedup(j, n_hashes=4), None),
    "dedup(threshold)": (lambda e, j: tp.dedup([T, T], j, n_hashes=4), None),
    "dedup(n_hashes)": (lambda e, j: tp.dedup([T, T], n_hashes=j), _valid_but_costly_n_hashes),
    "dedup(max_bucket)": (lambda e, j: tp.dedup([T, T], n_hashes=4, max_bucket=j), None),
    "LSHIndex(threshold)": (lambda e, j: tp.LSHIndex(j, n_hashes=4), None),
    "LSHIndex(n_hashes)": (lambda e, j: tp.LSHIndex(0.5, n_hashes=j), _valid_but_costly_n_hashes),
    "LSHIndex(bands)": (lambda e, j: tp.LSHIndex(0.5, n_hashes=4, bands=j, rows=1), None),
    "LSHIndex.for_threshold(threshold)": (
        lambda e, j: tp.LSHIndex.for_threshold(j, n_hashes=4),
        None,
    ),
    "LSHIndex.add(keys)": (lambda e, j: tp.LSHIndex(0.5, n_hashes=4).add(j, e.sigs), None),
    "LSHIndex.add(signatures)": (lambda e, j: tp.LSHIndex(0.5, n_hashes=4).add(["a"], j), None),
    "LSHIndex.query(signature)": (lambda e, j: e.index.query(j), None),
    "LSHIndex.query(threshold)": (lambda e, j: e.index.query(e.sig, threshold=j), None),
    "LSHIndex.query(top_k)": (lambda e, j: e.index.query(e.sig, top_k=j), None),
    "LSHIndex.query_many(signatures)": (lambda e, j: e.index.query_many(j), None),
    "LSHIndex.remove(keys)": (lambda e, j: tp.LSHIndex(0.5, n_hashes=4).remove(j), None),
    "Registry(k)": (lambda e, j: tp.Registry(k=j, n_hashes=4).close(), None),
    "Registry(window)": (lambda e, j: tp.Registry(window=j, n_hashes=4).close(), None),
    "Registry(n_hashes)": (
        lambda e, j: tp.Registry(n_hashes=j).close(),
        _valid_but_costly_n_hashes,
    ),
    "Registry(tokenizer)": (lambda e, j: tp.Registry(tokenizer=j, n_hashes=4).close(), None),
    "Registry(scheme)": (lambda e, j: tp.Registry(scheme=j, n_hashes=4).close(), None),
    "Registry.register(work_id)": (lambda e, j: e.reg.register(j, T, replace=True), None),
    "Registry.register(text)": (lambda e, j: e.reg.register("x", j, replace=True), None),
    "Registry.register(metadata)": (lambda e, j: e.reg.register("x", T, j, replace=True), None),
    "Registry.register_many(items)": (lambda e, j: e.reg.register_many(j, replace=True), None),
    "Registry.check(text)": (lambda e, j: e.reg.check(j), None),
    "Registry.check(min_chars)": (lambda e, j: e.reg.check(T, min_chars=j), None),
    "Registry.check(min_containment)": (lambda e, j: e.reg.check(T, min_containment=j), None),
    "Registry.check(top_k)": (lambda e, j: e.reg.check(T, top_k=j), None),
    "Registry.check_many(texts)": (lambda e, j: e.reg.check_many(j), None),
    "Registry.get(work_id)": (lambda e, j: e.reg.get(j), None),
    "Registry.remove(work_id)": (lambda e, j: e.reg.remove(j), None),
    "evidence(query)": (lambda e, j: tp.evidence(j, e.cmp, source=T), None),
    "evidence(matches)": (lambda e, j: tp.evidence(T, j, registry=e.reg), None),
    "evidence(source)": (lambda e, j: tp.evidence(T, e.cmp, source=j), None),
    "evidence(settings)": (
        lambda e, j: tp.evidence(T, e.cmp, source=T, settings=j).to_json(),
        None,
    ),
}


@budget(500)
@given(st.sampled_from(sorted(CALLS)), JUNK)
def test_argument_errors_are_documented(name: str, junk: Any) -> None:
    call, skip = CALLS[name]
    if skip is not None and skip(junk):
        return
    fuzzed("argument errors")
    env = Env.get()
    # anything but a TextprintError propagates and fails the test: internal errors are bugs
    try:
        call(env, junk)
    except errors.TextprintError as exc:
        error = exc
    else:
        return
    cls = type(error)
    assert cls in BUILTIN or issubclass(cls, errors.StorageError), f"{name}: undocumented {cls}"
    builtin = next(b for c, b in BUILTIN.items() if isinstance(error, c))
    assert isinstance(error, builtin), f"{name}: {cls.__name__} is not a {builtin.__name__}"
    assert str(error), f"{name}: {cls.__name__} without a message"
    # none of these calls reads a file (every Registry here is in memory)
    assert not isinstance(error, errors.FormatError), f"{name}: {error}"


# ------------------------------------------------------------------ regression tests (bugs)
# Each of these is a bug found by the properties above, reduced to its smallest input.


#: The largest k (fingerprint's docstring: "1 to 2**32").
K_LIMIT = 2**32


@pytest.mark.parametrize("k", [K_LIMIT - 1, K_LIMIT, K_LIMIT + 1, 2**63 - 1, 2**63, 2**64, 10**30])
def test_huge_k_is_one_shingle_or_a_parameter_error(k: int) -> None:
    # up to the limit, a k above the number of tokens is one shingle of all of them (as
    # k=100 gives for these texts); above it, every entry point refuses k by name
    texts = ["a b c", "d e f g", "h i"]
    if k > K_LIMIT:
        for call in (
            lambda: tp.fingerprints(texts, k=k),
            lambda: tp.MinHasher(4, k=k),
            lambda: tp.compare(texts[0], texts[0], k=k),
        ):
            with pytest.raises(InvalidParameterError, match="k="):
                call()
        return
    want = [f.hashes.tolist() for f in tp.fingerprints(texts, k=100)]
    assert [f.hashes.tolist() for f in tp.fingerprints(texts, k=k)] == want
    sigs = tp.MinHasher(4, k=k).signatures(texts).values
    assert sigs.tolist() == tp.MinHasher(4, k=100).signatures(texts).values.tolist()
    c = tp.compare(texts[1], texts[1], k=k)
    assert c.jaccard == 1.0
    assert c.containment == 1.0


@pytest.mark.parametrize("n", range(1, 12))
def test_identical_short_text_is_contained(n: int) -> None:
    text = "天下大势分久必合合久必分"[:n]
    c = tp.compare(text, text)
    assert c.jaccard == 1.0
    assert c.containment == 1.0, f"{n} characters: passages {c.passages}"


@pytest.mark.parametrize("small", ["\u31f0", "\u3095", "\u31f3", "\u3096"])
def test_small_kana_with_a_voicing_mark_is_composed(small: str) -> None:
    n = tp.normalize(small + "\u3099")  # found by test_normalize: ' ㇰ゙'
    assert tp.normalize(n.text).text == n.text
    assert n.text == unicodedata.normalize("NFC", n.text)
    assert len(tp.tokenize(small + "\u3099").tokens) == 1


def test_passages_split_inside_one_expanded_character_overlap() -> None:
    p1 = "天下大势分久必合合久必分周末七国分争并入于秦及秦灭之后"
    p2 = "楚汉分争又并入于汉汉朝自高祖斩白蛇而起义一统天下后来光武"
    source = p1 + "平。今天天气很好我们去公园散步吧然后回家吃饭睡觉。成" + p2
    query = p1 + "㍻" + p2  # found by test_long_text (seed=1067635517, size=239376)
    c = tp.compare(query, source)
    assert len(c.passages) == 2
    first, second = c.passages
    assert first.query_end <= second.query_start, c.passages


@pytest.mark.parametrize(
    ("work", "post"),
    [
        # found by test_registry (ci profile): the document becomes Japanese
        ("牀前看月光，疑是地上霜。\n舉頭望山月，低頭思故鄉。", "{} ぁぁぁ"),
        # found by test_registry (fuzz profile, seed 0): the first sentence becomes Japanese
        ("春眠不覺曉，處處聞啼鳥。\n夜來風雨聲，花落知多少。", "ぁぁ{}"),
    ],
)
def test_kana_next_to_a_traditional_copy_does_not_hide_it(work: str, post: str) -> None:
    with tp.Registry() as reg:
        reg.register("poem", work)
        assert [h.work_id for h in reg.check(work)] == ["poem"]
        assert [h.work_id for h in reg.check(post.format(work))] == ["poem"]


def test_zero_d_array_as_matches_or_items_is_an_input_error() -> None:
    # found by the full run (seed 0): a 0-d array claims to be iterable, then raises TypeError
    with tp.Registry(n_hashes=4) as reg:
        with pytest.raises(InvalidInputError, match="ndarray"):
            tp.evidence(T, np.array("x"), registry=reg)  # type: ignore[arg-type]
        with pytest.raises(InvalidInputError, match="ndarray"):
            reg.register_many(np.array("x"))
        assert len(reg) == 0


@pytest.mark.parametrize("top_k", [2**63, 10**30])
def test_top_k_beyond_int64_keeps_every_match(top_k: int) -> None:
    # found by the full run (seed 0): starts + top_k overflowed int64 (OverflowError)
    mh = tp.MinHasher(16)
    index = tp.LSHIndex(0.5, n_hashes=16)
    index.add(["a", "b"], mh.signatures([T, T + "。"]))
    sig = mh.signature(T)
    assert index.query(sig, top_k=top_k) == index.query(sig)
    assert index.query_many(mh.signatures([T]), top_k=top_k) == [index.query(sig)]


def test_work_id_with_lone_surrogate() -> None:
    # stored losslessly (a BLOB of its UTF-8 with surrogates passed through), like the text
    with tp.Registry(n_hashes=4) as reg:
        reg.register("a\ud800", T)
        assert reg.get("a\ud800").text == T
        assert "a\ud800" in reg
        assert list(reg) == ["a\ud800"]
        assert [h.work_id for h in reg.check(T)] == ["a\ud800"]
        reg.remove("a\ud800")
        assert len(reg) == 0


def test_metadata_with_lone_surrogate() -> None:
    with tp.Registry(n_hashes=4) as reg:
        reg.register("a", T, {"title": "\ud800"})
        assert reg.get("a").metadata == {"title": "\ud800"}


@pytest.mark.parametrize("render", ["to_html", "to_json"])
def test_report_with_lone_surrogate_is_utf8(render: str) -> None:
    source = "话说天下大势，分久必合，合久必分。周末七国分争，并入于秦。"
    query = "\ud800转：" + source
    ev = tp.evidence(query, tp.compare(query, source), source=source)
    getattr(ev, render)().encode("utf-8")


def test_lsh_save_key_with_lone_surrogate(tmp_path: Path) -> None:
    index = tp.LSHIndex(0.5, n_hashes=4)
    index.add(["\ud800"], tp.MinHasher(4).signatures([T]))
    index.save(tmp_path / "index.tpl")
    assert tp.LSHIndex.load(tmp_path / "index.tpl").keys() == ["\ud800"]


def test_jaccard_ragged_input_is_a_parameter_error() -> None:
    with pytest.raises(InvalidParameterError):
        tp.jaccard([[1], [1, 2]], [[1], [1, 2]])


@pytest.mark.parametrize(
    "make",
    [
        lambda: tp.MinHasher(4, scheme=np.zeros(3)),  # type: ignore[arg-type]
        lambda: tp.Registry(scheme=np.zeros(3)),  # type: ignore[arg-type]
    ],
)
def test_array_as_a_choice_is_a_parameter_error(make: Callable[[], Any]) -> None:
    with pytest.raises(InvalidParameterError):
        make()


@pytest.mark.skipif(not tokenizer_available("sudachi"), reason="sudachi is not installed")
@pytest.mark.parametrize(
    "text", ["Sherlock Holmes", "New York", "ｓｈｅｒｌｏｃｋ\u3000ｈｏｌｍｅｓ"]
)
def test_tokens_never_hold_a_space(text: str) -> None:
    tokens = tp.tokenize(text, tokenizer="sudachi").tokens  # found by the fuzz run (seed 1)
    assert all(" " not in tok for tok in tokens), tokens
    wrapped = tp.tokenize(text.replace(" ", "\n"), tokenizer="sudachi").tokens
    assert tokens == wrapped


@pytest.mark.parametrize(
    "call",
    [
        lambda: tp.MinHasher(4).signature(np.array("x")),
        lambda: tp.LSHIndex(0.5, n_hashes=4).add(np.array("x"), tp.MinHasher(4).signatures([T])),  # type: ignore[arg-type]
    ],
)
def test_zero_dimensional_array_is_an_input_error(call: Callable[[], Any]) -> None:
    with pytest.raises(InvalidInputError):  # found by the fuzz run (seed 1)
        call()


def test_lsh_add_two_dimensional_integer_keys_is_a_documented_error() -> None:
    sigs = tp.MinHasher(4).signatures([T, "x y z w v"])
    keys = np.zeros((2, 4), dtype=np.uint64)  # found by the fuzz run (seed 0, factor 10)
    with pytest.raises((InvalidInputError, InvalidParameterError)):
        tp.LSHIndex(0.5, n_hashes=4).add(keys, sigs)  # type: ignore[arg-type]


def test_lsh_remove_unhashable_key_is_an_input_error() -> None:
    with pytest.raises(InvalidInputError):
        tp.LSHIndex(0.5, n_hashes=4).remove([[1]])  # type: ignore[list-item]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"matches": None},
        {"matches": 5},
        {"settings": 5},
        {"settings": np.zeros((0, 4))},  # ValueError: truth value of an empty array
    ],
)
def test_evidence_bad_arguments_are_input_errors(kwargs: dict[str, Any]) -> None:
    args: dict[str, Any] = {"matches": tp.compare(T, T), "source": T, **kwargs}
    with pytest.raises(InvalidInputError):
        tp.evidence(T, **args)


def test_register_many_not_iterable_is_an_input_error() -> None:
    with tp.Registry(n_hashes=4) as reg, pytest.raises(InvalidInputError):
        reg.register_many(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [{"path": 5}, {"path": b"x.db"}, {"timeout": "x"}])
def test_registry_bad_path_or_timeout_is_a_documented_error(
    kwargs: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises((InvalidInputError, InvalidParameterError)):
        tp.Registry(**kwargs)


def test_registry_rejected_n_hashes_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "works.db"
    with pytest.raises(InvalidParameterError, match="n_hashes=2000"):
        tp.Registry(path, n_hashes=2000)
    assert not path.exists()  # validated before anything is written
    with tp.Registry(path) as reg:
        assert len(reg) == 0
        with pytest.raises(InvalidParameterError, match="n_hashes"):
            reg.rebuild(n_hashes=2000)
        assert reg.manifest["n_hashes"] == "128"


@pytest.mark.parametrize("k", [2**32 + 1, 2**63])
def test_registry_k_above_the_limit_is_a_parameter_error(k: int, tmp_path: Path) -> None:
    path = tmp_path / "works.db"  # found by the fuzz (Registry(k), a junk integer)
    with pytest.raises(InvalidParameterError, match="k="):
        tp.Registry(path, k=k)
    assert not path.exists()
    with pytest.raises(InvalidParameterError, match="k="):
        tp.Registry(k=k)


@pytest.mark.parametrize("reps", [32, 40])
def test_repeating_a_line_of_a_short_work_does_not_hide_its_copy(reps: int) -> None:
    # found by the full fuzz (test_registry, seed 0, factor 45): the repeated shingles are
    # frequent in the post only, so they stay seeds (they were dropped at 32 repetitions)
    work = "白日依山盡，黃河入海流。\n欲窮千里目，更上一層樓。"
    post = work + " " + "白日依山盡，黃河入海" * reps
    with tp.Registry() as reg:
        reg.register("poem", work)
        assert [h.work_id for h in reg.check(post)] == ["poem"]
    assert tp.compare(post, work).source_containment == 1.0


def test_known_bug_predicates_are_narrow() -> None:
    """The inputs skipped above are the reported bugs, not ordinary ones."""
    assert not LANGUAGE_FLIP_LIMIT("天下大势", "转：天下大势")
    assert math.isfinite(FUZZ_FACTOR)
