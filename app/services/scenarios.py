"""Claim scenarios: listing with best scores, the payer's answers, scoring a student's resolution,
attempts, and the free claim lab.

Scoring (weights in ``WEIGHTS``, shown to the student on the result page):

* **cause, 40%** — the causes picked against the expected ones, as overlap over union (Jaccard):
  every right cause counts, every wrong pick and every miss costs.
* **action, 30%** — 1 when the action is one of the scenario's accepted resolutions, else 0.
* **claim, 30%** — for an action that sends a claim (corrected resubmission, another payer, an appeal
  with proof), half for the payer's new answer (paid 1, partly paid ½, otherwise 0) and half for the
  share of the accepted resolution's fields the student got right (the best-matching resolution
  counts); a claim that matches a known wrong fix (``not_accepted``) loses the field half. An accepted
  action that sends no claim (bill the patient, write off) earns the whole part; a wrong action earns
  none of it.
"""
from __future__ import annotations

import copy
import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from app.claims import Claim, Member, PayerProfile, Remittance, adjudicate, payer_from_dict
from app.claims.remittance import (
    CARC_TEXT, CATEGORY_TEXT, ENTITY_TEXT, PAID, PARTIALLY_PAID, RARC_TEXT, REJECTED, STATUS_CODE_TEXT,
)
from app.claims.scenarios import (
    APPEAL, BILL_OTHER_PAYER, BILL_PATIENT, CAUSES, NO_ACTION, REOPEN, RESUBMIT, WRITE_OFF, Change, answer_codes,
    apply_changes, cause_codes,
)
from app.claims.payer import REOPENING
from app.extensions import db
from app.models import ClaimPayer, ClaimScenario, ScenarioAttempt
from app.services.attempts import store_once
from app.services.codes import codeset
from app.services.content_cache import cached

WEIGHTS = {"cause": 0.4, "action": 0.3, "claim": 0.3}
DIFFICULTY = {1: "easy", 2: "medium", 3: "hard"}
ACTION_LABELS = {
    RESUBMIT: "Correct the claim and resubmit it",
    REOPEN: "Ask the payer to reopen the claim and correct it",
    APPEAL: "Appeal the payer's decision",
    BILL_PATIENT: "Bill the patient",
    BILL_OTHER_PAYER: "Bill another payer",
    WRITE_OFF: "Write off the balance",
    NO_ACTION: "Take no further action on this claim",
}
#: actions that send a claim built from the claim fields of the form (a reopening sends the
#: corrections the payer is asked to make to the claim it processed)
CLAIM_ACTIONS = (RESUBMIT, REOPEN, BILL_OTHER_PAYER)
#: how many causes a student chooses from (the expected ones hidden among distractors)
CAUSE_CHOICES = 8
GROUP_TEXT = {
    "CO": "contractual obligation: the provider writes it off and may not bill the patient",
    "PR": "patient responsibility: the patient may be billed",
    "OA": "other adjustment",
    "PI": "payer-initiated reduction",
}


def page_words() -> dict:
    """The words the scenario pages show for codes (CARCs, RARCs, groups, statuses, actions)."""
    return {"carc_text": CARC_TEXT, "rarc_text": RARC_TEXT, "group_text": GROUP_TEXT,
            "category_text": CATEGORY_TEXT, "status_code_text": STATUS_CODE_TEXT, "entity_text": ENTITY_TEXT,
            "difficulty_names": DIFFICULTY, "action_labels": ACTION_LABELS}


# --------------------------------------------------------------------------- payers


def payers() -> dict[str, PayerProfile]:
    """Every imported payer profile, by slug in name order: built once per content revision and worker."""
    def build() -> dict[str, PayerProfile]:
        return {row.slug: payer_from_dict(row.data, row.slug)
                for row in db.session.scalars(sa.select(ClaimPayer).order_by(ClaimPayer.name))}
    return cached("payers", build)


def payer_names() -> dict[str, str]:
    return {slug: profile.name for slug, profile in payers().items()}


