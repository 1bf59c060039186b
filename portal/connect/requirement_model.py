"""One requirement model: what Stripe asks of an account, whichever Accounts API told us.

Two adapters make it from what the Stripe door returns: `from_v1` reads v1's
`requirements` / `future_requirements` lists (and the capability objects that say what each key
restricts), `from_v2` reads v2's `requirements.entries` / `future_requirements.entries`. Status,
remediation, mails, the staff desk and the words read `of(account)`, never Stripe's raw lists.

Keys are in the portal's vocabulary, which is v1's (`individual.dob.day`,
`person_<id>.address.city`): the words tables, the forms and the error mapping all know it. The
v2 adapter turns an entry's `description` (v2's parameter path) and `reference` (the person) into
that vocabulary. Pure: dicts in, values out."""

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

PAST_DUE, CURRENTLY_DUE, EVENTUALLY_DUE, PENDING = "past_due", "currently_due", "eventually_due", "pending"
DUE_NOW = (CURRENTLY_DUE, PAST_DUE)
SELLER, STRIPE = "seller", "stripe"


@dataclass(frozen=True)
class Error:
    """Why Stripe refused what was given (or needs it again): its code and its own reason."""

    key: str
    code: str
    reason: str
    future: bool = False

    def as_stripe(self) -> dict:
        """The v1 error shape stripe_errors.requirement_error explains."""
        return {"requirement": self.key, "code": self.code, "reason": self.reason}


@dataclass(frozen=True)
class Need:
    """One thing Stripe asks for."""

    key: str
    status: str  # past_due, currently_due, eventually_due, or pending (Stripe is checking it)
    future: bool = False  # from future_requirements: what a coming change will ask for
    awaiting: str = SELLER  # who must act: the seller (through the portal) or Stripe
    person: str | None = None  # person_<id> when the key is about one of the account's people
    deadline: int | None = None  # when it restricts the account (seconds since the epoch)
    restricts: tuple[str, ...] = ()  # capability ids it holds back (card_payments, transfers)


@dataclass(frozen=True)
class Requirements:
    needs: tuple[Need, ...] = ()
    errors: tuple[Error, ...] = ()
    deadline: int | None = None  # the account's current deadline for what is due now
    disabled_reason: str | None = None

    def keys(self, *statuses: str, future: bool = False) -> list[str]:
        """Keys with any of these statuses, each once, in Stripe's order."""
        found: list[str] = []
        for need in self.needs:
            if need.status in statuses and need.future == future and need.key not in found:
                found.append(need.key)
        return found

    def current_errors(self) -> list[Error]:
        return [error for error in self.errors if not error.future]

    def errors_for(self, keys) -> list[Error]:
        wanted = set(keys)
        return [error for error in self.errors if error.key in wanted]

    def asks_for(self, key: str) -> bool:
        """Whether Stripe names `key` at all, now or later, due, pending or with an error."""
        return any(need.key == key for need in self.needs) or any(error.key == key for error in self.errors)

    def restricting(self, key: str) -> list[str]:
        found: list[str] = []
        for need in self.needs:
            if need.key == key:
                found += [capability for capability in need.restricts if capability not in found]
        return sorted(found)


def of(account: dict | None, capabilities: dict | None = None) -> Requirements:
    """The model for a mirrored account, from whichever API the door read it with."""
    if not account:
        return Requirements()
    if account.get(V2_KEY):
        return from_v2(account[V2_KEY], disabled_reason=(account.get("requirements") or {}).get("disabled_reason"))
    return from_v1(account, capabilities)


# v1: lists of keys per status, errors beside them, the capabilities' own lists say what each restricts.

V1_LISTS = ((PAST_DUE, PAST_DUE), (CURRENTLY_DUE, CURRENTLY_DUE), (EVENTUALLY_DUE, EVENTUALLY_DUE),
            ("pending_verification", PENDING))


