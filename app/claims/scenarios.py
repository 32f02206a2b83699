"""Claim scenarios: what a scenario is, applying a student's corrections, and checking that its payer
really answers as the file says.

Pure module: no Flask, no SQLAlchemy, no file reading (``app/content/scenarios.py`` loads the files).
One YAML file per scenario in ``content/quizzes/scenarios/<slug>.yml``::

    kind: scenario
    slug: knee-injection-no-side          # equals the file name
    title: A knee injection without a side
    payer: commercial-ppo                 # a content/payers/<slug>.yml profile
    today: 2026-03-25                     # the date the payer adjudicates (and the claim's "now")
    difficulty: 1                         # 1 easy, 2 medium, 3 hard
    encounter: |                          # the visit in plain words (never a CPT descriptor)
      ...
    member: {member_id: ..., name: ..., birth_date: ..., plan: ..., coverage_start: ...}
    history: [ {claim}, ... ]             # optional: claims this payer already processed
    claim: {claim as first submitted}     # Claim.from_dict shape; 0, 1 or 2 planted problems
    expected:
      status: partially_paid              # rejected | denied | paid | partially_paid
      carcs: ["4", "45", "3"]             # every CARC on the remittance (order free)
      paid: "85.00"                       # optional, to the cent
      causes: [missing-modifier]          # ids from CAUSES ("none" for a clean claim)
    # a rejected claim gets an acknowledgment (277CA style), not a remittance: no CARCs, instead
    #   status_codes: ["164", "254"]      # every claim status code on it (X12 list 508, order free)
    #   categories: [A6, A7]              # optional: its claim status categories (X12 list 507)
    resolutions:                          # accepted answers, at least one
      - action: resubmit-corrected        # see ACTIONS
        changes:                          # edits to the claim; list positions count from 1
          - {path: lines.2.modifiers, value: [RT]}
          - {path: frequency_code, value: "7"}
          - {path: original_claim_ref, value: CLM-1001}
        rationale: ...
      - action: request-reopening         # a payer whose file says `corrections: reopening`
        changes:                          # what the reopening corrects on the processed claim
          - {path: lines.2.modifiers, value: [RT]}
        rationale: ...
      - action: appeal
        evidence: [{path: timely_filing_proof, value: 2026-02-01}]   # optional, checked
        rationale: ...
      - action: bill-other-payer
        payer: medicare-like              # optional: checked against that payer
        member: {...}
        changes: [...]
        rationale: ...
    not_accepted:                         # optional: tempting wrong answers and why
      - {action: resubmit-corrected, why: ...}
    rationale: |
      Why the payer answered so, and what the biller should learn.

A resubmitted correction is adjudicated with the first claim in the payer's history (unless the
first claim was rejected, i.e. never processed), so a denied claim must come back as a replacement
(frequency 7 naming the original) or the duplicate edit (CARC 18) will deny it. A payer that
corrects by reopening (``corrections: reopening``, Medicare Part B) takes no replacement claims: the
fix is a ``request-reopening`` with the same ``changes``, re-adjudicated as the original claim.
"""
from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from app.claims.engine import adjudicate
from app.claims.model import ORIGINAL, Claim
from app.claims.payer import REOPENING, REPLACEMENT, Member, PayerProfile
from app.claims.remittance import (
    CARC_TEXT, CATEGORY_TEXT, CO, PAID, PR, REJECTED, STATUS_CODE_TEXT, STATUSES, Acknowledgment,
    Remittance,
)


RESUBMIT, REOPEN, APPEAL, BILL_PATIENT, BILL_OTHER_PAYER, WRITE_OFF, NO_ACTION = (
    "resubmit-corrected", "request-reopening", "appeal", "bill-patient", "bill-other-payer", "write-off",
    "no-action")
ACTIONS = (RESUBMIT, REOPEN, APPEAL, BILL_PATIENT, BILL_OTHER_PAYER, WRITE_OFF, NO_ACTION)
#: actions whose resolution carries the corrected claim fields in ``changes``
CHANGE_ACTIONS = (RESUBMIT, REOPEN, BILL_OTHER_PAYER)

