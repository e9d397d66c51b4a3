"""The machine a page's figures were measured on (for its result box)."""

from __future__ import annotations

import datetime as _dt
import os
import platform
from importlib.metadata import PackageNotFoundError, version


def machine_info() -> dict[str, str]:
    """Date, CPU, core count, platform and the versions that decide the figures."""
    import numpy as np

    import textprint

    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu or "unknown CPU",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.system(),
        "textprint": textprint.__version__,
    }


def machine_line(info: dict[str, str]) -> str:
    """One sentence: the machine and versions behind a page's figures."""
    return (
        f"Measured on {info['date']}: {info['nproc']} CPUs ({info['cpu']}), {info['platform']}, "
        f"Python {info['python']}, numpy {info['numpy']}, textprint {info['textprint']}."
    )


def package_version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"
