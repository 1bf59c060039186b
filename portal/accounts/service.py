"""Seller accounts: sign-up, sign-in sessions, confirmation and password reset."""

import hashlib
import secrets
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from portal.i18n import gettext as _
from portal.accounts import passwords
from portal.accounts.links import LinkProblem, LinkPurpose, fingerprint, link_digest, make_token, read_token
from portal.accounts.models import LoginSession, Seller, UsedLink
from portal.db import Database, utcnow
from portal.security.models import EmailChange, Passkey, PasswordHistory

SESSION_TOUCH_INTERVAL = timedelta(minutes=5)
# A new password may not be the current one nor any of the four before it.
PASSWORD_HISTORY = 5


class EmailTaken(Exception):
    pass


def email_problem(raw: str) -> str | None:
    if not raw.strip():
        return _("Enter your email address.")
    try:
        validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        return _("Enter a valid email address (%(exc)s).", exc=str(exc).rstrip('.'))
    return None


def normalize_email(raw: str) -> str:
    return validate_email(raw.strip(), check_deliverability=False).normalized.lower()


def sign_up(db: Database, email: str, password: str, locale: str | None = None) -> Seller:
    """`locale`: the language the seller signed up in, kept as theirs (mail sent later, outside
    any request of theirs, is written in it) until they pick another."""
    password_hash = passwords.hash_password(password)
    try:
        with db.transaction() as session:
            seller = Seller(email=normalize_email(email), password_hash=password_hash, locale=locale)
            session.add(seller)
    except IntegrityError as exc:
        raise EmailTaken(email) from exc
    return seller


def set_locale(db: Database, seller_id: int, locale: str) -> None:
    with db.transaction() as session:
        seller = session.get(Seller, seller_id)
        if seller is not None:
            seller.locale = locale
            session.add(seller)


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
def session_digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_session(db: Database, seller_id: int, ip: str, user_agent: str) -> str:
    session_id = secrets.token_urlsafe(32)
    with db.transaction() as session:
        session.add(LoginSession(id=session_digest(session_id), seller_id=seller_id, ip=ip, user_agent=user_agent[:512]))
    return session_id


def session_seller(db: Database, session_id: str, max_age: int) -> Seller | None:
    """The seller this session signs in, read without waiting on writers."""
    with db.read() as session:
        found = session.exec(select(LoginSession, Seller).join(Seller, Seller.id == LoginSession.seller_id)
                             .where(LoginSession.id == session_digest(session_id))).first()
    if found is None or not keep_session(db, found[0], max_age):
        return None
    return found[1]


def session_needs_writing(login: LoginSession, max_age: int) -> bool:
    """Whether keep_session would write (the session expired, or was last seen a while ago)."""
    now = utcnow()
    return login.created_at < now - timedelta(seconds=max_age) or login.last_seen_at < now - SESSION_TOUCH_INTERVAL


def keep_session(db: Database, login: LoginSession, max_age: int) -> bool:
    """Whether a login session just read still signs its seller in. Written only when it has
    expired (deleted) or was last seen more than SESSION_TOUCH_INTERVAL ago, so most pages only read."""
    now = utcnow()
    expired = login.created_at < now - timedelta(seconds=max_age)
    if expired or login.last_seen_at < now - SESSION_TOUCH_INTERVAL:
        with db.transaction() as session:
            stored = session.get(LoginSession, login.id)
            if expired and stored is not None:
                session.delete(stored)
            elif stored is not None:
                stored.last_seen_at = now
                session.add(stored)
    return not expired


def close_other_sessions(db: Database, seller_id: int, keep_session_id: str) -> int:
    with db.transaction() as session:
        return session.exec(delete(LoginSession).where(
            LoginSession.seller_id == seller_id, LoginSession.id != session_digest(keep_session_id))).rowcount


def close_session(db: Database, session_id: str) -> None:
    with db.transaction() as session:
        session.exec(delete(LoginSession).where(LoginSession.id == session_digest(session_id)))


