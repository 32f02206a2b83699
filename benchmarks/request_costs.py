"""CPU per request, in process (Flask test client, no server, no network), for pages that show where a
logged-in lesson page's time goes: the bare frame, the anonymous and logged-in page frame, the lesson page
anonymous and logged in. Writes benchmarks/results/request_costs.md.

    .venv/bin/python benchmarks/request_costs.py [--requests 3000]

The web benchmark (web.py) measures throughput under load; this one says which layer costs what.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "request_costs.md"
PASSWORD = "load test passphrase 2026"


def cpu_ms(client, path: str, n: int) -> float:
    """Median of 5 batches of CPU milliseconds per request (process time, so other load counts less)."""
    for _ in range(200):
        assert client.get(path).status_code in (200, 404)
    batches = []
    for _ in range(5):
        start = time.process_time()
        for _ in range(n // 5):
            client.get(path)
        batches.append((time.process_time() - start) / (n // 5) * 1000)
    return statistics.median(batches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from app import create_app
    from app.services.auth import create_user
    from app.services.content import import_content
    from tests.conftest import CsrfClient

    tmp = Path(tempfile.mkdtemp(prefix="c2c-costs-"))
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'costs.sqlite'}", "SECRET_KEY": "costs" * 8,
                          "CONTENT_DIR": str(ROOT / "content"), "CODESET_PATH": str(ROOT / "instance" / "codes.sqlite")})
        with app.app_context():
            upgrade()
            assert import_content().ok
            create_user("costs@example.test", "Cost Student", PASSWORD)
        anonymous = app.test_client()
        student = CsrfClient(app)
        student.login("costs@example.test", PASSWORD)
        lesson = re.search(r'href="(/lessons/[a-z0-9-]+)"', anonymous.get("/lessons/").get_data(as_text=True)).group(1)
        rows = [
            ("/healthz (JSON, no template, no login)", anonymous, "/healthz"),
            ("404 page, anonymous (the page frame)", anonymous, "/no-such-page"),
            ("home page, anonymous", anonymous, "/"),
            ("lesson page, anonymous", anonymous, lesson),
            ("404 page, logged in (frame + login session read + CSRF token)", student.client, "/no-such-page"),
            ("lesson page, logged in (+ progress read)", student.client, lesson),
        ]
        results = [(name, cpu_ms(client, path, args.requests)) for name, client, path in rows]
        with app.app_context():
            from app.extensions import db
            db.session.remove()
            db.engine.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    base = results[0][1]
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# CPU per request, by layer", "",
             f"Recorded {stamp} on {platform.node() or 'this machine'} ({os.cpu_count()} cores, Python "
             f"{platform.python_version()}); Flask test client in one process, SQLite, {args.requests} requests per "
             "page after 200 warm-up, median of 5 batches of process time. Reproduce: "
             "`.venv/bin/python benchmarks/request_costs.py`.", "",
             "| request | CPU ms | × /healthz |", "|---|---:|---:|"]
    lines += [f"| {name} | {ms:.3f} | {ms / base:.1f} |" for name, ms in results]
    lines += ["", "The test client's own cost (building the request) is in every row; gunicorn's is in none.", "",
              "What the logged-in rows add (profiled): verifying the signed session cookie, checking a database "
              "connection out of the pool and back (an anonymous page touches no database: lessons come from the "
              "worker's content cache), the login-session read, and signing a fresh CSRF token for the page's "
              "forms. The login session is read on every request on purpose (SECURITY.md: a logout ends it on "
              "every worker at once), so it is not cached in the worker."]
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
