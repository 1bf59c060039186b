"""Connected accounts (and the platform's own account): create, retrieve, update, list, delete,
reject / unreject, and capabilities.

Each write applies its parameters, restarts the verification checks whose inputs changed,
then lets requirements.refresh recompute requirements, capabilities and the enabled flags
and emit one account.updated (with previous_attributes) plus capability.updated / person.*
events. Settings follow what Stripe's test mode returned: payouts daily with a 2 day delay,
`debit_negative_balances` false when the platform collects requirements, the statement
descriptor derived from the business name or the website's host.
"""

import copy
import ipaddress

from stripe.params import (
    AccountCreateParams,
    AccountDeleteParams,
    AccountListParams,
    AccountRejectParams,
    AccountRetrieveCurrentParams,
    AccountRetrieveParams,
    AccountUnrejectParams,
    AccountUpdateParams,
)

from portal.sandbox import (
    capabilities,
    country_specs,
    external_accounts,
    persons,
    requirements,
    requirements_engine,
    settings,
    verification,
)
from portal.sandbox import controller as controllers
from portal.sandbox.protocol import Endpoint, apply_metadata, invalid_request, list_response, resource_missing

COMPANY_TYPES = persons.COMPANY_TYPES
TOS_EARLIEST = 1230768000  # 2009-01-01
TOS_DATE_MESSAGE = (
    "ToS acceptance date is not valid. Dates are expected to be integers, measured in seconds, "
    "not in the future, and after 2009."
)
# Stripe's reject reasons since 2026-09-30 (the generic `fraud` is gone), and what each disables.
REJECTIONS = {
    "fraud_no_intent_to_fulfill": "rejected.platform_fraud",
    "fraud_other": "rejected.platform_fraud",
    "fraud_payment_method_casher": "rejected.platform_fraud",
    "fraud_payment_method_tester": "rejected.platform_fraud",
    "terms_of_service": "rejected.platform_terms_of_service",
    "credit": "rejected.platform_other",
    "other": "rejected.platform_other",
}


def _empty_address() -> dict:
    return {"city": None, "country": None, "line1": None, "line2": None, "postal_code": None, "state": None}


def new_account(account_id: str, created: int, country: str, controller: dict) -> dict:
    return {
        "id": account_id,
        "object": "account",
        "business_profile": {
            "annual_revenue": {"amount": None, "currency": None, "fiscal_year_end": None},
            "estimated_worker_count": None,
            "mcc": None,
            "minority_owned_business_designation": None,
            "name": None,
            "product_description": None,
            "support_address": _empty_address(),
            "support_email": None,
            "support_phone": None,
            "support_url": None,
            "url": None,
        },
        "business_type": None,
        "capabilities": {},
        "charges_enabled": False,
        "controller": controller,
        "country": country,
        "created": created,
        "default_currency": country_specs.default_currency(country),
        "details_submitted": False,
        "email": None,
        "external_accounts": {"data": [], "has_more": False, "object": "list",
                              "url": f"/v1/accounts/{account_id}/external_accounts"},
        "future_requirements": requirements_engine.empty_lists(),
        "metadata": {},
        "payouts_enabled": False,
        "requirements": requirements_engine.empty_lists(),
        "settings": settings.defaults(controller),
        "tos_acceptance": {"date": None, "ip": None, "service_agreement": "full", "user_agent": None},
        "type": controllers.account_type(controller),
    }


def _company(account: dict) -> dict:
    return account.get("company") or {
        "address": _empty_address(),
        "directors_provided": False,
        "executives_provided": False,
        "name": None,
        "owners_provided": False,
        "phone": None,
        "tax_id_provided": False,
        "verification": {"document": {"back": None, "details": None, "details_code": None, "front": None}},
    }


# Applying parameters (create and update share these)


def _apply(sandbox, account: dict, params: dict, state: dict, *, creating: bool) -> None:
    if "business_type" in params:
        account["business_type"] = params["business_type"] or None
    _refuse_mismatches(sandbox, account, params)
    if account.get("business_type") != "individual" and state.get("individual_person"):
        persons.drop_individual(sandbox, account, state)
    _apply_fields(account, params, state, creating, sandbox.now())
    capabilities.apply_requests(sandbox, account, params.get("capabilities"), state)
    if "individual" in params:
        account["individual"] = persons.upsert_individual(sandbox, account, params["individual"], state)
    if "external_account" in params:
        external_accounts.attach(sandbox, account, params["external_account"], state,
                                 param=_external_param(params["external_account"]), replace=True)
    files = ((params.get("documents") or {}).get("bank_account_ownership_verification") or {}).get("files")
    if files:
        external_accounts.ownership_documents(sandbox, account, files, state)
    settings.derive_descriptors(account, state)
    _verify(sandbox, account, state)
    requirements.note_provided(state, requirements.provided_keys("", params))


