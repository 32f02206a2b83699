"""Classes, assignments with dates enforced on the server, the gradebook, CSV, item analysis,
the student dashboard, and who may see what."""
import csv
import io
import re
import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import PASSWORD, CsrfClient

CASE = factories.CASE


def create_class(teacher, name="Coding I"):
    resp = teacher.post("/instructor/classes", {"name": name})
    assert resp.status_code == 302
    class_url = resp.headers["Location"]
    page = teacher.get(class_url).get_data(as_text=True)
    code = re.search(r'class="join-code">([A-Z0-9]+)<', page).group(1)
    return int(class_url.rstrip("/").split("/")[-1]), code


def assign(app, teacher, class_id, opens_delta=timedelta(minutes=-5), due_delta=timedelta(days=7), slug=CASE):
    from app.clock import utcnow
    now = utcnow()
    fmt = "%Y-%m-%dT%H:%M"
    data = {"kind": "case", "ref": slug, "opens_at": (now + opens_delta).strftime(fmt),
            "due_at": (now + due_delta).strftime(fmt) if due_delta is not None else ""}
    resp = teacher.post(f"/instructor/classes/{class_id}", data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    from app.extensions import db
    from app.models import Assignment
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(Assignment.id)))


def submit_case(client, assignment_id, answer, slug=CASE):
    page = client.get(f"/cases/{slug}?assignment={assignment_id}").get_data(as_text=True)
    token = re.search(r'id="token" name="token" type="hidden" value="([^"]+)"', page).group(1)
    data = {"token": token, "assignment": str(assignment_id)}
    for i, code in enumerate(answer, 1):
        data[f"dx_{i}"] = code
    data["px_code_1"] = "99214"
    return client.post(f"/cases/{slug}", data, token_from=f"/cases/{slug}")


def test_students_join_with_a_code_and_bad_codes_are_explained(app, teacher, login_as):
    class_id, code = create_class(teacher)
    student = login_as("student", "s1@example.test")
    bad = student.post("/progress/classes", {"code": "NOPE1234"})
    assert bad.status_code == 422 and "No class has that join code" in bad.get_data(as_text=True)
    assert 'value="NOPE1234"' in bad.get_data(as_text=True)
    ok = student.post("/progress/classes", {"code": code.lower()})
    assert ok.status_code == 302
    student.post("/progress/classes", {"code": code})  # twice: still one enrolment
    assert "S1" in teacher.get(f"/instructor/classes/{class_id}").get_data(as_text=True)
    from app.models import Enrollment
    assert factories.count(app, Enrollment) == 1


def test_assignment_not_yet_open_is_refused_on_the_server_and_input_kept(app, teacher, login_as):
    class_id, code = create_class(teacher)
    aid = assign(app, teacher, class_id, opens_delta=timedelta(days=2))
    student = login_as("student", "s2@example.test")
    student.post("/progress/classes", {"code": code})
    resp = submit_case(student, aid, ["E11.9", "I10"])
    page = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "This assignment opens on" in page
    assert 'value="E11.9"' in page
    from app.models import CaseAttempt
    assert factories.count(app, CaseAttempt) == 0


def test_student_not_in_class_cannot_submit_for_its_assignment(app, teacher, login_as):
    class_id, _ = create_class(teacher)
    aid = assign(app, teacher, class_id)
    outsider = login_as("student", "out@example.test")
    resp = submit_case(outsider, aid, ["E11.9"])
    assert resp.status_code == 409 and "not assigned to you" in resp.get_data(as_text=True)


