"""Country specs: what Stripe publishes per country, and the tables the requirements engine reads.

`SPECS` holds the public `country_spec` objects (US is Stripe's published fixture). `RULES`
holds, per country, which fields each kind of account and person must give; requirements.py
is written once against these tables, so a new country is a new entry here, not new code.
"""

from stripe.params import CountrySpecListParams, CountrySpecRetrieveParams

from portal.sandbox.protocol import Endpoint, list_response, resource_missing

US_ADDRESS = ("address.city", "address.line1", "address.postal_code", "address.state")
GB_ADDRESS = ("address.city", "address.line1", "address.postal_code")
DOB = ("dob.day", "dob.month", "dob.year")

# Per country: the person fields each role must give now (`current`) and once volume
# thresholds are reached (`eventual`); `identity` names the id a person gives at onboarding
# (US: last four of the SSN, the full number later); `address_failure` says how a failed
# address token shows: re-listing the address fields (US) or asking for a proof of address.
RULES = {
    "US": {
        "address": US_ADDRESS,
        "identity": "ssn_last_4",
        "full_id_number_later": True,
        "address_failure": "fields",
        "individual": {
            "current": US_ADDRESS + DOB + ("email", "first_name", "last_name", "phone", "ssn_last_4"),
            "eventual": (),
        },
        "representative": {
            "current": US_ADDRESS
            + DOB
            + (
                "email",
                "first_name",
                "last_name",
                "phone",
                "relationship.executive",
                "relationship.title",
                "ssn_last_4",
            ),
            "eventual": (),
        },
        "owners": {
            "current": ("email", "first_name", "last_name"),
            "eventual": US_ADDRESS + DOB + ("phone",),
        },
        "directors": None,
        "company": US_ADDRESS + ("name", "phone", "tax_id"),
    },
    "GB": {
        "address": GB_ADDRESS,
        "identity": None,
        "full_id_number_later": False,
        "address_failure": "document",
        "individual": {
            "current": GB_ADDRESS + DOB + ("email", "first_name", "last_name", "phone"),
            "eventual": (),
        },
        "representative": {
            "current": GB_ADDRESS
            + DOB
            + ("email", "first_name", "last_name", "phone", "relationship.executive", "relationship.title"),
            "eventual": (),
        },
        "owners": {
            "current": ("email", "first_name", "last_name"),
            "eventual": GB_ADDRESS + DOB,
        },
        "directors": {"current": ("first_name", "last_name"), "eventual": DOB},
        "company": GB_ADDRESS + ("name", "phone", "tax_id"),
    },
}

def _rules_like_gb(address: tuple, *, identity: str | None = None) -> dict:
    """Rules of a country shaped like GB (names, birth date, address, email and phone; owners
    and directors): the 2020 country specs and 2025 test-mode accounts of CA, DE and AU
    differ from GB only in the address and the id number asked (countries.md)."""
    extra = (identity,) if identity else ()
    return {
        "address": address,
        "identity": identity,
        "full_id_number_later": False,
        "address_failure": "document",
        "individual": {"current": address + DOB + ("email", "first_name", "last_name", "phone") + extra, "eventual": ()},
        "representative": {
            "current": address + DOB + ("email", "first_name", "last_name", "phone", "relationship.executive",
                                        "relationship.title") + extra,
            "eventual": (),
        },
        "owners": {"current": ("email", "first_name", "last_name"), "eventual": address + DOB},
        "directors": {"current": ("first_name", "last_name"), "eventual": DOB},
        "company": address + ("name", "phone", "tax_id"),
    }


RULES["CA"] = _rules_like_gb(US_ADDRESS, identity="id_number")  # the SIN (Stripe's SDK example)
RULES["DE"] = _rules_like_gb(GB_ADDRESS)
RULES["AU"] = _rules_like_gb(US_ADDRESS)  # Australia asks the state
# The 2020 specs of AT BE DE ES FR IT NL are identical; Ireland asks the county and no postcode.
for _code in ("AT", "BE", "ES", "FR", "IT", "NL"):
    RULES[_code] = _rules_like_gb(GB_ADDRESS)
