"""Thresholds of the core stages, each tested at the threshold, just under it and just over it.

``compare``'s ``gap``, the LSH index's query threshold and band collisions, and winnowing's
window edges. Each docstring names the mutation of the code that the test kills (see the
mutation section of docs/reliability.md). The Registry's thresholds are in
test_registry_boundaries.py, the report's in test_report_boundaries.py.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pytest

import textprint as tp
from _boundary import under_at_over
from helpers import han
from reference_hashing import winnow_reference
from textprint.winnowing import winnow

FIXTURES = Path(__file__).parent / "fixtures"
#: Han characters of Extension A, which the zh fixtures do not use.
FILLER = "".join(chr(0x3400 + i) for i in range(24))


@functools.cache
def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


# -- compare: gap ---------------------------------------------------------------------------


def holed_copy(m: int, kind: str) -> tuple[str, str]:
    """(query, source): 300 characters of the source copied into a host, with `m` characters
    in the middle of the copy substituted, or inserted into it."""
    src = fixture("zh_novel.txt")[:600]
    host = fixture("zh_novel_2.txt")
    assert not set(FILLER) & set(src)
    if kind == "substituted":
        copy = src[100:250] + FILLER[:m] + src[250 + m : 400]
    else:
        copy = src[100:250] + FILLER[:m] + src[250:400]
    return host[:50] + copy + host[50:100], src


@pytest.mark.parametrize("kind", ["substituted", "inserted"])
@pytest.mark.parametrize(("k", "m"), [(3, 2), (3, 6), (5, 2), (5, 4), (5, 8)])
def test_gap_bridges_a_hole_of_m_tokens_from_m_plus_k(k: int, m: int, kind: str) -> None:
    """An edit of `m` tokens breaks the `k` shingles over it: the seeds on either side are
    ``m + k`` shingles apart, so the two halves are one passage from ``gap=m + k`` on and two
    below it.

    Kills: ``gap`` ignored (the default ``3 * k`` used instead: wrong on one side of the
    boundary for every case here), ``qs - last > gap`` turned into ``>=``, and the source-side
    test ``ds > gap`` turned into ``ds >= gap``.
    """
    query, source = holed_copy(m, kind)
    at = tp.compare(query, source, k=k, gap=m + k)
    under = tp.compare(query, source, k=k, gap=m + k - 1)
    assert len(at.passages) == 1
    assert len(under.passages) == 2
    (p,) = at.passages
    assert (p.query_start, p.source_start) == (50, 100)
    assert under.passages[0].query_start == 50
    assert under.passages[1].query_end == p.query_end
    # the default gap is 3 * k
    default = tp.compare(query, source, k=k)
    assert len(default.passages) == (1 if m + k <= 3 * k else 2)
    assert default.params.gap == 3 * k


def test_gap_zero_keeps_every_run_apart() -> None:
    """``gap=0`` is valid (no hole is bridged) and ``gap=-1`` is refused.

    Kills: the lower bound of gap moved (0 refused, or -1 accepted).
    """
    query, source = holed_copy(2, "substituted")
    assert len(tp.compare(query, source, gap=0).passages) == 2
    with pytest.raises(tp.InvalidParameterError, match="gap"):
        tp.compare(query, source, gap=-1)


def test_a_chain_counts_the_seeds_of_all_its_runs() -> None:
    """A copy with two characters replaced every nine is one passage: each of its runs has
    only three seeds, fewer than the half of 16 tokens the evidence needs, but the chain of
    nine runs has 27.

    Kills: a chain's seed count replaced by its last run's (``ch[4] = n``), and runs not
    chained at all.
    """
    copy = list(han(20, 110))
    for i in range(4, len(copy) - 1, 9):
        copy[i], copy[i + 1] = FILLER[i % 24], FILLER[(i + 1) % 24]
    query = han(400, 450) + "".join(copy) + han(450, 500)
    (p,) = tp.compare(query, han(0, 300)).passages
    assert abs(p.query_start - 50) <= 6
    assert abs(p.query_end - 140) <= 6
    assert abs(p.source_start - 20) <= 6


def test_a_query_shorter_than_the_minimum_copied_whole() -> None:
    """A 10-character query copied from a long source is one passage: the minimum length is
    capped at the query's length too, not only the source's.

    Kills: the cap ``min(need, q.n_tokens, s.n_tokens)`` without the query's length.
    """
    source = han(0, 300)
    c = tp.compare(source[100:110], source)
    assert c.passages == (tp.Passage(0, 10, 100, 110),)
    assert c.containment == 1.0


def test_growing_a_passage_stops_at_the_start_of_the_source() -> None:
    """A passage at the very start of the source does not grow backwards past it, even when
    the query character before it equals the source's LAST character.

    Kills: the backward growth testing the source END ``p[3] > 0`` instead of its start
    ``p[2] > 0`` (it would compare with ``su[-1]`` and start the passage at -1).
    """
    source = han(0, 60) + "终"
    query = "终" + han(0, 60)
    assert tp.compare(query, source).passages == (tp.Passage(1, 61, 0, 60),)


def test_incompatible_comparisons_name_what_differs() -> None:
    """Kills: ``CompareParams.check_compatible`` not comparing (or not naming) the settings."""
    a = tp.compare("天下大势分久必合", "天下大势", k=3).params
    a.check_compatible(tp.compare("周末七国", "周末", k=3).params)
    with pytest.raises(tp.IncompatibleError, match=r"^these comparisons .*k=3 vs 4"):
        a.check_compatible(tp.compare("周末七国", "周末", k=4).params)


@pytest.mark.parametrize("n_pad", [31, 32, 33, 40])
def test_character_refinement_reaches_32_characters_beyond_the_tokens(n_pad: int) -> None:
    """Characters equal in both texts just outside a passage's tokens (here a run of `n_pad`
    full-width exclamation marks on each side, which are no tokens) are taken in, up to 32 on
    each side.

    Kills: the limit REFINE_CHARS = 32 reached with ``<=`` (33 characters), or its step
    counter not counting (``steps - 1``: unbounded) or counting double (16 characters).
    """
    copy = han(0, 60)
    pad = "！" * n_pad
    query = han(200, 230) + "甲" + pad + copy + pad + "乙" + han(230, 260)
    source = han(300, 330) + "丙" + pad + copy + pad + "丁" + han(330, 360)
    at = 31 + n_pad  # where the copy starts, in both texts
    grow = min(n_pad, 32)
    assert tp.compare(query, source).passages == (
        tp.Passage(at - grow, at + 60 + grow, at - grow, at + 60 + grow),
    )


@pytest.mark.parametrize("overlap", [1, 2, 3])
def test_passages_overlapping_by_a_token_are_trimmed_in_both_texts(overlap: int) -> None:
    """Two copied pieces A and B, where the source repeats A's last `overlap` characters just
    before B: the second passage starts at B in the query AND in the source, also when the
    two passages overlap by exactly one token.

    Kills: the trim of overlapping passages testing ``p[0] < last end`` instead of ``<=`` (an
    overlap of one token kept its source start one character early).
    """
    a, b, junk = han(0, 40), han(100, 140), han(300, 340)
    source = a + junk + a[-overlap:] + b
    at = len(a) + len(junk) + overlap
    assert tp.compare(a + b, source).passages == (
        tp.Passage(0, 40, 0, 40),
        tp.Passage(40, 80, at, at + 40),
    )


# -- LSH: the query threshold and band collisions --------------------------------------------


N_HASHES, BANDS, ROWS = 16, 4, 4


def pair(agree: int, *, whole_band: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Two signatures equal on exactly `agree` of 16 positions: the first `agree` positions
    (so the first band is equal when ``agree >= 4``), or, with ``whole_band=False``, spread so
    that no band is equal."""
    a = np.arange(1, N_HASHES + 1, dtype=np.uint64) * np.uint64(1_000_003)
    b = a + np.uint64(7)
    if whole_band:
        same = list(range(agree))
    else:  # at most ROWS - 1 equal positions per band
        same = [band * ROWS + r for r in range(ROWS - 1) for band in range(BANDS)][:agree]
    b[same] = a[same]
    return a, b


