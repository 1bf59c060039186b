"""Request builders shared by the account tests: the portal's controller and Stripe's test identity."""

import io
import struct
import time
import zlib

PLATFORM_COLLECTED = {
    "fees": {"payer": "application"},
    "losses": {"payments": "application"},
    "requirement_collection": "application",
    "stripe_dashboard": {"type": "none"},
}
CAPABILITIES = {"card_payments": {"requested": True}, "transfers": {"requested": True}}
ADDRESS = {"line1": "address_full_match", "city": "San Francisco", "state": "CA", "postal_code": "94103"}
ADDRESS_KEYS = ["address.city", "address.line1", "address.postal_code", "address.state"]


def bank(account_number="000123456789", routing_number="110000000"):
    return {"object": "bank_account", "country": "US", "currency": "usd",
            "routing_number": routing_number, "account_number": account_number}


def tos():
    return {"date": int(time.time()) - 5, "ip": "203.0.113.7", "user_agent": "Mozilla/5.0"}


def identity(**overrides):
    person = {
        "first_name": "Jane",
        "last_name": "Doe",
        "email": "jane@example.com",
        "phone": "0000000000",
        "dob": {"day": 1, "month": 1, "year": 1901},
        "address": dict(ADDRESS),
        "id_number": "000000000",
    }
    person.update(overrides)
    return {key: value for key, value in person.items() if value is not None}


def individual_account(client, *, individual=None, external_account=None, **params):
    """A US individual account as the portal creates it, with Stripe's successful test identity."""
    body = {
        "country": "US",
        "email": "seller@example.com",
        "business_type": "individual",
        "controller": PLATFORM_COLLECTED,
        "capabilities": CAPABILITIES,
        "business_profile": {"url": "https://accessible.stripe.com", "mcc": "5734"},
        "individual": identity() if individual is None else individual,
        "tos_acceptance": tos(),
        "external_account": bank() if external_account is None else external_account,
    }
    body.update(params)
    return client.v1.accounts.create(params={k: v for k, v in body.items() if v != "omit"})


def company_account(client, **company):
    return client.v1.accounts.create(params={
        "country": "US",
        "email": "office@acme.example",
        "business_type": "company",
        "controller": PLATFORM_COLLECTED,
        "capabilities": CAPABILITIES,
        "business_profile": {"url": "https://accessible.stripe.com", "mcc": "5734"},
        "company": {"name": "Acme Widgets", "phone": "0000000000", "tax_id": "000000000",
                    "address": dict(ADDRESS), **company},
        "tos_acceptance": tos(),
        "external_account": bank(),
    })


def events(client, account_id, type=None):
    params = {"limit": 100, **({"type": type} if type else {})}
    return list(client.v1.events.list(params=params, options={"stripe_account": account_id}).data)


def identity_photo(width=600, height=400):
    """A small valid PNG, as an uploaded photo of an id would be."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    blob = io.BytesIO(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 7))
                      + chunk(b"IEND", b""))
    blob.name = "id.png"
    return blob
