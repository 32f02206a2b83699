"""Values built from imported content, kept in each worker until a content import changes them.

Lessons, payer profiles and the payer's first answer to each scenario change only when content is
imported. The import writes a fresh random ``content_revision`` (``bump_revision``); a worker compares
it with the revision its cache was built at, at most once per ``REVISION_CHECK_SECONDS``, and drops
everything when it differs. The process that ran the import drops its cache at once, so an import
shows there immediately and on every other worker within a second.
"""
from __future__ import annotations

import secrets
import threading
import time
from typing import Callable, TypeVar

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import ContentRevision
from app import clock

T = TypeVar("T")

#: How stale a worker's cache may be after another process imported content.
REVISION_CHECK_SECONDS = 1.0

_REVISION = sa.select(ContentRevision.__table__.c.revision).where(ContentRevision.__table__.c.id == 1)
_lock = threading.RLock()  # a build may use another cached value


class _Cache:
    def __init__(self, revision: str | None, checked_at: float):
        self.revision, self.checked_at = revision, checked_at
        self.values: dict = {}


def current_revision() -> str | None:
    return db.session.connection().execute(_REVISION).scalar()


def _cache() -> _Cache:
    cache = current_app.extensions.get("content_cache")
    now = time.monotonic()
    if cache is not None and now - cache.checked_at < REVISION_CHECK_SECONDS:
        return cache
    revision = current_revision()
    if cache is not None and cache.revision == revision and revision is not None:
        cache.checked_at = now
        return cache
    cache = _Cache(revision, now)  # new content (or none imported yet): start empty
    current_app.extensions["content_cache"] = cache
    return cache


def cached(key, build: Callable[[], T]) -> T:
    """The value for ``key`` built from the current content, building it on first use."""
    cache = _cache()
    try:
        return cache.values[key]
    except KeyError:
        pass
    with _lock:
        if key not in cache.values:
            cache.values[key] = build()
        return cache.values[key]


def bump_revision() -> None:
    """Called by the content import inside its transaction: every worker rebuilds after it."""
    row = db.session.get(ContentRevision, 1) or ContentRevision(id=1)
    row.revision, row.imported_at = secrets.token_hex(16), clock.utcnow()
    db.session.add(row)
    current_app.extensions.pop("content_cache", None)  # this process sees the import at once