# Links.
def confirmation_token(secret: str, seller: Seller) -> str:
    return make_token(secret, LinkPurpose.confirm_email, seller.id, seller.email)


def reset_token(secret: str, seller: Seller) -> str:
    return make_token(secret, LinkPurpose.reset_password, seller.id, seller.password_hash)


def _link_state(seller: Seller, purpose: LinkPurpose) -> str:
    # Reset and lock links die when the password hash changes.
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


def spend_link(db: Database, token: str, change):
    """Mark a link used and make its change in one transaction: `change(session)` returns the
    result. A second use, even a concurrent one, gets LinkProblem.used."""
    try:
        with db.transaction() as session:
            # The primary key makes a second, concurrent use of the same link fail here.
            session.add(UsedLink(digest=link_digest(token)))
            session.flush()
            return change(session)
    except IntegrityError:
        return LinkProblem.used


def _use_link(db: Database, secret: str, purpose: LinkPurpose, token: str, max_age: int, change) -> Seller | LinkProblem:
    checked = check_link(db, secret, purpose, token, max_age)
    if isinstance(checked, LinkProblem):
        return checked

    def on_seller(session) -> Seller:
        seller = session.get(Seller, checked.id)
        change(session, seller)
        session.add(seller)
        return seller

    return spend_link(db, token, on_seller)


def confirm_email(db: Database, secret: str, token: str, max_age: int) -> Seller | LinkProblem:
    def confirm(_session, seller: Seller) -> None:
        seller.email_confirmed_at = seller.email_confirmed_at or utcnow()

    return _use_link(db, secret, LinkPurpose.confirm_email, token, max_age, confirm)


def reset_password(db: Database, secret: str, token: str, max_age: int, new_password: str) -> Seller | LinkProblem:
    new_hash = passwords.hash_password(new_password)

    def replace(session, seller: Seller) -> None:
        _remember_password(session, seller)
        seller.password_hash = new_hash
        seller.password_changed_at = utcnow()
        # Whoever knew the old password is signed out everywhere; following a mailed link
        # also proves the address, so it counts as confirmation.
        seller.email_confirmed_at = seller.email_confirmed_at or utcnow()
        session.exec(delete(LoginSession).where(LoginSession.seller_id == seller.id))

    return _use_link(db, secret, LinkPurpose.reset_password, token, max_age, replace)


# Password history.
def new_password_errors(db: Database, seller_id: int | None, email: str, password: str, confirm: str) -> dict[str, str]:
    """What is wrong with a new password, by field: the policy, the last five (for an existing
    seller), and the two entries matching. Sign-up, reset and change all ask the same."""
    if problem := passwords.password_problem(password, email=email):
        return {"password": problem}
    if seller_id is not None and password_reused(db, seller_id, password):
        return {"password": _("Choose a password you haven't used for this account before (not one of your last five).")}
    if password != confirm:
        return {"password_confirm": _("The two passwords don't match. Type the same password twice.")}
    return {}


def password_reused(db: Database, seller_id: int, password: str) -> bool:
    with db.transaction() as session:
        seller = session.get(Seller, seller_id)
        earlier = session.exec(
            select(PasswordHistory.password_hash).where(PasswordHistory.seller_id == seller_id)
            .order_by(PasswordHistory.id.desc()).limit(PASSWORD_HISTORY - 1)
        ).all()
    return any(passwords.verify_password(old, password) for old in [seller.password_hash, *earlier])


def _remember_password(session, seller: Seller) -> None:
    if seller.password_hash.startswith("$argon2"):
        session.add(PasswordHistory(seller_id=seller.id, password_hash=seller.password_hash))


