"""Forms for claim scenarios and the claim lab: format checks only; the payer's edits judge the rest."""
from __future__ import annotations

import datetime as dt
import re
import secrets

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
from wtforms import FieldList, Form, FormField, HiddenField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.claims.model import DX_LETTERS, money
from app.codes.shapes import is_modifier
from app.params import small_digits
from app.services.scenarios import ACTION_LABELS

MAX_LINES = 8
SPLIT = re.compile(r"[\s,;/]+")


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def text(field) -> str:
    """A text field's value, stripped ('' when the field was not posted)."""
    return (field.data or "").strip()


def _split(text: str | None) -> list[str]:
    return [t for t in SPLIT.split((text or "").strip().upper()) if t]


def iso_date(form, field):
    if field.data and field.data.strip():
        try:
            dt.date.fromisoformat(field.data.strip())
        except ValueError:
            raise ValidationError("Enter the date as YYYY-MM-DD, e.g. 2026-03-02.") from None


def amount(form, field):
    if field.data and field.data.strip():
        try:
            value = money(field.data)
        except ValueError:
            raise ValidationError("Enter an amount such as 150.00.") from None
        if value < 0:
            raise ValidationError("An amount can't be negative.")


class ServiceLineForm(Form):
    """Box 24, one line. A line with no code is left off the claim."""

    date_of_service = StringField("24A date of service", validators=[Optional(), iso_date])
    place_of_service = StringField("24B POS", validators=[Optional(), Length(max=2, message="Two digits, e.g. 11.")])
    code = StringField("24D CPT/HCPCS", validators=[Optional(), Length(max=8, message="At most 8 characters.")])
    modifiers = StringField("24D modifiers", validators=[Optional(), Length(max=20)])
    pointers = StringField("24E diagnosis pointer", validators=[Optional(), Length(max=12)])
    # No Optional() on these two: it stops the chain on an empty box, so validate_charge and
    # validate_units (which ask for a value once the line has a code) would never run.
    charge = StringField("24F charges", validators=[amount])
    units = StringField("24G units")

    def validate_modifiers(self, field):
        mods = _split(field.data)
        if len(mods) > 4:
            raise ValidationError("At most four modifiers on a line.")
        bad = [m for m in mods if not is_modifier(m)]
        if bad:
            raise ValidationError(f"A modifier is two letters or digits: {', '.join(bad)}.")

    def validate_pointers(self, field):
        ptrs = _split(field.data)
        if len(ptrs) == 1 and len(ptrs[0]) > 1 and ptrs[0].isalpha():
            ptrs = list(ptrs[0])  # "AB"
        if len(ptrs) > 4:
            raise ValidationError("At most four pointers (letters A–L).")
        if any(p not in DX_LETTERS for p in ptrs):
            raise ValidationError("Pointers are letters A–L naming box 21 slots.")

    def validate_units(self, field):
        raw = (field.data or "").strip()
        if self.code.data and text(self.code) and not raw:
            raise ValidationError("Enter the units (1 or more).")
        if raw and (not small_digits(raw, 3) or not 1 <= int(raw) <= 999):
            raise ValidationError("Units must be a whole number from 1 to 999.")

    def validate_code(self, field):
        others = [self.date_of_service.data, self.modifiers.data, self.pointers.data, self.charge.data]
        if not (field.data or "").strip() and any((v or "").strip() for v in others):
            raise ValidationError("Enter the procedure code, or clear the line to leave it off.")

    def validate_charge(self, field):
        if (self.code.data or "").strip() and not (field.data or "").strip():
            raise ValidationError("Enter the line's charge.")

    def line_data(self) -> dict | None:
        code = (self.code.data or "").strip().upper()
        if not code:
            return None
        ptrs = _split(self.pointers.data)
        if len(ptrs) == 1 and len(ptrs[0]) > 1 and ptrs[0].isalpha():
            ptrs = list(ptrs[0])
        out = {"date_of_service": (self.date_of_service.data or "").strip() or None, "code": code,
               "modifiers": _split(self.modifiers.data), "pointers": ptrs,
               "units": int(self.units.data), "charge": str(money(self.charge.data))}
        if (self.place_of_service.data or "").strip():
            out["place_of_service"] = text(self.place_of_service)
        return out


class ClaimFieldsMixin:
    """The claim boxes a biller corrects: box 21 diagnoses and the box 24 lines."""

    diagnoses = FieldList(StringField("Diagnosis", validators=[Optional(), Length(max=10)]),
                          min_entries=len(DX_LETTERS), max_entries=len(DX_LETTERS))
    lines = FieldList(FormField(ServiceLineForm), min_entries=1, max_entries=MAX_LINES)
    place_of_service = StringField("24B place of service (claim)", validators=[Optional(), Length(max=2)])
    prior_auth = StringField("23 prior authorization number", validators=[Optional(), Length(max=30)])

    def diagnosis_list(self) -> list[str]:
        return [(d.data or "").strip() for d in self.diagnoses if (d.data or "").strip()]

    def line_list(self) -> list[dict]:
        return [x for x in (entry.form.line_data() for entry in self.lines) if x]


