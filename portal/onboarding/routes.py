"""The onboarding pages: one handler per step, each reading its form, saving the draft, then
sending the step to Stripe through onboarding.service."""

import functools
import time

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal import countries
from portal.accounts.auth import ask_enrolment_now, ask_reauth, current_seller, reauthenticated
from portal.accounts.links import LinkProblem
from portal.accounts.throttle import Rule
from portal.connect import payout_holds
from portal.db import utcnow
from portal.inputs import read_form
from portal.integrations.stripe import StripeFailure
from portal.onboarding import business_email, mcc, service, steps
from portal.onboarding.service import LOCAL_ONLY, Onboarding, Outcome, content_marker
from portal.security import service as security
from portal.security.cooling_off import after_bank_change
from portal.web import absolute_url, client_ip, flash, link_routes, link_token, redirect, render, send_mail

BUSINESS_EMAIL_LINK_MAX_AGE = 7 * 24 * 3600
BUSINESS_EMAIL_SENDS = Rule("business-email", 3, 3600)


def onboarding_page(handler):
    """On top of the gate (portal/accounts/gate.py): the email confirmed, and the seller's onboarding
    loaded into request.state."""

    @functools.wraps(handler)
    async def wrapped(request: Request):
        seller = await current_seller(request)
        if not seller.email_confirmed_at:
            flash(request, _("Confirm your email address first: open the link we sent you."), "error")
            return redirect(request, "dashboard")
        request.state.onboarding = await run_in_threadpool(service.load, request.app.state.db, seller.id, seller.email)
        return await handler(request, request.state.onboarding)

    return wrapped


def _sender(request: Request) -> service.Sender:
    return service.Sender(request.app.state.db, request.app.state.stripe, request.app.state.secret)


def _test_mode(request: Request) -> bool:
    return request.app.state.settings.stripe_test_mode


def _show(request: Request, ob: Onboarding, step: steps.Step, values: dict, errors: dict | None = None,
          general: str | None = None, status_code: int | None = None, **extra):
    errors = {**ob.requirement_errors(step.slug), **(errors or {})}
    position = [s.slug for s in ob.steps].index(step.slug) if step in ob.steps else 0
    context = {
        "ob": ob, "step": step, "position": position + 1, "total": len(ob.steps), "values": values,
        "keeps_draft": keeps_draft(ob, step.slug),
        "errors": errors, "general": general, "business_types": steps.BUSINESS_TYPES,
        "structures": steps.structures_for(values.get("country") or ob.country or request.app.state.settings.platform_country),
        **_country_context(request, ob),
        **extra,
    }
    failed = bool(errors or general) and request.method == "POST"
    return render(request, f"onboarding/{step.slug}.html", context, status_code or (400 if failed else 200))


def _seller_countries(request: Request) -> dict:
    settings = request.app.state.settings
    return countries.seller_countries(settings.seller_countries, settings.platform_country)


def _country_context(request: Request, ob: Onboarding) -> dict:
    """The seller's country (its words, layout and bank format) and the countries on offer."""
    country = countries.get(ob.country if countries.supported(ob.country) else request.app.state.settings.platform_country)
    platform = request.app.state.settings.platform_country
    return {"countries": _seller_countries(request), "country": country, "states": country.address.subdivisions,
            "platform": countries.get(platform), "unserved": countries.unserved(platform),
            "terms": countries.terms_for(platform, country.code)}


async def _save(request: Request, ob: Onboarding, slug: str, answers: dict) -> None:
    ob.draft = await run_in_threadpool(service.save_answers, request.app.state.db, ob.seller_id, slug, answers)


async def _done(request: Request, ob: Onboarding, slug: str, marker: str, **changes):
    await run_in_threadpool(service.mark_done, request.app.state.db, ob.seller_id, slug, marker, **changes)
    ob.draft.sent = {**ob.draft.sent, slug: marker}
    if ob.submitted:
        # Already with Stripe: a correction goes straight back to the status it was made for.
        flash(request, _("Your change is saved and sent to Stripe."), "success")
        return redirect(request, "connect:status")
    return RedirectResponse(request.url_for("onboarding:step", slug=ob.step_after(slug).slug).path, status_code=303)


