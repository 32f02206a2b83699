"""One set of limits for every quiz door (issue 12, items 1-3): YAML aliases and anchors, nesting,
file size, line count, encodings, question count and field lengths, for YAML, GIFT and Aiken alike.
Every refusal names its file, its line where it has one, and the limit it hit."""
import time
from pathlib import Path

import pytest

from app.content import limits
from app.content.errors import ContentError
from app.content.limits import FIELD_LIMITS, MAX_IMPORT_BYTES, MAX_IMPORT_LINES, MAX_QUESTIONS
from app.content.quizfiles import (
    QuizFileErrors,
    check_quiz_text,
    decode_quiz_bytes,
    load_aiken,
    load_gift,
    load_quiz_file,
    load_quiz_yaml,
    question_problems,
)
from app.content.yamlmarks import load_yaml

ROOT = Path(__file__).resolve().parents[2]


def errors_of(fn, *args, **kwargs) -> list[str]:
    with pytest.raises(QuizFileErrors) as info:
        fn(*args, **kwargs)
    return [str(e) for e in info.value.errors]


def yaml_quiz(questions: str, head: str = "kind: quiz\nslug: s\ntitle: T\n") -> str:
    return head + "questions:\n" + questions


ONE_TF = "  - type: truefalse\n    prompt: P\n    answer: true\n"


def gift(prompt="Q", right="yes", wrong="no", feedback=""):
    return f"{prompt} {{={right} ~{wrong}{'#' + feedback if feedback else ''}}}\n"


def aiken(prompt="Q", a="yes", b="no"):
    return f"{prompt}\nA. {a}\nB. {b}\nANSWER: A\n"


# --- 1. YAML aliases and anchors ----------------------------------------------------------------

BOMB = ("kind: quiz\nslug: bomb\ntitle: T\ninstructions: x\nquestions:\n"
        "  - type: short\n    prompt: &p lol\n    answers: &a [*p, *p, *p, *p, *p, *p, *p, *p, *p]\n"
        "  - type: short\n    prompt: P\n    answers: [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n")


def test_a_nested_alias_bomb_is_refused_at_its_first_anchor():
    assert errors_of(load_quiz_yaml, BOMB, "bomb.yml") == [
        "bomb.yml:7: YAML anchors (&p) are not allowed: write each value out in full"]


def test_an_alias_to_a_plain_value_is_refused_with_its_line():
    text = yaml_quiz(ONE_TF) + "# the alias below names an anchor the parser never saw\n"
    text = text.replace("prompt: P", "prompt: *nothing")
    [message] = errors_of(load_quiz_yaml, text, "a.yml")
    assert message.startswith("a.yml:6: ") and "YAML aliases (*nothing) are not allowed" in message


@pytest.mark.parametrize("directory", ["content", "app/data"])
def test_no_site_yaml_file_uses_anchors_so_every_loader_may_refuse_them(directory):
    """load_yaml refuses anchors for content files too: none uses them (this keeps it true)."""
    for path in sorted((ROOT / directory).rglob("*.y*ml")):
        load_yaml(path.read_text(encoding="utf-8"), path)  # raises on an anchor, alias or deep nesting


# --- 2. nesting ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "questions:\n  " + "- " * 5000 + "x\n",  # block lists: RecursionError escaped the loader
    "questions: " + "[" * 5000 + "]" * 5000 + "\n",
    "questions: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n",
])
def test_deep_nesting_is_refused_with_the_limit_and_line(text):
    [message] = errors_of(load_quiz_yaml, text, "deep.yml")
    assert message.startswith("deep.yml:") and "over the 12-level limit" in message


def test_nesting_at_the_limit_still_parses():
    assert load_yaml("a: " + "[" * 11 + "1" + "]" * 11, "ok.yml")["a"] is not None


def test_too_many_yaml_values_are_refused_before_they_are_built():
    text = "questions:\n" + "  - 1\n" * (limits.MAX_YAML_NODES + 10)
    started = time.perf_counter()
    with pytest.raises(ContentError, match="over the 100,000-value limit"):
        load_yaml(text, "many.yml")
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("value,words", [("2026-02-30", "not a real date"), ("1" * 5000, "unreadable value")])
def test_a_value_the_constructor_cannot_build_is_a_located_error_not_a_value_error(value, words):
    with pytest.raises(ContentError) as info:
        load_yaml(f"kind: quiz\nwhen: {value}\n", "v.yml")
    assert info.value.line == 2 and words in info.value.message


@pytest.mark.parametrize("text,line", [
    ("Q {=a {=b} ~c}\n", 1),
    ("First {T}\n\nSecond {\n=a\n{ ~b }\n}\n", 5),
    ("{" * 10_000 + "\n", 1),
])
def test_gift_answer_blocks_do_not_nest(text, line):
    [message] = errors_of(load_gift, text, "n.gift")
    assert message.startswith(f"n.gift:{line}: an answer block {{ is opened inside another")


# --- 3. one set of limits -----------------------------------------------------------------------

