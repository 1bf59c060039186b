"""The seller's account status page, remediation form and hosted-page hand-off."""

import logging
import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from portal.accounts.auth import current_seller, login_required
from portal.connect import mirror, remediation
from portal.connect.status import State
from portal.connect.views import account_view
from portal.integrations.stripe import StripeFailure, idempotency_key
from portal.onboarding import stripe_errors
from portal.onboarding.validation import US_STATES
from portal.web import absolute_url, client_ip, flash, redirect, render

log = logging.getLogger(__name__)


async def _view(request: Request):
    seller = await current_seller(request)
    return seller, await run_in_threadpool(account_view, request.app.state.db, seller.id)


@login_required
async def status(request: Request):
    """Reads the mirror only: this page never waits on Stripe."""
    seller, view = await _view(request)
    if view.status.state == State.rejected:  # closed by the platform or Stripe (issue 7)
        return render(request, "connect/closed.html", {"view": view})
    plan = remediation.plan([a for a in view.actions if a.label in ("Past due", "Due now", "Coming up")])
    return render(request, "connect/status.html", {"view": view, "plan": plan, "states": US_STATES, "values": {}, "errors": {}})


@login_required
async def refresh(request: Request):
    """The seller asks us to check with Stripe now (webhooks normally keep the page current)."""
    seller, view = await _view(request)
    if view.account is not None:
        try:
            account = await request.app.state.stripe.retrieve_account(view.account.stripe_account_id)
            await run_in_threadpool(mirror.record_account, request.app.state.db, seller.id, account)
        except StripeFailure:
            flash(request, "We couldn't reach Stripe just now. Try again in a moment.", "error")
    return redirect(request, "connect:status")


@login_required
async def fix(request: Request):
    seller, view = await _view(request)
    if view.account is None:
        return redirect(request, "onboarding:start")
    plan = remediation.plan([a for a in view.actions if a.label in ("Past due", "Due now", "Coming up")])
    form = await request.form()
    files = {}
    for form_field in plan.fields:
        upload = form.get(form_field.name)
        if form_field.kind == "file" and hasattr(upload, "read"):
            files[form_field.name] = (upload.filename or "document", await upload.read(remediation.MAX_DOCUMENT_BYTES + 1))
    settings = request.app.state.settings
    tos = {"date": int(time.time()), "ip": client_ip(request, settings.trusted_proxies), "user_agent": request.headers.get("user-agent", "")[:500]}
    submission = remediation.read(plan.fields, form, files, test_mode=settings.stripe_test_mode, tos=tos)
    if not submission.errors:
        submission.errors = await _send(request, seller.id, view.account.stripe_account_id, submission)
        names = {f.name for f in plan.fields}
        # An error about something this form doesn't show is said at the top, not lost.
        submission.errors = {(key if key in names else "_form"): message for key, message in submission.errors.items()}
    if submission.errors:
        context = {"view": view, "plan": plan, "states": US_STATES, "values": submission.typed, "errors": submission.errors}
        return render(request, "connect/status.html", context, status_code=400)
    flash(request, "Thank you. What you sent is with Stripe; this page updates as soon as they have checked it.", "success")
    return redirect(request, "connect:status")


async def _send(request: Request, seller_id: int, account_id: str, submission: remediation.Submission) -> dict[str, str]:
    """Upload documents, then one account update and one update per person. Errors by form field."""
    gateway, secret = request.app.state.stripe, request.app.state.secret
    for name, filename, content in submission.uploads:
        try:
            uploaded = await gateway.upload_file(account_id, purpose="identity_document", filename=filename, content=content)
        except StripeFailure as failure:
            if failure.temporary:
                return _field_error(failure)
            return {name: "Stripe couldn't read this file. Upload a clear photo or scan of the whole document."}
        remediation.attach_document(submission, name, uploaded["id"])
    try:
        for person_id, params in submission.person_params.items():
            key = idempotency_key(seller_id, "fix-person", person_id, params, secret=secret)
            try:
                await gateway.update_person(account_id, person_id, params, key=key)
            except StripeFailure as failure:
                return _field_error(failure, owner=person_id, resource="person")
        if submission.account_params:
            key = idempotency_key(seller_id, "fix-account", submission.account_params, secret=secret)
            account = await gateway.update_account(account_id, submission.account_params, key=key)
        else:
            account = await gateway.retrieve_account(account_id)
    except StripeFailure as failure:
        return _field_error(failure)
    await run_in_threadpool(mirror.record_account, request.app.state.db, seller_id, account)
    return {}


def _field_error(failure: StripeFailure, *, owner: str | None = None, resource: str = "account") -> dict[str, str]:
    if failure.temporary:
        return {"_form": "We couldn't reach Stripe just now. Nothing you typed is lost: try again in a moment."}
    explained = stripe_errors.api_error(failure.code, failure.param, resource=resource)
    path = explained.field or "_form"
    if owner and path.startswith("person."):
        path = owner + path.removeprefix("person")
    return {path: explained.message}


@login_required
async def stripe_hosted(request: Request):
    """For what the API cannot collect (risk reviews, selfie checks): Stripe's own secure page."""
    seller, view = await _view(request)
    if view.account is None:
        return redirect(request, "onboarding:start")
    back = absolute_url(request, "connect:status")
    try:
        link = await request.app.state.stripe.create_account_link(
            view.account.stripe_account_id, refresh_url=absolute_url(request, "connect:stripe_hosted_refresh"), return_url=back,
        )
    except StripeFailure:
        flash(request, "We couldn't open Stripe's page just now. Try again in a moment.", "error")
        return redirect(request, "connect:status")
    return RedirectResponse(link["url"], status_code=303)


@login_required
async def stripe_hosted_refresh(request: Request):
    """Stripe sends the seller here when a link has expired: offer a fresh one."""
    flash(request, "That secure link expired. Open it again from here.", "info")
    return redirect(request, "connect:status")


routes = [
    Route("/", status, name="status"),
    Route("/refresh", refresh, methods=["POST"], name="refresh"),
    Route("/fix", fix, methods=["POST"], name="fix"),
    Route("/stripe", stripe_hosted, methods=["POST"], name="stripe_hosted"),
    Route("/stripe/refresh", stripe_hosted_refresh, name="stripe_hosted_refresh"),
]
