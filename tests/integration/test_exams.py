"""Practice exams: start, draw by blueprint, autosave and no-JS save, the server's clock, closing,
results, privacy of the key, and the spaced-review queue fed from exams and coding cases."""
import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from tests import factories


@pytest.fixture
def clock(app, monkeypatch):
    """The site's one clock (app/clock.py), frozen and movable. It moves login sessions too, so
    the student's session is given the days these tests jump (the limits have their own tests)."""
    from app import clock as app_clock
    from app.clock import utcnow

    class Clock:
        now = utcnow()

        def advance(self, **kw):
            self.now += timedelta(**kw)

    c = Clock()
    monkeypatch.setattr(app_clock, "utcnow", lambda: c.now)
    monkeypatch.setitem(app.config, "SESSION_IDLE_TIMEOUT", timedelta(days=400))
    monkeypatch.setitem(app.config, "SESSION_ABSOLUTE_TIMEOUT", timedelta(days=400))
    return c


def start(client, slug="cpc-sprint"):
    html = client.get("/exams/").get_data(as_text=True)
    form = re.search(rf'action="/exams/{slug}/start"[^>]*>\s*<input type="hidden" name="csrf_token" '
                     rf'value="([^"]+)"><input type="hidden" name="token" value="([^"]+)"', html)
    assert form, "no start form for " + slug
    resp = client.client.post(f"/exams/{slug}/start", data={"csrf_token": form.group(1), "token": form.group(2)})
    assert resp.status_code == 302, resp.status_code
    return int(re.search(r"/exams/attempts/(\d+)", resp.headers["Location"]).group(1)), form.groups()


def attempt_row(app, attempt_id):
    from app.extensions import db
    from app.models import ExamAttempt
    with app.app_context():
        row = db.session.get(ExamAttempt, attempt_id)
        db.session.expunge(row)
        return row


def key_of(app):
    from app.extensions import db
    from app.models import ExamQuestion
    with app.app_context():
        return {q.qid: (q.answer, [c["why"] for c in q.choices]) for q in db.session.scalars(sa.select(ExamQuestion))}


def csrf_of(html):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def autosave(client, attempt_id, payload, token=None):
    headers = {"X-CSRFToken": token} if token else {}
    return client.client.post(f"/exams/attempts/{attempt_id}/answers", json=payload, headers=headers)


def page_token(client, attempt_id):
    return csrf_of(client.get(f"/exams/attempts/{attempt_id}").get_data(as_text=True))


# --------------------------------------------------------------------------- blueprints and forms


def test_exam_list_shows_every_blueprint_and_full_forms(app, student):
    html = student.get("/exams/").get_data(as_text=True)
    for title in ("CPC-style practice exam", "CCA-style practice exam", "CBCS-style billing and coding practice exam"):
        assert title in html
    assert "not the real" in html
    # The bank holds enough items for every blueprint, so no page warns of a short form
    # (tests/unit/test_exam_blueprints.py covers what a short bank draws and says).
    cpc = html.split('id="exam-cpc-practice"')[1].split("</article>")[0]
    assert "a form has" not in cpc


def test_start_draws_a_form_by_the_blueprint_without_duplicates(app, student):
    attempt_id, _ = start(student, "cca-practice")
    row = attempt_row(app, attempt_id)
    qids = [i["q"] for i in row.items]
    assert len(qids) == len(set(qids)) == 105
    assert sum(1 for i in row.items if i["unscored"]) == 15
    from collections import Counter
    scored = Counter(i["domain"] for i in row.items if not i["unscored"])
    assert scored["icd10cm"] == 22 and scored["cpt-em"] == 10 and sum(scored.values()) == 90
    assert (row.deadline - row.started_at) == timedelta(hours=2)
    bank = key_of(app)
    assert all(q in bank for q in qids)


def test_cpc_form_is_a_full_100_items_without_repeats(app, student):
    attempt_id, _ = start(student, "cpc-practice")
    row = attempt_row(app, attempt_id)
    qids = [i["q"] for i in row.items]
    assert len(qids) == len(set(qids)) == 100
    assert sum(1 for i in row.items if i["domain"] == "cpt-surgery") == 26
    assert "This form has" not in student.get(f"/exams/attempts/{attempt_id}").get_data(as_text=True)


