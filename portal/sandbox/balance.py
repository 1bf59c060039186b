"""Balances: every account's money, computed from its balance transactions.

Each movement of money (a charge, a transfer, a payout, a refund, a dispute) writes one
balance transaction on the account it touches (owner None = the platform). Its `net` counts
towards `pending` until `available_on`, then towards `available`; `tick` makes that move on
the sandbox clock and says so with `balance.available`. Debits are available at once, so a
refund or a dispute on an empty balance makes it negative, as on Stripe.
"""

from stripe.params import (
    BalanceRetrieveParams,
    BalanceTransactionListParams,
    BalanceTransactionRetrieveParams,
)

from portal.sandbox.protocol import (
    Call,
    Endpoint,
    apply_metadata,
    list_response,
    owned,
)

# Currencies Stripe counts in whole units (docs.stripe.com/currencies#zero-decimal): ¥1,000 is 1000.
ZERO_DECIMAL = frozenset({"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
                          "xaf", "xof", "xpf"})

# Stripe's reporting category for each balance transaction type the sandbox writes.
REPORTING_CATEGORY = {
    "charge": "charge",
    "payment": "charge",
    "refund": "refund",
    "payment_refund": "refund",
    "adjustment": "dispute",
    "payout": "payout",
    "payout_cancel": "payout_reversal",
    "payout_failure": "payout_reversal",
    "transfer": "transfer",
    "transfer_refund": "transfer_reversal",
    "application_fee": "platform_earning",
    "application_fee_refund": "platform_earning_refund",
}

# The earliest `available_on` still pending, so most ticks skip the scan entirely.
NEXT_AVAILABLE_KEY = "balance.next_available_on"


def credit(
    sandbox,
    account_id: str | None,
    amount: int,
    currency: str,
    *,
    available_on: int | None = None,
    type: str,
    source: str | None,
    fee_details: list[dict] = (),
    description: str | None = None,
    reporting_category: str | None = None,
) -> dict:
    """Write one balance transaction (negative `amount` = a debit) and return it.

    `available_on` None means at once. A credit that is available at once is announced with
    `balance.available`, like the funds that become available later in `tick`.
    """
    now = sandbox.now()
    available_on = now if available_on is None else available_on
    fee = sum(detail["amount"] for detail in fee_details)
    txn = {
        "id": sandbox.new_id("txn"),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": available_on,
        "balance_type": "payments",
        "created": now,
        "currency": currency,
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": [
            {"application": None, "currency": currency, "description": None, **detail}
            for detail in fee_details
        ],
        "net": amount - fee,
        "reporting_category": reporting_category or REPORTING_CATEGORY.get(type, "other_adjustment"),
        "source": source,
        "status": "available" if available_on <= now else "pending",
        "type": type,
    }
    sandbox.store.create(txn, owner=account_id)
    if txn["status"] == "pending":
        due = sandbox.store.meta(NEXT_AVAILABLE_KEY)
        sandbox.store.set_meta(NEXT_AVAILABLE_KEY, available_on if due is None else min(due, available_on))
    elif txn["net"] > 0:
        announce(sandbox, account_id)
    return txn


def metadata_from(params: dict) -> dict:
    """The metadata of a new object, with Stripe's empty-value semantics."""
    obj = {"metadata": {}}
    apply_metadata(obj, params)
    return obj["metadata"]


def stripe_fee(amount: int, currency: str, description: str = "Stripe processing fees") -> dict:
    """Stripe's standard US card pricing, 2.9% + 30c, as one fee_details entry."""
    return {"amount": round(amount * 0.029) + 30, "currency": currency, "description": description, "type": "stripe_fee"}


def compute(sandbox, account_id: str | None) -> dict:
    """The balance object of one account (None = the platform)."""
    totals: dict[str, dict[str, int]] = {default_currency(sandbox, account_id): {"available": 0, "pending": 0}}
    for txn in sandbox.store.list("balance_transaction", owner=account_id):
        sums = totals.setdefault(txn["currency"], {"available": 0, "pending": 0})
        sums[txn["status"]] += txn["net"]
    balance = {
        "object": "balance",
        "available": [_funds(c, s["available"]) for c, s in sorted(totals.items())],
        # Funds the platform holds back for its accounts' negative balances: none here.
        "connect_reserved": [{"amount": 0, "currency": c} for c in sorted(totals)],
        "livemode": False,
        "pending": [_funds(c, s["pending"]) for c, s in sorted(totals.items())],
    }
    instant = instant_destinations(sandbox, account_id)
    if instant:
        balance["instant_available"] = [
            _instant(c, max(s["available"], 0), instant) for c, s in sorted(totals.items())
        ]
    return balance


