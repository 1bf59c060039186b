"""Checks for what a seller types into the onboarding form, before Stripe sees it.

Each `*_problem` function returns None when the value will do, or one sentence for the seller
saying what is wrong and how to fix it. Each `normalize_*` turns a value that passed into the
form Stripe expects; it raises ValueError for a value that did not pass (except
`normalize_number`, which only strips separators). Rules that differ by country come from
the country's description in portal.countries (an unsupported country is a programming error,
KeyError, checked for the seller by `country_problem`). Stripe's
test-mode magic values (docs.stripe.com/connect/testing) are accepted only when the caller
says `test_mode=True`.
"""

import functools
import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from schwifty import IBAN

from portal.i18n import gettext as _, lazy_gettext as _l
from portal import countries
from portal.countries.catalogue import TEST_IBAN_BODIES

from portal.onboarding.domain import registrable_domain, to_ascii

NAME_MAX = 100
BUSINESS_NAME_MAX = 100
JOB_TITLE_MAX = 100
URL_MAX = 500
PRODUCT_DESCRIPTION_MIN = 10  # Stripe: invalid_product_description_length below this
PRODUCT_DESCRIPTION_MAX = 1000
ADDRESS_LINE_MAX = 200
CITY_MAX = 100
MIN_AGE = 18  # Stripe's minimum for accounts the platform onboards (invalid_dob_age_under_18)
MAX_AGE = 120  # Stripe: invalid_dob_age_over_maximum beyond the last 120 years
DESCRIPTOR_MIN, DESCRIPTOR_MAX = 5, 22
DESCRIPTOR_PREFIX_MIN, DESCRIPTOR_PREFIX_MAX = 2, 10

# Stripe's test dates of birth, all older than MAX_AGE (1900: OFAC alert, 1901: success,
# 1902: immediate success).
TEST_DATES_OF_BIRTH = frozenset({date(1900, 1, 1), date(1901, 1, 1), date(1902, 1, 1)})
TEST_PHONE_DIGITS = "0000000000"  # stored by Stripe as +10000000000


def _clean(raw: object) -> str:
    """Text as a person meant it: composed Unicode, outer and repeated spaces removed."""
    text = unicodedata.normalize("NFC", str(raw or ""))
    return " ".join(text.split())


_JOINERS = frozenset("\u200c\u200d")  # zero-width (non-)joiners, part of names in Indic scripts


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") and c not in _JOINERS for c in text)


def _digits(raw: object) -> str:
    """The digits of a number typed with spaces, dashes or dots between them; "" otherwise."""
    text = _clean(raw).replace(" ", "").replace("-", "").replace(".", "")
    return text if text.isascii() and text.isdigit() else ""


# Names ---------------------------------------------------------------------------------

_NAME_PUNCTUATION = frozenset("'’ʼ-‐‑. ") | _JOINERS


def person_name_problem(raw: object, *, label: str = _l("name")) -> str | None:
    """A person's first or last name: letters in any script, spaces, hyphens, apostrophes
    and periods (for "Jr." or an initial)."""
    name = _clean(raw)
    if not name:
        return _("Enter the %(label)s.", label=label)
    if len(name) > NAME_MAX:
        return _("Shorten the %(label)s to %(name_max)s characters or fewer.", label=label, name_max=NAME_MAX)
    if any(c.isdigit() for c in name):
        return _("Remove the numbers from the %(label)s.", label=label)
    odd = [c for c in name if not (c.isalpha() or unicodedata.category(c).startswith("M") or c in _NAME_PUNCTUATION)]
    if odd or _has_control(name):
        return _("The %(label)s can only contain letters, spaces, hyphens, apostrophes and periods.", label=label)
    if not name[0].isalpha():
        return _("Start the %(label)s with a letter.", label=label)
    return None


def normalize_person_name(raw: object) -> str:
    if person_name_problem(raw):
        raise ValueError("invalid name")
    return _clean(raw)


def _business_name_problem(name: str, label: str) -> str | None:
    if len(name) > BUSINESS_NAME_MAX:
        return _("Shorten the %(label)s to %(business_name_max)s characters or fewer.", label=label, business_name_max=BUSINESS_NAME_MAX)
    if _has_control(name) or any(c in "<>{}[]\\|^~`" for c in name):
        return _("Remove symbols such as < > { } [ ] \\ | from the %(label)s.", label=label)
    if not any(c.isalpha() for c in name):
        return _("The %(label)s needs letters, not only numbers or symbols.", label=label)
    return None


def business_name_problem(raw: object, *, label: str = _l("legal business name")) -> str | None:
    """The legal name, as registered with the IRS or the state."""
    name = _clean(raw)
    if not name:
        return _("Enter the %(label)s, exactly as it appears on your tax documents.", label=label)
    return _business_name_problem(name, label)


def dba_problem(raw: object) -> str | None:
    """The doing-business-as name customers know; optional."""
    name = _clean(raw)
    return _business_name_problem(name, _("doing-business-as name")) if name else None


def normalize_business_name(raw: object) -> str:
    return _clean(raw)


def job_title_problem(raw: object) -> str | None:
    title = _clean(raw)
    if not title:
        return _("Enter the job title, like Owner, CEO or Director.")
    if len(title) > JOB_TITLE_MAX:
        return _("Shorten the job title to %(job_title_max)s characters or fewer.", job_title_max=JOB_TITLE_MAX)
    if _has_control(title) or not any(c.isalpha() for c in title):
        return _("Enter a job title in words, like Owner, CEO or Director.")
    return None


