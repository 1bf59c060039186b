"""The Connect.js stand-in: the script at /connect.js and the data endpoints it calls.

The script (static/connect.js) renders the embedded components the portal hosts. It knows
nothing but an account session's client secret: it claims the secret for its page load
(`POST /_connect/v1/session`), then every call carries the secret and that page's nonce, and
acts on the session's one account only. Each call names the component making it, and the
session decides: a component that is not enabled reads nothing, a feature that is off allows
no action. Actions go through the same handlers as the public API, acting as the account,
as Stripe's own components use Stripe's API on the account's behalf.
"""

from pathlib import Path
from typing import Any, TypedDict

import stripe
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal.sandbox import (
    account_sessions,
    accounts,
    balance,
    disputes,
    files,
    payouts,
    protocol,
    refunds,
)
from portal.sandbox import params as params_module
from portal.sandbox.errors import StripeError, resource_missing
from portal.sandbox.protocol import Call, Endpoint

STATIC = Path(__file__).parent / "static"
ASSETS = {"connect.js": "text/javascript; charset=utf-8", "connect.css": "text/css; charset=utf-8"}

# Which components may read what (the stand-in's endpoint -> session component keys).
READS = {
    "account": {"notification_banner", "account_management", "payouts", "balances"},
    "balance": {"payouts", "balances"},
    "payouts": {"payouts", "payouts_list"},
    "payments": {"payments"},
    "disputes": {"disputes_list"},
}

# Which components may act, and the feature each action needs.
ACTIONS = {
    "payout": ({"payouts", "balances"}, "standard_payouts"),
    "payout_schedule": ({"payouts", "balances"}, "edit_payout_schedule"),
    "refund": ({"payments"}, "refund_management"),
    "dispute": ({"disputes_list", "payments"}, "dispute_management"),
}

REQUIREMENT_KEYS = ("currently_due", "eventually_due", "past_due", "pending_verification",
                    "errors", "current_deadline", "disabled_reason")


def _forbidden(message: str, code: str) -> StripeError:
    return StripeError(403, "invalid_request_error", message, code=code)


def _credentials(call: Call) -> tuple[str, str]:
    """(client secret, page nonce) of a call from the stand-in: the only credentials it has."""
    scheme, _, secret = (call.headers.get("authorization") or "").partition(" ")
    page = call.headers.get("connect-page") or ""
    if scheme.lower() != "bearer" or len(page) < 16:
        raise StripeError(401, "authentication_error", "Provide the account session client secret.",
                          code="account_session_invalid")
    return secret.strip(), page


def _session(call: Call) -> dict:
    return account_sessions.authenticate(call.sandbox, *_credentials(call))


def _component(call: Call, session: dict, allowed: set[str]) -> dict:
    name = (call.headers.get("connect-component") or "").replace("-", "_")
    component = session["components"].get(name)
    if component is None or not component["enabled"]:
        raise _forbidden(f"The {name or 'requesting'} component is not enabled in this account session.",
                         "account_session_component_disabled")
    if name not in allowed:
        raise _forbidden(f"The {name} component cannot do this.", "account_session_component_disabled")
    return component


def _reader(what: str):
    def read(call: Call) -> dict:
        session = _session(call)
        _component(call, session, READS[what])
        return READERS[what](call.sandbox, session["account"])

    return read


def _action(what: str, act):
    def run(call: Call) -> dict:
        session = _session(call)
        components, feature = ACTIONS[what]
        component = _component(call, session, components)
        if not component["features"].get(feature):
            raise _forbidden(f"`{feature}` is turned off for this component.", "account_session_feature_disabled")
        return act(call, session["account"])

    return run


def _as_account(call: Call, account: str, handler, spec, params: dict, path: dict | None = None) -> dict:
    """Run a public API handler as the connected account (Stripe-Account: account)."""
    inner = Call(
        sandbox=call.sandbox, account=account, params=params_module.validate(params, spec), path=path or {},
        request_id=call.request_id, method="POST", url_path=call.url_path, base_url=call.base_url,
    )
    return handler(inner)


