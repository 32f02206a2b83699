"""A newcomer's first visit, in a real browser: sign up, read a lesson, check, complete, quiz."""
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_sign_up_read_lesson_check_and_complete(page):
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Your name").fill("Rae Browser")
    page.get_by_label("E-mail").fill("rae@example.test")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Repeat password").fill("short")
    page.get_by_role("button", name="Create account").click()
    # The form comes back with the error beside the field and the name kept.
    expect(page.locator("#password-error")).to_contain_text("at least 8")
    expect(page.get_by_label("Your name")).to_have_value("Rae Browser")
    page.get_by_label("Password", exact=True).fill("a sturdy passphrase")
    page.get_by_label("Repeat password").fill("a sturdy passphrase")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Lessons")).to_be_visible()

    page.locator(".lesson-list a").first.click()
    expect(page.locator("article.lesson h1")).to_be_visible()
    page.locator("fieldset.question").first.locator("input[type=radio]").first.check()
    page.get_by_role("button", name="Check my answers").click()
    expect(page.locator(".score")).to_contain_text("You answered")
    expect(page.locator(".feedback").first).to_be_visible()
    page.get_by_role("button", name="Mark lesson complete").click()
    expect(page.locator(".flash.success")).to_contain_text("marked complete")
    page.goto("/lessons/")
    expect(page.locator(".progress-line").first).to_contain_text(re.compile(r"1 of \d+ done"))


def test_role_fit_quiz_without_an_account(page):
    page.goto("/role-fit/")
    for group in page.locator("fieldset.likert").all():
        group.locator("input[value='4']").check()
    page.get_by_role("button", name="See which role fits").click()
    expect(page.get_by_role("heading", name="Your result")).to_be_visible()
    expect(page.locator("dl.figures").first).to_contain_text("Bureau of Labor Statistics")
    page.screenshot(path="test-results/role-fit-result.png", full_page=True)


def test_logout_then_back_does_not_restore_the_session(page, make_user):
    make_user("tom@example.test", "correct horse battery")
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill("tom@example.test")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.goto("/lessons/")
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
