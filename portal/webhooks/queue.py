"""The event table as the applier's queue: record an event in one short write, claim due events in
`created` order, and finish each under the claim that took it.

A claim is a lease: it moves the event's `due_at` a lease ahead and names its holder, so a process
that dies mid-way lets go without anyone noticing it died. On PostgreSQL several processes claim
side by side with `FOR UPDATE SKIP LOCKED`; SQLite has one writer at a time anyway."""

import asyncio
import functools
import json
import time
import uuid

from sqlalchemy import bindparam, func, select, update

from starlette.concurrency import run_in_threadpool

from portal.db import Database, utcnow
from portal.webhooks.models import UNAPPLIED, StripeEvent, StripeEventPayload

EVENTS = StripeEvent.__table__
PAYLOADS = StripeEventPayload.__table__
# A failed application is tried again after 1, 2, 4... seconds, at most an hour apart, until it
# succeeds: the mirror must not silently miss an event, and the row shows the error meanwhile.
MAX_BACKOFF_SECONDS = 3600
# Deliveries written in one transaction at most: bounds the statement and how long one group
# holds SQLite's single writer.
MAX_GROUP = 500
# Notified on PostgreSQL when events are stored, or let go, for any applier to claim: a worker
# listening (cli.py) claims them at once instead of at its next poll.
WAITING = "portal_events_waiting"
_NOTIFY = select(func.pg_notify(WAITING, ""))


