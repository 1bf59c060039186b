"""Account controller properties: defaults, the legacy `type` mapping, and the combinations
Stripe refuses.

Stripe validates the combination, not each field: a platform that collects requirements
must carry the losses and leave the account without a Stripe Dashboard, and an account
without a Dashboard whose requirements Stripe collects must leave the losses with Stripe
("When stripe_dashboard[type]=none and requirement_collection=stripe, Stripe must be liable
for negative balances or refunds and chargebacks.", as platforms have recorded it).
"""

from portal.sandbox.protocol import invalid_request

# What each legacy account type stands for in controller properties.
TYPES = {
    "custom": {"fees": "application_custom", "losses": "application", "requirement_collection": "application",
               "dashboard": "none"},
    "express": {"fees": "application_express", "losses": "application", "requirement_collection": "stripe",
                "dashboard": "express"},
    "standard": {"fees": "account", "losses": "stripe", "requirement_collection": "stripe", "dashboard": "full"},
}

# (condition, message, param): each rule names a combination Stripe refuses.
RULES = [
    (
        lambda c: c["requirement_collection"] == "application" and c["losses"] != "application",
        "When requirement_collection=application, your platform must be liable for negative balances "
        "or refunds and chargebacks (losses[payments]=application).",
        "controller[losses][payments]",
    ),
    (
        lambda c: c["requirement_collection"] == "application" and c["dashboard"] != "none",
        "When requirement_collection=application, the account cannot have access to a Stripe-hosted "
        "Dashboard (stripe_dashboard[type]=none).",
        "controller[stripe_dashboard][type]",
    ),
    (
        lambda c: c["dashboard"] == "none" and c["requirement_collection"] == "stripe" and c["losses"] != "stripe",
        "When stripe_dashboard[type]=none and requirement_collection=stripe, Stripe must be liable for "
        "negative balances or refunds and chargebacks.",
        "controller[losses][payments]",
    ),
    (
        lambda c: c["dashboard"] == "express" and c["losses"] != "application",
        "When stripe_dashboard[type]=express, your platform must be liable for negative balances or "
        "refunds and chargebacks (losses[payments]=application).",
        "controller[losses][payments]",
    ),
    (
        lambda c: c["fees"] == "account" and c["dashboard"] != "full",
        "When fees[payer]=account, the account must have access to the full Stripe Dashboard "
        "(stripe_dashboard[type]=full).",
        "controller[fees][payer]",
    ),
]


def from_params(given: dict | None, legacy_type: str | None) -> dict:
    """The account's `controller` object for a create request."""
    if given and legacy_type:
        raise invalid_request("You cannot specify both `type` and `controller` when creating an account.",
                              param="type")
    if legacy_type:
        if legacy_type not in TYPES:
            raise invalid_request("Invalid type: must be one of custom, express, or standard", param="type")
        flat = dict(TYPES[legacy_type])
    else:
        given = given or {}
        dashboard = (given.get("stripe_dashboard") or {}).get("type", "full")
        flat = {
            "dashboard": dashboard,
            "fees": (given.get("fees") or {}).get("payer", "account" if dashboard == "full" else "application"),
            "losses": (given.get("losses") or {}).get("payments", "stripe"),
            "requirement_collection": given.get("requirement_collection", "stripe"),
        }
    for broken, message, param in RULES:
        if broken(flat):
            raise invalid_request(message, param=param)
    return {
        "fees": {"payer": flat["fees"]},
        "is_controller": True,
        "losses": {"payments": flat["losses"]},
        "requirement_collection": flat["requirement_collection"],
        "stripe_dashboard": {"type": flat["dashboard"]},
        "type": "application",
    }


def account_type(controller: dict) -> str:
    """The legacy `type` Stripe reports for a controller configuration."""
    if controller.get("type") != "application":
        return "standard"
    dashboard = controller["stripe_dashboard"]["type"]
    if dashboard == "full":
        return "standard"
    if dashboard == "express":
        return "express"
    return "custom" if controller["requirement_collection"] == "application" else "none"