# Working out the model was most of applying an account.updated (~80 us). An account's lists change
# far less often than its events arrive, and accounts at the same step share them: the model of
# each set of lists is worked out once and kept, the lists themselves being the key (so a change
# to any of them is a different model, never a stale one). Models are immutable, so shared.
MODELS_KEPT = 512


def from_v1(account: dict, capabilities: dict | None = None) -> Requirements:
    lists = (_v1_lists(account.get("requirements")), _v1_lists(account.get("future_requirements")),
             tuple((capability_id, _v1_lists((capability or {}).get("requirements"), errors=False))
                   for capability_id, capability in (capabilities or {}).items()))
    try:
        return _from_v1(*lists)
    except TypeError:  # something unhashable where Stripe sends strings: not kept
        return _from_v1.__wrapped__(*lists)


def _v1_lists(lists: dict | None, *, errors: bool = True) -> tuple:
    """(the keys of each of V1_LISTS, the deadline, the disabled reason, the errors) as tuples."""
    lists = lists or {}
    return (tuple(tuple(lists.get(name) or ()) for name, _status in V1_LISTS),
            lists.get("current_deadline"), lists.get("disabled_reason"),
            tuple((str(e.get("requirement") or ""), str(e.get("code") or ""), str(e.get("reason") or ""))
                  for e in lists.get("errors") or []) if errors else ())


@lru_cache(maxsize=MODELS_KEPT)
def _from_v1(current: tuple, coming: tuple, capabilities: tuple) -> Requirements:
    needs, errors = [], []
    for (keys_by_status, deadline, _reason, errors_listed), future in ((current, False), (coming, True)):
        for (_name, status), keys in zip(V1_LISTS, keys_by_status):
            for key in keys:
                needs.append(Need(
                    key=key, status=status, future=future, awaiting=STRIPE if status == PENDING else SELLER,
                    person=_person(key), deadline=deadline, restricts=_v1_restricts(key, capabilities),
                ))
        errors += [Error(requirement, code, reason, future) for requirement, code, reason in errors_listed]
    return Requirements(tuple(needs), tuple(errors), current[1], current[2])


# The lists of a capability's requirements that mean a key restricts it.
RESTRICTING = tuple(index for index, (name, _status) in enumerate(V1_LISTS) if name in (CURRENTLY_DUE, PAST_DUE, EVENTUALLY_DUE))


def _v1_restricts(key: str, capabilities: tuple) -> tuple[str, ...]:
    return tuple(capability_id for capability_id, (keys_by_status, *_rest) in capabilities
                 if any(key in keys_by_status[index] for index in RESTRICTING))


def _person(key: str) -> str | None:
    head = key.split(".")[0]
    return head if head.startswith("person_") else None


# v2: one entry per requirement, with its own deadline status, who must act, what it restricts,
# its errors and the person it references.

# Where the Stripe door keeps the v2 account's requirement sections inside the mirrored account.
V2_KEY = "accounts_v2"
# v2 capabilities as the v1 capability ids the portal names (CAPABILITY_NAMES in requirements.py).
V2_CAPABILITIES = {"card_payments": "card_payments", "stripe_balance.payouts": "transfers",
                   "stripe_balance.stripe_transfers": "transfers"}
