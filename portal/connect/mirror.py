"""The local mirror of each seller's Stripe account: written from Stripe's answers and events,
read by every page, so rendering a page never waits on Stripe.

Every mirrored object keeps the moment its state shows (`as_of`: an event's `created`, or when we
read the object), and a state older than the one held is dropped. Stripe's `created` counts whole
seconds, so two events of one second can't be ordered by it: a state that lands within
AMBIGUITY_SECONDS of the one held, and differs from it, comes back `in_doubt` and is not applied:
the caller re-reads the object from Stripe (refresh.py) and stores that, and until that read lands
the mirror keeps what it held. A direct read (`read=True`) is Stripe's present and is always kept.

Writes are upserts that cannot race: two processes inserting the same object at once leave one
row and no unique violation (`_locked`)."""

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import bindparam, update
from sqlalchemy import select as select_columns
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel, select

from portal.connect.models import (
    AccountBalance, ChargeRecord, ConnectedAccount, DisputeRecord, PayoutRecord, UnfamiliarRequirement,
)
from portal.connect import requirement_model, unfamiliar
from portal.connect.requirements import notice_items
from portal.connect.status import State, summarize
from portal.db import Database, utcnow
from portal.onboarding.models import DraftPerson

# A read's moment is not checked against what was held when it was asked (sync's reads).
UNCHECKED = object()

# Events within this many seconds of the state held can't be ordered by `created` alone (whole
# seconds, and our clock and Stripe's may differ by a little).
AMBIGUITY_SECONDS = 2


@dataclass(frozen=True)
class Recorded:
    """What storing one state of a mirrored object did."""

    applied: bool  # the mirror holds this state now
    in_doubt: bool = False  # the state held was from the same moment and differs: ask Stripe
    inserted: bool = False  # the mirror had no such object before
    changed: dict = field(default_factory=dict)  # name -> (before, after), for what was applied

    def __bool__(self) -> bool:
        return self.applied


def decide(held_at: float | None, held: object, new: object, as_of: float, *, read: bool = False,
           if_held_at=UNCHECKED) -> Recorded:
    """Whether a state of `as_of` replaces the one held at `held_at` (None: nothing held). Pure.

    A read is Stripe's present, unless the state held moved while it was under way (`if_held_at`,
    what was held when it was asked): that newer write may show more than the read saw, so the
    read is not kept and comes back in doubt (refresh.py reads again)."""
    if read and if_held_at is not UNCHECKED and held_at != if_held_at:
        return Recorded(False, in_doubt=True)
    if held_at is None:
        return Recorded(True, inserted=True, changed=_changes({}, new) if isinstance(new, dict) else {})
    changed = _changes(held, new)
    if read:
        return Recorded(True, changed=changed)
    if changed and abs(held_at - as_of) < AMBIGUITY_SECONDS:
        # Not applied, even if the event looks as new: were the read that settles it to fail or
        # give up, the event's state would stand unchecked, and the event tried again would then
        # find it held, see no difference, and never ask.
        return Recorded(False, in_doubt=True)
    applied = held_at <= as_of
    return Recorded(applied, changed=changed if applied else {})


def _changes(held: object, new: object) -> dict:
    if isinstance(held, dict) and isinstance(new, dict):
        return {name: (held.get(name), new.get(name)) for name in {*held, *new} if held.get(name) != new.get(name)}
    return {} if held == new else {"": (held, new)}


def _insert(session, model):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def _note_unfamiliar(session, seller_id: int, account: dict, before: dict) -> None:
    """When this seller's account first asked for each key the portal has no words or field for
    (unfamiliar.py). Only a snapshot that asks for a key the one before did not is looked at, and
    only one with an unfamiliar key costs a query: most webhooks pay for two sets of strings."""
    new = set(unfamiliar.keys_asked(account)) - set(unfamiliar.keys_asked(before))
    if not new:
        return
    keys = unfamiliar.unfamiliar_keys(account, only=new)
    if keys:
        rows = [{"key": key[:200], "seller_id": seller_id, "first_seen_at": utcnow()} for key in keys]
        session.execute(_insert(session, UnfamiliarRequirement).values(rows).on_conflict_do_nothing())


