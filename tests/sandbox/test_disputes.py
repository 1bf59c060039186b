"""Disputes: Stripe's dispute test card, evidence, the outcomes and their balance effects."""

import io

import pytest
import stripe

from portal.sandbox import disputes
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

FEE = 1_500


@pytest.fixture
def seller(stripe_client):
    return create_seller(stripe_client)


def disputed_payment(client, seller, amount: int = 5_000):
    pi = pay(client, amount, "pm_card_createDispute", account=seller.id)
    found = client.v1.disputes.list(params={"payment_intent": pi.id}, options=on(seller.id)).data
    assert len(found) == 1
    return pi, found[0]


def test_dispute_card_opens_a_fraud_dispute_and_withdraws_amount_and_fee(stripe_client, seller):
    pi, dispute = disputed_payment(stripe_client, seller)
    assert_stripe_shape(dispute.to_dict())
    assert (dispute.status, dispute.reason, dispute.amount, dispute.charge) == ("needs_response", "fraudulent", 5_000, pi.latest_charge)
    withdrawal = dispute.balance_transactions[0]
    assert (withdrawal.amount, withdrawal.fee, withdrawal.net) == (-5_000, FEE, -5_000 - FEE)
    charge_net = 5_000 - stripe_fee(5_000)
    # The charge's funds are still pending; the withdrawal is immediate: available goes negative.
    assert balance_of(stripe_client, seller.id) == (-5_000 - FEE, charge_net)
    assert stripe_client.v1.charges.retrieve(pi.latest_charge, options=on(seller.id)).disputed
    types = event_types(stripe_client, seller.id, "charge.dispute.")
    assert types == ["charge.dispute.created", "charge.dispute.funds_withdrawn"]
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.refunds.create(params={"payment_intent": pi.id}, options=on(seller.id))
    assert raised.value.code == "charge_disputed"


def test_winning_evidence_wins_and_reinstates_the_funds(stripe_client, seller):
    _, dispute = disputed_payment(stripe_client, seller)
    before = balance_of(stripe_client, seller.id)
    updated = stripe_client.v1.disputes.update(
        dispute.id, params={"evidence": {"uncategorized_text": "winning_evidence", "customer_name": "Jo"}},
        options=on(seller.id),
    )
    assert updated.status == "under_review"
    assert updated.evidence_details.submission_count == 1 and updated.evidence_details.has_evidence
    won = stripe_client.v1.disputes.retrieve(dispute.id, options=on(seller.id))
    assert_stripe_shape(won.to_dict())
    assert won.status == "won" and len(won.balance_transactions) == 2
    assert balance_of(stripe_client, seller.id) == (before[0] + 5_000 + FEE, before[1])
    types = event_types(stripe_client, seller.id, "charge.dispute.")
    assert types[2:] == ["charge.dispute.updated", "charge.dispute.funds_reinstated", "charge.dispute.closed"]


def test_losing_evidence_loses(stripe_client, seller):
    _, dispute = disputed_payment(stripe_client, seller)
    before = balance_of(stripe_client, seller.id)
    stripe_client.v1.disputes.update(
        dispute.id, params={"evidence": {"uncategorized_text": "losing_evidence"}}, options=on(seller.id)
    )
    lost = stripe_client.v1.disputes.retrieve(dispute.id, options=on(seller.id))
    assert lost.status == "lost"
    assert balance_of(stripe_client, seller.id) == before
    assert "charge.dispute.closed" in event_types(stripe_client, seller.id)


def test_staged_evidence_then_submitted_other_text_stays_under_review(stripe_client, seller):
    _, dispute = disputed_payment(stripe_client, seller)
    staged = stripe_client.v1.disputes.update(
        dispute.id, params={"evidence": {"product_description": "A lamp"}, "submit": False}, options=on(seller.id)
    )
    assert staged.status == "needs_response" and staged.evidence_details.submission_count == 0
    assert staged.evidence.product_description == "A lamp"
    submitted = stripe_client.v1.disputes.update(dispute.id, params={"metadata": {"case": "7"}}, options=on(seller.id))
    assert submitted.status == "under_review" and submitted.metadata["case"] == "7"
    assert stripe_client.v1.disputes.retrieve(dispute.id, options=on(seller.id)).status == "under_review"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.disputes.update(dispute.id, params={"evidence": {"receipt": "x"}}, options=on(seller.id))


