"""Lessons: reading, the end-of-lesson check, progress and resume, content import and check."""
import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

PASSWORD = "correct horse battery"
ROOT = Path(__file__).resolve().parents[2]


def first_lesson(app):
    from app.extensions import db
    from app.models import Lesson
    with app.app_context():
        lesson = db.session.scalar(sa.select(Lesson).order_by(Lesson.track_slug, Lesson.position))
        return lesson.slug, lesson.title, lesson.checks, lesson.track_slug


def test_lesson_index_lists_tracks_in_order(client):
    html = client.get("/lessons/").get_data(as_text=True)
    assert html.index("Billing or coding?") < html.index(">Coding<") < html.index(">Billing<")


def test_lesson_page_renders_sanitised_markdown_and_hides_answers(app, client):
    slug, title, checks, _ = first_lesson(app)
    resp = client.get(f"/lessons/{slug}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and title in html
    assert "<h2" in html  # Markdown headings rendered
    for q in checks:
        assert q["explanation"] not in html  # no answer or explanation before the student submits


def test_check_grades_and_explains(app, csrf_client):
    slug, _, checks, _ = first_lesson(app)
    answers = {f"q{i}": str(q["answer"]) for i, q in enumerate(checks)}
    answers["q0"] = str((checks[0]["answer"] + 1) % len(checks[0]["choices"]))
    html = csrf_client.post(f"/lessons/{slug}/check", answers, token_from=f"/lessons/{slug}").get_data(as_text=True)
    assert f"You answered {len(checks) - 1} of {len(checks)} right" in html
    assert checks[1]["explanation"][:40] in html.replace("&#39;", "'").replace("&quot;", '"').replace("&amp;", "&")


def test_garbage_check_answers_do_not_crash(app, csrf_client):
    slug, _, checks, _ = first_lesson(app)
    # "²" passes str.isdigit but not int(); 5,000 digits pass isdigit but int() refuses them (found by hypothesis)
    garbage = {"q0": "99", "q1": "-1", "q2": "abc", "q3": "²", "q4": "9" * 5000}
    resp = csrf_client.post(f"/lessons/{slug}/check", garbage, token_from=f"/lessons/{slug}")
    assert resp.status_code == 200
    assert f"You answered 0 of {len(checks)} right" in resp.get_data(as_text=True)


def test_complete_requires_login(app, csrf_client):
    slug, *_ = first_lesson(app)
    resp = csrf_client.post(f"/lessons/{slug}/complete", {"complete": "1"}, token_from=f"/lessons/{slug}")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]


def test_progress_and_resume(app, csrf_client, make_user):
    make_user("pat@example.test")
    csrf_client.login("pat@example.test", PASSWORD)
    slug, title, _, track = first_lesson(app)
    csrf_client.get(f"/lessons/{slug}")
    resp = csrf_client.post(f"/lessons/{slug}/complete", {"complete": "1"}, token_from=f"/lessons/{slug}")
    assert resp.status_code == 302
    html = csrf_client.get("/lessons/").get_data(as_text=True)
    section = html[html.index(f'id="track-{track}"'):]
    assert re.search(r"1 of \d+ done", section)
    assert "Resume:" in section and title not in section[section.index("Resume:"):section.index("</a>", section.index("Resume:"))]
    # Completing twice (a double-click) stores one row.
    csrf_client.post(f"/lessons/{slug}/complete", {"complete": "1"}, token_from=f"/lessons/{slug}")
    from app.extensions import db
    from app.models import LessonProgress
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonProgress)
                                 .where(LessonProgress.completed_at.is_not(None))) == 1


def test_one_students_progress_is_not_anothers(app, csrf_client, make_user):
    from tests.conftest import CsrfClient
    make_user("a1@example.test")
    make_user("a2@example.test")
    slug, *_ = first_lesson(app)
    csrf_client.login("a1@example.test", PASSWORD)
    csrf_client.post(f"/lessons/{slug}/complete", {"complete": "1"}, token_from=f"/lessons/{slug}")
    other = CsrfClient(app)
    other.login("a2@example.test", PASSWORD)
    assert "1 of" not in other.get("/lessons/").get_data(as_text=True).split("done")[0][-10:]
    assert "completed" not in other.get(f"/lessons/{slug}").get_data(as_text=True)


def test_shipped_content_has_the_lessons_the_tracks_need(app):
    from app.extensions import db
    from app.models import Lesson
    with app.app_context():
        counts = dict(db.session.execute(sa.select(Lesson.track_slug, sa.func.count()).group_by(Lesson.track_slug)).all())
    assert sum(counts.values()) >= 12
    assert set(counts) == {"billing-or-coding", "coding", "billing"}


