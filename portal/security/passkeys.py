"""Passkeys (WebAuthn) through py_webauthn: registering one, and checking one's answer to a challenge.

Plain functions over the database. A challenge is made here, kept (as a digest) in the database so
any process can check the answer, and taken at most once within CHALLENGE_MAX_AGE; the browser
that asked is bound to it by the digest its session holds (the routes pass it in as `bound`).
User verification (a PIN or biometric on the device) is required, so a passkey alone is two
factors. Only the public key is stored."""

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from urllib.parse import urlsplit

import webauthn
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from webauthn.helpers import bytes_to_base64url, parse_authenticator_data
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria, PublicKeyCredentialDescriptor, ResidentKeyRequirement, UserVerificationRequirement,
)

from portal.db import Database, utcnow
from portal.security.models import Passkey, PasskeyChallenge

CHALLENGE_MAX_AGE = timedelta(minutes=5)
# What the browser is given to answer within (milliseconds), a little under the challenge's life.
TIMEOUT_MS = 240_000
NAME_MAX = 64
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class Purpose(StrEnum):
    register = "register"
    sign_in = "sign_in"          # passwordless: the passkey names the seller
    second_step = "second_step"  # after the password: the passkey must be that seller's
    reauth = "reauth"            # confirming it's you before a sensitive change
    approve = "approve"          # a staff member confirming one large money movement


@dataclass(frozen=True)
class Owner:
    """Whose passkeys: a seller's, or a staff member's (the step-up on top of single sign-on)."""

    seller_id: int | None = None
    staff_id: int | None = None

    @classmethod
    def seller(cls, seller_id: int) -> "Owner":
        return cls(seller_id=seller_id)

    @classmethod
    def staff(cls, staff_id: int) -> "Owner":
        return cls(staff_id=staff_id)

    def of(self, row) -> bool:
        """Is this passkey (or challenge) for this owner?"""
        return (row.seller_id, row.staff_id) == (self.seller_id, self.staff_id)

    def where(self, model):
        return model.seller_id == self.seller_id if self.seller_id is not None else model.staff_id == self.staff_id

    @property
    def label(self) -> str:
        return f"seller:{self.seller_id}" if self.seller_id is not None else f"staff:{self.staff_id}"


class Refusal(StrEnum):
    """Why an answer was not accepted (also the sign-in history's outcome)."""

    malformed = "passkey_malformed"
    challenge = "passkey_challenge"        # unknown, expired, already used, or asked by another browser
    unknown = "passkey_unknown"            # no such passkey here
    not_yours = "passkey_not_yours"        # another seller's passkey
    failed = "passkey_failed"              # signature, origin, relying party or user verification
    counter = "passkey_counter"            # the signature counter went backwards: a cloned authenticator
    already_registered = "passkey_exists"


@dataclass(frozen=True)
class RelyingParty:
    id: str
    name: str
    origins: tuple[str, ...]


def relying_party(settings) -> RelyingParty:
    """The portal's address (PUBLIC_URL) names the relying party. A browser does not accept an IP
    address as one, so the sandbox on a loopback address is reached as localhost."""
    url = urlsplit(settings.portal_url)
    host = url.hostname or "localhost"
    if settings.sandbox_mode and host in LOOPBACK:
        port = f":{url.port}" if url.port else ""
        return RelyingParty("localhost", settings.platform_name, (f"{url.scheme}://localhost{port}",))
    return RelyingParty(host, settings.platform_name, (f"{url.scheme}://{url.netloc}",))


def user_handle(owner: Owner, app_secret: str) -> bytes:
    """The opaque id a passkey keeps for its owner: stable, and not the database id."""
    return hmac.new(app_secret.encode(), f"passkey-user:{owner.label}".encode(), hashlib.sha256).digest()


def challenge_digest(challenge: bytes) -> str:
    return hashlib.sha256(b"passkey-challenge:" + challenge).hexdigest()


def clean_name(name: str) -> str:
    return " ".join(name.split())[:NAME_MAX] or "Passkey"


