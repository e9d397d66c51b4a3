"""The benchmark harness: everything a benchmark script needs that is not its protocol.

A script in ``benchmarks/`` is its protocol and its table: it measures (`measure`, returning
JSON-able raw results) and says how its page reads (`render`, a :class:`Page` built from those
results alone). The harness does the rest, once for every script:

- `run.main`: the command line (``--quick``, ``--out``, ``--render``), the machine record, the
  raw results saved as JSON (``benchmarks/results/<name>.json``), the page and plots written;
- `corpora`: where the corpora are and how to read them (`require_corpora` exits cleanly when
  one is missing);
- `timing`: CPU timing, best of n, peers interleaved round by round (`interleaved`);
- `throughput`: throughput tables, each peer's speed-up next to the tool names;
- `child`: a function run in a fresh process (memory probes, hash-seed checks);
- `plots`: figures at 150 dpi, one labelled panel (`one_panel`), log scales and speed-up bars;
- `page`: the page layout every benchmark page shares (result box, tables with the peers'
  ratios beside the tool names, plots, protocol, raw output folded away).
"""

from __future__ import annotations

from .child import peak_rss_reset, run_child, status_kb
from .corpora import (
    CORPORA,
    CORPUS_FILES,
    REPO,
    corpora_note,
    iter_docs,
    load_texts,
    require_corpora,
    take_chars,
)
from .machine import machine_info, package_version
from .page import Page, Plot, Raw, Table, escape, table
from .plots import one_panel, plt, save_figure, speedup_bars
from .run import DOCS, RESULTS, Log, main
from .throughput import noise_note, throughput_headers, throughput_rows, throughput_table
from .timing import Timings, cpu_time, each, fmt_rate, interleaved, rate

__all__ = [
    "CORPORA",
    "CORPUS_FILES",
    "DOCS",
    "REPO",
    "RESULTS",
    "Log",
    "Page",
    "Plot",
    "Raw",
    "Table",
    "Timings",
    "corpora_note",
    "cpu_time",
    "each",
    "escape",
    "fmt_rate",
    "interleaved",
    "iter_docs",
    "load_texts",
    "machine_info",
    "main",
    "noise_note",
    "one_panel",
    "package_version",
    "peak_rss_reset",
    "plt",
    "rate",
    "require_corpora",
    "run_child",
    "save_figure",
    "speedup_bars",
    "status_kb",
    "table",
    "take_chars",
    "throughput_headers",
    "throughput_rows",
    "throughput_table",
]
