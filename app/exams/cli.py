import click

from app.exams import bp
from app.services import exams as exam_service


@bp.cli.command("close-expired")
def close_expired():
    """Close and grade every exam attempt left open past its deadline."""
    closed = exam_service.close_expired()
    click.echo(f"closed {closed} expired attempt(s)")
