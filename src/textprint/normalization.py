"""Normalization: the matching view of a text, with a map back to the original characters.

Stage 1 of the pipeline (normalize -> tokenize -> hash -> winnow | minhash -> ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._tables import (
    CLASS_HAN,
    CLASS_HANGUL,
    CLASS_KANA,
    CLASS_NEWLINE,
    CLASS_SPACE,
    CLASS_WORD,
    Tables,
    get_tables,
)
from ._typing import Int64Array, UInt8Array, UInt32Array
from ._validation import check_text

__all__ = ["NORMALIZATION_VERSION", "Normalized", "normalize", "normalization_identity"]

#: Version of the normalization rules (tables have their own version, recorded beside it).
NORMALIZATION_VERSION = "1"

# Run languages (per normalized character).
LANG_NONE, LANG_ZH, LANG_JA, LANG_KO = 0, 1, 2, 3
LANG_NAMES = ("other", "zh", "ja", "ko")
# A run is Japanese when kana are at least this share of its Han + kana characters. Japanese
# prose has far more (30-60%); Chinese text quoting one kana (the "の" of advertising) has less.
KANA_SHARE = 0.1
# Characters that end a run for language detection (after NFKC: ！？｡ are already ! ? 。).
RUN_BREAKS = np.array([0x0A, 0x21, 0x3F, 0x3002], dtype=np.uint32)
HYPHENS = np.array([0x2D, 0x2010], dtype=np.uint32)


def normalization_identity() -> str:
    """Identity of the normalization rules and tables, recorded in every result."""
    return f"normalize-{NORMALIZATION_VERSION}+{get_tables().identity}"


@dataclass(frozen=True, slots=True, eq=False)
class Normalized:
    """The matching view of a text.

    Attributes
    ----------
    text : str
        Fully folded text: NFKC, case folding, invisible characters removed, Traditional ->
        Simplified on Chinese runs, katakana -> hiragana, small kana and old kanji forms folded
        on Japanese runs, look-alike letters folded, line-break hyphenation joined, whitespace
        unified. Punctuation and whitespace stay.
    starts, ends : ndarray of shape (len(text),), dtype=int64
        Normalized character ``i`` came from ``original[starts[i]:ends[i]]``. Characters expanded
        from one original character share its span; removed characters belong to no span; spans
        are non-decreasing.
    identity : str
        Normalization rules and table versions that produced this view.
    """

    text: str
    starts: Int64Array
    ends: Int64Array
    identity: str

    def __len__(self) -> int:
        return len(self.text)

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalized range ``[start, end)`` back to a range of the original text.

        Examples
        --------
        >>> import textprint as tp
        >>> n = tp.normalize("ＡＢＣ\u200b漢字")
        >>> n.text
        'abc汉字'
        >>> n.source_span(3, 5)
        (4, 6)
        """
        if not 0 <= start < end <= len(self.text):
            from .errors import InvalidParameterError

            raise InvalidParameterError(
                f"range [{start}, {end}) must satisfy 0 <= start < end <= {len(self.text)}"
            )
        return int(self.starts[start]), int(self.ends[end - 1])


@dataclass(frozen=True, slots=True, eq=False)
class NormalizedBatch:
    """Flat arrays for a batch of texts (private currency between stages).

    ``folded`` is the matching view; ``analysis`` is what a morphological analyzer sees: the same
    characters before kana and look-alike folds (Traditional -> Simplified and kyujitai ->
    shinjitai already applied on their runs). Both have the same length: every fold after
    composition is one character for one character. ``starts``/``ends`` are offsets local to
    each document; ``bounds[d]:bounds[d + 1]`` is document ``d``.
    """

    folded: UInt32Array
    analysis: UInt32Array
    classes: UInt8Array
    lang: UInt8Array
    starts: Int64Array
    ends: Int64Array
    bounds: Int64Array
    doc_lang: tuple[str, ...]

    def text(self, doc: int) -> str:
        a, b = int(self.bounds[doc]), int(self.bounds[doc + 1])
        return _to_str(self.folded[a:b])


