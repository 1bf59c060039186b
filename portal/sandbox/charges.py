"""Stripe's test cards, the payment method and charge objects built from them, and reading them.

The builders are shared by payments (card charges), transfers (the `py_` payment a transfer
makes on the connected account) and refunds. Which test card does what is one table. The
read-only routes (charges, payment methods) are listed with the payments routes.
"""

from stripe.params import (
    ChargeListParams,
    ChargeRetrieveParams,
    PaymentMethodRetrieveParams,
)

from portal.sandbox import balance
from portal.sandbox.protocol import Call, Endpoint, list_response, owned

# What a test card does beyond succeeding (docs.stripe.com/testing, /connect/testing).
SUCCEED = "succeed"
AVAILABLE_AT_ONCE = "available_at_once"  # funds skip the pending balance
DECLINE = "decline"
DISPUTE = "dispute"  # disputed as fraudulent right after it succeeds
NEXT_REQUIREMENTS = "next_requirements"  # the charged account owes its next requirements
CHARGE_BLOCK = "charge_block"  # the charged account's charges get blocked
PAYOUT_BLOCK = "payout_block"  # the charged account's payouts get blocked

TEST_CARDS = {
    "4242": {"behaviour": SUCCEED, "fingerprint": "Xt5EWLLDS7FJjR1c"},
    "0077": {"behaviour": AVAILABLE_AT_ONCE, "fingerprint": "ZpN3Q4Xk8bYm0f7L"},
    "0002": {"behaviour": DECLINE, "fingerprint": "Qm8rT2vW9xYz1aB3"},
    "0259": {"behaviour": DISPUTE, "fingerprint": "Hn4kP6sD2fGh8jK0"},
    "4202": {"behaviour": NEXT_REQUIREMENTS, "fingerprint": "Lc7vB1nM3qW5eR9t"},
    "4210": {"behaviour": CHARGE_BLOCK, "fingerprint": "Yu2iO4pA6sD8fG0h"},
    "4236": {"behaviour": PAYOUT_BLOCK, "fingerprint": "Jk1lZ3xC5vB7nM9q"},
}

# Stripe's test PaymentMethod ids and card tokens, by the last four digits of their card.
TEST_PAYMENT_METHODS = {
    "pm_card_visa": "4242",
    "tok_visa": "4242",
    "pm_card_bypassPending": "0077",
    "tok_bypassPending": "0077",
    "pm_card_chargeDeclined": "0002",
    "tok_chargeDeclined": "0002",
    "pm_card_createDispute": "0259",
    "tok_createDispute": "0259",
    "tok_visa_triggerNextRequirements": "4202",
    "tok_visa_triggerChargeBlock": "4210",
    "tok_visa_triggerPayoutBlock": "4236",
}

DECLINE_MESSAGE = "Your card was declined."


def behaviour(payment_method: dict) -> str:
    return TEST_CARDS[payment_method["card"]["last4"]]["behaviour"]


