"""The folds of normalization's first stages (private): composition and white space.

NFKC_Casefold with invisible characters removed (`compose_stage`, with the exact composition
path `compose` for the clusters a per-code-point table cannot express), then the white-space
rules (`collapse_whitespace`). Both paths of :mod:`textprint._normbatch` (the exact one and the
fast one) apply these same functions; the rules are documented in
:func:`textprint.normalize` and docs/explanation/normalization.md.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._compose import compose_sequence
from ._kernels import first_mask, owners, ranks
from ._tables import CLASS_HAN, CLASS_KANA, CLASS_NEWLINE, CLASS_SPACE, CLASS_WORD, Tables
from ._text_runs import HYPHENS
from ._typing import BoolArray, Int64Array, UInt8Array, UInt32Array

__all__ = ["collapse_whitespace", "compose", "compose_stage"]


def compose(seq: Sequence[int], tables: Tables) -> list[int]:
    """Canonical ordering then canonical composition of a decomposed sequence (UAX #15).

    The exact path for the clusters a per-code-point table cannot express (a base followed by
    combining marks, decomposed kana with a separate voicing mark, conjoining Hangul jamo).

    One rule beyond UAX #15: a starter with no primary composite for a mark composes as its
    kana and look-alike fold (``Tables.common``, applied after this stage) would, so
    small "ㇰ" + U+3099 -> "ぐ" and Cyrillic "а" + U+0301 -> "á". Otherwise the fold would
    leave a pair that composes when the result is normalized again ("く" + U+3099): the
    normalization would not be idempotent, and the mark would be a token of its own.
    """
    common = tables.common
    return compose_sequence(seq, tables.ccc, tables.pairs, lambda cp: int(common[cp]))


def compose_stage(
    cps: UInt32Array, bounds: Int64Array, tables: Tables
) -> tuple[UInt32Array, Int64Array | None, Int64Array | None, Int64Array, int]:
    """NFKC_Casefold with invisible removal.

    Returns the characters, their global original spans (None: one for one, the identity),
    the new document bounds, and the number of input characters the exact (cluster) path
    handled.
    """
    flen = tables.fold_len[cps]
    # CR LF is one line break (so "exam-\r\nple" joins like "exam-\nple" and a blank line
    # stays distinguishable): the CR of a CR LF pair is removed
    crlf = np.flatnonzero((cps[:-1] == 0x0D) & (cps[1:] == 0x0A))
    if len(crlf):
        # (a CR ending one document and an LF starting the next are not a pair)
        flen[crlf[~first_mask(bounds, len(cps))[crlf + 1]]] = 0
    flagged_all = tables.cluster[cps]
    irregular = flen != 1
    if not flagged_all.any():
        if not irregular.any():
            return tables.fold_single[cps], None, None, bounds, 0  # the common case
        # Removals and expansions without clusters: one repeat does both (a removed character
        # repeats 0 times, an expansion as many times as its mapping is long), then the
        # expansions' characters are written in from the pool.
        out_len = flen.astype(np.int64)
        chars = np.repeat(tables.fold_single[cps], out_len)
        src = owners(out_len)
        first_out = np.cumsum(out_len) - out_len
        out_bounds = np.append(first_out, len(chars))[bounds].astype(np.int64)
        ex = np.flatnonzero(flen > 1)
        if len(ex):
            ln = out_len[ex]
            owner = np.repeat(ex, ln)
            ramp = ranks(ln)
            chars[first_out[owner] + ramp] = tables.fold_pool[tables.fold_offset[cps[owner]] + ramp]
        return chars, src, src + 1, out_bounds, 0
    kept = np.flatnonzero(flen)
    kc = cps[kept]
    new_bounds = np.searchsorted(kept, bounds, side="left").astype(np.int64)
    out_len = flen[kept].astype(np.int64)
    span_end = kept + 1
    flagged = flagged_all[kept]
    clusters: list[tuple[int, list[int]]] = []
    n_exact = 0
    if flagged.any():
        # A flagged character joins the cluster of the kept character before it (same document).
        attach = flagged.copy()
        attach &= ~first_mask(new_bounds, len(kc))[: len(kc)]
        first = np.flatnonzero(~attach)
        sizes = np.diff(np.append(first, len(kc)))
        for c in np.flatnonzero(sizes > 1):
            a, size = int(first[c]), int(sizes[c])
            seq: list[int] = []
            for cp in kc[a : a + size].tolist():
                seq.extend(tables.decomposition.get(cp, (cp,)))
            composed = compose(seq, tables)
            clusters.append((a, composed))
            out_len[a] = len(composed)
            out_len[a + 1 : a + size] = 0
            span_end[a] = kept[a + size - 1] + 1
            n_exact += size
    if not clusters and bool((out_len == 1).all()):
        return tables.fold_single[kc], kept.astype(np.int64), span_end, new_bounds, 0
    src = owners(out_len)
    first_out = np.cumsum(out_len) - out_len
    ramp = ranks(out_len)
    scp = kc[src]
    chars = np.where(
        tables.fold_len[scp] == 1,
        tables.fold_single[scp],
        tables.fold_pool[np.minimum(tables.fold_offset[scp] + ramp, len(tables.fold_pool) - 1)],
    ).astype(np.uint32)
    for a, composed in clusters:
        o = int(first_out[a])
        chars[o : o + len(composed)] = composed
    out_bounds = np.concatenate([[0], np.cumsum(out_len)])[new_bounds].astype(np.int64)
    return chars, kept[src].astype(np.int64), span_end[src], out_bounds, n_exact


def _is_voicing_mark(chars: UInt32Array) -> BoolArray:
    """The combining kana voicing marks U+3099 and U+309A (the only non-starters of class
    kana or Han)."""
    out: BoolArray = (chars == 0x3099) | (chars == 0x309A)
    return out


def collapse_whitespace(
    chars: UInt32Array, cls: UInt8Array, bounds: Int64Array, ws: Int64Array
) -> tuple[UInt32Array, UInt8Array, Int64Array, BoolArray | None]:
    """Collapse the white-space runs at `ws`, drop them between CJK characters, join
    hyphenated lines; `chars` and `cls` are changed in place.

    `ws` holds the positions of whole runs of white space, sorted (every white space of the
    batch, or only the runs that may change: each run is decided by itself and its two
    neighbours). `cls` are the classes of the matching view (``Tables.match_class``): the
    look-alike fold changes some classes (the radical "⺅" and the circle "○" are symbols, the
    ideographs they fold to are Han), and the rules must see the folded classes or normalizing
    the result again would drop a space it kept ("漢 ⺅" -> "汉 亻" -> "汉亻"). `chars` may be
    the composed characters or their fold: the folds after NFKC_Casefold map nothing else to a
    hyphen and leave white space and hyphens as they are.

    Returns the characters, classes, document bounds and the mask of kept positions (None:
    every position kept).
    """
    n = len(chars)
    first = first_mask(bounds, n)
    is_nl = cls[ws] == CLASS_NEWLINE
    cont = np.zeros(len(ws), dtype=bool)  # continues the run of the previous white space
    cont[1:] = (ws[1:] == ws[:-1] + 1) & ~first[ws[1:]]
    rf = np.flatnonzero(~cont)  # runs, as indices into ws
    rl = np.append(rf[1:] - 1, len(ws) - 1)
    run_first = ws[rf]
    run_end = ws[rl] + 1
    nl_count = np.zeros(len(ws) + 1, dtype=np.int64)
    np.cumsum(is_nl, out=nl_count[1:])
    n_nl = nl_count[rl + 1] - nl_count[rf]
    has_nl = n_nl > 0
    prev = run_first - 1
    prev_ok = ~first[run_first]  # the run does not start its document
    nxt = run_end
    next_ok = ~first[nxt] & (nxt < n)  # the run does not end its document
    prev_c = np.where(prev_ok, cls[np.maximum(prev, 0)], 0)
    next_c = np.where(next_ok, cls[np.minimum(nxt, n - 1)], 0)
    cjk_prev = (prev_c == CLASS_HAN) | (prev_c == CLASS_KANA)
    cjk_next = (next_c == CLASS_HAN) | (next_c == CLASS_KANA)
    # CJK text has no spaces between words: whitespace between two CJK characters is a re-wrap
    # or a spacing evasion, not a boundary. Not before a voicing mark (U+3099/U+309A, the
    # kana-class combining marks; "゛" is NFKC " " + U+3099): without the space the mark would
    # compose with the kana before it when the result is normalized again.
    cjk_next &= ~_is_voicing_mark(chars[np.minimum(nxt, n - 1)])
    drop = prev_ok & next_ok & cjk_prev & cjk_next
    # "exam-\nple" -> "example": a hyphen between a letter and a line break, a letter after it;
    # one line break only: a blank line between "Nora-" and "Nora" is a paragraph break
    pp = prev - 1
    hyph = (n_nl == 1) & prev_ok & next_ok & (next_c == CLASS_WORD) & (pp >= 0)
    if hyph.any():  # (np.isin costs more than the whole stage on a short text)
        before = chars[prev[hyph]]
        hyph[hyph] &= (before == HYPHENS[0]) | (before == HYPHENS[1])
        hyph[hyph] &= ~first[prev[hyph]] & (cls[pp[hyph]] == CLASS_WORD)
    # One character stands for each run: its first line break if it has one, else its first
    # space. (Keeping the first character of " \n " as "\n" gave "\n" the span of " ", which
    # normalizes to " ": the offset map must point back to text that normalizes to the same.)
    rep = run_first.copy()
    if has_nl.any():
        nl_idx = np.flatnonzero(is_nl)
        rep[has_nl] = ws[nl_idx[np.searchsorted(nl_idx, rf[has_nl])]]
    gone = rep[drop | hyph]
    removed = len(ws) - len(rf) + len(gone) + int(np.count_nonzero(hyph))
    chars[rep] = np.where(has_nl, 0x0A, 0x20).astype(np.uint32)
    cls[rep] = np.where(has_nl, CLASS_NEWLINE, CLASS_SPACE)
    if not removed:
        return chars, cls, bounds, None
    keep = np.ones(n, dtype=bool)
    keep[ws] = False
    keep[rep] = True
    keep[gone] = False
    keep[prev[hyph]] = False
    kept_before = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(keep, out=kept_before[1:])
    return chars[keep], cls[keep], kept_before[bounds], keep
