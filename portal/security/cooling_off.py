"""After a bank account change: record it, and hold payouts for the cooling-off period when it
looks like a takeover (a new device, or a recent password or email change)."""

from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from portal.accounts.auth import device_cookie, ip_of
from portal.connect import payout_holds
from portal.db import utcnow
from portal.integrations.stripe import StripeFailure
from portal.security import service


async def after_bank_change(request: Request, seller_id: int) -> bool:
    """True when payouts are now held. A Stripe failure leaves the hold standing; the schedule
    is put right the next time holds are applied."""
    db, device = request.app.state.db, device_cookie(request)
    await run_in_threadpool(service.record_change, db, seller_id, service.BANK, device=device, ip=ip_of(request))
    if not await run_in_threadpool(service.bank_change_is_risky, db, seller_id, device):
        return False
    hours = request.app.state.settings.cooling_off_hours
    await run_in_threadpool(
        payout_holds.place_hold, db, seller_id, payout_holds.COOLING_OFF,
        note=f"Bank account changed from a new device or soon after a password or email change; held {hours} hours.",
        placed_by="system", until=utcnow() + timedelta(hours=hours),
    )
    try:
        await payout_holds.apply(db, request.app.state.stripe, seller_id, secret=request.app.state.secret)
    except StripeFailure:
        pass
    return True
