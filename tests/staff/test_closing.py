"""Closing a seller's account at their request: stop payments, pay out, finish; the closed page;
erasure after the retention period; every step needs the role, a reason and leaves a trail."""

from datetime import timedelta

import pytest
import time_machine
from sqlmodel import select

from portal.accounts.models import Seller
from portal.audit import AuditEvent
from portal.connect import closing
from portal.connect.mirror import account_for_seller
from portal.connect.models import PayoutRecord
from portal.db import utcnow
from portal.onboarding.models import OnboardingDraft
from portal.staff.models import StaffRole
from tests.conftest import post_form
from tests.onboarding.flows import reauthenticate
from tests.money.test_routes import _confirm_business_email
from tests.sandbox.conftest import call_helper
from tests.staff.conftest import dev_sign_in
from tests.staff.helpers import staff_browser, trail

EMAIL = "ann@annsbakery.com"


def _fund_seller(client, sdk, seller: int, amount: int) -> str:
    """Money in the seller's available balance: a platform charge that skips pending, then a transfer."""
    sdk.v1.payment_intents.create(params={"amount": amount * 2, "currency": "usd", "payment_method": "pm_card_bypassPending",
                                             "confirm": True})
    account = account_for_seller(client.app.state.db, seller).stripe_account_id
    sdk.v1.transfers.create(params={"amount": amount, "currency": "usd", "destination": account})
    return account


def _available(sdk, account: str) -> int:
    balance = sdk.v1.balance.retrieve(options={"stripe_account": account})
    return sum(item.amount for item in balance.available)


# Pure: what remains


def test_what_remains_lists_every_blocker_in_words():
    payouts = [PayoutRecord(id="po_1", stripe_account_id="acct", amount=1_000, currency="usd", status="in_transit", created=1),
               PayoutRecord(id="po_2", stripe_account_id="acct", amount=500, currency="usd", status="paid", created=1)]
    found = closing.remaining({"available": [{"amount": 2_500, "currency": "usd"}, {"amount": 0, "currency": "eur"}],
                               "pending": [{"amount": 300, "currency": "usd"}]}, payouts, [], [])

    assert not found.settled
    assert found.payable == [{"amount": 2_500, "currency": "usd"}]
    assert found.blockers() == [
        "25.00 USD available to pay out.",
        "3.00 USD pending: it becomes available on Stripe's schedule, then can be paid out.",
        "A payout of 10.00 USD on its way (in_transit).",
    ]


def test_a_negative_balance_must_be_settled_and_zero_everywhere_is_settled():
    short = closing.remaining({"available": [{"amount": -1_200, "currency": "usd"}], "pending": []}, [], [], [])
    assert short.shortfall and not short.payable and not short.settled
    assert "negative balance of 12.00 USD" in short.blockers()[0]
    assert closing.remaining({"available": [{"amount": 0, "currency": "usd"}], "pending": [{"amount": 0, "currency": "usd"}]},
                             [{"id": "po_3", "amount": 5, "currency": "usd", "status": "paid", "created": 1}], [], []).settled


# Roles and reasons


CLOSE_ROUTES = [("GET", "/staff/sellers/{id}/close"), ("POST", "/staff/sellers/{id}/close/start"),
                ("POST", "/staff/sellers/{id}/close/stop-payments"), ("POST", "/staff/sellers/{id}/close/pay-out"),
                ("POST", "/staff/sellers/{id}/close/finish")]


def test_closing_needs_the_risk_role(sandboxed_client, seller):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test", StaffRole.support)
    page = staff.get(f"/staff/sellers/{seller}")
    assert "Close at the seller" not in page.text
    for method, path in CLOSE_ROUTES:
        path = path.format(id=seller)
        response = staff.get(path) if method == "GET" else post_form(
            staff, path, {"reason": "asked", "confirm_email": EMAIL}, page=f"/staff/sellers/{seller}")
        assert response.status_code == 403, path
    assert closing.closure_for(sandboxed_client.app.state.db, seller) is None
    assert [action for action, _ in trail(sandboxed_client, seller)] == []


def test_starting_needs_a_reason_and_the_sellers_email(sandboxed_client, seller):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "rita@platform.test", StaffRole.risk)
    path = f"/staff/sellers/{seller}/close"

    refused = post_form(staff, f"{path}/start", {"reason": "", "confirm_email": "nobody@else.com"}, page=path)

    assert refused.status_code == 400
    assert "Give a reason" in refused.text and "Type the seller&#39;s email (ann@annsbakery.com) to confirm." in refused.text
    assert closing.closure_for(sandboxed_client.app.state.db, seller) is None
    assert sandboxed_client.get("/status/").status_code == 200
    assert "Your seller account is clos" not in sandboxed_client.get("/status/").text


