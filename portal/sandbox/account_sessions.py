"""Account sessions: the short-lived, single-use grants behind Connect embedded components.

`POST /v1/account_sessions` answers with every component Stripe declares (the SDK's
`AccountSession.Components`), each with its features resolved to Stripe's defaults for the
account's controller. The client secret is handed out once and kept only as a SHA-256
digest, which is also how it is found again: the stored record's id is derived from it.

The Connect.js stand-in (connectjs.py) spends a secret by claiming it for one page load;
after that only that page may use it, until it expires or the page logs out.
"""

import hashlib
import secrets
import string

import stripe
from stripe._account_session import AccountSession

from portal.sandbox.errors import StripeError, invalid_request, resource_missing
from portal.sandbox.protocol import Call, Endpoint

# Stripe's client secrets stop working after a short while; the page then asks its server for
# a new one through fetchClientSecret.
LIFETIME = 30 * 60

COMPONENTS = {
    name: tuple(component.Features.__annotations__)
    for name, component in AccountSession.Components.__annotations__.items()
}


def _losses_on_stripe(account: dict, given: dict) -> bool:
    return _controller(account, "losses", "payments") == "stripe"


def _authentication_default(account: dict, given: dict) -> bool:
    return not given.get("external_account_collection", True)


# Each feature's default when the request leaves it out (the SDK params' docstrings and the
# component docs): a function of the account and of the features that were given.
FEATURE_DEFAULTS = {
    "external_account_collection": lambda account, given: True,
    "disable_stripe_user_authentication": _authentication_default,
    "edit_payout_schedule": _losses_on_stripe,
    "standard_payouts": _losses_on_stripe,
    "instant_payouts": lambda account, given: True,
    "capture_payments": lambda account, given: True,
    "dispute_management": lambda account, given: True,
    "refund_management": lambda account, given: True,
    "smart_disputes_management": lambda account, given: given.get("dispute_management", True),
    "destination_on_behalf_of_charge_management": lambda account, given: False,
    "send_money": lambda account, given: True,
    "transfer_balance": lambda account, given: True,
    "card_management": lambda account, given: False,
    "card_spend_dispute_management": lambda account, given: False,
    "cardholder_management": lambda account, given: False,
    "spend_control_management": lambda account, given: False,
}

# Components whose disable_stripe_user_authentication defaults to false outright, not to the
# opposite of external_account_collection (they have no such feature).
PLAIN_AUTHENTICATION_DEFAULT = {"payment_method_settings"}

# Features Stripe only lets platforms that collect requirements themselves move off the safe
# value, with the value that needs that control.
PLATFORM_COLLECTED_ONLY = {
    "external_account_collection": False,
    "disable_stripe_user_authentication": True,
}


def _controller(account: dict, *path: str):
    value = account.get("controller") or {}
    for key in path:
        value = (value or {}).get(key)
    return value


def create_account_session(call: Call) -> dict:
    account_id = call.params["account"]
    account = call.sandbox.store.get(account_id, "account")
    if account is None or account_id == call.sandbox.store.meta("platform_account"):
        raise resource_missing("account", account_id, param="account")
    requested = call.params["components"]
    components = {name: _component(name, requested.get(name), account) for name in COMPONENTS}
    now = int(call.sandbox.now())
    secret = "accs_secret__" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(48))
    session = {
        "object": "account_session",
        "account": account_id,
        "client_secret": secret,
        "components": components,
        "expires_at": now + LIFETIME,
        "livemode": False,
    }
    record = {key: value for key, value in session.items() if key != "client_secret"}
    record["id"] = _record_id(secret)
    call.sandbox.store.create(record, owner=account_id, private={"created": now, "page": None, "ended": False})
    return session


def _component(name: str, requested: dict | None, account: dict) -> dict:
    given = dict((requested or {}).get("features") or {})
    features = {}
    for feature in COMPONENTS[name]:
        if feature in given:
            _check_allowed(name, feature, given[feature], account)
            features[feature] = given[feature]
        elif feature == "disable_stripe_user_authentication" and name in PLAIN_AUTHENTICATION_DEFAULT:
            features[feature] = False
        else:
            features[feature] = FEATURE_DEFAULTS[feature](account, given)
    return {"enabled": bool((requested or {}).get("enabled", False)), "features": features}


def _check_allowed(component: str, feature: str, value: bool, account: dict) -> None:
    restricted = PLATFORM_COLLECTED_ONLY.get(feature)
    if restricted is None or value != restricted:
        return
    if _controller(account, "requirement_collection") == "application":
        return
    raise invalid_request(
        f"`{feature}` can only be `{str(restricted).lower()}` for accounts where "
        "`controller.requirement_collection` is `application`.",
        param=f"components[{component}][features][{feature}]",
    )


# --- spending a client secret (used by connectjs.py) ---------------------------------------------


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _record_id(secret: str) -> str:
    return "accs_" + _digest(secret)[:40]


def _denied(message: str, code: str) -> StripeError:
    return StripeError(401, "authentication_error", message, code=code)


def _live_session(sandbox, client_secret: str) -> tuple[dict, dict]:
    record = None
    if isinstance(client_secret, str) and client_secret.startswith("accs_secret__"):
        record = sandbox.store.get(_record_id(client_secret), "account_session")
    if record is None:
        raise _denied("Invalid account session client secret.", "account_session_invalid")
    private = sandbox.store.private(record["id"])
    if private["ended"]:
        raise _denied("This account session has been logged out.", "account_session_ended")
    if sandbox.now() >= record["expires_at"]:
        raise _denied("This account session has expired. Create a new one.", "account_session_expired")
    if sandbox.store.get(record["account"], "account") is None:
        raise _denied("The account of this account session no longer exists.", "account_session_invalid")
    return record, private


def claim(sandbox, client_secret: str, page: str) -> dict:
    """Spend the secret for one page load; a second page presenting it is refused."""
    with sandbox.store.transaction():
        record, private = _live_session(sandbox, client_secret)
        if private["page"] is None:
            private["page"] = _digest(page)
            sandbox.store.set_private(record["id"], private)
        elif private["page"] != _digest(page):
            raise _denied("This account session client secret has already been used.", "account_session_used")
        return record


def authenticate(sandbox, client_secret: str, page: str) -> dict:
    """The session a request from the page that claimed this secret acts under."""
    record, private = _live_session(sandbox, client_secret)
    if private["page"] != _digest(page):
        raise _denied("This account session client secret has already been used.", "account_session_used")
    return record


def end(sandbox, client_secret: str, page: str) -> None:
    """Log the page out: the secret stops working for everyone."""
    with sandbox.store.transaction():
        record = authenticate(sandbox, client_secret, page)
        private = sandbox.store.private(record["id"])
        private["ended"] = True
        sandbox.store.set_private(record["id"], private)


ROUTES = [
    Endpoint(
        method="POST",
        path="/v1/account_sessions",
        handler=create_account_session,
        params=stripe.params.AccountSessionCreateParams,
    ),
]
