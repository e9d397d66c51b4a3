"""The base of the result records: one repr and one length rule for all of them (private).

Every result (``Normalized``, ``Tokens``, ``Fingerprint``, ``Signatures``, ``Comparison``,
``Evidence``) is declared ``@dataclass(frozen=True, slots=True, eq=False, repr=False)`` on one
of these bases: frozen, without a generated ``__eq__`` (one over numpy arrays raises), and with
the short repr of :func:`textprint._display.short_repr` (arrays by dtype and shape, long texts
cut) instead of the generated one.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ._display import short_repr

__all__ = ["Result", "SizedResult"]


class Result:
    """A result record: its repr names the class and shows each field short."""

    __slots__ = ()

    def __repr__(self) -> str:
        return short_repr(self)


class SizedResult(Result):
    """A result whose length is that of one of its fields, named by the class keyword ``size``
    (``class Fingerprint(SizedResult, size="hashes")``)."""

    __slots__ = ()
    _size: ClassVar[str]

    def __init_subclass__(cls, *, size: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if size is not None:  # (None: the copy ``dataclass(slots=True)`` makes keeps it)
            cls._size = size

    def __len__(self) -> int:
        return len(getattr(self, self._size))
