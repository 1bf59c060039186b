from datetime import date, datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from portal.db import utcnow


class ConnectedAccount(SQLModel, table=True):
    """The local mirror of a seller's Stripe account: Stripe's own snapshot, plus when it was taken.

    Pages read this, never Stripe. Every Stripe response and webhook that carries the account
    replaces the snapshot, unless the snapshot already reflects a later moment."""

    __tablename__ = "connected_account"

    id: int | None = Field(default=None, primary_key=True)
    seller_id: int = Field(foreign_key="seller.id", unique=True, ondelete="CASCADE")
    stripe_account_id: str = Field(max_length=64, unique=True, index=True)
    snapshot: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Seconds since the epoch of the moment the snapshot shows (an event's `created`, or when we
    # read the object), so an older event never overwrites newer state.
    snapshot_at: float = 0
    # The seller's own payout schedule, kept while holds make Stripe's `manual` (payout_holds.py).
    normal_schedule: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # capability id -> Stripe's capability object (with its own requirements), from capability.updated
    capabilities: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # external account id -> [the moment of the state held, deleted?], from that account's own
    # events: an older account snapshot must not bring back what a newer event changed or deleted.
    external_moments: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # What we last emailed the seller about, so each new requirement or error is mailed once.
    notified: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The moment of the first snapshot that showed the account verified (Stripe sends no such
    # timestamp): the end of "submitted -> verified" on the staff overview. Kept when the account
    # later loses it; empty for accounts verified before this column existed (migration 0015).
    verified_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class AccountBalance(SQLModel, table=True):
    """A connected account's balance as Stripe last reported it (balance.available, sync)."""

    __tablename__ = "account_balance"

    stripe_account_id: str = Field(primary_key=True, max_length=64)
    available: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    pending: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    as_of: float = 0
    # When the available balance first went below zero, for the negative-balance clock.
    negative_since: datetime | None = None
    # Set when an event said the balance moved (a payout, a dispute, a refund...) and cleared by
    # the next read of it: pages say the figure is out of date while this is set.
    stale_since: datetime | None = None
    refresh_failed: bool = False  # the read after that event did not reach Stripe


class PayoutRecord(SQLModel, table=True):
    __tablename__ = "payout_record"

    id: str = Field(primary_key=True, max_length=64)
    stripe_account_id: str = Field(max_length=64, index=True)
    amount: int
    currency: str = Field(max_length=3)
    status: str = Field(max_length=20)
    method: str = Field(default="standard", max_length=20)
    arrival_date: int | None = None
    failure_code: str | None = Field(default=None, max_length=64)
    created: int
    as_of: float = 0


class DisputeRecord(SQLModel, table=True):
    __tablename__ = "dispute_record"

    id: str = Field(primary_key=True, max_length=64)
    stripe_account_id: str = Field(max_length=64, index=True)
    charge: str = Field(max_length=64)
    amount: int
    currency: str = Field(max_length=3)
    status: str = Field(max_length=32)
    reason: str = Field(default="", max_length=64)
    due_by: int | None = None
    created: int
    as_of: float = 0
    # A dispute on a destination charge lives on the platform's account: it is read without
    # Stripe-Account, though it concerns (and is listed under) the seller's account.
    on_platform: bool = False


class ChargeRecord(SQLModel, table=True):
    """Successful charges, counted for each seller's dispute rate."""

    __tablename__ = "charge_record"

    id: str = Field(primary_key=True, max_length=64)
    stripe_account_id: str = Field(max_length=64, index=True)
    amount: int
    currency: str = Field(max_length=3)
    created: int


class AccountClosure(SQLModel, table=True):
    """A seller's account being closed at their request, then closed, then (after the retention
    period) erased. Rejected accounts get a row too when they close, so retention covers them."""

    __tablename__ = "account_closure"

    seller_id: int = Field(primary_key=True, foreign_key="seller.id", ondelete="CASCADE")
    stripe_account_id: str = Field(default="", max_length=64)
    state: str = Field(default="closing", max_length=16)  # closing, closed, erased
    reason: str = Field(default="", max_length=1000)
    requested_by: str = Field(default="", max_length=254)  # the staff member who started it
    started_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    erase_after: datetime | None = Field(default=None, index=True)
    erased_at: datetime | None = None


class UnfamiliarRequirement(SQLModel, table=True):
    """When a seller's account first asked for a requirement key the portal has no words or field
    for (connect/unfamiliar.py). Which keys are asked now comes from the mirror, not from here."""

    __tablename__ = "unfamiliar_requirement"

    key: str = Field(primary_key=True, max_length=200)  # canonical: person_<id>. becomes person.
    seller_id: int = Field(primary_key=True, foreign_key="seller.id", ondelete="CASCADE")
    first_seen_at: datetime = Field(default_factory=utcnow)


class AccountStateDay(SQLModel, table=True):
    """How many connected accounts were in each state (status.State) on a day: the history behind the
    overview's "accounts by state over time". Written by each scheduled pass (`portal worker`,
    `portal sync`, the sandbox's own pass): the day's last pass wins, so a day reads as it ended."""

    __tablename__ = "account_state_day"

    day: date = Field(primary_key=True)
    country: str = Field(primary_key=True, max_length=2)  # the account's; "" when the snapshot has none
    state: str = Field(primary_key=True, max_length=20)
    accounts: int = 0
    counted_at: datetime = Field(default_factory=utcnow)
