"""Fuzz tests: every public entry point called with junk arguments.

API.md, "Errors": argument errors raise the documented classes, which also inherit the builtin
a caller would catch, with a message; anything else (an internal TypeError, an OverflowError) is
a bug. Each named argument of each public function gets values of every kind (None, bools, huge
and negative integers, NaN, bytes, containers, numpy scalars and arrays of every shape). Budgets
and input counts come from tests/_fuzz.py, as for tests/test_fuzz.py.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import _fuzz
import textprint as tp
from _fuzz import T, budget, fuzzed
from textprint import errors
from textprint.errors import InvalidInputError, InvalidParameterError, TooShortError

_write_counts = _fuzz.write_counts

# --------------------------------------------------------------------- argument errors

#: The builtin each documented error class also inherits (API.md, "Errors").
BUILTIN = {
    InvalidParameterError: ValueError,
    InvalidInputError: TypeError,
    TooShortError: ValueError,
    errors.IncompatibleError: ValueError,
    errors.FormatError: ValueError,
    errors.DuplicateWorkError: KeyError,
    errors.UnknownWorkError: KeyError,
    errors.StorageError: OSError,
    errors.MissingDependencyError: ImportError,
}

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.integers(-3, 300),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.binary(max_size=4),
    st.lists(st.one_of(st.integers(-3, 3), st.text(max_size=2), st.none()), max_size=3),
    st.tuples(st.integers(0, 3), st.text(max_size=2)),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.complex_numbers(allow_nan=False, max_magnitude=4),
    st.just(Fraction(1, 2)),
    st.just(object()),
    st.just(bytearray(b"ab")),
    st.just(memoryview(b"ab")),
    st.just(Path(".")),
    st.sampled_from(
        [
            np.int64(3),
            np.uint64(2**63),
            np.float64(0.5),
            np.float32(float("nan")),
            np.zeros(3),
            np.zeros(4, dtype=np.uint64),
            np.zeros((2, 4), dtype=np.uint64),
            np.zeros((0, 4), dtype=np.uint64),
            np.zeros((2, 0), dtype=np.uint64),
            np.zeros((1, 1, 4), dtype=np.uint64),
            np.array("x"),
            np.array([1, 2], dtype=object),
        ]
    ),
)


class Env:
    """Objects the argument-error calls act on (built once, lazily)."""

    _built: Env | None = None

    def __init__(self) -> None:
        self.mh = tp.MinHasher(4)
        self.sigs = self.mh.signatures([T, "x y z w v"])
        self.sig = self.sigs.values[0]
        self.cmp = tp.compare(T, T)
        self.index = tp.LSHIndex(0.5, n_hashes=4)
        self.index.add(["a", "b"], self.sigs)
        self.reg = tp.Registry(n_hashes=4)
        self.reg.register("w", T)
        self.hits = self.reg.check(T)

    @classmethod
    def get(cls) -> Env:
        if cls._built is None:
            cls._built = cls()
        return cls._built


def _int_in(j: Any, lo: int, hi: int) -> bool:
    return isinstance(j, (int, np.integer)) and not isinstance(j, bool) and lo <= int(j) <= hi


# Inputs to skip: known bugs (each with a strict-xfail test in tests/test_fuzz_regressions.py)
# and valid values too costly to fuzz.
def _valid_but_costly_n_hashes(j: Any) -> bool:
    # valid values above a few hundred are correct but slow (see test_bounded.py)
    return _int_in(j, 257, 2**16)


#: name -> (call with the junk value, predicate of junk values to skip)
CALLS: dict[str, tuple[Callable[[Env, Any], Any], Callable[[Any], bool] | None]] = {
    "normalize(text)": (lambda e, j: tp.normalize(j), None),
    "tokenize(text)": (lambda e, j: tp.tokenize(j), None),
    "tokenize(tokenizer)": (lambda e, j: tp.tokenize(T, tokenizer=j), None),
    "shingles(text)": (lambda e, j: tp.shingles(j), None),
    "shingles(k)": (lambda e, j: tp.shingles(T, k=j), None),
    "shingles(tokenizer)": (lambda e, j: tp.shingles(T, tokenizer=j), None),
    "fingerprint(text)": (lambda e, j: tp.fingerprint(j), None),
    "fingerprint(k)": (lambda e, j: tp.fingerprint(T, k=j), None),
    "fingerprint(window)": (lambda e, j: tp.fingerprint(T, window=j), None),
    "fingerprint(seed)": (lambda e, j: tp.fingerprint(T, seed=j), None),
    "fingerprint(tokenizer)": (lambda e, j: tp.fingerprint(T, tokenizer=j), None),
    "fingerprints(texts)": (lambda e, j: tp.fingerprints(j), None),
    "fingerprints([text, junk])": (lambda e, j: tp.fingerprints([T, j]), None),
    "MinHasher(n_hashes)": (lambda e, j: tp.MinHasher(j), None),
    "MinHasher(k)": (lambda e, j: tp.MinHasher(4, k=j).signature(T), None),
    "MinHasher(seed)": (lambda e, j: tp.MinHasher(4, seed=j).signature(T), None),
    "MinHasher(scheme)": (lambda e, j: tp.MinHasher(4, scheme=j), None),
    "MinHasher(tokenizer)": (lambda e, j: tp.MinHasher(4, tokenizer=j), None),
    "signature(data)": (lambda e, j: e.mh.signature(j), None),
    "signature([junk])": (lambda e, j: e.mh.signature([j]), None),
    "signatures(texts)": (lambda e, j: e.mh.signatures(j), None),
    "signatures(chunk_chars)": (lambda e, j: e.mh.signatures([T], chunk_chars=j), None),
    "jaccard(a)": (lambda e, j: tp.jaccard(j, e.sig), None),
    "jaccard(b)": (lambda e, j: tp.jaccard(e.sig, j), None),
    "compare(query)": (lambda e, j: tp.compare(j, T), None),
    "compare(source)": (lambda e, j: tp.compare(T, j), None),
    "compare(k)": (lambda e, j: tp.compare(T, T, k=j), None),
    "compare(seed)": (lambda e, j: tp.compare(T, T, seed=j), None),
    "compare(min_tokens)": (lambda e, j: tp.compare(T, T, min_tokens=j), None),
    "compare(gap)": (lambda e, j: tp.compare(T, T, gap=j), None),
    "dedup(texts)": (lambda e, j: tp.dedup(j, n_hashes=4), None),
    "dedup(threshold)": (lambda e, j: tp.dedup([T, T], j, n_hashes=4), None),
    "dedup(n_hashes)": (lambda e, j: tp.dedup([T, T], n_hashes=j), _valid_but_costly_n_hashes),
    "dedup(max_bucket)": (lambda e, j: tp.dedup([T, T], n_hashes=4, max_bucket=j), None),
    "LSHIndex(threshold)": (lambda e, j: tp.LSHIndex(j, n_hashes=4), None),
    "LSHIndex(n_hashes)": (lambda e, j: tp.LSHIndex(0.5, n_hashes=j), _valid_but_costly_n_hashes),
    "LSHIndex(bands)": (lambda e, j: tp.LSHIndex(0.5, n_hashes=4, bands=j, rows=1), None),
    "LSHIndex.for_threshold(threshold)": (
        lambda e, j: tp.LSHIndex.for_threshold(j, n_hashes=4),
        None,
    ),
    "LSHIndex.add(keys)": (lambda e, j: tp.LSHIndex(0.5, n_hashes=4).add(j, e.sigs), None),
    "LSHIndex.add(signatures)": (lambda e, j: tp.LSHIndex(0.5, n_hashes=4).add(["a"], j), None),
    "LSHIndex.query(signature)": (lambda e, j: e.index.query(j), None),
    "LSHIndex.query(threshold)": (lambda e, j: e.index.query(e.sig, threshold=j), None),
    "LSHIndex.query(top_k)": (lambda e, j: e.index.query(e.sig, top_k=j), None),
    "LSHIndex.query_many(signatures)": (lambda e, j: e.index.query_many(j), None),
    "LSHIndex.remove(keys)": (lambda e, j: tp.LSHIndex(0.5, n_hashes=4).remove(j), None),
    "Registry(k)": (lambda e, j: tp.Registry(k=j, n_hashes=4).close(), None),
    "Registry(window)": (lambda e, j: tp.Registry(window=j, n_hashes=4).close(), None),
    "Registry(n_hashes)": (
        lambda e, j: tp.Registry(n_hashes=j).close(),
        _valid_but_costly_n_hashes,
    ),
    "Registry(tokenizer)": (lambda e, j: tp.Registry(tokenizer=j, n_hashes=4).close(), None),
    "Registry(scheme)": (lambda e, j: tp.Registry(scheme=j, n_hashes=4).close(), None),
    "Registry.register(work_id)": (lambda e, j: e.reg.register(j, T, replace=True), None),
    "Registry.register(text)": (lambda e, j: e.reg.register("x", j, replace=True), None),
    "Registry.register(metadata)": (lambda e, j: e.reg.register("x", T, j, replace=True), None),
    "Registry.register_many(items)": (lambda e, j: e.reg.register_many(j, replace=True), None),
    "Registry.check(text)": (lambda e, j: e.reg.check(j), None),
    "Registry.check(min_chars)": (lambda e, j: e.reg.check(T, min_chars=j), None),
    "Registry.check(min_containment)": (lambda e, j: e.reg.check(T, min_containment=j), None),
    "Registry.check(top_k)": (lambda e, j: e.reg.check(T, top_k=j), None),
    "Registry.check_many(texts)": (lambda e, j: e.reg.check_many(j), None),
    "Registry.get(work_id)": (lambda e, j: e.reg.get(j), None),
    "Registry.remove(work_id)": (lambda e, j: e.reg.remove(j), None),
    "evidence(query)": (lambda e, j: tp.evidence(j, e.cmp, source=T), None),
    "evidence(matches)": (lambda e, j: tp.evidence(T, j, registry=e.reg), None),
    "evidence(source)": (lambda e, j: tp.evidence(T, e.cmp, source=j), None),
    "evidence(settings)": (
        lambda e, j: tp.evidence(T, e.cmp, source=T, settings=j).to_json(),
        None,
    ),
}


@budget(500)
@given(st.sampled_from(sorted(CALLS)), JUNK)
def test_argument_errors_are_documented(name: str, junk: Any) -> None:
    call, skip = CALLS[name]
    if skip is not None and skip(junk):
        return
    fuzzed("argument errors")
    env = Env.get()
    # anything but a TextprintError propagates and fails the test: internal errors are bugs
    try:
        call(env, junk)
    except errors.TextprintError as exc:
        error = exc
    else:
        return
    cls = type(error)
    assert cls in BUILTIN or issubclass(cls, errors.StorageError), f"{name}: undocumented {cls}"
    builtin = next(b for c, b in BUILTIN.items() if isinstance(error, c))
    assert isinstance(error, builtin), f"{name}: {cls.__name__} is not a {builtin.__name__}"
    assert str(error), f"{name}: {cls.__name__} without a message"
    # none of these calls reads a file (every Registry here is in memory)
    assert not isinstance(error, errors.FormatError), f"{name}: {error}"