#: The causes a student can name, with the CARCs each one shows up as on a remittance (835) and our
#: plain words. Causes a front-end edit catches show up on an acknowledgment instead: see
#: REJECTION_CAUSES for their claim status codes.
CAUSES: dict[str, tuple[tuple[str, ...], str]] = {
    "none": ((), "nothing is wrong with the claim"),
    "patient-responsibility": (("1", "2", "3"), "the patient owes a deductible, coinsurance or copay"),
    "missing-member-id": ((), "the insured's ID is missing"),
    "wrong-member-id": (("31",), "the insured's ID is mistyped or not this payer's"),
    "patient-identity-mismatch": (("31",), "name or birth date doesn't match the payer's records"),
    "invalid-npi": ((), "an NPI is missing or fails its check digit"),
    "missing-tax-id": ((), "the billing provider's tax ID is missing or malformed"),
    "date-error": ((), "a date of service is missing, in the future, or reversed"),
    "missing-diagnosis": ((), "no diagnosis on the claim"),
    "invalid-diagnosis-code": ((), "a diagnosis code doesn't exist"),
    "header-diagnosis-code": ((), "a diagnosis code is a header, not a complete code"),
    "pointer-error": ((), "a diagnosis pointer is missing or points at an empty slot"),
    "invalid-pos": ((), "the place of service code doesn't exist"),
    "invalid-procedure-code": ((), "a procedure code doesn't exist"),
    "invalid-modifier": ((), "a modifier doesn't exist"),
    "missing-original-reference": ((), "a replacement or void doesn't name the original claim"),
    "dx-code-not-valid-on-dos": (("146",), "the diagnosis code wasn't valid on the date of service"),
    "px-code-not-valid-on-dos": (("181",), "the procedure code wasn't valid on the date of service"),
    "modifier-not-valid-on-dos": (("182",), "the modifier wasn't valid on the date of service"),
    "coverage-not-started": (("26",), "the service came before the coverage began"),
    "coverage-ended": (("27",), "the service came after the coverage ended"),
    "other-payer-primary": (("22",), "another payer is primary and must be billed first"),
    "missing-primary-payment": (("16",), "a secondary claim lacks the primary payer's payment"),
    "filing-late": (("29",), "the claim reached the payer after its filing limit"),
    "procedure-age-conflict": (("6",), "the procedure doesn't fit the patient's age"),
    "procedure-sex-conflict": (("7",), "the procedure doesn't fit the patient's sex"),
    "dx-age-conflict": (("9",), "a diagnosis doesn't fit the patient's age"),
    "dx-sex-conflict": (("10",), "a diagnosis doesn't fit the patient's sex"),
    "missing-modifier": (("4",), "a modifier the payer requires is missing"),
    "wrong-modifier": (("4",), "a modifier doesn't fit the procedure"),
    "wrong-pos": (("5",), "the procedure doesn't fit the place of service"),
    "not-covered": (("96",), "the payer never covers the service"),
    "routine-exam-excluded": (("49",), "the payer excludes routine exams not tied to a complaint"),
    "plan-exclusion": (("204",), "the patient's plan excludes the service"),
    "dx-not-covered": (("167",), "the payer doesn't cover the diagnosis"),
    "dx-not-supporting": (("11", "50"), "the diagnosis pointed at doesn't support the procedure"),
    "not-medically-necessary": (("50",), "not medically necessary under the payer's policy"),
    "duplicate": (("18",), "the service was already billed"),
    "bundled-service": (("97",), "the service is part of another service billed that day"),
    "units-exceed": (("151",), "more units than the payer allows in a day"),
    "no-prior-auth": (("197",), "the service needed prior authorization"),
}

