"""Atomic output: write to a temporary file beside the target, rename on success."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from typing import IO

from .errors import DataError

# errors of writing itself (full disk, quota, a huge file, an I/O error): named by the output
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS}


def is_device(path: str) -> bool:
    """True for an existing path that is neither a regular file nor a folder (/dev/null, a
    FIFO): such outputs are written directly, never renamed over."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _write_error(exc: OSError, path: str, tmp: str | None) -> DataError | None:
    """The user's path in place of a temporary one (or of none) for an error of writing."""
    if exc.filename is not None and exc.filename != tmp:
        return None
    if exc.filename is None and exc.errno not in _WRITE_ERRNOS:
        return None
    return DataError(f"cannot write output: {exc.strerror or exc}", path)


def spill_dir_base(output: str | None) -> str | None:
    """Where scratch folders go: beside a regular-file output (same file system, so the
    kernel can copy), else the temporary directory (never beside a device such as /dev/null)."""
    if not output or output == "-" or is_device(output):
        return None
    base = os.path.dirname(os.path.abspath(output))
    return base if os.access(base, os.W_OK) else None


@contextlib.contextmanager
def atomic_open(path: str, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open ``path`` for writing atomically; ``-`` is standard output.

    Nothing is left at ``path`` (and no temporary file) if the block raises. Errors of writing
    (full disk, quota) name ``path``, never the temporary file.
    """
    kwargs = {} if "b" in mode else {"encoding": encoding, "newline": ""}
    if path == "-":
        if "b" in mode:
            yield sys.stdout.buffer
        else:
            yield sys.stdout
        sys.stdout.flush()
        return
    if is_device(path):
        # a device or FIFO (/dev/null, a named pipe): write to it, never rename over it
        try:
            with open(path, mode, **kwargs) as handle:
                yield handle
        except OSError as exc:
            err = _write_error(exc, path, None)
            if err is None:
                raise
            raise err from None
        return
    if os.path.isdir(path):
        raise DataError("cannot write output: it is a directory", path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise DataError(f"cannot write output: directory {directory} does not exist", path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".pfocr-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise DataError(f"cannot write output: {exc.strerror}", path) from None
    try:
        try:
            with os.fdopen(fd, mode, **kwargs) as handle:
                yield handle
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, path)
        except OSError as exc:
            err = _write_error(exc, path, tmp)
            if err is None:
                raise
            raise err from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def made_dir(path: str) -> Iterator[str]:
    """Create folder ``path`` (and its parents) if needed; remove those it created if the block
    raises and they are still empty, so a failed run leaves nothing behind."""
    created: list[str] = []
    here = os.path.abspath(path)
    while not os.path.exists(here):
        created.append(here)
        here = os.path.dirname(here)
    os.makedirs(path, exist_ok=True)
    try:
        yield path
    except BaseException:
        for folder in created:  # deepest first
            with contextlib.suppress(OSError):
                os.rmdir(folder)
        raise
