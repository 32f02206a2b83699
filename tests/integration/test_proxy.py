"""TRUSTED_PROXIES (issue 12 §8): behind a proxy the per-address limits count the client the proxy saw,
and only as many X-Forwarded-For entries as there are trusted proxies are believed."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.5"  # the address every request arrives from: the proxy's


@pytest.fixture
def proxied_app(app):
    """A second app on the test database, built the way the server builds it, with ``hops`` proxies."""
    from app import create_app

    def build(hops):
        return create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "CONTENT_DIR")},
                           "TESTING": True, "SECRET_KEY": "test-secret", "SERVER_NAME": None,
                           "TRUSTED_PROXIES": hops})

    return build


def failed_login(flask_app, headers: dict) -> None:
    client = flask_app.test_client()
    base = {"REMOTE_ADDR": PROXY}
    # over https (X-Forwarded-Proto from a trusted proxy) Flask-WTF also wants a same-origin Referer
    headers = {"Referer": "https://localhost/auth/login", **headers}
    html = client.get("/auth/login", environ_base=base, headers=headers).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    resp = client.post("/auth/login", data={"csrf_token": token, "email": "nobody@example.com",
                                            "password": "not the password 1"},
                       environ_base=base, headers=headers)
    assert resp.status_code == 422  # the form again, with the error (not 400: CSRF passed)


def failure_keys(flask_app) -> list[str]:
    from app.extensions import db
    from app.models import LoginFailure

    with flask_app.app_context():
        return list(db.session.scalars(sa.select(LoginFailure.key)))


def addresses(keys: list[str]) -> set[str]:
    """The client addresses the failure rows were counted against (whatever the key's prefix)."""
    # keys are "kind:part|part"; the address is the last part (an IPv6 address has colons of its own)
    return {k.split(":", 1)[1].rsplit("|", 1)[-1] for k in keys if not k.startswith("account:")}


def test_behind_one_trusted_proxy_failures_count_the_forwarded_client(proxied_app):
    flask_app = proxied_app(1)
    failed_login(flask_app, {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert addresses(failure_keys(flask_app)) == {"203.0.113.7"}


def test_with_no_trusted_proxy_a_forged_forwarded_for_is_ignored(proxied_app):
    flask_app = proxied_app(0)
    failed_login(flask_app, {"X-Forwarded-For": "203.0.113.7"})
    assert addresses(failure_keys(flask_app)) == {PROXY}


def test_the_default_trusts_no_proxy(app, client):
    assert app.config["TRUSTED_PROXIES"] == 0
    failed_login(app, {"X-Forwarded-For": "203.0.113.7"})
    assert addresses(failure_keys(app)) == {PROXY}


def test_with_one_trusted_proxy_only_the_last_hop_is_believed(proxied_app):
    """A client sends its own X-Forwarded-For; the proxy appends the address it saw (nginx's
    $proxy_add_x_forwarded_for). The client's entry cannot choose the address counted."""
    flask_app = proxied_app(1)
    failed_login(flask_app, {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"})
    assert addresses(failure_keys(flask_app)) == {"203.0.113.7"}


def test_two_trusted_proxies_take_the_address_the_outer_one_saw(proxied_app):
    flask_app = proxied_app(2)
    failed_login(flask_app, {"X-Forwarded-For": "198.51.100.1, 203.0.113.7, 10.0.0.9"})
    assert addresses(failure_keys(flask_app)) == {"203.0.113.7"}


def test_registrations_count_the_forwarded_client_too(proxied_app):
    flask_app = proxied_app(1)
    client = flask_app.test_client()
    base, headers = {"REMOTE_ADDR": PROXY}, {"X-Forwarded-For": "203.0.113.8"}
    html = client.get("/auth/register", environ_base=base, headers=headers).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    client.post("/auth/register", data={"csrf_token": token, "email": "", "name": "", "password": ""},
                environ_base=base, headers=headers)
    assert "register-ip:203.0.113.8" in failure_keys(flask_app)


def echo(flask_app, headers: dict) -> dict:
    """What a view of ``flask_app`` sees of the request (a route added for the test)."""
    from flask import request

    @flask_app.get("/_test_echo")
    def _test_echo():
        return {"addr": request.remote_addr, "scheme": request.scheme, "host": request.host,
                "url": request.url_root}

    return flask_app.test_client().get("/_test_echo", environ_base={"REMOTE_ADDR": PROXY}, headers=headers).json


def test_forwarded_proto_and_host_are_used_from_a_trusted_proxy(proxied_app):
    """nginx terminates TLS: the app must see https and the browser's host (the CSRF Referer check
    compares them with the Referer)."""
    seen = echo(proxied_app(1), {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "c2c.example.org:8443",
                                 "X-Forwarded-For": "203.0.113.7"})
    assert seen == {"addr": "203.0.113.7", "scheme": "https", "host": "c2c.example.org:8443",
                    "url": "https://c2c.example.org:8443/"}


def test_forwarded_proto_and_host_are_ignored_without_a_trusted_proxy(proxied_app):
    seen = echo(proxied_app(0), {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example",
                                 "X-Forwarded-For": "203.0.113.7"})
    assert seen == {"addr": PROXY, "scheme": "http", "host": "localhost", "url": "http://localhost/"}


@pytest.mark.parametrize("value", ["-1", "one", "1.5", "11", "", "١"])
def test_a_bad_trusted_proxies_value_stops_the_app(proxied_app, value):
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES"):
        proxied_app(value)


def test_trusted_proxies_is_read_from_the_environment():
    """The server (wsgi.py, no overrides) takes the hop count from the TRUSTED_PROXIES variable."""
    code = ("from app import create_app; a = create_app(); "
            "print(a.config['TRUSTED_PROXIES'], type(a.wsgi_app).__name__)")
    env = {**os.environ, "TRUSTED_PROXIES": "1", "APP_CONFIG": "development"}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["1", "ProxyFix"]