# Website and description -----------------------------------------------------------------

def _with_scheme(url: str) -> str:
    return url if "://" in url else "https://" + url


def website_problem(raw: object) -> str | None:
    url = _clean(raw)
    if not url:
        return _("Enter your business website, like https://yourbusiness.com.")
    if " " in url or _has_control(url):
        return _("Remove the spaces from the website address.")
    if len(url) > URL_MAX:
        return _("Shorten the website address to %(url_max)s characters or fewer; your home page will do.", url_max=URL_MAX)
    try:
        parts = urlsplit(_with_scheme(url))
        host, port = parts.hostname, parts.port
    except ValueError:
        return _("Enter the website address like https://yourbusiness.com.")
    if parts.scheme not in ("http", "https"):
        return _("Start the website address with https:// (or http://).")
    if parts.username or parts.password:
        return _("Remove the user name and password from the website address.")
    if port not in (None, 80, 443):
        return _("Remove the port number (the :1234 part) from the website address.")
    if not host:
        return _("Enter the website address like https://yourbusiness.com.")
    ascii_host = to_ascii(host)
    if ascii_host is None or "." not in ascii_host or ascii_host.replace(".", "").isdigit() or ":" in host:
        return _("Use your website's domain name, like yourbusiness.com, not an IP address or a local name.")
    if registrable_domain(ascii_host) is None:
        return _("%(host)s isn't on a domain we recognize. Check the ending, like .com or .co.uk.", host=host)
    return None


def normalize_website(raw: object) -> str:
    """`Example.com/shop` -> `https://example.com/shop`: scheme added, host lower case and in
    A-labels (`münchen.de` -> `xn--mnchen-3ya.de`), which every URL parser accepts."""
    if website_problem(raw):
        raise ValueError("invalid website")
    parts = urlsplit(_with_scheme(_clean(raw)))
    host = to_ascii(parts.hostname)
    host = host if parts.hostname.removeprefix("www.") == parts.hostname else f"www.{host}"
    netloc = host if parts.port in (None, 80, 443) else f"{host}:{parts.port}"
    return parts._replace(netloc=netloc).geturl()


def product_description_problem(raw: object, *, website: str = "") -> str | None:
    """What the business sells; Stripe asks for it when there is no website."""
    text = _clean(raw)
    if not text:
        return _("Describe what you sell and how you deliver it, in a sentence or two.")
    if len(text) < PRODUCT_DESCRIPTION_MIN:
        return _("Tell us a little more: at least %(product_description_min)s characters about what you sell.", product_description_min=PRODUCT_DESCRIPTION_MIN)
    if len(text) > PRODUCT_DESCRIPTION_MAX:
        return _("Shorten the description to %(product_description_max)s characters or fewer.", product_description_max=PRODUCT_DESCRIPTION_MAX)
    if website and text.lower().rstrip("/") in {_clean(website).lower().rstrip("/"), _with_scheme(_clean(website)).lower().rstrip("/")}:
        return _("Describe what you sell in words; your website address alone isn't a description.")
    return None


# Phone and email --------------------------------------------------------------------------

def _parse_phone(raw: object, country: str) -> phonenumbers.PhoneNumber | None:
    text = _clean(raw)
    if not text or len(text) > 40:
        return None
    try:
        return phonenumbers.parse(text, _rules(country).phone_region)
    except phonenumbers.NumberParseException:
        return None


def _is_test_phone(raw: object) -> bool:
    text = _clean(raw)
    digits = re.sub(r"[\s()+.-]", "", text)
    return digits in (TEST_PHONE_DIGITS, "1" + TEST_PHONE_DIGITS) and (text.startswith("+") <= digits.startswith("1"))


def phone_problem(raw: object, *, country: str = "US", test_mode: bool = False,
                  label: str = _l("phone number")) -> str | None:
    if not _clean(raw):
        return _("Enter the %(label)s.", label=label)
    if test_mode and _is_test_phone(raw):
        return None
    number = _parse_phone(raw, country)
    if number is None or not phonenumbers.is_valid_number(number):
        example, international = phone_examples(country)
        return _("Enter the %(label)s with its area code, like %(example)s, or in international format starting with +, "
                 "like %(international)s.", label=label, example=example, international=international)
    return None


