"""Argument validation with one message form, and the parameter constraints as data (private).

Every parameter a public entry point takes by name is checked against `PARAMETERS`, its
constraint written once here (scikit-learn's ``_parameter_constraints`` is the model), so that
every message reads ``window=0 must be an int >= 1`` and a parameter has the same range
wherever it is passed. Tests generate invalid values from the same table.

One parameter has two roles: ``n_hashes`` is the length of a signature (`MAX_N_HASHES`), and
where bands and rows are derived from a threshold (`LSHIndex` without explicit banding,
`dedup`, the Registry) it is also the size of that search (`MAX_BANDED_HASHES`): the table
names the second role ``banded_n_hashes``, and its message still says ``n_hashes``.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeGuard

from .errors import InvalidInputError, InvalidParameterError

__all__ = [
    "LONE_SURROGATE",
    "MAX_BANDED_HASHES",
    "MAX_K",
    "MAX_N_HASHES",
    "MAX_SEED",
    "PARAMETERS",
    "SCHEMES",
    "check_choice",
    "check_int",
    "check_param",
    "check_probability",
    "check_seconds",
    "check_settings",
    "check_text",
    "check_texts",
    "iter_texts",
    "iterates",
    "utf8_safe",
]

#: Largest ``k``. A text with fewer than ``k`` tokens has one shingle of all of them, so a
#: larger ``k`` could only repeat that; the bound keeps the arithmetic of ``k`` inside int64.
MAX_K: Final = 1 << 32
#: Seeds are 64-bit: every int in ``[0, MAX_SEED]`` is a distinct key (``splitmix64(seed)``).
MAX_SEED: Final = (1 << 64) - 1
#: Longest signature.
MAX_N_HASHES: Final = 1 << 16
#: Longest signature whose bands and rows are derived from a threshold: the search evaluates
#: every (bands, rows) with ``bands * rows <= n_hashes`` by quadrature, which grows with it.
MAX_BANDED_HASHES: Final = 1024
#: The MinHash schemes (see :mod:`textprint.minhash`).
SCHEMES: Final = ("oph", "classic", "datasketch")
#: A lone surrogate: a ``str`` may hold one, UTF-8 cannot.
LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def check_int(value: object, name: str, *, low: int, high: int | None = None) -> int:
    """Return `value` as an int in ``[low, high]``; bool is not an int here."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidParameterError(
            f"{name}={value!r} must be an int "
            + (f">= {low}" if high is None else f"in [{low}, {high}]")
        )
    v = int(value)
    if v < low or (high is not None and v > high):
        rule = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise InvalidParameterError(f"{name}={v} must be an int {rule}")
    return v


def check_probability(value: object, name: str, *, open_low: bool = False) -> float:
    """Return `value` as a float in [0, 1] (or (0, 1] with `open_low`)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(f"{name}={value!r} must be a float in [0, 1]")
    v = float(value)
    if not (0.0 < v <= 1.0 if open_low else 0.0 <= v <= 1.0):
        raise InvalidParameterError(
            f"{name}={v} must be a float in {'(0, 1]' if open_low else '[0, 1]'}"
        )
    return v


def check_seconds(value: object, name: str) -> float:
    """Return `value` as a finite float >= 0 (a duration in seconds)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(f"{name}={value!r:.80} must be a number of seconds >= 0")
    v = float(value)
    if not (math.isfinite(v) and v >= 0.0):
        raise InvalidParameterError(f"{name}={v} must be a finite number of seconds >= 0")
    return v


def check_choice(value: object, name: str, choices: Sequence[Any]) -> Any:
    """Return `value` if it is one of `choices`.

    Only a value of a choice's own type can match: ``value in choices`` would compare a numpy
    array element-wise and raise a plain ValueError instead of naming the rule.
    """
    for choice in choices:
        if isinstance(value, type(choice)) and value == choice:
            return choice
    raise InvalidParameterError(
        f"{name}={value!r:.80} must be one of {', '.join(repr(c) for c in choices)}"
    )


# --------------------------------------------------------------------------------------------
# The constraints


@dataclass(frozen=True, slots=True)
class Integer:
    """An int in ``[low, high]`` (``high=None``: no upper bound)."""

    low: int
    high: int | None = None

    def check(self, value: object, name: str) -> int:
        return check_int(value, name, low=self.low, high=self.high)


@dataclass(frozen=True, slots=True)
class Fraction:
    """A float in ``[0, 1]``, or ``(0, 1]`` with `open_low`."""

    open_low: bool = False

    def check(self, value: object, name: str) -> float:
        return check_probability(value, name, open_low=self.open_low)


@dataclass(frozen=True, slots=True)
class Seconds:
    """A finite duration in seconds, >= 0."""

    def check(self, value: object, name: str) -> float:
        return check_seconds(value, name)


@dataclass(frozen=True, slots=True)
class Options:
    """One of a fixed set of values."""

    choices: tuple[Any, ...]

    def check(self, value: object, name: str) -> Any:
        return check_choice(value, name, self.choices)


