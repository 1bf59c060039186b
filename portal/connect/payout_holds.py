"""Why a seller's payouts are held, and the one place that turns holds into Stripe's schedule.

Holds come from several places: the business email not yet confirmed (derived, no row), a risk
pause by staff, a cooling-off period after a risky change, an account recovery. While any is
active the account's payout schedule is `manual`, so the balance stays with Stripe; when the
last one ends the schedule the seller had before is put back (reference C8, C9)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam
from sqlalchemy import select as select_rows
from sqlmodel import Field, SQLModel, select
from starlette.concurrency import run_in_threadpool

from portal.i18n import gettext as _, lazy_gettext as _l
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
    RISK_PAUSE: _l("Our team has paused your payouts while we review your account. We'll contact you if we need anything."),
    COOLING_OFF: _l("Your payouts are on hold for a short while because sensitive account details changed recently. This protects you if someone else made the change."),
    RECOVERY: _l("Your payouts are on hold for a short while because your account was recovered."),
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


# Built once: seller pages run it on every view, and Database.fetch prepares what it is handed once.
HOLDS, EMAILS = PayoutHold.__table__, BusinessEmail.__table__
UNRELEASED_HOLDS = (select_rows(HOLDS).where(HOLDS.c.seller_id == bindparam("seller_id"), HOLDS.c.released_at.is_(None))
                    .order_by(HOLDS.c.id))
EMAIL_OF_SELLER = select_rows(EMAILS).where(EMAILS.c.seller_id == bindparam("seller_id"))


def active_holds(db: Database, seller_id: int) -> list[Hold]:
    """The seller's active holds, in one read."""
    return _holds_found(*db.fetch_all(*_holds_reads(seller_id)))


async def read_active_holds(db: Database, seller_id: int) -> list[Hold]:
    """active_holds for a page, on the event loop (Database.read_rows)."""
    return _holds_found(*await db.read_rows(*_holds_reads(seller_id)))


def _holds_reads(seller_id: int) -> tuple:
    return (UNRELEASED_HOLDS, {"seller_id": seller_id}), (EMAIL_OF_SELLER, {"seller_id": seller_id})


def _holds_found(unreleased: list, emails: list) -> list[Hold]:
    return holds_from(unreleased, emails[0] if emails else None)


def holds_from(rows: list, business_email: BusinessEmail | None) -> list[Hold]:
    """The active holds, given what UNRELEASED_HOLDS found and the seller's business email (the
    model's object or a row of its table), or None where there is none. A page reads both with
    what else it shows."""
    now = utcnow()
    holds = [
        Hold(row.reason, EXPLANATIONS.get(row.reason, _("Your payouts are on hold.")), row.placed_at, row.until, row.note, row.placed_by)
        for row in rows
        if row.until is None or row.until > now
    ]
    if not (business_email and business_email.confirmed_at):
        holds.insert(0, Hold(BUSINESS_EMAIL, business_email_explanation(business_email),
                             business_email.updated_at if business_email else None, None))
    return holds


def business_email_explanation(business_email: BusinessEmail | None) -> str:
    """What is true of the business email and what to do: a link is mentioned only once one was sent."""
    if business_email is None:
        return (_("We need an email address on your business's own domain before payouts start. Add one in the business email step."))
    if business_email.last_sent_at is None:
        return (_("%(email)s isn't on your business's own domain, so we can't confirm it. To release your payouts, give an address on your website's domain in the business email step; we'll send it a confirmation link.", email=business_email.email))
    return _("Your business email address isn't confirmed yet. Open the link we sent to %(email)s to release your payouts.", email=business_email.email)


