"""Staff moving money between the platform and a seller's account, with a second approver (issue 10).

Send and pull forms on a seller's file, the approvals page, and approve / decline / run again.
Every handler needs the risk or admin role; the domain steps are in service.py."""

import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from portal.accounts.auth import json_error

from portal.funds import service
from portal.money import units
from portal.funds.models import AWAITING_APPROVAL, DECLINED, EXECUTED, FAILED, PULL, SEND
from portal.inputs import read_form
from portal.integrations.stripe import StripeFailure
from portal.security import passkeys, staff_passkeys
from portal.staff import pages, search
from portal.staff.auth import current_staff, ip_of, staff_required
from portal.staff.pages import RISK
from portal.web import flash, format_money, redirect, render


def _staff(session) -> service.Staff:
    return service.Staff(session.member.id, session.member.email)


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


@staff_required(*RISK)
async def send_form(request: Request):
    return await _request_form(request, SEND)


@staff_required(*RISK)
async def pull_form(request: Request):
    return await _request_form(request, PULL)


async def _request_form(request: Request, direction: str):
    file = await pages.known_seller(request)
    state = request.app.state
    account = file.view.account
    errors: dict = {}
    if request.method == "GET":
        query = request.query_params
        values = {key: query.get(key, "")[:1000] for key in ("amount", "reason", "description")}
        values["form_token"] = new_form_token()
    else:
        form = await read_form(request)
        values = {key: str(form.get(key) or "").strip() for key in ("amount", "reason", "description", "form_token")}
    refusal = None
    if account is None:
        refusal = "This seller has no Stripe account yet: there is nowhere to move money."
    elif direction == PULL:
        # The account's country is in the mirror; the platform's is asked of Stripe only on submit.
        refusal = service.pull_refusal(account.snapshot.get("country"), service.PULL_COUNTRY)
        if refusal is None and request.method == "POST":
            refusal = await _platform_refusal(state.stripe, account.snapshot)
    if request.method == "POST" and refusal is None:
        if not service.TOKEN.fullmatch(values["form_token"]):
            values["form_token"] = new_form_token()
            errors["form"] = "This form had expired. Check the values and submit it again."
        currency = account.snapshot.get("default_currency") or "usd"
        errors = {**service.request_errors(direction, values, currency), **errors}
        amount, _ = service.parse_amount(values["amount"], currency)
        if not errors and direction == PULL:
            errors = await _pull_amount_errors(state.stripe, account.stripe_account_id, amount, currency)
        if not errors:
            return await _submit(request, file, direction, amount, currency, values)
    return _form_page(request, file, direction, values, errors, refusal,
                      status_code=400 if errors else (409 if refusal and request.method == "POST" else 200))


async def _platform_refusal(gateway, snapshot: dict) -> str | None:
    try:
        country = await service.platform_country(gateway)
    except StripeFailure as failure:
        return f"Stripe did not answer ({failure.code or failure.kind}), so the platform's country is unknown. Try again."
    return service.pull_refusal(snapshot.get("country"), country)


async def _pull_amount_errors(gateway, account_id: str, amount: int, currency: str) -> dict:
    """A pull never asks for more than the available balance as Stripe reports it now."""
    try:
        available = service.available_in(await gateway.retrieve_balance(account_id), currency)
    except StripeFailure as failure:
        return {"form": f"Stripe did not answer ({failure.code or failure.kind}) with the seller's balance. Try again."}
    if amount > available:
        if available <= 0:
            return {"amount": f"The seller's available balance is {format_money(available, currency)}: there is nothing to pull."}
        return {"amount": f"The seller's available balance is {format_money(available, currency)}; "
                          "pull at most that."}
    return {}


async def _submit(request: Request, file, direction: str, amount: int, currency: str, values: dict):
    state, staff = request.app.state, await current_staff(request)
    account = file.view.account
    movement, created = await service.request_movement(
        state.db, state.stripe, seller_id=file.seller.id, account_id=account.stripe_account_id, currency=currency,
        direction=direction, amount=amount, reason=values["reason"], description=values["description"],
        form_token=values["form_token"], staff=_staff(staff), threshold=state.settings.money_approval_threshold,
        ip=ip_of(request), secret=state.secret,
    )
    if not created:
        flash(request, f"This request was already submitted (movement #{movement.id}, {movement.state.replace('_', ' ')}); "
                       "nothing was added.", "info")
        return redirect(request, "staff:seller", seller_id=file.seller.id)
    if movement.state == FAILED:
        values = {**values, "form_token": new_form_token()}
        return _form_page(request, file, direction, values, {"form": failure_message(movement)}, None, status_code=409)
    flash(request, outcome_message(movement), "success" if movement.state in (EXECUTED, AWAITING_APPROVAL) else "error")
    return redirect(request, "staff:seller", seller_id=file.seller.id)


def _form_page(request: Request, file, direction: str, values: dict, errors: dict, refusal: str | None,
               status_code: int = 200):
    view = file.view
    currency = (view.account.snapshot.get("default_currency") if view.account else None) or "usd"
    threshold = request.app.state.settings.money_approval_threshold
    amount, _ = service.parse_amount(values.get("amount") or "", currency)
    return render(request, "staff/funds_request.html", {
        "file": file, "direction": direction, "title": service.DIRECTIONS[direction], "values": values,
        "errors": errors, "refusal": refusal, "currency": currency, "threshold": threshold,
        "currency_name": units.name(currency), "currency_decimals": units.decimals(currency),
        # Said before submitting (issue 21): whether the amount typed so far waits for a second approver.
        "waits": None if amount is None else service.waits_for_approval(amount, threshold),
    }, status_code=status_code)