def _refuse_mismatches(sandbox, account: dict, params: dict) -> None:
    """What Stripe refuses before changing anything: the wrong entity hash, unknown tokens and files."""
    business_type = account.get("business_type")
    if "individual" in params and business_type != "individual":
        raise invalid_request(
            "You cannot provide `individual` unless `business_type` is `individual`.", param="individual"
        )
    if "company" in params and business_type not in COMPANY_TYPES:
        raise invalid_request(
            "You cannot provide `company` unless `business_type` is `company`, `government_entity` or "
            "`non_profit`.", param="company",
        )
    if params.get("account_token"):
        raise resource_missing("token", params["account_token"], param="account_token")
    currency = params.get("default_currency")
    supported = country_specs.SPECS[account["country"]]["supported_bank_account_currencies"]
    if currency and currency.lower() not in supported:
        raise invalid_request(
            f"{currency} is not a supported default currency for {account['country']} accounts: use one of "
            + ", ".join(sorted(supported)) + ".", param="default_currency",
        )
    company_document = ((params.get("company") or {}).get("verification") or {}).get("document") or {}
    for side, file_id in company_document.items():
        persons.check_file(sandbox, file_id, f"company[verification][document][{side}]")
    for kind, given in (params.get("documents") or {}).items():
        for index, file_id in enumerate((given or {}).get("files") or []):
            persons.check_file(sandbox, file_id, f"documents[{kind}][files][{index}]")


def _apply_fields(account: dict, params: dict, state: dict, creating: bool, now: int) -> None:
    for key in ("email", "default_currency"):
        if key in params:
            account[key] = params[key].lower() if key == "default_currency" and params[key] else params[key] or None
    if "business_profile" in params:
        profile = _merged(account["business_profile"], params["business_profile"])
        if profile.get("support_phone"):
            profile["support_phone"] = persons.normalize_phone(
                profile["support_phone"], account["country"], "business_profile[support_phone]"
            )
        account["business_profile"] = profile
    if account.get("business_type") in COMPANY_TYPES:
        account["company"] = _company(account)
    elif account.get("business_type") == "individual":
        account.pop("company", None)
    if "groups" in params:
        account["groups"] = {"payments_pricing": params["groups"].get("payments_pricing") or None}
    if "company" in params:
        had_tax_id = account["company"].get("tax_id_provided")
        _apply_company(account, params["company"], state)
        if had_tax_id and params["company"].get("tax_id") and account["tos_acceptance"].get("date") \
                and "tos_acceptance" not in params:
            # A new tax id means the terms must be accepted again.
            state.setdefault("extras", []).append({"key": "tos_acceptance.date", "code": "invalid_tos_acceptance"})
    _apply_tos(account, params.get("tos_acceptance"), creating, now)
    if "settings" in params:
        settings.apply(account, params["settings"], state)
    apply_metadata(account, params)


def _verify(sandbox, account: dict, state: dict) -> None:
    delay, now = sandbox.config.verification_delay, sandbox.now()
    verification.verify_business(state, account, now, delay)
    if account.get("business_type") in COMPANY_TYPES:
        verification.verify_company(state, account["company"], sandbox.store.list("person", owner=account["id"]),
                                    country_specs.rules(account["country"]), now, delay)


def _external_param(value) -> str:
    # Stripe names a raw bank account's fields bank_account[...] on the account endpoints.
    if isinstance(value, dict) and value.get("object") == "card":
        return "card"
    return "bank_account" if isinstance(value, dict) else "external_account"


def _merged(current: dict, given: dict) -> dict:
    merged = dict(current)
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = None if value == "" else value
    return merged


def _apply_company(account: dict, given: dict, state: dict) -> None:
    company = account["company"]
    verification.record_secret_outcomes(state, "company.", given)
    for key, value in given.items():
        if key in ("tax_id", "vat_id", "registration_number"):
            if key != "registration_number":
                company[f"{key}_provided"] = bool(value)
        elif key == "phone":
            company["phone"] = persons.normalize_phone(value, account["country"], "company[phone]") if value else None
        elif key == "verification":
            document = (value or {}).get("document") or {}
            company["verification"] = {"document": {**company["verification"]["document"], **document}}
        elif isinstance(value, dict):
            company[key] = _merged(company.get(key) or {}, value)
        else:
            company[key] = None if value == "" else value


