"""Where ``textprint check`` writes its results, one checked text at a time.

Each sink takes ``(record, hits)`` as texts are checked, so memory does not grow with the
input, and results reach the output as they come:

- ``text`` and ``jsonl`` on standard output: written and flushed batch by batch;
- a ``text`` file: written beside the target and renamed into place at the end;
- a ``jsonl``, ``csv`` or ``parquet`` file: a JSON Lines journal beside the target
  (``.NAME.partial``) that ``--skip-existing`` resumes after an interruption; at the end it
  becomes the target (``jsonl``) or is converted into it in bounded memory;
- ``html``: one report for one text (a file, or standard output), or a batch: one page per
  text with hits, ``index.jsonl`` (the journal, one line per text, with its page) and a
  sortable ``index.html``.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterator
from contextlib import suppress
from itertools import islice
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import quote

from ._inputs import Record, pyarrow_parquet
from ._outputs import (
    Journal,
    OutputError,
    PartialFile,
    atomic_output,
    page_name,
    rows_of,
    writing,
)
from ._serialize import HIT_FIELDS, hit_json, json_line
from ._validation import utf8_safe
from .registry import Hit, Registry
from .report import evidence, index_html

__all__ = ["Sink", "open_sink", "result_row"]

#: Rows converted from the journal to CSV or Parquet at a time.
_CONVERT_ROWS = 1000


class Sink(Protocol):
    """What ``textprint check`` writes results to."""

    #: ids already written by an interrupted run (``--skip-existing``)
    done: set[str]
    #: texts written, and of those with a hit (including a resumed run's)
    n_written: int
    n_found: int
    #: where a resumable run keeps its results, or None
    resumable: str | None

    def write(self, record: Record, hits: list[Hit]) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...
    def abort(self, *, keep: bool) -> None: ...


def result_row(record: Record, hits: list[Hit]) -> dict[str, Any]:
    """One checked text as JSON data: its id, its metadata and the JSON form of its hits."""
    return {"id": record.id, "metadata": record.metadata, "hits": [hit_json(h) for h in hits]}


def _text_lines(record: Record, hits: list[Hit]) -> str:
    if not hits:
        return f"{record.id}: no copy found\n"
    out = []
    for h in hits:
        n = len(h.passages)
        out.append(
            f"{record.id}: copies {h.work_id} ({h.containment:.0%} of the text, "
            f"{h.source_containment:.0%} of the work; {h.copied_chars} characters in {n} "
            f"passage{'' if n == 1 else 's'})\n"
        )
        if h.evalue is not None and h.unattributed_chars is not None:
            credit = (
                "the text names the work"
                if h.attributed
                else f"{h.unattributed_chars} characters without quotation or attribution"
            )
            out.append(f"    E-value {h.evalue:.1e}; {credit}\n")
        details = h.details if len(h.details) == n else [None] * n
        for p, d in zip(h.passages, details):
            how = ""
            if d is not None:
                kind = d.kind if d.kind != "edited" else f"edited {d.similarity or 0:.0%}"
                marks = [kind, *d.evasions] + (["quoted"] if d.quoted else [])
                how = f"  ({', '.join(marks)})"
            out.append(
                f"    text[{p.query_start}:{p.query_end}] = "
                f"work[{p.source_start}:{p.source_end}]{how}\n"
            )
    return "".join(out)


class _Counts:
    done: set[str]
    n_written = 0
    n_found = 0
    resumable: str | None = None

    def count(self, hits: list[Hit]) -> None:
        self.n_written += 1
        self.n_found += bool(hits)


class _Out(Protocol):
    """Where a stream writes: standard output, or a `PartialFile`."""

    def write(self, text: str, /) -> object: ...

    def flush(self) -> object: ...


class _Stream(_Counts):
    """``text`` or ``jsonl`` to standard output, flushed batch by batch."""

    def __init__(self, fmt: str, out: _Out) -> None:
        self.done = set()
        self.fmt, self.out = fmt, out

    def write(self, record: Record, hits: list[Hit]) -> None:
        self.count(hits)
        if self.fmt == "jsonl":
            self.out.write(json_line(result_row(record, hits)) + "\n")
        else:
            self.out.write(utf8_safe(_text_lines(record, hits)))

    def flush(self) -> None:
        self.out.flush()

    def close(self) -> None:
        self.out.flush()

    def abort(self, *, keep: bool) -> None:
        with suppress(OSError):
            self.out.flush()


def _partial(target: Path) -> Path:
    return target.with_name(f".{target.name}.partial")


class _TextFile(_Stream):
    """``text`` into a file: written beside it, renamed into place at the end."""

    def __init__(self, target: Path) -> None:
        self.target, self.file = target, PartialFile(_partial(target), label=target)
        super().__init__("text", self.file)

    def close(self) -> None:
        self.file.close()
        with writing(self.target):
            os.replace(self.file.path, self.target)

    def abort(self, *, keep: bool) -> None:
        self.file.discard()


class _Results(_Counts):
    """``jsonl``, ``csv`` or ``parquet`` into a file, through a resumable journal."""

    def __init__(self, fmt: str, target: Path, *, resume: bool) -> None:
        self.fmt, self.target = fmt, target
        seed = target if fmt == "jsonl" else None
        self.journal = Journal(_partial(target), resume=resume, seed_from=seed, label=target)
        self.done = self.journal.done
        self.n_written = self.journal.n_resumed
        self.n_found = self.journal.n_found
        self.resumable = str(self.journal.path)

    def write(self, record: Record, hits: list[Hit]) -> None:
        self.count(hits)
        self.journal.write(json_line(result_row(record, hits)))

    def flush(self) -> None:
        self.journal.flush()

    def close(self) -> None:
        self.journal.close()
        with writing(self.target):
            if self.fmt == "jsonl":
                os.replace(self.journal.path, self.target)
                return
            if self.fmt == "csv":
                _to_csv(self.journal.path, self.target)
            else:
                _to_parquet(self.journal.path, self.target)
            os.unlink(self.journal.path)

    def abort(self, *, keep: bool) -> None:
        if keep and self.n_written:
            with suppress(OutputError):
                self.journal.close()
        else:
            self.journal.discard()


#: CSV columns: one row per (text, hit); a text without hits has one row with empty hit fields.
#: A hit's metadata is the work's, named apart from the text's own.
CSV_COLUMNS = ("id", "metadata", *("work_metadata" if c == "metadata" else c for c in HIT_FIELDS))


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return utf8_safe(json.dumps(value, ensure_ascii=False))
    return utf8_safe(value) if isinstance(value, str) else value


def _to_csv(journal: Path, target: Path) -> None:
    with atomic_output(target) as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(CSV_COLUMNS)
        for row in rows_of(journal):
            head = [_csv_cell(row["id"]), _csv_cell(row["metadata"])]
            for hit in row["hits"] or [None]:
                w.writerow(head + [_csv_cell(None if hit is None else hit[c]) for c in HIT_FIELDS])


def _parquet_schema() -> Any:
    import pyarrow as pa

    passage = pa.struct(
        [
            *[(n, pa.int64()) for n in _PASSAGE_FIELDS],
            ("kind", pa.string()),
            ("similarity", pa.float64()),
            ("evasions", pa.list_(pa.string())),
            ("quoted", pa.bool_()),
            ("attributed", pa.bool_()),
            ("chars", pa.int64()),
        ]
    )
    hit = pa.struct(
        [
            ("work_id", pa.string()),
            ("metadata", pa.string()),
            ("containment", pa.float64()),
            ("source_containment", pa.float64()),
            ("jaccard", pa.float64()),
            ("copied_chars", pa.int64()),
            ("evalue", pa.float64()),
            ("attributed", pa.bool_()),
            ("unattributed_chars", pa.int64()),
            ("unattributed_share", pa.float64()),
            ("passages", pa.list_(passage)),
        ]
    )
    return pa.schema([("id", pa.string()), ("metadata", pa.string()), ("hits", pa.list_(hit))])


_PASSAGE_FIELDS = ("query_start", "query_end", "source_start", "source_end")


def _json_text(value: Any) -> str | None:
    return None if value is None else utf8_safe(json.dumps(value, ensure_ascii=False))


def _parquet_row(row: dict[str, Any]) -> dict[str, Any]:
    # Parquet columns have one type: ids are strings (an int and its decimal string name the
    # same work in a registry) and metadata, any JSON value, is its JSON text
    return {
        "id": utf8_safe(str(row["id"])),
        "metadata": _json_text(row["metadata"]),
        "hits": [
            {**h, "work_id": utf8_safe(str(h["work_id"])), "metadata": _json_text(h["metadata"])}
            for h in row["hits"]
        ],
    }


def _to_parquet(journal: Path, target: Path) -> None:
    pq = pyarrow_parquet()
    import pyarrow as pa

    schema = _parquet_schema()
    with atomic_output(target, "wb") as f:
        writer = pq.ParquetWriter(f, schema)
        rows = rows_of(journal)
        while chunk := list(islice(rows, _CONVERT_ROWS)):
            table = pa.Table.from_pylist([_parquet_row(r) for r in chunk], schema=schema)
            writer.write_table(table)
        writer.close()


def _page(record: Record, hits: list[Hit], registry: Registry, index: str | None = None) -> str:
    """The evidence report of one checked text, with its id and metadata."""
    ev = evidence(
        record.text, hits, registry=registry, query_id=record.id, query_metadata=record.metadata
    )
    return ev.to_html(title=f"textprint evidence: {record.id}", index=index)


class _HtmlOne(_Counts):
    """The evidence report of one text, to a file or standard output."""

    def __init__(self, target: Path | None, registry: Registry, out: IO[str]) -> None:
        self.done = set()
        self.target, self.registry, self.out = target, registry, out

    def write(self, record: Record, hits: list[Hit]) -> None:
        self.count(hits)
        page = _page(record, hits, self.registry)
        if self.target is None:
            self.out.write(page)
            return
        with atomic_output(self.target) as f:
            f.write(page)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def abort(self, *, keep: bool) -> None:
        pass


class _HtmlBatch(_Counts):
    """One page per text with hits, ``index.jsonl`` and a sortable ``index.html``."""

    def __init__(self, index: Path, pages: Path, registry: Registry, *, resume: bool) -> None:
        self.index, self.pages, self.registry = index, pages, registry
        with writing(pages):
            pages.mkdir(parents=True, exist_ok=True)
        listing = pages / "index.jsonl"
        if not resume and listing.is_file():  # a new run: the old run's pages go
            with suppress(OSError, ValueError, KeyError):
                for row in rows_of(listing):
                    if row.get("page"):
                        (pages / row["page"]).unlink(missing_ok=True)
        self.journal = Journal(listing, resume=resume, label=index)
        self.done = self.journal.done
        self.n_written = self.journal.n_resumed
        self.n_found = self.journal.n_found
        self.resumable = str(listing)
        self.used = {"index"}
        for row in rows_of(listing):
            if row.get("page"):
                self.used.add(row["page"].removesuffix(".html").casefold())
        self.back = quote(os.path.relpath(index, pages).replace(os.sep, "/"))

    def write(self, record: Record, hits: list[Hit]) -> None:
        self.count(hits)
        page = None
        if hits:
            page = page_name(record.id, self.used)
            with atomic_output(self.pages / page) as f:
                f.write(_page(record, hits, self.registry, index=self.back))
        self.journal.write(json_line({**result_row(record, hits), "page": page}))

    def flush(self) -> None:
        self.journal.flush()

    def close(self) -> None:
        self.journal.close()
        base = os.path.relpath(self.pages, self.index.parent).replace(os.sep, "/")
        prefix = "" if base == "." else quote(base) + "/"
        with atomic_output(self.index) as f:
            index_html(_index_rows(self.journal.path, prefix), f, title=self._title())

    def _title(self) -> str:
        return f"textprint: {self.n_written} texts checked"

    def abort(self, *, keep: bool) -> None:
        with suppress(OutputError):
            self.journal.close()


def _index_rows(listing: Path, prefix: str) -> Iterator[dict[str, Any]]:
    for row in rows_of(listing):
        if row.get("page"):
            row["href"] = prefix + quote(row["page"])
        yield row


def open_sink(
    fmt: str,
    output: str | None,
    *,
    registry: Registry,
    resume: bool,
    folder: bool,
    several: bool,
) -> Sink:
    """The sink for `fmt` and ``-o output`` (None: standard output)."""
    if output is None:
        if fmt == "html":
            return _HtmlOne(None, registry, sys.stdout)
        return _Stream(fmt, sys.stdout)
    target = Path(output)
    if fmt == "html":
        if folder:
            return _HtmlBatch(target / "index.html", target, registry, resume=resume)
        if several:  # report.html is the index; the pages go to report/ beside it
            pages = target.with_suffix("")
            if pages.exists() and not pages.is_dir():
                raise OutputError(
                    f"cannot write the pages of {output} to {pages}: a file of that name exists"
                )
            return _HtmlBatch(target, pages, registry, resume=resume)
        return _HtmlOne(target, registry, sys.stdout)
    if fmt == "text":
        return _TextFile(target)
    return _Results(fmt, target, resume=resume)
