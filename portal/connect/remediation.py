"""The remediation form: built from what Stripe asks for now, it asks only for that, and turns
the answers into the fewest Stripe writes (one account update, one per person). Pure."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from portal import countries
from portal.i18n import gettext as _, lazy_gettext as _l
from portal.connect.requirements import Requirement
from portal.onboarding import validation

PERSON_TEXT = {
    "first_name": _l("First name"), "last_name": _l("Last name"), "phone": _l("Phone number"), "email": _l("Email address"),
    "ssn_last_4": _l("Last 4 digits of the Social Security number"), "id_number": _l("ID number"),
    "first_name_kana": _l("First name in katakana"), "last_name_kana": _l("Last name in katakana"),
    "first_name_kanji": _l("First name in kanji"), "last_name_kanji": _l("Last name in kanji"),
}
# Where Stripe takes an address in each of the country's scripts (Japan), the form asks the
# shared parts once and the rest per script, under `<owner>.address_scripts.<field>`.
SCRIPTED_ADDRESS = "address_scripts"
ACCOUNT_TEXT = {
    "company.name": _l("Legal business name"), "company.tax_id": _l("Tax ID"), "company.phone": _l("Company phone"),
    "business_profile.url": _l("Business website"), "business_profile.product_description": _l("What you sell"),
    "business_profile.support_phone": _l("Customer support phone"), "business_profile.support_email": _l("Customer support email"),
    "settings.payments.statement_descriptor": _l("Statement descriptor"),
    "business_profile.name": _l("Business name"),
    "settings.card_payments.statement_descriptor_prefix": _l("Statement descriptor prefix (2 to 10 characters)"),
    "company.name_kana": _l("Company name in katakana"), "company.name_kanji": _l("Company name in kanji"),
}
SECRET_ATTRIBUTES = {"id_number", "tax_id"}
DOCUMENT_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png", b"%PDF": "application/pdf"}
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


@dataclass
class FormField:
    name: str  # "<owner>.<attribute>": owner is individual, company, business_profile, settings.payments or a person id
    label: str
    kind: str  # text, date, state (a list of the country's subdivisions), file, checkbox
    requirement: Requirement
    secret: bool = False


@dataclass
class Elsewhere:
    """Something fixed on another page: a step of the onboarding form, or Stripe's hosted page."""

    requirement: Requirement
    where: str  # "bank", "people", "add_person", "profile", "stripe"


@dataclass
class Plan:
    fields: list[FormField] = field(default_factory=list)
    elsewhere: list[Elsewhere] = field(default_factory=list)


def _owner(requirement: Requirement) -> str | None:
    if requirement.path.startswith("individual."):
        return "individual"
    if requirement.path.startswith("person.") and requirement.person and requirement.person.startswith("person_"):
        return requirement.person
    return None


def is_document_field(name: str) -> bool:
    """A requirement path or form field that takes a file: a person's or the company's document."""
    return name.endswith(("verification.document", "verification.additional_document"))


def _first_upper(label) -> str:
    """A label as a form heads it: only its first letter raised ("Stadt oder Bezirk", not
    str.capitalize()'s "Stadt oder bezirk", which lowers the rest)."""
    text = str(label)
    return text[:1].upper() + text[1:]


def _scripted_address_fields(country: countries.Country) -> list[tuple[str, str, str]]:
    """(field, label, kind) of an address asked in each of the country's scripts."""
    layout = country.address
    fields = [("postal_code", _first_upper(layout.postal_label), "text"),
              ("state", _first_upper(layout.area_label), "state"), ("line1", _("Block and building number"), "text")]
    for script in country.scripts:
        fields += [(f"{part}_{script.suffix}", _("%(label)s %(script)s", label=_first_upper(validation.SCRIPT_ADDRESS_LABELS[part]), script=script.label), "text")
                   for part in countries.SCRIPT_ADDRESS_PARTS]
    return fields


def address_parts(country: countries.Country) -> list[tuple[str, str, str]]:
    """(Stripe's part, label, kind) for each field of the country's address layout, in its order and
    its words (county, postcode, Eircode); the area is a list where the country has subdivisions."""
    layout, parts = country.address, []
    words = {"line1": _("Street address"), "line2": _("Apartment, suite or unit"), "city": _first_upper(layout.city_label),
             "state": _first_upper(layout.area_label), "postal_code": _first_upper(layout.postal_label)}
    for part in layout.fields:
        parts.append((part, words[part], "state" if part == "state" and layout.subdivisions else "text"))
    return parts


