"""POST /webhooks/stripe: signatures, tolerance, exactly-once by id, and ordering."""

import json
import time

from sqlmodel import select

from portal.accounts import service
from portal.connect import mirror
from portal.connect.models import AccountBalance, ConnectedAccount, DisputeRecord, PayoutRecord
from portal.sandbox.webhooks import signature_header
from portal.webhooks.models import StripeEvent

SECRET = "whsec_test_endpoint_secret"


def _event(event_id: str, type_: str, obj: dict, *, account: str | None = None, created: int | None = None) -> dict:
    return {
        "id": event_id, "object": "event", "type": type_, "api_version": "2026-10-28.endive",
        "created": created or int(time.time()), "livemode": False, "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None}, "data": {"object": obj}, "account": account,
    }


def _post(client, event: dict, *, secret: str = SECRET, timestamp: int | None = None):
    body = json.dumps(event)
    header = signature_header(secret, body, timestamp or int(time.time()))
    return client.post("/webhooks/stripe", content=body, headers={"Stripe-Signature": header, "Content-Type": "application/json"})


def _stored(client) -> list[StripeEvent]:
    with client.app.state.db.transaction() as session:
        return list(session.exec(select(StripeEvent)).all())


def _seller_with_account(client, account_id: str = "acct_test1") -> None:
    seller = service.sign_up(client.app.state.db, "w@example.com", "violet tractor salad 42")
    mirror.record_account(client.app.state.db, seller.id, {"id": account_id, "object": "account", "charges_enabled": False}, as_of=100)


def test_a_bad_signature_is_refused_and_nothing_is_stored(client):
    client.app.state.sandbox_webhook_secrets.append(SECRET)
    response = _post(client, _event("evt_1", "account.updated", {"id": "acct_x"}), secret="whsec_wrong")
    assert response.status_code == 400
    no_header = client.post("/webhooks/stripe", content=b"{}", headers={"Content-Type": "application/json"})
    assert no_header.status_code == 400
    assert _stored(client) == []


def test_a_replay_outside_the_tolerance_is_refused(client):
    client.app.state.sandbox_webhook_secrets.append(SECRET)
    response = _post(client, _event("evt_old", "account.updated", {"id": "acct_x"}), timestamp=int(time.time()) - 301)
    assert response.status_code == 400 and _stored(client) == []


def test_a_redelivered_event_is_applied_once(client):
    client.app.state.sandbox_webhook_secrets.append(SECRET)
    _seller_with_account(client)
    event = _event("evt_dup", "account.updated", {"id": "acct_test1", "object": "account", "charges_enabled": True}, created=200)
    first, second = _post(client, event), _post(client, event)
    assert first.json() == {"received": True} and second.json() == {"received": True, "duplicate": True}
    assert [(e.id, e.outcome) for e in _stored(client)] == [("evt_dup", "applied")]


def test_an_older_event_never_overwrites_newer_state(client):
    client.app.state.sandbox_webhook_secrets.append(SECRET)
    _seller_with_account(client)
    newer = _event("evt_new", "account.updated", {"id": "acct_test1", "object": "account", "charges_enabled": True}, created=300)
    older = _event("evt_older", "account.updated", {"id": "acct_test1", "object": "account", "charges_enabled": False}, created=250)
    _post(client, newer)
    _post(client, older)
    assert mirror.account_for_seller(client.app.state.db, 1).snapshot["charges_enabled"] is True
    assert {e.id: e.outcome for e in _stored(client)} == {"evt_new": "applied", "evt_older": "ignored"}


def test_unknown_event_types_are_stored_and_ignored(client):
    client.app.state.sandbox_webhook_secrets.append(SECRET)
    response = _post(client, _event("evt_x", "customer.created", {"id": "cus_1"}))
    assert response.status_code == 200
    assert [(e.type, e.outcome) for e in _stored(client)] == [("customer.created", "ignored")]


def test_live_events_are_not_applied_in_test_mode(client):
    client.app.state.sandbox_webhook_secrets.append(SECRET)
    event = {**_event("evt_live", "account.updated", {"id": "acct_x"}), "livemode": True}
    assert _post(client, event).json()["ignored"] == "other mode"
    assert _stored(client) == []


def test_balance_payout_and_dispute_events_fill_the_money_mirror(client):
    client.app.state.sandbox_webhook_secrets.append(SECRET)
    _seller_with_account(client)
    _post(client, _event("evt_b", "balance.available", {"object": "balance", "available": [{"amount": -1500, "currency": "usd"}],
                                                          "pending": [{"amount": 0, "currency": "usd"}]}, account="acct_test1"))
    _post(client, _event("evt_p", "payout.paid", {"id": "po_1", "object": "payout", "amount": 5000, "currency": "usd",
                                                   "status": "paid", "created": 10, "arrival_date": 20}, account="acct_test1"))
    _post(client, _event("evt_d", "charge.dispute.created", {"id": "dp_1", "object": "dispute", "amount": 1000, "currency": "usd",
                                                              "status": "needs_response", "reason": "fraudulent", "charge": "ch_1",
                                                              "created": 10, "evidence_details": {"due_by": 99}}, account="acct_test1"))
    with client.app.state.db.transaction() as session:
        balance = session.get(AccountBalance, "acct_test1")
        assert balance.available == [{"amount": -1500, "currency": "usd"}] and balance.negative_since is not None
        assert session.get(PayoutRecord, "po_1").status == "paid"
        assert session.get(DisputeRecord, "dp_1").due_by == 99
    assert {e.outcome for e in _stored(client)} == {"applied"}
    with client.app.state.db.transaction() as session:
        assert session.exec(select(ConnectedAccount)).one().stripe_account_id == "acct_test1"


def test_a_signed_body_that_is_not_an_event_is_refused(client):
    client.app.state.sandbox_webhook_secrets.append(SECRET)
    for body in ('["not", "an", "event"]', '{"id": "evt_1"}', "not json"):
        header = signature_header(SECRET, body, int(time.time()))
        response = client.post("/webhooks/stripe", content=body, headers={"Stripe-Signature": header})
        assert response.status_code == 400, body
    assert _stored(client) == []