@functools.cache
def phone_examples(country: str) -> tuple[str, str]:
    """A mobile number of the country as written there and internationally: libphonenumber's own
    example (a number kept for examples), so a seller in Germany is not shown an American one. Its
    spaces do not break: a narrow screen shows each number on one line."""
    region = _rules(country).phone_region
    number = (phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
              or phonenumbers.example_number(region) or phonenumbers.example_number("US"))
    return tuple(phonenumbers.format_number(number, form).replace(" ", "\u00a0")
                 for form in (phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def normalize_phone(raw: object, *, country: str = "US", test_mode: bool = False) -> str:
    """E.164, like +12015550123."""
    if phone_problem(raw, country=country, test_mode=test_mode):
        raise ValueError("invalid phone number")
    if test_mode and _is_test_phone(raw):
        return "+1" + TEST_PHONE_DIGITS
    return phonenumbers.format_number(_parse_phone(raw, country), phonenumbers.PhoneNumberFormat.E164)


def email_problem(raw: object, *, label: str = _l("email address")) -> str | None:
    text = _clean(raw)
    if not text:
        return _("Enter the %(label)s.", label=label)
    try:
        validate_email(text, check_deliverability=False)
    except (EmailNotValidError, ValueError) as exc:
        return _("Enter a valid %(label)s, like you@yourbusiness.com (%(exc)s).", label=label, exc=str(exc).rstrip('.'))
    return None


def normalize_email(raw: object) -> str:
    return validate_email(_clean(raw), check_deliverability=False).normalized.lower()


# Statement descriptor -----------------------------------------------------------------------

_DESCRIPTOR_FORBIDDEN = "<>\\'\"*"
# Words that say nothing about which business charged the card (Stripe rejects descriptors
# that are "a single common term": invalid_statement_descriptor_denylisted).
_GENERIC_WORDS = frozenset({
    "ONLINE", "STORE", "SHOP", "SHOPPING", "PAYMENT", "PAYMENTS", "SERVICE", "SERVICES",
    "PURCHASE", "ORDER", "ORDERS", "SALE", "SALES", "WWW", "COM", "NET", "ORG", "HTTP",
    "HTTPS", "INC", "LLC", "LTD", "CORP", "CO", "COMPANY", "THE", "AND", "OF", "MY", "OUR",
    "BUSINESS", "WEBSITE", "WEB", "APP", "SUBSCRIPTION", "DONATION", "CHARGE", "BILL",
    "BILLING", "INVOICE", "CARD", "STRIPE", "TEST", "RETAIL", "GOODS", "PRODUCTS",
})


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Z0-9]+", text.upper())


def _distinctive(text: str) -> list[str]:
    return [w for w in _words(text) if w not in _GENERIC_WORDS and len(w) >= 3 and not w.isdigit()]


def _website_label(website: str) -> str:
    """`https://shop.rocketrides.co.uk` -> `rocketrides`: the name part of the domain."""
    host = to_ascii(urlsplit(_with_scheme(_clean(website))).hostname or "") if website else None
    registrable = registrable_domain(host) if host else None
    return registrable.split(".")[0] if registrable else ""


def _reflects(descriptor: str, sources: list[str]) -> bool:
    compact = "".join(_words(descriptor))
    for source in sources:
        source_compact = "".join(w for w in _words(source) if w not in {"INC", "LLC", "LTD", "CORP", "CO"})
        if len(source_compact) >= 3 and (source_compact in compact or compact in source_compact):
            return True
        if any(word in compact for word in _distinctive(source)):
            return True
        if any(word in source_compact for word in _distinctive(descriptor)):
            return True
    return False


def _descriptor_characters_problem(text: str, what: str) -> str | None:
    forbidden = sorted({c for c in text if c in _DESCRIPTOR_FORBIDDEN})
    if forbidden:
        return _("Remove %(forbidden)s from the %(what)s: card statements can't show < > \\ ' \" or *.", forbidden=' '.join(forbidden), what=what)
    if not text.isascii() or _has_control(text):
        shown = next(c for c in text if not c.isascii() or _has_control(c))
        return _("Use only Latin letters A–Z, numbers, spaces and simple punctuation in the %(what)s (not “%(shown)s”).", what=what, shown=shown)
    return None


def statement_descriptor_problem(raw: object, *, business_name: str = "", dba: str = "",
                                 website: str = "", required: bool = True) -> str | None:
    """Stripe's rules for the name on customers' card statements
    (docs.stripe.com/get-started/account/statement-descriptors): 5-22 Latin characters, at
    least one letter, none of < > \\ ' " *, and recognizably the business's name, DBA or
    website. The last rule is checked only against the names given."""
    text = _clean(raw)
    if not text:
        return _("Enter the name customers will see on their card statements.") if required else None
    problem = _descriptor_characters_problem(text, _("statement descriptor"))
    if problem:
        return problem
    if not DESCRIPTOR_MIN <= len(text) <= DESCRIPTOR_MAX:
        return (_("Use %(descriptor_min)s to %(descriptor_max)s characters for the statement descriptor (this one has %(text)s).", descriptor_min=DESCRIPTOR_MIN, descriptor_max=DESCRIPTOR_MAX, text=len(text)))
    if not any(c.isalpha() for c in text):
        return _("Include at least one letter: a statement descriptor can't be only numbers or symbols.")
    if not _distinctive(text):
        return _("“%(descriptor)s” is too general for customers to recognize. Use your business name, like %(suggestion)s.",
                 descriptor=text.upper(), suggestion=suggest_statement_descriptor(business_name, dba, website) or "ROCKET RIDES")
    sources = [s for s in (dba, business_name, _website_label(website)) if _clean(s)]
    if sources and not _reflects(text, sources):
        return (_("Use your business name, doing-business-as name or website in the statement descriptor so customers recognize the charge, like %(website)s.", website=suggest_statement_descriptor(business_name, dba, website)))
    return None


def statement_descriptor_prefix_problem(raw: object, *, required: bool = False) -> str | None:
    """The short prefix Stripe puts before a per-charge suffix: 2-10 characters."""
    text = _clean(raw)
    if not text:
        return _("Enter a short statement descriptor prefix.") if required else None
    problem = _descriptor_characters_problem(text, _("prefix"))
    if problem:
        return problem
    if not DESCRIPTOR_PREFIX_MIN <= len(text) <= DESCRIPTOR_PREFIX_MAX:
        return _("Use %(descriptor_prefix_min)s to %(descriptor_prefix_max)s characters for the prefix (this one has %(text)s).", descriptor_prefix_min=DESCRIPTOR_PREFIX_MIN, descriptor_prefix_max=DESCRIPTOR_PREFIX_MAX, text=len(text))
    if not any(c.isalpha() for c in text):
        return _("Include at least one letter in the prefix.")
    return None


def normalize_statement_descriptor(raw: object) -> str:
    """Upper case, as statements print it."""
    return _clean(raw).upper()


def suggest_statement_descriptor(business_name: str = "", dba: str = "", website: str = "") -> str:
    """A descriptor that passes the rules, from the DBA, else the legal name, else the
    website (Stripe derives one the same way when none is given); "" if nothing fits."""
    candidates = [dba, business_name, _website_label(website)]
    for candidate in candidates:
        words = [w for w in _words(unicodedata.normalize("NFKD", _clean(candidate)).encode("ascii", "ignore").decode())
                 if w not in {"INC", "LLC", "LTD", "CORP"}]
        text = ""
        for word in words:
            if len(text) + len(word) + (1 if text else 0) > DESCRIPTOR_MAX:
                break
            text = f"{text} {word}" if text else word
        if len(text) >= DESCRIPTOR_MIN and any(c.isalpha() for c in text) and _distinctive(text):
            return text
    return ""


# Date of birth -------------------------------------------------------------------------------

def _parse_iso_date(raw: object) -> date | None:
    text = _clean(raw)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def dob_from_parts(day: object, month: object, year: object) -> str:
    """Three form inputs -> "YYYY-MM-DD" for dob_problem; "" when they are not numbers."""
    parts = [_digits(day), _digits(month), _digits(year)]
    if not all(parts) or len(parts[2]) != 4 or len(parts[0]) > 2 or len(parts[1]) > 2:
        return ""
    return f"{parts[2]}-{int(parts[1]):02d}-{int(parts[0]):02d}"


def _age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def dob_problem(raw: object, *, today: date | None = None, test_mode: bool = False,
                min_age: int = MIN_AGE) -> str | None:
    """A date of birth as "YYYY-MM-DD" (what <input type=date> sends)."""
    if not _clean(raw):
        return _("Enter the date of birth.")
    born = _parse_iso_date(raw)
    if born is None:
        return _("Enter a real date of birth, like 1985-04-23 (year, month, day).")
    today = today or date.today()
    if test_mode and born in TEST_DATES_OF_BIRTH:
        return None
    if born > today:
        return _("The date of birth can't be in the future.")
    if _age_on(born, today) < min_age:
        return _("The person must be at least %(min_age)s years old to be on a Stripe account.", min_age=min_age)
    if _age_on(born, today) > MAX_AGE:
        return _("Check the year of birth: it is more than %(max_age)s years ago.", max_age=MAX_AGE)
    return None


def normalize_dob(raw: object) -> dict[str, int]:
    """{"day", "month", "year"}, as Stripe's `dob` takes it."""
    born = _parse_iso_date(raw)
    if born is None:
        raise ValueError("invalid date of birth")
    return {"day": born.day, "month": born.month, "year": born.year}


# Identity, tax and bank numbers -------------------------------------------------------------
#
# Which numbers a country has, their words and their checks come from portal.countries; the
# functions here are written once over that data. Stripe's test values
# (docs.stripe.com/connect/testing) pass in test mode even where the real rules refuse them,
# so the e2e journeys can trigger every outcome.

US_STATES = countries.get("US").address.subdivisions
US_TEST_SSNS = {"000000000": "verifies", "111111111": "fails to match", "222222222": "verifies at once"}
US_TEST_EINS = {"000000000": "verifies", "000000001": "verifies as a non-profit",
                "111111111": "fails to match", "111111112": "is not issued", "222222222": "verifies at once"}


def _rules(country: str) -> countries.Country:
    """The description of a supported country; an unsupported one is a programming error."""
    return countries.get(country)


def _compact(raw: object) -> str:
    """A number as its checks read it: separators gone, letters upper case."""
    return re.sub(r"[\s.\-/]", "", _clean(raw)).upper()


def ssn_last4_problem(raw: object) -> str | None:
    digits = _digits(raw)
    if not _clean(raw):
        return _("Enter the last 4 digits of the Social Security number.")
    if len(digits) != 4:
        return _("Enter exactly 4 digits: the last four of the Social Security number.")
    return None


def national_number_hint(number: countries.IdNumber) -> str:
    """What a good number looks like (also Stripe's refusals' words, stripe_errors)."""
    return _("Enter the %(short)s with its letters and digits only, like %(example)s.", short=number.short, example=number.example)


def _national_number_problem(raw: object, number: countries.IdNumber, test_mode: bool, *, what: str) -> str | None:
    value = _compact(raw)
    if not value:
        return _("Enter the %(label)s.", label=number.label)
    if test_mode and value in number.test_values:
        return None
    if not value.isascii() or not value.isalnum():
        return national_number_hint(number)
    try:
        valid = number.is_valid(value)
    except Exception:  # a library's check refusing odd input is a wrong number, not our error
        valid = False
    if not valid:
        return _("This isn't a valid %(short)s: check it against %(what)s. It looks like %(example)s.", short=number.short, what=what, example=number.example)
    return None


def country_problem(raw: object, allowed: Mapping | None = None) -> str | None:
    allowed = countries.COUNTRIES if allowed is None else allowed
    if _clean(raw).upper() not in allowed:
        names = ", ".join(sorted(country.name for country in allowed.values()))
        return _("We can onboard businesses in %(names)s for now.", names=names)
    return None


def id_number_problem(raw: object, *, country: str = "US", test_mode: bool = False) -> str | None:
    """A person's full national id number (SSN in the US, SIN in Canada...)."""
    number = _rules(country).id_number
    if number is None:
        return None
    if country.upper() == "US" and _clean(raw) and len(_digits(raw)) != 9:
        return _("Enter all 9 digits of the Social Security number, like 123-45-6789.")
    if not _clean(raw) and country.upper() == "US":
        return _("Enter the full 9-digit Social Security number.")
    return _national_number_problem(raw, number, test_mode, what=_("the card or letter it is printed on"))


def tax_id_problem(raw: object, *, country: str = "US", test_mode: bool = False) -> str | None:
    """A company's tax id in its country's kind (EIN, Business Number, Company Number...)."""
    number = _rules(country).tax_id
    if country.upper() == "US":
        digits = _digits(raw)
        if not _clean(raw):
            return _("Enter the 9-digit Employer Identification Number (EIN).")
        if len(digits) != 9:
            return _("Enter all 9 digits of the EIN, like 12-3456789.")
        if not (test_mode and digits in number.test_values) and not number.is_valid(digits):
            return _("This isn't a valid EIN. Check it against your IRS letter (CP 575).")
        return None
    return _national_number_problem(raw, number, test_mode, what=_("your registration documents"))


def register_entry_problems(number: object, registrar: object, *, country: str) -> dict[str, str]:
    """A company's register entry where the country has one beside its tax id (Germany: the
    Handelsregisternummer at its Registergericht, Stripe's registration_number and
    tax_id_registrar). Optional, but the two go together; checked together as the register
    writes them (stdnum.de.handelsregisternummer knows the courts)."""
    from stdnum.de import handelsregisternummer

    data = _rules(country)
    if data.registration_number is None:
        return {}
    number, registrar = _clean(number), _clean(registrar)
    label = data.registration_number.short
    if not number and not registrar:
        return {}
    if not registrar:
        return {"tax_id_registrar": _("Choose the register court (Registergericht) that keeps your %(label)s.", label=label)}
    if registrar not in data.registrars:
        return {"tax_id_registrar": _("Choose the register court from the list.")}
    if not number:
        return {"registration_number": _("Enter the %(label)s, like %(example)s, or leave the court empty.", label=label,
                                           example=data.registration_number.example)}
    if not data.registration_number.is_valid(_compact(number)) or not handelsregisternummer.is_valid(f"{registrar} {number}"):
        return {"registration_number": _("Enter the %(label)s as the register writes it, like %(example)s.", label=label,
                                           example=data.registration_number.example)}
    return {}


def vat_id_problem(raw: object, *, country: str) -> str | None:
    """An optional VAT number, in the country's own format (DE: USt-IdNr., check digit)."""
    number = _rules(country).vat_id
    value = _compact(raw)
    if number is None or not value:
        return None
    if not number.is_valid(value if value.startswith(country.upper()) else country.upper() + value):
        return _("This isn't a valid %(short)s: it looks like %(example)s.", short=number.short, example=number.example)
    return None


def normalize_vat_id(raw: object, *, country: str) -> str:
    value = _compact(raw)
    return value if value.startswith(country.upper()) else country.upper() + value


def normalize_number(raw: object) -> str:
    """Separators removed: "123-45-6789" -> "123456789", "" for nothing typed. Unlike the
    other normalizers it never raises, so a form can store what was typed before checking
    it; anything that is not digits stays as it was for the `*_problem` check to explain."""
    return re.sub(r"[\s.\-]", "", _clean(raw))


# Address -------------------------------------------------------------------------------------

def area_hint(country: str) -> str:
    """What a good state, province or prefecture is (also Stripe's refusals' words, stripe_errors)."""
    layout = _rules(country).address
    if layout.subdivisions:
        return _("Choose the %(area_label)s from the list.", area_label=layout.area_label)
    return _("Enter the %(area_label)s.", area_label=layout.area_label)


def state_problem(raw: object, *, country: str = "US") -> str | None:
    layout = _rules(country).address
    value = _clean(raw)
    if not value:
        return area_hint(country) if "state" in layout.required else None
    if not layout.subdivisions:
        return None
    if value.upper() not in {code.upper() for code, _ in layout.subdivisions}:
        return area_hint(country)
    return None


def _postal_candidates(raw: object) -> list[str]:
    """How a postcode may be written: as typed (upper case), without separators, and a 9-digit
    ZIP with its dash back."""
    text = unicodedata.normalize("NFKC", _clean(raw)).upper().replace("\u30fc", "-").replace("\u2212", "-")
    compact = text.replace(" ", "").replace("-", "")
    candidates = [text, compact]
    if compact.isdigit() and len(compact) == 7:
        candidates.insert(0, f"{compact[:3]}-{compact[3:]}")  # Japan's 〒NNN-NNNN
    if compact.isdigit() and len(compact) == 9:
        candidates.append(f"{compact[:5]}-{compact[5:]}")
    if len(compact) > 3 and compact.isalnum() and not compact.isdigit():
        candidates.insert(0, f"{compact[:-3]} {compact[-3:]}")  # UK and Canadian outward + inward code
    return candidates


def _matching_postal_code(raw: object, country: str) -> str | None:
    patterns = _rules(country).address.postal_patterns
    for candidate in _postal_candidates(raw):
        if all(pattern.fullmatch(candidate) for pattern in patterns):
            return candidate
    return None


def postal_code_hint(country: str) -> str:
    """What a good postcode looks like (also Stripe's refusals' words, stripe_errors)."""
    layout = _rules(country).address
    return _("Enter a %(postal_label)s like %(postal_examples)s.", postal_label=layout.postal_label,
             postal_examples=_(" or ").join(layout.postal_examples))


def postal_code_problem(raw: object, *, country: str = "US") -> str | None:
    layout = _rules(country).address
    if not _clean(raw):
        return _("Enter the %(postal_label)s.", postal_label=layout.postal_label) if "postal_code" in layout.required else None
    if _matching_postal_code(raw, country) is None:
        return postal_code_hint(country)
    return None


def _address_line_problem(raw: object, label: str, required: bool) -> str | None:
    text = _clean(raw)
    if not text:
        return _("Enter the %(label)s.", label=label) if required else None
    if len(text) > ADDRESS_LINE_MAX:
        return _("Shorten the %(label)s to %(address_line_max)s characters or fewer.", label=label, address_line_max=ADDRESS_LINE_MAX)
    if _has_control(text) or not any(c.isalnum() for c in text):
        return _("Enter the %(label)s in words and numbers.", label=label)
    return None


def city_problem(raw: object, *, label: str = _l("city")) -> str | None:
    text = _clean(raw)
    if not text:
        return _("Enter the %(label)s.", label=label)
    if len(text) > CITY_MAX:
        return _("Shorten the %(label)s to %(city_max)s characters or fewer.", label=label, city_max=CITY_MAX)
    if _has_control(text) or not any(c.isalpha() for c in text):
        return _("Enter the %(label)s's name in letters.", label=label)
    return None


def address_problems(address: Mapping[str, object], *, country: str = "US") -> dict[str, str]:
    """Problems by Stripe's address keys (line1, line2, city, state, postal_code) for the
    fields the country's layout has; empty when the address will do."""
    layout = _rules(country).address
    checks = {
        "line1": lambda v: _address_line_problem(v, _("street address"), required=True),
        "line2": lambda v: _address_line_problem(v, _("apartment, suite or unit"), required=False),
        "city": lambda v: city_problem(v, label=layout.city_label),
        "state": lambda v: state_problem(v, country=country),
        "postal_code": lambda v: postal_code_problem(v, country=country),
    }
    problems = {key: checks[key](address.get(key, "")) for key in layout.fields}
    return {key: problem for key, problem in problems.items() if problem}


def _subdivision_code(raw: object, layout: countries.AddressLayout) -> str:
    """The subdivision as the country's list writes it ("CA", "Co. Dublin"), whatever the case typed."""
    value = _clean(raw)
    return next((code for code, _ in layout.subdivisions if code.upper() == value.upper()), value.upper())


def normalize_address(address: Mapping[str, object], *, country: str = "US") -> dict[str, str]:
    """Stripe's address hash: cleaned lines, subdivision code upper case, postcode in its
    country's written form (a 9-digit ZIP with its dash, a UK postcode with its space)."""
    if address_problems(address, country=country):
        raise ValueError("invalid address")
    layout = _rules(country).address
    normalized = {
        "line1": _clean(address.get("line1")),
        "line2": _clean(address.get("line2")),
        "city": _clean(address.get("city")),
        "state": _subdivision_code(address.get("state"), layout) if "state" in layout.fields else "",
        "postal_code": (_matching_postal_code(address.get("postal_code"), country) or "") if "postal_code" in layout.fields else "",
        "country": country.upper(),
    }
    return {key: value for key, value in normalized.items() if value}


# Names and addresses in a country's scripts (Japan: kana and kanji) -----------------------------
#
# Stripe takes Japanese names and addresses twice, in kana and in kanji (countries.md JP). Kana
# fields here take katakana: what a keyboard gives in hiragana or half-width katakana becomes
# full-width katakana (NFKC, then hiragana moved to the katakana block), so a seller types as
# they usually do and Stripe gets one spelling. Kanji fields take any script (a name registered
# in katakana or Latin letters is still the name), with full-width Latin letters and digits made
# plain and half-width katakana made full-width.

_HALF_AND_FULL_WIDTH = range(0xFF00, 0xFFF0)
_KANA_NAME_EXTRA = frozenset(" ・ー")
_KANA_ADDRESS_EXTRA = frozenset(" ・ー-,.()/&'")


def _width_normalized(text: str) -> str:
    """Full-width Latin and digits made plain, half-width katakana made full-width; other
    characters (kanji among them) kept as typed."""
    mapped = "".join(unicodedata.normalize("NFKC", c) if ord(c) in _HALF_AND_FULL_WIDTH else c for c in text)
    return unicodedata.normalize("NFC", mapped)


def _as_katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if 0x3041 <= ord(c) <= 0x3096 else c for c in text)


