"""scripts/ensure-browser: `make test` on a fresh machine installs Debian's chromium or stops with one clear line."""
import os
import subprocess
from pathlib import Path

from tests.fakebin import fake_bin

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ensure-browser"


def _fake_bin(tmp_path: Path, uid: int, apt: bool) -> Path:
    return fake_bin(tmp_path, uid, "chromium" if apt else None)


def _run(bin_dir: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run(["/usr/bin/env", f"PATH={bin_dir}", "bash", str(SCRIPT)], capture_output=True,
                          text=True, env={"PATH": str(bin_dir), **env}, timeout=30)


def test_without_chromium_and_without_root_it_stops_with_one_line_saying_what_to_install(tmp_path):
    result = _run(_fake_bin(tmp_path, uid=1000, apt=True))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "apt-get install chromium" in lines[0]
    assert not (tmp_path / "apt.log").exists()  # nothing was attempted


def test_without_chromium_as_root_it_installs_debians_package(tmp_path):
    bin_dir = _fake_bin(tmp_path, uid=0, apt=True)
    result = _run(bin_dir)
    assert result.returncode == 0, result.stderr
    log = (tmp_path / "apt.log").read_text().splitlines()
    assert log[0].startswith("update") and any(x.startswith("install") and "chromium" in x for x in log)
    assert os.access(bin_dir / "chromium", os.X_OK)


def test_root_without_apt_get_stops_instead_of_guessing(tmp_path):
    result = _run(_fake_bin(tmp_path, uid=0, apt=False))
    assert result.returncode == 1 and "chromium" in result.stderr


def test_with_a_browser_present_it_does_nothing(tmp_path):
    bin_dir = _fake_bin(tmp_path, uid=1000, apt=True)
    browser = bin_dir / "chromium"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    result = _run(bin_dir)
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""
    assert not (tmp_path / "apt.log").exists()
