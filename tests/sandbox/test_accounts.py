"""Accounts through the SDK: creation as Stripe's test mode recorded it, updates and their events,
controller and ToS validation, listing, deletion, rejection and the platform's own account."""

import time

import pytest
import stripe

from portal.sandbox import requirements
from tests.sandbox.conftest import call_helper
from tests.sandbox.onboarding import (
    ADDRESS_KEYS,
    CAPABILITIES,
    PLATFORM_COLLECTED,
    company_account,
    events,
    identity,
    individual_account,
    tos,
)
from tests.sandbox.shapes import assert_stripe_shape


def test_full_identity_waits_in_pending_verification_then_verifies(stripe_client):
    account = individual_account(stripe_client)
    assert_stripe_shape(account.to_dict())
    reqs = account.requirements
    assert reqs.currently_due == [] and reqs.past_due == [] and reqs.eventually_due == []
    assert reqs.pending_verification == sorted(
        ["individual." + key for key in ADDRESS_KEYS] + ["individual.id_number", "individual.verification.document"]
    )
    assert reqs.disabled_reason == "requirements.pending_verification"
    assert account.capabilities.to_dict() == {"card_payments": "pending", "transfers": "pending"}
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (False, False, True)
    assert account.controller.requirement_collection == "application"
    assert account.type == "custom"
    assert account.individual.phone == "+10000000000"
    assert account.individual.id_number_provided is True
    assert "id_number" not in account.individual

    verified = stripe_client.v1.accounts.retrieve(account.id)  # verification_delay=0: the next request resolves it
    assert verified.requirements.pending_verification == []
    assert verified.requirements.disabled_reason is None
    assert verified.capabilities.to_dict() == {"card_payments": "active", "transfers": "active"}
    assert verified.charges_enabled and verified.payouts_enabled
    assert verified.individual.verification.status == "verified"

    updated = events(stripe_client, account.id, "account.updated")
    assert len(updated) == 1
    for event in events(stripe_client, account.id):
        assert_stripe_shape(event.to_dict())
    previous = updated[0].data.previous_attributes
    assert previous["charges_enabled"] is False and previous["payouts_enabled"] is False
    assert previous["requirements"]["disabled_reason"] == "requirements.pending_verification"
    assert updated[0].account == account.id
    caps = events(stripe_client, account.id, "capability.updated")
    assert sorted(event.data.object.id for event in caps) == ["card_payments", "transfers"]
    assert {event.data.previous_attributes["status"] for event in caps} == {"pending"}
    assert [event.type for event in events(stripe_client, account.id, "person.created")] == ["person.created"]


def test_country_email_url_and_tos_only_leave_everything_past_due(stripe_client):
    account = stripe_client.v1.accounts.create(params={
        "country": "US", "email": "seller@example.com", "business_type": "individual",
        "controller": PLATFORM_COLLECTED, "capabilities": CAPABILITIES,
        "business_profile": {"url": "https://accessible.stripe.com"}, "tos_acceptance": tos(),
    })
    expected = sorted(
        ["individual." + key for key in ADDRESS_KEYS]
        + ["individual.dob.day", "individual.dob.month", "individual.dob.year", "individual.first_name",
           "individual.last_name", "individual.phone", "individual.ssn_last_4", "external_account"]
    )
    assert account.requirements.currently_due == expected
    assert account.requirements.past_due == expected
    assert account.requirements.eventually_due == expected
    assert account.requirements.disabled_reason == "requirements.past_due"
    assert account.capabilities.to_dict() == {"card_payments": "inactive", "transfers": "inactive"}
    assert account.details_submitted is False
    # Derived from the website's host, as Stripe does without a business name.
    assert account.settings.payments.statement_descriptor == "ACCESSIBLE.STRIPE.COM"
    assert account.settings.card_payments.statement_descriptor_prefix == "ACCESSIBLE"
    payouts = account.settings.payouts
    assert (payouts.schedule.interval, payouts.schedule.delay_days, payouts.debit_negative_balances) == (
        "daily", 2, False)
    assert_stripe_shape(account.to_dict())


