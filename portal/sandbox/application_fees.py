"""Application fees: the platform's cut of a connected account's payment, and its refunds.

A direct charge with `application_fee_amount` takes the fee out of the account's charge
(fee_details type `application_fee`); a destination charge takes it back from the transfer's
payment. Either way the platform's balance gets an `application_fee` transaction, and a fee
refund moves the money back to the account.
"""

from stripe.params import (
    ApplicationFeeListParams,
    ApplicationFeeRefundCreateParams,
    ApplicationFeeRefundListParams,
    ApplicationFeeRefundRetrieveParams,
    ApplicationFeeRetrieveParams,
)

from portal.sandbox import balance
from portal.sandbox.protocol import (
    Call,
    Endpoint,
    invalid_request,
    list_response,
    resource_missing,
)


def collect(sandbox, account_id: str, charge: dict, amount: int, *, originating_transaction: str | None = None,
            available_on: int | None = None) -> dict:
    """Create the application fee object for `charge` and credit the platform."""
    fee_id = sandbox.new_id("fee")
    txn = balance.credit(
        sandbox, None, amount, charge["currency"], type="application_fee", source=fee_id,
        available_on=available_on, description=f"Application fee from {account_id}",
    )
    fee = {
        "id": fee_id,
        "object": "application_fee",
        "account": account_id,
        "amount": amount,
        "amount_refunded": 0,
        # The platform's Connect application: one stable id per sandbox.
        "application": "ca_" + (sandbox.store.meta("platform_account") or "acct_sandbox")[5:],
        "balance_transaction": txn["id"],
        "charge": charge["id"],
        "created": sandbox.now(),
        "currency": charge["currency"],
        "fee_source": {"charge": charge["id"], "type": "charge"},
        "livemode": False,
        "originating_transaction": originating_transaction,
        "refunded": False,
        "refunds": {"object": "list", "data": [], "has_more": False, "url": f"/v1/application_fees/{fee_id}/refunds"},
    }
    sandbox.store.create(fee)
    sandbox.emit("application_fee.created", fee)
    return fee


def refund(sandbox, fee: dict, amount: int | None = None, metadata: dict | None = None) -> dict:
    """Give (part of) the fee back to the connected account."""
    remaining = fee["amount"] - fee["amount_refunded"]
    amount = remaining if amount is None else amount
    if amount <= 0 or amount > remaining:
        raise invalid_request(
            f"Refund amount ({amount}) is greater than unrefunded amount on fee ({remaining})", param="amount"
        )
    refund_id = sandbox.new_id("fr")
    txn = balance.credit(
        sandbox, None, -amount, fee["currency"], type="application_fee_refund", source=refund_id,
        description=f"Application fee refund ({fee['id']})",
    )
    balance.credit(
        sandbox, fee["account"], amount, fee["currency"], type="application_fee_refund", source=refund_id,
        description=f"Application fee refund ({fee['id']})",
    )
    fee_refund = {
        "id": refund_id,
        "object": "fee_refund",
        "amount": amount,
        "balance_transaction": txn["id"],
        "created": sandbox.now(),
        "currency": fee["currency"],
        "fee": fee["id"],
        "metadata": metadata or {},
    }
    sandbox.store.create(fee_refund)
    previous = {"amount_refunded": fee["amount_refunded"], "refunded": fee["refunded"]}
    fee["amount_refunded"] += amount
    fee["refunded"] = fee["amount_refunded"] == fee["amount"]
    fee["refunds"]["data"].insert(0, fee_refund)
    sandbox.store.save(fee)
    sandbox.emit("application_fee.refunded", fee, previous_attributes=previous)
    return fee_refund


def refund_share(sandbox, fee_id: str | None, share_of: int, whole: int) -> None:
    """Refund the fee in proportion to `share_of` / `whole` of its charge being refunded."""
    fee = sandbox.store.get(fee_id, "application_fee") if fee_id else None
    if fee is None:
        return
    amount = min(fee["amount"] * share_of // whole, fee["amount"] - fee["amount_refunded"])
    if amount > 0:
        refund(sandbox, fee, amount)


# Endpoints (the platform's view)


def find(call: Call, fee_id: str) -> dict:
    fee = call.sandbox.store.get(fee_id, "application_fee")
    if fee is None or call.account is not None:
        raise resource_missing("application fee", fee_id)
    return fee


def list_fees(call: Call) -> dict:
    keep = {"charge": call.params["charge"]} if "charge" in call.params else None
    fees = [] if call.account else call.sandbox.store.list("application_fee", owner=None, where=keep)
    if "created" in call.params:
        fees = [fee for fee in fees if balance.in_range(fee["created"], call.params["created"])]
    return list_response(call, fees, "/v1/application_fees")


def retrieve_fee(call: Call) -> dict:
    return find(call, call.path["id"])


def create_fee_refund(call: Call) -> dict:
    fee = find(call, call.path["id"])
    return refund(call.sandbox, fee, call.params.get("amount"), balance.metadata_from(call.params))


def list_fee_refunds(call: Call) -> dict:
    fee = find(call, call.path["id"])
    return list_response(call, fee["refunds"]["data"], f"/v1/application_fees/{fee['id']}/refunds")


def retrieve_fee_refund(call: Call) -> dict:
    fee = find(call, call.path["fee"])
    fee_refund = call.sandbox.store.get(call.path["id"], "fee_refund")
    if fee_refund is None or fee_refund["fee"] != fee["id"]:
        raise resource_missing("fee refund", call.path["id"])
    return fee_refund


ROUTES = [
    Endpoint("GET", "/v1/application_fees", list_fees, ApplicationFeeListParams),
    Endpoint("GET", "/v1/application_fees/{id}", retrieve_fee, ApplicationFeeRetrieveParams),
    Endpoint("POST", "/v1/application_fees/{id}/refunds", create_fee_refund, ApplicationFeeRefundCreateParams),
    Endpoint("GET", "/v1/application_fees/{id}/refunds", list_fee_refunds, ApplicationFeeRefundListParams),
    Endpoint("GET", "/v1/application_fees/{fee}/refunds/{id}", retrieve_fee_refund, ApplicationFeeRefundRetrieveParams),
]
