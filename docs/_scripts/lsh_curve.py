"""Draw the LSH S-curve of docs/explanation/lsh.md (threshold 0.8, 128 hashes).

Run from the repository root with the dev environment active:

    python docs/_scripts/lsh_curve.py

It writes docs/explanation/lsh_curve.png. The bands and rows come from textprint itself
(``textprint.lsh.optimal_bands``), so the figure shows what ``LSHIndex.for_threshold(0.8)``
and ``dedup(threshold=0.8)`` use.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from textprint.lsh import optimal_bands  # noqa: E402

THRESHOLD = 0.8
N_HASHES = 128
OUT = Path(__file__).resolve().parent.parent / "explanation" / "lsh_curve.png"


def p_candidate(j: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """Probability that two signatures with Jaccard similarity j share at least one band."""
    return 1 - (1 - j**rows) ** bands


def main() -> None:
    bands, rows = optimal_bands(THRESHOLD, n_hashes=N_HASHES)
    recall_bands, recall_rows = optimal_bands(
        THRESHOLD, n_hashes=N_HASHES, false_positive_weight=0.1, false_negative_weight=0.9
    )
    j = np.linspace(0, 1, 1001)
    p = p_candidate(j, bands, rows)

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    below, above = j <= THRESHOLD, j >= THRESHOLD
    ax.fill_between(j[below], 0, p[below], color="#e4572e", alpha=0.35,
                    label="false-positive area (collide, J < threshold)")
    ax.fill_between(j[above], p[above], 1, color="#4c72b0", alpha=0.25,
                    label="false-negative area (miss, J ≥ threshold)")
    ax.plot(j, p, color="#1d1d1f", lw=2,
            label=f"bands={bands}, rows={rows} (default weights 0.5 / 0.5)")
    ax.plot(j, p_candidate(j, recall_bands, recall_rows), color="#2a9d8f", lw=1.5, ls="--",
            label=f"bands={recall_bands}, rows={recall_rows} (weights 0.1 / 0.9)")
    ax.axvline(THRESHOLD, color="#555", lw=1, ls=":")
    ax.text(THRESHOLD - 0.01, 0.97, f"threshold {THRESHOLD}", ha="right", va="top", fontsize=9)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel("Jaccard similarity J of two texts")
    ax.set_ylabel("probability of becoming candidates")
    ax.set_title(f"LSH S-curve 1 - (1 - J^r)^b, {N_HASHES} hashes")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(OUT, metadata={"Software": None})
    print(f"wrote {OUT} (bands={bands}, rows={rows}; recall-weighted {recall_bands} x {recall_rows})")


if __name__ == "__main__":
    main()
