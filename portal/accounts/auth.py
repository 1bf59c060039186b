"""Who is signed in. Kept in one place so two factors and device checks can grow here."""

import functools
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse

from portal.accounts import service
from portal.accounts.models import Seller
from portal.web import csrf_token

SESSION_KEY = "sid"


async def current_seller(request: Request) -> Seller | None:
    if hasattr(request.state, "seller"):
        return request.state.seller
    seller = None
    session_id = request.session.get(SESSION_KEY)
    if session_id:
        seller = await run_in_threadpool(
            service.session_seller, request.app.state.db, session_id, request.app.state.settings.session_max_age
        )
        if seller is None:
            request.session.pop(SESSION_KEY, None)
    request.state.seller = seller
    return seller


async def sign_in(request: Request, seller: Seller, ip: str) -> None:
    """Start a fresh session: nothing from the anonymous session (CSRF token included) survives."""
    session_id = await run_in_threadpool(
        service.open_session, request.app.state.db, seller.id, ip, request.headers.get("user-agent", "")
    )
    request.session.clear()
    request.session[SESSION_KEY] = session_id
    csrf_token(request)
    request.state.seller = seller


async def sign_out(request: Request) -> None:
    session_id = request.session.get(SESSION_KEY)
    if session_id:
        await run_in_threadpool(service.close_session, request.app.state.db, session_id)
    request.session.clear()
    request.state.seller = None


def safe_next(target: str | None) -> str | None:
    """Only a path on this site is a place to go after signing in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def login_required(handler):
    @functools.wraps(handler)
    async def guarded(request: Request):
        if await current_seller(request) is None:
            login = request.url_for("accounts:login").path
            return RedirectResponse(f"{login}?{urlencode({'next': request.url.path})}", status_code=303)
        return await handler(request)

    return guarded