def scenario_payer(scenario: ClaimScenario, all_payers: dict[str, PayerProfile] | None = None) -> PayerProfile:
    """The scenario's payer, with the scenario's patient on its member roster."""
    profile = (all_payers or payers())[scenario.payer_slug]
    return profile.with_members(Member.from_dict(scenario.member)) if scenario.member else profile


# --------------------------------------------------------------------------- listing and reading


@dataclass(frozen=True)
class ScenarioRow:
    scenario: ClaimScenario
    payer: str
    best: float | None
    attempts: int


def list_scenarios(user_id: int | None) -> list[ScenarioRow]:
    """Active scenarios, easiest first, each with the student's best score: three queries in all."""
    rows = db.session.scalars(sa.select(ClaimScenario).where(ClaimScenario.active.is_(True))
                              .order_by(ClaimScenario.difficulty, ClaimScenario.title))
    best: dict[int, tuple[float, int]] = {}
    if user_id is not None:
        best = {sid: (score, n) for sid, score, n in db.session.execute(
            sa.select(ScenarioAttempt.scenario_id, sa.func.max(ScenarioAttempt.score), sa.func.count())
            .where(ScenarioAttempt.user_id == user_id).group_by(ScenarioAttempt.scenario_id))}
    names = payer_names()
    return [ScenarioRow(s, names.get(s.payer_slug, s.payer_slug), *best.get(s.id, (None, 0))) for s in rows]


def get_scenario(slug: str) -> ClaimScenario | None:
    return db.session.scalar(sa.select(ClaimScenario).where(ClaimScenario.slug == slug,
                                                            ClaimScenario.active.is_(True)))


def _history(scenario: ClaimScenario) -> tuple[Claim, ...]:
    return tuple(Claim.from_dict(c) for c in scenario.history or ())


def original_remittance(scenario: ClaimScenario) -> Remittance:
    """The payer's answer to the claim as first submitted: deterministic, so computed once per
    content revision and worker (the page and every submission need it)."""
    return cached(("original_remittance", scenario.id, scenario.content_hash), lambda: adjudicate(
        Claim.from_dict(scenario.claim), scenario_payer(scenario), scenario.today, codeset(),
        history=_history(scenario)))


def cause_choices(scenario: ClaimScenario, remittance: Remittance | None = None) -> list[tuple[str, str]]:
    """The expected causes hidden among distractors, in an order that says nothing about which is which.

    Distractors come first from causes that show up as the same codes (CARCs on a remittance, claim
    status codes on a rejection's acknowledgment, so the payer's answer alone doesn't decide), then
    from the rest; the pick is seeded by the slug so the list is stable for a scenario.
    """
    expected = list(scenario.expected["causes"])
    exp = scenario.expected
    rejected = exp.get("status") == REJECTED
    if remittance is not None:
        shown = set(answer_codes(remittance))
    else:
        shown = set(exp.get("status_codes") or ()) if rejected else set(exp.get("carcs") or ())
    rng = random.Random(scenario.slug)
    near = sorted(c for c in CAUSES if c not in expected and set(cause_codes(c, rejected)) & shown)
    far = sorted(c for c in CAUSES if c not in expected and c not in near)
    rng.shuffle(near)
    rng.shuffle(far)
    wanted = max(CAUSE_CHOICES, len(expected) + 4)
    picked = expected + (near + far)[:wanted - len(expected)]
    return sorted(((c, CAUSES[c][1]) for c in picked), key=lambda item: item[1].lower())


def action_choices(scenario: ClaimScenario) -> list[tuple[str, str]]:
    """What the student may do next: a reopening only where the payer corrects claims by reopening
    (Medicare Part B, CMS Pub. 100-04 ch. 34); elsewhere a processed claim is corrected by a replacement."""
    profile = payers().get(scenario.payer_slug)
    reopens = profile is not None and profile.corrections == REOPENING
    return [(a, label) for a, label in ACTION_LABELS.items() if a != REOPEN or reopens]


def other_payer_choices(scenario: ClaimScenario) -> list[tuple[str, str]]:
    return [(slug, name) for slug, name in payer_names().items() if slug != scenario.payer_slug]


