"""The seller's language (issue 18): which one a request speaks, the picker, the seller's saved
choice, mail written in the recipient's language, and numbers, money and dates in the reader's
locale. Over HTTP through the app, with the real SMTP server."""

import re
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from portal import i18n
from portal.accounts.models import Seller
from portal.connect import mirror
from portal.connect.notify import tell_seller_about_new_requirements
from portal.staff.models import StaffRole
from portal.web import queue_templated_mail
from tests.conftest import PASSWORD, csrf_from, log_in, post_form, sign_up
from tests.countries.flows import onboard_individual_in
from tests.onboarding.flows import reauthenticate
from tests.staff.conftest import dev_sign_in
from tests.staff.helpers import onboarded_seller, staff_browser

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.8"}


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


def pick(client, locale: str, next_path: str = "/") -> object:
    return post_form(client, "/language", {"locale": locale, "next": next_path}, page=next_path, follow_redirects=False)


def seller_row(client, email: str) -> Seller:
    with client.app.state.db.read() as session:
        return session.exec(select(Seller).where(Seller.email == email)).one()


# Negotiation, pure -----------------------------------------------------------------------------

def test_accept_language_is_read_most_wanted_first():
    assert i18n.accepted_languages("fr;q=0.5, de-DE, en;q=0.8, *;q=0.1") == ["de_DE", "en", "fr"]
    assert i18n.accepted_languages("") == []
    # Malformed parts are the browser's business: skipped, never an error.
    assert i18n.accepted_languages("de;q=zero, <script>, fr-FR;q=0.7, ;;,") == ["fr_FR"]
    assert i18n.accepted_languages("it;q=0") == []


@pytest.mark.parametrize(("header", "expected"), [
    ("de-DE,de;q=0.9,en;q=0.8", "de"),
    ("fr-BE", "fr"),                 # a French speaker in Belgium: the language, whatever the country
    ("en-GB,en;q=0.9", "en_GB"),
    ("en-AU", "en_GB"),              # British spellings for English as written outside the US
    ("en-US", "en"),
    ("pt-BR, fr;q=0.4", "fr"),       # the first language the portal speaks
    ("pt-BR", None),
    ("", None),
])
def test_the_browser_language_is_matched_to_a_shipped_one(header, expected):
    assert i18n.negotiate(header) == expected


def test_shipped_languages_are_the_catalogues_present():
    shipped = i18n.shipped_locales()
    assert shipped[0] == "en" and {"en_GB", "de", "fr"} <= set(shipped)
    assert all(i18n.catalogue_path(code).is_file() for code in shipped[1:])
    assert i18n.language_name("de") == "Deutsch" and i18n.language_name("fr") == "Français"


# Formatting --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("locale", "money", "yen", "date", "when"), [
    ("en", "€1,234.56", "¥1,200", "Dec 6, 2026", "Dec 6, 2026 15:04 UTC"),
    ("de", "1.234,56\xa0€", "1.200\xa0¥", "06.12.2026", "06.12.2026 15:04 UTC"),
    ("fr", "1\u202f234,56\xa0€", "1\u202f200\xa0JPY", "6 déc. 2026", "6 déc. 2026 15:04 UTC"),
    ("ja", "€1,234.56", "￥1,200", "2026/12/06", "2026/12/06 15:04 UTC"),
])
def test_money_and_dates_are_written_the_readers_way(locale, money, yen, date, when):
    moment = datetime(2026, 12, 6, 15, 4, tzinfo=UTC)
    assert i18n.format_money(123456, "eur", locale=locale) == money
    assert i18n.format_money(1200, "jpy", locale=locale) == yen  # the yen has no minor unit, as in Stripe
    assert i18n.format_timestamp(int(moment.timestamp()), locale=locale) == date
    assert i18n.format_timestamp(moment, with_time=True, locale=locale) == when


def test_the_request_language_formats_money_when_none_is_named():
    with i18n.using_locale("de"):
        assert i18n.format_money(-1250, "eur") == "-12,50\xa0€"
        assert i18n.gettext("Log in") == "Anmelden"
        assert i18n.ngettext("%(num)s minute", "%(num)s minutes", 5) == "5 Minuten"
    assert i18n.format_money(-1250, "eur") == "-€12.50"


# Templates -----------------------------------------------------------------------------------------

