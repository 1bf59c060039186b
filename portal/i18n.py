"""The seller's language (issue 18): which one a request speaks, the catalogues that hold the
words, and numbers, money and dates in the same locale.

A request's language is, in this order, the signed-in seller's saved choice (sellers.locale),
the language picked in this browser (a long-lived cookie, so the choice survives signing out),
the browser's Accept-Language, and the platform's DEFAULT_LOCALE. LocaleMiddleware settles the
browser's part before any handler runs; accounts/auth.current_seller puts the seller's choice
over it once it knows who is signed in. Work outside a request (webhooks, the worker) names the
language itself with `using_locale(seller.locale)`.

The catalogues are the `.po` files under portal/locale/<language>/LC_MESSAGES/, read once per
process and compiled in memory (babel's read_po and write_mo): nothing to build at install, no
compiled file that can fall out of step with its `.po`, and nothing written next to the code
(which may be read-only in site-packages). A language ships when its folder exists."""

import contextlib
import functools
import io
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.core import negotiate_locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, get_currency_precision
from babel.support import LazyProxy, NullTranslations, Translations
from jinja2 import pass_context
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
# The language the code is written in: its messages are their own translation.
SOURCE_LOCALE = "en"
# Babel's data for the source language: English as written in the US (dates "Dec 6, 2026", "$1.00").
SOURCE_FORMATS = "en_US"
COOKIE = "portal_locale"
COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest a browser keeps a cookie
# Staff pages are written in English only: whatever the browser asks, they speak English.
ENGLISH_ONLY_PREFIXES = ("/staff",)

_current: ContextVar[str] = ContextVar("portal_locale", default=SOURCE_LOCALE)


# The shipped languages -----------------------------------------------------------------------

@functools.cache
def shipped_locales() -> tuple[str, ...]:
    """English first, then every language with a catalogue, in code order (en_GB, de, fr...)."""
    found = sorted(
        folder.name for folder in LOCALE_DIR.iterdir()
        if (folder / "LC_MESSAGES" / f"{DOMAIN}.po").is_file() and folder.name != SOURCE_LOCALE
    ) if LOCALE_DIR.is_dir() else []
    english = [code for code in found if code.startswith("en")]
    return (SOURCE_LOCALE, *english, *[code for code in found if code not in english])


def is_shipped(code: str | None) -> bool:
    return bool(code) and code in shipped_locales()


def language_name(code: str) -> str:
    """The language in its own words, as a picker lists it: 'English (United States)', 'Deutsch'."""
    locale = Locale.parse(SOURCE_FORMATS if code == SOURCE_LOCALE else code)
    name = locale.get_display_name(locale) or code
    return name[:1].upper() + name[1:]


def language_label(code: str | None) -> str:
    """For staff pages (English): the seller's language in English, or what the browser decides."""
    if not is_shipped(code):
        return "the language their browser asks for"
    name = Locale.parse(SOURCE_FORMATS if code == SOURCE_LOCALE else code).get_display_name("en")
    return f"{name} ({html_lang(code)})"


@functools.cache
def language_choices() -> tuple[tuple[str, str], ...]:
    """The picker's (code, name) pairs: each name is in its own language, so one list serves every
    request (Babel's locale data is parsed once per process, not on every page)."""
    return tuple((code, language_name(code)) for code in shipped_locales())


def html_lang(code: str) -> str:
    """BCP 47 for <html lang>, Connect.js and Content-Language: 'en', 'en-GB', 'de'."""
    return code.replace("_", "-")


def connect_js_locale(code: str) -> str:
    """Connect.js takes a full locale ('de-DE' would pick German German); Stripe's list has 'en-US',
    'en-GB', 'fr-FR', 'de-DE', 'es-ES', 'it-IT', 'nl-NL', 'ja-JP' among others."""
    if "_" in code:
        return html_lang(code)
    territory = {"en": "US", "ja": "JP"}.get(code, code.upper())
    return f"{code}-{territory}"


# Negotiation ---------------------------------------------------------------------------------

def accepted_languages(header: str) -> list[str]:
    """Accept-Language's languages, most wanted first ('de-DE,de;q=0.9,en;q=0.8' -> de_DE, de, en).
    A malformed part is skipped, not an error: the header is the browser's, and only advice."""
    ranked = []
    for position, part in enumerate(header.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*" or len(tag) > 35 or not all(piece.isalnum() for piece in tag.split("-")):
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, tag.replace("-", "_")))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(header: str) -> str | None:
    """The shipped language that best answers Accept-Language, or None. English as written in
    Britain, Australia, Ireland... reads en_GB's spellings; an English without a region reads en."""
    preferred = accepted_languages(header)
    available = list(shipped_locales())
    found = negotiate_locale(preferred, available, sep="_", aliases={})
    if found == SOURCE_LOCALE and "en_GB" in available:
        first_english = next((tag for tag in preferred if tag.lower().startswith("en")), "")
        if first_english.lower() in ("en_au", "en_nz", "en_ie", "en_za", "en_in"):
            return "en_GB"
    return found


