"""Reading the command line's record files, once, as a stream.

Inputs: JSONL (one object per line), CSV/TSV (header row), Parquet (pyarrow, extra
``parquet``), or a folder of ``.txt`` files (id = path relative to the folder, without
``.txt``). JSONL, CSV, TSV and ``.txt`` files may be compressed: ``.gz`` (standard library) or
``.zst`` (Zstandard). Text is decoded with the given encoding (UTF-8 by default); a
byte-order mark at the start of a file is not part of its text. CSV fields may be of any size.

A bad input is a :class:`TextprintError` naming the file and line. With ``on_error="skip"``
an unreadable file (or the rest of it, after bytes that do not decode) or a bad record is
left out and listed in :attr:`Reader.skipped` instead.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import sys
import zlib
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from .errors import (
    InvalidInputError,
    InvalidParameterError,
    MissingDependencyError,
    StorageError,
    TextprintError,
)

__all__ = ["DEFAULT_ID_FIELD", "Reader", "Record", "Skipped", "check_encoding", "pyarrow_parquet"]

#: The id field when none is named: records without it are numbered 0, 1, ... instead.
DEFAULT_ID_FIELD = "id"
_COMPRESSED = (".gz", ".zst")
_TEXT_FILES = (".txt", ".txt.gz", ".txt.zst")
_KINDS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
}


@dataclass(frozen=True, slots=True)
class Record:
    """One input text with its id, its other fields (metadata) and where it came from."""

    id: str | int
    text: str
    metadata: dict[str, Any] | None
    where: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input (a file, or one record of it) left out under ``on_error="skip"``."""

    where: str
    reason: str


def pyarrow_parquet() -> Any:
    """``pyarrow.parquet``, or MissingDependencyError naming the extra."""
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise MissingDependencyError(
            'Parquet files need pyarrow: pip install "textprint[parquet]"'
        ) from exc
    return pq


