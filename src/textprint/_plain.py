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

The same compiled set holds the loop of LSH queries (`_lsh_query`, used by ``LSHIndex.query``,
and by ``query_many`` when the loops are ready): per query its band keys, the bands' binary
searches side by side, the full-key check, agreement counts, threshold and order in one pass,
instead of numpy calls on one-row arrays (one query) or the sorts, concatenations and gathers
of the batch path.

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

from ._separators import MAX_GAP, MIN_MARKS, find_separators
from ._shingles import MASK64, R_INV, SEPARATOR, R, splitmix64
from ._tables import (
    CLASS_HAN,
    CLASS_HANGUL,
    CLASS_KANA,
    CLASS_NEWLINE,
    CLASS_SPACE,
    CLASS_WORD,
    SPECIAL,
    get_fast_tables,
)
from ._text_runs import HYPHENS
from ._typing import Int64Array, UInt32Array, UInt64Array

__all__ = ["compiled", "fingerprint", "fold", "python_loops", "ready", "sign"]

_U64 = np.uint64
_C1 = 0xFF51AFD7ED558CCD
_C2 = 0xC4CEB9FE1A85EC53
_HYPHEN_A, _HYPHEN_B = (int(h) for h in HYPHENS)
#: What the loops say of a text: plain; not plain (the batch path answers); plain unless the
#: separator rule finds a chain; plain with no token.
PLAIN, NOT_PLAIN, MAYBE_CHAIN, NO_TOKEN = 1, 0, 2, -1


# --------------------------------------------------------------------------------------------
# The loops. Written for numba's nopython mode (unsigned arithmetic wraps modulo 2**64; every
# operand is cast to uint64 so that no mixed signed/unsigned expression becomes a float), and
# runnable as plain Python on numpy arrays (the tests run them so).


def _fmix64(x: Any) -> Any:
    x = x ^ (x >> _U64(33))
    x = x * _U64(_C1)
    x = x ^ (x >> _U64(33))
    x = x * _U64(_C2)
    return x ^ (x >> _U64(33))


def _chains_possible(chars: Any, classes: Any) -> bool:
    """The separator rule's first two tests, compiled: False when the views `chars` (one
    text's, or a batch's joined) hold no chain of separators.

    They are `textprint._separators`' `_may_chain` and `_quick_runs` (tests/test_plain.py holds
    this loop equal to the two): a CJK character somewhere; ``MIN_MARKS - 1`` *repeats*
    (characters equal to one 2-4 before them) of a mark's class within
    ``(MIN_MARKS - 2) * (MAX_GAP + 1)`` characters; and a run of ``MIN_MARKS - 1`` repeats of
    one character, each 2-4 after the repeat of that character before it (a chain's later
    marks). One pass; the last few positions are kept in rings of eight.
    """
    n = len(chars)
    has_cjk = False
    for i in range(n):
        if classes[i] in (CLASS_HAN, CLASS_KANA, CLASS_HANGUL):
            has_cjk = True
            break
    if not has_cjk:
        return False
    need = MIN_MARKS - 1
    span = (need - 1) * (MAX_GAP + 1)
    recent = np.full(need, -(1 << 40), dtype=np.int64)  # the last `need` repeats of a mark's class
    seen = 0
    spanned = False  # `need` of them within `span`
    repeat = np.zeros(8, dtype=np.bool_)  # position i at i & 7: a repeat?
    run = np.zeros(8, dtype=np.int64)  # ... and the length of its run
    in_run = False  # a run of `need`
    for i in range(n):
        repeat[i & 7] = False
        f = chars[i]
        hit = False
        for d in range(2, MAX_GAP + 2):
            if i >= d and f == chars[i - d]:
                hit = True
        if not hit:
            continue
        repeat[i & 7] = True
        # the previous repeat of the same character: 1 before (no run), 2-4 before (the run
        # goes on), or further (a new run)
        r = 1
        for d in range(1, MAX_GAP + 2):
            if i >= d and repeat[(i - d) & 7] and chars[i - d] == f:
                if d >= 2:
                    r = run[(i - d) & 7] + 1
                break
        run[i & 7] = r
        if r >= need:
            in_run = True
        if classes[i] in (CLASS_WORD, CLASS_HAN, CLASS_KANA, CLASS_HANGUL):
            recent[seen % need] = i
            seen += 1
            if seen >= need and i - recent[seen % need] <= span:
                spanned = True
        if spanned and in_run:
            return True
    return False


