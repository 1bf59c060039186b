"""Account settings: defaults, the payout schedule's rules, and derived statement descriptors.

Stripe's test mode returned payouts `daily` with `delay_days=2` and, for accounts whose
platform collects requirements, `debit_negative_balances=false` (reference C8, C11). Without
an explicit statement descriptor, Stripe derives one from `business_profile.name`, else the
website's host (upper-cased), else the legal name; the card prefix is its first 10 characters.
"""

from portal.sandbox import magic
from portal.sandbox.protocol import invalid_request

MINIMUM_DELAY_DAYS = 2
INTERVALS = ("daily", "weekly", "monthly", "manual")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DESCRIPTOR_FORBIDDEN = set("<>\\'\"*")
# The anchor fields each interval keeps; the others are dropped when the interval changes.
ANCHORS = {
    "weekly": ("weekly_anchor", "weekly_payout_days"),
    "monthly": ("monthly_anchor", "monthly_payout_days"),
}


def defaults(controller: dict) -> dict:
    platform_collects = controller.get("requirement_collection") == "application"
    return {
        "bacs_debit_payments": {"display_name": None, "service_user_number": None},
        "branding": {"icon": None, "logo": None, "primary_color": None, "secondary_color": None},
        "card_issuing": {"tos_acceptance": {"date": None, "ip": None}},
        "card_payments": {
            "decline_on": {"avs_failure": True, "cvc_failure": True},
            "statement_descriptor_prefix": None,
            "statement_descriptor_prefix_kana": None,
            "statement_descriptor_prefix_kanji": None,
        },
        "dashboard": {"display_name": None, "timezone": "Etc/UTC"},
        "invoices": {"default_account_tax_ids": None, "hosted_payment_method_save": None},
        "payments": {
            "statement_descriptor": None,
            "statement_descriptor_kana": None,
            "statement_descriptor_kanji": None,
            "statement_descriptor_prefix_kana": None,
            "statement_descriptor_prefix_kanji": None,
        },
        "payouts": {
            "debit_negative_balances": not platform_collects,
            "schedule": {"delay_days": MINIMUM_DELAY_DAYS, "interval": "daily"},
            "statement_descriptor": None,
        },
        "sepa_debit_payments": {},
    }


def apply(account: dict, given: dict, state: dict) -> None:
    current = account["settings"]
    for section, values in given.items():
        if section == "payouts":
            _payouts(current["payouts"], values)
        elif isinstance(values, dict):
            current[section] = {**current.get(section, {}), **{k: _blank(v) for k, v in values.items()}}
    descriptor = (given.get("payments") or {}).get("statement_descriptor")
    if descriptor is not None:
        _check_descriptor(descriptor, 5, 22, "settings[payments][statement_descriptor]")
        state["explicit_descriptor"] = bool(descriptor)
    prefix = (given.get("card_payments") or {}).get("statement_descriptor_prefix")
    if prefix is not None:
        _check_descriptor(prefix, 2, 10, "settings[card_payments][statement_descriptor_prefix]")
        state["explicit_prefix"] = bool(prefix)


def _blank(value):
    return None if value == "" else value


def _check_descriptor(value: str, shortest: int, longest: int, param: str) -> None:
    if not value:
        return
    if not shortest <= len(value) <= longest:
        raise invalid_request(
            f"The statement descriptor must be between {shortest} and {longest} characters long.", param=param
        )
    if DESCRIPTOR_FORBIDDEN & set(value) or not any(ch.isalpha() for ch in value):
        raise invalid_request(
            "The statement descriptor must contain at least one letter and none of < > \\ ' \" *.", param=param
        )


def _payouts(payouts: dict, given: dict) -> None:
    if "debit_negative_balances" in given:
        payouts["debit_negative_balances"] = bool(given["debit_negative_balances"])
    if "statement_descriptor" in given:
        payouts["statement_descriptor"] = given["statement_descriptor"] or None
    if "schedule" in given:
        payouts["schedule"] = _schedule(payouts["schedule"], given["schedule"])


def _schedule(current: dict, given: dict) -> dict:
    interval = given.get("interval", current["interval"])
    if interval not in INTERVALS:
        raise invalid_request(
            "Invalid settings[payouts][schedule][interval]: must be one of " + ", ".join(INTERVALS),
            param="settings[payouts][schedule][interval]",
        )
    schedule = {"delay_days": current["delay_days"], "interval": interval}
    delay = given.get("delay_days")
    if delay == "minimum":
        schedule["delay_days"] = MINIMUM_DELAY_DAYS
    elif delay is not None:
        delay = int(delay)
        if delay < MINIMUM_DELAY_DAYS:
            raise invalid_request(
                f"The minimum delay_days for this account is {MINIMUM_DELAY_DAYS}.",
                param="settings[payouts][schedule][delay_days]",
            )
        schedule["delay_days"] = delay
    for field in ANCHORS.get(interval, ()):
        value = given.get(field, current.get(field) if current["interval"] == interval else None)
        if value is not None:
            schedule[field] = value
    if interval == "weekly":
        anchor = schedule.get("weekly_anchor")
        if anchor is None and not schedule.get("weekly_payout_days"):
            raise invalid_request("You must provide `weekly_anchor` when `interval` is `weekly`.",
                                  param="settings[payouts][schedule][weekly_anchor]")
        if anchor is not None and anchor not in WEEKDAYS:
            raise invalid_request("Invalid weekly_anchor: must be a day of the week.",
                                  param="settings[payouts][schedule][weekly_anchor]")
    if interval == "monthly":
        anchor = schedule.get("monthly_anchor")
        if anchor is None and not schedule.get("monthly_payout_days"):
            raise invalid_request("You must provide `monthly_anchor` when `interval` is `monthly`.",
                                  param="settings[payouts][schedule][monthly_anchor]")
        if anchor is not None and not 1 <= int(anchor) <= 31:
            raise invalid_request("monthly_anchor must be between 1 and 31.",
                                  param="settings[payouts][schedule][monthly_anchor]")
    return schedule


def derive_descriptors(account: dict, state: dict) -> None:
    source = _descriptor_source(account)
    derived = _clean(source)[:22].strip() if source else ""
    settings = account["settings"]
    if not state.get("explicit_descriptor"):
        settings["payments"]["statement_descriptor"] = derived if len(derived) >= 5 else None
    if not state.get("explicit_prefix"):
        base = (settings["payments"]["statement_descriptor"] or "").upper()
        prefix = base[:10].strip()
        settings["card_payments"]["statement_descriptor_prefix"] = prefix if len(prefix) >= 2 else None
    if not settings["dashboard"].get("display_name"):
        settings["dashboard"]["display_name"] = (account.get("business_profile") or {}).get("name") or (
            magic.url_host((account.get("business_profile") or {}).get("url")) or None
        )


def _descriptor_source(account: dict) -> str | None:
    profile = account.get("business_profile") or {}
    individual = account.get("individual") or {}
    legal_name = " ".join(filter(None, (individual.get("first_name"), individual.get("last_name"))))
    return (
        profile.get("name")
        or magic.url_host(profile.get("url"))
        or (account.get("company") or {}).get("name")
        or legal_name
        or None
    )


def _clean(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch not in DESCRIPTOR_FORBIDDEN)
