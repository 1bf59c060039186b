"""Everything a status page shows about one seller's account, read from the mirror alone:
rendering it never calls Stripe. The seller's status page and the staff console share it."""

from dataclasses import dataclass, field

from sqlalchemy import bindparam
from sqlmodel import Session, select

from portal.connect import account_settings, payout_holds, requirements
from portal.accounts.models import Seller
from portal.connect.models import AccountBalance, AccountClosure, ConnectedAccount
from portal.connect.status import AccountStatus, summarize
from portal.db import Database
from portal.onboarding.models import BusinessEmail, DraftPerson


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


# The reads every status page makes, built once (building a statement costs more than running it).
PEOPLE = select(DraftPerson).where(DraftPerson.seller_id == bindparam("seller_id"))
ACCOUNT_AND_BALANCE = (
    select(ConnectedAccount, AccountBalance, BusinessEmail).select_from(Seller)
    .outerjoin(ConnectedAccount, ConnectedAccount.seller_id == Seller.id)
    .outerjoin(AccountBalance, AccountBalance.stripe_account_id == ConnectedAccount.stripe_account_id)
    .outerjoin(BusinessEmail, BusinessEmail.seller_id == Seller.id)
    .where(Seller.id == bindparam("seller_id"))
)


def person_names(session: Session, seller_id: int) -> dict[str, str]:
    people = session.exec(PEOPLE, params={"seller_id": seller_id}).all()
    return {
        p.stripe_person_id: f"{p.answers.get('first_name', '')} {p.answers.get('last_name', '')}".strip()
        for p in people if p.stripe_person_id
    }


def account_view(db: Database, seller_id: int) -> AccountView:
    """One read of the mirror and what goes with it (one snapshot, no waiting on writers)."""
    with db.read() as session:
        found = session.exec(ACCOUNT_AND_BALANCE, params={"seller_id": seller_id}).first()
        account, balance, business_email = found or (None, None, None)
        holds = payout_holds.holds_with(session, seller_id, business_email)
        if account is None:
            return AccountView(seller_id, None, summarize(None), holds=holds)
        changes = account_settings.staff_changes(session, seller_id)
        names = person_names(session, seller_id)
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


@dataclass(frozen=True)
class Standing:
    """What every seller page needs to know about the account before it is shown: whether there
    is a Stripe account (the menu, the notification banner) and whether it is closing."""

    stripe_account_id: str | None
    closure: AccountClosure | None
    submitted: bool = False  # the seller sent the whole form (status.submitted), read without the snapshot


# When the seller accepted Stripe's agreement, the form's last step: status.submitted, in SQL.
SUBMITTED_AT = ConnectedAccount.snapshot["tos_acceptance"]["date"].as_float()
STANDING = (
    select(ConnectedAccount.stripe_account_id, AccountClosure, SUBMITTED_AT)
    .select_from(Seller)
    .outerjoin(ConnectedAccount, ConnectedAccount.seller_id == Seller.id)
    .outerjoin(AccountClosure, AccountClosure.seller_id == Seller.id)
    .where(Seller.id == bindparam("seller_id"))
)


def standing(db: Database, seller_id: int) -> Standing:
    with db.read() as session:
        found = session.exec(STANDING, params={"seller_id": seller_id}).first()
    return Standing(found[0], found[1], submitted=found[2] is not None) if found else Standing(None, None)
