"""A student's own progress: dashboard, classes joined and their assignments."""
from flask import Blueprint

bp = Blueprint("progress", __name__)

from app.progress import routes  # noqa: E402,F401
