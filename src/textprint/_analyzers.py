"""Word segmenters behind one small interface: jieba (Chinese), MeCab and Sudachi (Japanese).

Private module. ``textprint.tokenization`` calls :func:`get_analyzer` and then
``Analyzer.segment``; nothing else here is API.

Every analyzer returns word spans ``[start, end)`` in code points of the string it was given, in
order and non-overlapping, and never an empty or whitespace-only span. Punctuation may come back
as a span of its own; the caller drops it. ``segment`` never raises for a ``str``: lone
surrogates (which no UTF-8 based segmenter accepts) are replaced by U+FFFD before the back end
sees them, which keeps every offset where it was.

``identity`` names what decides the spans: the segmenter, its version and a digest of the
dictionary files it reads. It is the same on every machine that has the same packages, so
fingerprints made on two machines can be compared.

Notes
-----
jieba's own loader keeps its prefix dictionary in a ``marshal`` file in the shared temporary
directory (``/tmp/jieba.cache``) and loads it without checking it: anyone on the machine can
plant one there. We never let jieba load or write a cache. We build the prefix dictionary with
jieba's ``gen_pfdict`` and keep our own cache in a per-user directory that must be owned by the
current user and not writable by group or others; the cache bytes are checked against a sha256
written beside them before ``marshal`` reads them.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import logging
import marshal
import os
import re
import shlex
import stat
import tempfile
import threading
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, Protocol

from ._validation import check_choice, check_text
from .errors import MissingDependencyError

__all__ = ["ANALYZER_NAMES", "Analyzer", "get_analyzer"]

#: Names accepted by :func:`get_analyzer`.
ANALYZER_NAMES: Final = ("jieba", "mecab", "sudachi")

_JIEBA_MISSING: Final = (
    "Chinese word tokenization needs jieba (a dependency of textprint): pip install jieba==0.42.1"
)
_MECAB_MISSING: Final = (
    'Japanese word tokenization needs fugashi and unidic-lite: pip install "textprint[ja]"'
)
_SUDACHI_MISSING: Final = (
    "Japanese word tokenization with Sudachi needs sudachipy and sudachidict-core: "
    'pip install "textprint[ja]"'
)

#: Sudachi refuses an input longer than this many UTF-8 bytes. MeCab has no limit, but its lattice
#: for a whole novel takes ~1.3 kB per character and it runs ~2.5x faster on short inputs, so it
#: gets the same pieces.
_MAX_PIECE_BYTES: Final = 49_149

#: (jieba, rjieba) versions whose HMM-off output was checked to be identical on the 461 chapters
#: of zh-classic-novels and on generated mixed-script text (tests/test_analyzers.py). rjieba
#: carries its own copy of the dictionary, so an unchecked pair falls back to jieba itself rather
#: than risk tokens that differ under the same identity.
_RJIEBA_CHECKED: Final = frozenset({("0.42.1", "0.2.2")})

#: Files bigger than twice this are digested by their size, first and last this many bytes.
_SAMPLE_BYTES: Final = 1 << 20

_SURROGATE_RE: Final = re.compile("[\ud800-\udfff]")
_SENTENCE_END_RE: Final = re.compile(r".*[。！？!?]", re.DOTALL)
_LAST_SPACE_RE: Final = re.compile(r".*\s", re.DOTALL)
_MARK_CATEGORIES: Final = frozenset({"Mn", "Mc", "Me"})
_ZWJ: Final = "\u200d"

Span = tuple[int, int]


class Analyzer(Protocol):
    """A word segmenter.

    Attributes
    ----------
    name : str
        ``"jieba"``, ``"mecab"`` or ``"sudachi"``.
    identity : str
        Segmenter name, package versions and a short digest of the dictionary files used, e.g.
        ``"jieba-0.42.1+dict.sha256:7197c3211ddd"``; equal on every machine with the same
        packages.
    """

    name: str
    identity: str

    def segment(self, text: str) -> list[Span]:
        """Return the word spans ``[start, end)`` of `text`, in code points, in order."""
        ...


# --------------------------------------------------------------------------------------------
# Registry


_REGISTRY: dict[str, Analyzer] = {}
_REGISTRY_LOCK = threading.Lock()


def get_analyzer(name: str) -> Analyzer:
    """Return the process-wide analyzer called `name`, creating it on first use.

    The returned object may be shared by all threads: back ends that are not thread-safe
    (MeCab, Sudachi) keep one tagger per thread inside it, and jieba's segmentation only reads
    its dictionary once built.

    Parameters
    ----------
    name : {"jieba", "mecab", "sudachi"}
        jieba with HMM off (Chinese); MeCab via fugashi with unidic-lite, or Sudachi in split
        mode B with sudachidict-core (Japanese).

    Returns
    -------
    Analyzer
        An object with ``name``, ``identity`` and ``segment(text) -> list[tuple[int, int]]``.

    Raises
    ------
    InvalidParameterError
        If `name` is not one of the names above.
    MissingDependencyError
        If the packages the analyzer needs are not installed; the message names the extra.

    Examples
    --------
    >>> analyzer = get_analyzer("jieba")
    >>> text = "我来到北京清华大学"
    >>> [text[s:e] for s, e in analyzer.segment(text)]
    ['我', '来到', '北京', '清华大学']
    """
    check_choice(name, "analyzer", ANALYZER_NAMES)
    analyzer = _REGISTRY.get(name)
    if analyzer is None:
        with _REGISTRY_LOCK:
            analyzer = _REGISTRY.get(name)
            if analyzer is None:
                analyzer = _FACTORIES[name]()
                _REGISTRY[name] = analyzer
    return analyzer


# --------------------------------------------------------------------------------------------
# Shared helpers


def _without_surrogates(text: str) -> str:
    """Replace lone surrogates by U+FFFD: one code point for one, so offsets do not move."""
    if text.isascii():
        return text
    return _SURROGATE_RE.sub("\ufffd", text)


def _spans_of_words(words: Iterable[str]) -> list[Span]:
    """Spans of `words`, which concatenate to the segmented text, less whitespace-only words."""
    spans: list[Span] = []
    start = 0
    for word in words:
        end = start + len(word)
        if end > start and not word.isspace():
            spans.append((start, end))
        start = end
    return spans


def _splits_cluster(text: str, i: int) -> bool:
    """Whether a cut before ``text[i]`` would part a character from its marks or joiners."""
    ch = text[i]
    return (
        unicodedata.category(ch) in _MARK_CATEGORIES
        or ch == _ZWJ
        or text[i - 1] == _ZWJ
        or "\U0001f3fb" <= ch <= "\U0001f3ff"  # emoji skin-tone modifiers
    )


def _cut_point(text: str, lo: int, hi: int) -> int:
    """A cut ``c`` with ``lo < c <= hi`` at the best boundary in the second half of the range.

    Prefers just after a sentence end (。！？!?), then just after whitespace, then any position
    that does not part a character from its combining marks. Looking only in the second half
    keeps every piece at least half as long as allowed, so a text is cut into O(n / limit)
    pieces.
    """
    floor = lo + (hi - lo) // 2
    for pattern in (_SENTENCE_END_RE, _LAST_SPACE_RE):
        match = pattern.match(text, floor, hi)
        if match is not None:
            return match.end()
    cut = hi
    while cut > floor + 1 and _splits_cluster(text, cut):
        cut -= 1
    return cut


def _pieces(text: str, max_bytes: int) -> Iterator[tuple[int, str]]:
    """Yield ``(offset, piece)``: each line of `text`, cut further where over `max_bytes`.

    Lines are split at every ``"\\n"`` (the newline itself is in no piece) so that the words of
    a line depend only on that line, wherever it sits in a document: a copied paragraph is
    segmented the same in the source and in the copy. Empty and whitespace-only pieces are
    skipped. `text` must hold no lone surrogate (it is encoded to UTF-8 to measure it).
    """
    n = len(text)
    start = 0
    # A piece of at most this many code points fits whatever they are (UTF-8 uses <= 4 bytes).
    surely_fits = max_bytes // 4
    while start < n:
        newline = text.find("\n", start)
        stop = n if newline < 0 else newline
        while stop - start > surely_fits:
            window = text[start : min(stop, start + max_bytes)]
            # Truncating the bytes and dropping the partial last character counts the code
            # points that fit, in C.
            fit = len(window.encode("utf-8")[:max_bytes].decode("utf-8", "ignore"))
            if start + fit >= stop:
                break
            cut = _cut_point(text, start, start + fit)
            piece = text[start:cut]
            if not piece.isspace():
                yield start, piece
            start = cut
        piece = text[start:stop]
        if piece and not piece.isspace():
            yield start, piece
        start = stop + 1


def _distribution_version(name: str, missing: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError as exc:
        raise MissingDependencyError(missing) from exc


def _package_dir(module: str, missing: str) -> Path:
    """The folder of an installed package, found without importing (running) it."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise MissingDependencyError(missing)
    return Path(spec.origin).parent