async def _send(request: Request, ob: Onboarding, slug: str, params: dict, has_secrets: bool) -> Outcome | None:
    """Send the step's params unless Stripe already has exactly this content. None = nothing to send."""
    marker = content_marker(slug, params if not has_secrets else {"secret": time.time()})
    if not has_secrets and ob.draft.sent.get(slug) == marker:
        return None
    outcome = await _sender(request).update_account(ob, slug, params)
    outcome.marker = marker
    return outcome


@onboarding_page
async def start(request: Request, ob: Onboarding):
    if ob.submitted:
        return redirect(request, "connect:status")
    return redirect(request, "onboarding:step", slug=ob.first_open_step().slug)


@onboarding_page
async def step(request: Request, ob: Onboarding):
    slug = request.path_params["slug"]
    handler = STEP_HANDLERS.get(slug)
    if handler is None or slug not in [s.slug for s in ob.steps]:
        raise HTTPException(404)
    if not ob.reachable(slug):
        flash(request, _("Finish this step first."), "info")
        return redirect(request, "onboarding:step", slug=ob.first_open_step().slug)
    return await handler(request, ob)


async def business_step(request: Request, ob: Onboarding):
    if request.method == "GET":
        return _show(request, ob, steps.STEP_BUSINESS, ob.business or {"country": request.app.state.settings.platform_country})
    read = steps.read_business(await read_form(request), allowed=_seller_countries(request),
                               platform=request.app.state.settings.platform_country)
    if not read.errors and ob.account and read.answers["country"] != ob.country:
        read.errors["country"] = _("The country can't change once your account exists. Contact support if it is wrong.")
    await _save(request, ob, "business", read.answers)
    if read.errors:
        return _show(request, ob, steps.STEP_BUSINESS, read.answers, read.errors)
    ob.draft.business_type, ob.draft.country = read.answers["business_type"], read.answers["country"]
    if ob.account and ob.is_done("profile"):
        # Type and structure ride with the profile; send them again when they change.
        outcome = await _send_profile(request, ob, ob.answers("profile"))
        if outcome and not outcome.ok:
            return _show(request, ob, steps.STEP_BUSINESS, read.answers, outcome.errors, outcome.general)
    return await _done(
        request, ob, "business", content_marker(read.answers),
        business_type=read.answers["business_type"], country=read.answers["country"],
    )


async def _send_profile(request: Request, ob: Onboarding, answers: dict) -> Outcome | None:
    params = steps.profile_params(answers, ob.business, test_mode=_test_mode(request))
    return await _send(request, ob, "profile", params, has_secrets=False)


async def profile_step(request: Request, ob: Onboarding):
    extra = {"mcc_groups": mcc.groups()}
    if request.method == "GET":
        return _show(request, ob, steps.STEP_PROFILE, ob.answers("profile"), **extra)
    read = steps.read_profile(await read_form(request), business_type=ob.business_type, country=ob.country,
                              test_mode=_test_mode(request))
    await _save(request, ob, "profile", read.answers)
    if read.errors:
        return _show(request, ob, steps.STEP_PROFILE, read.answers, read.errors, **extra)
    creating = ob.account is None
    if creating:
        params = steps.account_create_params(
            ob.business, read.answers, email=ob.email, seller_id=ob.seller_id,
            test_mode=_test_mode(request), hold_payouts=ob.payouts_held,
            terms=countries.terms_for(request.app.state.settings.platform_country, ob.country),
        )
        outcome = await _sender(request).create_account(ob, params)
        if outcome.adopted:
            # Made by an earlier attempt whose answer was lost; the seller may have edited since.
            outcome = await _send_profile(request, ob, read.answers)
        else:
            outcome.marker = content_marker("profile", steps.profile_params(read.answers, ob.business, test_mode=_test_mode(request)))
    else:
        outcome = await _send_profile(request, ob, read.answers)
    if outcome and not outcome.ok:
        return _show(request, ob, steps.STEP_PROFILE, read.answers, outcome.errors, outcome.general, **extra)
    if ob.business_email and ob.business_email.website != read.answers["url"]:
        await _check_business_email(request, ob, ob.business_email.email, read.answers["url"])
    done = await _done(request, ob, "profile", outcome.marker if outcome else ob.draft.sent["profile"])
    if creating and (asked := await ask_enrolment_now(request, ob.seller_id, then=done.headers["location"])):
        # The Stripe account exists from this moment, and with it the need for two-step sign-in:
        # asked now, not at the next sign-in; once it is set up the seller goes on with the form.
        flash(request, _("Your details are saved and your Stripe account is made."), "success")
        return asked
    return done


