"""Staff passkeys: the step-up on top of single sign-on. A staff member registers passkeys on their
own page; approving a money movement above the threshold (portal/funds/routes.py) then needs an
answer from one of them, for that movement, so a stolen staff session alone cannot approve. For
the same reason, adding or removing one needs a fresh single sign-on: a stolen session, otherwise,
could add its thief's passkey."""

import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from portal import audit
from portal.accounts.auth import json_error
from portal.inputs import read_json_object
from portal.security import passkeys
from portal.security.passkey_routes import CHALLENGE_KEY, credential_of, refused, relying_party, send_options
from portal.security.passkeys import Owner, Purpose, Refusal
from portal.staff.auth import current_staff, ip_of, staff_required
from portal.web import flash, redirect, render


# How recent the single sign-on must be to add or remove a passkey.
FRESH_SIGN_ON = 15 * 60
NOT_FRESH = "Sign out and sign in again to add or remove a passkey: changing them needs a sign-in from the last 15 minutes."


async def _owner(request: Request) -> Owner:
    return Owner.staff((await current_staff(request)).member.id)


async def _fresh(request: Request) -> bool:
    return time.time() - (await current_staff(request)).since < FRESH_SIGN_ON


@staff_required()
async def page(request: Request):
    mine = await run_in_threadpool(passkeys.passkeys_of, request.app.state.db, await _owner(request))
    return render(request, "staff/passkeys.html", {"passkeys": mine, "fresh": await _fresh(request),
                                                   "not_fresh": NOT_FRESH})


@staff_required()
async def register_options(request: Request):
    if not await _fresh(request):
        return json_error(NOT_FRESH, 403)
    staff = await current_staff(request)
    return send_options(request, await run_in_threadpool(
        passkeys.registration_options, request.app.state.db, relying_party(request), await _owner(request),
        staff.member.email, request.app.state.secret))


@staff_required()
async def register(request: Request):
    if not await _fresh(request):
        return json_error(NOT_FRESH, 403)
    body = await read_json_object(request)
    if (credential := credential_of(body)) is None:
        return refused(Refusal.malformed)
    staff, db = await current_staff(request), request.app.state.db
    added = await run_in_threadpool(passkeys.finish_registration, db, relying_party(request), await _owner(request),
                                    credential, str(body.get("name", "")), request.session.pop(CHALLENGE_KEY, ""))
    if isinstance(added, passkeys.Refusal):
        return refused(added)
    await run_in_threadpool(audit.record, db, actor=staff.actor, action="staff.passkey_added",
                            details={"passkey": added.name}, ip=ip_of(request))
    flash(request, f"Passkey “{added.name}” added. You confirm approvals with it.", "success")
    return JSONResponse({"redirect": request.url_for("staff:passkeys").path})


@staff_required()
async def remove(request: Request):
    if not await _fresh(request):
        flash(request, NOT_FRESH, "error")
        return redirect(request, "staff:passkeys")
    staff, db = await current_staff(request), request.app.state.db
    removed = await run_in_threadpool(passkeys.remove, db, await _owner(request), request.path_params["passkey_id"])
    if removed is not None:
        await run_in_threadpool(audit.record, db, actor=staff.actor, action="staff.passkey_removed",
                                details={"passkey": removed.name}, ip=ip_of(request))
        flash(request, f"Passkey “{removed.name}” removed.", "success")
    return redirect(request, "staff:passkeys")


def approval_subject(movement_id: int) -> str:
    return f"funds:{movement_id}"


async def approval_options(request: Request, subject: str) -> Response:
    """A challenge only this staff member's passkeys can answer, good for this one approval."""
    return send_options(request, await run_in_threadpool(
        passkeys.authentication_options, request.app.state.db, relying_party(request), Purpose.approve,
        await _owner(request), subject))


async def confirmed(request: Request, subject: str) -> Response | None:
    """None when the request carries this staff member's passkey answer for `subject`; otherwise
    the JSON refusal to send."""
    # A plain form post (no script, or an old page) carries no answer: say what is missing.
    json_sent = request.headers.get("content-type", "").startswith("application/json")
    if not json_sent or (credential := credential_of(await read_json_object(request))) is None:
        return json_error("Confirm with your passkey: add one on the Passkeys page first.", 400)
    answered = await run_in_threadpool(
        passkeys.finish_authentication, request.app.state.db, relying_party(request), credential,
        request.session.pop(CHALLENGE_KEY, ""), {Purpose.approve}, request.app.state.secret, subject)
    if isinstance(answered, Refusal):
        return refused(answered)
    if not (await _owner(request)).of(answered.passkey):  # the challenge named the owner; belt and braces
        return refused(Refusal.not_yours)
    return None


routes = [
    Route("/passkeys", page, name="passkeys"),
    Route("/passkeys/options", register_options, methods=["POST"], name="passkey_register_options"),
    Route("/passkeys/new", register, methods=["POST"], name="passkey_register"),
    Route("/passkeys/{passkey_id:int}/remove", remove, methods=["POST"], name="passkey_remove"),
]
