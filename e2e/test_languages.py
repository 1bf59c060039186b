"""The portal in the seller's language (issue 18), in Chromium: a seller whose browser asks for
German signs up, gets the confirmation mail in German, onboards a German business and reads the
status page in German; picking French in the footer makes the next page French. A seller in Japan
whose browser asks for Japanese reads dates and yen amounts written the Japanese way. Fields are
found by their ids here, since their labels are not in English."""

import os
import re
from datetime import UTC, datetime

import pyotp
import pytest
from playwright.sync_api import Page, expect

from e2e.accessibility import check_page
from e2e.test_money_pages import Sandbox
from e2e.test_onboarding_journeys import JP_PERSON
from tests.countries.flows import COUNTRY_ANSWERS

PASSWORD = "violet tractor salad 42"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Chromium then sends Accept-Language: de-DE (and shows German dates in <input type=date>).
    return {**browser_context_args, "locale": "de-DE"}


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def _set_up_two_step(page: Page) -> tuple[str, str]:
    """Two-step sign-in, asked once the profile step has made the Stripe account, set up with an
    authenticator by the fields' ids and the forms' actions (the words are not English): the key
    and the code used (a code is good once)."""
    expect(page).to_have_url(re.compile("/account/security/two-factor"))
    page.locator("form[action$='/two-factor/key'] button[type=submit]").click()
    key = page.locator("#totp-key").inner_text().replace(" ", "")
    code = pyotp.TOTP(key).now()
    page.locator("#code").fill(code)
    page.locator("form[action$='/two-factor'] button[type=submit]").click()
    expect(page.locator("ul.recovery-codes code")).to_have_count(10)
    page.locator("ul.recovery-codes ~ p a.button").click()  # "I have saved my codes": on with the form
    return key, code


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
    _set_up_two_step(page)
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


# A seller in Japan whose browser asks for Japanese: dates and money are written the Japanese way
# (Babel's ja: 2026/12/06, and the yen with no minor unit, ￥5,000). The pages are Japanese, so every
# field and button is found by its id, name or type.

def _save_ja(page: Page) -> None:
    page.locator("main form button[type=submit]").last.click()


@pytest.fixture
def japanese_page(browser):
    """A page in a browser set up for Japan (this module's other pages speak German)."""
    context = browser.new_context(locale="ja-JP", extra_http_headers={"Accept-Language": "ja-JP,ja;q=0.9"})
    yield context.new_page()
    context.close()


def test_a_japanese_seller_sees_japanese_dates_and_yen_amounts(japanese_page, portal_url, smtp_inbox, artifacts_dir):
    page = japanese_page
    email = "hanako@yamada-pan.jp"
    page.goto(portal_url + "/account/signup")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password_confirm").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    mail = smtp_inbox.wait_for(email, subject="メールアドレスを確認してください")[0]
    page.goto(portal_url + _path(re.search(r"https?://\S+", mail.get_content()).group(0)))
    page.locator("main form button[type=submit]").click()
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form[action$='/login'] button[type=submit]").click()
    page.get_by_role("link", name="入金を設定").click()

    # A Japanese individual, with the answers tests/countries/flows.py gives Japan.
    answers = COUNTRY_ANSWERS["JP"]
    expect(page.locator("#country option[value=JP]")).to_have_text("日本")
    page.locator("#country").select_option("JP")
    page.locator("input[name=business_type][value=individual]").check()
    _save_ja(page)
    page.locator("#dba").fill("山田パン")
    page.locator("#url").fill("https://yamada-pan.jp")
    page.locator("#mcc").select_option("5462")
    page.locator("#product_description").fill("毎朝焼きたてのパンを渋谷のオフィスにお届けします。")
    page.locator("#support_phone").fill("0000000000")
    page.locator("#support_email").fill(email)
    page.locator("#statement_descriptor").fill("YAMADA PAN")
    _save_ja(page)

    # The Stripe account now exists, and two-step sign-in is asked: an authenticator, by ids.
    key, enrolment_code = _set_up_two_step(page)

    page.locator("#business_email").fill(email)
    _save_ja(page)
    person = {**JP_PERSON, **{f"#{name}": value for name, value in answers["identity"].items()
                              if f"#{name}" in JP_PERSON and value}}
    for where, value in person.items():
        field = page.locator(where)
        if field.evaluate("element => element.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.locator("#dob").fill("1901-01-01")
    page.locator("#phone").fill("0000000000")
    page.locator("#email").fill(email)
    _save_ja(page)
    for name, value in answers["bank"].items():
        page.locator(f"#{name}").fill(value)
    _save_ja(page)
    page.locator("#accept_stripe").check()
    page.locator("#accept_platform").check()
    _save_ja(page)
    for _ in range(20):
        if page.locator("#account-status").inner_text() == "確認済み":
            break
        page.get_by_role("button", name="再確認").click()
    expect(page.locator("#account-status")).to_have_text("確認済み")

    # A customer pays ￥5,000 (the test card that skips the pending balance); the webhooks make the
    # portal read the balance again. The closing page shows the balance and when it was read.
    sandbox = Sandbox(portal_url)
    account = sandbox.wait_until_verified(page)
    sandbox.sdk.v1.payment_intents.create(params={"amount": 5000, "currency": "jpy", "payment_method": "pm_card_bypassPending",
                                                  "confirm": True}, options={"stripe_account": account})
    available = sandbox.sdk.v1.balance.retrieve(options={"stripe_account": account}).available[0]
    assert available.currency == "jpy" and 0 < available.amount < 5000  # less Stripe's fee, in whole yen
    yen = f"￥{available.amount:,}"
    page.goto(portal_url + "/account/close/")
    # Closing asks to confirm it's you: the password and a fresh code (a code is good once).
    expect(page).to_have_url(re.compile("/account/security/confirm"))
    page.locator("#password").fill(PASSWORD)
    while pyotp.TOTP(key).now() == enrolment_code:
        page.wait_for_timeout(1000)
    page.locator("#code").fill(pyotp.TOTP(key).now())
    page.locator("main form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile("/account/close/$"))
    for _ in range(50):
        if yen in page.locator("main").inner_text():
            break
        page.wait_for_timeout(200)
        page.goto(portal_url + "/account/close/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("main")).to_contain_text(f"利用可能 {yen}")
    read = page.locator("[data-balance-read]")
    read_at = datetime.fromtimestamp(int(read.get_attribute("data-balance-read")), UTC)
    expect(read).to_have_text(f"{read_at:%Y/%m/%d %H:%M} UTC 時点の残高です。")  # Babel ja: 2026/12/06
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=os.path.join(artifacts_dir, "close-ja-390.png"), full_page=True)
    check_page(page, artifacts_dir, "close-ja")