# The whole closing, against the sandbox


def test_a_seller_who_asks_to_leave_is_paid_out_then_closed(sandboxed_client, seller, inbox, sdk):
    db = sandboxed_client.app.state.db
    _confirm_business_email(sandboxed_client, inbox)  # no hold from an unconfirmed business email
    account = _fund_seller(sandboxed_client, sdk, seller, 4_200)
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "rita@platform.test", StaffRole.risk)
    path = f"/staff/sellers/{seller}/close"

    page = staff.get(path)
    assert "42.00 USD available to pay out." in page.text

    started = post_form(staff, f"{path}/start", {"reason": "Seller asked by email on 20 Nov", "confirm_email": EMAIL},
                        page=path)
    assert started.status_code == 200 and "Closing has started" in started.text
    # No new payments: card payments given up at Stripe, and the seller's portal says it is closing.
    capabilities = sdk.v1.accounts.retrieve(account).capabilities.to_dict()
    assert capabilities.get("card_payments") in (None, "inactive", "unrequested")
    for seller_page in ("/status/", "/dashboard", "/payouts/"):
        shown = sandboxed_client.get(seller_page)
        assert shown.status_code == 200 and "Your seller account is closing" in shown.text, seller_page
    assert "$42.00 available" in sandboxed_client.get("/status/").text
    assert inbox.wait_for(EMAIL, subject="We are closing your seller account")

    # A payout hold stands (a risk pause here): nothing leaves until it is released.
    post_form(staff, f"/staff/sellers/{seller}/pause-payouts", {"reason": "checking the last orders"}, page=path)
    held = post_form(staff, f"{path}/pay-out", {}, page=path)
    assert held.status_code == 409 and "Payouts are on hold (risk pause)" in held.text
    assert _available(sdk, account) == 4_200
    early = post_form(staff, f"{path}/finish", {"reason": "done"}, page=path)
    assert early.status_code == 409 and "42.00 USD available to pay out." in early.text
    post_form(staff, f"/staff/sellers/{seller}/resume-payouts", {"reason": "orders fine"}, page=path)

    paid = post_form(staff, f"{path}/pay-out", {}, page=path)
    assert paid.status_code == 200 and "1 payout sent" in paid.text
    assert post_form(staff, f"{path}/pay-out", {}, page=path).status_code == 409  # nothing left to pay out
    assert _available(sdk, account) == 0
    waiting = post_form(staff, f"{path}/finish", {"reason": "balance paid out"}, page=path)
    assert waiting.status_code == 409 and "A payout of 42.00 USD on its way" in waiting.text

    call_helper(sdk, "post", "/v1/test_helpers/sandbox/advance_clock", seconds=5 * 24 * 3600)
    finished = post_form(staff, f"{path}/finish", {"reason": "balance paid out"}, page=path)

    assert finished.status_code == 200 and "account is closed" in finished.text
    with pytest.raises(Exception, match="No such account|does not exist|not have access"):
        sdk.v1.accounts.retrieve(account)
    closure = closing.closure_for(db, seller)
    assert closure.state == "closed" and closure.erase_after > utcnow() + timedelta(days=7 * 365 - 1)
    assert "as you asked" in sandboxed_client.get("/status/").text
    assert inbox.wait_for(EMAIL, subject="Your seller account is closed")
    actions = [action for action, who in trail(sandboxed_client, seller) if who == "rita@platform.test"]
    assert [a for a in actions if a.startswith("staff.close")] == ["staff.close_started", "staff.close_payout",
                                                                   "staff.close_finished"]
    # Reconciliation no longer reads the deleted account.
    assert account in closing.closed_account_ids(db)


def test_a_seller_without_a_stripe_account_closes_at_once(sandboxed_client, inbox):
    from tests.onboarding.flows import signed_in_seller
    from tests.staff.helpers import seller_id
    signed_in_seller(sandboxed_client, inbox, "bo@bosbikes.com")
    seller = seller_id(sandboxed_client, "bo@bosbikes.com")
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "ada@platform.test", StaffRole.admin)
    path = f"/staff/sellers/{seller}/close"

    done = post_form(staff, f"{path}/start", {"reason": "asked on the phone", "confirm_email": "bo@bosbikes.com"}, page=path)

    assert "account is closed (it had no Stripe account)" in done.text
    assert closing.closure_for(sandboxed_client.app.state.db, seller).state == "closed"
    assert inbox.wait_for("bo@bosbikes.com", subject="Your seller account is closed")
    assert "Your seller account is closed" in sandboxed_client.get("/dashboard").text
    assert sandboxed_client.post("/onboarding/business", data={}).status_code in (403, 400)


