"""Determinism: golden vectors per tokenizer, identical results across processes, and a registry
that notices it was built by another pipeline.

* Golden vectors: fingerprints and signatures (every scheme) of short zh/ja/en fixture cuts
  (tests/fixtures, see ATTRIBUTION.md) with EVERY tokenizer installed (char, jieba, mecab,
  sudachi), stored in ``tests/golden/determinism/<tokenizer>.json``. They change only on
  purpose: regenerate with ``TEXTPRINT_REGEN_GOLDEN=1 python -m pytest
  tests/test_determinism.py -k regenerate`` and review the diff (a change is a format change:
  new version, manifest, rebuild path).
* Across processes: the same digest of tokens, fingerprints, signatures, passages, dedup labels,
  LSH matches and registry hits in fresh interpreters with different ``PYTHONHASHSEED``.
* Registry manifest: a file whose manifest names another tokenizer identity, normalization,
  hash or table version is refused on ``check`` with an IncompatibleError that names
  ``rebuild``, and ``rebuild()`` makes it usable again; a file whose tables have a newer layout
  (``table_version.*``) is refused on opening with a FormatError.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import textprint as tp
from helpers import run_python, tokenizer_available
from textprint.errors import FormatError, IncompatibleError

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
GOLDEN = TESTS / "golden" / "determinism"
REGENERATE = os.environ.get("TEXTPRINT_REGEN_GOLDEN") == "1"
TOKENIZERS = ("char", "jieba", "mecab", "sudachi")
SCHEMES = ("oph", "classic", "datasketch")
N_HASHES = 16


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _poem(i: int) -> str:
    lines = fixture("zh_poems.jsonl").splitlines()
    return str([json.loads(line)["text"] for line in lines if line.strip()][i])


#: Short cuts of the fixtures: (name, text).
CASES: list[tuple[str, str]] = [
    ("zh_novel", fixture("zh_novel.txt")[:160]),
    ("zh_poem_traditional", _poem(0)),
    ("ja_aozora", fixture("ja_aozora.txt")[:160]),
    ("ja_aozora_old", fixture("ja_aozora_old.txt")[:160]),
    ("en_gutenberg", fixture("en_gutenberg.txt")[:400]),
]


INSTALLED = [name for name in TOKENIZERS if tokenizer_available(name)]


def vectors(text: str, tokenizer: str) -> dict[str, Any]:
    """Everything pinned for one text and tokenizer."""
    fp = tp.fingerprint(text, k=5, window=10, seed=0, tokenizer=tokenizer)
    out: dict[str, Any] = {
        "identity": fp.params.tokenizer,
        "fingerprint": {
            "hashes": fp.hashes.tolist(),
            "starts": fp.starts.tolist(),
            "ends": fp.ends.tolist(),
            "positions": fp.positions.tolist(),
            "n_shingles": fp.n_shingles,
        },
        "signatures": {},
    }
    for scheme in SCHEMES:
        mh = tp.MinHasher(N_HASHES, k=5, seed=7, scheme=scheme, tokenizer=tokenizer)
        out["signatures"][scheme] = mh.signature(text).tolist()
    return out


def golden_path(tokenizer: str) -> Path:
    return GOLDEN / f"{tokenizer}.json"


def regenerate() -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for tokenizer in INSTALLED:
        doc = {
            "about": (
                "Golden fingerprints (k=5, window=10, seed=0) and signatures (n_hashes=16, k=5, "
                "seed=7, every scheme) of short fixture cuts with this tokenizer. Written by "
                "tests/test_determinism.py with TEXTPRINT_REGEN_GOLDEN=1; a change is a format "
                "change: review it."
            ),
            "cases": {name: {"text": text, **vectors(text, tokenizer)} for name, text in CASES},
        }
        golden_path(tokenizer).write_text(_dump(doc) + "\n", encoding="utf-8")


def _dump(value: Any, indent: str = "") -> str:
    """JSON with one key per line and lists of numbers on one line (readable diffs)."""
    inner = indent + " "
    if isinstance(value, dict):
        items = [
            f"{inner}{json.dumps(k, ensure_ascii=False)}: {_dump(v, inner)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    return json.dumps(value, ensure_ascii=False)


@pytest.mark.skipif(not REGENERATE, reason="set TEXTPRINT_REGEN_GOLDEN=1 to rewrite golden files")
def test_regenerate_golden() -> None:
    regenerate()


@pytest.mark.parametrize("name", [name for name, _ in CASES])
@pytest.mark.parametrize("tokenizer", TOKENIZERS)
def test_golden_vectors(tokenizer: str, name: str) -> None:
    if not tokenizer_available(tokenizer):
        pytest.skip(f"{tokenizer} is not installed")
    path = golden_path(tokenizer)
    assert path.is_file(), f"{path} is missing: run with TEXTPRINT_REGEN_GOLDEN=1"
    case = json.loads(path.read_text(encoding="utf-8"))["cases"][name]
    text = dict(CASES)[name]
    assert case["text"] == text, "the fixture cut changed: regenerate the golden files"
    got = vectors(text, tokenizer)
    assert got["fingerprint"] == case["fingerprint"], (
        f"fingerprints changed (written with {case['identity']}, now {got['identity']})"
    )
    assert got["signatures"] == case["signatures"], (
        f"signatures changed (written with {case['identity']}, now {got['identity']})"
    )
    # outside oracle: datasketch itself, on the exact shingles this tokenizer produces
    datasketch = pytest.importorskip("datasketch")
    m = datasketch.MinHash(num_perm=N_HASHES, seed=7)
    m.update_batch(tp.shingles(text, k=5, tokenizer=tokenizer))
    assert [int(v) for v in m.hashvalues] == case["signatures"]["datasketch"]


def test_char_vectors_agree_with_the_hashing_goldens() -> None:
    """Two golden files written by different tests pin the same char fingerprints."""
    other = json.loads((TESTS / "golden" / "hashing" / "fingerprints.json").read_text("utf-8"))
    mine = json.loads(golden_path("char").read_text(encoding="utf-8"))["cases"]
    for lang, name in (("zh", "zh_novel"), ("ja", "ja_aozora")):
        assert other[lang]["fixture"] == f"{name}.txt[:160]"
        assert other[lang]["hashes"] == mine[name]["fingerprint"]["hashes"]
        assert other[lang]["starts"] == mine[name]["fingerprint"]["starts"]


def test_golden_files_cover_every_installed_tokenizer() -> None:
    missing = [t for t in INSTALLED if not golden_path(t).is_file()]
    assert not missing, f"no golden file for {missing}: run with TEXTPRINT_REGEN_GOLDEN=1"


# ---------------------------------------------------------------------- across processes

_DIGEST = r"""
import hashlib, json, sys
sys.path.insert(0, sys.argv[1])
import test_determinism as d

