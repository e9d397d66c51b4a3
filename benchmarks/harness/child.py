"""A function run in a fresh process, and the resident-memory probes such a process reads.

`run_child("benchmarks.bench_memory:child", payload)` starts ``python -m
benchmarks.harness.child``, which imports the function, calls it with the JSON payload and
prints its JSON result: a measurement with nothing of the parent's memory, tables or caches in
it (or with other environment variables, such as ``PYTHONHASHSEED``).
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import subprocess
import sys
from typing import Any

from .corpora import REPO


def run_child(target: str, payload: Any = None, *, env: dict[str, str] | None = None) -> Any:
    """Call ``module:function`` with `payload` in a fresh interpreter; return its JSON result."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.harness.child", target],
        input=json.dumps(payload),
        env={**os.environ, **(env or {})},
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{target} failed in a child process:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def status_kb(field: str) -> int:
    """A field of /proc/self/status in kB (VmRSS, VmHWM ...); -1 where there is none."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def peak_rss_reset() -> bool:
    """Reset this process's peak resident size (VmHWM; Linux >= 4.0); False if unable (then
    `peak_rss` is the lifetime peak)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
    except OSError:
        return False
    return True


def peak_rss(reset_worked: bool) -> int:
    """Peak resident bytes since `peak_rss_reset` (or the lifetime peak when it did not work)."""
    if reset_worked:
        return status_kb("VmHWM") * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _main() -> None:
    module, _, name = sys.argv[1].partition(":")
    fn = getattr(importlib.import_module(module), name)
    result = fn(json.loads(sys.stdin.read()))
    print(json.dumps(result))


if __name__ == "__main__":
    _main()
