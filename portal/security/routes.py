"""Account security pages: the second sign-in step, two-factor setup, re-authentication, sign-in
history and devices, password and login-email changes, and the 'this wasn't me' lock."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from portal.i18n import Refusal, gettext as _, ngettext
from portal.i18n import lazy_gettext as _l
from portal.accounts import emails as account_emails
from portal.accounts import passwords
from portal.accounts import service as accounts
from portal.accounts.auth import (
    MUST_ENROL_KEY, PENDING_KEY, SESSION_KEY, complete_sign_in, current_seller, device_cookie, enrolment_done,
    factor_removed, ip_of, keep_device_cookie, mark_reauthenticated, pending_seller_id, reauth_required,
    record_failure, require_enrolment, safe_next, sign_out,
)
from portal.accounts.links import LinkProblem, LinkPurpose
from portal.accounts.models import Seller
from portal.accounts.throttle import Rule
from portal.inputs import read_form
from portal.security import codes, emails, passkey_routes, passkeys, recovery, service
from portal.security.codes import CodeCheck
from portal.security.passkey_routes import load_seller
from portal.security.emails import EMAIL_CHANGE_LINK_MAX_AGE, EMAIL_REVERT_LINK_MAX_AGE, LOCK_LINK_MAX_AGE
from portal.web import absolute_url, flash, link_routes, link_token, redirect, render, send_mail

LINK_PROBLEMS = {
    LinkProblem.invalid: _l("This link is not valid. Make sure you copied the whole link from the email."),
    LinkProblem.expired: _l("This link has expired."),
    LinkProblem.used: _l("This link has already been used."),
}
CODE_PROBLEMS = {
    CodeCheck.wrong: _l("That code isn't right. Type the 6-digit code your authenticator app shows now, or a recovery code."),
    CodeCheck.replayed: _l("That code was already used. Wait for the next code in your authenticator app."),
}


def _code_rule(request: Request) -> Rule:
    """Wrong codes are limited like wrong passwords, per account."""
    settings = request.app.state.settings
    return Rule("second-factor", settings.login_attempts_per_account, settings.login_window_seconds)


def _too_many(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return Refusal(ngettext("Too many wrong codes. For your security, try again in %(num)s minute.",
                            "Too many wrong codes. For your security, try again in %(num)s minutes.", minutes))


async def _check_code(request: Request, seller_id: int, code: str) -> str | None:
    """None when the code is good; otherwise what to tell the seller (and the attempt is recorded)."""
    throttle, rule = request.app.state.throttle, _code_rule(request)
    if wait := throttle.blocked(rule, str(seller_id)):
        await record_failure(request, seller_id, "code_throttled")
        return _too_many(wait)
    if not code.strip():
        return _("Enter the 6-digit code from your authenticator app.")
    result = await run_in_threadpool(
        service.check_second_factor, request.app.state.db, seller_id, code, request.app.state.secret
    )
    if result is CodeCheck.ok:
        throttle.clear(rule, str(seller_id))
        return None
    throttle.hit(rule, str(seller_id))
    await record_failure(request, seller_id, result.value)
    return CODE_PROBLEMS[result]


async def second_factor(request: Request):
    """The second step of signing in, after the password."""
    seller_id = pending_seller_id(request)
    if seller_id is None:
        flash(request, _("Log in again: the sign-in took too long."), "info")
        return redirect(request, "accounts:login")
    error = None
    if request.method == "POST":
        form = await read_form(request)
        code = str(form.get("code", ""))
        error = await _check_code(request, seller_id, code)
        if error is None:
            next_path = safe_next(request.session[PENDING_KEY].get("next"))
            seller = await load_seller(request, seller_id)
            method = "password_and_recovery_code" if codes.looks_like_recovery_code(code) else "password_and_code"
            await complete_sign_in(request, seller, method)
            return keep_device_cookie(request, RedirectResponse(next_path or request.url_for("dashboard").path, status_code=303))
    status = 429 if isinstance(error, Refusal) else 400 if error else 200
    return render(request, "security/second_factor.html", await _factors(request, seller_id, error=error), status)


async def _factors(request: Request, seller_id: int, **context) -> dict:
    """Which second steps this seller can take: the authenticator app (or a recovery code), a passkey."""
    db = request.app.state.db
    return {"authenticator": await run_in_threadpool(service.has_authenticator, db, seller_id),
            "passkeys": await run_in_threadpool(passkeys.has_passkeys, db, seller_id), **context}


async def two_factor_setup(request: Request):
    """Set up the authenticator: the page (GET) shows no key, because a GET never writes and a key
    is a secret; pressing its button makes one (two_factor_key). The first code proves it (POST);
    the recovery codes are shown once."""
    seller = await current_seller(request)
    db, secret = request.app.state.db, request.app.state.secret
    if request.session.get(MUST_ENROL_KEY) and await run_in_threadpool(service.enrolled, db, seller.id):
        # Set up meanwhile in another tab or on another device: the ask is over, go on.
        return RedirectResponse(enrolment_done(request, confirms_it_is_you=False), status_code=303)
    if await run_in_threadpool(service.has_authenticator, db, seller.id):
        return redirect(request, "security:overview")
    if request.method == "GET":
        return _setup_page(request, seller, None)
    key = await run_in_threadpool(service.pending_secret, db, seller.id, secret)
    typed = str((await read_form(request)).get("code", "")).strip()
    if key is None:
        return _setup_page(request, seller, None, _("Press the button to show a new code, then scan it."))
    if not typed:
        return _setup_page(request, seller, key, _("Enter the 6-digit code your authenticator app shows."))
    recovery = await run_in_threadpool(service.confirm_enrolment, db, seller.id, typed, secret)
    if recovery is None:
        return _setup_page(request, seller, key, _("That code isn't right. Check the time on your phone and type the code it shows now."))
    after = enrolment_done(request, confirms_it_is_you=True)
    return render(request, "security/recovery_codes.html", {"codes": recovery, "first_time": True, "after": after})


async def two_factor_key(request: Request):
    """A new authenticator key (replacing one not yet confirmed), shown in this answer only."""
    seller = await current_seller(request)
    db, secret = request.app.state.db, request.app.state.secret
    if await run_in_threadpool(service.has_authenticator, db, seller.id):
        return redirect(request, "security:overview")
    key = await run_in_threadpool(service.start_enrolment, db, seller.id, secret)
    return _setup_page(request, seller, key)


def _setup_page(request: Request, seller: Seller, key: str | None, error: str | None = None):
    context = {"error": error, "required": bool(request.session.get(MUST_ENROL_KEY)), "key": None, "qr": None}
    if key is not None:
        uri = codes.provisioning_uri(key, seller.email, request.app.state.settings.platform_name)
        context.update(key=codes.spaced(key), qr=codes.qr_data_uri(uri))
    return render(request, "security/two_factor_setup.html", context, 400 if error else 200)


async def overview(request: Request):
    seller = await current_seller(request)
    db = request.app.state.db
    current = accounts.session_digest(request.session.get(SESSION_KEY, ""))
    context = {
        "enrolled": await run_in_threadpool(service.has_authenticator, db, seller.id),
        "passkeys": await run_in_threadpool(passkeys.passkeys_of, db, passkeys.Owner.seller(seller.id)),
        "codes_left": await run_in_threadpool(service.recovery_codes_left, db, seller.id),
        "sign_ins": await run_in_threadpool(service.recent_sign_ins, db, seller.id),
        "sessions": await run_in_threadpool(service.active_sessions, db, seller.id),
        "current_session": current,
        "describe": emails.describe_device,
    }
    return render(request, "security/overview.html", context)


async def reauth(request: Request):
    """Confirm it's you: the password, and the second factor when the seller has one; or a passkey
    (passkey_routes.reauth), which is both."""
    seller = await current_seller(request)
    next_path = safe_next(request.query_params.get("next")) or request.url_for("security:overview").path
    db = request.app.state.db
    enrolled = await run_in_threadpool(service.enrolled, db, seller.id)
    errors = {}
    if request.method == "POST":
        form = await read_form(request)
        password, code = str(form.get("password", "")), str(form.get("code", ""))
        throttle, rule = request.app.state.throttle, _code_rule(request)
        if wait := throttle.blocked(rule, str(seller.id)):
            errors["password"] = _too_many(wait)
        elif not await run_in_threadpool(passwords.verify_password, seller.password_hash, password):
            throttle.hit(rule, str(seller.id))
            await record_failure(request, seller.id, "reauth_wrong_password")
            errors["password"] = _("That password isn't right.")
        elif enrolled and (problem := await _check_code(request, seller.id, code)):
            errors["code"] = problem
        if not errors:
            mark_reauthenticated(request)
            return RedirectResponse(next_path, status_code=303)
    return render(request, "security/reauth.html", await _factors(request, seller.id, enrolled=enrolled, errors=errors,
                                                                  next=next_path), 400 if errors else 200)


@reauth_required
async def two_factor_off(request: Request):
    seller = await current_seller(request)
    db, settings = request.app.state.db, request.app.state.settings
    await run_in_threadpool(service.turn_off_two_factor, db, seller.id)
    await run_in_threadpool(service.record_change, db, seller.id, service.TWO_FACTOR_OFF,
                            device=device_cookie(request), ip=ip_of(request))
    if await run_in_threadpool(service.enrolled, db, seller.id):  # a passkey is still a second step
        flash(request, _("Your authenticator app no longer works for signing in. Your passkeys still do."), "info")
        return redirect(request, "security:overview")
    factor_removed(request)
    if await run_in_threadpool(service.two_factor_required, db, seller.id, settings.two_factor_for_all):
        flash(request, _("Two-step sign-in is off. Your account needs it, so set up your authenticator app again."), "info")
        return require_enrolment(request, then=None)
    flash(request, _("Two-step sign-in is off."), "info")
    return redirect(request, "security:overview")


@reauth_required
async def recovery_codes(request: Request):
    seller = await current_seller(request)
    db = request.app.state.db
    if not await run_in_threadpool(service.has_authenticator, db, seller.id):
        return redirect(request, "security:two_factor_setup")
    fresh = await run_in_threadpool(service.regenerate_recovery_codes, db, seller.id, request.app.state.secret)
    return render(request, "security/recovery_codes.html", {"codes": fresh, "first_time": False})


async def sign_out_others(request: Request):
    seller = await current_seller(request)
    closed = await run_in_threadpool(accounts.close_other_sessions, request.app.state.db, seller.id, request.session[SESSION_KEY])
    flash(request, ngettext("Signed out %(num)s other device.", "Signed out %(num)s other devices.", closed), "success")
    return redirect(request, "security:overview")


@reauth_required
async def change_password(request: Request):
    seller = await current_seller(request)
    db, errors = request.app.state.db, {}
    if request.method == "POST":
        form = await read_form(request)
        password, confirm = str(form.get("password", "")), str(form.get("password_confirm", ""))
        errors = await run_in_threadpool(accounts.new_password_errors, db, seller.id, seller.email, password, confirm)
        if not errors:
            await run_in_threadpool(accounts.change_password, db, seller.id, password, request.session[SESSION_KEY])
            await run_in_threadpool(service.record_change, db, seller.id, service.PASSWORD,
                                    device=device_cookie(request), ip=ip_of(request))
            flash(request, _("Your password is changed, and every other device is signed out."), "success")
            return redirect(request, "security:overview")
    return render(request, "security/password.html", {"errors": errors, "email": seller.email}, 400 if errors else 200)


@reauth_required
async def change_email(request: Request):
    seller = await current_seller(request)
    db, values, errors = request.app.state.db, {"email": ""}, {}
    if request.method == "POST":
        form = await read_form(request)
        values["email"] = str(form.get("email", "")).strip()
        if problem := accounts.email_problem(values["email"]):
            errors["email"] = problem
        elif accounts.normalize_email(values["email"]) == seller.email:
            errors["email"] = _("That is already your login email address.")
        elif await run_in_threadpool(accounts.find_seller, db, values["email"]):
            errors["email"] = _("Another account uses that address. Choose a different one.")
        else:
            change = await run_in_threadpool(accounts.request_email_change, db, seller.id, values["email"])
            await emails.send_email_change_link(request, seller, change.id, change.new_email)
            flash(request, _("We sent a link to %(new_email)s. Your login email changes when you open it.", new_email=change.new_email), "success")
            return redirect(request, "security:overview")
    return render(request, "security/email.html", {"values": values, "errors": errors, "email": seller.email},
                  400 if errors else 200)


def _link_problem(request: Request, problem: LinkProblem):
    return render(request, "accounts/link_problem.html", {"problem": LINK_PROBLEMS[problem], "purpose": "security"}, 400)


async def email_confirm(request: Request):
    token, db, secret = link_token(request), request.app.state.db, request.app.state.secret
    if request.method == "GET":
        change = await run_in_threadpool(accounts.check_email_change, db, secret, LinkPurpose.change_email, token,
                                         EMAIL_CHANGE_LINK_MAX_AGE)
        if isinstance(change, LinkProblem):
            return _link_problem(request, change)
        return render(request, "security/link_action.html", {
            "title": _("Confirm your new login email"), "text": _("Use %(new_email)s to log in from now on.", new_email=change.new_email),
            "action": request.url_for("security:email_confirm_page").path, "button": _("Confirm my new email")})
    change = await run_in_threadpool(accounts.confirm_email_change, db, secret, token, EMAIL_CHANGE_LINK_MAX_AGE)
    if isinstance(change, LinkProblem):
        return _link_problem(request, change)
    await run_in_threadpool(service.record_change, db, change.seller_id, service.LOGIN_EMAIL,
                            device=device_cookie(request), ip=ip_of(request))
    await emails.send_email_changed_notice(request, change.seller_id, change.id, change.old_email, change.new_email)
    flash(request, _("Your login email is now %(new_email)s.", new_email=change.new_email), "success")
    return redirect(request, "dashboard") if await current_seller(request) else redirect(request, "accounts:login")


async def email_revert(request: Request):
    token, db, secret = link_token(request), request.app.state.db, request.app.state.secret
    if request.method == "GET":
        change = await run_in_threadpool(accounts.check_email_change, db, secret, LinkPurpose.revert_email, token,
                                         EMAIL_REVERT_LINK_MAX_AGE)
        if isinstance(change, LinkProblem):
            return _link_problem(request, change)
        return render(request, "security/link_action.html", {
            "title": _("Undo the email change"),
            "text": _("Your login email goes back to %(old_email)s, every device is signed out, and we send you a link to choose a new password.", old_email=change.old_email),
            "action": request.url_for("security:email_revert_page").path, "button": _("Undo the change")})
    change = await run_in_threadpool(accounts.revert_email_change, db, secret, token, EMAIL_REVERT_LINK_MAX_AGE)
    if isinstance(change, LinkProblem):
        return _link_problem(request, change)
    await sign_out(request)
    seller = await load_seller(request, change.seller_id)
    await account_emails.send_password_reset(request, seller)
    flash(request, _("Your login email is %(old_email)s again. We sent you a link to choose a new password.", old_email=change.old_email), "success")
    return redirect(request, "accounts:login")


async def lock(request: Request):
    """'This wasn't me' from the new sign-in mail: one click locks, a reset link follows."""
    token, db, secret = link_token(request), request.app.state.db, request.app.state.secret
    if request.method == "GET":
        checked = await run_in_threadpool(accounts.check_link, db, secret, LinkPurpose.lock_account, token, LOCK_LINK_MAX_AGE)
        if isinstance(checked, LinkProblem):
            return _link_problem(request, checked)
        # A button, not the GET itself: mail scanners open links.
        return render(request, "security/link_action.html", {
            "title": _("Lock your account"),
            "text": _("Your password stops working and every device is signed out. We then email you a link to choose a new password."),
            "action": request.url_for("security:lock_page").path, "button": _("Lock my account")})
    locked = await run_in_threadpool(accounts.lock_account, db, secret, token, LOCK_LINK_MAX_AGE)
    if isinstance(locked, LinkProblem):
        return _link_problem(request, locked)
    await run_in_threadpool(service.record_change, db, locked.id, service.PASSWORD, device=device_cookie(request), ip=ip_of(request))
    await sign_out(request)
    await account_emails.send_password_reset(request, locked)
    flash(request, _("Your account is locked and every device is signed out. Check your email for a link to choose a new password."), "success")
    return redirect(request, "accounts:login")


