"""/staff/alerts: the alerts staff set (risk and admin roles), the crossings they opened, and their
acknowledgement. Changing a line and acknowledging an alert each need a reason and are audited."""

import math

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from portal.inputs import read_form, whole_number
from portal.staff import alerts, service
from portal.staff.auth import current_staff, ip_of, staff_required
from portal.staff.pages import RISK, reason_from
from portal.web import flash, redirect, render


def read_line(text: str, metric: alerts.Metric) -> tuple[float | None, str | None]:
    """(the line typed, or None for off; an error in words). Pure."""
    text = text.strip().removesuffix(metric.unit).strip().replace(",", ".") if text else ""
    if not text:
        return None, None
    try:
        above = float(text)
    except ValueError:
        above = math.nan
    if not math.isfinite(above) or above < 0 or above > metric.largest:
        return None, f"Enter a number from 0 to {metric.largest:g} ({metric.unit}), or leave it empty to turn the alert off."
    if metric.unit in ("accounts", "days") and above != int(above):
        return None, f"Enter a whole number of {metric.unit}."
    return above, None


def saved_values(lines: dict) -> dict:
    """The form as the lines stand: metric -> {"above": text, "recipients": staff ids}. Pure."""
    return {metric: {"above": "" if (row := lines.get(metric)) is None or row.above is None else f"{row.above:g}",
                     "recipients": set(row.recipients if row else [])} for metric in alerts.METRICS}


async def _page(request: Request, errors: dict | None = None, values: dict | None = None, status_code: int = 200):
    db = request.app.state.db
    lines = await run_in_threadpool(alerts.thresholds, db)
    members = [member for member in await run_in_threadpool(service.all_members, db) if member.active]
    open_, cleared = await run_in_threadpool(alerts.alerts, db)
    values = saved_values(lines) if values is None else values
    return render(request, "staff/alerts.html", {
        "metrics": alerts.METRICS, "lines": lines, "members": members, "open_alerts": open_, "cleared": cleared,
        "errors": errors or {}, "values": values, "reason": (values or {}).get("reason", ""),
        "names": {member.id: member.email for member in members},
    }, status_code=status_code)


@staff_required(*RISK)
async def alerts_page(request: Request):
    return await _page(request)


@staff_required(*RISK)
async def save_lines(request: Request):
    form = await read_form(request)
    db = request.app.state.db
    active = {member.id for member in await run_in_threadpool(service.all_members, db) if member.active}
    errors, values, chosen = {}, {}, {}
    for name, metric in alerts.METRICS.items():
        typed = str(form.get(f"above_{name}") or "")[:50]
        picked = [whole_number(value) for value in form.getlist(f"recipients_{name}")]
        above, problem = read_line(typed, metric)
        if problem:
            errors[f"above_{name}"] = problem
        if any(member not in active for member in picked):
            errors[f"recipients_{name}"] = "Choose staff members from the list."
        values[name] = {"above": typed, "recipients": {member for member in picked if member in active}}
        chosen[name] = (above, sorted(values[name]["recipients"]))
    reason, problems = reason_from(form, "reason")
    values["reason"] = reason
    errors.update(problems)
    if errors:
        return await _page(request, errors, values, 400)
    staff = await current_staff(request)
    changes = await run_in_threadpool(lambda: alerts.save_thresholds(db, chosen, actor=staff.actor, reason=reason,
                                                                     ip=ip_of(request)))
    # A new line is checked at once rather than at the worker's next pass.
    opened = await run_in_threadpool(lambda: alerts.evaluate(db, console_url=request.app.state.settings.portal_url))
    if opened:
        request.app.state.mailer.wake()
    flash(request, f"Alerts saved ({len(changes)} changed). {len(opened)} new alert{'s' if len(opened) != 1 else ''}.", "success")
    return redirect(request, "staff:alerts")


@staff_required(*RISK)
async def acknowledge(request: Request):
    form = await read_form(request)
    alert_id = request.path_params["alert_id"]
    reason, problems = reason_from(form, f"ack_{alert_id}")
    if problems:
        lines = await run_in_threadpool(alerts.thresholds, request.app.state.db)
        return await _page(request, problems, {**saved_values(lines), f"ack_{alert_id}": reason}, 400)
    staff = await current_staff(request)
    done = await run_in_threadpool(lambda: alerts.acknowledge(request.app.state.db, alert_id, actor=staff.actor,
                                                              reason=reason, ip=ip_of(request)))
    if done is None:
        if await run_in_threadpool(alerts.find, request.app.state.db, alert_id) is None:
            raise HTTPException(404)
        flash(request, "That alert was already acknowledged.", "info")
    else:
        flash(request, "Alert acknowledged.", "success")
    return redirect(request, "staff:alerts")


routes = [
    Route("/alerts", alerts_page, name="alerts"),
    Route("/alerts/settings", save_lines, methods=["POST"], name="alert_settings"),
    Route("/alerts/{alert_id:int}/acknowledge", acknowledge, methods=["POST"], name="alert_acknowledge"),
]
