"""Tests of textprint.lsh's index as a store: keys, too-short rows, signatures made with other
parameters, shapes, and the file format (save, load, and every way a file can be wrong).

Queries against brute force, banding and band keys are tested in ``tests/test_lsh.py``.
"""

from __future__ import annotations

import io
import json
import pickle
import struct
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import textprint as tp
from _lsh_cases import fixture_documents
from reference_hashing import fixture
from textprint._index_file import FORMAT_VERSION
from textprint.lsh import LSHIndex, Match

# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------


def small_values(n: int, n_hashes: int = 16, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 1 << 62, (n, n_hashes), dtype=np.uint64)


def test_str_and_int_keys() -> None:
    values = small_values(5)
    index = LSHIndex(0.5, n_hashes=16)
    keys: list[Any] = ["a", 1, "1", -5, "作品"]
    index.add(keys, values)
    index.add([np.int64(2**40)], small_values(1, seed=1))  # numpy ints become int
    stored = index.keys()
    assert stored == [*keys, 2**40]
    assert all(type(k) is int for k in stored if not isinstance(k, str))
    for key, row in zip(keys, values):
        assert key in index
        top = index.query(row)[0]
        assert top == Match(key, 1.0)
        assert type(top.key) is type(key)
    assert 2**40 in index


@pytest.mark.parametrize("keys", [["a", "a"], [1, 1], ["x", "y", "x"]])
def test_duplicate_keys_within_a_call_raise(keys: list[Any]) -> None:
    index = LSHIndex(0.5, n_hashes=16)
    with pytest.raises(tp.InvalidParameterError, match="twice"):
        index.add(keys, small_values(len(keys)))
    assert len(index) == 0
    assert index.keys() == []


@pytest.mark.parametrize("dup", ["a", 3])
def test_duplicate_keys_across_calls_raise_and_change_nothing(dup: Any) -> None:
    index = LSHIndex(0.5, n_hashes=16)
    index.add(["a", 3], small_values(2))
    with pytest.raises(tp.InvalidParameterError, match="already"):
        index.add(["new", dup], small_values(2, seed=1))
    assert index.keys() == ["a", 3]
    assert "new" not in index
    assert index.query(small_values(2, seed=1)[0], threshold=0) == []


@pytest.mark.parametrize("bare", ["abc", "a", b"abc"])
def test_bare_str_keys_raise_invalid_input(bare: Any) -> None:
    index = LSHIndex(0.5, n_hashes=16)
    with pytest.raises(tp.InvalidInputError, match="bare"):
        index.add(bare, small_values(len(bare)))
    index.add(["a"], small_values(1))
    with pytest.raises(tp.InvalidInputError):
        index.remove(bare)
    assert "a" in index


@pytest.mark.parametrize("bad", [[1.5], [None], [True], [("a",)], [b"x"]])
def test_keys_of_other_types_raise_invalid_input(bad: list[Any]) -> None:
    with pytest.raises(tp.InvalidInputError):
        LSHIndex(0.5, n_hashes=16).add(bad, small_values(1))


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (np.array("x"), tp.InvalidInputError),  # a 0-d array is not a sequence
        (np.array(3), tp.InvalidInputError),
        (np.zeros((2, 4), dtype=np.uint64), tp.InvalidParameterError),  # one key per row
        (np.array([["a"], ["b"]]), tp.InvalidParameterError),
    ],
)
def test_keys_that_are_not_one_dimensional_raise(bad: Any, error: type[Exception]) -> None:
    index = LSHIndex(0.5, n_hashes=16)
    with pytest.raises(error, match="keys must be"):
        index.add(bad, small_values(2))
    index.add(["a", 1], small_values(2))
    with pytest.raises(error, match="keys must be"):
        index.remove(bad)
    assert index.keys() == ["a", 1]


@pytest.mark.parametrize("bad", [[[1]], [None], [1.5], [("a",)], ["a", {}], [True]])
def test_removing_keys_of_other_types_raises_invalid_input(bad: list[Any]) -> None:
    index = LSHIndex(0.5, n_hashes=16)
    index.add(["a", 1], small_values(2))
    with pytest.raises(tp.InvalidInputError, match="must be a str or an int") as err:
        index.remove(bad)
    assert isinstance(err.value, TypeError)
    assert index.keys() == ["a", 1]
    index.remove(np.array([1]))  # type: ignore[arg-type]  # numpy integers are int keys
    assert index.keys() == ["a"]


