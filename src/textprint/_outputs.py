"""Writing the command line's outputs: formats, atomic files, resumable streams, page names.

Every output file is written beside its target under a hidden name and renamed into place when
complete, so a failed run never leaves half a file where the output should be. A streamed
result file is first a JSON Lines journal (``.NAME.partial``): an interrupted run leaves it, and
``--skip-existing`` resumes from its complete lines. Failures to write (a directory, no
permission, a full disk) are :class:`StorageError` in one line, and leave nothing behind.

Outputs are UTF-8. A JSON input may hold lone surrogates (``"\\ud800"``), which UTF-8 cannot:
JSONL output writes them back as the same escapes (ids still match the input's), other outputs
as U+FFFD.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from ._files import atomic_write, usual_mode
from ._inputs import pyarrow_parquet
from ._serialize import json_line
from ._validation import utf8_safe
from .errors import InvalidInputError, StorageError

__all__ = [
    "Journal",
    "OutputError",
    "PartialFile",
    "atomic_output",
    "is_folder",
    "output_format",
    "page_name",
    "rows_of",
    "storage_error",
    "write_rows",
    "writing",
]

#: Output formats by file extension.
EXTENSIONS = {
    ".txt": "text",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".html": "html",
    ".htm": "html",
}
# characters no file system takes in a name, or that a shell or URL would misread
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|#%&{}$!\'`=+@^~\[\];,\s]+')
_RESERVED = {"con", "prn", "aux", "nul"} | {f"{d}{i}" for d in ("com", "lpt") for i in range(10)}
_PAGE_BYTES = 120  # file names stay far below the 255-byte limit, in UTF-8


class OutputError(StorageError):
    """An output could not be written (the run's own results, not an input or a registry)."""


def storage_error(path: str | Path, exc: OSError) -> OutputError:
    """A failure to write `path` as one line (a full disk, no permission, a directory)."""
    return OutputError(f"cannot write {path}: {exc.strerror or exc}")


@contextmanager
def writing(path: str | Path) -> Iterator[None]:
    """An OSError raised inside (while writing `path`) becomes `storage_error`'s OutputError."""
    try:
        yield
    except OSError as exc:
        raise storage_error(path, exc) from exc


def is_folder(output: str) -> bool:
    """Whether `-o output` names a folder: an existing one, or a path ending in a separator."""
    return output.endswith(("/", os.sep)) or Path(output).is_dir()


def output_format(
    output: str | None, fmt: str | None, *, choices: Sequence[str], default: str
) -> str:
    """The output format: `fmt` (--format) or the extension of `output`, which must agree."""
    if output is not None and is_folder(output):
        if "html" in choices and fmt == "html":
            return "html"
        what = "--format html (one page per text)" if "html" in choices else "nothing"
        raise OutputError(
            f"-o {output} is a folder, and only {what} writes a folder; give a file name"
        )
    ext = Path(output).suffix.lower() if output else ""
    by_ext = EXTENSIONS.get(ext)
    if by_ext is not None:
        if by_ext not in choices:
            names = ", ".join(e for e, f in EXTENSIONS.items() if f in choices)
            raise InvalidInputError(f"-o {output}: this command writes {names} files")
        if fmt is not None and fmt != by_ext:
            raise InvalidInputError(
                f"-o {output} ends in {ext} but --format is {fmt}: drop --format, or name the "
                f"file .{_ext_of(fmt)}"
            )
        return by_ext
    return fmt or default


def _ext_of(fmt: str) -> str:
    return "txt" if fmt == "text" else fmt


@contextmanager
def atomic_output(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Write to a temporary file beside `path` and rename it into place on success.

    Any failure (an exception, a full disk) removes the temporary file and leaves `path` as it
    was; a failure to write is a StorageError naming `path`.
    """
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"cannot write {path}: it is a folder; give a file name")
    with writing(path), atomic_write(target, mode) as f:
        yield f


class PartialFile:
    """A text file written beside an output (``.NAME.partial``) until it is complete.

    Opened for writing (or appending) with the mode a new file gets; a failure to write is
    the OutputError that names `label`, the output the file becomes; `discard` leaves
    nothing behind.
    """

    def __init__(self, path: Path, *, label: Path, append: bool = False) -> None:
        self.path, self.label = path, label
        with writing(label):
            self._f = open(path, "a" if append else "w", encoding="utf-8")  # noqa: SIM115
            usual_mode(path)

    def write(self, text: str) -> None:
        with writing(self.label):
            self._f.write(text)

    def flush(self) -> None:
        with writing(self.label):
            self._f.flush()

    def close(self) -> None:
        with writing(self.label):
            self._f.close()

    def discard(self) -> None:
        with suppress(OSError):
            self._f.close()
        with suppress(OSError):
            os.unlink(self.path)


class Journal(PartialFile):
    """A JSON Lines file written line by line as results come, resumable after a crash.

    Lines go to `path` (opened for appending); :meth:`done` holds the ids already in it when
    resuming. A crash can only cut the last line short: resuming drops it.
    """

    def __init__(
        self, path: Path, *, resume: bool, seed_from: Path | None = None, label: Path | None = None
    ) -> None:
        self.path = path
        self.done: set[str] = set()
        self.n_resumed = 0
        self.n_found = 0
        label = label or path  # the name errors give: the output the journal becomes
        with writing(label):
            if resume and not path.exists() and seed_from is not None and seed_from.is_file():
                with open(seed_from, "rb") as src, open(path, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
            if resume and path.exists():
                good = self._read_ids()
                with open(path, "r+b") as f:
                    f.truncate(good)
        super().__init__(path, label=label, append=resume)

    def _read_ids(self) -> int:
        """Collect the ids of the complete lines; return the size of those lines in bytes."""
        good = 0
        with open(self.path, "rb") as f:
            for raw in f:
                if not raw.endswith(b"\n"):
                    break
                try:
                    row = json.loads(raw)
                except ValueError:
                    break
                self.done.add(str(row["id"]))
                self.n_resumed += 1
                self.n_found += bool(row.get("hits"))
                good += len(raw)
        return good

    def write(self, line: str) -> None:
        super().write(line + "\n")


def rows_of(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of a journal, one at a time."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def page_name(record_id: str | int, used: set[str]) -> str:
    """A safe, unique file name for the page of `record_id` (``.html`` included).

    Characters a file system or a URL would misread become ``_``; the name is cut to a safe
    length; a name that changed, or that differs only in case from one already `used` (some
    file systems ignore case), gets a short digest of the id, so two ids never share a page.
    """
    raw = str(record_id)
    name = unicodedata.normalize("NFC", utf8_safe(raw))
    name = _UNSAFE.sub("_", name).strip("._") or "post"
    while len(name.encode("utf-8")) > _PAGE_BYTES:
        name = name[:-1]
    if name != raw or name.lower() in _RESERVED or name.casefold() in used:
        digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        name = f"{name}-{digest}"
    base, n = name, 1
    while name.casefold() in used:  # the same id twice
        n += 1
        name = f"{base}-{n}"
    used.add(name.casefold())
    return f"{name}.html"


def _utf8_value(value: Any) -> Any:
    return utf8_safe(value) if isinstance(value, str) else value


def write_rows(path: str, fmt: str, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """Write rows as JSONL, CSV or Parquet, atomically."""
    if fmt == "parquet":
        pq = pyarrow_parquet()
        import pyarrow as pa

        # Parquet strings are UTF-8: a lone surrogate (from a JSON input) becomes U+FFFD
        table = pa.Table.from_pylist([{c: _utf8_value(r.get(c)) for c in columns} for r in rows])
        with atomic_output(path, "wb") as f:
            pq.write_table(table, f)
        return
    with atomic_output(path) as f:
        if fmt == "csv":
            w = csv.writer(f, lineterminator="\n")
            w.writerow(columns)
            for r in rows:
                w.writerow([_utf8_value(r.get(c)) for c in columns])
            return
        for r in rows:
            f.write(json_line(r) + "\n")
