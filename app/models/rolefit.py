"""A logged-in user's latest role-fit result (anonymous takers leave nothing behind)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.clock import utcnow


class RoleFitRecord(db.Model):
    __tablename__ = "rolefit_results"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    answers: so.Mapped[dict] = so.mapped_column(sa.JSON)
    leaning: so.Mapped[str] = so.mapped_column(sa.String(20))
    strength: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    billing_fit: so.Mapped[int]
    coding_fit: so.Mapped[int]
    quiz_version: so.Mapped[int] = so.mapped_column(default=1)
    taken_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