#: Causes a front-end edit catches, with the claim status codes (X12 list 508) the acknowledgment
#: names them by. A mistyped member ID is either: malformed (rejected, 164) or unknown (denied, 31).
REJECTION_CAUSES: dict[str, tuple[str, ...]] = {
    "missing-member-id": ("164",),
    "wrong-member-id": ("164",),
    "invalid-npi": ("562",),
    "missing-tax-id": ("128",),
    "date-error": ("187",),
    "missing-diagnosis": ("254",),
    "invalid-diagnosis-code": ("254", "255"),
    "header-diagnosis-code": ("254", "255"),
    "pointer-error": ("477",),
    "invalid-pos": ("249",),
    "invalid-procedure-code": ("454",),
    "invalid-modifier": ("453",),
    "missing-original-reference": ("464",),
}


def answer_codes(answer: Remittance | Acknowledgment) -> tuple[str, ...]:
    """The codes a payer's answer gives its reasons in: claim status codes on an acknowledgment,
    CARCs on a remittance."""
    return answer.status_codes if answer.status == REJECTED else answer.carcs


def cause_codes(cause: str, rejected: bool) -> tuple[str, ...]:
    """The codes ``cause`` shows up as on an acknowledgment (``rejected``) or on a remittance."""
    return REJECTION_CAUSES.get(cause, ()) if rejected else CAUSES[cause][0]


@dataclass(frozen=True)
class Change:
    """One edit to a claim: set (or remove) the value at a dotted path; list positions count from 1."""

    path: str
    value: Any = None
    remove: bool = False
    line: int = 0


@dataclass(frozen=True)
class Resolution:
    """An accepted way to resolve the scenario."""

    action: str
    rationale: str
    line: int
    changes: tuple[Change, ...] = ()
    evidence: tuple[Change, ...] = ()
    payer: str = ""
    member: Member | None = None
    today: dt.date | None = None


@dataclass(frozen=True)
class Expected:
    status: str
    carcs: tuple[str, ...]
    causes: tuple[str, ...]
    paid: Any = None  # Decimal or None
    line: int = 0
    #: a rejected claim's acknowledgment: its claim status codes and (optionally) categories
    status_codes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes the expected answer gives its reasons in (status codes or CARCs)."""
        return self.status_codes if self.status == REJECTED else self.carcs


@dataclass(frozen=True)
class Scenario:
    """A claim scenario as loaded from its file."""

    path: str
    slug: str
    title: str
    payer: str
    today: dt.date
    difficulty: int
    encounter: str
    claim: Claim
    expected: Expected
    resolutions: tuple[Resolution, ...]
    rationale: str
    member: Member | None = None
    history: tuple[Claim, ...] = ()
    not_accepted: tuple[Mapping, ...] = ()
    #: the claim's plain data (what ``changes`` edit)
    claim_data: Mapping = field(default_factory=dict, compare=False, hash=False)
    lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)


# --------------------------------------------------------------------------- applying answers


def apply_changes(data: Mapping, changes: tuple[Change, ...] | list[Change]) -> dict:
    """A copy of claim data with the edits applied (list positions count from 1; n+1 appends)."""
    out = copy.deepcopy(dict(data))
    for ch in changes:
        parts = ch.path.split(".")
        node: Any = out
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, list):
                if not part.isdigit():
                    raise ValueError(f"{ch.path}: '{part}' must be a position (1, 2, ...)")
                pos = int(part) - 1
                if pos > len(node):
                    raise ValueError(f"{ch.path}: position {part} is past the end (has {len(node)})")
                if last:
                    if ch.remove:
                        node.pop(pos)
                    elif pos == len(node):
                        node.append(copy.deepcopy(ch.value))
                    else:
                        node[pos] = copy.deepcopy(ch.value)
                else:
                    if pos == len(node):
                        node.append({})
                    node = node[pos]
            else:
                if not isinstance(node, dict):
                    raise ValueError(f"{ch.path}: '{part}' is inside a value that is not a mapping")
                if last:
                    if ch.remove:
                        node.pop(part, None)
                    else:
                        node[part] = copy.deepcopy(ch.value)
                else:
                    node = node.setdefault(part, [] if parts[i + 1].isdigit() else {})
    return out


def _payer_for(scenario_member: Member | None, payer: PayerProfile) -> PayerProfile:
    return payer.with_members(scenario_member) if scenario_member else payer


def run_scenario(scenario: Scenario, payers: Mapping[str, PayerProfile], codes: Any
                 ) -> Remittance | Acknowledgment:
    """The payer's answer to the claim as first submitted (an acknowledgment when rejected)."""
    payer = _payer_for(scenario.member, payers[scenario.payer])
    return adjudicate(scenario.claim, payer, scenario.today, codes, history=scenario.history)


