"""Accounts v2 in the sandbox, driven through the SDK's `client.v2.core.*` services: one store,
two views (an account made through v2 is a v1 account too), v2's errors, idempotency and paging,
and thin events to an event destination, verified with `parse_event_notification`."""

import time

import pytest
import stripe

from tests.sandbox.test_webhooks import Receiver

INCLUDE = ["configuration.merchant", "defaults", "identity", "requirements", "future_requirements"]


def merchant(**identity) -> dict:
    return {
        "contact_email": "jenny@example.com", "display_name": "Jenny's Jams", "dashboard": "none",
        "identity": {"country": "us", "entity_type": "individual", **identity},
        "configuration": {"merchant": {"capabilities": {"card_payments": {"requested": True}}, "mcc": "5734"}},
        "defaults": {"currency": "usd", "responsibilities": {"fees_collector": "application",
                                                             "losses_collector": "application"}},
        "metadata": {"seller_id": "7"}, "include": INCLUDE,
    }


INDIVIDUAL = {"individual": {"given_name": "Jenny", "surname": "Rosen", "email": "jenny@example.com",
                             "date_of_birth": {"day": 1, "month": 1, "year": 1901},
                             "address": {"line1": "address_full_match", "city": "San Francisco", "state": "CA",
                                         "postal_code": "94111", "country": "us"},
                             "phone": "+14155550123", "id_numbers": [{"type": "us_ssn_last_4", "value": "0000"}]}}


@pytest.fixture
def receiver():
    served = Receiver()
    yield served
    served.close()


def test_create_retrieve_update_in_v2_shapes(stripe_client):
    account = stripe_client.v2.core.accounts.create(merchant())
    assert isinstance(account, stripe.v2.core.Account) and account.object == "v2.core.account"
    assert account.id.startswith("acct_") and account.dashboard == "none"
    assert account.applied_configurations == ["merchant"]
    responsibilities = account.defaults.responsibilities
    assert (responsibilities.fees_collector, responsibilities.losses_collector,
            responsibilities.requirements_collector) == ("application", "application", "application")
    assert account.identity.country == "US" and account.created.endswith("Z")
    due = {entry.description for entry in account.requirements.entries
           if entry.minimum_deadline.status in ("currently_due", "past_due")}
    assert "identity.individual.given_name" in due and "identity.attestations.terms_of_service.account.date" in due
    plain = stripe_client.v2.core.accounts.retrieve(account.id)
    assert plain.requirements is None and plain.identity is None  # sections only when included

    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 5))
    updated = stripe_client.v2.core.accounts.update(account.id, {
        "identity": {**INDIVIDUAL, "attestations": {"terms_of_service": {"account": {"date": now, "ip": "8.8.8.8"}}}},
        "include": ["identity", "requirements"],
    })
    assert updated.identity.individual.given_name == "Jenny"
    assert updated.identity.attestations.terms_of_service.account.ip == "8.8.8.8"
    left = {entry.description for entry in updated.requirements.entries if entry.awaiting_action_from == "user"}
    assert "identity.individual.given_name" not in left


def test_an_account_made_through_v2_is_a_v1_account_usable_for_money(stripe_client):
    account = stripe_client.v2.core.accounts.create(merchant(**INDIVIDUAL))
    v1 = stripe_client.v1.accounts.retrieve(account.id)
    assert v1.object == "account" and v1.country == "US" and v1.business_type == "individual"
    assert v1.controller.requirement_collection == "application" and v1.controller.stripe_dashboard.type == "none"
    assert v1.controller.losses.payments == "application" and v1.controller.fees.payer == "application"
    assert set(v1.capabilities.to_dict()) == {"card_payments", "transfers"}
    assert v1.metadata["seller_id"] == "7" and v1.individual.first_name == "Jenny"
    session = stripe_client.v1.account_sessions.create({"account": account.id,
                                                        "components": {"payouts": {"enabled": True}}})
    assert session.client_secret
    balance = stripe_client.v1.balance.retrieve(options={"stripe_account": account.id})
    assert balance.object == "balance"
    with pytest.raises(stripe.InvalidRequestError):  # nothing to pay out yet: v1's own rule, for a v2 account
        stripe_client.v1.payouts.create({"amount": 100, "currency": "usd"}, options={"stripe_account": account.id})


