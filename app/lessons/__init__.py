"""Lessons: tracks, reading, the end-of-lesson check, progress."""
from flask import Blueprint

bp = Blueprint("lessons", __name__)

from app.lessons import routes  # noqa: E402,F401
