"""Every table, imported in one place so Alembic and tests see the whole schema."""

from portal.accounts.models import LoginSession, Seller, UsedLink
from portal.audit import AuditEvent
from portal.connect.models import (
    AccountBalance, AccountClosure, AccountStateDay, ChargeRecord, ConnectedAccount, DisputeRecord, PayoutRecord,
    UnfamiliarRequirement,
)
from portal.connect.negative_balances import NegativeBalanceNotice
from portal.connect.payout_holds import PayoutHold
from portal.funds.models import FundsMovement
from portal.integrations.mail import OutboxMessage
from portal.kept_pages import SellerVersion
from portal.security.models import (
    EmailChange, KnownDevice, Passkey, PasskeyChallenge, PasswordHistory, RecoveryCode, RecoveryRequest, SensitiveChange, SignInEvent, TwoFactor,
)
from portal.onboarding.models import AccountCreation, BusinessEmail, DraftPerson, OnboardingDraft
from portal.staff.models import AlertThreshold, StaffAlert, StaffMember, StaffNote, ViewAsGrant
from portal.webhooks.models import StripeEvent, StripeEventPayload

__all__ = [
    "SellerVersion",
    "AccountStateDay",
    "AlertThreshold",
    "StaffAlert",
    "AccountCreation",
    "FundsMovement",
    "AccountClosure",
    "NegativeBalanceNotice",
    "AuditEvent",
    "StaffNote",
    "ViewAsGrant",
    "AccountBalance",
    "ChargeRecord",
    "DisputeRecord",
    "PayoutRecord",
    "UnfamiliarRequirement",
    "StripeEvent",
    "StripeEventPayload",
    "BusinessEmail",
    "ConnectedAccount",
    "DraftPerson",
    "EmailChange",
    "KnownDevice",
    "Passkey",
    "PasskeyChallenge",
    "PasswordHistory",
    "RecoveryCode",
    "RecoveryRequest",
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