def _locked(session, model, key: dict, fresh: SQLModel):
    """(the row for `key`, whether it was created now from `fresh`), locked until the transaction
    ends. INSERT ... ON CONFLICT DO NOTHING, then SELECT ... FOR UPDATE: no read-then-insert race."""
    values = {column.name: getattr(fresh, column.name) for column in model.__table__.columns
              if not (column.primary_key and getattr(fresh, column.name) is None)}
    # RETURNING, not rowcount: psycopg reports no rowcount for an INSERT ... ON CONFLICT DO NOTHING
    # here, which made every first insert on PostgreSQL look like an existing row.
    statement = _insert(session, model).values(**values).on_conflict_do_nothing()
    inserted = session.execute(statement.returning(*model.__table__.primary_key.columns)).first() is not None
    row = session.exec(select(model).filter_by(**key).with_for_update()).one()
    return row, inserted


def _keep_row(db: Database, model, object_id: str, values: dict, *, as_of: float, read: bool = False,
              if_held_at=UNCHECKED) -> Recorded:
    """The generic rule for objects kept one per row (payouts, disputes)."""
    with db.transaction() as session:
        row, inserted = _locked(session, model, {"id": object_id}, model(id=object_id, as_of=as_of, **values))
        if inserted:
            return Recorded(True, inserted=True, changed={name: (None, value) for name, value in values.items()})
        result = decide(row.as_of, {name: getattr(row, name) for name in values}, values, as_of, read=read,
                        if_held_at=if_held_at)
        if result.applied:
            for name, value in values.items():
                setattr(row, name, value)
            row.as_of = max(as_of, row.as_of) if read else as_of
            session.add(row)
        return result


# The account


def account_for_seller(db: Database, seller_id: int) -> ConnectedAccount | None:
    with db.transaction() as session:
        return session.exec(select(ConnectedAccount).where(ConnectedAccount.seller_id == seller_id)).first()


def seller_for_account(db: Database, account_id: str) -> int | None:
    with db.transaction() as session:
        mirror = session.exec(select(ConnectedAccount).where(ConnectedAccount.stripe_account_id == account_id)).first()
        return mirror.seller_id if mirror else None


def record_account(db: Database, seller_id: int, account: dict, *, as_of: float | None = None,
                   read: bool = False) -> ConnectedAccount:
    """Keep Stripe's snapshot of the account (creating the mirror) unless the one held shows a later
    moment. Without `as_of` it is the answer Stripe just gave (a create, an update, a retrieve): its
    present, kept as a read, so one landing in the same second as an event is not left in doubt."""
    if as_of is None:
        as_of, read = time.time(), True
    return keep_account(db, seller_id, account, as_of=as_of, read=read)[0]


def keep_account(db: Database, seller_id: int, account: dict, *, as_of: float, read: bool = False,
                 if_held_at=UNCHECKED) -> tuple[ConnectedAccount, Recorded]:
    with db.transaction() as session:
        fresh = ConnectedAccount(seller_id=seller_id, stripe_account_id=account["id"], snapshot=account, snapshot_at=as_of,
                                 verified_at=verified_moment(None, account, as_of))
        mirror, inserted = _locked(session, ConnectedAccount, {"stripe_account_id": account["id"]}, fresh)
        if inserted:
            _note_unfamiliar(session, seller_id, account, {})
            return mirror, Recorded(True, inserted=True)
        result = decide(mirror.snapshot_at, mirror.snapshot, account, as_of, read=read, if_held_at=if_held_at)
        if result.applied:
            _note_unfamiliar(session, mirror.seller_id, account, mirror.snapshot)
            _take_snapshot(mirror, account, max(as_of, mirror.snapshot_at) if read else as_of)
            session.add(mirror)
        return mirror, result


def _take_snapshot(mirror: ConnectedAccount, account: dict, as_of: float) -> None:
    account = _snapshot_to_keep(mirror.snapshot, mirror.capabilities, mirror.external_moments, account, as_of)
    mirror.snapshot, mirror.snapshot_at, mirror.updated_at = account, as_of, utcnow()
    mirror.verified_at = verified_moment(mirror.verified_at, account, as_of)


def _snapshot_to_keep(held: dict, capabilities: dict, external_moments: dict, account: dict, as_of: float) -> dict:
    """The snapshot to store for `account` of `as_of` over the one `held`. Pure."""
    # A capability or external account event newer than this snapshot knows that part better.
    newer = {name: known["status"] for name, known in capabilities.items() if known.get("_as_of", 0) > as_of}
    if newer and "capabilities" in account:
        account = {**account, "capabilities": {**(account.get("capabilities") or {}), **newer}}
    later = {key: deleted for key, (moment, deleted) in external_moments.items() if moment > as_of}
    if later and "external_accounts" in account:
        kept_before = {item["id"]: item for item in (held.get("external_accounts") or {}).get("data") or []}
        listing = dict(account["external_accounts"] or {"object": "list", "data": []})
        kept = [kept_before[key] for key, deleted in later.items() if not deleted and key in kept_before]
        listing["data"] = kept + [item for item in listing.get("data") or [] if item.get("id") not in later]
        account = {**account, "external_accounts": listing}
    return account


