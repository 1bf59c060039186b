"""A money movement between the platform and a seller's Stripe account, from request to outcome.

The row is the movement's one source of truth, shared by every web process: each step is a
conditional update on `state` (and `attempts`), so two approvals, a double click or two processes
can never both run it. Its Stripe idempotency key is derived from the row and its approval."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from portal.db import utcnow

SEND, PULL = "send", "pull"
AWAITING_APPROVAL, APPROVED, EXECUTED, FAILED, DECLINED = "awaiting_approval", "approved", "executed", "failed", "declined"


class FundsMovement(SQLModel, table=True):
    __tablename__ = "funds_movement"

    id: int | None = Field(default=None, primary_key=True)
    # No foreign key: a record of money moved outlives the seller's row (as the audit trail does).
    seller_id: int = Field(index=True)
    stripe_account_id: str = Field(max_length=64)
    direction: str = Field(max_length=8)  # send (platform -> account) or pull (account -> platform)
    amount: int  # minor units, always positive
    currency: str = Field(max_length=3)
    reason: str = Field(max_length=1000)  # for the audit trail (staff only)
    description: str = Field(default="", max_length=350)  # what the seller sees on the transfer
    # One per rendered request form: a double submit finds the first movement instead of making a second.
    form_token: str = Field(max_length=64, unique=True)
    state: str = Field(default=AWAITING_APPROVAL, max_length=20, index=True)
    needs_approval: bool = False
    requested_by_id: int
    requested_by_email: str = Field(max_length=254)
    requested_at: datetime = Field(default_factory=utcnow)
    # Who approved or declined it (None while waiting, and for a movement below the threshold).
    decided_by_id: int | None = None
    decided_by_email: str = Field(default="", max_length=254)
    decided_at: datetime | None = None
    decline_reason: str = Field(default="", max_length=1000)
    # Each run (the first, and any retry after Stripe did not answer) claims attempts + 1.
    attempts: int = 0
    stripe_transfer_id: str = Field(default="", max_length=64)
    failure_code: str = Field(default="", max_length=64)
    failure_message: str = Field(default="", max_length=500)
    # The account's available balance in `currency`, as Stripe reported it just before and after.
    balance_before: int | None = None
    balance_after: int | None = None
    executed_at: datetime | None = None
