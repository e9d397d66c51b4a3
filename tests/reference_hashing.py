"""Slow, obviously correct references of the hashing, winnowing and MinHash kernels.

Pure Python with Python ints, one unit at a time, written from the documented rules (the module
docstrings of :mod:`textprint.hashing` and :mod:`textprint.minhash`, and Schleimer, Wilkerson,
Aiken 2003 for winnowing), not from the numpy code. Every 64-bit operation is masked explicitly
with ``& MASK64``; nothing here relies on numpy's wrap-around. numpy is used only where the rule
itself is numpy's: the ``RandomState`` draws datasketch makes for its permutations.

These are oracles for tests and golden files; they are far too slow for real inputs.

>>> winnow_reference([77, 74, 42, 17, 98, 50, 17, 98, 8, 88, 67, 39, 77, 74, 42, 17, 98], 4)
[3, 6, 8, 11, 15]
>>> fmix64(0), fmix32(0)
(0, 0)
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "EMPTY",
    "MASK32",
    "MASK64",
    "R",
    "classic_reference",
    "datasketch_perms_reference",
    "datasketch_reference",
    "fixture_digest",
    "fmix32",
    "fmix64",
    "oph_reference",
    "splitmix64",
    "tp64",
    "winnow_reference",
]

MASK64 = (1 << 64) - 1
MASK32 = (1 << 32) - 1
#: The reserved "too short" value of a signature.
EMPTY = MASK64
#: The largest value a valid oph/classic signature may hold.
MAX_VALUE = MASK64 - 1
#: The polynomial base of tp64 (the 64-bit golden ratio, odd).
R = 0x9E3779B97F4A7C15
OPH_SALT = 0x6F7068
MAX_PROBES = 4096


def splitmix64(x: int) -> int:
    """SplitMix64's output function of ``x + golden`` (Steele, Lea, Flood 2014), mod 2**64."""
    z = (x + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return (z ^ (z >> 31)) & MASK64


def _murmur_finalizer(x: int, mask: int, shifts: tuple[int, int, int], c1: int, c2: int) -> int:
    """MurmurHash3's finalizer: xor-shift, multiply, xor-shift, multiply, xor-shift."""
    x &= mask
    x ^= x >> shifts[0]
    x = (x * c1) & mask
    x ^= x >> shifts[1]
    x = (x * c2) & mask
    return x ^ (x >> shifts[2])


def fmix64(x: int) -> int:
    """MurmurHash3's 64-bit finalizer of one value."""
    return _murmur_finalizer(x, MASK64, (33, 33, 33), 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53)


def fmix32(x: int) -> int:
    """MurmurHash3's 32-bit finalizer of one value."""
    return _murmur_finalizer(x, MASK32, (16, 13, 16), 0x85EBCA6B, 0xC2B2AE35)


def tp64(shingle: bytes, seed: int) -> int:
    """The tp64 hash of one shingle: Horner over its code points, then fmix64.

    The bytes are read as UTF-8 with ``surrogateescape`` (an undecodable byte ``b`` becomes the
    unit ``0xDC00 + b``), the accumulator starts at ``splitmix64(seed)``.
    """
    v = splitmix64(seed)
    for ch in bytes(shingle).decode("utf-8", "surrogateescape"):
        v = (v * R + ord(ch)) & MASK64
    return fmix64(v)


def winnow_reference(hashes: Sequence[int], window: int) -> list[int]:
    """Robust winnowing, literally: one window at a time, left to right.

    In each window of ``window`` consecutive hashes select the minimum; if the position selected
    in the previous window is still inside this window and holds the minimum, keep it, else take
    the rightmost minimum. Report each selected position once, in increasing order. A sequence
    shorter than the window is a single window; an empty one selects nothing.
    """
    h = [int(x) for x in hashes]
    if not h:
        return []
    n_windows = max(1, len(h) - window + 1)
    w = min(window, len(h))
    selected: list[int] = []
    prev = -1
    for start in range(n_windows):
        cells = range(start, start + w)
        low = min(h[i] for i in cells)
        if start <= prev < start + w and h[prev] == low:
            pick = prev
        else:
            pick = max(i for i in cells if h[i] == low)
        if pick != prev:
            selected.append(pick)
        prev = pick
    assert selected == sorted(set(selected))
    return selected


def oph_bin(h: int, n: int) -> int:
    """The bin of a 64-bit value among ``n`` bins: ``((h >> 32) * n) >> 32``."""
    return ((h >> 32) * n) >> 32


def oph_reference(
    hashes: Iterable[int], n: int, seed: int, fallbacks: list[int] | None = None
) -> list[int]:
    """One-permutation hashing with optimal densification of one document's shingle hashes.

    An empty document gives ``n`` times ``EMPTY``. The bins that needed the fallback (no filled
    bin within ``MAX_PROBES`` probes) are appended to `fallbacks` if given.
    """
    bins: list[int | None] = [None] * n
    for h in hashes:
        b = oph_bin(int(h), n)
        x = min(int(h), MAX_VALUE)
        cur = bins[b]
        bins[b] = x if cur is None else min(cur, x)
    if all(v is None for v in bins):
        return [EMPTY] * n
    key = splitmix64(seed ^ OPH_SALT)
    out: list[int] = []
    for j, v in enumerate(bins):
        if v is not None:
            out.append(v)
            continue
        borrowed = None
        for t in range(1, MAX_PROBES + 1):
            cand = oph_bin(fmix64(key ^ ((j << 32) | t)), n)
            if bins[cand] is not None:  # the ORIGINAL bins: never a borrowed value
                borrowed = bins[cand]
                break
        if borrowed is None:  # the fallback: next non-empty bin to the right, cyclic
            if fallbacks is not None:
                fallbacks.append(j)
            for step in range(1, n + 1):
                cand = (j + step) % n
                if bins[cand] is not None:
                    borrowed = bins[cand]
                    break
        assert borrowed is not None
        out.append(borrowed)
    return out


def classic_reference(hashes: Iterable[int], n: int, seed: int) -> list[int]:
    """``n`` independent minima of ``fmix64(h ^ splitmix64(seed + 1 + i))``, clamped below EMPTY."""
    hs = [int(x) for x in hashes]
    if not hs:
        return [EMPTY] * n
    out = []
    for i in range(n):
        key = splitmix64((seed + 1 + i) & MASK64)
        out.append(min(min(fmix64(h ^ key), MAX_VALUE) for h in hs))
    return out


def datasketch_perms_reference(n: int, seed: int) -> tuple[list[int], list[int]]:
    """The ``a`` (odd) and ``b`` parameters datasketch 2.x draws for scheme ``affine32``.

    datasketch draws, from ``numpy.random.RandomState(seed)``, first all ``n`` values
    ``randint(0, 2**31, n, dtype=uint32)`` (then ``a = 2 x + 1``), then ``randint(0, 2**32, n,
    dtype=uint32)`` for ``b``.
    """
    gen = np.random.RandomState(seed)
    half = gen.randint(0, 1 << 31, n, dtype=np.uint32).tolist()
    b = gen.randint(0, 1 << 32, n, dtype=np.uint32).tolist()
    a = [(2 * int(x) + 1) & MASK32 for x in half]
    return a, [int(x) for x in b]


def sha1_hash32(data: bytes) -> int:
    """datasketch's default 32-bit hash: the first 4 bytes of SHA-1, little endian."""
    return int.from_bytes(hashlib.sha1(bytes(data)).digest()[:4], "little")


def datasketch_reference(shingles: Iterable[bytes], n: int, seed: int) -> list[int]:
    """datasketch 2.x ``affine32``: min over shingles of ``a_i * fmix32(sha1_32(x)) + b_i mod
    2**32``. An empty input gives ``n`` times ``EMPTY`` (textprint's too-short row)."""
    hv = [fmix32(sha1_hash32(x)) for x in shingles]
    if not hv:
        return [EMPTY] * n
    a, b = datasketch_perms_reference(n, seed)
    return [min((ai * h + bi) & MASK32 for h in hv) for ai, bi in zip(a, b)]


def fixture_digest(fixtures: str | Path) -> str:
    """SHA-256 of the fingerprints and signatures of every fixture text (determinism check).

    Used in-process and in fresh interpreters with other ``PYTHONHASHSEED`` values; everything
    it hashes must be identical.
    """
    import textprint as tp

    fixtures = Path(fixtures)
    texts = [p.read_text(encoding="utf-8") for p in sorted(fixtures.glob("*.txt"))]
    for line in (fixtures / "zh_poems.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            texts.append(json.loads(line)["text"])
    digest = hashlib.sha256()
    for fp in tp.fingerprints(texts, k=5, window=10, seed=3):
        for arr in (fp.hashes, fp.starts, fp.ends, fp.positions):
            digest.update(arr.astype("<u8").tobytes())
    for scheme in ("oph", "classic", "datasketch"):
        sigs = tp.MinHasher(n_hashes=64, k=5, seed=7, scheme=scheme).signatures(texts)
        digest.update(np.asarray(sigs.values, dtype="<u8").tobytes())
        digest.update(np.asarray(sigs.valid, dtype=np.uint8).tobytes())
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# Test helpers shared by test_hashing, test_winnowing, test_minhash, test_datasketch_interop.
# --------------------------------------------------------------------------------------------

#: Golden vectors of this module's tests; regenerated only with TEXTPRINT_REGEN_GOLDEN=1.
GOLDEN_DIR = Path(__file__).resolve().parent / "golden" / "hashing"
FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"
REGEN_ENV = "TEXTPRINT_REGEN_GOLDEN"


def golden(name: str, actual: object) -> object:
    """The stored golden value ``GOLDEN_DIR / name``; (re)written from `actual` only when the
    environment has ``TEXTPRINT_REGEN_GOLDEN=1``. The caller compares."""
    path = GOLDEN_DIR / name
    if os.environ.get(REGEN_ENV) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_dump(actual) + "\n", encoding="utf-8")
        return json.loads(path.read_text(encoding="utf-8"))
    if not path.exists():
        raise AssertionError(f"golden file {path} is missing: create it with {REGEN_ENV}=1")
    return json.loads(path.read_text(encoding="utf-8"))


def _dump(value: object, indent: str = "") -> str:
    """JSON with one key per line and lists of numbers on one line (readable diffs)."""
    inner = indent + "  "
    if isinstance(value, dict):
        items = [
            f"{inner}{json.dumps(k, ensure_ascii=False)}: {_dump(value[k], inner)}"
            for k in sorted(value)
        ]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}" if items else "{}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        return "[\n" + ",\n".join(inner + _dump(v, inner) for v in value) + "\n" + indent + "]"
    return json.dumps(value, ensure_ascii=False)


