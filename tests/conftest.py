"""Fixtures shared by the integration and browser tests: one migrated database per test worker
(SQLite always; PostgreSQL when TEST_DATABASE_URL is set), content imported once, rows that tests
create removed after each test."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
#: every test user's password
PASSWORD = "correct horse battery"
#: tables that hold imported content; every other table is emptied after each test
CONTENT_TABLES = {"tracks", "lessons", "coding_cases", "claim_payers", "claim_scenarios", "alembic_version",
                  "quizzes", "quiz_versions"}  # site quizzes; quizzes a test made are removed below
CONTENT_TABLES |= {"exam_questions", "exam_blueprints", "content_revision"}  # exam bank, blueprints, import revision


def _database_url(worker: str, tmp_dir: Path) -> str:
    pg = os.environ.get("TEST_DATABASE_URL")
    if not pg:
        return f"sqlite:///{tmp_dir / f'test-{worker}.sqlite'}"
    # One schema per xdist worker, so parallel workers never share tables.
    from config import _database_url as normalise

    url = normalise(pg)
    # A schema per run and per worker: two runs on one server (two sessions, or CI beside a
    # developer) must never drop each other's tables.
    run = re.sub(r"[^a-z0-9]", "", os.environ.get("PYTEST_XDIST_TESTRUNUID", str(os.getpid())).lower())[:10]
    schema = f"t_{run}_{re.sub(r'[^a-z0-9]', '', worker)}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    sep = "&" if "?" in url else "?"
    _SCHEMAS.append((url, schema))
    return f"{url}{sep}options=-csearch_path%3D{schema}"


_SCHEMAS: list[tuple[str, str]] = []


def _drop_schemas() -> None:
    """Drop this run's PostgreSQL schemas (after the app's connections are closed)."""
    while _SCHEMAS:
        url, schema = _SCHEMAS.pop()
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db as db_ext
    from app.services.content import import_content

    tmp = tmp_path_factory.mktemp("db")
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": _database_url(os.environ.get("PYTEST_XDIST_WORKER", "main"), tmp),
        "SECRET_KEY": "test-secret",
        "CONTENT_DIR": str(ROOT / "content"),
        "SERVER_NAME": None,
    })
    with app.app_context():
        upgrade()
        report = import_content()
        assert report.ok, report.errors
    yield app
    with app.app_context():
        db_ext.session.remove()
        db_ext.engine.dispose()
    _drop_schemas()


@pytest.fixture(autouse=True)
def _clean_rows(request):
    yield
    if "app" not in request.fixturenames:
        return
    from app.extensions import db

    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        meta = sa.MetaData()
        meta.reflect(bind=db.engine)
        with db.engine.begin() as conn:
            for table in reversed(meta.sorted_tables):
                if table.name not in CONTENT_TABLES:
                    conn.execute(table.delete())
            if "quizzes" in meta.tables:  # quizzes a test made; site quizzes (from content/quizzes/) stay
                made = "SELECT id FROM quizzes WHERE source_path IS NULL"
                conn.execute(sa.text(f"DELETE FROM quiz_versions WHERE quiz_id IN ({made})"))
                conn.execute(sa.text("DELETE FROM quizzes WHERE source_path IS NULL"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def csrf_client(app):
    """A client for tests that post forms: it reads the CSRF token from a page first."""
    return CsrfClient(app)


class CsrfClient:
    def __init__(self, app):
        self.app = app
        self.client = app.test_client()

    def token(self, path: str = "/auth/login") -> str:
        html = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
            re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def get(self, *a, **kw):
        return self.client.get(*a, **kw)

    def post(self, path: str, data: dict | None = None, token_from: str | None = None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token(token_from or path))
        return self.client.post(path, data=data, **kw)

    def login(self, email: str, password: str):
        return self.post("/auth/login", {"email": email, "password": password})

    def logout(self):
        return self.post("/auth/logout", token_from="/lessons/")


@pytest.fixture
def make_user(app):
    from tests import factories

    def make(email="student@example.test", password=PASSWORD, role="student", name="Test User"):
        return factories.user(app, email, role, name, password)

    return make


@pytest.fixture
def login_as(app, make_user):
    """Sign a new user in: ``login_as("instructor", "ada@example.test", "Ada Teacher")`` returns their
    CsrfClient, with ``user_id`` set. The e-mail defaults to ``<role>@example.test``, the name to the
    e-mail's first part."""
    def login(role: str = "student", email: str | None = None, name: str | None = None) -> CsrfClient:
        email = email or f"{role}@example.test"
        user_id = make_user(email, PASSWORD, role, name or email.split("@")[0].title())
        client = CsrfClient(app)
        assert client.login(email, PASSWORD).status_code == 302, f"{email} could not log in"
        client.user_id = user_id
        return client

    return login


@pytest.fixture
def student(login_as):
    """A signed-in student (coder@example.test)."""
    return login_as("student", "coder@example.test")


@pytest.fixture
def teacher(login_as):
    """A signed-in instructor (teacher@example.test, "Ada Teacher")."""
    return login_as("instructor", "teacher@example.test", "Ada Teacher")
