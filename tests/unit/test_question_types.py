"""The question-type registry: every type answers every job, and each has its partial."""
from pathlib import Path

import jinja2
import pytest
from werkzeug.datastructures import MultiDict

from app.content.question_types import (
    GradingContext,
    QuestionType,
    label_answer,
    question_problems,
    question_type,
    question_types,
    register,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"
CHOICES = [{"text": "CMS-1500", "correct": True}, {"text": "UB-04", "correct": False},
           {"text": "837P", "correct": True}]


def test_the_registry_holds_the_seven_types_in_the_editors_order():
    assert [t.id for t in question_types()] == ["single", "multiple", "truefalse", "short", "code", "case",
                                                "scenario"]


@pytest.mark.parametrize("qtype", question_types(), ids=lambda t: t.id)
def test_each_type_has_a_partial_with_take_result_and_editor(qtype):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), extensions=["jinja2.ext.do"])
    module = env.get_template(qtype.partial).module
    for macro in ("take", "result", "editor"):
        assert callable(getattr(module, macro)), f"{qtype.partial} has no {macro} macro"


def test_a_type_id_is_registered_once():
    with pytest.raises(ValueError, match="registered twice"):
        register(type("Again", (QuestionType,), {"id": "single"}))


@pytest.mark.parametrize("q, form, answer", [
    ({"type": "single", "choices": CHOICES}, {"q0": "1"}, 1),
    ({"type": "single", "choices": CHOICES}, {"q0": "3"}, None),        # no fourth choice
    ({"type": "single", "choices": CHOICES}, {"q0": "²"}, None),        # not an ASCII digit
    ({"type": "multiple", "choices": CHOICES}, {"q0": ["2", "0", "9"]}, [0, 2]),
    ({"type": "truefalse", "answer": True}, {"q0": "false"}, False),
    ({"type": "short", "answers": ["CMS-1500"]}, {"q0": "  cms-1500 "}, "cms-1500"),
    ({"type": "code", "key": {}}, {"q0_dx": "E11.22, Z79.4", "q0_px": "17003 x5"},
     {"diagnoses": ["E11.22", "Z79.4"], "procedures": ["17003x5"]}),
    ({"type": "scenario", "scenario": "s"}, {"q0_cause": ["missing-member-id", "made-up"], "q0_action": "appeal"},
     {"causes": ["missing-member-id"], "action": "appeal"}),
    ({"type": "scenario", "scenario": "s"}, {"q0_action": "shout"}, None),
])
def test_each_type_reads_its_answer_from_the_posted_form(q, form, answer):
    assert question_type(q["type"]).parse(q, MultiDict(form), "q0") == answer


@pytest.mark.parametrize("q, answer, credit", [
    ({"type": "single", "choices": CHOICES}, 0, 1.0),
    ({"type": "single", "choices": CHOICES}, 1, 0.0),
    ({"type": "multiple", "choices": CHOICES}, [0, 1], 0.0),   # a right pick less a wrong one
    ({"type": "multiple", "choices": CHOICES}, [0], 0.5),
    ({"type": "truefalse", "answer": False}, False, 1.0),
    ({"type": "short", "answers": ["Prior authorization"]}, "prior   AUTHORIZATION", 1.0),
])
def test_each_type_grades_its_answer(q, answer, credit):
    assert question_type(q["type"]).grade(q, answer, GradingContext()).credit == credit


def test_a_scenario_question_is_scored_by_the_scorer_it_is_given():
    q = {"type": "scenario", "scenario": "denied"}
    ctx = GradingContext(scenarios={"denied": "the scenario"},
                         score_scenario=lambda s, causes, action: (0.4, [f"{s}: {causes} {action}"]))
    graded = question_type("scenario").grade(q, {"causes": ["none"], "action": None}, ctx)
    assert (graded.credit, graded.reasons) == (0.4, ["the scenario: ['none'] None"])
    assert question_type("scenario").grade({"type": "scenario", "scenario": "gone"}, {"causes": [], "action": None},
                                           ctx).reasons == []


@pytest.mark.parametrize("q, answer, label", [
    ({"type": "single", "choices": CHOICES}, 1, "UB-04"),
    ({"type": "single", "choices": ["plain", "strings"]}, 1, "strings"),
    ({"type": "multiple", "choices": CHOICES}, [0, 2], "CMS-1500 + 837P"),
    ({"type": "truefalse", "answer": True}, False, "false"),
    ({"type": "short", "answers": ["x"]}, "y", "y"),
    ({"type": "code", "key": {}}, {"diagnoses": ["E11.9"], "procedures": []}, "E11.9"),
    ({"type": "code", "key": {}}, None, "(nothing)"),
])
def test_each_type_labels_an_answer_for_the_gradebook(q, answer, label):
    assert label_answer(q, answer) == label


def test_an_unknown_type_is_named_with_the_registered_ones():
    assert question_problems({"type": "essay", "prompt": "P", "points": 1}) == {
        "type": "unknown question type 'essay' (use one of: single, multiple, truefalse, short, code, case, scenario)"}
