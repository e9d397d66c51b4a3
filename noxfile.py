"""Tasks: nox -s tests lint typecheck docs bench (and the long variants).

All sessions share ONE development environment, ``.nox/dev``, created with uv from
``pyproject.toml`` (the package in editable mode with its extras and the ``dev``
dependency group) and re-created only when ``pyproject.toml`` changes: jieba's dictionary,
the Japanese dictionaries and Sphinx are installed once, not once per session.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "typecheck", "tests", "docs"]
ROOT = Path(__file__).resolve().parent
DEV = ROOT / ".nox" / "dev"
BIN = DEV / ("Scripts" if sys.platform == "win32" else "bin")


def dev_env(session: nox.Session) -> str:
    """Create or refresh the shared environment; return its python."""
    stamp = DEV / ".pyproject.sha256"
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    python = str(BIN / "python")
    if not (stamp.exists() and stamp.read_text() == want and Path(python).exists()):
        session.run("uv", "venv", "--allow-existing", "--python", sys.executable, str(DEV))
        session.run(
            "uv",
            "pip",
            "install",
            "--python",
            python,
            "-e",
            ".[ja,parquet,spark,fast]",
            "--group",
            "dev",
            env={"UV_PYTHON": python},
        )
        stamp.write_text(want)
    session.env["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    session.env["VIRTUAL_ENV"] = str(DEV)
    return python


def pytest(session: nox.Session, *args: str) -> None:
    """Run pytest in the shared environment, quiet and without a cache folder."""
    session.run(dev_env(session), "-m", "pytest", "-q", "-p", "no:cacheprovider", *args)


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (fixed-seed, CI-sized); pass pytest arguments after --."""
    pytest(session, *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    python = dev_env(session)
    session.run(python, "-m", "ruff", "check", "src", "tests", "benchmarks", "noxfile.py")
    session.run(
        python, "-m", "ruff", "format", "--check", "src", "tests", "benchmarks", "noxfile.py"
    )


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    python = dev_env(session)
    session.run(python, "-m", "mypy", "--strict", "src/textprint")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation with warnings as errors and run its doctests."""
    python = dev_env(session)
    session.run(
        python, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "docs", "docs/_build/html"
    )
    # every code example on the pages runs, as the docstrings' examples do in the tests
    pytest(
        session,
        "--doctest-glob=*.md",
        "-o",
        "doctest_optionflags=ELLIPSIS NORMALIZE_WHITESPACE",
        "docs",
    )


@nox.session(default=False)
def slow(session: nox.Session) -> None:
    """The long variants of the tests (full corpora checks, 50 MB inputs, 100 kills)."""
    pytest(session, "-m", "slow", *session.posargs)


@nox.session(default=False)
def crash(session: nox.Session) -> None:
    """Crash safety at full size: 100 SIGKILLs of a process registering >= 10,000 works."""
    pytest(session, "-m", "slow", "tests/test_registry_durability.py", *session.posargs)


@nox.session(default=False)
def fuzz(session: nox.Session) -> None:
    """About 115,000 generated inputs over every public function; prints the figures.

    benchmarks/run_fuzz.py runs tests/test_fuzz.py under the hypothesis ``fuzz`` profile with
    ``--factor 45`` (45 times the CI slice's example counts) and ``--seed 0`` unless told
    otherwise: ``nox -s fuzz -- --jobs 2 --seed 1 --json fuzz.json``.
    """
    python = dev_env(session)
    session.run(python, "benchmarks/run_fuzz.py", *session.posargs)


@nox.session(default=False)
def mutants(session: nox.Session) -> None:
    """Mutation testing (mutmut) of the core modules, one at a time, then the score table.

    The modules and the tests that may kill a mutant are ``[tool.mutmut]`` in pyproject.toml
    (adding a module is one line there). CPU-heavy: one process at ``nice -n 15``; pass
    modules and options to ``scripts/mutants.py``: ``nox -s mutants -- matching report``,
    ``nox -s mutants -- --sample 150 normalization``, ``nox -s mutants -- --score``.
    """
    python = dev_env(session)
    session.run(python, "scripts/mutants.py", *session.posargs)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Every benchmark page against the peers (needs the corpora): python -m benchmarks.

    Pass its arguments after --: ``nox -s bench -- --only minhash,lsh`` or
    ``nox -s bench -- --quick --out /tmp/bench`` (see ``python -m benchmarks --list``).
    """
    python = dev_env(session)
    session.run(python, "-m", "benchmarks", *session.posargs)


@nox.session(default=False)
def bench_registry_1m(session: nox.Session) -> None:
    """The Registry at 1,000,000 works (needs the corpora, about 15 GB of free disk and an
    hour): benchmarks/results/registry_1m.json, merged into docs/benchmarks/registry.md.

    Run it on a quiet machine; pass arguments after --, e.g. ``-- --tmp-dir /big/disk``.
    """
    python = dev_env(session)
    session.run(python, "-m", "benchmarks.bench_registry", "--scale", "1000000", *session.posargs)
