"""Tests of the word segmenters in ``textprint._analyzers`` (jieba, MeCab, Sudachi).

Golden segmentations come from outside: jieba's README, fugashi's README and Sudachi's README.
The jieba prefix-dictionary cache is checked for the attacks it exists to stop: a planted
``<tempdir>/jieba.cache``, a tampered cache, a cache in a directory others can write.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import marshal
import os
import shutil
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from textprint import _analyzers, _files
from textprint._analyzers import ANALYZER_NAMES, get_analyzer
from textprint.errors import InvalidInputError, InvalidParameterError, MissingDependencyError

FIXTURES = Path(__file__).parent / "fixtures"
README_SENTENCE = "我来到北京清华大学"
README_WORDS = ["我", "来到", "北京", "清华大学"]

# A tiny jieba dictionary: building its prefix dictionary takes microseconds, not seconds, so the
# cache tests can rebuild freely. Its words give README_SENTENCE the README's segmentation.
TINY_DICT = "我 1000 r\n来到 500 v\n来 100 v\n到 100 v\n北京 800 ns\n清华 200 nt\n大学 400 n\n"
TINY_DICT += "清华大学 300 nt\n"

# If jieba ever loaded this, README_SENTENCE would come back as a single word.
POISON = (
    {**{README_SENTENCE[: i + 1]: 0 for i in range(len(README_SENTENCE))}, README_SENTENCE: 10**9},
    10**9,
)

ja_required = {
    "mecab": ("fugashi", "unidic_lite"),
    "sudachi": ("sudachipy", "sudachidict_core"),
}


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


def _need(name: str) -> None:
    for module in ja_required.get(name, ()):
        pytest.importorskip(module)


def _words(text: str, spans: list[tuple[int, int]]) -> list[str]:
    return [text[s:e] for s, e in spans]


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


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(autouse=True, scope="module")
def _private_cache_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test here writes to the user's real cache directory."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TEXTPRINT_CACHE_DIR", str(tmp_path_factory.mktemp("cache") / "textprint"))
        yield


@pytest.fixture(scope="module")
def jieba_python(tmp_path_factory: pytest.TempPathFactory) -> _analyzers._JiebaAnalyzer:
    """jieba itself (not rjieba), with its cache built once for the module."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TEXTPRINT_CACHE_DIR", str(tmp_path_factory.mktemp("jieba") / "textprint"))
        analyzer = _analyzers._JiebaAnalyzer(use_rjieba=False)
        analyzer.segment(README_SENTENCE)
    return analyzer


@pytest.fixture(scope="module")
def jieba_rust() -> _analyzers._JiebaAnalyzer:
    pytest.importorskip("rjieba")
    return _analyzers._JiebaAnalyzer(use_rjieba=True)


@pytest.fixture
def tiny_dict(tmp_path: Path) -> Path:
    path = tmp_path / "tiny_dict.txt"
    path.write_text(TINY_DICT, encoding="utf-8")
    return path


