"""Events and webhook delivery: signed like Stripe's, verified by the SDK's own construct_event."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from portal.sandbox.app import create_sandbox
from portal.sandbox.testing import fast_config, running
from tests.sandbox.conftest import call_helper, make_client
from tests.sandbox.shapes import assert_stripe_shape, fixtures

ACCOUNT = "acct_1WebhookTests0001"


class Receiver:
    """An HTTP server on loopback that records posts and answers with scripted statuses."""

    def __init__(self):
        self.received: list[dict] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 5.0, path: str | None = None) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.at(path)
            if len(got) >= count:
                return got
            time.sleep(0.01)
        raise AssertionError(f"expected {count} deliveries, got {len(self.at(path))}")

    def at(self, path: str | None = None) -> list[dict]:
        with self.lock:
            return [r for r in self.received if path is None or r["path"] == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    served = Receiver()
    yield served
    served.close()


@pytest.fixture
def account(sandbox):
    sandbox.store.create({"id": ACCOUNT, "object": "account"})
    return ACCOUNT


def endpoint(client, url, connect=False, events=("*",)):
    return client.v1.webhook_endpoints.create(params={"url": url, "enabled_events": list(events), "connect": connect})


def payout(id="po_1WebhookTest"):
    return {**fixtures()["payout"], "id": id}


def event_of(delivery) -> dict:
    return json.loads(delivery["body"])


def test_events_arrive_signed_and_verify_with_construct_event(sandbox, stripe_client, receiver, account):
    connect = endpoint(stripe_client, receiver.url + "/connect", connect=True)
    platform = endpoint(stripe_client, receiver.url + "/platform")
    sandbox.emit("payout.paid", payout(), account=account)
    sandbox.emit("payout.created", payout("po_platform"))

    [on_connect] = receiver.wait_for(1, path="/connect")
    [on_platform] = receiver.wait_for(1, path="/platform")
    connected_event = stripe.Webhook.construct_event(
        on_connect["body"], on_connect["headers"]["Stripe-Signature"], connect.secret
    )
    assert connected_event.type == "payout.paid"
    assert connected_event.account == account
    platform_event = stripe.Webhook.construct_event(
        on_platform["body"], on_platform["headers"]["Stripe-Signature"], platform.secret
    )
    assert platform_event.type == "payout.created"
    assert "account" not in platform_event
    assert on_connect["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert on_connect["headers"]["User-Agent"].startswith("Stripe/1.0")

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(on_connect["body"], on_connect["headers"]["Stripe-Signature"], platform.secret)
    tampered = on_connect["body"].replace(b"payout.paid", b"payout.fail")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(tampered, on_connect["headers"]["Stripe-Signature"], connect.secret)

    for delivery in (on_connect, on_platform):
        assert_stripe_shape(event_of(delivery), "event")


def test_event_object_has_stripes_fields(sandbox, stripe_client, account):
    before = dict(payout(), status="in_transit")
    sent = sandbox.emit("payout.updated", dict(before, status="paid"), account=account,
                        previous_attributes={"status": "in_transit"})
    event = stripe_client.v1.events.retrieve(sent["id"], options={"stripe_account": account})
    assert event.id.startswith("evt_")
    assert event.account == account
    assert event.api_version == "2026-10-28.endive"
    assert event.data.object.status == "paid"
    assert event.data.previous_attributes.to_dict() == {"status": "in_transit"}
    assert event.request.to_dict() == {"id": None, "idempotency_key": None}
    assert event.livemode is False
    assert event.pending_webhooks == 0
    assert_stripe_shape(event.to_dict(), "event")


def test_event_records_the_request_that_caused_it(sandbox, stripe_client):
    def emitting(call):
        return call.sandbox.emit("payout.created", payout())

    from portal.sandbox import protocol

    call = protocol.Call(sandbox=sandbox, account=None, params={}, path={}, request_id="req_abc",
                         idempotency_key="idem-1")
    event = protocol.run_handler(sandbox, protocol.Endpoint("POST", "/v1/x", emitting), call)
    assert event["request"] == {"id": "req_abc", "idempotency_key": "idem-1"}


def test_connect_endpoints_get_account_events_and_account_endpoints_the_platforms(
    sandbox, stripe_client, receiver, account
):
    endpoint(stripe_client, receiver.url + "/connect", connect=True)
    endpoint(stripe_client, receiver.url + "/platform")
    for i in range(3):
        sandbox.emit("payout.paid", payout(f"po_c{i}"), account=account)
    sandbox.emit("payout.paid", payout("po_p"))
    receiver.wait_for(4)
    time.sleep(0.1)
    assert {event_of(r)["data"]["object"]["id"] for r in receiver.at("/connect")} == {"po_c0", "po_c1", "po_c2"}
    assert [event_of(r)["data"]["object"]["id"] for r in receiver.at("/platform")] == ["po_p"]


def test_enabled_events_and_disabled_endpoints_filter_deliveries(sandbox, stripe_client, receiver):
    endpoint(stripe_client, receiver.url + "/payouts", events=["payout.paid"])
    off = endpoint(stripe_client, receiver.url + "/off")
    stripe_client.v1.webhook_endpoints.update(off.id, params={"disabled": True})
    sandbox.emit("account.updated", {"id": "acct_x", "object": "account"})
    sandbox.emit("payout.paid", payout())
    [delivery] = receiver.wait_for(1)
    time.sleep(0.1)
    assert event_of(delivery)["type"] == "payout.paid"
    assert len(receiver.at()) == 1


def test_failed_deliveries_are_retried_until_acknowledged(sandbox, stripe_client, receiver):
    endpoint(stripe_client, receiver.url + "/flaky")
    receiver.statuses = [500, 503]
    sent = sandbox.emit("payout.paid", payout())
    assert stripe_client.v1.events.retrieve(sent["id"]).pending_webhooks == 1
    deliveries = receiver.wait_for(3)
    assert {event_of(d)["id"] for d in deliveries} == {sent["id"]}
    deadline = time.monotonic() + 2
    while stripe_client.v1.events.retrieve(sent["id"]).pending_webhooks and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stripe_client.v1.events.retrieve(sent["id"]).pending_webhooks == 0
    assert [e.id for e in stripe_client.v1.events.list(params={"delivery_success": True}).data] == [sent["id"]]


def test_unreachable_endpoint_is_retried_on_schedule_then_given_up(sandbox, stripe_client):
    endpoint(stripe_client, "http://127.0.0.1:9/unreachable")
    sent = sandbox.emit("payout.paid", payout())
    deadline = time.monotonic() + 5
    rows = []
    while time.monotonic() < deadline:
        rows = sandbox.store.execute("SELECT state, attempts FROM deliveries")
        if rows and rows[0][0] == "failed":
            break
        time.sleep(0.02)
    # One first attempt plus one retry per entry of the schedule (three in tests).
    assert rows == [("failed", 4)]
    assert [e.id for e in stripe_client.v1.events.list(params={"delivery_success": False}).data] == [sent["id"]]


def test_advancing_the_clock_brings_a_distant_retry_forward(sandbox, stripe_client, receiver):
    sandbox.config.webhook_retry_schedule = (3600,)
    endpoint(stripe_client, receiver.url + "/later")
    receiver.statuses = [500]
    sandbox.emit("payout.paid", payout())
    receiver.wait_for(1)
    time.sleep(0.3)
    assert len(receiver.at()) == 1
    call_helper(stripe_client, "post", "/v1/test_helpers/sandbox/advance_clock", seconds=3600)
    assert len(receiver.wait_for(2)) == 2


def test_duplicate_delivery_option_sends_each_event_twice(sandbox, stripe_client, receiver):
    sandbox.config.webhook_duplicate_share = 1.0
    endpoint(stripe_client, receiver.url + "/dups")
    sent = [sandbox.emit("payout.paid", payout(f"po_{i}"))["id"] for i in range(3)]
    deliveries = receiver.wait_for(6)
    ids = [event_of(d)["id"] for d in deliveries]
    assert sorted(ids) == sorted(sent * 2)
    time.sleep(0.1)
    assert all(stripe_client.v1.events.retrieve(id).pending_webhooks == 0 for id in sent)


def test_out_of_order_option_shuffles_a_batch(sandbox, stripe_client, receiver):
    sandbox.config.webhook_out_of_order = True
    endpoint(stripe_client, receiver.url + "/shuffled")
    with sandbox.store.transaction():
        sent = [sandbox.emit("payout.paid", payout(f"po_{i}"))["id"] for i in range(8)]
    deliveries = receiver.wait_for(8)
    received = [event_of(d)["id"] for d in deliveries]
    assert sorted(received) == sorted(sent)
    assert received != sent


def test_out_of_order_option_lets_later_events_overtake_across_requests(sandbox, stripe_client, receiver):
    sandbox.config.webhook_out_of_order = True
    sandbox.config.webhook_reorder_window = 0.3
    endpoint(stripe_client, receiver.url + "/overtaken")
    sent = [sandbox.emit("payout.paid", payout(f"po_{i}"))["id"] for i in range(8)]  # one commit each
    received = [event_of(d)["id"] for d in receiver.wait_for(8)]
    assert sorted(received) == sorted(sent)
    assert received != sent


def test_in_order_by_default(sandbox, stripe_client, receiver):
    endpoint(stripe_client, receiver.url + "/ordered")
    with sandbox.store.transaction():
        sent = [sandbox.emit("payout.paid", payout(f"po_{i}"))["id"] for i in range(5)]
    assert [event_of(d)["id"] for d in receiver.wait_for(5)] == sent


def test_pending_deliveries_survive_a_restart(tmp_path, receiver):
    config = fast_config(db_path=str(tmp_path / "sandbox.sqlite3"))
    sandbox = create_sandbox(config)
    client_endpoint = None
    with running(sandbox) as (_, url):
        client_endpoint = endpoint(make_client(url), receiver.url + "/restart")
        sandbox.stop()  # the delivery thread stops before the event exists
        sandbox.emit("payout.paid", payout())
    assert receiver.at() == []
    with running(create_sandbox(config)):
        [delivery] = receiver.wait_for(1)
    stripe.Webhook.construct_event(delivery["body"], delivery["headers"]["Stripe-Signature"], client_endpoint.secret)


def test_deleting_an_endpoint_stops_its_deliveries(sandbox, stripe_client, receiver):
    sandbox.config.webhook_retry_schedule = (3600,)
    gone = endpoint(stripe_client, receiver.url + "/gone")
    receiver.statuses = [500]
    sandbox.emit("payout.paid", payout())
    receiver.wait_for(1)
    stripe_client.v1.webhook_endpoints.delete(gone.id)
    call_helper(stripe_client, "post", "/v1/test_helpers/sandbox/advance_clock", seconds=3600)
    time.sleep(0.2)
    assert len(receiver.at()) == 1


# The events API


def test_events_list_filters(sandbox, stripe_client):
    first = sandbox.emit("payout.created", payout())
    sandbox.emit("payout.paid", payout())
    call_helper(stripe_client, "post", "/v1/test_helpers/sandbox/advance_clock", seconds=100)
    last = sandbox.emit("account.updated", {"id": "acct_x", "object": "account"})

    def types(**params):
        return [e.type for e in stripe_client.v1.events.list(params=params).data]

    assert types() == ["account.updated", "payout.paid", "payout.created"]
    assert types(type="payout.*") == ["payout.paid", "payout.created"]
    assert types(type="payout.paid") == ["payout.paid"]
    assert types(types=["account.updated", "payout.created"]) == ["account.updated", "payout.created"]
    assert types(created={"gte": last["created"]}) == ["account.updated"]
    assert types(created={"lt": last["created"]}) == ["payout.paid", "payout.created"]
    # Both payout events were emitted within microseconds; a second may still fall between them.
    assert types(created=first["created"]) in (["payout.paid", "payout.created"], ["payout.created"])
    with pytest.raises(stripe.InvalidRequestError, match="not both"):
        types(type="payout.paid", types=["payout.paid"])


def test_events_belong_to_their_account(sandbox, stripe_client, account):
    own = sandbox.emit("payout.paid", payout(), account=account)
    platform = sandbox.emit("payout.paid", payout())
    assert [e.id for e in stripe_client.v1.events.list(options={"stripe_account": account}).data] == [own["id"]]
    assert [e.id for e in stripe_client.v1.events.list().data] == [platform["id"]]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.events.retrieve(own["id"])
    assert caught.value.code == "resource_missing"
    assert stripe_client.v1.events.retrieve(own["id"], options={"stripe_account": account}).id == own["id"]


def test_real_api_actions_reach_the_right_endpoints_signed(stripe_client, receiver):
    from tests.sandbox.money import create_seller, fund_platform, pay

    connect = endpoint(stripe_client, receiver.url + "/connect", connect=True)
    platform = endpoint(stripe_client, receiver.url + "/platform")
    seller = create_seller(stripe_client)
    fund_platform(stripe_client)
    pay(stripe_client, 1_000, transfer_data={"destination": seller.id})

    expected_connect = {e.id for e in stripe_client.v1.events.list(options={"stripe_account": seller.id}).data}
    expected_platform = {e.id for e in stripe_client.v1.events.list().data}
    received_connect = receiver.wait_for(len(expected_connect), path="/connect")
    received_platform = receiver.wait_for(len(expected_platform), path="/platform")

    connect_events = [stripe.Webhook.construct_event(d["body"], d["headers"]["Stripe-Signature"], connect.secret)
                      for d in received_connect]
    platform_events = [stripe.Webhook.construct_event(d["body"], d["headers"]["Stripe-Signature"], platform.secret)
                       for d in received_platform]
    assert {e.id for e in connect_events} == expected_connect
    assert {e.id for e in platform_events} == expected_platform
    assert all(e.account == seller.id for e in connect_events)
    assert {"account.updated", "capability.updated"} <= {e.type for e in connect_events}
    assert {"payment_intent.succeeded", "transfer.created"} <= {e.type for e in platform_events}
    for delivery in received_connect + received_platform:
        assert_stripe_shape(event_of(delivery), "event")


def test_a_slow_receiver_does_not_hold_up_other_endpoints(sandbox, stripe_client, receiver):
    slow = Receiver()
    release = threading.Event()
    original = slow.server.RequestHandlerClass.do_POST

    def stall(handler):
        release.wait(3)
        original(handler)

    slow.server.RequestHandlerClass.do_POST = stall
    try:
        # Created last, the slow endpoint is listed first, so its delivery is queued first.
        endpoint(stripe_client, receiver.url + "/fast")
        endpoint(stripe_client, slow.url + "/slow")
        sandbox.emit("payout.paid", payout())
        receiver.wait_for(1, timeout=2)
        assert slow.at() == []
    finally:
        release.set()
        slow.wait_for(1)
        slow.close()


def test_settle_webhooks_waits_until_due_deliveries_were_attempted(sandbox, stripe_client, receiver):
    sandbox.config.webhook_out_of_order = True
    sandbox.config.webhook_reorder_window = 0.2
    endpoint(stripe_client, receiver.url + "/settled")
    for i in range(5):
        sandbox.emit("payout.paid", payout(f"po_{i}"))
    assert sandbox.settle_webhooks(timeout=5)
    assert len(receiver.at()) == 5
