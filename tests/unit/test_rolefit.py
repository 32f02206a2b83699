"""The role-fit quiz: the shipped content and the scoring engine (no app needed)."""
import copy
import re
from pathlib import Path

import pytest
import yaml

from app.content.figures import load_figures

from app.careerfit.scoring import (
    BALANCED,
    BILLING,
    CODING,
    DRIVER_COUNT,
    _leaning,
    load_rolefit,
    parse_rolefit,
    score,
)

ROLEFIT_YML = Path(__file__).resolve().parents[2] / "content" / "rolefit.yml"
FIGURES_YML = ROLEFIT_YML.parent / "figures.yml"

BILLING_SIDE = [
    "phone-and-people",
    "chasing-payers",
    "negotiating",
    "upset-patients",
    "busy-and-interrupted",
    "money-and-numbers",
    "solving-denials",
]
CODING_SIDE = [
    "long-focused-reading",
    "looking-things-up",
    "quiet-independent",
    "anatomy-and-terms",
    "physician-queries",
]


@pytest.fixture(scope="module")
def quiz():
    return load_rolefit(ROLEFIT_YML)


@pytest.fixture
def raw():
    return yaml.safe_load(ROLEFIT_YML.read_text(encoding="utf-8"))


def answers_for(quiz, default=3, **overrides):
    answers = {s.id: default for s in quiz.statements}
    for key, value in overrides.items():
        answers[key.replace("_", "-")] = value
    return answers


def pattern(quiz, high, low, high_value=5, low_value=1):
    answers = answers_for(quiz)
    answers.update({sid: high_value for sid in high})
    answers.update({sid: low_value for sid in low})
    return answers


# --- the shipped file ----------------------------------------------------------------------------


def test_shipped_file_loads_with_fourteen_statements_and_a_five_point_scale(quiz):
    assert len(quiz.statements) == 14
    assert [p.value for p in quiz.scale] == [1, 2, 3, 4, 5]
    assert quiz.scale[0].label == "Strongly disagree"
    assert quiz.scale[-1].label == "Strongly agree"
    assert set(BILLING_SIDE + CODING_SIDE) <= {s.id for s in quiz.statements}
    for statement in quiz.statements:
        assert statement.text and statement.why
        assert all(-2 <= w <= 2 for w in statement.weights.values())


def test_every_figure_shows_its_period_and_source(quiz):
    for role in quiz.roles.values():
        assert role.figures
        for figure in role.figures:
            assert figure.label and figure.value
            assert figure.period.strip(), f"{role.key}: {figure.label} has no period"
            assert figure.source.strip(), f"{role.key}: {figure.label} has no source"


def test_figures_come_from_the_figures_file_with_year_and_source(quiz):
    """content/figures.yml is the one home of dated figures; the role cards show them as they are."""
    from app.content.figures import load_figures

    figures = load_figures(FIGURES_YML)
    names = yaml.safe_load(ROLEFIT_YML.read_text(encoding="utf-8"))["roles"]
    for key in (BILLING, CODING):
        ids = names[key]["figures"]
        assert all(isinstance(i, str) for i in ids), "role figures are ids in content/figures.yml"
        shown = quiz.roles[key].figures
        assert [f.value for f in shown] == [figures[i].value for i in ids]
        for f, fid in zip(shown, ids):
            assert f.period == figures[fid].period and any(ch.isdigit() for ch in f.period)
            assert f.source.startswith(figures[fid].source) and figures[fid].edition in f.source
            assert f.url.startswith("https://")


def test_coding_figures_are_the_current_bls_medical_records_specialists_figures(quiz):
    coding = {(f.label, f.value, f.period) for f in quiz.roles[CODING].figures}
    assert ("Median pay, medical records specialists", "$50,250 a year", "May 2024") in coding
    assert ("Projected change in employment, medical records specialists", "+7%", "2024–2034") in coding
    for f in quiz.roles[CODING].figures:
        assert "29-2072" in f.source and "2024–34 edition" in f.source