def index_of(b: np.ndarray, threshold: float) -> tp.LSHIndex:
    index = tp.LSHIndex(threshold, n_hashes=N_HASHES, bands=BANDS, rows=ROWS)
    index.add(["b"], b[None, :])
    return index


@under_at_over(("agree", "found"), 8, of=16)
def test_query_threshold_is_reached_at_equality(agree: int, found: bool) -> None:
    """A match whose estimate equals the index's threshold (8/16 = 0.5) is returned; 7/16 is not.

    Kills: ``est >= threshold`` turned into ``>`` (8/16 lost), and the tolerance widened to a
    whole position (7/16 returned).
    """
    a, b = pair(agree)
    index = index_of(b, 0.5)
    assert index.query(a) == ([tp.Match("b", agree / N_HASHES)] if found else [])
    # the same through an explicit query threshold
    assert bool(index.query(a, threshold=0.5)) is found
    assert index.query(a, threshold=agree / N_HASHES) == [tp.Match("b", agree / N_HASHES)]


@pytest.mark.parametrize("agree", [ROWS - 1, ROWS * BANDS - BANDS])
def test_no_equal_band_is_no_candidate(agree: int) -> None:
    """Signatures equal on up to ``rows - 1`` positions of every band are never candidates,
    even with ``threshold=0`` (every candidate) and 12 of 16 positions equal; one equal band
    (``rows`` positions) makes them one.

    Kills: a band counted as equal on fewer than all its rows, and ``threshold=0`` returning
    pairs that share no band.
    """
    a, b = pair(agree, whole_band=False)
    index = index_of(b, 0.5)
    assert index.query(a, threshold=0.0) == []
    a, b = pair(ROWS)
    assert index_of(b, 0.5).query(a, threshold=0.0) == [tp.Match("b", ROWS / N_HASHES)]
    a, b = pair(ROWS - 1)
    assert index_of(b, 0.5).query(a, threshold=0.0) == []


