"""An individual seller in each supported country (beyond the US, GB, DE and JP, which have
journeys of their own) signs up in Chromium, is verified with that country's test values and has
payouts on to a bank account in the country's format; in GB, DE, FR, CA and AU a company with its
owners and directors too (Japan's and the US's have journeys of their own). The answers come from
the country test values beside the HTTP journeys (tests/countries/flows.COUNTRY_ANSWERS and
company_answers), filled by field name: nothing here is written per country."""

import os
import re

import pytest
from playwright.sync_api import Page, expect

from e2e.accessibility import check_page
from e2e.test_onboarding_journeys import (
    company_at_details, confirm_everyone_is_added, individual_at_identity, submit_and_wait_for_verified,
)
from portal import countries
from tests.countries.flows import COUNTRY_ANSWERS, company_answers

OWN_JOURNEYS = {"US", "GB", "DE", "JP"}
# A seller abroad is on Stripe's recipient agreement where the (default, US) platform's transfers
# reach only recipients (portal/countries/crossborder.py).
PLATFORM = "US"


def fill_by_name(page: Page, answers: dict) -> None:
    """Each answer into the form field of that name the page has (a select is chosen from, a box
    ticked for "on"). Waits for the form first: right after a click that leads to it, the page
    still shown has none of these fields, and skipping them all would post an empty form."""
    page.locator(", ".join(f'form [name="{name}"]' for name in answers)).first.wait_for(state="attached")
    for name, value in answers.items():
        field = page.locator(f'form [name="{name}"]')
        if not value or field.count() == 0:
            continue
        if field.evaluate("element => element.tagName") == "SELECT":
            field.select_option(value)
        elif field.get_attribute("type") == "checkbox":
            field.check()
        else:
            field.fill(value)


@pytest.mark.parametrize("country", sorted(set(COUNTRY_ANSWERS) - OWN_JOURNEYS))
def test_an_individual_is_verified_with_payouts_to_a_bank_in_the_countrys_format(page: Page, portal_url, smtp_inbox,
                                                                                  artifacts_dir, country):
    answers, data = COUNTRY_ANSWERS[country], countries.get(country)
    email = "ann@annsbakery.com"
    individual_at_identity(page, portal_url, smtp_inbox, email, country=country)
    expect(page.get_by_text("Social Security")).to_have_count(0)
    if data.first_identity == "id_number":
        expect(page.get_by_label(str(data.id_number.label))).to_be_visible()
    fill_by_name(page, {**answers["identity"], "email": email})
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_label(str(data.bank.account_label), exact=True)).to_be_visible()
    fill_by_name(page, answers["bank"])
    page.get_by_role("button", name="Save and continue").click()
    last4 = re.sub(r"\W", "", answers["bank"]["account_number"])[-4:]
    expect(page.get_by_text(f"STRIPE TEST BANK ••••{last4}")).to_be_visible()

    submit_and_wait_for_verified(page, country)
    page.set_viewport_size({"width": 390, "height": 900})
    page.screenshot(path=os.path.join(artifacts_dir, f"onboarding-{country.lower()}-verified-390.png"), full_page=True)


@pytest.mark.parametrize("country", ["AU", "CA", "DE", "FR", "GB"])
def test_a_company_with_its_owners_and_directors_is_verified_with_payouts_on(page: Page, portal_url, smtp_inbox,
                                                                           artifacts_dir, country):
    """A private company whose representative owns 60% and sits on the board, with a second owner
    who is a director: each added on the people step, then the company's bank account."""
    answers, data = company_answers(country), countries.get(country)
    company_at_details(page, portal_url, smtp_inbox, legal_name="Rocket Rides Ltd", structure="private_company",
                       country=country)
    expect(page.get_by_label(str(data.tax_id.label))).to_be_visible()
    fill_by_name(page, answers["company"])
    page.get_by_role("button", name="Save and continue").click()

    representative = {**answers["representative"], "percent_ownership": "60"}
    second = {**representative, "representative": "", "executive": "", "title": "Director", "percent_ownership": "40",
              "first_name": "Ravi", "last_name": "Patel", "email": "ravi@rocketrides.io", "id_number": ""}
    for person in (representative, second):
        page.get_by_role("link", name="Add a person").click()
        fill_by_name(page, person)
        page.get_by_role("button", name="Save this person").click()
        expect(page.get_by_text(f"{person['first_name']} {person['last_name']} is saved.")).to_be_visible()
    expect(page.get_by_text("Owner (60%), Director, Executive")).to_be_visible()
    if country == "FR":
        check_page(page, artifacts_dir, "onboarding-fr-company-people")
    confirm_everyone_is_added(page)

    expect(page.get_by_label(str(data.bank.account_label), exact=True)).to_be_visible()
    fill_by_name(page, answers["bank"])
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text(f"{data.tax_id.short} •••••0000")).to_be_visible()
    submit_and_wait_for_verified(page, country)
    page.set_viewport_size({"width": 390, "height": 900})
    expect(page.get_by_text("Loading…")).to_have_count(0)  # the embedded notification banner has drawn
    page.screenshot(path=os.path.join(artifacts_dir, f"onboarding-{country.lower()}-company-verified-390.png"),
                    full_page=True)


def test_the_pages_a_recipient_seller_sees_pass_axe(page: Page, portal_url, smtp_inbox, artifacts_dir):
    """Singapore: an address without a city, the NRIC, bank and branch codes, and the recipient
    agreement on the terms step, at 1280 and 390 px."""
    answers = COUNTRY_ANSWERS["SG"]
    individual_at_identity(page, portal_url, smtp_inbox, "ann@annsbakery.com", country="SG")
    check_page(page, artifacts_dir, "onboarding-sg-identity")
    fill_by_name(page, {**answers["identity"], "email": "ann@annsbakery.com"})
    page.get_by_role("button", name="Save and continue").click()
    check_page(page, artifacts_dir, "onboarding-sg-bank")
    fill_by_name(page, answers["bank"])
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("takes the payments from your customers")).to_be_visible()
    check_page(page, artifacts_dir, "onboarding-sg-review")
