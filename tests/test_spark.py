"""Tests of textprint.integrations.spark in Spark local mode (one ``local[2]`` session).

Oracles: the local API on the same texts. ``signatures`` must equal
``tp.MinHasher(...).signatures`` row by row, ``dedup`` must give the clusters of ``tp.dedup``
(ids = row positions; for string ids, positions in sorted-id order), ``check`` must give the
hits of ``Registry.check_many``, and the large-star/small-star connected components must equal
a plain Python union-find.

The module is skipped as a whole when pyspark (with pyarrow) is not importable or no Java
runtime is found (CI installs a JRE). Data are small on purpose: the whole module is a handful
of Spark jobs, dominated by the start of the JVM and of the Python workers.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import random
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

try:
    import pyarrow  # noqa: F401
    import pyspark  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    pytest.skip(
        f'Spark tests need pyspark and pyarrow ({exc}): pip install "textprint[spark]"',
        allow_module_level=True,
    )


def _java() -> str | None:
    """The java Spark's launcher would run: $JAVA_HOME/bin/java, else java on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


if _java() is None:  # pragma: no cover - depends on the environment
    pytest.skip(
        "Spark tests need a Java runtime (JRE 17+): no $JAVA_HOME/bin/java and no java on PATH",
        allow_module_level=True,
    )

import textprint as tp  # noqa: E402
from helpers import edit  # noqa: E402
from textprint.deduplication import ALL_PAIRS_MAX, MAX_BUCKET  # noqa: E402
from textprint.integrations import spark as tps  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


# ---------------------------------------------------------------------------------------------
# The session
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One local[2] SparkSession for the module, with a reliable checkpoint directory."""
    from pyspark.sql import SparkSession

    # read when the JVM and the SparkContext start, so restored right after: executors must
    # run this interpreter (textprint installed, same numpy); bind to the loopback so no
    # network interface or DNS is needed
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYSPARK_PYTHON", sys.executable)
        mp.setenv("PYSPARK_DRIVER_PYTHON", sys.executable)
        mp.setenv("SPARK_LOCAL_IP", "127.0.0.1")
        session = (
            SparkSession.builder.master("local[2]")
            .appName("textprint-tests")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.default.parallelism", "2")
            # several Arrow batches per partition, so batch boundaries are exercised
            .config("spark.sql.execution.arrow.maxRecordsPerBatch", "32")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .getOrCreate()
        )
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.setCheckpointDir(str(tmp_path_factory.mktemp("spark-checkpoints")))
    try:
        yield session
    finally:
        session.stop()


# ---------------------------------------------------------------------------------------------
# Data from the fixtures
# ---------------------------------------------------------------------------------------------


@functools.cache
def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@functools.cache
def poems() -> list[dict[str, str]]:
    lines = fixture("zh_poems.jsonl").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


#: No shingle at all (empty after normalization); None is read as "".
SHORT: list[str | None] = ["", " ", "。，！", "\u200b", "\n\n", None]
#: Two sets of identical texts, both buckets larger than ALL_PAIRS_MAX (pairing by star): with
#: max_bucket=SMALL_MAX_BUCKET the second one is skipped instead.
N_STAR, N_SKIP, SMALL_MAX_BUCKET = 70, 90, 80


def star_text() -> str:
    return poems()[0]["text"] * 3


def skip_text() -> str:
    return poems()[1]["text"] * 3


@functools.cache
def dedup_texts() -> tuple[str | None, ...]:
    """Fixture chunks (unrelated to each other), copies with 1-3 changed characters,
    too-short texts, N_STAR identical copies of one text and N_SKIP of another, shuffled."""
    rng = random.Random("spark-dedup")
    chunks = []
    for name in ["zh_novel.txt", "zh_novel_2.txt", "ja_aozora.txt", "en_gutenberg.txt"]:
        text = fixture(name)
        size = 1500 if name.startswith("en") else 400
        chunks += [text[i : i + size] for i in range(0, len(text) - size // 2, size)]
    chunks += [p["text"] for p in poems() if len(p["text"]) >= 80]
    items: list[str | None] = []
    for chunk in chunks:
        items.append(chunk)
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            items.append(edit(chunk, rng, rng.randint(1, 3)))
    items += SHORT
    items += [star_text()] * N_STAR + [skip_text()] * N_SKIP
    rng.shuffle(items)
    return tuple(items)


def local_texts(texts: Any) -> list[str]:
    return [t if t is not None else "" for t in texts]


def union_find(edges: list[tuple[int, int]]) -> dict[int, int]:
    """Every node of the (non-loop) edges -> the smallest node of its component."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for u, v in edges:
        if u == v:
            continue  # a loop alone does not make a node part of the graph
        parent.setdefault(u, u)
        parent.setdefault(v, v)
        ru, rv = find(u), find(v)
        if ru != rv:
            parent[max(ru, rv)] = min(ru, rv)
    return {x: find(x) for x in parent}


