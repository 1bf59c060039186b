"""The local mirror of each seller's Stripe account: written from Stripe's answers and events,
read by every page, so rendering a page never waits on Stripe."""

import time

from sqlmodel import select

from portal.connect.models import ConnectedAccount
from portal.db import Database, utcnow


def account_for_seller(db: Database, seller_id: int) -> ConnectedAccount | None:
    with db.transaction() as session:
        return session.exec(select(ConnectedAccount).where(ConnectedAccount.seller_id == seller_id)).first()


def record_account(db: Database, seller_id: int, account: dict, *, as_of: float | None = None) -> ConnectedAccount:
    """Keep Stripe's snapshot of the account unless the one we hold shows a later moment."""
    as_of = time.time() if as_of is None else as_of
    with db.transaction() as session:
        mirror = session.exec(select(ConnectedAccount).where(ConnectedAccount.stripe_account_id == account["id"])).first()
        if mirror is None:
            mirror = ConnectedAccount(seller_id=seller_id, stripe_account_id=account["id"])
        elif mirror.snapshot_at > as_of:
            return mirror
        mirror.snapshot = account
        mirror.snapshot_at = as_of
        mirror.updated_at = utcnow()
        session.add(mirror)
    return mirror
