"""Onboarding outside the US, through the portal's pages against the sandbox: an individual in
each supported country is verified with payouts on to a bank account in the country's format,
and wrong bank codes and postcodes are refused next to their field with the rest kept."""

import pytest

from portal import countries
from portal.connect.mirror import account_for_seller
from tests.conftest import post_form
from tests.countries.flows import COUNTRY_ANSWERS, onboard_company_in
from tests.onboarding.flows import COMPANY_PROFILE, PROFILE, field_errors, signed_in_seller, submit


def _start(client, inbox, country: str):
    signed_in_seller(client, inbox, "ann@annsbakery.com")
    submit(client, "business", {"country": country, "business_type": "individual"}, expect="/onboarding/profile")
    submit(client, "profile", PROFILE, expect="/onboarding/business-email")
    submit(client, "business-email", {"business_email": "ann@annsbakery.com"}, expect="/onboarding/identity")


@pytest.mark.parametrize("country", sorted(COUNTRY_ANSWERS))
def test_an_individual_is_verified_with_payouts_to_a_bank_in_the_countrys_format(sandboxed_client, inbox, stripe_sandbox, country):
    answers = COUNTRY_ANSWERS[country]
    _start(sandboxed_client, inbox, country)
    page = sandboxed_client.get("/onboarding/identity").text
    assert ("Social Security" in page) is False
    submit(sandboxed_client, "identity", answers["identity"], expect="/onboarding/bank")
    submit(sandboxed_client, "bank", answers["bank"], expect="/onboarding/review")
    submit(sandboxed_client, "review", {"accept_stripe": "on", "accept_platform": "on"}, expect="/status/")
    status = post_form(sandboxed_client, "/status/refresh", {}, page="/status/")
    assert 'id="account-status">Verified<' in status.text
    snapshot = account_for_seller(sandboxed_client.app.state.db, 1).snapshot
    sandbox, _ = stripe_sandbox
    with sandbox.store.transaction():
        account = sandbox.store.get(snapshot["id"])
    assert account["country"] == country and account["default_currency"] == answers["currency"]
    assert account["charges_enabled"] and account["payouts_enabled"]
    bank = snapshot["external_accounts"]["data"][0]
    assert bank["country"] == country and bank["currency"] == answers["currency"]


def test_the_identity_step_asks_in_the_countrys_words(sandboxed_client, inbox):
    _start(sandboxed_client, inbox, "CA")
    page = sandboxed_client.get("/onboarding/identity").text
    assert "Social Insurance Number (SIN)" in page and "Province" in page and "Ontario" in page
    assert "Social Security" not in page and "ZIP" not in page


@pytest.mark.parametrize("country, words", [("US", "Exactly as registered with the IRS."),
                                            ("DE", "Exactly as on your company's registration documents."),
                                            ("JP", "Exactly as on your company's registration documents.")])
def test_a_companys_legal_name_is_asked_as_its_country_registers_it(sandboxed_client, inbox, country, words):
    signed_in_seller(sandboxed_client, inbox, "jenny@rocketrides.io")
    submit(sandboxed_client, "business", {"country": country, "business_type": "company", "structure": "private_company"
                                          if country != "US" else "private_corporation"}, expect="/onboarding/profile")
    page = sandboxed_client.get("/onboarding/profile").text
    assert words in page and ("IRS" in page) == (country == "US")


def test_a_support_phone_is_read_as_the_sellers_country_dials_it(sandboxed_client, inbox):
    """A German company's support line written the German way (no +49) is a German number, and a
    wrong one is answered with a German example: the profile step once read every number as American."""
    client = sandboxed_client
    signed_in_seller(client, inbox, "jenny@rocketrides.io")
    submit(client, "business", {"country": "DE", "business_type": "company", "structure": "private_company"},
           expect="/onboarding/profile")
    wrong = submit(client, "profile", {**COMPANY_PROFILE, "support_phone": "12"})
    assert wrong.status_code == 400
    assert "like 01512 3456789, or in international format starting with +, like +49 1512 3456789." in \
        field_errors(wrong.text)["support_phone"]
    submit(client, "profile", {**COMPANY_PROFILE, "support_phone": "030 901820"}, expect="/onboarding/business-email")
    account = account_for_seller(client.app.state.db, 1).snapshot
    assert account["business_profile"]["support_phone"] == "+4930901820"


