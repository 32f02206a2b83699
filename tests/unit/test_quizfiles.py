"""Quiz files: YAML, GIFT and Aiken parsing, line-numbered errors, key lines and the YAML round trip."""
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.content.quizfiles import (
    QuizData,
    QuizFileErrors,
    dump_quiz_yaml,
    format_key_lines,
    key_code_problems,
    load_aiken,
    load_gift,
    load_quiz_file,
    load_quiz_yaml,
    parse_key_lines,
    question_problems,
    quiz_code_errors,
)

ROOT = Path(__file__).resolve().parents[2]

YAML = """\
kind: quiz
slug: mixed
title: Mixed bag
instructions: |
  Read **carefully**.
questions:
  - type: single
    prompt: Which form?
    points: 2
    choices:
      - {text: CMS-1500, correct: true, feedback: Professional claims.}
      - {text: UB-04}
    feedback: Because.
  - type: multiple
    prompt: Which apply?
    choices:
      - {text: a, correct: true}
      - {text: b, correct: true}
      - {text: c}
  - type: truefalse
    prompt: True?
    answer: false
  - type: short
    prompt: Group code?
    answers: [PR]
  - type: code
    prompt: Code it.
    points: 1.5
    key:
      diagnoses:
        - E11.22
        - {code: n1831, accept: [N18.32], optional: true}
      procedures:
        - {code: "99214", modifiers: ["25"], units: 1}
        - {code: "17003", units: 5}
"""


def errors_of(call, *args, **kw):
    with pytest.raises(QuizFileErrors) as info:
        call(*args, **kw)
    return [str(e) for e in info.value.errors]


# --- YAML ---------------------------------------------------------------------------------------

def test_yaml_quiz_is_read_into_canonical_questions():
    quiz = load_quiz_yaml(YAML, "mixed.yml")
    assert quiz.slug == "mixed" and quiz.title == "Mixed bag" and quiz.instructions == "Read **carefully**."
    single, multiple, tf, short, code = quiz.questions
    assert single["points"] == 2 and single["choices"][0] == {"text": "CMS-1500", "correct": True,
                                                               "feedback": "Professional claims."}
    assert multiple["points"] == 1 and [c["correct"] for c in multiple["choices"]] == [True, True, False]
    assert tf["answer"] is False and short["answers"] == ["PR"]
    assert code["points"] == 1.5
    assert code["key"] == {
        "diagnoses": [{"code": "E11.22"}, {"code": "N18.31", "accept": ["N18.32"], "optional": True}],
        "procedures": [{"code": "99214", "modifiers": ["25"]}, {"code": "17003", "units": 5}],
    }
    assert quiz.question_lines == (7, 14, 20, 23, 26)


def test_yaml_round_trip_is_lossless_and_stable():
    quiz = load_quiz_yaml(YAML, "mixed.yml")
    once = dump_quiz_yaml(quiz)
    again = load_quiz_yaml(once, "mixed.yml")
    assert again == quiz
    assert dump_quiz_yaml(again) == once


@pytest.mark.parametrize("path", sorted((ROOT / "content" / "quizzes").glob("*.yml")))
def test_shipped_example_quizzes_are_canonical(path):
    text = path.read_text()
    assert dump_quiz_yaml(load_quiz_yaml(text, str(path))) == text


@pytest.mark.parametrize("text,expected", [
    ("kind: quiz\nslug: Bad Slug\ntitle: T\nquestions: []\n", ["x.yml:2: slug must be", "x.yml:4: questions must be"]),
    ("kind: case\nslug: s\ntitle: T\nquestions:\n  - type: truefalse\n    prompt: P\n    answer: true\n",
     ["x.yml:1: kind must be 'quiz'"]),
    ("kind: quiz\nslug: s\ntitle: T\ncolour: red\nquestions:\n  - type: truefalse\n    prompt: P\n    answer: yes\n",
     ["x.yml:4: unknown field 'colour'"]),
    ("kind: quiz\nslug: s\ntitle: T\nquestions:\n  - type: essay\n    prompt: P\n", ["x.yml:5: question 1: type must be"]),
    ("kind: quiz\nslug: s\ntitle: T\nquestions:\n  - type: single\n    prompt: P\n    choices:\n"
     "      - {text: a}\n      - {text: b}\n", ["x.yml:7: question 1: Mark exactly one choice"]),
    ("kind: quiz\nslug: s\ntitle: T\nquestions:\n  - type: truefalse\n    prompt: P\n    answer: true\n"
     "    points: 0\n", ["x.yml:8: question 1: Points must be"]),
    ("kind: quiz\nslug: s\ntitle: T\nquestions:\n  - type: code\n    prompt: P\n    key:\n"
     "      diagnoses:\n        - {code: E11.22, rationale: r}\n", ["x.yml:9: question 1: unknown key-entry field 'rationale'"]),
    ("kind: quiz\nslug: s\ntitle: [unclosed\n", ["x.yml:4: YAML syntax error"]),
])
def test_yaml_errors_name_the_line(text, expected):
    found = errors_of(load_quiz_yaml, text, "x.yml")
    for message in expected:
        assert any(e.startswith(message) for e in found), found


