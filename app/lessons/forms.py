from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField


class CompleteForm(FlaskForm):
    complete = HiddenField(default="1")
    submit = SubmitField("Mark lesson complete")


class CheckForm(FlaskForm):
    """CSRF only: the questions are rendered from the lesson's data as radio groups q0, q1, ..."""

    submit = SubmitField("Check my answers")
