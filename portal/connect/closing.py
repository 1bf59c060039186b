"""Closing a seller's account when they ask to leave, and erasing what we hold once the retention
period is over.

Closing runs in three steps a staff member takes from the console, because money decides when
each can happen: `start` stops new payments at once (card_payments given up at Stripe) and turns
the seller's portal into a closed page; `pay_out` sends whatever is available to the seller's
bank; `finish` deletes the Stripe account once nothing remains (no available or pending funds,
no payout on its way, no open dispute, no negative balance). Until then the staff page says what
remains, in money and in words. Accounts rejected by risk get a closed row too, so retention
covers every closed account alike."""

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import delete, select
from starlette.concurrency import run_in_threadpool

from portal.i18n import gettext as _
from portal import audit
from portal.accounts.models import Seller
from portal.connect import mirror, payout_holds
from portal.connect.models import AccountBalance, AccountClosure, ConnectedAccount, DisputeRecord, PayoutRecord
from portal.db import Database, utcnow
from portal.integrations.stripe import StripeFailure, StripeGateway, idempotency_key
from portal.money import units

REQUESTED, CLOSING, CLOSED, ERASED = "requested", "closing", "closed", "erased"
OPEN_DISPUTES = ("warning_needs_response", "warning_under_review", "needs_response", "under_review")
PAYOUTS_UNDER_WAY = ("pending", "in_transit")


class ClosingRefused(Exception):
    """This step can't be taken now; the message says why, for the staff member."""


@dataclass(frozen=True)
class Remaining:
    """What stands between a closing account and closed. Pure data, from Stripe's balance and the mirror."""

    available: list[dict] = field(default_factory=list)  # non-zero {amount, currency}
    pending: list[dict] = field(default_factory=list)
    payouts_under_way: list[PayoutRecord] = field(default_factory=list)
    open_disputes: list[DisputeRecord] = field(default_factory=list)
    holds: list[payout_holds.Hold] = field(default_factory=list)

    @property
    def payable(self) -> list[dict]:
        return [item for item in self.available if item["amount"] > 0]

    @property
    def shortfall(self) -> list[dict]:
        return [item for item in self.available if item["amount"] < 0]

    @property
    def settled(self) -> bool:
        return not (self.available or self.pending or self.payouts_under_way or self.open_disputes)

    def blockers(self) -> list[str]:
        """Each thing still to happen before the account can close, as a sentence for staff."""
        money = "{amount} {currency}".format
        lines = [f"{money(amount=_major(i['amount'], i['currency']), currency=i['currency'].upper())} available to pay out."
                 for i in self.payable]
        lines += [f"A negative balance of {money(amount=_major(-i['amount'], i['currency']), currency=i['currency'].upper())} "
                  "to be settled (send funds to cover it, or the seller repays)." for i in self.shortfall]
        lines += [f"{money(amount=_major(i['amount'], i['currency']), currency=i['currency'].upper())} pending: it becomes available "
                  "on Stripe's schedule, then can be paid out." for i in self.pending]
        lines += [f"A payout of {money(amount=_major(p.amount, p.currency), currency=p.currency.upper())} on its way ({p.status})."
                  for p in self.payouts_under_way]
        lines += [f"An open dispute ({d.reason or 'no reason given'}, {d.status})." for d in self.open_disputes]
        return lines


def _major(amount: int, currency: str) -> str:
    return units.plain(amount, currency)


def remaining(balance: dict, payouts: list, disputes: list[DisputeRecord], holds: list[payout_holds.Hold]) -> Remaining:
    """What remains, from a balance and payouts as Stripe reports them (or as the mirror holds them),
    and the mirror's disputes. Payouts are PayoutRecord rows or Stripe's payout dicts."""
    def non_zero(items) -> list[dict]:
        return [{"amount": i["amount"], "currency": i["currency"]} for i in items or [] if i.get("amount")]

    return Remaining(
        available=non_zero(balance.get("available")),
        pending=non_zero(balance.get("pending")),
        payouts_under_way=[_payout(p) for p in payouts if _payout(p).status in PAYOUTS_UNDER_WAY],
        open_disputes=[d for d in disputes if d.status in OPEN_DISPUTES],
        holds=holds,
    )


def _payout(payout) -> PayoutRecord:
    if isinstance(payout, PayoutRecord):
        return payout
    return PayoutRecord(id=payout["id"], stripe_account_id="", amount=payout["amount"], currency=payout["currency"],
                        status=payout["status"], created=payout["created"], arrival_date=payout.get("arrival_date"))


