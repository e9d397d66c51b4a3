"""jieba's prefix-dictionary cache in ``textprint._analyzers``: private, checked, never
``<tempdir>/jieba.cache``.

It is checked for the attacks it exists to stop: a planted ``<tempdir>/jieba.cache``, a tampered
cache, a cache in a directory others can write, a symlinked cache; a cache that cannot be
written means no cache, not an error.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import marshal
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from _jieba_cases import (
    POISON,
    README_SENTENCE,
    README_WORDS,
    cache_copied_in,
    file_sha256,
    segmented,
)
from textprint import _analyzers, _files

pytestmark = pytest.mark.usefixtures("private_cache_env")


def _cache_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if not p.name.startswith("."))


def test_cache_dir_is_created_0700(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_dict: Path
) -> None:
    directory = tmp_path / "deep" / "er" / "textprint"
    monkeypatch.setenv("TEXTPRINT_CACHE_DIR", str(directory))
    analyzer = _analyzers._JiebaAnalyzer(dictionary=tiny_dict)
    assert segmented(README_SENTENCE, analyzer.segment(README_SENTENCE)) == README_WORDS
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    cache, checksum = _cache_files(directory)
    assert analyzer.cache_file == cache
    digest = file_sha256(tiny_dict)[:12]
    assert (cache.name, checksum.name) == (
        f"jieba-{importlib.metadata.version('jieba')}-{digest}.cache",
        f"jieba-{importlib.metadata.version('jieba')}-{digest}.sha256",
    )
    assert checksum.read_text().strip() == file_sha256(cache)
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
    assert segmented(README_SENTENCE, analyzer.segment(README_SENTENCE)) == README_WORDS
    assert calls == []
    assert {p.name: p.stat().st_mtime_ns for p in _cache_files(tmp_path / "c")} == built


def test_planted_tmp_jieba_cache_has_no_effect(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    jieba_python: _analyzers._JiebaAnalyzer,
    planted_tmp_cache: Path,
) -> None:
    before = planted_tmp_cache.read_bytes()
    source = jieba_python.cache_file
    assert source is not None
    directory = cache_copied_in(source, tmp_path, monkeypatch)
    analyzer = _analyzers._JiebaAnalyzer(use_rjieba=False)
    assert segmented(README_SENTENCE, analyzer.segment(README_SENTENCE)) == README_WORDS
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
    assert segmented(README_SENTENCE, analyzer.segment(README_SENTENCE)) == README_WORDS
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
    assert segmented(README_SENTENCE, analyzer.segment(README_SENTENCE)) == README_WORDS
    assert marshal.loads(cache.read_bytes()) == marshal.loads(good)
    assert cache.with_suffix(".sha256").read_text().strip() == file_sha256(cache)


def test_symlinked_cache_is_not_followed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_dict: Path
) -> None:
    cache = _build(monkeypatch, tmp_path / "c", tiny_dict)
    elsewhere = tmp_path / "elsewhere.cache"
    _plant(elsewhere, marshal.dumps(POISON), matching_checksum=False)
    cache.unlink()
    cache.symlink_to(elsewhere)
    cache.with_suffix(".sha256").write_text(file_sha256(elsewhere) + "\n")
    analyzer = _analyzers._JiebaAnalyzer(dictionary=tiny_dict)
    assert segmented(README_SENTENCE, analyzer.segment(README_SENTENCE)) == README_WORDS
    assert not cache.is_symlink()


def test_cache_in_a_directory_others_can_write_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_dict: Path
) -> None:
    cache = _build(monkeypatch, tmp_path / "c", tiny_dict)
    _plant(cache, marshal.dumps(POISON), matching_checksum=True)
    (tmp_path / "c").chmod(0o777)
    analyzer = _analyzers._JiebaAnalyzer(dictionary=tiny_dict)
    assert segmented(README_SENTENCE, analyzer.segment(README_SENTENCE)) == README_WORDS
    assert analyzer.cache_file is None
    assert marshal.loads(cache.read_bytes()) == POISON  # refused, so not even rewritten


def test_cache_file_others_can_write_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_dict: Path
) -> None:
    cache = _build(monkeypatch, tmp_path / "c", tiny_dict)
    _plant(cache, marshal.dumps(POISON), matching_checksum=True)
    cache.chmod(0o666)
    analyzer = _analyzers._JiebaAnalyzer(dictionary=tiny_dict)
    assert segmented(README_SENTENCE, analyzer.segment(README_SENTENCE)) == README_WORDS


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_cache_dir_owned_by_someone_else_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_dict: Path
) -> None:
    cache = _build(monkeypatch, tmp_path / "c", tiny_dict)
    _plant(cache, marshal.dumps(POISON), matching_checksum=True)
    os.chown(tmp_path / "c", 65534, 65534)
    assert _files.private_cache_dir() is None
    analyzer = _analyzers._JiebaAnalyzer(dictionary=tiny_dict)
    assert segmented(README_SENTENCE, analyzer.segment(README_SENTENCE)) == README_WORDS


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
    assert segmented(README_SENTENCE, analyzer.segment(README_SENTENCE)) == README_WORDS
    assert analyzer.cache_file is None
    assert list(directory.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores modes")
def test_read_only_cache_dir_means_no_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_dict: Path
) -> None:
    _cache_dir(tmp_path, monkeypatch, 0o500)
    analyzer = _analyzers._JiebaAnalyzer(dictionary=tiny_dict)
    assert segmented(README_SENTENCE, analyzer.segment(README_SENTENCE)) == README_WORDS
    assert analyzer.cache_file is None
