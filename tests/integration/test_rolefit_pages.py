"""The anonymous role-fit quiz pages."""
import html as htmllib
import re


def statements(client):
    page = client.get("/role-fit/").get_data(as_text=True)
    return page, re.findall(r'name="([a-z0-9-]+)" value="1"', page)


def test_quiz_is_open_without_an_account(client):
    page, ids = statements(client)
    assert 12 <= len(ids) <= 15
    assert "Strongly agree" in page


def test_unanswered_statements_are_marked_and_answers_kept(csrf_client):
    _, ids = statements(csrf_client)
    data = {ids[0]: "5", ids[1]: "2"}
    resp = csrf_client.post("/role-fit/", data)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert f"{len(ids) - 2} still need an answer" in page
    assert f'name="{ids[0]}" value="5" checked' in page and f'name="{ids[1]}" value="2" checked' in page


def test_billing_minded_answers_lean_billing_with_drivers_and_sourced_figures(app, csrf_client):
    from app.rolefit.routes import quiz_data
    with app.app_context():
        quiz = quiz_data()
    data = {s.id: ("5" if s.weights["billing"] > s.weights["coding"] else "1") for s in quiz.statements}
    page = re.sub(r"<[^>]+>", "", htmllib.unescape(csrf_client.post("/role-fit/", data).get_data(as_text=True)))
    assert "lean strongly toward" in page and "biller" in page.split("lean strongly toward")[1][:40].lower()
    assert "What drove it" in page
    assert "$50,250 a year" in page and "May 2024" in page and "2024–34 edition" in page
    assert "Bureau of Labor Statistics" in page and "43-3021" in page
    assert "CPB" in page and "CPC" in page
    assert "Start the billing lessons" in page


def test_neutral_answers_are_balanced(app, csrf_client):
    from app.rolefit.routes import quiz_data
    with app.app_context():
        quiz = quiz_data()
    page = csrf_client.post("/role-fit/", {s.id: "3" for s in quiz.statements}).get_data(as_text=True)
    assert "balanced" in page


def test_logged_in_result_is_kept_on_the_profile(app, csrf_client, make_user):
    from app.rolefit.routes import quiz_data
    make_user("rf@example.test")
    csrf_client.login("rf@example.test", "correct horse battery")
    with app.app_context():
        quiz = quiz_data()
    data = {s.id: ("5" if s.weights["coding"] > s.weights["billing"] else "1") for s in quiz.statements}
    csrf_client.post("/role-fit/", data)
    csrf_client.post("/role-fit/", data)  # twice: still one saved result
    profile = csrf_client.get("/auth/profile").get_data(as_text=True)
    assert "toward coding" in profile and "See the full result" in profile
    latest = re.sub(r"<[^>]+>", "", csrf_client.get("/role-fit/latest").get_data(as_text=True))
    assert "Saved on" in latest and "What drove it" in latest
    from app.extensions import db
    from app.models import RoleFitRecord
    import sqlalchemy as sa
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RoleFitRecord)) == 1


def test_anonymous_result_is_not_stored_and_latest_needs_login(app, csrf_client):
    from app.rolefit.routes import quiz_data
    with app.app_context():
        quiz = quiz_data()
    csrf_client.post("/role-fit/", {s.id: "4" for s in quiz.statements})
    assert csrf_client.get("/role-fit/latest").status_code == 302
    from app.extensions import db
    from app.models import RoleFitRecord
    import sqlalchemy as sa
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RoleFitRecord)) == 0


def test_result_page_figures_show_year_and_source_and_no_average_or_undated_figure(app, csrf_client):
    from app.content.figures import load_figures
    from app.rolefit.routes import quiz_data
    with app.app_context():
        quiz = quiz_data()
        figures = load_figures(app.config["CONTENT_DIR"] + "/figures.yml")
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", htmllib.unescape(
        csrf_client.post("/role-fit/", {s.id: "3" for s in quiz.statements}).get_data(as_text=True))))
    cards = page[page.index("Pay and outlook"):]
    assert "not dated" not in cards.lower() and "average" not in cards.lower() and "quoted in" not in cards
    for role in quiz.roles.values():
        for f in role.figures:
            i = cards.index(f.value)
            assert f.period in cards[i:i + 300] and "retrieved 20" in cards[i:i + 600]
    assert "BLS has no separate medical-biller occupation" in cards
    assert {f.value for r in quiz.roles.values() for f in r.figures} <= {f.value for f in figures.values()}
