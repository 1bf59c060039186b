"""A seller asks to leave from their own portal; a risk analyst closes the account from the console:
payments stop, the balance is paid out, the Stripe account is deleted, and the seller's portal says
it is closed. Staff sign in with the development sign-in (sandbox mode, no provider)."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.test_money_pages import EMAIL, confirm_it_is_you, seller, seller_secrets  # noqa: F401 (the fixtures)
from e2e.test_staff_funds import portal_command, sign_in_as


def test_a_seller_asks_to_leave_and_staff_close_the_account(seller, tmp_path, portal_url, smtp_inbox,  # noqa: F811
                                                            page: Page, browser: Browser, artifacts_dir,
                                                            seller_secrets):  # noqa: F811
    sandbox, account = seller
    # Nothing holds the seller's payouts: the business email is confirmed.
    mail = smtp_inbox.wait_for(EMAIL, subject="Confirm your business email address")[-1]
    page.goto(re.search(r"https?://\S+/onboarding/business-email/confirm/\S+", mail.get_content()).group(0))
    page.get_by_role("button", name=f"Confirm {EMAIL}").click()
    # $25.00 reaches the seller's available balance: the platform's funds, then a transfer.
    sandbox.sdk.v1.payment_intents.create(params={"amount": 10_000, "currency": "usd",
                                                  "payment_method": "pm_card_bypassPending", "confirm": True})
    sandbox.sdk.v1.transfers.create(params={"amount": 2500, "currency": "usd", "destination": account})

    # The seller asks, from the security page, after confirming it's them.
    page.goto(portal_url + "/account/security/")
    page.get_by_role("link", name="Close your seller account").click()
    confirm_it_is_you(page, seller_secrets)
    page.get_by_label("Anything you would like us to know").fill("Moving to a shop of my own")
    page.get_by_role("button", name="Ask to close my account").click()
    expect(page.locator(".field-error")).to_contain_text("Tick the box")
    expect(page.get_by_label("Anything you would like us to know")).to_have_value("Moving to a shop of my own")
    page.get_by_label(re.compile("I understand that my account will stop")).check()
    page.get_by_role("button", name="Ask to close my account").click()
    expect(page.locator("#close-requested")).to_contain_text("You asked us to close this account")
    assert smtp_inbox.wait_for(EMAIL, subject="We received your request to close your account")

    # A risk analyst finds the request and closes the account step by step.
    portal_command(tmp_path, "create-staff", "rita@platform.test", "--role", "risk")
    staff = browser.new_context().new_page()
    sign_in_as(staff, portal_url, "rita@platform.test", "risk")
    staff.goto(portal_url + "/staff/?q=&filter=closing")
    staff.get_by_role("link", name=re.compile("Ann")).first.click()
    expect(staff.locator("#closing-title + p")).to_contain_text("Moving to a shop of my own")
    staff.get_by_role("link", name="Close at the seller's request…").click()
    expect(staff.locator("#blockers")).to_contain_text("25.00 USD available to pay out.")
    staff.get_by_label("Reason (goes on the audit trail)").fill("The seller asked from the portal")
    staff.get_by_label("Type the seller's email to confirm").fill(EMAIL)
    staff.get_by_role("button", name="Start closing").click()
    expect(staff.locator(".flash--success")).to_contain_text("Closing has started")
    assert sandbox.sdk.v1.accounts.retrieve(account).capabilities.to_dict().get("card_payments") in (None, "inactive")

    page.goto(portal_url + "/payouts")
    expect(page.locator("h1")).to_have_text("Your seller account is closing")
    expect(page.locator("#what-remains")).to_contain_text("$25.00 available")

    staff.get_by_role("button", name=re.compile(r"Pay out \$25\.00")).click()
    expect(staff.locator(".flash--success")).to_contain_text("1 payout sent")
    staff.get_by_label("Reason (goes on the audit trail)").fill("Paid out; nothing left")
    staff.get_by_role("button", name="Finish closing").click()
    expect(staff.locator(".field-error")).to_contain_text("A payout of 25.00 USD on its way")
    staff.screenshot(path=f"{artifacts_dir}/staff-closing-waits-for-payout.png", full_page=True)

    sandbox.helper("sandbox/advance_clock", seconds=5 * 24 * 3600)
    staff.get_by_label("Reason (goes on the audit trail)").fill("Paid out; nothing left")
    staff.get_by_role("button", name="Finish closing").click()
    expect(staff.locator(".flash--success")).to_contain_text("account is closed")
    expect(staff.locator("#closure")).to_contain_text("kept until")
    with pytest.raises(Exception):
        sandbox.sdk.v1.accounts.retrieve(account)

    page.goto(portal_url + "/dashboard")
    expect(page.locator("h1")).to_have_text("Your seller account is closed")
    page.screenshot(path=f"{artifacts_dir}/seller-account-closed.png")
    assert smtp_inbox.wait_for(EMAIL, subject="Your seller account is closed")
