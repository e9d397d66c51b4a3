"""The Registry: register protected works once, check incoming texts against them.

Stage 7 of the pipeline (index -> match -> report). A registry is one SQLite file (or an
in-memory database) holding the works, an inverted index of their winnowed fingerprints,
MinHash band keys that group near-duplicate works (editions, re-registrations), and a manifest
of every setting and version that produced the index.

Retrieval is driven by containment, not Jaccard: a post that copies 200 characters of a long
work shares only a few percent of its shingles, but every copied run of ``window + k - 1``
tokens shares a winnowed fingerprint. Works sharing fingerprints with the query are
candidates; candidates are verified with :func:`textprint.compare` on the stored text and
reported as one :class:`Hit` per copied work.

Fingerprints that occur in many works that are not near-duplicates of each other
(boilerplate, idioms, licence footers: at least ``max(50, 1%)`` of the clusters of
near-duplicate works) do not count as evidence.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sqlite3
import threading
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ._display import hit_html, short_repr
from ._tables import OPENCC_VERSION, TABLES_VERSION, UNICODE_VERSION, get_tables
from ._validation import (
    check_choice,
    check_int,
    check_probability,
    check_seconds,
    check_text,
    check_texts,
    iterates,
)
from .errors import (
    DuplicateWorkError,
    FormatError,
    IncompatibleError,
    InvalidInputError,
    InvalidParameterError,
    RegistryBusyError,
    StorageError,
    TooShortError,
    UnknownWorkError,
)
from .hashing import HASH_SCHEME, MAX_K
from .lsh import MAX_BANDING_HASHES, band_keys, optimal_bands
from .matching import Passage, Prepared, _coverage, align, prepare_batch, to_passages
from .minhash import EMPTY, SCHEMES, MinHasher
from .normalization import normalization_identity
from .tokenization import Tokenizer, resolve_tokenizer, tokenize, tokenizer_identity
from .winnowing import fingerprints

__all__ = ["FORMAT", "FORMAT_VERSION", "Hit", "Registry", "Work"]

FORMAT = "textprint-registry"
FORMAT_VERSION = 1
TABLE_VERSIONS = {"manifest": 1, "works": 1, "fp": 1, "bands": 1, "df": 1}
SQLITE_MAGIC = b"SQLite format 3\x00"

#: Near-duplicate works (editions) are grouped when their estimated Jaccard reaches this.
EDITION_THRESHOLD = 0.5
#: A fingerprint in at least max(COMMON_MIN, COMMON_SHARE * clusters) clusters is common.
COMMON_MIN = 50
COMMON_SHARE = 0.01
#: Works verified per checked text, most shared fingerprints first (at least top_k).
MAX_CANDIDATES = 50
#: Default evidence for a hit: copied query characters (CJK) or words (other scripts).
MIN_CHARS_CJK = 200
MIN_WORDS = 40
MIN_CONTAINMENT = 0.5
#: A text longer than this many characters is checked in overlapping segments of about this
#: size (API.md: huge texts are processed in chunks), so the working memory of a check is
#: bounded by the segment (about 150 bytes a character at its peak), not by the text.
CHECK_SEGMENT_CHARS = 1 << 20
#: Consecutive segments share at least this many characters (at most 1.5 times as many): a
#: copy crossing a cut is seen whole by one segment, or as two pieces that both hold the whole
#: shared stretch, far above the evidence one passage needs (16 CJK tokens, 10 words), and
#: that overlap each other, so they merge back into one passage (see `_segments`).
CHECK_OVERLAP_CHARS = 1 << 13
#: Passages of one work from two segments merge when their offsets agree this closely.
MERGE_SLACK = 64
_SENTENCE_ENDS = "。！？.!?"
_SPACES = " \t\u3000"

_DEFAULTS: dict[str, Any] = {
    "k": 5,
    "window": 10,
    "n_hashes": 128,
    "tokenizer": "auto",
    "seed": 0,
    "scheme": "oph",
}

_SCHEMA = """
CREATE TABLE manifest (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE works (
    rowid INTEGER PRIMARY KEY,
    work_id TEXT NOT NULL UNIQUE,
    id_is_int INTEGER NOT NULL,
    metadata TEXT,
    registered_at TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    n_chars INTEGER NOT NULL,
    n_fp INTEGER NOT NULL,
    cluster INTEGER NOT NULL,
    signature BLOB NOT NULL,
    text BLOB
);
CREATE INDEX works_cluster ON works(cluster);
CREATE TABLE fp (hash INTEGER NOT NULL, work INTEGER NOT NULL, start INTEGER NOT NULL,
                 end INTEGER NOT NULL);
CREATE INDEX fp_hash ON fp(hash);
CREATE INDEX fp_work ON fp(work);
CREATE TABLE bands (band INTEGER NOT NULL, key INTEGER NOT NULL, work INTEGER NOT NULL);
CREATE INDEX bands_key ON bands(band, key);
CREATE INDEX bands_work ON bands(work);
CREATE TABLE df (hash INTEGER PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True, eq=False)
class Work:
    """A registered work.

    Attributes
    ----------
    work_id : str or int
    text : str or None
        The registered text (None when the registry was created with ``store_text=False``).
    metadata : Any
        The JSON value given at registration (None by default).
    registered_at : datetime
        When it was registered (UTC).
    sha256 : str
        SHA-256 of the text's UTF-8 encoding (surrogates escaped), for provenance.
    """

    work_id: str | int
    text: str | None
    metadata: Any
    registered_at: datetime
    sha256: str

    def __repr__(self) -> str:
        return short_repr(self)


@dataclass(frozen=True, slots=True, eq=False)
class Hit:
    """One registered work a checked text copies.

    Attributes
    ----------
    work_id : str or int
    metadata : Any
    containment : float
        Share of the QUERY copied from this work (as in :class:`textprint.Comparison`).
    source_containment : float
        Share of the WORK found in the query.
    jaccard : float
        Jaccard similarity of the two shingle sets (exact when the work's text is stored,
        estimated from MinHash signatures otherwise).
    passages : tuple of Passage
        Copied passages, original-text offsets in the query and the work.
    copied_chars : int
        Characters of the query inside passages, invisible characters (zero-width spaces and
        the like) not counted; what hits are sorted by and what ``min_chars`` is compared with.
    """

    work_id: str | int
    metadata: Any
    containment: float
    source_containment: float
    jaccard: float
    passages: tuple[Passage, ...]
    copied_chars: int

    def __repr__(self) -> str:
        return short_repr(self)

    def _repr_html_(self) -> str:
        return hit_html(self)


def _too_short_error(work_id: str | int, k: int) -> TooShortError:
    return TooShortError(
        f"work {work_id!r} is too short to ever be found: it has fewer than k={k} tokens "
        "after normalization, so it has no fingerprint a copy inside a longer post could "
        "share; register a longer text, or pass too_short='skip' to leave it out or "
        "too_short='accept' to register it anyway"
    )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _i64(values: np.ndarray) -> list[int]:
    """uint64 hashes as the signed 64-bit integers SQLite stores."""
    out: list[int] = np.asarray(values, dtype=np.uint64).view(np.int64).tolist()
    return out


def _check_work_id(work_id: object) -> str | int:
    if isinstance(work_id, bool) or not isinstance(work_id, (str, int, np.integer)):
        raise InvalidInputError(f"work_id must be a str or an int, got {type(work_id).__name__}")
    return int(work_id) if isinstance(work_id, np.integer) else work_id


# Strings are stored losslessly, lone surrogates included (API.md: a valid str never raises).
# sqlite3 cannot bind a str holding a lone surrogate as TEXT, so such a string (a work id, or
# the JSON of metadata) is stored as a BLOB of its UTF-8 encoding with the surrogates passed
# through ('surrogatepass', as the texts are). Every other string stays TEXT. A BLOB never
# equals a TEXT value in SQLite, and a str is a BLOB exactly when it holds a lone surrogate,
# so the mapping stays one to one (the UNIQUE work_id and the lookups by it keep working), and
# files without such strings are unchanged: the layout (table_version.works) is still 1.


def _db_str(value: str) -> str | bytes:
    """`value` as SQLite stores it: TEXT, or a BLOB when it holds a lone surrogate."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")
    return value


def _str_from_db(value: str | bytes) -> str:
    return value.decode("utf-8", "surrogatepass") if isinstance(value, bytes) else value


def _id_param(work_id: str | int) -> str | bytes:
    """The stored form of a work id (an int is stored as its decimal string, id_is_int=1)."""
    return _db_str(str(work_id))


def _id_from_db(stored: str | bytes, is_int: int) -> str | int:
    text = _str_from_db(stored)
    return int(text) if is_int else text


def _metadata_json(metadata: Any) -> str | bytes | None:
    if metadata is None:
        return None
    try:
        raw = json.dumps(metadata, ensure_ascii=False, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"metadata must be JSON-serializable (dict, list, str, numbers, bool, None): {exc}"
        ) from exc
    # not ensure_ascii=True for lone surrogates: its \udXXX escapes would turn two lone
    # surrogates that happen to form a pair into one astral character when read back
    return _db_str(raw)


def _metadata_from_db(stored: str | bytes | None) -> Any:
    return None if stored is None else json.loads(_str_from_db(stored))


def _check_path(path: object) -> Path | None:
    if path is None:
        return None
    raw: object = path
    if isinstance(path, os.PathLike):
        try:
            raw = os.fspath(path)
        except TypeError:
            raw = None
    if not isinstance(raw, str):
        hint = " (decode it first: os.fsdecode(path))" if isinstance(raw, bytes) else ""
        raise InvalidInputError(
            f"path must be a str or a pathlib.Path (or None for an in-memory registry), got "
            f"{type(path).__name__}{hint}"
        )
    if "\x00" in raw:
        raise InvalidParameterError(f"path={raw!r} contains a NUL character: no file has it")
    try:
        os.fsencode(raw)
    except UnicodeEncodeError as exc:
        raise InvalidParameterError(
            f"path={raw!r} cannot be encoded as a file name ({exc.reason}); give a path "
            "without lone surrogates"
        ) from exc
    return Path(raw)


class _CreatedElsewhereError(Exception):
    """Another connection created the registry between our look and our write."""


class Registry:
    """Registered works and the index that finds copies of them.

    Parameters
    ----------
    path : str or Path, optional
        One SQLite file (created if missing). None: an in-memory registry.
    k : int, default 5
        Tokens per shingle.
    window : int, default 10
        Winnowing window, in shingles.
    n_hashes : int, default 128
        Length of the MinHash signatures, at most 1024.
    tokenizer : str or Tokenizer, default "auto"
        As in :func:`~textprint.tokenize`.
    seed : int, default 0
        Seed of the shingle hashes and signatures.
    scheme : {"oph", "classic", "datasketch"}, default "oph"
        MinHash scheme, as in :class:`~textprint.MinHasher`.

        The six settings above apply to a new registry. An existing file keeps its own:
        leave them out to adopt them; passing a different value raises IncompatibleError
        (use :meth:`rebuild` to change them). Settings are checked before the file is
        touched: an invalid one leaves no file behind.
    store_text : bool, default True
        Keep the works' texts (compressed). Without them :meth:`get` returns ``text=None``,
        passages come from fingerprints (coarser boundaries) and :meth:`rebuild` is impossible.
    timeout : float, default 10.0
        Seconds a writer waits for another writer before RegistryBusyError.

    Raises
    ------
    InvalidInputError
        If `path` is not a str or an os.PathLike of str (bytes included).
    InvalidParameterError
        If a setting or `timeout` is invalid, or `path` cannot be a file name (NUL, lone
        surrogates).
    FormatError
        If `path` is not a textprint registry, is damaged, or was written by a newer textprint
        (``format_version`` or a ``table_version.*`` above what this version reads).
    IncompatibleError
        If an explicitly passed setting differs from the file's.
    StorageError
        If the file cannot be opened.

    Notes
    -----
    Durability: a work is durable once :meth:`register` returns (SQLite WAL with
    ``synchronous=FULL``); :meth:`register_many` commits and acknowledges each batch. Readers
    see new works at their next :meth:`check`, also from other processes. Nothing is ever
    unpickled; SQL takes parameters only.

    Work ids and metadata are stored losslessly, lone surrogates included (a ``str`` that
    UTF-8 cannot encode is stored as a BLOB of its UTF-8 with the surrogates passed through),
    so any str or int is a valid work id.

    Examples
    --------
    >>> import textprint as tp
    >>> reg = tp.Registry()
    >>> reg.register("sanguo-1", "话说天下大势，分久必合，合久必分。周末七国分争，并入于秦。"
    ...              "及秦灭之后，楚、汉分争，又并入于汉。汉朝自高祖斩白蛇而起义，一统天下。")
    >>> hits = reg.check("转载：天下大勢，分久必合，合久必分。周末七國分爭，併入於秦。"
    ...                  "及秦滅之後，楚、漢分爭，又併入於漢。漢朝自高祖斬白蛇而起義，一統天下。")
    >>> [(h.work_id, round(h.source_containment, 2)) for h in hits]
    [('sanguo-1', 0.96)]
    >>> reg.check("今天天气很好，我们去公园散步吧。")
    []
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        k: int | None = None,
        window: int | None = None,
        n_hashes: int | None = None,
        tokenizer: str | Tokenizer | None = None,
        seed: int | None = None,
        scheme: str | None = None,
        store_text: bool | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._lock = threading.RLock()
        self._timeout = check_seconds(timeout, "timeout")
        self.path = _check_path(path)
        explicit = {
            "k": k,
            "window": window,
            "n_hashes": n_hashes,
            "tokenizer": tokenizer,
            "seed": seed,
            "scheme": scheme,
        }
        if tokenizer is not None and not isinstance(tokenizer, str):
            raise InvalidParameterError(
                "a Registry stores its tokenizer by name: use 'auto', 'char', 'jieba', 'mecab' "
                "or 'sudachi' (user Tokenizer objects cannot be reopened from a file)"
            )
        # Validate before touching the file: a bad setting must not leave a file behind.
        _validate_settings({n: v for n, v in explicit.items() if v is not None})
        self._conn: sqlite3.Connection | None = self._connect()
        try:
            manifest = self._read_or_create(explicit, store_text)
            self._configure(manifest)
        except BaseException:
            self._conn.close()
            self._conn = None
            raise
        self._cache_version = -1
        self._n_clusters = 0

    # -- opening ----------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self.path is None:
            conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            return conn
        p = self.path
        if p.exists():
            if p.is_dir():
                raise StorageError(f"registry path {str(p)!r} is a directory, not a file")
            try:
                with open(p, "rb") as f:
                    head = f.read(16)
            except OSError as exc:
                raise StorageError(f"cannot read registry {str(p)!r}: {exc}") from exc
            if head and head != SQLITE_MAGIC:
                raise FormatError(
                    f"{str(p)!r} is not a textprint registry (not an SQLite database; "
                    f"expected format {FORMAT} version {FORMAT_VERSION})"
                )
        try:
            conn = sqlite3.connect(
                str(p), timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
            # Look before touching: switching the journal mode rewrites the header, which a
            # foreign database must not suffer. Only a new file or a textprint registry is set
            # to WAL with full sync.
            names = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if names and "manifest" not in names:
                conn.close()
                raise FormatError(
                    f"{str(p)!r} is an SQLite database but not a textprint registry "
                    f"(no manifest table; expected format {FORMAT} version {FORMAT_VERSION})"
                )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
        except sqlite3.DatabaseError as exc:
            raise self._db_error(exc) from exc
        except OSError as exc:  # pragma: no cover - sqlite reports most as OperationalError
            raise StorageError(f"cannot open registry {str(p)!r}: {exc}") from exc
        return conn

    def _db_error(self, exc: sqlite3.Error) -> Exception:
        msg = str(exc)
        where = "in-memory registry" if self.path is None else repr(str(self.path))
        if "no such table" in msg or "no such column" in msg:
            return FormatError(
                f"registry {where} is damaged or not a textprint registry ({msg}); restore it "
                "from a backup"
            )
        if "locked" in msg or "busy" in msg:
            return RegistryBusyError(
                f"registry {where} is busy: another writer held it for more than "
                f"{self._timeout:g} s; retry later or raise timeout="
            )
        if isinstance(exc, sqlite3.DatabaseError) and (
            "not a database" in msg or "malformed" in msg or "corrupt" in msg
        ):
            return FormatError(f"registry {where} is corrupt or not a textprint registry: {msg}")
        return StorageError(f"registry {where}: {msg}")

    def _read_or_create(self, explicit: dict[str, Any], store_text: bool | None) -> dict[str, str]:
        try:
            tables = {
                r[0]
                for r in self._db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                ).fetchall()
            }
        except sqlite3.DatabaseError as exc:
            raise self._db_error(exc) from exc
        if not tables:
            try:
                return self._create(explicit, store_text)
            except _CreatedElsewhereError:
                return self._read_or_create(explicit, store_text)
        if "manifest" not in tables:
            raise FormatError(
                f"{str(self.path)!r} is an SQLite database but not a textprint registry "
                f"(no manifest table; expected format {FORMAT} version {FORMAT_VERSION})"
            )
        try:
            rows = self._db.execute("SELECT key, value FROM manifest").fetchall()
            manifest = {str(k): str(v) for k, v in rows}
        except sqlite3.OperationalError as exc:
            raise FormatError(
                f"{str(self.path)!r} is not a textprint registry (its manifest table is not "
                f"textprint's: {exc})"
            ) from exc
        except sqlite3.DatabaseError as exc:
            raise self._db_error(exc) from exc
        if manifest.get("format") != FORMAT:
            raise FormatError(f"{str(self.path)!r} is not a textprint registry")
        missing = sorted(set(TABLE_VERSIONS) - tables)
        if missing:
            raise FormatError(
                f"{str(self.path)!r} is a damaged textprint registry: table(s) "
                f"{', '.join(missing)} missing; restore it from a backup"
            )
        try:
            version = int(manifest.get("format_version", ""))
        except ValueError as exc:
            raise FormatError(f"{str(self.path)!r} has a corrupt manifest") from exc
        if version > FORMAT_VERSION:
            raise FormatError(
                f"{str(self.path)!r} has registry format version {version}; this textprint "
                f"({_version()}) reads versions up to {FORMAT_VERSION}: upgrade textprint"
            )
        self._check_layout(manifest)
        diffs = []
        for name, value in explicit.items():
            if value is None:
                continue
            stored = manifest.get(name)
            if str(value) != stored:
                diffs.append(f"{name}={value!r} (the file has {name}={stored})")
        if store_text is not None and str(bool(store_text)) != manifest.get("store_text"):
            diffs.append(f"store_text={store_text} (the file has {manifest.get('store_text')})")
        if diffs:
            raise IncompatibleError(
                f"registry {str(self.path)!r} was built with other settings: "
                + "; ".join(diffs)
                + ". Open it without these arguments to adopt its settings, or rebuild it "
                "with Registry(path).rebuild(...)"
            )
        return manifest

    def _settings_manifest(self, settings: dict[str, Any], store_text: bool) -> dict[str, str]:
        tok = settings["tokenizer"]
        return {
            "format": FORMAT,
            "format_version": str(FORMAT_VERSION),
            "textprint_version": _version(),
            **{f"table_version.{t}": str(v) for t, v in TABLE_VERSIONS.items()},
            "normalization": normalization_identity(),
            "tables_version": TABLES_VERSION,
            "unicode_version": UNICODE_VERSION,
            "opencc_version": OPENCC_VERSION,
            "tokenizer_identity": tokenizer_identity(tok),
            "hash": HASH_SCHEME,
            "k": str(settings["k"]),
            "window": str(settings["window"]),
            "n_hashes": str(settings["n_hashes"]),
            "tokenizer": str(tok),
            "seed": str(settings["seed"]),
            "scheme": str(settings["scheme"]),
            "store_text": str(bool(store_text)),
        }

    def _create(self, explicit: dict[str, Any], store_text: bool | None) -> dict[str, str]:
        settings = {n: (_DEFAULTS[n] if v is None else v) for n, v in explicit.items()}
        _validate_settings(settings)
        manifest = self._settings_manifest(settings, True if store_text is None else store_text)
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'manifest'").fetchone():
                # another process created the registry meanwhile: adopt it instead
                raise _CreatedElsewhereError
            for stmt in _SCHEMA.strip().split(";"):
                if stmt.strip():
                    self._db.execute(stmt)
            self._db.executemany(
                "INSERT INTO manifest(key, value) VALUES (?, ?)", sorted(manifest.items())
            )
        return manifest

    def _check_layout(self, manifest: dict[str, str]) -> None:
        """Refuse a file whose tables have a layout newer than this textprint reads."""
        for table, supported in TABLE_VERSIONS.items():
            raw = manifest.get(f"table_version.{table}")
            try:
                found = int(raw)  # type: ignore[arg-type]
            except (TypeError, ValueError) as exc:
                raise FormatError(
                    f"registry {str(self.path)!r} has a corrupt manifest (table_version.{table}="
                    f"{raw!r}); restore it from a backup"
                ) from exc
            if found > supported:
                raise FormatError(
                    f"registry {str(self.path)!r} has its {table!r} table in layout version "
                    f"{found}; this textprint ({_version()}) reads versions up to {supported}: "
                    "upgrade textprint"
                )

    def _configure(self, manifest: dict[str, str]) -> None:
        try:
            self._check_layout(manifest)
            self._apply(manifest)
        except (KeyError, ValueError, TypeError) as exc:
            if isinstance(exc, (IncompatibleError, FormatError)):
                raise
            raise FormatError(
                f"registry {str(self.path)!r} has a corrupt manifest ({exc!r}); restore it from "
                "a backup"
            ) from exc

    def _apply(self, manifest: dict[str, str]) -> None:
        self._manifest = manifest
        self.k = int(manifest["k"])
        self.window = int(manifest["window"])
        self.n_hashes = int(manifest["n_hashes"])
        self.seed = int(manifest["seed"])
        self.scheme = manifest["scheme"]
        self.tokenizer: str = manifest["tokenizer"]
        self.store_text = manifest["store_text"] == "True"
        self._hasher = MinHasher(
            self.n_hashes, k=self.k, tokenizer=self.tokenizer, seed=self.seed, scheme=self.scheme
        )
        self._bands, self._rows = optimal_bands(EDITION_THRESHOLD, n_hashes=self.n_hashes)
        # every version the fingerprints depend on; the normalization identity names the
        # tables too, but each entry is compared on its own so an edited or partly written
        # manifest cannot pass
        current = {
            "normalization": normalization_identity(),
            "tables_version": TABLES_VERSION,
            "unicode_version": UNICODE_VERSION,
            "opencc_version": OPENCC_VERSION,
            "tokenizer_identity": tokenizer_identity(self.tokenizer),
            "hash": HASH_SCHEME,
        }
        self._stale = [
            f"{key}: the file has {manifest.get(key)!r}, this textprint has {value!r}"
            for key, value in current.items()
            if manifest.get(key) != value
        ]

    @property
    def manifest(self) -> dict[str, str]:
        """Every setting and version that produced the index (a copy)."""
        return dict(self._manifest)

    # -- transactions -----------------------------------------------------------------------

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StorageError("the registry is closed: open it again with tp.Registry(path)")
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._db
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._db_error(exc) from exc
            try:
                yield conn
            except sqlite3.Error as exc:
                conn.execute("ROLLBACK")
                raise self._db_error(exc) from exc
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                conn.execute("ROLLBACK")
                raise self._db_error(exc) from exc
            # data_version does not change for our own commits: forget what it guarded
            self._cache_version = -1

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise self._db_error(exc) from exc

    def _check_open(self) -> None:
        if self._conn is None:
            raise StorageError("the registry is closed: open it again with tp.Registry(path)")

    # -- registration -----------------------------------------------------------------------

    def register(
        self,
        work_id: str | int,
        text: str,
        metadata: Any = None,
        *,
        replace: bool = False,
        too_short: str = "raise",
    ) -> None:
        """Register one work; it is durable when this returns.

        Parameters
        ----------
        work_id : str or int
            Any str (lone surrogates included: stored and returned exactly as given) or int.
            An int and its decimal string name the same work.
        text : str
        metadata : JSON value, optional
        replace : bool, default False
            Replace a work already registered under `work_id` instead of raising.
        too_short : {"raise", "skip", "accept"}, default "raise"
            What to do with a text too short to ever be found: fewer than ``k`` tokens after
            normalization (``""``, ``"，。！？"``, a 3-character title at ``k=5``), so its only
            shingle is the whole text, which a copy inside any longer post never shares.
            "raise": TooShortError; "skip": leave it out; "accept": register it anyway.

        Raises
        ------
        DuplicateWorkError
            If `work_id` is registered and `replace` is False.
        TooShortError
            If `text` is too short to ever be found and `too_short` is "raise".
        InvalidInputError
            If `work_id`, `text` or `metadata` has the wrong type.
        RegistryBusyError
            If another writer holds the registry longer than the timeout.
        """
        self.register_many([(work_id, text, metadata)], replace=replace, too_short=too_short)

    def register_many(
        self,
        items: Iterable[tuple[Any, ...]],
        *,
        batch_size: int = 1000,
        replace: bool = False,
        on_commit: Any = None,
        too_short: str = "raise",
    ) -> list[str | int]:
        """Register many works, committing one transaction per batch.

        Parameters
        ----------
        items : iterable of (work_id, text) or (work_id, text, metadata)
            The works, as :meth:`register` takes them.
        batch_size : int, default 1000
            Works per transaction.
        replace : bool, default False
            As in :meth:`register`.
        on_commit : callable, optional
            Called with the list of work ids of each batch right after it commits (progress,
            resumable imports).
        too_short : {"raise", "skip", "accept"}, default "raise"
            As in :meth:`register`; skipped works are absent from the returned ids.

        Returns
        -------
        list of str or int
            The ids of the works committed, in order. Each batch is durable once committed: if
            a later batch fails, the earlier ones stay registered.

        Raises
        ------
        InvalidInputError
            If `items` is not an iterable of such tuples, or one has the wrong types.
        DuplicateWorkError
            If a work_id is registered (and `replace` is False) or appears twice in a batch.
        TooShortError
            If a text is too short to ever be found and `too_short` is "raise" (its batch is
            not committed).
        """
        self._check_open()
        batch_size = check_int(batch_size, "batch_size", low=1)
        too_short = check_choice(too_short, "too_short", ("raise", "skip", "accept"))
        if isinstance(items, (str, bytes)) or not iterates(items):
            raise InvalidInputError(
                "items must be an iterable of (work_id, text) or (work_id, text, metadata) "
                f"tuples, got {type(items).__name__}; wrap one work in a list: [(work_id, text)]"
            )
        done: list[str | int] = []
        batch: list[tuple[str | int, str, Any]] = []
        for item in items:
            batch.append(self._check_item(item))
            if len(batch) >= batch_size:
                done.extend(self._commit_batch(batch, replace, on_commit, too_short))
                batch = []
        if batch:
            done.extend(self._commit_batch(batch, replace, on_commit, too_short))
        return done

    def _check_item(self, item: Any) -> tuple[str | int, str, Any]:
        if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
            raise InvalidInputError(
                f"each item must be (work_id, text) or (work_id, text, metadata), got {item!r:.80}"
            )
        work_id = _check_work_id(item[0])
        check_text(item[1])
        metadata = item[2] if len(item) == 3 else None
        _metadata_json(metadata)
        return work_id, item[1], metadata

    def _commit_batch(
        self,
        batch: list[tuple[str | int, str, Any]],
        replace: bool,
        on_commit: Any,
        too_short: str = "accept",
    ) -> list[str | int]:
        self._refresh()
        self._require_fresh()
        ids = [str(w) for w, _, _ in batch]
        if len(set(ids)) != len(ids):
            seen: set[str] = set()
            dup = next(i for i in ids if i in seen or seen.add(i))  # type: ignore[func-returns-value]
            raise DuplicateWorkError(f"work_id {dup!r} appears twice in one batch")
        texts = [t for _, t, _ in batch]
        fps = fingerprints(
            texts, k=self.k, window=self.window, tokenizer=self.tokenizer, seed=self.seed
        )
        sigs = self._hasher.signatures(texts).values
        # too_short: under k tokens a text is one shingle, found only by a post that is the
        # same few tokens and nothing else, never inside a longer one (none: no shingle at all)
        short = [
            i
            for i, fp in enumerate(fps)
            if fp.n_shingles <= 1 and len(tokenize(texts[i], self.tokenizer).tokens) < self.k
        ]
        if short and too_short == "raise":
            raise _too_short_error(batch[short[0]][0], self.k)
        if short and too_short == "skip":
            keep = sorted(set(range(len(batch))) - set(short))
            batch, fps, sigs = [batch[i] for i in keep], [fps[i] for i in keep], sigs[keep]
            if not batch:
                return []
        now = datetime.now(timezone.utc).isoformat()
        with self._write() as conn:
            pending = _Pending()
            for (work_id, text, metadata), fp, sig in zip(batch, fps, sigs):
                row = conn.execute(
                    "SELECT rowid FROM works WHERE work_id = ?", (_id_param(work_id),)
                ).fetchone()
                if row is not None:
                    if not replace:
                        raise DuplicateWorkError(
                            f"work_id {work_id!r} is already registered; pass replace=True "
                            "to replace it"
                        )
                    self._delete_rowid(conn, row[0], pending)
                self._insert(conn, work_id, text, metadata, fp, sig, now, pending)
            pending.flush(conn)
        if on_commit is not None:
            on_commit([w for w, _, _ in batch])
        return [w for w, _, _ in batch]

    def _insert(
        self,
        conn: sqlite3.Connection,
        work_id: str | int,
        text: str,
        metadata: Any,
        fp: Any,
        sig: np.ndarray,
        now: str,
        pending: _Pending,
    ) -> None:
        valid = not bool((sig == EMPTY).all())
        keys = band_keys(sig[None, :], self._bands, self._rows)[0] if valid else None
        cluster = self._cluster_for(conn, sig, keys) if keys is not None else None
        blob = zlib.compress(text.encode("utf-8", "surrogatepass"), 6) if self.store_text else None
        cur = conn.execute(
            "INSERT INTO works(work_id, id_is_int, metadata, registered_at, sha256, n_chars, "
            "n_fp, cluster, signature, text) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            (
                _id_param(work_id),
                int(isinstance(work_id, int)),
                _metadata_json(metadata),
                now,
                _sha256(text),
                len(text),
                len(fp.hashes),
                np.ascontiguousarray(sig, dtype="<u8").tobytes(),
                blob,
            ),
        )
        rowid = int(cur.lastrowid or 0)
        # a fingerprint counts once per cluster of near-duplicate works: a new cluster (this
        # work is its first member) counts all of them, a known one only those none of its
        # other members has
        hashes = np.asarray(fp.hashes, dtype=np.uint64).view(np.int64)
        uniq = np.unique(hashes)
        new = uniq
        if cluster is None:
            cluster = rowid
        elif len(new):
            held = self._cluster_hashes(conn, cluster, rowid, pending)
            new = np.setdiff1d(new, held, assume_unique=True)
        conn.execute("UPDATE works SET cluster = ? WHERE rowid = ?", (cluster, rowid))
        pending.add(rowid, cluster, hashes, uniq, new, fp.starts, fp.ends)
        if keys is not None:
            conn.executemany(
                "INSERT INTO bands(band, key, work) VALUES (?, ?, ?)",
                [(b, k, rowid) for b, k in enumerate(_i64(keys))],
            )

    def _cluster_for(
        self, conn: sqlite3.Connection, sig: np.ndarray, keys: np.ndarray
    ) -> int | None:
        """The cluster of the most similar registered near-duplicate, if any."""
        rows = conn.execute(
            "SELECT DISTINCT w.rowid, w.cluster, w.signature FROM json_each(?) AS q "
            "CROSS JOIN bands AS b ON b.band = json_extract(q.value, '$[0]') "
            "AND b.key = json_extract(q.value, '$[1]') JOIN works AS w ON w.rowid = b.work",
            (json.dumps([[b, k] for b, k in enumerate(_i64(keys))]),),
        ).fetchall()
        best: tuple[float, int] | None = None
        for _, cluster, blob in rows:
            other = np.frombuffer(blob, dtype="<u8")
            est = float(((other == sig) & (sig != EMPTY)).mean())
            if est >= EDITION_THRESHOLD and (best is None or (est, -cluster) > (best[0], -best[1])):
                best = (est, int(cluster))
        return None if best is None else best[1]

    @staticmethod
    def _cluster_hashes(
        conn: sqlite3.Connection, cluster: int, rowid: int, pending: _Pending
    ) -> np.ndarray:
        """The distinct fingerprint hashes (int64, sorted) of the cluster's works but `rowid`.

        Read through the cluster's works (works_cluster, then fp_work), with those of its works
        still pending in this transaction: a cluster holds a few editions, so this reads a few
        works' postings instead of probing the whole hash index once per fingerprint.
        """
        rows = conn.execute(
            "SELECT DISTINCT f.hash FROM works AS w CROSS JOIN fp AS f ON f.work = w.rowid "
            "WHERE w.cluster = ? AND w.rowid != ?",
            (cluster, rowid),
        ).fetchall()
        stored = np.array([h for (h,) in rows], dtype=np.int64)
        return np.unique(np.concatenate([stored, *pending.of_cluster(cluster)]))

    def _delete_rowid(self, conn: sqlite3.Connection, rowid: int, pending: _Pending) -> None:
        (cluster,) = conn.execute("SELECT cluster FROM works WHERE rowid = ?", (rowid,)).fetchone()
        hashes = np.unique(
            np.array(
                [h for (h,) in conn.execute("SELECT hash FROM fp WHERE work = ?", (rowid,))],
                dtype=np.int64,
            )
        )
        # the cluster no longer holds a hash no other member of it has
        held = self._cluster_hashes(conn, cluster, rowid, pending)
        gone = np.setdiff1d(hashes, held, assume_unique=True)
        conn.execute("DELETE FROM fp WHERE work = ?", (rowid,))
        conn.execute("DELETE FROM bands WHERE work = ?", (rowid,))
        conn.execute("DELETE FROM works WHERE rowid = ?", (rowid,))
        if len(gone):
            conn.execute(
                "UPDATE df SET n = n - 1 WHERE hash IN (SELECT value FROM json_each(?))",
                (json.dumps(gone.tolist()),),
            )
            conn.execute(
                "DELETE FROM df WHERE hash IN (SELECT value FROM json_each(?)) AND n <= 0",
                (json.dumps(gone.tolist()),),
            )

    def remove(self, work_id: str | int) -> None:
        """Remove a registered work.

        Raises
        ------
        UnknownWorkError
            If `work_id` is not registered.
        """
        self._check_open()
        work_id = _check_work_id(work_id)
        with self._write() as conn:
            row = conn.execute(
                "SELECT rowid FROM works WHERE work_id = ?", (_id_param(work_id),)
            ).fetchone()
            if row is None:
                raise UnknownWorkError(f"work_id {work_id!r} is not registered")
            self._delete_rowid(conn, row[0], _Pending())

    # -- reading ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM works")[0][0])

    def __contains__(self, work_id: object) -> bool:
        if isinstance(work_id, bool) or not isinstance(work_id, (str, int, np.integer)):
            return False
        key = _id_param(_check_work_id(work_id))
        return bool(self._read("SELECT 1 FROM works WHERE work_id = ?", (key,)))

    def __iter__(self) -> Iterator[str | int]:
        rows = self._read("SELECT work_id, id_is_int FROM works ORDER BY rowid")
        return iter([_id_from_db(w, is_int) for w, is_int in rows])

    def get(self, work_id: str | int) -> Work:
        """The registered work `work_id`.

        Raises
        ------
        UnknownWorkError
            If `work_id` is not registered.
        """
        work_id = _check_work_id(work_id)
        rows = self._read(
            "SELECT work_id, id_is_int, metadata, registered_at, sha256, text FROM works "
            "WHERE work_id = ?",
            (_id_param(work_id),),
        )
        if not rows:
            raise UnknownWorkError(f"work_id {work_id!r} is not registered")
        wid, is_int, meta, at, sha, blob = rows[0]
        return Work(
            work_id=_id_from_db(wid, is_int),
            text=None if blob is None else _decompress(blob),
            metadata=_metadata_from_db(meta),
            registered_at=datetime.fromisoformat(at),
            sha256=sha,
        )

    # -- checking ---------------------------------------------------------------------------

    def _require_fresh(self) -> None:
        if self._stale:
            raise IncompatibleError(
                "the registry's index was built by another version of textprint's pipeline ("
                + "; ".join(self._stale)
                + "): run reg.rebuild() (or `textprint rebuild DB`) to re-fingerprint the "
                "stored texts"
            )

    def _refresh(self) -> None:
        """After another connection's commit: adopt a manifest it rewrote (a rebuild), and
        recount the clusters the common-phrase limit depends on."""
        version = self._read("PRAGMA data_version")[0][0]
        if version == self._cache_version and self._cache_version >= 0:
            return
        rows = self._read("SELECT key, value FROM manifest")
        manifest = {str(k): str(v) for k, v in rows}
        if manifest != self._manifest:
            self._configure(manifest)
        self._n_clusters = int(self._read("SELECT COUNT(DISTINCT cluster) FROM works")[0][0])
        self._cache_version = version

    def _common_limit(self) -> int:
        self._refresh()
        return max(COMMON_MIN, math.ceil(COMMON_SHARE * self._n_clusters))

    def check(
        self,
        text: str,
        *,
        min_chars: int | None = None,
        min_containment: float = MIN_CONTAINMENT,
        top_k: int | None = None,
    ) -> list[Hit]:
        """The registered works `text` copies, best first.

        Parameters
        ----------
        text : str
        min_chars : int, optional
            Copied query characters needed for a hit, counted as characters in every script
            (``Hit.copied_chars``: an English word is about 6 with its space). Given, it
            replaces both defaults: 200 characters for CJK text, 40 words (counted as tokens)
            for other scripts.
        min_containment : float, default 0.5
            A hit is also reported when at least this share of the work is found in the query
            (a whole copied poem or headline, shorter than `min_chars`).
        top_k : int, optional
            Return at most this many hits.

        Returns
        -------
        list of Hit
            One per copied work, sorted by copied query characters (ties by work_id); ``[]``
            when nothing is copied.

        Notes
        -----
        A text longer than ``CHECK_SEGMENT_CHARS`` (2**20 characters) is checked in
        overlapping segments, so memory does not grow with the text; each work's passages
        from all segments are merged and the evidence rule is applied to the merged hit (a
        copy split over two segments counts whole). Shorter texts are checked in one pass.
        """
        check_text(text)
        return self.check_many(
            [text], min_chars=min_chars, min_containment=min_containment, top_k=top_k
        )[0]

    def check_many(
        self,
        texts: Iterable[str],
        *,
        min_chars: int | None = None,
        min_containment: float = MIN_CONTAINMENT,
        top_k: int | None = None,
    ) -> list[list[Hit]]:
        """:meth:`check` for many texts at once (one index lookup for the batch)."""
        self._check_open()
        docs = check_texts(texts)
        if min_chars is not None:
            min_chars = check_int(min_chars, "min_chars", low=0)
        min_containment = check_probability(min_containment, "min_containment")
        if top_k is not None:
            top_k = check_int(top_k, "top_k", low=1)
        self._refresh()
        self._require_fresh()
        if not docs:
            return []
        limit = self._common_limit()
        # Texts are checked in batches of at most CHECK_SEGMENT_CHARS characters, and a longer
        # text alone in overlapping segments: memory is bounded by the segment, not the input.
        # Each text's hits do not depend on the batch it is checked in.
        out: list[list[Hit]] = [[] for _ in docs]
        batch: list[int] = []
        size = 0
        for d, text in enumerate([*docs, None]):
            if text is not None and len(text) > CHECK_SEGMENT_CHARS:
                out[d] = self._check_long(text, limit, min_chars, min_containment, top_k)
                continue
            if batch and (text is None or size + len(text) > CHECK_SEGMENT_CHARS):
                hits = self._check_batch(
                    [docs[i] for i in batch], limit, min_chars, min_containment, top_k
                )
                for i, h in zip(batch, hits):
                    out[i] = h
                batch, size = [], 0
            if text is not None:
                batch.append(d)
                size += len(text)
        return out

    def _check_batch(
        self,
        docs: list[str],
        limit: int,
        min_chars: int | None,
        min_containment: float,
        top_k: int | None,
    ) -> list[list[Hit]]:
        """Check texts as one batch: one index lookup, one verification pass."""
        _, candidates, works, boilerplate = self._candidates(docs, limit, top_k)
        return self._verify(docs, candidates, works, min_chars, min_containment, top_k, boilerplate)

    def _candidates(
        self, docs: list[str], limit: int, top_k: int | None
    ) -> tuple[list[Any], list[list[int]], dict[int, tuple[Any, ...]], list[list[tuple[int, int]]]]:
        """Fingerprints of `docs`, their ranked candidate works (rows), those works' stored
        rows and, per text, the spans of its common-phrase fingerprints."""
        fps = fingerprints(
            docs, k=self.k, window=self.window, tokenizer=self.tokenizer, seed=self.seed
        )
        all_hashes = np.unique(np.concatenate([f.hashes for f in fps])) if fps else np.zeros(0)
        postings: dict[int, list[int]] = {}
        if len(all_hashes):
            rows = self._read(
                "SELECT f.hash, f.work FROM json_each(?) AS q CROSS JOIN fp AS f "
                "ON f.hash = q.value LEFT JOIN df ON df.hash = f.hash "
                "WHERE coalesce(df.n, 0) < ?",
                (json.dumps(_i64(all_hashes)), limit),
            )
            for h, w in rows:
                postings.setdefault(h, []).append(w)
        common = self._common_hashes(all_hashes, limit)
        boilerplate = [common_spans(f, common) for f in fps]
        candidates = rank_candidates(
            [f.hashes for f in fps], postings, limit=max(MAX_CANDIDATES, top_k or 0)
        )
        needed = {w for cands in candidates for w in cands}
        works = self._load_works(sorted(needed))
        return fps, candidates, works, boilerplate

    def _common_hashes(self, hashes: np.ndarray, limit: int) -> set[int]:
        """The (signed) hashes among `hashes` that are common phrases, not evidence."""
        if not len(hashes):
            return set()
        rows = self._read(
            "SELECT df.hash FROM json_each(?) AS q CROSS JOIN df ON df.hash = q.value "
            "WHERE df.n >= ?",
            (json.dumps(_i64(hashes)), limit),
        )
        return {h for (h,) in rows}

    def _load_works(self, rowids: list[int]) -> dict[int, tuple[Any, ...]]:
        if not rowids:
            return {}
        rows = self._read(
            "SELECT w.rowid, w.work_id, w.id_is_int, w.metadata, w.text, w.signature "
            "FROM json_each(?) AS q CROSS JOIN works AS w ON w.rowid = q.value",
            (json.dumps(rowids),),
        )
        return {r[0]: r[1:] for r in rows}

    def _check_long(
        self,
        text: str,
        limit: int,
        min_chars: int | None,
        min_containment: float,
        top_k: int | None,
    ) -> list[Hit]:
        """:meth:`check` of one text longer than CHECK_SEGMENT_CHARS, in overlapping segments.

        Each segment is fingerprinted, ranked and verified as a whole text is (common-phrase
        passages left out), but no evidence rule is applied to it. Per work, the passages of
        all segments are shifted to offsets in `text` and merged (`_merge_passages`); the
        measures are then those of the whole text and the evidence rule is applied to them:

        * ``copied_chars``: visible characters of `text` inside the merged passages.
        * ``containment``: characters of the query's tokens inside passages over those of all
          its tokens, each token counted once, by the segment whose own stretch (from its
          start to the next segment's start) it starts in.
        * ``source_containment``: the work's tokens inside the source ranges of all segments'
          token passages over all of its tokens (as :func:`textprint.compare` counts them).
        * ``jaccard``: the work's distinct shingles found in the segments that hold its
          passages, over the union of those and the query's distinct shingles (counted per
          segment, in its own stretch: a shingle repeated in two segments counts twice).
        * The query is CJK when the segments found CJK hold at least half of its tokens.

        Without stored texts, passages are chained from shared fingerprints per segment as
        in :meth:`_verify_fingerprints`; copied characters, containment and source
        containment follow that path's definitions over the merged passages, and the shared
        fingerprints of all segments; Jaccard is estimated from the MinHash signature of the
        whole text (:meth:`MinHasher.signatures` signs a long text in pieces).
        """
        bounds = _segments(text, CHECK_SEGMENT_CHARS, CHECK_OVERLAP_CHARS)
        query = _QueryTally()
        found: dict[int, _WorkTally] = {}
        previous: dict[int, list[Passage]] = {}
        for i, (a, b) in enumerate(bounds):
            own_end = (bounds[i + 1][0] if i + 1 < len(bounds) else len(text)) - a
            seg = text[a:b]
            fps, candidates, works, boilerplate = self._candidates([seg], limit, top_k)
            cands = [r for r in candidates[0] if r in works]  # not removed meanwhile
            order = sorted(works) if self.store_text else []
            prepared = prepare_batch(
                [seg] + [_decompress(works[r][3]) for r in order],
                k=self.k,
                seed=self.seed,
                tokenizer=self.tokenizer,
            )
            q = prepared[0]
            owned = q.tok_starts < own_end
            query.add(q, owned, self.k)
            current: dict[int, list[Passage]] = {}
            if self.store_text:
                sources = dict(zip(order, prepared[1:]))
                uq = np.unique(q.shingles)
                for r in cands:
                    aligned = _aligned(q, sources[r], k=self.k, common=boilerplate[0])
                    if aligned is None:
                        continue
                    tally = found.get(r)
                    if tally is None:
                        tally = found[r] = _WorkTally.of_text(works[r], sources[r])
                    tally.add_alignment(aligned[0], uq)
                    current[r] = [_shifted(p, a) for p in aligned[1]]
            else:
                spans, sizes = self._work_spans({r: works[r] for r in cands})
                q_hashes = _i64(fps[0].hashes)
                gap = _chain_gap(q, self.window, self.k)
                for r in cands:
                    passages = _fingerprint_passages(fps[0], q_hashes, spans[r], gap)
                    if not passages:
                        continue
                    tally = found.get(r)
                    if tally is None:
                        n_chars, n_fp = sizes.get(r, (1, 0))
                        tally = found[r] = _WorkTally(works[r], n_chars=n_chars, n_fp=n_fp)
                    tally.shared_hashes.update(h for h in q_hashes if h in spans[r])
                    current[r] = [_shifted(p, a) for p in passages]
            # the query tokens this segment owns that lie in a passage of this work, found
            # here or by the previous segment (the only one reaching into this stretch)
            for r in current.keys() | previous.keys():
                ranges = _union(
                    (p.query_start - a, p.query_end - a)
                    for p in previous.get(r, []) + current.get(r, [])
                )
                found[r].add_covered(q, owned, ranges)
                found[r].passages.extend(current.get(r, []))
            previous = current
            del prepared, q, owned, fps, works, seg
        cjk = query.n_tokens > 0 and 2 * query.n_cjk_tokens >= query.n_tokens
        qsig = None if self.store_text else self._hasher.signatures([text]).values[0]
        hits: list[Hit] = []
        for tally in found.values():
            passages = _merge_passages(tally.passages)
            if qsig is None:
                copied = _visible_chars(text, passages)
                containment = tally.covered_length / query.length if query.length else 0.0
                src_cont = tally.source_containment()
                jac = tally.jaccard(query.n_shingles)
                if not _enough_counts(
                    cjk, tally.covered_tokens, copied, src_cont, min_chars, min_containment
                ):
                    continue
            else:
                copied = sum(p.query_end - p.query_start for p in passages)
                containment = min(1.0, copied / (query.length or 1.0))
                src_cont = _fingerprint_source_containment(
                    passages, tally.n_chars, len(tally.shared_hashes), tally.n_fp
                )
                # without tokens of the work, five query characters count as a word
                if not _enough_counts(
                    cjk, copied // 5, copied, src_cont, min_chars, min_containment
                ):
                    continue
                wsig = np.frombuffer(tally.work[4], dtype="<u8")
                jac = float(((wsig == qsig) & (qsig != EMPTY)).mean())
            wid, is_int, meta = tally.work[0], tally.work[1], tally.work[2]
            hits.append(
                Hit(
                    work_id=_id_from_db(wid, is_int),
                    metadata=_metadata_from_db(meta),
                    containment=min(1.0, containment),
                    source_containment=src_cont,
                    jaccard=jac,
                    passages=passages,
                    copied_chars=copied,
                )
            )
        hits.sort(key=_hit_order)
        return hits[:top_k] if top_k else hits

    def _verify(
        self,
        docs: list[str],
        candidates: list[list[int]],
        works: dict[int, tuple[Any, ...]],
        min_chars: int | None,
        min_containment: float,
        top_k: int | None,
        boilerplate: list[list[tuple[int, int]]] | None = None,
    ) -> list[list[Hit]]:
        if not self.store_text:
            return self._verify_fingerprints(
                docs, candidates, works, min_chars, min_containment, top_k
            )
        return verify_candidates(
            docs,
            candidates,
            works,
            k=self.k,
            seed=self.seed,
            tokenizer=self.tokenizer,
            min_chars=min_chars,
            min_containment=min_containment,
            top_k=top_k,
            boilerplate=boilerplate,
        )

    def _verify_fingerprints(
        self,
        docs: list[str],
        candidates: list[list[int]],
        works: dict[int, tuple[Any, ...]],
        min_chars: int | None,
        min_containment: float,
        top_k: int | None,
    ) -> list[list[Hit]]:
        """Verification without stored texts: passages chained from shared fingerprints.

        Boundaries are those of the winnowed shingles (coarser than with texts); Jaccard is
        estimated from the MinHash signatures.
        """
        queries = prepare_batch(docs, k=self.k, seed=self.seed, tokenizer=self.tokenizer)
        qfps = fingerprints(
            docs, k=self.k, window=self.window, tokenizer=self.tokenizer, seed=self.seed
        )
        qsigs = self._hasher.signatures(docs).values
        spans, sizes = self._work_spans(works)
        out: list[list[Hit]] = []
        for q, fp, qsig, cands in zip(queries, qfps, qsigs, candidates):
            gap = _chain_gap(q, self.window, self.k)
            q_hashes = _i64(fp.hashes)
            total = float((q.tok_ends - q.tok_starts).sum()) or 1.0
            hits: list[Hit] = []
            for r in cands:
                passages = _fingerprint_passages(fp, q_hashes, spans[r], gap)
                if not passages:
                    continue
                copied = sum(p.query_end - p.query_start for p in passages)
                shared = len({h for h in q_hashes if h in spans[r]})
                n_chars, n_fp = sizes.get(r, (1, 0))
                src_cont = _fingerprint_source_containment(passages, n_chars, shared, n_fp)
                # without tokens of the work, five query characters count as a word
                if not _enough_counts(
                    q.cjk, copied // 5, copied, src_cont, min_chars, min_containment
                ):
                    continue
                wsig = np.frombuffer(works[r][4], dtype="<u8")
                wid, is_int, meta = works[r][0], works[r][1], works[r][2]
                hits.append(
                    Hit(
                        work_id=_id_from_db(wid, is_int),
                        metadata=_metadata_from_db(meta),
                        containment=min(1.0, copied / total),
                        source_containment=src_cont,
                        jaccard=float(((wsig == qsig) & (qsig != EMPTY)).mean()),
                        passages=passages,
                        copied_chars=copied,
                    )
                )
            hits.sort(key=_hit_order)
            out.append(hits[:top_k] if top_k else hits)
        return out

    def _work_spans(
        self, works: dict[int, tuple[Any, ...]]
    ) -> tuple[dict[int, dict[int, list[tuple[int, int]]]], dict[int, tuple[int, int]]]:
        """Per work row: its fingerprints' spans by (signed) hash, and (n_chars, n_fp)."""
        spans: dict[int, dict[int, list[tuple[int, int]]]] = {}
        for r in works:
            by_hash: dict[int, list[tuple[int, int]]] = {}
            for h, a, b in self._read("SELECT hash, start, end FROM fp WHERE work = ?", (r,)):
                by_hash.setdefault(h, []).append((a, b))
            spans[r] = by_hash
        sizes = {
            r: (n, f)
            for r, n, f in self._read(
                "SELECT rowid, n_chars, n_fp FROM works WHERE rowid IN "
                "(SELECT value FROM json_each(?))",
                (json.dumps(list(works)),),
            )
        }
        return spans, sizes

    def export_index(
        self,
    ) -> tuple[np.ndarray, np.ndarray, dict[int, tuple[Any, ...]], np.ndarray]:
        """The evidence index as arrays, for engines that run checks elsewhere (Spark).

        Returns signed 64-bit hashes (sorted) and the rows of the works holding them, with
        common hashes already left out exactly as :meth:`check` leaves them out, every
        work's (work_id, id_is_int, metadata_json, compressed_text, signature), and the sorted
        common hashes themselves.
        """
        self._require_fresh()
        if not self.store_text:
            raise StorageError("exporting for remote checks needs the works' texts (store_text)")
        limit = self._common_limit()
        rows = self._read(
            "SELECT f.hash, f.work FROM fp AS f LEFT JOIN df ON df.hash = f.hash "
            "WHERE coalesce(df.n, 0) < ? ORDER BY f.hash, f.work",
            (limit,),
        )
        hashes = np.array([r[0] for r in rows], dtype=np.int64)
        works = np.array([r[1] for r in rows], dtype=np.int64)
        all_rows = [r[0] for r in self._read("SELECT rowid FROM works")]
        common = np.array(
            sorted(h for (h,) in self._read("SELECT hash FROM df WHERE n >= ?", (limit,))),
            dtype=np.int64,
        )
        return hashes, works, self._load_works(all_rows), common

    # -- maintenance ------------------------------------------------------------------------

    def rebuild(
        self,
        *,
        k: int | None = None,
        window: int | None = None,
        n_hashes: int | None = None,
        tokenizer: str | None = None,
        seed: int | None = None,
        scheme: str | None = None,
        batch_size: int = 1000,
    ) -> None:
        """Re-fingerprint every stored text under the current pipeline and the given settings.

        Use it after upgrading textprint, jieba or a dictionary (the manifest names what
        changed), or to change k, window, n_hashes, tokenizer, seed or scheme. One transaction:
        a failure leaves the registry as it was.
        """
        if not self.store_text:
            raise StorageError("cannot rebuild: this registry was created with store_text=False")
        settings = {
            "k": self.k if k is None else k,
            "window": self.window if window is None else window,
            "n_hashes": self.n_hashes if n_hashes is None else n_hashes,
            "tokenizer": self.tokenizer if tokenizer is None else tokenizer,
            "seed": self.seed if seed is None else seed,
            "scheme": self.scheme if scheme is None else scheme,
        }
        _validate_settings(settings)
        manifest = self._settings_manifest(settings, self.store_text)
        old = self._manifest
        with self._write() as conn:
            # read inside the write transaction: a work another connection commits meanwhile
            # is either read here or waits for the rebuild
            rows = conn.execute(
                "SELECT rowid, work_id, id_is_int, metadata, registered_at, text FROM works "
                "ORDER BY rowid"
            ).fetchall()
            conn.execute("DELETE FROM fp")
            conn.execute("DELETE FROM bands")
            conn.execute("DELETE FROM df")
            conn.execute("DELETE FROM works")
            conn.execute("DELETE FROM manifest")
            conn.executemany(
                "INSERT INTO manifest(key, value) VALUES (?, ?)", sorted(manifest.items())
            )
            try:
                self._configure(manifest)
                for lo in range(0, len(rows), batch_size):
                    chunk = rows[lo : lo + batch_size]
                    texts = [_decompress(r[5]) for r in chunk]
                    fps = fingerprints(
                        texts,
                        k=self.k,
                        window=self.window,
                        tokenizer=self.tokenizer,
                        seed=self.seed,
                    )
                    sigs = self._hasher.signatures(texts).values
                    pending = _Pending()
                    for r, text, fp, sig in zip(chunk, texts, fps, sigs):
                        wid = _id_from_db(r[1], r[2])
                        meta = _metadata_from_db(r[3])
                        self._insert(conn, wid, text, meta, fp, sig, r[4], pending)
                    pending.flush(conn)
            except BaseException:
                self._configure(old)
                raise
        self._cache_version = -1

    def close(self) -> None:
        """Close the database connection (idempotent)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = "memory" if self.path is None else str(self.path)
        return (
            f"Registry({where!r}, k={self.k}, window={self.window}, tokenizer={self.tokenizer!r})"
        )


class _Pending:
    """The postings of the works inserted in one transaction, written at its end, by hash.

    Sorted by hash, a batch's postings and document-frequency updates reach the hash-ordered
    B-trees (fp_hash, df) in key order, each page once, instead of at a random page each: at
    100k works their pages no longer fit SQLite's cache, and random order read and rewrote
    about one page per fingerprint.
    """

    def __init__(self) -> None:
        self.rows: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
        self.new: list[np.ndarray] = []  # hashes each work adds to its cluster's
        self.clusters: dict[int, list[np.ndarray]] = {}  # cluster -> distinct hashes per work

    def add(
        self,
        rowid: int,
        cluster: int,
        hashes: np.ndarray,
        uniq: np.ndarray,
        new: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
    ) -> None:
        self.rows.append((rowid, hashes, starts, ends))
        self.new.append(new)
        self.clusters.setdefault(cluster, []).append(uniq)

    def of_cluster(self, cluster: int) -> list[np.ndarray]:
        return self.clusters.get(cluster, [])

    def flush(self, conn: sqlite3.Connection) -> None:
        if not self.rows:
            return
        hashes = np.concatenate([h for _, h, _, _ in self.rows])
        works = np.concatenate([np.full(len(h), r, dtype=np.int64) for r, h, _, _ in self.rows])
        starts = np.concatenate([s for _, _, s, _ in self.rows])
        ends = np.concatenate([e for _, _, _, e in self.rows])
        order = np.argsort(hashes, kind="stable")
        conn.executemany(
            "INSERT INTO fp(hash, work, start, end) VALUES (?, ?, ?, ?)",
            zip(
                hashes[order].tolist(),
                works[order].tolist(),
                starts[order].tolist(),
                ends[order].tolist(),
            ),
        )
        keys, counts = np.unique(np.concatenate(self.new), return_counts=True)
        conn.executemany(
            "INSERT INTO df(hash, n) VALUES (?, ?) "
            "ON CONFLICT(hash) DO UPDATE SET n = n + excluded.n",
            zip(keys.tolist(), counts.tolist()),
        )
        self.rows, self.new, self.clusters = [], [], {}


def _natural_cut(text: str, lo: int, hi: int) -> int:
    """A cut in ``(lo, hi]`` just after the last line break, else sentence end, else
    whitespace there; `hi` (a hard cut) when the stretch has none."""
    for delimiters in ("\n", _SENTENCE_ENDS, _SPACES):
        p = max(text.rfind(c, lo, hi) for c in delimiters)
        if p >= 0:
            return p + 1
    return hi


def _segments(text: str, size: int, overlap: int) -> list[tuple[int, int]]:
    """Overlapping segments ``(start, end)`` covering `text`, each at most `size` characters.

    A segment ends at a natural cut (`_natural_cut`) among its last ``size // 16``
    characters; the next one starts at a natural cut between ``1.5 * overlap`` and `overlap`
    characters before that end. So consecutive segments share at least `overlap` characters,
    and a stretch of text is in at most two segments (``overlap <= size / 4``). A copy crossing
    a cut is therefore inside one segment, or both segments hold a piece of it that contains
    the whole shared stretch.
    """
    n = len(text)
    overlap = max(1, min(overlap, size // 4))
    reach = max(1, size // 16)
    out: list[tuple[int, int]] = []
    a = 0
    while n - a > size:
        b = _natural_cut(text, a + size - reach, a + size)
        out.append((a, b))
        a = _natural_cut(text, b - overlap - overlap // 2, b - overlap)
    out.append((a, n))
    return out


def _shifted(p: Passage, offset: int) -> Passage:
    return Passage(p.query_start + offset, p.query_end + offset, p.source_start, p.source_end)


def _union(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Half-open ranges merged where they overlap or touch, sorted."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _merge_passages(passages: list[Passage]) -> tuple[Passage, ...]:
    """One work's passages from overlapping segments, in offsets of the whole query, merged.

    Passages that overlap in the query are one passage when their source ranges are
    consistent: they overlap or touch too, and the later one starts in the source about as far
    after the earlier one as it does in the query (within MERGE_SLACK characters or an eighth
    of the distance: a near copy drifts), as two pieces of one copy seen by two segments, or
    one passage seen twice, do. Otherwise (the query repeats a phrase the work holds twice) the
    later one is trimmed so that no query character is claimed twice, as align does. Passages
    that only touch stay apart, as one segment reported them: pieces of a copy from two
    segments always overlap, by the whole stretch the segments share.
    """
    out: list[Passage] = []
    for p in sorted(set(passages)):
        if out and p.query_start < out[-1].query_end:
            last = out[-1]
            dq, ds = p.query_start - last.query_start, p.source_start - last.source_start
            if (
                p.source_start <= last.source_end
                and p.source_end >= last.source_start
                and ds >= 0
                and abs(dq - ds) <= max(MERGE_SLACK, dq // 8)
            ):
                out[-1] = Passage(
                    last.query_start,
                    max(last.query_end, p.query_end),
                    min(last.source_start, p.source_start),
                    max(last.source_end, p.source_end),
                )
                continue
            if p.query_end <= last.query_end:
                continue
            shift = last.query_end - p.query_start
            p = Passage(
                last.query_end, p.query_end, min(p.source_start + shift, p.source_end), p.source_end
            )
        out.append(p)
    return tuple(out)


@dataclass(slots=True, eq=False)
class _QueryTally:
    """Whole-query totals of a segmented check, each token counted by the segment owning it."""

    n_tokens: int = 0
    n_cjk_tokens: int = 0
    length: int = 0  # characters of the query's tokens
    n_shingles: int = 0  # distinct shingles, counted per segment

    def add(self, q: Prepared, owned: np.ndarray, k: int) -> None:
        n = int(np.count_nonzero(owned))
        self.n_tokens += n
        self.n_cjk_tokens += n if q.cjk else 0
        self.length += int((q.tok_ends - q.tok_starts)[owned].sum())
        if len(q.shingles):
            first = np.maximum(q.shingle_last - (k - 1), 0)
            self.n_shingles += len(np.unique(q.shingles[owned[first]]))


@dataclass(slots=True, eq=False)
class _WorkTally:
    """What the segments of one checked text found of one work."""

    work: tuple[Any, ...]  # (work_id, id_is_int, metadata_json, text, signature)
    passages: list[Passage] = field(default_factory=list)
    covered_tokens: int = 0  # query tokens inside passages
    covered_length: int = 0  # and their characters
    # with stored texts: the work's token lengths, tokens found, distinct shingles and those
    # found in the query
    lengths: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    covered: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    shingles: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    shared: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # without: its size and the fingerprints shared with the query
    n_chars: int = 1
    n_fp: int = 0
    shared_hashes: set[int] = field(default_factory=set)

    @classmethod
    def of_text(cls, work: tuple[Any, ...], s: Prepared) -> _WorkTally:
        shingles = np.unique(s.shingles)
        return cls(
            work,
            lengths=s.tok_ends - s.tok_starts,
            covered=np.zeros(s.n_tokens, dtype=bool),
            shingles=shingles,
            shared=np.zeros(len(shingles), dtype=bool),
        )

    def add_alignment(
        self, tok: list[tuple[int, int, int, int]], query_shingles: np.ndarray
    ) -> None:
        """Record one segment's token passages and its distinct shingles (sorted)."""
        for t in tok:
            self.covered[t[2] : t[3] + 1] = True
        if len(query_shingles) and len(self.shingles):
            at = np.minimum(np.searchsorted(query_shingles, self.shingles), len(query_shingles) - 1)
            self.shared |= query_shingles[at] == self.shingles

    def add_covered(self, q: Prepared, owned: np.ndarray, ranges: list[tuple[int, int]]) -> None:
        """Count the owned query tokens of one segment lying inside `ranges` (disjoint,
        sorted, segment offsets)."""
        if not ranges or not q.n_tokens:
            return
        lo = np.array([r[0] for r in ranges], dtype=np.int64)
        hi = np.array([r[1] for r in ranges], dtype=np.int64)
        at = np.searchsorted(lo, q.tok_starts, side="right") - 1
        inside = owned & (at >= 0) & (q.tok_ends <= hi[np.maximum(at, 0)])
        self.covered_tokens += int(np.count_nonzero(inside))
        self.covered_length += int((q.tok_ends - q.tok_starts)[inside].sum())

    def source_containment(self) -> float:
        total = int(self.lengths.sum())
        return float(self.lengths[self.covered].sum() / total) if total else 0.0

    def jaccard(self, n_query_shingles: int) -> float:
        inter = int(np.count_nonzero(self.shared))
        union = n_query_shingles + len(self.shingles) - inter
        return inter / union if union > 0 else 0.0