def change_password(db: Database, seller_id: int, new_password: str, keep_session_id: str | None) -> Seller:
    """A signed-in change: every other session is signed out."""
    new_hash = passwords.hash_password(new_password)
    with db.transaction() as session:
        seller = session.get(Seller, seller_id)
        _remember_password(session, seller)
        seller.password_hash, seller.password_changed_at = new_hash, utcnow()
        session.add(seller)
        keep = session_digest(keep_session_id) if keep_session_id else ""
        session.exec(delete(LoginSession).where(LoginSession.seller_id == seller_id, LoginSession.id != keep))
    return seller


def lock_account(db: Database, secret: str, token: str, max_age: int) -> Seller | LinkProblem:
    """'This wasn't me': no password works any more and every session ends; a reset link is next."""

    def lock(session, seller: Seller) -> None:
        _remember_password(session, seller)
        seller.password_hash = "locked:" + secrets.token_hex(16)
        seller.password_changed_at = utcnow()
        session.exec(delete(LoginSession).where(LoginSession.seller_id == seller.id))
        # A passkey added by whoever got in would let them back in: every passkey goes (the seller adds theirs again).
        session.exec(delete(Passkey).where(Passkey.seller_id == seller.id))

    return _use_link(db, secret, LinkPurpose.lock_account, token, max_age, lock)


# Login email changes: confirmed at the new address, revertible from the old one.
def request_email_change(db: Database, seller_id: int, new_email: str) -> EmailChange:
    with db.transaction() as session:
        seller = session.get(Seller, seller_id)
        change = EmailChange(seller_id=seller_id, old_email=seller.email, new_email=normalize_email(new_email))
        session.add(change)
    return change


def _read_change(db: Database, secret: str, purpose: LinkPurpose, token: str, max_age: int):
    read = read_token(secret, purpose, token, max_age)
    if isinstance(read, LinkProblem):
        return read
    seller_id, state = read
    with db.transaction() as session:
        if session.get(UsedLink, link_digest(token)):
            return LinkProblem.used
        changes = session.exec(select(EmailChange).where(EmailChange.seller_id == seller_id)).all()
    address = (lambda change: change.new_email) if purpose is LinkPurpose.change_email else (lambda change: change.old_email)
    for change in changes:
        if fingerprint(f"{change.id}:{address(change)}") == state:
            return change
    return LinkProblem.invalid


def check_email_change(db: Database, secret: str, purpose: LinkPurpose, token: str, max_age: int) -> EmailChange | LinkProblem:
    return _read_change(db, secret, purpose, token, max_age)


def confirm_email_change(db: Database, secret: str, token: str, max_age: int) -> EmailChange | LinkProblem:
    change = _read_change(db, secret, LinkPurpose.change_email, token, max_age)
    if isinstance(change, LinkProblem):
        return change

    def confirm(session) -> EmailChange | LinkProblem:
        seller, stored = session.get(Seller, change.seller_id), session.get(EmailChange, change.id)
        if stored.confirmed_at or stored.reverted_at or seller.email != stored.old_email:
            return LinkProblem.used
        seller.email, seller.email_confirmed_at = stored.new_email, utcnow()
        stored.confirmed_at = utcnow()
        session.add_all([seller, stored])
        return stored

    # Also LinkProblem.used when the new address has meanwhile become another account's (unique email).
    return spend_link(db, token, confirm)


def revert_email_change(db: Database, secret: str, token: str, max_age: int) -> EmailChange | LinkProblem:
    """The old address takes the account back: the email returns and every session ends."""
    change = _read_change(db, secret, LinkPurpose.revert_email, token, max_age)
    if isinstance(change, LinkProblem):
        return change

    def revert(session) -> EmailChange | LinkProblem:
        seller, stored = session.get(Seller, change.seller_id), session.get(EmailChange, change.id)
        if stored.reverted_at or not stored.confirmed_at:
            return LinkProblem.used
        seller.email, stored.reverted_at = stored.old_email, utcnow()
        session.add_all([seller, stored])
        session.exec(delete(LoginSession).where(LoginSession.seller_id == seller.id))
        return stored

    return spend_link(db, token, revert)
