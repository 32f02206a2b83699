"""A coding case in a real browser: code book beside the case, rows added, graded line by line."""
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_code_a_case_with_the_code_book_open(app, page, login_as):
    from app.extensions import db
    from app.models import CodingCase
    with app.app_context():
        case = db.session.scalar(sa.select(CodingCase).where(CodingCase.slug == "established-diabetes-hypertension-visit"))
        key = case.answer_key
    login_as("student", "e2e-coder@example.test")
    page.goto(f"/cases/{case.slug}")
    expect(page.locator(".vignette")).to_be_visible()

    # The code book beside the case: type words, click a result to fill the focused code box.
    page.locator("#dx_1").click()
    page.locator("#cb-q").fill("diab kidn")
    expect(page.locator(".cb-list .cb-code").first).to_be_visible()
    page.locator(".cb-code", has_text="E11.22").click()
    expect(page.locator("#dx_1")).to_have_value("E11.22")

    # Enter the key, adding rows with the button when there are more lines than boxes.
    for i, line in enumerate(key["diagnoses"], 1):
        if page.locator(f"#dx_{i}").count() == 0:
            page.get_by_role("button", name="Add a diagnosis row").click()
        page.locator(f"#dx_{i}").fill(line["code"])
    for i, line in enumerate(key["procedures"], 1):
        page.locator(f"#px_code_{i}").fill(line["code"])
        page.locator(f"#px_mod_{i}").fill(", ".join(line.get("modifiers", [])))
        page.locator(f"#px_units_{i}").fill(str(line.get("units", 1)))
    # Swap the first two diagnoses to check the sequencing rule is applied and explained.
    page.locator(".code-rows[data-rows=dx] .code-row").nth(1).get_by_role("button", name="Move up").click()
    page.get_by_role("button", name="Submit for grading").dblclick()

    expect(page.get_by_role("heading", name="your result")).to_be_visible()
    expect(page.locator(".badge.status-sequence").first).to_be_visible()
    expect(page.locator("table.verdicts").first).to_contain_text("first-listed")
    page.screenshot(path="test-results/case-result.png", full_page=True)
    with app.app_context():
        from app.models import CaseAttempt
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseAttempt)) == 1
