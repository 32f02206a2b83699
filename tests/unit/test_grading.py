"""The coding grader against a small fake code set: every grading rule, table by table."""
from __future__ import annotations

import dataclasses
import math
import random
import sys
import types

import pytest

from app.codes.model import Code
from app.grading import (
    CREDIT,
    EXTRA_PENALTY,
    PROCEDURE_SHARES,
    SEQUENCE_FACTOR,
    STATUSES,
    CaseGrade,
    LineVerdict,
    grade_case,
)
from app.grading.assign import best_assignment
from app.grading.grader import _ref_covers

FRACTURE_7TH = (
    ("A", "initial encounter for closed fracture"),
    ("B", "initial encounter for open fracture type I or II"),
    ("D", "subsequent encounter for closed fracture with routine healing"),
    ("G", "subsequent encounter for closed fracture with delayed healing"),
    ("S", "sequela"),
)
DIABETES_EXCLUDES1 = ("E08", "E09", "O24.4", "P70.2", "E13")

# code: (description, billable, excludes1 refs of the code itself)
ICD = {
    "E10": ("Type 1 diabetes mellitus", False, DIABETES_EXCLUDES1 + ("R73.9", "E11")),
    "E10.2": ("Type 1 diabetes mellitus with kidney complications", False, ()),
    "E10.22": ("Type 1 diabetes mellitus with diabetic chronic kidney disease", True, ()),
    "E11": ("Type 2 diabetes mellitus", False, DIABETES_EXCLUDES1 + ("E10",)),
    "E11.2": ("Type 2 diabetes mellitus with kidney complications", False, ()),
    "E11.21": ("Type 2 diabetes mellitus with diabetic nephropathy", True, ()),
    "E11.22": ("Type 2 diabetes mellitus with diabetic chronic kidney disease", True, ()),
    "E11.9": ("Type 2 diabetes mellitus without complications", True, ("E11.A",)),
    "I10": ("Essential (primary) hypertension", True, ("O10-O11", "O13-O16")),
    "I12": ("Hypertensive chronic kidney disease", False, ("I15.0", "I15.1", "I15")),
    "I12.9": ("Hypertensive chronic kidney disease with stage 1 through stage 4 chronic kidney "
              "disease, or unspecified chronic kidney disease", True, ()),
    "I13": ("Hypertensive heart and chronic kidney disease", False, ()),
    "I13.1": ("Hypertensive heart and chronic kidney disease without heart failure", False, ()),
    "I13.10": ("Hypertensive heart and chronic kidney disease without heart failure, with stage 1 "
               "through stage 4 chronic kidney disease, or unspecified chronic kidney disease", True, ()),
    "J02": ("Acute pharyngitis", False, ("J06.0", "J36", "J39.1", "J39.0")),
    "J02.0": ("Streptococcal pharyngitis", True, ()),
    "J02.9": ("Acute pharyngitis, unspecified", True, ("J09.X2", "J10.1", "J11.1")),
    "K35": ("Acute appendicitis", False, ()),
    "K35.8": ("Other and unspecified acute appendicitis", False, ()),
    "K35.80": ("Unspecified acute appendicitis", True, ()),
    "M17": ("Osteoarthritis of knee", False, ()),
    "M17.1": ("Unilateral primary osteoarthritis of knee", False, ()),
    "M17.10": ("Unilateral primary osteoarthritis, unspecified knee", True, ()),
    "M17.0": ("Bilateral primary osteoarthritis of knee", True, ()),
    "M17.11": ("Unilateral primary osteoarthritis, right knee", True, ()),
    "M17.12": ("Unilateral primary osteoarthritis, left knee", True, ()),
    "N18": ("Chronic kidney disease (CKD)", False, ()),
    "N18.3": ("Chronic kidney disease, stage 3 (moderate)", False, ()),
    "N18.31": ("Chronic kidney disease, stage 3a", True, ()),
    "N18.32": ("Chronic kidney disease, stage 3b", True, ()),
    "N18.9": ("Chronic kidney disease, unspecified", True, ()),
    "O10": ("Pre-existing hypertension complicating pregnancy, childbirth and the puerperium", False, ()),
    "O10.0": ("Pre-existing essential hypertension complicating pregnancy, childbirth and the puerperium", False, ()),
    "O10.02": ("Pre-existing essential hypertension complicating childbirth", True, ()),
    "R10": ("Abdominal and pelvic pain", False, ("N23",)),
    "R10.9": ("Unspecified abdominal pain", True, ()),
    "R50": ("Fever of other and unknown origin", False, ("R68.83", "R56.0", "O75.2", "P81.9")),
    "R50.9": ("Fever, unspecified", True, ()),
    "S72": ("Fracture of femur", False, ("S78",)),
    "S72.0": ("Fracture of head and neck of femur", False, ()),
    "S72.00": ("Fracture of unspecified part of neck of femur", False, ()),
    "S72.001": ("Fracture of unspecified part of neck of right femur", False, ()),
    "S72.002": ("Fracture of unspecified part of neck of left femur", False, ()),
    "S72.001A": ("Fracture of unspecified part of neck of right femur, initial encounter for closed fracture", True, ()),
    "S72.001D": ("Fracture of unspecified part of neck of right femur, subsequent encounter for closed "
                 "fracture with routine healing", True, ()),
    "S72.002A": ("Fracture of unspecified part of neck of left femur, initial encounter for closed fracture", True, ()),
    "Z23": ("Encounter for immunization", True, ()),
}
# CPT: code numbers with labels of our own; HCPCS Level II and modifiers: public descriptions.
OTHER = {
    ("cpt", "99213"): "established-patient office visit, low",
    ("cpt", "99214"): "established-patient office visit, moderate",
    ("cpt", "20610"): "large joint injection or aspiration",
    ("cpt", "96372"): "therapeutic injection, muscle or skin",
    ("hcpcs", "J1885"): "Injection, ketorolac tromethamine, per 15 mg",
    ("modifier", "25"): "Significant, separately identifiable E/M service",
    ("modifier", "59"): "Distinct procedural service",
    ("modifier", "LT"): "Left side",
    ("modifier", "RT"): "Right side",
    ("modifier", "XS"): "Separate structure",
}