async def recovery_request(request: Request):
    """Lost both the phone and the recovery codes: after the password, ask support for help."""
    seller_id = pending_seller_id(request)
    if seller_id is None:
        flash(request, _("Log in with your password first, then choose 'Lost your phone?'."), "info")
        return redirect(request, "accounts:login")
    db, errors, sent_to = request.app.state.db, {}, None
    if request.method == "POST":
        typed = str((await read_form(request)).get("last4", "")).strip()
        if not (len(typed) == 4 and typed.isascii() and typed.isdigit()):
            errors["last4"] = _("Type the last four digits of your Social Security number or your business's EIN.")
        elif request.app.state.throttle.blocked(_code_rule(request), f"recovery-{seller_id}"):
            errors["last4"] = _("You already asked several times. Wait a while, or contact support.")
        else:
            request.app.state.throttle.hit(_code_rule(request), f"recovery-{seller_id}")
            opened = await run_in_threadpool(recovery.open_request, db, seller_id, typed, ip_of(request))
            if opened.business_email:
                token = recovery.link_token(request.app.state.secret, opened)
                await send_mail(request, opened.business_email, _l("Confirm your account recovery request"), "mail/recovery.txt",
                                link=absolute_url(request, "security:recovery_confirm", token=token),
                                hours=recovery.LINK_MAX_AGE // 3600)
            sent_to = opened.business_email or ""
    return render(request, "security/recovery.html", {"errors": errors, "sent_to": sent_to}, 400 if errors else 200)


async def recovery_confirm(request: Request):
    token, db, secret = link_token(request), request.app.state.db, request.app.state.secret
    if request.method == "GET":
        return render(request, "security/link_action.html", {
            "title": _("Confirm your recovery request"),
            "text": _("Confirm that you asked to recover your seller account. Our support team then checks your request."),
            "action": request.url_for("security:recovery_confirm_page").path, "button": _("Confirm my request")})
    confirmed = await run_in_threadpool(recovery.confirm_round_trip, db, secret, token)
    if isinstance(confirmed, LinkProblem):
        return _link_problem(request, confirmed)
    flash(request, _("Thank you. Our support team will check your request and email you."), "success")
    return redirect(request, "accounts:login")


async def phishing(request: Request):
    await current_seller(request)
    return render(request, "security/phishing.html")


routes = [
    Route("/", overview, name="overview"),
    Route("/sign-in/code", second_factor, methods=["GET", "POST"], name="second_factor"),
    Route("/two-factor", two_factor_setup, methods=["GET", "POST"], name="two_factor_setup"),
    Route("/two-factor/key", two_factor_key, methods=["POST"], name="two_factor_key"),
    Route("/two-factor/off", two_factor_off, methods=["POST"], name="two_factor_off"),
    Route("/recovery-codes", recovery_codes, methods=["POST"], name="recovery_codes"),
    Route("/confirm", reauth, methods=["GET", "POST"], name="reauth"),
    Route("/sign-out-others", sign_out_others, methods=["POST"], name="sign_out_others"),
    Route("/password", change_password, methods=["GET", "POST"], name="password"),
    Route("/email", change_email, methods=["GET", "POST"], name="email"),
    *link_routes("/email/confirm", email_confirm, name="email_confirm"),
    *link_routes("/email/revert", email_revert, name="email_revert"),
    *link_routes("/lock", lock, name="lock"),
    Route("/recovery", recovery_request, methods=["GET", "POST"], name="recovery"),
    *link_routes("/recovery/confirm", recovery_confirm, name="recovery_confirm"),
    Route("/phishing", phishing, name="phishing"),
    *passkey_routes.routes,
]
