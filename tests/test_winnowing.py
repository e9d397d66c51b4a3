"""Winnowing: the numpy kernel against the literal reference, the paper's worked example, the
guarantees (shared runs, density), spans, evasion invariance, golden vectors and errors."""

from __future__ import annotations

import dataclasses
import json
import random
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import textprint as tp
from textprint._winnow import winnow_batch
from textprint.errors import IncompatibleError, InvalidInputError, InvalidParameterError
from textprint.hashing import HASH_SCHEME, hash_bytes
from textprint.winnowing import Fingerprint, FingerprintParams, winnow

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

import reference_hashing as ref  # noqa: E402

# Schleimer, Wilkerson, Aiken 2003, Figure 2: the hashes of the 5-grams of
# "adorunrunrunadorunrun", and robust winnowing with window 4.
PAPER_HASHES = [77, 74, 42, 17, 98, 50, 17, 98, 8, 88, 67, 39, 77, 74, 42, 17, 98]
PAPER_FINGERPRINTS = [17, 17, 8, 39, 17]
PAPER_POSITIONS = [3, 6, 8, 11, 15]

# hash sequences with many ties (tiny value ranges) and without (the full 64-bit range)
value_range = st.sampled_from([0, 1, 2, 4, 16, 1000, ref.MASK64])
hash_lists = value_range.flatmap(lambda hi: st.lists(st.integers(0, hi), max_size=60))
windows = st.integers(1, 20)


def _u64(xs: list[int]) -> np.ndarray:
    return np.array(xs, dtype=np.uint64)


# ------------------------------------------------------------------------------ kernel


def test_paper_worked_example() -> None:
    assert ref.winnow_reference(PAPER_HASHES, 4) == PAPER_POSITIONS
    h = _u64(PAPER_HASHES)
    pos = winnow(h, 4)
    assert pos.dtype == np.int64
    assert pos.tolist() == PAPER_POSITIONS
    assert h[pos].tolist() == PAPER_FINGERPRINTS


@settings(deadline=None, derandomize=True, max_examples=200)
@given(hash_lists, windows)
def test_winnow_equals_reference(hashes: list[int], window: int) -> None:
    got = winnow(_u64(hashes), window)
    assert got.dtype == np.int64
    assert got.tolist() == ref.winnow_reference(hashes, window)


@settings(deadline=None, derandomize=True, max_examples=200)
@given(st.lists(hash_lists, max_size=6), windows)
def test_winnow_batch_equals_reference_per_sequence(seqs: list[list[int]], window: int) -> None:
    bounds = np.zeros(len(seqs) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in seqs], out=bounds[1:])
    flat = _u64([x for s in seqs for x in s])
    got = winnow_batch(flat, bounds, window)
    want = [int(bounds[d]) + p for d, s in enumerate(seqs) for p in ref.winnow_reference(s, window)]
    assert got.tolist() == want


def test_winnow_edge_cases() -> None:
    assert winnow(_u64([]), 4).tolist() == []
    assert winnow(_u64([]), 4).dtype == np.int64
    assert winnow(_u64([5]), 4).tolist() == [0]
    assert winnow(_u64([3, 1, 1, 2]), 10).tolist() == [2]  # one window: rightmost minimum
    assert winnow(_u64([9, 8, 7, 6]), 1).tolist() == [0, 1, 2, 3]
    assert winnow(_u64([1] * 10), 3).tolist() == [2, 5, 8]  # ties: keep while in the window
    # a list is accepted; the tie keeps 1
    assert winnow([4, 4, 4], 2).tolist() == [1]  # type: ignore[arg-type]
    big = _u64([ref.MASK64, ref.MASK64 - 1, ref.MASK64])
    assert winnow(big, 2).tolist() == [1]


@pytest.mark.parametrize("window", [0, -3, 2.5, True, "4", None])
def test_winnow_bad_window(window: object) -> None:
    with pytest.raises(InvalidParameterError, match="window=") as err:
        winnow(_u64([1, 2, 3]), window)  # type: ignore[arg-type]
    assert isinstance(err.value, ValueError)


