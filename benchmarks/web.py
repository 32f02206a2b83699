"""Load benchmark: gunicorn (sync workers) on 127.0.0.1 driven by wrk, each page beside a bare
Flask-Login page measured in the same run, plus cold start and memory per worker.
Writes benchmarks/results/web.md.

    .venv/bin/python benchmarks/web.py [--duration 10] [--connections 16] [--slow-connections 2]

Pages: the ceiling (bare Flask-Login page, measured right before each page), home, lesson, role-fit quiz, code
search (API and code book page), the student dashboard and the instructor gradebook on a class of
500 students x 100 attempts (seeded by benchmarks/gradebook.py:seed), a coding case submitted and
graded, and a claim scenario answer submitted, re-adjudicated and scored (both POSTed by wrk through
benchmarks/post_form.lua with a fresh one-time token per request; attempts stored are counted and
gunicorn's stderr is searched for "database is locked"). Then cold start of `gunicorn -w 1 wsgi:app`
(to the first /healthz answer and to the first logged-in lesson page) and VmRSS of every worker.

The database is a SQLite file in a temporary directory, or PostgreSQL (schema bench_web, dropped and
recreated) when BENCH_DATABASE_URL is set. Nothing is written in the repository but the results file.
"""
from __future__ import annotations

import argparse
import html.parser
import http.cookiejar
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ left in benchmarks/
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
RESULTS = ROOT / "benchmarks" / "results" / "web.md"
POST_SCRIPT = ROOT / "benchmarks" / "post_form.lua"
PASSWORD = "load test passphrase 2026"
SECRET_KEY = "b" * 40
#: One User-Agent for the logins and for wrk: Flask-Login's session protection hashes address and
#: agent, and a request from a different agent marks the session non-fresh and rewrites the cookie on
#: every response, which a real browser never causes.
USER_AGENT = "chart-to-claim-bench/1"
#: the scenario answered in the claim benchmark (any scenario with a resubmit resolution will do)
SCENARIO = "visit-with-joint-injection-needs-25"
LOCKED = "database is locked"

