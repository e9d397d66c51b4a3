"""The ``textprint`` command line: a thin layer over the public API.

Exit codes follow grep: 0 copies found (or success), 1 none found, 2 error. User errors are
printed as one line, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from ._inputs import (
    Record,
    atomic_output,
    json_line,
    progress,
    read_records,
    validate,
    write_rows,
)
from ._validation import utf8_safe
from .deduplication import dedup
from .errors import InvalidInputError, StorageError, TextprintError
from .matching import compare
from .registry import Registry
from .report import evidence

__all__ = ["main"]


def _samples() -> list[dict[str, str]]:
    path = resources.files("textprint") / "_samples" / "works.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _to_traditional(text: str) -> str:
    """Simplified -> Traditional for the demo, by inverting the shipped T->S table."""
    from ._tables import get_tables

    t2s = get_tables().t2s
    changed = np.flatnonzero(t2s != np.arange(len(t2s), dtype=np.uint32))
    back: dict[int, int] = {}
    for trad in changed.tolist():
        back.setdefault(int(t2s[trad]), trad)
    return text.translate(back)


def _disguise(text: str, lang: str) -> str:
    """The cheap evasions: Traditional characters, full-width forms, zero-width spaces,
    look-alike letters, re-wrapped and hyphenated lines, changed case."""
    if lang == "en":
        text = text.replace("a", "\u0430").replace("o", "\u043e")  # Cyrillic look-alikes
        words = text.split()
        lines, line = [], ""
        for w in words:  # re-wrap at 50 columns, hyphenating long words
            if len(line) + len(w) > 50 and len(w) > 7:
                lines.append(f"{line} {w[:4]}-")
                line = w[4:]
            elif len(line) + len(w) > 50:
                lines.append(line)
                line = w
            else:
                line = f"{line} {w}".strip()
        lines.append(line)
        return "\n".join(lines).upper()
    if lang == "zh":
        text = _to_traditional(text)
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    return "\u200b".join(wide[i : i + 9] for i in range(0, len(wide), 9))


def _demo_posts(works: list[dict[str, str]]) -> list[tuple[str, str]]:
    by_id = {w["work_id"]: w["text"] for w in works}
    xiyou = by_id["zh-xiyouji-ch01-opening"]
    poem = by_id["zh-chunjiang-huayueye"]
    rashomon = by_id["ja-rashomon-opening"]
    pride = by_id["en-pride-and-prejudice-opening"]
    alice = by_id["en-alice-opening"]
    return [
        (
            "a Chinese forum post quoting Journey to the West in Traditional, full-width "
            "characters with zero-width spaces",
            "今天读到一段很有意思的开头，分享给大家：\n"
            + _disguise(xiyou[120:420], "zh")
            + "\n你们觉得怎么样？",
        ),
        ("a whole Tang poem reposted in Simplified characters", _to_simplified(poem)),
        (
            "a Japanese blog post pasting the opening of Rashomon with zero-width spaces",
            "週末に読んだ本の一節です。\n"
            + _disguise(rashomon[:330], "ja")
            + "\nいかがでしょうか。",
        ),
        (
            "an English post mixing Pride and Prejudice (look-alike letters, capitals, "
            "re-wrapped lines) with a piece of Alice",
            "Found this in an old notebook:\n"
            + _disguise(pride[:400], "en")
            + "\n\nand later on the same page:\n"
            + alice[:260],
        ),
        (
            "an unrelated post",
            "The weather was lovely today, so we walked along the river and talked about "
            "our plans for the summer holidays and the garden.",
        ),
    ]


def _to_simplified(text: str) -> str:
    """Traditional -> Simplified character by character, with the shipped table."""
    from ._tables import get_tables

    t2s = get_tables().t2s
    return "".join(chr(int(t2s[ord(c)])) for c in text)


def _excerpt(text: str, start: int, end: int, width: int = 34) -> str:
    piece = text[start:end].replace("\n", " ").replace("\u200b", "")
    return piece if len(piece) <= width else piece[: width // 2] + " … " + piece[-width // 2 :]


def _demo(args: argparse.Namespace) -> int:
    out = sys.stdout
    works = _samples()
    titles = {w["work_id"]: f"{w['title']} ({w['author']})" for w in works}
    with Registry(args.db) as reg:
        for w in works:
            if w["work_id"] not in reg:
                reg.register(w["work_id"], w["text"], {"title": w["title"], "author": w["author"]})
        out.write(f"Registered {len(reg)} works ({'in memory' if args.db is None else args.db}).\n")
        found = 0
        for label, post in _demo_posts(works):
            hits = reg.check(post)
            out.write(f"\n== Checking {label} ({len(post)} characters)\n")
            if not hits:
                out.write("   no registered work is copied\n")
            for hit in hits:
                found += 1
                work = reg.get(hit.work_id).text or ""
                out.write(
                    f"   copies {hit.work_id}: {titles.get(str(hit.work_id), '')}\n"
                    f"     {hit.containment:.0%} of the post comes from the work; "
                    f"{hit.source_containment:.0%} of the work is in the post\n"
                )
                for p in hit.passages:
                    q_text = _excerpt(post, p.query_start, p.query_end)
                    w_text = _excerpt(work, p.source_start, p.source_end)
                    out.write(
                        f"     post[{p.query_start}:{p.query_end}] {q_text!r}\n"
                        f"       = work[{p.source_start}:{p.source_end}] {w_text!r}\n"
                    )
    return 0 if found else 1


def _hits_json(name: str | int, hits: list[Any]) -> dict[str, Any]:
    return {
        "id": name,
        "hits": [
            {
                "work_id": h.work_id,
                "metadata": h.metadata,
                "containment": h.containment,
                "source_containment": h.source_containment,
                "jaccard": h.jaccard,
                "copied_chars": h.copied_chars,
                "passages": [list(p) for p in h.passages],
            }
            for h in hits
        ],
    }


def _existing(db: str) -> str:
    if not Path(db).exists():
        raise StorageError(f"registry {db!r} does not exist (create it with textprint register)")
    return db


def _register(args: argparse.Namespace) -> int:
    # Validate everything before writing anything: records, and ids (unique, not yet taken).
    ids: set[str] = set()
    n = 0
    for rec in read_records(args.inputs, id_field=args.id_field, text_field=args.text_field):
        key = str(rec.id)
        if key in ids:
            raise InvalidInputError(f"{rec.where}: id {rec.id!r} appears twice in the input")
        ids.add(key)
        n += 1
    if Path(args.db).exists() and not (args.replace or args.skip_existing):
        with Registry(args.db) as reg:
            taken = next((i for i in ids if i in reg), None)
        if taken is not None:
            raise InvalidInputError(
                f"id {taken!r} is already registered in {args.db}; use --replace to replace "
                "works or --skip-existing to resume an interrupted run"
            )
    bar = progress(n, "registering", quiet=args.quiet)
    done = [0]
    last: list[Any] = [None]

    def committed(ids: list[Any]) -> None:
        done[0] += len(ids)
        last[0] = ids[-1]
        bar.update(len(ids))
        if not args.quiet:
            print(
                f"committed {done[0]}/{n} works (last id {ids[-1]!r})", file=sys.stderr, flush=True
            )

    records = read_records(args.inputs, id_field=args.id_field, text_field=args.text_field)
    with Registry(args.db) as reg:
        items = (
            (r.id, r.text, r.metadata) for r in records if not (args.skip_existing and r.id in reg)
        )
        try:
            reg.register_many(
                items, batch_size=args.batch_size, replace=args.replace, on_commit=committed
            )
        finally:
            bar.close()
        print(f"registered {done[0]} works; the registry holds {len(reg)}")
    return 0


def _check(args: argparse.Namespace) -> int:
    n = validate(args.inputs, id_field=args.id_field, text_field=args.text_field)
    records = list(read_records(args.inputs, id_field=args.id_field, text_field=args.text_field))
    bar = progress(n, "checking", quiet=args.quiet)
    results: list[tuple[Record, list[Any]]] = []
    with Registry(_existing(args.db)) as reg:
        for lo in range(0, len(records), 64):
            chunk = records[lo : lo + 64]
            for rec, hits in zip(
                chunk,
                reg.check_many([r.text for r in chunk], min_chars=args.min_chars, top_k=args.top_k),
            ):
                results.append((rec, hits))
            bar.update(len(chunk))
        bar.close()
        found = any(h for _, h in results)
        if args.format == "jsonl":
            lines = [json_line(_hits_json(r.id, h)) for r, h in results]
            _emit(args.output, "\n".join(lines) + ("\n" if lines else ""))
        elif args.format == "html":
            if len(results) != 1 and args.output:
                raise InvalidInputError(
                    "--format html writes one report per checked text: check one text at a time"
                )
            rec, hits = results[0] if results else (Record(0, "", None, ""), [])
            _emit(args.output, evidence(rec.text, hits, registry=reg).to_html())
        else:
            out = []
            for rec, hits in results:
                if not hits:
                    out.append(f"{rec.id}: no copy found")
                for h in hits:
                    out.append(
                        f"{rec.id}: copies {h.work_id} ({h.containment:.0%} of the text, "
                        f"{h.source_containment:.0%} of the work, {len(h.passages)} passages)"
                    )
                    for p in h.passages:
                        out.append(
                            f"    text[{p.query_start}:{p.query_end}] = "
                            f"work[{p.source_start}:{p.source_end}]"
                        )
            _emit(args.output, "\n".join(out) + "\n")
    return 0 if found else 1


def _emit(output: str | None, text: str) -> None:
    # ids and metadata may hold lone surrogates (from a JSON input), which UTF-8 cannot
    text = utf8_safe(text)
    if output:
        with atomic_output(output) as f:
            f.write(text)
    else:
        sys.stdout.write(text)


def _dedup(args: argparse.Namespace) -> int:
    validate(args.inputs, id_field=args.id_field, text_field=args.text_field)
    records = list(read_records(args.inputs, id_field=args.id_field, text_field=args.text_field))
    labels = dedup([r.text for r in records], args.threshold)
    rows = [{"id": r.id, "cluster": records[int(label)].id} for r, label in zip(records, labels)]
    write_rows(args.output, rows, ["id", "cluster"])
    n_dup = int(np.count_nonzero(labels != np.arange(len(labels))))
    if not args.quiet:
        print(
            f"{len(records)} texts, {len(set(labels.tolist()))} clusters, "
            f"{n_dup} duplicates; wrote {args.output}",
            file=sys.stderr,
        )
    return 0 if n_dup else 1


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from exc
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _compare(args: argparse.Namespace) -> int:
    a, b = _read_text(args.a), _read_text(args.b)
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
    with Registry(_existing(args.db)) as reg:
        before = {s: reg.manifest[s] for s in settings}
        reg.rebuild(**settings, batch_size=args.batch_size)
        print(f"rebuilt {len(reg)} works under {reg.manifest['tokenizer_identity']}")
        for s in settings:
            print(f"  {s}: {before[s]} -> {reg.manifest[s]}")
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
            help="JSONL, CSV/TSV, Parquet files or folders of .txt files",
        )
        p.add_argument("--id-field", default="id", help="record field holding the id (default id)")
        p.add_argument(
            "--text-field", default="text", help="record field holding the text (default text)"
        )
        p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")

    demo = sub.add_parser(
        "demo", help="register the shipped sample works and check posts that copy them"
    )
    demo.add_argument(
        "--db", default=None, help="registry file to use (default: a registry in memory)"
    )
    demo.set_defaults(func=_demo)

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
    reg.set_defaults(func=_register)

    chk = sub.add_parser("check", help="check texts against a registry")
    chk.add_argument("db", metavar="DB", help="registry file")
    inputs(chk)
    chk.add_argument("--format", choices=("text", "jsonl", "html"), default="text")
    chk.add_argument("-o", "--output", default=None, help="output file (default stdout)")
    chk.add_argument("--min-chars", type=int, default=None, help="copied characters for a hit")
    chk.add_argument("--top-k", type=int, default=None, help="at most this many hits per text")
    chk.set_defaults(func=_check)

    dd = sub.add_parser("dedup", help="cluster near-duplicate texts")
    inputs(dd)
    dd.add_argument("-o", "--output", required=True, help="output .jsonl or .parquet (id, cluster)")
    dd.add_argument("--threshold", type=float, default=0.8, help="Jaccard threshold (0.8)")
    dd.set_defaults(func=_dedup)

    cmp_ = sub.add_parser("compare", help="compare two text files")
    cmp_.add_argument("a", metavar="A", help="the text checked (UTF-8 file)")
    cmp_.add_argument("b", metavar="B", help="the source text (UTF-8 file)")
    cmp_.add_argument("--html", default=None, metavar="OUT", help="also write an HTML report")
    cmp_.set_defaults(func=_compare)

    info = sub.add_parser("info", help="show a registry's size and manifest")
    info.add_argument("db", metavar="DB")
    info.set_defaults(func=_info)

    rb = sub.add_parser(
        "rebuild",
        help="re-fingerprint a registry's stored texts (after an upgrade, or to change settings)",
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors exit 2, --help/--version exit 0
        return int(exc.code or 0)
    try:
        code: int = args.func(args)
    except TextprintError as exc:
        print(f"textprint: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("textprint: interrupted", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
