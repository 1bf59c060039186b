"""Sellers go from sign-up to a verified Stripe account through the portal's own form, in Chromium."""

import os
import re

import pytest
from playwright.sync_api import Page, expect

PASSWORD = "violet tractor salad 42"


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def sign_up_and_log_in(page: Page, portal_url: str, inbox, email: str) -> None:
    page.goto(portal_url + "/account/signup")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    mail = inbox.wait_for(email, subject="Confirm your email address")[0]
    page.goto(portal_url + _path(re.search(r"https?://\S+", mail.get_content()).group(0)))
    page.get_by_role("button", name="Confirm my email address").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Set up payouts").click()


def fill_profile(page: Page, *, legal_name: str | None, dba: str, url: str, search: str, industry: str, email: str, descriptor: str):
    if legal_name:
        page.get_by_label("Legal business name").fill(legal_name)
    page.get_by_label("Doing-business-as name").fill(dba)
    page.get_by_label("Business website").fill(url)
    page.get_by_label("Search industries").fill(search)
    page.get_by_label("Industry", exact=True).select_option(label=industry)
    page.get_by_label("What do you sell?").fill("Fresh products delivered to offices around Portland, every weekday.")
    page.get_by_label("Customer support phone").fill("0000000000")
    page.get_by_label("Customer support email").fill(email)
    page.get_by_label("Statement descriptor").fill(descriptor)
    page.get_by_role("button", name="Save and continue").click()


def individual_at_identity(page: Page, portal_url: str, inbox, email: str = "ann@annsbakery.com",
                           country: str | None = None) -> None:
    """Ann's Bakery, an individual seller (in `country`, else the default), signed up and through the
    profile and business email (on the business's domain) to the identity step."""
    sign_up_and_log_in(page, portal_url, inbox, email)
    if country:
        page.get_by_label("Country where your business is based").select_option(country)
    page.get_by_label("Individual or sole proprietor").check()
    page.get_by_role("button", name="Save and continue").click()
    fill_profile(page, legal_name=None, dba="Ann's Bakery", url="https://annsbakery.com", search="bakery",
                 industry="Bakeries", email="help@annsbakery.com", descriptor="ANNS BAKERY")
    page.get_by_label("Business email address").fill(email)
    page.get_by_role("button", name="Save and continue").click()


def fill_person(page: Page, first: str, last: str, email: str) -> None:
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("Date of birth").fill("1901-01-01")
    page.get_by_label("Street address").fill("address_full_match")
    page.get_by_label("City").fill("Portland")
    page.get_by_label("State").select_option("OR")
    page.get_by_label("ZIP code").fill("97201")
    page.get_by_label("Phone", exact=True).fill("0000000000")
    page.get_by_label("Email", exact=True).fill(email)


def fill_bank(page: Page, holder: str, account_number: str) -> None:
    page.get_by_label("Name on the account").fill(holder)
    page.get_by_label("Routing number").fill("110000000")
    page.get_by_label("Account number", exact=True).fill(account_number)
    page.get_by_label("Account number again").fill(account_number)
    page.get_by_role("button", name="Save and continue").click()


def submit_and_wait_for_verified(page: Page) -> None:
    page.get_by_label("I agree to the Stripe Connected Account Agreement").check()
    page.get_by_label(re.compile("seller terms")).check()
    page.get_by_role("button", name="Submit for verification").click()
    expect(page.get_by_text("Your details are with Stripe for verification")).to_be_visible()
    for _ in range(20):
        if page.locator("#account-status").inner_text() == "Verified":
            break
        page.get_by_role("button", name="Check again").click()
    expect(page.locator("#account-status")).to_have_text("Verified")
    expect(page.get_by_text("Payments enabled")).to_be_visible()
    expect(page.get_by_text("Payouts enabled")).to_be_visible()


