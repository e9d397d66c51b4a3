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
from .hashing import shingles
from .minhash import MinHasher, Signatures, jaccard
from .normalization import Normalized, normalize
from .tokenization import Tokenizer, Tokens, tokenize
from .winnowing import Fingerprint, fingerprint, fingerprints

__version__ = "0.1.0"

__all__ = [
    "DuplicateWorkError",
    "Fingerprint",
    "FormatError",
    "IncompatibleError",
    "InvalidInputError",
    "InvalidParameterError",
    "MinHasher",
    "MissingDependencyError",
    "Normalized",
    "RegistryBusyError",
    "Signatures",
    "StorageError",
    "TextprintError",
    "Tokenizer",
    "Tokens",
    "TooShortError",
    "UnknownWorkError",
    "__version__",
    "fingerprint",
    "fingerprints",
    "jaccard",
    "normalize",
    "shingles",
    "tokenize",
]
