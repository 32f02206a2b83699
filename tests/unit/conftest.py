"""Fixtures for the engine unit tests (no Flask app)."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def codes_db_path(tmp_path_factory):
    """The real code-set database (ICD-10-CM + curated files), built once per test session."""
    from app.codes.build import build_codes_db

    path = tmp_path_factory.mktemp("codes") / "codes.sqlite"
    build_codes_db(path)
    return path


@pytest.fixture(scope="session")
def codeset(codes_db_path):
    """A read-only ``SqliteCodeSet`` over :func:`codes_db_path` (an ``app.codes.model.CodeSet``)."""
    from app.codes import open_codeset

    cs = open_codeset(codes_db_path)
    yield cs
    cs.close()
