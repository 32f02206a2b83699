"""Attack tests generated from the URL map: every GET route x six kinds of visitor (roles and
ownership), every state-changing route without a CSRF token, answer keys absent before submission, and
every state-changing route fuzzed with hypothesis (over 1,000 posts, no server error)."""
from __future__ import annotations

import io
import logging
import re
import tempfile
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from werkzeug.exceptions import HTTPException

from tests.conftest import ROOT, CsrfClient

# Hypothesis keeps caches (unicode data, constants) even with database=None: outside the repository.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "chart-to-claim-hypothesis")

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
    from app.clock import utcnow
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
        # class-only (not site-wide practice): student A sees it through the class, student B does not
        class_service.create_assignment(classroom, "quiz", str(quiz.id), utcnow() - timedelta(minutes=5), None)
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
                   quiz_attempt=quiz_attempt.id, exam_attempt=exam_attempt.id, join_code=classroom.join_code)
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


def _key_codes(key) -> set[str]:
    """Every code of a case key and its accepted alternatives, dotted and undotted."""
    codes = set()
    for entry in (key.get("diagnoses") or []) + (key.get("procedures") or []):
        for code in [entry.get("code")] + list(entry.get("accept") or []):
            if code:
                codes |= {str(code), str(code).replace(".", "")}
    return codes


def test_no_case_page_names_a_key_code_anywhere_before_submission(app, make_user):
    """Not in the text, not in a data attribute, not in a script: the pre-submit page is free of the key."""
    from app.extensions import db
    from app.models import CodingCase
    make_user("coder@example.test", PASSWORD)
    student = CsrfClient(app)
    student.login("coder@example.test", PASSWORD)
    with app.app_context():
        cases = [(c.slug, c.answer_key) for c in db.session.scalars(sa.select(CodingCase))]
    assert len(cases) >= 60
    for slug, key in cases:
        html = student.get(f"/cases/{slug}").get_data(as_text=True)
        assert 'name="diagnoses' in html or "diagnos" in html.lower()   # the answer form is on the page
        for code in _key_codes(key):
            assert not re.search(rf"(?<![A-Za-z0-9.]){re.escape(code)}(?![0-9A-Za-z])", html), \
                f"{slug}: key code {code} appears in the page before submission"


def test_exam_item_page_hides_the_key_and_rationale(app, make_user):
    from markupsafe import escape

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
        attempt_id, items = attempt.id, attempt.items
        questions = {q.qid: q for q in db.session.scalars(sa.select(ExamQuestion))}
    checked = 0
    for position, item in enumerate(items[:12]):
        q = questions[item["q"]]
        html = student.get(f"/exams/attempts/{attempt_id}?item={position + 1}").get_data(as_text=True)
        if str(escape(q.stem.strip().split("\n")[0][:60])) not in html:
            continue  # the page shows another position: only check pages known to show this item
        for choice in q.choices:  # no option's rationale before submission
            assert str(escape(choice["why"].strip())) not in html
        options = re.search(r'<ol class="options"[^>]*>(.*?)</ol>', html, re.S).group(1)
        shown = re.findall(r"<li>.*?</li>", options, re.S)
        assert len(shown) == len(q.choices)
        # every option's markup is the same apart from its text and its index: no class, attribute or
        # marker sets the right one apart
        shapes = set()
        for li in shown:
            text = re.sub(r"<[^>]+>", "", li).strip()
            shapes.add(re.sub(r'value="\d+"', 'value="N"', li).replace(text, "TEXT"))
        assert len(shapes) == 1, shapes
        for marker in ("data-answer", "data-correct", "correct", "is-answer", "right-answer"):
            assert marker not in options
        checked += 1
    assert checked >= 3


# --------------------------------------------------------------------------- fuzzed form posts (hypothesis)
#
# Every state-changing route of the URL map gets EXAMPLES_PER_ROUTE posts generated by hypothesis, each
# with a valid CSRF token so it reaches the view. The fields are the route's real forms, read from the
# pages that show them (inputs, selects, textareas, buttons, with the values the page offers), plus
# stray fields; the values mix the offered ones with tricky text. No response may be a server error
# (an exception in a view fails the test with its traceback: TESTING propagates exceptions), and
# nothing may be logged at ERROR.

