from datetime import datetime

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
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