# ---------------------------------------------------------------------------------------------
# signatures
# ---------------------------------------------------------------------------------------------

SIGNATURE_TEXTS: list[str | None] = [
    fixture("zh_novel.txt")[:300],
    None,
    "",
    fixture("ja_aozora.txt")[:250],
    " ",
    fixture("en_gutenberg.txt")[:600],
    "刀",
    "天下大勢，分久必合，合久必分。周末七國分爭，併入於秦。",
    "天下大势，分久必合，合久必分。周末七国分争，并入于秦。",
    *[p["text"] for p in poems()],
    "\u200b\u200b",
    fixture("zh_novel_2.txt"),
]


@pytest.mark.parametrize(
    ("scheme", "options"),
    [
        ("oph", {}),
        ("datasketch", {"n_hashes": 64, "k": 3, "seed": 7}),
    ],
)
def test_signatures_equal_minhasher(spark: Any, scheme: str, options: dict[str, Any]) -> None:
    from pyspark.sql.types import ArrayType, BooleanType, LongType

    texts = SIGNATURE_TEXTS
    df = spark.createDataFrame(list(enumerate(texts)), "id bigint, text string").repartition(3)
    out = tps.signatures(
        df, "text", scheme=scheme, output_col="sig", valid_col="ok", **options
    ).orderBy("id")
    assert out.columns == ["id", "text", "sig", "ok"]
    assert out.schema["sig"].dataType == ArrayType(LongType(), containsNull=False)
    assert out.schema["ok"].dataType == BooleanType()
    rows = out.collect()
    expected = tp.MinHasher(**options, scheme=scheme).signatures(local_texts(texts))
    assert [r.id for r in rows] == list(range(len(texts)))
    assert [r.text for r in rows] == texts  # the input columns pass through unchanged
    values = np.array([r.sig for r in rows], dtype=np.int64).view(np.uint64)
    assert values.shape == expected.values.shape
    np.testing.assert_array_equal(values, expected.values)
    assert [r.ok for r in rows] == expected.valid.tolist()
    # the set holds both kinds of row
    assert 0 < sum(expected.valid) < len(texts)