def test_top_k_at_the_number_of_matches() -> None:
    """top_k = n - 1, n, n + 1 of n matches keeps n - 1, n, n, best first.

    Kills: ``starts + top_k`` off by one either way.
    """
    a, _ = pair(16)
    index = tp.LSHIndex(0.5, n_hashes=N_HASHES, bands=BANDS, rows=ROWS)
    rows = []
    for agree in (16, 12, 10, 8):
        _, b = pair(agree)
        rows.append(b)
    index.add(["k16", "k12", "k10", "k8"], np.stack(rows))
    full = index.query(a)
    assert [m.key for m in full] == ["k16", "k12", "k10", "k8"]
    assert index.query(a, top_k=3) == full[:3]
    assert index.query(a, top_k=4) == full
    assert index.query(a, top_k=5) == full


def test_for_threshold_derives_the_banding_at_the_threshold() -> None:
    """``LSHIndex.for_threshold(t)`` bands by ``optimal_bands(t)``: its default threshold is t
    and a pair just over t is found while a pair just under is not.

    Kills: the threshold not passed on to the index (the default 0.8 used), and the banding
    derived from another threshold.
    """
    index = tp.LSHIndex.for_threshold(0.5, n_hashes=N_HASHES)
    assert (index.bands, index.rows) == tp.lsh.optimal_bands(0.5, n_hashes=N_HASHES)
    assert index.threshold == 0.5
    a, b9 = pair(9)
    _, b7 = pair(7)
    index.add(["b9", "b7"], np.stack([b9, b7]))
    assert index.query(a) == [tp.Match("b9", 9 / N_HASHES)]


def test_top_k_one_and_zero() -> None:
    """``top_k=1`` keeps the best match; ``top_k=0`` is refused.

    Kills: top_k's lower bound moved (1 refused, or 0 accepted).
    """
    a, b = pair(12)
    index = index_of(b, 0.5)
    assert index.query(a, top_k=1) == [tp.Match("b", 12 / N_HASHES)]
    with pytest.raises(tp.InvalidParameterError, match="top_k"):
        index.query(a, top_k=0)


def test_matches_stay_with_their_query_when_an_estimate_is_zero() -> None:
    """A candidate that shares only a band of EMPTY values has an estimate of 0 (EMPTY is no
    evidence); with ``threshold=0`` it is returned for its own query, and the next query's
    identical match stays with the next query.

    Kills: the sort key of (query, estimate) letting a query's estimate-0 match fall behind
    the next query's matches (``q * (n_hashes - 1)`` for ``q * (n_hashes + 1)``).
    """
    empty = np.uint64(2**64 - 1)
    x = np.arange(1, N_HASHES + 1, dtype=np.uint64) * np.uint64(7_919)
    x[:ROWS] = empty  # the first band all EMPTY
    a = np.arange(1, N_HASHES + 1, dtype=np.uint64) * np.uint64(104_729)
    a[:ROWS] = empty  # shares only that band with x
    y = np.arange(1, N_HASHES + 1, dtype=np.uint64) * np.uint64(15_485_863)
    index = tp.LSHIndex(0.5, n_hashes=N_HASHES, bands=BANDS, rows=ROWS)
    index.add(["x", "y"], np.stack([x, y]))
    got = index.query_many(np.stack([a, y]), threshold=0.0)
    assert got == [[tp.Match("x", 0.0)], [tp.Match("y", 1.0)]]


