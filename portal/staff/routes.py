"""The staff console: sign-in, seller search, a seller's file, view-as-seller and risk actions.
Every handler is behind staff_required (sign-in pages aside); every change is audited."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from portal.i18n import lazy_gettext as _l
from portal import audit, countries
from portal.connect import negative_balances
from portal.inputs import read_form
from portal.integrations.stripe import StripeFailure
from portal.funds import routes as funds
from portal.security import staff_passkeys
from portal.staff import account_admin, alerts_pages, closing, overview_pages, requirements_desk, risk, search, service, sign_in, team, view_as
from portal.staff.auth import current_staff, ip_of, keep_alive, staff_required
from portal.staff import pages
from portal.staff.pages import ANY, RISK
from portal.web import absolute_url, flash, format_timestamp, redirect, render, send_mail



@staff_required(*ANY)
async def search_page(request: Request):
    query = request.query_params.get("q", "").strip()[:200]
    wanted = {key for key in request.query_params.getlist("filter") if key in search.FILTERS}
    asked = request.query_params.get("country", "").strip().upper()[:8]
    country = asked if countries.supported(asked) else ""
    searched = bool(query or wanted or country or "q" in request.query_params)
    results = await run_in_threadpool(search.search, request.app.state.db, query, wanted, country) if searched else []
    errors = {"country": "Choose a country from the list."} if asked and not country else {}
    return render(request, "staff/search.html", {
        "query": query, "wanted": wanted, "filters": search.FILTERS, "results": results, "searched": searched,
        "country": country, "countries": search.COUNTRY_CHOICES, "country_label": search.country_name(country), "errors": errors,
    }, 400 if errors else 200)


@staff_required(*ANY)
async def seller_page(request: Request):
    return await pages.seller_page(request)


@staff_required(*ANY)
async def add_note(request: Request):
    form = await read_form(request)
    body = str(form.get("body") or "").strip()
    if not body or len(body) > 5000:
        error = "Write the note first." if not body else "Keep a note under 5,000 characters."
        return await pages.seller_page(request, {"note": error}, {"note": body}, 400)
    staff = await current_staff(request)
    db = request.app.state.db
    await pages.known_seller(request)
    await run_in_threadpool(service.add_note, db, pages.seller_id(request), staff.member, body)
    await run_in_threadpool(audit.record, db, actor=staff.actor, action="staff.note", seller_id=pages.seller_id(request),
                            ip=ip_of(request))
    flash(request, "Note added.", "success")
    return redirect(request, "staff:seller", seller_id=pages.seller_id(request))


@staff_required(*ANY)
async def view_as_start(request: Request):
    reason, errors = pages.reason_from(await read_form(request), "view_as")
    if errors:
        return await pages.seller_page(request, errors, {"view_as": reason}, 400)
    staff = await current_staff(request)
    try:
        token, _grant = await run_in_threadpool(
            view_as.start, request.app.state.db, staff.member, pages.seller_id(request),
            minutes=request.app.state.settings.view_as_minutes, ip=ip_of(request), reason=reason,
        )
    except view_as.ViewAsRefused as refused:
        return await pages.seller_page(request, {"view_as": str(refused)}, {"view_as": reason}, 403)
    return view_as.set_cookie(request, redirect(request, "dashboard"), token)


async def view_as_exit(request: Request):
    """Not behind staff_required: leaving must work even after the staff session lapsed mid-view."""
    token = view_as.cookie_token(request)
    grant = await run_in_threadpool(view_as.end, request.app.state.db, token, ip=ip_of(request)) if token else None
    if await current_staff(request) is None:
        response = redirect(request, "staff:sign_in")
    elif grant is not None:
        response = redirect(request, "staff:seller", seller_id=grant.seller_id)
    else:
        response = redirect(request, "staff:search")
    flash(request, "You have stopped viewing as the seller.", "info")
    return view_as.clear_cookie(keep_alive(request, response))


async def _risk_action(request: Request, action: str, run):
    reason, errors = pages.reason_from(await read_form(request), action)
    if errors:
        return await pages.seller_page(request, errors, {action: reason}, 400)
    await pages.known_seller(request)
    staff = await current_staff(request)
    state = request.app.state
    try:
        message = await run(state.db, state.stripe, pages.seller_id(request), actor=staff.actor, reason=reason,
                            ip=ip_of(request), secret=state.secret)
    except risk.RiskActionRefused as refused:
        return await pages.seller_page(request, {action: str(refused)}, {action: reason}, 409)
    except StripeFailure as failure:
        return await pages.seller_page(request, {action: f"Stripe refused or did not answer ({failure.code or failure.kind}). "
                                                    "Nothing else changed; try again."}, {action: reason}, 502)
    flash(request, message, "success")
    return redirect(request, "staff:seller", seller_id=pages.seller_id(request))


@staff_required(*RISK)
async def pause_payouts(request: Request):
    async def run(db, gateway, seller_id, **kwargs):
        try:
            await risk.pause_payouts(db, gateway, seller_id, **kwargs)
        except StripeFailure:
            return "Payouts are paused here, but Stripe's schedule could not be changed yet; it is retried on the next change."
        return "Payouts paused. The seller sees this on their status page."
    return await _risk_action(request, "pause", run)


@staff_required(*RISK)
async def resume_payouts(request: Request):
    async def run(db, gateway, seller_id, **kwargs):
        await risk.resume_payouts(db, gateway, seller_id, **kwargs)
        return "Payouts resumed."
    return await _risk_action(request, "resume", run)


@staff_required(*RISK)
async def debit_negative(request: Request):
    form = await read_form(request)
    on = form.get("on") == "true"

    async def run(db, gateway, seller_id, **kwargs):
        await risk.set_debit_negative_balances(db, gateway, seller_id, on=on, **kwargs)
        return f"Automatic debiting of negative balances is now {'on' if on else 'off'}."
    return await _risk_action(request, "debit", run)


@staff_required(*RISK)
async def reject_confirm(request: Request):
    file = await pages.known_seller(request)
    errors, values = {}, {}
    if request.method == "POST":
        form = await read_form(request)
        values = {"why": str(form.get("why") or ""), "reason": str(form.get("reason") or "").strip()}
        if values["why"] not in risk.REJECT_REASONS:
            errors["why"] = "Choose why the account is rejected."
        if not values["reason"]:
            errors["reason"] = "Give a reason: it goes on the seller's audit trail."
        if form.get("confirm_email", "").strip().lower() != file.seller.email:
            errors["confirm_email"] = f"Type the seller's email ({file.seller.email}) to confirm."
        if not errors:
            staff = await current_staff(request)
            state = request.app.state
            try:
                await risk.reject_account(state.db, state.stripe, file.seller.id, actor=staff.actor, why=values["why"],
                                          reason=values["reason"], ip=ip_of(request), secret=state.secret,
                                          retention_days=state.settings.closed_account_retention_days)
            except risk.RiskActionRefused as refused:
                errors["why"] = str(refused)
            except StripeFailure as failure:
                errors["why"] = f"Stripe refused or did not answer ({failure.code or failure.kind}). Nothing changed."
            else:
                flash(request, f"{file.facts.name}'s account is rejected.", "success")
                return redirect(request, "staff:seller", seller_id=file.seller.id)
    context = {"file": file, "errors": errors, "values": values, "reasons": risk.REJECT_REASONS}
    return render(request, "staff/reject.html", context,
                  status_code=400 if errors else 200)


@staff_required(*RISK)
async def send_remediation(request: Request):
    form = await read_form(request)
    reason, errors = pages.reason_from(form, "remediation")
    submission = str(form.get("submission") or "")
    if not errors and not pages.SUBMISSION.fullmatch(submission):
        errors = {"remediation": pages.EXPIRED_FORM}
    if errors:
        return await pages.seller_page(request, errors, {"remediation": reason}, 400)
    file = await pages.known_seller(request)
    if earlier := pages.already_sent(file.trail, "risk.remediation_link", submission):
        flash(request, f"This form already emailed {file.seller.email} at {format_timestamp(earlier.at, True)}; "
                       "nothing was sent again.", "info")
        return redirect(request, "staff:seller", seller_id=file.seller.id)
    staff = await current_staff(request)
    await send_mail(request, file.seller.email, _l("Action needed on your seller account"), "mail/staff_remediation.txt",
                    locale=file.seller.locale,
                    link=absolute_url(request, "connect:status"), message=reason)
    await run_in_threadpool(audit.record, request.app.state.db, actor=staff.actor, action="risk.remediation_link",
                            seller_id=file.seller.id, reason=reason, ip=ip_of(request), details={"submission": submission})
    flash(request, f"Remediation link sent to {file.seller.email}.", "success")
    return redirect(request, "staff:seller", seller_id=file.seller.id)


@staff_required(*RISK)
async def negative_balances_page(request: Request):
    """Sellers below zero, the longest first, with the days left before the platform's reserve pays."""
    return await _negative_balances(request)


