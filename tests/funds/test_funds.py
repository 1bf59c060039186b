"""Staff moving money: roles, reasons and amounts checked beside their fields, a second staff
member's approval above the threshold, one movement per form and one Stripe transfer per movement,
Stripe's balance before and after, and the audit trail. Stripe is the sandbox, read through the SDK."""

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlmodel import select

from portal.accounts import service as accounts
from portal.audit import AuditEvent
from portal.connect import mirror, negative_balances
from portal.connect.models import AccountBalance
from portal.funds import service
from portal.funds.models import FundsMovement
from portal.integrations.stripe import StripeGateway
from portal.security.passkeys import Owner, passkeys_of, relying_party
from portal.staff.models import StaffRole
from portal.staff.service import create_staff
from tests.conftest import PASSWORD, csrf_from
from tests.sandbox.conftest import call_helper, make_client
from tests.sandbox.money import PLATFORM_CONTROLLER, balance_of, create_seller, fund_platform, on
from tests.security.authenticator import SoftAuthenticator
from tests.staff.conftest import dev_sign_in
from tests.staff.helpers import staff_browser

SECRET = "test-secret-key-not-for-production"


# Amounts as typed (pure)


@pytest.mark.parametrize("typed, cents", [("125.50", 12550), ("$1,250", 125000), (" 0.01 ", 1), ("7", 700),
                                          ("3.10", 310), ("2.500", 250)])
def test_amounts_typed_in_dollars_become_cents(typed, cents):
    assert service.parse_amount(typed) == (cents, None)


@pytest.mark.parametrize("typed, message", [
    ("", "Enter the amount in US dollars"), ("abc", "as a number"), ("-5", "as a number"), ("1e5", "as a number"),
    ("0", "above zero"), ("0.00", "above zero"), ("12.345", "2 decimal places"), ("250000.01", "The most one request"),
])
def test_bad_amounts_say_what_is_wrong(typed, message):
    cents, error = service.parse_amount(typed)
    assert cents is None and message in error


def test_yen_are_typed_and_sent_in_whole_yen():
    """The yen has no minor unit: ¥1,000 is 1000 to Stripe, and ¥10.5 is not an amount."""
    assert service.parse_amount("¥1,000", "jpy") == (1000, None)
    assert service.parse_amount("1000", "jpy") == (1000, None)
    assert "whole amounts" in service.parse_amount("10.5", "jpy")[1]
    assert "Japanese yen, like 1,000" in service.parse_amount("", "jpy")[1]


def test_pulls_need_a_us_platform_and_a_us_account():
    assert service.pull_refusal("US", "US") is None
    assert "only be pulled from US accounts" in service.pull_refusal("GB", "US")
    assert "US platform" in service.pull_refusal("US", "GB")


# Through the portal, against the sandbox


@pytest.fixture
def seller(sandboxed_client, sdk):
    """(seller id, account id): a verified US seller with a Stripe account in the mirror."""
    db = sandboxed_client.app.state.db
    account = create_seller(sdk)
    seller = accounts.sign_up(db, "ann@annsbakery.com", PASSWORD)
    mirror.record_account(db, seller.id, account.to_dict())
    return seller.id, account.id


@pytest.fixture
def rita(sandboxed_client):
    """Risk staff member A, in the test client's own browser, with a passkey."""
    dev_sign_in(sandboxed_client, "rita@platform.test", StaffRole.risk)
    add_staff_passkey(sandboxed_client)
    return sandboxed_client


@pytest.fixture
def adam(sandboxed_client):
    """Staff member B (admin), in a second browser, with a passkey."""
    browser = staff_browser(sandboxed_client)
    dev_sign_in(browser, "adam@platform.test", StaffRole.admin)
    add_staff_passkey(browser)
    return browser


def _json(browser, path: str, body: dict, page: str):
    token = csrf_from(browser.get(page).text)
    return browser.post(path, content=json.dumps(body), headers={"x-csrf-token": token, "content-type": "application/json"})


