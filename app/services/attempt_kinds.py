"""Every kind of graded work a class can be assigned, one small class each: its attempt table, what is
attempted, the attempt page, the item analysis and the words for it.

The gradebook, the student's assignment list, the instructor's drill-down and item analysis read this
table instead of branching on ``Assignment.kind``; a new kind of practice (generated drills, exams in
the gradebook) is one class here with ``@register``. The attempt table uses ``AttemptMixin`` (its
``attempt_of`` is the kind's ``name``) and its service stores through ``attempts.store_once``.
"""
from __future__ import annotations

from types import ModuleType
from typing import Callable, ClassVar

import sqlalchemy as sa
from flask import url_for

from app.extensions import db
from app.models import Assignment, CaseAttempt, ClaimScenario, CodingCase, Quiz, QuizAttempt, ScenarioAttempt
from app.services import cases as case_service
from app.services import item_analysis
from app.services import quizzes as quiz_service
from app.services import scenarios as scenario_service


class AttemptKind:
    #: what ``Assignment.kind`` and the instructor's URLs call it; the attempt table's ``attempt_of``
    name: ClassVar[str]
    #: how the instructor's pages name it ("Coding case")
    label: ClassVar[str]
    #: the attempt table (an ``AttemptMixin``) and the table of what is attempted
    model: ClassVar[type]
    item: ClassVar[type]
    #: the attempt page, the same for the student and the instructor, and the service that builds its
    #: context (``attempt_page(attempt, **extra)``) and stores attempts through ``store_once``
    template: ClassVar[str]
    service: ClassVar[ModuleType]
    #: the page where a student does the work (by the item's slug, and the assignment)
    take_endpoint: ClassVar[str]
    #: the link from the instructor's list of a student's attempts to one of them
    attempt_link: ClassVar[str] = "The full answer and its scoring"
    #: per-item statistics for the instructor, ``(students, [ItemStat])``; None: the kind has none
    analysis: ClassVar[Callable[[Assignment], tuple[int, list]] | None] = None
    #: the item-analysis table's first two column headings, and whether answers are shown as codes
    analysis_columns: ClassVar[tuple[str, str]] = ("Key line", "Expected")
    answers_are_codes: ClassVar[bool] = True

    def page(self, attempt, **extra) -> dict:
        """The attempt page's context."""
        return self.service.attempt_page(attempt, **extra)

    def take_url(self, assignment: Assignment) -> str:
        """Where a student does the assigned work."""
        return url_for(self.take_endpoint, slug=assignment.ref, assignment=assignment.id)

    def assignable(self, instructor_id: int | None) -> list[tuple[str, str]]:
        """(ref, title) of what an instructor can assign of this kind: active items by title."""
        return [(s, t) for s, t in db.session.execute(
            sa.select(self.item.slug, self.item.title).where(self.item.active.is_(True)).order_by(self.item.title))]

    def title_of(self, ref: str, instructor_id: int | None) -> str | None:
        """The title of an assignable item (None: not one this instructor may assign)."""
        return db.session.scalar(sa.select(self.item.title).where(self.item.slug == ref, self.item.active.is_(True)))


#: name -> kind, in the order the instructor's form lists them
KINDS: dict[str, AttemptKind] = {}


def register(cls: type[AttemptKind]) -> type[AttemptKind]:
    if cls.model.attempt_of != cls.name:  # the table's constraint names and store_once's check use it
        raise TypeError(f"{cls.model.__name__}.attempt_of must be {cls.name!r}")
    KINDS[cls.name] = cls()
    return cls


@register
class CaseKind(AttemptKind):
    name, label = "case", "Coding case"
    model, item = CaseAttempt, CodingCase
    template, service, take_endpoint = "cases/attempt.html", case_service, "cases.case"
    attempt_link = "Line-by-line verdicts"
    analysis = staticmethod(item_analysis.case_item_analysis)


@register
class ScenarioKind(AttemptKind):
    name, label = "scenario", "Claim scenario"
    model, item = ScenarioAttempt, ClaimScenario
    template, service, take_endpoint = "scenarios/attempt.html", scenario_service, "scenarios.scenario"


@register
class QuizKind(AttemptKind):
    name, label = "quiz", "Quiz"
    model, item = QuizAttempt, Quiz
    template, service, take_endpoint = "quizzes/attempt.html", quiz_service, "quizzes.take"
    analysis = staticmethod(item_analysis.quiz_item_analysis)
    analysis_columns = ("Question", "Prompt")
    answers_are_codes = False

    def take_url(self, assignment):
        return url_for(self.take_endpoint, quiz_id=int(assignment.ref), assignment=assignment.id)

    def assignable(self, instructor_id):
        """Site quizzes, practice quizzes and the instructor's own, published (ref: the quiz's id)."""
        return quiz_service.published_titles(instructor_id)

    def title_of(self, ref, instructor_id):
        return dict(self.assignable(instructor_id)).get(ref)
