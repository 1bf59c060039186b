"""Staff editing a seller's account for them (issue 10): profile, people, capabilities, payout schedule.

Each handler checks the role, reads its form (with the reason every change needs), calls one
function of portal/staff/account_changes.py, and tells the seller by mail what changed (never a
secret value). Errors are shown beside the field that caused them, with what was typed kept."""

import secrets

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from portal.i18n import lazy_gettext as _l
from portal import countries
from portal.connect import account_settings, payout_holds
from portal.inputs import read_form
from portal.integrations.stripe import StripeFailure
from portal.onboarding import business_email, mcc, steps
from portal.onboarding.routes import BUSINESS_EMAIL_LINK_MAX_AGE
from portal.staff import account_changes as changes
from portal.staff import pages
from portal.staff.auth import current_staff, ip_of, staff_required
from portal.staff.pages import RISK, SUPPORT
from portal.staff.risk import debit_negative_balances
from portal.web import absolute_url, flash, redirect, render, send_mail


def _test_mode(request: Request) -> bool:
    return request.app.state.settings.stripe_test_mode


async def _file_with_account(request: Request):
    file = await pages.known_seller(request)
    if file.view.account is None:
        raise HTTPException(404, "This seller has no Stripe account yet: there is nothing to change.")
    return file


def _reason(form) -> tuple[str, dict]:
    reason = str(form.get("reason") or "").strip()
    if not reason:
        return "", {"reason": "Give a reason: it goes on the seller's audit trail."}
    if len(reason) > pages.MAX_REASON:
        return reason, {"reason": f"Keep the reason under {pages.MAX_REASON} characters."}
    return reason, {}


async def _tell_seller(request: Request, file, what: str, lines: list[str], *, note: str = "") -> None:
    if not lines:
        return
    await send_mail(request, file.seller.email, _l("We changed your %(what)s", what=what), "mail/staff_account_change.txt",
                    locale=file.seller.locale, what=what, lines=lines, note=note, link=absolute_url(request, "connect:status"))


# Business profile and contact details ------------------------------------------------------


def _profile_page(request: Request, file, values: dict, errors: dict | None = None, general: str | None = None):
    snapshot = file.view.account.snapshot
    return render(request, "staff/account_profile.html", {
        "file": file, "values": values, "errors": errors or {}, "general": general, "mcc_groups": mcc.groups(),
        "country": countries.of_account(snapshot), "states": countries.of_account(snapshot).address.subdivisions,
        "is_company": changes.is_company(snapshot),
    }, 400 if (errors or general) else 200)


@staff_required(*SUPPORT)
async def profile(request: Request):
    file = await _file_with_account(request)
    snapshot, db = file.view.account.snapshot, request.app.state.db
    if request.method == "GET":
        draft = await run_in_threadpool(changes._draft, db, file.seller.id)
        values = {**changes.profile_values(snapshot, (draft.answers if draft else {}).get("profile")),
                  **changes.contact_values(snapshot)}
        return _profile_page(request, file, values)
    form = await read_form(request)
    read = changes.read_profile(form, snapshot, test_mode=_test_mode(request))
    reason, reason_errors = _reason(form)
    values = {**read.answers, "reason": reason}
    if read.errors or reason_errors:
        return _profile_page(request, file, values, {**read.errors, **reason_errors})
    staff, state = await current_staff(request), request.app.state
    result = await changes.update_profile(db, state.stripe, file.seller.id, read.answers, actor=staff.actor,
                                          reason=reason, ip=ip_of(request), secret=state.secret,
                                          test_mode=_test_mode(request))
    if not result.ok:
        return _profile_page(request, file, values, result.errors, result.general)
    lines = [f"{c['field']}: now {account_settings.industry(c['new']) if c['field'] == 'Industry' else c['new']}"
             if c["field"] in changes.PUBLIC_PROFILE_FIELDS else f"{c['field']} changed" for c in result.changes]
    await _tell_seller(request, file, _l("business profile"), lines)
    if any(change["field"] == "Website" for change in result.changes):
        await _website_changed(request, file, read.answers["url"])
    flash(request, "The business profile is saved at Stripe." if result.changes else
          "Nothing changed: Stripe already had these details.", "success")
    return redirect(request, "staff:seller", seller_id=file.seller.id)


