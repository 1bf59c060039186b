"""Accounts v2 (`/v2/core/accounts`, persons, account links): a second view of the same accounts.

One store, two views, as Stripe describes it: "You can still pass the ID of a v2 Account to an
Accounts v1 API endpoint … the response is structured as a v1 Account, but any updates still
apply to the corresponding properties of the v2 object." So a v2 request is translated into the
v1 parameters it means and run through the v1 handlers (the same checks, verification,
requirements and events), and the answer is the stored account rendered in v2's shape
(`v2.core.account`, RFC 3339 times, sections `null` unless named in `include`). What v2 holds
that v1 has no field for (dashboard, display name, the configurations applied) is kept in the
account's private state.

Shapes follow stripe-python 16.1's `stripe/v2/core/_account.py`, `_account_person.py`,
`_account_link.py`; parameters are held to its `stripe.params.v2.core` TypedDicts.
"""

import copy
from typing import NotRequired

from stripe.params.v2.core import (
    AccountCloseParams,
    AccountCreateParams,
    AccountLinkCreateParams,
    AccountListParams,
    AccountRetrieveParams,
    AccountUpdateParams,
)
from stripe.params.v2.core.accounts import (
    PersonCreateParams,
    PersonDeleteParams,
    PersonListParams,
    PersonRetrieveParams,
    PersonUpdateParams,
)

from portal.sandbox import accounts, events_v2, links, persons
from portal.sandbox.protocol import (
    Call,
    Endpoint,
    StripeError,
    invalid_request,
    resource_missing,
    rfc3339,
    seconds,
    v2_page as page,
)


class PagedAccountListParams(AccountListParams):
    page: NotRequired[str]  # the token in `next_page_url` (the SDK follows that URL verbatim)


class PagedPersonListParams(PersonListParams):
    page: NotRequired[str]


# params.py resolves a TypedDict's names in its module: these inherit names from the SDK's.
PagedAccountListParams.__module__ = AccountListParams.__module__
PagedPersonListParams.__module__ = PersonListParams.__module__


# v1 keys and parameter paths in v2's words (the portal's adapter reads them back).
V1_TO_V2_PREFIXES = (
    ("tos_acceptance", "identity.attestations.terms_of_service.account"),
    ("company.owners_provided", "identity.attestations.persons_provided.owners"),
    ("company.directors_provided", "identity.attestations.persons_provided.directors"),
    ("company.executives_provided", "identity.attestations.persons_provided.executives"),
    ("company.name", "identity.business_details.registered_name"),
    ("company.tax_id", "identity.business_details.id_numbers"),
    ("company.verification.document", "identity.business_details.documents"),
    ("company", "identity.business_details"),
    ("business_type", "identity.entity_type"),
    ("business_profile.url", "defaults.profile.business_url"),
    ("business_profile.product_description", "defaults.profile.product_description"),
    ("business_profile.name", "defaults.profile.doing_business_as"),
    ("business_profile.mcc", "configuration.merchant.mcc"),
    ("settings.payments.statement_descriptor", "configuration.merchant.statement_descriptor"),
    ("business_profile.support_phone", "configuration.merchant.support.phone"),
    ("business_profile.support_email", "configuration.merchant.support.email"),
)
PERSON_FIELDS = {"first_name": "given_name", "last_name": "surname", "dob": "date_of_birth",
                 "ssn_last_4": "id_numbers.us_ssn_last_4", "id_number": "id_numbers"}


def v2_description(key: str) -> tuple[str, dict | None]:
    """(description, reference) of a v1 requirement key or parameter path, in v2's words."""
    head, _, rest = key.partition(".")
    if head.startswith("person_"):
        return _person_path(rest), {"type": "person", "resource": head}
    if head == "individual":
        return "identity.individual." + _person_path(rest), None
    for v1, v2 in V1_TO_V2_PREFIXES:
        if key == v1 or key.startswith(v1 + "."):
            return v2 + key[len(v1):], None
    return key, None


def _person_path(rest: str) -> str:
    first, _, tail = rest.partition(".")
    return PERSON_FIELDS.get(first, first) + ("." + tail if tail else "")


