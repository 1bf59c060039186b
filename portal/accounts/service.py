"""Seller accounts: sign-up, sign-in sessions, confirmation and password reset."""

import hashlib
import secrets
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from portal.accounts import passwords
from portal.accounts.links import LinkProblem, LinkPurpose, fingerprint, link_digest, make_token, read_token
from portal.accounts.models import LoginSession, Seller, UsedLink
from portal.db import Database, utcnow

SESSION_TOUCH_INTERVAL = timedelta(minutes=5)


class EmailTaken(Exception):
    pass


def email_problem(raw: str) -> str | None:
    if not raw.strip():
        return "Enter your email address."
    try:
        validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        return f"Enter a valid email address ({str(exc).rstrip('.')})."
    return None


def normalize_email(raw: str) -> str:
    return validate_email(raw.strip(), check_deliverability=False).normalized.lower()


def sign_up(db: Database, email: str, password: str) -> Seller:
    password_hash = passwords.hash_password(password)
    try:
        with db.transaction() as session:
            seller = Seller(email=normalize_email(email), password_hash=password_hash)
            session.add(seller)
    except IntegrityError as exc:
        raise EmailTaken(email) from exc
    return seller


def find_seller(db: Database, email: str) -> Seller | None:
    try:
        email = normalize_email(email)
    except EmailNotValidError:
        return None
    with db.transaction() as session:
        return session.exec(select(Seller).where(Seller.email == email)).first()


def authenticate(db: Database, email: str, password: str) -> Seller | None:
    """The seller whose password this is, or None; unknown emails take as long as wrong passwords."""
    seller = find_seller(db, email)
    if not passwords.verify_password(seller.password_hash if seller else None, password):
        return None
    if passwords.needs_rehash(seller.password_hash):
        with db.transaction() as session:
            seller = session.get(Seller, seller.id)
            seller.password_hash = passwords.hash_password(password)
            session.add(seller)
    return seller


# Sign-in sessions: the cookie holds a random id, the table holds its digest.
def _session_key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_session(db: Database, seller_id: int, ip: str, user_agent: str) -> str:
    session_id = secrets.token_urlsafe(32)
    with db.transaction() as session:
        session.add(LoginSession(id=_session_key(session_id), seller_id=seller_id, ip=ip, user_agent=user_agent[:512]))
    return session_id


def session_seller(db: Database, session_id: str, max_age: int) -> Seller | None:
    now = utcnow()
    with db.transaction() as session:
        login = session.get(LoginSession, _session_key(session_id))
        if login is None:
            return None
        if login.created_at < now - timedelta(seconds=max_age):
            session.delete(login)
            return None
        if login.last_seen_at < now - SESSION_TOUCH_INTERVAL:
            login.last_seen_at = now
            session.add(login)
        return session.get(Seller, login.seller_id)


def close_session(db: Database, session_id: str) -> None:
    with db.transaction() as session:
        session.exec(delete(LoginSession).where(LoginSession.id == _session_key(session_id)))


# Links.
def confirmation_token(secret: str, seller: Seller) -> str:
    return make_token(secret, LinkPurpose.confirm_email, seller.id, seller.email)


def reset_token(secret: str, seller: Seller) -> str:
    return make_token(secret, LinkPurpose.reset_password, seller.id, seller.password_hash)


def _link_state(seller: Seller, purpose: LinkPurpose) -> str:
    return seller.email if purpose is LinkPurpose.confirm_email else seller.password_hash


def check_link(db: Database, secret: str, purpose: LinkPurpose, token: str, max_age: int) -> Seller | LinkProblem:
    """The seller a link acts for, without using it up."""
    read = read_token(secret, purpose, token, max_age)
    if isinstance(read, LinkProblem):
        return read
    seller_id, state = read
    with db.transaction() as session:
        seller = session.get(Seller, seller_id)
        if seller is None:
            return LinkProblem.invalid
        if session.get(UsedLink, link_digest(token)) or state != fingerprint(_link_state(seller, purpose)):
            return LinkProblem.used
        return seller


def _use_link(db: Database, secret: str, purpose: LinkPurpose, token: str, max_age: int, change) -> Seller | LinkProblem:
    checked = check_link(db, secret, purpose, token, max_age)
    if isinstance(checked, LinkProblem):
        return checked
    try:
        with db.transaction() as session:
            # The primary key makes a second, concurrent use of the same link fail here.
            session.add(UsedLink(digest=link_digest(token)))
            session.flush()
            seller = session.get(Seller, checked.id)
            change(session, seller)
            session.add(seller)
    except IntegrityError:
        return LinkProblem.used
    return seller


def confirm_email(db: Database, secret: str, token: str, max_age: int) -> Seller | LinkProblem:
    def confirm(_session, seller: Seller) -> None:
        seller.email_confirmed_at = seller.email_confirmed_at or utcnow()

    return _use_link(db, secret, LinkPurpose.confirm_email, token, max_age, confirm)


def reset_password(db: Database, secret: str, token: str, max_age: int, new_password: str) -> Seller | LinkProblem:
    new_hash = passwords.hash_password(new_password)

    def replace(session, seller: Seller) -> None:
        seller.password_hash = new_hash
        seller.password_changed_at = utcnow()
        # Whoever knew the old password is signed out everywhere; following a mailed link
        # also proves the address, so it counts as confirmation.
        seller.email_confirmed_at = seller.email_confirmed_at or utcnow()
        session.exec(delete(LoginSession).where(LoginSession.seller_id == seller.id))

    return _use_link(db, secret, LinkPurpose.reset_password, token, max_age, replace)