def common_spans(fp: Any, common: set[int]) -> list[tuple[int, int]]:
    """Original spans of a fingerprint's common-phrase hashes, merged and sorted."""
    if not common:
        return []
    spans = sorted(
        (a, b)
        for h, a, b in zip(_i64(fp.hashes), fp.starts.tolist(), fp.ends.tolist())
        if h in common
    )
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _chain_gap(q: Prepared, window: int, k: int) -> int:
    """The largest distance, in characters, between two shared fingerprints of one passage
    chained without texts.

    Inside a copy, winnowing selects the same fingerprint in every window of `window`
    shingles of both texts, so consecutive shared fingerprints are at most `window` tokens
    apart; an edited token breaks the `k` shingles over it and can move the selection of the
    windows around them, so about ``window + 2 * k`` tokens. Twice that, in the query's
    characters per token (1 for Chinese characters, about 6 for English words), leaves room for
    a few edits, and keeps scattered fingerprints that unrelated texts share by chance (a few
    common phrases hundreds of characters apart) from chaining into one long false passage.
    """
    n = len(q.tok_starts)
    per_token = (int(q.tok_ends[-1]) - int(q.tok_starts[0])) / n if n else 1.0
    return max(1, math.ceil(2 * (window + 2 * k) * max(1.0, per_token)))


