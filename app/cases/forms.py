import secrets

from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField
from wtforms.validators import Length


class AnswerForm(FlaskForm):
    """CSRF, the one-time submission token and the button; the code rows are read by the service."""

    token = HiddenField(default=lambda: secrets.token_urlsafe(16), validators=[Length(max=64)])  # String(64)
    submit = SubmitField("Submit for grading")
