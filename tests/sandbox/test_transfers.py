"""Transfers from the platform to a connected account, and their reversals."""

import pytest
import stripe

from tests.sandbox.money import (
    PLATFORM_CONTROLLER,
    balance_of,
    create_seller,
    event_types,
    fund_platform,
    on,
    pay,
    stripe_fee,
)
from tests.sandbox.shapes import assert_stripe_shape


@pytest.fixture
def seller(stripe_client):
    return create_seller(stripe_client)


def transfer(client, destination: str, amount: int = 2_000, **params):
    return client.v1.transfers.create(params={"amount": amount, "currency": "usd", "destination": destination, **params})


def test_transfer_lands_in_the_available_balance_at_once(stripe_client, seller):
    fund_platform(stripe_client, 10_000)
    platform_before = balance_of(stripe_client)[0]
    made = transfer(stripe_client, seller.id, 2_500, transfer_group="order_42", description="Order 42",
                    metadata={"order": "42"})
    assert_stripe_shape(made.to_dict())
    assert (made.amount, made.destination, made.transfer_group, made.metadata["order"]) == (2_500, seller.id, "order_42", "42")
    assert balance_of(stripe_client, seller.id) == (2_500, 0)
    assert balance_of(stripe_client)[0] == platform_before - 2_500
    payment = stripe_client.v1.charges.retrieve(made.destination_payment, options=on(seller.id))
    assert (payment.amount, payment.source_transfer, payment.status) == (2_500, made.id, "succeeded")
    assert "transfer.created" in event_types(stripe_client)
    listed = stripe_client.v1.transfers.list(params={"destination": seller.id})
    assert [t.id for t in listed.data] == [made.id]
    assert stripe_client.v1.transfers.list(params={"transfer_group": "nope"}).data == []


def test_transfer_above_the_platform_balance_is_refused(stripe_client, seller):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        transfer(stripe_client, seller.id)
    assert raised.value.code == "balance_insufficient"
    assert balance_of(stripe_client, seller.id) == (0, 0)


def test_transfer_needs_the_transfers_capability(stripe_client):
    fund_platform(stripe_client, 10_000)
    unverified = create_seller(stripe_client, verified=False)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        transfer(stripe_client, unverified.id)
    assert raised.value.code == "insufficient_capabilities_for_transfer"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        transfer(stripe_client, "acct_doesnotexist00")
    assert raised.value.param == "destination"


def test_transfer_from_a_pending_charge_follows_its_funds(stripe_client, seller):
    pi = pay(stripe_client, 5_000)
    made = transfer(stripe_client, seller.id, 3_000, source_transaction=pi.latest_charge)
    assert made.source_transaction == pi.latest_charge
    assert balance_of(stripe_client, seller.id) == (0, 3_000)
    assert balance_of(stripe_client) == (0, 5_000 - stripe_fee(5_000) - 3_000)
    with pytest.raises(stripe.InvalidRequestError):
        transfer(stripe_client, seller.id, 3_000, source_transaction=pi.latest_charge)


def test_partial_then_full_reversal(stripe_client, seller):
    fund_platform(stripe_client, 10_000)
    platform_before = balance_of(stripe_client)[0]
    made = transfer(stripe_client, seller.id, 4_000)
    first = stripe_client.v1.transfers.reversals.create(made.id, params={"amount": 1_000, "metadata": {"why": "return"}})
    assert_stripe_shape(first.to_dict())
    assert (first.amount, first.transfer, first.metadata["why"]) == (1_000, made.id, "return")
    assert balance_of(stripe_client, seller.id) == (3_000, 0)
    after = stripe_client.v1.transfers.retrieve(made.id)
    assert (after.amount_reversed, after.reversed) == (1_000, False)
    second = stripe_client.v1.transfers.reversals.create(made.id)
    assert second.amount == 3_000
    after = stripe_client.v1.transfers.retrieve(made.id)
    assert_stripe_shape(after.to_dict())
    assert (after.amount_reversed, after.reversed) == (4_000, True)
    assert balance_of(stripe_client, seller.id) == (0, 0)
    assert balance_of(stripe_client)[0] == platform_before
    listed = stripe_client.v1.transfers.reversals.list(made.id)
    assert [r.id for r in listed.data] == [second.id, first.id]
    refund = stripe_client.v1.refunds.retrieve(first.destination_payment_refund, options=on(seller.id))
    assert refund.amount == 1_000
    assert event_types(stripe_client, prefix="transfer.") == ["transfer.created", "transfer.reversed", "transfer.reversed"]
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.transfers.reversals.create(made.id, params={"amount": 1})
    assert raised.value.param == "amount"


def test_reversal_can_make_the_account_balance_negative(stripe_client, seller):
    fund_platform(stripe_client, 10_000)
    made = transfer(stripe_client, seller.id, 2_000)
    stripe_client.v1.payouts.create(params={"amount": 2_000, "currency": "usd"}, options=on(seller.id))
    stripe_client.v1.transfers.reversals.create(made.id)
    assert balance_of(stripe_client, seller.id) == (-2_000, 0)


