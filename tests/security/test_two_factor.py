"""Two-step sign-in over HTTP: enrolment, the code step, replay, recovery codes, limits, who must enrol."""


import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from portal.app import create_app
from portal.db import Database
from portal.security.models import RecoveryCode, TwoFactor
from tests.conftest import PASSWORD, log_in, post_form
from tests.onboarding.flows import asked_for_two_step, signed_in_seller
from tests.security.helpers import code, enrol, later, new_key

EMAIL = "ann@annsbakery.com"
CODE_PAGE = "/account/security/sign-in/code"


def _log_out(client):
    post_form(client, "/account/logout", {}, page="/dashboard")


def _second_step(client, typed: str):
    return post_form(client, CODE_PAGE, {"code": typed}, follow_redirects=False)


def test_enrol_then_sign_in_with_password_and_code(client, inbox):
    signed_in_seller(client, inbox, EMAIL)
    key, recovery = enrol(client)
    assert len(recovery) == 10
    _log_out(client)

    # The password alone is not enough: no session until the code.
    response = log_in(client, EMAIL)
    assert response.headers["location"] == CODE_PAGE
    assert client.get("/dashboard", follow_redirects=False).headers["location"].startswith("/account/login")

    wrong = _second_step(client, "000000" if code(key) != "000000" else "111111")
    assert wrong.status_code == 400 and "isn&#39;t right" in wrong.text
    with later():
        used = code(key)
        assert _second_step(client, used).headers["location"] == "/dashboard"
        assert client.get("/dashboard").status_code == 200
        _log_out(client)
        log_in(client, EMAIL)
        replayed = _second_step(client, used)
        assert replayed.status_code == 400 and "already used" in replayed.text

        # A recovery code works once.
        assert _second_step(client, recovery[0].upper()).headers["location"] == "/dashboard"
        assert "9 unused recovery codes" in client.get("/account/security/").text
        _log_out(client)
        log_in(client, EMAIL)
        assert "already used" in _second_step(client, recovery[0]).text


def test_secrets_are_stored_sealed_and_codes_hashed(client, inbox):
    signed_in_seller(client, inbox, EMAIL)
    key, recovery = enrol(client)
    with client.app.state.db.transaction() as session:
        row = session.get(TwoFactor, 1)
        digests = [r.digest for r in session.exec(select(RecoveryCode)).all()]
    assert key not in row.sealed_secret and row.confirmed_at is not None
    assert len(digests) == 10 and not set(recovery) & set(digests)


def test_wrong_codes_are_limited_like_passwords(client, inbox):
    signed_in_seller(client, inbox, EMAIL)
    key, _ = enrol(client)
    _log_out(client)
    log_in(client, EMAIL)
    wrong = "123456" if code(key) != "123456" else "654321"
    for _ in range(client.app.state.settings.login_attempts_per_account):
        assert _second_step(client, wrong).status_code == 400
    with later():
        refused = _second_step(client, code(key))
    assert refused.status_code == 429 and "Too many wrong codes" in refused.text


def test_regenerating_recovery_codes_voids_the_old_ones(client, inbox):
    signed_in_seller(client, inbox, EMAIL)
    key, old = enrol(client)  # enrolling counts as confirming it's you for a few minutes
    fresh = post_form(client, "/account/security/recovery-codes", {}, page="/account/security/")
    assert fresh.status_code == 200 and old[0] not in fresh.text
    _log_out(client)
    log_in(client, EMAIL)
    assert _second_step(client, old[1]).status_code == 400


@pytest.fixture
def settings_for_all(settings):
    return settings.model_copy(update={"two_factor_for_all": True})


def test_a_platform_setting_makes_everyone_enrol_first(settings_for_all, inbox):
    Database(settings_for_all.database_url).migrate()
    with TestClient(create_app(settings_for_all), base_url="http://testserver") as client:
        signed_in_seller(client, inbox, EMAIL)
        assert client.get("/dashboard", follow_redirects=False).headers["location"] == "/account/security/two-factor"
        enrol(client)
        assert client.get("/dashboard", follow_redirects=False).status_code == 200


def test_a_seller_with_a_connected_account_must_enrol_at_the_next_sign_in(sandboxed_client, inbox):
    client = sandboxed_client
    asked_for_two_step(client, inbox)  # asked the moment the account was made, and left
    _log_out(client)
    response = log_in(client, EMAIL)
    assert response.headers["location"] == "/account/security/two-factor"
    assert client.get("/onboarding/status", follow_redirects=False).headers["location"] == "/account/security/two-factor"
    assert client.get("/status/", follow_redirects=False).headers["location"] == "/account/security/two-factor"


def test_enrolment_forced_at_sign_in_ends_where_the_seller_was_going(sandboxed_client, inbox):
    client = sandboxed_client
    asked_for_two_step(client, inbox)
    _log_out(client)
    response = post_form(client, "/account/login", {"email": EMAIL, "password": PASSWORD, "next": "/status/?requirement=x"},
                         follow_redirects=False)
    assert response.headers["location"] == "/account/security/two-factor"

    key = new_key(client)
    done = post_form(client, "/account/security/two-factor", {"code": code(key)})

    assert done.status_code == 200 and "Two-step sign-in is on" in done.text
    assert 'href="/status/?requirement=x">I have saved my codes' in done.text