# ---------------------------------------------------------------------------------------------
# dedup
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("id_kind", "max_bucket"),
    [("int", MAX_BUCKET), ("str", SMALL_MAX_BUCKET)],
    ids=["int-ids", "str-ids-small-max_bucket"],
)
def test_dedup_equals_local_dedup(
    spark: Any, tmp_path: Path, id_kind: str, max_bucket: int
) -> None:
    """ids = row positions: the clusters are tp.dedup's labels. String ids: random strings,
    so their sorted order is not row order; the clusters are tp.dedup's labels on the texts
    in sorted-id order, mapped back to ids (the cluster is the smallest id string)."""
    texts = dedup_texts()
    n = len(texts)
    if id_kind == "int":
        ids: list[Any] = list(range(n))
        df = spark.createDataFrame(list(zip(ids, texts)), "id bigint, text string")
        result, stats = tps.dedup(df.repartition(3), return_stats=True)
        assert result.columns == ["id", "cluster"]
    else:
        rng = random.Random("spark-ids")
        ids = [f"{rng.getrandbits(32):08x}-{i}" for i in range(n)]
        df = spark.createDataFrame(list(zip(ids, texts)), "doc string, body string")
        result, stats = tps.dedup(
            df.repartition(3),
            "body",
            "doc",
            0.8,
            max_bucket=max_bucket,
            checkpoint_dir=str(tmp_path / "checkpoints"),
            return_stats=True,
        )
        assert result.columns == ["doc", "cluster"]
    got = dict(result.collect())
    order = sorted(range(n), key=lambda i: ids[i])  # row positions when ids are ints
    labels, local = tp.dedup(
        local_texts(texts[i] for i in order), 0.8, max_bucket=max_bucket, return_stats=True
    )
    expected = {ids[order[j]]: ids[order[label]] for j, label in enumerate(labels.tolist())}
    assert got == expected
    assert (stats.n_candidate_pairs, stats.n_verified_pairs, stats.n_skipped_buckets) == (
        local.n_candidate_pairs,
        local.n_verified_pairs,
        local.n_skipped_buckets,
    )
    # the set exercises what it claims to
    star = [ids[i] for i, t in enumerate(texts) if t == star_text()]
    skip = [ids[i] for i, t in enumerate(texts) if t == skip_text()]
    assert len(star) == N_STAR > ALL_PAIRS_MAX
    assert {got[i] for i in star} == {min(star)}  # a star bucket: one cluster, smallest id
    others = [ids[i] for i, t in enumerate(texts) if t not in (star_text(), skip_text())]
    assert len({got[i] for i in others}) < len(others)  # near-duplicates were found
    assert local.n_verified_pairs < local.n_candidate_pairs  # and verification rejected some
    if max_bucket == MAX_BUCKET:
        assert local.n_skipped_buckets == 0
        assert {got[i] for i in skip} == {min(skip)}
    else:
        assert local.n_skipped_buckets > 0
        assert {got[i] for i in skip} == set(skip)  # all its buckets were skipped
    for i, t in enumerate(texts):
        if t in SHORT:
            assert got[ids[i]] == ids[i]  # too-short texts are never duplicates


def test_dedup_int32_ids(spark: Any) -> None:
    texts = dedup_texts()[:60]
    df = spark.createDataFrame(list(enumerate(texts)), "id int, text string")
    got = dict(tps.dedup(df).collect())
    assert [got[i] for i in range(len(texts))] == tp.dedup(local_texts(texts)).tolist()


# ---------------------------------------------------------------------------------------------
# check
# ---------------------------------------------------------------------------------------------

ZH, ZH2 = fixture("zh_novel.txt"), fixture("zh_novel_2.txt")
JA, JA2 = fixture("ja_aozora.txt"), fixture("ja_aozora_2.txt")
EN, EN2 = fixture("en_gutenberg.txt"), fixture("en_gutenberg_2.txt")


@pytest.fixture(scope="module")
def registry() -> Iterator[tp.Registry]:
    """Poems and novel excerpts (zh, ja, en); zh_novel_2, ja_aozora_2 and en_gutenberg_2 are
    not registered (they are the unrelated hosts of the posts)."""
    reg = tp.Registry()
    for p in poems():
        reg.register(p["id"], p["text"], {"title": p["title"]})
    for n, para in enumerate(ZH.splitlines()):
        if para.strip():
            reg.register(f"zh_novel#{n}", para)
    reg.register(7, JA[:800])  # an int work_id: Spark reports it as the string "7"
    reg.register("ja_aozora#2", JA[800:])
    reg.register("en_gutenberg", EN)
    yield reg
    reg.close()


def check_posts() -> list[tuple[str, str | None]]:
    """(id, text): copies of parts of registered works inside unrelated hosts, and unrelated
    posts."""
    p = poems()
    long_poem = max(p, key=lambda x: len(x["text"]))["text"]
    paras = ZH.splitlines()  # 176, 419, 156, 182 and 600 characters
    return [
        ("zh-excerpt", ZH2[:300] + paras[4][20:320] + ZH2[300:600]),
        ("zh-two-works", paras[1][:260] + "\n" + ZH2[:200] + "\n" + paras[4][-240:]),
        ("zh-whole-poem", "转载：" + p[0]["text"] + "\n好诗！"),
        ("zh-poems", "今日读诗：" + p[3]["text"] + "又：" + p[20]["text"] + "。" + long_poem),
        ("zh-simplified", tp.normalize(long_poem).text + ZH2[:100]),
        ("ja-excerpt", JA2[:400] + JA[900:1400] + JA2[400:800]),
        ("ja-int-work", JA[100:400]),
        ("en-excerpt", EN2[:1200] + " " + EN[2000:3200] + " " + EN2[1200:2400]),
        ("en-short-quote", EN2[:500] + " " + EN[100:260] + " " + EN2[500:900]),
        ("zh-unrelated", ZH2),
        ("ja-unrelated", JA2),
        ("en-unrelated", EN2),
        ("empty", ""),
        ("none", None),
        ("short", "春眠"),
    ]


