"""NUL and other odd characters in URL path segments and in uploaded file names: a 404 or a clean name,
never a server error (PostgreSQL refuses NUL in text, and a varchar refuses an overlong value)."""
import io
import re

import pytest
import sqlalchemy as sa

from tests.conftest import CsrfClient

PASSWORD = "correct horse battery"
ODD_SEGMENTS = ("%00", "a%00b", "%01", "x%1b%5B31m", "%7f", "%c2%85", "%0d%0a")


def _string_rules(app):
    """Every GET route with a name (not an id) in its path: slugs, codes, kinds, static files."""
    from app import IdConverter
    return [r for r in app.url_map.iter_rules() if "GET" in r.methods and any(
        not isinstance(r._converters[a], IdConverter) for a in r.arguments)]


def _fill(rule, odd: str) -> str:
    path = rule.rule
    for arg in rule.arguments:
        converter = type(rule._converters[arg]).__name__
        path = re.sub(r"<(?:[^:<>]+:)?%s>" % arg, "1" if converter == "IdConverter" else odd, path)
    return path


def test_every_named_route_is_covered(app):
    endpoints = {r.endpoint for r in _string_rules(app)}
    assert {"cases.case", "scenarios.scenario", "lessons.lesson", "codebook.code", "api.code",
            "instructor.attempt", "static"} <= endpoints


@pytest.mark.parametrize("odd", ODD_SEGMENTS)
def test_a_control_character_in_a_path_segment_is_no_page(app, make_user, odd):
    """``/cases/%00`` was a 500 on PostgreSQL (the slug reached a query); now any control character in a
    name in the path is a 404 for everyone, before any view or query."""
    make_user("s@example.test")
    make_user("i@example.test", role="instructor")
    clients = [CsrfClient(app)]
    for email in ("s@example.test", "i@example.test"):
        clients.append(CsrfClient(app))
        assert clients[-1].login(email, PASSWORD).status_code == 302
    wrong = []
    for rule in _string_rules(app):
        url = _fill(rule, odd)
        for client in clients:
            code = client.get(url).status_code
            if code != 404:
                wrong.append(f"GET {url} -> {code}")
    assert wrong == []


def test_unusual_but_printable_names_still_reach_the_view(app, make_user):
    """The guard is for control characters only: a unicode or odd slug is an ordinary 'no such page'."""
    make_user("s@example.test")
    client = CsrfClient(app)
    client.login("s@example.test", PASSWORD)
    for url in ("/cases/%F0%9F%A9%BA", "/lessons/..%2f..%2fetc", "/claims/" + "x" * 5000, "/codebook/icd10cm/E11.9%20"):
        assert client.get(url).status_code in (404, 200, 302), url
    assert client.get("/codebook/icd10cm/E11.9").status_code == 200


@pytest.mark.parametrize("name", ["a\x00b.gift", "\x1b[31mred.gift", "\u202egift.txt\u202c.gift", "x" * 300 + ".gift",
                                  "C:\\Users\\ana\\Desktop\\drill.gift", "../../etc/drill.gift", "\x00.gift"])
def test_an_uploaded_file_name_becomes_a_clean_title(app, make_user, name):
    """A GIFT file with no title given is named after its file: a NUL there was a 500 on PostgreSQL, and a
    300-character name overflowed the title column."""
    from app.extensions import db
    from app.models import QuizVersion
    make_user("t@example.test", role="instructor")
    teacher = CsrfClient(app)
    teacher.login("t@example.test", PASSWORD)
    data = {"file": (io.BytesIO(b"Is E11.9 a diagnosis code? {T}\n"), name)}
    resp = teacher.post("/quizzes/manage/import", data, content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    quiz_id = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    with app.app_context():
        title = db.session.scalar(sa.select(QuizVersion.title).where(QuizVersion.quiz_id == quiz_id))
    assert title and len(title) <= 100
    assert not any(ord(ch) < 32 or 0x7f <= ord(ch) < 0xa0 or ch in "\u202e\u202c/\\" for ch in title), title
    assert "Users" not in title and "etc" not in title
