"""Event type -> the function that applies it to the local mirror. Each returns "applied" or
"ignored". Stripe is asked only when the event alone can't decide: a state from the same second
as the one held (`_keep`), the seller of a dispute on the platform's own charge, and the balance
after an event that moved it (no `balance.available` follows a debit)."""

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from portal.connect import mirror, refresh
from portal.db import Database
from portal.integrations.stripe import StripeGateway


@dataclass
class Context:
    db: Database
    gateway: StripeGateway
    after_account_change: object  # async callable(seller_id) run after the account snapshot changes
    # async callable(account_id, metrics) run after a seller's disputes or balance moved: staff
    # alert lines on those figures are checked for that seller at once (staff/alerts.check_seller).
    after_risk_change: object = None


# The staff alert lines each kind of event can push a seller across.
BALANCE_LINES = ("negative_balance_days",)
DISPUTE_LINES = ("dispute_rate", "negative_balance_days")


async def _risk_changed(ctx: Context, account_ids, lines: tuple[str, ...]) -> None:
    if ctx.after_risk_change is not None:
        for account_id in account_ids:
            await ctx.after_risk_change(account_id, lines)


async def _keep(ctx: Context, record, reread, account_id: str, obj: dict, event: dict, **extra) -> str:
    """The one rule for every mirrored object: keep the event's state unless a later one is held;
    when the one held is from the same moment and differs, what Stripe holds now decides."""
    recorded = await run_in_threadpool(record, ctx.db, account_id, obj, as_of=float(event["created"]), **extra)
    if recorded.in_doubt:
        recorded = await reread(ctx.db, ctx.gateway, account_id, obj.get("id"))
    return "applied" if recorded.applied else "ignored"


async def _balances_moved(ctx: Context, *account_ids: str | None, lines: tuple[str, ...] = BALANCE_LINES) -> int:
    """Re-read the balances of those of the accounts that are our sellers', then check their alert
    `lines`; how many."""
    ours = [account_id for account_id in dict.fromkeys(account_ids) if account_id
            and await run_in_threadpool(mirror.seller_for_account, ctx.db, account_id) is not None]
    for account_id in ours:
        await refresh.balance_moved(ctx.db, ctx.gateway, account_id)
    await _risk_changed(ctx, ours, lines)
    return len(ours)


async def account_updated(ctx: Context, event: dict) -> str:
    account = event["data"]["object"]
    result = await run_in_threadpool(mirror.apply_account_event, ctx.db, account, as_of=float(event["created"]))
    return await account_kept(ctx, event, result)


async def account_kept(ctx: Context, event: dict, result: mirror.AccountEvent | None) -> str:
    """What follows the mirror's answer to an account.updated (mirror.apply_account_event's, or its
    share of apply_account_events'): a re-read when in doubt, the seller told of new requirements."""
    if result is None:
        return "ignored"  # not one of our sellers' accounts
    if result.recorded.in_doubt:
        await refresh.account(ctx.db, ctx.gateway, event["data"]["object"]["id"])
    elif not result.recorded.applied:
        return "ignored"  # we already hold a later state
    elif not result.requirements_changed:
        return "applied"
    await ctx.after_account_change(result.seller_id)
    return "applied"


async def capability_updated(ctx: Context, event: dict) -> str:
    capability = event["data"]["object"]
    account_id = capability.get("account") if isinstance(capability.get("account"), str) else event.get("account")
    return await _keep(ctx, mirror.record_capability, refresh.capability, account_id, capability, event)


async def external_account_changed(ctx: Context, event: dict) -> str:
    return await _keep(ctx, mirror.record_external_account, refresh.external_account, event.get("account"),
                       event["data"]["object"], event, deleted=event["type"].endswith(".deleted"))


# A payout debits the balance when created and credits it back if it fails or is canceled.
PAYOUT_MOVES_BALANCE = {"payout.created", "payout.failed", "payout.canceled"}


async def payout_changed(ctx: Context, event: dict) -> str:
    if not event.get("account"):
        return "ignored"  # the platform's own payouts
    outcome = await _keep(ctx, mirror.record_payout, refresh.payout, event["account"], event["data"]["object"], event)
    if event["type"] in PAYOUT_MOVES_BALANCE:
        await _balances_moved(ctx, event["account"])
    return outcome


