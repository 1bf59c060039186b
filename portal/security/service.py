"""Two factors, sign-in history, devices and sensitive changes: plain functions over the database."""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import select

from portal import audit
from portal.accounts.models import LoginSession
from portal.connect.mirror import account_for_seller
from portal.db import Database, utcnow
from portal.security import codes
from portal.security.codes import CodeCheck
from portal.security.passkeys import has_passkeys
from portal.security.models import KnownDevice, RecoveryCode, SensitiveChange, SignInEvent, TwoFactor

RECENT_SIGN_INS = 20
# A bank change this close to a new device or a password/email change is what a takeover looks like.
RISK_WINDOW = timedelta(hours=24)
BANK = "bank_account"
PASSWORD = "password"
LOGIN_EMAIL = "login_email"
BUSINESS_EMAIL = "business_email"
TWO_FACTOR_OFF = "two_factor_off"
PASSKEY_ADDED = "passkey_added"
PASSKEY_REMOVED = "passkey_removed"
RECOVERY = "recovery"


def device_digest(cookie: str) -> str:
    return hashlib.sha256(b"device:" + cookie.encode()).hexdigest() if cookie else ""


# Two factors.
def enrolled(db: Database, seller_id: int) -> bool:
    """Two-step sign-in is on: an authenticator app, or a passkey (which verifies the seller on
    the device as well as being something they have)."""
    return has_authenticator(db, seller_id) or has_passkeys(db, seller_id)


def has_authenticator(db: Database, seller_id: int) -> bool:
    with db.transaction() as session:
        row = session.get(TwoFactor, seller_id)
        return bool(row and row.confirmed_at)


def two_factor_required(db: Database, seller_id: int, for_all: bool) -> bool:
    """Required once the seller has a connected account (money can move), or for all by setting."""
    return for_all or enrolled(db, seller_id) or account_for_seller(db, seller_id) is not None


def start_enrolment(db: Database, seller_id: int, app_secret: str) -> str:
    """A new, unconfirmed key (replacing any unconfirmed one); a seller with an app keeps theirs."""
    secret = codes.new_secret()
    with db.transaction() as session:
        row = session.get(TwoFactor, seller_id)
        if row and row.confirmed_at:
            raise ValueError("already enrolled")
        row = row or TwoFactor(seller_id=seller_id, sealed_secret="")
        row.sealed_secret = codes.seal(secret, app_secret)
        row.last_step = 0
        session.add(row)
    return secret


def pending_secret(db: Database, seller_id: int, app_secret: str) -> str | None:
    with db.transaction() as session:
        row = session.get(TwoFactor, seller_id)
    if row is None or row.confirmed_at:
        return None
    return codes.unseal(row.sealed_secret, app_secret)


def confirm_enrolment(db: Database, seller_id: int, code: str, app_secret: str) -> list[str] | None:
    """The recovery codes (to show once) when the first code is right; None when it is not."""
    secret = pending_secret(db, seller_id, app_secret)
    if secret is None:
        return None
    result, step = codes.check_code(secret, code, 0)
    if result is not CodeCheck.ok:
        return None
    with db.transaction() as session:
        row = session.get(TwoFactor, seller_id)
        row.confirmed_at, row.last_step = utcnow(), step
        session.add(row)
    return regenerate_recovery_codes(db, seller_id, app_secret)


def regenerate_recovery_codes(db: Database, seller_id: int, app_secret: str) -> list[str]:
    fresh = codes.new_recovery_codes()
    with db.transaction() as session:
        session.exec(delete(RecoveryCode).where(RecoveryCode.seller_id == seller_id))
        for code in fresh:
            session.add(RecoveryCode(seller_id=seller_id, digest=codes.recovery_digest(code, app_secret)))
    return fresh


def recovery_codes_left(db: Database, seller_id: int) -> int:
    with db.transaction() as session:
        return len(session.exec(
            select(RecoveryCode.id).where(RecoveryCode.seller_id == seller_id, RecoveryCode.used_at.is_(None))
        ).all())


def check_second_factor(db: Database, seller_id: int, code: str, app_secret: str) -> CodeCheck:
    """An authenticator code or an unused recovery code. Each is accepted once only: the conditional
    updates make a second, concurrent use of the same code fail."""
    if codes.looks_like_recovery_code(code):
        digest = codes.recovery_digest(code, app_secret)
        with db.transaction() as session:
            used = session.exec(
                update(RecoveryCode)
                .where(RecoveryCode.seller_id == seller_id, RecoveryCode.digest == digest, RecoveryCode.used_at.is_(None))
                .values(used_at=utcnow())
            ).rowcount
            if used:
                return CodeCheck.ok
            spent = session.exec(select(RecoveryCode.id).where(
                RecoveryCode.seller_id == seller_id, RecoveryCode.digest == digest)).first()
        return CodeCheck.replayed if spent else CodeCheck.wrong
    with db.transaction() as session:
        row = session.get(TwoFactor, seller_id)
    secret = codes.unseal(row.sealed_secret, app_secret) if row and row.confirmed_at else None
    if secret is None:
        return CodeCheck.wrong
    result, step = codes.check_code(secret, code, row.last_step)
    if result is not CodeCheck.ok:
        return result
    with db.transaction() as session:
        moved = session.exec(
            update(TwoFactor).where(TwoFactor.seller_id == seller_id, TwoFactor.last_step < step).values(last_step=step)
        ).rowcount
    return CodeCheck.ok if moved else CodeCheck.replayed


