"""Closing a seller's account at their request, from the console (risk or admin role).

One page, `/staff/sellers/<id>/close`, shows what remains (read from Stripe when it opens) and
offers the next step: start closing (reason and the seller's email typed to confirm), pay out
what is available, finish once nothing remains. Each step is audited; the seller is emailed
when closing starts and when it is done."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from portal.i18n import lazy_gettext as _l
from portal.connect import closing
from portal.inputs import read_form
from portal.integrations.stripe import StripeFailure
from portal.staff import pages
from portal.staff.auth import current_staff, ip_of, staff_required
from portal.web import absolute_url, flash, redirect, render, send_mail


async def _page(request: Request, errors: dict | None = None, values: dict | None = None, status_code: int = 200):
    file = await pages.known_seller(request)
    state = request.app.state
    closure = await run_in_threadpool(closing.closure_for, state.db, file.seller.id)
    found, live = (await closing.what_remains(state.db, state.stripe, file.seller.id)
                   if closure is None or closure.state in (closing.REQUESTED, closing.CLOSING) else (closing.Remaining(), True))
    return render(request, "staff/close.html", {
        "file": file, "closure": closure, "remaining": found, "live": live, "errors": errors or {},
        "values": values or {}, "retention_days": state.settings.closed_account_retention_days,
    }, status_code=status_code)


@staff_required(*pages.RISK)
async def close_page(request: Request):
    return await _page(request)


def _stripe_trouble(failure: StripeFailure) -> str:
    return f"Stripe refused or did not answer ({failure.code or failure.kind}). Try again; nothing was done twice."


@staff_required(*pages.RISK)
async def start(request: Request):
    file = await pages.known_seller(request)
    form = await read_form(request)
    reason = str(form.get("reason") or "").strip()
    values, errors = {"start": reason}, {}
    if not reason:
        errors["start"] = "Give a reason (for example, how and when the seller asked): it goes on the audit trail."
    elif len(reason) > pages.MAX_REASON:
        errors["start"] = f"Keep the reason under {pages.MAX_REASON} characters."
    if str(form.get("confirm_email") or "").strip().lower() != file.seller.email:
        errors["confirm_email"] = f"Type the seller's email ({file.seller.email}) to confirm."
    if errors:
        return await _page(request, errors, values, 400)
    staff, state = await current_staff(request), request.app.state
    try:
        closure = await closing.start(state.db, state.stripe, file.seller.id, actor=staff.actor, reason=reason,
                                      ip=ip_of(request), secret=state.secret,
                                      retention_days=state.settings.closed_account_retention_days)
    except closing.ClosingRefused as refused:
        return await _page(request, {"start": str(refused)}, values, 409)
    except StripeFailure as failure:
        # The closure stands (the seller's portal is closed); payments stop when "Stop payments" is retried.
        flash(request, "Closing has started, but Stripe did not take the stop to new payments: "
                       + _stripe_trouble(failure), "error")
        return redirect(request, "staff:close", seller_id=file.seller.id)
    if closure.state == closing.CLOSED:  # no Stripe account: nothing to settle, closed at once
        await send_mail(request, file.seller.email, _l("Your seller account is closed"), "mail/account_closed.txt", locale=file.seller.locale,
                        name=file.facts.name)
        flash(request, f"{file.facts.name}'s account is closed (it had no Stripe account).", "success")
        return redirect(request, "staff:close", seller_id=file.seller.id)
    await send_mail(request, file.seller.email, _l("We are closing your seller account"), "mail/account_closing.txt", locale=file.seller.locale,
                    name=file.facts.name, link=absolute_url(request, "dashboard"))
    flash(request, "Closing has started: the seller can no longer take payments.", "success")
    return redirect(request, "staff:close", seller_id=file.seller.id)


@staff_required(*pages.RISK)
async def stop_payments(request: Request):
    """Retry giving up card payments at Stripe, when starting could not reach it."""
    file = await pages.known_seller(request)
    state = request.app.state
    closure = await run_in_threadpool(closing.closure_for, state.db, file.seller.id)
    if closure is None or closure.state != closing.CLOSING:
        return await _page(request, {"stop": "Only an account being closed can have its payments stopped here."}, {}, 409)
    try:
        await closing.stop_payments(state.db, state.stripe, file.seller.id, secret=state.secret)
    except StripeFailure as failure:
        return await _page(request, {"stop": _stripe_trouble(failure)}, {}, 502)
    flash(request, "New payments are stopped at Stripe.", "success")
    return redirect(request, "staff:close", seller_id=file.seller.id)


@staff_required(*pages.RISK)
async def pay_out(request: Request):
    file = await pages.known_seller(request)
    staff, state = await current_staff(request), request.app.state
    try:
        payouts = await closing.pay_out(state.db, state.stripe, file.seller.id, actor=staff.actor, ip=ip_of(request),
                                        secret=state.secret)
    except closing.ClosingRefused as refused:
        return await _page(request, {"pay_out": str(refused)}, {}, 409)
    except StripeFailure as failure:
        return await _page(request, {"pay_out": _stripe_trouble(failure)}, {}, 502)
    flash(request, f"{len(payouts)} payout{'s' if len(payouts) != 1 else ''} sent to the seller's bank account.", "success")
    return redirect(request, "staff:close", seller_id=file.seller.id)


@staff_required(*pages.RISK)
async def finish(request: Request):
    file = await pages.known_seller(request)
    reason, errors = pages.reason_from(await read_form(request), "finish")
    if errors:
        return await _page(request, errors, {"finish": reason}, 400)
    staff, state = await current_staff(request), request.app.state
    try:
        await closing.finish(state.db, state.stripe, file.seller.id, actor=staff.actor, reason=reason, ip=ip_of(request),
                             retention_days=state.settings.closed_account_retention_days)
    except closing.ClosingRefused as refused:
        return await _page(request, {"finish": str(refused)}, {"finish": reason}, 409)
    except StripeFailure as failure:
        return await _page(request, {"finish": _stripe_trouble(failure)}, {"finish": reason}, 502)
    await send_mail(request, file.seller.email, _l("Your seller account is closed"), "mail/account_closed.txt", locale=file.seller.locale,
                    name=file.facts.name)
    flash(request, f"{file.facts.name}'s account is closed.", "success")
    return redirect(request, "staff:close", seller_id=file.seller.id)


routes = [
    Route("/sellers/{seller_id:int}/close", close_page, name="close"),
    Route("/sellers/{seller_id:int}/close/start", start, methods=["POST"], name="close_start"),
    Route("/sellers/{seller_id:int}/close/stop-payments", stop_payments, methods=["POST"], name="close_stop_payments"),
    Route("/sellers/{seller_id:int}/close/pay-out", pay_out, methods=["POST"], name="close_pay_out"),
    Route("/sellers/{seller_id:int}/close/finish", finish, methods=["POST"], name="close_finish"),
]
