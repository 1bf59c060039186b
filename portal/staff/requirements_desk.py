"""The requirements desk (issue 10): one requirement of a seller's account, and the ways staff fix it.

A requirement is addressed by its first Stripe key (`/staff/sellers/{id}/requirements/{key}`); any
key of its group finds it, so the address holds while Stripe regroups. Three ways to fix it:

- submit it on the seller's behalf (support role or above): the seller's own remediation form for
  exactly this requirement (connect/remediation.py), sent through connect/submit.py like the seller's;
- mail the seller a single-use, expiring link to the portal's remediation page (connect/remediation_links.py),
  which for what only Stripe collects makes a fresh hosted Account Link when followed;
- a prepared summary to paste into a Stripe support case, for what neither can fix.

Every action needs a reason and is audited with the names of the fields sent, never their values."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from portal.i18n import lazy_gettext as _l
from portal import audit, countries
from portal.connect import remediation, remediation_links, requirement_model, submit, unfamiliar
from portal.connect.requirements import Requirement, checking as stripe_checking
from portal.inputs import read_form
from portal.onboarding import stripe_errors
from portal.staff import console, search
from portal.staff.auth import current_staff, ip_of, staff_required
from portal.staff.pages import (
    ANY, EXPIRED_FORM, SUBMISSION, SUPPORT, already_sent, known_seller, new_submission_id, reason_from,
)
from portal.web import absolute_url, flash, format_timestamp, redirect, render, send_mail

SUBMIT, LINK = "submit", "link"
# What the audit trail says the platform has already tried about a requirement.
TRIED = {
    "staff.requirement_submitted": "staff sent it to Stripe on the seller's behalf",
    "staff.remediation_link": "staff emailed the seller a link to fix it",
    "seller.requirements_sent": "the seller sent it to Stripe from the portal",
    "seller.remediation_link_followed": "the seller followed the emailed link",
    "risk.remediation_link": "staff emailed the seller to fix their account",
}
WHERE = {
    "form": "the portal's remediation form",
    "stripe": "Stripe's hosted page (the API cannot collect it)",
    "bank": "the bank account step of the seller's onboarding",
    "people": "the people step of the seller's onboarding",
    "add_person": "adding a person in the seller's onboarding",
    "profile": "the business profile step of the seller's onboarding",
    # Stripe asks for something no form here has yet (connect/unfamiliar.py): not Stripe's limit, ours.
    "unknown": "Stripe's hosted page, because the portal has no field for it yet (listed on Unknown requirements)",
}


@dataclass(frozen=True)
class StripeError:
    requirement: str
    code: str
    reason: str
    words: str  # what the seller is told


def stripe_errors_for(snapshot: dict, keys: list[str]) -> list[StripeError]:
    """Stripe's errors about these keys, with its code and reason (for staff) beside our words."""
    return [StripeError(error.key, error.code, error.reason, stripe_errors.requirement_error(error.as_stripe(), country=snapshot.get("country")).message)
            for error in requirement_model.of(snapshot).errors_for(keys)]


def staff_fields(requirement: Requirement, country: countries.Country) -> list[remediation.FormField]:
    """The seller's form for this one requirement, in the account's country's words and address
    layout, minus what only the seller may give (accepting Stripe's agreement again is theirs to
    do: staff send a link for it)."""
    return [f for f in remediation.plan([requirement], country).fields if f.kind != "checkbox"]


def tried(trail: list[audit.AuditEvent], keys: list[str]) -> list[audit.AuditEvent]:
    """What the platform already did about this requirement, oldest first."""
    mine = []
    for event in reversed(trail):
        if event.action not in TRIED:
            continue
        details = event.details or {}
        about = set(details.get("keys") or []) | {details.get("requirement")} - {None}
        if not about or about & set(keys):  # a link about the whole account counts for every requirement
            mine.append(event)
    return mine


_NUMBERS = re.compile(r"\b\d{3}-\d{2}-\d{4}\b|\d{6,}")