def _dotted(param: str) -> str:
    return param.replace("][", ".").replace("[", ".").rstrip("]")


# v2 parameters -> the v1 parameters they mean


def _address(given: dict | None) -> dict | None:
    if given is None:
        return None
    return {key: given[key] for key in ("line1", "line2", "city", "state", "postal_code", "country") if key in given}


def _dob(given: dict) -> dict:
    return {key: given[key] for key in ("day", "month", "year") if key in given}


def person_params(given: dict) -> dict:
    """v2 person fields (identity.individual or a person) as v1 person parameters."""
    out: dict = {}
    for v2, v1 in (("given_name", "first_name"), ("surname", "last_name"), ("email", "email"), ("phone", "phone"),
                   ("political_exposure", "political_exposure")):
        if v2 in given:
            out[v1] = given[v2]
    if "address" in given:
        out["address"] = _address(given["address"])
    if "date_of_birth" in given:
        out["dob"] = _dob(given["date_of_birth"])
    for number in given.get("id_numbers") or []:
        out["ssn_last_4" if number.get("type") == "us_ssn_last_4" else "id_number"] = number["value"]
    relationship = {key: value for key, value in (given.get("relationship") or {}).items()
                    if key in ("director", "executive", "owner", "percent_ownership", "representative", "title")}
    if relationship.get("percent_ownership") is not None:
        relationship["percent_ownership"] = float(relationship["percent_ownership"])  # v2 sends a decimal string
    if relationship:
        out["relationship"] = relationship
    if "metadata" in given:
        out["metadata"] = given["metadata"]
    documents = given.get("documents") or {}
    primary = ((documents.get("primary_verification") or {}).get("front_back") or {})
    if primary:
        out["verification"] = {"document": {side: primary[side] for side in ("front", "back") if side in primary}}
    return out


def account_params(given: dict, *, creating: bool) -> dict:
    out: dict = {}
    identity = given.get("identity") or {}
    if creating:
        out["country"] = (identity.get("country") or "US").upper()
    elif "country" in identity:
        raise invalid_request("You cannot change `identity.country` once the account has been created.",
                              param="identity.country")
    if identity.get("entity_type"):
        out["business_type"] = identity["entity_type"]
    business = identity.get("business_details") or {}
    company: dict = {}
    if "registered_name" in business:
        company["name"] = business["registered_name"]
    if "address" in business:
        company["address"] = _address(business["address"])
    if "phone" in business:
        company["phone"] = business["phone"]
    if "structure" in business:
        company["structure"] = business["structure"]
    for number in business.get("id_numbers") or []:
        company["tax_id"] = number["value"]
    provided = (identity.get("attestations") or {}).get("persons_provided") or {}
    for kind in ("owners", "directors", "executives"):
        if kind in provided:
            company[f"{kind}_provided"] = provided[kind]
    if company:
        out["company"] = company
    if identity.get("individual"):
        out["individual"] = person_params(identity["individual"])
    tos = ((identity.get("attestations") or {}).get("terms_of_service") or {}).get("account")
    if tos:
        out["tos_acceptance"] = {key: value for key, value in (("date", seconds(tos["date"]) if tos.get("date") else None),
                                                              ("ip", tos.get("ip")), ("user_agent", tos.get("user_agent")))
                                 if value is not None}
    if "contact_email" in given:
        out["email"] = given["contact_email"]
    profile: dict = {}
    defaults = given.get("defaults") or {}
    if defaults.get("currency"):
        out["default_currency"] = defaults["currency"]
    for v2, v1 in (("business_url", "url"), ("product_description", "product_description"), ("doing_business_as", "name")):
        if v2 in (defaults.get("profile") or {}):
            profile[v1] = defaults["profile"][v2]
    configuration = given.get("configuration") or {}
    merchant, recipient = configuration.get("merchant"), configuration.get("recipient")
    capabilities: dict = {}
    if merchant is not None:
        if "mcc" in merchant:
            profile["mcc"] = merchant["mcc"]
        support = merchant.get("support") or {}
        for key in ("email", "phone", "url"):
            if key in support:
                profile[f"support_{key}"] = support[key]
        descriptor = (merchant.get("statement_descriptor") or {}).get("descriptor")
        if descriptor:
            out["settings"] = {"payments": {"statement_descriptor": descriptor}}
        card = (merchant.get("capabilities") or {}).get("card_payments")
        if card and "requested" in card:
            capabilities["card_payments"] = {"requested": card["requested"]}
        if merchant.get("applied", True):
            # v1 pays out through `transfers`; v2's merchant configuration carries
            # stripe_balance.payouts with it (answered in the response, not requested).
            capabilities.setdefault("transfers", {"requested": True})
    if recipient is not None:
        transfers = (((recipient.get("capabilities") or {}).get("stripe_balance") or {}).get("stripe_transfers") or {})
        if "requested" in transfers:
            capabilities["transfers"] = {"requested": transfers["requested"]}
        if creating and merchant is None:
            out.setdefault("tos_acceptance", {})["service_agreement"] = "recipient"
    if capabilities:
        out["capabilities"] = capabilities
    if profile:
        out["business_profile"] = profile
    if "metadata" in given:
        out["metadata"] = given["metadata"]
    return out


