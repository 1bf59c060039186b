"""PaymentIntents, charges, application fees and refunds, through the SDK."""

import pytest
import stripe

from tests.sandbox.money import (
    balance_of,
    create_seller,
    event_types,
    on,
    pay,
    stripe_fee,
)
from tests.sandbox.shapes import assert_stripe_shape


@pytest.fixture
def seller(stripe_client):
    return create_seller(stripe_client)


def test_direct_charge_pays_the_account_less_stripe_fee_and_application_fee(stripe_client, seller):
    pi = pay(stripe_client, 10_000, account=seller.id, application_fee_amount=500)
    assert pi.status == "succeeded" and pi.amount_received == 10_000
    assert_stripe_shape(pi.to_dict())
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge, params={"expand": ["balance_transaction"]},
                                               options=on(seller.id))
    assert_stripe_shape(charge.to_dict())
    account = stripe_client.v1.accounts.retrieve(seller.id)
    assert charge.calculated_statement_descriptor == account.settings.payments.statement_descriptor
    txn = charge.balance_transaction
    assert txn.type == "charge" and txn.status == "pending"
    assert {d.type: d.amount for d in txn.fee_details} == {"stripe_fee": stripe_fee(10_000), "application_fee": 500}
    assert txn.net == 10_000 - stripe_fee(10_000) - 500
    assert balance_of(stripe_client, seller.id) == (0, txn.net)
    fee = stripe_client.v1.application_fees.retrieve(charge.application_fee)
    assert_stripe_shape(fee.to_dict())
    assert (fee.account, fee.amount, fee.charge) == (seller.id, 500, charge.id)
    assert balance_of(stripe_client) == (0, 500)
    # The payment is the account's, not the platform's.
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.charges.retrieve(charge.id)
    assert event_types(stripe_client, seller.id, "payment_intent.") == ["payment_intent.created", "payment_intent.succeeded"]


def test_destination_charge_transfers_to_the_account_and_collects_the_fee_back(stripe_client, seller):
    pi = pay(stripe_client, 10_000, transfer_data={"destination": seller.id}, application_fee_amount=1_000)
    charge = stripe_client.v1.charges.retrieve(
        pi.latest_charge, params={"expand": ["transfer", "transfer_data.destination"]}
    )
    assert_stripe_shape(charge.to_dict())
    transfer = charge.transfer
    assert (transfer.amount, transfer.destination, transfer.source_transaction) == (10_000, seller.id, charge.id)
    payment = stripe_client.v1.charges.retrieve(transfer.destination_payment, params={"expand": ["balance_transaction"]},
                                                options=on(seller.id))
    assert (payment.source_transfer, payment.payment_method_details.type) == (transfer.id, "stripe_account")
    assert payment.balance_transaction.net == 9_000
    assert balance_of(stripe_client, seller.id) == (0, 9_000)
    # Platform: the charge less Stripe's fee, less the transfer, plus the fee collected back.
    assert balance_of(stripe_client) == (0, 10_000 - stripe_fee(10_000) - 10_000 + 1_000)
    fee = stripe_client.v1.application_fees.retrieve(charge.application_fee)
    assert (fee.account, fee.originating_transaction, fee.charge) == (seller.id, charge.id, payment.id)


def test_destination_charge_with_a_fixed_transfer_amount(stripe_client, seller):
    pi = pay(stripe_client, 5_000, payment_method="pm_card_bypassPending",
             transfer_data={"destination": seller.id, "amount": 4_000})
    assert pi.transfer_data.amount == 4_000
    assert balance_of(stripe_client, seller.id) == (4_000, 0)
    assert balance_of(stripe_client) == (5_000 - stripe_fee(5_000) - 4_000, 0)


