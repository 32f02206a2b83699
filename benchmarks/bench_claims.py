"""Benchmark the claim engine: adjudicate a clean four-line claim 10,000 times; record mean and p99.

Run: .venv/bin/python benchmarks/bench_claims.py   (writes benchmarks/results/claims.txt)
The code set is the in-memory sample (app.claims.samples) so the figure measures the engine
itself; when the built code-set DB is available a second run uses it too.
"""
from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.claims import adjudicate  # noqa: E402
from app.claims.samples import sample_claim, sample_codes, sample_payer  # noqa: E402

RUNS = 10_000
WARMUP = 200
AS_OF = dt.date(2026, 3, 25)


def measure(codes) -> tuple[float, float, str]:
    claim, payer = sample_claim(), sample_payer()
    for _ in range(WARMUP):
        remit = adjudicate(claim, payer, AS_OF, codes)
    times = []
    clock = time.perf_counter_ns
    for _ in range(RUNS):
        t0 = clock()
        remit = adjudicate(claim, payer, AS_OF, codes)
        times.append(clock() - t0)
    times.sort()
    mean = statistics.fmean(times) / 1000
    p99 = times[int(len(times) * 0.99) - 1] / 1000
    return mean, p99, f"{remit.status}, paid {remit.paid}"


def main() -> None:
    lines = [
        f"claim engine benchmark — {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M UTC}",
        f"python {platform.python_version()}, nproc {os.cpu_count()}, {platform.machine()}, "
        f"load average at start {os.getloadavg()[0]:.2f} (other work on the machine inflates p99)",
        f"workload: adjudicate one clean 4-line claim (visit + joint injection + drug + injection), {RUNS} runs",
    ]
    mean, p99, outcome = measure(sample_codes())
    lines.append(f"in-memory code set: mean {mean:.1f} µs, p99 {p99:.1f} µs ({outcome})")
    try:
        from app.codes import default_codeset

        real = default_codeset()
        mean, p99, outcome = measure(real)
        lines.append(f"built code set ({getattr(real, 'release', '?')}): mean {mean:.1f} µs, p99 {p99:.1f} µs "
                     f"({outcome})")
    except Exception as exc:  # the code-set DB may not be built on this machine
        lines.append(f"built code set: not measured ({type(exc).__name__}: {exc})")
    text = "\n".join(lines) + "\n"
    out = ROOT / "benchmarks" / "results" / "claims.txt"
    out.write_text(text, encoding="utf-8")
    print(text, end="")


if __name__ == "__main__":
    main()
