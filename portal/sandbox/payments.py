"""PaymentIntents and their charges: direct charges, destination charges, application fees.

Who gets the money is decided by the PaymentIntent's shape, as on Stripe:
- a direct charge (`Stripe-Account` header): the connected account's balance, less Stripe's
  fee and the platform's `application_fee_amount`;
- a destination charge (`transfer_data[destination]`): the platform's balance, then a transfer
  of the amount (or `transfer_data[amount]`) to the account, the application fee collected
  back from the account's payment;
- otherwise: the platform's own balance.
Stripe's test cards decide the outcome (charges.TEST_CARDS): declined, funds available at
once, disputed right away, or a requirement or block on the charged account.
"""

from stripe.params import (
    PaymentIntentCancelParams,
    PaymentIntentCaptureParams,
    PaymentIntentConfirmParams,
    PaymentIntentCreateParams,
    PaymentIntentListParams,
    PaymentIntentRetrieveParams,
    PaymentIntentUpdateParams,
)

from portal.sandbox import (
    application_fees,
    balance,
    charges,
    disputes,
    requirements,
    transfers,
)
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

DAY = 86400
DEFAULT_DELAY_DAYS = 2
MINIMUM_AMOUNT = {"usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "jpy": 50}  # jpy: ¥50, no minor unit

CHARGES_DISABLED = (
    "This Connect account cannot currently make live charges. The `requirements.disabled_reason` "
    "property on the account will provide information about why this account is currently "
    "disabled. If you are a customer trying to make a purchase, please contact the owner of this "
    "site. Your transaction has not been processed."
)
FEE_WITHOUT_CONNECT = (
    "Can only apply an application_fee_amount when the PaymentIntent is attempting a direct "
    "payment (using an OAuth key or Stripe-Account header) or destination payment (using "
    "`transfer_data[destination]`)."
)

# The requirement Stripe's "next requirements" trigger card makes due, by business type.
NEXT_REQUIREMENT = {"individual": "individual.verification.document", "company": "company.verification.document"}
# The flag of the account's requirements state that a blocking trigger card sets.
BLOCKS = {charges.CHARGE_BLOCK: "charge_block", charges.PAYOUT_BLOCK: "payout_block"}


def payment_intent_object(sandbox, params: dict, account_id: str | None) -> dict:
    pi_id = sandbox.new_id("pi")
    transfer_data = params.get("transfer_data")
    return {
        "id": pi_id,
        "object": "payment_intent",
        "amount": params["amount"],
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": params.get("application_fee_amount"),
        "automatic_payment_methods": None if "payment_method_types" in params else {"allow_redirects": "always", "enabled": True},
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": params.get("capture_method", "automatic_async"),
        "client_secret": f"{pi_id}_secret_{sandbox.new_id('s')[2:]}",
        "confirmation_method": params.get("confirmation_method", "automatic"),
        "created": sandbox.now(),
        "currency": params["currency"].lower(),
        "customer": params.get("customer"),
        "customer_account": None,
        "description": params.get("description"),
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "managed_payments": None,
        "metadata": balance.metadata_from(params),
        "next_action": None,
        "on_behalf_of": params.get("on_behalf_of"),
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"installments": None, "mandate_options": None, "network": None,
                                            "request_three_d_secure": "automatic"}},
        "payment_method_types": params.get("payment_method_types", ["card"]),
        "processing": None,
        "receipt_email": params.get("receipt_email"),
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": params.get("statement_descriptor"),
        "statement_descriptor_suffix": params.get("statement_descriptor_suffix"),
        "status": "requires_payment_method",
        "transfer_data": intent_transfer_data(transfer_data.get("amount"), transfer_data["destination"])
        if transfer_data else None,
        "transfer_group": params.get("transfer_group"),
    }


def intent_transfer_data(amount: int | None, destination: str) -> dict:
    # A PaymentIntent's transfer_data carries `amount` only when one was given (a charge's has it null).
    return {"destination": destination} if amount is None else {"amount": amount, "destination": destination}


