"""textprint on Apache Spark: signatures, dedup and registry checks over large corpora.

Install with ``pip install "textprint[spark]"`` (pyspark 4 with pyarrow). Executors run the same
numpy core as the local API through ``mapInArrow``, so results are equal to
:meth:`textprint.MinHasher.signatures`, :func:`textprint.dedup` and
:meth:`textprint.Registry.check` on the same texts.

Signatures are ``array<bigint>`` columns: Spark has no unsigned 64-bit type, so each uint64 value
is stored as the int64 with the same bits (``np.asarray(values, np.int64).view(np.uint64)``
recovers it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_choice, check_param
from ..deduplication import ALL_PAIRS_MAX, MAX_BUCKET
from ..errors import InvalidParameterError
from ..lsh import band_keys, optimal_bands
from ..minhash import EMPTY, MinHasher
from ..registry import Registry
from ..registry._export import (
    MIN_CONTAINMENT,
    IndexExport,
    Options,
    check_prepared,
    lookup_in,
)
from ._spark_batches import add_hits, arrow_schema, prepared_rows, require
from ._spark_join import check_joined

__all__ = ["BROADCAST_BYTES", "HITS_SCHEMA", "DedupResult", "check", "dedup", "signatures"]

logger = logging.getLogger("textprint")

#: Default of :func:`check`'s `broadcast_bytes`: larger evidence indexes are joined.
BROADCAST_BYTES = 256 << 20

#: Schema of the rows :func:`check` returns: one row per (text, copied work).
HITS_SCHEMA = (
    "id {id_type}, work_id string, containment double, source_containment double, "
    "jaccard double, copied_chars bigint, "
    "passages array<struct<query_start: bigint, query_end: bigint, "
    "source_start: bigint, source_end: bigint>>, "
    "evalue double, attributed boolean, unattributed_chars bigint, unattributed_share double, "
    "details array<struct<kind: string, similarity: double, evasions: array<string>, "
    "quoted: boolean, attributed: boolean, chars: bigint>>"
)


def signatures(
    df: Any,
    text_col: str = "text",
    *,
    n_hashes: int = 128,
    k: int = 5,
    tokenizer: str = "auto",
    seed: int = 0,
    scheme: str = "oph",
    output_col: str = "signature",
    valid_col: str = "valid",
) -> Any:
    """Add MinHash signatures to a DataFrame (computed on the executors).

    Parameters
    ----------
    df : pyspark.sql.DataFrame
    text_col : str, default "text"
    n_hashes, k, tokenizer, seed, scheme
        As in :class:`textprint.MinHasher`.
    output_col, valid_col : str
        Names of the added ``array<bigint>`` signature column and boolean validity column.

    Returns
    -------
    pyspark.sql.DataFrame
        `df` with the two columns added; values equal ``MinHasher(...).signatures`` row by row.
    """
    pa = require()
    from pyspark.sql.types import ArrayType, BooleanType, LongType, StructField, StructType

    if text_col not in df.columns:
        raise InvalidParameterError(f"text_col={text_col!r} is not a column of the DataFrame")
    MinHasher(n_hashes, k=k, tokenizer=tokenizer, seed=seed, scheme=scheme)  # validate early
    schema = StructType(
        [
            *df.schema.fields,
            StructField(output_col, ArrayType(LongType(), containsNull=False), False),
            StructField(valid_col, BooleanType(), False),
        ]
    )

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        hasher = MinHasher(n_hashes, k=k, tokenizer=tokenizer, seed=seed, scheme=scheme)
        for batch in batches:
            texts = [t if t is not None else "" for t in batch.column(text_col).to_pylist()]
            sigs = hasher.signatures(texts)
            flat = pa.array(sigs.values.view(np.int64).reshape(-1), type=pa.int64())
            offsets = pa.array(np.arange(0, len(texts) * n_hashes + 1, n_hashes, dtype=np.int32))
            col = pa.ListArray.from_arrays(offsets, flat)
            yield pa.RecordBatch.from_arrays(
                [*batch.columns, col, pa.array(sigs.valid.tolist(), type=pa.bool_())],
                names=[*batch.schema.names, output_col, valid_col],
            )

    return df.mapInArrow(run, schema)


@dataclass(frozen=True, slots=True)
class DedupResult:
    """What :func:`dedup` computed besides the clusters."""

    n_candidate_pairs: int
    n_verified_pairs: int
    n_skipped_buckets: int
    iterations: int


def _components(edges: Any, checkpoint: bool) -> tuple[Any, int]:
    """Connected components by alternating large-star and small-star (Kiveris et al. 2014).

    `edges` has columns (u, v). Returns (node, root) with root = the smallest node of its
    component, and the number of iterations. Pure DataFrame operations; the lineage is cut
    with a checkpoint every iteration.
    """
    from pyspark.sql import functions as F  # noqa: N812 (the PySpark convention)

    def both(e: Any) -> Any:
        return e.select("u", "v").union(e.select(F.col("v").alias("u"), F.col("u").alias("v")))

    def large_star(e: Any) -> Any:
        nb = both(e)
        m = nb.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
        return (
            nb.join(m, "u")
            .where(F.col("v") > F.col("u"))
            .select(F.col("v").alias("u"), F.col("m").alias("v"))
            .distinct()
        )

    def small_star(e: Any) -> Any:
        # orient every edge from the larger to the smaller node
        o = e.select(F.greatest("u", "v").alias("u"), F.least("u", "v").alias("v")).where(
            F.col("u") != F.col("v")
        )
        m = o.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
        with_self = o.union(m.select(F.col("u"), F.col("u").alias("v")))
        return (
            with_self.join(m, "u")
            .where(F.col("v") != F.col("m"))
            .select(F.col("v").alias("u"), F.col("m").alias("v"))
            .distinct()
        )

    e = edges.select("u", "v").where(F.col("u") != F.col("v")).distinct()
    iterations = 0
    previous = None
    while True:
        iterations += 1
        e = small_star(large_star(e))
        e = e.checkpoint() if checkpoint else e.localCheckpoint()
        signature = e.agg(F.count("*"), F.sum(F.hash("u", "v"))).first()
        if signature == previous:
            break
        previous = signature
    roots = both(e).groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("root"))
    return roots.select(F.col("u").alias("node"), "root"), iterations


def dedup(
    df: Any,
    text_col: str = "text",
    id_col: str = "id",
    threshold: float = 0.8,
    *,
    n_hashes: int = 128,
    k: int = 5,
    tokenizer: str = "auto",
    seed: int = 0,
    verify: bool = True,
    max_bucket: int = MAX_BUCKET,
    checkpoint_dir: str | None = None,
    return_stats: bool = False,
) -> Any:
    """Cluster near-duplicate texts: DataFrame(id, cluster) with cluster = the smallest id.

    The same algorithm as :func:`textprint.dedup` (bands and rows from the threshold, small
    buckets pairing all their members and larger ones pairing each member with the smallest,
    buckets over `max_bucket` skipped,
    pairs verified with the full signatures) with connected components computed by
    large-star/small-star iterations, so the clusters are equal to the local ones when the
    ids are the row positions. Ids must be integers or strings and unique.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
    text_col, id_col : str
    threshold : float, default 0.8
    n_hashes, k, tokenizer, seed, verify, max_bucket
        As in :func:`textprint.dedup`.
    checkpoint_dir : str, optional
        Reliable checkpoints for the iterations (on a cluster: a directory on HDFS/S3/GCS).
        Default: the SparkContext's checkpoint directory if set, else local checkpoints.
    return_stats : bool, default False
        Also return a :class:`DedupResult`.

    Returns
    -------
    pyspark.sql.DataFrame with columns (id, cluster)
    """
    from pyspark.sql import functions as F  # noqa: N812 (the PySpark convention)

    for name, col in (("id_col", id_col), ("text_col", text_col)):
        if col not in df.columns:
            raise InvalidParameterError(f"{name}={col!r} is not a column of the DataFrame")
    max_bucket = check_param("max_bucket", max_bucket)
    bands, rows = optimal_bands(threshold, n_hashes=n_hashes)
    spark = df.sparkSession
    sc = spark.sparkContext
    if checkpoint_dir is not None:
        sc.setCheckpointDir(checkpoint_dir)
    reliable = sc.getCheckpointDir() is not None
    signed = signatures(
        df.select(id_col, text_col),
        text_col,
        n_hashes=n_hashes,
        k=k,
        tokenizer=tokenizer,
        seed=seed,
    ).select(F.col(id_col).alias("id"), "signature", "valid")
    signed = signed.persist()
    pa = require()
    from pyspark.sql.types import LongType, StructField, StructType

    id_type = signed.schema["id"].dataType
    key_schema = StructType(
        [
            StructField("id", id_type, False),
            StructField("band", LongType(), False),
            StructField("key", LongType(), False),
        ]
    )

    def keys(batches: Iterator[Any]) -> Iterator[Any]:
        for batch in batches:
            ids = batch.column("id").to_pylist()
            valid = np.array(batch.column("valid").to_pylist(), dtype=bool)
            sig = (
                np.array(batch.column("signature").to_pylist(), dtype=np.int64)
                .reshape(len(ids), n_hashes)
                .view(np.uint64)
            )
            keep = np.flatnonzero(valid & ~(sig == EMPTY).all(axis=1))
            if len(keep) == 0:
                continue
            bk = band_keys(sig[keep], bands, rows).view(np.int64)
            # take() keeps the id column's own Arrow type (int32, int64, string...)
            id_rows = batch.column("id").take(pa.array(np.repeat(keep, bands)))
            yield pa.RecordBatch.from_arrays(
                [
                    id_rows,
                    pa.array(np.tile(np.arange(bands, dtype=np.int64), len(keep))),
                    pa.array(bk.reshape(-1)),
                ],
                names=["id", "band", "key"],
            )

    band_df = signed.mapInArrow(keys, key_schema)
    buckets = (
        band_df.groupBy("band", "key")
        .agg(
            F.count("*").alias("size"), F.min("id").alias("head"), F.collect_list("id").alias("ids")
        )
        .where(F.col("size") > 1)
    )
    skipped = buckets.where(F.col("size") > max_bucket).count()
    if skipped:
        logger.info("spark dedup skipped %d buckets larger than max_bucket=%d", skipped, max_bucket)
    # the rule of tp.dedup: small buckets pair all their members, larger ones pair each member
    # with the bucket's smallest member
    small = (
        buckets.where(F.col("size") <= min(ALL_PAIRS_MAX, max_bucket))
        .select(
            F.explode(
                F.expr(
                    "flatten(transform(ids, (x, i) -> transform(filter(ids, (y, j) -> j > i), "
                    "y -> named_struct('u', least(x, y), 'v', greatest(x, y)))))"
                )
            ).alias("p")
        )
        .select("p.u", "p.v")
    )
    star = (
        buckets.where((F.col("size") > ALL_PAIRS_MAX) & (F.col("size") <= max_bucket))
        .select("head", F.explode("ids").alias("member"))
        .where(F.col("member") != F.col("head"))
        .select(F.col("head").alias("u"), F.col("member").alias("v"))
    )
    pairs = small.union(star).distinct().persist()
    n_candidates = pairs.count()
    if verify:
        a = signed.select(F.col("id").alias("u"), F.col("signature").alias("su"))
        b = signed.select(F.col("id").alias("v"), F.col("signature").alias("sv"))
        same = F.expr(
            f"size(filter(arrays_zip(su, sv), x -> x.su = x.sv AND x.su != -1)) / {n_hashes}"
        )
        pairs = (
            pairs.join(a, "u").join(b, "v").where(same >= threshold - 1e-12).select("u", "v")
        ).persist()
    n_verified = pairs.count()
    if n_verified:
        roots, iterations = _components(pairs, reliable)
    else:
        roots, iterations = None, 0
    ids = signed.select("id")
    if roots is None:
        result = ids.select("id", F.col("id").alias("cluster"))
    else:
        result = ids.join(roots, ids["id"] == roots["node"], "left").select(
            "id", F.coalesce(F.col("root"), F.col("id")).alias("cluster")
        )
    result = result.withColumnRenamed("id", id_col)
    if return_stats:
        return result, DedupResult(n_candidates, n_verified, int(skipped), iterations)
    return result


def check(
    df: Any,
    registry: Registry,
    text_col: str = "text",
    id_col: str = "id",
    *,
    min_chars: int | None = None,
    min_containment: float = MIN_CONTAINMENT,
    top_k: int | None = None,
    unattributed_only: bool = False,
    batch_size: int = 64,
    broadcast_bytes: int = BROADCAST_BYTES,
) -> Any:
    """Check every text of a DataFrame against a Registry, on the executors.

    The registry's evidence index (:meth:`Registry.export_index
    <textprint.Registry.export_index>`: fingerprint postings without the common ones, and the
    works with their compressed texts) goes to the executors: broadcast while it is at most
    `broadcast_bytes`, otherwise as DataFrames joined with the texts (postings on the posting
    key, then the candidate works on the work). Either way each executor prepares its texts and
    runs the registry's own stages (lookup, candidates that can pass, verification around the
    shared fingerprints), so the hits equal :meth:`Registry.check
    <textprint.Registry.check>`'s.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
    registry : Registry
        Must store its texts (``store_text=True``, the default).
    text_col, id_col : str
        Columns of `df`; ids need not be unique (each row is checked on its own).
    min_chars, min_containment, top_k, unattributed_only
        As in :meth:`Registry.check <textprint.Registry.check>`.
    batch_size : int, default 64
        Texts prepared together on an executor.
    broadcast_bytes : int, default 256 MiB
        Largest index (about 56 bytes per evidence posting plus the compressed texts) that is
        broadcast; a larger one is joined. 0 always joins.

    Returns
    -------
    pyspark.sql.DataFrame
        One row per (text, copied work), schema :data:`HITS_SCHEMA` (``id`` has the type of
        `id_col`; passages are structs of original-text offsets; ``details`` holds one struct
        per passage, as ``Hit.details``; ``evalue``,
        ``attributed``, ``unattributed_chars`` and ``unattributed_share`` are the Hit's).

    Notes
    -----
    A broadcast copy lives in every executor's Python workers, so it must fit there. The join
    path has no such bound but shuffles: one row per distinct fingerprint of each text, then
    one row per (text, candidate work) carrying the work's compressed text. It persists the
    texts with their keys (``MEMORY_AND_DISK``), which are read twice;
    ``spark.catalog.clearCache()`` releases them once the hits are written.
    """
    pa = require()
    from pyspark.sql.types import _parse_datatype_string

    for col in (text_col, id_col):
        if col not in df.columns:
            raise InvalidParameterError(f"{col!r} is not a column of the DataFrame")
    # validate now, as Registry.check does: a bad option must not reach the executors
    if min_chars is not None:
        min_chars = check_param("min_chars", min_chars)
    min_containment = check_param("min_containment", min_containment)
    if top_k is not None:
        top_k = check_param("top_k", top_k)
    unattributed_only = check_choice(unattributed_only, "unattributed_only", (False, True))
    batch_size = check_param("batch_size", batch_size)
    broadcast_bytes = check_param("broadcast_bytes", broadcast_bytes)
    export = registry.export_index()
    opts = Options(min_chars, min_containment, top_k, unattributed_only)
    spark = df.sparkSession
    id_type = df.schema[id_col].dataType.simpleString()
    schema: Any = _parse_datatype_string(HITS_SCHEMA.format(id_type=id_type))
    if export.nbytes > broadcast_bytes:
        logger.info("check: index of %d bytes > broadcast_bytes, joining", export.nbytes)
        return check_joined(df, text_col, id_col, export, opts, batch_size, schema)
    payload = spark.sparkContext.broadcast(export)

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        ex: IndexExport = payload.value
        lookup = lookup_in(ex)
        for batch in batches:
            out: dict[str, list[Any]] = {n: [] for n in schema.names}
            rows = prepared_rows(batch, ex.settings, batch_size, ids=id_col, texts=text_col)
            for rid, q, _ in rows:
                hits = check_prepared(q, lookup, ex.common, ex.works, ex.settings, opts)
                add_hits(out, rid, hits)
            yield pa.RecordBatch.from_pydict(out, schema=arrow_schema(schema))

    return df.select(id_col, text_col).mapInArrow(run, schema)
