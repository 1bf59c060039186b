"""Persons through the SDK: a company's representative, owners and directors; the one person
of an individual account; their events and their own requirements."""

import pytest
import stripe

from tests.sandbox.onboarding import ADDRESS, company_account, events, identity_photo, individual_account
from tests.sandbox.shapes import assert_stripe_shape

REPRESENTATIVE = {
    "first_name": "Jane", "last_name": "Doe", "email": "jane@acme.example", "phone": "0000000000",
    "dob": {"day": 1, "month": 1, "year": 1901}, "id_number": "000000000", "address": dict(ADDRESS),
    "relationship": {"representative": True, "executive": True, "title": "CEO"},
}


def test_a_representative_turns_representative_keys_into_person_keys(stripe_client, sandbox):
    sandbox.config.verification_delay = 3600  # keep the checks pending while we look
    account = company_account(stripe_client)
    person = stripe_client.v1.accounts.persons.create(account.id, params=REPRESENTATIVE)
    assert_stripe_shape(person.to_dict())
    assert person.account == account.id
    assert person.id_number_provided is True and "id_number" not in person
    assert person.phone == "+10000000000"
    assert person.relationship.representative and person.relationship.title == "CEO"
    # The person's own requirements carry no prefix; the account's carry person_<id>.
    assert "verification.document" in person.requirements.pending_verification
    after = stripe_client.v1.accounts.retrieve(account.id)
    prefix = f"{person.id}."  # Stripe: the id, which begins person_, then the field
    assert prefix + "verification.document" in after.requirements.pending_verification
    assert not any(key.startswith("representative.") for key in after.requirements.currently_due)
    assert "owners.email" in after.requirements.currently_due  # nobody owns the company yet

    sandbox.advance_clock(3600)
    verified = stripe_client.v1.accounts.persons.retrieve(account.id, person.id)
    assert verified.verification.status == "verified" and verified.requirements.pending_verification == []
    created = events(stripe_client, account.id, "person.created")
    assert [event.data.object.id for event in created] == [person.id]
    assert created[0].account == account.id


def test_owners_provided_and_percent_ownership_settle_the_owners(stripe_client):
    account = company_account(stripe_client)
    stripe_client.v1.accounts.persons.create(account.id, params=REPRESENTATIVE)
    declared = stripe_client.v1.accounts.update(account.id, params={"company": {"owners_provided": True}})
    assert declared.company.owners_provided is True
    assert not any(key.startswith("owners.") or key == "company.owners_provided"
                   for key in declared.requirements.currently_due)
    for flag in ("directors_provided", "executives_provided"):
        updated = stripe_client.v1.accounts.update(account.id, params={"company": {flag: True}})
        assert updated.company[flag] is True


def test_one_representative_at_a_time_and_listing_by_relationship(stripe_client):
    account = company_account(stripe_client)
    first = stripe_client.v1.accounts.persons.create(account.id, params=REPRESENTATIVE)
    owner = stripe_client.v1.accounts.persons.create(account.id, params={
        "first_name": "Olga", "last_name": "Owner", "email": "olga@acme.example",
        "relationship": {"owner": True, "percent_ownership": 60}})
    assert owner.requirements.eventually_due == sorted(
        ["address.city", "address.line1", "address.postal_code", "address.state",
         "dob.day", "dob.month", "dob.year", "phone"])
    assert owner.requirements.currently_due == []
    second = stripe_client.v1.accounts.persons.create(account.id, params={
        **REPRESENTATIVE, "first_name": "Rob", "relationship": {"representative": True, "title": "COO"}})
    assert stripe_client.v1.accounts.persons.retrieve(account.id, first.id).relationship.representative is False
    representatives = stripe_client.v1.accounts.persons.list(account.id, params={
        "relationship": {"representative": True}})
    assert [p.id for p in representatives.data] == [second.id]
    owners = stripe_client.v1.accounts.persons.list(account.id, params={"relationship": {"owner": True}})
    assert [p.id for p in owners.data] == [owner.id]
    everyone = stripe_client.v1.accounts.persons.list(account.id, params={"limit": 2})
    assert [p.id for p in everyone.data] == [second.id, owner.id] and everyone.has_more