def fixture(name: str) -> str:
    """The text of ``tests/fixtures/<name>.txt``."""
    return (FIXTURES_DIR / f"{name}.txt").read_text(encoding="utf-8")


#: Pieces of text for hypothesis: Han (simplified and traditional), kana (full- and half-width),
#: Hangul, Latin words (with ligatures, full-width, accents), astral characters, invisible
#: characters, punctuation, white space and lone surrogates.
TEXT_PIECES = (
    *"学而时习之不亦说乎國說學習門",
    *"あいうえおがアイウエオガーｶﾞｱ",
    *"한글",
    "the",
    "Quick",
    "BROWN",
    "ﬁx",
    "naïve",
    "Straße",
    "ＡＢＣ",
    "１２３",
    "42",
    *"𠀀𠀁𪚥😀🀄",
    "𝔘𝔫𝔦",
    *"\u200b\u200d\ufeff\u00ad\u2060",
    *"，。！？、「」.,;:-—",
    " ",
    "  ",
    "\n",
    "\t",
    "\u3000",
    "\ud800",
    "\udfff",
)


def text_strategy(max_pieces: int = 40) -> Any:
    """Random texts mixing CJK, Latin, astral and invisible characters (hypothesis)."""
    from hypothesis import strategies as st

    piece = st.one_of(st.sampled_from(TEXT_PIECES), st.characters())
    return st.lists(piece, max_size=max_pieces).map("".join)


#: Seeds worth trying: small, around 2**32 and 2**63, the largest.
SEEDS = (0, 1, 2, 12345, (1 << 32) - 1, 1 << 32, (1 << 63) + 5, MASK64)