def add_staff_passkey(browser) -> SoftAuthenticator:
    """Register a passkey (a software authenticator) for the staff member signed in in this browser."""
    rp = relying_party(browser.app.state.settings)
    browser.passkey = SoftAuthenticator(origin=rp.origins[0], rp_id=rp.id)
    options = _json(browser, "/staff/passkeys/options", {}, "/staff/passkeys").json()
    added = _json(browser, "/staff/passkeys/new", {"credential": browser.passkey.create(options), "name": "Key"}, "/staff/passkeys")
    assert added.status_code == 200, added.text
    return browser.passkey


def approve(browser, movement_id: int, device: SoftAuthenticator | None = None):
    """Approve and run, confirmed with the staff member's passkey (or `device`, someone else's)."""
    options = _json(browser, f"/staff/funds/{movement_id}/approve/options", {}, "/staff/funds")
    assert options.status_code == 200, options.text
    answer = (device or browser.passkey).get(options.json())
    return _json(browser, f"/staff/funds/{movement_id}/approve", {"credential": answer}, "/staff/funds")


def form_of(client, path: str) -> dict:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return {"csrf_token": csrf_from(page.text),
            "form_token": re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)}


def submit(client, seller_id: int, direction: str, fields: dict, form: dict | None = None):
    path = f"/staff/sellers/{seller_id}/funds/{direction}"
    return client.post(path, data={**(form or form_of(client, path)), **fields}, follow_redirects=False)


def send(client, seller_id: int, amount: str, reason: str = "Goodwill credit", form=None):
    return submit(client, seller_id, "send", {"amount": amount, "reason": reason, "description": "A credit from us"}, form)


def post(client, path: str, data: dict | None = None):
    token = csrf_from(client.get("/staff/funds").text)
    return client.post(path, data={"csrf_token": token, **(data or {})}, follow_redirects=False)


def movements(client) -> list[FundsMovement]:
    with client.app.state.db.transaction() as session:
        return list(session.exec(select(FundsMovement).order_by(FundsMovement.id)).all())


def trail(client, seller_id: int) -> list[AuditEvent]:
    with client.app.state.db.transaction() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.seller_id == seller_id, AuditEvent.action.like("funds.%"))
                                 .order_by(AuditEvent.id)).all())


def transfers_to(sdk, account_id: str) -> list:
    return sdk.v1.transfers.list(params={"destination": account_id}).data


def test_support_staff_cannot_reach_any_money_route(sandboxed_client, seller, rita, sdk):
    seller_id, account_id = seller
    fund_platform(sdk)
    assert send(rita, seller_id, "600.00").status_code == 303  # one waiting request to try the approval routes on
    waiting = movements(sandboxed_client)[0]
    support = staff_browser(sandboxed_client)
    dev_sign_in(support, "sam@platform.test", StaffRole.support)
    token = csrf_from(support.get("/staff/").text)
    for method, path in [("GET", f"/staff/sellers/{seller_id}/funds/send"), ("POST", f"/staff/sellers/{seller_id}/funds/send"),
                         ("GET", f"/staff/sellers/{seller_id}/funds/pull"), ("POST", f"/staff/sellers/{seller_id}/funds/pull"),
                         ("GET", "/staff/funds"), ("POST", f"/staff/funds/{waiting.id}/approve"),
                         ("POST", f"/staff/funds/{waiting.id}/decline"), ("POST", f"/staff/funds/{waiting.id}/run-again")]:
        data = {"csrf_token": token, "amount": "5", "reason": "x", "description": "x", "form_token": "a" * 32}
        response = support.get(path) if method == "GET" else support.post(path, data=data, follow_redirects=False)
        assert response.status_code == 403, path
    assert [m.state for m in movements(sandboxed_client)] == ["awaiting_approval"]
    assert transfers_to(sdk, account_id) == []
    assert "Moving money needs the risk or admin role" in support.get(f"/staff/sellers/{seller_id}").text


def test_reason_description_and_amount_are_checked_beside_their_fields_and_kept(sandboxed_client, seller, rita):
    seller_id, _ = seller
    response = submit(rita, seller_id, "send", {"amount": "12.345", "reason": "", "description": "Refund for order 7"})
    assert response.status_code == 400
    assert re.search(r'id="amount-error">.*2 decimal places', response.text)
    assert re.search(r'id="reason-error">.*Give a reason', response.text)
    assert 'value="12.345"' in response.text and 'value="Refund for order 7"' in response.text
    response = submit(rita, seller_id, "send", {"amount": "0", "reason": "credit", "description": ""})
    assert re.search(r'id="amount-error">.*above zero', response.text)
    assert re.search(r'id="description-error">.*seller sees it', response.text)
    assert movements(sandboxed_client) == [] and trail(sandboxed_client, seller_id) == []