def _plain(code: str) -> str:
    return "".join(code.split()).replace(".", "").upper()


class FakeCodeSet:
    """A few real codes behind the ``CodeSet`` protocol; counts its look-ups."""

    release = "ICD-10-CM April 2026 (test subset)"

    def __init__(self):
        self.lookups = 0
        self._icd = {_plain(code): code for code in ICD}

    def _icd_code(self, code: str) -> str | None:
        return self._icd.get(_plain(code)) if isinstance(code, str) else None

    def get(self, system: str, code: str) -> Code | None:
        self.lookups += 1
        if system == "icd10cm":
            canonical = self._icd_code(code)
            if canonical is None:
                return None
            description, billable, _ = ICD[canonical]
            parent = next((canonical[:n] for n in range(len(canonical) - 1, 2, -1) if canonical[:n] in ICD), None)
            return Code(
                system="icd10cm",
                code=canonical,
                description=description,
                billable=billable,
                kind="code" if billable else "category",
                parent=parent,
                release=self.release,
                seventh_characters=FRACTURE_7TH if canonical.startswith("S72") else (),
            )
        canonical = _plain(code) if isinstance(code, str) else ""
        description = OTHER.get((system, canonical))
        if description is None:
            return None
        return Code(system=system, code=canonical, description=description, billable=True,
                    own_wording=system == "cpt")

    def missing_detail(self, system: str, code: str) -> str | None:
        entry = self.get(system, code)
        if entry is None or entry.billable:
            return None
        position = len(_plain(entry.code)) + 1
        return {4: "a 4th character", 5: "a 5th character", 6: "a 6th character", 7: "a 7th character"}[position]

    def excludes1_refs(self, code: str) -> tuple[str, ...]:
        canonical = self._icd_code(code)
        if canonical is None:
            return ()
        refs = []
        for n in range(len(canonical), 2, -1):
            if canonical[:n] in ICD:
                refs.extend(ICD[canonical[:n]][2])
        return tuple(refs)


@pytest.fixture
def codes():
    return FakeCodeSet()


def dx_key(*codes, **extra):
    return {"diagnoses": [{"code": c, **extra} for c in codes], "procedures": []}


def only(grade: CaseGrade, kind: str = "diagnosis") -> LineVerdict:
    lines = [line for line in grade.lines if line.kind == kind]
    assert len(lines) == 1, lines
    return lines[0]


# --- the fake itself follows the protocol -----------------------------------------------------


def test_fake_code_set_answers_like_the_protocol(codes):
    assert codes.get("icd10cm", "e1122").code == "E11.22"
    assert codes.get("icd10cm", "E11.99") is None
    assert codes.missing_detail("icd10cm", "S72.001") == "a 7th character"
    assert "E10" in codes.excludes1_refs("E11.22")


# --- normalising -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["E11.22", "e1122", "E1122", " E11.22 ", "e11.22", "E 11.22", "E11..22", "E.1122", "E11.22.", "Ｅ１１．２２", "\tE11.22\n"],
)
def test_any_spelling_of_the_right_code_is_correct(codes, typed):
    grade = grade_case(dx_key("E11.22"), {"diagnoses": [typed]}, codes)
    line = only(grade)
    assert (line.status, line.code, line.credit, grade.score) == ("correct", "E11.22", 1.0, 1.0)


@pytest.mark.parametrize("key_code", ["e1122", "E11.22", " E1122"])
def test_key_codes_are_normalised_too(codes, key_code):
    assert grade_case(dx_key(key_code), {"diagnoses": ["E11.22"]}, codes).score == 1.0


@pytest.mark.parametrize(
    "typed,procedure", [("99214", "99214"), (" 99214 ", "99214"), ("j1885", "J1885"), ("J 1885", "J1885")]
)
def test_procedure_codes_are_normalised(codes, typed, procedure):
    key = {"procedures": [{"code": procedure}]}
    grade = grade_case(key, {"procedures": [{"code": typed}]}, codes)
    assert only(grade, "procedure").status == "correct"


# --- invalid and header codes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed,reason",
    [
        ("E11.99", "E11.99 does not exist in ICD-10-CM"),
        ("Q99.999", "does not exist in ICD-10-CM"),
        ("XYZ", "XYZ is not an ICD-10-CM code"),
        ("E11.22222", "is not an ICD-10-CM code"),
        ("99213", "it looks like a procedure code"),
        ("E11-22", "is not an ICD-10-CM code"),
        ("Е11.22", "is not an ICD-10-CM code"),  # a Cyrillic Е that only looks like E
    ],
)
def test_nonexistent_code_is_invalid_and_earns_nothing(codes, typed, reason):
    grade = grade_case(dx_key("E11.22"), {"diagnoses": [typed]}, codes)
    line = only(grade)
    assert line.status == "invalid"
    assert line.credit == 0.0
    assert reason in line.reason
    assert line.expected == "E11.22"
    assert grade.score == 0.0


