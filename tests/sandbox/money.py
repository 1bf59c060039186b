"""Helpers for the money tests: a verified seller with a bank, funds, the clock, events."""

import time

from tests.sandbox.conftest import call_helper

PLATFORM_CONTROLLER = {
    "fees": {"payer": "application"},
    "losses": {"payments": "application"},
    "requirement_collection": "application",
    "stripe_dashboard": {"type": "none"},
}


def bank(account_number: str = "000123456789") -> dict:
    return {
        "object": "bank_account", "country": "US", "currency": "usd",
        "routing_number": "110000000", "account_number": account_number,
    }


def create_seller(client, external_account="btok_us_verified", *, schedule: dict | None = None,
                  verified: bool = True) -> dict:
    """A US individual seller with Stripe's passing test identity, verified (charges and payouts on)."""
    params = {
        "country": "US",
        "controller": PLATFORM_CONTROLLER,
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        "business_type": "individual",
        "business_profile": {"url": "https://accessible.stripe.com", "mcc": "5734"},
        "email": "seller@example.com",
        "individual": {
            "first_name": "Jenny", "last_name": "Rosen", "email": "seller@example.com", "phone": "0000000000",
            "dob": {"day": 1, "month": 1, "year": 1901 if verified else 1950},
            "address": {"line1": "address_full_match", "city": "San Francisco", "state": "CA",
                        "postal_code": "94111", "country": "US"},
            "id_number": "000000000",
        },
        "tos_acceptance": {"date": int(time.time()) - 60, "ip": "127.0.0.1"},
        "external_account": external_account,
    }
    if schedule is not None:
        params["settings"] = {"payouts": {"schedule": schedule}}
    account = client.v1.accounts.create(params=params)
    # Verification resolves on the next request (verification_delay=0).
    account = client.v1.accounts.retrieve(account.id)
    if verified:
        assert account.charges_enabled and account.payouts_enabled, account.requirements
    return account


def on(account_id: str) -> dict:
    return {"stripe_account": account_id}


def pay(client, amount: int, payment_method: str = "pm_card_visa", account: str | None = None, **params) -> object:
    """A confirmed PaymentIntent (a direct charge when `account` is given)."""
    options = on(account) if account else {}
    return client.v1.payment_intents.create(
        params={"amount": amount, "currency": "usd", "payment_method": payment_method, "confirm": True, **params},
        options=options,
    )


def fund_platform(client, amount: int = 100_000) -> None:
    """Available platform funds, from a charge with the card that skips the pending balance."""
    pay(client, amount, "pm_card_bypassPending")


def amounts(balance) -> tuple[int, int]:
    """(available, pending) in usd."""
    available = next(f.amount for f in balance.available if f.currency == "usd")
    pending = next(f.amount for f in balance.pending if f.currency == "usd")
    return available, pending


def balance_of(client, account: str | None = None) -> tuple[int, int]:
    return amounts(client.v1.balance.retrieve(options=on(account) if account else {}))


def advance(client, seconds: int) -> None:
    call_helper(client, "post", "/v1/test_helpers/sandbox/advance_clock", seconds=seconds)


def event_types(client, account: str | None = None, prefix: str = "") -> list[str]:
    """Types of the events recorded so far, oldest first."""
    events = client.v1.events.list(params={"limit": 100}, options=on(account) if account else {})
    return [e.type for e in reversed(events.data) if e.type.startswith(prefix)]


def stripe_fee(amount: int) -> int:
    return round(amount * 0.029) + 30