def turn_off_two_factor(db: Database, seller_id: int) -> None:
    with db.transaction() as session:
        session.exec(delete(RecoveryCode).where(RecoveryCode.seller_id == seller_id))
        session.exec(delete(TwoFactor).where(TwoFactor.seller_id == seller_id))


# Sign-in history and devices.
@dataclass(frozen=True)
class SignInNews:
    """What a successful sign-in tells us: is it a device or a network this seller has not used?"""

    new_device: bool
    new_network: bool
    first_ever: bool

    @property
    def worth_telling(self) -> bool:
        return not self.first_ever and (self.new_device or self.new_network)


def record_failure(db: Database, seller_id: int | None, outcome: str, *, ip: str, user_agent: str, device: str) -> None:
    with db.transaction() as session:
        session.add(SignInEvent(seller_id=seller_id, outcome=outcome, ip=ip, user_agent=user_agent[:512],
                                device=device_digest(device)))


def record_success(db: Database, seller_id: int, *, ip: str, user_agent: str, device: str, method: str) -> SignInNews:
    digest, now = device_digest(device), utcnow()
    with db.transaction() as session:
        earlier = session.exec(
            select(SignInEvent.ip).where(SignInEvent.seller_id == seller_id, SignInEvent.success.is_(True))
        ).all()
        known = session.exec(
            select(KnownDevice).where(KnownDevice.seller_id == seller_id, KnownDevice.device == digest)
        ).first()
        news = SignInNews(
            new_device=known is None,
            new_network=bool(earlier) and codes.network(ip) not in {codes.network(address) for address in earlier},
            first_ever=not earlier,
        )
        known = known or KnownDevice(seller_id=seller_id, device=digest, first_seen_at=now)
        known.last_seen_at, known.last_ip, known.user_agent = now, ip, user_agent[:512]
        session.add(known)
        session.add(SignInEvent(seller_id=seller_id, outcome="signed_in", success=True, ip=ip, user_agent=user_agent[:512],
                                device=digest, new_device=news.new_device, new_network=news.new_network, method=method))
    return news


def recent_sign_ins(db: Database, seller_id: int, limit: int = RECENT_SIGN_INS) -> list[SignInEvent]:
    with db.transaction() as session:
        return list(session.exec(
            select(SignInEvent).where(SignInEvent.seller_id == seller_id).order_by(SignInEvent.id.desc()).limit(limit)
        ).all())


def active_sessions(db: Database, seller_id: int) -> list[LoginSession]:
    with db.transaction() as session:
        return list(session.exec(
            select(LoginSession).where(LoginSession.seller_id == seller_id).order_by(LoginSession.last_seen_at.desc())
        ).all())


# Sensitive changes.
# What staff read on the seller's audit trail (a recovery is audited by the staff member who approved it).
AUDIT_ACTIONS = {
    PASSWORD: "security.password_changed", LOGIN_EMAIL: "security.login_email_changed",
    BUSINESS_EMAIL: "security.business_email_changed", BANK: "security.bank_account_changed",
    TWO_FACTOR_OFF: "security.two_factor_turned_off", PASSKEY_ADDED: "security.passkey_added",
    PASSKEY_REMOVED: "security.passkey_removed",
}


def record_change(db: Database, seller_id: int, kind: str, *, device: str = "", ip: str = "") -> None:
    with db.transaction() as session:
        session.add(SensitiveChange(seller_id=seller_id, kind=kind, device=device_digest(device), ip=ip))
    if kind in AUDIT_ACTIONS:
        audit.record(db, actor=audit.Actor.seller(seller_id, ""), action=AUDIT_ACTIONS[kind], seller_id=seller_id, ip=ip)


def bank_change_is_risky(db: Database, seller_id: int, device: str, now: datetime | None = None) -> bool:
    """A bank change from a device first seen under 24 h ago, or within 24 h of a password or
    email change, is held for the cooling-off period."""
    since = (now or utcnow()) - RISK_WINDOW
    with db.transaction() as session:
        known = session.exec(select(KnownDevice).where(
            KnownDevice.seller_id == seller_id, KnownDevice.device == device_digest(device))).first()
        recent = session.exec(select(SensitiveChange.id).where(
            SensitiveChange.seller_id == seller_id, SensitiveChange.at >= since,
            SensitiveChange.kind.in_([PASSWORD, LOGIN_EMAIL, RECOVERY]))).first()
    return known is None or known.first_seen_at >= since or recent is not None


def bank_change_after_new_device(db: Database, seller_id: int) -> bool:
    """Staff flag: a bank account changed within a day after a sign-in from a new device."""
    with db.transaction() as session:
        changes = session.exec(select(SensitiveChange.at).where(
            SensitiveChange.seller_id == seller_id, SensitiveChange.kind == BANK)).all()
        new_devices = session.exec(select(SignInEvent.at).where(
            SignInEvent.seller_id == seller_id, SignInEvent.success.is_(True), SignInEvent.new_device.is_(True))).all()
    return any(timedelta(0) <= change - signed_in <= RISK_WINDOW for change in changes for signed_in in new_devices)
