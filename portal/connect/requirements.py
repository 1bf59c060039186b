"""Stripe's requirement keys in words a seller understands, ordered the way Stripe's Dashboard
orders them. Pure: an account snapshot (and names of its people) in, a list out.

Keys are looked up, not parsed by `if` chains: stripe_errors.field_for_param normalises a key
(`person_abc.dob.day` -> `person.dob`), then WORDS names it for its owner."""

import functools
from dataclasses import dataclass, field

from portal import countries
from portal.connect import requirement_model
from portal.i18n import N_, current_locale, gettext as _
from portal.onboarding import stripe_errors

# Stripe's Dashboard order: past due, currently due, future requirements, eventually due.
# (status, from future_requirements, label). The labels are English keys (pages compare them);
# pages show them through the catalogue.
BUCKETS = (
    ("past_due", False, N_("Past due")),
    ("currently_due", False, N_("Due now")),
    ("currently_due", True, N_("Coming up")),
    ("eventually_due", False, N_("Needed later")),
)
PENDING = requirement_model.PENDING

# What each canonical field is, with {whose} for the owner ("your", "Jenny Rosen's", "your company's").
# The same words serve staff (for_staff): the owner is then "the seller's", "the company's".
WORDS = {
    "first_name": "{whose} first name",
    "last_name": "{whose} last name",
    "dob": "{whose} date of birth",
    "address": "{whose} home address",
    "phone": "{whose} phone number",
    "email": "{whose} email address",
    "ssn_last_4": "the last 4 digits of {whose} Social Security number",
    "id_number": "{whose} full Social Security number",
    "verification.document": "a photo of {whose} ID (passport, driver's license or state ID)",
    "verification.additional_document": "a document that proves {whose} address, like a utility bill",
    "verification.proof_of_liveness": "a selfie check of {whose} face",
    "relationship.title": "{whose} job title",
    "relationship": "{whose} role in the company",
    "relationship.percent_ownership": "{whose} share of ownership",
    "relationship.executive": "whether {whose_subject} an executive",
    "relationship.owner": "whether {whose_subject} an owner",
    "relationship.director": "whether {whose_subject} a director",
    "political_exposure": "whether {whose_subject} a politically exposed person",
    # Japan: names and addresses in both scripts.
    "first_name_kana": "{whose} first name in katakana",
    "last_name_kana": "{whose} last name in katakana",
    "first_name_kanji": "{whose} first name in kanji",
    "last_name_kanji": "{whose} last name in kanji",
    "address_kana": "{whose} home address in katakana",
    "address_kanji": "{whose} home address in kanji",
}
COMPANY_WORDS = {
    "company.name": "{company} legal name",
    "company.tax_id": "{company} EIN",
    "company.phone": "{company} phone number",
    "company.address": "{company} registered address",
    "company.address_kana": "{company} registered address in katakana",
    "company.address_kanji": "{company} registered address in kanji",
    "company.name_kana": "{company} legal name in katakana",
    "company.name_kanji": "{company} legal name in kanji",
    "company.structure": "how {whose} company is legally set up",
    "company.owners_provided": "confirmation that every owner of 25% or more is listed",
    "company.directors_provided": "confirmation that every director is listed",
    "company.executives_provided": "confirmation that every executive is listed",
    "company.verification.document": "a company document, like the IRS letter that confirms {whose} EIN",
    "company.registration_number": "{company} registration number",
    "company.vat_id": "{company} VAT number",
    "business_profile.url": "{whose} business website",
    "business_profile.mcc": "{whose} industry",
    "business_profile.product_description": "a description of what {whose_subject_sells}",
    "business_profile.support_phone": "{whose} customer support phone number",
    "business_profile.support_email": "{whose} customer support email",
    "business_profile.name": "{whose} business name",
    "settings.payments.statement_descriptor": "the name on {whose_customers} card statements",
    "settings.card_payments.statement_descriptor_prefix": "the short name that starts {whose} card statement descriptor",
    "external_account": "a bank account for {whose} payouts",
    "tos_acceptance": "{whose} acceptance of the Stripe Connected Account Agreement",
    "business_type": "{whose} business type",
    "intervention": "a review that Stripe must complete with {whose_object} on its secure page",
}
# What Stripe is checking, named as what the seller gave (a key asked for as "the full number"
# may be pending on the last four digits the seller typed).
PENDING_WORDS = {
    "ssn_last_4": "the Social Security number digits {whose_given}",
    "id_number": "the Social Security number digits {whose_given}",
}
# People Stripe wants who are not added yet, by the key's first segment: who they are, and whose.
MISSING_PEOPLE = {
    "representative": ("the company's representative", "the company representative's"),
    "owners": ("each owner of 25% or more", "each owner's"),
    "directors": ("each director", "each director's"),
    "executives": ("each executive", "each executive's"),
}