# Targets from the issue: (text shown, test on the row and the ceiling's requests/s).
TARGETS = {
    "lesson": ("≥ 60% of ceiling and p99 ≤ 30 ms", lambda r, c: r["rps"] >= 0.6 * c and r["p99"] <= 30),
    "search": ("p99 ≤ 20 ms", lambda r, c: r["p99"] <= 20),
    "submit": ("≥ 300 req/s, 0 “database is locked”", lambda r, c: r["rps"] >= 300 and r["locked"] == 0),
    "scale": ("p99 ≤ 200 ms", lambda r, c: r["p99"] <= 200),
}
COLD_TARGET_S = 1.5
RSS_TARGET_MB = 120


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn(app: str, port: int, env: dict, workers: int, stderr_path: Path) -> subprocess.Popen:
    with open(stderr_path, "ab") as err:  # a file, not a pipe: a full pipe would stall the server
        return subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{port}",
             "--log-level", "warning", app],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def workers_of(master: int) -> list[int]:
    """Pids of the processes whose parent is ``master`` (gunicorn's workers)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                out.append(int(entry))
    return sorted(out)


def rss_mb(pid: int) -> float:
    m = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(m.group(1)) / 1024


def cpu_busy(seconds: float = 2.0) -> float:
    """Share of all CPU time spent busy over ``seconds`` (from /proc/stat): other work on the machine."""
    def sample():
        values = list(map(int, Path("/proc/stat").read_text().splitlines()[0].split()[1:]))
        return sum(values), values[3] + values[4]  # total, idle + iowait
    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return 1 - (idle1 - idle0) / max(total1 - total0, 1)


def cpu_seconds() -> tuple[float, float]:
    """(CPU seconds all processes have spent busy since boot, CPU seconds this process and its waited-for
    descendants (wrk, the gunicorn masters and through them their workers) have used)."""
    import resource
    values = list(map(int, Path("/proc/stat").read_text().splitlines()[0].split()[1:8]))
    busy = (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")
    own = sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                   resource.getrusage(resource.RUSAGE_CHILDREN)))
    return busy, own


def count_in(path: Path, needle: str) -> int:
    try:
        return path.read_text(errors="replace").count(needle)
    except FileNotFoundError:
        return 0


# --------------------------------------------------------------------------- HTTP


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """A browser-like client: a cookie jar, one User-Agent, redirects not followed."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())
        self.opener.addheaders = [("User-Agent", USER_AGENT)]

    def request(self, path: str, data: dict | list | None = None, timeout: float = 10) -> tuple[int, dict, str]:
        body = encode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=timeout) as resp:
                return resp.status, dict(resp.headers), resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read().decode(errors="replace")

    def login(self, email: str) -> None:
        status, _, page = self.request("/auth/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        status, headers, _ = self.request("/auth/login", {"csrf_token": token, "email": email, "password": PASSWORD})
        if status != 302:
            raise RuntimeError(f"login as {email} answered {status}")

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


class FormFields(html.parser.HTMLParser):
    """The fields a browser would post from the first POST form holding a field named ``token``."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.forms: list[list[list[str]]] = []
        self._form: list | None = None
        self._select: list | None = None
        self._textarea: list | None = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = []
            self.forms.append(self._form)
        if self._form is None or (tag != "form" and not a.get("name") and tag != "option"):
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._form.append([a["name"], a.get("value") or ("on" if kind in ("checkbox", "radio") else "")])
        elif tag == "select":
            self._select = [a["name"], None, None]  # name, first value, selected value
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select[1] is None:
                self._select[1] = value
            if "selected" in a:
                self._select[2] = value
        elif tag == "textarea":
            self._textarea = [a["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            name, first, selected = self._select
            if self._form is not None and (selected is not None or first is not None):
                self._form.append([name, selected if selected is not None else first])
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            if self._form is not None:
                self._form.append(self._textarea)
            self._textarea = None

    def answer_form(self) -> list[list[str]]:
        return next(f for f in self.forms if any(name == "token" for name, _ in f))


def encode(data: dict | list) -> str:
    return urllib.parse.urlencode(data if isinstance(data, dict) else [tuple(f) for f in data])


def set_field(fields: list[list[str]], name: str, value: str) -> None:
    for field in fields:
        if field[0] == name:
            field[1] = value
            return
    fields.append([name, value])


# --------------------------------------------------------------------------- wrk


def wrk(url: str, cookie: str | None, duration: int, connections: int, body: str | None = None) -> dict:
    cmd = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s", "--latency",
           "-H", f"User-Agent: {USER_AGENT}"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    env = dict(os.environ)
    if body is not None:
        cmd += ["-s", str(POST_SCRIPT)]
        env["BENCH_BODY"] = body
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True, env=env).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    statuses = {int(k): int(v) for k, v in re.findall(r"^STATUS (\d+) (\d+)$", out, re.M)}

    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sock.groups())) if sock else 0)
    if body is not None:  # a submit answers 302 to the attempt page; anything else is an error
        errors = requests - statuses.get(302, 0) + (sum(map(int, sock.groups())) if sock else 0)
    return {"rps": rps, "p50": pct(50), "p99": pct(99), "errors": errors, "requests": requests,
            "statuses": statuses}


# --------------------------------------------------------------------------- database


def database_url(tmp: Path) -> tuple[str, str]:
    """(SQLAlchemy URL, label): PostgreSQL schema bench_web when BENCH_DATABASE_URL is set, else SQLite."""
    pg = os.environ.get("BENCH_DATABASE_URL")
    if not pg:
        return f"sqlite:///{tmp / 'bench.sqlite'}", "SQLite (WAL, file in a temporary directory)"
    from benchmarks.gradebook import fresh_schema
    return fresh_schema(pg, "bench_web"), "PostgreSQL (schema bench_web)"


def make_app(url: str):
    from app import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY,
                       "CODESET_PATH": str(ROOT / "instance" / "codes.sqlite"), "CONTENT_DIR": str(ROOT / "content")})


def in_db(app, fn):
    from app.extensions import db
    with app.app_context():
        try:
            return fn(db)
        finally:
            db.session.remove()


def count_attempts(app, model_name: str, email: str) -> int:
    import sqlalchemy as sa

    from app import models
    model = getattr(models, model_name)
    return in_db(app, lambda db: db.session.scalar(
        sa.select(sa.func.count()).select_from(model).join(models.User, models.User.id == model.user_id)
        .where(models.User.email == email)))


def settled_count(app, model_name: str, email: str, timeout: float = 15) -> int:
    """The attempt count once requests still queued in gunicorn (from a wrk run just stopped) are done."""
    end = time.time() + timeout
    last = count_attempts(app, model_name, email)
    while time.time() < end:
        time.sleep(0.5)
        now = count_attempts(app, model_name, email)
        if now == last:
            return now
        last = now
    return last


def case_answer(app) -> tuple[str, list[tuple[str, str]], int]:
    """(slug, answer rows, lines): a real case with 4-6 key lines, answered from its key with the first
    two diagnoses swapped (an order slip), so the grader does real work and gives partial credit."""
    import sqlalchemy as sa

    from app.models import CodingCase

    def pick(db):
        cases = db.session.scalars(sa.select(CodingCase).where(CodingCase.active).order_by(CodingCase.slug)).all()
        size = lambda c: len(c.answer_key.get("diagnoses", [])) + len(c.answer_key.get("procedures", []))
        fitting = [c for c in cases if 4 <= size(c) <= 6 and len(c.answer_key.get("diagnoses", [])) >= 2
                   and c.answer_key.get("procedures")]
        case = max(fitting, key=size)
        dx = [d["code"] for d in case.answer_key["diagnoses"]]
        dx[0], dx[1] = dx[1], dx[0]
        rows = [(f"dx_{i}", code) for i, code in enumerate(dx, 1)]
        for i, p in enumerate(case.answer_key["procedures"], 1):
            rows += [(f"px_code_{i}", p["code"]), (f"px_mod_{i}", " ".join(p.get("modifiers") or [])),
                     (f"px_units_{i}", str(p.get("units", 1)))]
        return case.slug, rows, size(case)
    return in_db(app, pick)


#: claim data path -> form field of ScenarioForm (lines.N.x and diagnoses.N are handled below)
CLAIM_FIELDS = {"coverage.member_id": "member_id", "coverage.plan": "plan", "coverage.group": "group",
                "coverage.payer_order": "payer_order", "coverage.other_payer_paid": "other_payer_paid",
                "patient.birth_date": "birth_date", "patient.sex": "sex", "billing_provider.npi": "billing_npi",
                "place_of_service": "place_of_service", "prior_auth": "prior_auth",
                "frequency_code": "frequency_code", "original_claim_ref": "original_claim_ref"}


def scenario_answer(app) -> tuple[str, list[tuple[str, str]]]:
    """(slug, overrides): the expected causes, the accepted resubmit action and its claim changes."""
    import sqlalchemy as sa

    from app.models import ClaimScenario

    def pick(db):
        rows = db.session.scalars(sa.select(ClaimScenario).order_by(ClaimScenario.slug)).all()
        resubmits = [s for s in rows if any(r["action"] == "resubmit-corrected" and r.get("changes")
                                            for r in s.resolutions)]
        scenario = next((s for s in resubmits if s.slug == SCENARIO), resubmits[0])
        res = next(r for r in scenario.resolutions if r["action"] == "resubmit-corrected" and r.get("changes"))
        out = [("causes", c) for c in scenario.expected["causes"]] + [("action", res["action"])]
        for change in res["changes"]:
            path, value = change["path"], change["value"]
            value = " ".join(value) if isinstance(value, list) else str(value)
            m = re.fullmatch(r"lines\.(\d+)\.(\w+)", path) or re.fullmatch(r"diagnoses\.(\d+)()", path)
            if m:
                name = f"lines-{int(m.group(1)) - 1}-{m.group(2)}" if path.startswith("lines") else f"diagnoses-{int(m.group(1)) - 1}"
            else:
                name = CLAIM_FIELDS[path]
            out.append((name, value))
        return scenario.slug, out
    return in_db(app, pick)


def attempt_score(app, model_name: str, attempt_id: int) -> float:
    from app import models
    return in_db(app, lambda db: db.session.get(getattr(models, model_name), attempt_id).score)


# --------------------------------------------------------------------------- cold start


def cold_start(env: dict, lesson: str, cookie: str, stderr_path: Path) -> dict:
    """Launch `gunicorn -w 1 wsgi:app`; seconds to the first /healthz 200 and to the first logged-in
    lesson page (200 with the Log out button), and the worker's VmRSS after that page."""
    port = free_port()
    client = Client(f"http://127.0.0.1:{port}")
    start = time.perf_counter()
    proc = gunicorn("wsgi:app", port, env, 1, stderr_path)
    try:
        def first(path, headers=None, check=lambda page: True):
            while time.perf_counter() - start < 30:
                if proc.poll() is not None:
                    raise RuntimeError(f"gunicorn exited with {proc.returncode}; see {stderr_path}")
                try:
                    req = urllib.request.Request(client.base + path, headers={"User-Agent": USER_AGENT, **(headers or {})})
                    with urllib.request.build_opener(_NoRedirect()).open(req, timeout=5) as resp:
                        if resp.status == 200 and check(resp.read().decode()):
                            return time.perf_counter() - start
                except (urllib.error.URLError, ConnectionError, OSError):
                    pass
                time.sleep(0.01)
            raise RuntimeError(f"no answer from {path} within 30 s")

        health = first("/healthz")
        page = first(lesson, {"Cookie": cookie}, lambda html: "Log out" in html)
        workers = workers_of(proc.pid)
        return {"healthz": health, "lesson": page, "rss": [rss_mb(w) for w in workers]}
    finally:
        stop(proc)


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per page (after a 2 s warm-up)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections for the fast pages")
    parser.add_argument("--slow-connections", type=int, default=0,
                        help="wrk connections for the dashboard and gradebook (default: one per worker)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--attempts", type=int, default=100)
    parser.add_argument("--cold-runs", type=int, default=3)
    args = parser.parse_args()
    slow_connections = args.slow_connections or args.workers
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")

    busy_start = cpu_busy()
    tmp = Path(tempfile.mkdtemp(prefix="c2c-bench-"))
    procs: list[subprocess.Popen] = []
    try:
        url, db_label = database_url(tmp)
        env = {**os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY,
               "APP_CONFIG": "development", "CODESET_PATH": str(ROOT / "instance" / "codes.sqlite"),
               "PYTHONDONTWRITEBYTECODE": "1"}
        flask = str(BIN / "flask")
        for cmd in (["db", "upgrade"], ["codes", "build", "--if-stale"], ["content", "import"]):
            subprocess.run([flask, *cmd], cwd=ROOT, env=env, check=True, capture_output=True)

        from benchmarks.gradebook import seed
        app = make_app(url)
        t = time.perf_counter()
        scale = in_db(app, lambda db: seed(args.students, args.attempts))
        print(f"seeded {scale['students']} students x {args.attempts} attempts ({scale['attempts']} attempts) "
              f"in {time.perf_counter() - t:.1f} s", flush=True)
        subprocess.run([flask, "users", "create", "--email", "bench@example.test", "--name", "Bench",
                        "--password", PASSWORD], cwd=ROOT, env=env, check=True, capture_output=True)
        case_slug, case_rows, case_lines = case_answer(app)
        scenario_slug, scenario_overrides = scenario_answer(app)

        site_err, bare_err, cold_err = tmp / "site.stderr", tmp / "bare.stderr", tmp / "cold.stderr"
        site_port, bare_port = free_port(), free_port()
        load_t0, (busy0, own0) = time.time(), cpu_seconds()  # from here to the servers' end: what others used
        site_proc = gunicorn("wsgi:app", site_port, env, args.workers, site_err)
        bare_proc = gunicorn("benchmarks.bare_app:app", bare_port, env, args.workers, bare_err)
        procs += [site_proc, bare_proc]
        site, bare = f"http://127.0.0.1:{site_port}", f"http://127.0.0.1:{bare_port}"
        for probe in (f"{site}/healthz", f"{bare}/login"):
            end = time.time() + 30
            while True:
                try:
                    urllib.request.urlopen(probe, timeout=1)
                    break
                except Exception:
                    if time.time() > end:
                        raise RuntimeError(f"server at {probe} did not come up")
                    time.sleep(0.1)

        student = Client(site)
        student.login("bench@example.test")
        dashboard_student, teacher = Client(site), Client(site)
        dashboard_student.login("student0@bench.test")
        teacher.login("teacher@bench.test")
        bare_client = Client(bare)
        bare_client.request("/login")
        lesson = re.search(r'href="(/lessons/[a-z0-9-]+)"', student.request("/lessons/")[2]).group(1)
        assert "Log out" in student.request(lesson)[2], "the lesson page is not logged in"
        gradebook = f"/instructor/classes/{scale['class_id']}/gradebook"
        for c, path in ((dashboard_student, "/progress/"), (teacher, gradebook)):
            status = c.request(path)[0]
            assert status == 200, (path, status)

        # The answers: scraped from each page as a browser would post them (CSRF token included).
        case_fields = FormFields(student.request(f"/cases/{case_slug}")[2]).answer_form()
        for name, value in case_rows:
            set_field(case_fields, name, value)
        scenario_fields = FormFields(student.request(f"/claims/{scenario_slug}")[2]).answer_form()
        scenario_fields = [f for f in scenario_fields if f[0] not in ("causes", "action")]
        for name, value in scenario_overrides:
            if name in ("causes", "action"):
                scenario_fields.append([name, value])
            else:
                set_field(scenario_fields, name, value)
        cookie = student.cookie()  # after the answer pages: the session holds the CSRF token
        submits = {}
        for key, path, fields, model in (("case", f"/cases/{case_slug}", case_fields, "CaseAttempt"),
                                         ("claim", f"/claims/{scenario_slug}", scenario_fields, "ScenarioAttempt")):
            set_field(fields, "token", "probe-" + key)
            status, headers, page = student.request(path, fields)
            m = re.search(r"/attempts/(\d+)$", headers.get("Location", ""))
            if status != 302 or not m:
                raise RuntimeError(f"probe submit to {path} answered {status}: {page[:500]}")
            set_field(fields, "token", "__TOKEN__")
            submits[key] = {"path": path, "model": model, "score": attempt_score(app, model, int(m.group(1))),
                            "body": encode(fields)}

        ceiling_url, ceiling_cookie = f"{bare}/page", bare_client.cookie()
        pages = [
            ("home page (anonymous)", None, f"{site}/", None, None, args.connections),
            ("lesson page (logged-in student)", "lesson", f"{site}{lesson}", cookie, None, args.connections),
            ("role-fit quiz (anonymous)", None, f"{site}/role-fit/", None, None, args.connections),
            ("code search API, words (diab kidn)", "search", f"{site}/api/codes?q=diab+kidn&system=icd10cm&limit=15", None, None, args.connections),
            ("code search API, code prefix (S72.0)", "search", f"{site}/api/codes?q=S72.0&system=icd10cm&limit=15", None, None, args.connections),
            ("code book search page (fract femur neck)", "search", f"{site}/codebook/?q=fract+femur+neck&system=icd10cm", None, None, args.connections),
            (f"student dashboard ({args.attempts} attempts)", "scale", f"{site}/progress/", dashboard_student.cookie(), None, slow_connections),
            (f"instructor gradebook ({scale['students']} students x {scale['assignments']} assignments, "
             f"{scale['attempts']} attempts)", "scale", f"{site}{gradebook}", teacher.cookie(), None, slow_connections),
            (f"coding case submit-and-grade ({case_slug}, {case_lines} lines, score {submits['case']['score']:.2f})", "submit",
             f"{site}{submits['case']['path']}", cookie, "case", args.connections),
            (f"claim scenario submit ({scenario_slug}, re-adjudicated, score {submits['claim']['score']:.2f})", "submit",
             f"{site}{submits['claim']['path']}", cookie, "claim", args.connections),
        ]
        # The ceiling is measured right before every page, so each ratio compares two runs made under
        # the same background load.
        wrk(ceiling_url, ceiling_cookie, 2, args.connections)  # warm-up
        rows, ceilings = [], []
        for name, kind, target, c, submit, conns in pages:
            body = submits[submit]["body"] if submit else None
            print(f"{name} ...", flush=True)
            ceilings.append(wrk(ceiling_url, ceiling_cookie, args.duration, args.connections))
            wrk(target, c, 2, conns, body)  # warm-up
            if submit:
                before = settled_count(app, submits[submit]["model"], "bench@example.test")
                locked_before = count_in(site_err, LOCKED)
            r = wrk(target, c, args.duration, conns, body)
            r.update(name=name, kind=kind, connections=conns, ceiling=ceilings[-1]["rps"])
            if submit:
                r["stored"] = settled_count(app, submits[submit]["model"], "bench@example.test") - before
                r["locked"] = count_in(site_err, LOCKED) - locked_before
            rows.append(r)

        site_rss = [rss_mb(w) for w in workers_of(site_proc.pid)]
        bare_rss = [rss_mb(w) for w in workers_of(bare_proc.pid)]
        master_rss = rss_mb(site_proc.pid)
        for p in procs:
            stop(p)  # waited for, so their workers' CPU time is counted in cpu_seconds()
        busy1, own1 = cpu_seconds()
        others = max(0.0, (busy1 - busy0) - (own1 - own0)) / ((time.time() - load_t0) * (os.cpu_count() or 1))
        locked_total = count_in(site_err, LOCKED)
        exceptions = count_in(site_err, "Traceback")

        # A deployed site runs from compiled bytecode (written on its first start, or at image build);
        # this machine sets PYTHONDONTWRITEBYTECODE, which would make every start compile ~100 modules.
        subprocess.run([sys.executable, "-m", "compileall", "-q", "app", "config.py", "wsgi.py"], cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL)
        colds = []
        for i in range(args.cold_runs):
            print(f"cold start {i + 1}/{args.cold_runs} ...", flush=True)
            colds.append(cold_start(env, lesson, cookie, cold_err))
        exceptions += count_in(cold_err, "Traceback")
        if exceptions:
            print(f"--- gunicorn stderr ({exceptions} tracebacks), last lines:", file=sys.stderr)
            print("\n".join(site_err.read_text(errors="replace").splitlines()[-30:]), file=sys.stderr)
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)

    write_results(args, rows, ceilings, slow_connections, db_label, scale, site_rss, bare_rss, master_rss, colds,
                  locked_total, exceptions, busy_start, others)


