"""The public surface: ``textprint.__all__``, the error tree, frozen results (API.md)."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import inspect
from typing import Any

import numpy as np
import pytest

import textprint as tp
import textprint.errors

# The public names, pinned. Adding a name to the API means adding it here, on purpose.
PUBLIC_NAMES = frozenset(
    {
        "__version__",
        # errors (API.md "Errors")
        "TextprintError",
        "InvalidParameterError",
        "InvalidInputError",
        "TooShortError",
        "IncompatibleError",
        "FormatError",
        "DuplicateWorkError",
        "UnknownWorkError",
        "StorageError",
        "RegistryBusyError",
        "MissingDependencyError",
        # text (API.md "Text")
        "Normalized",
        "normalize",
        "Tokenizer",
        "Tokens",
        "tokenize",
        # fingerprints and comparison
        "Fingerprint",
        "fingerprint",
        "fingerprints",
        "Comparison",
        "Passage",
        "compare",
        "Evidence",
        "evidence",
        # MinHash and LSH
        "MinHasher",
        "Signatures",
        "shingles",
        "jaccard",
        "LSHIndex",
        "Match",
        "dedup",
        # the Registry
        "Registry",
        "Hit",
        "PassageDetail",
        "Work",
    }
)

# API.md "Errors": each error and the builtin it also is.
ERROR_BASES: dict[str, tuple[type[BaseException], ...]] = {
    "TextprintError": (Exception,),
    "InvalidParameterError": (tp.TextprintError, ValueError),
    "InvalidInputError": (tp.TextprintError, TypeError),
    "TooShortError": (tp.TextprintError, ValueError),
    "IncompatibleError": (tp.TextprintError, ValueError),
    "FormatError": (tp.TextprintError, ValueError),
    "DuplicateWorkError": (tp.TextprintError, KeyError),
    "UnknownWorkError": (tp.TextprintError, KeyError),
    "StorageError": (tp.TextprintError, OSError),
    "RegistryBusyError": (tp.StorageError, tp.TextprintError, OSError),
    "MissingDependencyError": (tp.TextprintError, ImportError),
}


def test_all_is_pinned() -> None:
    assert sorted(tp.__all__) == sorted(PUBLIC_NAMES)
    assert len(tp.__all__) == len(set(tp.__all__))


def test_every_public_name_exists() -> None:
    for name in tp.__all__:
        assert getattr(tp, name) is not None, name


def test_version_is_the_installed_one() -> None:
    assert isinstance(tp.__version__, str)
    assert tp.__version__ == importlib.metadata.version("textprint")


@pytest.mark.parametrize("name", sorted(ERROR_BASES))
def test_error_inherits_the_documented_builtin(name: str) -> None:
    cls = getattr(tp, name)
    assert cls is getattr(textprint.errors, name)
    for base in ERROR_BASES[name]:
        assert issubclass(cls, base), f"{name} must be a {base.__name__}"
    assert issubclass(cls, tp.TextprintError)


def test_every_public_error_is_listed() -> None:
    errors = {n for n in tp.__all__ if inspect.isclass(getattr(tp, n))}
    errors = {n for n in errors if issubclass(getattr(tp, n), BaseException)}
    assert errors == set(ERROR_BASES)
    assert set(textprint.errors.__all__) == set(ERROR_BASES)


def test_key_errors_print_their_message_as_written() -> None:
    # KeyError quotes its argument; ours read like the other errors.
    assert str(tp.DuplicateWorkError("work 'a' exists")) == "work 'a' exists"
    assert str(tp.UnknownWorkError("no work 'a'")) == "no work 'a'"


def results() -> list[tuple[str, Any]]:
    return [
        ("Normalized", tp.normalize("學而時習之 ＡＢＣ")),
        ("Tokens", tp.tokenize("學而時習之 ＡＢＣ")),
        ("Tokens (empty)", tp.tokenize("")),
    ]


@pytest.mark.parametrize(("kind", "result"), results())
def test_results_are_frozen(kind: str, result: Any) -> None:
    for field in dataclasses.fields(result):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(result, field.name, None)
    with pytest.raises((AttributeError, TypeError)):  # slots: no new attributes either
        result.extra = 1


@pytest.mark.parametrize(("kind", "result"), results())
def test_result_arrays_are_read_only(kind: str, result: Any) -> None:
    arrays = [getattr(result, f.name) for f in dataclasses.fields(result)]
    arrays = [a for a in arrays if isinstance(a, np.ndarray)]
    assert arrays
    for a in arrays:
        assert a.dtype == np.int64
        assert not a.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            a[...] = 0


def test_public_result_classes_are_frozen_slotted_and_not_compared_by_value() -> None:
    """STYLE.md: results are @dataclass(frozen=True, slots=True, eq=False)."""
    classes = [getattr(tp, n) for n in tp.__all__]
    data = [c for c in classes if inspect.isclass(c) and dataclasses.is_dataclass(c)]
    assert tp.Normalized in data
    assert tp.Tokens in data
    for cls in data:
        params = getattr(cls, "__dataclass_params__")  # noqa: B009 (not in the type stubs)
        assert params.frozen, cls.__name__
        assert not params.eq, cls.__name__
        assert "__slots__" in vars(cls), cls.__name__


def test_stage_modules_export_what_they_name() -> None:
    import textprint.normalization
    import textprint.tokenization

    for module in (textprint.normalization, textprint.tokenization, textprint.errors):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


@pytest.mark.parametrize(
    "call",
    [
        tp.fingerprints,
        lambda x: tp.MinHasher(4).signatures(x),
        lambda x: tp.Registry().check_many(x),
    ],
    ids=["fingerprints", "signatures", "check_many"],
)
def test_zero_dimensional_array_is_not_a_batch(call: Any) -> None:
    """A 0-d numpy array claims to be iterable and then refuses (found by the fuzz run)."""
    with pytest.raises(tp.InvalidInputError, match="iterable of str"):
        call(np.array("x"))
