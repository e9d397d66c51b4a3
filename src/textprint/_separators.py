"""Decorative separators: one mark repeated between the characters of CJK text.

Reposters wash a copy by putting a mark after every one to three characters
("天丶下丶大丶势", "话说丨天下丨大势"): invisible to a reader, but a Han-looking mark (丶, 丨,
〆, ヽ) or a letter is a token, and a token every second character leaves no shingle of the
copy intact. Punctuation, symbols and emoji used this way are no tokens and need nothing.

The rule looks at a pattern, never at which character it is: 丶 and 丨 are also words. In a
matching view, a *link* joins two occurrences of one token character (Han, kana, Hangul, or a
letter or digit: the *mark*) when

- 1-3 characters stand between them, none of them the mark, white space or a sentence end
  (a line break, "!", "?", "。"); when the mark is a letter or digit, they are CJK text
  (Han, kana, Hangul, punctuation or symbols) and hold at least one Han, kana or Hangul
  character, so no Latin text and no list of numbers ("1,1,1,1") is ever read as separated;
- the mark is not part of a repeated phrase: the characters before the two occurrences
  differ, and so do the characters after them ("一个一个一个" and "哈丶哈丶哈" have no link).

Linked occurrences form chains; every mark of a chain of at least ``MIN_MARKS`` (5) marks is a
separator. A chain never crosses a sentence end or a line, so the rule looks inside one run,
like the language rule (minhash's long-text path cuts texts between runs).

:func:`find_separators` is the rule; normalization removes the original characters of the
separators it finds and normalizes what is left again, until no chain is found (see
``_normbatch._without_separators``).
"""

from __future__ import annotations

import numpy as np

from ._tables import (
    CLASS_BREAK,
    CLASS_HAN,
    CLASS_HANGUL,
    CLASS_KANA,
    CLASS_NEWLINE,
    CLASS_OTHER,
    CLASS_SPACE,
    CLASS_WORD,
    class_set,
)
from ._typing import BoolArray, Int64Array, UInt8Array, UInt32Array, UInt64Array

__all__ = ["MAX_GAP", "MIN_MARKS", "find_separators"]

#: Marks a chain needs before its marks count as separators.
MIN_MARKS = 5
#: Characters at most between two marks of a chain.
MAX_GAP = 3


_CJK = class_set(CLASS_HAN, CLASS_KANA, CLASS_HANGUL)
_MARK = class_set(CLASS_WORD, CLASS_HAN, CLASS_KANA, CLASS_HANGUL)
# what may stand between two marks: for a CJK mark, anything but white space and sentence
# ends; for a letter or digit mark, CJK text only (no letters, digits or white space)
_GAP_CJK_MARK = ~class_set(CLASS_SPACE, CLASS_NEWLINE, CLASS_BREAK)
_GAP_WORD_MARK = class_set(CLASS_OTHER, CLASS_HAN, CLASS_KANA, CLASS_HANGUL)


def find_separators(
    chars: UInt32Array, classes: UInt8Array, bounds: Int64Array, *, min_marks: int = MIN_MARKS
) -> Int64Array:
    """Positions of the separator marks in a batch of matching views.

    Parameters
    ----------
    chars : ndarray of shape (n,), dtype=uint32
        The matching views of the documents, joined (code points).
    classes : ndarray of shape (n,), dtype=uint8
        Their character classes (``Tables.match_class``, sentence ends marked).
    bounds : ndarray of shape (n_docs + 1,), dtype=int64
        Document ``d`` is ``chars[bounds[d]:bounds[d + 1]]``.

    Returns
    -------
    ndarray of shape (n_separators,), dtype=int64
        Sorted positions into `chars`.

    Notes
    -----
    Linear in ``n`` with three comparisons per character; everything else runs on the
    characters equal to one 2-4 positions before them (a few percent of CJK text), and stops
    at a first test on those (`_may_chain`) for nearly every text.
    """
    n = len(chars)
    need = min_marks - 1  # links in a chain
    if n < 2 * need + 1:  # the shortest text holding a chain
        return np.zeros(0, dtype=np.int64)
    last = MAX_GAP + 1
    # positions equal to the character 2, 3 or 4 before: three passes over the text
    eq = chars[2:] == chars[:-2]
    for dist in range(3, last + 1):
        eq[dist - 2 :] |= chars[dist:] == chars[:-dist]
    cand = eq.nonzero()[0]  # (not flatnonzero: a fixed cost paid by every text)
    if len(cand) < max(need, 1):  # (_may_chain's first condition)
        return np.zeros(0, dtype=np.int64)
    cand += 2
    if not _may_chain(cand, classes, need):
        return np.zeros(0, dtype=np.int64)
    if need >= 2:
        # the quick test on the repeats of a mark's class: a chain's later marks are such
        # repeats, consecutive among those of their character (lists like "甲、乙、丙、丁"
        # stop here instead of in the full search)
        key, run = _quick_runs(chars, _mark_repeats(cand, classes), need)
        if not run.any():
            return np.zeros(0, dtype=np.int64)
        cand = _in_runs(key, run, need)
    elif not _quick_runs(chars, cand, need)[1].any():
        return np.zeros(0, dtype=np.int64)
    # the nearest distance at which each position repeats
    d = np.zeros(len(cand), dtype=np.int64)
    for dist in range(last, 1, -1):
        d[(cand >= dist) & (chars[cand] == chars[np.maximum(cand - dist, 0)])] = dist
    cand = cand[d > 0]
    d = d[d > 0]
    i = cand
    mark = chars[i]
    cls_i = classes[i]
    ok = _MARK[cls_i] & (chars[i - 1] != mark)  # nearest: not the character just before
    p = i - d
    doc = np.searchsorted(bounds, i, side="right") - 1
    ok &= p >= bounds[doc]
    # not a repeated phrase: the neighbours of the two marks differ (where they exist)
    before = p - 1 >= bounds[doc]
    ok &= ~before | (chars[np.maximum(p - 1, 0)] != chars[i - 1])
    after = i + 1 < bounds[doc + 1]
    ok &= ~after | (chars[np.minimum(i + 1, n - 1)] != chars[p + 1])
    # (the conditions so far stop most lists, "大鼓、小鼓、怀鼓、花鼓": the gaps are read
    # for the links left only, and not at all when too few are)
    if np.count_nonzero(ok) < need:
        return np.zeros(0, dtype=np.int64)
    i, p, mark, cls_i = i[ok], p[ok], mark[ok], cls_i[ok]
    ok = np.ones(len(i), dtype=bool)
    word_mark = cls_i == CLASS_WORD
    any_cjk = np.zeros(len(i), dtype=bool)
    for k in range(1, last):  # the gap: positions p + 1 ... i - 1
        at = np.minimum(p + k, n - 1)
        inside = p + k < i
        g_cls = classes[at]
        allowed = np.where(word_mark, _GAP_WORD_MARK[g_cls], _GAP_CJK_MARK[g_cls])
        ok &= ~inside | (allowed & (chars[at] != mark))
        any_cjk |= inside & _CJK[g_cls]
    ok &= ~word_mark | any_cjk
    i, p = i[ok], p[ok]
    if len(i) < need:
        return np.zeros(0, dtype=np.int64)
    return _long_chains(i, p, need)