def test_company_before_and_after_its_representative(stripe_client):
    account = company_account(stripe_client)
    due = account.requirements.currently_due
    assert "company.owners_provided" in due and "owners.email" in due
    assert "representative.relationship.executive" in due and "representative.ssn_last_4" in due
    assert "company.tax_id" in account.requirements.pending_verification
    assert account.company.tax_id_provided is True and "tax_id" not in account.company
    person = stripe_client.v1.accounts.persons.create(account.id, params={
        "first_name": "Jane", "last_name": "Doe", "email": "jane@acme.example", "phone": "0000000000",
        "dob": {"day": 1, "month": 1, "year": 1901}, "ssn_last_4": "0000",
        "address": {"line1": "address_full_match", "city": "SF", "state": "CA", "postal_code": "94103"},
        "relationship": {"representative": True, "owner": True, "title": "CEO", "percent_ownership": 100},
    })
    after = stripe_client.v1.accounts.retrieve(account.id)
    assert_stripe_shape(after.to_dict())
    assert after.requirements.currently_due == []
    assert after.charges_enabled and after.payouts_enabled
    assert after.future_requirements.eventually_due == [f"{person.id}.id_number"]


@pytest.mark.parametrize(
    "controller, message, param",
    [
        (
            {**PLATFORM_COLLECTED, "losses": {"payments": "stripe"}},
            "When requirement_collection=application, your platform must be liable",
            "controller[losses][payments]",
        ),
        (
            {**PLATFORM_COLLECTED, "stripe_dashboard": {"type": "express"}},
            "When requirement_collection=application, the account cannot have access",
            "controller[stripe_dashboard][type]",
        ),
        (
            {**PLATFORM_COLLECTED, "requirement_collection": "stripe"},
            "When stripe_dashboard[type]=none and requirement_collection=stripe, Stripe must be liable for "
            "negative balances or refunds and chargebacks.",
            "controller[losses][payments]",
        ),
        (
            {"fees": {"payer": "account"}, "stripe_dashboard": {"type": "express"},
             "losses": {"payments": "application"}},
            "When fees[payer]=account",
            "controller[fees][payer]",
        ),
    ],
)
def test_impossible_controller_combinations_are_refused(stripe_client, controller, message, param):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.create(params={"country": "US", "controller": controller})
    assert raised.value.http_status == 400
    assert raised.value.user_message.startswith(message)
    assert raised.value.param == param
    assert stripe_client.v1.accounts.list().data == []


def test_legacy_types_map_to_controller_properties(stripe_client):
    custom = stripe_client.v1.accounts.create(params={"type": "custom", "country": "US", "capabilities": CAPABILITIES})
    assert (custom.controller.requirement_collection, custom.controller.stripe_dashboard.type) == (
        "application", "none")
    express = stripe_client.v1.accounts.create(params={"type": "express", "country": "US"})
    assert (express.type, express.controller.losses.payments) == ("express", "application")
    assert express.settings.payouts.debit_negative_balances is True


@pytest.mark.parametrize(
    "acceptance, param",
    [
        ({"date": int(time.time()) + 3600, "ip": "203.0.113.7"}, "tos_acceptance[date]"),
        ({"date": 1199145600, "ip": "203.0.113.7"}, "tos_acceptance[date]"),  # 2008
        ({"date": int(time.time()) - 5, "ip": "not-an-ip"}, "tos_acceptance[ip]"),
    ],
)
def test_tos_acceptance_is_validated(stripe_client, acceptance, param):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        individual_account(stripe_client, tos_acceptance=acceptance)
    assert raised.value.param == param


