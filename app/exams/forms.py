import secrets

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField
from wtforms.validators import Length, Optional


class StartForm(FlaskForm):
    """CSRF and the one-time start token (a double click opens one attempt)."""

    token = HiddenField(default=lambda: secrets.token_urlsafe(16), validators=[Length(max=64)])  # String(64)


class ConfirmForm(FlaskForm):
    """CSRF only: submitting twice grades once (the service closes an attempt once)."""


class ExamDateForm(FlaskForm):
    exam_date = DateField("Exam date", validators=[Optional()])
