"""The fast path of batch normalization (private): one lookup for most characters.

Most characters fold with one lookup (``FastTables``); only what needs more goes to the exact
stages: removals and expansions are spliced in sparsely (`_expand_sparse`), white-space runs
that may change are collapsed alone (`_whitespace_fast`), and documents with a cluster or with
kana or Hangul whose runs are not all Chinese are normalized on the exact path and spliced
back (`_splice`). The result equals the exact path's (:mod:`textprint._normbatch_batch`),
bit for bit; :mod:`textprint._normbatch` adds the separator rule to both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._folding import collapse_whitespace
from ._kernels import first_mask, gather_ranges, group_of, ranks
from ._normbatch_batch import FastSpans, NormalizedBatch, SpanFn, fold_exact, merge
from ._tables import (
    CLASS_HAN,
    CLASS_HANGUL,
    CLASS_KANA,
    CLASS_NEWLINE,
    CLASS_SPACE,
    N_CLASSES,
    SPECIAL,
    Tables,
    class_set,
    get_fast_tables,
    get_tables,
)
from ._text_runs import HYPHENS, LANG_JA, LANG_KO, run_languages
from ._typing import BoolArray, Int64Array, UInt8Array, UInt32Array

__all__ = ["fold_fast"]


_HAN_KANA = class_set(CLASS_HAN, CLASS_KANA)
#: The one form white space keeps when nothing else changes it (by class).
_WHITE_CHAR = np.zeros(N_CLASSES, dtype=np.uint32)
_WHITE_CHAR[[CLASS_SPACE, CLASS_NEWLINE]] = (0x20, 0x0A)


def _whitespace_fast(
    folded: UInt32Array, cls: UInt8Array, bounds: Int64Array
) -> tuple[UInt32Array, UInt8Array, Int64Array, BoolArray | None]:
    """The white-space rules on the fast path.

    Most white space is one space or line break between two characters that are not both
    CJK, already in its final form: nothing to do. A few passes over the white-space
    positions alone find the runs that may change (other space characters, longer runs, CJK
    on both sides, a hyphen before a line break); `collapse_whitespace` applies the rules to
    those only (each run is decided by itself and its two neighbours). Returns the
    characters, classes, bounds and the mask of kept positions (None: all kept).
    """
    ws = cls == CLASS_SPACE  # (comparisons: a table's take costs more over a whole text)
    ws |= cls == CLASS_NEWLINE
    ws = ws.nonzero()[0]
    if len(ws) == 0:
        return folded, cls, bounds, None
    ws_cls = cls.take(ws)
    odd = folded.take(ws) != _WHITE_CHAR.take(ws_cls)  # another space or line-break character
    run = ws[1:] - ws[:-1] == 1  # two white-space characters in a row: both
    odd[1:] |= run
    odd[:-1] |= run
    # between two Han or kana; a hyphen before a line break ("clip": at either end of the
    # batch, the neighbour read is the white space itself, which is neither)
    before = ws - 1
    odd |= _HAN_KANA.take(cls.take(before, mode="clip")) & _HAN_KANA.take(
        cls.take(ws + 1, mode="clip")
    )
    prev = folded.take(before, mode="clip")
    odd |= ((prev == HYPHENS[0]) | (prev == HYPHENS[1])) & (ws_cls == CLASS_NEWLINE)
    if not odd.any():
        return folded, cls, bounds, None
    return collapse_whitespace(folded, cls, bounds, ws[odd])


def _expand_sparse(
    folded: UInt32Array,
    cls: UInt8Array,
    bounds: Int64Array,
    pos: Int64Array,
    flen: UInt8Array,
    cps: UInt32Array,
    tables: Tables,
) -> tuple[UInt32Array, UInt8Array, Int64Array]:
    """Apply the removals (``flen == 0``) and expansions (``flen > 1``) at `pos` (sorted).

    Returns the characters, classes and bounds (`_fast_spans` maps back).
    """
    ft = get_fast_tables()
    n = len(folded)
    ln = flen.astype(np.int64)
    ex = np.flatnonzero(ln > 1)
    pool_at = tables.fold_offset[cps[pos]]
    if len(pos) <= _FEW:
        # a few: concatenate the stretches between them and their replacements
        f_parts: list[UInt32Array] = []
        c_parts: list[UInt8Array] = []
        a = 0
        for p, length, off in zip(pos.tolist(), ln.tolist(), pool_at.tolist()):
            f_parts.append(folded[a:p])
            c_parts.append(cls[a:p])
            if length:
                piece = tables.fold_pool[off : off + length]
                f_parts.append(ft.zh[piece])
                c_parts.append(tables.match_class[piece])
            a = p + 1
        f_parts.append(folded[a:])
        c_parts.append(cls[a:])
        out_f = np.concatenate(f_parts)
        out_c = np.concatenate(c_parts)
    else:
        keep = np.ones(n, dtype=bool)
        keep[pos] = False
        at = pos - np.arange(len(pos), dtype=np.int64)  # position among the kept characters
        ins_at = np.repeat(at[ex], ln[ex])
        ramp = ranks(ln[ex])
        pool = tables.fold_pool[np.repeat(pool_at[ex], ln[ex]) + ramp]
        out_f = np.insert(folded[keep], ins_at, ft.zh[pool])
        out_c = np.insert(cls[keep], ins_at, tables.match_class[pool])
    grown = np.zeros(len(pos) + 1, dtype=np.int64)  # characters added before each position
    np.cumsum(ln - 1, out=grown[1:])
    out_bounds = bounds + grown[np.searchsorted(pos, bounds, side="left")]
    return out_f, out_c, out_bounds


# Removals and expansions in a batch up to which they are spliced in one by one.
_FEW = 64
# A batch whose documents needing the exact path hold more than this share of its characters
# is normalized on the exact path whole.
_EXACT_SHARE = 0.5


def _other_language_docs(
    cls: UInt8Array, bounds: Int64Array, docs: Int64Array, han_only_ja: BoolArray | None
) -> Int64Array:
    """The documents among `docs` where a Han character is on a Japanese or Korean run (the
    fast path folds every Han character as Chinese)."""
    idx, sub_bounds = gather_ranges(bounds[docs], bounds[docs + 1])
    sub = cls[idx]
    lang, _ = run_languages(sub, sub_bounds, None if han_only_ja is None else han_only_ja[docs])
    if lang is None:
        return np.zeros(0, dtype=np.int64)
    bad = np.flatnonzero(((lang == LANG_JA) | (lang == LANG_KO)) & (sub == CLASS_HAN))
    out: Int64Array = docs[np.unique(group_of(bad, sub_bounds))]
    return out


def fold_fast(texts: Sequence[str], han_only_ja: BoolArray | None) -> tuple[NormalizedBatch, int]:
    """The fast path, but for separators (see `normalize_batch`)."""
    n_docs = len(texts)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n_docs)
    doc_start = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(lengths, out=doc_start[1:])
    n = int(doc_start[-1])
    if n == 0:
        return fold_exact(texts, han_only_ja)
    ft = get_fast_tables()
    cps = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype="<u4")
    idx = cps.astype(np.intp)
    code = ft.code.take(idx)
    folded = ft.zh_fold.take(idx)
    del idx
    bounds = doc_start
    exact_docs: list[Int64Array] = []
    special = (code >= SPECIAL).nonzero()[0]  # (not flatnonzero: a fixed cost per call)
    expanded: tuple[Int64Array, Int64Array] | None = None
    if len(special):
        tables = get_tables()
        code &= SPECIAL - 1
        sc = cps[special]
        flen = tables.fold_len[sc]
        # CR LF is one line break: the CR of a CR LF pair (in one document) is removed
        nxt = special + 1
        crlf = (sc == 0x0D) & (nxt < n)
        if crlf.any():  # (the mask of document starts is as long as the batch)
            crlf[crlf] &= (cps[nxt[crlf]] == 0x0A) & ~first_mask(doc_start, n)[nxt[crlf]]
            flen[crlf] = 0
        clustered = tables.cluster[sc]
        if clustered.any():
            exact_docs.append(group_of(special[clustered], doc_start))
        change = (flen != 1) & ~clustered
        if change.any():
            edits = special[change]
            folded, code, bounds = _expand_sparse(
                folded, code, doc_start, edits, flen[change], cps, tables
            )
            expanded = (edits, flen[change].astype(np.int64))
    cls = code
    folded, cls, out_bounds, keep = _whitespace_fast(folded, cls, bounds)
    # kana and Hangul (or a Japanese decision given for Han-only runs): a document whose runs
    # are not all Chinese goes to the exact path
    kh = ((cls == CLASS_KANA) | (cls == CLASS_HANGUL)).nonzero()[0]
    if len(kh):
        kh = group_of(kh, out_bounds)
    if han_only_ja is not None:
        kh = np.concatenate([kh, np.flatnonzero(han_only_ja)])
    if len(kh):
        exact_docs.append(_other_language_docs(cls, out_bounds, np.unique(kh), han_only_ja))
    exact = np.unique(np.concatenate(exact_docs)) if exact_docs else np.zeros(0, dtype=np.int64)
    if len(exact) and int(lengths[exact].sum()) > _EXACT_SHARE * n:
        return fold_exact(texts, han_only_ja)
    if len(exact) == 0:
        return (
            NormalizedBatch(
                folded=folded,
                classes=cls,
                bounds=out_bounds,
                doc_start=doc_start,
                span_fn=_fast_spans(n, expanded, keep),
                texts=texts,
                han_only_ja=han_only_ja,
            ),
            0,
        )
    spans = _fast_spans(n, expanded, keep)
    return _splice(texts, exact, folded, cls, out_bounds, doc_start, spans, han_only_ja)


def _fast_spans(
    n: int, expanded: tuple[Int64Array, Int64Array] | None, keep: BoolArray | None
) -> FastSpans | None:
    """The spans of the fast path's `n` input characters after its sparse edits (None: every
    span is its own character)."""
    if expanded is None and keep is None:
        return None
    return FastSpans(n, expanded, keep)


def _splice(
    texts: Sequence[str],
    exact: Int64Array,
    folded: UInt32Array,
    cls: UInt8Array,
    bounds: Int64Array,
    doc_start: Int64Array,
    fast_spans: SpanFn | None,
    han_only_ja: BoolArray | None,
) -> tuple[NormalizedBatch, int]:
    """Replace the documents `exact` (sorted) of a fast-path batch by their exact-path result."""
    sub_decision = None if han_only_ja is None else han_only_ja[exact]
    sub, n_exact = fold_exact([texts[i] for i in exact.tolist()], sub_decision)
    fast = NormalizedBatch(
        folded=folded,
        classes=cls,
        bounds=bounds,
        doc_start=doc_start,
        span_fn=fast_spans,
        han_only_ja=han_only_ja,
    )
    # the exact batch's original offsets, moved to where its documents are in this one
    sub_shift = doc_start[exact] - sub._doc_start[:-1]

    def sub_spans(idx: Int64Array) -> tuple[Int64Array, Int64Array]:
        start, end = sub.global_spans(idx)
        shift = sub_shift[np.searchsorted(sub.bounds, idx, side="right") - 1]
        return start + shift, end + shift

    return merge(fast, exact, sub, sub_spans, texts), n_exact
