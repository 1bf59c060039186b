"""Disputes: a cardholder contests a charge, the money and a fee leave the balance at once.

Stripe's test card 4000000000000259 (`pm_card_createDispute`) is disputed as fraudulent right
after it succeeds; a test helper disputes any existing payment. Responding goes
`needs_response` -> `under_review` when evidence is submitted, and evidence whose
`uncategorized_text` is `winning_evidence` / `losing_evidence` ends it `won` (amount and fee
reinstated) or `lost` a moment later (the sandbox's verification delay), as in test mode.
Accepting (`close`) loses it at once; no answer by `evidence_details.due_by` loses it then.
"""

import datetime
import typing
from typing import NotRequired

from stripe.params import (
    DisputeCloseParams,
    DisputeListParams,
    DisputeRetrieveParams,
    DisputeUpdateParams,
)

from portal.sandbox import balance, files
from portal.sandbox.protocol import (
    Call,
    Endpoint,
    apply_metadata,
    invalid_request,
    list_response,
    owned,
    resource_missing,
)

DISPUTE_FEE = {"usd": 1500}
RESPONSE_DAYS = 7
OPEN = ("needs_response", "warning_needs_response")
CLOSED = ("won", "lost", "warning_closed", "prevented")
# Test-mode evidence that decides the outcome (docs.stripe.com/testing#evidence).
OUTCOMES = {"winning_evidence": "won", "losing_evidence": "lost"}
# Visa's reason codes for the reasons the sandbox opens disputes with.
NETWORK_REASON_CODES = {"fraudulent": "10.4", "product_not_received": "13.1", "general": "13.2"}
EVIDENCE_KEYS = (
    "access_activity_log", "billing_address", "cancellation_policy", "cancellation_policy_disclosure",
    "cancellation_rebuttal", "customer_communication", "customer_email_address", "customer_name",
    "customer_purchase_ip", "customer_signature", "duplicate_charge_documentation",
    "duplicate_charge_explanation", "duplicate_charge_id", "product_description", "receipt", "refund_policy",
    "refund_policy_disclosure", "refund_refusal_explanation", "service_date", "service_documentation",
    "shipping_address", "shipping_carrier", "shipping_date", "shipping_documentation",
    "shipping_tracking_number", "uncategorized_file", "uncategorized_text",
)
# Evidence given as an uploaded file (purpose dispute_evidence) rather than text.
FILE_EVIDENCE = (
    "cancellation_policy", "customer_communication", "customer_signature", "duplicate_charge_documentation",
    "receipt", "refund_policy", "service_documentation", "shipping_documentation", "uncategorized_file",
)
NEXT_DUE_KEY = "disputes.next_due"