def eligibility(scenario: ClaimScenario, payer_slug: str | None = None) -> list[Member]:
    """What an eligibility inquiry (270/271) by the patient's name and birth date returns from a payer."""
    all_payers = payers()
    slug = payer_slug or scenario.payer_slug
    if slug not in all_payers:
        return []
    profile = scenario_payer(scenario, all_payers) if slug == scenario.payer_slug else all_payers[slug]
    extra = [Member.from_dict(r["member"]) for r in scenario.resolutions
             if r.get("member") and r.get("payer") == slug]
    if extra:
        profile = profile.with_members(*extra)
    patient = Claim.from_dict(scenario.claim).patient
    return [m for m in profile.members.values()
            if _same_name(m.name, patient.name) and m.birth_date == patient.birth_date]


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.lower().replace(",", " ").split()) == " ".join(b.lower().replace(",", " ").split())


# --------------------------------------------------------------------------- scoring


@dataclass
class Answer:
    """What the student committed to: causes, action, the claim they send (if any) and extras."""

    causes: list[str]
    action: str
    claim: dict | None = None
    other_payer: str = ""
    filing_proof: dt.date | None = None


@dataclass
class Scored:
    score: float
    cause: float
    action: float
    claim: float
    feedback: list[dict] = field(default_factory=list)
    claim_sent: dict | None = None
    remittance: Remittance | None = None


_MISSING = object()


def value_at(data: Any, path: str) -> Any:
    """The value at a dotted path of claim data (positions count from 1), or _MISSING."""
    node = data
    for part in path.split("."):
        if isinstance(node, list):
            i = int(part) - 1 if part.isdigit() else -1
            if not 0 <= i < len(node):
                return _MISSING
            node = node[i]
        elif isinstance(node, dict):
            if part not in node:
                return _MISSING
            node = node[part]
        else:
            return _MISSING
    return _MISSING if node in (None, "", []) else node


def _normalised(data: dict) -> dict:
    """Claim data as the engine reads it (codes upper-cased, dots placed, amounts to the cent)."""
    try:
        return Claim.from_dict(data).to_dict()
    except (ValueError, TypeError):
        return data


PATH_LABELS = {
    "coverage.member_id": "Box 1a insured's ID", "coverage.plan": "Box 11 insured's plan",
    "coverage.group": "Box 11 insured's group", "coverage.payer_order": "Which payer this is (primary/secondary)",
    "coverage.other_payer_paid": "Amount the primary payer paid", "patient.sex": "Box 3 patient's sex",
    "patient.birth_date": "Box 3 patient's birth date", "patient.name": "Box 2 patient's name",
    "billing_provider.npi": "Box 33a billing provider NPI", "place_of_service": "Box 24B place of service",
    "frequency_code": "Box 22 resubmission code", "original_claim_ref": "Box 22 original reference number",
    "prior_auth": "Box 23 prior authorization number", "timely_filing_proof": "Proof-of-filing date",
}
LINE_LABELS = {"modifiers": "24D modifiers", "code": "24D procedure code", "units": "24G units",
               "pointers": "24E diagnosis pointers", "charge": "24F charges", "place_of_service": "24B place of service",
               "date_of_service": "24A date of service", "prior_auth": "prior authorization number"}


def describe_path(path: str) -> str:
    """A changed field named as the biller sees it on the CMS-1500."""
    if path in PATH_LABELS:
        return PATH_LABELS[path]
    parts = path.split(".")
    if parts[0] == "diagnoses" and len(parts) == 2 and parts[1].isdigit():
        return f"Box 21 diagnosis {'ABCDEFGHIJKL'[int(parts[1]) - 1]}"
    if parts[0] == "lines" and len(parts) >= 2:
        what = LINE_LABELS.get(parts[2], parts[2].replace("_", " ")) if len(parts) > 2 else "the whole line"
        return f"Line {parts[1]}, {what}"
    return path.replace("_", " ").replace(".", " › ")


def show_value(value: Any) -> str:
    if value is _MISSING:
        return "(blank / removed)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if all(not isinstance(v, dict) for v in value) else "…"
    if isinstance(value, dict):
        return " ".join(f"{k} {show_value(v)}" for k, v in value.items() if k in ("code", "modifiers", "units"))
    return str(value)