def _is_katakana(c: str) -> bool:
    return 0x30A1 <= ord(c) <= 0x30FA or c in "ヽヾ"


def script_text(raw: object, kind: str) -> str:
    """What a script field becomes: cleaned, width normalized, hiragana as katakana for kana."""
    text = " ".join(_width_normalized(_clean(raw).replace("\u3000", " ")).split())
    return _as_katakana(text) if kind == "katakana" else text


def _first_not_katakana(text: str, extra: frozenset, *, latin: bool) -> str | None:
    for c in text:
        if _is_katakana(c) or c in extra or (latin and c.isascii() and c.isalnum()):
            continue
        return c
    return None


def script_name_problem(raw: object, script: countries.Script, *, label: str, company: bool = False) -> str | None:
    """A person's name part or a company's name (`company`) in one script. `label` is in the
    reader's language, so whether it names a company is said, not read from its words."""
    text = script_text(raw, script.kind)
    where = _("%(label)s %(script)s", label=label, script=script.label)
    if not text:
        return _("Enter the %(label)s.", label=where)
    if len(text) > NAME_MAX:
        return _("Shorten the %(label)s to %(name_max)s characters or fewer.", label=where, name_max=NAME_MAX)
    if script.kind != "katakana":
        return _business_name_problem(text, where) if company else person_name_problem(text, label=where)
    odd = _first_not_katakana(text, _KANA_ADDRESS_EXTRA if company else _KANA_NAME_EXTRA, latin=company)
    if odd:
        return _("Write the %(label)s in katakana, like %(example)s (not “%(character)s”).", label=label,
                 example=script.example_company if company else script.example_name, character=odd)
    return None


