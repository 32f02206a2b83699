"""Quizzes: instructors author, version and publish them; students take them and see graded feedback."""
from flask import Blueprint

from app.content.question_types import editor_partials, question_type

bp = Blueprint("quizzes", __name__)
# the templates draw each question with its type's partial (templates/quizzes/types/)
bp.add_app_template_global(question_type, "question_type")
bp.add_app_template_global(editor_partials, "question_partials")

from app.quizzes import routes  # noqa: E402,F401
