"""Tests of textprint.normalization: the fast path against the reference, properties, goldens.

The oracle is ``tests/reference.py`` (pure Python, one character at a time). Outside goldens:
Python's ``unicodedata`` (NFKC + case folding, when it is Unicode 14.0.0 like our tables),
OpenCC 1.4.2's own converter (Traditional -> Simplified, kyujitai -> shinjitai), and known NFKC
outputs.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import unicodedata

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import textprint as tp
from _normalization_cases import (
    COMPAT,
    FIXTURES,
    FOLD_KEYS,
    JA,
    LATIN_EXTRA,
    REMOVED,
    REPO,
    SONG,
    TABLES,
    TANG,
    any_text,
    as_tuple,
    chars,
    fixture,
    mixed_text,
    needs_unicode_14,
)
from helpers import require_pinned_opencc
from reference import normalize_reference
from textprint._normbatch import normalize_batch
from textprint._tables import CLASS_HAN, OPENCC_VERSION, TABLES_VERSION, UNICODE_VERSION
from textprint.errors import InvalidInputError, InvalidParameterError, TextprintError

# --------------------------------------------------------------------------------------------
# The fast path against the reference.


@given(mixed_text)
def test_matches_reference(text: str) -> None:
    assert as_tuple(tp.normalize(text)) == normalize_reference(text)


@given(st.text())
def test_matches_reference_on_any_unicode(text: str) -> None:
    assert as_tuple(tp.normalize(text)) == normalize_reference(text)


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.txt")))
def test_matches_reference_on_fixtures(name: str) -> None:
    text = fixture(name)
    assert as_tuple(tp.normalize(text)) == normalize_reference(text)


def test_matches_reference_on_poems() -> None:
    for text in TANG + SONG:
        assert as_tuple(tp.normalize(text)) == normalize_reference(text)


@given(st.lists(mixed_text, max_size=6))
def test_batch_matches_one_at_a_time(texts: list[str]) -> None:
    batch, _ = normalize_batch(texts)
    for d, text in enumerate(texts):
        a, b = int(batch.bounds[d]), int(batch.bounds[d + 1])
        expected_text, expected_starts, expected_ends = normalize_reference(text)
        assert batch.text(d) == expected_text
        assert batch.starts[a:b].tolist() == expected_starts
        assert batch.ends[a:b].tolist() == expected_ends


@given(st.lists(mixed_text, max_size=6))
def test_every_span_at_once_is_each_span_mapped_back(texts: list[str]) -> None:
    """``starts``/``ends`` (every position mapped at once) equal the spans of each position
    looked up alone (`span_start`/`span_end`, the binary searches the later stages use)."""
    batch, _ = normalize_batch(texts)
    idx = np.arange(len(batch.folded), dtype=np.int64)
    assert batch.starts.tolist() == batch.span_start(idx).tolist()
    assert batch.ends.tolist() == batch.span_end(idx).tolist()


@pytest.mark.parametrize("bad", [b"bytes", None, 42, ["list"], 3.5, bytearray(b"x")])
def test_non_str_raises_invalid_input_like_the_reference(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="text must be a str") as fast:
        tp.normalize(bad)  # type: ignore[arg-type]
    assert isinstance(fast.value, TypeError)
    assert isinstance(fast.value, TextprintError)
    with pytest.raises(InvalidInputError):
        normalize_reference(bad)  # type: ignore[arg-type]


def test_bytes_message_says_how_to_decode() -> None:
    with pytest.raises(InvalidInputError, match=r"decode"):
        tp.normalize("漢字".encode())  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# NFKC_Casefold against Python's unicodedata (an outside implementation of the same standard).


def nfkc_casefold(s: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", s).casefold())


@needs_unicode_14
def test_every_character_folds_like_unicodedata() -> None:
    """The per-character table is NFKC + full case folding, for every assigned plane."""
    lengths, single = TABLES.fold_len.tolist(), TABLES.fold_single.tolist()
    offsets, pool = TABLES.fold_offset.tolist(), TABLES.fold_pool.tolist()
    # Planes 4-13 are unassigned and 15-16 private use (NFKC leaves both alone): sample them.
    cps = [*range(0x40000), *range(0xE0000, 0xF0000), *range(0xF0000, 0x110000, 997)]
    bad = []
    for cp in cps:
        c = chr(cp)
        if 0xD800 <= cp <= 0xDFFF or c in REMOVED or c.isspace():
            continue
        n = lengths[cp]
        ours = chr(single[cp]) if n == 1 else "".join(map(chr, pool[offsets[cp] : offsets[cp] + n]))
        if ours != nfkc_casefold(c):
            bad.append((hex(cp), c, ours, nfkc_casefold(c)))
    assert bad == []


NFKC_PIECE = st.one_of(
    st.characters(exclude_categories=["Cs", "Cc"]),
    st.sampled_from(["e\u0301", "\u0301", "\u0323", "\u0302", "\u1100", "\u1161", "\u11a8"]),
    chars(0x300, 0x36F) | chars(0x1100, 0x11FF) | chars(0xAC00, 0xD7A3),
    chars(0x41, 0x7A) | chars(0xC0, 0x24F) | chars(0xFF01, 0xFF5E) | chars(0x1F00, 0x1FFF),
    st.sampled_from(LATIN_EXTRA + COMPAT),
)


@needs_unicode_14
@given(st.lists(NFKC_PIECE, max_size=30).map("".join))
def test_folds_strings_like_unicodedata(text: str) -> None:
    """Composition across characters (clusters) agrees with NFKC of the whole string."""
    assume(not any(c in REMOVED or c.isspace() for c in text))
    expected = nfkc_casefold(text)
    # a folded letter may hide inside a precomposed one: "ἀ" + U+0323 reorders into "α" + marks,
    # and the look-alike fold makes that "a"; look at the decomposed form too
    seen = expected + unicodedata.normalize("NFD", expected)
    assume(not any(c in FOLD_KEYS or c.isspace() or c in REMOVED for c in seen))
    assert tp.normalize(text).text == expected


# --------------------------------------------------------------------------------------------
# Properties (STYLE.md "Tests"; API.md "Text").


@given(any_text)
def test_idempotent(text: str) -> None:
    n = tp.normalize(text)
    assert tp.normalize(n.text).text == n.text


SMALL_KANA = [
    *"ぁぃぅぇぉっゃゅょゎゕゖ",
    *"ァィゥェォッャュョヮヵヶ",
    *"ㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ",  # Katakana Phonetic Extensions (Ainu)
    *"ｧｨｩｪｫｯｬｭｮ",  # half-width
]
VOICING = ["\u3099", "\u309a", "\uff9e", "\uff9f", "\u309b", "\u309c"]


@given(st.lists(st.sampled_from(SMALL_KANA + VOICING + list("かカうウはハ說 ")), max_size=12))
def test_small_kana_and_voicing_marks_are_idempotent(pieces: list[str]) -> None:
    text = "".join(pieces)
    n = tp.normalize(text)
    assert tp.normalize(n.text).text == n.text
    assert n.text == unicodedata.normalize("NFC", n.text)
    assert as_tuple(n) == normalize_reference(text)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("ㇰ\u3099", "ぐ"),  # small katakana ku (Katakana Phonetic Extensions, Ainu)
        ("ゕ\u3099", "が"),
        ("ㇳ\u3099", "ど"),
        ("ゖ\u3099", "げ"),
        ("ぅ\u3099", "ゔ"),
        ("ｩﾞ", "ゔ"),  # half-width small u + half-width voicing mark
        ("ㇵ\u309a", "ぱ"),
        ("\u0430\u0301", "\u00e1"),  # Cyrillic a + acute: the look-alike fold composes too
    ],
)
def test_a_base_that_folds_composes_with_its_mark(text: str, folded: str) -> None:
    """A base with no composite for a mark composes as its kana or look-alike fold does: the
    composed character spans both original characters and is one token."""
    n = tp.normalize(text)
    assert as_tuple(n) == (folded, [0], [2])
    assert normalize_reference(text) == (folded, [0], [2])
    assert tp.normalize(n.text).text == n.text
    assert tp.tokenize(text).tokens == (folded,)
    assert tp.normalize("前" + text + "後").source_span(1, 2) == (1, 3)


@given(any_text)
def test_spans_slice_the_original(text: str) -> None:
    n = tp.normalize(text)
    starts, ends = n.starts, n.ends
    assert starts.dtype == np.int64
    assert ends.dtype == np.int64
    assert len(starts) == len(ends) == len(n.text) == len(n)
    assert ((starts >= 0) & (starts < ends) & (ends <= len(text))).all()
    assert (np.diff(starts) >= 0).all()
    assert (np.diff(ends) >= 0).all()
    # Spans are the original clusters: two of them are equal or disjoint.
    distinct = sorted(set(zip(starts.tolist(), ends.tolist())))
    assert all(e1 <= s2 for (_, e1), (s2, _) in itertools.pairwise(distinct))


@given(any_text)
def test_spans_point_back_to_text_that_normalizes_the_same(text: str) -> None:
    n = tp.normalize(text)
    spans = list(zip(n.starts.tolist(), n.ends.tolist()))
    # The original clusters, concatenated, normalize to the whole view.
    clusters = "".join(text[s:e] for s, e in dict.fromkeys(spans))
    assert tp.normalize(clusters).text == n.text
    # Each cluster alone gives its characters; only the script fold of Han characters depends
    # on the rest of the run, so where there is no Han, the characters are exactly the same.
    groups: dict[tuple[int, int], str] = {}
    for span, ch in zip(spans, n.text):
        groups[span] = groups.get(span, "") + ch
    # (Edge spaces aside: an expansion such as "¨" -> " \u0308" loses its space to a run of
    # white space before it.)
    for (s, e), folded in groups.items():
        alone = tp.normalize(text[s:e]).text.strip(" \n")
        assert len(alone) == len(folded.strip(" \n"))
        if not any(TABLES.classes[ord(c)] == CLASS_HAN for c in folded):
            assert alone == folded.strip(" \n")


@given(any_text, st.data())
def test_source_span_maps_a_range_back(text: str, data: st.DataObject) -> None:
    n = tp.normalize(text)
    assume(len(n) > 0)
    a = data.draw(st.integers(0, len(n) - 1))
    b = data.draw(st.integers(a + 1, len(n)))
    assert n.source_span(a, b) == (int(n.starts[a]), int(n.ends[b - 1]))


@pytest.mark.parametrize(("start", "end"), [(0, 0), (-1, 2), (2, 1), (0, 99)])
def test_source_span_rejects_a_bad_range(start: int, end: int) -> None:
    with pytest.raises(InvalidParameterError, match=r"must satisfy 0 <= start < end <= 3"):
        tp.normalize("abc").source_span(start, end)


# --------------------------------------------------------------------------------------------
# Golden outputs: known NFKC / case folding / kana folds, and the spans they keep.

GOLDEN = [
    # (input, text, starts, ends)
    ("㈱", "(株)", [0, 0, 0], [1, 1, 1]),  # one character expands; its span is shared
    ("ｶﾞ", "が", [0], [2]),  # half-width kana + voicing mark: one cluster
    ("カ\u3099", "が", [0], [2]),  # decomposed voicing mark
    ("ﬁ", "fi", [0, 0], [1, 1]),
    ("Straße", "strasse", [0, 1, 2, 3, 4, 4, 5], [1, 2, 3, 4, 5, 5, 6]),
    ("e\u0301", "é", [0], [2]),
    ("\u1100\u1161\u11a8", "각", [0], [3]),  # conjoining jamo compose
    ("①½™", "11⁄2tm", [0, 1, 1, 1, 2, 2], [1, 2, 2, 2, 3, 3]),
    ("Ⅻ ℌ …", "xii h ...", [0, 0, 0, 1, 2, 3, 4, 4, 4], [1, 1, 1, 2, 3, 4, 5, 5, 5]),
    ("㍻㋿", "平成令和", [0, 0, 1, 1], [1, 1, 2, 2]),
    ("㌔", "きろ", [0, 0], [1, 1]),  # squared katakana -> katakana -> hiragana
    ("\u1e9b\u0323", "ṩ", [0], [2]),  # UAX #15's own example
    ("Å Ω K", "å ω k", [0, 1, 2, 3, 4], [1, 2, 3, 4, 5]),  # singletons: Angstrom, Ohm, Kelvin
    ("ｷﾞｬｯﾄ", "ぎやつと", [0, 2, 3, 4], [2, 3, 4, 5]),  # small kana folded to large
    ("İ", "i̇", [0, 0], [1, 1]),  # full case folding
    ("ΣΑΣ", "σaσ", [0, 1, 2], [1, 2, 3]),  # Greek alpha looks like Latin a
    ("a\u200bb\u00adc\ufe0fd", "abcd", [0, 2, 4, 6], [1, 3, 5, 7]),  # invisibles removed
    ("a \t\u3000 b", "a b", [0, 1, 5], [1, 2, 6]),
    ("a \r\n b", "a\nb", [0, 3, 5], [1, 4, 6]),  # the LF of CR LF stands for the run
    ("漢 \n字", "汉字", [0, 3], [1, 4]),  # CJK re-wrap
    ("ア イ", "あい", [0, 2], [1, 3]),
    ("學而時習之", "学而时习之", [0, 1, 2, 3, 4], [1, 2, 3, 4, 5]),
    ("\U00020000\U0002a6d6", "\U00020000\U0002a6d6", [0, 1], [1, 2]),  # Ext B, astral
    ("\ud800a\udfff", "\ufffda\ufffd", [0, 1, 2], [1, 2, 3]),  # lone surrogates, one for one
    ("a\x00b\x07c\x1bd\x7f", "abcd", [0, 2, 4, 6], [1, 3, 5, 7]),  # controls removed
    ("", "", [], []),
]


@pytest.mark.parametrize(("text", "folded", "starts", "ends"), GOLDEN)
def test_golden(text: str, folded: str, starts: list[int], ends: list[int]) -> None:
    assert as_tuple(tp.normalize(text)) == (folded, starts, ends)
    assert normalize_reference(text) == (folded, starts, ends)


@needs_unicode_14
@pytest.mark.parametrize("text", ["①½™", "Ⅻ ℌ …", "\u1e9b\u0323", "Straße", "ﬁ", "İ"])
def test_golden_nfkc_agrees_with_unicodedata(text: str) -> None:
    assert tp.normalize(text).text == nfkc_casefold(text)


# --------------------------------------------------------------------------------------------
# Bad and extreme input: defined results, never an exception.


@pytest.mark.parametrize(
    "text",
    ["", "\x00", "\x00" * 100, "\ud800", "\udfff\ud800", "\u200b" * 50, "\u0301", "\u3099\u3099",
     "\u11a8", " ", "\n\n\n", "-\n", "\U000e0001", "\ufeff"],
)  # fmt: skip
def test_degenerate_text_gives_a_defined_result(text: str) -> None:
    n = tp.normalize(text)
    assert as_tuple(n) == normalize_reference(text)
    assert len(n.starts) == len(n.text)


def test_empty_text() -> None:
    n = tp.normalize("")
    assert n.text == ""
    assert n.starts.dtype == n.ends.dtype == np.int64
    assert n.starts.shape == n.ends.shape == (0,)


def test_lone_surrogates_become_replacement_characters_one_for_one() -> None:
    text = "前\ud83d後\ude00"  # halves of a surrogate pair, each alone
    n = tp.normalize(text)
    assert n.text == "前\ufffd后\ufffd"
    assert n.starts.tolist() == [0, 1, 2, 3]


def test_five_megabytes() -> None:
    """A 5 MB text: the same result as its pieces (no time limit: correctness only)."""
    piece = JA  # starts with a letter and ends with a line break: copies join cleanly
    copies = 5_000_000 // len(piece.encode()) + 1
    big = piece * copies
    assert len(big.encode()) >= 5_000_000
    n, one = tp.normalize(big), tp.normalize(piece)
    assert len(n.text) == len(one.text) * copies
    assert n.text == one.text * copies
    shift = np.repeat(np.arange(copies, dtype=np.int64) * len(piece), len(one.text))
    assert np.array_equal(n.starts, np.tile(one.starts, copies) + shift)
    assert np.array_equal(n.ends, np.tile(one.ends, copies) + shift)


# --------------------------------------------------------------------------------------------
# The shipped tables.


def test_identity_names_the_pinned_versions() -> None:
    assert TABLES.identity.startswith(
        f"tables-{TABLES_VERSION}(unicode-{UNICODE_VERSION},opencc-{OPENCC_VERSION},sha256:"
    )
    assert tp.normalize("x").identity.endswith(TABLES.identity)


def test_tables_load_without_pickle() -> None:
    path = REPO / "src" / "textprint" / "_data" / f"tables-{TABLES_VERSION}.npz"
    with np.load(path, allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)


@pytest.mark.slow  # regenerates every table from unicodedata and OpenCC: ~15-25 s
@needs_unicode_14
def test_generator_reproduces_the_shipped_tables() -> None:
    require_pinned_opencc()
    script = REPO / "scripts" / "generate_tables.py"
    run = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "tables match" in run.stdout


def test_hyphen_before_a_blank_line_is_not_joined() -> None:
    # a blank line is a paragraph break: "Nora-" ends one paragraph, "Nora" starts the next
    assert tp.normalize("dear Nora-\n\nNora").text == "dear nora-\nnora"
    assert tp.normalize("dear Nora-\r\n\r\nNora").text == "dear nora-\nnora"
    assert tp.normalize("exam-\r\nple").text == "example"
