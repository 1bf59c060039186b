"""Re-reading one mirrored object from Stripe and keeping what it says now: the tie-break for
events of the same second (webhooks/handlers.py), the balance after the events that move money,
and the repair `portal sync` runs (sync.py). Each takes (db, gateway, account id, object id)."""

import logging
import time
from functools import partial

from starlette.concurrency import run_in_threadpool

from portal.connect import mirror
from portal.connect.mirror import Recorded
from portal.db import Database
from portal.integrations.stripe import StripeFailure, StripeGateway

log = logging.getLogger(__name__)


# Reads again while the object keeps moving under a read (each attempt sees later writes).
ATTEMPTS = 3


class StillMoving(Exception):
    """Every read was overtaken by a write to the object: nothing settled it, so the event that
    asked fails and is tried again later (the applier's backoff), rather than be dropped."""


async def _read_and_keep(db: Database, kind: str, account_id: str, object_id: str | None, read, keep) -> Recorded:
    """Read the object from Stripe and keep it, unless the mirror's state of it moved while the read
    was under way (a newer event may show more than the read saw): then read it again."""
    for _ in range(ATTEMPTS):
        held_at = await run_in_threadpool(mirror.moment_held, db, account_id, kind, object_id)
        asked = time.time()  # a read shows at least the moment it was asked
        fresh = await read()
        recorded = await run_in_threadpool(keep, fresh, as_of=asked, read=True, if_held_at=held_at)
        if not recorded.in_doubt:
            return recorded
    raise StillMoving(f"{kind} {object_id or account_id} kept moving while it was read")


async def account(db: Database, gateway: StripeGateway, account_id: str, _object_id=None) -> Recorded:
    seller_id = await run_in_threadpool(mirror.seller_for_account, db, account_id)
    if seller_id is None:
        return Recorded(False)
    return await _read_and_keep(db, "account", account_id, None, lambda: gateway.retrieve_account(account_id),
                                lambda fresh, **how: mirror.keep_account(db, seller_id, fresh, **how)[1])


async def capability(db: Database, gateway: StripeGateway, account_id: str, capability_id: str) -> Recorded:
    return await _read_and_keep(db, "capability", account_id, capability_id,
                                lambda: gateway.retrieve_capability(account_id, capability_id),
                                partial(mirror.record_capability, db, account_id))


async def external_account(db: Database, gateway: StripeGateway, account_id: str, external_id: str) -> Recorded:
    async def read() -> dict:
        try:
            return await gateway.retrieve_external_account(account_id, external_id)
        except StripeFailure as failure:
            if failure.code != "resource_missing":
                raise
            return {"id": external_id, "deleted": True}

    def keep(fresh: dict, **how) -> Recorded:
        return mirror.record_external_account(db, account_id, fresh, deleted=bool(fresh.get("deleted")), **how)

    return await _read_and_keep(db, "external_account", account_id, external_id, read, keep)


async def payout(db: Database, gateway: StripeGateway, account_id: str, payout_id: str) -> Recorded:
    return await _read_and_keep(db, "payout", account_id, payout_id, lambda: gateway.retrieve_payout(account_id, payout_id),
                                partial(mirror.record_payout, db, account_id))


async def dispute(db: Database, gateway: StripeGateway, account_id: str, dispute_id: str) -> Recorded:
    on_platform = await run_in_threadpool(mirror.dispute_on_platform, db, dispute_id) is not None
    return await _read_and_keep(db, "dispute", account_id, dispute_id,
                                lambda: gateway.retrieve_dispute(dispute_id, account_id=None if on_platform else account_id),
                                partial(mirror.record_dispute, db, account_id, on_platform=on_platform))


async def balance(db: Database, gateway: StripeGateway, account_id: str, _object_id=None) -> Recorded:
    return await _read_and_keep(db, "balance", account_id, None, lambda: gateway.retrieve_balance(account_id),
                                partial(mirror.record_balance, db, account_id))


async def balance_moved(db: Database, gateway: StripeGateway, account_id: str) -> None:
    """After an event that moved the balance (no balance.available follows a debit): marked stale
    first, so a failed read or a crash leaves pages saying so until a read (or `portal sync`) succeeds."""
    await run_in_threadpool(mirror.mark_balance_stale, db, account_id)
    try:
        await balance(db, gateway, account_id)
    except (StripeFailure, StillMoving) as failure:
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
