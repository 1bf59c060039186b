"""Capabilities of a connected account: list, retrieve, request and unrequest.

Requested capabilities live in the account's private state ({name: requested, requested_at});
their status and requirements come from requirements.refresh. Unrequesting `card_payments`
removes it from the account's `capabilities` map rather than setting it `inactive`, as
Stripe's test mode did (reference C11).
"""

import copy

import stripe
from stripe.params import AccountCapabilityListParams, AccountCapabilityRetrieveParams, AccountCapabilityUpdateParams

from portal.sandbox import requirements
from portal.sandbox.protocol import Endpoint, invalid_request, list_response, resource_missing

NAMES = frozenset(stripe.Account.Capabilities.__annotations__)


def apply_requests(sandbox, account: dict, given: dict | None, state: dict) -> None:
    """Record `capabilities[<name>][requested]` from an account create or update."""
    caps = state.setdefault("caps", {})
    for name, options in (given or {}).items():
        if "requested" not in options:
            continue
        known = caps.get(name, {})
        if options["requested"] and not known.get("requested"):
            caps[name] = {"requested": True, "requested_at": sandbox.now()}
        elif not options["requested"] and known.get("requested"):
            caps[name] = {"requested": False, "requested_at": None}
    recipient = account["tos_acceptance"].get("service_agreement") == "recipient"
    if recipient and caps.get("card_payments", {}).get("requested"):
        raise invalid_request(
            "Accounts with the `recipient` service agreement cannot request the `card_payments` capability.",
            param="capabilities[card_payments]",
        )


def _account(call) -> dict:
    account_id = call.path["account"]
    account = call.sandbox.store.get(account_id, "account")
    if account is None or account_id == call.sandbox.store.meta("platform_account"):
        raise resource_missing("account", account_id, param="account")
    return account


def _name(call) -> str:
    name = call.path["capability"]
    if name not in NAMES:
        raise resource_missing("capability", name, param="capability")
    return name


def list_capabilities(call) -> dict:
    account = _account(call)
    state = call.sandbox.store.private(account["id"])
    objects = [requirements.capability_object(account["id"], name, state) for name in sorted(state.get("caps", {}))]
    return list_response(call, objects, f"/v1/accounts/{account['id']}/capabilities")


def retrieve_capability(call) -> dict:
    account = _account(call)
    state = call.sandbox.store.private(account["id"])
    return requirements.capability_object(account["id"], _name(call), state)


def update_capability(call) -> dict:
    sandbox = call.sandbox
    before = _account(call)
    name = _name(call)
    state = sandbox.store.private(before["id"])
    old = requirements.capability_object(before["id"], name, state)
    if "requested" in call.params:
        apply_requests(sandbox, copy.deepcopy(before), {name: {"requested": call.params["requested"]}}, state)
        sandbox.store.set_private(before["id"], state)
        requirements.refresh(sandbox, before["id"], before=before)
        state = sandbox.store.private(before["id"])
    new = requirements.capability_object(before["id"], name, state)
    # refresh reports status changes of requested capabilities; (un)requesting is reported here.
    if old["requested"] != new["requested"]:
        sandbox.emit("capability.updated", new, account=before["id"],
                     previous_attributes=requirements.previous_attributes(old, new))
    return new


CAPABILITY = "/v1/accounts/{account}/capabilities/{capability}"
ROUTES = [
    Endpoint("GET", "/v1/accounts/{account}/capabilities", list_capabilities, AccountCapabilityListParams),
    Endpoint("GET", CAPABILITY, retrieve_capability, AccountCapabilityRetrieveParams),
    Endpoint("POST", CAPABILITY, update_capability, AccountCapabilityUpdateParams),
]
