"""Requirement keys the portal does not know yet: Stripe's requirements change (its API-onboarding
guide asks platforms to review their flows at least every six months), so an account may ask for a
key that no words name (requirements.has_words) or that no form of the portal collects
(remediation.plan sends it to Stripe's hosted page though nothing says it must go there).

The seller is never stuck on one: the status page sends them to Stripe's hosted page for it
(connect/routes.stripe_hosted). Staff see every such key on a console page, computed from the
mirrored requirements; the only thing stored is when each seller's account first asked for each
key (UnfamiliarRequirement), noted by mirror.py in the transaction that takes the snapshot."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import select

from portal import countries
from portal.connect import remediation, requirements
from portal.connect.models import ConnectedAccount, UnfamiliarRequirement
from portal.db import Database
from portal.onboarding import stripe_errors

NO_WORDS = "no_words"
NO_FIELD = "no_field"
WHY = {
    NO_WORDS: "No words: the status page says only \"more information\"",
    NO_FIELD: "No field: the portal's forms can't collect it, so the seller is sent to Stripe's page",
}
LISTS = ("past_due", "currently_due", "eventually_due")


def keys_asked(account: dict) -> list[str]:
    """Every key the account's requirements and future requirements list as due, now or later."""
    keys = []
    for source in ("requirements", "future_requirements"):
        for name in LISTS:
            keys.extend((account.get(source) or {}).get(name) or [])
    return list(dict.fromkeys(keys))


def canonical(key: str) -> str:
    """One name for a key whoever it is about: `person_abc.nationality` -> `person.nationality`."""
    return stripe_errors.field_for_param(key)


def unfamiliar_keys(account: dict, only: set[str] | None = None) -> dict[str, str]:
    """{canonical key: NO_WORDS or NO_FIELD} for what this account asks that the portal can't name
    or collect, among the keys `only` names if given (the cost grows with the keys looked at). What
    only Stripe can take by design (risk reviews, selfie checks) is not unfamiliar. Pure."""
    if only is not None:
        account = {**account, **{source: {name: [key for key in (account.get(source) or {}).get(name) or [] if key in only]
                                          for name in LISTS} for source in ("requirements", "future_requirements")}}
    country = account.get("country")
    found: dict[str, str] = {}
    for key in keys_asked(account):
        if not requirements.has_words(key, country):
            found.setdefault(canonical(key), NO_WORDS)
    plan = remediation.plan(requirements.actions_required(account), countries.of_account(account))
    for item in plan.elsewhere:
        if item.where == "stripe" and item.requirement.collectable:
            for key in item.requirement.keys:
                found.setdefault(canonical(key), NO_FIELD)
    return found


@dataclass
class Asker:
    """One seller whose account asks for the key."""

    seller_id: int
    account_id: str
    country: str
    first_seen_at: datetime | None


@dataclass
class UnfamiliarKey:
    key: str
    why: str
    sellers: list[Asker] = field(default_factory=list)

    @property
    def why_words(self) -> str:
        return WHY[self.why]

    @property
    def first_seen_at(self) -> datetime | None:
        return min((s.first_seen_at for s in self.sellers if s.first_seen_at), default=None)

    @property
    def countries(self) -> list[str]:
        return sorted({s.country for s in self.sellers if s.country})


def report(db: Database) -> list[UnfamiliarKey]:
    """Every unfamiliar key the mirrored accounts ask for now, the most sellers first. Reads every
    snapshot (as the seller search does): fine for thousands of sellers."""
    with db.read() as session:
        accounts = session.exec(select(ConnectedAccount.seller_id, ConnectedAccount.stripe_account_id,
                                       ConnectedAccount.snapshot)).all()
        seen = {(row.key, row.seller_id): row.first_seen_at for row in session.exec(select(UnfamiliarRequirement)).all()}
    found: dict[str, UnfamiliarKey] = {}
    for seller_id, account_id, snapshot in accounts:
        for key, why in unfamiliar_keys(snapshot or {}).items():
            entry = found.setdefault(key, UnfamiliarKey(key, why))
            entry.sellers.append(Asker(seller_id, account_id, str((snapshot or {}).get("country") or ""),
                                       seen.get((key[:200], seller_id))))
    return sorted(found.values(), key=lambda entry: (-len(entry.sellers), entry.key))
