"""What the fuzz test modules share: example budgets, input counts, strategies and checks.

The fuzz is three modules: tests/test_fuzz.py (generated text through every stage),
tests/test_fuzz_api.py (junk arguments to every public entry point) and
tests/test_fuzz_regressions.py (the bugs they found, reduced to their smallest input).
``benchmarks/run_fuzz.py`` runs the three (``FUZZ_TEST_MODULES`` there).

Example counts follow the hypothesis profile (tests/conftest.py): each property states its CI
count with ``budget(n)``; ``HYPOTHESIS_PROFILE=fuzz`` runs ``TEXTPRINT_FUZZ_FACTOR`` (default 45)
times as many. With ``TEXTPRINT_FUZZ_COUNTS=path`` the number of inputs given to each public
function (``fuzzed(name)``) is added to ``path`` (JSON) when each module ends.
"""

from __future__ import annotations

import collections
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st

import textprint as tp
from helpers import tokenizer_available

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
def write_counts() -> Iterator[None]:
    """Add the module's counts to the file ``TEXTPRINT_FUZZ_COUNTS`` names, then reset them.

    A fuzz test module uses it as ``_write_counts = _fuzz.write_counts`` (one name, so it runs
    once per module). The counts are reset after each module, so the modules of one pytest
    process add up in the file without counting an input twice.
    """
    yield
    path = os.environ.get("TEXTPRINT_FUZZ_COUNTS")
    if path:
        p = Path(path)
        old = json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}
        for name, n in COUNTS.items():
            old[name] = old.get(name, 0) + n
        p.write_text(json.dumps(old, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    COUNTS.clear()


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


#: A short mixed-script text the argument-error calls and the regression tests act on.
T = "天下大势，分久必合，合久必分。周末七国分争，并入于秦。To be, or not to be."
