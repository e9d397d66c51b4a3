"""Short reprs and notebook views of results (issue 17, problem 8), and messages that say
what was expected (problem 9)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import textprint as tp

FIXTURES = Path(__file__).parent / "fixtures"
ZH = (FIXTURES / "zh_novel.txt").read_text(encoding="utf-8")
JA = (FIXTURES / "ja_aozora.txt").read_text(encoding="utf-8")
BIG = (ZH + JA) * 4  # about 36,000 characters, as the works that made 23k-36k-character reprs


def results() -> dict[str, object]:
    reg = tp.Registry()
    reg.register("big", BIG, {"title": "長い作品", "notes": "x" * 5000})
    post = "转载：" + BIG[1000:3000]
    (hit,) = reg.check(post)
    comparison = tp.compare(post, BIG)
    return {
        "Normalized": tp.normalize(BIG),
        "Tokens": tp.tokenize(BIG),
        "Fingerprint": tp.fingerprint(BIG),
        "Signatures": tp.MinHasher(n_hashes=128).signatures([BIG, BIG[:5000], ""]),
        "Comparison": comparison,
        "Work": reg.get("big"),
        "Hit": hit,
        "Evidence": tp.evidence(post, [hit], registry=reg, query_id="p1"),
    }


RESULTS = results()


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_reprs_are_short(name: str) -> None:
    """Problem 8: the reprs printed whole texts and arrays (23k-36k characters each)."""
    r = repr(RESULTS[name])
    assert r.startswith(f"{name}(")
    assert len(r) < 600, r
    assert "\n" not in r


def test_reprs_say_what_identifies_a_result() -> None:
    work = repr(RESULTS["Work"])
    assert "work_id='big'" in work
    assert f"({len(BIG)} chars)" in work
    assert repr(BIG[:24]) in work
    fp = RESULTS["Fingerprint"]
    assert isinstance(fp, tp.Fingerprint)
    assert f"hashes=uint64[{len(fp.hashes)}]" in repr(fp)
    assert "values=uint64[3×128]" in repr(RESULTS["Signatures"])
    assert "valid=bool[3]" in repr(RESULTS["Signatures"])
    hit = repr(RESULTS["Hit"])
    assert re.search(r"passages=\(1: \[3:\d+\]→\[1000:3000\]\)", hit), hit
    assert "copied_chars=2000" in hit
    assert "query_id='p1'" in repr(RESULTS["Evidence"])


@pytest.mark.parametrize("name", ["Hit", "Comparison", "Evidence"])
def test_notebook_views(name: str) -> None:
    page = RESULTS[name]._repr_html_()  # type: ignore[attr-defined]
    assert len(page) < (200_000 if name == "Evidence" else 5_000)
    assert "<table>" in page or "<table" in page
    assert "<script" not in page
    if name == "Evidence":
        # the passages highlighted in both texts, as the report shows them
        assert page.count('<a class="passage"') == 2
        assert "<mark class=" in page
    else:
        assert "1000–3000" in page  # the passage's offsets in the work


def test_lsh_query_of_a_text_says_a_signature_is_expected() -> None:
    """Problem 9: ``LSHIndex.query("some text")`` answered "got (); use query_many"."""
    index = tp.LSHIndex.for_threshold(0.8, n_hashes=128)
    with pytest.raises(tp.InvalidParameterError) as err:
        index.query("some text")  # type: ignore[arg-type]
    message = str(err.value)
    assert "MinHasher.signature(text)" in message
    assert "got str of shape ()" in message
    sig = tp.MinHasher(n_hashes=128).signature(ZH)
    index.add(["zh"], sig[None, :])
    assert [m.key for m in index.query(sig)] == ["zh"]
    with pytest.raises(tp.InvalidParameterError, match="query_many"):
        index.query(np.stack([sig, sig]))


def test_min_chars_counts_characters_in_every_script() -> None:
    """Problem 9: min_chars counts characters, also for English whose default is 40 words;
    the docstring says so."""
    doc = tp.Registry.check.__doc__ or ""
    assert "characters in every script" in doc
    en = (FIXTURES / "en_gutenberg.txt").read_text(encoding="utf-8")
    reg = tp.Registry()
    reg.register("en", en)
    post = "Quoted: " + en[1000:1200]  # about 35 words: under the 40-word default
    assert reg.check(post) == []
    (hit,) = reg.check(post, min_chars=150)
    assert hit.copied_chars >= 150
    assert reg.check(post, min_chars=hit.copied_chars + 1) == []