@pytest.fixture
def planted_tmp_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A poisoned ``<tempdir>/jieba.cache``, as any local user could plant in ``/tmp``.

    jieba looks for its cache in ``tempfile.gettempdir()``; pointing that at a folder of our own
    plants the same file without touching the real ``/tmp/jieba.cache``, which other processes
    on the machine (ones using ``jieba.dt``) may be reading at the same moment.
    """
    shared_tmp = tmp_path / "shared-tmp"
    shared_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(shared_tmp))
    path = Path(tempfile.gettempdir()) / "jieba.cache"
    path.write_bytes(marshal.dumps(POISON))
    # The attack works on jieba's own loader: a fresh jieba.Tokenizer reads the planted file.
    victim = _analyzers._import_jieba().Tokenizer()
    assert victim.lcut(README_SENTENCE, HMM=False) == [README_SENTENCE]
    return path


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
    _need(name)
    analyzer = get_analyzer(name)
    assert get_analyzer(name) is analyzer
    assert analyzer.name == name


@pytest.mark.parametrize("name", ANALYZER_NAMES)
def test_non_str_is_refused(name: str) -> None:
    _need(name)
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
    assert analyzer.identity == f"jieba-{version}+dict.sha256:{_sha256(dictionary)[:12]}"


def test_jieba_identity_does_not_depend_on_rjieba(
    jieba_python: _analyzers._JiebaAnalyzer, jieba_rust: _analyzers._JiebaAnalyzer
) -> None:
    assert jieba_python.identity == jieba_rust.identity


def test_jieba_identity_follows_the_dictionary(tiny_dict: Path) -> None:
    analyzer = _analyzers._JiebaAnalyzer(dictionary=tiny_dict)
    assert analyzer.identity.endswith(f"+dict.sha256:{_sha256(tiny_dict)[:12]}")
    assert analyzer.identity != get_analyzer("jieba").identity


def test_japanese_identities() -> None:
    _need("mecab")
    _need("sudachi")
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
        assert _words(README_SENTENCE, spans) == README_WORDS
        assert spans == [(0, 1), (1, 3), (3, 5), (5, 9)]


def test_jieba_hmm_is_off(jieba_python: _analyzers._JiebaAnalyzer) -> None:
    # jieba's README: with the HMM, "杭研" is found although "it is not in the dictionary";
    # without it, it stays two characters.
    text = "他来到了网易杭研大厦"
    assert _words(text, jieba_python.segment(text)) == [
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
    _need("mecab")
    # fugashi's README, with unidic-lite: 麩 菓子 は 、 麩 を 主材 料 と し た 日本 の 菓子 。
    text = "麩菓子は、麩を主材料とした日本の菓子。"
    expected = "麩 菓子 は 、 麩 を 主材 料 と し た 日本 の 菓子 。".split(" ")  # noqa: SIM905
    assert _words(text, get_analyzer("mecab").segment(text)) == expected


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
    _need("sudachi")
    assert _words(text, get_analyzer("sudachi").segment(text)) == expected


@pytest.mark.parametrize("name", ["mecab", "sudachi"])
def test_japanese_whitespace_and_astral_offsets(name: str) -> None:
    _need(name)
    # Blanks of every kind are dropped; an astral character counts as one code point.
    text = "  すもも も\tもも\r\nもものうち　です。 𠮷野家😀へ "
    spans = get_analyzer(name).segment(text)
    _check_spans(text, spans)
    words = _words(text, spans)
    assert words[:4] == ["すもも", "も", "もも", "もも"]
    assert "𠮷" in "".join(words)
    assert words[-1] == "へ"


@pytest.mark.parametrize("name", ["mecab", "sudachi"])
def test_japanese_lines_are_segmented_independently(name: str) -> None:
    _need(name)
    analyzer = get_analyzer(name)
    first, second = "吾輩は猫である", "名前はまだ無い。"
    together = analyzer.segment(first + "\n" + second)
    shift = len(first) + 1
    assert together == analyzer.segment(first) + [
        (s + shift, e + shift) for s, e in analyzer.segment(second)
    ]


def test_mecab_reads_past_a_nul() -> None:
    _need("mecab")
    text = "テスト\0です"
    assert _words(text, get_analyzer("mecab").segment(text)) == ["テスト", "です"]


def test_sudachi_keeps_yomigana_inside_the_span() -> None:
    _need("sudachi")
    # Sudachi's IgnoreYomiganaPlugin reads 徳島（とくしま） as one word; the span must still be
    # exactly the characters it covers.
    text = "徳島（とくしま）に行く"
    spans = get_analyzer("sudachi").segment(text)
    _check_spans(text, spans)
    assert _words(text, spans)[-2:] == ["に", "行く"]


@pytest.mark.parametrize("name", ANALYZER_NAMES)
def test_empty_and_blank(name: str) -> None:
    _need(name)
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
    _need(name)
    text = (FIXTURES / fixture).read_text(encoding="utf-8")
    spans = get_analyzer(name).segment(text)
    _check_spans(text, spans)
    assert len(spans) > len(text) // 10


# --------------------------------------------------------------------------------------------
# Sudachi's input limit


def test_sudachi_long_line_is_cut_at_sentence_ends() -> None:
    _need("sudachi")
    analyzer = get_analyzer("sudachi")
    sentence = "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。"
    text = sentence * (3 * _analyzers._MAX_PIECE_BYTES // len(sentence.encode()) + 1)
    assert len(text.encode()) > 3 * 49_149
    assert "\n" not in text
    spans = analyzer.segment(text)
    _check_spans(text, spans)
    one = _words(sentence, analyzer.segment(sentence))
    assert _words(text, spans) == one * (len(text) // len(sentence))


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
    _need("sudachi")
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
        _need(name)
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
# jieba's cache: private, checked, never <tempdir>/jieba.cache


def _cache_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if not p.name.startswith("."))


def test_cache_dir_is_created_0700(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_dict: Path
) -> None:
    directory = tmp_path / "deep" / "er" / "textprint"
    monkeypatch.setenv("TEXTPRINT_CACHE_DIR", str(directory))
    analyzer = _analyzers._JiebaAnalyzer(dictionary=tiny_dict)
    assert _words(README_SENTENCE, analyzer.segment(README_SENTENCE)) == README_WORDS
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    cache, checksum = _cache_files(directory)
    assert analyzer.cache_file == cache
    digest = _sha256(tiny_dict)[:12]
    assert (cache.name, checksum.name) == (
        f"jieba-{importlib.metadata.version('jieba')}-{digest}.cache",
        f"jieba-{importlib.metadata.version('jieba')}-{digest}.sha256",
    )
    assert checksum.read_text().strip() == _sha256(cache)
    assert stat.S_IMODE(cache.stat().st_mode) & 0o077 == 0


def test_cache_dir_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TEXTPRINT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _files.private_cache_dir() == tmp_path / "xdg" / "textprint"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert _files.private_cache_dir() == tmp_path / "home" / ".cache" / "textprint"
    assert stat.S_IMODE((tmp_path / "home" / ".cache" / "textprint").stat().st_mode) == 0o700


def test_cache_is_reused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_dict: Path) -> None:
    monkeypatch.setenv("TEXTPRINT_CACHE_DIR", str(tmp_path / "c"))
    _analyzers._JiebaAnalyzer(dictionary=tiny_dict).segment(README_SENTENCE)
    built = {p.name: p.stat().st_mtime_ns for p in _cache_files(tmp_path / "c")}
    calls = []
    monkeypatch.setattr(_analyzers, "_store_cache", lambda *a: calls.append(a))
    analyzer = _analyzers._JiebaAnalyzer(dictionary=tiny_dict)
    assert _words(README_SENTENCE, analyzer.segment(README_SENTENCE)) == README_WORDS
    assert calls == []
    assert {p.name: p.stat().st_mtime_ns for p in _cache_files(tmp_path / "c")} == built


def _cache_copied_in(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cache directory holding a copy of the module's real jieba cache (so a new
    analyzer builds in a fraction of a second), set as TEXTPRINT_CACHE_DIR."""
    directory = tmp_path / "textprint"
    directory.mkdir(mode=0o700)
    for path in (source, source.with_suffix(".sha256")):
        shutil.copy2(path, directory / path.name)
    monkeypatch.setenv("TEXTPRINT_CACHE_DIR", str(directory))
    return directory


