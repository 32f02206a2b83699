"""The claim as a biller fills it in (CMS-1500 / 837P): patient, coverage, providers, diagnoses, lines."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Mapping

from app.params import plain_decimal

#: letters of box 21 (diagnosis slots A–L) in order
DX_LETTERS = "ABCDEFGHIJKL"
#: box 22 resubmission codes (claim frequency): original, replacement of prior claim, void
ORIGINAL, REPLACEMENT, VOID = "1", "7", "8"
FREQUENCY_CODES = (ORIGINAL, REPLACEMENT, VOID)
CENT = Decimal("0.01")


#: the largest amount a claim line or payment may carry (far above any real professional claim)
MAX_AMOUNT = Decimal("99999999.99")


def money(value: Any) -> Decimal:
    """A Decimal rounded to cents half-up; accepts Decimal, int, str ('$1,250.50'); never float noise."""
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, float):
        d = Decimal(repr(value))
    else:
        text = str(value).strip().replace("$", "").replace(",", "")
        try:
            # plain digits only: Decimal() alone also takes 1e3, sNaN and digits of other scripts
            d = plain_decimal(text)
        except ValueError as exc:
            raise ValueError(f"not an amount of money: {value!r}") from exc
    # NaN, Infinity and absurd magnitudes are not money (and would make the rounding below raise).
    if not d.is_finite() or abs(d) > MAX_AMOUNT:
        raise ValueError(f"not an amount of money: {value!r}")
    return d.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_date(value: Any) -> dt.date | None:
    """ISO date (``2026-03-14``) or a date; None/'' stay None so the front-end edits can report them."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValueError(f"not an ISO date (YYYY-MM-DD): {value!r}") from exc


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def normalize_icd(raw: str) -> str:
    """Canonical ICD-10-CM spelling: upper case, dot after the category (``e1122`` -> ``E11.22``)."""
    code = str(raw).strip().upper().replace(".", "").replace(" ", "")
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def normalize_code(raw: str) -> str:
    """CPT/HCPCS/modifier/POS spelling: upper case, no spaces."""
    return str(raw).strip().upper().replace(" ", "")


def _text(d: Mapping, key: str, default: str = "") -> str:
    value = d.get(key, default)
    return default if value is None else str(value).strip()


@dataclass(frozen=True)
class Patient:
    """Boxes 2 and 3: the patient's name ('Last, First'), birth date and sex (F, M or U)."""

    name: str
    birth_date: dt.date | None
    sex: str

    @classmethod
    def from_dict(cls, d: Mapping) -> "Patient":
        return cls(name=_text(d, "name"), birth_date=parse_date(d.get("birth_date")),
                   sex=_text(d, "sex", "U").upper()[:1] or "U")

    def to_dict(self) -> dict:
        return {"name": self.name, "birth_date": _iso(self.birth_date), "sex": self.sex}

    def age_on(self, day: dt.date) -> int | None:
        """Age in whole years on ``day`` (None without a birth date)."""
        if self.birth_date is None:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


@dataclass(frozen=True)
class Coverage:
    """Boxes 1a, 4, 6, 7, 11 and 9: the insured (subscriber), the plan, and any other coverage.

    ``payer_order`` says where this payer stands: ``primary`` or ``secondary``. A secondary claim
    carries what the primary paid (``other_payer_paid``), copied from the primary's remittance.
    """

    member_id: str
    group: str = ""
    plan: str = ""
    #: patient's relationship to the insured: self, spouse, child, other
    relationship: str = "self"
    subscriber_name: str = ""
    #: box 11d: is there another health benefit plan?
    other_coverage: bool = False
    other_payer: str = ""
    payer_order: str = "primary"
    other_payer_paid: Decimal | None = None

    @classmethod
    def from_dict(cls, d: Mapping) -> "Coverage":
        paid = d.get("other_payer_paid")
        return cls(
            member_id=_text(d, "member_id").upper(),
            group=_text(d, "group"),
            plan=_text(d, "plan"),
            relationship=_text(d, "relationship", "self").lower() or "self",
            subscriber_name=_text(d, "subscriber_name"),
            other_coverage=bool(d.get("other_coverage", False)),
            other_payer=_text(d, "other_payer"),
            payer_order=_text(d, "payer_order", "primary").lower() or "primary",
            other_payer_paid=None if paid in (None, "") else money(paid),
        )

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"member_id": self.member_id, "group": self.group, "plan": self.plan,
                             "relationship": self.relationship}
        if self.subscriber_name:
            d["subscriber_name"] = self.subscriber_name
        d["other_coverage"] = self.other_coverage
        if self.other_payer:
            d["other_payer"] = self.other_payer
        d["payer_order"] = self.payer_order
        if self.other_payer_paid is not None:
            d["other_payer_paid"] = str(self.other_payer_paid)
        return d


