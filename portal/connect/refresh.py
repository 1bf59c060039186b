"""Re-reading one mirrored object from Stripe and keeping what it says now: the tie-break for
events of the same second (webhooks/handlers.py), the balance after the events that move money,
and the repair `portal sync` runs (sync.py). Each takes (db, gateway, account id, object id)."""

import logging
import time

from starlette.concurrency import run_in_threadpool

from portal.connect import mirror
from portal.connect.mirror import Recorded
from portal.db import Database
from portal.integrations.stripe import StripeFailure, StripeGateway

log = logging.getLogger(__name__)


async def account(db: Database, gateway: StripeGateway, account_id: str, _object_id=None) -> Recorded:
    seller_id = await run_in_threadpool(mirror.seller_for_account, db, account_id)
    if seller_id is None:
        return Recorded(False)
    asked = time.time()  # a read shows at least the moment it was asked
    fresh = await gateway.retrieve_account(account_id)
    await run_in_threadpool(mirror.record_account, db, seller_id, fresh, as_of=asked, read=True)
    return Recorded(True)


async def capability(db: Database, gateway: StripeGateway, account_id: str, capability_id: str) -> Recorded:
    asked = time.time()
    fresh = await gateway.retrieve_capability(account_id, capability_id)
    return await run_in_threadpool(mirror.record_capability, db, account_id, fresh, as_of=asked, read=True)


async def external_account(db: Database, gateway: StripeGateway, account_id: str, external_id: str) -> Recorded:
    asked = time.time()
    try:
        fresh, deleted = await gateway.retrieve_external_account(account_id, external_id), False
    except StripeFailure as failure:
        if failure.code != "resource_missing":
            raise
        fresh, deleted = {"id": external_id}, True
    return await run_in_threadpool(mirror.record_external_account, db, account_id, fresh, deleted=deleted,
                                   as_of=asked, read=True)


async def payout(db: Database, gateway: StripeGateway, account_id: str, payout_id: str) -> Recorded:
    asked = time.time()
    fresh = await gateway.retrieve_payout(account_id, payout_id)
    return await run_in_threadpool(mirror.record_payout, db, account_id, fresh, as_of=asked, read=True)


async def dispute(db: Database, gateway: StripeGateway, account_id: str, dispute_id: str) -> Recorded:
    on_platform = await run_in_threadpool(mirror.dispute_on_platform, db, dispute_id) is not None
    asked = time.time()
    fresh = await gateway.retrieve_dispute(dispute_id, account_id=None if on_platform else account_id)
    return await run_in_threadpool(mirror.record_dispute, db, account_id, fresh, as_of=asked, read=True,
                                   on_platform=on_platform)


async def balance(db: Database, gateway: StripeGateway, account_id: str, _object_id=None) -> Recorded:
    asked = time.time()
    fresh = await gateway.retrieve_balance(account_id)
    return await run_in_threadpool(mirror.record_balance, db, account_id, fresh, as_of=asked, read=True)


async def balance_moved(db: Database, gateway: StripeGateway, account_id: str) -> None:
    """After an event that moved the balance (no balance.available follows a debit): marked stale
    first, so a failed read or a crash leaves pages saying so until a read (or `portal sync`) succeeds."""
    await run_in_threadpool(mirror.mark_balance_stale, db, account_id)
    try:
        await balance(db, gateway, account_id)
    except StripeFailure as failure:
        log.warning("could not re-read the balance of %s: %s", account_id, failure)
        await run_in_threadpool(mirror.mark_balance_stale, db, account_id, failed=True)


async def platform_dispute_owner(gateway: StripeGateway, dispute: dict) -> str | None:
    """The seller a dispute on one of the platform's own charges concerns: a destination charge
    names them (transfer_data.destination, on_behalf_of, or its transfer's destination)."""
    charge = dispute.get("charge")
    if isinstance(charge, str):
        charge = await gateway.retrieve_charge(charge)
    if not isinstance(charge, dict):
        return None
    destination = (charge.get("transfer_data") or {}).get("destination") or charge.get("on_behalf_of")
    transfer = charge.get("transfer")
    if not destination and transfer:
        transfer = await gateway.retrieve_transfer(transfer) if isinstance(transfer, str) else transfer
        destination = transfer.get("destination")
    if isinstance(destination, dict):
        destination = destination.get("id")
    return destination if isinstance(destination, str) and destination else None
