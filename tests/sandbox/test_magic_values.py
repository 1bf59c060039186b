"""Every test-mode magic value of reference C10 that concerns accounts, persons, banks and
documents, with the outcome docs.stripe.com/connect/testing documents, through the SDK.

Asynchronous values show up in `pending_verification` in the create response and resolve on
the next request (the tests run with verification_delay=0); the values Stripe documents as
immediate are already resolved in the create response. Payment, dispute and payout outcomes
are H3's tests; file uploads are H4's.
"""

import pytest
import stripe

from portal.sandbox import external_accounts
from tests.sandbox.onboarding import ADDRESS, ADDRESS_KEYS, company_account, identity, individual_account
from tests.sandbox.shapes import assert_stripe_shape

INDIVIDUAL_ADDRESS = ["individual." + key for key in ADDRESS_KEYS]


def errors_of(account) -> dict:
    return {error.requirement: error.code for error in account.requirements.errors}


# Dates of birth


def test_dob_1901_01_01_verifies_after_a_delay(stripe_client):
    account = individual_account(stripe_client, individual=identity(dob={"day": 1, "month": 1, "year": 1901}))
    assert "individual.verification.document" in account.requirements.pending_verification
    assert account.individual.verification.status == "pending"
    later = stripe_client.v1.accounts.retrieve(account.id)
    assert later.individual.verification.status == "verified"
    assert later.charges_enabled and later.payouts_enabled


def test_dob_1902_01_01_verifies_in_the_response_itself(stripe_client):
    account = individual_account(stripe_client, individual=identity(dob={"day": 1, "month": 1, "year": 1902}))
    assert account.individual.verification.status == "verified"
    assert "individual.id_number" not in account.requirements.pending_verification
    assert "individual.verification.document" not in account.requirements.pending_verification
    # The address is still checked asynchronously.
    assert set(INDIVIDUAL_ADDRESS) <= set(account.requirements.pending_verification)


def test_dob_1900_01_01_raises_an_ofac_alert(stripe_client):
    account = individual_account(stripe_client, individual=identity(dob={"day": 1, "month": 1, "year": 1900}))
    assert account.requirements.disabled_reason == "requirements.pending_verification"
    later = stripe_client.v1.accounts.retrieve(account.id)
    assert later.requirements.disabled_reason == "listed"
    assert not later.charges_enabled and not later.payouts_enabled


def test_any_other_dob_fails_and_asks_for_a_document(stripe_client):
    account = individual_account(stripe_client, individual=identity(dob={"day": 17, "month": 5, "year": 1990}))
    later = stripe_client.v1.accounts.retrieve(account.id)
    assert later.requirements.currently_due == ["individual.verification.document"]
    assert errors_of(later) == {"individual.verification.document": "verification_failed_keyed_identity"}
    assert later.individual.verification.status == "unverified"
    assert not later.charges_enabled


# Addresses (line1 tokens)


@pytest.mark.parametrize(
    "line1, due, charges, payouts",
    [
        ("address_full_match", [], True, True),
        ("address_no_match", ["individual.address.line1"], True, False),
        ("address_line1_no_match", INDIVIDUAL_ADDRESS, False, False),
    ],
)
def test_address_tokens(stripe_client, line1, due, charges, payouts):
    account = individual_account(stripe_client, individual=identity(address={**ADDRESS, "line1": line1}))
    assert set(INDIVIDUAL_ADDRESS) <= set(account.requirements.pending_verification)
    later = stripe_client.v1.accounts.retrieve(account.id)
    assert later.requirements.currently_due == due
    assert set(errors_of(later).values()) <= {"verification_failed_address_match"}
    assert (later.charges_enabled, later.payouts_enabled) == (charges, payouts)