def write_results(args, rows, ceilings, slow_connections, db_label, scale, site_rss, bare_rss, master_rss, colds,
                  locked_total, exceptions, busy_start, others) -> None:
    median = lambda key: statistics.median(c[key] for c in ceilings)
    yes = lambda ok: "**yes**" if ok else "**no**"
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Web load benchmark", "",
        f"Recorded {stamp} on {platform.node() or 'this machine'} ({os.cpu_count()} cores, Python "
        f"{platform.python_version()}); other work on the machine used {100 * busy_start:.0f}% of the CPUs just before "
        f"the run and {100 * others:.0f}% while the servers ran (CPU time of everything but this benchmark's own "
        f"processes); database: {db_label}. "
        f"gunicorn {args.workers} sync workers on 127.0.0.1, wrk 2 threads, {args.connections} connections "
        f"({slow_connections} for the dashboard and gradebook), {args.duration} s per page after a 2 s warm-up. "
        f"Data: {scale['students']} students x {args.attempts} case attempts in one class "
        f"({scale['attempts']} attempts, seeded by `benchmarks/gradebook.py:seed`). "
        "Reproduce: `make bench` or `.venv/bin/python benchmarks/web.py [--duration 10]` "
        "(PostgreSQL with `BENCH_DATABASE_URL` set).", "",
        "The ceiling (the bare Flask-Login page of benchmarks/bare_app.py, same gunicorn settings, "
        f"{args.connections} connections) is measured for {args.duration} s right before each page, and the "
        "page's share is against that run: background load moves both alike. "
        "Errors are non-2xx/3xx answers and socket errors; for the submits, every answer but a 302 to the "
        "attempt page.", "",
        "| page | conns | requests/s | p50 ms | p99 ms | ceiling requests/s (run just before) | share of ceiling | errors | target | met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
        f"| bare Flask-Login page (ceiling): median of its {len(ceilings)} runs (requests/s from "
        f"{min(c['rps'] for c in ceilings):.0f} to {max(c['rps'] for c in ceilings):.0f}) | {args.connections} | "
        f"{median('rps'):.0f} | {median('p50'):.2f} | {median('p99'):.2f} | {median('rps'):.0f} | 100% | "
        f"{sum(c['errors'] for c in ceilings)} |  |  |",
    ]
    for r in rows:
        target, met = "", ""
        if r["kind"] in TARGETS:
            text, test = TARGETS[r["kind"]]
            target, met = text, yes(test(r, r["ceiling"]) and r["errors"] == 0)
        lines.append(f"| {r['name']} | {r['connections']} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
                     f"{r['ceiling']:.0f} | {100 * r['rps'] / r['ceiling']:.0f}% | {r['errors']} | {target} | {met} |")

    spread = max(c["rps"] for c in ceilings) / max(min(c["rps"] for c in ceilings), 1)
    if busy_start > 0.25 or others > 0.10 or spread > 1.3:
        lines += ["", f"**Other work on the machine disturbed this run**: {100 * busy_start:.0f}% of the CPUs busy "
                  f"before it, {100 * others:.0f}% used by other processes while the servers ran, and the ceiling "
                  f"ranged over {spread:.1f}x between its runs. Absolute figures are low and noisy, and even the "
                  "shares move; rerun on a quiet machine before judging a target that is missed narrowly."]
    lines += ["", "## Submits", "",
              "| submit | requests completed (wrk) | 302 answers | other answers | attempts stored | “database is locked” in gunicorn stderr |",
              "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        if r["kind"] == "submit":
            other = ", ".join(f"{k}: {v}" for k, v in sorted(r["statuses"].items()) if k != 302) or "0"
            lines.append(f"| {r['name']} | {r['requests']} | {r['statuses'].get(302, 0)} | {other} | "
                         f"{r['stored']} | {r['locked']} |")
    lines += ["", "Attempts stored can exceed the requests wrk completed by up to the number of connections: "
              "requests still in flight when wrk stops are answered and stored but not counted by wrk.",
              f"Over the whole run gunicorn's stderr held {locked_total} “database is locked” and "
              f"{exceptions} tracebacks."]

    cold_health = [c["healthz"] for c in colds]
    cold_lesson = [c["lesson"] for c in colds]
    cold_rss = [max(c["rss"]) for c in colds if c["rss"]]
    fmt = lambda xs: ", ".join(f"{x:.2f}" for x in xs)
    lines += ["", "## Cold start and memory", "",
              "| measure | figure | target | met |", "|---|---|---|---|",
              f"| `gunicorn -w 1 wsgi:app` launch to first /healthz 200 (worst of {len(colds)}; runs: {fmt(cold_health)} s) | "
              f"{max(cold_health):.2f} s | ≤ {COLD_TARGET_S} s | {yes(max(cold_health) <= COLD_TARGET_S)} |",
              f"| launch to first logged-in lesson page 200 (worst of {len(colds)}; runs: {fmt(cold_lesson)} s) | "
              f"{max(cold_lesson):.2f} s | ≤ {COLD_TARGET_S} s | {yes(max(cold_lesson) <= COLD_TARGET_S)} |",
              f"| worker VmRSS after cold start and one lesson page (worst of {len(colds)}; runs: {fmt(cold_rss)} MB) | "
              f"{max(cold_rss):.0f} MB | ≤ {RSS_TARGET_MB} MB | {yes(max(cold_rss) <= RSS_TARGET_MB)} |",
              f"| worker VmRSS after the whole load run ({len(site_rss)} workers: {fmt(site_rss)} MB) | "
              f"{max(site_rss):.0f} MB | ≤ {RSS_TARGET_MB} MB | {yes(max(site_rss) <= RSS_TARGET_MB)} |",
              "", "Cold starts run from compiled bytecode (`python -m compileall app config.py wsgi.py` first), as a "
              "deployment does after its first start; compiling the app's modules adds about 0.15 s.",
              "", f"For comparison: the gunicorn master {master_rss:.0f} MB; the bare Flask-Login app's workers "
              f"{fmt(bare_rss)} MB. VmRSS counts pages shared with other processes too.",
              "", "wrk and gunicorn share the same cores, so every figure includes the load generator's cost; "
              "absolute figures move with whatever else the machine is doing (see the other work measured above "
              "and the spread of the ceiling runs); the shares of the ceiling move less."]
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
