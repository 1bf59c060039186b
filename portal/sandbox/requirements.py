"""The requirements engine: what an account still owes Stripe, and what it may do meanwhile.

`compute` is pure: given an account, its persons and external accounts, and the sandbox's
private state for it (requested capabilities, verification checks, requirements added by
test helpers, rejection), it returns `requirements`, `future_requirements`, each
capability's status and requirements, each person's requirements, and the enabled flags,
following what Stripe's test mode recorded (reference C11): currently_due and past_due move
together unless a deadline is set, company fields come as `representative.*` / `owners.*`
until persons exist and as `person_<id>.*` after, and a missing bank account only blocks
payouts. Which fields each account and person owes comes from country_specs.RULES.

`refresh` applies `compute` to the stored objects and emits the events; `add_requirement`
and `add_intervention` are the test helpers (also used by H3's trigger cards).
"""

import copy
from dataclasses import dataclass
from typing import NotRequired, TypedDict

from portal.sandbox import country_specs, magic, verification
from portal.sandbox.protocol import Endpoint, invalid_request, resource_missing
from portal.sandbox.store import dig

THIRTY_DAYS = 30 * 86400
FOURTEEN_DAYS = 14 * 86400

# Person fields that are not a plain nested value of the person object.
SPECIAL_PRESENCE = {
    "ssn_last_4": lambda person, account: bool(
        person.get("ssn_last_4_provided") or person.get("id_number_provided")
    ),
    "id_number": lambda person, account: bool(person.get("id_number_provided")),
    "email": lambda person, account: bool(
        person.get("email") or (_is_individual_person(person, account) and account.get("email"))
    ),
    # A US representative must be an executive; an owner who runs the business counts.
    "relationship.executive": lambda person, account: bool(
        dig(person, "relationship.executive") or dig(person, "relationship.owner")
    ),
    "verification.document": lambda person, account: bool(dig(person, "verification.document.front")),
}

CAPABILITY_REASONS = {
    "rejected": "rejected.other",
    "listed": "other",
    "inactivity": "paused.inactivity",
    "fields": "requirements.fields_needed",
    "pending": "pending.onboarding",
}


@dataclass
class Due:
    key: str
    blocks: str = "all"  # "all", or "payouts" for what only stops payouts
    past_due: bool = True
    deadline: int | None = None
    error: dict | None = None
    missing: bool = False  # information never given (as opposed to failed or requested later)


def compute(account: dict, persons: list[dict], external_accounts: list[dict], state: dict, now: int) -> dict:
    rules = country_specs.rules(account["country"])
    due: list[Due] = []
    eventual: list[str] = []
    future: list[str] = []
    pending: list[str] = []
    requested = [name for name, cap in state.get("caps", {}).items() if cap.get("requested")]

    if requested:
        _account_fields(account, external_accounts, requested, due)
        if account.get("business_type") == "individual":
            individual = _individual_person(persons, state)
            _person_fields(individual or {}, "individual.", rules["individual"], rules, account, due, eventual, future)
        elif account.get("business_type"):
            _company_fields(account, persons, rules, due, eventual, future)
        _check_results(state.get("checks", {}), due, pending)
        _added(state, now, due)
        if state.get("charge_block") or state.get("payout_block"):
            # Trigger cards: "move any currently due requirements to overdue".
            for item in due:
                item.past_due = True

    flags = _flags(state, due, pending, requested)
    requirements = _lists(due, eventual, pending, account, flags, now)
    requirements["disabled_reason"] = _disabled_reason(state, flags, requirements, requested)
    future_requirements = empty_lists()
    future_requirements["eventually_due"] = sorted(set(future) - set(requirements["eventually_due"]))

    payouts_only = {d.key for d in due if d.blocks == "payouts"} - {d.key for d in due if d.blocks == "all"}
    capabilities = {
        name: _capability(name, flags, requirements, future_requirements, payouts_only) for name in requested
    }
    charges_capability = "card_payments" if "card_payments" in requested else "transfers"
    charges_enabled = (
        charges_capability in capabilities and capabilities[charges_capability]["status"] == "active"
    )
    # Payouts need everything verified; a rejection with payouts_action=none leaves them on.
    payouts_enabled = bool(
        requested
        and not any(flags[name] for name in ("blocking_past_due", "payouts_past_due", "pending", "listed", "inactivity"))
        and not state.get("payout_block")
        and not (state.get("rejected") and state.get("rejected_payouts_action", "pause") == "pause")
    )
    if charges_enabled and requirements["pending_verification"] and not requirements["current_deadline"]:
        requirements["current_deadline"] = account["created"] + THIRTY_DAYS
    return {
        "requirements": requirements,
        "future_requirements": future_requirements,
        "capabilities": capabilities,
        "charges_enabled": charges_enabled,
        "payouts_enabled": payouts_enabled,
        "details_submitted": bool(requested) and not any(d.missing for d in due if d.key != "external_account"),
        "persons": {
            person["id"]: _person_view(person, prefix_for(person, state), requirements, future_requirements, state)
            for person in persons
        },
    }


