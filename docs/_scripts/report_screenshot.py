"""Screenshot the tutorial's evidence report for docs/tutorial/registry.md.

Run from the repository root with the dev environment active (needs Chromium and a font with
Chinese and Japanese characters, such as Debian's fonts-noto-cjk):

    python docs/_scripts/report_screenshot.py

It runs the tutorial page's own examples (the works, the disguised post, ``reg.check`` and
``tp.evidence``), so the picture is the report of the tutorial's post and nothing else, and
writes docs/_static/report.png: the report's section on the Chinese work, which the tutorial
reads, as a reader sees it in a browser window as wide as the documentation's text column (740
CSS pixels), drawn at twice the pixel density so that it stays sharp when the page scales it to
the column.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image  # Pillow, installed with matplotlib in the dev environment

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

from _browser import CHROMIUM, headless

DOCS = Path(__file__).resolve().parent.parent
TUTORIAL = DOCS / "tutorial" / "registry.md"
OUT = DOCS / "_static" / "report.png"
COLUMN = 740  # CSS pixels: the width of furo's text column on a desktop screen
HEIGHT = 1000  # CSS pixels of the report shown
SCALE = 2
MARGIN = 24  # CSS pixels kept above the section's heading
WORK = "sanguo-ch1"  # the hit the tutorial reads


def tutorial_evidence() -> Any:
    """The ``ev`` the tutorial builds, by running its examples in order."""
    namespace: dict[str, Any] = {}
    examples = doctest.DocTestParser().get_examples(TUTORIAL.read_text(encoding="utf-8"))
    with contextlib.redirect_stdout(io.StringIO()):
        for example in examples:
            exec(compile(example.source, str(TUTORIAL), "single"), namespace)
            if "ev" in namespace:
                return namespace["ev"]
    raise SystemExit(f"{TUTORIAL} no longer builds an evidence report named ev")


_MEASURE = """<script>
var box = document.getElementById("ANCHOR").getBoundingClientRect();
var out = document.createElement("pre");
out.id = "measured";
out.textContent = JSON.stringify({top: box.top + window.scrollY,
                                  height: document.documentElement.scrollHeight});
document.body.appendChild(out);
</script>"""
CSP = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>')


def main() -> int:
    if CHROMIUM is None:
        raise SystemExit("needs Chromium (Debian: apt install chromium)")
    for lang, package in (("zh", "fonts-noto-cjk"), ("und-zsye", "fonts-noto-color-emoji")):
        fonts = subprocess.run(["fc-list", f":lang={lang}"], capture_output=True, text=True)
        if not fonts.stdout.strip():  # the characters would show as empty boxes
            raise SystemExit(f"needs a font for :lang={lang} (Debian: {package})")
    evidence = tutorial_evidence()
    html = evidence.to_html()
    works = [m["work_id"] for m in evidence.to_dict()["matches"]]
    anchor = f"match{works.index(WORK)}"  # the report's id for the section of each work
    if f'id="{anchor}"' not in html:
        raise SystemExit(f"the report has no section id {anchor!r}: update this script")
    with tempfile.TemporaryDirectory() as tmp:
        page, probe = Path(tmp) / "report.html", Path(tmp) / "probe.html"
        page.write_text(html, encoding="utf-8")
        # where the section starts: measured in a copy whose policy lets our script run
        probe_html = CSP.sub("", html).replace(
            "</body>", _MEASURE.replace("ANCHOR", anchor) + "</body>"
        )
        probe.write_text(probe_html, encoding="utf-8")
        size = f"--window-size={COLUMN},{HEIGHT}"
        dom = headless(
            "--hide-scrollbars", size, "--dump-dom", probe.as_uri(), profile=Path(tmp) / "p1"
        )
        found = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.S)
        if found is None:
            raise SystemExit("could not measure the report in Chromium")
        measured = json.loads(found.group(1))
        top, height = int(measured["top"]), int(measured["height"])
        # the whole report as it is (its policy intact), then the section's first screen
        full = Path(tmp) / "full.png"
        headless(
            "--hide-scrollbars",
            f"--window-size={COLUMN},{height}",
            f"--force-device-scale-factor={SCALE}",
            f"--screenshot={full}",
            page.as_uri(),
            profile=Path(tmp) / "p2",
        )
        with Image.open(full) as image:
            first = max(0, top - MARGIN) * SCALE
            image.crop((0, first, image.width, first + HEIGHT * SCALE)).save(OUT, optimize=True)
    print(f"wrote {OUT} ({COLUMN * SCALE} x {HEIGHT * SCALE} px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