def test_key_count_must_match_signatures() -> None:
    with pytest.raises(tp.InvalidParameterError):
        LSHIndex(0.5, n_hashes=16).add(["a", "b"], small_values(3))


def test_remove_then_query_no_longer_returns_it() -> None:
    values = small_values(4)
    index = LSHIndex(0.5, n_hashes=16)
    index.add(["a", "b", 3, 4], values)
    index.remove(["b", 3])
    assert index.query(values[1], threshold=0) == []
    assert index.query(values[2], threshold=0) == []
    assert index.query(values[0]) == [Match("a", 1.0)]
    assert "b" not in index
    assert index.keys() == ["a", 4]
    index.add(["b"], values[1][None, :])  # a removed key may be added again
    assert index.query(values[1]) == [Match("b", 1.0)]


@pytest.mark.parametrize("missing", [["zz"], [99], ["a", "zz"], ["1"]])
def test_removing_unknown_key_raises_and_removes_nothing(missing: list[Any]) -> None:
    index = LSHIndex(0.5, n_hashes=16)
    index.add(["a", 1], small_values(2))
    with pytest.raises(tp.UnknownWorkError) as info:
        index.remove(missing)
    assert isinstance(info.value, KeyError)
    assert index.keys() == ["a", 1]
    index.remove(["a"])
    with pytest.raises(tp.UnknownWorkError):
        index.remove(["a"])  # already removed


def test_key_errors_name_the_key_as_the_registry_does() -> None:
    """LSHIndex and Registry raise the same classes for a key given twice or missing, each
    carrying the key (.key, and .work_id for the Registry's name of it)."""
    index = LSHIndex(0.5, n_hashes=16)
    index.add(["a", 3], small_values(2))
    calls: tuple[tuple[Callable[[], None], str | int], ...] = (
        (lambda: index.add([3], small_values(1)), 3),
        (lambda: index.add(["b", "b"], small_values(2)), "b"),
        (lambda: index.remove(["a", "a"]), "a"),
    )
    for call, key in calls:
        with pytest.raises(tp.DuplicateWorkError) as dup:
            call()
        # (the attributes first: mypy cannot type the intersection the isinstance checks make)
        assert (dup.value.key, dup.value.work_id) == (key, key)
        assert isinstance(dup.value, tp.InvalidParameterError)
        assert isinstance(dup.value, KeyError)
    with pytest.raises(tp.UnknownWorkError) as missing:
        index.remove(["zz"])
    assert (missing.value.key, missing.value.work_id) == ("zz", "zz")
    reg = tp.Registry(n_hashes=16)
    reg.register(7, "天下大势，分久必合，合久必分。周末七国分争，并入于秦。")
    with pytest.raises(tp.DuplicateWorkError) as dup:
        reg.register(7, "另一个文本，另一个文本，另一个文本。")
    assert dup.value.work_id == 7
    with pytest.raises(tp.UnknownWorkError) as missing:
        reg.get("nope")
    assert missing.value.key == "nope"


def test_remove_with_a_repeated_key_raises_before_changing_anything() -> None:
    index = LSHIndex(0.5, n_hashes=16)
    index.add(["x", "y"], small_values(2))
    with pytest.raises(tp.InvalidParameterError):
        index.remove(["x", "x"])
    assert index.keys() == ["x", "y"]


# ---------------------------------------------------------------------------------------------
# Too-short rows, incompatible signatures, shapes
# ---------------------------------------------------------------------------------------------


def test_invalid_rows_never_match_anything() -> None:
    mh = tp.MinHasher(64)
    texts = ["", "天下大势，分久必合，合久必分。", " \n\t", "to be or not to be", "。，"]
    sigs = mh.signatures(texts)
    assert sigs.valid.tolist() == [False, True, False, True, False]
    index = LSHIndex(0.5, n_hashes=64)
    index.add(["e1", "zh", "e2", "en", "e3"], sigs)
    assert len(index) == 5
    assert "e1" in index
    for i, valid in enumerate(sigs.valid.tolist()):
        got = [m.key for m in index.query(sigs.values[i], threshold=0)]
        if valid:
            assert got == [["e1", "zh", "e2", "en", "e3"][i]]
        else:
            assert got == []  # not even the other invalid rows, nor itself
    many = index.query_many(sigs, threshold=0)
    assert [len(x) for x in many] == [0, 1, 0, 1, 0]


