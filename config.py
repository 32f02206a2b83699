"""Configuration classes, read from the environment."""
import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

#: A SECRET_KEY that must never reach production (the development fallback).
DEV_SECRET_KEY = "dev-only-not-secret"


def _database_url(default: str) -> str:
    url = os.environ.get("DATABASE_URL", default)
    # Heroku-style URLs and plain postgresql:// both mean psycopg 3 here.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{INSTANCE_DIR / 'chart2claim.sqlite'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    CODESET_PATH = os.environ.get("CODESET_PATH", str(INSTANCE_DIR / "codes.sqlite"))
    CONTENT_DIR = os.environ.get("CONTENT_DIR", str(BASE_DIR / "content"))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    #: A login session ends after this long without a request ...
    SESSION_IDLE_TIMEOUT = timedelta(minutes=int(os.environ.get("SESSION_IDLE_MINUTES", "60")))
    #: ... and after this long whatever happens.
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12")))
    PERMANENT_SESSION_LIFETIME = SESSION_ABSOLUTE_TIMEOUT

    # Failed-login limits, counted in the database so every worker and host shares them. One account from one
    # address: this many failures, then waits of 2, 4, 8, ... seconds (at most the window) between tries.
    LOGIN_FAILURES_BEFORE_DELAY = 3
    # Ceilings in the window: one address across accounts, and one account across every address (far higher,
    # so a stranger cannot lock a student out; only a guess spread over many addresses reaches it).
    LOGIN_FAILURES_PER_IP = 20
    LOGIN_FAILURES_PER_ACCOUNT = 100
    LOGIN_FAILURE_WINDOW = timedelta(minutes=15)

    # Registrations per client address, counted in the same table as failed logins: every worker and host
    # shares the count with no extra service to run (or to fail).
    REGISTRATIONS_PER_IP = 10
    REGISTRATION_WINDOW = timedelta(hours=1)

    # Wrong class join codes, per student and per client address (same table): a code is 8 characters of 32,
    # so guessing one at these rates would take millions of years.
    JOIN_FAILURES_PER_USER = 10
    JOIN_FAILURES_PER_IP = 30
    JOIN_FAILURE_WINDOW = timedelta(hours=1)

    # Request bodies (SECURITY.md, "Request sizes"). Werkzeug refuses a body over the limit with 413 from
    # its Content-Length before reading it, and stops reading a body sent without one at the limit.
    #: bytes of any request body. The largest form, a quiz question with every box at its limit in
    #: four-byte characters, is about 520 kB percent-encoded.
    MAX_CONTENT_LENGTH = 600_000
    #: bytes of the text fields of one form (Flask's default, 500 kB, is under the form above)
    MAX_FORM_MEMORY_SIZE = 600_000
    #: bytes and nesting depth of a JSON body (the exam autosave sends {position, choice, flagged})
    MAX_JSON_BYTES = 4_096
    MAX_JSON_DEPTH = 4

    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a clock

    #: How many proxies in front of the app add to X-Forwarded-For/-Proto/-Host (nginx alone: 1). The
    #: client's address is then the one the outermost trusted proxy saw, so the per-address limits above
    #: count clients, not the proxy. 0 (the default) trusts no X-Forwarded-* header: a client could forge them.
    TRUSTED_PROXIES = os.environ.get("TRUSTED_PROXIES", "0")
    HSTS = False
    DEMO_PASSWORD_STUDENT = "chart-to-claim-learner"
    DEMO_PASSWORD_INSTRUCTOR = "chart-to-claim-teacher"


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = _database_url(
        os.environ.get("TEST_DATABASE_URL", "sqlite:///:memory:")
    ) if os.environ.get("TEST_DATABASE_URL") else "sqlite:///:memory:"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    HSTS = True
    DEMO_PASSWORD_STUDENT = None
    DEMO_PASSWORD_INSTRUCTOR = None

    @classmethod
    def check(cls) -> None:
        """Refuse to start with a missing or well-known secret key."""
        key = os.environ.get("SECRET_KEY", "")
        if not key or key == DEV_SECRET_KEY or len(key) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production "
                "(`flask deploy init ENV_FILE --database-url URL` writes one to an env file to keep)."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