def verified_moment(held: datetime | None, account: dict, as_of: float, model=None) -> datetime | None:
    """When the mirror first saw the account verified: the moment of that snapshot (an event's
    `created`, or our read), kept for good once set. Pure. `model`: the account's requirement
    model when the caller has it (requirement_model.of(account))."""
    if held is not None or summarize(account, model).state is not State.verified:
        return held
    return datetime.fromtimestamp(as_of, UTC)


@dataclass(frozen=True)
class AccountEvent:
    """What applying an account.updated did to the mirror."""

    seller_id: int
    recorded: Recorded
    requirements_changed: bool  # differs from what the seller was last told about


ACCOUNTS = ConnectedAccount.__table__
# account.updated is the commonest event: its statements are built once, with bound parameters,
# and run without the ORM (building them and the ORM's flush cost more than running them).
_HELD_COLUMNS = (ACCOUNTS.c.id, ACCOUNTS.c.stripe_account_id, ACCOUNTS.c.seller_id, ACCOUNTS.c.snapshot,
                 ACCOUNTS.c.snapshot_at, ACCOUNTS.c.capabilities, ACCOUNTS.c.external_moments, ACCOUNTS.c.notified,
                 ACCOUNTS.c.verified_at)
_HELD_ACCOUNT = (select_columns(*_HELD_COLUMNS).where(ACCOUNTS.c.stripe_account_id == bindparam("account_id"))
                 .with_for_update())
# Locked in account id order, so two processes doing this at once never wait on each other in a circle.
_HELD_ACCOUNTS = (select_columns(*_HELD_COLUMNS)
                  .where(ACCOUNTS.c.stripe_account_id.in_(bindparam("account_ids", expanding=True)))
                  .order_by(ACCOUNTS.c.stripe_account_id).with_for_update())
_KEEP_SNAPSHOT = (update(ACCOUNTS).where(ACCOUNTS.c.id == bindparam("row_id"))
                  .values(snapshot=bindparam("new_snapshot", type_=ACCOUNTS.c.snapshot.type),
                          snapshot_at=bindparam("new_snapshot_at"), updated_at=bindparam("new_updated_at"),
                          verified_at=bindparam("new_verified_at")))


def apply_account_event(db: Database, account: dict, *, as_of: float) -> AccountEvent | None:
    """Take the event's account snapshot unless a later one is held; None for an account not ours."""
    return _apply_account_events(db, [(account, as_of)])[0]


def apply_account_events(db: Database, accounts: list[tuple[dict, float]]) -> list[AccountEvent | None]:
    """apply_account_event for several (account, as_of), in one transaction, each answered as it
    would be alone in the order given: one read of the rows held, one write of the snapshots kept."""
    return _apply_account_events(db, accounts)


def _apply_account_events(db: Database, accounts: list[tuple[dict, float]]) -> list[AccountEvent | None]:
    if not accounts:
        return []
    with db.transaction() as session:
        if len(accounts) == 1:
            rows = session.execute(_HELD_ACCOUNT, {"account_id": accounts[0][0]["id"]}).mappings()
        else:
            rows = session.execute(_HELD_ACCOUNTS, {"account_ids": sorted({a["id"] for a, _ in accounts})}).mappings()
        held = {row["stripe_account_id"]: dict(row) for row in rows}
        answers, writes = [], []
        for account, as_of in accounts:
            row = held.get(account["id"])
            answers.append(None if row is None else _account_event(session, row, account, as_of, writes))
        if writes:
            # In the order of the rows (a stable sort keeps an account's snapshots in theirs), so
            # appliers in several processes lock accounts, and their sellers' versions, in one order.
            session.execute(_KEEP_SNAPSHOT, sorted(writes, key=lambda write: write["row_id"]))
    return answers


