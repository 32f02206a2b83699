"""Coding-case files: loader validation (file:line errors), code checks, and the shipped cases."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # allow running this file without an installed package / rootdir conftest
    sys.path.insert(0, str(ROOT))

from app.codes.model import Code  # noqa: E402
from app.codes.shapes import procedure_system  # noqa: E402
from app.content.cases import (  # noqa: E402
    DOMAIN_TAGS,
    Case,
    check_case_codes,
    load_case,
    load_cases,
)
from app.content.errors import ContentError  # noqa: E402

CASES_DIR = ROOT / "content" / "quizzes" / "cases"

# Line numbers below are 1-based lines of VALID.
VALID = """\
kind: case
slug: sample-case
title: Sample case
setting: outpatient
code_year: 2026
difficulty: 2
domains: [icd10cm:ch04, cpt:em, modifiers]
vignette: |
  A 60-year-old man with type 2 diabetes and stage 3a kidney disease.
answer_key:
  diagnoses:
    - code: E11.22
      rationale: Diabetes with kidney disease is a combination code.
    - code: N18.31
      rationale: Use an additional code for the CKD stage.
    - code: Z79.84
      optional: true
      accept: [Z79.899]
      rationale: Long-term oral hypoglycemic.
  procedures:
    - code: "99214"
      label: established-patient office visit, moderate
      modifiers: ["25"]
      units: 1
      rationale: Moderate MDM.
