"""View as seller: a staff member sees one seller's portal as the seller does, read-only, for a while.

A grant is a row (who, which seller, since, until, ended) and a random token in its own signed
cookie; the staff cookie is left as it was, so exiting returns the staff member to the console.
A grant counts only together with the staff session of the member it was made for.
`viewed_seller` is what `accounts.auth.current_seller` asks; `ReadOnlyWhileViewing` refuses every
state-changing request outside the allow-list while the cookie is present, before any handler."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from portal import audit
from portal.accounts.models import Seller
from portal.db import Database, utcnow
from portal.route_table import masked_path, route_of
from portal.staff.auth import StaffSession, current_staff, ip_of
from portal.staff.models import StaffMember, ViewAsGrant
from portal.staff.service import is_staff_email

VIEW_AS_COOKIE = "portal_view_as"
SALT = "portal-view-as"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# What may still be posted while viewing: the staff console itself (view-as exit included), and the
# embedded-components session endpoint, which makes read-only sessions when request.state.view_as is set.
ALLOWED_WRITES = ("/staff/", "/account-session", "/webhooks/", "/sandbox/")


class ViewAsRefused(Exception):
    pass


@dataclass(frozen=True)
class ViewAs:
    grant_id: int
    staff_id: int
    staff_email: str
    seller_id: int
    seller_email: str
    started_at: datetime
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(db: Database, member: StaffMember, seller_id: int, *, minutes: int, ip: str, reason: str) -> tuple[str, ViewAsGrant]:
    """Open a grant (ending any other this member holds: one seller at a time). Returns (token, grant)."""
    with db.transaction() as session:
        seller = session.get(Seller, seller_id)
    if seller is None:
        raise ViewAsRefused("There is no such seller.")
    if is_staff_email(db, seller.email):
        raise ViewAsRefused("This seller account belongs to a staff member; staff cannot view as other staff.")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with db.transaction() as session:
        held = select(ViewAsGrant).where(ViewAsGrant.staff_id == member.id, ViewAsGrant.ended_at.is_(None))
        for other in session.exec(held).all():
            other.ended_at = now
            session.add(other)
        grant = ViewAsGrant(token_hash=_hash(token), staff_id=member.id, staff_email=member.email, seller_id=seller_id,
                            reason=reason, ip=ip, started_at=now, expires_at=now + timedelta(minutes=minutes))
        session.add(grant)
    audit.record(db, actor=audit.Actor.staff(member.id, member.email), action="view_as.start", seller_id=seller_id,
                 reason=reason, details={"until": grant.expires_at.isoformat(), "grant": grant.id}, ip=ip)
    return token, grant


def active(db: Database, token: str, staff_id: int) -> tuple[ViewAsGrant, Seller] | None:
    with db.transaction() as session:
        grant = session.exec(select(ViewAsGrant).where(ViewAsGrant.token_hash == _hash(token))).first()
        if grant is None or grant.staff_id != staff_id or grant.ended_at is not None or grant.expires_at <= utcnow():
            return None
        seller = session.get(Seller, grant.seller_id)
    return (grant, seller) if seller else None


def end(db: Database, token: str, *, ip: str, why: str = "exit") -> ViewAsGrant | None:
    """End the grant (on the record under the staff member who held it, even if their session lapsed)."""
    with db.transaction() as session:
        grant = session.exec(select(ViewAsGrant).where(ViewAsGrant.token_hash == _hash(token))).first()
        if grant is None or grant.ended_at is not None:
            return None
        grant.ended_at = utcnow()
        session.add(grant)
    holder = audit.Actor.staff(grant.staff_id, grant.staff_email)
    audit.record(db, actor=holder, action="view_as.end", seller_id=grant.seller_id, details={"grant": grant.id, "how": why}, ip=ip)
    return grant


def cookie_token(request: Request) -> str | None:
    # Every seller request asks; only staff viewing as a seller carry the cookie (its name, first).
    if VIEW_AS_COOKIE not in request.headers.get("cookie", ""):
        return None
    raw = request.cookies.get(VIEW_AS_COOKIE)
    if not raw:
        return None
    serializer = URLSafeTimedSerializer(request.app.state.secret, salt=SALT)
    try:
        return serializer.loads(raw, max_age=request.app.state.settings.view_as_minutes * 60)
    except BadSignature:
        return None


def set_cookie(request: Request, response: Response, token: str) -> Response:
    value = URLSafeTimedSerializer(request.app.state.secret, salt=SALT).dumps(token)
    settings = request.app.state.settings
    response.set_cookie(VIEW_AS_COOKIE, value, max_age=settings.view_as_minutes * 60, httponly=True,
                        samesite="lax", secure=settings.secure_cookies, path="/")
    return response


def clear_cookie(response: Response) -> Response:
    response.delete_cookie(VIEW_AS_COOKIE, path="/")
    return response


async def _grant_in_use(request: Request) -> tuple[StaffSession, ViewAsGrant, Seller] | None:
    """The valid grant this browser holds, with the staff session it was made for (and noted on
    request.state.view_as, where the pages' banner looks)."""
    token = cookie_token(request)
    if token is None:
        return None
    staff = await current_staff(request)
    if staff is None:
        return None
    found = await run_in_threadpool(active, request.app.state.db, token, staff.member.id)
    if found is None:
        return None
    grant, seller = found
    request.state.view_as = ViewAs(grant.id, staff.member.id, staff.member.email, seller.id, seller.email,
                                   grant.started_at, grant.expires_at)
    return staff, grant, seller


async def viewed_seller(request: Request) -> Seller | None:
    """The seller a valid grant shows, with request.state.view_as set; None otherwise. Every page
    seen this way goes on the seller's audit trail."""
    if (in_use := await _grant_in_use(request)) is None:
        return None
    staff, grant, seller = in_use
    await run_in_threadpool(audit.record, request.app.state.db, actor=staff.actor, action="view_as.page", seller_id=seller.id,
                            details={"method": request.method, "path": request.url.path, "grant": grant.id}, ip=ip_of(request))
    return seller


async def refuse(request: Request, route: str, path_params: dict, *, secrets: bool = False) -> HTMLResponse:
    """The page that says no while viewing, and the attempt on the seller's audit trail. A cookie
    whose grant is no longer valid is refused all the same, but names no seller to record it for."""
    if (in_use := await _grant_in_use(request)) is not None:
        staff, grant, seller = in_use
        details = {"method": request.method, "route": route, "path": masked_path(request.url.path, path_params),
                   "grant": grant.id}
        await run_in_threadpool(audit.record, request.app.state.db, actor=staff.actor, action="view_as.refused",
                                seller_id=seller.id, details=details, ip=ip_of(request))
    state = request.app.state
    page = state.templates.get_template("staff/read_only.html").render(
        request=request, settings=state.settings, url=lambda name, **p: request.url_for(name, **p).path,
        csrf_token=request.scope.get("session", {}).get("_csrf", ""), flashes=[], secrets=secrets,
    )
    return HTMLResponse(page, status_code=403)


class ReadOnlyWhileViewing:
    """While a view-as cookie is present, refuse every state-changing request outside ALLOWED_WRITES
    with a page that says why. The cookie's signature is enough to refuse: refusing never grants."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS or scope["path"].startswith(ALLOWED_WRITES):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        if cookie_token(request) is None:
            await self.app(scope, receive, send)
            return
        route, path_params = route_of(scope) or ("", {})
        await (await refuse(request, route, path_params))(scope, receive, send)
