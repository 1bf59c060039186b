"""The one Jinja2 environment, flash messages, CSRF, request limits and error pages."""

import hmac
from http import HTTPStatus
import re
import ipaddress
import secrets
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl, quote

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import portal.inputs  # noqa: F401  (before any route is built: it bounds `{name:int}` path parameters)
from portal.money import units
from portal import i18n
from portal.i18n import format_money, format_timestamp, gettext as _, lazy_gettext
from portal import kept_pages
from portal.fragments import Fragments, placeholder
from portal.kept_pages import Keeping
from portal.integrations.mail import queue_mail
from portal.settings import PROJECT_ROOT

TEMPLATES = PROJECT_ROOT / "templates"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
KNOWN_PATHS = 4096


def make_templates(directory: Path = TEMPLATES, *, auto_reload: bool = True) -> Environment:
    """Compiled templates are kept; with auto_reload (development) each use first checks whether
    its file changed, which costs a stat of every template a page extends or includes."""
    env = Environment(loader=FileSystemLoader(directory), autoescape=select_autoescape(["html"]), auto_reload=auto_reload,
                      extensions=["jinja2.ext.i18n"])
    i18n.install(env)
    env.filters["linkify"] = linkify
    env.filters["datetime"] = format_timestamp_for_page
    env.filters["money"] = format_money
    env.filters["major_amount"] = lambda amount, currency="usd": units.plain(amount, currency)  # "1,000" yen, "12.50" dollars
    env.filters["sentence"] = lambda text: (text[:1].upper() + text[1:]) if text else ""
    env.globals["subdivisions"] = subdivisions
    env.fragments = Fragments(env)  # kept_pages asks it which templates a page is made of
    env.globals["fragment"] = env.fragments.for_page
    return env


def subdivisions(country: str) -> tuple[tuple[str, str], ...]:
    """A country's states, provinces or prefectures as (code, name): what a page names by the
    country's code rather than passing the list (a fragment is kept by its inputs)."""
    from portal import countries  # data only; web.py loads before the domain packages

    return countries.COUNTRIES[country].address.subdivisions




@pass_context
def format_timestamp_for_page(context, value, with_time: bool = False) -> str:
    """The `datetime` filter. In English, a page about a seller's account (a `view` with the
    account's snapshot) dates in the order of the seller's country ("6 Dec 2026" in the UK or
    Germany, portal.countries Country.date_locale); other languages date their own way."""
    from portal import countries  # data only; web.py loads before the domain packages

    locale = None
    if i18n.current_locale() == i18n.SOURCE_LOCALE:
        if "date_locale" in context:  # a fragment (portal/fragments.py) is given it: it has no view
            locale = context["date_locale"]
        elif snapshot := getattr(getattr(context.get("view"), "account", None), "snapshot", None):
            locale = countries.of_account(snapshot).date_locale
    return format_timestamp(value, with_time, locale)


def date_locale(snapshot: dict | None) -> str | None:
    """What the `datetime` filter dates an English page about this account by (a fragment's `date_locale`)."""
    from portal import countries

    return countries.of_account(snapshot).date_locale if snapshot else None


def linkify(text: str) -> Markup:
    """Escape plain text and make its http(s) links clickable (the developer outbox shows mail)."""
    # A sentence's closing punctuation is not part of the link it follows.
    parts = re.split(r"(https?://[^\s<>\"]*[^\s<>\".,;:!?)\]'])", text)
    return Markup("").join(
        Markup('<a href="{0}">{0}</a>').format(part) if index % 2 else escape(part)
        for index, part in enumerate(parts)
    )


def render(request: Request, template: str, context: dict | None = None, status_code: int = 200, *,
           keep: "Keeping | None" = None, until: datetime | None = None) -> HTMLResponse:
    """`keep`: the route's kept_pages.Keeping, under which the page is kept for its seller (until
    `until`) when it can be: then the session's values are placeholders, filled in on the way out."""
    env: Environment = request.app.state.templates
    kept = keep is not None and status_code == 200 and keep.keeps()
    private = {name: placeholder(name) for name in kept_pages.PRIVATE} if kept else kept_pages.private_values(request)
    page = env.get_template(template).render(
        request=request,
        csrf_token=private["csrf_token"],
        seller_email=private["email"],
        flashes=pop_flashes(request),
        settings=request.app.state.settings,
        url=lambda name, **params: path_for(request, name, **params),
        **(context or {}),
    )
    if kept:
        return keep.keep(template, page, until)
    return HTMLResponse(page, status_code=status_code)


def path_for(request: Request, name: str, **params) -> str:
    """A route's path. Starlette finds a route by trying each in turn, and a page names a dozen in
    its menus and links, so paths are kept once found: a route's path depends only on its name and
    parameters. The memory is bounded: parameters (ids, tokens) can take many values."""
    key = (name, *sorted(params.items())) if params else name
    known = request.app.state.paths
    path = known.get(key)
    if path is None:
        if len(known) >= KNOWN_PATHS:
            known.clear()
        path = known[key] = request.url_for(name, **params).path
    return path


