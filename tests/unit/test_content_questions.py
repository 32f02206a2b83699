"""Practice-exam question bank: loader validation (file:line errors), code checks, shipped bank."""
from __future__ import annotations

import collections
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # allow running this file without an installed package / rootdir conftest
    sys.path.insert(0, str(ROOT))

from app.codes.model import Code  # noqa: E402
from app.content.errors import ContentError  # noqa: E402
from app.content.questions import (  # noqa: E402
    EXAMS,
    QuestionBank,
    QuestionFile,
    check_question_codes,
    load_question_bank,
    load_question_file,
    parse_code,
)

BANK_DIR = ROOT / "content" / "questions"
DOMAINS = (
    "cpt-em",
    "cpt-surgery",
    "cpt-radiology-lab-medicine",
    "cpt-anesthesia",
    "icd10cm",
    "hcpcs-modifiers",
    "anatomy-terminology",
    "compliance",
    "claim-life-cycle",
    "remittance-denials",
    "reimbursement",
)

# Line numbers in the tests below are 1-based lines of VALID.
VALID = """\
domain: sample-domain
title: Sample domain
exams: [cpc, cpb]
questions:
  - id: s-001
    difficulty: 2
    stem: A new patient is seen for a moderate problem. Which code applies?
    choices:
      - text: "99203"
        why: Right. Level 3.
      - text: "99204"
        why: Too high.
      - text: "99202"
        why: Too low.
      - text: "99213"
        why: Established patient code.
    answer: 0
    codes: ["99203", "99204", "99202", "99213", "modifier:25", {code: E11, header: true}, E11.22]
    tags: [new-patient]
  - id: s-002
    difficulty: 1
    stem: Which group code means the patient owes the amount?
    choices:
      - text: PR
        why: Right. Patient responsibility.
      - text: CO
        why: Contractual obligation.
      - text: OA
        why: Other adjustment.
      - text: PI
        why: Payer-initiated reduction.
    answer: 0
    codes:
      - icd10cm:e119
      - {code: S06.0A, invalid: true}
      - pos:11
"""


def write(tmp_path: Path, text: str, name: str = "sample-domain") -> Path:
    p = tmp_path / f"{name}.yml"
    p.write_text(text, encoding="utf-8")
    return p


def mutate(old: str, new: str) -> str:
    assert VALID.count(old) == 1, old
    return VALID.replace(old, new)


# --------------------------------------------------------------------------- loading


def test_valid_file_loads(tmp_path):
    qf = load_question_file(write(tmp_path, VALID))
    assert isinstance(qf, QuestionFile)
    assert qf.domain == "sample-domain" and qf.title == "Sample domain"
    assert qf.exams == ("cpc", "cpb")
    q1, q2 = qf.questions
    assert q1.id == "s-001" and q1.domain == "sample-domain" and q1.difficulty == 2
    assert [c.text for c in q1.choices] == ["99203", "99204", "99202", "99213"]
    assert q1.answer == 0 and q1.correct.text == "99203" and q1.rationale == "Right. Level 3."
    assert [c.line for c in q1.choices] == [9, 11, 13, 15]
    assert q1.line == 5 and q1.lines["answer"] == 17 and q1.lines["codes"] == 18
    assert [(c.system, c.code, c.header) for c in q1.codes] == [
        ("cpt", "99203", False), ("cpt", "99204", False), ("cpt", "99202", False),
        ("cpt", "99213", False), ("modifier", "25", False), ("icd10cm", "E11", True),
        ("icd10cm", "E11.22", False),
    ]
    assert q1.tags == ("new-patient",)
    assert q2.tags == ()
    assert [(c.ref, c.line, c.invalid) for c in q2.codes] == [
        ("icd10cm:E11.9", 34, False), ("icd10cm:S06.0A", 35, True), ("pos:11", 36, False),
    ]


