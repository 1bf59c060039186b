"""The onboarding steps: which a business type has, what each reads from its form, and how its
answers become Stripe parameters. Pure functions over plain data; no I/O.

Each `read_*` returns a StepInput: `answers` (kept in the draft, so a reload loses nothing),
`secrets` (full SSN, EIN, account number: sent to Stripe, never kept) and `errors` by field."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from portal.i18n import format_number, gettext as _, lazy_gettext as _l
from portal import countries
from portal.onboarding import mcc, validation

INDIVIDUAL = "individual"
COMPANY = "company"
NON_PROFIT = "non_profit"

BUSINESS_TYPES = {
    INDIVIDUAL: _l("Individual or sole proprietor"),
    COMPANY: _l("Company (LLC, corporation, partnership)"),
    NON_PROFIT: _l("Non-profit organization"),
}
COMPANY_STRUCTURES = {
    COMPANY: {
        "single_member_llc": _l("Single-member LLC"),
        "multi_member_llc": _l("Multi-member LLC"),
        "private_corporation": _l("Private corporation"),
        "public_corporation": _l("Public corporation"),
        "private_partnership": _l("Private partnership"),
        "public_partnership": _l("Public partnership"),
        "unincorporated_association": _l("Unincorporated association"),
    },
    NON_PROFIT: {
        "incorporated_non_profit": _l("Incorporated non-profit"),
        "unincorporated_non_profit": _l("Unincorporated non-profit"),
    },
}
# Outside the US, Stripe's structures for companies and non-profits (the `company.structure` enum in
# Stripe's SDK; docs.stripe.com/connect/identity-verification#business-structure).
OTHER_STRUCTURES = {
    COMPANY: {
        "private_company": _l("Private company (Ltd, GmbH, SARL, BV…)"),
        "public_company": _l("Public company (PLC, AG, SA…)"),
        "limited_liability_partnership": _l("Limited liability partnership (LLP)"),
        "incorporated_partnership": _l("Incorporated partnership"),
        "unincorporated_partnership": _l("Unincorporated partnership"),
        "unincorporated_association": _l("Unincorporated association"),
    },
    NON_PROFIT: {
        "registered_charity": _l("Registered charity"),
        "incorporated_non_profit": _l("Incorporated non-profit"),
        "unincorporated_non_profit": _l("Unincorporated non-profit"),
    },
}


def structures_for(country: str) -> dict:
    """The legal structures a business in `country` can pick, by business type."""
    return COMPANY_STRUCTURES if (country or "").upper() == "US" else OTHER_STRUCTURES


# Countries the portal onboards: one description each in portal.countries.
COUNTRIES = countries.COUNTRIES


@dataclass(frozen=True)
class Step:
    slug: str
    title: str


STEP_BUSINESS = Step("business", _l("Business type"))
STEP_PROFILE = Step("profile", _l("Business profile"))
STEP_EMAIL = Step("business-email", _l("Business email"))
STEP_IDENTITY = Step("identity", _l("Your identity"))
STEP_COMPANY = Step("company", _l("Company details"))
STEP_PEOPLE = Step("people", "People")
STEP_BANK = Step("bank", _l("Bank account"))
STEP_REVIEW = Step("review", _l("Review and submit"))


def steps_for(business_type: str | None) -> list[Step]:
    if business_type in (COMPANY, NON_PROFIT):
        return [STEP_BUSINESS, STEP_PROFILE, STEP_EMAIL, STEP_COMPANY, STEP_PEOPLE, STEP_BANK, STEP_REVIEW]
    return [STEP_BUSINESS, STEP_PROFILE, STEP_EMAIL, STEP_IDENTITY, STEP_BANK, STEP_REVIEW]


@dataclass
class StepInput:
    answers: dict = field(default_factory=dict)
    secrets: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)


def _text(form: Mapping, name: str, limit: int = 1000) -> str:
    value = form.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


def _check(errors: dict, name: str, problem: str | None) -> None:
    if problem and name not in errors:
        errors[name] = problem


# Step 1: business type and country


def read_business(form: Mapping, allowed: Mapping | None = None, platform: str = "US") -> StepInput:
    """`allowed`: the countries sellers may pick (SELLER_COUNTRIES); every supported one by default.
    A supported country the platform in `platform` cannot serve is refused in words that say why."""
    step = StepInput(answers={
        "country": _text(form, "country", 2).upper() or "US",
        "business_type": _text(form, "business_type", 20),
        "structure": _text(form, "structure", 40),
    })
    answers, errors = step.answers, step.errors
    if answers["country"] in COUNTRIES and countries.terms_for(platform, answers["country"]) is None:
        errors["country"] = countries.crossborder.refusal(countries.get(platform).in_sentence,
                                                         COUNTRIES[answers["country"]].in_sentence)
    elif answers["country"] not in (COUNTRIES if allowed is None else allowed):
        errors["country"] = _("Choose the country where your business is based.")
    if answers["business_type"] not in BUSINESS_TYPES:
        errors["business_type"] = _("Choose the kind of business you run.")
    elif answers["business_type"] in COMPANY_STRUCTURES and answers["structure"] not in structures_for(answers["country"])[answers["business_type"]]:
        errors["structure"] = _("Choose how your organization is legally set up.")
    if answers["business_type"] == INDIVIDUAL:
        answers["structure"] = ""
    return step


# Step 2: business profile


def read_profile(form: Mapping, *, business_type: str, country: str, test_mode: bool) -> StepInput:
    step = StepInput(answers={
        name: _text(form, name) for name in (
            "legal_name", "dba", "url", "mcc", "product_description", "support_phone", "support_email",
            "statement_descriptor",
        )
    })
    a, errors = step.answers, step.errors
    if business_type != INDIVIDUAL:
        _check(errors, "legal_name", validation.business_name_problem(a["legal_name"]))
    elif a["legal_name"]:
        _check(errors, "legal_name", validation.business_name_problem(a["legal_name"], label=_("business name")))
    if a["dba"]:
        _check(errors, "dba", validation.dba_problem(a["dba"]))
    _check(errors, "url", validation.website_problem(a["url"]))
    if not a["mcc"]:
        errors["mcc"] = _("Choose the industry that best describes what you sell.")
    elif mcc.by_code(a["mcc"]) is None:
        errors["mcc"] = _("Choose an industry from the list.")
    _check(errors, "product_description", validation.product_description_problem(a["product_description"], website=a["url"]))
    _check(errors, "support_phone", validation.phone_problem(
        a["support_phone"], country=country, test_mode=test_mode, label=_("support phone number")))
    _check(errors, "support_email", validation.email_problem(a["support_email"], label=_("support email address")))
    _check(errors, "statement_descriptor", validation.statement_descriptor_problem(
        a["statement_descriptor"], business_name=a["legal_name"], dba=a["dba"], website=a["url"],
    ))
    return step


def profile_params(answers: dict, business: dict, *, test_mode: bool) -> dict:
    profile = {
        "url": validation.normalize_website(answers["url"]),
        "mcc": answers["mcc"],
        "product_description": answers["product_description"],
        "support_phone": validation.normalize_phone(answers["support_phone"], country=business["country"], test_mode=test_mode),
        "support_email": validation.normalize_email(answers["support_email"]),
    }
    name = answers.get("dba") or answers.get("legal_name")
    if name:
        profile["name"] = name
    params = {
        "business_type": business["business_type"],
        "business_profile": profile,
        "settings": {"payments": {"statement_descriptor": validation.normalize_statement_descriptor(answers["statement_descriptor"])}},
    }
    if business["business_type"] != INDIVIDUAL:
        params["company"] = {"name": validation.normalize_business_name(answers["legal_name"]), "structure": business["structure"]}
    return params


# The metadata key that names the seller on the account, so an account whose creation answer was
# lost can be found again (creation.py).
SELLER_ID_METADATA = "seller_id"


def account_create_params(business: dict, profile_answers: dict, *, email: str, seller_id: int, test_mode: bool,
                          hold_payouts: bool, terms: countries.Terms | None = None) -> dict:
    """`terms`: the service agreement and capabilities for the seller's country from the
    platform's (countries.terms_for); the full agreement when not given. The agreement can't
    change once accepted, so it is set here, with the country, at creation."""
    terms = terms or countries.Terms(countries.crossborder.FULL)
    params = profile_params(profile_answers, business, test_mode=test_mode)
    params.update({
        "country": business["country"],
        "email": email,
        "metadata": {SELLER_ID_METADATA: str(seller_id)},
        "capabilities": terms.capabilities,
        "tos_acceptance": {"service_agreement": terms.agreement},
    })
    params["settings"]["payouts"] = payout_settings(hold=hold_payouts)
    return params


def payout_settings(*, hold: bool) -> dict:
    """Manual payouts keep the balance with Stripe until the hold lifts (reference C8, C9)."""
    return {"schedule": {"interval": "manual"}} if hold else {"schedule": {"interval": "daily"}}


# Step 3: business email


def read_business_email(form: Mapping) -> StepInput:
    step = StepInput(answers={"business_email": _text(form, "business_email", 254)})
    _check(step.errors, "business_email", validation.email_problem(step.answers["business_email"], label=_("business email address")))
    return step


# Step 4 (individuals): identity

PERSON_FIELDS = ("first_name", "last_name", "dob", "line1", "line2", "city", "state", "postal_code", "phone", "email")


def _read_person_fields(form: Mapping, step: StepInput, *, test_mode: bool, country: str) -> None:
    a, errors = step.answers, step.errors
    for name in PERSON_FIELDS:
        a[name] = _text(form, name, 300)
    if countries.get(country).scripts:
        _read_script_fields(form, step, country=country)
        # The name shown in lists and messages: the first script's (kanji in Japan).
        first = countries.get(country).scripts[0].suffix
        a["first_name"], a["last_name"] = a[f"first_name_{first}"], a[f"last_name_{first}"]
        for key, problem in validation.script_name_problems(a, country=country).items():
            _check(errors, key, problem)
    else:
        _check(errors, "first_name", validation.person_name_problem(a["first_name"], label=_("first name")))
        _check(errors, "last_name", validation.person_name_problem(a["last_name"], label=_("last name")))
    _check(errors, "dob", validation.dob_problem(a["dob"], test_mode=test_mode))
    for key, problem in _address_problems(a, country).items():
        _check(errors, key, problem)
    _check(errors, "phone", validation.phone_problem(a["phone"], country=country, test_mode=test_mode))
    _check(errors, "email", validation.email_problem(a["email"]))


def _read_script_fields(form: Mapping, step: StepInput, *, country: str) -> None:
    """A country with scripts (Japan): each name and address part in each script, kept as typed."""
    for name in validation.script_fields(country):
        step.answers[name] = _text(form, name, 300)


def _address_problems(answers: dict, country: str) -> dict:
    if countries.get(country).scripts:
        return validation.script_address_problems(answers, country=country)
    return validation.address_problems(answers, country=country)


def _address_params(answers: dict, country: str) -> dict:
    """{"address": ...}, or one address per script ({"address_kana": ..., "address_kanji": ...})
    where Stripe takes those instead."""
    if countries.get(country).scripts:
        return validation.normalize_script_addresses(answers, country=country)
    address = {key: answers.get(key, "") for key in ("line1", "line2", "city", "state", "postal_code")}
    return {"address": validation.normalize_address(address, country=country)}


def _read_id_numbers(form: Mapping, step: StepInput, *, test_mode: bool, country: str, full_number_asked: bool, already_given: bool) -> None:
    """What the country asks first: the SSN's last four (US, the full number only when Stripe
    asks), the national number up front (Canada's SIN), or nothing until Stripe asks for it."""
    a, errors = step.answers, step.errors
    first = countries.get(country).first_identity
    full = validation.normalize_number(_text(form, "id_number", 30)).upper()
    if first == "ssn_last_4":
        a["ssn_last_4"] = validation.normalize_number(_text(form, "ssn_last_4", 20))
    if full:
        _check(errors, "id_number", validation.id_number_problem(full, country=country, test_mode=test_mode))
        if "id_number" not in errors:
            step.secrets["id_number"] = full
            a["id_number_last4"] = full[-4:]
            if first == "ssn_last_4":
                a["ssn_last_4"] = full[-4:]
    elif (full_number_asked or first == "id_number") and not already_given:
        errors["id_number"] = validation.id_number_problem("", country=country) or _("Enter the number.")
    if first == "ssn_last_4" and "id_number" not in step.secrets:
        _check(errors, "ssn_last_4", validation.ssn_last4_problem(a["ssn_last_4"]))


def read_identity(form: Mapping, *, test_mode: bool, country: str, full_number_asked: bool, already_given: bool) -> StepInput:
    step = StepInput()
    _read_person_fields(form, step, test_mode=test_mode, country=country)
    _read_id_numbers(form, step, test_mode=test_mode, country=country, full_number_asked=full_number_asked, already_given=already_given)
    return step


def _person_params(answers: dict, secrets: dict, *, test_mode: bool, country: str) -> dict:
    if countries.get(country).scripts:
        params = validation.normalize_script_names(answers, country=country)
    else:
        params = {"first_name": validation.normalize_person_name(answers["first_name"]),
                  "last_name": validation.normalize_person_name(answers["last_name"])}
    params.update({
        "dob": validation.normalize_dob(answers["dob"]),
        **_address_params(answers, country),
        "phone": validation.normalize_phone(answers["phone"], country=country, test_mode=test_mode),
        "email": validation.normalize_email(answers["email"]),
    })
    if "id_number" in secrets:
        params["id_number"] = secrets["id_number"]
    elif answers.get("ssn_last_4") and countries.get(country).first_identity == "ssn_last_4":
        params["ssn_last_4"] = answers["ssn_last_4"]
    return params


def identity_params(answers: dict, secrets: dict, *, test_mode: bool, country: str) -> dict:
    return {"individual": _person_params(answers, secrets, test_mode=test_mode, country=country)}


# Step 4 (companies): company details


def read_company(form: Mapping, *, test_mode: bool, country: str, tax_id_given: bool) -> StepInput:
    step = StepInput()
    a, errors = step.answers, step.errors
    for name in ("line1", "line2", "city", "state", "postal_code", "phone"):
        a[name] = _text(form, name, 300)
    data = countries.get(country)
    if data.registration_number:
        # Public register entries, not secrets: kept in the draft like the address.
        a["registration_number"] = _text(form, "registration_number", 40)
        a["tax_id_registrar"] = _text(form, "tax_id_registrar", 80)
        for key, problem in validation.register_entry_problems(a["registration_number"], a["tax_id_registrar"],
                                                               country=country).items():
            _check(errors, key, problem)
    if data.vat_id:
        a["vat_id"] = _text(form, "vat_id", 30)
        _check(errors, "vat_id", validation.vat_id_problem(a["vat_id"], country=country))
    rules = countries.get(country)
    if rules.scripts:
        _read_script_fields(form, step, country=country)
        for script in rules.scripts:
            name = f"name_{script.suffix}"
            a[name] = _text(form, name, 300)
            _check(errors, name, validation.script_name_problem(a[name], script, label=_("company name"), company=True))
    tax_id = validation.normalize_number(_text(form, "tax_id", 30))
    if tax_id or not tax_id_given:
        _check(errors, "tax_id", validation.tax_id_problem(tax_id, country=country, test_mode=test_mode))
        if "tax_id" not in errors:
            step.secrets["tax_id"] = tax_id
            a["tax_id_last4"] = tax_id[-4:]
    for key, problem in _address_problems(a, country).items():
        _check(errors, key, problem)
    _check(errors, "phone", validation.phone_problem(a["phone"], country=country, test_mode=test_mode, label=_("business phone number")))
    return step


def company_params(answers: dict, secrets: dict, *, test_mode: bool, country: str) -> dict:
    company = {
        **_address_params(answers, country),
        "phone": validation.normalize_phone(answers["phone"], country=country, test_mode=test_mode),
    }
    for script in countries.get(country).scripts:
        company[f"name_{script.suffix}"] = validation.script_text(answers[f"name_{script.suffix}"], script.kind)
    if "tax_id" in secrets:
        company["tax_id"] = secrets["tax_id"]
    if answers.get("registration_number"):
        company["registration_number"] = " ".join(answers["registration_number"].split()).upper()
        company["tax_id_registrar"] = answers["tax_id_registrar"]
    if answers.get("vat_id"):
        company["vat_id"] = validation.normalize_vat_id(answers["vat_id"], country=country)
    return {"company": company}


# Step 5 (companies): people

RELATIONSHIPS = {
    "representative": _l("Representative: can act for the company and is responsible for this account"),
    "owner": _l("Owner of 25% or more"),
    "director": _l("Director (member of the governing board)"),
    "executive": _l("Executive (senior management, like a CEO, CFO or COO)"),
}


def read_person(form: Mapping, *, test_mode: bool, country: str, id_number_given: bool) -> StepInput:
    step = StepInput()
    _read_person_fields(form, step, test_mode=test_mode, country=country)
    a, errors = step.answers, step.errors
    a["title"] = _text(form, "title", 100)
    a["percent_ownership"] = _text(form, "percent_ownership", 10) or "0"
    for relation in RELATIONSHIPS:
        a[relation] = form.get(relation) == "on"
    if not any(a[relation] for relation in RELATIONSHIPS):
        errors["relationships"] = _("Choose at least one role this person has in the company.")
    _check(errors, "title", validation.job_title_problem(a["title"]) if (a["representative"] or a["executive"] or a["title"]) else None)
    _check(errors, "percent_ownership", validation.ownership_percent_problem(a["percent_ownership"]))
    if a["owner"] and "percent_ownership" not in errors and validation.normalize_ownership_percent(a["percent_ownership"]) < 25:
        errors["percent_ownership"] = _("Owners listed here hold 25% or more. Enter their share, or untick 'Owner'.")
    if a["representative"]:
        _read_id_numbers(form, step, test_mode=test_mode, country=country, full_number_asked=False, already_given=id_number_given)
    return step


def person_params(answers: dict, secrets: dict, *, test_mode: bool, country: str) -> dict:
    params = _person_params(answers, secrets, test_mode=test_mode, country=country)
    relationship = {relation: bool(answers.get(relation)) for relation in RELATIONSHIPS}
    if answers.get("title"):
        relationship["title"] = answers["title"]
    percent = validation.normalize_ownership_percent(answers.get("percent_ownership") or "0")
    if percent:
        relationship["percent_ownership"] = percent
    params["relationship"] = relationship
    return params


def _percent(person: dict) -> float:
    """A saved person's share; a draft still carrying an invalid share counts as none."""
    raw = person.get("percent_ownership") or "0"
    return 0.0 if validation.ownership_percent_problem(raw) else validation.normalize_ownership_percent(raw)


def read_people_attestations(form: Mapping, people: list[dict]) -> StepInput:
    step = StepInput(answers={name: form.get(name) == "on" for name in ("owners_provided", "directors_provided", "executives_provided")})
    errors = step.errors
    if not any(person.get("representative") for person in people):
        errors["people"] = _("Add the company's representative: the person who can act for it and is responsible for this account.")
    total = sum(_percent(person) for person in people)
    if total > 100:
        errors["people"] = _("The ownership shares add up to %(total)s%%. Check each person's share: together they can't pass 100%%.",
                             total=format_number(total))
    for name, words in (("owners_provided", _("every owner of 25% or more")), ("directors_provided", _("every director")),
                        ("executives_provided", _("every executive"))):
        if not step.answers[name]:
            errors[name] = _("Confirm that you have added %(words)s.", words=words)
    return step


def attestation_params(answers: dict) -> dict:
    return {"company": {name: True for name in ("owners_provided", "directors_provided", "executives_provided") if answers.get(name)}}


# Step 6: bank account


def read_bank(form: Mapping, *, country: str, business_type: str, test_mode: bool = False) -> StepInput:
    """The account in the country's format: its routing parts (routing number, sort code, BSB,
    transit and institution) and account number, or one IBAN."""
    bank = countries.get(country).bank
    step = StepInput(answers={"account_holder_name": _text(form, "account_holder_name", 100)})
    a, errors = step.answers, step.errors
    account = _text(form, "account_number", 60)
    confirm = _text(form, "account_number_confirm", 60)
    if bank.holder_script:
        _check(errors, "account_holder_name", validation.account_holder_name_problem(a["account_holder_name"], country=country))
    elif business_type == INDIVIDUAL:
        _check(errors, "account_holder_name", validation.person_name_problem(a["account_holder_name"], label=_("account holder's name")))
    else:
        _check(errors, "account_holder_name", validation.business_name_problem(a["account_holder_name"], label=_("account holder's name")))
    for part in bank.routing:
        # A routing code names the bank or branch, not the seller: safe to keep.
        a[part.name] = validation.normalize_number(_text(form, part.name, 30))
        _check(errors, part.name, validation.routing_part_problem(a[part.name], part))
    _check(errors, "account_number", validation.account_number_problem(account, confirm, country=country, test_mode=test_mode))
    if not errors:
        _check(errors, "account_number", validation.whole_account_problem(a, account, country=country, test_mode=test_mode))
    if not errors:
        step.secrets["account_number"] = validation.normalize_account_number(account, country=country)
    return step


def bank_params(answers: dict, secrets: dict, *, country: str, business_type: str) -> dict:
    account = {
        "object": "bank_account",
        "country": country,
        "currency": countries.get(country).currency,
        "account_number": secrets["account_number"],
        "account_holder_name": validation.normalize_account_holder_name(answers["account_holder_name"], country=country),
        "account_holder_type": "individual" if business_type == INDIVIDUAL else "company",
    }
    routing = validation.routing_number(answers, country=country)
    if routing:
        account["routing_number"] = routing
    return {"external_account": account}


# Step 7: review and terms


def read_terms(form: Mapping, *, platform_terms: bool) -> StepInput:
    """`platform_terms`: the platform has seller terms of its own (SELLER_TERMS_URL) to accept too."""
    step = StepInput(answers={"accept_stripe": form.get("accept_stripe") == "on", "accept_platform": form.get("accept_platform") == "on"})
    if not step.answers["accept_stripe"]:
        step.errors["accept_stripe"] = _("To receive payouts you need to accept the Stripe Connected Account Agreement.")
    if platform_terms and not step.answers["accept_platform"]:
        step.errors["accept_platform"] = _("Accept the platform's seller terms to continue.")
    return step


def terms_params(*, date: int, ip: str, user_agent: str) -> dict:
    return {"tos_acceptance": {"date": date, "ip": ip, "user_agent": user_agent[:500]}}


# Where a Stripe field (in stripe_errors' canonical spelling) sits in these forms.

PROFILE_FIELDS = {
    "business_profile.name": "dba",
    "company.name": "legal_name",
    "business_profile.url": "url",
    "business_profile.mcc": "mcc",
    "business_profile.product_description": "product_description",
    "business_profile.support_phone": "support_phone",
    "business_profile.support_email": "support_email",
    "settings.payments.statement_descriptor": "statement_descriptor",
}
PERSON_RENAMES = {"relationship.title": "title", "relationship.percent_ownership": "percent_ownership"}


def _person_field(rest: str) -> str:
    return PERSON_RENAMES.get(rest, _address_field(rest))


def _address_field(rest: str) -> str:
    """A Stripe address path as the form's field: `address.city` -> city; in a script's address,
    the shared parts keep their name (`address_kana.postal_code` -> postal_code) and the others
    take the script's (`address_kanji.town` -> town_kanji)."""
    holder, _, part = rest.partition(".")
    if holder == "address":
        return part
    if holder.startswith("address_") and part:
        return part if part in countries.SHARED_ADDRESS_PARTS else f"{part}_{holder.removeprefix('address_')}"
    return rest


def locate(path: str) -> tuple[str, str] | None:
    """(step slug, form field) for a canonical Stripe path, or None when no form here collects it."""
    if not path:
        return None
    if path in ("business_type", "company.structure"):
        return STEP_BUSINESS.slug, "business_type" if path == "business_type" else "structure"
    if path in PROFILE_FIELDS:
        return STEP_PROFILE.slug, PROFILE_FIELDS[path]
    if path.startswith("individual."):
        return STEP_IDENTITY.slug, _person_field(path.removeprefix("individual."))
    if path.startswith("person."):
        return STEP_PEOPLE.slug, _person_field(path.removeprefix("person."))
    if path.endswith("_provided"):
        return STEP_PEOPLE.slug, path.removeprefix("company.")
    if path.startswith("company."):
        return STEP_COMPANY.slug, _address_field(path.removeprefix("company."))
    if path.startswith("external_account"):
        if path.endswith("routing_number"):
            return STEP_BANK.slug, "routing_number"  # the routes place it on the country's first routing part
        return STEP_BANK.slug, "account_holder_name" if path.endswith("account_holder_name") else "account_number"
    if path == "tos_acceptance":
        return STEP_REVIEW.slug, "accept_stripe"
    return None
