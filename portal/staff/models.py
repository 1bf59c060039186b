from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from portal.db import utcnow


class StaffRole(StrEnum):
    support = "support"
    risk = "risk"
    admin = "admin"


class StaffMember(SQLModel, table=True):
    __tablename__ = "staff_member"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    role: str = Field(default=StaffRole.support, max_length=16)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
