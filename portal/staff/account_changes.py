"""Staff changing a seller's account for them (issue 10): the business profile and contact details,
the people of a company, capabilities and the payout schedule.

Each change reads its form with the seller's own validation (onboarding.steps and .validation),
goes to Stripe through one named gateway method, records Stripe's answer in the mirror, keeps the
seller's onboarding draft in step with what Stripe now holds, and writes one audit row with the
reason and what changed: old and new values, except the sensitive ones (full SSNs and id numbers
go to Stripe only; a date of birth is recorded as changed, without the dates)."""

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlmodel import select
from starlette.concurrency import run_in_threadpool

from portal import audit, countries
from portal.connect import account_settings, mirror, payout_holds
from portal.connect.models import ConnectedAccount
from portal.db import Database, utcnow
from portal.inputs import whole_number
from portal.integrations.stripe import StripeFailure, StripeGateway, idempotency_key
from portal.onboarding import business_email, service, steps, stripe_errors, validation
from portal.onboarding.models import BusinessEmail, DraftPerson, OnboardingDraft

TEMPORARY = "Stripe did not answer just now. Nothing changed; try again in a moment."


class ChangeRefused(Exception):
    """The change cannot be made (no Stripe account yet, not a company, the representative)."""


@dataclass
class Result:
    """What a change did: field errors (by form field) or a general error, else the changes made."""

    errors: dict[str, str] = field(default_factory=dict)
    general: str | None = None
    changes: list[dict] = field(default_factory=list)
    held: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and not self.general


def stripe_problem(failure: StripeFailure, fields: Mapping[str, str], *, country: str | None, resource: str = "account",
                   show_stripe_words: bool = False) -> Result:
    """Stripe's error beside the form field it concerns (`fields`: canonical Stripe path -> form
    field), else for the whole form. Staff may see Stripe's own words where ours say nothing."""
    if failure.temporary:
        return Result(general=TEMPORARY)
    explained = stripe_errors.api_error(failure.code, failure.param, resource=resource, country=country)
    message = explained.message
    if show_stripe_words and message.startswith("Stripe couldn't accept this") and failure.message:
        message = f"Stripe refused this: {failure.message}"
    name = fields.get(explained.field or "")
    if name is None and explained.field:
        located = steps.locate(explained.field)
        name = located[1] if located and located[1] in fields.values() else None
    if name:
        return Result(errors={name: message})
    return Result(general=f"{message} ({failure.code or failure.kind})")


def _get(data: dict, path: str):
    for part in path.split("."):
        data = (data or {}).get(part) if isinstance(data, dict) else None
    return data


def _diff(before: dict, after: dict, paths: list[tuple[str, str]]) -> list[dict]:
    """[{field, old, new}] for each labelled path whose value Stripe now holds differently."""
    changes = []
    for label, path in paths:
        old, new = _get(before, path), _get(after, path)
        if path.endswith("address") or path.startswith("address_"):  # address_kana, address_kanji too
            old, new = account_settings.address_line(old), account_settings.address_line(new)
        if isinstance(old, bool) or isinstance(new, bool):
            old, new = bool(old), bool(new)
        elif old in (None, "") or new in (None, ""):
            old, new = old or "", new or ""
        if old != new:
            changes.append({"field": label, "old": old, "new": new})
    return changes


async def _record(db: Database, seller_id: int, account: dict) -> None:
    await run_in_threadpool(mirror.record_account, db, seller_id, account)


def _mirror(db: Database, seller_id: int) -> ConnectedAccount:
    found = mirror.account_for_seller(db, seller_id)
    if found is None:
        raise ChangeRefused("This seller has no Stripe account yet: there is nothing to change.")
    return found


def _draft(db: Database, seller_id: int) -> OnboardingDraft | None:
    with db.transaction() as session:
        return session.get(OnboardingDraft, seller_id)


def is_company(snapshot: dict) -> bool:
    return snapshot.get("business_type") in (steps.COMPANY, steps.NON_PROFIT)


# Business profile and contact details -------------------------------------------------------

PROFILE_FIELDS = {**steps.PROFILE_FIELDS}
CONTACT_FIELDS = {
    "individual.phone": "phone", "individual.email": "email", "company.phone": "phone",
    **{f"{who}.address.{part}": part for who in ("individual", "company")
       for part in ("line1", "line2", "city", "state", "postal_code")},
}
ADDRESS_PARTS = ("line1", "line2", "city", "state", "postal_code")
PROFILE_NAMES = ("legal_name", "dba", "url", "mcc", "product_description", "support_phone", "support_email",
                 "statement_descriptor")