def closure_for(db: Database, seller_id: int) -> AccountClosure | None:
    with db.read() as session:
        return session.get(AccountClosure, seller_id)


def shows_closed_page(closure: AccountClosure | None) -> bool:
    """Whether the seller's portal shows only the closed page: closing has begun, or it is done.
    A request the seller made themselves changes nothing until staff start closing."""
    return closure is not None and closure.state != REQUESTED


def ask_to_close(db: Database, seller_id: int, *, note: str, email: str, ip: str) -> AccountClosure:
    """The seller asks to leave, from their own portal; staff take it from there."""
    with db.transaction() as session:
        closure = session.get(AccountClosure, seller_id)
        if closure is not None:
            raise ClosingRefused(_("You have already asked us to close this account."))
        account = session.exec(select(ConnectedAccount).where(ConnectedAccount.seller_id == seller_id)).first()
        closure = AccountClosure(seller_id=seller_id, stripe_account_id=account.stripe_account_id if account else "",
                                 state=REQUESTED, reason=note, requested_by=email)
        session.add(closure)
    audit.record(db, actor=audit.Actor.seller(seller_id, email), action="seller.close_requested", seller_id=seller_id,
                 reason=note, ip=ip)
    return closure


def withdraw_request(db: Database, seller_id: int, *, email: str, ip: str) -> bool:
    """The seller changes their mind before staff have started closing."""
    with db.transaction() as session:
        closure = session.get(AccountClosure, seller_id)
        if closure is None or closure.state != REQUESTED:
            return False
        session.delete(closure)
    audit.record(db, actor=audit.Actor.seller(seller_id, email), action="seller.close_withdrawn", seller_id=seller_id, ip=ip)
    return True


def _open_disputes(db: Database, account_id: str) -> list[DisputeRecord]:
    with db.transaction() as session:
        return list(session.exec(select(DisputeRecord).where(DisputeRecord.stripe_account_id == account_id,
                                                             DisputeRecord.status.in_(OPEN_DISPUTES))).all())


def _mirrored_money(db: Database, account_id: str) -> tuple[dict, list[PayoutRecord]]:
    """The last balance and payouts the mirror holds, for when Stripe can't be reached."""
    with db.transaction() as session:
        stored = session.get(AccountBalance, account_id)
        payouts = session.exec(select(PayoutRecord).where(PayoutRecord.stripe_account_id == account_id,
                                                          PayoutRecord.status.in_(PAYOUTS_UNDER_WAY))).all()
    return ({"available": stored.available, "pending": stored.pending} if stored else {}), list(payouts)


async def what_remains(db: Database, gateway: StripeGateway, seller_id: int) -> tuple[Remaining, bool]:
    """(what remains, whether the balance was read from Stripe just now). Closing decides on money,
    so the balance is read live; if Stripe can't be reached, the mirror's last balance is shown."""
    account = await run_in_threadpool(mirror.account_for_seller, db, seller_id)
    holds = await run_in_threadpool(payout_holds.active_holds, db, seller_id)
    if account is None:
        return Remaining(holds=holds), True
    disputes = await run_in_threadpool(_open_disputes, db, account.stripe_account_id)
    try:
        balance = await gateway.retrieve_balance(account.stripe_account_id)
        live_payouts = await gateway.payouts_under_way(account.stripe_account_id)
    except StripeFailure:  # show the last known state, and say so
        stored_balance, payouts = await run_in_threadpool(_mirrored_money, db, account.stripe_account_id)
        return remaining(stored_balance, payouts, disputes, holds), False
    await run_in_threadpool(mirror.record_balance, db, account.stripe_account_id, balance, as_of=time.time())
    return remaining(balance, live_payouts, disputes, holds), True


def _retention(days: int) -> datetime:
    return utcnow() + timedelta(days=days)


def _begin(db: Database, seller_id: int, account_id: str, *, reason: str, by: str, closed_now: bool,
           retention_days: int) -> AccountClosure:
    with db.transaction() as session:
        closure = session.get(AccountClosure, seller_id)
        if closure is not None and closure.state != REQUESTED:
            raise ClosingRefused("This account is already being closed.")
        if closure is not None:  # the seller asked: their words stay beside the staff member's reason
            reason = f"{reason} (The seller asked on {closure.started_at:%d %b %Y}: {closure.reason or 'no note'})"
        closure = closure or AccountClosure(seller_id=seller_id)
        closure.stripe_account_id, closure.state, closure.reason = account_id, CLOSING, reason[:1000]
        closure.requested_by, closure.started_at = by, utcnow()
        if closed_now:
            closure.state, closure.closed_at, closure.erase_after = CLOSED, utcnow(), _retention(retention_days)
        session.add(closure)
    return closure


