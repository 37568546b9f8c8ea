"""Atomic output: write to a temporary file beside the target, rename on success."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import IO

from .errors import DataError


@contextlib.contextmanager
def atomic_open(path: str, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open ``path`` for writing atomically; ``-`` is standard output.

    Nothing is left at ``path`` (and no temporary file) if the block raises.
    """
    if path == "-":
        if "b" in mode:
            yield sys.stdout.buffer
        else:
            yield sys.stdout
        sys.stdout.flush()
        return
    if os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path):
        # a device or FIFO (/dev/null, a named pipe): write to it, never rename over it
        kwargs = {} if "b" in mode else {"encoding": encoding, "newline": ""}
        with open(path, mode, **kwargs) as handle:
            yield handle
        return
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise DataError(f"cannot write output: directory {directory} does not exist", path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".pfocr-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise DataError(f"cannot write output: {exc.strerror}", path) from None
    try:
        kwargs = {} if "b" in mode else {"encoding": encoding, "newline": ""}
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
