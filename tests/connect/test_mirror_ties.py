"""Events of the same `created` second, in either arrival order, leave the mirror with Stripe's
current state for every object it mirrors: the older and newer states are real ones, read from
the sandbox before and after a real change."""

import asyncio
import time
from functools import partial

import pytest
from sqlmodel import select

from portal.accounts import service
from portal.connect import mirror, refresh
from portal.connect.mirror import AMBIGUITY_SECONDS, Recorded, decide
from portal.connect.models import AccountBalance, DisputeRecord, PayoutRecord
from portal.connect.sync import differences
from portal.webhooks.models import StripeEvent
from tests.sandbox.conftest import call_helper
from tests.conftest import PASSWORD
from tests.connect.sellers import deliver, mirrored_seller
from tests.sandbox.money import advance, on, pay
from tests.webhooks.test_endpoint import SECRET, _event


def test_decide_orders_by_moment_and_doubts_only_a_different_state_of_the_same_moment():
    assert decide(None, None, {"s": 1}, 10) == Recorded(True, inserted=True, changed={"s": (None, 1)})
    assert decide(20, {"s": 1}, {"s": 2}, 10) == Recorded(False)  # clearly older: dropped
    assert decide(10, {"s": 1}, {"s": 2}, 20) == Recorded(True, changed={"s": (1, 2)})  # clearly newer
    # A different state of the same moment is not applied on its own: the read that settles it is.
    assert decide(10, {"s": 1}, {"s": 2}, 10) == Recorded(False, in_doubt=True)
    assert decide(10, {"s": 1}, {"s": 2}, 10 + AMBIGUITY_SECONDS - 0.5) == Recorded(False, in_doubt=True)
    assert decide(10 + AMBIGUITY_SECONDS - 0.5, {"s": 1}, {"s": 2}, 10) == Recorded(False, in_doubt=True)
    assert decide(10, {"s": 1}, {"s": 1}, 10) == Recorded(True)  # the same state: either order is right
    assert decide(99, {"s": 1}, {"s": 2}, 10, read=True) == Recorded(True, changed={"s": (1, 2)})  # a read is the present
    # ...unless what was held moved while the read was under way: then it is read again.
    assert decide(99, {"s": 1}, {"s": 2}, 10, read=True, if_held_at=99) == Recorded(True, changed={"s": (1, 2)})
    assert decide(99, {"s": 1}, {"s": 2}, 10, read=True, if_held_at=50) == Recorded(False, in_doubt=True)


def test_a_read_overtaken_by_a_newer_event_is_not_kept_but_read_again(db):
    seller = service.sign_up(db, "read@example.com", PASSWORD)
    mirror.record_account(db, seller.id, {"id": "acct_r", "object": "account"}, as_of=100)

    def payout(status: str) -> dict:
        return {"id": "po_r", "amount": 500, "currency": "usd", "status": status, "created": 90}

    mirror.record_payout(db, "acct_r", payout("pending"), as_of=100)
    reads = []

    async def read() -> dict:
        reads.append(len(reads))
        if len(reads) == 1:  # the payout.paid event is applied while the first read is on its way back
            mirror.record_payout(db, "acct_r", payout("paid"), as_of=time.time())
            return payout("in_transit")  # what Stripe said when it was asked, before it was paid
        return payout("paid")

    recorded = asyncio.run(refresh._read_and_keep(db, "payout", "acct_r", "po_r", read,
                                                  partial(mirror.record_payout, db, "acct_r")))
    assert recorded.applied and len(reads) == 2
    with db.transaction() as session:
        assert session.get(PayoutRecord, "po_r").status == "paid"


def _account_states(sdk, seller):
    older = sdk.v1.accounts.retrieve(seller.id).to_dict()
    call_helper(sdk, "post", f"/v1/test_helpers/accounts/{seller.id}/requirements",
                field="individual.verification.document", deadline=int(time.time()) + 7 * 86400)
    return "account.updated", older, sdk.v1.accounts.retrieve(seller.id).to_dict()


def _capability_states(sdk, seller):
    older = sdk.v1.accounts.capabilities.retrieve(seller.id, "card_payments").to_dict()
    newer = sdk.v1.accounts.capabilities.update(seller.id, "card_payments", params={"requested": False}).to_dict()
    assert older["status"] == "active" and newer["status"] != "active"
    return "capability.updated", older, newer


def _external_account_states(sdk, seller):
    bank = sdk.v1.accounts.external_accounts.list(seller.id).data[0]
    older = bank.to_dict()
    newer = sdk.v1.accounts.external_accounts.update(seller.id, bank.id, params={"metadata": {"nickname": "main"}}).to_dict()
    return "account.external_account.updated", older, newer


def _balance_states(sdk, seller):
    older = sdk.v1.balance.retrieve(options=on(seller.id)).to_dict()
    pay(sdk, 3_000, "pm_card_bypassPending", account=seller.id)
    return "balance.available", older, sdk.v1.balance.retrieve(options=on(seller.id)).to_dict()


