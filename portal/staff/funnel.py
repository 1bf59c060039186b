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
from portal.onboarding import steps
from portal.onboarding.models import OnboardingDraft

@dataclass(frozen=True)
class Stage:
    key: str
    title: object  # words, or a step's (lazy) title
    # The business types whose form has this step; empty when every seller goes through it.
    only_for: frozenset = frozenset()

    @property
    def words(self) -> str:
        if not self.only_for:
            return str(self.title)
        who = " and ".join(PLURALS[kind] for kind in steps.BUSINESS_TYPES if kind in self.only_for)
        return f"{self.title} ({who} only)"


PLURALS = {steps.INDIVIDUAL: "individuals", steps.COMPANY: "companies", steps.NON_PROFIT: "non-profits"}


def _form_steps() -> list[steps.Step]:
    """Every business type's steps merged in the form's order (a step only some types have goes just
    before the next step every type has); review is the "submitted" stage."""
    order: list[steps.Step] = []
    for kind in steps.BUSINESS_TYPES:
        own = steps.steps_for(kind)
        for n, step in enumerate(own):
            if step not in order:
                following = next((later for later in own[n + 1:] if later in order), None)
                order.insert(order.index(following) if following else len(order), step)
    return [step for step in order if step is not steps.STEP_REVIEW]


def _step_stage(step: steps.Step) -> Stage:
    having = frozenset(kind for kind in steps.BUSINESS_TYPES if step in steps.steps_for(kind))
    return Stage(f"step_{step.slug.replace('-', '_')}", step.title,
                 frozenset() if having == frozenset(steps.BUSINESS_TYPES) else having)


