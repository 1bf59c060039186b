"""The onboarding funnel on the staff overview: each stage a seller reaches, for all the sign-ups
in the filters, per sign-up week and per country; where sellers drop; and how long verification
takes once the form is submitted. From our tables and the mirror only."""

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from portal.accounts.models import Seller
from portal.connect.models import ConnectedAccount
from portal.connect.status import State, submitted, summarize
from portal.db import Database
from portal.onboarding.models import OnboardingDraft

# Each stage in order. A seller counts at a stage when they reached it and every stage before it.
FUNNEL = (
    ("signed_up", "Signed up"),
    ("email_confirmed", "Email confirmed"),
    ("form_started", "Onboarding started"),
    ("account_created", "Stripe account created"),
    ("submitted", "Form submitted"),
    ("verified", "Verified"),
    ("payouts_enabled", "Payouts enabled"),
)
NO_COUNTRY = "none yet"  # signed up, not started the form: no country chosen


@dataclass(frozen=True)
class SellerProgress:
    """What one seller has done, from our tables and the account's snapshot."""

    email_confirmed: bool
    form_started: bool
    account: dict | None
    signed_up_at: datetime | None = None
    country: str = ""
    verified_at: datetime | None = None  # when the mirror first saw the account verified

    def reached(self) -> dict[str, bool]:
        status = summarize(self.account) if self.account else None
        return {
            "signed_up": True, "email_confirmed": self.email_confirmed, "form_started": self.form_started,
            "account_created": self.account is not None,
            "submitted": bool(self.account and submitted(self.account)),
            "verified": status is not None and status.state is State.verified,
            "payouts_enabled": bool(self.account and self.account.get("payouts_enabled")),
        }

    @property
    def wait_for_verification(self) -> timedelta | None:
        """From accepting the terms (the form's last step) to the mirror seeing the account verified."""
        accepted = (self.account or {}).get("tos_acceptance") or {}
        if self.verified_at is None or not accepted.get("date"):
            return None
        return max(self.verified_at - datetime.fromtimestamp(accepted["date"], UTC), timedelta(0))


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


@dataclass(frozen=True)
class Drop:
    stage: str  # the stage sellers did not reach
    words: str
    lost: int  # reached the stage before, not this one
    share: float  # of those who reached the stage before


def drops(stages: list[tuple[str, str, int]]) -> list[Drop]:
    """How many sellers stopped before each stage, the largest share first."""
    found = [Drop(stage, words, before - count, (before - count) / before if before else 0.0)
             for (_, _, before), (stage, words, count) in zip(stages, stages[1:])]
    return sorted(found, key=lambda drop: (-drop.share, -drop.lost))


def week_of(moment: datetime) -> date:
    """The Monday of the ISO week a seller signed up in: their cohort."""
    day = moment.date()
    return day - timedelta(days=day.weekday())


def by_week(progress: list[SellerProgress]) -> list[tuple[date, list[tuple[str, str, int]]]]:
    cohorts = defaultdict(list)
    for seller in progress:
        cohorts[week_of(seller.signed_up_at)].append(seller)
    return [(week, funnel(cohorts[week])) for week in sorted(cohorts)]


def by_country(progress: list[SellerProgress]) -> list[tuple[str, list[tuple[str, str, int]]]]:
    groups = defaultdict(list)
    for seller in progress:
        groups[seller.country or NO_COUNTRY].append(seller)
    return [(country, funnel(groups[country])) for country in sorted(groups, key=lambda name: (name == NO_COUNTRY, name))]


def median_wait(progress: list[SellerProgress]) -> tuple[timedelta | None, int]:
    """(the median time from submission to verified, how many sellers it is taken over)."""
    waits = [wait for seller in progress if (wait := seller.wait_for_verification) is not None]
    return (statistics.median(waits) if waits else None), len(waits)


def progress_of(db: Database, *, since: datetime, until: datetime, country: str = "") -> list[SellerProgress]:
    """The sellers who signed up between `since` and `until`; a country filter counts the country
    chosen on the form (or, without a form, the account's)."""
    with db.read() as session:
        rows = session.exec(
            select(Seller.created_at, Seller.email_confirmed_at, OnboardingDraft.country, ConnectedAccount.snapshot,
                   OnboardingDraft.seller_id, ConnectedAccount.verified_at)
            .select_from(Seller)
            .outerjoin(OnboardingDraft, OnboardingDraft.seller_id == Seller.id)
            .outerjoin(ConnectedAccount, ConnectedAccount.seller_id == Seller.id)
            .where(Seller.created_at >= since, Seller.created_at < until)
        ).all()
    found = [SellerProgress(confirmed is not None, draft is not None, snapshot, _aware(created),
                            form_country or (snapshot or {}).get("country") or "", _aware(verified))
             for created, confirmed, form_country, snapshot, draft, verified in rows]
    return [seller for seller in found if not country or seller.country == country]


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands datetimes back without their zone; every moment we store is UTC.
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def in_words(wait: timedelta | None) -> str:
    if wait is None:
        return "not known yet"
    hours = wait.total_seconds() / 3600
    return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.1f} days"


def stage_table(stages: list[tuple[str, str, int]]) -> tuple[list[str], list[list]]:
    return ["stage", "sellers"], [[stage, count] for stage, _, count in stages]


def grouped_table(name: str, groups: list[tuple[object, list[tuple[str, str, int]]]]) -> tuple[list[str], list[list]]:
    """One row per week or country, one column per stage."""
    return ([name, *(stage for stage, _ in FUNNEL)],
            [[str(key), *(count for _, _, count in stages)] for key, stages in groups])