def controller(given: dict) -> dict:
    """v2's responsibilities and dashboard as v1's controller (they are the same settings)."""
    responsibilities = (given.get("defaults") or {}).get("responsibilities")
    dashboard = given.get("dashboard") or "full"
    if responsibilities is None:
        if (given.get("configuration") or {}).get("merchant") is not None:
            raise invalid_request("You must set `defaults.responsibilities` when you add the merchant configuration.",
                                  param="defaults.responsibilities", code="parameter_missing")
        responsibilities = {"fees_collector": "stripe", "losses_collector": "stripe"}
    fees, losses = responsibilities["fees_collector"], responsibilities["losses_collector"]
    if losses == "application" and fees != "application":
        raise invalid_request("When `losses_collector` is `application`, `fees_collector` must be `application`.",
                              param="defaults.responsibilities.fees_collector")
    collector = "application" if losses == "application" and dashboard == "none" else "stripe"
    return {"requirement_collection": collector, "losses": {"payments": losses},
            "fees": {"payer": "application" if fees.startswith("application") else "account"},
            "stripe_dashboard": {"type": dashboard}}


# Running the v1 handler for a v2 request


def _v1(call: Call, handler, params: dict, path: dict):
    inner = copy.copy(call)
    inner.params, inner.path = params, path
    try:
        return handler(inner)
    except StripeError as error:
        if error.param:
            error.param = v2_description(_dotted(error.param))[0]
        raise


def _include(call: Call) -> list[str]:
    return list(call.params.get("include") or [])


# The v2 account


CAPABILITY_STATUS = {"active": "active", "pending": "pending", "inactive": "restricted"}


def _capability(account: dict, name: str) -> dict | None:
    status = (account.get("capabilities") or {}).get(name)
    if status is None:
        return None
    details = [] if status == "active" else [{"code": "requirements_past_due" if (account["requirements"].get("past_due"))
                                              else "requirements_pending_verification" if status == "pending"
                                              else "requirements_currently_due", "resolution": "provide_info"}]
    return {"status": CAPABILITY_STATUS.get(status, "restricted"), "status_details": details}