def _fingerprint_source_containment(
    passages: Sequence[Passage], n_chars: int, n_shared: int, n_fp: int
) -> float:
    """Source containment without stored texts: the span of the shared fingerprints in the
    work, or for a short work (a poem with one or two fingerprints) the share of its
    fingerprints found, whichever is larger."""
    span = sum(p.source_end - p.source_start for p in passages) / max(1, n_chars)
    return min(1.0, max(span, n_shared / max(1, n_fp)))


def _fingerprint_passages(
    fp: Any, q_hashes: list[int], by_hash: dict[int, list[tuple[int, int]]], gap: int
) -> tuple[Passage, ...]:
    """Passages of a query chained from the fingerprints it shares with one work (`by_hash`:
    the work's fingerprint spans by signed hash), without stored texts: a chain needs two
    fingerprints, unless the query shares only one."""
    pairs = sorted(
        (int(fp.starts[i]), int(fp.ends[i]), a, b)
        for i, h in enumerate(q_hashes)
        for a, b in by_hash.get(h, ())
    )
    chains: list[list[int]] = []
    for qa, qb, wa, wb in pairs:
        c = chains[-1] if chains else None
        if c is not None and qa - c[1] <= gap and -gap <= wa - c[3] <= gap and wa >= c[2]:
            c[1], c[3] = max(c[1], qb), max(c[3], wb)
            c[4] += 1
        else:
            chains.append([qa, qb, wa, wb, 1])
    return tuple(Passage(c[0], c[1], c[2], c[3]) for c in chains if c[4] >= 2 or len(pairs) == 1)


