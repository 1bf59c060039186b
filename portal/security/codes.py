"""Authenticator codes (TOTP, RFC 6238), recovery codes, and how networks compare. Pure."""

import base64
import hashlib
import hmac
import ipaddress
import secrets
import time
from enum import StrEnum

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken

STEP_SECONDS = 30
# One step either side: phone clocks drift, and a code typed at the end of its 30 s still counts.
WINDOW = 1
RECOVERY_CODE_COUNT = 10


class CodeCheck(StrEnum):
    ok = "ok"
    wrong = "wrong_code"
    replayed = "replayed_code"


def new_secret() -> str:
    return pyotp.random_base32()


def _fernet(app_secret: str) -> Fernet:
    key = hashlib.sha256(b"portal totp secret v1:" + app_secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: str, app_secret: str) -> str:
    return _fernet(app_secret).encrypt(secret.encode()).decode()


def unseal(sealed: str, app_secret: str) -> str | None:
    try:
        return _fernet(app_secret).decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_data_uri(uri: str) -> str:
    """The QR code as an SVG data URI: drawn on the server, shown by an <img> (the CSP allows data:)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def spaced(secret: str) -> str:
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def clean(code: str) -> str:
    # ASCII only: "²" and "٣" are digits to str.isdigit, and compare_digest refuses non-ASCII text.
    return "".join(ch for ch in code.lower() if ch.isascii() and ch.isalnum())


def check_code(secret: str, code: str, last_step: int, now: float | None = None) -> tuple[CodeCheck, int]:
    """(result, the time step the code belongs to). A code at or before last_step is spent."""
    code = clean(code)
    if len(code) != 6 or not code.isdigit():
        return CodeCheck.wrong, 0
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    for step in range(current - WINDOW, current + WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return (CodeCheck.ok if step > last_step else CodeCheck.replayed), step
    return CodeCheck.wrong, 0


def new_recovery_codes() -> list[str]:
    # 50 random bits each, in two groups of five that are easy to copy by hand.
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()[:10]
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def recovery_digest(code: str, app_secret: str) -> str:
    return hmac.new(app_secret.encode(), b"recovery:" + clean(code).encode(), hashlib.sha256).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    return len(clean(code)) == 10


def network(ip: str) -> str:
    """The network an address belongs to for 'new network' mail: IPv4 /16, IPv6 /48."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    prefix = 16 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
