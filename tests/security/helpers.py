"""Two-factor helpers for tests: enrol over HTTP, and compute the code an authenticator app shows."""

import html
import re
import time
from datetime import UTC, datetime, timedelta

import pyotp
import time_machine

from tests.conftest import post_form


def enrol(client, step_offset: int = 0) -> tuple[str, list[str]]:
    """Set up the authenticator for the signed-in seller: (key, recovery codes). step_offset -1 uses
    the previous code (still accepted), leaving the current and next ones for the test."""
    key = new_key(client)
    done = post_form(client, "/account/security/two-factor", {"code": pyotp.TOTP(key).at(time.time() + 30 * step_offset)})
    assert done.status_code == 200, done.text
    return key, re.findall(r"<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>", done.text)


def new_key(client) -> str:
    """Press 'Show the code to scan' on the setup page: the key it shows (the page's GET shows none)."""
    page = post_form(client, "/account/security/two-factor/key", {}, page="/account/security/two-factor").text
    return html.unescape(re.search(r'<code id="totp-key"[^>]*>([^<]+)</code>', page).group(1)).replace(" ", "")


def clock():
    """A clock the test moves on with .shift(31) before each new code; it never goes back while in use
    (a signed session cookie from the future would be refused)."""
    return time_machine.travel(datetime.now(UTC), tick=True)


def later(seconds: int = 31):
    """Move the clock on, so the authenticator shows a fresh code (a used one cannot be replayed)."""
    return time_machine.travel(datetime.now(UTC) + timedelta(seconds=seconds), tick=True)


def code(key: str) -> str:
    return pyotp.TOTP(key).at(time.time())
