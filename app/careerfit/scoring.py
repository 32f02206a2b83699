"""The role-fit quiz: loading ``content/rolefit.yml`` and scoring a set of answers."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from app.content.errors import ContentError
from app.content.reader import Reader, line_at

BILLING = "billing"
CODING = "coding"
BALANCED = "balanced"
#: The two roles the quiz weighs, in the order results list them.
ROLES = (BILLING, CODING)

SCALE_MIN, SCALE_MAX = 1, 5
#: The middle of the scale; an answer counts as (answer - NEUTRAL), i.e. -2..+2.
NEUTRAL = 3
WEIGHT_MIN, WEIGHT_MAX = -2, 2

#: Fit points (0-100 scale) between the two roles below which the result is "balanced".
BALANCED_BELOW = 10
#: Margins from BALANCED_BELOW up to CLEAR_FROM are "slight", up to STRONG_FROM "clear", beyond "strong".
CLEAR_FROM = 20
STRONG_FROM = 40
#: How many statements the result explains itself with.
DRIVER_COUNT = 4

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class ScalePoint:
    value: int
    label: str


@dataclass(frozen=True)
class Statement:
    """One first-person statement and how agreeing with it moves each role."""

    id: str
    text: str
    #: role -> weight in -2..2
    weights: Mapping[str, float]
    #: what agreeing (or disagreeing) says about fit, shown next to the result
    why: str


@dataclass(frozen=True)
class Figure:
    """A pay or outlook figure, always shown with its period and source.

    In ``content/rolefit.yml`` a role lists figure ids from ``content/figures.yml`` (the one home of
    dated figures, shared with the lessons); ``source`` is then the full citation (edition, table,
    retrieved date) and ``url`` where to check it.
    """

    label: str
    value: str
    period: str
    source: str
    url: str = ""
    note: str = ""


@dataclass(frozen=True)
class Certification:
    code: str
    name: str
    body: str


@dataclass(frozen=True)
class Role:
    key: str
    title: str
    summary: str
    duties: tuple[str, ...]
    figures: tuple[Figure, ...]
    certifications: tuple[Certification, ...]
    #: the lesson track a student on this side should start with
    lesson_track: str


@dataclass(frozen=True)
class RoleFitQuiz:
    version: int
    intro: str
    scale: tuple[ScalePoint, ...]
    statements: tuple[Statement, ...]
    roles: Mapping[str, Role]

    def statement(self, statement_id: str) -> Statement:
        for statement in self.statements:
            if statement.id == statement_id:
                return statement
        raise KeyError(statement_id)

    def max_total(self, role: str) -> float:
        """The highest total a role can reach: every answer at the far end, in the weight's direction."""
        return (SCALE_MAX - NEUTRAL) * sum(abs(s.weights[role]) for s in self.statements)


@dataclass(frozen=True)
class Driver:
    """One answer and what it did to the result, so the student can see why."""

    statement_id: str
    text: str
    why: str
    answer: int
    #: weight x centred answer, per role (added into that role's total)
    billing: float
    coding: float
    #: the role this answer pushed toward (the one it added more to)
    toward: str
    #: signed points toward the result's leaning: positive supported it, negative pulled against it;
    #: for a balanced result, how far this answer pulled toward ``toward``
    contribution: float


@dataclass(frozen=True)
class RoleFitResult:
    #: BILLING, CODING or BALANCED
    leaning: str
    #: "slight", "clear" or "strong"; None when the leaning is balanced
    strength: str | None
    #: 0-100 per role; 50 means the answers said nothing either way about that role
    billing_fit: int
    coding_fit: int
    #: billing_fit - coding_fit: positive leans billing, negative coding
    margin: int
    #: raw totals (sum of weight x centred answer) and their possible maximum
    totals: Mapping[str, float]
    max_totals: Mapping[str, float]
    drivers: tuple[Driver, ...]

    @property
    def role(self) -> str | None:
        """The role the student leans toward, or None when balanced."""
        return None if self.leaning == BALANCED else self.leaning

    def fit(self, role: str) -> int:
        return {BILLING: self.billing_fit, CODING: self.coding_fit}[role]


# --- loading -------------------------------------------------------------------------------------


class RoleFitFileError(ContentError, ValueError):
    """A problem in the role-fit file, with its file and line (a ValueError, as parse_rolefit raises)."""


def load_rolefit(path: str | Path) -> RoleFitQuiz:
    """Read and check the role-fit file; a RoleFitFileError (a ValueError) names the file, the line
    and the first problem found.

    Figure ids are resolved from ``figures.yml`` beside it."""
    from app.content.figures import load_figures

    path = Path(path)
    try:
        data = Reader(path).data()
        figures = load_figures(path.parent / "figures.yml")
    except ContentError as exc:
        raise RoleFitFileError(exc.path, exc.line, exc.message) from None
    try:
        return parse_rolefit(data, figures)
    except ValueError as exc:
        raise RoleFitFileError(path, line_at(data, _where(str(exc))), str(exc)) from None


