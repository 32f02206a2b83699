"""Fault tests: workers killed mid-request, twin submissions racing in separate processes, and a
content import that fails half-way.

The first two drive a real gunicorn (sync workers, its own throwaway database: a SQLite file, or a
PostgreSQL schema when TEST_DATABASE_URL is set) over HTTP; the last runs in-process on the shared
test database. An attempt is acknowledged when the server answers the submit with a redirect to the
attempt page; the form's one-time token is the idempotency key a client repeats until it is.
"""
from __future__ import annotations

import datetime as dt
import http.client
import random
import re
import shutil
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.integration.fault_server import (
    TRANSIENT, Client, Server, answer_form, attempt_id, csrf_token, loads, process_state,
)

ROOT = Path(__file__).resolve().parents[2]
STORM_CLIENTS = 4
STORM_STUDENTS = [f"storm{i}@example.test" for i in range(STORM_CLIENTS)]
CASE_RACER, CLAIM_RACER = "case-racer@example.test", "claim-racer@example.test"
#: reserved for the race tests (the storm submits to every other case and scenario)
RACE_CASE, RACE_SCENARIO = "cataract-surgery-right-eye", "knee-injection-missing-side"

KILLS = 12          # SIGKILLs the storm sends ...
MIN_KILLS = 10      # ... and must have landed on a live worker
MIN_ACKED = 20      # acknowledged submissions the storm must reach
PARALLEL = 20       # twin submits of one form in the race tests
STORM_SECONDS = 15  # the longest the kills go on


@pytest.fixture(scope="module")
def server():
    srv = Server(STORM_STUDENTS + [CASE_RACER, CLAIM_RACER], workers=4)
    try:
        srv.start()
        yield srv
    finally:
        srv.stop()


def slugs_on(client: Client, kind: str, reserved: str) -> list[str]:
    page, _ = client.retrying("GET", f"/{kind}/")
    assert page.status == 200
    found = sorted(set(re.findall(rf'href="/{kind}/([a-z0-9-]+)"', page.body)) - {"lab", reserved})
    assert len(found) >= 5, f"too few {kind} on /{kind}/"
    return found


# ----------------------------------------------------------------------------- 1. kill -9 storm


@dataclass
class Submission:
    client: Client
    email: str
    kind: str                   # "cases" or "claims"
    slug: str
    fields: list                # the form exactly as posted, token included
    token: str
    marker: object              # what the stored row must hold for this submission
    post_starts: list[float] = field(default_factory=list)
    failures: int = 0           # posts that got no answer (connection cut, reset, 5xx)
    location: str = ""          # the acknowledgement: the attempt page it redirected to


def _case_submission(client, email, slug, page, n) -> Submission:
    form = answer_form(page)
    units = str(1 + n % 999)  # tells this submission's row from the others'
    form.set("dx_1", "H25.11")
    form.set("px_code_1", "66984")
    form.set("px_mod_1", "RT")
    form.set("px_units_1", units)
    return Submission(client, email, "cases", slug, form.fields, form.value("token"), int(units))


def _claim_submission(client, email, slug, page, n) -> Submission:
    form = answer_form(page)
    proof = (dt.date(2025, 1, 1) + dt.timedelta(days=n)).isoformat()  # stored in details: the marker
    form.set("causes", form.options["causes"][0])
    form.set("action", "appeal")
    form.set("filing_proof", proof)
    return Submission(client, email, "claims", slug, form.fields, form.value("token"), proof)


