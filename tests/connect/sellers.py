"""A verified seller created straight in the sandbox (no onboarding pages) that the portal mirrors,
and events delivered to the portal one at a time."""

import time

from portal.accounts import service
from portal.connect import mirror
from portal.webhooks.models import StripeEvent
from tests.conftest import PASSWORD, eventually
from tests.sandbox.money import create_seller
from tests.webhooks.test_endpoint import _post


def mirrored_seller(db, sdk, email: str = "seller@example.com", *, as_of: float | None = None):
    """(the portal's seller id, the Stripe account), payouts manual so none leaves on its own;
    the mirror holds the account and its capabilities as of `as_of` (default now)."""
    account = create_seller(sdk, schedule={"interval": "manual"})
    as_of = time.time() if as_of is None else as_of
    seller = service.sign_up(db, email, PASSWORD)
    mirror.record_account(db, seller.id, sdk.v1.accounts.retrieve(account.id).to_dict(), as_of=as_of)
    for capability in sdk.v1.accounts.capabilities.list(account.id).data:
        mirror.record_capability(db, account.id, capability.to_dict(), as_of=as_of)
    return seller.id, account


def deliver(client, event: dict) -> None:
    """Post a signed event to the portal's endpoint and wait until it has been applied (or found
    not to apply), whether the endpoint applies it before answering or an applier does after."""
    assert _post(client, event).status_code == 200

    def outcome() -> str:
        with client.app.state.db.transaction() as session:
            stored = session.get(StripeEvent, event["id"])
            return stored.outcome if stored else ""

    assert eventually(lambda: outcome() in ("applied", "ignored")), f"{event['id']} was not applied: {outcome()!r}"