async def _check_business_email(request: Request, ob: Onboarding, email: str, website: str) -> None:
    was_confirmed = bool(ob.business_email and ob.business_email.confirmed_at)
    record, assessment, changed = await run_in_threadpool(
        business_email.record, request.app.state.db, ob.seller_id, email, website
    )
    ob.business_email = record
    if changed and assessment.acceptable:
        await _send_business_email_link(request, ob)
    if changed and was_confirmed:
        flash(request, _("Your business email or website changed, so we need to confirm the address again. Payouts are on hold until you do."), "info")
        await _apply_payout_hold(request, ob)


async def _send_business_email_link(request: Request, ob: Onboarding) -> bool:
    throttle = request.app.state.throttle
    if throttle.blocked(BUSINESS_EMAIL_SENDS, str(ob.seller_id)):
        return False
    throttle.hit(BUSINESS_EMAIL_SENDS, str(ob.seller_id))
    token = business_email.link_token(request.app.state.secret, ob.business_email)
    await send_mail(
        request, ob.business_email.email, _l("Confirm your business email address"), "mail/business_email.txt",
        link=absolute_url(request, "onboarding:business_email_confirm", token=token),
        website=ob.business_email.website, days=BUSINESS_EMAIL_LINK_MAX_AGE // 86400,
    )
    await run_in_threadpool(business_email.mark_sent, request.app.state.db, ob.seller_id)
    return True


async def _apply_payout_hold(request: Request, ob: Onboarding) -> Outcome | None:
    """Payouts stay manual (held) while any hold, such as an unconfirmed business email, stands."""
    try:
        account = await payout_holds.apply(
            request.app.state.db, request.app.state.stripe, ob.seller_id, secret=request.app.state.secret
        )
    except StripeFailure as failure:
        return service.failure_outcome(failure, "payout-hold", country=ob.country)
    return Outcome(result=account) if account else None


async def business_email_step(request: Request, ob: Onboarding):
    website = ob.answers("profile").get("url", "")
    values = {"business_email": ob.business_email.email if ob.business_email else ob.answers("business-email").get("business_email", "")}
    assessment = business_email.assess_business_email(values["business_email"], website) if values["business_email"] else None
    if request.method == "GET":
        return _show(request, ob, steps.STEP_EMAIL, values, assessment=assessment)
    read = steps.read_business_email(await read_form(request))
    # Replacing a confirmed address is sensitive; correcting one not yet confirmed is not (payouts stay held meanwhile).
    changing = bool(ob.business_email and ob.business_email.confirmed_at) and \
        read.answers.get("business_email", "").strip().lower() != ob.business_email.email.lower()
    if changing and not reauthenticated(request):
        flash(request, _("To change your business email, confirm it's you first."), "info")
        return ask_reauth(request)
    await _save(request, ob, "business-email", read.answers)
    if read.errors:
        return _show(request, ob, steps.STEP_EMAIL, read.answers, read.errors)
    await _check_business_email(request, ob, read.answers["business_email"], website)
    if changing:
        await run_in_threadpool(security.record_change, request.app.state.db, ob.seller_id, security.BUSINESS_EMAIL)
    assessment = business_email.assess_business_email(read.answers["business_email"], website)
    if not assessment.acceptable:
        # Recorded and flagged for staff; the seller may go on, with payouts held.
        await run_in_threadpool(service.mark_done, request.app.state.db, ob.seller_id, "business-email", LOCAL_ONLY)
        ob.draft.sent = {**ob.draft.sent, "business-email": LOCAL_ONLY}
        return _show(request, ob, steps.STEP_EMAIL, read.answers, assessment=assessment, flagged=True, status_code=200)
    if not ob.business_email.confirmed_at:
        flash(request, _("We sent a confirmation link to %(business_email)s. Until you open it, payouts stay on hold; you can go on meanwhile.", business_email=read.answers['business_email']), "success")
    return await _done(request, ob, "business-email", LOCAL_ONLY)


