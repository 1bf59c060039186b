"""What a newcomer trips on in the form, checked in the browser: typed answers kept when leaving a
step by a link, the bank step keeping the account number through an unrelated error, terms that
are links, a header that reads well at a phone's width."""

import re

import httpx
from playwright.sync_api import Page, expect

from e2e.accessibility import check_page
from e2e.test_onboarding_journeys import individual_at_identity
from tests.onboarding.flows import onboard_individual


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



LONG_EMAIL = "annabelle.bakersfield-whitmore@annsbakery-and-patisserie.com"


def _header_rows(page: Page) -> int:
    """How many rows the header's links sit on (their distinct tops)."""
    return len({round(box["y"]) for box in (item.bounding_box() for item in page.locator(".site-header .nav > li").all())
                if box and box["width"] > 0})


def test_the_header_reads_well_at_desktop_and_phone_widths_with_a_long_email(page: Page, portal_url, smtp_inbox,
                                                                              artifacts_dir):
    """Issue 16, item 10: every menu link on one row at 1280 px (the long email cut short, in full
    on hover), and at 390 px a tidy block of at most two rows, nothing off screen."""
    with httpx.Client(base_url=portal_url, timeout=30) as client:
        onboard_individual(client, smtp_inbox, LONG_EMAIL)  # a Stripe account: the full menu
        cookies = [{"name": c.name, "value": c.value, "url": portal_url} for c in client.cookies.jar if c.path == "/"]
    page.context.add_cookies(cookies)
    page.goto(portal_url + "/payouts")
    for width, rows in ((1280, 1), (390, 2)):
        page.set_viewport_size({"width": width, "height": 800})
        expect(page.get_by_role("link", name="Payouts")).to_be_visible()
        assert _header_rows(page) <= rows, (width, _header_rows(page))
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width  # nothing off screen
        for name in ("Home", "Account", "Payouts", "Payments", "Disputes", "Settings", "Security"):
            box = page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (width, name)
    check_page(page, artifacts_dir, "Header with a long email")