# The same words as the seller reads them, in the seller's language. A language cannot build them
# from "your" and a noun as English does (German declines the possessive with the noun's gender),
# so each field is a whole message: once with the seller as owner, once with someone else, named
# by %(owner)s, a possessive phrase of its own (OWNER_PHRASES) placed where the language wants it.
SELLER_WORDS = {
    "first_name": N_("your first name"),
    "last_name": N_("your last name"),
    "dob": N_("your date of birth"),
    "address": N_("your home address"),
    "phone": N_("your phone number"),
    "email": N_("your email address"),
    "ssn_last_4": N_("the last 4 digits of your Social Security number"),
    "id_number": N_("your full Social Security number"),
    "verification.document": N_("a photo of your ID (passport, driver's license or state ID)"),
    "verification.additional_document": N_("a document that proves your address, like a utility bill"),
    "verification.proof_of_liveness": N_("a selfie check of your face"),
    "relationship.title": N_("your job title"),
    "relationship": N_("your role in the company"),
    "relationship.percent_ownership": N_("your share of ownership"),
    "relationship.executive": N_("whether you are an executive"),
    "relationship.owner": N_("whether you are an owner"),
    "relationship.director": N_("whether you are a director"),
    "political_exposure": N_("whether you are a politically exposed person"),
    # Japan: names and addresses in both scripts.
    "first_name_kana": N_("your first name in katakana"),
    "last_name_kana": N_("your last name in katakana"),
    "first_name_kanji": N_("your first name in kanji"),
    "last_name_kanji": N_("your last name in kanji"),
    "address_kana": N_("your home address in katakana"),
    "address_kanji": N_("your home address in kanji"),
}
OTHERS_WORDS = {
    "first_name": N_("%(owner)s first name"),
    "last_name": N_("%(owner)s last name"),
    "dob": N_("%(owner)s date of birth"),
    "address": N_("%(owner)s home address"),
    "phone": N_("%(owner)s phone number"),
    "email": N_("%(owner)s email address"),
    "ssn_last_4": N_("the last 4 digits of %(owner)s Social Security number"),
    "id_number": N_("%(owner)s full Social Security number"),
    "verification.document": N_("a photo of %(owner)s ID (passport, driver's license or state ID)"),
    "verification.additional_document": N_("a document that proves %(owner)s address, like a utility bill"),
    "verification.proof_of_liveness": N_("a selfie check of %(owner)s face"),
    "relationship.title": N_("%(owner)s job title"),
    "relationship": N_("%(owner)s role in the company"),
    "relationship.percent_ownership": N_("%(owner)s share of ownership"),
    "relationship.executive": N_("whether %(person)s is an executive"),
    "relationship.owner": N_("whether %(person)s is an owner"),
    "relationship.director": N_("whether %(person)s is a director"),
    "political_exposure": N_("whether %(person)s is a politically exposed person"),
    "first_name_kana": N_("%(owner)s first name in katakana"),
    "last_name_kana": N_("%(owner)s last name in katakana"),
    "first_name_kanji": N_("%(owner)s first name in kanji"),
    "last_name_kanji": N_("%(owner)s last name in kanji"),
    "address_kana": N_("%(owner)s home address in katakana"),
    "address_kanji": N_("%(owner)s home address in kanji"),
}
SELLER_PENDING_WORDS = {
    "ssn_last_4": N_("the Social Security number digits you gave"),
    "id_number": N_("the Social Security number digits you gave"),
}
OTHERS_PENDING_WORDS = {
    "ssn_last_4": N_("the Social Security number digits given for %(person)s"),
    "id_number": N_("the Social Security number digits given for %(person)s"),
}
# People not added yet: (who, possessive), as MISSING_PEOPLE.
MISSING_PEOPLE_WORDS = {
    "representative": (N_("the company's representative"), N_("the company representative's")),
    "owners": (N_("each owner of 25% or more"), N_("each owner's")),
    "directors": (N_("each director"), N_("each director's")),
    "executives": (N_("each executive"), N_("each executive's")),
}
SELLER_COMPANY_WORDS = {
    "company.name": N_("your company's legal name"),
    "company.tax_id": N_("your company's EIN"),
    "company.phone": N_("your company's phone number"),
    "company.address": N_("your company's registered address"),
    "company.address_kana": N_("your company's registered address in katakana"),
    "company.address_kanji": N_("your company's registered address in kanji"),
    "company.name_kana": N_("your company's legal name in katakana"),
    "company.name_kanji": N_("your company's legal name in kanji"),
    "company.structure": N_("how your company is legally set up"),
    "company.owners_provided": N_("confirmation that every owner of 25% or more is listed"),
    "company.directors_provided": N_("confirmation that every director is listed"),
    "company.executives_provided": N_("confirmation that every executive is listed"),
    "company.verification.document": N_("a company document, like the IRS letter that confirms your EIN"),
    "company.registration_number": N_("your company's registration number"),
    "company.vat_id": N_("your company's VAT number"),
    "business_profile.url": N_("your business website"),
    "business_profile.mcc": N_("your industry"),
    "business_profile.product_description": N_("a description of what you sell"),
    "business_profile.support_phone": N_("your customer support phone number"),
    "business_profile.support_email": N_("your customer support email"),
    "business_profile.name": N_("your business name"),
    "settings.payments.statement_descriptor": N_("the name on your customers' card statements"),
    "settings.card_payments.statement_descriptor_prefix": N_("the short name that starts your card statement descriptor"),
    "external_account": N_("a bank account for your payouts"),
    "tos_acceptance": N_("your acceptance of the Stripe Connected Account Agreement"),
    "business_type": N_("your business type"),
    "intervention": N_("a review that Stripe must complete with you on its secure page"),
}
SELLER_UNKNOWN_PERSON_WORDS = N_("more information about you")
OTHERS_UNKNOWN_PERSON_WORDS = N_("more information about %(person)s")
SELLER_UNKNOWN_ACCOUNT_WORDS = N_("more information about your business")


