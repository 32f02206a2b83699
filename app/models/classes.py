"""Classes an instructor teaches, the students enrolled in them, and the work assigned to them."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.clock import utcnow
from app.models.users import User


class Classroom(db.Model):
    __tablename__ = "classrooms"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    instructor_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: students type this to join; unguessable enough for a class, short enough to read aloud
    join_code: so.Mapped[str] = so.mapped_column(sa.String(16), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    instructor: so.Mapped[User] = so.relationship()


class Enrollment(db.Model):
    __tablename__ = "enrollments"
    __table_args__ = (sa.UniqueConstraint("class_id", "student_id", name="uq_enrollment_class_student"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    class_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("classrooms.id", ondelete="CASCADE"), index=True)
    student_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    joined_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    student: so.Mapped[User] = so.relationship()
    classroom: so.Mapped[Classroom] = so.relationship()


class Assignment(db.Model):
    __tablename__ = "assignments"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    class_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("classrooms.id", ondelete="CASCADE"), index=True)
    #: one of the kinds in app/services/attempt_kinds.py
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    #: the item's slug; a quiz's id, since quizzes are edited in place
    ref: so.Mapped[str] = so.mapped_column(sa.String(120))
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    opens_at: so.Mapped[datetime]
    due_at: so.Mapped[datetime | None]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    classroom: so.Mapped[Classroom] = so.relationship()

    def is_open(self, now: datetime) -> bool:
        return now >= self.opens_at

    def is_late(self, when: datetime) -> bool:
        return self.due_at is not None and when > self.due_at
