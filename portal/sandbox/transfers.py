"""Transfers: the platform moving money into a connected account's balance, reversals, and
account debits (the platform taking money back out of a connected account's balance).

A transfer debits the platform and makes a `py_` payment on the connected account (the
transfer's `destination_payment`); as recorded in test mode, the funds are in the account's
available balance at once, unless the transfer is tied to a charge (`source_transaction`)
whose funds are still pending, in which case they follow that charge. A reversal refunds the
payment on the account and credits the platform back.

An account debit is the same flow the other way (Stripe's "Debit connected accounts"): a
transfer created *as* the connected account (`Stripe-Account`) whose destination is the
platform's own account id. The transfer belongs to the connected account, and a `py_` payment
lands on the platform. Stripe allows it only where the platform is liable for the account's
losses, both are in the same region, and the currency is the account's default currency; its
docs say a debit can't make the account's balance negative unless the platform has reserves
enabled and a bank account in that currency. The sandbox models no reserves, so it refuses a
debit above the account's available balance (`balance_insufficient`).
"""

from stripe.params import (
    TransferCreateParams,
    TransferListParams,
    TransferRetrieveParams,
    TransferReversalCreateParams,
    TransferReversalListParams,
    TransferReversalRetrieveParams,
    TransferReversalUpdateParams,
    TransferUpdateParams,
)

from portal.sandbox import application_fees, balance, charges, country_specs
from portal.sandbox.protocol import (
    Call,
    Endpoint,
    StripeError,
    apply_metadata,
    invalid_request,
    list_response,
    owned,
    resource_missing,
)

INSUFFICIENT_FUNDS = (
    "Insufficient funds in Stripe account. In test mode, you can add funds to your available "
    "balance (bypassing your pending balance) by creating a charge with 4000 0000 0000 0077 as "
    "the card number.  You can use the the /v1/balance endpoint to view your Stripe balance "
    "(for more details, see stripe.com/docs/api#balance)."
)
NOT_A_PLATFORM = (
    "Only Stripe Connect platforms can work with other accounts. If you need to setup a Stripe "
    "Connect platform, you can do so at https://dashboard.stripe.com/account/applications/settings."
)
DEBITS_NEED_LIABILITY = (
    "Account debits are only supported for connected accounts where the platform is responsible for "
    "negative balances (controller.losses.payments = application)."
)
DEBITS_NEED_SAME_REGION = (
    "Account debits are only supported when the platform and the connected account are in the same "
    "region. The platform is in {platform} and the connected account is in {account}."
)
DEBIT_INSUFFICIENT_FUNDS = (
    "Insufficient funds in the connected account's Stripe balance: an account debit of {amount} {currency} "
    "would take its available balance ({available} {currency}) below zero."
)
MISSING_CAPABILITY = (
    "Your destination account needs to have at least one of the following capabilities enabled: "
    "transfers, crypto_transfers, legacy_payments"
)


def check_destination(sandbox, destination_id: str, param: str = "destination") -> dict:
    account = sandbox.store.get(destination_id, "account")
    if account is None or destination_id == sandbox.store.meta("platform_account"):
        raise invalid_request(f"No such destination: '{destination_id}'", param=param, code="resource_missing")
    if (account.get("capabilities") or {}).get("transfers") != "active":
        raise StripeError(400, "invalid_request_error", MISSING_CAPABILITY, code="insufficient_capabilities_for_transfer")
    platform = sandbox.store.get(sandbox.store.meta("platform_account"), "account") or {}
    agreement = (account.get("tos_acceptance") or {}).get("service_agreement") or "full"
    if agreement == "full" and not country_specs.full_transfers_allowed(platform.get("country") or "US", account["country"]):
        raise StripeError(400, "invalid_request_error",
                          country_specs.FULL_TRANSFER_REFUSED.format(account=account["country"]),
                          code="transfers_not_allowed", param=param)
    return account