@onboarding_page
async def business_email_resend(request: Request, ob: Onboarding):
    if not ob.business_email or ob.business_email.confirmed_at:
        return redirect(request, "onboarding:step", slug="business-email")
    if not business_email.assess_business_email(ob.business_email.email, ob.business_email.website).acceptable:
        flash(request, _("Use an address on your business's own domain first."), "error")
    elif await _send_business_email_link(request, ob):
        flash(request, _("We sent a new link to %(email)s.", email=ob.business_email.email), "success")
    else:
        flash(request, _("We already sent several links in the last hour. Check the spam folder, or try later."), "error")
    return redirect(request, "onboarding:step", slug="business-email")


async def business_email_confirm(request: Request):
    """Opened from the business inbox, possibly on another device: the link is the proof."""
    token, db, secret = link_token(request), request.app.state.db, request.app.state.secret
    if request.method == "GET":
        checked = await run_in_threadpool(business_email.check, db, secret, token, BUSINESS_EMAIL_LINK_MAX_AGE)
        if isinstance(checked, LinkProblem):
            return _link_problem(request, checked)
        return render(request, "onboarding/business_email_confirm.html", {"email": checked.email})
    confirmed = await run_in_threadpool(business_email.confirm, db, secret, token, BUSINESS_EMAIL_LINK_MAX_AGE)
    if isinstance(confirmed, LinkProblem):
        return _link_problem(request, confirmed)
    ob = await run_in_threadpool(service.load, db, confirmed.seller_id, "")
    outcome = await _apply_payout_hold(request, ob)
    if outcome is not None and not outcome.ok:
        # The confirmation stands; the schedule is put right the next time anything syncs.
        flash(request, _("Your business email is confirmed. Releasing your payouts is taking longer than usual."), "info")
    else:
        flash(request, _("Thank you: %(email)s is confirmed. Payouts are no longer on hold for it.", email=confirmed.email), "success")
    seller = await current_seller(request)
    return redirect(request, "onboarding:start") if seller and seller.id == confirmed.seller_id else redirect(request, "index")


def _link_problem(request: Request, problem: LinkProblem):
    words = {
        LinkProblem.invalid: _("This link is not valid. Make sure you copied the whole link from the email."),
        LinkProblem.expired: _("This link has expired. Ask for a new one on the business email step."),
        LinkProblem.used: _("This link has already been used, or the address changed since it was sent."),
    }
    return render(request, "accounts/link_problem.html", {"problem": words[problem], "purpose": "business-email"}, 400)


async def identity_step(request: Request, ob: Onboarding):
    asked = ob.stripe_asks_for("individual.id_number")
    given = bool(ob.answers("identity").get("id_number_last4"))
    extra = {"full_number_asked": asked or "id_number" in ob.requirement_errors("identity"), "full_number_given": given}
    if request.method == "GET":
        return _show(request, ob, steps.STEP_IDENTITY, ob.answers("identity") or {"email": ob.email}, **extra)
    read = steps.read_identity(
        await read_form(request), test_mode=_test_mode(request), country=ob.country, full_number_asked=asked, already_given=given,
    )
    if given and "id_number_last4" not in read.answers:
        read.answers["id_number_last4"] = ob.answers("identity")["id_number_last4"]
    await _save(request, ob, "identity", read.answers)
    if read.errors:
        return _show(request, ob, steps.STEP_IDENTITY, read.answers, read.errors, **extra)
    params = steps.identity_params(read.answers, read.secrets, test_mode=_test_mode(request), country=ob.country)
    outcome = await _send(request, ob, "identity", params, has_secrets=bool(read.secrets))
    if outcome and not outcome.ok:
        return _show(request, ob, steps.STEP_IDENTITY, read.answers, outcome.errors, outcome.general, **extra)
    return await _done(request, ob, "identity", outcome.marker if outcome else ob.draft.sent["identity"])