def _view(cps: Any, code: Any, zh_fold: Any, folded: Any, cls: Any, origin: Any) -> tuple[int, int]:
    """Fill `folded` and `cls` with the fast path's view and `origin` with the original
    position of each of its characters. Returns the status (`PLAIN`, `NOT_PLAIN`, or
    `MAYBE_CHAIN`: plain but for a possible chain of separators, which the caller settles
    with the rule itself) and the view's length."""
    n = len(cps)
    for i in range(n):
        c = cps[i]
        k = code[c]
        if k >= SPECIAL or k in (CLASS_KANA, CLASS_HANGUL):
            return NOT_PLAIN, 0
        folded[i] = zh_fold[c]
        cls[i] = k
    # white space: kept as it is, or (one white space between two Han) dropped; anything
    # else the white-space rules would change makes the text not plain. The view is
    # compacted in place (position m <= i); the previous character is carried along.
    m = 0
    prev_k, prev_f = -1, 0
    for i in range(n):
        k, f = cls[i], folded[i]
        keep = True
        if k in (CLASS_SPACE, CLASS_NEWLINE):
            if f != (0x20 if k == CLASS_SPACE else 0x0A):
                return NOT_PLAIN, 0
            if k == CLASS_NEWLINE and i > 0 and (prev_f in (_HYPHEN_A, _HYPHEN_B)):
                return NOT_PLAIN, 0
            if i + 1 < n and (cls[i + 1] == CLASS_SPACE or cls[i + 1] == CLASS_NEWLINE):
                return NOT_PLAIN, 0
            if i > 0 and i + 1 < n and prev_k == CLASS_HAN and cls[i + 1] == CLASS_HAN:
                keep = False  # CJK text has no spaces between words: a re-wrap
        if keep:
            folded[m] = f
            cls[m] = k
            origin[m] = i
            m += 1
        prev_k, prev_f = k, f
    # (a slice of the view: numba passes it on without a copy)
    return (MAYBE_CHAIN if _chains_possible(folded[:m], cls[:m]) else PLAIN), m
    # a chain of MIN_MARKS marks has MIN_MARKS - 1 later marks, each of a mark's class and
    # equal to the character 2-4 before it, within (MIN_MARKS - 2) * (MAX_GAP + 1) characters
    need = MIN_MARKS - 1
    span = (need - 1) * (MAX_GAP + 1)
    recent = np.full(need, -(1 << 40), dtype=np.int64)  # the last `need` such positions
    seen = 0
    for i in range(2, m):
        k = cls[i]
        if k not in (CLASS_WORD, CLASS_HAN):
            continue
        f = folded[i]
        hit = f == folded[i - 2]
        for d in range(3, MAX_GAP + 2):
            if i >= d and f == folded[i - d]:
                hit = True
        if hit:
            recent[seen % need] = i
            seen += 1
            if seen >= need and i - recent[seen % need] <= span:
                return MAYBE_CHAIN, m
    return PLAIN, m


def _char_tokens(cls: Any, tok_start: Any, tok_end: Any) -> int:
    """The ``"char"`` tokens of a plain view (each Han character; each run of letters and
    digits) into `tok_start`/`tok_end`; returns their number."""
    n = len(cls)
    t = 0
    i = 0
    while i < n:
        k = cls[i]
        if k == CLASS_HAN:
            tok_start[t] = i
            tok_end[t] = i + 1
            t += 1
            i += 1
        elif k == CLASS_WORD:
            j = i + 1
            while j < n and cls[j] == CLASS_WORD:
                j += 1
            tok_start[t] = i
            tok_end[t] = j
            t += 1
            i = j
        else:
            i += 1
    return t


