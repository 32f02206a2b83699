"""Coding cases: list, answer form, grading, attempts, privacy of keys and attempts."""
import re

import sqlalchemy as sa

from tests import factories


def a_case(app, slug=None):
    from app.extensions import db
    from app.models import CodingCase
    with app.app_context():
        query = sa.select(CodingCase).where(CodingCase.active.is_(True))
        if slug:
            query = query.where(CodingCase.slug == slug)
        case = db.session.scalars(query.order_by(CodingCase.slug)).first()
        return case.slug, case.answer_key


def key_answer(key):
    data = {}
    for i, d in enumerate(key["diagnoses"], 1):
        data[f"dx_{i}"] = d["code"]
    for i, p in enumerate(key["procedures"], 1):
        data[f"px_code_{i}"] = p["code"]
        data[f"px_mod_{i}"] = ", ".join(p.get("modifiers", []))
        data[f"px_units_{i}"] = str(p.get("units", 1))
    return data


def token_of(html):
    return re.search(r'id="token" name="token" type="hidden" value="([^"]+)"', html).group(1)


def test_cases_need_login(client, app):
    slug, _ = a_case(app)
    for path in ("/cases/", f"/cases/{slug}"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]


def test_case_list_has_at_least_40_cases_and_filters(app, student):
    page = student.get("/cases/").get_data(as_text=True)
    assert page.count('href="/cases/') >= 40
    easy = student.get("/cases/?difficulty=1").get_data(as_text=True)
    assert 0 < easy.count('href="/cases/') < page.count('href="/cases/')


def test_answer_key_never_reaches_the_browser_before_submitting(app, student):
    slug, key = a_case(app)
    html = student.get(f"/cases/{slug}").get_data(as_text=True)
    for line in key["diagnoses"] + key["procedures"]:
        assert line["rationale"][:30] not in html
    # No key code appears as a value in the form or in a script on the page.
    for line in key["diagnoses"]:
        assert f'value="{line["code"]}"' not in html


def test_full_marks_for_the_key_and_reasons_shown(app, student):
    slug, key = a_case(app)
    html = student.get(f"/cases/{slug}").get_data(as_text=True)
    data = key_answer(key)
    data["token"] = token_of(html)
    resp = student.post(f"/cases/{slug}", data, token_from=f"/cases/{slug}")
    assert resp.status_code == 302
    result = student.get(resp.headers["Location"]).get_data(as_text=True)
    assert "100%" in result and "status-correct" in result
    assert key["diagnoses"][0]["rationale"][:20].replace("'", "&#39;") in result


def test_wrong_line_gets_a_reason(app, student):
    slug, key = a_case(app)
    html = student.get(f"/cases/{slug}").get_data(as_text=True)
    data = key_answer(key)
    data["dx_1"] = "Z99.999"  # not a code
    data["token"] = token_of(html)
    resp = student.post(f"/cases/{slug}", data, token_from=f"/cases/{slug}")
    result = student.get(resp.headers["Location"]).get_data(as_text=True)
    assert "status-invalid" in result or "status-missing" in result
    assert "100%" not in result.split("</strong>")[0]


def test_bad_rows_come_back_with_input_kept_and_nothing_stored(app, student):
    from app.models import CaseAttempt
    slug, _ = a_case(app)
    html = student.get(f"/cases/{slug}").get_data(as_text=True)
    data = {"dx_1": "E11.22", "px_code_1": "99214", "px_units_1": "two", "px_mod_2": "25", "token": token_of(html)}
    resp = student.post(f"/cases/{slug}", data, token_from=f"/cases/{slug}")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Units must be a whole number" in page and "Enter the procedure code for this row" in page
    assert 'value="E11.22"' in page and 'value="two"' in page
    assert factories.count(app, CaseAttempt) == 0


def test_double_submit_stores_one_attempt(app, student):
    from app.models import CaseAttempt
    slug, key = a_case(app)
    html = student.get(f"/cases/{slug}").get_data(as_text=True)
    data = key_answer(key)
    data["token"] = token_of(html)
    first = student.post(f"/cases/{slug}", dict(data), token_from=f"/cases/{slug}")
    second = student.post(f"/cases/{slug}", dict(data), token_from=f"/cases/{slug}")
    assert first.headers["Location"] == second.headers["Location"]
    assert factories.count(app, CaseAttempt) == 1


def test_another_student_cannot_read_my_attempt(app, student, login_as):
    slug, key = a_case(app)
    html = student.get(f"/cases/{slug}").get_data(as_text=True)
    data = key_answer(key)
    data["token"] = token_of(html)
    location = student.post(f"/cases/{slug}", data, token_from=f"/cases/{slug}").headers["Location"]
    other = login_as("student", "other@example.test")
    assert other.get(location).status_code == 404
    assert student.get(location).status_code == 200


def test_best_score_shows_on_the_list(app, student):
    slug, key = a_case(app)
    html = student.get(f"/cases/{slug}").get_data(as_text=True)
    data = key_answer(key)
    data["token"] = token_of(html)
    student.post(f"/cases/{slug}", data, token_from=f"/cases/{slug}")
    listing = student.get("/cases/").get_data(as_text=True)
    row = listing[listing.index(f'href="/cases/{slug}"'):]
    row = row[:row.index("</tr>")]
    assert "100%" in row and "1 try" in row
