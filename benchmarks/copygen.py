"""The copy generator, now :mod:`benchmarks.textgen` (kept importable by this name for scripts
written against it; new code imports `benchmarks.textgen`)."""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # imported as a top-level module from benchmarks/
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.textgen import *  # noqa: F403
from benchmarks.textgen import __all__  # noqa: F401
