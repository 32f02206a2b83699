"""scripts/ensure-nginx: `make test` installs Debian's nginx for the proxy test where it can, and otherwise
says loudly that the test will be skipped (or stops, in CI)."""
import subprocess
from pathlib import Path

from tests.fakebin import fake_bin

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ensure-nginx"


def _fake_bin(tmp_path: Path, uid: int, apt: bool, nginx: bool = False) -> Path:
    """bash, openssl, an `id` printing ``uid``, nginx if ``nginx``, and an apt-get that 'installs' nginx."""
    return fake_bin(tmp_path, uid, "nginx" if apt else None, ("openssl",) + (("nginx",) if nginx else ()))


def _run(bin_dir: Path, **env) -> subprocess.CompletedProcess:
    # NGINX_SEARCH_PATH: look only in the fake PATH, not in this machine's /usr/sbin
    return subprocess.run(["/usr/bin/env", f"PATH={bin_dir}", "bash", str(SCRIPT)], capture_output=True,
                          text=True, env={"PATH": str(bin_dir), "NGINX_SEARCH_PATH": str(bin_dir), **env},
                          timeout=30)


def test_without_nginx_and_without_root_it_warns_loudly_and_lets_the_suite_run(tmp_path):
    result = _run(_fake_bin(tmp_path, uid=1000, apt=True))
    assert result.returncode == 0
    assert "NGINX TEST WILL BE SKIPPED" in result.stderr and "apt-get install nginx" in result.stderr
    assert not (tmp_path / "apt.log").exists()  # nothing was attempted


def test_in_ci_a_missing_nginx_stops_the_run(tmp_path):
    result = _run(_fake_bin(tmp_path, uid=1000, apt=True), REQUIRE_NGINX="1")
    assert result.returncode == 1 and "NGINX TEST WILL BE SKIPPED" in result.stderr


def test_without_nginx_as_root_it_installs_debians_package(tmp_path):
    bin_dir = _fake_bin(tmp_path, uid=0, apt=True)
    result = _run(bin_dir, REQUIRE_NGINX="1")
    assert result.returncode == 0, result.stderr
    log = (tmp_path / "apt.log").read_text().splitlines()
    assert log[0].startswith("update") and any(x.startswith("install") and "nginx" in x for x in log)


def test_with_nginx_present_it_does_nothing(tmp_path):
    result = _run(_fake_bin(tmp_path, uid=0, apt=True, nginx=True), REQUIRE_NGINX="1")
    assert result.returncode == 0 and result.stderr == ""
    assert not (tmp_path / "apt.log").exists()
