"""Persons: the people behind an account (representative, owners, directors, executives).

An individual account has exactly one person, the representative, which the account shows
as `individual`; a company's persons are created through /v1/accounts/{id}/persons. Full id
numbers and SSN digits are never stored: the person keeps `id_number_provided` /
`ssn_last_4_provided`, and verification keeps only what the magic tables make of them.
"""

import datetime

from stripe.params import (
    AccountPersonCreateParams,
    AccountPersonDeleteParams,
    AccountPersonListParams,
    AccountPersonRetrieveParams,
    AccountPersonUpdateParams,
)

from portal.sandbox import country_specs, files, requirements, requirements_engine, verification
from portal.sandbox.protocol import Endpoint, apply_metadata, invalid_request, list_response, resource_missing

SENSITIVE = ("id_number", "id_number_secondary", "ssn_last_4")
# Parameters applied by hand below; everything else the SDK declares is copied as given.
HANDLED = SENSITIVE + (
    "metadata", "relationship", "verification", "dob", "phone", "additional_tos_acceptances",
    "documents", "person_token", "us_cfpb_data", "expand",
)
COMPANY_TYPES = ("company", "government_entity", "non_profit")


def _address() -> dict:
    return {"city": None, "country": None, "line1": None, "line2": None, "postal_code": None, "state": None}


def _document() -> dict:
    return {"back": None, "details": None, "details_code": None, "front": None}


def _lists() -> dict:
    return {"alternatives": [], "currently_due": [], "errors": [], "eventually_due": [], "past_due": [],
            "pending_verification": []}


def new_person(person_id: str, account_id: str, created: int) -> dict:
    return {
        "account": account_id,
        "additional_tos_acceptances": {"account": {"date": None, "ip": None, "user_agent": None}},
        "address": _address(),
        "created": created,
        "dob": {"day": None, "month": None, "year": None},
        "email": None,
        "first_name": None,
        "future_requirements": _lists(),
        "id": person_id,
        "id_number_provided": False,
        "last_name": None,
        "metadata": {},
        "object": "person",
        "phone": None,
        "relationship": {
            "authorizer": None,
            "director": False,
            "executive": False,
            "legal_guardian": False,
            "owner": False,
            "percent_ownership": None,
            "representative": False,
            "title": None,
        },
        "requirements": _lists(),
        "ssn_last_4_provided": False,
        "verification": {
            "additional_document": _document(),
            "details": None,
            "details_code": None,
            "document": _document(),
            "status": "unverified",
        },
    }


CALLING_CODES = {"US": 1, "CA": 1, "GB": 44, "DE": 49, "AU": 61, "FR": 33, "IE": 353, "NL": 31, "ES": 34, "IT": 39,
                 "BE": 32, "AT": 43, "CH": 41, "NZ": 64, "SG": 65, "JP": 81}


