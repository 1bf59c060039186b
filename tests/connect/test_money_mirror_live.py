"""The money mirror through the sandbox's real webhooks: disputes on destination charges reach the
seller's record, a lost dispute shows on the negative-balance list within seconds without a sync,
and `portal sync` repairs (and counts) drifted payouts, disputes and balances."""

import asyncio
import time

import pytest
import stripe
from sqlmodel import select

from portal.connect import mirror, negative_balances
from portal.connect.models import AccountBalance, DisputeRecord, PayoutRecord
from portal.connect.sync import reconcile
from portal.webhooks.models import StripeEvent, StripeEventPayload
from tests.conftest import eventually
from tests.connect.sellers import mirrored_seller
from tests.sandbox.money import on, pay
from tests.webhooks.test_live import _quiet


@pytest.fixture
def world(served_portal):
    """(app, the SDK on the portal's sandbox, a verified seller the portal mirrors)."""
    app, url = served_portal
    sdk = stripe.StripeClient("sk_test_sandbox", base_addresses={"api": url + "/sandbox", "files": url + "/sandbox"},
                              http_client=stripe.HTTPXClient(allow_sync_methods=True), max_network_retries=0)
    _, seller = mirrored_seller(app.state.db, sdk)
    return app, sdk, seller


def _dispute(app, dispute_id: str) -> DisputeRecord | None:
    with app.state.db.transaction() as session:
        return session.get(DisputeRecord, dispute_id)


def _platform_dispute(sdk, seller) -> dict:
    pi = pay(sdk, 5_000, "pm_card_createDispute", transfer_data={"destination": seller.id})
    return sdk.v1.disputes.list(params={"payment_intent": pi.id}).data[0].to_dict()


def test_a_dispute_on_a_destination_charge_is_mirrored_under_the_seller(world):
    app, sdk, seller = world
    dispute = _platform_dispute(sdk, seller)
    assert eventually(lambda: _dispute(app, dispute["id"]))
    stored = _dispute(app, dispute["id"])
    assert (stored.stripe_account_id, stored.on_platform, stored.status, stored.charge) == (
        seller.id, True, "needs_response", dispute["charge"])
    with app.state.db.transaction() as session:
        event = session.exec(select(StripeEvent).where(StripeEvent.type == "charge.dispute.created")).one()
        payload = session.get(StripeEventPayload, event.id).payload
    # As Stripe sends it: on the platform's endpoint, no `account`, the charge as an id.
    assert event.account is None and isinstance(payload["data"]["object"]["charge"], str)

    sdk.v1.disputes.close(dispute["id"])
    assert eventually(lambda: _dispute(app, dispute["id"]).status == "lost")


def _truth(sdk, seller) -> int:
    return next(f.amount for f in sdk.v1.balance.retrieve(options=on(seller.id)).available if f.currency == "usd")


def test_a_lost_dispute_puts_the_seller_on_the_negative_balance_list_without_a_sync(world):
    app, sdk, seller = world
    pay(sdk, 5_000, "pm_card_visa", account=seller.id)  # pending funds: a dispute takes available below zero
    pi = pay(sdk, 4_000, "pm_card_createDispute", account=seller.id)
    dispute = sdk.v1.disputes.list(params={"payment_intent": pi.id}, options=on(seller.id)).data[0]
    sdk.v1.disputes.close(dispute.id, options=on(seller.id))
    truth = _truth(sdk, seller)
    assert truth < 0

    def listed():
        rows = negative_balances.negative_balances(app.state.db)
        return [(row.stripe_account_id, row.amount) for row in rows] == [(seller.id, truth)]

    assert eventually(listed, timeout=5), negative_balances.negative_balances(app.state.db)

    def fresh():
        # A later money event (the dispute's close) marks the balance stale until its own read lands.
        with app.state.db.transaction() as session:
            balance = session.get(AccountBalance, seller.id)
        return balance.stale_since is None and not balance.refresh_failed and listed()

    assert eventually(fresh, timeout=5)
    assert eventually(lambda: _dispute(app, dispute.id) and _dispute(app, dispute.id).status == "lost")


def test_sync_repairs_and_counts_drifted_payouts_disputes_and_balances(world):
    app, sdk, seller = world
    db = app.state.db
    pay(sdk, 20_000, "pm_card_bypassPending", account=seller.id)
    payout = sdk.v1.payouts.create(params={"amount": 5_000, "currency": "usd"}, options=on(seller.id))
    pi = pay(sdk, 30_000, "pm_card_createDispute", account=seller.id)
    dispute = sdk.v1.disputes.list(params={"payment_intent": pi.id}, options=on(seller.id)).data[0]
    platform_dispute = _platform_dispute(sdk, seller)
    truth = _truth(sdk, seller)
    assert truth < 0
    assert eventually(lambda: _dispute(app, dispute.id) and _dispute(app, platform_dispute["id"]))
    assert eventually(lambda: negative_balances.negative_balances(db))
    _quiet(app)  # a late webhook would re-read what we are about to break

    # Drift that no event will correct: states dated later than anything Stripe sent.
    later = time.time() + 3600
    mirror.record_payout(db, seller.id, {**payout.to_dict(), "status": "failed"}, as_of=later)
    mirror.record_dispute(db, seller.id, {**dispute.to_dict(), "status": "won"}, as_of=later)
    pending = [{"amount": f.amount, "currency": f.currency} for f in sdk.v1.balance.retrieve(options=on(seller.id)).pending]
    mirror.record_balance(db, seller.id, {"available": [{"amount": 1_919, "currency": "usd"}], "pending": pending}, as_of=later)
    with db.transaction() as session:
        session.delete(session.get(DisputeRecord, platform_dispute["id"]))  # an event that never arrived

    changes, failed = asyncio.run(reconcile(db, app.state.stripe, secret=app.state.secret))
    assert failed == []
    payout = sdk.v1.payouts.retrieve(payout.id, options=on(seller.id))  # it moves on by itself
    found = {(c.account_id, c.what): (c.before, c.after) for c in changes}
    assert found[(seller.id, f"payout {payout.id} status")] == ("failed", payout.status)
    assert found[(seller.id, f"dispute {dispute.id} status")] == ("won", "needs_response")
    assert found[(seller.id, f"dispute {platform_dispute['id']}")] == ("missing", "needs_response")
    assert found[(seller.id, "balance available")] == ([{"amount": 1_919, "currency": "usd"}],
                                                       [{"amount": truth, "currency": "usd"}])
    assert found[(seller.id, "balance negative_since")][0] is None
    assert len(changes) == len(found) == 5, changes  # nothing else drifted, nothing counted twice

    with db.transaction() as session:
        assert session.get(PayoutRecord, payout.id).status == payout.status
        assert session.get(DisputeRecord, dispute.id).status == "needs_response"
        assert session.get(DisputeRecord, platform_dispute["id"]).on_platform
        assert session.get(AccountBalance, seller.id).available == [{"amount": truth, "currency": "usd"}]
    assert [row.stripe_account_id for row in negative_balances.negative_balances(db)] == [seller.id]
    # A second pass finds nothing left to repair.
    assert asyncio.run(reconcile(db, app.state.stripe, secret=app.state.secret)) == ([], [])
