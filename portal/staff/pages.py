"""What every staff handler on a seller's file shares: the seller from the path, the seller's page
rendered again with errors beside the field that caused them, and the reason every change needs.

The staff packages (console, requirements desk, account management, funds, closing) each keep
their own handlers and `routes`; `portal/staff/routes.py` joins them into one table."""

import re
import secrets
from collections.abc import Mapping

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request

from portal import audit
from portal.funds import service as funds
from portal.staff import console, risk
from portal.staff.auth import current_staff
from portal.staff.models import StaffRole
from portal.web import render

ANY = ()
SUPPORT = (StaffRole.support, StaffRole.risk, StaffRole.admin)
RISK = (StaffRole.risk, StaffRole.admin)
MAX_REASON = 1000
# A form that mails the seller carries a one-time id, kept on the audit row of the mail it sent:
# the same form submitted again (a reload, Back, a second click) finds that row and mails nothing.
SUBMISSION = re.compile(r"[A-Za-z0-9_-]{16,64}")
EXPIRED_FORM = "This form had expired. Check the reason and send it again."


def new_submission_id() -> str:
    return secrets.token_urlsafe(18)


def already_sent(trail: list[audit.AuditEvent], action: str, submission: str) -> audit.AuditEvent | None:
    """The audit row of what this very form already did, if it did."""
    return next((event for event in trail if event.action == action
                 and (event.details or {}).get("submission") == submission), None)


def seller_id(request: Request) -> int:
    return request.path_params["seller_id"]


async def known_seller(request: Request) -> console.SellerFile:
    """The seller named in the path, or 404."""
    file = await run_in_threadpool(console.seller_file, request.app.state.db, seller_id(request))
    if file is None:
        raise HTTPException(404)
    return file


async def seller_page(request: Request, errors: dict | None = None, values: dict | None = None, status_code: int = 200,
                      **extra):
    """The seller's page in the console; `errors` and `values` are keyed by the form they concern,
    so a refused action shows its message beside its own field and keeps what was typed."""
    file = await known_seller(request)
    staff = await current_staff(request)
    return render(request, "staff/seller.html", {
        "file": file, "view": file.view, "errors": errors or {}, "values": values or {}, "staff": staff,
        "can_risk": staff.can(*RISK), "reject_reasons": risk.REJECT_REASONS,
        "view_as_minutes": request.app.state.settings.view_as_minutes, "submission": new_submission_id(),
        "funds_movements": await run_in_threadpool(funds.for_seller, request.app.state.db, file.seller.id), **extra,
    }, status_code=status_code)


def reason_from(form: Mapping, action: str) -> tuple[str, dict]:
    """The reason typed for `action`, and the errors to show beside its field when it is missing."""
    reason = str(form.get("reason") or "").strip()
    if not reason:
        return "", {action: "Give a reason: it goes on the seller's audit trail."}
    if len(reason) > MAX_REASON:
        return reason, {action: f"Keep the reason under {MAX_REASON} characters."}
    return reason, {}
