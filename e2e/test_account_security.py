"""Account-takeover defences in Chromium: two-step sign-in with an authenticator app and recovery
codes; a new device's sign-in mail, the bank change it makes asking for the second factor again,
the cooling-off hold on payouts, and staff lifting it."""

import re

import httpx
from playwright.sync_api import Browser, Page, expect

from e2e.test_money_pages import Sandbox
from portal.db import Database
from portal.staff.models import StaffRole
from portal.staff.service import create_staff
from tests.conftest import press_link_button
from tests.security.helpers import code_at
from tests.onboarding.flows import onboard_individual

PASSWORD = "violet tractor salad 42"
EMAIL = "ann@annsbakery.com"


def code_for(key: str, step_offset: int = 0) -> str:
    """The code an authenticator shows now, or one step either side (the portal accepts both)."""
    return code_at(key, step_offset)[0]


def log_in(page: Page, portal_url: str, email: str) -> None:
    page.goto(portal_url + "/account/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def enter_code(page: Page, code: str) -> None:
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Continue").click()


def replace_bank_account(page: Page) -> None:
    """On the bank step after confirming it's you: a new account replaces the one on file, and
    payouts cool off."""
    page.get_by_label(re.compile("^Name on the account")).fill("Ann Baker")
    page.get_by_label(re.compile("^Routing number")).fill("110000000")
    page.get_by_label(re.compile(r"^Account number( \(optional\))?$")).fill("000111111116")
    page.get_by_label(re.compile("^Account number again")).fill("000111111116")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("payouts are on hold for a few days")).to_be_visible()


def test_two_step_sign_in_with_an_authenticator_and_recovery_codes(page: Page, portal_url, smtp_inbox):
    email = "seller@shop.example"
    page.goto(portal_url + "/account/signup")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    link = re.search(r"https?://\S+", smtp_inbox.wait_for(email, subject="Confirm your email address")[0].get_content()).group(0)
    page.goto(portal_url + "/" + link.split("/", 3)[3])
    page.get_by_role("button", name="Confirm my email address").click()
    log_in(page, portal_url, email)

    page.goto(portal_url + "/account/security/")
    page.get_by_role("link", name="Set up two-step sign-in").click()
    page.get_by_role("button", name="Show the code to scan").click()
    expect(page.get_by_alt_text("QR code for your authenticator app")).to_be_visible()
    key = page.locator("#totp-key").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill("000000" if code_for(key, -1) != "000000" else "111111")
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_role("alert")).to_contain_text("isn't right")
    page.get_by_label("Code from the app").fill(code_for(key, -1))
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_role("heading", name="Two-step sign-in is on")).to_be_visible()
    recovery = page.get_by_role("list", name="Recovery codes").locator("code").all_inner_texts()
    assert len(recovery) == 10
    page.get_by_role("link", name="I have saved my codes").click()
    page.get_by_role("button", name="Log out").click()

    log_in(page, portal_url, email)
    expect(page.get_by_role("heading", name="Enter your sign-in code")).to_be_visible()
    enter_code(page, "123456" if code_for(key) != "123456" else "654321")
    expect(page.get_by_role("alert")).to_contain_text("isn't right")
    used = code_for(key)
    enter_code(page, used)
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    log_in(page, portal_url, email)
    enter_code(page, used)
    expect(page.get_by_role("alert")).to_contain_text("already used")
    enter_code(page, recovery[0])
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    log_in(page, portal_url, email)
    enter_code(page, recovery[0])
    expect(page.get_by_role("alert")).to_contain_text("already used")


def _interval(sandbox: Sandbox, account_id: str) -> str:
    return sandbox.sdk.v1.accounts.retrieve(account_id).settings.payouts.schedule.interval


def test_a_new_device_changes_the_bank_account_and_payouts_cool_off_until_staff_lift_it(
        browser: Browser, portal_url, smtp_inbox, tmp_path, artifacts_dir):
    # The seller onboards on their usual computer, turning on two-step sign-in when it is asked.
    with httpx.Client(base_url=portal_url, timeout=30) as usual:
        onboard_individual(usual, smtp_inbox, EMAIL)
        mail = smtp_inbox.wait_for(EMAIL, subject="Confirm your business email address")[0].get_content()
        press_link_button(usual, re.search(r"/onboarding/business-email/confirm/\S+", mail).group(0))
        key = usual.two_factor_key
    sandbox = Sandbox(portal_url)
    page = browser.new_page()  # a browser the portal has never seen
    account_id = sandbox.wait_until_verified(page)
    assert _interval(sandbox, account_id) == "daily"

    log_in(page, portal_url, EMAIL)
    enter_code(page, code_for(key))
    mail = smtp_inbox.wait_for(EMAIL, subject="New sign-in to your seller account")[0].get_content()
    assert "/account/security/lock/" in mail and "will never ask for your password" in mail

    # Changing the bank account asks for the password and a code again.
    page.goto(portal_url + "/onboarding/bank")
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label(re.compile("Code from your authenticator")).fill(code_for(key, +1))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("On file:")).to_be_visible()
    replace_bank_account(page)

    page.goto(portal_url + "/payouts")
    expect(page.locator('[data-hold="cooling_off"]')).to_contain_text("sensitive account details changed recently")
    page.screenshot(path=f"{artifacts_dir}/account-security-cooling-off.png", full_page=True)
    assert _interval(sandbox, account_id) == "manual"

    # Staff see the takeover flag and lift the hold with a reason.
    create_staff(Database(f"sqlite:///{tmp_path / 'var' / 'portal.db'}"), "rita@platform.example", StaffRole.risk)
    staff = browser.new_page()
    staff.goto(portal_url + "/staff/sign-in")
    staff.get_by_role("button", name="Sign in (development)").click()
    staff.goto(portal_url + "/staff/security/sellers/1")
    expect(staff.get_by_text("Takeover risk")).to_be_visible()
    staff.get_by_role("button", name="Lift this hold").click()
    expect(staff.get_by_text("Give a reason")).to_be_visible()
    staff.get_by_label("Reason (goes on the audit trail)").fill("Called the seller on the phone number on file")
    staff.get_by_role("button", name="Lift this hold").click()
    expect(staff.get_by_text("The hold is lifted")).to_be_visible()
    assert _interval(sandbox, account_id) == "daily"
    page.goto(portal_url + "/payouts")
    expect(page.locator('[data-hold="cooling_off"]')).to_have_count(0)