def _mostly_common(p: Passage, common: list[tuple[int, int]]) -> bool:
    """At least half of the passage's query characters lie in common-phrase spans."""
    covered = sum(max(0, min(b, p.query_end) - max(a, p.query_start)) for a, b in common)
    return covered * 2 >= p.query_end - p.query_start


def _visible_chars(text: str, passages: Sequence[Passage]) -> int:
    """Characters of `text` inside the passages that normalization keeps: invisible
    characters (zero-width spaces, bidi controls, variation selectors...) do not count, so
    sprinkling them into a copy cannot inflate the evidence."""
    fold_len = get_tables().fold_len
    total = 0
    for p in passages:
        cps = np.frombuffer(
            text[p.query_start : p.query_end].encode("utf-32-le", "surrogatepass"), dtype="<u4"
        )
        total += int(np.count_nonzero(fold_len[np.minimum(cps, 0x10FFFF)]))
    return total


def _hit_order(h: Hit) -> tuple[int, int, int, str]:
    """Most copied characters first; ties by work_id (integers numerically, before strings)."""
    wid = h.work_id
    if isinstance(wid, int):
        return (-h.copied_chars, 0, wid, "")
    return (-h.copied_chars, 1, 0, wid)


def verify_candidates(
    docs: list[str],
    candidates: list[list[int]],
    works: dict[int, tuple[Any, ...]],
    *,
    k: int,
    seed: int,
    tokenizer: str,
    min_chars: int | None,
    min_containment: float,
    top_k: int | None,
    boilerplate: list[list[tuple[int, int]]] | None = None,
) -> list[list[Hit]]:
    """Verify candidate works with the stored texts; one list of Hits per text (private).

    `works` maps a row to (work_id, id_is_int, metadata_json, compressed_text, ...).
    `boilerplate` holds, per text, the spans of its common-phrase fingerprints: a passage
    mostly made of them (a licence footer shared by many works) is not evidence.
    Shared by Registry.check and the Spark integration, so both report the same hits.
    """
    order = sorted(works)
    texts = [_decompress(works[r][3]) for r in order]
    prepared = prepare_batch(docs + texts, k=k, seed=seed, tokenizer=tokenizer)
    queries, sources = prepared[: len(docs)], dict(zip(order, prepared[len(docs) :]))
    out: list[list[Hit]] = []
    for d, (q, cands) in enumerate(zip(queries, candidates)):
        hits: list[Hit] = []
        common = boilerplate[d] if boilerplate else []
        for r in cands:
            found = _aligned(q, sources[r], k=k, common=common)
            if found is None:
                continue
            tok, passages, cont, src_cont, jac = found
            copied = _visible_chars(q.text, passages)
            if not _enough(q, tok, copied, src_cont, min_chars, min_containment):
                continue
            wid, is_int, meta = works[r][0], works[r][1], works[r][2]
            hits.append(
                Hit(
                    work_id=_id_from_db(wid, is_int),
                    metadata=_metadata_from_db(meta),
                    containment=cont,
                    source_containment=src_cont,
                    jaccard=jac,
                    passages=passages,
                    copied_chars=copied,
                )
            )
        hits.sort(key=_hit_order)
        out.append(hits[:top_k] if top_k else hits)
    return out