def _when(moment) -> str:
    if moment is None:
        return "none"
    if isinstance(moment, (int, float)):
        moment = datetime.fromtimestamp(moment, UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def due_words(requirement: Requirement, now: datetime | None = None) -> str:
    """When it is or was due, never "past due" beside "no deadline". Stripe's current_deadline is
    the account's date for what is currently due: for a past-due requirement it says when that one
    fell due only if it has passed; a later date belongs to the other requirements."""
    now = now or datetime.now(UTC)
    deadline = requirement.deadline
    if requirement.bucket == "past_due":
        if deadline is not None and deadline <= now.timestamp():
            return f"Fell due {format_timestamp(deadline, True)}"
        return "Already past due: Stripe gave no date for when it fell due"
    return f"Due by {format_timestamp(deadline, True)}" if deadline else "No deadline set"


def case_summary(file: console.SellerFile, requirement: Requirement, errors: list[StripeError],
                 history: list[audit.AuditEvent]) -> str:
    """Plain text for a Stripe support case: the account, the requirement, what was tried. It holds
    no secret: Stripe's own ids and codes, our words, and staff's reasons with long numbers removed."""
    snapshot = file.view.account.snapshot if file.view.account else {}
    disabled_reason = requirement_model.of(snapshot).disabled_reason
    capabilities = snapshot.get("capabilities") or {}
    lines = [
        f"Connected account: {snapshot.get('id') or file.facts.account_id}",
        f"Business name: {file.facts.name}",
        f"Country: {snapshot.get('country') or 'unknown'}; business type: {snapshot.get('business_type') or 'unknown'}",
        f"Charges enabled: {'yes' if snapshot.get('charges_enabled') else 'no'}; "
        f"payouts enabled: {'yes' if snapshot.get('payouts_enabled') else 'no'}; "
        f"disabled_reason: {disabled_reason or 'none'}",
        "Capabilities: " + (", ".join(f"{name} {state}" for name, state in sorted(capabilities.items())) or "none"),
        "",
        f"Requirement: {requirement.staff_words or requirement.words} ({requirement.label.lower()}, {requirement.bucket})",
        "Stripe keys: " + ", ".join(requirement.keys),
        f"Deadline: {due_words(requirement)}",
        "Affects: " + (", ".join(requirement.capabilities) or "no capability named"),
        "Errors: " + ("none" if not errors else ""),
        *[f"- {error.requirement}: {error.code} ({error.reason or 'no reason given'})" for error in errors],
        "",
        "What the platform already tried: " + ("nothing yet" if not history else ""),
    ]
    for event in history:
        who = "staff" if event.actor_kind == audit.STAFF else "the seller" if event.actor_kind == audit.SELLER else "the platform"
        fields = (event.details or {}).get("fields")
        line = f"- {_when(event.at)}: {TRIED[event.action]} ({who})"
        if fields:
            line += "; fields: " + ", ".join(fields)
        if event.reason:
            line += "; note: " + _NUMBERS.sub("[number removed]", event.reason)
        lines.append(line)
    return "\n".join(lines) + "\n"


def _find(file: console.SellerFile, key: str) -> Requirement | None:
    if file.view.account is None or file.view.status.state == "rejected":
        return None
    return remediation_links.find(file.view.actions, key)


async def _gone(request: Request, file: console.SellerFile, key: str, status_code: int):
    """The requirement is no longer asked for (fixed, being checked, or never was)."""
    snapshot = file.view.account.snapshot if file.view.account else {}
    checking = stripe_checking(snapshot, key)
    return render(request, "staff/requirement_gone.html", {"file": file, "key": key, "checking": checking},
                  status_code=status_code)


async def _detail(request: Request, file: console.SellerFile, requirement: Requirement, *, errors: dict | None = None,
                  values: dict | None = None, status_code: int = 200):
    staff = await current_staff(request)
    snapshot = file.view.account.snapshot
    stripe_errors_found = stripe_errors_for(snapshot, requirement.keys)
    history = tried(file.trail, requirement.keys)
    where = remediation_links.where(requirement)
    country = countries.of_account(snapshot)
    return render(request, "staff/requirement.html", {
        "file": file, "requirement": requirement, "key": requirement.keys[0], "stripe_errors": stripe_errors_found,
        "fields": staff_fields(requirement, country), "where": where,
        "where_words": WHERE["unknown" if where == "stripe" and requirement.collectable else where],
        "tos_only": any(f.kind == "checkbox" for f in remediation.plan([requirement]).fields),
        "can_act": staff.can(*SUPPORT), "errors": errors or {}, "values": values or {},
        "states": country.address.subdivisions, "country": country,
        "history": history, "summary": case_summary(file, requirement, stripe_errors_found, history),
        "disabled_reason": requirement_model.of(snapshot).disabled_reason,
        "link_days": remediation_links.LINK_DAYS, "due": due_words(requirement),
        "sent": sent_link(request, file.seller.id, requirement.keys[0]), "submission": new_submission_id(),
    }, status_code=status_code)


@staff_required(*ANY)
async def requirement_page(request: Request):
    file, key = await known_seller(request), request.path_params["key"]
    requirement = _find(file, key)
    if requirement is None:
        return await _gone(request, file, key, 404)
    return await _detail(request, file, requirement)


@staff_required(*SUPPORT)
async def submit_for_seller(request: Request):
    """Staff send the requirement to Stripe as the seller would, with a reason."""
    file, key = await known_seller(request), request.path_params["key"]
    requirement = _find(file, key)
    if requirement is None:
        return await _gone(request, file, key, 409)
    country = countries.of_account(file.view.account.snapshot)
    fields = staff_fields(requirement, country)
    if not fields:
        return await _detail(request, file, requirement, status_code=409, errors={
            "_form": "The portal cannot collect this from staff: send the seller a link, or contact Stripe."})
    form = await read_form(request, is_file=remediation.is_document_field)
    reason, errors = reason_from(form, SUBMIT)
    files = {}
    for form_field in fields:
        upload = form.get(form_field.name)
        if form_field.kind == "file" and hasattr(upload, "read"):
            files[form_field.name] = (upload.filename or "document", await upload.read(remediation.MAX_DOCUMENT_BYTES + 1))
    state = request.app.state
    submission = remediation.read(fields, form, files, test_mode=state.settings.stripe_test_mode,
                                  country=country.code)
    errors.update(submission.errors)
    values = {**submission.typed, SUBMIT: reason}
    if errors:
        return await _detail(request, file, requirement, errors=errors, values=values, status_code=400)
    account_id = file.view.account.stripe_account_id
    failed = await submit.send_to_stripe(state.db, state.stripe, file.seller.id, account_id, submission,
                                         secret=state.secret, country=country.code, by_staff=True)
    if failed:
        names = {f.name for f in fields}
        failed = {(name if name in names else "_form"): message for name, message in failed.items()}
        return await _detail(request, file, requirement, errors=failed, values=values, status_code=400)
    staff = await current_staff(request)
    sent = submit.sent_fields(fields, submission)
    await run_in_threadpool(submit.record_sent, state.db, actor=staff.actor, action="staff.requirement_submitted",
                            seller_id=file.seller.id, requirement_keys=requirement.keys, fields=sent,
                            account_id=account_id, reason=reason, ip=ip_of(request))
    await send_mail(request, file.seller.email, _l("Our team updated your seller account"), "mail/staff_requirement_submitted.txt",
                    locale=file.seller.locale,
                    items=changed_in_words(requirement, sent), link=absolute_url(request, "connect:status"))
    flash(request, f"Sent to Stripe for {file.facts.name}: {requirement.staff_words}. The seller is emailed what changed.", "success")
    return redirect(request, "staff:seller", seller_id=file.seller.id)


def changed_in_words(requirement: Requirement, sent: list[remediation.FormField]) -> list[str]:
    """What the seller is told was changed: the requirement in words, and the fields by their labels."""
    labels = [str(f.label) for f in sent if f.kind not in ("file", "checkbox")]
    if len(labels) > 1:
        return [f"{requirement.words} ({', '.join(labels)})"]
    if any(f.kind == "file" for f in sent):
        return [f"{requirement.words} (a document was uploaded)"]
    return [requirement.words]


# A sent link is shown once, on the page the browser is redirected to (post/redirect/get), from
# the staff member's own session, the way flash messages travel; it is never logged or stored here.
SENT_LINK = "_remediation_link_sent"
def sent_link(request: Request, seller_id: int, key: str) -> dict | None:
    """The link just sent for this requirement, once: a reload of the page no longer shows it."""
    sent = request.session.get(SENT_LINK)
    if not sent or sent.get("seller_id") != seller_id or sent.get("key") != key:
        return None
    request.session.pop(SENT_LINK)
    return {**sent, "expires": datetime.fromisoformat(sent["expires"])}


@staff_required(*SUPPORT)
async def send_link(request: Request):
    """Mail the seller a single-use, expiring link to fix this requirement, then show it to copy."""
    file, key = await known_seller(request), request.path_params["key"]
    requirement = _find(file, key)
    if requirement is None:
        return await _gone(request, file, key, 409)
    form = await read_form(request)
    reason, errors = reason_from(form, LINK)
    submission = str(form.get("submission") or "")
    if not SUBMISSION.fullmatch(submission):
        errors["_link"] = EXPIRED_FORM
    if errors:
        return await _detail(request, file, requirement, errors=errors, values={LINK: reason}, status_code=400)
    earlier = already_sent(file.trail, "staff.remediation_link", submission)
    if earlier is not None:
        flash(request, f"This form already sent a link to {file.seller.email} at {format_timestamp(earlier.at, True)}; "
                       "nothing was sent again.", "info")
        return redirect(request, "staff:requirement", seller_id=file.seller.id, key=requirement.keys[0])
    state, key = request.app.state, requirement.keys[0]
    token = remediation_links.make_link_token(state.secret, file.seller.id, key)
    link = absolute_url(request, "connect:remediation_link", key=key, token=token)
    where = remediation_links.where(requirement)
    expires = datetime.now(UTC) + timedelta(seconds=remediation_links.LINK_MAX_AGE)
    await send_mail(request, file.seller.email, _l("A link to fix your seller account"), "mail/remediation_link.txt",
                    locale=file.seller.locale,
                    requirement=requirement, where=where, link=link, days=remediation_links.LINK_DAYS,
                    status=absolute_url(request, "connect:status"))
    staff = await current_staff(request)
    await run_in_threadpool(audit.record, state.db, actor=staff.actor, action="staff.remediation_link",
                            seller_id=file.seller.id, reason=reason, ip=ip_of(request), details={
                                "requirement": key, "keys": requirement.keys, "where": where, "submission": submission,
                                "sent_to": file.seller.email, "expires_at": expires.isoformat(timespec="seconds")})
    request.session[SENT_LINK] = {"seller_id": file.seller.id, "key": key, "link": link, "email": file.seller.email,
                                  "expires": expires.isoformat()}
    return redirect(request, "staff:requirement", seller_id=file.seller.id, key=key)


@staff_required(*ANY)
async def unknown_requirements(request: Request):
    """Requirement keys sellers' accounts ask for that the portal has no words or field for, from
    the mirror: which, why, how many sellers and which, first seen. What to add to the data next."""
    db = request.app.state.db
    keys = await run_in_threadpool(unfamiliar.report, db)
    names = await run_in_threadpool(search.names_of, db, {asker.seller_id for key in keys for asker in key.sellers})
    return render(request, "staff/unknown_requirements.html", {"keys": keys, "names": names, "why": unfamiliar.WHY})


SELLER = "/sellers/{seller_id:int}/requirements/{key}"
routes = [
    Route("/requirements/unknown", unknown_requirements, name="unknown_requirements"),
    Route(SELLER, requirement_page, name="requirement"),
    Route(SELLER + "/submit", submit_for_seller, methods=["POST"], name="requirement_submit"),
    Route(SELLER + "/link", send_link, methods=["POST"], name="requirement_link"),
]
