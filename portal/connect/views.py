"""Everything a status page shows about one seller's account, read from the mirror alone:
rendering it never calls Stripe. The seller's status page and the staff console share it."""

from dataclasses import dataclass, field

from sqlalchemy import bindparam
from sqlalchemy import select as select_rows
from sqlmodel import select

from portal.connect import account_settings, payout_holds, requirement_model, requirements
from portal.accounts.models import Seller
from portal.connect.models import AccountBalance, AccountClosure, ConnectedAccount
from portal.connect.status import AccountStatus, summarize
from portal.db import Database, take_row
from portal.onboarding.models import BusinessEmail, DraftPerson


@dataclass
class AccountView:
    seller_id: int
    account: ConnectedAccount | None  # a row of its table (account_view): the same attributes, read-only
    status: AccountStatus
    actions: list[requirements.Requirement] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    holds: list[payout_holds.Hold] = field(default_factory=list)
    balance: AccountBalance | None = None  # likewise a row
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


# The reads every status page makes, built once (building a statement costs more than running it),
# on the tables: a page only shows what it reads, so rows (the columns as attributes) serve, for a
# fraction of what building the models' objects costs.
ACCOUNTS, BALANCES, PEOPLE_TABLE = ConnectedAccount.__table__, AccountBalance.__table__, DraftPerson.__table__
SELLERS, EMAILS = Seller.__table__, BusinessEmail.__table__
# The account, its balance and the business email in one statement (each statement costs more than
# the rows it returns, on PostgreSQL most of all), each a row of its table's columns, or None.
ACCOUNT_BALANCE_EMAIL = (
    select_rows(*ACCOUNTS.columns, *BALANCES.columns, *EMAILS.columns).select_from(SELLERS)
    .outerjoin(ACCOUNTS, ACCOUNTS.c.seller_id == SELLERS.c.id)
    .outerjoin(BALANCES, BALANCES.c.stripe_account_id == ACCOUNTS.c.stripe_account_id)
    .outerjoin(EMAILS, EMAILS.c.seller_id == SELLERS.c.id)
    .where(SELLERS.c.id == bindparam("seller_id"))
)


def _account_balance_email(rows: list) -> tuple:
    """(account, balance, business email) of the seller from what ACCOUNT_BALANCE_EMAIL found:
    rows of their tables, or None where there is none."""
    if not rows:
        return None, None, None
    found = rows[0]
    account, at = take_row(found, 0, ACCOUNTS)
    balance, at = take_row(found, at, BALANCES)
    return account, balance, take_row(found, at, EMAILS)[0]
PEOPLE = select_rows(PEOPLE_TABLE.c.stripe_person_id, PEOPLE_TABLE.c.answers).where(PEOPLE_TABLE.c.seller_id == bindparam("seller_id"))
STAFF_CHANGES_SHOWN = 5


def person_names(people: list) -> dict[str, str]:
    """Each person's name by their Stripe id, from what PEOPLE found."""
    return {
        p.stripe_person_id: f"{p.answers.get('first_name', '')} {p.answers.get('last_name', '')}".strip()
        for p in people if p.stripe_person_id
    }


def account_view(db: Database, seller_id: int) -> AccountView:
    """One read of the mirror and what goes with it (one snapshot, no waiting on writers). The
    account, balance and business email are rows of their tables, read-only, attribute for
    attribute what the models hold."""
    return _view_from(seller_id, *db.fetch_all(*_view_reads(seller_id)))


async def read_account_view(db: Database, seller_id: int) -> AccountView:
    """account_view for a page, on the event loop (Database.read_rows)."""
    return _view_from(seller_id, *await db.read_rows(*_view_reads(seller_id)))


def _view_reads(seller_id: int) -> tuple:
    seller = {"seller_id": seller_id}
    return ((ACCOUNT_BALANCE_EMAIL, seller), (payout_holds.UNRELEASED_HOLDS, seller),
            (account_settings.STAFF_CHANGES, {**seller, "limit": STAFF_CHANGES_SHOWN}), (PEOPLE, seller))


def _view_from(seller_id: int, found: list, unreleased: list, changes: list, people: list) -> AccountView:
    account, balance, business_email = _account_balance_email(found)
    holds = payout_holds.holds_from(unreleased, business_email)
    if account is None:
        return AccountView(seller_id, None, summarize(None), holds=holds)
    snapshot = account.snapshot
    names = person_names(people)
    model = requirement_model.of(snapshot, account.capabilities)  # worked out once for the three below
    banks = (snapshot.get("external_accounts") or {}).get("data") or []
    return AccountView(
        seller_id=seller_id,
        account=account,
        status=summarize(snapshot, model),
        actions=requirements.actions_required(snapshot, account.capabilities, names, model),
        pending=requirements.pending(snapshot, names, model),
        holds=holds,
        balance=balance,
        bank=banks[0] if banks else None,
        staff_changes=account_settings.staff_changes(changes),
    )


@dataclass(frozen=True)
class Standing:
    """What every seller page needs to know about the account before it is shown: whether there
    is a Stripe account (the menu, the notification banner) and whether it is closing."""

    stripe_account_id: str | None
    closure: AccountClosure | None
    submitted: bool = False  # the seller sent the whole form (status.submitted), read without the snapshot
    version: int | None = None  # the seller's version (kept_pages.py), when the gate read it


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