def create(
    sandbox, amount: int, currency: str, destination: str, *, source_transaction: dict | None = None,
    transfer_group: str | None = None, description: str | None = None, metadata: dict | None = None,
    available_on: int | None = None, payment_fee_details: list[dict] = (),
) -> dict:
    """Move `amount` from the platform to `destination`; funds follow `available_on`.

    `payment_fee_details` are taken from the destination's payment: the application fee a
    destination charge collects back from the account.
    """
    transfer_id = sandbox.new_id("tr")
    platform_txn = balance.credit(
        sandbox, None, -amount, currency, type="transfer", source=transfer_id,
        available_on=available_on, description=description,
    )
    payment = charges.charge_object(
        sandbox, id=sandbox.new_id("py"), amount=amount, currency=currency, source_transfer=transfer_id,
        transfer_group=transfer_group, description=description,
    )
    payment_txn = balance.credit(
        sandbox, destination, amount, currency, type="payment", source=payment["id"], available_on=available_on,
        fee_details=payment_fee_details,
    )
    payment.update({
        "amount_captured": amount, "captured": True, "paid": True, "status": "succeeded",
        "balance_transaction": payment_txn["id"],
    })
    sandbox.store.create(payment, owner=destination)
    transfer = {
        "id": transfer_id,
        "object": "transfer",
        "amount": amount,
        "amount_reversed": 0,
        "balance_transaction": platform_txn["id"],
        "created": sandbox.now(),
        "currency": currency,
        "description": description,
        "destination": destination,
        "destination_payment": payment["id"],
        "livemode": False,
        "metadata": metadata or {},
        "reversals": {"object": "list", "data": [], "has_more": False, "url": f"/v1/transfers/{transfer_id}/reversals"},
        "reversed": False,
        "source_transaction": source_transaction["id"] if source_transaction else None,
        "source_type": "card",
        "transfer_group": transfer_group,
    }
    sandbox.store.create(transfer)
    sandbox.emit("transfer.created", transfer)
    return transfer


def debit(
    sandbox, account_id: str, amount: int, currency: str, *, transfer_group: str | None = None,
    description: str | None = None, metadata: dict | None = None,
) -> dict:
    """Move `amount` from connected account `account_id` to the platform (an account debit).

    The transfer is the account's (its balance transaction is a negative `transfer`); the
    platform gets a `py_` payment (`destination_payment`) with a positive `payment` transaction."""
    platform_id = sandbox.store.meta("platform_account")
    transfer_id = sandbox.new_id("tr")
    account_txn = balance.credit(
        sandbox, account_id, -amount, currency, type="transfer", source=transfer_id, description=description,
    )
    payment = charges.charge_object(
        sandbox, id=sandbox.new_id("py"), amount=amount, currency=currency, source_transfer=transfer_id,
        transfer_group=transfer_group, description=description,
    )
    payment_txn = balance.credit(sandbox, None, amount, currency, type="payment", source=payment["id"])
    payment.update({
        "amount_captured": amount, "captured": True, "paid": True, "status": "succeeded",
        "balance_transaction": payment_txn["id"],
    })
    sandbox.store.create(payment, owner=None)
    transfer = {
        "id": transfer_id,
        "object": "transfer",
        "amount": amount,
        "amount_reversed": 0,
        "balance_transaction": account_txn["id"],
        "created": sandbox.now(),
        "currency": currency,
        "description": description,
        "destination": platform_id,
        "destination_payment": payment["id"],
        "livemode": False,
        "metadata": metadata or {},
        "reversals": {"object": "list", "data": [], "has_more": False, "url": f"/v1/transfers/{transfer_id}/reversals"},
        "reversed": False,
        "source_transaction": None,
        "source_type": "card",
        "transfer_group": transfer_group,
    }
    sandbox.store.create(transfer, owner=account_id)
    sandbox.emit("transfer.created", transfer, account=account_id)
    return transfer


