"""The coding grader: answer key + student's codes in, a line-by-line ``CaseGrade`` out.

Pure Python (no Flask, no SQLAlchemy). The credit table and the rules are documented in
``app.grading.grader``.
"""
from .grader import CREDIT, EXTRA_PENALTY, LINE_POINTS, PROCEDURE_SHARES, SEQUENCE_FACTOR, grade_case
from .parse import normalize_icd10cm, normalize_modifier, normalize_procedure
from .verdicts import STATUSES, CaseGrade, LineVerdict, PartVerdict

__all__ = [
    "CREDIT",
    "EXTRA_PENALTY",
    "LINE_POINTS",
    "PROCEDURE_SHARES",
    "SEQUENCE_FACTOR",
    "STATUSES",
    "CaseGrade",
    "LineVerdict",
    "PartVerdict",
    "grade_case",
    "normalize_icd10cm",
    "normalize_modifier",
    "normalize_procedure",
]
