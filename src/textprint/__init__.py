"""textprint: find copied text in Chinese, Japanese and English."""

from __future__ import annotations

from .errors import (
    DuplicateWorkError,
    FormatError,
    IncompatibleError,
    InvalidInputError,
    InvalidParameterError,
    MissingDependencyError,
    RegistryBusyError,
    StorageError,
    TextprintError,
    TooShortError,
    UnknownWorkError,
)
from .normalization import Normalized, normalize
from .tokenization import Tokenizer, Tokens, tokenize

__version__ = "0.1.0"

__all__ = [
    "DuplicateWorkError",
    "FormatError",
    "IncompatibleError",
    "InvalidInputError",
    "InvalidParameterError",
    "MissingDependencyError",
    "Normalized",
    "RegistryBusyError",
    "StorageError",
    "TextprintError",
    "TooShortError",
    "Tokenizer",
    "Tokens",
    "UnknownWorkError",
    "__version__",
    "normalize",
    "tokenize",
]
