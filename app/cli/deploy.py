"""`flask deploy`: one-time set-up of a production host's settings."""
import os
import secrets
from pathlib import Path

import click
from flask.cli import AppGroup

deploy_cli = AppGroup("deploy", help="Production set-up.")


def write_env_file(path: Path, database_url: str, force: bool = False) -> None:
    """Write the production settings, with a new random SECRET_KEY, to ``path`` (mode 0600).

    The key must stay the same across restarts and be shared by every host (sessions are signed with it),
    so an existing file is never overwritten unless ``force`` is given.
    """
    lines = [
        "# Chart to Claim production settings, written by `flask deploy init`.",
        "# Keep this file (mode 0600) and copy it unchanged to every host: they must share SECRET_KEY.",
        "APP_CONFIG=production",
        f"SECRET_KEY={secrets.token_hex(32)}",
        f"DATABASE_URL={database_url}",
    ]
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    os.fchmod(fd, 0o600)  # an existing file overwritten with --force keeps no wider mode
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")


@deploy_cli.command("init")
@click.argument("env_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--database-url", required=True, help="postgresql://USER:PASSWORD@HOST:5432/DBNAME")
@click.option("--force", is_flag=True, help="Replace an existing file (a new key logs everyone out).")
def init(env_file, database_url, force):
    """Write a production env file with a new random SECRET_KEY (mode 0600)."""
    try:
        write_env_file(env_file, database_url, force)
    except FileExistsError:
        raise click.ClickException(
            f"{env_file} exists; its SECRET_KEY is kept (replacing it logs every user out). "
            "Use --force to replace it.") from None
    click.echo(f"Wrote {env_file} (mode 0600). Copy it unchanged to every host; load it with "
               f"'set -a; . {env_file}; set +a' or systemd's EnvironmentFile=.")