def claim_initial(claim: dict) -> dict:
    """Form data from claim data (``Claim.to_dict`` shape), to pre-fill the correction form."""
    cov, patient = claim.get("coverage", {}), claim.get("patient", {})
    dx = list(claim.get("diagnoses", []))
    return {
        "member_id": cov.get("member_id", ""), "plan": cov.get("plan", ""), "group": cov.get("group", ""),
        "payer_order": cov.get("payer_order", "primary"), "other_payer_paid": cov.get("other_payer_paid") or "",
        "birth_date": patient.get("birth_date") or "", "sex": patient.get("sex", "U"),
        "billing_npi": claim.get("billing_provider", {}).get("npi", ""),
        "place_of_service": claim.get("place_of_service", ""), "prior_auth": claim.get("prior_auth", ""),
        "frequency_code": claim.get("frequency_code", "1"), "original_claim_ref": claim.get("original_claim_ref", ""),
        "diagnoses": dx + [""] * (len(DX_LETTERS) - len(dx)),
        "lines": [{"date_of_service": x.get("date_of_service") or "", "place_of_service": x.get("place_of_service", ""),
                   "code": x.get("code", ""), "modifiers": " ".join(x.get("modifiers", [])),
                   "pointers": " ".join(x.get("pointers", [])), "charge": x.get("charge", ""),
                   "units": str(x.get("units", 1))} for x in claim.get("lines", [])],
    }


class ScenarioForm(ClaimFieldsMixin, FlaskForm):
    """The student's answer: cause(s), action, and the claim as they would send it back."""

    token = HiddenField(default=lambda: secrets.token_urlsafe(16), validators=[Length(max=64)])  # String(64)
    causes = SelectMultipleField("What caused the payer's answer?", choices=[], option_widget=CheckboxInput(),
                                 widget=ListWidget(prefix_label=False))
    action = RadioField("What do you do next?", choices=choices(ACTION_LABELS.items()),
                        validators=[DataRequired(message="Pick what you would do next.")])
    other_payer = SelectField("Payer to bill instead", choices=[], validate_choice=False)
    filing_proof = StringField("Proof of timely filing: date the payer first received the claim",
                               validators=[Optional(), iso_date])
    member_id = StringField("1a Insured's ID number", validators=[Optional(), Length(max=30)])
    birth_date = StringField("3 Patient's birth date", validators=[Optional(), iso_date])
    sex = SelectField("3 Sex", choices=choices([("F", "F"), ("M", "M"), ("U", "unknown")]))
    plan = StringField("11c Insurance plan name", validators=[Optional(), Length(max=60)])
    group = StringField("11 Insured's group number", validators=[Optional(), Length(max=30)])
    payer_order = SelectField("This payer pays", choices=choices([("primary", "primary"), ("secondary", "secondary")]))
    other_payer_paid = StringField("Amount the primary payer paid", validators=[Optional(), amount])
    billing_npi = StringField("33a Billing provider NPI", validators=[Optional(), Length(max=15)])
    frequency_code = SelectField("22 Resubmission code", choices=choices([
        ("1", "1 original claim"), ("7", "7 replacement of prior claim"), ("8", "8 void/cancel prior claim")]))
    original_claim_ref = StringField("22 Original reference number", validators=[Optional(), Length(max=40)])

    def validate_causes(self, field):
        if not field.data:
            raise ValidationError("Pick at least one cause (or “nothing is wrong” if it was paid as billed).")

    def validate_other_payer(self, field):
        if self.action.data == "bill-other-payer" and not field.data:
            raise ValidationError("Pick the payer you would bill instead.")
        if field.data and field.data not in {c.value for c in field.choices}:
            raise ValidationError("Pick a payer from the list.")

    def claim_data(self, original: dict) -> dict:
        """The original claim with the student's corrections laid over it."""
        data = dict(original)
        data["patient"] = {**original.get("patient", {}), "birth_date": text(self.birth_date) or None,
                           "sex": self.sex.data}
        cov = {**original.get("coverage", {}), "member_id": text(self.member_id),
               "plan": text(self.plan), "group": text(self.group),
               "payer_order": self.payer_order.data}
        cov.pop("other_payer_paid", None)
        if text(self.other_payer_paid):
            cov["other_payer_paid"] = str(money(self.other_payer_paid.data))
        data["coverage"] = cov
        data["billing_provider"] = {**original.get("billing_provider", {}), "npi": text(self.billing_npi)}
        data["place_of_service"] = text(self.place_of_service)
        data["prior_auth"] = text(self.prior_auth)
        data["frequency_code"] = self.frequency_code.data
        data["original_claim_ref"] = text(self.original_claim_ref)
        data["diagnoses"] = self.diagnosis_list()
        data["lines"] = self.line_list()
        return data


class LabForm(ClaimFieldsMixin, FlaskForm):
    """The claim lab: a patient from the payer's roster, codes and lines, run through the payer."""

    member = SelectField("1a / 2 Patient and insured's ID (from the payer's roster)", choices=[],
                         validators=[DataRequired(message="Pick a patient.")])
    as_of = StringField("Date the payer receives and decides the claim", validators=[DataRequired(), iso_date])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        #: errors about the lists as a whole, shown above box 21 and box 24
        self.list_errors = {}
        if not self.diagnosis_list():
            self.list_errors["diagnoses"] = "Enter at least one diagnosis code in box 21 A."
        if not any((e.form.code.data or "").strip() for e in self.lines):
            self.list_errors["lines"] = "Enter at least one service line with a code."
        return ok and not self.list_errors
