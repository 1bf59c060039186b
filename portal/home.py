"""The landing page, the seller's home, and the health check."""

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, JSONResponse, RedirectResponse
from starlette.routing import Route

from portal import i18n
from portal.accounts import service
from portal.accounts.auth import current_seller, safe_next
from portal.connect.views import account_view
from portal.money.routes import seller_account
from portal.settings import PROJECT_ROOT
from portal.i18n import gettext as _
from portal.inputs import read_form
from portal.web import redirect, render


async def index(request: Request):
    if await current_seller(request):
        return redirect(request, "dashboard")
    return render(request, "index.html")


async def dashboard(request: Request):
    await seller_account(request)  # the menu and notification banner show when there is one
    seller = await current_seller(request)
    view = await run_in_threadpool(account_view, request.app.state.db, seller.id)
    return render(request, "dashboard.html", {"seller": seller, "view": view})


async def choose_language(request: Request):
    """The language picker (every page's footer, the security page): saved on the signed-in
    seller, and in a long-lived cookie so this browser keeps it after signing out. POST only."""
    form = await read_form(request)
    code = str(form.get("locale", ""))
    if not i18n.is_shipped(code):
        raise HTTPException(400, _("Choose one of the languages in the list."))
    if seller := await current_seller(request):
        await run_in_threadpool(service.set_locale, request.app.state.db, seller.id, code)
    response = RedirectResponse(safe_next(str(form.get("next", ""))) or request.url_for("index").path, status_code=303)
    response.set_cookie(i18n.COOKIE, code, max_age=i18n.COOKIE_MAX_AGE, httponly=True, samesite="lax",
                        secure=request.app.state.settings.secure_cookies)
    return response


async def healthz(request: Request):
    def ping() -> None:
        with request.app.state.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    await run_in_threadpool(ping)
    return JSONResponse({"status": "ok", "mode": "sandbox" if request.app.state.settings.sandbox_mode else "stripe"})


async def favicon(request: Request):
    """Browsers ask for /favicon.ico whatever the page links; the mark is the same SVG."""
    return FileResponse(PROJECT_ROOT / "static" / "favicon.svg", media_type="image/svg+xml",
                        headers={"cache-control": "public, max-age=86400"})


routes = [
    Route("/", index, name="index"),
    Route("/dashboard", dashboard, name="dashboard"),
    Route("/language", choose_language, methods=["POST"], name="language"),
    Route("/healthz", healthz, name="healthz"),
    Route("/favicon.ico", favicon, name="favicon"),
]