RULES["IE"] = _rules_like_gb(("address.city", "address.line1", "address.state"))
# Switzerland and New Zealand: the 2020 specs ask what Germany and the UK ask (postcode, no state,
# directors). Singapore's addresses have no city or state and its individuals and representatives
# give their NRIC or FIN up front (2020 minimum: line1, postal_code, dob, names, id_number).
RULES["CH"] = _rules_like_gb(GB_ADDRESS)
RULES["NZ"] = _rules_like_gb(GB_ADDRESS)
RULES["SG"] = _rules_like_gb(("address.line1", "address.postal_code"), identity="id_number")

# Japan: names and addresses in kana and kanji instead of the plain fields (stripe-python's
# params: first_name_kana, address_kanji "Japan only"; the 2020 JP spec and 2025 test-mode
# accounts in countries.md JP). The address is owed with its town (chome); line2 is optional.
JP_NAMES = ("first_name_kana", "first_name_kanji", "last_name_kana", "last_name_kanji")
JP_ADDRESS = tuple(f"address_{script}.{part}" for script in ("kana", "kanji")
                   for part in ("city", "line1", "postal_code", "state", "town"))
RULES["JP"] = {
    "address": JP_ADDRESS,
    "names": JP_NAMES,
    "identity": None,
    "full_id_number_later": False,
    "address_failure": "document",
    "individual": {"current": JP_ADDRESS + DOB + ("email", "phone") + JP_NAMES, "eventual": ()},
    "representative": {
        "current": JP_ADDRESS + DOB + ("email", "phone", "relationship.title") + JP_NAMES,
        "eventual": (),
    },
    "owners": {"current": ("email",) + JP_NAMES, "eventual": JP_ADDRESS + DOB},
    # The 2020 spec lists no directors; Japanese platforms' notes of 2023 create the representative
    # director and set directors_provided (countries.md JP: unconfirmed), so the sandbox asks them.
    "directors": {"current": JP_NAMES, "eventual": DOB},
    "company": JP_ADDRESS + ("name", "name_kana", "name_kanji", "phone", "tax_id"),
}

_BUSINESS = (
    "business_profile.mcc",
    "business_profile.name",
    "business_profile.product_description",
    "business_profile.url",
    "business_type",
)
_SETTINGS = (
    "settings.card_payments.statement_descriptor_prefix",
    "settings.payments.statement_descriptor",
    "tos_acceptance.date",
    "tos_acceptance.ip",
)


def _prefixed(prefix: str, fields) -> list[str]:
    return [prefix + field for field in fields]


US_VERIFICATION_FIELDS = {
    "individual": {
        "additional": [],
        "minimum": sorted(
            _BUSINESS
            + _SETTINGS
            + ("external_account",)
            + tuple(_prefixed("individual.", US_ADDRESS + DOB))
            + (
                "individual.email",
                "individual.first_name",
                "individual.id_number",
                "individual.last_name",
                "individual.phone",
                "individual.ssn_last_4",
                "individual.verification.document",
            )
        ),
    },
    "company": {
        "additional": [],
        "minimum": sorted(
            _BUSINESS
            + _SETTINGS
            + ("external_account",)
            + tuple(_prefixed("company.", US_ADDRESS))
            + ("company.name", "company.owners_provided", "company.phone", "company.tax_id")
            + tuple(_prefixed("owners.", US_ADDRESS + DOB + ("email", "first_name", "last_name", "phone")))
            + tuple(
                _prefixed(
                    "representative.",
                    US_ADDRESS
                    + DOB
                    + (
                        "email",
                        "first_name",
                        "id_number",
                        "last_name",
                        "phone",
                        "relationship.title",
                        "ssn_last_4",
                        "verification.document",
                    ),
                )
            )
        ),
    },
}