@pytest.mark.parametrize(
    "old,new,line,fragment",
    [
        ("domain: sample-domain", "domain: other-domain", 1, "must equal the file name"),
        ("domain: sample-domain", "domain: Sample_Domain", 1, "lowercase"),
        ("title: Sample domain\n", "title: Sample domain\nauthor: me\n", 3, "unknown key 'author'"),
        ("title: Sample domain\n", "", 1, "missing required field 'title'"),
        ("exams: [cpc, cpb]", "exams: [cpc, ccs]", 3, "unknown exam id 'ccs'"),
        ("exams: [cpc, cpb]", "exams: []", 3, "at least one exam"),
        ("exams: [cpc, cpb]", "exams: [cpc, cpc]", 3, "listed twice"),
        ("  - id: s-002", "  - id: S 002", 20, "lowercase"),
        ("  - id: s-002", "  - id: s-001", 20, "also used at line 5"),
        ("    difficulty: 2\n", "    difficulty: 4\n", 6, "difficulty must be 1, 2 or 3"),
        ("    difficulty: 2\n", "    difficulty: 0\n", 6, "difficulty must be 1, 2 or 3"),
        ("    difficulty: 2\n", "    difficulty: hard\n", 6, "difficulty must be an integer"),
        ("    stem: A new patient is seen for a moderate problem. Which code applies?\n", "", 5,
         "missing required field 'stem'"),
        ("    stem: A new patient is seen for a moderate problem. Which code applies?",
         '    stem: ""', 7, "stem must not be empty"),
        ("Which code applies?", "Which code applies, 99205 or lower?", 7,
         "names 99205 but 'codes' does not list it"),
        ('      - text: "99213"\n        why: Established patient code.\n', "", 8,
         "exactly 4 choices, found 3"),
        ("        why: Too low.\n", "        why: Too low.\n      - text: x\n        why: y\n", 8,
         "exactly 4 choices, found 5"),
        ('      - text: "99204"\n        why: Too high.\n', '      - text: "99204"\n', 11,
         "missing required field 'why'"),
        ("        why: Too high.", '        why: "  "', 12, "why must not be empty"),
        ("        why: Too low.\n", "        why: Too low.\n        hint: look again\n", 15,
         "unknown key 'hint'"),
        ('      - text: "99204"', "      - text: 99204", 11, "quote it"),
        ('      - text: "99202"', '      - text: "99204"', 13, "repeats an earlier choice"),
        ("        why: Too high.", "        why: Too high; 99214 is established.", 11,
         "names 99214"),
        ("    answer: 0\n    codes: [", "    answer: 4\n    codes: [", 17, "answer must be a choice index"),
        ("    answer: 0\n    codes: [", "    answer: -1\n    codes: [", 17, "answer must be a choice index"),
        ("    answer: 0\n    codes: [", "    answer: first\n    codes: [", 17, "answer must be an integer"),
        ("    answer: 0\n    codes: [", "    codes: [", 5, "missing required field 'answer'"),
        ('"modifier:25"', '"25X"', 18, "not shaped like a code"),
        ('"modifier:25"', '"pos:ABC"', 18, "not shaped like a code"),
        ('"modifier:25"', '"99203"', 18, "listed twice"),
        ('"99213", "modifier:25"', '{code: "99213", header: true}, "modifier:25"', 18,
         "applies to ICD-10-CM codes only"),
        ("    tags: [new-patient]\n", "    tags: [new-patient]\n    topic: em\n", 20,
         "unknown key 'topic'"),
        ("tags: [new-patient]", "tags: [New Patient]", 19, "lowercase"),
        ("{code: S06.0A, invalid: true}", "{code: S06.0A, bogus: true}", 35, "unknown key 'bogus'"),
        ("{code: S06.0A, invalid: true}", "{code: S06.0A, invalid: true, header: true}", 35,
         "both 'header' and 'invalid'"),
        ("{code: S06.0A, invalid: true}", "{code: S06.0A, invalid: yes please}", 35, "true or false"),
    ],
)
def test_malformed_field_names_file_and_line(tmp_path, old, new, line, fragment):
    path = write(tmp_path, mutate(old, new))
    with pytest.raises(ContentError) as exc:
        load_question_file(path)
    err = exc.value
    assert err.path == str(path)
    assert err.line == line, str(err)
    assert fragment in err.message, str(err)
    assert str(err).startswith(f"{path}:{line}: ")


def test_yaml_syntax_error_names_line(tmp_path):
    path = write(tmp_path, mutate("    answer: 0\n    codes: [", "    answer: [0\n    codes: ["))
    with pytest.raises(ContentError) as exc:
        load_question_file(path)
    assert exc.value.line is not None and 17 <= exc.value.line <= 19
    assert "YAML" in exc.value.message


@pytest.mark.parametrize("text,fragment", [("", "empty"), ("- a\n- b\n", "mapping")])
def test_empty_or_non_mapping_file(tmp_path, text, fragment):
    with pytest.raises(ContentError) as exc:
        load_question_file(write(tmp_path, text))
    assert fragment in exc.value.message


def test_ids_unique_across_files(tmp_path):
    # files load in name order, so the duplicate is reported in the later file (sample-domain)
    path = write(tmp_path, VALID)
    other = VALID.replace("sample-domain", "other-domain").replace("s-002", "o-002")
    write(tmp_path, other, "other-domain")
    with pytest.raises(ContentError) as exc:
        load_question_bank(tmp_path)
    assert exc.value.path == str(path) and exc.value.line == 5
    assert "s-001" in exc.value.message and "other-domain.yml:5" in exc.value.message


def test_bank_loads_every_file(tmp_path):
    write(tmp_path, VALID)
    other = VALID.replace("sample-domain", "other-domain").replace("s-00", "o-00")
    write(tmp_path, other, "other-domain")
    (tmp_path / "notes.txt").write_text("not a question file")
    bank = load_question_bank(tmp_path)
    assert isinstance(bank, QuestionBank)
    assert bank.domains == ("other-domain", "sample-domain")
    assert len(bank) == 4 and bank.get("o-002").domain == "other-domain"
    assert len(bank.for_exam("cpb")) == 4 and bank.for_exam("cca") == ()


