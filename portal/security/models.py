"""Two factors, recovery codes, sign-in history, known devices and the record of sensitive changes."""

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.db import utcnow


class TwoFactor(SQLModel, table=True):
    """A seller's authenticator app. It counts only once confirmed by a first code."""

    __tablename__ = "two_factor"

    seller_id: int = Field(foreign_key="seller.id", primary_key=True, ondelete="CASCADE")
    # The TOTP key, encrypted with a key derived from SECRET_KEY (never stored in plain form).
    sealed_secret: str = Field(max_length=512)
    confirmed_at: datetime | None = None
    # The last time step a code was accepted for: that code, and every older one, is spent.
    last_step: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class RecoveryCode(SQLModel, table=True):
    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    seller_id: int = Field(foreign_key="seller.id", index=True, ondelete="CASCADE")
    digest: str = Field(max_length=64)
    used_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class SignInEvent(SQLModel, table=True):
    """One sign-in attempt, successful or not, and why."""

    __tablename__ = "sign_in_event"

    id: int | None = Field(default=None, primary_key=True)
    seller_id: int | None = Field(default=None, foreign_key="seller.id", index=True, ondelete="CASCADE")
    at: datetime = Field(default_factory=utcnow, index=True)
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=512)
    # A digest of the long-lived device cookie, never the cookie itself.
    device: str = Field(default="", max_length=64)
    success: bool = False
    outcome: str = Field(max_length=32)
    new_device: bool = False
    new_network: bool = False
    # How a successful sign-in was made: password, password_and_code, password_and_recovery_code,
    # password_and_passkey, passkey.
    method: str = Field(default="", max_length=32)


class KnownDevice(SQLModel, table=True):
    __tablename__ = "known_device"
    __table_args__ = (UniqueConstraint("seller_id", "device"),)

    id: int | None = Field(default=None, primary_key=True)
    seller_id: int = Field(foreign_key="seller.id", index=True, ondelete="CASCADE")
    device: str = Field(max_length=64)
    first_seen_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    last_ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=512)


class SensitiveChange(SQLModel, table=True):
    """Password, login email, business email, bank account, two factors: when, and from which device."""

    __tablename__ = "sensitive_change"

    id: int | None = Field(default=None, primary_key=True)
    seller_id: int = Field(foreign_key="seller.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=32)
    at: datetime = Field(default_factory=utcnow)
    device: str = Field(default="", max_length=64)
    ip: str = Field(default="", max_length=64)


class PasswordHistory(SQLModel, table=True):
    """Hashes of a seller's earlier passwords, so a new one is not one of the last five."""

    __tablename__ = "password_history"

    id: int | None = Field(default=None, primary_key=True)
    seller_id: int = Field(foreign_key="seller.id", index=True, ondelete="CASCADE")
    password_hash: str = Field(max_length=255)
    replaced_at: datetime = Field(default_factory=utcnow)


class EmailChange(SQLModel, table=True):
    """A login email change: asked, confirmed at the new address, revertible from the old for 7 days."""

    __tablename__ = "email_change"

    id: int | None = Field(default=None, primary_key=True)
    seller_id: int = Field(foreign_key="seller.id", index=True, ondelete="CASCADE")
    old_email: str = Field(max_length=254)
    new_email: str = Field(max_length=254)
    requested_at: datetime = Field(default_factory=utcnow)
    confirmed_at: datetime | None = None
    reverted_at: datetime | None = None


class RecoveryRequest(SQLModel, table=True):
    """A seller who lost both the authenticator and the recovery codes asks staff for help.

    Identity is checked two ways, and only results are kept: the typed last four digits of the
    SSN or EIN are compared with those kept at onboarding and dropped; a link goes to the
    confirmed business email and must come back."""

    __tablename__ = "recovery_request"

    id: int | None = Field(default=None, primary_key=True)
    seller_id: int = Field(foreign_key="seller.id", index=True, ondelete="CASCADE")
    requested_at: datetime = Field(default_factory=utcnow)
    ip: str = Field(default="", max_length=64)
    id_last4_matches: bool = False
    business_email: str = Field(default="", max_length=254)
    business_email_confirmed_at: datetime | None = None
    decided_at: datetime | None = None
    decided_by: str = Field(default="", max_length=254)
    decision: str = Field(default="", max_length=16)


class Passkey(SQLModel, table=True):
    """A seller's passkey (WebAuthn credential): its id and public key only; the private key never
    leaves the seller's authenticator."""

    __tablename__ = "passkey"

    id: int | None = Field(default=None, primary_key=True)
    # Whose it is: a seller's, or a staff member's (confirming a large money movement). One of the two.
    seller_id: int | None = Field(default=None, foreign_key="seller.id", index=True, ondelete="CASCADE")
    staff_id: int | None = Field(default=None, foreign_key="staff_member.id", index=True, ondelete="CASCADE")
    # base64url, as the browser names it; unique across sellers (one authenticator, one owner).
    credential_id: str = Field(max_length=1400, unique=True)
    # The COSE public key, base64url.
    public_key: str = Field(max_length=2048)
    # The authenticator's signature counter: a use that does not move it on is refused (a clone).
    sign_count: int = 0
    name: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None


class PasskeyChallenge(SQLModel, table=True):
    """A challenge handed to the browser, kept here (not in process memory) so any process can check
    the answer; used at most once and only for a few minutes. Kept as a digest: the browser returns
    the challenge inside the signed client data."""

    __tablename__ = "passkey_challenge"

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=64, unique=True)
    # register, sign_in, second_step, reauth: an answer is only good for what it was asked for.
    purpose: str = Field(max_length=16)
    # Whose passkey must answer (neither for a passwordless sign-in, which finds the seller by it).
    seller_id: int | None = Field(default=None, foreign_key="seller.id", ondelete="CASCADE")
    staff_id: int | None = Field(default=None, foreign_key="staff_member.id", ondelete="CASCADE")
    # What the answer confirms, when it confirms one thing (funds:<movement id>).
    subject: str = Field(default="", max_length=32)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    used_at: datetime | None = None
