"""Sensitive changes ask for the password (and code) again; password history; login-email change
and its one-time revert link; devices, new-device mail and the lock link."""

import re

import httpx

from portal.accounts.models import Seller
from portal.security import service
from tests.conftest import PASSWORD, link_page, log_in, post_form, press_link_button
from tests.onboarding.flows import reauthenticate, signed_in_seller
from tests.security.helpers import code, enrol, later

EMAIL = "ann@annsbakery.com"
NEW_PASSWORD = "copper lantern meadow 7"


def _links(inbox, to: str, subject: str, count: int = 1) -> list[str]:
    body = inbox.wait_for(to, count, subject=subject)[-1].get_content()
    return ["/" + link.split("/", 3)[3] for link in re.findall(r"https?://\S+", body)]


def _seller(client) -> Seller:
    with client.app.state.db.transaction() as session:
        return session.get(Seller, 1)


def _new_device(client) -> httpx.Cookies:
    """Another browser: none of this one's cookies. Returns this one's, to come back to."""
    kept = httpx.Cookies(client.cookies)
    client.cookies = httpx.Cookies()
    return kept


def test_sensitive_changes_without_confirming_again_are_refused(client, inbox):
    signed_in_seller(client, inbox, EMAIL)
    for path in ("/account/security/password", "/account/security/email"):
        asked = client.get(path, follow_redirects=False)
        assert asked.status_code == 303 and asked.headers["location"].startswith("/account/security/confirm?next=")
    refused = post_form(client, "/account/security/password", {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
                        page="/account/security/", follow_redirects=False)
    assert refused.headers["location"].startswith("/account/security/confirm")
    post_form(client, "/account/logout", {}, page="/dashboard")
    assert log_in(client, EMAIL, NEW_PASSWORD).status_code == 400  # unchanged


def test_turning_off_two_factors_needs_the_password_and_a_code(client, inbox):
    signed_in_seller(client, inbox, EMAIL)
    key, _ = enrol(client)
    with later(700):  # the confirmation that enrolling gave has lapsed
        refused = post_form(client, "/account/security/two-factor/off", {}, page="/account/security/", follow_redirects=False)
        assert refused.headers["location"].startswith("/account/security/confirm")
        assert service.enrolled(client.app.state.db, 1)
        wrong = post_form(client, "/account/security/confirm", {"password": "not my password at all", "code": code(key)})
        assert wrong.status_code == 400 and "password isn&#39;t right" in wrong.text
        no_code = post_form(client, "/account/security/confirm", {"password": PASSWORD, "code": ""})
        assert no_code.status_code == 400 and 'id="code-error"' in no_code.text
        reauthenticate(client, code(key))
        post_form(client, "/account/security/two-factor/off", {}, page="/account/security/")
    assert not service.enrolled(client.app.state.db, 1)


def test_a_new_password_is_not_one_of_the_last_five(client, inbox):
    signed_in_seller(client, inbox, EMAIL)
    reauthenticate(client)
    same = post_form(client, "/account/security/password", {"password": PASSWORD, "password_confirm": PASSWORD})
    assert same.status_code == 400 and "not one of your last five" in same.text
    changed = post_form(client, "/account/security/password", {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
                        follow_redirects=False)
    assert changed.status_code == 303
    back = post_form(client, "/account/security/password", {"password": PASSWORD, "password_confirm": PASSWORD})
    assert back.status_code == 400 and "not one of your last five" in back.text
    # The reset form keeps to the same rule.
    post_form(client, "/account/logout", {}, page="/dashboard")
    post_form(client, "/account/forgot-password", {"email": EMAIL})
    reset = _links(inbox, EMAIL, "Reset your password")[0]
    again = press_link_button(client, reset, {"password": PASSWORD, "password_confirm": PASSWORD})
    assert again.status_code == 400 and "not one of your last five" in again.text
    assert log_in(client, EMAIL, NEW_PASSWORD).status_code == 303


def test_an_email_change_is_confirmed_at_the_new_address_and_reverted_once_from_the_old(client, inbox):
    signed_in_seller(client, inbox, EMAIL)
    reauthenticate(client)
    post_form(client, "/account/security/email", {"email": "ann@newbakery.example"})
    assert _seller(client).email == EMAIL  # not until the new address confirms
    confirm = _links(inbox, "ann@newbakery.example", "Confirm your new login email address")[0]
    press_link_button(client, confirm)
    assert _seller(client).email == "ann@newbakery.example"

    revert = _links(inbox, EMAIL, "Your login email address was changed")[0]
    assert "Undo the change" in client.get(revert).text
    press_link_button(client, revert)
    assert _seller(client).email == EMAIL
    assert client.get("/dashboard", follow_redirects=False).status_code == 303  # every session ended
    inbox.wait_for(EMAIL, subject="Reset your password")
    again = post_form(client, link_page(revert), {}, page="/account/login")
    assert again.status_code == 400 and "already been used" in again.text


def test_every_mail_ends_with_the_never_ask_line(client, inbox):
    signed_in_seller(client, inbox, EMAIL)
    body = inbox.wait_for(EMAIL, subject="Confirm your email address")[0].get_content()
    assert body.rstrip().endswith("will never ask for your password or a sign-in code by email or phone.")


def test_a_new_device_is_told_by_mail_and_the_lock_link_locks(client, inbox):
    signed_in_seller(client, inbox, EMAIL)
    post_form(client, "/account/logout", {}, page="/dashboard")
    log_in(client, EMAIL)  # the same browser: no mail
    first = _new_device(client)
    assert log_in(client, EMAIL, "wrong password for this account").status_code == 400
    assert log_in(client, EMAIL).status_code == 303
    mail = inbox.wait_for(EMAIL, subject="New sign-in to your seller account")
    assert len(mail) == 1 and "203.0.113.7" in mail[0].get_content()

    history = client.get("/account/security/").text
    assert "new device" in history and "wrong password" in history and history.count("this device") == 1

    # The first browser signs every other device out.
    client.cookies = first
    post_form(client, "/account/security/sign-out-others", {}, page="/account/security/")
    assert len(service.active_sessions(client.app.state.db, 1)) == 1

    lock = [link for link in _links(inbox, EMAIL, "New sign-in to your seller account") if "/lock/" in link][0]
    press_link_button(client, lock)
    assert log_in(client, EMAIL).status_code == 400
    assert not service.active_sessions(client.app.state.db, 1)
    inbox.wait_for(EMAIL, subject="Reset your password")
    assert post_form(client, link_page(lock), {}, page="/account/login").status_code == 400  # once
