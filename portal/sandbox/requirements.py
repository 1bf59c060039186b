"""Requirements applied to the stored account: recompute, save, emit; deadlines; test helpers.

`refresh` runs requirements_engine.compute over an account, its persons and external
accounts and its private state, saves what changed and emits Stripe's events for it
(account.updated with previous_attributes, capability.updated, person.updated). `tick`
resolves verification checks and deadlines that came due on the sandbox clock.
`add_requirement` / `add_intervention` are the test helpers (H3's trigger cards use them).
"""

import copy
from typing import NotRequired, TypedDict

from portal.sandbox import magic, verification
from portal.sandbox.protocol import Endpoint, invalid_request, resource_missing
from portal.sandbox.requirements_engine import compute, empty_lists


def previous_attributes(old: dict, new: dict) -> dict:
    """Stripe's `previous_attributes`: the old value of every changed field, nested objects partially."""
    changed = {}
    for key in old.keys() | new.keys():
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if isinstance(before, dict) and isinstance(after, dict):
            changed[key] = previous_attributes(before, after)
        else:
            changed[key] = before
    return changed


def external_accounts_of(sandbox, account_id: str, state: dict) -> list[dict]:
    found = (sandbox.store.get(ext_id) for ext_id in state.get("external_accounts", []))
    return [ext for ext in found if ext is not None]


def capability_object(account_id: str, name: str, state: dict) -> dict:
    """The capability as GET /v1/accounts/{id}/capabilities/{name} returns it."""
    cap = state.get("caps", {}).get(name, {})
    view = state.get("cap_views", {}).get(name)
    if view is None or not cap.get("requested"):
        view = {"status": "unrequested", "requirements": empty_lists(), "future_requirements": empty_lists()}
    return {
        "account": account_id,
        "future_requirements": view["future_requirements"],
        "id": name,
        "object": "capability",
        "requested": bool(cap.get("requested")),
        "requested_at": cap.get("requested_at"),
        "requirements": view["requirements"],
        "status": view["status"],
    }


def refresh(sandbox, account_id: str, *, before: dict | None = None, emit_account: bool = True,
            quiet_persons: tuple = ()) -> dict:
    """Recompute requirements, capabilities and flags; save; emit what changed.

    `before` is the account as the caller's request found it, so one request makes one
    account.updated whose previous_attributes cover everything it changed. Persons listed
    in `quiet_persons` get their own event from the caller (person.created / .updated).
    """
    store = sandbox.store
    account = store.get(account_id, "account")
    before = before if before is not None else copy.deepcopy(account)
    state = store.private(account_id)
    persons = store.list("person", owner=account_id)
    externals = external_accounts_of(sandbox, account_id, state)
    result = compute(account, persons, externals, state, sandbox.now())

    for person in persons:
        view = result["persons"][person["id"]]
        updated = _person_with(person, view)
        if updated != person:
            store.save(updated)
            if person["id"] not in quiet_persons:
                sandbox.emit("person.updated", updated, account=account_id,
                             previous_attributes=previous_attributes(person, updated))
        if person["id"] == state.get("individual_person"):
            account["individual"] = updated

    state["details_submitted"] = bool(state.get("details_submitted") or result["details_submitted"])
    account.update(
        requirements=result["requirements"],
        future_requirements=result["future_requirements"],
        capabilities={name: cap["status"] for name, cap in result["capabilities"].items()},
        charges_enabled=result["charges_enabled"],
        payouts_enabled=result["payouts_enabled"],
        details_submitted=state["details_submitted"],
        external_accounts={
            "data": externals,
            "has_more": False,
            "object": "list",
            "url": f"/v1/accounts/{account_id}/external_accounts",
        },
    )
    old_views = state.get("cap_views", {})
    state["cap_views"] = {name: cap for name, cap in result["capabilities"].items()}
    store.set_private(account_id, state)
    store.save(account)
    for name in result["capabilities"]:
        old, new = old_views.get(name), state["cap_views"][name]
        if old is not None and old != new:
            previous = previous_attributes(old, new)
            sandbox.emit("capability.updated", capability_object(account_id, name, state),
                         account=account_id, previous_attributes=previous)
    if emit_account and account != before:
        sandbox.emit("account.updated", account, account=account_id,
                     previous_attributes=previous_attributes(before, account))
    _schedule(sandbox, state)
    return account


def _person_with(person: dict, view: dict) -> dict:
    updated = {**person, "requirements": view["requirements"], "future_requirements": view["future_requirements"]}
    verification = dict(person.get("verification") or {})
    verification["status"] = view["verification_status"]
    verification["details_code"] = view["details_code"]
    document = dict(verification.get("document") or {})
    document["details_code"] = view["details_code"] if document.get("front") else None
    document["details"] = magic.ERROR_REASONS.get(
        "verification_document_failed_test_mode") if document["details_code"] == "document_failed_test_mode" else None
    verification["document"] = document
    updated["verification"] = verification
    return updated


# Background work: verification results and deadlines come due


def _schedule(sandbox, state: dict) -> None:
    """Lower the sandbox-wide wake-up time so tick stays cheap until something is due."""
    times = [t for t in (verification.next_due(state), _next_deadline(state, sandbox.now())) if t is not None]
    if times:
        current = sandbox.store.meta("requirements.next_due")
        if current is None or min(times) < current:
            sandbox.store.set_meta("requirements.next_due", min(times))