@dataclass(frozen=True)
class Provider:
    """A provider on the claim: name, NPI (10 digits) and, for the billing provider, tax ID (box 25)."""

    name: str
    npi: str
    tax_id: str = ""

    @classmethod
    def from_dict(cls, d: Mapping | None) -> "Provider | None":
        if not d:
            return None
        return cls(name=_text(d, "name"), npi=_text(d, "npi"), tax_id=_text(d, "tax_id"))

    def to_dict(self) -> dict:
        d = {"name": self.name, "npi": self.npi}
        if self.tax_id:
            d["tax_id"] = self.tax_id
        return d


@dataclass(frozen=True)
class ServiceLine:
    """Box 24, one line: dates, place of service, code, modifiers, pointers, charge, units."""

    date_of_service: dt.date | None
    code: str
    charge: Decimal
    units: int = 1
    modifiers: tuple[str, ...] = ()
    #: box 24E: letters pointing at box 21 slots, first = primary for this line
    pointers: tuple[str, ...] = ()
    #: box 24B; empty means "the claim's place of service"
    place_of_service: str = ""
    #: box 24A "to" date when a line spans days; None for a single day
    date_to: dt.date | None = None
    #: prior-authorization number for this line (box 23 applies to the whole claim)
    prior_auth: str = ""

    @classmethod
    def from_dict(cls, d: Mapping) -> "ServiceLine":
        mods = d.get("modifiers") or ()
        if isinstance(mods, str):
            mods = [m for m in mods.replace(",", " ").split() if m]
        ptrs = d.get("pointers") or d.get("diagnosis_pointers") or ()
        if isinstance(ptrs, str):
            ptrs = [c for c in ptrs.upper() if c.isalnum()]  # "AB", "A,B", "A B"
        try:
            units = int(d.get("units", 1))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"units must be a whole number: {d.get('units')!r}") from exc
        return cls(
            date_of_service=parse_date(d.get("date_of_service")),
            date_to=parse_date(d.get("date_to")),
            code=normalize_code(d.get("code", "")),
            modifiers=tuple(normalize_code(m) for m in mods),
            pointers=tuple(str(p).strip().upper() for p in ptrs),
            units=units,
            charge=money(d.get("charge", 0)),
            place_of_service=_text(d, "place_of_service"),
            prior_auth=_text(d, "prior_auth"),
        )

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"date_of_service": _iso(self.date_of_service)}
        if self.date_to:
            d["date_to"] = _iso(self.date_to)
        if self.place_of_service:
            d["place_of_service"] = self.place_of_service
        d["code"] = self.code
        if self.modifiers:
            d["modifiers"] = list(self.modifiers)
        d["pointers"] = list(self.pointers)
        d["charge"] = str(self.charge)
        d["units"] = self.units
        if self.prior_auth:
            d["prior_auth"] = self.prior_auth
        return d


