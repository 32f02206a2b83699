"""Accounts: registration, login, logout, roles, limits, security headers."""
import re

import pytest
import sqlalchemy as sa

PASSWORD = "correct horse battery"


def test_register_logs_in_and_hashes_with_argon2id(app, csrf_client):
    resp = csrf_client.post("/auth/register", {"name": "Ana Example", "email": "Ana@Example.test",
                                               "password": PASSWORD, "confirm": PASSWORD})
    assert resp.status_code == 302
    page = csrf_client.get("/lessons/").get_data(as_text=True)
    assert "Ana Example" in page and "Log out" in page
    from app.extensions import db
    from app.models import User
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user.email == "ana@example.test"
        assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert PASSWORD not in user.password_hash


@pytest.mark.parametrize("password, confirm, message", [
    ("short", "short", "at least 8"),
    ("password123", "password123", "commonly used"),
    ("x" * 200, "x" * 200, "at most"),
    (PASSWORD, PASSWORD + "!", "differ"),
])
def test_register_refuses_bad_password_and_keeps_input(csrf_client, password, confirm, message):
    resp = csrf_client.post("/auth/register", {"name": "Bo Tester", "email": "bo@example.test",
                                               "password": password, "confirm": confirm})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert message in html
    assert 'value="bo@example.test"' in html and 'value="Bo Tester"' in html


def test_password_of_64_characters_is_accepted(csrf_client):
    long_pw = "a long passphrase with spaces that keeps going and going on 1234"
    assert len(long_pw) == 64
    resp = csrf_client.post("/auth/register", {"name": "Cy", "email": "cy@example.test",
                                               "password": long_pw, "confirm": long_pw})
    assert resp.status_code == 302


def test_duplicate_email_is_refused_beside_the_field(csrf_client, make_user):
    make_user("dup@example.test")
    resp = csrf_client.post("/auth/register", {"name": "Dup", "email": "DUP@example.test",
                                               "password": PASSWORD, "confirm": PASSWORD})
    assert resp.status_code == 422
    assert "already exists" in resp.get_data(as_text=True)


def test_login_wrong_password_says_so_without_telling_which(csrf_client, make_user):
    make_user("eve@example.test")
    for email in ("eve@example.test", "nobody@example.test"):
        resp = csrf_client.login(email, "wrong password here")
        assert resp.status_code == 422
        assert "match an account" in resp.get_data(as_text=True)


def test_logout_makes_the_old_cookie_useless(app, make_user):
    make_user("fay@example.test")
    from tests.conftest import CsrfClient
    c = CsrfClient(app)
    assert c.login("fay@example.test", PASSWORD).status_code == 302
    cookie = c.client.get_cookie("session")
    assert cookie is not None
    stolen = cookie.value
    assert c.logout().status_code == 302
    # Replay the cookie captured while logged in: the login session is gone, so it names nobody.
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    resp = replay.post("/lessons/foundations/complete")  # any login-only route
    assert resp.status_code in (302, 400)
    page = replay.get("/lessons/").get_data(as_text=True)
    assert "Log out" not in page and "Log in" in page


def test_session_cookie_flags(csrf_client, make_user):
    make_user("gil@example.test")
    resp = csrf_client.login("gil@example.test", PASSWORD)
    header = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in header and "SameSite=Lax" in header