def test_planted_tmp_jieba_cache_has_no_effect(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    jieba_python: _analyzers._JiebaAnalyzer,
    planted_tmp_cache: Path,
) -> None:
    before = planted_tmp_cache.read_bytes()
    source = jieba_python.cache_file
    assert source is not None
    directory = _cache_copied_in(source, tmp_path, monkeypatch)
    analyzer = _analyzers._JiebaAnalyzer(use_rjieba=False)
    assert _words(README_SENTENCE, analyzer.segment(README_SENTENCE)) == README_WORDS
    assert analyzer.cache_file == directory / source.name
    # Nor was it overwritten (jieba would have "repaired" a cache it failed to read).
    assert planted_tmp_cache.read_bytes() == before


def test_no_cache_in_tempdir_even_without_a_cache_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_dict: Path, planted_tmp_cache: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("TEXTPRINT_CACHE_DIR", str(blocker / "textprint"))
    before = planted_tmp_cache.read_bytes()
    analyzer = _analyzers._JiebaAnalyzer(dictionary=tiny_dict)
    assert _words(README_SENTENCE, analyzer.segment(README_SENTENCE)) == README_WORDS
    assert analyzer.cache_file is None
    assert planted_tmp_cache.read_bytes() == before


def _build(monkeypatch: pytest.MonkeyPatch, directory: Path, dictionary: Path) -> Path:
    monkeypatch.setenv("TEXTPRINT_CACHE_DIR", str(directory))
    analyzer = _analyzers._JiebaAnalyzer(dictionary=dictionary)
    analyzer.segment(README_SENTENCE)
    assert analyzer.cache_file is not None
    return analyzer.cache_file


def _plant(cache: Path, data: bytes, *, matching_checksum: bool) -> None:
    cache.write_bytes(data)
    if matching_checksum:
        cache.with_suffix(".sha256").write_text(hashlib.sha256(data).hexdigest() + "\n")


@pytest.mark.parametrize(
    ("data", "matching_checksum"),
    [
        (marshal.dumps(POISON), False),  # tampered: digest mismatch
        (b"\x00garbage, not marshal", True),  # checksum fine, content unreadable
        (marshal.dumps(["not", "a", "tuple"]), True),  # checksum fine, wrong shape
    ],
    ids=["tampered", "garbage", "wrong-shape"],
)
def test_bad_cache_is_ignored_and_rebuilt(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    tiny_dict: Path,
    data: bytes,
    matching_checksum: bool,
) -> None:
    cache = _build(monkeypatch, tmp_path / "c", tiny_dict)
    good = cache.read_bytes()
    _plant(cache, data, matching_checksum=matching_checksum)
    analyzer = _analyzers._JiebaAnalyzer(dictionary=tiny_dict)
    assert _words(README_SENTENCE, analyzer.segment(README_SENTENCE)) == README_WORDS
    assert marshal.loads(cache.read_bytes()) == marshal.loads(good)
    assert cache.with_suffix(".sha256").read_text().strip() == _sha256(cache)


