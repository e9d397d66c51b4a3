"""Scoring and speed of the tokenizers (a part of bench_tokenizers).

Similarity of k-shingle sets (shingles = tuples of consecutive ``tokenize(...).tokens``) for
copies against unrelated passages, and tokens per CPU second of ``textprint.tokenize`` beside
the bare segmenters in the same process.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import logging
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

import textprint
from benchmarks import harness as H  # noqa: N812
from benchmarks.textgen.edits import Case

KS: dict[str, tuple[int, ...]] = {
    "char": (3, 4, 5, 6),
    "jieba": (1, 2, 3),
    "mecab": (1, 2, 3),
    "sudachi": (1, 2, 3),
}


def shingles(tokens: Sequence[str], k: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + k]) for i in range(len(tokens) - k + 1)}


def jaccard(a: set[Any], b: set[Any]) -> float:
    if not a and not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def containment(a: set[Any], b: set[Any]) -> float:
    """Share of the suspicious text's shingles (`b`) found in the source (`a`)."""
    return len(a & b) / len(b) if b else 0.0


@dataclass
class Scores:
    copy_j: list[float] = field(default_factory=list)
    copy_c: list[float] = field(default_factory=list)
    unrel_j: list[float] = field(default_factory=list)
    unrel_c: list[float] = field(default_factory=list)
    variants: dict[str, list[float]] = field(default_factory=dict)


def score(cases: Sequence[Case], tokenizer: str) -> tuple[dict[int, Scores], float, int]:
    """Scores per k, and the CPU seconds and characters spent in tokenize."""
    ks = KS[tokenizer]
    out = {k: Scores() for k in ks}
    spent = 0.0
    n_chars = 0
    for case in cases:
        texts = [case.original, case.copy, case.unrelated, *case.variants.values()]
        t0 = time.process_time()
        toks = [textprint.tokenize(t, tokenizer=tokenizer).tokens for t in texts]
        spent += time.process_time() - t0
        n_chars += sum(len(t) for t in texts)
        for k in ks:
            sh = [shingles(t, k) for t in toks]
            a = sh[0]
            s = out[k]
            s.copy_j.append(jaccard(a, sh[1]))
            s.copy_c.append(containment(a, sh[1]))
            s.unrel_j.append(jaccard(a, sh[2]))
            s.unrel_c.append(containment(a, sh[2]))
            for name, b in zip(case.variants, sh[3:]):
                s.variants.setdefault(name, []).append(jaccard(a, b))
    return out, spent, n_chars


# --------------------------------------------------------------------------------------------
# Part A: speed


def _quiet_import_jieba() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import jieba
    logging.getLogger("jieba").setLevel(logging.WARNING)
    jieba.setLogLevel(logging.WARNING)
    return jieba


def peers(lang: str) -> dict[str, Callable[[str], list[Any]]]:
    """The bare segmenters for `lang`: name -> function(text) -> tokens (as they come)."""
    fns: dict[str, Callable[[str], list[Any]]] = {}
    if lang in ("zh", "ja"):
        try:
            jieba = _quiet_import_jieba()
            # The global jieba writes its dictionary cache into tempfile.gettempdir(); keep it in a
            # private directory of this run instead of the shared /tmp.
            if not getattr(jieba.dt, "_bench_tmp", None):
                jieba.dt.tmp_dir = tempfile.mkdtemp(prefix="bench-jieba-")
                atexit.register(shutil.rmtree, jieba.dt.tmp_dir, ignore_errors=True)
                jieba.dt._bench_tmp = True
            fns["jieba.lcut(HMM=False)"] = lambda t: jieba.lcut(t, HMM=False)
        except ImportError:
            pass
        try:
            import rjieba

            fns["rjieba.cut(hmm=False)"] = lambda t: rjieba.cut(t, hmm=False)
        except ImportError:
            pass
    if lang == "ja":
        try:
            import fugashi

            tagger = fugashi.Tagger()
            fns["fugashi+unidic-lite"] = lambda t: [w.surface for w in tagger(t)]
        except (ImportError, RuntimeError):
            pass
        try:
            import sudachipy
            from sudachipy import dictionary

            sud = dictionary.Dictionary().tokenizer(mode=sudachipy.SplitMode.B)
            # Sudachi refuses inputs over 49,149 bytes: feed it line by line, as textprint does.
            fns["sudachipy mode B"] = lambda t: [
                m.surface() for line in t.split("\n") if line for m in sud.tokenize(line)
            ]
        except ImportError:
            pass
    return fns


_PURE_JIEBA: dict[str, Any] = {}


def _has_rjieba() -> bool:
    import importlib.util

    return importlib.util.find_spec("rjieba") is not None


