"""The documentation as a reader sees it: what is on the first screen, and the build's guards.

The site is built once per session (or read from ``$TEXTPRINT_DOCS_HTML``, a finished build)
and opened in headless Chromium at 1280 x 1000 px, the first screen of a laptop. A script
added to a copy of each page measures where things are; the same copy is screenshotted
(``$TEXTPRINT_SCREENSHOTS`` keeps the PNGs, for a human to look at).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from _browser import headless, needs_chromium

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
WIDTH, FIRST_SCREEN = 1280, 1000
FIRST_SCREEN_FLAGS = ("--hide-scrollbars", f"--window-size={WIDTH},{FIRST_SCREEN}")
# A speed-up as the benchmark pages print it: "41x", "4.5x", "19.25 ×".
RATIO = r"\d+(?:\.\d+)?\s?[x×](?![\w])"

# Runs in the page: for each pattern, where its first visible occurrence in the article is.
# "Visible" means inside the viewport's width and not clipped by a scrolling ancestor (a wide
# table scrolled sideways hides its right-hand columns), so a ratio off to the right does not
# count. The result box is the first admonition or element whose class names a result.
_MEASURE = """
<script>
(function () {
  var article = document.querySelector("article") || document.body;
  function visible(rect, node) {
    if (rect.width === 0 || rect.right > window.innerWidth || rect.left < 0) return false;
    for (var el = node.parentElement; el && el !== document.body; el = el.parentElement) {
      var style = getComputedStyle(el);
      if (style.overflowX !== "visible" || style.overflowY !== "visible") {
        var box = el.getBoundingClientRect();
        if (rect.right > box.right + 1 || rect.left < box.left - 1) return false;
      }
    }
    return true;
  }
  function find(root, source) {
    var re = new RegExp(source);
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (var n = walker.nextNode(); n; n = walker.nextNode()) {
      var m = re.exec(n.data);
      if (!m) continue;
      var range = document.createRange();
      range.setStart(n, m.index);
      range.setEnd(n, m.index + m[0].length);
      var r = range.getBoundingClientRect();
      if (visible(r, n)) return {text: m[0], top: r.top + window.scrollY,
                                 bottom: r.bottom + window.scrollY};
    }
    return null;
  }
  function text(root, source) {
    // code blocks split a command into highlighted spans: match their whole text
    var re = new RegExp(source);
    var blocks = root.querySelectorAll("pre");
    for (var i = 0; i < blocks.length; i++) {
      if (re.test(blocks[i].textContent)) {
        var r = blocks[i].getBoundingClientRect();
        return {text: blocks[i].textContent.slice(0, 200), top: r.top + window.scrollY,
                bottom: r.bottom + window.scrollY};
      }
    }
    return find(root, source);
  }
  var box = article.querySelector(".admonition, [class*='result']");
  var result = {
    width: window.innerWidth,
    install: text(article, "pip install"),
    demo: text(article, "textprint demo"),
    ratio: find(article, RATIO_SOURCE),
    box: box ? {top: box.getBoundingClientRect().top + window.scrollY,
                ratio: find(box, RATIO_SOURCE)} : null
  };
  var out = document.createElement("pre");
  out.id = "first-screen-guard";
  out.textContent = JSON.stringify(result);
  out.style.display = "none";
  document.body.appendChild(out);
})();
</script>
""".replace("RATIO_SOURCE", json.dumps(RATIO))


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built HTML site: ``$TEXTPRINT_DOCS_HTML`` if set, else a fresh build."""
    given = os.environ.get("TEXTPRINT_DOCS_HTML")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("docs")
    paths = [str(DOCS), str(out / "html")]
    subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", "-d", str(out / "doctrees"), *paths],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return out / "html"


def first_screen(site: Path, page: str, tmp_path: Path) -> dict[str, Any]:
    """Measure `page` of `site` in Chromium at 1280 px and screenshot its first screen."""
    source = site / page
    probe = source.with_name(f"_first_screen_{source.name}")  # beside it: relative links work
    html = source.read_text(encoding="utf-8")
    probe.write_text(html.replace("</body>", _MEASURE + "</body>"), encoding="utf-8")
    try:
        shot = tmp_path / (page.replace("/", "_").removesuffix(".html") + ".png")
        headless(
            *FIRST_SCREEN_FLAGS,
            f"--screenshot={shot}",
            probe.as_uri(),
            profile=tmp_path / "profile-shot",
        )
        header = shot.read_bytes()[:24]  # PNG signature, then IHDR: width, height
        assert header[:8] == b"\x89PNG\r\n\x1a\n"
        assert (int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")) == (
            WIDTH,
            FIRST_SCREEN,
        )
        keep = os.environ.get("TEXTPRINT_SCREENSHOTS")
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, Path(keep) / shot.name)
        dom = headless(
            *FIRST_SCREEN_FLAGS, "--dump-dom", probe.as_uri(), profile=tmp_path / "profile-dom"
        )
    finally:
        probe.unlink()
    found = re.search(r'<pre id="first-screen-guard"[^>]*>(.*?)</pre>', dom, re.S)
    assert found, "the measuring script did not run"
    data: dict[str, Any] = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert data["width"] == WIDTH
    return data