def _storm_client(server, email, slugs, seed, stop, subs, stats, errors, posting, clients):
    rng = random.Random(seed)
    try:
        client = Client(server)
        clients.append(client)
        stats["cut_off"] += client.login(email)
        n = seed * 1000
        while not stop.is_set():
            kind = "claims" if rng.random() < 0.3 else "cases"
            slug = rng.choice(slugs[kind])
            page, lost = client.retrying("GET", f"/{kind}/{slug}")
            stats["cut_off"] += lost
            assert page.status == 200, (kind, slug, page.status)
            make = _claim_submission if kind == "claims" else _case_submission
            sub = make(client, email, slug, page.body, n)
            n += 1
            subs.append(sub)
            give_up = time.time() + 90
            while True:  # the same form, same token, until the server acknowledges it
                sub.post_starts.append(time.time())
                posting.set()
                try:
                    resp = client.post(f"/{kind}/{slug}", sub.fields)
                except TRANSIENT:
                    resp = None
                    sub.failures += 1
                posting.clear()
                if resp is not None:
                    if resp.status == 302 and attempt_id(resp.location):
                        sub.location = resp.location
                        break
                    assert resp.status >= 500, f"{kind}/{slug} answered {resp.status}: {resp.body[:500]}"
                    sub.failures += 1
                if time.time() > give_up:
                    break  # left unacknowledged: the test fails on it
                time.sleep(0.05)
    except BaseException as exc:  # noqa: BLE001 - reported by the test thread
        errors.append(exc)


def _killer(server, stop, kills, posting, enough):
    """SIGKILL a booted worker every 0.3-0.5 s, aiming at a submit in flight: once a client has
    sent a post, a few milliseconds later, the worker then busy on the CPU. Goes on past KILLS
    while the storm has not yet acknowledged MIN_ACKED submissions and cut a post off (a slow,
    loaded machine), for at most STORM_SECONDS."""
    rng = random.Random()
    end = time.time() + STORM_SECONDS
    try:
        while (len(kills) < KILLS or not enough()) and time.time() < end:
            time.sleep(rng.uniform(0.25, 0.4))
            posting.wait(timeout=0.1)
            time.sleep(rng.uniform(0, 0.02))
            ready = server.ready_workers()
            while not ready and time.time() < end:
                time.sleep(0.05)
                ready = server.ready_workers()
            busy = [pid for pid in ready if process_state(pid) == "R"]
            if ready and server.kill_worker(rng.choice(busy or ready)):
                kills.append(time.time())
    finally:
        time.sleep(0.3)  # let requests cut by the last kill be repeated while clients still submit
        stop.set()


def _stored(server) -> dict[str, list[dict]]:
    """Every stored attempt of both kinds, by submission token."""
    rows = server.db.rows(
        "SELECT 'cases', a.id, u.email, c.slug, a.submission_token, a.response, a.created_at "
        "FROM case_attempts a JOIN users u ON u.id = a.user_id JOIN coding_cases c ON c.id = a.case_id")
    rows += server.db.rows(
        "SELECT 'claims', a.id, u.email, s.slug, a.submission_token, a.details, a.created_at "
        "FROM scenario_attempts a JOIN users u ON u.id = a.user_id JOIN claim_scenarios s ON s.id = a.scenario_id")
    out: dict[str, list[dict]] = {}
    for kind, id_, email, slug, token, data, created in rows:
        data = loads(data)
        marker = data["procedures"][0]["units"] if kind == "cases" else data["filing_proof"]
        if isinstance(created, str):
            created = dt.datetime.fromisoformat(created)
        out.setdefault(token, []).append(dict(kind=kind, id=id_, email=email, slug=slug, marker=marker,
                                              created=created.replace(tzinfo=None)))
    return out