def test_declined_card_is_a_card_error_and_is_recorded(stripe_client, seller):
    with pytest.raises(stripe.CardError) as raised:
        pay(stripe_client, 2_000, "pm_card_chargeDeclined", account=seller.id)
    error = raised.value
    assert error.http_status == 402 and error.code == "card_declined"
    assert error.error.decline_code == "generic_decline"
    pi = stripe_client.v1.payment_intents.retrieve(error.error.payment_intent.id, options=on(seller.id))
    assert_stripe_shape(pi.to_dict())
    assert pi.status == "requires_payment_method" and pi.last_payment_error.code == "card_declined"
    charge = stripe_client.v1.charges.retrieve(error.error.charge, options=on(seller.id))
    assert (charge.status, charge.failure_code, charge.paid) == ("failed", "card_declined", False)
    assert balance_of(stripe_client, seller.id) == (0, 0)
    assert event_types(stripe_client, seller.id, "payment_intent.") == [
        "payment_intent.created", "payment_intent.payment_failed",
    ]
    # The customer tries another card on the same PaymentIntent.
    retried = stripe_client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"},
                                                        options=on(seller.id))
    assert retried.status == "succeeded" and retried.latest_charge != charge.id


def test_manual_capture_captures_part_and_releases_the_rest(stripe_client, seller):
    pi = pay(stripe_client, 3_000, account=seller.id, capture_method="manual")
    assert pi.status == "requires_capture" and pi.amount_capturable == 3_000
    assert balance_of(stripe_client, seller.id) == (0, 0)
    pi = stripe_client.v1.payment_intents.capture(pi.id, params={"amount_to_capture": 2_000}, options=on(seller.id))
    assert pi.status == "succeeded" and pi.amount_received == 2_000
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge, options=on(seller.id))
    assert (charge.amount_captured, charge.amount_refunded, charge.captured) == (2_000, 1_000, True)
    assert balance_of(stripe_client, seller.id) == (0, 2_000 - stripe_fee(2_000))


def test_create_then_confirm_and_cancel(stripe_client, seller):
    pi = stripe_client.v1.payment_intents.create(params={"amount": 1_500, "currency": "usd"}, options=on(seller.id))
    assert pi.status == "requires_payment_method"
    pi = stripe_client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"}, options=on(seller.id))
    assert pi.status == "succeeded"
    payment_method = stripe_client.v1.payment_methods.retrieve(pi.payment_method, options=on(seller.id))
    assert (payment_method.type, payment_method.card.last4) == ("card", "4242")
    other = stripe_client.v1.payment_intents.create(params={"amount": 1_500, "currency": "usd"}, options=on(seller.id))
    canceled = stripe_client.v1.payment_intents.cancel(other.id, options=on(seller.id))
    assert canceled.status == "canceled" and canceled.canceled_at
    listed = stripe_client.v1.payment_intents.list(options=on(seller.id))
    assert [p.id for p in listed.data] == [other.id, pi.id]
    charges = stripe_client.v1.charges.list(params={"payment_intent": pi.id}, options=on(seller.id))
    assert [c.id for c in charges.data] == [pi.latest_charge]


def test_payments_are_refused_for_an_account_whose_charges_are_disabled(stripe_client):
    unverified = create_seller(stripe_client, verified=False)
    assert not unverified.charges_enabled
    with pytest.raises(stripe.InvalidRequestError, match="cannot currently make live charges"):
        pay(stripe_client, 1_000, account=unverified.id)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        pay(stripe_client, 1_000, transfer_data={"destination": unverified.id})
    assert raised.value.code == "insufficient_capabilities_for_transfer"


def test_application_fee_needs_a_connected_payment(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        pay(stripe_client, 1_000, application_fee_amount=100)
    assert raised.value.param == "application_fee_amount"


def test_refund_debits_the_balance_and_can_go_negative(stripe_client, seller):
    pi = pay(stripe_client, 4_000, "pm_card_bypassPending", account=seller.id)
    net = 4_000 - stripe_fee(4_000)
    assert balance_of(stripe_client, seller.id) == (net, 0)
    refund = stripe_client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1_000}, options=on(seller.id))
    assert_stripe_shape(refund.to_dict())
    refund = stripe_client.v1.refunds.create(params={"charge": pi.latest_charge}, options=on(seller.id))
    assert refund.amount == 3_000
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge, options=on(seller.id))
    assert charge.refunded and charge.amount_refunded == 4_000 and len(charge.refunds.data) == 2
    # Stripe keeps its fee: the balance owes it.
    assert balance_of(stripe_client, seller.id) == (net - 4_000, 0)
    assert "charge.refunded" in event_types(stripe_client, seller.id)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.refunds.create(params={"charge": pi.latest_charge}, options=on(seller.id))
    assert raised.value.code == "charge_already_refunded"
    listed = stripe_client.v1.refunds.list(params={"charge": pi.latest_charge}, options=on(seller.id))
    assert len(listed.data) == 2