def _text_labels(country: countries.Country) -> tuple[dict, dict]:
    """PERSON_TEXT and ACCOUNT_TEXT with the country's own numbers (SIN, Company Number, EIN)."""
    person = dict(PERSON_TEXT)
    if country.id_number:
        person["id_number"] = ("Full " if country.first_identity == "ssn_last_4" else "") + country.id_number.label
    return person, {**ACCOUNT_TEXT, "company.tax_id": country.tax_id.label}


def plan(actions: list[Requirement], country: countries.Country | None = None) -> Plan:
    """The fields to ask, in the account's country's words and address layout (the US without one)."""
    result, seen = Plan(), set()
    country = country or countries.get("US")
    person_text, account_text = _text_labels(country)

    def add(name: str, label: str, kind: str, requirement: Requirement) -> None:
        if name not in seen:
            seen.add(name)
            result.fields.append(FormField(name, label, kind, requirement, secret=name.rsplit(".", 1)[-1] in SECRET_ATTRIBUTES))

    for requirement in actions:
        path, owner = requirement.path, _owner(requirement)
        attribute = path.split(".", 1)[1] if "." in path else path
        if not requirement.collectable or path == "intervention":
            result.elsewhere.append(Elsewhere(requirement, "stripe"))
        elif path == "external_account" or path.startswith("external_account."):
            result.elsewhere.append(Elsewhere(requirement, "bank"))
        elif requirement.person in ("representative", "owners", "directors", "executives"):
            result.elsewhere.append(Elsewhere(requirement, "add_person"))
        elif path.endswith("_provided") or path.startswith("person.relationship"):
            result.elsewhere.append(Elsewhere(requirement, "people"))
        elif path == "business_profile.mcc" or path == "business_type":
            result.elsewhere.append(Elsewhere(requirement, "profile"))
        elif path == "tos_acceptance":
            add("tos_acceptance", _("I accept the Stripe Connected Account Agreement again"), "checkbox", requirement)
        elif is_document_field(path):
            add(f"{owner}.{attribute}" if owner else path, _("Upload a photo or scan (JPEG, PNG or PDF, up to 10 MB)"),
                "file", requirement)
        elif owner and attribute == "dob":
            add(f"{owner}.dob", _("Date of birth"), "date", requirement)
        elif (owner or path.startswith("company.")) and country.scripts and attribute.startswith("address_"):
            for name, label, kind in _scripted_address_fields(country):
                add(f"{owner or 'company'}.{SCRIPTED_ADDRESS}.{name}", label, kind, requirement)
        elif owner and attribute.startswith("address"):
            for part, label, kind in address_parts(country):
                add(f"{owner}.address.{part}", label, kind, requirement)
        elif owner and attribute in person_text:
            add(f"{owner}.{attribute}", person_text[attribute], "text", requirement)
        elif path.startswith("company.address"):
            for part, label, kind in address_parts(country):
                add(f"company.address.{part}", label, kind, requirement)
        elif path in account_text:
            add(path, account_text[path], "text", requirement)
        else:
            result.elsewhere.append(Elsewhere(requirement, "stripe"))
    return result


def document_problem(content: bytes, filename: str) -> str | None:
    if not content:
        return _("Choose a file to upload.")
    if len(content) > MAX_DOCUMENT_BYTES:
        return _("This file is larger than 10 MB. Upload a smaller photo or scan.")
    if not any(content.startswith(magic) for magic in DOCUMENT_TYPES):
        return _("Upload a JPEG or PNG photo, or a PDF scan.")
    return None


def _field_problem(form_field: FormField, value: str, *, test_mode: bool, country: str = "US") -> str | None:
    attribute = form_field.name.rsplit(".", 1)[-1]
    checks = {
        "first_name": lambda v: validation.person_name_problem(v, label=_("first name")),
        "last_name": lambda v: validation.person_name_problem(v, label=_("last name")),
        "dob": lambda v: validation.dob_problem(v, test_mode=test_mode),
        "phone": lambda v: validation.phone_problem(v, country=country, test_mode=test_mode),
        "support_phone": lambda v: validation.phone_problem(v, country=country, test_mode=test_mode),
        "email": validation.email_problem,
        "support_email": validation.email_problem,
        "ssn_last_4": validation.ssn_last4_problem,
        "id_number": lambda v: validation.id_number_problem(v, country=country, test_mode=test_mode),
        "tax_id": lambda v: validation.tax_id_problem(v, country=country, test_mode=test_mode),
        "url": validation.website_problem,
        "product_description": validation.product_description_problem,
        "name": validation.business_name_problem,
        "statement_descriptor": validation.statement_descriptor_problem,
        "statement_descriptor_prefix": lambda v: validation.statement_descriptor_prefix_problem(v, required=True),
    }
    check = checks.get(attribute)
    if check is None and attribute.rpartition("_")[0] in ("first_name", "last_name", "name"):
        head, _sep, suffix = attribute.rpartition("_")
        script = countries.get(country).script(suffix)
        label = {"name": _("company name"), "first_name": _("first name"), "last_name": _("last name")}[head]
        return validation.script_name_problem(value, script, label=label, company=head == "name") if script else None
    return check(value) if check else None


