"""POST /webhooks/stripe: refuse what is too big, verify the signature on the raw body, record the
event on its id (with the deliveries arriving meanwhile: queue.GroupCommit), acknowledge, and leave applying to the applier (applier.py).
The 200 means the event is stored: whatever happens to this process next, it will be applied.

Both endpoints are plain ASGI callables, which Starlette's Route calls as they are: a busy
endpoint is called thousands of times a second, and what a Request, its body stream, its headers
and a JSONResponse cost around it (~15 us of an event's ~120 us in-process) was half as much as
storing the event. Every answer is a constant, encoded once."""

import json
import logging

from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from portal.integrations.stripe import WebhookRejected, parse_thin_event, verify_event
from portal.operations import counters
from portal.webhooks.handlers import HANDLERS

log = logging.getLogger(__name__)
TOLERANCE_SECONDS = 300
# The largest event we take is a dispute: its evidence may hold 150,000 characters of text, which
# JSON escaping can make up to ~900 KB; every other object we handle is a few tens of KB. Stripe
# retries a refused delivery for days, so the limit errs large; it only bounds what an unsigned
# sender can make us hold in memory before the signature is checked.
MAX_EVENT_BYTES = 1024 * 1024


class Answer:
    """One JSON answer, encoded once; its messages are made afresh for each request, as middleware
    may change what it is sent (the security headers are added to the start message)."""

    def __init__(self, status: int, content: dict):
        self.status, self.body = status, json.dumps(content, separators=(",", ":")).encode()
        self.headers = ((b"content-type", b"application/json"), (b"content-length", str(len(self.body)).encode()))

    async def send(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": list(self.headers)})
        await send({"type": "http.response.body", "body": self.body})


TOO_LARGE = Answer(413, {"error": f"body larger than {MAX_EVENT_BYTES} bytes"})
REFUSED = Answer(400, {"error": "invalid signature"})
OTHER_MODE = Answer(200, {"received": True, "ignored": "other mode"})
DUPLICATE = Answer(200, {"received": True, "duplicate": True})
RECEIVED = Answer(200, {"received": True})


class TooLarge(Exception):
    pass


class Disconnected(Exception):
    pass


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    declared = _header(scope, b"content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise TooLarge
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Disconnected
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:  # a chunked body, or one longer than it said
            raise TooLarge
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


class Endpoint:
    """What both endpoints do with a delivery: the body read within MAX_EVENT_BYTES (413 past it),
    `verified(state, body, Stripe-Signature)` -> (the event, what to store) or WebhookRejected
    (400), then the event stored once and the applier woken."""

    def __init__(self, kind: str, verified):
        self.kind, self.verified = kind, verified

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = await self.answer(scope, receive)
        if answer is not None:
            await answer.send(send)

    async def answer(self, scope: Scope, receive: Receive) -> Answer | None:
        """None when the client went away before its body arrived: nothing was stored, and there is
        no one to answer (Stripe delivers again)."""
        state = scope["app"].state
        try:
            payload = await read_body(scope, receive, MAX_EVENT_BYTES)
        except TooLarge:
            counters.webhook_received("unverified", "refused")
            return TOO_LARGE
        except Disconnected:
            return None
        try:
            event, stored = self.verified(state, payload, _header(scope, b"stripe-signature") or "")
        except WebhookRejected as exc:
            log.warning("%s refused: %s", self.kind, exc)
            counters.webhook_received("unverified", "refused")
            return REFUSED
        return await _store(state, event, stored)


async def _store(state, event: dict, payload: bytes) -> Answer:
    if bool(event.get("livemode")) != (not state.settings.stripe_test_mode):
        counters.webhook_received(event["type"], "other_mode")
        return OTHER_MODE
    handled = event["type"] in HANDLERS
    stored = await state.recorder.record(event, payload, handled=handled)
    counters.webhook_received(event["type"], "duplicate" if stored == "duplicate" else "stored")
    if stored == "duplicate":
        return DUPLICATE
    if not handled and stored == "new":  # stored as ignored: no applier will take it
        counters.webhook_finished(event, "ignored")
    state.applier.wake()
    return RECEIVED


def _snapshot(state, payload: bytes, signature: str) -> tuple[dict, bytes]:
    return verify_event(payload, signature, state.webhook_secrets(), TOLERANCE_SECONDS), payload


def _thin(state, payload: bytes, signature: str) -> tuple[dict, bytes]:
    """Accounts v2's thin events: verified with the SDK's parse_event_notification, recorded by id
    like any other, applied by fetching the object they name (handlers.account_changed). Stored as
    the portal's record of it (seconds in `created`, the object it names in `data`), which is what
    the applier reads back: the raw notification says the same in v2's words."""
    event = parse_thin_event(state.stripe.client, payload, signature, state.thin_webhook_secrets(), TOLERANCE_SECONDS)
    return event, json.dumps(event).encode()


routes = [Route("/stripe", Endpoint("webhook", _snapshot), methods=["POST"], name="stripe"),
          Route("/stripe-thin", Endpoint("thin webhook", _thin), methods=["POST"], name="stripe_thin")]