async def start(db: Database, gateway: StripeGateway, seller_id: int, *, actor: audit.Actor, reason: str, ip: str,
                secret: str, retention_days: int) -> AccountClosure:
    """Begin closing at the seller's request: no new payments from now on.

    The closure row comes first, so the seller's portal shows the closed page even if Stripe
    can't be reached; `stop_payments` is safe to run again until Stripe has taken it."""
    account = await run_in_threadpool(mirror.account_for_seller, db, seller_id)
    closure = await run_in_threadpool(
        _begin, db, seller_id, account.stripe_account_id if account else "", reason=reason, by=actor.email,
        closed_now=account is None, retention_days=retention_days,
    )
    await run_in_threadpool(audit.record, db, actor=actor, action="staff.close_started", seller_id=seller_id,
                            reason=reason, details={"account": closure.stripe_account_id or None})
    if account is not None:
        await stop_payments(db, gateway, seller_id, secret=secret)
    return closure


def payments_stopped(snapshot: dict) -> bool:
    return (snapshot.get("capabilities") or {}).get("card_payments") in (None, "inactive", "unrequested")


async def stop_payments(db: Database, gateway: StripeGateway, seller_id: int, *, secret: str) -> None:
    """Give up card_payments at Stripe. Transfers stay until the end: sending funds to cover a
    negative balance needs them."""
    account = await run_in_threadpool(mirror.account_for_seller, db, seller_id)
    key = idempotency_key(seller_id, "close", "card_payments", secret=secret)
    await gateway.request_capability(account.stripe_account_id, "card_payments", requested=False, key=key)
    fresh = await gateway.retrieve_account(account.stripe_account_id)
    await run_in_threadpool(mirror.record_account, db, seller_id, fresh)


async def pay_out(db: Database, gateway: StripeGateway, seller_id: int, *, actor: audit.Actor, ip: str,
                  secret: str) -> list[dict]:
    """Pay each available amount out to the seller's bank now. Refused while a payout hold stands:
    a hold after a bank change or a risk review exists precisely so money doesn't leave yet."""
    closure = await run_in_threadpool(closure_for, db, seller_id)
    if closure is None or closure.state != CLOSING:
        raise ClosingRefused("Start closing the account first.")
    found, live = await what_remains(db, gateway, seller_id)
    if not live:
        raise ClosingRefused("Stripe can't be reached to read the balance. Nothing was paid out; try again.")
    if found.holds:
        raise ClosingRefused("Payouts are on hold (" + "; ".join(h.reason.replace("_", " ") for h in found.holds)
                             + "). Release the hold first, or settle the balance another way.")
    if not found.payable:
        raise ClosingRefused("There is nothing available to pay out.")
    payouts = []
    for item in found.payable:
        # Keyed on the amount too: a repeated click replays the same payout, a later balance makes a new one.
        key = idempotency_key(seller_id, "close-payout", item["currency"], item["amount"], closure.started_at, secret=secret)
        payout = await gateway.create_payout(closure.stripe_account_id, amount=item["amount"], currency=item["currency"],
                                             description="Final payout: account closed at your request", key=key)
        await run_in_threadpool(mirror.record_payout, db, closure.stripe_account_id, payout, as_of=time.time())
        payouts.append(payout)
    await run_in_threadpool(audit.record, db, actor=actor, action="staff.close_payout", seller_id=seller_id,
                            details={"payouts": [{"id": p["id"], "amount": p["amount"], "currency": p["currency"]}
                                                 for p in payouts]}, ip=ip)
    balance = await gateway.retrieve_balance(closure.stripe_account_id)
    await run_in_threadpool(mirror.record_balance, db, closure.stripe_account_id, balance, as_of=time.time())
    return payouts


def _mark_closed(db: Database, seller_id: int, retention_days: int) -> AccountClosure:
    with db.transaction() as session:
        closure = session.get(AccountClosure, seller_id)
        closure.state, closure.closed_at, closure.erase_after = CLOSED, utcnow(), _retention(retention_days)
        session.add(closure)
    return closure