@pytest.mark.parametrize(
    "line1, due",
    [
        ("address_full_match", []),
        ("address_no_match", ["company.address.line1"]),
        ("address_line1_no_match", ["company." + key for key in ADDRESS_KEYS]),
    ],
)
def test_business_address_tokens(stripe_client, line1, due):
    account = company_account(stripe_client, address={**ADDRESS, "line1": line1})
    later = stripe_client.v1.accounts.retrieve(account.id)
    company_due = [key for key in later.requirements.currently_due if key.startswith("company.address")]
    assert company_due == due
    assert all(later_error.code == "verification_failed_address_match"
               for later_error in later.requirements.errors if later_error.requirement.startswith("company.address"))


def test_an_address_can_only_move_to_a_more_permissive_token(stripe_client):
    strict_address = {**ADDRESS, "line1": "address_line1_no_match"}
    strict = individual_account(stripe_client, individual=identity(address=strict_address))
    stripe_client.v1.accounts.retrieve(strict.id)
    stripe_client.v1.accounts.update(strict.id, params={"individual": {"address": {"line1": "address_full_match"}}})
    assert stripe_client.v1.accounts.retrieve(strict.id).payouts_enabled

    loose = individual_account(stripe_client)
    stripe_client.v1.accounts.retrieve(loose.id)
    stripe_client.v1.accounts.update(loose.id, params={"individual": {"address": {"line1": "address_line1_no_match"}}})
    still = stripe_client.v1.accounts.retrieve(loose.id)
    assert still.charges_enabled and still.payouts_enabled
    assert still.requirements.currently_due == []


# Personal id numbers


def test_id_number_000000000_verifies_after_a_delay(stripe_client):
    account = individual_account(stripe_client, individual=identity(id_number="000000000"))
    assert "individual.id_number" in account.requirements.pending_verification
    assert stripe_client.v1.accounts.retrieve(account.id).individual.verification.status == "verified"


def test_id_number_111111111_is_an_identity_mismatch(stripe_client):
    account = individual_account(stripe_client, individual=identity(id_number="111111111"))
    later = stripe_client.v1.accounts.retrieve(account.id)
    assert errors_of(later) == {"individual.verification.document": "verification_failed_keyed_identity"}
    assert later.individual.verification.status == "unverified"


def test_id_number_222222222_verifies_in_the_response(stripe_client):
    account = individual_account(stripe_client, individual=identity(id_number="222222222"))
    assert account.individual.verification.status == "verified"
    assert "individual.id_number" not in account.requirements.pending_verification


def test_ssn_last_4_0000_verifies_and_leaves_the_full_number_for_later(stripe_client):
    account = individual_account(stripe_client, individual=identity(id_number=None, ssn_last_4="0000"))
    assert "individual.id_number" in account.requirements.pending_verification
    later = stripe_client.v1.accounts.retrieve(account.id)
    assert later.individual.verification.status == "verified"
    assert later.individual.ssn_last_4_provided and not later.individual.id_number_provided
    assert later.future_requirements.eventually_due == ["individual.id_number"]
    assert later.charges_enabled


# Identity documents (test file tokens; images override id numbers)


def test_document_success_overrides_a_failing_id_number(stripe_client):
    individual = identity(id_number="111111111",
                          verification={"document": {"front": "file_identity_document_success"}})
    account = individual_account(stripe_client, individual=individual)
    assert account.requirements.pending_verification.count("individual.verification.document") == 1
    later = stripe_client.v1.accounts.retrieve(account.id)
    assert later.individual.verification.status == "verified"
    assert later.requirements.errors == []


def test_document_failure_fails_regardless_of_other_values(stripe_client):
    individual = identity(verification={"document": {"front": "file_identity_document_failure"}})
    account = individual_account(stripe_client, individual=individual)
    later = stripe_client.v1.accounts.retrieve(account.id)
    assert errors_of(later) == {"individual.verification.document": "verification_document_failed_test_mode"}
    assert later.individual.verification.document.details_code == "document_failed_test_mode"
    assert later.individual.verification.status == "unverified"


# Phone


