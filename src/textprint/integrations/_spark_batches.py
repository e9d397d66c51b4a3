"""What every Spark job of the integration does with an Arrow batch (private).

Reading texts from a batch and preparing them for the registry's stages, writing hits into
the columns of :data:`textprint.integrations.spark.HITS_SCHEMA`, and the import check of the
Spark extra: the broadcast and the joined paths of ``check`` share them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .._serialize import DETAIL_KEYS, HIT_FIELDS, PASSAGE_KEYS, hit_json
from .._validation import utf8_safe
from ..errors import MissingDependencyError
from ..registry._export import prepare_texts

__all__ = ["add_hits", "arrow_schema", "prepared_rows", "require"]


def require() -> Any:
    """pyarrow, once pyspark and pyarrow are known to be installed."""
    try:
        import pyarrow as pa
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(
            'the Spark integration needs pyspark and pyarrow: pip install "textprint[spark]"'
        ) from exc
    return pa


def prepared_rows(
    batch: Any,
    settings: Mapping[str, Any],
    batch_size: int,
    *,
    ids: str,
    texts: str,
    extra: str | None = None,
) -> Iterator[tuple[Any, Any, Any]]:
    """Each row of an Arrow `batch` as (its `ids` value, its text prepared for the registry's
    stages under `settings`, its `extra` value or None), texts prepared `batch_size` at a time;
    a null text is the empty text."""
    id_values = batch.column(ids).to_pylist()
    docs = [t if t is not None else "" for t in batch.column(texts).to_pylist()]
    more = batch.column(extra).to_pylist() if extra is not None else [None] * len(docs)
    for lo in range(0, len(docs), batch_size):
        hi = lo + batch_size
        yield from zip(id_values[lo:hi], prepare_texts(docs[lo:hi], settings), more[lo:hi])


#: A hit's columns besides the id, work_id and passages (metadata stays in the registry).
_HIT_COLUMNS = tuple(f for f in HIT_FIELDS if f not in ("work_id", "metadata", "passages"))


def add_hits(out: dict[str, list[Any]], rid: Any, hits: list[Any]) -> None:
    """Append one text's Hits to the columns of a HITS_SCHEMA batch."""
    for h in hits:
        row = hit_json(h)  # the one JSON form of a Hit
        out["id"].append(rid)
        # Arrow strings are UTF-8: a lone surrogate in an id becomes U+FFFD here
        out["work_id"].append(utf8_safe(str(row["work_id"])))
        for name in _HIT_COLUMNS:
            out[name].append(row[name])
        # the offsets of each passage here, how it was copied in `details`
        out["passages"].append([{k: p[k] for k in PASSAGE_KEYS} for p in row["passages"]])
        out["details"].append(
            [{k: p[k] for k in DETAIL_KEYS} for p in row["passages"] if "kind" in p]
        )


def arrow_schema(schema: Any) -> Any:
    """The Arrow schema of a Spark schema."""
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(schema)