async def company_step(request: Request, ob: Onboarding):
    given = bool(ob.answers("company").get("tax_id_last4"))
    if request.method == "GET":
        return _show(request, ob, steps.STEP_COMPANY, ob.answers("company"), tax_id_given=given)
    read = steps.read_company(await read_form(request), test_mode=_test_mode(request), country=ob.country, tax_id_given=given)
    if given and "tax_id_last4" not in read.answers:
        read.answers["tax_id_last4"] = ob.answers("company")["tax_id_last4"]
    await _save(request, ob, "company", read.answers)
    if read.errors:
        return _show(request, ob, steps.STEP_COMPANY, read.answers, read.errors, tax_id_given=given)
    params = steps.company_params(read.answers, read.secrets, test_mode=_test_mode(request), country=ob.country)
    outcome = await _send(request, ob, "company", params, has_secrets=bool(read.secrets))
    if outcome and not outcome.ok:
        return _show(request, ob, steps.STEP_COMPANY, read.answers, outcome.errors, outcome.general, tax_id_given=given)
    return await _done(request, ob, "company", outcome.marker if outcome else ob.draft.sent["company"])


async def people_step(request: Request, ob: Onboarding):
    people = [person.answers for person in ob.people if person.stripe_person_id]
    if request.method == "GET":
        return _show(request, ob, steps.STEP_PEOPLE, ob.answers("people"))
    read = steps.read_people_attestations(await read_form(request), people)
    await _save(request, ob, "people", read.answers)
    if read.errors:
        return _show(request, ob, steps.STEP_PEOPLE, read.answers, read.errors)
    outcome = await _send(request, ob, "people", steps.attestation_params(read.answers), has_secrets=False)
    if outcome and not outcome.ok:
        return _show(request, ob, steps.STEP_PEOPLE, read.answers, outcome.errors, outcome.general)
    return await _done(request, ob, "people", outcome.marker if outcome else ob.draft.sent["people"])


ACCOUNT_NUMBER_FIELDS = ("account_number", "account_number_confirm")


def _retyped(form, errors: dict) -> dict:
    """The account number as typed, put back into this one response (never stored): an error
    elsewhere on the form must not make the seller retype it twice, unseen. When the number
    itself is wrong, both boxes start empty."""
    if any(name in errors for name in ACCOUNT_NUMBER_FIELDS):
        return {}
    return {name: value for name in ACCOUNT_NUMBER_FIELDS if isinstance(value := form.get(name), str)}


async def bank_step(request: Request, ob: Onboarding):
    bank = ob.answers("bank")
    # Replacing an account on file is what a takeover does: password and second factor again (issue 9).
    if request.method == "GET":
        if bank.get("last4") and ob.submitted and not reauthenticated(request):
            return ask_reauth(request)
        return _show(request, ob, steps.STEP_BANK, bank)
    form = await read_form(request)
    typed_names = [part.name for part in countries.get(ob.country).bank.routing] + ["account_number", "account_number_confirm"]
    if bank.get("last4") and not any(form.get(name) for name in typed_names):
        return await _done(request, ob, "bank", ob.draft.sent.get("bank", LOCAL_ONLY))  # keeping the account on file
    if bank.get("last4") and not reauthenticated(request):
        flash(request, _("To change your bank account, confirm it's you, then type the new account again."), "info")
        return ask_reauth(request)
    read = steps.read_bank(form, country=ob.country, business_type=ob.business_type, test_mode=_test_mode(request))
    await _save(request, ob, "bank", {**bank, **read.answers})
    if read.errors:
        return _show(request, ob, steps.STEP_BANK, {**bank, **read.answers}, read.errors, retyped=_retyped(form, read.errors))
    params = steps.bank_params(read.answers, read.secrets, country=ob.country, business_type=ob.business_type)
    outcome = await _send(request, ob, "bank", params, has_secrets=True)
    if not outcome.ok:
        return _show(request, ob, steps.STEP_BANK, {**bank, **read.answers}, _on_routing_part(outcome.errors, ob.country), outcome.general,
                     retyped=_retyped(form, outcome.errors))
    on_file = ((outcome.result.get("external_accounts") or {}).get("data") or [{}])[0]
    await _save(request, ob, "bank", {**read.answers, "bank_name": on_file.get("bank_name") or "", "last4": on_file.get("last4") or ""})
    if bank.get("last4") and await after_bank_change(request, ob.seller_id):
        flash(request, _("Your bank account is changed. For your safety, payouts are on hold for a few days."), "info")
    return await _done(request, ob, "bank", outcome.marker)