def available(sandbox, account_id: str | None, currency: str) -> int:
    return next(
        (funds["amount"] for funds in compute(sandbox, account_id)["available"] if funds["currency"] == currency), 0
    )


def _funds(currency: str, amount: int) -> dict:
    return {"amount": amount, "currency": currency, "source_types": {"card": amount}}


def _instant(currency: str, amount: int, destinations: list[str]) -> dict:
    return {
        **_funds(currency, amount),
        "net_available": [
            {"amount": amount, "destination": destination, "source_types": {"card": amount}}
            for destination in destinations
        ],
    }


def default_currency(sandbox, account_id: str | None) -> str:
    account = sandbox.store.get(account_id, "account") if account_id else None
    return (account or {}).get("default_currency") or "usd"


def external_accounts(sandbox, account_id: str | None) -> list[dict]:
    """The account's bank accounts and debit cards, as its account object lists them."""
    account = sandbox.store.get(account_id, "account") if account_id else None
    return ((account or {}).get("external_accounts") or {}).get("data") or []


def instant_destinations(sandbox, account_id: str | None) -> list[str]:
    return [
        external["id"]
        for external in external_accounts(sandbox, account_id)
        if "instant" in (external.get("available_payout_methods") or [])
    ]


def announce(sandbox, account_id: str | None) -> None:
    sandbox.emit("balance.available", compute(sandbox, account_id), account=account_id)


def settle(sandbox, account_id: str | None) -> None:
    """Make every pending fund of one account available now (a test helper's shortcut)."""
    now = sandbox.now()
    pending = sandbox.store.list("balance_transaction", owner=account_id, where={"status": "pending"})
    for txn in pending:
        txn["available_on"] = now
        txn["status"] = "available"
        sandbox.store.save(txn)
    if pending:
        announce(sandbox, account_id)


def tick(sandbox) -> None:
    """Pending funds whose `available_on` has come become available."""
    now = sandbox.now()
    due = sandbox.store.meta(NEXT_AVAILABLE_KEY)
    if due is None or due > now:
        return
    with sandbox.store.transaction():
        touched, later = set(), None
        for txn in sandbox.store.list("balance_transaction", where={"status": "pending"}):
            if txn["available_on"] > now:
                later = txn["available_on"] if later is None else min(later, txn["available_on"])
                continue
            txn["status"] = "available"
            sandbox.store.save(txn)
            touched.add(sandbox.store.owner(txn["id"]))
        sandbox.store.set_meta(NEXT_AVAILABLE_KEY, later)
        for account_id in sorted(touched, key=lambda a: a or ""):
            announce(sandbox, account_id)


# Endpoints


def retrieve_balance(call: Call) -> dict:
    return compute(call.sandbox, call.account)


def list_balance_transactions(call: Call) -> dict:
    params = call.params
    keep = {key: params[key] for key in ("currency", "source", "type") if key in params}
    txns = call.sandbox.store.list("balance_transaction", owner=call.account, where=keep)
    if "payout" in params:
        swept = set(payout_transactions(call, params["payout"]))
        txns = [txn for txn in txns if txn["id"] in swept]
    if "created" in params:
        txns = [txn for txn in txns if in_range(txn["created"], params["created"])]
    return list_response(call, txns, "/v1/balance_transactions")


def payout_transactions(call: Call, payout_id: str) -> list[str]:
    """The transactions an automatic payout paid out, and the payout's own."""
    store = call.sandbox.store
    payout = owned(call, payout_id, "payout", param="payout")
    return store.private(payout_id).get("transactions", []) + [payout["balance_transaction"]]


def retrieve_balance_transaction(call: Call) -> dict:
    return owned(call, call.path["id"], "balance_transaction", "balance transaction")


def in_range(value: int, bounds) -> bool:
    """Stripe's range filter: an exact int, or any of gt / gte / lt / lte."""
    if isinstance(bounds, int):
        return value == bounds
    checks = {
        "gt": lambda b: value > b,
        "gte": lambda b: value >= b,
        "lt": lambda b: value < b,
        "lte": lambda b: value <= b,
    }
    return all(checks[key](bound) for key, bound in bounds.items())


def settle_balance(call: Call) -> dict:
    settle(call.sandbox, call.account)
    return compute(call.sandbox, call.account)


ROUTES = [
    Endpoint("GET", "/v1/balance", retrieve_balance, BalanceRetrieveParams),
    Endpoint("GET", "/v1/balance_transactions", list_balance_transactions, BalanceTransactionListParams),
    Endpoint("GET", "/v1/balance_transactions/{id}", retrieve_balance_transaction, BalanceTransactionRetrieveParams),
    # Sandbox-only: pending funds of the calling account (Stripe-Account, else the platform)
    # become available now, as if their `available_on` had come.
    Endpoint("POST", "/v1/test_helpers/sandbox/settle_balance", settle_balance),
]