def _tokenize_pure_jieba(text: str) -> textprint.Tokens:
    """tokenize(text, tokenizer="jieba") as on a base install, where rjieba (a dev dependency
    that textprint uses when present) is absent: jieba's own Python segmenter. Swaps the private
    analyzer registry entry for the call; the tokens are the same (checked below)."""
    from textprint import _analyzers

    if "analyzer" not in _PURE_JIEBA:
        _PURE_JIEBA["analyzer"] = _analyzers._JiebaAnalyzer(use_rjieba=False)
    saved = _analyzers._REGISTRY.get("jieba")
    _analyzers._REGISTRY["jieba"] = _PURE_JIEBA["analyzer"]
    try:
        return textprint.tokenize(text, tokenizer="jieba")
    finally:
        if saved is None:
            _analyzers._REGISTRY.pop("jieba", None)
        else:
            _analyzers._REGISTRY["jieba"] = saved


def speed(texts: Sequence[str], lang: str, out: H.Log, loads: dict[str, float]) -> list[list[Any]]:
    n = sum(len(t) for t in texts)
    rows: list[list[Any]] = []
    jieba_rate = None
    runs: list[tuple[str, str, Callable[[str], Any], Callable[[Any], int]]] = []
    for tk in ("char", "jieba", "mecab", "sudachi") if lang != "en" else ("char", "jieba"):
        runs.append((f"textprint {tk}", tk, partial(textprint.tokenize, tokenizer=tk), len))
        if tk == "jieba" and lang != "en" and _has_rjieba():
            runs.append(("textprint jieba, no rjieba", "jieba-py", _tokenize_pure_jieba, len))
    for name, fn in peers(lang).items():
        runs.append((name + " (bare)", name, fn, len))
    for label, key, fn, count in runs:
        if key not in loads:
            t0 = time.process_time()
            with contextlib.redirect_stderr(io.StringIO()):
                fn("予熱 预热 warm-up")
            loads[key] = time.process_time() - t0
        secs, res = H.cpu_time(H.each(fn, texts))
        n_tok = sum(count(r) for r in res)
        r_chars = H.rate(n, secs)
        if key == "jieba.lcut(HMM=False)":
            jieba_rate = r_chars
        rows.append(
            [
                label,
                n_tok,
                H.fmt_rate(H.rate(n_tok, secs)),
                H.fmt_rate(r_chars),
                f"{loads[key]:.2f}",
                r_chars,
            ]
        )
    for r in rows:
        r.append(f"{r[-1] / jieba_rate:.2f}x" if jieba_rate else "-")
    return rows


def jieba_agreement(texts: Sequence[str]) -> tuple[int, int, int, int]:
    """(documents whose textprint jieba Han tokens are jieba.lcut's words of each Han run,
    documents where rjieba.cut(hmm=False) gives the same words as jieba.lcut(HMM=False) on
    those runs, documents where textprint's jieba gives the same tokens with and without
    rjieba, documents)."""
    from textprint._normbatch import normalize_batch
    from textprint._tables import CLASS_HAN

    jieba = _quiet_import_jieba()
    rjieba: Any
    try:
        import rjieba
    except ImportError:
        rjieba = None
    same = same_r = same_py = 0
    for t in texts:
        mine = textprint.tokenize(t, tokenizer="jieba").tokens
        same_py += _tokenize_pure_jieba(t).tokens == mine
        batch, _ = normalize_batch([t])
        cls = batch.classes
        analysis = batch.analysis.tobytes().decode("utf-32-le")
        folded = batch.folded.tobytes().decode("utf-32-le")
        han = cls == CLASS_HAN
        expected: list[str] = []
        words: list[str] = []
        words_r: list[str] = []
        i, n = 0, len(cls)
        while i < n:
            if not han[i]:
                i += 1
                continue
            j = i
            while j < n and han[j]:
                j += 1
            seg = jieba.lcut(analysis[i:j], HMM=False)
            words += seg
            if rjieba is not None:
                words_r += rjieba.cut(analysis[i:j], hmm=False)
            pos = i
            for w in seg:  # the token is the folded text under jieba's word
                expected.append(folded[pos : pos + len(w)])
                pos += len(w)
            i = j
        same += _han_tokens(mine, folded, cls) == expected
        same_r += words == words_r
    return same, same_r, same_py, len(texts)


def _han_tokens(tokens: Sequence[str], folded: str, cls: Any) -> list[str]:
    """The tokens made of Han characters only (by the folded text's classes)."""
    from textprint._tables import CLASS_HAN

    han_chars = {folded[i] for i in np.flatnonzero(cls == CLASS_HAN).tolist()}
    return [w for w in tokens if w and all(c in han_chars for c in w)]


# --------------------------------------------------------------------------------------------
