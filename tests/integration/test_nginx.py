"""The shipped nginx site file (deploy/nginx/chart2claim.conf) in front of a real gunicorn, over TLS
(issue 17 §6, issue 12 §8).

Debian's nginx runs the shipped file with only its host name, certificate paths, ports and the clone's path
substituted, under a minimal nginx.conf in a temporary directory, with a self-signed certificate made by
openssl. gunicorn serves the app with the production config and TRUSTED_PROXIES=1. Through https the test
logs in, posts a form (the CSRF check passes on the Referer, as a browser sends it) and checks that failed
logins are counted against the client's address as nginx saw it (the test connects from 127.0.0.2; nginx
reaches gunicorn from 127.0.0.1), not the proxy's and not one the client forged.

nginx is installed by `make test` (scripts/ensure-nginx) where it can be (root with apt-get). Elsewhere this
file is skipped with a loud reason; with REQUIRE_NGINX=1 (set by .ci/run) a missing nginx fails instead.
"""
from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import pytest

from tests.integration.fault_server import PASSWORD, Server, csrf_token, exchange, free_port

ROOT = Path(__file__).resolve().parents[2]
SITE_FILE = ROOT / "deploy" / "nginx" / "chart2claim.conf"
HOST = "localhost"
CLIENT_ADDR = "127.0.0.2"  # the test's browser; nginx itself reaches gunicorn from 127.0.0.1
STUDENT = "nginx-student@example.com"

pytestmark = pytest.mark.xdist_group("nginx")


