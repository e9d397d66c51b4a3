"""What the evidence of a Hit costs a check, and whether two versions of the code agree on it.

Two measurements on several source trees (git revisions, or folders holding
``src/textprint``):

``time``
    The Registry benchmark's setting (:mod:`benchmarks.textgen.registry`): the first 3,000
    Chinese works (real chapters, poems and wiki passages, 1,000-5,000 characters) registered
    in memory with ``title`` and ``author`` metadata, one registry per tree, then
    2,000-character articles of held-out text, six copying a passage of 300-1,000 characters
    of one work and six unrelated (held-out chapters of the same novels: they share phrases
    with registered works, so their candidates are verified). Every tree's package is imported
    into this one process under a name of its own and the trees are timed check by check in
    turn, so that the machine's load falls on all of them alike. Per article, the best CPU time
    of ``--repeat`` checks; per tree, the mean of those bests over the copying articles and
    over the unrelated ones.
``equal``
    The hits of the same checks on each tree (each tree in a child process with its ``src``
    first on ``PYTHONPATH``): the marks cases of :mod:`benchmarks.textgen.quotes` (quoted,
    attributed, both, neither, and the two controls) in zh, ja and en, checked with default
    options and with ``unattributed_only=True``. Every field of every Hit (details,
    attribution, unattributed share, E-value included) must be equal between trees: floats
    compared exactly.

``python -m benchmarks.check_cost time --trees 133f472 f82c807 . --ablate`` prints the table
(with ``--ablate``, copies of the last tree without the passage facts, the attribution or the
E-values: what each costs);
``python -m benchmarks.check_cost equal --trees f82c807 .`` prints the number of hits compared
and exits non-zero on any difference.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import math
import os
import pickle
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from functools import partial
from io import BytesIO
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: python benchmarks/check_cost.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import harness as H  # noqa: N812

N_WORKS = 3000
N_COPY, N_UNRELATED = 6, 6
ARTICLE_SEED = 15
#: marks cases per presentation (and per control) and language for ``equal``
N_EQUAL, N_EQUAL_CONTROLS = 25, 10
N_EQUAL_WORKS = 400


# ---------------------------------------------------------------------------------------------
# children (run with the tree's textprint first on the path)


def _where() -> str:
    import textprint

    return str(Path(textprint.__file__).resolve().parents[1])


def _time_works() -> tuple[list[tuple[str, str, dict[str, str]]], list[Any]]:
    """The works to register (id, text, metadata) and the articles to check."""
    from benchmarks.textgen.registry import WorkSet, choose_targets, make_articles, zh_language

    language = zh_language()
    ws = WorkSet(language, N_WORKS)
    ws.wanted = set(choose_targets(ws, 2 * N_COPY, ARTICLE_SEED))
    works = [
        (wid, text, {"title": f"作品{wid[-6:]}", "author": "无名氏"})
        for items in ws.batches()
        for wid, text in items
    ]
    targets = sorted(ws.kept)[:N_COPY]
    articles = make_articles(ws.kept, targets, N_UNRELATED, language.heldout, "zh", ARTICLE_SEED)
    return works, articles


def equal_child(payload: dict[str, Any]) -> dict[str, Any]:
    """Check the marks cases of each language; pickle every Hit's fields to ``payload['out']``."""
    import textprint as tp
    from benchmarks.bench_evidence import mark_works
    from benchmarks.textgen.quotes import CONTROLS, PRESENTATIONS, MarksGenerator

    dump: dict[str, Any] = {}
    n_hits = 0
    for lang in ("zh", "ja", "en"):
        rng, works, hosts = mark_works(lang, False, H.Log())
        works = random.Random(ARTICLE_SEED).sample(works, N_EQUAL_WORKS)
        reg = tp.Registry()
        reg.register_many([(w.work_id, w.text, w.metadata) for w in works], too_short="skip")
        gen = MarksGenerator(works, hosts, lang)
        cases = [gen.case(rng, p) for p in PRESENTATIONS for _ in range(N_EQUAL)]
        cases += [gen.case(rng, p) for p in CONTROLS for _ in range(N_EQUAL_CONTROLS)]
        posts = [c.post for c in cases]
        for only in (False, True):
            hits = reg.check_many(posts, unattributed_only=only)
            dump[f"{lang} unattributed_only={only}"] = [[_plain(h) for h in hs] for hs in hits]
            n_hits += sum(len(hs) for hs in hits)
        reg.close()
    Path(payload["out"]).write_bytes(pickle.dumps(dump))
    return {"where": _where(), "hits": n_hits}


