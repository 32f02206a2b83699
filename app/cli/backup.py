"""`flask backup`: a consistent copy of the SQLite database while the site runs."""
import sqlite3
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from app.extensions import db


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy the SQLite database ``source`` to ``target`` with SQLite's online backup API and return the
    number of pages copied. The copy is a consistent snapshot even while workers write (WAL mode)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            pages = dst.execute("PRAGMA page_count").fetchone()[0]
            if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise click.ClickException(f"the copy at {target} failed SQLite's integrity check")
            return pages
        finally:
            dst.close()
    finally:
        src.close()


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_cli(target):
    """Copy the SQLite database to TARGET while the site runs (PostgreSQL: use pg_dump)."""
    url = make_url(str(db.engine.url))
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise click.ClickException(
            f"flask backup copies a SQLite database file; this site uses {url.get_backend_name()}. "
            "For PostgreSQL use pg_dump (see docs/deploy.md).")
    if target.exists():
        raise click.ClickException(f"{target} exists; choose a new file name (a backup never overwrites).")
    source = Path(url.database)
    pages = backup_sqlite(source, target)
    size = target.stat().st_size
    click.echo(f"Backed up {source} to {target} ({pages} pages, {size:,} bytes); integrity check ok.")
    current_app.logger.info("backup written to %s", target)
