"""Who is signed in, and how they got there: password, second factor, device, re-authentication.
Kept in one place so every way into a seller's account is read here."""

import functools
import secrets
import time
from collections import namedtuple
from urllib.parse import urlencode, urlsplit

from sqlalchemy import bindparam
from sqlalchemy import select as select_rows
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from portal.i18n import gettext as _
from portal import i18n
from portal.accounts import service
from portal.accounts.models import LoginSession, Seller
from portal.connect import closing
from portal.connect.models import AccountClosure, ConnectedAccount
from portal.connect.views import SUBMITTED_AT, Standing, account_view, standing
from portal.db import take_row
from portal.kept_pages import SellerVersion
from portal.operations import counters
from portal.security import emails as security_emails
from portal.security import service as security
from portal.staff import view_as
from portal.web import client_ip, csrf_token, render

SESSION_KEY = "sid"
# Password accepted, second factor still to come: {"seller": id, "at": epoch seconds, "next": path}.
PENDING_KEY = "pending_2fa"
PENDING_MAX_AGE = 600
# Two factors are required and the seller has not enrolled: every page leads to enrolment. The value
# says why: True (at sign-in, or a factor was removed) or ACCOUNT_MADE (the Stripe account appeared
# mid-session, when the password may be long past: setting up then does not confirm it's you).
MUST_ENROL_KEY = "must_enrol"
ACCOUNT_MADE = "account_made"
# Where a seller sent to enrol was going (a link they followed, the next onboarding step, the page
# they opened), so enrolment ends there.
AFTER_ENROL_KEY = "after_enrol"
# This session's seller has a second factor (they signed in with one, or set one up here): the gate
# need not read it again. Turning the last one off while it is required sets MUST_ENROL_KEY.
TWO_STEP_ON_KEY = "two_step_on"
REAUTH_KEY = "reauth_at"
# A long-lived random cookie naming the browser, so sign-ins from new devices can be told apart.
DEVICE_COOKIE = "portal_device"
DEVICE_COOKIE_MAX_AGE = 400 * 24 * 3600


async def current_seller(request: Request) -> Seller | None:
    if hasattr(request.state, "seller"):
        return request.state.seller
    # View as seller (issue 7, portal/staff/view_as.py): a staff member holding a valid, unexpired
    # grant for this browser sees that seller, read-only (request.state.view_as is set; the
    # ReadOnlyWhileViewing middleware refuses writes). This block is the whole hook; the seller
    # session below is untouched.
    if (viewed := await view_as.viewed_seller(request)) is not None:
        request.state.seller = viewed
        i18n.use_locale(viewed.locale)  # the pages as the seller reads them
        await _note_stripe_account(request, viewed)
        return viewed
    seller = found = None
    session_id = request.session.get(SESSION_KEY)
    if session_id:
        seller, found = await _seller_and_standing(request.app.state, session_id, request.app.state.settings.session_max_age)
        if seller is None:
            request.session.pop(SESSION_KEY, None)
    request.state.seller = seller
    if seller is not None:
        i18n.use_locale(seller.locale)  # the seller's saved choice goes over what the browser asks
    _note_standing(request, found)
    return seller


# Built once: every signed-in page runs it, and building a statement costs more than running it.
# On the tables, read as plain rows: building the ORM's objects cost several times the query.
LOGINS, SELLERS, ACCOUNTS, CLOSURES, VERSIONS = (LoginSession.__table__, Seller.__table__, ConnectedAccount.__table__,
                                                 AccountClosure.__table__, SellerVersion.__table__)
# The seller and the closure as the gate reads them are rows of their tables (db.take_row), read-only:
# code that changes a seller loads its own in a transaction (service.py), never this one.
LoginRow = namedtuple("LoginRow", ["id", "created_at", "last_seen_at"])
# Read on every request: the session (which signing out anywhere removes), its seller and the seller's
# version (kept_pages.py).
LOGIN_AND_VERSION = (
    select_rows(LOGINS.c.id, LOGINS.c.created_at, LOGINS.c.last_seen_at, LOGINS.c.seller_id, VERSIONS.c.version)
    .select_from(LOGINS)
    .outerjoin(VERSIONS, VERSIONS.c.seller_id == LOGINS.c.seller_id)
    .where(LOGINS.c.id == bindparam("digest"))
)
# Read when the seller's version is one this process has not seen: every column of these is a
# watched table's, so the version says whether what was read before still holds.
SELLER_AND_STANDING = (
    select_rows(*SELLERS.columns, ACCOUNTS.c.stripe_account_id, SUBMITTED_AT, *CLOSURES.columns)
    .select_from(SELLERS)
    .outerjoin(ACCOUNTS, ACCOUNTS.c.seller_id == SELLERS.c.id)
    .outerjoin(CLOSURES, CLOSURES.c.seller_id == SELLERS.c.id)
    .where(SELLERS.c.id == bindparam("seller_id"))
)


