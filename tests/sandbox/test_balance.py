"""Balances and balance transactions: pending funds, availability on the clock, settling."""

import pytest
import stripe

from tests.sandbox.conftest import call_helper
from tests.sandbox.money import (
    advance,
    balance_of,
    create_seller,
    event_types,
    on,
    pay,
    stripe_fee,
)
from tests.sandbox.shapes import assert_stripe_shape

DAY = 86400


@pytest.fixture
def seller(stripe_client):
    return create_seller(stripe_client, schedule={"interval": "manual"})


def test_new_account_has_a_zero_usd_balance(stripe_client, seller):
    balance = stripe_client.v1.balance.retrieve(options=on(seller.id))
    assert_stripe_shape(balance.to_dict())
    assert balance_of(stripe_client, seller.id) == (0, 0)
    assert balance.available[0].source_types.card == 0
    platform = stripe_client.v1.balance.retrieve()
    assert_stripe_shape(platform.to_dict())


def test_card_funds_are_pending_until_available_on(stripe_client, seller):
    pi = pay(stripe_client, 10_000, account=seller.id)
    net = 10_000 - stripe_fee(10_000)
    assert balance_of(stripe_client, seller.id) == (0, net)
    txn = stripe_client.v1.balance_transactions.list(options=on(seller.id)).data[0]
    assert_stripe_shape(txn.to_dict())
    assert (txn.type, txn.status, txn.reporting_category, txn.net) == ("charge", "pending", "charge", net)
    assert txn.available_on >= txn.created + 2 * DAY
    advance(stripe_client, DAY)
    assert balance_of(stripe_client, seller.id) == (0, net)
    advance(stripe_client, DAY + 60)
    assert balance_of(stripe_client, seller.id) == (net, 0)
    assert stripe_client.v1.balance_transactions.retrieve(txn.id, options=on(seller.id)).status == "available"
    event = stripe_client.v1.events.list(params={"type": "balance.available"}, options=on(seller.id)).data[0]
    assert event.account == seller.id and event.data.object["available"][0]["amount"] == net
    assert pi.latest_charge == txn.source


def test_bypass_pending_card_is_available_at_once(stripe_client, seller):
    pay(stripe_client, 2_000, "pm_card_bypassPending", account=seller.id)
    assert balance_of(stripe_client, seller.id) == (2_000 - stripe_fee(2_000), 0)
    assert "balance.available" in event_types(stripe_client, seller.id)


def test_settle_helper_makes_pending_funds_available(stripe_client, seller):
    pay(stripe_client, 3_000, account=seller.id)
    pay(stripe_client, 1_000)
    balance = call_helper(stripe_client, "post", "/v1/test_helpers/sandbox/settle_balance", stripe_account=seller.id)
    assert_stripe_shape(balance)
    assert balance["available"][0]["amount"] == 3_000 - stripe_fee(3_000)
    # Only the calling account's funds moved.
    assert balance_of(stripe_client) == (0, 1_000 - stripe_fee(1_000))


def test_balance_transaction_filters(stripe_client, seller):
    first = pay(stripe_client, 1_000, "pm_card_bypassPending", account=seller.id)
    pay(stripe_client, 2_000, "pm_card_bypassPending", account=seller.id)
    stripe_client.v1.refunds.create(params={"payment_intent": first.id, "amount": 500}, options=on(seller.id))
    every = stripe_client.v1.balance_transactions.list(options=on(seller.id)).data
    assert [t.type for t in every] == ["refund", "charge", "charge"]
    charges = stripe_client.v1.balance_transactions.list(params={"type": "charge"}, options=on(seller.id)).data
    assert len(charges) == 2
    by_source = stripe_client.v1.balance_transactions.list(params={"source": first.latest_charge}, options=on(seller.id))
    assert [t.amount for t in by_source.data] == [1_000]
    page = stripe_client.v1.balance_transactions.list(params={"limit": 2}, options=on(seller.id))
    assert page.has_more and len(page.data) == 2
    # From the oldest one's second on: all three, however the seconds fell (newest first).
    created = every[-1].created
    window = stripe_client.v1.balance_transactions.list(params={"created": {"gte": created}}, options=on(seller.id))
    assert len(window.data) == 3
    later = stripe_client.v1.balance_transactions.list(params={"created": {"gt": every[0].created}}, options=on(seller.id))
    assert later.data == []
    # Another account (and the platform) cannot see them.
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.balance_transactions.retrieve(every[0].id)
    assert raised.value.http_status == 404


def test_refund_on_an_empty_balance_goes_negative(stripe_client, seller):
    pi = pay(stripe_client, 5_000, account=seller.id)  # funds still pending
    stripe_client.v1.refunds.create(params={"payment_intent": pi.id}, options=on(seller.id))
    assert balance_of(stripe_client, seller.id) == (-5_000, 5_000 - stripe_fee(5_000))
