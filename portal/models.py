"""Every table, imported in one place so Alembic and tests see the whole schema."""

from portal.accounts.models import LoginSession, Seller, UsedLink
from portal.integrations.mail import OutboxMessage
from portal.staff.models import StaffMember

__all__ = ["LoginSession", "OutboxMessage", "Seller", "StaffMember", "UsedLink"]
