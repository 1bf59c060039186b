"""Negative balances over time. A seller whose balance stays below zero owes the platform, which
is liable: after 180 days Stripe covers the shortfall from the platform's reserve. Staff see who
is negative, since when and how long is left; the seller is told at 30, 90 and 150 days."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, func, select

from portal.connect.models import AccountBalance, ConnectedAccount
from portal.db import Database, utcnow

RESERVE_AFTER_DAYS = 180
NOTICE_DAYS = (30, 90, 150)


class NegativeBalanceNotice(SQLModel, table=True):
    """Which of the 30/90/150-day mails a seller has had for the current negative spell."""

    __tablename__ = "negative_balance_notice"
    # Two workers finding the same notice due: the second insert fails and mails nothing.
    __table_args__ = (UniqueConstraint("stripe_account_id", "negative_since", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    stripe_account_id: str = Field(max_length=64, index=True)
    negative_since: datetime
    day: int
    sent_at: datetime = Field(default_factory=utcnow)


@dataclass(frozen=True)
class NegativeBalance:
    seller_id: int
    stripe_account_id: str
    amount: int  # the most negative available amount, in minor units
    currency: str
    since: datetime
    days: int
    stale: bool = False  # an event moved the balance and it has not been read again yet

    @property
    def days_left(self) -> int:
        return max(0, RESERVE_AFTER_DAYS - self.days)


def days_negative(since: datetime, now: datetime) -> int:
    return max(0, (now - since).days)


def notices_due(days: int, sent: set[int]) -> list[int]:
    """The notice days reached and not yet mailed. Pure."""
    return [day for day in NOTICE_DAYS if days >= day and day not in sent]


def negative_balances(db: Database, now: datetime | None = None, *, account: str = "") -> list[NegativeBalance]:
    """Every seller below zero (or only `account`'s balance, if it is), the longest-negative first."""
    now = now or utcnow()
    query = (select(AccountBalance, ConnectedAccount)
             .where(AccountBalance.negative_since.is_not(None))
             .where(ConnectedAccount.stripe_account_id == AccountBalance.stripe_account_id))
    if account:
        query = query.where(AccountBalance.stripe_account_id == account)
    with db.transaction() as session:
        rows = session.exec(query.order_by(AccountBalance.negative_since)).all()
    found = []
    for balance, account in rows:
        worst = min(balance.available, key=lambda item: item["amount"], default=None)
        if worst is None or worst["amount"] >= 0:
            continue
        found.append(NegativeBalance(account.seller_id, account.stripe_account_id, worst["amount"], worst["currency"],
                                     balance.negative_since, days_negative(balance.negative_since, now),
                                     balance.stale_since is not None))
    return found


def balances_not_read_since_moving(db: Database) -> int:
    """Balances an event moved that have not been read again (a read under way, or one that failed):
    any of them may have gone below zero, so the list says it may be incomplete."""
    with db.transaction() as session:
        return session.exec(select(func.count()).select_from(AccountBalance)
                            .where(AccountBalance.stale_since.is_not(None))).one()


def claim_notices(db: Database, negative: NegativeBalance) -> list[int]:
    """Record the notice days now due for this spell and return them (each is mailed once)."""
    try:
        return _claim(db, negative)
    except IntegrityError:
        return []


def _claim(db: Database, negative: NegativeBalance) -> list[int]:
    with db.transaction() as session:
        sent = {row.day for row in session.exec(select(NegativeBalanceNotice).where(
            NegativeBalanceNotice.stripe_account_id == negative.stripe_account_id,
            NegativeBalanceNotice.negative_since == negative.since,
        )).all()}
        due = notices_due(negative.days, sent)
        for day in due:
            session.add(NegativeBalanceNotice(stripe_account_id=negative.stripe_account_id,
                                              negative_since=negative.since, day=day))
    return due


def reserve_date(negative: NegativeBalance) -> datetime:
    return negative.since + timedelta(days=RESERVE_AFTER_DAYS)