def _to_str(cps: UInt32Array) -> str:
    return np.ascontiguousarray(cps, dtype="<u4").tobytes().decode("utf-32-le")


def _to_cps(text: str) -> UInt32Array:
    # surrogatepass: lone surrogates come through as their code unit; the table maps them to
    # U+FFFD one for one, so offsets are kept.
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.uint32)


def compose(seq: Sequence[int], tables: Tables) -> list[int]:
    """Canonical ordering then canonical composition of a decomposed sequence (UAX #15).

    The exact path for the clusters a per-code-point table cannot express (a base followed by
    combining marks, decomposed kana with a separate voicing mark, conjoining Hangul jamo).
    """
    ccc, pairs = tables.ccc, tables.pairs
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
        if starter >= 0 and last_ccc < cc:
            s = res[starter]
            comp: int | None
            if 0x1100 <= s <= 0x1112 and 0x1161 <= c <= 0x1175:  # Hangul L + V
                comp = 0xAC00 + ((s - 0x1100) * 21 + (c - 0x1161)) * 28
            elif 0xAC00 <= s <= 0xD7A3 and (s - 0xAC00) % 28 == 0 and 0x11A8 <= c <= 0x11C2:
                comp = s + (c - 0x11A7)  # Hangul LV + T
            else:
                comp = pairs.get((s, c))
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


def _compose_stage(
    cps: UInt32Array, doc: Int64Array, tables: Tables
) -> tuple[UInt32Array, Int64Array, Int64Array, Int64Array, int]:
    """NFKC_Casefold with invisible removal; returns chars, global spans, doc ids, and the
    number of input characters the exact (cluster) path handled."""
    flen = tables.fold_len[cps]
    kept = np.flatnonzero(flen)
    kc = cps[kept]
    kdoc = doc[kept]
    out_len = flen[kept].astype(np.int64)
    span_end = kept + 1
    flagged = tables.cluster[kc]
    clusters: list[tuple[int, list[int]]] = []
    n_exact = 0
    if flagged.any():
        # A flagged character joins the cluster of the kept character before it (same document).
        attach = flagged.copy()
        attach[0] = False
        attach[1:] &= kdoc[1:] == kdoc[:-1]
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
        return tables.fold_single[kc], kept.astype(np.int64), span_end, kdoc, 0
    total = int(out_len.sum())
    src = np.repeat(np.arange(len(kc)), out_len)
    first_out = np.cumsum(out_len) - out_len
    ramp = np.arange(total) - first_out[src]
    scp = kc[src]
    chars = np.where(
        tables.fold_len[scp] == 1,
        tables.fold_single[scp],
        tables.fold_pool[np.minimum(tables.fold_offset[scp] + ramp, len(tables.fold_pool) - 1)],
    ).astype(np.uint32)
    for a, composed in clusters:
        o = int(first_out[a])
        chars[o : o + len(composed)] = composed
    return chars, kept[src].astype(np.int64), span_end[src], kdoc[src], n_exact


