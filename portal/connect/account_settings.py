"""An account's settings in words for its seller: the payout schedule, the business profile, and
the recent changes our staff made to the account (issue 10). Pure, apart from reading the audit
trail in `staff_changes`.

The seller sees what changed and when, never the staff member's name or the reason typed for the
audit trail: the reason is an internal note (it may say "suspected fraud"), and naming the person
invites social engineering ("Dana from your team told me to...") and pressure on one employee for
a team decision. The trail itself keeps both for staff."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam
from sqlalchemy import select as select_rows

from babel.dates import get_day_names

from portal.i18n import current_locale, formats_locale, gettext as _, lazy_gettext as _l, ngettext
from portal.audit import STAFF, AuditEvent
from portal.connect import payout_holds
from portal.onboarding import mcc

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _day_of_month(day: int) -> str:
    """'1st' in English; the language's own way elsewhere ('1.' in German, '1er' in French)."""
    return _ordinal(day) if current_locale().startswith("en") else _("%(day)s (day of the month)", day=day)


def schedule_words(schedule: dict | None) -> str:
    """'Weekly, every Friday; each payment is paid out at the earliest 2 days after it is made.'"""
    schedule = schedule or {}
    interval = schedule.get("interval") or "daily"
    if interval == "manual":
        return _("Manual: your balance stays with Stripe until a payout is requested.")
    if interval == "weekly":
        anchor = str(schedule.get("weekly_anchor") or "monday")
        index = WEEKDAYS.index(anchor) if anchor in WEEKDAYS else 0
        weekday = get_day_names("wide", locale=formats_locale())[index]
        when = _("Weekly, every %(weekday)s", weekday=weekday[:1].upper() + weekday[1:])
    elif interval == "monthly":
        anchor = int(schedule.get("monthly_anchor") or 1)
        if anchor > 28:
            when = _("Monthly, on the %(day)s (or the last day of shorter months)", day=_day_of_month(anchor))
        else:
            when = _("Monthly, on the %(day)s", day=_day_of_month(anchor))
    else:
        when = _("Daily")
    delay = schedule.get("delay_days")
    if delay == "minimum":
        return _("%(when)s; each payment is paid out as soon as Stripe allows.", when=when)
    if delay is None:
        return _("%(when)s.", when=when)
    return ngettext("%(when)s; each payment is paid out at the earliest %(num)s day after it is made.",
                    "%(when)s; each payment is paid out at the earliest %(num)s days after it is made.",
                    int(delay), when=when)


def current_schedule(snapshot: dict) -> dict:
    return ((snapshot.get("settings") or {}).get("payouts") or {}).get("schedule") or {}


def address_line(address: dict | None) -> str:
    address = address or {}
    parts = [address.get("line1"), address.get("line2"), address.get("town"), address.get("city"),  # town: Japan's chome
             " ".join(filter(None, (address.get("state"), address.get("postal_code"))))]
    return ", ".join(part for part in parts if part)


def industry(code: str | None) -> str:
    category = mcc.by_code(code or "")
    return category.name if category else (code or "")


def profile_rows(snapshot: dict) -> list[tuple[str, str]]:
    """(label, value) of the business profile and contact details Stripe holds, the empty ones left out."""
    profile = snapshot.get("business_profile") or {}
    company = snapshot.get("company") or {}
    individual = snapshot.get("individual") or {}
    rows = [
        (_("Legal name"), company.get("name") if snapshot.get("business_type") != "individual" else ""),
        (_("Business name"), profile.get("name")),
        (_("Website"), profile.get("url")),
        (_("Industry"), industry(profile.get("mcc"))),
        (_("What you sell"), profile.get("product_description")),
        (_("Support phone"), profile.get("support_phone")),
        (_("Support email"), profile.get("support_email")),
        (_("Statement descriptor"), ((snapshot.get("settings") or {}).get("payments") or {}).get("statement_descriptor")),
    ]
    if snapshot.get("business_type") == "individual":
        rows += [(_("Your phone"), individual.get("phone")), (_("Your email"), individual.get("email")),
                 (_("Your address"), address_line(individual.get("address")))]
    else:
        rows += [(_("Business phone"), company.get("phone")), (_("Business address"), address_line(company.get("address")))]
    return [(label, str(value)) for label, value in rows if value]