# --- content check and import -------------------------------------------------------------------

@pytest.fixture
def content_copy(tmp_path):
    dest = tmp_path / "content"
    shutil.copytree(ROOT / "content", dest)
    return dest


def _first_lesson_file(content: Path) -> Path:
    return sorted((content / "lessons").rglob("*.md"))[0]


@pytest.mark.parametrize("mutate, line, message", [
    (lambda t: t.replace("track: ", "track: no-such-track-", 1), "track", "unknown track"),
    (lambda t: t.replace("minutes: ", "minutes: lots", 1), "minutes", "'minutes' must be a whole number"),
    (lambda t: t.replace("title: ", "title: [unclosed", 1), "title", "YAML syntax error"),
    (lambda t: t.replace("objectives:", "objectivez:", 1), None, "unknown field(s): objectivez"),
])
def test_content_check_names_file_line_and_problem(app, runner, content_copy, mutate, line, message):
    path = _first_lesson_file(content_copy)
    text = path.read_text()
    path.write_text(mutate(text))
    expected_line = next(i for i, l in enumerate(text.splitlines(), 1) if l.startswith(line + ":")) if line else None
    app.config["CONTENT_DIR"] = str(content_copy)
    try:
        result = runner.invoke(args=["content", "check"])
    finally:
        app.config["CONTENT_DIR"] = str(ROOT / "content")
    assert result.exit_code == 1
    assert str(path) in result.output and message in result.output
    if expected_line and message != "YAML syntax error":
        assert f"{path}:{expected_line}:" in result.output


def test_content_check_flags_cpt_descriptor_wording(app, runner, content_copy):
    # the CPT wording rule (app/codes/cpt_wording.py): a descriptor shape next to a CPT number
    path = _first_lesson_file(content_copy)
    text = path.read_text()
    path.write_text(text + "\nReport 11042 for the first 20 sq cm and 11045 for each additional 20 sq cm.\n")
    line = len(text.splitlines()) + 2
    app.config["CONTENT_DIR"] = str(content_copy)
    try:
        result = runner.invoke(args=["content", "check"])
    finally:
        app.config["CONTENT_DIR"] = str(ROOT / "content")
    assert result.exit_code == 1
    assert f"{path}:{line}: descriptor shape 'first 20 sq cm' next to CPT 1104" in result.output
    assert "each additional" in result.output


def test_broken_file_imports_nothing(app, runner, content_copy):
    from app.extensions import db
    from app.models import Lesson
    files = sorted((content_copy / "lessons").rglob("*.md"))
    files[0].write_text(files[0].read_text().replace("title: ", "title: Changed title ", 1))
    files[-1].write_text(files[-1].read_text().replace("track: ", "track: nowhere-", 1))
    with app.app_context():
        before = {l.slug: (l.title, l.content_hash) for l in db.session.scalars(sa.select(Lesson))}
    app.config["CONTENT_DIR"] = str(content_copy)
    try:
        result = runner.invoke(args=["content", "import"])
    finally:
        app.config["CONTENT_DIR"] = str(ROOT / "content")
    assert result.exit_code == 1 and "nothing was imported" in result.output
    with app.app_context():
        after = {l.slug: (l.title, l.content_hash) for l in db.session.scalars(sa.select(Lesson))}
    assert after == before


def test_import_twice_changes_nothing(app, runner):
    result = runner.invoke(args=["content", "import"])
    assert result.exit_code == 0
    assert "lessons_changed: 0" in result.output


def test_markdown_is_sanitised():
    from app.content.markdown import render_markdown
    html = render_markdown('Hi <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>')
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html


def test_an_import_shows_at_once_here_and_within_the_check_interval_on_another_worker(app, runner, content_copy,
                                                                                      monkeypatch):
    """Workers keep the lesson catalogue in memory: the importing process drops its copy at once, and
    another worker (a second app on the same database) re-reads it once the content revision changed."""
    from app import create_app
    from app.services import content_cache

    from app.extensions import db
    from app.models import Lesson

    other = create_app({k: app.config[k] for k in ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "CONTENT_DIR")})
    path = _first_lesson_file(content_copy)
    with app.app_context():
        lesson = db.session.scalar(sa.select(Lesson).where(Lesson.source_path.endswith(path.name)))
        slug, title = lesson.slug, lesson.title
    here, there = app.test_client(), other.test_client()
    assert title in here.get(f"/lessons/{slug}").get_data(as_text=True)
    assert title in there.get(f"/lessons/{slug}").get_data(as_text=True)  # the other worker caches it now

    path.write_text(path.read_text().replace("title: \"", "title: \"Retitled ", 1))
    app.config["CONTENT_DIR"] = str(content_copy)
    try:
        assert runner.invoke(args=["content", "import"]).exit_code == 0
        assert f"Retitled {title}" in here.get(f"/lessons/{slug}").get_data(as_text=True)
        # within the check interval the other worker may still show its copy ...
        assert title in there.get(f"/lessons/{slug}").get_data(as_text=True)
        # ... and once it compares the revision, it shows the import
        monkeypatch.setattr(content_cache, "REVISION_CHECK_SECONDS", 0.0)
        assert f"Retitled {title}" in there.get(f"/lessons/{slug}").get_data(as_text=True)
    finally:
        app.config["CONTENT_DIR"] = str(ROOT / "content")
        assert runner.invoke(args=["content", "import"]).exit_code == 0
    assert f"Retitled {title}" not in here.get(f"/lessons/{slug}").get_data(as_text=True)
    with other.app_context():
        db.session.remove()