def test_idle_session_expires(app, csrf_client, make_user):
    from datetime import timedelta

    from app.extensions import db
    from app.models import AuthSession
    make_user("hal@example.test")
    csrf_client.login("hal@example.test", PASSWORD)
    with app.app_context():
        row = db.session.scalar(sa.select(AuthSession))
        row.last_seen_at = row.last_seen_at - app.config["SESSION_IDLE_TIMEOUT"] - timedelta(minutes=1)
        db.session.commit()
    assert "Log in" in csrf_client.get("/lessons/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthSession)) == 0


def test_absolute_session_limit(app, csrf_client, make_user):
    from datetime import timedelta

    from app.extensions import db
    from app.models import AuthSession
    make_user("ida@example.test")
    csrf_client.login("ida@example.test", PASSWORD)
    with app.app_context():
        row = db.session.scalar(sa.select(AuthSession))
        row.created_at = row.created_at - app.config["SESSION_ABSOLUTE_TIMEOUT"] - timedelta(minutes=1)
        db.session.commit()
    assert "Log out" not in csrf_client.get("/lessons/").get_data(as_text=True)


STUDENT_ADDR, ATTACKER_ADDR = "198.51.100.7", "203.0.113.9"


def login_from(client, address: str, email: str, password: str):
    return client.post("/auth/login", {"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def clock(monkeypatch):
    """The login limits' clock, moved by hand: delays are tested without sleeping."""
    from datetime import timedelta

    from app import clock as app_clock
    from app.clock import utcnow

    class Clock:
        now = utcnow()

        def advance(self, seconds: float) -> None:
            self.now += timedelta(seconds=seconds)

    c = Clock()
    monkeypatch.setattr(app_clock, "utcnow", lambda: c.now)
    return c


def test_an_attacker_at_one_address_cannot_lock_out_the_student_at_another(app, make_user, clock):
    """Five wrong passwords used to lock any named account for 15 minutes (a way to keep a student out of
    an exam). Failures now slow the address they come from, not the account everywhere."""
    from tests.conftest import CsrfClient
    make_user("jo@example.test")
    attacker, student = CsrfClient(app), CsrfClient(app)
    tried, start = 0, clock.now
    while (clock.now - start).total_seconds() < 15 * 60:  # as fast as the site lets one address try
        resp = login_from(attacker, ATTACKER_ADDR, "jo@example.test", "not the password")
        assert resp.status_code in (422, 429)
        tried += resp.status_code == 422
        clock.advance(int(resp.headers.get("Retry-After", 0)) or 1)
    assert 8 <= tried <= 15  # the delays held it to about a dozen guesses in 15 minutes
    resp = login_from(student, STUDENT_ADDR, "jo@example.test", PASSWORD)
    assert resp.status_code == 302


def test_failures_from_one_address_for_one_account_wait_longer_each_time(app, csrf_client, make_user, clock):
    make_user("jo@example.test")
    free = app.config["LOGIN_FAILURES_BEFORE_DELAY"]
    for _ in range(free):
        assert login_from(csrf_client, ATTACKER_ADDR, "jo@example.test", "not the password").status_code == 422
    for wait in (2, 4, 8, 16):
        resp = login_from(csrf_client, ATTACKER_ADDR, "jo@example.test", PASSWORD)  # even the right one
        assert resp.status_code == 429
        assert resp.headers["Retry-After"] == str(wait)
        assert f"Wait {wait} seconds" in resp.get_data(as_text=True)
        assert 'value="jo@example.test"' in resp.get_data(as_text=True)
        clock.advance(wait - 1)
        assert login_from(csrf_client, ATTACKER_ADDR, "jo@example.test", "not the password").status_code == 429
        clock.advance(1)
        assert login_from(csrf_client, ATTACKER_ADDR, "jo@example.test", "not the password").status_code == 422
    clock.advance(32)
    assert login_from(csrf_client, ATTACKER_ADDR, "jo@example.test", PASSWORD).status_code == 302


def test_failed_logins_have_a_ceiling_per_account_across_addresses(app, make_user, clock, monkeypatch):
    """A guess spread over many addresses still meets a ceiling (far higher than one address can reach)."""
    from tests.conftest import CsrfClient
    assert app.config["LOGIN_FAILURES_PER_ACCOUNT"] >= 10 * app.config["LOGIN_FAILURES_BEFORE_DELAY"]
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ACCOUNT", 6)
    make_user("jo@example.test")
    client = CsrfClient(app)
    for n in range(6):
        assert login_from(client, f"192.0.2.{n + 1}", "jo@example.test", "not the password").status_code == 422
    resp = login_from(client, STUDENT_ADDR, "jo@example.test", PASSWORD)
    assert resp.status_code == 429
    assert "Wait 15 minutes" in resp.get_data(as_text=True)
    clock.advance(15 * 60)
    assert login_from(client, STUDENT_ADDR, "jo@example.test", PASSWORD).status_code == 302


def test_failed_logins_limited_per_address_across_accounts(app, csrf_client):
    limit = app.config["LOGIN_FAILURES_PER_IP"]
    for i in range(limit):
        csrf_client.login(f"user{i}@example.test", "not the password")
    resp = csrf_client.login("someone-else@example.test", "whatever pass")
    assert resp.status_code == 429
    assert "Too many failed attempts" in resp.get_data(as_text=True)


def test_a_locked_account_keeps_its_signed_in_session(app, make_user, monkeypatch):
    """A limit refuses new logins only: the student already signed in keeps working."""
    from tests.conftest import CsrfClient
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ACCOUNT", 3)
    make_user("jo@example.test")
    student, attacker = CsrfClient(app), CsrfClient(app)
    assert login_from(student, STUDENT_ADDR, "jo@example.test", PASSWORD).status_code == 302
    for n in range(3):
        login_from(attacker, f"192.0.2.{n + 1}", "jo@example.test", "not the password")
    assert login_from(attacker, ATTACKER_ADDR, "jo@example.test", PASSWORD).status_code == 429
    page = student.get("/auth/profile")
    assert page.status_code == 200 and "jo@example.test" in page.get_data(as_text=True)
    assert student.post("/lessons/" + _first_lesson(app) + "/complete", token_from="/lessons/",
                        environ_base={"REMOTE_ADDR": STUDENT_ADDR}).status_code in (302, 303)


def _first_lesson(app) -> str:
    from app.extensions import db
    from app.models import Lesson
    with app.app_context():
        return db.session.scalar(sa.select(Lesson.slug).order_by(Lesson.id).limit(1))


def test_limits_are_shared_between_app_instances(app, make_user):
    """Two workers (two app objects) count the same failures: the counter lives in the database."""
    from app import create_app
    from tests.conftest import CsrfClient
    make_user("kim@example.test")
    other = create_app({**{k: app.config[k] for k in ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "CONTENT_DIR")}})
    a, b = CsrfClient(app), CsrfClient(other)
    for i in range(app.config["LOGIN_FAILURES_BEFORE_DELAY"]):
        assert (a if i % 2 else b).login("kim@example.test", "not the password").status_code == 422
    assert a.login("kim@example.test", PASSWORD).status_code == 429
    assert b.login("kim@example.test", PASSWORD).status_code == 429


def test_post_without_csrf_token_is_rejected(client, make_user):
    make_user("lu@example.test")
    resp = client.post("/auth/login", data={"email": "lu@example.test", "password": PASSWORD})
    assert resp.status_code == 400
    assert "Form expired" in resp.get_data(as_text=True)


def test_security_headers_on_every_response(client):
    for path in ("/", "/lessons/", "/no-such-page", "/static/css/site.css"):
        resp = client.get(path)
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"]


def test_no_inline_script_or_external_asset_in_pages(client):
    for path in ("/", "/lessons/", "/auth/login", "/auth/register", "/role-fit/"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r'(src|href)="(https?:)?//', html), path


def test_friendly_404(client):
    resp = client.get("/nowhere")
    assert resp.status_code == 404
    assert "There is no page at this address" in resp.get_data(as_text=True)


def test_open_redirect_is_refused(csrf_client, make_user):
    make_user("max@example.test")
    resp = csrf_client.post("/auth/login?next=//evil.example/", {"email": "max@example.test", "password": PASSWORD},
                            token_from="/auth/login")
    assert resp.status_code == 302
    assert "evil" not in resp.headers["Location"]


def test_role_required_answers_403(app):
    from app import create_app
    from app.auth.decorators import role_required
    from app.services.auth import create_user
    from tests.conftest import CsrfClient

    fresh = create_app({k: app.config[k] for k in ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "CONTENT_DIR")})

    @role_required("instructor")
    def only_instructors():
        return "secret"

    fresh.add_url_rule("/_test/instructors-only", "test_instructors_only", only_instructors)
    with fresh.app_context():
        create_user("stu@example.test", "Stu", PASSWORD, "student")
        create_user("ins@example.test", "Ins", PASSWORD, "instructor")
    anon = fresh.test_client().get("/_test/instructors-only")
    assert anon.status_code == 302 and "/auth/login" in anon.headers["Location"]
    s = CsrfClient(fresh)
    s.login("stu@example.test", PASSWORD)
    assert s.get("/_test/instructors-only").status_code == 403
    assert "Not allowed" in s.get("/_test/instructors-only").get_data(as_text=True)
    i = CsrfClient(fresh)
    i.login("ins@example.test", PASSWORD)
    assert i.get("/_test/instructors-only").get_data(as_text=True) == "secret"


def test_registrations_are_limited_per_address_in_the_database_and_keep_the_input(app, csrf_client):
    """Counted in the database like failed logins: no Redis to run, nothing a worker keeps to itself."""
    import sqlalchemy as sa
    from app.extensions import db
    from app.models import LoginFailure, User
    app.config["REGISTRATIONS_PER_IP"] = 3
    try:
        for n in range(3):  # bad passwords: refused, but each counts
            resp = csrf_client.post("/auth/register", {"name": "Flood", "email": f"f{n}@example.test",
                                                       "password": "x", "confirm": "x"})
            assert resp.status_code == 422
        resp = csrf_client.post("/auth/register", {"name": "Lee Fourth", "email": "lee4@example.test",
                                                   "password": "a decent passphrase",
                                                   "confirm": "a decent passphrase"})
        assert resp.status_code == 429
        page = resp.get_data(as_text=True)
        assert "Too many sign-up attempts" in page and 'value="lee4@example.test"' in page
        with app.app_context():
            assert db.session.scalar(sa.select(User).where(User.email == "lee4@example.test")) is None
            assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)
                                     .where(LoginFailure.key.like("register-ip:%"))) == 3
    finally:
        app.config["REGISTRATIONS_PER_IP"] = 10


