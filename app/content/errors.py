"""Errors raised while loading content files (lessons, quizzes, cases, scenarios)."""
from __future__ import annotations

from pathlib import Path


class ContentError(Exception):
    """A problem in a content file, located by file and line (1-based; None when unknown)."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = int(line) if line is not None else None
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"

    def __reduce__(self):  # keep pickling (e.g. pytest-xdist) working with the 3-arg init
        return (type(self), (self.path, self.line, self.message))
