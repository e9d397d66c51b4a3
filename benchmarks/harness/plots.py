"""Figures: matplotlib without a display, saved at 150 dpi, with the two shapes the pages use
where values differ by orders of magnitude (a log axis, or speed-up bars)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .page import Plot

DPI = 150


def plt() -> Any:
    """matplotlib.pyplot with the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    return pyplot


def save_figure(fig: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt().close(fig)


def one_panel(
    fig: Any,
    ax: Any,
    folder: Path,
    name: str,
    caption: str,
    *,
    title: str,
    xlabel: str = "",
    ylabel: str = "",
    log: str = "",
    grid: bool = False,
    legend_size: float | None = 8,
) -> Plot:
    """Finish a figure of one panel as the pages draw them, save it as ``folder/name`` and
    return the page's `Plot` of it (with `caption`).

    `log` names the axes on a log scale (``"x"``, ``"y"`` or ``"xy"``); `grid` draws faint grid
    lines at the major and minor ticks; `legend_size` None is matplotlib's default size.
    """
    for axis in log:
        getattr(ax, f"set_{axis}scale")("log")
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    ax.set_title(title)
    if grid:
        ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=legend_size)
    save_figure(fig, folder / name)
    return Plot(name, caption)


def speedup_bars(
    path: Path,
    groups: Sequence[str],
    speedups: Mapping[str, Sequence[float]],
    *,
    title: str,
    reference: str,
    log: bool = False,
) -> None:
    """Grouped horizontal bars: for each group (a corpus), how many times faster than
    `reference` each series (a tool) ran; a line marks 1x (as fast as the reference)."""
    pyplot = plt()
    n = len(speedups)
    height = 0.8 / max(n, 1)
    fig, ax = pyplot.subplots(figsize=(8, 1.2 + 0.5 * len(groups) * n))
    for j, (series, values) in enumerate(speedups.items()):
        ys = [i + (j - (n - 1) / 2) * height for i in range(len(groups))]
        bars = ax.barh(ys, values, height, label=series)
        ax.bar_label(bars, labels=[f"{v:.1f}x" for v in values], padding=3, fontsize=8)
    ax.axvline(1.0, color="grey", lw=1)
    ax.set_yticks(range(len(groups)), groups)
    ax.invert_yaxis()
    if log:
        ax.set_xscale("log")
    ax.set_xlabel(f"speed-up over {reference} (higher is faster)")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    save_figure(fig, path)
