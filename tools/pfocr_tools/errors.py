"""Exceptions shared by every tool; the CLI layer maps them to exit codes."""

from __future__ import annotations


class PfocrError(Exception):
    """Base class. ``str()`` gives the one-line message shown to the user."""

    exit_code = 1

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        self.message = message
        self.path = path
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line is not None else f"{self.path}: "
        return f"{where}{self.message}"


class DataError(PfocrError):
    """Bad input data (exit code 1)."""

    exit_code = 1


class UsageError(PfocrError):
    """Bad command-line usage (exit code 2)."""

    exit_code = 2
