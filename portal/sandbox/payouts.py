"""Payouts: money leaving an account's balance for its bank account or debit card.

A payout is `pending` when created, goes `in_transit` once "submitted to the bank" (after the
sandbox's processing delay), then `paid` on its `arrival_date`, or `failed` with the code
Stripe's test bank numbers and debit cards produce, the funds coming back to the balance.
Accounts whose schedule is not `manual` are paid out automatically once a day, when the
sandbox clock crosses into a payout day of their schedule.
"""

import datetime

from stripe.params import (
    PayoutCancelParams,
    PayoutCreateParams,
    PayoutListParams,
    PayoutRetrieveParams,
    PayoutUpdateParams,
)

from portal.sandbox import balance, external_accounts
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

# Stripe's words for each payout failure code (docs.stripe.com/api/payouts/failures).
FAILURE_MESSAGES = {
    "account_closed": "The bank account has been closed.",
    "account_frozen": "The bank account has been frozen.",
    "could_not_process": "The bank could not process this payout.",
    "debit_not_authorized": (
        "Debit transactions are not approved on the bank account. (Stripe requires bank accounts "
        "to be set up for both credit and debit payouts.)"
    ),
    "insufficient_funds": "Your Stripe account has insufficient funds to cover the payout.",
    "invalid_account_number": "The routing number seems correct, but the account number is invalid.",
    "invalid_currency": (
        "The bank was unable to process this payout because of its currency. This is probably "
        "because the bank account cannot accept payments in that currency."
    ),
    "no_account": (
        "The bank account details on file are probably incorrect. No bank account could be "
        "located with those details."
    ),
}

BALANCE_INSUFFICIENT = (
    "You have insufficient funds in your Stripe account for this transfer. Your card balance is "
    "too low.  You can use the /v1/balance endpoint to view your Stripe balance (for more "
    "details, see stripe.com/docs/api#balance)."
)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
AUTO_DAY_KEY = "payouts.last_automatic_day"
NEXT_DUE_KEY = "payouts.next_due"


# Building and moving payouts


def create(
    sandbox, account_id: str | None, amount: int, currency: str, destination: dict, *,
    method: str = "standard", automatic: bool = False, description: str | None = None,
    statement_descriptor: str | None = None, metadata: dict | None = None,
) -> dict:
    """A new pending payout, its amount taken from the balance at once."""
    now = sandbox.now()
    payout_id = sandbox.new_id("po")
    txn = balance.credit(
        sandbox, account_id, -amount, currency, type="payout", source=payout_id,
        description=description or "STRIPE PAYOUT",
    )
    payout = {
        "id": payout_id,
        "object": "payout",
        "amount": amount,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": now if method == "instant" else next_business_day(now),
        "automatic": automatic,
        "balance_transaction": txn["id"],
        "created": now,
        "currency": currency,
        "description": description or "STRIPE PAYOUT",
        "destination": destination["id"],
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": metadata or {},
        "method": method,
        "original_payout": None,
        "payout_method": None,
        "reconciliation_status": "in_progress" if automatic else "not_applicable",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": statement_descriptor,
        "status": "pending",
        "trace_id": {"status": "pending", "value": None},
        "type": "card" if destination["object"] == "card" else "bank_account",
    }
    submit_at = now + int(sandbox.config.verification_delay)
    sandbox.store.create(payout, owner=account_id, private={"submit_at": submit_at})
    remind(sandbox, submit_at)
    sandbox.emit("payout.created", payout, account=account_id)
    return payout


def next_business_day(now: int) -> int:
    """Midnight UTC of the next weekday: when a standard payout lands in a US bank."""
    day = datetime.datetime.fromtimestamp(now, datetime.UTC).date() + datetime.timedelta(days=1)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return int(datetime.datetime.combine(day, datetime.time(), datetime.UTC).timestamp())


def remind(sandbox, when: int) -> None:
    due = sandbox.store.meta(NEXT_DUE_KEY)
    sandbox.store.set_meta(NEXT_DUE_KEY, when if due is None else min(due, when))


def change(sandbox, payout: dict, changes: dict, *event_types: str) -> dict:
    previous = {key: payout[key] for key in changes}
    payout.update(changes)
    sandbox.store.save(payout)
    account_id = sandbox.store.owner(payout["id"])
    sandbox.emit("payout.updated", payout, account=account_id, previous_attributes=previous)
    for event_type in event_types:
        sandbox.emit(event_type, payout, account=account_id)
    return payout


