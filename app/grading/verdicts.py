"""The grader's results: one frozen verdict per line and the grade of a whole case."""
from __future__ import annotations

from dataclasses import dataclass

DIAGNOSIS = "diagnosis"
PROCEDURE = "procedure"

CORRECT = "correct"
PARTIAL = "partial"
WRONG = "wrong"
MISSING = "missing"
EXTRA = "extra"
INVALID = "invalid"
NOT_BILLABLE = "not_billable"
SEQUENCE = "sequence"
STATUSES = (CORRECT, PARTIAL, WRONG, MISSING, EXTRA, INVALID, NOT_BILLABLE, SEQUENCE)


@dataclass(frozen=True)
class PartVerdict:
    """How one part of a procedure line (its modifiers or its units) was graded."""

    expected: tuple[str, ...] | int
    given: tuple[str, ...] | int | str | None
    credit: float
    reason: str


@dataclass(frozen=True)
class LineVerdict:
    """The verdict on one key entry (given, partly given or missing) or one extra response line.

    ``position`` is the 1-based place of the key entry in the answer key; for an extra line
    (no key entry) it is the line's place in the student's answer. ``given_position`` is always
    the place in the student's answer, or None when nothing was given for the entry.
    ``points`` is negative for an extra line: the penalty it costs.
    """

    kind: str
    position: int
    code: str | None
    expected: str | None
    status: str
    credit: float
    reason: str
    points: float
    max_points: float
    given_position: int | None = None
    optional: bool = False
    description: str = ""
    expected_description: str = ""
    rationale: str = ""
    penalty: float = 0.0
    modifiers: PartVerdict | None = None
    units: PartVerdict | None = None

    def as_dict(self) -> dict:
        """``dataclasses.asdict`` without its deep copies (every stored attempt runs this per line);
        the values are strings, numbers and tuples of strings, so a shallow copy is the same data."""
        out = dict(self.__dict__)
        for part in ("modifiers", "units"):
            if out[part] is not None:
                out[part] = dict(out[part].__dict__)
        return out


@dataclass(frozen=True)
class CaseGrade:
    """A graded answer: ``score`` = ``points`` / ``max_points``, always within 0..1."""

    score: float
    max_points: float
    points: float
    lines: tuple[LineVerdict, ...]
    penalties: float = 0.0
    code_release: str = ""

    @property
    def diagnoses(self) -> tuple[LineVerdict, ...]:
        return tuple(line for line in self.lines if line.kind == DIAGNOSIS)

    @property
    def procedures(self) -> tuple[LineVerdict, ...]:
        return tuple(line for line in self.lines if line.kind == PROCEDURE)
