"""Canonical ordering and composition (UAX #15), the one copy of the algorithm (private).

Two callers: normalization's exact path for the clusters a per-code-point table cannot express
(:func:`textprint._folding.compose`), and ``scripts/generate_tables.py``, which composes every
decomposed mapping once to build the tables the package ships. The generator runs before the
package has tables, so it imports this file by path: this module imports nothing, not even
textprint or numpy, and takes its data (combining classes, primary composites, the fallback
fold) as arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

__all__ = ["compose_sequence"]


def compose_sequence(
    seq: Sequence[int],
    ccc: Mapping[int, int],
    pairs: Mapping[tuple[int, int], int],
    fold: Callable[[int], int] | None = None,
) -> list[int]:
    """Canonical ordering then canonical composition of a decomposed sequence (UAX #15).

    `ccc` maps a code point to its non-zero canonical combining class, `pairs` maps a
    (starter, second) pair to its primary composite; Hangul syllables compose arithmetically.
    `fold` (optional) is a fallback: a starter with no primary composite for a mark composes
    as ``fold(starter)`` would (see :func:`textprint._folding.compose` for why normalization
    needs it); without it this is UAX #15's composition exactly.
    """
    out = list(seq)
    i = 0
    while i < len(out):  # stable sort of each run of non-starters by combining class
        if ccc.get(out[i], 0) == 0:
            i += 1
            continue
        j = i
        while j < len(out) and ccc.get(out[j], 0) != 0:
            j += 1
        out[i:j] = sorted(out[i:j], key=lambda c: ccc.get(c, 0))
        i = j
    if not out:
        return out
    res = [out[0]]
    starter = 0 if ccc.get(out[0], 0) == 0 else -1
    last_ccc = -1 if starter == 0 else 256  # -1: nothing between the starter and this char
    for c in out[1:]:
        cc = ccc.get(c, 0)
        if starter >= 0 and last_ccc < cc:  # (-1 < 0: two adjacent starters may compose)
            s = res[starter]
            comp: int | None
            if 0x1100 <= s <= 0x1112 and 0x1161 <= c <= 0x1175:  # Hangul L + V
                comp = 0xAC00 + ((s - 0x1100) * 21 + (c - 0x1161)) * 28
            elif 0xAC00 <= s <= 0xD7A3 and (s - 0xAC00) % 28 == 0 and 0x11A8 <= c <= 0x11C2:
                comp = s + (c - 0x11A7)  # Hangul LV + T
            else:
                comp = pairs.get((s, c))
                if comp is None and fold is not None:
                    folded = fold(s)
                    comp = None if folded == s else pairs.get((folded, c))
            if comp is not None:
                res[starter] = comp
                continue
        if cc == 0:
            starter = len(res)
            last_ccc = -1
        else:
            last_ccc = cc
        res.append(c)
    return res