"""


def write(tmp_path: Path, text: str, name: str = "sample-case") -> Path:
    p = tmp_path / f"{name}.yml"
    p.write_text(text, encoding="utf-8")
    return p


def mutate(old: str, new: str) -> str:
    assert VALID.count(old) == 1, old
    return VALID.replace(old, new)


# --------------------------------------------------------------------------- loading


def test_valid_case_loads(tmp_path):
    case = load_case(write(tmp_path, VALID))
    assert isinstance(case, Case)
    assert case.slug == "sample-case"
    assert case.setting == "outpatient" and case.code_year == 2026 and case.difficulty == 2
    assert case.domains == ("icd10cm:ch04", "cpt:em", "modifiers")
    assert [k.code for k in case.diagnoses] == ["E11.22", "N18.31", "Z79.84"]
    assert case.diagnoses[0].line == 12
    z = case.diagnoses[2]
    assert z.optional and z.accept == ("Z79.899",) and z.accept_lines == (18,)
    (px,) = case.procedures
    assert px.code == "99214" and px.modifiers == ("25",) and px.units == 1 and px.line == 21
    assert px.modifier_lines == (23,)
    key = case.answer_key
    assert key["diagnoses"][2] == {"code": "Z79.84", "optional": True, "accept": ["Z79.899"],
                                   "rationale": "Long-term oral hypoglycemic."}
    assert key["procedures"][0]["code"] == "99214"
    assert key["procedures"][0]["modifiers"] == ["25"] and key["procedures"][0]["units"] == 1


def test_case_is_frozen(tmp_path):
    case = load_case(write(tmp_path, VALID))
    with pytest.raises(AttributeError):
        case.slug = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        case.diagnoses[0].code = "E11.9"  # type: ignore[misc]


def test_diagnosis_code_is_normalised(tmp_path):
    case = load_case(write(tmp_path, mutate("- code: E11.22", "- code: e1122")))
    assert case.diagnoses[0].code == "E11.22"


def test_procedures_may_be_absent(tmp_path):
    text = VALID.split("  procedures:")[0]
    case = load_case(write(tmp_path, text))
    assert case.procedures == ()


BAD = [
    # (old, new, expected line, message fragment)
    ("kind: case", "kind: quiz", 1, "kind must be 'case'"),
    ("kind: case\n", "", 1, "missing required field 'kind'"),
    ("slug: sample-case", "slug: Sample_Case", 2, "slug 'Sample_Case'"),
    ("slug: sample-case", "slug: other-case", 2, "must equal the file name"),
    ("title: Sample case", "title: ''", 3, "title must not be empty"),
    ("setting: outpatient", "setting: clinic", 4, "setting 'clinic'"),
    ("code_year: 2026", "code_year: '2026'", 5, "code_year must be an integer"),
    ("code_year: 2026", "code_year: 2026.5", 5, "code_year must be an integer"),
    ("difficulty: 2", "difficulty: 4", 6, "difficulty must be 1, 2 or 3"),
    ("difficulty: 2", "difficulty: true", 6, "difficulty must be an integer"),
    ("domains: [icd10cm:ch04, cpt:em, modifiers]", "domains: [icd10cm:ch04, cpt:surgery]", 7,
     "unknown domain tag 'cpt:surgery'"),
    ("domains: [icd10cm:ch04, cpt:em, modifiers]", "domains: []", 7, "at least one tag"),
    ("domains: [icd10cm:ch04, cpt:em, modifiers]", "domains: icd10cm:ch04", 7, "domains must be a list"),
    ("vignette: |\n  A 60-year-old man with type 2 diabetes and stage 3a kidney disease.\n",
     "vignette: ''\n", 8, "vignette must not be empty"),
    # the Markdown shape limits (app/content/markdown.py): past them the vignette would show as plain text
    ("vignette: |\n  A 60-year-old man with type 2 diabetes and stage 3a kidney disease.\n",
     "vignette: |\n  A 60-year-old man [" + "[" * 150 + "\n", 8, "vignette: A [ has no ]"),
    ("title: Sample case", "title: Sample case\nauthor: someone", 4, "unknown key 'author'"),
    ("  diagnoses:", "  dx:", 11, "unknown key 'dx'"),
    ("      rationale: Diabetes with kidney disease is a combination code.\n", "", 12, "missing 'rationale'"),
    ("      rationale: Diabetes with kidney disease is a combination code.",
     "      rationale: '  '", 13, "rationale must not be empty"),
    ("    - code: N18.31", "    - code: N18-31", 14, "not shaped like an ICD-10-CM code"),
    ("      optional: true", "      optional: maybe", 17, "optional must be true or false"),
    ("      accept: [Z79.899]", "      accept: Z79.899", 18, "accept must be a list"),
    ("      accept: [Z79.899]", "      accept:\n        - Z79.899\n        - 1234", 20,
     "accept entry must be a string"),
    ("      rationale: Use an additional code for the CKD stage.",
     "      rationale: Use an additional code for the CKD stage.\n      units: 2", 16, "unknown key 'units'"),
    ('    - code: "99214"', "    - code: 99214", 21, "must be a string (quote it)"),
    ('    - code: "99214"', '    - code: "9921"', 21, "not a CPT number"),
    ("      label: established-patient office visit, moderate",
     "      label: a visit to the office for an established patient", 22, "label has 9 words"),
    # the CPT wording rule (app/codes/cpt_wording.py) on a CPT code's label
    ("      label: established-patient office visit, moderate",
     "      label: lesion excision, trunk, arms or legs", 22, "label breaks the CPT wording rule"),
    ("      label: established-patient office visit, moderate",
     "      label: critical care, first 30-74 minutes", 22, "descriptor shape"),
    ("      label: established-patient office visit, moderate",
     "      label: psychiatric diagnostic evaluation", 22, "retired label"),
    ('      modifiers: ["25"]', "      modifiers: [25]", 23, "must be a string (quote it)"),
    ('      modifiers: ["25"]', '      modifiers: ["255"]', 23, "must be 2 letters or digits"),
    ('      modifiers: ["25"]', '      modifiers: "25"', 23, "modifiers must be a list"),
    ("      units: 1", "      units: 0", 24, "units must be a positive integer"),
    ("      units: 1", "      units: '2'", 24, "units must be an integer"),
    ("      rationale: Moderate MDM.", "      rationale: Moderate MDM.\n      pos: 11", 26, "unknown key 'pos'"),
    ("    - code: N18.31", "    - code: E11.22", 14, "listed twice"),
    ("title: Sample case", "title: [unclosed", 4, "YAML syntax error"),
    ("title: Sample case", "title: Sample case\ntitle: Again", 4, "duplicate key 'title'"),
]


@pytest.mark.parametrize("old,new,line,fragment", BAD, ids=[f"{b[3]}@{b[2]}" for b in BAD])
def test_malformed_field_names_file_and_line(tmp_path, old, new, line, fragment):
    path = write(tmp_path, mutate(old, new))
    with pytest.raises(ContentError) as info:
        load_case(path)
    err = info.value
    assert err.path == str(path)
    assert fragment in err.message, err.message
    assert err.line == line, str(err)
    assert str(err) == f"{path}:{line}: {err.message}"


def test_empty_diagnoses_rejected(tmp_path):
    text = VALID.split("  diagnoses:")[0] + "  diagnoses: []\n"
    with pytest.raises(ContentError) as info:
        load_case(write(tmp_path, text))
    assert info.value.line == 11 and "at least one diagnosis" in info.value.message


def test_empty_file_rejected(tmp_path):
    with pytest.raises(ContentError) as info:
        load_case(write(tmp_path, ""))
    assert "empty" in info.value.message


def test_load_cases_reads_a_directory(tmp_path):
    write(tmp_path, VALID)
    write(tmp_path, VALID.replace("slug: sample-case", "slug: second-case"), name="second-case")
    (tmp_path / "notes.txt").write_text("ignored")
    cases = load_cases(tmp_path)
    assert [c.slug for c in cases] == ["sample-case", "second-case"]


def test_load_cases_reports_first_bad_file(tmp_path):
    write(tmp_path, VALID)
    bad = write(tmp_path, VALID.replace("slug: sample-case", "slug: zz-case").replace("units: 1", "units: -1"),
                name="zz-case")
    with pytest.raises(ContentError) as info:
        load_cases(tmp_path)
    assert info.value.path == str(bad) and info.value.line == 24


def test_content_error_str():
    e = ContentError("a/b.yml", 7, "boom")
    assert str(e) == "a/b.yml:7: boom"
    assert (e.path, e.line, e.message) == ("a/b.yml", 7, "boom")
    unknown = ContentError(Path("a/b.yml"), None, "cannot read")
    assert unknown.line is None and str(unknown) == "a/b.yml: cannot read"


def test_content_error_pickles():
    import pickle

    e = pickle.loads(pickle.dumps(ContentError("a.yml", 3, "x")))
    assert (e.path, e.line, e.message) == ("a.yml", 3, "x")


def test_missing_file_is_a_content_error(tmp_path):
    with pytest.raises(ContentError) as info:
        load_case(tmp_path / "nope.yml")
    assert info.value.line is None and "cannot read file" in info.value.message


@pytest.mark.parametrize("code,system", [("99214", "cpt"), ("00790", "cpt"), ("0591T", "cpt"),
                                         ("J1885", "hcpcs"), ("G0008", "hcpcs"), ("E11.22", None)])
def test_procedure_system(code, system):
    assert procedure_system(code) == system


# --------------------------------------------------------------------------- code checks


class FakeCodeSet:
    """A tiny stand-in for app.codes' CodeSet."""

    release = "ICD-10-CM April 2026"

    def __init__(self) -> None:
        icd = {
            "E11": False, "E11.2": False, "E11.22": True, "N18": False, "N18.31": True,
            "Z79.84": True, "Z79.899": True, "S52.52": False,
        }
        self.entries = {("icd10cm", c): Code("icd10cm", c, "", b) for c, b in icd.items()}
        for c in ("99214", "00790"):
            self.entries[("cpt", c)] = Code("cpt", c, "", True)
        for c in ("J1885", "G0008"):
            self.entries[("hcpcs", c)] = Code("hcpcs", c, "", True)
        for c in ("25", "59", "LT", "RT"):
            self.entries[("modifier", c)] = Code("modifier", c, "", True)

    def get(self, system, code):
        return self.entries.get((system, code.strip().upper()))

    def missing_detail(self, system, code):
        if code.startswith("S"):
            return "a 7th character"
        return "needs more characters"  # the real SqliteCodeSet phrases it this way

    def excludes1_refs(self, code):
        return ()


