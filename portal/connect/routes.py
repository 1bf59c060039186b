"""The seller's account status page, remediation form and hosted-page hand-off."""

import logging
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from portal.i18n import gettext as _, lazy_gettext as _l
from portal import audit, countries
from portal.accounts.auth import current_seller, login_required
from portal.accounts.links import LinkProblem
from portal.connect import account_settings, mirror, payout_holds, remediation, remediation_links, submit
from portal.connect.requirements import Requirement, checking as stripe_checking
from portal.connect.status import AccountStatus, State
from portal.connect.views import AccountView, read_account_view
from portal.inputs import read_form
from portal.kept_pages import Keeping, until_holds_end
from portal.integrations.stripe import StripeFailure
from portal.onboarding import service as onboarding
from portal.web import absolute_url, client_ip, date_locale, flash, link_routes, link_token, redirect, render

log = logging.getLogger(__name__)


async def _view(request: Request):
    seller = await current_seller(request)
    return seller, await read_account_view(request.app.state.db, seller.id)


def _plan(actions: list[Requirement], focus: str | None, country: countries.Country) -> tuple[remediation.Plan, Requirement | None]:
    """The remediation form: what is due now and coming up, plus the one requirement a remediation
    link points at (`focus`), even when Stripe needs it only later."""
    wanted = [a for a in actions if a.label in ("Past due", "Due now", "Coming up")]
    focused = remediation_links.find(actions, focus) if focus else None
    if focused is not None and focused not in wanted:
        wanted.append(focused)
    return remediation.plan(wanted, country), focused


def _form(inputs: dict) -> dict:
    """The status page's form from its fragment's inputs alone (so made only when the fragment is
    rendered, not on every view of a kept one): the plan and the requirement in focus."""
    plan, focused = _plan(inputs["view"].actions, inputs["focus_key"], countries.COUNTRIES[inputs["country"]])
    return {"plan": plan, "focus": focused}


async def status(request: Request):
    """Reads the mirror only: this page never waits on Stripe. Kept whole until the seller's
    version changes (kept_pages.py), except while they are still setting up (the form is read
    through the ORM)."""
    seller = await current_seller(request)
    db = request.app.state.db
    with Keeping(request) as page:
        if (kept := page.kept) is not None:
            return kept
        view = await read_account_view(db, seller.id)
        # The form, for a seller who has not submitted yet.
        ob = await db.run_read(onboarding.load, db, seller.id, seller.email) if view.status.state == State.setting_up else None
        if view.status.state == State.rejected:  # closed by the platform or Stripe (issue 7)
            return render(request, "connect/closed.html", {"view": view}, keep=page, until=until_holds_end(view.holds))
        return _status_page(request, view, request.query_params.get("requirement"),
                            progress=_progress(ob) if ob is not None else None, keep=page)


@dataclass(frozen=True)
class StatusContent:
    """The `view` the status page's content is rendered from: all of what it shows of the account,
    as values (the page is kept by them, portal/fragments.py), never the mirror's row itself."""

    account: bool
    status: AccountStatus
    actions: list[Requirement]
    pending: list[str]
    holds: list[payout_holds.Hold]
    settings: account_settings.Summary | None
    staff_changes: list[account_settings.StaffChange]


def _status_page(request: Request, view: AccountView, focus: str | None, *, progress: dict | None = None,
                 values: dict | None = None, errors: dict | None = None, status_code: int = 200, keep: Keeping | None = None):
    snapshot = view.account.snapshot if view.account else None
    content = StatusContent(account=view.account is not None, status=view.status, actions=view.actions,
                            pending=view.pending, holds=view.holds, settings=view.settings if view.account else None,
                            staff_changes=view.staff_changes)
    return render(request, "connect/status.html", {"content": {
        "view": content, "country": countries.of_account(snapshot).code, "focus_key": focus or None,
        "values": values or {}, "errors": errors or {}, "progress": progress, "date_locale": date_locale(snapshot),
    }, "form": _form}, status_code=status_code, keep=keep, until=until_holds_end(view.holds))


