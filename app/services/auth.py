"""Accounts: registration, login with shared failure limits, login sessions that logout really ends."""
from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin

from app.extensions import db
from app.models import AuthSession, LoginFailure, Role, User
from app import clock
from app.services.passwords import hash_password, needs_rehash, password_problem, verify_password

#: last_seen_at is written at most this often, so reading pages doesn't write on every request
TOUCH_INTERVAL = timedelta(seconds=60)


class AccountError(ValueError):
    """A problem with what the user typed; ``field`` says which form field it belongs beside."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class TooManyAttempts(Exception):
    """Refused before the password is checked; ``retry_after`` is the wait in seconds when it is known."""

    def __init__(self, retry_after: int | None = None):
        super().__init__(retry_after)
        self.retry_after = retry_after


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def create_user(email: str, name: str, password: str, role: str = Role.STUDENT.value) -> User:
    """Create an account (the registration form and `flask users create` both come here)."""
    email = normalise_email(email)
    if role not in {r.value for r in Role}:
        raise AccountError("role", f"Unknown role '{role}'.")
    if not email or "@" not in email or len(email) > 254:
        raise AccountError("email", "Enter a valid e-mail address.")
    if not (name or "").strip():
        raise AccountError("name", "Enter your name.")
    problem = password_problem(password, email)
    if problem:
        raise AccountError("password", problem)
    # Hash before asking whether the address is taken, so "already exists" costs the same Argon2 work as a
    # new account: the answer's timing does not tell which addresses have accounts.
    password_hash = hash_password(password)
    if get_user_by_email(email):
        raise AccountError("email", "An account with this e-mail already exists. Log in instead.")
    user = User(email=email, name=name.strip()[:100], password_hash=password_hash, role=role)
    db.session.add(user)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        # A double-clicked register button: the other request created it first.
        db.session.rollback()
        raise AccountError("email", "An account with this e-mail already exists. Log in instead.") from None
    return user


def _failures_since(key: str, since) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(LoginFailure)
        .where(LoginFailure.key == key, LoginFailure.created_at >= since)) or 0


def note_registration_attempt(client_ip: str) -> None:
    """Count a registration attempt from ``client_ip`` in the database (shared by every worker and host);
    raise TooManyAttempts past ``REGISTRATIONS_PER_IP`` in ``REGISTRATION_WINDOW``."""
    cfg = current_app.config
    now = clock.utcnow()
    key = f"register-ip:{client_ip}"
    if _failures_since(key, now - cfg["REGISTRATION_WINDOW"]) >= cfg["REGISTRATIONS_PER_IP"]:
        raise TooManyAttempts()
    db.session.add(LoginFailure(key=key, created_at=now))
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.created_at < now - timedelta(days=1)))
    db.session.commit()


def limit_key(kind: str, *parts: str) -> str:
    # Every part is bounded (an e-mail is at most 254 characters by the form; an address is whatever the
    # server was told) so a key always fits its String(300) column.
    return f"{kind}:" + "|".join(part[:140] for part in parts)


def _wait_after_failures(failures: int, last_failure, now) -> int:
    """Seconds this (account, address) pair must still wait: none for its first
    ``LOGIN_FAILURES_BEFORE_DELAY`` failures, then 2, 4, 8, ... seconds after the latest one (at most the
    window)."""
    cfg = current_app.config
    over = failures - cfg["LOGIN_FAILURES_BEFORE_DELAY"]
    if over < 0 or last_failure is None:
        return 0
    delay = min(2 ** min(over + 1, 30), int(cfg["LOGIN_FAILURE_WINDOW"].total_seconds()))
    return max(0, math.ceil(delay - (now - last_failure).total_seconds()))


def wait_for_ceiling(key: str, limit: int, window: timedelta, now=None) -> int:
    """Seconds until the oldest attempt under ``key`` leaves the sliding ``window``, if ``limit`` are in it;
    else 0. Any limit counted in ``login_failures`` (logins, join codes) asks here."""
    now = now or clock.utcnow()
    times = db.session.scalars(sa.select(LoginFailure.created_at).where(
        LoginFailure.key == key, LoginFailure.created_at > now - window)
        .order_by(LoginFailure.created_at.desc()).limit(limit)).all()
    if len(times) < limit:
        return 0
    return max(1, math.ceil((times[-1] + window - now).total_seconds()))


def note_failures(*keys: str) -> None:
    """Count one failed attempt under each key (and trim rows older than a day)."""
    now = clock.utcnow()
    db.session.add_all([LoginFailure(key=key, created_at=now) for key in keys])
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.created_at < now - timedelta(days=1)))
    db.session.commit()


def login_wait(email: str, client_ip: str) -> int:
    """Seconds before a login for ``email`` from ``client_ip`` is looked at (0: now). Three limits, each
    counted in the database so every worker and host shares it:

    - per account *and* address, growing delays: someone guessing a student's password from one address
      slows only their own tries, never the student's from another;
    - per address across accounts (``LOGIN_FAILURES_PER_IP``): one address trying many accounts;
    - per account across addresses (``LOGIN_FAILURES_PER_ACCOUNT``), set far higher: a guess spread over
      many addresses.
    """
    cfg = current_app.config
    now = clock.utcnow()
    since = now - cfg["LOGIN_FAILURE_WINDOW"]
    email = normalise_email(email)
    pair_key = limit_key("account-ip", email, client_ip)
    pair = db.session.execute(sa.select(sa.func.count(), sa.func.max(LoginFailure.created_at)).where(
        LoginFailure.key == pair_key, LoginFailure.created_at > since)).one()
    window = cfg["LOGIN_FAILURE_WINDOW"]
    return max(_wait_after_failures(pair[0], pair[1], now),
               wait_for_ceiling(limit_key("ip", client_ip), cfg["LOGIN_FAILURES_PER_IP"], window, now),
               wait_for_ceiling(limit_key("account", email), cfg["LOGIN_FAILURES_PER_ACCOUNT"], window, now))


def authenticate(email: str, password: str, client_ip: str) -> User:
    """Check a login. Failures are counted per (account, address), per address and per account in the
    database (see ``login_wait``); a refused try is not counted. Raises TooManyAttempts or AccountError.
    Nothing here touches a session already signed in: a limit never ends a live session."""
    wait = login_wait(email, client_ip)
    if wait:
        raise TooManyAttempts(wait)
    email = normalise_email(email)
    keys = [limit_key("account-ip", email, client_ip), limit_key("ip", client_ip), limit_key("account", email)]
    user = get_user_by_email(email)
    if not verify_password(user.password_hash if user else None, password or ""):
        note_failures(*keys)
        raise AccountError("password", "That e-mail and password don't match an account.")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.key.in_([keys[0], keys[2]])))
    db.session.commit()
    return user


def start_login_session(user: User) -> str:
    session_id = secrets.token_urlsafe(32)
    db.session.add(AuthSession(id=session_id, user_id=user.id))
    db.session.commit()
    user.login_session_id = session_id
    return session_id


def end_login_session(session_id: str | None) -> None:
    if session_id:
        db.session.execute(sa.delete(AuthSession).where(AuthSession.id == session_id))
        db.session.commit()


class SignedInUser(UserMixin):
    """The account a request is signed in as (``current_user``): a read-only record of the user's
    columns, not a database object. It is loaded on every request, so it skips the ORM; code that
    changes an account loads the ``User`` by id."""

    def __init__(self, id: int, email: str, name: str, role: str, created_at, login_session_id: str):
        self.id, self.email, self.name, self.role = id, email, name, role
        self.created_at, self.login_session_id = created_at, login_session_id

    def get_id(self) -> str:
        # Flask-Login keeps this in the cookie: the login session's id, never the user id.
        return self.login_session_id

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<SignedInUser {self.email} {self.role}>"


_U, _S = User.__table__.c, AuthSession.__table__.c
#: Built once: one indexed join, plain columns.
_LOAD_SESSION = (sa.select(_U.id, _U.email, _U.name, _U.role, _U.created_at,
                           _S.created_at.label("session_created_at"), _S.last_seen_at)
                 .select_from(AuthSession.__table__.join(User.__table__, _S.user_id == _U.id))
                 .where(_S.id == sa.bindparam("session_id")))


def load_login_session(session_id: str) -> SignedInUser | None:
    """Flask-Login's user loader: the cookie names a login session, not a user."""
    row = db.session.connection().execute(_LOAD_SESSION, {"session_id": session_id}).first()
    if row is None:
        return None
    cfg, now = current_app.config, clock.utcnow()
    sessions = AuthSession.__table__
    if (now - row.session_created_at > cfg["SESSION_ABSOLUTE_TIMEOUT"]
            or now - row.last_seen_at > cfg["SESSION_IDLE_TIMEOUT"]):
        db.session.execute(sessions.delete().where(sessions.c.id == session_id))
        db.session.commit()
        return None
    if now - row.last_seen_at > TOUCH_INTERVAL:
        db.session.execute(sessions.update().where(sessions.c.id == session_id).values(last_seen_at=now))
        db.session.commit()
    return SignedInUser(row.id, row.email, row.name, row.role, row.created_at, session_id)


def ensure_demo_users() -> list[tuple[str, str, str, bool]]:
    """Create the demo instructor and student if absent; returns (role, email, password, created)."""
    cfg = current_app.config
    out = []
    for role, email, name, password in (
        (Role.INSTRUCTOR.value, "instructor@demo.chart2claim.test", "Demo Instructor", cfg["DEMO_PASSWORD_INSTRUCTOR"]),
        (Role.STUDENT.value, "student@demo.chart2claim.test", "Demo Student", cfg["DEMO_PASSWORD_STUDENT"]),
    ):
        if not password:
            continue
        created = get_user_by_email(email) is None
        if created:
            create_user(email, name, password, role)
        out.append((role, email, password, created))
    return out