@pytest.mark.xdist_group("faults")
def test_killing_workers_mid_request_loses_and_doubles_no_acknowledged_attempt(server):
    started = time.time()
    scout = Client(server)
    scout.login(STORM_STUDENTS[0])
    slugs = {"cases": slugs_on(scout, "cases", RACE_CASE), "claims": slugs_on(scout, "claims", RACE_SCENARIO)}
    stop, posting, subs, kills, errors, clients = threading.Event(), threading.Event(), [], [], [], []
    stats = Counter()
    threads = [threading.Thread(target=_storm_client, daemon=True,
                                args=(server, email, slugs, i + 1, stop, subs, stats, errors, posting, clients))
               for i, email in enumerate(STORM_STUDENTS)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # clients logged in and submitting before the first kill

    def enough():
        return (sum(bool(s.location) for s in list(subs)) >= MIN_ACKED
                and any(s.failures for s in list(subs)))
    killer = threading.Thread(target=_killer, args=(server, stop, kills, posting, enough), daemon=True)
    killer.start()
    killer.join(timeout=40)
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads + [killer]), "a client or the killer hung"
    if errors:
        raise errors[0]
    assert server.proc.poll() is None, f"the gunicorn master died: {server.log_tail()}"
    assert server.log_tail(10**6).count("SIGKILL") >= MIN_KILLS  # the master saw its workers die

    unacked = [(s.kind, s.slug, s.token, s.failures) for s in subs if not s.location]
    acked = [s for s in subs if s.location]
    retried = [s for s in acked if s.failures]
    assert len(kills) >= MIN_KILLS, f"only {len(kills)} workers killed"
    assert not unacked, f"submissions never acknowledged: {unacked}"
    assert len(acked) >= MIN_ACKED, f"only {len(acked)} submissions acknowledged"
    assert retried, "no kill cut a submit off: the repeat-the-token path was never exercised"
    # A killed worker drops its connections; no live worker may answer with a server error.
    server_errors = [e for c in clients for e in c.server_errors]
    assert not server_errors, f"server errors during the storm: {server_errors[:5]}"

    # Every acknowledged token is stored exactly once, as submitted; nothing else is stored.
    stored = _stored(server)
    doubled = {token: rows for token, rows in stored.items() if len(rows) != 1}
    assert not doubled, f"tokens stored more than once: {doubled}"
    assert len({s.token for s in acked}) == len(acked)
    assert set(stored) == {s.token for s in acked}, (
        f"lost: {sorted({s.token for s in acked} - set(stored))}; stored but never acknowledged: "
        f"{sorted(set(stored) - {s.token for s in acked})}")
    assert sum(len(rows) for rows in stored.values()) == len(acked)
    from_killed = 0
    for s in acked:
        (row,) = stored[s.token]
        assert (row["kind"], row["email"], row["slug"], row["marker"]) == (s.kind, s.email, s.slug, s.marker)
        assert attempt_id(s.location) == row["id"], (s.location, row)  # the redirect names the stored attempt
        assert s.location == f"/{s.kind}/{s.slug}/attempts/{row['id']}"
        # Written by a request that was then cut off: the final post only found it.
        last_post = dt.datetime.fromtimestamp(s.post_starts[-1], dt.timezone.utc).replace(tzinfo=None)
        if s.failures and row["created"] < last_post:
            from_killed += 1

    # A client that never saw its answer sends the form again: same attempt, nothing new stored.
    server.wait_ready()
    for s in acked:
        resp = s.client.post(f"/{s.kind}/{s.slug}", s.fields)
        assert (resp.status, resp.location) == (302, s.location), (s.token, resp.status, resp.body[:300])
    assert sum(len(rows) for rows in _stored(server).values()) == len(acked)

    print(f"\n[{server.db.kind}] {len(kills)} workers killed, {len(acked)} submissions acknowledged "
          f"({sum(s.kind == 'claims' for s in acked)} claim scenarios), {len(retried)} after repeating a cut-off post "
          f"({from_killed} found stored by the cut-off request), {stats['cut_off']} page loads cut off, "
          f"{time.time() - started:.1f} s")


# ----------------------------------------------------------------------------- 2. twin submits


def _race(server, client: Client, path: str, fields: list) -> list:
    """PARALLEL clients of one session post the same form at the same instant, each on its own connection."""
    barrier = threading.Barrier(PARALLEL)
    results: list = [None] * PARALLEL

    def one(i):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        try:
            conn.connect()  # queued at the listening socket before the start signal
            barrier.wait(timeout=30)
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Connection": "close",
                       "Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())}
            conn.request("POST", path, body=urllib.parse.urlencode(fields, doseq=True), headers=headers)
            resp = conn.getresponse()
            resp.read()
            results[i] = (resp.status, urllib.parse.urlsplit(resp.getheader("Location", "")).path)
        except Exception as exc:  # noqa: BLE001 - shown in the assertion
            results[i] = (repr(exc), "")
        finally:
            conn.close()

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(PARALLEL)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    return results


def _served_posts(server, path: str) -> set[int]:
    return {int(line.split()[0].strip("<>")) for line in server.access_lines()
            if line.split()[1:3] == ["POST", path]}


