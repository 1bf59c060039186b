"""Password hashing (Argon2) and the password policy: long enough, not on a list of common and
breached passwords, and not one people guess. (Not one of the seller's last five: service.py.)"""

from portal.i18n import current_locale, gettext as _
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 12
MAX_LENGTH = 128
# zxcvbn scores 0-4 against its lists of leaked and common passwords, words and names;
# below 3 a password falls to an offline guessing attack quickly.
MIN_SCORE = 3

# zxcvbn bundles the 30,000 passwords seen most often in breaches (its "passwords" list); one of
# them, whatever its length or case, is refused outright, before the guess-count score.
COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])

_hasher = PasswordHasher()
# Verifying against this when the email is unknown makes both failures take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-used-for-timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str, *, email: str = "") -> str | None:
    """What is wrong with a new password, in words for the person choosing it, or None."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(min_length)s characters.", min_length=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Use at most %(max_length)s characters.", max_length=MAX_LENGTH)
    if password.lower() in COMMON_PASSWORDS:
        return _("This password is on a list of common passwords that attackers try first. Choose another.")
    local_part = email.split("@")[0].lower()
    if email and (password.lower() == email.lower() or (len(local_part) >= 4 and local_part in password.lower())):
        return _("Don't use your email address in your password.")
    result = zxcvbn(password[:64], user_inputs=[email, local_part, "stripe", "seller", "portal"])
    if result["score"] < MIN_SCORE:
        # zxcvbn explains in English only: other languages get our own words for the same verdict.
        english = current_locale().startswith("en")
        warning = (english and result["feedback"].get("warning")) or _("This password is too easy to guess.")
        tip = " ".join(result["feedback"].get("suggestions", [])[:1]) if english else ""
        tip = tip or _("Try a longer phrase of unrelated words.")
        return f"{warning.rstrip('.')}. {tip}".strip()
    return None