def _shingle_hashes(
    folded: Any, tok_start: Any, tok_end: Any, n_tok: int, k: int, key2: Any, out: Any
) -> int:
    """The shingle hashes of :mod:`textprint.hashing` (Horner steps ``v = v * R**(L + 1) + A``
    from ``key2``, then fmix64) into `out`; returns their number (0 without a token; one
    shingle of every token when there are fewer than `k`)."""
    if n_tok == 0:
        return 0
    r = _U64(R)
    sep = _U64(SEPARATOR)
    k_eff = min(k, n_tok)
    n_sh = n_tok - k_eff + 1
    mul = np.empty(n_tok, dtype=np.uint64)
    add = np.empty(n_tok, dtype=np.uint64)
    for t in range(n_tok):
        body = _U64(0)
        power = _U64(1)
        for j in range(tok_start[t], tok_end[t]):
            body = body * r + _U64(folded[j])
            power = power * r
        add[t] = sep * power + body  # SP * R**L + T
        mul[t] = power * r  # R**(L + 1)
    for s in range(n_sh):
        v = _U64(key2)
        for t in range(s, s + k_eff):
            v = v * mul[t] + add[t]
        out[s] = _fmix64(v)
    return n_sh


def _oph(hashes: Any, n_sh: int, n: int, key: Any, max_probes: int, sig: Any) -> None:
    """One-permutation hashing with optimal densification into `sig` (length `n`), as
    :mod:`textprint.minhash` defines it."""
    empty = _U64(MASK64)
    top = _U64(MASK64 - 1)
    nn = _U64(n)
    s32 = _U64(32)
    for j in range(n):
        sig[j] = empty
    for i in range(n_sh):
        h = hashes[i]
        b = ((h >> s32) * nn) >> s32
        v = h if h < top else top
        if v < sig[b]:
            sig[b] = v
    if n_sh == 0:
        return
    filled = np.empty(n, dtype=np.bool_)
    for j in range(n):
        filled[j] = sig[j] != empty
    for j in range(n):
        if filled[j]:
            continue
        done = False
        for t in range(1, max_probes + 1):
            probe = _fmix64(_U64(key) ^ ((_U64(j) << s32) | _U64(t)))
            c = ((probe >> s32) * nn) >> s32
            if filled[c]:
                sig[j] = sig[c]
                done = True
                break
        if not done:  # the next non-empty bin to the right, circularly
            for d in range(1, n):
                c = (j + d) % n
                if filled[c]:
                    sig[j] = sig[c]
                    break


def _classic(hashes: Any, n_sh: int, keys: Any, sig: Any) -> None:
    """The classic scheme: ``min(fmix64(h ^ key_i), 2**64 - 2)`` per hash function."""
    top = _U64(MASK64 - 1)
    for j in range(len(keys)):
        best = _U64(MASK64)
        for i in range(n_sh):
            v = _fmix64(hashes[i] ^ keys[j])
            if v > top:
                v = top
            if v < best:
                best = v
        sig[j] = best


def _winnow(hashes: Any, n_sh: int, window: int, out: Any) -> int:
    """Robust winnowing (Schleimer, Wilkerson, Aiken 2003) of ``hashes[:n_sh]`` into `out`:
    per window the minimum, the previous pick kept on a tie while inside the window, else the
    rightmost minimum; returns the number of picks."""
    if n_sh == 0:
        return 0
    w = min(window, n_sh)
    prev = -1
    count = 0
    for start in range(max(1, n_sh - window + 1)):
        low = hashes[start]
        pick = start
        for i in range(start + 1, start + w):
            if hashes[i] <= low:
                low = hashes[i]
                pick = i
        if start <= prev and hashes[prev] == low:
            pick = prev
        if pick != prev:
            out[count] = pick
            count += 1
        prev = pick
    return count


def _fold(cps: Any, code: Any, zh_fold: Any) -> tuple[int, Any, Any, Any]:
    """`_view`'s status, and the view, its classes and the original position of each of its
    characters (the batch path's, when the text is plain)."""
    n = len(cps)
    folded = np.empty(n, dtype=np.uint32)
    cls = np.empty(n, dtype=np.uint8)
    origin = np.empty(n, dtype=np.int64)
    status, m = _view(cps, code, zh_fold, folded, cls, origin)
    return status, folded[:m], cls[:m], origin[:m]


