"""Staff moving money between the platform's balance and a seller's (issue 10).

- **Send** is a transfer from the platform's balance to the connected account (`gateway.send_funds`),
  with a description the seller sees.
- **Pull** is an account debit (`gateway.pull_funds`): a transfer created as the connected account
  whose destination is the platform's own account. A transfer reversal would only reach money that
  came from an earlier transfer of ours and only up to that transfer's amount; an account debit reaches
  any of the account's balance (card payments included), which is what staff need to recover a refund
  or correct an error. Stripe allows it where the platform is liable for the account's losses (all of
  our accounts) and both are in the same region; the portal allows it only where both are in the US.

A request at or above `money_approval_threshold` waits for a different staff member's approval.
Every step is a conditional update of the movement's row, so only one request ever runs it, and
the Stripe idempotency key comes from the movement and its approval, so a re-run replays Stripe's
first answer instead of moving the money twice."""

import re
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from starlette.concurrency import run_in_threadpool

from portal import audit
from portal.connect import mirror
from portal.db import Database, utcnow
from portal.funds.models import (
    APPROVED, AWAITING_APPROVAL, DECLINED, EXECUTED, FAILED, PULL, SEND, FundsMovement,
)
from portal.integrations.stripe import StripeFailure, StripeGateway, idempotency_key
from portal.money import units

# The most one request may move: larger sums go through Stripe's Dashboard and a conversation.
MAX_AMOUNT = 25_000_000  # in the smallest unit: $250,000.00, or ¥25,000,000
# Where the portal pulls funds (Stripe's account debits need the platform and account in one region).
PULL_COUNTRY = "US"
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
DIRECTIONS = {SEND: "Send funds", PULL: "Pull funds"}


class MovementRefused(Exception):
    """The step cannot be taken (already decided, own request, wrong state); the message says why."""


@dataclass(frozen=True)
class Staff:
    """Who takes a step: a staff member's id and email (audit.Actor carries the same)."""

    id: int
    email: str

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor.staff(self.id, self.email)


# Reading what staff typed (pure)


def parse_amount(text: str, currency: str = "usd") -> tuple[int | None, str | None]:
    """An amount as typed ("125.50", "$1,250", "¥1,000") -> Stripe's smallest unit (cents; whole
    yen, the yen having no minor unit), or the message to show beside the field."""
    places, words = units.decimals(currency), units.name(currency)
    example = "125.50" if places == 2 else "1,000" if places == 0 else f"{1:.{places}f}"
    cleaned = (text or "").strip().replace(",", "").lstrip("$€£¥￥").strip()
    if not cleaned:
        return None, f"Enter the amount in {words}, like {example}."
    if not re.fullmatch(r"[0-9]*\.?[0-9]*", cleaned) or cleaned == ".":
        return None, f"Enter the amount as a number in {words}, like {example}."
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None, f"Enter the amount as a number in {words}, like {example}."
    step = Decimal(1).scaleb(-places)
    if value != value.quantize(step):
        return None, ("Use whole amounts: this currency has no smaller unit." if places == 0
                      else f"Use at most {places} decimal places.")
    minor = int(value.scaleb(places))
    if minor <= 0:
        return None, "Enter an amount above zero."
    if minor > MAX_AMOUNT:
        return None, f"The most one request can move is {units.plain(MAX_AMOUNT, currency)} {currency.upper()}."
    return minor, None


def request_errors(direction: str, values: dict, currency: str = "usd") -> dict:
    """Field -> message for a send or pull request form; values: amount, reason, description."""
    errors = {}
    _amount, amount_error = parse_amount(values.get("amount", ""), currency)
    if amount_error:
        errors["amount"] = amount_error
    reason = values.get("reason", "")
    if not reason:
        errors["reason"] = "Give a reason: it goes on the seller's audit trail."
    elif len(reason) > 1000:
        errors["reason"] = "Keep the reason under 1,000 characters."
    if direction == SEND:
        description = values.get("description", "")
        if not description:
            errors["description"] = "Say what this is for: the seller sees it beside the transfer."
        elif len(description) > 350:
            errors["description"] = "Keep the description under 350 characters."
    return errors


def waits_for_approval(amount: int, threshold: int) -> bool:
    """Whether a movement of this amount waits for a second staff member (the form says so before submitting)."""
    return amount >= threshold