PROFILE_PATHS = [
    ("Legal name", "company.name"), ("Business name", "business_profile.name"), ("Website", "business_profile.url"),
    ("Industry", "business_profile.mcc"), ("Product description", "business_profile.product_description"),
    ("Support phone", "business_profile.support_phone"), ("Support email", "business_profile.support_email"),
    ("Statement descriptor", "settings.payments.statement_descriptor"),
]
CONTACT_PATHS = {
    "individual": [("Phone", "individual.phone"), ("Email", "individual.email"), ("Address", "individual.address")],
    "company": [("Business phone", "company.phone"), ("Business address", "company.address")],
}
# Shown to the seller by mail with their new value; personal contact details are named only.
PUBLIC_PROFILE_FIELDS = {label for label, _path in PROFILE_PATHS}


def business_of(snapshot: dict) -> dict:
    """The business type, structure and country Stripe holds, in the onboarding draft's shape."""
    return {"business_type": snapshot.get("business_type") or steps.INDIVIDUAL,
            "structure": (snapshot.get("company") or {}).get("structure") or "",
            "country": snapshot.get("country") or "US"}


def profile_values(snapshot: dict, draft_profile: dict | None) -> dict:
    """The profile form prefilled from what Stripe holds; the draft says only how a name was split
    between the legal name and the doing-business-as name when Stripe's answer allows both."""
    draft_profile = draft_profile or {}
    profile = snapshot.get("business_profile") or {}
    name = profile.get("name") or ""
    if is_company(snapshot):
        legal = (snapshot.get("company") or {}).get("name") or ""
        dba = name if name and name != legal else ""
    elif name and name in (draft_profile.get("legal_name"), draft_profile.get("dba")):
        legal, dba = draft_profile.get("legal_name") or "", draft_profile.get("dba") or ""
    else:
        legal, dba = "", name
    return {
        "legal_name": legal, "dba": dba, "url": profile.get("url") or "", "mcc": profile.get("mcc") or "",
        "product_description": profile.get("product_description") or "",
        "support_phone": profile.get("support_phone") or "", "support_email": profile.get("support_email") or "",
        "statement_descriptor": ((snapshot.get("settings") or {}).get("payments") or {}).get("statement_descriptor") or "",
    }


def contact_values(snapshot: dict) -> dict:
    who = snapshot.get("company" if is_company(snapshot) else "individual") or {}
    address = who.get("address") or {}
    values = {part: address.get(part) or "" for part in ADDRESS_PARTS}
    values["phone"] = who.get("phone") or ""
    if not is_company(snapshot):
        values["email"] = who.get("email") or ""
    return values


def read_profile(form: Mapping, snapshot: dict, *, test_mode: bool) -> steps.StepInput:
    """The seller's profile step, then the contact details with the checks of the identity or company step."""
    business = business_of(snapshot)
    read = steps.read_profile(form, business_type=business["business_type"], country=business["country"], test_mode=test_mode)
    contact = {name: str(form.get(name) or "").strip()[:300] for name in (*ADDRESS_PARTS, "phone", "email")}
    if is_company(snapshot):
        contact.pop("email")
    problems = validation.address_problems(contact, country=business["country"])
    label = "business phone number" if is_company(snapshot) else "phone number"
    problems["phone"] = validation.phone_problem(contact["phone"], country=business["country"], test_mode=test_mode, label=label)
    if "email" in contact:
        problems["email"] = validation.email_problem(contact["email"])
    read.answers.update(contact)
    read.errors.update({name: problem for name, problem in problems.items() if problem and name not in read.errors})
    return read


def profile_params(answers: dict, snapshot: dict, *, test_mode: bool) -> dict:
    business = business_of(snapshot)
    params = steps.profile_params(answers, business, test_mode=test_mode)
    country = business["country"]
    address = validation.normalize_address({part: answers.get(part, "") for part in ADDRESS_PARTS}, country=country)
    phone = validation.normalize_phone(answers["phone"], country=country, test_mode=test_mode)
    if is_company(snapshot):
        params["company"] = {**params.get("company", {}), "address": address, "phone": phone}
    else:
        params["individual"] = {"address": address, "phone": phone, "email": validation.normalize_email(answers["email"])}
    return params