def _aligned(
    q: Prepared, s: Prepared, *, k: int, common: list[tuple[int, int]]
) -> tuple[list[tuple[int, int, int, int]], tuple[Passage, ...], float, float, float] | None:
    """Token passages, passages, containment, source containment and Jaccard of the query `q`
    against one work `s`, passages mostly made of common phrases left out; None if none is
    left. No evidence threshold is applied here."""
    tok, cont, src_cont, jac = align(q, s, k=k, gap=3 * k, min_tokens=None)
    if not tok:
        return None
    passages = to_passages(q, s, tok)
    if common:
        keep = [not _mostly_common(p, common) for p in passages]
        if not all(keep):
            tok = [t for t, ok in zip(tok, keep) if ok]
            passages = tuple(p for p, ok in zip(passages, keep) if ok)
            if not tok:
                return None
            cont = _coverage(q, [(t[0], t[1]) for t in tok])
            src_cont = _coverage(s, [(t[2], t[3]) for t in tok])
    return tok, passages, cont, src_cont, jac


def rank_candidates(
    hashes: Sequence[np.ndarray], postings: dict[int, list[int]], *, limit: int = 0
) -> list[list[int]]:
    """Candidate works of each text: most shared fingerprints first (ties by row), at most
    MAX_CANDIDATES. `postings` maps a (signed) hash to the rows of the works holding it, with
    common hashes already left out. Shared by Registry.check and the Spark integration."""
    out: list[list[int]] = []
    for h in hashes:
        counts: dict[int, int] = {}
        for key in _i64(np.unique(h)):
            for w in postings.get(key, ()):
                counts[w] = counts.get(w, 0) + 1
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: limit or MAX_CANDIDATES]
        out.append([w for w, _ in ranked])
    return out