def attach_payment_method(sandbox, pi: dict, account_id: str | None, payment_method_id: str) -> dict:
    """Resolve a test PaymentMethod id or card token, or one already created, onto `pi`."""
    last4 = charges.TEST_PAYMENT_METHODS.get(payment_method_id)
    if last4 is not None:
        payment_method = charges.payment_method_object(sandbox, last4)
        sandbox.store.create(payment_method, owner=account_id)
    else:
        payment_method = sandbox.store.get(payment_method_id, "payment_method")
        if payment_method is None or sandbox.store.owner(payment_method_id) != account_id:
            raise resource_missing("PaymentMethod", payment_method_id, param="payment_method")
    pi["payment_method"] = payment_method["id"]
    pi["status"] = "requires_confirmation"
    return payment_method


def check_can_charge(sandbox, pi: dict, account_id: str | None) -> None:
    """Refuse, as Stripe does, a payment for an account whose charges are disabled."""
    for charged in (account_id, pi["on_behalf_of"]):
        account = sandbox.store.get(charged, "account") if charged else None
        if account is not None and not account.get("charges_enabled"):
            raise invalid_request(CHARGES_DISABLED)
    if pi["transfer_data"]:
        transfers.check_destination(sandbox, pi["transfer_data"]["destination"], param="transfer_data[destination]")


def confirm(sandbox, pi: dict, account_id: str | None) -> dict:
    payment_method = sandbox.store.get(pi["payment_method"], "payment_method")
    check_can_charge(sandbox, pi, account_id)
    what = charges.behaviour(payment_method)
    charge = charges.charge_object(
        sandbox, amount=pi["amount"], currency=pi["currency"], payment_method=payment_method,
        payment_intent=pi["id"], description=pi["description"], metadata=pi["metadata"],
        on_behalf_of=pi["on_behalf_of"], transfer_data=pi["transfer_data"], transfer_group=pi["transfer_group"],
        application_fee_amount=pi["application_fee_amount"],
        statement_descriptor=pi["statement_descriptor"],
        calculated_descriptor=descriptor_of(sandbox, account_id or pi["on_behalf_of"]),
        statement_descriptor_suffix=pi["statement_descriptor_suffix"], receipt_email=pi["receipt_email"],
    )
    pi["latest_charge"] = charge["id"]
    if what == charges.DECLINE:
        decline(sandbox, pi, charge, account_id)
    charge.update(paid=True, status="succeeded")
    sandbox.store.create(charge, owner=account_id)
    if pi["capture_method"] == "manual":
        pi.update(status="requires_capture", amount_capturable=pi["amount"])
        sandbox.store.save(pi)
        sandbox.emit("charge.succeeded", charge, account=account_id)
        sandbox.emit("payment_intent.amount_capturable_updated", pi, account=account_id)
    else:
        capture(sandbox, pi, charge, account_id, pi["amount"])
    trigger(sandbox, what, account_id or pi["on_behalf_of"])
    if what == charges.DISPUTE:
        disputes.open_dispute(sandbox, sandbox.store.get(charge["id"], "charge"), reason="fraudulent")
    return sandbox.store.get(pi["id"], "payment_intent")


def descriptor_of(sandbox, account_id: str | None) -> str | None:
    """The statement descriptor of the account the charge settles for (default: the platform's)."""
    account = sandbox.store.get(account_id or sandbox.store.meta("platform_account") or "", "account") or {}
    return ((account.get("settings") or {}).get("payments") or {}).get("statement_descriptor")