def available_in(balance: dict, currency: str) -> int:
    return sum(item["amount"] for item in balance.get("available") or [] if item["currency"] == currency)


def key_for(movement: FundsMovement, secret: str) -> str:
    """The same movement and approval always map to the same Stripe idempotency key."""
    return idempotency_key("funds", movement.id, movement.direction, movement.stripe_account_id, movement.amount,
                           movement.currency, movement.decided_by_id or "below-threshold", secret=secret)


def pull_refusal(account_country: str | None, platform_country: str | None) -> str | None:
    """Why funds cannot be pulled from this account, or None. Pure."""
    if platform_country != PULL_COUNTRY:
        return "Pulling funds needs a US platform (Stripe's account debits); this platform is not in the US."
    if account_country != PULL_COUNTRY:
        return (f"Funds can only be pulled from US accounts; this account is in {account_country or 'an unknown country'}. "
                "Agree a repayment with the seller instead.")
    return None


async def platform_country(gateway: StripeGateway) -> str | None:
    """The platform's own country, as Stripe has it (a platform may read its own account by id)."""
    return (await gateway.retrieve_account(await gateway.platform_account_id())).get("country")


# Storage


def movement(db: Database, movement_id: int) -> FundsMovement | None:
    with db.transaction() as session:
        return session.get(FundsMovement, movement_id)


def for_seller(db: Database, seller_id: int, limit: int = 20) -> list[FundsMovement]:
    with db.transaction() as session:
        return list(session.exec(select(FundsMovement).where(FundsMovement.seller_id == seller_id)
                                 .order_by(FundsMovement.id.desc()).limit(limit)).all())


def awaiting(db: Database) -> list[FundsMovement]:
    """Requests waiting for a second staff member, the oldest first."""
    with db.transaction() as session:
        return list(session.exec(select(FundsMovement).where(FundsMovement.state == AWAITING_APPROVAL)
                                 .order_by(FundsMovement.id)).all())


def recent(db: Database, limit: int = 50) -> list[FundsMovement]:
    with db.transaction() as session:
        return list(session.exec(select(FundsMovement).where(FundsMovement.state != AWAITING_APPROVAL)
                                 .order_by(FundsMovement.id.desc()).limit(limit)).all())


def _insert(db: Database, row: FundsMovement) -> tuple[FundsMovement, bool]:
    """The new movement, or the one this form already made (a double submit): (movement, created)."""
    try:
        with db.transaction() as session:
            session.add(row)
        return row, True
    except IntegrityError:
        with db.transaction() as session:
            return session.exec(select(FundsMovement).where(FundsMovement.form_token == row.form_token)).one(), False


def _claim_approval(db: Database, movement_id: int, staff: Staff) -> bool:
    """awaiting_approval -> approved by `staff`, who must not be the requester; True for the one winner."""
    with db.transaction() as session:
        return session.exec(
            update(FundsMovement)
            .where(FundsMovement.id == movement_id, FundsMovement.state == AWAITING_APPROVAL,
                   FundsMovement.requested_by_id != staff.id)
            .values(state=APPROVED, decided_by_id=staff.id, decided_by_email=staff.email, decided_at=utcnow(),
                    attempts=1)
        ).rowcount == 1


def _claim_retry(db: Database, movement_id: int, attempts_seen: int) -> bool:
    with db.transaction() as session:
        return session.exec(
            update(FundsMovement)
            .where(FundsMovement.id == movement_id, FundsMovement.state == APPROVED,
                   FundsMovement.attempts == attempts_seen)
            .values(attempts=attempts_seen + 1, failure_code="", failure_message="")
        ).rowcount == 1


def _finish(db: Database, movement_id: int, attempt: int, **values) -> FundsMovement:
    """Record a run's outcome, only if no later attempt has claimed the movement meanwhile."""
    with db.transaction() as session:
        session.exec(update(FundsMovement)
                     .where(FundsMovement.id == movement_id, FundsMovement.state == APPROVED,
                            FundsMovement.attempts == attempt)
                     .values(**values))
        return session.get(FundsMovement, movement_id)


# The steps