def reverse(sandbox, transfer: dict, amount: int | None = None, *, description: str | None = None,
            metadata: dict | None = None, refund_application_fee: bool = False, source_refund: str | None = None) -> dict:
    """Take (part of) a transfer back from the connected account."""
    remaining = transfer["amount"] - transfer["amount_reversed"]
    amount = remaining if amount is None else amount
    if amount <= 0 or amount > remaining:
        raise invalid_request(
            f"Transfer reversal amount ({amount}) is greater than the amount that remains on the "
            f"transfer ({remaining}).", param="amount",
        )
    reversal_id = sandbox.new_id("trr")
    destination, currency = transfer["destination"], transfer["currency"]
    payment = sandbox.store.get(transfer["destination_payment"], "charge")
    payment_refund = charges.refund_object(sandbox, payment, amount, id=sandbox.new_id("pyr"))
    refund_txn = balance.credit(
        sandbox, destination, -amount, currency, type="payment_refund", source=payment_refund["id"],
    )
    payment_refund["balance_transaction"] = refund_txn["id"]
    sandbox.store.create(payment_refund, owner=destination)
    payment["amount_refunded"] += amount
    payment["refunded"] = payment["amount_refunded"] == payment["amount"]
    payment["refunds"]["data"].insert(0, payment_refund)
    sandbox.store.save(payment)
    platform_txn = balance.credit(
        sandbox, None, amount, currency, type="transfer_refund", source=reversal_id, description=description,
    )
    reversal = {
        "id": reversal_id,
        "object": "transfer_reversal",
        "amount": amount,
        "balance_transaction": platform_txn["id"],
        "created": sandbox.now(),
        "currency": currency,
        "destination_payment_refund": payment_refund["id"],
        "metadata": metadata or {},
        "source_refund": source_refund,
        "transfer": transfer["id"],
    }
    sandbox.store.create(reversal)
    previous = {"amount_reversed": transfer["amount_reversed"], "reversed": transfer["reversed"]}
    transfer["amount_reversed"] += amount
    transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
    transfer["reversals"]["data"].insert(0, reversal)
    sandbox.store.save(transfer)
    sandbox.emit("transfer.reversed", transfer, previous_attributes=previous)
    if refund_application_fee and transfer["source_transaction"]:
        source = sandbox.store.get(transfer["source_transaction"], "charge") or {}
        application_fees.refund_share(sandbox, source.get("application_fee"), amount, transfer["amount"])
    return reversal


# Endpoints (the platform's)


def create_transfer(call: Call) -> dict:
    sandbox, params = call.sandbox, call.params
    amount, currency = params.get("amount"), params["currency"].lower()
    if amount is None:
        raise invalid_request("Missing required param: amount.", param="amount", code="parameter_missing")
    if amount <= 0:
        raise invalid_request("Invalid positive integer", param="amount", code="parameter_invalid_integer")
    if call.account is not None:
        return create_account_debit(call, amount, currency)
    check_destination(sandbox, params["destination"])
    source, available_on = None, None
    if "source_transaction" in params:
        source, available_on = source_funds(sandbox, params["source_transaction"], amount)
    elif amount > balance.available(sandbox, None, currency):
        raise invalid_request(INSUFFICIENT_FUNDS, code="balance_insufficient")
    return create(
        sandbox, amount, currency, params["destination"], source_transaction=source,
        transfer_group=params.get("transfer_group"), description=params.get("description"),
        metadata=balance.metadata_from(params), available_on=available_on,
    )


def create_account_debit(call: Call, amount: int, currency: str) -> dict:
    """A transfer made as the connected account: allowed only as an account debit to the platform."""
    sandbox, params = call.sandbox, call.params
    platform = sandbox.store.get(sandbox.store.meta("platform_account"), "account")
    if params["destination"] != platform["id"]:
        raise invalid_request(NOT_A_PLATFORM)
    if "source_transaction" in params:
        raise invalid_request("An account debit cannot draw on a source_transaction.", param="source_transaction")
    account = sandbox.store.get(call.account, "account")
    if ((account.get("controller") or {}).get("losses") or {}).get("payments") != "application":
        raise StripeError(400, "invalid_request_error", DEBITS_NEED_LIABILITY, code="transfers_not_allowed")
    if account.get("country") != platform.get("country"):
        raise StripeError(400, "invalid_request_error", DEBITS_NEED_SAME_REGION.format(
            platform=platform.get("country"), account=account.get("country")), code="transfers_not_allowed")
    default = account.get("default_currency") or balance.default_currency(sandbox, call.account)
    if currency != default:
        raise invalid_request(
            f"The currency of an account debit must be the connected account's default currency ({default}).",
            param="currency",
        )
    available = balance.available(sandbox, call.account, currency)
    if amount > available:
        raise invalid_request(
            DEBIT_INSUFFICIENT_FUNDS.format(amount=amount, currency=currency, available=available),
            param="amount", code="balance_insufficient",
        )
    return debit(
        sandbox, call.account, amount, currency, transfer_group=params.get("transfer_group"),
        description=params.get("description"), metadata=balance.metadata_from(params),
    )