def decline(sandbox, pi: dict, charge: dict, account_id: str | None) -> None:
    """Record the failed charge and the PaymentIntent's error, then answer 402 as Stripe does."""
    charge.update(
        status="failed", failure_code="card_declined", failure_message=charges.DECLINE_MESSAGE,
        outcome=charges.outcome(False),
    )
    sandbox.store.create(charge, owner=account_id)
    payment_method = sandbox.store.get(pi["payment_method"], "payment_method")
    error = {
        "advice_code": "try_again_later", "charge": charge["id"], "code": "card_declined",
        "decline_code": "generic_decline", "doc_url": "https://stripe.com/docs/error-codes/card-declined",
        "message": charges.DECLINE_MESSAGE, "payment_method": payment_method, "type": "card_error",
    }
    pi.update(status="requires_payment_method", last_payment_error=error, payment_method=None)
    sandbox.store.save(pi)
    sandbox.emit("charge.failed", charge, account=account_id)
    sandbox.emit("payment_intent.payment_failed", pi, account=account_id)
    raise StripeError(
        402, "card_error", charges.DECLINE_MESSAGE, code="card_declined", keep_changes=True,
        extra={"advice_code": "try_again_later", "decline_code": "generic_decline", "charge": charge["id"],
               "payment_intent": pi, "payment_method": payment_method},
    )


def capture(sandbox, pi: dict, charge: dict, account_id: str | None, amount: int,
            application_fee_amount: int | None = None) -> None:
    """Move the captured money to whoever the PaymentIntent's shape says gets it."""
    fee_amount = pi["application_fee_amount"] if application_fee_amount is None else application_fee_amount
    currency = pi["currency"]
    available_on = settles_on(sandbox, charge, account_id)
    fee_details = [balance.stripe_fee(amount, currency)]
    if account_id and fee_amount:
        fee_details.append({"amount": fee_amount, "currency": currency, "description": None, "type": "application_fee"})
    txn = balance.credit(
        sandbox, account_id, amount, currency, type="charge", source=charge["id"],
        available_on=available_on, fee_details=fee_details, description=pi["description"],
    )
    charge.update(amount_captured=amount, captured=True, balance_transaction=txn["id"])
    if account_id and fee_amount:
        fee = application_fees.collect(sandbox, account_id, charge, fee_amount, available_on=available_on)
        charge["application_fee"] = fee["id"]
    if pi["transfer_data"]:
        pay_destination(sandbox, pi, charge, amount, fee_amount, available_on)
    if amount < charge["amount"]:
        charge.update(amount_refunded=charge["amount"] - amount)
    sandbox.store.save(charge)
    pi.update(status="succeeded", amount_received=amount, amount_capturable=0)
    sandbox.store.save(pi)
    if pi["capture_method"] == "manual":
        sandbox.emit("charge.captured", charge, account=account_id)
    else:
        sandbox.emit("charge.succeeded", charge, account=account_id)
    sandbox.emit("payment_intent.succeeded", pi, account=account_id)


def pay_destination(sandbox, pi: dict, charge: dict, amount: int, fee_amount: int | None, available_on: int) -> None:
    destination, currency = pi["transfer_data"]["destination"], pi["currency"]
    fixed = pi["transfer_data"].get("amount")
    fee_details = []
    if fee_amount and fixed is None:
        fee_details = [{"amount": fee_amount, "currency": currency, "description": None, "type": "application_fee"}]
    transfer = transfers.create(
        sandbox, amount if fixed is None else fixed, currency, destination, source_transaction=charge,
        transfer_group=pi["transfer_group"] or f"group_{pi['id']}", available_on=available_on,
        payment_fee_details=fee_details,
    )
    charge.update(transfer=transfer["id"], transfer_group=transfer["transfer_group"])
    if fee_details:
        payment = sandbox.store.get(transfer["destination_payment"], "charge")
        fee = application_fees.collect(
            sandbox, destination, payment, fee_amount, originating_transaction=charge["id"], available_on=available_on,
        )
        payment["application_fee"], payment["application_fee_amount"] = fee["id"], fee_amount
        sandbox.store.save(payment)
        charge["application_fee"] = fee["id"]


