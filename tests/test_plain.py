"""One text per call: the single-text paths give the batch path's results, bit for bit.

textprint._plain does the whole job for one plain text in compiled loops (numba); the batch
path (numpy) is the reference they are held against here, for every public single-text call
(``normalize``, ``fingerprint``, ``MinHasher.signature``) and scheme. Each test runs twice: with
the loops compiled, and with the same loops run as plain Python (so the rules are checked
whether numba is installed or not). Also here: the other single-call shortcuts of issue 14
(one LSH query, the separator search's first test, densification's probe table) against the
paths they shortcut.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import textprint as tp
from reference_hashing import oph_reference, text_strategy, winnow_reference
from textprint import _plain, _separators
from textprint._kernels import EMPTY, text_of
from textprint._normbatch import normalize_batch
from textprint._shingles import bin_minima, shingle_batch
from textprint._tables import get_fast_tables
from textprint.minhash import _densify

#: Pieces of plain text (Han, Latin words, digits, punctuation, single spaces and line
#: breaks) and of text that is not plain (kana, white-space runs, expansions, combining marks,
#: CR LF, a separator chain).
PLAIN = ["天下", "大势", "分久必合", "，", "。", "學而時習之", "word", "Ｗｏｒｄ", "42", " ", "\n"]
PLAIN += [
    "!",
    "?",
    "——",
    "《",
    "》",
    "😀",
    "x",
    "丶",
    "丨",
    "國",
    "字 字",
    "字\n字",
    "\t",
    "\u3000",
]
NOT_PLAIN = ["かな", "カタカナ", "한국", "  ", "㈱", "e\u0301", "\r\n", "-\n", "\u200b"]
NOT_PLAIN += ["天丶下丶大丶势丶分丶久", "字  字", "\u3000\u3000", "字\n\t字"]
texts = st.one_of(
    st.lists(st.sampled_from(PLAIN), max_size=60).map("".join),
    st.lists(st.sampled_from(PLAIN + NOT_PLAIN), max_size=40).map("".join),
    text_strategy(),
)


LOOPS = pytest.mark.parametrize("loops", ["compiled", "python"])


@contextlib.contextmanager
def using(loops: str) -> Iterator[None]:
    """The compiled loops (numba; skipped without it), or the same loops in Python."""
    if loops == "compiled":
        if _plain.compiled(wait=True) is None:
            pytest.skip("numba is not installed: the compiled loops are off")
        yield
        return
    compiled = _plain.compiled(wait=True)
    _plain._KERNELS.funcs = _plain.python_loops()
    try:
        with np.errstate(over="ignore"):  # numpy scalars warn where the compiled loops wrap
            yield
    finally:
        _plain._KERNELS.funcs = compiled


@LOOPS
def test_typical_texts_are_plain(loops: str) -> None:
    with using(loops):
        funcs = _plain.compiled()
        assert funcs is not None
        for text in (
            "天下大势，分久必合，合久必分。",
            "iPhone 15 发布,\n价格 5999 元",
            "To be, or not.",
        ):
            found = _plain.fold(text, funcs)
            assert found is not None, text
            assert text_of(found[0]) == tp.normalize(text).text
        for text in [*NOT_PLAIN, ""]:
            assert _plain.fold(f"天下{text}大势", funcs) is None or text == "", text


@LOOPS
@pytest.mark.parametrize(
    ("text", "status", "plain"),
    [
        # repeats, but no run of one character: the first tests say no chain
        ("莫停留，莫停留，便去休，便去休", _plain.PLAIN, True),
        ("一个一个一个一个一个", _plain.MAYBE_CHAIN, True),  # a repeated phrase: the rule says so
        ("本朝本地本年本月本日本时", _plain.MAYBE_CHAIN, False),  # a chain of 本 (removed)
    ],
)
def test_possible_chains_are_settled_by_the_rule(
    loops: str, text: str, status: int, plain: bool
) -> None:
    with using(loops):
        funcs = _plain.compiled()
        assert funcs is not None
        assert funcs["_fold"](_plain._codepoints(text), *_tables())[0] == status
        assert (_plain.fold(text, funcs) is not None) == plain
        mh = tp.MinHasher()
        assert mh.signature(text).tolist() == mh.signatures([text]).values[0].tolist()
        one, batch = tp.fingerprint(text), tp.fingerprints([text, "另一篇"])[0]
        assert one.hashes.tolist() == batch.hashes.tolist()
        assert one.ends.tolist() == batch.ends.tolist()


@LOOPS
def test_white_space_between_han_is_dropped_on_the_plain_path(loops: str) -> None:
    with using(loops):
        funcs = _plain.compiled()
        assert funcs is not None
        text = "天下\n大势，分久 必合 x 合久"
        found = _plain.fold(text, funcs)
        assert found is not None
        n = tp.normalize(text)
        assert text_of(found[0]) == n.text == "天下大势,分久必合 x 合久"
        assert found[1].tolist() == n.starts.tolist()
        assert n.ends.tolist() == (n.starts + 1).tolist()
        fp = tp.fingerprint(text, k=2, window=2)
        assert fp.starts.tolist() == tp.fingerprints([text, ""], k=2, window=2)[0].starts.tolist()
        assert text[int(fp.starts[0]) : int(fp.ends[0])] in ("天下", "下\n大", "大势")


def _tables() -> tuple[np.ndarray, np.ndarray]:
    ft = get_fast_tables()
    return ft.code, ft.zh_fold


@LOOPS
@settings(max_examples=80)
@given(text=texts)
def test_normalize_equals_batch(loops: str, text: str) -> None:
    with using(loops):
        one = tp.normalize(text)
        batch, _ = normalize_batch([text, "另一篇"])
        a, b = int(batch.bounds[0]), int(batch.bounds[1])
        assert one.text == batch.text(0)
        assert one.starts.tolist() == batch.starts[a:b].tolist()
        assert one.ends.tolist() == batch.ends[a:b].tolist()
        assert not one.starts.flags.writeable
        assert not one.ends.flags.writeable


@LOOPS
@settings(max_examples=60)
@given(
    text=texts,
    k=st.integers(1, 7),
    window=st.integers(1, 12),
    seed=st.sampled_from([0, 1, (1 << 63) + 5, (1 << 64) - 1]),
)
def test_fingerprint_equals_batch(loops: str, text: str, k: int, window: int, seed: int) -> None:
    with using(loops):
        one = tp.fingerprint(text, k=k, window=window, seed=seed)
        batch = tp.fingerprints([text, "另一篇文章的内容"], k=k, window=window, seed=seed)[0]
        for name in ("hashes", "starts", "ends", "positions"):
            mine, theirs = getattr(one, name), getattr(batch, name)
            assert mine.dtype == theirs.dtype, name
            assert mine.tolist() == theirs.tolist(), name
            assert not mine.flags.writeable, name
        assert one.n_shingles == batch.n_shingles
        assert one.params == batch.params


@LOOPS
@settings(max_examples=60)
@given(
    text=texts,
    scheme=st.sampled_from(["oph", "classic", "datasketch"]),
    n_hashes=st.sampled_from([1, 7, 128]),
    k=st.integers(1, 6),
    seed=st.sampled_from([0, 3, (1 << 32) - 1]),
)
def test_signature_equals_batch(
    loops: str, text: str, scheme: str, n_hashes: int, k: int, seed: int
) -> None:
    with using(loops):
        mh = tp.MinHasher(n_hashes, k=k, seed=seed, scheme=scheme)
        batch = mh.signatures([text, "另一篇"])
        if not batch.valid[0]:
            with pytest.raises(tp.TooShortError):
                mh.signature(text)
            return
        one = mh.signature(text)
        assert one.dtype == np.uint64
        assert one.tolist() == batch.values[0].tolist()


@LOOPS
def test_plain_signature_equals_reference(loops: str) -> None:
    """The compiled path on a plain text, against the slow reference of the scheme."""
    with using(loops):
        text = "天下大势，分久必合，合久必分。周末七国分争，并入于秦。"
        funcs = _plain.compiled()
        assert funcs is not None
        assert _plain.fold(text, funcs) is not None
        sh = shingle_batch([text], k=5, seed=0, tokenizer="char")
        for n in (1, 16, 128, 1024):
            want = oph_reference(sh.hashes.tolist(), n, 0)
            assert tp.MinHasher(n).signature(text).tolist() == want


@LOOPS
@settings(max_examples=80)
@given(hashes=st.lists(st.integers(0, 4), max_size=40), window=st.integers(1, 8))
def test_winnowing_loop_equals_reference(loops: str, hashes: list[int], window: int) -> None:
    """Few distinct values: ties everywhere, where robust winnowing's rule decides."""
    with using(loops):
        funcs = _plain.compiled()
        assert funcs is not None
        h = np.array(hashes, dtype=np.uint64)
        out = np.empty(len(h), dtype=np.int64)
        n = funcs["_winnow"](h, len(h), window, out)
        assert out[:n].tolist() == winnow_reference(hashes, window)