# ------------------------------------------------------------------------------ fingerprints


def _check_fingerprint(text: str, fp: Fingerprint, k: int, window: int, seed: int) -> None:
    """Everything a Fingerprint promises, from the references and the public shingles."""
    shingles = tp.shingles(text, k=k)
    hashes = [ref.tp64(s, seed) for s in shingles]
    positions = ref.winnow_reference(hashes, window)
    assert fp.n_shingles == len(shingles)
    assert fp.positions.tolist() == positions
    assert fp.hashes.tolist() == [hashes[p] for p in positions]
    assert set(fp.hashes.tolist()) <= set(hash_bytes(shingles, seed=seed).tolist())
    assert fp.hashes.dtype == np.uint64
    for arr in (fp.starts, fp.ends, fp.positions):
        assert arr.dtype == np.int64
    assert len(fp) == len(fp.hashes) == len(fp.starts) == len(fp.ends) == len(positions)
    # positions unique and increasing
    assert (np.diff(fp.positions) > 0).all()
    # density: every `window` consecutive shingles hold a selected one
    sel = set(positions)
    for i in range(max(0, len(shingles) - window + 1)):
        assert sel & set(range(i, i + window)), f"no fingerprint in shingles {i}..{i + window}"
    assert bool(sel) == bool(shingles)
    # spans: first token start to last token end, in the original text
    toks = tp.tokenize(text)
    n_tok = len(toks)
    assert fp.starts.tolist() == [int(toks.starts[p]) for p in positions]
    assert fp.ends.tolist() == [int(toks.ends[min(p + k, n_tok) - 1]) for p in positions]
    assert ((fp.starts >= 0) & (fp.starts < fp.ends) & (fp.ends <= len(text))).all()
    assert fp.params == FingerprintParams(k=k, window=window, seed=seed, tokenizer=toks.tokenizer)


@settings(deadline=None, derandomize=True, max_examples=120)
@given(
    ref.text_strategy(60),
    st.integers(1, 6),
    st.integers(1, 12),
    st.sampled_from([0, 1, 99, ref.MASK64]),
)
def test_fingerprint_equals_reference(text: str, k: int, window: int, seed: int) -> None:
    fp = tp.fingerprint(text, k=k, window=window, seed=seed)
    _check_fingerprint(text, fp, k, window, seed)


@settings(deadline=None, derandomize=True, max_examples=40)
@given(st.lists(ref.text_strategy(40), max_size=6), st.integers(1, 6), st.integers(1, 12))
def test_fingerprints_batch_equals_single(texts: list[str], k: int, window: int) -> None:
    batch = tp.fingerprints(texts, k=k, window=window, seed=5)
    assert len(batch) == len(texts)
    for text, fp in zip(texts, batch):
        one = tp.fingerprint(text, k=k, window=window, seed=5)
        for name in ("hashes", "starts", "ends", "positions"):
            assert getattr(fp, name).tolist() == getattr(one, name).tolist()
        assert fp.n_shingles == one.n_shingles
        assert fp.params == one.params


@pytest.mark.parametrize(
    "name", ["zh_novel", "zh_novel_2", "ja_aozora", "ja_aozora_old", "en_gutenberg"]
)
def test_fingerprint_fixtures(name: str) -> None:
    text = ref.fixture(name)
    fp = tp.fingerprint(text, k=5, window=10)
    _check_fingerprint(text, fp, 5, 10, 0)
    # each span of the original text, shingled on its own, is exactly the selected shingle
    shingles = tp.shingles(text, k=5)
    for s, e, p in zip(fp.starts.tolist(), fp.ends.tolist(), fp.positions.tolist()):
        assert tp.shingles(text[s:e], k=5) == [shingles[p]], (s, e, text[s:e])


# ------------------------------------------------------------------------------ guarantees

