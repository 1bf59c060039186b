"""The seller gate: every seller route, pages and JSON endpoints alike, answers only a signed-in
seller (or staff viewing as one) whose account is not closed and who has set up the second factor
when it is required (accounts/auth.gate_refusal). It stands in front of the router, so a route
added later is behind it unless it is named below; handlers only add what is their own (a
confirmed email for onboarding, a recent re-authentication for sensitive changes)."""

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from portal.accounts.auth import gate_refusal
from portal.route_table import route_of
from portal.staff import view_as

# Not seller routes: the staff console has its own gate (staff_required), Stripe's webhooks are
# signed, the sandbox is a Stripe, /dev is the development outbox, /static and the icon are files,
# the operators' probes and /metrics (its own bearer token) answer machines.
NOT_SELLER = frozenset({"staff", "staff_security", "webhooks", "sandbox", "dev", "static", "favicon", "healthz",
                        "readyz", "metrics"})
# Mailed single-use links (web.link_routes): each is a route that files the token and the page
# it leads to, `<name>_page`. Each checks its own token.
LINKS = (
    "accounts:confirm", "accounts:reset", "security:email_confirm", "security:email_revert", "security:lock",
    "security:recovery_confirm", "onboarding:business_email_confirm", "connect:remediation_link",
)
# Reachable before signing in. Each checks what it needs itself (a mailed link's token, the
# password step's pending sign-in) or only sends a signed-in seller on; signing out always works.
BEFORE_SIGN_IN = frozenset({
    "index", "language", "accounts:signup", "accounts:check_email", "accounts:login", "accounts:logout", "accounts:forgot",
    "security:second_factor", "security:recovery", "security:phishing",
    # Signing in with a passkey: the answer is the credential (or, after the password, the pending sign-in's).
    "security:passkey_sign_in_options", "security:passkey_sign_in",
    *LINKS, *(link + "_page" for link in LINKS),
})
# Reachable signed in while a required second factor is still to be set up: setting it up (an app or a passkey).
BEFORE_ENROLMENT = frozenset({"security:two_factor_setup", "security:two_factor_key",
                              "security:passkey_register_options", "security:passkey_register"})
# Staff viewing as a seller never see or make the seller's secrets (an authenticator key, recovery
# codes) nor confirm the seller's identity: of the security pages, only these are shown to them.
SECURITY_PAGES_WHILE_VIEWING = frozenset({"security:overview", "security:phishing"})


def area(name: str) -> str:
    return name.split(":", 1)[0]


class SellerGate:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = route_of(scope) if scope["type"] == "http" else None
        name = found[0] if found else ""
        if not name or name in NOT_SELLER or area(name) in NOT_SELLER:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        if name.startswith("security:") and name not in SECURITY_PAGES_WHILE_VIEWING and view_as.cookie_token(request):
            await (await view_as.refuse(request, name, found[1], secrets=True))(scope, receive, send)
            return
        if name not in BEFORE_SIGN_IN:
            refused = await gate_refusal(request, before_enrolment=name in BEFORE_ENROLMENT)
            if refused is not None:
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)
