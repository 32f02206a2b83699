import secrets

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.content.limits import FIELD_LIMITS, FIELD_NAMES, MAX_ANSWERS_BOX, MAX_CHOICES, MAX_KEY_BOX, MAX_POINTS
from app.content.question_types import format_key_lines, question_type, tidy_points, type_labels
from app.fields import NumberField, markdown_shape

CHOICE_ROWS = 6


def limit(field: str) -> Length:
    """The field's length limit from app.content.limits, worded as every door words it."""
    n = FIELD_LIMITS[field]
    return Length(max=n, message=f"The {FIELD_NAMES[field]} is over the {n:,}-character limit.")


def lf(value):
    """Browsers send a text box's newlines as CRLF: count them as files do, one character each."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def box_limit(n: int, what: str) -> Length:
    return Length(max=n, message=f"The {what} are over the {n:,}-character limit.")


class QuizForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), limit("title")])
    instructions = TextAreaField("Instructions", filters=[lf], validators=[limit("instructions"), markdown_shape],
                                 description="Markdown: shown to students above the questions.")
    revision = HiddenField()
    submit = SubmitField("Save")


class ChoiceForm(Form):
    text = StringField("Choice", validators=[limit("choice")])
    correct = BooleanField("Correct")
    feedback = StringField("Feedback for this choice", validators=[limit("choice_feedback")])


class QuestionForm(FlaskForm):
    """One question of any type; only the fields of the chosen type are read."""

    type = SelectField("Question type", choices=list(type_labels().items()))
    prompt = TextAreaField("Question", filters=[lf], validators=[limit("prompt"), markdown_shape],
                           description="Markdown.")
    points = NumberField("Points", places=2, default=1,
                          validators=[InputRequired(message="Give the question's points."),
                                      NumberRange(min=0.01, max=MAX_POINTS)])
    choices = FieldList(FormField(ChoiceForm), min_entries=CHOICE_ROWS, max_entries=MAX_CHOICES)
    answer = RadioField("The statement is", choices=[("true", "True"), ("false", "False")],
                        validators=[Optional()])
    answers = TextAreaField("Accepted answers", filters=[lf],
                            validators=[box_limit(MAX_ANSWERS_BOX, "accepted answers")],
                            description="One per line; matching ignores case and extra spaces.")
    key_diagnoses = TextAreaField(
        "Answer key: diagnosis codes (ICD-10-CM), first-listed first", filters=[lf],
        validators=[box_limit(MAX_KEY_BOX, "codes")],
        description="One per line, e.g. E11.22 — alternatives: 'E11.22 or E11.29'; 'Z79.4 optional'.")
    key_procedures = TextAreaField(
        "Answer key: procedure codes (CPT / HCPCS)", filters=[lf], validators=[box_limit(MAX_KEY_BOX, "codes")],
        description="One per line, modifiers after hyphens and units after x, e.g. 99214-25 or 17003 x5.")
    case = SelectField("Coding case", choices=[("", "—")], validate_choice=False,
                       description="The student reads the case's encounter and codes it; the case's own answer "
                                   "key grades it, with its rationales.")
    scenario = SelectField("Claim scenario", choices=[("", "—")], validate_choice=False,
                           description="The student reads the encounter and the payer's answer, then names the "
                                       "cause and the action; the scenario's own answer scores it.")
    feedback = TextAreaField("Feedback / rationale", filters=[lf], validators=[limit("feedback"), markdown_shape],
                             description="Markdown: shown with the result, after the student submits.")
    revision = HiddenField()
    submit = SubmitField("Save question")

    def to_question(self) -> tuple[dict, dict[str, str]]:
        """The question in canonical form and any problems reading the key lines."""
        kind = self.type.data
        q: dict = {"type": kind, "prompt": (self.prompt.data or "").strip(),
                   "points": tidy_points(self.points.data) if self.points.data is not None else None}
        qtype = question_type(kind)
        problems = qtype.from_form(self, q) if qtype else {}
        if (self.feedback.data or "").strip():
            q["feedback"] = self.feedback.data.strip()
        return q, problems

    def fill(self, q: dict) -> None:
        """Show a stored question (GET)."""
        self.type.data = q["type"]
        self.prompt.data = q.get("prompt", "")
        self.points.data = q.get("points", 1)
        self.feedback.data = q.get("feedback", "")
        choices = q.get("choices", [])
        while len(self.choices.entries) < min(MAX_CHOICES, max(CHOICE_ROWS, len(choices) + 2)):
            self.choices.append_entry()
        for entry, choice in zip(self.choices.entries, choices):
            entry.form.text.data = choice["text"]
            entry.form.correct.data = choice.get("correct", False)
            entry.form.feedback.data = choice.get("feedback", "")
        if "answer" in q:
            self.answer.data = "true" if q["answer"] else "false"
        self.answers.data = "\n".join(q.get("answers", []))
        self.case.data = q.get("case", "")
        self.scenario.data = q.get("scenario", "")
        key = q.get("key", {})
        self.key_diagnoses.data = format_key_lines(key.get("diagnoses", []), "diagnoses")
        self.key_procedures.data = format_key_lines(key.get("procedures", []), "procedures")


class ActionForm(FlaskForm):
    """Delete / move / publish buttons: CSRF plus the revision the page showed."""

    revision = HiddenField()


class AudienceForm(ActionForm):
    """Who may take the quiz once published."""

    practice = BooleanField("Site-wide practice: every signed-in student may take it",
                            description="Unticked, only students of a class you assign it to can see and take it.")


class TakeForm(FlaskForm):
    """CSRF and the one-time submission token; the answers are read by the service."""

    token = HiddenField(default=lambda: secrets.token_urlsafe(16), validators=[Length(max=64)])  # String(64)
    submit = SubmitField("Submit answers")


class ImportForm(FlaskForm):
    file = FileField("Quiz file", validators=[FileRequired("Choose a file to import.")])
    format = SelectField("Format", choices=[("", "By file name (.yml, .gift, .txt)"), ("yaml", "YAML quiz"),
                                            ("gift", "Moodle GIFT"), ("aiken", "Aiken")], default="")
    title = StringField("Title (GIFT and Aiken)", validators=[limit("title")],
                        description="Leave empty to name the quiz after the file.")
    submit = SubmitField("Import")