#: posts per route: 27 fuzzed routes x 40 = 1,080 a run (derandomised: the same posts every run)
EXAMPLES_PER_ROUTE = 40
#: logging out ends the session every later example posts with, and it has no field to fuzz
NOT_FUZZED = {"auth.logout"}
#: routes that take JSON (the exam page's autosave), with the keys exams.js sends
JSON_KEYS = {"exams.autosave": ("position", "choice", "flagged")}

#: stray field names (the names of other forms of the site), sent beside a route's own fields
FIELD_NAMES = ("name", "title", "instructions", "token", "revision", "assignment", "kind", "ref", "opens_at",
               "due_at", "code", "email", "password", "confirm", "dx_1", "px_code_1", "px_units_1", "px_mod_1",
               "choice", "flagged", "quality", "exam_date", "causes", "action", "other_payer", "filing_proof",
               "payer", "claim", "q", "answer", "answers", "type", "prompt", "points", "feedback",
               "choices-0-text", "choices-0-correct", "key_diagnoses", "key_procedures", "format", "file", "version",
               "position", "delta", "go", "next", "lines-0-code", "lines-0-units", "lines-0-charge",
               "other_payer_paid")

NUMBERS = ("0", "-0", "-0.0", "+1", "-1", "-99", "1.5", "007", "1_000", "0x1F", "1e3", " 7 ", "NaN", "nan", "-nan",
           "sNaN", "inf", "Infinity", "-Infinity", "1e999999", "-1e999999", "1e-999999", str(2**31), str(2**63),
           str(-(2**63) - 1), str(10**40), "9" * 5000,  # past INTEGER and BIGINT; past int()'s 4,300 digits
           "²", "¹²", "١٢٣", "Ⅻ", "𝟗")  # digits to str.isdigit() (or \d) that int() refuses or reads
DATES = ("2026-02-30", "2026-02-29", "2024-02-29", "2026-13-01", "0000-00-00", "0001-01-01", "9999-12-31",
         "10000-01-01", "2026-02-30T10:00", "2026-13-45T25:61", "9999-12-31T23:59", "0001-01-01T00:00",
         "2026-03-08T02:30", "2026-11-27T10:00+05:00", "yesterday")
CODES = ("E11.9", "S72.001A", "99213-25", "99213", "99213-25-59", "I10", "Z00.00", "E11.9, I10", "E11.9,,I10",
         "J3490", "0DTJ4ZZ", "-25", "e11.9", " E11.9 ", "E11.", ".9", "XX.X", "99213-", "-", ",", "A B C D E",
         "ABCDEFGHIJKLM", "25 59 76 77 91")
TEXTS = ("", " ", "\x00", "a\x00b", "E11.9\x00", "' OR 1=1 --", "\"; DROP TABLE users; --",
         "<script>alert(1)</script>", "{{7*7}}", "../../etc/passwd", "%00", "%", "\\", "\u202e", "\ufeff",
         "\r\n", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "🩺" * 10, "null", "None", "true", "[]", "{}", "on", "off", "yes")
TRICKY = NUMBERS + DATES + CODES + TEXTS
QUERY_SUFFIXES = ("", "", "", "?assignment=1", "?assignment=%00", "?assignment=99999999999999999999",
                  "?type=code", "?item=-1", "?next=//evil.example")


def _long(text: str, n: int) -> str:
    return text * n


_text_values = st.one_of(
    st.sampled_from(NUMBERS),
    st.sampled_from(DATES),
    st.sampled_from(CODES),
    st.sampled_from(TEXTS),
    st.text(max_size=30),  # any unicode, NUL included
    st.integers().map(str),  # unbounded: huge and negative
    st.integers(-3, 300).map(str),
    st.floats().map(repr),  # nan, inf, -0.0, 1e+308
    st.decimals().map(str),  # sNaN, Infinity, 1E+999
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat(timespec="minutes")),
    st.from_regex(r"[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?", fullmatch=True),  # ICD-10-CM shaped
    st.from_regex(r"[0-9]{4}[0-9FTU](-[0-9A-Z]{2}){0,2}", fullmatch=True),  # CPT shaped, with modifiers
    st.builds(_long, st.sampled_from(["x", "9", "é", "\x00", " "]), st.sampled_from([256, 4097, 70_000])),
    st.builds(_long, st.sampled_from(["E11.9, ", "99213-25 ", "<b>"]), st.sampled_from([50, 2000])),
)

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.sampled_from(TRICKY) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6)