def test_registering_a_taken_address_hashes_the_password_as_a_new_account_does(app, csrf_client, make_user,
                                                                               monkeypatch):
    """Timing must not tell which addresses have accounts: both answers run the Argon2 hash once (asserted by
    counting calls, not by a clock)."""
    from app.services import auth as auth_service
    make_user("taken@example.test")
    calls = []
    real = auth_service.hash_password
    monkeypatch.setattr(auth_service, "hash_password", lambda pw: calls.append(pw) or real(pw))
    for email, status in (("taken@example.test", 422), ("fresh@example.test", 302)):
        calls.clear()
        resp = csrf_client.post("/auth/register", {"name": "Tim Ing", "email": email,
                                                   "password": PASSWORD, "confirm": PASSWORD})
        assert resp.status_code == status
        assert calls == [PASSWORD], email


def test_a_successful_login_resets_that_accounts_failure_count(app, csrf_client, make_user, clock):
    """After the right password, earlier failures for the account no longer count towards a delay."""
    make_user("jo@example.test")
    free = app.config["LOGIN_FAILURES_BEFORE_DELAY"]
    for _ in range(free - 1):
        assert login_from(csrf_client, STUDENT_ADDR, "jo@example.test", "typo typo").status_code == 422
    assert login_from(csrf_client, STUDENT_ADDR, "jo@example.test", PASSWORD).status_code == 302
    csrf_client.logout()
    for _ in range(free):   # a fresh allowance: without the reset the last of these would wait
        assert login_from(csrf_client, STUDENT_ADDR, "jo@example.test", "typo typo").status_code == 422


def test_login_starts_a_fresh_session(app, make_user):
    """Whatever the browser's session held before login is gone after it (no session fixation)."""
    from tests.conftest import CsrfClient
    make_user("jo@example.test")
    c = CsrfClient(app)
    c.get("/auth/login")
    with c.client.session_transaction() as s:
        s["planted"] = "by someone else"
        before = dict(s)
    assert c.login("jo@example.test", PASSWORD).status_code == 302
    with c.client.session_transaction() as s:
        assert "planted" not in s
    assert before.get("planted") == "by someone else"
