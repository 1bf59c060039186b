"""Fault injection as the SDK sees it, and the clock test helper."""

import time

import httpx
import pytest
import stripe

from portal.sandbox.config import FaultRule
from tests.sandbox.conftest import call_helper, make_client

FAULTS = "/v1/test_helpers/sandbox/faults"


@pytest.fixture(autouse=True)
def quick_sdk_retries(monkeypatch):
    # The SDK waits at least 0.5 s before a retry; these tests only need it to retry.
    monkeypatch.setattr(stripe.HTTPClient, "INITIAL_DELAY", 0.01)
    monkeypatch.setattr(stripe.HTTPClient, "MAX_DELAY", 0.02)


def set_faults(client, *rules):
    return call_helper(client, "post", FAULTS, faults=[dict(rule) for rule in rules])


def create_endpoint(client, **options):
    return client.v1.webhook_endpoints.create(
        params={"url": "https://example.com/hooks", "enabled_events": ["*"]}, options=options
    )


def test_500_reaches_the_sdk_as_an_api_error(stripe_client):
    set_faults(stripe_client, {"match": "GET /v1/webhook_endpoints", "kind": "500", "count": 1})
    with pytest.raises(stripe.APIError) as caught:
        stripe_client.v1.webhook_endpoints.list()
    assert caught.value.http_status == 500
    assert caught.value.json_body["error"]["type"] == "api_error"
    assert caught.value.request_id.startswith("req_")
    assert stripe_client.v1.webhook_endpoints.list().data == []  # count=1: only the first


def test_429_reaches_the_sdk_as_a_rate_limit_error(stripe_client):
    set_faults(stripe_client, {"match": "* /v1/webhook_endpoints*", "kind": "429"})
    with pytest.raises(stripe.RateLimitError) as caught:
        stripe_client.v1.webhook_endpoints.list()
    assert caught.value.http_status == 429
    assert caught.value.json_body["error"]["code"] == "rate_limit"
    with pytest.raises(stripe.RateLimitError):
        create_endpoint(stripe_client)


def test_sdk_retries_a_500_and_the_post_happens_once(sandbox_url, sandbox):
    client = make_client(sandbox_url, max_network_retries=2)
    set_faults(client, {"match": "POST /v1/webhook_endpoints", "kind": "500", "count": 1})
    created = create_endpoint(client)
    assert [e.id for e in client.v1.webhook_endpoints.list().data] == [created.id]
    assert sandbox.config.faults[0].count == 0


def test_sdk_retries_a_lock_timeout_because_stripe_says_it_may(sandbox_url):
    client = make_client(sandbox_url, max_network_retries=1)
    set_faults(client, {"match": "GET /v1/events", "kind": "lock_timeout", "count": 1})
    assert client.v1.events.list().data == []
    no_retry = make_client(sandbox_url)
    set_faults(no_retry, {"match": "GET /v1/events", "kind": "lock_timeout", "count": 1})
    with pytest.raises(stripe.RateLimitError):
        no_retry.v1.events.list()


def test_dropped_connection_is_a_connection_error_and_retried(sandbox_url, stripe_client):
    set_faults(stripe_client, {"match": "GET /v1/events", "kind": "drop", "count": 1})
    with pytest.raises(stripe.APIConnectionError):
        stripe_client.v1.events.list()
    retrying = make_client(sandbox_url, max_network_retries=1)
    set_faults(retrying, {"match": "GET /v1/events", "kind": "drop", "count": 1})
    assert retrying.v1.events.list().data == []


def test_a_response_lost_after_the_work_is_replayed_on_retry(sandbox_url, stripe_client):
    set_faults(stripe_client, {"match": "POST /v1/webhook_endpoints", "kind": "drop_after", "count": 1})
    with pytest.raises(stripe.APIConnectionError):
        create_endpoint(stripe_client, idempotency_key="lost-1")
    # The endpoint was created although the client never heard; a retry with the key replays it.
    [made] = stripe_client.v1.webhook_endpoints.list().data
    again = create_endpoint(stripe_client, idempotency_key="lost-1")
    assert again.id == made.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"

    retrying = make_client(sandbox_url, max_network_retries=1)
    set_faults(retrying, {"match": "POST /v1/webhook_endpoints", "kind": "drop_after", "count": 1})
    created = create_endpoint(retrying)
    assert len(retrying.v1.webhook_endpoints.list().data) == 2
    assert created.id in {e.id for e in retrying.v1.webhook_endpoints.list().data}


def test_delay_holds_the_response_back(stripe_client):
    set_faults(stripe_client, {"match": "GET /v1/events", "kind": "delay", "delay": 0.3})
    started = time.monotonic()
    stripe_client.v1.events.list()
    assert time.monotonic() - started >= 0.3