async def _negative_balances(request: Request, errors: dict | None = None, status_code: int = 200):
    rows = await run_in_threadpool(negative_balances.negative_balances, request.app.state.db)
    names = await run_in_threadpool(search.names_of, request.app.state.db, {row.seller_id for row in rows})
    return render(request, "staff/negative_balances.html", {
        "rows": rows, "names": names, "reserve_days": negative_balances.RESERVE_AFTER_DAYS, "errors": errors or {},
        "not_read": await run_in_threadpool(negative_balances.balances_not_read_since_moving, request.app.state.db),
    }, status_code)


@staff_required(*RISK)
async def record_arrangement(request: Request):
    """A repayment arrangement agreed with the seller: on the notes thread and the audit trail."""
    form = await read_form(request)
    terms = str(form.get("terms") or "").strip()
    seller_id = pages.seller_id(request)
    if not terms or len(terms) > 2000:
        error = "Say what was agreed: amounts and dates." if not terms else "Keep it under 2,000 characters."
        return await _negative_balances(request, {seller_id: error}, 400)
    await pages.known_seller(request)
    staff, db = await current_staff(request), request.app.state.db
    await run_in_threadpool(service.add_note, db, seller_id, staff.member, f"Repayment arrangement: {terms}")
    await run_in_threadpool(audit.record, db, actor=staff.actor, action="staff.repayment_arrangement",
                            seller_id=seller_id, reason=terms, ip=ip_of(request))
    flash(request, "The arrangement is on the seller's notes and audit trail.", "success")
    return redirect(request, "staff:negative_balances")