def payment_method_object(sandbox, last4: str) -> dict:
    card = TEST_CARDS[last4]
    return {
        "id": sandbox.new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": {"city": None, "country": None, "line1": None, "line2": None, "postal_code": None, "state": None},
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "card": {
            "brand": "visa",
            "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
            "country": "US",
            "display_brand": "visa",
            "exp_month": 12,
            "exp_year": 2034,
            "fingerprint": card["fingerprint"],
            "funding": "credit",
            "generated_from": None,
            "last4": last4,
            "networks": {"available": ["visa"], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": sandbox.now(),
        "customer": None,
        "customer_account": None,
        "livemode": False,
        "metadata": {},
        "type": "card",
    }


def card_details(payment_method: dict, amount: int) -> dict:
    """`payment_method_details` of a card charge."""
    card = payment_method["card"]
    return {
        "card": {
            "amount_authorized": amount,
            "authorization_code": "123456",
            "brand": card["brand"],
            "checks": dict(card["checks"]),
            "country": card["country"],
            "exp_month": card["exp_month"],
            "exp_year": card["exp_year"],
            "extended_authorization": {"status": "disabled"},
            "fingerprint": card["fingerprint"],
            "funding": card["funding"],
            "incremental_authorization": {"status": "unavailable"},
            "installments": None,
            "last4": card["last4"],
            "mandate": None,
            "multicapture": {"status": "unavailable"},
            "network": "visa",
            "network_token": {"used": False},
            "network_transaction_id": "58" + card["fingerprint"][:13].upper(),
            "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
            "regulated_status": "unregulated",
            "three_d_secure": None,
            "transaction_link_id": None,
            "wallet": None,
        },
        "type": "card",
    }


def outcome(succeeded: bool) -> dict:
    if succeeded:
        return {
            "advice_code": None, "network_advice_code": None, "network_decline_code": None,
            "network_status": "approved_by_network", "reason": None, "risk_level": "normal",
            "risk_score": 12, "seller_message": "Payment complete.", "type": "authorized",
        }
    return {
        "advice_code": "try_again_later", "network_advice_code": None, "network_decline_code": None,
        "network_status": "declined_by_network", "reason": "generic_decline", "risk_level": "normal",
        "risk_score": 12, "seller_message": "The bank did not return any further details with this decline.",
        "type": "issuer_declined",
    }


def charge_object(
    sandbox, *, amount: int, currency: str, id: str | None = None, payment_method: dict | None = None,
    payment_intent: str | None = None, description: str | None = None, metadata: dict | None = None,
    on_behalf_of: str | None = None, transfer_data: dict | None = None, transfer_group: str | None = None,
    application_fee_amount: int | None = None, source_transfer: str | None = None,
    statement_descriptor: str | None = None, statement_descriptor_suffix: str | None = None,
    receipt_email: str | None = None, calculated_descriptor: str | None = None,
) -> dict:
    """A charge as created: not yet captured; `payment_method` None makes a `py_` transfer payment."""
    charge_id = id or sandbox.new_id("ch")
    details = card_details(payment_method, amount) if payment_method else {"stripe_account": {}, "type": "stripe_account"}
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": application_fee_amount,
        "balance_transaction": None,
        "billing_details": payment_method["billing_details"] if payment_method else {
            "address": None, "email": None, "name": None, "phone": None, "tax_id": None,
        },
        "calculated_statement_descriptor": statement_descriptor or calculated_descriptor,
        "captured": False,
        "created": sandbox.now(),
        "currency": currency,
        "customer": None,
        "description": description,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "livemode": False,
        "metadata": metadata or {},
        "on_behalf_of": on_behalf_of,
        "outcome": outcome(True),
        "paid": False,
        "payment_intent": payment_intent,
        "payment_method": payment_method["id"] if payment_method else None,
        "payment_method_details": details,
        "receipt_email": receipt_email,
        "receipt_number": None,
        "receipt_url": f"https://pay.stripe.com/receipts/payment/{charge_id}",
        "refunded": False,
        "refunds": {"object": "list", "data": [], "has_more": False, "url": f"/v1/charges/{charge_id}/refunds"},
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": source_transfer,
        "statement_descriptor": statement_descriptor,
        "statement_descriptor_suffix": statement_descriptor_suffix,
        "status": "pending",
        # `transfer` appears once a destination charge's transfer exists (payments.pay_destination).
        "transfer_data": {"amount": transfer_data.get("amount"), "destination": transfer_data["destination"]}
        if transfer_data else None,
        "transfer_group": transfer_group,
    }


def refund_object(sandbox, charge: dict, amount: int, *, id: str | None = None, reason: str | None = None,
                  metadata: dict | None = None) -> dict:
    return {
        "id": id or sandbox.new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": charge["id"],
        "created": sandbox.now(),
        "currency": charge["currency"],
        "customer": None,
        "customer_account": None,
        "destination_details": {"card": {"reference_status": "pending", "reference_type": "acquirer_reference_number", "type": "refund"}, "type": "card"}
        if charge["payment_method_details"]["type"] == "card" else None,
        "metadata": metadata or {},
        "payment_intent": charge["payment_intent"],
        "payment_method": charge["payment_method"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


# Endpoints


def retrieve_charge(call: Call) -> dict:
    return owned(call, call.path["id"], "charge")


def list_charges(call: Call) -> dict:
    keep = {key: call.params[key] for key in ("payment_intent", "transfer_group", "customer") if key in call.params}
    found = call.sandbox.store.list("charge", owner=call.account, where=keep)
    if "created" in call.params:
        found = [charge for charge in found if balance.in_range(charge["created"], call.params["created"])]
    return list_response(call, found, "/v1/charges")


def retrieve_payment_method(call: Call) -> dict:
    return owned(call, call.path["id"], "payment_method")


ROUTES = [
    Endpoint("GET", "/v1/charges", list_charges, ChargeListParams),
    Endpoint("GET", "/v1/charges/{id}", retrieve_charge, ChargeRetrieveParams),
    Endpoint("GET", "/v1/payment_methods/{id}", retrieve_payment_method, PaymentMethodRetrieveParams),
]