def submit(sandbox, payout: dict) -> None:
    """The bank takes the payout, or (for Stripe's failing test accounts) sends it back."""
    change(sandbox, payout, {"status": "in_transit"})
    code = external_accounts.payout_failure_code(sandbox, payout["destination"])
    if code is None:
        return
    account_id = sandbox.store.owner(payout["id"])
    txn = balance.credit(
        sandbox, account_id, payout["amount"], payout["currency"], type="payout_failure", source=payout["id"],
        description=f"Payout failure ({payout['id']})",
    )
    change(
        sandbox, payout,
        {"status": "failed", "failure_code": code, "failure_message": FAILURE_MESSAGES.get(code),
         "failure_balance_transaction": txn["id"]},
        "payout.failed",
    )


def arrive(sandbox, payout: dict) -> None:
    changes = {"status": "paid", "trace_id": {"status": "supported", "value": payout["id"][-15:].upper()}}
    if payout["automatic"]:
        changes["reconciliation_status"] = "completed"
    change(sandbox, payout, changes, "payout.paid")


def tick(sandbox) -> None:
    now = sandbox.now()
    pay_automatically(sandbox, now)
    due = sandbox.store.meta(NEXT_DUE_KEY)
    if due is None or due > now:
        return
    later = None
    for payout in sandbox.store.list("payout", where=lambda p: p["status"] in ("pending", "in_transit")):
        submit_at = sandbox.store.private(payout["id"])["submit_at"]
        if payout["status"] == "pending" and submit_at <= now:
            submit(sandbox, payout)
        if payout["status"] == "in_transit" and payout["arrival_date"] <= now:
            arrive(sandbox, payout)
        if payout["status"] in ("pending", "in_transit"):
            next_step = submit_at if payout["status"] == "pending" else payout["arrival_date"]
            later = next_step if later is None else min(later, next_step)
    sandbox.store.set_meta(NEXT_DUE_KEY, later)


# Automatic payouts


def pay_automatically(sandbox, now: int) -> None:
    """Once per sandbox day, pay out the available balance of accounts on a schedule."""
    today = datetime.datetime.fromtimestamp(now, datetime.UTC).date()
    last = sandbox.store.meta(AUTO_DAY_KEY)
    if last is not None and last >= today.toordinal():
        return
    sandbox.store.set_meta(AUTO_DAY_KEY, today.toordinal())
    if last is None:
        return
    platform_id = sandbox.store.meta("platform_account")
    for account in sandbox.store.list("account", where=lambda a: a["id"] != platform_id):
        payouts_settings = ((account.get("settings") or {}).get("payouts")) or {}
        schedule = payouts_settings.get("schedule") or {}
        if account.get("payouts_enabled") and is_payout_day(schedule, today):
            pay_out_balance(sandbox, account, bool(payouts_settings.get("debit_negative_balances")))


def is_payout_day(schedule: dict, day: datetime.date) -> bool:
    interval = schedule.get("interval", "daily")
    if interval == "daily":
        return True
    if interval == "weekly":
        days = schedule.get("weekly_payout_days") or [schedule.get("weekly_anchor") or "monday"]
        return WEEKDAYS[day.weekday()] in days
    if interval == "monthly":
        anchors = schedule.get("monthly_payout_days") or [schedule.get("monthly_anchor") or 1]
        last_day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
        return any(min(anchor, last_day.day) == day.day for anchor in anchors)
    return False


def pay_out_balance(sandbox, account: dict, debit_negative: bool) -> None:
    for funds in balance.compute(sandbox, account["id"])["available"]:
        amount, currency = funds["amount"], funds["currency"]
        destination = default_destination(sandbox, account["id"], currency)
        if destination is None or amount == 0 or (amount < 0 and not debit_negative):
            continue
        swept = [
            txn["id"] for txn in sandbox.store.list("balance_transaction", owner=account["id"])
            if txn["currency"] == currency and txn["status"] == "available"
            and not sandbox.store.private(txn["id"]).get("payout")
        ]
        # A negative automatic payout debits the bank account for what the balance owes.
        payout = create(sandbox, account["id"], amount, currency, destination, automatic=True)
        for txn_id in swept:
            sandbox.store.set_private(txn_id, {"payout": payout["id"]})
        sandbox.store.set_private(payout["id"], {**sandbox.store.private(payout["id"]), "transactions": swept})


