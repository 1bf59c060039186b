"""Everything a status page shows about one seller's account, read from the mirror alone:
rendering it never calls Stripe. The seller's status page and the staff console share it."""

from dataclasses import dataclass, field

from sqlmodel import select

from portal.connect import account_settings, payout_holds, requirements
from portal.connect.models import AccountBalance, ConnectedAccount
from portal.connect.status import AccountStatus, summarize
from portal.db import Database
from portal.onboarding.models import DraftPerson


@dataclass
class AccountView:
    seller_id: int
    account: ConnectedAccount | None
    status: AccountStatus
    actions: list[requirements.Requirement] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    holds: list[payout_holds.Hold] = field(default_factory=list)
    balance: AccountBalance | None = None
    bank: dict | None = None
    # What our staff changed in the account's settings lately, in words (account_settings.py).
    staff_changes: list[account_settings.StaffChange] = field(default_factory=list)

    @property
    def capabilities(self) -> dict:
        return (self.account.snapshot.get("capabilities") or {}) if self.account else {}

    @property
    def settings(self) -> account_settings.Summary:
        """The payout schedule, profile and capabilities in words (issue 10)."""
        return account_settings.summary(self.account, held=bool(self.holds))

    @property
    def due_now(self) -> list[requirements.Requirement]:
        return [r for r in self.actions if r.bucket in ("past_due", "currently_due") and r.label != "Coming up"]


def person_names(db: Database, seller_id: int) -> dict[str, str]:
    with db.transaction() as session:
        people = session.exec(select(DraftPerson).where(DraftPerson.seller_id == seller_id)).all()
    return {
        p.stripe_person_id: f"{p.answers.get('first_name', '')} {p.answers.get('last_name', '')}".strip()
        for p in people if p.stripe_person_id
    }


def account_view(db: Database, seller_id: int) -> AccountView:
    with db.transaction() as session:
        account = session.exec(select(ConnectedAccount).where(ConnectedAccount.seller_id == seller_id)).first()
        balance = session.get(AccountBalance, account.stripe_account_id) if account else None
    holds = payout_holds.active_holds(db, seller_id)
    if account is None:
        return AccountView(seller_id, None, summarize(None), holds=holds)
    changes = account_settings.staff_changes(db, seller_id)
    names = person_names(db, seller_id)
    snapshot = account.snapshot
    banks = (snapshot.get("external_accounts") or {}).get("data") or []
    return AccountView(
        seller_id=seller_id,
        account=account,
        status=summarize(snapshot),
        actions=requirements.actions_required(snapshot, account.capabilities, names),
        pending=requirements.pending(snapshot, names),
        holds=holds,
        balance=balance,
        bank=banks[0] if banks else None,
        staff_changes=changes,
    )