def _account_event(session, held: dict, account: dict, as_of: float, writes: list) -> AccountEvent:
    """Decide on one snapshot against the row `held`; when it is kept, add its write to `writes` and
    make `held` show it (for a later snapshot of the same account in the same call)."""
    result = decide(held["snapshot_at"], held["snapshot"], account, as_of)
    # The requirement model, worked out once for both questions below (it is most of their cost)
    # while the snapshot kept is the event's own (_snapshot_to_keep merges nothing newer in).
    model = requirement_model.of(account) if result.applied else None
    changed = result.applied and notice_items(account, model) != set(held["notified"])
    if result.applied:
        _note_unfamiliar(session, held["seller_id"], account, held["snapshot"])
        snapshot = _snapshot_to_keep(held["snapshot"], held["capabilities"], held["external_moments"], account, as_of)
        verified_at = verified_moment(held["verified_at"], snapshot, as_of, model if snapshot is account else None)
        writes.append({"row_id": held["id"], "new_snapshot": snapshot, "new_snapshot_at": as_of, "new_updated_at": utcnow(),
                       "new_verified_at": verified_at})
        held.update(snapshot=snapshot, snapshot_at=as_of, verified_at=verified_at)
    return AccountEvent(held["seller_id"], result, changed)


def record_capability(db: Database, account_id: str, capability: dict, *, as_of: float, read: bool = False,
                      if_held_at=UNCHECKED) -> Recorded:
    """Keep the capability object (with its requirements) and its status in the account snapshot."""
    with db.transaction() as session:
        query = select(ConnectedAccount).where(ConnectedAccount.stripe_account_id == account_id).with_for_update()
        mirror = session.exec(query).first()
        if mirror is None:
            return Recorded(False)
        known = mirror.capabilities.get(capability["id"])
        held = {name: value for name, value in (known or {}).items() if name != "_as_of"}
        result = decide(known.get("_as_of", 0) if known else None, held, capability, as_of, read=read,
                        if_held_at=if_held_at)
        if not result.applied:
            return result
        stored_at = max(as_of, known.get("_as_of", 0)) if read and known else as_of
        mirror.capabilities = {**mirror.capabilities, capability["id"]: {**capability, "_as_of": stored_at}}
        if read or mirror.snapshot_at <= as_of:
            snapshot = dict(mirror.snapshot)
            snapshot["capabilities"] = {**(snapshot.get("capabilities") or {}), capability["id"]: capability["status"]}
            mirror.snapshot = snapshot
        mirror.updated_at = utcnow()
        session.add(mirror)
        return result


def record_external_account(db: Database, account_id: str, external: dict, *, deleted: bool, as_of: float,
                            read: bool = False, if_held_at=UNCHECKED) -> Recorded:
    """One bank account or card in the snapshot's `external_accounts`, ordered by its own moment."""
    with db.transaction() as session:
        query = select(ConnectedAccount).where(ConnectedAccount.stripe_account_id == account_id).with_for_update()
        mirror = session.exec(query).first()
        if mirror is None:
            return Recorded(False)
        snapshot = dict(mirror.snapshot)
        listing = dict(snapshot.get("external_accounts") or {"object": "list", "data": []})
        others = [item for item in listing.get("data") or [] if item.get("id") != external["id"]]
        known = next((item for item in listing.get("data") or [] if item.get("id") == external["id"]), None)
        held_at = mirror.external_moments.get(external["id"], [mirror.snapshot_at])[0]
        result = decide(held_at, known, None if deleted else external, as_of, read=read, if_held_at=if_held_at)
        if not result.applied:
            return result
        listing["data"] = others if deleted else [external, *others]
        snapshot["external_accounts"] = listing
        moment = max(as_of, held_at) if read else as_of
        mirror.snapshot = snapshot
        mirror.external_moments = {**mirror.external_moments, external["id"]: [moment, deleted]}
        mirror.updated_at = utcnow()
        session.add(mirror)
        return result


# Money


