"""The staff overview's figures, from the mirror only (never Stripe per view): dispute rates per
seller over a rolling window against the 0.75% Stripe calls excessive, and negative balances by
age against the 180 days after which the platform's reserve pays. Each is a list of rows that the
page draws (charts.py), tabulates and offers as CSV."""

import csv
import io
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import func, select

from portal.connect.models import ChargeRecord, ConnectedAccount, DisputeRecord
from portal.connect.negative_balances import RESERVE_AFTER_DAYS, negative_balances
from portal.db import Database
from portal.staff.search import EXCESSIVE_DISPUTE_RATE

WINDOWS = (30, 90)


@dataclass(frozen=True)
class DisputeRate:
    seller_id: int
    stripe_account_id: str
    country: str
    charges: int
    disputes: int

    @property
    def rate(self) -> float:
        return self.disputes / self.charges if self.charges else 0.0

    @property
    def excessive(self) -> bool:
        return self.rate > EXCESSIVE_DISPUTE_RATE


@dataclass(frozen=True)
class NegativeAge:
    seller_id: int
    stripe_account_id: str
    country: str
    amount: int
    currency: str
    days: int

    @property
    def past_reserve(self) -> bool:
        return self.days > RESERVE_AFTER_DAYS


def rates(accounts: dict[str, tuple[int, str]], charges: dict[str, int], disputes: dict[str, int]) -> list[DisputeRate]:
    """Sellers who charged in the window, the highest rate first (then the most charges)."""
    found = [DisputeRate(seller_id, account, country, charges[account], disputes.get(account, 0))
             for account, (seller_id, country) in accounts.items() if charges.get(account)]
    return sorted(found, key=lambda row: (-row.rate, -row.charges, row.stripe_account_id))


def accounts_of(country: str):
    """The Stripe account ids of one country, as a subquery."""
    return select(ConnectedAccount.stripe_account_id).where(ConnectedAccount.snapshot["country"].as_string() == country)


def accounts_in(session, country: str, account: str = "") -> dict[str, tuple[int, str]]:
    """Stripe account id -> (seller id, country), for one country or (empty) all; one account alone
    when `account` is given."""
    country_of = ConnectedAccount.snapshot["country"].as_string()
    query = select(ConnectedAccount.stripe_account_id, ConnectedAccount.seller_id, country_of)
    if country:
        query = query.where(country_of == country)
    if account:
        query = query.where(ConnectedAccount.stripe_account_id == account)
    return {account: (seller_id, found or "") for account, seller_id, found in session.exec(query).all()}


def dispute_rates(db: Database, *, until: datetime, days: int, country: str = "", account: str = "") -> list[DisputeRate]:
    """Disputes opened over charges made in the `days` before `until`, per seller (the seller's own
    charges and the platform's destination charges made for them alike); one seller's alone when
    `account` is given."""
    # Up to the end of `until`'s second: a dispute Stripe dates this very second is in the window.
    start, end = int((until - timedelta(days=days)).timestamp()), math.ceil(until.timestamp())

    def counted(model):
        query = select(model.stripe_account_id, func.count()).where(model.created >= start, model.created < end)
        if account:
            query = query.where(model.stripe_account_id == account)
        return dict(session.exec(query.group_by(model.stripe_account_id)).all())

    with db.read() as session:
        accounts = accounts_in(session, country, account)
        charges, disputes = counted(ChargeRecord), counted(DisputeRecord)
    return rates(accounts, charges, disputes)


def negative_ages(db: Database, *, now: datetime, country: str = "", account: str = "") -> list[NegativeAge]:
    with db.read() as session:
        accounts = accounts_in(session, country, account)
    return [NegativeAge(row.seller_id, row.stripe_account_id, accounts[row.stripe_account_id][1], row.amount, row.currency,
                        row.days)
            for row in negative_balances(db, now, account=account) if row.stripe_account_id in accounts]


def countries(db: Database) -> list[str]:
    with db.read() as session:
        return sorted({country for _, country in accounts_in(session, "").values() if country})


def as_csv(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        # A cell a spreadsheet would run as a formula is kept as text.
        writer.writerow(["'" + cell if isinstance(cell, str) and cell[:1] and cell[0] in "=+-@" else cell for cell in row])
    return out.getvalue()


def dispute_table(rows: list[DisputeRate]) -> tuple[list[str], list[list]]:
    return (["seller_id", "stripe_account_id", "country", "charges", "disputes", "dispute_rate_percent", "over_0.75%"],
            [[row.seller_id, row.stripe_account_id, row.country, row.charges, row.disputes, f"{row.rate * 100:.2f}",
              "yes" if row.excessive else "no"] for row in rows])


def negative_table(rows: list[NegativeAge]) -> tuple[list[str], list[list]]:
    return (["seller_id", "stripe_account_id", "country", "amount_minor_units", "currency", "days_negative",
             f"past_{RESERVE_AFTER_DAYS}_days"],
            [[row.seller_id, row.stripe_account_id, row.country, row.amount, row.currency, row.days,
              "yes" if row.past_reserve else "no"] for row in rows])
