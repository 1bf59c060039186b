"""Events: what every state change records, and the read-only events API.

An event is stored under the account it happened on (None for the platform), so
`GET /v1/events` with `Stripe-Account` lists that account's events as Stripe does, and a
connected account's event carries a top-level `account`.
"""

import copy
import fnmatch

from stripe.params import EventListParams, EventRetrieveParams

from portal.sandbox import events_v2, webhooks
from portal.sandbox.protocol import Call, Endpoint, current_call, invalid_request, list_response, owned


def emit(sandbox, type: str, obj: dict, account: str | None = None, previous_attributes: dict | None = None) -> dict:
    """Record the event `type` about `obj` and queue its webhook deliveries.

    Runs inside the caller's transaction: a request that fails emits nothing.
    """
    call = current_call.get()
    event = {
        "id": sandbox.new_id("evt"),
        "object": "event",
        "api_version": sandbox.config.api_version,
        "created": sandbox.now(),
        "data": {"object": copy.deepcopy(obj)},
        "livemode": False,
        "pending_webhooks": 0,
        "request": {
            "id": call.request_id if call else None,
            "idempotency_key": call.idempotency_key if call else None,
        },
        "type": type,
    }
    if account is not None:
        event = {"id": event["id"], "object": "event", "account": account, **event}
    if previous_attributes is not None:
        event["data"]["previous_attributes"] = copy.deepcopy(previous_attributes)
    with sandbox.store.transaction():
        event["pending_webhooks"] = webhooks.enqueue(sandbox, event)
        sandbox.store.create(event, owner=account)
        events_v2.follow(sandbox, event)
    return event


def matches_type(event_type: str, wanted: str) -> bool:
    # Stripe's `type` filter takes `*` as a wildcard (e.g. "account.*").
    return fnmatch.fnmatchcase(event_type, wanted)


def created_filter(created) -> tuple[int | None, int | None, int | None, int | None]:
    if isinstance(created, int):
        return created, None, None, created
    return created.get("gte"), created.get("gt"), created.get("lt"), created.get("lte")


def keep_event(event: dict, params: dict) -> bool:
    if "type" in params and not matches_type(event["type"], params["type"]):
        return False
    if "types" in params and event["type"] not in params["types"]:
        return False
    if "created" in params:
        gte, gt, lt, lte = created_filter(params["created"])
        created = event["created"]
        if (gte is not None and created < gte) or (gt is not None and created <= gt):
            return False
        if (lt is not None and created >= lt) or (lte is not None and created > lte):
            return False
    if "delivery_success" in params:
        delivered = event["pending_webhooks"] == 0
        if delivered != params["delivery_success"]:
            return False
    return True


def list_events(call: Call) -> dict:
    if "type" in call.params and "types" in call.params:
        raise invalid_request("You may pass either `type` or `types`, but not both.", param="types")
    events = call.sandbox.store.list("event", owner=call.account, where=lambda e: keep_event(e, call.params))
    return list_response(call, events, "/v1/events")


def retrieve_event(call: Call) -> dict:
    return owned(call, call.path["id"], "event")


ROUTES = [
    Endpoint("GET", "/v1/events", list_events, EventListParams),
    Endpoint("GET", "/v1/events/{id}", retrieve_event, EventRetrieveParams),
]