@pytest.mark.parametrize(
    "key_code,typed,missing,credit",
    [
        ("S72.001A", "S72.001", "a 7th character", 0.1),
        ("E11.22", "E11", "a 4th character", 0.1),
        ("N18.31", "n183", "a 5th character", 0.1),
        ("E11.22", "S72.001", "a 7th character", 0.0),  # a header from another category: nothing
    ],
)
def test_header_code_is_not_billable_and_says_what_is_missing(codes, key_code, typed, missing, credit):
    line = only(grade_case(dx_key(key_code), {"diagnoses": [typed]}, codes))
    assert line.status == "not_billable"
    assert f"needs {missing}" in line.reason
    assert line.credit == credit


def test_extra_header_code_costs_a_penalty(codes):
    grade = grade_case(dx_key("E11.22"), {"diagnoses": ["E11.22", "S72.001"]}, codes)
    extra = grade.lines[1]
    assert (extra.status, extra.expected, extra.penalty) == ("not_billable", None, 0.5)
    assert grade.score == 1.0 - 0.5


# --- partial credit down the code ----------------------------------------------------------------


@pytest.mark.parametrize(
    "expected,given,status,credit,reason",
    [
        ("S72.001A", "S72.001D", "partial", 0.75,
         "wrong 7th character: D (subsequent encounter for closed fracture with routine healing) given, "
         "A (initial encounter for closed fracture) expected"),
        ("M17.11", "M17.12", "partial", 0.6, "wrong laterality: left vs right expected"),
        ("S72.001A", "S72.002A", "partial", 0.6, "wrong laterality: left vs right expected"),
        ("M17.11", "M17.10", "partial", 0.6, "wrong laterality: unspecified side vs right"),
        ("M17.0", "M17.11", "partial", 0.6,
         "wrong laterality: right vs bilateral expected (M17.11 given for M17.0)"),
        ("S72.002A", "S72.001D", "partial", 0.6 * 0.75,
         "wrong laterality: right vs left expected"),
        ("E11.22", "E11.21", "partial", 0.5, "right subcategory E11.2 but wrong detail"),
        ("N18.31", "N18.32", "partial", 0.5, "right subcategory N18.3 but wrong detail"),
        ("N18.31", "N18.9", "partial", 0.25, "right category N18 but less specific"),
        ("E11.22", "E11.9", "partial", 0.25, "right category E11 but wrong detail"),
        ("I13.10", "I12.9", "wrong", 0.0, "I12.9 (Hypertensive chronic kidney disease"),
        ("E11.22", "E10.22", "wrong", 0.0, "Excludes1 conflict with E11.22"),
        ("J02.0", "K35.80", "wrong", 0.0, "K35.80 (Unspecified acute appendicitis) given, J02.0"),
        ("E11.22", "E11.22", "correct", 1.0, "correct"),
    ],
)
def test_partial_credit_goes_down_the_code(codes, expected, given, status, credit, reason):
    line = only(grade_case(dx_key(expected), {"diagnoses": [given]}, codes))
    assert line.status == status
    assert line.credit == pytest.approx(credit)
    assert reason in line.reason
    assert (line.code, line.expected) == (given, expected)


def test_partial_reason_names_both_codes_with_descriptions(codes):
    line = only(grade_case(dx_key("E11.22"), {"diagnoses": ["E11.21"]}, codes))
    assert "E11.21 (Type 2 diabetes mellitus with diabetic nephropathy) given" in line.reason
    assert "E11.22 (Type 2 diabetes mellitus with diabetic chronic kidney disease) expected" in line.reason


def test_seventh_character_without_a_table_still_names_the_characters():
    class NoTable(FakeCodeSet):
        def get(self, system, code):
            entry = super().get(system, code)
            return dataclasses.replace(entry, seventh_characters=()) if entry else None

    line = only(grade_case(dx_key("S72.001A"), {"diagnoses": ["S72.001D"]}, NoTable()))
    assert line.reason == "wrong 7th character: D given, A expected"


def test_credit_table_orders_the_rules():
    assert 1.0 > CREDIT["seventh_character"] >= CREDIT["laterality"] > CREDIT["subcategory"]
    assert CREDIT["subcategory"] > CREDIT["category"] > CREDIT["header"] > 0
    assert sum(PROCEDURE_SHARES.values()) == pytest.approx(1.0)


# --- accepted alternatives and optional entries ----------------------------------------------


@pytest.mark.parametrize("given", ["J02.9", "J02.0", "j020"])
def test_accepted_alternatives_earn_full_credit(codes, given):
    key = {"diagnoses": [{"code": "J02.9", "accept": ["J02.0"]}]}
    line = only(grade_case(key, {"diagnoses": [given]}, codes))
    assert (line.status, line.credit, line.expected) == ("correct", 1.0, "J02.9")