@pytest.mark.both_accounts_apis
def test_individual_seller_reaches_verified_after_fixing_a_refused_bank_number(page: Page, portal_url, smtp_inbox, artifacts_dir):
    sign_up_and_log_in(page, portal_url, smtp_inbox, "ann@annsbakery.com")
    expect(page.get_by_text("Step 1 of 6")).to_be_visible()
    page.get_by_label("Individual or sole proprietor").check()
    page.get_by_role("button", name="Save and continue").click()

    fill_profile(page, legal_name=None, dba="Ann's Bakery", url="https://annsbakery.com", search="bakery",
                 industry="Bakeries", email="help@annsbakery.com", descriptor="ANNS BAKERY")
    page.get_by_label("Business email address").fill("ann@annsbakery.com")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_text("Step 4 of 6")).to_be_visible()
    fill_person(page, "Ann", "Baker", "ann@annsbakery.com")
    page.get_by_label("Last 4 digits of the Social Security number").fill("0000")
    # A reload mid-form keeps what was saved; nothing typed on a failed submit is lost either.
    page.get_by_label("Date of birth").fill("2015-06-01")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#dob-error")).to_contain_text("at least 18")
    page.reload()
    expect(page.get_by_label("First name")).to_have_value("Ann")
    expect(page.get_by_label("Street address")).to_have_value("address_full_match")
    page.get_by_label("Date of birth").fill("1901-01-01")
    page.get_by_role("button", name="Save and continue").click()

    # Stripe refuses a real-looking account number in test mode: the error sits by the field.
    fill_bank(page, "Ann Baker", "000123456780")
    expect(page.locator("#account_number-error")).to_be_visible()
    expect(page.get_by_label("Account number", exact=True)).to_be_focused()
    page.get_by_label("Account number", exact=True).fill("000123456789")
    page.get_by_label("Account number again").fill("000123456789")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_text("STRIPE TEST BANK ••••6789")).to_be_visible()
    expect(page.get_by_text("SSN •••••0000")).to_be_visible()
    page.screenshot(path=os.path.join(artifacts_dir, "onboarding-individual-review.png"), full_page=True)
    submit_and_wait_for_verified(page)
    page.screenshot(path=os.path.join(artifacts_dir, "onboarding-individual-verified.png"), full_page=True)


def test_company_with_an_owner_reaches_verified(page: Page, portal_url, smtp_inbox, artifacts_dir):
    sign_up_and_log_in(page, portal_url, smtp_inbox, "jenny@rocketrides.io")
    page.get_by_label("Company (LLC, corporation, partnership)").check()
    page.get_by_label("How is it legally set up?").select_option("multi_member_llc")
    page.get_by_role("button", name="Save and continue").click()
    fill_profile(page, legal_name="Rocket Rides LLC", dba="Rocket Rides", url="https://rocketrides.io", search="taxi",
                 industry="Taxicabs/Limousines", email="help@rocketrides.io", descriptor="ROCKET RIDES")
    page.get_by_label("Business email address").fill("jenny@rocketrides.io")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_text("Step 4 of 7")).to_be_visible()
    page.get_by_label("Employer Identification Number (EIN)").fill("000000000")
    page.get_by_label("Street address").fill("address_full_match")
    page.get_by_label("City").fill("Portland")
    page.get_by_label("State").select_option("OR")
    page.get_by_label("ZIP code").fill("97201")
    page.get_by_label("Business phone").fill("0000000000")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_role("link", name="Add a person").click()
    page.get_by_label("Representative: can act").check()
    page.get_by_label("Owner of 25% or more").check()
    page.get_by_label("Job title").fill("CEO")
    page.get_by_label("Ownership (%)").fill("100")
    fill_person(page, "Jenny", "Rosen", "jenny@rocketrides.io")
    page.get_by_label("Last 4 digits of the Social Security number").fill("0000")
    page.get_by_role("button", name="Save this person").click()
    expect(page.get_by_text("Jenny Rosen is saved.")).to_be_visible()
    page.get_by_label("I have added every person who owns 25% or more").check()
    page.get_by_label("I have added every director").check()
    page.get_by_label("I have added every executive").check()
    page.get_by_role("button", name="Save and continue").click()

    fill_bank(page, "Rocket Rides LLC", "000123456789")
    expect(page.get_by_text("EIN •••••0000")).to_be_visible()
    submit_and_wait_for_verified(page)
    page.screenshot(path=os.path.join(artifacts_dir, "onboarding-company-verified.png"), full_page=True)


