from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from portal.db import utcnow


class OnboardingDraft(SQLModel, table=True):
    """What a seller typed, step by step, saved before any Stripe call so nothing is lost.

    Never holds full SSNs, tax ids or bank account numbers: those go to Stripe and are dropped."""

    __tablename__ = "onboarding_draft"

    seller_id: int = Field(foreign_key="seller.id", primary_key=True, ondelete="CASCADE")
    country: str = Field(default="US", max_length=2)
    business_type: str | None = Field(default=None, max_length=16)
    # step name -> {field: value} as typed (sensitive fields removed)
    answers: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # step name -> idempotency key of the content Stripe last accepted for that step
    sent: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    tos_accepted_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class AccountCreation(SQLModel, table=True):
    """A connected account asked of Stripe whose answer has not reached us yet.

    Written before the create call and removed once the account is in the mirror: while it
    stands, the account may exist at Stripe (the answer was lost), so it is looked for before
    another is made (onboarding/creation.py)."""

    __tablename__ = "account_creation"

    seller_id: int = Field(foreign_key="seller.id", primary_key=True, ondelete="CASCADE")
    # When the first attempt began, in seconds since the epoch: a lost account was made after it.
    first_tried_at: float
    # Part of the idempotency key: a new attempt only when Stripe refuses to replay the old key.
    attempt: int = 0


class DraftPerson(SQLModel, table=True):
    """A company's representative, owner, director or executive, as typed and as sent."""

    __tablename__ = "onboarding_person"

    id: int | None = Field(default=None, primary_key=True)
    seller_id: int = Field(foreign_key="seller.id", index=True, ondelete="CASCADE")
    stripe_person_id: str | None = Field(default=None, max_length=64, unique=True)
    answers: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    sent_key: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class BusinessEmail(SQLModel, table=True):
    """The seller's business email, how it relates to the business website, and its confirmation."""

    __tablename__ = "business_email"

    seller_id: int = Field(foreign_key="seller.id", primary_key=True, ondelete="CASCADE")
    email: str = Field(max_length=254)
    website: str = Field(default="", max_length=500)
    email_domain: str = Field(default="", max_length=255)
    website_domain: str = Field(default="", max_length=255)
    on_business_domain: bool = False
    free_mail: bool = False
    disposable: bool = False
    confirmed_at: datetime | None = None
    last_sent_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)