def _requirements(account: dict, source: str) -> dict:
    lists = account.get(source) or {}
    errors: dict[str, list] = {}
    for error in lists.get("errors") or []:
        errors.setdefault(error["requirement"], []).append({"code": error["code"], "description": error["reason"]})
    restricted = [name for name, status in (account.get("capabilities") or {}).items() if status != "active"]
    entries, seen = [], set()
    for name, status, awaiting in (("past_due", "past_due", "user"), ("currently_due", "currently_due", "user"),
                                   ("eventually_due", "eventually_due", "user"),
                                   ("pending_verification", "currently_due", "stripe")):
        for key in lists.get(name) or []:
            if (key, awaiting) in seen:
                continue
            seen.add((key, awaiting))
            description, reference = v2_description(key)
            impact = [{"capability": "stripe_balance.payouts" if capability == "transfers" else capability,
                       "configuration": "merchant", "deadline": {"status": status}}
                      for capability in restricted if status != "eventually_due"]
            entries.append({"awaiting_action_from": awaiting, "description": description,
                            "errors": errors.get(key, []), "impact": {"restricts_capabilities": impact or None},
                            "minimum_deadline": {"status": status}, "reference": reference,
                            "requested_reasons": [{"code": "routine_onboarding"}]})
    worst = next((s for s in ("past_due", "currently_due", "eventually_due")
                  if any(e["minimum_deadline"]["status"] == s for e in entries)), None)
    summary = {"minimum_deadline": {"status": worst, "time": rfc3339(lists.get("current_deadline"))}} if worst else None
    block = {"entries": entries, "summary": summary}
    if source == "future_requirements":
        block["minimum_transition_date"] = rfc3339(lists.get("current_deadline"))
    return block


def _relationship(held: dict | None) -> dict | None:
    if not held:
        return held
    share = held.get("percent_ownership")
    return {**held, "percent_ownership": None if share is None else f"{share:g}"}  # v2: a decimal string


def _person_fields(person: dict) -> dict:
    dob = person.get("dob") or {}
    return {
        "given_name": person.get("first_name"), "surname": person.get("last_name"), "email": person.get("email"),
        "phone": person.get("phone"), "address": person.get("address"),
        "date_of_birth": dob if dob.get("year") else None,
        "id_numbers": [{"type": "us_ssn_last_4"}] if person.get("ssn_last_4_provided") else
                      [{"type": "id_number"}] if person.get("id_number_provided") else None,
        "relationship": _relationship(person.get("relationship")),
        "political_exposure": person.get("political_exposure"),
    }


def view(sandbox, account: dict, include: list[str]) -> dict:
    state = sandbox.store.private(account["id"])
    v2 = state.get("v2") or {}
    ctl = account.get("controller") or {}
    configurations = v2.get("configurations") or (["merchant"] if (account.get("capabilities") or {}).get("card_payments")
                                                  else ["recipient"])
    tos = account.get("tos_acceptance") or {}
    company = account.get("company") or {}
    body = {
        "id": account["id"], "object": "v2.core.account", "applied_configurations": configurations,
        "closed": bool(v2.get("closed")), "contact_email": account.get("email"), "contact_phone": None,
        "created": rfc3339(account["created"]), "dashboard": (ctl.get("stripe_dashboard") or {}).get("type") or "full",
        "display_name": v2.get("display_name") or (account.get("business_profile") or {}).get("name"),
        "livemode": False, "metadata": account.get("metadata") or {},
        "configuration": None, "defaults": None, "identity": None, "requirements": None, "future_requirements": None,
    }
    if any(name.startswith("configuration") for name in include):
        profile = account.get("business_profile") or {}
        merchant = {
            "applied": "merchant" in configurations,
            "capabilities": {"card_payments": _capability(account, "card_payments"),
                             "stripe_balance": {"payouts": _capability(account, "transfers")}},
            "mcc": profile.get("mcc"),
            "statement_descriptor": {"descriptor": ((account.get("settings") or {}).get("payments") or {}).get(
                "statement_descriptor"), "prefix": None},
            "support": {"email": profile.get("support_email"), "phone": profile.get("support_phone"),
                        "url": profile.get("support_url"), "address": profile.get("support_address")},
        }
        recipient = {"applied": "recipient" in configurations,
                     "capabilities": {"stripe_balance": {"stripe_transfers": _capability(account, "transfers")}}}
        body["configuration"] = {
            "customer": None,
            "merchant": merchant if "configuration.merchant" in include and "merchant" in configurations else None,
            "recipient": recipient if "configuration.recipient" in include and "recipient" in configurations else None,
        }
    if "defaults" in include:
        fees = "application" if (ctl.get("fees") or {}).get("payer") == "application" else "stripe"
        profile = account.get("business_profile") or {}
        body["defaults"] = {
            "currency": account.get("default_currency"), "locales": [],
            "profile": {"business_url": profile.get("url"), "doing_business_as": profile.get("name"),
                        "product_description": profile.get("product_description")},
            "responsibilities": {"fees_collector": fees, "losses_collector": (ctl.get("losses") or {}).get("payments"),
                                 "requirements_collector": ctl.get("requirement_collection")},
        }
    if "identity" in include:
        individual = account.get("individual")
        body["identity"] = {
            "country": account["country"], "entity_type": account.get("business_type"),
            "attestations": {"terms_of_service": {"account": {
                "date": rfc3339(tos.get("date")), "ip": tos.get("ip"), "user_agent": tos.get("user_agent")}
                if tos.get("date") else None},
                "persons_provided": {kind: company.get(f"{kind}_provided") for kind in ("owners", "directors", "executives")}
                if company else None},
            "business_details": {
                "registered_name": company.get("name"), "address": company.get("address"), "phone": company.get("phone"),
                "structure": company.get("structure"),
                "id_numbers": [{"type": "tax_id"}] if company.get("tax_id_provided") else None,
            } if company else None,
            "individual": {"id": individual["id"], "object": "v2.core.account_person", "account": account["id"],
                           **_person_fields(individual)} if individual else None,
        }
    for source in ("requirements", "future_requirements"):
        if source in include:
            body[source] = _requirements(account, source)
    return body


