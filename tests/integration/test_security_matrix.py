"""Attack tests generated from the URL map: every GET route x six kinds of visitor (roles and
ownership), every state-changing route without a CSRF token, and answer keys absent before submission."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import CsrfClient

PASSWORD = "correct horse battery"
VISITORS = ("anonymous", "student_a", "student_b", "instructor_a", "instructor_b", "admin")

#: pages anyone may read (prefixes); everything else must hold no surprise for the wrong visitor
PUBLIC = ("/", "/healthz", "/lessons/", "/role-fit/", "/codebook/", "/api/codes", "/static/", "/auth/login",
          "/auth/register")


# --------------------------------------------------------------------------- the world

@pytest.fixture
def world(app, make_user):
    """Two students, two instructors, an admin; a class of instructor A (student A enrolled) with an
    assignment; attempts of student A at a case, a claim scenario, a quiz of instructor A and an exam."""
    from app.extensions import db
    from app.models import (ClaimScenario, CodingCase, ExamBlueprint, Lesson, QuizAttempt, ScenarioAttempt)
    from app.models.users import utcnow
    from app.services import cases as case_service
    from app.services import classes as class_service
    from app.services import exams as exam_service
    from app.services import quizzes as quiz_service

    ids = {}
    for who, role in (("student_a", "student"), ("student_b", "student"), ("instructor_a", "instructor"),
                      ("instructor_b", "instructor"), ("admin", "admin")):
        ids[who] = make_user(f"{who.replace('_', '.')}@example.test", PASSWORD, role, who.replace("_", " ").title())
    with app.app_context():
        case = db.session.scalar(sa.select(CodingCase).order_by(CodingCase.id).limit(1))
        scenario = db.session.scalar(sa.select(ClaimScenario).order_by(ClaimScenario.id).limit(1))
        lesson = db.session.scalar(sa.select(Lesson).order_by(Lesson.id).limit(1))
        blueprint = db.session.scalar(sa.select(ExamBlueprint).order_by(ExamBlueprint.id).limit(1))
        classroom = class_service.create_class(ids["instructor_a"], "Coding I")
        class_service.join_class(ids["student_a"], classroom.join_code)
        assignment = class_service.create_assignment(classroom, "case", case.slug, utcnow() - timedelta(minutes=5),
                                                     utcnow() + timedelta(days=7))
        case_attempt = case_service.submit_attempt(ids["student_a"], case, {"diagnoses": ["E11.9"], "procedures": []},
                                                   "tok-case", assignment_id=assignment.id)
        scen_attempt = ScenarioAttempt(user_id=ids["student_a"], scenario_id=scenario.id, submission_token="tok-s",
                                       key_version=scenario.key_version, causes=[], action="correct", details={},
                                       score=0.0, cause_score=0.0, action_score=0.0, claim_score=0.0, feedback=[])
        quiz = quiz_service.create_quiz(ids["instructor_a"], "Security drill", "Answer **all**.", questions=[
            {"type": "truefalse", "prompt": "Is E11.9 a code?", "points": 1, "answer": True, "feedback": "Yes."}])
        quiz.published_number = 1
        db.session.add(scen_attempt)
        db.session.commit()
        version = quiz_service.latest_version(quiz)
        quiz_attempt = QuizAttempt(user_id=ids["student_a"], quiz_id=quiz.id, version_id=version.id,
                                   submission_token="tok-q", answers=[None], results=[{"points": 0, "max_points": 1,
                                                                                       "correct": False}],
                                   score=0.0, points=0.0, max_points=1.0)
        db.session.add(quiz_attempt)
        db.session.commit()
        exam_attempt = exam_service.start_attempt(ids["student_a"], blueprint, "tok-exam")
        ids.update(case_slug=case.slug, scenario_slug=scenario.slug, lesson_slug=lesson.slug,
                   exam_slug=blueprint.slug, class_id=classroom.id, assignment_id=assignment.id,
                   case_attempt=case_attempt.id, scenario_attempt=scen_attempt.id, quiz_id=quiz.id,
                   quiz_attempt=quiz_attempt.id, exam_attempt=exam_attempt.id)
    clients = {"anonymous": CsrfClient(app)}
    for who in VISITORS[1:]:
        c = CsrfClient(app)
        assert c.login(f"{who.replace('_', '.')}@example.test", PASSWORD).status_code == 302
        clients[who] = c
    return ids, clients


def _value(rule, arg: str, ids: dict) -> str:
    """A value for one URL parameter that names a row that exists."""
    endpoint = rule.endpoint
    if arg == "slug":
        if endpoint.startswith("cases."):
            return ids["case_slug"]
        if endpoint.startswith("scenarios."):
            return ids["scenario_slug"]
        if endpoint.startswith("lessons."):
            return ids["lesson_slug"]
        if endpoint.startswith("exams."):
            return ids["exam_slug"]
    if arg == "attempt_id":
        return str({"cases": ids["case_attempt"], "scenarios": ids["scenario_attempt"], "quizzes": ids["quiz_attempt"],
                    "exams": ids["exam_attempt"], "instructor": ids["case_attempt"]}[endpoint.split(".")[0]])
    simple = {"class_id": ids["class_id"], "assignment_id": ids["assignment_id"], "student_id": ids["student_a"],
              "quiz_id": ids["quiz_id"], "number": 1, "n": 1, "card_id": 1, "system": "icd10cm", "code": "E11.9",
              "filename": "css/site.css", "kind": "case"}
    return str(simple.get(arg, 1))


def _url(rule, ids) -> str:
    path = rule.rule
    for arg in rule.arguments:
        path = re.sub(r"<(?:[^:<>]+:)?%s>" % arg, _value(rule, arg, ids), path)
    return path


def _get_rules(app):
    return [r for r in app.url_map.iter_rules() if "GET" in r.methods]


def _is_public(path: str) -> bool:
    return any(path == p or (p.endswith("/") and p != "/" and path.startswith(p)) for p in PUBLIC) or \
        path.startswith("/api/codes")


def _instructor_only(rule) -> bool:
    return rule.endpoint.startswith("instructor.") or rule.rule.startswith("/quizzes/manage")


def _student_owned_attempt(rule) -> bool:
    return rule.endpoint in {"cases.attempt", "scenarios.attempt", "quizzes.attempt", "exams.attempt",
                             "exams.submit", "exams.results"}


def _class_page(rule) -> bool:
    return rule.endpoint.startswith("instructor.") and rule.arguments


def _own_quiz_page(rule) -> bool:
    return rule.rule.startswith("/quizzes/manage/<")


def test_the_matrix_covers_every_get_route(app):
    rules = _get_rules(app)
    assert len(rules) >= 40  # generated from the URL map, not a hand list
    assert any(_instructor_only(r) for r in rules) and any(_student_owned_attempt(r) for r in rules)


def test_role_and_ownership_matrix(app, world):
    ids, clients = world
    unexpected, seen = [], 0
    for rule in _get_rules(app):
        url = _url(rule, ids)
        for who in VISITORS:
            resp = clients[who].get(url)
            seen += 1
            code = resp.status_code
            where = f"{who} GET {url} -> {code}"
            if code >= 500:
                unexpected.append(where + " (server error)")
                continue
            if _instructor_only(rule):
                if who == "anonymous" and not (code == 302 and "/auth/login" in resp.headers.get("Location", "")):
                    unexpected.append(where + " (anonymous should be sent to log in)")
                if who.startswith("student") and code != 403:
                    unexpected.append(where + " (student should get 403)")
            if _class_page(rule) and who == "instructor_b" and code != 404:
                unexpected.append(where + " (another instructor's class should be 404)")
            if _own_quiz_page(rule) and who == "instructor_b" and code != 404:
                unexpected.append(where + " (another instructor's quiz should be 404)")
            if _student_owned_attempt(rule):
                if who in ("student_b", "instructor_a", "instructor_b") and code != 404:
                    unexpected.append(where + " (another user's attempt should be 404)")
                if who == "anonymous" and code < 300:
                    unexpected.append(where + " (anonymous saw an attempt)")
                if who == "student_a" and code >= 400:
                    unexpected.append(where + " (the owner should see the attempt)")
            if who == "anonymous" and code == 200 and not _is_public(url) and not _public_content(rule):
                unexpected.append(where + " (anonymous reached a private page)")
    assert seen >= 6 * 40
    assert unexpected == [], "\n".join(unexpected)


def _public_content(rule) -> bool:
    """Catalogue pages readable without an account (lesson pages, case/scenario/quiz/exam listings)."""
    return rule.endpoint in {"lessons.lesson", "codebook.code", "cases.index", "cases.case", "scenarios.index",
                             "scenarios.scenario", "scenarios.eligibility", "scenarios.lab", "quizzes.index",
                             "quizzes.take", "exams.index", "rolefit.latest", "api.code", "main.healthz"}


def test_owner_and_own_instructor_reach_their_pages(app, world):
    ids, clients = world
    assert clients["instructor_a"].get(f"/instructor/classes/{ids['class_id']}").status_code == 200
    attempt_rules = [r for r in app.url_map.iter_rules()
                     if r.endpoint.startswith("instructor.") and "attempt_id" in r.arguments]
    assert attempt_rules
    for rule in attempt_rules:  # the class's instructor sees the student's assignment attempt
        assert clients["instructor_a"].get(_url(rule, ids)).status_code == 200, rule.rule
    assert clients["instructor_a"].get(f"/quizzes/manage/{ids['quiz_id']}").status_code == 200
    assert clients["student_a"].get(f"/cases/{ids['case_slug']}/attempts/{ids['case_attempt']}").status_code == 200


# --------------------------------------------------------------------------- CSRF

def _mutating_rules(app):
    return [r for r in app.url_map.iter_rules() if r.methods & {"POST", "PUT", "PATCH", "DELETE"}]


def _row_counts(app) -> dict[str, int]:
    from app.extensions import db
    with app.app_context():
        meta = sa.MetaData()
        meta.reflect(bind=db.engine)
        with db.engine.connect() as conn:
            return {t: conn.execute(sa.select(sa.func.count()).select_from(meta.tables[t])).scalar()
                    for t in sorted(meta.tables) if t not in ("auth_sessions",)}


def test_every_state_changing_route_refuses_a_missing_csrf_token(app, world):
    ids, clients = world
    rules = _mutating_rules(app)
    assert len(rules) >= 20
    before = _row_counts(app)
    failures = []
    for rule in rules:
        url = _url(rule, ids)
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            for who in ("student_a", "instructor_a", "admin"):
                raw = clients[who].client
                form = raw.open(url, method=method, data={"name": "x", "revision": "1", "token": "t"})
                as_json = raw.open(url, method=method, json={"position": 1, "choice": 0})
                for kind, resp in (("form", form), ("json", as_json)):
                    if resp.status_code != 400 or not (b"Form expired" in resp.data or b"security token" in resp.data):
                        failures.append(f"{who} {method} {url} ({kind}) -> {resp.status_code}")
    assert failures == [], "\n".join(failures)
    assert _row_counts(app) == before


def test_a_wrong_csrf_header_is_refused_on_the_json_autosave(app, world):
    ids, clients = world
    raw = clients["student_a"].client
    resp = raw.post(f"/exams/attempts/{ids['exam_attempt']}/answers", json={"position": 1, "choice": 0},
                    headers={"X-CSRFToken": "forged"})
    assert resp.status_code == 400


# --------------------------------------------------------------------------- answer keys

def _strings_under(data, key: str) -> list[str]:
    found = []
    if isinstance(data, dict):
        for k, v in data.items():
            if k == key and isinstance(v, str) and len(v.strip()) > 30:  # short ones may quote the chart
                found.append(v.strip())
            else:
                found.extend(_strings_under(v, key))
    elif isinstance(data, list):
        for v in data:
            found.extend(_strings_under(v, key))
    return found


def test_no_case_page_shows_its_key_rationales_before_submission(app, make_user):
    from app.extensions import db
    from app.models import CodingCase
    make_user("coder@example.test", PASSWORD)
    student = CsrfClient(app)
    student.login("coder@example.test", PASSWORD)
    with app.app_context():
        cases = [(c.slug, c.answer_key) for c in db.session.scalars(sa.select(CodingCase))]
    assert cases
    checked = 0
    for slug, key in cases:
        rationales = _strings_under(key, "rationale")
        for client in (student, CsrfClient(app)):
            html = client.get(f"/cases/{slug}").get_data(as_text=True)
            for text in rationales:
                assert text not in html, f"{slug}: rationale shown before submission"
                checked += 1
    assert checked > 0


def test_scenario_page_hides_its_expected_answer(app, make_user):
    from app.extensions import db
    from app.models import ClaimScenario
    from app.services.scenarios import expected_answer
    make_user("coder@example.test", PASSWORD)
    student = CsrfClient(app)
    student.login("coder@example.test", PASSWORD)
    with app.app_context():
        scenarios = list(db.session.scalars(sa.select(ClaimScenario)))
        texts = [(s.slug, _strings_under(expected_answer(s), "rationale") + _strings_under(s.__dict__, "rationale"))
                 for s in scenarios]
    assert sum(len(r) for _, r in texts) >= len(texts)  # something to look for on every page
    for slug, rationales in texts:
        html = student.get(f"/claims/{slug}").get_data(as_text=True)
        for text in rationales:
            assert text not in html, f"{slug}: rationale shown before submission"


def test_exam_item_page_hides_the_key_and_rationale(app, make_user):
    from app.extensions import db
    from app.models import ExamAttempt, ExamQuestion
    make_user("coder@example.test", PASSWORD)
    student = CsrfClient(app)
    student.login("coder@example.test", PASSWORD)
    slug = student.get("/exams/").get_data(as_text=True)
    slug = re.search(r'action="/exams/([^/"]+)/start"', slug).group(1)
    resp = student.post(f"/exams/{slug}/start", {"token": "t-1"}, token_from="/exams/")
    assert resp.status_code in (302, 303), resp.status_code
    with app.app_context():
        attempt = db.session.scalar(sa.select(ExamAttempt))
        first = db.session.scalar(sa.select(ExamQuestion).where(ExamQuestion.qid == attempt.items[0]["q"]))
        rationale = (first.rationale or "").strip() if hasattr(first, "rationale") else ""
        attempt_id = attempt.id
    html = student.get(f"/exams/attempts/{attempt_id}").get_data(as_text=True)
    assert first.stem.split("\n")[0][:40] in html or "question" in html.lower()
    if rationale:
        assert rationale not in html
    assert 'data-answer' not in html and 'data-correct' not in html


# --------------------------------------------------------------------------- fuzzed form posts

FIELD_NAMES = ("name", "title", "instructions", "token", "revision", "assignment", "kind", "ref", "opens_at",
               "due_at", "code", "email", "password", "confirm", "dx_1", "px_code_1", "px_units_1", "px_mod_1",
               "choice", "flagged", "quality", "exam_date", "causes", "action", "other_payer", "filing_proof",
               "payer", "claim", "q", "answer", "answers", "type", "prompt", "points", "feedback",
               "choices-0-text", "choices-0-correct", "key_diagnoses", "key_procedures", "format", "file", "version",
               "position", "delta", "go", "next", "lines-0-code", "lines-0-units", "lines-0-charge")


def _junk(rng) -> str:
    pick = rng.randrange(10)
    if pick == 0:
        return ""
    if pick == 1:
        return str(rng.choice([-1, 0, 1, 2, 10**12, -(10**18), 3.5]))
    if pick == 2:
        return "x" * rng.choice([200, 5000, 70000])
    if pick == 3:
        return rng.choice(["\x00", "\ud7ff", "𝔘𝔫𝔦", "' OR 1=1 --", "<script>", "../../etc/passwd", "%00"])
    # (non-finite or huge amounts such as "NaN", "inf", "1e999" have their own test below: a known 500)
    if pick == 4:
        return rng.choice(["2026-13-45T25:61", "9999-12-31T23:59", "0001-01-01T00:00", "2026-02-30"])
    if pick == 5:
        return rng.choice(["E11.9", "99214", "I10", "Z00.00", "E11.9, I10", "-25", "J3490"])
    return "".join(rng.choice("abcXYZ019 .,-_/\\<>\"'&;%\n\t") for _ in range(rng.randrange(1, 40)))


def test_a_thousand_fuzzed_form_posts_cause_no_server_error(app, world):
    import random

    ids, clients = world
    rng = random.Random(20261127)
    rules = [r for r in _mutating_rules(app) if r.endpoint != "auth.logout"]
    tokens = {who: clients[who].token("/lessons/") for who in ("student_a", "instructor_a", "admin")}
    errors, sent = [], 0
    while sent < 1000:
        rule = rng.choice(rules)
        who = rng.choice(list(tokens))
        url = _url(rule, ids) + rng.choice(["", "", "?assignment=1", "?type=code", "?assignment=%00"])
        data = {name: _junk(rng) for name in rng.sample(FIELD_NAMES, rng.randrange(1, 12))}
        data["csrf_token"] = tokens[who]
        resp = clients[who].client.post(url, data=data)
        sent += 1
        if resp.status_code >= 500:
            errors.append(f"{who} POST {url} {sorted(data)} -> {resp.status_code}")
    assert errors == [], "\n".join(errors[:20])


@pytest.mark.parametrize("amount", ["NaN", "inf", "-Infinity", "sNaN", "1e999999", "99999999999999999999999999999"])
@pytest.mark.parametrize("field", ["lines-0-charge", "other_payer_paid"])
def test_a_non_finite_amount_is_refused_not_a_server_error(app, world, amount, field):
    ids, clients = world
    student = clients["student_a"]
    url = f"/claims/{ids['scenario_slug']}"
    resp = student.post(url, {"token": "fuzz-1", "action": "correct", field: amount}, token_from=url)
    assert resp.status_code == 422
    assert "Enter an amount such as 150.00." in resp.get_data(as_text=True)


@pytest.mark.parametrize("amount", ["NaN", "1e999999"])
def test_a_non_finite_amount_in_the_claim_lab_is_refused_not_a_server_error(app, world, amount):
    ids, clients = world
    resp = clients["student_a"].post("/claims/lab", {"lines-0-code": "99213", "lines-0-charge": amount})
    assert resp.status_code == 422
    assert "Enter an amount such as 150.00." in resp.get_data(as_text=True)
