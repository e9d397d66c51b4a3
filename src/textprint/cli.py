"""The ``textprint`` command line: a thin layer over the public API.

Exit codes follow grep: 0 copies found (or success), 1 none found, 2 error. User errors are
printed as one line, never a traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from itertools import chain, islice
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from . import __version__
from ._demo import run_demo
from ._inputs import Reader, Record, check_encoding
from ._outputs import OutputError, atomic_output, is_folder, output_format, write_rows
from ._sinks import Sink, open_sink
from ._validation import utf8_safe
from .deduplication import dedup
from .errors import InvalidInputError, StorageError, TextprintError
from .matching import compare
from .registry import Hit, Registry
from .report import evidence

__all__ = ["build_parser", "main"]

#: Output formats of each command that writes results.
CHECK_FORMATS = ("text", "jsonl", "csv", "parquet", "html")
DEDUP_FORMATS = ("jsonl", "csv", "parquet")
#: --too-short on the command line -> Registry.register_many's too_short.
_TOO_SHORT = {"skip": "skip", "accept": "accept", "stop": "raise"}


class _Bar(Protocol):
    """What the command line needs of a progress bar."""

    def update(self, n: int = 1) -> Any: ...

    def close(self) -> None: ...


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int | None, desc: str, *, quiet: bool) -> _Bar:
    """A tqdm bar on stderr when it is a terminal and not quiet; otherwise a no-op."""
    if quiet or not sys.stderr.isatty():
        return _NoBar()
    from tqdm import tqdm

    bar: _Bar = tqdm(total=total, desc=desc, unit="text", file=sys.stderr, leave=False)
    return bar


def _n(count: int, noun: str) -> str:
    """``1 work``, ``2 works``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _reader(args: argparse.Namespace) -> Reader:
    return Reader(
        args.inputs,
        id_field=args.id_field,
        text_field=args.text_field,
        encoding=args.encoding,
        on_error=args.on_error,
    )


def _report_skipped(reader: Reader) -> None:
    """List the inputs left out under --on-error skip (on stderr, even with --quiet)."""
    if reader.skipped:
        print(f"textprint: skipped {_n(len(reader.skipped), 'unreadable input')}:", file=sys.stderr)
        for s in reader.skipped:
            print(f"  {utf8_safe(s.reason)}", file=sys.stderr)


def _existing(db: str) -> str:
    if not Path(db).exists():
        raise StorageError(f"registry {db!r} does not exist (create it with textprint register)")
    return db


def _register(args: argparse.Namespace) -> int:
    # Read and validate every record before writing anything: the ids must be unique and not
    # yet registered. The inputs are read a second time to register them, so memory holds
    # the ids, never the texts.
    ids: dict[str, str] = {}
    reader = _reader(args)
    for rec in reader:
        key = str(rec.id)
        if key in ids:
            raise InvalidInputError(
                f"{rec.where}: id {rec.id!r} appears twice in the input (first at {ids[key]})"
            )
        ids[key] = rec.where
    if Path(args.db).exists() and not (args.replace or args.skip_existing):
        with Registry(args.db) as reg:
            taken = next((i for i in ids if i in reg), None)
        if taken is not None:
            raise InvalidInputError(
                f"id {taken!r} is already registered in {args.db}; use --replace to replace "
                "works or --skip-existing to resume an interrupted run"
            )
    n = len(ids)
    bar = _progress(n, "registering", quiet=args.quiet)
    done = [0]

    def committed(batch: list[Any]) -> None:
        done[0] += len(batch)
        bar.update(len(batch))
        if not args.quiet and batch:
            print(
                f"committed {done[0]}/{n} works (last id {batch[-1]!r})",
                file=sys.stderr,
                flush=True,
            )

    fed: list[tuple[str, str]] = []  # (id, where) of each work given to the registry
    with Registry(args.db) as reg:

        def items() -> Iterator[tuple[Any, str, Any]]:
            for r in _reader(args):
                if not (args.skip_existing and r.id in reg):
                    fed.append((str(r.id), r.where))
                    yield r.id, r.text, r.metadata

        try:
            registered = reg.register_many(
                items(),
                batch_size=args.batch_size,
                replace=args.replace,
                on_commit=committed,
                too_short=_TOO_SHORT[args.too_short],
            )
        finally:
            bar.close()
        print(f"registered {_n(len(registered), 'work')}; the registry holds {len(reg)}")
        kept = {str(i) for i in registered}
        short = [(i, where) for i, where in fed if i not in kept]
        if short:
            print(
                f"left out {_n(len(short), 'work')} too short to ever be found (fewer than "
                f"k={reg.k} tokens after normalization; --too-short accept registers them):"
            )
            for i, where in short:
                print(utf8_safe(f"  {i} ({where})"))
    _report_skipped(reader)
    return 0