def record_balance(db: Database, account_id: str, balance: dict, *, as_of: float, read: bool = False,
                   if_held_at=UNCHECKED) -> Recorded:
    values = {name: [{"amount": item["amount"], "currency": item["currency"]} for item in balance.get(name) or []]
              for name in ("available", "pending")}
    with db.transaction() as session:
        stored, inserted = _locked(session, AccountBalance, {"stripe_account_id": account_id},
                                   AccountBalance(stripe_account_id=account_id, as_of=as_of))
        held = None if inserted else {"available": stored.available, "pending": stored.pending}
        result = decide(None if inserted else stored.as_of, held, values, as_of, read=read, if_held_at=if_held_at)
        if not result.applied:
            return result
        before = stored.negative_since
        negative = any(item["amount"] < 0 for item in values["available"])
        stored.negative_since = (stored.negative_since or utcnow()) if negative else None
        stored.available, stored.pending = values["available"], values["pending"]
        stored.as_of = max(as_of, stored.as_of) if read and not inserted else as_of
        if stored.stale_since is not None and stored.as_of >= stored.stale_since.timestamp():
            stored.stale_since, stored.refresh_failed = None, False
        session.add(stored)
        changed = dict(result.changed) if not inserted else {name: (None, value) for name, value in values.items()}
        if stored.negative_since != before:
            changed["negative_since"] = (before, stored.negative_since)
        return Recorded(True, in_doubt=result.in_doubt, inserted=inserted, changed=changed)


def mark_balance_stale(db: Database, account_id: str, *, failed: bool = False) -> None:
    """An event moved this balance (or the read after it failed): pages say it may be out of date."""
    with db.transaction() as session:
        stored, _ = _locked(session, AccountBalance, {"stripe_account_id": account_id},
                            AccountBalance(stripe_account_id=account_id))
        stored.stale_since = stored.stale_since or utcnow()
        stored.refresh_failed = failed
        session.add(stored)


def record_payout(db: Database, account_id: str, payout: dict, *, as_of: float, read: bool = False,
                  if_held_at=UNCHECKED) -> Recorded:
    return _keep_row(db, PayoutRecord, payout["id"], {
        "stripe_account_id": account_id, "amount": payout["amount"], "currency": payout["currency"],
        "status": payout["status"], "method": payout.get("method") or "standard", "arrival_date": payout.get("arrival_date"),
        "failure_code": payout.get("failure_code"), "created": payout["created"],
    }, as_of=as_of, read=read, if_held_at=if_held_at)


def record_dispute(db: Database, account_id: str, dispute: dict, *, as_of: float, read: bool = False,
                   on_platform: bool = False, if_held_at=UNCHECKED) -> Recorded:
    charge = dispute.get("charge")
    return _keep_row(db, DisputeRecord, dispute["id"], {
        "stripe_account_id": account_id, "charge": charge if isinstance(charge, str) else (charge or {}).get("id", ""),
        "amount": dispute["amount"], "currency": dispute["currency"], "status": dispute["status"],
        "reason": dispute.get("reason") or "", "due_by": (dispute.get("evidence_details") or {}).get("due_by"),
        "created": dispute["created"], "on_platform": on_platform,
    }, as_of=as_of, read=read, if_held_at=if_held_at)


def moment_held(db: Database, account_id: str, kind: str, object_id: str | None = None) -> float | None:
    """The moment of the state the mirror holds of one object (None: nothing held), as the
    record functions above read it: what a read compares against when it lands."""
    with db.transaction() as session:
        if kind in ("payout", "dispute"):
            row = session.get(PayoutRecord if kind == "payout" else DisputeRecord, object_id)
            return row.as_of if row else None
        if kind == "balance":
            row = session.get(AccountBalance, account_id)
            return row.as_of if row else None
        account = session.exec(select(ConnectedAccount).where(ConnectedAccount.stripe_account_id == account_id)).first()
        if account is None or kind == "account":
            return account.snapshot_at if account else None
        if kind == "capability":
            known = account.capabilities.get(object_id)
            return known.get("_as_of", 0) if known else None
        return account.external_moments.get(object_id, [account.snapshot_at])[0]  # an external account


def dispute_on_platform(db: Database, dispute_id: str) -> str | None:
    """The seller's account of a dispute held as one on the platform's own charge, else None."""
    with db.transaction() as session:
        stored = session.get(DisputeRecord, dispute_id)
        return stored.stripe_account_id if stored and stored.on_platform else None


def record_charge(db: Database, account_id: str, charge: dict) -> bool:
    """A charge is counted once (for the dispute rate); its later states don't matter here."""
    with db.transaction() as session:
        fresh = ChargeRecord(id=charge["id"], stripe_account_id=account_id, amount=charge["amount"],
                             currency=charge["currency"], created=charge["created"])
        return _locked(session, ChargeRecord, {"id": charge["id"]}, fresh)[1]


def forget_person(db: Database, stripe_person_id: str) -> None:
    with db.transaction() as session:
        person = session.exec(select(DraftPerson).where(DraftPerson.stripe_person_id == stripe_person_id)).first()
        if person is not None:
            session.delete(person)
