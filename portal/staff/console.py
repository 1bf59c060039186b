"""Everything the staff console shows about one seller, read from our database and the mirror."""

from dataclasses import dataclass

from sqlmodel import select

from portal import audit
from portal.accounts.models import Seller
from portal.connect.models import AccountClosure, DisputeRecord, PayoutRecord
from portal.connect.views import AccountView, account_view
from portal.db import Database
from portal.onboarding.models import BusinessEmail
from portal.staff import search, service
from portal.staff.models import StaffNote
from portal.staff.risk import debit_negative_balances


@dataclass
class SellerFile:
    seller: Seller
    facts: search.SellerFacts
    view: AccountView
    business_email: BusinessEmail | None
    payouts: list[PayoutRecord]
    disputes: list[DisputeRecord]
    notes: list[StaffNote]
    trail: list[audit.AuditEvent]
    is_staff: bool
    closure: AccountClosure | None = None

    @property
    def flag_labels(self) -> list[str]:
        return [label for key, label in search.FILTERS.items() if key in self.facts.flags]

    @property
    def debit_negative_balances(self) -> bool:
        return debit_negative_balances(self.view.account.snapshot) if self.view.account else False

    @property
    def staff_paused(self) -> bool:
        return "risk_pause" in self.facts.hold_reasons


def seller_file(db: Database, seller_id: int) -> SellerFile | None:
    with db.transaction() as session:
        seller = session.get(Seller, seller_id)
        if seller is None:
            return None
        business = session.get(BusinessEmail, seller_id)
        closure = session.get(AccountClosure, seller_id)
    view = account_view(db, seller_id)
    account_id = view.account.stripe_account_id if view.account else ""
    with db.transaction() as session:
        payouts = session.exec(select(PayoutRecord).where(PayoutRecord.stripe_account_id == account_id)
                               .order_by(PayoutRecord.created.desc()).limit(10)).all() if account_id else []
        disputes = session.exec(select(DisputeRecord).where(DisputeRecord.stripe_account_id == account_id)
                                .order_by(DisputeRecord.created.desc()).limit(20)).all() if account_id else []
    return SellerFile(
        seller=seller, facts=search.gather(db, seller_id)[0], view=view, business_email=business,
        payouts=list(payouts), disputes=list(disputes), notes=service.notes_for(db, seller_id),
        trail=audit.for_seller(db, seller_id), is_staff=service.is_staff_email(db, seller.email), closure=closure,
    )