# --- dated figures (content/figures.yml) -----------------------------------------------------------

FIGURE_LESSONS = ("pay-and-job-outlook", "why-practices-need-both-and-certifications")


def _page_text(client, slug):
    import html as htmllib
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", htmllib.unescape(client.get(f"/lessons/{slug}").get_data(as_text=True))))


def _sentences(text):
    return re.split(r"(?<=[.!?])\s+|\|", text)


@pytest.mark.parametrize("slug", FIGURE_LESSONS)
def test_lesson_figures_are_dated_sourced_and_medians_are_not_averages(client, slug):
    from app.content.figures import load_figures
    figures = load_figures(ROOT / "content" / "figures.yml")
    text = _page_text(client, slug)
    assert "not dated" not in text.lower() and "quoted in 2021" not in text and "[[figure" not in text
    shown = [f for f in figures.values() if f.value in text]
    assert shown, "the lesson shows figures from content/figures.yml"
    for f in shown:  # every figure appears with its year and its source
        i = text.index(f.value)
        near = text[i:i + 400]
        assert f.period in near and f.source in near, f"{f.id}: value without period and source"
    for sentence in _sentences(text):
        if re.search(r"\$\d|\d%|\bmedian\b", sentence):
            assert "average" not in sentence.lower(), f"'average' beside a figure: {sentence!r}"


def test_pay_lesson_names_the_closest_bls_occupation_for_billers(client):
    text = _page_text(client, "pay-and-job-outlook")
    assert "BLS has no separate medical-biller occupation; the closest is billing and posting clerks" in text
    assert "SOC 29-2072" in text and "SOC 43-3021" in text
    assert "2024–34 edition" in text and "May 2024" in text


@pytest.mark.parametrize("mutate, message", [
    (lambda t: t.replace("[[figure:mrs-median-hourly]]", "[[figure:no-such-figure]]", 1), "no figure 'no-such-figure'"),
    (lambda t: t.replace("[[figure:mrs-median-hourly]]", "$24.16 an hour", 1), "write [[figure:mrs-median-hourly]]"),
])
def test_content_check_refuses_unknown_or_typed_figures(app, runner, content_copy, mutate, message):
    path = content_copy / "lessons" / "billing-or-coding" / "03-pay-and-job-outlook.md"
    text = path.read_text()
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "[[figure:mrs-median-hourly]]" in l)
    path.write_text(mutate(text))
    app.config["CONTENT_DIR"] = str(content_copy)
    try:
        result = runner.invoke(args=["content", "check"])
    finally:
        app.config["CONTENT_DIR"] = str(ROOT / "content")
    assert result.exit_code == 1 and f"{path}:{line}:" in result.output and message in result.output


def test_content_check_refuses_a_figure_without_its_source(app, runner, content_copy):
    path = content_copy / "figures.yml"
    path.write_text(path.read_text().replace("    edition: 2024–34 edition (Employment", "    editio: 2024–34 edition (Employment", 1))
    app.config["CONTENT_DIR"] = str(content_copy)
    try:
        result = runner.invoke(args=["content", "check"])
    finally:
        app.config["CONTENT_DIR"] = str(ROOT / "content")
    assert result.exit_code == 1 and "figures.yml" in result.output and "mrs-outlook" in result.output


def test_content_coverage_prints_every_area_and_exits_non_zero_below_target(runner):
    result = runner.invoke(args=["content", "coverage"])
    out = result.output
    for heading in ("Bank", "Coding", "ICD-10-CM", "Billing"):
        assert f"\n{heading}\n" in f"\n{out}"
    assert "cpt:em" in out and "icd10cm:ch21" in out and "denials:front-end" in out and "cpt-surgery" in out
    below = int(out.strip().splitlines()[-1].split(" of ")[0])
    assert (result.exit_code == 1) is (below > 0)
    assert out.count("BELOW:") == below