def outcome_message(movement) -> str:
    amount = format_money(movement.amount, movement.currency)
    verb = "Sent" if movement.direction == SEND else "Pulled"
    if movement.state == EXECUTED:
        balances = ""
        if movement.balance_before is not None and movement.balance_after is not None:
            balances = (f" The seller's available balance went from {format_money(movement.balance_before, movement.currency)}"
                        f" to {format_money(movement.balance_after, movement.currency)}.")
        return f"{verb} {amount} (movement #{movement.id}).{balances}"
    if movement.state == AWAITING_APPROVAL:
        return (f"Requested {amount} (movement #{movement.id}). It is at or above the approval threshold, so it waits "
                "for a second staff member on the approvals page.")
    if movement.state == FAILED:
        return failure_message(movement)
    if movement.state == DECLINED:
        return f"Declined movement #{movement.id}."
    return (f"Stripe did not answer for movement #{movement.id} ({movement.failure_code}). Nothing is known to have moved; "
            "run it again from the approvals page (it cannot move money twice).")


def failure_message(movement) -> str:
    what = "send" if movement.direction == SEND else "pull"
    if movement.failure_code == "balance_insufficient" and movement.direction == SEND:
        hint = " The platform's available balance is too low: add funds to the platform's balance first."
    elif movement.failure_code == "amount_above_available_balance":
        hint = " Nothing was pulled."
    else:
        hint = ""
    return (f"Stripe refused to {what} {format_money(movement.amount, movement.currency)} (movement #{movement.id} "
            f"is marked failed): {movement.failure_message} [{movement.failure_code}].{hint}")


@staff_required(*RISK)
async def approvals_page(request: Request):
    return await _approvals(request)


async def _approvals(request: Request, errors: dict | None = None, values: dict | None = None, status_code: int = 200):
    db = request.app.state.db
    waiting = await run_in_threadpool(service.awaiting, db)
    done = await run_in_threadpool(service.recent, db)
    me = await current_staff(request)
    names = await run_in_threadpool(search.names_of, db, {movement.seller_id for movement in [*waiting, *done]})
    return render(request, "staff/funds_approvals.html", {
        "waiting": waiting, "done": done, "names": names, "errors": errors or {}, "values": values or {},
        "me": me.member.id, "threshold": request.app.state.settings.money_approval_threshold,
        "directions": service.DIRECTIONS,
        "has_passkey": bool(await run_in_threadpool(passkeys.passkeys_of, db, passkeys.Owner.staff(me.member.id))),
    }, status_code=status_code)


def _movement_id(request: Request) -> int:
    return request.path_params["movement_id"]


async def _run(request: Request, step):
    """Run again: `step` runs the movement at Stripe; its outcome is flashed."""
    state, staff = request.app.state, await current_staff(request)
    try:
        movement = await step(state.db, state.stripe, _movement_id(request), staff=_staff(staff),
                              ip=ip_of(request), secret=state.secret)
    except service.MovementRefused as refused:
        return await _approvals(request, {_movement_id(request): str(refused)}, status_code=409)
    flash(request, outcome_message(movement), "success" if movement.state == EXECUTED else "error")
    return redirect(request, "staff:funds")


@staff_required(*RISK)
async def approve_options(request: Request):
    return await staff_passkeys.approval_options(request, staff_passkeys.approval_subject(_movement_id(request)))


@staff_required(*RISK)
async def approve(request: Request):
    """Approving moves money above the threshold: the approver confirms this movement with their
    passkey (static/passkeys.js posts its answer as JSON), so a staff session alone cannot."""
    movement_id = _movement_id(request)
    if (refusal := await staff_passkeys.confirmed(request, staff_passkeys.approval_subject(movement_id))) is not None:
        return refusal
    state, staff = request.app.state, await current_staff(request)
    try:
        movement = await service.approve(state.db, state.stripe, movement_id, staff=_staff(staff), ip=ip_of(request),
                                         secret=state.secret)
    except service.MovementRefused as refused:
        return json_error(str(refused), 409)
    flash(request, outcome_message(movement), "success" if movement.state == EXECUTED else "error")
    return JSONResponse({"redirect": request.url_for("staff:funds").path})


@staff_required(*RISK)
async def decline(request: Request):
    form = await read_form(request)
    reason = str(form.get("reason") or "").strip()
    movement_id = _movement_id(request)
    if not reason or len(reason) > 1000:
        error = "Say why you decline: the requester and the audit trail see it." if not reason else \
            "Keep the reason under 1,000 characters."
        return await _approvals(request, {f"decline-{movement_id}": error}, {movement_id: reason}, 400)
    staff = await current_staff(request)
    try:
        movement = await run_in_threadpool(service.decline, request.app.state.db, movement_id, staff=_staff(staff),
                                           reason=reason, ip=ip_of(request))
    except service.MovementRefused as refused:
        return await _approvals(request, {movement_id: str(refused)}, status_code=409)
    flash(request, f"Declined movement #{movement.id}; nothing moved.", "success")
    return redirect(request, "staff:funds")


@staff_required(*RISK)
async def run_again(request: Request):
    return await _run(request, service.retry)


routes = [
    Route("/sellers/{seller_id:int}/funds/send", send_form, methods=["GET", "POST"], name="funds_send"),
    Route("/sellers/{seller_id:int}/funds/pull", pull_form, methods=["GET", "POST"], name="funds_pull"),
    Route("/funds", approvals_page, name="funds"),
    Route("/funds/{movement_id:int}/approve/options", approve_options, methods=["POST"], name="funds_approve_options"),
    Route("/funds/{movement_id:int}/approve", approve, methods=["POST"], name="funds_approve"),
    Route("/funds/{movement_id:int}/decline", decline, methods=["POST"], name="funds_decline"),
    Route("/funds/{movement_id:int}/run-again", run_again, methods=["POST"], name="funds_run_again"),
]
