"""/metrics: the token, and the counts a webhook burst, an onboarding, sign-in failures and Stripe
faults cause, read back as Prometheus reads them."""

import json
import time

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from portal.app import create_app
from portal.db import Database
from portal.operations.metrics import exposition
from portal.sandbox.config import FaultRule
from portal.sandbox.webhooks import signature_header
from portal.webhooks import queue
from portal.webhooks.handlers import HANDLERS
from tests.conftest import eventually, log_in, post_form, sign_up, wait_until_applied
from tests.onboarding.flows import onboard_individual, signed_in_seller
from tests.operations.scrape import TOKEN, added, parse, scrape, value
from tests.security.helpers import code, enrol, later

SECRET = "whsec_metrics_burst_secret"


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})


@pytest.fixture
def sandboxed_settings(sandboxed_settings):
    return sandboxed_settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})


def _event(event_id: str, type_: str, account: str | None, *, created: int | None = None) -> dict:
    return {"id": event_id, "object": "event", "type": type_, "api_version": "2026-10-28.endive",
            "created": created or int(time.time()), "livemode": False, "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None}, "data": {"object": {"id": account or "cus_1", "object": "account"}},
            "account": account}


def _post(client, event: dict, secret: str = SECRET):
    body = json.dumps(event)
    return client.post("/webhooks/stripe", content=body, headers={
        "Stripe-Signature": signature_header(secret, body, int(time.time())), "Content-Type": "application/json"})


def test_metrics_need_the_token_and_without_one_do_not_exist(settings, client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics").headers["www-authenticate"] == "Bearer"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": TOKEN}).status_code == 401
    assert "portal_webhook_queue_depth" in client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    Database(settings.database_url).migrate()
    untokened = settings.model_copy(update={"metrics_token": None})
    with TestClient(create_app(untokened)) as other:
        assert other.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404


def test_a_webhook_burst_is_counted_received_applied_and_lagged(client, monkeypatch):
    client.app.state.sandbox_webhook_secrets.append(SECRET)
    before = scrape(client)
    burst = [_event(f"evt_burst_{n}", "account.updated", f"acct_burst{n}", created=int(time.time()) - 5) for n in range(12)]
    for event in burst:
        assert _post(client, event).status_code == 200
    for event in burst[:3]:  # redelivered once applied
        wait_until_applied(client.app.state.db)
        assert _post(client, event).json().get("duplicate") is True
    assert _post(client, _event("evt_unhandled", "customer.created", None)).status_code == 200
    assert _post(client, _event("evt_forged", "account.updated", "acct_x"), secret="whsec_forged").status_code == 400
    wait_until_applied(client.app.state.db)
    after = scrape(client)

    assert added(before, after, "portal_webhook_events_received_total", type="account.updated", outcome="stored") == 12
    assert added(before, after, "portal_webhook_events_received_total", type="account.updated", outcome="duplicate") == 3
    assert added(before, after, "portal_webhook_events_received_total", type="customer.created", outcome="stored") == 1
    assert added(before, after, "portal_webhook_events_received_total", type="unverified", outcome="refused") == 1
    # Accounts not ours: applied as "ignored", each once; the unhandled type is ignored when stored.
    assert added(before, after, "portal_webhook_events_finished_total", type="account.updated") == 12
    assert added(before, after, "portal_webhook_events_finished_total", type="customer.created", outcome="ignored") == 1
    assert added(before, after, "portal_webhook_events_finished_total", outcome="failed") == 0
    assert added(before, after, "portal_webhook_event_lag_seconds_count") == 13
    # Created five seconds before they were sent: none of the burst was applied sooner than that.
    assert added(before, after, "portal_webhook_event_lag_seconds_bucket", le="2.5") <= 1
    assert value(after, "portal_webhook_queue_depth") == 0

    async def broken(ctx, event):
        raise RuntimeError("handler broke")

    monkeypatch.setitem(HANDLERS, "account.updated", broken)
    assert _post(client, _event("evt_breaks", "account.updated", "acct_breaks")).status_code == 200
    assert eventually(lambda: added(after, scrape(client), "portal_webhook_events_finished_total", outcome="failed") >= 1)
    failing = scrape(client)
    assert value(failing, "portal_webhook_queue_depth", state="failed") == 1
    assert added(after, failing, "portal_webhook_event_lag_seconds_count") == 0  # a failure is not applied


def test_the_queue_depth_is_read_from_the_event_table(db):
    now = time.time()
    assert value(parse(exposition(db, "").decode()), "portal_webhook_queue_depth") == 0
    for n in range(3):
        queue.record_event(db, _event(f"evt_q{n}", "account.updated", "acct_q"), handled=True)
    queue.record_event(db, _event("evt_q_unhandled", "customer.created", None), handled=False)
    samples = parse(exposition(db, "").decode())
    assert value(samples, "portal_webhook_queue_depth", state="waiting") == 3
    claim = queue.new_claim()
    taken = queue.claim_due(db, claim, now=now, lease=10, limit=1)
    queue.finish_event(db, taken[0][0]["id"], claim, "failed", now=now, attempts=1, error="Boom")
    samples = parse(exposition(db, "").decode())
    assert value(samples, "portal_webhook_queue_depth", state="waiting") == 2
    assert value(samples, "portal_webhook_queue_depth", state="failed") == 1


