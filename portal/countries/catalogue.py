"""One entry per supported country. Facts and their sources: ../shared/reference/countries.md
(Stripe's SDK docstrings for what tax_id means per country; Stripe's payouts table for bank
formats). Where Stripe's own naming of a number is unconfirmed, the entry says so."""

import re

from schwifty import IBAN
from stdnum.au import abn
from stdnum.at import businessid as at_businessid
from stdnum.be import vat as be_vat
from stdnum.ca import bn, sin
from stdnum.de import stnr
from stdnum.es import cif
from stdnum.fr import siren
from stdnum.it import iva
from stdnum.nl import identiteitskaartnummer
from stdnum.us import ein, rtn, ssn

from portal.i18n import lazy_gettext as _l
from portal.countries.model import BankFormat, Country, IdNumber, RoutingPart

US_STATES: tuple[tuple[str, str], ...] = (
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"),
    ("CA", "California"), ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"),
    ("DC", "District of Columbia"), ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"),
    ("ID", "Idaho"), ("IL", "Illinois"), ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"),
    ("KY", "Kentucky"), ("LA", "Louisiana"), ("ME", "Maine"), ("MD", "Maryland"),
    ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"), ("MS", "Mississippi"),
    ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"),
    ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"),
    ("OR", "Oregon"), ("PA", "Pennsylvania"), ("RI", "Rhode Island"), ("SC", "South Carolina"),
    ("SD", "South Dakota"), ("TN", "Tennessee"), ("TX", "Texas"), ("UT", "Utah"),
    ("VT", "Vermont"), ("VA", "Virginia"), ("WA", "Washington"), ("WV", "West Virginia"),
    ("WI", "Wisconsin"), ("WY", "Wyoming"),
    ("AS", "American Samoa"), ("GU", "Guam"), ("MP", "Northern Mariana Islands"),
    ("PR", "Puerto Rico"), ("VI", "U.S. Virgin Islands"), ("UM", "U.S. Minor Outlying Islands"),
    ("AA", "Armed Forces Americas"), ("AE", "Armed Forces Europe"), ("AP", "Armed Forces Pacific"),
)


def _pattern(regex: str):
    compiled = re.compile(regex)
    return lambda value: bool(compiled.fullmatch(value))


def _iban_of(country: str):
    def is_valid(value: str) -> bool:
        try:
            return IBAN(value).country_code == country
        except ValueError:
            return False
    return is_valid


def _digits(n: int) -> str:
    return "0" * n


US = Country(
    code="US", name="United States", currency="usd", locale="en_US",
    bank=BankFormat(routing=(RoutingPart("routing_number", _l("Routing number"), 9, _l("9 digits, at the bottom left of a check."),
                                         checksum=rtn.is_valid),),
                    account_digits=(4, 17), account_hint=_l("a US checking account")),
    id_number=IdNumber(_l("Social Security number"), _l("Social Security number"), "123-45-6789", ssn.is_valid),
    first_identity="ssn_last_4",
    tax_id=IdNumber(_l("Employer Identification Number (EIN)"), "EIN", "12-3456789", ein.is_valid,
                    test_values=frozenset({"000000000", "000000001", "111111111", "111111112", "222222222"})),
    layout_options={"subdivisions": US_STATES, "postal_examples": ("12345", "12345-6789")},
)

GB = Country(
    code="GB", name="United Kingdom", currency="gbp", locale="en_GB",
    bank=BankFormat(routing=(RoutingPart("routing_number", _l("Sort code"), 6, _l("6 digits, like 10-88-00.")),),
                    account_digits=(8, 8), account_hint=_l("a UK account in pounds")),
    # Not asked by default; Stripe offers it as an alternative when the identity check fails.
    id_number=IdNumber(_l("National Insurance number"), _l("National Insurance number"), "QQ 12 34 56 C",
                       _pattern(r"(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]")),
    # Stripe's SDK: tax_id is "the Company Number (UK)" (Companies House: 8 digits, or 2 letters + 6 digits).
    tax_id=IdNumber(_l("Company Registration Number (Companies House)"), _l("Company Number"), "01234567",
                    _pattern(r"(\d{8}|[A-Z]{2}\d{6})")),
    layout_options={"postal_label": _l("postcode")},
)

CA = Country(
    code="CA", name="Canada", currency="cad", locale="en_CA",
    bank=BankFormat(routing=(RoutingPart("transit_number", _l("Transit number"), 5, _l("5 digits: the branch.")),
                             RoutingPart("institution_number", _l("Institution number"), 3, _l("3 digits: the bank."))),
                    separator="-", account_digits=(7, 12), account_hint=_l("a Canadian account in dollars")),
    # Stripe's SDK example for individual.id_number is the SIN; asked up front (its necessity is unconfirmed).
    id_number=IdNumber(_l("Social Insurance Number (SIN)"), "SIN", "123 456 782", sin.is_valid),
    first_identity="id_number",
    tax_id=IdNumber(_l("Business Number (BN)"), _l("Business Number"), "123456782", bn.is_valid),
)