async def update_profile(db: Database, gateway: StripeGateway, seller_id: int, answers: dict, *, actor: audit.Actor,
                         reason: str, ip: str, secret: str, test_mode: bool) -> Result:
    stored = await run_in_threadpool(_mirror, db, seller_id)
    before = stored.snapshot
    params = profile_params(answers, before, test_mode=test_mode)
    key = idempotency_key(seller_id, "staff-profile", params, stored.snapshot_at, secret=secret)
    try:
        account = await gateway.update_account(stored.stripe_account_id, params, key=key)
    except StripeFailure as failure:
        return stripe_problem(failure, {**PROFILE_FIELDS, **CONTACT_FIELDS}, country=stored.snapshot.get("country"))
    await _record(db, seller_id, account)
    who = "company" if is_company(before) else "individual"
    changes = _diff(before, account, PROFILE_PATHS + CONTACT_PATHS[who])
    await run_in_threadpool(_profile_into_draft, db, seller_id, answers, before, test_mode)
    if not changes:
        return Result()  # Stripe already held exactly this: nothing to audit or tell
    await run_in_threadpool(audit.record, db, actor=actor, action="staff.profile_update", seller_id=seller_id,
                            reason=reason, ip=ip, details={"account": stored.stripe_account_id, "changes": changes})
    return Result(changes=changes)


def _profile_into_draft(db: Database, seller_id: int, answers: dict, snapshot: dict, test_mode: bool) -> None:
    """The seller's own forms show what Stripe now holds. Each step done keeps the marker of the
    content Stripe has, so a seller who later types the old values back has them sent again
    rather than skipped as 'already sent'."""
    draft = _draft(db, seller_id)
    if draft is None:
        return
    business = business_of(snapshot)
    profile = {name: answers[name] for name in PROFILE_NAMES}
    service.save_answers(db, seller_id, "profile", profile)
    if "profile" in draft.sent:
        marker = service.content_marker("profile", steps.profile_params(profile, business, test_mode=test_mode))
        service.mark_done(db, seller_id, "profile", marker)
    slug = "company" if is_company(snapshot) else "identity"
    contact = {name: answers[name] for name in (*ADDRESS_PARTS, "phone", "email") if name in answers}
    merged = {**draft.answers.get(slug, {}), **contact}
    service.save_answers(db, seller_id, slug, merged)
    if slug in draft.sent:
        try:
            if slug == "company":
                params = steps.company_params(merged, {}, test_mode=test_mode, country=business["country"])
            else:
                params = steps.identity_params(merged, {}, test_mode=test_mode, country=business["country"])
        except (KeyError, ValueError):
            return  # the seller never completed these answers: their next submit sends everything anyway
        service.mark_done(db, seller_id, slug, service.content_marker(slug, params))


def recheck_business_email(db: Database, seller_id: int, website: str):
    """A new website changes what the business email is judged against, as when the seller changes
    it: (record, assessment, whether an earlier confirmation lapsed), or None without a business email."""
    with db.transaction() as session:
        current = session.get(BusinessEmail, seller_id)
    if current is None or current.website == website:
        return None
    return business_email.record(db, seller_id, current.email, website)


# People ------------------------------------------------------------------------------------

PERSON_PATHS = [
    ("First name", "first_name"), ("Last name", "last_name"), ("Email", "email"), ("Phone", "phone"),
    ("Address", "address"), ("Job title", "relationship.title"), ("Ownership", "relationship.percent_ownership"),
    ("Representative", "relationship.representative"), ("Owner", "relationship.owner"),
    ("Director", "relationship.director"), ("Executive", "relationship.executive"),
]
# Names and addresses in a country's scripts (Japan's kana and kanji), by Stripe's path.
SCRIPTS = sorted({script.suffix: script for country in countries.COUNTRIES.values() for script in country.scripts}.items())
PERSON_PATHS += [(f"{part.capitalize()} name in {suffix}", f"{part}_name_{suffix}") for suffix, _ in SCRIPTS
                 for part in ("first", "last")] + [(f"Address in {suffix}", f"address_{suffix}") for suffix, _ in SCRIPTS]