async def finish(db: Database, gateway: StripeGateway, seller_id: int, *, actor: audit.Actor, reason: str, ip: str,
                 retention_days: int) -> AccountClosure:
    """Delete the Stripe account once nothing remains. Final: Stripe can't bring it back."""
    closure = await run_in_threadpool(closure_for, db, seller_id)
    if closure is None or closure.state != CLOSING:
        raise ClosingRefused("Only an account being closed can be finished.")
    found, live = await what_remains(db, gateway, seller_id)
    if not live:
        raise ClosingRefused("Stripe can't be reached to confirm the balance is zero. Nothing changed; try again.")
    if not found.settled:
        raise ClosingRefused("The account can't close yet: " + " ".join(found.blockers()))
    await gateway.delete_account(closure.stripe_account_id)
    closure = await run_in_threadpool(_mark_closed, db, seller_id, retention_days)
    await run_in_threadpool(audit.record, db, actor=actor, action="staff.close_finished", seller_id=seller_id,
                            reason=reason, details={"account": closure.stripe_account_id,
                                                    "erase_after": closure.erase_after.date().isoformat()}, ip=ip)
    return closure


def record_rejection(db: Database, seller_id: int, account_id: str, *, why: str, by: str, retention_days: int) -> None:
    """A rejected account is closed for good at Stripe: keep its records for the same retention period."""
    with db.transaction() as session:
        if session.get(AccountClosure, seller_id) is None:
            session.add(AccountClosure(seller_id=seller_id, stripe_account_id=account_id, state=CLOSED,
                                       reason=f"Rejected: {why}", requested_by=by, closed_at=utcnow(),
                                       erase_after=_retention(retention_days)))


def closed_account_ids(db: Database) -> set[str]:
    """Stripe accounts deleted at closing: reconciliation no longer reads them."""
    with db.transaction() as session:
        rows = session.exec(select(AccountClosure.stripe_account_id).where(AccountClosure.state.in_((CLOSED, ERASED)))).all()
    return {account_id for account_id in rows if account_id}


# Erasure after the retention period


def erase_due(db: Database, now: datetime | None = None) -> list[int]:
    """Erase every closed seller whose retention period has ended; returns their ids."""
    now = now or utcnow()
    with db.transaction() as session:
        due = session.exec(select(AccountClosure.seller_id).where(
            AccountClosure.state == CLOSED, AccountClosure.erase_after <= now)).all()
    for seller_id in due:
        erase_seller(db, seller_id)
    return list(due)


def erase_seller(db: Database, seller_id: int) -> None:
    """Remove what identifies the seller; keep the row ids and the audit trail (the platform's
    record of what staff did), with the seller's address replaced there too."""
    from portal import models  # every table, so nothing personal is missed

    personal = [
        models.OnboardingDraft, models.DraftPerson, models.BusinessEmail, models.LoginSession, models.KnownDevice,
        models.SignInEvent, models.TwoFactor, models.RecoveryCode, models.RecoveryRequest, models.EmailChange,
        models.PasswordHistory, models.SensitiveChange, models.StaffNote, models.PayoutHold, models.ViewAsGrant,
        models.Passkey, models.PasskeyChallenge,
    ]
    with db.transaction() as session:
        seller = session.get(Seller, seller_id)
        closure = session.get(AccountClosure, seller_id)
        if seller is None or closure is None or closure.state != CLOSED:
            return
        old_email = seller.email
        for model in personal:
            session.exec(delete(model).where(model.seller_id == seller_id))
        account = session.exec(select(ConnectedAccount).where(ConnectedAccount.seller_id == seller_id)).first()
        if account is not None:
            account_id = account.stripe_account_id
            for model in (models.PayoutRecord, models.DisputeRecord, models.ChargeRecord, models.AccountBalance,
                          models.NegativeBalanceNotice):
                session.exec(delete(model).where(model.stripe_account_id == account_id))
            session.delete(account)
        session.exec(delete(models.OutboxMessage).where(models.OutboxMessage.to_address == old_email))
        seller.email = f"erased-{seller_id}@erased.invalid"
        seller.password_hash = "!"  # no password verifies against this
        session.add(seller)
        for event in session.exec(select(audit.AuditEvent).where(audit.AuditEvent.seller_id == seller_id)).all():
            if event.actor_email == old_email:
                event.actor_email = seller.email
                session.add(event)
        closure.state, closure.erased_at = ERASED, utcnow()
        session.add(closure)
