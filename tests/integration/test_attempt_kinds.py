"""One attempt pattern: every attempt table is a registered kind, and the submit operation (not the view)
refuses work an assignment does not let in and marks late work (issue 16 §5, §6)."""
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import factories


def test_every_attempt_table_is_one_registered_kind(app):
    from app.extensions import db
    from app.models.attempts import AttemptMixin
    from app.services.attempt_kinds import KINDS

    tables = {m.class_ for m in db.Model.registry.mappers if issubclass(m.class_, AttemptMixin)}
    assert tables == {k.model for k in KINDS.values()}
    for name, kind in KINDS.items():
        assert kind.model.attempt_of == name
        app.jinja_env.get_template(kind.template)  # the attempt page exists


def _submit(kind: str, user_id: int, ref: str, assignment_id: int | None):
    """Submit one answer of this kind through its service's submit operation, as the views do."""
    from app.extensions import db
    from app.models import ClaimScenario, Quiz
    from app.services import cases, quizzes, scenarios

    token = uuid.uuid4().hex
    if kind == "case":
        return cases.submit_attempt(user_id, cases.get_case(ref), {"diagnoses": ["E11.9"], "procedures": []}, token,
                                    assignment_id)
    if kind == "scenario":
        scenario = db.session.scalar(sa.select(ClaimScenario).where(ClaimScenario.slug == ref))
        return scenarios.submit_attempt(user_id, scenario, scenarios.Answer(causes=[], action=scenarios.WRITE_OFF),
                                        token, assignment_id)
    quiz = db.session.get(Quiz, int(ref))
    return quizzes.submit_attempt(user_id, quiz, quizzes.published_version(quiz), [True], token, assignment_id)


@pytest.fixture
def enrolled(app, make_user):
    """(enrolled student id, outsider id, class id, {kind: what an assignment of it names})."""
    from app.extensions import db
    from app.models import ClaimScenario

    teacher = make_user("kinds-teacher@example.test", role="instructor")
    student = make_user("kinds-student@example.test")
    outsider = make_user("kinds-outsider@example.test")
    class_id, _ = factories.classroom(app, teacher, students=[student])
    with app.app_context():
        scenario = db.session.scalar(sa.select(ClaimScenario.slug).order_by(ClaimScenario.slug).limit(1))
    refs = {"case": factories.CASE, "scenario": scenario, "quiz": str(factories.published_quiz(app, teacher))}
    return student, outsider, class_id, refs


@pytest.mark.parametrize("kind", ["case", "scenario", "quiz"])
def test_the_submit_operation_refuses_an_assignment_that_is_not_open_or_not_theirs(app, enrolled, kind):
    from app.services.attempt_kinds import KINDS
    from app.services.attempts import AssignmentClosed

    student, outsider, class_id, refs = enrolled
    ref = refs[kind]
    later = factories.assignment(app, class_id, kind, ref, opens=timedelta(days=2))
    now_open = factories.assignment(app, class_id, kind, ref)
    with app.app_context():
        with pytest.raises(AssignmentClosed, match="opens on"):
            _submit(kind, student, ref, later)
        with pytest.raises(AssignmentClosed, match="not assigned to you"):
            _submit(kind, outsider, ref, now_open)
    assert factories.count(app, KINDS[kind].model) == 0  # nothing graded, nothing stored


@pytest.mark.parametrize("kind", ["case", "scenario", "quiz"])
def test_the_submit_operation_marks_the_assignment_and_late_work(app, enrolled, kind):
    student, _, class_id, refs = enrolled
    ref = refs[kind]
    overdue = factories.assignment(app, class_id, kind, ref, opens=timedelta(days=-3), due=timedelta(days=-1))
    with app.app_context():
        attempt = _submit(kind, student, ref, overdue)
        assert (attempt.assignment_id, attempt.late) == (overdue, True)
        practice = _submit(kind, student, ref, None)
        assert (practice.assignment_id, practice.late) == (None, False)