DE = Country(
    code="DE", name="Germany", currency="eur", locale="de_DE",
    bank=BankFormat(iban=True, account_hint=_l("an account in euros")),
    # Offered by Stripe as an alternative for eligible nationalities (Europe 2025 programme).
    id_number=IdNumber(_l("ID card number (Personalausweisnummer)"), _l("ID card number"), "T22000129",
                       _pattern(r"[CFGHJKLMNPRTVWXYZ0-9]{9,10}"),
                       test_values=frozenset({"000000000", "111111111", "222222222"})),
    # Stripe's local name for tax_id in Germany is unconfirmed; the Steuernummer is what a German
    # company has from its tax office (10-13 digits, stdnum.de.stnr).
    tax_id=IdNumber(_l("Tax number (Steuernummer)"), _l("Steuernummer"), "2181508150", stnr.is_valid),
)

AU = Country(
    code="AU", name="Australia", currency="aud", locale="en_AU",
    bank=BankFormat(routing=(RoutingPart("routing_number", "BSB", 6, _l("6 digits, like 082-902.")),),
                    account_digits=(4, 9), account_hint=_l("an Australian account in dollars")),
    layout_options={"postal_label": _l("postcode")},
    tax_id=IdNumber(_l("Australian Business Number (ABN)"), "ABN", "51 824 753 556", abn.is_valid),
)

# The SEPA countries beyond Germany. Stripe asks no national number by default and offers one as
# an alternative (Europe 2025 programme); it documents no local names for tax_id in these
# countries (countries.md: unconfirmed), so each entry names the number a company there has from
# its registry, checked with python-stdnum where it has a module.
_NATIONAL_ID = _pattern(r"[A-Z0-9]{5,20}")  # ID card numbers differ by country; Stripe checks them


def _sepa(code: str, name: str, locale: str, tax_id: IdNumber, *, id_label: str = _l("national ID card number"),
          id_check=_NATIONAL_ID, id_example: str = "AB1234567", **layout) -> Country:
    return Country(
        code=code, name=name, currency="eur", locale=locale,
        bank=BankFormat(iban=True, account_hint=_l("an account in euros")),
        id_number=IdNumber(id_label, id_label, id_example, id_check),
        tax_id=tax_id, layout_options=layout,
    )


FR = _sepa("FR", "France", "fr_FR", IdNumber(_l("SIREN number"), "SIREN", "732 829 320", siren.is_valid))
IE = _sepa("IE", "Ireland", "en_IE",
           IdNumber(_l("Companies Registration Office (CRO) number"), _l("CRO number"), "123456", _pattern(r"\d{1,6}")),
           area_required=True, postal_label="Eircode")
NL = _sepa("NL", "Netherlands", "nl_NL", IdNumber(_l("KvK number (Chamber of Commerce)"), _l("KvK number"), "12345678",
                                                 _pattern(r"\d{8}")),
           id_label=_l("ID card number (identiteitskaartnummer)"), id_check=identiteitskaartnummer.is_valid,
           id_example="SPECI2014")
ES = _sepa("ES", "Spain", "es_ES", IdNumber(_l("NIF (tax identification number)"), "NIF", "A58818501", cif.is_valid),
           area_required=False)
IT = _sepa("IT", "Italy", "it_IT", IdNumber(_l("Partita IVA"), _l("Partita IVA"), "00743110157", iva.is_valid),
           area_required=False)
BE = _sepa("BE", "Belgium", "nl_BE", IdNumber(_l("Enterprise number (KBO/BCE)"), _l("enterprise number"), "0403 170 701",
                                             lambda value: be_vat.is_valid(value)))
AT = _sepa("AT", "Austria", "de_AT", IdNumber(_l("Company register number (Firmenbuchnummer)"), _l("Firmenbuchnummer"),
                                             "FN 122119m",
                                             lambda value: at_businessid.is_valid(value[:-1] + value[-1:].lower())))

COUNTRIES: dict[str, Country] = {country.code: country for country in (US, GB, CA, DE, AU, FR, IE, NL, ES, IT, BE, AT)}

# Stripe's test IBANs: its page lists them for Germany and says to put any EU country's code in
# front of the same digits (stripe.com/docs/connect/testing). They pass local IBAN checks only in
# Germany, so test mode takes them as they are. In Stripe's order: success, no_account,
# account_closed, insufficient_funds, debit_not_authorized, invalid_currency.
TEST_IBAN_BODIES = ("89370400440532013000", "62370400440532013001", "89370400440532013002",
                    "89370400440532013003", "89370400440532013004", "89370400440532013005")

# The IBAN check for each IBAN country, so validation needs no per-country branch.
IBAN_CHECKS = {code: _iban_of(code) for code, country in COUNTRIES.items() if country.bank.iban}