def test_partial_credit_is_measured_against_the_closest_alternative(codes):
    key = {"diagnoses": [{"code": "E11.9", "accept": ["E11.22"]}]}
    line = only(grade_case(key, {"diagnoses": ["E11.21"]}, codes))
    assert line.credit == 0.5


OPTIONAL_KEY = {"diagnoses": [{"code": "E11.22"}, {"code": "N18.31"}, {"code": "Z23", "optional": True}]}


@pytest.mark.parametrize(
    "given,score,max_points,z23_status",
    [
        (["E11.22", "N18.31"], 1.0, 2.0, "missing"),
        (["E11.22", "N18.31", "Z23"], 1.0, 3.0, "correct"),
        (["E11.22", "Z23"], 2 / 3, 3.0, "correct"),
        (["E11.22"], 0.5, 2.0, "missing"),
    ],
)
def test_optional_entries_credit_when_given_and_cost_nothing_when_absent(codes, given, score, max_points, z23_status):
    grade = grade_case(OPTIONAL_KEY, {"diagnoses": given}, codes)
    z23 = next(line for line in grade.lines if line.expected == "Z23")
    assert z23.optional and z23.status == z23_status
    assert grade.score == pytest.approx(score, abs=1e-4)
    assert grade.max_points == max_points
    if z23_status == "missing":
        assert "no penalty" in z23.reason and z23.max_points == 0


def test_wrong_codes_are_not_paired_with_an_absent_optional_entry(codes):
    key = {"diagnoses": [{"code": "E11.22"}, {"code": "Z23", "optional": True}]}
    grade = grade_case(key, {"diagnoses": ["E11.22", "J02.9"]}, codes)
    assert [line.status for line in grade.lines] == ["correct", "missing", "extra"]


# --- matching and sequencing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given,statuses",
    [
        (["E11.22", "N18.31", "I10"], ["correct", "correct", "correct"]),
        (["E11.22", "I10", "N18.31"], ["correct", "correct", "correct"]),
        (["N18.31", "E11.22", "I10"], ["sequence", "correct", "correct"]),
        (["I10", "N18.31", "E11.22"], ["sequence", "correct", "correct"]),
        (["E11.22", "I10"], ["correct", "missing", "correct"]),
        (["I10", "N18.32", "E11.21"], ["partial", "partial", "correct"]),
        (["E11.22", "N18.31", "J02.9"], ["correct", "correct", "wrong"]),
    ],
)
def test_order_mistakes_do_not_cascade(codes, given, statuses):
    grade = grade_case(dx_key("E11.22", "N18.31", "I10"), {"diagnoses": given}, codes)
    assert [line.status for line in grade.lines] == statuses


def test_first_listed_given_second_gets_a_sequence_verdict(codes):
    grade = grade_case(dx_key("E11.22", "N18.31"), {"diagnoses": ["N18.31", "E11.22"]}, codes)
    first = grade.lines[0]
    assert (first.status, first.credit, first.given_position) == ("sequence", 0.5, 2)
    assert first.reason == "first-listed diagnosis not first"
    assert grade.score == pytest.approx((0.5 + 1) / 2)


def test_partial_first_listed_out_of_place_says_both(codes):
    line = grade_case(dx_key("S72.001A", "Z23"), {"diagnoses": ["Z23", "S72.001D"]}, codes).lines[0]
    assert line.status == "partial"
    assert line.credit == pytest.approx(0.75 * 0.5)
    assert "wrong 7th character" in line.reason and "first-listed diagnosis not first" in line.reason


def test_partial_matches_pair_by_best_total_not_by_position(codes):
    grade = grade_case(dx_key("E11.22", "N18.31"), {"diagnoses": ["N18.32", "E11.21"]}, codes)
    first, second = grade.lines
    assert (first.code, second.code) == ("E11.21", "N18.32")
    assert first.credit == 0.5 * 0.5
    assert second.credit == 0.5


def test_swapped_siblings_each_find_their_exact_match(codes):
    grade = grade_case(dx_key("M17.11", "M17.12"), {"diagnoses": ["M17.12", "M17.11"]}, codes)
    assert [(line.code, line.expected) for line in grade.lines] == [("M17.11", "M17.11"), ("M17.12", "M17.12")]


def test_exact_match_is_never_traded_for_two_partials():
    from app.grading.grader import _Checked, _Match, _pair
    from app.grading.parse import GivenLine, KeyEntry

    keys = (KeyEntry(1, "A", ("A",)), KeyEntry(2, "B", ("B",)))
    given = [_Checked(GivenLine(1, "a", "a"), "a"), _Checked(GivenLine(2, "b", "b"), "b")]
    # "a" is exactly A and half-right for B; "b" is 0.75 right for A: 0.5 + 0.75 beats 1.0 + 0,
    # yet the student who wrote A exactly keeps that credit.
    credit = {("A", "a"): 1.0, ("B", "a"): 0.5, ("A", "b"): 0.75}

    def compare(entry, line):
        value = credit.get((entry.code, line.code))
        return _Match(value, "x", "", exact=value == 1.0) if value else None

    paired = _pair(keys, given, compare)
    assert {i: j for i, (j, _) in paired.items()} == {0: 0}


def test_each_response_line_is_used_once(codes):
    grade = grade_case(dx_key("E11.22", "E11.21"), {"diagnoses": ["E11.22"]}, codes)
    assert [line.status for line in grade.lines] == ["correct", "missing"]