FORM_STEPS = _form_steps()
STEP_STAGES = {step.slug: _step_stage(step) for step in FORM_STEPS}
# Each stage in order. A seller counts at a stage when they reached it and every stage before it
# that their business type has; a step only some types have counts only those sellers.
FUNNEL = (
    Stage("signed_up", "Signed up"),
    Stage("email_confirmed", "Email confirmed"),
    Stage("form_started", "Onboarding started"),
    *STEP_STAGES.values(),
    Stage("submitted", "Form submitted"),
    Stage("verified", "Verified"),
    Stage("payouts_enabled", "Payouts enabled"),
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
    business_type: str | None = None  # as saved on the form's first step
    steps_done: frozenset = frozenset()  # the form's steps Stripe (or we) accepted: the draft's `sent`

    def reached(self) -> dict[str, bool | None]:
        """Each stage: reached or not, None when the seller's business type has no such step."""
        status = summarize(self.account) if self.account else None
        was_submitted = bool(self.account and submitted(self.account))
        return {
            "signed_up": True, "email_confirmed": self.email_confirmed, "form_started": self.form_started,
            **self._steps_reached(was_submitted),
            "submitted": was_submitted,
            "verified": status is not None and status.state is State.verified,
            "payouts_enabled": bool(self.account and self.account.get("payouts_enabled")),
        }

    def _steps_reached(self, was_submitted: bool) -> dict[str, bool | None]:
        # A step counts as reached when it, or any step after it, is done: a step reopened later
        # (a company editing its people) was still passed. An account at Stripe means the profile
        # step went through (it creates the account); a submitted form means every step did.
        kind = self.business_type or (self.account or {}).get("business_type")
        own = [step.slug for step in steps.steps_for(kind) if step is not steps.STEP_REVIEW]
        done = [n for n, slug in enumerate(own) if slug in self.steps_done]
        furthest = max(done, default=-1)
        if self.account is not None:
            furthest = max(furthest, own.index(steps.STEP_PROFILE.slug))
        if was_submitted:
            furthest = len(own) - 1
        reached = {}
        for slug, stage in STEP_STAGES.items():
            if stage.only_for and kind not in stage.only_for:
                reached[stage.key] = None  # not a step of this seller's form (or no type chosen yet)
            else:
                reached[stage.key] = slug in own and own.index(slug) <= furthest
        return reached

    @property
    def wait_for_verification(self) -> timedelta | None:
        """From accepting the terms (the form's last step) to the mirror seeing the account verified."""
        accepted = (self.account or {}).get("tos_acceptance") or {}
        if self.verified_at is None or not accepted.get("date"):
            return None
        return max(self.verified_at - datetime.fromtimestamp(accepted["date"], UTC), timedelta(0))


@dataclass(frozen=True)
class StageCount:
    stage: str
    words: str
    count: int  # sellers who reached this stage and every one before it
    eligible: int  # sellers this stage applies to who reached the stage before it

    @property
    def lost(self) -> int:
        return self.eligible - self.count


def funnel(progress: list[SellerProgress]) -> list[StageCount]:
    """Each stage with how many sellers got at least that far, every earlier stage (of their
    business type) included, and how many of those it applies to got as far as the stage before."""
    counts = dict.fromkeys((stage.key for stage in FUNNEL), 0)
    eligible = dict(counts)
    for seller in progress:
        reached = seller.reached()
        for stage in FUNNEL:
            if reached[stage.key] is None:
                continue
            eligible[stage.key] += 1
            if not reached[stage.key]:
                break
            counts[stage.key] += 1
    return [StageCount(stage.key, stage.words, counts[stage.key], eligible[stage.key]) for stage in FUNNEL]


@dataclass(frozen=True)
class Drop:
    stage: str  # the stage sellers did not reach
    words: str
    lost: int  # reached the stage before, not this one
    share: float  # of those who reached the stage before


def drops(stages: list[StageCount]) -> list[Drop]:
    """How many sellers stopped before each stage, the largest share first (a step only some
    business types have is measured against those sellers alone)."""
    found = [Drop(stage.stage, stage.words, stage.lost, stage.lost / stage.eligible if stage.eligible else 0.0)
             for stage in stages[1:]]
    return sorted(found, key=lambda drop: (-drop.share, -drop.lost))


def week_of(moment: datetime) -> date:
    """The Monday of the ISO week a seller signed up in: their cohort."""
    day = moment.date()
    return day - timedelta(days=day.weekday())


def by_week(progress: list[SellerProgress]) -> list[tuple[date, list[StageCount]]]:
    cohorts = defaultdict(list)
    for seller in progress:
        cohorts[week_of(seller.signed_up_at)].append(seller)
    return [(week, funnel(cohorts[week])) for week in sorted(cohorts)]


def by_country(progress: list[SellerProgress]) -> list[tuple[str, list[StageCount]]]:
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
                   OnboardingDraft.seller_id, ConnectedAccount.verified_at, OnboardingDraft.business_type,
                   OnboardingDraft.sent)
            .select_from(Seller)
            .outerjoin(OnboardingDraft, OnboardingDraft.seller_id == Seller.id)
            .outerjoin(ConnectedAccount, ConnectedAccount.seller_id == Seller.id)
            .where(Seller.created_at >= since, Seller.created_at < until)
        ).all()
    found = [SellerProgress(confirmed is not None, draft is not None, snapshot, _aware(created),
                            form_country or (snapshot or {}).get("country") or "", _aware(verified),
                            business_type, frozenset(sent or ()))
             for created, confirmed, form_country, snapshot, draft, verified, business_type, sent in rows]
    return [seller for seller in found if not country or seller.country == country]


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands datetimes back without their zone; every moment we store is UTC.
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def in_words(wait: timedelta | None) -> str:
    if wait is None:
        return "not known yet"
    hours = wait.total_seconds() / 3600
    return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.1f} days"


def stage_table(stages: list[StageCount]) -> tuple[list[str], list[list]]:
    return (["stage", "words", "sellers", "stopped_before"],
            [[stage.stage, stage.words, stage.count, stage.lost if n else ""] for n, stage in enumerate(stages)])


def grouped_table(name: str, groups: list[tuple[object, list[StageCount]]]) -> tuple[list[str], list[list]]:
    """One row per week or country, one column per stage."""
    return ([name, *(stage.key for stage in FUNNEL)],
            [[str(key), *(stage.count for stage in stages)] for key, stages in groups])
