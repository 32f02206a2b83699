"""Load benchmark: gunicorn (sync workers) on 127.0.0.1 driven by wrk, each page beside a bare
Flask-Login page measured in the same run. Writes benchmarks/results/web.md.

    .venv/bin/python benchmarks/web.py [--duration 10] [--connections 16]
"""
from __future__ import annotations

import argparse
import http.cookiejar
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "benchmarks" / "results" / "web.md"
PASSWORD = "load test passphrase 2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 20.0) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not come up")


def gunicorn(app: str, port: int, env: dict, workers: int) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", app],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wrk(url: str, cookie: str | None, duration: int, connections: int, script: str | None = None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return {"rps": rps, "p50": pct(50), "p99": pct(99), "errors": int(non2xx.group(1)) if non2xx else 0}


def login_cookie(base: str, email: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(f"{base}/auth/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": PASSWORD}).encode()
    opener.open(f"{base}/auth/login", data)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")

    tmp = Path(tempfile.mkdtemp(prefix="c2c-bench-"))
    env = {**os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite"),
           "SECRET_KEY": "b" * 40, "APP_CONFIG": "development"}
    flask = str(BIN / "flask")
    env["CODESET_PATH"] = str(ROOT / "instance" / "codes.sqlite")
    for cmd in (["db", "upgrade"], ["codes", "build", "--if-stale"], ["content", "import"]):
        subprocess.run([flask, *cmd], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([flask, "users", "create", "--email", "bench@example.test", "--name", "Bench",
                    "--password", PASSWORD], cwd=ROOT, env=env, check=True, capture_output=True)

    site_port, bare_port = free_port(), free_port()
    procs = [gunicorn("wsgi:app", site_port, env, args.workers),
             gunicorn("benchmarks.bare_app:app", bare_port, env, args.workers)]
    try:
        site, bare = f"http://127.0.0.1:{site_port}", f"http://127.0.0.1:{bare_port}"
        wait_for(f"{site}/healthz")
        wait_for(f"{bare}/login")
        cookie = login_cookie(site, "bench@example.test")
        bare_jar = urllib.request.urlopen(f"{bare}/login").headers.get("Set-Cookie").split(";")[0]
        lesson = re.search(r'href="(/lessons/[a-z0-9-]+)"', urllib.request.urlopen(f"{site}/lessons/").read().decode()).group(1)
        pages = [
            ("bare Flask-Login page (ceiling)", f"{bare}/page", bare_jar),
            ("home page (anonymous)", f"{site}/", None),
            ("lesson page (logged-in student)", f"{site}{lesson}", cookie),
            ("role-fit quiz (anonymous)", f"{site}/role-fit/", None),
            ("code search API, words (diab kidn)", f"{site}/api/codes?q=diab+kidn&system=icd10cm&limit=15", None),
            ("code search API, code prefix (S72.0)", f"{site}/api/codes?q=S72.0&system=icd10cm&limit=15", None),
            ("code book search page (fract femur neck)", f"{site}/codebook/?q=fract+femur+neck&system=icd10cm", None),
        ]
        rows = []
        for name, url, c in pages:
            wrk(url, c, 2, args.connections)  # warm-up
            rows.append((name, wrk(url, c, args.duration, args.connections)))
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)

    ceiling = rows[0][1]["rps"]
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Web load benchmark", "",
        f"Recorded {stamp} on {platform.node() or 'this machine'} ({os.cpu_count()} cores, Python {platform.python_version()}); "
        f"gunicorn {args.workers} sync workers on 127.0.0.1, wrk 2 threads, {args.connections} connections, "
        f"{args.duration} s per page after a 2 s warm-up. Reproduce: `make bench` or `.venv/bin/python benchmarks/web.py`.", "",
        "| page | requests/s | p50 ms | p99 ms | share of ceiling | non-2xx/3xx |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows:
        lines.append(f"| {name} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {100 * r['rps'] / ceiling:.0f}% | {r['errors']} |")
    lines += ["", "Goals: lesson page at least 60% of the ceiling's throughput and p99 at most 30 ms; "
              "code search p99 at most 20 ms and at least 50% of the ceiling's throughput.",
              "wrk and gunicorn share the same 2 cores, so every figure includes the load generator's cost."]
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
