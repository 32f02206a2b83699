"""Who may take a published quiz (site-wide practice or class-only), and limits on guessing join codes."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import CsrfClient

PASSWORD = "correct horse battery"


@pytest.fixture
def people(app, make_user):
    """Instructors A and B; student Sam enrolled in A's class, student Kit in no class; an admin."""
    from app.services import classes as class_service
    ids = {who: make_user(f"{who}@example.test", role=role, name=who.title()) for who, role in (
        ("ana", "instructor"), ("ben", "instructor"), ("sam", "student"), ("kit", "student"), ("root", "admin"))}
    with app.app_context():
        classroom = class_service.create_class(ids["ana"], "Coding I")
        class_service.join_class(ids["sam"], classroom.join_code)
        ids.update(class_id=classroom.id, join_code=classroom.join_code)
    clients = {}
    for who in ("ana", "ben", "sam", "kit", "root"):
        clients[who] = CsrfClient(app)
        assert clients[who].login(f"{who}@example.test", PASSWORD).status_code == 302
    return ids, clients


def _published_quiz(app, owner_id: int, title: str = "Modifier drill", practice: bool = False) -> int:
    from app.extensions import db
    from app.services import quizzes as quiz_service
    with app.app_context():
        quiz = quiz_service.create_quiz(owner_id, title, questions=[
            {"type": "truefalse", "prompt": "Is 25 a modifier?", "points": 1, "answer": True, "feedback": "Yes."}])
        quiz.published_number, quiz.practice = 1, practice
        quiz_service.latest_version(quiz).published_at = quiz.saved_at
        db.session.commit()
        return quiz.id


def _assign(app, class_id: int, quiz_id: int) -> None:
    from app.extensions import db
    from app.models import Classroom
    from app.clock import utcnow
    from app.services import classes as class_service
    with app.app_context():
        class_service.create_assignment(db.session.get(Classroom, class_id), "quiz", str(quiz_id),
                                        utcnow() - timedelta(minutes=1), None)


def test_a_class_only_quiz_is_no_page_to_a_student_outside_the_class(app, people):
    """A published quiz used to be open to any student who guessed its id."""
    ids, c = people
    quiz_id = _published_quiz(app, ids["ana"])
    _assign(app, ids["class_id"], quiz_id)
    for who, status in (("sam", 200), ("ana", 200), ("root", 200), ("kit", 404), ("ben", 404)):
        assert c[who].get(f"/quizzes/{quiz_id}").status_code == status, who
        assert ("Modifier drill" in c[who].get("/quizzes/").get_data(as_text=True)) == (status == 200), who
    resp = c["kit"].post(f"/quizzes/{quiz_id}", {"token": "guess-1", "q0": "true"}, token_from="/quizzes/")
    assert resp.status_code == 404
    from app.extensions import db
    from app.models import QuizAttempt
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(QuizAttempt)) == 0


def test_an_unassigned_class_only_quiz_is_seen_by_its_owner_only(app, people):
    ids, c = people
    quiz_id = _published_quiz(app, ids["ana"])
    assert c["ana"].get(f"/quizzes/{quiz_id}").status_code == 200
    assert c["sam"].get(f"/quizzes/{quiz_id}").status_code == 404  # in Ana's class, but not assigned it


def test_site_wide_practice_is_open_to_every_student_and_the_instructor_chooses_it(app, people):
    ids, c = people
    quiz_id = _published_quiz(app, ids["ana"])
    page = c["ana"].get(f"/quizzes/manage/{quiz_id}").get_data(as_text=True)
    assert "class-only" in page and "Site-wide practice: every signed-in student may take it" in page
    assert c["kit"].get(f"/quizzes/{quiz_id}").status_code == 404
    revision = __import__("re").search(r'name="revision" value="(\d+)"', page).group(1)
    resp = c["ana"].post(f"/quizzes/manage/{quiz_id}/audience", {"revision": revision, "practice": "y"},
                         token_from=f"/quizzes/manage/{quiz_id}")
    assert resp.status_code == 302
    assert "site-wide practice" in c["ana"].get(f"/quizzes/manage/{quiz_id}").get_data(as_text=True)
    assert c["kit"].get(f"/quizzes/{quiz_id}").status_code == 200
    assert "Modifier drill" in c["kit"].get("/quizzes/").get_data(as_text=True)
    # another instructor cannot change who may take it
    assert c["ben"].post(f"/quizzes/manage/{quiz_id}/audience", {"revision": revision},
                         token_from="/quizzes/manage").status_code == 404