def test_signatures_with_other_params_raise_incompatible() -> None:
    texts = [fixture("zh_novel"), fixture("en_gutenberg")]
    base = tp.MinHasher(64, k=5, seed=0).signatures(texts)
    index = LSHIndex(0.5, n_hashes=64)
    index.add(["zh", "en"], base)
    for other in (
        tp.MinHasher(64, k=7),
        tp.MinHasher(64, seed=1),
        tp.MinHasher(64, scheme="classic"),
    ):
        sigs = other.signatures(texts)
        with pytest.raises(tp.IncompatibleError):
            index.add(["zh2", "en2"], sigs)
        with pytest.raises(tp.IncompatibleError):
            index.query_many(sigs)
    assert index.keys() == ["zh", "en"]
    assert issubclass(tp.IncompatibleError, ValueError)
    # the same settings are fine
    index.add(["zh3"], tp.MinHasher(64, k=5, seed=0).signatures(texts[:1]))
    assert [m.key for m in index.query_many(base)[0]] == ["zh", "zh3"]


def test_raw_arrays_then_signatures_adopt_params() -> None:
    texts = [fixture("ja_aozora")]
    sigs = tp.MinHasher(32).signatures(texts)
    index = LSHIndex(0.5, n_hashes=32)
    index.add(["raw"], np.array(sigs.values))
    assert index.params is None
    index.add(["sig"], sigs)
    assert index.params == sigs.params
    with pytest.raises(tp.IncompatibleError):
        index.add(["k7"], tp.MinHasher(32, k=7).signatures(texts))


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((2, 8), dtype=np.uint64),  # wrong n_hashes
        np.zeros((2, 16), dtype=np.int64),  # wrong dtype
        np.zeros((2, 16), dtype=np.float64),
        np.zeros((2, 2, 16), dtype=np.uint64),
    ],
)
def test_bad_signature_shapes_raise_invalid_parameter(bad: np.ndarray) -> None:
    index = LSHIndex(0.5, n_hashes=16)
    with pytest.raises(tp.InvalidParameterError):
        index.add(["a", "b"], bad)
    with pytest.raises(tp.InvalidParameterError):
        index.query_many(bad)
    with pytest.raises(tp.InvalidParameterError):
        index.query(np.zeros((1, 16), dtype=np.uint64))  # query takes one signature


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_bad_query_threshold_raises(bad: float) -> None:
    index = LSHIndex(0.5, n_hashes=16)
    with pytest.raises(tp.InvalidParameterError):
        index.query(small_values(1)[0], threshold=bad)


def test_empty_index_returns_nothing() -> None:
    index = LSHIndex(0.5, n_hashes=16)
    assert index.query(small_values(1)[0], threshold=0) == []
    assert index.query_many(small_values(3), threshold=0) == [[], [], []]


# ---------------------------------------------------------------------------------------------
# save / load
# ---------------------------------------------------------------------------------------------


def built_index() -> tuple[LSHIndex, np.ndarray, list[Any]]:
    docs, _ = fixture_documents()
    sigs = tp.MinHasher(64, seed=3).signatures([*docs[:60], ""])
    keys: list[Any] = [f"文書{i}" if i % 2 else i - 30 for i in range(60)]
    keys += ["12"]  # a str that looks like an int stays a str (and 12 is also a key)
    index = LSHIndex.for_threshold(0.7, n_hashes=64)
    index.add(keys, sigs)
    index.remove([keys[5], keys[6]])
    return index, np.asarray(sigs), keys


def test_save_load_round_trip(tmp_path: Path) -> None:
    index, values, _ = built_index()
    path = tmp_path / "index.tpl"
    index.save(path)
    loaded = LSHIndex.load(str(path))
    loaded_keys, keys = loaded.keys(), index.keys()
    assert loaded_keys == keys
    assert [type(k) for k in loaded_keys] == [type(k) for k in keys]
    assert (loaded.threshold, loaded.n_hashes, loaded.bands, loaded.rows) == (
        index.threshold,
        index.n_hashes,
        index.bands,
        index.rows,
    )
    assert loaded.params == index.params
    assert loaded.query_many(values) == index.query_many(values)
    assert loaded.query_many(values, threshold=0) == index.query_many(values, threshold=0)
    assert loaded.query(values[-1], threshold=0) == []  # the too-short row stays inert
    with pytest.raises(tp.IncompatibleError):  # the params were saved
        loaded.add(["x"], tp.MinHasher(64, seed=4).signatures(["some text here"]))