print(d.digest())
"""


def digest() -> str:
    """One SHA-256 over everything textprint computes for the fixture cuts, every tokenizer."""
    h = hashlib.sha256()

    def feed(label: str, value: Any) -> None:
        h.update(json.dumps([label, value], ensure_ascii=False, sort_keys=True).encode())

    texts = [text for _, text in CASES]
    for tokenizer in INSTALLED:
        for name, text in CASES:
            t = tp.tokenize(text, tokenizer=tokenizer)
            feed("tokens", [tokenizer, name, t.tokens, t.starts.tolist(), t.ends.tolist(), t.lang])
            feed("vectors", [tokenizer, name, vectors(text, tokenizer)])
        sigs = tp.MinHasher(32, tokenizer=tokenizer).signatures(texts + texts[:2])
        feed("signatures", [tokenizer, sigs.values.tolist(), sigs.valid.tolist()])
        feed("dedup", [tokenizer, tp.dedup(sigs, threshold=0.5).tolist()])
        index = tp.LSHIndex.for_threshold(0.3, n_hashes=32)
        index.add([f"k{i}" for i in range(len(texts) + 2)], sigs)
        feed("lsh", [tokenizer, [[tuple(m) for m in ms] for ms in index.query_many(sigs)]])
        post = "转载：" + texts[0] + texts[2] + "完"
        c = tp.compare(post, texts[0], tokenizer=tokenizer)
        feed("compare", [tokenizer, c.passages, c.containment, c.jaccard])
    with tp.Registry() as reg:
        for name, text in CASES:
            reg.register(name, text * 3, {"name": name})
        for name, text in CASES:
            hits = reg.check("转：" + text * 3)
            feed("hits", [name, [(x.work_id, x.passages, x.containment) for x in hits]])
    return h.hexdigest()


@functools.cache
def digest_here() -> str:
    return digest()


# One other PYTHONHASHSEED in the default check (about 3 s each); the others in `nox -s slow`.
@pytest.mark.parametrize(
    "hash_seed",
    ["1", pytest.param("0", marks=pytest.mark.slow), pytest.param("4242", marks=pytest.mark.slow)],
)
def test_identical_results_across_processes_and_hash_seeds(hash_seed: str) -> None:
    out = run_python(_DIGEST, str(TESTS), hash_seed=hash_seed)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == digest_here(), f"PYTHONHASHSEED={hash_seed} gave other results"


# ----------------------------------------------------------------------- registry manifest

WORK = fixture("zh_novel.txt")[:600]
POST = "转载：" + WORK[100:500] + "。完"


def _registry_file(path: Path, tokenizer: str) -> None:
    with tp.Registry(path, tokenizer=tokenizer) as reg:
        reg.register("novel", WORK, {"source": "zh_novel.txt"})
        assert [h.work_id for h in reg.check(POST)] == ["novel"]


def _edit_manifest(path: Path, key: str, value: str) -> None:
    conn = sqlite3.connect(path)
    try:
        with conn:
            cur = conn.execute("UPDATE manifest SET value = ? WHERE key = ?", (value, key))
            assert cur.rowcount == 1, f"the manifest has no {key!r}"
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("tokenizer_identity", "OTHER-0+dict.sha256:000000000000"),
        ("normalization", "normalize-0+tables-0(unicode-13.0.0,opencc-1.1.0,sha256:000000000000)"),
        ("hash", "tp64-0"),
    ],
)
@pytest.mark.parametrize("tokenizer", TOKENIZERS)
def test_stale_manifest_is_refused_then_rebuilt(
    tokenizer: str, key: str, value: str, tmp_path: Path
) -> None:
    if not tokenizer_available(tokenizer):
        pytest.skip(f"{tokenizer} is not installed")
    path = tmp_path / "works.db"
    _registry_file(path, tokenizer)
    with tp.Registry(path) as reg:
        current = reg.manifest[key]
    _edit_manifest(path, key, value)
    with tp.Registry(path) as reg:
        assert reg.manifest[key] == value
        with pytest.raises(IncompatibleError, match="rebuild") as caught:
            reg.check(POST)
        assert value in str(caught.value)
        with pytest.raises(IncompatibleError, match="rebuild"):
            reg.register("another", "今天天气很好。")
        reg.rebuild()
        assert reg.manifest[key] == current
        assert [h.work_id for h in reg.check(POST)] == ["novel"]
        assert reg.get("novel").metadata == {"source": "zh_novel.txt"}
    with tp.Registry(path) as reg:  # the rebuilt manifest is the one on disk
        assert reg.manifest[key] == current
        assert [h.work_id for h in reg.check(POST)] == ["novel"]


@pytest.mark.parametrize(
    ("key", "value"),
    [("tables_version", "0"), ("unicode_version", "13.0.0"), ("opencc_version", "1.1.0")],
)
def test_other_table_versions_are_refused(key: str, value: str, tmp_path: Path) -> None:
    path = tmp_path / "works.db"
    _registry_file(path, "char")
    with tp.Registry(path) as reg:
        current = reg.manifest[key]
    _edit_manifest(path, key, value)
    with tp.Registry(path) as reg:
        with pytest.raises(IncompatibleError, match="rebuild") as caught:
            reg.check(POST)
        # says what differs: the entry, the file's value and this textprint's
        assert f"{key}: the file has {value!r}, this textprint has {current!r}" in str(caught.value)
        assert "textprint rebuild" in str(caught.value)
        with pytest.raises(IncompatibleError, match="rebuild"):
            reg.register("another", "今天天气很好。")
        reg.rebuild()
        assert reg.manifest[key] == current
        assert [h.work_id for h in reg.check(POST)] == ["novel"]
    with tp.Registry(path) as reg:  # the rebuilt manifest is the one on disk
        assert reg.manifest[key] == current
        assert [h.work_id for h in reg.check(POST)] == ["novel"]


@pytest.mark.parametrize("table", ["segments", "works"])
def test_newer_table_layout_is_refused(table: str, tmp_path: Path) -> None:
    # the tables of the current format (the postings live in "segments" since format 2)
    path = tmp_path / "works.db"
    _registry_file(path, "char")
    with tp.Registry(path) as reg:
        current = int(reg.manifest[f"table_version.{table}"])
    newer = current + 1
    _edit_manifest(path, f"table_version.{table}", str(newer))
    # refused on opening, naming the table, the version found and the versions supported
    with pytest.raises(
        FormatError, match=rf"'{table}' table in layout version {newer}; .* up to {current}"
    ):
        tp.Registry(path)
    _edit_manifest(path, f"table_version.{table}", "x")
    with pytest.raises(FormatError, match="corrupt manifest"):
        tp.Registry(path)
    _edit_manifest(path, f"table_version.{table}", str(current))
    with tp.Registry(path) as reg:
        assert [h.work_id for h in reg.check(POST)] == ["novel"]


def test_rebuild_with_other_settings_changes_fingerprints(tmp_path: Path) -> None:
    """rebuild(tokenizer=...) re-fingerprints every stored text under the new identity."""
    path = tmp_path / "works.db"
    _registry_file(path, "char")
    with tp.Registry(path) as reg:
        reg.rebuild(tokenizer="jieba")
        assert reg.manifest["tokenizer"] == "jieba"
        assert reg.manifest["tokenizer_identity"].startswith("jieba-")
        assert [h.work_id for h in reg.check(POST)] == ["novel"]
    with pytest.raises(IncompatibleError, match="rebuild"):
        tp.Registry(path, tokenizer="char")
