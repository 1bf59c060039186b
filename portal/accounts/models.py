from datetime import datetime

from sqlmodel import Field, SQLModel

from portal.db import utcnow


class Seller(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # Stored lower-cased, so one address is one account whatever its spelling.
    email: str = Field(max_length=254, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    email_confirmed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    password_changed_at: datetime = Field(default_factory=utcnow)
    # The language the seller reads the portal and their mail in (portal/i18n.py): the one their
    # browser spoke at sign-up, until they pick another. None: whatever the browser asks.
    locale: str | None = Field(default=None, max_length=16)


class LoginSession(SQLModel, table=True):
    """One signed-in browser. The cookie carries the id; deleting the row signs that browser out."""

    __tablename__ = "login_session"

    id: str = Field(primary_key=True, max_length=64)
    seller_id: int = Field(foreign_key="seller.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=512)


class UsedLink(SQLModel, table=True):
    """Digests of confirmation and reset links already followed: each link works once."""

    __tablename__ = "used_link"

    digest: str = Field(primary_key=True, max_length=64)
    used_at: datetime = Field(default_factory=utcnow)
