"""A seller's account status at a glance, derived from Stripe's account snapshot alone.

Follows the order Stripe's API-onboarding guide suggests (reference C2): rejected first, then
what is enabled, then what is due or pending."""

from portal.i18n import lazy_gettext as _l
from dataclasses import dataclass
from enum import StrEnum

from portal.connect import requirement_model


class State(StrEnum):
    not_started = "not_started"
    setting_up = "setting_up"  # the account exists, but the seller has not submitted the form yet
    verified = "verified"
    action_needed = "action_needed"
    pending_review = "pending_review"
    restricted = "restricted"
    rejected = "rejected"


HEADLINES = {
    State.not_started: _l("Not set up yet"),
    State.setting_up: _l("Setting up"),
    State.verified: _l("Verified"),
    State.action_needed: _l("Action needed"),
    State.pending_review: _l("Pending review"),
    State.restricted: _l("Restricted"),
    State.rejected: _l("Rejected"),
}

REJECTED_PREFIX = "rejected."


@dataclass(frozen=True)
class AccountStatus:
    state: State
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    due_count: int
    pending_count: int
    current_deadline: int | None
    disabled_reason: str | None

    @property
    def headline(self) -> str:
        return HEADLINES[self.state]

    @property
    def restricted(self) -> str | None:
        """What the seller cannot do right now: 'payments', 'payouts', 'payments and payouts' or None."""
        if self.state in (State.not_started, State.setting_up, State.rejected):
            return None
        blocked = [name for name, on in (("payments", self.charges_enabled), ("payouts", self.payouts_enabled)) if not on]
        return " and ".join(blocked) or None


def summarize(account: dict | None, model: requirement_model.Requirements | None = None) -> AccountStatus:
    """`model`: requirement_model.of(account, ...) when the caller has it already (what it restricts
    does not matter here)."""
    if not account:
        return AccountStatus(State.not_started, False, False, False, 0, 0, None, None)
    requirements = model if model is not None else requirement_model.of(account)
    charges, payouts = bool(account.get("charges_enabled")), bool(account.get("payouts_enabled"))
    due = set(requirements.keys(*requirement_model.DUE_NOW))
    pending = requirements.keys(requirement_model.PENDING)
    errors = requirements.current_errors()
    disabled_reason = requirements.disabled_reason
    past_due = bool(requirements.keys(requirement_model.PAST_DUE))
    state = _state(charges, payouts, due, past_due, pending, errors, disabled_reason)
    if state != State.rejected and not submitted(account):
        # Until the seller submits, Stripe's lists are the fields not reached yet: progress, not alarm.
        state = State.setting_up
    return AccountStatus(
        state=state,
        charges_enabled=charges,
        payouts_enabled=payouts,
        details_submitted=bool(account.get("details_submitted")),
        due_count=len(due),
        pending_count=len(pending),
        current_deadline=requirements.deadline,
        disabled_reason=disabled_reason,
    )


def submitted(account: dict) -> bool:
    """The seller finished the form: the last step sends their acceptance of Stripe's agreement."""
    return bool((account.get("tos_acceptance") or {}).get("date"))


def _state(charges: bool, payouts: bool, due: set, past_due: bool, pending: list, errors: list, disabled_reason: str | None) -> State:
    if disabled_reason and disabled_reason.startswith(REJECTED_PREFIX):
        return State.rejected
    if charges and payouts:
        if pending:
            return State.pending_review
        return State.action_needed if (due or errors) else State.verified
    if past_due:
        return State.restricted
    if due or errors:
        return State.action_needed
    if pending:
        return State.pending_review
    return State.restricted