def _file_sha256(path: Path, *, missing: str) -> str:
    """sha256 of the whole file (hex): what ``sha256sum`` prints for it."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise MissingDependencyError(
            f"{missing} (cannot read {exc.filename}: {exc.strerror})"
        ) from exc


def _files_digest(paths: Sequence[Path], *, missing: str) -> str:
    """sha256 over the names, sizes and contents of `paths`, in order (hex).

    A file bigger than ``2 * _SAMPLE_BYTES`` contributes its size and its first and last
    ``_SAMPLE_BYTES`` only: hashing all 260 MB of a Japanese dictionary would cost a second at
    every start, and a rebuilt dictionary changes its size or its header and tail anyway.
    Neither paths nor timestamps enter the digest, so it is the same on every machine.
    """
    digest = hashlib.sha256()
    try:
        for path in paths:
            with path.open("rb") as f:
                size = os.fstat(f.fileno()).st_size
                digest.update(f"{path.name}\0{size}\0".encode())
                if size <= 2 * _SAMPLE_BYTES:
                    digest.update(f.read())
                else:
                    digest.update(f.read(_SAMPLE_BYTES))
                    f.seek(-_SAMPLE_BYTES, os.SEEK_END)
                    digest.update(f.read(_SAMPLE_BYTES))
    except OSError as exc:
        raise MissingDependencyError(
            f"{missing} (cannot read {exc.filename}: {exc.strerror})"
        ) from exc
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# Private cache directory (for jieba's prefix dictionary)


def _owned_privately(st: os.stat_result) -> bool:
    """Owned by the current user and not writable by group or others."""
    getuid = getattr(os, "getuid", None)
    if getuid is not None and st.st_uid != getuid():
        return False
    return not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _private_cache_dir() -> Path | None:
    """Our per-user cache directory, created 0700 if missing; None when none is safe to use.

    ``$TEXTPRINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/textprint``, else ``~/.cache/textprint``.
    A directory owned by someone else or writable by group or others is refused (someone could
    plant a cache there); a missing or read-only home means no cache, not an error.
    """
    configured = os.environ.get("TEXTPRINT_CACHE_DIR")
    xdg = os.environ.get("XDG_CACHE_HOME")
    try:
        if configured:
            path = Path(configured).absolute()
        elif xdg and os.path.isabs(xdg):  # the XDG spec says to ignore a relative path
            path = Path(xdg) / "textprint"
        else:
            path = Path.home() / ".cache" / "textprint"
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = path.stat()
    except (OSError, RuntimeError):  # RuntimeError: Path.home() without a home
        return None
    if not stat.S_ISDIR(st.st_mode) or not _owned_privately(st):
        return None
    return path


def _read_private_file(path: Path) -> bytes | None:
    """The bytes of `path` if it is a regular file (not a symlink) that only we can write."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        # fstat of the open file, not stat of the path: the file checked is the file read.
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode) or not _owned_privately(st):
            return None
        try:
            return f.read()
        except OSError:
            return None