def render_text(env: Environment, template: str, **context) -> str:
    return env.get_template(template).render(**context)


def absolute_url(request: Request, name: str, **params) -> str:
    """Links in mail use PUBLIC_URL when set, never a Host header an attacker could choose."""
    base = request.app.state.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
    return base + request.url_for(name, **params).path


async def send_mail(request: Request, to: str, subject, template: str, *, locale: str | None = None, **context) -> None:
    """Render templates/mail/<template> and queue it in the outbox in its own transaction. The
    mail speaks `locale` (the recipient's: staff mailing a seller pass the seller's), else the
    language of the request, which is the signed-in seller's own."""
    await queue_templated_mail(request.app.state, to, subject, template, locale=locale, **context)


async def queue_templated_mail(state, to: str, subject, template: str, *, locale: str | None = None, **context) -> None:
    """The same, for work outside a request (webhooks, `portal sync`, the worker): `state` is app.state.
    `subject` is lazy (lazy_gettext) so that it is written in the mail's language, like its text."""
    subject, text = templated_mail(state, subject, template, locale=locale, **context)

    def write() -> None:
        with state.db.transaction() as session:
            queue_mail(session, to=to, subject=subject, text=text)

    await run_in_threadpool(write)
    state.mailer.wake()


def templated_mail(state, subject, template: str, *, locale: str | None = None, **context) -> tuple[str, str]:
    """(subject, text) of templates/mail/<template> in `locale`, for a caller that queues it in a
    transaction of its own making (with queue_mail), then wakes state.mailer once it commits."""
    with i18n.using_locale(locale):
        subject = str(subject)
        text = render_text(state.templates, template, platform=state.settings.platform_name, **context)
        # Every mail ends with this line (issue 9): it is exactly what phishers ask for.
        text = text.rstrip("\n") + "\n\n" + _(
            "%(platform)s will never ask for your password or a sign-in code by email or phone.",
            platform=state.settings.platform_name) + "\n"
    return subject, text


def redirect(request: Request, name: str, **params) -> RedirectResponse:
    return RedirectResponse(request.url_for(name, **params).path, status_code=303)


# Flash messages survive one redirect in the signed session cookie.
LINK_COOKIE = "portal_link"
LINK_COOKIE_MAX_AGE = 3600  # long enough to sign in (and pass two factors) on the way


def link_routes(path: str, endpoint, *, name: str) -> list[Route]:
    """A single-use link, mailed as `path/{token}` (url_for(name, token=...)). Opening it only files
    the token in a cookie scoped to `path` and sends the browser there: the page that follows, its
    form and anything it loads carry no token, so the token stays out of Referer headers and out of
    every access-log line but that first one (which the logs redact). `endpoint` serves `path`, GET
    and POST, reading the token with link_token(request)."""
    return [
        Route(path + "/{token}", _keep_link_token, name=name),
        Route(path, endpoint, methods=["GET", "POST"], name=name + "_page"),
    ]


# Our tokens are itsdangerous's URL-safe output; anything else is not one of our links.
LINK_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_.\-]{1,2000}")


async def _keep_link_token(request: Request) -> Response:
    if not LINK_TOKEN_SHAPE.fullmatch(request.path_params["token"]):
        raise HTTPException(404, _("This link is not valid. Make sure you copied the whole link from the email."))
    page = quote(request.url.path.rsplit("/", 1)[0])
    response = RedirectResponse(page, status_code=303, headers={"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"})
    response.set_cookie(LINK_COOKIE, request.path_params["token"], max_age=LINK_COOKIE_MAX_AGE, path=page,
                        secure=request.app.state.settings.secure_cookies, httponly=True, samesite="lax")
    return response


def link_token(request: Request) -> str:
    """The token of the link that led here ("" when the page is opened without one: an invalid link)."""
    return request.cookies.get(LINK_COOKIE, "")


def flash(request: Request, message: str, category: str = "info") -> None:
    # Assigned, not appended in place: the session only saves what it sees set.
    request.session["_flashes"] = [*request.session.get("_flashes", []), [category, message]]


def pop_flashes(request: Request) -> list[tuple[str, str]]:
    if "session" not in request.scope:
        return []
    return [tuple(item) for item in request.session.pop("_flashes", [])]


def csrf_token(request: Request) -> str:
    if "session" not in request.scope:
        return ""
    token = request.session.get("_csrf")
    if not token:
        token = request.session["_csrf"] = secrets.token_urlsafe(32)
    return token


def client_ip(request: Request, trusted_proxies: list[str]) -> str:
    """The real client address: X-Forwarded-For is believed only when the peer is a trusted proxy."""
    peer = request.client.host if request.client else ""
    if peer not in trusted_proxies:
        return peer
    hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    # Walk back from the nearest hop, skipping our own proxies; the first stranger is the client.
    for hop in reversed(hops):
        if hop not in trusted_proxies:
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return peer