def _account(call: Call) -> dict:
    account = call.sandbox.store.get(call.path["account"], "account")
    if account is None or call.path["account"] == call.sandbox.store.meta("platform_account"):
        raise resource_missing("account", call.path["account"])
    return account


def _remember_v2(sandbox, account_id: str, given: dict, *, creating: bool) -> None:
    state = sandbox.store.private(account_id)
    v2 = dict(state.get("v2") or {})
    if creating:
        configuration = given.get("configuration") or {}
        v2["configurations"] = [name for name in ("customer", "merchant", "recipient") if name in configuration]
    for name, settings in (given.get("configuration") or {}).items():
        if not creating and isinstance(settings, dict) and "applied" in settings:
            applied = set(v2.get("configurations") or [])
            (applied.add if settings["applied"] else applied.discard)(name)
            v2["configurations"] = sorted(applied)
    if "display_name" in given:
        v2["display_name"] = given["display_name"]
    state["v2"] = v2
    sandbox.store.set_private(account_id, state)


def create_account(call: Call) -> dict:
    params = call.params
    v1 = account_params(params, creating=True)
    v1["controller"] = controller(params)
    created = _v1(call, accounts.create_account, v1, {})
    _remember_v2(call.sandbox, created["id"], params, creating=True)
    events_v2.emit(call.sandbox, "v2.core.account.created", created["id"], "v2.core.account",
                   f"/v2/core/accounts/{created['id']}", created["id"])
    return view(call.sandbox, call.sandbox.store.get(created["id"]), _include(call))


def retrieve_account(call: Call) -> dict:
    return view(call.sandbox, _account(call), _include(call))


def update_account(call: Call) -> dict:
    params = call.params
    account = _account(call)
    if (params.get("defaults") or {}).get("responsibilities"):
        raise invalid_request("You can't update `defaults.responsibilities` after they are set.",
                              param="defaults.responsibilities")
    if "dashboard" in params:
        raise invalid_request("You can't change `dashboard` once the account has been created.", param="dashboard")
    v1 = account_params(params, creating=False)
    if v1:
        _v1(call, accounts.update_account, v1, {"account": account["id"]})
    _remember_v2(call.sandbox, account["id"], params, creating=False)
    return view(call.sandbox, call.sandbox.store.get(account["id"]), _include(call))


def close_account(call: Call) -> dict:
    account = _account(call)
    state = call.sandbox.store.private(account["id"])
    state["v2"] = {**(state.get("v2") or {}), "closed": True}
    call.sandbox.store.set_private(account["id"], state)
    events_v2.emit(call.sandbox, "v2.core.account.closed", account["id"], "v2.core.account",
                   f"/v2/core/accounts/{account['id']}", account["id"])
    return view(call.sandbox, account, [])


