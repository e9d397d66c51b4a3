"""The manifest: every setting and version that produced a registry's index, how a file's is
read and checked, and how a new file's is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .._tables import OPENCC_VERSION, TABLES_VERSION, UNICODE_VERSION
from .._validation import check_settings
from ..errors import FormatError, IncompatibleError, StorageError
from ..hashing import HASH_SCHEME
from ..normalization import normalization_identity
from ..tokenization import tokenizer_identity
from ._store import FORMAT, FORMAT_VERSION, TABLE_VERSIONS, Store

DEFAULTS: dict[str, Any] = {
    "k": 5,
    "window": 10,
    "n_hashes": 128,
    "tokenizer": "auto",
    "seed": 0,
    "scheme": "oph",
}


def validate_settings(settings: dict[str, Any]) -> None:
    """Check the settings present in `settings` (all of them when creating a file)."""
    check_settings(settings)  # n_hashes as a banded length: editions are grouped by band keys


def textprint_version() -> str:
    from .. import __version__

    return __version__


def settings_manifest(settings: dict[str, Any], store_text: bool) -> dict[str, str]:
    """The manifest of a registry built with `settings` by this textprint."""
    tok = settings["tokenizer"]
    return {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "textprint_version": textprint_version(),
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


class _CreatedElsewhereError(Exception):
    """Another connection created the registry between our look and our write."""


def open_manifest(
    store: Store, path: Path | None, explicit: dict[str, Any], store_text: bool | None
) -> dict[str, str]:
    """The manifest of the file: read and checked (format, version, tables, explicit settings),
    or written with the settings when the file is new."""
    db = store
    tables = db.tables()
    if not tables:
        try:
            return _create(store, explicit, store_text)
        except _CreatedElsewhereError:
            return open_manifest(store, path, explicit, store_text)
    where = repr(str(path))
    if "manifest" not in tables:
        raise FormatError(
            f"{where} is an SQLite database but not a textprint registry "
            f"(no manifest table; expected format {FORMAT} version {FORMAT_VERSION})"
        )
    try:
        manifest = db.read_manifest()
    except FormatError:
        raise
    except StorageError as exc:
        raise FormatError(
            f"{where} is not a textprint registry (its manifest table is not textprint's: {exc})"
        ) from exc
    if manifest.get("format") != FORMAT:
        raise FormatError(f"{where} is not a textprint registry")
    try:
        version = int(manifest.get("format_version", ""))
    except ValueError as exc:
        raise FormatError(f"{where} has a corrupt manifest") from exc
    if version > FORMAT_VERSION:
        raise FormatError(
            f"{where} has registry format version {version}; this textprint "
            f"({textprint_version()}) reads versions up to {FORMAT_VERSION}: upgrade textprint",
            found=version,
            supported=FORMAT_VERSION,
        )
    if version < FORMAT_VERSION:
        raise FormatError(
            f"{where} is a registry in format {version} (textprint 0.1); this textprint "
            f"reads format {FORMAT_VERSION}. Upgrade the file once, keeping every work and "
            f"its metadata: `textprint rebuild {path}` or "
            f"tp.Registry.upgrade({str(path)!r})",
            found=version,
            supported=FORMAT_VERSION,
        )
    missing = sorted(set(TABLE_VERSIONS) - tables)
    if missing:
        raise FormatError(
            f"{where} is a damaged textprint registry: table(s) {', '.join(missing)} "
            "missing; restore it from a backup"
        )
    check_layout(manifest, path)
    diffs = []
    differences: dict[str, tuple[Any, Any]] = {}
    for name, value in explicit.items():
        if value is None:
            continue
        stored = manifest.get(name)
        if str(value) != stored:
            diffs.append(f"{name}={value!r} (the file has {name}={stored})")
            differences[name] = (value, stored)
    if store_text is not None and str(bool(store_text)) != manifest.get("store_text"):
        diffs.append(f"store_text={store_text} (the file has {manifest.get('store_text')})")
        differences["store_text"] = (store_text, manifest.get("store_text"))
    if diffs:
        raise IncompatibleError(
            f"registry {where} was built with other settings: "
            + "; ".join(diffs)
            + ". Open it without these arguments to adopt its settings, or rebuild it "
            "with Registry(path).rebuild(...)",
            differences=differences,
        )
    return manifest


def _create(store: Store, explicit: dict[str, Any], store_text: bool | None) -> dict[str, str]:
    settings = {n: (DEFAULTS[n] if v is None else v) for n, v in explicit.items()}
    validate_settings(settings)
    manifest = settings_manifest(settings, True if store_text is None else store_text)
    db = store
    with db.write() as conn:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'manifest'").fetchone():
            # another process created the registry meanwhile: adopt it instead
            raise _CreatedElsewhereError
        db.create_schema(manifest)
    return manifest


def check_layout(manifest: dict[str, str], path: Path | None) -> None:
    """Refuse a file whose tables have a layout newer than this textprint reads."""
    for table, supported in TABLE_VERSIONS.items():
        raw = manifest.get(f"table_version.{table}")
        try:
            found = int(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise FormatError(
                f"registry {str(path)!r} has a corrupt manifest (table_version.{table}="
                f"{raw!r}); restore it from a backup"
            ) from exc
        if found > supported:
            raise FormatError(
                f"registry {str(path)!r} has its {table!r} table in layout version "
                f"{found}; this textprint ({textprint_version()}) reads versions up to "
                f"{supported}: upgrade textprint",
                found=found,
                supported=supported,
            )


#: The manifest entries the fingerprints depend on, besides the settings.
PIPELINE_KEYS = (
    "normalization",
    "tables_version",
    "unicode_version",
    "opencc_version",
    "tokenizer_identity",
    "hash",
)


def stale_entries(manifest: dict[str, str], tokenizer: str) -> list[str]:
    """The pipeline entries of `manifest` that differ from this textprint's (each compared on
    its own, so an edited or partly written manifest cannot pass)."""
    current = {
        "normalization": normalization_identity(),
        "tables_version": TABLES_VERSION,
        "unicode_version": UNICODE_VERSION,
        "opencc_version": OPENCC_VERSION,
        "tokenizer_identity": tokenizer_identity(tokenizer),
        "hash": HASH_SCHEME,
    }
    return [
        f"{key}: the file has {manifest.get(key)!r}, this textprint has {value!r}"
        for key, value in current.items()
        if manifest.get(key) != value
    ]
