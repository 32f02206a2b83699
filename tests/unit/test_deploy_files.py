"""The files in deploy/ agree with the repository and with each other (issue 17 §7): the systemd units run
programs that exist in a clone's layout with arguments gunicorn and flask accept, the timer starts its
service, the nginx file forwards to the address gunicorn binds and serves the clone's static directory,
and docs/deploy.md names only files that exist. (nginx itself checks the nginx file in
tests/integration/test_nginx.py.)"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
APP_DIR = "/srv/chart2claim"  # where docs/deploy.md clones the repository
ENV_FILE = "/etc/chart2claim.env"
NGINX = (DEPLOY / "nginx" / "chart2claim.conf").read_text()


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A systemd unit file: section -> key -> values (a key may repeat); continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "systemd" / name).read_text())
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def in_clone(path: str) -> Path:
    """A path under the deployed clone, as a path in this checkout."""
    assert path.startswith(APP_DIR + "/"), path
    return ROOT / path[len(APP_DIR) + 1:]


def exec_start(service: dict) -> list[str]:
    [line] = service["Service"]["ExecStart"]
    return shlex.split(line)


SERVICE = unit("chart2claim.service")
CLOSER = unit("chart2claim-close-expired.service")
TIMER = unit("chart2claim-close-expired.timer")


@pytest.mark.parametrize("service", [SERVICE, CLOSER], ids=["site", "close-expired"])
def test_services_run_as_the_site_user_in_the_clone_with_the_env_file(service):
    s = service["Service"]
    assert s["User"] == ["chart2claim"] and s["Group"] == ["chart2claim"]
    assert s["WorkingDirectory"] == [APP_DIR]
    assert s["EnvironmentFile"] == [ENV_FILE]
    program = exec_start(service)[0]
    assert in_clone(program).parent == ROOT / ".venv" / "bin"
    assert (ROOT / ".venv" / "bin" / Path(program).name).exists(), program  # made by `make` / docs step


def test_gunicorn_arguments_are_valid_and_match_nginx_and_the_runtime_directory():
    from gunicorn.config import Config

    argv = exec_start(SERVICE)
    assert Path(argv[0]).name == "gunicorn"
    args = Config().parser().parse_args(argv[1:])
    assert args.args == ["wsgi:app"] and (ROOT / "wsgi.py").exists()
    assert "app = create_app()" in (ROOT / "wsgi.py").read_text()
    assert args.preload_app is True
    assert args.bind == ["127.0.0.1:8000"]
    upstream = re.search(r"upstream \w+ \{\s*server ([\d.:]+);", NGINX).group(1)
    assert upstream == args.bind[0]
    # its own control socket, in the directory systemd makes for this service
    assert not args.control_socket_disable
    assert Path(args.control_socket).parent == Path("/run") / SERVICE["Service"]["RuntimeDirectory"][0]
    assert SERVICE["Service"]["Type"] == ["notify"]


def test_the_timer_starts_the_close_expired_service_and_is_enabled_with_timers():
    # a timer starts the service of the same name unless it says Unit=
    assert "Unit" not in TIMER["Timer"]
    assert (DEPLOY / "systemd" / "chart2claim-close-expired.service").exists()
    assert TIMER["Timer"]["OnUnitActiveSec"] and TIMER["Install"]["WantedBy"] == ["timers.target"]
    assert CLOSER["Service"]["Type"] == ["oneshot"]
    assert SERVICE["Install"]["WantedBy"] == ["multi-user.target"]


def test_the_close_expired_command_exists_as_the_unit_calls_it(tmp_path):
    argv = exec_start(CLOSER)
    assert argv[1:] == ["--app", "wsgi", "exams", "close-expired"]
    env = {**os.environ, "APP_CONFIG": "development", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}"}
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), *argv[1:], "--help"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "expired" in done.stdout.lower(), done.stderr[-2000:]


def test_the_flask_wrapper_loads_the_env_file_and_runs_the_sites_flask(tmp_path):
    """deploy/chart2claim-flask, pointed at this checkout and an env file, runs a command with that env."""
    script = (DEPLOY / "chart2claim-flask").read_text()
    assert f'"${{CHART2CLAIM_DIR:-{APP_DIR}}}"' in script and f'"${{CHART2CLAIM_ENV:-{ENV_FILE}}}"' in script
    env_file = tmp_path / "c2c.env"
    env_file.write_text(f"APP_CONFIG=development\nDATABASE_URL=sqlite:///{tmp_path / 'w.sqlite'}\n")
    user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    done = subprocess.run(["sh", str(DEPLOY / "chart2claim-flask"), "routes"], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "CHART2CLAIM_DIR": str(ROOT),
                                            "CHART2CLAIM_ENV": str(env_file), "CHART2CLAIM_USER": user})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "auth.login" in done.stdout


def test_nginx_serves_the_clones_static_directory_and_forwards_what_the_app_needs():
    alias = re.search(r"location /static/ \{\s*alias ([^;]+);", NGINX).group(1)
    assert in_clone(alias.rstrip("/")) == ROOT / "app" / "static"
    for header in ("Host $http_host", "X-Forwarded-Host $http_host", "X-Forwarded-For $proxy_add_x_forwarded_for",
                   "X-Forwarded-Proto $scheme"):
        assert f"proxy_set_header {header};" in NGINX
    assert "return 301 https://$host$request_uri;" in NGINX


def _size(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", value.lower()).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[unit]


def test_nginx_body_limit_is_at_least_every_request_limit_of_the_app():
    """Past the app's own limits the app answers with a page naming them; nginx's bare 413 must not come
    first. Every size limit in config.Config (MAX_CONTENT_LENGTH, per-door upload limits) is covered."""
    import config

    nginx_limit = _size(re.search(r"client_max_body_size (\w+);", NGINX).group(1))
    limits = {name: getattr(config.Config, name) for name in dir(config.Config)
              if ("CONTENT_LENGTH" in name or name.endswith("_BYTES")) and isinstance(getattr(config.Config, name), int)}
    limits["quiz upload read (app/quizzes/routes.py)"] = 2_000_000
    assert all(limit <= nginx_limit for limit in limits.values()), (nginx_limit, limits)


def test_the_deploy_doc_names_only_files_that_exist():
    doc = (ROOT / "docs" / "deploy.md").read_text()
    named = set(re.findall(r"\bdeploy/[\w./-]+\w", doc))
    assert named >= {"deploy/nginx/chart2claim.conf", "deploy/systemd/chart2claim.service",
                     "deploy/chart2claim-flask"}
    missing = [p for p in named if not (ROOT / p).exists() and not list(ROOT.glob(p))]
    assert not missing, missing
    assert "docs/deploy.md" in (ROOT / "README.md").read_text()


def test_python_in_the_doc_is_python3():
    """Stock Debian has python3 and no `python`."""
    doc = (ROOT / "docs" / "deploy.md").read_text()
    assert not re.search(r"(^|[\s;&|(])python(\s|$)", doc, re.M)


def test_systemd_accepts_the_units(tmp_path):
    """`systemd-analyze verify` on the units with the clone's and env file's paths pointed at this checkout:
    it checks every key and that each ExecStart program exists and is executable."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd); the parse tests above still ran")
    env_file = tmp_path / "chart2claim.env"
    env_file.write_text("APP_CONFIG=production\n")
    names = ["chart2claim.service", "chart2claim-close-expired.service", "chart2claim-close-expired.timer"]
    for name in names:
        text = (DEPLOY / "systemd" / name).read_text()
        (tmp_path / name).write_text(text.replace(APP_DIR, str(ROOT)).replace(ENV_FILE, str(env_file)))
    done = subprocess.run([analyze, "verify", "--man=no", *(f"./{n}" for n in names)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    problems = [line for line in done.stderr.splitlines() if "chart2claim" in line]
    assert done.returncode == 0 and not problems, done.stderr[-3000:]