def test_billing_figures_name_the_closest_bls_occupation(quiz):
    for f in quiz.roles[BILLING].figures:
        assert "43-3021" in f.source
        assert "no separate medical-biller occupation" in f.note and "billing and posting clerks" in f.note


def test_no_figure_is_undated_or_calls_a_median_an_average(quiz):
    for role in quiz.roles.values():
        for f in role.figures:
            text = " ".join((f.label, f.value, f.period, f.source, f.note)).lower()
            assert "not dated" not in text and "average" not in text and "quoted in" not in text


def test_roles_name_their_certifications_and_lesson_track(quiz):
    billing, coding = quiz.roles[BILLING], quiz.roles[CODING]
    assert [(c.code, c.body) for c in billing.certifications] == [("CPB", "AAPC"), ("CBCS", "NHA")]
    assert [(c.code, c.body) for c in coding.certifications] == [("CPC", "AAPC"), ("CCA", "AHIMA")]
    assert billing.lesson_track == "billing"
    assert coding.lesson_track == "coding"
    for role in (billing, coding):
        assert 3 <= len(role.duties) <= 5


def test_weights_are_balanced_between_the_roles(quiz):
    # Equal sums of |weight|: both fits span the same range. Equal plain sums: someone who agrees
    # (or disagrees) with everything is not pushed to one side.
    assert quiz.max_total(BILLING) == quiz.max_total(CODING)
    assert sum(s.weights[BILLING] for s in quiz.statements) == sum(s.weights[CODING] for s in quiz.statements)


# --- scoring -------------------------------------------------------------------------------------


def test_neutral_answers_are_balanced_with_nothing_to_explain(quiz):
    result = score(quiz, answers_for(quiz, 3))
    assert result.leaning == BALANCED
    assert result.strength is None
    assert result.role is None
    assert (result.billing_fit, result.coding_fit, result.margin) == (50, 50, 0)
    assert result.drivers == ()


@pytest.mark.parametrize("everything", [1, 5])
def test_agreeing_or_disagreeing_with_everything_is_balanced(quiz, everything):
    assert score(quiz, answers_for(quiz, everything)).leaning == BALANCED


def test_a_billing_minded_pattern_leans_strongly_to_billing(quiz):
    result = score(quiz, pattern(quiz, high=BILLING_SIDE, low=CODING_SIDE))
    assert (result.leaning, result.strength) == (BILLING, "strong")
    assert result.role == BILLING
    assert result.billing_fit > 80 > 30 > result.coding_fit
    assert result.margin == result.billing_fit - result.coding_fit


def test_a_coding_minded_pattern_leans_strongly_to_coding(quiz):
    result = score(quiz, pattern(quiz, high=CODING_SIDE, low=BILLING_SIDE))
    assert (result.leaning, result.strength) == (CODING, "strong")
    assert result.coding_fit > 80 > 30 > result.billing_fit


def test_a_mild_coding_pattern_leans_to_coding_less_strongly(quiz):
    result = score(quiz, pattern(quiz, high=CODING_SIDE, low=BILLING_SIDE, high_value=4, low_value=2))
    assert result.leaning == CODING
    assert result.strength in ("slight", "clear")


def test_fit_is_the_total_rescaled_from_its_range_to_0_100(quiz):
    # Only "quiet-independent" (billing -2, coding +2) answered 5: centred +2.
    result = score(quiz, answers_for(quiz, quiet_independent=5))
    assert result.totals[BILLING] == -4 and result.totals[CODING] == 4
    assert result.max_totals[BILLING] == result.max_totals[CODING] == 36
    assert result.billing_fit == round(50 - 50 * 4 / 36) == 44
    assert result.coding_fit == round(50 + 50 * 4 / 36) == 56
    assert (result.leaning, result.strength) == (CODING, "slight")


