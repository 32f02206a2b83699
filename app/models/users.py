"""Accounts, login sessions and failed-login records."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin

from app.clock import utcnow
from app.extensions import db


class Role(str, enum.Enum):
    STUDENT = "student"
    INSTRUCTOR = "instructor"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    #: the login session this request came through (set by the user loader; not a column)
    login_session_id = None

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True, index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    role: so.Mapped[str] = so.mapped_column(sa.String(20), default=Role.STUDENT.value)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    sessions: so.WriteOnlyMapped["AuthSession"] = so.relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True)

    def get_id(self) -> str | None:
        # Flask-Login stores this in the cookie: the login session's id, never the user id.
        return self.login_session_id

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class AuthSession(db.Model):
    """One login. The cookie carries only its random id, so logging out deletes the row and a
    replayed cookie no longer names anyone."""

    __tablename__ = "auth_sessions"

    id: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_seen_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    user: so.Mapped[User] = so.relationship(back_populates="sessions")


class LoginFailure(db.Model):
    """An attempt that counts against a limit, in a sliding window: a failed login (keyed ``account-ip:``,
    ``account:`` and ``ip:``) or a registration attempt (keyed ``register-ip:``)."""

    __tablename__ = "login_failures"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    key: so.Mapped[str] = so.mapped_column(sa.String(300), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
