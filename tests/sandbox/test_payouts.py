"""Payouts from a connected account's balance, with Stripe's test bank numbers and debit cards."""

import datetime

import pytest
import stripe

from tests.sandbox.money import (
    advance,
    balance_of,
    bank,
    create_seller,
    event_types,
    fund_platform,
    on,
)
from tests.sandbox.shapes import assert_stripe_shape

DAY = 86400


def funded_seller(client, external_account="btok_us_verified", amount: int = 10_000, schedule=None):
    seller = create_seller(client, external_account, schedule=schedule or {"interval": "manual"})
    fund_platform(client, 2 * amount)
    client.v1.transfers.create(params={"amount": amount, "currency": "usd", "destination": seller.id})
    return seller


def payout(client, seller, amount: int = 4_000, **params):
    return client.v1.payouts.create(params={"amount": amount, "currency": "usd", **params}, options=on(seller.id))


def test_payout_goes_pending_in_transit_paid(stripe_client):
    seller = funded_seller(stripe_client)
    made = payout(stripe_client, seller, description="May earnings", metadata={"period": "may"})
    assert_stripe_shape(made.to_dict())
    assert (made.status, made.method, made.automatic, made.type) == ("pending", "standard", False, "bank_account")
    assert made.destination == seller.external_accounts.data[0].id
    assert balance_of(stripe_client, seller.id) == (6_000, 0)
    later = stripe_client.v1.payouts.retrieve(made.id, options=on(seller.id))
    assert later.status == "in_transit"
    advance(stripe_client, 4 * DAY)
    paid = stripe_client.v1.payouts.retrieve(made.id, options=on(seller.id))
    assert_stripe_shape(paid.to_dict())
    assert paid.status == "paid"
    types = event_types(stripe_client, seller.id, "payout.")
    assert types[:4] == ["payout.created", "payout.updated", "payout.updated", "payout.paid"]
    event = stripe_client.v1.events.list(params={"type": "payout.paid"}, options=on(seller.id)).data[0]
    assert event.account == seller.id and event.data.object["id"] == made.id


def test_payout_above_the_available_balance_is_balance_insufficient(stripe_client):
    seller = funded_seller(stripe_client, amount=1_000)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payout(stripe_client, seller, 1_001)
    error = raised.value
    assert (error.http_status, error.code, error.param) == (400, "balance_insufficient", None)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payout(stripe_client, seller, -5)
    assert raised.value.code == "parameter_invalid_integer"


@pytest.mark.parametrize(
    "account_number, failure_code",
    [
        ("000111111116", "no_account"),
        ("000111111113", "account_closed"),
        ("000222222227", "insufficient_funds"),
        ("000333333335", "debit_not_authorized"),
        ("000444444440", "invalid_currency"),
    ],
)
def test_test_bank_numbers_fail_payouts_and_return_the_funds(stripe_client, account_number, failure_code):
    seller = funded_seller(stripe_client, bank(account_number))
    made = payout(stripe_client, seller)
    failed = stripe_client.v1.payouts.retrieve(made.id, options=on(seller.id))
    assert_stripe_shape(failed.to_dict())
    assert (failed.status, failed.failure_code) == ("failed", failure_code)
    assert failed.failure_message and failed.failure_balance_transaction
    assert balance_of(stripe_client, seller.id) == (10_000, 0)
    assert "payout.failed" in event_types(stripe_client, seller.id)


@pytest.mark.parametrize(
    "token, failure_code",
    [("btok_us_verified_noAccount", "no_account"), ("btok_us_verified_accountClosed", "account_closed")],
)
def test_failing_bank_tokens(stripe_client, token, failure_code):
    seller = funded_seller(stripe_client, token)
    made = payout(stripe_client, seller)
    assert stripe_client.v1.payouts.retrieve(made.id, options=on(seller.id)).failure_code == failure_code


@pytest.mark.parametrize(
    "card, instant, failure_code",
    [
        ("tok_visa_debit_us_transferSuccess", True, None),
        ("tok_visa_debit_us_transferFail", True, "could_not_process"),
        ("tok_visa_debit_us_instantPayoutUnsupported", False, None),
    ],
)
def test_debit_card_payouts(stripe_client, card, instant, failure_code):
    seller = funded_seller(stripe_client, card)
    made = payout(stripe_client, seller, 1_000)
    assert made.type == "card"
    standard = stripe_client.v1.payouts.retrieve(made.id, options=on(seller.id))
    assert standard.failure_code == failure_code
    if instant:
        fast = payout(stripe_client, seller, 1_000, method="instant")
        assert fast.method == "instant" and fast.arrival_date == fast.created
        balance = stripe_client.v1.balance.retrieve(options=on(seller.id))
        assert balance.instant_available[0].net_available[0].destination == made.destination
    else:
        with pytest.raises(stripe.InvalidRequestError) as raised:
            payout(stripe_client, seller, 1_000, method="instant")
        assert raised.value.code == "instant_payouts_unsupported"


def test_bank_account_not_eligible_for_instant_payouts(stripe_client):
    seller = funded_seller(stripe_client, bank("000888888883"))
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payout(stripe_client, seller, method="instant")
    assert raised.value.code == "instant_payouts_unsupported"
    assert payout(stripe_client, seller).status == "pending"


