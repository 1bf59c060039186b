"""Thin events (`v2.core.event`) and the event destinations that receive them.

Stripe's v2 APIs send thin events only: a notification naming the event, its type and the
object it is about (`related_object.url`), with no state: the receiver fetches the current
object. The sandbox records one beside each v1 event about a connected account that has a v2
counterpart (account.updated -> v2.core.account.updated and, when requirements moved,
v2.core.account[requirements].updated; person.* -> v2.core.account_person.*;
capability.updated -> v2.core.account[configuration.merchant].capability_status_updated), and
delivers it to every enabled `webhook_endpoint` destination whose `enabled_events` name it,
signed like v1 webhooks (`Stripe-Signature: t=…,v1=…`). Retries, duplicates and reordering
are webhooks.py's, so receivers are held to the same at-least-once contract.

Shapes: stripe-python 16.1 `stripe/v2/core/_event.py`, `_event_destination.py`.
"""

import random

from stripe.params.v2.core import (
    EventDestinationCreateParams,
    EventDestinationDeleteParams,
    EventDestinationDisableParams,
    EventDestinationEnableParams,
    EventDestinationListParams,
    EventDestinationRetrieveParams,
    EventListParams,
    EventRetrieveParams,
)
from typing_extensions import NotRequired

from portal.sandbox.protocol import (
    Call,
    Endpoint,
    current_call,
    invalid_request,
    random_chars,
    resource_missing,
    rfc3339,
)
from portal.sandbox.protocol import v2_page as page

ACCOUNT_EVENTS = {"account.updated"}
PERSON_EVENTS = {"person.created": "v2.core.account_person.created", "person.updated": "v2.core.account_person.updated",
                 "person.deleted": "v2.core.account_person.deleted"}
REQUIREMENT_FIELDS = {"requirements", "future_requirements"}
IDENTITY_FIELDS = {"individual", "company", "business_type", "tos_acceptance", "country"}


def _rfc3339(sandbox) -> str:
    return rfc3339(sandbox.clock())


def thin_types(v1_type: str, previous: dict | None) -> list[str]:
    """The v2 event types Stripe sends for a v1 event about a connected account."""
    if v1_type in PERSON_EVENTS:
        return [PERSON_EVENTS[v1_type]]
    if v1_type == "capability.updated":
        return ["v2.core.account[configuration.merchant].capability_status_updated"]
    if v1_type != "account.updated":
        return []
    changed = set(previous or {})
    found = ["v2.core.account.updated"]
    if changed & REQUIREMENT_FIELDS:
        found.append("v2.core.account[requirements].updated")
    if changed & IDENTITY_FIELDS:
        found.append("v2.core.account[identity].updated")
    return found


def follow(sandbox, v1_event: dict) -> None:
    """Called for every v1 event: record its thin counterparts, if it has any."""
    account = v1_event.get("account")
    if account is None:
        return
    obj = v1_event["data"]["object"]
    for type in thin_types(v1_event["type"], v1_event["data"].get("previous_attributes")):
        if type.startswith("v2.core.account_person"):
            emit(sandbox, type, obj["id"], "v2.core.account_person", f"/v2/core/accounts/{account}/persons/{obj['id']}",
                 account, data={"account_id": account})
        elif type.endswith("capability_status_updated"):
            emit(sandbox, type, account, "v2.core.account", f"/v2/core/accounts/{account}", account,
                 data={"updated_capability": "stripe_balance.payouts" if obj["id"] == "transfers" else obj["id"]})
        else:
            emit(sandbox, type, account, "v2.core.account", f"/v2/core/accounts/{account}", account)


def emit(sandbox, type: str, related_id: str, related_type: str, url: str, account: str, *,
         data: dict | None = None) -> dict:
    """Record a thin event (its `data` is what the SDK's typed event carries: the person's account,
    the capability that moved) and queue it for the destinations that want it."""
    call = current_call.get()
    event = {
        "id": "evt_" + random_chars(24), "object": "v2.core.event", "type": type, "created": _rfc3339(sandbox),
        "livemode": False, "context": None,
        "reason": {"type": "request", "request": {"id": call.request_id, "idempotency_key": call.idempotency_key or ""}}
        if call else None,
        "related_object": {"id": related_id, "type": related_type, "url": url},
        "changes": None, "data": data, "snapshot_event": None,
        "_account": account,  # whose event: the destinations' `events_from: ["@accounts"]` want it
    }
    with sandbox.store.transaction():
        sandbox.store.create(event, owner=None)
        _enqueue(sandbox, event)
    return event


def _enqueue(sandbox, event: dict) -> None:
    store, count = sandbox.store, 0
    for destination in store.list("v2.core.event_destination"):
        if destination["status"] != "enabled" or "@accounts" not in (destination.get("events_from") or []):
            continue
        if event["type"] not in destination["enabled_events"] and "*" not in destination["enabled_events"]:
            continue
        count += 1
        copies = 2 if random.random() < sandbox.config.webhook_duplicate_share else 1
        hold = random.uniform(0, sandbox.config.webhook_reorder_window) if sandbox.config.webhook_out_of_order else 0.0
        for _ in range(copies):
            store.execute("INSERT INTO deliveries (event_id, endpoint_id, next_at) VALUES (?, ?, ?)",
                          (event["id"], destination["id"], sandbox.clock() + hold))
    if count:
        store.after_commit(sandbox.wake_deliveries)