def _changes(items: list[dict]) -> tuple[Change, ...]:
    return tuple(Change(path=c["path"], value=c.get("value"), remove=bool(c.get("remove"))) for c in items)


def _field_match(student: dict, original: dict, changes: list[dict]) -> tuple[float, list[str]]:
    """Share of a resolution's changed fields the student's claim matches, and the misses."""
    if not changes:
        return 1.0, []
    want = _normalised(apply_changes(original, _changes(changes)))
    got = _normalised(student)
    hits, misses = 0, []
    for c in changes:
        w, g = value_at(want, c["path"]), value_at(got, c["path"])
        if w == g:
            hits += 1
        else:
            misses.append(f"{describe_path(c['path'])}: you sent {show_value(g)}, expected {show_value(w)}.")
    return hits / len(changes), misses


def _outcome(remit: Remittance | None) -> float:
    if remit is None:
        return 0.0
    return 1.0 if remit.status == PAID else 0.5 if remit.status == PARTIALLY_PAID else 0.0


def _claim_to_send(scenario: ClaimScenario, answer: Answer, today: dt.date) -> dict:
    data = copy.deepcopy(answer.claim if answer.claim is not None else scenario.claim)
    data["receipt_date"] = today.isoformat()  # the claim sent back arrives today
    return data


def run_answer(scenario: ClaimScenario, answer: Answer, first: Remittance | None = None
               ) -> tuple[dict | None, Remittance | None]:
    """Send what the answer sends to the payer it goes to; (claim data, remittance) or (None, None)."""
    all_payers = payers()
    codes = codeset()
    resolution = next((r for r in scenario.resolutions if r["action"] == answer.action), None)
    today = dt.date.fromisoformat(resolution["today"]) if resolution and resolution.get("today") else scenario.today
    if answer.action == RESUBMIT:
        first = first or original_remittance(scenario)
        history = _history(scenario) + (() if first.status == REJECTED else (Claim.from_dict(scenario.claim),))
        data = _claim_to_send(scenario, answer, today)
        return data, adjudicate(Claim.from_dict(data), scenario_payer(scenario, all_payers), today, codes,
                                history=history)
    if answer.action == REOPEN:
        # the payer corrects the claim it processed: same claim and receipt date, no duplicate of itself
        data = copy.deepcopy(answer.claim if answer.claim is not None else scenario.claim)
        data["receipt_date"] = scenario.claim.get("receipt_date")
        data["frequency_code"], data["original_claim_ref"] = "1", ""
        return data, adjudicate(Claim.from_dict(data), scenario_payer(scenario, all_payers), today, codes,
                                history=_history(scenario))
    if answer.action == BILL_OTHER_PAYER and answer.other_payer in all_payers:
        profile = all_payers[answer.other_payer]
        extra = [Member.from_dict(r["member"]) for r in scenario.resolutions
                 if r.get("member") and r.get("payer") == answer.other_payer]
        data = _claim_to_send(scenario, answer, today)
        return data, adjudicate(Claim.from_dict(data), profile.with_members(*extra), today, codes)
    if answer.action == APPEAL and answer.filing_proof is not None:
        data = copy.deepcopy(scenario.claim)
        data["timely_filing_proof"] = answer.filing_proof.isoformat()
        return data, adjudicate(Claim.from_dict(data), scenario_payer(scenario, all_payers), today, codes,
                                history=_history(scenario))
    return None, None


def score_cause(scenario: ClaimScenario, causes) -> tuple[float, list[str]]:
    """Right picks over right picks + wrong picks + misses, with a reason for each."""
    expected = set(scenario.expected["causes"])
    picked = set(causes)
    union = expected | picked
    cause = len(expected & picked) / len(union) if union else 0.0
    reasons = [f"Right: {CAUSES[c][1]}." for c in sorted(expected & picked)]
    reasons += [f"Missed: {CAUSES[c][1]}." for c in sorted(expected - picked)]
    reasons += [f"Not a cause here: {CAUSES[c][1]}." for c in sorted(picked - expected) if c in CAUSES]
    return cause, reasons


