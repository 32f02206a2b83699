import sys

import click
from flask.cli import AppGroup

from app.services import content as content_service

content_cli = AppGroup("content", help="Check and import lessons, quizzes, cases and scenarios.")


def _report(report, verb: str) -> None:
    if report.errors:
        for error in report.errors:
            click.echo(f"error: {error}", err=True)
        click.echo(f"{len(report.errors)} problem(s) found; nothing was {verb}.", err=True)
        sys.exit(1)
    click.echo(", ".join(f"{k}: {v}" for k, v in report.counts.items()))


@content_cli.command("check")
def check():
    """Validate every content file and name the file and line of each problem."""
    _report(content_service.check_content(), "changed")
    click.echo("content OK")


@content_cli.command("import")
def import_():
    """Import every content file into the database (all or nothing)."""
    _report(content_service.import_content(), "imported")
