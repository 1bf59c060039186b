"""Onboarding answers with Stripe's test values, and helpers that walk the steps over HTTP."""

import re

from tests.conftest import PASSWORD, confirm_link_path, log_in, post_form, press_link_button, sign_up
from tests.security.helpers import asked_to_enrol, enrol_when_asked, next_code

PROFILE = {
    "legal_name": "",
    "dba": "Ann's Bakery",
    "url": "https://annsbakery.com",
    "mcc": "5462",
    "product_description": "Fresh bread and cakes delivered to offices in Portland.",
    "support_phone": "0000000000",
    "support_email": "help@annsbakery.com",
    "statement_descriptor": "ANNS BAKERY",
}
IDENTITY = {
    "first_name": "Ann",
    "last_name": "Baker",
    "dob": "1901-01-01",
    "line1": "address_full_match",
    "line2": "",
    "city": "Portland",
    "state": "OR",
    "postal_code": "97201",
    "phone": "0000000000",
    "email": "ann@annsbakery.com",
    "ssn_last_4": "0000",
}
BANK = {
    "account_holder_name": "Ann Baker",
    "routing_number": "110000000",
    "account_number": "000123456789",
    "account_number_confirm": "000123456789",
}
COMPANY_PROFILE = {
    **PROFILE,
    "legal_name": "Rocket Rides LLC",
    "dba": "Rocket Rides",
    "url": "https://rocketrides.io",
    "mcc": "4121",
    "product_description": "Scooter rides booked through our app in Portland.",
    "support_email": "help@rocketrides.io",
    "statement_descriptor": "ROCKET RIDES",
}
COMPANY = {"tax_id": "000000000", "line1": "address_full_match", "line2": "", "city": "Portland", "state": "OR",
           "postal_code": "97201", "phone": "0000000000"}
OWNER = {**IDENTITY, "first_name": "Jenny", "last_name": "Rosen", "email": "jenny@rocketrides.io", "title": "CEO",
         "percent_ownership": "100", "representative": "on", "owner": "on", "executive": "on"}


def field_errors(html: str) -> dict[str, str]:
    found = re.findall(r'<p class="field-error" id="([\w-]+)-error">(?:<span class="visually-hidden">Error:</span>)?\s*(.*?)</p>', html, re.S)
    return {name: re.sub(r"\s+", " ", text).strip() for name, text in found}


def general_error(html: str) -> str | None:
    found = re.search(r'<div class="error-summary" role="alert"><p>(.*?)</p>', html, re.S)
    return found.group(1) if found else None


def signed_in_seller(client, inbox, email: str):
    sign_up(client, email)
    press_link_button(client, confirm_link_path(inbox, email))
    assert log_in(client, email).status_code == 303


def submit(client, slug: str, data: dict, *, expect: str | None = None):
    response = enrol_when_asked(client, post_form(client, f"/onboarding/{slug}", data, follow_redirects=False))
    if expect is not None:
        assert response.status_code == 303, (slug, field_errors(response.text), general_error(response.text))
        assert response.headers["location"] == expect
    return response


def asked_for_two_step(client, inbox, email: str = "ann@annsbakery.com"):
    """An individual seller whose Stripe account the profile step has just made, who leaves when
    the portal asks for two-step sign-in: an account, no second factor. The ask is the answer."""
    signed_in_seller(client, inbox, email)
    submit(client, "business", {"country": "US", "business_type": "individual"}, expect="/onboarding/profile")
    asked = post_form(client, "/onboarding/profile", PROFILE, follow_redirects=False)
    assert asked_to_enrol(asked), asked.headers
    return asked


def onboard_individual(client, inbox, email: str = "ann@annsbakery.com"):
    signed_in_seller(client, inbox, email)
    submit(client, "business", {"country": "US", "business_type": "individual"}, expect="/onboarding/profile")
    submit(client, "profile", PROFILE, expect="/onboarding/business-email")
    finish_individual(client)


def finish_individual(client):
    """An individual's steps after the profile (the Stripe account made, two-step sign-in set up)."""
    submit(client, "business-email", {"business_email": "ann@annsbakery.com"}, expect="/onboarding/identity")
    submit(client, "identity", IDENTITY, expect="/onboarding/bank")
    submit(client, "bank", BANK, expect="/onboarding/review")
    submit(client, "review", {"accept_stripe": "on", "accept_platform": "on"}, expect="/status/")


def onboard_company(client, inbox, email: str = "jenny@rocketrides.io"):
    """A company with one owner (Stripe's test values), through every step, ending on the status page."""
    signed_in_seller(client, inbox, email)
    submit(client, "business", {"country": "US", "business_type": "company", "structure": "multi_member_llc"},
           expect="/onboarding/profile")
    submit(client, "profile", COMPANY_PROFILE, expect="/onboarding/business-email")
    submit(client, "business-email", {"business_email": email}, expect="/onboarding/company")
    submit(client, "company", COMPANY, expect="/onboarding/people")
    post_form(client, "/onboarding/people/new", OWNER)
    submit(client, "people", {"owners_provided": "on", "directors_provided": "on", "executives_provided": "on"},
           expect="/onboarding/bank")
    submit(client, "bank", {**BANK, "account_holder_name": "Rocket Rides LLC"}, expect="/onboarding/review")
    submit(client, "review", {"accept_stripe": "on", "accept_platform": "on"}, expect="/status/")


def reauthenticate(client, code: str | None = None, password: str = PASSWORD):
    """Confirm it's you (password, and a code when the seller has two factors), as sensitive changes ask.
    Without `code`, the next one from the authenticator the onboarding set up (enrol_when_asked)."""
    if code is None and hasattr(client, "two_factor_key"):
        code = next_code(client)
    data = {"password": password, **({"code": code} if code else {})}
    response = post_form(client, "/account/security/confirm", data, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response
