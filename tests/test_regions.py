"""Tests of what verification does per region of a work: where a region's piece is cut
(`natural_cuts`, against the one-at-a-time reference below) and which regions are never
aligned because they share too few seeds to hold a passage (`min_seeds`)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from textprint._alignment import _seeds, align, min_seeds, needed_tokens, prepare_batch
from textprint._kernels import codepoints
from textprint._tables import CLASS_BREAK, CLASS_NEWLINE, CLASS_SPACE, get_tables
from textprint._text_runs import natural_cut, natural_cuts


def natural_cut_reference(text: str, lo: int, hi: int) -> int:
    """`natural_cut` as its docstring says it, one range at a time."""
    lo, hi = max(lo, 0), min(hi, len(text))
    if hi <= lo:
        return hi
    tables = get_tables()
    c = codepoints(text[lo:hi])
    cls = tables.match_class[tables.fold_single[c]]
    single = tables.fold_len[c] == 1
    for mark in (cls == CLASS_NEWLINE, single & (cls == CLASS_BREAK), cls == CLASS_SPACE):
        found = np.flatnonzero(mark)
        if len(found):
            return lo + int(found[-1]) + 1
    # the last cut lo + 1 .. hi that does not part a character from a composing mark
    for cut in range(hi, lo, -1):
        if cut == len(text) or not tables.cluster[codepoints(text[cut])[0]]:
            return cut
    return hi


ALPHABET = st.sampled_from(list("ab 。\n\r！?，か\u3099\u0301e\u200d\U0001f600丶\ud800\t"))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(ALPHABET, max_size=14), min_size=1, max_size=4), st.data())
def test_natural_cuts_equal_the_reference(texts: list[str], data: st.DataObject) -> None:
    ranges = data.draw(
        st.lists(
            st.tuples(st.integers(0, len(texts) - 1), st.integers(-2, 16), st.integers(-2, 16)),
            max_size=8,
        )
    )
    which = np.array([r[0] for r in ranges], dtype=np.int64)
    lo = np.array([r[1] for r in ranges], dtype=np.int64)
    hi = np.array([r[2] for r in ranges], dtype=np.int64)
    got = natural_cuts(texts, which, lo, hi).tolist()
    assert got == [natural_cut_reference(texts[w], a, b) for w, a, b in ranges]
    for w, a, b in ranges:
        assert natural_cut(texts[w], a, b) == natural_cut_reference(texts[w], a, b)


def test_natural_cuts_prefer_lines_then_sentences_then_spaces() -> None:
    text = "一句。\n二句。三 四"
    which = np.zeros(4, dtype=np.int64)
    lo = np.array([0, 5, 8, 9], dtype=np.int64)
    hi = np.array([10, 10, 10, 10], dtype=np.int64)
    assert natural_cuts([text], which, lo, hi).tolist() == [4, 7, 9, 10]


PIECES = [
    "天下大势，分久必合，合久必分。",
    "周末七国分争，并入于秦。",
    "The quick brown fox jumps.",
    "吾輩は猫である。",
]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=6),
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=6),
    st.integers(2, 6),
)
def test_a_passage_holds_at_least_min_seeds(a: list[str], b: list[str], k: int) -> None:
    """Whatever `align` finds between two texts, they share at least `min_seeds` seeds: a
    region sharing fewer is skipped without losing a passage."""
    q, s = prepare_batch(["".join(a), "".join(b)], k=k, seed=0, tokenizer="char")
    passages = align(q, s, k=k, gap=3 * k, min_tokens=None)[0]
    n_pairs = len(_seeds(q.shingles, s.shingles)[0])
    need = needed_tokens(q.cjk or s.cjk, q.n_tokens, s.n_tokens, None)
    if passages:
        assert n_pairs >= min_seeds(need, k)
    if n_pairs < min_seeds(need, k):
        assert passages == []


def test_min_seeds() -> None:
    assert min_seeds(16, 5) == 8  # half of the tokens a passage needs
    assert min_seeds(3, 5) == 1  # a whole short text: one shingle
    assert min_seeds(6, 5) == 2  # every shingle of a verbatim copy of 6 tokens
    assert needed_tokens(True, 100, 100, None) == 16
    assert needed_tokens(False, 100, 100, None) == 10
    assert needed_tokens(True, 7, 100, None) == 7