def normalize_phone(phone: str, country: str, param: str = "phone") -> str:
    """E.164 as Stripe stores it: the test phone 0000000000 becomes +10000000000 in the US."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.strip().startswith("+"):
        return "+" + digits
    if country == "US" and len(digits) == 10:
        return "+1" + digits
    calling_code = CALLING_CODES.get(country)
    if country not in ("US", "CA") and calling_code and digits.startswith("0"):
        return f"+{calling_code}" + digits[1:]  # the trunk 0 of a national number
    if country == "CA" and len(digits) == 10:
        return "+1" + digits
    if country not in ("US", "CA") and calling_code and 8 <= len(digits) <= 11:
        return f"+{calling_code}" + digits
    if country == "US" and len(digits) == 11 and digits.startswith("1"):
        return "+" + digits
    raise invalid_request(f"{phone} is not a valid phone number", param=param, code="invalid_phone_number")


def apply_person_params(person: dict, params: dict, country: str, param_prefix: str) -> None:
    for key, value in params.items():
        if key not in HANDLED:
            person[key] = _merge(person.get(key), value)
    for key in SENSITIVE:
        if params.get(key):
            _check_id_format(key, params[key], country, param_prefix)
            person[f"{key}_provided"] = True
    if "dob" in params:
        person["dob"] = _dob(params["dob"], param_prefix)
    if "phone" in params:
        phone = params["phone"]
        person["phone"] = normalize_phone(phone, country, _param(param_prefix, "phone")) if phone else None
    if "relationship" in params:
        relationship = dict(person["relationship"])
        for key, value in params["relationship"].items():
            relationship[key] = None if value == "" else value
        person["relationship"] = relationship
    for kind in ("document", "additional_document"):
        given = (params.get("verification") or {}).get(kind)
        if given:
            person["verification"][kind] = {**person["verification"][kind], **given}
    tos = (params.get("additional_tos_acceptances") or {}).get("account")
    if tos:
        person["additional_tos_acceptances"]["account"].update(tos)
    apply_metadata(person, params)


# US id numbers are SSNs / ITINs: nine digits, and their last four.
US_ID_DIGITS = {"id_number": 9, "ssn_last_4": 4}


def _check_id_format(key: str, value: str, country: str, param_prefix: str) -> None:
    digits = value.replace("-", "").replace(" ", "")
    wanted = US_ID_DIGITS.get(key) if country == "US" else None
    if wanted and not (digits.isdigit() and len(digits) == wanted):
        raise invalid_request(
            f"The {key.replace('_', ' ')} must be {wanted} digits.", param=_param(param_prefix, key)
        )


def _merge(current, given):
    if isinstance(current, dict) and isinstance(given, dict):
        return {**current, **given}
    return None if given == "" else given


def _dob(given, param_prefix: str) -> dict:
    if given == "":
        return {"day": None, "month": None, "year": None}
    try:
        born = datetime.date(given["year"], given["month"], given["day"])
    except (ValueError, KeyError, TypeError):
        raise invalid_request("Invalid date of birth.", param=_param(param_prefix, "dob[day]")) from None
    if born.year < 1900 or born > datetime.date.today():
        raise invalid_request(
            "Date of birth must be between 1900 and today.", param=_param(param_prefix, "dob[year]")
        )
    return {"day": born.day, "month": born.month, "year": born.year}


def _param(prefix: str, name: str) -> str:
    """The bracket name Stripe reports: ("individual", "dob[day]") -> "individual[dob][day]"."""
    if not prefix:
        return name
    head, bracket, rest = name.partition("[")
    return f"{prefix}[{head}]" + (bracket + rest if bracket else "")


# Shared with accounts.py: the individual of an individual account is a person too.


def record(sandbox, account: dict, person: dict, params: dict, state: dict) -> None:
    """Start verification for what `params` changed and mark re-sent requirements as met."""
    prefix = requirements_engine.prefix_for(person, state)
    rules = country_specs.rules(account["country"])
    delay = sandbox.config.verification_delay
    verification.record_secret_outcomes(state, prefix, params)
    verification.verify_person(state, prefix, person, rules, sandbox.now(), delay)
    requirements.note_provided(state, requirements.provided_keys(prefix, params))


def upsert_individual(sandbox, account: dict, params: dict, state: dict) -> dict:
    """Create or update the one person of an individual account from `individual[...]`."""
    store = sandbox.store
    person_id = state.get("individual_person")
    person = store.get(person_id, "person") if person_id else None
    created = person is None
    check_files(sandbox, params, "individual")
    if created:
        person = new_person(sandbox.new_id("person"), account["id"], sandbox.now())
        person["relationship"].update(representative=True, owner=True, executive=True, director=False)
        state["individual_person"] = person["id"]
    apply_person_params(person, params, account["country"], "individual")
    if created:
        store.create(person, owner=account["id"])
    else:
        store.save(person)
    record(sandbox, account, person, params, state)
    return person


def check_files(sandbox, params: dict, param_prefix: str) -> None:
    """Document fields name uploaded files (or Stripe's test file tokens); anything else is unknown."""
    for kind in ("document", "additional_document"):
        for side in ("front", "back"):
            file_id = ((params.get("verification") or {}).get(kind) or {}).get(side)
            if file_id:
                name = f"verification[{kind}][{side}]"
                check_file(sandbox, file_id, f"{param_prefix}[verification][{kind}][{side}]" if param_prefix else name)


def check_file(sandbox, file_id: str, param: str) -> None:
    if file_id in files.TEST_TOKENS or sandbox.store.get(file_id, "file") is not None:
        return
    raise invalid_request(f"No such file upload: '{file_id}'", param=param, code="resource_missing")


def drop_individual(sandbox, account: dict, state: dict) -> None:
    """An account that stops being an individual loses its individual (and what was verified of it)."""
    person_id = state.pop("individual_person")
    sandbox.store.delete(person_id)
    verification.forget(state, "individual.")
    account.pop("individual", None)


# Endpoints


def _account(call) -> dict:
    account_id = call.path["account"]
    account = call.sandbox.store.get(account_id, "account")
    if account is None or account_id == call.sandbox.store.meta("platform_account"):
        raise resource_missing("account", account_id, param="account")
    return account


def _person(call, account: dict) -> dict:
    person = call.sandbox.store.get(call.path["person"], "person")
    if person is None or person["account"] != account["id"]:
        raise resource_missing("person", call.path["person"])
    return person


def _reject_tokens(params: dict) -> None:
    if params.get("person_token"):
        raise resource_missing("token", params["person_token"], param="person_token")


def _single_representative(sandbox, account_id: str, keep: str) -> None:
    """An account has one representative: naming a new one unsets the previous one."""
    for other in sandbox.store.list("person", owner=account_id, where={"relationship.representative": True}):
        if other["id"] != keep:
            other["relationship"] = {**other["relationship"], "representative": False}
            sandbox.store.save(other)


def _after_change(call, account: dict, person: dict, params: dict, state: dict) -> None:
    sandbox = call.sandbox
    if (params.get("relationship") or {}).get("representative"):
        _single_representative(sandbox, account["id"], person["id"])
    record(sandbox, account, person, params, state)
    persons = sandbox.store.list("person", owner=account["id"])
    verification.verify_company(state, account.get("company") or {}, persons,
                                country_specs.rules(account["country"]), sandbox.now(),
                                sandbox.config.verification_delay)
    sandbox.store.set_private(account["id"], state)


def create_person(call) -> dict:
    sandbox, params = call.sandbox, call.params
    account = _account(call)
    _reject_tokens(params)
    if account.get("business_type") not in COMPANY_TYPES:
        raise invalid_request(
            "Persons can only be added to accounts whose business_type is company, government_entity "
            "or non_profit; an individual account's person is set through `individual`.",
            param="account",
        )
    check_files(sandbox, params, "")
    state = sandbox.store.private(account["id"])
    person = new_person(sandbox.new_id("person"), account["id"], sandbox.now())
    apply_person_params(person, params, account["country"], "")
    sandbox.store.create(person, owner=account["id"])
    _after_change(call, account, person, params, state)
    before = sandbox.store.get(account["id"])
    requirements.refresh(sandbox, account["id"], before=before, quiet_persons=(person["id"],))
    person = sandbox.store.get(person["id"])
    sandbox.emit("person.created", person, account=account["id"])
    return person


def update_person(call) -> dict:
    sandbox, params = call.sandbox, call.params
    account = _account(call)
    original = _person(call, account)
    _reject_tokens(params)
    check_files(sandbox, params, "")
    state = sandbox.store.private(account["id"])
    person = {**original, "verification": {**original["verification"]}}
    apply_person_params(person, params, account["country"], "")
    sandbox.store.save(person)
    _after_change(call, account, person, params, state)
    before = sandbox.store.get(account["id"])
    requirements.refresh(sandbox, account["id"], before=before, quiet_persons=(person["id"],))
    person = sandbox.store.get(person["id"])
    if person != original:
        sandbox.emit("person.updated", person, account=account["id"],
                     previous_attributes=requirements.previous_attributes(original, person))
    return person


def retrieve_person(call) -> dict:
    return _person(call, _account(call))


def list_persons(call) -> dict:
    account = _account(call)
    wanted = call.params.get("relationship") or {}
    persons = call.sandbox.store.list(
        "person",
        owner=account["id"],
        where=lambda p: all(bool(p["relationship"].get(k)) == v for k, v in wanted.items()),
    )
    return list_response(call, persons, f"/v1/accounts/{account['id']}/persons")


def delete_person(call) -> dict:
    sandbox = call.sandbox
    account = _account(call)
    person = _person(call, account)
    state = sandbox.store.private(account["id"])
    if person["id"] == state.get("individual_person"):
        raise invalid_request("You cannot delete the individual of an individual account.", param="person")
    prefix = requirements_engine.prefix_for(person, state)
    sandbox.store.delete(person["id"])
    verification.forget(state, prefix)
    sandbox.store.set_private(account["id"], state)
    requirements.refresh(sandbox, account["id"])
    sandbox.emit("person.deleted", person, account=account["id"])
    return {"deleted": True, "id": person["id"], "object": "person"}


PERSONS = "/v1/accounts/{account}/persons"
ROUTES = [
    Endpoint("POST", PERSONS, create_person, AccountPersonCreateParams),
    Endpoint("GET", PERSONS, list_persons, AccountPersonListParams),
    Endpoint("GET", PERSONS + "/{person}", retrieve_person, AccountPersonRetrieveParams),
    Endpoint("POST", PERSONS + "/{person}", update_person, AccountPersonUpdateParams),
    Endpoint("DELETE", PERSONS + "/{person}", delete_person, AccountPersonDeleteParams),
]