# tokens whose normalized form does not depend on context (language runs) in any script
RUN_TOKENS = (
    *"一二三人大山川日月木水火土天中上下",
    *"あいうえおかきくけこさしすせそ",
    "alpha",
    "beta",
    "gamma",
    "x",
    "yz",
    "42",
)
run_token = st.sampled_from(RUN_TOKENS)
context = st.lists(run_token, max_size=25)


def _holds_run(tokens: tuple[str, ...], run: list[str]) -> bool:
    n = len(run)
    return any(list(tokens[i : i + n]) == run for i in range(len(tokens) - n + 1))


@settings(deadline=None, derandomize=True, max_examples=150)
@given(st.data(), st.integers(1, 6), st.integers(1, 12), st.sampled_from([0, 7, ref.MASK64]))
def test_shared_run_of_window_plus_k_minus_1_tokens_shares_a_fingerprint(
    data: st.DataObject, k: int, window: int, seed: int
) -> None:
    run = data.draw(st.lists(run_token, min_size=window + k - 1, max_size=window + k - 1))
    a = data.draw(context) + run + data.draw(context)
    b = data.draw(context) + run + data.draw(context)
    text_a, text_b = " ".join(a), "".join(f"{t} " for t in b)
    # The guarantee is about the normalized tokens: the run must be a run of both token lists
    # (normalization 3 drops a separator repeated between characters, "一 二 一 三 一 二 ...",
    # which a context of the same pattern may extend in one text and not the other).
    assume(_holds_run(tp.tokenize(text_a).tokens, run))
    assume(_holds_run(tp.tokenize(text_b).tokens, run))
    fa = tp.fingerprint(text_a, k=k, window=window, seed=seed)
    fb = tp.fingerprint(text_b, k=k, window=window, seed=seed)
    shared = set(fa.hashes.tolist()) & set(fb.hashes.tolist())
    assert shared, (text_a, text_b)


@settings(deadline=None, derandomize=True, max_examples=60)
@given(st.lists(run_token, max_size=80), st.integers(1, 6), st.integers(1, 15))
def test_density_on_token_runs(tokens: list[str], k: int, window: int) -> None:
    text = " ".join(tokens)
    _check_fingerprint(text, tp.fingerprint(text, k=k, window=window), k, window, 0)


# ------------------------------------------------------------------------------ evasion


def _hashes(text: str) -> list[int]:
    return tp.fingerprint(text, k=5, window=10).hashes.tolist()  # type: ignore[no-any-return]


def _full_width(text: str) -> str:
    return "".join(
        chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text
    )


_HALF = {unicodedata.normalize("NFKC", chr(cp)): chr(cp) for cp in range(0xFF61, 0xFFA0)}


def _half_width(text: str) -> str:
    """Katakana and CJK punctuation to their half-width forms (ｶﾞ for ガ)."""
    out = []
    for c in text:
        d = unicodedata.normalize("NFD", c)
        if c in _HALF:
            out.append(_HALF[c])
        elif len(d) == 2 and d[0] in _HALF and d[1] in "\u3099\u309a":
            out.append(_HALF[d[0]] + ("\uff9e" if d[1] == "\u3099" else "\uff9f"))
        else:
            out.append(c)
    return "".join(out)


def _zero_width(text: str, seed: int) -> str:
    rng = random.Random(seed)
    out = []
    for c in text:
        out.append(c)
        if rng.random() < 0.25:
            out.append(rng.choice("\u200b\u200c\u200d\ufeff\u2060\u00ad"))
    return "".join(out)


def test_full_width_latin_fingerprints_the_same() -> None:
    text = ref.fixture("en_gutenberg")
    wide = _full_width(text)
    assert wide != text
    assert _hashes(wide) == _hashes(text)


def test_half_width_katakana_fingerprints_the_same() -> None:
    text = ref.fixture("ja_aozora") + ref.fixture("ja_aozora_2")
    half = _half_width(text)
    assert sum(0xFF61 <= ord(c) <= 0xFF9F for c in half) > 100
    assert _hashes(half) == _hashes(text)


