"""The exception hierarchy of textprint.

Every error textprint raises on purpose is a :class:`TextprintError`; each subclass also
inherits the builtin a caller would catch without knowing textprint::

    TextprintError
    ├── InvalidParameterError(ValueError)   bad k, window, threshold, shapes, dtypes
    │   └── DuplicateWorkError(KeyError)    a key given twice (.key, .work_id)
    ├── InvalidInputError(TypeError)        wrong types (a non-str text, a bare str as keys)
    ├── TooShortError(ValueError)           no shingle where a signature is required (.work_id)
    ├── IncompatibleError(ValueError)       settings or versions differ (.differences)
    ├── FormatError(ValueError)             not a textprint file, corrupt, newer format
    │                                       (.found, .supported when a version is involved)
    ├── UnknownWorkError(KeyError)          a key that is not there (.key, .work_id)
    ├── StorageError(OSError)               a path cannot be opened or written
    │   └── RegistryBusyError               another writer holds the registry too long
    └── MissingDependencyError(ImportError) names the pip extra to install

A key is a :class:`~textprint.Registry` work id or an :class:`~textprint.LSHIndex` key: both
containers raise the same two classes for a key given twice and for a key that is not there.

The data an error carries is given by keyword and defaults to ``None`` (or an empty mapping), so
``raise UnknownWorkError("message")`` still works. A valid ``str`` never raises. Internal errors
are bugs and are not wrapped.

Examples
--------
>>> import textprint as tp
>>> index = tp.LSHIndex(0.5, n_hashes=8)
>>> try:
...     index.remove(["missing"])
... except tp.UnknownWorkError as err:
...     print(err.key, "|", err)
missing | key 'missing' is not in the index
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "DuplicateWorkError",
    "FormatError",
    "IncompatibleError",
    "InvalidInputError",
    "InvalidParameterError",
    "MissingDependencyError",
    "RegistryBusyError",
    "StorageError",
    "TextprintError",
    "TooShortError",
    "UnknownWorkError",
]


class TextprintError(Exception):
    """Root of every error textprint raises on purpose."""


class InvalidParameterError(TextprintError, ValueError):
    """A parameter has a bad value: ``k``, ``window``, a threshold, a shape or a dtype."""


class InvalidInputError(TextprintError, TypeError):
    """An argument has the wrong type: a non-``str`` text, a bare ``str`` given as keys."""


class TooShortError(TextprintError, ValueError):
    """A text has no shingle where a signature is required.

    Attributes
    ----------
    work_id : str, int or None
        The work the text belongs to, when the caller named one.
    """

    def __init__(self, *args: object, work_id: str | int | None = None) -> None:
        super().__init__(*args)
        self.work_id = work_id


class IncompatibleError(TextprintError, ValueError):
    """Two results, or a file and the caller, were made with different settings or versions.

    Attributes
    ----------
    differences : mapping of str to (object, object)
        Each setting that differs, with its two values in the order the message names them
        (this result's or the caller's first, the other's or the file's second). Empty when
        the error is not about named settings.
    """

    def __init__(
        self, *args: object, differences: Mapping[str, tuple[Any, Any]] | None = None
    ) -> None:
        super().__init__(*args)
        self.differences: dict[str, tuple[Any, Any]] = dict(differences or {})


class FormatError(TextprintError, ValueError):
    """A file is not a textprint file, is corrupt, or was written by a newer format version.

    Attributes
    ----------
    found, supported : int or None
        When a version is involved: the version the file has, and the newest this textprint
        reads.
    """

    def __init__(
        self, *args: object, found: int | None = None, supported: int | None = None
    ) -> None:
        super().__init__(*args)
        self.found = found
        self.supported = supported


def _keyed_init(self: Any, *args: object, key: Any = None, work_id: Any = None) -> None:
    Exception.__init__(self, *args)
    self.key = key if key is not None else work_id


def _work_id(self: Any) -> Any:
    """The key, under the Registry's name for it."""
    return self.key


def _message(self: BaseException) -> str:
    # KeyError quotes its argument; these print their message as written
    return str(self.args[0]) if self.args else ""


class DuplicateWorkError(InvalidParameterError, KeyError):
    """A key is given twice: a work id already registered (pass ``replace=True`` to overwrite
    it), or a key repeated in one call or already in an :class:`~textprint.LSHIndex`.

    Attributes
    ----------
    key, work_id : str or int
        The key given twice (the same value under both names).
    """

    key: Any
    __init__ = _keyed_init
    work_id = property(_work_id)
    __str__ = _message


class UnknownWorkError(TextprintError, KeyError):
    """A key is not there: a work id that is not registered, or a key not in an
    :class:`~textprint.LSHIndex`.

    Attributes
    ----------
    key, work_id : str or int
        The missing key (``.work_id`` is its name in a Registry).
    """

    key: Any
    __init__ = _keyed_init
    work_id = property(_work_id)
    __str__ = _message


class StorageError(TextprintError, OSError):
    """A registry or index path cannot be opened or written."""


class RegistryBusyError(StorageError):
    """Another writer held the registry longer than the timeout allows."""


class MissingDependencyError(TextprintError, ImportError):
    """An optional dependency is missing; the message names the pip extra that installs it."""