# Challenges.
def _new_challenge(db: Database, purpose: Purpose, owner: Owner | None, subject: str = "") -> tuple[bytes, str]:
    challenge = webauthn.helpers.generate_challenge()
    digest = challenge_digest(challenge)
    with db.transaction() as session:
        # Old challenges are of no use to anyone: each new one sweeps them away.
        session.exec(delete(PasskeyChallenge).where(PasskeyChallenge.created_at < utcnow() - 2 * CHALLENGE_MAX_AGE))
        owner = owner or Owner()
        session.add(PasskeyChallenge(digest=digest, purpose=purpose.value, seller_id=owner.seller_id,
                                     staff_id=owner.staff_id, subject=subject))
    return challenge, digest


def _take_challenge(db: Database, challenge: bytes, bound: str, purposes: set[Purpose]) -> PasskeyChallenge | None:
    """The challenge, if it is one we gave this browser, for one of these purposes, recently, and not
    used before; taking it uses it (a conditional update: of two concurrent answers, one wins)."""
    digest = challenge_digest(challenge)
    if not bound or not hmac.compare_digest(digest, bound):
        return None
    with db.transaction() as session:
        taken = session.exec(
            update(PasskeyChallenge)
            .where(PasskeyChallenge.digest == digest, PasskeyChallenge.used_at.is_(None),
                   PasskeyChallenge.created_at >= utcnow() - CHALLENGE_MAX_AGE,
                   PasskeyChallenge.purpose.in_([purpose.value for purpose in purposes]))
            .values(used_at=utcnow())
        ).rowcount
        return session.exec(select(PasskeyChallenge).where(PasskeyChallenge.digest == digest)).first() if taken else None


def _client_challenge(credential) -> bytes | None:
    """The challenge the browser signed, read from its client data (checked again by py_webauthn)."""
    try:
        client_data = json.loads(webauthn.base64url_to_bytes(credential["response"]["clientDataJSON"]))
        return webauthn.base64url_to_bytes(client_data["challenge"])
    except (KeyError, TypeError, ValueError):
        return None


# Registering.
def registration_options(db: Database, rp: RelyingParty, owner: Owner, email: str, app_secret: str) -> tuple[str, str]:
    """(options as JSON for navigator.credentials.create, the challenge's digest for the session)."""
    challenge, digest = _new_challenge(db, Purpose.register, owner)
    options = webauthn.generate_registration_options(
        rp_id=rp.id, rp_name=rp.name, user_name=email, user_display_name=email,
        user_id=user_handle(owner, app_secret), challenge=challenge, timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=_descriptors(db, owner),
    )
    return webauthn.options_to_json(options), digest


def finish_registration(db: Database, rp: RelyingParty, owner: Owner, credential, name: str, bound: str) -> Passkey | Refusal:
    challenge = _client_challenge(credential)
    if challenge is None:
        return Refusal.malformed
    taken = _take_challenge(db, challenge, bound, {Purpose.register})
    if taken is None or not owner.of(taken):
        return Refusal.challenge
    try:
        verified = webauthn.verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp.id,
            expected_origin=list(rp.origins), require_user_verification=True,
        )
    except (WebAuthnException, KeyError, TypeError, ValueError):
        return Refusal.failed
    passkey = Passkey(seller_id=owner.seller_id, staff_id=owner.staff_id, credential_id=bytes_to_base64url(verified.credential_id),
                      public_key=bytes_to_base64url(verified.credential_public_key),
                      sign_count=verified.sign_count, name=clean_name(name))
    try:
        with db.transaction() as session:
            session.add(passkey)
    except IntegrityError:
        return Refusal.already_registered
    return passkey