# What the account owes


def _account_fields(account: dict, external_accounts: list[dict], requested: list[str], due: list[Due]) -> None:
    profile = account.get("business_profile") or {}
    described = profile.get("url") or profile.get("product_description")
    missing = {
        "business_type": not account.get("business_type"),
        # Stripe classifies the business itself from its website or description.
        "business_profile.mcc": not (profile.get("mcc") or described),
        "business_profile.url": not described,
        "tos_acceptance.date": not dig(account, "tos_acceptance.date"),
        "tos_acceptance.ip": not dig(account, "tos_acceptance.ip"),
    }
    if "card_payments" in requested:
        missing["settings.payments.statement_descriptor"] = not dig(
            account, "settings.payments.statement_descriptor"
        )
        missing["settings.card_payments.statement_descriptor_prefix"] = not dig(
            account, "settings.card_payments.statement_descriptor_prefix"
        )
    due.extend(Due(key, missing=True) for key, is_missing in missing.items() if is_missing)
    if not external_accounts:
        due.append(Due("external_account", blocks="payouts", missing=True))


def _person_fields(person, prefix, role_rules, rules, account, due, eventual, future) -> None:
    for field in role_rules["current"]:
        if not _present(person, field, account):
            due.append(Due(prefix + field, missing=True))
    for field in role_rules["eventual"]:
        if not _present(person, field, account):
            eventual.append(prefix + field)
    # With only the last four digits of the SSN, the full number is asked for later.
    if rules["full_id_number_later"] and person.get("ssn_last_4_provided") and not person.get("id_number_provided"):
        future.append(prefix + "id_number")


def _company_fields(account, persons, rules, due, eventual, future) -> None:
    company = account.get("company") or {}
    for field in rules["company"]:
        present = company.get("tax_id_provided") if field == "tax_id" else dig(company, field)
        if not present:
            due.append(Due("company." + field, missing=True))

    def having(role):
        return [person for person in persons if dig(person, "relationship." + role)]

    representatives, owners = having("representative"), having("owner")
    ownership = sum(dig(person, "relationship.percent_ownership") or 0 for person in owners)
    if not company.get("owners_provided") and ownership < 100:
        due.append(Due("company.owners_provided", missing=True))
    roles = [("representative", representatives, False), ("owners", owners, company.get("owners_provided"))]
    if rules["directors"]:
        directors = having("director")
        if not company.get("directors_provided"):
            due.append(Due("company.directors_provided", missing=True))
        roles.append(("directors", directors, company.get("directors_provided")))
    for role, members, declared_none in roles:
        if not members and not declared_none:
            _person_fields({}, role + ".", rules[role], rules, account, due, eventual, [])

    for person in persons:
        merged = _merged_role_rules(person, rules)
        if merged["current"] or merged["eventual"]:
            _person_fields(person, "person_%s." % person["id"], merged, rules, account, due, eventual, future)


def _merged_role_rules(person: dict, rules: dict) -> dict:
    current: list[str] = []
    eventual: list[str] = []
    for role, flag in (("representative", "representative"), ("owners", "owner"), ("directors", "director")):
        if rules.get(role) and dig(person, "relationship." + flag):
            current += [f for f in rules[role]["current"] if f not in current]
            eventual += [f for f in rules[role]["eventual"] if f not in eventual]
    if not dig(person, "relationship.representative"):
        current = [f for f in current if f != "ssn_last_4"]
    return {"current": current, "eventual": [f for f in eventual if f not in current]}


def _check_results(checks: dict, due: list[Due], pending: list[str]) -> None:
    for check in checks.values():
        prefix = check["subject"]
        if check["status"] in ("pending", "paused"):
            pending.extend(prefix + field for field in check["pending"])
            continue
        for failure in check.get("errors", []):
            key = prefix + failure["field"]
            error = magic.error(failure["code"], key) if failure.get("code") else None
            due.append(Due(key, blocks=failure.get("blocks", "all"), error=error))


def _added(state: dict, now: int, due: list[Due]) -> None:
    for item in state.get("extras", []) + state.get("interventions", []):
        if item.get("resolved"):
            continue
        deadline = item.get("deadline")
        passed = item.get("past_due") or (deadline is not None and deadline <= now)
        due.append(Due(item["key"], past_due=bool(passed), deadline=deadline))


# Assembling the lists and the statuses


