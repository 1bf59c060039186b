import re
import typing

import pytest
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st

from portal import countries
from portal.onboarding import stripe_errors as se


def _literal_values(owner: type, attribute: str) -> set[str]:
    """The string values of a Literal annotation in the installed SDK."""
    hint = owner.__annotations__[attribute]  # get_type_hints would chase unrelated forward refs
    found: set[str] = set()

    def walk(t):
        if typing.get_origin(t) is typing.Literal:
            found.update(a for a in typing.get_args(t) if isinstance(a, str))
        for arg in typing.get_args(t):
            walk(arg)

    walk(hint)
    return found


REQUIREMENT_CODES = _literal_values(stripe.Account.Requirements.Error, "code")


def test_every_requirement_error_code_in_the_sdk_has_words():
    assert len(REQUIREMENT_CODES) > 90
    assert REQUIREMENT_CODES - set(se.REQUIREMENT_ERRORS) == set()


# The SDK spells out every API error code once, on the error object a terminal reader keeps.
API_CODES = _literal_values(stripe.terminal.Reader.Action.ApiError, "code")


def test_every_api_error_code_we_explain_is_a_real_one():
    assert {"routing_number_invalid", "account_number_invalid", "url_invalid", "tax_id_invalid"} <= API_CODES
    assert set(se.API_ERRORS) - API_CODES == set()


def test_explanations_are_sentences_for_people():
    for table in (se.API_ERRORS, se.REQUIREMENT_ERRORS):
        for code, explanation in table.items():
            text = str(explanation)
            assert text.endswith((".", ")")) and "_" not in text.replace("file_identity_document_success", ""), code
            assert explanation.problem and explanation.action, code


@pytest.mark.parametrize("param, field", [
    ("individual[dob][day]", "individual.dob"),
    ("individual[dob][year]", "individual.dob"),
    ("external_account[routing_number]", "external_account.routing_number"),
    ("external_account[account_number]", "external_account.account_number"),
    ("bank_account[account_number]", "external_account.account_number"),
    ("external_account", "external_account"),
    ("business_profile[url]", "business_profile.url"),
    ("business_profile[support_address][line1]", "business_profile.support_address.line1"),
    ("company[tax_id]", "company.tax_id"),
    ("company[address][postal_code]", "company.address.postal_code"),
    ("settings[payments][statement_descriptor]", "settings.payments.statement_descriptor"),
    ("individual[verification][document][front]", "individual.verification.document"),
    ("individual[full_name_aliases][0]", "individual.full_name_aliases"),
    ("individual.address.line1", "individual.address.line1"),
    ("individual.dob.month", "individual.dob"),
    ("individual.verification.additional_document", "individual.verification.additional_document"),
    ("person_abc.dob.day", "person.dob"),
    ("person_1PqRsT.address.city", "person.address.city"),
    ("person_1PqRsT.verification.document", "person.verification.document"),
    ("representative.relationship.title", "person.relationship.title"),
    ("owners.first_name", "person.first_name"),
    ("directors.last_name", "person.last_name"),
    ("tos_acceptance.date", "tos_acceptance"),
    ("tos_acceptance[ip]", "tos_acceptance"),
    ("company.owners_provided", "company.owners_provided"),
    ("interv_1AbC.restricted_or_prohibited_industry_diligence.form", "intervention"),
    ("", ""),
    ("[]", ""),
])
def test_field_for_param(param, field):
    assert se.field_for_param(param) == field


def test_persons_api_params_are_a_persons():
    assert se.field_for_param("dob[day]", resource="person") == "person.dob"
    assert se.field_for_param("relationship[percent_ownership]", resource="person") == "person.relationship.percent_ownership"
    assert se.field_for_param("email", resource="person") == "person.email"
    assert se.field_for_param("email") == "email"


def test_person_for_requirement():
    assert se.person_for_requirement("person_1PqRsT.dob.day") == "person_1PqRsT"
    assert se.person_for_requirement("representative.first_name") == "representative"
    assert se.person_for_requirement("owners.email") == "owners"
    assert se.person_for_requirement("individual.dob.day") is None
    assert se.person_for_requirement(None) is None


def test_api_error_lands_on_its_field():
    error = se.api_error("routing_number_invalid", "external_account[routing_number]")
    assert error.field == "external_account.routing_number"
    assert "routing number" in error.message
    # Without a param, the code alone says which field it is.
    assert se.api_error("account_number_invalid", None).field == "external_account.account_number"
    assert se.api_error("url_invalid", "").field == "business_profile.url"
    # A param on a Persons API call belongs to the person.
    assert se.api_error("parameter_invalid_integer", "dob[year]", resource="person").field == "person.dob"
    # A generic code, or none, on a known field says what a good value looks like.
    phone = se.api_error(None, "individual[phone]")
    assert phone == se.FieldError("individual.phone", "Enter the phone number with its area code, or in international format starting with +.")
    missing = se.api_error("parameter_missing", "company[tax_id]")
    assert missing.message == "This is required. Enter the 9-digit EIN from your IRS letter."
    assert se.api_error("parameter_invalid_empty", "metadata[x]").message == "This can't be empty. Fill it in and try again."
    # An error about nothing in particular is for the whole form.
    failure = se.api_error("lock_timeout", None)
    assert failure.field is None and "Wait a moment" in failure.message