def test_the_file_size_limit_is_checked_before_parsing_and_named():
    text = "x" * (MAX_IMPORT_BYTES + 1)
    for loader in (load_quiz_yaml, load_gift, load_aiken):
        assert errors_of(loader, text, "big.x") == [
            "big.x: the file is 1 MB (1,000,001 bytes), over the 1 MB (1,000,000 bytes) limit; nothing was read"]


def test_the_size_limit_counts_bytes_not_characters():
    check_quiz_text("é" * (MAX_IMPORT_BYTES // 2), "ok.yml")  # exactly at the limit in UTF-8
    assert "over the 1 MB" in errors_of(check_quiz_text, "é" * (MAX_IMPORT_BYTES // 2) + "e", "big.yml")[0]


def test_the_line_limit_is_named():
    [message] = errors_of(load_aiken, "\n" * MAX_IMPORT_LINES, "lines.txt")
    assert message == "lines.txt: the file has 20,001 lines, over the 20,000-line limit; nothing was read"


@pytest.mark.parametrize("fmt,make", [
    ("yaml", lambda n: yaml_quiz(ONE_TF * n)),
    ("gift", lambda n: "\n".join(gift(f"Q{i}") for i in range(n))),
    ("aiken", lambda n: "\n".join(aiken(f"Q{i}") for i in range(n))),
])
def test_every_format_has_the_same_question_limit(fmt, make):
    assert len(load_quiz_file(make(MAX_QUESTIONS), "q", fmt=fmt).questions) == MAX_QUESTIONS
    messages = errors_of(load_quiz_file, make(MAX_QUESTIONS + 1), "q", fmt=fmt)
    assert len(messages) == 1 and "over the 200-question limit" in messages[0], messages


def test_a_file_of_thousands_of_questions_stops_at_the_limit():
    started = time.perf_counter()
    messages = errors_of(load_gift, "\n".join(gift(f"Q{i}") for i in range(5000)), "many.gift")
    assert messages == ["many.gift:401: question 201 starts here, over the 200-question limit"]
    assert time.perf_counter() - started < 1


#: (field, how each format writes a value of it): the same limit, worded the same, at every door
FIELD_DOORS = [
    ("prompt", "yaml", lambda v: yaml_quiz(f"  - type: truefalse\n    prompt: {v}\n    answer: true\n")),
    ("prompt", "gift", lambda v: gift(prompt=v)),
    ("prompt", "aiken", lambda v: aiken(prompt=v)),
    ("choice", "yaml", lambda v: yaml_quiz(f"  - type: single\n    prompt: P\n    choices:\n"
                                           f"      - {{text: {v}, correct: true}}\n      - {{text: b}}\n")),
    ("choice", "gift", lambda v: gift(right=v)),
    ("choice", "aiken", lambda v: aiken(a=v)),
    ("choice_feedback", "yaml", lambda v: yaml_quiz(f"  - type: single\n    prompt: P\n    choices:\n"
                                                    f"      - {{text: a, correct: true, feedback: {v}}}\n"
                                                    f"      - {{text: b}}\n")),
    ("choice_feedback", "gift", lambda v: gift(feedback=v)),
    ("feedback", "yaml", lambda v: yaml_quiz(f"  - type: truefalse\n    prompt: P\n    answer: true\n"
                                             f"    feedback: {v}\n")),
    ("feedback", "gift", lambda v: f"Q {{T####{v}}}\n"),
    ("answer", "yaml", lambda v: yaml_quiz(f"  - type: short\n    prompt: P\n    answers: [{v}]\n")),
    ("answer", "gift", lambda v: f"Q {{={v} =other}}\n"),
    ("title", "yaml", lambda v: f"kind: quiz\nslug: s\ntitle: {v}\nquestions:\n{ONE_TF}"),
    ("instructions", "yaml", lambda v: f"kind: quiz\nslug: s\ntitle: T\ninstructions: {v}\nquestions:\n{ONE_TF}"),
]


@pytest.mark.parametrize("field,fmt,make", FIELD_DOORS, ids=[f"{f}-{fmt}" for f, fmt, _m in FIELD_DOORS])
def test_every_field_has_one_length_limit_at_every_door(field, fmt, make):
    limit = FIELD_LIMITS[field]
    load_quiz_file(make("w" * limit), "f", fmt=fmt)  # at the limit: fine
    messages = errors_of(load_quiz_file, make("w" * (limit + 1)), "f", fmt=fmt)
    assert len(messages) == 1 and f"over the {limit:,}-character limit" in messages[0], messages


def test_a_title_from_the_form_or_a_file_name_has_the_title_limit():
    assert "over the 200-character limit" in errors_of(load_gift, gift(), "x.gift", title="t" * 201)[0]
    assert "over the 200-character limit" in errors_of(load_aiken, aiken(), "a" * 201 + ".txt")[0]
    assert load_aiken(aiken(), "bad\x00name.txt").title == "Badname"


@pytest.mark.parametrize("q,field,words", [
    ({"type": "short", "prompt": "P", "points": 1, "answers": [str(i) for i in range(21)]}, "answers",
     "21 accepted answers, over the 20-answer limit"),
    ({"type": "code", "prompt": "P", "points": 1, "key": {"diagnoses": [{"code": "E11.9", "accept": ["E11.8"] * 30}]}},
     "diagnoses", "31 diagnoses codes in the key, over the 30-code limit"),
    ({"type": "single", "prompt": "P", "points": 1, "choices": [{"text": str(i), "correct": i == 0} for i in range(11)]},
     "choices", "At most 10 choices."),
])
def test_count_limits_of_a_question(q, field, words):
    assert words in question_problems(q)[field]


def test_the_web_form_and_the_readers_share_the_limits():
    from app.quizzes.forms import ChoiceForm, QuestionForm, QuizForm
    assert QuestionForm.prompt.kwargs["validators"][0].max == FIELD_LIMITS["prompt"]
    assert QuestionForm.feedback.kwargs["validators"][0].max == FIELD_LIMITS["feedback"]
    assert ChoiceForm.text.kwargs["validators"][0].max == FIELD_LIMITS["choice"]
    assert QuizForm.instructions.kwargs["validators"][0].max == FIELD_LIMITS["instructions"]


# --- encodings and control characters -----------------------------------------------------------

@pytest.mark.parametrize("data,expected", [
    ("Q {T}\n\nCafé {F}\n".encode("latin-1"), "x.gift:3: the file is not UTF-8 text (byte 0xE9); save it as UTF-8"),
    ("Q {T}\n".encode("utf-16"), "x.gift:1: the file is UTF-16 text: save it as UTF-8"),
    (b"Q {T}\n\nA\x00B {F}\n", "x.gift:3: control character U+0000 in the text (is this a text file?)"),
    (b"Q {T}\x1b[31m\n", "x.gift:1: control character U+001B in the text (is this a text file?)"),
    (b"x" * (MAX_IMPORT_BYTES + 1), "x.gift: the file is over the 1 MB (1,000,000 bytes) limit; nothing was read"),
])
def test_bad_encodings_are_refused_with_what_and_where(data, expected):
    assert errors_of(decode_quiz_bytes, data, "x.gift") == [expected]


def test_utf8_with_a_bom_and_crlf_lines_is_read():
    text = decode_quiz_bytes("\ufeffQ {T}\r\n\r\nCafé {F}\r\n".encode("utf-8"), "x.gift")
    assert [q["prompt"] for q in load_gift(text, "x.gift").questions] == ["Q", "Café"]


def test_a_long_list_of_problems_is_cut_to_fifty_and_says_how_many_more():
    text = "\n".join("Q\nA. a\nB. b\nANSWER: Z\n" for _ in range(120))
    messages = errors_of(load_aiken, text, "bad.txt")
    assert len(messages) == 51 and messages[-1] == "bad.txt: … and 70 more problem(s)"


@pytest.mark.parametrize("text,words", [
    ("Q {" + "=a " * 21 + "}\n", "x.gift:1: 21 accepted answers, over the 20-answer limit"),
    ("Q {" + "~a =b " * 6 + "}\n", "x.gift:1: 12 choices, over the 10-choice limit"),
])
def test_gift_answer_counts_are_refused_before_each_answer_is_read(text, words):
    assert errors_of(load_gift, text, "x.gift") == [words]


@pytest.mark.parametrize("loader,text", [
    (load_aiken, "ANSWER:" + " " * 50_000 + "x y\n"),  # the old ANSWER pattern backtracked for minutes
    (load_aiken, "w " * 30_000 + "\nA. a\nB. b\nANSWER: A\n"),
    (load_gift, "Q {=" + "a ~" * 20_000 + "b}\n"),
    (load_gift, "Unclosed {\n" + ("w" * 99 + "\n") * 500),
])
def test_one_question_is_bounded_before_it_is_parsed(loader, text):
    started = time.perf_counter()
    [message] = errors_of(loader, text, "x")
    assert "runs past the 40,000-character limit of one question" in message
    assert time.perf_counter() - started < 0.5


def test_an_answer_line_of_spaces_is_read_in_linear_time():
    started = time.perf_counter()
    assert errors_of(load_aiken, "Q\nA. a\nB. b\nANSWER:" + " " * 30_000 + "x y\n", "x.txt")
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize("loader_path", ["app.content.cases:load_case", "app.content.questions:load_question_file"])
@pytest.mark.parametrize("text,words", [
    ("slug: x\ntitle: &t T\nsummary: *t\n", "YAML anchors (&t) are not allowed"),
    ("slug: x\nnotes:\n  " + "- " * 3000 + "x\n", "over the 12-level limit"),  # was a RecursionError
])
def test_the_case_and_question_readers_refuse_aliases_and_deep_nesting(tmp_path, loader_path, text, words):
    import importlib
    module, name = loader_path.split(":")
    loader = getattr(importlib.import_module(module), name)
    path = tmp_path / "x.yml"
    path.write_text(text)
    with pytest.raises(ContentError, match=words.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")):
        loader(path)