def _seller_country_words(country: str | None) -> tuple[dict, dict, dict]:
    """_country_words for the seller: (the seller's own person words, someone else's, company words)."""
    if not countries.supported(country) or country.upper() == "US":
        return {}, {}, {}
    data = countries.get(country)
    label = data.id_number.label if data.id_number else None
    mine = {"id_number": _("your %(number)s", number=label) if label else _("your national ID number"),
            "verification.document": _("a photo of your ID (passport, national ID card or driving licence)")}
    others = {"id_number": (N_("%(owner)s %(number)s"), {"number": label}) if label
              else (N_("%(owner)s national ID number"), {}),
              "verification.document": (N_("a photo of %(owner)s ID (passport, national ID card or driving licence)"), {})}
    company = {
        "company.tax_id": _("your company's %(number)s", number=data.tax_id.label),
        "company.verification.document": _("a company document, like your company's certificate of registration"),
        "company.tax_id_registrar": _("the register court (Registergericht) that keeps your company's register entry"),
    }
    for key, number in (("company.registration_number", data.registration_number), ("company.vat_id", data.vat_id)):
        if number:
            company[key] = _("your company's %(number)s", number=number.label)
    return mine, others, company


def _seller_person_words(rest: str, root: str, person: str | None, names: dict[str, str], country: str | None,
                         pending: bool) -> str:
    """A person field in the seller's words and language ("your date of birth", "Jenny Rosen's
    date of birth", "each owner's date of birth")."""
    mine, others, _company = _seller_country_words(country)
    if root == "individual":
        if pending and rest in SELLER_PENDING_WORDS:
            return _(SELLER_PENDING_WORDS[rest])
        found = mine.get(rest) or mine.get(rest.split(".")[0])
        if found:
            return found
        template = SELLER_WORDS.get(rest) or SELLER_WORDS.get(rest.split(".")[0])
        return _(template) if template else _(SELLER_UNKNOWN_PERSON_WORDS)
    if person in MISSING_PEOPLE_WORDS:
        who, possessive = (_(words) for words in MISSING_PEOPLE_WORDS[person])
    elif name := names.get(person or ""):
        who, possessive = name, _("%(name)s's", name=name)
    else:
        who, possessive = _("a person on your account"), _("a person's")
    if pending and rest in OTHERS_PENDING_WORDS:
        return _(OTHERS_PENDING_WORDS[rest], person=who)
    local = others.get(rest) or others.get(rest.split(".")[0])
    if local:
        return _(local[0], owner=possessive, **local[1])
    template = OTHERS_WORDS.get(rest) or OTHERS_WORDS.get(rest.split(".")[0])
    if template is None:
        return _(OTHERS_UNKNOWN_PERSON_WORDS, person=who)
    return _(template, owner=possessive) if "%(owner)s" in template else _(template, person=who)