async def _seller_and_standing(state, session_id: str, max_age: int) -> tuple[Seller | None, Standing | None]:
    """What every seller page needs before it is shown: the session's seller, whether they have a
    Stripe account and whether it is closing. One read of the session and the seller's version; the
    seller and their standing are kept by that version (kept_pages.Kept), read again only when it
    moved; on PostgreSQL the read itself is kept while nothing of it changed (sessions_seen.py). The
    session row is written only when it expired or was last seen a while ago (service.keep_session),
    in the thread pool."""
    db, seen = state.db, state.sessions_seen
    digest = service.session_digest(session_id)
    found = seen.get(digest)  # on PostgreSQL, while the database tells of changes (sessions_seen.py)
    if found is None:
        token = seen.token()
        [rows] = await db.read_rows((LOGIN_AND_VERSION, {"digest": digest}))
        if not rows:
            return None, None
        found = rows[0]
        seen.put(digest, found, token)
    login = LoginRow(*found[:3])
    if service.session_needs_writing(login, max_age) and not await run_in_threadpool(service.keep_session, db, login, max_age):
        return None, None
    # No version yet: nothing of the seller's changed since the versions' triggers were installed.
    key = (found.seller_id, found.version or 0)
    if (known := state.sellers_seen.get(key)) is not None:
        return known
    [rows] = await db.read_rows((SELLER_AND_STANDING, {"seller_id": found.seller_id}))
    if not rows:
        return None, None
    seller, at = take_row(rows[0], 0, SELLERS)
    account_id, submitted_at = rows[0][at], rows[0][at + 1]
    known = seller, Standing(account_id, take_row(rows[0], at + 2, CLOSURES)[0], submitted=submitted_at is not None,
                             version=key[1])
    state.sellers_seen.put(key, known)
    return known


async def _note_stripe_account(request: Request, seller: Seller | None) -> None:
    _note_standing(request, seller and await run_in_threadpool(standing, request.app.state.db, seller.id))


def _note_standing(request: Request, found: Standing | None) -> None:
    """Every seller page's menu and notification banner depend on whether there is a Stripe
    account, and the gate on whether it is closing: kept on request.state. Stripe's notification
    banner lists what is due; before the seller submits, that is just the rest of the form."""
    request.state.seller_account = found.stripe_account_id if found else None
    request.state.seller_submitted = bool(found and found.submitted)
    request.state.closure = found.closure if found else None
    # What the seller's pages are kept by (kept_pages.py); only the gate's own read knows it.
    request.state.seller_version = found.version if found else None


def ip_of(request: Request) -> str:
    return client_ip(request, request.app.state.settings.trusted_proxies)


def device_cookie(request: Request) -> str:
    """This browser's device id; a new one (set by keep_device_cookie) when it has none."""
    value = request.cookies.get(DEVICE_COOKIE, "")
    if 32 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum():
        return value
    if not getattr(request.state, "new_device", None):
        request.state.new_device = secrets.token_urlsafe(32)
    return request.state.new_device


def keep_device_cookie(request: Request, response: Response) -> Response:
    if new := getattr(request.state, "new_device", None):
        response.set_cookie(DEVICE_COOKIE, new, max_age=DEVICE_COOKIE_MAX_AGE, httponly=True, samesite="lax",
                            secure=request.app.state.settings.secure_cookies)
    return response


def _context(request: Request) -> dict:
    return {"ip": ip_of(request), "user_agent": request.headers.get("user-agent", ""), "device": device_cookie(request)}


async def record_failure(request: Request, seller_id: int | None, outcome: str) -> None:
    counters.sign_in_refused(outcome)
    await run_in_threadpool(security.record_failure, request.app.state.db, seller_id, outcome, **_context(request))