def settles_on(sandbox, charge: dict, account_id: str | None) -> int:
    """When the funds become available: at once for the bypass card, else after the delay."""
    now = sandbox.now()
    payment_method = sandbox.store.get(charge["payment_method"], "payment_method")
    if charges.behaviour(payment_method) == charges.AVAILABLE_AT_ONCE:
        return now
    account = sandbox.store.get(account_id, "account") if account_id else None
    schedule = ((account or {}).get("settings") or {}).get("payouts", {}).get("schedule") or {}
    delay = schedule.get("delay_days")
    return now + (delay if isinstance(delay, int) else DEFAULT_DELAY_DAYS) * DAY


def trigger(sandbox, what: str, account_id: str | None) -> None:
    """What a trigger card does to the account it charges (on_behalf_of or direct)."""
    account = sandbox.store.get(account_id, "account") if account_id else None
    if account is None:
        return
    if what == charges.NEXT_REQUIREMENTS:
        field = NEXT_REQUIREMENT["company" if account.get("business_type") == "company" else "individual"]
        requirements.add_requirement(sandbox, account_id, field)
    elif what in BLOCKS:
        state = sandbox.store.private(account_id)
        state[BLOCKS[what]] = True
        sandbox.store.set_private(account_id, state)
        requirements.refresh(sandbox, account_id)


# Endpoints


def find(call: Call, pi_id: str) -> dict:
    return owned(call, pi_id, "payment_intent")


def create_payment_intent(call: Call) -> dict:
    sandbox, params = call.sandbox, call.params
    minimum = MINIMUM_AMOUNT.get(params["currency"].lower(), 50)
    if params["amount"] < minimum:
        raise invalid_request(
            f"Amount must be at least {minimum} {params['currency'].lower() if params['currency'].lower() in balance.ZERO_DECIMAL else 'cents'}",
            param="amount", code="amount_too_small"
        )
    if params.get("application_fee_amount") is not None and not (call.account or params.get("transfer_data")):
        raise invalid_request(FEE_WITHOUT_CONNECT, param="application_fee_amount")
    if params.get("transfer_data"):
        transfers.check_destination(sandbox, params["transfer_data"]["destination"], param="transfer_data[destination]")
    for key in ("on_behalf_of",):
        if key in params and sandbox.store.get(params[key], "account") is None:
            raise invalid_request(f"No such account: '{params[key]}'", param=key, code="resource_missing")
    pi = payment_intent_object(sandbox, params, call.account)
    if "payment_method" in params:
        attach_payment_method(sandbox, pi, call.account, params["payment_method"])
    sandbox.store.create(pi, owner=call.account)
    sandbox.emit("payment_intent.created", pi, account=call.account)
    if params.get("confirm"):
        return confirm_now(sandbox, pi, call.account)
    return pi


def confirm_now(sandbox, pi: dict, account_id: str | None) -> dict:
    if pi["payment_method"] is None:
        raise invalid_request(
            "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm "
            "the PaymentIntent with a payment method, supply a `payment_method`.",
            code="payment_intent_unexpected_state",
        )
    return confirm(sandbox, pi, account_id)


def confirm_payment_intent(call: Call) -> dict:
    pi = find(call, call.path["id"])
    if pi["status"] not in ("requires_payment_method", "requires_confirmation"):
        raise unexpected_state(pi, "confirm")
    if "payment_method" in call.params:
        attach_payment_method(call.sandbox, pi, call.account, call.params["payment_method"])
        call.sandbox.store.save(pi)
    return confirm_now(call.sandbox, pi, call.account)


# What an update may change, and whether it may once the PaymentIntent has been paid.
UPDATABLE = {
    "amount": False, "currency": False, "capture_method": False, "application_fee_amount": False,
    "customer": False, "description": True, "receipt_email": True, "statement_descriptor": False,
    "statement_descriptor_suffix": False, "transfer_group": False,
}


