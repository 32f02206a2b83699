"""Instructor Markdown is rendered once, when saved, within shape limits that keep it quick; hostile
shapes are refused at every door with the limit named (issue 12 §2, §5)."""
import io
import time

import pytest
import sqlalchemy as sa

from tests import factories
from tests.integration.test_quizzes import action, add_question, create_quiz, revision_of

NESTED_LIST = "".join("    " * i + "- x\n" for i in range(300))  # the probe's prompt: imported, then 500 on view
BRACKETS = "[" * 10_000                                           # the probe's 6.7 s preview


def yaml_quiz(prompt: str) -> str:
    body = "\n".join("      " + line for line in prompt.splitlines()) or "      x"
    return ("kind: quiz\nslug: nested-prompt\ntitle: Nested prompt\nquestions:\n  - type: truefalse\n"
            f"    prompt: |\n{body}\n    answer: true\n")


def upload(teacher, text):
    return teacher.post("/quizzes/manage/import", {"file": (io.BytesIO(text.encode()), "nested.yml")},
                        token_from="/quizzes/manage/import", content_type="multipart/form-data")


def quiz_count(app):
    from app.models import Quiz
    return factories.count(app, Quiz)


@pytest.mark.parametrize("prompt, says", [(NESTED_LIST[:9000], "levels deep; at most 6 are allowed"),  # within the length limit
                                          ("[" * 150, "A [ has no ] within 500 characters")])
def test_an_import_with_a_hostile_markdown_prompt_is_refused_naming_the_limit(app, teacher, prompt, says):
    before = quiz_count(app)
    resp = upload(teacher, yaml_quiz(prompt))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "nested.yml:5: question 1 prompt:" in page and says in page
    assert quiz_count(app) == before


@pytest.mark.parametrize("field", ["prompt", "feedback"])
@pytest.mark.parametrize("text", [NESTED_LIST[:9000], BRACKETS])
def test_the_question_editor_refuses_hostile_markdown_beside_the_field_quickly(app, teacher, field, text):
    quiz_id = create_quiz(teacher)
    start = time.perf_counter()
    resp = add_question(teacher, quiz_id, "truefalse", **{field: text})
    assert time.perf_counter() - start < 2
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "levels deep" in page or "square brackets" in page
    assert f'id="{field}"' in page


def test_the_quiz_settings_refuse_hostile_instructions(app, teacher):
    quiz_id = create_quiz(teacher)
    page = teacher.get(f"/quizzes/manage/{quiz_id}").get_data(as_text=True)
    resp = teacher.post(f"/quizzes/manage/{quiz_id}", {"title": "T", "instructions": "[" * 20_000,
                                                        "revision": revision_of(page)},
                        token_from=f"/quizzes/manage/{quiz_id}")
    assert resp.status_code == 422 and "20,000 square brackets" in resp.get_data(as_text=True)


def test_pages_show_the_html_stored_at_save_and_never_run_the_parser(app, teacher, student, monkeypatch):
    quiz_id = create_quiz(teacher, instructions="Read **carefully**.")
    assert add_question(teacher, quiz_id, "truefalse", prompt="Is *E11.9* billable?",
                        feedback="Yes: see `E11.9`.").status_code == 302
    assert action(teacher, quiz_id, "publish").status_code == 302
    action(teacher, quiz_id, "audience", practice="y")  # site-wide practice: any student

    import markdown

    def no_parsing(*args, **kwargs):
        raise AssertionError("Markdown was parsed during a page view")
    monkeypatch.setattr(markdown, "markdown", no_parsing)
    for client, path in ((teacher, f"/quizzes/manage/{quiz_id}/preview"), (teacher, f"/quizzes/manage/{quiz_id}"),
                         (student, f"/quizzes/{quiz_id}")):
        page = client.get(path).get_data(as_text=True)
        assert "<em>E11.9</em>" in page, path
    assert "<strong>carefully</strong>" in student.get(f"/quizzes/{quiz_id}").get_data(as_text=True)


def test_a_stored_hostile_prompt_from_before_the_limits_shows_as_plain_text(app, teacher, student):
    """A row written before the doors checked (or by a door that forgot): every page answers, quickly."""
    from app.extensions import db
    from app.models import QuizVersion
    quiz_id = create_quiz(teacher)
    assert add_question(teacher, quiz_id, "truefalse").status_code == 302
    with app.app_context():
        version = db.session.scalars(sa.select(QuizVersion).where(QuizVersion.quiz_id == quiz_id)).one()
        version.questions = [{**version.questions[0], "prompt": NESTED_LIST + BRACKETS}]
        db.session.commit()
    assert action(teacher, quiz_id, "publish").status_code == 302
    action(teacher, quiz_id, "audience", practice="y")  # site-wide practice: any student
    for client, path in ((teacher, f"/quizzes/manage/{quiz_id}/preview"), (student, f"/quizzes/{quiz_id}")):
        start = time.perf_counter()
        resp = client.get(path)
        assert resp.status_code == 200 and time.perf_counter() - start < 2
        assert "[[[[[[" in resp.get_data(as_text=True)


def test_the_upgrade_renders_the_markdown_of_existing_versions(tmp_path):
    """The migration that adds the stored HTML fills it for every version already in the database."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI":
                      f"sqlite:///{tmp_path / 'old.sqlite'}"})
    with app.app_context():
        upgrade(revision="b7d41c2e9a10")  # the revision before the one that adds the stored HTML
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO quizzes (id, slug, revision, saved_at, created_at) "
                                 "VALUES (1, 'old', 1, '2026-01-01', '2026-01-01')"))
            conn.execute(sa.text(
                "INSERT INTO quiz_versions (id, quiz_id, number, title, instructions, questions, created_at) "
                "VALUES (1, 1, 1, 'Old', 'Read **all**.', :q, '2026-01-01')"),
                {"q": '[{"type": "truefalse", "prompt": "Is *this* old?", "points": 1, "answer": true, '
                      '"feedback": "Yes <script>x</script>"}]'})
        upgrade()
        with db.engine.connect() as conn:
            html, questions = conn.execute(sa.text(
                "SELECT instructions_html, questions_html FROM quiz_versions WHERE id = 1")).one()
        db.engine.dispose()
    assert html == "<p>Read <strong>all</strong>.</p>"
    assert '<em>this</em>' in questions and "<script" not in questions
