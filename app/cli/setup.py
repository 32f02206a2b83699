import click
from flask.cli import AppGroup

from app.services import auth as auth_service

setup_cli = AppGroup("demo", help="Demo accounts for a local site.")


@setup_cli.command("users")
def users():
    """Create the demo instructor and student if absent and print how to log in."""
    for role, email, password, created in auth_service.ensure_demo_users():
        state = "created" if created else "already there"
        click.echo(f"  demo {role:<10} {email}  password: {password}  ({state})")