def _next_deadline(state: dict, now: int) -> int | None:
    deadlines = [
        item["deadline"]
        for item in state.get("extras", []) + state.get("interventions", [])
        if item.get("deadline") is not None and not item.get("resolved") and not item.get("deadline_passed")
    ]
    return min(deadlines) if deadlines else None


def tick(sandbox) -> None:
    store = sandbox.store
    due = store.meta("requirements.next_due")
    now = sandbox.now()
    if due is None or due > sandbox.clock():
        return
    store.set_meta("requirements.next_due", None)
    for account in store.list("account"):
        state = store.private(account["id"])
        changed = verification.finish_due(state, sandbox.clock())
        for item in state.get("extras", []) + state.get("interventions", []):
            if item.get("deadline") is not None and item["deadline"] <= now and not item.get("deadline_passed"):
                item["deadline_passed"] = changed = True
        if changed:
            store.set_private(account["id"], state)
            refresh(sandbox, account["id"])
        else:
            _schedule(sandbox, state)


# Test helpers: a new requirement or a risk intervention, as Stripe adds them in live mode


def add_requirement(sandbox, account_id: str, field: str, *, past_due: bool = False,
                    deadline: int | None = None) -> dict:
    """Ask the account for `field` again (it stays due until the field is provided anew)."""
    state = sandbox.store.private(account_id)
    state.setdefault("extras", []).append({"key": field, "past_due": past_due, "deadline": deadline})
    sandbox.store.set_private(account_id, state)
    return refresh(sandbox, account_id)


def trigger_next_requirements(sandbox, account_id: str) -> dict:
    """tok_visa_triggerNextRequirements: the next eventually due fields become currently due."""
    account = sandbox.store.get(account_id, "account")
    upcoming = set(account["future_requirements"]["eventually_due"]) | (
        set(account["requirements"]["eventually_due"]) - set(account["requirements"]["currently_due"])
    )
    if not upcoming:
        return account
    state = sandbox.store.private(account_id)
    state.setdefault("extras", []).extend({"key": key, "past_due": False, "deadline": None} for key in sorted(upcoming))
    sandbox.store.set_private(account_id, state)
    return refresh(sandbox, account_id)


def add_intervention(sandbox, account_id: str, *, category: str = "risk_review", form: str = "form",
                     past_due: bool = False, deadline: int | None = None) -> str:
    """A risk intervention `interv_<id>.<category>.<form>`: answerable only in a hosted flow."""
    intervention_id = sandbox.new_id("interv")
    state = sandbox.store.private(account_id)
    state.setdefault("interventions", []).append({
        "id": intervention_id,
        "key": f"{intervention_id}.{category}.{form}",
        "past_due": past_due,
        "deadline": deadline,
    })
    sandbox.store.set_private(account_id, state)
    refresh(sandbox, account_id)
    return intervention_id


def resolve_intervention(sandbox, account_id: str, intervention_id: str) -> dict:
    state = sandbox.store.private(account_id)
    for item in state.get("interventions", []):
        if item["id"] == intervention_id:
            item["resolved"] = True
            sandbox.store.set_private(account_id, state)
            return refresh(sandbox, account_id)
    raise resource_missing("intervention", intervention_id)


def note_provided(state: dict, keys: set[str]) -> None:
    """Requirements added by a test helper are met once their field is sent again."""
    for item in state.get("extras", []):
        if item["key"] in keys:
            item["resolved"] = True


def provided_keys(prefix: str, params: dict) -> set[str]:
    """Every dotted key (and its parents) a request's params set, e.g. individual.dob.day."""
    keys = set()
    for name, value in params.items():
        key = prefix + name
        keys.add(key)
        if isinstance(value, dict):
            keys |= provided_keys(key + ".", value)
    return keys


class AddRequirementParams(TypedDict):
    field: str
    past_due: NotRequired[bool]
    deadline: NotRequired[int]
    expand: NotRequired[list[str]]


class AddInterventionParams(TypedDict):
    category: NotRequired[str]
    form: NotRequired[str]
    past_due: NotRequired[bool]
    deadline: NotRequired[int]
    expand: NotRequired[list[str]]


def _connected_account(call) -> str:
    account_id = call.path["account"]
    account = call.sandbox.store.get(account_id, "account")
    if account is None or account_id == call.sandbox.store.meta("platform_account"):
        raise resource_missing("account", account_id, param="account")
    return account_id


def add_requirement_route(call) -> dict:
    p = call.params
    if p.get("deadline") is not None and p["deadline"] <= call.sandbox.now() and not p.get("past_due"):
        raise invalid_request("The deadline must be in the future; use past_due=true instead.", param="deadline")
    return add_requirement(call.sandbox, _connected_account(call), p["field"],
                           past_due=p.get("past_due", False), deadline=p.get("deadline"))


def add_intervention_route(call) -> dict:
    p = call.params
    account_id = _connected_account(call)
    add_intervention(call.sandbox, account_id, category=p.get("category", "risk_review"),
                     form=p.get("form", "form"), past_due=p.get("past_due", False), deadline=p.get("deadline"))
    return call.sandbox.store.get(account_id)


def resolve_intervention_route(call) -> dict:
    return resolve_intervention(call.sandbox, _connected_account(call), call.path["intervention"])


HELPERS = "/v1/test_helpers/accounts/{account}"
ROUTES = [
    Endpoint("POST", HELPERS + "/requirements", add_requirement_route, AddRequirementParams),
    Endpoint("POST", HELPERS + "/interventions", add_intervention_route, AddInterventionParams),
    Endpoint("POST", HELPERS + "/interventions/{intervention}/resolve", resolve_intervention_route),
]