def test_save_load_keys_with_lone_surrogates(tmp_path: Path) -> None:
    # add accepts any str, so save must write any str: lone surrogates (either half, and a
    # high-low pair kept as two code points) round-trip exactly, distinct from the character
    # the pair stands for
    keys: list[Any] = ["\ud800", "a\udfffb", "\ud83d\ude00", "\U0001f600", "作品", "", 7, -3]
    index = LSHIndex(0.5, n_hashes=16)
    index.add(keys, small_values(len(keys)))
    path = tmp_path / "index.tpl"
    index.save(path)
    loaded = LSHIndex.load(path)
    loaded_keys = loaded.keys()
    assert loaded_keys == keys
    assert [type(k) for k in loaded_keys] == [type(k) for k in keys]
    assert "\ud83d\ude00" in loaded
    assert loaded.query(small_values(len(keys))[2]) == [Match("\ud83d\ude00", 1.0)]


def test_save_load_empty_index(tmp_path: Path) -> None:
    path = tmp_path / "empty.tpl"
    LSHIndex(0.9, n_hashes=32).save(path)
    loaded = LSHIndex.load(path)
    assert len(loaded) == 0
    assert (loaded.threshold, loaded.n_hashes) == (0.9, 32)


def write_zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)


def saved_index(tmp_path: Path, name: str = "good.tpl") -> Path:
    path = tmp_path / name
    built_index()[0].save(path)
    return path


def saved_members(tmp_path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(saved_index(tmp_path)) as z:
        return {name: z.read(name) for name in z.namelist()}


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=True)
    return buf.getvalue()


def test_load_garbage_raises_format_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.tpl"
    for data in (b"", b"not an index at all", bytes(range(256)) * 10, b"PK\x03\x04garbage"):
        path.write_bytes(data)
        with pytest.raises(tp.FormatError):
            LSHIndex.load(path)


def test_load_truncated_file_raises_format_error(tmp_path: Path) -> None:
    raw = saved_index(tmp_path).read_bytes()
    bad = tmp_path / "truncated.tpl"
    for cut in (1, 10, len(raw) // 3, len(raw) // 2, len(raw) - 30, len(raw) - 1):
        bad.write_bytes(raw[:cut])
        with pytest.raises(tp.FormatError):
            LSHIndex.load(bad)


def test_load_zip_without_header_raises_format_error(tmp_path: Path) -> None:
    members = saved_members(tmp_path)
    del members["header.json"]
    path = tmp_path / "noheader.tpl"
    write_zip(path, members)
    with pytest.raises(tp.FormatError):
        LSHIndex.load(path)
    write_zip(path, {"readme.txt": b"hello"})
    with pytest.raises(tp.FormatError):
        LSHIndex.load(path)


@pytest.mark.parametrize(
    "change",
    [
        {"version": FORMAT_VERSION + 1},
        {"version": 99},
        {"format": "something-else"},
        {"format": None},
        {"version": "1"},
        {"n_hashes": 32},  # does not fit the stored signatures
        {"threshold": 1.5},
        {"bands": 1000},
        {"params": {"unknown": 1}},
    ],
)
def test_load_bad_header_raises_format_error(tmp_path: Path, change: dict[str, Any]) -> None:
    members = saved_members(tmp_path)
    header = json.loads(members["header.json"])
    header.update(change)
    members["header.json"] = json.dumps(header).encode()
    path = tmp_path / "bad.tpl"
    write_zip(path, members)
    with pytest.raises(tp.FormatError) as info:
        LSHIndex.load(path)
    if "version" in change and isinstance(change["version"], int):
        assert "upgrade" in str(info.value)
        assert (info.value.found, info.value.supported) == (change["version"], FORMAT_VERSION)
    elif "version" in change:  # a version that is not one: what this textprint reads only
        assert (info.value.found, info.value.supported) == (None, FORMAT_VERSION)
    else:
        assert (info.value.found, info.value.supported) == (None, None)


def test_concurrent_saves_to_one_path_both_succeed(tmp_path: Path) -> None:
    """Each save writes its own temporary file (a fixed name made two concurrent saves
    collide): both succeed, the file is one of the two, and no temporary file is left."""
    index, _, _ = built_index()
    other = LSHIndex.for_threshold(0.7, n_hashes=64)
    path = tmp_path / "shared.tpl"
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def save(ix: LSHIndex) -> None:
        barrier.wait()
        try:
            for _ in range(5):
                ix.save(path)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(ix,)) for ix in [index, other] * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(LSHIndex.load(path)) in (len(index), 0)
    assert [p.name for p in tmp_path.iterdir()] == ["shared.tpl"]


