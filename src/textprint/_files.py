"""Files (private): the one atomic-write helper, and the per-user private cache directory.

`atomic_write` is what every writer of a whole file uses. Readers see the old file or the new
one, never a partial one: the data goes to a temporary file beside the target, with a name no
other writer can take (``mkstemp``), and is renamed over the target only when it is complete;
on any failure the temporary file is removed. Two concurrent writers of one target both
succeed, one after the other (the last rename wins).

`private_cache_dir` and `read_private_file` keep caches nobody else can plant (jieba's prefix
dictionary, see :mod:`textprint._analyzers`): a directory and files owned by the current user
and not writable by group or others.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = [
    "atomic_write",
    "owned_privately",
    "private_cache_dir",
    "read_private_file",
    "remove_quietly",
    "usual_mode",
]


def usual_mode(path: str | os.PathLike[str]) -> None:
    """Give `path` the mode a new file gets under the process's umask (``mkstemp`` and a file
    another process created may have another)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str], mode: str = "w", *, private: bool = False
) -> Iterator[IO[Any]]:
    """Open a temporary file beside `path`; rename it to `path` when the block succeeds.

    Parameters
    ----------
    path : path-like
        The file to write (replaced if it exists).
    mode : {"w", "wb"}, default "w"
        Text (UTF-8) or binary.
    private : bool, default False
        Keep ``mkstemp``'s mode 0600 (a cache only this user may read); otherwise the file gets
        the mode a new file gets under the process's umask.

    Raises
    ------
    OSError
        If the temporary file cannot be created beside `path` (missing or read-only
        directory), written or renamed; an error inside the block propagates as raised. The
        temporary file is removed first, `path` is left as it was, and the caller says what
        could not be written (each turns the OSError into its own StorageError).
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as f:
            if not private:  # mkstemp creates 0600
                usual_mode(tmp)
            yield f
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def owned_privately(st: os.stat_result) -> bool:
    """Owned by the current user and not writable by group or others."""
    getuid = getattr(os, "getuid", None)
    if getuid is not None and st.st_uid != getuid():
        return False
    return not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def private_cache_dir() -> Path | None:
    """Our per-user cache directory, created 0700 if missing; None when none is safe to use.

    ``$TEXTPRINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/textprint``, else ``~/.cache/textprint``.
    A directory owned by someone else or writable by group or others is refused (someone could
    plant a cache there); a missing or read-only home means no cache, not an error.
    """
    configured = os.environ.get("TEXTPRINT_CACHE_DIR")
    xdg = os.environ.get("XDG_CACHE_HOME")
    try:
        if configured:
            path = Path(configured).absolute()
        elif xdg and os.path.isabs(xdg):  # the XDG spec says to ignore a relative path
            path = Path(xdg) / "textprint"
        else:
            path = Path.home() / ".cache" / "textprint"
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = path.stat()
    except (OSError, RuntimeError):  # RuntimeError: Path.home() without a home
        return None
    if not stat.S_ISDIR(st.st_mode) or not owned_privately(st):
        return None
    return path


def read_private_file(path: Path) -> bytes | None:
    """The bytes of `path` if it is a regular file (not a symlink) that only we can write."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        # fstat of the open file, not stat of the path: the file checked is the file read.
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode) or not owned_privately(st):
            return None
        try:
            return f.read()
        except OSError:
            return None


def remove_quietly(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()