PERSON_FIELDS = {f"person.{name}": name for name in steps.PERSON_FIELDS} | {
    f"person.address.{part}": part for part in ADDRESS_PARTS} | {
    "person.relationship.title": "title", "person.relationship.percent_ownership": "percent_ownership",
    "person.id_number": "id_number", "person.ssn_last_4": "ssn_last_4",
} | {f"person.{part}_name_{suffix}": f"{part}_name_{suffix}" for suffix, _ in SCRIPTS for part in ("first", "last")} | {
    path: steps.locate(path)[1] for suffix, _ in SCRIPTS
    for path in (f"person.address_{suffix}.{part}" for part in countries.SHARED_ADDRESS_PARTS + countries.SCRIPT_ADDRESS_PARTS)}


def person_name(person: dict) -> str:
    """The plain name, else the name in the first script the person has one in (Japan: kanji)."""
    for suffix in ("",) + tuple(f"_{suffix}" for suffix, _ in sorted(SCRIPTS, key=lambda item: item[1].kind == "katakana")):
        name = f"{person.get('first_name' + suffix) or ''} {person.get('last_name' + suffix) or ''}".strip()
        if name:
            return name
    return person.get("id", "")


def _script_values(person: dict, country: countries.Country) -> dict:
    """The person form's fields for names and addresses in the country's scripts, from Stripe's person."""
    values = {}
    for script in country.scripts:
        address = person.get(f"address_{script.suffix}") or {}
        values |= {f"{part}_name_{script.suffix}": person.get(f"{part}_name_{script.suffix}") or "" for part in ("first", "last")}
        values |= {f"{part}_{script.suffix}": address.get(part) or "" for part in countries.SCRIPT_ADDRESS_PARTS}
        for part in ("postal_code", "line1"):
            values[part] = values.get(part) or address.get(part) or ""
        if not values.get("state"):  # the subdivision's code, from its name in this script
            values["state"] = next((code for code, _ in country.address.subdivisions
                                    if country.subdivision_in(script.suffix, code) == address.get("state")), "")
    return values


def roles_of(person: dict) -> list[str]:
    relationship = person.get("relationship") or {}
    return [role for role in steps.RELATIONSHIPS if relationship.get(role)]


def person_values(person: dict, draft_answers: dict | None = None, country: str = "US") -> dict:
    """The person form prefilled from Stripe's person; the draft adds only the last four SSN digits."""
    draft_answers = draft_answers or {}
    dob = person.get("dob") or {}
    address = person.get("address") or {}
    relationship = person.get("relationship") or {}
    percent = relationship.get("percent_ownership")
    values = {
        "first_name": person.get("first_name") or "", "last_name": person.get("last_name") or "",
        "dob": (f"{dob['year']:04d}-{dob['month']:02d}-{dob['day']:02d}"
                if all(dob.get(part) for part in ("year", "month", "day")) else ""),
        **{part: address.get(part) or "" for part in ADDRESS_PARTS},
        "phone": person.get("phone") or "", "email": person.get("email") or "",
        "title": relationship.get("title") or "", "percent_ownership": f"{percent:g}" if percent else "0",
        **{role: bool(relationship.get(role)) for role in steps.RELATIONSHIPS},
        "ssn_last_4": draft_answers.get("ssn_last_4", ""),
    }
    if draft_answers.get("id_number_last4"):
        values["id_number_last4"] = draft_answers["id_number_last4"]
    if countries.supported(country) and countries.get(country).scripts:
        values |= _script_values(person, countries.get(country))
    return values


def _percent(raw) -> float:
    return 0.0 if validation.ownership_percent_problem(str(raw or "0")) else validation.normalize_ownership_percent(str(raw or "0"))


def read_person(form: Mapping, *, others: list[dict], person: dict | None, test_mode: bool,
                country: str) -> steps.StepInput:
    """The seller's person form, plus two things the people step checks on the whole list: the
    shares together stay within 100%, and last four SSN digits Stripe already holds need not be typed again."""
    read = steps.read_person(form, test_mode=test_mode, country=country,
                             id_number_given=bool(person and person.get("id_number_provided")))
    if (read.errors.get("ssn_last_4") and not read.answers.get("ssn_last_4") and person
            and (person.get("ssn_last_4_provided") or person.get("id_number_provided"))):
        del read.errors["ssn_last_4"]
    if "percent_ownership" not in read.errors:
        total = sum(_percent((other.get("relationship") or {}).get("percent_ownership")) for other in others)
        total += _percent(read.answers.get("percent_ownership"))
        if total > 100:
            read.errors["percent_ownership"] = (f"With this share the owners would hold {total:g}% together. "
                                                "Check each person's share: together they can't pass 100%.")
    return read


