"""Each supported country's onboarding answers with Stripe's test values (countries.md §1.7-1.8)."""

from tests.onboarding.flows import BANK, IDENTITY

def _sepa(country: str, city: str, postal_code: str, state: str = "") -> dict:
    iban = country + "89370400440532013000"  # Stripe's test IBAN with the country's code in front
    return {
        "identity": {**IDENTITY, "city": city, "state": state, "postal_code": postal_code, "ssn_last_4": ""},
        "bank": {"account_holder_name": "Ann Baker", "account_number": iban, "account_number_confirm": iban},
        "currency": "eur",
    }


COUNTRY_ANSWERS = {
    "GB": {
        "identity": {**IDENTITY, "city": "London", "state": "", "postal_code": "sw1a 1aa", "ssn_last_4": ""},
        "bank": {**BANK, "routing_number": "10-88-00", "account_number": "00012345", "account_number_confirm": "00012345"},
        "currency": "gbp",
    },
    "DE": {
        "identity": {**IDENTITY, "city": "Berlin", "state": "", "postal_code": "10115", "ssn_last_4": ""},
        "bank": {"account_holder_name": "Ann Baker", "account_number": "DE89 3704 0044 0532 0130 00",
                 "account_number_confirm": "DE89370400440532013000"},
        "currency": "eur",
    },
    "CA": {
        "identity": {**IDENTITY, "city": "Toronto", "state": "ON", "postal_code": "m5v 3l9", "ssn_last_4": "",
                     "id_number": "000 000 000"},
        "bank": {"account_holder_name": "Ann Baker", "transit_number": "11000", "institution_number": "000",
                 "account_number": "000123456789", "account_number_confirm": "000123456789"},
        "currency": "cad",
    },
    "FR": _sepa("FR", "Paris", "75001"),
    "IE": _sepa("IE", "Dublin", "", state="Co. Dublin"),
    "NL": _sepa("NL", "Amsterdam", "1012 AB"),
    "ES": _sepa("ES", "Madrid", "28013", state="M"),
    "IT": _sepa("IT", "Roma", "00184", state="RM"),
    "BE": _sepa("BE", "Bruxelles", "1000"),
    "AT": _sepa("AT", "Wien", "1010"),
    "CH": {
        "identity": {**IDENTITY, "city": "Zürich", "state": "", "postal_code": "8001", "ssn_last_4": ""},
        "bank": {"account_holder_name": "Ann Baker", "account_number": "CH89 3704 0044 0532 0130 00",
                 "account_number_confirm": "CH89370400440532013000"},  # Stripe's test digits with CH in front
        "currency": "chf",
    },
    "NZ": {
        "identity": {**IDENTITY, "city": "Wellington", "state": "", "postal_code": "6011", "ssn_last_4": ""},
        "bank": {**BANK, "routing_number": "11-0000", "account_number": "0000000-010", "account_number_confirm": "0000000010"},
        "currency": "nzd",
    },
    "SG": {
        "identity": {**IDENTITY, "city": "", "state": "", "postal_code": "018956", "ssn_last_4": "", "id_number": "000000000"},
        "bank": {"account_holder_name": "Ann Baker", "bank_code": "1100", "branch_code": "000",
                 "account_number": "000123456", "account_number_confirm": "000123456"},
        "currency": "sgd",
    },
    "JP": {
        # Names and address in kanji and kana (the kana typed partly in hiragana and half-width
        # katakana, as a keyboard gives them); Stripe's test bank 1100 / 000 and account 0001234.
        "identity": {**IDENTITY, "first_name": "", "last_name": "", "last_name_kanji": "山田", "first_name_kanji": "花子",
                     "last_name_kana": "やまだ", "first_name_kana": "ﾊﾅｺ", "postal_code": "1500001", "state": "東京都",
                     "city_kanji": "渋谷区", "town_kanji": "神宮前３丁目", "line2_kanji": "",
                     "city_kana": "シブヤク", "town_kana": "ジングウマエ 3チョウメ", "line2_kana": "", "ssn_last_4": ""},
        "company": {"name_kanji": "株式会社ロケットライド", "name_kana": "カブシキガイシャ ロケットライド"},
        "bank": {"account_holder_name": "ヤマダ ハナコ", "bank_code": "1100", "branch_code": "000",
                 "account_number": "0001234", "account_number_confirm": "0001234"},
        "currency": "jpy",
    },
    "AU": {
        "identity": {**IDENTITY, "city": "Sydney", "state": "NSW", "postal_code": "2000", "ssn_last_4": ""},
        "bank": {**BANK, "routing_number": "110-000", "account_number": "000123456", "account_number_confirm": "000123456"},
        "currency": "aud",
    },
}