@pytest.mark.parametrize(
    "weights,best",
    [
        ([[1.0, 0.9], [0.9, 0.0]], 1.8),  # greedy would take 1.0 and end with 1.0
        ([[0.5, 0.4, 0.0], [0.4, 0.0, 0.0]], 0.8),
        ([[0.3], [0.6], [0.1]], 0.6),
        ([[0.0, 0.0], [0.0, 0.2]], 0.2),
    ],
)
def test_best_assignment_maximises_the_total(weights, best):
    pairs = best_assignment(weights)
    assert len({r for r, _ in pairs}) == len(pairs) == len({c for _, c in pairs})
    assert sum(weights[r][c] for r, c in pairs) == pytest.approx(best)


# --- procedures: code, modifiers and units ------------------------------------------------------------

E_M_KEY = {"procedures": [{"code": "99214", "modifiers": ["25"], "units": 1}]}
# the documented shares of a procedure line (code, modifiers, units), pinned
SHARE_CODE, SHARE_MODS, SHARE_UNITS = 0.6, 0.2, 0.2


@pytest.mark.parametrize(
    "given,status,credit,reason",
    [
        ({"code": "99214", "modifiers": ["25"], "units": 1}, "correct", 1.0, "correct"),
        ({"code": "99214", "modifiers": ["-25"]}, "correct", 1.0, "correct"),
        ({"code": "99214", "modifiers": "25", "units": "1"}, "correct", 1.0, "correct"),
        ({"code": "99214", "modifiers": ["25"], "units": 1.0}, "correct", 1.0, "correct"),
        ("99214-25", "correct", 1.0, "correct"),
        ({"code": "99214"}, "partial", SHARE_CODE + SHARE_UNITS, "missing modifier 25"),
        ({"code": "99214", "modifiers": ["25", "59"]}, "partial", 1 - SHARE_MODS / 2, "extra modifier 59"),
        ({"code": "99214", "modifiers": ["59"]}, "partial", SHARE_CODE + SHARE_UNITS, "wrong modifier 59, expected 25"),
        ({"code": "99214", "modifiers": ["25"], "units": 2}, "partial", SHARE_CODE + SHARE_MODS, "units 2, expected 1"),
        ({"code": "99214", "modifiers": ["25"], "units": "two"}, "partial", SHARE_CODE + SHARE_MODS,
         "units two is not a whole number, expected 1"),
        ({"code": "99214", "units": 3}, "partial", SHARE_CODE, "missing modifier 25; units 3, expected 1"),
        ({"code": "99214", "modifiers": ["25", "ZZ"]}, "partial", 1 - SHARE_MODS / 2,
         "ZZ is not a modifier in this code book"),
        ({"code": "99213", "modifiers": ["25"]}, "wrong", 0.0,
         "99213 (established-patient office visit, low) given, 99214"),
        ({"code": "99215", "modifiers": ["25"]}, "wrong", 0.0, "99215 (not in this code book's CPT list) given"),
        ({"code": "A9999"}, "wrong", 0.0, "A9999 (not in this code book's HCPCS Level II list) given"),
        ({"code": "E11.22"}, "invalid", 0.0, "it looks like an ICD-10-CM diagnosis code"),
        ({"code": "9921"}, "invalid", 0.0, "9921 is not a CPT or HCPCS code"),
        ({"code": "N18.31"}, "invalid", 0.0, "it looks like an ICD-10-CM diagnosis code"),
    ],
)
def test_procedure_code_modifiers_and_units_are_graded_separately(codes, given, status, credit, reason):
    line = only(grade_case(E_M_KEY, {"procedures": [given]}, codes), "procedure")
    assert line.status == status
    assert line.credit == pytest.approx(credit)
    assert reason in line.reason


@pytest.mark.parametrize(
    "key_mods,given_mods,credit,note",
    [
        (["59", "RT"], ["RT", "59"], 1.0, "modifier order differs"),
        (["RT"], ["LT"], 0.0, "wrong modifier LT, expected RT"),
        (["RT", "59"], ["RT"], 0.5, "missing modifier 59"),
        ([], ["XS"], 0.0, "extra modifier XS"),
        ([], [], 1.0, ""),
        (["RT"], ["rt", "RT"], 1.0, ""),
    ],
)
def test_modifier_sub_verdict(codes, key_mods, given_mods, credit, note):
    key = {"procedures": [{"code": "20610", "modifiers": key_mods}]}
    line = only(grade_case(key, {"procedures": [{"code": "20610", "modifiers": given_mods}]}, codes), "procedure")
    assert line.modifiers.credit == credit
    assert line.modifiers.reason == note or note in line.modifiers.reason
    assert line.units.credit == 1.0


def test_units_sub_verdict_for_drug_units(codes):
    key = {"procedures": [{"code": "J1885", "units": 2}]}
    line = only(grade_case(key, {"procedures": [{"code": "J1885", "units": 1}]}, codes), "procedure")
    assert (line.units.expected, line.units.given, line.units.credit) == (2, 1, 0.0)
    assert line.reason == "units 1, expected 2"


def test_same_procedure_twice_pairs_by_modifiers(codes):
    key = {"procedures": [{"code": "20610", "modifiers": ["RT"]}, {"code": "20610", "modifiers": ["LT", "59"]}]}
    given = [{"code": "20610", "modifiers": ["59", "LT"]}, {"code": "20610", "modifiers": ["RT"]}]
    grade = grade_case(key, {"procedures": given}, codes)
    assert [(line.status, line.given_position) for line in grade.lines] == [("correct", 2), ("correct", 1)]