def test_a_send_below_the_threshold_runs_at_once_with_the_balance_before_and_after(sandboxed_client, seller, rita, sdk):
    seller_id, account_id = seller
    fund_platform(sdk)
    response = send(rita, seller_id, "20.00", reason="Credit for a courier mix-up")
    assert response.status_code == 303

    [moved] = movements(sandboxed_client)
    assert (moved.state, moved.amount, moved.balance_before, moved.balance_after) == ("executed", 2000, 0, 2000)
    assert moved.decided_by_email == "" and moved.needs_approval is False
    assert balance_of(sdk, account_id) == (2000, 0)
    [transfer] = transfers_to(sdk, account_id)
    assert (transfer.id, transfer.description) == (moved.stripe_transfer_id, "A credit from us")
    events = trail(sandboxed_client, seller_id)
    assert [(e.action, e.actor_email) for e in events] == [("funds.requested", "rita@platform.test"),
                                                          ("funds.executed", "rita@platform.test")]
    assert events[1].reason == "Credit for a courier mix-up"
    assert events[1].details["balance_before"] == 0 and events[1].details["balance_after"] == 2000
    assert events[1].details["transfer"] == transfer.id
    page = rita.get(f"/staff/sellers/{seller_id}").text
    assert "Sent $20.00" in page and "$0.00 → $20.00" in page and "Credit for a courier mix-up" in page
    # The mirror has Stripe's new balance at once.
    with sandboxed_client.app.state.db.transaction() as session:
        assert session.get(AccountBalance, account_id).available == [{"amount": 2000, "currency": "usd"}]


def test_submitting_the_same_form_twice_moves_the_money_once(sandboxed_client, seller, rita, sdk):
    seller_id, account_id = seller
    fund_platform(sdk)
    form = form_of(rita, f"/staff/sellers/{seller_id}/funds/send")
    first = send(rita, seller_id, "15.00", form=form)
    assert first.status_code == 303 and "Sent $15.00" in rita.get(first.headers["location"]).text
    again = send(rita, seller_id, "15.00", form=form)
    assert again.status_code == 303 and "already submitted" in rita.get(again.headers["location"]).text
    assert len(movements(sandboxed_client)) == 1
    assert len(transfers_to(sdk, account_id)) == 1
    assert balance_of(sdk, account_id) == (1500, 0)


def test_above_the_threshold_a_second_staff_member_approves_and_it_runs_once(sandboxed_client, seller, rita, adam, sdk):
    seller_id, account_id = seller
    fund_platform(sdk, 200_000)
    assert send(rita, seller_id, "600.00", reason="Cover a dispute we lost for them").status_code == 303
    [waiting] = movements(sandboxed_client)
    assert (waiting.state, waiting.needs_approval) == ("awaiting_approval", True)
    assert transfers_to(sdk, account_id) == []

    page = rita.get("/staff/funds").text
    assert "Your own request" in page and "rita@platform.test" in page and "Cover a dispute we lost for them" in page
    own = approve(rita, waiting.id)
    assert own.status_code == 409 and "a different staff member must approve it" in own.text
    assert movements(sandboxed_client)[0].state == "awaiting_approval"

    # The step-up: Adam's session alone cannot approve; nor can Rita's passkey answer for him, nor an
    # answer given for another movement.
    alone = post(adam, f"/staff/funds/{waiting.id}/approve")
    assert alone.status_code == 400 and "Confirm with your passkey" in alone.text
    assert "another account" in approve(adam, waiting.id, device=rita.passkey).json()["error"]
    options = _json(adam, f"/staff/funds/{waiting.id + 1}/approve/options", {}, "/staff/funds").json()
    elsewhere = _json(adam, f"/staff/funds/{waiting.id}/approve", {"credential": adam.passkey.get(options)}, "/staff/funds")
    assert elsewhere.status_code == 400 and "already used" in elsewhere.json()["error"]
    assert movements(sandboxed_client)[0].state == "awaiting_approval" and transfers_to(sdk, account_id) == []

    assert approve(adam, waiting.id).status_code == 200
    twice = approve(adam, waiting.id)
    assert twice.status_code == 409 and "adam@platform.test already approved this request" in twice.text

    [done] = movements(sandboxed_client)
    assert (done.state, done.decided_by_email, done.balance_before, done.balance_after) == (
        "executed", "adam@platform.test", 0, 60000)
    assert len(transfers_to(sdk, account_id)) == 1 and balance_of(sdk, account_id) == (60000, 0)
    assert [(e.action, e.actor_email) for e in trail(sandboxed_client, seller_id)] == [
        ("funds.requested", "rita@platform.test"), ("funds.approved", "adam@platform.test"),
        ("funds.executed", "adam@platform.test")]
    executed = trail(sandboxed_client, seller_id)[-1]
    assert executed.details["requested_by"] == "rita@platform.test" and executed.details["approved_by"] == "adam@platform.test"
    seller_page = adam.get(f"/staff/sellers/{seller_id}").text
    assert "approved by adam@platform.test" in seller_page and "asked by rita@platform.test" in seller_page


