"""Reconciliation: Stripe can change an account without an event reaching us, so re-read every
account (and its balance), repair the mirror, and say what was wrong."""

import logging
import time
from dataclasses import dataclass

from sqlmodel import select
from starlette.concurrency import run_in_threadpool

from portal.connect import closing, mirror, notify, payout_holds
from portal.connect.models import ConnectedAccount
from portal.db import Database
from portal.integrations.stripe import StripeFailure, StripeGateway

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
    requirements = account.get("requirements") or {}
    future = account.get("future_requirements") or {}
    return {
        "charges_enabled": account.get("charges_enabled"),
        "payouts_enabled": account.get("payouts_enabled"),
        "details_submitted": account.get("details_submitted"),
        "disabled_reason": requirements.get("disabled_reason"),
        "current_deadline": requirements.get("current_deadline"),
        **{f"requirements.{name}": sorted(requirements.get(name) or []) for name in
           ("currently_due", "past_due", "eventually_due", "pending_verification")},
        "requirements.errors": sorted(f"{e.get('requirement')}:{e.get('code')}" for e in requirements.get("errors") or []),
        "future_requirements.currently_due": sorted(future.get("currently_due") or []),
        "capabilities": dict(sorted((account.get("capabilities") or {}).items())),
        "payout_schedule": ((account.get("settings") or {}).get("payouts") or {}).get("schedule"),
    }


def differences(before: dict, after: dict) -> list[Change]:
    old, new = _facts(before), _facts(after)
    return [Change(after.get("id", ""), name, old[name], new[name]) for name in new if old.get(name) != new[name]]


def _accounts(db: Database) -> list[ConnectedAccount]:
    with db.transaction() as session:
        return list(session.exec(select(ConnectedAccount).order_by(ConnectedAccount.id)).all())


async def reconcile(db: Database, gateway: StripeGateway, after_account_change=None, *, secret: str) -> tuple[list[Change], list[str]]:
    """(what changed, accounts that could not be read). Closed accounts are not read: Stripe deleted them."""
    changes, failed = [], []
    closed = await run_in_threadpool(closing.closed_account_ids, db)
    for stored in await run_in_threadpool(_accounts, db):
        if stored.stripe_account_id in closed:
            continue
        try:
            account = await gateway.retrieve_account(stored.stripe_account_id)
            balance = await gateway.retrieve_balance(stored.stripe_account_id)
            capabilities = await gateway.list_capabilities(stored.stripe_account_id)
        except StripeFailure as failure:
            log.warning("sync could not read %s: %s", stored.stripe_account_id, failure)
            failed.append(stored.stripe_account_id)
            continue
        found = differences(stored.snapshot, account)
        # A direct read is the truth now, whatever moment the stored snapshot claims.
        await run_in_threadpool(mirror.record_account, db, stored.seller_id, account, as_of=max(time.time(), stored.snapshot_at))
        await run_in_threadpool(mirror.record_balance, db, stored.stripe_account_id, balance, as_of=time.time())
        for capability in capabilities:
            await run_in_threadpool(mirror.record_capability, db, stored.stripe_account_id, capability, as_of=time.time())
        try:
            # A hold that has run out (a cooling-off period, say) gives the seller their schedule back here.
            await payout_holds.apply(db, gateway, stored.seller_id, secret=secret)
        except StripeFailure as failure:
            log.warning("sync could not apply payout holds for %s: %s", stored.stripe_account_id, failure)
        if found and after_account_change is not None:
            await after_account_change(stored.seller_id)
        changes.extend(found)
    return changes, failed



@dataclass(frozen=True)
class PassResult:
    changes: list[Change]
    failed: list[str]
    told: int  # negative-balance notices sent
    erased: list[int]  # closed sellers whose retention period ended


async def scheduled_pass(state) -> PassResult:
    """The background work, run by `portal sync`, `portal worker` and, in sandbox mode, `portal serve`:
    repair the mirror, send the negative-balance notices due, erase what retention no longer covers."""
    changes, failed = await reconcile(state.db, state.stripe, state.webhook_context.after_account_change, secret=state.secret)
    told = await notify.tell_sellers_about_negative_balances(state, state.settings.portal_url + "/status/")
    erased = await run_in_threadpool(closing.erase_due, state.db)
    return PassResult(changes, failed, told, erased)