def test_symlinked_cache_is_not_followed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_dict: Path
) -> None:
    cache = _build(monkeypatch, tmp_path / "c", tiny_dict)
    elsewhere = tmp_path / "elsewhere.cache"
    _plant(elsewhere, marshal.dumps(POISON), matching_checksum=False)
    cache.unlink()
    cache.symlink_to(elsewhere)
    cache.with_suffix(".sha256").write_text(_sha256(elsewhere) + "\n")
    analyzer = _analyzers._JiebaAnalyzer(dictionary=tiny_dict)
    assert _words(README_SENTENCE, analyzer.segment(README_SENTENCE)) == README_WORDS
    assert not cache.is_symlink()


def test_cache_in_a_directory_others_can_write_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_dict: Path
) -> None:
    cache = _build(monkeypatch, tmp_path / "c", tiny_dict)
    _plant(cache, marshal.dumps(POISON), matching_checksum=True)
    (tmp_path / "c").chmod(0o777)
    analyzer = _analyzers._JiebaAnalyzer(dictionary=tiny_dict)
    assert _words(README_SENTENCE, analyzer.segment(README_SENTENCE)) == README_WORDS
    assert analyzer.cache_file is None
    assert marshal.loads(cache.read_bytes()) == POISON  # refused, so not even rewritten


def test_cache_file_others_can_write_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_dict: Path
) -> None:
    cache = _build(monkeypatch, tmp_path / "c", tiny_dict)
    _plant(cache, marshal.dumps(POISON), matching_checksum=True)
    cache.chmod(0o666)
    analyzer = _analyzers._JiebaAnalyzer(dictionary=tiny_dict)
    assert _words(README_SENTENCE, analyzer.segment(README_SENTENCE)) == README_WORDS


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_cache_dir_owned_by_someone_else_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_dict: Path
) -> None:
    cache = _build(monkeypatch, tmp_path / "c", tiny_dict)
    _plant(cache, marshal.dumps(POISON), matching_checksum=True)
    os.chown(tmp_path / "c", 65534, 65534)
    assert _files.private_cache_dir() is None
    analyzer = _analyzers._JiebaAnalyzer(dictionary=tiny_dict)
    assert _words(README_SENTENCE, analyzer.segment(README_SENTENCE)) == README_WORDS


def test_missing_home_means_no_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.delenv("TEXTPRINT_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(blocker / "home"))
    assert _files.private_cache_dir() is None


def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int) -> Path:
    """An empty cache directory of `mode`, set as TEXTPRINT_CACHE_DIR."""
    directory = tmp_path / "c"
    directory.mkdir(mode=mode)
    monkeypatch.setenv("TEXTPRINT_CACHE_DIR", str(directory))
    return directory


def test_unwritable_cache_dir_means_no_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_dict: Path
) -> None:
    directory = _cache_dir(tmp_path, monkeypatch, 0o700)

    def refuse(path: Path, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(path))

    # Simulated: the tests may run as root, whom a read-only mode does not stop.
    monkeypatch.setattr(_analyzers, "atomic_write", refuse)
    analyzer = _analyzers._JiebaAnalyzer(dictionary=tiny_dict)
    assert _words(README_SENTENCE, analyzer.segment(README_SENTENCE)) == README_WORDS
    assert analyzer.cache_file is None
    assert list(directory.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores modes")
def test_read_only_cache_dir_means_no_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_dict: Path
) -> None:
    _cache_dir(tmp_path, monkeypatch, 0o500)
    analyzer = _analyzers._JiebaAnalyzer(dictionary=tiny_dict)
    assert _words(README_SENTENCE, analyzer.segment(README_SENTENCE)) == README_WORDS
    assert analyzer.cache_file is None


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
        _cache_copied_in(request.getfixturevalue("jieba_python").cache_file, tmp_path, monkeypatch)
        analyzer = _analyzers._JiebaAnalyzer(use_rjieba=False)
        fixture = "zh_novel.txt"
    elif name == "jieba-rust":
        pytest.importorskip("rjieba")
        analyzer = _analyzers._JiebaAnalyzer(use_rjieba=True)
        fixture = "zh_novel.txt"
    else:
        _need(name)
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
