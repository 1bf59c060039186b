"""The landing page, the seller's home, and the health check."""

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Route

from portal.accounts.auth import current_seller
from portal.connect.views import account_view
from portal.money.routes import seller_account
from portal.settings import PROJECT_ROOT
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
    Route("/healthz", healthz, name="healthz"),
    Route("/favicon.ico", favicon, name="favicon"),
]
