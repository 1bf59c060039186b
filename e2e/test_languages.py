"""The portal in the seller's language (issue 18), in Chromium: a seller whose browser asks for
German signs up, gets the confirmation mail in German, onboards a German business and reads the
status page in German; picking French in the footer makes the next page French. Fields are found
by their ids here, since their labels are in German."""

import os
import re

import pytest
from playwright.sync_api import Page, expect

from e2e.accessibility import check_page

PASSWORD = "violet tractor salad 42"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Chromium then sends Accept-Language: de-DE (and shows German dates in <input type=date>).
    return {**browser_context_args, "locale": "de-DE"}


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def _save(page: Page) -> None:
    page.get_by_role("button", name="Speichern und weiter").click()


def test_a_german_seller_onboards_in_german_and_switches_to_french(page: Page, portal_url, smtp_inbox, artifacts_dir):
    email = "lena@baeckerei-lena.de"
    page.goto(portal_url + "/account/signup")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", name="Verkäuferkonto erstellen")).to_be_visible()
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password_confirm").fill(PASSWORD)
    page.get_by_role("button", name="Konto erstellen").click()
    expect(page.get_by_role("heading", name="Prüfen Sie Ihr E-Mail-Postfach")).to_be_visible()

    mail = smtp_inbox.wait_for(email, subject="Bestätigen Sie Ihre E-Mail-Adresse")[0]
    body = mail.get_content()
    assert body.startswith("Guten Tag,") and "Der Link funktioniert einmal und 48 Stunden lang." in body
    page.goto(portal_url + _path(re.search(r"https?://\S+", body).group(0)))
    page.get_by_role("button", name="Meine E-Mail-Adresse bestätigen").click()
    expect(page.get_by_text("Vielen Dank: Ihre E-Mail-Adresse ist bestätigt.")).to_be_visible()
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    page.get_by_role("link", name="Auszahlungen einrichten").click()

    # A German business: the country list speaks German too.
    expect(page.get_by_text("Schritt 1 von 6")).to_be_visible()
    expect(page.locator("#country option[value=DE]")).to_have_text("Deutschland")
    page.locator("#country").select_option("DE")
    page.locator("input[name=business_type][value=individual]").check()
    _save(page)

    page.locator("#dba").fill("Bäckerei Lena")
    page.locator("#url").fill("https://baeckerei-lena.de")
    page.locator("#mcc").select_option("5462")
    page.locator("#product_description").fill("Frisches Brot und Gebäck, jeden Morgen an Büros in Berlin geliefert.")
    page.locator("#support_phone").fill("0000000000")
    page.locator("#support_email").fill("hilfe@baeckerei-lena.de")
    page.locator("#statement_descriptor").fill("BAECKEREI LENA")
    _save(page)
    page.locator("#business_email").fill(email)
    _save(page)

    expect(page.get_by_role("heading", name="Ihre Identität")).to_be_visible()
    page.locator("#first_name").fill("Lena")
    page.locator("#last_name").fill("Schmidt")
    page.locator("#dob").fill("2015-06-01")
    page.locator("#line1").fill("address_full_match")
    page.locator("#city").fill("Berlin")
    page.locator("#postal_code").fill("10115")
    page.locator("#phone").fill("0000000000")
    page.locator("#email").fill(email)
    _save(page)
    # The form's errors are German, beside their field.
    expect(page.locator("#dob-error")).to_contain_text("mindestens 18 Jahre alt")
    page.locator("#dob").fill("1901-01-01")
    _save(page)

    page.locator("#account_holder_name").fill("Lena Schmidt")
    page.locator("#account_number").fill("DE89 3704 0044 0532 0130 01")
    page.locator("#account_number_confirm").fill("DE89 3704 0044 0532 0130 01")
    _save(page)
    expect(page.locator("#account_number-error")).to_contain_text("Dies ist keine gültige IBAN")
    page.locator("#account_number").fill("DE89 3704 0044 0532 0130 00")
    page.locator("#account_number_confirm").fill("DE89370400440532013000")
    _save(page)

    expect(page.get_by_role("heading", name="Prüfen und absenden")).to_be_visible()
    page.locator("#accept_stripe").check()
    page.locator("#accept_platform").check()
    page.get_by_role("button", name="Zur Verifizierung einreichen").click()
    expect(page.get_by_text("Vielen Dank. Ihre Angaben liegen Stripe zur Verifizierung vor.")).to_be_visible()
    for _ in range(20):
        if page.locator("#account-status").inner_text() == "Verifiziert":
            break
        page.get_by_role("button", name="Erneut prüfen").click()
    expect(page.locator("#account-status")).to_have_text("Verifiziert")
    expect(page.get_by_text("Zahlungen aktiviert", exact=True)).to_be_visible()
    expect(page.get_by_text("Auszahlungen aktiviert", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Ihr Konto", exact=True)).to_be_visible()
    check_page(page, artifacts_dir, "status-de")

    # French, picked in the footer: the next page is French, and so is the seller from now on.
    page.locator("#locale-footer").select_option("fr")
    page.get_by_role("button", name="Sprache ändern").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("#account-status")).to_have_text("Vérifié")
    expect(page.get_by_text("Virements activés", exact=True)).to_be_visible()
    page.screenshot(path=os.path.join(artifacts_dir, "status-fr.png"), full_page=True)

    # The payouts page, and Stripe's embedded components (the sandbox's stand-in), in French.
    page.get_by_role("link", name="Virements", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Solde")).to_be_visible(timeout=15_000)
    check_page(page, artifacts_dir, "payouts-fr")