def test_procedure_known_only_to_the_key_is_still_correct(codes):
    key = {"procedures": [{"code": "0591T"}]}  # not in the fake code book
    assert grade_case(key, {"procedures": ["0591T"]}, codes).score == 1.0


# --- extra codes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key,given,reason,penalty",
    [
        (["K35.80"], ["K35.80", "R10.9"],
         "signs and symptoms routinely associated with a confirmed diagnosis are not coded separately",
         0.5),
        (["J02.0"], ["J02.0", "R50.9"], "R50.9 is a symptom code", 0.5),
        (["E11.22"], ["E11.22", "E10.22"], "Excludes1 conflict with E11.22", 0.5),
        (["E10.22"], ["E10.22", "E11.9"], "Excludes1 conflict with E10.22", 0.5),
        (["I10"], ["I10", "O10.02"], "Excludes1 conflict with I10", 0.5),  # range O10-O11
        # the other direction: the EXTRA code's own Excludes1 note (I10: O10-O11) names the key code
        (["O10.02"], ["O10.02", "I10"], "Excludes1 conflict with O10.02", 0.5),
        (["E11.22", "N18.31"], ["E11.22", "N18.31", "J02.9"], "not documented in the vignette / not in the key",
         0.5),
        (["E11.22"], ["E11.22", "e1122"], "duplicate of line 1", 0.25),
        (["E11.22"], ["E11.22", "E11.99"], "E11.99 does not exist", 0.5),
        (["Z23"], ["Z23", "R50.9"], "not documented in the vignette", 0.5),
    ],
)
def test_extra_codes_cost_credit_and_say_why(codes, key, given, reason, penalty):
    grade = grade_case(dx_key(*key), {"diagnoses": given}, codes)
    extra = grade.lines[-1]
    assert extra.status in ("extra", "invalid")
    assert extra.expected is None and extra.credit == 0.0
    assert reason in extra.reason
    assert extra.penalty == penalty and extra.points == -penalty
    assert grade.penalties == penalty
    assert grade.score == pytest.approx((len(key) - penalty) / len(key))


@pytest.mark.parametrize(
    "key,given,statuses,reason",
    [
        # the student coded the appendicitis, so the pain is an integral symptom, not an attempt at J02.9
        (["K35.80", "J02.9"], ["K35.80", "R10.9"], ["correct", "missing", "extra"], "symptom"),
        # the student coded the symptom instead of the diagnosis: their wrong answer for it
        (["K35.80"], ["R10.9"], ["wrong"], "signs and symptoms routinely associated"),
        (["E11.22", "N18.31"], ["E11.22", "E10.22"], ["correct", "missing", "extra"], "Excludes1 conflict with E11.22"),
        (["E11.22", "N18.31"], ["E10.22", "N18.31"], ["wrong", "correct"], "Excludes1 conflict with E11.22"),
        (["E11.22", "N18.31"], ["E11.22", "J02.9"], ["correct", "wrong"], "J02.9 (Acute pharyngitis, unspecified) given"),
    ],
)
def test_extras_explained_by_a_coded_diagnosis_are_not_taken_as_wrong_answers(codes, key, given, statuses, reason):
    grade = grade_case(dx_key(*key), {"diagnoses": given}, codes)
    assert [line.status for line in grade.lines] == statuses
    assert any(reason in line.reason for line in grade.lines if line.status in ("wrong", "extra"))


def test_extra_procedure_is_not_in_the_key(codes):
    grade = grade_case(E_M_KEY, {"procedures": [{"code": "99214", "modifiers": ["25"]}, {"code": "96372"}]}, codes)
    extra = grade.lines[-1]
    assert (extra.status, extra.kind, extra.penalty) == ("extra", "procedure", 0.5)
    assert "not documented in the vignette / not in the key: 96372" in extra.reason


def test_many_extras_floor_the_score_at_zero(codes):
    grade = grade_case(dx_key("E11.22"), {"diagnoses": ["E11.22", "J02.9", "J02.0", "Z23", "I10", "R50.9"]}, codes)
    assert grade.score == 0.0 and grade.points == 0.0
    assert grade.max_points == 1.0


# --- scores and whole cases ----------------------------------------------------------------------------

FULL_KEY = {
    "diagnoses": [{"code": "E11.22"}, {"code": "N18.31"}, {"code": "I12.9"}, {"code": "Z23", "optional": True}],
    "procedures": [
        {"code": "99214", "modifiers": ["25"], "units": 1},
        {"code": "20610", "modifiers": ["RT"], "units": 1},
    ],
}


def test_a_perfect_answer_scores_one(codes):
    response = {"diagnoses": ["E11.22", "N18.31", "I12.9"],
                "procedures": [{"code": "99214", "modifiers": ["25"]}, {"code": "20610", "modifiers": ["RT"]}]}
    grade = grade_case(FULL_KEY, response, codes)
    assert (grade.score, grade.points, grade.max_points) == (1.0, 5.0, 5.0)
    assert [line.kind for line in grade.lines] == ["diagnosis"] * 4 + ["procedure"] * 2
    assert grade.code_release == FakeCodeSet.release


