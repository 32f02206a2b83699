"""Practice exams: the imported question bank and blueprints, attempts with their saved answers,
and the spaced-review queue."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.clock import utcnow


class ExamQuestion(db.Model):
    """One bank item, imported from content/questions/. Answer and rationales stay on the server
    until the attempt that shows them is submitted."""

    __tablename__ = "exam_questions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    qid: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True, index=True)
    domain: so.Mapped[str] = so.mapped_column(sa.String(80), index=True)
    domain_title: so.Mapped[str] = so.mapped_column(sa.String(200))
    exams: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    difficulty: so.Mapped[int]
    stem: so.Mapped[str] = so.mapped_column(sa.Text)
    #: [{"text": ..., "why": ...}, ...] in the order shown
    choices: so.Mapped[list] = so.mapped_column(sa.JSON)
    answer: so.Mapped[int]
    source_path: so.Mapped[str] = so.mapped_column(sa.String(300))
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    #: an item whose file entry was removed stays for old attempts but is never drawn again
    active: so.Mapped[bool] = so.mapped_column(default=True)


class ExamBlueprint(db.Model):
    """An exam blueprint imported from content/exams.yml (the file's data, as plain JSON)."""

    __tablename__ = "exam_blueprints"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True, index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    position: so.Mapped[int] = so.mapped_column(default=0)
    data: so.Mapped[dict] = so.mapped_column(sa.JSON)
    active: so.Mapped[bool] = so.mapped_column(default=True)


class ExamAttempt(db.Model):
    __tablename__ = "exam_attempts"
    __table_args__ = (
        # The start form carries a one-time token: a double-clicked Start opens one attempt.
        sa.UniqueConstraint("user_id", "start_token", name="uq_exam_attempt_user_token"),
        sa.Index("ix_exam_attempts_user_open", "user_id", "submitted_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    blueprint_slug: so.Mapped[str] = so.mapped_column(sa.String(80))
    #: the blueprint as it was when the attempt started (a later edit never rescores it)
    blueprint: so.Mapped[dict] = so.mapped_column(sa.JSON)
    start_token: so.Mapped[str] = so.mapped_column(sa.String(64))
    seed: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    #: the form: [{"q": qid, "domain": slug, "unscored": bool}, ...] in the order shown
    items: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    started_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: the server's deadline; answers after it (plus a short grace) are refused
    deadline: so.Mapped[datetime]
    submitted_at: so.Mapped[datetime | None] = so.mapped_column(default=None, index=True)
    #: "student" (submitted) or "timer" (closed by the server at the deadline)
    closed_by: so.Mapped[str | None] = so.mapped_column(sa.String(20), default=None)
    correct: so.Mapped[int | None] = so.mapped_column(default=None)
    scored_total: so.Mapped[int | None] = so.mapped_column(default=None)
    percent: so.Mapped[float | None] = so.mapped_column(default=None)
    passed: so.Mapped[bool | None] = so.mapped_column(default=None)
    scaled: so.Mapped[int | None] = so.mapped_column(default=None)
    #: [{"domain", "title", "correct", "total"}, ...]
    by_domain: so.Mapped[list | None] = so.mapped_column(sa.JSON, default=None)

    answers: so.Mapped[list["ExamAnswer"]] = so.relationship(
        back_populates="attempt", cascade="all, delete-orphan", order_by="ExamAnswer.position")

    @property
    def finished(self) -> bool:
        return self.submitted_at is not None


class ExamAnswer(db.Model):
    """One saved answer (or flag) of an attempt; autosave writes one small row, not the whole form."""

    __tablename__ = "exam_answers"
    __table_args__ = (sa.UniqueConstraint("attempt_id", "position", name="uq_exam_answer_position"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    attempt_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("exam_attempts.id", ondelete="CASCADE"))
    position: so.Mapped[int]
    choice: so.Mapped[int | None] = so.mapped_column(default=None)
    flagged: so.Mapped[bool] = so.mapped_column(default=False)
    saved_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    attempt: so.Mapped[ExamAttempt] = so.relationship(back_populates="answers")


class ReviewCard(db.Model):
    """A missed exam item (kind "item", ref = question id) or a code missed in a coding case
    (kind "code", ref = "case-slug:CODE"), scheduled by SM-2."""

    __tablename__ = "review_cards"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "kind", "ref", name="uq_review_card_user_ref"),
        sa.Index("ix_review_cards_user_due", "user_id", "due"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(10))
    ref: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: what the review page shows for a code card: case title and slug, the line, the grader's reason
    context: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    ease: so.Mapped[float] = so.mapped_column(default=2.5)
    interval: so.Mapped[int] = so.mapped_column(default=0)
    repetitions: so.Mapped[int] = so.mapped_column(default=0)
    lapses: so.Mapped[int] = so.mapped_column(default=0)
    due: so.Mapped[date]
    last_reviewed_at: so.Mapped[datetime | None] = so.mapped_column(default=None)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class ReviewSettings(db.Model):
    """Per student: the exam date the queue aims at, and how far case attempts have been read."""

    __tablename__ = "review_settings"

    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    exam_date: so.Mapped[date | None] = so.mapped_column(default=None)
    last_case_attempt_id: so.Mapped[int] = so.mapped_column(default=0)