def test_site_quizzes_from_content_are_open_to_every_student(app, people):
    from app.extensions import db
    from app.models import Quiz
    ids, c = people
    with app.app_context():
        site = db.session.scalar(sa.select(Quiz.id).where(Quiz.source_path.is_not(None),
                                                          Quiz.published_number.is_not(None)).limit(1))
    assert site is not None
    assert c["kit"].get(f"/quizzes/{site}").status_code == 200


def test_an_instructor_cannot_assign_another_instructors_class_only_quiz(app, people):
    """Assigning it to a class of one's own would hand it to anyone that instructor enrols."""
    from app.extensions import db
    from app.models import Classroom
    from app.services import classes as class_service
    ids, c = people
    private = _published_quiz(app, ids["ana"], "Ana's own drill")
    shared = _published_quiz(app, ids["ana"], "Ana's shared drill", practice=True)
    with app.app_context():
        ben_class = class_service.create_class(ids["ben"], "Billing I")
        offered = dict(class_service.assignable_items("quiz", ids["ben"]))
        assert str(shared) in offered and str(private) not in offered
        with pytest.raises(class_service.ClassError):
            _assign(app, ben_class.id, private)
        ben_class_id = ben_class.id
    page = c["ben"].get(f"/instructor/classes/{ben_class_id}?kind=quiz").get_data(as_text=True)
    assert "Ana&#39;s shared drill" in page and "Ana&#39;s own drill" not in page
    with app.app_context():
        assert db.session.get(Classroom, ben_class_id) is not None


# --------------------------------------------------------------------------- join codes

def _join(client, code: str, address: str = "198.51.100.20"):
    return client.post("/progress/classes", {"code": code}, environ_base={"REMOTE_ADDR": address})


def test_wrong_join_codes_are_limited_per_student_with_a_friendly_429(app, people):
    ids, c = people
    limit = app.config["JOIN_FAILURES_PER_USER"]
    for n in range(limit):
        assert _join(c["kit"], f"WRONG{n:03d}").status_code == 422
    resp = _join(c["kit"], ids["join_code"])  # even the right code waits: it is not looked up
    assert resp.status_code == 429
    page = resp.get_data(as_text=True)
    assert "Too many codes that matched no class" in page and "try again in 60 minutes" in page
    assert f'value="{ids["join_code"]}"' in page  # the input is kept
    assert int(resp.headers["Retry-After"]) > 3500
    # another student at another address is not held back
    from app.services import classes as class_service
    with app.app_context():
        classroom = class_service.create_class(ids["ana"], "Coding II")
        code = classroom.join_code
    assert _join(c["sam"], code, "203.0.113.50").status_code == 302


def test_wrong_join_codes_are_limited_per_address_across_students(app, people, make_user, monkeypatch):
    ids, c = people
    monkeypatch.setitem(app.config, "JOIN_FAILURES_PER_IP", 4)
    for n in range(4):
        assert _join(c["kit" if n % 2 else "sam"], f"WRONG{n:03d}", "192.0.2.99").status_code == 422
    make_user("lee@example.test")
    lee = CsrfClient(app)
    lee.login("lee@example.test", PASSWORD)
    assert _join(lee, ids["join_code"], "192.0.2.99").status_code == 429
    assert _join(lee, ids["join_code"], "192.0.2.100").status_code == 302


def test_join_attempts_are_counted_in_the_database(app, people):
    from app.extensions import db
    from app.models import LoginFailure
    ids, c = people
    _join(c["kit"], "NOPE1234")
    _join(c["kit"], ids["join_code"])  # a right code is not a failure
    with app.app_context():
        keys = sorted(db.session.scalars(sa.select(LoginFailure.key)))
    assert keys == ["join-ip:198.51.100.20", f"join-user:{ids['kit']}"]
