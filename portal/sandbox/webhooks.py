"""Webhook endpoints, and delivering events to them as Stripe does.

A Connect endpoint (`connect=true`) receives connected accounts' events, an account endpoint
the platform's own. Each event is a row in `deliveries` per endpoint, posted by a background
thread with a `Stripe-Signature` header and retried on the configured schedule until it gets
a 2xx: at least once, so receivers must deduplicate by event id. The duplicate and
out-of-order options exercise exactly that.
"""

import hashlib
import hmac
import json
import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from stripe.params import (
    WebhookEndpointCreateParams,
    WebhookEndpointDeleteParams,
    WebhookEndpointListParams,
    WebhookEndpointRetrieveParams,
    WebhookEndpointUpdateParams,
)

from portal.sandbox import events_v2
from portal.sandbox.protocol import (
    Call,
    Endpoint,
    apply_metadata,
    invalid_request,
    list_response,
    random_chars,
    resource_missing,
)

log = logging.getLogger("portal.sandbox.webhooks")

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
BATCH = 50
PARALLEL_ENDPOINTS = 4


# The resource


def _check_url(url: str) -> None:
    if not url.startswith(("http://", "https://")) or len(url) < 10:
        raise invalid_request(f"Invalid URL: {url}", param="url", code="url_invalid")


def create_endpoint(call: Call) -> dict:
    params = call.params
    _check_url(params["url"])
    endpoint = {
        "id": call.sandbox.new_id("we"),
        "object": "webhook_endpoint",
        "api_version": params.get("api_version"),
        "application": None,
        "created": call.sandbox.now(),
        "description": params.get("description") or None,
        "enabled_events": params["enabled_events"],
        "livemode": False,
        "metadata": {},
        "status": "enabled",
        "url": params["url"],
    }
    apply_metadata(endpoint, params)
    secret = "whsec_" + random_chars(32)
    call.sandbox.store.create(endpoint, private={"secret": secret, "connect": params.get("connect", False)})
    # The secret is shown once, in the response to the create.
    return {**endpoint, "secret": secret}


def _find(call: Call) -> dict:
    endpoint = call.sandbox.store.get(call.path["id"], "webhook_endpoint")
    if endpoint is None:
        raise resource_missing("webhook_endpoint", call.path["id"])
    return endpoint


def retrieve_endpoint(call: Call) -> dict:
    return _find(call)


def update_endpoint(call: Call) -> dict:
    endpoint, params = _find(call), call.params
    if "url" in params:
        _check_url(params["url"])
        endpoint["url"] = params["url"]
    if "enabled_events" in params:
        endpoint["enabled_events"] = params["enabled_events"]
    if "description" in params:
        endpoint["description"] = params["description"] or None
    if "disabled" in params:
        endpoint["status"] = "disabled" if params["disabled"] else "enabled"
    apply_metadata(endpoint, params)
    return call.sandbox.store.save(endpoint)


def list_endpoints(call: Call) -> dict:
    return list_response(call, call.sandbox.store.list("webhook_endpoint"), "/v1/webhook_endpoints")


def delete_endpoint(call: Call) -> dict:
    endpoint = _find(call)
    call.sandbox.store.delete(endpoint["id"])
    call.sandbox.store.execute(
        "UPDATE deliveries SET state = 'dropped' WHERE endpoint_id = ? AND state = 'pending'",
        (endpoint["id"],),
    )
    return {"id": endpoint["id"], "object": "webhook_endpoint", "deleted": True}


ROUTES = [
    Endpoint("POST", "/v1/webhook_endpoints", create_endpoint, WebhookEndpointCreateParams),
    Endpoint("GET", "/v1/webhook_endpoints", list_endpoints, WebhookEndpointListParams),
    Endpoint("GET", "/v1/webhook_endpoints/{id}", retrieve_endpoint, WebhookEndpointRetrieveParams),
    Endpoint("POST", "/v1/webhook_endpoints/{id}", update_endpoint, WebhookEndpointUpdateParams),
    Endpoint("DELETE", "/v1/webhook_endpoints/{id}", delete_endpoint, WebhookEndpointDeleteParams),
]


# Delivery


def wants(endpoint: dict, private: dict, event: dict) -> bool:
    if endpoint["status"] != "enabled":
        return False
    if bool(private.get("connect")) != ("account" in event):
        return False
    return "*" in endpoint["enabled_events"] or event["type"] in endpoint["enabled_events"]


def enqueue(sandbox, event: dict) -> int:
    """Queue `event` for every endpoint that wants it; returns how many endpoints do."""
    store, count = sandbox.store, 0
    for endpoint in store.list("webhook_endpoint"):
        if not wants(endpoint, store.private(endpoint["id"]), event):
            continue
        count += 1
        copies = 2 if random.random() < sandbox.config.webhook_duplicate_share else 1
        for _ in range(copies):
            store.execute(
                "INSERT INTO deliveries (event_id, endpoint_id, next_at) VALUES (?, ?, ?)",
                (event["id"], endpoint["id"], sandbox.clock() + _hold(sandbox.config)),
            )
    if count:
        store.after_commit(sandbox.wake_deliveries)
    return count


def _hold(config) -> float:
    # Out of order means across requests too: each delivery waits a random moment, so a later
    # event can overtake an earlier one.
    return random.uniform(0, config.webhook_reorder_window) if config.webhook_out_of_order else 0.0


