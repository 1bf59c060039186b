"""Asynchronous verification: checks that sit in pending_verification, then pass or fail.

Each check looks at one subject ("individual.", "person_<id>.", "company." or the account
itself, "") and is restarted when its inputs change. Its outcome is decided at once from
the magic values (magic.py) but stays hidden until `verification_delay` seconds have passed
on the sandbox clock, except for the values Stripe documents as immediate, which resolve in
the create/update response. requirements.tick resolves due checks (`finish_due`) and lets
requirements.refresh emit the account.updated / capability.updated / person.updated events.

A check record lives in the account's private state:
    {"subject", "kind", "status": pending|paused|done, "due_at", "pending": [fields],
     "inputs": {...}, "result": {...} while pending, then "errors", "listed", "details_code"}
Sensitive inputs (id numbers, tax ids) are reduced to their magic outcome before they get here.
"""

from portal.sandbox import magic
from portal.sandbox.store import dig

ADDRESS_FAILURE_CODE = "verification_failed_address_match"


def record_secret_outcomes(state: dict, prefix: str, given: dict) -> None:
    """Keep only what the magic tables make of an id number / SSN last 4 / tax id."""
    outcomes = state.setdefault("secrets", {}).setdefault(prefix, {})
    classify = {
        "id_number": magic.id_number_outcome,
        "ssn_last_4": magic.ssn_last_4_outcome,
        "tax_id": magic.tax_id_outcome,
    }
    for field, outcome_of in classify.items():
        if given.get(field):
            outcomes[field] = outcome_of(given[field])


def forget(state: dict, prefix: str) -> None:
    state.get("secrets", {}).pop(prefix, None)
    state.get("address_levels", {}).pop(prefix, None)
    for check_id in [cid for cid, check in state.get("checks", {}).items() if check["subject"] == prefix]:
        del state["checks"][check_id]


# Starting checks


def verify_person(state: dict, prefix: str, person: dict, rules: dict, now: int, delay: float) -> None:
    secrets = state.get("secrets", {}).get(prefix, {})
    _identity(state, prefix, person, secrets, rules, now, delay)
    _address(state, prefix, person, rules, now, delay)


def verify_company(state: dict, company: dict, persons: list[dict], rules: dict, now: int, delay: float) -> None:
    secrets = state.get("secrets", {}).get("company.", {})
    _address(state, "company.", company, rules, now, delay)
    tax = secrets.get("tax_id")
    name = company.get("name")
    document = dig(company, "verification.document.front")
    if tax:
        errors = []
        if document:
            # A document showing the name and tax id settles what the keyed-in values could not.
            if magic.DOCUMENT_OUTCOMES.get(document) == magic.FAILED:
                errors.append({"field": "verification.document", "code": "verification_document_failed_test_mode"})
        else:
            if tax in magic.TAX_ID_ERRORS:
                errors.append({"field": "tax_id", "code": magic.TAX_ID_ERRORS[tax]})
            if name in magic.COMPANY_NAME_ERRORS:
                errors.append({"field": "name", "code": magic.COMPANY_NAME_ERRORS[name]})
        result = {"errors": errors, "non_profit": tax == magic.NON_PROFIT}
        immediate = tax == magic.IMMEDIATE and not errors
        inputs = {"tax": tax, "name": name, "document": document}
        pending = ["verification.document"] if document else ["tax_id"]
        _start(state, "company.", "tax_id", inputs, pending, result, immediate, now, delay)
    directors = sorted(
        person.get("first_name") or "" for person in persons if dig(person, "relationship.director")
    )
    codes = sorted({magic.DIRECTOR_NAME_ERRORS[name] for name in directors if name in magic.DIRECTOR_NAME_ERRORS})
    if directors:
        result = {"errors": [{"field": "directors_provided", "code": code} for code in codes]}
        _start(state, "company.", "directors", {"directors": directors}, [], result, False, now, delay)
    else:
        state.get("checks", {}).pop("company.directors", None)


def verify_business(state: dict, account: dict, now: int, delay: float) -> None:
    profile = account.get("business_profile") or {}
    descriptor = dig(account, "settings.payments.statement_descriptor")
    prefix = dig(account, "settings.card_payments.statement_descriptor_prefix")
    inputs = {
        "url": profile.get("url"),
        "name": profile.get("name"),
        "product_description": profile.get("product_description"),
        "descriptor": descriptor,
        "prefix": prefix,
    }
    errors = []
    host_code = magic.URL_HOST_ERRORS.get(magic.url_host(profile.get("url")))
    for field, code in (
        ("business_profile.url", host_code),
        ("business_profile.url", magic.PRODUCT_DESCRIPTION_ERRORS.get(profile.get("product_description"))),
        ("business_profile.name", magic.DBA_ERRORS.get(profile.get("name"))),
        ("settings.payments.statement_descriptor", magic.STATEMENT_DESCRIPTOR_ERRORS.get(descriptor)),
        (
            "settings.card_payments.statement_descriptor_prefix",
            magic.STATEMENT_DESCRIPTOR_PREFIX_ERRORS.get(prefix),
        ),
    ):
        if code:
            errors.append({"field": field, "code": code})
    inactive = magic.url_host(profile.get("url")) == magic.INACTIVITY_HOST
    if bool(state.get("inactivity")) != inactive:
        state["inactivity"] = inactive
        if not inactive:
            _resume_paused(state, now, delay)
    if any(inputs.values()):
        _start(state, "", "business_profile", inputs, [], {"errors": errors}, False, now, delay)


