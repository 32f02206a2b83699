"""Coding cases: listing with a student's best scores, grading a submission, reading attempts."""
from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db
from app.grading import grade_case
from app.models import CaseAttempt, CodingCase
from app.params import small_digits
from app.services.attempts import store_once
from app.services.codes import codeset

MAX_DIAGNOSES = 12
MAX_PROCEDURES = 8
MAX_MODIFIERS = 4


@dataclass(frozen=True)
class CaseRow:
    case: CodingCase
    best: float | None
    attempts: int


def list_cases(user_id: int | None, domain: str | None = None, difficulty: int | None = None) -> list[CaseRow]:
    """Active cases (filtered), each with the student's best score: two queries whatever the count."""
    query = sa.select(CodingCase).where(CodingCase.active.is_(True)).order_by(CodingCase.difficulty, CodingCase.title)
    if difficulty:
        query = query.where(CodingCase.difficulty == difficulty)
    cases = [c for c in db.session.scalars(query) if not domain or domain in c.domains]
    best: dict[int, tuple[float, int]] = {}
    if user_id is not None:
        rows = db.session.execute(
            sa.select(CaseAttempt.case_id, sa.func.max(CaseAttempt.score), sa.func.count())
            .where(CaseAttempt.user_id == user_id).group_by(CaseAttempt.case_id))
        best = {case_id: (score, n) for case_id, score, n in rows}
    return [CaseRow(c, *best.get(c.id, (None, 0))) for c in cases]


def all_domains() -> list[str]:
    domains = set()
    for row in db.session.scalars(sa.select(CodingCase.domains).where(CodingCase.active.is_(True))):
        domains.update(row)
    return sorted(domains)


def get_case(slug: str) -> CodingCase | None:
    return db.session.scalar(sa.select(CodingCase).where(CodingCase.slug == slug, CodingCase.active.is_(True)))


@dataclass
class ParsedResponse:
    response: dict
    #: field name -> message, shown beside the field when the form comes back
    errors: dict[str, str]
    #: the rows as typed, to re-render the form exactly
    diagnosis_rows: list[str]
    procedure_rows: list[dict]


_MOD_SPLIT = re.compile(r"[\s,;/-]+")


def parse_response(form) -> ParsedResponse:
    """Read the answer form's rows; blank rows are dropped, everything typed is kept for re-display."""
    errors: dict[str, str] = {}
    dx_rows = [str(form.get(f"dx_{i}", ""))[:20] for i in range(1, MAX_DIAGNOSES + 1)]
    px_rows = []
    procedures = []
    for i in range(1, MAX_PROCEDURES + 1):
        code = str(form.get(f"px_code_{i}", ""))[:20].strip()
        mods_raw = str(form.get(f"px_mod_{i}", ""))[:40]
        units_raw = str(form.get(f"px_units_{i}", "")).strip()[:6]
        px_rows.append({"code": code, "modifiers": mods_raw, "units": units_raw})
        if not code and not mods_raw.strip() and units_raw in ("", "1"):
            continue
        if not code:
            errors[f"px_code_{i}"] = "Enter the procedure code for this row, or clear the row."
            continue
        modifiers = [m.upper() for m in _MOD_SPLIT.split(mods_raw.strip()) if m]
        if len(modifiers) > MAX_MODIFIERS:
            errors[f"px_mod_{i}"] = f"At most {MAX_MODIFIERS} modifiers on one line."
        units = 1
        if units_raw:
            if not small_digits(units_raw, 6) or not 1 <= int(units_raw) <= 999:
                errors[f"px_units_{i}"] = "Units must be a whole number from 1 to 999."
            else:
                units = int(units_raw)
        procedures.append({"code": code, "modifiers": modifiers[:MAX_MODIFIERS], "units": units})
    diagnoses = [d.strip() for d in dx_rows if d.strip()]
    if not diagnoses and not procedures:
        errors["dx_1"] = "Enter at least one code before submitting."
    return ParsedResponse({"diagnoses": diagnoses, "procedures": procedures}, errors, dx_rows, px_rows)


def submit_attempt(user_id: int, case: CodingCase, response: dict, token: str,
                   assignment_id: int | None = None) -> CaseAttempt:
    """Grade and store one attempt. The same form token twice (a double click) stores one attempt; made for an
    assignment that refuses it, nothing is graded (AssignmentClosed)."""
    def make() -> CaseAttempt:
        grade = grade_case(case.answer_key, response, codes=codeset())
        return CaseAttempt(
            user_id=user_id, case_id=case.id, submission_token=token, key_version=case.key_version,
            code_release=grade.code_release, response=response, score=grade.score, points=grade.points,
            max_points=grade.max_points, verdicts=[line.as_dict() for line in grade.lines],
        )
    return store_once(CaseAttempt, user_id, token, make, assignment_id, case.slug)


def attempt_page(attempt: CaseAttempt, **extra) -> dict:
    """What the attempt page shows; the instructor's drill-down renders the same page."""
    return dict(attempt=attempt, case=attempt.case, **extra)


def get_own_attempt(attempt_id: int, user_id: int) -> CaseAttempt | None:
    """An attempt, only for the student who made it."""
    return db.session.scalar(sa.select(CaseAttempt).where(CaseAttempt.id == attempt_id, CaseAttempt.user_id == user_id))


def history(user_id: int, case_id: int, limit: int = 10) -> list[CaseAttempt]:
    return list(db.session.scalars(
        sa.select(CaseAttempt).where(CaseAttempt.user_id == user_id, CaseAttempt.case_id == case_id)
        .order_by(CaseAttempt.created_at.desc(), CaseAttempt.id.desc()).limit(limit)))
