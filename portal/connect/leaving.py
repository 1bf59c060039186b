"""A seller asking to close their account, from their own portal (`/account/close`).

Asking changes nothing at Stripe: it tells the platform's staff, who close the account from the
console once the balance allows (portal/staff/closing.py). It needs a recent re-authentication,
because someone who took over a session must not be able to end a seller's business."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.accounts.auth import current_seller, ip_of, reauth_required
from portal.connect import closing
from portal.connect.views import account_view
from portal.inputs import read_form
from portal.web import flash, redirect, render, send_mail

MAX_NOTE = 1000


async def _page(request: Request, errors: dict | None = None, values: dict | None = None, status_code: int = 200):
    seller = await current_seller(request)
    db = request.app.state.db
    closure = await run_in_threadpool(closing.closure_for, db, seller.id)
    view = await run_in_threadpool(account_view, db, seller.id)
    return render(request, "connect/leave.html", {
        "view": view, "closure": closure, "errors": errors or {}, "values": values or {},
        "retention_years": round(request.app.state.settings.closed_account_retention_days / 365),
    }, status_code=status_code)


@reauth_required
async def ask(request: Request):
    if request.method == "GET":
        return await _page(request)
    seller = await current_seller(request)
    form = await read_form(request)
    note = str(form.get("note") or "").strip()
    errors = {}
    if len(note) > MAX_NOTE:
        errors["note"] = _("Keep this under %(max_note)s characters.", max_note=MAX_NOTE)
    if form.get("understood") != "on":
        errors["understood"] = _("Tick the box to confirm you understand what closing means.")
    if errors:
        return await _page(request, errors, {"note": note}, 400)
    try:
        await run_in_threadpool(closing.ask_to_close, request.app.state.db, seller.id, note=note, email=seller.email,
                                ip=ip_of(request))
    except closing.ClosingRefused as refused:
        return await _page(request, {"note": str(refused)}, {"note": note}, 409)
    await send_mail(request, seller.email, _l("We received your request to close your account"), "mail/close_requested.txt")
    flash(request, _("We have your request. Our team will close the account and email you at each step."), "success")
    return redirect(request, "leaving:ask")


async def withdraw(request: Request):
    seller = await current_seller(request)
    withdrawn = await run_in_threadpool(closing.withdraw_request, request.app.state.db, seller.id, email=seller.email,
                                        ip=ip_of(request))
    flash(request, _("Your request is withdrawn: your account stays open.") if withdrawn
          else _("There is no request to withdraw."), "success" if withdrawn else "info")
    return redirect(request, "leaving:ask")


routes = [
    Route("/", ask, methods=["GET", "POST"], name="ask"),
    Route("/withdraw", withdraw, methods=["POST"], name="withdraw"),
]