def score_action(scenario: ClaimScenario, action: str) -> tuple[float, list[str], list[dict]]:
    """Full credit for an accepted resolution's action; the reason, and the accepted resolutions."""
    accepted = [r for r in scenario.resolutions if r["action"] == action]
    if accepted:
        return 1.0, [accepted[0]["rationale"]], accepted
    wrong_why = [n["why"] for n in scenario.not_accepted if n.get("action") == action and not n.get("changes")]
    return 0.0, wrong_why or [f"“{ACTION_LABELS.get(action, action)}” is not an accepted resolution here."], []


def score_answer(scenario: ClaimScenario, answer: Answer) -> Scored:
    """Score cause, action and claim (weights in WEIGHTS), with a reason for every part."""
    feedback: list[dict] = []
    cause, reasons = score_cause(scenario, answer.causes)
    feedback.append({"part": "cause", "credit": cause, "reasons": reasons})
    action, reasons, accepted = score_action(scenario, answer.action)
    feedback.append({"part": "action", "credit": action, "reasons": reasons})

    claim_sent, remit = run_answer(scenario, answer)
    if not accepted:
        claim, reasons = 0.0, ["The claim part counts only with an accepted action."]
    elif answer.action not in CLAIM_ACTIONS and not any(r.get("evidence") for r in accepted):
        claim, reasons = 1.0, ["This action sends no corrected claim, so nothing on the claim had to change."]
    else:
        claim, reasons = _score_claim(scenario, answer, accepted, claim_sent, remit)
    feedback.append({"part": "claim", "credit": claim, "reasons": reasons})

    total = WEIGHTS["cause"] * cause + WEIGHTS["action"] * action + WEIGHTS["claim"] * claim
    return Scored(round(total, 4), cause, action, claim, feedback, claim_sent, remit)


def _score_claim(scenario, answer, accepted, claim_sent, remit) -> tuple[float, list[str]]:
    outcome = _outcome(remit)
    if remit is None:
        return 0.0, ["Nothing was sent to the payer: an appeal of this denial needs its evidence."]
    status = remit.status.replace("_", " ")
    best, best_reasons = -1.0, []
    for res in accepted:
        if answer.action == APPEAL:
            proof = {"timely_filing_proof": answer.filing_proof.isoformat() if answer.filing_proof else None}
            match, misses = _field_match(proof, {}, res.get("evidence") or [])
        else:
            match, misses = _field_match(claim_sent, scenario.claim, res.get("changes") or [])
            if answer.action == BILL_OTHER_PAYER and res.get("payer"):
                if answer.other_payer == res["payer"]:
                    match = (match * len(res["changes"]) + 1) / (len(res["changes"]) + 1)
                else:
                    match = match * len(res["changes"]) / (len(res["changes"]) + 1)
                    misses.append("You billed a different payer than the one that should pay first.")
        score = 0.5 * outcome + 0.5 * match
        if score > best:
            best, best_reasons = score, misses
    for wrong in scenario.not_accepted:
        if wrong.get("action") == answer.action and wrong.get("changes") and claim_sent is not None:
            match, _ = _field_match(claim_sent, scenario.claim, wrong["changes"])
            if match == 1.0:
                best = min(best, 0.5 * outcome)
                best_reasons = [wrong["why"]] + best_reasons
    head = f"The payer's new answer: {status}" + (" (full credit for the outcome)." if outcome == 1 else
                                                   " (half credit for the outcome)." if outcome else ".")
    return max(best, 0.0), [head] + (best_reasons or ["Every field the accepted fix changes matches."])


# --------------------------------------------------------------------------- attempts


def submit_attempt(user_id: int, scenario: ClaimScenario, answer: Answer, token: str,
                   assignment_id: int | None = None) -> ScenarioAttempt:
    """Score and store one attempt. The same form token twice (a double click) stores one attempt; made for an
    assignment that refuses it, nothing is scored (AssignmentClosed)."""
    def make() -> ScenarioAttempt:
        scored = score_answer(scenario, answer)
        return ScenarioAttempt(
            user_id=user_id, scenario_id=scenario.id, submission_token=token, key_version=scenario.key_version,
            causes=list(answer.causes), action=answer.action,
            details={"other_payer": answer.other_payer,
                     "filing_proof": answer.filing_proof.isoformat() if answer.filing_proof else None},
            claim=scored.claim_sent, remittance=scored.remittance.to_dict() if scored.remittance else None,
            score=scored.score, cause_score=scored.cause, action_score=scored.action, claim_score=scored.claim,
            feedback=scored.feedback,
        )
    return store_once(ScenarioAttempt, user_id, token, make, assignment_id, scenario.slug)


