"""Command-line groups; each calls the same services the views call."""
from app.cli.backup import backup_cli
from app.cli.codes import codes_cli
from app.cli.content import content_cli
from app.cli.deploy import deploy_cli
from app.cli.exams import exams_cli
from app.cli.setup import setup_cli
from app.cli.users import users_cli

__all__ = ["backup_cli", "codes_cli", "content_cli", "deploy_cli", "exams_cli", "setup_cli", "users_cli"]