def check_encoding(encoding: str) -> str:
    """The codec to read `encoding` with: UTF-8 also accepts (and drops) a byte-order mark."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise InvalidParameterError(
            f"unknown encoding {encoding!r}; use a Python codec name such as utf-8, gb18030, "
            "shift_jis, utf-16"
        ) from None
    return "utf-8-sig" if name in ("utf-8", "utf-8-sig") else name


def _split_suffix(path: Path) -> tuple[str, str]:
    """(kind suffix, compression suffix) of a file name: ``a.csv.gz`` -> (".csv", ".gz")."""
    name = path.name.lower()
    for comp in _COMPRESSED:
        if name.endswith(comp):
            return Path(name[: -len(comp)]).suffix, comp
    return Path(name).suffix, ""


@contextmanager
def _open_binary(path: Path, compression: str) -> Iterator[IO[bytes]]:
    with ExitStack() as stack:
        raw: IO[bytes] = stack.enter_context(open(path, "rb"))
        if compression == ".gz":
            raw = cast(IO[bytes], stack.enter_context(gzip.GzipFile(fileobj=raw, mode="rb")))
        elif compression == ".zst":
            import zstandard  # a dependency (the Registry stores its texts with it)

            raw = stack.enter_context(zstandard.ZstdDecompressor().stream_reader(raw))
        yield raw


def _read_error(path: Path | str, exc: Exception) -> TextprintError:
    """A reading failure as the error the command line reports in one line."""
    if isinstance(exc, UnicodeDecodeError):
        return InvalidInputError(
            f"{path}: cannot be decoded as {exc.encoding} ({exc.reason} at byte {exc.start}); "
            "give its encoding with --encoding"
        )
    if isinstance(exc, (EOFError, zlib.error, gzip.BadGzipFile)) or _is_zstd_error(exc):
        return InvalidInputError(f"{path}: damaged or truncated compressed file ({exc})")
    if isinstance(exc, csv.Error):
        return InvalidInputError(f"{path}: not a readable CSV file ({exc})")
    assert isinstance(exc, OSError)
    return StorageError(f"cannot read {path}: {exc.strerror or exc}")


def _is_zstd_error(exc: BaseException) -> bool:
    return type(exc).__name__ == "ZstdError"


def _reading_failure(exc: BaseException) -> bool:
    """Whether `exc` is a failure to read a file (reported per file), not a bug."""
    return isinstance(
        exc, (OSError, UnicodeDecodeError, EOFError, zlib.error, csv.Error)
    ) or _is_zstd_error(exc)


@contextmanager
def _csv_fields_of_any_size() -> Iterator[None]:
    # the csv module refuses fields over 131,072 characters by default (a novel in a cell);
    # the limit is process-wide, so it is raised while reading and restored after
    old = csv.field_size_limit()
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            break
        except OverflowError:  # a C long is 32 bits on some platforms
            limit //= 2
    try:
        yield
    finally:
        csv.field_size_limit(old)


class Reader:
    """Stream the records of every input path, in order, parsing each input once.

    Parameters
    ----------
    paths : sequence of str
        Files and folders.
    id_field : str, optional
        The field holding the id. Named: every record must have it. None: the field ``id``,
        and records without one are numbered by position (0, 1, ...).
    text_field : str, default "text"
    encoding : str, default "utf-8"
    on_error : {"stop", "skip"}, default "stop"
        "skip": leave out unreadable files and bad records and list them in `skipped`.
    """

    def __init__(
        self,
        paths: Sequence[str],
        *,
        id_field: str | None = None,
        text_field: str = "text",
        encoding: str = "utf-8",
        on_error: str = "stop",
    ) -> None:
        self.paths = list(paths)
        self.id_field = id_field
        self.text_field = text_field
        self.encoding = check_encoding(encoding)
        self.skip = on_error == "skip"
        self.skipped: list[Skipped] = []
        self._count = 0

    # -- records ------------------------------------------------------------------------------

    def _fields_named(self, fields: Sequence[str], where: str) -> None:
        """A header or schema must hold the text field and a named id field."""
        found = ", ".join(map(str, fields)) or "none"
        for name, option in ((self.text_field, "--text-field"), (self.id_field, "--id-field")):
            if name is not None and name not in fields:
                raise InvalidInputError(
                    f"{where}: no {name!r} field (fields: {found}); name the field with {option}"
                )

    def _record(self, obj: Any, where: str) -> Record:
        if not isinstance(obj, dict):
            raise InvalidInputError(
                f"{where}: expected an object with fields, got {type(obj).__name__}"
            )
        self._fields_named(list(obj), where)
        text = obj[self.text_field]
        if not isinstance(text, str):
            got = "null" if text is None else type(text).__name__
            raise InvalidInputError(
                f"{where}: field {self.text_field!r} must be a string, got {got}"
            )
        id_field = self.id_field or DEFAULT_ID_FIELD
        rid = obj.get(id_field, self._count)
        if isinstance(rid, bool) or not isinstance(rid, (str, int)):
            got = "null" if rid is None else type(rid).__name__
            raise InvalidInputError(
                f"{where}: field {id_field!r} must be a string or an integer, got {got}"
            )
        meta = {k: v for k, v in obj.items() if k not in (id_field, self.text_field)}
        self._count += 1
        return Record(rid, text, meta or None, where)

    def _attempt(self, obj: Any, where: str) -> Record | None:
        """The record of `obj`, or None when it is bad and bad records are skipped."""
        try:
            return self._record(obj, where)
        except InvalidInputError as exc:
            if not self.skip:
                raise
            self.skipped.append(Skipped(where, str(exc)))
            return None

    # -- files --------------------------------------------------------------------------------

    def _jsonl(self, path: Path, raw: IO[bytes]) -> Iterator[Record]:
        with io.TextIOWrapper(raw, encoding=self.encoding) as text:
            yield from self._json_lines(path, text)

    def _json_lines(self, path: Path, text: IO[str]) -> Iterator[Record]:
        for lineno, line in enumerate(text, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                problem = exc.msg.removesuffix(" at")
                err = InvalidInputError(f"{where}: not valid JSON, column {exc.colno}: {problem}")
                if not self.skip:
                    raise err from exc
                self.skipped.append(Skipped(where, str(err)))
                continue
            rec = self._attempt(obj, where)
            if rec is not None:
                yield rec

    def _csv(self, path: Path, raw: IO[bytes], delimiter: str) -> Iterator[Record]:
        with io.TextIOWrapper(raw, encoding=self.encoding, newline="") as text:
            yield from self._csv_rows(path, text, delimiter)

    def _csv_rows(self, path: Path, text: IO[str], delimiter: str) -> Iterator[Record]:
        with _csv_fields_of_any_size():
            reader = csv.reader(text, delimiter=delimiter)
            header = next(reader, None)
            if header is None:
                return
            self._fields_named(header, f"{path}:1")
            for row in reader:
                where = f"{path}:{reader.line_num}"
                if len(row) != len(header):
                    if not any(row):
                        continue
                    err = InvalidInputError(
                        f"{where}: {len(row)} fields where the header has {len(header)}"
                    )
                    if not self.skip:
                        raise err
                    self.skipped.append(Skipped(where, str(err)))
                    continue
                rec = self._attempt(dict(zip(header, row)), where)
                if rec is not None:
                    yield rec

    def _parquet(self, path: Path) -> Iterator[Record]:
        pq = pyarrow_parquet()
        try:
            pf = pq.ParquetFile(str(path))
            self._fields_named(list(pf.schema_arrow.names), str(path))
            n = 0
            for batch in pf.iter_batches():
                for obj in batch.to_pylist():
                    n += 1
                    rec = self._attempt(obj, f"{path}: row {n}")
                    if rec is not None:
                        yield rec
        except TextprintError:
            raise
        except OSError as exc:
            raise StorageError(f"cannot read {path}: {exc.strerror or exc}") from exc
        except Exception as exc:  # pyarrow raises its own error types for bad files
            raise InvalidInputError(f"{path}: not a readable Parquet file ({exc})") from exc

    def _file(self, path: Path) -> Iterator[Record]:
        suffix, compression = _split_suffix(path)
        kind = _KINDS.get(suffix)
        if kind is None:
            raise InvalidInputError(
                f"{path}: unknown input type {path.suffix or '(none)'!r}; use .jsonl, .csv, "
                ".tsv or .parquet files (.gz or .zst compressed but Parquet), or a folder of "
                ".txt files"
            )
        if kind == "parquet":
            if compression:
                raise InvalidInputError(
                    f"{path}: a Parquet file is compressed inside; give the .parquet file itself"
                )
            yield from self._parquet(path)
            return
        with _open_binary(path, compression) as raw:
            if kind == "jsonl":
                yield from self._jsonl(path, raw)
            else:
                yield from self._csv(path, raw, "\t" if kind == "tsv" else ",")

    def _folder(self, path: Path) -> Iterator[Record]:
        files = sorted(
            p for p in path.rglob("*") if p.name.lower().endswith(_TEXT_FILES) and p.is_file()
        )
        for p in files:
            try:
                with (
                    _open_binary(p, _split_suffix(p)[1]) as raw,
                    io.TextIOWrapper(raw, encoding=self.encoding, newline="") as f,
                ):
                    text = f.read()
            except Exception as exc:  # (_failed re-raises what is not a reading failure)
                self._failed(p, exc)
                continue
            rel = p.relative_to(path).as_posix()
            rid = rel[: len(rel) - len(next(s for s in _TEXT_FILES if rel.lower().endswith(s)))]
            self._count += 1
            yield Record(rid, text, None, str(p))

    def _fail(self, path: Path | str, exc: TextprintError) -> None:
        if not self.skip:
            raise exc
        self.skipped.append(Skipped(str(path), str(exc)))

    def _failed(self, path: Path, exc: Exception) -> None:
        """`_fail` with what reading `path` raised: a TextprintError as it is, a reading
        failure (`_reading_failure`) as `_read_error` says it; anything else is a bug and
        propagates."""
        if isinstance(exc, TextprintError):
            self._fail(path, exc)
        elif _reading_failure(exc):
            self._fail(path, _read_error(path, exc))
        else:
            raise exc

    def __iter__(self) -> Iterator[Record]:
        for raw in self.paths:
            path = Path(raw)
            if path.is_dir():
                yield from self._folder(path)
                continue
            if not path.exists():
                self._fail(path, StorageError(f"input {raw!r} does not exist"))
                continue
            records = self._file(path)
            while True:
                try:
                    rec = next(records)
                except StopIteration:
                    break
                except Exception as exc:  # (as in _folder)
                    self._failed(path, exc)
                    break
                yield rec
