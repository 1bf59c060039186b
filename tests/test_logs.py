"""`portal serve` at LOG_LEVEL=DEBUG with JSON logs, driven through real flows (sign-up, confirmation,
onboarding an individual with a full SSN and a company with its tax id, bank account numbers,
webhooks from the sandbox, business-email link, password reset): every line is JSON, and no
secret, token or sensitive number is in any."""

import json
import logging
import os
import re
import subprocess
import sys
import time

import httpx
import pytest

from portal import logs
from portal.logs import OURS, REQUEST_LINES
from portal.settings import Settings, SettingsError
from tests.conftest import PASSWORD, confirm_link_path, free_port, log_in, post_form, press_link_button, sign_up
from tests.onboarding.flows import BANK, COMPANY, COMPANY_PROFILE, IDENTITY, OWNER, PROFILE, signed_in_seller, submit

EMAIL = "ann@annsbakery.com"
SSN = "536-90-4399"
TAX_ID = "53-6904398"
COMPANY_EMAIL = "jenny@rocketrides.io"
NEW_PASSWORD = "copper kettle meadow 81"
SIGNING_KEY = "log-test-signing-key-3f9a7c1e5b"


@pytest.fixture
def served(tmp_path, smtp_server):
    """`portal serve` in its own process, its log output in a file."""
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith(("STRIPE_", "PORTAL_", "LOG_"))}
    env.update(PORTAL_VAR_DIR=str(tmp_path), SECRET_KEY=SIGNING_KEY, SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_server.port),
               SANDBOX_VERIFICATION_DELAY="0", LOG_LEVEL="debug", LOG_FORMAT="json")
    log = open(tmp_path / "serve.log", "w+")
    process = subprocess.Popen([sys.executable, "-m", "portal", "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/healthz").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
        time.sleep(0.2)
    yield url, tmp_path / "serve.log"
    process.terminate()
    process.wait(timeout=30)
    log.close()


def _token(link_path: str) -> str:
    return link_path.rsplit("/", 1)[1]


def _wait_for(log_path, text: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while text not in (content := log_path.read_text()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return content


def test_debug_logs_of_real_flows_hold_no_secret_token_or_sensitive_number(served, inbox):
    url, log_path = served
    with httpx.Client(base_url=url, timeout=30, follow_redirects=True) as browser:
        sign_up(browser, EMAIL)
        confirm = confirm_link_path(inbox, EMAIL)
        press_link_button(browser, confirm)
        assert log_in(browser, EMAIL).status_code == 303
        submit(browser, "business", {"country": "US", "business_type": "individual"}, expect="/onboarding/profile")
        submit(browser, "profile", PROFILE, expect="/onboarding/business-email")
        submit(browser, "business-email", {"business_email": EMAIL}, expect="/onboarding/identity")
        submit(browser, "identity", {**IDENTITY, "id_number": SSN}, expect="/onboarding/bank")
        submit(browser, "bank", BANK, expect="/onboarding/review")
        submit(browser, "review", {"accept_stripe": "on", "accept_platform": "on"}, expect="/status/")
        mail = inbox.wait_for(EMAIL, subject="Confirm your business email address")[-1].get_content()
        business = re.search(r"/onboarding/business-email/confirm/\S+", mail).group(0)
        press_link_button(browser, business)

        post_form(browser, "/account/logout", {}, page="/dashboard")
        post_form(browser, "/account/forgot-password", {"email": EMAIL})
        reset = "/" + inbox.wait_for(EMAIL, subject="Reset your password")[-1].get_content().split(url + "/", 1)[1].split()[0]
        done = press_link_button(browser, reset, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
                                 follow_redirects=False)
        assert done.headers["location"] == "/account/login"
        assert log_in(browser, EMAIL, NEW_PASSWORD).status_code == 303
    with httpx.Client(base_url=url, timeout=30, follow_redirects=True) as browser:
        signed_in_seller(browser, inbox, COMPANY_EMAIL)
        submit(browser, "business", {"country": "US", "business_type": "company", "structure": "multi_member_llc"},
               expect="/onboarding/profile")
        submit(browser, "profile", COMPANY_PROFILE, expect="/onboarding/business-email")
        submit(browser, "business-email", {"business_email": COMPANY_EMAIL}, expect="/onboarding/company")
        submit(browser, "company", {**COMPANY, "tax_id": TAX_ID}, expect="/onboarding/people")
        post_form(browser, "/onboarding/people/new", OWNER)
        submit(browser, "people", {"owners_provided": "on", "directors_provided": "on", "executives_provided": "on"},
               expect="/onboarding/bank")
        submit(browser, "bank", {**BANK, "account_holder_name": "Rocket Rides LLC"}, expect="/onboarding/review")
    logged = _wait_for(log_path, '"POST /webhooks/stripe HTTP/1.1" 200')

    # Every line once logging is set up (a library may warn while being imported, before that).
    started = logged[logged.index("{"):]
    lines = [json.loads(line) for line in started.splitlines() if line.strip()]
    loggers = {line["logger"] for line in lines}
    # What was logged: the access log, Stripe's and httpx's request lines, webhooks delivered and accepted.
    assert {"uvicorn.access", "uvicorn.error", "stripe", "httpx"} <= loggers, loggers
    assert any(line.get("path") == "/webhooks/stripe" and line.get("status") == 200 for line in lines)
    assert any(line["message"].startswith("message='Request to Stripe api'") for line in lines)
    assert not any("Post details" in line["message"] or "response body" in line["message"] for line in lines)
    for link in (confirm, business, reset):
        assert f"GET {link.rsplit('/', 1)[0]}/[redacted] HTTP/1.1" in logged

    secrets = {
        "full SSN": SSN, "SSN digits": SSN.replace("-", ""), "account number": BANK["account_number"],
        "tax id": TAX_ID, "tax id digits": TAX_ID.replace("-", ""),
        "confirmation token": _token(confirm), "business-email token": _token(business), "reset token": _token(reset),
        "signing key": SIGNING_KEY, "password": PASSWORD, "new password": NEW_PASSWORD,
        "sandbox secret key": Settings().sandbox_secret_key, "a webhook signing secret": "whsec_",
        "a session cookie": "portal_session=",
    }
    leaked = [name for name, value in secrets.items() if value in logged]
    assert not leaked, leaked


@pytest.fixture
def logging_restored():
    """configure() rearranges the process's logging; put pytest's back afterwards."""
    root = logging.getLogger()
    names = (*OURS, *REQUEST_LINES, "sqlalchemy.engine", "httpcore")
    saved = (root.handlers[:], root.level, {name: (logging.getLogger(name).level, logging.getLogger(name).handlers[:],
                                                   logging.getLogger(name).propagate) for name in names})
    yield
    logging.captureWarnings(False)
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, (level, handlers, propagate) in saved[2].items():
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.handlers[:], logger.propagate = handlers, propagate


@pytest.mark.parametrize("level", ["debug", "INFO", "Warning", "ERROR"])
def test_log_level_sets_the_portals_and_uvicorns_loggers_and_caps_the_libraries(tmp_path, logging_restored, level):
    logs.configure(Settings(PORTAL_VAR_DIR=tmp_path, LOG_LEVEL=level))
    number = logging.getLevelName(level.upper())
    for name in ("portal", "portal.webhooks.endpoint", "uvicorn.error", "uvicorn.access"):
        assert logging.getLogger(name).getEffectiveLevel() == number, name
    assert logging.getLogger("stripe").getEffectiveLevel() == max(number, logging.INFO)  # never its bodies
    assert logging.getLogger("httpx").getEffectiveLevel() == max(number, logging.INFO)
    for name in ("sqlalchemy.engine", "httpcore", "aiosmtplib"):  # statements with values, wire traces
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING, name


def test_an_unknown_log_level_or_format_stops_start_up(tmp_path):
    with pytest.raises(ValueError, match="log_level"):
        Settings(PORTAL_VAR_DIR=tmp_path, LOG_LEVEL="LOUD")
    with pytest.raises(ValueError, match="log_format"):
        Settings(PORTAL_VAR_DIR=tmp_path, LOG_FORMAT="xml")
    result = subprocess.run([sys.executable, "-m", "portal", "migrate"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PORTAL_VAR_DIR": str(tmp_path), "LOG_LEVEL": "LOUD"})
    assert result.returncode != 0 and "configuration error" in result.stderr and "log_level" in result.stderr
    assert "Traceback" not in result.stderr


def test_stripe_log_is_refused_since_the_sdk_would_print_bodies_itself(tmp_path):
    with pytest.raises(SettingsError, match="STRIPE_LOG"):
        Settings(PORTAL_VAR_DIR=tmp_path, STRIPE_LOG="debug").check()


def test_access_log_false_silences_uvicorns_line_per_request_and_nothing_else(tmp_path, logging_restored, caplog):
    logs.configure(Settings(PORTAL_VAR_DIR=tmp_path, ACCESS_LOG="false"))
    assert not logging.getLogger("uvicorn.access").isEnabledFor(logging.CRITICAL)
    for name in ("portal", "uvicorn.error"):
        assert logging.getLogger(name).getEffectiveLevel() == logging.INFO, name
    logs.configure(Settings(PORTAL_VAR_DIR=tmp_path))  # the default keeps them
    assert logging.getLogger("uvicorn.access").getEffectiveLevel() == logging.INFO