def _country_words(country: str | None) -> tuple[dict, dict]:
    """(person words, company words) that name the country's own numbers and documents: the
    SIN in Canada, the Company Number in the UK; the US words are the tables above."""
    if not countries.supported(country) or country.upper() == "US":
        return {}, {}
    data = countries.get(country)
    id_words = f"{{whose}} {data.id_number.label}" if data.id_number else "{whose} national ID number"
    person = {"id_number": id_words, "verification.document": "a photo of {whose} ID (passport, national ID card or driving licence)"}
    company = {
        "company.tax_id": f"{{company}} {data.tax_id.label}",
        "company.registration_number": (f"{{company}} {data.registration_number.label}" if data.registration_number
                                        else "{company} registration number"),
        "company.tax_id_registrar": "the register court (Registergericht) that keeps {company} register entry",
        "company.vat_id": f"{{company}} {data.vat_id.label}" if data.vat_id else "{company} VAT number",
        "company.verification.document": "a company document, like {company} certificate of registration",
    }
    return person, company


# A key no table names (Stripe adds requirements over time): still words, never the raw key.
UNKNOWN_PERSON_WORDS = "more information about {whose_object}"
UNKNOWN_ACCOUNT_WORDS = "more information about {whose} business"
NOT_COLLECTABLE = {"intervention", "person.verification.proof_of_liveness", "individual.verification.proof_of_liveness"}


@dataclass
class Requirement:
    keys: list[str]
    path: str
    words: str
    bucket: str
    label: str
    deadline: int | None
    person: str | None  # person_<id>, or representative/owners/... for people not added yet
    errors: list[str] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)
    collectable: bool = True
    staff_words: str = ""  # the same requirement as staff read it ("the seller's ID")


# Who owns the account, in the seller's words and in staff's.
SELLER_OWNER = {"whose": "your", "whose_subject": "you are", "whose_object": "you", "whose_given": "you gave",
                "company": "your company's", "whose_customers": "your customers'", "account": "your account",
                "whose_subject_sells": "you sell"}
