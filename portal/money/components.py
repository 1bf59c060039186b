"""Which embedded components a seller page may use, and what each may do (reference C6).

Our sellers' accounts are platform-liable and platform-collected: Stripe turns payouts and
schedule editing off by default for them, so they are switched on here explicitly, and bank
details are collected by the portal's own form, never by a component. Staff viewing as a seller
get the same components with everything that moves money or answers a dispute switched off."""

from dataclasses import dataclass
from urllib.parse import urlsplit

STRIPE_CONNECT_JS = "https://connect-js.stripe.com/v1.0/connect.js"
# The stand-in checks only that the key looks like one; the sandbox has no publishable keys.
SANDBOX_PUBLISHABLE_KEY = "pk_test_sandbox"

# Stripe's Content-Security-Policy list for Connect embedded components (its security guide):
# the script and its frames, Stripe's images, and the hash of the empty <style> Connect.js adds.
STRIPE_CONNECT_SOURCES = {
    "script-src": ["https://connect-js.stripe.com", "https://js.stripe.com"],
    "frame-src": ["https://connect-js.stripe.com", "https://js.stripe.com"],
    "img-src": ["https://*.stripe.com"],
    "style-src": ["'sha256-0hAheEzaMe6uXIKV4EehS9pu1am1lj/KnnzrOYqckXk='"],
}

# What each page hosts (the notification banner is on every seller page, from base.html).
PAGES = {
    "payouts": ["payouts"],
    "disputes": ["disputes-list"],
    "payments": ["payments"],
    "settings": ["account-management", "documents"],
}


def embedded_components(*, read_only: bool, payouts_held: bool = False, recently_confirmed: bool = False) -> dict:
    """The `components` parameter of an Account Session. Pure.

    While payouts are held (payout_holds.py keeps the schedule manual), the seller can neither
    pay out nor change the schedule from the component: either would undo the hold. Changing the
    schedule is a sensitive change (issue 9): only a seller who confirmed it's them (password and
    code, within the re-authentication window) gets a session that allows it."""
    acts = not read_only
    pays_out = acts and not payouts_held
    payouts = {
        "instant_payouts": pays_out,
        "standard_payouts": pays_out,
        "edit_payout_schedule": pays_out and recently_confirmed,
        "external_account_collection": False,
        "disable_stripe_user_authentication": True,
    }
    charges = {"refund_management": acts, "dispute_management": acts, "capture_payments": acts,
               "smart_disputes_management": acts}
    own_forms = {"external_account_collection": False, "disable_stripe_user_authentication": True}
    return {
        "payouts": {"enabled": True, "features": payouts},
        "balances": {"enabled": True, "features": dict(payouts)},
        "payouts_list": {"enabled": True},
        "disputes_list": {"enabled": True, "features": dict(charges)},
        "payment_disputes": {"enabled": True, "features": {
            "dispute_management": acts, "refund_management": acts, "smart_disputes_management": acts}},
        "payments": {"enabled": True, "features": dict(charges)},
        "notification_banner": {"enabled": True, "features": dict(own_forms)},
        # Account management edits the business's details: not while staff only look.
        "account_management": {"enabled": acts, "features": dict(own_forms)},
        "documents": {"enabled": True},
    }


def page_components(page: str, *, read_only: bool) -> list[str]:
    """The tags a page mounts: those the session will enable."""
    enabled = embedded_components(read_only=read_only)
    return [tag for tag in PAGES[page] if enabled[tag.replace("-", "_")]["enabled"]]


@dataclass(frozen=True)
class ConnectJs:
    url: str
    publishable_key: str


def connect_js(settings) -> ConnectJs:
    """Stripe's Connect.js in Stripe mode; the sandbox's stand-in wherever the sandbox is served."""
    if not settings.sandbox_mode:
        return ConnectJs(STRIPE_CONNECT_JS, settings.stripe_publishable_key)
    if settings.sandbox_embedded:
        return ConnectJs("/sandbox/connect.js", SANDBOX_PUBLISHABLE_KEY)
    return ConnectJs(settings.stripe_api_base.rstrip("/") + "/connect.js", SANDBOX_PUBLISHABLE_KEY)


def connect_js_sources(script_url: str) -> dict[str, list[str]]:
    """What the Content-Security-Policy must add to 'self' for this Connect.js to work."""
    if script_url == STRIPE_CONNECT_JS:
        return STRIPE_CONNECT_SOURCES
    parts = urlsplit(script_url)
    if not parts.netloc:
        return {}  # served by the portal itself: 'self' covers it
    # A sandbox on another origin: its script, the stylesheet it adds and the data API it calls.
    origin = f"{parts.scheme}://{parts.netloc}"
    return {"script-src": [origin], "style-src": [origin], "connect-src": [origin]}
