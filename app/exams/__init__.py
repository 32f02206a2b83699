"""Practice exams: timed certification-style forms drawn from the question bank, and spaced review."""
from flask import Blueprint

bp = Blueprint("exams", __name__)

from app.exams import routes  # noqa: E402,F401
