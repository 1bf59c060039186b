"""Risk actions on a seller's account, by staff with the risk or admin role. Each takes a reason,
writes the audit trail, and goes to Stripe only through the gateway; the mirror is updated with
Stripe's answer so the seller's own pages show the change at once."""

from starlette.concurrency import run_in_threadpool

from portal import audit
from portal.connect import closing, payout_holds
from portal.connect.mirror import account_for_seller, record_account
from portal.db import Database
from portal.integrations.stripe import StripeGateway, idempotency_key

# Stripe's reject reasons (API 2026-09-30 replaced the generic `fraud`, which it now refuses).
REJECT_REASONS = {
    "fraud_no_intent_to_fulfill": "Fraud: no intent to fulfil orders",
    "fraud_payment_method_tester": "Fraud: testing stolen cards",
    "fraud_payment_method_casher": "Fraud: cashing out stolen payment methods",
    "fraud_other": "Fraud: other",
    "credit": "Credit risk",
    "terms_of_service": "Breach of the terms of service",
    "other": "Other",
}


class RiskActionRefused(Exception):
    """The action cannot be taken (no Stripe account yet, already in that state, unknown reason)."""


async def pause_payouts(db: Database, gateway: StripeGateway, seller_id: int, *, actor: audit.Actor, reason: str,
                        ip: str, secret: str) -> None:
    """A risk hold; the schedule goes manual through payout_holds.apply (the hold stands even if Stripe fails)."""
    held = [hold for hold in await run_in_threadpool(payout_holds.active_holds, db, seller_id)
            if hold.reason == payout_holds.RISK_PAUSE]
    if held:
        raise RiskActionRefused("Payouts are already paused by staff.")
    await run_in_threadpool(payout_holds.place_hold, db, seller_id, payout_holds.RISK_PAUSE, note=reason, placed_by=actor.email)
    await run_in_threadpool(audit.record, db, actor=actor, action="risk.pause_payouts", seller_id=seller_id,
                            reason=reason, ip=ip)
    await payout_holds.apply(db, gateway, seller_id, secret=secret)


async def resume_payouts(db: Database, gateway: StripeGateway, seller_id: int, *, actor: audit.Actor, reason: str,
                         ip: str, secret: str) -> None:
    released = await run_in_threadpool(payout_holds.release_hold, db, seller_id, payout_holds.RISK_PAUSE,
                                       note=reason, released_by=actor.email)
    if not released:
        raise RiskActionRefused("Payouts are not paused by staff.")
    await run_in_threadpool(audit.record, db, actor=actor, action="risk.resume_payouts", seller_id=seller_id,
                            reason=reason, ip=ip)
    await payout_holds.apply(db, gateway, seller_id, secret=secret)


async def reject_account(db: Database, gateway: StripeGateway, seller_id: int, *, actor: audit.Actor, why: str,
                         reason: str, ip: str, secret: str, retention_days: int) -> dict:
    if why not in REJECT_REASONS:
        raise RiskActionRefused("Choose why the account is rejected.")
    mirror = await run_in_threadpool(account_for_seller, db, seller_id)
    if mirror is None:
        raise RiskActionRefused("This seller has no Stripe account to reject.")
    key = idempotency_key(seller_id, "reject", why, secret=secret)
    account = await gateway.reject_account(mirror.stripe_account_id, why, key=key)
    await run_in_threadpool(record_account, db, seller_id, account)
    await run_in_threadpool(closing.record_rejection, db, seller_id, mirror.stripe_account_id, why=why, by=actor.email,
                            retention_days=retention_days)
    await run_in_threadpool(audit.record, db, actor=actor, action="risk.reject_account", seller_id=seller_id, reason=reason,
                            details={"stripe_reason": why, "account": mirror.stripe_account_id}, ip=ip)
    return account


async def set_debit_negative_balances(db: Database, gateway: StripeGateway, seller_id: int, *, on: bool,
                                      actor: audit.Actor, reason: str, ip: str, secret: str) -> dict:
    """Whether Stripe may debit the seller's bank account to cover a negative balance."""
    mirror = await run_in_threadpool(account_for_seller, db, seller_id)
    if mirror is None:
        raise RiskActionRefused("This seller has no Stripe account yet.")
    params = {"settings": {"payouts": {"debit_negative_balances": on}}}
    key = idempotency_key(seller_id, "debit-negative", params, mirror.snapshot_at, secret=secret)
    account = await gateway.update_account(mirror.stripe_account_id, params, key=key)
    await run_in_threadpool(record_account, db, seller_id, account)
    await run_in_threadpool(audit.record, db, actor=actor, action="risk.debit_negative_balances", seller_id=seller_id,
                            reason=reason, details={"on": on}, ip=ip)
    return account


def debit_negative_balances(snapshot: dict) -> bool:
    return bool(((snapshot.get("settings") or {}).get("payouts") or {}).get("debit_negative_balances"))
