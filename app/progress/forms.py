from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length


class JoinForm(FlaskForm):
    code = StringField("Join code", validators=[DataRequired("Type the code your instructor gave you."), Length(max=20)])
    submit = SubmitField("Join class")