def hit_rows_local(hits: list[tp.Hit]) -> list[tuple[Any, ...]]:
    return [
        (
            str(h.work_id),
            h.copied_chars,
            [tuple(x) for x in h.passages],
            h.containment,
            h.source_containment,
            h.jaccard,
            h.evalue,
            h.attributed,
            h.unattributed_chars,
            h.unattributed_share,
            [
                (d.kind, d.similarity, list(d.evasions), d.quoted, d.attributed, d.chars)
                for d in h.details
            ],
        )
        for h in hits
    ]


@pytest.mark.parametrize("broadcast_bytes", [tps.BROADCAST_BYTES, 0], ids=["broadcast", "join"])
@pytest.mark.parametrize(
    "options",
    [{}, {"min_chars": 40, "min_containment": 0.9, "top_k": 1}, {"unattributed_only": True}],
    ids=["defaults", "min_chars-top_k", "unattributed_only"],
)
def test_check_equals_registry_check(
    spark: Any, registry: tp.Registry, options: dict[str, Any], broadcast_bytes: int
) -> None:
    posts = check_posts()
    posts.append(("zh-excerpt", posts[0][1]))  # ids need not be unique: each row is checked
    df = spark.createDataFrame(posts, "post string, body string").repartition(2)
    out = tps.check(
        df,
        registry,
        text_col="body",
        id_col="post",
        batch_size=4,
        broadcast_bytes=broadcast_bytes,
        **options,
    )
    # the id column is called "id" whatever id_col is (HITS_SCHEMA)
    assert out.columns == [
        "id",
        "work_id",
        "containment",
        "source_containment",
        "jaccard",
        "copied_chars",
        "passages",
        "evalue",
        "attributed",
        "unattributed_chars",
        "unattributed_share",
        "details",
    ]
    got: dict[str, list[tuple[Any, ...]]] = {}
    for r in out.collect():
        passages = [(p.query_start, p.query_end, p.source_start, p.source_end) for p in r.passages]
        details = [
            (d.kind, d.similarity, list(d.evasions), d.quoted, d.attributed, d.chars)
            for d in r.details
        ]
        got.setdefault(r.id, []).append(
            (
                r.work_id,
                r.copied_chars,
                passages,
                r.containment,
                r.source_containment,
                r.jaccard,
                r.evalue,
                r.attributed,
                r.unattributed_chars,
                r.unattributed_share,
                details,
            )
        )
    # within a text, rows come in the order check emits them (no shuffle after the last
    # step): Registry.check's order; the duplicated id holds its hits twice, one after another
    expected_hits = registry.check_many(local_texts(t for _, t in posts), **options)
    expected: dict[str, list[tuple[Any, ...]]] = {}
    for (pid, _), h in zip(posts, expected_hits):
        if h:
            expected.setdefault(pid, []).extend(hit_rows_local(h))
    got["zh-excerpt"] = sorted(got["zh-excerpt"], key=repr)
    expected["zh-excerpt"] = sorted(expected["zh-excerpt"], key=repr)
    assert got == expected
    # the posts exercise what they claim to (en-excerpt's copy stands inside a quotation of
    # its host text: unattributed_only leaves it alone)
    copying = {"zh-excerpt", "ja-excerpt", "en-excerpt", "zh-whole-poem"}
    if options.get("unattributed_only"):
        assert copying - {"en-excerpt"} <= set(expected)
        assert "en-excerpt" not in expected
    else:
        assert copying <= set(expected)
    assert not {"zh-unrelated", "ja-unrelated", "en-unrelated", "empty", "none"} & set(expected)
    if not options:
        assert len(expected["zh-two-works"]) == 2
        assert len(expected["zh-poems"]) >= 2
        assert expected["ja-int-work"][0][0] == "7"


# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------

BAD_COLUMNS: list[Any] = [
    pytest.param(lambda df, reg: tps.signatures(df, text_col="body"), id="signatures-text_col"),
    pytest.param(lambda df, reg: tps.dedup(df, id_col="doc"), id="dedup-id_col"),
    pytest.param(
        lambda df, reg: tps.dedup(df, text_col="body"),
        id="dedup-text_col",
    ),
    pytest.param(lambda df, reg: tps.check(df, reg, text_col="body"), id="check-text_col"),
    pytest.param(lambda df, reg: tps.check(df, reg, id_col="doc"), id="check-id_col"),
]


@pytest.mark.parametrize("call", BAD_COLUMNS)
def test_bad_column_names_raise(
    spark: Any, registry: tp.Registry, call: Callable[[Any, Any], Any]
) -> None:
    df = spark.createDataFrame([(0, "天下大势，分久必合，合久必分。")], "id bigint, text string")
    with pytest.raises(tp.InvalidParameterError, match="is not a column"):
        call(df, registry)


#: (function, option, a value out of its range). check is lazy: a bad option must be refused
#: when it is called, as Registry.check refuses it; those cases run no Spark job.
BAD_OPTIONS = [
    ("signatures", "n_hashes", 0),
    ("signatures", "scheme", "md5"),
    ("dedup", "threshold", 0.0),
    ("dedup", "threshold", 1.5),
    ("dedup", "max_bucket", 1),
    ("check", "top_k", 0),
    ("check", "min_chars", -1),
    ("check", "min_containment", 1.5),
    ("check", "batch_size", 0),
    ("check", "broadcast_bytes", -1),
]


@pytest.mark.parametrize(
    ("function", "option", "value"), BAD_OPTIONS, ids=[f"{f}-{o}={v}" for f, o, v in BAD_OPTIONS]
)
def test_bad_parameters_raise_like_the_local_api(
    spark: Any, registry: tp.Registry, function: str, option: str, value: object
) -> None:
    df = spark.createDataFrame([(0, "天下大势，分久必合，合久必分。")], "id bigint, text string")
    args = (df, registry) if function == "check" else (df,)
    with pytest.raises(tp.InvalidParameterError, match=f"^{option}="):
        getattr(tps, function)(*args, **{option: value})


# ---------------------------------------------------------------------------------------------
# Connected components (large-star / small-star)
# ---------------------------------------------------------------------------------------------


def component_edges() -> list[tuple[int, int]]:
    """A shuffled path of 1,000 nodes (the worst case for label propagation), two interleaved
    paths, and random graphs (with loops and repeated edges) on disjoint node ranges."""
    rng = np.random.default_rng(2014)
    edges: list[tuple[int, int]] = []
    perm = rng.permutation(1000)
    edges += [(int(a), int(b)) for a, b in itertools.pairwise(perm.tolist())]
    base = 1000
    edges += [(base + i + 2, base + i) for i in range(200)]  # evens and odds: two components
    base += 202
    for _ in range(12):
        n = int(rng.integers(1, 60))
        m = int(rng.integers(0, 2 * n + 1))
        u = rng.integers(0, n, m) + base
        v = rng.integers(0, n, m) + base
        edges += [(int(a), int(b)) for a, b in zip(u, v)]
        base += n
    rng.shuffle(edges)
    return edges


def test_components_equal_union_find(spark: Any) -> None:
    # with local checkpoints; the dedup tests run them with reliable ones (the session has a
    # checkpoint directory)
    edges = component_edges()
    df = spark.createDataFrame(edges, "u bigint, v bigint").repartition(3)
    roots, iterations = tps._components(df, False)
    got = dict(roots.collect())
    expected = union_find(edges)
    assert got == expected
    assert len(set(expected.values())) > 10
    assert 1 <= iterations <= 40  # O(log n) rounds, not O(n)