def test_persons_through_v2(stripe_client):
    account = stripe_client.v2.core.accounts.create(merchant(entity_type="company",
                                                             business_details={"registered_name": "Jams Ltd"}))
    person = stripe_client.v2.core.accounts.persons.create(account.id, {
        "given_name": "Ann", "surname": "Owner", "relationship": {"owner": True, "percent_ownership": "60",
                                                                  "representative": True, "title": "CEO"}})
    assert person.object == "v2.core.account_person" and person.account == account.id
    stripe_client.v2.core.accounts.persons.update(account.id, person.id, {"email": "ann@example.com"})
    listed = stripe_client.v2.core.accounts.persons.list(account.id, {"limit": 1})
    assert [p.id for p in listed.data] == [person.id] and listed.next_page_url is None
    entries = stripe_client.v2.core.accounts.retrieve(account.id, {"include": ["requirements"]}).requirements.entries
    person_entries = [e for e in entries if e.reference and e.reference.type == "person"]
    assert person_entries and all(e.reference.resource == person.id for e in person_entries)
    deleted = stripe_client.v2.core.accounts.persons.delete(account.id, person.id)
    assert deleted.deleted and deleted.id == person.id


def test_v2_paging_errors_and_idempotency(stripe_client):
    made = [stripe_client.v2.core.accounts.create(merchant()) for _ in range(3)]
    page = stripe_client.v2.core.accounts.list({"limit": 2})
    assert len(page.data) == 2 and page.next_page_url.startswith("/v2/core/accounts?")
    everything = [account.id for account in page.auto_paging_iter()]
    assert sorted(everything) == sorted(a.id for a in made)

    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v2.core.accounts.create({**merchant(), "defaults": {"currency": "usd", "responsibilities": {
            "fees_collector": "stripe", "losses_collector": "application"}}})
    assert refused.value.http_status == 400 and refused.value.code
    assert refused.value.json_body["error"].keys() >= {"type", "code", "message"}
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v2.core.accounts.retrieve("acct_nope")

    first = stripe_client.v2.core.accounts.create(merchant(), {"idempotency_key": "v2-key-1"})
    again = stripe_client.v2.core.accounts.create(merchant(), {"idempotency_key": "v2-key-1"})
    assert again.id == first.id
    with pytest.raises(stripe.IdempotencyError):
        stripe_client.v2.core.accounts.create({**merchant(), "display_name": "Other"}, {"idempotency_key": "v2-key-1"})


def test_account_links_v2(stripe_client):
    account = stripe_client.v2.core.accounts.create(merchant())
    link = stripe_client.v2.core.account_links.create({"account": account.id, "use_case": {
        "type": "account_update", "account_update": {"refresh_url": "https://portal.example/r",
                                                      "return_url": "https://portal.example/back"}}})
    assert link.object == "v2.core.account_link" and link.url and link.expires_at > link.created


def test_thin_events_reach_an_event_destination_and_parse(sandbox, stripe_client, receiver):
    destination = stripe_client.v2.core.event_destinations.create({
        "name": "portal", "type": "webhook_endpoint", "event_payload": "thin", "events_from": ["@accounts"],
        "enabled_events": ["v2.core.account.created", "v2.core.account.updated",
                           "v2.core.account[requirements].updated"],
        "webhook_endpoint": {"url": receiver.url + "/thin"}, "include": ["webhook_endpoint.signing_secret"]})
    secret = destination.webhook_endpoint.signing_secret
    assert secret.startswith("whsec_")
    account = stripe_client.v2.core.accounts.create(merchant())
    stripe_client.v2.core.accounts.update(account.id, {"identity": INDIVIDUAL})
    deliveries = receiver.wait_for(3, path="/thin")
    notifications = [stripe_client.parse_event_notification(d["body"], d["headers"]["Stripe-Signature"], secret)
                     for d in deliveries]
    types = [n.type for n in notifications]
    assert types[0] == "v2.core.account.created" and "v2.core.account[requirements].updated" in types
    notification = notifications[-1]
    assert notification.related_object.id == account.id
    fetched = notification.fetch_related_object()
    assert fetched.id == account.id and fetched.object == "v2.core.account"
    event = notification.fetch_event()
    assert event.id == notification.id and event.object == "v2.core.event"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe_client.parse_event_notification(deliveries[0]["body"], deliveries[0]["headers"]["Stripe-Signature"],
                                               "whsec_wrong")
