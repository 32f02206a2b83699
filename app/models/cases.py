"""Coding cases imported from content/quizzes/cases/, and students' graded attempts."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.clock import utcnow


class CodingCase(db.Model):
    __tablename__ = "coding_cases"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True, index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    setting: so.Mapped[str] = so.mapped_column(sa.String(20))
    code_year: so.Mapped[int]
    difficulty: so.Mapped[int]
    domains: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    #: the vignette rendered and sanitised at import
    vignette_html: so.Mapped[str] = so.mapped_column(sa.Text)
    #: the grader's key (with rationales and labels); never sent to a browser before a submission
    answer_key: so.Mapped[dict] = so.mapped_column(sa.JSON)
    #: hash of the answer key: attempts record the version they were graded against
    key_version: so.Mapped[str] = so.mapped_column(sa.String(64))
    source_path: so.Mapped[str] = so.mapped_column(sa.String(300))
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    #: a case whose file was removed stays (its attempts keep their meaning) but is no longer listed
    active: so.Mapped[bool] = so.mapped_column(default=True)


class CaseAttempt(db.Model):
    __tablename__ = "case_attempts"
    __table_args__ = (
        # The form carries a one-time token: a double-clicked submit stores one attempt.
        sa.UniqueConstraint("user_id", "submission_token", name="uq_case_attempt_user_token"),
        sa.Index("ix_case_attempts_user_case", "user_id", "case_id"),
        # Covers the gradebook's GROUP BY (assignment, student) with best score and late flag, so
        # 50,000 attempts are grouped by walking the index instead of sorting the table.
        sa.Index("ix_case_attempts_assignment_user", "assignment_id", "user_id", "score", "late"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("coding_cases.id", ondelete="CASCADE"), index=True)
    submission_token: so.Mapped[str] = so.mapped_column(sa.String(64))
    key_version: so.Mapped[str] = so.mapped_column(sa.String(64))
    code_release: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    response: so.Mapped[dict] = so.mapped_column(sa.JSON)
    score: so.Mapped[float]
    points: so.Mapped[float]
    max_points: so.Mapped[float]
    #: the grader's line verdicts, as plain dicts
    verdicts: so.Mapped[list] = so.mapped_column(sa.JSON)
    #: set when the attempt was made for a class assignment; late when made after its due date
    assignment_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("assignments.id", ondelete="SET NULL"), default=None)
    late: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)

    case: so.Mapped[CodingCase] = so.relationship()
