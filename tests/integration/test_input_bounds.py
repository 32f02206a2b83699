"""Hostile numbers, nested JSON and oversized bodies through the real routes: a 4xx that says what was
wrong, never a 500 (issue 12 §2, §4, §6)."""
import pytest
import sqlalchemy as sa

from tests.integration.test_quizzes import add_question, create_quiz


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


# --- §2 nested JSON -------------------------------------------------------------------------------

@pytest.fixture
def examinee(csrf_client, make_user):
    make_user("nested@example.test")
    csrf_client.login("nested@example.test", "correct horse battery")
    return csrf_client


def open_exam(examinee):
    from tests.integration.test_exams import page_token, start
    attempt_id, _form = start(examinee)
    return attempt_id, page_token(examinee, attempt_id)


def post_json(client, path, body: str, token):
    return client.client.post(path, data=body, content_type="application/json", headers={"X-CSRFToken": token})


@pytest.mark.parametrize("body", [  # each under the JSON body limit, so the depth is what is refused
    "[" * 2000 + "]" * 2000,                                     # the probe's shape: RecursionError in the decoder
    '{"position": 0, "choice": ' + "[" * 1500 + "]" * 1500 + "}",
    '{"position": 0, "choice": 1, "flagged": ' + '{"a":' * 600 + "1" + "}" * 600 + "}",
])
def test_deeply_nested_json_to_the_autosave_is_a_400_with_a_message(app, examinee, body):
    attempt_id, token = open_exam(examinee)
    assert len(body) < app.config["MAX_JSON_BYTES"]
    resp = post_json(examinee, f"/exams/attempts/{attempt_id}/answers", body, token)
    assert resp.status_code == 400
    assert resp.get_json()["message"] == "Send {position, choice, flagged}."


def test_nesting_up_to_the_limit_is_parsed_and_nothing_is_saved_from_it(app, examinee):
    attempt_id, token = open_exam(examinee)
    path = f"/exams/attempts/{attempt_id}/answers"
    deep = '{"position": 0, "choice": [[[1]]]}'  # depth 4: parsed, then refused as no such choice
    resp = post_json(examinee, path, deep, token)
    assert resp.status_code == 400 and resp.get_json()["message"] == "no such choice"
    ok = post_json(examinee, path, '{"position": 0, "choice": 1, "flagged": false}', token)
    assert ok.status_code == 200 and ok.get_json()["saved"] is True


def test_the_json_provider_refuses_depth_past_the_limit(app):
    with app.app_context():
        assert app.json.loads("[[[[1]]]]") == [[[[1]]]]
        with pytest.raises(ValueError, match="nested more than 4 levels"):
            app.json.loads("[[[[[1]]]]]")
        assert app.json.loads('["[[[[[[[[["]') == ["[[[[[[[[["]  # brackets inside strings don't count


# --- §4 request size ------------------------------------------------------------------------------

class CountingBody:
    """A request body of ``size`` bytes that records how much of it the app read."""

    def __init__(self, size: int):
        self.size, self.read_bytes = size, 0

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.read_bytes if n is None or n < 0 else min(n, self.size - self.read_bytes)
        self.read_bytes += n
        return b"a" * n

    def readline(self, n: int = -1) -> bytes:
        return self.read(min(n, 65536) if n and n > 0 else 65536)


HUNDRED_MB = 100_000_000


def send(app, path, body, content_type, length=None):
    """POST ``body`` as a raw WSGI request: the test client would measure (read) the stream first."""
    from werkzeug.test import EnvironBuilder, run_wsgi_app
    environ = EnvironBuilder(path=path, method="POST", content_type=content_type).get_environ()
    environ["wsgi.input"] = body
    if length is None:
        environ.pop("CONTENT_LENGTH", None)
        environ["wsgi.input_terminated"] = True  # a chunked body: the server says where it ends
    else:
        environ["CONTENT_LENGTH"] = str(length)
    app_iter, status, _headers = run_wsgi_app(app, environ)
    page = b"".join(app_iter).decode()
    return int(status.split()[0]), page


@pytest.mark.parametrize("path, content_type", [
    ("/auth/login", "application/x-www-form-urlencoded"),
    ("/auth/register", "multipart/form-data; boundary=xyz"),
    ("/role-fit/", "application/octet-stream"),
    ("/auth/login", "application/json"),
])
def test_a_100_mb_anonymous_post_is_refused_with_413_before_it_is_read(app, path, content_type):
    body = CountingBody(HUNDRED_MB)
    status, page = send(app, path, body, content_type, length=HUNDRED_MB)
    assert status == 413
    assert "Too large" in page and "larger than this page takes (600 kB)" in page
    assert body.read_bytes == 0


def test_a_body_without_a_length_is_read_only_up_to_the_limit(app):
    body = CountingBody(HUNDRED_MB)
    status, _page = send(app, "/auth/login", body, "application/x-www-form-urlencoded")
    # Werkzeug stops at the limit and parses what it read: the form is cut, so its CSRF token fails
    assert status in (400, 413)
    assert body.read_bytes <= app.config["MAX_CONTENT_LENGTH"] + 65536


def test_the_exam_autosave_takes_only_a_small_body(app, examinee):
    attempt_id, token = open_exam(examinee)
    body = '{"position": 0, "choice": 1, "pad": "' + "x" * 5000 + '"}'
    resp = post_json(examinee, f"/exams/attempts/{attempt_id}/answers", body, token)
    assert resp.status_code == 413 and "4.1 kB" in resp.get_json()["message"]


def quiz_file(pad_bytes: int) -> bytes:
    """A valid one-question YAML quiz padded with comment lines to about ``pad_bytes``."""
    head = ("kind: quiz\nslug: padded-quiz\ntitle: Padded quiz\nquestions:\n  - type: truefalse\n"
            "    prompt: Box 21 holds diagnosis codes.\n    answer: true\n")
    line = "# " + "x" * 997 + "\n"
    return (head + line * (pad_bytes // len(line))).encode()


def upload_file(teacher, data: bytes):
    import io
    return teacher.post("/quizzes/manage/import", {"file": (io.BytesIO(data), "padded.yml")},
                        token_from="/quizzes/manage/import", content_type="multipart/form-data")


def test_the_quiz_import_takes_a_file_above_the_site_limit_up_to_its_own(app, teacher):
    data = quiz_file(900_000)
    from app.content.limits import MAX_IMPORT_BYTES
    assert app.config["MAX_CONTENT_LENGTH"] < len(data) < MAX_IMPORT_BYTES
    resp = upload_file(teacher, data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[-2000:]
    assert "Padded quiz" in teacher.get(resp.headers["Location"]).get_data(as_text=True)


def test_a_quiz_file_past_the_import_limit_gets_the_413_page_naming_it(app, teacher):
    resp = upload_file(teacher, quiz_file(1_100_000))
    assert resp.status_code == 413
    assert "larger than this page takes (1.06 MB)" in resp.get_data(as_text=True)


def test_a_normal_form_post_under_the_limit_still_works(app, teacher):
    quiz_id = create_quiz(teacher, instructions="x" * 20_000)
    assert add_question(teacher, quiz_id, "truefalse", prompt="é" * 10_000, feedback="😀" * 10_000).status_code == 302
