"""Documents for the LSH tests (tests/test_lsh.py, tests/test_lsh_index.py)."""

from __future__ import annotations

import functools
import random
from pathlib import Path

from helpers import edit, fixture_chunks

FIXTURES = Path(__file__).parent / "fixtures"


@functools.cache
def fixture_documents() -> tuple[list[str], list[int]]:
    """Chunks of every fixture and poem, each followed by 0-3 lightly edited copies.

    Returns the documents and, per document, the index of the chunk it comes from.
    """
    rng = random.Random("lsh-docs")
    chunks = fixture_chunks(FIXTURES, size=300, size_en=1200, min_poem=60)
    docs, origin = [], []
    for c, chunk in enumerate(chunks):
        docs.append(chunk)
        origin.append(c)
        for _ in range(rng.randint(0, 3)):
            docs.append(edit(chunk, rng, rng.randint(1, 2)))
            origin.append(c)
    return docs, origin
