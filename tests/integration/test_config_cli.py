"""Configuration and the command line."""
import pytest
import sqlalchemy as sa


def test_production_refuses_default_or_missing_secret_key(monkeypatch):
    from app import create_app
    for value in (None, "dev-only-not-secret", "short"):
        if value is None:
            monkeypatch.delenv("SECRET_KEY", raising=False)
        else:
            monkeypatch.setenv("SECRET_KEY", value)
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app("production")


def test_production_sets_secure_cookie_and_hsts(monkeypatch, tmp_path):
    from app import create_app
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'p.sqlite'}"
    resp = app.test_client().get("/static/css/site.css")
    assert "max-age" in resp.headers["Strict-Transport-Security"]


def test_users_create_command(app, runner):
    from app.extensions import db
    from app.models import User
    result = runner.invoke(args=["users", "create", "--email", "t@example.test", "--name", "Teach",
                                 "--role", "instructor", "--password", "a decent passphrase"])
    assert result.exit_code == 0, result.output
    assert "Created instructor t@example.test" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(User.role).where(User.email == "t@example.test")) == "instructor"


def test_users_create_refuses_weak_password(runner):
    result = runner.invoke(args=["users", "create", "--email", "w@example.test", "--name", "W",
                                 "--password", "password"])
    assert result.exit_code != 0
    assert "password" in result.output


def test_demo_users_are_created_once(app, runner):
    from app.extensions import db
    from app.models import User
    first = runner.invoke(args=["demo", "users"])
    second = runner.invoke(args=["demo", "users"])
    assert "created" in first.output and "already there" in second.output
    assert "student@demo.chart2claim.test" in second.output and "password:" in second.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 2