def test_traditional_fingerprints_like_simplified() -> None:
    opencc = pytest.importorskip("opencc")
    s2t, t2s = opencc.OpenCC("s2t"), opencc.OpenCC("t2s")
    for name in ("zh_novel", "zh_novel_2"):
        simp = ref.fixture(name)
        trad = s2t.convert(simp)
        assert len(trad) == len(simp)
        # OpenCC's phrase conversions that OpenCC itself does not undo (轿夫 -> 轎伕 -> 轿伕)
        # are no character variants: keep the simplified character there
        back = t2s.convert(trad)
        trad = "".join(t if b == s else s for t, s, b in zip(trad, simp, back))
        changed = sum(t != s for t, s in zip(trad, simp))
        assert changed > 300, changed
        assert _hashes(trad) == _hashes(simp), name


# Where the OpenCC data the frozen tables were built from (TSCharacters "逕 径 迳": first choice
# 径) and the dictionary of the installed opencc package (逕 -> 迳) disagree, the frozen table wins.
OPENCC_DATA_DIFFERENCES = {"逕": "径"}


def test_traditional_poems_fingerprint_like_their_simplified_form() -> None:
    opencc = pytest.importorskip("opencc")
    t2s = opencc.OpenCC("t2s")
    lines = (ref.FIXTURES_DIR / "zh_poems.jsonl").read_text(encoding="utf-8").splitlines()
    n_traditional = 0
    for line in lines:
        poem = json.loads(line)["text"]
        simp = t2s.convert(poem)
        assert len(simp) == len(poem)
        simp = "".join(OPENCC_DATA_DIFFERENCES.get(t, s) for t, s in zip(poem, simp))
        n_traditional += simp != poem
        fp = tp.fingerprint(poem, k=3, window=4)
        assert len(fp) > 0
        assert fp.hashes.tolist() == tp.fingerprint(simp, k=3, window=4).hashes.tolist(), poem
    assert n_traditional >= 20


@pytest.mark.parametrize("name", ["zh_novel", "ja_aozora", "en_gutenberg"])
def test_zero_width_characters_fingerprint_the_same(name: str) -> None:
    text = ref.fixture(name)
    noisy = _zero_width(text, seed=len(name))
    assert len(noisy) > len(text) * 1.2
    assert _hashes(noisy) == _hashes(text)


# ------------------------------------------------------------------------------ small texts


@pytest.mark.parametrize("text", ["", "，。！？\n \u200b", "\u3000\t"])
def test_text_without_tokens_gives_empty_fingerprint(text: str) -> None:
    fp = tp.fingerprint(text)
    assert len(fp) == 0
    assert fp.n_shingles == 0
    assert fp.hashes.dtype == np.uint64
    assert fp.starts.dtype == fp.ends.dtype == fp.positions.dtype == np.int64
    assert fp.hashes.shape == fp.starts.shape == fp.ends.shape == fp.positions.shape == (0,)
    assert fp.params.k == 5
    assert fp.params.window == 10


def test_fewer_than_k_tokens_is_exactly_one_shingle() -> None:
    text = "「學而」"
    fp = tp.fingerprint(text, k=5, window=10)
    assert fp.n_shingles == 1
    assert fp.positions.tolist() == [0]
    assert fp.hashes.tolist() == [ref.tp64("学 而".encode(), 0)]
    assert fp.starts.tolist() == [1]
    assert fp.ends.tolist() == [3]
    en = tp.fingerprint("Hello, world!", k=5, window=3, seed=2)
    assert en.hashes.tolist() == [ref.tp64(b"hello world", 2)]
    assert (en.starts.tolist(), en.ends.tolist()) == ([0], [12])


# ------------------------------------------------------------------------------ params, errors


