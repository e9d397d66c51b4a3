"""Argument validation with one message form (private).

Parameter constraints are data (scikit-learn style): each check names the value and the rule,
so every message reads ``window=0 must be an int >= 1``.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Sequence
from typing import Any, TypeGuard

from .errors import InvalidInputError, InvalidParameterError

__all__ = [
    "check_choice",
    "check_int",
    "check_probability",
    "check_seconds",
    "check_text",
    "check_texts",
    "utf8_safe",
]

_SURROGATE = re.compile("[\ud800-\udfff]")


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


def check_texts(texts: object, name: str = "texts") -> list[str]:
    """Return `texts` as a list of ``str``; a bare ``str`` is refused (it is not a batch)."""
    if isinstance(texts, (str, bytes)):
        raise InvalidInputError(
            f"{name} must be an iterable of str, not a bare {type(texts).__name__}; "
            f"wrap a single text in a list: [{name[:-1] if name.endswith('s') else name}]"
        )
    if not iterates(texts):
        raise InvalidInputError(f"{name} must be an iterable of str, got {type(texts).__name__}")
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise InvalidInputError(f"{name}[{i}] must be a str, got {type(t).__name__}")
    return out


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


def utf8_safe(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD, one for one (offsets are kept).

    For text written to UTF-8 (reports, output files), which cannot hold a lone surrogate;
    :func:`textprint.normalize` folds them the same way.
    """
    return _SURROGATE.sub("\ufffd", text)
