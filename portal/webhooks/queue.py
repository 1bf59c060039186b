"""The event table as the applier's queue: record an event in one short write, claim due events in
`created` order, and finish each under the claim that took it.

A claim is a lease: it moves the event's `due_at` a lease ahead and names its holder, so a process
that dies mid-way lets go without anyone noticing it died. On PostgreSQL several processes claim
side by side with `FOR UPDATE SKIP LOCKED`; SQLite has one writer at a time anyway."""

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from portal.db import Database, utcnow
from portal.webhooks.models import UNAPPLIED, StripeEvent

EVENTS = StripeEvent.__table__
# A failed application is tried again after 1, 2, 4... seconds, at most an hour apart, until it
# succeeds: the mirror must not silently miss an event, and the row shows the error meanwhile.
MAX_BACKOFF_SECONDS = 3600


def backoff(attempts: int) -> float:
    return float(min(2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


def record_event(db: Database, event: dict, *, handled: bool) -> str:
    """Store a verified event in one transaction. "new" when first seen; "pending" when it was
    stored before but is not applied yet (a failure waiting for its retry is made due now);
    "duplicate" when it was applied already. An event no handler takes is stored as ignored."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    now = utcnow()
    insert = dialect.insert(EVENTS).values(
        id=event["id"], type=event["type"], account=event.get("account"), created=event["created"],
        livemode=bool(event.get("livemode")), payload=event, received_at=now, error="", claim="", attempts=0, due_at=0.0,
        outcome="" if handled else "ignored", processed_at=None if handled else now,
    ).on_conflict_do_nothing(index_elements=["id"]).returning(EVENTS.c.id)
    with db.transaction() as session:
        if session.execute(insert).first() is not None:
            return "new"
        session.execute(update(EVENTS).where(EVENTS.c.id == event["id"], EVENTS.c.outcome == "failed", EVENTS.c.claim == "")
                        .values(due_at=0.0))
        outcome = session.execute(select(EVENTS.c.outcome).where(EVENTS.c.id == event["id"])).scalar_one()
    return "pending" if outcome in UNAPPLIED else "duplicate"


def new_claim() -> str:
    return uuid.uuid4().hex


def claim_due(db: Database, claim: str, *, now: float, lease: float, limit: int) -> list[tuple[dict, int]]:
    """Take up to `limit` due events, oldest `created` first: (payload, attempt number) each."""
    query = (select(EVENTS.c.id, EVENTS.c.payload, EVENTS.c.attempts)
             .where(EVENTS.c.outcome.in_(UNAPPLIED), EVENTS.c.due_at <= now)
             .order_by(EVENTS.c.created, EVENTS.c.received_at).limit(limit))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    with db.transaction() as session:
        rows = session.execute(query).all()
        if rows:
            session.execute(update(EVENTS).where(EVENTS.c.id.in_([row.id for row in rows]))
                            .values(due_at=now + lease, claim=claim, attempts=EVENTS.c.attempts + 1))
    return [(row.payload, row.attempts + 1) for row in rows]


def extend_claim(db: Database, claim: str, *, now: float, lease: float) -> None:
    with db.transaction() as session:
        session.execute(update(EVENTS).where(EVENTS.c.claim == claim, EVENTS.c.outcome.in_(UNAPPLIED)).values(due_at=now + lease))


def finish_event(db: Database, event_id: str, claim: str, outcome: str, *, now: float, attempts: int, error: str = "") -> bool:
    """Record what applying did; a failure becomes due again after its backoff. False when the
    claim was lost (its lease ran out and another applier took the event)."""
    values = {"outcome": outcome, "error": error[:500], "processed_at": utcnow(), "claim": ""}
    if outcome == "failed":
        values["due_at"] = now + backoff(attempts)
    with db.transaction() as session:
        done = session.execute(update(EVENTS).where(EVENTS.c.id == event_id, EVENTS.c.claim == claim).values(**values))
        return done.rowcount == 1


def unapplied_count(db: Database) -> int:
    with db.transaction() as session:
        return session.execute(select(func.count()).select_from(EVENTS).where(EVENTS.c.outcome.in_(UNAPPLIED))).scalar_one()
