"""One plain text per call, compiled (private): the single-text path of a service.

A service calls ``normalize``, ``fingerprint`` or ``MinHasher.signature`` on one short text at a
time; the batch path (numpy over flat arrays) pays a fixed cost of a hundred array calls for
it. When numba is installed (``pip install "textprint[fast]"``), this module does the whole
job for one *plain* text in a few compiled loops. A text is plain when normalization is one
table lookup per character and every span is one character, so that the batch path
would take its fast route and at most drop single white space between Han characters:

- no character the fast path treats apart (``FastTables.code >= SPECIAL``: removed,
  expanded, composing, a CR), no kana and no Hangul (their runs need the language rule);
- white space only as the white-space rules keep it (one U+0020 or LF, not before a line
  break after a hyphen) or drop it (one such character between two Han): no run, no other
  space character;
- no chain of decorative separators (:mod:`textprint._separators`): the loops test a
  necessary condition of one (Han in the text, and ``MIN_MARKS - 1`` mark characters, each
  equal to one 2-4 before it, within a chain's span); the few texts that meet it are given to
  the rule itself (`find_separators` on the view), and stay plain if it finds none.

The loops themselves are in :mod:`textprint._plain_loops`; this module decides, compiles and
dispatches. The same compiled set holds the loop of LSH queries (`_lsh_query` of
:mod:`textprint._lsh_loop`, used by ``LSHIndex.query``, and by ``query_many`` when the loops
are ready): per query its band keys, the bands' binary searches side by side, the full-key
check, agreement counts, threshold and order in one pass, instead of numpy calls on one-row
arrays (one query) or the sorts, concatenations and gathers of the batch path.

Compiling (or loading numba's cache) takes one to three CPU seconds once per process, on a
background thread started by the first single-text call; calls take the batch path until it
is done. ``TEXTPRINT_COMPILE=0`` in the environment turns the compiled path off.

Every other text, and every call when numba is absent, goes the batch way: the results are
the same, bit for bit (tests/test_plain.py holds the compiled loops against the batch path,
and the same loops run as plain Python against the slow references). The arithmetic is the
one documented once in :mod:`textprint.hashing` (shingles), :mod:`textprint.minhash`
(one-permutation hashing, densification, the classic scheme) and :mod:`textprint.winnowing`
(robust winnowing); the constants come from those modules' owners as arguments.
"""

from __future__ import annotations

import functools
import os
import threading
import types
from collections.abc import Callable
from typing import Any, cast

import numpy as np

from . import _lsh_loop, _plain_loops
from ._plain_loops import MAYBE_CHAIN, NOT_PLAIN, PLAIN
from ._separators import find_separators
from ._shingles import MASK64, R_INV, SEPARATOR, splitmix64
from ._tables import get_fast_tables
from ._typing import Int64Array, UInt32Array, UInt64Array

__all__ = [
    "MAYBE_CHAIN",
    "NOT_PLAIN",
    "PLAIN",
    "compiled",
    "fingerprint",
    "fold",
    "python_loops",
    "ready",
    "sign",
]

# --------------------------------------------------------------------------------------------
# Compiled on first use

#: The loops, callees before callers (each is compiled with the compiled callees in scope).
_LOOPS: tuple[Callable[..., Any], ...] = (*_plain_loops.LOOPS, *_lsh_loop.LOOPS)