def test_an_approver_can_decline_with_a_reason_and_nothing_moves(sandboxed_client, seller, rita, adam, sdk):
    seller_id, account_id = seller
    fund_platform(sdk, 200_000)
    send(rita, seller_id, "900.00")
    [waiting] = movements(sandboxed_client)
    empty = post(adam, f"/staff/funds/{waiting.id}/decline", {"reason": ""})
    assert empty.status_code == 400 and f'id="decline-{waiting.id}-error"' in empty.text
    assert post(adam, f"/staff/funds/{waiting.id}/decline", {"reason": "No dispute on file"}).status_code == 303
    late = approve(adam, waiting.id)
    assert late.status_code == 409 and "already declined" in late.text
    [declined] = movements(sandboxed_client)
    assert (declined.state, declined.decline_reason, declined.decided_by_email) == (
        "declined", "No dispute on file", "adam@platform.test")
    assert transfers_to(sdk, account_id) == [] and balance_of(sdk, account_id) == (0, 0)
    assert [(e.action, e.actor_email, e.reason) for e in trail(sandboxed_client, seller_id)][-1] == (
        "funds.declined", "adam@platform.test", "No dispute on file")


def test_a_send_stripe_refuses_is_marked_failed_with_what_stripe_said(sandboxed_client, seller, rita, sdk):
    seller_id, account_id = seller  # the platform has no funds
    response = send(rita, seller_id, "25.00")
    assert response.status_code == 409
    assert "balance_insufficient" in response.text and "add funds to the platform" in response.text
    assert 'value="25.00"' in response.text
    [failed] = movements(sandboxed_client)
    assert (failed.state, failed.failure_code, failed.balance_before) == ("failed", "balance_insufficient", 0)
    assert "Insufficient funds" in failed.failure_message
    event = trail(sandboxed_client, seller_id)[-1]
    assert (event.action, event.details["stripe_error"]) == ("funds.failed", "balance_insufficient")
    # The failed movement stays failed; the form's fresh token makes the next submit a new request.
    fund_platform(sdk)
    form = {"csrf_token": csrf_from(response.text),
            "form_token": re.search(r'name="form_token" value="([^"]+)"', response.text).group(1)}
    assert send(rita, seller_id, "25.00", form=form).status_code == 303
    assert [m.state for m in movements(sandboxed_client)] == ["failed", "executed"]
    assert balance_of(sdk, account_id) == (2500, 0)


