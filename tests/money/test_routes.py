"""The money pages and the account session endpoint, through the app against the sandbox."""

import logging
import re

from starlette.testclient import TestClient

from portal.connect.mirror import account_for_seller
from portal.connect.payout_holds import RISK_PAUSE, place_hold
from portal.sandbox import account_sessions
from portal.sandbox.config import FaultRule
from tests.conftest import csrf_from, post_form, press_link_button
from tests.onboarding.flows import reauthenticate, onboard_individual, signed_in_seller
from tests.staff.conftest import dev_sign_in


def _session(client, **kwargs):
    token = csrf_from(client.get("/payouts").text)
    return client.post("/account-session", headers={"X-CSRF-Token": token, "Accept": "application/json"}, **kwargs)


def _granted(stripe_sandbox, secret: str) -> dict:
    """The sandbox's record of the session this secret belongs to (it keeps only a digest)."""
    sandbox, _ = stripe_sandbox
    with sandbox.store.transaction():
        return sandbox.store.get(account_sessions._record_id(secret), "account_session")


def _account_id(client, seller_id: int) -> str:
    return account_for_seller(client.app.state.db, seller_id).stripe_account_id


def test_a_seller_gets_a_session_for_their_own_account_only(sandboxed_client, inbox, stripe_sandbox):
    client = sandboxed_client
    onboard_individual(client, inbox, "bob@bobsbikes.com")
    bob_cookies = dict(client.cookies)
    client.cookies.clear()
    onboard_individual(client, inbox, "anne@annsbakery.com")
    bob, ann = _account_id(client, 1), _account_id(client, 2)
    assert ann != bob

    # Ann names Bob's account every way she can: the session is still for her own.
    answer = _session(client, data={"account": bob}, params={"account": bob})
    assert answer.status_code == 200
    assert set(answer.json()) == {"client_secret"}
    assert answer.headers["cache-control"] == "no-store"
    assert _granted(stripe_sandbox, answer.json()["client_secret"])["account"] == ann
    client.cookies.clear()
    client.cookies.update(bob_cookies)
    assert _granted(stripe_sandbox, _session(client).json()["client_secret"])["account"] == bob


def _confirm_business_email(client, inbox, address: str = "ann@annsbakery.com") -> None:
    mail = inbox.wait_for(address, subject="Confirm your business email address")[-1]
    press_link_button(client, re.search(r"/onboarding/business-email/confirm/\S+", mail.get_content()).group(0))


def test_the_session_enables_the_components_with_money_features_on(sandboxed_client, inbox, stripe_sandbox):
    onboard_individual(sandboxed_client, inbox)
    _confirm_business_email(sandboxed_client, inbox)
    components = _granted(stripe_sandbox, _session(sandboxed_client).json()["client_secret"])["components"]
    assert components["payouts"]["features"]["standard_payouts"] is True
    # The schedule is a sensitive change: the session allows it only after the seller confirms it's them.
    assert components["payouts"]["features"]["edit_payout_schedule"] is False
    assert "Confirm it" in sandboxed_client.get("/payouts").text
    reauthenticate(sandboxed_client)
    components = _granted(stripe_sandbox, _session(sandboxed_client).json()["client_secret"])["components"]
    assert components["payouts"]["features"]["edit_payout_schedule"] is True
    assert components["payouts"]["features"]["external_account_collection"] is False
    assert components["disputes_list"]["features"]["dispute_management"] is True
    assert components["notification_banner"]["enabled"] and components["account_management"]["enabled"]


def test_while_payouts_are_held_the_components_cannot_pay_out(sandboxed_client, inbox, stripe_sandbox):
    onboard_individual(sandboxed_client, inbox)  # the business email is not confirmed yet: held
    components = _granted(stripe_sandbox, _session(sandboxed_client).json()["client_secret"])["components"]
    for feature in ("standard_payouts", "instant_payouts", "edit_payout_schedule"):
        assert components["payouts"]["features"][feature] is False
        assert components["balances"]["features"][feature] is False
    assert components["disputes_list"]["features"]["dispute_management"] is True


def test_staff_viewing_as_the_seller_get_a_read_only_session(sandboxed_client, inbox, stripe_sandbox):
    onboard_individual(sandboxed_client, inbox)
    _confirm_business_email(sandboxed_client, inbox)  # nothing holds the payouts: only view-as turns them off
    staff = TestClient(sandboxed_client.app, base_url="http://testserver", client=("198.51.100.4", 50000))
    dev_sign_in(staff, "support@platform.example")
    started = post_form(staff, "/staff/sellers/1/view-as", {"reason": "Seller asked about a payout"},
                        page="/staff/sellers/1", follow_redirects=False)
    assert started.status_code == 303

    page = staff.get("/settings").text
    assert "viewing this seller" in page and 'data-connect-component="account-management"' not in page
    assert 'data-connect-component="documents"' in page
    components = _granted(stripe_sandbox, _session(staff).json()["client_secret"])["components"]
    for feature in ("standard_payouts", "instant_payouts", "edit_payout_schedule"):
        assert components["payouts"]["features"][feature] is False
    assert components["disputes_list"]["features"]["dispute_management"] is False
    assert components["payments"]["features"]["refund_management"] is False
    assert components["account_management"]["enabled"] is False
    assert components["payouts"]["enabled"] and components["disputes_list"]["enabled"]
    # The seller's own session, at the same moment, can still pay out.
    own = _granted(stripe_sandbox, _session(sandboxed_client).json()["client_secret"])["components"]
    assert own["payouts"]["features"]["standard_payouts"] is True