def _where(message: str) -> list:
    """The keys and positions a parse_rolefit message starts with: ``statements[3] (id).weights: ...``
    -> ``["statements", 3, "weights"]``."""
    where = re.sub(r" \([^)]*\)", "", message.partition(": ")[0])
    return [int(i) if i else key for key, i in re.findall(r"([A-Za-z_]+)|\[(\d+)\]", where)]


def parse_rolefit(data: Any, figures: Mapping[str, Any] | None = None) -> RoleFitQuiz:
    """Build a quiz from already-parsed YAML (a mapping), checking every field."""
    top = _mapping(data, "the file")
    version = top.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"version: expected a positive whole number, got {version!r}")
    intro = top.get("intro", "")
    if not isinstance(intro, str):
        raise ValueError("intro: expected text")

    scale = _scale(top.get("scale"))
    statements = _statements(top.get("statements"))
    roles = _roles(top.get("roles"), figures or {})

    maxima = {role: sum(abs(s.weights[role]) for s in statements) for role in ROLES}
    if maxima[BILLING] != maxima[CODING]:
        # Unequal maxima would let one role reach a high fit more easily than the other.
        raise ValueError(
            "statements: weights are unbalanced: the sum of |weight| is "
            f"{maxima[BILLING]} for billing but {maxima[CODING]} for coding; they must be equal"
        )

    return RoleFitQuiz(
        version=version,
        intro=intro.strip(),
        scale=scale,
        statements=statements,
        roles=MappingProxyType(roles),
    )


def _scale(raw: Any) -> tuple[ScalePoint, ...]:
    items = _list(raw, "scale")
    expected = list(range(SCALE_MIN, SCALE_MAX + 1))
    if len(items) != len(expected):
        raise ValueError(f"scale: expected {len(expected)} points, got {len(items)}")
    points = []
    for index, (item, value) in enumerate(zip(items, expected)):
        where = f"scale[{index}]"
        item = _mapping(item, where)
        if item.get("value") != value:
            raise ValueError(f"{where}.value: expected {value}, got {item.get('value')!r}")
        points.append(ScalePoint(value=value, label=_text(item, "label", where)))
    return tuple(points)


def _statements(raw: Any) -> tuple[Statement, ...]:
    items = _list(raw, "statements")
    if not items:
        raise ValueError("statements: the quiz needs at least one statement")
    statements: list[Statement] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"statements[{index}]"
        item = _mapping(item, where)
        statement_id = _text(item, "id", where)
        where = f"statements[{index}] ({statement_id})"
        if not _SLUG.match(statement_id):
            raise ValueError(f"{where}.id: use lower-case words joined by hyphens")
        if statement_id in seen:
            raise ValueError(f"{where}.id: duplicate id {statement_id!r}")
        seen.add(statement_id)

        weights_raw = _mapping(item.get("weights"), f"{where}.weights")
        if set(weights_raw) != set(ROLES):
            raise ValueError(
                f"{where}.weights: expected exactly {', '.join(ROLES)}, got {', '.join(map(str, weights_raw)) or 'none'}"
            )
        weights = {}
        for role in ROLES:
            weight = weights_raw[role]
            if not isinstance(weight, (int, float)) or isinstance(weight, bool):
                raise ValueError(f"{where}.weights.{role}: expected a number, got {weight!r}")
            if not WEIGHT_MIN <= weight <= WEIGHT_MAX:
                raise ValueError(f"{where}.weights.{role}: {weight} is outside {WEIGHT_MIN}..{WEIGHT_MAX}")
            weights[role] = weight
        if all(w == 0 for w in weights.values()):
            raise ValueError(f"{where}.weights: a statement weighted 0 for both roles cannot affect the result")

        statements.append(
            Statement(
                id=statement_id,
                text=_text(item, "text", where),
                weights=MappingProxyType(weights),
                why=_text(item, "why", where),
            )
        )
    return tuple(statements)


