"""A fake PATH for testing the install scripts (scripts/ensure-browser, scripts/ensure-nginx) without root or apt."""
from __future__ import annotations

import shutil
from pathlib import Path


def fake_bin(tmp_path: Path, uid: int, apt_installs: str | None, present: tuple[str, ...] = ()) -> Path:
    """A directory holding bash, an `id` that prints ``uid``, a stub for each of ``present`` and, if
    ``apt_installs`` names a program, an apt-get that logs its arguments to tmp_path/apt.log and
    'installs' that program."""
    bash = shutil.which("bash")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "bash").symlink_to(bash)
    (bin_dir / "id").write_text(f"#!{bash}\necho {uid}\n")
    for name in present:
        (bin_dir / name).write_text("#!/bin/sh\n")
    if apt_installs:
        (bin_dir / "apt-get").write_text(
            f"#!{bash}\n"
            f"echo \"$@\" >> {tmp_path}/apt.log\n"
            f"if [ \"$1\" = install ]; then printf '#!/bin/sh\\n' > {bin_dir}/{apt_installs}; "
            f"/bin/chmod +x {bin_dir}/{apt_installs}; fi\n")
    for f in bin_dir.iterdir():
        if not f.is_symlink():
            f.chmod(0o755)
    return bin_dir