def test_the_session_needs_the_csrf_header_a_seller_and_an_account(sandboxed_client, inbox):
    assert sandboxed_client.post("/account-session").status_code == 403  # no CSRF token at all
    token = csrf_from(sandboxed_client.get("/account/login").text)
    anonymous = sandboxed_client.post("/account-session", headers={"X-CSRF-Token": token})
    assert anonymous.status_code == 401 and "client_secret" not in anonymous.json()

    signed_in_seller(sandboxed_client, inbox, "new@annsbakery.com")
    assert sandboxed_client.post("/account-session", headers={"X-CSRF-Token": "forged"}).status_code == 403
    no_account = _session(sandboxed_client)
    assert no_account.status_code == 404 and "client_secret" not in no_account.json()
    page = sandboxed_client.get("/payouts").text
    assert "Set up your seller account" in page and "data-connect-component" not in page
    assert 'href="/payouts"' not in page  # the money pages join the menu once there is an account


def test_the_secret_never_reaches_logs_or_the_database(sandboxed_client, inbox, sandboxed_settings, caplog):
    caplog.set_level(logging.DEBUG)
    onboard_individual(sandboxed_client, inbox)
    secrets = [_session(sandboxed_client).json()["client_secret"] for _ in range(2)]
    sandboxed_client.app.state.db.dispose()
    stored = b"".join(path.read_bytes() for path in sandboxed_settings.var_dir.glob("portal.db*"))
    for secret in secrets:
        assert secret.startswith("accs_secret_")
        assert secret.encode() not in stored
        assert all(secret not in record.getMessage() and secret not in str(record.args) for record in caplog.records)


def test_a_stripe_outage_answers_503_without_a_secret(sandboxed_client, inbox, stripe_sandbox):
    onboard_individual(sandboxed_client, inbox)
    sandbox, _ = stripe_sandbox
    sandbox.config.faults = [FaultRule(match="POST /v1/account_sessions", kind="500")]
    try:
        answer = _session(sandboxed_client)
    finally:
        sandbox.config.faults = []
    assert answer.status_code == 503 and "client_secret" not in answer.json()


def test_pages_host_their_components_and_read_no_stripe(sandboxed_client, inbox, sandboxed_settings):
    onboard_individual(sandboxed_client, inbox)
    calls = sandboxed_client.app.state.stripe.calls
    expected = {"/payouts": ["payouts"], "/disputes": ["disputes-list"], "/payments": ["payments"],
                "/settings": ["account-management", "documents"]}
    for path, tags in expected.items():
        page = sandboxed_client.get(path)
        assert page.status_code == 200
        for tag in tags:
            assert f'data-connect-component="{tag}"' in page.text
        assert 'data-connect-component="notification-banner"' in page.text
        assert f'<script src="{sandboxed_settings.stripe_api_base}/connect.js" async>' in page.text
        assert '<script src="/static/embedded.js" defer>' in page.text
        assert 'data-session-url="/account-session"' in page.text
        assert "<script>" not in page.text  # nothing inline: the CSP forbids it
        for link in ("/payouts", "/payments", "/disputes", "/settings"):
            assert f'href="{link}"' in page.text
    assert sandboxed_client.app.state.stripe.calls == calls
    home = sandboxed_client.get("/dashboard").text
    assert 'data-connect-component="notification-banner"' in home and 'href="/payouts"' in home


def test_the_payouts_page_says_why_payouts_are_held(sandboxed_client, inbox):
    onboard_individual(sandboxed_client, inbox)  # the business email is not confirmed yet
    page = sandboxed_client.get("/payouts").text
    assert "Your payouts are on hold" in page
    assert "Your business email address isn&#39;t confirmed yet" in page
    assert page.index("payout-holds") < page.index('data-connect-component="payouts"')
    place_hold(sandboxed_client.app.state.db, 1, RISK_PAUSE, note="chargeback spike", placed_by="risk@platform.example")
    page = sandboxed_client.get("/payouts").text
    assert "Our team has paused your payouts while we review your account" in page
    assert "chargeback spike" not in page  # the staff note is for staff


def test_signed_out_visitors_are_sent_to_log_in(client):
    response = client.get("/payouts", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/account/login?next=%2Fpayouts")
