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


@content_cli.command("coverage")
def coverage():
    """Print lessons, cases, scenarios and items per area against the course's targets."""
    from app.content.coverage import render

    rows, errors = content_service.coverage_report()
    if errors:
        for error in errors:
            click.echo(f"error: {error}", err=True)
        click.echo(f"{len(errors)} problem(s) found; run `flask content check`.", err=True)
        sys.exit(2)
    click.echo(render(rows))
    if any(row.short for row in rows):
        sys.exit(1)


@content_cli.command("import")
def import_():
    """Import every content file into the database (all or nothing)."""
    _report(content_service.import_content(), "imported")


@content_cli.command("export-quiz")
@click.argument("quiz_id", type=int)
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
def export_quiz(quiz_id, file):
    """Write a quiz's latest version to FILE as YAML."""
    from pathlib import Path

    from app.extensions import db
    from app.models import Quiz
    from app.services import quizzes as quiz_service

    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None:
        click.echo(f"error: no quiz with id {quiz_id}", err=True)
        sys.exit(1)
    Path(file).write_text(quiz_service.export_yaml(quiz), encoding="utf-8")
    click.echo(f"exported quiz {quiz.id} ({quiz.slug}) to {file}")


@content_cli.command("import-quiz")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["yaml", "gift", "aiken"]), default=None,
              help="File format (default: from the extension: .yml, .gift, .txt for Aiken).")
@click.option("--title", default="", help="Title for a GIFT or Aiken quiz (default: from the file name).")
@click.option("--owner", default=None, help="E-mail of the instructor who will own a new quiz.")
@click.option("--publish", is_flag=True, help="Publish the imported version.")
def import_quiz(file, fmt, title, owner, publish):
    """Import one quiz file (YAML, GIFT or Aiken): all of it or nothing."""
    from pathlib import Path

    from app.content.limits import MAX_IMPORT_BYTES, size_text
    from app.content.quizfiles import QuizFileErrors
    from app.services import quizzes as quiz_service

    owner_id = None
    if owner:
        user = quiz_service.user_by_email(owner)
        if user is None:
            click.echo(f"error: no user with e-mail {owner}", err=True)
            sys.exit(1)
        owner_id = user.id
    size = Path(file).stat().st_size
    if size > MAX_IMPORT_BYTES:  # refused before reading, never cut to fit
        click.echo(f"error: {file}: the file is {size_text(size)}, over the {size_text(MAX_IMPORT_BYTES)} limit; "
                   "nothing was imported.", err=True)
        sys.exit(1)
    try:
        data = quiz_service.parse_upload(Path(file).read_bytes(), file, fmt, title)
    except QuizFileErrors as exc:
        for error in exc.errors:
            click.echo(f"error: {error}", err=True)
        click.echo(f"{len(exc.errors)} problem(s) found; nothing was imported.", err=True)
        sys.exit(1)
    try:
        quiz, created = quiz_service.import_into(data, owner_id)
    except quiz_service.SiteQuizReadOnly as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if publish:
        quiz_service.publish(quiz, quiz.revision, owner_id)
    version = quiz_service.latest_version(quiz)
    click.echo(f"{'created' if created else 'updated'} quiz {quiz.id} ({quiz.slug}): version {version.number}, "
               f"{len(data.questions)} question(s){', published' if publish else ', draft'}")
