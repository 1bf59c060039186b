"""Event type -> the function that applies it to the local mirror. Each returns "applied" or
"ignored"; none calls Stripe except to settle a tie the event alone can't decide."""

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from portal.connect import mirror
from portal.connect.sync import differences
from portal.db import Database
from portal.integrations.stripe import StripeGateway

# An event from the same second as the snapshot we hold can't be ordered by `created` alone.
AMBIGUITY_SECONDS = 2


@dataclass
class Context:
    db: Database
    gateway: StripeGateway
    after_account_change: object  # async callable(seller_id) run after the account snapshot changes


async def account_updated(ctx: Context, event: dict) -> str:
    account = event["data"]["object"]
    result = await run_in_threadpool(mirror.apply_account_event, ctx.db, account, as_of=float(event["created"]))
    if result is None:
        return "ignored"  # not one of our sellers' accounts
    if not result.applied:
        if result.held_at - event["created"] >= AMBIGUITY_SECONDS or not differences(result.held, account):
            return "ignored"  # we already hold a later state, or this very one
        # Same moment as what we hold: ask Stripe which is current rather than guess.
        fresh = await ctx.gateway.retrieve_account(account["id"])
        await run_in_threadpool(mirror.record_account, ctx.db, result.seller_id, fresh)
    elif not result.requirements_changed:
        return "applied"
    await ctx.after_account_change(result.seller_id)
    return "applied"


async def capability_updated(ctx: Context, event: dict) -> str:
    capability = event["data"]["object"]
    account_id = capability.get("account") if isinstance(capability.get("account"), str) else event.get("account")
    applied = await run_in_threadpool(mirror.record_capability, ctx.db, account_id, capability, as_of=float(event["created"]))
    return "applied" if applied else "ignored"


async def external_account_changed(ctx: Context, event: dict) -> str:
    applied = await run_in_threadpool(
        mirror.record_external_account, ctx.db, event.get("account"), event["data"]["object"],
        deleted=event["type"].endswith(".deleted"), as_of=float(event["created"]),
    )
    return "applied" if applied else "ignored"


async def payout_changed(ctx: Context, event: dict) -> str:
    if not event.get("account"):
        return "ignored"  # the platform's own payouts
    applied = await run_in_threadpool(mirror.record_payout, ctx.db, event["account"], event["data"]["object"], as_of=float(event["created"]))
    return "applied" if applied else "ignored"


async def dispute_changed(ctx: Context, event: dict) -> str:
    dispute = event["data"]["object"]
    account_id = event.get("account") or await _destination_account(ctx, dispute)
    if not account_id:
        return "ignored"
    applied = await run_in_threadpool(mirror.record_dispute, ctx.db, account_id, dispute, as_of=float(event["created"]))
    return "applied" if applied else "ignored"


async def _destination_account(ctx: Context, dispute: dict) -> str | None:
    """Disputes on destination charges arrive on the platform endpoint: the charge names the seller."""
    charge = dispute.get("charge")
    if isinstance(charge, dict):
        destination = (charge.get("transfer_data") or {}).get("destination") or charge.get("on_behalf_of")
        return destination if isinstance(destination, str) else None
    return None


async def charge_succeeded(ctx: Context, event: dict) -> str:
    charge = event["data"]["object"]
    account_id = event.get("account") or ((charge.get("transfer_data") or {}).get("destination")) or charge.get("on_behalf_of")
    if not isinstance(account_id, str) or not account_id:
        return "ignored"
    await run_in_threadpool(mirror.record_charge, ctx.db, account_id, charge)
    return "applied"


async def balance_available(ctx: Context, event: dict) -> str:
    if not event.get("account"):
        return "ignored"
    applied = await run_in_threadpool(mirror.record_balance, ctx.db, event["account"], event["data"]["object"], as_of=float(event["created"]))
    return "applied" if applied else "ignored"


async def person_changed(ctx: Context, event: dict) -> str:
    # A person's requirements reach us through the account.updated that follows; what changes here
    # is only whether the person still exists at Stripe (staff may remove one there).
    if event["type"] == "person.deleted":
        await run_in_threadpool(mirror.forget_person, ctx.db, event["data"]["object"]["id"])
    return "applied"


HANDLERS = {
    "account.updated": account_updated,
    "capability.updated": capability_updated,
    "person.created": person_changed,
    "person.updated": person_changed,
    "person.deleted": person_changed,
    "account.external_account.created": external_account_changed,
    "account.external_account.updated": external_account_changed,
    "account.external_account.deleted": external_account_changed,
    "payout.created": payout_changed,
    "payout.updated": payout_changed,
    "payout.paid": payout_changed,
    "payout.failed": payout_changed,
    "payout.canceled": payout_changed,
    "charge.dispute.created": dispute_changed,
    "charge.dispute.updated": dispute_changed,
    "charge.dispute.closed": dispute_changed,
    "charge.dispute.funds_withdrawn": dispute_changed,
    "charge.dispute.funds_reinstated": dispute_changed,
    "charge.succeeded": charge_succeeded,
    "balance.available": balance_available,
}
