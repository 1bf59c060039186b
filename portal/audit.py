"""The audit trail: who did what to which seller, when, from where, and why.

Every state change by staff (and the sensitive ones by sellers or the system) writes one row.
Rows are only ever added. `details` is for context a person reads later; it must never hold a
secret (no tokens, passwords, full account numbers): `record` drops keys that look like one."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel, select

from portal.db import Database, utcnow

STAFF, SELLER, SYSTEM = "staff", "seller", "system"
# Keys that never belong in an audit row, whatever a caller passes.
SECRET_MARKERS = ("password", "secret", "token", "account_number", "ssn", "id_number", "totp", "code")


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_kind: str = Field(max_length=16)
    actor_id: int | None = None
    actor_email: str = Field(default="", max_length=254)
    action: str = Field(max_length=64, index=True)
    # No foreign key: the trail outlives a deleted seller.
    seller_id: int | None = Field(default=None, index=True)
    reason: str = Field(default="", max_length=2000)
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    ip: str = Field(default="", max_length=64)


@dataclass(frozen=True)
class Actor:
    kind: str
    id: int | None = None
    email: str = ""

    @classmethod
    def staff(cls, staff_id: int | None, email: str) -> "Actor":
        return cls(STAFF, staff_id, email)

    @classmethod
    def seller(cls, seller_id: int, email: str) -> "Actor":
        return cls(SELLER, seller_id, email)

    @classmethod
    def system(cls, name: str = "portal") -> "Actor":
        return cls(SYSTEM, None, name)


def without_secrets(details: dict | None) -> dict:
    """A copy of details minus any key that names a secret (nested dicts included)."""
    clean = {}
    for key, value in (details or {}).items():
        if any(marker in str(key).lower() for marker in SECRET_MARKERS):
            continue
        clean[str(key)] = without_secrets(value) if isinstance(value, dict) else value
    return clean


def record(db: Database, *, actor: Actor, action: str, seller_id: int | None = None, reason: str = "",
           details: dict | None = None, ip: str = "") -> AuditEvent:
    event = AuditEvent(
        actor_kind=actor.kind, actor_id=actor.id, actor_email=actor.email, action=action, seller_id=seller_id,
        reason=reason[:2000], details=without_secrets(details), ip=ip[:64],
    )
    with db.transaction() as session:
        session.add(event)
    return event


def for_seller(db: Database, seller_id: int, limit: int = 200) -> list[AuditEvent]:
    """The seller's trail, newest first."""
    with db.transaction() as session:
        return list(session.exec(
            select(AuditEvent).where(AuditEvent.seller_id == seller_id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
        ).all())


def by_actor(db: Database, actor_kind: str, actor_id: int, limit: int = 200) -> list[AuditEvent]:
    with db.transaction() as session:
        return list(session.exec(
            select(AuditEvent).where(AuditEvent.actor_kind == actor_kind, AuditEvent.actor_id == actor_id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
        ).all())
