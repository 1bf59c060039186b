"""Passkey endpoints, called by static/passkeys.js (JSON in and out, CSRF in the x-csrf-token
header): adding one on the Security page, signing in with one (without a password, or as the step
after it), confirming it's you with one; and removing one (a form, after re-authentication).

Each pair is options (a fresh challenge, its digest kept in this browser's session) then the
answer, checked by portal/security/passkeys.py."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from portal.i18n import gettext as _, lazy_gettext as _l
from portal.accounts.auth import (
    PENDING_KEY, complete_sign_in, current_seller, device_cookie, enrolment_done, factor_removed, ip_of,
    json_error, keep_device_cookie, mark_reauthenticated, pending_seller_id, reauth_required, record_failure,
    require_enrolment, safe_next,
)
from portal.accounts.models import Seller
from portal.inputs import read_json_object
from portal.security import emails, passkeys, service
from portal.security.passkeys import Answered, Owner, Purpose, Refusal
from portal.web import flash, redirect

# The digest of the challenge this browser was last given; an answer to any other is refused.
CHALLENGE_KEY = "passkey_challenge"
REFUSALS = {
    Refusal.malformed: _l("Your browser sent something we could not read. Try again."),
    Refusal.challenge: _l("That request took too long or was already used. Try again."),
    Refusal.unknown: _l("We don't know that passkey. Sign in with your password, then add it on the Security page."),
    Refusal.not_yours: _l("That passkey belongs to another account."),
    Refusal.failed: _l("That passkey could not be checked. Try again, or use another way to sign in."),
    Refusal.counter: _l("That passkey looks copied, so we refused it. Sign in another way and remove it on the Security page."),
    Refusal.already_registered: _l("That passkey is already added."),
}


def relying_party(request: Request) -> passkeys.RelyingParty:
    return passkeys.relying_party(request.app.state.settings)


def send_options(request: Request, found: tuple[str, str]) -> Response:
    options, digest = found
    request.session[CHALLENGE_KEY] = digest
    return Response(options, media_type="application/json", headers={"Cache-Control": "no-store"})


def refused(refusal: Refusal) -> JSONResponse:
    return json_error(REFUSALS[refusal], 409 if refusal is Refusal.already_registered else 400)


def credential_of(body: dict) -> dict | None:
    credential = body.get("credential")
    return credential if isinstance(credential, dict) and isinstance(credential.get("response"), dict) else None


# Adding a passkey (signed in; also while a required second step is still to be set up).
async def register_options(request: Request):
    seller = await current_seller(request)
    db, secret = request.app.state.db, request.app.state.secret
    return send_options(request, await run_in_threadpool(passkeys.registration_options, db, relying_party(request), Owner.seller(seller.id),
                                                     seller.email, secret))


async def register(request: Request):
    seller = await current_seller(request)
    body = await read_json_object(request)
    if (credential := credential_of(body)) is None:
        return refused(Refusal.malformed)
    db = request.app.state.db
    added = await run_in_threadpool(passkeys.finish_registration, db, relying_party(request), Owner.seller(seller.id), credential,
                                    str(body.get("name", "")), request.session.pop(CHALLENGE_KEY, ""))
    if isinstance(added, Refusal):
        return refused(added)
    await run_in_threadpool(service.record_change, db, seller.id, service.PASSKEY_ADDED,
                            device=device_cookie(request), ip=ip_of(request))
    await emails.send_passkey_notice(request, seller, added.name, added=True)
    flash(request, _("Passkey “%(name)s” added. You can use it to sign in.", name=added.name), "success")
    # Asked for a second step (a Stripe account was just made): go on where the seller was going.
    return JSONResponse({"redirect": enrolment_done(request, confirms_it_is_you=False)})


@reauth_required
async def remove(request: Request):
    seller = await current_seller(request)
    db, settings = request.app.state.db, request.app.state.settings
    removed = await run_in_threadpool(passkeys.remove, db, Owner.seller(seller.id), request.path_params["passkey_id"])
    if removed is None:
        flash(request, _("That passkey was already removed."), "info")
        return redirect(request, "security:overview")
    await run_in_threadpool(service.record_change, db, seller.id, service.PASSKEY_REMOVED,
                            device=device_cookie(request), ip=ip_of(request))
    await emails.send_passkey_notice(request, seller, removed.name, added=False)
    if not await run_in_threadpool(service.enrolled, db, seller.id):
        factor_removed(request)
        if await run_in_threadpool(service.two_factor_required, db, seller.id, settings.two_factor_for_all):
            flash(request, _("Passkey “%(name)s” removed. Your account needs two-step sign-in, so set it up again.", name=removed.name), "info")
            return require_enrolment(request, then=None)
    flash(request, _("Passkey “%(name)s” removed.", name=removed.name), "success")
    return redirect(request, "security:overview")


# Signing in: without a password (the passkey names the seller), or as the step after it.
async def sign_in_options(request: Request):
    """Reachable before signing in (portal/accounts/gate.py). After the password, only that
    seller's passkeys answer; otherwise any passkey the device holds for this site."""
    seller_id = pending_seller_id(request)
    purpose = Purpose.second_step if seller_id is not None else Purpose.sign_in
    db = request.app.state.db
    owner = Owner.seller(seller_id) if seller_id is not None else None
    return send_options(request, await run_in_threadpool(passkeys.authentication_options, db, relying_party(request), purpose, owner))


