"""Content dated in FY2027 (on or after 2026-10-01) must not use ICD-10-CM codes FY2027 deleted.

I42.0 (dilated cardiomyopathy) is in our FY2026 code book and the FY2026 MCE, and FY2027's MCE
no longer accepts it (the category was subdivided), so it is the real example used below.
"""
from __future__ import annotations

import datetime as dt
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.content import fy_codes  # noqa: E402
from app.content.fy_codes import DatedText, deleted_code_problems, fiscal_year, valid_on  # noqa: E402
from app.content.questions import load_question_file  # noqa: E402

LAST_FY2026 = dt.date(2026, 9, 30)
FIRST_FY2027 = dt.date(2026, 10, 1)
DELETED_IN_FY2027 = ("I42.0", "M72.2", "Z68.1")  # found with the MCE: valid 2026-09-30, invalid 2026-10-01


@pytest.mark.parametrize("on, fy", [(dt.date(2026, 9, 30), 2026), (dt.date(2026, 10, 1), 2027),
                                    (dt.date(2027, 1, 15), 2027), (dt.date(2025, 10, 1), 2026)])
def test_fiscal_year(on, fy):
    assert fiscal_year(on) == fy


@pytest.mark.parametrize("code", DELETED_IN_FY2027)
def test_msdrg_tables_know_the_fy2027_deletions(code):
    assert valid_on(code, LAST_FY2026)
    assert not valid_on(code, FIRST_FY2027)


@pytest.mark.parametrize("on, expected", [(LAST_FY2026, 0), (FIRST_FY2027, 1), (dt.date(2026, 12, 3), 1)])
def test_deleted_code_fails_only_from_the_first_day_of_fy2027(on, expected):
    text = "claim:\n  diagnoses: [I42.0, I10]\n"
    problems = deleted_code_problems([DatedText("content/x.yml", text, (on,))])
    assert len(problems) == expected
    if expected:
        message = str(problems[0])
        assert "content/x.yml" in message and ":2" in message  # file and line
        assert "I42.0" in message and "FY2027" in message


@pytest.mark.parametrize("text", [
    "diagnoses: [I10, E11.22]",            # valid in both years
    "lines: [{code: '99213'}, {code: G2211}, {code: J3301}]",  # procedure codes are not ICD-10-CM
    "note: I42 is a category, not a code",  # never a valid code: not a deletion
])
def test_codes_valid_in_fy2027_or_never_codes_pass(text):
    assert deleted_code_problems([DatedText("x.yml", text, (FIRST_FY2027,))]) == []


def test_undotted_codes_are_found_too():
    problems = deleted_code_problems([DatedText("x.yml", "a\nb: I420\n", (FIRST_FY2027,))])
    assert [p.line for p in problems] == [2]


def test_code_year_dates_a_file_from_the_first_day_of_its_fiscal_year(tmp_path):
    path = tmp_path / "case.yml"
    path.write_text("code_year: 2027\ndiagnoses:\n  - code: I42.0\n")
    assert fy_codes.code_year_item(path, 2027).dates == (FIRST_FY2027,)
    assert len(deleted_code_problems([fy_codes.code_year_item(path, 2027)])) == 1
    assert deleted_code_problems([fy_codes.code_year_item(path, 2026)]) == []
    assert deleted_code_problems([fy_codes.code_year_item(path, None)]) == []


def _question_file(tmp_path, code_year_line: str) -> Path:
    path = tmp_path / "icd10cm.yml"
    path.write_text(textwrap.dedent(f"""\
        domain: icd10cm
        title: Test
        {code_year_line}
        exams: [cpc]
        questions:
          - id: icd-901
            difficulty: 1
            stem: Which code is dilated cardiomyopathy?
            choices:
              - {{text: I42.0, why: Right.}}
              - {{text: I10, why: Hypertension.}}
              - {{text: E11.22, why: Diabetic kidney disease.}}
              - {{text: J45.909, why: Asthma.}}
            answer: 0
            codes: [I42.0, I10, E11.22, J45.909]
        """))
    return path


def test_question_files_take_an_optional_code_year(tmp_path):
    qf = load_question_file(_question_file(tmp_path, "code_year: 2027"))
    assert qf.code_year == 2027
    assert load_question_file(_question_file(tmp_path, "")).code_year is None


def test_services_check_scenarios_cases_and_dated_question_files(tmp_path):
    from app.services.content import deleted_code_errors

    scen = tmp_path / "scenario.yml"
    scen.write_text("claim:\n  diagnoses: [I42.0]\n")
    line = lambda d: SimpleNamespace(date_of_service=d)  # noqa: E731
    before = SimpleNamespace(path=str(scen), claim=SimpleNamespace(lines=[line(LAST_FY2026)]))
    after = SimpleNamespace(path=str(scen), claim=SimpleNamespace(lines=[line(FIRST_FY2027)]))
    qpath = _question_file(tmp_path, "code_year: 2027")
    bank = SimpleNamespace(bank=SimpleNamespace(files=[load_question_file(qpath)]))
    assert deleted_code_errors([], [before], None) == []
    assert len(deleted_code_errors([], [after], None)) == 1
    errors = deleted_code_errors([], [], bank)
    assert errors and all("icd10cm.yml" in str(e) and "FY2027" in str(e) for e in errors)


LESSON = ROOT / "content" / "lessons" / "coding" / "01-icd-10-cm-structure-and-lookup.md"


def test_structure_lesson_says_which_release_is_in_use_and_how_to_update():
    text = LESSON.read_text(encoding="utf-8")
    assert "FY2027 has applied since 1 October 2026" in text
    assert "FY2026" in text and "April 1, 2026 update" in text
    assert "flask codes build" in text and "flask content check" in text


@pytest.mark.parametrize("code", ["I42.0", "I42.8", "I49.8", "D69.1", "M72.2", "M86.8X1", "S23.420A",
                                  "T52.8X1A", "Z68.1", "Z87.890"])
def test_codes_the_lesson_names_as_deleted_in_fy2027_really_are(code):
    stem = code.split("X")[0] if "X" in code and code.startswith(("M86", "T52")) else code.rstrip("A")
    assert stem.rstrip(".") in LESSON.read_text(encoding="utf-8")
    assert valid_on(code, LAST_FY2026) and not valid_on(code, FIRST_FY2027)