def test_a_run_stripe_did_not_answer_is_run_again_with_the_same_key(sandboxed_client, seller, rita, adam, sdk):
    seller_id, account_id = seller
    fund_platform(sdk)
    call_helper(sdk, "post", "/v1/test_helpers/sandbox/faults",
                faults=[{"match": "POST /v1/transfers", "kind": "500", "count": 10}])
    send(rita, seller_id, "30.00")
    [stuck] = movements(sandboxed_client)
    assert (stuck.state, stuck.failure_code) == ("approved", "api_error")
    assert transfers_to(sdk, account_id) == []
    call_helper(sdk, "delete", "/v1/test_helpers/sandbox/faults")
    # Now the first attempt reaches Stripe but its answer is lost; the SDK's own retry replays it.
    call_helper(sdk, "post", "/v1/test_helpers/sandbox/faults",
                faults=[{"match": "POST /v1/transfers", "kind": "drop_after", "count": 1}])
    assert post(adam, f"/staff/funds/{stuck.id}/run-again").status_code == 303
    [done] = movements(sandboxed_client)
    assert (done.state, done.attempts, done.balance_after) == ("executed", 2, 3000)
    assert len(transfers_to(sdk, account_id)) == 1 and balance_of(sdk, account_id) == (3000, 0)
    again = post(adam, f"/staff/funds/{stuck.id}/run-again")
    assert again.status_code == 409 and "already executed" in again.text


def test_pulling_funds_takes_them_back_to_the_platform_up_to_the_available_balance(sandboxed_client, seller, rita, sdk):
    seller_id, account_id = seller
    fund_platform(sdk)
    sdk.v1.transfers.create(params={"amount": 4000, "currency": "usd", "destination": account_id})
    platform_before = balance_of(sdk)[0]

    too_much = submit(rita, seller_id, "pull", {"amount": "40.01", "reason": "Recover a refund"})
    assert too_much.status_code == 400
    assert re.search(r'id="amount-error">.*available balance is \$40.00; pull at most that', too_much.text)
    assert movements(sandboxed_client) == []

    assert submit(rita, seller_id, "pull", {"amount": "12.50", "reason": "Recover a refund"}).status_code == 303
    [pulled] = movements(sandboxed_client)
    assert (pulled.state, pulled.direction, pulled.balance_before, pulled.balance_after) == ("executed", "pull", 4000, 2750)
    assert balance_of(sdk, account_id) == (2750, 0) and balance_of(sdk)[0] == platform_before + 1250
    debit = sdk.v1.transfers.retrieve(pulled.stripe_transfer_id, options=on(account_id))
    assert debit.destination == sdk.v1.accounts.retrieve_current().id


def test_a_pull_is_checked_again_against_stripes_balance_just_before_it_runs(sandboxed_client, seller, rita, adam, sdk):
    seller_id, account_id = seller
    fund_platform(sdk, 200_000)
    sdk.v1.transfers.create(params={"amount": 80_000, "currency": "usd", "destination": account_id})
    assert submit(rita, seller_id, "pull", {"amount": "700", "reason": "Recover a refund"}).status_code == 303
    sdk.v1.payouts.create(params={"amount": 50_000, "currency": "usd"}, options=on(account_id))  # meanwhile
    assert approve(adam, movements(sandboxed_client)[0].id).status_code == 200
    [failed] = movements(sandboxed_client)
    assert (failed.state, failed.failure_code, failed.balance_before) == ("failed", "amount_above_available_balance", 30_000)
    assert balance_of(sdk, account_id)[0] == 30_000
    assert sdk.v1.transfers.list(options=on(account_id)).data == []


def test_pulls_are_refused_for_an_account_outside_the_us(sandboxed_client, rita, sdk):
    db = sandboxed_client.app.state.db
    account = sdk.v1.accounts.create(params={"country": "GB", "controller": PLATFORM_CONTROLLER})
    seller = accounts.sign_up(db, "bob@bobsbakery.co.uk", PASSWORD)
    mirror.record_account(db, seller.id, account.to_dict())
    page = rita.get(f"/staff/sellers/{seller.id}/funds/pull")
    assert "only be pulled from US accounts; this account is in GB" in page.text and 'name="amount"' not in page.text
    refused = submit(rita, seller.id, "pull", {"amount": "5", "reason": "x"},
                     {"csrf_token": csrf_from(page.text), "form_token": "b" * 32})
    assert refused.status_code == 409 and movements(sandboxed_client) == []


