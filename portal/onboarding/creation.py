"""One connected account per seller, even when Stripe's answer to creating it is lost.

An idempotency key alone cannot promise that: Stripe forgets keys after 24 hours, refuses a
key reused with other parameters, and a seller may edit the form before sending it again. So
an attempt is recorded before the create call (AccountCreation), the account carries the
seller's id in its metadata, and while a record stands the accounts Stripe made since the
first attempt are searched for the seller's before another is created."""

import time

from sqlalchemy.exc import IntegrityError

from portal.db import Database
from portal.onboarding.models import AccountCreation
from portal.onboarding.steps import SELLER_ID_METADATA

# How far before our record Stripe's `created` may fall: the two clocks need not agree.
CLOCK_SKEW = 15 * 60


def pending(db: Database, seller_id: int) -> AccountCreation | None:
    with db.transaction() as session:
        return session.get(AccountCreation, seller_id)


def begin(db: Database, seller_id: int) -> AccountCreation:
    """The seller's pending record, written now unless an earlier attempt left one."""
    try:
        with db.transaction() as session:
            record = session.get(AccountCreation, seller_id)
            if record is None:
                record = AccountCreation(seller_id=seller_id, first_tried_at=time.time())
                session.add(record)
            return record
    except IntegrityError:
        return pending(db, seller_id)  # a concurrent submit wrote it first: share its key


def next_attempt(db: Database, seller_id: int) -> AccountCreation:
    """A fresh key for the next attempt, keeping when the first began (the search reaches back to it)."""
    with db.transaction() as session:
        record = session.get(AccountCreation, seller_id)
        record.attempt += 1
        session.add(record)
        return record


def finish(db: Database, seller_id: int) -> None:
    with db.transaction() as session:
        record = session.get(AccountCreation, seller_id)
        if record is not None:
            session.delete(record)


def search_from(record: AccountCreation) -> int:
    """The earliest `created` an account made by the recorded attempts can carry."""
    return int(record.first_tried_at) - CLOCK_SKEW


def made_for(accounts: list[dict], seller_id: int) -> dict | None:
    """The first account Stripe made for this seller among `accounts` (oldest first)."""
    ours = [a for a in accounts if (a.get("metadata") or {}).get(SELLER_ID_METADATA) == str(seller_id)]
    return min(ours, key=lambda account: account["created"]) if ours else None
