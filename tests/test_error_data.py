"""Errors carry what happened (errors.py): the Registry's raise sites fill in the data.

LSHIndex's key errors are tested in test_lsh.py; these are the Registry's: `.work_id` on
DuplicateWorkError, UnknownWorkError and TooShortError, `.differences` on IncompatibleError,
`.found` / `.supported` on FormatError when a version is the problem.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import textprint as tp
from textprint.registry import FORMAT_VERSION

ZH = "天下大势，分久必合，合久必分。周末七国分争，并入于秦。及秦灭之后，楚、汉分争，又并入于汉。"


def set_manifest(path: Path, key: str, value: str) -> None:
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute("UPDATE manifest SET value = ? WHERE key = ?", (value, key))
    finally:
        conn.close()


def test_duplicate_and_unknown_work_ids_are_named() -> None:
    reg = tp.Registry()
    reg.register("a", ZH)
    with pytest.raises(tp.DuplicateWorkError) as dup:
        reg.register("a", ZH)
    assert dup.value.work_id == "a"
    with pytest.raises(tp.DuplicateWorkError) as twice:
        reg.register_many([(7, ZH), (7, ZH + "。")])
    assert twice.value.work_id == 7
    with pytest.raises(tp.UnknownWorkError) as unknown:
        reg.get("missing")
    assert unknown.value.work_id == "missing"
    with pytest.raises(tp.UnknownWorkError) as gone:
        reg.remove(42)
    assert gone.value.work_id == 42


def test_too_short_names_the_work() -> None:
    with pytest.raises(tp.TooShortError) as info:
        tp.Registry().register("tiny", "天下")
    assert info.value.work_id == "tiny"


def test_incompatible_settings_list_the_differences(tmp_path: Path) -> None:
    path = tmp_path / "works.db"
    with tp.Registry(path, k=5) as reg:
        reg.register("a", ZH)
    with pytest.raises(tp.IncompatibleError) as info:
        tp.Registry(path, k=4, window=10)
    assert info.value.differences == {"k": (4, "5")}


def test_a_newer_format_names_both_versions(tmp_path: Path) -> None:
    path = tmp_path / "works.db"
    with tp.Registry(path) as reg:
        reg.register("a", ZH)
    set_manifest(path, "format_version", str(FORMAT_VERSION + 1))
    with pytest.raises(tp.FormatError) as info:
        tp.Registry(path)
    assert (info.value.found, info.value.supported) == (FORMAT_VERSION + 1, FORMAT_VERSION)
