"""An event of the same second as the state held, and differing from it, is settled by reading
Stripe. Until that read lands, the mirror keeps what it held: a read that fails (Stripe slow or
down under load) or that never settles (the object keeps moving under it) leaves the event to be
tried again, never the event's state standing unchecked. Driven directly, for every object the
handlers keep through `_keep`, with a gateway whose answers the test chooses."""

import asyncio

import pytest
from sqlmodel import select

from portal.accounts import service
from portal.connect import mirror, refresh
from portal.connect.models import AccountBalance, ConnectedAccount, DisputeRecord, PayoutRecord
from portal.integrations.stripe import StripeFailure
from portal.webhooks import handlers
from tests.conftest import PASSWORD

ACCOUNT, T = "acct_tie", 1_000_000


def _dispute(status):
    return {"id": "dp_tie", "object": "dispute", "charge": "ch_tie", "amount": 4004, "currency": "usd",
            "status": status, "reason": "fraudulent", "evidence_details": {"due_by": T + 7 * 86400}, "created": T}


def _payout(status):
    return {"id": "po_tie", "object": "payout", "amount": 1500, "currency": "usd", "status": status, "created": T}


def _capability(status):
    return {"id": "card_payments", "object": "capability", "account": ACCOUNT, "status": status, "requirements": {}}


def _balance(amount):
    return {"object": "balance", "available": [{"amount": amount, "currency": "usd"}], "pending": []}


# (event type, Stripe's present state, an older state of the same second, how the mirror's state is read)
OBJECTS = {
    "dispute": ("charge.dispute.created", _dispute("lost"), _dispute("needs_response"),
                lambda session: session.get(DisputeRecord, "dp_tie").status),
    "payout": ("payout.updated", _payout("paid"), _payout("in_transit"),
               lambda session: session.get(PayoutRecord, "po_tie").status),
    "capability": ("capability.updated", _capability("inactive"), _capability("active"),
                   lambda session: session.exec(select(ConnectedAccount)).one().capabilities["card_payments"]["status"]),
    "balance": ("balance.available", _balance(3935), _balance(1919),
                lambda session: session.get(AccountBalance, ACCOUNT).available[0]["amount"]),
}
KEEP = {"dispute": mirror.record_dispute, "payout": mirror.record_payout, "capability": mirror.record_capability,
        "balance": mirror.record_balance}
STATE = {"dispute": lambda obj: obj["status"], "payout": lambda obj: obj["status"],
         "capability": lambda obj: obj["status"], "balance": lambda obj: obj["available"][0]["amount"]}


class Gateway:
    """Answers every read with Stripe's present state, after `failures` failed reads; `while_read`
    runs during each read (a write that lands while the read is on its way)."""

    def __init__(self, present: dict, failures: int = 0, while_read=None):
        self.present, self.failures, self.while_read, self.reads = present, failures, while_read, 0

    async def _answer(self, *_args, **_kwargs) -> dict:
        self.reads += 1
        if self.while_read:
            await asyncio.to_thread(self.while_read)
        if self.reads <= self.failures:
            raise StripeFailure("Stripe could not be reached.", kind="api_connection_error")
        return self.present

    retrieve_dispute = retrieve_payout = retrieve_capability = retrieve_balance = _answer


@pytest.fixture
def tied(db):
    """The mirror holds Stripe's present state of each object, dated T; each test then delivers
    an older state dated the same second."""
    seller = service.sign_up(db, "tie@example.com", PASSWORD)
    mirror.record_account(db, seller.id, {"id": ACCOUNT, "object": "account"}, as_of=0)
    for kind, (_type, present, _older, _read) in OBJECTS.items():
        assert KEEP[kind](db, ACCOUNT, present, as_of=T).applied
    return db


def _deliver(db, gateway, kind: str, obj: dict) -> str:
    event_type = OBJECTS[kind][0]
    event = {"id": f"evt_{kind}", "type": event_type, "account": ACCOUNT, "created": T, "data": {"object": obj}}
    ctx = handlers.Context(db, gateway, after_account_change=None)
    return asyncio.run(handlers.HANDLERS[event_type](ctx, event))


def _held(db, kind: str):
    with db.transaction() as session:
        return OBJECTS[kind][3](session)


@pytest.mark.parametrize("kind", OBJECTS)
def test_a_tie_whose_read_fails_leaves_the_state_held_and_is_settled_when_the_event_is_tried_again(tied, kind):
    _type, present, older, _read = OBJECTS[kind]
    gateway = Gateway(present, failures=1)
    with pytest.raises(StripeFailure):  # the applier marks the event failed and tries it again later
        _deliver(tied, gateway, kind, older)
    assert _held(tied, kind) == STATE[kind](present)
    # Tried again: the event still ties with the state held, so Stripe is asked again.
    assert _deliver(tied, gateway, kind, older) == "applied"
    assert _held(tied, kind) == STATE[kind](present)
    assert gateway.reads >= 2


@pytest.mark.parametrize("kind", OBJECTS)
def test_a_tie_whose_reads_never_settle_is_tried_again_and_leaves_the_state_held(tied, kind):
    _type, present, older, _read = OBJECTS[kind]
    # Another applier keeps writing the object (Stripe's present, a moment later) while each read is under way.
    moments = iter(range(1, 100))
    gateway = Gateway(present, while_read=lambda: KEEP[kind](tied, ACCOUNT, present, as_of=T + next(moments) / 100))
    with pytest.raises(refresh.StillMoving):
        _deliver(tied, gateway, kind, older)
    assert gateway.reads == refresh.ATTEMPTS
    assert _held(tied, kind) == STATE[kind](present)