def verify_bank(state: dict, bank_id: str, ownership: str | None, documents: list[str], now: int, delay: float) -> None:
    """Bank account ownership verification (US test numbers 000999999991 / …992)."""
    check_id = "bank:" + bank_id
    if not ownership:
        state.get("checks", {}).pop(check_id, None)
        return
    needs_documents = ownership == "needs_documents" and not documents
    result = {
        "errors": [],
        "requests": ["documents.bank_account_ownership_verification.files"] if needs_documents else [],
    }
    inputs = {"bank": bank_id, "documents": documents}
    _start(state, "", "bank_ownership", inputs, ["external_account"], result, False, now, delay, check_id=check_id)
    # Ownership verification holds payouts back, not charges.
    state["checks"][check_id]["blocks"] = "payouts"


def _identity(state, prefix, person, secrets, rules, now, delay) -> None:
    document = dig(person, "verification.document.front")
    dob = magic.dob_outcome(person.get("dob"))
    keyed = secrets.get("id_number") or secrets.get("ssn_last_4")
    named = all(person.get(name) for name in rules.get("names", ("first_name", "last_name")))
    if not document and not (named and dob and (keyed or rules["identity"] is None)):
        state.get("checks", {}).pop(prefix + "identity", None)
        return
    if document:
        pending = ["verification.document"]
    elif person.get("id_number_provided"):
        pending = ["id_number", "verification.document"]
    elif keyed:
        pending = ["id_number"]
    else:
        pending = ["verification.document"]
    result, immediate = _identity_result(document, dob, keyed)
    inputs = {"name": [person.get(name) for name in rules.get("names", ("first_name", "last_name"))], "dob": person.get("dob"),
              "document": document, "keyed": keyed, "full": person.get("id_number_provided")}
    _start(state, prefix, "identity", inputs, pending, result, immediate, now, delay)


def _identity_result(document, dob, keyed) -> tuple[dict, bool]:
    # A test document outranks every keyed-in value (docs: "Images override ID numbers").
    if document:
        if magic.DOCUMENT_OUTCOMES.get(document) == magic.FAILED:
            return _identity_failure("verification_document_failed_test_mode", "document_failed_test_mode"), False
        return {"errors": []}, False
    if dob == magic.OFAC:
        return {"errors": [], "listed": True}, False
    if dob == magic.FAILED or keyed == magic.FAILED:
        return _identity_failure("verification_failed_keyed_identity", "failed_keyed_identity"), False
    return {"errors": []}, magic.IMMEDIATE in (dob, keyed)


def _identity_failure(code: str, details_code: str) -> dict:
    return {"errors": [{"field": "verification.document", "code": code}], "details_code": details_code}


def _address(state, prefix, holder, rules, now, delay) -> None:
    """The address check of a person or company: over `address`, or over each script's address
    where the country takes those (Japan: address_kana and address_kanji, line1 tokens in both)."""
    fields = rules["address"]
    if not all(dig(holder, field) for field in fields):
        state.get("checks", {}).pop(prefix + "address", None)
        return
    # You can only move to a more permissive address token later.
    reached = state.get("address_levels", {}).get(prefix, magic.ADDRESS_LINE1_NO_MATCH)
    holders = sorted({field.split(".", 1)[0] for field in fields})
    level = max(min(magic.address_level(dig(holder, name + ".line1")) for name in holders), reached)
    result = {"errors": _address_errors(level, rules), "level": level}
    inputs = {field.removeprefix("address."): dig(holder, field) for field in fields}
    _start(state, prefix, "address", inputs, list(rules["address"]), result, False, now, delay)


def _address_errors(level: int, rules: dict) -> list[dict]:
    if level == magic.ADDRESS_FULL_MATCH:
        return []
    if rules["address_failure"] == "document":
        return [{"field": "verification.additional_document", "code": ADDRESS_FAILURE_CODE}]
    if level == magic.ADDRESS_NO_MATCH:
        # Only line1 failed: charges stay on, payouts stop.
        return [{"field": "address.line1", "code": ADDRESS_FAILURE_CODE, "blocks": "payouts"}]
    return [{"field": field, "code": ADDRESS_FAILURE_CODE} for field in rules["address"]]


def _start(state, prefix, kind, inputs, pending, result, immediate, now, delay, check_id=None) -> None:
    checks = state.setdefault("checks", {})
    check_id = check_id or prefix + kind
    existing = checks.get(check_id)
    if existing and existing["inputs"] == inputs:
        return
    check = {"subject": prefix, "kind": kind, "inputs": inputs, "pending": pending, "result": result}
    checks[check_id] = check
    if immediate:
        _complete(state, check)
    else:
        check.update(status="pending", due_at=now + delay)


# Resolving checks


def _complete(state: dict, check: dict) -> None:
    result = check.pop("result", {})
    check["status"] = "done"
    check["errors"] = result.get("errors", []) + [
        {"field": field, "code": None, "blocks": "payouts"} for field in result.get("requests", [])
    ]
    check["listed"] = bool(result.get("listed"))
    check["details_code"] = result.get("details_code")
    if "level" in result:
        levels = state.setdefault("address_levels", {})
        levels[check["subject"]] = max(levels.get(check["subject"], 0), result["level"])


def _resume_paused(state: dict, now: int, delay: float) -> None:
    for check in state.get("checks", {}).values():
        if check["status"] == "paused":
            check.update(status="pending", due_at=now + delay)


def finish_due(state: dict, now: float) -> bool:
    """Resolve every pending check whose time has come; True if anything changed."""
    changed = False
    for check in state.get("checks", {}).values():
        if check["status"] != "pending" or check["due_at"] > now:
            continue
        if state.get("inactivity") and check["kind"] != "business_profile":
            check["status"] = "paused"
        else:
            _complete(state, check)
        changed = True
    return changed


def next_due(state: dict) -> float | None:
    times = [c["due_at"] for c in state.get("checks", {}).values() if c["status"] == "pending"]
    return min(times) if times else None