def backoff(attempts: int) -> float:
    return float(min(2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


# The event's columns as record_events fills them, and how each is given to PostgreSQL as an array.
_COLUMNS = {"id": "text", "type": "text", "account": "text", "created": "int", "livemode": "bool", "received_at": "timestamptz",
            "outcome": "text", "processed_at": "timestamptz", "error": "text", "due_at": "float8", "claim": "text",
            "attempts": "int"}
_NAMES = ", ".join(_COLUMNS)
_SQLITE_INSERT = f"INSERT INTO stripe_event ({_NAMES}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_SQLITE_INSERT_PAYLOAD = "INSERT INTO stripe_event_payload (id, payload) VALUES (?, ?)"
# One statement of fixed text whatever the group's size (psycopg parses and PostgreSQL plans it
# once), one array per column; an id already held is skipped, and the ids inserted come back. The
# arrays go in binary (%b): in text, psycopg escapes every quote of every payload, one by one.
_POSTGRESQL_INSERT = (f"INSERT INTO stripe_event ({_NAMES}) "
                      f"SELECT * FROM unnest({', '.join(f'%b::{kind}[]' for kind in _COLUMNS.values())}) "
                      "ON CONFLICT (id) DO NOTHING RETURNING id")
_POSTGRESQL_INSERT_PAYLOAD = ("INSERT INTO stripe_event_payload (id, payload) "
                              "SELECT id, payload::json FROM unnest(%b::text[], %b::text[]) AS given (id, payload)")


def _store(session, dialect, rows: list[dict], payloads: dict[str, str]) -> set[str]:
    """Insert the rows (one per id) not held yet, and their payloads (event id -> its JSON text as
    received); the ids inserted. Straight through the driver, one statement for each table:
    SQLAlchemy's insert of many rows took ~12 us an event on SQLite (its handling of each row's
    parameters), and on PostgreSQL ~50 us (a statement of new text for each group's size, which
    psycopg parsed afresh every time).

    On SQLite, one look at which ids are held, then the rest inserted: the transaction holds
    SQLite's one writer (Database.transaction), and in WAL mode a write after a stale read fails
    rather than goes in."""
    driver = session.connection().connection.driver_connection
    if dialect.name == "postgresql":
        columns = [[row[name] for row in rows] for name in _COLUMNS]
        inserted = {found for found, in driver.execute(_POSTGRESQL_INSERT, columns, prepare=True)}
        if inserted:
            driver.execute(_POSTGRESQL_INSERT_PAYLOAD, [list(inserted), [payloads[key] for key in inserted]], prepare=True)
        return inserted
    ids = [row["id"] for row in rows]
    held = {found for found, in driver.execute(f"SELECT id FROM stripe_event WHERE id IN ({', '.join('?' * len(ids))})", ids)}
    stamp = _sqlite_datetime(dialect)
    fresh = [row for row in rows if row["id"] not in held]
    driver.executemany(_SQLITE_INSERT, [  # in _COLUMNS' order
        (row["id"], row["type"], row["account"], row["created"], int(row["livemode"]), stamp(row["received_at"]), row["outcome"],
         stamp(row["processed_at"]), row["error"], row["due_at"], row["claim"], row["attempts"]) for row in fresh])
    driver.executemany(_SQLITE_INSERT_PAYLOAD, [(row["id"], payloads[row["id"]]) for row in fresh])
    return {row["id"] for row in fresh}


@functools.cache
def _sqlite_datetime(dialect):
    """A datetime as SQLAlchemy writes stripe_event's timestamps in SQLite, so reads get it back."""
    column = EVENTS.c.received_at.type
    return column.dialect_impl(dialect).bind_processor(dialect)


def record_event(db: Database, event: dict, body: str | bytes | None = None, *, handled: bool) -> str:
    """Store a verified event (and the body it came in) in one transaction. "new" when first seen;
    "pending" when it was stored before but is not applied yet (a failure waiting for its retry is
    made due now); "duplicate" when it was applied already. An event no handler takes is stored
    as ignored."""
    return record_events(db, [(event, body, handled)])[0]


def record_events(db: Database, deliveries: list[tuple[dict, str | bytes | None, bool]], *, claim: str = "",
                  leased_until: float = 0.0) -> list[str]:
    """record_event for several deliveries (event, body, handled) in one transaction, each answered
    as record_event would in that order: one insert for all, then one look at those already held.

    With a `claim`, the events to apply are stored already claimed by it until `leased_until`, as
    claim_due would leave them (attempt 1): the process that received them applies them from
    memory (Applier.hand), and should it die first, any applier takes them once the lease runs out."""
    now = utcnow()
    rows = [{
        "id": event["id"], "type": event["type"], "account": event.get("account"), "created": event["created"],
        "livemode": bool(event.get("livemode")), "received_at": now, "error": "",
        "claim": claim if handled else "", "attempts": 1 if claim and handled else 0,
        "due_at": leased_until if claim and handled else 0.0,
        "outcome": "" if handled else "ignored", "processed_at": None if handled else now,
    } for event, body, handled in deliveries]
    payloads = {event["id"]: json.dumps(event) if body is None else body.decode() if isinstance(body, bytes) else body
                for event, body, _ in reversed(deliveries)}  # the first delivery's body, where an event came twice
    with db.transaction() as session:
        inserted = _store(session, db.engine.dialect, list({row["id"]: row for row in reversed(rows)}.values()), payloads)
        answers, held = [], set()
        for row in rows:
            new = row["id"] in inserted and row["id"] not in held  # the same event twice in one group: once new
            held.add(row["id"])
            answers.append("new" if new else "")
        if not claim and any(answer and row["outcome"] == "" for row, answer in zip(rows, answers)):
            _waiting_to_be_applied(session, db)
        again = list({row["id"] for row, answer in zip(rows, answers) if not answer})
        if again:
            session.execute(update(EVENTS).where(EVENTS.c.id.in_(again), EVENTS.c.outcome == "failed", EVENTS.c.claim == "")
                            .values(due_at=0.0))
            outcomes = dict(session.execute(select(EVENTS.c.id, EVENTS.c.outcome).where(EVENTS.c.id.in_(again))).all())
    return [answer or ("pending" if outcomes[row["id"]] in UNAPPLIED else "duplicate") for row, answer in zip(rows, answers)]


class GroupCommit:
    """The endpoint's writes, committed together: deliveries that arrive while one group is being
    written wait and go in the next, in one transaction. Each delivery's answer (record_event's)
    comes only once its group is committed, so the 200 still means the event is stored; a busy
    endpoint pays for one transaction per group instead of one per event. Call on the event loop.

    With an `applier` that takes them, a group's new events are stored claimed for it and handed
    over as they are, parsed: applying them reads nothing back (claim_due's read and parse of each
    payload was a fifth of a busy endpoint's work)."""

    def __init__(self, db: Database, applier=None):
        self.db, self.applier = db, applier
        self._waiting: list[tuple[tuple, asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

    async def record(self, event: dict, body: bytes, *, handled: bool) -> str:
        answer = asyncio.get_running_loop().create_future()
        self._waiting.append(((event, body, handled), answer))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        # shield: a request given up on (the client went away) still leaves its event stored.
        return await asyncio.shield(answer)

    async def _write(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting[:MAX_GROUP], self._waiting[MAX_GROUP:]
            deliveries = [delivery for delivery, _ in group]
            handing = self.applier is not None and self.applier.takes(len(group))
            claim, leased_until = (new_claim(), time.time() + self.applier.lease) if handing else ("", 0.0)
            try:
                stored = await run_in_threadpool(record_events, self.db, deliveries, claim=claim, leased_until=leased_until)
            except Exception as exc:  # each waiting request answers 500; Stripe delivers again
                for _, answer in group:
                    answer.set_exception(exc)
                continue
            if handing:
                self.applier.hand([(event, 1, claim) for (event, _, handled), outcome in zip(deliveries, stored)
                                   if handled and outcome == "new"], leased_until)
            for (_, answer), outcome in zip(group, stored):
                answer.set_result(outcome)


def new_claim() -> str:
    return uuid.uuid4().hex


def claim_due(db: Database, claim: str, *, now: float, lease: float, limit: int) -> list[tuple[dict, int]]:
    """Take up to `limit` due events, oldest `created` first: (payload, attempt number) each."""
    query = (select(EVENTS.c.id, PAYLOADS.c.payload, EVENTS.c.attempts).join(PAYLOADS, PAYLOADS.c.id == EVENTS.c.id)
             .where(EVENTS.c.outcome.in_(UNAPPLIED), EVENTS.c.due_at <= now)
             .order_by(EVENTS.c.created, EVENTS.c.received_at).limit(limit))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=EVENTS)
    with db.transaction() as session:
        rows = session.execute(query).all()
        if rows:
            session.execute(update(EVENTS).where(EVENTS.c.id.in_([row.id for row in rows]))
                            .values(due_at=now + lease, claim=claim, attempts=EVENTS.c.attempts + 1))
    return [(row.payload, row.attempts + 1) for row in rows]


def extend_claims(db: Database, claims: list[str], *, now: float, lease: float) -> None:
    with db.transaction() as session:
        session.execute(update(EVENTS).where(EVENTS.c.claim.in_(claims), EVENTS.c.outcome.in_(UNAPPLIED))
                        .values(due_at=now + lease))


_FINISH = (update(EVENTS).where(EVENTS.c.id == bindparam("event_id"), EVENTS.c.claim == bindparam("holder"))
           .values(outcome=bindparam("outcome"), error=bindparam("error"), processed_at=bindparam("processed_at"),
                   due_at=bindparam("due_at"), claim=""))


def finish_event(db: Database, event_id: str, claim: str, outcome: str, *, now: float, attempts: int, error: str = "") -> bool:
    """Record what applying did; a failure becomes due again after its backoff. False when the
    claim was lost (its lease ran out and another applier took the event)."""
    return finish_events(db, [(event_id, outcome, attempts, error, claim)], now=now) == 1


def finish_events(db: Database, outcomes: list[tuple[str, str, int, str, str]], *, now: float) -> int:
    """finish_event for several events, (id, outcome, attempt number, error, the claim that took
    it) each, in one transaction; how many were still held by their claims (as far as the driver
    counts them)."""
    processed_at = utcnow()
    values = [{"event_id": event_id, "holder": claim, "outcome": outcome, "error": error[:500], "processed_at": processed_at,
               "due_at": now + backoff(attempts) if outcome == "failed" else 0.0}
              for event_id, outcome, attempts, error, claim in outcomes]
    if not values:
        return 0
    with db.transaction() as session:
        return session.execute(_FINISH, values).rowcount


def release(db: Database, event_ids: list[str], claims: list[str]) -> None:
    """Let go of events one of `claims` holds and nothing applied: due at once, for any applier."""
    with db.transaction() as session:
        session.execute(update(EVENTS).where(EVENTS.c.id.in_(event_ids), EVENTS.c.claim.in_(claims),
                                             EVENTS.c.outcome.in_(UNAPPLIED)).values(due_at=0.0, claim=""))
        _waiting_to_be_applied(session, db)


def _waiting_to_be_applied(session, db: Database) -> None:
    """On PostgreSQL, tell the processes that apply (a worker listening on WAITING, cli.py) that
    events wait in the table for anyone to claim, when this transaction commits."""
    if db.engine.dialect.name == "postgresql":
        session.execute(_NOTIFY)


def finish_superseded(db: Database, event_ids: list[str], claims: list[str]) -> None:
    """Events a newer one about the same thing made moot: ignored, as they would be after it. Only
    while one of `claims` (the batch's) still holds them."""
    with db.transaction() as session:
        session.execute(update(EVENTS).where(EVENTS.c.id.in_(event_ids), EVENTS.c.claim.in_(claims))
                        .values(outcome="ignored", processed_at=utcnow(), claim=""))


def unapplied_count(db: Database) -> int:
    with db.transaction() as session:
        return session.execute(select(func.count()).select_from(EVENTS).where(EVENTS.c.outcome.in_(UNAPPLIED))).scalar_one()
