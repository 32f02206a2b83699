"""`flask exams`: practice-exam housekeeping for cron or systemd timers."""
import click
from flask.cli import AppGroup

from app.services import exams as exam_service

exams_cli = AppGroup("exams", help="Practice-exam housekeeping.")


@exams_cli.command("close-expired")
def close_expired():
    """Close and grade every exam attempt left open past its deadline."""
    closed = exam_service.close_expired()
    click.echo(f"closed {closed} expired attempt(s)")