# --- reads ---------------------------------------------------------------------------------------


def _business_name(account: dict) -> str | None:
    individual = account.get("individual") or {}
    person = " ".join(filter(None, (individual.get("first_name"), individual.get("last_name"))))
    return ((account.get("business_profile") or {}).get("name")
            or (account.get("company") or {}).get("name") or person or None)


def account_view(sandbox, account_id: str) -> dict:
    account = sandbox.store.get(account_id, "account")
    settings = (account.get("settings") or {}).get("payouts") or {}
    banks = (account.get("external_accounts") or {}).get("data") or []
    return {
        "id": account["id"],
        "business_name": _business_name(account),
        "email": account.get("email"),
        "url": (account.get("business_profile") or {}).get("url"),
        "country": account.get("country"),
        "default_currency": account.get("default_currency"),
        "charges_enabled": account.get("charges_enabled"),
        "payouts_enabled": account.get("payouts_enabled"),
        "requirements": {key: (account.get("requirements") or {}).get(key) for key in REQUIREMENT_KEYS},
        "future_requirements": {key: (account.get("future_requirements") or {}).get(key) for key in REQUIREMENT_KEYS},
        "payout_schedule": settings.get("schedule") or {},
        "external_accounts": [
            {key: bank.get(key) for key in ("id", "object", "bank_name", "brand", "last4", "currency",
                                            "default_for_currency", "status")}
            for bank in banks
        ],
    }


def _listing(object: str):
    def read(sandbox, account_id: str) -> dict:
        return {"object": "list", "data": sandbox.store.list(object, owner=account_id)[:100]}

    return read


READERS = {
    "account": account_view,
    "balance": balance.compute,
    "payouts": _listing("payout"),
    "payments": _listing("charge"),
    "disputes": _listing("dispute"),
}


# --- actions -------------------------------------------------------------------------------------


def _owned(call: Call, account: str, object: str, id: str) -> str:
    if call.sandbox.store.get(id, object) is None or call.sandbox.store.owner(id) != account:
        raise resource_missing(object, id)
    return id


def create_payout(call: Call, account: str) -> dict:
    params = {key: call.params[key] for key in ("amount", "currency") if key in call.params}
    return _as_account(call, account, payouts.create_payout, stripe.params.PayoutCreateParams, params)


def change_payout_schedule(call: Call, account: str) -> dict:
    params = {"settings": {"payouts": {"schedule": {"interval": call.params["interval"]}}}}
    _as_account(call, None, accounts.update_account, stripe.params.AccountUpdateParams, params,
                {"account": account})
    return account_view(call.sandbox, account)


def refund_payment(call: Call, account: str) -> dict:
    charge = _owned(call, account, "charge", call.path["charge"])
    return _as_account(call, account, refunds.create_refund, stripe.params.RefundCreateParams, {"charge": charge})


# Evidence fields that hold a file id (Stripe's dispute evidence object).
FILE_EVIDENCE = {"cancellation_policy", "customer_communication", "customer_signature",
                 "duplicate_charge_documentation", "receipt", "refund_policy", "service_documentation",
                 "shipping_documentation", "uncategorized_file"}


def submit_evidence(call: Call, account: str) -> dict:
    dispute = _owned(call, account, "dispute", call.path["dispute"])
    evidence = call.params.get("evidence") or {}
    for key in FILE_EVIDENCE & set(evidence):
        files.evidence(call.sandbox, evidence[key], account, f"evidence[{key}]")
    params = {"evidence": evidence, "submit": "true"}
    return _as_account(call, account, disputes.update_dispute, stripe.params.DisputeUpdateParams, params,
                       {"id": dispute})


