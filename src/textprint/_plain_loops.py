"""The compiled loops of the single-text path (private): one plain text, folded, tokenized,
hashed, signed or winnowed in a few passes.

Written for numba's nopython mode (unsigned arithmetic wraps modulo 2**64; every operand is
cast to uint64 so that no mixed signed/unsigned expression becomes a float), and runnable as
plain Python on numpy arrays (the tests run them so). :mod:`textprint._plain` says what a plain
text is, compiles these loops in the background and dispatches to them; the arithmetic is the
one documented once in :mod:`textprint.hashing`, :mod:`textprint.minhash` and
:mod:`textprint.winnowing`, its constants passed in as arguments. The one set of facts they
bake in is the tables' character classes, spelled ``_tables.CLASS_*`` where they are tested
(numba reads them as compile-time constants).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import _tables
from ._separators import MAX_GAP, MIN_MARKS
from ._shingles import MASK64, SEPARATOR, R
from ._text_runs import HYPHENS

__all__ = ["LOOPS", "MAYBE_CHAIN", "NOT_PLAIN", "NO_TOKEN", "PLAIN", "fmix64"]

_U64 = np.uint64
_C1 = 0xFF51AFD7ED558CCD
_C2 = 0xC4CEB9FE1A85EC53
_HYPHEN_A, _HYPHEN_B = (int(h) for h in HYPHENS)
#: What the loops say of a text: plain; not plain (the batch path answers); plain unless the
#: separator rule finds a chain; plain with no token.
PLAIN, NOT_PLAIN, MAYBE_CHAIN, NO_TOKEN = 1, 0, 2, -1


def fmix64(x: Any) -> Any:
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
        if classes[i] in (_tables.CLASS_HAN, _tables.CLASS_KANA, _tables.CLASS_HANGUL):
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
        if classes[i] in (
            _tables.CLASS_WORD,
            _tables.CLASS_HAN,
            _tables.CLASS_KANA,
            _tables.CLASS_HANGUL,
        ):
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
        if k >= _tables.SPECIAL or k in (_tables.CLASS_KANA, _tables.CLASS_HANGUL):
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
        if k in (_tables.CLASS_SPACE, _tables.CLASS_NEWLINE):
            if f != (0x20 if k == _tables.CLASS_SPACE else 0x0A):
                return NOT_PLAIN, 0
            if k == _tables.CLASS_NEWLINE and i > 0 and (prev_f in (_HYPHEN_A, _HYPHEN_B)):
                return NOT_PLAIN, 0
            if i + 1 < n and (
                cls[i + 1] == _tables.CLASS_SPACE or cls[i + 1] == _tables.CLASS_NEWLINE
            ):
                return NOT_PLAIN, 0
            if (
                i > 0
                and i + 1 < n
                and prev_k == _tables.CLASS_HAN
                and cls[i + 1] == _tables.CLASS_HAN
            ):
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
        if k not in (_tables.CLASS_WORD, _tables.CLASS_HAN):
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
        if k == _tables.CLASS_HAN:
            tok_start[t] = i
            tok_end[t] = i + 1
            t += 1
            i += 1
        elif k == _tables.CLASS_WORD:
            j = i + 1
            while j < n and cls[j] == _tables.CLASS_WORD:
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
        out[s] = fmix64(v)
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
            probe = fmix64(_U64(key) ^ ((_U64(j) << s32) | _U64(t)))
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
            v = fmix64(hashes[i] ^ keys[j])
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


#: The loops, callees before callers (each is compiled with the compiled callees in scope).
LOOPS: tuple[Callable[..., Any], ...] = (
    fmix64,
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
)
