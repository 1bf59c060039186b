"""Staff single sign-on through a real OpenID Connect provider (panva/oidc-provider on loopback),
its failures, roles from the claim or the staff table, sessions apart from sellers', and sign-out."""

import json
import re
from base64 import b64decode, b64encode
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import time_machine
from itsdangerous import TimestampSigner
from pydantic import SecretStr
from sqlmodel import select
from starlette.testclient import TestClient

from portal.app import create_app
from portal.audit import AuditEvent
from portal.db import Database, utcnow
from portal.settings import Settings
from portal.staff.auth import STAFF_COOKIE
from portal.staff.models import StaffMember, StaffRole
from portal.staff.service import create_staff, role_from_claim
from tests.conftest import confirm_link_path, csrf_from, log_in, post_form, press_link_button, sign_up
from tests.staff.conftest import dev_sign_in, log_in_at_provider, provider_redirect, sso_sign_in


def _actions(client) -> list[str]:
    with client.app.state.db.transaction() as session:
        return [event.action for event in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]


def test_role_from_the_claim_signs_in_and_lands_on_the_console(sso_client):
    response = sso_sign_in(sso_client, "risk@platform.test", next_path="/staff/?q=x")

    assert response.status_code == 303 and response.headers["location"] == "/staff/?q=x"
    page = sso_client.get("/staff/")
    assert "risk@platform.test (risk)" in page.text
    with sso_client.app.state.db.transaction() as session:
        member = session.exec(select(StaffMember).where(StaffMember.email == "risk@platform.test")).one()
    assert (member.role, member.oidc_subject, member.name) == ("risk", "risk@platform.test", "Rita Risk")
    assert _actions(sso_client) == ["staff.sign_in"]


def test_without_a_claim_the_staff_table_decides(sso_client):
    create_staff(sso_client.app.state.db, "table@platform.test", StaffRole.support)

    assert sso_sign_in(sso_client, "table@platform.test").status_code == 303
    assert "table@platform.test (support)" in sso_client.get("/staff/").text


def test_an_unknown_identity_gets_a_clear_no_access_page(sso_client):
    response = sso_sign_in(sso_client, "stranger@elsewhere.test")

    assert response.status_code == 403
    assert "stranger@elsewhere.test has no access to the staff console" in response.text
    assert STAFF_COOKIE not in response.cookies
    assert sso_client.get("/staff/", follow_redirects=False).status_code == 303
    assert _actions(sso_client) == ["staff.sign_in_refused"]


def test_a_deactivated_member_is_refused_even_with_a_role_claim(sso_client):
    member, _ = create_staff(sso_client.app.state.db, "admin@platform.test", StaffRole.admin)
    with sso_client.app.state.db.transaction() as session:
        stored = session.get(StaffMember, member.id)
        stored.active = False
        session.add(stored)

    assert sso_sign_in(sso_client, "admin@platform.test").status_code == 403


def test_a_callback_with_a_state_this_browser_did_not_start_is_refused(sso_client):
    callback = log_in_at_provider(provider_redirect(sso_client), "admin@platform.test")
    query = parse_qs(urlsplit(callback).query)

    response = sso_client.get("/staff/auth/callback", params={"code": query["code"][0], "state": "forged-state"})

    assert response.status_code == 400
    assert "does not match the one started in this browser" in response.text
    assert sso_client.get("/staff/", follow_redirects=False).status_code == 303


def test_a_callback_replayed_in_another_browser_is_refused(sso_client, sso_settings):
    callback = urlsplit(log_in_at_provider(provider_redirect(sso_client), "admin@platform.test"))
    sso_client.cookies.clear()

    response = sso_client.get(f"{callback.path}?{callback.query}")

    assert response.status_code == 400
    assert "Start again from the sign-in page" in response.text


def _tamper_session(client, secret: str, change) -> None:
    """Rewrite the signed session cookie as only someone holding the key could (to fake a nonce)."""
    signer = TimestampSigner(secret)
    data = json.loads(b64decode(signer.unsign(client.cookies["portal_session"])))
    change(data)
    client.cookies.set("portal_session", signer.sign(b64encode(json.dumps(data).encode())).decode())


def test_an_id_token_with_another_nonce_is_refused(sso_client, sso_settings):
    authorize = provider_redirect(sso_client)

    def other_nonce(data):
        for key, value in data.items():
            if key.startswith("_state_staff_"):
                value["data"]["nonce"] = "not-the-nonce-sent"
    _tamper_session(sso_client, sso_settings.signing_key(), other_nonce)
    callback = urlsplit(log_in_at_provider(authorize, "admin@platform.test"))

    response = sso_client.get(f"{callback.path}?{callback.query}")

    assert response.status_code == 400
    assert "nonce mismatch" in response.text
    assert sso_client.get("/staff/", follow_redirects=False).status_code == 303