class _Kernels:
    """The loops compiled by numba, built once, in the background.

    Compiling (or loading numba's on-disk cache) takes a second or two; the first call in a
    process starts it on a daemon thread and every call meanwhile takes the batch path (the
    same results), so a short command never waits for it. ``get(wait=True)`` waits (for a
    service's warm-up, the benchmarks and the tests).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.funcs: dict[str, Callable[..., Any]] | None = None
        self._settled = False  # built, or found impossible (no numba, turned off)

    def get(self, *, wait: bool = False) -> dict[str, Callable[..., Any]] | None:
        funcs = self.funcs
        if funcs is not None or self._settled:
            return funcs
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._build, name="textprint-compile", daemon=True
                )
                self._thread.start()
        if wait:
            self._thread.join()
        return self.funcs

    def _build(self) -> None:
        funcs = _compile()
        if funcs is not None:
            _warm_up(funcs)
        self.funcs = funcs  # published whole, once every loop is compiled
        self._settled = True


def python_loops() -> dict[str, Callable[..., Any]]:
    """The loops as plain Python functions (what the tests run beside the compiled ones)."""
    return {fn.__name__: fn for fn in _LOOPS}


def _compile() -> dict[str, Callable[..., Any]] | None:
    if os.environ.get("TEXTPRINT_COMPILE", "1") == "0":  # turned off: the batch path only
        return None
    try:
        import numba
    except ImportError:
        return None
    jit = numba.njit(cache=True, nogil=True)
    out: dict[str, Callable[..., Any]] = {}
    for fn in cast("tuple[types.FunctionType, ...]", _LOOPS):
        # the loops call each other by their global names: compile each with the compiled
        # callees in its scope
        scope = {**fn.__globals__, **out}
        clone = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)
        clone.__module__ = fn.__module__
        clone.__qualname__ = fn.__qualname__
        out[fn.__name__] = jit(clone)
    return out


def _warm_up(funcs: dict[str, Callable[..., Any]]) -> None:
    """Call the entry loops once with the argument types of real calls (compiling them)."""
    funcs_ = cast("dict[str, Any]", funcs)
    text = "天下大势 word"
    fold(text, funcs_)
    keys = np.zeros(0, dtype=np.uint64)  # (read-only, as minhash's keys: a type to numba)
    keys.flags.writeable = False
    sign(text, funcs_, k=5, seed=0, key=np.uint64(1), max_probes=8, keys=keys, n_hashes=4)
    keys = np.ones(4, dtype=np.uint64)
    keys.flags.writeable = False  # (as minhash's cached keys: a type of its own to numba)
    sign(text, funcs_, k=5, seed=0, key=np.uint64(1), max_probes=8, keys=keys, n_hashes=4)
    fingerprint(text, funcs_, k=5, seed=0, window=4)
    _, folded, cls, _ = funcs_["_fold"](_codepoints(text), *_tables())
    funcs_["_chains_possible"](folded, cls)
    funcs_["_chains_possible"](np.zeros(4, dtype=np.uint32), np.zeros(4, dtype=np.uint8))
    # LSH queries: writable or read-only (Signatures), the band powers read-only (cached), the
    # index's arrays writable
    powers = np.ones(2, dtype=np.uint64)
    powers.flags.writeable = False
    index = np.zeros((1, 1), dtype=np.uint64)
    for writable in (True, False):
        queries = np.zeros((1, 4), dtype=np.uint64)
        queries.flags.writeable = writable
        funcs_["_lsh_query"](queries, powers, 2, index, 1, index, queries, np.uint64(1), 0.5)


_KERNELS = _Kernels()


def ready() -> dict[str, Callable[..., Any]] | None:
    """The compiled loops if a single-text call has had them compiled, else None (starts
    nothing: the batch paths use them when they are there, and never pay for compiling)."""
    return _KERNELS.funcs


def compiled(*, wait: bool = False) -> dict[str, Callable[..., Any]] | None:
    """The compiled loops by name; None without numba, or while they are being compiled
    (unless `wait`)."""
    return _KERNELS.get(wait=wait)


@functools.lru_cache(maxsize=64)
def _key2(seed: int) -> Any:
    """Horner's initial value of the shingle hash (see `textprint._shingles.hash_shingles`)."""
    return np.uint64(((splitmix64(seed) - SEPARATOR) * R_INV) & MASK64)


def _tables() -> tuple[np.ndarray, np.ndarray]:
    ft = get_fast_tables()
    return ft.code, ft.zh_fold


def _codepoints(text: str) -> UInt32Array:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def _no_chain(cps: UInt32Array, funcs: dict[str, Callable[..., Any]]) -> bool:
    """Whether the separator rule finds no chain in a plain text's view (for `MAYBE_CHAIN`)."""
    ft = get_fast_tables()
    _, folded, cls, _ = funcs["_fold"](cps, ft.code, ft.zh_fold)
    return len(find_separators(folded, cls, np.array([0, len(folded)], dtype=np.int64))) == 0


def fold(text: str, funcs: dict[str, Callable[..., Any]]) -> tuple[UInt32Array, Int64Array] | None:
    """The matching view of a plain `text` and the original position of each of its
    characters (its span is that one character), or None."""
    ft = get_fast_tables()
    status, folded, cls, origin = funcs["_fold"](_codepoints(text), ft.code, ft.zh_fold)
    if status == MAYBE_CHAIN:
        bounds = np.array([0, len(folded)], dtype=np.int64)
        status = PLAIN if len(find_separators(folded, cls, bounds)) == 0 else NOT_PLAIN
    return (folded, origin) if status == PLAIN and len(text) else None


def sign(
    text: str,
    funcs: dict[str, Callable[..., Any]],
    *,
    k: int,
    seed: int,
    key: np.uint64,
    max_probes: int,
    keys: UInt64Array,
    n_hashes: int,
) -> UInt64Array | None:
    """The MinHash signature of a plain `text` with at least one token, or None.

    One-permutation hashing with densification key `key` and `max_probes` when `keys` is
    empty, else the classic scheme with `keys` (read-only).
    """
    ft = get_fast_tables()
    sig = np.empty(n_hashes, dtype=np.uint64)
    cps = _codepoints(text)
    args = (cps, ft.code, ft.zh_fold, k, _key2(seed), key, max_probes, keys, sig)
    status = funcs["_sign"](*args, False)
    if status == MAYBE_CHAIN and _no_chain(cps, funcs):
        status = funcs["_sign"](*args, True)
    return sig if status == PLAIN else None


def fingerprint(
    text: str, funcs: dict[str, Callable[..., Any]], *, k: int, seed: int, window: int
) -> tuple[int, UInt64Array, Int64Array, Int64Array, Int64Array] | None:
    """The winnowed shingles of a plain `text` with at least one token, or None: the number
    of shingles, and the hashes, original starts and ends and positions of the picks."""
    ft = get_fast_tables()
    cps = _codepoints(text)
    args = (cps, ft.code, ft.zh_fold, k, _key2(seed), window)
    found = funcs["_fingerprint"](*args, False)
    if found[0] == MAYBE_CHAIN and _no_chain(cps, funcs):
        found = funcs["_fingerprint"](*args, True)
    status, n_sh, hashes, starts, ends, picks = found
    if status != PLAIN:
        return None
    return n_sh, hashes, starts, ends, picks