def test_a_failed_save_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = saved_index(tmp_path)
    before = path.read_bytes()

    def full_disk(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", full_disk)
    with pytest.raises(tp.StorageError, match="No space left"):
        built_index()[0].save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


@pytest.mark.parametrize("header", [b"[1, 2]", b"{not json", b"\xff\xfe", b"null"])
def test_load_header_that_is_not_an_object_raises_format_error(
    tmp_path: Path, header: bytes
) -> None:
    members = saved_members(tmp_path)
    members["header.json"] = header
    path = tmp_path / "bad.tpl"
    write_zip(path, members)
    with pytest.raises(tp.FormatError):
        LSHIndex.load(path)


class _Marker:
    """Unpickling this creates the marker file: proof that a pickle was executed."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return (open, (str(self.path), "w"))


def test_load_pickle_raises_format_error_without_executing_it(tmp_path: Path) -> None:
    # the payload really would run: unpickling a twin creates its marker
    twin = tmp_path / "twin-marker"
    pickle.loads(pickle.dumps(_Marker(twin))).close()
    assert twin.exists()

    marker = tmp_path / "marker"
    path = tmp_path / "index.pkl"
    path.write_bytes(pickle.dumps({"index": _Marker(marker)}))
    with pytest.raises(tp.FormatError):
        LSHIndex.load(path)
    # a pickle hidden inside a well-formed archive, as an object array and as a member
    members = saved_members(tmp_path)
    members["values.npy"] = npy(np.array([_Marker(marker)], dtype=object))
    write_zip(path, members)
    with pytest.raises(tp.FormatError):
        LSHIndex.load(path)
    members["key_blob.npy"] = pickle.dumps(_Marker(marker))
    write_zip(path, members)
    with pytest.raises(tp.FormatError):
        LSHIndex.load(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("name", "array"),
    [
        ("values", np.zeros((3, 64), dtype=np.int64)),
        ("values", np.zeros(64, dtype=np.uint64)),
        ("values", np.zeros((2, 64), dtype=np.uint64)),  # fewer rows than keys
        ("key_is_str", np.ones(3, dtype=bool)),
        ("key_offsets", np.array([0.5, 1.5])),
    ],
)
def test_load_arrays_that_do_not_fit_raise_format_error(
    tmp_path: Path, name: str, array: np.ndarray
) -> None:
    members = saved_members(tmp_path)
    members[f"{name}.npy"] = npy(array)
    path = tmp_path / "bad.tpl"
    write_zip(path, members)
    with pytest.raises(tp.FormatError):
        LSHIndex.load(path)


def test_load_short_key_offsets_raises_format_error(tmp_path: Path) -> None:
    members = saved_members(tmp_path)
    offsets = np.load(io.BytesIO(members["key_offsets.npy"]))
    members["key_offsets.npy"] = npy(offsets[:-5])
    path = tmp_path / "bad.tpl"
    write_zip(path, members)
    with pytest.raises(tp.FormatError):
        LSHIndex.load(path)


def test_load_corrupt_compressed_member_raises_format_error(tmp_path: Path) -> None:
    path = saved_index(tmp_path, "index.tpl")
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("values.npy")
    assert info.compress_type == zipfile.ZIP_DEFLATED
    name_len, extra_len = struct.unpack(
        "<HH", raw[info.header_offset + 26 : info.header_offset + 30]
    )
    start = info.header_offset + 30 + name_len + extra_len
    raw[start : start + info.compress_size] = b"\xff" * info.compress_size
    path.write_bytes(bytes(raw))
    with pytest.raises(tp.FormatError):
        LSHIndex.load(path)


def test_unreadable_path_raises_storage_error(tmp_path: Path) -> None:
    with pytest.raises(tp.StorageError):
        LSHIndex.load(tmp_path / "does-not-exist.tpl")
    with pytest.raises(tp.StorageError):
        LSHIndex.load(tmp_path)  # a directory
    with pytest.raises(tp.StorageError) as info:
        LSHIndex(0.5, n_hashes=16).save(tmp_path / "no" / "such" / "dir" / "index.tpl")
    assert isinstance(info.value, OSError)