def _draft_person(db: Database, stripe_person_id: str) -> DraftPerson | None:
    with db.transaction() as session:
        return session.exec(select(DraftPerson).where(DraftPerson.stripe_person_id == stripe_person_id)).first()


def draft_answers_by_person(db: Database, seller_id: int) -> dict[str, dict]:
    with db.transaction() as session:
        people = session.exec(select(DraftPerson).where(DraftPerson.seller_id == seller_id)).all()
    return {p.stripe_person_id: p.answers for p in people if p.stripe_person_id}


def _keep_draft_person(db: Database, seller_id: int, stripe_person_id: str, answers: dict) -> None:
    """The seller's people step and the requirement words (views.person_names) read these rows."""
    with db.transaction() as session:
        stored = session.exec(select(DraftPerson).where(DraftPerson.stripe_person_id == stripe_person_id)).first()
        stored = stored or DraftPerson(seller_id=seller_id, stripe_person_id=stripe_person_id)
        stored.answers = answers
        stored.updated_at = utcnow()
        session.add(stored)


async def list_people(db: Database, gateway: StripeGateway, seller_id: int) -> tuple[str, list[dict]]:
    """(account id, the persons Stripe holds). Read from Stripe: the mirror keeps no persons, and
    people added on Stripe's hosted pages are known only there. Raises StripeFailure."""
    stored = await run_in_threadpool(_mirror, db, seller_id)
    return stored.stripe_account_id, await gateway.list_persons(stored.stripe_account_id)


async def save_person(db: Database, gateway: StripeGateway, seller_id: int, read: steps.StepInput, *,
                      person: dict | None, attempt: str, actor: audit.Actor, reason: str, ip: str, secret: str,
                      test_mode: bool) -> Result:
    """Add a person (`person` None) or change one, through the Persons API. `attempt` names the
    form as it was shown: the same form sent twice (a double click) maps to one Stripe call."""
    stored = await run_in_threadpool(_mirror, db, seller_id)
    if not is_company(stored.snapshot):
        raise ChangeRefused("Only a company or non-profit has owners, directors and executives to manage.")
    country = business_of(stored.snapshot)["country"]
    params = steps.person_params(read.answers, read.secrets, test_mode=test_mode, country=country)
    # Keyed with the form shown and its content (secrets included, through the HMAC): a repeated
    # submit replays Stripe's first answer instead of adding the same person twice, while the same
    # person added again later from a new form (after a removal, say) is a new request.
    key = idempotency_key(seller_id, "staff-person", person["id"] if person else "new", attempt, params, secret=secret)
    try:
        if person:
            saved = await gateway.update_person(stored.stripe_account_id, person["id"], params, key=key)
        else:
            saved = await gateway.create_person(stored.stripe_account_id, params, key=key)
    except StripeFailure as failure:
        return stripe_problem(failure, PERSON_FIELDS, resource="person", country=stored.snapshot.get("country"))
    if person is None and await run_in_threadpool(_draft_person, db, saved["id"]) is not None:
        # Stripe replayed its answer to this same form (a double submit): the person was added, and said so, once.
        return Result()
    answers = {name: value for name, value in read.answers.items() if name != "id_number"}
    await run_in_threadpool(_keep_draft_person, db, seller_id, saved["id"], answers)
    changes = _diff(person or {}, saved, PERSON_PATHS)
    if person and (person.get("dob") or {}) != (saved.get("dob") or {}):
        changes.append({"field": "Date of birth", "old": "", "new": "changed"})
    if "id_number" in read.secrets:  # named as the country names it: "Full SSN", "SIN"
        number = countries.get(country).id_number if countries.supported(country) else None
        label = "Full SSN" if country == "US" else (number.short if number else "ID number")
        changes.append({"field": label, "old": "", "new": "sent to Stripe"})
    try:
        await _record(db, seller_id, await gateway.retrieve_account(stored.stripe_account_id))
    except StripeFailure:
        pass  # the person is saved; the account's requirements arrive with the next event or sync
    if person and not changes:
        return Result()  # Stripe already held exactly this: nothing to audit or tell
    action = "staff.person_updated" if person else "staff.person_added"
    await run_in_threadpool(audit.record, db, actor=actor, action=action, seller_id=seller_id, reason=reason, ip=ip,
                            details={"account": stored.stripe_account_id, "person": saved["id"],
                                     "name": person_name(saved), "roles": roles_of(saved), "changes": changes})
    return Result(changes=changes)