def script_address_line_problem(raw: object, script: countries.Script, *, label: str, required: bool) -> str | None:
    text = script_text(raw, script.kind)
    where = _("%(label)s %(script)s", label=label, script=script.label)
    problem = _address_line_problem(text, where, required)
    if problem or not text or script.kind != "katakana":
        return problem
    odd = _first_not_katakana(text, _KANA_ADDRESS_EXTRA, latin=True)
    if odd:
        return _("Write the %(label)s in katakana, Latin letters and numbers (not “%(character)s”).", label=label, character=odd)
    return None


SCRIPT_ADDRESS_LABELS = {"city": _l("city or ward"), "town": _l("town and chome"), "line2": _l("building and room")}


def script_fields(country: str) -> list[str]:
    """The form fields a country with scripts adds: first_name_kana, city_kanji..."""
    scripts = _rules(country).scripts
    names = [f"{part}_name_{s.suffix}" for s in scripts for part in ("last", "first")]
    return names + [f"{part}_{s.suffix}" for s in scripts for part in countries.SCRIPT_ADDRESS_PARTS]


def script_name_problems(answers: Mapping[str, object], *, country: str) -> dict[str, str]:
    problems = {}
    for script in _rules(country).scripts:
        for part in ("last", "first"):
            name = f"{part}_name_{script.suffix}"
            problem = script_name_problem(answers.get(name, ""), script, label=_("last name") if part == "last" else _("first name"))
            if problem:
                problems[name] = problem
    return problems


