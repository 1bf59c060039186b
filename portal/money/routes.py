"""The seller's money pages (Stripe's embedded components in our own pages) and the account
session endpoint their script asks for a client secret. Pages read only our database; the one
Stripe call is the session, made when the page's script asks for it."""

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from portal.i18n import gettext as _, lazy_gettext as _l
from portal.accounts.auth import current_seller, json_error, reauthenticated
from portal.connect.payout_holds import read_active_holds
from portal.integrations.stripe import StripeFailure
from portal.kept_pages import Keeping, until_holds_end
from portal.money.components import embedded_components, page_components
from portal.web import render

TITLES = {"payouts": _l("Payouts"), "disputes": _l("Disputes"), "payments": _l("Payments"), "settings": _l("Settings")}
# The same inside a sentence ("Your payouts appear here..."): lower case in English, not in German.
IN_A_SENTENCE = {"payouts": _l("payouts"), "disputes": _l("disputes"), "payments": _l("payments"), "settings": _l("settings")}


async def seller_account(request: Request) -> str | None:
    """The signed-in seller's Stripe account id, if they have one; kept on request.state, where
    base.html looks for it to show the money pages in the menu and the notification banner."""
    await current_seller(request)  # which notes the account on request.state
    return request.state.seller_account


def viewing_as_staff(request: Request) -> bool:
    # Set by staff "view as seller" (issue 7) for the length of a staff member's look.
    return getattr(request.state, "view_as", None) is not None


async def _show(request: Request, page: str, holds: list | None = None, keep: Keeping | None = None):
    account = await seller_account(request)
    read_only = viewing_as_staff(request)
    return render(request, f"money/{page}.html", {
        "title": TITLES[page],
        "in_a_sentence": IN_A_SENTENCE[page],
        "has_account": bool(account),
        "components": page_components(page, read_only=read_only),
        "holds": holds or [],
        "read_only": read_only,
        "may_edit_schedule": reauthenticated(request),
    }, keep=keep, until=until_holds_end(holds or []))


async def _kept(request: Request, page: str, *, holds: bool = False):
    """A money page, kept whole until the seller's version changes (kept_pages.py) or a hold ends
    by itself; the editable payout schedule follows a recent re-authentication, so that is in the key."""
    seller = await current_seller(request)
    with Keeping(request, reauthenticated(request)) as kept_page:
        if (kept := kept_page.kept) is not None:
            return kept
        found = await read_active_holds(request.app.state.db, seller.id) if holds else []
        return await _show(request, page, found, keep=kept_page)


async def payouts(request: Request):
    return await _kept(request, "payouts", holds=True)


async def disputes(request: Request):
    return await _kept(request, "disputes")


async def payments(request: Request):
    return await _kept(request, "payments")


async def settings(request: Request):
    return await _kept(request, "settings")


async def account_session(request: Request) -> JSONResponse:
    """A fresh client secret for the signed-in seller's own account; the only thing returned,
    and never stored or logged. The body is ignored: the account is always the session's."""
    seller = await current_seller(request)  # the gate (portal/accounts/gate.py) answered for anyone else
    account = await seller_account(request)
    if account is None:
        return json_error(_("Your Stripe account isn't set up yet."), 404)
    held = bool(await read_active_holds(request.app.state.db, seller.id))
    components = embedded_components(read_only=viewing_as_staff(request), payouts_held=held, recently_confirmed=reauthenticated(request))
    try:
        session = await request.app.state.stripe.create_account_session(account, components)
    except StripeFailure:  # the gateway logged it (without the secret: there is none yet)
        return json_error(_("Stripe could not be reached. Try again in a moment."), 503)
    return JSONResponse({"client_secret": session["client_secret"]}, headers={"Cache-Control": "no-store"})


routes = [
    Route("/payouts", payouts, name="money:payouts"),
    Route("/disputes", disputes, name="money:disputes"),
    Route("/payments", payments, name="money:payments"),
    Route("/settings", settings, name="money:settings"),
    Route("/account-session", account_session, methods=["POST"], name="money:account_session"),
]