GB_VERIFICATION_FIELDS = {
    "individual": {
        "additional": ["individual.verification.additional_document", "individual.verification.document"],
        "minimum": sorted(
            _BUSINESS
            + _SETTINGS
            + ("external_account",)
            + tuple(_prefixed("individual.", GB_ADDRESS + DOB + ("email", "first_name", "last_name", "phone")))
        ),
    },
    "company": {
        "additional": [
            "company.verification.document",
            "representative.verification.additional_document",
            "representative.verification.document",
        ],
        "minimum": sorted(
            _BUSINESS
            + _SETTINGS
            + ("external_account",)
            + tuple(_prefixed("company.", GB_ADDRESS))
            + (
                "company.directors_provided",
                "company.name",
                "company.owners_provided",
                "company.phone",
                "company.tax_id",
            )
            + tuple(_prefixed("directors.", DOB + ("first_name", "last_name")))
            + tuple(_prefixed("owners.", GB_ADDRESS + DOB + ("email", "first_name", "last_name")))
            + tuple(
                _prefixed(
                    "representative.",
                    GB_ADDRESS + DOB + ("email", "first_name", "last_name", "phone", "relationship.title"),
                )
            )
        ),
    },
}

def _verification_fields(rules: dict) -> dict:
    """The published verification_fields of a country, from the same rules the engine asks."""
    def person(prefix: str, role: str) -> tuple:
        return tuple(_prefixed(prefix, rules[role]["current"] + rules[role]["eventual"]))

    company_keys = tuple(_prefixed("company.", rules["company"])) + ("company.owners_provided",)
    if rules["directors"]:
        company_keys += ("company.directors_provided",) + person("directors.", "directors")
    return {
        "individual": {
            "additional": ["individual.verification.additional_document", "individual.verification.document"],
            "minimum": sorted(set(_BUSINESS + _SETTINGS + ("external_account",) + person("individual.", "individual"))),
        },
        "company": {
            "additional": ["company.verification.document", "representative.verification.additional_document",
                           "representative.verification.document"],
            "minimum": sorted(set(_BUSINESS + _SETTINGS + ("external_account",) + company_keys
                                  + person("owners.", "owners") + person("representative.", "representative"))),
        },
    }


_EEA = ["AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
        "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK"]
_PAYMENT_CURRENCIES = ["aud", "cad", "chf", "dkk", "eur", "gbp", "hkd", "jpy", "mxn", "nok", "nzd",
                       "sek", "sgd", "usd"]
_US_TRANSFER_COUNTRIES = (
    "AE AG AL AM AO AR AT AU AZ BA BD BE BG BH BJ BN BO BS BT BW CA CH CI CL CO CR CY CZ DE DK DO "
    "DZ EC EE EG ES ET FI FR GA GB GH GM GR GT GY HK HR HU ID IE IL IS IT JM JO JP KE KH KR KW KZ "
    "LA LC LI LK LT LU LV MA MC MD MG MK MN MO MT MU MX MY MZ NA NE NG NL NO NZ OM PA PE PH PK PL "
    "PT PY QA RO RS RW SA SE SG SI SK SM SN SV TH TN TR TT TW TZ US UY UZ VN ZA"
).split()

# Cross-border payouts (docs.stripe.com/connect/cross-border-payouts): "Platforms based in the
# US, UK, EEA, Canada, or Switzerland can transfer funds to connected accounts in any of those
# regions"; to a `full` account outside them a transfer fails, so sellers there are `recipient`s.
CROSS_BORDER_REGION = frozenset({"US", "CA", "GB", "CH"} | set(_EEA))
# Stripe's words, as integrators quote them (gumroad#1876; NativePHP/nativephp.com#525).
CREATION_REFUSED = ("Connected accounts in {account} cannot be created by platforms in {platform}. Please contact us "
                    "via https://support.stripe.com/contact if you need further assistance.")
FULL_TRANSFER_REFUSED = "Funds can't be sent to accounts located in {account} when the account is under the `full` service agreement."

SPECS = {
    "US": {
        "default_currency": "usd",
        "id": "US",
        "object": "country_spec",
        "supported_bank_account_currencies": {"usd": ["US"]},
        "supported_payment_currencies": _PAYMENT_CURRENCIES,
        "supported_payment_methods": ["ach", "card", "stripe"],
        "supported_transfer_countries": _US_TRANSFER_COUNTRIES,
        "verification_fields": US_VERIFICATION_FIELDS,
    },
    "GB": {
        "default_currency": "gbp",
        "id": "GB",
        "object": "country_spec",
        "supported_bank_account_currencies": {"eur": ["GB"] + _EEA, "gbp": ["GB"], "usd": ["GB"]},
        "supported_payment_currencies": _PAYMENT_CURRENCIES,
        "supported_payment_methods": ["bacs_debit", "card", "stripe"],
        "supported_transfer_countries": sorted(CROSS_BORDER_REGION),
        "verification_fields": GB_VERIFICATION_FIELDS,
    },
}


