"""Coverage of the course against its targets (app/content/coverage.py)."""
from types import SimpleNamespace

import pytest

from app.content.coverage import CourseMap, coverage, load_course_map, render
from app.content.errors import ContentError

COURSE = CourseMap(targets={"coding": {"lessons": 1, "cases": 2}, "icd10cm": {"lessons": 1, "cases": 1},
                            "billing": {"lessons": 1, "scenarios": 2}},
                   bank_forms=3, lessons={"cpt:em": ("em-mdm",), "icd10cm:ch09": ("htn",),
                                          "denials:coding": ("remit",)})


def case(*tags):
    return SimpleNamespace(domains=tags)


def rows_by_area(rows):
    return {(r.group, r.area): r for r in rows}


def test_counts_each_case_once_per_area_and_compares_with_the_targets():
    cases = [case("cpt:em", "icd10cm:ch09"), case("cpt:em", "cpt:em"), case("cpt:lab")]
    rows = rows_by_area(coverage(COURSE, cases, [("denials:coding",), ("denials:coding", "denials:payment")],
                                 {"cpt-em": 36, "icd10cm": 10}, {"cpt-em": 12, "icd10cm": 22}, ["denials:coding"]))
    em = rows[("Coding", "cpt:em")]
    assert dict(em.counts) == {"lessons": 1, "cases": 2} and em.short == ()
    lab = rows[("Coding", "cpt:lab")]
    assert dict(lab.counts) == {"lessons": 0, "cases": 1} and lab.short == ("lessons", "cases")
    assert rows[("ICD-10-CM", "icd10cm:ch09")].short == ()
    assert rows[("Billing", "denials:coding")].counts == (("lessons", 1), ("scenarios", 2))
    # the bank needs three forms of the largest count a blueprint draws: 3 x 12 = 36 met, 3 x 22 = 66 not
    assert rows[("Bank", "cpt-em")].short == () and rows[("Bank", "icd10cm")].short == ("items",)


def test_render_marks_what_is_short_and_counts_the_areas_below():
    rows = coverage(COURSE, [case("cpt:em"), case("cpt:em")], [], {}, {}, [])
    text = render(rows)
    assert "cpt:em" in text and "BELOW: lessons, cases" in text   # cpt:anesthesia has neither
    assert text.rstrip().endswith(f"{sum(1 for r in rows if r.short)} of {len(rows)} areas below target")


def test_the_course_map_names_only_lessons_that_exist(tmp_path):
    path = tmp_path / "coverage.yml"
    path.write_text("targets:\n  bank_forms: 3\nlessons:\n  cpt:em: [em-mdm, no-such-lesson]\n")
    with pytest.raises(ContentError, match="no lesson 'no-such-lesson'") as err:
        load_course_map(path, ["em-mdm"])
    assert err.value.line == 4
    path.write_text("lessons:\n  cpt:everything: [em-mdm]\n")
    with pytest.raises(ContentError, match="unknown area"):
        load_course_map(path, ["em-mdm"])


def test_the_shipped_course_map_loads():
    from pathlib import Path
    from app.content.lessons import load_lesson_content
    content = Path(__file__).resolve().parents[2] / "content"
    lessons, errors = load_lesson_content(content / "lessons")
    assert not errors
    course = load_course_map(content / "coverage.yml", [l.slug for l in lessons.lessons])
    assert course.lessons["cpt:em"] and course.bank_forms == 3