def _payout_states(sdk, seller):
    pay(sdk, 20_000, "pm_card_bypassPending", account=seller.id)
    older = sdk.v1.payouts.create(params={"amount": 5_000, "currency": "usd"}, options=on(seller.id)).to_dict()
    advance(sdk, 3 * 86400)
    newer = sdk.v1.payouts.retrieve(older["id"], options=on(seller.id)).to_dict()
    assert (older["status"], newer["status"]) == ("pending", "paid")
    return "payout.updated", older, newer


def _dispute_states(sdk, seller):
    pi = pay(sdk, 3_000, "pm_card_createDispute", account=seller.id)
    older = sdk.v1.disputes.list(params={"payment_intent": pi.id}, options=on(seller.id)).data[0].to_dict()
    newer = sdk.v1.disputes.close(older["id"], options=on(seller.id)).to_dict()
    assert (older["status"], newer["status"]) == ("needs_response", "lost")
    return "charge.dispute.updated", older, newer


def _held(db, kind: str, seller, truth: dict):
    """(what the mirror holds, what it should hold) for the object `truth` is Stripe's state of."""
    account = mirror.account_for_seller(db, 1)
    with db.transaction() as session:
        if kind == "account":
            return (differences(account.snapshot, truth), account.snapshot["requirements"]["current_deadline"]), \
                ([], truth["requirements"]["current_deadline"])
        if kind == "capability":
            return (account.capabilities["card_payments"]["status"], account.snapshot["capabilities"]["card_payments"]), \
                (truth["status"], truth["status"])
        if kind == "external_account":
            held = next(item for item in account.snapshot["external_accounts"]["data"] if item["id"] == truth["id"])
            return held["metadata"], truth["metadata"]
        if kind == "balance":
            return session.get(AccountBalance, seller.id).available, \
                [{"amount": item["amount"], "currency": item["currency"]} for item in truth["available"]]
        model = PayoutRecord if kind == "payout" else DisputeRecord
        return session.get(model, truth["id"]).status, truth["status"]


STATES = {
    "account": _account_states, "capability": _capability_states, "external_account": _external_account_states,
    "balance": _balance_states, "payout": _payout_states, "dispute": _dispute_states,
}


@pytest.mark.parametrize("newer_first", [True, False], ids=["newer-first", "older-first"])
@pytest.mark.parametrize("kind", list(STATES))
def test_same_second_events_leave_stripes_current_state(sandboxed_client, sdk, kind, newer_first):
    db = sandboxed_client.app.state.db
    sandboxed_client.app.state.sandbox_webhook_secrets.append(SECRET)
    _, seller = mirrored_seller(db, sdk, as_of=time.time() - 100)
    event_type, older, newer = STATES[kind](sdk, seller)

    second = int(time.time())
    events = [_event(f"evt_{kind}_older", event_type, older, account=seller.id, created=second),
              _event(f"evt_{kind}_newer", event_type, newer, account=seller.id, created=second)]
    for event in reversed(events) if newer_first else events:
        deliver(sandboxed_client, event)

    held, truth = _held(db, kind, seller, newer)
    assert held == truth
    with db.transaction() as session:
        assert {e.outcome for e in session.exec(select(StripeEvent)).all()} <= {"applied", "ignored"}


@pytest.mark.parametrize("deletion_first", [True, False], ids=["deletion-first", "update-first"])
def test_a_deleted_bank_account_stays_deleted_whatever_arrives_after(sandboxed_client, sdk, deletion_first):
    db = sandboxed_client.app.state.db
    sandboxed_client.app.state.sandbox_webhook_secrets.append(SECRET)
    seller_id, seller = mirrored_seller(db, sdk, as_of=time.time() - 100)
    account_before = sdk.v1.accounts.retrieve(seller.id).to_dict()
    first = sdk.v1.accounts.external_accounts.list(seller.id).data[0].to_dict()
    second = sdk.v1.accounts.external_accounts.create(
        seller.id, params={"external_account": "btok_us_verified", "default_for_currency": True}).to_dict()
    deleted = sdk.v1.accounts.external_accounts.delete(seller.id, first["id"]).to_dict()

    moment = int(time.time())
    events = [_event("evt_del", "account.external_account.deleted", deleted, account=seller.id, created=moment),
              _event("evt_upd", "account.external_account.updated", first, account=seller.id, created=moment)]
    for event in events if deletion_first else reversed(events):
        deliver(sandboxed_client, event)
    # An account snapshot from before the deletion, arriving late, does not bring it back either.
    deliver(sandboxed_client, _event("evt_acct", "account.updated", account_before, account=seller.id, created=moment - 5))
    held = [item["id"] for item in mirror.account_for_seller(db, seller_id).snapshot["external_accounts"]["data"]]
    assert first["id"] not in held and second["id"] != first["id"]
