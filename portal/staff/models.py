from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from portal.db import utcnow


class StaffRole(StrEnum):
    support = "support"
    risk = "risk"
    admin = "admin"


class StaffMember(SQLModel, table=True):
    __tablename__ = "staff_member"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    role: str = Field(default=StaffRole.support, max_length=16)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    # Filled at single sign-on: the provider's subject for this person, and when they last came in.
    name: str = Field(default="", max_length=200)
    oidc_subject: str | None = Field(default=None, max_length=255)
    last_sign_in_at: datetime | None = None


class StaffNote(SQLModel, table=True):
    """The internal notes thread on a seller: staff only, never shown to the seller."""

    __tablename__ = "staff_note"

    id: int | None = Field(default=None, primary_key=True)
    seller_id: int = Field(foreign_key="seller.id", index=True, ondelete="CASCADE")
    staff_id: int | None = None
    author_email: str = Field(max_length=254)
    body: str = Field(max_length=5000)
    created_at: datetime = Field(default_factory=utcnow)


class ViewAsGrant(SQLModel, table=True):
    """One staff member viewing one seller's portal, read-only, until it ends or expires.

    Kept in the database (not in process memory) so any web process can check it; the browser holds
    only a random token whose hash is stored here."""

    __tablename__ = "view_as_grant"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    staff_id: int = Field(foreign_key="staff_member.id", index=True, ondelete="CASCADE")
    staff_email: str = Field(max_length=254)
    seller_id: int = Field(foreign_key="seller.id", index=True, ondelete="CASCADE")
    reason: str = Field(default="", max_length=1000)
    ip: str = Field(default="", max_length=64)
    started_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    ended_at: datetime | None = None


class AlertThreshold(SQLModel, table=True):
    """One figure staff watch (alerts.METRICS), the line above which it alerts, and who is mailed.
    No row, or `above` empty, means the alert is off."""

    __tablename__ = "alert_threshold"

    metric: str = Field(primary_key=True, max_length=32)
    above: float | None = None
    recipients: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # staff member ids
    updated_by: str = Field(default="", max_length=254)
    updated_at: datetime = Field(default_factory=utcnow)


class StaffAlert(SQLModel, table=True):
    """One crossing of a threshold: opened when the figure goes above it, cleared (and re-armed) when it
    comes back under. `open_key` (metric:subject) is set only while the crossing lasts and is unique,
    so however many processes evaluate at once, one crossing is one row and one round of mail."""

    __tablename__ = "staff_alert"

    id: int | None = Field(default=None, primary_key=True)
    metric: str = Field(max_length=32, index=True)
    subject: str = Field(default="", max_length=64)  # the Stripe account concerned, or "" for a platform figure
    seller_id: int | None = None  # no foreign key: the alert outlives an erased seller, as the audit trail does
    threshold: float
    value: float
    open_key: str | None = Field(default=None, max_length=100, unique=True)
    opened_at: datetime = Field(default_factory=utcnow, index=True)
    cleared_at: datetime | None = None
    mailed_to: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    acknowledged_at: datetime | None = None
    acknowledged_by: str = Field(default="", max_length=254)
    acknowledgement: str = Field(default="", max_length=1000)
