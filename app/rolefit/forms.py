from flask_wtf import FlaskForm
from wtforms import SubmitField


class RoleFitForm(FlaskForm):
    """CSRF and the submit button; the statements are radio groups named after their ids."""

    submit = SubmitField("See which role fits")