def test_a_mixed_answer_adds_up(codes):
    response = {"diagnoses": ["E11.21", "N18.31", "I10"],
                "procedures": [{"code": "99214"}, {"code": "20610", "modifiers": ["RT"], "units": 2}]}
    grade = grade_case(FULL_KEY, response, codes)
    expected_points = 0.5 + 1 + 0 + (1 - SHARE_MODS) + (1 - SHARE_UNITS)
    assert grade.points == pytest.approx(expected_points)
    assert grade.score == pytest.approx(expected_points / 5)
    assert sum(line.points for line in grade.lines) == pytest.approx(grade.points)


@pytest.mark.parametrize("response", [{}, {"diagnoses": [], "procedures": []}, None, {"diagnoses": ["", "  ", None]}])
def test_an_empty_answer_scores_zero(codes, response):
    grade = grade_case(FULL_KEY, response, codes)
    assert grade.score == 0.0
    assert {line.status for line in grade.lines} == {"missing"}


def test_a_pasted_list_of_codes_is_read(codes):
    grade = grade_case(dx_key("E11.22", "N18.31"), {"diagnoses": "e11.22, N1831"}, codes)
    assert grade.score == 1.0


def test_results_are_frozen(codes):
    grade = grade_case(FULL_KEY, {"diagnoses": ["E11.22"]}, codes)
    with pytest.raises(dataclasses.FrozenInstanceError):
        grade.score = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        grade.lines[0].status = "correct"
    assert isinstance(grade.lines, tuple)


def test_without_a_code_set_it_uses_the_default_one(monkeypatch):
    fake_module = types.ModuleType("app.codes")
    fake_module.default_codeset = FakeCodeSet
    monkeypatch.setitem(sys.modules, "app.codes", fake_module)
    assert grade_case(dx_key("E11.22"), {"diagnoses": ["e1122"]}).score == 1.0


def test_lookups_stay_few(codes):
    response = {"diagnoses": ["E11.22", "N18.32", "I12.9", "R50.9"],
                "procedures": [{"code": "99214", "modifiers": ["25"]}, {"code": "20610", "modifiers": ["RT"]}]}
    grade_case(FULL_KEY, response, codes)
    assert codes.lookups < 30


# --- garbage never raises ---------------------------------------------------------------------------

GARBAGE = [
    None, 0, 1, -1, 3.5, math.nan, math.inf, True, False, "", " ", "\x00", "E11.22" * 5000, "💉🩺", "Ｅ１１．２２",
    "\ud800", "DROP TABLE codes;--", "%s%s%n", b"E11.22", [], {}, (), set(), [None], [[]], [{}], {"code": None},
    {"code": 123}, {"code": ["E11.22"]}, {"code": {"x": 1}}, object(), ["E11.22", 5, None, {"code": b"x"}],
    {"diagnoses": "E11.22"}, {"diagnoses": 7}, {"procedures": "99214-25-59-LT-RT-XS-ZZ"},
    {"procedures": [{"code": "99214", "modifiers": 25, "units": "∞"}]},
    {"procedures": [{"code": "99214", "modifiers": [None, 5, ["25"]], "units": -3}]},
    {"procedures": [{"code": "99214", "units": 10**100}]},
    {"procedures": [{"code": 10**5000, "units": 10**5000, "modifiers": [10**5000]}], "diagnoses": [10**5000]},
    {"procedures": [{"code": "99214", "units": -(10**5000)}]}, 10**5000, -(10**5000), 2.5e300,
    {"procedures": [{"code": "99214", "units": "1e400"}]},
    {"procedures": [{"code": "99214", "units": float("nan")}]},
    {"diagnoses": ["E11.22"] * 10_000},
    {"diagnoses": [str(i) for i in range(500)], "procedures": [{"code": str(i)} for i in range(500)]},
]


def _random_thing(rng: random.Random, depth: int = 0):
    choices = [
        lambda: None,
        lambda: rng.randint(-10**12, 10**12),
        lambda: rng.random() * 1e6,
        lambda: rng.choice(list(ICD) + ["99214", "J1885", "25", "RT", "S72.001", "E11.99", ""]),
        lambda: "".join(chr(rng.randint(0, 0x10FFFF)) for _ in range(rng.randint(0, 30))
                        ).encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
        lambda: "".join(rng.choice("eE1.2 -_,;\n\t0xXrRS7A") for _ in range(rng.randint(0, 12))),
        lambda: "E" * rng.randint(0, 100_000),
    ]
    if depth < 3:
        choices += [
            lambda: [_random_thing(rng, depth + 1) for _ in range(rng.randint(0, 8))],
            lambda: {rng.choice(["code", "modifiers", "units", "accept", "optional", "diagnoses", "procedures", 5]):
                     _random_thing(rng, depth + 1) for _ in range(rng.randint(0, 5))},
        ]
    return rng.choice(choices)()


def _assert_sane(grade: CaseGrade) -> None:
    assert isinstance(grade, CaseGrade)
    assert 0.0 <= grade.score <= 1.0 and not math.isnan(grade.score)
    assert grade.points >= 0 and grade.max_points >= 0
    for line in grade.lines:
        assert line.status in STATUSES
        assert line.kind in ("diagnosis", "procedure")
        assert 0.0 <= line.credit <= 1.0
        assert isinstance(line.reason, str)
        assert line.code is None or len(line.code) <= 64


