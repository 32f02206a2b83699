"""The coding grader against the real built code book (the ``codeset`` fixture of tests/unit/conftest.py)."""
from __future__ import annotations

import pytest

from app.grading import CREDIT, EXTRA_PENALTY, grade_case


@pytest.fixture
def real_codes(request):
    try:
        return request.getfixturevalue("codeset")
    except pytest.FixtureLookupError:
        pytest.skip("no `codeset` fixture in tests/unit/conftest.py yet (app.codes builds the real code book)")


def dx(*codes):
    return {"diagnoses": [{"code": code} for code in codes]}


@pytest.mark.parametrize("typed", ["e1122", "E11.22", " E11 .22", "E1122."])
def test_real_book_normalises_spellings(real_codes, typed):
    assert grade_case(dx("E11.22"), {"diagnoses": [typed]}, real_codes).score == 1.0


def test_real_book_names_both_seventh_characters(real_codes):
    line = grade_case(dx("S72.001A"), {"diagnoses": ["S72.001D"]}, real_codes).lines[0]
    assert line.status == "partial" and line.credit == CREDIT["seventh_character"]
    assert "D (subsequent encounter for closed fracture with routine healing) given" in line.reason
    assert "A (initial encounter for closed fracture) expected" in line.reason


def test_real_book_header_needs_a_seventh_character(real_codes):
    line = grade_case(dx("S72.001A"), {"diagnoses": ["S72.001"]}, real_codes).lines[0]
    assert line.status == "not_billable"
    assert "7th character" in line.reason


@pytest.mark.parametrize(
    "expected,given,status,reason",
    [
        ("M17.11", "M17.12", "partial", "wrong laterality: left vs right"),
        ("N18.31", "N18.9", "partial", "right category N18 but less specific"),
        ("E11.22", "E11.99", "invalid", "E11.99 does not exist in ICD-10-CM"),
        ("E11.22", "E11", "not_billable", "E11 is a header"),
    ],
)
def test_real_book_rules(real_codes, expected, given, status, reason):
    line = grade_case(dx(expected), {"diagnoses": [given]}, real_codes).lines[0]
    assert line.status == status
    assert reason in line.reason


@pytest.mark.parametrize(
    "key,extra,reason",
    [
        ("E11.22", "E10.22", "Excludes1 conflict with E11.22"),
        ("K35.80", "R10.9", "signs and symptoms routinely associated with a confirmed diagnosis"),
    ],
)
def test_real_book_extra_codes_say_why(real_codes, key, extra, reason):
    grade = grade_case(dx(key), {"diagnoses": [key, extra]}, real_codes)
    assert reason in grade.lines[-1].reason
    assert grade.score == 1.0 - EXTRA_PENALTY["excludes1"]


def test_real_book_grades_a_whole_case(real_codes):
    key = {
        "diagnoses": [{"code": "E11.22"}, {"code": "N18.31"}, {"code": "I12.9"}],
        "procedures": [{"code": "99214", "modifiers": ["25"], "units": 1}, {"code": "J1885", "units": 2}],
    }
    response = {"diagnoses": ["e1122", "N18.31", "I12.9"],
                "procedures": [{"code": "99214", "modifiers": ["25"]}, {"code": "j1885", "units": 2}]}
    grade = grade_case(key, response, real_codes)
    assert grade.score == 1.0, [line.reason for line in grade.lines]


def test_real_book_header_reason_reads_well(real_codes):
    line = grade_case(dx("E11.22"), {"diagnoses": ["E11.2"]}, real_codes).lines[0]
    assert line.reason.startswith("E11.2 is a header, not a billable code: it needs")
    assert "needs needs" not in line.reason


def test_real_book_explains_a_placeholder_slip(real_codes):
    line = grade_case(dx("S01.01XA"), {"diagnoses": ["S01.01A"]}, real_codes).lines[0]
    assert line.status == "invalid"
    assert "placeholder X" in line.reason and "S01.01XA" in line.reason


@pytest.mark.parametrize(
    "system,typed",
    [("icd10cm", "e1122"), ("icd10cm", " s72001a"), ("icd10cm", "E11..22"), ("icd10cm", "N18.3"),
     ("cpt", " 99214 "), ("hcpcs", "j1885"), ("modifier", "-25"), ("modifier", "lt")],
)
def test_grader_spells_codes_as_the_code_book_does(real_codes, system, typed):
    from app.codes import normalize
    from app.grading import normalize_icd10cm, normalize_modifier, normalize_procedure

    ours = {"icd10cm": normalize_icd10cm, "cpt": normalize_procedure, "hcpcs": normalize_procedure,
            "modifier": normalize_modifier}[system](typed)
    assert ours == normalize(system, typed)
    assert real_codes.get(system, typed).code == ours


def _case_keys():
    from pathlib import Path

    import yaml

    folder = Path(__file__).resolve().parents[2] / "content" / "quizzes" / "cases"
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text())
        if isinstance(data, dict) and isinstance(data.get("answer_key"), dict):
            yield pytest.param(data["answer_key"], id=path.stem)


@pytest.mark.parametrize("key", list(_case_keys()))
def test_every_case_key_answered_as_written_scores_one(real_codes, key):
    response = {
        "diagnoses": [entry["code"] for entry in key.get("diagnoses", []) if not entry.get("optional")],
        "procedures": [
            {part: entry[part] for part in ("code", "modifiers", "units") if part in entry}
            for entry in key.get("procedures", [])
            if not entry.get("optional")
        ],
    }
    grade = grade_case(key, response, real_codes)
    assert grade.score == 1.0, [(line.code, line.reason) for line in grade.lines if line.status != "correct"]
