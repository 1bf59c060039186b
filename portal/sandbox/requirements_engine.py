"""The requirements engine: what an account still owes Stripe, and what it may do meanwhile.

`compute` is pure: given an account, its persons and external accounts, and the sandbox's
private state for it (requested capabilities, verification checks, requirements added by
test helpers, rejection), it returns `requirements`, `future_requirements`, each
capability's status and requirements, each person's requirements, and the enabled flags,
following what Stripe's test mode recorded (reference C11): currently_due and past_due move
together unless a deadline is set, company fields come as `representative.*` / `owners.*`
until persons exist and as `person_<id>.*` after, and a missing bank account only blocks
payouts. Which fields each account and person owes comes from country_specs.RULES.
"""

from dataclasses import dataclass

from portal.sandbox import country_specs, magic
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

# Fields that can be answered with other fields instead: a product description for a website,
# a document for a tax id Stripe could not verify.
ALTERNATIVES = {
    "business_profile.url": ("business_profile.product_description",),
    "company.tax_id": ("company.verification.document",),
}

# Any of these flags keeps payouts off.
PAYOUT_BLOCKERS = ("blocking_past_due", "payouts_past_due", "pending", "listed", "inactivity")

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
    pending_payouts: list[str] = []  # under review, but only payouts wait for it (bank ownership)
    requested = [name for name, cap in state.get("caps", {}).items() if cap.get("requested")]

    if requested:
        _account_fields(account, external_accounts, requested, due)
        if account.get("business_type") == "individual":
            individual = _individual_person(persons, state)
            _person_fields(individual or {}, "individual.", rules["individual"], rules, account, due, eventual, future)
        elif account.get("business_type"):
            _company_fields(account, persons, rules, due, eventual, future)
        _check_results(state.get("checks", {}), due, pending, pending_payouts)
        _added(state, now, due)
        if state.get("charge_block") or state.get("payout_block"):
            # Trigger cards: "move any currently due requirements to overdue".
            for item in due:
                item.past_due = True

    flags = _flags(state, due, pending, requested)
    requirements = _lists(due, eventual, pending + pending_payouts, account, flags, now)
    requirements["disabled_reason"] = _disabled_reason(state, flags, requirements, requested)
    future_requirements = empty_lists()
    future_requirements["eventually_due"] = sorted(set(future) - set(requirements["eventually_due"]))

    payouts_only = ({d.key for d in due if d.blocks == "payouts"} | set(pending_payouts)) - (
        {d.key for d in due if d.blocks == "all"} | set(pending)
    )
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
        and not any(flags[name] for name in PAYOUT_BLOCKERS)
        and not pending_payouts
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
            _person_fields(person, person["id"] + ".", merged, rules, account, due, eventual, future)


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


def _check_results(checks: dict, due: list[Due], pending: list[str], pending_payouts: list[str]) -> None:
    for check in checks.values():
        prefix = check["subject"]
        if check["status"] in ("pending", "paused"):
            waiting = pending_payouts if check.get("blocks") == "payouts" else pending
            waiting.extend(prefix + field for field in check["pending"])
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
        error = magic.error(item["code"], item["key"]) if item.get("code") else None
        due.append(Due(item["key"], past_due=bool(passed), deadline=deadline, error=error))


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
    lists["alternatives"] = [
        {"alternative_fields_due": list(instead), "original_fields_due": [key]}
        for key, instead in ALTERNATIVES.items()
        if key in currently_due
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
    elif flags["blocking_past_due"]:
        status, reason = "inactive", "inactivity" if flags["inactivity"] else "fields"
    elif name == "card_payments" and flags["charge_block"]:
        status, reason = "inactive", "listed"  # a charge block with nothing due: "other"
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
    # Stripe's keys start with the person's id, which itself begins `person_`.
    return person["id"] + "."


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