def _on_routing_part(errors: dict, country: str) -> dict:
    """Stripe names one routing_number; the form may ask it in parts (transit, institution)."""
    parts = countries.get(country).bank.routing
    if "routing_number" not in errors or not parts or parts[0].name == "routing_number":
        return errors
    return {(parts[0].name if key == "routing_number" else key): value for key, value in errors.items()}


async def review_step(request: Request, ob: Onboarding):
    if request.method == "GET":
        return _show(request, ob, steps.STEP_REVIEW, ob.answers("review"), **_review_context(ob))
    read = steps.read_terms(await read_form(request), platform_terms=bool(request.app.state.settings.seller_terms_url))
    await _save(request, ob, "review", read.answers)
    if read.errors:
        return _show(request, ob, steps.STEP_REVIEW, read.answers, read.errors, **_review_context(ob))
    settings = request.app.state.settings
    params = steps.terms_params(
        date=int(time.time()), ip=client_ip(request, settings.trusted_proxies), user_agent=request.headers.get("user-agent", ""),
    )
    outcome = await _sender(request).update_account(ob, "review", params)
    if not outcome.ok:
        return _show(request, ob, steps.STEP_REVIEW, read.answers, outcome.errors, outcome.general, **_review_context(ob))
    await run_in_threadpool(service.mark_done, request.app.state.db, ob.seller_id, "review", LOCAL_ONLY, tos_accepted_at=utcnow())
    flash(request, _("Thank you. Your details are with Stripe for verification."), "success")
    return redirect(request, "connect:status")


def _review_context(ob: Onboarding) -> dict:
    open_steps = [s for s in ob.steps if s.slug != "review" and not ob.is_done(s.slug)]
    agreement = (ob.snapshot.get("tos_acceptance") or {}).get("service_agreement") or "full"
    return {"open_steps": open_steps, "mcc_category": mcc.by_code(ob.answers("profile").get("mcc", "")),
            "agreement": countries.Terms(agreement)}


async def _person_or_404(request: Request, ob: Onboarding):
    person_id = request.path_params.get("person_id")
    if person_id is None:
        return None
    person = next((p for p in ob.people if p.id == person_id), None)
    if person is None:
        raise HTTPException(404)
    return person


@onboarding_page
async def person_form(request: Request, ob: Onboarding):
    """Add or edit one person of a company; each save is one Persons API call."""
    if ob.business_type not in (steps.COMPANY, steps.NON_PROFIT) or not ob.reachable("people") or ob.account is None:
        return redirect(request, "onboarding:start")
    person = await _person_or_404(request, ob)
    values = person.answers if person else {}
    given = bool(values.get("id_number_last4"))
    context = {"person": person, "relationships": steps.RELATIONSHIPS, "id_number_given": given}
    if request.method == "GET":
        return _show_person(request, ob, values, {}, None, context)
    read = steps.read_person(await read_form(request), test_mode=_test_mode(request), country=ob.country, id_number_given=given)
    if given and "id_number_last4" not in read.answers:
        read.answers["id_number_last4"] = values["id_number_last4"]
    person = await run_in_threadpool(service.save_person_answers, request.app.state.db, ob.seller_id, person, read.answers)
    if read.errors:
        return _show_person(request, ob, read.answers, read.errors, None, {**context, "person": person})
    params = steps.person_params(read.answers, read.secrets, test_mode=_test_mode(request), country=ob.country)
    outcome = await _sender(request).save_person(ob, person, params)
    if not outcome.ok:
        return _show_person(request, ob, read.answers, outcome.errors, outcome.general, {**context, "person": person})
    await run_in_threadpool(service.person_saved, request.app.state.db, person.id, outcome.result["id"])
    await run_in_threadpool(service.forget_done, request.app.state.db, ob.seller_id, "people")
    flash(request, _("%(first_name)s %(last_name)s is saved.", first_name=read.answers['first_name'], last_name=read.answers['last_name']), "success")
    return redirect(request, "onboarding:step", slug="people")