def script_address_problems(answers: Mapping[str, object], *, country: str) -> dict[str, str]:
    """Problems of an address asked once per script: the shared postcode, subdivision and block
    number (Stripe's names), and each script's city, town and building (`city_kana`...)."""
    rules = _rules(country)
    problems = {
        "postal_code": postal_code_problem(answers.get("postal_code", ""), country=country),
        "state": state_problem(answers.get("state", ""), country=country),
        "line1": _address_line_problem(_width_normalized(_clean(answers.get("line1"))), _("block and building number"), True),
    }
    for script in rules.scripts:
        for part in countries.SCRIPT_ADDRESS_PARTS:
            problems[f"{part}_{script.suffix}"] = script_address_line_problem(
                answers.get(f"{part}_{script.suffix}", ""), script, label=SCRIPT_ADDRESS_LABELS[part],
                required=part != "line2")
    return {key: problem for key, problem in problems.items() if problem}


def normalize_script_addresses(answers: Mapping[str, object], *, country: str) -> dict[str, dict]:
    """{"address_kana": {...}, "address_kanji": {...}}: Stripe's hashes, the shared parts in each."""
    if script_address_problems(answers, country=country):
        raise ValueError("invalid address")
    rules = _rules(country)
    state = _subdivision_code(answers.get("state"), rules.address)
    shared = {"postal_code": _matching_postal_code(answers.get("postal_code"), country) or "",
              "line1": _width_normalized(_clean(answers.get("line1"))), "country": country.upper()}
    addresses = {}
    for script in rules.scripts:
        address = dict(shared, state=rules.subdivision_in(script.suffix, state))
        for part in countries.SCRIPT_ADDRESS_PARTS:
            address[part] = script_text(answers.get(f"{part}_{script.suffix}", ""), script.kind)
        addresses[f"address_{script.suffix}"] = {key: value for key, value in address.items() if value}
    return addresses