def test_index_messages_name_what_is_wrong() -> None:
    """Kills: the compared things missing from the incompatibility message of ``add``, and the
    hint of a 0-d array of keys."""
    texts = [fixture("zh_novel.txt")[:300], fixture("en_gutenberg.txt")[:300]]
    index = tp.LSHIndex(0.5, n_hashes=16)
    index.add(["zh", "en"], tp.MinHasher(16).signatures(texts))
    with pytest.raises(tp.IncompatibleError, match=r"^the index and these signatures "):
        index.add(["zh7", "en7"], tp.MinHasher(16, k=7).signatures(texts))
    with pytest.raises(tp.InvalidInputError, match=r"wrap a single key in a list$"):
        index.add(np.array("zh"), tp.MinHasher(16).signatures(texts[:1]))


def test_a_newer_index_file_is_named_in_the_error(tmp_path: Path) -> None:
    """Kills: the file's path dropped from the FormatError of a newer format version."""
    import json
    import zipfile

    path = tmp_path / "index.tpl"
    tp.LSHIndex(0.5, n_hashes=16).save(path)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    header = json.loads(members["header.json"])
    header["version"] = 2
    members["header.json"] = json.dumps(header).encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    with pytest.raises(tp.FormatError, match=rf"^'{re.escape(str(path))}' has LSH index format"):
        tp.LSHIndex.load(path)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_hashes": 0}, r"^n_hashes=0 "),
        ({"n_hashes": 2**16 + 1, "bands": 1, "rows": 1}, r"^n_hashes=65537 "),
        ({"bands": 0, "rows": 4}, r"^bands=0 "),
        ({"bands": 4, "rows": 0}, r"^rows=0 "),
        ({"n_hashes": 16, "bands": 5, "rows": 4}, r"^bands\*rows=20 must be <= n_hashes=16$"),
    ],
)
def test_index_settings_out_of_range_are_named(kwargs: dict[str, int], message: str) -> None:
    """n_hashes from 1 to 2**16, bands and rows from 1, bands * rows at most n_hashes; each
    refusal names the setting and its value.

    Kills: a setting's name dropped from its message, the 2**16 cap of n_hashes dropped, and
    bands * rows misreported.
    """
    with pytest.raises(tp.InvalidParameterError, match=message):
        tp.LSHIndex(0.5, **kwargs)
    index = tp.LSHIndex(0.5, n_hashes=2**16, bands=1, rows=1)
    assert index.n_hashes == 2**16


# -- winnowing: window edges ----------------------------------------------------------------