def test_requirement_errors():
    error = se.requirement_error({"code": "invalid_dob_age_under_18", "reason": "Underage.",
                                  "requirement": "individual.dob.day"})
    assert error == se.FieldError("individual.dob",
                                  "This person must be at least 18 years old. Check the date of birth, "
                                  "or choose someone who is 18 or older.")
    mismatch = se.requirement_error({"code": "verification_failed_keyed_identity", "reason": "",
                                     "requirement": "individual.id_number"})
    assert mismatch.field == "individual.id_number" and "Social Security card" in mismatch.message
    tax = se.requirement_error({"code": "verification_failed_tax_id_match", "requirement": "company.tax_id"})
    assert tax.field == "company.tax_id" and "IRS" in tax.message
    url = se.requirement_error({"code": "invalid_url_website_inaccessible", "requirement": "business_profile.url"})
    assert url.field == "business_profile.url" and "reached" in url.message


def test_unknown_codes_fall_back_to_their_family_or_stripes_reason():
    assert se.explain("invalid_url_something_new") == se.REQUIREMENT_ERRORS["invalid_url_website_other"]
    assert se.explain("verification_document_brand_new") == se.REQUIREMENT_ERRORS["verification_document_failed_other"]
    assert str(se.explain(None)) == "Stripe couldn't accept this. Check it and try again."
    new = se.requirement_error({"code": "brand_new_code", "reason": "The sky is green.", "requirement": "company.name"})
    assert new == se.FieldError("company.name", "The sky is green.")
    supportability = se.requirement_error({"code": "verification_supportability", "requirement": "interv_1.x.form",
                                           "reason": "We can't accept payments for alcohol."})
    assert supportability.field == "intervention" and "alcohol" in supportability.message


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=60), st.from_regex(r"[a-z_]{1,12}(\[[a-z0-9_]{0,10}\]|\.[a-z0-9_]{0,10}){0,4}", fullmatch=True)),
       st.sampled_from(["account", "person"]))
def test_mapping_never_raises(param, resource):
    field = se.field_for_param(param, resource=resource)
    assert isinstance(field, str) and not re.search(r"[\[\]]", field)
    error = se.api_error(param, param, resource=resource)
    assert error.message.strip()
    assert se.requirement_error({"code": param, "requirement": param, "reason": None}).message.strip()


US_WORDS = ("IRS", "EIN", "ZIP", "Social Security", "check", "9-digit", "9 digits", "(201)")
STRIPE_REFUSALS = [  # (code, param, resource): each kind of refusal whose words name a US thing
    ("tax_id_invalid", "company[tax_id]", "account"), ("invalid_tax_id", "company[tax_id]", "account"),
    ("invalid_tax_id_format", "company[tax_id]", "account"), (None, "company[tax_id]", "account"),
    ("parameter_invalid_empty", "individual[id_number]", "account"), (None, "id_number", "person"),
    (None, "individual[address][postal_code]", "account"), (None, "company[address][state]", "account"),
    (None, "external_account[routing_number]", "account"), (None, "external_account[account_number]", "account"),
    ("invalid_company_name_denylisted", "company[name]", "account"), (None, "individual[phone]", "account"),
]


@pytest.mark.parametrize("country", sorted(code for code in countries.COUNTRIES if code != "US"))
def test_outside_the_us_stripes_refusals_are_told_in_the_countrys_words(country):
    for code, param, resource in STRIPE_REFUSALS:
        message = se.api_error(code, param, resource=resource, country=country).message
        assert message and not any(word in message for word in US_WORDS), (code, param, message)
        requirement = se.requirement_error({"code": code or "invalid_value_other", "requirement": param.replace("[", ".").replace("]", ""),
                                            "reason": ""}, country=country).message
        assert not any(word in requirement for word in US_WORDS), (code, param, requirement)
    tax_id = countries.get(country).tax_id
    assert se.api_error("tax_id_invalid", None, country=country).message == (
        f"This tax ID isn't valid. Enter the {tax_id.short} with its letters and digits only, like {tax_id.example}.")


def test_in_the_us_and_where_the_country_is_unknown_the_words_are_the_us_ones():
    for country in ("US", None, "BR"):
        assert se.api_error(None, "company[tax_id]", country=country).message == "Enter the 9-digit EIN from your IRS letter."
        assert "ZIP" in se.api_error(None, "individual[address][postal_code]", country=country).message
    assert se.api_error(None, "individual[address][postal_code]", country="GB").message == "Enter a postcode like EC1Y 8SY or GIR 0AA."