async def sign_in(request: Request, seller: Seller, ip: str) -> None:
    """Start a fresh session: nothing from the anonymous session (CSRF token included) survives."""
    session_id = await run_in_threadpool(
        service.open_session, request.app.state.db, seller.id, ip, request.headers.get("user-agent", "")
    )
    request.session.clear()
    request.session[SESSION_KEY] = session_id
    csrf_token(request)
    request.state.seller = seller
    i18n.use_locale(seller.locale)


async def password_accepted(request: Request, seller: Seller, next_path: str | None) -> Response:
    """After the password: ask for the second factor, or sign in (and, when two factors are
    required but not set up, send the seller to set them up before anything else)."""
    db, settings = request.app.state.db, request.app.state.settings
    enrolled = await run_in_threadpool(security.enrolled, db, seller.id)
    if enrolled:
        request.session.clear()
        request.session[PENDING_KEY] = {"seller": seller.id, "at": time.time(), "next": next_path or ""}
        csrf_token(request)
        device_cookie(request)
        return keep_device_cookie(request, _go(request, "security:second_factor"))
    required = await run_in_threadpool(security.two_factor_required, db, seller.id, settings.two_factor_for_all)
    await complete_sign_in(request, seller, "password")
    if required:
        return keep_device_cookie(request, require_enrolment(request, then=next_path))
    return keep_device_cookie(request, RedirectResponse(next_path or request.url_for("dashboard").path, status_code=303))


def require_enrolment(request: Request, *, then: str | None, why: bool | str = True) -> RedirectResponse:
    """From now on every seller page leads to setting up the second factor; once it is set up,
    the seller goes on to `then` (when it is None, to the page they next open, or home)."""
    request.session[MUST_ENROL_KEY] = why
    if then:
        request.session[AFTER_ENROL_KEY] = then
    return _go(request, "security:two_factor_setup")


async def ask_enrolment_now(request: Request, seller_id: int, *, then: str) -> RedirectResponse | None:
    """The seller's Stripe account has just been made, and with it two-step sign-in is required:
    asked at this moment (not at the next sign-in), then the seller goes on to `then`. None when
    a second factor is already set up."""
    if await run_in_threadpool(security.enrolled, request.app.state.db, seller_id):
        return None
    return require_enrolment(request, then=then, why=ACCOUNT_MADE)


def factor_removed(request: Request) -> None:
    """The seller turned off a second factor: this session no longer knows one is set up."""
    request.session.pop(TWO_STEP_ON_KEY, None)


def enrolment_done(request: Request, *, confirms_it_is_you: bool) -> str:
    """A second factor is set up (an authenticator or a passkey): where the seller goes on to. The
    page they were going to when it was asked; home when it was asked and nothing was remembered;
    the Security page when they set it up of their own accord from there. An authenticator set up
    at sign-in (the password just typed) or from the Security page also counts as confirming it's
    you (confirms_it_is_you); asked because the Stripe account appeared mid-session, it does not (a
    borrowed session could set up its own app)."""
    was_required = request.session.pop(MUST_ENROL_KEY, None)
    if confirms_it_is_you and was_required != ACCOUNT_MADE:
        mark_reauthenticated(request)
    then = safe_next(request.session.pop(AFTER_ENROL_KEY, None))
    request.session[TWO_STEP_ON_KEY] = True
    return then or request.url_for("dashboard" if was_required else "security:overview").path


async def must_enrol(request: Request, seller: Seller) -> bool:
    """Two factors are required of this seller and none is set up. Staff viewing as the seller are
    never asked (they cannot set up the seller's factors). Besides the sign-in and the profile step
    that makes the Stripe account (which set MUST_ENROL_KEY), an account made from another
    session since this one signed in counts: it is read once, then remembered in the session."""
    if getattr(request.state, "view_as", None) is not None:
        return False
    if request.session.get(MUST_ENROL_KEY):
        return True
    if getattr(request.state, "seller_account", None) is None or request.session.get(TWO_STEP_ON_KEY):
        return False
    if await run_in_threadpool(security.enrolled, request.app.state.db, seller.id):
        request.session[TWO_STEP_ON_KEY] = True
        return False
    request.session[MUST_ENROL_KEY] = ACCOUNT_MADE
    return True


def pending_seller_id(request: Request) -> int | None:
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_MAX_AGE:
        return None
    return pending.get("seller")