def _apply_tos(account: dict, given: dict | None, creating: bool, now: int) -> None:
    if not given:
        return
    tos = account["tos_acceptance"]
    if account["controller"].get("requirement_collection") == "stripe" and ("date" in given or "ip" in given):
        raise invalid_request(
            "You cannot accept the Terms of Service on behalf of Standard and Express connected accounts.",
            param="tos_acceptance",
        )
    agreement = given.get("service_agreement")
    if agreement is not None:
        if not creating and agreement != tos.get("service_agreement"):
            raise invalid_request(
                "You cannot change `tos_acceptance[service_agreement]` once the account has been created.",
                param="tos_acceptance[service_agreement]",
            )
        if agreement not in ("full", "recipient"):
            raise invalid_request(
                "Invalid tos_acceptance[service_agreement]: must be one of full or recipient",
                param="tos_acceptance[service_agreement]",
            )
        tos["service_agreement"] = agreement
    if "date" in given:
        if not TOS_EARLIEST < given["date"] <= now:
            raise invalid_request(TOS_DATE_MESSAGE, param="tos_acceptance[date]")
        tos["date"] = given["date"]
    if "ip" in given:
        try:
            ipaddress.ip_address(given["ip"])
        except ValueError:
            raise invalid_request(
                f"Invalid IP address: {given['ip']}", param="tos_acceptance[ip]"
            ) from None
        tos["ip"] = given["ip"]
    if "user_agent" in given:
        tos["user_agent"] = given["user_agent"] or None


# Handlers


def _connected(call, param: str = "account") -> dict:
    account_id = call.path["account"]
    account = call.sandbox.store.get(account_id, "account")
    if account is None or account_id == call.sandbox.store.meta("platform_account"):
        raise resource_missing("account", account_id, param=param)
    return account


def create_account(call) -> dict:
    sandbox, params = call.sandbox, call.params
    country = (params.get("country") or "US").upper()
    if not country_specs.supported(country):
        raise invalid_request(
            f"Country '{country}' is not supported by this sandbox. Supported: "
            + ", ".join(sorted(country_specs.SPECS)) + ".", param="country",
        )
    platform = sandbox.store.get(sandbox.store.meta("platform_account"), "account") or {}
    platform_country = platform.get("country") or "US"
    if not country_specs.may_create(platform_country, country):
        raise invalid_request(country_specs.CREATION_REFUSED.format(account=country, platform=platform_country))
    controller = controllers.from_params(params.get("controller"), params.get("type"))
    account = new_account(sandbox.new_id("acct"), sandbox.now(), country, controller)
    state = {"caps": {}, "checks": {}}
    sandbox.store.create(account, owner=None, private=state)
    _apply(sandbox, account, params, state, creating=True)
    sandbox.store.save(account)
    sandbox.store.set_private(account["id"], state)
    individual = state.get("individual_person")
    created = requirements.refresh(sandbox, account["id"], emit_account=False,
                                   quiet_persons=(individual,) if individual else ())
    _individual_event(sandbox, account["id"], None, created.get("individual"))
    return created


def update_account(call) -> dict:
    sandbox, params = call.sandbox, call.params
    before = _connected(call, param="id")
    account = copy.deepcopy(before)
    state = sandbox.store.private(account["id"])
    individual_before = before.get("individual")
    _apply(sandbox, account, params, state, creating=False)
    sandbox.store.save(account)
    sandbox.store.set_private(account["id"], state)
    individual = state.get("individual_person")
    updated = requirements.refresh(sandbox, account["id"], before=before,
                                   quiet_persons=(individual,) if individual else ())
    _individual_event(sandbox, account["id"], individual_before, updated.get("individual"))
    return updated


def _individual_event(sandbox, account_id: str, old: dict | None, new: dict | None) -> None:
    """The individual is a person: changing it through the account emits person.created / .updated."""
    if new is None or new == old:
        return
    if old is None or old["id"] != new["id"]:
        sandbox.emit("person.created", new, account=account_id)
    else:
        sandbox.emit("person.updated", new, account=account_id,
                     previous_attributes=requirements.previous_attributes(old, new))


def retrieve_account(call) -> dict:
    store = call.sandbox.store
    if call.path["account"] == store.meta("platform_account"):
        return store.get(call.path["account"], "account")  # a platform may read its own account by id
    return _connected(call, param="id")


