"""Each country's description: its numbers, bank formats and postcodes are checked as that
country writes them, and every requirement key its sandbox spec can produce has words naming
the country's own documents."""

import pytest

from portal import countries
from portal.connect.requirements import describe, has_words
from portal.onboarding import validation as v
from portal.sandbox.country_specs import SPECS


def test_every_supported_country_is_served_by_the_sandbox_and_the_other_way_round():
    assert set(countries.COUNTRIES) == set(SPECS)
    for code, country in countries.COUNTRIES.items():
        assert SPECS[code]["default_currency"] == country.currency


@pytest.mark.parametrize("country, good, bad", [
    ("DE", "DE89 3704 0044 0532 0130 00", "DE89370400440532013001"),  # one digit off: check digits fail
    ("DE", "de62370400440532013001", "DE8937040044053201300"),       # too short
])
def test_ibans_are_checked_locally(country, good, bad):
    assert v.account_number_problem(good, good, country=country) is None
    assert "isn't a valid IBAN" in v.account_number_problem(bad, bad, country=country)


def test_an_iban_of_another_country_and_a_mismatched_confirmation_are_refused():
    assert "bank in Germany" in v.account_number_problem("GB82WEST12345698765432", "GB82WEST12345698765432", country="DE")
    assert "don't match" in v.account_number_problem("DE89370400440532013000", "DE62370400440532013001", country="DE")
    assert v.normalize_account_number("de89 3704 0044 0532 0130 00", country="DE") == "DE89370400440532013000"


@pytest.mark.parametrize("country, name, good, bad, message", [
    ("GB", "routing_number", "10-88-00", "10880", "6 digits of the sort code"),
    ("AU", "routing_number", "110-000", "1100000", "6 digits of the bsb"),
    ("CA", "transit_number", "11000", "1100", "5 digits of the transit number"),
    ("CA", "institution_number", "000", "0000", "3 digits of the institution number"),
    ("US", "routing_number", "110000000", "110000001", "doesn't exist"),
])
def test_routing_codes_are_checked_in_the_countrys_format(country, name, good, bad, message):
    part = next(p for p in countries.get(country).bank.routing if p.name == name)
    assert v.routing_part_problem(good, part) is None
    assert message in v.routing_part_problem(bad, part)


def test_a_new_zealand_number_is_checked_whole_and_stripes_test_number_passes_in_test_mode():
    parts = {"routing_number": "01-0242"}
    assert v.whole_account_problem(parts, "0100194-00", country="NZ") is None
    assert "check digits" in v.whole_account_problem(parts, "0100195-00", country="NZ")
    assert v.whole_account_problem({"routing_number": "110000"}, "0000000010", country="NZ", test_mode=True) is None
    assert v.whole_account_problem({"routing_number": "110000"}, "0000000010", country="NZ") is not None
    assert v.whole_account_problem({"routing_number": "108800"}, "00012345", country="GB") is None  # no whole check


def test_a_swiss_iban_is_checked_and_named_with_a_swiss_example():
    assert v.account_number_problem("CH93 0076 2011 6238 5295 7", "CH9300762011623852957", country="CH") is None
    problem = v.account_number_problem("CH9300762011623852958", "CH9300762011623852958", country="CH")
    assert "check digits" in problem and "CH93 0076" in problem
    assert "bank in Switzerland" in v.account_number_problem("DE89370400440532013000", "DE89370400440532013000", country="CH")
    assert v.account_number_problem("CH89370400440532013000", "CH89370400440532013000", country="CH", test_mode=True) is None


def test_routing_parts_join_as_stripe_takes_them():
    assert v.routing_number({"bank_code": "7171", "branch_code": "001"}, country="SG") == "7171-001"
    assert v.routing_number({"routing_number": "12-3456"}, country="NZ") == "123456"
    assert v.routing_number({"transit_number": "11000", "institution_number": "000"}, country="CA") == "11000-000"
    assert v.routing_number({"routing_number": "10-88-00"}, country="GB") == "108800"
    assert v.routing_number({}, country="DE") is None


