"""MinHash of long texts: signed in pieces cut where the text layer allows it, the result equal
to the whole text's, in every scheme and with every installed tokenizer."""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import textprint as tp
from helpers import tokenizer_available
from textprint import minhash as mhmod
from textprint._shingles import shingle_batch
from textprint._text_runs import kana_decides_ja
from textprint._tokens import piece_cuts
from textprint.errors import InvalidInputError
from textprint.minhash import SCHEMES

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

import reference_hashing as ref  # noqa: E402

# ------------------------------------------------------------------------------ long texts


INSTALLED = [name for name in ("char", "jieba", "mecab", "sudachi") if tokenizer_available(name)]
#: Traditional Chinese (folded to Simplified on Chinese runs, to shinjitai on Japanese ones)
#: and Japanese lines: their mix decides whether Han-only runs are Japanese in the document.
# short sentences (fewer than LONG_HAN_RUN Han each): their fold follows the document's language
ZH_LINE = "話說天下大勢。分久必合。合久必分。周末七國分爭。併入於秦。"
JA_LINE = "國の學校で舊い體育館を見た。かなりの廣さだった！"
#: Pieces that put every rule of a safe cut to work: line breaks after letters, CJK and
#: punctuation (kept, dropped between CJK, joined after a hyphen), CR LF, sentence ends,
#: marks that compose with what precedes them, invisible characters, white space, and
#: decorative separators (a chain never crosses a sentence end or a line: _separators).
CUT_PIECES = st.one_of(
    st.sampled_from(
        [
            "\n",
            "\r\n",
            "\r",
            "。",
            "！",
            "?",
            "-",
            "-\n",
            " ",
            "\u3000",
            "\u200b",
            "\u0301",
            "\u3099",
            "\u1161",
            "㍻",
            "ﬁ",
            "exam",
            "ple",
            "国學",
            "か",
            "カ",
            "한",
            ZH_LINE,
            JA_LINE,
            "\ud800",
            "天丶下丶大丶势丶分丶久",
            "話丨說丨天丨下丨大丨勢丨",
            "丶",
        ]
    ),
    ref.text_strategy(3),
)
LONG_TEXT = st.lists(CUT_PIECES, max_size=40).map("".join)