# --- GIFT ---------------------------------------------------------------------------------------

GIFT = r"""// comments and categories are skipped
$CATEGORY: claims

::Q1:: Which form carries a professional claim? {
  =CMS-1500 # Right: professional services.
  ~UB-04 # That is the facility claim.
  ~ADA
}

A rejected claim was adjudicated. {FALSE#It never reached adjudication.}

Name the group code for the patient's share. {=PR =patient responsibility ####Deductible, coinsurance, copay.}

Which are remittance parts? {~%50%group code ~%50%CARC ~%-100%chart note}

Codes use the \{brace\} and \= sign escaped {=yes ~no}

The {=first ~second} listed diagnosis goes on line A.
"""


def test_gift_questions_are_read():
    quiz = load_gift(GIFT, "claims.gift")
    mc, tf, short, multi, escaped, missing_word = quiz.questions
    assert mc["type"] == "single" and mc["prompt"] == "Which form carries a professional claim?"
    assert mc["choices"][0] == {"text": "CMS-1500", "correct": True, "feedback": "Right: professional services."}
    assert mc["choices"][1]["feedback"] == "That is the facility claim."
    assert tf == {"type": "truefalse", "prompt": "A rejected claim was adjudicated.", "points": 1, "answer": False,
                  "feedback": "It never reached adjudication."}
    assert short["type"] == "short" and short["answers"] == ["PR", "patient responsibility"]
    assert short["feedback"] == "Deductible, coinsurance, copay."
    assert multi["type"] == "multiple" and [c["correct"] for c in multi["choices"]] == [True, True, False]
    assert escaped["prompt"] == "Codes use the {brace} and = sign escaped"
    assert missing_word["prompt"] == "The _____ listed diagnosis goes on line A."
    assert quiz.question_lines == (4, 10, 12, 14, 16, 18)
    assert quiz.title == "Claims" and quiz.slug == "claims"


@pytest.mark.parametrize("text,expected", [
    ("Q {T}\n\nNo block here\n", "f.gift:3: no answer block"),
    ("Q {T}\n\n\nUnclosed {=a ~b\n", "f.gift:4: the answer block { is never closed"),
    ("Numeric {#3:1}\n", "f.gift:1: numeric questions"),
    ("Essay {}\n", "f.gift:1: essay questions"),
    ("Match {=a -> 1 =b -> 2}\n", "f.gift:1: matching questions"),
    ("Q\n{\n~a\n~b\n}\n", "f.gift:2: Mark exactly one choice"),
    ("::Title without end Q {T}\n", "f.gift:1: a question title"),
    ("// only a comment\n", "f.gift: no questions found"),
])
def test_gift_errors_name_the_line(text, expected):
    found = errors_of(load_gift, text, "f.gift")
    assert any(e.startswith(expected) for e in found), found


def test_gift_reports_every_bad_question_at_once():
    found = errors_of(load_gift, "Good {T}\n\nBad {#1}\n\nAlso bad {}\n", "f.gift")
    assert [e.split(": ")[0] for e in found] == ["f.gift:3", "f.gift:5"]


# --- Aiken --------------------------------------------------------------------------------------

def test_aiken_questions_are_read():
    text = "Which code set is for diagnoses?\nA. CPT\nB) ICD-10-CM\nC. HCPCS\nANSWER: B\n\nNext one?\nA. yes\nB. no\nANSWER: a\n"
    quiz = load_aiken(text, "sets.txt", title="Code sets")
    first, second = quiz.questions
    assert first["type"] == "single" and first["prompt"] == "Which code set is for diagnoses?"
    assert [c["correct"] for c in first["choices"]] == [False, True, False]
    assert second["choices"][0]["correct"] is True
    assert quiz.title == "Code sets" and quiz.question_lines == (1, 7)


@pytest.mark.parametrize("text,expected", [
    ("Stem\nA. one\nB. two\nANSWER: C\n", "a.txt:4: ANSWER: 'C' is not one of the options"),
    ("Stem\nA. one\nANSWER: A\n", "a.txt:1: a question needs at least two"),
    ("Stem\nA. one\nB. two\n", "a.txt:1: question without an ANSWER"),
    ("Stem\nA. one\nC. two\nANSWER: A\n", "a.txt:1: options must be lettered"),
    ("Stem\nA. one\nstray text\n", "a.txt:3: expected another option"),
])
def test_aiken_errors_name_the_line(text, expected):
    found = errors_of(load_aiken, text, "a.txt")
    assert any(e.startswith(expected) for e in found), found


