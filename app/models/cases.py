"""Coding cases imported from content/quizzes/cases/, and students' graded attempts."""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.attempts import AttemptMixin


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


class CaseAttempt(AttemptMixin, db.Model):
    __tablename__ = "case_attempts"
    attempt_of = "case"

    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("coding_cases.id", ondelete="CASCADE"), index=True)
    key_version: so.Mapped[str] = so.mapped_column(sa.String(64))
    code_release: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    response: so.Mapped[dict] = so.mapped_column(sa.JSON)
    points: so.Mapped[float]
    max_points: so.Mapped[float]
    #: the grader's line verdicts, as plain dicts
    verdicts: so.Mapped[list] = so.mapped_column(sa.JSON)

    case: so.Mapped[CodingCase] = so.relationship()
