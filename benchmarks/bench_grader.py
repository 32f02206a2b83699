"""Benchmark the coding grader: one 6-line case (4 diagnoses, 2 procedures with modifiers), graded
10,000 times against the built code book (instance/codes.sqlite) or, without it, the unit tests'
fake code set. Writes mean/p50/p99 microseconds to benchmarks/results/grader.txt.

    .venv/bin/python benchmarks/bench_grader.py [ROUNDS]
"""
from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.grading import grade_case  # noqa: E402

#: the built code book; $CODESET_PATH points elsewhere, as it does for the app
DB_PATH = Path(os.environ.get("CODESET_PATH") or ROOT / "instance" / "codes.sqlite")
RESULTS = ROOT / "benchmarks" / "results" / "grader.txt"

KEY = {
    "diagnoses": [
        {"code": "E11.22"},
        {"code": "N18.31"},
        {"code": "I12.9"},
        {"code": "M17.11", "accept": ["M17.0"]},
    ],
    "procedures": [
        {"code": "99214", "modifiers": ["25"], "units": 1},
        {"code": "20610", "modifiers": ["RT"], "units": 1},
    ],
}
# A realistic imperfect answer: order slip, a wrong 5th character, wrong side, lower-case typing.
RESPONSE = {
    "diagnoses": ["n18.32", "E1122", "I12.9", "M17.12"],
    "procedures": [{"code": "99214", "modifiers": ["25"], "units": 1}, {"code": "20610", "modifiers": ["LT"]}],
}


def load_codes():
    """The real code book when it is built, else the unit tests' fake; with a label saying which."""
    if DB_PATH.exists():
        try:
            from app.codes import open_codeset

            codes = open_codeset(DB_PATH)
            where = DB_PATH.relative_to(ROOT) if DB_PATH.is_relative_to(ROOT) else DB_PATH
            return codes, f"{type(codes).__name__} ({where}; {getattr(codes, 'release', '')})"
        except Exception as exc:  # noqa: BLE001 - fall back and say why in the results
            reason = f"open_codeset() failed: {exc!r}"
    else:
        reason = f"{DB_PATH} not built"
    sys.path.insert(0, str(ROOT / "tests" / "unit"))
    from test_grading import FakeCodeSet

    return FakeCodeSet(), f"FakeCodeSet from tests/unit/test_grading.py ({reason})"


def main(rounds: int = 10_000) -> str:
    codes, label = load_codes()
    grade = grade_case(KEY, RESPONSE, codes)
    for _ in range(200):  # warm caches (SQLite pages, any memo in the code set)
        grade_case(KEY, RESPONSE, codes)
    timings = []
    clock = time.perf_counter_ns
    for _ in range(rounds):
        start = clock()
        grade_case(KEY, RESPONSE, codes)
        timings.append((clock() - start) / 1000)
    timings.sort()
    mean = statistics.fmean(timings)
    p50 = timings[len(timings) // 2]
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    report = "\n".join(
        [
            "Coding grader benchmark (benchmarks/bench_grader.py)",
            f"date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
            f"machine: nproc={os.cpu_count()}, {platform.machine()}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}",
            "load average at the end (1/5/15 min): " + " ".join(f"{x:.2f}" for x in os.getloadavg()),
            f"code set: {label}",
            "case: 4 diagnoses + 2 procedures with modifiers; answer with an order slip, a wrong detail, "
            "wrong laterality and a wrong modifier",
            f"score of that answer: {grade.score} ({grade.points}/{grade.max_points})",
            f"rounds: {rounds}",
            f"mean: {mean:.1f} us",
            f"p50: {p50:.1f} us",
            f"p99: {p99:.1f} us",
            f"max: {timings[-1]:.1f} us",
            "target: well under 1000 us per case",
            "",
        ]
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)
    return report


if __name__ == "__main__":
    print(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