_SITE_QUIZZES = sorted((ROOT / "content" / "quizzes").glob("*.yml"))


@st.composite
def _upload(draw):
    """A file for a file input: bytes, text, a YAML/GIFT/Aiken template filled with junk, or a site quiz
    file as it is or with one line broken."""
    kind = draw(st.sampled_from(["bytes", "text", "yaml", "gift", "aiken", "site"]))
    v = lambda: draw(_text_values)  # noqa: E731
    if kind == "bytes":
        content = draw(st.binary(max_size=600))
    elif kind == "text":
        content = draw(st.text(max_size=300)).encode("utf-8", "surrogatepass")
    elif kind == "yaml":
        qtype = draw(st.sampled_from(["single", "multiple", "truefalse", "short", "code", "case", "scenario", v()]))
        content = (f"title: {v()}\nquestions:\n- type: {qtype}\n"
                   f"  prompt: {v()}\n  points: {v()}\n  answer: {v()}\n  answers: [{v()}]\n"
                   f"  choices:\n  - text: {v()}\n    correct: {v()}\n  key: {{diagnoses: [{{code: {v()}}}]}}\n"
                   f"  case: {v()}\n  scenario: {v()}\n").encode("utf-8", "surrogatepass")
    elif kind == "gift":
        content = f"::{v()}:: {v()} {{ ={v()} ~{v()} }}\n\n{v()} {{{v()}}}\n".encode("utf-8", "surrogatepass")
    elif kind == "aiken":
        content = f"{v()}\nA. {v()}\nB) {v()}\nANSWER: {v()}\n".encode("utf-8", "surrogatepass")
    else:
        lines = draw(st.sampled_from(_SITE_QUIZZES)).read_text(encoding="utf-8").splitlines()
        i = draw(st.integers(-1, len(lines) - 1))  # -1: the file as it is
        if i >= 0:
            key = lines[i].split(":", 1)[0] if ":" in lines[i] else lines[i]
            lines[i] = f"{key}: {draw(st.sampled_from([v(), repr(v())]))}"
        content = "\n".join(lines).encode("utf-8", "surrogatepass")
    name = draw(st.sampled_from(["quiz.yml", "quiz.yaml", "quiz.gift", "quiz.txt", "quiz", "", "../../x.yml",
                                 "ü 🩺.yml", "a\x00.yml", "x" * 300 + ".yml"]))
    return content, name