def test_destination_refund_reverses_the_transfer_and_refunds_the_fee(stripe_client, seller):
    pi = pay(stripe_client, 10_000, "pm_card_bypassPending", transfer_data={"destination": seller.id},
             application_fee_amount=1_000)
    assert balance_of(stripe_client, seller.id) == (9_000, 0)
    refund = stripe_client.v1.refunds.create(
        params={"payment_intent": pi.id, "amount": 5_000, "reverse_transfer": True, "refund_application_fee": True}
    )
    reversal = stripe_client.v1.transfers.reversals.retrieve(
        stripe_client.v1.charges.retrieve(pi.latest_charge).transfer, refund.transfer_reversal
    )
    assert reversal.amount == 5_000 and reversal.source_refund == refund.id
    # The account gives back half the transfer and gets half the fee back.
    assert balance_of(stripe_client, seller.id) == (9_000 - 5_000 + 500, 0)
    fee = stripe_client.v1.application_fees.list().data[0]
    assert fee.amount_refunded == 500


def test_application_fee_refund(stripe_client, seller):
    pi = pay(stripe_client, 10_000, "pm_card_bypassPending", account=seller.id, application_fee_amount=800)
    fee_id = stripe_client.v1.charges.retrieve(pi.latest_charge, options=on(seller.id)).application_fee
    fee_refund = stripe_client.v1.application_fees.refunds.create(fee_id, params={"amount": 300})
    assert_stripe_shape(fee_refund.to_dict())
    fee = stripe_client.v1.application_fees.retrieve(fee_id)
    assert fee.amount_refunded == 300 and not fee.refunded
    assert balance_of(stripe_client) == (500, 0)
    assert balance_of(stripe_client, seller.id) == (10_000 - stripe_fee(10_000) - 800 + 300, 0)


def test_next_requirements_card_makes_a_requirement_due(stripe_client, seller):
    pay(stripe_client, 1_000, "tok_visa_triggerNextRequirements", account=seller.id)
    account = stripe_client.v1.accounts.retrieve(seller.id)
    assert "individual.verification.document" in account.requirements.currently_due
    assert account.charges_enabled


def test_charge_block_card_blocks_charges(stripe_client, seller):
    pay(stripe_client, 1_000, "tok_visa_triggerChargeBlock", account=seller.id)
    assert not stripe_client.v1.accounts.retrieve(seller.id).charges_enabled
    with pytest.raises(stripe.InvalidRequestError, match="cannot currently make live charges"):
        pay(stripe_client, 1_000, account=seller.id)


def test_payout_block_card_blocks_payouts_only(stripe_client, seller):
    pay(stripe_client, 1_000, "tok_visa_triggerPayoutBlock", on_behalf_of=seller.id,
        transfer_data={"destination": seller.id})
    account = stripe_client.v1.accounts.retrieve(seller.id)
    assert account.charges_enabled and not account.payouts_enabled