def _progress(ob: onboarding.Onboarding) -> dict:
    """Where a seller who has not submitted yet is in the form: steps done, and the next one."""
    return {"done": sum(ob.is_done(step.slug) for step in ob.steps), "total": len(ob.steps), "next": ob.first_open_step()}


async def refresh(request: Request):
    """The seller asks us to check with Stripe now (webhooks normally keep the page current)."""
    seller, view = await _view(request)
    if view.account is not None:
        try:
            account = await request.app.state.stripe.retrieve_account(view.account.stripe_account_id)
            await run_in_threadpool(mirror.record_account, request.app.state.db, seller.id, account)
        except StripeFailure:
            flash(request, _("We couldn't reach Stripe just now. Try again in a moment."), "error")
    return redirect(request, "connect:status")


async def fix(request: Request):
    seller, view = await _view(request)
    if view.account is None:
        return redirect(request, "onboarding:start")
    form = await read_form(request, is_file=remediation.is_document_field)
    focus = str(form.get("requirement") or "") or None
    country = countries.of_account(view.account.snapshot)
    plan = _plan(view.actions, focus, country)[0]
    files = {}
    for form_field in plan.fields:
        upload = form.get(form_field.name)
        if form_field.kind == "file" and hasattr(upload, "read"):
            files[form_field.name] = (upload.filename or "document", await upload.read(remediation.MAX_DOCUMENT_BYTES + 1))
    settings = request.app.state.settings
    tos = {"date": int(time.time()), "ip": client_ip(request, settings.trusted_proxies), "user_agent": request.headers.get("user-agent", "")[:500]}
    submission = remediation.read(plan.fields, form, files, test_mode=settings.stripe_test_mode, tos=tos, country=country.code)
    if not submission.errors:
        state, account_id = request.app.state, view.account.stripe_account_id
        submission.errors = await submit.send_to_stripe(state.db, state.stripe, seller.id, account_id, submission,
                                                        secret=state.secret, country=country.code)
        names = {f.name for f in plan.fields}
        # An error about something this form doesn't show is said at the top, not lost.
        submission.errors = {(key if key in names else "_form"): message for key, message in submission.errors.items()}
        if not submission.errors:
            sent = submit.sent_fields(plan.fields, submission)
            keys = [key for f in sent for key in f.requirement.keys]
            await run_in_threadpool(submit.record_sent, state.db, actor=audit.Actor.seller(seller.id, seller.email),
                                    action="seller.requirements_sent", seller_id=seller.id,
                                    requirement_keys=list(dict.fromkeys(keys)), fields=sent, account_id=account_id,
                                    ip=client_ip(request, settings.trusted_proxies))
    if submission.errors:
        return _status_page(request, view, focus, values=submission.typed, errors=submission.errors, status_code=400)
    flash(request, _("Thank you. What you sent is with Stripe; this page updates as soon as they have checked it."), "success")
    return redirect(request, "connect:status")


async def _account_link(request: Request, account, requirement: Requirement | None = None) -> str:
    """A fresh hosted Account Link (Stripe's expire within minutes, so one is made when it is used),
    reaching as far as `requirement` needs (one only needed later widens what the page collects)."""
    eventually_due, future = remediation_links.hosted_reach(account.snapshot, requirement.keys if requirement else [])
    link = await request.app.state.stripe.create_account_link(
        account.stripe_account_id, refresh_url=absolute_url(request, "connect:stripe_hosted_refresh"),
        return_url=absolute_url(request, "connect:status"), eventually_due=eventually_due, future_requirements=future,
    )
    return link["url"]


async def stripe_hosted(request: Request):
    """Stripe's own secure page, for what the API cannot collect (risk reviews, selfie checks) and
    for what the portal cannot (a requirement Stripe added that no form here has: unfamiliar.py).
    The form names the requirement (`requirement`: one of its keys), so the page reaches it."""
    seller, view = await _view(request)
    if view.account is None:
        return redirect(request, "onboarding:start")
    key = str((await read_form(request)).get("requirement") or "")[:300]
    requirement = remediation_links.find(view.actions, key) if key else None
    if key and requirement is None:
        flash(request, _("Stripe no longer asks for that. Here is what your account needs now."), "info")
        return redirect(request, "connect:status")
    try:
        url = await _account_link(request, view.account, requirement)
    except StripeFailure:
        flash(request, _("We couldn't open Stripe's page just now. Try again in a moment."), "error")
        return redirect(request, "connect:status")
    return RedirectResponse(url, status_code=303)