@pytest.mark.parametrize(
    "margin, expected",
    [
        (0, (BALANCED, None)),
        (9, (BALANCED, None)),
        (-9, (BALANCED, None)),
        (10, (BILLING, "slight")),
        (-19, (CODING, "slight")),
        (20, (BILLING, "clear")),
        (-39, (CODING, "clear")),
        (40, (BILLING, "strong")),
        (-100, (CODING, "strong")),
    ],
)
def test_leaning_thresholds(margin, expected):
    assert _leaning(margin) == expected


def test_drivers_are_the_biggest_effects_first_with_their_reasons(quiz):
    answers = answers_for(
        quiz,
        phone_and_people=5,  # billing +4, coding -4 -> 8 toward billing
        chasing_payers=5,  # billing +4 -> 4
        quiet_independent=2,  # billing +2, coding -2 -> 4 toward billing
        negotiating=5,  # billing +2 -> 2
        anatomy_and_terms=4,  # coding +2 -> 2 against billing
        money_and_numbers=4,  # billing +2 -> 2
    )
    result = score(quiz, answers)
    assert result.leaning == BILLING
    assert len(result.drivers) == DRIVER_COUNT
    assert [d.statement_id for d in result.drivers] == [
        "phone-and-people",
        "chasing-payers",  # ties keep the quiz's order
        "quiet-independent",
        "negotiating",
    ]
    assert [d.contribution for d in result.drivers] == [8, 4, 4, 2]
    first = result.drivers[0]
    assert (first.answer, first.billing, first.coding, first.toward) == (5, 4, -4, BILLING)
    assert first.why == quiz.statement("phone-and-people").why
    assert first.text == quiz.statement("phone-and-people").text


def test_a_driver_that_pulled_against_the_leaning_is_negative(quiz):
    # 8 + 4 toward billing, 4 toward coding: a slight billing lean with one answer against it.
    answers = answers_for(quiz, phone_and_people=5, chasing_payers=5, anatomy_and_terms=5)
    result = score(quiz, answers)
    assert (result.leaning, result.strength) == (BILLING, "slight")
    assert [(d.statement_id, d.contribution, d.toward) for d in result.drivers] == [
        ("phone-and-people", 8, BILLING),
        ("chasing-payers", 4, BILLING),
        ("anatomy-and-terms", -4, CODING),
    ]


def test_a_balanced_result_still_shows_what_pulled_each_way(quiz):
    result = score(quiz, answers_for(quiz, phone_and_people=5, anatomy_and_terms=5))
    assert result.leaning == BALANCED
    assert [(d.statement_id, d.contribution, d.toward) for d in result.drivers] == [
        ("phone-and-people", 8, BILLING),
        ("anatomy-and-terms", 4, CODING),
    ]


def test_coding_drivers_count_toward_coding(quiz):
    result = score(quiz, pattern(quiz, high=CODING_SIDE, low=BILLING_SIDE))
    assert result.drivers[0].statement_id == "phone-and-people"  # disagreeing: 8 toward coding
    assert all(d.toward == CODING and d.contribution > 0 for d in result.drivers)
    assert [abs(d.contribution) for d in result.drivers] == sorted(
        (abs(d.contribution) for d in result.drivers), reverse=True
    )


# --- bad answers ---------------------------------------------------------------------------------


def test_missing_answers_are_listed(quiz):
    answers = answers_for(quiz)
    del answers["negotiating"], answers["quiet-independent"]
    with pytest.raises(ValueError, match="missing answers for: negotiating, quiet-independent"):
        score(quiz, answers)


@pytest.mark.parametrize("bad", [0, 6, -1, "4", 3.5, True, None])
def test_answers_outside_the_scale_are_refused(quiz, bad):
    with pytest.raises(ValueError, match=r"chasing-payers=") as excinfo:
        score(quiz, answers_for(quiz, chasing_payers=bad))
    assert "1..5" in str(excinfo.value)


