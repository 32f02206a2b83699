"""Storing a graded attempt exactly once per submitted form, whatever kind of work it is."""
from __future__ import annotations

from typing import Callable, TypeVar

import sqlalchemy as sa

from app.extensions import db

A = TypeVar("A")


def store_once(model: type[A], user_id: int, token: str, make: Callable[[], A]) -> A:
    """Return the attempt stored for this form token, grading and storing it only the first time.

    Every answer form carries a one-time token and the attempt tables hold a unique (user, token)
    constraint, so a double click or two racing requests store one attempt: the loser of the race
    rolls back and returns the winner's row. ``make`` grades and builds the row; it is not called
    when the token was already used.
    """
    existing = by_token(model, user_id, token)
    if existing is not None:
        return existing
    attempt = make()
    db.session.add(attempt)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()  # the twin request committed first: return its attempt
        return by_token(model, user_id, token)
    return attempt


def by_token(model: type[A], user_id: int, token: str) -> A | None:
    return db.session.scalar(sa.select(model).where(model.user_id == user_id, model.submission_token == token))