LINK_PROBLEMS = {
    LinkProblem.invalid: _l("This link is not valid. Make sure you opened the whole link from the email."),
    LinkProblem.expired: _l("This link has expired: links to fix your account work for %(link_days)s days.", link_days=remediation_links.LINK_DAYS),
    LinkProblem.used: _l("This link has already been used."),
}


async def remediation_link(request: Request):
    """A link staff mailed to fix one requirement (staff/requirements_desk.py). Following it shows a
    button; only pressing it uses the link, so mail scanners that open links can't use it up. The
    seller signs in first if they are not (login comes back here), and only as the seller it was sent to."""
    key, token = request.path_params["key"], link_token(request)
    state = request.app.state
    checked = await run_in_threadpool(remediation_links.check, state.db, state.secret, token, key)
    if isinstance(checked, LinkProblem):
        return render(request, "connect/remediation_link.html", {"page": "problem", "problem": LINK_PROBLEMS[checked]}, 400)
    request.state.remediation_for = checked
    return await _follow_remediation_link(request)


@login_required
async def _follow_remediation_link(request: Request):
    key, token = request.path_params["key"], link_token(request)
    seller, view = await _view(request)
    if seller.id != request.state.remediation_for:
        return render(request, "connect/remediation_link.html", {"page": "other_seller", "email": seller.email}, 403)
    if view.status.state == State.rejected:  # closed since the link was sent: the closed page, as on /status/
        return render(request, "connect/closed.html", {"view": view})
    requirement = remediation_links.find(view.actions, key)
    if requirement is None:
        checking = stripe_checking(view.account.snapshot, key) if view.account else False
        return render(request, "connect/remediation_link.html", {"page": "done", "checking": checking})
    where = remediation_links.where(requirement)
    context = {"page": "confirm", "requirement": requirement, "where": where, "key": key}
    if request.method != "POST":
        return render(request, "connect/remediation_link.html", context)
    state = request.app.state
    url = None
    if where == "stripe":
        try:  # before the link is used up: if Stripe doesn't answer, the seller can press again
            url = await _account_link(request, view.account, requirement)
        except StripeFailure:
            return render(request, "connect/remediation_link.html",
                          {**context, "error": _("We couldn't open Stripe's page just now. Try again in a moment.")}, 502)
    spent = await run_in_threadpool(remediation_links.spend, state.db, token)
    if isinstance(spent, LinkProblem):
        return render(request, "connect/remediation_link.html", {"page": "problem", "problem": LINK_PROBLEMS[spent]}, 400)
    await run_in_threadpool(audit.record, state.db, actor=audit.Actor.seller(seller.id, seller.email),
                            action="seller.remediation_link_followed", seller_id=seller.id,
                            details={"requirement": key, "where": where},
                            ip=client_ip(request, state.settings.trusted_proxies))
    if url:
        return RedirectResponse(url, status_code=303)
    return RedirectResponse(f"{request.url_for('connect:status').path}?{urlencode({'requirement': key})}#fix", status_code=303)


async def stripe_hosted_refresh(request: Request):
    """Stripe sends the seller here when a link has expired: offer a fresh one."""
    flash(request, _("That secure link expired. Open it again from here."), "info")
    return redirect(request, "connect:status")


routes = [
    Route("/", status, name="status"),
    Route("/refresh", refresh, methods=["POST"], name="refresh"),
    Route("/fix", fix, methods=["POST"], name="fix"),
    Route("/stripe", stripe_hosted, methods=["POST"], name="stripe_hosted"),
    Route("/stripe/refresh", stripe_hosted_refresh, name="stripe_hosted_refresh"),
    *link_routes("/remediation/{key}", remediation_link, name="remediation_link"),
]
