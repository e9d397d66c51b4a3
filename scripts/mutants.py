"""Mutation testing of the core modules with mutmut, one module at a time, and its score.

Run by ``nox -s mutants`` (docs/reliability.md, "Mutation testing"). The modules are those of
``[tool.mutmut] only_mutate`` in pyproject.toml; the tests that may kill a mutant are its
``pytest_add_cli_args_test_selection``. mutmut copies the package into ``mutants/``, runs the
selected tests once to learn which tests call which function, then runs, for each mutant, the
tests that call the mutated function (fastest first, stopping at the first failure) in a
forked process.

    python scripts/mutants.py                      # every module, every mutant
    python scripts/mutants.py matching report      # some modules
    python scripts/mutants.py --sample 150 lsh     # a seeded random sample of a module's mutants
    python scripts/mutants.py --survivors          # re-run the survivors (after adding tests)
    python scripts/mutants.py --score              # only print the table of what has run

Score: killed / (mutants run - equivalent). A mutant is killed when a test fails or it runs
past its timeout (5 x its tests' time: an endless loop is caught). ``scripts/mutants_equivalent
.txt`` lists the equivalent mutants (the program behaves the same), each with its reason;
every other survivor is a gap in the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = ROOT / "scripts" / "mutants_equivalent.txt"
VERIFIED = ROOT / "mutants" / "verified.json"
#: The test files a module's survivors are re-run against in full (--verify).
MODULE_TESTS = {
    "normalization": [
        "test_normalization.py",
        "test_normalization_evasions.py",
        "test_determinism.py",
    ],
    "hashing": ["test_hashing.py", "test_determinism.py"],
    "winnowing": ["test_winnowing.py"],
    "minhash": [
        "test_minhash.py",
        "test_minhash_estimates.py",
        "test_minhash_long.py",
        "test_datasketch_interop.py",
        "test_determinism.py",
    ],
    "_schemes": ["test_minhash.py", "test_minhash_estimates.py", "test_minhash_long.py"],
    "lsh": ["test_lsh.py", "test_lsh_index.py"],
    "_lsh_keys": ["test_lsh.py", "test_lsh_index.py"],
    "_sorted_bands": ["test_lsh.py", "test_lsh_index.py"],
    "matching": ["test_matching.py", "test_matching_results.py"],
    "report": ["test_report.py", "test_report_boundaries.py"],
}
BOUNDARY_TESTS = ["test_thresholds.py"]
KILLED = {1, 3, 36, 24, -24, 152, 255}  # a failing test, or a timeout
SURVIVED = {0}
NO_TESTS = {5, 33}


def modules() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    paths = config["tool"]["mutmut"]["only_mutate"]
    return [Path(p).stem if p.endswith(".py") else Path(p).name for p in paths]


def meta(module: str) -> dict[str, int | None]:
    path = ROOT / "mutants" / "src" / "textprint" / f"{module}.py.meta"
    if not path.is_file():
        return {}
    codes: dict[str, int | None] = json.loads(path.read_text())["exit_code_by_key"]
    return codes


def verified() -> dict[str, int]:
    """mutant name -> exit code of its re-run against its module's whole test files."""
    return json.loads(VERIFIED.read_text()) if VERIFIED.is_file() else {}


def verify(modules: list[str]) -> None:
    """Re-run each survivor against its module's whole test files (and the boundary tests).

    mutmut runs a mutant against the tests its first, clean run saw calling the mutated
    function; that map can miss tests (one normalization survivor broke a test of its own
    module that the map did not list), so every survivor is checked once more in full.
    """
    import shutil

    eq = equivalent()
    done = verified()
    shutil.copytree(ROOT / "tests", ROOT / "mutants" / "tests", dirs_exist_ok=True)
    for module in modules:
        names = [k for k, v in meta(module).items() if v in SURVIVED | NO_TESTS and k not in eq]
        files = [f"tests/{f}" for f in MODULE_TESTS.get(module, []) + BOUNDARY_TESTS]
        for name in sorted(names):
            env = {
                **os.environ,
                "MUTANT_UNDER_TEST": name,
                "PYTHONPATH": str(ROOT / "mutants" / "src"),
            }
            cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
            cmd += [
                "-m",
                "not slow",
                "--deselect",
                "tests/test_hashing.py::test_identical_in_fresh_processes_with_other_hash_seeds",
                "--deselect",
                "tests/test_determinism.py::test_identical_results_across_processes_and_hash_seeds",
                *files,
            ]
            code = subprocess.run(
                ["nice", "-n", "15", *cmd],
                cwd=ROOT / "mutants",
                env=env,
                check=False,
                capture_output=True,
            ).returncode
            done[name] = code
            VERIFIED.write_text(json.dumps(done, indent=1, sort_keys=True))
            print(f"{'killed' if code == 1 else 'survived' if code == 0 else code}: {name}")


