"""Tests of the word segmenters in ``textprint._analyzers`` (jieba, MeCab, Sudachi).

Golden segmentations come from outside: jieba's README, fugashi's README and Sudachi's README.
The jieba prefix-dictionary cache is checked for the attacks it exists to stop: a planted
``<tempdir>/jieba.cache``, a tampered cache, a cache in a directory others can write.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _jieba_cases import (
    README_SENTENCE,
    README_WORDS,
    cache_copied_in,
    file_sha256,
    need_japanese,
    segmented,
)
from textprint import _analyzers
from textprint._analyzers import ANALYZER_NAMES, get_analyzer
from textprint.errors import InvalidInputError, InvalidParameterError, MissingDependencyError

FIXTURES = Path(__file__).parent / "fixtures"
pytestmark = pytest.mark.usefixtures("private_cache_env")


def _corpora() -> Path | None:
    """``../shared/corpora`` beside the checkout (or $TEXTPRINT_CORPORA), if present."""
    env = os.environ.get("TEXTPRINT_CORPORA")
    for path in [Path(env)] if env else [Path(__file__).resolve().parents[2] / "shared/corpora"]:
        if path.is_dir():
            return path
    return None


def _jsonl_texts(relative: str) -> list[dict[str, Any]]:
    root = _corpora()
    if root is None or not (root / relative).is_file():
        pytest.skip(f"corpus {relative} is absent")
    with (root / relative).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _check_spans(text: str, spans: list[tuple[int, int]], *, skippable: str = "") -> None:
    """In order, in range, non-empty, not whitespace-only; what lies between is whitespace."""
    position = 0
    for start, end in spans:
        assert type(start) is int
        assert type(end) is int
        assert position <= start < end <= len(text), (position, start, end, len(text))
        assert not text[start:end].isspace()
        gap = text[position:start]
        assert all(ch.isspace() or ch in skippable for ch in gap), (gap, text)
        position = end
    assert all(ch.isspace() or ch in skippable for ch in text[position:]), text
    # Said the other way: the spans concatenate back to the text, less blanks.
    joined = "".join(ch for s, e in spans for ch in text[s:e] if not ch.isspace())
    assert joined == "".join(ch for ch in text if not ch.isspace() and ch not in skippable)


@pytest.fixture(scope="module")
def jieba_rust() -> _analyzers._JiebaAnalyzer:
    pytest.importorskip("rjieba")
    return _analyzers._JiebaAnalyzer(use_rjieba=True)


# --------------------------------------------------------------------------------------------
# Registry and errors


def test_names() -> None:
    assert ANALYZER_NAMES == ("jieba", "mecab", "sudachi")


@pytest.mark.parametrize("name", ["", "Jieba", "char", "auto", "kuromoji"])
def test_unknown_name_lists_the_valid_ones(name: str) -> None:
    with pytest.raises(InvalidParameterError, match="'jieba', 'mecab', 'sudachi'") as info:
        get_analyzer(name)
    assert isinstance(info.value, ValueError)


def test_unhashable_name_is_an_invalid_parameter() -> None:
    with pytest.raises(InvalidParameterError):
        get_analyzer(["jieba"])  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ANALYZER_NAMES)
def test_get_analyzer_is_cached(name: str) -> None:
    need_japanese(name)
    analyzer = get_analyzer(name)
    assert get_analyzer(name) is analyzer
    assert analyzer.name == name


@pytest.mark.parametrize("name", ANALYZER_NAMES)
def test_non_str_is_refused(name: str) -> None:
    need_japanese(name)
    with pytest.raises(InvalidInputError, match="must be a str"):
        get_analyzer(name).segment(README_SENTENCE.encode())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("factory", "module"),
    [
        (_analyzers._MecabAnalyzer, "fugashi"),
        (_analyzers._MecabAnalyzer, "unidic_lite"),
        (_analyzers._SudachiAnalyzer, "sudachipy"),
    ],
)
def test_missing_japanese_package_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, factory: Callable[[], object], module: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` raise ImportError
    with pytest.raises(MissingDependencyError, match=r'pip install "textprint\[ja\]"') as info:
        factory()
    assert isinstance(info.value, ImportError)


def test_missing_sudachi_dictionary_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("sudachipy")
    monkeypatch.setitem(sys.modules, "sudachidict_core", None)  # find_spec() gives None
    with pytest.raises(MissingDependencyError, match=r"textprint\[ja\]"):
        _analyzers._SudachiAnalyzer()


def test_mecab_message_is_the_documented_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fugashi", None)
    with pytest.raises(MissingDependencyError) as info:
        _analyzers._MecabAnalyzer()
    assert str(info.value) == (
        'Japanese word tokenization needs fugashi and unidic-lite: pip install "textprint[ja]"'
    )


def test_missing_dependency_is_not_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_analyzers, "_REGISTRY", {})
    monkeypatch.setitem(sys.modules, "fugashi", None)
    with pytest.raises(MissingDependencyError):
        get_analyzer("mecab")
    assert "mecab" not in _analyzers._REGISTRY
    monkeypatch.delitem(sys.modules, "fugashi")
    pytest.importorskip("fugashi")
    assert get_analyzer("mecab").name == "mecab"


def test_missing_jieba(monkeypatch: pytest.MonkeyPatch, tiny_dict: Path) -> None:
    monkeypatch.setitem(sys.modules, "jieba", None)
    analyzer = _analyzers._JiebaAnalyzer(dictionary=tiny_dict)
    with pytest.raises(MissingDependencyError, match="needs jieba"):
        analyzer.segment(README_SENTENCE)


# --------------------------------------------------------------------------------------------
# Identity


def test_jieba_identity_names_version_and_dictionary_sha256() -> None:
    analyzer = get_analyzer("jieba")
    version = importlib.metadata.version("jieba")
    dictionary = _analyzers._package_dir("jieba", "") / "dict.txt"
    # What `sha256sum dict.txt` prints, so anyone can check it.
    assert analyzer.identity == f"jieba-{version}+dict.sha256:{file_sha256(dictionary)[:12]}"


def test_jieba_identity_does_not_depend_on_rjieba(
    jieba_python: _analyzers._JiebaAnalyzer, jieba_rust: _analyzers._JiebaAnalyzer
) -> None:
    assert jieba_python.identity == jieba_rust.identity


def test_jieba_identity_follows_the_dictionary(tiny_dict: Path) -> None:
    analyzer = _analyzers._JiebaAnalyzer(dictionary=tiny_dict)
    assert analyzer.identity.endswith(f"+dict.sha256:{file_sha256(tiny_dict)[:12]}")
    assert analyzer.identity != get_analyzer("jieba").identity


def test_japanese_identities() -> None:
    need_japanese("mecab")
    need_japanese("sudachi")
    mecab = get_analyzer("mecab").identity
    sudachi = get_analyzer("sudachi").identity
    fugashi = importlib.metadata.version("fugashi")
    unidic = importlib.metadata.version("unidic-lite")
    assert mecab.startswith(f"mecab-fugashi-{fugashi}+unidic-lite-{unidic}+dict.sha256:")
    sudachipy = importlib.metadata.version("sudachipy")
    core = importlib.metadata.version("sudachidict-core")
    assert sudachi.startswith(f"sudachi-sudachipy-{sudachipy}+sudachidict-core-{core}+mode-B+")
    for identity in (mecab, sudachi):
        digest = identity.rsplit("dict.sha256:", 1)[1]
        assert len(digest) == 12
        assert int(digest, 16) >= 0


def test_files_digest_depends_on_content_not_on_place(tmp_path: Path) -> None:
    big = bytes(range(256)) * (3 * _analyzers._SAMPLE_BYTES // 256 + 7)
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "sys.dic").write_bytes(big)
        (tmp_path / folder / "dicrc").write_bytes(b"cost-factor = 700\n")
    digests = {
        _analyzers._files_digest([tmp_path / f / "dicrc", tmp_path / f / "sys.dic"], missing="")
        for f in ("a", "b")
    }
    assert len(digests) == 1
    (tmp_path / "b" / "dicrc").write_bytes(b"cost-factor = 800\n")
    changed = _analyzers._files_digest(
        [tmp_path / "b" / "dicrc", tmp_path / "b" / "sys.dic"], missing=""
    )
    assert changed not in digests


# --------------------------------------------------------------------------------------------
# Known segmentations


def test_jieba_readme_example(
    jieba_python: _analyzers._JiebaAnalyzer, jieba_rust: _analyzers._JiebaAnalyzer
) -> None:
    # jieba's README: 【精确模式】: 我/ 来到/ 北京/ 清华大学
    for analyzer in (jieba_python, jieba_rust, get_analyzer("jieba")):
        spans = analyzer.segment(README_SENTENCE)
        assert segmented(README_SENTENCE, spans) == README_WORDS
        assert spans == [(0, 1), (1, 3), (3, 5), (5, 9)]


def test_jieba_hmm_is_off(jieba_python: _analyzers._JiebaAnalyzer) -> None:
    # jieba's README: with the HMM, "杭研" is found although "it is not in the dictionary";
    # without it, it stays two characters.
    text = "他来到了网易杭研大厦"
    assert segmented(text, jieba_python.segment(text)) == [
        "他",
        "来到",
        "了",
        "网易",
        "杭",
        "研",
        "大厦",
    ]


def test_jieba_is_private_and_quiet(
    jieba_python: _analyzers._JiebaAnalyzer, tiny_dict: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    jieba = _analyzers._import_jieba()
    assert jieba_python._python_tokenizer() is not jieba.dt
    assert logging.getLogger("jieba").getEffectiveLevel() >= logging.WARNING
    capfd.readouterr()
    _analyzers._JiebaAnalyzer(dictionary=tiny_dict).segment(README_SENTENCE)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_mecab_fugashi_readme_example() -> None:
    need_japanese("mecab")
    # fugashi's README, with unidic-lite: 麩 菓子 は 、 麩 を 主材 料 と し た 日本 の 菓子 。
    text = "麩菓子は、麩を主材料とした日本の菓子。"
    expected = "麩 菓子 は 、 麩 を 主材 料 と し た 日本 の 菓子 。".split(" ")  # noqa: SIM905
    assert segmented(text, get_analyzer("mecab").segment(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Sudachi's README: mode A 国家/公務/員, mode B 国家/公務員, mode C 国家公務員;
        # A 外国/人/参政/権, B 外国人/参政権, C 外国人参政権.
        ("国家公務員", ["国家", "公務員"]),
        ("外国人参政権", ["外国人", "参政権"]),
    ],
)
def test_sudachi_readme_examples_in_mode_b(text: str, expected: list[str]) -> None:
    need_japanese("sudachi")
    assert segmented(text, get_analyzer("sudachi").segment(text)) == expected


@pytest.mark.parametrize("name", ["mecab", "sudachi"])
def test_japanese_whitespace_and_astral_offsets(name: str) -> None:
    need_japanese(name)
    # Blanks of every kind are dropped; an astral character counts as one code point.
    text = "  すもも も\tもも\r\nもものうち　です。 𠮷野家😀へ "
    spans = get_analyzer(name).segment(text)
    _check_spans(text, spans)
    words = segmented(text, spans)
    assert words[:4] == ["すもも", "も", "もも", "もも"]
    assert "𠮷" in "".join(words)
    assert words[-1] == "へ"


@pytest.mark.parametrize("name", ["mecab", "sudachi"])
def test_japanese_lines_are_segmented_independently(name: str) -> None:
    need_japanese(name)
    analyzer = get_analyzer(name)
    first, second = "吾輩は猫である", "名前はまだ無い。"
    together = analyzer.segment(first + "\n" + second)
    shift = len(first) + 1
    assert together == analyzer.segment(first) + [
        (s + shift, e + shift) for s, e in analyzer.segment(second)
    ]


def test_mecab_reads_past_a_nul() -> None:
    need_japanese("mecab")
    text = "テスト\0です"
    assert segmented(text, get_analyzer("mecab").segment(text)) == ["テスト", "です"]


def test_sudachi_keeps_yomigana_inside_the_span() -> None:
    need_japanese("sudachi")
    # Sudachi's IgnoreYomiganaPlugin reads 徳島（とくしま） as one word; the span must still be
    # exactly the characters it covers.
    text = "徳島（とくしま）に行く"
    spans = get_analyzer("sudachi").segment(text)
    _check_spans(text, spans)
    assert segmented(text, spans)[-2:] == ["に", "行く"]


@pytest.mark.parametrize("name", ANALYZER_NAMES)
def test_empty_and_blank(name: str) -> None:
    need_japanese(name)
    analyzer = get_analyzer(name)
    for text in ["", " ", "\n", "\r\n", "\u3000\t \n\n"]:
        assert analyzer.segment(text) == []


@pytest.mark.parametrize(
    ("name", "fixture"),
    [
        ("jieba", "zh_novel.txt"),
        ("mecab", "ja_aozora.txt"),
        ("sudachi", "ja_aozora.txt"),
        # and each on text it was not made for
        ("jieba", "ja_aozora.txt"),
        ("mecab", "zh_novel.txt"),
        ("sudachi", "en_gutenberg.txt"),
    ],
)
def test_spans_slice_and_concatenate_back(name: str, fixture: str) -> None:
    need_japanese(name)
    text = (FIXTURES / fixture).read_text(encoding="utf-8")
    spans = get_analyzer(name).segment(text)
    _check_spans(text, spans)
    assert len(spans) > len(text) // 10


# --------------------------------------------------------------------------------------------
# Sudachi's input limit


def test_sudachi_long_line_is_cut_at_sentence_ends() -> None:
    need_japanese("sudachi")
    analyzer = get_analyzer("sudachi")
    sentence = "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。"
    text = sentence * (3 * _analyzers._MAX_PIECE_BYTES // len(sentence.encode()) + 1)
    assert len(text.encode()) > 3 * 49_149
    assert "\n" not in text
    spans = analyzer.segment(text)
    _check_spans(text, spans)
    one = segmented(sentence, analyzer.segment(sentence))
    assert segmented(text, spans) == one * (len(text) // len(sentence))


@pytest.mark.parametrize(
    "text",
    [
        "あ" * 20_000,  # no sentence end, no blank: cut anywhere
        "a" * 60_000,
        "か\u3099" * 12_000,  # combining marks stay with their base
        "ｱ" * 40_000,
        "㍻" * 20_000,  # NFKC doubles it: Sudachi's 65,535-byte normalized limit
        "\ufdfa" * 20_000,  # NFKC makes it 18 letters
        "漢字 かな カナ" * 6_000,
    ],
    ids=["kana", "ascii", "combining", "halfwidth", "square-era", "ligature", "spaced"],
)
def test_sudachi_over_the_byte_limit(text: str) -> None:
    need_japanese("sudachi")
    assert len(text.encode()) > 49_149
    spans = get_analyzer("sudachi").segment(text)
    _check_spans(text, spans)


def test_pieces_fit_and_cover() -> None:
    text = ("吾輩は猫である。" * 3000 + "\n") * 3 + "x" * 70_000
    pieces = list(_analyzers._pieces(text, 49_149))
    assert all(len(piece.encode()) <= 49_149 for _, piece in pieces)
    assert all(text[offset : offset + len(piece)] == piece for offset, piece in pieces)
    assert "".join(piece for _, piece in pieces) == text.replace("\n", "")
    # Cut just after a sentence end whenever there is one.
    assert all(piece.endswith("。") for _, piece in pieces[:-3])


@settings(max_examples=300, deadline=None)
@given(
    st.text(st.sampled_from(list("あ漢a 。\n\u3099😀\u200d")), max_size=300),
    st.integers(min_value=4, max_value=40),
)
def test_pieces_property(text: str, max_bytes: int) -> None:
    pieces = list(_analyzers._pieces(text, max_bytes))
    position = 0
    for offset, piece in pieces:
        assert offset >= position
        assert text[offset : offset + len(piece)] == piece
        assert len(piece.encode()) <= max_bytes
        assert "\n" not in piece
        assert piece.strip()
        assert text[position:offset].isspace() or position == offset
        position = offset + len(piece)
    assert not text[position:].strip()


# --------------------------------------------------------------------------------------------
# Property: never raises, spans well formed


_ALPHABET = st.one_of(
    st.characters(),  # any code point but lone surrogates
    st.characters(categories=["Cs"]),  # lone surrogates: no UTF-8 segmenter accepts them
    st.sampled_from(
        list(
            "我来到北京清华大学的了是不人在有一这中大为上个国すもものうちテスト日本語"
            "。、！？「」 \t\n\r\u3000\x00\u0301\u3099\u200d\ufdfa㍻😀𠮷ｱabc123"
        )
    ),
)


@pytest.mark.parametrize("name", ["jieba-python", "jieba-rust", "mecab", "sudachi"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(_ALPHABET, max_size=120))
def test_segment_never_raises_and_spans_are_well_formed(
    name: str, text: str, request: pytest.FixtureRequest
) -> None:
    analyzer: _analyzers.Analyzer
    if name == "jieba-python":
        analyzer = request.getfixturevalue("jieba_python")
    elif name == "jieba-rust":
        analyzer = request.getfixturevalue("jieba_rust")
    else:
        need_japanese(name)
        analyzer = get_analyzer(name)
    spans = analyzer.segment(text)
    # MeCab reads a C string, so a NUL is read as a blank and dropped.
    _check_spans(text, spans, skippable="\0" if name == "mecab" else "")


# --------------------------------------------------------------------------------------------
# jieba and rjieba agree


@settings(max_examples=200, deadline=None)
@given(text=st.text(_ALPHABET, max_size=80))
def test_rjieba_agrees_with_jieba_on_generated_text(
    jieba_python: _analyzers._JiebaAnalyzer, jieba_rust: _analyzers._JiebaAnalyzer, text: str
) -> None:
    # The fast path and the reference agree, on text of every script, blanks and surrogates.
    assert jieba_rust.segment(text) == jieba_python.segment(text)


def _spread(items: list[Any], n: int) -> list[Any]:
    step = max(1, len(items) // n)
    return items[::step][:n]


@pytest.mark.corpus
@pytest.mark.parametrize(
    "n_chapters", [pytest.param(40), pytest.param(None, marks=pytest.mark.slow)]
)
def test_rjieba_agrees_with_jieba_on_whole_chapters(
    n_chapters: int | None,
    jieba_python: _analyzers._JiebaAnalyzer,
    jieba_rust: _analyzers._JiebaAnalyzer,
) -> None:
    chapters = _jsonl_texts("zh-classic-novels/chapters.jsonl")
    if n_chapters is not None:
        chapters = _spread(chapters, n_chapters)  # spread over the four novels
    assert len(chapters) >= 20
    differ = [
        c["id"]
        for c in chapters
        if jieba_rust.segment(c["text"]) != jieba_python.segment(c["text"])
    ]
    assert differ == [], f"rjieba and jieba differ on {len(differ)} of {len(chapters)} chapters"


def test_rjieba_knows_every_word_of_jiebas_dictionary() -> None:
    rjieba = pytest.importorskip("rjieba")
    dictionary = _analyzers._package_dir("jieba", "") / "dict.txt"
    words = [line.split(" ", 1)[0] for line in dictionary.read_text(encoding="utf-8").splitlines()]
    jieba_rs = rjieba.Jieba()
    assert [w for w in words if not jieba_rs.has_word(w)] == []


def test_rjieba_is_used_only_for_checked_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("rjieba")
    versions = (importlib.metadata.version("jieba"), importlib.metadata.version("rjieba"))
    analyzer = _analyzers._JiebaAnalyzer()
    assert analyzer._use_rjieba == (versions in _analyzers._RJIEBA_CHECKED)
    monkeypatch.setattr(_analyzers, "_RJIEBA_CHECKED", frozenset())
    assert not _analyzers._JiebaAnalyzer()._use_rjieba


# --------------------------------------------------------------------------------------------
# Threads


def _in_threads(segment: Callable[[str], list[tuple[int, int]]], texts: list[str]) -> list[Any]:
    """Run `segment` over `texts` in 4 threads that start together; return each one's results."""
    barrier = threading.Barrier(4)
    results: list[Any] = [None] * 4

    def work(i: int) -> None:
        barrier.wait()
        try:
            results[i] = [segment(t) for t in texts]
        except BaseException as exc:  # reported below, in the main thread
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize("name", ["jieba-python", "jieba-rust", "mecab", "sudachi"])
def test_four_threads_get_the_same_spans(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    analyzer: _analyzers.Analyzer
    if name == "jieba-python":
        # Fresh, with the module's cache copied in, so that the four threads race to build it.
        cache_copied_in(request.getfixturevalue("jieba_python").cache_file, tmp_path, monkeypatch)
        analyzer = _analyzers._JiebaAnalyzer(use_rjieba=False)
        fixture = "zh_novel.txt"
    elif name == "jieba-rust":
        pytest.importorskip("rjieba")
        analyzer = _analyzers._JiebaAnalyzer(use_rjieba=True)
        fixture = "zh_novel.txt"
    else:
        need_japanese(name)
        # Fresh, so that each thread creates its own tagger at the same moment.
        analyzer = _analyzers._MecabAnalyzer() if name == "mecab" else _analyzers._SudachiAnalyzer()
        fixture = "ja_aozora.txt"
    text = (FIXTURES / fixture).read_text(encoding="utf-8")
    texts = [text, text[::-1], text[len(text) // 3 :]] * 3
    results = _in_threads(analyzer.segment, texts)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    expected = [analyzer.segment(t) for t in texts]
    assert all(result == expected for result in results)