def _shingle_hashes_in_pieces(
    mh: tp.MinHasher, text: str, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> list[int]:
    """The shingle hashes the pieces of `text` contribute (every piece, every pass)."""
    seen: list[list[int]] = []
    passes: list[int] = []
    minima, pieces = mhmod.MinHasher._minima, mhmod.MinHasher._pieces

    def record(self: tp.MinHasher, sh: Any) -> np.ndarray:
        seen[-1].extend(sh.hashes.tolist())
        return minima(self, sh)

    def one_pass(self: tp.MinHasher, *args: Any) -> Any:
        seen.append([])
        passes.append(1)
        return pieces(self, *args)

    with monkeypatch.context() as m:
        m.setattr(mhmod.MinHasher, "_minima", record)
        m.setattr(mhmod.MinHasher, "_pieces", one_pass)
        mh._long(text, chunk)
    return seen[-1] if passes else []


@settings(deadline=None, derandomize=True, max_examples=150)
@given(LONG_TEXT, st.sampled_from(INSTALLED), st.integers(1, 6), st.integers(1, 60))
def test_a_long_text_in_pieces_has_the_shingles_of_the_whole(
    text: str, tokenizer: str, k: int, chunk: int
) -> None:
    # The shingle hashes of the pieces, boundary shingles included, are exactly (as a
    # multiset) those of the whole text: so are all minima, whatever the scheme.
    if len(text) <= chunk:
        return  # signatures() cuts only texts longer than the chunk
    mh = tp.MinHasher(n_hashes=8, k=k, tokenizer=tokenizer)
    cuts = piece_cuts(text, chunk, tokenizer)
    assert cuts[0] == 0
    assert cuts[-1] == len(text)
    assert all(a < b for a, b in itertools.pairwise(cuts))
    with pytest.MonkeyPatch.context() as monkeypatch:
        got = _shingle_hashes_in_pieces(mh, text, chunk, monkeypatch)
    if len(cuts) <= 2:
        return  # no safe cut: the text is signed whole
    want = shingle_batch([text], k=k, seed=0, tokenizer=tokenizer).hashes.tolist()
    assert sorted(got) == sorted(want)


@settings(deadline=None, derandomize=True, max_examples=40)
@given(
    st.lists(st.sampled_from([ZH_LINE, JA_LINE, "國學舊體。", "かなカナ。"]), max_size=60),
    st.sampled_from(["\n", "\r\n", ""]),
    st.sampled_from(INSTALLED),
    st.sampled_from(SCHEMES),
    st.integers(20, 200),
)
def test_pieces_follow_the_documents_language(
    lines: list[str], end: str, tokenizer: str, scheme: str, chunk: int
) -> None:
    # A piece whose own kana share decides otherwise than the document's is normalized with
    # the document's decision (Traditional -> Simplified or kyujitai -> shinjitai on
    # its Han-only runs), in both directions.
    text = end.join(lines)
    mh = tp.MinHasher(n_hashes=256, k=3, tokenizer=tokenizer, scheme=scheme)
    assert mh.signatures([text], chunk_chars=chunk).values.tolist() == (
        mh.signatures([text]).values.tolist()
    )


@pytest.mark.parametrize("tokenizer", INSTALLED)
@pytest.mark.parametrize("mostly", ["zh", "ja"])
def test_a_piece_that_disagrees_with_the_document_is_folded_like_it(
    tokenizer: str, mostly: str
) -> None:
    few, many = (JA_LINE, ZH_LINE) if mostly == "zh" else (ZH_LINE, JA_LINE)
    text = "\n".join([many] * 40 + [few] * 12 + [many] * 40)
    mh = tp.MinHasher(n_hashes=512, k=3, tokenizer=tokenizer, scheme="classic")
    cuts = piece_cuts(text, 100, tokenizer)
    local, counts = mhmod.MinHasher._pieces(mh, text, cuts, None)
    doc_ja = kana_decides_ja(sum(h for h, _ in counts), sum(k for _, k in counts))
    assert doc_ja == (mostly == "ja")
    assert any(h and kana_decides_ja(h, k) != doc_ja for h, k in counts)
    whole = mh.signatures([text]).values
    assert local.tolist() != whole.tolist()  # the pieces alone fold some lines otherwise
    assert mh.signatures([text], chunk_chars=100).values.tolist() == whole.tolist()


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("tokenizer", INSTALLED)
def test_long_fixtures_in_pieces_equal_whole(scheme: str, tokenizer: str) -> None:
    texts = [ref.fixture(n) for n in ("zh_novel", "ja_aozora", "ja_aozora_old", "en_gutenberg")]
    texts.append("\r\n".join(texts))
    mh = tp.MinHasher(n_hashes=128, seed=8, scheme=scheme, tokenizer=tokenizer)
    whole = mh.signatures(texts)
    for chunk in (40, 300, 2000):
        part = mh.signatures(texts, chunk_chars=chunk)
        assert np.array_equal(part.values, whole.values), chunk
        assert np.array_equal(part.valid, whole.valid)


def test_golden_vectors_in_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    cut = ref.fixture("zh_novel")[:300]
    # read, never (re)written here: test_signature_golden_vectors owns the file
    expected = json.loads((ref.GOLDEN_DIR / "signatures.json").read_text(encoding="utf-8"))
    for scheme in SCHEMES:
        for seed in (0, 1):
            mh = tp.MinHasher(n_hashes=128, seed=seed, scheme=scheme)
            for chunk in (10, 64, 150):
                assert len(piece_cuts(cut, chunk, "char")) > 2  # cut
                sig = mh.signatures([cut], chunk_chars=chunk).values[0]
                assert sig[:16].tolist() == expected[f"{scheme}/seed={seed}"], (scheme, chunk)
            monkeypatch.setattr(mhmod, "CHUNK_CHARS", 100)  # signature() cuts long texts too
            assert mh.signature(cut)[:16].tolist() == expected[f"{scheme}/seed={seed}"]
            monkeypatch.undo()


@pytest.mark.parametrize(
    "text",
    [
        "漢" * 500,  # no sentence end, no line break: no safe cut, signed whole
        "。" * 500,  # no token
        "。" * 300 + "天下" + "。" * 300,  # fewer than k tokens in all: one short shingle
        "天下。" + "\n" * 400 + "大势",
        "a\u0301。" * 200,
    ],
)
def test_long_texts_without_cuts_or_tokens(text: str) -> None:
    for scheme in SCHEMES:
        mh = tp.MinHasher(n_hashes=32, scheme=scheme)
        whole = mh.signatures([text])
        part = mh.signatures([text], chunk_chars=7)
        assert part.values.tolist() == whole.values.tolist()
        assert part.valid.tolist() == whole.valid.tolist()


def test_user_tokenizer_texts_are_signed_whole() -> None:
    class Words:
        identity = "words-1"

        def tokenize(self, text: str) -> tp.Tokens:
            return tp.tokenize(text, tokenizer="char")

    mh = tp.MinHasher(n_hashes=32, tokenizer=Words())
    text = ref.fixture("zh_novel")
    assert mh.signatures([text], chunk_chars=50).values.tolist() == (
        mh.signatures([text]).values.tolist()
    )


def test_signatures_stream_a_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    mh = tp.MinHasher(n_hashes=16)
    read: list[int] = []
    at_first_batch: list[int] = []

    def texts() -> Any:
        for i in range(100):
            read.append(i)
            yield f"text number {i} of many"

    batch = mhmod.MinHasher._batch

    def spy(self: tp.MinHasher, docs: list[str]) -> np.ndarray:
        at_first_batch.append(len(read))
        return batch(self, docs)

    monkeypatch.setattr(mhmod.MinHasher, "_batch", spy)
    sigs = mh.signatures(texts(), chunk_chars=100)
    assert len(sigs) == 100
    assert at_first_batch[0] <= 6  # read chunk by chunk, not materialized
    assert (
        sigs.values.tolist()
        == mh.signatures([f"text number {i} of many" for i in range(100)]).values.tolist()
    )


def test_signatures_bad_item_of_a_generator_names_it() -> None:
    def texts() -> Any:
        yield "a b c"
        yield "d e f"
        yield 7

    with pytest.raises(InvalidInputError, match=r"texts\[2\] must be a str, got int"):
        tp.MinHasher(n_hashes=8).signatures(texts(), chunk_chars=3)
    with pytest.raises(InvalidInputError, match="0-d array"):
        tp.MinHasher(n_hashes=8).signatures(np.array("x"))