def test_valid_case_passes_code_check(tmp_path):
    assert check_case_codes(load_case(write(tmp_path, VALID)), FakeCodeSet()) == []


@pytest.mark.parametrize(
    "old,new,line,message",
    [
        ("- code: E11.22", "- code: E11", 12, "E11: not billable — needs more characters"),
        ("- code: E11.22", "- code: E11.2", 12, "E11.2: not billable — needs more characters"),
        ("- code: N18.31", "- code: S52.52", 14, "S52.52: not billable — needs a 7th character"),
        ("- code: N18.31", "- code: N18.39", 14, "N18.39: not a valid ICD-10-CM code"),
        ("accept: [Z79.899]", "accept: [Z79.4]", 18, "Z79.4: not a valid ICD-10-CM code"),
        ('- code: "99214"', '- code: "99215"', 21, "99215: unknown CPT code"),
        ('- code: "99214"', '- code: "J9999"', 21, "J9999: unknown HCPCS code"),
        ('modifiers: ["25"]', 'modifiers: ["XZ"]', 23, "XZ: unknown modifier"),
    ],
)
def test_bad_key_code_is_reported(tmp_path, old, new, line, message):
    path = write(tmp_path, mutate(old, new))
    errors = check_case_codes(load_case(path), FakeCodeSet())
    assert [(e.path, e.line, e.message) for e in errors] == [(str(path), line, message)]