async def sign_in(request: Request):
    body = await read_json_object(request)
    if (credential := credential_of(body)) is None:
        return refused(Refusal.malformed)
    pending = request.session.get(PENDING_KEY) if pending_seller_id(request) is not None else None
    answered = await _answer(request, credential, {Purpose.sign_in, Purpose.second_step}, pending_seller_id(request))
    if isinstance(answered, Response):
        return answered
    seller = await load_seller(request, answered.passkey.seller_id)
    if seller is None or seller.password_hash.startswith("locked:"):
        await record_failure(request, answered.passkey.seller_id, "passkey_locked")
        return json_error(_("This account is locked. Check your email for a link to choose a new password."), 403)
    if answered.purpose is Purpose.second_step:
        next_path = safe_next(pending.get("next")) if pending else None
        await complete_sign_in(request, seller, "password_and_passkey")
    else:
        next_path = safe_next(str(body.get("next", "")))
        await complete_sign_in(request, seller, "passkey")
    return keep_device_cookie(request, JSONResponse({"redirect": next_path or request.url_for("dashboard").path}))


# Confirming it's you before a sensitive change (the seller gate applies: signed in).
async def reauth_options(request: Request):
    seller = await current_seller(request)
    db = request.app.state.db
    return send_options(request, await run_in_threadpool(passkeys.authentication_options, db, relying_party(request), Purpose.reauth,
                                                     Owner.seller(seller.id)))


async def reauth(request: Request):
    seller = await current_seller(request)
    body = await read_json_object(request)
    if (credential := credential_of(body)) is None:
        return refused(Refusal.malformed)
    answered = await _answer(request, credential, {Purpose.reauth}, seller.id)
    if isinstance(answered, Response):
        return answered
    mark_reauthenticated(request)
    return JSONResponse({"redirect": safe_next(str(body.get("next", ""))) or request.url_for("security:overview").path})


async def _answer(request: Request, credential: dict, purposes: set[Purpose], seller_id: int | None) -> Answered | Response:
    """The checked answer, or the refusal to send (recorded in the sign-in history of the seller
    it was meant for, when there is one)."""
    db, secret = request.app.state.db, request.app.state.secret
    answered = await run_in_threadpool(passkeys.finish_authentication, db, relying_party(request), credential,
                                       request.session.pop(CHALLENGE_KEY, ""), purposes, secret)
    if isinstance(answered, Refusal):
        await record_failure(request, seller_id, answered.value)
        return refused(answered)
    if seller_id is not None and answered.passkey.seller_id != seller_id:  # the challenge said whose; belt and braces
        return refused(Refusal.not_yours)
    return answered


async def load_seller(request: Request, seller_id: int) -> Seller | None:
    def load():
        with request.app.state.db.transaction() as session:
            return session.get(Seller, seller_id)

    return await run_in_threadpool(load)


routes = [
    Route("/passkeys/options", register_options, methods=["POST"], name="passkey_register_options"),
    Route("/passkeys", register, methods=["POST"], name="passkey_register"),
    Route("/passkeys/{passkey_id:int}/remove", remove, methods=["POST"], name="passkey_remove"),
    Route("/sign-in/passkey/options", sign_in_options, methods=["POST"], name="passkey_sign_in_options"),
    Route("/sign-in/passkey", sign_in, methods=["POST"], name="passkey_sign_in"),
    Route("/confirm/passkey/options", reauth_options, methods=["POST"], name="passkey_reauth_options"),
    Route("/confirm/passkey", reauth, methods=["POST"], name="passkey_reauth"),
]
