"""Accounts: registration, login with shared failure limits, login sessions that logout really ends."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin

from app.extensions import db
from app.models import AuthSession, LoginFailure, Role, User
from app.models.users import utcnow
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
    pass


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
    now = utcnow()
    key = f"register-ip:{client_ip}"
    if _failures_since(key, now - cfg["REGISTRATION_WINDOW"]) >= cfg["REGISTRATIONS_PER_IP"]:
        raise TooManyAttempts()
    db.session.add(LoginFailure(key=key, created_at=now))
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.created_at < now - timedelta(days=1)))
    db.session.commit()


def authenticate(email: str, password: str, client_ip: str) -> User:
    """Check a login. Failures are counted per account and per address in the database, so the
    limit holds across every worker and host. Raises TooManyAttempts or AccountError."""
    cfg = current_app.config
    now = utcnow()
    since = now - cfg["LOGIN_FAILURE_WINDOW"]
    account_key, ip_key = f"account:{normalise_email(email)}", f"ip:{client_ip}"
    if (_failures_since(account_key, since) >= cfg["LOGIN_FAILURES_PER_ACCOUNT"]
            or _failures_since(ip_key, since) >= cfg["LOGIN_FAILURES_PER_IP"]):
        raise TooManyAttempts()
    user = get_user_by_email(email)
    if not verify_password(user.password_hash if user else None, password or ""):
        db.session.add_all([LoginFailure(key=account_key, created_at=now), LoginFailure(key=ip_key, created_at=now)])
        # Old failures are of no use; trim them as we go.
        db.session.execute(sa.delete(LoginFailure).where(LoginFailure.created_at < now - timedelta(days=1)))
        db.session.commit()
        raise AccountError("password", "That e-mail and password don't match an account.")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.key == account_key))
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
    cfg, now = current_app.config, utcnow()
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