@pytest.mark.parametrize("garbage", GARBAGE, ids=lambda g: type(g).__name__)
def test_garbage_response_never_raises(codes, garbage):
    _assert_sane(grade_case(FULL_KEY, garbage, codes))
    _assert_sane(grade_case(FULL_KEY, {"diagnoses": garbage, "procedures": garbage}, codes))
    odd_line = {"code": "99214", "units": garbage, "modifiers": garbage}
    _assert_sane(grade_case(FULL_KEY, {"diagnoses": [garbage], "procedures": [garbage, odd_line]}, codes))


@pytest.mark.parametrize("garbage", GARBAGE, ids=lambda g: type(g).__name__)
def test_garbage_key_never_raises(codes, garbage):
    _assert_sane(grade_case(garbage, {"diagnoses": ["E11.22"]}, codes))
    _assert_sane(grade_case({"diagnoses": garbage, "procedures": garbage}, {"diagnoses": ["E11.22"]}, codes))
    _assert_sane(grade_case({"diagnoses": [{"code": "E11.22", "accept": garbage, "optional": garbage}]},
                            {"diagnoses": ["E11.22"]}, codes))


@pytest.mark.parametrize("seed", range(150))
def test_random_garbage_never_raises(codes, seed):
    rng = random.Random(seed)
    key = FULL_KEY if seed % 3 else _random_thing(rng)
    response = {"diagnoses": _random_thing(rng), "procedures": _random_thing(rng)} if seed % 2 else _random_thing(rng)
    _assert_sane(grade_case(key, response, codes))


def test_a_code_set_that_raises_on_odd_input_does_not_break_grading():
    class Touchy(FakeCodeSet):
        def get(self, system, code):
            if code.startswith("J"):
                raise ValueError("no")
            return super().get(system, code)

        def excludes1_refs(self, code):
            raise LookupError(code)

    grade = grade_case(dx_key("E11.22"), {"diagnoses": ["E11.22", "J02.9"]}, Touchy())
    assert [line.status for line in grade.lines] == ["correct", "invalid"]


@pytest.mark.parametrize(
    "ref,code,covered",
    [
        ("I10-I16", "I12.9", True),
        ("I10-I16", "I16.0", True),
        ("I10-I16", "I20.9", False),
        ("O10-O11", "O10.02", True),
        ("E10", "E10.22", True),
        ("E10", "E11.22", False),
        ("O24.4", "O24.410", True),
        ("O24.4-", "O24.419", True),
        ("E08.-", "E08.9", True),
        ("J09.X2", "J09.X2", True),
        ("", "E11.22", False),
        ("-", "E11.22", False),
    ],
)
def test_excludes1_references_cover_prefixes_and_ranges(ref, code, covered):
    assert _ref_covers(ref, code) is covered


# --- the engine stays pure ------------------------------------------------------------------------


def test_grading_imports_neither_flask_nor_sqlalchemy():
    import re
    from pathlib import Path

    import app.grading

    imports = re.compile(r"^\s*(?:from|import)\s+([\w.]+)", re.MULTILINE)
    for source in Path(app.grading.__file__).parent.glob("*.py"):
        for module in imports.findall(source.read_text()):
            top = module.split(".")[0]
            assert top not in ("flask", "flask_sqlalchemy", "sqlalchemy", "sqlite3"), (source.name, module)


def test_importing_the_grader_does_not_open_the_code_book():
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = "import sys, app.grading; print(sorted(m for m in sys.modules if m.startswith('app.codes')))"
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    # the code-shape rules (app.codes.shapes) and the Code type load; the code book does not
    assert set(eval(result.stdout)) <= {"app.codes", "app.codes.model", "app.codes.shapes"}


def test_stored_verdicts_are_the_same_data_as_dataclasses_asdict(codes):
    key = {"diagnoses": ["E11.22", "N18.31"], "procedures": [{"code": "99214", "modifiers": ["25"], "units": 1}]}
    given = {"diagnoses": ["E11.9", "I10"], "procedures": [{"code": "99214", "modifiers": ["59"], "units": 2}]}
    lines = grade_case(key, given, codes=codes).lines
    assert any(line.modifiers is not None and line.units is not None for line in lines)
    for line in lines:
        assert line.as_dict() == dataclasses.asdict(line)


# --- the documented numbers, pinned (the tables above are checked against these, not against themselves)


def test_credit_and_penalty_tables_are_the_documented_ones():
    """The module docstring of app/grading/grader.py documents these numbers; instructors rely on them."""
    assert CREDIT == {"exact": 1.0, "seventh_character": 0.75, "laterality": 0.6, "subcategory": 0.5,
                      "category": 0.25, "header": 0.1}
    assert SEQUENCE_FACTOR == 0.5
    assert PROCEDURE_SHARES == {"code": 0.6, "modifiers": 0.2, "units": 0.2}
    assert EXTRA_PENALTY == {"duplicate": 0.25, "excludes1": 0.5, "symptom": 0.5, "invalid": 0.5,
                             "not_billable": 0.5, "not_in_key": 0.5}


def test_header_of_an_accepted_alternative_earns_header_credit(codes):
    key = {"diagnoses": [{"code": "E11.22", "accept": ["I12.9"]}], "procedures": []}
    line = only(grade_case(key, {"diagnoses": ["I12"]}, codes))
    assert line.status == "not_billable" and line.credit == 0.1