class _Forms(HTMLParser):
    """The POST forms of a page: (action, {field: [values the page offers]}, {file fields})."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: list | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get").lower(), "fields": {},
                          "files": set()}
            self.forms.append(self._form)
            return
        if tag == "option" and self._select is not None and "value" in a and a["value"] not in self._select:
            self._select.append(a["value"])
        name = a.get("name")
        if self._form is None or not name or name == "csrf_token" or tag not in ("input", "button", "select",
                                                                                 "textarea"):
            return
        values = self._form["fields"].setdefault(name, [])
        if tag in ("input", "button"):
            if a.get("type", "").lower() == "file":
                self._form["files"].add(name)
                del self._form["fields"][name]
            elif a.get("value") and a["value"] not in values:
                values.append(a["value"])
        elif tag == "select":
            self._select = values

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _page_forms(client, url: str) -> list[dict]:
    resp = client.get(url)
    if resp.status_code != 200 or resp.mimetype != "text/html":
        return []
    parser = _Forms()
    parser.feed(resp.get_data(as_text=True))
    forms = [f for f in parser.forms if f["method"] == "post"]
    for form in forms:
        form["action"] = form["action"] or url
    return forms


def _endpoint_of(app, action: str) -> str | None:
    split = urlsplit(action)
    try:
        endpoint, _ = app.url_map.bind("localhost").match(split.path, method="POST")
    except HTTPException:
        return None
    return endpoint


#: endpoint -> the (page endpoint, visitor) pairs whose page holds a form posting to it; one crawl per process
_FORM_PAGES: dict[str, set[tuple[str, str]]] = {}


def _form_pages(app, ids, clients) -> dict[str, set[tuple[str, str]]]:
    if not _FORM_PAGES:
        for rule in _get_rules(app):
            if rule.endpoint == "static":
                continue
            for who in ("anonymous", "student_a", "instructor_a", "admin"):
                for form in _page_forms(clients[who], _url(rule, ids)):
                    endpoint = _endpoint_of(app, form["action"])
                    if endpoint:
                        _FORM_PAGES.setdefault(endpoint, set()).add((rule.endpoint, who))
    return _FORM_PAGES


def _route_forms(app, endpoint: str, ids, clients) -> list[dict]:
    """This world's forms posting to ``endpoint`` (fresh hidden values: tokens, revisions, ids), each
    with the visitor whose page showed it."""
    rules = {r.endpoint: r for r in _get_rules(app)}
    forms = []
    for page, who in sorted(_form_pages(app, ids, clients).get(endpoint, ())):
        for form in _page_forms(clients[who], _url(rules[page], ids)):
            if _endpoint_of(app, form["action"]) == endpoint:
                forms.append({**form, "who": who})
    return forms


def _field_values(offered: list[str], known: list[str]):
    """Values for one field: what the page offers, this world's slugs, ids and codes, junk; or a list of
    them (the field sent repeatedly)."""
    one = st.one_of(st.sampled_from(offered or known), st.sampled_from(known), _text_values)
    return st.one_of(one, one, st.lists(one, min_size=2, max_size=3))


@st.composite
def _posts(draw, endpoint: str, forms: list[dict], default_url: str, owner: str, known: list[str]):
    """One post to ``endpoint``: who sends it, the URL, and a form (or JSON) body."""
    generic = {"action": default_url, "fields": {}, "files": set(), "who": owner}
    form = draw(st.sampled_from(forms + [generic]))
    who = draw(st.sampled_from([form["who"]] * 6 + list(VISITORS)))  # mostly someone the page was for
    url = form["action"] + draw(st.sampled_from(QUERY_SUFFIXES)).replace("?", "&" if "?" in form["action"] else "?")
    as_json = draw(st.integers(0, 7)) > 0 if endpoint in JSON_KEYS else draw(st.integers(0, 15)) == 0
    if as_json:
        keys = JSON_KEYS.get(endpoint, ()) + tuple(sorted(form["fields"]))
        body = draw(st.fixed_dictionaries({}, optional={
            k: st.one_of(st.integers(-2, 120), _json_values) for k in keys}))
        body.update(draw(st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=10), _json_values,
                                         max_size=2)))
        return {"who": who, "url": url, "json": body}
    names = sorted(form["fields"])
    mode = draw(st.sampled_from(["near-valid", "all", "some"]))
    data = {}
    if mode == "near-valid":  # what the page offers, one or two fields broken: reaches the code behind validation
        for name in names:
            data[name] = draw(st.sampled_from(form["fields"][name] or known) | _text_values)
        for name in draw(st.lists(st.sampled_from(names), max_size=2)) if names else ():
            data[name] = draw(_text_values)
    else:  # every field or some, each from anywhere
        for name in names:
            if mode == "all" or draw(st.booleans()):
                data[name] = draw(_field_values(form["fields"][name], known))
    for name in draw(st.lists(st.sampled_from(FIELD_NAMES) | st.text(max_size=12), max_size=4)):
        data.setdefault(name, draw(_field_values([], known)))
    files = {name: draw(_upload()) for name in sorted(form["files"]) if mode != "some" or draw(st.booleans())}
    return {"who": who, "url": url, "data": data, "files": files}


class _ErrorLog(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def _state_changing_endpoints() -> list[str]:
    """Read from the URL map of an app built for the purpose (parametrize runs before any fixture)."""
    from app import create_app
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "collect"})
    return sorted({r.endpoint for r in _mutating_rules(app)})


FUZZED = [e for e in _state_changing_endpoints() if e not in NOT_FUZZED]


def test_every_state_changing_route_is_fuzzed(app):
    assert FUZZED == sorted({r.endpoint for r in _mutating_rules(app)} - NOT_FUZZED)
    assert len(FUZZED) * EXAMPLES_PER_ROUTE >= 1000


@pytest.mark.parametrize("endpoint", FUZZED)
def test_fuzzed_form_posts_cause_no_server_error(app, world, monkeypatch, endpoint):
    ids, clients = world
    # the register form's 10 an hour would end its fuzzing at 10
    monkeypatch.setitem(app.config, "REGISTRATIONS_PER_IP", 10**6)
    rule = next(r for r in _mutating_rules(app) if r.endpoint == endpoint)
    forms = _route_forms(app, endpoint, ids, clients)
    tokens = {who: clients[who].token("/lessons/") for who in VISITORS[1:]}
    errors = _ErrorLog()
    sent = []
    owner = "instructor_a" if _instructor_only(rule) or "/manage" in rule.rule else "student_a"
    known = sorted({str(v) for v in ids.values()} | {"E11.9", "99213", "25", "1"})

    @settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(post=_posts(endpoint, forms, _url(rule, ids), owner, known))
    def post_once(post):
        who = post["who"]
        environ = {}
        if who == "anonymous":  # a fresh visitor each time (a fuzzed registration may log it in), from its
            client = CsrfClient(app)  # own address (failed logins are limited per address)
            token = client.token("/auth/login")
            environ["REMOTE_ADDR"] = f"10.0.{len(sent) // 250 % 256}.{len(sent) % 250 + 1}"
        else:
            client, token = clients[who], tokens[who]
        if "json" in post:
            resp = client.client.post(post["url"], json=post["json"], headers={"X-CSRFToken": token},
                                      environ_base=environ)
        else:
            data = {**post["data"], **{k: (io.BytesIO(content), name) for k, (content, name) in post["files"].items()}}
            data["csrf_token"] = token
            resp = client.client.post(post["url"], data=data, environ_base=environ)
        sent.append(resp.status_code)
        assert resp.status_code < 500, f"{who} POST {post['url']} -> {resp.status_code}"
        assert not errors.records, [r.getMessage() for r in errors.records]

    root = logging.getLogger()
    root.addHandler(errors)
    try:
        post_once()
    finally:
        root.removeHandler(errors)
    assert len(sent) >= EXAMPLES_PER_ROUTE


# Server errors the fuzzing found (each was a 500), kept as plain regression tests (few functions: each
# builds the world again).

HUGE = str(10**40)


def test_numbers_in_superscript_or_thousands_of_digits_are_refused(app, world):
    """"²".isdigit() is true but int("²") raises, and int() of over 4,300 digits raises."""
    from app.extensions import db
    from app.models import QuizAttempt
    from app.services import quizzes as quiz_service

    ids, clients = world
    student = clients["student_a"]
    exam = f"/exams/attempts/{ids['exam_attempt']}"
    case, claim = f"/cases/{ids['case_slug']}", f"/claims/{ids['scenario_slug']}"
    with app.app_context():
        quiz = quiz_service.create_quiz(ids["instructor_a"], "Pick one", questions=[
            {"type": "single", "prompt": "Which?", "points": 1, "feedback": "",
             "choices": [{"text": "A", "correct": True}, {"text": "B", "correct": False}]},
            {"type": "multiple", "prompt": "Which ones?", "points": 1, "feedback": "",
             "choices": [{"text": "A", "correct": True}, {"text": "B", "correct": False}]}])
        quiz.published_number, quiz.practice = 1, True
        db.session.commit()
        quiz_id = quiz.id
    for n, number in enumerate(["²", "9" * 5000]):
        resp = student.post(f"{exam}/items/1", {"choice": "", "go": number}, token_from=exam)  # the item to go to
        assert resp.status_code == 302 and resp.headers["Location"].endswith("item=1")
        resp = student.post(case, {"token": f"u-{n}", "dx_1": "E11.9", "px_code_1": "99213", "px_units_1": number})
        assert resp.status_code == 422
        assert "Units must be a whole number from 1 to 999." in resp.get_data(as_text=True)
        resp = student.post(claim, {"token": f"u-{n}", "action": "correct", "lines-0-code": "99213",
                                    "lines-0-charge": "100.00", "lines-0-units": number})
        assert resp.status_code == 422
        assert "Units must be a whole number from 1 to 999." in resp.get_data(as_text=True)
        resp = student.post(f"/quizzes/{quiz_id}", {"token": f"q-{n}", "q0": number, "q1": [number, "0"]})
        assert resp.status_code == 302
        with app.app_context():
            attempt = db.session.scalar(sa.select(QuizAttempt).where(QuizAttempt.quiz_id == quiz_id,
                                                                      QuizAttempt.submission_token == f"q-{n}"))
            assert attempt.answers == [None, [0]]


def test_numbers_past_an_integer_column_are_no_row(app, world):
    """An id past INTEGER went to the database: OverflowError on SQLite, 'integer out of range' on PostgreSQL."""
    ids, clients = world
    student, instructor = clients["student_a"], clients["instructor_a"]
    for page, data in ((f"/cases/{ids['case_slug']}", {"dx_1": "E11.9"}),
                       (f"/claims/{ids['scenario_slug']}", {"action": "correct"}),
                       (f"/quizzes/{ids['quiz_id']}", {"q0": "true"})):
        assert student.get(f"{page}?assignment={HUGE}").status_code == 200, page
        # graded, or (the claim form half filled) shown again with its errors: not a database error
        resp = student.post(page, {"token": f"a-{page}", "assignment": HUGE, **data})
        assert resp.status_code in (302, 303, 422), page
    for url in ("/exams/attempts/{n}", "/quizzes/{n}", f"/cases/{ids['case_slug']}/attempts/{{n}}",
                "/instructor/classes/{n}", "/quizzes/manage/{n}"):
        client = instructor if "instructor" in url or "manage" in url else student
        for n in (HUGE, 2**31):
            assert client.get(url.format(n=n)).status_code == 404, url.format(n=n)
    assert student.post(f"/exams/review/{HUGE}", {"quality": "3"}, token_from="/exams/review").status_code == 404
    resp = instructor.post(f"/quizzes/manage/{ids['quiz_id']}", {"title": "Renamed", "instructions": "",
                                                                 "revision": HUGE})
    assert resp.status_code == 400


def test_a_submission_token_longer_than_its_column_or_with_a_nul_is_refused(app, world):
    """PostgreSQL refuses 65 characters in a String(64) (SQLite stores them) and NUL in any text: 500s there."""
    ids, clients = world
    student = clients["student_a"]  # in the class the world's quiz is assigned to
    for token in ("x" * 65, "\x00"):
        for page, url, data, status in (
                (f"/cases/{ids['case_slug']}", None, {"dx_1": "E11.9"}, 400),
                (f"/claims/{ids['scenario_slug']}", None, {"action": "correct"}, 422 if "x" in token else 400),
                (f"/quizzes/{ids['quiz_id']}", None, {"q0": "true"}, 400),
                ("/exams/", f"/exams/{ids['exam_slug']}/start", {}, 400)):
            resp = student.post(url or page, {"token": token, **data}, token_from=page)
            assert resp.status_code == status, (page, token[:3])
    resp = clients["instructor_a"].post("/quizzes/manage/new", {"title": "Drill\x00", "instructions": ""})
    assert resp.status_code == 400
    assert student.get(f"/cases/{ids['case_slug']}?assignment=%00").status_code == 400


def test_a_json_body_to_a_form_is_refused_and_the_autosave_still_takes_json(app, world):
    """Flask-WTF fills a form from JSON too: a number or a list where text belongs was a 500."""
    ids, clients = world
    instructor, student = clients["instructor_a"], clients["student_a"]
    for url in ("/quizzes/manage/new", "/instructor/classes", "/progress/classes", f"/claims/{ids['scenario_slug']}"):
        token = instructor.token(url)
        for body in ({"title": 1}, {"name": ["a"]}, {"code": {"x": 1}}, {"lines-0-charge": 1}, [1, 2], "text", 7):
            resp = instructor.client.post(url, json=body, headers={"X-CSRFToken": token})
            assert resp.status_code == 415, (url, body)
    page = f"/exams/attempts/{ids['exam_attempt']}"
    resp = student.client.post(f"{page}/answers", json={"position": 0, "choice": 1, "flagged": True},
                               headers={"X-CSRFToken": student.token(page)})
    assert resp.status_code == 200 and resp.get_json()["saved"] is True


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