@pytest.mark.parametrize("country, number, digits_wrong", [
    ("GB", "00012345", "0001234"), ("AU", "000123456", "0001234567"), ("CA", "000123456789", "000123"),
])
def test_account_numbers_have_the_countrys_length(country, number, digits_wrong):
    assert v.account_number_problem(number, number, country=country) is None
    assert "digits" in v.account_number_problem(digits_wrong, digits_wrong, country=country)


@pytest.mark.parametrize("country, good, normalized, bad, words", [
    ("GB", "sw1a1aa", "SW1A 1AA", "12345", "postcode like"),
    ("CA", "m5v 3l9", "M5V 3L9", "12345", "postal code like"),
    ("DE", "10115", "10115", "1011", "postal code like"),
    ("AU", "2000", "2000", "20000", "postcode like"),
    ("US", "941031234", "94103-1234", "9410", "ZIP code like"),
    ("CH", "8001", "8001", "80010", "postcode like"),
    ("NZ", "6011", "6011", "601", "postcode like"),
    ("SG", "018956", "018956", "18956", "postal code like"),
])
def test_postcodes_have_the_countrys_shape(country, good, normalized, bad, words):
    assert v.postal_code_problem(good, country=country) is None
    assert words in v.postal_code_problem(bad, country=country)
    layout = countries.get(country).address
    address = {"line1": "1 Main St", "city": "Town", "postal_code": good,
               "state": layout.subdivisions[0][0] if layout.subdivisions else ""}
    assert v.normalize_address(address, country=country)["postal_code"] == normalized


def test_address_layouts_use_each_countrys_words_and_subdivisions():
    assert countries.get("CA").address.area_label == "province"
    assert ("ON", "Ontario") in countries.get("CA").address.subdivisions
    assert countries.get("AU").address.area_label == "state" and countries.get("AU").address.postal_label == "postcode"
    assert "state" not in countries.get("GB").address.fields and "state" not in countries.get("DE").address.fields
    assert countries.get("DE").address.fields.index("postal_code") < countries.get("DE").address.fields.index("city")
    assert "state" in v.address_problems({"line1": "1 Main", "city": "Sydney", "postal_code": "2000"}, country="AU")
    assert v.address_problems({"line1": "1 Main", "city": "Berlin", "postal_code": "10115", "state": "XX"}, country="DE") == {}


@pytest.mark.parametrize("country, kind, good, bad", [
    ("CA", "id_number", "130 692 544", "130 692 545"),   # SIN: Luhn
    ("CA", "tax_id", "123456782", "123456789"),         # Business Number: Luhn
    ("GB", "tax_id", "SC123456", "S1234567X"),           # Company Number
    ("GB", "id_number", "AB 12 34 56 C", "DQ123456C"),   # National Insurance number
    ("AU", "tax_id", "51 824 753 556", "51 824 753 557"),  # ABN check digits
    ("DE", "tax_id", "2181508150", "123"),               # Steuernummer
    ("CH", "tax_id", "CHE-100.155.212", "CHE-100.155.213"),  # UID check digit
    ("CH", "id_number", "756.9217.0769.85", "756.9217.0769.86"),  # AHV number: EAN-13 check digit
    ("NZ", "tax_id", "9429036834242", "9429036834243"),  # NZBN: GS1 check digit
    ("SG", "tax_id", "197401143C", "197401143D"),        # UEN check letter
    ("SG", "id_number", "S1234567D", "S1234567A"),        # NRIC check letter
    ("SG", "id_number", "T0123456G", "F1234567D"),        # a 2000s NRIC; a FIN with an S-series letter
])
def test_national_numbers_are_checked_with_their_own_rules(country, kind, good, bad):
    check = v.id_number_problem if kind == "id_number" else v.tax_id_problem
    assert check(good, country=country) is None
    problem = check(bad, country=country)
    number = getattr(countries.get(country), kind)
    assert problem and str(number.short) in problem  # the label is lazy: read in the language shown
    assert check("000000000", country=country, test_mode=True) is None  # Stripe's test value