@dataclass(frozen=True)
class Claim:
    """A professional claim (CMS-1500). ``diagnoses[0]`` is slot A, ``[1]`` B, and so on."""

    patient: Patient
    coverage: Coverage
    billing_provider: Provider
    place_of_service: str
    diagnoses: tuple[str, ...]
    lines: tuple[ServiceLine, ...]
    #: box 26, the practice's patient account / claim number
    claim_id: str = ""
    rendering_provider: Provider | None = None
    referring_provider: Provider | None = None
    #: box 22: 1 original, 7 replacement, 8 void; a 7 or 8 names the original claim
    frequency_code: str = ORIGINAL
    original_claim_ref: str = ""
    #: box 23, a claim-wide prior-authorization number
    prior_auth: str = ""
    #: date the payer received the claim (None: the adjudication date)
    receipt_date: dt.date | None = None
    #: proof of timely filing (e.g. the date on a clearinghouse acceptance report), used on appeal
    timely_filing_proof: dt.date | None = None

    @classmethod
    def from_dict(cls, d: Mapping) -> "Claim":
        """Build a claim from plain data (YAML, JSON, a web form): dates ISO, money as strings."""
        dx = d.get("diagnoses") or ()
        if isinstance(dx, Mapping):  # {"A": "E11.9", "B": ...}
            dx = [dx[k] for k in DX_LETTERS if dx.get(k)]
        billing = Provider.from_dict(d.get("billing_provider") or d.get("provider"))
        return cls(
            claim_id=_text(d, "claim_id"),
            patient=Patient.from_dict(d.get("patient") or {}),
            coverage=Coverage.from_dict(d.get("coverage") or {}),
            billing_provider=billing or Provider(name="", npi=""),
            rendering_provider=Provider.from_dict(d.get("rendering_provider")),
            referring_provider=Provider.from_dict(d.get("referring_provider")),
            place_of_service=_text(d, "place_of_service"),
            diagnoses=tuple(normalize_icd(c) for c in dx if str(c).strip()),
            lines=tuple(ServiceLine.from_dict(x) for x in (d.get("lines") or ())),
            frequency_code=_text(d, "frequency_code", ORIGINAL) or ORIGINAL,
            original_claim_ref=_text(d, "original_claim_ref"),
            prior_auth=_text(d, "prior_auth"),
            receipt_date=parse_date(d.get("receipt_date")),
            timely_filing_proof=parse_date(d.get("timely_filing_proof")),
        )

    def to_dict(self) -> dict:
        """Plain data that :meth:`from_dict` reads back to an equal claim."""
        d: dict[str, Any] = {}
        if self.claim_id:
            d["claim_id"] = self.claim_id
        d["patient"] = self.patient.to_dict()
        d["coverage"] = self.coverage.to_dict()
        d["billing_provider"] = self.billing_provider.to_dict()
        if self.rendering_provider:
            d["rendering_provider"] = self.rendering_provider.to_dict()
        if self.referring_provider:
            d["referring_provider"] = self.referring_provider.to_dict()
        d["place_of_service"] = self.place_of_service
        d["diagnoses"] = list(self.diagnoses)
        d["lines"] = [x.to_dict() for x in self.lines]
        d["frequency_code"] = self.frequency_code
        if self.original_claim_ref:
            d["original_claim_ref"] = self.original_claim_ref
        if self.prior_auth:
            d["prior_auth"] = self.prior_auth
        if self.receipt_date:
            d["receipt_date"] = _iso(self.receipt_date)
        if self.timely_filing_proof:
            d["timely_filing_proof"] = _iso(self.timely_filing_proof)
        return d

    def diagnosis(self, letter: str) -> str | None:
        """The code in box 21 slot ``letter`` (A–L), or None when the slot is empty."""
        i = DX_LETTERS.find(letter.upper()) if len(letter) == 1 else -1
        return self.diagnoses[i] if 0 <= i < len(self.diagnoses) else None

    def line_pos(self, line: ServiceLine) -> str:
        return line.place_of_service or self.place_of_service

    @property
    def rendering(self) -> Provider:
        return self.rendering_provider or self.billing_provider

    @property
    def total_charge(self) -> Decimal:
        return sum((x.charge for x in self.lines), Decimal("0.00"))
