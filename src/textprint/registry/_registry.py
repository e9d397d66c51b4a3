"""The Registry facade: registration and checks composed from the registry's stages."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from .._tables import OPENCC_VERSION, TABLES_VERSION, UNICODE_VERSION
from .._typing import UInt64Array
from .._validation import (
    check_choice,
    check_int,
    check_probability,
    check_seconds,
    check_settings,
    check_text,
    check_texts,
    iterates,
)
from ..errors import (
    DuplicateWorkError,
    FormatError,
    IncompatibleError,
    InvalidInputError,
    InvalidParameterError,
    StorageError,
    TooShortError,
    UnknownWorkError,
)
from ..hashing import HASH_SCHEME, fmix64
from ..lsh import band_keys, optimal_bands
from ..minhash import EMPTY, MinHasher
from ..normalization import normalization_identity
from ..tokenization import Tokenizer, tokenizer_identity
from . import _candidates, _long, _postings, _significance
from ._check import Options, candidates_of
from ._export import ExportedWork, IndexExport
from ._prepare import Text, prepare
from ._results import (
    MIN_CONTAINMENT,
    Evidence,
    Hit,
    Work,
    hits_of,
)
from ._rows import (
    check_work_id,
    compress_blocks,
    decompress_text,
    id_from_db,
    id_param,
    metadata_from_db,
    metadata_json,
    now,
    sha256,
)
from ._segments import (
    FamilyData,
    Found,
    Index,
    concat_found,
    merge_plan,
    merge_segments,
    write_segment,
)
from ._store import (
    FLAG_CJK,
    FLAG_DOC_JA,
    FORMAT,
    FORMAT_VERSION,
    TABLE_VERSIONS,
    NewWork,
    Store,
    WorkIdentity,
    WorkStats,
    check_path,
)
from ._verify import WorkTexts, verify_fingerprints, verify_texts

#: Near-duplicate works (editions) are grouped when their estimated Jaccard reaches this.
EDITION_THRESHOLD = 0.5
#: A text longer than this many characters is checked in overlapping segments of about this
#: size (API.md: huge texts are processed in chunks), so the working memory of a check is
#: bounded by the segment, not by the text.
CHECK_SEGMENT_CHARS = 1 << 20
#: What `too_short` accepts.
TOO_SHORT = ("raise", "skip", "accept")
#: Band keys of different bands never meet: each is mixed with its band's number.
_BAND_MIX = np.uint64(0x9E3779B97F4A7C15)

_DEFAULTS: dict[str, Any] = {
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


def _version() -> str:
    from .. import __version__

    return __version__


def settings_manifest(settings: dict[str, Any], store_text: bool) -> dict[str, str]:
    """The manifest of a registry built with `settings` by this textprint."""
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
        Length of the MinHash signatures that group editions, at most 1024.
    tokenizer : str, default "auto"
        "auto", "char", "jieba", "mecab" or "sudachi", as in :func:`~textprint.tokenize`.
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
        If `path` is not a textprint registry, is damaged, was written by a newer textprint
        (``format_version`` or a ``table_version.*`` above what this version reads), or is in
        format 1 (upgrade it once with :meth:`upgrade` or ``textprint rebuild``).
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

    The index is a set of immutable posting segments stored in the file (see
    docs/explanation/registry.md): each batch of works writes one, and small segments are
    merged into larger ones as registration goes on, or all at once by :meth:`compact`.

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
        timeout = check_seconds(timeout, "timeout")
        self.path = check_path(path)
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
        validate_settings({n: v for n, v in explicit.items() if v is not None})
        self._store: Store | None = Store(self.path, timeout)
        try:
            manifest = self._read_or_create(explicit, store_text)
            self._configure(manifest)
        except BaseException:
            self._store.close()
            self._store = None
            raise
        self._index = Index(self._db)
        self._seen_version = -1
        self._n_clusters = 0
        self._sizes: dict[int, _significance.RegistrySizes] = {}  # per segment

    # -- opening --------------------------------------------------------------------------------

    @property
    def _db(self) -> Store:
        if self._store is None or self._store.closed:
            raise StorageError("the registry is closed: open it again with tp.Registry(path)")
        return self._store

    def _read_or_create(self, explicit: dict[str, Any], store_text: bool | None) -> dict[str, str]:
        db = self._db
        tables = db.tables()
        if not tables:
            try:
                return self._create(explicit, store_text)
            except _CreatedElsewhereError:
                return self._read_or_create(explicit, store_text)
        where = repr(str(self.path))
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
                f"{where} is not a textprint registry (its manifest table is not textprint's: "
                f"{exc})"
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
                f"({_version()}) reads versions up to {FORMAT_VERSION}: upgrade textprint",
                found=version,
                supported=FORMAT_VERSION,
            )
        if version < FORMAT_VERSION:
            raise FormatError(
                f"{where} is a registry in format {version} (textprint 0.1); this textprint "
                f"reads format {FORMAT_VERSION}. Upgrade the file once, keeping every work and "
                f"its metadata: `textprint rebuild {self.path}` or "
                f"tp.Registry.upgrade({str(self.path)!r})",
                found=version,
                supported=FORMAT_VERSION,
            )
        missing = sorted(set(TABLE_VERSIONS) - tables)
        if missing:
            raise FormatError(
                f"{where} is a damaged textprint registry: table(s) {', '.join(missing)} "
                "missing; restore it from a backup"
            )
        self._check_layout(manifest)
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

    def _create(self, explicit: dict[str, Any], store_text: bool | None) -> dict[str, str]:
        settings = {n: (_DEFAULTS[n] if v is None else v) for n, v in explicit.items()}
        validate_settings(settings)
        manifest = settings_manifest(settings, True if store_text is None else store_text)
        db = self._db
        with db.write() as conn:
            if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'manifest'").fetchone():
                # another process created the registry meanwhile: adopt it instead
                raise _CreatedElsewhereError
            db.create_schema(manifest)
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
                    "upgrade textprint",
                    found=found,
                    supported=supported,
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

    def _require_fresh(self) -> None:
        if self._stale:
            raise IncompatibleError(
                "the registry's index was built by another version of textprint's pipeline ("
                + "; ".join(self._stale)
                + "): run reg.rebuild() (or `textprint rebuild DB`) to re-fingerprint the "
                "stored texts"
            )

    def _refresh(self) -> None:
        """After another connection's commit (or our own): adopt a manifest it rewrote (a
        rebuild), the live segments and removed works, and the cluster count."""
        db = self._db
        version = db.data_version()
        if version == self._seen_version:
            return
        manifest = db.read_manifest()
        if manifest != self._manifest:
            self._configure(manifest)
        try:
            self._index.refresh()
        except ValueError as exc:
            raise FormatError(f"registry {db.where} is damaged ({exc}); restore it") from exc
        self._n_clusters = db.n_clusters()
        self._seen_version = version

    def _changed(self) -> None:
        """Our own commit: data_version does not change for it, so forget what it guarded."""
        self._seen_version = -1

    # -- the one pass over a batch of texts -----------------------------------------------------

    def _signature_rows(self, sh: Any) -> UInt64Array:
        """MinHash signatures of the documents of a shingle batch (as MinHasher.signatures)."""
        hasher = self._hasher
        if self.scheme == "datasketch":
            rows: UInt64Array = hasher._minima(sh)
        else:
            rows = hasher._from_hashes(sh.hashes, sh.bounds)
        return rows

    def _prepare(
        self, texts: Sequence[str], *, align: bool, sign: bool
    ) -> tuple[list[Text], list[UInt64Array]]:
        return prepare(
            texts,
            k=self.k,
            window=self.window,
            seed=self.seed,
            tokenizer=self.tokenizer,
            align=align,
            minima=self._signature_rows if sign else None,
        )

    # -- registration ---------------------------------------------------------------------------

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
            What to do with a text too short to ever be found (fewer than ``k`` tokens after
            normalization: no shingle of ``k`` tokens, so no text longer than it shares a
            fingerprint with it): raise TooShortError, skip it, or register it anyway.

        Raises
        ------
        DuplicateWorkError
            If `work_id` is registered and `replace` is False.
        TooShortError
            If the text can never be found and `too_short` is "raise".
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
        too_short: str = "raise",
        on_commit: Any = None,
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
        too_short : {"raise", "skip", "accept"}, default "raise"
            As in :meth:`register`; skipped works are not in the returned list.
        on_commit : callable, optional
            Called with the list of work ids of each batch right after it commits (progress,
            resumable imports).

        Returns
        -------
        list of str or int
            The work ids committed, in order. Each batch is durable once committed: if a later
            batch fails, the earlier ones stay registered.

        Raises
        ------
        InvalidInputError
            If `items` is not an iterable of such tuples, or one has the wrong types.
        DuplicateWorkError
            If a work_id is registered (and `replace` is False) or appears twice in a batch.
        TooShortError
            If a text can never be found and `too_short` is "raise" (its batch is not
            committed).
        """
        self._db.conn  # noqa: B018 - raises StorageError when closed
        batch_size = check_int(batch_size, "batch_size", low=1)
        too_short = check_choice(too_short, "too_short", TOO_SHORT)
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
                done.extend(self._commit_batch(batch, replace, too_short, on_commit))
                batch = []
        if batch:
            done.extend(self._commit_batch(batch, replace, too_short, on_commit))
        return done

    @staticmethod
    def _check_item(item: Any) -> tuple[str | int, str, Any]:
        if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
            raise InvalidInputError(
                f"each item must be (work_id, text) or (work_id, text, metadata), got {item!r:.80}"
            )
        work_id = check_work_id(item[0])
        check_text(item[1])
        metadata = item[2] if len(item) == 3 else None
        metadata_json(metadata)
        return work_id, item[1], metadata

    def _commit_batch(
        self,
        batch: list[tuple[str | int, str, Any]],
        replace: bool,
        too_short: str,
        on_commit: Any,
    ) -> list[str | int]:
        db = self._db
        with db.snapshot():
            self._refresh()
        self._require_fresh()
        ids = [str(w) for w, _, _ in batch]
        if len(set(ids)) != len(ids):
            seen: set[str] = set()
            dup = next(i for i in ids if i in seen or seen.add(i))  # type: ignore[func-returns-value]
            raise DuplicateWorkError(
                f"work_id {dup!r} appears twice in one batch", work_id=batch[ids.index(dup)][0]
            )
        texts = [t for _, t, _ in batch]
        prepared, sigs = self._prepare(texts, align=False, sign=True)
        keep = []
        for item, p in zip(batch, prepared):
            # fewer than k tokens: a single short shingle, which no text of k tokens or more
            # can share
            if p.n_tokens >= self.k or too_short == "accept":
                keep.append(True)
                continue
            if too_short == "raise":
                raise TooShortError(
                    f"work_id {item[0]!r} is too short to ever be found: after normalization it "
                    f"has fewer than k={self.k} tokens, so no text can share a fingerprint with "
                    f"it (text {item[1][:40]!r}); "
                    "pass too_short='skip' to leave such works out or 'accept' to register them "
                    "anyway",
                    work_id=item[0],
                )
            keep.append(False)
        rows = [(item, p, s) for item, p, s, ok in zip(batch, prepared, sigs, keep) if ok]
        if rows:
            registered_at = now()
            with db.write() as conn:
                self._index.refresh()
                self._insert_works(conn, rows, registered_at, replace)
            self._changed()
            self._maybe_merge()
        committed = [item[0] for item, _, _ in rows]
        if on_commit is not None:
            on_commit(committed)
        return committed

    def _insert_works(
        self,
        conn: Any,
        rows: list[tuple[tuple[str | int, str, Any], Text, UInt64Array]],
        registered_at: str,
        replace: bool,
        *,
        rowids: Sequence[int] | None = None,
    ) -> None:
        """Insert works (and their segment) inside the caller's transaction. With `rowids`
        (a rebuild), the works' rows exist: they are updated in place."""
        db = self._db
        if rowids is None:
            existing = db.rowids_of(conn, [item[0] for item, _, _ in rows])
            for (item, _, _), rowid in zip(rows, existing):
                if rowid is None:
                    continue
                if not replace:
                    raise DuplicateWorkError(
                        f"work_id {item[0]!r} is already registered; pass replace=True to "
                        "replace it",
                        work_id=item[0],
                    )
                self._delete(conn, rowid)
        sigs = np.array([s for _, _, s in rows], dtype=np.uint64).reshape(len(rows), -1)
        clusters = self._clusters_for(conn, sigs)
        new_rowids: list[int] = []
        cluster_ids: list[int] = []
        stats: list[tuple[int, int, int]] = []
        pending: dict[int, list[int]] = {}  # band key -> positions in this batch
        keys = self._band_keys(sigs)
        for i, ((work_id, text, metadata), p, sig) in enumerate(rows):
            cluster = clusters[i]
            if keys is not None and bool((sig != EMPTY).any()):
                near = {j for key in keys[i].tolist() for j in pending.get(key, ())}
                best = self._best_edition(
                    sig, [(new_rowids[j], cluster_ids[j], sigs[j]) for j in near]
                )
                if best is not None and (
                    cluster is None
                    or best[0] > cluster[0]
                    or (best[0] == cluster[0] and best[1] < cluster[1])
                ):
                    cluster = best
                for key in keys[i].tolist():
                    pending.setdefault(key, []).append(i)
            flags = (FLAG_CJK if p.cjk else 0) | (FLAG_DOC_JA if p.doc_ja else 0)
            record = NewWork(
                work_id=work_id,
                metadata_json=metadata_json(metadata),
                registered_at=registered_at,
                sha256=sha256(text),
                n_chars=len(text),
                n_tokens=p.n_tokens,
                token_chars=p.token_chars,
                n_shingles=len(p.shingles),
                n_fp=len(p.fp_hashes),
                flags=flags,
                cluster=0 if cluster is None else cluster[1],
                signature=np.ascontiguousarray(sig & np.uint64(0xFFFFFFFF), "<u4").tobytes(),
            )
            if rowids is None:
                rowid = db.insert_work(conn, record)
                if self.store_text:
                    db.write_text_blocks(conn, rowid, compress_blocks(text))
            else:
                rowid = rowids[i]
                db.update_work(conn, rowid, record)
            new_rowids.append(rowid)
            cluster_ids.append(record.cluster or rowid)
            stats.append((len(text), p.n_tokens, p.token_chars))
        self._write_segment(conn, rows, new_rowids, cluster_ids, stats, keys, sigs)

    def _write_segment(
        self,
        conn: Any,
        rows: list[tuple[tuple[str | int, str, Any], Text, UInt64Array]],
        rowids: list[int],
        clusters: list[int],
        stats: list[tuple[int, int, int]],
        keys: UInt64Array | None,
        sigs: UInt64Array,
    ) -> None:
        order = np.argsort(np.array(rowids, dtype=np.int64), kind="stable")
        works = np.array(rowids, dtype=np.int64)[order]
        local = np.empty(len(order), dtype=np.int64)
        local[order] = np.arange(len(order))
        fp_keys, fp_work, fp_start, fp_len = [], [], [], []
        for i, (_, p, _) in enumerate(rows):
            fp_keys.append(_postings.key_of(p.fp_hashes))
            fp_work.append(np.full(len(p.fp_hashes), local[i], dtype=np.int64))
            fp_start.append(p.fp_starts)
            fp_len.append(p.fp_ends - p.fp_starts)
        families = {
            _postings.FP: FamilyData(
                keys=np.concatenate(fp_keys) if fp_keys else np.zeros(0, np.uint64),
                work=np.concatenate(fp_work) if fp_work else np.zeros(0, np.int64),
                start=np.concatenate(fp_start) if fp_start else np.zeros(0, np.int64),
                length=(np.concatenate(fp_len) if fp_len else np.zeros(0, np.int64))
                if not self.store_text
                else None,
            )
        }
        if keys is not None:
            valid = ~(sigs == EMPTY).all(axis=1)
            families[_postings.BAND] = FamilyData(
                keys=_postings.key_of(keys[valid].ravel()),
                work=np.repeat(local[valid], keys.shape[1]),
            )
        write_segment(
            self._db,
            conn,
            works,
            np.array(clusters, dtype=np.int64)[order],
            np.array(stats, dtype=np.int64).reshape(-1, 3)[order],
            families,
            coarse=self.store_text,
        )

    def _band_keys(self, sigs: UInt64Array) -> UInt64Array | None:
        """Per signature, its band keys (each mixed with its band's number), shape
        (n, bands)."""
        if not len(sigs):
            return None
        keys = band_keys(sigs, self._bands, self._rows)
        mixed: UInt64Array = fmix64(
            keys + np.arange(1, self._bands + 1, dtype=np.uint64)[None, :] * _BAND_MIX
        )
        return mixed

    def _clusters_for(self, conn: Any, sigs: UInt64Array) -> list[tuple[float, int] | None]:
        """For each signature, (estimate, cluster) of the most similar registered edition
        (estimate >= EDITION_THRESHOLD; ties by the smaller cluster), or None."""
        out: list[tuple[float, int] | None] = [None] * len(sigs)
        keys = self._band_keys(sigs)
        if keys is None:
            return out
        valid = ~(sigs == EMPTY).all(axis=1)
        flat = _postings.key_of(keys[valid].ravel())
        if not len(flat):
            return out
        unique = np.unique(flat)
        found = self._index.lookup(_postings.BAND, unique, records=True)
        if not len(found.qi):
            return out
        owner = np.flatnonzero(valid).repeat(keys.shape[1])
        # the signatures of the works sharing a band with each new work
        per_key: dict[int, list[int]] = {}
        for qi, r in zip(found.qi.tolist(), range(len(found.qi))):
            per_key.setdefault(qi, []).append(r)
        sig_rows = self._db.signatures(conn, np.unique(found.rowid).tolist())
        at = np.searchsorted(unique, flat)
        near: dict[int, set[int]] = {}
        for i, u in zip(owner.tolist(), at.tolist()):
            for r in per_key.get(u, ()):
                near.setdefault(i, set()).add(r)
        for i, rs in near.items():
            cands = [
                (int(found.rowid[r]), int(found.cluster[r]), sig_rows[int(found.rowid[r])])
                for r in rs
                if int(found.rowid[r]) in sig_rows
            ]
            out[i] = self._best_edition(sigs[i], cands)
        return out

    @staticmethod
    def _best_edition(
        sig: UInt64Array, cands: Sequence[tuple[int, int, Any]]
    ) -> tuple[float, int] | None:
        """(estimate, cluster) of the best candidate at or above EDITION_THRESHOLD; a
        candidate's signature is its stored bytes (low 32 bits) or a full uint64 row."""
        best: tuple[float, int] | None = None
        s32 = (sig & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        valid = sig != EMPTY
        for _, cluster, other in cands:
            if isinstance(other, (bytes, bytearray)):
                o32 = np.frombuffer(other, dtype="<u4")
            else:
                o32 = (np.asarray(other, dtype=np.uint64) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
            if len(o32) != len(s32):
                continue
            est = float(((o32 == s32) & valid).mean())
            if est >= EDITION_THRESHOLD and (best is None or (est, -cluster) > (best[0], -best[1])):
                best = (est, int(cluster))
        return best

    def _delete(self, conn: Any, rowid: int) -> None:
        """Remove a work inside the caller's transaction: its row and text go, its postings
        are ignored until a merge drops them."""
        seg = self._index.segment_of(rowid)
        db = self._db
        if seg is not None:
            conn.execute(
                "INSERT OR REPLACE INTO removed(work, segment, n_records) VALUES (?, ?, 0)",
                (rowid, seg),
            )
        db.delete_work(conn, rowid)
        # the index view of this transaction must see the removal too (a replace in one batch)
        self._index.removed = np.union1d(self._index.removed, [rowid])

    def remove(self, work_id: str | int) -> None:
        """Remove a registered work.

        Raises
        ------
        UnknownWorkError
            If `work_id` is not registered.
        """
        db = self._db
        work_id = check_work_id(work_id)
        with db.write() as conn:
            self._index.refresh()
            (rowid,) = db.rowids_of(conn, [work_id])
            if rowid is None:
                raise UnknownWorkError(f"work_id {work_id!r} is not registered", work_id=work_id)
            self._delete(conn, rowid)
        self._changed()

    def _maybe_merge(self) -> None:
        """Merge segments as the merge policy asks, one transaction per merge."""
        db = self._db
        while True:
            with db.write() as conn:
                self._index.refresh()
                segs = [(s, v.n_records) for s, v in sorted(self._index.views.items())]
                plan = merge_plan(segs)
                if plan is None:
                    return
                merge_segments(db, conn, self._index, plan, coarse=self.store_text)
            self._changed()

    def compact(self) -> None:
        """Merge every posting segment into one and drop removed works' postings.

        Checks read one segment instead of several: do it after a bulk registration, when
        checks start. One transaction (a killed compaction leaves the index as it was).
        """
        db = self._db
        with db.write() as conn:
            self._index.refresh()
            segs = sorted(self._index.views)
            if len(segs) > 1 or (segs and len(self._index.removed)):
                merge_segments(db, conn, self._index, segs, coarse=self.store_text)
        self._changed()

    # -- reading --------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._db.n_works()

    def __contains__(self, work_id: object) -> bool:
        if isinstance(work_id, bool) or not isinstance(work_id, (str, int, np.integer)):
            return False
        key = id_param(check_work_id(work_id))
        return bool(self._db.read("SELECT 1 FROM works WHERE work_id = ?", (key,)))

    def __iter__(self) -> Iterator[str | int]:
        rows = self._db.read("SELECT work_id, id_is_int FROM works ORDER BY rowid")
        return iter([id_from_db(w, is_int) for w, is_int in rows])

    def get(self, work_id: str | int) -> Work:
        """The registered work `work_id`.

        Raises
        ------
        UnknownWorkError
            If `work_id` is not registered.
        """
        work_id = check_work_id(work_id)
        db = self._db
        with db.snapshot():
            rows = db.read(
                "SELECT rowid, work_id, id_is_int, metadata, registered_at, sha256 FROM works "
                "WHERE work_id = ?",
                (id_param(work_id),),
            )
            if not rows:
                raise UnknownWorkError(f"work_id {work_id!r} is not registered", work_id=work_id)
            rowid, wid, is_int, meta, at, sha = rows[0]
            text = None
            if self.store_text:
                with db.lock:
                    text = decompress_text(db.all_text_blocks(db.conn, rowid))
        return Work(
            work_id=id_from_db(wid, is_int),
            text=text,
            metadata=metadata_from_db(meta),
            registered_at=datetime.fromisoformat(at),
            sha256=sha,
        )

    # -- checking -------------------------------------------------------------------------------

    def check(
        self,
        text: str,
        *,
        min_chars: int | None = None,
        min_containment: float = MIN_CONTAINMENT,
        top_k: int | None = None,
        unattributed_only: bool = False,
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
        unattributed_only : bool, default False
            Report only unattributed copying: a work is reported when the passages that are
            neither quoted nor attributed (``Hit.unattributed_chars``) pass the evidence
            rule on their own, so quotations and reposts that name their source are left
            alone. The default reports all copying, as a check always has.

        Returns
        -------
        list of Hit
            One per copied work, sorted by copied query characters (ties by work_id); ``[]``
            when nothing is copied. Each carries its passages' details (identical or edited,
            evasions seen, quoted, attributed) and its E-value (docs/explanation/evidence.md).

        Notes
        -----
        A check looks the text's fingerprints up in the index, keeps the works whose shared
        fingerprints leave room for a hit (docs/explanation/registry.md, "Candidates that can
        pass"), and aligns the text with those works around the shared fingerprints only.

        A text longer than ``CHECK_SEGMENT_CHARS`` (2**20 characters) is checked in
        overlapping segments, so memory does not grow with the text; each work's passages
        from all segments are merged and the evidence rule is applied to the merged hit (a
        copy split over two segments counts whole). Shorter texts are checked in one pass.
        """
        check_text(text)
        return self.check_many(
            [text],
            min_chars=min_chars,
            min_containment=min_containment,
            top_k=top_k,
            unattributed_only=unattributed_only,
        )[0]

    def check_many(
        self,
        texts: Iterable[str],
        *,
        min_chars: int | None = None,
        min_containment: float = MIN_CONTAINMENT,
        top_k: int | None = None,
        unattributed_only: bool = False,
    ) -> list[list[Hit]]:
        """:meth:`check` for many texts at once (one preparation pass for the batch)."""
        db = self._db
        docs = check_texts(texts)
        if min_chars is not None:
            min_chars = check_int(min_chars, "min_chars", low=0)
        min_containment = check_probability(min_containment, "min_containment")
        if top_k is not None:
            top_k = check_int(top_k, "top_k", low=1)
        unattributed_only = check_choice(unattributed_only, "unattributed_only", (False, True))
        out: list[list[Hit]] = [[] for _ in docs]
        with db.snapshot():
            self._refresh()
            self._require_fresh()
            if not docs:
                return []
            opts = Options(min_chars, min_containment, top_k, unattributed_only)
            # Texts are checked in batches of at most CHECK_SEGMENT_CHARS characters, and a
            # longer text alone in overlapping segments: memory is bounded by the segment, not
            # the input. Each text's hits do not depend on the batch it is checked in.
            batch: list[int] = []
            size = 0
            for d, text in enumerate([*docs, None]):
                if text is not None and len(text) > CHECK_SEGMENT_CHARS:
                    out[d] = _long.check_long(self, text, opts)
                    continue
                if batch and (text is None or size + len(text) > CHECK_SEGMENT_CHARS):
                    for i, hits in zip(batch, self._check_batch([docs[i] for i in batch], opts)):
                        out[i] = hits
                    batch, size = [], 0
                if text is not None:
                    batch.append(d)
                    size += len(text)
        return out

    def _limit(self) -> int:
        return _candidates.common_limit(self._n_clusters)

    def _work_sizes(self) -> _significance.RegistrySizes:
        """The sizes of the registered works, as the E-values need them: one summary per
        segment (segments never change), combined. Works removed but still in a segment count
        until it is merged."""
        views = self._index.views
        for seg in [s for s in self._sizes if s not in views]:
            del self._sizes[seg]
        for seg, view in views.items():
            if seg not in self._sizes:
                view.load_works(self._db)
                assert view.stats is not None
                self._sizes[seg] = _significance.RegistrySizes.of(view.stats[:, 1])
        return _significance.RegistrySizes.combine(self._sizes.values())

    def _find_candidates(
        self, q: Text, opts: Options
    ) -> tuple[list[_candidates.Candidate], list[tuple[int, int]]]:
        """The candidates of one prepared text and the spans of its common phrases."""
        look = _candidates.find(
            lambda keys: self._index.lookup(_postings.FP, keys), q.fp_hashes, self._limit()
        )
        return candidates_of(
            q, look, window=self.window, k=self.k, opts=opts, sizes=self._work_sizes()
        )

    def _check_batch(self, docs: list[str], opts: Options) -> list[list[Hit]]:
        """Check texts as one batch: one preparation pass, then per text its candidates,
        their verification, and the hits."""
        prepared, sigs = self._prepare(docs, align=True, sign=not self.store_text)
        found: list[list[Evidence]] = []
        for d, q in enumerate(prepared):
            cands, boilerplate = self._find_candidates(q, opts)
            found.append(self._verify(q, cands, boilerplate, sigs[d] if sigs else None, opts))
        return self._hits(found, opts, docs)

    def _verify(
        self,
        q: Text,
        cands: list[_candidates.Candidate],
        boilerplate: list[tuple[int, int]],
        q_signature: UInt64Array | None,
        opts: Options,
    ) -> list[Evidence]:
        if not cands:
            return []
        db = self._db
        stats = db.stats(c.rowid for c in cands)
        cands = [c for c in cands if c.rowid in stats]  # removed meanwhile: not in the snapshot
        if not self.store_text:
            assert q_signature is not None
            with db.lock:
                sigs = db.signatures(db.conn, [c.rowid for c in cands])
            return verify_fingerprints(
                q,
                cands,
                stats,
                q_signature,
                sigs,
                window=self.window,
                k=self.k,
                min_chars=opts.min_chars,
                min_containment=opts.min_containment,
            )
        return verify_texts(
            q,
            cands,
            WorkTexts(db.text_blocks, stats),
            k=self.k,
            seed=self.seed,
            tokenizer=self.tokenizer,
            window=self.window,
            boilerplate=boilerplate,
            min_chars=opts.min_chars,
            min_containment=opts.min_containment,
        )

    def _hits(
        self, found: list[list[Evidence]], opts: Options, texts: Sequence[str]
    ) -> list[list[Hit]]:
        """The Hits of checked `texts` from their verified evidence (`hits_of`)."""
        who = self._db.identities(e.rowid for ev in found for e in ev)
        return [
            hits_of(
                ev,
                who,
                text,
                min_chars=opts.min_chars,
                min_containment=opts.min_containment,
                top_k=opts.top_k,
                unattributed_only=opts.unattributed_only,
            )
            for ev, text in zip(found, texts)
        ]

    def export_index(self) -> IndexExport:
        """The evidence index as arrays, for engines that run checks elsewhere (Spark).

        Every fingerprint posting that counts as evidence now (common phrases left out, as a
        check leaves them out), the common keys, and every work's identity, statistics and
        stored text (compressed blocks). See :mod:`textprint.integrations.spark`.

        Raises
        ------
        StorageError
            If the registry does not store its works' texts.
        IncompatibleError
            If the registry needs a rebuild.
        """
        if not self.store_text:
            raise StorageError("exporting for remote checks needs the works' texts (store_text)")
        db = self._db
        with db.snapshot():
            self._refresh()
            self._require_fresh()
            limit = self._limit()
            parts = [
                got
                for view in self._index.views.values()
                if (got := view.all_postings(db, _postings.FP)) is not None
            ]
            if parts:
                keys = np.concatenate([k for k, _ in parts])
                found = concat_found([f for _, f in parts])
            else:
                keys = np.zeros(0, np.uint64)
                found = concat_found([])
            alive = ~np.isin(found.rowid, self._index.removed)
            order = np.lexsort((found.start[alive], found.rowid[alive], keys[alive]))
            keys = keys[alive][order]
            found = Found(*(getattr(found, f)[alive][order] for f in Found._fields))
            unique, inv = np.unique(keys, return_inverse=True)
            n_clusters = _candidates.distinct_per_group(inv, found.cluster, len(unique))
            common_u = n_clusters >= limit
            keep = ~common_u[inv]
            rows = db.read(
                "SELECT rowid, work_id, id_is_int, metadata, n_chars, n_tokens, token_chars, "
                "n_shingles, n_fp, flags, cluster FROM works"
            )
            works = {}
            with db.lock:
                for r in rows:
                    rowid = int(r[0])
                    works[rowid] = ExportedWork(
                        identity=WorkIdentity(rowid, r[1], int(r[2]), r[3]),
                        stats=WorkStats(rowid, *(int(x) for x in r[4:11])),
                        blocks=tuple(db.all_text_blocks(db.conn, rowid)),
                    )
        return IndexExport(
            settings={
                "k": self.k,
                "window": self.window,
                "seed": self.seed,
                "tokenizer": self.tokenizer,
                "sizes": _significance.RegistrySizes.of(
                    np.array([w.stats.n_tokens for w in works.values()], np.int64)
                ),
            },
            keys=keys[keep],
            rowid=found.rowid[keep],
            cluster=found.cluster[keep],
            start=found.start[keep],
            stats=found.stats[keep],
            common=unique[common_u],
            works=works,
        )

    # -- maintenance ----------------------------------------------------------------------------

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

        Raises
        ------
        StorageError
            If the registry was created with ``store_text=False`` (nothing to re-fingerprint).
        InvalidParameterError
            If a setting is invalid (nothing changes).
        """
        if not self.store_text:
            raise StorageError("cannot rebuild: this registry was created with store_text=False")
        batch_size = check_int(batch_size, "batch_size", low=1)
        settings = {
            "k": self.k if k is None else k,
            "window": self.window if window is None else window,
            "n_hashes": self.n_hashes if n_hashes is None else n_hashes,
            "tokenizer": self.tokenizer if tokenizer is None else tokenizer,
            "seed": self.seed if seed is None else seed,
            "scheme": self.scheme if scheme is None else scheme,
        }
        validate_settings(settings)
        manifest = settings_manifest(settings, self.store_text)
        old = self._manifest
        db = self._db
        with db.write() as conn:
            # read inside the write transaction: a work another connection commits meanwhile
            # is either read here or waits for the rebuild
            rowids = [int(r[0]) for r in conn.execute("SELECT rowid FROM works ORDER BY rowid")]
            conn.execute("DELETE FROM segments")
            conn.execute("DELETE FROM segment_blobs")
            conn.execute("DELETE FROM removed")
            conn.execute("DELETE FROM clusters")
            conn.execute("UPDATE counts SET n = 0 WHERE name = 'clusters'")
            conn.execute("DELETE FROM manifest")
            conn.executemany(
                "INSERT INTO manifest(key, value) VALUES (?, ?)", sorted(manifest.items())
            )
            try:
                self._configure(manifest)
                self._index.refresh()
                for lo in range(0, len(rowids), batch_size):
                    chunk = rowids[lo : lo + batch_size]
                    texts = [decompress_text(db.all_text_blocks(conn, r)) for r in chunk]
                    prepared, sigs = self._prepare(texts, align=False, sign=True)
                    rows: list[tuple[tuple[str | int, str, Any], Text, UInt64Array]] = [
                        ((0, t, None), p, s) for t, p, s in zip(texts, prepared, sigs)
                    ]
                    self._insert_works(conn, rows, "", False, rowids=chunk)
                    self._index.refresh()
            except BaseException:
                self._configure(old)
                raise
        self._changed()
        self._maybe_merge()

    @staticmethod
    def upgrade(path: str | os.PathLike[str]) -> None:
        """Upgrade a registry file written by textprint 0.1 (format 1) to this format, in place.

        Every work keeps its id, metadata, registration time and text. With stored texts the
        works are re-fingerprinted under the file's settings; without, their fingerprints and
        band keys are carried over. One transaction: a failure leaves the file as it was. A
        file already in this format is left alone.

        Raises
        ------
        FormatError
            If `path` is not a textprint registry, or is newer than this textprint reads.
        StorageError
            If `path` does not exist or cannot be written.
        """
        from ._upgrade import upgrade_file

        upgrade_file(check_path(path))

    def close(self) -> None:
        """Close the database connection (idempotent)."""
        if self._store is not None:
            self._store.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = "memory" if self.path is None else str(self.path)
        return (
            f"Registry({where!r}, k={self.k}, window={self.window}, tokenizer={self.tokenizer!r})"
        )