def test_gradebook_scores_late_flags_drilldown_and_csv(app, teacher, login_as):
    class_id, code = create_class(teacher)
    on_time = assign(app, teacher, class_id)
    overdue = assign(app, teacher, class_id, opens_delta=timedelta(days=-3), due_delta=timedelta(days=-1))
    key = [d["code"] for d in factories.answer_key(app)["diagnoses"]]
    student = login_as("student", "s3@example.test", "=HYPERLINK(\"http://x\")")
    student.post("/progress/classes", {"code": code})
    submit_case(student, on_time, key)
    late_resp = submit_case(student, overdue, key[:1])
    assert "marked late" in student.get(late_resp.headers["Location"]).get_data(as_text=True)

    book = teacher.get(f"/instructor/classes/{class_id}/gradebook").get_data(as_text=True)
    assert "100%" in book and "late" in book
    work = teacher.get(f"/instructor/assignments/{on_time}/students/{factories.user_id(app, 's3@example.test')}").get_data(as_text=True)
    attempt_link = re.search(r'href="(/instructor/attempts/case/\d+)"', work).group(1)
    verdicts = teacher.get(attempt_link).get_data(as_text=True)
    assert "status-correct" in verdicts and "attempt" in verdicts

    resp = teacher.get(f"/instructor/classes/{class_id}/gradebook.csv")
    assert resp.mimetype == "text/csv" and "attachment" in resp.headers["Content-Disposition"]
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "Student" and len(rows) == 2
    assert rows[1][0].startswith("'=")  # a formula-looking name is neutralised
    assert "100.0" in rows[1] and "late" in rows[1]


def test_item_analysis_lists_the_most_common_wrong_codes(app, teacher, login_as):
    class_id, code = create_class(teacher)
    aid = assign(app, teacher, class_id)
    key = [d["code"] for d in factories.answer_key(app)["diagnoses"]]
    for i in range(4):
        s = login_as("student", f"ia{i}@example.test")
        s.post("/progress/classes", {"code": code})
        answer = list(key)
        if i < 3:
            answer[0] = "E11.65"
        submit_case(s, aid, answer)
    page = teacher.get(f"/instructor/assignments/{aid}/analysis").get_data(as_text=True)
    assert "4 students attempted" in page
    assert "E11.65</code> ×3" in page
    assert "25%" in page  # one in four had the first line fully right


def test_instructors_see_only_their_own_classes(app, teacher, login_as):
    class_id, code = create_class(teacher)
    aid = assign(app, teacher, class_id)
    student = login_as("student", "s4@example.test")
    student.post("/progress/classes", {"code": code})
    location = submit_case(student, aid, ["E11.9"]).headers["Location"]
    attempt_id = int(location.rsplit("/", 1)[1])
    other = login_as("instructor", "teach2@example.test")
    for path in (f"/instructor/classes/{class_id}", f"/instructor/classes/{class_id}/gradebook",
                 f"/instructor/classes/{class_id}/gradebook.csv", f"/instructor/assignments/{aid}/analysis",
                 f"/instructor/assignments/{aid}/students/{factories.user_id(app, 's4@example.test')}",
                 f"/instructor/attempts/case/{attempt_id}"):
        assert other.get(path).status_code == 404, path
        assert student.get(path).status_code == 403, path
        assert teacher.get(path).status_code == 200, path
    assert CsrfClient(app).client.get("/instructor/classes").status_code == 302


def test_dashboard_shows_mastery_next_step_and_svg_chart(app, login_as):
    student = login_as("student", "dash@example.test")
    page = student.get("/progress/").get_data(as_text=True)
    assert "No case attempts yet" in page and "a good first case" in page
    submit_case(student, "", ["E11.9"])  # a practice attempt, no assignment
    page = student.get("/progress/").get_data(as_text=True)
    assert "<svg" in page and "Scores as a table" in page and "Mastery by domain" in page
    assert "recommended because" in page


@contextmanager
def count_queries(app):
    from app.extensions import db
    counter = {"n": 0}

    def before(*_args, **_kwargs):
        counter["n"] += 1

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def _seed_attempts(app, user_id, n, assignment_id=None):
    from app.extensions import db
    from app.models import CaseAttempt, CodingCase
    with app.app_context():
        cases = list(db.session.scalars(sa.select(CodingCase).limit(10)))
        for i in range(n):
            case = cases[i % len(cases)]
            db.session.add(CaseAttempt(user_id=user_id, case_id=case.id, submission_token=uuid.uuid4().hex,
                                       key_version=case.key_version, response={}, score=(i % 5) / 4, points=1, max_points=1,
                                       verdicts=[], assignment_id=assignment_id))
        db.session.commit()


