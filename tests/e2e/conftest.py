"""Browser tests: the app served on a free local port, driven by Debian's Chromium via Playwright."""
import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (.ci/run does)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # A form re-rendered with 422 or 429 is logged as a failed load: expected, not a page error.
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error"
            and not msg.text.startswith("Failed to load resource: the server responded with a status of 4") else None)
    yield page
    context.close()
    # A CSP violation or a script error shows up here: the page must run clean.
    assert not errors, errors


@pytest.fixture
def login_as(page, make_user):
    """Make a user and sign them in through the login form in ``page``: ``login_as("instructor",
    "ada@example.test")``. Returns the new user's id."""
    from tests.conftest import PASSWORD

    def login(role: str = "student", email: str | None = None) -> int:
        from playwright.sync_api import expect

        email = email or f"e2e-{role}@example.test"
        user_id = make_user(email, PASSWORD, role=role)
        page.goto("/auth/login")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        return user_id

    return login
