"""The payer's answer: an acknowledgment (277CA) for a claim rejected before adjudication, or a
remittance (835 ERA / EOB) with group, CARC and RARC adjustments for an adjudicated claim.

An 835 balances at every level: each service line's charge equals its paid amount plus its own
adjustments, so a claim denied as a whole carries its adjustment on every line (each for that
line's charge), and the claim's totals are the sums of its lines.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

REJECTED, DENIED, PAID, PARTIALLY_PAID = "rejected", "denied", "paid", "partially_paid"
STATUSES = (REJECTED, DENIED, PAID, PARTIALLY_PAID)
#: group codes: contractual obligation, patient responsibility, other, payer-initiated reduction
CO, PR, OA, PI = "CO", "PR", "OA", "PI"
GROUPS = (CO, PR, OA, PI)
ZERO = Decimal("0.00")

#: Claim adjustment reason codes the engine produces, in our own words.
CARC_TEXT = {
    "1": "deductible: the patient's share before the plan starts paying",
    "2": "coinsurance: the patient's percentage of the allowed amount",
    "3": "copay: the patient's fixed amount for this kind of visit",
    "4": "the modifier doesn't fit the procedure, or a required modifier is missing",
    "5": "the procedure doesn't fit the place of service",
    "6": "the procedure doesn't fit the patient's age",
    "7": "the procedure doesn't fit the patient's sex",
    "9": "the diagnosis doesn't fit the patient's age",
    "10": "the diagnosis doesn't fit the patient's sex",
    "11": "the diagnosis doesn't support the procedure",
    "16": "the claim is missing information or has a billing error (see the remark codes)",
    "18": "exact duplicate of a service already billed",
    "22": "another payer may be primary (coordination of benefits)",
    "23": "reduced by what the other (primary) payer already paid or adjusted",
    "26": "service before the patient's coverage began",
    "27": "service after the patient's coverage ended",
    "29": "the time limit for filing has passed",
    "31": "the patient can't be identified as this payer's member",
    "49": "a routine or preventive exam the plan doesn't cover (not tied to an illness, injury or complaint)",
    "45": "charge above the fee schedule or contracted rate (provider writes it off)",
    "50": "not medically necessary in the payer's view",
    "59": "reduced by the multiple-procedure rule",
    "96": "not a covered charge",
    "97": "paid as part of another service on the same claim and day (bundled)",
    "146": "the diagnosis code isn't valid on the date of service",
    "151": "more units than the payer allows",
    "167": "the diagnosis isn't covered",
    "181": "the procedure code isn't valid on the date of service",
    "182": "the modifier isn't valid on the date of service",
    "197": "prior authorization is missing",
    "204": "not covered under the patient's current plan",
}

#: Remittance advice remark codes the engine produces, in our own words.
RARC_TEXT = {
    "MA04": "secondary payment needs the primary payer's payment information",
    "MA130": "unprocessable claim: incomplete or invalid information; fix and send a new claim "
             "(no appeal rights)",
    "M51": "procedure code missing or invalid",
    "M53": "units of service missing or invalid",
    "M52": "'from' date of service missing or invalid",
    "M59": "'to' date of service missing or invalid",
    "M76": "missing, incomplete or invalid diagnosis or condition",
    "M77": "place of service missing or invalid",
    "M15": "billed as separate services, but bundled: they count as parts of one procedure, so "
           "only that procedure is paid",
    "M80": "not covered when done with another service the same day",
    "N20": "not paid when billed with the other service done on the same date",
    "N130": "see the plan's benefit documents",
    "N290": "provider NPI missing or invalid",
    "N362": "units exceed the acceptable maximum",
}


@dataclass(frozen=True)
class Adjustment:
    """One CAS entry: why part of a charge was not paid, and who owes it."""

    group: str
    carc: str
    amount: Decimal
    rarc: tuple[str, ...] = ()

    def __str__(self) -> str:
        remarks = f" [{', '.join(self.rarc)}]" if self.rarc else ""
        return f"{self.group}-{self.carc} {self.amount}{remarks}"

    def to_dict(self) -> dict:
        return {"group": self.group, "carc": self.carc, "rarc": list(self.rarc), "amount": str(self.amount)}


#: X12 claim status category codes (external code list 507) a rejection uses, in our own words.
#: Source: X12 code list 507 "Claim Status Category Codes" (x12.org); A3, A6 and A7 are the
#: acknowledgment categories for a claim returned before it entered the payer's adjudication system.
CATEGORY_TEXT = {
    "A3": "returned as unprocessable: rejected before adjudication",
    "A6": "rejected: information is missing (the status codes say which)",
    "A7": "rejected: information is invalid (the status codes say which)",
}
#: X12 claim status codes (external code list 508) naming the field in error, in our own words.
#: Source: X12 code list 508 "Claim Status Codes" (Washington Publishing Company list, 5010).
STATUS_CODE_TEXT = {
    "125": "the entity's name",
    "128": "the entity's tax ID",
    "157": "the entity's sex",
    "158": "the entity's birth date",
    "164": "the entity's contract or member number",
    "187": "the date(s) of service",
    "247": "the service line information",
    "249": "the place of service",
    "254": "the principal (first-listed) diagnosis code",
    "255": "a diagnosis code",
    "453": "the procedure code modifier(s)",
    "454": "the procedure code",
    "464": "the payer's claim control number of the original claim",
    "476": "the units of service",
    "477": "the diagnosis code pointer",
    "535": "the claim frequency code",
    "562": "the entity's National Provider Identifier (NPI)",
    "583": "the line item charge amount",
}
#: X12 entity identifier codes used with the status codes above.
ENTITY_TEXT = {"IL": "insured (subscriber)", "QC": "patient", "85": "billing provider",
               "82": "rendering provider", "DN": "referring provider"}


@dataclass(frozen=True)
class StatusError:
    """One claim status on a 277CA-style rejection: category, status code, entity, and the
    CMS-1500 box to fix (``box``), with a plain message."""

    rule: str
    category: str
    status_code: str
    box: str
    message: str
    entity: str = ""
    line_number: int | None = None

    def to_dict(self) -> dict:
        return {"rule": self.rule, "category": self.category, "status_code": self.status_code,
                "entity": self.entity, "box": self.box, "message": self.message,
                "line_number": self.line_number}


@dataclass(frozen=True)
class Acknowledgment:
    """What a front-end rejection returns (277CA style): the claim never entered adjudication, so
    it carries claim status categories and status codes naming the fields in error — no CARC, no
    RARC, no amounts, no 835. Fix every listed field and send the claim again as a new claim."""

    claim_id: str
    total_charge: Decimal
    errors: tuple[StatusError, ...]
    explanations: tuple[str, ...] = ()
    status: str = REJECTED
    kind: str = "acknowledgment"

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.category for e in self.errors))

    @property
    def status_codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.status_code for e in self.errors))

    @property
    def boxes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.box for e in self.errors))

    # An acknowledgment adjudicates nothing: what a remittance would carry is empty here, so code
    # that lists lines, CARCs or amounts of "the payer's answer" reads nothing rather than failing.
    lines = carcs = rarcs = adjustments = claim_adjustments = ()
    allowed = paid = patient_responsibility = ZERO

    def to_dict(self) -> dict:
        return {"kind": self.kind, "status": self.status, "claim_id": self.claim_id,
                "total_charge": str(self.total_charge), "categories": list(self.categories),
                "status_codes": list(self.status_codes),
                "errors": [e.to_dict() for e in self.errors], "explanations": list(self.explanations)}


@dataclass(frozen=True)
class LineRemit:
    """How one service line came out: charge, allowed, paid, adjustments and why."""

    line_number: int
    code: str
    modifiers: tuple[str, ...]
    units: int
    charge: Decimal
    allowed: Decimal
    paid: Decimal
    adjustments: tuple[Adjustment, ...] = ()
    explanations: tuple[str, ...] = ()
    #: the rule that denied the line, if any
    denied_by: str | None = None

    @property
    def denied(self) -> bool:
        return self.denied_by is not None

    @property
    def patient_responsibility(self) -> Decimal:
        return sum((a.amount for a in self.adjustments if a.group == PR), ZERO)

    @property
    def carcs(self) -> tuple[str, ...]:
        return tuple(a.carc for a in self.adjustments)

    def to_dict(self) -> dict:
        return {"line_number": self.line_number, "code": self.code, "modifiers": list(self.modifiers),
                "units": self.units, "charge": str(self.charge), "allowed": str(self.allowed),
                "paid": str(self.paid), "patient_responsibility": str(self.patient_responsibility),
                "adjustments": [a.to_dict() for a in self.adjustments],
                "explanations": list(self.explanations), "denied_by": self.denied_by}


@dataclass(frozen=True)
class Remittance:
    """The remittance (835) for one adjudicated claim: ``denied``, ``paid`` or ``partially_paid``.

    Every line balances: ``charge == paid + sum(line adjustments)``; ``total_charge``, ``allowed``
    and ``paid`` are the sums of the lines. A rejected claim gets an :class:`Acknowledgment` instead.
    """

    status: str
    claim_id: str
    total_charge: Decimal
    lines: tuple[LineRemit, ...] = ()
    #: claim-level adjustments (CLP/CAS outside the lines): the engine puts a whole-claim denial on
    #: every line instead, so this stays empty; kept for the 835's shape, and it must balance too
    claim_adjustments: tuple[Adjustment, ...] = ()
    explanations: tuple[str, ...] = ()
    kind: str = "remittance"

    @property
    def allowed(self) -> Decimal:
        return sum((x.allowed for x in self.lines), ZERO)

    @property
    def paid(self) -> Decimal:
        return sum((x.paid for x in self.lines), ZERO)

    @property
    def patient_responsibility(self) -> Decimal:
        return sum((x.patient_responsibility for x in self.lines), ZERO) + sum(
            (a.amount for a in self.claim_adjustments if a.group == PR), ZERO)

    @property
    def adjustments(self) -> tuple[Adjustment, ...]:
        """Every adjustment, claim level first, then line by line."""
        return self.claim_adjustments + tuple(a for x in self.lines for a in x.adjustments)

    @property
    def carcs(self) -> tuple[str, ...]:
        """Distinct CARCs on the remittance, in order of appearance."""
        return tuple(dict.fromkeys(a.carc for a in self.adjustments))

    @property
    def rarcs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r for a in self.adjustments for r in a.rarc))

    def to_dict(self) -> dict:
        return {
            "kind": self.kind, "status": self.status, "claim_id": self.claim_id,
            "total_charge": str(self.total_charge),
            "allowed": str(self.allowed), "paid": str(self.paid),
            "patient_responsibility": str(self.patient_responsibility),
            "claim_adjustments": [a.to_dict() for a in self.claim_adjustments],
            "lines": [x.to_dict() for x in self.lines],
            "explanations": list(self.explanations),
        }