routes = [
    Route("/", search_page, name="search"),
    Route("/sign-in", sign_in.sign_in_page, name="sign_in"),
    Route("/sign-in/start", sign_in.start, name="start"),
    Route("/auth/callback", sign_in.callback, name="callback"),
    Route("/sign-out", sign_in.sign_out, methods=["POST"], name="sign_out"),
    Route("/signing-out", sign_in.signing_out, name="signing_out"),
    Route("/signed-out", sign_in.signed_out, name="signed_out"),
    Route("/sellers/{seller_id:int}", seller_page, name="seller"),
    Route("/sellers/{seller_id:int}/notes", add_note, methods=["POST"], name="add_note"),
    Route("/sellers/{seller_id:int}/view-as", view_as_start, methods=["POST"], name="view_as_start"),
    Route("/view-as/exit", view_as_exit, methods=["POST"], name="view_as_exit"),
    Route("/sellers/{seller_id:int}/pause-payouts", pause_payouts, methods=["POST"], name="pause_payouts"),
    Route("/sellers/{seller_id:int}/resume-payouts", resume_payouts, methods=["POST"], name="resume_payouts"),
    Route("/sellers/{seller_id:int}/debit-negative-balances", debit_negative, methods=["POST"], name="debit_negative"),
    Route("/sellers/{seller_id:int}/reject", reject_confirm, methods=["GET", "POST"], name="reject"),
    Route("/sellers/{seller_id:int}/remediation", send_remediation, methods=["POST"], name="remediation"),
    Route("/negative-balances", negative_balances_page, name="negative_balances"),
    Route("/sellers/{seller_id:int}/repayment-arrangement", record_arrangement, methods=["POST"], name="repayment_arrangement"),
    Route("/team", team.team, methods=["GET", "POST"], name="team"),
    Route("/team/{staff_id:int}/deactivate", team.deactivate, methods=["POST"], name="deactivate"),
    *requirements_desk.routes,
    *account_admin.routes,
    *funds.routes,
    *staff_passkeys.routes,
    *closing.routes,
    *overview_pages.routes,
    *alerts_pages.routes,
]
