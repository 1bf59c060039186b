"""A risky bank change holds payouts until staff lift it; a recovery needs both identity checks and
the support role, and is audited."""

import re
from datetime import timedelta

import httpx
import pyotp
from sqlmodel import select

from portal.accounts.service import sign_up
from portal.audit import AuditEvent
from portal.connect import payout_holds
from portal.connect.mirror import account_for_seller
from portal.db import utcnow
from portal.security import service
from portal.staff.models import StaffRole
from tests.conftest import log_in, post_form, press_link_button
from tests.onboarding.flows import BANK, onboard_individual, reauthenticate, submit
from tests.security.helpers import clock
from tests.staff.conftest import dev_sign_in

EMAIL = "ann@annsbakery.com"
NEW_BANK = {**BANK, "account_number": "000111111116", "account_number_confirm": "000111111116"}


def _interval(stripe_sandbox, client) -> str:
    sandbox, _ = stripe_sandbox
    account_id = account_for_seller(client.app.state.db, 1).stripe_account_id
    with sandbox.store.transaction():
        return sandbox.store.get(account_id)["settings"]["payouts"]["schedule"]["interval"]


def _link(inbox, to: str, subject: str, count: int = 1) -> str:
    body = inbox.wait_for(to, count, subject=subject)[-1].get_content()
    return re.search(r"http://testserver(/\S+)", body).group(1)


def _audit(client, action: str) -> list[AuditEvent]:
    with client.app.state.db.transaction() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def _confirm_business_email(client, inbox):
    press_link_button(client, _link(inbox, EMAIL, "Confirm your business email address"))


def test_a_bank_change_from_a_new_device_holds_payouts_until_staff_lift_it(sandboxed_client, inbox, stripe_sandbox):
    client = sandboxed_client
    onboard_individual(client, inbox)
    _confirm_business_email(client, inbox)
    assert _interval(stripe_sandbox, client) == "daily"
    with clock() as time:
        totp = pyotp.TOTP(client.two_factor_key)  # set up when the onboarding made the account
        client.cookies = httpx.Cookies()  # another browser
        time.shift(31)
        log_in(client, EMAIL)
        post_form(client, "/account/security/sign-in/code", {"code": totp.now()})
        inbox.wait_for(EMAIL, subject="New sign-in to your seller account")

        asked = client.get("/onboarding/bank", follow_redirects=False)
        assert asked.headers["location"].startswith("/account/security/confirm")
        refused = submit(client, "bank", NEW_BANK)
        assert refused.headers["location"].startswith("/account/security/confirm")
        time.shift(31)
        reauthenticate(client, totp.now())
        submit(client, "bank", NEW_BANK, expect="/status/")

        assert _interval(stripe_sandbox, client) == "manual"
        assert [hold.reason for hold in payout_holds.active_holds(client.app.state.db, 1)] == [payout_holds.COOLING_OFF]
        assert "sensitive account details changed recently" in client.get("/status/").text
        assert service.bank_change_after_new_device(client.app.state.db, 1)
        [changed] = _audit(client, "security.bank_account_changed")
        assert changed.actor_kind == "seller" and changed.seller_id == 1

        # Staff see the flag, and lift the hold with a reason.
        dev_sign_in(client, "rita@platform.example", StaffRole.risk)
        page = client.get("/staff/security/sellers/1").text
        assert "Takeover risk" in page and "Cooling-off" in page
        no_reason = post_form(client, "/staff/security/sellers/1/holds/cooling_off/lift", {"reason": ""},
                              page="/staff/security/sellers/1")
        assert no_reason.status_code == 400 and _interval(stripe_sandbox, client) == "manual"
        post_form(client, "/staff/security/sellers/1/holds/cooling_off/lift", {"reason": "Called the seller on file"},
                  page="/staff/security/sellers/1")
    assert _interval(stripe_sandbox, client) == "daily"
    assert not payout_holds.active_holds(client.app.state.db, 1)
    [event] = _audit(client, "security.cooling_off_lifted")
    assert event.actor_email == "rita@platform.example" and event.reason == "Called the seller on file"


