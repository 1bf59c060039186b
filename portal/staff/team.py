"""The staff table an admin manages: who may use the console and with which role. (Roles in the
identity provider's claim, when it sends one, win over the table at each sign-in.)"""

from email_validator import EmailNotValidError, validate_email
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request

from portal import audit
from portal.inputs import read_form
from portal.staff import service
from portal.staff.auth import current_staff, ip_of, staff_required
from portal.staff.models import StaffRole
from portal.web import flash, redirect, render

ROLES = [(role.value, role.value.capitalize()) for role in StaffRole]


async def _page(request: Request, errors: dict | None = None, values: dict | None = None, status_code: int = 200):
    members = await run_in_threadpool(service.all_members, request.app.state.db)
    return render(request, "staff/team.html", {"members": members, "roles": ROLES, "errors": errors or {},
                                               "values": values or {}}, status_code=status_code)


@staff_required(StaffRole.admin)
async def team(request: Request):
    if request.method == "GET":
        return await _page(request)
    form = await read_form(request)
    values = {"email": str(form.get("email") or "").strip(), "role": str(form.get("role") or "")}
    errors = {}
    try:
        values["email"] = validate_email(values["email"], check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        errors["email"] = "Enter the staff member's work email address, like name@company.com."
    if values["role"] not in {role.value for role in StaffRole}:
        errors["role"] = "Choose a role."
    if errors:
        return await _page(request, errors, values, 400)
    staff = await current_staff(request)
    member, created = await run_in_threadpool(service.create_staff, request.app.state.db, values["email"],
                                              StaffRole(values["role"]))
    await run_in_threadpool(audit.record, request.app.state.db, actor=staff.actor, action="staff.member_saved",
                            details={"member": member.email, "role": member.role, "created": created}, ip=ip_of(request))
    flash(request, f"{member.email} is {'added' if created else 'updated'} ({member.role}).", "success")
    return redirect(request, "staff:team")


@staff_required(StaffRole.admin)
async def deactivate(request: Request):
    staff = await current_staff(request)
    staff_id = request.path_params["staff_id"]
    if staff_id == staff.member.id:
        flash(request, "You cannot deactivate yourself; ask another admin.", "error")
        return redirect(request, "staff:team")
    member = await run_in_threadpool(service.set_active, request.app.state.db, staff_id, False)
    if member is None:
        raise HTTPException(404)
    await run_in_threadpool(audit.record, request.app.state.db, actor=staff.actor, action="staff.member_deactivated",
                            details={"member": member.email}, ip=ip_of(request))
    flash(request, f"{member.email} can no longer sign in to the console.", "success")
    return redirect(request, "staff:team")
