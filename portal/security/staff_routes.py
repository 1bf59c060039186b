"""The staff side of account security: a seller's sign-in history with the takeover flag, lifting
a cooling-off or recovery hold early, and approving an account recovery (support role). Audited."""

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from portal.accounts.models import Seller
from portal.connect import payout_holds
from portal.inputs import read_form
from portal.integrations.stripe import StripeFailure
from portal.security import emails, recovery, service
from portal.staff.auth import current_staff, ip_of, staff_required
from portal.staff.models import StaffRole
from portal.web import flash, redirect, render

LIFTABLE = {payout_holds.COOLING_OFF: "Cooling-off after a bank account change", payout_holds.RECOVERY: "After an account recovery"}
MAX_REASON = 1000


def history_context(db, seller_id: int) -> dict:
    """What templates/security/_signin_history.html needs, for any staff page that shows it."""
    return {
        "sign_ins": service.recent_sign_ins(db, seller_id),
        "describe": emails.describe_device,
        "bank_flag": service.bank_change_after_new_device(db, seller_id),
    }


def _page_context(db, seller_id: int) -> dict | None:
    with db.transaction() as session:
        seller = session.get(Seller, seller_id)
    if seller is None:
        return None
    holds = [hold for hold in payout_holds.active_holds(db, seller_id) if hold.reason in LIFTABLE]
    return {
        "seller": seller, **history_context(db, seller_id), "holds": holds, "liftable": LIFTABLE,
        "requests": recovery.open_requests(db, seller_id), "enrolled": service.enrolled(db, seller_id),
    }


async def _show(request: Request, seller_id: int, errors: dict | None = None, status_code: int = 200):
    context = await run_in_threadpool(_page_context, request.app.state.db, seller_id)
    if context is None:
        raise HTTPException(404)
    staff = await current_staff(request)
    context.update(errors=errors or {}, values={}, can_approve=staff.can(StaffRole.support),
                   can_lift=staff.can(StaffRole.risk, StaffRole.support))
    return render(request, "security/staff_seller.html", context, status_code)


async def _reason(request: Request) -> str:
    form = await read_form(request)
    return str(form.get("reason") or "").strip()


async def _apply_holds(request: Request, seller_id: int) -> None:
    state = request.app.state
    try:
        await payout_holds.apply(state.db, state.stripe, seller_id, secret=state.secret)
    except StripeFailure:
        flash(request, "Saved here; Stripe's payout schedule could not be changed yet and is retried on the next change.", "error")


@staff_required()
async def seller_security(request: Request):
    return await _show(request, request.path_params["seller_id"])


@staff_required(StaffRole.risk, StaffRole.support)
async def lift_hold(request: Request):
    seller_id, kind = request.path_params["seller_id"], request.path_params["kind"]
    if kind not in LIFTABLE:
        raise HTTPException(404)
    reason = await _reason(request)
    if not reason or len(reason) > MAX_REASON:
        return await _show(request, seller_id, {f"lift-{kind}": "Give a reason (under 1000 characters): it goes on the audit trail."}, 400)
    staff = await current_staff(request)
    lifted = await run_in_threadpool(
        recovery.lift_hold, request.app.state.db, seller_id, kind, actor=staff.actor, reason=reason, ip=ip_of(request))
    if lifted:
        await _apply_holds(request, seller_id)
        flash(request, "The hold is lifted. Payouts follow the seller's own schedule again unless another hold stands.", "success")
    else:
        flash(request, "There was no such hold to lift.", "info")
    return redirect(request, "staff_security:seller", seller_id=seller_id)


@staff_required(StaffRole.support)
async def approve_recovery(request: Request):
    seller_id, request_id = request.path_params["seller_id"], request.path_params["request_id"]
    reason = await _reason(request)
    if not reason or len(reason) > MAX_REASON:
        return await _show(request, seller_id, {f"recovery-{request_id}": "Give a reason (under 1000 characters): it goes on the audit trail."}, 400)
    staff, settings = await current_staff(request), request.app.state.settings
    try:
        await run_in_threadpool(
            recovery.approve, request.app.state.db, request_id, actor=staff.actor, reason=reason, ip=ip_of(request),
            cooling_off_hours=settings.cooling_off_hours)
    except recovery.RecoveryRefused as refused:
        return await _show(request, seller_id, {f"recovery-{request_id}": str(refused)}, 409)
    await _apply_holds(request, seller_id)
    flash(request, "Recovery approved: the seller signs in with the password and sets up a new authenticator. "
                   "Payouts are held for the cooling-off period.", "success")
    return redirect(request, "staff_security:seller", seller_id=seller_id)


routes = [
    Route("/sellers/{seller_id:int}", seller_security, name="seller"),
    Route("/sellers/{seller_id:int}/holds/{kind}/lift", lift_hold, methods=["POST"], name="lift_hold"),
    Route("/sellers/{seller_id:int}/recovery/{request_id:int}/approve", approve_recovery, methods=["POST"], name="approve_recovery"),
]
