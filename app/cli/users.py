import click
from flask.cli import AppGroup

from app.models import Role
from app.services import auth as auth_service

users_cli = AppGroup("users", help="Manage accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.STUDENT.value, show_default=True)
@click.password_option()
def create(email, name, role, password):
    """Create an account with the given role."""
    try:
        user = auth_service.create_user(email, name, password, role)
    except auth_service.AccountError as exc:
        raise click.ClickException(f"{exc.field}: {exc.message}") from None
    click.echo(f"Created {user.role} {user.email}")