PLACE_FIELDS = ("line1", "line2", "city", "state", "postal_code")


def onboard_individual_in(country: str):
    """A journey (client, inbox) for an individual in `country`, through every step to the status page."""
    from tests.onboarding.flows import PROFILE, signed_in_seller, submit

    def journey(client, inbox, email: str = "ann@annsbakery.com"):
        answers = COUNTRY_ANSWERS[country]
        signed_in_seller(client, inbox, email)
        submit(client, "business", {"country": country, "business_type": "individual"}, expect="/onboarding/profile")
        submit(client, "profile", PROFILE, expect="/onboarding/business-email")
        submit(client, "business-email", {"business_email": email}, expect="/onboarding/identity")
        submit(client, "identity", answers["identity"], expect="/onboarding/bank")
        submit(client, "bank", answers["bank"], expect="/onboarding/review")
        submit(client, "review", {"accept_stripe": "on", "accept_platform": "on"}, expect="/status/")
    return journey


def company_answers(country: str) -> dict:
    """What a private company in `country` answers: its details (the country's address shape and,
    for Japan, its names in kanji and kana), its representative who owns it and directs it (with the
    country's national ID number where Stripe asks it first) and its bank account, by field name."""
    from portal import countries
    from tests.onboarding.flows import OWNER

    answers = COUNTRY_ANSWERS[country]
    place = {name: value for name, value in answers["identity"].items() if name in PLACE_FIELDS or name.startswith(
        ("city_", "town_", "line2_"))}
    names = {name: value for name, value in answers["identity"].items() if name.startswith(("first_name_", "last_name_"))}
    id_number = {"id_number": "000000000"} if countries.get(country).first_identity == "id_number" else {}
    return {
        "company": {"tax_id": "000000000", "phone": "0000000000", **place, **answers.get("company", {})},
        "representative": {**OWNER, **place, **names, "ssn_last_4": "", "director": "on", **id_number},
        "bank": {**answers["bank"], "account_holder_name": "Rocket Rides Ltd"},
    }


def onboard_company_in(country: str):
    """A journey (client, inbox) for a private company in `country` with one owner who is also its
    director and representative, through every step to the status page."""
    from tests.conftest import post_form
    from tests.onboarding.flows import COMPANY_PROFILE, field_errors, signed_in_seller, submit

    def journey(client, inbox, email: str = "jenny@rocketrides.io"):
        answers = company_answers(country)
        signed_in_seller(client, inbox, email)
        submit(client, "business", {"country": country, "business_type": "company", "structure": "private_company"},
               expect="/onboarding/profile")
        submit(client, "profile", COMPANY_PROFILE, expect="/onboarding/business-email")
        submit(client, "business-email", {"business_email": email}, expect="/onboarding/company")
        submit(client, "company", answers["company"], expect="/onboarding/people")
        response = post_form(client, "/onboarding/people/new", answers["representative"], follow_redirects=False)
        assert response.status_code == 303, field_errors(response.text)
        submit(client, "people", {"owners_provided": "on", "directors_provided": "on", "executives_provided": "on"},
               expect="/onboarding/bank")
        submit(client, "bank", answers["bank"], expect="/onboarding/review")
        submit(client, "review", {"accept_stripe": "on", "accept_platform": "on"}, expect="/status/")
    return journey
