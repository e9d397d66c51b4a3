"""Headless Chromium for the report tests: the page as a browser builds it, and a server
that records every request a page makes."""

from __future__ import annotations

import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlparse

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# without the background-networking flags Chromium tries the network at start
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (.ci/run installs Debian's)"
)


def headless(*args: str, profile: Path) -> str:
    """Run headless Chromium with `FLAGS`, a fresh profile folder and `args`; return its stdout.

    The one way the tests and the docs' screenshot scripts start the browser.
    """
    out = subprocess.run(
        [CHROMIUM or "chromium", *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return out.stdout


def dump_dom(url: str, tmp_path: Path) -> str:
    """The DOM of `url` after it has loaded (its scripts run), as Chromium serializes it."""
    return headless("--dump-dom", url, profile=tmp_path / "profile")


class _Recorder(http.server.SimpleHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(urlparse(self.path).path)
        super().do_GET()

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serving(folder: Path) -> Iterator[tuple[str, list[str]]]:
    """Serve `folder` on 127.0.0.1; yield its base URL and the list of paths requested."""

    def handler(*args: Any) -> _Recorder:
        return _Recorder(*args, directory=str(folder))

    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.requests
    finally:
        server.shutdown()
        server.server_close()