def test_code_year_mismatch_is_reported(tmp_path):
    path = write(tmp_path, mutate("code_year: 2026", "code_year: 2022"))
    errors = check_case_codes(load_case(path), FakeCodeSet())
    assert len(errors) == 1 and errors[0].line == 5 and "code_year 2022" in errors[0].message


# --------------------------------------------------------------------------- shipped cases

SHIPPED = sorted(CASES_DIR.glob("*.yml"))


def test_shipped_cases_load():
    cases = load_cases(CASES_DIR)
    assert len(cases) >= 40
    assert len({c.slug for c in cases}) == len(cases)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_case_is_well_formed(path):
    case = load_case(path)
    assert case.code_year == 2026
    assert set(case.domains) <= DOMAIN_TAGS
    assert all(k.rationale for k in case.diagnoses + case.procedures)
    # the first-listed / principal diagnosis is never optional
    assert not case.diagnoses[0].optional


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_case_icd_codes_exist_in_fy2026_tabular(path, icd_package):
    """Every diagnosis in every shipped key is a valid, billable FY2026 ICD-10-CM code."""
    cm = icd_package
    case = load_case(path)
    bad = []
    for k in case.diagnoses:
        for code in (k.code, *k.accept):
            if not (cm.is_valid_item(code) and cm.is_leaf(code)):
                bad.append(code)
    assert bad == []


@pytest.fixture(scope="module")
def icd_package():
    return pytest.importorskip("simple_icd_10_cm")


def test_all_shipped_cases_pass_code_check_against_real_db(codeset):
    """Every shipped case's codes exist in the real code-set DB (app.codes SqliteCodeSet):
    billable FY2026 ICD-10-CM codes, known CPT/HCPCS numbers, known modifiers."""
    errors = [str(e) for case in load_cases(CASES_DIR) for e in check_case_codes(case, codeset)]
    assert errors == []


def test_real_db_reports_non_billable_key_code(tmp_path, codeset):
    path = write(tmp_path, mutate("- code: N18.31", "- code: S52.522"))
    errors = check_case_codes(load_case(path), codeset)
    assert len(errors) == 1
    assert errors[0].line == 14
    assert errors[0].message.startswith("S52.522: not billable — needs a 7th character")


def test_shipped_keys_answered_perfectly_score_full_marks(codeset):
    """Answering each shipped case exactly as its key says (with or without the optional lines,
    or with an accepted alternative) earns full credit: no key code trips the grader's own rules
    (e.g. an Excludes1 conflict between two key codes)."""
    grading = pytest.importorskip("app.grading")
    low = []
    for case in load_cases(CASES_DIR):
        procedures = [{"code": k.code, "modifiers": list(k.modifiers), "units": k.units} for k in case.procedures]
        required = [p for p, k in zip(procedures, case.procedures) if not k.optional]
        answers = {
            "all": {"diagnoses": [k.code for k in case.diagnoses], "procedures": procedures},
            "required": {"diagnoses": [k.code for k in case.diagnoses if not k.optional], "procedures": required},
            "accepted": {"diagnoses": [(k.accept[0] if k.accept else k.code) for k in case.diagnoses],
                         "procedures": procedures},
        }
        for name, response in answers.items():
            grade = grading.grade_case(case.answer_key, response, codeset)
            if grade.score < 1.0:
                low.append((case.slug, name, grade.score))
    assert low == []
