"""What a newcomer trips on in the form, checked in the browser: typed answers kept when leaving a
step by a link, the bank step keeping the account number through an unrelated error, terms that
are links."""

import re

from playwright.sync_api import Page, expect

from e2e.test_onboarding_journeys import individual_at_identity


def test_leaving_a_step_by_a_link_keeps_what_was_typed_and_the_bank_step_keeps_the_number(page: Page, portal_url, smtp_inbox):
    individual_at_identity(page, portal_url, smtp_inbox)

    page.get_by_label("First name").fill("Ann")
    page.get_by_label("City").fill("Portland")
    page.get_by_label("Last 4 digits of the Social Security number").fill("0000")
    page.get_by_role("link", name="Business profile").click()  # leaves through the step list
    expect(page.get_by_role("heading", name="Business profile")).to_be_visible()
    page.get_by_role("link", name="Your identity").click()
    expect(page.get_by_label("First name")).to_have_value("Ann")
    expect(page.get_by_label("City")).to_have_value("Portland")

    page.get_by_label("Last name").fill("Baker")
    page.get_by_label("Date of birth").fill("1901-01-01")
    page.get_by_label("Street address").fill("address_full_match")
    page.get_by_label("State").select_option("OR")
    page.get_by_label("ZIP code").fill("97201")
    page.get_by_label("Phone", exact=True).fill("0000000000")
    page.get_by_label("Email", exact=True).fill("ann@annsbakery.com")
    page.get_by_role("button", name="Save and continue").click()

    # A wrong routing number: the two account-number boxes keep what was typed for this answer.
    page.get_by_label("Name on the account").fill("Ann Baker")
    page.get_by_label("Routing number").fill("110000001")
    page.get_by_label("Account number", exact=True).fill("000123456789")
    page.get_by_label("Account number again").fill("000123456789")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#routing_number-error")).to_be_visible()
    expect(page.get_by_label("Account number", exact=True)).to_have_value("000123456789")
    expect(page.get_by_label("Account number again")).to_have_value("000123456789")
    page.get_by_label("Routing number").fill("110000000")
    page.get_by_role("button", name="Save and continue").click()

    stripe_terms = page.get_by_role("link", name=re.compile("Stripe Connected Account Agreement"))
    expect(stripe_terms).to_have_attribute("href", "https://stripe.com/connect-account/legal/full")
    expect(page.get_by_role("link", name=re.compile("seller terms"))).to_have_attribute("href", "https://platform.example/seller-terms")