def test_a_bank_change_from_a_device_known_for_a_day_is_not_held(db):
    seller = sign_up(db, "old@annsbakery.com", "violet tractor salad 42")
    service.record_success(db, seller.id, ip="203.0.113.7", user_agent="", device="d" * 43, method="password")
    assert service.bank_change_is_risky(db, seller.id, "d" * 43)
    assert not service.bank_change_is_risky(db, seller.id, "d" * 43, now=utcnow() + timedelta(hours=25))
    assert service.bank_change_is_risky(db, seller.id, "e" * 43, now=utcnow() + timedelta(hours=25))


def test_recovery_needs_both_checks_and_the_support_role_and_is_audited(sandboxed_client, inbox, stripe_sandbox):
    client = sandboxed_client
    onboard_individual(client, inbox)
    _confirm_business_email(client, inbox)  # two-step sign-in was set up when the onboarding made the account
    seller_cookies = httpx.Cookies(client.cookies)
    post_form(client, "/account/logout", {}, page="/dashboard")

    # Wrong digits: recorded as no match, never approvable.
    log_in(client, EMAIL)
    post_form(client, "/account/security/recovery", {"last4": "1234"})
    log_in(client, EMAIL)
    sent = post_form(client, "/account/security/recovery", {"last4": "0000"})
    assert "ann@annsbakery.com" in sent.text
    db = client.app.state.db
    link = _link(inbox, EMAIL, "Confirm your account recovery request", count=2)

    client.cookies = httpx.Cookies()
    dev_sign_in(client, "sam@platform.example", StaffRole.support)
    page = client.get("/staff/security/sellers/1").text
    assert page.count(">no match<") == 1 and page.count(">match<") == 1 and "0000" not in page and "1234" not in page
    early = post_form(client, "/staff/security/sellers/1/recovery/2/approve", {"reason": "ID checked"},
                      page="/staff/security/sellers/1")
    assert early.status_code == 409 and "not opened the link" in early.text
    confirmed = press_link_button(client, link, follow_redirects=False)
    assert confirmed.status_code == 303
    assert post_form(client, "/staff/security/sellers/1/recovery/1/approve", {"reason": "ID checked"},
                     page="/staff/security/sellers/1").status_code == 409

    client.cookies = httpx.Cookies()
    dev_sign_in(client, "rita@platform.example", StaffRole.risk)
    forbidden = post_form(client, "/staff/security/sellers/1/recovery/2/approve", {"reason": "ID checked"},
                          page="/staff/security/sellers/1")
    assert forbidden.status_code == 403 and service.enrolled(db, 1)

    client.cookies = httpx.Cookies()
    dev_sign_in(client, "sam@platform.example", StaffRole.support)
    approved = post_form(client, "/staff/security/sellers/1/recovery/2/approve", {"reason": "Seller called from the phone on file"},
                         page="/staff/security/sellers/1", follow_redirects=False)
    assert approved.status_code == 303, approved.text
    assert not service.enrolled(db, 1)
    assert [hold.reason for hold in payout_holds.active_holds(db, 1)] == [payout_holds.RECOVERY]
    assert _interval(stripe_sandbox, client) == "manual"
    [event] = _audit(client, "security.recovery_approved")
    assert event.actor_email == "sam@platform.example" and event.reason == "Seller called from the phone on file"
    assert "0000" not in str(event.details)

    # The seller signs in with the password and is taken to set up a new authenticator.
    client.cookies = seller_cookies
    post_form(client, "/account/logout", {}, page="/dashboard")
    assert log_in(client, EMAIL).headers["location"] == "/account/security/two-factor"


def test_replacing_a_confirmed_business_email_asks_to_confirm_it_is_you(sandboxed_client, inbox, stripe_sandbox):
    client = sandboxed_client
    onboard_individual(client, inbox)
    _confirm_business_email(client, inbox)
    asked = submit(client, "business-email", {"business_email": "orders@annsbakery.com"})
    assert asked.headers["location"].startswith("/account/security/confirm")
    assert "ann@annsbakery.com" in client.get("/onboarding/business-email").text
    reauthenticate(client)
    submit(client, "business-email", {"business_email": "orders@annsbakery.com"}, expect="/status/")
    assert _interval(stripe_sandbox, client) == "manual"  # held until the new address is confirmed
    assert _audit(client, "security.business_email_changed")