STAFF_OWNER = {"whose": "the seller's", "whose_subject": "the seller is", "whose_object": "the seller",
               "whose_given": "the seller gave", "company": "the company's", "whose_customers": "the seller's customers'",
               "account": "the seller's account",
               "whose_subject_sells": "the seller sells"}


def _owner_words(path: str, person: str | None, names: dict[str, str], table: dict[str, str], owner: dict[str, str]) -> str:
    root, _, rest = path.partition(".")
    rest = rest.removeprefix("address.") if rest.startswith("address.") else rest
    rest = "address" if rest in ("line1", "line2", "city", "state", "postal_code", "country") else rest
    if root == "individual":
        who = owner
    elif person in MISSING_PEOPLE:
        noun, possessive = MISSING_PEOPLE[person]
        who = {"whose": possessive, "whose_subject": f"{noun} is", "whose_object": noun, "whose_given": f"given for {noun}"}
    else:
        name = names.get(person or "")
        noun, possessive = (name, f"{name}'s") if name else (f"a person on {owner['account']}", "a person's")
        who = {"whose": possessive, "whose_subject": f"{noun} is", "whose_object": noun, "whose_given": f"given for {noun}"}
    template = table.get(rest) or table.get(rest.split(".")[0]) or WORDS.get(rest) or WORDS.get(rest.split(".")[0])
    return (template or UNKNOWN_PERSON_WORDS).format(**who)


def describe(key: str, names: dict[str, str] | None = None, *, table: dict[str, str] | None = None,
             for_staff: bool = False, country: str | None = None) -> tuple[str, str, str | None]:
    """(canonical path, words, person) for one requirement key; `table` overrides WORDS (the
    pending list names what was given rather than what is asked). The words speak to the seller
    ("your ID"), or with for_staff about them ("the seller's ID"), from the same tables;
    `country` (the account's) names its own id numbers and documents."""
    # A page describes each of its requirements twice (seller's and staff's words) on every view:
    # the words depend only on these arguments and the language they are written in, so each
    # combination is worked out once. `table` keeps None apart from empty: None asks for what is
    # due, a table (even empty) for what was given.
    return _described(key, tuple(sorted(names.items())) if names else (),
                      None if table is None else tuple(table.items()), for_staff, country, current_locale())


@functools.lru_cache(maxsize=8192)
def _described(key: str, names: tuple, table: tuple | None, for_staff: bool, country: str | None,
               language: str) -> tuple[str, str, str | None]:
    pending = table is not None
    names, table = dict(names), dict(table or ())
    owner = STAFF_OWNER if for_staff else SELLER_OWNER
    path = stripe_errors.field_for_param(key)
    person = stripe_errors.person_for_requirement(key) or (key.split(".")[0] if key.split(".")[0] in MISSING_PEOPLE else None)
    if not for_staff:
        return path, _seller_words(path, person, names, country, pending=pending), person
    person_words, company_words = _country_words(country)
    if path.startswith(("individual.", "person.")) and path not in COMPANY_WORDS:
        return path, _owner_words(path, person, names, {**person_words, **table}, owner), person
    root, _, part = path.rpartition(".")
    collapsed = root if root.rsplit(".", 1)[-1].startswith("address") and root.count(".") >= 1 else path
    words = company_words.get(collapsed) or COMPANY_WORDS.get(collapsed) or COMPANY_WORDS.get(path) or UNKNOWN_ACCOUNT_WORDS
    return path, words.format(**owner), person


