"""Exam blueprints as data: loading with file:line errors, plans, drawing forms, scoring."""
from pathlib import Path

import pytest

from app.content.errors import ContentError
from app.examforms.blueprints import (BlueprintSpec, Scale, check_blueprints, draw_form, load_blueprints, plan,
                                  scaled_score, score_form)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shipped():
    return {bp.slug: bp for bp in load_blueprints(ROOT / "content" / "exams.yml")}


def test_shipped_blueprints_copy_the_shape_of_the_real_exams(shipped):
    cpc, cca, cbcs = shipped["cpc-practice"], shipped["cca-practice"], shipped["cbcs-practice"]
    assert (cpc.total, cpc.minutes, cpc.pass_percent, cpc.code_book, cpc.pretest) == (100, 240, 70, True, 0)
    assert (cca.total, cca.scored, cca.pretest, cca.minutes, cca.code_book) == (105, 90, 15, 120, False)
    assert cca.scale == Scale(100, 400, 300)
    assert (cbcs.scored, cbcs.pretest, cbcs.minutes) == (100, 25, 180)
    assert cbcs.scale == Scale(200, 500, 390)


def test_shipped_blueprints_draw_only_from_domains_the_bank_tags_for_their_exam(shipped):
    from app.content.questions import load_question_bank
    bank = load_question_bank(ROOT / "content" / "questions")
    domains = {}
    for qf in bank.files:
        for exam in qf.exams:
            domains.setdefault(exam, set()).add(qf.domain)
    assert check_blueprints(list(shipped.values()), domains, "exams.yml") == []


def write(tmp_path, text):
    path = tmp_path / "exams.yml"
    path.write_text(text)
    return path


GOOD = """blueprints:
  - slug: mini
    title: Mini
    exam: cpc
    minutes: 10
    pass_percent: 70
    domains:
      a: 2
      b: 1
"""


@pytest.mark.parametrize("change, line, words", [
    (("minutes: 10", "minutes: 0"), 5, "minutes must be a whole number"),
    (("pass_percent: 70", "pass_percent: 170"), 6, "pass_percent"),
    (("      b: 1", "      b: none"), 9, "domain b needs a whole number"),
    (("    exam: cpc\n", "    exam: cpc\n    colour: red\n"), 5, "unknown field 'colour'"),
    (("  - slug: mini\n", "  - slug: Mini Exam\n"), 2, "lowercase"),
])
def test_problems_are_reported_with_file_and_line(tmp_path, change, line, words):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ContentError) as exc:
        load_blueprints(path)
    assert exc.value.line == line and words in exc.value.message and str(path) in str(exc.value)


def test_a_domain_the_bank_lacks_is_reported():
    bp = BlueprintSpec.from_data({"slug": "x", "title": "X", "exam": "cpc", "minutes": 5, "pass_percent": 70,
                              "domains": [["a", 1], ["zzz", 1]]})
    errors = check_blueprints([bp], {"cpc": {"a"}}, "exams.yml")
    assert len(errors) == 1 and "zzz" in errors[0].message


def mini(pretest=0, a=2, b=1):
    return BlueprintSpec(slug="mini", title="Mini", exam="cpc", minutes=10, pass_percent=70,
                     domains=(("a", a), ("b", b)), pretest=pretest)


POOL = {"a": [f"a{i}" for i in range(6)], "b": [f"b{i}" for i in range(4)]}


def test_a_form_follows_the_domain_counts_and_never_repeats():
    form = draw_form(mini(pretest=3), POOL, "seed-1")
    assert len(form) == 6 and len({i.qid for i in form}) == 6
    assert sum(1 for i in form if i.domain == "a" and not i.unscored) == 2
    assert sum(1 for i in form if i.domain == "b" and not i.unscored) == 1
    assert sum(1 for i in form if i.unscored) == 3


def test_same_seed_same_form_other_seed_other_form():
    bp = mini(a=4, b=3)
    assert draw_form(bp, POOL, "s1") == draw_form(bp, POOL, "s1")
    assert any(draw_form(bp, POOL, "s1") != draw_form(bp, POOL, f"s{n}") for n in range(2, 6))


def test_a_retake_draws_the_previous_form_last():
    bp = mini(a=3, b=2)
    first = {i.qid for i in draw_form(bp, POOL, "one")}
    second = {i.qid for i in draw_form(bp, POOL, "two", avoid=first)}
    assert not first & second  # the bank has enough unseen items in both domains


def test_a_short_bank_gives_what_it_has_and_the_plan_says_so():
    bp = mini(pretest=5, a=8, b=1)
    p = plan(bp, POOL)
    assert p.scored == 7 and p.short and p.shortfalls[0].domain == "a" and p.shortfalls[0].available == 6
    assert p.pretest == 3  # what is left in b after its scored item
    form = draw_form(bp, POOL, "x")
    assert len(form) == p.total == 10 and len({i.qid for i in form}) == 10


def test_scoring_leaves_pretest_items_out_and_counts_blanks_wrong():
    bp = mini()
    items = [{"q": "a0", "domain": "a"}, {"q": "a1", "domain": "a"}, {"q": "b0", "domain": "b"},
             {"q": "b1", "domain": "b", "unscored": True}]
    key = {"a0": 1, "a1": 2, "b0": 0, "b1": 3}
    score = score_form(bp, items, {0: 1, 1: None, 3: 3}, key)
    assert (score.correct, score.total, score.passed) == (1, 3, False)
    assert [(d.domain, d.correct, d.total) for d in score.by_domain] == [("a", 1, 2), ("b", 0, 1)]
    assert score.right == (True, False, False, True)
    assert score_form(bp, items, {0: 1, 1: 2, 2: 0}, key).passed


@pytest.mark.parametrize("percent, expected", [(0, 100), (70, 300), (100, 400), (35, 200), (85, 350)])
def test_practice_scaled_score_puts_the_pass_mark_on_the_cut(percent, expected):
    assert scaled_score(percent, 70, Scale(100, 400, 300)) == expected


def test_blueprint_round_trips_through_plain_data(shipped):
    for bp in shipped.values():
        again = BlueprintSpec.from_data(bp.as_data())
        assert again.as_data() == bp.as_data() and again.total == bp.total


@pytest.mark.parametrize("right, passed", [(7, True), (6, False), (10, True), (0, False)])
def test_a_score_exactly_at_the_pass_mark_passes(right, passed):
    """70% needed (the CPC's pass mark): 7 of 10 is exactly 70% and passes; 6 of 10 does not."""
    bp = BlueprintSpec(slug="ten", title="Ten", exam="cpc", minutes=10, pass_percent=70, domains=(("a", 10),))
    items = [{"q": f"a{i}", "domain": "a"} for i in range(10)]
    key = {f"a{i}": 0 for i in range(10)}
    answers = {i: (0 if i < right else 1) for i in range(10)}
    score = score_form(bp, items, answers, key)
    assert (score.correct, score.percent, score.passed) == (right, right * 10.0, passed)


def test_a_pass_mark_that_is_not_a_whole_share_still_passes_at_the_mark():
    """2 of 3 is 66.67%: a 66.67% pass mark, given as 200/3, passes it despite float rounding."""
    bp = BlueprintSpec(slug="three", title="Three", exam="cpc", minutes=10, pass_percent=200 / 3, domains=(("a", 3),))
    items = [{"q": f"a{i}", "domain": "a"} for i in range(3)]
    score = score_form(bp, items, {0: 0, 1: 0, 2: 1}, {f"a{i}": 0 for i in range(3)})
    assert score.passed