def test_double_start_opens_one_attempt_and_a_retake_gets_a_different_form(app, student):
    from app.models import ExamAttempt
    first, (csrf, token) = start(student, "cpc-sprint")
    again = student.client.post("/exams/cpc-sprint/start", data={"csrf_token": csrf, "token": token})
    assert again.headers["Location"].endswith(f"/exams/attempts/{first}")
    assert factories.count(app, ExamAttempt) == 1
    tok = page_token(student, first)
    assert student.client.post(f"/exams/attempts/{first}/submit", data={"csrf_token": tok}).status_code == 302
    second, _ = start(student, "cpc-sprint")
    a, b = attempt_row(app, first), attempt_row(app, second)
    assert second != first and a.seed != b.seed
    assert [i["q"] for i in a.items] != [i["q"] for i in b.items]
    # the previous form is drawn last: with a bank this size, most items are new
    assert len({i["q"] for i in a.items} & {i["q"] for i in b.items}) < 10


def test_starting_an_exam_already_open_resumes_it(app, student):
    first, _ = start(student, "cpc-sprint")
    html = student.get("/exams/").get_data(as_text=True)
    assert f'href="/exams/attempts/{first}">Resume' in html


# --------------------------------------------------------------------------- saving answers


def test_autosave_json_and_the_no_js_save_both_store_answers(app, student):
    attempt_id, _ = start(student)
    token = page_token(student, attempt_id)
    resp = autosave(student, attempt_id, {"position": 0, "choice": 2, "flagged": True}, token)
    assert resp.status_code == 200
    data = resp.get_json()
    assert data["saved"] and data["answered"] == 1 and data["flagged"] == 1 and 0 < data["remaining"] <= 30 * 60
    # without JavaScript: the form's "Save and next" button
    resp = student.client.post(f"/exams/attempts/{attempt_id}/items/2",
                               data={"csrf_token": token, "choice": "1", "go": "next"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/exams/attempts/{attempt_id}?item=3")
    html = student.get(f"/exams/attempts/{attempt_id}?item=1").get_data(as_text=True)
    assert 'value="2" checked' in html and 'name="flagged" value="1" checked' in html
    assert html.count("map-item answered") == 2 and "flagged" in html
    item2 = student.get(f"/exams/attempts/{attempt_id}?item=2").get_data(as_text=True)
    assert 'value="1" checked' in item2 and 'aria-current="step"' in item2


def test_changing_an_answer_keeps_one_row(app, student):
    from app.extensions import db
    from app.models import ExamAnswer
    attempt_id, _ = start(student)
    token = page_token(student, attempt_id)
    for choice in (0, 3, None):
        assert autosave(student, attempt_id, {"position": 4, "choice": choice}, token).status_code == 200
    with app.app_context():
        rows = list(db.session.scalars(sa.select(ExamAnswer)))
        assert len(rows) == 1 and rows[0].choice is None


def test_autosave_without_csrf_is_a_json_400_and_form_without_csrf_is_400(app, student):
    attempt_id, _ = start(student)
    resp = autosave(student, attempt_id, {"position": 0, "choice": 1})
    assert resp.status_code == 400 and resp.get_json()["error"] == "csrf"
    resp = student.client.post(f"/exams/attempts/{attempt_id}/items/1", data={"choice": "1"})
    assert resp.status_code == 400
    resp = student.client.post(f"/exams/attempts/{attempt_id}/submit", data={})
    assert resp.status_code == 400
    assert attempt_row(app, attempt_id).submitted_at is None


def test_bad_autosave_payloads_are_refused(app, student):
    attempt_id, _ = start(student)
    token = page_token(student, attempt_id)
    for payload in ({"position": 999, "choice": 1}, {"position": 0, "choice": 7}, {"position": "x"},
                    {"position": 0, "choice": "A"}):
        assert autosave(student, attempt_id, payload, token).status_code == 400


def test_answers_after_the_deadline_and_grace_are_refused_with_409(app, student, clock):
    attempt_id, _ = start(student)
    token = page_token(student, attempt_id)
    clock.advance(minutes=30, seconds=20)  # past the deadline, inside the grace: still saved
    assert autosave(student, attempt_id, {"position": 0, "choice": 1}, token).status_code == 200
    clock.advance(seconds=15)  # now past the grace
    resp = autosave(student, attempt_id, {"position": 1, "choice": 1}, token)
    assert resp.status_code == 409 and "Time is up" in resp.get_json()["message"]
    resp = student.client.post(f"/exams/attempts/{attempt_id}/items/3", data={"csrf_token": token, "choice": "0"})
    assert resp.status_code == 409
    row = attempt_row(app, attempt_id)
    assert row.closed_by == "timer" and row.submitted_at == row.deadline


def test_an_exam_left_open_is_closed_lazily_on_the_list_the_attempt_and_the_dashboard(app, student, clock):
    ids = []
    for slug in ("cpc-sprint", "cca-practice", "cbcs-practice"):
        ids.append(start(student, slug)[0])
    clock.advance(hours=5)
    student.get("/exams/")
    assert all(attempt_row(app, i).closed_by == "timer" for i in ids)

    fresh = start(student, "cpc-sprint")[0]
    clock.advance(hours=1)
    resp = student.get(f"/exams/attempts/{fresh}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/exams/attempts/{fresh}/results")
    assert attempt_row(app, fresh).passed is False

    third = start(student, "cpc-sprint")[0]
    clock.advance(hours=1)
    student.get("/progress/")
    assert attempt_row(app, third).closed_by == "timer"


def test_cli_closes_expired_attempts(app, student, runner, clock):
    attempt_id, _ = start(student)
    result = runner.invoke(args=["exams", "close-expired"])
    assert result.exit_code == 0 and "closed 0" in result.output
    clock.advance(minutes=31)
    result = runner.invoke(args=["exams", "close-expired"])
    assert result.exit_code == 0 and "closed 1" in result.output, result.output
    row = attempt_row(app, attempt_id)
    assert row.closed_by == "timer" and row.percent == 0 and row.scored_total == 20


def test_resume_shows_the_server_time_left(app, student, clock):
    attempt_id, _ = start(student)
    clock.advance(minutes=12, seconds=30)
    html = student.get(f"/exams/attempts/{attempt_id}").get_data(as_text=True)
    assert 'data-remaining="1050"' in html and "0:17:30" in html


# --------------------------------------------------------------------------- results and privacy


def answer_all(app, student, attempt_id, right_count):
    row = attempt_row(app, attempt_id)
    key = key_of(app)
    token = page_token(student, attempt_id)
    for pos, item in enumerate(row.items):
        right = key[item["q"]][0]
        choice = right if pos < right_count else (right + 1) % 4
        assert autosave(student, attempt_id, {"position": pos, "choice": choice}, token).status_code == 200
    return row, token


@pytest.mark.parametrize("past_deadline, closed", [(10, 0), (29, 0), (31, 1)])
def test_cli_leaves_an_attempt_inside_its_grace_period_open(app, student, runner, clock, past_deadline, closed):
    """The server gives 30 seconds of grace after the deadline (a last autosave in flight); only
    after it does close-expired close the attempt."""
    from app.services.exams import GRACE
    assert GRACE == timedelta(seconds=30)
    attempt_id, _ = start(student)
    clock.now = attempt_row(app, attempt_id).deadline + timedelta(seconds=past_deadline)
    result = runner.invoke(args=["exams", "close-expired"])
    assert result.exit_code == 0 and f"closed {closed}" in result.output, result.output
    assert (attempt_row(app, attempt_id).submitted_at is not None) is bool(closed)


def test_results_score_pass_by_domain_and_every_rationale(app, student):
    attempt_id, _ = start(student)
    row, token = answer_all(app, student, attempt_id, 15)
    resp = student.client.post(f"/exams/attempts/{attempt_id}/submit", data={"csrf_token": token})
    assert resp.headers["Location"].endswith(f"/exams/attempts/{attempt_id}/results")
    html = student.get(resp.headers["Location"]).get_data(as_text=True)
    assert "75.0%" in html and "15 of 20" in html and "<strong>Pass</strong>" in html
    key = key_of(app)
    from markupsafe import escape
    for item in row.items[:3]:
        for why in key[item["q"]][1]:
            assert str(escape(why)) in html
    done = attempt_row(app, attempt_id)
    assert sum(d["total"] for d in done.by_domain) == 20 and sum(d["correct"] for d in done.by_domain) == 15
    # the by-domain table shows every domain's own row with its right-of-total and percent
    table = re.search(r'<table class="data by-domain">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r"<tr><td>(.*?)</td><td>(\d+) of (\d+)</td><td>(\d+)%</td></tr>", table)
    assert len(rows) == len(done.by_domain) >= 2
    for d, (title, right, total, percent) in zip(done.by_domain, rows):
        assert (str(escape(d["title"])), int(right), int(total)) == (title, d["correct"], d["total"])
        assert int(percent) == round(d["correct"] / d["total"] * 100)


def test_unscored_items_do_not_count_and_a_scaled_score_is_labelled_practice(app, student):
    attempt_id, _ = start(student, "cca-practice")
    row = attempt_row(app, attempt_id)
    key = key_of(app)
    token = page_token(student, attempt_id)
    for pos, item in enumerate(row.items):  # only the pretest items right
        if item["unscored"]:
            autosave(student, attempt_id, {"position": pos, "choice": key[item["q"]][0]}, token)
    student.client.post(f"/exams/attempts/{attempt_id}/submit", data={"csrf_token": token})
    done = attempt_row(app, attempt_id)
    assert done.correct == 0 and done.scored_total == 90 and done.scaled == 100 and done.passed is False
    html = student.get(f"/exams/attempts/{attempt_id}/results").get_data(as_text=True)
    assert "Practice scaled score" in html and "not the certifying body" in html and "unscored pretest" in html


def test_no_answer_or_rationale_reaches_the_browser_before_submission(app, student):
    attempt_id, _ = start(student)
    row = attempt_row(app, attempt_id)
    key = key_of(app)
    token = page_token(student, attempt_id)
    whys = [why[:40] for item in row.items for why in key[item["q"]][1]]
    from markupsafe import escape
    for n in range(1, len(row.items) + 1):
        html = student.get(f"/exams/attempts/{attempt_id}?item={n}").get_data(as_text=True)
        assert not any(w in html or str(escape(w)) in html for w in whys)
        assert "right answer" not in html
    body = autosave(student, attempt_id, {"position": 0, "choice": 0}, token).get_data(as_text=True)
    assert not any(w in body for w in whys) and "answer\"" not in body
    results = student.get(f"/exams/attempts/{attempt_id}/results")
    assert results.status_code == 302  # no results while the exam is open
    submit_page = student.get(f"/exams/attempts/{attempt_id}/submit").get_data(as_text=True)
    assert not any(w in submit_page for w in whys)


def test_another_student_gets_404_everywhere(app, student, login_as):
    attempt_id, _ = start(student)
    other = login_as("student", "other@example.test")
    tok = other.token("/exams/")
    for path in (f"/exams/attempts/{attempt_id}", f"/exams/attempts/{attempt_id}/results",
                 f"/exams/attempts/{attempt_id}/submit"):
        assert other.get(path).status_code == 404
    resp = other.client.post(f"/exams/attempts/{attempt_id}/answers", json={"position": 0, "choice": 1},
                             headers={"X-CSRFToken": tok})
    assert resp.status_code == 404 and resp.get_json()["error"] == "not-found"
    assert other.client.post(f"/exams/attempts/{attempt_id}/submit", data={"csrf_token": tok}).status_code == 404


def test_exams_need_login(client):
    for path in ("/exams/", "/exams/review", "/exams/attempts/1"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]


def test_double_submit_grades_once(app, student):
    from app.models import ReviewCard
    attempt_id, _ = start(student)
    token = page_token(student, attempt_id)
    first = student.client.post(f"/exams/attempts/{attempt_id}/submit", data={"csrf_token": token})
    stamp = attempt_row(app, attempt_id).submitted_at
    second = student.client.post(f"/exams/attempts/{attempt_id}/submit", data={"csrf_token": token})
    assert first.status_code == second.status_code == 302
    assert attempt_row(app, attempt_id).submitted_at == stamp
    assert factories.count(app, ReviewCard) == 20
    # answers after submission are refused
    assert autosave(student, attempt_id, {"position": 0, "choice": 1}, token).status_code == 409


# --------------------------------------------------------------------------- spaced review


def test_missed_items_and_missed_case_codes_feed_the_review_queue(app, student):
    from app.extensions import db
    from app.models import CodingCase, ReviewCard
    attempt_id, _ = start(student)
    row, token = answer_all(app, student, attempt_id, 17)
    student.client.post(f"/exams/attempts/{attempt_id}/submit", data={"csrf_token": token})
    missed = {i["q"] for i in row.items[17:]}
    # a coding case with a wrong first-listed diagnosis
    with app.app_context():
        case = db.session.scalars(sa.select(CodingCase).where(CodingCase.active.is_(True)).order_by(CodingCase.slug)).first()
        slug, key = case.slug, case.answer_key
    html = student.get(f"/cases/{slug}").get_data(as_text=True)
    form_token = re.search(r'id="token" name="token" type="hidden" value="([^"]+)"', html).group(1)
    data = {"token": form_token, "dx_1": "Z00.00"}
    for i, p in enumerate(key["procedures"], 1):
        data[f"px_code_{i}"] = p["code"]
        data[f"px_mod_{i}"] = ", ".join(p.get("modifiers", []))
        data[f"px_units_{i}"] = str(p.get("units", 1))
    student.post(f"/cases/{slug}", data, token_from=f"/cases/{slug}")

    page = student.get("/exams/review").get_data(as_text=True)
    with app.app_context():
        cards = list(db.session.scalars(sa.select(ReviewCard)))
    items = {c.ref for c in cards if c.kind == "item"}
    codes = {c.ref for c in cards if c.kind == "code"}
    assert items == missed
    assert f"{slug}:{key['diagnoses'][0]['code']}" in codes
    assert "5 due today" not in page and f"{len(cards)} due today" in page
    # reading the case attempts again adds nothing new
    student.get("/exams/review")
    assert factories.count(app, ReviewCard) == len(cards)
    dash = student.get("/progress/").get_data(as_text=True)
    assert f"Reviews due: <a href=\"/exams/review\">{len(cards)}</a>" in dash


def test_self_grading_schedules_by_sm2_and_an_exam_date_caps_intervals(app, student, clock):
    from app.extensions import db
    from app.models import ReviewCard
    attempt_id, _ = start(student)
    token = page_token(student, attempt_id)
    student.client.post(f"/exams/attempts/{attempt_id}/submit", data={"csrf_token": token})  # all 20 missed

    def first_card():
        html = student.get("/exams/review").get_data(as_text=True)
        return int(re.search(r'action="/exams/review/(\d+)"', html).group(1)), csrf_of(html), html

    card_id, tok, html = first_card()
    assert "Show the answer" in html and "20 due today" in html
    assert student.client.post(f"/exams/review/{card_id}", data={"csrf_token": tok, "quality": "5"}).status_code == 302
    with app.app_context():
        card = db.session.get(ReviewCard, card_id)
        assert (card.repetitions, card.interval, card.due) == (1, 1, clock.now.date() + timedelta(days=1))
        assert card.ease == pytest.approx(2.6)
    # a second click on the same card changes nothing
    student.client.post(f"/exams/review/{card_id}", data={"csrf_token": tok, "quality": "0"})
    with app.app_context():
        assert db.session.get(ReviewCard, card_id).repetitions == 1

    card2, tok, html = first_card()
    assert "19 due today" in html
    student.client.post(f"/exams/review/{card2}", data={"csrf_token": tok, "quality": "1"})
    with app.app_context():
        card = db.session.get(ReviewCard, card2)
        assert (card.repetitions, card.interval) == (0, 1)

    # an exam date three days out: no card is scheduled past the day before it
    exam_day = clock.now.date() + timedelta(days=3)
    tok = csrf_of(student.get("/exams/review").get_data(as_text=True))
    student.client.post("/exams/review/exam-date", data={"csrf_token": tok, "exam_date": exam_day.isoformat()})
    clock.advance(days=1)
    card_id, tok, _ = first_card()
    for _ in range(2):  # the days before the exam
        student.client.post(f"/exams/review/{card_id}", data={"csrf_token": tok, "quality": "5"})
        with app.app_context():
            due = db.session.get(ReviewCard, card_id).due
        # on the day before the exam the next review can only be the exam day itself
        assert due <= max(exam_day - timedelta(days=1), clock.now.date() + timedelta(days=1))
        clock.now = datetime.combine(due, clock.now.time())
    assert student.client.post(f"/exams/review/{card_id}", data={"csrf_token": tok, "quality": "9"}).status_code == 400


def test_review_cards_are_private(app, student, login_as):
    from app.extensions import db
    from app.models import ReviewCard
    attempt_id, _ = start(student)
    token = page_token(student, attempt_id)
    student.client.post(f"/exams/attempts/{attempt_id}/submit", data={"csrf_token": token})
    with app.app_context():
        card_id = db.session.scalars(sa.select(ReviewCard.id)).first()
    other = login_as("student", "other2@example.test")
    tok = other.token("/exams/review")
    assert other.client.post(f"/exams/review/{card_id}", data={"csrf_token": tok, "quality": "5"}).status_code == 404
    assert "0 due today" in other.get("/exams/review").get_data(as_text=True)


def test_content_import_reports_a_broken_question_file_and_imports_nothing(app, tmp_path):
    import shutil
    from app.services.content import check_content
    from tests.conftest import ROOT
    base = tmp_path / "content"
    shutil.copytree(ROOT / "content", base)
    path = base / "questions" / "cpt-em.yml"
    text = path.read_text()
    path.write_text(text.replace("    answer: 1\n", "    answer: 7\n", 1))
    with app.app_context():
        report = check_content(base)
    assert not report.ok
    assert any("cpt-em.yml:" in str(e) and "answer must be" in str(e) for e in report.errors)


def test_content_check_reports_a_blueprint_domain_missing_from_the_bank(app, tmp_path):
    import shutil
    from app.services.content import import_content
    from app.extensions import db
    from app.models import ExamBlueprint
    from tests.conftest import ROOT
    base = tmp_path / "content"
    shutil.copytree(ROOT / "content", base)
    bfile = base / "exams.yml"
    bfile.write_text(bfile.read_text().replace("      cpt-anesthesia: 6\n", "      remittance-denials: 6\n", 1))
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(ExamBlueprint))
        report = import_content(base)
        assert not report.ok and any("exams.yml:" in str(e) and "remittance-denials" in str(e) for e in report.errors)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamBlueprint)) == before


