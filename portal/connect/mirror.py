"""The local mirror of each seller's Stripe account: written from Stripe's answers and events,
read by every page, so rendering a page never waits on Stripe."""

import time
from dataclasses import dataclass

from sqlmodel import select

from portal.connect.models import AccountBalance, ChargeRecord, ConnectedAccount, DisputeRecord, PayoutRecord
from portal.connect.requirements import notice_items
from portal.db import Database, utcnow
from portal.onboarding.models import DraftPerson


def account_for_seller(db: Database, seller_id: int) -> ConnectedAccount | None:
    with db.transaction() as session:
        return session.exec(select(ConnectedAccount).where(ConnectedAccount.seller_id == seller_id)).first()


def record_account(db: Database, seller_id: int, account: dict, *, as_of: float | None = None) -> ConnectedAccount:
    """Keep Stripe's snapshot of the account unless the one we hold shows a later moment."""
    return record_account_if_newer(db, seller_id, account, as_of=as_of)[0]


def record_account_if_newer(db: Database, seller_id: int, account: dict, *, as_of: float | None = None) -> tuple[ConnectedAccount, bool]:
    """(the mirror, whether this snapshot replaced what it held)."""
    as_of = time.time() if as_of is None else as_of
    with db.transaction() as session:
        mirror = session.exec(select(ConnectedAccount).where(ConnectedAccount.stripe_account_id == account["id"])).first()
        if mirror is None:
            mirror = ConnectedAccount(seller_id=seller_id, stripe_account_id=account["id"])
        elif mirror.snapshot_at > as_of:
            return mirror, False
        mirror.snapshot = account
        mirror.snapshot_at = as_of
        mirror.updated_at = utcnow()
        session.add(mirror)
    return mirror, True


@dataclass(frozen=True)
class AccountEvent:
    """What applying an account.updated did to the mirror."""

    seller_id: int
    applied: bool
    held: dict  # the snapshot the mirror holds now
    held_at: float
    requirements_changed: bool  # differs from what the seller was last told about


def apply_account_event(db: Database, account: dict, *, as_of: float) -> AccountEvent | None:
    """Take the event's account snapshot unless a later one is held; None for an account not ours."""
    with db.transaction() as session:
        mirror = session.exec(select(ConnectedAccount).where(ConnectedAccount.stripe_account_id == account["id"])).first()
        if mirror is None:
            return None
        if mirror.snapshot_at > as_of:
            return AccountEvent(mirror.seller_id, False, mirror.snapshot, mirror.snapshot_at, False)
        changed = notice_items(account) != set(mirror.notified)
        mirror.snapshot, mirror.snapshot_at, mirror.updated_at = account, as_of, utcnow()
        session.add(mirror)
        return AccountEvent(mirror.seller_id, True, account, as_of, changed)


def seller_for_account(db: Database, account_id: str) -> int | None:
    with db.transaction() as session:
        mirror = session.exec(select(ConnectedAccount).where(ConnectedAccount.stripe_account_id == account_id)).first()
        return mirror.seller_id if mirror else None


def record_capability(db: Database, account_id: str, capability: dict, *, as_of: float) -> bool:
    """Keep the capability object (with its requirements) and its status in the account snapshot."""
    with db.transaction() as session:
        mirror = session.exec(select(ConnectedAccount).where(ConnectedAccount.stripe_account_id == account_id)).first()
        if mirror is None:
            return False
        known = mirror.capabilities.get(capability["id"], {})
        if known.get("_as_of", 0) > as_of:
            return False
        mirror.capabilities = {**mirror.capabilities, capability["id"]: {**capability, "_as_of": as_of}}
        if mirror.snapshot_at <= as_of:
            snapshot = dict(mirror.snapshot)
            snapshot["capabilities"] = {**(snapshot.get("capabilities") or {}), capability["id"]: capability["status"]}
            mirror.snapshot = snapshot
        mirror.updated_at = utcnow()
        session.add(mirror)
    return True


def record_external_account(db: Database, account_id: str, external: dict, *, deleted: bool, as_of: float) -> bool:
    with db.transaction() as session:
        mirror = session.exec(select(ConnectedAccount).where(ConnectedAccount.stripe_account_id == account_id)).first()
        if mirror is None or mirror.snapshot_at > as_of:
            return False
        snapshot = dict(mirror.snapshot)
        listing = dict(snapshot.get("external_accounts") or {"object": "list", "data": []})
        others = [item for item in listing.get("data", []) if item.get("id") != external["id"]]
        listing["data"] = others if deleted else [external, *others]
        snapshot["external_accounts"] = listing
        mirror.snapshot = snapshot
        mirror.updated_at = utcnow()
        session.add(mirror)
    return True


def record_balance(db: Database, account_id: str, balance: dict, *, as_of: float) -> bool:
    available = [{"amount": item["amount"], "currency": item["currency"]} for item in balance.get("available") or []]
    pending = [{"amount": item["amount"], "currency": item["currency"]} for item in balance.get("pending") or []]
    with db.transaction() as session:
        stored = session.get(AccountBalance, account_id)
        if stored is not None and stored.as_of > as_of:
            return False
        stored = stored or AccountBalance(stripe_account_id=account_id)
        negative = any(item["amount"] < 0 for item in available)
        stored.negative_since = (stored.negative_since or utcnow()) if negative else None
        stored.available, stored.pending, stored.as_of = available, pending, as_of
        session.add(stored)
    return True


def record_payout(db: Database, account_id: str, payout: dict, *, as_of: float) -> bool:
    return _upsert(db, PayoutRecord, payout["id"], as_of, stripe_account_id=account_id, amount=payout["amount"],
                   currency=payout["currency"], status=payout["status"], method=payout.get("method") or "standard",
                   arrival_date=payout.get("arrival_date"), failure_code=payout.get("failure_code"), created=payout["created"])


def record_dispute(db: Database, account_id: str, dispute: dict, *, as_of: float) -> bool:
    charge = dispute.get("charge")
    return _upsert(db, DisputeRecord, dispute["id"], as_of, stripe_account_id=account_id,
                   charge=charge if isinstance(charge, str) else (charge or {}).get("id", ""),
                   amount=dispute["amount"], currency=dispute["currency"], status=dispute["status"],
                   reason=dispute.get("reason") or "", due_by=((dispute.get("evidence_details") or {}).get("due_by")),
                   created=dispute["created"])


def record_charge(db: Database, account_id: str, charge: dict) -> bool:
    with db.transaction() as session:
        if session.get(ChargeRecord, charge["id"]) is not None:
            return False
        session.add(ChargeRecord(id=charge["id"], stripe_account_id=account_id, amount=charge["amount"],
                                 currency=charge["currency"], created=charge["created"]))
    return True


def _upsert(db: Database, model, object_id: str, as_of: float, **values) -> bool:
    with db.transaction() as session:
        stored = session.get(model, object_id)
        if stored is not None and stored.as_of > as_of:
            return False
        stored = stored or model(id=object_id, **values)
        for name, value in values.items():
            setattr(stored, name, value)
        stored.as_of = as_of
        session.add(stored)
    return True


def forget_person(db: Database, stripe_person_id: str) -> None:
    with db.transaction() as session:
        person = session.exec(select(DraftPerson).where(DraftPerson.stripe_person_id == stripe_person_id)).first()
        if person is not None:
            session.delete(person)