def test_a_gb_identity_has_a_postcode_and_no_state(sandboxed_client, inbox):
    _start(sandboxed_client, inbox, "GB")
    page = sandboxed_client.get("/onboarding/identity").text
    assert "Postcode" in page and 'name="state"' not in page and "Social Security" not in page


@pytest.mark.parametrize("country, wrong, field", [
    ("GB", {"routing_number": "10-88-0"}, "routing_number"),
    ("AU", {"routing_number": "11000"}, "routing_number"),
    ("CA", {"transit_number": "1100"}, "transit_number"),
    ("DE", {"account_number": "DE89370400440532013001", "account_number_confirm": "DE89370400440532013001"}, "account_number"),
    ("CH", {"account_number": "CH93 0076 2011 6238 5295 8", "account_number_confirm": "CH9300762011623852958"}, "account_number"),
    # A real bank and branch with an account whose check digits fail (stdnum.nz.bankaccount).
    ("NZ", {"routing_number": "01-0242", "account_number": "0100195-00", "account_number_confirm": "010019500"}, "account_number"),
    ("SG", {"bank_code": "110"}, "bank_code"),
    ("SG", {"branch_code": "0000"}, "branch_code"),
])
def test_a_wrong_bank_code_is_refused_next_to_its_field_and_the_rest_is_kept(sandboxed_client, inbox, country, wrong, field):
    answers = COUNTRY_ANSWERS[country]
    _start(sandboxed_client, inbox, country)
    submit(sandboxed_client, "identity", answers["identity"], expect="/onboarding/bank")
    response = submit(sandboxed_client, "bank", {**answers["bank"], **wrong})
    assert response.status_code == 400
    assert set(field_errors(response.text)) == {field}
    assert 'value="Ann Baker"' in response.text
    for name, value in answers["bank"].items():
        if name not in wrong and name.startswith(("transit", "institution", "routing")):
            assert f'value="{value}"' in response.text
    # The IBAN or account number is secret: the one in error is never echoed back.
    typed = {**answers["bank"], **wrong}["account_number"]
    assert (typed not in response.text) if field == "account_number" else True


@pytest.mark.parametrize("country, postcode", [("GB", "12345"), ("CA", "90210"), ("DE", "1011"), ("AU", "20000"),
                                               ("CH", "80010"), ("NZ", "601"), ("SG", "18956")])
def test_a_postcode_of_the_wrong_shape_is_refused_next_to_it_and_everything_is_kept(sandboxed_client, inbox, country, postcode):
    answers = COUNTRY_ANSWERS[country]
    _start(sandboxed_client, inbox, country)
    response = submit(sandboxed_client, "identity", {**answers["identity"], "postal_code": postcode})
    assert response.status_code == 400
    assert set(field_errors(response.text)) == {"postal_code"}
    for name in ("line1", "city", "first_name", "last_name"):
        if answers["identity"][name]:
            assert f'value="{answers["identity"][name]}"' in response.text
    assert f'value="{postcode}"' in response.text


@pytest.mark.parametrize("nric", ["S1234567A", "X1234567D", "S123456D"])
def test_an_impossible_nric_is_refused_next_to_it_and_the_rest_is_kept(sandboxed_client, inbox, nric):
    answers = COUNTRY_ANSWERS["SG"]
    _start(sandboxed_client, inbox, "SG")
    page = sandboxed_client.get("/onboarding/identity").text
    assert "NRIC or FIN" in page and 'name="city"' not in page and "Postal code" in page
    response = submit(sandboxed_client, "identity", {**answers["identity"], "id_number": nric})
    assert response.status_code == 400
    assert set(field_errors(response.text)) == {"id_number"}
    assert "NRIC/FIN" in field_errors(response.text)["id_number"]
    assert nric not in response.text  # a national number is secret: never echoed back
    for name in ("line1", "postal_code", "first_name", "last_name"):
        assert f'value="{answers["identity"][name]}"' in response.text


