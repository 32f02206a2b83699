"""Content loading: lessons, quizzes, cases and scenarios read from files and validated (pure)."""
from app.content.errors import ContentError

__all__ = ["ContentError"]
