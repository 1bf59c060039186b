"""The staff overview's figures, from the mirror only (never Stripe per view): dispute rates per
seller over a rolling window against the 0.75% Stripe calls excessive, and negative balances by
age against the 180 days after which the platform's reserve pays. Each is a list of rows that the
page draws (charts.py), tabulates and offers as CSV."""

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import func, select

from portal.accounts.models import Seller
from portal.connect.models import ChargeRecord, ConnectedAccount, DisputeRecord
from portal.connect.negative_balances import RESERVE_AFTER_DAYS, negative_balances
from portal.connect.status import State, summarize
from portal.db import Database
from portal.onboarding.models import OnboardingDraft
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


def _accounts(session, country: str) -> dict[str, tuple[int, str]]:
    country_of = ConnectedAccount.snapshot["country"].as_string()
    query = select(ConnectedAccount.stripe_account_id, ConnectedAccount.seller_id, country_of)
    if country:
        query = query.where(country_of == country)
    return {account: (seller_id, found or "") for account, seller_id, found in session.exec(query).all()}


def dispute_rates(db: Database, *, until: datetime, days: int, country: str = "") -> list[DisputeRate]:
    """Disputes opened over charges made in the `days` before `until`, per seller (the seller's own
    charges and the platform's destination charges made for them alike)."""
    start, end = int((until - timedelta(days=days)).timestamp()), int(until.timestamp())

    def counted(model):
        return dict(session.exec(select(model.stripe_account_id, func.count()).where(model.created >= start, model.created < end)
                                 .group_by(model.stripe_account_id)).all())

    with db.read() as session:
        accounts = _accounts(session, country)
        charges, disputes = counted(ChargeRecord), counted(DisputeRecord)
    return rates(accounts, charges, disputes)


def negative_ages(db: Database, *, now: datetime, country: str = "") -> list[NegativeAge]:
    with db.read() as session:
        accounts = _accounts(session, country)
    return [NegativeAge(row.seller_id, row.stripe_account_id, accounts[row.stripe_account_id][1], row.amount, row.currency,
                        row.days)
            for row in negative_balances(db, now) if row.stripe_account_id in accounts]


def countries(db: Database) -> list[str]:
    with db.read() as session:
        return sorted({country for _, country in _accounts(session, "").values() if country})


# The onboarding funnel: each stage a seller reaches, in order. A seller counts at a stage when
# they reached it and every stage before it.
FUNNEL = (
    ("signed_up", "Signed up"),
    ("email_confirmed", "Email confirmed"),
    ("form_started", "Onboarding started"),
    ("account_created", "Stripe account created"),
    ("submitted", "Form submitted"),
    ("verified", "Verified"),
    ("payouts_enabled", "Payouts enabled"),
)


@dataclass(frozen=True)
class SellerProgress:
    """What one seller has done, from our tables and the account's snapshot."""

    email_confirmed: bool
    form_started: bool
    account: dict | None

    def reached(self) -> dict[str, bool]:
        status = summarize(self.account) if self.account else None
        return {
            "signed_up": True, "email_confirmed": self.email_confirmed, "form_started": self.form_started,
            "account_created": self.account is not None,
            "submitted": bool(self.account and (self.account.get("tos_acceptance") or {}).get("date")),
            "verified": status is not None and status.state is State.verified,
            "payouts_enabled": bool(self.account and self.account.get("payouts_enabled")),
        }


def funnel(progress: list[SellerProgress]) -> list[tuple[str, str, int]]:
    """(stage, words, how many sellers got at least that far, every earlier stage included)."""
    counts = dict.fromkeys((stage for stage, _ in FUNNEL), 0)
    for seller in progress:
        reached = seller.reached()
        for stage, _ in FUNNEL:
            if not reached[stage]:
                break
            counts[stage] += 1
    return [(stage, words, counts[stage]) for stage, words in FUNNEL]


def onboarding_funnel(db: Database, *, since: datetime, until: datetime, country: str = "") -> list[tuple[str, str, int]]:
    """The funnel of sellers who signed up between `since` and `until`; a country filter counts the
    country chosen on the form (or, without a form, the account's)."""
    with db.read() as session:
        rows = session.exec(
            select(Seller.email_confirmed_at, OnboardingDraft.country, ConnectedAccount.snapshot, OnboardingDraft.seller_id)
            .select_from(Seller)
            .outerjoin(OnboardingDraft, OnboardingDraft.seller_id == Seller.id)
            .outerjoin(ConnectedAccount, ConnectedAccount.seller_id == Seller.id)
            .where(Seller.created_at >= since, Seller.created_at < until)
        ).all()
    progress = [SellerProgress(confirmed is not None, draft is not None, snapshot)
                for confirmed, form_country, snapshot, draft in rows
                if not country or (form_country or (snapshot or {}).get("country")) == country]
    return funnel(progress)


def as_csv(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        # A cell a spreadsheet would run as a formula is kept as text.
        writer.writerow(["'" + cell if isinstance(cell, str) and cell[:1] in "=+-@" else cell for cell in row])
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