def run_resolution(scenario: Scenario, resolution: Resolution, payers: Mapping[str, PayerProfile], codes: Any,
                   first: Remittance | Acknowledgment | None = None, changes: tuple[Change, ...] | None = None
                   ) -> Remittance | Acknowledgment | None:
    """Adjudicate what a resolution sends back (None for actions that send no claim).

    ``changes`` lets a grader try a student's own edits in place of the resolution's.
    """
    today = resolution.today or scenario.today
    if resolution.action == RESUBMIT:
        if first is None:
            first = run_scenario(scenario, payers, codes)
        history = scenario.history + (() if first.status == REJECTED else (scenario.claim,))
        edits = changes if changes is not None else resolution.changes
        data = apply_changes(scenario.claim_data, edits)
        if "receipt_date" not in {c.path for c in edits}:
            data["receipt_date"] = today.isoformat()  # the corrected claim arrives today
        payer = _payer_for(scenario.member, payers[scenario.payer])
        return adjudicate(Claim.from_dict(data), payer, today, codes, history=history)
    if resolution.action == REOPEN:
        # the payer reopens its own determination and corrects the claim it processed: same claim,
        # same receipt date (a reopening is not a new filing), decided again without a duplicate
        data = apply_changes(scenario.claim_data, changes if changes is not None else resolution.changes)
        payer = _payer_for(scenario.member, payers[scenario.payer])
        return adjudicate(Claim.from_dict(data), payer, today, codes, history=scenario.history)
    if resolution.action == APPEAL and resolution.evidence:
        data = apply_changes(scenario.claim_data, resolution.evidence)
        payer = _payer_for(scenario.member, payers[scenario.payer])
        return adjudicate(Claim.from_dict(data), payer, today, codes, history=scenario.history)
    if resolution.action == BILL_OTHER_PAYER and resolution.payer:
        data = apply_changes(scenario.claim_data, resolution.changes) if resolution.changes else \
            copy.deepcopy(dict(scenario.claim_data))
        data["receipt_date"] = today.isoformat()
        payer = _payer_for(resolution.member, payers[resolution.payer])
        return adjudicate(Claim.from_dict(data), payer, today, codes)
    return None


# --------------------------------------------------------------------------- checking


