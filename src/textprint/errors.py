"""The exception hierarchy of textprint.

Every error textprint raises on purpose is a :class:`TextprintError`; each subclass also
inherits the builtin a caller would catch without knowing textprint::

    TextprintError
    ├── InvalidParameterError(ValueError)   bad k, window, threshold, shapes, dtypes
    ├── InvalidInputError(TypeError)        wrong types (a non-str text, a bare str as keys)
    ├── TooShortError(ValueError)           no shingle where a signature is required
    ├── IncompatibleError(ValueError)       settings or versions differ (manifest, params)
    ├── FormatError(ValueError)             not a textprint file, corrupt, newer format
    ├── DuplicateWorkError(KeyError)
    ├── UnknownWorkError(KeyError)
    ├── StorageError(OSError)               a path cannot be opened or written
    │   └── RegistryBusyError               another writer holds the registry too long
    └── MissingDependencyError(ImportError) names the pip extra to install

A valid ``str`` never raises. Internal errors are bugs and are not wrapped.
"""

from __future__ import annotations

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
    """A text has no shingle where a signature is required."""


class IncompatibleError(TextprintError, ValueError):
    """Two results, or a file and the caller, were made with different settings or versions."""


class FormatError(TextprintError, ValueError):
    """A file is not a textprint file, is corrupt, or was written by a newer format version."""


class DuplicateWorkError(TextprintError, KeyError):
    """A work id is already registered (pass ``replace=True`` to overwrite it)."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the message as written
        return str(self.args[0]) if self.args else ""


class UnknownWorkError(TextprintError, KeyError):
    """A work id is not registered."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class StorageError(TextprintError, OSError):
    """A registry or index path cannot be opened or written."""


class RegistryBusyError(StorageError):
    """Another writer held the registry longer than the timeout allows."""


class MissingDependencyError(TextprintError, ImportError):
    """An optional dependency is missing; the message names the pip extra that installs it."""
