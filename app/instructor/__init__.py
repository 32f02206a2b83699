"""Instructors: classes, assignments, the gradebook, item analysis and CSV export."""
from flask import Blueprint

bp = Blueprint("instructor", __name__)

from app.instructor import routes  # noqa: E402,F401