def test_phone_0000000000_is_stored_in_e164_and_satisfies_the_requirement(stripe_client):
    account = individual_account(stripe_client, individual=identity(phone="0000000000"))
    assert account.individual.phone == "+10000000000"
    assert "individual.phone" not in account.requirements.currently_due


# Business tax ids


@pytest.mark.parametrize(
    "tax_id, error",
    [
        ("000000000", None),
        ("000000001", None),
        ("111111111", "verification_failed_tax_id_match"),
        ("111111112", "verification_failed_tax_id_not_issued"),
    ],
)
def test_company_tax_ids(stripe_client, tax_id, error):
    account = company_account(stripe_client, tax_id=tax_id)
    assert "company.tax_id" in account.requirements.pending_verification
    later = stripe_client.v1.accounts.retrieve(account.id)
    assert "company.tax_id" not in later.requirements.pending_verification
    assert errors_of(later).get("company.tax_id") == error
    assert ("company.tax_id" in later.requirements.currently_due) == (error is not None)


def test_a_company_document_answers_a_tax_id_stripe_could_not_verify(stripe_client):
    account = company_account(stripe_client, tax_id="111111111")
    failed = stripe_client.v1.accounts.retrieve(account.id)
    [alternative] = [a for a in failed.requirements.alternatives if a.original_fields_due == ["company.tax_id"]]
    assert alternative.alternative_fields_due == ["company.verification.document"]
    stripe_client.v1.accounts.update(account.id, params={
        "company": {"verification": {"document": {"front": "file_identity_document_success"}}}})
    settled = stripe_client.v1.accounts.retrieve(account.id)
    assert "company.tax_id" not in settled.requirements.currently_due
    assert settled.requirements.errors == []


def test_company_tax_id_222222222_verifies_in_the_response(stripe_client):
    account = company_account(stripe_client, tax_id="222222222")
    assert "company.tax_id" not in account.requirements.pending_verification
    assert "company.tax_id" not in account.requirements.currently_due


# Business names, directors, descriptors, URLs, DBA, product descriptions


@pytest.mark.parametrize(
    "name, error",
    [
        ("mismatch_business_name", "verification_failed_name_match"),
        ("disallowed_name", "invalid_company_name_denylisted"),
        ("match_name_relationships", None),
        ("match_name_only", "verification_failed_name_match"),
    ],
)
def test_company_names(stripe_client, name, error):
    account = company_account(stripe_client, name=name)
    later = stripe_client.v1.accounts.retrieve(account.id)
    assert errors_of(later).get("company.name") == error


@pytest.mark.parametrize(
    "first_name, error",
    [
        ("mismatch_director", "verification_directors_mismatch"),
        ("missing_director", "verification_missing_directors"),
        ("extraneous_director", "verification_extraneous_directors"),
    ],
)
def test_director_names(stripe_client, first_name, error):
    account = company_account(stripe_client)
    stripe_client.v1.accounts.persons.create(account.id, params={
        "first_name": first_name, "last_name": "Director", "relationship": {"director": True}})
    later = stripe_client.v1.accounts.retrieve(account.id)
    assert errors_of(later).get("company.directors_provided") == error


@pytest.mark.parametrize(
    "setting, value, requirement, error",
    [
        ("payments", "mismatch", "settings.payments.statement_descriptor",
         "invalid_statement_descriptor_business_mismatch"),
        ("payments", "disallowed", "settings.payments.statement_descriptor",
         "invalid_statement_descriptor_denylisted"),
        ("card_payments", "mismatch", "settings.card_payments.statement_descriptor_prefix",
         "invalid_statement_descriptor_prefix_mismatch"),
        ("card_payments", "disallowed", "settings.card_payments.statement_descriptor_prefix",
         "invalid_statement_descriptor_prefix_denylisted"),
    ],
)
def test_statement_descriptor_tokens(stripe_client, setting, value, requirement, error):
    field = "statement_descriptor" if setting == "payments" else "statement_descriptor_prefix"
    account = individual_account(stripe_client, settings={setting: {field: value}})
    later = stripe_client.v1.accounts.retrieve(account.id)
    assert errors_of(later) == {requirement: error}
    assert later.charges_enabled is False


