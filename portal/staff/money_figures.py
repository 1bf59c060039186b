"""The money and payout-hold parts of the staff overview, from the mirror: charge volume and payouts
per day (the charges mirrored for dispute rates: successful charges on sellers' accounts and the
platform's destination charges for them; payouts as Stripe reported them), money movements waiting
for a second member of staff, and sellers whose payouts staff paused, with the reason they gave."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import func, select

from portal.connect.models import ChargeRecord, PayoutRecord
from portal.connect.payout_holds import RISK_PAUSE, PayoutHold
from portal.db import Database
from portal.funds import service as funds
from portal.funds.models import FundsMovement
from portal.staff.overview import accounts_in, accounts_of

DAY = 86400
NOT_PAID = ("failed", "canceled")


@dataclass
class MoneyDay:
    day: date
    currency: str
    charges: int = 0
    volume: int = 0  # minor units
    payouts: int = 0
    paid_out: int = 0  # minor units, payouts not failed or canceled
    failed_payouts: int = 0


def _epoch(day: date) -> int:
    return int(datetime.combine(day, datetime.min.time(), tzinfo=UTC).timestamp())


def money_per_day(db: Database, *, since: date, until: date, country: str = "") -> list[MoneyDay]:
    """Every day from `since` to `until` with charges or payouts, per currency, the latest first."""
    start, end = _epoch(since), _epoch(until + timedelta(days=1))
    days: dict[tuple[date, str], MoneyDay] = {}

    def row(day_number: int, currency: str) -> MoneyDay:
        day = datetime.fromtimestamp(day_number * DAY, UTC).date()
        return days.setdefault((day, currency), MoneyDay(day, currency))

    # Whole days since the epoch, counted by the database (floor division, rendered for each dialect).
    charge_day, payout_day = ChargeRecord.created // DAY, PayoutRecord.created // DAY
    charges = (select(charge_day, ChargeRecord.currency, func.count(), func.sum(ChargeRecord.amount))
               .where(ChargeRecord.created >= start, ChargeRecord.created < end).group_by(charge_day, ChargeRecord.currency))
    payouts = (select(payout_day, PayoutRecord.currency, PayoutRecord.status, func.count(), func.sum(PayoutRecord.amount))
               .where(PayoutRecord.created >= start, PayoutRecord.created < end)
               .group_by(payout_day, PayoutRecord.currency, PayoutRecord.status))
    if country:
        charges = charges.where(ChargeRecord.stripe_account_id.in_(accounts_of(country)))
        payouts = payouts.where(PayoutRecord.stripe_account_id.in_(accounts_of(country)))
    with db.read() as session:
        charges, payouts = session.exec(charges).all(), session.exec(payouts).all()
    for day_number, currency, count, amount in charges:
        found = row(int(day_number), currency)
        found.charges += count
        found.volume += amount or 0
    for day_number, currency, status, count, amount in payouts:
        found = row(int(day_number), currency)
        found.payouts += count
        if status in NOT_PAID:
            found.failed_payouts += count
        else:
            found.paid_out += amount or 0
    return sorted(days.values(), key=lambda found: (found.day, found.currency), reverse=True)


def by_currency(days: list[MoneyDay]) -> dict[str, list[MoneyDay]]:
    """Each currency's days, oldest first, the currency with the most volume first."""
    found = defaultdict(list)
    for day in sorted(days, key=lambda found: found.day):
        found[day.currency].append(day)
    return dict(sorted(found.items(), key=lambda item: -sum(day.volume for day in item[1])))


def money_table(days: list[MoneyDay]) -> tuple[list[str], list[list]]:
    return (["day", "currency", "charges", "volume_minor_units", "payouts", "paid_out_minor_units", "failed_or_canceled_payouts"],
            [[day.day.isoformat(), day.currency, day.charges, day.volume, day.payouts, day.paid_out, day.failed_payouts]
             for day in days])


@dataclass(frozen=True)
class PausedPayouts:
    seller_id: int
    stripe_account_id: str
    country: str
    since: datetime
    by: str
    reason: str  # what staff wrote when pausing (also on the seller's audit trail)


def paused_payouts(db: Database, country: str = "") -> list[PausedPayouts]:
    """Sellers whose payouts staff have paused and not resumed, the longest paused first."""
    with db.read() as session:
        accounts = {seller_id: (account, found) for account, (seller_id, found) in accounts_in(session, country).items()}
        holds = session.exec(select(PayoutHold).where(PayoutHold.reason == RISK_PAUSE, PayoutHold.released_at.is_(None))
                             .order_by(PayoutHold.placed_at)).all()
    return [PausedPayouts(hold.seller_id, *accounts[hold.seller_id], hold.placed_at, hold.placed_by, hold.note)
            for hold in holds if hold.seller_id in accounts]


def awaiting_approval(db: Database, country: str = "") -> list[FundsMovement]:
    waiting = funds.awaiting(db)
    if not country:
        return waiting
    with db.read() as session:
        accounts = set(accounts_in(session, country))
    return [movement for movement in waiting if movement.stripe_account_id in accounts]


def paused_table(rows: list[PausedPayouts]) -> tuple[list[str], list[list]]:
    return (["seller_id", "stripe_account_id", "country", "paused_since", "paused_by", "reason"],
            [[row.seller_id, row.stripe_account_id, row.country, row.since.isoformat(timespec="seconds"), row.by, row.reason]
             for row in rows])