def test_tos_cannot_be_accepted_for_stripe_collected_accounts(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.create(params={"type": "express", "country": "US", "tos_acceptance": tos()})
    assert "on behalf of Standard and Express" in raised.value.user_message


def test_country_and_service_agreement_cannot_change(stripe_client):
    account = individual_account(stripe_client)
    assert account.tos_acceptance.service_agreement == "full"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.raw_request("post", f"/v1/accounts/{account.id}", country="GB")
    assert raised.value.code == "parameter_unknown" and raised.value.param == "country"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.update(account.id, params={"tos_acceptance": {"service_agreement": "recipient"}})
    assert raised.value.param == "tos_acceptance[service_agreement]"
    assert stripe_client.v1.accounts.retrieve(account.id).country == "US"


def test_update_emits_one_account_updated_with_previous_attributes(stripe_client):
    account = individual_account(stripe_client, metadata={"seller": "42", "plan": "basic"})
    stripe_client.v1.accounts.retrieve(account.id)
    updated = stripe_client.v1.accounts.update(account.id, params={
        "business_profile": {"name": "Jane's Jams", "support_phone": "0000000000"},
        "metadata": {"plan": "", "tier": "gold"},
    })
    assert updated.metadata.to_dict() == {"seller": "42", "tier": "gold"}
    assert updated.business_profile.name == "Jane's Jams"
    assert updated.business_profile.support_phone == "+10000000000"
    assert updated.settings.payments.statement_descriptor == "JANE'S JAMS".replace("'", "")
    last = events(stripe_client, account.id, "account.updated")[0]
    previous = last.data.previous_attributes.to_dict()
    assert previous["business_profile"] == {"name": None, "support_phone": None}
    assert previous["metadata"] == {"plan": "basic", "tier": None}
    assert previous["settings"]["payments"]["statement_descriptor"] == "ACCESSIBLE.STRIPE.COM"
    assert "charges_enabled" not in previous


def test_payout_schedule_rules(stripe_client):
    account = individual_account(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.update(account.id, params={
            "settings": {"payouts": {"schedule": {"interval": "weekly"}}}})
    assert raised.value.param == "settings[payouts][schedule][weekly_anchor]"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.accounts.update(account.id, params={"settings": {"payouts": {"schedule": {"delay_days": 1}}}})
    weekly = stripe_client.v1.accounts.update(account.id, params={
        "settings": {"payouts": {"schedule": {"interval": "weekly", "weekly_anchor": "friday", "delay_days": 7}}}})
    assert weekly.settings.payouts.schedule.to_dict() == {
        "delay_days": 7, "interval": "weekly", "weekly_anchor": "friday"}
    paused = stripe_client.v1.accounts.update(account.id, params={
        "settings": {"payouts": {"schedule": {"interval": "manual"}, "debit_negative_balances": True}}})
    assert paused.settings.payouts.schedule.to_dict() == {"delay_days": 7, "interval": "manual"}
    assert paused.settings.payouts.debit_negative_balances is True


def test_list_retrieve_and_delete(stripe_client):
    first = individual_account(stripe_client)
    second = company_account(stripe_client)
    page = stripe_client.v1.accounts.list(params={"limit": 1})
    assert [a.id for a in page.data] == [second.id] and page.has_more
    rest = stripe_client.v1.accounts.list(params={"starting_after": second.id})
    assert [a.id for a in rest.data] == [first.id]
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.retrieve("acct_doesnotexist00")
    assert (raised.value.http_status, raised.value.code, raised.value.param) == (404, "resource_missing", "id")
    deleted = stripe_client.v1.accounts.delete(first.id)
    assert (deleted.id, deleted.deleted) == (first.id, True)
    assert_stripe_shape(deleted.to_dict(), "deleted_account")
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.accounts.retrieve(first.id)
    assert [a.id for a in stripe_client.v1.accounts.list().data] == [second.id]


def test_reject_and_unreject(stripe_client):
    account = individual_account(stripe_client)
    assert stripe_client.v1.accounts.retrieve(account.id).charges_enabled
    rejected = stripe_client.v1.accounts.reject(account.id, params={"reason": "fraud_other"})
    assert rejected.requirements.disabled_reason == "rejected.platform_fraud"
    assert (rejected.charges_enabled, rejected.payouts_enabled) == (False, False)
    assert rejected.capabilities.to_dict() == {"card_payments": "inactive", "transfers": "inactive"}
    restored = stripe_client.v1.accounts.unreject(account.id)
    assert restored.charges_enabled and restored.payouts_enabled
    keep_payouts = stripe_client.v1.accounts.reject(account.id, params={"reason": "terms_of_service",
                                                                         "payouts_action": "none"})
    assert keep_payouts.requirements.disabled_reason == "rejected.platform_terms_of_service"
    assert keep_payouts.payouts_enabled is True and keep_payouts.charges_enabled is False


def test_reject_needs_platform_liability(stripe_client):
    standard = stripe_client.v1.accounts.create(params={"type": "standard", "country": "US"})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.reject(standard.id, params={"reason": "other"})
    assert "liable for negative account balances" in raised.value.user_message


def test_the_platform_account_and_acting_as_a_connected_account(stripe_client):
    platform = stripe_client.v1.accounts.retrieve_current()
    assert platform.charges_enabled and platform.type == "standard"
    assert stripe_client.v1.accounts.retrieve(platform.id).id == platform.id
    assert_stripe_shape(platform.to_dict())
    account = individual_account(stripe_client)
    assert stripe_client.v1.accounts.retrieve_current(options={"stripe_account": account.id}).id == account.id
    assert platform.id not in [a.id for a in stripe_client.v1.accounts.list().data]


def test_capabilities_request_and_unrequest(stripe_client):
    account = individual_account(stripe_client)
    stripe_client.v1.accounts.retrieve(account.id)
    caps = stripe_client.v1.accounts.capabilities.list(account.id)
    assert [cap.id for cap in caps.data] == ["card_payments", "transfers"]
    card = stripe_client.v1.accounts.capabilities.retrieve(account.id, "card_payments")
    assert (card.status, card.requested, card.account) == ("active", True, account.id)
    assert_stripe_shape(card.to_dict())
    dropped = stripe_client.v1.accounts.capabilities.update(account.id, "card_payments", params={"requested": False})
    assert (dropped.status, dropped.requested) == ("unrequested", False)
    after = stripe_client.v1.accounts.retrieve(account.id)
    assert after.capabilities.to_dict() == {"transfers": "active"}
    event = events(stripe_client, account.id, "capability.updated")[0]
    assert event.data.object.id == "card_payments"
    assert event.data.previous_attributes["requested"] is True
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.capabilities.retrieve(account.id, "teleportation")
    assert raised.value.http_status == 404
    again = stripe_client.v1.accounts.capabilities.update(account.id, "card_payments", params={"requested": True})
    assert again.requested and again.status == "active"


def test_added_requirement_with_a_deadline_becomes_past_due_when_the_clock_passes_it(stripe_client, sandbox):
    account = individual_account(stripe_client)
    stripe_client.v1.accounts.retrieve(account.id)
    deadline = sandbox.now() + 3600
    added = call_helper(stripe_client, "post", f"/v1/test_helpers/accounts/{account.id}/requirements",
                        field="individual.verification.document", deadline=deadline)
    assert added["requirements"]["currently_due"] == ["individual.verification.document"]
    assert added["requirements"]["past_due"] == []
    assert added["requirements"]["current_deadline"] == deadline
    assert added["charges_enabled"] is True
    call_helper(stripe_client, "post", "/v1/test_helpers/sandbox/advance_clock", seconds=3601)
    overdue = stripe_client.v1.accounts.retrieve(account.id)
    assert overdue.requirements.past_due == ["individual.verification.document"]
    assert overdue.requirements.disabled_reason == "requirements.past_due"
    assert overdue.charges_enabled is False
    last = events(stripe_client, account.id, "account.updated")[0]
    assert last.data.previous_attributes["requirements"]["past_due"] == []
    # Sending a document answers it.
    answered = stripe_client.v1.accounts.update(account.id, params={
        "individual": {"verification": {"document": {"front": "file_identity_document_success"}}}})
    assert "individual.verification.document" not in answered.requirements.past_due


def test_interventions_wait_for_a_hosted_flow(stripe_client):
    account = individual_account(stripe_client)
    after = call_helper(stripe_client, "post", f"/v1/test_helpers/accounts/{account.id}/interventions",
                        past_due=True)
    [key] = after["requirements"]["past_due"]
    assert key.startswith("interv_") and key.endswith(".risk_review.form")
    assert after["charges_enabled"] is False
    intervention = key.split(".")[0]
    resolved = call_helper(stripe_client, "post",
                           f"/v1/test_helpers/accounts/{account.id}/interventions/{intervention}/resolve")
    assert key not in resolved["requirements"]["currently_due"]


def test_country_specs(stripe_client):
    us = stripe_client.v1.country_specs.retrieve("US")
    assert_stripe_shape(us.to_dict())
    for code in ("GB", "CA", "DE", "AU", "CH", "NZ", "SG", "JP"):
        assert_stripe_shape(stripe_client.v1.country_specs.retrieve(code).to_dict())
    assert "individual.ssn_last_4" in us.verification_fields.individual.minimum
    assert "individual.id_number" in stripe_client.v1.country_specs.retrieve("CA").verification_fields.individual.minimum
    assert stripe_client.v1.country_specs.retrieve("DE").default_currency == "eur"
    assert [spec.id for spec in stripe_client.v1.country_specs.list(params={"limit": 100}).data] == [
        "AT", "AU", "BE", "CA", "CH", "DE", "ES", "FR", "GB", "IE", "IT", "JP", "NL", "NZ", "SG", "US"]
    singapore = stripe_client.v1.country_specs.retrieve("SG")
    assert "individual.id_number" in singapore.verification_fields.individual.minimum
    assert "individual.address.city" not in singapore.verification_fields.individual.minimum
    assert stripe_client.v1.country_specs.retrieve("CH").supported_bank_account_currencies["chf"] == ["CH"]
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.country_specs.retrieve("ZZ")


def test_a_gb_account_follows_its_own_table(stripe_client):
    gb_address = {"line1": "address_no_match", "city": "London", "postal_code": "EC1A 1BB"}
    account = stripe_client.v1.accounts.create(params={
        "country": "GB", "email": "seller@example.co.uk", "business_type": "individual",
        "controller": PLATFORM_COLLECTED, "capabilities": CAPABILITIES,
        "business_profile": {"url": "https://accessible.stripe.com", "mcc": "5734"},
        "individual": {"first_name": "Jane", "last_name": "Doe", "email": "jane@example.co.uk",
                       "phone": "07700900000", "dob": {"day": 1, "month": 1, "year": 1901}, "address": gb_address},
        "tos_acceptance": tos(),
        "external_account": {"object": "bank_account", "country": "GB", "currency": "gbp",
                             "routing_number": "108800", "account_number": "00012345"},
    })
    assert account.default_currency == "gbp"
    assert account.individual.phone == "+447700900000"
    assert account.requirements.pending_verification == sorted([
        "individual.address.city", "individual.address.line1", "individual.address.postal_code",
        "individual.verification.document"])
    later = stripe_client.v1.accounts.retrieve(account.id)
    # Outside the US an unverified address asks for a proof of address.
    assert later.requirements.currently_due == ["individual.verification.additional_document"]
    assert later.requirements.errors[0].code == "verification_failed_address_match"
    assert later.individual.verification.status == "verified"


def test_a_new_tax_id_asks_for_the_terms_again(stripe_client):
    account = company_account(stripe_client)
    changed = stripe_client.v1.accounts.update(account.id, params={"company": {"tax_id": "000000001"}})
    assert "tos_acceptance.date" in changed.requirements.currently_due
    codes = {e.requirement: e.code for e in changed.requirements.errors}
    assert codes["tos_acceptance.date"] == "invalid_tos_acceptance"
    accepted = stripe_client.v1.accounts.update(account.id, params={"tos_acceptance": tos()})
    assert "tos_acceptance.date" not in accepted.requirements.currently_due


def test_trigger_next_requirements_makes_eventually_due_fields_currently_due(stripe_client, sandbox):
    account = individual_account(stripe_client, individual=identity(id_number=None, ssn_last_4="0000"))
    assert stripe_client.v1.accounts.retrieve(account.id).future_requirements.eventually_due == ["individual.id_number"]
    with sandbox.store.transaction():
        requirements.trigger_next_requirements(sandbox, account.id)
    triggered = stripe_client.v1.accounts.retrieve(account.id)
    assert triggered.requirements.currently_due == ["individual.id_number"]
    answered = stripe_client.v1.accounts.update(account.id, params={"individual": {"id_number": "000000000"}})
    assert answered.requirements.currently_due == []
    assert answered.future_requirements.eventually_due == []


def test_step_by_step_onboarding_as_the_portal_does_it(stripe_client):
    """Create bare, then send business, identity, bank and terms one form at a time."""
    account = stripe_client.v1.accounts.create(params={
        "country": "US", "email": "seller@example.com", "controller": PLATFORM_COLLECTED,
        "capabilities": CAPABILITIES})
    assert "business_type" in account.requirements.currently_due
    assert account.requirements.alternatives[0].original_fields_due == ["business_profile.url"]
    steps = [
        {"business_type": "company", "business_profile": {"url": "https://accessible.stripe.com", "mcc": "5734"}},
        {"company": {"name": "Acme Widgets", "phone": "0000000000", "tax_id": "000000000",
                     "address": {"line1": "address_full_match", "city": "Austin", "state": "TX",
                                 "postal_code": "78701"}}},
        {"external_account": "btok_us_verified"},
        {"tos_acceptance": tos()},
    ]
    for step in steps:
        account = stripe_client.v1.accounts.update(account.id, params=step)
    left = [key for key in account.requirements.currently_due if not key.startswith(("owners.", "representative."))]
    assert left == ["company.owners_provided"]
    stripe_client.v1.accounts.persons.create(account.id, params={
        "first_name": "Jane", "last_name": "Doe", "email": "jane@acme.example", "phone": "0000000000",
        "dob": {"day": 1, "month": 1, "year": 1901}, "ssn_last_4": "0000",
        "address": {"line1": "address_full_match", "city": "Austin", "state": "TX", "postal_code": "78701"},
        "relationship": {"representative": True, "executive": True, "title": "CEO"}})
    account = stripe_client.v1.accounts.update(account.id, params={"company": {"owners_provided": True}})
    assert account.requirements.currently_due == []
    assert account.details_submitted is True
    done = stripe_client.v1.accounts.retrieve(account.id)
    assert done.charges_enabled and done.payouts_enabled
    assert done.requirements.disabled_reason is None


def test_accounts_list_filters_on_created(stripe_client):
    # What the portal searches by to find an account whose creation answer was lost.
    first = stripe_client.v1.accounts.create(params={"country": "US"})
    call_helper(stripe_client, "post", "/v1/test_helpers/sandbox/advance_clock", seconds=100)
    second = stripe_client.v1.accounts.create(params={"country": "US"})

    def listed(created) -> list[str]:
        return [a.id for a in stripe_client.v1.accounts.list(params={"created": created}).data]

    assert listed({"gte": second.created}) == [second.id]
    assert listed({"lt": second.created}) == [first.id]
    assert listed({"gte": first.created, "lte": second.created}) == [second.id, first.id]
    assert listed(first.created) == [first.id]
