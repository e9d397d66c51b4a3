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

import hashlib
import importlib
import importlib.metadata
import importlib.util
import logging
import marshal
import os
import shlex
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, Protocol

from ._files import atomic_write, private_cache_dir, read_private_file, remove_quietly
from ._text_runs import natural_cut
from ._validation import check_choice, check_text, utf8_safe
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

#: Sudachi refuses an input longer than this many UTF-8 bytes. MeCab has no limit, but its
#: lattice grows with its input and it runs faster on short inputs, so it gets the same pieces.
_MAX_PIECE_BYTES: Final = 49_149

#: (jieba, rjieba) versions whose HMM-off output was checked to be identical on the 461 chapters
#: of zh-classic-novels and on generated mixed-script text (tests/test_analyzers.py). rjieba
#: carries its own copy of the dictionary, so an unchecked pair falls back to jieba itself rather
#: than risk tokens that differ under the same identity.
_RJIEBA_CHECKED: Final = frozenset({("0.42.1", "0.2.2")})

#: Files bigger than twice this are digested by their size, first and last this many bytes.
_SAMPLE_BYTES: Final = 1 << 20


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
            # the best cut in the second half keeps every piece at least half as long as
            # allowed, so a text is cut into O(n / limit) pieces
            cut = natural_cut(text, start + fit // 2, start + fit)
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


def _identity(
    name: str, packages: Sequence[str], files: Sequence[Path], missing: str, *, mode: str = ""
) -> str:
    """A Japanese analyzer's identity: ``NAME-PKG-VERSION+...[+mode-MODE]+dict.sha256:DIGEST``,
    its packages' versions and the digest of the files that decide its spans
    (`_files_digest`, first 12 hex digits)."""
    digest = _files_digest(files, missing=missing)[:12]
    versions = "+".join(f"{p}-{_distribution_version(p, missing)}" for p in packages)
    settings = [f"mode-{mode}"] if mode else []
    return "+".join([f"{name}-{versions}", *settings, f"dict.sha256:{digest}"])


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
# jieba


def _require(module: str, missing: str) -> Any:
    """Import `module`, or raise MissingDependencyError with `missing` (which names the extra)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(missing) from exc


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
        jieba = _require("jieba", _JIEBA_MISSING)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    return jieba


def _load_verified_cache(cache: Path, checksum: Path) -> tuple[dict[str, int], int] | None:
    """The ``(FREQ, total)`` in `cache` if its sha256 matches `checksum`, else None."""
    data = read_private_file(cache)
    expected = read_private_file(checksum)
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
        for path, content in (
            (checksum, hashlib.sha256(data).hexdigest().encode("ascii") + b"\n"),
            (cache, data),
        ):
            with atomic_write(path, "wb", private=True) as f:
                f.write(content)
    except OSError:
        remove_quietly(checksum)


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
                return _spans_of_words(rust.cut(utf8_safe(text), hmm=False))
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
        directory = private_cache_dir()
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
                remove_quietly(cache, checksum)
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
        fugashi = _require("fugashi", _MECAB_MISSING)
        unidic_lite = _require("unidic_lite", _MECAB_MISSING)
        dicdir = Path(unidic_lite.DICDIR)
        files = ["dicrc", "char.bin", "unk.dic", "matrix.bin", "sys.dic"]
        self.name = "mecab"
        self.identity = _identity(
            "mecab", ("fugashi", "unidic-lite"), [dicdir / f for f in files], _MECAB_MISSING
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
        clean = utf8_safe(text).replace("\0", " ")
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
        sudachipy = _require("sudachipy", _SUDACHI_MISSING)
        sudachi_error = _require("sudachipy.errors", _SUDACHI_MISSING).SudachiError
        system_dic = _package_dir("sudachidict_core", _SUDACHI_MISSING) / "resources" / "system.dic"
        resources = Path(sudachipy.__file__).parent / "resources"
        # The default settings and character tables come with sudachipy and change the spans
        # as much as the dictionary does.
        files = [system_dic] + [
            resources / f for f in ("sudachi.json", "char.def", "unk.def", "rewrite.def")
        ]
        self.name = "sudachi"
        self.identity = _identity(
            "sudachi", ("sudachipy", "sudachidict-core"), files, _SUDACHI_MISSING, mode="B"
        )
        self._sudachipy: Any = sudachipy
        self._error: type[Exception] = sudachi_error
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
        for offset, piece in _pieces(utf8_safe(text), _MAX_PIECE_BYTES):
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
            cut = natural_cut(piece, len(piece) // 4, len(piece) // 2)
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
