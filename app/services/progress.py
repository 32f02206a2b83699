"""A student's dashboard: lessons done, scores over time, mastery by domain, what to do next.

A fixed number of queries whatever the number of attempts (tested by counting statements).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db
from app.models import CaseAttempt, CodingCase
from app.services.lessons import tracks_with_progress

DOMAIN_NAMES = {
    **{f"icd10cm:ch{n:02d}": f"ICD-10-CM chapter {n}" for n in range(1, 23)},
    "cpt:em": "CPT: evaluation and management", "cpt:anesthesia": "CPT: anesthesia",
    "cpt:integumentary": "CPT: integumentary surgery", "cpt:musculoskeletal": "CPT: musculoskeletal surgery",
    "cpt:surgery-other": "CPT: other surgery", "cpt:radiology": "CPT: radiology", "cpt:lab": "CPT: pathology and lab",
    "cpt:medicine": "CPT: medicine", "hcpcs": "HCPCS Level II", "modifiers": "Modifiers",
}
MASTERED = 0.8

#: denial categories for claim scenarios, by the CARCs the payer first answered with; a rejected
#: claim (an acknowledgment, no CARCs) counts under front-end rejections
FRONT_END = ("denials:front-end", "Denials: front-end rejections")
DENIAL_CATEGORIES = (
    ("denials:eligibility", "Denials: eligibility and coordination of benefits", {"16", "22", "26", "27", "31"}),
    ("denials:timely-filing", "Denials: timely filing", {"29"}),
    ("denials:authorization", "Denials: prior authorization", {"197"}),
    ("denials:coding", "Denials: coding and modifiers",
     {"4", "5", "6", "7", "9", "10", "11", "97", "146", "151", "181", "182", "18"}),
    ("denials:coverage", "Denials: coverage and medical necessity", {"50", "96", "167", "204"}),
    ("denials:payment", "Payments and patient responsibility", {"1", "2", "3", "45"}),
)


def denial_categories(carcs, status: str = "") -> list[tuple[str, str]]:
    """The categories a scenario belongs to, from its expected status and CARCs."""
    if status == "rejected":
        return [FRONT_END]
    found = []
    for key, name, codes in DENIAL_CATEGORIES:
        if set(map(str, carcs)) & codes:
            found.append((key, name))
    return found


@dataclass(frozen=True)
class DomainMastery:
    domain: str
    name: str
    mastery: float
    cases: int


@dataclass
class Dashboard:
    tracks: list
    timeline: list[tuple[str, float, str]]
    mastery: list[DomainMastery]
    weakest: list[DomainMastery]
    next_case: CodingCase | None
    next_reason: str
    recent: list[tuple[CaseAttempt, str, str]]
    attempts_total: int


def dashboard(user_id: int) -> Dashboard:
    tracks = tracks_with_progress(user_id)
    cases = {c.id: c for c in db.session.scalars(sa.select(CodingCase).where(CodingCase.active.is_(True)))}
    best_rows = db.session.execute(
        sa.select(CaseAttempt.case_id, sa.func.max(CaseAttempt.score), sa.func.count())
        .where(CaseAttempt.user_id == user_id).group_by(CaseAttempt.case_id)).all()
    best = {case_id: score for case_id, score, _ in best_rows}
    total = sum(n for *_, n in best_rows)
    # The last 30 attempts, oldest first, for the chart; the last 8 for the list.
    latest = list(db.session.execute(
        sa.select(CaseAttempt.id, CaseAttempt.case_id, CaseAttempt.score, CaseAttempt.created_at)
        .where(CaseAttempt.user_id == user_id).order_by(CaseAttempt.created_at.desc(), CaseAttempt.id.desc()).limit(30)))
    timeline = [(row.created_at.strftime("%d %b"), row.score, cases[row.case_id].title if row.case_id in cases else "")
                for row in reversed(latest)]
    recent = [(row, cases[row.case_id].slug, cases[row.case_id].title) for row in latest[:8] if row.case_id in cases]

    per_domain: dict[str, list[float]] = defaultdict(list)
    for case_id, score in best.items():
        case = cases.get(case_id)
        for domain in (case.domains if case else []):
            per_domain[domain].append(score)
    names = dict(DOMAIN_NAMES)
    # Claim scenarios count toward the denial categories their payer answers fall in.
    from app.models import ClaimScenario, ScenarioAttempt
    best_subq = (sa.select(ScenarioAttempt.scenario_id, sa.func.max(ScenarioAttempt.score).label("best"))
                 .where(ScenarioAttempt.user_id == user_id).group_by(ScenarioAttempt.scenario_id).subquery())
    # Grouped in a subquery: PostgreSQL cannot GROUP BY a json column.
    scenario_best = db.session.execute(
        sa.select(ClaimScenario.expected, best_subq.c.best)
        .join(best_subq, best_subq.c.scenario_id == ClaimScenario.id)).all()
    for expected, score in scenario_best:
        expected = expected or {}
        for key, name in denial_categories(expected.get("carcs", []), expected.get("status", "")):
            per_domain[key].append(score)
            names[key] = name
    mastery = sorted((DomainMastery(d, names.get(d, d), sum(s) / len(s), len(s)) for d, s in per_domain.items()),
                     key=lambda m: (m.mastery, m.name))
    weakest = [m for m in mastery if m.mastery < MASTERED][:3]

    next_case, reason = None, ""
    untried = [c for c in cases.values() if c.id not in best]
    for m in weakest:
        pool = [c for c in untried if m.domain in c.domains] or \
               [c for c in cases.values() if m.domain in c.domains and best.get(c.id, 0) < 1.0]
        if pool:
            next_case = min(pool, key=lambda c: (c.difficulty, c.title))
            reason = f"your weakest area is {m.name} ({round(m.mastery * 100)}%)"
            break
    if next_case is None and untried:
        next_case = min(untried, key=lambda c: (c.difficulty, c.title))
        reason = "you have not tried it yet" if best else "a good first case"
    return Dashboard(tracks, timeline, mastery, weakest, next_case, reason, recent, total)


def line_chart(points: list[tuple[str, float, str]], width: int = 560, height: int = 180) -> dict:
    """Coordinates for a server-drawn SVG line chart of scores (0..1), left to right."""
    pad_l, pad_r, pad_t, pad_b = 36, 10, 10, 24
    inner_w, inner_h = width - pad_l - pad_r, height - pad_t - pad_b
    n = len(points)
    xy = []
    for i, (label, score, title) in enumerate(points):
        x = pad_l + (inner_w * i / (n - 1) if n > 1 else inner_w / 2)
        y = pad_t + inner_h * (1 - max(0.0, min(1.0, score)))
        xy.append((round(x, 1), round(y, 1), label, round(score * 100), title))
    grid = [(pad_t + inner_h * (1 - g / 100), g) for g in (0, 50, 100)]
    return {"width": width, "height": height, "points": xy, "grid": grid, "left": pad_l, "right": width - pad_r,
            "polyline": " ".join(f"{x},{y}" for x, y, *_ in xy)}