def test_results_at_zero_close_the_exam_even_inside_the_grace(app, student, clock):
    attempt_id, _ = start(student)
    clock.advance(minutes=30, seconds=1)
    resp = student.get(f"/exams/attempts/{attempt_id}/results")
    assert resp.status_code == 200 and "closed by the server at the deadline" in resp.get_data(as_text=True)


def test_results_are_not_shown_while_time_remains(app, student):
    attempt_id, _ = start(student)
    resp = student.get(f"/exams/attempts/{attempt_id}/results")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/exams/attempts/{attempt_id}")


def test_code_book_only_where_the_blueprint_allows_it(app, student):
    cpc, _ = start(student, "cpc-sprint")
    cca, _ = start(student, "cca-practice")
    assert 'class="codebook-panel"' in student.get(f"/exams/attempts/{cpc}").get_data(as_text=True)
    html = student.get(f"/exams/attempts/{cca}").get_data(as_text=True)
    assert 'class="codebook-panel"' not in html and "cases.js" not in html


def test_start_without_csrf_is_refused(app, student):
    assert student.client.post("/exams/cpc-sprint/start", data={"token": "abc"}).status_code == 400
    assert student.client.post("/exams/no-such-exam/start", data={}).status_code in (400, 404)


def test_an_exam_date_in_the_past_is_refused(app, student):
    from app.extensions import db
    from app.models import ReviewSettings
    tok = csrf_of(student.get("/exams/review").get_data(as_text=True))
    resp = student.client.post("/exams/review/exam-date", data={"csrf_token": tok, "exam_date": "2001-01-01"},
                               follow_redirects=True)
    assert "must be after today" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(ReviewSettings.exam_date)) is None


def test_resuming_opens_the_first_unanswered_item(app, student):
    attempt_id, _ = start(student)
    token = page_token(student, attempt_id)
    for pos in (0, 1, 3):
        autosave(student, attempt_id, {"position": pos, "choice": 0}, token)
    html = student.get(f"/exams/attempts/{attempt_id}").get_data(as_text=True)
    assert "Item 3 of 20" in html


def test_two_submits_at_once_grade_once(app, student):
    """The timer and the student (or two tabs) closing the same attempt at the same moment."""
    import threading
    from app.extensions import db
    from app.models import ExamAttempt, ReviewCard
    from app.services import exams as exam_service
    attempt_id, _ = start(student)
    barrier = threading.Barrier(2)
    errors = []

    def close(by):
        try:
            with app.app_context():
                attempt = db.session.get(ExamAttempt, attempt_id)
                barrier.wait(timeout=10)
                exam_service.close(attempt, by)
                db.session.remove()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=close, args=(by,)) for by in ("student", "timer")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReviewCard)) == 20
        assert db.session.get(ExamAttempt, attempt_id).closed_by in ("student", "timer")