def equivalent() -> dict[str, str]:
    """mutant name -> why it is equivalent."""
    out: dict[str, str] = {}
    if EQUIVALENT.is_file():
        for line in EQUIVALENT.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                name, _, reason = line.partition(" ")
                out[name] = reason.strip()
    return out


def mutmut(*args: str) -> None:
    cmd = ["nice", "-n", "15", sys.executable, "-m", "mutmut", "run", "--max-children", "1"]
    subprocess.run([*cmd, *args], cwd=ROOT, check=False, env={**os.environ, "PYTHONHASHSEED": "0"})


def run(module: str, sample: int | None, seed: int) -> None:
    if sample is None:
        mutmut(f"textprint.{module}.*")
        return
    if not meta(module):
        mutmut("textprint.__no_such_module__.*")  # generate the mutants and the test map only
    names = sorted(meta(module))
    chosen = random.Random(f"{seed}:{module}").sample(names, min(sample, len(names)))
    mutmut(*sorted(chosen))


def score() -> int:
    eq = equivalent()
    ver = verified()
    rows = []
    total = {"run": 0, "killed": 0, "survived": 0, "no tests": 0, "equivalent": 0}
    for module in modules():
        codes = meta(module)
        # a survivor that its module's whole test files kill (--verify) counts as killed
        ran = {
            k: (1 if v in SURVIVED | NO_TESTS and ver.get(k) == 1 else v)
            for k, v in codes.items()
            if v is not None
        }
        row = {
            "run": len(ran),
            "killed": sum(v in KILLED for v in ran.values()),
            "equivalent": sum(k in eq and ran[k] not in KILLED for k in ran),
        }
        row["survived"] = sum(v in SURVIVED and k not in eq for k, v in ran.items())
        row["no tests"] = sum(v in NO_TESTS and k not in eq for k, v in ran.items())
        for key in total:
            total[key] += row[key]
        rows.append((module, len(codes), row))
    print("| module | mutants | run | killed | equivalent | survived | no test | score |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")

    def pct(r: dict[str, int]) -> str:
        denominator = r["run"] - r["equivalent"]
        return f"{100 * r['killed'] / denominator:.1f}%" if denominator else "-"

    for module, n, r in rows:
        print(
            f"| {module} | {n:,} | {r['run']:,} | {r['killed']:,} | {r['equivalent']:,} | "
            f"{r['survived']:,} | {r['no tests']:,} | {pct(r)} |"
        )
    n_all = sum(n for _, n, _ in rows)
    print(
        f"| **all** | {n_all:,} | {total['run']:,} | {total['killed']:,} | "
        f"{total['equivalent']:,} | {total['survived']:,} | {total['no tests']:,} | "
        f"**{pct(total)}** |"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="modules to mutate (default: all)")
    parser.add_argument("--sample", type=int, help="run a random sample of N mutants per module")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample (default 0)")
    parser.add_argument("--score", action="store_true", help="only print the score table")
    parser.add_argument(
        "--survivors", action="store_true", help="re-run the surviving mutants that were run"
    )
    parser.add_argument(
        "--verify", action="store_true", help="re-run survivors against whole test files"
    )
    args = parser.parse_args()
    known = modules()
    unknown = sorted(set(args.modules) - set(known))
    if unknown:
        parser.error(f"not in [tool.mutmut] only_mutate: {', '.join(unknown)}")
    if args.verify:
        verify(args.modules or known)
    elif args.survivors:  # one mutmut run for all of them: each run first runs the clean tests
        eq = equivalent()
        names = [
            k
            for module in args.modules or known
            for k, v in meta(module).items()
            if v in SURVIVED | NO_TESTS and k not in eq
        ]
        if names:
            mutmut(*sorted(names))
    elif not args.score:
        for module in args.modules or known:
            run(module, args.sample, args.seed)
    return score()


if __name__ == "__main__":
    raise SystemExit(main())
