"""Instructor-authored quizzes, their versions, and students' graded attempts."""
from __future__ import annotations

import functools
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from markupsafe import Markup

from app.content.markdown import render_markdown
from app.extensions import db
from app.clock import utcnow
from app.models.attempts import AttemptMixin
from app.models.users import User


@functools.lru_cache(maxsize=1024)
def _rendered(text: str) -> str:
    """render_markdown, remembered: every save stores the whole question list, and a 200-question quiz
    would otherwise re-render 199 unchanged prompts and feedbacks each time one question is edited."""
    return render_markdown(text)


class Quiz(db.Model):
    """A quiz: its identity, owner and which version is live. The content lives in its versions."""

    __tablename__ = "quizzes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True, index=True)
    #: None for site quizzes imported from content/quizzes/ (admins edit those)
    owner_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: the number of the version students take; None while unpublished
    published_number: so.Mapped[int | None] = so.mapped_column(default=None)
    #: bumped by every save: edit forms carry it, and a save from a stale form is refused
    revision: so.Mapped[int] = so.mapped_column(default=1)
    saved_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    saved_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: site-wide practice: any signed-in student may take it once published. Otherwise only students of a
    #: class it is assigned to (and its owner) see it. Site quizzes (source_path set) are always practice.
    practice: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    #: set for quizzes that come from a file in content/quizzes/ (relative path) and its hash
    source_path: so.Mapped[str | None] = so.mapped_column(sa.String(300), default=None)
    content_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), default=None)

    owner: so.Mapped[User | None] = so.relationship(foreign_keys=[owner_id])
    saved_by: so.Mapped[User | None] = so.relationship(foreign_keys=[saved_by_id])
    versions: so.Mapped[list[QuizVersion]] = so.relationship(
        back_populates="quiz", order_by="QuizVersion.number", cascade="all, delete-orphan")


class QuizVersion(db.Model):
    """One version of a quiz. Once published it is frozen: a later edit makes the next version."""

    __tablename__ = "quiz_versions"
    __table_args__ = (sa.UniqueConstraint("quiz_id", "number", name="uq_quiz_version_number"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    quiz_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    number: so.Mapped[int]
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: Markdown as the instructor wrote it
    instructions: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: questions in canonical form (app.content.quizfiles), keys included: never sent before submitting
    questions: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    #: the instructions and each question's prompt and feedback rendered and sanitised once, whenever
    #: they are set (as lessons are at import): a page view never runs the Markdown parser
    instructions_html: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: [{prompt, feedback}, ...] as HTML, one per question
    questions_html: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    published_at: so.Mapped[datetime | None] = so.mapped_column(default=None)

    quiz: so.Mapped[Quiz] = so.relationship(back_populates="versions")

    @so.validates("instructions")
    def _render_instructions(self, _key, text):
        self.instructions_html = _rendered(text or "")
        return text

    @so.validates("questions")
    def _render_questions(self, _key, questions):
        self.questions_html = [{"prompt": _rendered(q.get("prompt") or ""),
                                "feedback": _rendered(q.get("feedback") or "")} for q in questions or []]
        return questions

    def prompt_html(self, index: int) -> Markup:
        return Markup(self.questions_html[index]["prompt"])  # nosec B704 - sanitised by render_markdown (nh3)

    def feedback_html(self, index: int) -> Markup:
        return Markup(self.questions_html[index]["feedback"])  # nosec B704 - sanitised by render_markdown (nh3)

    @property
    def instructions_markup(self) -> Markup:
        return Markup(self.instructions_html)  # nosec B704 - sanitised by render_markdown (nh3)

    @property
    def frozen(self) -> bool:
        return self.published_at is not None

    @property
    def max_points(self) -> float:
        return sum(q["points"] for q in self.questions)


class QuizAttempt(AttemptMixin, db.Model):
    __tablename__ = "quiz_attempts"
    attempt_of = "quiz"

    quiz_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    #: the version taken; the attempt stays graded by it whatever later versions say
    version_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("quiz_versions.id", ondelete="CASCADE"), index=True)
    answers: so.Mapped[list] = so.mapped_column(sa.JSON)
    #: one result per question: points, max_points, correct, and (code questions) the grader's lines
    results: so.Mapped[list] = so.mapped_column(sa.JSON)
    points: so.Mapped[float]
    max_points: so.Mapped[float]

    quiz: so.Mapped[Quiz] = so.relationship()
    version: so.Mapped[QuizVersion] = so.relationship()