def _enough(
    q: Prepared,
    tok: list[tuple[int, int, int, int]],
    copied_chars: int,
    source_containment: float,
    min_chars: int | None,
    min_containment: float,
) -> bool:
    words = sum(q1 - q0 + 1 for q0, q1, _, _ in tok)
    return _enough_counts(
        q.cjk, words, copied_chars, source_containment, min_chars, min_containment
    )


def _enough_counts(
    cjk: bool,
    words: int,
    copied_chars: int,
    source_containment: float,
    min_chars: int | None,
    min_containment: float,
) -> bool:
    """The evidence rule of a hit: most of the work found, or `min_chars` copied characters
    (default: MIN_CHARS_CJK for CJK text, MIN_WORDS query tokens for other scripts)."""
    if source_containment >= min_containment:
        return True
    if min_chars is not None:
        return copied_chars >= min_chars
    if cjk:
        return copied_chars >= MIN_CHARS_CJK
    return words >= MIN_WORDS


def _decompress(blob: bytes) -> str:
    return zlib.decompress(blob).decode("utf-8", "surrogatepass")


def _validate_settings(settings: dict[str, Any]) -> None:
    """Check the settings present in `settings` (all of them when creating a file)."""
    if "k" in settings:
        check_int(settings["k"], "k", low=1, high=MAX_K)
    if "window" in settings:
        check_int(settings["window"], "window", low=1)
    if "n_hashes" in settings:
        # the band keys that group editions need at most MAX_BANDING_HASHES positions
        check_int(settings["n_hashes"], "n_hashes", low=1, high=MAX_BANDING_HASHES)
    if "seed" in settings:
        check_int(settings["seed"], "seed", low=0, high=(1 << 64) - 1)
    if "scheme" in settings:
        check_choice(settings["scheme"], "scheme", SCHEMES)
    if "tokenizer" in settings:
        resolve_tokenizer(settings["tokenizer"])


def _version() -> str:
    from . import __version__

    return __version__
