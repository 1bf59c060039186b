"""Two-factor helpers for tests: enrol over HTTP, and compute the code an authenticator app shows."""

import html
import re
import time
from datetime import UTC, datetime, timedelta

import pyotp
import time_machine

from tests.conftest import PASSWORD, post_form


SETUP = "/account/security/two-factor"
SECOND_STEP = "/account/security/sign-in/code"
STEP = 30  # seconds, an authenticator's time step


def enrol(client, step_offset: int = 0) -> tuple[str, list[str]]:
    """Set up the authenticator for the signed-in seller: (key, recovery codes). step_offset -1 uses
    the previous code (still accepted), leaving the current and next ones for the test."""
    key, page = enrol_with_page(client, step_offset)
    return key, recovery_codes_on(page)


def enrol_with_page(client, step_offset: int = 0) -> tuple[str, str]:
    """enrol(), answering (key, the recovery-codes page enrolment ends on)."""
    key, page, _step = _enrolled(client, step_offset)
    return key, page


def _enrolled(client, step_offset: int) -> tuple[str, str, int]:
    key = new_key(client)
    code, step = code_at(key, step_offset)
    done = post_form(client, SETUP, {"code": code})
    assert done.status_code == 200, done.text
    return key, done.text, step


# Time a code of the previous step is given to reach the portal (a loaded machine, a browser typing).
MARGIN_SECONDS = 5.0


def code_at(key: str, step_offset: int = 0) -> tuple[str, int]:
    """(the code of the time step `step_offset` from now, that step). The portal accepts one step
    either side of its own, so the previous step's code is refused once the current step ends: when
    it ends within MARGIN_SECONDS, wait for the next one first, or the code could be stale on
    arrival."""
    if step_offset < 0 and (left := STEP - time.time() % STEP) < MARGIN_SECONDS:
        time.sleep(left + 0.05)
    step = int(time.time() // STEP) + step_offset
    return pyotp.TOTP(key).at(step * STEP), step


def recovery_codes_on(page: str) -> list[str]:
    return re.findall(r"<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>", page)


def asked_to_enrol(response) -> bool:
    return response.status_code == 303 and response.headers["location"] == SETUP


def enrol_when_asked(client, response):
    """The portal asks for two-step sign-in the moment the seller's Stripe account exists (the
    profile step that makes it). When `response` is that ask, set it up as the seller would (an
    authenticator app, with the previous code so the current and next stay free), keep its key and
    recovery codes on the client (client.two_factor_key, client.recovery_codes) for later sign-ins,
    and answer as the step would have without the ask: a 303 to where 'I have saved my codes'
    leads. Any other response comes back as it is."""
    if not asked_to_enrol(response):
        return response
    key, page, step = _enrolled(client, step_offset=-1)
    client.two_factor_key, client.recovery_codes = key, recovery_codes_on(page)
    client.two_factor_step = step
    saved = re.search(r'<a[^>]*href="([^"]+)"[^>]*>I have saved my codes', page)
    response.headers["location"] = html.unescape(saved.group(1))
    return response


def next_code(client) -> str:
    """The authenticator's next code for the key enrol_when_asked kept: each is accepted once, so
    this is the current one, or the next (accepted one step early) when the current was used.
    Further codes need the clock moved on (later())."""
    now = int(time.time() // STEP)
    step = max(getattr(client, "two_factor_step", now - 2) + 1, now - 1)
    if step < now and (left := STEP - time.time() % STEP) < MARGIN_SECONDS:  # stale on arrival: see code_at
        time.sleep(left + 0.05)
        return next_code(client)
    assert step <= now + 1, "no unused code until the clock moves on: use later()"
    client.two_factor_step = step
    return pyotp.TOTP(client.two_factor_key).at(step * STEP)


def sign_in_with_code(client, email: str, password: str = PASSWORD, **login_data):
    """Sign in as a seller whose second factor enrol_when_asked set up: the password, then the next
    code when the portal asks for it. The answer to the last step (a 303 to where signing in leads)."""
    response = post_form(client, "/account/login", {"email": email, "password": password, **login_data},
                         follow_redirects=False)
    if response.status_code == 303 and response.headers["location"] == SECOND_STEP:
        response = post_form(client, SECOND_STEP, {"code": next_code(client)}, follow_redirects=False)
    return response


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