@pytest.mark.xdist_group("faults")
@pytest.mark.parametrize("kind", ["cases", "claims"])
def test_twenty_parallel_submits_of_one_form_store_one_graded_attempt(server, kind):
    server.wait_ready()
    slug, email = (RACE_CASE, CASE_RACER) if kind == "cases" else (RACE_SCENARIO, CLAIM_RACER)
    table = "case_attempts" if kind == "cases" else "scenario_attempts"
    client = Client(server)
    client.login(email)
    page = client.get(f"/{kind}/{slug}")
    assert page.status == 200
    form = answer_form(page.body)
    if kind == "cases":
        form.set("dx_1", "H25.11")
        form.set("px_code_1", "66984")
        form.set("px_mod_1", "RT")
    else:
        form.set("causes", form.options["causes"][0])
        form.set("action", "appeal")
    token = form.value("token")
    assert form.value("csrf_token") == csrf_token(page.body)
    path = f"/{kind}/{slug}"
    before = server.db.rows(f"SELECT count(*) FROM {table}")[0][0]

    results = _race(server, client, path, form.fields)

    locations = {loc for _, loc in results}
    assert all(status == 302 for status, _ in results), results
    assert len(locations) == 1, results
    (location,) = locations
    rows = server.db.rows(
        f"SELECT a.id, a.score FROM {table} a JOIN users u ON u.id = a.user_id "
        "WHERE u.email = ? AND a.submission_token = ?", (email, token))
    assert len(rows) == 1, rows  # one graded attempt
    assert server.db.rows(f"SELECT count(*) FROM {table}")[0][0] == before + 1
    assert location == f"/{kind}/{slug}/attempts/{rows[0][0]}"
    assert rows[0][1] is not None
    # The twins really ran side by side: more than one worker process answered them.
    workers = _served_posts(server, path)
    assert len(workers) >= 2, f"all {PARALLEL} posts were served by one worker: {workers}"
    shown = client.get(location)
    assert shown.status == 200
    print(f"\n[{server.db.kind}] {PARALLEL} parallel {kind} posts over {len(workers)} workers -> {location}")


# ----------------------------------------------------------------------------- 3. import fails half-way


def _snapshot(app) -> dict[str, list]:
    """Every row of every table, as the database returns it, in a stable order."""
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        tables = sa.inspect(db.engine).get_table_names()
        with db.engine.connect() as conn:
            return {t: sorted((tuple(r) for r in conn.execute(sa.text(f'SELECT * FROM "{t}"'))), key=repr)
                    for t in tables}


def _changed_content(tmp_path) -> tuple[Path, dict]:
    """A copy of content/ where every kind of file was changed or removed: a valid import would
    rewrite lessons, tracks, cases, scenarios, site quizzes and questions."""
    base = tmp_path / "content"
    shutil.copytree(ROOT / "content", base)

    def edit(rel, old, new):
        path = base / rel
        text = path.read_text()
        assert old in text, (rel, old)
        path.write_text(text.replace(old, new, 1))

    edit("lessons/billing/01-the-claim-life-cycle.md", 'title: "The claim', 'title: "EDITED The claim')
    (base / "lessons/coding/06-hcpcs-level-ii.md").unlink()
    edit("quizzes/cases/ceftriaxone-injection-gonorrhea.yml", "title: ", "title: EDITED ")
    (base / "quizzes/cases/cataract-surgery-right-eye.yml").unlink()
    edit("quizzes/scenarios/knee-injection-missing-side.yml", "title: Which knee?", "title: EDITED Which knee?")
    edit("quizzes/claim-basics.yml", "title: 'Claim basics", "title: 'EDITED Claim basics")
    questions = base / "questions" / "cpt-em.yml"
    questions.write_text(questions.read_text().replace("prompt: ", "prompt: EDITED ", 1))
    return base, {"lesson": "the-claim-life-cycle", "removed_lesson": "hcpcs-level-ii"}


def _with_student_work(app, make_user):
    """Rows that are not content, so 'unchanged' covers students' work too."""
    from app.extensions import db
    from app.models import CodingCase
    from app.services.cases import submit_attempt

    uid = make_user("importer-witness@example.test")
    with app.app_context():
        case = db.session.scalar(sa.select(CodingCase).where(CodingCase.slug == "cataract-surgery-right-eye"))
        submit_attempt(uid, case, {"diagnoses": ["H25.11"], "procedures": []}, "witness-token")