WORDS_TEMPLATE = (
    "{{ _('Log out') }}|{{ _('100%% sure') }}|{{ _('Hello %(name)s', name=who) }}|{{ _(label) }}|{{ _(marked) }}"
    "|{% trans %}Skip to content{% endtrans %}|{% trans link=who %}Go <a href=\"{{ link }}\">here</a>{% endtrans %}"
    "|{% trans count=n %}{{ count }} thing{% pluralize %}{{ count }} things{% endtrans %}"
)


@pytest.mark.parametrize("locale", i18n.shipped_locales())
@pytest.mark.parametrize("autoescape", [True, False])
def test_template_words_are_what_jinjas_own_gettext_gives(locale, autoescape):
    """`_` and {% trans %} skip the extension's wrappers (i18n.template_gettext) and keep each
    message's Markup: the words, their escaping and "%%" are what the extension itself writes."""
    from jinja2 import Environment
    from markupsafe import Markup

    ours = Environment(autoescape=autoescape, extensions=["jinja2.ext.i18n"])
    i18n.install(ours)
    theirs = Environment(autoescape=autoescape, extensions=["jinja2.ext.i18n"])
    theirs.policies["ext.i18n.trimmed"] = True
    theirs.install_gettext_callables(lambda m: i18n.translations(i18n.current_locale()).gettext(m),
                                     lambda s, p, n: i18n.translations(i18n.current_locale()).ngettext(s, p, n), newstyle=True)
    context = {"who": "<b>Ann & Bo</b>", "label": "Due now", "marked": Markup("Payouts"), "n": 3}
    with i18n.using_locale(locale):
        for _ in range(2):  # the second time from what was kept
            assert (ours.from_string(WORDS_TEMPLATE).render(**context)
                    == theirs.from_string(WORDS_TEMPLATE).render(**context))
    with i18n.using_locale("de"):
        assert "Abmelden" in ours.from_string("{{ _('Log out') }}").render()


def test_the_language_picker_choices_are_the_same_list_whatever_the_language():
    with i18n.using_locale("de"):
        german = i18n.language_choices()
    with i18n.using_locale("ja"):
        assert i18n.language_choices() == german
    assert german[0] == ("en", i18n.language_name("en")) and ("de", "Deutsch") in german


# Pages -------------------------------------------------------------------------------------------

def test_a_page_speaks_the_browsers_language_and_says_so(client):
    english = client.get("/").text
    assert html_lang(english) == "en" and "Log in" in english

    german = client.get("/", headers=GERMAN).text
    assert html_lang(german) == "de" and "Anmelden" in german and ">Log in<" not in german
    # The picker names each language in its own words, the current one chosen.
    assert re.search(r'<option value="de" lang="de" selected>Deutsch</option>', german)
    assert '<option value="fr" lang="fr">Français</option>' in german

    # Connect.js and the pages' scripts get the same language.
    assert 'id="portal-words"' in german and "Erneut versuchen" in german


def test_error_pages_speak_the_language_too(client):
    missing = client.get("/no-such-page", headers={"Accept-Language": "fr"})
    assert missing.status_code == 404 and "Page introuvable" in missing.text and html_lang(missing.text) == "fr"


def test_the_platform_default_applies_when_the_browser_asks_for_nothing_we_speak(settings):
    from portal.app import create_app
    from portal.db import Database
    from starlette.testclient import TestClient

    french_platform = settings.model_copy(update={"default_locale": "fr"})
    Database(french_platform.database_url).migrate()
    with TestClient(create_app(french_platform)) as client:
        assert html_lang(client.get("/", headers={"Accept-Language": "pt-BR"}).text) == "fr"
        assert html_lang(client.get("/", headers={"Accept-Language": "de"}).text) == "de"


def test_an_unknown_default_locale_is_refused_at_start_up(settings):
    from portal.settings import Settings, SettingsError

    with pytest.raises((SettingsError, ValueError)):
        Settings(**{**settings.model_dump(by_alias=True), "default_locale": "tlh"})