async def request_movement(db: Database, gateway: StripeGateway, *, seller_id: int, account_id: str, currency: str,
                           direction: str, amount: int, reason: str, description: str, form_token: str,
                           staff: Staff, threshold: int, ip: str, secret: str) -> tuple[FundsMovement, bool]:
    """Record a request; below the threshold it runs at once. Returns (movement, created): a form
    submitted twice returns the first submit's movement with created=False and moves nothing."""
    if direction not in DIRECTIONS:
        raise MovementRefused("Choose to send or pull funds.")
    needs_approval = waits_for_approval(amount, threshold)
    row = FundsMovement(
        seller_id=seller_id, stripe_account_id=account_id, direction=direction, amount=amount, currency=currency,
        reason=reason, description=description if direction == SEND else "", form_token=form_token,
        state=AWAITING_APPROVAL if needs_approval else APPROVED, needs_approval=needs_approval,
        requested_by_id=staff.id, requested_by_email=staff.email, attempts=0 if needs_approval else 1,
    )
    row, created = await run_in_threadpool(_insert, db, row)
    if not created:
        return row, False
    await run_in_threadpool(audit.record, db, actor=staff.actor, action="funds.requested", seller_id=seller_id,
                            reason=reason, ip=ip, details={**_facts(row), "needs_approval": needs_approval,
                                                           "threshold": threshold})
    if needs_approval:
        return row, True
    return await _run(db, gateway, row, staff=staff, attempt=1, ip=ip, secret=secret), True


async def approve(db: Database, gateway: StripeGateway, movement_id: int, *, staff: Staff, ip: str,
                  secret: str) -> FundsMovement:
    found = await run_in_threadpool(movement, db, movement_id)
    if found is None:
        raise MovementRefused("There is no such request.")
    if found.requested_by_id == staff.id:
        raise MovementRefused("You asked for this movement: a different staff member must approve it.")
    if not await run_in_threadpool(_claim_approval, db, movement_id, staff):
        raise MovementRefused(_already(await run_in_threadpool(movement, db, movement_id)))
    claimed = await run_in_threadpool(movement, db, movement_id)
    await run_in_threadpool(audit.record, db, actor=staff.actor, action="funds.approved", seller_id=claimed.seller_id,
                            reason=claimed.reason, ip=ip,
                            details={**_facts(claimed), "requested_by": claimed.requested_by_email})
    return await _run(db, gateway, claimed, staff=staff, attempt=1, ip=ip, secret=secret)


def decline(db: Database, movement_id: int, *, staff: Staff, reason: str, ip: str) -> FundsMovement:
    """Refuse a waiting request (the requester may withdraw their own this way too)."""
    with db.transaction() as session:
        changed = session.exec(
            update(FundsMovement)
            .where(FundsMovement.id == movement_id, FundsMovement.state == AWAITING_APPROVAL)
            .values(state=DECLINED, decided_by_id=staff.id, decided_by_email=staff.email, decided_at=utcnow(),
                    decline_reason=reason)
        ).rowcount
        found = session.get(FundsMovement, movement_id)
    if found is None:
        raise MovementRefused("There is no such request.")
    if not changed:
        raise MovementRefused(_already(found))
    audit.record(db, actor=staff.actor, action="funds.declined", seller_id=found.seller_id, reason=reason, ip=ip,
                 details={**_facts(found), "requested_by": found.requested_by_email,
                          "requested_for": found.reason})
    return found


async def retry(db: Database, gateway: StripeGateway, movement_id: int, *, staff: Staff, ip: str,
                secret: str) -> FundsMovement:
    """Run again a movement whose run was interrupted (Stripe did not answer). The key is the same,
    so if the first run did reach Stripe, Stripe replays its answer and nothing moves twice."""
    found = await run_in_threadpool(movement, db, movement_id)
    if found is None:
        raise MovementRefused("There is no such request.")
    if found.state != APPROVED or not await run_in_threadpool(_claim_retry, db, movement_id, found.attempts):
        raise MovementRefused(_already(await run_in_threadpool(movement, db, movement_id)))
    return await _run(db, gateway, found, staff=staff, attempt=found.attempts + 1, ip=ip, secret=secret)


