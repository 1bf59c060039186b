"""Remediation links: staff mail a seller a signed, expiring, single-use link to fix one requirement.

The link is the portal's (`/status/remediation/<requirement key>/<token>`), never Stripe's: for
what only Stripe's hosted page collects, following it makes a fresh Account Link at that moment,
since Stripe's expire within minutes. The token (accounts/links.py) carries the seller and a
fingerprint of the requirement key, so it opens nothing for another seller or another requirement;
a followed link's digest is recorded (used_link), so it works once. It never goes in the audit trail."""

from portal.accounts.links import LinkProblem, LinkPurpose, fingerprint, link_digest, make_token, read_token
from portal.accounts.models import UsedLink
from portal.accounts.service import spend_link
from portal.connect import remediation
from portal.connect.requirements import Requirement
from portal.db import Database

LINK_DAYS = 7
LINK_MAX_AGE = LINK_DAYS * 86400


def _state(requirement_key: str) -> str:
    return f"remediation:{requirement_key}"


def make_link_token(secret: str, seller_id: int, requirement_key: str) -> str:
    return make_token(secret, LinkPurpose.remediation, seller_id, _state(requirement_key))


def check(db: Database, secret: str, token: str, requirement_key: str, max_age: int = LINK_MAX_AGE) -> int | LinkProblem:
    """The seller a link was sent to, without using it up; or what is wrong with it."""
    read = read_token(secret, LinkPurpose.remediation, token, max_age)
    if isinstance(read, LinkProblem):
        return read
    seller_id, state = read
    if state != fingerprint(_state(requirement_key)):
        return LinkProblem.invalid  # a good token pasted under another requirement's address
    with db.transaction() as session:
        if session.get(UsedLink, link_digest(token)):
            return LinkProblem.used
    return seller_id


def spend(db: Database, token: str) -> bool | LinkProblem:
    """Use the link up; a second use, even a concurrent one, gets LinkProblem.used."""
    return spend_link(db, token, lambda _session: True)


def find(actions: list[Requirement], requirement_key: str) -> Requirement | None:
    """The requirement group that holds this key, if Stripe still asks for it."""
    return next((action for action in actions if requirement_key in action.keys), None)


def where(requirement: Requirement) -> str:
    """Where the requirement is fixed: `stripe` (the hosted page), `form` (the portal's remediation
    form) or the onboarding step the plan names (`bank`, `people`, `add_person`, `profile`)."""
    plan = remediation.plan([requirement])
    if plan.fields:
        return "form"
    return plan.elsewhere[0].where if plan.elsewhere else "stripe"


def hosted_reach(snapshot: dict, keys: list[str]) -> tuple[bool, bool]:
    """(eventually_due, future_requirements): how far Stripe's hosted page must reach for these keys.
    An Account Link can't name one key, only which lists to collect (`collection_options`); the
    page then asks for this one with whatever else is due. Without keys: what is due now and what
    Stripe will need soon, as before. Pure."""
    if not keys:
        return False, True
    current, future = snapshot.get("requirements") or {}, snapshot.get("future_requirements") or {}
    due_now = set(current.get("currently_due") or []) | set(current.get("past_due") or [])
    future_now = set(future.get("currently_due") or []) | set(future.get("past_due") or [])
    later = (set(current.get("eventually_due") or []) - due_now) | (set(future.get("eventually_due") or []) - future_now)
    in_future = future_now | set(future.get("eventually_due") or [])
    wanted = set(keys)
    return bool(wanted & later), bool(wanted & in_future)
