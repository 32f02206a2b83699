"""A timed practice exam in a real browser: autosave, a reload that keeps the server's time, submit, results."""
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def _seconds(text):
    h, m, s = (int(x) for x in re.search(r"(\d+):(\d\d):(\d\d)", text).groups())
    return h * 3600 + m * 60 + s


def test_take_a_short_exam_reload_resumes_the_clock_and_results_follow(app, page, login_as):
    from app.extensions import db
    from app.models import ExamAnswer, ExamAttempt
    login_as("student", "e2e-examinee@example.test")
    page.goto("/exams/")
    page.locator("#exam-cpc-sprint").get_by_role("button", name="Start").click()
    expect(page.locator(".item-number")).to_have_text("Item 1 of 20")
    expect(page.locator(".codebook-panel")).to_be_visible()  # the CPC allows the code books

    # Autosave: picking an option saves it without leaving the page; the map marks it answered.
    page.locator('input[name="choice"]').nth(1).check()
    expect(page.locator(".save-status")).to_have_text("Saved")
    expect(page.locator('[data-map="0"]')).to_have_class(re.compile(r"\banswered\b"))
    page.get_by_label("Flag this item for review").check()
    expect(page.locator('[data-map="0"]')).to_have_class(re.compile(r"\bflagged\b"))

    # The no-JS path works in the browser too: Save and next.
    page.get_by_role("button", name="Save and next").click()
    expect(page.locator(".item-number")).to_have_text("Item 2 of 20")
    page.locator('input[name="choice"]').nth(0).check()
    expect(page.locator(".save-status")).to_have_text("Saved")

    before = _seconds(page.locator(".exam-timer-value").inner_text())
    page.wait_for_timeout(2500)
    page.reload()  # as if the browser had been closed and opened again
    after = _seconds(page.locator(".exam-timer-value").inner_text())
    assert 0 <= before - after <= 6, (before, after)
    assert 25 * 60 < after <= 30 * 60
    expect(page.locator('input[name="choice"]').nth(0)).to_be_checked()
    page.screenshot(path="test-results/exam-item.png", full_page=True)

    page.get_by_role("button", name="Save and review before submitting").click()
    expect(page.get_by_text("You have answered 2 of 20 items")).to_be_visible()
    page.get_by_role("button", name="Submit the exam for grading").dblclick()
    expect(page.get_by_role("heading", name=re.compile("^Results"))).to_be_visible()
    expect(page.locator(".by-domain")).to_be_visible()
    expect(page.locator(".item-review .why").first).to_be_visible()
    page.screenshot(path="test-results/exam-results.png", full_page=True)

    # Everything missed is in the spaced review: question first, the answer behind a reveal, a self-grade.
    page.goto("/exams/review")
    expect(page.locator(".due-count")).to_contain_text("due today")
    due = int(re.search(r"(\d+) due", page.locator(".due-count").inner_text()).group(1))
    assert due >= 18
    expect(page.locator(".reveal .why").first).to_be_hidden()
    page.get_by_text("Show the answer and the reasons").click()
    expect(page.locator(".reveal .why").first).to_be_visible()
    page.screenshot(path="test-results/exam-review.png", full_page=True)
    page.get_by_role("button", name="4", exact=True).click()
    expect(page.locator(".due-count")).to_contain_text(f"{due - 1} due today")
    page.goto("/exams/")
    page.screenshot(path="test-results/exam-list.png", full_page=True)

    with app.app_context():
        attempt = db.session.scalar(sa.select(ExamAttempt))
        assert attempt.closed_by == "student" and attempt.scored_total == 20
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamAnswer)) == 2
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamAttempt)) == 1
