"""The batching rule of the batch stages (`textprint._kernels.batches`), against its definition."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

import textprint as tp
import textprint.winnowing
from textprint._kernels import batches

texts_st = st.lists(st.text(alphabet="ab漢", max_size=12), max_size=30)


@given(texts_st, st.integers(1, 20))
def test_batches_are_the_greedy_runs_within_the_chunk(texts: list[str], chunk: int) -> None:
    """Every text once, in order; a batch fits the chunk or is one longer text; and a batch
    ends only where the next text would not fit (greedy, no needless cut)."""
    runs = list(batches(iter(texts), chunk))
    assert [t for run in runs for t in run] == texts
    for i, run in enumerate(runs):
        assert run
        assert sum(map(len, run)) <= chunk or len(run) == 1
        if i + 1 < len(runs):
            assert sum(map(len, run)) + len(runs[i + 1][0]) > chunk


def test_batches_read_lazily() -> None:
    """The first batch comes out before the input is exhausted (signatures streams)."""

    def endless() -> Iterator[str]:
        while True:
            yield "abc"

    first = next(batches(endless(), 7))
    assert first == ["abc", "abc"]


TEXTS = ["床前明月光，疑是地上霜。", "Copies are found.", "", "吾輩は猫である。" * 3]


@pytest.mark.parametrize("chunk", [1, 5, 20, 40])
def test_batch_stages_do_not_depend_on_the_chunk(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cutting the same texts into other batches changes no signature and no fingerprint."""
    mh = tp.MinHasher(n_hashes=16)
    signatures = mh.signatures(TEXTS).values.tolist()
    fingerprints = [(f.hashes.tolist(), f.starts.tolist()) for f in tp.fingerprints(TEXTS, k=3)]
    assert mh.signatures(TEXTS, chunk_chars=chunk).values.tolist() == signatures
    monkeypatch.setattr(textprint.winnowing, "_CHUNK", chunk)
    again = [(f.hashes.tolist(), f.starts.tolist()) for f in tp.fingerprints(TEXTS, k=3)]
    assert again == fingerprints
