"""Lesson tracks, lessons imported from content/lessons/, and students' completions."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.clock import utcnow


class Track(db.Model):
    __tablename__ = "tracks"

    slug: so.Mapped[str] = so.mapped_column(sa.String(60), primary_key=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(120))
    position: so.Mapped[int] = so.mapped_column(default=0)
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    lessons: so.Mapped[list["Lesson"]] = so.relationship(
        back_populates="track", order_by="Lesson.position")


class Lesson(db.Model):
    __tablename__ = "lessons"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True, index=True)
    track_slug: so.Mapped[str] = so.mapped_column(sa.ForeignKey("tracks.slug"), index=True)
    position: so.Mapped[int] = so.mapped_column(default=0)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    minutes: so.Mapped[int] = so.mapped_column(default=5)
    objectives: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    #: Markdown rendered and sanitised once, at import: requests never re-render it.
    body_html: so.Mapped[str] = so.mapped_column(sa.Text)
    #: [{question, choices, answer, explanation}, ...]
    checks: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    source_path: so.Mapped[str] = so.mapped_column(sa.String(300))
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(64))

    track: so.Mapped[Track] = so.relationship(back_populates="lessons")


class LessonProgress(db.Model):
    """A student's progress on one lesson: last opened, check score, completed."""

    __tablename__ = "lesson_progress"
    __table_args__ = (sa.UniqueConstraint("user_id", "lesson_id", name="uq_lesson_progress_user_lesson"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lesson_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    viewed_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    completed_at: so.Mapped[datetime | None] = so.mapped_column(default=None)
    #: best share of the end-of-lesson check answered right (0..1), None if never tried
    check_score: so.Mapped[float | None] = so.mapped_column(default=None)


class ContentRevision(db.Model):
    """One row naming the latest content import: a fresh random value each import.

    Workers keep what they build from content in memory (``app/services/content_cache.py``) and compare
    this value with theirs at most once a second, so an import shows on every worker within a second.
    """

    __tablename__ = "content_revision"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    revision: so.Mapped[str] = so.mapped_column(sa.String(32))
    imported_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
