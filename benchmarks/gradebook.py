"""Gradebook, CSV export and dashboard at scale: 500 students x 100 attempts, on SQLite and, when
BENCH_DATABASE_URL (or TEST_DATABASE_URL) is set, on PostgreSQL. Writes benchmarks/results/gradebook.md.

    .venv/bin/python benchmarks/gradebook.py [--students 500] [--attempts 100]
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
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "gradebook.md"
PASSWORD = "load test passphrase 2026"


def pg_url(url: str) -> str:
    """A PostgreSQL URL for SQLAlchemy with psycopg 3 (as config.py normalises DATABASE_URL)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def fresh_schema(url: str, schema: str) -> str:
    """Drop and create ``schema`` on the PostgreSQL server at ``url``; the SQLAlchemy URL using it."""
    import sqlalchemy as sa

    url = pg_url(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    return url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"


def measure(client, path: str, runs: int) -> dict:
    client.get(path)  # warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        resp = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert resp.status_code == 200, (path, resp.status_code)
    times.sort()
    return {"median": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1], "max": times[-1],
            "bytes": len(resp.get_data())}


def seed(students: int, attempts: int) -> dict:
    """Seed one class at scale inside an app context whose content is imported: an instructor
    (teacher@bench.test), ``students`` students (student0..N-1@bench.test, all with PASSWORD) enrolled,
    20 case assignments, and ``attempts`` case attempts per student spread over them. The other
    benchmarks (web.py) import this, so every scale figure is measured on the same data."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Assignment, CaseAttempt, Classroom, CodingCase, Enrollment, User
    from app.services.auth import create_user
    from app.services.passwords import hash_password

    teacher = create_user("teacher@bench.test", "Teacher", PASSWORD, "instructor")
    create_user("student0@bench.test", "Student 0", PASSWORD, "student")
    classroom = Classroom(name="Bench class", instructor_id=teacher.id, join_code="BENCH001")
    db.session.add(classroom)
    db.session.flush()
    cases = list(db.session.scalars(sa.select(CodingCase).order_by(CodingCase.id).limit(20)))
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    assignments = [Assignment(class_id=classroom.id, kind="case", ref=c.slug, title=c.title,
                              opens_at=now - timedelta(days=30), due_at=now - timedelta(days=i)) for i, c in enumerate(cases)]
    db.session.add_all(assignments)
    db.session.commit()
    pw = hash_password(PASSWORD)  # one hash for all: hashing 500 passwords is not what is measured
    db.session.execute(sa.insert(User), [{"email": f"student{i}@bench.test", "name": f"Student {i}",
                                          "password_hash": pw, "role": "student", "created_at": now}
                                         for i in range(1, students)])
    ids = list(db.session.scalars(sa.select(User.id).where(User.role == "student",
                                                           User.email.like("student%@bench.test")).order_by(User.id)))
    db.session.execute(sa.insert(Enrollment), [{"class_id": classroom.id, "student_id": i, "joined_at": now} for i in ids])
    rows = []
    for sid in ids:
        for k in range(attempts):
            a = assignments[k % len(assignments)]
            case = cases[k % len(cases)]
            rows.append({"user_id": sid, "case_id": case.id, "submission_token": uuid.uuid4().hex,
                         "key_version": case.key_version, "code_release": "", "response": {},
                         "score": ((sid * 7 + k * 13) % 101) / 100, "points": 1.0, "max_points": 1.0,
                         "verdicts": [{"kind": "diagnosis", "position": 1, "expected": "E11.9", "code": "E11.65",
                                       "status": "partial", "credit": 0.5}],
                         "assignment_id": a.id, "late": k % 9 == 0,
                         "created_at": now - timedelta(minutes=k)})
    for start in range(0, len(rows), 5000):
        db.session.execute(sa.insert(CaseAttempt), rows[start:start + 5000])
    db.session.commit()
    return {"class_id": classroom.id, "first_assignment": assignments[0].id, "students": len(ids),
            "assignments": len(assignments),
            "attempts": db.session.scalar(sa.select(sa.func.count()).select_from(CaseAttempt))}


def run(url: str, label: str, students: int, attempts: int, runs: int) -> list[tuple[str, dict]]:
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.services.content import import_content
    from tests.conftest import CsrfClient

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench" * 8,
                      "CONTENT_DIR": str(ROOT / "content")})
    with app.app_context():
        upgrade()
        assert import_content().ok
        info = seed(students, attempts)
    class_id, first_assignment, total = info["class_id"], info["first_assignment"], info["attempts"]
    n_students, n_assignments = info["students"], info["assignments"]

    teacher_client = CsrfClient(app)
    teacher_client.login("teacher@bench.test", PASSWORD)
    student_client = CsrfClient(app)
    student_client.login("student0@bench.test", PASSWORD)
    out = [
        (f"{label}: gradebook page ({n_students} students x {n_assignments} assignments, {total} attempts)",
         measure(teacher_client, f"/instructor/classes/{class_id}/gradebook", runs)),
        (f"{label}: gradebook CSV export", measure(teacher_client, f"/instructor/classes/{class_id}/gradebook.csv", runs)),
        (f"{label}: item analysis of one assignment", measure(teacher_client, f"/instructor/assignments/{first_assignment}/analysis", runs)),
        (f"{label}: student dashboard ({attempts} attempts)", measure(student_client, "/progress/", runs)),
    ]
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--attempts", type=int, default=100)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="c2c-gradebook-"))
    targets = [(f"sqlite:///{tmp / 'bench.sqlite'}", "SQLite")]
    pg = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if pg:
        targets.append((fresh_schema(pg, "bench_gradebook"), "PostgreSQL"))
    rows = []
    try:
        for url, label in targets:
            rows += run(url, label, args.students, args.attempts, args.runs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# Gradebook and dashboard at scale", "",
             f"Recorded {stamp} on {platform.node()} ({os.cpu_count()} cores, Python {platform.python_version()}); "
             f"{args.students} students x {args.attempts} attempts each, {args.runs} timed requests per page through the "
             "Flask test client (whole request: login session, queries, template). "
             "Reproduce: `.venv/bin/python benchmarks/gradebook.py` (PostgreSQL too with BENCH_DATABASE_URL set).", "",
             "| page | median ms | p95 ms | max ms | response bytes |", "|---|---:|---:|---:|---:|"]
    for name, r in rows:
        lines.append(f"| {name} | {r['median']:.1f} | {r['p95']:.1f} | {r['max']:.1f} | {r['bytes']:,} |")
    lines += ["", "Goal: gradebook page and CSV at most 200 ms on 2 cores, on SQLite and on PostgreSQL."]
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
