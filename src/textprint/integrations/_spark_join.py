"""``check`` on Spark for an evidence index too large to broadcast: joins (private).

The registry's postings and works become DataFrames joined with the texts; each executor runs
the registry's candidate and verification stages on what the joins bring it, so the hits
equal those of the broadcast path and of :meth:`textprint.Registry.check`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..registry._export import (
    POSTING_FIELDS,
    ExportedWork,
    IndexExport,
    Options,
    WorkIdentity,
    WorkStats,
    candidates_from_postings,
    posting_columns,
    posting_keys,
    verify_joined,
)
from ._spark_batches import add_hits, arrow_schema, prepared_rows, require

__all__ = ["check_joined"]


def check_joined(
    df: Any,
    text_col: str,
    id_col: str,
    export: IndexExport,
    opts: Options,
    batch_size: int,
    schema: Any,
) -> Any:
    """`~textprint.integrations.spark.check` for an index too large to broadcast: joined.

    1. Each text gets a row number and its distinct posting keys; persisted.
    2. Its keys are joined with the postings; per text, its postings are collected, and the
       registry's candidate stage picks the works that can pass, with their regions.
    3. The candidates are joined with the works (identity, statistics, compressed text) and
       verified by the registry's verification stage, as in the broadcast path.

    `schema` is the parsed :data:`~textprint.integrations.spark.HITS_SCHEMA` of the result.
    """
    pa = require()
    from pyspark import StorageLevel
    from pyspark.sql import functions as F  # noqa: N812 (the PySpark convention)
    from pyspark.sql.types import _parse_datatype_string

    spark = df.sparkSession
    settings = export.settings
    id_type = df.schema[id_col].dataType.simpleString()
    common_b = spark.sparkContext.broadcast(export.common)

    def keys_run(batches: Iterator[Any]) -> Iterator[Any]:
        for batch in batches:
            rows = prepared_rows(batch, settings, batch_size, ids="_rid", texts="text")
            keys = [posting_keys(q) for _, q, _ in rows]
            yield pa.RecordBatch.from_arrays(
                [
                    batch.column("_rid"),
                    batch.column("id"),
                    batch.column("text"),
                    pa.array(keys, type=pa.list_(pa.int64())),
                ],
                names=["_rid", "id", "text", "keys"],
            )

    texts = df.select(F.col(id_col).alias("id"), F.col(text_col).alias("text")).withColumn(
        "_rid", F.monotonically_increasing_id()
    )
    fp = texts.select("_rid", "id", "text").mapInArrow(
        keys_run,
        _parse_datatype_string(f"_rid bigint, id {id_type}, text string, keys array<bigint>"),
    )
    fp = fp.persist(StorageLevel.MEMORY_AND_DISK)
    postings = spark.createDataFrame(pa.table(posting_columns(export)))
    shared = (
        fp.select("_rid", F.explode("keys").alias("key"))
        .join(postings, "key")
        .groupBy("_rid")
        .agg(F.collect_list(F.struct(*POSTING_FIELDS)).alias("p"))
    )
    todo = fp.join(shared, "_rid").select("_rid", "text", "p")

    def candidates_run(batches: Iterator[Any]) -> Iterator[Any]:
        common = common_b.value
        for batch in batches:
            out: dict[str, list[Any]] = {
                "_rid": [],
                "rank": [],
                "work": [],
                "regions": [],
                "evalue": [],
            }
            rows = prepared_rows(batch, settings, batch_size, ids="_rid", texts="text", extra="p")
            for rid, q, p in rows:
                found = candidates_from_postings(q, p, common, settings, opts)
                for rank, (work, regions, evalue) in enumerate(found):
                    out["_rid"].append(rid)
                    out["rank"].append(rank)
                    out["work"].append(work)
                    out["regions"].append(regions)
                    out["evalue"].append(evalue)
            yield pa.RecordBatch.from_pydict(
                out,
                schema=pa.schema(
                    [
                        ("_rid", pa.int64()),
                        ("rank", pa.int64()),
                        ("work", pa.int64()),
                        ("regions", pa.list_(pa.list_(pa.int64()))),
                        ("evalue", pa.float64()),
                    ]
                ),
            )

    cands = todo.mapInArrow(
        candidates_run,
        "_rid bigint, rank bigint, work bigint, regions array<array<bigint>>, evalue double",
    )
    ws = export.works
    work_table = pa.table(
        {
            "work": list(ws),
            "wid": [_utf8(w.identity.work_id) for w in ws.values()],
            "is_int": [bool(w.identity.id_is_int) for w in ws.values()],
            "meta": [_utf8(w.identity.metadata) for w in ws.values()],
            "stats": [list(w.stats) for w in ws.values()],
            "blocks": [list(w.blocks) for w in ws.values()],
        },
        schema=pa.schema(
            [
                ("work", pa.int64()),
                ("wid", pa.binary()),
                ("is_int", pa.bool_()),
                ("meta", pa.binary()),
                ("stats", pa.list_(pa.int64())),
                ("blocks", pa.list_(pa.binary())),
            ]
        ),
    )
    works_df = spark.createDataFrame(work_table)
    grouped = (
        cands.join(works_df, "work")
        .groupBy("_rid")
        .agg(
            F.collect_list(
                F.struct(
                    "rank", "work", "regions", "evalue", "wid", "is_int", "meta", "stats", "blocks"
                )
            ).alias("c")
        )
    )
    verify_todo = fp.join(grouped, "_rid").select("id", "text", "c")

    def verify_run(batches: Iterator[Any]) -> Iterator[Any]:
        common = common_b.value
        for batch in batches:
            out: dict[str, list[Any]] = {n: [] for n in schema.names}
            prepared = prepared_rows(batch, settings, batch_size, ids="id", texts="text", extra="c")
            for rid, q, rows in prepared:
                works = {
                    int(x["work"]): ExportedWork(
                        identity=WorkIdentity(
                            int(x["work"]),
                            _text(x["wid"]) or "",
                            int(x["is_int"]),
                            _text(x["meta"]),
                        ),
                        stats=WorkStats(int(x["work"]), *(int(v) for v in x["stats"][1:])),
                        blocks=tuple(x["blocks"]),
                    )
                    for x in rows
                }
                # best first, as the candidate stage ranked them
                order = [
                    (int(x["work"]), x["regions"], float(x["evalue"]))
                    for x in sorted(rows, key=lambda x: x["rank"])
                ]
                hits = verify_joined(q, order, works, common, settings, opts)
                add_hits(out, rid, hits)
            yield pa.RecordBatch.from_pydict(out, schema=arrow_schema(schema))

    return verify_todo.mapInArrow(verify_run, schema)


def _utf8(value: str | bytes | None) -> bytes | None:
    """A registry id or metadata value as stored (str, or UTF-8 bytes with lone surrogates)."""
    if value is None:
        return None
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("utf-8", "surrogatepass")
