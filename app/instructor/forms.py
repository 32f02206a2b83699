from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional


class ClassForm(FlaskForm):
    name = StringField("Class name", validators=[DataRequired(), Length(max=120)],
                       description="For example: Coding I, spring cohort")
    submit = SubmitField("Create class")


class AssignmentForm(FlaskForm):
    #: choices: the registered kinds (app/services/attempt_kinds.py), set by the view
    kind = SelectField("What to assign")
    ref = SelectField("Item", validate_choice=False, validators=[DataRequired("Choose an item from the list.")])
    opens_at = DateTimeLocalField("Opens (UTC)", format="%Y-%m-%dT%H:%M", validators=[DataRequired("Give an opening date and time.")])
    due_at = DateTimeLocalField("Due (UTC, optional)", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    submit = SubmitField("Assign")