def _whitespace_stage(
    chars: UInt32Array, starts: Int64Array, ends: Int64Array, doc: Int64Array, tables: Tables
) -> tuple[UInt32Array, Int64Array, Int64Array, Int64Array]:
    """Collapse whitespace runs, drop them between CJK characters, join hyphenated lines."""
    cls = tables.classes[chars]
    ws = (cls == CLASS_SPACE) | (cls == CLASS_NEWLINE)
    if not ws.any():
        return chars, starts, ends, doc
    n = len(chars)
    same = doc[1:] == doc[:-1]
    cont = np.zeros(n, dtype=bool)  # whitespace continuing a run
    cont[1:] = ws[1:] & ws[:-1] & same
    run_first = np.flatnonzero(ws & ~cont)
    more = np.zeros(n, dtype=bool)
    more[:-1] = ws[:-1] & ws[1:] & same
    run_end = np.flatnonzero(ws & ~more) + 1
    nl = np.concatenate([[0], np.cumsum(cls == CLASS_NEWLINE)])
    has_nl = nl[run_end] > nl[run_first]
    prev = run_first - 1
    prev_ok = prev >= 0
    prev_ok[prev_ok] &= doc[prev[prev_ok]] == doc[run_first[prev_ok]]
    nxt = run_end
    next_ok = nxt < n
    next_ok[next_ok] &= doc[nxt[next_ok]] == doc[run_first[next_ok]]
    prev_c = np.where(prev_ok, cls[np.maximum(prev, 0)], 0)
    next_c = np.where(next_ok, cls[np.minimum(nxt, n - 1)], 0)
    cjk_prev = (prev_c == CLASS_HAN) | (prev_c == CLASS_KANA)
    cjk_next = (next_c == CLASS_HAN) | (next_c == CLASS_KANA)
    # CJK text has no spaces between words: whitespace between two CJK characters is a re-wrap
    # or a spacing evasion, not a boundary.
    drop = prev_ok & next_ok & cjk_prev & cjk_next
    # "exam-\nple" -> "example": a hyphen between a letter and a line break, a letter after it.
    pp = prev - 1
    hyph = has_nl & prev_ok & next_ok & (next_c == CLASS_WORD) & (pp >= 0)
    hyph[hyph] &= np.isin(chars[prev[hyph]], HYPHENS)
    hyph[hyph] &= (doc[pp[hyph]] == doc[prev[hyph]]) & (cls[pp[hyph]] == CLASS_WORD)
    keep = ~cont
    out = chars.copy()
    out[run_first] = np.where(has_nl, 0x0A, 0x20)
    keep[run_first[drop | hyph]] = False
    keep[prev[hyph]] = False
    return out[keep], starts[keep], ends[keep], doc[keep]


def _language_stage(
    chars: UInt32Array, doc: Int64Array, n_docs: int, tables: Tables
) -> tuple[UInt8Array, UInt8Array, tuple[str, ...]]:
    """Per-character run language and per-document dominant language."""
    cls = tables.classes[chars]
    n = len(chars)
    lang = np.zeros(n, dtype=np.uint8)
    han = cls == CLASS_HAN
    kana = cls == CLASS_KANA
    hangul = cls == CLASS_HANGUL
    word = cls == CLASS_WORD
    d_han = np.bincount(doc[han], minlength=n_docs)
    d_kana = np.bincount(doc[kana], minlength=n_docs)
    d_hangul = np.bincount(doc[hangul], minlength=n_docs)
    d_word = np.bincount(doc[word], minlength=n_docs)
    doc_ja = (d_kana > 0) & (d_kana >= KANA_SHARE * (d_han + d_kana))
    if n and (han.any() or kana.any() or hangul.any()):
        brk = np.isin(chars, RUN_BREAKS)
        new = np.ones(n, dtype=bool)
        new[1:] = (doc[1:] != doc[:-1]) | brk[:-1]
        rid = np.cumsum(new) - 1
        n_runs = int(rid[-1]) + 1
        r_han = np.bincount(rid[han], minlength=n_runs)
        r_kana = np.bincount(rid[kana], minlength=n_runs)
        r_hangul = np.bincount(rid[hangul], minlength=n_runs)
        r_doc = doc[np.flatnonzero(new)]
        is_ja = (r_kana > 0) & (r_kana >= KANA_SHARE * (r_han + r_kana))
        # Han-only runs take the document's context: a headline in kanji is Japanese in a
        # Japanese document.
        is_ja |= (r_kana == 0) & (r_han > 0) & doc_ja[r_doc] & (r_hangul == 0)
        is_ko = ~is_ja & (r_hangul > r_han)
        is_zh = ~is_ja & ~is_ko & (r_han > 0)
        r_lang = np.zeros(n_runs, dtype=np.uint8)
        r_lang[is_zh] = LANG_ZH
        r_lang[is_ja] = LANG_JA
        r_lang[is_ko] = LANG_KO
        lang = r_lang[rid]
    names = []
    for d in range(n_docs):
        cjk = int(d_han[d] + d_kana[d] + d_hangul[d])
        # A CJK character carries about as much text as a short Latin word (3 letters).
        if cjk == 0 or 3 * cjk < int(d_word[d]):
            names.append("other")
        elif doc_ja[d] and d_kana[d] >= d_hangul[d]:
            names.append("ja")
        elif d_hangul[d] > d_han[d] + d_kana[d]:
            names.append("ko")
        else:
            names.append("zh")
    return lang, cls, tuple(names)


