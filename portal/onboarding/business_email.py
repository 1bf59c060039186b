"""The business-email check: is the address on the business's own domain, and does the seller
read mail there? Stripe advises confirming exactly this before trusting a seller (reference C9).

The confirmation link is signed, expires, works once, and names the address and the website it
was checked against, so changing either one voids it."""

from portal.accounts.links import LinkProblem, LinkPurpose, fingerprint, link_digest, make_token, read_token
from portal.accounts.models import UsedLink
from portal.accounts.service import spend_link
from portal.db import Database, utcnow
from portal.onboarding.domain import Assessment, assess_business_email
from portal.onboarding.models import BusinessEmail


def _state(record: BusinessEmail) -> str:
    return f"{record.email.lower()}|{record.website.lower()}"


def record(db: Database, seller_id: int, email: str, website: str) -> tuple[BusinessEmail, Assessment, bool]:
    """Store the address and how it relates to the website. Returns (record, assessment, changed):
    `changed` means any earlier confirmation no longer counts."""
    assessment = assess_business_email(email, website)
    with db.transaction() as session:
        current = session.get(BusinessEmail, seller_id)
        changed = current is None or current.email.lower() != email.lower() or current.website.lower() != website.lower()
        current = current or BusinessEmail(seller_id=seller_id, email=email)
        current.email, current.website = email, website
        current.email_domain = assessment.email_domain or ""
        current.website_domain = assessment.website_domain or ""
        current.on_business_domain = assessment.on_business_domain
        current.free_mail = assessment.free_mail
        current.disposable = assessment.disposable
        if changed:
            current.confirmed_at = None
            current.last_sent_at = None
        current.updated_at = utcnow()
        session.add(current)
    return current, assessment, changed


def link_token(secret: str, record: BusinessEmail) -> str:
    return make_token(secret, LinkPurpose.business_email, record.seller_id, _state(record))


def mark_sent(db: Database, seller_id: int) -> None:
    with db.transaction() as session:
        current = session.get(BusinessEmail, seller_id)
        current.last_sent_at = utcnow()
        session.add(current)


def check(db: Database, secret: str, token: str, max_age: int) -> BusinessEmail | LinkProblem:
    read = read_token(secret, LinkPurpose.business_email, token, max_age)
    if isinstance(read, LinkProblem):
        return read
    seller_id, state = read
    with db.transaction() as session:
        current = session.get(BusinessEmail, seller_id)
        if current is None:
            return LinkProblem.invalid
        if session.get(UsedLink, link_digest(token)) or current.confirmed_at or fingerprint(_state(current)) != state:
            return LinkProblem.used
        return current


def confirm(db: Database, secret: str, token: str, max_age: int) -> BusinessEmail | LinkProblem:
    checked = check(db, secret, token, max_age)
    if isinstance(checked, LinkProblem):
        return checked

    def mark_confirmed(session) -> BusinessEmail:
        current = session.get(BusinessEmail, checked.seller_id)
        current.confirmed_at = utcnow()
        session.add(current)
        return current

    return spend_link(db, token, mark_confirmed)
