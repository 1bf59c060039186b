"""A new seller signs up, confirms through the mail in the dev outbox, logs out and in again."""

import os

from playwright.sync_api import Page, expect

PASSWORD = "violet tractor salad 42"


def test_sign_up_confirm_and_log_in(page: Page, portal_url: str, artifacts_dir: str):
    page.goto(portal_url + "/")
    page.get_by_role("link", name="Create your seller account").click()

    # A weak password is refused beside its field, the email stays typed, focus goes to the error.
    page.get_by_label("Email address").fill("seller@shop.example")
    page.get_by_label("Password", exact=True).fill("password")
    page.get_by_label("Type the password again").fill("password")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#password-error")).to_be_visible()
    expect(page.get_by_label("Email address")).to_have_value("seller@shop.example")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    page.get_by_role("link", name="Mail outbox").click()
    page.get_by_role("link", name="Confirm your email address").click()
    page.locator(".mail__body a").first.click()
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page.get_by_text("your email address is confirmed")).to_be_visible()

    page.get_by_label("Email address").fill("seller@shop.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("seller@shop.example is confirmed")).to_be_visible()
    page.screenshot(path=os.path.join(artifacts_dir, "signup-journey-home.png"), full_page=True)

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.get_by_label("Email address").fill("seller@shop.example")
    page.get_by_label("Password").fill("the wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("don't match an account")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
