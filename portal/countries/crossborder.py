"""Which service agreement a seller in one country gets from a platform in another, or whether
Stripe serves the pair at all. Pure data and one function; onboarding applies it at account
creation (agreement and capabilities), the terms step says it to the seller, settings refuse a
SELLER_COUNTRIES entry it cannot serve.

What Stripe says (sources in README "Sellers outside the platform's country"):
- A connected account under the `full` agreement may take card payments (`card_payments`) and
  receive the platform's transfers. A US platform can transfer to `full` accounts only in the
  US, Canada, the UK, the EEA and Switzerland; a transfer to a `full` account elsewhere fails
  ("Funds can't be sent to accounts located in MX when the account is under the `full` service
  agreement"), so sellers elsewhere need the `recipient` agreement.
- A `recipient` account has a relationship with the platform only: it requests `transfers` alone
  (never `card_payments`), the platform takes the payments and pays them out across the border
  (docs.stripe.com/connect/service-agreement-types, /connect/cross-border-payouts).
- Cross-border payouts start from platforms in the US, the UK, the EEA, Canada or Switzerland,
  to connected accounts in any of those regions; from the US also to the further countries its
  country spec lists as transfer countries (Stripe's published US country_spec fixture lists
  AU, JP, NZ and SG among 118). A platform in Australia, Japan, New Zealand or Singapore serves
  sellers in its own country only (Australia's spec lists no other transfer country).
- A pair Stripe refuses fails at creation: "Connected accounts in JM cannot be created by
  platforms in US."
"""

from dataclasses import dataclass

from portal.i18n import gettext as _

FULL = "full"
RECIPIENT = "recipient"

EEA = frozenset({"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
                 "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK"})
# The regions between which Stripe's cross-border payouts run, and where a platform there may pay
# `full` accounts: the US, Canada, the UK, the EEA and Switzerland.
CROSS_BORDER_REGION = frozenset({"US", "CA", "GB", "CH"}) | EEA
# Beyond that region, the countries a US platform pays out to on the `recipient` agreement (of
# the countries the portal describes; the US country spec lists 118).
US_RECIPIENT_COUNTRIES = frozenset({"AU", "JP", "NZ", "SG"})

AGREEMENT_URLS = {FULL: "https://stripe.com/connect-account/legal/full",
                  RECIPIENT: "https://stripe.com/connect-account/legal/recipient"}


@dataclass(frozen=True)
class Terms:
    """How a seller is onboarded: the agreement they accept and the capabilities requested."""
    agreement: str

    @property
    def capabilities(self) -> dict:
        if self.agreement == RECIPIENT:
            return {"transfers": {"requested": True}}
        return {"card_payments": {"requested": True}, "transfers": {"requested": True}}

    @property
    def takes_card_payments(self) -> bool:
        return self.agreement == FULL

    @property
    def agreement_url(self) -> str:
        return AGREEMENT_URLS[self.agreement]


def terms_for(platform_country: str, seller_country: str) -> Terms | None:
    """The terms a platform in `platform_country` onboards a seller in `seller_country` on; None
    when Stripe does not serve the pair."""
    platform, seller = platform_country.upper(), seller_country.upper()
    if platform == seller:
        return Terms(FULL)
    if platform in CROSS_BORDER_REGION and seller in CROSS_BORDER_REGION:
        return Terms(FULL)
    if platform == "US" and seller in US_RECIPIENT_COUNTRIES:
        return Terms(RECIPIENT)
    return None


def refusal(platform_name: str, seller_name: str) -> str:
    """Why a seller's country cannot be served, for the seller."""
    return _("We can't onboard businesses in %(seller)s yet: Stripe doesn't let a platform in %(platform)s "
             "pay out to sellers there. Contact the platform's support if you think this is wrong.",
             seller=seller_name, platform=platform_name)
