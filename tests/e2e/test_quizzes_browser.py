"""Quizzes in a real browser: an instructor writes and publishes one, a student takes it (CSP clean)."""
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_write_publish_and_take_a_quiz(app, page, login_as):
    login_as("instructor", "e2e-teacher@example.test")
    page.goto("/quizzes/manage/new")
    page.get_by_label("Title").fill("Browser quiz")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Short code entry").click()
    # Only the chosen type's fields show; switching the type shows the others.
    expect(page.locator(".quiz-for-code")).to_be_visible()
    expect(page.locator(".quiz-for-single")).to_be_hidden()
    page.get_by_label("Question type").select_option("truefalse")
    expect(page.locator(".quiz-for-truefalse")).to_be_visible()
    expect(page.locator(".quiz-for-code")).to_be_hidden()
    page.get_by_label("Question type").select_option("code")
    page.get_by_label("Question", exact=True).fill("Type 2 diabetes with diabetic CKD stage 3a: code it.")
    page.get_by_label("Answer key: diagnosis codes (ICD-10-CM), first-listed first").fill("E11.2")
    page.get_by_role("button", name="Save question").click()
    expect(page.locator("#key_diagnoses-error")).to_contain_text("E11.2: not billable")
    page.get_by_label("Answer key: diagnosis codes (ICD-10-CM), first-listed first").fill("E11.22\nN18.31")
    page.get_by_role("button", name="Save question").click()
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.locator(".flash.success")).to_contain_text("published")
    page.get_by_label("Site-wide practice: every signed-in student may take it").check()
    page.get_by_role("button", name="Save who can take it").click()
    expect(page.locator(".flash.success")).to_contain_text("Every signed-in student")
    page.get_by_role("button", name="Log out").click()

    login_as("student", "e2e-quiz-student@example.test")
    page.goto("/quizzes/")
    page.get_by_role("link", name="Browser quiz").click()
    page.get_by_label("Diagnosis codes (ICD-10-CM), first-listed first, separated by spaces or commas").fill("e1122, N18.30")
    page.get_by_role("button", name="Submit answers").dblclick()
    expect(page.get_by_role("heading", name="your result")).to_be_visible()
    expect(page.locator(".badge.status-partial").first).to_be_visible()
    with app.app_context():
        from app.extensions import db
        from app.models import QuizAttempt
        assert db.session.scalar(sa.select(sa.func.count()).select_from(QuizAttempt)) == 1