def source_funds(sandbox, charge_id: str, amount: int) -> tuple[dict, int]:
    """The platform charge a transfer draws on, and when its funds are available."""
    charge = sandbox.store.get(charge_id, "charge")
    if charge is None or sandbox.store.owner(charge_id) is not None:
        raise resource_missing("charge", charge_id, param="source_transaction")
    if charge["status"] != "succeeded":
        raise invalid_request("The source_transaction must be a succeeded charge.", param="source_transaction")
    already = sum(t["amount"] for t in sandbox.store.list("transfer", where={"source_transaction": charge_id}))
    if amount > charge["amount"] - charge["amount_refunded"] - already:
        raise invalid_request(
            f"Transfer amount ({amount}) exceeds the amount that remains on the source transaction.", param="amount"
        )
    txn = sandbox.store.get(charge["balance_transaction"], "balance_transaction")
    return charge, max(txn["available_on"], sandbox.now())


def find(call: Call, transfer_id: str) -> dict:
    """A platform's transfer (reversals are the platform's: an account debit has none here)."""
    transfer = call.sandbox.store.get(transfer_id, "transfer")
    if transfer is None or call.account is not None or call.sandbox.store.owner(transfer_id) is not None:
        raise resource_missing("transfer", transfer_id)
    return transfer


def retrieve_transfer(call: Call) -> dict:
    return owned(call, call.path["id"], "transfer")


def update_transfer(call: Call) -> dict:
    transfer = owned(call, call.path["id"], "transfer")
    if "description" in call.params:
        transfer["description"] = call.params["description"]
    apply_metadata(transfer, call.params)
    return call.sandbox.store.save(transfer)


def list_transfers(call: Call) -> dict:
    keep = {key: call.params[key] for key in ("destination", "transfer_group") if key in call.params}
    transfers = call.sandbox.store.list("transfer", owner=call.account, where=keep)
    if "created" in call.params:
        transfers = [t for t in transfers if balance.in_range(t["created"], call.params["created"])]
    return list_response(call, transfers, "/v1/transfers")


def create_reversal(call: Call) -> dict:
    transfer = find(call, call.path["id"])
    return reverse(
        call.sandbox, transfer, call.params.get("amount"), description=call.params.get("description"),
        metadata=balance.metadata_from(call.params),
        refund_application_fee=call.params.get("refund_application_fee", False),
    )


def list_reversals(call: Call) -> dict:
    transfer = find(call, call.path["id"])
    reversals = call.sandbox.store.list("transfer_reversal", where={"transfer": transfer["id"]})
    return list_response(call, reversals, f"/v1/transfers/{transfer['id']}/reversals")


def find_reversal(call: Call) -> tuple[dict, dict]:
    transfer = find(call, call.path["transfer"])
    reversal = call.sandbox.store.get(call.path["id"], "transfer_reversal")
    if reversal is None or reversal["transfer"] != transfer["id"]:
        raise resource_missing("transfer_reversal", call.path["id"])
    return transfer, reversal


def retrieve_reversal(call: Call) -> dict:
    return find_reversal(call)[1]


def update_reversal(call: Call) -> dict:
    transfer, reversal = find_reversal(call)
    apply_metadata(reversal, call.params)
    call.sandbox.store.save(reversal)
    transfer["reversals"]["data"] = [reversal if r["id"] == reversal["id"] else r for r in transfer["reversals"]["data"]]
    call.sandbox.store.save(transfer)
    return reversal


ROUTES = [
    Endpoint("POST", "/v1/transfers", create_transfer, TransferCreateParams),
    Endpoint("GET", "/v1/transfers", list_transfers, TransferListParams),
    Endpoint("GET", "/v1/transfers/{id}", retrieve_transfer, TransferRetrieveParams),
    Endpoint("POST", "/v1/transfers/{id}", update_transfer, TransferUpdateParams),
    Endpoint("POST", "/v1/transfers/{id}/reversals", create_reversal, TransferReversalCreateParams),
    Endpoint("GET", "/v1/transfers/{id}/reversals", list_reversals, TransferReversalListParams),
    Endpoint("GET", "/v1/transfers/{transfer}/reversals/{id}", retrieve_reversal, TransferReversalRetrieveParams),
    Endpoint("POST", "/v1/transfers/{transfer}/reversals/{id}", update_reversal, TransferReversalUpdateParams),
]
