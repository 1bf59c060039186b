"""The event table as the applier's queue: record an event in one short write, claim due events in
`created` order, and finish each under the claim that took it.

A claim is a lease: it moves the event's `due_at` a lease ahead and names its holder, so a process
that dies mid-way lets go without anyone noticing it died. On PostgreSQL several processes claim
side by side with `FOR UPDATE SKIP LOCKED`; SQLite has one writer at a time anyway."""

import functools
import json
import uuid

from sqlalchemy import JSON, Text, bindparam, cast, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from portal.db import Database, utcnow
from portal.webhooks.models import UNAPPLIED, StripeEvent

EVENTS = StripeEvent.__table__
# A failed application is tried again after 1, 2, 4... seconds, at most an hour apart, until it
# succeeds: the mirror must not silently miss an event, and the row shows the error meanwhile.
MAX_BACKOFF_SECONDS = 3600


def backoff(attempts: int) -> float:
    return float(min(2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


@functools.cache
def _insert(dialect_name: str):
    """Built once: on a busy endpoint, building the statement cost more than running it. The
    payload goes in as the verified body's own text, not parsed and serialized again."""
    body = bindparam("payload", type_=Text)
    if dialect_name == "postgresql":
        statement = postgresql.insert(EVENTS).values(payload=cast(body, JSON))
    else:
        statement = sqlite.insert(EVENTS).values(payload=body)
    return statement.on_conflict_do_nothing(index_elements=["id"]).returning(EVENTS.c.id)


def record_event(db: Database, event: dict, body: str | bytes | None = None, *, handled: bool) -> str:
    """Store a verified event (and the body it came in) in one transaction. "new" when first seen;
    "pending" when it was stored before but is not applied yet (a failure waiting for its retry is
    made due now); "duplicate" when it was applied already. An event no handler takes is stored
    as ignored."""
    now = utcnow()
    values = {
        "id": event["id"], "type": event["type"], "account": event.get("account"), "created": event["created"],
        "livemode": bool(event.get("livemode")), "received_at": now, "error": "", "claim": "", "attempts": 0, "due_at": 0.0,
        "outcome": "" if handled else "ignored", "processed_at": None if handled else now,
        "payload": json.dumps(event) if body is None else body.decode() if isinstance(body, bytes) else body,
    }
    with db.transaction() as session:
        if session.execute(_insert(db.engine.dialect.name), values).first() is not None:
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


_FINISH = (update(EVENTS).where(EVENTS.c.id == bindparam("event_id"), EVENTS.c.claim == bindparam("holder"))
           .values(outcome=bindparam("outcome"), error=bindparam("error"), processed_at=bindparam("processed_at"),
                   due_at=bindparam("due_at"), claim=""))


def finish_event(db: Database, event_id: str, claim: str, outcome: str, *, now: float, attempts: int, error: str = "") -> bool:
    """Record what applying did; a failure becomes due again after its backoff. False when the
    claim was lost (its lease ran out and another applier took the event)."""
    values = {"event_id": event_id, "holder": claim, "outcome": outcome, "error": error[:500], "processed_at": utcnow(),
              "due_at": now + backoff(attempts) if outcome == "failed" else 0.0}
    with db.transaction() as session:
        return session.execute(_FINISH, values).rowcount == 1


def finish_superseded(db: Database, event_ids: list[str], claim: str) -> None:
    """Events a newer one about the same thing made moot: ignored, as they would be after it."""
    with db.transaction() as session:
        session.execute(update(EVENTS).where(EVENTS.c.id.in_(event_ids), EVENTS.c.claim == claim)
                        .values(outcome="ignored", processed_at=utcnow(), claim=""))


def unapplied_count(db: Database) -> int:
    with db.transaction() as session:
        return session.execute(select(func.count()).select_from(EVENTS).where(EVENTS.c.outcome.in_(UNAPPLIED))).scalar_one()