def test_rate_zero_never_fires_and_other_routes_are_untouched(stripe_client):
    set_faults(
        stripe_client,
        {"match": "GET /v1/events", "kind": "500", "rate": 0},
        {"match": "POST /v1/payouts", "kind": "500"},
    )
    for _ in range(5):
        stripe_client.v1.events.list()
    stripe_client.v1.webhook_endpoints.list()


def test_faults_from_the_config(sandbox, stripe_client):
    sandbox.config.faults = [FaultRule(match="GET /v1/webhook_endpoints/*", kind="500")]
    with pytest.raises(stripe.APIError):
        stripe_client.v1.webhook_endpoints.retrieve("we_123")
    stripe_client.v1.webhook_endpoints.list()


def test_helper_routes_are_exempt_and_can_read_and_clear_faults(stripe_client):
    set_faults(stripe_client, {"match": "*", "kind": "500"})
    current = call_helper(stripe_client, "get", FAULTS)
    assert current["faults"] == [{"match": "*", "kind": "500", "rate": 1.0, "count": None, "delay": 1.0}]
    with pytest.raises(stripe.APIError):
        stripe_client.v1.events.list()
    assert call_helper(stripe_client, "delete", FAULTS)["faults"] == []
    stripe_client.v1.events.list()


def test_bad_fault_rules_are_refused(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        set_faults(stripe_client, {"match": "*", "kind": "explode"})
    assert caught.value.param == "faults[0][kind]"
    with pytest.raises(stripe.InvalidRequestError):
        set_faults(stripe_client, {"match": "*", "kind": "500", "rate": 2})


def test_faults_set_by_a_plain_form_post_carry_a_request_id(sandbox_url):
    call = httpx.post(
        sandbox_url + FAULTS, data={"faults[0][match]": "GET /v1/events", "faults[0][kind]": "500"},
        headers={"Authorization": "Bearer sk_test_sandbox"},
    )
    assert call.status_code == 200
    response = httpx.get(sandbox_url + "/v1/events", headers={"Authorization": "Bearer sk_test_sandbox"})
    assert response.status_code == 500
    assert response.json()["error"]["request_log_url"].endswith(response.headers["Request-Id"])


# The clock


def test_advance_clock_moves_now_and_event_times(sandbox, stripe_client):
    before = sandbox.now()
    moved = call_helper(stripe_client, "post", "/v1/test_helpers/sandbox/advance_clock", seconds=86400)
    assert moved["offset"] == 86400
    assert moved["now"] >= before + 86400
    event = sandbox.emit("payout.paid", {"id": "po_1", "object": "payout"})
    assert event["created"] >= before + 86400
    to = call_helper(stripe_client, "post", "/v1/test_helpers/sandbox/advance_clock", to=moved["now"] + 60)
    assert to["offset"] >= 86460 - 1


def test_advance_clock_runs_the_ticks(sandbox, stripe_client, monkeypatch):
    seen = []
    from portal.sandbox import app as app_module

    monkeypatch.setattr(app_module, "TICKS", [lambda sb: seen.append(sb.now())])
    call_helper(stripe_client, "post", "/v1/test_helpers/sandbox/advance_clock", seconds=500)
    assert seen and max(seen) >= sandbox.now() - 1 and sandbox.clock_offset == 500


def test_the_clock_never_goes_back(stripe_client):
    with pytest.raises(stripe.InvalidRequestError, match="only move forward"):
        call_helper(stripe_client, "post", "/v1/test_helpers/sandbox/advance_clock", seconds=-5)
    with pytest.raises(stripe.InvalidRequestError, match="exactly one"):
        call_helper(stripe_client, "post", "/v1/test_helpers/sandbox/advance_clock")


def test_the_background_ticker_runs_delayed_work_without_requests(sandbox, monkeypatch):
    from portal.sandbox import app as app_module

    ran = []
    monkeypatch.setattr(app_module, "TICKS", [lambda sb: ran.append(sb.now())])
    deadline = time.monotonic() + 2
    while len(ran) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(ran) >= 2


def test_the_readme_lists_every_test_helper_route():
    from pathlib import Path

    from portal.sandbox import app as app_module

    readme = (Path(app_module.__file__).parent / "README.md").read_text()
    helpers = {route.path for route in app_module.ROUTES if "/test_helpers/" in getattr(route, "path", "")}
    assert helpers, "no test helper routes found"
    missing = [path for path in sorted(helpers) if path not in readme]
    assert not missing, f"README.md does not mention {missing}"


def test_work_that_falls_due_during_advance_clock_names_no_request(sandbox, stripe_client, monkeypatch):
    from portal.sandbox import app as app_module

    emitted = []
    monkeypatch.setattr(app_module, "TICKS", [lambda sb: emitted.append(sb.emit("payout.paid", {"id": "po_t"}))])
    call_helper(stripe_client, "post", "/v1/test_helpers/sandbox/advance_clock", seconds=60)
    assert emitted and all(event["request"] == {"id": None, "idempotency_key": None} for event in emitted)