def _quick_runs(chars: UInt32Array, cand: Int64Array, need: int) -> tuple[UInt64Array, BoolArray]:
    """The quick test: the repeat positions `cand` sorted by (character, position) as
    ``key`` (character << 32 | position), and ``run[x]``: entries ``x .. x + need - 1`` of
    `key` are one character, each 2-4 after the one before.

    A chain's later marks are such a run (its first mark equals nothing before it, and no
    mark stands between two marks). Most texts that pass `_may_chain` have none.
    """
    key = np.sort((chars[cand].astype(np.uint64) << np.uint64(32)) | cand.astype(np.uint64))
    run = np.diff(key) - np.uint64(2) <= np.uint64(MAX_GAP - 1)  # 2-4 apart (wraps below 2)
    for _ in range(need - 2):
        run = run[1:] & run[:-1]
    return key, run


def _mark_repeats(cand: Int64Array, classes: UInt8Array) -> Int64Array:
    """The repeat positions `cand` of a mark's class (the only ones a link can end at)."""
    out: Int64Array = cand.compress(_MARK.take(classes.take(cand)))
    return out


def _in_runs(key: UInt64Array, run: BoolArray, need: int) -> Int64Array:
    """The positions of the quick test's runs: entries ``x .. x + need - 1`` of `key` for
    every true ``run[x]``, sorted by position.

    Every later mark of a chain of at least ``need`` links lies in such a run (its later
    marks are consecutive entries of `key`, 2-4 apart), and whether a position links to the
    one before it reads the text only: the links of the other positions can make no long
    chain, so the rest of the search looks at these alone (in a long text, a few dozen
    positions instead of every repeat).
    """
    hit = run.nonzero()[0]
    keep = np.zeros(len(key), dtype=bool)
    for k in range(need):  # (a few assignments: np.add.at costs more on a few dozen)
        keep[hit + k] = True
    out: Int64Array = np.sort((key[keep] & np.uint64(0xFFFFFFFF)).astype(np.int64))
    return out


def _may_chain(cand: Int64Array, classes: UInt8Array, need: int) -> bool:
    """The first test: False when the positions `cand` (sorted; each equal to the character
    2-4 before it) hold no chain, for any text, with a few operations on `cand` alone.

    Each later mark of a chain is such a position of a mark's class, and its ``need`` later
    marks lie within ``(need - 1) * (MAX_GAP + 1)`` characters; a chain holds a CJK character
    (its mark, or one in every gap of a letter or digit mark). Nearly every text fails one of
    these (English fails the last), and pays nothing of the rest of the search.
    """
    if need < 2:  # (no span to test)
        return len(cand) >= need
    if len(cand) < need:
        return False
    # (take and compress, not indexing: every CJK text comes here, and a few array calls
    # are most of what it pays)
    cls = classes.take(cand)
    marks = cand.compress(_MARK.take(cls))
    if len(marks) < need:
        return False
    span = (need - 1) * (MAX_GAP + 1)
    if int((marks[need - 1 :] - marks[: len(marks) - need + 1]).min()) > span:
        return False
    return bool(_CJK.take(cls).any()) or bool(_CJK.take(classes).any())


def _long_chains(i: Int64Array, p: Int64Array, need: int) -> Int64Array:
    """The members of chains of at least ``MIN_MARKS`` marks, from the links ``p -> i``.

    Each position has at most one link back (to the nearest occurrence before it) and one
    forward (from the nearest after it), so the links form paths; a member belongs to a long
    chain when its links back and forward (counted up to ``MIN_MARKS - 1``) add up to it.
    """
    nodes = np.union1d(i, p)
    li = np.searchsorted(nodes, i)
    lp = np.searchsorted(nodes, p)
    back = np.full(len(nodes), -1, dtype=np.int64)
    fwd = np.full(len(nodes), -1, dtype=np.int64)
    back[li] = lp
    fwd[lp] = li
    count = np.zeros(len(nodes), dtype=np.int64)
    for step in (back, fwd):
        cur = np.arange(len(nodes), dtype=np.int64)
        for _ in range(need):
            cur = np.where(cur >= 0, step[np.maximum(cur, 0)], -1)
            count += cur >= 0
    out: Int64Array = nodes[count >= need]
    return out
