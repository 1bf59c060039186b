"""A seller's balance goes negative after a lost dispute; a risk analyst asks to send funds to cover
it from the negative-balance list, a second staff member (an admin, in another browser) approves with a passkey,
and the seller's balance in the sandbox is back to zero, with both staff and the reason on the
seller's audit trail. Staff sign in with the development sign-in (sandbox mode, no provider)."""

import os
import re
import subprocess
import sys

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.accessibility import check_page
from e2e.stripe_ids import check_ids
from e2e.test_money_pages import Sandbox
from e2e.test_passkeys import virtual_authenticator
from tests.onboarding.flows import onboard_individual

EMAIL = "ann@annsbakery.com"
REASON = "Cover the lost dispute on order 42 until the seller repays"


@pytest.fixture
def low_threshold(monkeypatch):
    """`portal serve` (started after this fixture) asks for approval from $10.00."""
    monkeypatch.setenv("MONEY_APPROVAL_THRESHOLD", "1000")


def portal_command(tmp_path, *args: str) -> str:
    """Run the `portal` command against the served portal's var/ (as an operator would)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("STRIPE_", "DATABASE_URL", "SMTP_"))}
    env["PORTAL_VAR_DIR"] = str(tmp_path / "var")
    done = subprocess.run([sys.executable, "-m", "portal", *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def sign_in_as(page: Page, portal_url: str, email: str, role: str) -> None:
    page.goto(portal_url + "/staff/sign-in")
    page.get_by_label("Staff member").select_option(label=f"{email} ({role})")
    page.get_by_role("button", name="Sign in (development)").click()
    expect(page.locator("#staff-identity")).to_contain_text(email)


def test_staff_cover_a_negative_balance_with_a_second_staff_members_approval(
        low_threshold, tmp_path, portal_url, smtp_inbox, page: Page, browser: Browser, artifacts_dir):
    with httpx.Client(base_url=portal_url, timeout=30) as client:
        onboard_individual(client, smtp_inbox, EMAIL)
    sandbox = Sandbox(portal_url)
    account = sandbox.wait_until_verified(page)
    as_seller = {"stripe_account": account}
    # The platform has funds to send (the test card that skips the pending balance)...
    sandbox.sdk.v1.payment_intents.create(params={"amount": 100_000, "currency": "usd",
                                                  "payment_method": "pm_card_bypassPending", "confirm": True})
    # ...and the seller loses a $42.00 payment to a dispute, plus the fee: their balance is below zero.
    intent = sandbox.sdk.v1.payment_intents.create(params={"amount": 4200, "currency": "usd",
                                                           "payment_method": "pm_card_bypassPending", "confirm": True},
                                                   options=as_seller)
    sandbox.helper("sandbox/disputes", account, charge=intent.latest_charge, reason="fraudulent")
    shortfall = sandbox.sdk.v1.balance.retrieve(options=as_seller).available[0].amount
    assert shortfall < -1000
    owed = f"${-shortfall / 100:,.2f}"
    # No `portal sync`: the dispute's webhooks make the portal read the balance again within seconds.
    portal_command(tmp_path, "create-staff", "rita@platform.test", "--role", "risk")
    portal_command(tmp_path, "create-staff", "adam@platform.test", "--role", "admin")

    # Staff member A: the negative-balance list, then "Send funds to cover".
    sign_in_as(page, portal_url, "rita@platform.test", "risk")
    page.get_by_role("link", name="Negative balances").click()
    row = page.locator(f"tr[data-account='{account}']")
    expect(row).to_contain_text("-" + owed)
    expect(row.locator("td").nth(3)).to_have_text("0")  # days negative
    expect(row.locator("td").nth(4)).to_have_text("180")  # days left before the reserve pays
    # Named by business and email beside the id, linked to the seller's page.
    seller_cell = row.locator("td").first
    expect(seller_cell.get_by_role("link", name="Ann's Bakery")).to_have_attribute("href", re.compile(r"^/staff/sellers/\d+$"))
    expect(seller_cell).to_contain_text(EMAIL)
    expect(seller_cell.locator("code")).to_have_text(account)
    check_ids(page, account)
    check_page(page, artifacts_dir, "staff negative balances")
    row.get_by_role("link", name="Send funds to cover").click()
    expect(page.get_by_label("Amount in US dollars (USD)")).to_have_value(f"{-shortfall / 100:.2f}")
    # Before submitting: this amount waits for a second staff member, and who may approve it.
    expect(page.locator("#approval-outcome")).to_have_text("This amount will wait for a second staff member's approval.")
    expect(page.locator("#approval-rule")).to_contain_text("anyone with the risk or admin role except you")
    check_page(page, artifacts_dir, "staff send funds form")
    page.get_by_label("Amount in US dollars (USD)").fill("9.99")
    expect(page.locator("#approval-outcome")).to_have_text("This amount moves as soon as you submit.")
    page.get_by_label("Amount in US dollars (USD)").fill(f"{-shortfall / 100:.2f}")
    expect(page.locator("#approval-outcome")).to_have_text("This amount will wait for a second staff member's approval.")
    expect(page.get_by_label("Description (the seller sees this)")).to_have_value("Covering your negative balance")
    page.get_by_label("Reason (goes on the audit trail)").fill(REASON)
    page.get_by_role("button", name="Send funds").click()
    expect(page.locator(".flash--success")).to_contain_text("waits for a second staff member")
    assert sandbox.sdk.v1.balance.retrieve(options=as_seller).available[0].amount == shortfall  # nothing moved yet
    page.screenshot(path=f"{artifacts_dir}/staff-funds-requested.png")

    # Staff member B, in a browser of their own, adds a passkey (Chromium's virtual authenticator;
    # a browser takes no IP address as a relying party, hence localhost) and approves with it.
    other = browser.new_context()
    approver = other.new_page()
    virtual_authenticator(approver)
    portal_url = portal_url.replace("127.0.0.1", "localhost")
    sign_in_as(approver, portal_url, "adam@platform.test", "admin")
    approver.goto(portal_url + "/staff/funds")
    approver.get_by_role("link", name="add one").first.click()
    approver.get_by_label("Name for this passkey").fill("Security key")
    approver.get_by_role("button", name="Add a passkey").click()
    expect(approver.get_by_text("Passkey “Security key” added")).to_be_visible()
    check_page(approver, artifacts_dir, "Staff passkeys")
    approver.goto(portal_url + "/staff/funds")
    waiting = approver.locator("#funds-waiting tbody tr").first
    expect(waiting).to_contain_text("rita@platform.test")
    expect(waiting).to_contain_text(owed)
    expect(waiting).to_contain_text(REASON)
    expect(waiting.locator("td").nth(1).get_by_role("link", name="Ann's Bakery")).to_be_visible()
    expect(waiting.locator("td").nth(1)).to_contain_text(EMAIL)
    check_ids(approver, account)
    check_page(approver, artifacts_dir, "staff money movements")
    approver.screenshot(path=f"{artifacts_dir}/staff-funds-approval.png")
    waiting.get_by_role("button", name=re.compile("^Approve and run")).click()
    expect(approver.locator(".flash--success")).to_contain_text(f"Sent {owed}")

    # The seller's balance in the sandbox is back to zero, and the list no longer has them.
    assert sandbox.sdk.v1.balance.retrieve(options=as_seller).available[0].amount == 0
    approver.goto(portal_url + "/staff/negative-balances")
    expect(approver.get_by_text("No seller has a negative balance.")).to_be_visible()

    # The seller's console page: the movement with the balance before and after, and the audit trail.
    approver.goto(portal_url + "/staff/")
    approver.get_by_label("Search by name, email, account id, website or metadata").fill(account)
    approver.get_by_role("button", name="Search").click()
    approver.get_by_role("link", name="Ann's Bakery").click()
    movement = approver.locator("#funds-movements tbody tr").first
    expect(movement).to_contain_text(f"-{owed} → $0.00")
    expect(movement).to_contain_text("asked by rita@platform.test")
    expect(movement).to_contain_text("approved by adam@platform.test")
    trail = approver.locator("#audit-trail")
    requested = trail.locator("tr", has_text="funds.requested")
    expect(requested).to_contain_text("rita@platform.test")
    expect(requested).to_contain_text(REASON)
    expect(trail.locator("tr", has_text="funds.approved")).to_contain_text("adam@platform.test")
    expect(trail.locator("tr", has_text="funds.executed")).to_contain_text(REASON)
    approver.screenshot(path=f"{artifacts_dir}/staff-funds-done.png", full_page=True)
    other.close()
