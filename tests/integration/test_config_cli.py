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


@pytest.mark.parametrize("name", ["prod", "Production", "PRODUCTION", "dev", ""])
def test_an_unknown_app_config_refuses_to_start(monkeypatch, name):
    from app import create_app
    monkeypatch.setenv("APP_CONFIG", name)
    with pytest.raises(RuntimeError, match="APP_CONFIG"):
        create_app()


def test_deploy_init_writes_a_private_env_file_with_a_random_key_and_never_replaces_it(runner, tmp_path):
    import stat
    env = tmp_path / "chart2claim.env"
    args = ["deploy", "init", str(env), "--database-url", "postgresql://c2c:pw@db:5432/c2c"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    values = dict(line.split("=", 1) for line in env.read_text().splitlines() if not line.startswith("#"))
    assert values["APP_CONFIG"] == "production"
    assert values["DATABASE_URL"] == "postgresql://c2c:pw@db:5432/c2c"
    key = values["SECRET_KEY"]
    assert len(key) == 64 and int(key, 16) >= 0

    again = runner.invoke(args=args)  # a second run keeps the key: a new one would log everyone out
    assert again.exit_code != 0 and "--force" in again.output
    assert dict(line.split("=", 1) for line in env.read_text().splitlines()
                if not line.startswith("#"))["SECRET_KEY"] == key

    env.chmod(0o644)
    forced = runner.invoke(args=args + ["--force"])
    assert forced.exit_code == 0, forced.output
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert key not in env.read_text()


def test_the_key_deploy_init_writes_starts_production(monkeypatch, runner, tmp_path):
    from app import create_app
    env = tmp_path / "c2c.env"
    assert runner.invoke(args=["deploy", "init", str(env), "--database-url", "sqlite:///x"]).exit_code == 0
    values = dict(line.split("=", 1) for line in env.read_text().splitlines() if not line.startswith("#"))
    monkeypatch.setenv("SECRET_KEY", values["SECRET_KEY"])
    assert create_app(values["APP_CONFIG"]).config["SESSION_COOKIE_SECURE"] is True


def test_backup_copies_the_sqlite_database_and_a_restore_finds_every_attempt(app, runner, make_user, tmp_path):
    import os
    from app import create_app
    from app.extensions import db
    from app.models import CaseAttempt, CodingCase
    from app.services.cases import submit_attempt

    if os.environ.get("TEST_DATABASE_URL"):
        result = runner.invoke(args=["backup", str(tmp_path / "b.sqlite")])
        assert result.exit_code != 0 and "pg_dump" in result.output
        return
    uid = make_user("backup@example.test")
    with app.app_context():
        cases = db.session.scalars(sa.select(CodingCase).order_by(CodingCase.id).limit(3)).all()
        for n, case in enumerate(cases):
            submit_attempt(uid, case, {"diagnoses": ["E11.9"], "procedures": []}, token=f"tok-{n}")
        stored = sorted(db.session.execute(sa.select(CaseAttempt.id, CaseAttempt.score)
                                           .where(CaseAttempt.user_id == uid)).all())
    assert len(stored) == 3

    target = tmp_path / "backup.sqlite"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "integrity check ok" in result.output
    assert runner.invoke(args=["backup", str(target)]).exit_code != 0  # never overwrites

    restored = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{target}",
                           "SECRET_KEY": "test-secret", "CODESET_PATH": app.config["CODESET_PATH"]})
    with restored.app_context():
        again = sorted(db.session.execute(sa.select(CaseAttempt.id, CaseAttempt.score)
                                          .where(CaseAttempt.user_id == uid)).all())
        db.session.remove()
        db.engine.dispose()
    assert again == stored