async def remove_person(db: Database, gateway: StripeGateway, seller_id: int, person: dict, *, actor: audit.Actor,
                        reason: str, ip: str) -> Result:
    stored = await run_in_threadpool(_mirror, db, seller_id)
    if (person.get("relationship") or {}).get("representative"):
        raise ChangeRefused("This is the account's representative. Make someone else the representative first; "
                            "an account can't be without one.")
    try:
        await gateway.delete_person(stored.stripe_account_id, person["id"])
    except StripeFailure as failure:
        if failure.code != "resource_missing":
            return stripe_problem(failure, {}, resource="person", country=stored.snapshot.get("country"))
    await run_in_threadpool(mirror.forget_person, db, person["id"])
    try:
        await _record(db, seller_id, await gateway.retrieve_account(stored.stripe_account_id))
    except StripeFailure:
        pass
    await run_in_threadpool(audit.record, db, actor=actor, action="staff.person_removed", seller_id=seller_id,
                            reason=reason, ip=ip, details={"account": stored.stripe_account_id, "person": person["id"],
                                                           "name": person_name(person), "roles": roles_of(person)})
    return Result()


# Capabilities -------------------------------------------------------------------------------

CAPABILITIES = account_settings.CAPABILITIES
capability_rows = account_settings.capability_rows


async def set_capability(db: Database, gateway: StripeGateway, seller_id: int, name: str, *, requested: bool,
                         actor: audit.Actor, reason: str, ip: str, secret: str) -> Result:
    stored = await run_in_threadpool(_mirror, db, seller_id)
    known = {row.name: row for row in capability_rows(stored)}
    if name not in known:
        return Result(errors={"capability": "Choose a capability from the list."})
    if known[name].requested == requested:
        return Result(errors={"capability": f"{known[name].label} is already {'requested' if requested else 'not requested'}."})
    asked_at = time.time()
    key = idempotency_key(seller_id, "staff-capability", name, requested, stored.snapshot_at, secret=secret)
    try:
        capability = await gateway.request_capability(stored.stripe_account_id, name, requested=requested, key=key)
    except StripeFailure as failure:
        return stripe_problem(failure, {"capability": "capability"}, show_stripe_words=True, country=stored.snapshot.get("country"))
    await run_in_threadpool(mirror.record_capability, db, stored.stripe_account_id, capability, as_of=asked_at)
    try:
        # The account read after the change is the truth for the statuses (Stripe drops an
        # unrequested card_payments from the map) and for the requirements the change brought.
        account = await gateway.retrieve_account(stored.stripe_account_id)
    except StripeFailure:
        account = {"capabilities": {name: capability.get("status")}}  # the next event or sync brings the rest
    else:
        await _record(db, seller_id, account)
    new_status = (account.get("capabilities") or {}).get(name) or capability.get("status") or "unrequested"
    details = {"account": stored.stripe_account_id, "capability": name, "label": known[name].label,
               "requested": {"old": known[name].requested, "new": requested},
               "status": {"old": known[name].status, "new": new_status}}
    await run_in_threadpool(audit.record, db, actor=actor, action="staff.capability", seller_id=seller_id,
                            reason=reason, ip=ip, details=details)
    return Result(changes=[{"field": known[name].label, "old": known[name].status, "new": new_status}])


# Payout schedule ----------------------------------------------------------------------------

INTERVALS = {"daily": "Daily", "weekly": "Weekly", "monthly": "Monthly", "manual": "Manual (only when a payout is requested)"}
WEEKDAYS = {day: day.capitalize() for day in account_settings.WEEKDAYS}
# Stripe's shortest delay for standard payouts, by country (docs.stripe.com/payouts#payout-schedule);
# "minimum" asks Stripe for whatever it is, so a country missing here still works.
MINIMUM_DELAY_DAYS = {"US": 2}
MAX_DELAY_DAYS = 365
SCHEDULE_FIELDS = {f"settings.payouts.schedule.{name}": name
                   for name in ("interval", "delay_days", "weekly_anchor", "monthly_anchor")}