def _seller_words(path: str, person: str | None, names: dict[str, str], country: str | None, *, pending: bool) -> str:
    if path.startswith(("individual.", "person.")) and path not in COMPANY_WORDS:
        root, _dot, rest = path.partition(".")
        rest = rest.removeprefix("address.") if rest.startswith("address.") else rest
        rest = "address" if rest in ("line1", "line2", "city", "state", "postal_code", "country") else rest
        return _seller_person_words(rest, root, person, names, country, pending)
    # An address part names its address, in whichever script (company.address_kana.city).
    root = path.rpartition(".")[0]
    collapsed = root if root.rsplit(".", 1)[-1].startswith("address") and root.count(".") >= 1 else path
    local = _seller_country_words(country)[2]
    if words := local.get(collapsed):
        return words
    template = SELLER_COMPANY_WORDS.get(collapsed) or SELLER_COMPANY_WORDS.get(path) or SELLER_UNKNOWN_ACCOUNT_WORDS
    return _(template)


def has_words(key: str, country: str | None = None) -> bool:
    """Whether the portal knows this key, rather than describing it in general terms."""
    words = describe(key, {}, for_staff=True, country=country)[1]
    return words != UNKNOWN_ACCOUNT_WORDS.format(**STAFF_OWNER) and not words.startswith("more information about")


def actions_required(account: dict, capabilities: dict | None = None, names: dict[str, str] | None = None,
                     model: requirement_model.Requirements | None = None) -> list[Requirement]:
    """Everything Stripe asks of this account, grouped by what the seller does, in Dashboard order.
    `model`: requirement_model.of(account, capabilities) when the caller has it already."""
    found: dict[tuple[str, str], Requirement] = {}
    listed: set[tuple[str, str]] = set()  # (words, person) of each requirement in `found`
    model = model if model is not None else requirement_model.of(account, capabilities)
    for bucket, future, label in BUCKETS:
        for need in model.needs:
            if need.status != bucket or need.future != future:
                continue
            key = need.key
            path, words, person = describe(key, names, country=account.get("country"))
            group = (words, person or "")
            if group in listed:
                continue  # already listed in a more urgent bucket
            requirement = found.get((label, words))
            if requirement is None:
                requirement = found[(label, words)] = Requirement(
                    keys=[], path=path, words=words, bucket=bucket, label=label,
                    deadline=need.deadline, person=person,
                    collectable=path not in NOT_COLLECTABLE, staff_words=describe(key, names, for_staff=True)[1],
                )
                listed.add(group)
            if key in requirement.keys:
                continue
            requirement.keys.append(key)
            requirement.errors.extend(stripe_errors.requirement_error(e.as_stripe(), country=account.get("country")).message
                                      for e in model.errors_for([key]))
            affected = {_(CAPABILITY_NAMES[c]) if c in CAPABILITY_NAMES else c.replace("_", " ") for c in model.restricting(key)}
            requirement.capabilities = sorted(set(requirement.capabilities) | affected)
    return list(found.values())


def pending(account: dict, names: dict[str, str] | None = None, model: requirement_model.Requirements | None = None) -> list[str]:
    """What Stripe is checking right now, in words, each once (`model`: as actions_required's)."""
    words = []
    for key in (model if model is not None else requirement_model.of(account)).keys(PENDING):
        described = describe(key, names, table=PENDING_WORDS if account.get("country", "US") == "US" else None,
                             country=account.get("country"))[1]
        if described not in words:
            words.append(described)
    return words


def checking(account: dict | None, key: str) -> bool:
    """Whether Stripe is verifying `key` right now."""
    return key in requirement_model.of(account).keys(PENDING)


CAPABILITY_NAMES = {"card_payments": N_("card payments"), "transfers": N_("payouts and transfers")}


def notice_items(account: dict, model: requirement_model.Requirements | None = None) -> set[str]:
    """What a seller is emailed about: each due key and each error, so every new one is mailed once.
    `model`: requirement_model.of(account) when the caller has it."""
    model = model if model is not None else requirement_model.of(account)
    items = {f"due:{key}" for key in model.keys(*requirement_model.DUE_NOW)}
    items |= {f"error:{e.key}:{e.code}" for e in model.current_errors()}
    return items