def _hashed(
    cps: Any, code: Any, zh_fold: Any, k: int, key2: Any, no_chain: bool
) -> tuple[int, Any, Any, Any]:
    """Status (`PLAIN`: hashed; `NOT_PLAIN`; `MAYBE_CHAIN` unless `no_chain` says the rule
    found none; `NO_TOKEN`: plain, nothing to hash), the shingle hashes and the original
    start and end of every token."""
    n = len(cps)
    tok_start = np.empty(n, dtype=np.int64)
    tok_end = np.empty(n, dtype=np.int64)
    hashes = np.empty(n, dtype=np.uint64)
    status, folded, cls, origin = _fold(cps, code, zh_fold)
    if n == 0:
        status = NOT_PLAIN
    if status == MAYBE_CHAIN and no_chain:
        status = PLAIN
    if status != PLAIN:
        return status, hashes[:0], tok_start[:0], tok_end[:0]
    n_tok = _char_tokens(cls, tok_start, tok_end)
    n_sh = _shingle_hashes(folded, tok_start, tok_end, n_tok, k, key2, hashes)
    for t in range(n_tok):  # positions in the view -> in the original text
        tok_start[t] = origin[tok_start[t]]
        tok_end[t] = origin[tok_end[t] - 1] + 1
    return (PLAIN if n_sh else NO_TOKEN), hashes[:n_sh], tok_start[:n_tok], tok_end[:n_tok]


def _sign(
    cps: Any,
    code: Any,
    zh_fold: Any,
    k: int,
    key2: Any,
    key: Any,
    max_probes: int,
    keys: Any,
    sig: Any,
    no_chain: bool,
) -> int:
    """The signature of a plain text into `sig`: one-permutation hashing (`keys` empty) or
    the classic scheme (`keys` its keys). Returns `_hashed`'s status."""
    status, hashes, _, _ = _hashed(cps, code, zh_fold, k, key2, no_chain)
    if status == PLAIN:
        if len(keys) == 0:
            _oph(hashes, len(hashes), len(sig), key, max_probes, sig)
        else:
            _classic(hashes, len(hashes), keys, sig)
    return status


def _fingerprint(
    cps: Any, code: Any, zh_fold: Any, k: int, key2: Any, window: int, no_chain: bool
) -> tuple[int, int, Any, Any, Any, Any]:
    """Status (as `_hashed`'s), the number of shingles, and the winnowed hashes, their
    original starts and ends and their positions among the shingles."""
    status, hashes, tok_start, tok_end = _hashed(cps, code, zh_fold, k, key2, no_chain)
    n_sh = len(hashes)
    picks = np.empty(n_sh, dtype=np.int64)
    count = _winnow(hashes, n_sh, window, picks)
    picks = picks[:count]
    k_eff = min(k, len(tok_start))
    out_hashes = np.empty(count, dtype=np.uint64)
    starts = np.empty(count, dtype=np.int64)
    ends = np.empty(count, dtype=np.int64)
    for i in range(count):
        p = picks[i]
        out_hashes[i] = hashes[p]
        starts[i] = tok_start[p]
        ends[i] = tok_end[p + k_eff - 1]
    return status, n_sh, out_hashes, starts, ends, picks


# --------------------------------------------------------------------------------------------
# The LSH index's loops (:mod:`textprint.lsh`): one query's candidates and their agreements,
# without the numpy calls that cost a one-row query more than its work. The arithmetic is
# `textprint._banding`'s band key and `textprint._kernels.agreements`'s count, both written
# down there; tests/test_lsh.py holds these loops (compiled and in Python) equal to the index's
# numpy path.


