"""Sign-up, sign-in, confirmation and password-reset pages."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from portal.i18n import Refusal, gettext as _, ngettext, lazy_gettext as _l
from portal import i18n
from portal.accounts import emails, service
from portal.accounts.auth import current_seller, password_accepted, record_failure, safe_next, sign_out
from portal.accounts.links import LinkProblem, LinkPurpose
from portal.accounts.throttle import Rule
from portal.inputs import read_form
from portal.security import service as security
from portal.web import client_ip, flash, link_routes, link_token, redirect, render

BAD_CREDENTIALS = _l("That email and password don't match an account. Check both and try again.")
LINK_PROBLEMS = {
    LinkProblem.invalid: _l("This link is not valid. Make sure you copied the whole link from the email."),
    LinkProblem.expired: _l("This link has expired."),
    LinkProblem.used: _l("This link has already been used."),
}


def _rules(request: Request) -> dict[str, Rule]:
    settings = request.app.state.settings
    window = settings.login_window_seconds
    return {
        "login_account": Rule("login-account", settings.login_attempts_per_account, window),
        "login_address": Rule("login-address", settings.login_attempts_per_address, window),
        "mail_to": Rule("mail-to", 3, 3600),
        "mail_from_address": Rule("mail-from-address", 20, 3600),
    }


def _ip(request: Request) -> str:
    return client_ip(request, request.app.state.settings.trusted_proxies)


def _minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return ngettext("%(num)s minute", "%(num)s minutes", minutes)


async def _mail_allowed(request: Request, email: str) -> bool:
    """Sign-up and reset forms send mail; limit how much one address or one inbox can cause."""
    throttle, rules, ip = request.app.state.throttle, _rules(request), _ip(request)
    if throttle.blocked(rules["mail_from_address"], ip) or throttle.blocked(rules["mail_to"], email.lower()):
        return False
    throttle.hit(rules["mail_from_address"], ip)
    throttle.hit(rules["mail_to"], email.lower())
    return True


async def signup(request: Request):
    if await current_seller(request):
        return redirect(request, "dashboard")
    values, errors = {"email": ""}, {}
    if request.method == "POST":
        form = await read_form(request)
        values["email"] = str(form.get("email", "")).strip()
        password, confirm = str(form.get("password", "")), str(form.get("password_confirm", ""))
        errors = {"email": problem} if (problem := service.email_problem(values["email"])) else {}
        errors.update(service.new_password_errors(request.app.state.db, None, values["email"], password, confirm))
        if not errors:
            if not await _mail_allowed(request, values["email"]):
                return render(request, "errors/error.html", _too_many(), status_code=429)
            try:
                seller = await run_in_threadpool(service.sign_up, request.app.state.db, values["email"], password,
                                                 i18n.current_locale())
                await emails.send_confirmation(request, seller)
            except service.EmailTaken:
                # Same page as a new sign-up, so the form can't be used to learn who has an account.
                existing = await run_in_threadpool(service.find_seller, request.app.state.db, values["email"])
                await emails.send_already_registered(request, existing)
            request.session["signup_email"] = service.normalize_email(values["email"])
            return redirect(request, "accounts:check_email")
    return render(request, "accounts/signup.html", {"values": values, "errors": errors}, 400 if errors else 200)


def _too_many(seconds: int = 3600) -> dict:
    return {
        "status": 429,
        "title": _("Too many attempts"),
        "text": _("For your security we paused this for a while. Try again in %(seconds)s.", seconds=_minutes(seconds)),
    }


async def check_email(request: Request):
    return render(request, "accounts/check_email.html", {"email": request.session.get("signup_email", "")})


LOGIN_HINT_KEY = "login_hint"


async def confirm(request: Request):
    token, settings = link_token(request), request.app.state.settings
    db, secret = request.app.state.db, request.app.state.secret
    if request.method == "POST":
        result = await run_in_threadpool(service.confirm_email, db, secret, token, settings.confirm_link_max_age)
        if not isinstance(result, LinkProblem):
            flash(request, _("Thank you: your email address is confirmed."), "success")
            if await current_seller(request):
                return redirect(request, "dashboard")
            # The sign-in form that follows already knows who is signing in (kept in the signed
            # session cookie, not the URL, so the address stays out of logs).
            request.session[LOGIN_HINT_KEY] = result.email
            return redirect(request, "accounts:login")
    else:
        result = await run_in_threadpool(
            service.check_link, db, secret, LinkPurpose.confirm_email, token, settings.confirm_link_max_age
        )
    if isinstance(result, LinkProblem):
        return render(request, "accounts/link_problem.html", {"problem": LINK_PROBLEMS[result], "purpose": "confirm"}, 400)
    # Following the link shows a button; only pressing it confirms, so mail scanners that
    # open links can't use up the link.
    return render(request, "accounts/confirm.html", {"email": result.email})


async def resend_confirmation(request: Request):
    seller = await current_seller(request)
    if seller.email_confirmed_at:
        flash(request, _("Your email address is already confirmed."), "info")
    elif await _mail_allowed(request, seller.email):
        await emails.send_confirmation(request, seller)
        flash(request, _("We sent a new confirmation link to %(email)s.", email=seller.email), "success")
    else:
        flash(request, _("We already sent several links in the last hour. Check your spam folder, or try later."), "error")
    return redirect(request, "dashboard")


async def login(request: Request):
    next_path = safe_next(request.query_params.get("next"))
    if await current_seller(request):
        return RedirectResponse(next_path or request.url_for("dashboard").path, status_code=303)
    values, error = {"email": request.session.pop(LOGIN_HINT_KEY, "") if request.method == "GET" else ""}, None
    if request.method == "POST":
        request.session.pop(LOGIN_HINT_KEY, None)
        form = await read_form(request)
        values["email"] = str(form.get("email", "")).strip()
        password = str(form.get("password", ""))
        next_path = safe_next(str(form.get("next", ""))) or next_path
        if not values["email"] or not password:
            error = _("Enter your email address and password.")
        else:
            seller, error = await _check_credentials(request, values["email"], password)
            if seller:
                return await password_accepted(request, seller, next_path)
    status = 429 if isinstance(error, Refusal) else 400 if error else 200
    return render(request, "accounts/login.html", {"values": values, "error": error, "next": next_path or ""}, status)


async def _check_credentials(request: Request, email: str, password: str):
    throttle, rules, ip = request.app.state.throttle, _rules(request), _ip(request)
    account_key = email.lower()
    wait = max(throttle.blocked(rules["login_account"], account_key), throttle.blocked(rules["login_address"], ip))
    if wait:
        known = await run_in_threadpool(service.find_seller, request.app.state.db, email)
        await record_failure(request, known.id if known else None, "throttled")
        return None, Refusal(_("Too many failed attempts. For your security, try again in %(wait)s, or reset your password.",
                               wait=_minutes(wait)))
    seller = await run_in_threadpool(service.authenticate, request.app.state.db, email, password)
    if seller is None:
        throttle.hit(rules["login_account"], account_key)
        throttle.hit(rules["login_address"], ip)
        known = await run_in_threadpool(service.find_seller, request.app.state.db, email)
        await record_failure(request, known.id if known else None, "wrong_password" if known else "unknown_email")
        return None, BAD_CREDENTIALS
    throttle.clear(rules["login_account"], account_key)
    return seller, None


async def logout(request: Request):
    await sign_out(request)
    flash(request, _("You are signed out."), "info")
    return redirect(request, "accounts:login")


async def forgot_password(request: Request):
    values, errors = {"email": ""}, {}
    if request.method == "POST":
        form = await read_form(request)
        values["email"] = str(form.get("email", "")).strip()
        if problem := service.email_problem(values["email"]):
            errors["email"] = problem
        else:
            if await _mail_allowed(request, values["email"]):
                seller = await run_in_threadpool(service.find_seller, request.app.state.db, values["email"])
                if seller:
                    await emails.send_password_reset(request, seller)
            # The same answer whether or not there is an account, and whether or not we throttled.
            return render(request, "accounts/forgot_sent.html", {"email": values["email"]})
    return render(request, "accounts/forgot.html", {"values": values, "errors": errors}, 400 if errors else 200)


async def reset_password(request: Request):
    token, settings = link_token(request), request.app.state.settings
    db, secret = request.app.state.db, request.app.state.secret
    checked = await run_in_threadpool(
        service.check_link, db, secret, LinkPurpose.reset_password, token, settings.reset_link_max_age
    )
    if isinstance(checked, LinkProblem):
        return render(request, "accounts/link_problem.html", {"problem": LINK_PROBLEMS[checked], "purpose": "reset"}, 400)
    errors = {}
    if request.method == "POST":
        form = await read_form(request)
        password, confirm_value = str(form.get("password", "")), str(form.get("password_confirm", ""))
        errors = await run_in_threadpool(service.new_password_errors, db, checked.id, checked.email, password, confirm_value)
        if not errors:
            result = await run_in_threadpool(
                service.reset_password, db, secret, token, settings.reset_link_max_age, password
            )
            if isinstance(result, LinkProblem):
                return render(request, "accounts/link_problem.html", {"problem": LINK_PROBLEMS[result], "purpose": "reset"}, 400)
            request.app.state.throttle.clear(_rules(request)["login_account"], result.email)
            await run_in_threadpool(security.record_change, db, result.id, security.PASSWORD, ip=_ip(request))
            await sign_out(request)
            flash(request, _("Your password is changed and every other session is signed out. Log in with the new password."), "success")
            return redirect(request, "accounts:login")
    return render(request, "accounts/reset.html", {"email": checked.email, "errors": errors}, 400 if errors else 200)


routes = [
    Route("/signup", signup, methods=["GET", "POST"], name="signup"),
    Route("/signup/check-email", check_email, name="check_email"),
    *link_routes("/confirm", confirm, name="confirm"),
    Route("/confirm-resend", resend_confirmation, methods=["POST"], name="resend_confirmation"),
    Route("/login", login, methods=["GET", "POST"], name="login"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/forgot-password", forgot_password, methods=["GET", "POST"], name="forgot"),
    *link_routes("/reset-password", reset_password, name="reset"),
]