@pytest.mark.parametrize("window", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("offset", [-1, 0, 1])
@pytest.mark.parametrize(
    "pattern",
    [
        "increasing",
        "decreasing",
        "tie at both ends",
        "tie in the middle",
        "all equal",
        "minimum last",
    ],
)
def test_winnow_at_the_window_edges(window: int, offset: int, pattern: str) -> None:
    """Sequences of ``window - 1``, ``window`` and ``window + 1`` hashes (a single short
    window, exactly one window, two windows), with ties placed at the window edges, select
    what the literal one-window-at-a-time reference selects; a sequence of one window
    selects exactly one position.

    Kills: ``len(h) >= window`` turned into ``>`` (a sequence of exactly one window taken as
    short, or the reverse), the rightmost minimum turned into the leftmost, and the
    previous pick kept when it has just left the window (``prev >= start`` turned into
    ``prev > start``).
    """
    n = window + offset
    if n <= 0:
        return
    base = {
        "increasing": list(range(10, 10 + n)),
        "decreasing": list(range(10 + n, 10, -1)),
        "tie at both ends": [3] + [9] * max(0, n - 2) + [3] * (n >= 2),
        "tie in the middle": [9] * (n // 2) + [2, 2][: max(1, min(2, n - n // 2))] + [9] * n,
        "all equal": [5] * n,
        "minimum last": [9] * (n - 1) + [1],
    }[pattern][:n]
    h = np.array(base, dtype=np.uint64)
    got = winnow(h, window).tolist()
    assert got == winnow_reference(base, window)
    if n <= window:
        assert len(got) == 1
        assert base[got[0]] == min(base)
        assert got[0] == max(i for i, v in enumerate(base) if v == min(base))  # rightmost


def test_winnow_keeps_the_previous_pick_until_it_leaves_the_window() -> None:
    """Robust winnowing keeps a tied minimum while it is inside the window and moves to the
    rightmost minimum on the first window that no longer holds it.

    Kills: the tie-breaking ``prev >= start`` turned into ``prev > start`` (the pick would
    move one window early) and ties broken to the left.
    """
    h = np.array([5, 1, 7, 1, 1, 8, 9], dtype=np.uint64)
    # window 3: [0..2] picks 1; [1..3] ties 1 and 3 and keeps 1; [2..4] ties 3 and 4 without
    # 1: the rightmost, 4; [3..5] and [4..6] keep 4
    assert winnow(h, 3).tolist() == [1, 4] == winnow_reference(h.tolist(), 3)
    # window 2: 1, kept in [1, 2]; 3 in [2, 3], kept in [3, 4]; 4 in [4, 5]; 5 in [5, 6]
    assert winnow(h, 2).tolist() == [1, 3, 4, 5] == winnow_reference(h.tolist(), 2)


@pytest.mark.parametrize("window", [1, 4, 10])
@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_fingerprint_of_a_text_one_window_long(window: int, offset: int) -> None:
    """A text of ``window + k - 1`` tokens has exactly ``window`` shingles: one window, one
    fingerprint; one token fewer is a short window (one fingerprint too); one more, two
    windows (one or two fingerprints).

    Kills: the window count of a text off by one (``n - window + 1``).
    """
    k = 5
    text = fixture("zh_novel.txt")
    chars = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    n_tokens = window + k - 1 + offset
    fp = tp.fingerprint("".join(chars[:n_tokens]), k=k, window=window)
    assert fp.n_shingles == max(1, window + offset)  # fewer than k tokens: one shingle
    if offset <= 0:
        assert len(fp) == 1
    else:
        assert 1 <= len(fp) <= 2


@pytest.mark.parametrize("window", [2, 3, 5, 8])
@pytest.mark.parametrize("gap", [1, 2, 4])
def test_winnow_a_few_ties_in_a_long_sequence(window: int, gap: int) -> None:
    """A long sequence of distinct hashes with a few runs of three tied minima selects
    what the reference selects. Few tied windows among many take the array path of the
    tie-breaking (many take a list path, which the property tests with small hash ranges
    reach).

    Kills: the array path reading the next window's pick instead of the previous one
    (``out[i + 1]`` for ``out[i - 1]``).
    """
    rng = np.random.default_rng(window * 10 + gap)
    h = rng.choice(np.arange(1000, 100_000, dtype=np.uint64), size=400, replace=False)
    for at in (60, 200, 333):
        # three small tied minima `gap` apart: keeping the left one until it leaves the window
        # skips the middle one
        h[at] = h[at + gap] = h[at + 2 * gap] = np.uint64(at)
    assert winnow(h, window).tolist() == winnow_reference(h.tolist(), window)


# -- the batch paths' defaults and k's limit --------------------------------------------------


def test_fingerprints_defaults_are_fingerprints() -> None:
    """``fingerprints(texts)`` uses the documented defaults (k=5, window=10, seed=0), as
    ``fingerprint`` does.

    Kills: a default of the batch path changed (k=6, window=11, seed=1).
    """
    texts = [fixture("zh_novel.txt")[:300], fixture("en_gutenberg.txt")[:600]]
    batch = tp.fingerprints(texts)
    for fp, text in zip(batch, texts):
        assert (fp.params.k, fp.params.window, fp.params.seed) == (5, 10, 0)
        one = tp.fingerprint(text, k=5, window=10, seed=0)
        assert fp.hashes.tolist() == one.hashes.tolist()
        assert fp.starts.tolist() == one.starts.tolist()


@pytest.mark.parametrize("k", [2**32, 2**32 + 1])
def test_k_limit_of_every_entry_point(k: int) -> None:
    """k = 2**32 is accepted by every entry point that takes k; 2**32 + 1 is refused by name.

    Kills: the upper bound of k dropped or moved in fingerprints, MinHasher, shingles or
    compare.
    """
    calls = {
        "fingerprints": lambda: tp.fingerprints(["a b"], k=k),
        "MinHasher": lambda: tp.MinHasher(8, k=k),
        "shingles": lambda: tp.shingles("a b", k=k),
        "compare": lambda: tp.compare("a b", "a b", k=k),
    }
    for name, call in calls.items():
        if k <= 2**32:
            call()
        else:
            with pytest.raises(tp.InvalidParameterError, match="k="):
                call()
            assert name


def test_incompatible_fingerprints_name_what_differs() -> None:
    """Comparing fingerprint parameters made with another k raises, naming the setting and
    what was compared.

    Kills: the ``what`` of ``FingerprintParams.check_compatible`` dropped or changed.
    """
    a = tp.fingerprint("天下大势分久必合", k=3).params
    b = tp.fingerprint("天下大势分久必合", k=4).params
    a.check_compatible(tp.fingerprint("周末七国", k=3).params)
    with pytest.raises(tp.IncompatibleError, match=r"^these fingerprints .*k=3 vs 4"):
        a.check_compatible(b)


@pytest.mark.parametrize("window", [127, 128, 200, 255, 256, 257, 300])
@pytest.mark.parametrize("layout", ["all equal", "tied run inside"])
def test_winnow_windows_with_more_than_127_tied_minima(window: int, layout: str) -> None:
    """Regression: a window holding 128 or more equal minima is still tied (robust winnowing
    keeps its previous pick). The tie count was an int8, which overflowed from 128 on: such a
    window read as untied, and every window picked its own rightmost minimum (hundreds of
    fingerprints where the reference selects a few); window=300 passed only because 300 tied
    values wrap to 44.
    """
    rng = np.random.default_rng(window)
    if layout == "all equal":
        h = np.zeros(window + 60, dtype=np.uint64)
    else:
        h = rng.integers(1000, 1 << 40, size=3 * window, dtype=np.uint64)
        h[window // 2 : window // 2 + window + 20] = np.uint64(7)
    assert winnow(h, window).tolist() == winnow_reference(h.tolist(), window)


@pytest.mark.parametrize("n_seqs", [2, 3, 4])
@pytest.mark.parametrize("window", [2, 3])
def test_winnow_batch_never_selects_across_a_boundary(n_seqs: int, window: int) -> None:
    """In a batch, a window running from one sequence into the next counts for nothing: each
    sequence ending in a value that only such a window would select (smaller than the next
    sequence's head, not the minimum of its own last window) selects what it selects alone.

    Kills: the windows across the LAST boundary left unmasked (``bounds[1:-2]``), or any
    other boundary.
    """
    from textprint.winnowing import winnow_batch

    # its own windows pick 1 and 3, never the last value 40; a window running on into the
    # next sequence's 900s would pick 40
    one = [1, 50, 3, 40]
    seqs = [[v + 100 * d for v in one] for d in range(n_seqs)]
    seqs[-1] = [900, 900, 900, 900]
    h = np.array([v for s in seqs for v in s], dtype=np.uint64)
    bounds = np.cumsum([0] + [len(s) for s in seqs]).astype(np.int64)
    got = winnow_batch(h, bounds, window).tolist()
    want = [int(bounds[d]) + p for d, s in enumerate(seqs) for p in winnow_reference(s, window)]
    assert got == want


def test_winnow_batch_masks_the_window_from_position_zero() -> None:
    """A first sequence shorter than the window: the window starting at position 0 runs into
    the second sequence and must count for nothing there either.

    Kills: the mask skipping position 0 (``cut >= 1`` for ``cut >= 0``).
    """
    from textprint.winnowing import winnow_batch

    seqs = [[50, 60], [40, 1, 9, 9]]  # window [50, 60, 40] would pick the second's 40
    h = np.array([v for s in seqs for v in s], dtype=np.uint64)
    bounds = np.array([0, 2, 6], dtype=np.int64)
    want = [p for d, s in enumerate(seqs) for p in np.add(winnow_reference(s, 3), bounds[d])]
    assert winnow_batch(h, bounds, 3).tolist() == want


def test_too_short_signature_points_to_the_batch_path() -> None:
    """Kills: the hint of the TooShortError of ``MinHasher.signature`` changed."""
    with pytest.raises(tp.TooShortError, match=r"use signatures\(\) to get a valid=False row"):
        tp.MinHasher(8).signature("。")