def _on_first_screen(item: dict[str, Any] | None) -> bool:
    return item is not None and item["bottom"] <= FIRST_SCREEN


# what a reader must see without scrolling: the landing page's install line and demo, the
# benchmark index's headline ratio
@needs_chromium
@pytest.mark.parametrize(
    ("page", "items"),
    [("index.html", ("install", "demo")), ("benchmarks/index.html", ("ratio",))],
    ids=["landing-install-and-demo", "benchmark-index-ratio"],
)
def test_page_shows_its_essentials_on_the_first_screen(
    site: Path, tmp_path: Path, page: str, items: tuple[str, ...]
) -> None:
    seen = first_screen(site, page, tmp_path)
    for item in items:
        assert _on_first_screen(seen[item]), (item, seen[item])


@needs_chromium
def test_benchmark_page_leads_with_a_result_box_and_its_ratio(site: Path, tmp_path: Path) -> None:
    seen = first_screen(site, "benchmarks/minhash.html", tmp_path)
    assert seen["box"] is not None, "no result box (an admonition, or a class naming a result)"
    assert seen["box"]["top"] < FIRST_SCREEN
    assert _on_first_screen(seen["box"]["ratio"]), seen["box"]


_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; font: 16px sans-serif; }} .wrap {{ overflow-x: auto; width: 600px; }}
</style></head><body><article>{}</article></body></html>"""


@needs_chromium
def test_the_measure_finds_a_result_box_and_its_ratio(tmp_path: Path) -> None:
    box = '<div class="admonition result"><p>textprint is <strong>41x</strong> datasketch</p></div>'
    (tmp_path / "page.html").write_text(_PAGE.format(box), encoding="utf-8")
    seen = first_screen(tmp_path, "page.html", tmp_path)
    assert seen["box"] is not None
    assert seen["box"]["ratio"]["text"] == "41x"
    assert _on_first_screen(seen["box"]["ratio"])
    assert seen["install"] is None  # and nothing that is not there


@needs_chromium
def test_the_measure_ignores_ratios_scrolled_out_of_sight_or_below_the_first_screen(
    tmp_path: Path,
) -> None:
    # a wide table in a sideways-scrolling wrapper: its last column is out of sight
    cells = "".join(f"<td>{'column' * 3} {i}</td>" for i in range(12))
    hidden = f'<div class="wrap"><table><tr>{cells}<td>9.5x</td></tr></table></div>'
    low = '<div style="height: 1500px"></div><p>pip install . and 4.5x</p>'
    (tmp_path / "page.html").write_text(_PAGE.format(hidden + low), encoding="utf-8")
    seen = first_screen(tmp_path, "page.html", tmp_path)
    assert seen["ratio"]["text"] == "4.5x"  # the table's 9.5x is not visible
    assert not _on_first_screen(seen["ratio"])
    assert seen["install"]["top"] > FIRST_SCREEN
    assert seen["box"] is None


# ---------------------------------------------------------------------------------------------
# Public language: words about how the project is developed do not belong on user pages

INTERNAL = re.compile(
    r"(?-i:\bAPI\.md\b)|\bCI slice\b|\bthis round\b|\bmid-session\b|do not edit by hand"
    r"|\bgit [0-9a-f]{7,40}\b|\b(?:floor|verdict|goal)s?\b|\.\./shared/corpora",
    re.IGNORECASE,
)
_PAGES_MD = sorted(
    p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md") if "_build" not in p.parts
)


@pytest.mark.parametrize("page", _PAGES_MD)
def test_pages_speak_to_users_not_about_the_project(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    if page == "benchmarks/corpora.md":
        text = text.replace("../shared/corpora", "")
    found = sorted({m.group(0) for m in INTERNAL.finditer(text)})
    assert found == [], f"{page}: {found}"


# ---------------------------------------------------------------------------------------------
# The build's guards (docs/_ext/textprint_sphinx.py), on a small project built once

_CLASSES = '''
class Index:
    """An index."""

    def add(self, keys):
        """Add keys; see :meth:`query`."""

    @property
    def size(self):
        """How many keys."""

    def query(self, key):
        """Keys like `key`."""

    def _private(self):
        """Not listed."""


class Store:
    """A store."""

    def put(self, item):
        """Put an item."""

    def take(self):
        """Take an item."""
'''
_PAGES = {
    "index.md": "# T\n\n```{toctree}\nbroken\nfixed\napi\nundocumented\n```\n",
    # the MinHash page's case: a | inside a cell gives the header row one cell too many
    "broken.md": "# Broken\n\n| tool | max |err| |\n|---|---:|\n| a | 1 |\n",
    "fixed.md": "# Fixed\n\n| tool | max \\|err\\| |\n|---|---:|\n| a | 1 |\n",
    "api.md": "# API\n\n```{eval-rst}\n.. currentmodule:: guarded\n\n"
    ".. class-summary:: Index\n\n.. autoclass:: Index\n   :members:\n```\n",
    "undocumented.md": "# Undocumented\n\n```{eval-rst}\n.. currentmodule:: guarded\n\n"
    ".. class-summary:: Store\n\n.. autoclass:: Store\n   :members: put\n```\n",
}


@pytest.fixture(scope="module")
def small_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, int]:
    """Build `_PAGES` (textprint_sphinx, -W, nitpicky): the HTML folder, stderr, exit code."""
    root = tmp_path_factory.mktemp("small-site")
    src = root / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        "import sys\n"
        f"sys.path[:0] = [{str(DOCS / '_ext')!r}, {str(root)!r}]\n"
        "extensions = ['sphinx.ext.autodoc', 'sphinx.ext.autosummary', 'myst_parser',\n"
        "              'textprint_sphinx']\n"
        "nitpicky = True\n",
        encoding="utf-8",
    )
    for name, text in _PAGES.items():
        (src / name).write_text(text, encoding="utf-8")
    (root / "guarded.py").write_text(_CLASSES, encoding="utf-8")
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "-E"]
    done = subprocess.run(
        [*command, str(src), str(root / "html")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return root / "html", done.stderr, done.returncode


def _warnings_about(stderr: str, page: str) -> list[str]:
    return [line for line in stderr.splitlines() if page in line]


def test_the_build_fails_on_a_table_rendered_as_text(small_site: tuple[Path, str, int]) -> None:
    html, stderr, code = small_site
    assert code != 0
    (warning,) = _warnings_about(stderr, "broken.html")
    assert "a Markdown table is rendered as text" in warning
    assert "<p>| tool" in (html / "broken.html").read_text(encoding="utf-8")


def test_an_escaped_pipe_keeps_the_table(small_site: tuple[Path, str, int]) -> None:
    html, stderr, _ = small_site
    assert _warnings_about(stderr, "fixed") == []
    page = (html / "fixed.html").read_text(encoding="utf-8")
    assert "<table" in page
    assert "max |err|" in page


def test_class_summary_lists_every_public_method_and_links_each(
    small_site: tuple[Path, str, int],
) -> None:
    html, stderr, _ = small_site
    assert _warnings_about(stderr, "api") == []
    page = (html / "api.html").read_text(encoding="utf-8")
    table = page[page.index("Methods of") : page.index('id="guarded.Index"')]
    rows = re.findall(r"<tr.*?</tr>", table, re.S)
    first_links = [re.search(r'href="#guarded\.Index\.(\w+)"', row).group(1) for row in rows]  # type: ignore[union-attr]
    assert first_links == ["add", "size", "query"]
    assert "Keys like" in table
    assert "_private" not in table


def test_class_summary_fails_the_build_when_a_method_is_not_documented(
    small_site: tuple[Path, str, int],
) -> None:
    _, stderr, code = small_site
    assert code != 0
    (warning,) = _warnings_about(stderr, "undocumented.md")
    assert "reference target not found" in warning
    assert "take" in warning


def test_the_site_builds_nitpicky_with_copy_buttons() -> None:
    namespace: dict[str, Any] = {"__file__": str(DOCS / "conf.py")}
    exec(compile((DOCS / "conf.py").read_text(encoding="utf-8"), "conf.py", "exec"), namespace)
    assert namespace["nitpicky"] is True
    assert {"textprint_sphinx", "sphinx_copybutton"} <= set(namespace["extensions"])