URL_ERRORS = [
    ("https://accessible.stripe.com", None),
    ("https://disallowed.stripe.com", "invalid_url_denylisted"),
    ("https://geoblocked.stripe.com", "invalid_url_website_inaccessible_geoblocked"),
    ("https://problem.stripe.com", "invalid_url_website_other"),
    ("https://missing.stripe.com", "invalid_url_website_incomplete"),
    ("https://mismatch.stripe.com", "invalid_url_website_business_information_mismatch"),
    ("https://passwordprotected.stripe.com", "invalid_url_website_inaccessible_password_protected"),
    ("https://underconstruction.stripe.com", "invalid_url_website_incomplete_under_construction"),
    ("https://inaccessible.stripe.com", "invalid_url_website_inaccessible"),
]


@pytest.mark.parametrize("url, error", URL_ERRORS)
def test_business_urls(stripe_client, url, error):
    account = individual_account(stripe_client, business_profile={"url": url, "mcc": "5734"})
    later = stripe_client.v1.accounts.retrieve(account.id)
    assert errors_of(later).get("business_profile.url") == error
    assert later.charges_enabled is (error is None)


def test_inactivity_url_pauses_verification(stripe_client):
    account = individual_account(stripe_client, business_profile={"url": "https://inactivity.stripe.com"})
    later = stripe_client.v1.accounts.retrieve(account.id)
    assert later.capabilities.to_dict() == {"card_payments": "inactive", "transfers": "inactive"}
    card = stripe_client.v1.accounts.capabilities.retrieve(account.id, "card_payments")
    assert card.requirements.disabled_reason == "paused.inactivity"
    assert later.requirements.pending_verification  # verification is paused, not done
    resumed = stripe_client.v1.accounts.update(account.id, params={"business_profile": {"url": "https://accessible.stripe.com"}})
    assert resumed.requirements.pending_verification
    assert stripe_client.v1.accounts.retrieve(account.id).charges_enabled


@pytest.mark.parametrize(
    "field, value, requirement, error",
    [
        ("name", "disallowed_dba", "business_profile.name", "invalid_business_profile_name_denylisted"),
        ("name", "invalid_dba", "business_profile.name", "invalid_business_profile_name"),
        ("product_description", "require_url", "business_profile.url", "invalid_url_web_presence_detected"),
    ],
)
def test_business_profile_tokens(stripe_client, field, value, requirement, error):
    profile = {"url": "https://accessible.stripe.com", field: value}
    account = individual_account(stripe_client, business_profile=profile)
    later = stripe_client.v1.accounts.retrieve(account.id)
    assert errors_of(later) == {requirement: error}


# Bank accounts and debit cards


BANK_NUMBERS = [
    ("000123456789", None, True),
    ("000111111116", "no_account", True),
    ("000111111113", "account_closed", True),
    ("000222222227", "insufficient_funds", True),
    ("000333333335", "debit_not_authorized", True),
    ("000444444440", "invalid_currency", True),
    ("000888888883", None, False),
]


@pytest.mark.parametrize("number, failure, instant", BANK_NUMBERS)
def test_test_bank_account_numbers(stripe_client, sandbox, number, failure, instant):
    account = individual_account(stripe_client, external_account={
        "object": "bank_account", "country": "US", "currency": "usd",
        "routing_number": "110000000", "account_number": number})
    [bank] = account.external_accounts.data
    assert_stripe_shape(bank.to_dict())
    assert (bank.bank_name, bank.last4, bank.status, bank.default_for_currency) == (
        "STRIPE TEST BANK", number[-4:], "new", True)
    assert ("instant" in bank.available_payout_methods) is instant
    assert external_accounts.payout_failure_code(sandbox, bank.id) == failure
    assert external_accounts.instant_eligible(sandbox, bank.id) is instant