def _flags(state: dict, due: list[Due], pending: list[str], requested: list[str]) -> dict:
    return {
        "blocking_past_due": any(d.past_due and d.blocks == "all" for d in due),
        "payouts_past_due": any(d.past_due for d in due),
        "pending": bool(pending),
        "listed": any(check.get("listed") for check in state.get("checks", {}).values()),
        "inactivity": bool(state.get("inactivity")),
        "rejected": bool(state.get("rejected")),
        "charge_block": bool(state.get("charge_block")),
    }


def empty_lists() -> dict:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": [],
        "disabled_reason": None,
        "errors": [],
        "eventually_due": [],
        "past_due": [],
        "pending_verification": [],
    }


def _lists(due, eventual, pending, account, flags, now) -> dict:
    lists = empty_lists()
    currently_due = sorted({d.key for d in due})
    lists["currently_due"] = currently_due
    lists["past_due"] = sorted({d.key for d in due if d.past_due})
    lists["eventually_due"] = sorted(set(currently_due) | set(eventual))
    lists["pending_verification"] = sorted(set(pending))
    errors = {}
    for d in due:
        if d.error:
            errors.setdefault(d.key, d.error)
    lists["errors"] = [errors[key] for key in sorted(errors)]
    if "business_profile.url" in currently_due:
        lists["alternatives"] = [
            {
                "alternative_fields_due": ["business_profile.product_description"],
                "original_fields_due": ["business_profile.url"],
            }
        ]
    deadlines = [d.deadline for d in due if d.deadline is not None and d.deadline > now]
    if deadlines:
        lists["current_deadline"] = min(deadlines)
    elif lists["errors"]:
        lists["current_deadline"] = account["created"] + FOURTEEN_DAYS
    return lists


def _disabled_reason(state: dict, flags: dict, requirements: dict, requested: list[str]) -> str | None:
    if state.get("rejected"):
        return state["rejected"]
    if flags["listed"]:
        return "listed"
    if not requested:
        return "action_required.requested_capabilities"
    if requirements["past_due"]:
        return "requirements.past_due"
    if requirements["pending_verification"]:
        return "requirements.pending_verification"
    if flags["charge_block"] or state.get("payout_block"):
        return "other"
    return None


def _capability(name, flags, requirements, future_requirements, payouts_only) -> dict:
    if flags["rejected"]:
        status, reason = "inactive", "rejected"
    elif flags["listed"]:
        status, reason = "inactive", "listed"
    elif flags["blocking_past_due"] or (name == "card_payments" and flags["charge_block"]):
        status, reason = "inactive", "inactivity" if flags["inactivity"] else "fields"
    elif flags["pending"]:
        status, reason = ("inactive", "inactivity") if flags["inactivity"] else ("pending", "pending")
    else:
        status, reason = "active", None

    def without_payouts_only(lists):
        kept = dict(lists)
        for key in ("currently_due", "eventually_due", "past_due", "pending_verification"):
            kept[key] = [item for item in lists[key] if item not in payouts_only]
        kept["errors"] = [e for e in lists["errors"] if e["requirement"] not in payouts_only]
        return kept

    capability_requirements = without_payouts_only(requirements)
    capability_requirements["disabled_reason"] = CAPABILITY_REASONS.get(reason)
    return {
        "status": status,
        "requirements": capability_requirements,
        "future_requirements": without_payouts_only(future_requirements),
    }


# Persons


def _individual_person(persons: list[dict], state: dict) -> dict | None:
    for person in persons:
        if person["id"] == state.get("individual_person"):
            return person
    return None


def _is_individual_person(person: dict, account: dict) -> bool:
    return account.get("business_type") == "individual"


def prefix_for(person: dict, state: dict) -> str:
    if person["id"] == state.get("individual_person"):
        return "individual."
    return "person_%s." % person["id"]


def _present(person: dict, field: str, account: dict) -> bool:
    special = SPECIAL_PRESENCE.get(field)
    if special:
        return special(person, account)
    value = dig(person, field)
    return value is not None and value != ""


def _person_view(person, prefix, requirements, future_requirements, state) -> dict:
    def strip(lists):
        view = {
            key: [item[len(prefix):] for item in lists[key] if item.startswith(prefix)]
            for key in ("currently_due", "eventually_due", "past_due", "pending_verification")
        }
        view["alternatives"] = []
        view["errors"] = [
            {**error, "requirement": error["requirement"][len(prefix):]}
            for error in lists["errors"]
            if error["requirement"].startswith(prefix)
        ]
        return view

    identity = state.get("checks", {}).get(prefix + "identity")
    if identity is None:
        status = "unverified"
    elif identity["status"] in ("pending", "paused"):
        status = "pending"
    else:
        status = "unverified" if identity.get("errors") or identity.get("listed") else "verified"
    return {
        "requirements": strip(requirements),
        "future_requirements": strip(future_requirements),
        "verification_status": status,
        "details_code": identity.get("details_code") if identity else None,
    }


# Applying the engine to the stored objects


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