def test_dashboard_query_count_does_not_grow_with_attempts(app, login_as):
    student = login_as("student", "qc@example.test")
    uid = factories.user_id(app, "qc@example.test")
    _seed_attempts(app, uid, 3)
    student.get("/progress/")  # once first: lazy upkeep (session touch, review queue) is not what is counted
    with count_queries(app) as few:
        assert student.get("/progress/").status_code == 200
    _seed_attempts(app, uid, 60)
    student.get("/progress/")
    with count_queries(app) as many:
        assert student.get("/progress/").status_code == 200
    assert few["n"] == many["n"]


def test_gradebook_query_count_does_not_grow_with_students(app, teacher):
    class_id, code = create_class(teacher)
    aid = assign(app, teacher, class_id)
    from app.extensions import db
    from app.models import Enrollment
    from app.services.auth import create_user

    def add_students(n, start):
        with app.app_context():
            for i in range(start, start + n):
                u = create_user(f"bulk{i}@example.test", f"Bulk {i}", PASSWORD)
                db.session.add(Enrollment(class_id=class_id, student_id=u.id))
            db.session.commit()
        for i in range(start, start + n):
            _seed_attempts(app, factories.user_id(app, f"bulk{i}@example.test"), 3, aid)

    add_students(2, 0)
    with count_queries(app) as few:
        assert teacher.get(f"/instructor/classes/{class_id}/gradebook").status_code == 200
    add_students(8, 2)
    with count_queries(app) as many:
        page = teacher.get(f"/instructor/classes/{class_id}/gradebook")
    assert page.status_code == 200 and "Bulk 9" in page.get_data(as_text=True)
    assert few["n"] == many["n"]


def test_gradebook_pages_through_students_by_name_and_the_csv_has_them_all(app, teacher, monkeypatch):
    from app.extensions import db
    from app.models import Enrollment
    from app.services import classes as class_service
    from app.services.auth import create_user

    monkeypatch.setattr(class_service, "GRADEBOOK_PAGE_SIZE", 4)
    class_id, _ = create_class(teacher)
    aid = assign(app, teacher, class_id)
    with app.app_context():
        for i in range(10):
            u = create_user(f"paged{i}@example.test", f"Paged {i}", PASSWORD)
            db.session.add(Enrollment(class_id=class_id, student_id=u.id))
        db.session.commit()
    _seed_attempts(app, factories.user_id(app, "paged5@example.test"), 1, aid)  # score 0%
    _seed_attempts(app, factories.user_id(app, "paged9@example.test"), 2, aid)  # best 25%

    def names(html):
        return re.findall(r'<th scope="row">(Paged \d)</th>', html)

    first = teacher.get(f"/instructor/classes/{class_id}/gradebook").get_data(as_text=True)
    assert names(first) == ["Paged 0", "Paged 1", "Paged 2", "Paged 3"]
    assert "Students 1–4 of 10" in first and "Page 1 of 3" in first and "Next page" in first
    second = teacher.get(f"/instructor/classes/{class_id}/gradebook?page=2").get_data(as_text=True)
    assert names(second) == ["Paged 4", "Paged 5", "Paged 6", "Paged 7"] and ">0%</a>" in second
    last = teacher.get(f"/instructor/classes/{class_id}/gradebook?page=99").get_data(as_text=True)  # clamped
    assert names(last) == ["Paged 8", "Paged 9"] and ">25%</a>" in last and "Next page" not in last
    assert "Previous page" in last and "Students 9–10 of 10" in last
    csv_text = teacher.get(f"/instructor/classes/{class_id}/gradebook.csv").get_data(as_text=True)
    assert all(f"Paged {i}" in csv_text for i in range(10))
    assert "25.0" in csv_text


def test_a_claim_scenario_can_be_assigned_and_lands_in_the_gradebook(app, teacher, login_as):
    from app.clock import utcnow
    from tests.integration.test_scenarios import all_slugs, answer_for, submit
    class_id, code = create_class(teacher)
    slug = all_slugs(app)[0]
    fmt = "%Y-%m-%dT%H:%M"
    now = utcnow()
    resp = teacher.post(f"/instructor/classes/{class_id}", {
        "kind": "scenario", "ref": slug, "opens_at": (now - timedelta(minutes=5)).strftime(fmt),
        "due_at": (now + timedelta(days=1)).strftime(fmt)})
    assert resp.status_code == 302
    from app.extensions import db
    from app.models import Assignment
    with app.app_context():
        aid = db.session.scalar(sa.select(sa.func.max(Assignment.id)))
    student = login_as("student", "claims@example.test")
    student.post("/progress/classes", {"code": code})
    listing = student.get("/progress/classes").get_data(as_text=True)
    assert f"/claims/{slug}?assignment={aid}" in listing
    data = answer_for(app, slug)
    data["assignment"] = str(aid)
    assert submit(student, slug, data).status_code == 302
    book = teacher.get(f"/instructor/classes/{class_id}/gradebook").get_data(as_text=True)
    assert "100%" in book
    # Someone outside the class cannot submit for the assignment.
    outsider = login_as("student", "claims-out@example.test")
    resp = submit(outsider, slug, data)
    assert resp.status_code == 409 and "not assigned to you" in resp.get_data(as_text=True)


