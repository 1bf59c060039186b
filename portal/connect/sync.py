"""Reconciliation: Stripe can change an account without an event reaching us, so re-read every
account (its capabilities, balance, recent payouts and disputes, and the disputes on the
platform's destination charges), repair the mirror, and say every difference it repaired."""

import logging
import time
from dataclasses import dataclass, field

from sqlmodel import select
from starlette.concurrency import run_in_threadpool

from portal.connect import closing, mirror, notify, payout_holds, refresh, requirement_model
from portal.connect.models import ConnectedAccount
from portal.db import Database
from portal.integrations.stripe import StripeFailure, StripeGateway
from portal.staff import alerts
from portal.staff.states import record_state_counts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    account_id: str
    what: str
    before: object
    after: object

    def __str__(self) -> str:
        return f"{self.account_id}: {self.what} was {self.before!r}, is {self.after!r}"


def _facts(account: dict) -> dict:
    """The parts of an account whose drift matters to sellers and staff."""
    model = requirement_model.of(account)
    return {
        "charges_enabled": account.get("charges_enabled"),
        "payouts_enabled": account.get("payouts_enabled"),
        "details_submitted": account.get("details_submitted"),
        "disabled_reason": model.disabled_reason,
        "current_deadline": model.deadline,
        **{f"requirements.{name}": sorted(model.keys(status)) for name, status in
           (("currently_due", "currently_due"), ("past_due", "past_due"), ("eventually_due", "eventually_due"),
            ("pending_verification", requirement_model.PENDING))},
        "requirements.errors": sorted(f"{e.key}:{e.code}" for e in model.current_errors()),
        "future_requirements.currently_due": sorted(model.keys(requirement_model.CURRENTLY_DUE, future=True)),
        "capabilities": dict(sorted((account.get("capabilities") or {}).items())),
        "payout_schedule": ((account.get("settings") or {}).get("payouts") or {}).get("schedule"),
    }


def differences(before: dict, after: dict) -> list[Change]:
    old, new = _facts(before), _facts(after)
    return [Change(after.get("id", ""), name, old[name], new[name]) for name in new if old.get(name) != new[name]]


def _accounts(db: Database) -> list[ConnectedAccount]:
    with db.transaction() as session:
        return list(session.exec(select(ConnectedAccount).order_by(ConnectedAccount.id)).all())


def reported(account_id: str, what: str, recorded: mirror.Recorded, headline: str) -> list[Change]:
    """What storing a direct read changed, as Changes; an object the mirror lacked is one Change."""
    if recorded.inserted:
        return [Change(account_id, what, "missing", recorded.changed.get(headline, (None, None))[1])]
    return [Change(account_id, f"{what} {name}".strip(), before, after) for name, (before, after) in sorted(recorded.changed.items())]


async def _repair_account(db: Database, gateway: StripeGateway, stored: ConnectedAccount) -> list[Change]:
    """Re-read the account, its capabilities, balance, recent payouts and disputes; keep what Stripe says."""
    account_id = stored.stripe_account_id
    asked = time.time()  # every read below shows at least this moment
    account = await gateway.retrieve_account(account_id)
    capabilities = await gateway.list_capabilities(account_id)
    balance = await gateway.retrieve_balance(account_id)
    payouts = await gateway.recent_payouts(account_id)
    disputes = await gateway.recent_disputes(account_id)
    found = differences(stored.snapshot, account)

    def keep() -> list[Change]:
        mirror.record_account(db, stored.seller_id, account, as_of=asked, read=True)
        kept = []
        for capability in capabilities:
            kept += reported(account_id, f"capability {capability['id']}",
                             mirror.record_capability(db, account_id, capability, as_of=asked, read=True), "status")
        kept += reported(account_id, "balance", mirror.record_balance(db, account_id, balance, as_of=asked, read=True), "available")
        for payout in payouts:
            kept += reported(account_id, f"payout {payout['id']}",
                             mirror.record_payout(db, account_id, payout, as_of=asked, read=True), "status")
        for dispute in disputes:
            kept += reported(account_id, f"dispute {dispute['id']}",
                             mirror.record_dispute(db, account_id, dispute, as_of=asked, read=True), "status")
        return kept

    return found + await run_in_threadpool(keep)


async def _repair_platform_disputes(db: Database, gateway: StripeGateway, ours: set[str]) -> list[Change]:
    """Disputes on destination charges live on the platform's account, each about one seller."""
    found = []
    asked = time.time()
    for dispute in await gateway.recent_disputes(None):
        account_id = (await run_in_threadpool(mirror.dispute_on_platform, db, dispute["id"])
                      or await refresh.platform_dispute_owner(gateway, dispute))
        if account_id in ours:
            recorded = await run_in_threadpool(mirror.record_dispute, db, account_id, dispute, as_of=asked,
                                               read=True, on_platform=True)
            found += reported(account_id, f"dispute {dispute['id']}", recorded, "status")
    return found


async def reconcile(db: Database, gateway: StripeGateway, after_account_change=None, *, secret: str) -> tuple[list[Change], list[str]]:
    """(what changed, accounts that could not be read). Closed accounts are not read: Stripe deleted them."""
    changes, failed, ours = [], [], set()
    closed = await run_in_threadpool(closing.closed_account_ids, db)
    for stored in await run_in_threadpool(_accounts, db):
        if stored.stripe_account_id in closed:
            continue
        ours.add(stored.stripe_account_id)
        try:
            found = await _repair_account(db, gateway, stored)
        except StripeFailure as failure:
            log.warning("sync could not read %s: %s", stored.stripe_account_id, failure)
            failed.append(stored.stripe_account_id)
            continue
        try:
            # A hold that has run out (a cooling-off period, say) gives the seller their schedule back here.
            await payout_holds.apply(db, gateway, stored.seller_id, secret=secret)
        except StripeFailure as failure:
            log.warning("sync could not apply payout holds for %s: %s", stored.stripe_account_id, failure)
        if found and after_account_change is not None:
            await after_account_change(stored.seller_id)
        changes.extend(found)
    try:
        changes.extend(await _repair_platform_disputes(db, gateway, ours))
    except StripeFailure as failure:
        log.warning("sync could not read the platform's disputes: %s", failure)
        failed.append("platform disputes")
    return changes, failed



@dataclass(frozen=True)
class PassResult:
    changes: list[Change]
    failed: list[str]
    told: int  # negative-balance notices sent
    erased: list[int]  # closed sellers whose retention period ended
    alerts: list[int] = field(default_factory=list)  # staff alerts opened (thresholds crossed)


async def scheduled_pass(state) -> PassResult:
    """The background work, run by `portal sync`, `portal worker` and, in sandbox mode, `portal serve`:
    repair the mirror, send the negative-balance notices due, erase what retention no longer covers,
    count the accounts by state for the day, and open the staff alerts whose line was crossed."""
    changes, failed = await reconcile(state.db, state.stripe, state.webhook_context.after_account_change, secret=state.secret)
    told = await notify.tell_sellers_about_negative_balances(state, state.settings.portal_url + "/status/")
    erased = await run_in_threadpool(closing.erase_due, state.db)
    # After the repairs, so the day's counts and the alerts read the mirror as Stripe has it.
    await run_in_threadpool(record_state_counts, state.db)
    opened = await run_in_threadpool(lambda: alerts.evaluate(state.db, console_url=state.settings.portal_url))
    if opened:
        state.mailer.wake()
    return PassResult(changes, failed, told, erased, opened)
