"""Why a seller's payouts are held, and the one place that turns holds into Stripe's schedule.

Holds come from several places: the business email not yet confirmed (derived, no row), a risk
pause by staff, a cooling-off period after a risky change, an account recovery. While any is
active the account's payout schedule is `manual`, so the balance stays with Stripe; when the
last one ends the schedule the seller had before is put back (reference C8, C9)."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Field, SQLModel, select
from starlette.concurrency import run_in_threadpool

from portal.connect.models import ConnectedAccount
from portal.db import Database, utcnow
from portal.connect.mirror import record_account
from portal.integrations.stripe import StripeGateway, idempotency_key
from portal.onboarding.models import BusinessEmail

BUSINESS_EMAIL = "business_email"
RISK_PAUSE = "risk_pause"
COOLING_OFF = "cooling_off"
RECOVERY = "recovery"

EXPLANATIONS = {
    BUSINESS_EMAIL: "Your business email address isn't confirmed yet. Open the link we sent to it to release your payouts.",
    RISK_PAUSE: "Our team has paused your payouts while we review your account. We'll contact you if we need anything.",
    COOLING_OFF: "Your payouts are on hold for a short while because sensitive account details changed recently. "
                 "This protects you if someone else made the change.",
    RECOVERY: "Your payouts are on hold for a short while because your account was recovered.",
}
DEFAULT_SCHEDULE = {"interval": "daily"}


class PayoutHold(SQLModel, table=True):
    __tablename__ = "payout_hold"

    id: int | None = Field(default=None, primary_key=True)
    seller_id: int = Field(foreign_key="seller.id", index=True, ondelete="CASCADE")
    reason: str = Field(max_length=32)
    note: str = Field(default="", max_length=1000)
    placed_by: str = Field(default="", max_length=254)
    placed_at: datetime = Field(default_factory=utcnow)
    until: datetime | None = None
    released_at: datetime | None = None
    released_by: str = Field(default="", max_length=254)
    release_note: str = Field(default="", max_length=1000)


@dataclass(frozen=True)
class Hold:
    reason: str
    explanation: str
    since: datetime | None
    until: datetime | None
    note: str = ""
    placed_by: str = ""


def place_hold(db: Database, seller_id: int, reason: str, *, note: str, placed_by: str, until: datetime | None = None) -> PayoutHold:
    with db.transaction() as session:
        hold = PayoutHold(seller_id=seller_id, reason=reason, note=note, placed_by=placed_by, until=until)
        session.add(hold)
    return hold


def release_hold(db: Database, seller_id: int, reason: str, *, note: str, released_by: str) -> int:
    """End every active hold of this kind; returns how many ended."""
    now = utcnow()
    with db.transaction() as session:
        holds = session.exec(
            select(PayoutHold).where(PayoutHold.seller_id == seller_id, PayoutHold.reason == reason,
                                     PayoutHold.released_at.is_(None))
        ).all()
        for hold in holds:
            hold.released_at, hold.released_by, hold.release_note = now, released_by, note
            session.add(hold)
    return len(holds)


def active_holds(db: Database, seller_id: int) -> list[Hold]:
    now = utcnow()
    with db.transaction() as session:
        rows = session.exec(
            select(PayoutHold).where(PayoutHold.seller_id == seller_id, PayoutHold.released_at.is_(None)).order_by(PayoutHold.id)
        ).all()
        business_email = session.get(BusinessEmail, seller_id)
    holds = [
        Hold(row.reason, EXPLANATIONS.get(row.reason, "Your payouts are on hold."), row.placed_at, row.until, row.note, row.placed_by)
        for row in rows
        if row.until is None or row.until > now
    ]
    if not (business_email and business_email.confirmed_at):
        holds.insert(0, Hold(BUSINESS_EMAIL, EXPLANATIONS[BUSINESS_EMAIL], business_email.updated_at if business_email else None, None))
    return holds


def schedule_for(account: dict, remembered: dict | None, held: bool) -> tuple[dict, dict | None]:
    """(the schedule Stripe should have, the normal schedule to remember). Pure."""
    current = ((account.get("settings") or {}).get("payouts") or {}).get("schedule") or {}
    if held:
        if current.get("interval") != "manual":
            remembered = _schedule_params(current)
        return {"interval": "manual"}, remembered
    return (remembered or DEFAULT_SCHEDULE), remembered


def _schedule_params(schedule: dict) -> dict:
    """What of Stripe's schedule object can be sent back as update parameters."""
    params = {"interval": schedule.get("interval") or "daily"}
    if schedule.get("delay_days") is not None:
        params["delay_days"] = schedule["delay_days"]
    if params["interval"] == "weekly" and schedule.get("weekly_anchor"):
        params["weekly_anchor"] = schedule["weekly_anchor"]
    if params["interval"] == "monthly" and schedule.get("monthly_anchor"):
        params["monthly_anchor"] = schedule["monthly_anchor"]
    return params


def _plan(db: Database, seller_id: int) -> tuple[ConnectedAccount | None, dict]:
    """The mirror and the schedule Stripe should have; remembers the normal schedule on the way."""
    with db.transaction() as session:
        mirror = session.exec(select(ConnectedAccount).where(ConnectedAccount.seller_id == seller_id)).first()
    if mirror is None:
        return None, {}
    wanted, remembered = schedule_for(mirror.snapshot, mirror.normal_schedule, bool(active_holds(db, seller_id)))
    if remembered != mirror.normal_schedule:
        with db.transaction() as session:
            stored = session.get(ConnectedAccount, mirror.id)
            stored.normal_schedule = remembered
            session.add(stored)
    return mirror, wanted


async def apply(db: Database, gateway: StripeGateway, seller_id: int, *, secret: str) -> dict | None:
    """Bring Stripe's payout schedule in line with the holds, and the mirror with Stripe. Returns the
    updated account, or None when nothing needed to change (or there is no account yet).
    Raises StripeFailure; the holds themselves stand either way."""
    mirror, wanted = await run_in_threadpool(_plan, db, seller_id)
    if mirror is None:
        return None
    current = ((mirror.snapshot.get("settings") or {}).get("payouts") or {}).get("schedule") or {}
    if all(current.get(key) == value for key, value in wanted.items()):
        return None
    params = {"settings": {"payouts": {"schedule": wanted}}}
    key = idempotency_key(seller_id, "payout-schedule", params, mirror.snapshot_at, secret=secret)
    account = await gateway.update_account(mirror.stripe_account_id, params, key=key)
    await run_in_threadpool(record_account, db, seller_id, account)
    return account