def _roles(raw: Any, known_figures: Mapping[str, Any]) -> dict[str, Role]:
    roles_raw = _mapping(raw, "roles")
    if set(roles_raw) != set(ROLES):
        raise ValueError(f"roles: expected exactly {', '.join(ROLES)}, got {', '.join(map(str, roles_raw)) or 'none'}")
    roles = {}
    for key in ROLES:
        where = f"roles.{key}"
        item = _mapping(roles_raw[key], where)
        duties = tuple(_text_list(item.get("duties"), f"{where}.duties"))
        if not 3 <= len(duties) <= 5:
            raise ValueError(f"{where}.duties: expected 3 to 5 bullets, got {len(duties)}")
        figures = []
        for index, fig in enumerate(_list(item.get("figures"), f"{where}.figures")):
            fwhere = f"{where}.figures[{index}]"
            if isinstance(fig, str):  # an id in content/figures.yml
                if fig not in known_figures:
                    raise ValueError(f"{fwhere}: no figure '{fig}' in figures.yml")
                f = known_figures[fig]
                figures.append(Figure(label=f.label, value=f.value, period=f.period, source=f.citation,
                                      url=f.url, note=f.note))
                continue
            fig = _mapping(fig, fwhere)
            # A figure without its period and source would be a claim the student cannot check.
            figures.append(
                Figure(
                    label=_text(fig, "label", fwhere),
                    value=_text(fig, "value", fwhere),
                    period=_text(fig, "period", fwhere),
                    source=_text(fig, "source", fwhere),
                )
            )
        if not figures:
            raise ValueError(f"{where}.figures: at least one pay or outlook figure is expected")
        certifications = []
        for index, cert in enumerate(_list(item.get("certifications"), f"{where}.certifications")):
            cwhere = f"{where}.certifications[{index}]"
            cert = _mapping(cert, cwhere)
            certifications.append(
                Certification(
                    code=_text(cert, "code", cwhere),
                    name=_text(cert, "name", cwhere),
                    body=_text(cert, "body", cwhere),
                )
            )
        roles[key] = Role(
            key=key,
            title=_text(item, "title", where),
            summary=_text(item, "summary", where),
            duties=duties,
            figures=tuple(figures),
            certifications=tuple(certifications),
            lesson_track=_text(item, "lesson_track", where),
        )
    return roles


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _text(item: Mapping[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}.{key}: expected non-empty text, got {value!r}")
    return value.strip()


def _text_list(value: Any, where: str) -> list[str]:
    items = _list(value, where)
    for index, entry in enumerate(items):
        if not isinstance(entry, str) or not entry.strip():
            raise ValueError(f"{where}[{index}]: expected non-empty text, got {entry!r}")
    return [entry.strip() for entry in items]


# --- scoring -------------------------------------------------------------------------------------


def score(quiz: RoleFitQuiz, answers: Mapping[str, int]) -> RoleFitResult:
    """Score a full set of answers (statement id -> 1..5).

    Each answer is centred (answer - 3, so -2..+2) and multiplied by the statement's weight for
    each role; a role's total is the sum. The fit rescales the total from [-max, +max] to 0..100,
    so 50 is neutral. The leaning follows the gap between the two fits.
    """
    _check_answers(quiz, answers)

    contributions = []
    totals = {role: 0 for role in ROLES}
    for statement in quiz.statements:
        centred = answers[statement.id] - NEUTRAL
        per_role = {role: statement.weights[role] * centred for role in ROLES}
        for role in ROLES:
            totals[role] += per_role[role]
        contributions.append((statement, per_role))

    max_totals = {role: quiz.max_total(role) for role in ROLES}
    fits = {role: _fit(totals[role], max_totals[role]) for role in ROLES}
    margin = fits[BILLING] - fits[CODING]
    leaning, strength = _leaning(margin)

    drivers = []
    for statement, per_role in contributions:
        # Toward billing when positive. Both roles share one maximum (the loader insists), so this
        # raw gap is in proportion to how much the answer moved the margin.
        lean = per_role[BILLING] - per_role[CODING]
        if lean == 0:
            continue
        toward = BILLING if lean > 0 else CODING
        if leaning == BILLING:
            contribution = lean
        elif leaning == CODING:
            contribution = -lean
        else:
            contribution = abs(lean)
        drivers.append(
            Driver(
                statement_id=statement.id,
                text=statement.text,
                why=statement.why,
                answer=answers[statement.id],
                billing=per_role[BILLING],
                coding=per_role[CODING],
                toward=toward,
                contribution=contribution,
            )
        )
    # Biggest effect first; sorted() is stable, so ties keep the quiz's order.
    drivers = sorted(drivers, key=lambda d: abs(d.contribution), reverse=True)[:DRIVER_COUNT]

    return RoleFitResult(
        leaning=leaning,
        strength=strength,
        billing_fit=fits[BILLING],
        coding_fit=fits[CODING],
        margin=margin,
        totals=MappingProxyType(totals),
        max_totals=MappingProxyType(max_totals),
        drivers=tuple(drivers),
    )


def _check_answers(quiz: RoleFitQuiz, answers: Mapping[str, int]) -> None:
    known = [s.id for s in quiz.statements]
    missing = [sid for sid in known if sid not in answers]
    if missing:
        raise ValueError(f"missing answers for: {', '.join(missing)}")
    unknown = sorted(set(answers) - set(known))
    if unknown:
        raise ValueError(f"answers for statements the quiz does not have: {', '.join(map(str, unknown))}")
    bad = [
        f"{sid}={answers[sid]!r}"
        for sid in known
        if not isinstance(answers[sid], int)
        or isinstance(answers[sid], bool)
        or not SCALE_MIN <= answers[sid] <= SCALE_MAX
    ]
    if bad:
        raise ValueError(f"answers must be whole numbers {SCALE_MIN}..{SCALE_MAX}; got {', '.join(bad)}")


def _fit(total: float, max_total: float) -> int:
    if max_total == 0:
        return 50
    return round(50 + 50 * total / max_total)


def _leaning(margin: int) -> tuple[str, str | None]:
    gap = abs(margin)
    if gap < BALANCED_BELOW:
        return BALANCED, None
    role = BILLING if margin > 0 else CODING
    if gap < CLEAR_FROM:
        return role, "slight"
    if gap < STRONG_FROM:
        return role, "clear"
    return role, "strong"