def schedule_for(account: dict, remembered: dict | None, held: bool, chosen: dict | None = None) -> tuple[dict, dict | None]:
    """(the schedule Stripe should have, the normal schedule to remember). Pure.

    `chosen` is a normal schedule someone just picked (staff, issue 10): it replaces the remembered
    one, and while held it is what the end of the last hold restores. Without a hold, a schedule
    Stripe already has that is not `manual` is the seller's normal one (the seller may have changed
    it in the embedded payouts component): it is remembered and left alone, not put back."""
    current = ((account.get("settings") or {}).get("payouts") or {}).get("schedule") or {}
    if chosen is not None:
        return ({"interval": "manual"} if held else chosen), chosen
    if held:
        if current.get("interval") != "manual":
            remembered = _schedule_params(current)
        return {"interval": "manual"}, remembered
    if current.get("interval") not in (None, "manual"):
        normal = _schedule_params(current)
        return normal, normal
    return (remembered or DEFAULT_SCHEDULE), remembered


def already(current: dict, wanted: dict, *, exact: bool = False) -> bool:
    """Whether Stripe's schedule already is `wanted`. `delay_days="minimum"` means whatever Stripe's
    minimum for the country is, and Stripe answers with the number; so unless `exact`, any number
    counts as it (the explicit change that asked for the minimum already put it right)."""
    for key, value in wanted.items():
        if key == "delay_days" and value == "minimum" and not exact:
            if current.get(key) is None:
                return False
        elif current.get(key) != value:
            return False
    return True


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


def _plan(db: Database, seller_id: int, chosen: dict | None = None) -> tuple[ConnectedAccount | None, dict, dict | None, bool]:
    """(the mirror, the schedule Stripe should have, the normal schedule, whether held). Remembers
    the normal schedule on the way, except a `chosen` one that Stripe must accept first."""
    with db.transaction() as session:
        mirror = session.exec(select(ConnectedAccount).where(ConnectedAccount.seller_id == seller_id)).first()
    if mirror is None:
        return None, {}, None, False
    held = bool(active_holds(db, seller_id))
    wanted, remembered = schedule_for(mirror.snapshot, mirror.normal_schedule, held, chosen)
    if remembered != mirror.normal_schedule and (held or chosen is None):
        _remember(db, mirror.id, remembered)
    return mirror, wanted, remembered, held


def _remember(db: Database, mirror_id: int, schedule: dict | None) -> None:
    with db.transaction() as session:
        stored = session.get(ConnectedAccount, mirror_id)
        stored.normal_schedule = schedule
        session.add(stored)


async def apply(db: Database, gateway: StripeGateway, seller_id: int, *, secret: str) -> dict | None:
    """Bring Stripe's payout schedule in line with the holds, and the mirror with Stripe. Returns the
    updated account, or None when nothing needed to change (or there is no account yet).
    Raises StripeFailure; the holds themselves stand either way."""
    return (await _bring_in_line(db, gateway, seller_id, secret=secret))[0]


async def change_schedule(db: Database, gateway: StripeGateway, seller_id: int, schedule: dict, *,
                          secret: str) -> tuple[dict | None, bool]:
    """Make `schedule` the seller's normal payout schedule: (Stripe's updated account or None, held).

    Without a hold Stripe gets it now, and it is remembered only once Stripe accepts it (a refusal
    changes nothing). While a hold is active Stripe's stays `manual` and `schedule` is what the end
    of the last hold restores."""
    return await _bring_in_line(db, gateway, seller_id, secret=secret, chosen=schedule)


async def _bring_in_line(db: Database, gateway: StripeGateway, seller_id: int, *, secret: str,
                         chosen: dict | None = None) -> tuple[dict | None, bool]:
    mirror, wanted, remembered, held = await run_in_threadpool(_plan, db, seller_id, chosen)
    if mirror is None:
        return None, False
    current = ((mirror.snapshot.get("settings") or {}).get("payouts") or {}).get("schedule") or {}
    account = None
    if not already(current, wanted, exact=chosen is not None and not held):
        params = {"settings": {"payouts": {"schedule": wanted}}}
        key = idempotency_key(seller_id, "payout-schedule", params, mirror.snapshot_at, secret=secret)
        account = await gateway.update_account(mirror.stripe_account_id, params, key=key)
        await run_in_threadpool(record_account, db, seller_id, account)
    if chosen is not None and not held and remembered != mirror.normal_schedule:
        await run_in_threadpool(_remember, db, mirror.id, remembered)
    return account, held