def normalize_script_names(answers: Mapping[str, object], *, country: str) -> dict[str, str]:
    """{"first_name_kana": ..., "last_name_kanji": ...} as Stripe takes them."""
    if script_name_problems(answers, country=country):
        raise ValueError("invalid name")
    return {f"{part}_name_{s.suffix}": script_text(answers.get(f"{part}_name_{s.suffix}"), s.kind)
            for s in _rules(country).scripts for part in ("first", "last")}


def account_holder_name_problem(raw: object, *, country: str, label: str = _l("account holder's name")) -> str | None:
    """Where a bank writes holders' names in one script (Japan: katakana, or Latin letters)."""
    rules = _rules(country)
    script = rules.script(rules.bank.holder_script)
    text = script_text(raw, script.kind) if script else _clean(raw)
    if not text:
        return _("Enter the %(label)s.", label=label)
    if len(text) > NAME_MAX:
        return _("Shorten the %(label)s to %(name_max)s characters or fewer.", label=label, name_max=NAME_MAX)
    odd = _first_not_katakana(text, _KANA_ADDRESS_EXTRA, latin=True) if script else None
    if odd:
        return _("Write the %(label)s as your bank has it, in katakana or Latin letters, like %(example)s (not “%(character)s”).",
                 label=label, example=f"{script.example_name} ハナコ", character=odd)
    return None


def normalize_account_holder_name(raw: object, *, country: str) -> str:
    rules = _rules(country)
    script = rules.script(rules.bank.holder_script)
    return script_text(raw, script.kind) if script else _clean(raw)


# Bank account --------------------------------------------------------------------------------