def get_own_attempt(attempt_id: int, user_id: int) -> ScenarioAttempt | None:
    """An attempt, only for the student who made it."""
    return db.session.scalar(sa.select(ScenarioAttempt).where(ScenarioAttempt.id == attempt_id,
                                                              ScenarioAttempt.user_id == user_id))


def history(user_id: int, scenario_id: int, limit: int = 10) -> list[ScenarioAttempt]:
    return list(db.session.scalars(
        sa.select(ScenarioAttempt).where(ScenarioAttempt.user_id == user_id,
                                         ScenarioAttempt.scenario_id == scenario_id)
        .order_by(ScenarioAttempt.created_at.desc(), ScenarioAttempt.id.desc()).limit(limit)))


def attempt_page(attempt: ScenarioAttempt, **extra) -> dict:
    """What the attempt page shows; the instructor's drill-down renders the same page."""
    scenario = attempt.scenario
    names = payer_names()
    return dict(
        attempt=attempt, scenario=scenario, claim=Claim.from_dict(scenario.claim).to_dict(),
        remit=original_remittance(scenario).to_dict(),
        sent=Claim.from_dict(attempt.claim).to_dict() if attempt.claim else None,
        payer_name=names.get(scenario.payer_slug), other_payer_name=names.get(attempt.details.get("other_payer") or ""),
        expected=expected_answer(scenario), weights=WEIGHTS,
        **page_words(), **extra,  # the words too: the instructor's page is outside the scenarios blueprint
    )


def expected_answer(scenario: ClaimScenario) -> dict:
    """The answer in words, for the result page (after a submission only)."""
    names = payer_names()
    return {
        "causes": [CAUSES[c][1] for c in scenario.expected["causes"]],
        "resolutions": [{
            "action": ACTION_LABELS[r["action"]], "rationale": r["rationale"], "payer": names.get(r.get("payer") or "", r.get("payer") or ""),
            "changes": [(describe_path(c["path"]), "(remove)" if c.get("remove") else show_value(c.get("value")))
                        for c in (r.get("changes") or []) + (r.get("evidence") or [])],
        } for r in scenario.resolutions],
        "not_accepted": [{"action": ACTION_LABELS.get(n.get("action"), n.get("action")), "why": n.get("why", "")}
                         for n in scenario.not_accepted],
        "rationale": scenario.rationale,
    }


# --------------------------------------------------------------------------- claim lab


def run_lab(payer_slug: str, claim_data: dict, as_of: dt.date) -> Remittance:
    """Adjudicate a claim built in the lab; nothing is stored."""
    return adjudicate(Claim.from_dict(claim_data), payers()[payer_slug], as_of, codeset())


def question_view(scenario: ClaimScenario) -> dict:
    """What a quiz's claim-scenario question shows: the encounter, what the payer sent back, and the
    cause and action choices — never which ones are right."""
    remit = original_remittance(scenario)
    return {"slug": scenario.slug, "title": scenario.title, "encounter": scenario.encounter,
            "remittance": remit.to_dict(), "causes": cause_choices(scenario, remit),
            "actions": action_choices(scenario)}


def score_question(scenario: ClaimScenario, causes, action) -> tuple[float, list[str]]:
    """A quiz question on a scenario asks for the cause and the action only (no corrected claim):
    the two parts keep their relative weights (40 : 30) and fill the question's points."""
    cause, cause_reasons = score_cause(scenario, causes)
    act, action_reasons, _ = score_action(scenario, action) if action else (0.0, ["No action chosen."], [])
    credit = (WEIGHTS["cause"] * cause + WEIGHTS["action"] * act) / (WEIGHTS["cause"] + WEIGHTS["action"])
    return round(credit, 4), cause_reasons + action_reasons
