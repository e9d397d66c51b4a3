"""Reading and writing the command line's record files (private).

Inputs: JSONL (one object per line), CSV (header row), Parquet (pyarrow, extra ``parquet``),
or a folder of ``.txt`` files (id = path relative to the folder, without ``.txt``). Every input
is validated completely before anything is written, so a bad record in a large file is
reported with its file and line and nothing is half-done.

Outputs are UTF-8. A JSON input may hold lone surrogates (``"\\ud800"``), which UTF-8 cannot:
JSONL output writes them back as the same escapes (ids still match the input's), other outputs
as U+FFFD.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ._files import atomic_write as atomic_output
from ._validation import LONE_SURROGATE, utf8_safe
from .errors import InvalidInputError, MissingDependencyError, StorageError

__all__ = ["Record", "atomic_output", "json_line", "read_records", "write_rows"]

_SURROGATE = LONE_SURROGATE


@dataclass(frozen=True, slots=True)
class Record:
    """One input text with its id, its other fields (metadata) and where it came from."""

    id: str | int
    text: str
    metadata: dict[str, Any] | None
    where: str


def _pyarrow() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise MissingDependencyError(
            'Parquet files need pyarrow: pip install "textprint[parquet]"'
        ) from exc
    return pq


def _record(obj: Any, where: str, id_field: str, text_field: str, index: int) -> Record:
    if not isinstance(obj, dict):
        raise InvalidInputError(
            f"{where}: expected an object with fields, got {type(obj).__name__}"
        )
    if text_field not in obj:
        raise InvalidInputError(
            f"{where}: no {text_field!r} field (fields: {', '.join(map(str, obj))}); "
            "choose the text field with --text-field"
        )
    text = obj[text_field]
    if not isinstance(text, str):
        raise InvalidInputError(
            f"{where}: field {text_field!r} must be a string, got {type(text).__name__}"
        )
    rid = obj.get(id_field, index)
    if isinstance(rid, bool) or not isinstance(rid, (str, int)):
        raise InvalidInputError(f"{where}: field {id_field!r} must be a string or an integer")
    meta = {k: v for k, v in obj.items() if k not in (id_field, text_field)}
    return Record(rid, text, meta or None, where)


def _iter_file(path: Path, id_field: str, text_field: str, counter: list[int]) -> Iterator[Record]:
    suffix = path.suffix.lower()
    try:
        if suffix in (".jsonl", ".ndjson", ".json"):
            with open(path, encoding="utf-8") as f:
                for lineno, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    where = f"{path}:{lineno}"
                    try:
                        obj = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise InvalidInputError(f"{where}: not valid JSON ({exc.msg})") from exc
                    counter[0] += 1
                    yield _record(obj, where, id_field, text_field, counter[0] - 1)
        elif suffix in (".csv", ".tsv"):
            with open(path, encoding="utf-8", newline="") as f:
                reader = csv.DictReader(f, delimiter="\t" if suffix == ".tsv" else ",")
                for row in reader:
                    counter[0] += 1
                    obj = dict(row)
                    yield _record(
                        obj, f"{path}:{reader.line_num}", id_field, text_field, counter[0] - 1
                    )
        elif suffix == ".parquet":
            pq = _pyarrow()
            try:
                pf = pq.ParquetFile(str(path))
                for b, batch in enumerate(pf.iter_batches()):
                    for i, obj in enumerate(batch.to_pylist()):
                        counter[0] += 1
                        yield _record(
                            obj, f"{path}:batch {b} row {i}", id_field, text_field, counter[0] - 1
                        )
            except InvalidInputError:
                raise
            except Exception as exc:  # pyarrow raises its own error types for bad files
                raise InvalidInputError(f"{path}: not a readable Parquet file ({exc})") from exc
        else:
            raise InvalidInputError(
                f"{path}: unknown input type {suffix or '(none)'!r}; use .jsonl, .csv, .tsv, "
                ".parquet or a folder of .txt files"
            )
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from exc
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _iter_folder(path: Path, counter: list[int]) -> Iterator[Record]:
    files = sorted(p for p in path.rglob("*.txt") if p.is_file())
    for p in files:
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(
                f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from exc
        except OSError as exc:
            raise StorageError(f"cannot read {p}: {exc.strerror or exc}") from exc
        counter[0] += 1
        yield Record(str(p.relative_to(path).with_suffix("")), text, None, str(p))


def read_records(
    paths: Sequence[str], *, id_field: str = "id", text_field: str = "text"
) -> Iterator[Record]:
    """Stream the records of every input path, in order."""
    counter = [0]
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from _iter_folder(path, counter)
        elif path.exists():
            yield from _iter_file(path, id_field, text_field, counter)
        else:
            raise StorageError(f"input {raw!r} does not exist")


def validate(paths: Sequence[str], *, id_field: str, text_field: str) -> int:
    """Read every record once; return the count or raise on the first bad one."""
    return sum(1 for _ in read_records(paths, id_field=id_field, text_field=text_field))


def json_line(obj: Any) -> str:
    """`obj` as one line of JSON that UTF-8 can hold, lone surrogates as ``\\udXXX`` escapes.

    A raw lone surrogate can only occur inside a JSON string, where its escape means the same
    (``json.loads`` gives it back; a JSON input cannot hold a raw one, so ids read from one are
    written back as they were read).
    """
    raw = json.dumps(obj, ensure_ascii=False)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", raw)


def _utf8_value(value: Any) -> Any:
    return utf8_safe(value) if isinstance(value, str) else value


def write_rows(path: str, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """Write rows as JSONL or Parquet (by the file's suffix), atomically."""
    if path.lower().endswith(".parquet"):
        pq = _pyarrow()
        import pyarrow as pa

        # Parquet strings are UTF-8: a lone surrogate (from a JSON input) becomes U+FFFD
        table = pa.Table.from_pylist([{c: _utf8_value(r.get(c)) for c in columns} for r in rows])
        with atomic_output(path, "wb") as f:
            pq.write_table(table, f)
        return
    with atomic_output(path) as f:
        for r in rows:
            f.write(json_line(r) + "\n")


class Bar(Protocol):
    """What the command line needs of a progress bar."""

    def update(self, n: int = 1) -> Any: ...

    def close(self) -> None: ...


def progress(total: int | None, desc: str, *, quiet: bool) -> Bar:
    """A tqdm bar on stderr when it is a terminal and not quiet; otherwise a no-op."""
    import sys

    if quiet or not sys.stderr.isatty():
        return _NoBar()
    from tqdm import tqdm

    bar: Bar = tqdm(total=total, desc=desc, unit="text", file=sys.stderr, leave=False)
    return bar


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass
