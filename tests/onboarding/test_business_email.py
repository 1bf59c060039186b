"""The business-email check: flagged when off the business's domain, confirmed by a mailed link,
and the payout hold that follows it."""

import re

from portal.connect.mirror import account_for_seller
from portal.connect.payout_holds import active_holds
from portal.onboarding.models import BusinessEmail
from tests.conftest import post_form, press_link_button
from tests.onboarding.flows import PROFILE, onboard_individual, signed_in_seller, submit


def _interval(stripe_sandbox, client) -> str:
    sandbox, _ = stripe_sandbox
    account_id = account_for_seller(client.app.state.db, 1).stripe_account_id
    with sandbox.store.transaction():
        return sandbox.store.get(account_id)["settings"]["payouts"]["schedule"]["interval"]


def _link_path(inbox, address: str, count: int = 1) -> str:
    mails = inbox.wait_for(address, count, subject="Confirm your business email address")
    return re.search(r"/onboarding/business-email/confirm/\S+", mails[-1].get_content()).group(0)


def _to_business_email(client, inbox, email="ann@annsbakery.com"):
    signed_in_seller(client, inbox, email)
    submit(client, "business", {"country": "US", "business_type": "individual"})
    submit(client, "profile", PROFILE)


def test_confirming_the_business_email_lifts_the_payout_hold(sandboxed_client, inbox, stripe_sandbox):
    onboard_individual(sandboxed_client, inbox)
    assert _interval(stripe_sandbox, sandboxed_client) == "manual"
    assert "Open the link we sent to ann@annsbakery.com" in sandboxed_client.get("/status/").text

    path = _link_path(inbox, "ann@annsbakery.com")
    page = sandboxed_client.get(path)
    assert page.status_code == 200 and "Confirm ann@annsbakery.com" in page.text
    press_link_button(sandboxed_client, path)
    assert _interval(stripe_sandbox, sandboxed_client) == "daily"
    assert "Payouts on hold" not in sandboxed_client.get("/status/").text
    again = sandboxed_client.get(path)
    assert again.status_code == 400 and "already been used" in again.text


def test_the_link_works_from_another_browser_without_signing_in(sandboxed_client, inbox, stripe_sandbox, app):
    onboard_individual(sandboxed_client, inbox)
    path = _link_path(inbox, "ann@annsbakery.com")
    sandboxed_client.cookies.clear()  # the business inbox is opened on another device
    press_link_button(sandboxed_client, path)
    assert _interval(stripe_sandbox, sandboxed_client) == "daily"


def test_a_free_mail_address_for_a_business_with_its_own_domain_is_flagged(sandboxed_client, inbox):
    _to_business_email(sandboxed_client, inbox)
    response = submit(sandboxed_client, "business-email", {"business_email": "ann.bakery@gmail.com"})
    assert response.status_code == 200
    assert "We can't confirm this address" in response.text and "free email service" in response.text
    assert "Continue without confirming" in response.text
    assert not [m for m in inbox.messages if m["To"] == "ann.bakery@gmail.com"]
    with sandboxed_client.app.state.db.transaction() as session:
        record = session.get(BusinessEmail, 1)
    assert record.free_mail and not record.on_business_domain and record.confirmed_at is None
    # No mail went there, so the hold says what is true and what to do, not "open the link we sent".
    [hold] = active_holds(sandboxed_client.app.state.db, 1)
    assert "isn't on your business's own domain" in hold.explanation and "sent" not in hold.explanation


def test_an_address_on_another_domain_is_flagged(sandboxed_client, inbox):
    _to_business_email(sandboxed_client, inbox)
    response = submit(sandboxed_client, "business-email", {"business_email": "ann@otherbakery.com"})
    assert "Use an address at annsbakery.com" in response.text


def test_changing_the_website_voids_the_confirmation(sandboxed_client, inbox, stripe_sandbox):
    onboard_individual(sandboxed_client, inbox)
    press_link_button(sandboxed_client, _link_path(inbox, "ann@annsbakery.com"))
    assert _interval(stripe_sandbox, sandboxed_client) == "daily"
    submit(sandboxed_client, "profile", {**PROFILE, "url": "https://annsbakery.co.uk"})
    assert _interval(stripe_sandbox, sandboxed_client) == "manual"
    page = sandboxed_client.get("/onboarding/business-email").text
    assert "Use an address at annsbakery.co.uk" in page


def test_changing_the_email_sends_a_new_link_and_voids_the_old(sandboxed_client, inbox, stripe_sandbox):
    onboard_individual(sandboxed_client, inbox)
    old = _link_path(inbox, "ann@annsbakery.com")
    submit(sandboxed_client, "business-email", {"business_email": "orders@annsbakery.com"})
    assert "already been used" in sandboxed_client.get(old).text
    press_link_button(sandboxed_client, _link_path(inbox, "orders@annsbakery.com"))
    assert _interval(stripe_sandbox, sandboxed_client) == "daily"


def test_resending_is_rate_limited(sandboxed_client, inbox):
    _to_business_email(sandboxed_client, inbox)
    submit(sandboxed_client, "business-email", {"business_email": "ann@annsbakery.com"})
    for _ in range(2):
        response = post_form(sandboxed_client, "/onboarding/business-email/resend", {}, page="/onboarding/business-email")
        assert "We sent a new link" in response.text
    blocked = post_form(sandboxed_client, "/onboarding/business-email/resend", {}, page="/onboarding/business-email")
    assert "several links in the last hour" in blocked.text
    assert len(inbox.wait_for("ann@annsbakery.com", 3, subject="Confirm your business email address")) == 3