def test_accepting_closes_it_lost(stripe_client, seller):
    _, dispute = disputed_payment(stripe_client, seller)
    closed = stripe_client.v1.disputes.close(dispute.id, options=on(seller.id))
    assert closed.status == "lost"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.disputes.close(dispute.id, options=on(seller.id))
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.disputes.retrieve(dispute.id)
    assert raised.value.http_status == 404


def test_helper_disputes_an_existing_payment(stripe_client, seller):
    pi = pay(stripe_client, 3_000, "pm_card_bypassPending", account=seller.id)
    dispute = call_helper(
        stripe_client, "post", "/v1/test_helpers/sandbox/disputes", payment_intent=pi.id,
        reason="product_not_received", amount=2_000, stripe_account=seller.id,
    )
    assert_stripe_shape(dispute)
    assert (dispute["status"], dispute["reason"], dispute["amount"]) == ("needs_response", "product_not_received", 2_000)
    assert balance_of(stripe_client, seller.id) == (3_000 - stripe_fee(3_000) - 2_000 - FEE, 0)
    with pytest.raises(stripe.InvalidRequestError):
        call_helper(stripe_client, "post", "/v1/test_helpers/sandbox/disputes", charge=pi.latest_charge,
                    stripe_account=seller.id)


def test_submit_evidence_function_for_the_connectjs_standin(stripe_client, seller, sandbox):
    _, dispute = disputed_payment(stripe_client, seller)
    with sandbox.store.transaction():
        result = disputes.submit_evidence(sandbox, dispute.id, {"uncategorized_text": "winning_evidence"}, True)
    assert result["status"] == "under_review"
    assert stripe_client.v1.disputes.retrieve(dispute.id, options=on(seller.id)).status == "won"


def test_destination_charge_disputes_hit_the_platform(stripe_client, seller):
    pay(stripe_client, 4_000, "pm_card_createDispute", transfer_data={"destination": seller.id})
    dispute = stripe_client.v1.disputes.list().data[0]
    assert dispute.status == "needs_response"
    assert "charge.dispute.created" in event_types(stripe_client)
    assert stripe_client.v1.disputes.list(options=on(seller.id)).data == []


def test_unanswered_dispute_is_lost_after_its_due_date(stripe_client, seller):
    _, dispute = disputed_payment(stripe_client, seller)
    advance(stripe_client, dispute.evidence_details.due_by - dispute.created - 60)
    assert stripe_client.v1.disputes.retrieve(dispute.id, options=on(seller.id)).status == "needs_response"
    advance(stripe_client, 120)
    lost = stripe_client.v1.disputes.retrieve(dispute.id, options=on(seller.id))
    assert lost.status == "lost" and lost.evidence_details.past_due
    assert event_types(stripe_client, seller.id, "charge.dispute.")[-1] == "charge.dispute.closed"


def test_file_evidence_must_be_the_accounts_dispute_evidence_upload(stripe_client, seller):
    _, dispute = disputed_payment(stripe_client, seller)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.disputes.update(
            dispute.id, params={"evidence": {"receipt": "file_doesnotexist"}}, options=on(seller.id)
        )
    assert raised.value.param == "evidence[receipt]"
    blob = io.BytesIO(b"%PDF-1.4 receipt")
    blob.name = "receipt.pdf"
    upload = stripe_client.v1.files.create(params={"purpose": "dispute_evidence", "file": blob}, options=on(seller.id))
    updated = stripe_client.v1.disputes.update(
        dispute.id, params={"evidence": {"receipt": upload.id}, "submit": False}, options=on(seller.id)
    )
    assert updated.evidence.receipt == upload.id and updated.evidence_details.has_evidence
