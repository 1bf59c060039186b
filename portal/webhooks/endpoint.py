"""POST /webhooks/stripe: verify the signature on the raw body, record the event on its id,
apply it only if it is new (or failed before), acknowledge."""

import logging

from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from portal.db import Database, utcnow
from portal.integrations.stripe import WebhookRejected, verify_event
from portal.webhooks.handlers import HANDLERS, Context
from portal.webhooks.models import StripeEvent

log = logging.getLogger(__name__)
TOLERANCE_SECONDS = 300


def record_event(db: Database, event: dict) -> bool:
    """Store the event; False when it was already stored and applied (a redelivery)."""
    try:
        with db.transaction() as session:
            session.add(StripeEvent(
                id=event["id"], type=event["type"], account=event.get("account"), created=event["created"],
                livemode=bool(event.get("livemode")), payload=event,
            ))
        return True
    except IntegrityError:
        with db.transaction() as session:
            stored = session.get(StripeEvent, event["id"])
            return stored is not None and stored.outcome == "failed"


def finish_event(db: Database, event_id: str, outcome: str, error: str = "") -> None:
    with db.transaction() as session:
        stored = session.get(StripeEvent, event_id)
        stored.outcome, stored.error, stored.processed_at = outcome, error[:500], utcnow()
        session.add(stored)


async def apply_event(ctx: Context, event: dict) -> str:
    handler = HANDLERS.get(event["type"])
    if handler is None:
        return "ignored"
    return await handler(ctx, event)


async def receive(request: Request):
    state = request.app.state
    payload = await request.body()
    try:
        event = verify_event(payload, request.headers.get("stripe-signature", ""), state.webhook_secrets(), TOLERANCE_SECONDS)
    except WebhookRejected as exc:
        log.warning("webhook refused: %s", exc)
        return JSONResponse({"error": "invalid signature"}, status_code=400)
    if bool(event.get("livemode")) != (not state.settings.stripe_test_mode):
        return JSONResponse({"received": True, "ignored": "other mode"})
    if not await run_in_threadpool(record_event, state.db, event):
        return JSONResponse({"received": True, "duplicate": True})
    try:
        outcome = await apply_event(state.webhook_context, event)
    except Exception as exc:  # recorded as failed; Stripe's retry applies it again
        log.exception("applying %s %s failed", event["type"], event["id"])
        await run_in_threadpool(finish_event, state.db, event["id"], "failed", type(exc).__name__)
        return JSONResponse({"error": "not applied; retry"}, status_code=500)
    await run_in_threadpool(finish_event, state.db, event["id"], outcome)
    return JSONResponse({"received": True})


routes = [Route("/stripe", receive, methods=["POST"], name="stripe")]