def _write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a 0600 temporary file and ``os.replace``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _remove_quietly(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


# --------------------------------------------------------------------------------------------
# jieba


def _import_jieba() -> Any:
    """Import jieba with its import-time noise silenced.

    jieba 0.42.1 has regex literals like ``"\\s"`` that warn when the module is compiled (every
    import under PYTHONDONTWRITEBYTECODE) and imports ``pkg_resources``, which warns on recent
    setuptools. Its logger ``jieba`` is set to DEBUG with a stderr handler; only warnings and
    errors get through after this (the root logger is not touched).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
        try:
            import jieba
        except ImportError as exc:
            raise MissingDependencyError(_JIEBA_MISSING) from exc
    logging.getLogger("jieba").setLevel(logging.WARNING)
    return jieba


def _load_verified_cache(cache: Path, checksum: Path) -> tuple[dict[str, int], int] | None:
    """The ``(FREQ, total)`` in `cache` if its sha256 matches `checksum`, else None."""
    data = _read_private_file(cache)
    expected = _read_private_file(checksum)
    if data is None or expected is None:
        return None
    if hashlib.sha256(data).hexdigest().encode("ascii") != expected.strip():
        return None
    try:
        loaded = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None
    if (
        isinstance(loaded, tuple)
        and len(loaded) == 2
        and isinstance(loaded[0], dict)
        and type(loaded[1]) is int
    ):
        return loaded[0], loaded[1]
    return None


def _store_cache(cache: Path, checksum: Path, freq: dict[str, int], total: int) -> None:
    """Write the cache and its checksum, checksum first; failure means no cache, not an error.

    If two processes race, a reader may see one's checksum with the other's bytes; it then
    rebuilds, which costs time and nothing else.
    """
    data = marshal.dumps((freq, total))
    try:
        _write_atomically(checksum, hashlib.sha256(data).hexdigest().encode("ascii") + b"\n")
        _write_atomically(cache, data)
    except OSError:
        _remove_quietly(checksum)


def _rjieba_checked(jieba_version: str) -> bool:
    if importlib.util.find_spec("rjieba") is None:
        return False
    try:
        rjieba_version = importlib.metadata.version("rjieba")
    except importlib.metadata.PackageNotFoundError:
        return False
    return (jieba_version, rjieba_version) in _RJIEBA_CHECKED


class _JiebaAnalyzer:
    """jieba, HMM off, with a private ``jieba.Tokenizer`` (never the global ``jieba.dt``).

    Parameters
    ----------
    use_rjieba : bool or None, default None
        Segment with rjieba (jieba's algorithm in Rust, ~14x faster) instead of jieba. None
        uses it when the installed (jieba, rjieba) versions are in ``_RJIEBA_CHECKED`` and
        `dictionary` is jieba's own. The identity is jieba's either way: for those versions
        the spans are the same.
    dictionary : path-like or None, default None
        A jieba dictionary file (``word freq [tag]`` lines); None for jieba's ``dict.txt``.
        Used by the tests to build caches from a tiny dictionary.
    """

    def __init__(
        self,
        *,
        use_rjieba: bool | None = None,
        dictionary: str | os.PathLike[str] | None = None,
    ) -> None:
        version = _distribution_version("jieba", _JIEBA_MISSING)
        if dictionary is None:
            dictionary = _package_dir("jieba", _JIEBA_MISSING) / "dict.txt"
        else:
            # rjieba has its own copy of jieba's dictionary and cannot take another.
            use_rjieba = False
        dictionary = Path(dictionary)
        digest = _file_sha256(dictionary, missing=_JIEBA_MISSING)[:12]
        self.name = "jieba"
        self.identity = f"jieba-{version}+dict.sha256:{digest}"
        self._version = version
        self._dictionary = dictionary
        self._digest = digest
        self._use_rjieba = _rjieba_checked(version) if use_rjieba is None else use_rjieba
        self._lock = threading.Lock()
        self._jieba: Any = None
        self._rjieba: Any = None
        #: Where the prefix dictionary was cached, once built; None for no usable cache.
        self.cache_file: Path | None = None

    def segment(self, text: str) -> list[Span]:
        """Return the word spans of `text`: jieba's ``cut(text, HMM=False)`` as offsets."""
        check_text(text)
        if not text:
            return []
        if self._use_rjieba:
            rust = self._rust_tokenizer()
            if rust is not None:
                # rjieba is Rust and takes UTF-8: no lone surrogates.
                return _spans_of_words(rust.cut(_without_surrogates(text), hmm=False))
        # HMM off: the HMM guesses new words from the neighbouring characters, so a copied
        # passage would be cut differently depending on what surrounds it.
        return _spans_of_words(self._python_tokenizer().cut(text, HMM=False))

    def _rust_tokenizer(self) -> Any:
        if self._rjieba is None:
            with self._lock:
                if self._rjieba is None:
                    try:
                        import rjieba
                    except ImportError:  # installed but broken: jieba gives the same spans
                        self._use_rjieba = False
                        return None
                    # A private instance, as for jieba: nobody else's add_word reaches it.
                    self._rjieba = rjieba.Jieba()
        return self._rjieba

    def _python_tokenizer(self) -> Any:
        if self._jieba is None:
            with self._lock:
                if self._jieba is None:
                    self._jieba = self._build_python_tokenizer()
        return self._jieba

    def _build_python_tokenizer(self) -> Any:
        jieba = _import_jieba()
        directory = _private_cache_dir()
        loaded = None
        cache = checksum = None
        if directory is not None:
            stem = f"jieba-{self._version}-{self._digest}"
            cache = directory / f"{stem}.cache"
            checksum = directory / f"{stem}.sha256"
            loaded = _load_verified_cache(cache, checksum)
        if loaded is None:
            with self._dictionary.open("rb") as f:
                freq, total = jieba.Tokenizer.gen_pfdict(f)
            if cache is not None and checksum is not None:
                _remove_quietly(cache, checksum)
                _store_cache(cache, checksum, freq, total)
        else:
            freq, total = loaded
        tokenizer = jieba.Tokenizer()
        tokenizer.FREQ = freq
        tokenizer.total = total
        # Marked initialized, jieba's own initialize() (which reads and writes
        # <tempdir>/jieba.cache unchecked) never runs for this tokenizer.
        tokenizer.initialized = True
        if cache is not None and cache.is_file():
            self.cache_file = cache
        return tokenizer


# --------------------------------------------------------------------------------------------
# MeCab (fugashi + unidic-lite)


class _MecabAnalyzer:
    """MeCab through fugashi with the unidic-lite dictionary, one tagger per thread."""

    def __init__(self) -> None:
        try:
            import fugashi
            import unidic_lite
        except ImportError as exc:
            raise MissingDependencyError(_MECAB_MISSING) from exc
        dicdir = Path(unidic_lite.DICDIR)
        files = ["dicrc", "char.bin", "unk.dic", "matrix.bin", "sys.dic"]
        digest = _files_digest([dicdir / f for f in files], missing=_MECAB_MISSING)[:12]
        fugashi_version = _distribution_version("fugashi", _MECAB_MISSING)
        unidic_version = _distribution_version("unidic-lite", _MECAB_MISSING)
        self.name = "mecab"
        self.identity = (
            f"mecab-fugashi-{fugashi_version}+unidic-lite-{unidic_version}+dict.sha256:{digest}"
        )
        # -d and -r pin the dictionary and an empty mecabrc, so neither a full "unidic"
        # package nor a user's ~/.mecabrc (which may add a user dictionary) changes the spans.
        self._args = f"-d {shlex.quote(str(dicdir))} -r {shlex.quote(str(dicdir / 'mecabrc'))}"
        self._tagger_class: Any = fugashi.GenericTagger
        self._local = threading.local()

    def _tagger(self) -> Any:
        tagger = getattr(self._local, "tagger", None)
        if tagger is None:  # a MeCab tagger keeps its lattice between calls: not shareable
            tagger = self._tagger_class(self._args)
            self._local.tagger = tagger
        return tagger

    def segment(self, text: str) -> list[Span]:
        """Return the word spans of `text`, line by line (see ``_pieces``)."""
        check_text(text)
        # MeCab reads a C string: a NUL would end the text. A space is skipped like any blank.
        clean = _without_surrogates(text).replace("\0", " ")
        tagger = self._tagger()
        spans: list[Span] = []
        for offset, piece in _pieces(clean, _MAX_PIECE_BYTES):
            position = 0
            for node in tagger(piece):
                surface: str = node.surface
                if not surface:
                    continue
                # MeCab skips blanks and reports them before the next word as white_space.
                start = position + len(node.white_space)
                if not piece.startswith(surface, start):
                    start = piece.find(surface, position)
                    if start < 0:  # cannot happen with an unmodified input; never guess
                        break
                position = start + len(surface)
                if not surface.isspace():
                    spans.append((offset + start, offset + position))
        return spans


# --------------------------------------------------------------------------------------------
# Sudachi (sudachipy + sudachidict-core), split mode B


class _SudachiAnalyzer:
    """Sudachi in split mode B with sudachidict-core, one tokenizer per thread."""

    def __init__(self) -> None:
        try:
            import sudachipy
            from sudachipy.errors import SudachiError
        except ImportError as exc:
            raise MissingDependencyError(_SUDACHI_MISSING) from exc
        system_dic = _package_dir("sudachidict_core", _SUDACHI_MISSING) / "resources" / "system.dic"
        resources = Path(sudachipy.__file__).parent / "resources"
        # The default settings and character tables come with sudachipy and change the spans
        # as much as the dictionary does.
        files = [system_dic] + [
            resources / f for f in ("sudachi.json", "char.def", "unk.def", "rewrite.def")
        ]
        digest = _files_digest(files, missing=_SUDACHI_MISSING)[:12]
        sudachipy_version = _distribution_version("sudachipy", _SUDACHI_MISSING)
        dict_version = _distribution_version("sudachidict-core", _SUDACHI_MISSING)
        self.name = "sudachi"
        self.identity = (
            f"sudachi-sudachipy-{sudachipy_version}+sudachidict-core-{dict_version}"
            f"+mode-B+dict.sha256:{digest}"
        )
        self._sudachipy: Any = sudachipy
        self._error: type[Exception] = SudachiError
        self._system_dic = system_dic
        self._lock = threading.Lock()
        self._dictionary: Any = None
        self._local = threading.local()

    def _tokenizer(self) -> Any:
        tokenizer = getattr(self._local, "tokenizer", None)
        if tokenizer is None:
            # The dictionary (a memory map) is shared; a tokenizer refuses concurrent use.
            if self._dictionary is None:
                with self._lock:
                    if self._dictionary is None:
                        # The absolute path, so the file digested is the file used.
                        self._dictionary = self._sudachipy.Dictionary(dict=str(self._system_dic))
            tokenizer = self._dictionary.tokenizer(mode=self._sudachipy.SplitMode.B)
            self._local.tokenizer = tokenizer
        return tokenizer

    def segment(self, text: str) -> list[Span]:
        """Return the word spans of `text`, line by line, in pieces Sudachi accepts."""
        check_text(text)
        tokenizer = self._tokenizer()
        spans: list[Span] = []
        for offset, piece in _pieces(_without_surrogates(text), _MAX_PIECE_BYTES):
            self._segment_piece(tokenizer, piece, offset, spans)
        return spans

    def _segment_piece(self, tokenizer: Any, piece: str, offset: int, spans: list[Span]) -> None:
        try:
            morphemes = tokenizer.tokenize(piece)
        except self._error:
            # Sudachi also caps its normalized text at 65,535 bytes, and normalization can grow
            # a text (NFKC makes "㍻" 平成 and U+FDFA eighteen letters), so a piece under the
            # input limit may still be refused: halve it until it fits.
            if len(piece) == 1:
                if not piece.isspace():
                    spans.append((offset, offset + 1))
                return
            cut = _cut_point(piece, 0, len(piece) // 2)
            self._segment_piece(tokenizer, piece[:cut], offset, spans)
            self._segment_piece(tokenizer, piece[cut:], offset + cut, spans)
            return
        for morpheme in morphemes:
            begin: int = morpheme.begin()
            end: int = morpheme.end()
            if end > begin and not piece[begin:end].isspace():
                spans.append((offset + begin, offset + end))


_FACTORIES: Final[dict[str, Callable[[], Analyzer]]] = {
    "jieba": _JiebaAnalyzer,
    "mecab": _MecabAnalyzer,
    "sudachi": _SudachiAnalyzer,
}