async def complete_sign_in(request: Request, seller: Seller, method: str) -> None:
    """Every factor checked: open the session, record the sign-in (and how it was made: password,
    password_and_code, password_and_passkey, passkey...), tell the seller of a new device."""
    context = _context(request)
    await sign_in(request, seller, context["ip"])
    if method != "password":  # a code, a recovery code or a passkey: a second factor is set up
        request.session[TWO_STEP_ON_KEY] = True
    news = await run_in_threadpool(security.record_success, request.app.state.db, seller.id, method=method, **context)
    counters.SIGN_INS.inc()
    if news.worth_telling:
        await security_emails.send_new_sign_in(request, seller, context["ip"], context["user_agent"])


async def sign_out(request: Request) -> None:
    session_id = request.session.get(SESSION_KEY)
    if session_id:
        await run_in_threadpool(service.close_session, request.app.state.db, session_id)
    request.session.clear()
    request.state.seller = None


def safe_next(target: str | None) -> str | None:
    """Only a path on this site is a place to go after signing in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _go(request: Request, name: str, **query) -> RedirectResponse:
    path = request.url_for(name).path
    return RedirectResponse(f"{path}?{urlencode(query)}" if query else path, status_code=303)


async def gate_refusal(request: Request, *, before_enrolment: bool = False) -> Response | None:
    """Why this request may not reach a seller handler (the answer to send instead), or None.
    Signed in (or staff viewing as the seller), the account not closed, and the second factor set
    up when it is required: portal/accounts/gate.py asks this before every seller route. A JSON
    client (the embedded components' script) gets a JSON error where a browser gets a page."""
    seller = await current_seller(request)
    if seller is None:
        if wants_json(request):
            return json_error(_("Sign in again to see this."), 401)
        return _go(request, "accounts:login", next=request.url.path)
    if (closed := await closed_page(request, seller)) is not None:
        return json_error(_("This account is closed."), 403) if wants_json(request) else closed
    if await must_enrol(request, seller) and not before_enrolment:
        if wants_json(request):
            return json_error(_("Set up two-step sign-in first."), 403)
        if request.method == "GET" and AFTER_ENROL_KEY not in request.session:
            # The seller who leaves the setup page and comes back still goes on where they were going.
            request.session[AFTER_ENROL_KEY] = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return _go(request, "security:two_factor_setup")
    return None


def wants_json(request: Request) -> bool:
    """A script's call rather than a page: it asks for JSON, or posts what no HTML form sends."""
    accept = request.headers.get("accept", "")
    if "application/json" in accept and "text/html" not in accept:
        return True
    form = request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded", "multipart/form-data", "text/plain"))
    return request.method not in ("GET", "HEAD") and not form


def json_error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": str(message)}, status_code=status, headers={"Cache-Control": "no-store"})


async def closed_page(request: Request, seller: Seller) -> Response | None:
    """A seller whose account is closing or closed sees only that, on every page (issue 10)."""
    if hasattr(request.state, "closure"):  # read with the seller by current_seller
        closure = request.state.closure
    else:
        closure = await run_in_threadpool(closing.closure_for, request.app.state.db, seller.id)
    if not closing.shows_closed_page(closure):
        return None
    view = await run_in_threadpool(account_view, request.app.state.db, seller.id)
    return render(request, "connect/closed.html", {"view": view, "closure": closure},
                  status_code=200 if request.method == "GET" else 403)


def login_required(handler):
    """For the few routes the gate lets through before sign-in that need a seller after a check of
    their own (a mailed link's token is checked first): the gate's conditions, asked here."""

    @functools.wraps(handler)
    async def guarded(request: Request):
        if (refused := await gate_refusal(request)) is not None:
            return refused
        return await handler(request)

    return guarded


# Re-authentication: sensitive changes ask for the password and second factor again.
def reauthenticated(request: Request) -> bool:
    return time.time() - request.session.get(REAUTH_KEY, 0) < request.app.state.settings.reauth_max_age


def mark_reauthenticated(request: Request) -> None:
    request.session[REAUTH_KEY] = time.time()


def ask_reauth(request: Request, next_path: str | None = None) -> RedirectResponse:
    return _go(request, "security:reauth", next=next_path or request.url.path)


def reauth_required(handler):
    """On top of the gate (portal/accounts/gate.py): a recent password-and-code confirmation."""

    @functools.wraps(handler)
    async def guarded(request: Request):
        if not reauthenticated(request):
            # After confirming, a form's page is shown again (GET); a bare button goes back where it was.
            back = request.url.path if request.method == "GET" else safe_next(urlsplit(request.headers.get("referer", "")).path)
            return ask_reauth(request, back or request.url_for("security:overview").path)
        return await handler(request)

    return guarded