def test_the_seller_countries_setting_picks_and_orders_the_offer():
    assert list(countries.seller_countries("gb, DE")) == ["DE", "GB"]
    assert set(countries.seller_countries("")) == set(countries.COUNTRIES)


def _country_keys():
    for code, spec in SPECS.items():
        for kind in spec["verification_fields"].values():
            for key in set(kind["minimum"]) | set(kind["additional"]):
                yield code, key


@pytest.mark.parametrize("country, key", sorted(_country_keys()))
def test_every_key_of_every_country_has_words_of_its_own(country, key):
    assert has_words(key, country), f"{country} {key} has no words"


@pytest.mark.parametrize("country, document", [
    ("US", "Social Security number"), ("CA", "Social Insurance Number (SIN)"), ("GB", "National Insurance number"),
    ("DE", "Personalausweisnummer"), ("SG", "NRIC or FIN"), ("CH", "AHV number"), ("NZ", "IRD number"),
])
def test_the_id_number_is_named_as_the_country_names_it(country, document):
    assert document in describe("individual.id_number", country=country)[1]


def test_the_company_tax_id_is_named_as_the_country_names_it():
    assert "Business Number" in describe("company.tax_id", country="CA")[1]
    assert "Company Registration Number" in describe("company.tax_id", country="GB")[1]
    assert "ABN" in describe("company.tax_id", country="AU")[1]
    assert "EIN" in describe("company.tax_id", country="US")[1]
    assert "UEN" in describe("company.tax_id", country="SG")[1] and "UID" in describe("company.tax_id", country="CH")[1]
    assert "NZBN" in describe("company.tax_id", country="NZ")[1]


def test_money_is_shown_in_each_supported_countrys_currency():
    from portal.web import format_money

    shown = {code: format_money(123456, country.currency) for code, country in countries.COUNTRIES.items()}
    assert shown["US"] == "$1,234.56" and shown["GB"] == "£1,234.56" and shown["DE"] == "€1,234.56"
    assert shown["CA"] == "CA$1,234.56" and shown["AU"] == "A$1,234.56"
    assert format_money(-1200, "usd") == "-$12.00"
    assert format_money(1200, "jpy") == "¥1,200" and shown["JP"] == "¥123,456"  # no minor unit, as Stripe counts yen


def test_dates_follow_the_sellers_country():
    from portal.web import format_timestamp

    moment = 1796558400  # 2026-12-06 12:00 UTC
    assert format_timestamp(moment, locale=countries.get("US").date_locale) == "Dec 6, 2026"
    assert format_timestamp(moment, locale=countries.get("GB").date_locale) == "6 Dec 2026"
    assert format_timestamp(moment, True, locale=countries.get("DE").date_locale) == "6 Dec 2026 12:00 UTC"
    assert format_timestamp(moment, locale=countries.get("SG").date_locale) == "6 Dec 2026"
    assert format_timestamp(moment) == "Dec 6, 2026"


def test_a_page_about_a_sellers_account_dates_it_in_their_countrys_order():
    from types import SimpleNamespace

    from portal.web import make_templates

    template = make_templates().from_string("{{ moment|datetime }} / {{ moment|datetime(true) }}")
    moment = 1796558400
    in_country = lambda code: SimpleNamespace(account=SimpleNamespace(snapshot={"country": code}))  # noqa: E731
    assert template.render(view=in_country("NZ"), moment=moment) == "6 Dec 2026 / 6 Dec 2026 12:00 UTC"
    assert template.render(view=in_country("US"), moment=moment) == "Dec 6, 2026 / Dec 6, 2026 12:00 UTC"
    assert template.render(moment=moment) == "Dec 6, 2026 / Dec 6, 2026 12:00 UTC"  # staff's own pages