class RequestGuard:
    """Refuses oversized bodies (413) and state-changing requests without the session's CSRF
    token (403), before any handler runs. The body is buffered once and replayed to the app."""

    def __init__(self, app: ASGIApp, *, max_form_bytes: int, max_upload_bytes: int, exempt: tuple[str, ...]):
        self.app = app
        self.max_form_bytes = max_form_bytes
        self.max_upload_bytes = max_upload_bytes
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        content_type = headers.get("content-type", "")
        limit = self.max_upload_bytes if content_type.startswith("multipart/") else self.max_form_bytes
        declared = headers.get("content-length")
        if declared and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(scope, receive, send, 413)
            return
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                await self._refuse(scope, receive, send, 413)
                return

        async def replay() -> Message:
            nonlocal body
            chunk, body = body, b""
            return {"type": "http.request", "body": chunk, "more_body": False}

        expected = scope.get("session", {}).get("_csrf", "")
        sent = headers.get(CSRF_HEADER) or await _form_token(scope, content_type, body)
        # compare_digest raises on non-ASCII text: a token with any is simply wrong.
        if not expected or not sent or not sent.isascii() or not hmac.compare_digest(expected, sent):
            await self._refuse(scope, replay, send, 403)
            return
        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int) -> None:
        request = Request(scope, receive)
        response = error_page(request, status)
        await response(scope, receive, send)


async def _form_token(scope: Scope, content_type: str, body: bytes) -> str:
    if content_type.startswith("application/x-www-form-urlencoded"):
        for key, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
            if key == CSRF_FIELD:
                return value
        return ""
    if content_type.startswith("multipart/form-data"):
        sent = False

        async def once() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            form = await Request(scope, once).form()
        except Exception:  # a malformed multipart body has no token in it
            return ""
        value = form.get(CSRF_FIELD)
        await form.close()
        return value if isinstance(value, str) else ""
    return ""


ERRORS = {
    400: (lazy_gettext("The request could not be read"),
          lazy_gettext("Something in what your browser sent was malformed. Go back and try again.")),
    403: (
        lazy_gettext("This form has expired"),
        lazy_gettext("For your security, forms only work for a while after the page loads, and only in the "
                     "browser session that opened them. Go back, reload the page, and submit it again."),
    ),
    404: (lazy_gettext("Page not found"), lazy_gettext("The page you asked for does not exist, or has moved.")),
    405: (lazy_gettext("Not allowed"), lazy_gettext("That action cannot be done this way.")),
    413: (lazy_gettext("Too much data"),
          lazy_gettext("What you sent is larger than this form accepts. Try a smaller file or less text.")),
    429: (lazy_gettext("Too many attempts"), lazy_gettext("Please wait a little before trying again.")),
    500: (lazy_gettext("Something went wrong on our side"), lazy_gettext("We have been told. Please try again in a moment.")),
}

STATUS_PHRASES = {status.value: status.phrase for status in HTTPStatus}


def error_page(request: Request, status: int, detail: str | None = None) -> Response:
    title, text = (str(words) for words in ERRORS.get(status, ERRORS[500] if status >= 500 else ERRORS[400]))
    accepts_html = "text/html" in request.headers.get("accept", "text/html") or "*/*" in request.headers.get("accept", "")
    if not accepts_html:
        return Response(f"{status} {title}\n", status_code=status, media_type="text/plain")
    env: Environment = request.app.state.templates
    page = env.get_template("errors/error.html").render(
        request=request, status=status, title=title, text=detail or text, flashes=[], csrf_token="",
        settings=request.app.state.settings, url=lambda name, **p: path_for(request, name, **p),
    )
    return HTMLResponse(page, status_code=status)


class SecurityHeaders:
    """Headers every page carries; the Content-Security-Policy is the app's to set per mode. Pages
    depend on who is signed in, so nothing is stored by a browser or proxy (`no-store`) but what
    lives under the `cacheable` prefixes (files, and the sandbox, which sets its own as Stripe does)
    or sets its own Cache-Control."""

    def __init__(self, app: ASGIApp, *, content_security_policy: str, hsts: bool, cacheable: tuple[str, ...] = ()):
        self.app = app
        self.cacheable = cacheable
        self.headers = [
            (b"content-security-policy", content_security_policy.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        cacheable = scope["path"].startswith(self.cacheable)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                headers = self.headers
                if not cacheable or message["status"] >= 400:  # a missing file's error page is a page
                    headers = [*headers, (b"cache-control", b"no-store")]
                message["headers"] = list(message.get("headers", [])) + [
                    header for header in headers if header[0] not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def http_exception(request: Request, exc: HTTPException) -> Response:
    # A detail given where the exception was raised says what was wrong; Starlette's default is
    # only the status phrase ("Bad Request"), and the page's own words say that better.
    said = exc.detail if exc.detail != STATUS_PHRASES.get(exc.status_code) else None
    response = error_page(request, exc.status_code, said)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    return error_page(request, 500)
