from datetime import datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from portal.db import utcnow

# What `outcome` holds: "" until the event is applied; "applied" or "ignored" (a type we don't
# handle, an account not ours, an older state than we hold) once it is; "failed" while it waits
# for another attempt.
UNAPPLIED = ("", "failed")


class StripeEvent(SQLModel, table=True):
    """Every verified event, stored before the 200 and applied behind it; the id makes a
    redelivery a no-op once the event is applied. The table is also the applier's queue: an
    unapplied row whose `due_at` has passed is there to be claimed. What the event says is in
    StripeEventPayload, apart: claiming and finishing rewrite this row, and a row of a few dozen
    bytes shares its page with many others, where one with the body (a few KB) fills a page alone,
    so each rewrite cost a page written to the log."""

    __tablename__ = "stripe_event"
    __table_args__ = (Index("ix_stripe_event_unapplied", "outcome", "due_at"),)

    id: str = Field(primary_key=True, max_length=64)
    type: str = Field(max_length=100, index=True)
    account: str | None = Field(default=None, max_length=64, index=True)
    created: int
    livemode: bool = False
    received_at: datetime = Field(default_factory=utcnow)
    outcome: str = Field(default="", max_length=16)
    processed_at: datetime | None = None
    error: str = Field(default="", max_length=500)
    # Unix time from which an applier may take the event: 0 at first; a claim moves it one lease
    # ahead (so a claimer that died lets go by itself), a failure one backoff ahead.
    due_at: float = 0.0
    # Who holds the current claim; finishing checks it, so a claim that outlived its lease and
    # was taken over cannot also record an outcome.
    claim: str = Field(default="", max_length=32)
    attempts: int = 0


class StripeEventPayload(SQLModel, table=True):
    """The body an event came in (its JSON, as verified), written with the event and never changed."""

    __tablename__ = "stripe_event_payload"

    id: str = Field(primary_key=True, max_length=64, foreign_key="stripe_event.id", ondelete="CASCADE")
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
