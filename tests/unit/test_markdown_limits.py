"""The Markdown shape limits (app/content/markdown.py): what is refused, what passes, and that the
renderer never parses refused text (issue 12 §2, §5)."""
import time

import pytest

from app.content.markdown import MAX_NESTING, MAX_SPAN, markdown_problem, nesting, render_markdown


@pytest.mark.parametrize("line, depth", [
    ("plain", 0), ("- item", 1), ("    - item", 2), ("> quote", 1), ("> - 1. x", 3), (">>>> x", 4),
    ("\t\t- x", 3), ("1) x", 1), ("-not a list", 0), ("2026. was a year", 1), ("        code", 2),
])
def test_nesting_counts_indentation_quote_marks_and_list_markers(line, depth):
    assert nesting(line) == depth


@pytest.mark.parametrize("text, says", [
    ("".join("    " * i + "- x\n" for i in range(200)), f"at most {MAX_NESTING} are allowed"),  # the probe's shape
    ("1. " * 3000, "nest 3,000 levels deep"),
    (">" * 2000 + " x", "nest 2,000 levels deep"),
    ("[" * 10_000, "10,000 square brackets"),                   # the 6.7 s preview
    ("[" * 150, "A [ has no ]"),
    ("[a](" + "b" * 600 + ")", "A ( has no )"),
    ("[" + "a" * (MAX_SPAN + 1) + "]", "A [ has no ]"),
    ("<a " * 50, "A < has no >"),
    ("[x]" * 101, "202 square brackets"),
    ("*a " * 401, "401 runs of * or _"),
    ("'" * 601, "601 quotation marks"),
    ("a\n" * 301, "301 lines"),
])
def test_shapes_past_a_limit_are_named(text, says):
    problem = markdown_problem(text)
    assert problem is not None and says in problem


@pytest.mark.parametrize("text", [
    "Code **every** diagnosis the note supports; see [ICD-10-CM I.B.1](https://www.cms.gov/medicare/coding-billing/icd-10-codes).",
    "".join("    " * i + "- level\n" for i in range(MAX_NESTING)),
    "| box | what |\n|---|---|\n| 21 | diagnoses |\n",
    "```\n" + "".join(" " * 4 * i + "x\n" for i in range(20)) + "```\n",  # code in a fence keeps its indentation
    "Age < 65 and weight > 100; E11.9 \\[not billable\\]",
    "Fill in: ________ and ________.",
])
def test_ordinary_markdown_is_within_the_limits(text):
    assert markdown_problem(text) is None


@pytest.mark.parametrize("text", ["[" * 10_000, "1. " * 3333, "".join("    " * i + "- x\n" for i in range(500)),
                                  "<script>alert(1)</script>\n\n" + "[" * 300])
def test_text_past_the_limits_renders_as_escaped_plain_text_quickly(text):
    start = time.process_time()
    out = render_markdown(text)
    assert time.process_time() - start < 0.1
    assert "<script" not in out and out.startswith("<p>")


def test_a_lesson_past_a_shape_limit_fails_the_content_check(tmp_path):
    """Lessons are rendered at import; one past a limit is refused there, not shown as plain text."""
    from pathlib import Path

    from app.content.errors import ContentError
    from app.content.lessons import load_lesson
    shipped = Path(__file__).resolve().parents[2] / "content" / "lessons" / "billing" / "05-denials-and-appeals.md"
    text = shipped.read_text(encoding="utf-8")
    assert load_lesson(shipped, {"billing"}).body_html  # the shipped lesson loads
    path = tmp_path / "05-denials-and-appeals.md"
    path.write_text(text + "\n\n" + "".join("    " * i + "- deeper\n" for i in range(MAX_NESTING + 1)), encoding="utf-8")
    with pytest.raises(ContentError, match="the lesson body: Lists, quotes or indentation nest 7 levels deep"):
        load_lesson(path, {"billing"})