def upload_evidence(call: Call, account: str) -> dict:
    params = {"purpose": "dispute_evidence", "file": call.params["file"]}
    return _as_account(call, account, files.create_file, stripe.params.FileCreateParams, params)


def accept_dispute(call: Call, account: str) -> dict:
    dispute = _owned(call, account, "dispute", call.path["dispute"])
    return _as_account(call, account, disputes.close_dispute, stripe.params.DisputeCloseParams, {},
                       {"id": dispute})


# --- the session itself --------------------------------------------------------------------------


def _session_view(session: dict) -> dict:
    return {key: session[key] for key in ("account", "components", "expires_at")}


def claim_session(call: Call) -> dict:
    return _session_view(account_sessions.claim(call.sandbox, *_credentials(call)))


def logout(call: Call) -> dict:
    account_sessions.end(call.sandbox, *_credentials(call))
    return {"object": "account_session", "ended": True}


# --- routes --------------------------------------------------------------------------------------

# Stripe's script calls Stripe from the platform's origin; the stand-in, served by a sandbox on
# another origin (`portal sandbox --port N`), does the same. Its only credential is a header,
# never a cookie, so any origin may call.
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST",
    "Access-Control-Allow-Headers": "Authorization, Connect-Page, Connect-Component, Content-Type",
    "Access-Control-Max-Age": "600",
}


def _asset(name: str):
    async def serve(request: Request) -> Response:
        return Response((STATIC / name).read_bytes(), media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})

    return serve


def _cross_origin(route: Route) -> Route:
    """The protocol's route for an endpoint, its responses readable from any origin."""
    async def serve(request: Request) -> Response:
        response = await route.endpoint(request)
        response.headers.update(CORS)
        return response

    return Route(route.path, serve, methods=list(route.methods - {"HEAD"}))


async def _preflight(request: Request) -> Response:
    return Response(status_code=204, headers=CORS)


def _endpoint(method: str, path: str, handler, params=None) -> Endpoint:
    return Endpoint(method=method, path="/_connect/v1/" + path, handler=handler, params=params, auth="none")


class PayoutScheduleParams(TypedDict):
    interval: str


class EvidenceFileParams(TypedDict):
    file: Any


# The stand-in's data API: run by the protocol like any endpoint (ticks, one transaction,
# Stripe's error bodies), authenticated by the handlers from the client secret.
DATA_ENDPOINTS = [
    _endpoint("POST", "session", claim_session),
    _endpoint("POST", "logout", logout),
    _endpoint("GET", "account", _reader("account")),
    _endpoint("GET", "balance", _reader("balance")),
    _endpoint("GET", "payouts", _reader("payouts")),
    _endpoint("GET", "payments", _reader("payments")),
    _endpoint("GET", "disputes", _reader("disputes")),
    _endpoint("POST", "payouts", _action("payout", create_payout), stripe.params.PayoutCreateParams),
    _endpoint("POST", "payout_schedule", _action("payout_schedule", change_payout_schedule), PayoutScheduleParams),
    _endpoint("POST", "payments/{charge}/refund", _action("refund", refund_payment)),
    _endpoint("POST", "disputes/{dispute}/evidence", _action("dispute", submit_evidence),
              stripe.params.DisputeUpdateParams),
    _endpoint("POST", "disputes/{dispute}/close", _action("dispute", accept_dispute)),
    _endpoint("POST", "files", _action("dispute", upload_evidence), EvidenceFileParams),
]


def web_routes(sandbox) -> list[Route]:
    return [
        *(Route("/" + name, _asset(name), methods=["GET"]) for name in ASSETS),
        *(_cross_origin(protocol.route(sandbox, endpoint)) for endpoint in DATA_ENDPOINTS),
        Route("/_connect/v1/{path:path}", _preflight, methods=["OPTIONS"]),
    ]


# No public-API routes of its own: the data API above is served from web_routes.
ROUTES: list[Endpoint] = []
