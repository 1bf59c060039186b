"""Every table, imported in one place so Alembic and tests see the whole schema."""

from portal.accounts.models import LoginSession, Seller, UsedLink
from portal.audit import AuditEvent
from portal.connect.models import ConnectedAccount
from portal.connect.payout_holds import PayoutHold
from portal.integrations.mail import OutboxMessage
from portal.security.models import (
    EmailChange, KnownDevice, PasswordHistory, RecoveryCode, SensitiveChange, SignInEvent, TwoFactor,
)
from portal.onboarding.models import BusinessEmail, DraftPerson, OnboardingDraft
from portal.staff.models import StaffMember, StaffNote, ViewAsGrant

__all__ = [
    "AuditEvent",
    "StaffNote",
    "ViewAsGrant",
    "BusinessEmail",
    "ConnectedAccount",
    "DraftPerson",
    "EmailChange",
    "KnownDevice",
    "PasswordHistory",
    "RecoveryCode",
    "SensitiveChange",
    "SignInEvent",
    "TwoFactor",
    "LoginSession",
    "OnboardingDraft",
    "OutboxMessage",
    "PayoutHold",
    "Seller",
    "StaffMember",
    "UsedLink",
]