async def dispute_changed(ctx: Context, event: dict) -> str:
    dispute = event["data"]["object"]
    account_id, on_platform = event.get("account"), False
    if not account_id:
        # A dispute on a destination charge arrives on the platform's endpoint: the charge names the seller.
        account_id, on_platform = await run_in_threadpool(mirror.dispute_on_platform, ctx.db, dispute["id"]), True
        account_id = account_id or await refresh.platform_dispute_owner(ctx.gateway, dispute)
        if not account_id or await run_in_threadpool(mirror.seller_for_account, ctx.db, account_id) is None:
            return "ignored"  # the platform's own dispute, or not one of our sellers
    outcome = await _keep(ctx, mirror.record_dispute, refresh.dispute, account_id, dispute, event, on_platform=on_platform)
    if not on_platform:
        # On a direct charge the amount and the fee leave (or come back to) the seller's balance;
        # on a destination charge they leave the platform's.
        await _balances_moved(ctx, account_id, lines=DISPUTE_LINES)
    else:
        await _risk_changed(ctx, [account_id], ("dispute_rate",))
    return outcome


async def charge_succeeded(ctx: Context, event: dict) -> str:
    charge = event["data"]["object"]
    account_id = event.get("account") or ((charge.get("transfer_data") or {}).get("destination")) or charge.get("on_behalf_of")
    if not isinstance(account_id, str) or not account_id:
        return "ignored"
    await run_in_threadpool(mirror.record_charge, ctx.db, account_id, charge)
    await _balances_moved(ctx, event.get("account"))  # a destination charge's transfer says so itself
    return "applied"


async def money_moved(ctx: Context, event: dict) -> str:
    """Refunds, transfers and their reversals, refunded application fees: no object of ours to
    keep, but a balance that moved (the event's account, a transfer's destination, a fee's payer)."""
    obj = event["data"]["object"]
    named = [event.get("account")]
    if obj.get("object") == "transfer":
        named.append(obj.get("destination") if isinstance(obj.get("destination"), str) else None)
    if obj.get("object") == "application_fee":
        named.append(obj.get("account") if isinstance(obj.get("account"), str) else None)
    return "applied" if await _balances_moved(ctx, *named) else "ignored"


async def balance_available(ctx: Context, event: dict) -> str:
    """The event's figure is kept at once, then read again: a balance has no field that orders its
    states, so an event dated after a read (Stripe's clock ahead of ours) could otherwise leave an
    older figure standing over the read that followed it."""
    if not event.get("account"):
        return "ignored"
    outcome = await _keep(ctx, mirror.record_balance, refresh.balance, event["account"], event["data"]["object"], event)
    if outcome == "applied":
        await _balances_moved(ctx, event["account"])
    return outcome


async def person_changed(ctx: Context, event: dict) -> str:
    # A person's requirements reach us through the account.updated that follows; what changes here
    # is only whether the person still exists at Stripe (staff may remove one there).
    if event["type"] == "person.deleted":
        await run_in_threadpool(mirror.forget_person, ctx.db, event["data"]["object"]["id"])
    return "applied"


async def account_changed(ctx: Context, event: dict) -> str:
    """A thin event (Accounts v2) says the account or one of its people changed, and nothing of how:
    read the account as Stripe holds it now (with v2's requirement entries) and keep it under the
    mirror's one rule, as a read. Re-reading is idempotent and order-free: a late or repeated
    event reads the present again, and a read never overwrites a later state the mirror holds."""
    account_id = event.get("account")
    if not account_id:
        return "ignored"
    seller_id = await run_in_threadpool(mirror.seller_for_account, ctx.db, account_id)
    if seller_id is None:
        return "ignored"  # not one of our sellers' accounts
    recorded = await refresh.account(ctx.db, ctx.gateway, account_id)
    if not recorded.applied:
        return "ignored"
    await ctx.after_account_change(seller_id)  # mails only what the seller was not told yet
    return "applied"


# Accounts v2's thin events (stripe-python 16.1 `stripe/events/_v2_core_account*`).
THIN_HANDLERS = {kind: account_changed for kind in (
    "v2.core.account.created", "v2.core.account.updated", "v2.core.account.closed",
    "v2.core.account[requirements].updated", "v2.core.account[future_requirements].updated",
    "v2.core.account[identity].updated", "v2.core.account[defaults].updated",
    "v2.core.account[configuration.merchant].updated",
    "v2.core.account[configuration.merchant].capability_status_updated",
    "v2.core.account[configuration.recipient].capability_status_updated",
    "v2.core.account_person.created", "v2.core.account_person.updated", "v2.core.account_person.deleted",
)}

HANDLERS = {
    **THIN_HANDLERS,
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
    "charge.refunded": money_moved,
    "charge.refund.updated": money_moved,
    "refund.created": money_moved,
    "refund.updated": money_moved,
    "refund.failed": money_moved,
    "transfer.created": money_moved,
    "transfer.reversed": money_moved,
    "application_fee.refunded": money_moved,
    "application_fee.refund.updated": money_moved,
    "balance.available": balance_available,
}
