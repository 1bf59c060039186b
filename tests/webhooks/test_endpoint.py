"""POST /webhooks/stripe: signatures, tolerance both ways, several endpoint secrets, size, exactly-once
by id, and ordering. Events are applied behind the 200, so tests wait for the applier."""

import asyncio
import json
import socket
import time
from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr
from sqlmodel import select
from starlette.testclient import TestClient

from portal.accounts import service
from portal.app import create_app
from portal.db import Database
from portal.connect import mirror
from portal.connect.models import AccountBalance, ConnectedAccount, DisputeRecord, PayoutRecord
from portal.sandbox.webhooks import signature_header
from portal.settings import Settings, SettingsError, load_settings
from portal.webhooks.endpoint import MAX_EVENT_BYTES
from portal.webhooks.models import StripeEvent
from tests.conftest import wait_until_applied

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
    first = _post(client, event)
    wait_until_applied(client.app.state.db)
    second = _post(client, event)
    assert first.json() == {"received": True} and second.json() == {"received": True, "duplicate": True}
    assert [(e.id, e.outcome) for e in _stored(client)] == [("evt_dup", "applied")]


def test_an_older_event_never_overwrites_newer_state(client):
    client.app.state.sandbox_webhook_secrets.append(SECRET)
    _seller_with_account(client)
    newer = _event("evt_new", "account.updated", {"id": "acct_test1", "object": "account", "charges_enabled": True}, created=300)
    older = _event("evt_older", "account.updated", {"id": "acct_test1", "object": "account", "charges_enabled": False}, created=250)
    _post(client, newer)
    wait_until_applied(client.app.state.db)
    _post(client, older)
    wait_until_applied(client.app.state.db)
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
    wait_until_applied(client.app.state.db)
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


def test_a_timestamp_from_the_future_is_refused_beyond_the_tolerance(client):
    client.app.state.sandbox_webhook_secrets.append(SECRET)
    ahead = _post(client, _event("evt_ahead", "customer.created", {"id": "cus_1"}), timestamp=int(time.time()) + 3600)
    just_beyond = _post(client, _event("evt_beyond", "customer.created", {"id": "cus_1"}), timestamp=int(time.time()) + 310)
    assert ahead.status_code == just_beyond.status_code == 400
    # A sender's clock a little ahead of ours is within the tolerance.
    assert _post(client, _event("evt_skew", "customer.created", {"id": "cus_1"}), timestamp=int(time.time()) + 60).status_code == 200
    assert [e.id for e in _stored(client)] == ["evt_skew"]


def test_any_of_the_endpoint_secrets_is_accepted(settings):

    # The Connect endpoint's secret, the platform endpoint's, and the older single setting.
    configured = settings.model_copy(update={"stripe_webhook_secrets": SecretStr("whsec_connect, whsec_platform"),
                                             "stripe_webhook_secret": SecretStr("whsec_single")})
    Database(configured.database_url).migrate()
    with TestClient(create_app(configured)) as client:
        for number, secret in enumerate(["whsec_connect", "whsec_platform", "whsec_single"]):
            assert _post(client, _event(f"evt_{number}", "customer.created", {"id": "cus_1"}), secret=secret).status_code == 200
        assert _post(client, _event("evt_x", "customer.created", {"id": "cus_1"}), secret="whsec_other").status_code == 400
        assert sorted(e.id for e in _stored(client)) == ["evt_0", "evt_1", "evt_2"]


def test_stripe_mode_takes_the_secrets_from_the_environment_and_names_them_when_missing(monkeypatch, tmp_path):

    for name, value in {"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_PUBLISHABLE_KEY": "pk_test_x", "SECRET_KEY": "k" * 40,
                        "PUBLIC_URL": "https://portal.example", "PORTAL_VAR_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRETS", raising=False)
    with pytest.raises(SettingsError, match="STRIPE_WEBHOOK_SECRETS"):
        load_settings()
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRETS", "whsec_connect,whsec_platform,")
    assert load_settings().webhook_secrets() == ["whsec_connect", "whsec_platform"]
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_old")
    assert Settings().webhook_secrets() == ["whsec_old", "whsec_connect", "whsec_platform"]


def test_an_oversized_body_is_refused_whether_it_says_its_length_or_streams(client):
    client.app.state.sandbox_webhook_secrets.append(SECRET)
    big = b"x" * (MAX_EVENT_BYTES + 1)
    assert client.post("/webhooks/stripe", content=big, headers={"Stripe-Signature": "t=1,v1=0"}).status_code == 413

    def chunks():  # no Content-Length: sent chunked
        for start in range(0, len(big), 65536):
            yield big[start:start + 65536]

    assert client.post("/webhooks/stripe", content=chunks(), headers={"Stripe-Signature": "t=1,v1=0"}).status_code == 413
    assert client.post("/webhooks/stripe", content=b"x", headers={"Content-Length": "12abc"}).status_code in (400, 413)
    # A signed event just under the limit is taken: the limit is not below what Stripe sends.
    padded = _event("evt_big", "customer.created", {"id": "cus_1", "description": ""})
    padded["data"]["object"]["description"] = "y" * (MAX_EVENT_BYTES - len(json.dumps(padded)) - 10)
    assert _post(client, padded).status_code == 200
    assert [e.id for e in _stored(client)] == ["evt_big"]


def test_an_oversized_body_is_refused_before_it_is_sent(served_portal):
    """Against the real server: the 413 comes back while the 20 MB body is still unsent."""
    address = urlsplit(served_portal[1])
    with socket.create_connection((address.hostname, address.port), timeout=5) as connection:
        connection.sendall(b"POST /webhooks/stripe HTTP/1.1\r\nHost: portal\r\nContent-Type: application/json\r\n"
                           b"Stripe-Signature: t=1,v1=0\r\nContent-Length: 20000000\r\n\r\n" + b"{" * 1000)
        answer = connection.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]


def test_each_answer_is_made_afresh_and_a_delivery_given_up_on_stores_nothing(client):
    """The endpoint's answers are encoded once; the messages carrying them are not shared, so the
    security headers added on the way out are there once on every answer. A sender that goes away
    before its body arrives gets no answer, and nothing is stored."""
    client.app.state.sandbox_webhook_secrets.append(SECRET)
    answers = [client.post("/webhooks/stripe", content=b"{}", headers={"stripe-signature": "t=1,v1=00"}) for _ in range(3)]
    assert {answer.status_code for answer in answers} == {400}
    assert len({tuple(answer.headers.raw) for answer in answers}) == 1
    assert [name for name, _ in answers[-1].headers.raw].count(b"x-content-type-options") == 1
    assert answers[-1].headers["content-type"] == "application/json" and answers[-1].json() == {"error": "invalid signature"}

    event = json.dumps(_event("evt_gone", "customer.created", {"id": "cus_1"}))
    sent = []

    async def gone():
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/webhooks/stripe", "raw_path": b"/webhooks/stripe", "root_path": "", "query_string": b"",
             "headers": [(b"host", b"portal"), (b"stripe-signature", signature_header(SECRET, event, int(time.time())).encode())],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80)}
    asyncio.run(client.app(scope, gone, send))
    assert sent == [] and _stored(client) == []