def test_file_type_follows_the_extension():
    assert load_quiz_file("Q {T}\n", "x.gift").questions[0]["type"] == "truefalse"
    assert load_quiz_file("Q\nA. a\nB. b\nANSWER: A\n", "x.txt").questions[0]["type"] == "single"
    assert errors_of(load_quiz_file, "x", "x.docx")[0].startswith("x.docx: unknown quiz file type")


# --- answer keys --------------------------------------------------------------------------------

def test_key_lines_round_trip():
    text = "e1122 or E11.29\nZ79.4 optional"
    entries, problems = parse_key_lines(text, "diagnoses")
    assert not problems
    assert entries == [{"code": "E11.22", "accept": ["E11.29"]}, {"code": "Z79.4", "optional": True}]
    assert format_key_lines(entries, "diagnoses") == "E11.22 or E11.29\nZ79.4 optional"
    px, problems = parse_key_lines("99214-25\n17003 x5\n", "procedures")
    assert px == [{"code": "99214", "modifiers": ["25"]}, {"code": "17003", "units": 5}]
    assert format_key_lines(px, "procedures") == "99214-25\n17003 x5"
    _, problems = parse_key_lines("E11.22 maybe", "diagnoses")
    assert problems and "'maybe'" in problems[0]


class FakeCodes:
    """Just enough of a CodeSet: E11.22 billable, E11.2 a header, 99214 and modifier 25 known."""

    def get(self, system, code):
        known = {("icd10cm", "E11.22"): True, ("icd10cm", "E11.2"): False, ("cpt", "99214"): True,
                 ("modifier", "25"): True}
        billable = known.get((system, code))
        return None if billable is None else SimpleNamespace(billable=billable)

    def missing_detail(self, system, code):
        return "a 5th character" if code == "E11.2" else None


def test_key_codes_are_checked_against_the_code_set():
    key = {"diagnoses": [{"code": "E11.22"}, {"code": "E11.2"}, {"code": "Q99.999"}],
           "procedures": [{"code": "99214", "modifiers": ["25", "ZZ"]}, {"code": "99999"}]}
    problems = key_code_problems(key, FakeCodes())
    assert problems["diagnoses"] == ["E11.2: not billable — needs a 5th character.",
                                     "Q99.999: not a valid ICD-10-CM code."]
    assert problems["procedures"] == ["ZZ: unknown modifier.", "99999: unknown CPT code."]


def test_code_errors_in_a_file_carry_the_question_line():
    quiz = QuizData(title="T", slug="t", question_lines=(3, 9), questions=(
        {"type": "truefalse", "prompt": "P", "points": 1, "answer": True},
        {"type": "code", "prompt": "P", "points": 1, "key": {"diagnoses": [{"code": "E11.2"}]}}))
    assert [str(e) for e in quiz_code_errors(quiz, FakeCodes(), "t.yml")] == [
        "t.yml:9: question 2: E11.2: not billable — needs a 5th character."]


def test_question_problems_cover_each_type():
    assert "prompt" in question_problems({"type": "truefalse", "prompt": " ", "points": 1, "answer": True})
    assert "answer" in question_problems({"type": "truefalse", "prompt": "P", "points": 1, "answer": None})
    assert "answers" in question_problems({"type": "short", "prompt": "P", "points": 1, "answers": []})
    assert "key" in question_problems({"type": "code", "prompt": "P", "points": 1, "key": {}})
    assert "choices" in question_problems({"type": "multiple", "prompt": "P", "points": 1,
                                           "choices": [{"text": "a", "correct": True}, {"text": "a", "correct": False}]})


def test_case_questions_name_a_coding_case_that_must_exist():
    text = ("kind: quiz\nslug: s\ntitle: T\nquestions:\n  - type: case\n    case: dm2-ckd-followup\n    points: 4\n"
            "  - type: case\n    case: not-a-case\n")
    quiz = load_quiz_yaml(text, "s.yml")
    assert quiz.questions[0] == {"type": "case", "case": "dm2-ckd-followup", "prompt": "", "points": 4}
    assert dump_quiz_yaml(load_quiz_yaml(dump_quiz_yaml(quiz))) == dump_quiz_yaml(quiz)
    errors = [str(e) for e in quiz_code_errors(quiz, FakeCodes(), "s.yml", case_slugs={"dm2-ckd-followup"})]
    assert errors == ["s.yml:8: question 2: no coding case 'not-a-case'"]
    assert errors_of(load_quiz_yaml, text.replace("case: not-a-case", "case: Not A Case"), "s.yml")[0].startswith(
        "s.yml:9: question 2: Choose the coding case")