def test_instant_payout_to_the_test_bank(stripe_client):
    seller = funded_seller(stripe_client)
    fast = payout(stripe_client, seller, method="instant")
    assert stripe_client.v1.payouts.retrieve(fast.id, options=on(seller.id)).status in ("in_transit", "paid")
    advance(stripe_client, 60)
    assert stripe_client.v1.payouts.retrieve(fast.id, options=on(seller.id)).status == "paid"


def test_cancel_a_pending_payout(stripe_client, sandbox):
    seller = funded_seller(stripe_client)
    sandbox.config.verification_delay = 3600  # the bank has not taken it yet
    made = payout(stripe_client, seller)
    canceled = stripe_client.v1.payouts.cancel(made.id, options=on(seller.id))
    assert canceled.status == "canceled" and canceled.failure_balance_transaction
    assert balance_of(stripe_client, seller.id) == (10_000, 0)
    assert "payout.canceled" in event_types(stripe_client, seller.id)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payouts.cancel(made.id, options=on(seller.id))


def test_list_and_update_payouts(stripe_client):
    seller = funded_seller(stripe_client)
    first, second = payout(stripe_client, seller, 1_000), payout(stripe_client, seller, 2_000)
    listed = stripe_client.v1.payouts.list(options=on(seller.id))
    assert [p.id for p in listed.data] == [second.id, first.id]
    assert stripe_client.v1.payouts.list(params={"status": "paid"}, options=on(seller.id)).data == []
    updated = stripe_client.v1.payouts.update(first.id, params={"metadata": {"note": "x"}}, options=on(seller.id))
    assert updated.metadata["note"] == "x"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.payouts.retrieve(first.id)
    assert raised.value.http_status == 404


def test_payouts_disabled_account_cannot_pay_out(stripe_client):
    seller = create_seller(stripe_client, verified=False)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payout(stripe_client, seller, 100)
    assert raised.value.code == "payouts_not_allowed"


def test_automatic_daily_payout_sweeps_the_available_balance(stripe_client):
    seller = funded_seller(stripe_client, schedule={"interval": "daily", "delay_days": 2})
    advance(stripe_client, DAY)
    automatic = stripe_client.v1.payouts.list(options=on(seller.id)).data
    assert len(automatic) == 1 and automatic[0].automatic and automatic[0].amount == 10_000
    assert balance_of(stripe_client, seller.id) == (0, 0)
    swept = stripe_client.v1.balance_transactions.list(params={"payout": automatic[0].id}, options=on(seller.id))
    assert {t.type for t in swept.data} == {"payment", "payout"}


def test_manual_schedule_keeps_the_funds(stripe_client):
    seller = funded_seller(stripe_client, schedule={"interval": "manual"})
    advance(stripe_client, 3 * DAY)
    assert stripe_client.v1.payouts.list(options=on(seller.id)).data == []
    assert balance_of(stripe_client, seller.id) == (10_000, 0)


def test_weekly_schedule_pays_out_on_its_anchor_day(stripe_client, sandbox):
    seller = funded_seller(stripe_client, schedule={"interval": "weekly", "weekly_anchor": "wednesday"})
    days_seen = []
    for _ in range(7):
        advance(stripe_client, DAY)
        if stripe_client.v1.payouts.list(options=on(seller.id)).data:
            break
        days_seen.append(1)
    [automatic] = stripe_client.v1.payouts.list(options=on(seller.id)).data
    weekday = datetime.datetime.fromtimestamp(automatic.created, datetime.UTC).strftime("%A").lower()
    assert weekday == "wednesday" and automatic.amount == 10_000 and len(days_seen) < 7


def test_negative_balance_is_debited_from_the_bank_when_allowed(stripe_client):
    seller = funded_seller(stripe_client, schedule={"interval": "daily"})
    stripe_client.v1.accounts.update(seller.id, params={"settings": {"payouts": {"debit_negative_balances": True}}})
    transfer = stripe_client.v1.transfers.list(params={"destination": seller.id}).data[0]
    stripe_client.v1.payouts.create(params={"amount": 10_000, "currency": "usd"}, options=on(seller.id))
    stripe_client.v1.transfers.reversals.create(transfer.id, params={"amount": 3_000})
    assert balance_of(stripe_client, seller.id) == (-3_000, 0)
    advance(stripe_client, DAY)
    debit = [p for p in stripe_client.v1.payouts.list(options=on(seller.id)).data if p.automatic]
    assert len(debit) == 1 and debit[0].amount == -3_000
    assert balance_of(stripe_client, seller.id) == (0, 0)


def test_negative_balance_stays_without_debit_negative_balances(stripe_client):
    seller = funded_seller(stripe_client, schedule={"interval": "daily"})
    transfer = stripe_client.v1.transfers.list(params={"destination": seller.id}).data[0]
    stripe_client.v1.payouts.create(params={"amount": 10_000, "currency": "usd"}, options=on(seller.id))
    stripe_client.v1.transfers.reversals.create(transfer.id, params={"amount": 3_000})
    advance(stripe_client, DAY)
    assert not [p for p in stripe_client.v1.payouts.list(options=on(seller.id)).data if p.automatic]
    assert balance_of(stripe_client, seller.id) == (-3_000, 0)