def test_fingerprint_params() -> None:
    fp = tp.fingerprint("天下大势，分久必合", k=3, window=4, seed=9)
    p = fp.params
    assert (p.k, p.window, p.seed, p.hash) == (3, 4, 9, HASH_SCHEME)
    assert p.tokenizer == tp.tokenize("天").tokenizer
    assert "auto" not in p.tokenizer
    p.check_compatible(tp.fingerprint("x", k=3, window=4, seed=9).params)
    other = tp.fingerprint("x", k=4, window=4, seed=8).params
    with pytest.raises(IncompatibleError, match="k=3 vs 4") as err:
        p.check_compatible(other)
    assert "seed=9 vs 8" in str(err.value)
    assert "window" not in str(err.value)
    with pytest.raises(IncompatibleError):
        p.check_compatible(tp.MinHasher(k=3, seed=9).params)


def test_fingerprint_is_frozen_and_read_only() -> None:
    fp = tp.fingerprint(ref.fixture("zh_novel")[:200])
    with pytest.raises(dataclasses.FrozenInstanceError):
        fp.hashes = np.zeros(0, dtype=np.uint64)  # type: ignore[misc]
    # (AttributeError; CPython 3.11's frozen slots dataclasses raise TypeError here instead)
    with pytest.raises((AttributeError, TypeError)):
        fp.extra = 1  # type: ignore[attr-defined]
    for arr in (fp.hashes, fp.starts, fp.ends, fp.positions):
        assert not arr.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 0


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"k": 0}, "k=0"),
        ({"k": -2}, "k=-2"),
        ({"k": 2.0}, "k=2.0"),
        ({"k": True}, "k=True"),
        ({"window": 0}, "window=0"),
        ({"window": "10"}, "window='10'"),
        ({"seed": -1}, "seed=-1"),
        ({"seed": 1 << 64}, f"seed={1 << 64}"),
        ({"tokenizer": "nope"}, "tokenizer='nope'"),
    ],
)
def test_fingerprint_bad_parameters(kwargs: dict[str, object], needle: str) -> None:
    for call in (
        lambda: tp.fingerprint("天下大势", **kwargs),  # type: ignore[arg-type]
        lambda: tp.fingerprints(["天下大势"], **kwargs),  # type: ignore[arg-type]
    ):
        with pytest.raises(InvalidParameterError) as err:
            call()
        assert isinstance(err.value, ValueError)
        assert needle in str(err.value)


@pytest.mark.parametrize("text", [b"abc", None, 12, ["abc"]])
def test_fingerprint_bad_text(text: object) -> None:
    with pytest.raises(InvalidInputError, match="must be a str") as err:
        tp.fingerprint(text)  # type: ignore[arg-type]
    assert isinstance(err.value, TypeError)


@pytest.mark.parametrize(
    ("texts", "needle"),
    [("abc", "bare str"), (b"abc", "bare bytes"), ([b"abc"], r"texts\[0\]"), (3, "iterable")],
)
def test_fingerprints_bad_texts(texts: object, needle: str) -> None:
    with pytest.raises(InvalidInputError, match=needle):
        tp.fingerprints(texts)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ golden

GOLDEN_CUTS = {"zh": ("zh_novel", 160), "ja": ("ja_aozora", 160), "en": ("en_gutenberg", 500)}


def test_fingerprint_golden_vectors() -> None:
    actual = {}
    for lang, (name, size) in GOLDEN_CUTS.items():
        fp = tp.fingerprint(ref.fixture(name)[:size], k=5, window=10, seed=0)
        actual[lang] = {
            "fixture": f"{name}.txt[:{size}]",
            "hashes": fp.hashes.tolist(),
            "positions": fp.positions.tolist(),
            "starts": fp.starts.tolist(),
            "ends": fp.ends.tolist(),
            "n_shingles": fp.n_shingles,
            "params": dataclasses.asdict(fp.params),
        }
    expected = ref.golden("fingerprints.json", actual)
    assert isinstance(expected, dict)
    for lang in actual:
        assert actual[lang] == expected[lang], lang
