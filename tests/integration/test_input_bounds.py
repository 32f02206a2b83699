"""Hostile numbers, nested JSON and oversized bodies through the real routes: a 4xx that says what was
wrong, never a 500 (issue 12 §2, §4, §6)."""
import pytest
import sqlalchemy as sa

from tests.integration.test_quizzes import add_question, create_quiz, login


@pytest.fixture
def teacher(app, make_user):
    return login(app, make_user, "numbers@example.test", "instructor", "Nora Numbers")


def stored_points(app, quiz_id):
    from app.extensions import db
    from app.models import QuizVersion
    with app.app_context():
        version = db.session.scalars(sa.select(QuizVersion).where(QuizVersion.quiz_id == quiz_id)).first()
        return [q["points"] for q in version.questions]


# --- §6 numbers -----------------------------------------------------------------------------------

@pytest.mark.parametrize("points", ["sNaN", "NaN", "-nan", "Infinity", "-Infinity", "inf", "1e999", "1e2",
                                    "2E0", "1_0", "١٢", "２", "9" * 5000, "0x10", "1,5", "½", "-0", "0"])
def test_question_points_that_are_not_a_plain_number_come_back_with_a_message(app, teacher, points):
    quiz_id = create_quiz(teacher)
    resp = add_question(teacher, quiz_id, "truefalse", points=points)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Enter a plain number such as 2 or 1.5." in page or "Number must be between" in page
    assert stored_points(app, quiz_id) == []


@pytest.mark.parametrize("points, stored", [("2", 2), (" 1.5 ", 1.5), ("+3", 3), (".25", 0.25), ("100", 100)])
def test_plain_points_are_stored(app, teacher, points, stored):
    quiz_id = create_quiz(teacher)
    assert add_question(teacher, quiz_id, "truefalse", points=points).status_code == 302
    assert stored_points(app, quiz_id) == [stored]