async def _run(db: Database, gateway: StripeGateway, row: FundsMovement, *, staff: Staff, attempt: int, ip: str,
               secret: str) -> FundsMovement:
    """Move the money: Stripe's balance just before, the transfer or debit, the balance just after.
    Only the request that claimed `attempt` gets here."""
    account_id, currency = row.stripe_account_id, row.currency
    try:
        before = available_in(await gateway.retrieve_balance(account_id), currency)
    except StripeFailure as failure:
        return await _interrupted(db, row, attempt, failure, staff=staff, ip=ip)
    if row.direction == PULL and row.amount > before:
        return await _failed(db, row, attempt, staff=staff, ip=ip, before=before, code="amount_above_available_balance",
                             message=f"The account's available balance is {units.plain(before, currency)} {currency.upper()}, "
                                     "less than the amount to pull.")
    key = key_for(row, secret)
    metadata = {"portal_movement": str(row.id), "requested_by": row.requested_by_email,
                "approved_by": row.decided_by_email or "below threshold"}
    try:
        if row.direction == SEND:
            transfer = await gateway.send_funds(account_id, amount=row.amount, currency=currency,
                                                description=row.description, metadata=metadata, key=key)
        else:
            transfer = await gateway.pull_funds(account_id, amount=row.amount, currency=currency,
                                                description=f"Recovered by the platform: {row.reason}"[:350],
                                                metadata=metadata, key=key)
    except StripeFailure as failure:
        if failure.temporary:
            return await _interrupted(db, row, attempt, failure, staff=staff, ip=ip, before=before)
        return await _failed(db, row, attempt, staff=staff, ip=ip, before=before, code=failure.code or failure.kind,
                             message=failure.message)
    after = None
    try:
        balance = await gateway.retrieve_balance(account_id)
    except StripeFailure:
        balance = None  # the money moved; the next sync brings the balance
    if balance is not None:
        after = available_in(balance, currency)
        await run_in_threadpool(mirror.record_balance, db, account_id, balance, as_of=time.time())
    done = await run_in_threadpool(_finish, db, row.id, attempt, state=EXECUTED, stripe_transfer_id=transfer["id"],
                                   balance_before=before, balance_after=after, executed_at=utcnow(),
                                   failure_code="", failure_message="")
    await run_in_threadpool(audit.record, db, actor=staff.actor, action="funds.executed", seller_id=row.seller_id,
                            reason=row.reason, ip=ip, details={**_facts(done), "transfer": transfer["id"],
                                                               "requested_by": done.requested_by_email,
                                                               "approved_by": done.decided_by_email or None})
    return done


async def _failed(db, row, attempt, *, staff: Staff, ip: str, before: int | None, code: str, message: str):
    done = await run_in_threadpool(_finish, db, row.id, attempt, state=FAILED, balance_before=before,
                                   failure_code=code[:64], failure_message=message[:500])
    await run_in_threadpool(audit.record, db, actor=staff.actor, action="funds.failed", seller_id=row.seller_id,
                            reason=row.reason, ip=ip, details={**_facts(done), "stripe_error": code,
                                                               "stripe_message": message[:500]})
    return done


async def _interrupted(db, row, attempt, failure: StripeFailure, *, staff: Staff, ip: str, before: int | None = None):
    """Stripe did not answer: the movement stays approved, to be run again with the same key."""
    done = await run_in_threadpool(_finish, db, row.id, attempt, balance_before=before,
                                   failure_code=(failure.code or failure.kind)[:64], failure_message=failure.message[:500])
    await run_in_threadpool(audit.record, db, actor=staff.actor, action="funds.interrupted", seller_id=row.seller_id,
                            reason=row.reason, ip=ip, details={**_facts(done), "stripe_error": failure.code or failure.kind})
    return done


def _facts(row: FundsMovement) -> dict:
    return {"movement": row.id, "direction": row.direction, "amount": row.amount, "currency": row.currency,
            "account": row.stripe_account_id, "balance_before": row.balance_before, "balance_after": row.balance_after}


def _already(row: FundsMovement | None) -> str:
    if row is None:
        return "There is no such request."
    if row.state == DECLINED:
        return f"{row.decided_by_email} already declined this request."
    if row.state in (APPROVED, EXECUTED, FAILED) and row.decided_by_email:
        return f"{row.decided_by_email} already approved this request; it is {row.state}."
    if row.state == AWAITING_APPROVAL:
        return "You asked for this movement: a different staff member must approve it."
    return f"This request is already {row.state}."