def open_dispute(sandbox, charge: dict, *, reason: str = "fraudulent", amount: int | None = None) -> dict:
    """Dispute `charge`: withdraw the amount and Stripe's dispute fee from its account."""
    store = sandbox.store
    account_id = store.owner(charge["id"])
    amount = charge["amount"] if amount is None else amount
    now = sandbox.now()
    dispute_id = sandbox.new_id("dp")
    fee = DISPUTE_FEE.get(charge["currency"], 1500)
    txn = balance.credit(
        sandbox, account_id, -amount, charge["currency"], type="adjustment", source=dispute_id,
        reporting_category="dispute", description=f"Chargeback withdrawal for {charge['id']}",
        fee_details=[{"amount": fee, "currency": charge["currency"], "description": "Dispute fee", "type": "stripe_fee"}],
    )
    due_day = datetime.datetime.fromtimestamp(now, datetime.UTC).date() + datetime.timedelta(days=RESPONSE_DAYS)
    due_by = int(datetime.datetime.combine(due_day, datetime.time(23, 59, 59), datetime.UTC).timestamp())
    dispute = {
        "id": dispute_id,
        "object": "dispute",
        "amount": amount,
        "balance_transactions": [txn],
        "charge": charge["id"],
        "created": now,
        "currency": charge["currency"],
        "enhanced_eligibility_types": [],
        "evidence": {**{key: None for key in EVIDENCE_KEYS}, "enhanced_evidence": {}},
        "evidence_details": {
            "due_by": due_by, "enhanced_eligibility": {}, "has_evidence": False, "past_due": False,
            "submission_count": 0, "submission_method": None,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": charge["payment_intent"],
        "payment_method_details": {
            "card": {"brand": "visa", "case_type": "chargeback", "network": "visa",
                     "network_reason_code": NETWORK_REASON_CODES.get(reason, "13.2")},
            "type": "card",
        },
        "reason": reason,
        "status": "needs_response",
    }
    store.create(dispute, owner=account_id)
    remind(sandbox, due_by)
    charge["disputed"] = True
    store.save(charge)
    sandbox.emit("charge.dispute.created", dispute, account=account_id)
    sandbox.emit("charge.dispute.funds_withdrawn", dispute, account=account_id)
    return dispute


def submit_evidence(sandbox, dispute_id: str, evidence: dict, submit: bool = True, metadata: dict | None = None) -> dict:
    """Stage or submit evidence (the API's update, and the Connect.js stand-in's form)."""
    store = sandbox.store
    dispute = store.get(dispute_id, "dispute")
    if dispute is None:
        raise resource_missing("dispute", dispute_id)
    if dispute["status"] not in OPEN:
        raise invalid_request(
            f"This dispute is {dispute['status']} and its evidence can no longer be changed.",
        )
    for key in FILE_EVIDENCE:
        if evidence.get(key):
            files.evidence(sandbox, evidence[key], store.owner(dispute_id), f"evidence[{key}]")
    previous = {"evidence": dict(dispute["evidence"]), "evidence_details": dict(dispute["evidence_details"]),
                "status": dispute["status"]}
    dispute["evidence"].update({key: value for key, value in evidence.items() if key in EVIDENCE_KEYS})
    if metadata is not None:
        apply_metadata(dispute, {"metadata": metadata})
        previous["metadata"] = {}
    details = dispute["evidence_details"]
    details["has_evidence"] = any(dispute["evidence"][key] for key in EVIDENCE_KEYS)
    if submit:
        dispute["status"] = "under_review" if dispute["status"] == "needs_response" else "warning_under_review"
        details["submission_count"] += 1
        details["submission_method"] = "manual_api"
        outcome = OUTCOMES.get(dispute["evidence"]["uncategorized_text"] or "")
        if outcome:
            decide_at = sandbox.now() + int(sandbox.config.verification_delay)
            store.set_private(dispute_id, {"outcome": outcome, "decide_at": decide_at})
            remind(sandbox, decide_at)
    store.save(dispute)
    changed = {key: value for key, value in previous.items() if dispute.get(key) != value}
    sandbox.emit("charge.dispute.updated", dispute, account=store.owner(dispute_id), previous_attributes=changed)
    return dispute


def close(sandbox, dispute: dict, status: str) -> dict:
    """End the dispute `won` (funds come back) or `lost` (they stay withdrawn)."""
    store = sandbox.store
    account_id = store.owner(dispute["id"])
    previous_status = dispute["status"]
    dispute["status"] = status
    if status == "won":
        withdrawal = dispute["balance_transactions"][0]
        txn = balance.credit(
            sandbox, account_id, dispute["amount"], dispute["currency"], type="adjustment", source=dispute["id"],
            reporting_category="dispute_reversal", description=f"Chargeback reversal for {dispute['charge']}",
            fee_details=[{**detail, "amount": -detail["amount"]} for detail in withdrawal["fee_details"]],
        )
        dispute["balance_transactions"].append(txn)
    store.save(dispute)
    store.set_private(dispute["id"], {})
    if status == "won":
        sandbox.emit("charge.dispute.funds_reinstated", dispute, account=account_id)
    sandbox.emit("charge.dispute.closed", dispute, account=account_id, previous_attributes={"status": previous_status})
    return dispute


def next_step(sandbox, dispute: dict) -> tuple[int, str] | None:
    """When the dispute moves on by itself, and to what: lost when unanswered by `due_by`."""
    if dispute["status"] in OPEN:
        return dispute["evidence_details"]["due_by"], "lost"
    plan = sandbox.store.private(dispute["id"])
    if plan.get("outcome"):
        return plan["decide_at"], plan["outcome"]
    return None


def tick(sandbox) -> None:
    store, now = sandbox.store, sandbox.now()
    due = store.meta(NEXT_DUE_KEY)
    if due is None or due > now:
        return
    later = None
    for dispute in store.list("dispute", where=lambda d: d["status"] not in CLOSED):
        step = next_step(sandbox, dispute)
        if step is None:
            continue
        when, outcome = step
        if when > now:
            later = when if later is None else min(later, when)
            continue
        if dispute["status"] in OPEN:
            dispute["evidence_details"]["past_due"] = True
        close(sandbox, dispute, outcome)
    store.set_meta(NEXT_DUE_KEY, later)


def remind(sandbox, when: int) -> None:
    due = sandbox.store.meta(NEXT_DUE_KEY)
    sandbox.store.set_meta(NEXT_DUE_KEY, when if due is None else min(due, when))


# Endpoints


def find(call: Call, dispute_id: str) -> dict:
    return owned(call, dispute_id, "dispute")


def retrieve_dispute(call: Call) -> dict:
    return find(call, call.path["id"])


def update_dispute(call: Call) -> dict:
    dispute = find(call, call.path["id"])
    return submit_evidence(
        call.sandbox, dispute["id"], call.params.get("evidence", {}), call.params.get("submit", True),
        call.params.get("metadata"),
    )


def close_dispute(call: Call) -> dict:
    dispute = find(call, call.path["id"])
    if dispute["status"] in CLOSED:
        raise invalid_request("This dispute is already closed.")
    return close(call.sandbox, dispute, "lost")


def list_disputes(call: Call) -> dict:
    keep = {key: call.params[key] for key in ("charge", "payment_intent") if key in call.params}
    found = call.sandbox.store.list("dispute", owner=call.account, where=keep)
    if "created" in call.params:
        found = [dispute for dispute in found if balance.in_range(dispute["created"], call.params["created"])]
    return list_response(call, found, "/v1/disputes")


class CreateDisputeParams(typing.TypedDict):
    """The test helper's parameters: the payment to dispute, and optionally why and how much."""

    charge: NotRequired[str]
    payment_intent: NotRequired[str]
    reason: NotRequired[str]
    amount: NotRequired[int]


def create_dispute_helper(call: Call) -> dict:
    store, params = call.sandbox.store, call.params
    charge_id = params.get("charge")
    if charge_id is None and "payment_intent" in params:
        pi = store.get(params["payment_intent"], "payment_intent")
        charge_id = pi and store.owner(pi["id"]) == call.account and pi["latest_charge"]
        if not charge_id:
            raise resource_missing("payment_intent", params["payment_intent"], param="payment_intent")
    if charge_id is None:
        raise invalid_request("Provide the charge or payment_intent to dispute.", param="charge")
    charge = store.get(charge_id, "charge")
    if charge is None or store.owner(charge_id) != call.account or charge["status"] != "succeeded":
        raise resource_missing("charge", charge_id, param="charge")
    if charge["disputed"]:
        raise invalid_request(f"Charge {charge_id} is already disputed.", param="charge")
    amount = params.get("amount", charge["amount"])
    if not 0 < amount <= charge["amount"]:
        raise invalid_request("The dispute amount must be between 1 and the charge amount.", param="amount")
    return open_dispute(call.sandbox, charge, reason=params.get("reason", "fraudulent"), amount=amount)


ROUTES = [
    Endpoint("GET", "/v1/disputes", list_disputes, DisputeListParams),
    Endpoint("GET", "/v1/disputes/{id}", retrieve_dispute, DisputeRetrieveParams),
    Endpoint("POST", "/v1/disputes/{id}", update_dispute, DisputeUpdateParams),
    Endpoint("POST", "/v1/disputes/{id}/close", close_dispute, DisputeCloseParams),
    # Sandbox-only: dispute an existing payment of the calling account (Stripe-Account).
    Endpoint("POST", "/v1/test_helpers/sandbox/disputes", create_dispute_helper, CreateDisputeParams),
]
