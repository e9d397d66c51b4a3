"""Input files for the command-line tests."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def write_jsonl(path: Path, rows: Iterable[dict[str, Any] | tuple[Any, str]]) -> Path:
    """One JSON object per line; an ``(id, text)`` pair is ``{"id": ..., "text": ...}``."""
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            obj = row if isinstance(row, dict) else {"id": row[0], "text": row[1]}
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")
    return path
