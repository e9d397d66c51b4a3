"""Run the big fuzz: the fuzz test modules under the hypothesis ``fuzz`` profile, and count.

Corpus: generated. The properties of tests/test_fuzz.py build mixed-script text (Han with the
astral extensions, kana with voicing marks, Hangul jamo, full-width forms, combining sequences,
lone surrogates, invisible/bidi/tag characters, controls, real fixture text with evasions, texts
of 100,000+ characters) and feed it to every public function; tests/test_fuzz_api.py feeds them
junk arguments; tests/test_fuzz_regressions.py pins the bugs the two found. Under the ``fuzz``
profile each property runs ``--factor`` times its CI example count (45: about 100,000 inputs in
total); examples are random but reproducible from ``--seed``.

Printed: inputs fuzzed per public function (counted by the test modules themselves, each call
with a generated input, shrinking included), failures (with their first line), wall-clock and
CPU time. Optionally also runs the atheris harness (fuzz/atheris_harness.py) for
``--atheris-runs`` inputs.

    python benchmarks/run_fuzz.py                     # ~100,000 inputs
    python benchmarks/run_fuzz.py --factor 10 --jobs 2  # what fits in ~15 minutes here
    python benchmarks/run_fuzz.py --profile ci        # the CI slice (derandomized)
    python benchmarks/run_fuzz.py --atheris-runs 2000 --json fuzz.json

Exit status: 0 when nothing failed (strict xfails of known bugs are expected), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: The fuzz: properties on generated text, junk arguments, the regression tests of what they
#: found (tests/_fuzz.py holds what they share, budget() and the input counts among it).
FUZZ_TEST_MODULES = (
    "tests/test_fuzz.py",
    "tests/test_fuzz_api.py",
    "tests/test_fuzz_regressions.py",
)


def select(profile: str) -> list[str]:
    """pytest options: no cache; under ``fuzz`` every test of the modules whatever their markers
    (test_long_text is marked slow, which the default addopts deselect); under ``ci`` the
    default selection, so the figures are those of the CI slice that the default check runs.
    """
    marks = ["-m", "slow or not slow"] if profile == "fuzz" else []
    return [*marks, "-p", "no:cacheprovider"]


def collect(args: argparse.Namespace) -> list[str]:
    """The test ids of the fuzz modules (for splitting them over --jobs processes)."""
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        *FUZZ_TEST_MODULES,
        "--collect-only",
        "-q",
        *select(args.profile),
    ]
    if args.k:
        cmd += ["-k", args.k]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line.split("::")[0] in FUZZ_TEST_MODULES]


def run_pytest(
    args: argparse.Namespace, counts: list[Path], junits: list[Path]
) -> tuple[int, float, float]:
    """Run the fuzz modules in len(counts) processes; return the worst exit code, wall, CPU."""
    env = {
        **os.environ,
        "HYPOTHESIS_PROFILE": args.profile,
        "TEXTPRINT_FUZZ_FACTOR": str(args.factor),
    }
    jobs = len(counts)
    if jobs == 1:
        parts = [[*FUZZ_TEST_MODULES, *(["-k", args.k] if args.k else [])]]
    else:  # round-robin over the test ids: the costly properties spread over the processes
        ids = collect(args)
        parts = [ids[j::jobs] for j in range(jobs)]
    procs = []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    for part, count, junit in zip(parts, counts, junits):
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            *part,
            "-q",
            *select(args.profile),
            "--tb=line",
            f"--junitxml={junit}",
            "-o",
            "junit_family=xunit2",
        ]
        if args.profile == "fuzz":
            cmd.append(f"--hypothesis-seed={args.seed}")
        shown = cmd if jobs == 1 else [*cmd[:3], f"<{len(part)} tests>", *cmd[3 + len(part) :]]
        print("$", " ".join(shown), flush=True)
        job_env = {**env, "TEXTPRINT_FUZZ_COUNTS": str(count)}
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=job_env))
    rcs = [p.wait() for p in procs]
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return max(rcs, key=lambda rc: rc not in (0, 5)), wall, cpu


def read_junit(junits: list[Path]) -> dict[str, Any]:
    out: dict[str, Any] = {"passed": 0, "failed": [], "xfailed": 0, "skipped": 0}
    cases = [c for j in junits if j.exists() for c in ET.parse(j).getroot().iter("testcase")]
    for case in cases:
        name = case.get("name", "?")
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        skipped = case.find("skipped")
        if failure is not None:
            first = (failure.get("message") or "").strip().splitlines()[:1]
            out["failed"].append({"test": name, "message": first[0][:200] if first else ""})
        elif skipped is not None:
            if "xfail" in (skipped.get("type") or "") + (skipped.get("message") or ""):
                out["xfailed"] += 1
            else:
                out["skipped"] += 1
        else:
            out["passed"] += 1
    return out


def run_atheris(runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as corpus:
        harness = str(ROOT / "fuzz" / "atheris_harness.py")
        subprocess.run(
            [sys.executable, harness, "--seed-corpus", corpus], check=True, capture_output=True
        )
        cmd = [
            sys.executable,
            harness,
            corpus,
            f"-atheris_runs={runs}",
            f"-artifact_prefix={tempfile.gettempdir()}/textprint-crash-",
        ]
        print("$", " ".join(cmd), flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - t0
    log = proc.stdout + proc.stderr
    done = re.search(r"Done (\d+) in (\d+) second", log)
    cov = re.findall(r"cov: (\d+) ft: (\d+)", log)
    crash = re.search(r"(Uncaught Python exception:.*?)(?:\n\n|$)", log, re.S)
    return {
        "runs": int(done.group(1)) if done else None,
        "seconds": round(wall, 1),
        "coverage_edges": int(cov[-1][0]) if cov else None,
        "features": int(cov[-1][1]) if cov else None,
        "crashes": 0 if proc.returncode == 0 else 1,
        "crash": crash.group(1)[:2000] if crash else None,
        "returncode": proc.returncode,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=["fuzz", "ci"], default="fuzz")
    parser.add_argument(
        "--factor",
        type=int,
        default=45,
        help="examples per property = factor x its CI count (fuzz profile)",
    )
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed (fuzz profile)")
    parser.add_argument("-k", default="", help="pytest -k expression (a subset of properties)")
    parser.add_argument("--jobs", type=int, default=1, help="pytest processes in parallel")
    parser.add_argument("--atheris-runs", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        jobs = max(1, args.jobs)
        count_paths = [Path(tmp) / f"counts-{j}.json" for j in range(jobs)]
        junits = [Path(tmp) / f"junit-{j}.xml" for j in range(jobs)]
        rc, wall, cpu = run_pytest(args, count_paths, junits)
        counts: dict[str, int] = {}
        for path in count_paths:
            if path.exists():
                for name, n in json.loads(path.read_text()).items():
                    counts[name] = counts.get(name, 0) + n
        results = read_junit(junits)
    atheris = run_atheris(args.atheris_runs) if args.atheris_runs else None

    total = sum(counts.values())
    print()
    print(
        f"textprint fuzz: profile={args.profile}"
        + (f", factor={args.factor}, seed={args.seed}" if args.profile == "fuzz" else "")
        + f", jobs={args.jobs}"
    )
    print(f"{'public function':<28}{'inputs':>10}")
    for name, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"{name:<28}{n:>10,}")
    print(f"{'total':<28}{total:>10,}")
    print(
        f"tests: {results['passed']} passed, {len(results['failed'])} failed, "
        f"{results['xfailed']} xfailed (known bugs), {results['skipped']} skipped"
    )
    for f in results["failed"]:
        print(f"  FAILED {f['test']}: {f['message']}")
    print(
        f"time: {wall:,.0f} s wall, {cpu:,.0f} s CPU ({total / max(wall, 1e-9):,.1f} inputs/s wall)"
    )
    if atheris:
        print(
            f"atheris: {atheris['runs']} runs in {atheris['seconds']} s, "
            f"coverage {atheris['coverage_edges']} edges / {atheris['features']} features, "
            f"crashes: {atheris['crashes']}"
        )
        if atheris["crash"]:
            print(atheris["crash"])
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "profile": args.profile,
                    "factor": args.factor,
                    "seed": args.seed,
                    "jobs": args.jobs,
                    "inputs": counts,
                    "total_inputs": total,
                    "tests": results,
                    "wall_seconds": round(wall, 1),
                    "cpu_seconds": round(cpu, 1),
                    "atheris": atheris,
                    "pytest_returncode": rc,
                },
                indent=1,
            )
            + "\n"
        )
    failed = bool(results["failed"]) or rc not in (0, 5) or bool(atheris and atheris["crashes"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
