"""Account recovery for a seller who lost both factors: a request, two identity checks, and a
decision by support staff that resets the second factor and holds payouts for the cooling-off period."""

import hmac
from datetime import timedelta

from sqlmodel import select

from portal import audit
from portal.accounts.links import LinkProblem, LinkPurpose, fingerprint, make_token, read_token
from portal.accounts.service import spend_link
from portal.connect import payout_holds
from portal.db import Database, utcnow
from portal.onboarding.models import BusinessEmail, OnboardingDraft
from portal.security import passkeys, service
from portal.security.models import RecoveryRequest

LINK_MAX_AGE = 24 * 3600


class RecoveryRefused(Exception):
    """Why staff cannot approve (yet); the message is for the staff member."""


def last4_on_file(db: Database, seller_id: int) -> set[str]:
    """The last four digits of the SSN and EIN kept at onboarding (the full numbers never were)."""
    with db.transaction() as session:
        draft = session.get(OnboardingDraft, seller_id)
    answers = draft.answers if draft else {}
    identity, company = answers.get("identity") or {}, answers.get("company") or {}
    found = [identity.get("ssn_last_4"), identity.get("id_number_last4"), company.get("tax_id_last4")]
    return {str(value) for value in found if value}


def confirmed_business_email(db: Database, seller_id: int) -> str | None:
    with db.transaction() as session:
        record = session.get(BusinessEmail, seller_id)
    return record.email if record and record.confirmed_at else None


def open_request(db: Database, seller_id: int, typed_last4: str, ip: str) -> RecoveryRequest:
    """Record the request; of the typed digits only whether they match is kept."""
    typed = "".join(ch for ch in typed_last4 if ch.isascii() and ch.isdigit())
    matches = len(typed) == 4 and any(hmac.compare_digest(typed, kept) for kept in last4_on_file(db, seller_id))
    with db.transaction() as session:
        request = RecoveryRequest(seller_id=seller_id, ip=ip, id_last4_matches=matches,
                                  business_email=confirmed_business_email(db, seller_id) or "")
        session.add(request)
    return request


def link_token(secret: str, request: RecoveryRequest) -> str:
    return make_token(secret, LinkPurpose.recovery, request.seller_id, f"recovery:{request.id}")


def confirm_round_trip(db: Database, secret: str, token: str) -> RecoveryRequest | LinkProblem:
    read = read_token(secret, LinkPurpose.recovery, token, LINK_MAX_AGE)
    if isinstance(read, LinkProblem):
        return read
    seller_id, state = read
    with db.transaction() as session:
        requests = session.exec(select(RecoveryRequest).where(
            RecoveryRequest.seller_id == seller_id, RecoveryRequest.decided_at.is_(None))).all()
    wanted = next((request for request in requests if fingerprint(f"recovery:{request.id}") == state), None)
    if wanted is None:
        return LinkProblem.invalid

    def confirm(session) -> RecoveryRequest:
        request = session.get(RecoveryRequest, wanted.id)
        request.business_email_confirmed_at = utcnow()
        session.add(request)
        return request

    return spend_link(db, token, confirm)


def open_requests(db: Database, seller_id: int) -> list[RecoveryRequest]:
    with db.transaction() as session:
        return list(session.exec(select(RecoveryRequest).where(
            RecoveryRequest.seller_id == seller_id, RecoveryRequest.decided_at.is_(None)).order_by(RecoveryRequest.id)).all())


def approve(db: Database, request_id: int, *, actor: audit.Actor, reason: str, ip: str, cooling_off_hours: int) -> RecoveryRequest:
    """Reset the second factor and hold payouts; audited. Refused unless both identity checks passed."""
    with db.transaction() as session:
        request = session.get(RecoveryRequest, request_id)
        if request is None or request.decided_at:
            raise RecoveryRefused("This request is already decided.")
        if not request.business_email_confirmed_at:
            raise RecoveryRefused("The seller has not opened the link sent to their business email yet.")
        if not request.id_last4_matches:
            raise RecoveryRefused("The last four digits the seller typed do not match those on file.")
        request.decided_at, request.decided_by, request.decision = utcnow(), actor.email, "approved"
        session.add(request)
    service.turn_off_two_factor(db, request.seller_id)
    passkeys.remove_all(db, request.seller_id)  # lost with the phone, or in someone else's hands
    service.record_change(db, request.seller_id, service.RECOVERY, ip=ip)
    payout_holds.place_hold(db, request.seller_id, payout_holds.RECOVERY, note="Account recovered by support.",
                            placed_by=actor.email, until=utcnow() + timedelta(hours=cooling_off_hours))
    audit.record(db, actor=actor, action="security.recovery_approved", seller_id=request.seller_id, reason=reason,
                 details={"request": request.id, "business_email_round_trip": True, "id_last4": "match"}, ip=ip)
    return request


def lift_hold(db: Database, seller_id: int, kind: str, *, actor: audit.Actor, reason: str, ip: str) -> int:
    lifted = payout_holds.release_hold(db, seller_id, kind, note=reason, released_by=actor.email)
    if lifted:
        audit.record(db, actor=actor, action=f"security.{kind}_lifted", seller_id=seller_id, reason=reason, ip=ip)
    return lifted