async def _website_changed(request: Request, file, website: str) -> None:
    """As when the seller changes the website: the business email is judged against the new one,
    an earlier confirmation lapses (payouts are held until the seller confirms again) and a new
    link goes to the business address."""
    db, state = request.app.state.db, request.app.state
    was_confirmed = bool(file.business_email and file.business_email.confirmed_at)
    checked = await run_in_threadpool(changes.recheck_business_email, db, file.seller.id, website)
    if checked is None:
        return
    record, assessment, lapsed = checked
    if lapsed and assessment.acceptable:
        token = business_email.link_token(state.secret, record)
        await send_mail(request, record.email, _l("Confirm your business email address"), "mail/business_email.txt",
                        locale=file.seller.locale,
                        link=absolute_url(request, "onboarding:business_email_confirm", token=token),
                        website=record.website, days=BUSINESS_EMAIL_LINK_MAX_AGE // 86400)
        await run_in_threadpool(business_email.mark_sent, db, file.seller.id)
    if lapsed and was_confirmed:
        try:
            await payout_holds.apply(db, state.stripe, file.seller.id, secret=state.secret)
        except StripeFailure:
            pass  # the hold stands; Stripe's schedule is put right on the next pass
        flash(request, f"The website changed, so {record.email} must be confirmed again: payouts are held until "
                       "the seller opens the new link." if assessment.acceptable else
                       f"The website changed and {record.email} is not on its domain: payouts are held until the "
                       "seller gives a business email on the new website's domain.", "info")


# People -----------------------------------------------------------------------------------


async def _people(request: Request, file) -> tuple[list[dict], str | None]:
    """(the persons Stripe holds, or [] with the reason they could not be read)."""
    try:
        _account, persons = await changes.list_people(request.app.state.db, request.app.state.stripe, file.seller.id)
    except StripeFailure:
        return [], "Stripe did not answer, so the people on this account can't be shown just now. Try again in a moment."
    return persons, None


async def _person_or_404(request: Request, file) -> tuple[dict, list[dict]]:
    persons, problem = await _people(request, file)
    if problem:
        raise HTTPException(502, problem)
    found = next((p for p in persons if p["id"] == request.path_params["person_id"]), None)
    if found is None:
        raise HTTPException(404)
    return found, persons


@staff_required(*SUPPORT)
async def people(request: Request):
    file = await _file_with_account(request)
    persons, problem = await _people(request, file)
    return render(request, "staff/account_people.html", {
        "file": file, "persons": persons, "problem": problem, "relationships": steps.RELATIONSHIPS,
        "is_company": changes.is_company(file.view.account.snapshot), "name_of": changes.person_name,
        "roles_of": changes.roles_of,
    }, 502 if problem else 200)


def _person_page(request: Request, file, person: dict | None, values: dict, errors: dict | None = None,
                 general: str | None = None, status_code: int | None = None):
    due = set(((person or {}).get("requirements") or {}).get("currently_due") or []) | set(
        ((person or {}).get("requirements") or {}).get("past_due") or [])
    return render(request, "staff/account_person.html", {
        "file": file, "person": person, "values": values, "errors": errors or {}, "general": general,
        "relationships": steps.RELATIONSHIPS, "country": countries.of_account(file.view.account.snapshot),
        "states": countries.of_account(file.view.account.snapshot).address.subdivisions,
        "full_number_asked": "id_number" in due or bool((errors or {}).get("id_number")),
        "full_number_given": bool((person or {}).get("id_number_provided")),
        "last4_on_file": bool((person or {}).get("ssn_last_4_provided") or (person or {}).get("id_number_provided")),
        "name_of": changes.person_name,
    }, status_code or (400 if (errors or general) else 200))


@staff_required(*SUPPORT)
async def person_form(request: Request):
    """Add a person (no person_id in the path) or change one."""
    file = await _file_with_account(request)
    if not changes.is_company(file.view.account.snapshot):
        flash(request, "This is an individual's account: their details are in the business profile form.", "info")
        return redirect(request, "staff:account_people", seller_id=file.seller.id)
    person, persons = (await _person_or_404(request, file)) if "person_id" in request.path_params else (None, None)
    db = request.app.state.db
    drafts = await run_in_threadpool(changes.draft_answers_by_person, db, file.seller.id)
    if request.method == "GET":
        values = (changes.person_values(person, drafts.get(person["id"]), file.view.account.snapshot.get("country") or "US")
                  if person else {"percent_ownership": "0"})
        return _person_page(request, file, person, {**values, "attempt": secrets.token_urlsafe(16)})
    form = await read_form(request)
    if persons is None:
        persons, problem = await _people(request, file)
        if problem:
            return _person_page(request, file, person, {}, general=problem, status_code=502)
    others = [p for p in persons if not person or p["id"] != person["id"]]
    country = file.view.account.snapshot.get("country") or "US"
    read = changes.read_person(form, others=others, person=person, test_mode=_test_mode(request), country=country)
    if person and not read.answers.get("ssn_last_4") and drafts.get(person["id"], {}).get("ssn_last_4"):
        read.answers["ssn_last_4"] = drafts[person["id"]]["ssn_last_4"]
    reason, reason_errors = _reason(form)
    attempt = str(form.get("attempt") or "")[:64] or secrets.token_urlsafe(16)
    values = {**read.answers, "reason": reason, "attempt": attempt}
    if read.errors or reason_errors:
        return _person_page(request, file, person, values, {**read.errors, **reason_errors})
    staff, state = await current_staff(request), request.app.state
    try:
        result = await changes.save_person(db, state.stripe, file.seller.id, read, person=person, attempt=attempt,
                                           actor=staff.actor, reason=reason, ip=ip_of(request), secret=state.secret,
                                           test_mode=_test_mode(request))
    except changes.ChangeRefused as refused:
        return _person_page(request, file, person, values, general=str(refused), status_code=409)
    if not result.ok:
        return _person_page(request, file, person, values, result.errors, result.general)
    name = f"{read.answers['first_name']} {read.answers['last_name']}".strip()
    roles = ", ".join(role for role in steps.RELATIONSHIPS if read.answers.get(role))
    if person:
        fields = ", ".join(change["field"].lower() for change in result.changes)
        lines = [f"{name}: {fields}"] if fields else []
    else:
        lines = [_l("Added %(name)s (%(roles)s)", name=name, roles=roles)]
    await _tell_seller(request, file, _l("account's people"), lines)
    flash(request, f"{name} is saved at Stripe." if result.changes or not person else
          "Nothing changed: Stripe already had these details.", "success")
    return redirect(request, "staff:account_people", seller_id=file.seller.id)


@staff_required(*SUPPORT)
async def person_remove(request: Request):
    """Removing a person asks first: this page, a ticked confirmation and a reason."""
    file = await _file_with_account(request)
    person, _persons = await _person_or_404(request, file)
    errors, values = {}, {}
    if request.method == "POST":
        form = await read_form(request)
        reason, errors = _reason(form)
        values = {"reason": reason}
        if form.get("confirm") != "on":
            errors["confirm"] = f"Tick the box to confirm that {changes.person_name(person)} should be removed."
        if not errors:
            staff, state = await current_staff(request), request.app.state
            try:
                result = await changes.remove_person(state.db, state.stripe, file.seller.id, person, actor=staff.actor,
                                                     reason=reason, ip=ip_of(request))
            except changes.ChangeRefused as refused:
                errors["confirm"] = str(refused)
            else:
                if result.ok:
                    await _tell_seller(request, file, _l("account's people"),
                                       [_l("Removed %(name)s", name=changes.person_name(person))])
                    flash(request, f"{changes.person_name(person)} is removed from the account.", "success")
                    return redirect(request, "staff:account_people", seller_id=file.seller.id)
                errors["confirm"] = result.general or "Stripe refused this."
    return render(request, "staff/account_person_remove.html", {
        "file": file, "person": person, "errors": errors, "values": values, "name": changes.person_name(person),
        "roles": changes.roles_of(person), "relationships": steps.RELATIONSHIPS,
    }, 400 if errors else 200)


# Capabilities -----------------------------------------------------------------------------


@staff_required(*RISK)
async def capability(request: Request):
    form = await read_form(request)
    name = str(form.get("capability") or "")
    requested = form.get("requested") == "true"
    reason, errors = _reason(form)
    values = {"capability": reason, "capability_name": name, "capability_requested": form.get("requested") or ""}
    if errors:
        return await pages.seller_page(request, {"capability": errors["reason"]}, values, 400)
    file = await _file_with_account(request)
    staff, state = await current_staff(request), request.app.state
    result = await changes.set_capability(state.db, state.stripe, file.seller.id, name, requested=requested,
                                          actor=staff.actor, reason=reason, ip=ip_of(request), secret=state.secret)
    if not result.ok:
        message = result.errors.get("capability") or result.general
        return await pages.seller_page(request, {"capability": message}, values, 400 if result.errors else 502)
    change = result.changes[0]
    flash(request, f"{change['field']}: {'requested' if requested else 'no longer requested'} "
                   f"(Stripe says {change['new']}).", "success")
    return redirect(request, "staff:seller", seller_id=file.seller.id)


# Payout schedule --------------------------------------------------------------------------


def _schedule_page(request: Request, file, values: dict, errors: dict | None = None, general: str | None = None):
    stored = file.view.account
    current = account_settings.current_schedule(stored.snapshot)
    return render(request, "staff/account_payout_schedule.html", {
        "file": file, "values": values, "errors": errors or {}, "general": general,
        "intervals": changes.INTERVALS, "weekdays": changes.WEEKDAYS,
        "current_words": account_settings.schedule_words(current),
        "normal_words": account_settings.schedule_words(stored.normal_schedule) if stored.normal_schedule else "",
        "holds": file.view.holds, "debit_negative": debit_negative_balances(stored.snapshot),
        "minimum": changes.MINIMUM_DELAY_DAYS.get(stored.snapshot.get("country") or "US"),
    }, 400 if (errors or general) else 200)


@staff_required(*RISK)
async def payout_schedule(request: Request):
    file = await _file_with_account(request)
    if request.method == "GET":
        return _schedule_page(request, file, changes.schedule_values(file.view.account, held=bool(file.view.holds)))
    form = await read_form(request)
    country = file.view.account.snapshot.get("country") or "US"
    schedule, typed, errors = changes.read_schedule(form, country=country)
    reason, reason_errors = _reason(form)
    values = {**typed, "reason": reason}
    if errors or reason_errors:
        return _schedule_page(request, file, values, {**errors, **reason_errors})
    staff, state = await current_staff(request), request.app.state
    result = await changes.change_schedule(state.db, state.stripe, file.seller.id, schedule, actor=staff.actor,
                                           reason=reason, ip=ip_of(request), secret=state.secret)
    if not result.ok:
        return _schedule_page(request, file, values, result.errors, result.general)
    words = account_settings.schedule_words(schedule)
    note = ("Your payouts are on hold for now, so your balance stays with Stripe; this schedule starts "
            "when the hold ends." if result.held else "")
    await _tell_seller(request, file, _l("payout schedule"), [_l("Payout schedule: %(words)s", words=words)], note=note)
    flash(request, f"Payout schedule saved: {words}" + (" Payouts are held, so Stripe's schedule stays manual until "
                                                        "the hold ends; then this one applies." if result.held else ""),
          "success")
    return redirect(request, "staff:seller", seller_id=file.seller.id)


routes = [
    Route("/sellers/{seller_id:int}/profile", profile, methods=["GET", "POST"], name="account_profile"),
    Route("/sellers/{seller_id:int}/people", people, name="account_people"),
    Route("/sellers/{seller_id:int}/people/new", person_form, methods=["GET", "POST"], name="account_person_new"),
    Route("/sellers/{seller_id:int}/people/{person_id:str}", person_form, methods=["GET", "POST"],
          name="account_person"),
    Route("/sellers/{seller_id:int}/people/{person_id:str}/remove", person_remove, methods=["GET", "POST"],
          name="account_person_remove"),
    Route("/sellers/{seller_id:int}/capabilities", capability, methods=["POST"], name="account_capability"),
    Route("/sellers/{seller_id:int}/payout-schedule", payout_schedule, methods=["GET", "POST"],
          name="account_payout_schedule"),
]