def test_every_money_event_carries_a_stripe_shaped_object(stripe_client, seller):
    pi = pay(stripe_client, 10_000, "pm_card_bypassPending", account=seller.id, application_fee_amount=300)
    stripe_client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1_000}, options=on(seller.id))
    pay(stripe_client, 5_000, "pm_card_createDispute", account=seller.id)
    destination = pay(stripe_client, 8_000, "pm_card_bypassPending", transfer_data={"destination": seller.id},
                      application_fee_amount=800)
    stripe_client.v1.refunds.create(params={"payment_intent": destination.id, "reverse_transfer": True})
    stripe_client.v1.payouts.create(params={"amount": 500, "currency": "usd"}, options=on(seller.id))
    with pytest.raises(stripe.CardError):
        pay(stripe_client, 1_000, "pm_card_chargeDeclined", account=seller.id)
    stripe_client.v1.balance.retrieve(options=on(seller.id))  # lets the payout move on
    seen = set()
    for options in ({}, on(seller.id)):
        for event in stripe_client.v1.events.list(params={"limit": 100}, options=options).data:
            if event.type.split(".")[0] in ("account", "capability", "person"):
                continue
            assert_stripe_shape(event.to_dict()["data"]["object"])
            seen.add(event.type)
    assert {
        "payment_intent.succeeded", "charge.succeeded", "charge.refunded", "refund.created", "transfer.created",
        "transfer.reversed", "application_fee.created", "charge.dispute.created", "payout.created",
        "payout.updated", "balance.available", "charge.failed", "payment_intent.payment_failed",
    } <= seen


def test_update_before_and_after_payment(stripe_client, seller):
    pi = stripe_client.v1.payment_intents.create(params={"amount": 1_500, "currency": "usd"}, options=on(seller.id))
    pi = stripe_client.v1.payment_intents.update(
        pi.id, params={"amount": 2_500, "metadata": {"order": "9"}, "payment_method": "pm_card_visa"},
        options=on(seller.id),
    )
    assert (pi.amount, pi.metadata["order"], pi.status) == (2_500, "9", "requires_confirmation")
    pi = stripe_client.v1.payment_intents.confirm(pi.id, options=on(seller.id))
    assert pi.amount_received == 2_500
    pi = stripe_client.v1.payment_intents.update(pi.id, params={"description": "Order 9"}, options=on(seller.id))
    assert pi.description == "Order 9"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.payment_intents.update(pi.id, params={"amount": 100}, options=on(seller.id))
    assert raised.value.code == "payment_intent_unexpected_state"


def test_a_transfer_payment_is_not_refunded_directly(stripe_client, seller):
    pi = pay(stripe_client, 3_000, "pm_card_bypassPending", transfer_data={"destination": seller.id})
    transfer = stripe_client.v1.transfers.retrieve(stripe_client.v1.charges.retrieve(pi.latest_charge).transfer)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.refunds.create(params={"charge": transfer.destination_payment}, options=on(seller.id))
    assert raised.value.param == "charge"


def test_transfer_keys_are_omitted_where_stripe_omits_them(stripe_client, seller):
    # Stripe's fixtures and spec: a charge has `transfer` only once a destination charge made
    # one; a PaymentIntent's transfer_data has `amount` only when one was given, while a
    # charge's transfer_data always has it (null when the whole amount goes).
    direct = pay(stripe_client, 2_000, account=seller.id)
    direct_charge = stripe_client.v1.charges.retrieve(direct.latest_charge, options=on(seller.id))
    assert "transfer" not in direct_charge.last_response.data

    destination = pay(stripe_client, 3_000, transfer_data={"destination": seller.id})
    assert destination.last_response.data["transfer_data"] == {"destination": seller.id}
    charge = stripe_client.v1.charges.retrieve(destination.latest_charge).last_response.data
    assert charge["transfer"].startswith("tr_")
    assert charge["transfer_data"] == {"amount": None, "destination": seller.id}

    fixed = pay(stripe_client, 3_000, transfer_data={"destination": seller.id, "amount": 2_500})
    assert fixed.last_response.data["transfer_data"] == {"amount": 2_500, "destination": seller.id}
    updated = stripe_client.v1.payment_intents.create(params={
        "amount": 1_000, "currency": "usd", "transfer_data": {"destination": seller.id, "amount": 900}})
    changed = stripe_client.v1.payment_intents.update(updated.id, params={"transfer_data": {"amount": 950}})
    assert changed.last_response.data["transfer_data"] == {"amount": 950, "destination": seller.id}