def _spec(country: str, currency: str, bank_currencies: dict, methods: list, transfer_countries: list) -> dict:
    return {
        "default_currency": currency,
        "id": country,
        "object": "country_spec",
        "supported_bank_account_currencies": bank_currencies,
        "supported_payment_currencies": _PAYMENT_CURRENCIES,
        "supported_payment_methods": methods,
        "supported_transfer_countries": transfer_countries,
        "verification_fields": _verification_fields(RULES[country]),
    }


# Bank currencies as the 2020 specs recorded them (countries.md S3).
# Transfer countries: the 2020 specs listed CA -> CA, US and Europe -> CH, GB, US, EEA; today's
# cross-border payouts run between all five regions (CROSS_BORDER_REGION).
SPECS["CA"] = _spec("CA", "cad", {"cad": ["CA"], "usd": ["CA", "US"]}, ["card", "stripe"], sorted(CROSS_BORDER_REGION))
SPECS["DE"] = _spec("DE", "eur", {"eur": sorted(["CH", "GB"] + _EEA), "gbp": ["GB"], "usd": ["US"]},
                    ["card", "sepa_debit", "sofort", "stripe"], sorted(CROSS_BORDER_REGION))
for _code in ("AT", "BE", "ES", "FR", "IE", "IT", "NL"):
    SPECS[_code] = _spec(_code, "eur", SPECS["DE"]["supported_bank_account_currencies"],
                         ["card", "sepa_debit", "stripe"], SPECS["DE"]["supported_transfer_countries"])
SPECS["JP"] = _spec("JP", "jpy", {"jpy": ["JP"]}, ["card", "stripe"], ["JP"])
SPECS["AU"] = _spec("AU", "aud", {"aud": ["AU"]}, ["au_becs_debit", "card", "stripe"], ["AU"])
# CH: francs at Swiss banks, euros as in the EU (countries.md S3); NZ and SG: their own currency only.
SPECS["CH"] = _spec("CH", "chf", {"chf": ["CH"], "eur": SPECS["DE"]["supported_bank_account_currencies"]["eur"],
                                  "gbp": ["GB"], "usd": ["US"]},
                    ["card", "stripe"], SPECS["DE"]["supported_transfer_countries"])
SPECS["NZ"] = _spec("NZ", "nzd", {"nzd": ["NZ"]}, ["card", "stripe"], ["NZ"])
SPECS["SG"] = _spec("SG", "sgd", {"sgd": ["SG"]}, ["card", "stripe"], ["SG"])


def may_create(platform: str, country: str) -> bool:
    """Whether a platform in `platform` may create a connected account in `country`: its own
    country, or one its country spec lists as a transfer country."""
    return platform == country or country in SPECS.get(platform, {}).get("supported_transfer_countries", ())


def full_transfers_allowed(platform: str, country: str) -> bool:
    """Whether the platform's transfers reach a `full`-agreement account in `country`."""
    return platform == country or (platform in CROSS_BORDER_REGION and country in CROSS_BORDER_REGION)


def rules(country: str) -> dict:
    return RULES[country]


def default_currency(country: str) -> str:
    return SPECS[country]["default_currency"]


def supported(country: str) -> bool:
    return country in SPECS


def retrieve_country_spec(call) -> dict:
    spec = SPECS.get(call.path["country"].upper())
    if spec is None:
        raise resource_missing("country_spec", call.path["country"])
    return spec


def list_country_specs(call) -> dict:
    # Stripe lists country specs alphabetically, not newest first.
    return list_response(call, [SPECS[code] for code in sorted(SPECS)], "/v1/country_specs")


ROUTES = [
    Endpoint("GET", "/v1/country_specs", list_country_specs, CountrySpecListParams),
    Endpoint("GET", "/v1/country_specs/{country}", retrieve_country_spec, CountrySpecRetrieveParams),
]