def test_erasure_after_the_retention_period_removes_what_identifies_the_seller(sandboxed_client, seller):
    db = sandboxed_client.app.state.db
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "ada@platform.test", StaffRole.admin)
    post_form(staff, f"/staff/sellers/{seller}/reject", {"why": "fraud_other", "reason": "stolen cards", "confirm_email": EMAIL})
    closure = closing.closure_for(db, seller)
    assert closure.state == "closed" and closure.reason == "Rejected: fraud_other"

    assert closing.erase_due(db) == []  # not yet
    with time_machine.travel(closure.erase_after + timedelta(minutes=1)):
        assert closing.erase_due(db) == [seller]

    with db.transaction() as session:
        erased = session.get(Seller, seller)
        assert erased.email == f"erased-{seller}@erased.invalid" and erased.password_hash == "!"
        assert session.get(OnboardingDraft, seller) is None
        assert account_for_seller(db, seller) is None
        trail_emails = {event.actor_email for event in session.exec(select(AuditEvent).where(AuditEvent.seller_id == seller))}
    assert EMAIL not in trail_emails and "ada@platform.test" in trail_emails  # the staff record stays
    assert closing.closure_for(db, seller).state == "erased"
    assert EMAIL not in staff.get(f"/staff/sellers/{seller}").text


# The seller asks, from their own portal


def test_a_seller_asks_to_close_after_confirming_it_is_them_and_staff_see_the_request(sandboxed_client, seller, inbox):
    db = sandboxed_client.app.state.db
    asked = sandboxed_client.get("/account/close/", follow_redirects=False)
    assert asked.status_code == 303 and asked.headers["location"].startswith("/account/security/confirm")
    reauthenticate(sandboxed_client)

    unticked = post_form(sandboxed_client, "/account/close/", {"note": "Retiring at the end of the year"})
    assert unticked.status_code == 400 and "Tick the box to confirm" in unticked.text
    assert "Retiring at the end of the year" in unticked.text  # nothing typed is lost
    assert closing.closure_for(db, seller) is None

    done = post_form(sandboxed_client, "/account/close/", {"note": "Retiring at the end of the year", "understood": "on"})
    assert done.status_code == 200 and "You asked us to close this account" in done.text
    assert inbox.wait_for(EMAIL, subject="We received your request to close your account")
    # Asking changes nothing yet: the portal is open and payments go on.
    assert "Your seller account is clos" not in sandboxed_client.get("/status/").text
    assert ("seller.close_requested", EMAIL) in trail(sandboxed_client, seller)

    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "rita@platform.test", StaffRole.risk)
    assert f"/staff/sellers/{seller}" in staff.get("/staff/", params={"q": "", "filter": "closing"}).text
    assert "Retiring at the end of the year" in staff.get(f"/staff/sellers/{seller}").text
    path = f"/staff/sellers/{seller}/close"
    post_form(staff, f"{path}/start", {"reason": "as the seller asked", "confirm_email": EMAIL}, page=path)

    closure = closing.closure_for(db, seller)
    assert closure.state == "closing" and "Retiring at the end of the year" in closure.reason
    assert "Your seller account is closing" in sandboxed_client.get("/status/").text


def test_a_seller_can_withdraw_the_request_before_staff_start(sandboxed_client, seller):
    reauthenticate(sandboxed_client)
    post_form(sandboxed_client, "/account/close/", {"understood": "on"})
    again = post_form(sandboxed_client, "/account/close/withdraw", {}, page="/account/close/")

    assert "Your request is withdrawn" in again.text
    assert closing.closure_for(sandboxed_client.app.state.db, seller) is None
    assert ("seller.close_withdrawn", EMAIL) in trail(sandboxed_client, seller)


def test_what_remains_falls_back_to_the_mirror_when_stripe_cannot_be_reached(sandboxed_client, seller):
    import asyncio
    import time

    from portal.connect.mirror import record_balance, record_payout
    from portal.integrations.stripe import StripeFailure

    db = sandboxed_client.app.state.db
    account = account_for_seller(db, seller).stripe_account_id
    record_balance(db, account, {"available": [{"amount": 700, "currency": "usd"}], "pending": []}, as_of=time.time() + 60)
    for payout_id, status in (("po_on_its_way", "in_transit"), ("po_done", "paid")):
        record_payout(db, account, {"id": payout_id, "amount": 300, "currency": "usd", "status": status, "created": 1},
                      as_of=time.time())

    class Unreachable:
        async def retrieve_balance(self, _account):
            raise StripeFailure("no answer", kind="api_connection_error")

    found, live = asyncio.run(closing.what_remains(db, Unreachable(), seller))

    assert not live
    assert found.payable == [{"amount": 700, "currency": "usd"}]
    assert [payout.id for payout in found.payouts_under_way] == ["po_on_its_way"]