def normal_schedule(stored: ConnectedAccount, *, held: bool) -> dict:
    """The seller's normal schedule: the one remembered, else Stripe's own unless a hold made it
    manual, in which case what the end of the hold would restore."""
    current = account_settings.current_schedule(stored.snapshot)
    if stored.normal_schedule:
        return stored.normal_schedule
    if held and current.get("interval") in (None, "manual"):
        return payout_holds.DEFAULT_SCHEDULE
    return current or payout_holds.DEFAULT_SCHEDULE


def schedule_values(stored: ConnectedAccount, *, held: bool) -> dict:
    """The form prefilled with the seller's normal schedule (what a hold's end restores)."""
    schedule = normal_schedule(stored, held=held)
    delay = schedule.get("delay_days")
    minimum = MINIMUM_DELAY_DAYS.get(stored.snapshot.get("country") or "US")
    return {
        "interval": schedule.get("interval") or "daily",
        "delay": "minimum" if delay in (None, "minimum") or delay == minimum else "days",
        "delay_days": "" if delay in (None, "minimum") else str(delay),
        "weekly_anchor": schedule.get("weekly_anchor") or "",
        "monthly_anchor": str(schedule.get("monthly_anchor") or ""),
    }


def read_schedule(form: Mapping, *, country: str) -> tuple[dict, dict, dict]:
    """(Stripe's schedule parameters, what was typed, errors by field)."""
    typed = {name: str(form.get(name) or "").strip()[:20] for name in ("interval", "delay", "delay_days", "weekly_anchor", "monthly_anchor")}
    errors, schedule = {}, {}
    if typed["interval"] not in INTERVALS:
        errors["interval"] = "Choose how often payouts go out."
        return schedule, typed, errors
    schedule["interval"] = typed["interval"]
    minimum = MINIMUM_DELAY_DAYS.get(country)
    if typed["interval"] == "manual":
        pass  # Stripe keeps the delay it has; it applies once payouts are scheduled again
    elif typed["delay"] == "days":
        low = minimum or 1
        delay_days = whole_number(typed["delay_days"])
        if delay_days is None:
            errors["delay_days"] = f"Enter the delay as a whole number of days, {low} or more."
        elif not low <= delay_days <= MAX_DELAY_DAYS:
            words = f"Stripe's minimum for this country is {minimum} days" if minimum else "it can't be less than 1 day"
            errors["delay_days"] = f"Use a delay between {low} and {MAX_DELAY_DAYS} days ({words})."
        else:
            schedule["delay_days"] = delay_days
    elif typed["delay"] == "minimum":
        schedule["delay_days"] = "minimum"
    else:
        errors["delay"] = "Choose Stripe's minimum delay, or a number of days."
    if typed["interval"] == "weekly":
        if typed["weekly_anchor"] not in WEEKDAYS:
            errors["weekly_anchor"] = "Choose the day of the week payouts go out."
        else:
            schedule["weekly_anchor"] = typed["weekly_anchor"]
    if typed["interval"] == "monthly":
        anchor = whole_number(typed["monthly_anchor"], maximum=31)
        if not anchor:
            errors["monthly_anchor"] = "Enter the day of the month payouts go out, from 1 to 31."
        else:
            schedule["monthly_anchor"] = anchor
    return schedule, typed, errors


async def change_schedule(db: Database, gateway: StripeGateway, seller_id: int, schedule: dict, *,
                          actor: audit.Actor, reason: str, ip: str, secret: str) -> Result:
    """Through payout_holds, the one place that knows the holds: while one is active Stripe's
    schedule stays manual and this one is what the end of the last hold restores."""
    stored = await run_in_threadpool(_mirror, db, seller_id)
    old = normal_schedule(stored, held=bool(await run_in_threadpool(payout_holds.active_holds, db, seller_id)))
    try:
        _account, held = await payout_holds.change_schedule(db, gateway, seller_id, schedule, secret=secret)
    except StripeFailure as failure:
        return stripe_problem(failure, SCHEDULE_FIELDS, show_stripe_words=True, country=stored.snapshot.get("country"))
    words = account_settings.schedule_words(schedule)
    changes = [{"field": "Payout schedule", "old": account_settings.schedule_words(old), "new": words}]
    await run_in_threadpool(audit.record, db, actor=actor, action="staff.payout_schedule", seller_id=seller_id,
                            reason=reason, ip=ip, details={"account": stored.stripe_account_id, "old": old,
                                                           "new": schedule, "words": words, "held": held,
                                                           "changes": changes})
    return Result(changes=changes, held=held)
