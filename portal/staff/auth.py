"""Who on the platform's staff is signed in, and the `staff_required(*roles)` guard.

The staff session is its own signed cookie (`portal_staff`, its own salt), apart from the seller
session cookie: a seller's cookie never makes anyone staff, and a staff cookie is never a seller's
session. It is re-signed on every staff page, so it lapses after a period without activity, and
it ends at the latest `staff_session_max_age` after sign-in. The member is re-read on every
request, so deactivating someone or changing their role takes effect at once."""

import functools
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from portal import audit
from portal.staff import service
from portal.staff.models import StaffMember, StaffRole
from portal.web import client_ip, render

STAFF_COOKIE = "portal_staff"
SALT = "portal-staff-session"


@dataclass(frozen=True)
class StaffSession:
    member: StaffMember
    since: float
    id_token: str

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor.staff(self.member.id, self.member.email)

    def can(self, *roles: str) -> bool:
        return not roles or self.member.role == StaffRole.admin or self.member.role in roles


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.secret, salt=SALT)


def ip_of(request: Request) -> str:
    return client_ip(request, request.app.state.settings.trusted_proxies)


async def current_staff(request: Request) -> StaffSession | None:
    if hasattr(request.state, "staff"):
        return request.state.staff
    request.state.staff = None
    settings = request.app.state.settings
    raw = request.cookies.get(STAFF_COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(request).loads(raw, max_age=settings.staff_session_idle_seconds)
    except BadSignature:  # also SignatureExpired: idle too long
        return None
    if not isinstance(data, dict) or time.time() - data.get("since", 0) > settings.staff_session_max_age:
        return None
    member = await run_in_threadpool(service.get_member, request.app.state.db, data.get("id", 0))
    if member is None or not member.active:
        return None
    request.state.staff = StaffSession(member, data["since"], data.get("idt", ""))
    return request.state.staff


def keep_alive(request: Request, response: Response) -> Response:
    """Re-sign the staff cookie: activity moves the inactivity deadline."""
    staff = getattr(request.state, "staff", None)
    if staff is not None and not getattr(request.state, "staff_signed_out", False):
        _set_cookie(request, response, staff.member.id, staff.since, staff.id_token)
    return response


def _set_cookie(request: Request, response: Response, staff_id: int, since: float, id_token: str) -> None:
    value = _serializer(request).dumps({"id": staff_id, "since": since, "idt": id_token})
    settings = request.app.state.settings
    response.set_cookie(STAFF_COOKIE, value, max_age=settings.staff_session_max_age, httponly=True,
                        samesite="lax", secure=settings.secure_cookies, path="/")


async def sign_in(request: Request, member: StaffMember, response: Response, *, method: str, id_token: str = "") -> Response:
    _set_cookie(request, response, member.id, time.time(), id_token)
    await run_in_threadpool(
        audit.record, request.app.state.db, actor=audit.Actor.staff(member.id, member.email),
        action="staff.sign_in", details={"method": method, "role": member.role}, ip=ip_of(request),
    )
    return response


def forget(request: Request, response: Response) -> Response:
    request.state.staff_signed_out = True
    response.delete_cookie(STAFF_COOKIE, path="/")
    return response


def staff_required(*roles: str):
    """Only signed-in staff, and only those holding one of `roles` (admin holds every role).
    No roles: any staff member. Wrapped handlers take (request) and return a response."""

    def decorate(handler):
        @functools.wraps(handler)
        async def guarded(request: Request):
            staff = await current_staff(request)
            if staff is None:
                path = request.url_for("staff:sign_in").path
                return RedirectResponse(f"{path}?{urlencode({'next': request.url.path})}", status_code=303)
            if not staff.can(*roles):
                return keep_alive(request, render(request, "staff/forbidden.html", {"roles": roles}, status_code=403))
            return keep_alive(request, await handler(request))

        return guarded

    return decorate