# v2 parameter paths -> v1 requirement keys, longest prefix first. v2's account holds the
# business in `identity.business_details`, the individual in `identity.individual`, the
# terms in `identity.attestations`; a person entry names the person in `reference` and its
# field relative to the person.
V2_PREFIXES = (
    ("identity.attestations.terms_of_service.account", "tos_acceptance"),
    ("identity.attestations.persons_provided.owners", "company.owners_provided"),
    ("identity.attestations.persons_provided.directors", "company.directors_provided"),
    ("identity.attestations.persons_provided.executives", "company.executives_provided"),
    ("identity.business_details.registered_name", "company.name"),
    ("identity.business_details.id_numbers", "company.tax_id"),
    ("identity.business_details.documents", "company.verification.document"),
    ("identity.business_details", "company"),
    ("identity.individual", "individual"),
    ("identity.entity_type", "business_type"),
    ("defaults.profile.business_url", "business_profile.url"),
    ("defaults.profile.product_description", "business_profile.product_description"),
    ("defaults.profile.doing_business_as", "business_profile.name"),
    ("configuration.merchant.mcc", "business_profile.mcc"),
    ("configuration.merchant.statement_descriptor", "settings.payments.statement_descriptor"),
    ("configuration.merchant.support.phone", "business_profile.support_phone"),
    ("configuration.merchant.support.email", "business_profile.support_email"),
    ("configuration.recipient.default_outbound_destination", "external_account"),
    ("defaults.payout_methods", "external_account"),
)
# Person and individual fields renamed between the APIs (v2 name -> v1 name).
V2_FIELDS = {"given_name": "first_name", "surname": "last_name", "date_of_birth": "dob",
             "id_numbers": "id_number", "documents": "verification.document"}


def v1_key(description: str, reference: dict | None = None) -> tuple[str, str | None]:
    """(v1 key, person_<id> or None) for a v2 entry's description and reference."""
    reference = reference or {}
    person = reference.get("resource") if reference.get("type") == "person" else None
    key = description
    for prefix, replacement in V2_PREFIXES:
        if key == prefix or key.startswith(prefix + "."):
            key = replacement + key[len(prefix):]
            break
    head, _, rest = key.partition(".")
    if head in ("individual", "person") or person:
        segments = (rest if head in ("individual", "person") else key).split(".")
        renamed = ".".join(V2_FIELDS.get(segment, segment) for segment in segments)
        key = f"{person}.{renamed}" if person else f"individual.{renamed}"
    return key, person


def from_v2(sections: dict, *, disabled_reason: str | None = None) -> Requirements:
    needs, errors, deadline = [], [], None
    for source, future in (("requirements", False), ("future_requirements", True)):
        block = sections.get(source) or {}
        moment = _moment(((block.get("summary") or {}).get("minimum_deadline") or {}).get("time"))
        if not future:
            deadline = moment
        for entry in block.get("entries") or []:
            key, person = v1_key(str(entry.get("description") or ""), entry.get("reference"))
            stripe_acts = entry.get("awaiting_action_from") == "stripe"
            status = PENDING if stripe_acts else (entry.get("minimum_deadline") or {}).get("status") or CURRENTLY_DUE
            restricts = []
            for impact in (entry.get("impact") or {}).get("restricts_capabilities") or []:
                capability = V2_CAPABILITIES.get(impact.get("capability"), impact.get("capability"))
                if capability not in restricts:
                    restricts.append(capability)
            needs.append(Need(key=key, status=status, future=future, awaiting=STRIPE if stripe_acts else SELLER,
                              person=person, deadline=moment if status in DUE_NOW else None,
                              restricts=tuple(restricts)))
            errors += [Error(key, str(e.get("code") or ""), str(e.get("description") or ""), future)
                       for e in entry.get("errors") or []]
    order = {PAST_DUE: 0, CURRENTLY_DUE: 1, EVENTUALLY_DUE: 2, PENDING: 3}
    needs.sort(key=lambda need: order.get(need.status, 4))
    # v1's currently_due also lists what is past due, and its eventually_due everything due now:
    # the model keeps that meaning for both APIs (v2 gives each entry its most urgent status).
    needs += [Need(**{**need.__dict__, "status": CURRENTLY_DUE}) for need in needs if need.status == PAST_DUE]
    needs += [Need(**{**need.__dict__, "status": EVENTUALLY_DUE}) for need in needs if need.status in DUE_NOW]
    return Requirements(tuple(needs), tuple(errors), deadline, disabled_reason)


def _moment(text: str | None) -> int | None:
    if not text:
        return None
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