def _import_into(app, base):
    from app.services.content import import_content

    app.config["CONTENT_DIR"] = str(base)
    try:
        with app.app_context():
            return import_content(base)
    finally:
        app.config["CONTENT_DIR"] = str(ROOT / "content")


@pytest.mark.parametrize("fails_in", ["cases", "site quizzes", "exams, after every write"])
def test_an_import_that_crashes_half_way_leaves_every_table_unchanged(app, make_user, tmp_path, monkeypatch,
                                                                       fails_in):
    """The writes run, then a step raises (a bug, a lost connection, a full disk): nothing may stick."""
    from app.extensions import db
    from app.models import CodingCase, Lesson
    from app.services import content as content_service
    from app.services import exam_content

    _with_student_work(app, make_user)
    base, names = _changed_content(tmp_path)
    before = _snapshot(app)
    seen = {}

    def half_way():
        """What the import's own transaction holds at the moment it breaks."""
        db.session.flush()
        lesson = db.session.scalar(sa.select(Lesson).where(Lesson.slug.contains(names["lesson"])))
        seen["lesson_title"] = lesson.title
        seen["removed_lesson_left"] = db.session.scalar(
            sa.select(sa.func.count()).select_from(Lesson).where(Lesson.slug.contains(names["removed_lesson"])))
        seen["cataract_active"] = db.session.scalar(
            sa.select(CodingCase.active).where(CodingCase.slug == "cataract-surgery-right-eye"))
        raise RuntimeError(f"simulated failure in {fails_in}")

    if fails_in == "cases":
        monkeypatch.setattr(content_service, "_write_cases", lambda cases: half_way())
    elif fails_in == "site quizzes":
        monkeypatch.setattr(content_service, "write_site_quizzes", lambda *a: half_way())
    else:
        real = exam_content.write_exams

        def write_then_fail(*a):
            real(*a)
            half_way()
        monkeypatch.setattr(exam_content, "write_exams", write_then_fail)

    with pytest.raises(RuntimeError, match="simulated failure"):
        _import_into(app, base)

    # The import really was half-way (writes only start once every file has passed its checks):
    # its transaction held the new lessons when it broke ...
    assert seen["lesson_title"].startswith("EDITED "), seen
    assert seen["removed_lesson_left"] == 0, seen
    if fails_in != "cases":
        assert seen["cataract_active"] is False, seen  # cases written (the removed file's case retired)
    # ... and not one row of any table changed.
    after = _snapshot(app)
    assert after.keys() == before.keys()
    for table in before:
        assert after[table] == before[table], f"table {table} changed by a failed import"


@pytest.mark.parametrize("broken", ["scenario", "exam blueprint"])
def test_a_broken_file_late_in_the_import_leaves_every_table_unchanged(app, runner, make_user, tmp_path, broken):
    """Earlier files changed (lessons, cases, quizzes), one of the last files read is broken: the
    command names it, says nothing was imported, and every table is exactly as before."""
    _with_student_work(app, make_user)
    base, _ = _changed_content(tmp_path)
    if broken == "scenario":
        path = base / "quizzes" / "scenarios" / "therapy-units-over-limit.yml"
        text = path.read_text()
        match = re.search(r'code: "\d{5}"', text)  # the first claim line's procedure code
        path.write_text(text[:match.start()] + 'code: "Q9X99"' + text[match.end():])  # no such code
    else:
        path = base / "exams.yml"
        path.write_text(path.read_text().replace("      cpt-anesthesia: 6\n", "      no-such-domain: 6\n", 1))
    before = _snapshot(app)

    app.config["CONTENT_DIR"] = str(base)
    try:
        result = runner.invoke(args=["content", "import"])
    finally:
        app.config["CONTENT_DIR"] = str(ROOT / "content")

    assert result.exit_code == 1, result.output
    assert "nothing was imported" in result.output
    assert f"error: {path}" in result.output, result.output
    after = _snapshot(app)
    for table in before:
        assert after[table] == before[table], f"table {table} changed by a refused import"
