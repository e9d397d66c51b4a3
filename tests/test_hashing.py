"""Shingle hashing (tp64): the numpy kernels against the pure-Python reference, the text path
against the bytes path, golden vectors and determinism across processes."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import textprint as tp
from helpers import han, run_python
from textprint import _shingles as hashing
from textprint._shingles import hash_shingles, shingle_batch
from textprint._tokens import TokenBatch
from textprint.errors import IncompatibleError, InvalidInputError, InvalidParameterError
from textprint.hashing import HASH_SCHEME, HashParams, fmix64, hash_bytes, splitmix64

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

import reference_hashing as ref  # noqa: E402

u64 = st.integers(min_value=0, max_value=ref.MASK64)
seeds = st.one_of(st.sampled_from(ref.SEEDS), u64)


# ------------------------------------------------------------------------------ primitives


def test_splitmix64_known_values() -> None:
    # The first outputs of SplitMix64 seeded with 0 (Vigna's reference implementation): state
    # s gives splitmix64(s), the next state is s + 0x9E3779B97F4A7C15.
    assert splitmix64(0) == ref.splitmix64(0) == 0xE220A8397B1DCDAF
    assert splitmix64(0x9E3779B97F4A7C15) == 0x6E789E6AA1B965F4
    assert splitmix64((2 * 0x9E3779B97F4A7C15) & ref.MASK64) == 0x06C45D188009454F


@settings(deadline=None, derandomize=True, max_examples=100)
@given(st.lists(u64, max_size=50))
def test_fmix64_and_splitmix64_equal_reference(xs: list[int]) -> None:
    got = fmix64(np.array(xs, dtype=np.uint64))
    assert got.dtype == np.uint64
    assert got.tolist() == [ref.fmix64(x) for x in xs]
    assert [splitmix64(x) for x in xs] == [ref.splitmix64(x) for x in xs]


def test_fmix64_is_a_bijection_on_a_sample() -> None:
    xs = np.arange(100_000, dtype=np.uint64) * np.uint64(0x10001)
    assert len(np.unique(fmix64(xs))) == len(xs)


# ------------------------------------------------------------------------------ hash_bytes


@settings(deadline=None, derandomize=True, max_examples=150)
@given(st.lists(st.binary(max_size=30), max_size=20), seeds)
def test_hash_bytes_equals_tp64_on_arbitrary_bytes(items: list[bytes], seed: int) -> None:
    # st.binary produces invalid UTF-8 most of the time: surrogateescape must give it a reading
    got = hash_bytes(items, seed=seed)
    assert got.dtype == np.uint64
    assert got.shape == (len(items),)
    assert got.tolist() == [ref.tp64(x, seed) for x in items]


@settings(deadline=None, derandomize=True, max_examples=150)
@given(st.lists(st.text(max_size=20), max_size=20), seeds)
def test_hash_bytes_equals_tp64_on_utf8(texts: list[str], seed: int) -> None:
    items = [t.encode("utf-8", "surrogatepass") for t in texts]
    assert hash_bytes(items, seed=seed).tolist() == [ref.tp64(x, seed) for x in items]


def test_hash_bytes_decodes_each_item_on_its_own() -> None:
    # "世" is e4 b8 96: split over two items, each half is read on its own (escaped bytes),
    # not glued back together with its neighbour
    items = [b"\xe4\xb8", b"\x96", "世".encode()]
    got = hash_bytes(items).tolist()
    assert got == [ref.tp64(x, 0) for x in items]
    assert len(set(got)) == 3


def test_hash_bytes_accepts_any_bytes_like_and_iterables() -> None:
    want = [ref.tp64(b"ab c", 7), ref.tp64(b"", 7)]
    assert hash_bytes([bytearray(b"ab c"), memoryview(b"")], seed=7).tolist() == want  # type: ignore[list-item]
    assert hash_bytes((x for x in [b"ab c", b""]), seed=7).tolist() == want
    assert hash_bytes([], seed=7).dtype == np.uint64
    assert hash_bytes([]).shape == (0,)


def test_hash_bytes_seed_changes_every_hash() -> None:
    items = [s.encode() for s in ["学 而 时 习 之", "the quick brown fox jumps", "a"]]
    h0, h1 = hash_bytes(items, seed=0), hash_bytes(items, seed=1)
    assert (h0 != h1).all()


def test_hash_bytes_distinguishes_nearby_shingles() -> None:
    items = [b"ab", b"ba", b"a b", b"ab ", b" ab", b"a", b"", b"\x00", b"\x00\x00"]
    assert len(set(hash_bytes(items).tolist())) == len(items)


@pytest.mark.parametrize("bad", [b"abc", bytearray(b"abc"), "abc"])
def test_hash_bytes_refuses_a_bare_shingle(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="bare"):
        hash_bytes(bad)  # type: ignore[arg-type]


def test_hash_bytes_refuses_non_bytes_items() -> None:
    with pytest.raises(InvalidInputError, match="shingle 1 must be bytes, got str"):
        hash_bytes([b"a", "b"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        hash_bytes([b"a", 3])  # type: ignore[list-item]


@pytest.mark.parametrize("seed", [-1, 1 << 64, 1.5, True, "0", None])
def test_hash_bytes_bad_seed(seed: object) -> None:
    with pytest.raises(InvalidParameterError, match=r"seed=") as err:
        hash_bytes([b"a"], seed=seed)  # type: ignore[arg-type]
    assert isinstance(err.value, ValueError)
    assert repr(seed) in str(err.value) or str(seed) in str(err.value)


def test_hash_bytes_long_shingles() -> None:
    # longer than the initial power tables (1024 units), mixed with short ones
    items = [b"x" * 3000, "学".encode() * 1500, b"", b"ab", bytes(range(256)) * 9]
    for seed in (0, ref.MASK64):
        assert hash_bytes(items, seed=seed).tolist() == [ref.tp64(x, seed) for x in items]


def test_power_tables_stay_consistent_while_another_thread_grows_them() -> None:
    # _Powers.get(n) must return two tables longer than n. A reader arriving while another
    # thread grows the tables (one table already replaced, the other still being computed) must
    # not get the new `pos` with the old, shorter `neg`: hash_shingles would then index past
    # its end (IndexError) when two threads hash documents of different lengths.
    for _ in range(10):
        powers = hashing._Powers()
        powers.get(1000)
        got: list[tuple[int, int]] = []

        def grow(p: hashing._Powers = powers) -> None:
            p.get(1 << 21)

        def read(p: hashing._Powers = powers, out: list[tuple[int, int]] = got) -> None:
            while len(p.tables[0]) <= 2000:
                pass
            pos, neg = p.get(2000)
            out.append((len(pos), len(neg)))

        reader = threading.Thread(target=read)
        reader.start()
        grower = threading.Thread(target=grow)
        grower.start()
        grower.join()
        reader.join()
        n_pos, n_neg = got[0]
        assert n_pos > 2000
        assert n_neg > 2000, f"get(2000) returned R**-j for only {n_neg} exponents"


# ------------------------------------------------------------------------------ batch kernel

token = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=5)
gap = st.text(st.characters(exclude_categories=["Cs"]), max_size=2)
docs_strategy = st.lists(st.lists(st.tuples(token, gap), max_size=14), min_size=1, max_size=5)


def _token_batch(docs: list[list[tuple[str, str]]]) -> tuple[TokenBatch, list[list[str]]]:
    """A hand-made TokenBatch: tokens with arbitrary code points (astral too) separated by gaps
    of non-token characters in the code point stream, as in a normalized text."""
    cps: list[int] = []
    tok_start: list[int] = []
    tok_end: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    bounds = [0]
    words: list[list[str]] = []
    for doc in docs:
        local = 0
        words.append([])
        for tok, sep in doc:
            tok_start.append(len(cps))
            cps.extend(map(ord, tok))
            tok_end.append(len(cps))
            starts.append(local)
            ends.append(local + len(tok))
            local += len(tok) + len(sep) + 1
            cps.extend(map(ord, sep))
            words[-1].append(tok)
        bounds.append(len(tok_start))
    i64 = np.int64
    batch = TokenBatch(
        cps=np.array(cps, dtype=np.uint32),
        tok_start=np.array(tok_start, dtype=i64),
        tok_end=np.array(tok_end, dtype=i64),
        starts=np.array(starts, dtype=i64),
        ends=np.array(ends, dtype=i64),
        bounds=np.array(bounds, dtype=i64),
        lang=("other",) * len(docs),
        identity="test-tokens",
    )
    return batch, words


def _expected_shingles(words: list[str], k: int) -> list[tuple[int, int]]:
    """(first, last) token of every shingle: the documented rule, spelled out."""
    if not words:
        return []
    if len(words) < k:
        return [(0, len(words) - 1)]
    return [(i, i + k - 1) for i in range(len(words) - k + 1)]


@settings(deadline=None, derandomize=True, max_examples=150)
@given(docs_strategy, st.integers(1, 8), seeds)
def test_hash_shingles_kernel_equals_reference(
    docs: list[list[tuple[str, str]]], k: int, seed: int
) -> None:
    batch, words = _token_batch(docs)
    sh = hash_shingles(batch, k=k, seed=seed)
    assert sh.hashes.dtype == np.uint64
    assert sh.params == HashParams(k=k, seed=seed, tokenizer="test-tokens", hash=HASH_SCHEME)
    assert sh.bounds[0] == 0
    for d, toks in enumerate(words):
        a, b = int(sh.bounds[d]), int(sh.bounds[d + 1])
        spans = _expected_shingles(toks, k)
        assert b - a == len(spans)
        first_tok = int(batch.bounds[d])
        want = [ref.tp64(" ".join(toks[f : last + 1]).encode("utf-8"), seed) for f, last in spans]
        assert sh.hashes[a:b].tolist() == want
        assert sh.token[a:b].tolist() == [first_tok + f for f, _ in spans]
        assert sh.starts[a:b].tolist() == [int(batch.starts[first_tok + f]) for f, _ in spans]
        assert sh.ends[a:b].tolist() == [int(batch.ends[first_tok + last]) for _, last in spans]


# ------------------------------------------------------------------------------ text path


def _split(sh_bounds: np.ndarray, values: np.ndarray, d: int) -> list[int]:
    return values[int(sh_bounds[d]) : int(sh_bounds[d + 1])].tolist()  # type: ignore[no-any-return]


@settings(deadline=None, derandomize=True, max_examples=100)
@given(st.lists(ref.text_strategy(), min_size=1, max_size=4), st.integers(1, 7), seeds)
def test_text_path_equals_bytes_path(texts: list[str], k: int, seed: int) -> None:
    sh = shingle_batch(texts, k=k, seed=seed, tokenizer="auto")
    for d, text in enumerate(texts):
        shingles = tp.shingles(text, k=k)
        n_tok = len(tp.tokenize(text).tokens)
        assert len(shingles) == (n_tok - k + 1 if n_tok >= k else min(n_tok, 1))
        got = _split(sh.bounds, sh.hashes, d)
        assert got == hash_bytes(shingles, seed=seed).tolist()
        assert got == [ref.tp64(s, seed) for s in shingles]


@pytest.mark.parametrize("name", ["zh_novel", "ja_aozora", "en_gutenberg"])
def test_text_path_equals_reference_on_fixtures(name: str) -> None:
    text = ref.fixture(name)
    shingles = tp.shingles(text, k=5)
    sh = shingle_batch([text[:50], text, ""], k=5, seed=11, tokenizer="auto")
    assert _split(sh.bounds, sh.hashes, 1) == [ref.tp64(s, 11) for s in shingles]
    assert _split(sh.bounds, sh.hashes, 2) == []


def test_text_path_long_tokens() -> None:
    word = "abcdefghij" * 250  # one 2500-character token
    text = f"{word} 学 {word}x 习"
    shingles = tp.shingles(text, k=2)
    assert len(shingles) == 3
    sh = shingle_batch([text, "短", text[:1200]], k=2, seed=5, tokenizer="auto")
    assert _split(sh.bounds, sh.hashes, 0) == [ref.tp64(s, 5) for s in shingles]
    assert _split(sh.bounds, sh.hashes, 2) == [
        ref.tp64(s, 5) for s in tp.shingles(text[:1200], k=2)
    ]


def test_shingles_rules() -> None:
    assert tp.shingles("", k=3) == []
    assert tp.shingles("，。！？ \n", k=3) == []
    # fewer than k tokens: exactly one shingle of all of them
    assert tp.shingles("學而", k=5) == ["学 而".encode()]
    assert tp.shingles("Hello", k=5) == [b"hello"]
    assert tp.shingles("Hello 世界", k=3) == ["hello 世 界".encode()]
    assert tp.shingles("a b c", k=1) == [b"a", b"b", b"c"]
    assert tp.shingles("The quick brown fox", k=3) == [b"the quick brown", b"quick brown fox"]
    # astral characters are one token each, encoded as 4 UTF-8 bytes
    assert tp.shingles("𠀀𠀁", k=2) == ["𠀀 𠀁".encode()]


@pytest.mark.parametrize("k", [0, -1, 1.0, True, "5"])
def test_shingles_bad_k(k: object) -> None:
    with pytest.raises(InvalidParameterError, match="k="):
        tp.shingles("abc", k=k)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", [b"abc", None, 3, ["abc"]])
def test_shingles_bad_text(text: object) -> None:
    with pytest.raises(InvalidInputError, match="text must be a str"):
        tp.shingles(text)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ params


def test_hash_params_check_compatible() -> None:
    a = HashParams(k=5, seed=0, tokenizer="char")
    a.check_compatible(HashParams(k=5, seed=0, tokenizer="char"))
    with pytest.raises(IncompatibleError, match=r"k=5 vs 6") as err:
        a.check_compatible(HashParams(k=6, seed=1, tokenizer="char"))
    assert "seed=0 vs 1" in str(err.value)
    assert "tokenizer" not in str(err.value)
    with pytest.raises(IncompatibleError, match="HashParams vs str"):
        a.check_compatible("params")


# ------------------------------------------------------------------------------ golden

GOLDEN_SHINGLES: list[bytes] = [
    "学 而 时 习 之".encode(),
    "あ い う え お".encode(),
    b"the quick brown fox jumps",
    "𠀀 𠀁 😀".encode(),
    b"a",
    b"",
    b"\xff\xfe invalid \xc3",
    "世".encode()[:2],
]


def test_tp64_golden_vectors() -> None:
    # the stored values come from the pure-Python reference; the numpy kernel must agree
    actual = {
        f"seed={seed}": [
            {
                "shingle": s.decode("utf-8", "backslashreplace"),
                "shingle_hex": s.hex(),
                "hash": ref.tp64(s, seed),
            }
            for s in GOLDEN_SHINGLES
        ]
        for seed in (0, 1)
    }
    expected = ref.golden("tp64.json", actual)
    assert actual == expected
    for seed in (0, 1):
        items = [bytes.fromhex(e["shingle_hex"]) for e in expected[f"seed={seed}"]]
        want = [e["hash"] for e in expected[f"seed={seed}"]]
        assert hash_bytes(items, seed=seed).tolist() == want


# ------------------------------------------------------------------------------ determinism


def test_identical_in_fresh_processes_with_other_hash_seeds() -> None:
    here = ref.fixture_digest(ref.FIXTURES_DIR)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import reference_hashing as r; "
        "print(r.fixture_digest(r.FIXTURES_DIR))"
    )
    for hash_seed in ("1", "2"):
        out = run_python(code, str(TESTS), hash_seed=hash_seed)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == here, f"PYTHONHASHSEED={hash_seed}: {out.stderr}"


# -- texts longer than one power table; shingles on both sides of the direct window path ------


@pytest.mark.parametrize("n_chars", [2**16 - 10, 2**16 + 10, 2**17 + 5_000])
def test_hashes_of_a_text_past_2_to_the_16_units_equal_the_bytes_path(n_chars: int) -> None:
    """A text of more than 2**16 code units hashes each shingle as the bytes path does: the
    powers of R are looked up 16 bits of exponent at a time, and beyond 2**16 a second (and
    third) table multiplies in.

    Kills: the higher digits' factor assigned instead of multiplied (``out =`` for ``out *=``),
    read from the wrong level, and the level tables computed with another modulus.
    """
    base = han(0, 600)
    text = (base * (n_chars // len(base) + 1))[:n_chars]
    text = text[: n_chars - 20] + "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉"  # a distinct tail
    fp = tp.fingerprint(text, tokenizer="char")
    assert int(fp.positions.max()) > 2**16 - 100
    want = hash_bytes(tp.shingles(text, tokenizer="char"), seed=0)
    assert fp.hashes.tolist() == want[fp.positions].tolist()


@pytest.mark.parametrize("k", [1, 12, 13, 40])
def test_hashes_on_both_sides_of_the_direct_window_path(k: int) -> None:
    """Shingles of up to 12 tokens are hashed window by window, longer ones from prefix sums;
    both give every shingle the hash of its bytes, in a batch of several texts (one of them
    shorter than k, one empty).

    Kills: the prefix path (k > 12) with its range ends or starts wrong, which no unit test
    reached (they use k <= 12).
    """
    english = (TESTS / "fixtures" / "en_gutenberg.txt").read_text(encoding="utf-8")[:800]
    texts = [han(0, 200), "", han(300, 305), english, han(500, 640)]
    for fp, text in zip(tp.fingerprints(texts, k=k, window=4, tokenizer="char"), texts):
        want = hash_bytes(tp.shingles(text, k=k, tokenizer="char"), seed=0)
        assert fp.hashes.dtype == np.uint64
        assert fp.hashes.tolist() == want[fp.positions].tolist()
        assert fp.n_shingles == len(want)


def test_no_token_anywhere_gives_uint64_hashes() -> None:
    """A batch with no token at all still gives uint64 hashes (API.md: empty input gives an
    empty result of the right dtype). The mutant that creates hash_shingles' empty array
    without its dtype survives this: the value is replaced before it is returned."""
    for fp in tp.fingerprints(["", "，。！", " \u200b "]):
        assert fp.hashes.dtype == np.uint64
        assert len(fp) == 0
    assert tp.MinHasher(8).signatures(["", "。"]).values.dtype == np.uint64