def browser_locale(headers: Headers, cookies: dict[str, str], fallback: str) -> str:
    """What this browser asks for, before we know who is signed in: the picked language (cookie),
    else Accept-Language, else the platform default."""
    picked = cookies.get(COOKIE, "")
    if is_shipped(picked):
        return picked
    return negotiate(headers.get("accept-language", "")) or fallback


class LocaleMiddleware:
    """Sets the request's language (current_locale()) before anything else reads a word, and says
    on every answer that it depends on the cookie and Accept-Language."""

    def __init__(self, app: ASGIApp, *, default: str):
        self.app = app
        self.default = default if is_shipped(default) else SOURCE_LOCALE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(ENGLISH_ONLY_PREFIXES):
            code = SOURCE_LOCALE
        else:
            headers = Headers(scope=scope)
            code = browser_locale(headers, _cookies(headers), self.default)
        token = _current.set(code)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)


def _cookies(headers: Headers) -> dict[str, str]:
    """The request's cookies, when one of them may be the picked language (most requests carry only
    the session's: parsing it here, to find nothing, cost more than the look)."""
    from starlette.requests import cookie_parser

    header = headers.get("cookie", "")
    return cookie_parser(header) if COOKIE in header else {}


# The request's language ----------------------------------------------------------------------

def current_locale() -> str:
    return _current.get()


def use_locale(code: str | None) -> None:
    """Speak `code` for the rest of this request (the signed-in seller's saved choice)."""
    if is_shipped(code):
        _current.set(code)


@contextlib.contextmanager
def using_locale(code: str | None) -> Iterator[str]:
    """Speak `code` inside the block (a mail to a seller, whoever's request sends it); an unknown
    or empty code keeps the language already spoken."""
    token = _current.set(code if is_shipped(code) else _current.get())
    try:
        yield _current.get()
    finally:
        _current.reset(token)


# Catalogues ----------------------------------------------------------------------------------

def catalogue_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(code: str) -> NullTranslations:
    """The language's catalogue, compiled in memory from its .po once per process. Untranslated
    messages (empty, or fuzzy: a translator's draft) fall back to English, plural ones included."""
    if code == SOURCE_LOCALE or not is_shipped(code):
        return NullTranslations()
    with catalogue_path(code).open("rb") as source:
        catalog = read_po(source, locale=code, domain=DOMAIN)
    for message in list(catalog):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.id and (not all(strings) or message.fuzzy):
            del catalog[message.id]
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def _format(text: str, variables: dict) -> str:
    return text % variables if variables else text


def gettext(message: str, /, **variables) -> str:
    """`message` in the request's language, with its named placeholders filled in:
    gettext("Sent to %(email)s.", email=address)."""
    return _format(translations(current_locale()).gettext(message), variables)


def ngettext(singular: str, plural: str, count: int, /, **variables) -> str:
    """The form for `count` in the request's language (`count` is also `%(num)s` in the text)."""
    variables.setdefault("num", count)
    return _format(translations(current_locale()).ngettext(singular, plural, count), variables)


def lazy_gettext(message: str, /, **variables) -> LazyProxy:
    """For words written where no request is under way yet (module constants, tables): turned into
    text in the language spoken when they are shown."""
    return LazyProxy(gettext, message, enable_cache=False, **variables)


class Refusal(str):
    """Words that refuse for a while (too many attempts): the page answers 429, whatever the language."""


def N_(message: str) -> str:
    """Marks words for the catalogue where they are written; translated later with gettext(...)."""
    return message


_ = gettext


# The words the pages' scripts write (static/*.js): given to them, translated, as one JSON block
# in base.html (#portal-words); a script falls back to its English when a key is missing.
SCRIPT_WORDS = {
    "load_failed": N_("We couldn't load %(what)s just now."),
    "this_section": N_("this section"),
    "notification-banner": N_("your account notifications"),
    "payouts": N_("your balance and payouts"),
    "payments": N_("your payments"),
    "disputes-list": N_("your disputes"),
    "account-management": N_("your account details"),
    "documents": N_("your documents"),
    "signed_out": N_("You have been signed out."),
    "sign_in_again": N_("Sign in again"),
    "try_again": N_("Try again"),
    "session_failed": N_("The portal could not start a session (%(status)s)."),
    "something_wrong": N_("Something went wrong. Try again."),
    "passkey_cancelled": N_("The passkey request was cancelled or timed out. Try again."),
    "passkey_exists": N_("This device already has a passkey for your account."),
    "passkey_address": N_("Passkeys work only at the portal's own address."),
    "passkey_unsupported": N_("This browser cannot use passkeys."),
    "no_industries": N_("No industries match “%(query)s”. Try another word."),
    "one_industry": N_("1 industry matches."),
    "industries": N_("%(count)s industries match."),
    "search_industries": N_("Search industries"),
    "selected": N_("Selected %(name)s."),
}


def script_words() -> dict[str, str]:
    """SCRIPT_WORDS in the request's language; placeholders stay for the script to fill."""
    catalogue = translations(current_locale())
    return {key: catalogue.gettext(message) for key, message in SCRIPT_WORDS.items()}