def retrieve_current_account(call) -> dict:
    store = call.sandbox.store
    return store.get(call.account or store.meta("platform_account"), "account")


def list_accounts(call) -> dict:
    platform = call.sandbox.store.meta("platform_account")
    created = call.params.get("created")

    def keep(account):
        if account["id"] == platform:
            return False
        if isinstance(created, int):
            return account["created"] == created
        bounds = created or {}
        value = account["created"]
        return all((
            bounds.get("gt") is None or value > bounds["gt"],
            bounds.get("gte") is None or value >= bounds["gte"],
            bounds.get("lt") is None or value < bounds["lt"],
            bounds.get("lte") is None or value <= bounds["lte"],
        ))

    return list_response(call, call.sandbox.store.list("account", where=keep), "/v1/accounts")


def delete_account(call) -> dict:
    sandbox = call.sandbox
    account = _connected(call, param="id")
    state = sandbox.store.private(account["id"])
    for person in sandbox.store.list("person", owner=account["id"]):
        sandbox.store.delete(person["id"])
    for external_id in state.get("external_accounts", []):
        sandbox.store.delete(external_id)
    sandbox.store.delete(account["id"])
    return {"deleted": True, "id": account["id"], "object": "account"}


def reject_account(call) -> dict:
    sandbox = call.sandbox
    before = _connected(call)
    if before["controller"].get("losses", {}).get("payments") != "application":
        raise invalid_request(
            "Only accounts where your platform is liable for negative account balances can be rejected.",
            param="account",
        )
    reason = REJECTIONS[call.params["reason"]]  # params.py has refused values outside Stripe's enum
    state = sandbox.store.private(before["id"])
    state.update(rejected=reason, rejected_payouts_action=call.params.get("payouts_action", "pause"))
    sandbox.store.set_private(before["id"], state)
    return requirements.refresh(sandbox, before["id"], before=before)


def unreject_account(call) -> dict:
    sandbox = call.sandbox
    before = _connected(call)
    state = sandbox.store.private(before["id"])
    if not (state.get("rejected") or "").startswith("rejected.platform_"):
        raise invalid_request("Only accounts rejected by your platform can be unrejected.", param="account")
    state.pop("rejected")
    state.pop("rejected_payouts_action", None)
    sandbox.store.set_private(before["id"], state)
    return requirements.refresh(sandbox, before["id"], before=before)


# The platform


def ensure_platform(sandbox) -> dict:
    """The platform's own account, made once; GET /v1/account without Stripe-Account returns it."""
    store = sandbox.store
    existing = store.meta("platform_account")
    if existing and store.get(existing):
        return store.get(existing)
    controller = {"type": "account"}
    account = new_account(sandbox.new_id("acct"), sandbox.now(), sandbox.config.platform_country.upper(), controller)
    account.update(
        business_type="company",
        capabilities={"card_payments": "active", "transfers": "active"},
        charges_enabled=True,
        payouts_enabled=True,
        details_submitted=True,
        email="platform@sandbox.invalid",
        type="standard",
    )
    account["business_profile"]["name"] = "Sandbox Platform"
    account["settings"]["dashboard"]["display_name"] = "Sandbox Platform"
    account["settings"]["payments"]["statement_descriptor"] = "SANDBOX PLATFORM"
    account["settings"]["payouts"]["debit_negative_balances"] = True
    store.create(account, owner=None, private={})
    store.set_meta("platform_account", account["id"])
    return account


def refresh(sandbox, account_id: str) -> dict:
    """Recompute requirements, capabilities and enabled flags; emit what changed."""
    return requirements.refresh(sandbox, account_id)


ACCOUNT = "/v1/accounts/{account}"
ROUTES = [
    Endpoint("GET", "/v1/account", retrieve_current_account, AccountRetrieveCurrentParams),
    Endpoint("POST", "/v1/accounts", create_account, AccountCreateParams),
    Endpoint("GET", "/v1/accounts", list_accounts, AccountListParams),
    Endpoint("GET", ACCOUNT, retrieve_account, AccountRetrieveParams),
    Endpoint("POST", ACCOUNT, update_account, AccountUpdateParams),
    Endpoint("DELETE", ACCOUNT, delete_account, AccountDeleteParams),
    Endpoint("POST", ACCOUNT + "/reject", reject_account, AccountRejectParams),
    Endpoint("POST", ACCOUNT + "/unreject", unreject_account, AccountUnrejectParams),
    # Capabilities are their own module; their routes sit here so app.py needs no new entry.
    *capabilities.ROUTES,
]
