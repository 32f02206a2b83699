"""Helpers for the fault tests (test_faults.py): a real gunicorn serving the app on a throwaway
database, a small cookie-keeping HTTP client that tells a dropped connection from an answer, and
direct read access to the attempt tables.

The database is a fresh SQLite file, or a fresh PostgreSQL schema when TEST_DATABASE_URL is set
(the same rule as tests/conftest.py: PostgreSQL replaces SQLite for the run).
"""
from __future__ import annotations

import http.client
import http.cookies
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "fault test passphrase 2026"

#: errors that mean "no answer came back": the worker died, the connection was reset or timed out
TRANSIENT = (OSError, http.client.HTTPException)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- database


#: run in a subprocess with the server's environment: migrate, import content, create the students
_SETUP = """
import sys
from flask_migrate import upgrade
from app import create_app
from app.services.auth import create_user
from app.services.content import import_content
app = create_app()
with app.app_context():
    upgrade()
    report = import_content()
    if not report.ok:
        sys.exit("content import failed: " + "; ".join(map(str, report.errors)))
    for email in sys.argv[2:]:
        create_user(email, email.split("@")[0], sys.argv[1], "student")
"""


class Database:
    """A throwaway database for one server: a SQLite file or a PostgreSQL schema."""

    def __init__(self, tmp: Path):
        pg = os.environ.get("TEST_DATABASE_URL")
        self.kind = "postgresql" if pg else "sqlite"
        if pg:
            import psycopg

            # psycopg wants plain postgresql://; the app's config turns it into postgresql+psycopg://
            self.pg_url = re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://", pg)
            self.schema = f"fault_{os.getpid()}_{secrets.token_hex(3)}"
            with psycopg.connect(self.pg_url, autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA {self.schema}")
            sep = "&" if "?" in self.pg_url else "?"
            self.url = f"{self.pg_url}{sep}options=-csearch_path%3D{self.schema}"
        else:
            self.path = tmp / "faults.sqlite"
            self.url = f"sqlite:///{self.path}"

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.path, timeout=30)
            try:
                return conn.execute(sql, params).fetchall()
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(self.pg_url, options=f"-csearch_path={self.schema}") as conn:
            return conn.execute(sql.replace("?", "%s"), params).fetchall()

    def drop(self) -> None:
        if self.kind == "postgresql":
            import psycopg

            with psycopg.connect(self.pg_url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")


# --------------------------------------------------------------------------- server


class Server:
    """gunicorn (sync workers) on a free local port, serving wsgi:app on its own database."""

    def __init__(self, students: list[str], workers: int = 4):
        self.tmp = Path(tempfile.mkdtemp(prefix="c2c-faults-"))
        self.db = Database(self.tmp)
        self.students = students
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.access_log = self.tmp / "access.log"
        self.error_log = self.tmp / "error.log"
        self.ready_file = self.tmp / "ready-workers"
        self.env = {**os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": self.db.url, "SECRET_KEY": "f" * 40,
                    "APP_CONFIG": "development", "CODESET_PATH": str(ROOT / "instance" / "codes.sqlite"),
                    "CONTENT_DIR": str(ROOT / "content")}
        self.env.pop("TEST_DATABASE_URL", None)
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Server":
        done = subprocess.run([sys.executable, "-c", _SETUP, PASSWORD, *self.students], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr[-3000:]
        # A gunicorn config whose hook notes each worker once it has loaded the app and is serving.
        # --preload: the master imports the app once and forks workers from it, so a killed worker is
        # replaced in milliseconds instead of re-importing the app (seconds of CPU on a 2-core machine).
        conf = self.tmp / "gunicorn.conf.py"
        conf.write_text(
            "import os\n\n"
            "def post_worker_init(worker):\n"
            f"    with open({str(self.ready_file)!r}, 'a') as f:\n"
            "        f.write(f'{os.getpid()}\\n')\n")
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(conf), "-w", str(self.workers), "-k", "sync", "--preload",
             "--no-control-socket", "-b", f"127.0.0.1:{self.port}", "--timeout", "60", "--graceful-timeout", "1",
             "--log-level", "info",
             "--error-logfile", str(self.error_log), "--access-logfile", str(self.access_log),
             "--access-logformat", "%(p)s %(m)s %(U)s %(s)s", "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.wait_ready()
        return self

    def ready_workers(self) -> list[int]:
        """Workers that have booted (loaded the app) and are still alive."""
        try:
            ready = {int(p) for p in self.ready_file.read_text().split()}
        except FileNotFoundError:
            ready = set()
        return [pid for pid in self.worker_pids() if pid in ready and process_state(pid) not in ("Z", "X", None)]

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Every worker has booted and /healthz answers."""
        end = time.time() + timeout
        while time.time() < end:
            assert self.proc.poll() is None, f"gunicorn exited: {self.log_tail()}"
            if len(self.ready_workers()) == self.workers:
                try:
                    if Client(self).get("/healthz").status == 200:
                        return
                except TRANSIENT:
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn on {self.base} did not come up: {self.log_tail()}")

    def served_by(self) -> set[int]:
        return {int(line.split()[0].strip("<>")) for line in self.access_lines()}

    def access_lines(self) -> list[str]:
        try:
            return [line for line in self.access_log.read_text().splitlines() if line.strip()]
        except FileNotFoundError:
            return []

    def worker_pids(self) -> list[int]:
        """The master's children: its workers."""
        pid = self.proc.pid
        try:
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except FileNotFoundError:
            out = subprocess.run(["ps", "--ppid", str(pid), "-o", "pid="], capture_output=True, text=True).stdout
            return [int(p) for p in out.split()]

    def kill_worker(self, pid: int) -> bool:
        try:
            os.kill(pid, signal.SIGKILL)
            return True
        except ProcessLookupError:
            return False

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.error_log.read_text()[-chars:]
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=10)
                for pid in self.worker_pids() if self.proc.poll() is None else []:
                    self.kill_worker(pid)
        finally:
            try:
                self.db.drop()
            finally:
                shutil.rmtree(self.tmp, ignore_errors=True)


def process_state(pid: int) -> str | None:
    """R running, S sleeping, Z killed but not yet reaped, ...; None when the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


# --------------------------------------------------------------------------- client


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def location(self) -> str:
        return urllib.parse.urlsplit(self.headers.get("location", "")).path


def exchange(conn: http.client.HTTPConnection, method: str, path: str, data, cookies: dict[str, str],
             headers: dict | None = None) -> tuple[int, dict[str, str], str, list[str]]:
    """One request on a fresh ``conn`` (closed after), with a browser's cookie jar ``cookies``, updated
    from the answer's Set-Cookie headers (an emptied or expired cookie is dropped). Returns the status,
    the lower-cased headers, the body text and the Set-Cookie headers as sent."""
    try:
        sent = {"Connection": "close", **(headers or {})}
        if cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=sent)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        set_cookies = resp.headers.get_all("Set-Cookie") or []
        for header in set_cookies:
            jar = http.cookies.SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel.value and morsel["expires"] != "Thu, 01 Jan 1970 00:00:00 GMT":
                    cookies[name] = morsel.value
                else:
                    cookies.pop(name, None)
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, text, set_cookies
    finally:
        conn.close()


class Client:
    """One browser: its own cookies, one fresh connection per request (sync workers close them)."""

    def __init__(self, server: Server, timeout: float = 30.0):
        self.server = server
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        #: answers with a 5xx status: a killed worker drops its connection, it never answers 5xx,
        #: so these are server errors the tests report (after repeating the request)
        self.server_errors: list[tuple[str, str, int, str]] = []

    def request(self, method: str, path: str, data=None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=self.timeout)
        status, headers, text, _ = exchange(conn, method, path, data, self.cookies)
        if status >= 500:
            self.server_errors.append((method, path, status, text[:300]))
        return Response(status, headers, text)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, data) -> Response:
        return self.request("POST", path, data)

    def retrying(self, method: str, path: str, data=None, deadline: float = 60.0) -> tuple[Response, int]:
        """Repeat the request until a worker answers it (not with a 5xx); return it and the failures."""
        end, failures = time.time() + deadline, 0
        while True:
            try:
                resp = self.request(method, path, data)
                if resp.status < 500:
                    return resp, failures
            except TRANSIENT:
                pass
            failures += 1
            if time.time() > end:
                raise AssertionError(f"{method} {path}: no answer within {deadline} s")
            time.sleep(0.05)

    def login(self, email: str, password: str = PASSWORD) -> int:
        """Log in (repeating a cut-off attempt); return how many tries failed."""
        page, lost = self.retrying("GET", "/auth/login")
        data = {"csrf_token": csrf_token(page.body), "email": email, "password": password}
        resp, lost2 = self.retrying("POST", "/auth/login", data)
        assert resp.status == 302 and "/auth/login" not in resp.location, (resp.status, resp.body[:500])
        return lost + lost2


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


# --------------------------------------------------------------------------- forms


@dataclass
class Form:
    """A page's form as a browser would submit it untouched, plus the options of its choices."""

    fields: list[tuple[str, str]] = field(default_factory=list)
    options: dict[str, list[str]] = field(default_factory=dict)

    def value(self, name: str) -> str | None:
        return next((v for k, v in self.fields if k == name), None)

    def set(self, name: str, *values: str) -> None:
        self.fields = [(k, v) for k, v in self.fields if k != name] + [(name, v) for v in values]


class _FormParser(HTMLParser):
    def __init__(self, marker: str):
        super().__init__(convert_charrefs=True)
        self.marker = marker  # a field name that identifies the wanted form
        self.forms: list[Form] = []
        self.current: Form | None = None
        self.select: str | None = None
        self.select_values: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.current = Form()
            self.forms.append(self.current)
        if self.current is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                self.current.options.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    self.current.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "image", "reset", "file"):
                self.current.fields.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self.select, self.select_values = name, []
        elif tag == "option" and self.select:
            self.select_values.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and name:
            self.current.fields.append((name, ""))

    def handle_endtag(self, tag):
        if tag == "select" and self.select and self.current is not None:
            values = [v for v, _ in self.select_values]
            chosen = [v for v, sel in self.select_values if sel] or values[:1]
            self.current.options[self.select] = values
            self.current.fields.extend((self.select, v) for v in chosen)
            self.select = None
        elif tag == "form":
            self.current = None


def answer_form(html: str, marker: str = "token") -> Form:
    """The form on the page holding a field named ``marker`` (the one-time submission token)."""
    parser = _FormParser(marker)
    parser.feed(html)
    forms = [f for f in parser.forms if f.value(marker) is not None]
    assert len(forms) == 1, f"expected one form with a '{marker}' field, found {len(forms)}"
    return forms[0]


ATTEMPT_PATH = re.compile(r"^/(cases|claims)/([a-z0-9-]+)/attempts/(\d+)$")


def attempt_id(location: str) -> int | None:
    match = ATTEMPT_PATH.match(location)
    return int(match.group(3)) if match else None


def loads(value):
    """A JSON column as read back: text on SQLite, already decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value
