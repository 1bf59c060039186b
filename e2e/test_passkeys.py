"""Passkeys in Chromium with its virtual authenticator (the DevTools protocol's WebAuthn domain): a
seller asked for two-step sign-in (the Stripe account just made) adds a passkey instead of an app, signs out, signs in
with it and no password, confirms it's them with it to change the bank account, and removes it.

A browser takes no IP address as a relying party, so the sandbox portal is visited as localhost."""

import re

import httpx
from playwright.sync_api import Page, expect

from e2e.accessibility import check_page
from e2e.test_account_security import EMAIL, log_in, replace_bank_account
from e2e.test_money_pages import Sandbox
from tests.conftest import press_link_button
from tests.onboarding.flows import asked_for_two_step, finish_individual


def virtual_authenticator(page: Page) -> tuple:
    """A platform authenticator that holds discoverable credentials and verifies its user (as a
    fingerprint reader would): every WebAuthn request in this page is answered by it."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    found = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True, "automaticPresenceSimulation": True,
    }})
    return cdp, found["authenticatorId"]


def test_a_seller_signs_in_with_a_passkey_and_confirms_a_bank_change_with_it(page: Page, portal_url, smtp_inbox, artifacts_dir):
    site = portal_url.replace("127.0.0.1", "localhost")
    cdp, authenticator = virtual_authenticator(page)
    with httpx.Client(base_url=portal_url, timeout=30) as usual:
        # The profile step made the Stripe account and asked for two-step sign-in; the seller left it there.
        asked_for_two_step(usual, smtp_inbox, EMAIL)

        # Signing in on this computer asks again: a passkey is a second step.
        log_in(page, site, EMAIL)
        expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
        page.get_by_label("Name for this passkey").fill("Work laptop")
        page.get_by_role("button", name="Add a passkey").click()
        expect(page.get_by_role("heading", name="Welcome")).to_be_visible()  # home, not the Security page
        expect(page.get_by_text("Passkey “Work laptop” added")).to_be_visible()
        page.goto(site + "/account/security/")
        expect(page.get_by_role("cell", name="Work laptop", exact=True)).to_be_visible()

        # The other computer, still at the ask, goes on with the form.
        assert usual.get("/account/security/two-factor", follow_redirects=False).headers["location"] == "/onboarding/business-email"
        finish_individual(usual)
        mail = smtp_inbox.wait_for(EMAIL, subject="Confirm your business email address")[0].get_content()
        press_link_button(usual, re.search(r"/onboarding/business-email/confirm/\S+", mail).group(0))
    Sandbox(portal_url).wait_until_verified(page)
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]) == 1
    smtp_inbox.wait_for(EMAIL, subject="A passkey was added to your seller account")
    check_page(page, artifacts_dir, "Security with a passkey")
    page.get_by_role("button", name="Log out").click()

    # Signing in without typing anything.
    page.goto(site + "/account/login")
    check_page(page, artifacts_dir, "Log in with a passkey")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
    page.goto(site + "/account/security/")
    expect(page.locator(".signin-history tbody tr").first).to_contain_text("Passkey")

    # Changing the bank account asks to confirm it's you: the passkey does.
    page.goto(site + "/onboarding/bank")
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    check_page(page, artifacts_dir, "Confirm it's you with a passkey")
    page.get_by_role("button", name="Confirm with a passkey").click()
    expect(page.get_by_text("On file:")).to_be_visible()
    replace_bank_account(page)

    # Removing it (just confirmed, so not asked again); two-step sign-in is then to be set up again.
    page.goto(site + "/account/security/")
    page.get_by_role("button", name="Remove the passkey Work laptop").click()
    expect(page.get_by_text("Passkey “Work laptop” removed")).to_be_visible()
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    smtp_inbox.wait_for(EMAIL, subject="A passkey was removed from your seller account")
    page.get_by_role("button", name="Log out").click()
    # The device still holds it, but the portal no longer knows it.
    page.goto(site + "/account/login")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("alert")).to_contain_text("We don't know that passkey")
