"""Timing: CPU seconds, best of n, the tools of a comparison interleaved round by round.

CPU time (``time.process_time``: every thread of this process, no sleeping, no other process)
is what the pages report, so another job on the machine inflates it much less than wall time.
The caller makes one untimed warm-up call where a dictionary or table loads on first use.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")
A = TypeVar("A")


def cpu_time(fn: Callable[[], T], *, repeat: int = 3) -> tuple[float, T]:
    """Best CPU time (seconds) of `repeat` calls, and the last result."""
    best = float("inf")
    result: T
    for _ in range(max(repeat, 1)):
        gc.collect()
        t0 = time.process_time()
        result = fn()
        best = min(best, time.process_time() - t0)
    return best, result


@dataclass
class Timings:
    """What `interleaved` measured, per tool: best CPU seconds, spread (slowest / best - 1),
    the kernel's share of the best run (page faults of fresh memory count as system time),
    the best user-mode time alone, and the last result."""

    best: dict[str, float] = field(default_factory=dict)
    spread: dict[str, float] = field(default_factory=dict)
    system_share: dict[str, float] = field(default_factory=dict)
    user: dict[str, float] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)

    def __iter__(self) -> Any:
        """Unpacks as ``best, spread, results``."""
        return iter((self.best, self.spread, self.results))

    def ratio(self, peer: str, tool: str) -> float:
        """How many times faster `tool` was than `peer` (peer seconds / tool seconds)."""
        return self.best[peer] / self.best[tool] if self.best[tool] > 0 else float("inf")


def each(fn: Callable[[A], T], items: Sequence[A]) -> Callable[[], list[T]]:
    """The call that applies `fn` to every item of `items` (a text, a batch ...), to time it."""
    return lambda: [fn(x) for x in items]


def interleaved(
    calls: dict[str, Callable[[], Any]],
    repeat: int,
    system_share: dict[str, float] | None = None,
    user: dict[str, float] | None = None,
) -> Timings:
    """Time each call `repeat` times, the rounds interleaved (A, B, C, A, B, C, ...) so that a
    change in the machine's load hits every tool alike; `system_share` and `user` (optional)
    receive those figures too."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in calls}
    out = Timings()
    for _ in range(repeat):
        for name, fn in calls.items():
            gc.collect()
            s0 = os.times().system
            t0 = time.process_time()
            out.results[name] = fn()
            times[name].append((time.process_time() - t0, os.times().system - s0))
    for name, t in times.items():
        dt, ds = min(t)
        out.best[name] = dt
        out.spread[name] = max(t)[0] / dt - 1 if dt > 0 else 0.0
        out.system_share[name] = ds / dt if dt > 0 else 0.0
        out.user[name] = min(a - b for a, b in t)
    if system_share is not None:
        system_share.update(out.system_share)
    if user is not None:
        user.update(out.user)
    return out


def rate(n: float, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def fmt_rate(x: float) -> str:
    """12_345_678 -> '12.35 M'; 123_456 -> '123.5 k'."""
    if x != x or x == float("inf"):
        return "inf"
    if x >= 1e6:
        return f"{x / 1e6:.2f} M"
    if x >= 1e3:
        return f"{x / 1e3:.1f} k"
    return f"{x:.0f}"
