"""Works that can never be found are refused, skipped or accepted (issue 17, problem 5).

A work with fewer than ``k`` tokens after normalization has no winnowed fingerprint under the
registry's settings, so no check can ever report it. Registering one used to succeed without a
word. Tested through the public API only.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import textprint as tp
from textprint.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
ZH = (FIXTURES / "zh_novel.txt").read_text(encoding="utf-8")
UNFINDABLE = ["", "   ", "，。！？", "三个字", "\u200b\u200b\u200b\u200b\u200b\u200b"]


@pytest.mark.parametrize("text", UNFINDABLE)
def test_register_refuses_a_work_that_can_never_be_found(text: str) -> None:
    reg = tp.Registry()
    with pytest.raises(tp.TooShortError, match=r"work_id 'w' is too short.*fewer than k=5 tokens"):
        reg.register("w", text)
    assert "w" not in reg
    assert len(reg) == 0


def test_the_rule_follows_the_registry_settings() -> None:
    """Four characters are too short for k=5 but make one shingle at k=3: found."""
    reg = tp.Registry(k=3, window=2)
    reg.register("four", "春眠不觉")
    assert [h.work_id for h in reg.check("春眠不觉")] == ["four"]
    reg5 = tp.Registry()
    with pytest.raises(tp.TooShortError, match="k=5"):
        reg5.register("four", "春眠不觉")
    reg5.register("five", "春眠不觉晓")  # five tokens: one shingle, one fingerprint
    assert [h.work_id for h in reg5.check("春眠不觉晓")] == ["five"]


def test_skip_and_accept() -> None:
    reg = tp.Registry()
    items = [("a", ZH[:300]), ("b", "，。"), ("c", ZH[300:600]), ("d", "")]
    assert reg.register_many(items, too_short="skip") == ["a", "c"]
    assert sorted(reg) == ["a", "c"]
    reg.register("e", "", too_short="skip")
    assert "e" not in reg
    assert reg.register_many([("b", "，。")], too_short="accept") == ["b"]
    assert reg.get("b").text == "，。"
    assert reg.check("，。") == []  # accepted, and still never found
    with pytest.raises(tp.InvalidParameterError, match="too_short"):
        reg.register("x", ZH[:300], too_short="ignore")


def test_a_batch_with_one_unfindable_work_is_not_committed() -> None:
    reg = tp.Registry()
    items = [("a", ZH[:300]), ("b", ZH[300:600]), ("short", "短"), ("c", ZH[600:900])]
    with pytest.raises(tp.TooShortError, match="'short'"):
        reg.register_many(items, batch_size=2)
    assert sorted(reg) == ["a", "b"]  # the first batch committed, the second not


def test_cli_register_leaves_them_out_and_lists_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [("ok-1", ZH[:400]), ("empty", ""), ("punct", "，。！？"), ("ok-2", ZH[400:800])]
    works = tmp_path / "works.jsonl"
    works.write_text(
        "".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in rows),
        encoding="utf-8",
    )
    db = tmp_path / "works.db"
    assert main(["register", str(db), str(works), "-q"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "registered 2 works; the registry holds 2"
    assert out[1].startswith("left out 2 works too short to ever be found (fewer than k=5")
    assert out[2:] == [f"  empty ({works}:2)", f"  punct ({works}:3)"]
    assert (
        main(["register", str(db), str(works), "-q", "--skip-existing", "--too-short", "stop"]) == 2
    )
    err = capsys.readouterr().err
    assert "work_id 'empty' is too short" in err
    assert err.count("\n") == 1
    assert (
        main(["register", str(db), str(works), "-q", "--skip-existing", "--too-short", "accept"])
        == 0
    )
    assert capsys.readouterr().out == "registered 2 works; the registry holds 4\n"
    with tp.Registry(db) as reg:
        assert sorted(reg) == ["empty", "ok-1", "ok-2", "punct"]