def _check(args: argparse.Namespace) -> int:
    fmt = output_format(args.output, args.format, choices=CHECK_FORMATS, default="text")
    folder = args.output is not None and is_folder(args.output)
    if args.skip_existing and (args.output is None or fmt == "text"):
        raise InvalidInputError(
            "--skip-existing resumes a results file: give -o with a .jsonl, .csv, .parquet, "
            ".html file or a folder"
        )
    reader = _reader(args)
    with Registry(_existing(args.db)) as reg:
        records: Iterator[Record] = iter(reader)
        several = False
        if fmt == "html" and not folder:
            first = list(islice(records, 2))
            several = len(first) > 1
            records = chain(first, records)
            if several and args.output is None:
                raise InvalidInputError(
                    "--format html writes one page per checked text: give -o FOLDER/ (or "
                    "-o report.html) for the pages and their index.html"
                )
        sink = open_sink(
            fmt,
            args.output,
            registry=reg,
            resume=args.skip_existing,
            folder=folder,
            several=several,
        )
        options = {
            "min_chars": args.min_chars,
            "min_containment": args.min_containment,
            "top_k": args.top_k,
            "unattributed_only": args.unattributed_only,
        }
        try:
            _check_stream(reg, records, sink, options, args)
        except OutputError:
            sink.abort(keep=False)
            raise
        except (TextprintError, KeyboardInterrupt) as exc:
            sink.abort(keep=True)
            if sink.resumable is None or not sink.n_written:
                raise
            note = (
                f"{sink.n_written} results so far are kept in {sink.resumable}: rerun the same "
                "command with --skip-existing to resume"
            )
            if isinstance(exc, KeyboardInterrupt):
                raise KeyboardInterrupt(note) from None
            raise type(exc)(f"{exc}; {note}") from exc
        sink.close()
    if not args.quiet:
        where = f"; wrote {args.output}" if args.output else ""
        print(
            f"checked {_n(sink.n_written, 'text')}, {sink.n_found} "
            f"cop{'y' if sink.n_found != 1 else 'ies'} a registered work{where}",
            file=sys.stderr,
        )
    _report_skipped(reader)
    return 0 if sink.n_found else 1


def _check_stream(
    reg: Registry,
    records: Iterator[Record],
    sink: Sink,
    options: dict[str, Any],
    args: argparse.Namespace,
) -> None:
    """Check `records` in batches, writing each batch's results as soon as it is checked."""
    bar = _progress(None, "checking", quiet=args.quiet)
    try:
        while chunk := list(islice(records, args.batch_size)):
            todo = [r for r in chunk if str(r.id) not in sink.done]
            hits: list[list[Hit]] = []
            if todo:
                hits = reg.check_many([r.text for r in todo], **options)
            for rec, found in zip(todo, hits):
                sink.write(rec, found)
            sink.flush()
            bar.update(len(chunk))
    finally:
        bar.close()


def _dedup(args: argparse.Namespace) -> int:
    fmt = output_format(args.output, args.format, choices=DEDUP_FORMATS, default="jsonl")
    reader = _reader(args)
    records = list(reader)  # dedup compares every text with every other: all are needed
    labels = dedup([r.text for r in records], args.threshold)
    rows = [{"id": r.id, "cluster": records[int(label)].id} for r, label in zip(records, labels)]
    write_rows(args.output, fmt, rows, ["id", "cluster"])
    n_dup = int(np.count_nonzero(labels != np.arange(len(labels))))
    if not args.quiet:
        print(
            f"{len(records)} texts, {len(set(labels.tolist()))} clusters, "
            f"{n_dup} duplicates; wrote {args.output}",
            file=sys.stderr,
        )
    _report_skipped(reader)
    return 0 if n_dup else 1