def signature_header(secret: str, body: str, timestamp: int) -> str:
    signed = f"{timestamp}.{body}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def due_deliveries(sandbox) -> list[tuple]:
    rows = sandbox.store.execute(
        "SELECT seq, event_id, endpoint_id, attempts FROM deliveries "
        "WHERE state = 'pending' AND next_at <= ? ORDER BY seq LIMIT ?",
        (sandbox.clock(), BATCH),
    )
    if sandbox.config.webhook_out_of_order:
        random.shuffle(rows)
    return rows


def pending_until(sandbox, moment: float) -> int:
    """How many deliveries not yet attempted fall due by `moment` (sandbox time)."""
    rows = sandbox.store.execute(
        "SELECT COUNT(*) FROM deliveries WHERE state = 'pending' AND next_at <= ?", (moment,)
    )
    return rows[0][0]


def deliver_due(sandbox, client: httpx.Client, pool: ThreadPoolExecutor) -> int:
    """Attempt every delivery that is due; returns how many were attempted.

    Endpoints are served side by side, so one slow receiver does not hold up the others;
    each endpoint gets its events one after another, in order unless configured otherwise.
    """
    rows = due_deliveries(sandbox)
    by_endpoint: dict[str, list[tuple]] = {}
    for row in rows:
        by_endpoint.setdefault(row[2], []).append(row)

    def deliver(batch: list[tuple]) -> None:
        for seq, event_id, endpoint_id, attempts in batch:
            attempt(sandbox, client, seq, event_id, endpoint_id, attempts)

    list(pool.map(deliver, by_endpoint.values()))
    return len(rows)


def attempt(sandbox, client: httpx.Client, seq: int, event_id: str, endpoint_id: str, attempts: int) -> None:
    store = sandbox.store
    endpoint, event = store.get(endpoint_id), store.get(event_id)
    if endpoint is None or event is None or endpoint["status"] != "enabled":
        store.execute("UPDATE deliveries SET state = 'dropped' WHERE seq = ?", (seq,))
        return
    if endpoint["object"] == "v2.core.event_destination":  # a thin event to an event destination
        url, body = endpoint["webhook_endpoint"]["url"], json.dumps(events_v2.notification(event), indent=2)
    else:
        url, body = endpoint["url"], json.dumps(event, indent=2)
    # Real time, not the sandbox clock: receivers check it against their own clock.
    header = signature_header(store.private(endpoint_id)["secret"], body, int(time.time()))
    status = None
    try:
        response = client.post(
            url,
            content=body.encode(),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": header,
                "User-Agent": USER_AGENT,
            },
        )
        status = response.status_code
    except httpx.HTTPError as error:
        log.info("webhook %s to %s failed: %s", event_id, url, error)
    if status is not None and 200 <= status < 300:
        record_success(sandbox, seq, event_id, endpoint_id, status)
    else:
        record_failure(sandbox, seq, attempts + 1, status)


def record_success(sandbox, seq: int, event_id: str, endpoint_id: str, status: int) -> None:
    store = sandbox.store
    with store.transaction():
        earlier = store.execute(
            "SELECT 1 FROM deliveries WHERE event_id = ? AND endpoint_id = ? AND state = 'delivered'",
            (event_id, endpoint_id),
        )
        store.execute(
            "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, last_status = ? WHERE seq = ?",
            (status, seq),
        )
        event = store.get(event_id, "event")  # a thin event keeps no delivery count
        if not earlier and event is not None:
            event["pending_webhooks"] = max(0, event["pending_webhooks"] - 1)
            store.save(event)


def record_failure(sandbox, seq: int, attempts: int, status: int | None) -> None:
    schedule = sandbox.config.webhook_retry_schedule
    if attempts > len(schedule):
        sandbox.store.execute(
            "UPDATE deliveries SET state = 'failed', attempts = ?, last_status = ? WHERE seq = ?",
            (attempts, status, seq),
        )
        return
    sandbox.store.execute(
        "UPDATE deliveries SET attempts = ?, last_status = ?, next_at = ? WHERE seq = ?",
        (attempts, status, sandbox.clock() + schedule[attempts - 1], seq),
    )


def next_due_in(sandbox, ceiling: float) -> float:
    rows = sandbox.store.execute("SELECT MIN(next_at) FROM deliveries WHERE state = 'pending'")
    if not rows or rows[0][0] is None:
        return ceiling
    return max(0.0, min(ceiling, rows[0][0] - sandbox.clock()))


class Deliverer:
    """The background thread that posts queued events."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.stopping.clear()
        self.thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        if self.thread is not None:
            self.thread.join(timeout=5)
            self.thread = None

    def _run(self) -> None:
        with (
            httpx.Client(timeout=self.sandbox.config.webhook_timeout) as client,
            ThreadPoolExecutor(max_workers=PARALLEL_ENDPOINTS, thread_name_prefix="sandbox-webhook") as pool,
        ):
            while not self.stopping.is_set():
                self.wake.clear()
                try:
                    deliver_due(self.sandbox, client, pool)
                    wait = next_due_in(self.sandbox, ceiling=1.0)
                except Exception:
                    log.exception("webhook delivery loop failed")
                    wait = 1.0
                self.wake.wait(wait)