Constraint = Integer | Fraction | Seconds | Options

#: Every named parameter and its constraint; a key ``role_name`` is checked and named as
#: ``name`` (``banded_n_hashes`` is ``n_hashes`` where bands are derived, ``query_threshold``
#: is the ``threshold`` of a query, which may be 0 to return every candidate).
PARAMETERS: Final[Mapping[str, Constraint]] = {
    # shingles and their hashes
    "k": Integer(1, MAX_K),
    "seed": Integer(0, MAX_SEED),
    # fingerprints and comparison
    "window": Integer(1),
    "min_tokens": Integer(1),
    "gap": Integer(0),
    # signatures
    "n_hashes": Integer(1, MAX_N_HASHES),
    "scheme": Options(SCHEMES),
    "chunk_chars": Integer(1),
    # banding, the index and dedup
    "banded_n_hashes": Integer(1, MAX_BANDED_HASHES),
    "threshold": Fraction(open_low=True),
    "query_threshold": Fraction(),
    "bands": Integer(1),
    "rows": Integer(1),
    "top_k": Integer(1),
    "max_bucket": Integer(2),
    # the Registry and its integrations
    "min_chars": Integer(0),
    "min_containment": Fraction(),
    "batch_size": Integer(1),
    "broadcast_bytes": Integer(0),
    "timeout": Seconds(),
}

_ROLES: Final = ("banded_", "query_")


def check_param(name: str, value: object) -> Any:
    """Return `value` checked against the constraint of `name` in `PARAMETERS`.

    Examples
    --------
    >>> check_param("window", 3)
    3
    >>> check_param("k", 0)
    Traceback (most recent call last):
    ...
    textprint.errors.InvalidParameterError: k=0 must be an int in [1, 4294967296]
    >>> check_param("banded_n_hashes", 2048)
    Traceback (most recent call last):
    ...
    textprint.errors.InvalidParameterError: n_hashes=2048 must be an int in [1, 1024]
    """
    shown = name
    for role in _ROLES:
        if name.startswith(role):
            shown = name[len(role) :]
    return PARAMETERS[name].check(value, shown)


def check_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Check the fingerprinting settings present in `settings`; return them checked.

    The settings of a Registry (``k``, ``window``, ``n_hashes``, ``tokenizer``, ``seed``,
    ``scheme``): ``n_hashes`` in its banded role (a Registry derives bands to group editions),
    the tokenizer resolved as ``tokenizer=`` is everywhere. Absent keys are not checked.
    """
    out: dict[str, Any] = {}
    for name, value in settings.items():
        if name == "tokenizer":
            from .tokenization import resolve_tokenizer  # (tokenization imports this module)

            resolve_tokenizer(value)
            out[name] = value
        else:
            out[name] = check_param("banded_n_hashes" if name == "n_hashes" else name, value)
    return out


# --------------------------------------------------------------------------------------------
# Texts


def check_text(text: object, name: str = "text") -> str:
    """Return `text` if it is a ``str``; raise InvalidInputError otherwise."""
    if not isinstance(text, str):
        raise InvalidInputError(
            f"{name} must be a str, got {type(text).__name__}"
            + (
                " (decode bytes first, e.g. data.decode('utf-8'))"
                if isinstance(text, bytes)
                else ""
            )
        )
    return text


def iterates(value: object) -> TypeGuard[Iterable[Any]]:
    """Whether `value` is an iterable that really iterates: a 0-d numpy array claims to be
    iterable, then refuses."""
    return isinstance(value, Iterable) and getattr(value, "ndim", None) != 0


def iter_texts(texts: object, name: str = "texts") -> Iterator[str]:
    """`texts` as an iterator of ``str``, checked lazily: each item when it is read.

    A bare ``str`` (not a batch) and a non-iterable are refused at once.
    """
    if isinstance(texts, (str, bytes)):
        raise InvalidInputError(
            f"{name} must be an iterable of str, not a bare {type(texts).__name__}; "
            f"wrap a single text in a list: [{name[:-1] if name.endswith('s') else name}]"
        )
    if not iterates(texts):
        what = "a 0-d array" if getattr(texts, "ndim", None) == 0 else type(texts).__name__
        raise InvalidInputError(f"{name} must be an iterable of str, got {what}")
    return _checked(texts, name)


def _checked(texts: Iterable[object], name: str) -> Iterator[str]:
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise InvalidInputError(f"{name}[{i}] must be a str, got {type(text).__name__}")
        yield text


def check_texts(texts: object, name: str = "texts") -> list[str]:
    """`texts` as a list of ``str`` (see `iter_texts`)."""
    return list(iter_texts(texts, name))


def utf8_safe(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD, one for one (offsets are kept).

    For text written to UTF-8 (reports, output files, back ends that read UTF-8), which cannot
    hold a lone surrogate; :func:`textprint.normalize` folds them the same way.
    """
    if text.isascii():
        return text
    return LONE_SURROGATE.sub("\ufffd", text)
