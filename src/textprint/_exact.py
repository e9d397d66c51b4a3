"""Exact-duplicate keys of whole texts (private): the job xxhash does in textprint.

A corpus crawled from the web holds many byte-identical copies, and signing a copy again (normalize,
tokenize, hash every shingle, MinHash) costs about a hundred times more than recognising it: the
128-bit XXH3 of a text's UTF-8 bytes (lone surrogates passed through) is computed at memory speed.
Two texts with the same key are taken to be the same text (a collision among 10**9 texts has
probability about 10**-21); texts that differ only in what normalization folds (width, case,
Traditional and Simplified forms) have different keys and are found by MinHash, with an
estimated Jaccard of 1.

`FirstCopies` streams texts, keeps one key per distinct text, and yields only the first copy of
each, so that `dedup` signs every distinct text once and gives each copy its first copy's
signature: the same rows, hence the same clusters, as signing every text (docs/benchmarks/lsh.md
measures the time saved).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import xxhash

from ._typing import Int64Array

__all__ = ["FirstCopies", "text_key"]


def text_key(text: str) -> int:
    """The 128-bit XXH3 of `text`'s UTF-8 bytes (lone surrogates passed through), as an int."""
    return int(xxhash.xxh3_128_intdigest(text.encode("utf-8", "surrogatepass")))


class FirstCopies:
    """The first copy of each distinct text of a stream, and where every text's first copy is.

    Iterating yields the texts that differ from every earlier one; afterwards ``first[i]`` is
    the index of the first text identical to text ``i`` (``i`` itself for a first copy) and
    ``unique`` the indices of the first copies, increasing.

    >>> copies = FirstCopies(["a", "b", "a", "c", "b"])
    >>> list(copies)
    ['a', 'b', 'c']
    >>> copies.first.tolist(), copies.unique.tolist()
    ([0, 1, 0, 3, 1], [0, 1, 3])
    """

    def __init__(self, texts: Iterable[str]) -> None:
        self._texts = texts
        self._first: list[int] = []
        self._unique: list[int] = []

    def __iter__(self) -> Iterator[str]:
        seen: dict[int, int] = {}  # key -> index of its first copy
        for i, text in enumerate(self._texts):
            j = seen.setdefault(text_key(text), i)
            self._first.append(j)
            if j == i:
                self._unique.append(i)
                yield text

    @property
    def first(self) -> Int64Array:
        return np.asarray(self._first, dtype=np.int64)

    @property
    def unique(self) -> Int64Array:
        return np.asarray(self._unique, dtype=np.int64)
