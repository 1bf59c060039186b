"""Staff sign-in and sign-out: single sign-on through the company's OpenID Connect provider, and,
in sandbox mode with no provider configured, a development-only pick-a-staff-member sign-in."""

import httpx
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from joserfc.errors import ExpiredTokenError, InvalidClaimError, JoseError, MissingClaimError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse

from portal import audit
from portal.accounts.auth import safe_next
from portal.inputs import read_form, whole_number
from portal.integrations import identity
from portal.staff import service, view_as
from portal.staff.auth import current_staff, forget, ip_of
from portal.staff.auth import sign_in as start_session
from portal.web import absolute_url, render

NEXT_KEY = "staff_next"


def explain_failure(exc: Exception) -> str:
    """What went wrong with a sign-in, in words for the person at the screen."""
    if isinstance(exc, MismatchingStateError):
        return ("This sign-in attempt does not match the one started in this browser (it may have expired, "
                "or the link was opened elsewhere). Start again from the sign-in page.")
    if isinstance(exc, ExpiredTokenError):
        return "The identity provider's sign-in token has expired. Start again from the sign-in page."
    if isinstance(exc, (InvalidClaimError, MissingClaimError)) and "nonce" in str(exc):
        return ("The identity provider's answer was made for a different sign-in attempt (nonce mismatch). "
                "Start again from the sign-in page.")
    if isinstance(exc, OAuthError) and exc.error:
        return f"The identity provider did not sign you in ({exc.error}). Start again, or ask IT for help."
    return "The identity provider's answer could not be verified. Start again, or ask IT for help."


async def sign_in_page(request: Request):
    if await current_staff(request) is not None:
        return RedirectResponse(request.url_for("staff:search").path, status_code=303)
    settings = request.app.state.settings
    members = await run_in_threadpool(service.active_members, request.app.state.db) if settings.staff_dev_sign_in else []
    next_path = safe_next(request.query_params.get("next")) or ""
    return render(request, "staff/sign_in.html", {"members": members, "next": next_path})


async def start(request: Request):
    client = request.app.state.identity
    if client is None:
        raise HTTPException(404)
    # A plain link, not a form: the page's CSP allows forms to post only to this site, and a
    # form's redirect to the provider would count as posting there.
    request.session[NEXT_KEY] = safe_next(request.query_params.get("next")) or ""
    try:
        return await client.authorize_redirect(request, absolute_url(request, "staff:callback"))
    except (httpx.HTTPError, OAuthError, ValueError):
        return _refused(request, "The identity provider cannot be reached right now. Try again in a moment.", status=502)


def _refused(request: Request, message: str, status: int = 400):
    return render(request, "staff/sign_in_failed.html", {"message": message}, status_code=status)


async def callback(request: Request):
    client = request.app.state.identity
    if client is None:
        raise HTTPException(404)
    db = request.app.state.db
    try:
        token = await client.authorize_access_token(request)
    except (OAuthError, JoseError, ValueError, KeyError, httpx.HTTPError) as exc:
        return _refused(request, explain_failure(exc))
    claims = token.get("userinfo") or {}
    email, verified = str(claims.get("email") or ""), claims.get("email_verified") is True
    claimed = service.role_from_claim(claims.get(request.app.state.settings.staff_oidc_roles_claim))
    member = None
    if email and verified:
        member = await run_in_threadpool(
            service.member_for_identity, db, email=email, subject=str(claims.get("sub", "")),
            name=str(claims.get("name") or ""), claimed=claimed,
        )
    if member is None:
        await run_in_threadpool(
            audit.record, db, actor=audit.Actor(audit.STAFF, None, email[:254]), action="staff.sign_in_refused",
            details={"reason": "unknown identity" if verified else "email not verified"}, ip=ip_of(request),
        )
        return _refused(request, f"{email or 'This identity'} has no access to the staff console. "
                                 "Ask an admin to add you, then sign in again.", status=403)
    target = safe_next(request.session.pop(NEXT_KEY, "")) or request.url_for("staff:search").path
    return await start_session(request, member, RedirectResponse(target, status_code=303),
                               method="oidc", id_token=token.get("id_token", ""))


async def dev_sign_in(request: Request):
    """Sandbox mode only, no provider: sign in as a staff member `portal create-staff` made."""
    if not request.app.state.settings.staff_dev_sign_in:
        raise HTTPException(404)
    form = await read_form(request)
    staff_id = whole_number(form.get("staff_id"))
    member = None if staff_id is None else await run_in_threadpool(service.get_member, request.app.state.db, staff_id)
    if member is None or not member.active:
        return _refused(request, "Pick a staff member from the list (add one with `portal create-staff`).", status=400)
    target = safe_next(form.get("next")) or request.url_for("staff:search").path
    return await start_session(request, member, RedirectResponse(target, status_code=303), method="development")


SIGN_OUT_TARGET = "_staff_sign_out_target"


async def sign_out(request: Request):
    staff = await current_staff(request)
    client = request.app.state.identity
    target = request.url_for("staff:signed_out").path
    if staff is not None:
        if token := view_as.cookie_token(request):
            await run_in_threadpool(view_as.end, request.app.state.db, token, ip=ip_of(request), why="sign-out")
        await run_in_threadpool(audit.record, request.app.state.db, actor=staff.actor, action="staff.sign_out",
                                ip=ip_of(request))
        if client is not None:
            try:
                target = await identity.end_session_url(
                    client, id_token_hint=staff.id_token,
                    post_logout_redirect_uri=absolute_url(request, "staff:signed_out"),
                ) or target
            except (OAuthError, OSError, RuntimeError, httpx.HTTPError):
                pass  # the portal session ends either way
    # Post/redirect/get, to our own page first: a form's redirect straight to the provider would break
    # the CSP's form-action. That page moves on to the provider's sign-out by itself (meta refresh).
    request.session[SIGN_OUT_TARGET] = target
    response = RedirectResponse(request.url_for("staff:signing_out").path, status_code=303)
    return view_as.clear_cookie(forget(request, response))


async def signing_out(request: Request):
    """Where sign-out lands: it sends the browser on to the provider's sign-out once (a reload, or a
    visit without signing out, lands on the signed-out page)."""
    target = request.session.pop(SIGN_OUT_TARGET, None) or request.url_for("staff:signed_out").path
    return render(request, "staff/signing_out.html", {"target": target})


async def signed_out(request: Request):
    return render(request, "staff/signed_out.html")