def list_accounts(call: Call) -> dict:
    platform = call.sandbox.store.meta("platform_account")
    wanted = set(call.params.get("applied_configurations") or [])
    found = []
    for account in call.sandbox.store.list("account"):
        if account["id"] == platform:
            continue
        shown = view(call.sandbox, account, [])
        if shown["closed"] != bool(call.params.get("closed", False)) or not wanted <= set(shown["applied_configurations"]):
            continue
        found.append(shown)
    return page(call, found, "/v2/core/accounts")


# Persons


def person_view(person: dict) -> dict:
    return {
        "id": person["id"], "object": "v2.core.account_person", "account": person["account"],
        "created": rfc3339(person["created"]), "updated": rfc3339(person.get("updated", person["created"])),
        "livemode": False, "metadata": person.get("metadata") or {},
        "additional_terms_of_service": None, **_person_fields(person),
    }


def create_person(call: Call) -> dict:
    account = _account(call)
    return person_view(_v1(call, persons.create_person, person_params(call.params), {"account": account["id"]}))


def update_person(call: Call) -> dict:
    account = _account(call)
    return person_view(_v1(call, persons.update_person, person_params(call.params),
                           {"account": account["id"], "person": call.path["person"]}))


def retrieve_person(call: Call) -> dict:
    account = _account(call)
    return person_view(_v1(call, persons.retrieve_person, {}, {"account": account["id"], "person": call.path["person"]}))


def delete_person(call: Call) -> dict:
    account = _account(call)
    _v1(call, persons.delete_person, {}, {"account": account["id"], "person": call.path["person"]})
    return {"id": call.path["person"], "object": "v2.core.account_person", "deleted": True}


def list_persons(call: Call) -> dict:
    account = _account(call)
    found = [person_view(p) for p in call.sandbox.store.list("person", owner=account["id"])]
    return page(call, found, f"/v2/core/accounts/{account['id']}/persons")


# Account links


def create_account_link(call: Call) -> dict:
    use_case = call.params["use_case"]
    kind = use_case["type"]
    options = use_case.get(kind) or {}
    if "refresh_url" not in options:
        raise invalid_request("Missing required param: refresh_url.", param=f"use_case.{kind}.refresh_url",
                              code="parameter_missing")
    v1 = {"account": call.params["account"], "type": kind, "refresh_url": options["refresh_url"],
          "return_url": options.get("return_url") or options["refresh_url"]}
    if options.get("collection_options"):
        v1["collection_options"] = options["collection_options"]
    made = _v1(call, links.create_account_link, v1, {})
    return {"object": "v2.core.account_link", "account": call.params["account"], "created": rfc3339(made["created"]),
            "expires_at": rfc3339(made["expires_at"]), "livemode": False, "url": made["url"],
            "use_case": {"type": kind, kind: {**options, "collection_options": options.get("collection_options")}}}


ACCOUNT = "/v2/core/accounts/{account}"
PERSONS = ACCOUNT + "/persons"
ROUTES = [
    Endpoint("POST", "/v2/core/accounts", create_account, AccountCreateParams),
    Endpoint("GET", "/v2/core/accounts", list_accounts, PagedAccountListParams),
    Endpoint("GET", ACCOUNT, retrieve_account, AccountRetrieveParams),
    Endpoint("POST", ACCOUNT, update_account, AccountUpdateParams),
    Endpoint("POST", ACCOUNT + "/close", close_account, AccountCloseParams),
    Endpoint("POST", PERSONS, create_person, PersonCreateParams),
    Endpoint("GET", PERSONS, list_persons, PagedPersonListParams),
    Endpoint("GET", PERSONS + "/{person}", retrieve_person, PersonRetrieveParams),
    Endpoint("POST", PERSONS + "/{person}", update_person, PersonUpdateParams),
    Endpoint("DELETE", PERSONS + "/{person}", delete_person, PersonDeleteParams),
    Endpoint("POST", "/v2/core/account_links", create_account_link, AccountLinkCreateParams),
]