def test_the_picker_saves_the_choice_in_this_browser_and_only_on_post(client):
    assert client.get("/language").status_code == 405  # GET never writes
    chosen = pick(client, "fr", "/account/login")
    assert chosen.status_code == 303 and chosen.headers["location"] == "/account/login"
    assert "portal_locale=fr" in chosen.headers["set-cookie"] and "HttpOnly" in chosen.headers["set-cookie"]
    # The picked language wins over the browser's.
    login = client.get("/account/login", headers=GERMAN).text
    assert html_lang(login) == "fr" and "Se connecter" in login

    refused = post_form(client, "/language", {"locale": "tlh", "next": "/"}, page="/", follow_redirects=False)
    assert refused.status_code == 400
    # Only this site's own paths are places to go back to.
    outside = post_form(client, "/language", {"locale": "de", "next": "//evil.example/"}, page="/", follow_redirects=False)
    assert outside.headers["location"] == "/"


def test_the_sellers_saved_choice_beats_the_browser_and_survives_sign_out(client, app, inbox):
    from starlette.testclient import TestClient

    # Signed up in a German browser: the seller's language is German from then on.
    client.headers.update(GERMAN)
    sign_up(client, "lena@example.de")
    assert seller_row(client, "lena@example.de").locale == "de"
    client.headers.pop("Accept-Language")
    mail = inbox.wait_for("lena@example.de")[0]
    assert mail["Subject"] == "Bestätigen Sie Ihre E-Mail-Adresse"
    body = mail.get_content()
    assert body.startswith("Guten Tag,") and "Der Link funktioniert einmal und 48 Stunden lang." in body
    assert "wird Sie niemals per E-Mail oder Telefon nach Ihrem Passwort" in body

    # Signed in from a browser that asks for English: the saved choice wins.
    log_in(client, "lena@example.de")
    home = client.get("/dashboard", headers={"Accept-Language": "en-US"}).text
    assert html_lang(home) == "de" and "Abmelden" in home

    # Picking French while signed in saves it on the seller (and in this browser).
    pick(client, "fr", "/dashboard")
    assert seller_row(client, "lena@example.de").locale == "fr"
    assert html_lang(client.get("/dashboard").text) == "fr"

    # Signed out, this browser keeps reading French.
    post_form(client, "/account/logout", {}, page="/dashboard")
    assert html_lang(client.get("/account/login", headers={"Accept-Language": "en"}).text) == "fr"

    # Another browser, English by default, reads French once the seller signs in.
    with TestClient(app, base_url="http://testserver") as other:
        assert html_lang(other.get("/account/login").text) == "en"
        log_in(other, "lena@example.de")
        assert html_lang(other.get("/dashboard").text) == "fr"
        # Mail sent in that seller's requests is French too, subject included: the new device's
        # warning, and a confirmation link asked for again. (Two test clients are two event loops;
        # the mailer lives on the first: let its loop turn.)
        client.get("/healthz")
        warning = inbox.wait_for("lena@example.de", subject="Nouvelle connexion à votre compte vendeur")[0]
        assert "Si ce n’était pas vous, verrouillez votre compte" in warning.get_content()
        post_form(other, "/account/confirm-resend", {}, page="/dashboard")
        client.get("/healthz")
        resent = inbox.wait_for("lena@example.de", subject="Confirmez votre adresse e-mail")[0]
        assert resent.get_content().startswith("Bonjour,")


def test_a_form_error_is_in_the_sellers_language(client):
    page = client.get("/account/signup", headers=GERMAN).text
    answer = client.post("/account/signup", headers=GERMAN, data={
        "csrf_token": csrf_from(page), "email": "not-an-address", "password": PASSWORD, "password_confirm": "other"})
    assert answer.status_code == 400
    assert "Die beiden Passwörter stimmen nicht überein." in answer.text
    assert "Bitte beheben Sie diese 2 Punkte" in answer.text and "Please fix" not in answer.text


def test_mail_outside_a_request_is_written_in_the_language_it_is_given(client, inbox):
    # The worker and webhooks have no request: they name the seller's language. English around it
    # (as on a staff page) changes nothing. Run on the app's own loop, where its mailer lives.
    state = client.app.state

    async def send() -> None:
        with i18n.using_locale("en"):
            await queue_templated_mail(state, "jean@example.fr", i18n.lazy_gettext("Your balance is negative"),
                                       "mail/requirements.txt", locale="fr", items=[], link="https://portal/status/")

    client.portal.call(send)
    client.get("/healthz")
    mail = inbox.wait_for("jean@example.fr", timeout=30)[0]
    assert mail["Subject"] == "Votre solde est négatif"
    assert "Stripe, notre prestataire de paiement" in mail.get_content()