def update_payment_intent(call: Call) -> dict:
    sandbox, params, pi = call.sandbox, call.params, find(call, call.path["id"])
    paid = pi["status"] not in ("requires_payment_method", "requires_confirmation")
    for key, after_payment in UPDATABLE.items():
        if key not in params:
            continue
        if paid and not after_payment:
            raise invalid_request(
                f"You cannot update `{key}` on a PaymentIntent with a status of {pi['status']}.",
                param=key, code="payment_intent_unexpected_state",
            )
        pi[key] = None if params[key] == "" else params[key]
    pi["currency"] = pi["currency"].lower()
    if "transfer_data" in params:
        if paid:
            raise unexpected_state(pi, "update")
        destination = params["transfer_data"].get("destination") or (pi["transfer_data"] or {}).get("destination")
        transfers.check_destination(sandbox, destination, param="transfer_data[destination]")
        pi["transfer_data"] = intent_transfer_data(params["transfer_data"].get("amount"), destination)
    if "payment_method" in params:
        if paid:
            raise unexpected_state(pi, "update")
        attach_payment_method(sandbox, pi, call.account, params["payment_method"])
    apply_metadata(pi, params)
    sandbox.store.save(pi)
    return pi


def capture_payment_intent(call: Call) -> dict:
    pi = find(call, call.path["id"])
    if pi["status"] != "requires_capture":
        raise unexpected_state(pi, "capture")
    amount = call.params.get("amount_to_capture", pi["amount_capturable"])
    if amount > pi["amount_capturable"]:
        raise invalid_request(
            "The amount to capture must be less than or equal to the amount capturable.",
            param="amount_to_capture", code="amount_too_large",
        )
    charge = call.sandbox.store.get(pi["latest_charge"], "charge")
    capture(call.sandbox, pi, charge, call.account, amount, call.params.get("application_fee_amount"))
    return call.sandbox.store.get(pi["id"], "payment_intent")


def cancel_payment_intent(call: Call) -> dict:
    sandbox, pi = call.sandbox, find(call, call.path["id"])
    if pi["status"] in ("succeeded", "canceled", "processing"):
        raise unexpected_state(pi, "cancel")
    if pi["status"] == "requires_capture":
        charge = sandbox.store.get(pi["latest_charge"], "charge")
        charge.update(amount_refunded=charge["amount"], refunded=True)
        sandbox.store.save(charge)
    pi.update(status="canceled", canceled_at=sandbox.now(), amount_capturable=0,
              cancellation_reason=call.params.get("cancellation_reason", "requested_by_customer"))
    sandbox.store.save(pi)
    sandbox.emit("payment_intent.canceled", pi, account=call.account)
    return pi


def unexpected_state(pi: dict, action: str) -> StripeError:
    return invalid_request(
        f"This PaymentIntent's {action} could not be performed because it has a status of "
        f"{pi['status']}.", code="payment_intent_unexpected_state",
    )


def list_payment_intents(call: Call) -> dict:
    keep = {"customer": call.params["customer"]} if "customer" in call.params else None
    found = call.sandbox.store.list("payment_intent", owner=call.account, where=keep)
    if "created" in call.params:
        found = [pi for pi in found if balance.in_range(pi["created"], call.params["created"])]
    return list_response(call, found, "/v1/payment_intents")


def retrieve_payment_intent(call: Call) -> dict:
    return find(call, call.path["id"])


ROUTES = [
    Endpoint("POST", "/v1/payment_intents", create_payment_intent, PaymentIntentCreateParams),
    Endpoint("GET", "/v1/payment_intents", list_payment_intents, PaymentIntentListParams),
    Endpoint("GET", "/v1/payment_intents/{id}", retrieve_payment_intent, PaymentIntentRetrieveParams),
    Endpoint("POST", "/v1/payment_intents/{id}", update_payment_intent, PaymentIntentUpdateParams),
    Endpoint("POST", "/v1/payment_intents/{id}/confirm", confirm_payment_intent, PaymentIntentConfirmParams),
    Endpoint("POST", "/v1/payment_intents/{id}/capture", capture_payment_intent, PaymentIntentCaptureParams),
    Endpoint("POST", "/v1/payment_intents/{id}/cancel", cancel_payment_intent, PaymentIntentCancelParams),
    *charges.ROUTES,
]
