"""Shared test configuration: hypothesis profiles, fixture paths.

Hypothesis profiles (choose with the environment variable ``HYPOTHESIS_PROFILE``):

- ``ci`` (default): 200 examples, derandomized (the same examples on every run and machine), no
  deadline (dictionaries load slowly on first use), no example database. The fuzz properties of
  tests/test_fuzz.py set their own example counts for it (``budget(n)``): together they are the
  fixed-seed CI slice of the fuzz, about 2,600 inputs, run by the default check.
- ``fuzz``: many more random examples, for a long local or nightly run (tests/test_fuzz.py runs
  ``TEXTPRINT_FUZZ_FACTOR`` times its CI counts; ``nox -s fuzz`` sets the seed).
"""

from __future__ import annotations

import marshal
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    import textprint as tp
    from textprint import _analyzers

settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    max_examples=200,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz",
    deadline=None,
    max_examples=20_000,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
GOLDEN = TESTS / "golden"
# With --import-mode=importlib, tests/ is not on sys.path; the test modules import the
# reference implementations (tests/reference.py) by name.
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))
from helpers import require_pinned_opencc  # noqa: E402  (needs tests/ on sys.path)

# The project's read-only corpora live beside the repository: ../shared/corpora.
CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under mutation testing (mutmut sets ``MUTANT_UNDER_TEST``), forget what textprint's
    functools caches hold: mutmut runs each mutant's tests in a process forked from one that
    has run the whole suite, whose caches (``lsh``'s banding, for one) would answer without
    calling the mutated code, and the mutant would survive unseen."""
    if not os.environ.get("MUTANT_UNDER_TEST"):
        return
    for name, module in list(sys.modules.items()):
        if name == "textprint" or name.startswith("textprint."):
            for value in list(vars(module).values()):
                clear = getattr(value, "cache_clear", None)
                if callable(clear):
                    clear()
    # hashing's power tables are a module-level cache object: start a fresh one, built by the
    # code under test
    hashing = sys.modules.get("textprint.hashing")
    powers = getattr(hashing, "_POWERS", None)
    if powers is not None:
        hashing._POWERS = type(powers)()  # type: ignore[union-attr]


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The directory of the small real-text fixtures (tests/fixtures, see ATTRIBUTION.md)."""
    return FIXTURES


@pytest.fixture(scope="session")
def corpora() -> Path:
    """The project's corpora (``../shared/corpora``); skips the test cleanly when absent."""
    if not CORPORA.is_dir():
        pytest.skip(
            f"corpora not found at {CORPORA} (tests marked `corpus` need ../shared/corpora)"
        )
    return CORPORA


@pytest.fixture(scope="session")
def opencc_convert() -> Callable[[str, str], str]:
    """OpenCC 1.4.2's own converter, in process: ``opencc_convert(config, text)``.

    This is the C++ library of the ``opencc`` 1.4.2 wheel (``opencc.clib.opencc_clib``) with the
    configurations it ships (``t2s``, ``s2t``, ``tw2s``, ``hk2s``, ``t2jp`` ...). The Python
    module ``opencc`` itself may be another distribution's (opencc-python-reimplemented installs
    into the same package directory), so it is not used. Skips when the library is absent.
    """
    require_pinned_opencc()
    clib: Any = pytest.importorskip("opencc.clib.opencc_clib")
    share = Path(clib.__file__).parent / "share" / "opencc"
    converters: dict[str, Any] = {}

    def convert(config: str, text: str) -> str:
        if config not in converters:
            converters[config] = clib._OpenCC(str(share / f"{config}.json"))
        return str(converters[config].convert(text, len(text.encode("utf-8"))))

    return convert


@pytest.fixture
def registry_path(tmp_path: Path) -> Path:
    """Where a registry test keeps its file (tests/test_registry_*.py)."""
    return tmp_path / "works.db"


@pytest.fixture(scope="module")
def fixture_registry() -> Iterator[tp.Registry]:
    """An in-memory registry of the three long fixtures and five poems (read-only use)."""
    import textprint as tp
    from _registry_texts import EN, JA, ZH, song_ci, tang_poems

    reg = tp.Registry()
    reg.register("zh", ZH, {"title": "红楼梦 第三回"})
    reg.register("ja", JA, {"title": "羅生門"})
    reg.register("en", EN, {"title": "A Scandal in Bohemia"})
    for p in tang_poems()[:5] + song_ci()[:5]:
        reg.register(p["id"], p["text"], {"title": p["title"], "author": p["author"]})
    yield reg
    reg.close()


@pytest.fixture(scope="module")
def private_cache_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A module whose tests use this never writes to the user's real cache directory."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TEXTPRINT_CACHE_DIR", str(tmp_path_factory.mktemp("cache") / "textprint"))
        yield


@pytest.fixture(scope="module")
def jieba_python(tmp_path_factory: pytest.TempPathFactory) -> _analyzers._JiebaAnalyzer:
    """jieba itself (not rjieba), with its cache built once for the module."""
    from _jieba_cases import README_SENTENCE
    from textprint import _analyzers as analyzers

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TEXTPRINT_CACHE_DIR", str(tmp_path_factory.mktemp("jieba") / "textprint"))
        analyzer = analyzers._JiebaAnalyzer(use_rjieba=False)
        analyzer.segment(README_SENTENCE)
    return analyzer


@pytest.fixture
def tiny_dict(tmp_path: Path) -> Path:
    """A jieba dictionary of a few words (its prefix dictionary builds in microseconds)."""
    from _jieba_cases import TINY_DICT

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
    from _jieba_cases import POISON, README_SENTENCE
    from textprint import _analyzers as analyzers

    shared_tmp = tmp_path / "shared-tmp"
    shared_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(shared_tmp))
    path = Path(tempfile.gettempdir()) / "jieba.cache"
    path.write_bytes(marshal.dumps(POISON))
    # The attack works on jieba's own loader: a fresh jieba.Tokenizer reads the planted file.
    victim = analyzers._import_jieba().Tokenizer()
    assert victim.lcut(README_SENTENCE, HMM=False) == [README_SENTENCE]
    return path