def test_a_quiz_can_be_assigned_and_a_closed_one_refuses_answers(app, teacher, login_as):
    from app.extensions import db
    from app.models import Assignment, QuizAttempt
    from app.clock import utcnow
    from app.services.quizzes import published_titles
    with app.app_context():
        quiz_id, title = published_titles()[0]
    class_id, code = create_class(teacher)
    fmt = "%Y-%m-%dT%H:%M"
    now = utcnow()
    page = teacher.get(f"/instructor/classes/{class_id}?kind=quiz").get_data(as_text=True)
    assert f'value="{quiz_id}"' in page
    for opens in (timedelta(minutes=-5), timedelta(days=3)):
        resp = teacher.post(f"/instructor/classes/{class_id}", {"kind": "quiz", "ref": quiz_id,
                                                                "opens_at": (now + opens).strftime(fmt), "due_at": ""})
        assert resp.status_code == 302
    with app.app_context():
        open_id, later_id = db.session.scalars(sa.select(Assignment.id).order_by(Assignment.id)).all()
    student = login_as("student", "quizzer@example.test")
    student.post("/progress/classes", {"code": code})
    assert f"/quizzes/{quiz_id}?assignment={open_id}" in student.get("/progress/classes").get_data(as_text=True)

    def take(assignment_id):
        page = student.get(f"/quizzes/{quiz_id}?assignment={assignment_id}").get_data(as_text=True)
        token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
        version = re.search(r'name="version" value="(\d+)"', page).group(1)
        return student.post(f"/quizzes/{quiz_id}", {"token": token, "version": version, "assignment": str(assignment_id)},
                            token_from=f"/quizzes/{quiz_id}")

    closed = take(later_id)
    assert closed.status_code == 409 and "This assignment opens on" in closed.get_data(as_text=True)
    assert take(open_id).status_code == 302
    with app.app_context():
        attempt = db.session.scalar(sa.select(QuizAttempt))
        assert attempt.assignment_id == open_id and attempt.late is False
    book = teacher.get(f"/instructor/classes/{class_id}/gradebook").get_data(as_text=True)
    assert f"/{open_id}/students/" in book


def test_quiz_item_analysis_shows_the_most_common_wrong_answer(app, teacher, login_as):
    from app.extensions import db
    from app.models import Assignment, Quiz, QuizVersion
    from app.clock import utcnow
    with app.app_context():
        quiz_id, version = db.session.execute(
            sa.select(Quiz.id, QuizVersion).join(QuizVersion, sa.and_(QuizVersion.quiz_id == Quiz.id,
                                                                       QuizVersion.number == Quiz.published_number))
            .where(Quiz.slug == "claim-basics")).one()
        first = version.questions[0]
    assert first["type"] == "single"
    wrong_index = next(i for i, c in enumerate(first["choices"]) if not c["correct"])
    right_index = next(i for i, c in enumerate(first["choices"]) if c["correct"])
    class_id, code = create_class(teacher)
    fmt = "%Y-%m-%dT%H:%M"
    teacher.post(f"/instructor/classes/{class_id}", {"kind": "quiz", "ref": str(quiz_id), "due_at": "",
                                                     "opens_at": (utcnow() - timedelta(minutes=5)).strftime(fmt)})
    with app.app_context():
        aid = db.session.scalar(sa.select(sa.func.max(Assignment.id)))
    for i in range(4):
        s = login_as("student", f"qa{i}@example.test")
        s.post("/progress/classes", {"code": code})
        page = s.get(f"/quizzes/{quiz_id}?assignment={aid}").get_data(as_text=True)
        token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
        v = re.search(r'name="version" value="(\d+)"', page).group(1)
        answer = wrong_index if i < 3 else right_index
        assert s.post(f"/quizzes/{quiz_id}", {"token": token, "version": v, "assignment": str(aid), "q0": str(answer)},
                      token_from=f"/quizzes/{quiz_id}").status_code == 302
    page = teacher.get(f"/instructor/assignments/{aid}/analysis").get_data(as_text=True)
    assert "4 students attempted" in page and "25%" in page
    assert f"“{first['choices'][wrong_index]['text']}” ×3" in page.replace("&#34;", '"')


