"""The one clock: naive UTC ``utcnow()`` and ``today()`` for models, services and views.

Call it through the module (``clock.utcnow()``), so a test that moves time patches one name,
``app.clock.utcnow``, and every service sees it. Column defaults (``default=utcnow``) bind the
function when the model is defined and keep the real time. Naive UTC because SQLite stores no
zone; every stored time is UTC.
"""
from __future__ import annotations

from datetime import date, datetime, timezone


def utcnow() -> datetime:
    """Now in UTC, without tzinfo (what every DateTime column holds)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def today() -> date:
    """Today's date in UTC, read from :func:`utcnow` (so moving that moves this)."""
    return utcnow().date()
