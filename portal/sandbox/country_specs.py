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
        "supported_transfer_countries": sorted(["CH", "GB", "US"] + _EEA),
        "verification_fields": GB_VERIFICATION_FIELDS,
    },
}


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
