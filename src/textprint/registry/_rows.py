"""How work ids, metadata and texts are stored, and read back exactly as given.

Strings are stored losslessly, lone surrogates included (API.md: a valid str never raises).
sqlite3 cannot bind a str holding a lone surrogate as TEXT, so such a string (a work id, or the
JSON of metadata) is stored as a BLOB of its UTF-8 encoding with the surrogates passed through
('surrogatepass', as the texts are). Every other string stays TEXT. A BLOB never equals a TEXT
value in SQLite, and a str is a BLOB exactly when it holds a lone surrogate, so the mapping stays
one to one (the UNIQUE work_id and the lookups by it keep working).

Texts are stored in blocks of ``TEXT_BLOCK_CHARS`` characters, each compressed on its own with
zstandard (level 3) as UTF-16 when that is shorter than UTF-8 (most CJK text) and as UTF-8
(lone surrogates passed through) otherwise, or when the block holds a lone surrogate (UTF-16
cannot keep two of them apart from one astral character); verification reads only the blocks
around what it looks at.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

import numpy as np
import zstandard

from ..errors import FormatError, InvalidInputError

#: Characters per text block (measured in docs/explanation/registry.md: verification of a long
#: work decompresses one or two blocks, at about 20 µs each).
TEXT_BLOCK_CHARS = 8192
_ZSTD_LEVEL = 3
_UTF8, _UTF16 = b"8", b"6"
_compressor = zstandard.ZstdCompressor(level=_ZSTD_LEVEL)
_decompressor = zstandard.ZstdDecompressor()


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def check_work_id(work_id: object) -> str | int:
    if isinstance(work_id, bool) or not isinstance(work_id, (str, int, np.integer)):
        raise InvalidInputError(f"work_id must be a str or an int, got {type(work_id).__name__}")
    return int(work_id) if isinstance(work_id, np.integer) else work_id


def db_str(value: str) -> str | bytes:
    """`value` as SQLite stores it: TEXT, or a BLOB when it holds a lone surrogate."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")
    return value


def str_from_db(value: str | bytes) -> str:
    return value.decode("utf-8", "surrogatepass") if isinstance(value, bytes) else value


def id_param(work_id: str | int) -> str | bytes:
    """The stored form of a work id (an int is stored as its decimal string, id_is_int=1)."""
    return db_str(str(work_id))


def id_from_db(stored: str | bytes, is_int: int) -> str | int:
    text = str_from_db(stored)
    return int(text) if is_int else text


def metadata_json(metadata: Any) -> str | bytes | None:
    if metadata is None:
        return None
    try:
        raw = json.dumps(metadata, ensure_ascii=False, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"metadata must be JSON-serializable (dict, list, str, numbers, bool, None): {exc}"
        ) from exc
    # not ensure_ascii=True for lone surrogates: its \udXXX escapes would turn two lone
    # surrogates that happen to form a pair into one astral character when read back
    return db_str(raw)


def metadata_from_db(stored: str | bytes | None) -> Any:
    return None if stored is None else json.loads(str_from_db(stored))


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


def compress_blocks(text: str) -> list[bytes]:
    """`text` as stored: one compressed block per TEXT_BLOCK_CHARS characters (at least one)."""
    out: list[bytes] = []
    for a in range(0, max(1, len(text)), TEXT_BLOCK_CHARS):
        block = text[a : a + TEXT_BLOCK_CHARS]
        u8 = block.encode("utf-8", "surrogatepass")
        if len(u8) > 2 * len(block):
            try:
                # strict: two lone surrogates would come back as one astral character
                u16 = block.encode("utf-16-le")
            except UnicodeEncodeError:
                pass
            else:
                out.append(_UTF16 + _compressor.compress(u16))
                continue
        out.append(_UTF8 + _compressor.compress(u8))
    return out


def decompress_block(data: bytes) -> str:
    try:
        raw = _decompressor.decompress(data[1:])
    except zstandard.ZstdError as exc:
        raise FormatError(f"a stored text block is corrupt ({exc}); restore from a backup") from exc
    if data[:1] == _UTF16:
        return raw.decode("utf-16-le")
    if data[:1] == _UTF8:
        return raw.decode("utf-8", "surrogatepass")
    raise FormatError("a stored text block has an unknown encoding; restore from a backup")


def decompress_text(blocks: list[bytes]) -> str:
    return "".join(decompress_block(b) for b in blocks)