# Answering a challenge: signing in, the second step, confirming it's you.
def authentication_options(db: Database, rp: RelyingParty, purpose: Purpose, owner: Owner | None,
                           subject: str = "") -> tuple[str, str]:
    """A passwordless sign-in lets the device offer any passkey it holds for us (discoverable
    credentials); otherwise only the owner's own passkeys are asked for. `subject` names the one
    thing an answer confirms (a staff approval's movement)."""
    challenge, digest = _new_challenge(db, purpose, owner, subject)
    options = webauthn.generate_authentication_options(
        rp_id=rp.id, challenge=challenge, timeout=TIMEOUT_MS,
        allow_credentials=_descriptors(db, owner) if owner is not None else [],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return webauthn.options_to_json(options), digest


@dataclass(frozen=True)
class Answered:
    passkey: Passkey
    purpose: Purpose


def finish_authentication(db: Database, rp: RelyingParty, credential, bound: str, purposes: set[Purpose],
                          app_secret: str, subject: str = "") -> Answered | Refusal:
    challenge = _client_challenge(credential)
    if challenge is None or not isinstance(credential.get("id"), str):
        return Refusal.malformed
    taken = _take_challenge(db, challenge, bound, purposes)
    if taken is None or taken.subject != subject:
        return Refusal.challenge
    with db.transaction() as session:
        passkey = session.exec(select(Passkey).where(Passkey.credential_id == credential["id"])).first()
    if passkey is None:
        return Refusal.unknown
    owner = Owner(taken.seller_id, taken.staff_id)
    if owner == Owner():  # a passwordless sign-in: only a seller's passkey signs a seller in
        if passkey.seller_id is None:
            return Refusal.unknown
    elif not owner.of(passkey):
        return Refusal.not_yours
    handle = credential["response"].get("userHandle") if isinstance(credential["response"], dict) else None
    if handle and not _same_handle(handle, user_handle(Owner(passkey.seller_id, passkey.staff_id), app_secret)):
        return Refusal.not_yours
    try:
        counted = parse_authenticator_data(webauthn.base64url_to_bytes(credential["response"]["authenticatorData"])).sign_count
        if not counter_moves_on(passkey.sign_count, counted):
            return Refusal.counter
        verified = webauthn.verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp.id, expected_origin=list(rp.origins),
            credential_public_key=webauthn.base64url_to_bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count, require_user_verification=True,
        )
    except (WebAuthnException, KeyError, TypeError, ValueError):
        return Refusal.failed
    with db.transaction() as session:
        # Only from the count we checked: of two answers racing with one counter, one wins.
        moved = session.exec(
            update(Passkey).where(Passkey.id == passkey.id, Passkey.sign_count == passkey.sign_count)
            .values(sign_count=verified.new_sign_count, last_used_at=utcnow())
        ).rowcount
    if not moved:
        return Refusal.counter
    return Answered(passkey, Purpose(taken.purpose))


def counter_moves_on(stored: int, given: int) -> bool:
    """A signature counter only goes up; an authenticator that keeps none reports 0 every time."""
    return given > stored or (given == 0 and stored == 0)


def _same_handle(given: str, expected: bytes) -> bool:
    try:
        return hmac.compare_digest(webauthn.base64url_to_bytes(given), expected)
    except (TypeError, ValueError):
        return False


# A seller's passkeys.
def _descriptors(db: Database, owner: Owner) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(passkey.credential_id))
            for passkey in passkeys_of(db, owner)]


def passkeys_of(db: Database, owner: Owner) -> list[Passkey]:
    with db.transaction() as session:
        return list(session.exec(select(Passkey).where(owner.where(Passkey)).order_by(Passkey.id)).all())


def has_passkeys(db: Database, seller_id: int) -> bool:
    with db.transaction() as session:
        return session.exec(select(Passkey.id).where(Passkey.seller_id == seller_id)).first() is not None


def remove(db: Database, owner: Owner, passkey_id: int) -> Passkey | None:
    """The owner's passkey, removed; None when it is not theirs (or already gone)."""
    with db.transaction() as session:
        passkey = session.exec(select(Passkey).where(Passkey.id == passkey_id, owner.where(Passkey))).first()
        if passkey is not None:
            session.delete(passkey)
    return passkey


def remove_all(db: Database, seller_id: int) -> None:
    with db.transaction() as session:
        session.exec(delete(Passkey).where(Passkey.seller_id == seller_id))
