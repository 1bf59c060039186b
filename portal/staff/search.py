"""Finding sellers: free-text search over what we know of each, and risk filters.

The matching and the flags are pure functions over plain data; `search` gathers the data from
the mirror (Stripe's snapshot, balances, disputes, charges), the onboarding draft, the business
email check and the payout holds. It reads every seller and filters in Python: fine for
thousands of sellers; past that it wants SQL-side text search."""

from dataclasses import dataclass, field

from sqlmodel import func, select

from portal import countries
from portal.accounts.models import Seller
from portal.connect import payout_holds, requirement_model
from portal.connect.models import AccountBalance, AccountClosure, ChargeRecord, ConnectedAccount, DisputeRecord
from portal.connect.status import AccountStatus, State, summarize
from portal.db import Database
from portal.onboarding.models import BusinessEmail, OnboardingDraft

# Stripe treats a dispute rate above 0.75% as excessive.
EXCESSIVE_DISPUTE_RATE = 0.0075

FILTERS = {
    "setting_up": "Still setting up",
    "action_required": "Action required",
    "past_due": "Past due",
    "restricted": "Restricted",
    "pending_review": "Pending review",
    "rejected": "Rejected",
    "negative_balance": "Negative balance",
    "high_dispute_rate": "Dispute rate above 0.75%",
    "payouts_paused": "Payouts paused",
    "email_unconfirmed": "Business email unconfirmed",
    "closing": "Asked to close, or closing",
}


# The country filter offers every country the portal onboards, by name.
COUNTRY_CHOICES = tuple((c.code, c.name) for c in sorted(countries.COUNTRIES.values(), key=lambda c: c.name))


@dataclass
class SellerFacts:
    seller_id: int
    email: str
    name: str
    account_id: str
    website: str
    status: AccountStatus
    past_due: bool
    hold_reasons: list[str]
    negative_balance: bool
    dispute_rate: float | None
    disputes: int
    charges: int
    business_email_confirmed: bool
    closure_state: str | None = None  # requested, closing, closed, erased (portal/connect/closing.py)
    country: str = ""  # ISO code: the Stripe account's, else what the seller picked in the form; "" before that
    text: str = ""
    flags: set[str] = field(default_factory=set)

    @property
    def country_name(self) -> str:
        return country_name(self.country)


def strings_in(value) -> list[str]:
    """Every string inside nested dicts and lists (drafts, metadata, the snapshot's profile)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings_in(item)]
    if isinstance(value, list):
        return [text for item in value for text in strings_in(item)]
    return []


def display_name(snapshot: dict, answers: dict, email: str) -> str:
    profile = snapshot.get("business_profile") or {}
    company = snapshot.get("company") or {}
    person = snapshot.get("individual") or {}
    person_name = " ".join(part for part in (person.get("first_name"), person.get("last_name")) if part)
    drafted = (answers.get("profile") or {}).get("dba") or (answers.get("company") or {}).get("name")
    return profile.get("name") or company.get("name") or drafted or person_name or email


@dataclass(frozen=True)
class SellerName:
    """How a list names a seller beside an account id: the business name and the sign-in email."""

    name: str
    email: str


def names_of(db: Database, seller_ids: set[int]) -> dict[int, SellerName]:
    """Names for the sellers a list shows (negative balances, money movements), in three reads."""
    if not seller_ids:
        return {}
    with db.transaction() as session:
        sellers = session.exec(select(Seller).where(Seller.id.in_(seller_ids))).all()
        snapshots = dict(session.exec(select(ConnectedAccount.seller_id, ConnectedAccount.snapshot)
                                      .where(ConnectedAccount.seller_id.in_(seller_ids))).all())
        answers = dict(session.exec(select(OnboardingDraft.seller_id, OnboardingDraft.answers)
                                    .where(OnboardingDraft.seller_id.in_(seller_ids))).all())
    return {seller.id: SellerName(display_name(snapshots.get(seller.id) or {}, answers.get(seller.id) or {}, seller.email),
                                  seller.email) for seller in sellers}


def flags_for(facts: SellerFacts) -> set[str]:
    """Which filters a seller falls under. Pure."""
    state = facts.status.state
    flags = set()
    if state == State.setting_up:
        flags.add("setting_up")  # what Stripe lists is the rest of the seller's own form
    elif state == State.action_needed or (facts.status.due_count and state != State.rejected):
        flags.add("action_required")
    if facts.past_due:
        flags.add("past_due")
    if state == State.restricted or (facts.status.restricted and state != State.not_started):
        flags.add("restricted")
    if state == State.pending_review:
        flags.add("pending_review")
    if state == State.rejected:
        flags.add("rejected")
    if facts.negative_balance:
        flags.add("negative_balance")
    if facts.dispute_rate is not None and facts.dispute_rate > EXCESSIVE_DISPUTE_RATE:
        flags.add("high_dispute_rate")
    if any(reason != payout_holds.BUSINESS_EMAIL for reason in facts.hold_reasons):
        flags.add("payouts_paused")
    if not facts.business_email_confirmed:
        flags.add("email_unconfirmed")
    if facts.closure_state in ("requested", "closing"):
        flags.add("closing")
    return flags


def country_of(snapshot: dict, answers: dict) -> str:
    """The seller's country: Stripe's account once there is one, else the onboarding form's choice."""
    return str(snapshot.get("country") or (answers.get("business") or {}).get("country") or "").upper()[:2]


