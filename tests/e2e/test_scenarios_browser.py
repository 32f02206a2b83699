"""A biller works one denial in a real browser: read the claim and the ERA, fix, resubmit, get scored."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"


def log_in(page, make_user, email="ana@example.test"):
    make_user(email, PASSWORD)
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_work_a_missing_modifier_denial_and_resubmit(page, make_user):
    log_in(page, make_user)
    page.get_by_role("link", name="Claim scenarios").click()
    expect(page.get_by_role("heading", name="Claim scenarios")).to_be_visible()
    page.get_by_role("link", name="Which knee?").click()
    expect(page.locator(".cms1500").first).to_contain_text("4417251190")
    expect(page.locator(".era").first).to_contain_text("CO-4")
    page.screenshot(path="test-results/scenario-page.png", full_page=True)

    # First try: forget the cause; the form comes back with the error and the edits kept.
    page.get_by_label("Correct the claim and resubmit it").check()
    page.get_by_label("Line 1 modifiers").fill("LT")
    page.get_by_role("button", name="Submit my answer").click()
    expect(page.locator("#causes-error")).to_contain_text("Pick at least one cause")
    expect(page.get_by_label("Line 1 modifiers")).to_have_value("LT")
    expect(page.get_by_label("Correct the claim and resubmit it")).to_be_checked()

    page.get_by_label("a modifier the payer requires is missing").check()
    page.get_by_label("22 Resubmission code").select_option("7")
    page.get_by_label("22 Original reference number").fill("RSO-26-2150")
    page.get_by_role("button", name="Submit my answer").click()

    expect(page.get_by_role("heading", name="Which knee?: your result")).to_be_visible()
    expect(page.locator(".score-big strong")).to_have_text("100%")
    after = page.locator(".claim-compare > div").nth(1)
    expect(after.locator(".era-status")).to_contain_text("paid")
    expect(page.locator(".claim-expected")).to_contain_text("Add LT (left side)")
    page.screenshot(path="test-results/scenario-result.png", full_page=True)


def test_claim_lab_answers_with_carcs(page, make_user):
    log_in(page, make_user, "lab@example.test")
    page.goto("/claims/lab?payer=commercial-ppo")
    page.get_by_label("1a / 2 Patient").select_option("SHP204118836")
    page.get_by_label("Date the payer receives").fill("2026-03-20")
    page.get_by_label("A.", exact=True).fill("M17.11")
    page.get_by_label("Line 1 date of service").fill("2026-03-10")
    page.get_by_label("Line 1 procedure code").fill("20610")
    page.get_by_label("Line 1 diagnosis pointers").fill("A")
    page.get_by_label("Line 1 charge").fill("180.00")
    page.get_by_label("Line 1 units").fill("1")
    page.get_by_role("button", name="Send to").click()
    expect(page.locator(".era")).to_contain_text("CO-4")
    expect(page.get_by_label("Line 1 procedure code")).to_have_value("20610")
    page.screenshot(path="test-results/claim-lab.png", full_page=True)