def _lsh_query(
    queries: Any,
    powers: Any,
    rows: int,
    packed: Any,
    row_bits: int,
    bkeys: Any,
    values: Any,
    empty: Any,
    lowest: float,
) -> tuple[Any, Any, Any]:
    """Per query (a row of `queries`), its matches in the index: the rows sharing a full band
    key with it whose agreement count over ``n_hashes`` is at least `lowest`, best first
    (count descending, then row ascending). Returns the bounds of each query's matches
    (``n_queries + 1``), their rows and their counts.

    `packed` is the index's sorted band entries (``(bands, n)``, each a band key's bits above
    `row_bits` over its row number), `bkeys` the full band keys per row (``(bands, n_rows)``),
    `values` the rows' signatures, `powers` ``R**(rows - 1 - t)``. A query whose values are
    all `empty` (a too-short text) matches nothing.
    """
    bands = packed.shape[0]
    n = packed.shape[1]
    n_queries = queries.shape[0]
    n_hashes = queries.shape[1]
    low = (_U64(1) << _U64(row_bits)) - _U64(1)
    high = ~low
    qk = np.empty(bands, dtype=np.uint64)
    base = np.zeros(bands, dtype=np.int64)
    needles = np.empty(bands, dtype=np.uint64)
    cap = 2 * n_queries + 16
    found = np.empty(cap, dtype=np.int64)
    counts = np.empty(cap, dtype=np.int64)
    bounds = np.zeros(n_queries + 1, dtype=np.int64)
    m = 0
    for q in range(n_queries):
        query = queries[q]
        first = m
        valid = False
        for h in range(n_hashes):
            if query[h] != empty:
                valid = True
                break
        if not valid or n == 0:
            bounds[q + 1] = m
            continue
        for b in range(bands):
            acc = _U64(0)
            for t in range(rows):
                acc = acc + query[b * rows + t] * powers[t]
            qk[b] = _fmix64(acc + _U64(rows))
            base[b] = 0
        # the first entry of each band not below the key's high bits: the bands' binary searches
        # side by side (independent, so their memory reads overlap), without branches
        for b in range(bands):
            needles[b] = qk[b] & high
        size = n
        while size > 1:
            half = size >> 1
            for b in range(bands):
                base[b] += half * (packed[b, base[b] + half] < needles[b])
            size -= half
        for b in range(bands):
            key = qk[b]
            needle = key & high
            i = base[b] + (packed[b, base[b]] < needle)
            while i < n and (packed[b, i] & high) == needle:
                r = np.int64(packed[b, i] & low)
                i += 1
                # the packing truncated the keys: the row is a candidate if its full key is
                # equal, and new if no earlier band's key is (that band found it)
                if bkeys[b, r] != key:
                    continue
                again = False
                for e in range(b):
                    if bkeys[e, r] == qk[e]:
                        again = True
                        break
                if again:
                    continue
                row = values[r]
                c = 0
                for h in range(n_hashes):  # (without branches: the compiler vectorizes it)
                    c += (query[h] == row[h]) & (query[h] != empty)
                if c / n_hashes >= lowest:
                    if m == cap:
                        cap *= 2
                        grown = np.empty(cap, dtype=np.int64)
                        grown[:m] = found[:m]
                        found = grown
                        grown = np.empty(cap, dtype=np.int64)
                        grown[:m] = counts[:m]
                        counts = grown
                    found[m] = r
                    counts[m] = c
                    m += 1
        if m - first > 8:
            order = np.argsort((n_hashes - counts[first:m]) * bkeys.shape[1] + found[first:m])
            found[first:m] = found[first:m][order]
            counts[first:m] = counts[first:m][order]
        else:  # a few matches (nearly always): an insertion sort, no allocation
            for j in range(first + 1, m):
                r = found[j]
                c = counts[j]
                k = j
                while k > first and (
                    counts[k - 1] < c or (counts[k - 1] == c and found[k - 1] > r)
                ):
                    found[k] = found[k - 1]
                    counts[k] = counts[k - 1]
                    k -= 1
                found[k] = r
                counts[k] = c
        bounds[q + 1] = m
    return bounds, found[:m], counts[:m]


# --------------------------------------------------------------------------------------------
# Compiled on first use

#: The loops, callees before callers (each is compiled with the compiled callees in scope).
_LOOPS: tuple[Callable[..., Any], ...] = (
    _fmix64,
    _chains_possible,
    _view,
    _char_tokens,
    _shingle_hashes,
    _oph,
    _classic,
    _winnow,
    _fold,
    _hashed,
    _sign,
    _fingerprint,
    _lsh_query,
)


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
        funcs_["_lsh_query"](queries, powers, 2, index, 1, index, queries, _U64(1), 0.5)


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
