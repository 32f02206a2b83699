"""Form fields shared by every blueprint's forms."""
from __future__ import annotations

from wtforms import DecimalField
from wtforms.validators import ValidationError

from app.content.markdown import markdown_problem
from app.params import plain_decimal


def markdown_shape(form, field) -> None:
    """A Markdown box within the shapes the renderer takes quickly (app.content.markdown)."""
    if problem := markdown_problem(field.data or ""):
        raise ValidationError(problem)


class NumberField(DecimalField):
    """A decimal number typed in a form: ``2``, ``1.5``, ``-3``.

    WTForms' DecimalField takes whatever ``Decimal()`` takes, so ``sNaN`` reached NumberRange and its
    comparison raised (a 500); NaN, Infinity, ``1e999`` and long digit strings are no one's points
    either. This field reads only plain numbers (``app.params.plain_decimal``) and says so otherwise.
    """

    message = "Enter a plain number such as 2 or 1.5."

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = plain_decimal(valuelist[0])
        except ValueError as exc:
            self.data = None
            raise ValueError(self.gettext(self.message)) from exc
