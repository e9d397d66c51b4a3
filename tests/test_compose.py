"""textprint._compose: the one copy of UAX #15's canonical ordering and composition.

The package's exact path and scripts/generate_tables.py both call it. Without a fold it must be
Unicode's composition exactly, which Python's own ``unicodedata`` gives for the same Unicode
version; with the fold it adds textprint's one rule (see ``textprint._folding.compose``).
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from textprint._compose import compose_sequence
from textprint._tables import UNICODE_VERSION, get_tables

TABLES = get_tables()

needs_unicode_14 = pytest.mark.skipif(
    unicodedata.unidata_version != UNICODE_VERSION,
    reason=f"unicodedata is {unicodedata.unidata_version}, the tables are {UNICODE_VERSION}",
)

#: Characters that decompose, compose or reorder: Latin with marks, combining marks of several
#: classes, Hangul syllables and conjoining jamo, kana and their voicing marks, and a few
#: composition exclusions and singletons.
PIECES = st.sampled_from(
    list("aeiouAEIOUnNcCsSzZ")
    + [chr(c) for c in range(0x0300, 0x0346)]  # combining marks (classes 220, 230, 232, ...)
    + ["\u0323", "\u031b", "\u0345", "\u05b0", "\u0f72", "\u0f71"]
    + list("ÅÉñçžǰ")
    + [chr(c) for c in range(0x1100, 0x1104)]  # leading jamo
    + [chr(c) for c in range(0x1161, 0x1165)]  # vowel jamo
    + [chr(c) for c in range(0x11A8, 0x11AB)]  # trailing jamo
    + list("가각나힣")
    + list("かがはぱカガハパゝゞヽヾ")
    + ["\u3099", "\u309a"]
    + ["\u0958", "\u2adc", "\u0344", "\u212b", "\u2126"]  # exclusions and singletons
)


def as_cps(text: str) -> list[int]:
    return [ord(c) for c in text]


@needs_unicode_14
@given(st.lists(PIECES, max_size=12).map("".join))
def test_without_a_fold_it_is_unicode_composition(text: str) -> None:
    """Composing each character's canonical decomposition (not reordered across characters:
    the marks of several characters may be out of order) gives NFC, as unicodedata says."""
    decomposed = as_cps("".join(unicodedata.normalize("NFD", c) for c in text))
    got = compose_sequence(decomposed, TABLES.ccc, TABLES.pairs)
    assert got == as_cps(unicodedata.normalize("NFC", text))


@given(st.lists(PIECES, max_size=12).map("".join))
def test_composing_twice_changes_nothing(text: str) -> None:
    once = compose_sequence(as_cps(text), TABLES.ccc, TABLES.pairs)
    assert compose_sequence(once, TABLES.ccc, TABLES.pairs) == once


def test_the_fold_composes_a_starter_as_its_fold_would() -> None:
    """Small katakana "ㇰ" has no composite with the voicing mark; its fold "く" has ("ぐ")."""
    common = TABLES.common
    seq = [0x31F0, 0x3099]
    assert compose_sequence(seq, TABLES.ccc, TABLES.pairs) == seq
    folded = compose_sequence(seq, TABLES.ccc, TABLES.pairs, lambda cp: int(common[cp]))
    assert folded == [ord("ぐ")]


def test_an_empty_sequence_and_a_lone_mark() -> None:
    assert compose_sequence([], TABLES.ccc, TABLES.pairs) == []
    assert compose_sequence([0x0301, 0x0041], TABLES.ccc, TABLES.pairs) == [0x0301, 0x0041]
