"""Refunds: money going back to the customer, out of the balance that got the charge.

The account that owns the charge pays (Stripe keeps its processing fee), so a refund on an
empty balance makes it negative. A destination charge's refund can take the money back from
the connected account (`reverse_transfer`), and a direct charge's can give back the
platform's cut (`refund_application_fee`), both in proportion to the amount refunded.
"""

from stripe.params import (
    RefundCreateParams,
    RefundListParams,
    RefundRetrieveParams,
    RefundUpdateParams,
)

from portal.sandbox import application_fees, balance, charges, transfers
from portal.sandbox.protocol import (
    Call,
    Endpoint,
    apply_metadata,
    invalid_request,
    list_response,
    owned,
    resource_missing,
)


def dollars(amount: int, currency: str = "usd") -> str:
    """An amount as Stripe's error messages write it: "$5.00", or "¥500" in a zero-decimal currency."""
    if currency.lower() in balance.ZERO_DECIMAL:
        return f"{'¥' if currency.lower() == 'jpy' else currency.upper() + ' '}{amount:,}"
    return f"${amount / 100:,.2f}"


def refund_charge(sandbox, account_id: str | None, charge: dict, amount: int | None, *, reason: str | None = None,
                  metadata: dict | None = None, reverse_transfer: bool = False,
                  refund_application_fee: bool = False) -> dict:
    if charge["source_transfer"]:
        # A transfer's payment on the connected account comes back through a transfer reversal.
        raise invalid_request(
            f"Charge {charge['id']} is a transfer payment; reverse the transfer {charge['source_transfer']} instead.",
            param="charge",
        )
    if charge["disputed"]:
        raise invalid_request(
            f"Charge {charge['id']} has been charged back; cannot issue a refund.", code="charge_disputed"
        )
    remaining = charge["amount_captured"] - charge["amount_refunded"]
    if remaining <= 0:
        raise invalid_request(f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
    amount = remaining if amount is None else amount
    if amount <= 0 or amount > remaining:
        raise invalid_request(
            f"Refund amount ({dollars(amount, charge['currency'])}) is greater than unrefunded amount on charge "
            f"({dollars(remaining, charge['currency'])})",
            param="amount",
        )
    refund = charges.refund_object(sandbox, charge, amount, reason=reason, metadata=metadata)
    txn = balance.credit(
        sandbox, account_id, -amount, charge["currency"], type="refund", source=refund["id"],
        description=f"REFUND FOR CHARGE ({charge['description'] or charge['id']})",
    )
    refund["balance_transaction"] = txn["id"]
    if reverse_transfer and charge.get("transfer"):
        transfer = sandbox.store.get(charge["transfer"], "transfer")
        share = transfer["amount"] * amount // charge["amount"]
        reversal = transfers.reverse(
            sandbox, transfer, min(share, transfer["amount"] - transfer["amount_reversed"]),
            source_refund=refund["id"], refund_application_fee=refund_application_fee,
        )
        refund["transfer_reversal"] = reversal["id"]
    elif refund_application_fee:
        application_fees.refund_share(sandbox, charge["application_fee"], amount, charge["amount"])
    sandbox.store.create(refund, owner=account_id)
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    charge["refunds"]["data"].insert(0, refund)
    sandbox.store.save(charge)
    sandbox.emit("refund.created", refund, account=account_id)
    sandbox.emit("charge.refunded", charge, account=account_id, previous_attributes=previous)
    return refund


# Endpoints


def create_refund(call: Call) -> dict:
    sandbox, params, store = call.sandbox, call.params, call.sandbox.store
    if "charge" in params:
        charge_id, param = params["charge"], "charge"
    elif "payment_intent" in params:
        pi = store.get(params["payment_intent"], "payment_intent")
        if pi is None or store.owner(pi["id"]) != call.account:
            raise resource_missing("payment_intent", params["payment_intent"], param="payment_intent")
        if pi["status"] != "succeeded":
            raise invalid_request(
                f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                param="payment_intent", code="charge_not_refundable",
            )
        charge_id, param = pi["latest_charge"], "payment_intent"
    else:
        raise invalid_request("One of the following params should be provided for this request: payment_intent or charge.")
    charge = store.get(charge_id, "charge")
    if charge is None or store.owner(charge_id) != call.account:
        raise resource_missing("charge", charge_id, param=param)
    return refund_charge(
        sandbox, call.account, charge, params.get("amount"), reason=params.get("reason"),
        metadata=balance.metadata_from(params), reverse_transfer=params.get("reverse_transfer", False),
        refund_application_fee=params.get("refund_application_fee", False),
    )


def find(call: Call, refund_id: str) -> dict:
    return owned(call, refund_id, "refund")


def retrieve_refund(call: Call) -> dict:
    return find(call, call.path["id"])


def update_refund(call: Call) -> dict:
    refund = find(call, call.path["id"])
    apply_metadata(refund, call.params)
    call.sandbox.store.save(refund)
    charge = call.sandbox.store.get(refund["charge"], "charge")
    charge["refunds"]["data"] = [refund if r["id"] == refund["id"] else r for r in charge["refunds"]["data"]]
    call.sandbox.store.save(charge)
    return refund


def list_refunds(call: Call) -> dict:
    keep = {key: call.params[key] for key in ("charge", "payment_intent") if key in call.params}
    found = call.sandbox.store.list("refund", owner=call.account, where=keep)
    if "created" in call.params:
        found = [refund for refund in found if balance.in_range(refund["created"], call.params["created"])]
    return list_response(call, found, "/v1/refunds")


ROUTES = [
    Endpoint("POST", "/v1/refunds", create_refund, RefundCreateParams),
    Endpoint("GET", "/v1/refunds", list_refunds, RefundListParams),
    Endpoint("GET", "/v1/refunds/{id}", retrieve_refund, RefundRetrieveParams),
    Endpoint("POST", "/v1/refunds/{id}", update_refund, RefundUpdateParams),
]