def default_destination(sandbox, account_id: str | None, currency: str) -> dict | None:
    return next(
        (
            external for external in balance.external_accounts(sandbox, account_id)
            if external.get("currency") == currency and external.get("default_for_currency")
        ),
        None,
    )


# Endpoints


def create_payout(call: Call) -> dict:
    params, sandbox = call.params, call.sandbox
    amount, currency = params["amount"], params["currency"].lower()
    if amount <= 0:
        raise invalid_request("Invalid positive integer", param="amount", code="parameter_invalid_integer")
    account = sandbox.store.get(call.account, "account") if call.account else None
    if account is not None and not account.get("payouts_enabled"):
        raise invalid_request(
            "Payouts have been disabled on this account. Check the account's requirements to see "
            "what information is needed to enable them.", code="payouts_not_allowed",
        )
    destination = choose_destination(sandbox, call.account, currency, params.get("destination"))
    method = params.get("method", "standard")
    if method == "instant" and "instant" not in (destination.get("available_payout_methods") or []):
        raise invalid_request(
            "This external account is not eligible for Instant Payouts. Try a debit card or bank "
            "account from a supported bank.", param="destination", code="instant_payouts_unsupported",
        )
    if amount > balance.available(sandbox, call.account, currency):
        raise invalid_request(BALANCE_INSUFFICIENT, code="balance_insufficient")
    return create(
        sandbox, call.account, amount, currency, destination, method=method,
        description=params.get("description"), statement_descriptor=params.get("statement_descriptor"),
        metadata=balance.metadata_from(params),
    )


def choose_destination(sandbox, account_id: str | None, currency: str, destination_id: str | None) -> dict:
    if destination_id is None:
        destination = default_destination(sandbox, account_id, currency)
        if destination is None:
            raise invalid_request(
                f"You don't have any external accounts in that currency ({currency}).", param="currency"
            )
        return destination
    for external in balance.external_accounts(sandbox, account_id):
        if external["id"] == destination_id:
            if external.get("currency") != currency:
                raise invalid_request(
                    f"The currency of the external account ({external.get('currency')}) does not match "
                    f"the payout currency ({currency}).", param="destination",
                )
            return external
    raise resource_missing("external account", destination_id, param="destination")


def find(call: Call, payout_id: str) -> dict:
    return owned(call, payout_id, "payout")


def retrieve_payout(call: Call) -> dict:
    return find(call, call.path["id"])


def update_payout(call: Call) -> dict:
    payout = find(call, call.path["id"])
    apply_metadata(payout, call.params)
    return call.sandbox.store.save(payout)


def cancel_payout(call: Call) -> dict:
    sandbox, payout = call.sandbox, find(call, call.path["id"])
    if payout["status"] != "pending" or payout["automatic"]:
        raise StripeError(
            400, "invalid_request_error",
            "Payouts can only be canceled while they are pending and were not created automatically.",
        )
    txn = balance.credit(
        sandbox, call.account, payout["amount"], payout["currency"], type="payout_cancel", source=payout["id"],
        description=f"Payout cancellation ({payout['id']})",
    )
    return change(
        sandbox, payout, {"status": "canceled", "failure_balance_transaction": txn["id"]}, "payout.canceled"
    )


def list_payouts(call: Call) -> dict:
    params = call.params
    keep = {key: params[key] for key in ("destination", "status") if key in params}
    payouts = call.sandbox.store.list("payout", owner=call.account, where=keep)
    for key in ("created", "arrival_date"):
        if key in params:
            payouts = [p for p in payouts if balance.in_range(p[key], params[key])]
    return list_response(call, payouts, "/v1/payouts")


ROUTES = [
    Endpoint("POST", "/v1/payouts", create_payout, PayoutCreateParams),
    Endpoint("GET", "/v1/payouts", list_payouts, PayoutListParams),
    Endpoint("GET", "/v1/payouts/{id}", retrieve_payout, PayoutRetrieveParams),
    Endpoint("POST", "/v1/payouts/{id}", update_payout, PayoutUpdateParams),
    Endpoint("POST", "/v1/payouts/{id}/cancel", cancel_payout, PayoutCancelParams),
]