def _set(target: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


@dataclass
class Submission:
    account_params: dict = field(default_factory=dict)
    person_params: dict[str, dict] = field(default_factory=dict)
    uploads: list[tuple[str, str, bytes]] = field(default_factory=list)  # (field name, filename, content)
    errors: dict[str, str] = field(default_factory=dict)
    typed: dict[str, str] = field(default_factory=dict)  # what to show again (never secrets)


def read(fields: list[FormField], form: Mapping, files: Mapping[str, tuple[str, bytes]], *, test_mode: bool,
         country: str = "US", tos: dict | None = None) -> Submission:
    """Validate the posted form against the plan; documents are returned for upload, not yet sent."""
    result = Submission()
    addresses: dict[str, dict] = {}
    scripted: dict[str, dict] = {}
    for form_field in fields:
        if form_field.kind == "file":
            filename, content = files.get(form_field.name, ("", b""))
            if problem := document_problem(content, filename):
                result.errors[form_field.name] = problem
            else:
                result.uploads.append((form_field.name, filename, content))
            continue
        if form_field.kind == "checkbox":
            if form.get(form_field.name) != "on":
                result.errors[form_field.name] = _("Tick the box to accept the agreement again.")
            elif tos:
                result.account_params["tos_acceptance"] = tos
            continue
        value = str(form.get(form_field.name, "")).strip()[:500]
        if not form_field.secret:
            result.typed[form_field.name] = value
        if f".{SCRIPTED_ADDRESS}." in form_field.name:
            owner, _sep, part = form_field.name.rpartition(f".{SCRIPTED_ADDRESS}.")
            scripted.setdefault(owner, {})[part] = value
            continue
        if ".address." in form_field.name:
            owner, _sep, part = form_field.name.rpartition(".address.")
            addresses.setdefault(owner, {})[part] = value
            continue
        if problem := _field_problem(form_field, value, test_mode=test_mode, country=country):
            result.errors[form_field.name] = problem
            continue
        _put(result, form_field.name, _normalised(form_field.name, value, test_mode=test_mode, country=country))
    for owner, address in addresses.items():
        problems = validation.address_problems(address, country=country)
        for part, problem in problems.items():
            result.errors[f"{owner}.address.{part}"] = problem
        if not problems:
            _put(result, f"{owner}.address", validation.normalize_address(address, country=country))
    for owner, answers in scripted.items():
        problems = validation.script_address_problems(answers, country=country)
        for part, problem in problems.items():
            result.errors[f"{owner}.{SCRIPTED_ADDRESS}.{part}"] = problem
        if not problems:
            for name, address in validation.normalize_script_addresses(answers, country=country).items():
                _put(result, f"{owner}.{name}", address)
    return result


def _normalised(name: str, value: str, *, test_mode: bool, country: str):
    attribute = name.rsplit(".", 1)[-1]
    if attribute == "dob":
        return validation.normalize_dob(value)
    if attribute in ("phone", "support_phone"):
        return validation.normalize_phone(value, country=country, test_mode=test_mode)
    if attribute in ("id_number", "tax_id", "ssn_last_4"):
        return validation.normalize_number(value)
    if attribute == "url":
        return validation.normalize_website(value)
    if attribute in ("statement_descriptor", "statement_descriptor_prefix"):
        return validation.normalize_statement_descriptor(value)
    script = countries.get(country).script(attribute.rpartition("_")[2]) if "_" in attribute else None
    if script and attribute.rpartition("_")[0] in ("first_name", "last_name", "name"):
        return validation.script_text(value, script.kind)
    return value


def _put(result: Submission, name: str, value) -> None:
    if name.startswith("person_"):
        person, _, rest = name.partition(".")
        _set(result.person_params.setdefault(person, {}), rest, value)
    else:
        _set(result.account_params, name, value)


def attach_document(result: Submission, name: str, file_id: str) -> None:
    """`individual.verification.document` -> params individual[verification][document][front]=file."""
    _put(result, f"{name}.front", file_id)
