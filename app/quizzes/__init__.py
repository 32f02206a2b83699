"""Quizzes: instructors author, version and publish them; students take them and see graded feedback."""
from flask import Blueprint

bp = Blueprint("quizzes", __name__)

from app.quizzes import routes  # noqa: E402,F401