@functools.lru_cache(maxsize=64)
def _script_words_json(code: str, dumps, dumps_kwargs: tuple) -> Markup:
    with using_locale(code):
        return htmlsafe_json_dumps(script_words(), dumps=dumps, **dict(dumps_kwargs))


# Jinja2 -----------------------------------------------------------------------------------

def install(env) -> None:
    """Jinja2's i18n extension (added by web.make_templates) reading the request's language. Every
    {% trans %} block is trimmed, as `pybabel extract` is told in babel.cfg."""
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(
        lambda message: translations(current_locale()).gettext(message),
        lambda singular, plural, count: translations(current_locale()).ngettext(singular, plural, count),
        newstyle=True,
    )
    # `_` and {% trans %} go straight to template_gettext, not through the extension's alias and
    # wrapper (three calls through Jinja's context per message); ngettext keeps the extension's.
    env.globals["gettext"] = env.globals["_"] = template_gettext

    def script_words_json() -> Markup:
        """script_words()|tojson, written once per language (the JSON policies are the filter's)."""
        kwargs = env.policies["json.dumps_kwargs"]
        return _script_words_json(current_locale(), env.policies["json.dumps_function"],
                                  tuple(sorted(kwargs.items())) if kwargs else ())

    env.globals["script_words_json"] = script_words_json
    env.globals["current_locale"] = current_locale
    env.globals["html_lang"] = lambda: html_lang(current_locale())
    env.globals["language_choices"] = language_choices
    env.globals["language_label"] = language_label
    env.globals["script_words"] = script_words
    env.globals["connect_locale"] = lambda: connect_js_locale(current_locale())
    env.filters["number"] = format_number
    env.filters["country_name"] = country_name
    # Words are str, or lazy (lazy_gettext) until shown: both are text to a template.
    env.tests["text"] = lambda value: isinstance(value, (str, LazyProxy))


@pass_context
def template_gettext(context, message, /, **variables):
    """What Jinja's newstyle gettext returns (jinja2.ext._make_new_gettext): the translation, as
    Markup when the template escapes, always %-formatted with `variables` (escaped), so "%%" is
    "%" with or without them. The Markup of a message in a language is made once: a page asks for
    the same few hundred."""
    if not context.eval_ctx.autoescape:
        return translations(current_locale()).gettext(message) % variables
    if type(message) is not str:  # a Markup or lazy text: not worth keeping
        return Markup(translations(current_locale()).gettext(message)) % variables
    if variables:
        return _translated_markup(current_locale(), message) % variables
    return _translated_alone(current_locale(), message)


# Bounded: a template may translate text it was given (a label), not only its own literals.
@functools.lru_cache(maxsize=8192)
def _translated_markup(code: str, message: str) -> Markup:
    return Markup(translations(code).gettext(message))


@functools.lru_cache(maxsize=8192)
def _translated_alone(code: str, message: str) -> Markup:
    return _translated_markup(code, message) % {}


# Numbers, money and dates --------------------------------------------------------------------

def formats_locale(code: str | None = None) -> str:
    code = code or current_locale()
    return SOURCE_FORMATS if code == SOURCE_LOCALE else code


def country_name(code: str, locale: str | None = None) -> str:
    """A country in the reader's language, from CLDR (Babel): 'DE' -> 'Germany', 'Deutschland', 'Allemagne'."""
    return Locale.parse(formats_locale(locale)).territories.get((code or "").upper(), code)


def format_number(value, locale: str | None = None) -> str:
    return format_decimal(value, locale=formats_locale(locale))


def format_money(amount: int | None, currency: str = "usd", locale: str | None = None) -> str:
    """Stripe's minor units in the currency's own form, written the reader's way: '$1,234.56'
    (en), '1.234,56 €' (de), '1 234,56 €' (fr), '￥1,200' (ja; the yen has no minor unit, as in Stripe)."""
    if amount is None:
        return ""
    code = currency.upper()
    try:
        return format_currency(Decimal(amount).scaleb(-get_currency_precision(code)), code, locale=formats_locale(locale))
    except (ValueError, KeyError, UnknownLocaleError):  # a currency Babel does not know: its code, two decimals
        return f"{'-' if amount < 0 else ''}{code} {abs(amount) / 100:,.2f}"


def format_timestamp(value, with_time: bool = False, locale: str | None = None) -> str:
    """Stripe's unix seconds (or a datetime or date) as a date people read, in UTC: 'Dec 6, 2026'
    (en), '06.12.2026' (de), '6 déc. 2026' (fr), '2026/12/06' (ja); with the time, '15:04 UTC' after it."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
    else:
        moment = datetime.fromtimestamp(int(value), tz=UTC)
    where = formats_locale(locale)
    text = babel_format_date(moment, "medium", locale=where)
    if with_time:
        text += " " + babel_format_time(moment, "HH:mm", tzinfo=UTC, locale=where) + " UTC"
    return text
