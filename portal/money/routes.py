"""The seller's money pages (Stripe's embedded components in our own pages) and the account
session endpoint their script asks for a client secret. Pages read only our database; the one
Stripe call is the session, made when the page's script asks for it."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from portal.accounts.auth import current_seller, login_required
from portal.connect.mirror import account_for_seller
from portal.connect.payout_holds import active_holds
from portal.integrations.stripe import StripeFailure
from portal.money.components import embedded_components, page_components
from portal.web import render

TITLES = {"payouts": "Payouts", "disputes": "Disputes", "payments": "Payments", "settings": "Settings"}


async def seller_account(request: Request) -> str | None:
    """The signed-in seller's Stripe account id, if they have one; kept on request.state, where
    base.html looks for it to show the money pages in the menu and the notification banner."""
    if not hasattr(request.state, "seller_account"):
        seller = await current_seller(request)
        mirror = seller and await run_in_threadpool(account_for_seller, request.app.state.db, seller.id)
        request.state.seller_account = mirror.stripe_account_id if mirror else None
    return request.state.seller_account


def viewing_as_staff(request: Request) -> bool:
    # Set by staff "view as seller" (issue 7) for the length of a staff member's look.
    return getattr(request.state, "view_as", None) is not None


def _page(name: str):
    @login_required
    async def page(request: Request):
        account = await seller_account(request)
        holds = []
        if account and name == "payouts":
            seller = await current_seller(request)
            holds = await run_in_threadpool(active_holds, request.app.state.db, seller.id)
        return render(request, f"money/{name}.html", {
            "title": TITLES[name],
            "components": page_components(name, read_only=viewing_as_staff(request)),
            "has_account": bool(account),
            "holds": holds,
            "read_only": viewing_as_staff(request),
        })

    page.__name__ = name
    return page


async def account_session(request: Request) -> JSONResponse:
    """A fresh client secret for the signed-in seller's own account; the only thing returned,
    and never stored or logged. The body is ignored: the account is always the session's."""
    seller = await current_seller(request)
    if seller is None:
        return _error("Sign in again to see this.", 401)
    account = await seller_account(request)
    if account is None:
        return _error("Your Stripe account isn't set up yet.", 404)
    held = bool(await run_in_threadpool(active_holds, request.app.state.db, seller.id))
    components = embedded_components(read_only=viewing_as_staff(request), payouts_held=held)
    try:
        session = await request.app.state.stripe.create_account_session(account, components)
    except StripeFailure:  # the gateway logged it (without the secret: there is none yet)
        return _error("Stripe could not be reached. Try again in a moment.", 503)
    return JSONResponse({"client_secret": session["client_secret"]}, headers={"Cache-Control": "no-store"})


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers={"Cache-Control": "no-store"})


routes = [
    Route("/payouts", _page("payouts"), name="money:payouts"),
    Route("/disputes", _page("disputes"), name="money:disputes"),
    Route("/payments", _page("payments"), name="money:payments"),
    Route("/settings", _page("settings"), name="money:settings"),
    Route("/account-session", account_session, methods=["POST"], name="money:account_session"),
]