def country_name(code: str) -> str:
    return countries.get(code).name if countries.supported(code) else code


def matches(facts: SellerFacts, query: str) -> bool:
    """Every word of the query appears somewhere in what we know of the seller. Pure."""
    words = query.lower().split()
    return all(word in facts.text for word in words)


def gather(db: Database, seller_id: int | None = None) -> list[SellerFacts]:
    def rows(model, column):
        query = select(model) if seller_id is None else select(model).where(column == seller_id)
        return session.exec(query).all()

    with db.transaction() as session:
        sellers = rows(Seller, Seller.id)
        drafts = {row.seller_id: row for row in rows(OnboardingDraft, OnboardingDraft.seller_id)}
        emails = {row.seller_id: row for row in rows(BusinessEmail, BusinessEmail.seller_id)}
        mirrors = {row.seller_id: row for row in rows(ConnectedAccount, ConnectedAccount.seller_id)}
        closures = {row.seller_id: row.state for row in rows(AccountClosure, AccountClosure.seller_id)}
        balances = {row.stripe_account_id: row for row in session.exec(select(AccountBalance)).all()}
        disputes = dict(session.exec(select(DisputeRecord.stripe_account_id, func.count())
                                     .group_by(DisputeRecord.stripe_account_id)).all())
        charges = dict(session.exec(select(ChargeRecord.stripe_account_id, func.count())
                                    .group_by(ChargeRecord.stripe_account_id)).all())
    found = []
    for seller in sellers:
        mirror = mirrors.get(seller.id)
        snapshot = mirror.snapshot if mirror else {}
        account_id = mirror.stripe_account_id if mirror else ""
        answers = drafts[seller.id].answers if seller.id in drafts else {}
        business = emails.get(seller.id)
        balance = balances.get(account_id)
        dispute_count, charge_count = disputes.get(account_id, 0), charges.get(account_id, 0)
        holds = payout_holds.active_holds(db, seller.id)
        profile = snapshot.get("business_profile") or {}
        facts = SellerFacts(
            seller_id=seller.id, email=seller.email, name=display_name(snapshot, answers, seller.email),
            account_id=account_id, website=profile.get("url") or (business.website if business else ""),
            status=summarize(snapshot or None),
            past_due=bool(requirement_model.of(snapshot).keys(requirement_model.PAST_DUE)),
            hold_reasons=[hold.reason for hold in holds],
            negative_balance=bool(balance and any(item.get("amount", 0) < 0 for item in balance.available)),
            dispute_rate=(dispute_count / charge_count) if charge_count else None,
            disputes=dispute_count, charges=charge_count,
            business_email_confirmed=bool(business and business.confirmed_at),
            closure_state=closures.get(seller.id), country=country_of(snapshot, answers),
        )
        facts.text = " ".join([
            seller.email, account_id, facts.name, facts.website, country_name(facts.country),
            *(strings_in(answers)), *(strings_in(snapshot.get("metadata") or {})),
            *(strings_in(profile)), *(strings_in(snapshot.get("company") or {})),
            *(strings_in({key: value for key, value in (snapshot.get("individual") or {}).items()
                          if key in ("first_name", "last_name", "email")})),
            business.email if business else "",
        ]).lower()
        facts.flags = flags_for(facts)
        found.append(facts)
    return found


def search(db: Database, query: str, wanted: set[str], country: str = "") -> list[SellerFacts]:
    """Sellers matching every word of the query, under every wanted filter, and in `country` if given."""
    results = [facts for facts in gather(db) if matches(facts, query) and wanted <= facts.flags
               and (not country or facts.country == country)]
    return sorted(results, key=lambda facts: facts.seller_id, reverse=True)[:200]