@pytest.mark.parametrize("country", ["AU", "CA", "DE", "FR", "GB", "CH", "NZ", "SG", "JP"])
def test_a_company_with_its_owner_and_director_is_verified(sandboxed_client, inbox, stripe_sandbox, country):
    signed_in_seller(sandboxed_client, inbox, "someone@rocketrides.io")
    page = submit(sandboxed_client, "business", {"country": country, "business_type": "company", "structure": "multi_member_llc"})
    assert "structure" in field_errors(page.text) and "Private company" in page.text  # the country's structures
    sandboxed_client.cookies.clear()
    onboard_company_in(country)(sandboxed_client, inbox)
    assert str(countries.get(country).tax_id.short) in sandboxed_client.get("/onboarding/review").text
    status = post_form(sandboxed_client, "/status/refresh", {}, page="/status/")
    assert 'id="account-status">Verified<' in status.text, status.text[-3000:]
    snapshot = account_for_seller(sandboxed_client.app.state.db, 2).snapshot
    sandbox, _ = stripe_sandbox
    with sandbox.store.transaction():
        account = sandbox.store.get(snapshot["id"])
    assert account["company"]["structure"] == "private_company" and account["company"]["directors_provided"]
    assert account["charges_enabled"] and account["payouts_enabled"]


def _german_company_at_company_step(client, inbox):
    from tests.onboarding.flows import COMPANY_PROFILE

    signed_in_seller(client, inbox, "jenny@rocketrides.io")
    submit(client, "business", {"country": "DE", "business_type": "company", "structure": "private_company"},
           expect="/onboarding/profile")
    submit(client, "profile", COMPANY_PROFILE, expect="/onboarding/business-email")
    submit(client, "business-email", {"business_email": "jenny@rocketrides.io"}, expect="/onboarding/company")
    place = {name: COUNTRY_ANSWERS["DE"]["identity"][name] for name in ("line1", "line2", "city", "state", "postal_code")}
    return {"tax_id": "000000000", "phone": "0000000000", **place}


def test_a_german_company_gives_its_register_entry_and_vat_id(sandboxed_client, inbox, stripe_sandbox):
    company = _german_company_at_company_step(sandboxed_client, inbox)
    page = sandboxed_client.get("/onboarding/company").text
    assert "Registergericht" in page and "Handelsregisternummer" in page and "USt-IdNr." in page
    wrong = submit(sandboxed_client, "company", {**company, "tax_id_registrar": "Berlin (Charlottenburg)",
                                                 "registration_number": "HRB 12345 B", "vat_id": "DE136695977"})
    assert wrong.status_code == 400 and set(field_errors(wrong.text)) == {"vat_id"}
    assert 'value="HRB 12345 B"' in wrong.text and 'value="DE136695977"' in wrong.text  # public numbers: kept
    assert 'value="Berlin (Charlottenburg)" selected' in wrong.text
    lonely = submit(sandboxed_client, "company", {**company, "registration_number": "HRB 12345 B"})
    assert set(field_errors(lonely.text)) == {"tax_id_registrar"}
    submit(sandboxed_client, "company", {**company, "tax_id_registrar": "Berlin (Charlottenburg)",
                                         "registration_number": "HRB 12345 B", "vat_id": "136695976"},
           expect="/onboarding/people")
    snapshot = account_for_seller(sandboxed_client.app.state.db, 1).snapshot
    assert snapshot["company"]["tax_id_registrar"] == "Berlin (Charlottenburg)"
    assert snapshot["company"]["vat_id_provided"] is True