def test_transfers_are_the_platforms(stripe_client, seller):
    fund_platform(stripe_client, 10_000)
    made = transfer(stripe_client, seller.id)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.transfers.retrieve(made.id, options=on(seller.id))
    assert raised.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError, match="Only Stripe Connect platforms"):
        stripe_client.v1.transfers.create(
            params={"amount": 100, "currency": "usd", "destination": seller.id}, options=on(seller.id)
        )
    updated = stripe_client.v1.transfers.update(made.id, params={"description": "Payout for May"})
    assert updated.description == "Payout for May"


# Account debits: a transfer made as the connected account, to the platform's own account


def platform_id(client) -> str:
    return client.v1.accounts.retrieve_current().id


def debit(client, account: str, amount: int = 1_000, **params):
    return client.v1.transfers.create(
        params={"amount": amount, "currency": "usd", "destination": platform_id(client), **params}, options=on(account),
    )


def test_an_account_debit_moves_money_from_the_account_to_the_platform(stripe_client, seller):
    fund_platform(stripe_client, 10_000)
    transfer(stripe_client, seller.id, 3_000)
    platform_before = balance_of(stripe_client)[0]

    made = debit(stripe_client, seller.id, 1_200, description="Recovering a refund", metadata={"case": "7"})

    assert_stripe_shape(made.to_dict())
    assert (made.amount, made.destination, made.description, made.metadata["case"]) == (
        1_200, platform_id(stripe_client), "Recovering a refund", "7")
    assert balance_of(stripe_client, seller.id) == (1_800, 0)
    assert balance_of(stripe_client)[0] == platform_before + 1_200
    # The transfer and its negative `transfer` transaction are the account's...
    txn = stripe_client.v1.balance_transactions.retrieve(made.balance_transaction, options=on(seller.id))
    assert (txn.type, txn.amount, txn.source) == ("transfer", -1_200, made.id)
    assert stripe_client.v1.transfers.retrieve(made.id, options=on(seller.id)).id == made.id
    assert [t.id for t in stripe_client.v1.transfers.list(options=on(seller.id)).data] == [made.id]
    # ...the `py_` payment and its positive `payment` transaction are the platform's.
    payment = stripe_client.v1.charges.retrieve(made.destination_payment)
    assert_stripe_shape(payment.to_dict())
    assert (payment.amount, payment.source_transfer, payment.status) == (1_200, made.id, "succeeded")
    platform_txn = stripe_client.v1.balance_transactions.retrieve(payment.balance_transaction)
    assert (platform_txn.type, platform_txn.amount) == ("payment", 1_200)
    # The platform does not see the account's transfer as one of its own.
    assert made.id not in [t.id for t in stripe_client.v1.transfers.list().data]
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.transfers.retrieve(made.id)
    event = stripe_client.v1.events.list(params={"type": "transfer.created"}, options=on(seller.id)).data[0]
    assert (event.account, event.data.object["id"]) == (seller.id, made.id)
    assert_stripe_shape(event.to_dict())


def test_an_account_debit_replays_under_the_same_idempotency_key(stripe_client, seller):
    fund_platform(stripe_client, 10_000)
    transfer(stripe_client, seller.id, 3_000)
    params = {"amount": 1_000, "currency": "usd", "destination": platform_id(stripe_client)}
    first = stripe_client.v1.transfers.create(params=params, options={**on(seller.id), "idempotency_key": "debit-1"})
    again = stripe_client.v1.transfers.create(params=params, options={**on(seller.id), "idempotency_key": "debit-1"})
    assert again.id == first.id
    assert balance_of(stripe_client, seller.id) == (2_000, 0)
    assert len(stripe_client.v1.transfers.list(options=on(seller.id)).data) == 1


def test_an_account_debit_cannot_take_the_balance_below_zero(stripe_client, seller):
    fund_platform(stripe_client, 10_000)
    transfer(stripe_client, seller.id, 500)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        debit(stripe_client, seller.id, 501)
    assert (raised.value.code, raised.value.param) == ("balance_insufficient", "amount")
    assert balance_of(stripe_client, seller.id) == (500, 0)
    assert stripe_client.v1.transfers.list(options=on(seller.id)).data == []
    assert debit(stripe_client, seller.id, 500).amount == 500
    assert balance_of(stripe_client, seller.id) == (0, 0)


def test_an_account_debit_needs_the_accounts_default_currency(stripe_client, seller):
    fund_platform(stripe_client, 10_000)
    transfer(stripe_client, seller.id, 500)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        debit(stripe_client, seller.id, 100, currency="eur")
    assert raised.value.param == "currency" and "default currency (usd)" in str(raised.value)


def test_an_account_debit_needs_the_platform_to_be_liable_and_in_the_same_country(stripe_client):
    gb = stripe_client.v1.accounts.create(params={"country": "GB", "controller": PLATFORM_CONTROLLER})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        debit(stripe_client, gb.id, 100, currency="gbp")
    assert raised.value.code == "transfers_not_allowed" and "same region" in str(raised.value)
    standard = stripe_client.v1.accounts.create(params={"country": "US", "type": "standard"})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        debit(stripe_client, standard.id, 100)
    assert raised.value.code == "transfers_not_allowed" and "responsible for negative balances" in str(raised.value)


def test_an_account_can_only_transfer_to_the_platform(stripe_client, seller):
    other = create_seller(stripe_client)
    with pytest.raises(stripe.InvalidRequestError, match="Only Stripe Connect platforms"):
        stripe_client.v1.transfers.create(
            params={"amount": 100, "currency": "usd", "destination": other.id}, options=on(seller.id))