def test_business_email_link_lifts_the_payout_hold_and_free_mail_is_flagged(page: Page, portal_url, smtp_inbox):
    sign_up_and_log_in(page, portal_url, smtp_inbox, "owner@annsbakery.com")
    page.get_by_label("Individual or sole proprietor").check()
    page.get_by_role("button", name="Save and continue").click()
    fill_profile(page, legal_name=None, dba="Ann's Bakery", url="https://annsbakery.com", search="bakery",
                 industry="Bakeries", email="help@annsbakery.com", descriptor="ANNS BAKERY")

    page.get_by_label("Business email address").fill("annsbakery@gmail.com")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="We can't confirm this address")).to_be_visible()
    expect(page.get_by_text("gmail.com is a free email service")).to_be_visible()

    page.get_by_label("Business email address").fill("owner@annsbakery.com")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("We sent a confirmation link to owner@annsbakery.com")).to_be_visible()
    page.goto(portal_url + "/status/")
    expect(page.get_by_text("Your business email address isn't confirmed yet")).to_be_visible()

    mail = smtp_inbox.wait_for("owner@annsbakery.com", subject="Confirm your business email address")[0]
    link = re.search(r"https?://\S+/onboarding/business-email/confirm/\S+", mail.get_content()).group(0)
    page.goto(portal_url + _path(link))
    page.get_by_role("button", name="Confirm owner@annsbakery.com").click()
    expect(page.get_by_text("owner@annsbakery.com is confirmed")).to_be_visible()
    page.goto(portal_url + "/status/")
    expect(page.get_by_text("Payouts on hold")).to_have_count(0)


def _individual_abroad(page: Page, portal_url, smtp_inbox, email: str, country: str):
    individual_at_identity(page, portal_url, smtp_inbox, email, country=country)
    expect(page.get_by_text("Social Security")).to_have_count(0)
    page.get_by_label("First name").fill("Ann")
    page.get_by_label("Last name").fill("Baker")
    page.get_by_label("Date of birth").fill("1901-01-01")
    page.get_by_label("Street address").fill("address_full_match")
    page.get_by_label("Phone", exact=True).fill("0000000000")
    page.get_by_label("Email", exact=True).fill(email)


def test_a_uk_seller_onboards_with_a_postcode_and_a_sort_code(page: Page, portal_url, smtp_inbox, artifacts_dir):
    _individual_abroad(page, portal_url, smtp_inbox, "ann@annsbakery.com", "GB")
    expect(page.get_by_label("State")).to_have_count(0)
    page.get_by_label("Town or city").fill("London")
    page.get_by_label("Postcode").fill("12345")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#postal_code-error")).to_contain_text("postcode like")
    expect(page.get_by_label("Town or city")).to_have_value("London")
    page.get_by_label("Postcode").fill("sw1a 1aa")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_label("Name on the account").fill("Ann Baker")
    page.get_by_label("Sort code").fill("10-88-0")
    page.get_by_label("Account number", exact=True).fill("00012345")
    page.get_by_label("Account number again").fill("00012345")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#routing_number-error")).to_contain_text("6 digits of the sort code")
    page.get_by_label("Sort code").fill("10-88-00")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("STRIPE TEST BANK ••••2345")).to_be_visible()
    submit_and_wait_for_verified(page)
    page.screenshot(path=os.path.join(artifacts_dir, "onboarding-gb-verified.png"), full_page=True)


def test_a_german_seller_onboards_with_an_iban(page: Page, portal_url, smtp_inbox, artifacts_dir):
    _individual_abroad(page, portal_url, smtp_inbox, "ann@annsbakery.com", "DE")
    page.get_by_label("Postal code").fill("10115")
    page.get_by_label("City").fill("Berlin")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_label("Name on the account").fill("Ann Baker")
    expect(page.get_by_label("Routing number")).to_have_count(0)
    page.get_by_label("IBAN", exact=True).fill("DE89 3704 0044 0532 0130 01")
    page.get_by_label("IBAN again").fill("DE89 3704 0044 0532 0130 01")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#account_number-error")).to_contain_text("isn't a valid IBAN")
    expect(page.get_by_label("Name on the account")).to_have_value("Ann Baker")
    page.get_by_label("IBAN", exact=True).fill("DE89 3704 0044 0532 0130 00")
    page.get_by_label("IBAN again").fill("DE89370400440532013000")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("STRIPE TEST BANK ••••3000")).to_be_visible()
    submit_and_wait_for_verified(page)
    page.screenshot(path=os.path.join(artifacts_dir, "onboarding-de-verified.png"), full_page=True)
