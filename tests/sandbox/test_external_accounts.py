"""External accounts through the SDK: bank accounts and debit cards, defaults per currency,
replacement through the account, and the account.external_account.* events."""

import pytest
import stripe

from tests.sandbox.onboarding import bank, events, individual_account
from tests.sandbox.shapes import assert_stripe_shape


def test_add_list_update_and_delete(stripe_client):
    account = individual_account(stripe_client)
    [original] = account.external_accounts.data
    second = stripe_client.v1.accounts.external_accounts.create(account.id, params={
        "external_account": bank("000111111116"), "metadata": {"label": "backup"}})
    assert_stripe_shape(second.to_dict())
    assert (second.last4, second.default_for_currency, second.account) == ("1116", False, account.id)
    assert second.metadata.to_dict() == {"label": "backup"}
    assert "account_number" not in second

    card = stripe_client.v1.accounts.external_accounts.create(account.id, params={
        "external_account": "tok_visa_debit_us_transferSuccess"})
    assert card.object == "card" and card.last4 == "5556"
    listed = stripe_client.v1.accounts.external_accounts.list(account.id)
    assert [e.id for e in listed.data] == [card.id, second.id, original.id]
    banks = stripe_client.v1.accounts.external_accounts.list(account.id, params={"object": "bank_account"})
    assert [e.id for e in banks.data] == [second.id, original.id]

    promoted = stripe_client.v1.accounts.external_accounts.update(account.id, second.id, params={
        "default_for_currency": True, "account_holder_name": "Jane Doe"})
    assert promoted.default_for_currency and promoted.account_holder_name == "Jane Doe"
    assert stripe_client.v1.accounts.external_accounts.retrieve(account.id, original.id).default_for_currency is False
    updated = events(stripe_client, account.id, "account.external_account.updated")
    assert updated[0].data.previous_attributes["default_for_currency"] is False

    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.external_accounts.delete(account.id, second.id)
    assert "default external account" in raised.value.user_message
    deleted = stripe_client.v1.accounts.external_accounts.delete(account.id, original.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (original.id, True, "bank_account")
    assert_stripe_shape(deleted.to_dict(), "deleted_external_account")
    assert [e.data.object.id for e in events(stripe_client, account.id, "account.external_account.deleted")] == [
        original.id]
    assert [e.id for e in stripe_client.v1.accounts.retrieve(account.id).external_accounts.data] == [card.id, second.id]


def test_a_new_bank_through_the_account_replaces_the_old_one(stripe_client):
    account = individual_account(stripe_client)
    [old] = account.external_accounts.data
    updated = stripe_client.v1.accounts.update(account.id, params={"external_account": "btok_us_verified"})
    [new] = updated.external_accounts.data
    assert new.id != old.id and new.default_for_currency
    assert [e.data.object.id for e in events(stripe_client, account.id, "account.external_account.deleted")] == [old.id]
    created = events(stripe_client, account.id, "account.external_account.created")
    assert created[0].data.object.id == new.id
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.accounts.external_accounts.retrieve(account.id, old.id)


def test_adding_the_first_bank_turns_payouts_on_in_the_same_response(stripe_client):
    account = individual_account(stripe_client, external_account="omit")
    waiting = stripe_client.v1.accounts.retrieve(account.id)
    assert waiting.requirements.currently_due == ["external_account"]
    assert waiting.charges_enabled and not waiting.payouts_enabled
    added = stripe_client.v1.accounts.update(account.id, params={"external_account": bank()})
    assert added.payouts_enabled and added.requirements.currently_due == []


def test_bad_numbers_are_refused_with_the_field_named(stripe_client):
    account = individual_account(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.external_accounts.create(account.id, params={"external_account": bank("987654321")})
    assert (raised.value.code, raised.value.param) == ("account_number_invalid", "external_account[account_number]")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.external_accounts.create(account.id, params={
            "external_account": bank(routing_number="1100")})
    assert (raised.value.code, raised.value.param) == ("routing_number_invalid", "external_account[routing_number]")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.external_accounts.create(account.id, params={"external_account": "btok_nonsense"})
    assert raised.value.code == "resource_missing"
    with pytest.raises(stripe.CardError) as raised:
        stripe_client.v1.accounts.external_accounts.create(account.id, params={"external_account": {
            "object": "card", "number": "4242424242424242", "exp_month": 12, "exp_year": 2034}})
    assert raised.value.code == "card_declined"
    assert len(stripe_client.v1.accounts.external_accounts.list(account.id).data) == 1


def test_unknown_external_account_is_404(stripe_client):
    account = individual_account(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.external_accounts.retrieve(account.id, "ba_doesnotexist")
    assert raised.value.http_status == 404


def test_a_new_bank_through_the_account_replaces_only_the_default(stripe_client):
    account = individual_account(stripe_client)
    [default] = account.external_accounts.data
    spare = stripe_client.v1.accounts.external_accounts.create(account.id, params={"external_account": bank()})
    updated = stripe_client.v1.accounts.update(account.id, params={"external_account": bank("000222222227")})
    ids = [e.id for e in updated.external_accounts.data]
    assert default.id not in ids and spare.id in ids and len(ids) == 2
    [new] = [e for e in updated.external_accounts.data if e.id != spare.id]
    assert new.default_for_currency and new.last4 == "2227"
