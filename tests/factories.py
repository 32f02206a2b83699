"""Rows for tests, each made through the service that makes it in the app (so it is a row the app could
have made), in its own app context; they return ids and plain values, never detached rows."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa

PASSWORD = "correct horse battery"
#: a case every class test can assign (content/quizzes/cases/)
CASE = "established-diabetes-hypertension-visit"


def user(app, email: str, role: str = "student", name: str | None = None, password: str = PASSWORD) -> int:
    from app.services.auth import create_user

    with app.app_context():
        return create_user(email, name or email.split("@")[0].title(), password, role).id


def classroom(app, instructor_id: int, name: str = "Coding I", students=()) -> tuple[int, str]:
    """A class with these students enrolled: (class id, join code)."""
    from app.services import classes as class_service

    with app.app_context():
        made = class_service.create_class(instructor_id, name)
        for student_id in students:
            class_service.join_class(student_id, made.join_code)
        return made.id, made.join_code


def assignment(app, class_id: int, kind: str = "case", ref: str = CASE, opens: timedelta = timedelta(minutes=-5),
               due: timedelta | None = timedelta(days=7), now: datetime | None = None) -> int:
    """An assignment opening and falling due these spans from now (``due=None``: no due date)."""
    from app.extensions import db
    from app.models import Classroom
    from app.clock import utcnow
    from app.services import classes as class_service

    with app.app_context():
        now = now or utcnow()
        return class_service.create_assignment(db.session.get(Classroom, class_id), kind, ref, now + opens,
                                               now + due if due is not None else None).id


def published_quiz(app, owner_id: int | None, title: str = "Modifier drill", practice: bool = False,
                   questions: list | None = None) -> int:
    """A quiz with its first version published (by default one true/false question)."""
    from app.extensions import db
    from app.services import quizzes as quiz_service

    with app.app_context():
        quiz = quiz_service.create_quiz(owner_id, title, questions=questions or [
            {"type": "truefalse", "prompt": "Is 25 a modifier?", "points": 1, "answer": True, "feedback": "Yes."}])
        quiz.published_number, quiz.practice = 1, practice
        quiz_service.latest_version(quiz).published_at = quiz.saved_at
        db.session.commit()
        return quiz.id


def case_attempt(app, user_id: int, slug: str = CASE, diagnoses=("E11.9",), assignment_id: int | None = None,
                 token: str | None = None) -> int:
    """A graded case attempt, stored as a submitted form stores it."""
    from app.services import cases as case_service

    with app.app_context():
        case = case_service.get_case(slug)
        return case_service.submit_attempt(user_id, case, {"diagnoses": list(diagnoses), "procedures": []},
                                           token or uuid.uuid4().hex, assignment_id).id


def count(app, model, *where) -> int:
    """How many rows of ``model`` there are (matching ``where``)."""
    from app.extensions import db

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def answer_key(app, slug: str = CASE) -> dict:
    from app.extensions import db
    from app.models import CodingCase

    with app.app_context():
        return db.session.scalar(sa.select(CodingCase.answer_key).where(CodingCase.slug == slug))


def user_id(app, email: str) -> int:
    from app.extensions import db
    from app.models import User

    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.email == email))