@pytest.mark.parametrize(
    "token, failure",
    [
        ("btok_us_verified", None),
        ("btok_us_verified_noAccount", "no_account"),
        ("btok_us_verified_accountClosed", "account_closed"),
        ("btok_us_verified_insufficientFunds", "insufficient_funds"),
        ("btok_us_verified_debitNotAuthorized", "debit_not_authorized"),
        ("btok_us_verified_invalidCurrency", "invalid_currency"),
    ],
)
def test_bank_tokens(stripe_client, sandbox, token, failure):
    account = individual_account(stripe_client, external_account=token)
    [bank] = account.external_accounts.data
    assert bank.bank_name == "STRIPE TEST BANK" and bank.routing_number == "110000000"
    assert external_accounts.payout_failure_code(sandbox, bank.id) == failure


def test_a_non_test_account_number_fails_the_whole_create(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        individual_account(stripe_client, external_account={
            "object": "bank_account", "country": "US", "currency": "usd",
            "routing_number": "110000000", "account_number": "123456789012"})
    error = raised.value
    assert (error.http_status, error.code) == (400, "account_number_invalid")
    assert error.param == "bank_account[account_number]"
    assert "must use a test bank account number in test mode" in error.user_message
    assert stripe_client.v1.accounts.list().data == []


def test_ownership_verification_000999999991_completes_by_itself(stripe_client):
    account = individual_account(stripe_client, external_account={
        "object": "bank_account", "country": "US", "currency": "usd",
        "routing_number": "110000000", "account_number": "000999999991"})
    assert "external_account" in account.requirements.pending_verification
    assert not account.payouts_enabled
    later = stripe_client.v1.accounts.retrieve(account.id)
    assert later.requirements.pending_verification == [] and later.payouts_enabled


def test_ownership_verification_000999999992_asks_for_documents(stripe_client):
    account = individual_account(stripe_client, external_account={
        "object": "bank_account", "country": "US", "currency": "usd",
        "routing_number": "110000000", "account_number": "000999999992"})
    later = stripe_client.v1.accounts.retrieve(account.id)
    assert later.requirements.currently_due == ["documents.bank_account_ownership_verification.files"]
    assert later.charges_enabled and not later.payouts_enabled
    stripe_client.v1.accounts.update(account.id, params={
        "documents": {"bank_account_ownership_verification": {"files": ["file_identity_document_success"]}}})
    done = stripe_client.v1.accounts.retrieve(account.id)
    assert done.requirements.currently_due == [] and done.payouts_enabled


@pytest.mark.parametrize(
    "source, failure, instant",
    [
        ({"object": "card", "number": "4000056655665556", "exp_month": 12, "exp_year": 2034}, None, True),
        ({"object": "card", "number": "4000056655665572", "exp_month": 12, "exp_year": 2034},
         "could_not_process", True),
        ({"object": "card", "number": "4000056755665555", "exp_month": 12, "exp_year": 2034}, None, False),
        ("tok_visa_debit_us_transferSuccess", None, True),
        ("tok_visa_debit_us_transferFail", "could_not_process", True),
        ("tok_visa_debit_us_instantPayoutUnsupported", None, False),
        ("tok_mastercard_debit_us_transferSuccess", None, True),
        ("tok_discover_debit_us_transferSuccess", None, True),
    ],
)
def test_debit_cards(stripe_client, sandbox, source, failure, instant):
    account = individual_account(stripe_client, external_account=source)
    [card] = account.external_accounts.data
    assert_stripe_shape(card.to_dict())
    assert card.funding == "debit" and card.default_for_currency
    assert ("instant" in card.available_payout_methods) is instant
    assert external_accounts.payout_failure_code(sandbox, card.id) == failure