@pytest.mark.parametrize("tokenizer", ["jieba", "sudachi"])
def test_other_tokenizers_take_the_batch_path(tokenizer: str) -> None:
    text = "天下大势，分久必合，合久必分。"
    mh = tp.MinHasher(tokenizer=tokenizer)
    assert mh._plain_signature(text) is None
    assert mh.signature(text).tolist() == mh.signatures([text]).values[0].tolist()


# -------------------------------------------------------------- the other single-call shortcuts


@settings(max_examples=40)
@given(seed=st.integers(0, 2**32 - 1), threshold=st.sampled_from([0.3, 0.5, 0.8]))
def test_one_query_equals_query_many(seed: int, threshold: float) -> None:
    rng = np.random.default_rng(seed)
    n, n_hashes = int(rng.integers(1, 400)), 32
    values = rng.integers(0, 2**64 - 1, size=(n, n_hashes), dtype=np.uint64)
    values[n // 2 :] = values[: n - n // 2]  # duplicates: runs of equal band keys
    # EMPTY (no shingle in a bin) in some rows: no evidence, on either side
    values[rng.random((n, n_hashes)) < 0.05 * (rng.random((n, 1)) < 0.3)] = EMPTY
    index = tp.LSHIndex.for_threshold(threshold, n_hashes=n_hashes)
    index.add(list(range(n)), values)
    if n > 3:
        index.remove([0, 3])
    for j in rng.integers(0, n, size=6).tolist():
        q = values[j].copy()
        q[rng.random(n_hashes) < rng.random() * 0.6] = 12345
        q[rng.random(n_hashes) < 0.1 * rng.random()] = EMPTY
        for thr in (None, 0.0):
            for top_k in (None, 1, 3):
                assert (
                    index.query(q, threshold=thr, top_k=top_k)
                    == index.query_many(np.stack([q, q]), threshold=thr, top_k=top_k)[0]
                )


@settings(max_examples=80)
@given(text=texts, min_marks=st.integers(2, 6))
def test_separator_first_test_changes_nothing(text: str, min_marks: int) -> None:
    batch, _ = normalize_batch([text, "天丶下丶大丶势丶分丶久 " + text])
    args = (batch.folded, batch.classes, batch.bounds)
    found = _separators.find_separators(*args, min_marks=min_marks)
    real = _separators._may_chain
    try:
        _separators._may_chain = lambda cand, classes, need: len(cand) >= need
        without = _separators.find_separators(*args, min_marks=min_marks)
    finally:
        _separators._may_chain = real
    assert found.tolist() == without.tolist()


@settings(max_examples=60)
@given(text=texts, min_marks=st.integers(2, 6))
def test_separator_runs_narrowing_changes_nothing(text: str, min_marks: int) -> None:
    """The search after the quick test looks at the positions of its runs alone
    (`_in_runs`): the same separators as when it looks at every repeat position."""
    batch, _ = normalize_batch(
        [text, "本朝本地本年本月本日本时" + text, text + "天丶下丶大丶势丶分"]
    )
    args = (batch.folded, batch.classes, batch.bounds)
    found = _separators.find_separators(*args, min_marks=min_marks)
    real = _separators._in_runs
    try:
        _separators._in_runs = lambda key, run, need: np.sort(
            (key & np.uint64(0xFFFFFFFF)).astype(np.int64)
        )
        every = _separators.find_separators(*args, min_marks=min_marks)
    finally:
        _separators._in_runs = real
    assert found.tolist() == every.tolist()


def _repeat_positions(chars: np.ndarray) -> np.ndarray:
    """Positions equal to the character 2-4 before them (as `find_separators` finds them)."""
    return np.array(
        [
            i
            for i in range(2, len(chars))
            if any(chars[i] == chars[i - d] for d in (2, 3, 4) if i >= d)
        ],
        dtype=np.int64,
    )


@LOOPS
@settings(max_examples=60)
@given(parts=st.lists(texts, min_size=1, max_size=3))
def test_compiled_first_test_is_the_rules_first_test(loops: str, parts: list[str]) -> None:
    """`_chains_possible` (one pass, compiled) answers as `_may_chain` and the quick test
    (`_quick_runs`) do on the same views, one text or a batch joined; and when it says no
    chain, the rule finds none."""
    with using(loops):
        funcs = _plain.compiled()
        assert funcs is not None
        batch, _ = normalize_batch(parts)
        chars, classes = batch.folded, batch.classes
        possible = funcs["_chains_possible"](chars, classes)
        need = _separators.MIN_MARKS - 1
        cand = _repeat_positions(chars)
        expected = _separators._may_chain(cand, classes, need)
        expected = expected and bool(_separators._quick_runs(chars, cand, need)[1].any())
        assert possible == expected
        if not possible:
            assert len(_separators.find_separators(chars, classes, batch.bounds)) == 0


@LOOPS
@settings(max_examples=40)
@given(parts=st.lists(texts, min_size=1, max_size=4))
def test_batch_normalization_is_the_same_with_the_compiled_first_test(
    loops: str, parts: list[str]
) -> None:
    """normalize_batch uses the compiled first test once the loops are there: same output."""
    parts = [*parts, "天丶下丶大丶势丶分丶久"]
    saved = _plain._KERNELS.funcs
    _plain._KERNELS.funcs = None
    try:
        without, _ = normalize_batch(parts)
    finally:
        _plain._KERNELS.funcs = saved
    with using(loops):
        assert _plain.ready() is not None
        with_loops, _ = normalize_batch(parts)
    for j in range(len(parts)):
        assert with_loops.text(j) == without.text(j)
    assert with_loops.starts.tolist() == without.starts.tolist()
    assert with_loops.ends.tolist() == without.ends.tolist()


@settings(max_examples=40)
@given(
    n=st.sampled_from([1, 3, 64, 128, 600]),
    n_shingles=st.integers(1, 300),
    seed=st.sampled_from([0, 7, (1 << 64) - 1]),
    data_seed=st.integers(0, 2**32 - 1),
)
def test_densification_with_the_probe_table_equals_reference(
    n: int, n_shingles: int, seed: int, data_seed: int
) -> None:
    """A few shingles in many bins: empty bins resolved by the table's 32 probes, by the
    probes after them, and (one shingle) by the fallback, as the reference does."""
    rng = np.random.default_rng(data_seed)
    if n > 64:  # (the reference probes in Python: keep its fallbacks rare)
        n_shingles = max(n_shingles, n // 8)
    hashes = rng.integers(0, 2**64 - 1, size=n_shingles, dtype=np.uint64)
    sig = bin_minima(hashes, np.array([0, n_shingles], dtype=np.int64), n)
    _densify(sig, np.array([True]), n, seed)
    assert sig[0].tolist() == oph_reference(hashes.tolist(), n, seed)