def check_scenario(scenario: Scenario, payers: Mapping[str, PayerProfile], codes: Any) -> list[str]:
    """Problems with a scenario, each ``file:line: message`` (empty when the scenario is sound).

    The claim as first submitted must produce the expected status, CARCs (and paid amount) — or,
    rejected, the expected claim status codes (and categories) on its acknowledgment; every expected
    cause must show up as one of its codes; every resubmitted correction (and any checked appeal or
    other-payer bill) must come back paid. Billing the patient is accepted only when the remittance
    puts an amount on the patient (group PR): CO amounts are never billed to the patient. A correction
    must take the form the payer uses: a replacement claim (frequency 7) for a payer that takes them,
    a reopening for one that corrects by reopening (``corrections`` in the payer file).
    """
    problems: list[str] = []

    def problem(line: int, message: str) -> None:
        problems.append(f"{scenario.path}:{line}: {message}")

    if scenario.payer not in payers:
        problem(scenario.lines.get("payer", 0), f"unknown payer '{scenario.payer}' "
                                                f"(known: {', '.join(sorted(payers))})")
        return problems
    first = run_scenario(scenario, payers, codes)
    exp = scenario.expected
    got = _describe(first)
    if first.status != exp.status:
        problem(exp.line, f"expected status {exp.status}, the payer answers {got}")
    rejected = first.status == REJECTED
    if rejected:
        if set(first.status_codes) != set(exp.status_codes):
            problem(exp.line, f"expected claim status codes {sorted(exp.status_codes, key=int)}, the "
                              f"acknowledgment says {got}")
        if exp.categories and set(first.categories) != set(exp.categories):
            problem(exp.line, f"expected categories {sorted(exp.categories)}, the acknowledgment has "
                              f"{sorted(first.categories)}")
    elif set(first.carcs) != set(exp.carcs):
        problem(exp.line, f"expected CARCs {sorted(exp.carcs, key=int)}, the payer answers {got}")
    if exp.paid is not None and first.paid != exp.paid:
        problem(exp.line, f"expected paid {exp.paid}, the payer pays {first.paid}")
    for cause in exp.causes:
        codes_ = cause_codes(cause, rejected)
        if cause == "none":
            if first.status != PAID or any(x.denied for x in first.lines):
                problem(exp.line, f"cause 'none' but the claim is {first.status}")
        elif not set(codes_) & set(answer_codes(first)):
            where = "claim status code" if rejected else "CARC"
            shown = "/".join(codes_) or "nothing"
            problem(exp.line, f"cause '{cause}' shows up as {where} {shown}, not on this "
                              f"{'acknowledgment' if rejected else 'remittance'}")

    payer = payers[scenario.payer]
    for res in scenario.resolutions:
        if res.payer and res.payer not in payers:
            problem(res.line, f"resolution: unknown payer '{res.payer}'")
            continue
        for message in _resolution_fits(res, first, payer):
            problem(res.line, message)
        try:
            again = run_resolution(scenario, res, payers, codes, first=first)
        except (ValueError, KeyError, TypeError) as exc:
            problem(res.line, f"{res.action}: cannot apply the changes: {exc}")
            continue
        if again is not None and again.status != PAID:
            problem(res.line, f"{res.action}: the corrected claim should be paid, the payer answers {_describe(again)}")
    return problems


def _resolution_fits(res: Resolution, first: Remittance | Acknowledgment,
                     payer: PayerProfile) -> list[str]:
    """Why a resolution cannot be right for this remittance and payer, whatever it sends back."""
    out = []
    if res.action == BILL_PATIENT and (isinstance(first, Acknowledgment) or first.patient_responsibility <= 0):
        denials = (sorted({f"{a.group}-{a.carc}" for a in first.adjustments if a.group != PR})
                   if isinstance(first, Remittance) else [])
        what = f"the denial is {', '.join(denials)}" if denials else f"the claim is {first.status}"
        out.append(f"bill-patient: the remittance puts nothing on the patient ({what}); amounts adjusted "
                   f"under group {CO} are the provider's and are never billed to the patient")
    frequency = next((str(c.value) for c in res.changes if c.path == "frequency_code"), ORIGINAL)
    if res.action == RESUBMIT and frequency != ORIGINAL and payer.corrections == REOPENING:
        out.append(f"resubmit-corrected: {payer.name} corrects processed claims by reopening "
                   f"(corrections: {REOPENING}), not by frequency {frequency} claims; use request-reopening")
    if res.action == REOPEN and payer.corrections != REOPENING:
        out.append(f"request-reopening: {payer.name} takes replacement claims (corrections: {REPLACEMENT}); "
                   "use resubmit-corrected with frequency 7")
    if res.action == REOPEN and first.status == REJECTED:
        out.append("request-reopening: a rejected claim was never processed, so there is nothing to reopen; "
                   "send a new original claim")
    return out


def _describe(remit: Remittance | Acknowledgment) -> str:
    parts = [remit.status]
    if remit.status == REJECTED:
        parts.append("; ".join(f"{e.category}:{e.status_code} box {e.box}: {e.message}" for e in remit.errors))
    else:
        parts.append(", ".join(str(a) for a in remit.adjustments) or "no adjustments")
        denials = [e for x in remit.lines if x.denied for e in x.explanations]
        parts.extend(remit.explanations[:1] if not denials else denials[:2])
    return " — ".join(parts)
