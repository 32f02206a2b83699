"""Storing a graded attempt exactly once per submitted form, whatever kind of work it is."""
from __future__ import annotations

from typing import Callable, TypeVar

import sqlalchemy as sa

from app.extensions import db

A = TypeVar("A")


def store_once(model: type[A], user_id: int, token: str, make: Callable[[], A]) -> A:
    """Store the attempt made with this form token once; a repeated token returns the stored attempt.

    Every answer form carries a one-time token and the attempt tables hold a unique (user, token)
    constraint, so a double click, a resend after a lost answer or two racing requests store one
    attempt: the insert of the second one fails, rolls back and returns the first one's row. The
    common case (a new token) costs one INSERT and no lookup; ``make`` grades and builds the row
    (for a repeated token it grades again, well under a millisecond, and the result is dropped).
    """
    attempt = make()
    db.session.add(attempt)
    session = db.session()
    expire = session.expire_on_commit
    # What was just written is what the page shows next: don't expire it (and the case or scenario
    # it came from) on commit, which would cost a reload query per object on the busiest write path.
    session.expire_on_commit = False
    try:
        session.commit()
    except sa.exc.IntegrityError:
        session.rollback()
        twin = by_token(model, user_id, token)  # the same form was stored before (or just now)
        if twin is None:
            raise  # not the token: some other constraint, a real error
        return twin
    finally:
        session.expire_on_commit = expire
    return attempt


def by_token(model: type[A], user_id: int, token: str) -> A | None:
    return db.session.scalar(sa.select(model).where(model.user_id == user_id, model.submission_token == token))