def test_answers_for_unknown_statements_are_refused(quiz):
    answers = answers_for(quiz)
    answers["likes-spreadsheets"] = 4
    with pytest.raises(ValueError, match="likes-spreadsheets"):
        score(quiz, answers)


# --- bad files -----------------------------------------------------------------------------------


def _set(data, path, value):
    *parents, last = path
    target = data
    for key in parents:
        target = target[key]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value


_DELETE = object()


@pytest.mark.parametrize(
    "path, value, message",
    [
        (("statements", 0, "weights", "billing"), 3, r"statements\[0\] \(phone-and-people\)\.weights\.billing: 3 is outside -2\.\.2"),
        (("statements", 0, "weights", "coding"), "high", r"weights\.coding: expected a number"),
        (("statements", 1, "why"), _DELETE, r"statements\[1\] \(chasing-payers\)\.why: expected non-empty text"),
        (("statements", 1, "id"), "phone-and-people", r"duplicate id 'phone-and-people'"),
        (("statements", 1, "id"), "Chasing Payers", r"lower-case words joined by hyphens"),
        (("statements", 2, "weights"), {"billing": 1}, r"weights: expected exactly billing, coding"),
        (("statements", 2, "weights"), {"billing": 0, "coding": 0}, r"cannot affect the result"),
        (("statements", 2, "weights", "billing"), 2, r"weights are unbalanced.*19 for billing but 18 for coding"),
        (("roles", "coding", "figures", 2), "no-such-figure", r"roles\.coding\.figures\[2\]: no figure 'no-such-figure'"),
        (("roles", "billing", "figures", 0), {"label": "Pay", "value": "$1", "source": "X"}, r"roles\.billing\.figures\[0\]\.period"),
        (("roles", "billing", "duties"), ["one", "two"], r"roles\.billing\.duties: expected 3 to 5 bullets"),
        (("roles", "coding"), _DELETE, r"roles: expected exactly billing, coding"),
        (("scale", 2, "value"), 4, r"scale\[2\]\.value: expected 3"),
        (("version",), "one", r"version: expected a positive whole number"),
    ],
)
def test_a_broken_file_names_the_problem(raw, path, value, message):
    data = copy.deepcopy(raw)
    _set(data, path, value)
    with pytest.raises(ValueError, match=message):
        parse_rolefit(data, load_figures(FIGURES_YML))


def test_load_names_the_file_in_its_error(tmp_path):
    broken = tmp_path / "rolefit.yml"
    broken.write_text("version: 1\nscale: []\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"rolefit\.yml:2: scale: expected 5 points, got 0"):
        load_rolefit(broken)


@pytest.mark.parametrize(
    "find, replace, message",
    [
        ("  - {value: 1, label: Strongly disagree}", "  - {value: 1, label: ''}", r"scale\[0\]\.label"),
        ("version: ", "version: 0 #", r"version: expected a positive whole number"),
    ],
)
def test_a_broken_file_names_the_line(tmp_path, find, replace, message):
    """The role-fit file's problems carry the line they are on, as every content file's do."""
    text = ROLEFIT_YML.read_text(encoding="utf-8")
    assert find in text
    lines = text.splitlines()
    where = next(n for n, line in enumerate(lines, 1) if line.startswith(find))
    broken = tmp_path / "rolefit.yml"
    broken.write_text(text.replace(find, replace, 1), encoding="utf-8")
    (tmp_path / "figures.yml").write_bytes(FIGURES_YML.read_bytes())
    with pytest.raises(ValueError) as info:
        load_rolefit(broken)
    assert info.value.line == where
    assert re.search(rf"rolefit\.yml:{where}: {message}", str(info.value))


def test_an_aliased_rolefit_file_is_refused_with_its_line(tmp_path):
    """The role-fit file is read by the bounded loader every content file uses (no YAML aliases)."""
    broken = tmp_path / "rolefit.yml"
    broken.write_text("version: 1\nintro: &a hello\nscale: *a\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"rolefit\.yml:2: YAML anchors"):
        load_rolefit(broken)