def test_an_expired_id_token_is_refused(sso_client):
    callback = urlsplit(log_in_at_provider(provider_redirect(sso_client), "admin@platform.test"))

    # The provider's ID tokens last 10 minutes; authlib allows 2 minutes of clock skew.
    with time_machine.travel(utcnow() + timedelta(minutes=15)):
        response = sso_client.get(f"{callback.path}?{callback.query}")

    assert response.status_code == 400
    assert "sign-in token has expired" in response.text


def test_an_error_from_the_provider_is_shown_plainly(sso_client):
    provider_redirect(sso_client)
    response = sso_client.get("/staff/auth/callback", params={"error": "access_denied", "state": "x"})

    assert response.status_code == 400
    assert "did not sign you in (access_denied)" in response.text


def test_sign_out_ends_the_session_and_signs_out_at_the_provider(sso_client):
    sso_sign_in(sso_client, "admin@platform.test")

    signed_out = post_form(sso_client, "/staff/sign-out", {}, page="/staff/", follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/staff/signing-out"
    response = sso_client.get("/staff/signing-out")

    target = re.search(r'content="0;url=([^"]+)"', response.text).group(1).replace("&amp;", "&")
    location = urlsplit(target)
    assert response.status_code == 200 and location.path == "/session/end"
    query = parse_qs(location.query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/staff/signed-out"] and query["id_token_hint"]
    assert sso_client.get("/staff/", follow_redirects=False).status_code == 303
    assert _actions(sso_client)[-1] == "staff.sign_out"
    # Reloading that page does not sign out at the provider again: it only says the console is signed out.
    again = sso_client.get("/staff/signing-out")
    assert "/session/end" not in again.text and "/staff/signed-out" in again.text


def test_the_staff_session_lapses_after_inactivity_but_activity_keeps_it(client):
    dev_sign_in(client, "a@platform.test")
    idle = client.app.state.settings.staff_session_idle_seconds

    with time_machine.travel(utcnow() + timedelta(seconds=idle - 60)):
        assert client.get("/staff/", follow_redirects=False).status_code == 200  # re-signs the cookie
    with time_machine.travel(utcnow() + timedelta(seconds=2 * idle - 120)):
        assert client.get("/staff/", follow_redirects=False).status_code == 200
    with time_machine.travel(utcnow() + timedelta(seconds=3 * idle)):
        response = client.get("/staff/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/sign-in")


def test_a_seller_session_never_opens_the_console(client, inbox):
    sign_up(client, "seller@shop.example")
    press_link_button(client, confirm_link_path(inbox, "seller@shop.example"))
    assert log_in(client, "seller@shop.example").status_code == 303
    assert client.get("/dashboard", follow_redirects=False).status_code == 200

    response = client.get("/staff/", follow_redirects=False)

    assert response.status_code == 303 and response.headers["location"].startswith("/staff/sign-in")


def test_development_sign_in_exists_only_in_sandbox_mode_without_a_provider(tmp_path):
    sandbox = Settings(PORTAL_VAR_DIR=tmp_path)
    stripe = Settings(PORTAL_VAR_DIR=tmp_path, stripe_secret_key="sk_test_123", stripe_publishable_key="pk_test_1",
                      stripe_webhook_secret="whsec_1", secret_key="k", public_url="https://portal.example")
    with_provider = Settings(PORTAL_VAR_DIR=tmp_path,
                             staff_oidc_discovery_url="https://id.example/.well-known/openid-configuration",
                             staff_oidc_client_id="portal")
    assert sandbox.staff_dev_sign_in
    assert not stripe.staff_dev_sign_in
    assert not with_provider.staff_dev_sign_in


def test_development_sign_in_is_refused_in_stripe_mode(settings):
    stripe_settings = settings.model_copy(update={
        "stripe_secret_key": SecretStr("sk_test_123"), "stripe_publishable_key": "pk_test_1",
        "stripe_webhook_secret": SecretStr("whsec_1"), "public_url": "http://testserver",
    })
    Database(stripe_settings.database_url).migrate()
    member, _ = create_staff(Database(stripe_settings.database_url), "a@platform.test", StaffRole.admin)
    with TestClient(create_app(stripe_settings), base_url="http://testserver") as client:
        page = client.get("/staff/sign-in")
        assert "Development sign-in" not in page.text and "a@platform.test" not in page.text
        token = csrf_from(client.get("/account/login").text)
        response = client.post("/staff/sign-in/development", data={"csrf_token": token, "staff_id": str(member.id)},
                               follow_redirects=False)
        assert response.status_code == 404
        assert client.get("/staff/", follow_redirects=False).status_code == 303


def test_role_claim_picks_the_strongest_known_role():
    assert role_from_claim(["support", "risk"]) == StaffRole.risk
    assert role_from_claim("admin support") == StaffRole.admin
    assert role_from_claim(["billing"]) is None
    assert role_from_claim(None) is None
