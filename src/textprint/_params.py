"""The parameter records every result carries, and the one compatibility check (private).

A result records everything that produced it (``k``, ``seed``, the tokenizer's identity, the
hash scheme ...) in a frozen dataclass derived from `HashParams`, which declares the settings
of the shingle hash once; each stage's record adds only its own settings (``window``,
``n_hashes`` and ``scheme``, ``min_tokens`` and ``gap``), keyword-only, and names what it
describes by the class keyword ``what``. Their ranges are not repeated here: every entry point
checks a setting by its name in :data:`textprint._validation.PARAMETERS` before it records it.
Results made with different parameters must never be combined: `Params.check_compatible`
compares two records field by field and raises :class:`~textprint.errors.IncompatibleError`
naming every difference (and carrying them as ``.differences``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar, Final

from .errors import IncompatibleError

__all__ = ["HASH_SCHEME", "HashParams", "Params"]

#: Name and version of the shingle hash (see :mod:`textprint.hashing`), recorded in every result.
HASH_SCHEME: Final = "tp64-1"


class Params:
    """Base of the frozen parameter records: the compatibility check, written once."""

    __slots__ = ()
    #: What the records describe, for messages ("these fingerprints were made with ..."): set
    #: by the class keyword ``what`` (``class FingerprintParams(HashParams, what=...)``).
    _what: ClassVar[str] = "these results"

    def __init_subclass__(cls, *, what: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if what is not None:  # (None: the copy ``dataclass(slots=True)`` makes keeps it)
            cls._what = what

    def check_compatible(self, other: object, what: str | None = None) -> None:
        """Raise IncompatibleError naming every setting that differs.

        Parameters
        ----------
        other : object
            Another record of the same kind.
        what : str, optional
            What the two records describe, for the message.

        Raises
        ------
        IncompatibleError
            If `other` is another kind of record, or any setting differs; ``.differences``
            maps each differing setting to ``(this value, the other's)``.
        """
        what = self._what if what is None else what
        if type(other) is not type(self):
            raise IncompatibleError(
                f"{what} were made with different kinds of parameters: "
                f"{type(self).__name__} vs {type(other).__name__}"
            )
        differences: dict[str, tuple[Any, Any]] = {}
        for f in fields(self):  # type: ignore[arg-type]
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if mine != theirs:
                differences[f.name] = (mine, theirs)
        if differences:
            raise IncompatibleError(
                f"{what} were made with different settings: "
                + "; ".join(f"{n}={a!r} vs {b!r}" for n, (a, b) in differences.items()),
                differences=differences,
            )


@dataclass(frozen=True, slots=True)
class HashParams(Params):
    """Everything that determines a shingle hash: compared before results are combined.

    The base of every stage's record, which adds its own settings after these.
    """

    k: int
    seed: int
    tokenizer: str
    hash: str = HASH_SCHEME