def test_missing_directory(tmp_path):
    with pytest.raises(ContentError):
        load_question_bank(tmp_path / "nope")


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("99213", ("cpt", "99213")),
        ("00840", ("cpt", "00840")),
        ("0001F", ("cpt", "0001F")),
        ("J1885", ("hcpcs", "J1885")),
        ("e11.22", ("icd10cm", "E11.22")),
        ("E11", ("icd10cm", "E11")),
        ("S06.0X0A", ("icd10cm", "S06.0X0A")),
        ("icd10cm:E1122", ("icd10cm", "E11.22")),
        ("modifier:25", ("modifier", "25")),
        ("modifier:-rt", ("modifier", "RT")),
        ("pos:22", ("pos", "22")),
        ("hcpcs:j1885", ("hcpcs", "J1885")),
        ("25", None),
        ("E1122X", None),
        ("cpt:J1885", None),
        ("ndc:12345", None),
        ("", None),
    ],
)
def test_parse_code(raw, expected):
    assert parse_code(raw) == expected


# --------------------------------------------------------------------------- code checks


class FakeCodes:
    """A minimal code set: (system, code) -> Code."""

    release = "test"

    def __init__(self, entries):
        self.entries = {(c.system, c.code): c for c in entries}

    def get(self, system, code):
        return self.entries.get((system, code))

    def missing_detail(self, system, code):
        return "needs more characters (a 4th character)"


def fake_codes(**overrides):
    def c(system, code, billable=True):
        return Code(system=system, code=code, description="x", billable=billable)

    entries = {
        ("cpt", "99203"): c("cpt", "99203"),
        ("cpt", "99204"): c("cpt", "99204"),
        ("cpt", "99202"): c("cpt", "99202"),
        ("cpt", "99213"): c("cpt", "99213"),
        ("modifier", "25"): c("modifier", "25"),
        ("icd10cm", "E11"): c("icd10cm", "E11", billable=False),
        ("icd10cm", "E11.22"): c("icd10cm", "E11.22"),
        ("icd10cm", "E11.9"): c("icd10cm", "E11.9"),
        ("pos", "11"): c("pos", "11"),
    }
    for key, value in overrides.items():
        system, code = key.split("_", 1)
        code = code.replace("_", ".")
        if value is None:
            entries.pop((system, code), None)
        else:
            entries[(system, code)] = c(system, code, billable=value)
    return FakeCodes(entries.values())


def test_check_codes_clean(tmp_path):
    qf = load_question_file(write(tmp_path, VALID))
    assert check_question_codes(qf, fake_codes()) == []
    assert check_question_codes(QuestionBank(files=(qf,)), fake_codes()) == []


@pytest.mark.parametrize(
    "override,line,fragment",
    [
        ({"cpt_99204": None}, 18, "99204: not a known CPT code"),
        ({"modifier_25": None}, 18, "25: not a known modifier code"),
        ({"icd10cm_E11_22": False}, 18, "E11.22: not billable"),
        ({"icd10cm_E11": True}, 18, "E11: is a billable code, not a header"),
        ({"icd10cm_E11_9": None}, 34, "E11.9: not a known ICD-10-CM code"),
        ({"icd10cm_S06_0A": True}, 35, "S06.0A: is a real ICD-10-CM code"),
        ({"pos_11": None}, 36, "11: not a known place-of-service code"),
    ],
)
def test_check_codes_finds_bad_code(tmp_path, override, line, fragment):
    path = write(tmp_path, VALID)
    qf = load_question_file(path)
    errors = check_question_codes(qf, fake_codes(**override))
    assert len(errors) == 1, [str(e) for e in errors]
    (err,) = errors
    assert err.path == str(path) and err.line == line
    assert fragment in err.message and "question s-00" in err.message


# --------------------------------------------------------------------------- the shipped bank


@pytest.fixture(scope="module")
def bank():
    return load_question_bank(BANK_DIR)


def test_shipped_bank_loads_with_enough_items(bank):
    assert len(bank) >= 150
    assert len({q.id for q in bank.questions}) == len(bank)


def test_shipped_bank_covers_every_domain(bank):
    assert set(bank.domains) == set(DOMAINS)
    for qf in bank.files:
        assert len(qf.questions) >= 5, qf.domain
        assert qf.exams and set(qf.exams) <= set(EXAMS)
    for exam in EXAMS:
        assert bank.for_exam(exam), exam


def test_shipped_bank_answer_positions_spread(bank):
    counts = collections.Counter(q.answer for q in bank.questions)
    assert set(counts) == {0, 1, 2, 3}
    for position, n in counts.items():
        assert n / len(bank) <= 0.40, (position, n)


def test_shipped_bank_difficulties_mixed(bank):
    counts = collections.Counter(q.difficulty for q in bank.questions)
    assert set(counts) == {1, 2, 3}


def test_shipped_bank_rationales_match_the_key(bank):
    # house style: the right option's rationale starts with "Right", and no other does
    for q in bank.questions:
        starts = [i for i, c in enumerate(q.choices) if c.why.startswith("Right")]
        assert starts == [q.answer], q.id


def test_shipped_bank_codes_exist_in_real_code_set(bank, codeset):
    errors = check_question_codes(bank, codeset)
    assert errors == [], "\n".join(str(e) for e in errors)