def test_sending_funds_to_cover_a_negative_balance_clears_it_from_the_list(sandboxed_client, seller, rita, sdk):
    seller_id, account_id = seller
    db = sandboxed_client.app.state.db
    fund_platform(sdk)
    # The seller refunds a payment they no longer hold the funds for: their balance goes negative.
    intent = sdk.v1.payment_intents.create(params={"amount": 1000, "currency": "usd", "payment_method": "pm_card_bypassPending",
                                                   "confirm": True}, options=on(account_id))
    sdk.v1.payouts.create(params={"amount": balance_of(sdk, account_id)[0], "currency": "usd"}, options=on(account_id))
    sdk.v1.refunds.create(params={"payment_intent": intent.id}, options=on(account_id))
    shortfall = balance_of(sdk, account_id)[0]
    assert shortfall < 0
    mirror.record_balance(db, account_id, sdk.v1.balance.retrieve(options=on(account_id)).to_dict(), as_of=1)

    listing = rita.get("/staff/negative-balances").text
    link = re.search(r'id="cover-%d"\s+href="([^"]+)"' % seller_id, listing).group(1).replace("&amp;", "&")
    form_page = rita.get(link).text
    assert f'value="{-shortfall / 100:.2f}"' in form_page and "Covering your negative balance" in form_page
    form = {"csrf_token": csrf_from(form_page),
            "form_token": re.search(r'name="form_token" value="([^"]+)"', form_page).group(1)}
    response = submit(rita, seller_id, "send", {"amount": f"{-shortfall / 100:.2f}", "reason": "Cover the refund",
                                                "description": "Covering your negative balance"}, form)
    assert response.status_code == 303
    assert balance_of(sdk, account_id) == (0, 0)
    with db.transaction() as session:
        assert session.get(AccountBalance, account_id).negative_since is None
    assert negative_balances.negative_balances(db) == []
    assert "No seller has a negative balance" in rita.get("/staff/negative-balances").text


# Two approvals racing, on both databases


def test_two_approvals_racing_move_the_money_once(db, stripe_sandbox):
    sdk = make_client(stripe_sandbox[1])
    fund_platform(sdk, 200_000)
    account = create_seller(sdk)
    requester, _ = create_staff(db, "rita@platform.test", StaffRole.risk)
    first, _ = create_staff(db, "adam@platform.test", StaffRole.admin)
    second, _ = create_staff(db, "rosa@platform.test", StaffRole.risk)
    seller = accounts.sign_up(db, "ann@annsbakery.com", PASSWORD)
    gateway = StripeGateway("sk_test_sandbox", api_base=stripe_sandbox[1])

    async def race():
        moved, _ = await service.request_movement(
            db, gateway, seller_id=seller.id, account_id=account.id, currency="usd", direction="send", amount=75_000,
            reason="Cover a chargeback", description="Credit", form_token="race" * 8,
            staff=service.Staff(requester.id, requester.email), threshold=50_000, ip="", secret=SECRET)
        return await asyncio.gather(*[
            service.approve(db, gateway, moved.id, staff=service.Staff(member.id, member.email), ip="", secret=SECRET)
            for member in (first, second, first, second)
        ], return_exceptions=True)

    outcomes = asyncio.run(race())
    winners = [o for o in outcomes if isinstance(o, FundsMovement)]
    assert len(winners) == 1 and winners[0].state == "executed"
    assert all(isinstance(o, service.MovementRefused) for o in outcomes if o not in winners)
    assert len(sdk.v1.transfers.list(params={"destination": account.id}).data) == 1
    assert balance_of(sdk, account.id) == (75_000, 0)
    with db.transaction() as session:
        actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]
    assert actions == ["funds.requested", "funds.approved", "funds.executed"]


def test_staff_change_their_passkeys_only_soon_after_signing_in(sandboxed_client, rita):
    """A stolen staff session could otherwise add its thief's passkey and approve with it."""
    db = sandboxed_client.app.state.db
    add_staff_passkey(rita)
    first, second = passkeys_of(db, Owner.staff(1))
    post(rita, f"/staff/passkeys/{first.id}/remove")
    assert passkeys_of(db, Owner.staff(1)) == [second]
    # The clock only moves on: a signed cookie from the future would be refused.
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=16), tick=True):
        assert "Sign out and sign in again" in rita.get("/staff/passkeys").text
        refused = _json(rita, "/staff/passkeys/options", {}, "/staff/passkeys")
        assert refused.status_code == 403 and "sign in again" in refused.json()["error"]
        post(rita, f"/staff/passkeys/{second.id}/remove")
        assert passkeys_of(db, Owner.staff(1)) == [second]