def _plain(value: Any) -> Any:
    """A Hit (and what it holds) as tuples, strings and numbers; floats by their repr (exact)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = tuple((f.name, _plain(getattr(value, f.name))) for f in dataclasses.fields(value))
        return (type(value).__name__, *fields)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return (type(value).__name__, *(_plain(v) for v in value))
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _plain(v)) for k, v in value.items()))
    if isinstance(value, float):
        return repr(value)
    return value


# ---------------------------------------------------------------------------------------------
# parent


def tree_src(spec: str, tmp: Path) -> Path:
    """The ``src`` folder of a tree: a folder given, or a git revision extracted into `tmp`."""
    path = Path(spec)
    if (path / "src" / "textprint").is_dir():
        return (path / "src").resolve()
    data = subprocess.run(
        ["git", "archive", spec, "src"], cwd=H.REPO, capture_output=True, check=True
    ).stdout
    dest = tmp / spec.replace("/", "_")
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return dest / "src"


def run_on(src: Path, target: str, payload: dict[str, Any]) -> Any:
    env = {"PYTHONPATH": os.pathsep.join([str(src), str(H.REPO)])}
    return H.run_child(f"benchmarks.check_cost:{target}", payload, env=env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("time", "equal"))
    parser.add_argument("--trees", nargs="+", default=["HEAD~1", "."])
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument(
        "--ablate", action="store_true", help="also time the last tree without each step"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        srcs = {t: tree_src(t, tmp) for t in args.trees}
        if args.what == "equal":
            return equal(srcs, tmp)
        time_trees(srcs, tmp, args.repeat, args.ablate)
    return 0


def equal(srcs: dict[str, Path], tmp: Path) -> int:
    dumps: dict[str, Any] = {}
    for name, src in srcs.items():
        out = tmp / f"{len(dumps)}.pickle"
        got = run_on(src, "equal_child", {"out": str(out)})
        print(f"{name}: {got['hits']} hits ({got['where']})")
        dumps[name] = pickle.loads(out.read_bytes())
    first, *rest = dumps
    bad = 0
    for name in rest:
        for key, per_post in dumps[first].items():
            for i, (a, b) in enumerate(zip(per_post, dumps[name][key], strict=True)):
                if a != b:
                    bad += 1
                    if bad <= 5:
                        print(f"DIFFERENT {key} post {i}:\n  {first}: {a}\n  {name}: {b}")
    print("identical" if not bad else f"{bad} posts differ")
    return 1 if bad else 0


def load_trees(srcs: dict[str, Path], tmp: Path) -> dict[str, Any]:
    """Each tree's package imported in this process under a name of its own (the package
    imports itself relatively; its tables are read from the installed textprint, the same
    versioned file)."""
    pkgs = tmp / "packages"
    pkgs.mkdir()
    sys.path.insert(0, str(pkgs))
    out = {}
    for i, (name, src) in enumerate(srcs.items()):
        shutil.copytree(src / "textprint", pkgs / f"textprint_tree{i}")
        out[name] = importlib.import_module(f"textprint_tree{i}")
        if (src / "textprint" / "_plain.py").exists():
            # compiled on a background thread whose CPU time would count in the checks'
            importlib.import_module(f"textprint_tree{i}._plain").compiled(wait=True)
    return out


#: ``--ablate``: copies of the last tree with one step of the evidence made free, so that the
#: difference to the tree is what the step costs a check (the hits are then wrong).
ABLATIONS = ("facts", "attribution", "evalue")


def ablated(tp: Any, step: str) -> None:
    """Make one evidence step of an imported tree free (see ABLATIONS)."""
    reg = tp.__name__ + ".registry"
    if step == "facts":
        verify: Any = importlib.import_module(f"{reg}._verify")
        evidence: Any = importlib.import_module(f"{reg}._evidence")
        fact = evidence.PassageFacts("identical", 1.0, (), False, 1, 1, 1)
        verify.facts_of = lambda q, passages, *_: tuple(fact for _ in passages)
    elif step == "attribution":
        quotes: Any = importlib.import_module(f"{reg}._quotes")
        quotes.attributions = lambda text, passages, *_: [False] * len(passages)
    else:
        candidates: Any = importlib.import_module(f"{reg}._candidates")
        candidates.EValues.__getitem__ = lambda self, i: math.inf


def time_trees(srcs: dict[str, Path], tmp: Path, repeat: int, ablate: bool = False) -> None:
    """Register the works in one registry per tree, then check each article `repeat` times
    on every tree in turn (interleaved: the machine's load falls on all alike)."""
    t0 = time.time()
    if ablate:
        last = list(srcs.values())[-1]
        srcs = {**srcs, **{f"without {step}": last for step in ABLATIONS}}
    trees = load_trees(srcs, tmp)
    if ablate:
        for step in ABLATIONS:
            ablated(trees[f"without {step}"], step)
    works, articles = _time_works()
    regs = {}
    for name, tp in trees.items():
        regs[name] = tp.Registry()
        regs[name].register_many(works)
    times: dict[str, dict[str, list[float]]] = {n: {"copying": [], "unrelated": []} for n in trees}
    for a in articles:
        kind = "copying" if a.target else "unrelated"
        best = dict.fromkeys(trees, math.inf)
        for name, reg in regs.items():
            hits = reg.check(a.text)  # warm, and the target found
            assert a.target is None or any(h.work_id == a.target for h in hits), name
        for _ in range(repeat):
            for name, reg in regs.items():
                best[name] = min(best[name], H.cpu_time(partial(reg.check, a.text), repeat=1)[0])
        for name in trees:
            times[name][kind].append(best[name])
    load = os.getloadavg()[0]
    print(
        f"CPU time per check, ms: per article the best of {repeat} checks, trees interleaved "
        f"check by check; the mean over {N_COPY} copying and {N_UNRELATED} unrelated "
        f"2,000-character articles, {len(works):,} zh works registered (load average "
        f"{load:.1f}, {time.time() - t0:.0f} s)"
    )
    first = next(iter(trees))
    mean = {n: {k: 1000 * sum(v) / len(v) for k, v in t.items()} for n, t in times.items()}
    rows = [
        [
            name,
            f"{m['copying']:.3f}",
            f"{m['copying'] - mean[first]['copying']:+.3f}",
            f"{m['unrelated']:.3f}",
            f"{m['unrelated'] - mean[first]['unrelated']:+.3f}",
        ]
        for name, m in mean.items()
    ]
    print(H.table(["tree", "copying", f"vs {first}", "unrelated", f"vs {first}"], rows))


if __name__ == "__main__":
    sys.exit(main())
