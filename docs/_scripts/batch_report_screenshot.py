"""Make docs/_static/batch-report.png: the index of the command-line tutorial's batch report.

Runs the tutorial's own steps (the Python examples of tutorial/registry.md write works.jsonl
and posts.jsonl; ``textprint register`` and ``textprint check --format html -o reports/``
make the reports) and photographs ``reports/index.html`` in headless Chromium, sorted by the
share copied, at 1280 pixels wide::

    python docs/_scripts/batch_report_screenshot.py

Needs Chromium (Debian's ``chromium`` package).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

import _browser  # noqa: E402
import console  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "_static" / "batch-report.png"
# the same headless Chromium as the report tests: no network at start, one scale
FLAGS = ["--hide-scrollbars", "--force-device-scale-factor=1"]


def main() -> None:
    if _browser.CHROMIUM is None:
        raise SystemExit("needs Chromium: apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix="tp-shot-") as tmp:
        cwd = Path(tmp)
        page = console.Page(cwd / "setup.md", [("run", "tutorial/registry.md"), ("copy", "folder")])
        console.prepare(page, cwd)
        env = console.environment()
        for command in (
            "textprint register works.db works.jsonl -q",
            "textprint check works.db posts.jsonl --format html -o reports/ -q",
        ):
            subprocess.run(["bash", "-c", command], cwd=cwd, env=env, check=False)
        index = cwd / "reports" / "index.html"
        _browser.headless(
            *FLAGS,
            f"--screenshot={OUT}",
            "--window-size=1280,300",
            index.as_uri() + "#sort=share-desc",
            profile=cwd / "profile",
        )
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
