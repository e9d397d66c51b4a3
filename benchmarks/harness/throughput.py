"""Throughput tables: each tool's speed-up over every peer right next to its name, then the
documents, characters, seconds and rates of `timing.interleaved`."""

from __future__ import annotations

from collections.abc import Sequence

from .page import Table
from .timing import Timings, fmt_rate, rate

#: The columns after the speed-ups in a throughput table (see `throughput_rows`).
THROUGHPUT_COLUMNS = ["docs", "chars", "seconds", "spread", "sys", "docs/s", "chars/s"]


def throughput_headers(peers: Sequence[str]) -> list[str]:
    """The header of a throughput table: each peer's speed-up right next to the tool names."""
    return ["corpus", "tool", *(f"speed-up over {p}" for p in peers), *THROUGHPUT_COLUMNS]


def throughput_rows(
    corpus: str, n_docs: int, n_chars: int, timings: Timings, peers: Sequence[str]
) -> list[list[object]]:
    """One row per tool timed on `corpus`: the speed-up over each peer timed with it ("-" for a
    peer that was not), then `THROUGHPUT_COLUMNS`."""
    rows: list[list[object]] = []
    for tool, secs in timings.best.items():
        rows.append(
            [
                corpus,
                tool,
                *(f"{timings.ratio(p, tool):.2f}x" if p in timings.best else "-" for p in peers),
                n_docs,
                f"{n_chars:,}",
                f"{secs:.3f}",
                f"{100 * timings.spread[tool]:.0f}%",
                f"{100 * timings.system_share[tool]:.0f}%",
                fmt_rate(rate(n_docs, secs)),
                fmt_rate(rate(n_chars, secs)),
            ]
        )
    return rows


def noise_note(timings: dict[str, Timings], limit: float = 0.3) -> str:
    """A sentence naming each ``corpus / tool`` whose slowest round was more than `limit` slower
    than its best (the machine was busy: such figures want a quiet re-run); "" when none was."""
    noisy = sorted(
        f"{corpus} / {tool} ({100 * x:.0f}%)"
        for corpus, t in timings.items()
        for tool, x in t.spread.items()
        if x > limit
    )
    if not noisy:
        return ""
    return (
        f"Rounds more than {100 * limit:.0f}% slower than the best (the machine was busy): "
        + ", ".join(noisy)
        + "; re-run on a quiet machine for stable figures."
    )


def throughput_table(
    peers: Sequence[str], rows: list[list[object]], noise: str, note: str = ""
) -> Table:
    """The throughput table of `throughput_rows`, its note saying how the seconds were taken."""
    return Table(
        throughput_headers(peers),
        rows,
        title="Throughput",
        align="ll" + "r" * (len(peers) + len(THROUGHPUT_COLUMNS)),
        note="Seconds are the best of 3 rounds, the tools interleaved round by round; "
        "spread = slowest / best - 1; sys = the kernel's share of the best run"
        + (f" ({note})" if note else "")
        + ". "
        + noise,
    )
