"""The file of an LSH index (private): a zip of plain arrays and a JSON header, no pickle.

``header.json`` holds ``format``, ``version`` and the index's settings; ``values.npy`` the
signatures (uint64, one row per key); the keys are ``key_blob.npy`` (their UTF-8 bytes, lone
surrogates passed through), ``key_offsets.npy`` (int64, one more than the keys) and
``key_is_str.npy`` (bool: a str key, or the decimal digits of an int key). Arrays are read
with ``allow_pickle=False``; the file is written atomically (:mod:`textprint._files`).
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from pathlib import Path
from typing import Any, Final

import numpy as np

from ._files import atomic_write
from ._typing import UInt64Array
from .errors import FormatError, StorageError

__all__ = ["FORMAT", "FORMAT_VERSION", "read_index", "write_index"]

FORMAT: Final = "textprint-lsh"
FORMAT_VERSION: Final = 1
_ARRAYS: Final = ("values", "key_blob", "key_offsets", "key_is_str")


def write_index(
    path: str | Path, settings: dict[str, Any], keys: list[str | int], values: UInt64Array
) -> None:
    """Write `keys` and their signatures `values` with the index's `settings` to `path`."""
    header = {"format": FORMAT, "version": FORMAT_VERSION, **settings}
    # surrogatepass: a str key may hold a lone surrogate (add accepts any str); its bytes are
    # the generalized UTF-8 of the code unit, read back exactly by `read_index`
    encoded = [str(k).encode("utf-8", "surrogatepass") for k in keys]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    arrays = {
        "values": values,
        "key_blob": np.frombuffer(b"".join(encoded), dtype=np.uint8),
        "key_offsets": offsets,
        "key_is_str": np.array([isinstance(k, str) for k in keys], dtype=bool),
    }
    try:
        with atomic_write(path, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("header.json", json.dumps(header, sort_keys=True))
            for name, arr in arrays.items():
                buf = io.BytesIO()
                np.save(buf, np.ascontiguousarray(arr), allow_pickle=False)
                z.writestr(f"{name}.npy", buf.getvalue())
    except OSError as exc:
        raise StorageError(f"cannot write the index to {str(path)!r}: {exc}") from exc


def read_index(path: str | Path) -> tuple[dict[str, Any], list[str | int], np.ndarray]:
    """The header, keys and signatures of the index file at `path`.

    Raises
    ------
    FormatError
        If the file is not a textprint LSH index, is corrupt, or has a newer format version
        (then ``.found`` and ``.supported`` are the versions).
    StorageError
        If the file cannot be read.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StorageError(f"cannot read {str(path)!r}: {exc}") from exc
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            header = json.loads(z.read("header.json"))
            arrays = {
                n: np.load(io.BytesIO(z.read(f"{n}.npy")), allow_pickle=False) for n in _ARRAYS
            }
    except (
        zipfile.BadZipFile,
        zlib.error,
        KeyError,
        ValueError,
        OSError,
        EOFError,
        NotImplementedError,
        RuntimeError,
    ) as exc:
        raise FormatError(
            f"{str(path)!r} is not a textprint LSH index (format {FORMAT} version "
            f"{FORMAT_VERSION}) or is corrupt: {exc}"
        ) from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise FormatError(f"{str(path)!r} is not a textprint LSH index")
    version = header.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise FormatError(
            f"{str(path)!r} has LSH index format version {version!r}; this textprint "
            f"reads versions up to {FORMAT_VERSION}: upgrade textprint",
            found=version if isinstance(version, int) else None,
            supported=FORMAT_VERSION,
        )
    try:
        keys = _keys(arrays, path)
    except (TypeError, ValueError, IndexError, UnicodeDecodeError) as exc:
        if isinstance(exc, FormatError):
            raise
        raise FormatError(f"{str(path)!r} is corrupt: {exc}") from exc
    values = arrays["values"]
    if values.dtype != np.uint64 or values.ndim != 2 or len(values) != len(keys):
        raise FormatError(f"{str(path)!r} is corrupt: signature array does not fit")
    return header, keys, values


def _keys(arrays: dict[str, np.ndarray], path: Path) -> list[str | int]:
    blob = arrays["key_blob"].tobytes()
    off = arrays["key_offsets"].tolist()
    n_keys = len(arrays["key_is_str"])
    if (
        len(off) != n_keys + 1
        or off[0] != 0
        or off[-1] != len(blob)
        or bool((np.diff(np.asarray(off, dtype=np.int64)) < 0).any())
    ):
        raise FormatError(f"{str(path)!r} is corrupt: key offsets do not fit the keys")
    keys: list[str | int] = []
    for i, is_str in enumerate(arrays["key_is_str"].tolist()):
        s = blob[off[i] : off[i + 1]].decode("utf-8", "surrogatepass")
        keys.append(s if is_str else int(s))
    return keys