def nginx_binary() -> str | None:
    for candidate in (os.environ.get("NGINX_PATH"), shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def render_site(text: str, *, http_port: int, https_port: int, upstream_port: int, cert: Path, key: Path) -> str:
    """The shipped site file with only paths, names and ports replaced. Each replacement must find its
    text, so a change to the shipped file that the test no longer matches fails here, not silently."""

    def sub(pattern: str, repl, s: str) -> str:
        out, n = re.subn(pattern, repl, s)
        assert n, f"{pattern!r} not found in {SITE_FILE.name}: update the test with the file"
        return out

    ports = {"80": http_port, "443": https_port}
    text = sub(r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{upstream_port};", text)
    text = sub(r"/srv/chart2claim/app/static/", f"{ROOT}/app/static/", text)
    text = sub(r"/etc/letsencrypt/live/chart2claim\.example\.org/fullchain\.pem", str(cert), text)
    text = sub(r"/etc/letsencrypt/live/chart2claim\.example\.org/privkey\.pem", str(key), text)
    text = sub(r"server_name chart2claim\.example\.org;", f"server_name {HOST};", text)
    text = sub(r"listen (80|443)\b", lambda m: f"listen 127.0.0.1:{ports[m.group(1)]}", text)
    if ipv6_loopback():
        text = sub(r"listen \[::\]:(80|443)\b", lambda m: f"listen [::1]:{ports[m.group(1)]}", text)
    else:
        text = sub(r"\n\s*listen \[::\]:(80|443)\b[^;]*;", "", text)
    return text


def nginx_conf(tmp: Path, site: Path) -> str:
    """A minimal main configuration, as Debian's /etc/nginx/nginx.conf would be, around the site file."""
    mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else \
        "types { text/css css; application/javascript js; image/svg+xml svg; }"
    temp = "\n".join(f"    {kind}_temp_path {tmp / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                           "uwsgi", "scgi"))
    # as root, workers would otherwise run as nobody, who may not read the clone or the temp directory
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (f"{user}daemon off;\nworker_processes 1;\npid {tmp / 'nginx.pid'};\n"
            f"error_log {tmp / 'error.log'} info;\n"
            "events { worker_connections 64; }\n"
            "http {\n"
            f"    {mime}\n    default_type application/octet-stream;\n"
            f"    access_log {tmp / 'access.log'};\n{temp}\n"
            f"    include {site};\n"
            "}\n")


def self_signed(tmp: Path) -> tuple[Path, Path]:
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST},IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    return cert, key


class Proxied:
    """gunicorn (production config, TRUSTED_PROXIES=1) behind nginx with the shipped site file."""

    def __init__(self, nginx: str):
        self.nginx = nginx
        self.tmp = Path(tempfile.mkdtemp(prefix="c2c-nginx-"))
        self.tmp.chmod(0o755)
        self.server = Server([STUDENT], workers=2)
        self.server.env.update({"APP_CONFIG": "production", "TRUSTED_PROXIES": "1"})
        self.http_port, self.https_port = free_port(), free_port()
        self.cert, self.key = self_signed(self.tmp)
        site = self.tmp / "chart2claim.conf"
        site.write_text(render_site(SITE_FILE.read_text(), http_port=self.http_port, https_port=self.https_port,
                                    upstream_port=self.server.port, cert=self.cert, key=self.key))
        self.conf = self.tmp / "nginx.conf"
        self.conf.write_text(nginx_conf(self.tmp, site))
        self.proc: subprocess.Popen | None = None

    def command(self, *extra: str) -> list[str]:
        return [self.nginx, "-p", str(self.tmp), "-c", str(self.conf), "-e", str(self.tmp / "error.log"), *extra]

    def check(self) -> subprocess.CompletedProcess:
        return subprocess.run(self.command("-t"), capture_output=True, text=True, timeout=30)

    def start(self) -> "Proxied":
        checked = self.check()
        assert checked.returncode == 0, checked.stderr
        self.server.start()
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.time() + 15
        while time.time() < end:
            assert self.proc.poll() is None, f"nginx exited: {self.error_log()}"
            try:
                with socket.create_connection(("127.0.0.1", self.https_port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nginx did not listen: {self.error_log()}")

    def error_log(self) -> str:
        try:
            return (self.tmp / "error.log").read_text()[-3000:]
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.terminate()  # nginx: fast shutdown
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=10)
        finally:
            try:
                self.server.stop()
            finally:
                shutil.rmtree(self.tmp, ignore_errors=True)


class Browser:
    """An https client that trusts only the test's certificate, keeps cookies, connects from
    CLIENT_ADDR and sends a Referer on posts as a browser does."""

    def __init__(self, site: Proxied):
        self.site = site
        self.origin = f"https://{HOST}:{site.https_port}"
        self.context = ssl.create_default_context(cafile=str(site.cert))
        self.cookies: dict[str, str] = {}
        self.set_cookie_headers: list[str] = []

    def request(self, method: str, path: str, data=None, headers: dict | None = None):
        conn = http.client.HTTPSConnection(HOST, self.site.https_port, context=self.context, timeout=30,
                                           source_address=(CLIENT_ADDR, 0))
        status, answer, text, set_cookies = exchange(conn, method, path, data, self.cookies, headers)
        self.set_cookie_headers.extend(set_cookies)
        return status, answer, text

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post_form(self, page: str, path: str, fields: dict, referer: bool = True, headers: dict | None = None):
        """Read ``page``'s CSRF token, then post ``fields`` to ``path`` with the Referer a browser sends."""
        status, _, html = self.get(page)
        assert status == 200, (page, status)
        sent = {"Referer": f"{self.origin}{page}"} if referer else {}
        return self.request("POST", path, {"csrf_token": csrf_token(html), **fields}, {**sent, **(headers or {})})


@pytest.fixture(scope="module")
def site():
    nginx = nginx_binary()
    if nginx is None:
        message = ("NGINX TEST SKIPPED: Debian's nginx is not installed and could not be "
                   "(scripts/ensure-nginx installs it as root with apt-get): the shipped "
                   "deploy/nginx/chart2claim.conf was NOT tested. Run 'sudo apt-get install nginx'.")
        if os.environ.get("REQUIRE_NGINX"):
            pytest.fail(message)
        warnings.warn(message)
        pytest.skip(message)
    proxied = Proxied(nginx)
    try:
        yield proxied.start()
    finally:
        proxied.stop()


def test_nginx_accepts_the_shipped_site_file(site):
    checked = site.check()
    assert checked.returncode == 0 and "test is successful" in checked.stderr, checked.stderr


def test_plain_http_redirects_to_https(site):
    conn = http.client.HTTPConnection("127.0.0.1", site.http_port, timeout=10)
    try:
        conn.request("GET", "/auth/login?next=/progress/", headers={"Host": HOST})
        resp = conn.getresponse()
        assert resp.status == 301
        assert resp.getheader("Location") == f"https://{HOST}/auth/login?next=/progress/"
    finally:
        conn.close()


def test_static_files_are_served_by_nginx(site):
    status, headers, body = Browser(site).get("/static/css/site.css")
    assert status == 200 and headers["content-type"].startswith("text/css")
    assert headers["x-content-type-options"] == "nosniff"
    assert body == (ROOT / "app" / "static" / "css" / "site.css").read_text()
    assert "static/css/site.css" not in "".join(site.server.access_lines())  # not through gunicorn


def test_log_in_and_post_a_form_through_nginx_over_https(site):
    browser = Browser(site)
    status, headers, _ = browser.post_form("/auth/login", "/auth/login", {"email": STUDENT, "password": PASSWORD})
    assert status == 302, "login through nginx failed (400 here is the 'Form expired' of issue 17 §6)"
    assert "/auth/login" not in headers["location"]
    # production behind TLS: the app knows the request came over https
    assert "strict-transport-security" in headers
    assert any("Secure" in h for h in browser.set_cookie_headers if h.startswith("session="))
    status, _, _ = browser.get("/progress/")
    assert status == 200  # signed in: the page, not a redirect to the login

    # a form other than the login: logging out, which ends the session
    status, headers, _ = browser.post_form("/progress/", "/auth/logout", {})
    assert status == 302, status
    status, headers, _ = browser.get("/progress/")
    assert status == 302 and "/auth/login" in headers["location"]


def test_a_post_without_referer_is_refused_over_https(site):
    """The control for the test above: the app does see https, so Flask-WTF's Referer check is live."""
    status, _, body = Browser(site).post_form("/auth/login", "/auth/login",
                                              {"email": STUDENT, "password": PASSWORD}, referer=False)
    assert status == 400 and "Form expired" in body


def test_failed_logins_count_the_client_address_nginx_saw(site):
    before = {row[0] for row in site.server.db.rows("SELECT key FROM login_failures")}
    # the client forges an X-Forwarded-For; nginx appends the address it saw, the app believes only that
    status, _, _ = Browser(site).post_form("/auth/login", "/auth/login",
                                           {"email": "nobody@example.com", "password": "wrong password 123"},
                                           headers={"X-Forwarded-For": "198.51.100.66"})
    assert status == 422, status
    keys = {row[0] for row in site.server.db.rows("SELECT key FROM login_failures")} - before
    counted = {k.split(":", 1)[1].rsplit("|", 1)[-1] for k in keys if not k.startswith("account:")}
    assert counted == {CLIENT_ADDR}, keys
