"""Stripe amounts are integers in the currency's smallest unit: cents for dollars and euros,
whole yen for the yen (a zero-decimal currency: docs.stripe.com/currencies#zero-decimal).
The number of decimals comes from Babel's currency data (ISO 4217), which agrees with Stripe's
zero-decimal list for the currencies the portal pays out in."""

from decimal import Decimal

from babel.numbers import UnknownCurrencyError, get_currency_name, get_currency_precision


def decimals(currency: str) -> int:
    """2 for usd, 0 for jpy; 2 for a code Babel does not know."""
    try:
        return get_currency_precision((currency or "usd").upper())
    except (UnknownCurrencyError, KeyError, ValueError):
        return 2


def to_major(amount: int, currency: str) -> Decimal:
    """1234 usd -> 12.34; 1234 jpy -> 1234."""
    return Decimal(amount).scaleb(-decimals(currency))


def plain(amount: int, currency: str) -> str:
    """An amount without its symbol, grouped: "1,234.56" (usd), "1,234" (jpy)."""
    return f"{to_major(amount, currency):,.{decimals(currency)}f}"


def name(currency: str) -> str:
    """"US dollars", "Japanese yen": how a form says which money to type."""
    try:
        return get_currency_name((currency or "usd").upper(), count=2, locale="en_US")
    except (UnknownCurrencyError, KeyError, ValueError):
        return currency.upper()