def notification(event: dict) -> dict:
    """What a destination receives: the event without its fetched-only fields."""
    return {key: event[key] for key in ("id", "object", "type", "created", "livemode", "context", "reason",
                                        "related_object") if event.get(key) is not None or key == "context"}


def public(event: dict) -> dict:
    return {key: value for key, value in event.items() if not key.startswith("_")}


# The events API


class PagedEventListParams(EventListParams):
    page: NotRequired[str]


PagedEventListParams.__module__ = EventListParams.__module__  # params.py resolves its names there


def retrieve_event(call: Call) -> dict:
    event = call.sandbox.store.get(call.path["id"], "v2.core.event")
    if event is None:
        raise resource_missing("event", call.path["id"])
    return public(event)


def list_events(call: Call) -> dict:
    wanted = call.params.get("object_id")
    found = [public(e) for e in reversed(call.sandbox.store.list("v2.core.event"))
             if wanted is None or e["related_object"]["id"] == wanted]
    return page(call, found, "/v2/core/events")


# Event destinations


def create_destination(call: Call) -> dict:
    params = call.params
    if params["type"] != "webhook_endpoint":
        raise invalid_request("This sandbox delivers to `webhook_endpoint` destinations only.", param="type")
    url = (params.get("webhook_endpoint") or {}).get("url") or ""
    if not url.startswith(("http://", "https://")):
        raise invalid_request("`webhook_endpoint.url` must be an http(s) URL.", param="webhook_endpoint.url")
    if params["event_payload"] != "thin" and any(t.startswith("v2.") for t in params["enabled_events"]):
        raise invalid_request("v2 events can only be sent with the `thin` payload.", param="event_payload")
    now = _rfc3339(call.sandbox)
    secret = "whsec_" + random_chars(32)
    destination = {
        "id": "ed_" + random_chars(24), "object": "v2.core.event_destination", "amazon_eventbridge": None,
        "azure_event_grid": None, "created": now, "description": params.get("description") or "",
        "enabled_events": params["enabled_events"], "event_payload": params["event_payload"],
        "events_from": params.get("events_from") or ["self"], "livemode": False, "metadata": params.get("metadata") or {},
        "name": params["name"], "snapshot_api_version": params.get("snapshot_api_version"), "status": "enabled",
        "status_details": None, "type": "webhook_endpoint", "updated": now,
        "webhook_endpoint": {"signing_secret": None, "url": url},
    }
    call.sandbox.store.create(destination, private={"secret": secret})
    shown = dict(destination)
    if "webhook_endpoint.signing_secret" in (params.get("include") or []):
        # Returned only in the create response, and only when asked for.
        shown["webhook_endpoint"] = {"signing_secret": secret, "url": url}
    return shown


def _destination(call: Call) -> dict:
    found = call.sandbox.store.get(call.path["id"], "v2.core.event_destination")
    if found is None:
        raise resource_missing("event_destination", call.path["id"])
    return found


def retrieve_destination(call: Call) -> dict:
    return _destination(call)


def list_destinations(call: Call) -> dict:
    return page(call, call.sandbox.store.list("v2.core.event_destination"), "/v2/core/event_destinations")


def delete_destination(call: Call) -> dict:
    found = _destination(call)
    call.sandbox.store.delete(found["id"])
    call.sandbox.store.execute("UPDATE deliveries SET state = 'dropped' WHERE endpoint_id = ? AND state = 'pending'",
                               (found["id"],))
    return {"id": found["id"], "object": "v2.core.event_destination", "deleted": True}


def _set_status(call: Call, status: str) -> dict:
    found = _destination(call)
    found["status"], found["updated"] = status, _rfc3339(call.sandbox)
    return call.sandbox.store.save(found)


DESTINATIONS = "/v2/core/event_destinations"
ROUTES = [
    Endpoint("GET", "/v2/core/events", list_events, PagedEventListParams),
    Endpoint("GET", "/v2/core/events/{id}", retrieve_event, EventRetrieveParams),
    Endpoint("POST", DESTINATIONS, create_destination, EventDestinationCreateParams),
    Endpoint("GET", DESTINATIONS, list_destinations, EventDestinationListParams),
    Endpoint("GET", DESTINATIONS + "/{id}", retrieve_destination, EventDestinationRetrieveParams),
    Endpoint("DELETE", DESTINATIONS + "/{id}", delete_destination, EventDestinationDeleteParams),
    Endpoint("POST", DESTINATIONS + "/{id}/enable", lambda call: _set_status(call, "enabled"), EventDestinationEnableParams),
    Endpoint("POST", DESTINATIONS + "/{id}/disable", lambda call: _set_status(call, "disabled"),
             EventDestinationDisableParams),
]