def test_update_emits_person_updated_with_previous_attributes(stripe_client):
    account = company_account(stripe_client)
    person = stripe_client.v1.accounts.persons.create(account.id, params=REPRESENTATIVE)
    stripe_client.v1.accounts.retrieve(account.id)
    updated = stripe_client.v1.accounts.persons.update(account.id, person.id, params={
        "last_name": "Roe", "metadata": {"crm": "77"}})
    assert updated.last_name == "Roe" and updated.metadata.to_dict() == {"crm": "77"}
    changes = events(stripe_client, account.id, "person.updated")
    [event] = [e for e in changes if "last_name" in e.data.previous_attributes]
    assert event.data.previous_attributes["last_name"] == "Doe"
    assert event.data.object.last_name == "Roe"


def test_delete_a_person(stripe_client):
    account = company_account(stripe_client)
    person = stripe_client.v1.accounts.persons.create(account.id, params=REPRESENTATIVE)
    deleted = stripe_client.v1.accounts.persons.delete(account.id, person.id)
    assert (deleted.id, deleted.deleted) == (person.id, True)
    assert_stripe_shape(deleted.to_dict(), "deleted_person")
    assert [e.data.object.id for e in events(stripe_client, account.id, "person.deleted")] == [person.id]
    after = stripe_client.v1.accounts.retrieve(account.id)
    assert "representative.first_name" in after.requirements.currently_due
    assert not any(key.startswith("person_") for key in after.requirements.eventually_due)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.persons.retrieve(account.id, person.id)
    assert raised.value.http_status == 404


def test_an_individual_account_has_exactly_one_person(stripe_client):
    account = individual_account(stripe_client)
    [person] = stripe_client.v1.accounts.persons.list(account.id).data
    assert person.id == account.individual.id
    assert person.relationship.representative is True
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.accounts.persons.create(account.id, params={"first_name": "Extra"})
    stripe_client.v1.accounts.persons.update(account.id, person.id, params={"first_name": "Janet"})
    assert stripe_client.v1.accounts.retrieve(account.id).individual.first_name == "Janet"
    stripe_client.v1.accounts.update(account.id, params={"individual": {"last_name": "Smith"}})
    # A new name is verified again, so a later person.updated reports the verification too.
    changes = events(stripe_client, account.id, "person.updated")
    [renamed] = [e for e in changes if "last_name" in e.data.previous_attributes]
    assert renamed.data.object.last_name == "Smith"
    assert renamed.data.previous_attributes["last_name"] == "Doe"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.accounts.persons.delete(account.id, person.id)


def test_invalid_person_input_is_refused(stripe_client):
    account = company_account(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.persons.create(account.id, params={"dob": {"day": 31, "month": 2, "year": 1980}})
    assert raised.value.param == "dob[day]"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        individual_account(stripe_client, individual={"dob": {"day": 30, "month": 2, "year": 1990}})
    assert raised.value.param == "individual[dob][day]"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.persons.create(account.id, params={"phone": "12"})
    assert raised.value.param == "phone"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.persons.create(account.id, params={"ssn": "000000000"})
    assert raised.value.code == "parameter_unknown"
    assert stripe_client.v1.accounts.persons.list(account.id).data == []


def test_us_id_numbers_must_have_the_right_number_of_digits(stripe_client):
    account = company_account(stripe_client)
    for field, value in (("id_number", "12345"), ("ssn_last_4", "12a4")):
        with pytest.raises(stripe.InvalidRequestError) as raised:
            stripe_client.v1.accounts.persons.create(account.id, params={field: value})
        assert raised.value.param == field
    ok = stripe_client.v1.accounts.persons.create(account.id, params={"id_number": "000-00-0000"})
    assert ok.id_number_provided


def test_switching_an_individual_account_to_a_company_drops_the_individual(stripe_client):
    account = individual_account(stripe_client)
    company = stripe_client.v1.accounts.update(account.id, params={
        "business_type": "company", "company": {"name": "Jane Doe LLC"}})
    assert "individual" not in company and company.company.name == "Jane Doe LLC"
    assert stripe_client.v1.accounts.persons.list(account.id).data == []
    assert "representative.first_name" in company.requirements.currently_due


def test_documents_must_name_known_files(stripe_client):
    account = company_account(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.persons.create(account.id, params={
            "verification": {"document": {"front": "file_nobody_uploaded"}}})
    assert (raised.value.code, raised.value.param) == ("resource_missing", "verification[document][front]")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        individual_account(stripe_client, individual={
            "first_name": "Jane", "verification": {"document": {"back": "file_nobody_uploaded"}}})
    assert raised.value.param == "individual[verification][document][back]"
    uploaded = stripe_client.v1.files.create(params={"purpose": "identity_document", "file": identity_photo()})
    person = stripe_client.v1.accounts.persons.create(account.id, params={
        "verification": {"document": {"front": uploaded.id}}})
    assert person.verification.document.front == uploaded.id