def _show_person(request: Request, ob: Onboarding, values: dict, errors: dict, general: str | None, context: dict):
    position = [s.slug for s in ob.steps].index("people") + 1
    return render(request, "onboarding/person.html", {
        "ob": ob, "step": steps.STEP_PEOPLE, "position": position, "total": len(ob.steps), "values": values,
        "errors": errors, "general": general, **_country_context(request, ob), **context,
    }, 400 if (errors or general) else 200)


@onboarding_page
async def person_delete(request: Request, ob: Onboarding):
    person = await _person_or_404(request, ob)
    if person.stripe_person_id:
        outcome = await _sender(request).delete_person(ob, person)
        if not outcome.ok:
            flash(request, outcome.general or _("We couldn't remove this person just now. Try again."), "error")
            return redirect(request, "onboarding:step", slug="people")
    await run_in_threadpool(service.delete_person, request.app.state.db, person.id)
    await run_in_threadpool(service.forget_done, request.app.state.db, ob.seller_id, "people")
    flash(request, _("%(first_name)s %(last_name)s is removed.", first_name=person.answers.get('first_name', ''), last_name=person.answers.get('last_name', '')).strip(), "success")
    return redirect(request, "onboarding:step", slug="people")


# What a seller typed on a step they leave by a link before saving it (portal.js posts the form
# here as the page goes away): read by the step's own reader, kept in the draft, never sent to
# Stripe and never holding a secret (the readers keep secrets apart, and the page leaves them out).
DRAFT_READERS = {
    "profile": lambda request, ob, form: steps.read_profile(form, business_type=ob.business_type, country=ob.country,
                                                         test_mode=_test_mode(request)),
    "business-email": lambda request, ob, form: steps.read_business_email(form),
    "identity": lambda request, ob, form: steps.read_identity(
        form, test_mode=_test_mode(request), country=ob.country, full_number_asked=False,
        already_given=bool(ob.answers("identity").get("id_number_last4"))),
    "company": lambda request, ob, form: steps.read_company(
        form, test_mode=_test_mode(request), country=ob.country, tax_id_given=bool(ob.answers("company").get("tax_id_last4"))),
    "bank": lambda request, ob, form: steps.read_bank(form, country=ob.country, business_type=ob.business_type,
                                                      test_mode=_test_mode(request)),
}


def keeps_draft(ob: Onboarding, slug: str) -> bool:
    """A step not yet saved keeps what was typed when the seller leaves it; a saved step changes
    only when saved again (its answers are what Stripe has)."""
    return slug in DRAFT_READERS and ob.reachable(slug) and not ob.is_done(slug)


@onboarding_page
async def keep_typed(request: Request, ob: Onboarding):
    slug = request.path_params["slug"]
    if not keeps_draft(ob, slug):
        return Response(status_code=409)
    read = DRAFT_READERS[slug](request, ob, await read_form(request))
    await _save(request, ob, slug, {**ob.answers(slug), **read.answers})
    return Response(status_code=204)


STEP_HANDLERS = {
    "business": business_step,
    "profile": profile_step,
    "business-email": business_email_step,
    "identity": identity_step,
    "company": company_step,
    "people": people_step,
    "bank": bank_step,
    "review": review_step,
}

routes = [
    Route("/", start, name="start"),
    Route("/business-email/resend", business_email_resend, methods=["POST"], name="business_email_resend"),
    *link_routes("/business-email/confirm", business_email_confirm, name="business_email_confirm"),
    Route("/people/new", person_form, methods=["GET", "POST"], name="person_new"),
    Route("/people/{person_id:int}", person_form, methods=["GET", "POST"], name="person_edit"),
    Route("/people/{person_id:int}/delete", person_delete, methods=["POST"], name="person_delete"),
    Route("/{slug}/typed", keep_typed, methods=["POST"], name="keep_typed"),
    Route("/{slug}", step, methods=["GET", "POST"], name="step"),
]
