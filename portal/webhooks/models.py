from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from portal.db import utcnow


class StripeEvent(SQLModel, table=True):
    """Every verified event, stored before it is applied; the id makes a redelivery a no-op."""

    __tablename__ = "stripe_event"

    id: str = Field(primary_key=True, max_length=64)
    type: str = Field(max_length=100, index=True)
    account: str | None = Field(default=None, max_length=64, index=True)
    created: int
    livemode: bool = False
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(default_factory=utcnow)
    # "applied", "ignored" (a type we don't handle, or an older state than we hold) or "failed"
    outcome: str = Field(default="", max_length=16)
    processed_at: datetime | None = None
    error: str = Field(default="", max_length=500)
