"""The code set the site uses: opened once per process from the path in the config."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask import current_app


class CodeSetMissing(RuntimeError):
    pass


@lru_cache(maxsize=4)
def _open(path: str):
    from app.codes import SqliteCodeSet

    return SqliteCodeSet(path)


def codeset():
    """The built code-set file named by CODESET_PATH (read-only, shared by every request)."""
    path = current_app.config["CODESET_PATH"]
    if not Path(path).exists():
        raise CodeSetMissing(f"the code-set file {path} does not exist: run `flask codes build`")
    return _open(path)
