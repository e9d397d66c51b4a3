"""textprint: find copied text in Chinese, Japanese and English."""

from __future__ import annotations

import importlib.metadata as _metadata

from .deduplication import dedup
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
from .lsh import LSHIndex, Match
from .matching import Comparison, Passage, compare
from .minhash import MinHasher, Signatures, jaccard
from .normalization import Normalized, normalize
from .registry import Hit, PassageDetail, Registry, Work
from .report import Evidence, evidence
from .tokenization import Tokenizer, Tokens, tokenize
from .winnowing import Fingerprint, fingerprint, fingerprints

try:  # one version source: the package metadata, which pyproject.toml's version writes
    __version__ = _metadata.version("textprint")
except _metadata.PackageNotFoundError:  # pragma: no cover - only a bare source tree
    __version__ = "0+unknown"

__all__ = [
    "Comparison",
    "DuplicateWorkError",
    "Evidence",
    "Fingerprint",
    "FormatError",
    "Hit",
    "IncompatibleError",
    "InvalidInputError",
    "InvalidParameterError",
    "LSHIndex",
    "Match",
    "MinHasher",
    "MissingDependencyError",
    "Normalized",
    "Passage",
    "PassageDetail",
    "Registry",
    "RegistryBusyError",
    "Signatures",
    "StorageError",
    "TextprintError",
    "Tokenizer",
    "Tokens",
    "TooShortError",
    "UnknownWorkError",
    "Work",
    "__version__",
    "compare",
    "dedup",
    "evidence",
    "fingerprint",
    "fingerprints",
    "jaccard",
    "normalize",
    "shingles",
    "tokenize",
]