def test_an_onboarding_counts_its_stripe_calls_its_sign_in_and_its_mail(sandboxed_client, inbox):
    before, calls = scrape(sandboxed_client), sandboxed_client.app.state.stripe.calls
    onboard_individual(sandboxed_client, inbox)
    made = sandboxed_client.app.state.stripe.calls - calls
    after = scrape(sandboxed_client)
    assert made > 0
    assert added(before, after, "portal_stripe_calls_total") == made
    assert added(before, after, "portal_stripe_calls_total", outcome="ok") == made
    assert added(before, after, "portal_stripe_calls_total", resource="account", method="create", outcome="ok") == 1
    assert added(before, after, "portal_stripe_call_seconds_count") == made
    assert added(before, after, "portal_stripe_http_attempts_total", status="2xx") == made
    assert added(before, after, "portal_stripe_rate_limited_total") == 0
    assert added(before, after, "portal_sign_ins_total") == 1
    assert eventually(lambda: added(before, scrape(sandboxed_client), "portal_mail_sent_total") >= 1)


def test_stripe_faults_count_errors_retries_and_429s_apart(sandboxed_client, inbox, stripe_sandbox):
    onboard_individual(sandboxed_client, inbox)
    sandbox, _ = stripe_sandbox
    sessions = {"resource": "account_session", "method": "create"}
    before = scrape(sandboxed_client)
    try:
        # A 500 the SDK retries, then a 429 it does not, then a lock timeout it retries past.
        sandbox.config.faults = [FaultRule(match="POST /v1/account_sessions", kind="500", count=1)]
        assert _account_session(sandboxed_client).status_code == 200
        sandbox.config.faults = [FaultRule(match="POST /v1/account_sessions", kind="429", count=1)]
        assert _account_session(sandboxed_client).status_code == 503
        sandbox.config.faults = [FaultRule(match="POST /v1/account_sessions", kind="lock_timeout", count=1)]
        assert _account_session(sandboxed_client).status_code == 200
    finally:
        sandbox.config.faults = []
    after = scrape(sandboxed_client)
    assert added(before, after, "portal_stripe_calls_total", **sessions, outcome="ok") == 2
    assert added(before, after, "portal_stripe_calls_total", **sessions, outcome="invalid_request_error") == 1
    assert added(before, after, "portal_stripe_rate_limited_total", **sessions) == 2
    assert added(before, after, "portal_stripe_http_attempts_total", **sessions, status="5xx") == 1
    assert added(before, after, "portal_stripe_http_attempts_total", **sessions, status="429") == 2
    assert added(before, after, "portal_stripe_http_attempts_total", **sessions, status="2xx") == 2


def _account_session(client):
    token = client.get("/payouts").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return client.post("/account-session", headers={"X-CSRF-Token": token, "Accept": "application/json"})


def test_sign_in_failures_and_lockouts_are_counted(client, settings):
    assert sign_up(client, "locked@example.com").status_code == 303
    before = scrape(client)
    for _ in range(settings.login_attempts_per_account + 2):
        log_in(client, "locked@example.com", "not the password at all")
    log_in(client, "nobody@example.com", "whatever it is 123")
    after = scrape(client)
    assert added(before, after, "portal_sign_in_failures_total", outcome="wrong_password") == settings.login_attempts_per_account
    assert added(before, after, "portal_sign_in_failures_total", outcome="throttled") == 2
    assert added(before, after, "portal_sign_in_lockouts_total") == 2
    assert added(before, after, "portal_sign_in_failures_total", outcome="unknown_email") == 1
    assert added(before, after, "portal_sign_ins_total") == 0


def test_refused_second_factor_codes_are_counted_and_their_lockout(client, inbox, settings):
    signed_in_seller(client, inbox, "ann@annsbakery.com")
    key, _ = enrol(client)
    post_form(client, "/account/logout", {}, page="/dashboard")
    before = scrape(client)
    log_in(client, "ann@annsbakery.com")
    wrong = "000000" if code(key) != "000000" else "111111"
    for _ in range(settings.login_attempts_per_account + 1):
        post_form(client, "/account/security/sign-in/code", {"code": wrong}, follow_redirects=False)
    with later():
        assert post_form(client, "/account/security/sign-in/code", {"code": code(key)}, follow_redirects=False).status_code != 303
    after = scrape(client)
    assert added(before, after, "portal_two_factor_failures_total", outcome="wrong_code") == settings.login_attempts_per_account
    assert added(before, after, "portal_two_factor_failures_total", outcome="code_throttled") == 2
    assert added(before, after, "portal_sign_in_lockouts_total") == 2
    assert added(before, after, "portal_sign_ins_total") == 0
