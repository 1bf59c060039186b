"""POST /webhooks/stripe: refuse what is too big, verify the signature on the raw body, record the
event on its id (with the deliveries arriving meanwhile: queue.GroupCommit), acknowledge, and leave applying to the applier (applier.py).
The 200 means the event is stored: whatever happens to this process next, it will be applied."""

import json
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

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


class TooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:  # a chunked body, or one longer than it said
            raise TooLarge
    return bytes(body)


async def receive(request: Request):
    state = request.app.state
    return await _receive(request, "webhook", lambda payload, signature: (
        verify_event(payload, signature, state.webhook_secrets(), TOLERANCE_SECONDS), payload))


async def receive_thin(request: Request):
    """Accounts v2's thin events: verified with the SDK's parse_event_notification, recorded by id
    like any other, applied by fetching the object they name (handlers.account_changed)."""
    state = request.app.state

    def verified(payload: bytes, signature: str) -> tuple[dict, bytes]:
        event = parse_thin_event(state.stripe.client, payload, signature, state.thin_webhook_secrets(), TOLERANCE_SECONDS)
        # Stored as the portal's record of it (seconds in `created`, the object it names in `data`),
        # which is what the applier reads back: the raw notification says the same in v2's words.
        return event, json.dumps(event).encode()

    return await _receive(request, "thin webhook", verified)


async def _receive(request: Request, kind: str, verified) -> JSONResponse:
    """What both endpoints do with a delivery: the body read within MAX_EVENT_BYTES (413 past it),
    `verified(body, Stripe-Signature)` -> (the event, what to store) or WebhookRejected (400),
    then the event stored once and the applier woken."""
    try:
        payload = await read_body(request, MAX_EVENT_BYTES)
    except TooLarge:
        counters.webhook_received("unverified", "refused")
        return JSONResponse({"error": f"body larger than {MAX_EVENT_BYTES} bytes"}, status_code=413)
    try:
        event, stored = verified(payload, request.headers.get("stripe-signature", ""))
    except WebhookRejected as exc:
        log.warning("%s refused: %s", kind, exc)
        counters.webhook_received("unverified", "refused")
        return JSONResponse({"error": "invalid signature"}, status_code=400)
    return await _store(request.app.state, event, stored)


async def _store(state, event: dict, payload: bytes):
    if bool(event.get("livemode")) != (not state.settings.stripe_test_mode):
        counters.webhook_received(event["type"], "other_mode")
        return JSONResponse({"received": True, "ignored": "other mode"})
    handled = event["type"] in HANDLERS
    stored = await state.recorder.record(event, payload, handled=handled)
    counters.webhook_received(event["type"], "duplicate" if stored == "duplicate" else "stored")
    if stored == "duplicate":
        return JSONResponse({"received": True, "duplicate": True})
    if not handled and stored == "new":  # stored as ignored: no applier will take it
        counters.webhook_finished(event, "ignored")
    state.applier.wake()
    return JSONResponse({"received": True})


routes = [Route("/stripe", receive, methods=["POST"], name="stripe"),
          Route("/stripe-thin", receive_thin, methods=["POST"], name="stripe_thin")]
