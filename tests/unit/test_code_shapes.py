"""app.codes.shapes: every code of the built code set is its own system's shape and no other's,
and every caller (grader, claim edits, case and question loaders, quiz keys, look-up) reads a
code's shape the same way."""
from __future__ import annotations

import re
import sqlite3
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.codes import shapes  # noqa: E402
from app.codes.lookup import normalize  # noqa: E402
from app.codes.model import CPT, HCPCS, ICD10CM, MODIFIER  # noqa: E402

#: the one predicate that must say yes for each system's codes (every other must say no)
OWN = {
    CPT: shapes.is_cpt,
    HCPCS: shapes.is_hcpcs,
    ICD10CM: shapes.is_icd10cm,
    MODIFIER: shapes.is_modifier,
}


def _codes(db_path: Path, system: str) -> list[str]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        # chapters ("17") and blocks ("Q00-Q07") are headings of the tabular list, not codes
        rows = conn.execute(
            "SELECT code FROM codes WHERE system = ? AND kind IN ('category', 'subcategory', 'code')",
            (system,),
        ).fetchall()
    finally:
        conn.close()
    return [code for (code,) in rows]


@pytest.mark.parametrize("system", [CPT, HCPCS, ICD10CM, MODIFIER])
def test_every_code_in_the_code_set_is_its_own_system_and_no_other(codes_db_path, system):
    codes = _codes(codes_db_path, system)
    assert len(codes) > {CPT: 500, HCPCS: 200, ICD10CM: 90_000, MODIFIER: 100}[system]
    not_own = [c for c in codes if not OWN[system](c)]
    assert not not_own, f"{len(not_own)} {system} codes not recognised as {system}: {not_own[:10]}"
    for other, is_other in OWN.items():
        if other != system:
            taken = [c for c in codes if is_other(c)]
            assert not taken, f"{len(taken)} {system} codes also read as {other}: {taken[:10]}"
    if system != MODIFIER:
        wrong = [c for c in codes if shapes.system_of(c) != system]
        assert not wrong, f"system_of names another system for {wrong[:10]}"
    respelled = [c for c in codes if normalize(system, c.lower()) != c]
    assert not respelled, f"normalize changes {respelled[:10]}"


@pytest.mark.parametrize("code, system", [
    ("99214", CPT),       # Category I
    ("00790", CPT),       # Category I, anesthesia
    ("0001A", CPT),       # Category I vaccine administration
    ("0002M", CPT),       # administrative code for a multianalyte assay (MAAA)
    ("0001M", CPT),
    ("0001F", CPT),       # Category II
    ("0591T", CPT),       # Category III
    ("0001U", CPT),       # proprietary laboratory analysis
    ("J1885", HCPCS),
    ("G0008", HCPCS),
    ("V5010", HCPCS),
    ("E11.22", ICD10CM),
    ("E11", ICD10CM),
    ("C4A.0", ICD10CM),
    ("S72.001A", ICD10CM),
    ("QA0.0101", ICD10CM),  # FY2026: a letter in the second place
    ("E1122", HCPCS),     # without its dot a diagnosis is HCPCS-shaped; the dot decides
    ("0001X", None),      # no CPT code ends in X
    ("0001B", None),
    ("W1234", None),      # HCPCS Level II letters stop at V
    ("9921", None),
    ("992144", None),
    ("E11.22345", None),  # seven characters at most
    ("XYZ", None),
    ("EB1", None),
    ("25", None),         # a modifier or a place of service: named by its field, not its shape
    ("", None),
])
def test_system_of(code, system):
    assert shapes.system_of(code) == system


# --------------------------------------------------------------------------- callers agree

PROCEDURES = [("0001M", CPT), ("0001A", CPT), ("0001F", CPT), ("0591T", CPT), ("0001U", CPT),
              ("99214", CPT), ("J1885", HCPCS)]


@pytest.mark.parametrize("code, system", PROCEDURES)
def test_the_grader_reads_every_cpt_category_as_a_procedure(code, system):
    from app.grading.grader import grade_case

    grade = grade_case({"procedures": [{"code": code}]}, {"procedures": [code]}, codes=_NoCodes())
    (line,) = grade.procedures
    assert "not a CPT or HCPCS code" not in line.reason
    assert line.credit == 1.0


@pytest.mark.parametrize("code, system", PROCEDURES)
def test_the_question_bank_reads_every_cpt_category_as_its_system(code, system):
    from app.content.questions import parse_code

    assert parse_code(code) == (system, code)


@pytest.mark.parametrize("code, system", PROCEDURES)
def test_quiz_keys_read_every_cpt_category_as_a_procedure(code, system):
    from app.content.quizfiles import key_code_problems

    problems = key_code_problems({"procedures": [{"code": code}]}, _NoCodes())
    assert problems == {"procedures": [f"{code}: unknown {system.upper()} code."]}


@pytest.mark.parametrize("code, system", PROCEDURES)
def test_the_case_loader_reads_every_cpt_category_as_a_procedure(tmp_path, code, system):
    from app.content.cases import load_case

    from test_content_cases import VALID  # a sound case file

    path = tmp_path / "sample-case.yml"
    path.write_text(VALID.replace('- code: "99214"', f'- code: "{code}"'), encoding="utf-8")
    assert load_case(path).procedures[0].code == code


@pytest.mark.parametrize("code, system", PROCEDURES)
def test_the_claim_engine_and_look_up_read_every_cpt_category_as_its_system(code, system):
    import importlib

    rules = importlib.import_module("app.claims.rules")  # app.claims.rules is also a function's name
    assert rules.procedure_system(code) == system
    assert normalize(system, code.lower()) == code


#: fragments of a code-shape regex: written anywhere but app/codes/shapes.py, a rule is copied
COPIED_SHAPE = re.compile(
    r"\\d\{4\}\[|\[0-9\]\{4\}\[|\[A-[VZ]\](?:\\d|\[0-9\])\{4\}|\[A-Z\](?:\\d|\[0-9\])\[0-9A-Z\](?!\{)"
)


def test_no_module_but_shapes_writes_a_code_shape():
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "app").rglob("*.py"))
        if path != ROOT / "app" / "codes" / "shapes.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if COPIED_SHAPE.search(line)
    ]
    assert offenders == []


def test_the_copied_shape_guard_sees_the_old_copies():
    for copy in (r'CPT_RE = re.compile(r"^(?:\d{5}|\d{4}[FTUM])$")',
                 r'HCPCS_SHAPE = re.compile(r"[A-V][0-9]{4}")',
                 r'ICD_RE = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?$")'):
        assert COPIED_SHAPE.search(copy), copy


class _NoCodes:
    """A code set that knows no code: shape alone decides what the callers say."""

    release = "test"

    def get(self, system, code):
        return None

    def missing_detail(self, system, code):
        return None

    def excludes1_refs(self, code):
        return ()