def normalize_batch(texts: Sequence[str]) -> tuple[NormalizedBatch, int]:
    """Normalize a batch of texts into flat arrays (private fast path).

    Returns the batch and the number of input characters handled by the exact cluster path.
    """
    tables = get_tables()
    n_docs = len(texts)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n_docs)
    doc_start = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(lengths, out=doc_start[1:])
    cps = _to_cps("".join(texts))
    doc = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
    chars, starts, ends, doc, n_exact = _compose_stage(cps, doc, tables)
    chars, starts, ends, doc = _whitespace_stage(chars, starts, ends, doc, tables)
    lang, _, doc_lang = _language_stage(chars, doc, n_docs, tables)
    analysis = chars.copy()
    zh = lang == LANG_ZH
    analysis[zh] = tables.t2s[chars[zh]]
    ja = lang == LANG_JA
    analysis[ja] = tables.jp[chars[ja]]
    folded = tables.common[analysis]
    offset = doc_start[doc]
    bounds = np.searchsorted(doc, np.arange(n_docs + 1), side="left").astype(np.int64)
    batch = NormalizedBatch(
        folded=folded,
        analysis=analysis,
        classes=tables.classes[folded],
        lang=lang,
        starts=starts - offset,
        ends=ends - offset,
        bounds=bounds,
        doc_lang=doc_lang,
    )
    return batch, n_exact


def normalize(text: str) -> Normalized:
    """Return the matching view of `text`, with spans back to the original characters.

    Parameters
    ----------
    text : str
        Any string. Lone surrogates become U+FFFD one for one; the empty string gives an empty
        result.

    Returns
    -------
    Normalized
        ``.text`` (the folded view), ``.starts`` and ``.ends`` (ndarray of shape (len(.text),),
        dtype=int64: original span of each normalized character), ``.identity``.

    Raises
    ------
    InvalidInputError
        If `text` is not a ``str``.

    Notes
    -----
    The folds, in order: NFKC with full case folding (Unicode 14.0.0 tables shipped in the
    package; clusters of a base and combining marks take an exact composition path), removal
    of invisible characters (default ignorables and control characters), whitespace unified and
    collapsed, whitespace between two CJK characters removed, hyphenated line breaks joined;
    then, per run of text between sentence ends, Traditional -> Simplified on Chinese runs and
    kyujitai -> shinjitai on Japanese runs (OpenCC 1.4.2 character data), and everywhere
    katakana -> hiragana, small kana -> large kana and look-alike letters -> Latin.

    Examples
    --------
    >>> import textprint as tp
    >>> tp.normalize("Ｈｅｌｌｏ，\u200b世界！").text
    'hello,世界!'
    >>> tp.normalize("學而時習之").text
    '学而时习之'
    >>> tp.normalize("カタカナとひらがな").text
    'かたかなとひらがな'
    >>> n = tp.normalize("㈱")
    >>> n.text, n.starts.tolist(), n.ends.tolist()
    ('(株)', [0, 0, 0], [1, 1, 1])
    """
    check_text(text)
    batch, _ = normalize_batch([text])
    starts = batch.starts
    ends = batch.ends
    starts.flags.writeable = False
    ends.flags.writeable = False
    return Normalized(
        text=_to_str(batch.folded), starts=starts, ends=ends, identity=normalization_identity()
    )
