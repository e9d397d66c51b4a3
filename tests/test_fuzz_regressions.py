"""Regression tests: each is a bug the fuzz found, reduced to its smallest input.

Found by the properties of tests/test_fuzz.py (generated text) and tests/test_fuzz_api.py (junk
arguments), in the CI slice or in a full run (``nox -s fuzz``; the seed and factor are noted
where it matters). A bug still open would be pinned here with ``xfail(strict=True)`` and its
inputs skipped by a ``KNOWN_BUG_*`` predicate in the fuzz module (none is open now).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import textprint as tp
from _fuzz import T
from helpers import tokenizer_available
from textprint.errors import InvalidInputError, InvalidParameterError

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