def routing_part_hint(part: countries.RoutingPart) -> str:
    """What a good bank code looks like (also Stripe's refusals' words, stripe_errors)."""
    if part.name == "routing_number" and part.digits == 9:
        return _("Enter the 9-digit routing number from the bottom left of a check.")
    return _("Enter the %(label)s: %(hint)s", label=part.label.lower(), hint=part.hint)


def routing_part_problem(raw: object, part: countries.RoutingPart) -> str | None:
    """One bank code (routing number, sort code, BSB, transit or institution number)."""
    digits = _digits(raw)
    if not _clean(raw):
        return routing_part_hint(part)
    if len(digits) != part.digits:
        return _("Enter all %(digits)s digits of the %(label)s.", digits=part.digits, label=part.label.lower())
    if part.checksum and not part.checksum(digits):
        return _("This %(label)s doesn't exist: check each digit against your bank's details.", label=part.label.lower())
    return None


def routing_number_problem(raw: object, *, country: str = "US") -> str | None:
    """The single routing code of a country that has one (US routing number, UK sort code, BSB)."""
    parts = _rules(country).bank.routing
    return routing_part_problem(raw, parts[0]) if len(parts) == 1 else None


def routing_number(parts: Mapping[str, str], *, country: str) -> str | None:
    """What Stripe's routing_number takes: the parts' digits joined ("11000-000" in Canada)."""
    bank = _rules(country).bank
    if not bank.routing:
        return None
    return bank.separator.join(_digits(parts.get(part.name, "")) for part in bank.routing)


def iban_problem(raw: object, *, country: str, test_mode: bool = False) -> str | None:
    value = _compact(raw)
    if not value:
        return _("Enter the IBAN.")
    if test_mode and value[:2] == country.upper() and value[2:] in TEST_IBAN_BODIES:
        return None
    try:
        iban = IBAN(value)
    except ValueError as exc:
        reason = _("its check digits don't match") if "checksum" in str(exc).lower() else _("it has the wrong length or letters")
        example = _rules(country).bank.example or "DE89 3704 0044 0532 0130 00"
        return _("This isn't a valid IBAN (%(reason)s). Check it against your bank statement, like %(example)s.",
                 reason=reason, example=example)
    if iban.country_code != country.upper():
        return _("Use an IBAN of a bank in %(name)s (it starts with %(country)s).", name=_rules(country).name, country=country.upper())
    return None


def account_number_problem(raw: object, confirmation: object, *, country: str = "US", test_mode: bool = False) -> str | None:
    """The account number (or IBAN), typed twice."""
    bank = _rules(country).bank
    if bank.iban:
        problem = iban_problem(raw, country=country, test_mode=test_mode)
        if problem:
            return problem
        if _compact(confirmation) != _compact(raw):
            return _("The two IBANs don't match. Type it again in both boxes.")
        return None
    low, high = bank.account_digits
    digits = _digits(raw)
    if not _clean(raw):
        return _("Enter the account number.")
    if not digits:
        return _("Enter only the digits of the account number.")
    if not low <= len(digits) <= high:
        span = f"{low}" if low == high else f"{low} to {high}"
        return _("Account numbers here have %(span)s digits; check the number on your statement.", span=span)
    if _digits(confirmation) != digits:
        return _("The two account numbers don't match. Type the number again in both boxes.")
    return None


def whole_account_problem(parts: Mapping[str, str], raw: object, *, country: str, test_mode: bool = False) -> str | None:
    """The check over the whole number where the country has one (New Zealand's bank, branch,
    account and suffix); Stripe's test numbers pass in test mode."""
    bank = _rules(country).bank
    if bank.whole_check is None:
        return None
    routing, account = (routing_number(parts, country=country) or "").replace("-", ""), _digits(raw)
    if test_mode and routing in TEST_ROUTING_NUMBERS.get(country.upper(), ()):
        return None
    if not bank.whole_check(routing, account):
        return _("This account number doesn't exist: its check digits don't add up with the bank and branch. "
                 "Check each digit against your bank statement.")
    return None


# Stripe's test routing codes outside the IBAN countries (countries.md §1.8): the test accounts
# under them pass the local checks a real number must pass.
TEST_ROUTING_NUMBERS = {"NZ": ("110000",)}


def normalize_account_number(raw: object, *, country: str) -> str:
    return _compact(raw) if _rules(country).bank.iban else normalize_number(raw)


# Ownership -----------------------------------------------------------------------------------

def _ownership_text(raw: object) -> str:
    """The share as typed, without its % sign, a decimal comma read as a point: most of the portal's
    languages write 33,33 (and its messages say so), and a share of at most 100 never has a
    thousands separator for the comma to be."""
    text = _clean(raw).removesuffix("%").strip()
    return text.replace(",", ".") if text.count(",") == 1 and "." not in text else text


def ownership_percent_problem(raw: object) -> str | None:
    text = _ownership_text(raw)
    if not text:
        return _("Enter the percentage of the business this person owns (0 if none).")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return _("Enter the ownership as a number, like 25 or 33.33.")
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
        return _("Enter an ownership percentage between 0 and 100.")
    # Three digits after the point are no share: 1.000 or 1,000 may be meant as a thousand.
    if value != value.quantize(Decimal("0.01")) or len(text.partition(".")[2]) > 2:
        return _("Use at most two decimal places, like 33.33.")
    return None


def normalize_ownership_percent(raw: object) -> float:
    if ownership_percent_problem(raw):
        raise ValueError("invalid percentage")
    return float(Decimal(_ownership_text(raw)))