# What staff may ask Stripe for on a US account, in words; anything already on the account is listed too.
CAPABILITIES = {
    "card_payments": _l("Card payments"),
    "transfers": _l("Transfers (receiving funds from the platform)"),
    "us_bank_account_ach_payments": _l("ACH Direct Debit payments"),
    "link_payments": _l("Link payments"),
    "cashapp_payments": _l("Cash App Pay payments"),
    "affirm_payments": _l("Affirm payments"),
    "klarna_payments": _l("Klarna payments"),
    "afterpay_clearpay_payments": _l("Afterpay payments"),
    "tax_reporting_us_1099_k": "1099-K tax reporting",
}


@dataclass(frozen=True)
class CapabilityRow:
    name: str
    label: str
    requested: bool
    status: str
    due: list[str]


def capability_rows(stored) -> list[CapabilityRow]:
    """Every capability the account has or staff may request, from the mirror: the account's map
    holds the requested ones with their status, the capability objects their requirements."""
    statuses = (stored.snapshot.get("capabilities") or {}) if stored else {}
    objects = stored.capabilities if stored else {}
    rows = []
    for name in dict.fromkeys([*statuses, *CAPABILITIES]):
        status = statuses.get(name) or "unrequested"
        requested = status != "unrequested"
        due = list(((objects.get(name) or {}).get("requirements") or {}).get("currently_due") or []) if requested else []
        rows.append(CapabilityRow(name, str(CAPABILITIES.get(name, name.replace("_", " "))), requested, status, due))
    return rows


@dataclass(frozen=True)
class Summary:
    schedule: str  # Stripe's schedule now, in words
    held: bool  # a hold keeps Stripe's schedule manual for now
    normal_schedule: str  # what the end of the holds restores, in words ("" when not known)
    profile: list[tuple[str, str]]
    capabilities: list[CapabilityRow]


def summary(stored, *, held: bool) -> Summary:
    """`stored` is the account's mirror (ConnectedAccount) or None."""
    snapshot = stored.snapshot if stored else {}
    current = current_schedule(snapshot)
    normal = stored.normal_schedule if stored else None
    if held and not normal and current.get("interval") not in (None, "manual"):
        normal = current
    return Summary(
        schedule=schedule_words(current) if current else "",
        held=held and current.get("interval") == "manual",
        normal_schedule=schedule_words(normal or payout_holds.DEFAULT_SCHEDULE) if held else "",
        profile=profile_rows(snapshot),
        capabilities=capability_rows(stored),
    )


# What each staff action on the account says to the seller. `details` is the audit row's.

def _fields(details: dict) -> str:
    return ", ".join(change["field"].lower() for change in details.get("changes") or []) or "details"


def _person(details: dict) -> str:
    return details.get("name") or _("a person")


CHANGE_WORDS = {
    "staff.profile_update": lambda d: _("Our team updated your business profile: %(fields)s.", fields=_fields(d)),
    "staff.person_added": lambda d: _("Our team added %(name)s to the people on your account.", name=_person(d)),
    "staff.person_updated": lambda d: _("Our team updated %(name)s's details: %(fields)s.", name=_person(d), fields=_fields(d)),
    "staff.person_removed": lambda d: _("Our team removed %(name)s from the people on your account.", name=_person(d)),
    "staff.capability": lambda d: (
        _("Our team requested %(capability)s for your account.", capability=d.get('label') or d.get('capability'))
        if d.get('requested', {}).get('new') else
        _("Our team turned off %(capability)s for your account.", capability=d.get('label') or d.get('capability'))),
    "staff.payout_schedule": lambda d: _("Our team set your payout schedule: %(words)s", words=d.get('words', '')),
    "risk.debit_negative_balances": lambda d: (
        _("Our team turned on automatic debiting of your bank account when your balance goes below zero.") if d.get("on")
        else _("Our team turned off automatic debiting of your bank account when your balance goes below zero.")),
}


@dataclass(frozen=True)
class StaffChange:
    at: datetime
    words: str


# Built once: every status page reads it (Database.fetch prepares what it is handed once), with
# {"seller_id": ..., "limit": how many}.
AUDIT = AuditEvent.__table__
STAFF_CHANGES = (
    select_rows(AUDIT).where(AUDIT.c.seller_id == bindparam("seller_id"), AUDIT.c.actor_kind == STAFF,
                             AUDIT.c.action.in_(list(CHANGE_WORDS)))
    .order_by(AUDIT.c.at.desc(), AUDIT.c.id.desc()).limit(bindparam("limit"))
)


def staff_changes(events: list) -> list[StaffChange]:
    """The latest changes staff made to the seller's account settings, newest first, in words,
    from what STAFF_CHANGES found."""
    return [StaffChange(event.at, CHANGE_WORDS[event.action](event.details or {})) for event in events]