def _read_text(path: str, encoding: str) -> str:
    try:
        return Path(path).read_text(encoding=check_encoding(encoding))
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"{path}: cannot be decoded as {exc.encoding} ({exc.reason} at byte {exc.start}); "
            "give its encoding with --encoding"
        ) from exc
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _compare(args: argparse.Namespace) -> int:
    if args.html is not None:
        output_format(args.html, "html", choices=("html",), default="html")
        if is_folder(args.html):
            raise OutputError(f"--html {args.html} is a folder; give a file name")
    a, b = _read_text(args.a, args.encoding), _read_text(args.b, args.encoding)
    c = compare(a, b)
    print(f"containment of {args.a} in {args.b}: {c.containment:.1%}")
    print(f"containment of {args.b} in {args.a}: {c.source_containment:.1%}")
    print(f"Jaccard: {c.jaccard:.3f}")
    for p in c.passages:
        print(
            f"  {args.a}[{p.query_start}:{p.query_end}] = {args.b}[{p.source_start}:{p.source_end}]"
        )
    if args.html:
        with atomic_output(args.html) as f:
            f.write(evidence(a, c, source=b).to_html(title=f"{args.a} vs {args.b}"))
    return 0 if c.passages else 1


def _info(args: argparse.Namespace) -> int:
    with Registry(_existing(args.db)) as reg:
        print(f"registry: {args.db} ({Path(args.db).stat().st_size} bytes)")
        print(f"works: {len(reg)}")
        for key, value in sorted(reg.manifest.items()):
            print(f"{key}: {value}")
    return 0


#: Settings `textprint rebuild` can change (Registry.rebuild's keyword arguments).
_REBUILD_SETTINGS = ("k", "window", "n_hashes", "tokenizer", "seed", "scheme")


def _rebuild(args: argparse.Namespace) -> int:
    settings = {s: getattr(args, s) for s in _REBUILD_SETTINGS if getattr(args, s) is not None}
    if Registry.upgrade(_existing(args.db)):
        print(f"upgraded {args.db} from registry format 1 to format 2")
        if not settings:
            with Registry(args.db) as reg:
                print(f"rebuilt {len(reg)} works under {reg.manifest['tokenizer_identity']}")
            return 0
    with Registry(_existing(args.db)) as reg:
        before = {s: reg.manifest[s] for s in settings}
        reg.rebuild(**settings, batch_size=args.batch_size)
        print(f"rebuilt {len(reg)} works under {reg.manifest['tokenizer_identity']}")
        for s in settings:
            print(f"  {s}: {before[s]} -> {reg.manifest[s]}")
    return 0


