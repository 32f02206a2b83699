"""Keeping a logged-in user's latest role-fit result."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import RoleFitRecord
from app import clock


def save_latest(user_id: int, answers: dict[str, int], result, quiz_version: int) -> None:
    record = db.session.scalar(sa.select(RoleFitRecord).where(RoleFitRecord.user_id == user_id))
    if record is None:
        record = RoleFitRecord(user_id=user_id)
        db.session.add(record)
    record.answers, record.leaning, record.strength = dict(answers), result.leaning, result.strength
    record.billing_fit, record.coding_fit = result.billing_fit, result.coding_fit
    record.quiz_version, record.taken_at = quiz_version, clock.utcnow()
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # the same user submitted twice at once; one row stands
        db.session.rollback()


def latest(user_id: int) -> RoleFitRecord | None:
    return db.session.scalar(sa.select(RoleFitRecord).where(RoleFitRecord.user_id == user_id))