def test_staff_mail_goes_in_the_sellers_language_while_staff_pages_stay_english(sandboxed_client, inbox):
    seller = onboarded_seller(sandboxed_client, inbox)
    with sandboxed_client.app.state.db.transaction() as session:
        row = session.get(Seller, seller)
        row.locale = "de"
        session.add(row)
    staff = staff_browser(sandboxed_client)
    staff.headers.update(GERMAN)  # a German-speaking staff member's browser: staff pages stay English
    dev_sign_in(staff, "rita@platform.test", StaffRole.risk)
    page = f"/staff/sellers/{seller}"
    html = staff.get(page).text
    assert html_lang(html) == "en" and "reads the portal and mail in German (de)" in html

    form = {"csrf_token": csrf_from(html), "reason": "Bitte laden Sie ein schärferes Ausweisfoto hoch.",
            "submission": re.search(r'name="submission" value="([^"]+)"', html).group(1)}
    assert staff.post(f"{page}/remediation", data=form, follow_redirects=False).status_code == 303
    sandboxed_client.get("/healthz")  # the mailer lives on the first client's loop: let it turn
    mail = inbox.wait_for("ann@annsbakery.com", subject="Handlungsbedarf bei Ihrem Verkäuferkonto")[0]
    body = mail.get_content()
    assert body.startswith("Guten Tag,") and "etwas erfordert Ihre Aufmerksamkeit" in body


def test_a_japanese_sellers_page_writes_the_date_and_the_yen_as_babel_ja_does(sandboxed_client, inbox):
    """The closing page of a seller in Japan, read in Japanese: the balance in yen (no minor unit,
    the full-width ￥ of CLDR's ja) and the moment it was read (ja's medium date, 2030/12/06)."""
    onboard_individual_in("JP")(sandboxed_client, inbox)  # Hanako Yamada, 山田 花子
    db = sandboxed_client.app.state.db
    account_id = mirror.account_for_seller(db, seller_row(sandboxed_client, "ann@annsbakery.com").id).stripe_account_id
    read_at = datetime(2030, 12, 6, 15, 4, tzinfo=UTC)  # later than any read the sandbox's webhooks could start
    mirror.record_balance(db, account_id, {"available": [{"amount": 123456, "currency": "jpy"}],
                                           "pending": [{"amount": 0, "currency": "jpy"}]}, as_of=read_at.timestamp())
    pick(sandboxed_client, "ja")  # the seller (signed up in English) picks Japanese
    reauthenticate(sandboxed_client)
    page = sandboxed_client.get("/account/close/").text
    assert html_lang(page) == "ja"
    assert "利用可能 ￥123,456" in page  # Babel: format_currency(123456, "JPY", locale="ja")
    assert "2030/12/06 15:04 UTC 時点の残高です。" in page  # Babel: format_date(read_at, "medium", locale="ja")


def test_a_new_requirement_is_mailed_in_the_sellers_language_whatever_is_spoken_around_it(sandboxed_client, inbox):
    """What Stripe newly asks for, told by the applier (no request, English around it): the subject
    and each thing asked for in the seller's language, read with the news in one transaction."""
    seller = onboarded_seller(sandboxed_client, inbox)
    state = sandboxed_client.app.state
    with state.db.transaction() as session:
        row = session.get(Seller, seller)
        row.locale = "de"
        session.add(row)
    held = mirror.account_for_seller(state.db, seller)
    snapshot = {**held.snapshot, "details_submitted": True,
                "requirements": {**held.snapshot["requirements"], "currently_due": ["individual.verification.document"]}}
    mirror.record_account(state.db, seller, snapshot, as_of=held.snapshot_at + 60)

    async def tell() -> bool:
        with i18n.using_locale("en"):
            return await tell_seller_about_new_requirements(state, seller, "https://portal/status/")

    assert sandboxed_client.portal.call(tell)
    sandboxed_client.get("/healthz")
    mail = inbox.wait_for("ann@annsbakery.com", subject="Handlungsbedarf bei Ihrem Verkäuferkonto")[0]
    assert "ein Foto Ihres Ausweises (Reisepass, Führerschein oder State ID)" in mail.get_content()
    assert not sandboxed_client.portal.call(tell)  # told once