def test_instructor_drills_into_scenario_and_quiz_attempts_of_their_class_only(app, teacher, login_as):
    from app.extensions import db
    from app.models import Assignment, QuizAttempt, ScenarioAttempt
    from app.clock import utcnow
    from app.services.quizzes import published_titles
    from tests.integration.test_scenarios import all_slugs, answer_for, submit
    class_id, code = create_class(teacher)
    fmt = "%Y-%m-%dT%H:%M"
    opens = (utcnow() - timedelta(minutes=5)).strftime(fmt)
    slug = all_slugs(app)[0]
    with app.app_context():
        quiz_id = published_titles()[0][0]
    teacher.post(f"/instructor/classes/{class_id}", {"kind": "scenario", "ref": slug, "opens_at": opens, "due_at": ""})
    teacher.post(f"/instructor/classes/{class_id}", {"kind": "quiz", "ref": quiz_id, "opens_at": opens, "due_at": ""})
    with app.app_context():
        scenario_aid, quiz_aid = db.session.scalars(sa.select(Assignment.id).order_by(Assignment.id)).all()
    student = login_as("student", "drill@example.test", "Drill Student")
    student.post("/progress/classes", {"code": code})
    data = answer_for(app, slug)
    data["assignment"] = str(scenario_aid)
    submit(student, slug, data)
    page = student.get(f"/quizzes/{quiz_id}?assignment={quiz_aid}").get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    student.post(f"/quizzes/{quiz_id}", {"token": token, "version": version, "assignment": str(quiz_aid)},
                 token_from=f"/quizzes/{quiz_id}")
    with app.app_context():
        scenario_attempt = db.session.scalar(sa.select(ScenarioAttempt.id))
        quiz_attempt = db.session.scalar(sa.select(QuizAttempt.id))
    other = login_as("instructor", "teach3@example.test")
    for kind, attempt_id in (("scenario", scenario_attempt), ("quiz", quiz_attempt)):
        page = teacher.get(f"/instructor/attempts/{kind}/{attempt_id}")
        assert page.status_code == 200 and "Drill Student" in page.get_data(as_text=True)
        assert "Try again" not in page.get_data(as_text=True)
        assert other.get(f"/instructor/attempts/{kind}/{attempt_id}").status_code == 404
        assert student.get(f"/instructor/attempts/{kind}/{attempt_id}").status_code == 403
    assert teacher.get(f"/instructor/attempts/nonsense/{quiz_attempt}").status_code == 404


def test_dashboard_shows_mastery_by_denial_category(app, login_as):
    from tests.integration.test_scenarios import all_slugs, answer_for, submit
    student = login_as("student", "denials@example.test")
    slug = all_slugs(app)[0]
    assert submit(student, slug, answer_for(app, slug)).status_code == 302
    page = student.get("/progress/").get_data(as_text=True)
    assert "Denials:" in page or "Payments and patient responsibility" in page


@pytest.mark.parametrize("carcs, status, expected", [
    ([], "rejected", ["denials:front-end"]),                 # an acknowledgment: no CARCs, front-end by status
    (["16"], "denied", ["denials:eligibility"]),             # CO-16 with MA04: a secondary claim without the primary
    (["22"], "denied", ["denials:eligibility"]),
    (["4", "45", "1"], "partially_paid", ["denials:coding", "denials:payment"]),
])
def test_denial_categories_for_the_dashboard(carcs, status, expected):
    from app.services.progress import denial_categories

    assert [key for key, _name in denial_categories(carcs, status)] == expected
