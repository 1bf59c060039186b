"""Signed, expiring, single-use links for email confirmation and password reset.

The link carries the seller id and a fingerprint of the state it acts on (the email it confirms,
the password hash it replaces), so it dies as soon as that state changes; a digest of every
followed link is also recorded, so even an unchanged state cannot be acted on twice."""

import hashlib
from enum import StrEnum

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class LinkPurpose(StrEnum):
    confirm_email = "confirm-email"
    reset_password = "reset-password"
    business_email = "business-email"
    lock_account = "lock-account"
    change_email = "change-email"
    revert_email = "revert-email"
    recovery = "recovery"
    remediation = "remediation"


class LinkProblem(StrEnum):
    invalid = "invalid"
    expired = "expired"
    used = "used"


def fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def link_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def make_token(secret: str, purpose: LinkPurpose, seller_id: int, state: str) -> str:
    serializer = URLSafeTimedSerializer(secret, salt=purpose.value)
    return serializer.dumps({"s": seller_id, "f": fingerprint(state)})


def read_token(secret: str, purpose: LinkPurpose, token: str, max_age: int) -> tuple[int, str] | LinkProblem:
    """(seller id, state fingerprint) for a good token, else what is wrong with it."""
    serializer = URLSafeTimedSerializer(secret, salt=purpose.value)
    try:
        payload = serializer.loads(token, max_age=max_age)
    except SignatureExpired:
        return LinkProblem.expired
    except BadSignature:
        return LinkProblem.invalid
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int) or not isinstance(payload.get("f"), str):
        return LinkProblem.invalid
    return payload["s"], payload["f"]