def _compact(args: argparse.Namespace) -> int:
    with Registry(_existing(args.db)) as reg:
        reg.compact()
        print(f"compacted {args.db}: {len(reg)} works in one posting segment")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``textprint`` command."""
    parser = argparse.ArgumentParser(
        prog="textprint",
        description="Find copied text in Chinese, Japanese and English. "
        "Exit status: 0 copies found (or success), 1 none found, 2 error.",
    )
    parser.add_argument("--version", action="version", version=f"textprint {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def inputs(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "inputs",
            nargs="+",
            metavar="INPUT",
            help="JSONL, CSV/TSV, Parquet files (.gz/.zst too) or folders of .txt files",
        )
        p.add_argument(
            "--id-field",
            default=None,
            help="record field holding the id (default id; records without one are numbered)",
        )
        p.add_argument(
            "--text-field", default="text", help="record field holding the text (default text)"
        )
        p.add_argument("--encoding", default="utf-8", help="encoding of the inputs (utf-8)")
        p.add_argument(
            "--on-error",
            choices=("stop", "skip"),
            default="stop",
            help="an unreadable input or bad record stops the run (stop), or is left out and "
            "listed at the end (skip)",
        )
        p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")

    demo = sub.add_parser(
        "demo", help="register the shipped sample works and check posts that copy them"
    )
    demo.add_argument(
        "--db", default=None, help="registry file to use (default: a registry in memory)"
    )
    demo.set_defaults(func=run_demo)

    reg = sub.add_parser("register", help="register works into a registry file")
    reg.add_argument("db", metavar="DB", help="registry file (created if missing)")
    inputs(reg)
    reg.add_argument("--batch-size", type=int, default=1000, help="works per transaction")
    reg.add_argument("--replace", action="store_true", help="replace works already registered")
    reg.add_argument(
        "--skip-existing",
        action="store_true",
        help="skip ids already registered (resume an interrupted run)",
    )
    reg.add_argument(
        "--too-short",
        choices=("skip", "accept", "stop"),
        default="skip",
        help="a work too short to ever be found (fewer than k tokens): leave it out and list "
        "it at the end (skip), register it anyway (accept), or stop with an error (stop)",
    )
    reg.set_defaults(func=_register)

    chk = sub.add_parser("check", help="check texts against a registry")
    chk.add_argument("db", metavar="DB", help="registry file")
    inputs(chk)
    chk.add_argument(
        "--format",
        choices=CHECK_FORMATS,
        default=None,
        help="output format (default: from the -o extension, else text)",
    )
    chk.add_argument(
        "-o",
        "--output",
        default=None,
        help="output file (.txt, .jsonl, .csv, .parquet, .html) or FOLDER/ for one HTML page "
        "per text and an index.html (default stdout)",
    )
    chk.add_argument(
        "--min-chars",
        type=int,
        default=None,
        help="copied characters of the text for a hit, in every script (default: 200 for "
        "Chinese and Japanese, 40 words otherwise)",
    )
    chk.add_argument(
        "--min-containment",
        type=float,
        default=0.5,
        help="a hit also when this share of the work is found in the text (0.5)",
    )
    chk.add_argument("--top-k", type=int, default=None, help="at most this many hits per text")
    chk.add_argument(
        "--unattributed-only",
        action="store_true",
        help="report a work only when what the text copies of it without quotation marks or "
        "naming it (its title or author metadata) is enough for a hit on its own",
    )
    chk.add_argument(
        "--skip-existing",
        action="store_true",
        help="skip texts whose results the output already holds (resume an interrupted run)",
    )
    chk.add_argument("--batch-size", type=int, default=64, help="texts checked at once (64)")
    chk.set_defaults(func=_check)

    dd = sub.add_parser("dedup", help="cluster near-duplicate texts")
    inputs(dd)
    dd.add_argument(
        "-o", "--output", required=True, help="output .jsonl, .csv or .parquet (id, cluster)"
    )
    dd.add_argument(
        "--format",
        choices=DEDUP_FORMATS,
        default=None,
        help="output format (default: from the -o extension, else jsonl)",
    )
    dd.add_argument("--threshold", type=float, default=0.8, help="Jaccard threshold (0.8)")
    dd.set_defaults(func=_dedup)

    cmp_ = sub.add_parser("compare", help="compare two text files")
    cmp_.add_argument("a", metavar="A", help="the text checked (a text file)")
    cmp_.add_argument("b", metavar="B", help="the source text (a text file)")
    cmp_.add_argument("--html", default=None, metavar="OUT", help="also write an HTML report")
    cmp_.add_argument("--encoding", default="utf-8", help="encoding of A and B (utf-8)")
    cmp_.set_defaults(func=_compare)

    info = sub.add_parser("info", help="show a registry's size and manifest")
    info.add_argument("db", metavar="DB")
    info.set_defaults(func=_info)

    rb = sub.add_parser(
        "rebuild",
        help="re-fingerprint a registry's stored texts (after an upgrade, or to change "
        "settings); upgrades a registry file made by textprint 0.1",
    )
    rb.add_argument("db", metavar="DB")
    rb.add_argument("--k", type=int, default=None, help="new shingle length in tokens")
    rb.add_argument("--window", type=int, default=None, help="new winnowing window")
    rb.add_argument("--n-hashes", type=int, default=None, help="new MinHash signature length")
    rb.add_argument("--tokenizer", default=None, help="new tokenizer (auto, char, jieba, ...)")
    rb.add_argument("--seed", type=int, default=None, help="new hash seed")
    rb.add_argument("--scheme", default=None, help="new MinHash scheme (oph, datasketch)")
    rb.add_argument("--batch-size", type=int, default=1000, help="works fingerprinted at once")
    rb.set_defaults(func=_rebuild)

    cp = sub.add_parser(
        "compact",
        help="merge a registry's posting segments into one (fastest checks after a bulk import)",
    )
    cp.add_argument("db", metavar="DB")
    cp.set_defaults(func=_compact)
    return parser


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors exit 2, --help/--version exit 0
        return int(exc.code or 0)
    # a terminated run stops as an interrupted one does: its results so far stay resumable
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if main_thread else None
    try:
        code: int = args.func(args)
    except TextprintError as exc:
        print(f"textprint: error: {utf8_safe(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        note = f" ({exc})" if str(exc) else ""
        print(f"textprint: interrupted{note}", file=sys.stderr)
        return 2
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
