"""The Registry facade: registration and checks composed from the registry's stages."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from .._typing import UInt64Array
from .._validation import (
    check_choice,
    check_int,
    check_probability,
    check_seconds,
    check_text,
    check_texts,
    iterates,
)
from ..errors import (
    FormatError,
    IncompatibleError,
    InvalidInputError,
    InvalidParameterError,
    StorageError,
    UnknownWorkError,
)
from ..lsh import optimal_bands
from ..minhash import MinHasher
from ..tokenization import Tokenizer
from . import _candidates, _check, _export, _long, _registration, _significance
from ._check import Options
from ._export import IndexExport
from ._manifest import (
    check_layout,
    open_manifest,
    settings_manifest,
    stale_entries,
    validate_settings,
)
from ._prepare import Text, prepare
from ._results import (
    MIN_CONTAINMENT,
    Evidence,
    Hit,
    Work,
)
from ._rows import (
    check_work_id,
    decompress_text,
    id_from_db,
    id_param,
    metadata_from_db,
    metadata_json,
)
from ._segments import (
    Index,
    merge_segments,
)
from ._store import (
    Store,
    WorkStats,
    check_path,
)
from ._verify import BlockCache, WorkTexts

#: A text longer than this many characters is checked in overlapping segments of about this
#: size (API.md: huge texts are processed in chunks), so the working memory of a check is
#: bounded by the segment, not by the text.
CHECK_SEGMENT_CHARS = 1 << 20
#: What `too_short` accepts.
TOO_SHORT = ("raise", "skip", "accept")


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
            manifest = open_manifest(self._store, self.path, explicit, store_text)
            self._configure(manifest)
        except BaseException:
            self._store.close()
            self._store = None
            raise
        self._index = Index(self._db)
        self._block_cache = BlockCache()  # stored text blocks read by checks of this snapshot
        self._seen_version = -1
        self._n_clusters = 0
        self._sizes: dict[int, _significance.RegistrySizes] = {}  # per segment
        # the combined summary and the segments it was combined from (one per check else)
        self._sizes_all: tuple[tuple[int, ...], _significance.RegistrySizes] | None = None

    # -- opening --------------------------------------------------------------------------------

    @property
    def _db(self) -> Store:
        if self._store is None or self._store.closed:
            raise StorageError("the registry is closed: open it again with tp.Registry(path)")
        return self._store

    def _configure(self, manifest: dict[str, str]) -> None:
        try:
            check_layout(manifest, self.path)
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
        self._bands, self._rows = optimal_bands(
            _registration.EDITION_THRESHOLD, n_hashes=self.n_hashes
        )
        self._stale = stale_entries(manifest, self.tokenizer)

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
        self._index.refresh()
        self._block_cache.clear()
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
        return _registration.commit_batch(self, batch, replace, too_short, on_commit)

    def _insert_works(
        self,
        conn: Any,
        rows: list[_registration.Row],
        registered_at: str,
        replace: bool,
        *,
        rowids: Sequence[int] | None = None,
    ) -> None:
        """Insert works and their segment (a seam the tests patch: see the rebuild race)."""
        _registration.insert_works(self, conn, rows, registered_at, replace, rowids=rowids)

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
            _registration.delete(self, conn, rowid)
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
        At most ``max(50, top_k)`` works are verified per text, those sharing the most
        fingerprints first: a post that copies one text held by more than 50 registered works
        (editions, reposts) reports 50 of them unless `top_k` asks for more.

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

    def _texts(self, stats: dict[int, WorkStats]) -> WorkTexts:
        """The stored texts of the works `stats` describes, as a check reads them: block by
        block, through the blocks earlier checks of this snapshot kept."""
        return WorkTexts(self._db.text_blocks, stats, self._block_cache)

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
        segs = tuple(self._sizes)
        done = self._sizes_all
        if done is None or done[0] != segs:
            combined = _significance.RegistrySizes.combine(self._sizes.values())
            done = self._sizes_all = (segs, combined)
        return done[1]

    def _find_candidates(
        self, q: Text, opts: Options
    ) -> tuple[list[_candidates.Candidate], list[tuple[int, int]]]:
        """The candidates of one prepared text (a seam the tests patch to count calls)."""
        return _check.find_candidates(self, q, opts)

    def _check_batch(self, docs: list[str], opts: Options) -> list[list[Hit]]:
        return _check.check_batch(self, docs, opts)

    def _hits(
        self, found: list[list[Evidence]], opts: Options, texts: Sequence[str]
    ) -> list[list[Hit]]:
        """The Hits of checked `texts` from their verified evidence (`_check.hits`)."""
        return _check.hits(self, found, opts, texts)

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
        return _export.export_index(self)

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
        _registration.rebuild(self, settings_manifest(settings, self.store_text), batch_size)

    @staticmethod
    def upgrade(path: str | os.PathLike[str]) -> bool:
        """Upgrade a registry file written by textprint 0.1 (format 1) to this format, in place.

        Every work keeps its id, metadata, registration time and text. With stored texts the
        works are re-fingerprinted under the file's settings; without, their fingerprints and
        band keys are carried over. A failure leaves the file as it was, or (killed between
        the conversion and the rebuild that ends it) in this format with an index that asks for
        :meth:`rebuild`. A file already in this format is left alone.

        Returns
        -------
        bool
            True if the file was upgraded, False if it was in this format already.

        Raises
        ------
        FormatError
            If `path` is not a textprint registry, or is newer than this textprint reads.
        StorageError
            If `path` does not exist or cannot be written.
        """
        from ._upgrade import upgrade_file

        return upgrade_file(check_path(path))

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
